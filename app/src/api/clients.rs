//! PM Hub's clients and their associations.

use crate::problem::ProblemDocument;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::association::ShareCount;
use domain::client::ClientStatus;
use domain::ids::{AssociationId, AssociationTypeId, ClientId};
use domain::usecases::RecordsError;
use serde::{Deserialize, Serialize};

use crate::api::client_dto::{ClientInput, ClientInputDocument, ClientView};
use crate::api::{ApiJson, ApiPath, parse_id};
use crate::auth::ApiUser;
use crate::input::parse_terms;
use crate::problem::{FieldProblem, Problem};
use crate::state::{AppState, AppStore};

#[utoipa::path(
    get,
    path = "/api/clients",
    tag = "Clients",
    summary = "List the practice's clients (a deleted one is no longer listed)",
    responses(
        (status = 200, description = "OK", body = [ClientView], content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument)
    )
)]
pub async fn list<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<ClientView>>, Problem> {
    let clients = state.app.list_clients(user.practice, user.id).await?;
    Ok(Json(
        clients
            .iter()
            .filter(|c| c.status != ClientStatus::Deleted)
            .map(ClientView::from)
            .collect(),
    ))
}

#[utoipa::path(
    get,
    path = "/api/clients/{client}",
    tag = "Clients",
    summary = "Read a client",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id")),
    responses(
        (status = 200, description = "OK", body = ClientView, content_type = "application/json"),
        (status = 404, description = "Not found in this practice, or deleted", body = ProblemDocument)
    )
)]
pub async fn show<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
) -> Result<Json<ClientView>, Problem> {
    let client = state
        .app
        .get_client(user.practice, user.id, parse_id(&client)?)
        .await?;
    // Deleted is gone, as for any resource: the record stays for the
    // activity log and the link to XPM, not for reading.
    if client.status == ClientStatus::Deleted {
        return Err(Problem::not_found(format!(
            "client {} was deleted",
            client.id
        )));
    }
    Ok(Json(ClientView::from(&client)))
}

#[utoipa::path(
    post,
    path = "/api/clients",
    tag = "Clients",
    summary = "Create a client (in PM Hub only)",
    request_body(content = ClientInputDocument, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ClientView, content_type = "application/json"),
        (status = 413, description = "Body too large", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn create<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ClientInput>,
) -> Result<(StatusCode, Json<ClientView>), Problem> {
    let details = input.into_details()?;
    let client = state
        .app
        .create_client(user.practice, user.id, details)
        .await?;
    Ok((StatusCode::CREATED, Json(ClientView::from(&client))))
}

#[utoipa::path(
    put,
    path = "/api/clients/{client}",
    tag = "Clients",
    summary = "Update a client (in PM Hub only; nothing syncs until someone presses Sync)",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id")),
    request_body(content = ClientInputDocument, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = ClientView, content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument),
        (status = 409, description = "Not possible in the current state (e.g. not connected)", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn update<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
    ApiJson(input): ApiJson<ClientInput>,
) -> Result<Json<ClientView>, Problem> {
    let id: ClientId = parse_id(&client)?;
    let details = input.into_details()?;
    let client = state
        .app
        .update_client(user.practice, user.id, id, details)
        .await?;
    Ok(Json(ClientView::from(&client)))
}

async fn set_status<S: AppStore>(
    state: &AppState<S>,
    user: &domain::practice::User,
    client: &str,
    status: ClientStatus,
) -> Result<Json<ClientView>, Problem> {
    let client = state
        .app
        .set_client_status(user.practice, user.id, parse_id(client)?, status)
        .await?;
    Ok(Json(ClientView::from(&client)))
}

/// Deactivates in PM Hub only; XPM keeps the client.
#[utoipa::path(
    post,
    path = "/api/clients/{client}/deactivate",
    tag = "Clients",
    summary = "Deactivate in PM Hub only; XPM keeps the client",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id")),
    responses(
        (status = 200, description = "OK", body = ClientView, content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument),
        (status = 409, description = "Not possible in the current state (e.g. not connected)", body = ProblemDocument)
    )
)]
pub async fn deactivate<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
) -> Result<Json<ClientView>, Problem> {
    set_status(&state, &user, &client, ClientStatus::Deactivated).await
}

