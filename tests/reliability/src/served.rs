//! The real `pmhub-xpm serve` binary on a fresh Postgres database, against
//! an xpm-sim in this (the test's) process: two processes, so SIGKILL of the
//! app leaves the sim, the database and the test standing.

use std::path::PathBuf;

use secrecy::ExposeSecret;
use sql_store::PostgresStore;
use sql_store::TokenKey;
use xpm_sim::seed::demo as sim_demo;
use xpm_sim::{RunningSim, Sim, SimConfig};

use crate::binary::{AppProcess, ServeConfig, free_port};
use crate::browser::Browser;
use crate::fixtures::{self, Fixtures};
use crate::world::{Api, seed_with_redirect};
use test_db::PgDatabase;

#[derive(Debug, Clone, Default)]
pub struct ServedOptions {
    /// Serve behind an https public URL (cookies then carry `Secure`).
    pub https_public_url: bool,
    pub client_secret: Option<String>,
    pub xero_base_url: Option<String>,
}

#[derive(Debug)]
pub struct Served {
    pub sim: RunningSim,
    pub store: PostgresStore,
    pub key: TokenKey,
    pub fx: Fixtures,
    pub config: ServeConfig,
    pub app: AppProcess,
    pub dir: PathBuf,
    pub http: reqwest::Client,
    pub db: PgDatabase,
}

impl Served {
    pub async fn start(options: ServedOptions) -> Self {
        let db = PgDatabase::migrated("pmhub_rel", &sql_store::postgres::MIGRATOR).await;
        let key = TokenKey::generate();
        let store = pmhub_xpm::wiring::open_postgres(&db.url, &key, true)
            .await
            .expect("open the test database");
        let fx = fixtures::seed(&store).await;
        let port = free_port();
        let scheme = if options.https_public_url {
            "https"
        } else {
            "http"
        };
        let public_url = format!("{scheme}://127.0.0.1:{port}");
        let mut sim_config = SimConfig::default();
        sim_config.limits.enabled = false;
        sim_config.seed =
            seed_with_redirect(&format!("{public_url}{}", pmhub_xpm::config::CALLBACK_PATH));
        let sim = Sim::start(sim_config).await.expect("sim starts");
        let dir = std::env::temp_dir().join(format!("pmhub-rel-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let config = ServeConfig {
            database_url: db.url.clone(),
            port,
            public_url,
            xero_base_url: options
                .xero_base_url
                .clone()
                .unwrap_or_else(|| sim.base_url()),
            client_id: sim_demo::CLIENT_ID.to_owned(),
            client_secret: options
                .client_secret
                .clone()
                .unwrap_or_else(|| sim_demo::CLIENT_SECRET.to_owned()),
            token_key_base64: key.to_base64().expose_secret().to_owned(),
            log_file: dir.join("pmhub-xpm.log"),
            extra_env: Vec::new(),
        };
        let app = AppProcess::start(&config).await;
        Self {
            sim,
            store,
            key,
            fx,
            config,
            app,
            dir,
            http: crate::http(),
            db,
        }
    }

    pub fn url(&self) -> String {
        self.config.url()
    }

    pub fn api(&self, token: &str) -> Api {
        Api {
            http: self.http.clone(),
            base: self.url(),
            token: token.to_owned(),
        }
    }

    /// SIGKILL, then start again on the same port and database.
    pub async fn kill_and_restart(&mut self) {
        self.app.kill().await;
        self.app = AppProcess::start(&self.config).await;
    }

    /// Another `pmhub-xpm serve` of the same deployment: the same database,
    /// token key, Xero client and sim (or `xero_base_url`, e.g. a proxy in
    /// front of the sim), on its own port and with its own log file.
    pub async fn another_process(&self, xero_base_url: Option<String>) -> AppProcess {
        let mut config = self.config.clone();
        config.port = free_port();
        config.public_url = config.url();
        config.log_file = self.dir.join(format!("pmhub-xpm-{}.log", config.port));
        if let Some(url) = xero_base_url {
            config.xero_base_url = url;
        }
        AppProcess::start(&config).await
    }

    /// Practice A's admin connects through the pages (Demo Practice).
    pub async fn connect_a(&self) -> Browser {
        let b = Browser::logged_in(
            &self.url(),
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
            "connect: {}; log:\n{}",
            r.status(),
            self.app.log()
        );
        b
    }

    pub fn log(&self) -> String {
        self.app.log()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
