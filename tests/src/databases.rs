//! A fresh database per test (from the test-db crate): a SQLite file, or a
//! Postgres database cloned from the migrated template on the server at
//! `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`) and
//! dropped afterwards.

use sql_store::TokenKey;
use test_db::{PgDatabase, SqliteFile};

/// A SQLite file, removed (with its WAL files) on drop.
#[derive(Debug)]
pub struct FreshSqlite(SqliteFile);

impl FreshSqlite {
    pub fn new() -> Self {
        Self(SqliteFile::new("pmhub-xpm-rule-tests"))
    }

    pub fn url(&self) -> String {
        self.0.url()
    }

    pub async fn open(&self) -> sql_store::SqliteStore {
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

/// A Postgres database of its own. Call [`FreshPostgres::drop_database`]
/// at the end, whatever happened (the tests run their body apart and drop
/// the database before failing).
#[derive(Debug)]
pub struct FreshPostgres(PgDatabase);

impl FreshPostgres {
    pub async fn create() -> Self {
        Self(PgDatabase::migrated("pmhub_xpm_rules", &sql_store::postgres::MIGRATOR).await)
    }

    pub fn url(&self) -> String {
        self.0.url.clone()
    }

    pub async fn open(&self) -> sql_store::PostgresStore {
        pmhub_xpm::wiring::open_postgres(&self.url(), &TokenKey::generate(), true)
            .await
            .expect("open and migrate the test database")
    }

    pub async fn drop_database(self) {
        self.0.remove().await;
    }
}