#[utoipa::path(
    post,
    path = "/api/clients/{client}/reactivate",
    tag = "Clients",
    summary = "Reactivate a deactivated client",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id")),
    responses(
        (status = 200, description = "OK", body = ClientView, content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument),
        (status = 409, description = "Not possible in the current state (e.g. not connected)", body = ProblemDocument)
    )
)]
pub async fn reactivate<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
) -> Result<Json<ClientView>, Problem> {
    set_status(&state, &user, &client, ClientStatus::Active).await
}

/// Deletes in PM Hub only (the record is kept, marked deleted); XPM keeps the client.
#[utoipa::path(
    delete,
    path = "/api/clients/{client}",
    tag = "Clients",
    summary = "Delete a client in PM Hub (kept, marked deleted); XPM keeps it",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id")),
    responses(
        (status = 200, description = "OK", body = ClientView, content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument)
    )
)]
pub async fn delete<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
) -> Result<Json<ClientView>, Problem> {
    set_status(&state, &user, &client, ClientStatus::Deleted).await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Association)]
pub struct AssociationView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub client_id: String,
    #[schema(format = Uuid)]
    pub related_client_id: String,
    #[schema(format = Uuid)]
    pub association_type_id: String,
    pub shares: Option<u32>,
    pub percentage: Option<String>,
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[schema(format = Date)]
    pub end_date: Option<String>,
}

impl From<&domain::association::Association> for AssociationView {
    fn from(a: &domain::association::Association) -> Self {
        let terms = a.terms();
        Self {
            id: a.id().to_string(),
            client_id: a.client().to_string(),
            related_client_id: a.related().to_string(),
            association_type_id: a.association_type().to_string(),
            shares: terms.shares.map(ShareCount::get),
            percentage: terms.percentage.map(|p| p.to_string()),
            start_date: terms.start_date.map(|d| d.to_string()),
            end_date: terms.end_date.map(|d| d.to_string()),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssociationInput {
    #[schema(format = Uuid)]
    pub related_client_id: String,
    #[schema(format = Uuid)]
    pub association_type_id: String,
    #[schema(minimum = 1, maximum = 2147483647)]
    #[serde(default, deserialize_with = "whole_number")]
    pub shares: Option<u64>,
    #[schema(schema_with = crate::api::field_schema::percentage)]
    pub percentage: Option<String>,
    /// `yyyy-mm-dd`.
    #[schema(format = Date)]
    pub start_date: Option<String>,
    /// `yyyy-mm-dd`, not before the start date.
    #[schema(format = Date)]
    pub end_date: Option<String>,
}

/// An association's terms, replaced as a whole (an absent one is cleared).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AssociationTerms)]
pub struct TermsInput {
    #[schema(minimum = 1, maximum = 2147483647)]
    #[serde(default, deserialize_with = "whole_number")]
    pub shares: Option<u64>,
    #[schema(schema_with = crate::api::field_schema::percentage)]
    pub percentage: Option<String>,
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[schema(format = Date)]
    pub end_date: Option<String>,
}

/// JSON has one kind of number: `394.0` is the whole number 394, as JSON
/// Schema's `integer` also says.
pub(crate) fn whole_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<u64>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = number.as_u64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(f))
            .map(|f| f as u64)
    });
    whole
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("expected a whole number, got {number}")))
}

#[utoipa::path(
    get,
    path = "/api/clients/{client}/associations",
    tag = "Clients",
    summary = "The client's associations",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id")),
    responses(
        (status = 200, description = "OK", body = [AssociationView], content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument)
    )
)]
pub async fn associations<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
) -> Result<Json<Vec<AssociationView>>, Problem> {
    let list = state
        .app
        .associations_of(user.practice, user.id, parse_id(&client)?)
        .await?;
    Ok(Json(list.iter().map(AssociationView::from).collect()))
}

