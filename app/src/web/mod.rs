//! Server-rendered pages (askama), for people: Integrations → Xero Practice
//! Manager, Clients with their Sync buttons, a client's preview, Association
//! Types and the Activity Log. No JavaScript; every form carries the
//! session's CSRF token.

mod activity;
mod clients;
mod integration;
mod login;
mod mappings;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::ports::StoreError;
use domain::practice::Role;

use crate::api::problem::Problem;
use crate::auth::PageUser;
use crate::state::{AppState, AppStore};

pub fn router<S: AppStore>() -> Router<AppState<S>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/integrations/xpm") }))
        .route("/login", get(login::form).post(login::submit::<S>))
        .route("/logout", post(login::logout))
        .route("/integrations/xpm", get(integration::page::<S>))
        .route("/integrations/xpm/connect", post(integration::connect::<S>))
        .route(
            "/integrations/xpm/client-id-field",
            post(integration::client_id_field::<S>),
        )
        .route(
            crate::config::CALLBACK_PATH,
            get(integration::callback::<S>),
        )
        .route(
            "/integrations/xpm/organisation",
            post(integration::choose::<S>),
        )
        .route(
            "/integrations/xpm/organisation/name",
            post(integration::name::<S>),
        )
        .route(
            "/integrations/xpm/disconnect",
            get(integration::confirm_disconnect::<S>).post(integration::disconnect::<S>),
        )
        .route("/clients", get(clients::list::<S>))
        .route("/clients/{client}", get(clients::show::<S>))
        .route("/clients/{client}/sync", post(clients::sync::<S>))
        .route("/clients/{client}/unlink", post(clients::unlink::<S>))
        .route(
            "/clients/{client}/associations/{association}/terms",
            post(clients::update_terms::<S>),
        )
        .route(
            "/association-types",
            get(mappings::page::<S>).post(mappings::create::<S>),
        )
        .route(
            "/association-types/{association_type}/mapping",
            post(mappings::map::<S>),
        )
        .route("/activity", get(activity::page::<S>))
        .route("/activity.csv", get(activity::csv::<S>))
}

/// What people call an association: its client, related client and type.
#[derive(Debug, Clone)]
pub struct AssociationLabel {
    pub client: String,
    pub related: String,
    pub kind: String,
}

impl AssociationLabel {
    /// "Acme Ltd → Jane Citizen (Director)".
    pub fn sentence(&self) -> String {
        format!("{} → {} ({})", self.client, self.related, self.kind)
    }
}

/// Labels of the associations of `clients`, by association id.
pub async fn association_labels<S: AppStore>(
    state: &AppState<S>,
    user: &domain::practice::User,
    clients: &[domain::ids::ClientId],
) -> std::collections::HashMap<domain::ids::AssociationId, AssociationLabel> {
    use std::collections::HashMap;
    let practice = user.practice;
    let names: HashMap<_, _> = state
        .app
        .list_clients(practice, user.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.id, c.details.name.to_string()))
        .collect();
    let types: HashMap<_, _> = state
        .app
        .association_types(practice, user.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.id, t.name.to_string()))
        .collect();
    let unknown = || "?".to_owned();
    let mut out = HashMap::new();
    for client in clients {
        for a in state
            .app
            .associations_of(practice, user.id, *client)
            .await
            .unwrap_or_default()
        {
            let label = AssociationLabel {
                client: names.get(&a.client()).cloned().unwrap_or_else(unknown),
                related: names.get(&a.related()).cloned().unwrap_or_else(unknown),
                kind: types
                    .get(&a.association_type())
                    .cloned()
                    .unwrap_or_else(unknown),
            };
            out.insert(a.id(), label);
        }
    }
    out
}

/// The header's view of who is logged in.
#[derive(Debug)]
pub struct Nav {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
}

impl Nav {
    pub fn of(page: &PageUser) -> Option<Self> {
        Some(Self {
            name: page.user.name.to_string(),
            role: role(page.user.role),
            csrf: page.session.csrf.clone(),
        })
    }
}

pub fn role(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Staff => "staff",
    }
}

pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_page(&format!("the page could not be rendered: {e}")),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    nav: Option<Nav>,
    heading: &'a str,
    message: &'a str,
    back: &'a str,
}

/// A page that says what went wrong, with the status that fits.
pub fn message_page(
    status: StatusCode,
    nav: Option<Nav>,
    heading: &str,
    message: &str,
    back: &str,
) -> Response {
    let mut response = render(&Message {
        nav,
        heading,
        message,
        back,
    });
    *response.status_mut() = status;
    response
}

/// An unexpected failure: words on the page, the details in the log only.
pub fn error_page(message: &str) -> Response {
    tracing::error!(message, "page failed");
    message_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        None,
        "Something went wrong",
        "The page could not be shown; the details are in the server's log.",
        "/",
    )
}

/// A form whose CSRF token does not match the session's.
pub fn forged(page: &PageUser) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        Nav::of(page),
        "This form has expired",
        "The form did not come from this session. Reload the page and try again.",
        "/",
    )
}

/// Whether an error (of any use case, or the store's) means the database
/// could not be reached or used: decided as the API decides it.
pub fn is_store_unavailable<E: Clone + Into<Problem>>(error: &E) -> bool {
    error.clone().into().is_store_unavailable()
}

/// A page for a store failure: the 503 page when the database is
/// unavailable, the generic error page otherwise.
pub fn store_error_page(nav: Option<Nav>, error: StoreError) -> Response {
    match error {
        StoreError::Unavailable(_) => database_unavailable(nav, &error),
        other => error_page(&other.to_string()),
    }
}

/// The database is gone: a 503 page in words, the details in the log only
/// (they name the database server and its errors).
pub fn database_unavailable(nav: Option<Nav>, detail: &dyn std::fmt::Display) -> Response {
    tracing::error!(%detail, "the database is unavailable");
    message_page(
        StatusCode::SERVICE_UNAVAILABLE,
        nav,
        "The database is unavailable",
        "PM Hub cannot reach its database just now, so this could not be done. \
         Try again in a moment; if it goes on, tell whoever runs PM Hub (the details are in its log).",
        "/",
    )
}
