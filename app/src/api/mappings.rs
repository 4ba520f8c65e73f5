//! Association types and their XPM relationship type mappings.

use crate::problem::ProblemDocument;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::relationship_type::XpmRelationshipType;
use domain::text::AssociationTypeName;
use domain::usecases::TypeMapping;
use serde::{Deserialize, Serialize};

use crate::api::{ApiJson, ApiPath, parse_id};
use crate::auth::ApiUser;
use crate::problem::Problem;
use crate::state::{AppState, AppStore};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AssociationType)]
pub struct AssociationTypeView {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    /// The XPM relationship type it syncs as; `null` when unmapped (it does not sync).
    pub xpm_relationship_type: Option<String>,
    /// Set when the mapping names a type the target XPM does not have (one
    /// saved before the list changed): it does not sync until a new type is chosen.
    pub mapping_problem: Option<String>,
}

impl From<&TypeMapping> for AssociationTypeView {
    fn from(m: &TypeMapping) -> Self {
        Self {
            id: m.association_type.id.to_string(),
            name: m.association_type.name.to_string(),
            xpm_relationship_type: m.mapped.as_ref().map(ToString::to_string),
            mapping_problem: m.problem(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/association-types",
    tag = "Settings",
    summary = "Association types and their XPM mapping",
    responses(
        (status = 200, description = "OK", body = [AssociationTypeView], content_type = "application/json")
    )
)]
pub async fn list<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<AssociationTypeView>>, Problem> {
    let mappings = state.app.type_mappings(user.practice, user.id).await?;
    Ok(Json(
        mappings.iter().map(AssociationTypeView::from).collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssociationType {
    #[schema(schema_with = crate::api::field_schema::association_type_name)]
    pub name: String,
}

#[utoipa::path(
    post,
    path = "/api/association-types",
    tag = "Settings",
    summary = "Add an association type (admins)",
    request_body(content = NewAssociationType, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = AssociationTypeView, content_type = "application/json"),
        (status = 403, description = "Only an administrator can do this", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn create<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<NewAssociationType>,
) -> Result<(StatusCode, Json<AssociationTypeView>), Problem> {
    let name = AssociationTypeName::new(&input.name)
        .map_err(|e| Problem::invalid_field("name", e.to_string()))?;
    let created = state
        .app
        .create_association_type(user.practice, user.id, name)
        .await?;
    let view = AssociationTypeView {
        id: created.id.to_string(),
        name: created.name.to_string(),
        xpm_relationship_type: None,
        mapping_problem: None,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MappingInput {
    #[schema(schema_with = crate::api::field_schema::xpm_type)]
    pub xpm_relationship_type: Option<String>,
}

/// Parses a relationship type name; whether XPM accepts it is the use case's to say.
pub fn parse_xpm_type(name: &str) -> Result<XpmRelationshipType, Problem> {
    XpmRelationshipType::new(name)
        .map_err(|e| Problem::invalid_field("xpmRelationshipType", e.to_string()))
}

/// Maps (or unmaps) an association type. Admins only; nothing syncs until someone presses Sync.
#[utoipa::path(
    put,
    path = "/api/association-types/{association_type}/mapping",
    tag = "Settings",
    summary = "Map (or unmap with null) an association type to an XPM relationship type (admins)",
    params(("association_type" = String, Path, format = Uuid, description = "Association type id")),
    request_body(content = MappingInput, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = AssociationTypeView, content_type = "application/json"),
        (status = 403, description = "Only an administrator can do this", body = ProblemDocument),
        (status = 404, description = "Not found in this practice", body = ProblemDocument),
        (status = 422, description = "Invalid input; `errors` names each bad field", body = ProblemDocument)
    )
)]
pub async fn map<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiPath(association_type): ApiPath<String>,
    ApiJson(input): ApiJson<MappingInput>,
) -> Result<Json<AssociationTypeView>, Problem> {
    let id = parse_id(&association_type)?;
    let target = input
        .xpm_relationship_type
        .as_deref()
        .map(parse_xpm_type)
        .transpose()?;
    state
        .app
        .configure_mapping(user.practice, user.id, id, target)
        .await?;
    let mappings = state.app.type_mappings(user.practice, user.id).await?;
    mappings
        .iter()
        .find(|m| m.association_type.id == id)
        .map(|m| Json(m.into()))
        .ok_or_else(|| Problem::not_found("association type"))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = XpmRelationshipType)]
pub struct XpmTypeView {
    pub name: String,
    /// How XPM shows it on the related client, when the list says.
    pub seen_from_related: Option<String>,
    pub carries_shares: bool,
    pub carries_percentage: bool,
}

/// The relationship types the target XPM accepts (the configured list).
#[utoipa::path(
    get,
    path = "/api/xpm-relationship-types",
    tag = "Settings",
    summary = "The relationship types the target XPM accepts (the configured list)",
    security(()),
    responses(
        (status = 200, description = "OK", body = [XpmTypeView], content_type = "application/json")
    )
)]
pub async fn xpm_types<S: AppStore>(State(state): State<AppState<S>>) -> Json<Vec<XpmTypeView>> {
    Json(
        state
            .app
            .relationship_types
            .iter()
            .map(|t| XpmTypeView {
                name: t.name.to_string(),
                seen_from_related: t.seen_from_related.clone(),
                carries_shares: t.shares,
                carries_percentage: t.percentage,
            })
            .collect(),
    )
}
