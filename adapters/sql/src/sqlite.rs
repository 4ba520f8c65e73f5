//! SQLite, the embedded backend for local runs and `pmhub-xpm demo`: ids as
//! text, times as microseconds, JSON as text. One process owns the file, so
//! locks are in-process (SQLite has no advisory locks).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::ports::StoreError;
use sqlx::query::Query;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
};
use sqlx::{AssertSqlSafe, Row, Sqlite, SqlitePool};
use time::OffsetDateTime;
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use crate::{
    Arg, Backend, Lock, SqlStore, Statement, from_micros, micros, store_error, unreadable,
};

pub type SqliteStore = SqlStore<SqliteBackend>;

#[derive(Debug, Clone)]
pub struct SqliteBackend {
    pool: SqlitePool,
    /// One lock per client being synced or practice renewing its tokens
    /// (now or before), in this process: an embedded database has one.
    locks: Arc<Mutex<HashMap<Lock, Arc<tokio::sync::Mutex<()>>>>>,
}

/// The migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

fn query(statement: Statement) -> Query<'static, Sqlite, SqliteArguments> {
    let q = sqlx::query(AssertSqlSafe(statement.sql));
    statement.args.into_iter().fold(q, |q, arg| match arg {
        Arg::Id(id) => q.bind(id.map(|id| id.to_string())),
        Arg::Text(text) => q.bind(text),
        Arg::Json(body) => q.bind(String::from(Box::<str>::from(body))),
        Arg::Time(at) => q.bind(at.map(micros)),
        Arg::Bytes(bytes) => q.bind(bytes),
        Arg::Int(n) => q.bind(n),
    })
}

impl Backend for SqliteBackend {
    type Row = SqliteRow;
    type Guard = OwnedMutexGuard<()>;
    // SQLite takes a bare column (body) from the row holding the MAX.
    const NEWEST_PER_CLIENT: &'static str = "SELECT body, MAX(seq) FROM activity_log
         WHERE practice_id = $1 AND client_id IS NOT NULL GROUP BY client_id";

    async fn fetch(&self, statement: Statement) -> sqlx::Result<Vec<SqliteRow>> {
        query(statement).fetch_all(&self.pool).await
    }

    async fn execute(&self, statement: Statement) -> sqlx::Result<u64> {
        Ok(query(statement).execute(&self.pool).await?.rows_affected())
    }

    async fn execute_all(&self, statements: Vec<Statement>) -> sqlx::Result<()> {
        let mut tx = self.pool.begin().await?;
        for statement in statements {
            query(statement).execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    async fn lock(&self, lock: Lock) -> Result<(OwnedMutexGuard<()>, bool), StoreError> {
        let mutex = {
            let mut locks = self
                .locks
                .lock()
                .map_err(|_| StoreError::Unavailable("a lock table was poisoned".into()))?;
            locks.entry(lock).or_default().clone()
        };
        match mutex.clone().try_lock_owned() {
            Ok(guard) => Ok((guard, false)),
            Err(_) => Ok((mutex.lock_owned().await, true)),
        }
    }

    /// Opens (creating if missing) the database at `url` (`sqlite://path`).
    async fn connect(url: &str) -> Result<Self, StoreError> {
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
            .map_err(store_error)?;
        Ok(Self {
            pool,
            locks: Arc::default(),
        })
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrating the SQLite store failed: {e}")))
    }

    fn text(row: &SqliteRow, column: &str) -> Result<String, StoreError> {
        row.try_get(column).map_err(unreadable)
    }
    fn bytes(row: &SqliteRow, column: &str) -> Result<Vec<u8>, StoreError> {
        row.try_get(column).map_err(unreadable)
    }
    fn id(row: &SqliteRow, column: &str) -> Result<Uuid, StoreError> {
        Uuid::parse_str(&Self::text(row, column)?)
            .map_err(|e| StoreError::Unavailable(format!("a stored id is not a UUID: {e}")))
    }
    fn time(row: &SqliteRow, column: &str) -> Result<OffsetDateTime, StoreError> {
        from_micros(row.try_get(column).map_err(unreadable)?)
    }
}

impl SqliteStore {
    pub fn pool(&self) -> &SqlitePool {
        &self.backend.pool
    }

    pub async fn close(&self) {
        self.backend.pool.close().await;
    }
}
