//! All areas on one router: XPM API, identity, control, UI, behind the pipeline.

use crate::shared::Shared;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub fn router(sh: Arc<Shared>) -> Router {
    Router::new()
        .merge(crate::api::router())
        .merge(crate::identity::router())
        .merge(crate::control::router())
        .merge(crate::ui::router())
        .fallback(|| async { (StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            sh.clone(),
            crate::pipeline::pipeline,
        ))
        // The pipeline enforces the configured limit itself.
        .layer(DefaultBodyLimit::disable())
        .with_state(sh)
}

/// 405, as JSON on the control API so every control error is JSON.
async fn method_not_allowed(uri: Uri) -> Response {
    if uri.path().starts_with("/_sim") {
        let body = serde_json::json!({ "error": "invalid", "message": "method not allowed here" });
        (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
    } else {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    }
}
