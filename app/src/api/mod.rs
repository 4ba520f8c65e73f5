//! The JSON API under `/api`, authenticated by bearer API tokens. Handlers
//! are thin: extract, call a use case, answer; errors become problem details.

pub mod activity;
pub mod client_dto;
pub mod client_id_field;
pub mod clients;
pub mod integration;
pub mod mappings;
pub mod problem;
pub mod sync;

use std::str::FromStr;

use axum::Router;
use axum::extract::FromRequest;
use axum::routing::{get, post, put};

use crate::state::{AppState, AppStore};
use problem::Problem;

/// A JSON body whose rejection is a problem detail.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(Problem))]
pub struct ApiJson<T>(pub T);

/// Path segments whose rejection (e.g. not UTF-8) is a problem detail.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct ApiPath<T>(pub T);

/// A typed id from a path segment; a malformed one is simply not found.
pub fn parse_id<T: FromStr>(raw: &str) -> Result<T, Problem> {
    raw.parse()
        .map_err(|_| Problem::not_found(format!("`{raw}` is not a known id")))
}

/// The OpenAPI description of this API, served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("../../openapi/openapi.json");

/// Every route of [`router`], as (method, path): the test
/// `the_openapi_document_describes_every_route` keeps this list, the router
/// and the OpenAPI document in step.
pub const ROUTES: [(&str, &str); 27] = [
    ("get", "/api/clients"),
    ("post", "/api/clients"),
    ("get", "/api/clients/{client}"),
    ("put", "/api/clients/{client}"),
    ("delete", "/api/clients/{client}"),
    ("post", "/api/clients/{client}/deactivate"),
    ("post", "/api/clients/{client}/reactivate"),
    ("get", "/api/clients/{client}/associations"),
    ("post", "/api/clients/{client}/associations"),
    ("put", "/api/clients/{client}/associations/{association}"),
    ("delete", "/api/clients/{client}/associations/{association}"),
    ("get", "/api/clients/{client}/sync-preview"),
    ("post", "/api/clients/{client}/sync"),
    ("post", "/api/clients/{client}/unlink"),
    ("get", "/api/association-types"),
    ("post", "/api/association-types"),
    ("put", "/api/association-types/{association_type}/mapping"),
    ("get", "/api/xpm-relationship-types"),
    ("get", "/api/integration"),
    ("post", "/api/integration/connect"),
    ("post", "/api/integration/organisation"),
    ("post", "/api/integration/organisation/name"),
    ("post", "/api/integration/disconnect"),
    ("get", "/api/integration/client-id-field"),
    ("put", "/api/integration/client-id-field"),
    ("get", "/api/activity"),
    ("get", "/api/activity.csv"),
];

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

pub fn router<S: AppStore>() -> Router<AppState<S>> {
    Router::new()
        .route(
            "/api/clients",
            get(clients::list::<S>).post(clients::create::<S>),
        )
        .route(
            "/api/clients/{client}",
            get(clients::show::<S>)
                .put(clients::update::<S>)
                .delete(clients::delete::<S>),
        )
        .route(
            "/api/clients/{client}/deactivate",
            post(clients::deactivate::<S>),
        )
        .route(
            "/api/clients/{client}/reactivate",
            post(clients::reactivate::<S>),
        )
        .route(
            "/api/clients/{client}/associations",
            get(clients::associations::<S>).post(clients::add_association::<S>),
        )
        .route(
            "/api/clients/{client}/associations/{association}",
            put(clients::update_association_terms::<S>).delete(clients::remove_association::<S>),
        )
        .route(
            "/api/clients/{client}/sync-preview",
            get(sync::preview::<S>),
        )
        .route("/api/clients/{client}/sync", post(sync::sync::<S>))
        .route("/api/clients/{client}/unlink", post(sync::unlink::<S>))
        .route(
            "/api/association-types",
            get(mappings::list::<S>).post(mappings::create::<S>),
        )
        .route(
            "/api/association-types/{association_type}/mapping",
            put(mappings::map::<S>),
        )
        .route("/api/xpm-relationship-types", get(mappings::xpm_types))
        .route("/api/integration", get(integration::status::<S>))
        .route("/api/integration/connect", post(integration::connect::<S>))
        .route(
            "/api/integration/organisation",
            post(integration::choose_organisation::<S>),
        )
        .route(
            "/api/integration/organisation/name",
            post(integration::name_organisation::<S>),
        )
        .route(
            "/api/integration/disconnect",
            post(integration::disconnect::<S>),
        )
        .route(
            "/api/integration/client-id-field",
            get(client_id_field::show::<S>).put(client_id_field::set::<S>),
        )
        .route("/api/activity", get(activity::list::<S>))
        .route("/api/activity.csv", get(activity::csv::<S>))
        .route("/openapi.json", get(openapi))
}
