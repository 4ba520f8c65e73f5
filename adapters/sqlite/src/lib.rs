//! The embedded store: every store port of the domain on SQLite, for local
//! runs and `pmhub-xpm demo`. One process owns the file; syncs of one client
//! are serialised by an in-process lock (SQLite has no advisory locks).
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

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::ids::{ClientId, PracticeId};
use domain::ports::StoreError;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
/// The shared meaning of query failures.
use store_row_format::store_error as db;
use store_row_format::{TokenKey, TokenSealer};

/// The SQLite store. Cheap to clone: clones share the pool and the locks.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    sealer: TokenSealer,
    sync_locks: Arc<Mutex<Locks<(PracticeId, ClientId)>>>,
    renewal_locks: Arc<Mutex<Locks<PracticeId>>>,
}

/// One lock per client being synced, or per practice whose tokens are
/// renewed (or were before), in this process: an embedded database has one.
type Locks<K> = HashMap<K, Arc<tokio::sync::Mutex<()>>>;

/// The lock of `key` in `locks`, created on first use.
fn lock_of<K: std::hash::Hash + Eq>(
    locks: &Mutex<Locks<K>>,
    key: K,
) -> Result<Arc<tokio::sync::Mutex<()>>, StoreError> {
    let mut locks = locks
        .lock()
        .map_err(|_| StoreError::Unavailable("a lock table was poisoned".into()))?;
    Ok(locks.entry(key).or_default().clone())
}

/// The store's migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path`).
    pub async fn connect(url: &str, key: &TokenKey) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(db)?;
        Ok(Self {
            pool,
            sealer: TokenSealer::new(key),
            sync_locks: Arc::default(),
            renewal_locks: Arc::default(),
        })
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrating the SQLite store failed: {e}")))
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn id_of(text: &str) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::parse_str(text)
        .map_err(|e| StoreError::Unavailable(format!("a stored id is not a UUID: {e}")))
}
