//! Where the Sync keeps PM Hub's client id in XPM: the integration setting
//! naming an XPM client custom field (off by default), and the choices.

use crate::problem::ProblemDocument;
use axum::Json;
use axum::extract::State;
use domain::ids::XpmCustomFieldUuid;
use domain::practice::Role;
use serde::{Deserialize, Serialize};

use crate::api::ApiJson;
use crate::auth::ApiUser;
use crate::problem::{FieldProblem, Problem};
use crate::state::{AppState, AppStore};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ClientIdField)]
pub struct ClientIdFieldView {
    /// The field chosen; `null` when off (the default).
    pub current: Option<ChosenFieldView>,
    /// For administrators, when connected: the connected organisation's
    /// client custom fields of type Text, read from XPM just now.
    pub choices: Vec<FieldChoiceView>,
    pub note: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ChosenField)]
pub struct ChosenFieldView {
    #[schema(format = Uuid)]
    pub field_uuid: String,
    pub field_name: String,
    /// The XPM organisation the field belongs to.
    #[schema(format = Uuid)]
    pub tenant_id: String,
    /// False after a Reconnect to another organisation: Syncs there do not use it.
    pub in_connected_organisation: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = FieldChoice)]
pub struct FieldChoiceView {
    #[schema(format = Uuid)]
    pub field_uuid: String,
    pub field_name: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientIdFieldInput {
    /// An XPM client custom field of type Text, or `null` to stop using one.
    #[schema(format = Uuid)]
    pub field_uuid: Option<String>,
}

const NOTE: &str = "When set, each Sync that creates a client in XPM or links it to one writes PM Hub's client id into this XPM field (one extra call), and finds the client by it after an interrupted create, even one renamed in XPM. Off by default.";

async fn view<S: AppStore>(
    state: &AppState<S>,
    user: &domain::practice::User,
) -> Result<ClientIdFieldView, Problem> {
    let setting = state
        .app
        .client_id_field_setting(user.practice, user.id)
        .await?;
    let connected = setting.connected;
    let current = setting.current.as_ref().map(|f| ChosenFieldView {
        field_uuid: f.field.to_string(),
        field_name: f.name.clone(),
        tenant_id: f.tenant.to_string(),
        in_connected_organisation: setting.in_connected_organisation(),
    });
    let (choices, note) = match (connected, user.role) {
        (None, _) => (
            Vec::new(),
            format!("{NOTE} Connect to XPM to choose a field: the choices are read from XPM."),
        ),
        (Some(_), Role::Admin) => {
            let choices = state
                .app
                .client_id_field_choices(user.practice, user.id)
                .await?;
            let fields = choices
                .fields
                .into_iter()
                .map(|f| FieldChoiceView {
                    field_uuid: f.uuid.to_string(),
                    field_name: f.name,
                })
                .collect::<Vec<_>>();
            let note = if fields.is_empty() {
                format!(
                    "{NOTE} The connected XPM organisation has no client custom field of type Text: an XPM administrator can add one in XPM's settings, then choose it here."
                )
            } else {
                NOTE.to_owned()
            };
            (fields, note)
        }
        (Some(_), _) => (
            Vec::new(),
            format!("{NOTE} Only an administrator can change it."),
        ),
    };
    Ok(ClientIdFieldView {
        current,
        choices,
        note,
    })
}

#[utoipa::path(
    get,
    path = "/api/integration/client-id-field",
    tag = "Integration",
    summary = "Where the Sync keeps PM Hub's client id in XPM: the XPM client custom field chosen (off by default), and, for administrators when connected, the client custom fields of type Text to choose from (read from XPM: one call)",
    responses(
        (status = 200, description = "OK", body = ClientIdFieldView, content_type = "application/json"),
        (status = 409, description = "Not possible in the current state (e.g. not connected)", body = ProblemDocument)
    )
)]
pub async fn show<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
) -> Result<Json<ClientIdFieldView>, Problem> {
    Ok(Json(view(&state, &user).await?))
}

/// Chooses the field (admins); `{"fieldUuid": null}` turns it off.
#[utoipa::path(
    put,
    path = "/api/integration/client-id-field",
    tag = "Integration",
    summary = "Choose the XPM client custom field of type Text where each Sync that creates or links a client writes PM Hub's client id (admins; checked against the connected organisation's definitions, so it needs a connection); `{\"fieldUuid\": null}` turns it off",
    request_body(content = ClientIdFieldInput, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = ClientIdFieldView, content_type = "application/json"),
        (status = 403, description = "Only an administrator can do this", body = ProblemDocument),
        (status = 409, description = "Not possible in the current state (e.g. not connected)", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn set<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ClientIdFieldInput>,
) -> Result<Json<ClientIdFieldView>, Problem> {
    let field: Option<XpmCustomFieldUuid> = match input.field_uuid.as_deref() {
        None => None,
        Some(raw) => Some(raw.parse().map_err(|_| {
            Problem::invalid(vec![FieldProblem {
                field: "fieldUuid".into(),
                message: format!("`{raw}` is not a UUID"),
            }])
        })?),
    };
    // Not connected: 409 `not-connected` (the choices are read from XPM).
    state
        .app
        .configure_client_id_field(user.practice, user.id, field)
        .await?;
    Ok(Json(view(&state, &user).await?))
}
