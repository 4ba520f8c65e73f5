//! Redaction: what is taken out of every exchange before it touches disk.
//!
//! - `Authorization` (the scheme is kept: `Bearer [redacted]`), `Cookie`, `Set-Cookie`;
//! - the OAuth secrets `access_token`, `refresh_token`, `id_token`,
//!   `client_secret`, `code`, `code_verifier`, `token`, `client_assertion`
//!   in query strings, `Location` headers, form bodies and JSON;
//! - tax numbers: the text of `<TaxNumber>` elements in XML, `TaxNumber` /
//!   `taxNumber` fields in JSON (masked answers too: they are still part
//!   of a tax number);
//! - anything shaped like a JWT (`eyJ...` with two dots), wherever it is.
//!
//! Every value is replaced with [`MARKER`]. The functions are also what
//! replay uses to match a live request to a recorded one, so both sides
//! are redacted the same way.

use serde_json::Value;

/// What a redacted value becomes.
pub const MARKER: &str = "[redacted]";

/// OAuth parameters and token fields whose values are secrets.
const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "client_assertion",
    "code",
    "code_verifier",
    "token",
];

fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

fn is_tax_field(name: &str) -> bool {
    name.eq_ignore_ascii_case("taxnumber")
}

/// A header value as it may be written: secrets replaced, the rest as is.
pub fn header(name: &str, value: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {MARKER}"),
            None => MARKER.into(),
        },
        "cookie" | "set-cookie" => MARKER.into(),
        "location" => match value.split_once('?') {
            Some((base, q)) => format!("{base}?{}", pairs(q)),
            None => value.into(),
        },
        _ => jwts(value),
    }
}

/// A query string (without `?`).
pub fn query(q: &str) -> String {
    jwts(&pairs(q))
}

