//! `xpm-sim record`: a proxy that forwards every request to an upstream
//! (real Xero, or a sim) with the same method, path, query, headers and
//! body, answers what the upstream answered, and writes each exchange,
//! redacted, to a cassette.
//!
//! Real Xero has several hosts (api, identity, login) where the sim has one
//! base; [`Upstream::xero`] sends each path to its Xero host, so an app
//! whose Xero base URLs all point at the recorder is recorded whole.
//! Bodies are buffered, not streamed, up to a cap in both directions.

use super::format::{Body, CassetteWriter, Exchange, Header, Message, now_rfc3339};
use super::redact;
use super::serve::Served;
use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Request headers written to the cassette (all are forwarded).
pub const RECORDED_REQUEST_HEADERS: &[&str] = &[
    "accept",
    "authorization",
    "content-type",
    "cookie",
    "xero-tenant-id",
];

/// Answer headers written to the cassette (all are passed back).
pub const RECORDED_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "location",
    "retry-after",
    "set-cookie",
    "www-authenticate",
    "x-appminlimit-remaining",
    "x-daylimit-remaining",
    "x-minlimit-remaining",
    "x-rate-limit-problem",
];

/// Headers that belong to one connection, not to the message (RFC 9110
/// 7.6.1), plus those the proxy sets itself. `accept-encoding` is dropped
/// so the upstream answers plain text the cassette can hold readably.
const NOT_FORWARDED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "accept-encoding",
];

/// XPM's request size note is 3.5 MB; 4 MB leaves room for any answer.
pub const DEFAULT_MAX_BODY: usize = 4 * 1024 * 1024;

/// Where each path goes: the longest matching prefix's base, else the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub default: String,
    /// (path prefix, base URL)
    pub routes: Vec<(String, String)>,
}

impl Upstream {
    /// Everything to one base (a sim, or another recorder).
    pub fn single(base: impl Into<String>) -> Self {
        Self {
            default: trim(base.into()),
            routes: Vec::new(),
        }
    }

    /// Real Xero: login pages on login.xero.com, token and revocation on
    /// identity.xero.com, `/connections` and the XPM API on api.xero.com.
    pub fn xero() -> Self {
        Self::single("https://api.xero.com")
            .with_route("/identity/", "https://login.xero.com")
            .with_route("/connect/", "https://identity.xero.com")
    }

    pub fn with_route(mut self, prefix: impl Into<String>, base: impl Into<String>) -> Self {
        self.routes.push((prefix.into(), trim(base.into())));
        self
    }

    /// `xero`, or a base URL; then `PREFIX=URL` overrides.
    pub fn parse(upstream: &str, routes: &[String]) -> anyhow::Result<Self> {
        let mut up = if upstream == "xero" {
            Self::xero()
        } else {
            check_base(upstream)?;
            Self::single(upstream)
        };
        for r in routes {
            let Some((prefix, base)) = r.split_once('=') else {
                anyhow::bail!(
                    "--route {r:?}: expected PREFIX=URL, e.g. /connect/=https://identity.xero.com"
                );
            };
            if !prefix.starts_with('/') {
                anyhow::bail!("--route {r:?}: the prefix must start with /");
            }
            check_base(base)?;
            up = up.with_route(prefix, base);
        }
        Ok(up)
    }

    pub fn base_for(&self, path: &str) -> &str {
        self.routes
            .iter()
            .filter(|(p, _)| path.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, b)| b.as_str())
            .unwrap_or(&self.default)
    }
}

fn trim(s: String) -> String {
    s.trim_end_matches('/').to_string()
}

fn check_base(url: &str) -> anyhow::Result<()> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        anyhow::bail!("{url:?} is not an http:// or https:// URL (or `xero`)");
    }
    Ok(())
}

/// How to record.
#[derive(Debug, Clone)]
pub struct RecordConfig {
    pub listen: SocketAddr,
    pub upstream: Upstream,
    pub out: PathBuf,
    /// Largest request or answer body buffered (413 / 502 above it).
    pub max_body: usize,
    /// Replace `out` if it exists.
    pub overwrite: bool,
}

impl RecordConfig {
    pub fn new(upstream: Upstream, out: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            upstream,
            out: out.into(),
            max_body: DEFAULT_MAX_BODY,
            overwrite: false,
        }
    }
}

#[derive(Debug)]
struct RecState {
    upstream: Upstream,
    writer: CassetteWriter,
    http: reqwest::Client,
    max_body: usize,
}

/// Entry point.
#[derive(Debug)]
pub struct Recorder;

impl Recorder {
    /// Creates the cassette (header line written) and starts proxying.
    pub async fn start(cfg: RecordConfig) -> anyhow::Result<RunningRecorder> {
        let routes: BTreeMap<String, String> = cfg.upstream.routes.iter().cloned().collect();
        let header = Header::new(&cfg.upstream.default, routes);
        let writer = CassetteWriter::create(&cfg.out, &header, cfg.overwrite)?;
        let http = reqwest::Client::builder()
            // Redirects are answers to record, not to follow.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let state = Arc::new(RecState {
            upstream: cfg.upstream,
            writer,
            http,
            max_body: cfg.max_body,
        });
        let router = Router::new()
            .fallback(proxy)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(state);
        let served = Served::start(cfg.listen, router).await?;
        Ok(RunningRecorder {
            served,
            out: cfg.out,
        })
    }
}

/// A recorder serving on a port. Stops when dropped.
#[derive(Debug)]
pub struct RunningRecorder {
    served: Served,
    out: PathBuf,
}

impl RunningRecorder {
    /// Point the app's Xero base URLs (login, identity, API) here.
    pub fn base_url(&self) -> String {
        self.served.base_url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.served.addr()
    }

