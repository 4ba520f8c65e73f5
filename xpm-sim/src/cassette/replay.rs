//! `xpm-sim replay FILE`: serves a cassette. A request is answered with a
//! recorded exchange of the same method, path and query (and body, where
//! the recorded requests with that method, path and query differ in
//! body). Repeats are answered in recorded order; once every match has
//! been served, the last one answers again. Anything else is a 404 that
//! names the request and says it is not in the cassette.
//!
//! The live request is redacted the same way the recorder redacted the
//! recorded one before they are compared, so an OAuth code or a tax
//! number in it still matches. Answers carry what the cassette holds:
//! redacted values stay `[redacted]`.

use super::format::{Cassette, Exchange};
use super::redact;
use super::serve::Served;
use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Largest request body read when matching.
const MAX_BODY: usize = super::record::DEFAULT_MAX_BODY;

#[derive(Debug)]
struct ReplayState {
    cassette: Cassette,
    /// Whether each exchange (by index) has been served.
    served: Mutex<Vec<bool>>,
}

/// Entry point.
#[derive(Debug)]
pub struct Replayer;

impl Replayer {
    pub async fn start(cassette: Cassette, listen: SocketAddr) -> anyhow::Result<RunningReplay> {
        let n = cassette.exchanges.len();
        let state = Arc::new(ReplayState {
            cassette,
            served: Mutex::new(vec![false; n]),
        });
        let router = Router::new()
            .fallback(answer)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(state);
        let served = Served::start(listen, router).await?;
        Ok(RunningReplay { served })
    }
}

/// A replayer serving on a port. Stops when dropped.
#[derive(Debug)]
pub struct RunningReplay {
    served: Served,
}

impl RunningReplay {
    pub fn base_url(&self) -> String {
        self.served.base_url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.served.addr()
    }

    pub async fn stop(self) {
        self.served.stop().await;
    }
}

fn not_found(text: String) -> Response {
    let mut resp = (StatusCode::NOT_FOUND, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn request_body_text(x: &Exchange) -> String {
    String::from_utf8_lossy(&x.request.body.to_bytes()).into_owned()
}

fn accept_of(x: &Exchange) -> String {
    x.request.header("accept").unwrap_or("").to_string()
}

/// The candidates whose `key` equals the live request's, unless all
/// candidates agree on it (then it says nothing and all stay).
fn narrow(
    exchanges: &[Exchange],
    candidates: Vec<usize>,
    key: impl Fn(&Exchange) -> String,
    live: &str,
) -> Vec<usize> {
    let Some(&first) = candidates.first() else {
        return candidates;
    };
    let first = key(&exchanges[first]);
    if candidates.iter().all(|&i| key(&exchanges[i]) == first) {
        return candidates;
    }
    candidates
        .into_iter()
        .filter(|&i| key(&exchanges[i]) == live)
        .collect()
}

async fn answer(State(st): State<Arc<ReplayState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = redact::query(parts.uri.query().unwrap_or(""));
    let asked = if query.is_empty() {
        format!("{method} {path}")
    } else {
        format!("{method} {path}?{query}")
    };
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return not_found(format!(
            "xpm-sim replay: {asked} has a body over {MAX_BODY} bytes; no such request is in the cassette"
        ));
    };
    let ct = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let body = redact::body(ct, &String::from_utf8_lossy(&bytes));

    let exchanges = &st.cassette.exchanges;
    let same_request: Vec<usize> = (0..exchanges.len())
        .filter(|&i| {
            let x = &exchanges[i];
            x.method == method && x.path == path && x.query == query
        })
        .collect();
    if same_request.is_empty() {
        return not_found(format!(
            "xpm-sim replay: {asked} is not in the cassette (no recorded request has this method, path and query)"
        ));
    }
    // The body, then Accept, only decide where the recorded requests differ in them.
    let candidates = narrow(exchanges, same_request, request_body_text, &body);
    if candidates.is_empty() {
        return not_found(format!(
            "xpm-sim replay: {asked} with this body is not in the cassette (recorded requests \
             with this method, path and query have other bodies)"
        ));
    }
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let candidates = narrow(exchanges, candidates, accept_of, &accept);
    let Some(&last) = candidates.last() else {
        return not_found(format!(
            "xpm-sim replay: {asked} with Accept {accept:?} is not in the cassette (recorded \
             requests with this method, path, query and body asked for other formats)"
        ));
    };
    let chosen = {
        let mut served = st.served.lock().unwrap_or_else(|e| e.into_inner());
        let i = candidates
            .iter()
            .copied()
            .find(|&i| !served[i])
            .unwrap_or(last);
        served[i] = true;
        i
    };
    respond(&exchanges[chosen])
}

fn respond(x: &Exchange) -> Response {
    let mut resp = Response::new(axum::body::Body::from(x.response.body.to_bytes()));
    *resp.status_mut() = StatusCode::from_u16(x.status).unwrap_or(StatusCode::OK);
    for (name, value) in &x.response.headers {
        // A redacted cookie is no cookie at all.
        if name == "set-cookie" {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}
