//! Who may call the XPM API: a live bearer token with the right scope, a
//! `xero-tenant-id` among the token's connections, and room in the tenant's
//! rate limits. Answers follow Xero's problem shape:
//! `{"Type":null,"Title":..,"Status":..,"Detail":..,"Instance":..,"Extensions":{}}`.

use crate::limits::{Admission, Remaining};
use crate::rng::token_hash;
use crate::shared::Shared;
use crate::state::AccessToken;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// Who is calling, for the handlers.
#[derive(Debug, Clone)]
pub struct ApiCtx {
    pub tenant: Uuid,
    /// The token's scopes, for endpoints the spec grants to fewer scopes.
    pub scopes: Vec<String>,
}

/// Scopes that allow reads; writes need one of [`WRITE_SCOPES`].
const READ_SCOPES: &[&str] = &[
    "practicemanager",
    "practicemanager.read",
    "practicemanager.client",
    "practicemanager.client.read",
];
const WRITE_SCOPES: &[&str] = &["practicemanager", "practicemanager.client"];

/// Xero's problem-details answer.
pub fn problem(sh: &Shared, status: StatusCode, detail: &str) -> Response {
    let instance = sh.lock().rng.uuid();
    let title = status.canonical_reason().unwrap_or("Error");
    let body = json!({
        "Type": null,
        "Title": title,
        "Status": status.as_u16(),
        "Detail": detail,
        "Instance": instance.to_string(),
        "Extensions": {}
    });
    let mut resp = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        let v = if detail.starts_with("TokenExpired") {
            "Bearer error=\"invalid_token\", error_description=\"The token expired\""
        } else {
            "Bearer error=\"invalid_token\""
        };
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(v));
    }
    resp
}

fn bearer_value(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Checks the bearer token: present, known, not revoked, not expired.
// An early answer is the natural error of a check made before a handler.
#[allow(clippy::result_large_err)]
pub fn bearer(sh: &Shared, headers: &HeaderMap) -> Result<AccessToken, Response> {
    let Some(token) = bearer_value(headers) else {
        return Err(problem(
            sh,
            StatusCode::UNAUTHORIZED,
            "AuthenticationUnsuccessful",
        ));
    };
    let now = sh.clock.now();
    let found = sh.lock().access_tokens.get(&token_hash(token)).cloned();
    match found {
        None => Err(problem(
            sh,
            StatusCode::UNAUTHORIZED,
            "AuthenticationUnsuccessful",
        )),
        Some(t) if t.revoked => Err(problem(
            sh,
            StatusCode::UNAUTHORIZED,
            "AuthenticationUnsuccessful",
        )),
        Some(t) if now >= t.expires => {
            let at = t.expires.format(&Rfc3339).unwrap_or_default();
            Err(problem(
                sh,
                StatusCode::UNAUTHORIZED,
                &format!("TokenExpired: token expired at {at}"),
            ))
        }
        Some(t) => Ok(t),
    }
}

/// Holds a call's place in the concurrency limit; releases it when dropped.
#[derive(Debug)]
pub struct AdmitGuard {
    sh: Arc<Shared>,
    tenant: Uuid,
    app: String,
    admission: Admission,
}

impl AdmitGuard {
    /// Adds the remaining-calls headers to an answer.
    pub fn decorate(&self, resp: &mut Response) {
        remaining_headers(resp, self.admission.remaining);
    }
}

/// The calls left in the current windows, on every answer past the tenant check.
fn remaining_headers(resp: &mut Response, left: Remaining) {
    let h = resp.headers_mut();
    h.insert("X-MinLimit-Remaining", HeaderValue::from(left.minute));
    h.insert("X-DayLimit-Remaining", HeaderValue::from(left.day));
    h.insert(
        "X-AppMinLimit-Remaining",
        HeaderValue::from(left.app_minute),
    );
}

impl Drop for AdmitGuard {
    fn drop(&mut self) {
        if self.admission.counted {
            self.sh.lock().usage.release(self.tenant, &self.app);
        }
    }
}

/// Lets an XPM API call through, or answers it with 401, 403 or 429.
#[allow(clippy::result_large_err)]
pub fn admit(sh: &Arc<Shared>, req: &Request) -> Result<(ApiCtx, AdmitGuard), Response> {
    let token = bearer(sh, req.headers())?;
    let write = !matches!(*req.method(), Method::GET | Method::HEAD);
    let allowed = if write { WRITE_SCOPES } else { READ_SCOPES };
    if !token.scopes.iter().any(|s| allowed.contains(&s.as_str())) {
        return Err(problem(
            sh,
            StatusCode::UNAUTHORIZED,
            "AuthorizationUnsuccessful",
        ));
    }
    let tenant = req
        .headers()
        .get("xero-tenant-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v.trim()).ok());
    let Some(tenant) = tenant else {
        return Err(problem(
            sh,
            StatusCode::FORBIDDEN,
            "AuthenticationUnsuccessful",
        ));
    };
    let now = sh.clock.now();
    let mut st = sh.lock();
    let connected = st
        .connections_of(token.user_id, &token.client_id)
        .iter()
        .any(|c| c.tenant_id == tenant)
        && st.orgs.contains_key(&tenant);
    if !connected {
        drop(st);
        return Err(problem(
            sh,
            StatusCode::FORBIDDEN,
            "AuthenticationUnsuccessful",
        ));
    }
    let limits = st.limits;
    match st.usage.admit(&limits, tenant, &token.client_id, now) {
        Ok(admission) => Ok((
            ApiCtx {
                tenant,
                scopes: token.scopes.clone(),
            },
            AdmitGuard {
                sh: sh.clone(),
                tenant,
                app: token.client_id,
                admission,
            },
        )),
        Err(refusal) => {
            drop(st);
            let mut resp = (StatusCode::TOO_MANY_REQUESTS, "").into_response();
            let h = resp.headers_mut();
            h.insert(
                header::RETRY_AFTER,
                HeaderValue::from(refusal.retry_after_secs),
            );
            h.insert(
                "X-Rate-Limit-Problem",
                HeaderValue::from_static(refusal.problem.header_value()),
            );
            remaining_headers(&mut resp, refusal.remaining);
            Err(resp)
        }
    }
}
