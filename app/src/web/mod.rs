//! Server-rendered pages (askama), for people: Integrations → Xero Practice
//! Manager, Clients with their Sync buttons, a client's preview, Association
//! Types and the Activity Log. No JavaScript; every form carries the
//! session's CSRF token.

mod activity;
mod clients;
pub mod error_page;
mod integration;
mod login;
mod mappings;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use domain::practice::Role;

pub use error_page::{
    Nav, database_unavailable, error_page, message_page, render, store_error_page,
};

use crate::auth::PageUser;
use crate::problem::Problem;
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
    /// "?" stands for a client or type that is no longer there.
    pub fn of(named: &domain::usecases::NamedAssociation) -> Self {
        fn name(text: Option<&impl ToString>) -> String {
            text.map_or_else(|| "?".to_owned(), ToString::to_string)
        }
        Self {
            client: name(named.client.as_ref()),
            related: name(named.related.as_ref()),
            kind: name(named.kind.as_ref()),
        }
    }

    /// "Acme Ltd → Jane Citizen (Director)".
    pub fn sentence(&self) -> String {
        format!("{} → {} ({})", self.client, self.related, self.kind)
    }
}

/// Labels of the associations of `clients`, by association id (none when
/// they cannot be read: the labels only name things on the page).
pub async fn association_labels<S: AppStore>(
    state: &AppState<S>,
    user: &domain::practice::User,
    clients: &[domain::ids::ClientId],
) -> std::collections::HashMap<domain::ids::AssociationId, AssociationLabel> {
    state
        .app
        .named_associations(user.practice, user.id, clients)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.association.id(), AssociationLabel::of(&a)))
        .collect()
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
