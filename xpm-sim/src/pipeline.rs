//! The one middleware every non-control call goes through, in this order:
//! body limit -> journal -> (XPM API only) auth, scopes, tenant, rate limits
//! -> fault rules -> handler. Keeping it in one function keeps the order
//! plain: latency from a fault counts as time in flight for the limits.

use crate::api::auth;
use crate::faults::{self, FaultAction};
use crate::journal::{JournalEntry, redact};
use crate::shared::{ConnKill, Shared};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Most of a body kept in the journal.
const JOURNAL_BODY_MAX: usize = 16 * 1024;

/// How a call ended on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    Answer,
    DropBefore,
    DropAfter,
}

fn clip(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(JOURNAL_BODY_MAX)]);
    s.into_owned()
}

pub async fn pipeline(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_sim") {
        // Control calls are not journalled, but their bodies are limited too.
        let (parts, body) = req.into_parts();
        return match to_bytes(body, sh.config.body_limit).await {
            Ok(bytes) => {
                next.run(Request::from_parts(parts, Body::from(bytes)))
                    .await
            }
            Err(_) => (StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large").into_response(),
        };
    }
    let time = sh.clock.now();
    let method = req.method().to_string();
    let path_q = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| path.clone());
    let tenant = req
        .headers()
        .get("xero-tenant-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let kill = req.extensions().get::<ConnKill>().cloned();
    let secret_bodies = path.starts_with("/connect/");

    let (parts, body) = req.into_parts();
    let limit = sh.config.body_limit;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let bytes = if declared.is_some_and(|n| n > limit) {
        None
    } else {
        to_bytes(body, limit).await.ok()
    };
    let Some(bytes) = bytes else {
        let resp = (StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large").into_response();
        let mut st = sh.lock();
        st.journal.push(JournalEntry {
            id: 0,
            time,
            method,
            path: path_q,
            tenant,
            request_body: "[body over the size limit]".into(),
            status: Some(413),
            response_body: "Request entity too large".into(),
            dropped: false,
            fault: None,
        });
        return resp;
    };
    let mut request_body = clip(&bytes);
    if secret_bodies {
        request_body = redact(&request_body);
    }
    let req = Request::from_parts(parts, Body::from(bytes));

    let (resp, fault, wire) = run(&sh, req, next, &method, &path, tenant.as_deref()).await;

    let (parts, body) = resp.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let mut response_body = clip(&body);
    if secret_bodies {
        response_body = redact(&response_body);
    }
    // Paths and statuses only: never headers (tokens) or bodies (secrets).
    tracing::info!(
        method = %method,
        path = %path,
        tenant = tenant.as_deref().unwrap_or("-"),
        status = parts.status.as_u16(),
        dropped = wire != Wire::Answer,
        "call"
    );
    {
        let mut st = sh.lock();
        st.journal.push(JournalEntry {
            id: 0,
            time,
            method,
            path: path_q,
            tenant,
            request_body,
            status: (wire != Wire::DropBefore).then_some(parts.status.as_u16()),
            response_body: if wire == Wire::DropBefore {
                String::new()
            } else {
                response_body
            },
            dropped: wire != Wire::Answer,
            fault,
        });
    }
    if wire != Wire::Answer {
        if let Some(ConnKill(k)) = kill {
            k.notify_one();
            // The connection task drops this future with the socket.
            std::future::pending::<()>().await;
        }
        return (StatusCode::INTERNAL_SERVER_ERROR, "connection dropped").into_response();
    }
    Response::from_parts(parts, Body::from(body))
}

async fn run(
    sh: &Arc<Shared>,
    mut req: Request,
    next: Next,
    method: &str,
    path: &str,
    tenant: Option<&str>,
) -> (Response, Option<u64>, Wire) {
    let mut admitted = None;
    if path.starts_with("/practicemanager/") {
        match auth::admit(sh, &req) {
            Ok((ctx, guard)) => {
                req.extensions_mut().insert(ctx);
                admitted = Some(guard);
            }
            Err(resp) => return (resp, None, Wire::Answer),
        }
    }
    let fault = {
        let mut st = sh.lock();
        faults::take(&mut st.faults, method, path, tenant)
    };
    let mut wire = Wire::Answer;
    let mut fault_id = None;
    if let Some((id, action)) = fault {
        fault_id = Some(id);
        match action {
            FaultAction::Status {
                status,
                body,
                retry_after,
            } => {
                let code =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut resp = (code, body.unwrap_or_default()).into_response();
                if let Some(secs) = retry_after {
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                if let Some(guard) = &admitted {
                    guard.decorate(&mut resp);
                }
                return (resp, fault_id, Wire::Answer);
            }
            FaultAction::Latency { ms } => {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            FaultAction::CloseBeforeAnswer => {
                return (Response::new(Body::empty()), fault_id, Wire::DropBefore);
            }
            FaultAction::CommitThenDrop => wire = Wire::DropAfter,
        }
    }
    let mut resp = next.run(req).await;
    if let Some(guard) = admitted {
        guard.decorate(&mut resp);
    }
    (resp, fault_id, wire)
}