    pub fn cassette_path(&self) -> &std::path::Path {
        &self.out
    }

    /// Stops once the calls in flight are answered and written.
    pub async fn stop(self) {
        self.served.stop().await;
    }
}

fn words(status: StatusCode, text: String) -> Response {
    let mut resp = (status, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn selected(headers: &HeaderMap, names: &[&str]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in names {
        let values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|v| redact::header(name, &String::from_utf8_lossy(v.as_bytes())))
            .collect();
        if !values.is_empty() {
            out.insert((*name).to_string(), values.join(", "));
        }
    }
    out
}

fn forwardable(name: &HeaderName) -> bool {
    !NOT_FORWARDED.contains(&name.as_str())
}

fn redacted_body(headers: &BTreeMap<String, String>, bytes: &[u8]) -> Body {
    match Body::from_bytes(bytes) {
        Body::Text(t) => Body::Text(redact::body(
            headers.get("content-type").map(String::as_str),
            &t,
        )),
        binary => binary,
    }
}

async fn proxy(State(st): State<Arc<RecState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let bytes = match to_bytes(body, st.max_body).await {
        Ok(b) => b,
        Err(_) => {
            tracing::warn!(method = %parts.method, path = %path, "request body over the cap; not forwarded");
            return words(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "xpm-sim record: the request body is larger than {} bytes, so it was not \
                     forwarded and not recorded",
                    st.max_body
                ),
            );
        }
    };
    let base = st.upstream.base_for(&path).to_string();
    let url = match parts.uri.path_and_query() {
        Some(pq) => format!("{base}{}", pq.as_str()),
        None => format!("{base}{path}"),
    };
    let mut rb = st
        .http
        .request(parts.method.clone(), &url)
        .body(bytes.to_vec());
    for (name, value) in &parts.headers {
        if forwardable(name) {
            rb = rb.header(name, value);
        }
    }
    let request_headers = selected(&parts.headers, RECORDED_REQUEST_HEADERS);
    let mut exchange = Exchange {
        seq: 0,
        time: String::new(),
        method: parts.method.to_string(),
        path: path.clone(),
        query: redact::query(&query),
        request: Message {
            body: redacted_body(&request_headers, &bytes),
            headers: request_headers,
        },
        status: 0,
        response: Message::default(),
        upstream_error: None,
    };

    let answer = match rb.send().await {
        Ok(resp) => read_capped(resp, st.max_body).await,
        Err(e) => Err(format!("{base} did not answer: {}", error_chain(&e))),
    };
    let resp = match answer {
        Ok((status, headers, body)) => {
            exchange.status = status.as_u16();
            exchange.response.headers = selected(&headers, RECORDED_RESPONSE_HEADERS);
            exchange.response.body = redacted_body(&exchange.response.headers, &body);
            let mut resp = Response::new(axum::body::Body::from(body));
            *resp.status_mut() = status;
            for (name, value) in &headers {
                if forwardable(name) {
                    resp.headers_mut().append(name, value.clone());
                }
            }
            // `Location` passes unchanged: a browser sent to Xero's login
            // host must go there (its cookies and pages belong to it).
            resp
        }
        Err(problem) => {
            tracing::warn!(method = %parts.method, path = %path, "upstream failed: {problem}");
            let text = format!("xpm-sim record: the upstream {problem}");
            exchange.status = 502;
            exchange
                .response
                .headers
                .insert("content-type".into(), "text/plain; charset=utf-8".into());
            exchange.response.body = Body::Text(text.clone());
            exchange.upstream_error = Some(problem);
            words(StatusCode::BAD_GATEWAY, text)
        }
    };
    exchange.time = now_rfc3339();
    match st.writer.append(exchange) {
        Ok(seq) => {
            tracing::info!(seq, method = %parts.method, path = %path, status = resp.status().as_u16(), "recorded")
        }
        // The caller still gets its answer: the exchange happened upstream
        // whether or not the cassette could hold it.
        Err(e) => {
            tracing::error!(method = %parts.method, path = %path, "could not write the cassette: {e:#}")
        }
    }
    resp
}

type Answer = (StatusCode, HeaderMap, Vec<u8>);

async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Answer, String> {
    let status = resp.status();
    let headers = resp.headers().clone();
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Err(format!(
                        "answered {} with a body larger than {cap} bytes, which the recorder \
                         does not buffer",
                        status.as_u16()
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok((status, headers, body)),
            Err(e) => {
                return Err(format!(
                    "answered {} but the body was cut off: {}",
                    status.as_u16(),
                    error_chain(&e)
                ));
            }
        }
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xero_sends_each_path_to_its_host() {
        let up = Upstream::xero();
        assert_eq!(up.base_for("/connect/token"), "https://identity.xero.com");
        assert_eq!(
            up.base_for("/identity/connect/authorize"),
            "https://login.xero.com"
        );
        assert_eq!(up.base_for("/connections"), "https://api.xero.com");
        assert_eq!(
            up.base_for("/practicemanager/3.1/client.api/list"),
            "https://api.xero.com"
        );
    }

    #[test]
    fn the_longest_route_wins_and_bad_routes_are_refused() {
        let up = Upstream::parse(
            "http://sim:4010/",
            &["/a/=http://one".into(), "/a/b/=http://two".into()],
        )
        .unwrap();
        assert_eq!(up.default, "http://sim:4010");
        assert_eq!(up.base_for("/a/b/c"), "http://two");
        assert_eq!(up.base_for("/a/c"), "http://one");
        assert!(Upstream::parse("sim:4010", &[]).is_err());
        assert!(Upstream::parse("xero", &["connect=http://x".into()]).is_err());
        assert!(Upstream::parse("xero", &["/connect/".into()]).is_err());
    }
}
