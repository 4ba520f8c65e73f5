//! The app in-process, on a real listener (port 0), next to an in-process
//! xpm-sim whose OAuth app accepts the app's callback URL. One world per
//! test: its own sim, its own database.

use std::time::Duration;

use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;
use sql_store::PostgresStore;
use sql_store::SqliteStore;
use sql_store::TokenKey;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use xpm_adapter::{Resilience, XeroEndpoints, XpmConfig};
use xpm_sim::seed::demo as sim_demo;
use xpm_sim::{RunningSim, Seed, Sim, SimConfig};

use pmhub_xpm::config::CALLBACK_PATH;
use pmhub_xpm::state::AppStore;

use crate::browser::Browser;
use crate::fixtures::{self, Fixtures};
use test_db::PgDatabase;

/// Resilience with short waits, so fault tests finish quickly; the shape
/// (retries, backoff, pacing) is the adapter's own.
pub fn quick_resilience() -> Resilience {
    Resilience {
        request_timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(2),
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(2),
        default_retry_after: Duration::from_millis(50),
        calls_per_minute: 100_000,
        ..Resilience::default()
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub secure_cookies: bool,
    pub resilience: Resilience,
    /// Overrides the app's client secret (a wrong secret).
    pub client_secret: Option<String>,
    /// Overrides the Xero base URL (an unreachable XPM).
    pub xero_base_url: Option<String>,
    pub sim: SimConfig,
}

impl Default for Options {
    fn default() -> Self {
        let mut sim = SimConfig::default();
        // The sim clock is frozen: its per-minute windows would never pass.
        sim.limits.enabled = false;
        Self {
            secure_cookies: false,
            resilience: quick_resilience(),
            client_secret: None,
            xero_base_url: None,
            sim,
        }
    }
}

#[derive(Debug)]
pub struct World<S> {
    pub sim: RunningSim,
    pub url: String,
    pub store: S,
    pub key: TokenKey,
    pub fx: Fixtures,
    pub http: reqwest::Client,
    pub db: Option<PgDatabase>,
    pub dir: Option<std::path::PathBuf>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl World<PostgresStore> {
    pub async fn postgres() -> Self {
        Self::postgres_with(Options::default()).await
    }

    pub async fn postgres_with(options: Options) -> Self {
        let db = PgDatabase::migrated("pmhub_rel", &sql_store::postgres::MIGRATOR).await;
        let key = TokenKey::generate();
        let store = pmhub_xpm::wiring::open_postgres(&db.url, &key, true)
            .await
            .expect("open the test database");
        Self::start(store, key, options, Some(db), None).await
    }
}

impl World<SqliteStore> {
    /// SQLite in `dir` (created; removed when the world is dropped).
    pub async fn sqlite_in(dir: std::path::PathBuf, options: Options) -> Self {
        std::fs::create_dir_all(&dir).expect("sqlite dir");
        let key = TokenKey::generate();
        let url = format!("sqlite://{}", dir.join("pmhub.db").display());
        let store = pmhub_xpm::wiring::open_sqlite(&url, &key, true)
            .await
            .expect("open the SQLite file");
        Self::start(store, key, options, None, Some(dir)).await
    }
}

/// The demo seed with one more redirect URI registered for the demo app.
/// Also a Xero user who administers the second organisation only, so that
/// practice B's grant is not practice A's.
pub fn seed_with_redirect(redirect: &str) -> Seed {
    let mut seed = Seed::demo();
    for app in &mut seed.apps {
        app.redirect_uris.push(redirect.to_owned());
    }
    let mut value = serde_json::to_value(&seed).expect("seed as JSON");
    if let Some(users) = value.get_mut("users").and_then(Value::as_array_mut) {
        users.push(serde_json::json!({
            "id": SECOND_ADMIN_USER_ID,
            "email": "admin@second-practice.test",
            "name": "Bea Second",
            "memberships": [{"org": "Second Practice", "admin": true, "third_party_access": true}]
        }));
    }
    serde_json::from_value(value).expect("seed from JSON")
}

/// The sim user who administers only the Second Practice (practice B's XPM).
pub const SECOND_ADMIN_USER_ID: &str = "b0b0b0b0-0000-4000-8000-000000000001";

impl<S: AppStore> World<S> {
    async fn start(
        store: S,
        key: TokenKey,
        options: Options,
        db: Option<PgDatabase>,
        dir: Option<std::path::PathBuf>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let redirect = format!("{url}{CALLBACK_PATH}");
        let mut sim_config = options.sim.clone();
        sim_config.seed = seed_with_redirect(&redirect);
        let sim = Sim::start(sim_config).await.expect("sim starts");
        let base = options
            .xero_base_url
            .clone()
            .unwrap_or_else(|| sim.base_url());
        let mut xero = XpmConfig::with_endpoints(
            XeroEndpoints::under(&base),
            sim_demo::CLIENT_ID,
            SecretString::from(
                options
                    .client_secret
                    .clone()
                    .unwrap_or_else(|| sim_demo::CLIENT_SECRET.to_owned()),
            ),
            redirect,
        );
        xero.resilience = options.resilience.clone();
        let fx = fixtures::seed(&store).await;
        let state = pmhub_xpm::wiring::app_state(
            pmhub_xpm::relationship_types::shipped(),
            store.clone(),
            &xero,
            &key,
            options.secure_cookies,
            None,
        )
        .expect("app state");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(pmhub_xpm::server::serve(state, listener, async move {
            let _ = rx.await;
        }));
        Self {
            sim,
            url,
            store,
            key,
            fx,
            http: crate::http(),
            db,
            dir,
            shutdown: Some(tx),
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.url)
    }

    /// Practice A's admin connects to the sim's Demo Practice, through the pages.
    pub async fn connect_a(&self) -> Browser {
        let b = Browser::logged_in(
            &self.url,
            pmhub_xpm::demo::ADMIN_EMAIL,
            pmhub_xpm::demo::ADMIN_PASSWORD,
        )
        .await;
        let r = b
            .connect(
                &self.sim.base_url(),
                sim_demo::ADMIN_USER_ID,
                sim_demo::TENANT_ID,
            )
            .await;
        assert_eq!(
            crate::browser::location(&r),
            "/integrations/xpm?done=connected",
            "connect A: {}",
            r.status()
        );
        b
    }

    /// Practice B's admin connects to the sim's Second Practice.
    pub async fn connect_b(&self) -> Browser {
        let b = Browser::logged_in(
            &self.url,
            fixtures::B_ADMIN_EMAIL,
            fixtures::B_ADMIN_PASSWORD,
        )
        .await;
        let r = b
            .connect(
                &self.sim.base_url(),
                SECOND_ADMIN_USER_ID,
                sim_demo::SECOND_TENANT_ID,
            )
            .await;
        assert_eq!(
            crate::browser::location(&r),
            "/integrations/xpm?done=connected",
            "connect B: {}",
            r.status()
        );
        b
    }

    pub fn api(&self, token: &str) -> Api {
        Api {
            http: self.http.clone(),
            base: self.url.clone(),
            token: token.to_owned(),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl<S> Drop for World<S> {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The JSON API as one user (bearer token).
#[derive(Debug, Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

/// An answer: status, content type and body (JSON when it parses).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    pub async fn of(r: reqwest::Response) -> Self {
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = r.text().await.unwrap_or_default();
        Self {
            status,
            content_type,
            text,
        }
    }
}

impl Api {
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut r = self.request(method, path);
        if let Some(b) = body {
            r = r.json(b);
        }
        Answer::of(r.send().await.expect("API request")).await
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let r = self
            .request(method, path)
            .header("content-type", content_type)
            .body(body);
        Answer::of(r.send().await.expect("API request")).await
    }

    /// Like `send`, but a dropped connection (a killed app) is `None`.
    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Option<Answer> {
        let mut r = self.request(method, path);
        if let Some(b) = body {
            r = r.json(b);
        }
        Some(Answer::of(r.send().await.ok()?).await)
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    /// A manual Sync of one client (with an optional decision body).
    pub async fn sync(&self, client: &str, body: Option<&Value>) -> Answer {
        self.send(Method::POST, &format!("/api/clients/{client}/sync"), body)
            .await
    }
}