/// `k=v&k=v` with secret values replaced. Keys are compared decoded, so
/// `code%5Fverifier` is caught too; everything else is kept byte for byte.
fn pairs(q: &str) -> String {
    if q.is_empty() {
        return String::new();
    }
    q.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !v.is_empty() && is_secret_field(&crate::form::decode(k)) => {
                format!("{k}={MARKER}")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A request or answer body, given its `Content-Type`.
pub fn body(content_type: Option<&str>, text: &str) -> String {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let trimmed = text.trim_start();
    let out = if ct.contains("json") || trimmed.starts_with('{') || trimmed.starts_with('[') {
        match json(text) {
            Some(redacted) => redacted,
            // Not JSON after all: treat it as text.
            None => xml_tax_numbers(&pairs(text)),
        }
    } else if trimmed.starts_with('<') {
        xml_tax_numbers(text)
    } else {
        // Forms (the token endpoint) and anything else that may carry
        // `key=value` pairs; a body with no secret key is left unchanged.
        xml_tax_numbers(&pairs(text))
    };
    jwts(&out)
}

/// JSON with secret and tax number fields replaced, at any depth. Answers
/// the body unchanged when nothing needed redacting (so its formatting is
/// kept), `None` when it is not JSON.
pub fn json(text: &str) -> Option<String> {
    let mut v: Value = serde_json::from_str(text).ok()?;
    if redact_value(&mut v) {
        Some(v.to_string())
    } else {
        Some(text.to_string())
    }
}

fn redact_value(v: &mut Value) -> bool {
    match v {
        Value::Object(m) => {
            let mut changed = false;
            for (k, val) in m.iter_mut() {
                let secret = is_secret_field(k) || is_tax_field(k);
                let has_value = match val {
                    Value::Null => false,
                    Value::String(s) => !s.is_empty() && s != MARKER,
                    _ => true,
                };
                if secret && has_value && !val.is_object() && !val.is_array() {
                    *val = Value::String(MARKER.into());
                    changed = true;
                } else {
                    changed |= redact_value(val);
                }
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |c, i| redact_value(i) | c),
        _ => false,
    }
}

/// The text of every non-empty `<TaxNumber>` element (any letter case,
/// with or without attributes).
pub fn xml_tax_numbers(text: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so positions found in `lower`
    // are positions in `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(found) = lower[pos..].find("<taxnumber") {
        let open = pos + found;
        let after_name = open + "<taxnumber".len();
        let Some(gt) = lower[after_name..].find('>').map(|i| after_name + i) else {
            break;
        };
        let tag = &lower[after_name..gt];
        // `<TaxNumberFoo>` is another element; `<TaxNumber/>` is empty.
        if !(tag.is_empty() || tag.starts_with(char::is_whitespace)) || tag.ends_with('/') {
            out.push_str(&text[pos..=gt]);
            pos = gt + 1;
            continue;
        }
        let Some(close) = lower[gt..].find("</taxnumber").map(|i| gt + i) else {
            break;
        };
        out.push_str(&text[pos..=gt]);
        if text[gt + 1..close].trim().is_empty() {
            out.push_str(&text[gt + 1..close]);
        } else {
            out.push_str(MARKER);
        }
        pos = close;
    }
    out.push_str(&text[pos..]);
    out
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Every JWT-shaped run (`eyJ` + base64url, `.`, base64url, `.`, base64url).
pub fn jwts(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("eyJ") {
        let start = search + found;
        // Must begin a word, not sit inside a longer run of letters.
        if start > 0 && is_b64url(bytes[start - 1]) {
            search = start + 3;
            continue;
        }
        let mut end = start;
        let mut dots = 0;
        while end < bytes.len() && (is_b64url(bytes[end]) || bytes[end] == b'.') {
            if bytes[end] == b'.' {
                dots += 1;
            }
            end += 1;
        }
        if dots >= 2 && end - start > 20 {
            out.push_str(&text[pos..start]);
            out.push_str(MARKER);
            pos = end;
        }
        search = end.max(start + 3);
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_keeps_its_scheme_only() {
        assert_eq!(
            header("Authorization", "Bearer abc.def"),
            "Bearer [redacted]"
        );
        assert_eq!(
            header("authorization", "Basic cG1odWI6c2VjcmV0"),
            "Basic [redacted]"
        );
        assert_eq!(header("cookie", "sid=1"), MARKER);
        assert_eq!(header("content-type", "text/xml"), "text/xml");
    }

    #[test]
    fn form_and_query_secrets_are_replaced_and_the_rest_kept() {
        assert_eq!(
            body(
                Some("application/x-www-form-urlencoded"),
                "grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2Fx&code_verifier=v"
            ),
            "grant_type=authorization_code&code=[redacted]&redirect_uri=http%3A%2F%2Fx&code_verifier=[redacted]"
        );
        assert_eq!(
            body(None, "token=r1&token_type_hint=refresh_token"),
            "token=[redacted]&token_type_hint=refresh_token"
        );
        assert_eq!(
            query("state=s&code=c&scope=a+b"),
            "state=s&code=[redacted]&scope=a+b"
        );
        assert_eq!(query("code%5Fverifier=x"), "code%5Fverifier=[redacted]");
        assert_eq!(
            header("Location", "http://app/cb?code=abc&state=s"),
            "http://app/cb?code=[redacted]&state=s"
        );
    }

    #[test]
    fn json_secrets_and_tax_numbers_are_replaced_at_any_depth() {
        let out = body(
            Some("application/json"),
            r#"{"access_token":"a","refresh_token":"r","expires_in":1800,"client":{"taxNumber":"******789","name":"X"},"list":[{"TaxNumber":123456782}]}"#,
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["access_token"], MARKER);
        assert_eq!(v["refresh_token"], MARKER);
        assert_eq!(v["expires_in"], 1800);
        assert_eq!(v["client"]["taxNumber"], MARKER);
        assert_eq!(v["client"]["name"], "X");
        assert_eq!(v["list"][0]["TaxNumber"], MARKER);
    }

    #[test]
    fn json_without_secrets_is_kept_byte_for_byte() {
        let text = "{ \"name\" : \"X\",\n  \"taxNumber\": null }";
        assert_eq!(body(Some("application/json"), text), text);
    }

    #[test]
    fn xml_tax_numbers_are_replaced_and_empty_ones_kept() {
        let xml = "<Client><TaxNumber>123 456 782</TaxNumber><TaxNumberX>k</TaxNumberX><taxnumber a=\"1\">******782</taxnumber><TaxNumber /><TaxNumber></TaxNumber></Client>";
        assert_eq!(
            body(Some("text/xml"), xml),
            "<Client><TaxNumber>[redacted]</TaxNumber><TaxNumberX>k</TaxNumberX><taxnumber a=\"1\">[redacted]</taxnumber><TaxNumber /><TaxNumber></TaxNumber></Client>"
        );
    }

    #[test]
    fn jwts_are_replaced_anywhere() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        assert_eq!(jwts(&format!("see {jwt}, ok")), "see [redacted], ok");
        assert_eq!(jwts("keyJ.a.b"), "keyJ.a.b");
        assert_eq!(header("x-debug", jwt), MARKER);
    }

    #[test]
    fn redacting_twice_changes_nothing_more() {
        let once = body(Some("application/json"), r#"{"code":"x","taxNumber":"1"}"#);
        assert_eq!(body(Some("application/json"), &once), once);
        let form = body(None, "code=x&state=y");
        assert_eq!(body(None, &form), form);
    }
}
