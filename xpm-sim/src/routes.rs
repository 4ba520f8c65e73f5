//! All areas on one router: XPM API, identity, control, UI, behind the pipeline.

use crate::sim::Shared;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use std::sync::Arc;

pub fn router(sh: Arc<Shared>) -> Router {
    Router::new()
        .merge(crate::api::router())
        .merge(crate::identity::router())
        .merge(crate::control::router())
        .merge(crate::ui::router())
        .fallback(|| async { (StatusCode::NOT_FOUND, "Not Found") })
        .layer(axum::middleware::from_fn_with_state(
            sh.clone(),
            crate::pipeline::pipeline,
        ))
        // The pipeline enforces the configured limit itself.
        .layer(DefaultBodyLimit::disable())
        .with_state(sh)
}
