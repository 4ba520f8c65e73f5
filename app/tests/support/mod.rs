//! A test app: xpm-sim in-process, the real app on a fresh store (SQLite
//! file or Postgres database), seeded like the demo, served on port 0, with
//! a browser-like client (cookies) and API tokens for the admin and staff.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

#[allow(unused_imports)]
use domain::ports::{AccountStore, PracticeStore};
use pmhub_xpm::demo;
use pmhub_xpm::state::AppStore;
use reqwest::StatusCode;
use sql_store::TokenKey;
use xpm_adapter::{XeroEndpoints, XpmConfig};
use xpm_sim::seed::demo as sim_demo;
use xpm_sim::{RunningSim, Sim, SimConfig};

/// Which store a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub url: String,
    pub sim: RunningSim,
    pub browser: reqwest::Client,
    pub admin_token: String,
    pub staff_token: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    cleanup: Cleanup,
}

enum Cleanup {
    File(test_db::SqliteFile),
    Database(test_db::PgDatabase),
}

pub fn tenant() -> xpm_sim::TenantId {
    sim_demo::TENANT
}

impl TestApp {
    pub async fn start(backend: Backend) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let url = format!("http://{addr}");
        let redirect = format!("{url}/integrations/xpm/callback");
        let mut seed = xpm_sim::Seed::demo();
        for app in &mut seed.apps {
            app.redirect_uris.push(redirect.clone());
        }
        let sim = Sim::start(SimConfig {
            seed,
            ..SimConfig::default()
        })
        .await
        .expect("sim");
        let key = TokenKey::generate();
        let xero = XpmConfig::with_endpoints(
            XeroEndpoints::under(&sim.base_url()),
            sim_demo::CLIENT_ID,
            secrecy::SecretString::from(sim_demo::CLIENT_SECRET),
            redirect,
        );
        let name = "pmhub_xpm_app_test";
        let (shutdown, cleanup, admin_token, staff_token) = match backend {
            Backend::Sqlite => {
                let file = test_db::SqliteFile::new(name);
                let store = pmhub_xpm::wiring::open_sqlite(&file.url(), &key, true)
                    .await
                    .expect("sqlite");
                let (tx, a, s) = serve(store, &xero, &key, listener).await;
                (tx, Cleanup::File(file), a, s)
            }
            Backend::Postgres => {
                let database =
                    test_db::PgDatabase::migrated(name, &sql_store::postgres::MIGRATOR).await;
                let store = pmhub_xpm::wiring::open_postgres(&database.url, &key, true)
                    .await
                    .expect("postgres");
                let (tx, a, s) = serve(store, &xero, &key, listener).await;
                (tx, Cleanup::Database(database), a, s)
            }
        };
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            url,
            sim,
            browser,
            admin_token,
            staff_token,
            shutdown: Some(shutdown),
            cleanup,
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match &self.cleanup {
            Cleanup::File(file) => file.remove(),
            Cleanup::Database(database) => database.remove().await,
        }
    }

    pub fn api(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token)
    }

    pub async fn get_json(&self, path: &str, token: &str) -> (StatusCode, serde_json::Value) {
        let response = self
            .api(reqwest::Method::GET, path, token)
            .send()
            .await
            .expect("send");
        let status = response.status();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let response = self
            .api(reqwest::Method::POST, path, token)
            .json(&body)
            .send()
            .await
            .expect("send");
        let status = response.status();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// Logs the browser in.
    pub async fn login(&self, email: &str, password: &str) -> StatusCode {
        self.browser
            .post(format!("{}/login", self.url))
            .form(&[
                ("email", email),
                ("password", password),
                ("next", "/integrations/xpm"),
            ])
            .send()
            .await
            .expect("login")
            .status()
    }

    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .browser
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("page");
        (response.status(), response.text().await.unwrap_or_default())
    }

    /// The CSRF token of the logged-in browser, read off a page's form.
    pub async fn csrf(&self) -> String {
        let (_, html) = self.page("/integrations/xpm").await;
        hidden(&html, "csrf").expect("csrf field")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.browser
            .post(format!("{}{path}", self.url))
            .form(form)
            .send()
            .await
            .expect("form")
    }

    /// Connect as a person would: the admin presses Connect, logs in to the
    /// sim's Xero page as `xpm_user`, ticks the demo organisation and allows.
    /// Answers the callback's response.
    pub async fn connect_via_browser(&self, xpm_user: &str, allow: bool) -> reqwest::Response {
        let csrf = self.csrf().await;
        let to_xero = self
            .post_form("/integrations/xpm/connect", &[("csrf", &csrf)])
            .await;
        assert_eq!(
            to_xero.status(),
            StatusCode::SEE_OTHER,
            "Connect sends the admin to Xero"
        );
        let authorize = to_xero.headers()[reqwest::header::LOCATION]
            .to_str()
            .expect("location")
            .to_owned();
        let xero = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let login_page = xero
            .get(&authorize)
            .send()
            .await
            .expect("authorize")
            .text()
            .await
            .expect("html");
        let session = hidden(&login_page, "session").expect("login session");
        let consent = xero
            .post(format!(
                "{}/identity/connect/authorize/login",
                self.sim.base_url()
            ))
            .form(&[
                ("session", session.as_str()),
                ("user", xpm_user),
                ("login", "1"),
            ])
            .send()
            .await
            .expect("login")
            .text()
            .await
            .expect("consent");
        let session = hidden(&consent, "session").unwrap_or(session);
        let tenant_field = format!("tenant_{}", sim_demo::TENANT_ID);
        let action = if allow { "allow" } else { "deny" };
        let back = xero
            .post(format!(
                "{}/identity/connect/authorize/consent",
                self.sim.base_url()
            ))
            .form(&[
                ("session", session.as_str()),
                (tenant_field.as_str(), "on"),
                ("action", action),
            ])
            .send()
            .await
            .expect("consent");
        let callback = back.headers()[reqwest::header::LOCATION]
            .to_str()
            .expect("back to the app")
            .to_owned();
        self.browser.get(callback).send().await.expect("callback")
    }

    pub async fn connect(&self) {
        assert_eq!(
            self.login(demo::ADMIN_EMAIL, demo::ADMIN_PASSWORD).await,
            StatusCode::SEE_OTHER
        );
        let callback = self
            .connect_via_browser(sim_demo::ADMIN_USER_ID, true)
            .await;
        assert_eq!(
            callback.status(),
            StatusCode::SEE_OTHER,
            "{}",
            callback.text().await.unwrap_or_default()
        );
    }

    /// XPM writes the sim has seen (client and relationship writes).
    pub fn xpm_writes(&self) -> Vec<xpm_sim::JournalEntry> {
        self.sim
            .control()
            .journal_all()
            .into_iter()
            .filter(|e| e.path.contains("/client.api/") && e.method != "GET")
            .collect()
    }
}

pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

async fn serve<S: AppStore>(
    store: S,
    xero: &XpmConfig,
    key: &TokenKey,
    listener: tokio::net::TcpListener,
) -> (tokio::sync::oneshot::Sender<()>, String, String) {
    demo::seed_practice(&store).await.expect("seed");
    let mut tokens = Vec::new();
    for id in [demo::admin_id(), demo::staff_id()] {
        let user = store
            .user(demo::practice_id(), id)
            .await
            .expect("user")
            .expect("seeded user");
        let (token, hash) = pmhub_xpm::auth::api_token::generate();
        store
            .save_api_token(&user, &hash, "test")
            .await
            .expect("token");
        tokens.push(token);
    }
    let state = pmhub_xpm::wiring::app_state(
        pmhub_xpm::relationship_types::shipped(),
        store,
        xero,
        key,
        false,
        None,
    )
    .expect("state");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(pmhub_xpm::server::serve(state, listener, async {
        let _ = rx.await;
    }));
    let staff = tokens.pop().expect("staff token");
    let admin = tokens.pop().expect("admin token");
    (tx, admin, staff)
}

pub type Shared = Arc<TestApp>;
