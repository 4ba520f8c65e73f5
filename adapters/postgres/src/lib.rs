//! The production store: every store port of the domain on PostgreSQL.
//! Syncs of one client are serialised across every app process by a
//! transaction-level advisory lock.
//!
//! Every query is scoped by practice. Tokens and PKCE verifiers are sealed
//! (store-row-format). The activity log is append-only, down to triggers.

mod accounts;
mod activity;
mod clients;
mod connection;
mod people;
mod settings;
mod sync_records;

use std::str::FromStr;
use std::time::Duration;

use domain::ports::StoreError;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
/// The shared meaning of query failures.
use store_row_format::store_error as db;
use store_row_format::{TokenKey, TokenSealer};

pub use sync_records::PgSyncGuard;

/// The Postgres store. Cheap to clone: clones share the pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Connections that hold syncs' advisory locks. Apart from `pool`, so
    /// that syncs waiting for a lock can never take every connection the
    /// running syncs need (which deadlocked at 16 concurrent syncs).
    lock_pool: PgPool,
    sealer: TokenSealer,
}

/// The store's migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/database`).
    pub async fn connect(url: &str, key: &TokenKey) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(db)?;
        // Opened lazily: a lock connection is made only when a sync needs one.
        let lock_pool = PgPoolOptions::new()
            .max_connections(64)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(60))
            .connect_lazy_with(options);
        Ok(Self {
            pool,
            lock_pool,
            sealer: TokenSealer::new(key),
        })
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| {
            StoreError::Unavailable(format!("migrating the PostgreSQL store failed: {e}"))
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.lock_pool.close().await;
        self.pool.close().await;
    }
}
