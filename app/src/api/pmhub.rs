//! PM Hub's clients by PM Hub's own ids: a PM Hub deployment sends each
//! client as it holds it, under its id, as often as it likes. The same body
//! twice is one client, and the second put writes nothing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::text::PmHubId;
use domain::usecases::PutOutcome;
use serde::{Deserialize, Serialize};

use crate::api::client_dto::{ClientInput, ClientInputDocument, ClientView};
use crate::api::{ApiJson, ApiPath};
use crate::auth::ApiUser;
use crate::problem::{Problem, ProblemDocument};
use crate::state::{AppState, AppStore};

/// The path of a client by PM Hub's id.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PmHubClientPath {
    /// The id PM Hub gives the client.
    #[param(schema_with = crate::api::field_schema::pmhub_id)]
    pub pmhub_id: String,
}

impl PmHubClientPath {
    /// A malformed id names no client: not found, as for any path.
    fn id(&self) -> Result<PmHubId, Problem> {
        let raw = &self.pmhub_id;
        match PmHubId::new(raw) {
            // Read exactly: a path segment is not trimmed.
            Ok(id) if id.as_str() == raw => Ok(id),
            Ok(_) => Err(Problem::not_found(format!("`{raw}` is not a PM Hub id"))),
            Err(e) => Err(Problem::not_found(format!("`{raw}`: {e}"))),
        }
    }
}

/// What a put did, and the client as it now is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PutClientOutcome)]
pub struct PutView {
    /// `created`, `updated`, or `unchanged` (the body was what the client
    /// already held: nothing was written).
    pub outcome: &'static str,
    pub client: ClientView,
}

#[utoipa::path(
    put,
    path = "/api/pmhub/clients/{pmhub_id}",
    tag = "PM Hub records",
    summary = "Create or replace the client PM Hub knows by this id (in PM Hub only; idempotent; nothing syncs)",
    params(PmHubClientPath),
    request_body(content = ClientInputDocument, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = PutView, content_type = "application/json"),
        (status = 200, description = "Updated, or unchanged", body = PutView, content_type = "application/json"),
        (status = 404, description = "Not a PM Hub id (see its pattern)", body = ProblemDocument),
        (status = 409, description = "The client is deleted in PM Hub and cannot change, or another put is creating it", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn put_client<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(path): ApiPath<PmHubClientPath>,
    ApiJson(input): ApiJson<ClientInput>,
) -> Result<(StatusCode, Json<PutView>), Problem> {
    let id = path.id()?;
    let details = input.into_details()?;
    let (client, outcome) = state
        .app
        .put_client(user.practice, user.id, &id, details)
        .await?;
    let status = match outcome {
        PutOutcome::Created => StatusCode::CREATED,
        PutOutcome::Updated | PutOutcome::Unchanged => StatusCode::OK,
    };
    let view = PutView {
        outcome: outcome.code(),
        client: ClientView::from(&client),
    };
    Ok((status, Json(view)))
}

#[utoipa::path(
    get,
    path = "/api/pmhub/clients/{pmhub_id}",
    tag = "PM Hub records",
    summary = "Read the client PM Hub knows by this id",
    params(PmHubClientPath),
    responses(
        (status = 200, description = "OK", body = ClientView, content_type = "application/json"),
        (status = 404, description = "No client by this id in this practice, or deleted", body = ProblemDocument)
    )
)]
pub async fn get_client<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(path): ApiPath<PmHubClientPath>,
) -> Result<Json<ClientView>, Problem> {
    let client = state
        .app
        .client_by_pmhub_id(user.practice, user.id, &path.id()?)
        .await?;
    Ok(Json(ClientView::from(&client)))
}

#[utoipa::path(
    delete,
    path = "/api/pmhub/clients/{pmhub_id}",
    tag = "PM Hub records",
    summary = "Delete the client PM Hub knows by this id, in PM Hub only (XPM keeps what it has)",
    params(PmHubClientPath),
    responses(
        (status = 200, description = "Deleted; the client as it now is", body = ClientView, content_type = "application/json"),
        (status = 404, description = "No client by this id in this practice, or deleted", body = ProblemDocument)
    )
)]
pub async fn delete_client<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(path): ApiPath<PmHubClientPath>,
) -> Result<Json<ClientView>, Problem> {
    let client = state
        .app
        .delete_client_by_pmhub_id(user.practice, user.id, &path.id()?)
        .await?;
    Ok(Json(ClientView::from(&client)))
}
