//! `xpm-sim compare FILE --against URL`: sends each recorded request again,
//! in recorded order, to a target (normally a sim) and reports every
//! difference between the recorded answer and the target's.
//!
//! What is sent: the recorded method, path, query, `Content-Type`,
//! `Accept` and body; `Authorization: Bearer <token>` where the recording
//! had a (redacted) bearer token; `xero-tenant-id` as given, else as
//! recorded; redacted tax numbers in request bodies replaced with a valid
//! stand-in. UUIDs are rewritten: the target makes its own ids, so when a
//! recorded answer held UUID X where the target's answer held Y, later
//! requests naming X name Y (the first such pairing wins).
//!
//! Not sent (reported as skipped): sim control calls (`/_sim`), login pages
//! (`/identity/`), requests whose secrets the cassette does not hold (an
//! OAuth code, a client secret, a refresh token), and exchanges the
//! upstream did not answer.

use super::diff::{Diff, Finding, Rules};
use super::format::{Cassette, Exchange};
use super::redact::{self, MARKER};
use super::shapes;
use anyhow::Context;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A tax number that passes the Australian TFN check digit, sent where a
/// recorded request's tax number was redacted.
pub const DEFAULT_TAX_NUMBER: &str = "123456782";

/// Answer headers compared by value (`content-type` by media type only).
const VALUE_HEADERS: &[&str] = &["content-type", "x-rate-limit-problem"];
/// Answer headers compared for presence: their values are counts and
/// moments that differ between any two servers.
const PRESENCE_HEADERS: &[&str] = &[
    "location",
    "retry-after",
    "www-authenticate",
    "x-appminlimit-remaining",
    "x-daylimit-remaining",
    "x-minlimit-remaining",
];

/// How to compare.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// The target's base URL (`http://127.0.0.1:4010`, `https://api.xero.com`).
    pub against: String,
    /// Sent as `Bearer` where the recording had a bearer token.
    pub token: Option<String>,
    /// Sent as `xero-tenant-id` wherever the recording had one.
    pub tenant: Option<String>,
    pub rules: Rules,
    /// Stands in for redacted tax numbers in request bodies.
    pub tax_number: String,
}

impl CompareConfig {
    pub fn new(against: impl Into<String>) -> Self {
        Self {
            against: against.into().trim_end_matches('/').to_string(),
            token: None,
            tenant: None,
            rules: Rules::default(),
            tax_number: DEFAULT_TAX_NUMBER.into(),
        }
    }
}

/// One difference, as a line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub seq: u64,
    /// As recorded: `GET /path?query`.
    pub request: String,
    /// `status`, `header X`, `body`, `answer`, or a path in the document.
    pub at: String,
    pub expected: String,
    pub got: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{} {}: {}: expected {}, got {}",
            self.seq, self.request, self.at, self.expected, self.got
        )
    }
}

/// An exchange that was not sent, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub seq: u64,
    pub request: String,
    pub reason: String,
}

/// What compare found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub against: String,
    /// Exchanges sent and compared.
    pub compared: usize,
    pub skipped: Vec<Skipped>,
    pub differences: Vec<Difference>,
}

impl Report {
    /// The report for a person: one line per difference, the skipped
    /// exchanges, and a summary line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for d in &self.differences {
            out.push_str(&d.to_string());
            out.push('\n');
        }
        for s in &self.skipped {
            out.push_str(&format!("skipped #{} {}: {}\n", s.seq, s.request, s.reason));
        }
        out.push_str(&format!(
            "compared {} exchange{} with {}: {} difference{}, {} skipped\n",
            self.compared,
            if self.compared == 1 { "" } else { "s" },
            self.against,
            self.differences.len(),
            if self.differences.len() == 1 { "" } else { "s" },
            self.skipped.len()
        ));
        out
    }
}

enum Plan {
    Skip(String),
    Send { body: String, bearer: bool },
}

