//! The rig every end-to-end scenario shares: an xpm-sim with one XPM
//! organisation per practice, a store (SQLite file or a fresh PostgreSQL
//! database) holding those practices, their admins and API tokens, apps
//! serving that store (in this process, or the real `pmhub-xpm serve`
//! binary), and the Connect through the sim's login and consent pages.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use domain::ids::{PracticeId, UserId};
use domain::practice::{Practice, Role, User};
use domain::text::{DisplayName, EmailAddress};
use pmhub_xpm::state::AppStore;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sql_store::TokenKey;
use uuid::Uuid;
use xpm_adapter::{Resilience, XeroEndpoints, XpmConfig};
use xpm_sim::seed::{MembershipSeed, OrgSeed, UserSeed};
use xpm_sim::{ClockMode, LimitsConfig, RunningSim, Seed, Sim, SimConfig};

pub const PASSWORD: &str = "bench-password-123";
pub const CLIENT_ID: &str = "pmhub-bench";
pub const CLIENT_SECRET: &str = "pmhub-bench-secret";

/// Which store the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// The tenant id of practice `i`'s XPM organisation.
pub fn tenant(i: usize) -> Uuid {
    Uuid::from_u128(0xbe4c_0000_0000_4000_8000_0000_0000_0000 | (i as u128 + 1))
}

/// The XPM user who connects practice `i`.
pub fn xpm_user(i: usize) -> Uuid {
    Uuid::from_u128(0xbe4c_0000_0000_4000_9000_0000_0000_0000 | (i as u128 + 1))
}

/// A free local port (bound, then released) for an app whose URL must be
/// known before the sim registers its OAuth redirect.
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?)
}

/// `practices` organisations, each with the given look-alike clients
/// (XPM field names), one XPM admin who may connect all, and an OAuth app
/// whose redirect URIs are the callbacks of `app_urls`.
pub fn seed(practices: usize, look_alikes: &[Value], app_urls: &[String]) -> Seed {
    let orgs = (0..practices)
        .map(|i| OrgSeed {
            id: Some(tenant(i)),
            name: format!("Bench Org {i}"),
            clients: look_alikes.to_vec(),
            ..OrgSeed::default()
        })
        .collect();
    // One XPM admin per organisation: Xero's /connections then lists only
    // that organisation after its login, so no organisation choice is asked.
    let users = (0..practices)
        .map(|i| UserSeed {
            id: Some(xpm_user(i)),
            email: format!("bench-admin{i}@xpm.test"),
            name: format!("Bench Admin {i}"),
            memberships: vec![MembershipSeed {
                org: tenant(i).to_string(),
                admin: true,
                third_party_access: true,
            }],
        })
        .collect();
    let app = serde_json::from_value(json!({
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": app_urls.iter().map(|u| format!("{u}/integrations/xpm/callback")).collect::<Vec<_>>(),
        "name": "PM Hub (bench)",
    }))
    .expect("app seed");
    Seed {
        orgs,
        users,
        apps: vec![app],
    }
}

/// Starts a sim on the real clock (the adapter paces on the real clock too).
pub async fn start_sim(seed: Seed, limits: LimitsConfig) -> anyhow::Result<RunningSim> {
    Sim::start(SimConfig {
        seed,
        clock_mode: ClockMode::Real,
        start_time: time::OffsetDateTime::now_utc(),
        limits,
        journal_capacity: 200_000,
        ..SimConfig::default()
    })
    .await
}

/// Rate limits raised far above anything a run reaches.
pub fn no_limits() -> LimitsConfig {
    LimitsConfig {
        enabled: false,
        ..LimitsConfig::default()
    }
}

/// The adapter's pacing raised so that setup (and throughput runs) are not
/// paced: the sim's limits are off for those runs.
pub fn fast_resilience() -> Resilience {
    Resilience {
        calls_per_minute: 6_000_000,
        max_in_flight: 64,
        ..Resilience::default()
    }
}

pub fn xpm_config(sim: &RunningSim, app_url: &str, resilience: Resilience) -> XpmConfig {
    let mut config = XpmConfig::with_endpoints(
        XeroEndpoints::under(&sim.base_url()),
        CLIENT_ID,
        secrecy::SecretString::from(CLIENT_SECRET),
        format!("{app_url}/integrations/xpm/callback"),
    );
    config.resilience = resilience;
    config
}

/// One practice of the store: its admin's login and API token, and its XPM organisation.
#[derive(Debug, Clone)]
pub struct PracticeLogin {
    pub index: usize,
    pub practice: PracticeId,
    pub email: String,
    pub token: String,
    pub tenant: xpm_sim::TenantId,
}

