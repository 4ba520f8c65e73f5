//! Rendering, and the pages that say what went wrong. A leaf: it imports
//! nothing from `web`, `api` or `auth`, so the session extractor can answer
//! with these pages without depending on the page handlers.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use domain::ports::StoreError;

/// The header's view of who is logged in (built from a session by `Nav::of`
/// in `web`).
#[derive(Debug)]
pub struct Nav {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
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
