//! `pageSize` / `pageToken` for the paged endpoints. Tokens are opaque to
//! callers (an offset inside); the size cap is the sim's choice.

use base64::Engine;
use std::collections::HashMap;

/// Largest `pageSize` accepted.
pub const MAX_PAGE_SIZE: usize = 500;
/// `pageSize` when none is given (the spec's default).
pub const DEFAULT_PAGE_SIZE: usize = 50;

pub fn token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn offset_of(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// (page size, offset), or the ErrorDescription of a 400.
pub fn params(q: &HashMap<String, String>) -> Result<(usize, usize), String> {
    let size = match param(q, "pagesize") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(format!(
                    "pageSize must be a whole number from 1 to {MAX_PAGE_SIZE}"
                ));
            }
        },
    };
    let offset = match param(q, "pagetoken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => offset_of(t).ok_or_else(|| "pageToken is not valid".to_string())?,
    };
    Ok((size, offset))
}