fn plan(x: &Exchange, tax_number: &str) -> Plan {
    if x.path.starts_with("/_sim") {
        return Plan::Skip("a sim control call, not part of XPM".into());
    }
    if x.path.starts_with("/identity/") {
        return Plan::Skip("a login page for people, not compared".into());
    }
    if x.upstream_error.is_some() {
        return Plan::Skip("the upstream did not answer it when it was recorded".into());
    }
    let Some(text) = x.request.body.text() else {
        return Plan::Skip("its request body is binary".into());
    };
    let body = tax_numbers(x.request.header("content-type"), text, tax_number);
    if body.contains(MARKER) || x.query.contains(MARKER) {
        return Plan::Skip(
            "its request holds secrets the cassette does not keep (e.g. an OAuth code or \
             client secret), so it cannot be sent again"
                .into(),
        );
    }
    let auth = x.request.header("authorization").unwrap_or("");
    if !auth.is_empty() && !auth.to_ascii_lowercase().starts_with("bearer ") {
        return Plan::Skip(format!(
            "its Authorization ({}) is redacted in the cassette",
            auth.split(' ').next().unwrap_or("")
        ));
    }
    Plan::Send {
        body,
        bearer: !auth.is_empty(),
    }
}

/// Redacted tax numbers in a request body replaced by the stand-in.
fn tax_numbers(content_type: Option<&str>, text: &str, stand_in: &str) -> String {
    if !text.contains(MARKER) {
        return text.to_string();
    }
    let is_json = content_type.is_some_and(|c| c.to_ascii_lowercase().contains("json"))
        || text.trim_start().starts_with('{');
    if is_json && let Ok(mut v) = serde_json::from_str::<Value>(text) {
        fill_json(&mut v, stand_in);
        return v.to_string();
    }
    // XML: `<TaxNumber ...>[redacted]</TaxNumber>`, any letter case.
    let lower = text.to_ascii_lowercase();
    let needle = format!("{MARKER}</taxnumber");
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(i) = lower[pos..].find(&needle) {
        let at = pos + i;
        out.push_str(&text[pos..at]);
        out.push_str(stand_in);
        pos = at + MARKER.len();
    }
    out.push_str(&text[pos..]);
    out
}

fn fill_json(v: &mut Value, stand_in: &str) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if k.eq_ignore_ascii_case("taxnumber") && val.as_str() == Some(MARKER) {
                    *val = Value::String(stand_in.into());
                } else {
                    fill_json(val, stand_in);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| fill_json(i, stand_in)),
        _ => {}
    }
}

