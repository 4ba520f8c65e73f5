//! Association Types: map each to one of XPM's relationship types.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::ids::AssociationTypeId;
use domain::practice::Role;
use domain::relationship_type::XpmRelationshipType;
use domain::text::AssociationTypeName;
use serde::Deserialize;

use domain::usecases::SettingsError;

use crate::auth::PageUser;
use crate::state::{AppState, AppStore};
use crate::web::{Nav, forged, message_page, render};

pub struct TypeRow {
    id: String,
    name: String,
    mapped: Option<String>,
    /// The saved mapping names a type XPM does not have: flagged, kept.
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "association_types.html")]
struct MappingsPage {
    nav: Option<Nav>,
    types: Vec<TypeRow>,
    xpm_types: Vec<String>,
    is_admin: bool,
    csrf: String,
    notices: Vec<String>,
}

pub async fn page<S: AppStore>(State(state): State<AppState<S>>, page: PageUser) -> Response {
    let practice = page.user.practice;
    let mut mappings = match state.app.type_mappings(practice, page.user.id).await {
        Ok(mappings) => mappings,
        Err(e) => {
            return message_page(
                StatusCode::SERVICE_UNAVAILABLE,
                Nav::of(&page),
                "Association types unavailable",
                &e.to_string(),
                "/",
            );
        }
    };
    mappings.sort_by_cached_key(|m| m.association_type.name.as_str().to_lowercase());
    render(&MappingsPage {
        nav: Nav::of(&page),
        types: mappings
            .iter()
            .map(|m| TypeRow {
                id: m.association_type.id.to_string(),
                name: m.association_type.name.to_string(),
                mapped: m.mapped.as_ref().map(ToString::to_string),
                problem: m.problem(),
            })
            .collect(),
        xpm_types: state
            .app
            .relationship_types
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        is_admin: page.user.role == Role::Admin,
        csrf: page.session.csrf.clone(),
        notices: Vec::new(),
    })
}

#[derive(Debug, Deserialize)]
pub struct MappingForm {
    csrf: String,
    xpm_type: String,
}

pub async fn map<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Path(id): Path<String>,
    Form(form): Form<MappingForm>,
) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    let Ok(id) = id.parse::<AssociationTypeId>() else {
        return message_page(
            StatusCode::NOT_FOUND,
            Nav::of(&page),
            "No such association type",
            "This association type does not exist.",
            "/association-types",
        );
    };
    let target = match form.xpm_type.trim() {
        "" => None,
        name => match XpmRelationshipType::new(name) {
            Ok(t) => Some(t),
            Err(e) => {
                return message_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Nav::of(&page),
                    "Not saved",
                    &e.to_string(),
                    "/association-types",
                );
            }
        },
    };
    match state
        .app
        .configure_mapping(page.user.practice, page.user.id, id, target)
        .await
    {
        Ok(_) => Redirect::to("/association-types").into_response(),
        Err(e @ SettingsError::NotAnXpmRelationshipType { .. }) => message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Nav::of(&page),
            "Not saved",
            &e.to_string(),
            "/association-types",
        ),
        Err(e) => message_page(
            StatusCode::FORBIDDEN,
            Nav::of(&page),
            "Not saved",
            &e.to_string(),
            "/association-types",
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct NewTypeForm {
    csrf: String,
    name: String,
}

pub async fn create<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Form(form): Form<NewTypeForm>,
) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    let name = match AssociationTypeName::new(&form.name) {
        Ok(n) => n,
        Err(e) => {
            return message_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                Nav::of(&page),
                "Not added",
                &e.to_string(),
                "/association-types",
            );
        }
    };
    match state
        .app
        .create_association_type(page.user.practice, page.user.id, name)
        .await
    {
        Ok(_) => Redirect::to("/association-types").into_response(),
        Err(e) => message_page(
            StatusCode::FORBIDDEN,
            Nav::of(&page),
            "Not added",
            &e.to_string(),
            "/association-types",
        ),
    }
}
