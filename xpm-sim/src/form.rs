//! `application/x-www-form-urlencoded` reading and writing, and query
//! strings for redirects. Small enough to keep here rather than add a crate.

use std::collections::HashMap;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one form component (`+` is a space, `%XX` a byte).
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes one component: unreserved characters pass, the rest become `%XX`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parses a body; the first value of a repeated key wins.
pub fn parse(body: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        map.entry(decode(k)).or_insert_with(|| decode(v));
    }
    map
}

/// `base?k=v&...` (or `&` when `base` already has a query).
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{}", q.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let m = parse("a=1+2&b=%41%2&c=x%3Dy&a=3");
        assert_eq!(m.get("a").map(String::as_str), Some("1 2"));
        assert_eq!(m.get("b").map(String::as_str), Some("A%2"));
        assert_eq!(m.get("c").map(String::as_str), Some("x=y"));
        assert_eq!(
            with_query("http://x/cb", &[("state", "a b&")]),
            "http://x/cb?state=a%20b%26"
        );
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("%4"), "%4");
    }
}
