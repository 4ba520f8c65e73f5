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

/// A JSON body whose rejection is a problem detail. Read as the document
/// describes it: objects by their fields, never as a list of values.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Problem> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        from_body(value).map(ApiJson)
    }
}

/// Reads a body as `T`. serde would also read an object from a list of its
/// field values (`[null]` as `{"fieldUuid": null}`), which no schema of this
/// API allows: no field of any body is a list, so a list anywhere is refused.
pub fn from_body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    fn list_at(value: &serde_json::Value, at: &str) -> Option<String> {
        match value {
            serde_json::Value::Array(_) => Some(if at.is_empty() {
                "the body".into()
            } else {
                at.into()
            }),
            serde_json::Value::Object(fields) => fields.iter().find_map(|(name, v)| {
                list_at(
                    v,
                    &if at.is_empty() {
                        name.clone()
                    } else {
                        format!("{at}.{name}")
                    },
                )
            }),
            _ => None,
        }
    }
    if let Some(at) = list_at(&value, "") {
        return Err(Problem::bad_request(format!(
            "{at} is a list; the API's bodies hold objects and values only"
        )));
    }
    serde_json::from_value(value)
        .map_err(|e| Problem::bad_request(format!("the body does not fit this request: {e}")))
}

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
    pmhub::put_association,
    pmhub::get_association,
    pmhub::delete_association,
    pmhub::put_association_type,
    pmhub::get_association_type,
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
