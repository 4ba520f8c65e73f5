//! PM Hub's records by PM Hub's own ids: a PM Hub deployment sends each
//! client, association and association type as it holds it, under its id,
//! as often as it likes. The same body twice is one record, and the second
//! put writes nothing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::association::AssociationType;
use domain::text::{AssociationTypeName, PmHubId};
use domain::usecases::{PmHubAssociation, PutOutcome};
use serde::{Deserialize, Serialize};

use crate::api::client_dto::{ClientInput, ClientInputDocument, ClientView};
use crate::api::clients::AssociationView;
use crate::api::mappings::AssociationTypeView;
use crate::api::{ApiJson, ApiPath};
use crate::auth::ApiUser;
use crate::input::parse_terms;
use crate::problem::{Problem, ProblemDocument};
use crate::state::{AppState, AppStore};

/// The path of a record by PM Hub's id.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PmHubPath {
    /// The id PM Hub gives the record.
    #[param(schema_with = crate::api::field_schema::pmhub_id)]
    pub pmhub_id: String,
}

impl PmHubPath {
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
    params(PmHubPath),
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
    ApiPath(path): ApiPath<PmHubPath>,
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
    params(PmHubPath),
    responses(
        (status = 200, description = "OK", body = ClientView, content_type = "application/json"),
        (status = 404, description = "No client by this id in this practice, or deleted", body = ProblemDocument)
    )
)]
pub async fn get_client<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(path): ApiPath<PmHubPath>,
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
    params(PmHubPath),
    responses(
        (status = 200, description = "Deleted; the client as it now is", body = ClientView, content_type = "application/json"),
        (status = 404, description = "No client by this id in this practice, or deleted", body = ProblemDocument)
    )
)]
pub async fn delete_client<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(path): ApiPath<PmHubPath>,
) -> Result<Json<ClientView>, Problem> {
    let client = state
        .app
        .delete_client_by_pmhub_id(user.practice, user.id, &path.id()?)
        .await?;
    Ok(Json(ClientView::from(&client)))
}

/// An association as PM Hub sends it: the clients and the type by PM Hub's
/// ids, and its terms (replaced as a whole).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PmHubAssociationInput)]
pub struct AssociationInput {
    /// PM Hub's id of the client the association is on.
    #[schema(schema_with = crate::api::field_schema::pmhub_id)]
    pub client_id: String,
    /// PM Hub's id of the related client.
    #[schema(schema_with = crate::api::field_schema::pmhub_id)]
    pub related_client_id: String,
    /// PM Hub's id of the association type.
    #[schema(schema_with = crate::api::field_schema::pmhub_id)]
    pub association_type_id: String,
    // The terms, as `AssociationTerms` reads them (not flattened: serde
    // cannot refuse unknown fields through a flatten).
    #[schema(minimum = 1, maximum = 2147483647)]
    #[serde(default, deserialize_with = "crate::api::clients::whole_number")]
    pub shares: Option<u64>,
    #[schema(schema_with = crate::api::field_schema::percentage)]
    pub percentage: Option<String>,
    #[schema(format = Date)]
    pub start_date: Option<String>,
    /// Not before the start date.
    #[schema(format = Date)]
    pub end_date: Option<String>,
}

/// An association type as PM Hub sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PmHubAssociationTypeInput)]
pub struct AssociationTypeInput {
    #[schema(schema_with = crate::api::field_schema::association_type_name)]
    pub name: String,
}

/// A reference in a body, by PM Hub's id; a malformed one is the body's fault.
fn reference(field: &str, raw: &str) -> Result<PmHubId, Problem> {
    PmHubId::new(raw)
        .ok()
        .filter(|id| id.as_str() == raw)
        .ok_or_else(|| Problem::invalid_field(field, format!("`{raw}` is not a PM Hub id")))
}

/// What a put did, and the association as it now is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PutAssociationOutcome)]
pub struct PutAssociationView {
    /// `created`, `updated` or `unchanged`.
    pub outcome: &'static str,
    pub association: AssociationView,
}

/// What a put did, and the association type as it now is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PutAssociationTypeOutcome)]
pub struct PutAssociationTypeView {
    /// `created`, `updated` or `unchanged`.
    pub outcome: &'static str,
    pub association_type: AssociationTypeView,
}

fn created_or_ok(outcome: PutOutcome) -> StatusCode {
    match outcome {
        PutOutcome::Created => StatusCode::CREATED,
        PutOutcome::Updated | PutOutcome::Unchanged => StatusCode::OK,
    }
}

