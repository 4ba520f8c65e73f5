//! Operations: liveness, readiness, Prometheus metrics.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::state::{AppState, AppStore};

/// Installs the process-wide Prometheus recorder (once; later calls reuse it).
pub fn metrics_recorder() -> Option<PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<PrometheusHandle>> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets(&[
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                ])
                .ok()?
                .install_recorder()
                .ok()?;
            metrics::describe_counter!(
                "pmhub_xpm_syncs_total",
                "Manual syncs finished, by outcome"
            );
            metrics::describe_histogram!("pmhub_xpm_sync_seconds", "Duration of manual syncs");
            metrics::describe_counter!(
                "pmhub_xpm_http_requests_total",
                "HTTP requests answered, by status class"
            );
            Some(handle)
        })
        .clone()
}

pub fn record_sync(took: Duration, complete: bool) {
    let outcome = if complete { "complete" } else { "incomplete" };
    metrics::counter!("pmhub_xpm_syncs_total", "outcome" => outcome).increment(1);
    metrics::histogram!("pmhub_xpm_sync_seconds").record(took.as_secs_f64());
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the store answers.
pub async fn readyz<S: AppStore>(State(state): State<AppState<S>>) -> impl IntoResponse {
    match state.accounts.ready().await {
        Ok(_) => (StatusCode::OK, "ready".to_owned()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}")),
    }
}

pub async fn metrics<S: AppStore>(State(state): State<AppState<S>>) -> impl IntoResponse {
    match &state.metrics {
        Some(handle) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        ),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain")],
            "metrics are off".to_owned(),
        ),
    }
}
