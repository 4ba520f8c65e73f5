//! The JSON control API under `/_sim` (a prefix no XPM or Xero path uses):
//! one generic route per operation, which reads the operation's parameters
//! from the path and query and its body as JSON, runs it and answers JSON.
//! Errors are `{"error": "not_found" | "invalid", "message": "..."}` with 404 / 400.

use super::op::{ControlError, ControlOp};
use crate::shared::Shared;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, get, on};
use serde_json::json;
use std::sync::Arc;

pub(crate) type ControlRouter = Router<Arc<Shared>>;

/// The routes no operation owns: the index of URLs and a JSON 404.
pub(crate) fn base() -> ControlRouter {
    Router::new()
        .route("/_sim", get(index))
        .route("/_sim/{*rest}", axum::routing::any(not_found))
}

/// Adds the route of operation `O`.
pub(crate) fn route<O: ControlOp + 'static>(router: ControlRouter) -> ControlRouter {
    match MethodFilter::try_from(O::METHOD) {
        Ok(method) => router.route(O::PATH, on(method, dispatch::<O>)),
        // Every operation names a standard method (a control test calls each).
        Err(_) => router,
    }
}

fn fail(e: ControlError) -> Response {
    let status = match e {
        ControlError::NotFound(_) => StatusCode::NOT_FOUND,
        ControlError::Invalid(_) => StatusCode::BAD_REQUEST,
    };
    let body = json!({ "error": e.code(), "message": e.message() });
    (status, axum::Json(body)).into_response()
}

/// The operation's parameters: the path's `{names}` and the query, read as
/// one form (so `limit=5` reads as a number and a bad UUID is named).
fn params<O: ControlOp>(
    path: Result<Path<Vec<(String, String)>>, PathRejection>,
    query: Option<String>,
) -> Result<O::Params, ControlError> {
    let path = path.map(|Path(p)| p).unwrap_or_default();
    let mut form = serde_urlencoded::to_string(&path)
        .map_err(|e| ControlError::Invalid(format!("path: {e}")))?;
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        if !form.is_empty() {
            form.push('&');
        }
        form.push_str(&q);
    }
    serde_urlencoded::from_str(&form).map_err(|e| ControlError::Invalid(e.to_string()))
}

/// The JSON body; an empty one reads as `null` (no seed, no body).
fn body<O: ControlOp>(bytes: &Bytes) -> Result<O::Body, ControlError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| ControlError::Invalid(format!("request body: {e}")))
}

async fn dispatch<O: ControlOp>(
    State(sh): State<Arc<Shared>>,
    path: Result<Path<Vec<(String, String)>>, PathRejection>,
    RawQuery(query): RawQuery,
    bytes: Bytes,
) -> Response {
    let answer = params::<O>(path, query).and_then(|p| {
        let b = body::<O>(&bytes)?;
        O::run(&sh, p, b).map_err(Into::into)
    });
    match answer {
        Ok(a) => (StatusCode::OK, axum::Json(a)).into_response(),
        Err(e) => fail(e),
    }
}

async fn index(State(sh): State<Arc<Shared>>) -> Response {
    let base = sh.base_url();
    let urls = json!({
        "xpm": format!("{base}/practicemanager/3.1"),
        "authorize": format!("{base}/identity/connect/authorize"),
        "token": format!("{base}/connect/token"),
        "revocation": format!("{base}/connect/revocation"),
        "connections": format!("{base}/connections"),
        "ui": format!("{base}/_sim/ui"),
    });
    (StatusCode::OK, axum::Json(urls)).into_response()
}

async fn not_found() -> Response {
    fail(ControlError::NotFound("no such control endpoint".into()))
}
