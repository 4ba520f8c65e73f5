//! Association types and their XPM relationship type mappings.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::association::AssociationType;
use domain::relationship_type::XpmRelationshipType;
use domain::settings::IntegrationSettings;
use domain::text::AssociationTypeName;
use serde::{Deserialize, Serialize};

use crate::api::problem::{FieldProblem, Problem};
use crate::api::{ApiJson, ApiPath, parse_id};
use crate::auth::ApiUser;
use crate::state::{AppState, AppStore};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationTypeView {
    pub id: String,
    pub name: String,
    /// The XPM relationship type it syncs as; `null` when unmapped (it does not sync).
    pub xpm_relationship_type: Option<&'static str>,
}

pub fn views(
    types: &[AssociationType],
    settings: &IntegrationSettings,
) -> Vec<AssociationTypeView> {
    types
        .iter()
        .map(|t| AssociationTypeView {
            id: t.id.to_string(),
            name: t.name.to_string(),
            xpm_relationship_type: settings
                .mapping_for(t.id)
                .map(XpmRelationshipType::xpm_name),
        })
        .collect()
}

pub async fn list<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<AssociationTypeView>>, Problem> {
    let types = state.app.association_types(user.practice, user.id).await?;
    let settings = domain::ports::SettingsStore::settings(state.store(), user.practice).await?;
    Ok(Json(views(&types, &settings)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAssociationType {
    pub name: String,
}

pub async fn create<S: AppStore>(
    State(state): State<AppState<S>>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<NewAssociationType>,
) -> Result<(StatusCode, Json<AssociationTypeView>), Problem> {
    let name = AssociationTypeName::new(&input.name).map_err(|e| {
        Problem::invalid(vec![FieldProblem {
            field: "name".into(),
            message: e.to_string(),
        }])
    })?;
    let created = state
        .app
        .create_association_type(user.practice, user.id, name)
        .await?;
    let view = AssociationTypeView {
        id: created.id.to_string(),
        name: created.name.to_string(),
        xpm_relationship_type: None,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MappingInput {
    /// One of XPM's relationship types, or `null` to unmap.
    pub xpm_relationship_type: Option<String>,
}

/// Parses a relationship type name, naming the allowed ones when it is not one.
pub fn parse_xpm_type(name: &str) -> Result<XpmRelationshipType, Problem> {
    XpmRelationshipType::from_xpm_name(name).map_err(|e| {
        let allowed: Vec<_> = XpmRelationshipType::ALL
            .iter()
            .map(|t| t.xpm_name())
            .collect();
        Problem::invalid(vec![FieldProblem {
            field: "xpmRelationshipType".into(),
            message: format!("{e}; XPM accepts: {}", allowed.join(", ")),
        }])
    })
}

/// Maps (or unmaps) an association type. Admins only; nothing syncs until someone presses Sync.
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
    let settings = state
        .app
        .configure_mapping(user.practice, user.id, id, target)
        .await?;
    let types = state.app.association_types(user.practice, user.id).await?;
    views(&types, &settings)
        .into_iter()
        .find(|v| v.id == id.to_string())
        .map(Json)
        .ok_or_else(|| Problem::not_found("association type"))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct XpmTypeView {
    pub name: &'static str,
    pub reciprocal: &'static str,
    pub carries_shares: bool,
}

/// XPM's relationship types, in their pairs.
pub async fn xpm_types() -> Json<Vec<XpmTypeView>> {
    Json(
        XpmRelationshipType::ALL
            .iter()
            .map(|t| XpmTypeView {
                name: t.xpm_name(),
                reciprocal: t.reciprocal().xpm_name(),
                carries_shares: t.carries_shares(),
            })
            .collect(),
    )
}
