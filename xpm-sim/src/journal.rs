//! The request journal: every call to the XPM, identity and connections
//! endpoints with its answer, for tests and people to read back. Control
//! calls (`/_sim/...`) are not journalled. Secrets in token-endpoint bodies
//! are redacted before they are stored.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use time::OffsetDateTime;

/// One journalled call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JournalEntry {
    pub id: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The `xero-tenant-id` header as sent.
    pub tenant: Option<String>,
    pub request_body: String,
    /// `None` when the connection was closed before any answer.
    pub status: Option<u16>,
    pub response_body: String,
    /// The connection was dropped (by a fault rule) instead of answering.
    pub dropped: bool,
    /// The id of the fault rule that fired, if any.
    pub fault: Option<u64>,
}

/// Which entries to read; every given condition must hold.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct JournalFilter {
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub since: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub until: Option<OffsetDateTime>,
    pub method: Option<String>,
    /// Substring of the path (and query).
    pub path: Option<String>,
    pub tenant: Option<String>,
    pub status: Option<u16>,
    /// Substring of the request body.
    pub request_contains: Option<String>,
    /// Substring of the response body.
    pub response_contains: Option<String>,
    /// Keep only the last N matches.
    pub limit: Option<usize>,
}

impl JournalFilter {
    fn matches(&self, e: &JournalEntry) -> bool {
        self.since.is_none_or(|t| e.time >= t)
            && self.until.is_none_or(|t| e.time <= t)
            && self
                .method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
            && self
                .path
                .as_ref()
                .is_none_or(|p| e.path.contains(p.as_str()))
            && self.tenant.as_ref().is_none_or(|t| {
                e.tenant
                    .as_deref()
                    .is_some_and(|et| et.eq_ignore_ascii_case(t))
            })
            && self.status.is_none_or(|s| e.status == Some(s))
            && self
                .request_contains
                .as_ref()
                .is_none_or(|s| e.request_body.contains(s.as_str()))
            && self
                .response_contains
                .as_ref()
                .is_none_or(|s| e.response_body.contains(s.as_str()))
    }
}

/// A bounded log; the oldest entries fall off first.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: VecDeque<JournalEntry>,
    next_id: u64,
    capacity: usize,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            next_id: 1,
            capacity: capacity.max(1),
        }
    }

    /// Stores an entry, giving it the next id.
    pub fn push(&mut self, mut e: JournalEntry) -> u64 {
        e.id = self.next_id;
        self.next_id += 1;
        if self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        let id = e.id;
        self.entries.push_back(e);
        id
    }

    pub fn query(&self, f: &JournalFilter) -> Vec<JournalEntry> {
        let mut out: Vec<JournalEntry> = self
            .entries
            .iter()
            .filter(|e| f.matches(e))
            .cloned()
            .collect();
        if let Some(n) = f.limit {
            let skip = out.len().saturating_sub(n);
            out.drain(..skip);
        }
        out
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

const SECRET_KEYS: &[&str] = &[
    "code",
    "code_verifier",
    "refresh_token",
    "client_secret",
    "token",
    "access_token",
    "id_token",
];

/// Replaces secret values in a form body or a JSON body.
pub fn redact(body: &str) -> String {
    if let Ok(serde_json::Value::Object(mut map)) = serde_json::from_str::<serde_json::Value>(body)
    {
        for k in SECRET_KEYS {
            if let Some(v) = map.get_mut(*k) {
                *v = serde_json::Value::String("[redacted]".into());
            }
        }
        return serde_json::Value::Object(map).to_string();
    }
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET_KEYS.contains(&k) => format!("{k}=[redacted]"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_form_and_json() {
        assert_eq!(
            redact("grant_type=refresh_token&refresh_token=abc"),
            "grant_type=refresh_token&refresh_token=[redacted]"
        );
        assert!(!redact(r#"{"access_token":"x","expires_in":1800}"#).contains("\"x\""));
    }
}
