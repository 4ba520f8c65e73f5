//! A fresh database per test: a SQLite file, or a Postgres database created
//! on the server at `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
//! and dropped afterwards.

use sqlx::Connection;
use store_row_format::TokenKey;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A SQLite file, removed (with its WAL files) on drop.
#[derive(Debug)]
pub struct FreshSqlite {
    path: std::path::PathBuf,
}

impl FreshSqlite {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "pmhub-xpm-rule-tests-{}.db",
            uuid::Uuid::new_v4().simple()
        ));
        Self { path }
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    pub async fn open(&self) -> sqlite_store::SqliteStore {
        pmhub_xpm::wiring::open_sqlite(&self.url(), &TokenKey::generate(), true)
            .await
            .expect("open and migrate a SQLite file")
    }
}

impl Default for FreshSqlite {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FreshSqlite {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A Postgres database of its own. Call [`FreshPostgres::drop_database`]
/// at the end, whatever happened (the tests run their body apart and drop
/// the database before failing).
#[derive(Debug)]
pub struct FreshPostgres {
    name: String,
}

async fn admin() -> sqlx::PgConnection {
    let url = server_url();
    sqlx::PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {url} ({e}). The rule suite runs on Postgres too: start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
             or point DATABASE_URL at another server."
        )
    })
}

impl FreshPostgres {
    pub async fn create() -> Self {
        let name = format!("pmhub_xpm_rules_{}", uuid::Uuid::new_v4().simple());
        let mut admin = admin().await;
        // The name is ours, made of hex digits: safe in the statement.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        Self { name }
    }

    pub fn url(&self) -> String {
        let server = server_url();
        let base = server
            .rsplit_once('/')
            .map_or(server.as_str(), |(base, _)| base);
        format!("{base}/{}", self.name)
    }

    pub async fn open(&self) -> postgres_store::PostgresStore {
        pmhub_xpm::wiring::open_postgres(&self.url(), &TokenKey::generate(), true)
            .await
            .expect("open and migrate the test database")
    }

    pub async fn drop_database(self) {
        let mut admin = admin().await;
        let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(&mut admin)
            .await
            .expect("drop the test database");
    }
}
