//! One call to XPM: a place among the organisation's calls in flight, a
//! place in its rolling minute, a bearer token, and the answer classified
//! as an [`Outcome`]. No retry here: [`super::retry`] decides what to do
//! with each outcome.

use std::sync::Arc;
use std::time::Duration;

use domain::ids::XpmTenantId;
use domain::ports::{ConnectionStore, XpmAccess};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use super::XpmClient;
use crate::allowance::{self, LimitHit};
use crate::http;
use crate::xml;

/// One attempt's outcome.
pub(super) enum Outcome {
    Answered(StatusCode, String),
    /// The connection could not be made: nothing reached XPM.
    NotSent(String),
    /// Sent, and no answer came (timeout or dropped connection).
    Lost {
        reason: String,
        timed_out: bool,
    },
    /// A 5xx that is not an XPM ERROR answer.
    Server(StatusCode),
    /// An answer that could not be read (too large, not UTF-8).
    Unreadable(String),
    RateLimited(Option<Duration>),
    /// The day's allowance is spent; it resets after the wait XPM gave.
    DayLimit(Option<Duration>),
    Unauthorized,
    Forbidden,
}

/// Counts an XPM call by method and outcome (the HTTP status, or why there was none).
fn count_call(method: &Method, outcome: &str) {
    metrics::counter!("pmhub_xpm_xpm_calls_total", "method" => method.as_str().to_owned(), "status" => outcome.to_owned()).increment(1);
}

impl<S: ConnectionStore> XpmClient<S> {
    pub(super) fn in_flight(&self, tenant: XpmTenantId) -> Arc<Semaphore> {
        let mut map = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.entry(tenant)
            .or_insert_with(|| Arc::new(Semaphore::new(self.inner.r.max_in_flight)))
            .clone()
    }

    pub(super) async fn attempt(
        &self,
        access: XpmAccess,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&str>,
        token: &SecretString,
    ) -> Outcome {
        let sh = &self.inner;
        let slots = self.in_flight(access.tenant);
        // The semaphore is never closed, so acquiring cannot fail.
        let Ok(_slot) = slots.acquire().await else {
            return Outcome::NotSent("the calls-in-flight limit was closed".into());
        };
        // Held until the answer is read: XPM may count the call at any moment until then.
        let _place = match sh.pace.take(access.tenant, sh.r.max_retry_after).await {
            Ok(place) => place,
            // XPM said its minute is spent, until later than a call waits: not sent.
            Err(wait) => return Outcome::RateLimited(Some(wait)),
        };
        let mut request = sh
            .http
            .request(method.clone(), format!("{}{path}", sh.base))
            .query(query)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", token.expose_secret()),
            )
            .header("xero-tenant-id", access.tenant.to_string())
            .header(ACCEPT, "application/xml");
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/xml; charset=utf-8")
                .body(body.to_owned());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_connect() => {
                count_call(method, "not_sent");
                return Outcome::NotSent(http::describe(&e));
            }
            Err(e) => {
                count_call(method, if e.is_timeout() { "timeout" } else { "lost" });
                return Outcome::Lost {
                    reason: http::describe(&e),
                    timed_out: e.is_timeout(),
                };
            }
        };
        let status = response.status();
        count_call(method, status.as_str());
        sh.allowances.heard(access.tenant, response.headers());
        if let Some(left) = allowance::minute_remaining(response.headers()) {
            sh.pace.heard(access.tenant, left, None);
        }
        tracing::debug!(%method, path, tenant = %access.tenant, status = status.as_u16(), "XPM answered");
        match status {
            StatusCode::UNAUTHORIZED => return Outcome::Unauthorized,
            StatusCode::FORBIDDEN => return Outcome::Forbidden,
            StatusCode::TOO_MANY_REQUESTS => {
                let after = http::retry_after(response.headers());
                return match allowance::limit_hit(response.headers()) {
                    LimitHit::Day => Outcome::DayLimit(after),
                    LimitHit::Minute => {
                        // Every call of this organisation waits until the minute ends.
                        let resets_in = after.unwrap_or(sh.r.default_retry_after);
                        sh.pace.heard(access.tenant, 0, Some(resets_in));
                        Outcome::RateLimited(Some(resets_in))
                    }
                    LimitHit::Other => Outcome::RateLimited(after),
                };
            }
            _ => {}
        }
        let text = match http::read_body(response, sh.r.max_answer_bytes).await {
            Ok(text) => text,
            Err(http::BodyError::Transport(e)) => {
                return Outcome::Lost {
                    reason: http::describe(&e),
                    timed_out: e.is_timeout(),
                };
            }
            Err(http::BodyError::TooLarge(n)) => {
                return Outcome::Unreadable(format!("the answer is larger than {n} bytes"));
            }
            Err(http::BodyError::NotUtf8) => {
                return Outcome::Unreadable("the answer is not UTF-8 text".into());
            }
        };
        if status.is_server_error() && xml::error_envelope(&text).is_none() {
            return Outcome::Server(status);
        }
        Outcome::Answered(status, text)
    }
}