/// A store opened for a run, and how to remove it afterwards.
#[derive(Debug)]
pub struct StoreSpec {
    pub backend: Backend,
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(test_db::SqliteFile),
    Database(test_db::PgDatabase),
}

impl StoreSpec {
    /// A new, empty store for one run.
    pub async fn create(backend: Backend) -> anyhow::Result<Self> {
        match backend {
            Backend::Sqlite => {
                let file = test_db::SqliteFile::new("pmhub_bench");
                Ok(Self {
                    backend,
                    url: file.url(),
                    cleanup: Cleanup::File(file),
                })
            }
            Backend::Postgres => {
                let database =
                    test_db::PgDatabase::migrated("pmhub_bench", &sql_store::postgres::MIGRATOR)
                        .await;
                Ok(Self {
                    backend,
                    url: database.url.clone(),
                    cleanup: Cleanup::Database(database),
                })
            }
        }
    }

    pub async fn drop_store(&self) {
        match &self.cleanup {
            Cleanup::File(file) => file.remove(),
            Cleanup::Database(database) => database.remove().await,
        }
    }
}

/// Something that holds practices and logins, whichever store it is.
pub async fn add_practices<S: AppStore>(
    store: &S,
    practices: usize,
) -> anyhow::Result<Vec<PracticeLogin>> {
    let hash = pmhub_xpm::auth::password::hash(PASSWORD)?;
    let mut out = Vec::new();
    for i in 0..practices {
        let practice = PracticeId::from_uuid(Uuid::new_v4());
        store
            .save_practice(&Practice {
                id: practice,
                name: DisplayName::new(format!("Bench Practice {i}"))?,
            })
            .await?;
        let email = format!("admin{i}@bench.test");
        let user = User {
            id: UserId::from_uuid(Uuid::new_v4()),
            practice,
            name: DisplayName::new(format!("Admin {i}"))?,
            email: EmailAddress::new(&email)?,
            role: Role::Admin,
        };
        store.save_user(&user).await?;
        store.save_login(&user, &hash).await?;
        let (token, token_hash) = pmhub_xpm::auth::api_token::generate();
        store.save_api_token(&user, &token_hash, "bench").await?;
        out.push(PracticeLogin {
            index: i,
            practice,
            email,
            token,
            tenant: tenant(i).into(),
        });
    }
    Ok(out)
}

