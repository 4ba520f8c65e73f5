//! Where the conformance tests run: an in-process sim (the default), or
//! any base URL (real XPM, a sim in another process) named by
//!
//! - `XPM_CONFORMANCE_BASE_URL`: `https://api.xero.com` or `http://127.0.0.1:4010`
//!   (the tests add `/practicemanager/3.1/...`);
//! - `XPM_CONFORMANCE_TOKEN`: an access token for it;
//! - `XPM_CONFORMANCE_TENANT`: the `xero-tenant-id` to use;
//! - `XPM_CONFORMANCE_STAFF` (optional): one or two staff UUIDs of that
//!   practice, comma-separated, for the account and job manager fields
//!   (left out of the requests when not given).
//!
//! Against a foreign target the tests use only the XPM API: they create
//! what they need (clients named with a `conformance-` prefix) and never
//! archive or delete anything.

use reqwest::Method;
use serde_json::Value;
use xpm_sim::RunningSim;
use xpm_sim::seed::demo;

pub struct Target {
    /// The in-process sim, kept running; `None` for a foreign target.
    sim: Option<RunningSim>,
    http: reqwest::Client,
    xpm_base: String,
    token: String,
    tenant: String,
    /// Staff UUIDs for the manager fields (may be empty on a foreign target).
    pub staff: Vec<String>,
    /// Starts the name of every client the tests create.
    pub tag: String,
}

fn run_tag() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("conformance-{}-{:03}", now.as_secs(), now.subsec_millis())
}

impl Target {
    /// The target the environment names, else an in-process sim.
    pub async fn from_env_or_sim() -> Self {
        let Ok(base) = std::env::var("XPM_CONFORMANCE_BASE_URL") else {
            return Self::local().await;
        };
        let need = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("XPM_CONFORMANCE_BASE_URL is set, so {name} must be too")
            })
        };
        let staff = std::env::var("XPM_CONFORMANCE_STAFF")
            .map(|s| {
                s.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Self::foreign(
            &base,
            need("XPM_CONFORMANCE_TOKEN"),
            need("XPM_CONFORMANCE_TENANT"),
            staff,
        )
    }

    /// A sim in this process with the demo seed, the demo app connected.
    pub async fn local() -> Self {
        let t = crate::common::start().await;
        Self {
            xpm_base: t.sim.xpm_base_url(),
            sim: Some(t.sim),
            http: t.http,
            token: t.token,
            tenant: t.tenant,
            staff: vec![
                demo::ACCOUNT_MANAGER_UUID.into(),
                "6b2f1d3c-8e4a-4b9f-8c7d-3f5a7b9c1d2e".into(),
            ],
            tag: run_tag(),
        }
    }

    /// Any server answering the XPM API at `base` + `/practicemanager/3.1`.
    pub fn foreign(base: &str, token: String, tenant: String, staff: Vec<String>) -> Self {
        let base = base.trim_end_matches('/');
        let base = base.strip_suffix("/practicemanager/3.1").unwrap_or(base);
        Self {
            sim: None,
            http: crate::common::http(),
            xpm_base: format!("{base}/practicemanager/3.1"),
            token,
            tenant,
            staff,
            tag: run_tag(),
        }
    }

    /// Whether this is someone else's server: nothing may be archived or deleted there.
    pub fn is_foreign(&self) -> bool {
        self.sim.is_none()
    }

    pub async fn json(&self, method: Method, p: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, format!("{}/client.api/{p}", self.xpm_base))
            .bearer_auth(&self.token)
            .header("xero-tenant-id", &self.tenant)
            .header("accept", "application/json");
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

    /// Adds a client of the tests' own (its name starts with the tag) and returns its UUID.
    pub async fn add_client(&self, what: &str, extra: Value) -> String {
        let mut body = serde_json::json!({ "name": format!("{} {what}", self.tag) });
        if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
            b.extend(extra);
        }
        let (s, v) = self.json(Method::POST, "add", Some(body)).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "OK", "{v}");
        v["client"]["uuid"].as_str().expect("uuid").to_string()
    }
}