fn media_type(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Sends the cassette's requests to the target and compares the answers.
pub async fn compare(cassette: &Cassette, cfg: &CompareConfig) -> anyhow::Result<Report> {
    let plans: Vec<Plan> = cassette
        .exchanges
        .iter()
        .map(|x| plan(x, &cfg.tax_number))
        .collect();
    if cfg.token.is_none()
        && plans
            .iter()
            .any(|p| matches!(p, Plan::Send { bearer: true, .. }))
    {
        anyhow::bail!(
            "the cassette's bearer tokens are redacted: give the target's access token with \
             --token or XPM_COMPARE_TOKEN"
        );
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    // Recorded UUID (lower case) -> the target's.
    let mut ids: HashMap<String, String> = HashMap::new();
    if let Some(tenant) = &cfg.tenant {
        for x in &cassette.exchanges {
            if let Some(t) = x.request.header("xero-tenant-id") {
                ids.entry(t.trim().to_ascii_lowercase())
                    .or_insert_with(|| tenant.clone());
            }
        }
    }
    let mut report = Report {
        against: cfg.against.clone(),
        compared: 0,
        skipped: Vec::new(),
        differences: Vec::new(),
    };
    for (x, plan) in cassette.exchanges.iter().zip(plans) {
        let (body, bearer) = match plan {
            Plan::Skip(reason) => {
                report.skipped.push(Skipped {
                    seq: x.seq,
                    request: x.request_line(),
                    reason,
                });
                continue;
            }
            Plan::Send { body, bearer } => (body, bearer),
        };
        let findings = exchange(&http, cfg, x, &body, bearer, &mut ids).await?;
        report.compared += 1;
        report
            .differences
            .extend(findings.into_iter().map(|f| Difference {
                seq: x.seq,
                request: x.request_line(),
                at: f.at,
                expected: f.expected,
                got: f.got,
            }));
    }
    Ok(report)
}

async fn exchange(
    http: &reqwest::Client,
    cfg: &CompareConfig,
    x: &Exchange,
    body: &str,
    bearer: bool,
    ids: &mut HashMap<String, String>,
) -> anyhow::Result<Vec<Finding>> {
    let path = shapes::map_uuids(&x.path, ids);
    let query = shapes::map_uuids(&x.query, ids);
    let mut url = format!("{}{path}", cfg.against);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    let method = reqwest::Method::from_bytes(x.method.as_bytes())
        .with_context(|| format!("#{}: method {:?}", x.seq, x.method))?;
    let mut rb = http
        .request(method, &url)
        .body(shapes::map_uuids(body, ids));
    for h in ["content-type", "accept"] {
        if let Some(v) = x.request.header(h) {
            rb = rb.header(h, v);
        }
    }
    if let Some(t) = x.request.header("xero-tenant-id") {
        let t = cfg
            .tenant
            .clone()
            .unwrap_or_else(|| shapes::map_uuids(t, ids));
        rb = rb.header("xero-tenant-id", t);
    }
    if let (true, Some(token)) = (bearer, &cfg.token) {
        rb = rb.bearer_auth(token);
    }
    let mut diff = Diff::new(&cfg.rules);
    let resp = match rb.send().await {
        Ok(r) => r,
        Err(e) => {
            diff.push(
                "answer",
                format!("status {}", x.status),
                format!("no answer ({e})"),
            );
            return Ok(diff.findings);
        }
    };
    let status = resp.status().as_u16();
    // Redacted like the recording, so a report never prints a live secret.
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in resp.headers() {
        let v = redact::header(name.as_str(), &String::from_utf8_lossy(value.as_bytes()));
        headers.insert(name.as_str().to_string(), v);
    }
    let got_body = match resp.bytes().await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            diff.push(
                "answer",
                format!("status {}", x.status),
                format!("a body cut off ({e})"),
            );
            return Ok(diff.findings);
        }
    };
    let got_body = redact::body(headers.get("content-type").map(String::as_str), &got_body);

    if status != x.status {
        diff.push("status", x.status.to_string(), status.to_string());
    }
    for h in VALUE_HEADERS.iter().chain(PRESENCE_HEADERS) {
        let e = x.response.header(h);
        let g = headers.get(*h).map(String::as_str);
        let at = format!("header {h}");
        match (e, g) {
            (Some(_), None) => diff.push(at, "present", "absent"),
            (None, Some(_)) => diff.push(at, "absent", "present"),
            (Some(e), Some(g)) if VALUE_HEADERS.contains(h) => {
                let (e, g) = if *h == "content-type" {
                    (media_type(e), media_type(g))
                } else {
                    (e.to_string(), g.to_string())
                };
                if e != g {
                    diff.push(at, format!("{e:?}"), format!("{g:?}"));
                }
            }
            _ => {}
        }
    }
    let recorded = String::from_utf8_lossy(&x.response.body.to_bytes()).into_owned();
    diff.bodies(
        x.response.header("content-type"),
        &recorded,
        headers.get("content-type").map(String::as_str),
        &got_body,
    );
    for (recorded, live) in diff.uuid_pairs.drain(..) {
        ids.entry(recorded).or_insert(live);
    }
    Ok(diff.findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_tax_numbers_in_requests_get_the_stand_in() {
        assert_eq!(
            tax_numbers(
                None,
                "<Client><TaxNumber>[redacted]</TaxNumber></Client>",
                "1"
            ),
            "<Client><TaxNumber>1</TaxNumber></Client>"
        );
        assert_eq!(
            tax_numbers(
                Some("application/json"),
                r#"{"taxNumber":"[redacted]"}"#,
                "1"
            ),
            r#"{"taxNumber":"1"}"#
        );
        assert_eq!(tax_numbers(None, "code=[redacted]", "1"), "code=[redacted]");
    }
}