/// An app served in this process; dropped or stopped, it stops serving.
#[derive(Debug)]
pub struct InProcessApp {
    pub url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl InProcessApp {
    pub async fn serve<S: AppStore>(
        store: S,
        xero: &XpmConfig,
        key: &TokenKey,
        listener: tokio::net::TcpListener,
    ) -> anyhow::Result<Self> {
        let url = format!("http://{}", listener.local_addr()?);
        let state = pmhub_xpm::wiring::app_state(
            pmhub_xpm::relationship_types::shipped(),
            store,
            xero,
            key,
            false,
            None,
        )?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = pmhub_xpm::server::serve(state, listener, async {
                let _ = rx.await;
            })
            .await;
        });
        Ok(Self {
            url,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for InProcessApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// Connect as a person would: the practice's admin logs in to the app,
/// presses Connect, logs in to the sim's Xero page, ticks the practice's own
/// organisation and allows.
pub async fn connect(app_url: &str, sim_url: &str, p: &PracticeLogin) -> anyhow::Result<()> {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let login = browser
        .post(format!("{app_url}/login"))
        .form(&[
            ("email", p.email.as_str()),
            ("password", PASSWORD),
            ("next", "/integrations/xpm"),
        ])
        .send()
        .await?;
    if login.status() != StatusCode::SEE_OTHER {
        bail!("login of {} answered {}", p.email, login.status());
    }
    let page = browser
        .get(format!("{app_url}/integrations/xpm"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = hidden(&page, "csrf").context("csrf field")?;
    let to_xero = browser
        .post(format!("{app_url}/integrations/xpm/connect"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await?;
    let authorize = to_xero
        .headers()
        .get(reqwest::header::LOCATION)
        .context("Connect did not redirect to Xero")?
        .to_str()?
        .to_owned();
    let xero = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let login_page = xero.get(&authorize).send().await?.text().await?;
    let session = hidden(&login_page, "session").context("sim login session")?;
    let user_id = xpm_user(p.index).to_string();
    let consent = xero
        .post(format!("{sim_url}/identity/connect/authorize/login"))
        .form(&[
            ("session", session.as_str()),
            ("user", user_id.as_str()),
            ("login", "1"),
        ])
        .send()
        .await?
        .text()
        .await?;
    let session = hidden(&consent, "session").unwrap_or(session);
    let tenant_field = format!("tenant_{}", p.tenant);
    let back = xero
        .post(format!("{sim_url}/identity/connect/authorize/consent"))
        .form(&[
            ("session", session.as_str()),
            (tenant_field.as_str(), "on"),
            ("action", "allow"),
        ])
        .send()
        .await?;
    let callback = back
        .headers()
        .get(reqwest::header::LOCATION)
        .context("consent did not redirect back")?
        .to_str()?
        .to_owned();
    let done = browser.get(callback).send().await?;
    if done.status() != StatusCode::SEE_OTHER {
        bail!(
            "callback answered {}: {}",
            done.status(),
            done.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

/// The app's JSON API as one practice's admin.
#[derive(Debug, Clone)]
pub struct Api {
    pub url: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(url: &str, token: &str) -> Self {
        Self {
            url: url.to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await?;
        let status = res.status();
        let body = res.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let (status, body) = self.send(method.clone(), path, body).await?;
        if !status.is_success() {
            bail!("{method} {path} answered {status}: {body}");
        }
        Ok(body)
    }

    pub async fn create_client(&self, input: &Value) -> anyhow::Result<String> {
        let body = self
            .ok(reqwest::Method::POST, "/api/clients", Some(input))
            .await?;
        body["id"]
            .as_str()
            .map(str::to_owned)
            .context("created client has no id")
    }

    pub async fn update_client(&self, id: &str, input: &Value) -> anyhow::Result<()> {
        self.ok(
            reqwest::Method::PUT,
            &format!("/api/clients/{id}"),
            Some(input),
        )
        .await?;
        Ok(())
    }

    /// A new association type mapped to an XPM relationship type.
    pub async fn mapped_type(&self, name: &str, xpm: &str) -> anyhow::Result<String> {
        let created = self
            .ok(
                reqwest::Method::POST,
                "/api/association-types",
                Some(&json!({"name": name})),
            )
            .await?;
        let id = created["id"].as_str().context("type id")?.to_owned();
        self.ok(
            reqwest::Method::PUT,
            &format!("/api/association-types/{id}/mapping"),
            Some(&json!({"xpmRelationshipType": xpm})),
        )
        .await?;
        Ok(id)
    }

    pub async fn associate(&self, client: &str, related: &str, kind: &str) -> anyhow::Result<()> {
        self.ok(
            reqwest::Method::POST,
            &format!("/api/clients/{client}/associations"),
            Some(&json!({"relatedClientId": related, "associationTypeId": kind})),
        )
        .await?;
        Ok(())
    }

    /// Presses Sync; answers the outcome (an error unless 2xx).
    pub async fn sync(&self, client: &str, body: &Value) -> anyhow::Result<Value> {
        self.ok(
            reqwest::Method::POST,
            &format!("/api/clients/{client}/sync"),
            Some(body),
        )
        .await
    }
}

/// A company client as the API takes it.
pub fn company(name: &str, email: &str) -> Value {
    json!({
        "name": name,
        "kind": "organisation",
        "businessStructure": "Company",
        "email": email,
    })
}

/// XPM calls the sim journalled, split into reads (GET) and writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Calls {
    pub reads: usize,
    pub writes: usize,
    pub too_many: usize,
}

impl Calls {
    pub fn total(self) -> usize {
        self.reads + self.writes
    }
}

/// XPM API calls (not identity or connections) journalled after `since`
/// (a journal id), for one tenant.
pub fn xpm_calls(sim: &RunningSim, since: u64, tenant: xpm_sim::TenantId) -> Calls {
    let t = tenant.to_string();
    let mut c = Calls::default();
    for e in sim.control().journal_all() {
        if e.id <= since
            || !e.path.contains("/practicemanager/")
            || e.tenant.as_deref() != Some(t.as_str())
        {
            continue;
        }
        if e.status == Some(429) {
            c.too_many += 1;
            continue;
        }
        if e.method == "GET" {
            c.reads += 1;
        } else {
            c.writes += 1;
        }
    }
    c
}

/// The id of the latest journal entry (0 when empty).
pub fn journal_mark(sim: &RunningSim) -> u64 {
    sim.control()
        .journal_all()
        .iter()
        .map(|e| e.id)
        .max()
        .unwrap_or(0)
}
