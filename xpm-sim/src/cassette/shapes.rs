//! Recognising values whose content differs between any two servers by
//! nature: ids (UUIDs) and times. Compare does not compare them as values.

use std::collections::HashMap;

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// `8-4-4-4-12` hex digits, any case.
pub fn is_uuid(s: &str) -> bool {
    uuid_bytes(s.as_bytes())
}

fn uuid_bytes(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => is_hex(c),
        })
}

/// Where UUIDs sit inside a text: (start, end) byte ranges, each a whole
/// UUID not glued to further letters or digits.
fn uuid_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i + 36 <= b.len() {
        let glued_before = i > 0 && b[i - 1].is_ascii_alphanumeric();
        let glued_after = i + 36 < b.len() && b[i + 36].is_ascii_alphanumeric();
        // All-ASCII bytes, so both ends are character boundaries.
        if !glued_before && !glued_after && uuid_bytes(&b[i..i + 36]) {
            spans.push((i, i + 36));
            i += 36;
        } else {
            i += 1;
        }
    }
    spans
}

/// Every UUID in the text (e.g. a web URL naming a client) replaced by `{uuid}`.
pub fn mask_uuids(text: &str) -> String {
    rewrite_uuids(text, |_| Some("{uuid}".to_string()))
}

/// Every UUID the map knows (by lower-case key) replaced by its value.
pub fn map_uuids(text: &str, map: &HashMap<String, String>) -> String {
    rewrite_uuids(text, |u| map.get(&u.to_ascii_lowercase()).cloned())
}

fn rewrite_uuids(text: &str, f: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (s, e) in uuid_spans(text) {
        if let Some(new) = f(&text[s..e]) {
            out.push_str(&text[pos..s]);
            out.push_str(&new);
            pos = e;
        }
    }
    out.push_str(&text[pos..]);
    out
}

fn digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

/// `yyyy-MM-dd`.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && date_bytes(b)
}

fn date_bytes(b: &[u8]) -> bool {
    b.len() >= 10
        && digits(&b[0..4])
        && b[4] == b'-'
        && digits(&b[5..7])
        && b[7] == b'-'
        && digits(&b[8..10])
}

/// `yyyy-MM-ddTHH:mm` and longer (seconds, fractions, offset or `Z`): a moment.
pub fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 16
        && date_bytes(&b[..10])
        && (b[10] == b'T' || b[10] == b' ')
        && digits(&b[11..13])
        && b[13] == b':'
        && digits(&b[14..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: &str = "0d5c3a1e-2b4f-4c6d-8e7f-9a0b1c2d3e4f";

    #[test]
    fn uuids_are_found_whole_only() {
        assert!(is_uuid(U));
        assert!(is_uuid(&U.to_uppercase()));
        assert!(!is_uuid(&U[1..]));
        assert_eq!(
            mask_uuids(&format!("https://x/Client/{U}/Detail")),
            "https://x/Client/{uuid}/Detail"
        );
        assert_eq!(mask_uuids(&format!("a{U}")), format!("a{U}"));
    }

    #[test]
    fn mapped_uuids_are_rewritten_and_others_kept() {
        let other = "1e6d4b2f-3c5a-4d7e-9f8a-0b1c2d3e4f5a";
        let map = HashMap::from([(U.to_string(), "NEW".to_string())]);
        assert_eq!(
            map_uuids(&format!("get/{} and {other}", U.to_uppercase()), &map),
            format!("get/NEW and {other}")
        );
    }

    #[test]
    fn dates_and_moments() {
        assert!(is_date("2021-07-01"));
        assert!(!is_datetime("2021-07-01"));
        assert!(is_datetime("2019-12-07T18:46:19.5165400"));
        assert!(is_datetime("2026-01-05T09:00:00Z"));
        assert!(!is_date("2021-7-01"));
        assert!(!is_datetime("2021-07-01Tab:cd"));
    }
}
