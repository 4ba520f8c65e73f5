//! A call with its retries: 429s waited out as XPM says, calls that never
//! reached XPM sent again, reads retried on 5xx and lost answers, one token
//! renewal after a 401. Writes are never blindly retried: a write whose
//! answer was lost comes back as [`SendError::Unconfirmed`], and the
//! operation looks it up in XPM.

use std::time::Duration;

use domain::ports::{ConnectionStore, XpmAccess, XpmError};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;

use super::XpmClient;
use super::transport::Outcome;
use crate::http;

/// Reads may be retried; writes may not be blindly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Read,
    Write,
}

/// A call's failure.
pub(super) enum SendError {
    Final(XpmError),
    /// A write whose outcome is unknown. `settled`: XPM is done with it
    /// (the connection was closed, or a 500/503 answered), so a lookup tells
    /// whether it happened; not settled (a timeout, 502, 504): XPM may still
    /// be working on it.
    Unconfirmed {
        reason: String,
        settled: bool,
    },
}

impl<S: ConnectionStore> XpmClient<S> {
    /// One call with its retries: 429s waited out, unsent calls retried,
    /// reads retried on 5xx and lost answers, one renewal after a 401.
    pub(super) async fn send(
        &self,
        access: XpmAccess,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&str>,
        mode: Mode,
    ) -> Result<(StatusCode, String), SendError> {
        let r = &self.inner.r;
        let call = format!("{method} {path}");
        let mut attempt = 1;
        let mut waits = 0;
        let mut refused: Option<SecretString> = None;
        loop {
            let token = self
                .inner
                .tokens
                .access_token(access.practice, refused.as_ref())
                .await
                .map_err(SendError::Final)?;
            let wait = match self
                .attempt(access, &method, path, query, body, &token)
                .await
            {
                Outcome::Answered(status, text) => return Ok((status, text)),
                Outcome::Unauthorized if refused.is_none() => {
                    // Expired early (or revoked): renew once and try again; XPM did not run the call.
                    refused = Some(token);
                    continue;
                }
                Outcome::Unauthorized => {
                    return Err(SendError::Final(XpmError::AccessRevoked(
                        "XPM refused a freshly renewed access token (HTTP 401): the app's access was revoked in Xero".into(),
                    )));
                }
                Outcome::Forbidden => {
                    return Err(SendError::Final(XpmError::AccessRevoked(format!(
                        "XPM refused access to organisation {} (HTTP 403): it is no longer granted to this app in Xero",
                        access.tenant
                    ))));
                }
                Outcome::DayLimit(after) => {
                    // Hours away, as a rule: not waited out within a sync.
                    let resets_in = after.unwrap_or(Duration::from_secs(3600));
                    self.inner.allowances.spent(access.tenant, resets_in);
                    return Err(SendError::Final(XpmError::DailyAllowanceUsed {
                        resets_in_secs: resets_in.as_secs().max(1),
                    }));
                }
                Outcome::RateLimited(after) => {
                    let wait = after.unwrap_or(r.default_retry_after);
                    if waits >= r.rate_limit_retries || wait > r.max_retry_after {
                        return Err(SendError::Final(XpmError::RateLimited {
                            retry_after_secs: wait.as_secs().max(1),
                        }));
                    }
                    waits += 1;
                    tracing::info!(call, ?wait, "XPM's rate limit was reached; waiting as told");
                    wait
                }
                Outcome::NotSent(reason) if attempt < r.connect_attempts => {
                    tracing::debug!(
                        call,
                        attempt,
                        reason,
                        "retrying a call that never reached XPM"
                    );
                    http::backoff(r, attempt)
                }
                Outcome::NotSent(reason) => {
                    return Err(SendError::Final(XpmError::Unavailable(format!(
                        "{call}: {reason}"
                    ))));
                }
                Outcome::Unreadable(reason) => {
                    return Err(match mode {
                        Mode::Read => SendError::Final(XpmError::UnexpectedAnswer(format!(
                            "{call}: {reason}"
                        ))),
                        Mode::Write => SendError::Unconfirmed {
                            reason,
                            settled: true,
                        },
                    });
                }
                Outcome::Lost { reason, timed_out } => match mode {
                    Mode::Read if attempt < r.read_attempts => {
                        tracing::debug!(call, attempt, reason, "retrying a read");
                        http::backoff(r, attempt)
                    }
                    Mode::Read => {
                        return Err(SendError::Final(XpmError::Unavailable(format!(
                            "{call}: {reason} ({attempt} attempts)"
                        ))));
                    }
                    Mode::Write => {
                        return Err(SendError::Unconfirmed {
                            reason,
                            settled: !timed_out,
                        });
                    }
                },
                Outcome::Server(status) => match mode {
                    Mode::Read if attempt < r.read_attempts => {
                        tracing::debug!(call, attempt, status = status.as_u16(), "retrying a read");
                        http::backoff(r, attempt)
                    }
                    Mode::Read => {
                        return Err(SendError::Final(XpmError::Unavailable(format!(
                            "{call}: XPM answered HTTP {} ({attempt} attempts)",
                            status.as_u16()
                        ))));
                    }
                    Mode::Write => {
                        return Err(SendError::Unconfirmed {
                            reason: format!("XPM answered HTTP {}", status.as_u16()),
                            settled: !matches!(
                                status,
                                StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT
                            ),
                        });
                    }
                },
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    pub(super) async fn read(
        &self,
        access: XpmAccess,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<(StatusCode, String), XpmError> {
        self.send(access, Method::GET, path, query, None, Mode::Read)
            .await
            .map_err(|e| match e {
                SendError::Final(e) => e,
                SendError::Unconfirmed { reason, .. } => XpmError::Unavailable(reason),
            })
    }
}
