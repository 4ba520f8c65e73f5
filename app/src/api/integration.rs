//! The connection to XPM: status, Connect / Reconnect, the choice among
//! several organisations a login granted, naming the organisation, Disconnect.

use crate::problem::ProblemDocument;
use axum::Json;
use axum::extract::State;
use domain::connection::{ConnectionState, DisconnectConfirmation, XpmOrganisation};
use domain::text::DisplayName;
use serde::{Deserialize, Serialize};

use crate::api::ApiJson;
use crate::auth::ApiUser;
use crate::present::timestamp;
use crate::problem::{FieldProblem, Problem};
use crate::state::{AppState, AppStore};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = IntegrationStatus)]
pub struct StatusView {
    /// Not connected, Connected, Expired, Revoked, Disconnected or Choosing organisation.
    pub status: &'static str,
    /// The organisation connected (or last connected; while choosing, the one before).
    pub organisation: Option<OrganisationView>,
    /// While choosing: the organisations the latest Xero login granted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<OrganisationView>,
    #[schema(format = DateTime)]
    pub connected_since: Option<String>,
    /// Why the connection stopped working, as Xero said.
    pub last_error: Option<String>,
    pub sync_available: bool,
    /// Set when Xero could not be asked just now (unreachable, rate
    /// limited): `status` is then the last one known, not confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<String>,
    /// What XPM last said is left of today's allowance of calls for the
    /// organisation (`X-DayLimit-Remaining`); absent until XPM has answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls_left_today: Option<u32>,
    /// When the allowance is spent: seconds until it resets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowance_resets_in_secs: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = XpmOrganisation)]
pub struct OrganisationView {
    #[schema(format = Uuid)]
    pub tenant_id: String,
    pub name: String,
    /// Xero gave no name and no one has named it: `name` is a placeholder.
    pub unnamed: bool,
}

impl From<&XpmOrganisation> for OrganisationView {
    fn from(o: &XpmOrganisation) -> Self {
        Self {
            tenant_id: o.tenant.to_string(),
            name: o.name.to_string(),
            unnamed: o.is_unnamed(),
        }
    }
}

impl From<&ConnectionState> for StatusView {
    fn from(state: &ConnectionState) -> Self {
        Self {
            status: state.status().label(),
            organisation: state.organisation().map(OrganisationView::from),
            choices: state.choices().iter().map(OrganisationView::from).collect(),
            connected_since: state.connected_since().map(timestamp),
            last_error: state.problem().map(|p| p.as_str().to_owned()),
            sync_available: state.sync_target().is_ok(),
            unconfirmed: None,
            calls_left_today: None,
            allowance_resets_in_secs: None,
        }
    }
}

/// The true status: asks Xero (refreshing the token if due) when connected.
#[utoipa::path(
    get,
    path = "/api/integration",
    tag = "Integration",
    summary = "The connection's true status (asks Xero)",
    responses(
        (status = 200, description = "OK", body = StatusView, content_type = "application/json")
    )
)]
pub async fn status<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
) -> Result<Json<StatusView>, Problem> {
    let checked = state.app.check_connection(user.practice, user.id).await?;
    if let Some(why) = &checked.unconfirmed {
        tracing::warn!(practice = %user.practice, error = %why, "the connection's status could not be confirmed with Xero");
    }
    Ok(Json(StatusView {
        calls_left_today: checked.allowance.map(|a| a.day_remaining),
        allowance_resets_in_secs: checked.allowance.and_then(|a| a.resets_in_secs),
        unconfirmed: checked.unconfirmed.map(|why| {
            format!("Xero could not be asked just now ({why}); this is the last status known")
        }),
        ..StatusView::from(&checked.state)
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ConnectStart)]
pub struct ConnectView {
    /// Send the administrator here to log in to Xero and grant access.
    pub authorisation_url: String,
    pub note: &'static str,
}

/// Connect or Reconnect: answers the URL of Xero's login. Admins only.
#[utoipa::path(
    post,
    path = "/api/integration/connect",
    tag = "Integration",
    summary = "Connect or Reconnect: the URL of Xero's login (admins)",
    responses(
        (status = 200, description = "OK", body = ConnectView, content_type = "application/json"),
        (status = 403, description = "Only an administrator can do this", body = ProblemDocument)
    )
)]
pub async fn connect<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
) -> Result<Json<ConnectView>, Problem> {
    let url = state.app.connect(user.practice, user.id).await?;
    Ok(Json(ConnectView {
        authorisation_url: url,
        note: "Open this URL in a browser logged in to pmhub-xpm as this administrator. Nothing syncs after connecting until someone presses Sync.",
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganisationChoice {
    #[schema(format = Uuid)]
    pub tenant_id: String,
}

/// After a login that granted several XPM organisations: connect to one.
#[utoipa::path(
    post,
    path = "/api/integration/organisation",
    tag = "Integration",
    summary = "Choose the XPM organisation after a login that granted several (admins)",
    request_body(content = OrganisationChoice, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = StatusView, content_type = "application/json"),
        (status = 403, description = "Only an administrator can do this", body = ProblemDocument),
        (status = 409, description = "No Xero login is waiting for a choice: start again with Connect", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument),
        (status = 502, description = "XPM or Xero failed", body = ProblemDocument)
    )
)]
pub async fn choose_organisation<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiJson(choice): ApiJson<OrganisationChoice>,
) -> Result<Json<StatusView>, Problem> {
    let tenant = choice
        .tenant_id
        .parse()
        .map_err(|e: domain::ids::InvalidId| Problem::invalid_field("tenantId", e.to_string()))?;
    let connection = state
        .app
        .choose_organisation(user.practice, user.id, tenant)
        .await?;
    Ok(Json(StatusView::from(&connection)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationName {
    /// The organisation's name as XPM shows it.
    #[schema(schema_with = crate::api::field_schema::display_name)]
    pub name: String,
}

/// Names the connected (or last connected) organisation: Xero may give no name.
#[utoipa::path(
    post,
    path = "/api/integration/organisation/name",
    tag = "Integration",
    summary = "Name the XPM organisation as XPM shows it, when Xero gives no name (admins)",
    request_body(content = OrganisationName, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = StatusView, content_type = "application/json"),
        (status = 403, description = "Only an administrator can do this", body = ProblemDocument),
        (status = 409, description = "Not possible in the current state (e.g. not connected)", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn name_organisation<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<OrganisationName>,
) -> Result<Json<StatusView>, Problem> {
    let name =
        DisplayName::new(&input.name).map_err(|e| Problem::invalid_field("name", e.to_string()))?;
    let connection = state
        .app
        .name_organisation(user.practice, user.id, name)
        .await?;
    Ok(Json(StatusView::from(&connection)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DisconnectConfirmation)]
pub struct DisconnectInput {
    /// Must be `true`: Disconnect stops all syncing until an administrator Connects again.
    #[schema(value_type = MustBeTrue, required = true)]
    pub confirm: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/integration/disconnect",
    tag = "Integration",
    summary = "Disconnect (admins); needs {\"confirm\": true}",
    request_body(content = DisconnectInput, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = StatusView, content_type = "application/json"),
        (status = 403, description = "Only an administrator can do this", body = ProblemDocument),
        (status = 409, description = "Not possible in the current state (e.g. not connected)", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn disconnect<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<DisconnectInput>,
) -> Result<Json<StatusView>, Problem> {
    let confirmation =
        DisconnectConfirmation::from_answer(input.confirm == Some(true)).map_err(|e| {
            Problem::invalid(vec![FieldProblem {
                field: "confirm".into(),
                message: format!("{e}: send {{\"confirm\": true}}"),
            }])
        })?;
    let connection = state
        .app
        .disconnect(user.practice, user.id, confirmation)
        .await?;
    Ok(Json(StatusView::from(&connection)))
}

/// The document's type for a confirmation: `true`, and nothing else (the
/// field is read as an optional bool so that anything else is a 422 saying how
/// to confirm).
#[derive(Debug)]
pub struct MustBeTrue;

impl utoipa::PartialSchema for MustBeTrue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .enum_values(Some([true]))
            .into()
    }
}

impl utoipa::ToSchema for MustBeTrue {}
