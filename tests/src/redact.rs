//! Makes answers that carry random ids and wall-clock times comparable
//! across runs: every UUID becomes `[uuid-N]` (numbered by first
//! appearance, so equal ids stay equal), every RFC 3339 time `[time]`.

/// Redacts one text; numbering continues across calls on the same value.
#[derive(Debug, Default)]
pub struct Redactor {
    seen: Vec<String>,
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Length of an RFC 3339 time starting at `s`, if one does.
fn time_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let shape = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    if !shape {
        return None;
    }
    let mut end = 19;
    if b.get(end) == Some(&b'.') {
        end += 1;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
    }
    match b.get(end) {
        Some(b'Z') => Some(end + 1),
        Some(b'+' | b'-') if digits(end + 1..end + 3) && b.get(end + 3) == Some(&b':') => {
            Some(end + 6)
        }
        _ => Some(end),
    }
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn text(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            let rest = &s[i..];
            if let Some(candidate) = rest.get(..36).filter(|c| is_uuid(c)) {
                let lower = candidate.to_ascii_lowercase();
                let n = match self.seen.iter().position(|u| *u == lower) {
                    Some(n) => n,
                    None => {
                        self.seen.push(lower);
                        self.seen.len() - 1
                    }
                };
                out.push_str(&format!("[uuid-{}]", n + 1));
                i += 36;
            } else if let Some(len) = time_len(rest) {
                out.push_str("[time]");
                i += len;
            } else {
                let c = rest.chars().next().unwrap_or_default();
                out.push(c);
                i += c.len_utf8().max(1);
            }
        }
        out
    }

    /// A JSON answer, pretty-printed, then redacted.
    pub fn json(&mut self, body: &[u8]) -> String {
        let text = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
            Err(_) => String::from_utf8_lossy(body).into_owned(),
        };
        self.text(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_numbered_by_first_appearance_and_times_hidden() {
        let mut r = Redactor::new();
        let a = "0d5c3a1e-2b4f-4c6d-8e7f-9a0b1c2d3e4f";
        let b = "1E6D4B2F-3C5A-4D7E-9F8A-0B1C2D3E4F5A";
        let text =
            format!("{a} {b} {a} at 2026-01-05T09:00:00.123Z and 2026-01-05T09:00:00+00:00.");
        assert_eq!(
            r.text(&text),
            "[uuid-1] [uuid-2] [uuid-1] at [time] and [time]."
        );
        assert_eq!(r.text("no ids, 2026-01-05 only"), "no ids, 2026-01-05 only");
    }
}
