//! The JSON API under `/api`, authenticated by bearer API tokens. Handlers
//! are thin: extract, call a use case, answer; errors become problem details.

pub mod activity;
pub mod client_dto;
pub mod client_id_field;
pub mod clients;
pub(crate) mod field_schema;
pub mod integration;
pub mod mappings;
mod openapi;
pub mod pmhub;

pub mod sync;

use std::str::FromStr;

use axum::Router;
use axum::extract::FromRequest;
use axum::routing::{MethodFilter, get, on};

use crate::problem::{self, Problem};
use crate::state::{AppState, AppStore};
use openapi::Conventions;

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

/// Every route of the API, each written once: the router and the OpenAPI
/// document are both built from this list, and each handler's
/// `#[utoipa::path]` says its method, path, parameters and answers.
macro_rules! api {
    ($($module:ident :: $handler:ident),* $(,)?) => {
        /// The OpenAPI description of this API, served at `/openapi.json`.
        #[derive(Debug, utoipa::OpenApi)]
        #[openapi(
            paths($($module::$handler),*),
            components(schemas(problem::ProblemDocument)),
            modifiers(&Conventions),
            info(
                title = "pmhub-xpm",
                description = "Pushes PM Hub's clients and their relationships to Xero Practice Manager: one way, one client at a time, when a person presses Sync. Errors are RFC 9457 problem details.",
            ),
            servers((url = "/")),
            security(("apiToken" = [])),
        )]
        pub struct ApiDoc;

        pub fn router<S: AppStore>() -> Router<AppState<S>> {
            let router = Router::new();
            $(
                let router = paste::paste! {
                    route::<$module::[<__path_ $handler>], _, _, S>(router, $module::$handler::<S>)
                };
            )*
            router.route("/openapi.json", get(serve_openapi::<S>))
        }
    };
}

api![
    clients::list,
    clients::create,
    clients::show,
    clients::update,
    clients::delete,
    clients::deactivate,
    clients::reactivate,
    clients::associations,
    clients::add_association,
    clients::update_association_terms,
    clients::remove_association,
    pmhub::put_client,
    pmhub::get_client,
    pmhub::delete_client,
    sync::preview,
    sync::sync,
    sync::unlink,
    mappings::list,
    mappings::create,
    mappings::map,
    mappings::xpm_types,
    integration::status,
    integration::connect,
    integration::choose_organisation,
    integration::name_organisation,
    integration::disconnect,
    client_id_field::show,
    client_id_field::set,
    activity::list,
    activity::csv,
];

/// Adds `handler` at the method and path its `#[utoipa::path]` declares.
fn route<P, H, T, S>(router: Router<AppState<S>>, handler: H) -> Router<AppState<S>>
where
    P: utoipa::Path,
    H: axum::handler::Handler<T, AppState<S>>,
    T: 'static,
    S: AppStore,
{
    let filter = P::methods()
        .into_iter()
        .map(openapi::method_filter)
        .reduce(MethodFilter::or)
        .expect("every documented handler names a method");
    router.route(&P::path(), on(filter, handler))
}

/// The document for the relationship types XPM documents (the shipped
/// list), rendered once.
pub fn openapi_json() -> &'static str {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| openapi_json_for(&crate::relationship_types::shipped()))
}

/// The document for a deployment that knows `types`: a mapping accepts
/// exactly those names.
pub fn openapi_json_for(types: &domain::relationship_type::RelationshipTypes) -> String {
    use utoipa::OpenApi;
    let mut document = ApiDoc::openapi();
    field_schema::describe_deployment(&mut document, types);
    document
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}

async fn serve_openapi<S: AppStore>(
    axum::extract::State(state): axum::extract::State<AppState<S>>,
) -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_json_for(&state.app.relationship_types),
    )
}