#[utoipa::path(
    put,
    path = "/api/pmhub/associations/{pmhub_id}",
    tag = "PM Hub records",
    summary = "Create or replace the association PM Hub knows by this id, between clients and of a type named by PM Hub's ids (in PM Hub only; idempotent; nothing syncs)",
    params(PmHubPath),
    request_body(content = AssociationInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = PutAssociationView, content_type = "application/json"),
        (status = 200, description = "Updated, or unchanged", body = PutAssociationView, content_type = "application/json"),
        (status = 404, description = "Not a PM Hub id (see its pattern)", body = ProblemDocument),
        (status = 409, description = "`missing-reference`: a client or the type named is not in this practice (`errors` names the field); or its client is deleted", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field (an end date before the start date names endDate)", body = ProblemDocument)
    )
)]
pub async fn put_association<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(path): ApiPath<PmHubPath>,
    ApiJson(input): ApiJson<AssociationInput>,
) -> Result<(StatusCode, Json<PutAssociationView>), Problem> {
    let id = path.id()?;
    let client = reference("clientId", &input.client_id)?;
    let related = reference("relatedClientId", &input.related_client_id)?;
    let kind = reference("associationTypeId", &input.association_type_id)?;
    let terms = parse_terms(
        input.shares,
        input.percentage.as_deref(),
        input.start_date.as_deref(),
        input.end_date.as_deref(),
    )
    .map_err(Problem::invalid)?;
    let refs = PmHubAssociation {
        client: &client,
        related: &related,
        association_type: &kind,
    };
    let (association, outcome) = state
        .app
        .put_association(user.practice, user.id, &id, refs, terms)
        .await?;
    let view = PutAssociationView {
        outcome: outcome.code(),
        association: AssociationView::from(&association),
    };
    Ok((created_or_ok(outcome), Json(view)))
}

#[utoipa::path(
    get,
    path = "/api/pmhub/associations/{pmhub_id}",
    tag = "PM Hub records",
    summary = "Read the association PM Hub knows by this id",
    params(PmHubPath),
    responses(
        (status = 200, description = "OK", body = AssociationView, content_type = "application/json"),
        (status = 404, description = "No association by this id in this practice (or its client is deleted)", body = ProblemDocument)
    )
)]
pub async fn get_association<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(path): ApiPath<PmHubPath>,
) -> Result<Json<AssociationView>, Problem> {
    let association = state
        .app
        .association_by_pmhub_id(user.practice, user.id, &path.id()?)
        .await?;
    Ok(Json(AssociationView::from(&association)))
}

#[utoipa::path(
    delete,
    path = "/api/pmhub/associations/{pmhub_id}",
    tag = "PM Hub records",
    summary = "Remove the association PM Hub knows by this id, in PM Hub only (a relationship already in XPM stays)",
    params(PmHubPath),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No association by this id in this practice", body = ProblemDocument)
    )
)]
pub async fn delete_association<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(path): ApiPath<PmHubPath>,
) -> Result<StatusCode, Problem> {
    state
        .app
        .remove_association_by_pmhub_id(user.practice, user.id, &path.id()?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The type with its mapping, as the association types' list shows it.
async fn type_view<S: AppStore>(
    state: &AppState<S>,
    user: &domain::practice::User,
    association_type: &AssociationType,
) -> Result<AssociationTypeView, Problem> {
    let mappings = state.app.type_mappings(user.practice, user.id).await?;
    mappings
        .iter()
        .find(|m| m.association_type.id == association_type.id)
        .map(AssociationTypeView::from)
        .ok_or_else(|| Problem::not_found("association type"))
}

#[utoipa::path(
    put,
    path = "/api/pmhub/association-types/{pmhub_id}",
    tag = "PM Hub records",
    summary = "Create or rename the association type PM Hub knows by this id (admins; idempotent; its mapping is kept)",
    params(PmHubPath),
    request_body(content = AssociationTypeInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = PutAssociationTypeView, content_type = "application/json"),
        (status = 200, description = "Renamed, or unchanged", body = PutAssociationTypeView, content_type = "application/json"),
        (status = 403, description = "Only an administrator can do this", body = ProblemDocument),
        (status = 404, description = "Not a PM Hub id (see its pattern)", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn put_association_type<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(path): ApiPath<PmHubPath>,
    ApiJson(input): ApiJson<AssociationTypeInput>,
) -> Result<(StatusCode, Json<PutAssociationTypeView>), Problem> {
    let id = path.id()?;
    let name = AssociationTypeName::new(&input.name)
        .map_err(|e| Problem::invalid_field("name", e.to_string()))?;
    let (association_type, outcome) = state
        .app
        .put_association_type(user.practice, user.id, &id, name)
        .await?;
    let view = PutAssociationTypeView {
        outcome: outcome.code(),
        association_type: type_view(&state, &user, &association_type).await?,
    };
    Ok((created_or_ok(outcome), Json(view)))
}

#[utoipa::path(
    get,
    path = "/api/pmhub/association-types/{pmhub_id}",
    tag = "PM Hub records",
    summary = "Read the association type PM Hub knows by this id, with its mapping",
    params(PmHubPath),
    responses(
        (status = 200, description = "OK", body = AssociationTypeView, content_type = "application/json"),
        (status = 404, description = "No association type by this id in this practice", body = ProblemDocument)
    )
)]
pub async fn get_association_type<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(path): ApiPath<PmHubPath>,
) -> Result<Json<AssociationTypeView>, Problem> {
    let association_type = state
        .app
        .association_type_by_pmhub_id(user.practice, user.id, &path.id()?)
        .await?;
    Ok(Json(type_view(&state, &user, &association_type).await?))
}
