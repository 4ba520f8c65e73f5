//! Helpers: a started sim with a connected app, and small HTTP shortcuts.

#![allow(dead_code)]

use reqwest::Method;
use serde_json::Value;
use xpm_sim::seed::demo;
use xpm_sim::{ConnectRequest, RunningSim, Sim, SimConfig};

pub struct T {
    pub sim: RunningSim,
    pub http: reqwest::Client,
    pub token: String,
    pub tenant: String,
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A sim with the demo seed and the demo app connected by the admin.
pub async fn start() -> T {
    start_with(SimConfig::default()).await
}

pub async fn start_with(cfg: SimConfig) -> T {
    let sim = Sim::start(cfg).await.expect("sim starts");
    let tokens = sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![],
            scopes: vec![],
        })
        .expect("connect");
    T {
        sim,
        http: http(),
        token: tokens.access_token,
        tenant: demo::TENANT_ID.into(),
    }
}

impl T {
    pub fn url(&self, p: &str) -> String {
        format!("{}/client.api/{p}", self.sim.xpm_base_url())
    }

    pub fn req(&self, method: Method, p: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(p))
            .bearer_auth(&self.token)
            .header("xero-tenant-id", &self.tenant)
    }

    pub async fn xml(&self, method: Method, p: &str, body: Option<&str>) -> (u16, String) {
        let mut r = self.req(method, p);
        if let Some(b) = body {
            r = r
                .header("content-type", "application/xml")
                .body(b.to_string());
        }
        let resp = r.send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    }

    pub async fn get_xml(&self, p: &str) -> (u16, String) {
        self.xml(Method::GET, p, None).await
    }

    pub async fn json(&self, method: Method, p: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self.req(method, p).header("accept", "application/json");
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("send");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Adds a client by XML and returns its UUID.
    pub async fn add_client(&self, inner: &str) -> String {
        let (s, body) = self
            .xml(
                Method::POST,
                "add",
                Some(&format!("<Client>{inner}</Client>")),
            )
            .await;
        assert_eq!(s, 200, "{body}");
        assert!(body.contains("<Status>OK</Status>"), "{body}");
        first(&body, "UUID").expect("uuid")
    }
}

/// The text of the first `<tag>` in a document.
pub fn first(doc: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = doc.find(&open)? + open.len();
    let end = doc[start..].find(&close)? + start;
    Some(
        doc[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// The `ErrorDescription` of an ERROR envelope.
pub fn error_of(doc: &str) -> Option<String> {
    if !doc.contains("<Status>ERROR</Status>") {
        return None;
    }
    first(doc, "ErrorDescription")
}

/// `base?k=v&...` (or `&` when `base` already has a query), form-encoded.
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    let query = serde_urlencoded::to_string(params).expect("pairs of text always encode");
    format!("{base}{sep}{query}")
}

/// A form or query string as a map; the first value of a repeated key wins.
pub fn form_parse(query: &str) -> std::collections::HashMap<String, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let mut map = std::collections::HashMap::new();
    for (k, v) in pairs {
        map.entry(k).or_insert(v);
    }
    map
}

/// Whether `text` is well-formed XML (every element closed, entities known).
pub fn well_formed_xml(text: &str) -> bool {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}