#[utoipa::path(
    post,
    path = "/api/clients/{client}/associations",
    tag = "Clients",
    summary = "Add an association",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id")),
    request_body(content = AssociationInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = AssociationView, content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument),
        (status = 409, description = "The client is deleted in PM Hub: its associations cannot change; or (`missing-reference`, `errors` names the field) the related client or the association type is not in this practice", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn add_association<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(client): ApiPath<String>,
    ApiJson(input): ApiJson<AssociationInput>,
) -> Result<(StatusCode, Json<AssociationView>), Problem> {
    let mut errors = Vec::new();
    let mut field = |name: &str, message: String| {
        errors.push(FieldProblem {
            field: name.into(),
            message,
        })
    };
    let related: Option<ClientId> = input
        .related_client_id
        .parse()
        .map_err(|e: domain::ids::InvalidId| field("relatedClientId", e.to_string()))
        .ok();
    let kind: Option<AssociationTypeId> = input
        .association_type_id
        .parse()
        .map_err(|e: domain::ids::InvalidId| field("associationTypeId", e.to_string()))
        .ok();
    let terms = parse_terms(
        input.shares,
        input.percentage.as_deref(),
        input.start_date.as_deref(),
        input.end_date.as_deref(),
    )
    .map_err(|e| errors.extend(e))
    .ok();
    let (Some(related), Some(kind), Some(terms)) = (related, kind, terms) else {
        return Err(Problem::invalid(errors));
    };
    let association = state
        .app
        .add_association(
            user.practice,
            user.id,
            parse_id(&client)?,
            related,
            kind,
            terms,
        )
        .await
        .map_err(|e| match e {
            // The body names them: the problem names the field.
            RecordsError::ClientNotFound(missing) if missing == related => {
                Problem::missing_reference("relatedClientId", e.to_string())
            }
            RecordsError::AssociationTypeNotFound(_) => {
                Problem::missing_reference("associationTypeId", e.to_string())
            }
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(AssociationView::from(&association)),
    ))
}

/// Changes an association's shares, percentage and dates in PM Hub only;
/// the next Sync of its client writes them on the XPM relationship.
#[utoipa::path(
    put,
    path = "/api/clients/{client}/associations/{association}",
    tag = "Clients",
    summary = "Change an association's shares, percentage and dates (PM Hub only; nothing syncs until someone presses Sync)",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id"), ("association" = String, Path, format = Uuid, description = "Association id")),
    request_body(content = TermsInput, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = AssociationView, content_type = "application/json"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument),
        (status = 409, description = "The client is deleted in PM Hub: its associations cannot change", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field (an end date before the start date names endDate)", body = ProblemDocument)
    )
)]
pub async fn update_association_terms<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath((client, association)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<TermsInput>,
) -> Result<Json<AssociationView>, Problem> {
    let client: ClientId = parse_id(&client)?;
    let association: AssociationId = parse_id(&association)?;
    let terms = parse_terms(
        input.shares,
        input.percentage.as_deref(),
        input.start_date.as_deref(),
        input.end_date.as_deref(),
    )
    .map_err(Problem::invalid)?;
    let changed = state
        .app
        .update_association_terms(user.practice, user.id, client, association, terms)
        .await?;
    Ok(Json(AssociationView::from(&changed)))
}

/// Removes an association in PM Hub only; a relationship already in XPM stays.
#[utoipa::path(
    delete,
    path = "/api/clients/{client}/associations/{association}",
    tag = "Clients",
    summary = "Remove an association from PM Hub; a relationship already in XPM stays",
    params(("client" = String, Path, format = Uuid, description = "PM Hub client id"), ("association" = String, Path, format = Uuid, description = "Association id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "Not found in this practice", body = ProblemDocument)
    )
)]
pub async fn remove_association<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath((client, association)): ApiPath<(String, String)>,
) -> Result<StatusCode, Problem> {
    let association: AssociationId = parse_id(&association)?;
    state
        .app
        .remove_association(user.practice, user.id, parse_id(&client)?, association)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
