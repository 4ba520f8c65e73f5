//! What every call shares: the HTTP client, bounded answer reading, backoff and Retry-After.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::config::{ConfigError, Resilience};

/// The HTTP client: rustls, no redirects (a token must never follow a
/// redirect to another host), timeouts on every call.
pub(crate) fn client(r: &Resilience) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(r.connect_timeout)
        .timeout(r.request_timeout)
        .user_agent(concat!("pmhub-xpm/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConfigError::Http(e.to_string()))
}

/// Why an answer's body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    TooLarge(usize),
    /// The connection failed while the body was arriving.
    Transport(reqwest::Error),
    NotUtf8,
}

/// Reads an answer's body, refusing more than `max` bytes.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    max: usize,
) -> Result<String, BodyError> {
    if response
        .content_length()
        .is_some_and(|len| len > max as u64)
    {
        return Err(BodyError::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| BodyError::NotUtf8)
}

/// The wait a 429 asks for (`Retry-After` in seconds; an HTTP date is not used by Xero).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The wait before attempt `attempt + 1` (attempt counts from 1).
pub(crate) fn backoff(r: &Resilience, attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    r.backoff_base.saturating_mul(factor).min(r.backoff_max)
}

/// A transport failure described without its URL's query or any header.
pub(crate) fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "the call timed out".to_owned()
    } else if err.is_connect() {
        "the connection could not be made".to_owned()
    } else if err.is_body() || err.is_decode() {
        "the answer was cut off".to_owned()
    } else {
        "the connection was dropped before an answer came".to_owned()
    }
}
