//! PostgreSQL, the production backend: uuid, timestamptz and jsonb columns;
//! syncs of one client serialised across every app process by
//! transaction-level advisory locks.

use std::str::FromStr;
use std::time::Duration;

use domain::ports::StoreError;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, PgPool, Postgres, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Arg, Backend, Lock, SqlStore, Statement, store_error, unreadable};

pub type PostgresStore = SqlStore<PgBackend>;

#[derive(Debug, Clone)]
pub struct PgBackend {
    pool: PgPool,
    /// Connections that hold advisory locks. Apart from `pool`, so that
    /// syncs waiting for a lock can never take every connection the running
    /// syncs need (which deadlocked at 16 concurrent syncs).
    lock_pool: PgPool,
}

/// The migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The first key of every token-renewal lock ("TOKN"). Client syncs use the
/// one-key (bigint) lock space and renewals the two-key one: never in conflict.
const TOKEN_RENEWAL_SPACE: i32 = 0x544f_4b4e;

/// Holds a transaction-level advisory lock. Dropping it ends the
/// transaction, which releases the lock; a crashed process's lock goes with
/// its connection.
#[derive(Debug)]
pub struct PgSyncGuard(Option<sqlx::Transaction<'static, Postgres>>);

impl Drop for PgSyncGuard {
    fn drop(&mut self) {
        // Roll back now rather than whenever the pool next uses the
        // connection, so a waiting sync goes on at once.
        if let (Some(tx), Ok(runtime)) = (self.0.take(), tokio::runtime::Handle::try_current()) {
            runtime.spawn(async move { tx.rollback().await });
        }
    }
}

fn query(statement: Statement) -> Query<'static, Postgres, PgArguments> {
    let q = sqlx::query(AssertSqlSafe(statement.sql));
    statement.args.into_iter().fold(q, |q, arg| match arg {
        Arg::Id(id) => q.bind(id),
        Arg::Text(text) => q.bind(text),
        Arg::Json(body) => q.bind(sqlx::types::Json(body)),
        Arg::Time(at) => q.bind(at),
        Arg::Bytes(bytes) => q.bind(bytes),
        Arg::Int(n) => q.bind(n),
    })
}

/// `pg_[try_]advisory_xact_lock` on the key(s) of `lock`.
fn lock_query(lock: Lock, wait: bool) -> Query<'static, Postgres, PgArguments> {
    let f = if wait {
        "pg_advisory_xact_lock"
    } else {
        "pg_try_advisory_xact_lock"
    };
    match lock {
        Lock::ClientSync(practice, client) => {
            let (p, c) = (
                practice.as_uuid().as_u64_pair(),
                client.as_uuid().as_u64_pair(),
            );
            let key = i64::from_ne_bytes((p.0 ^ p.1 ^ c.0.rotate_left(17) ^ c.1).to_ne_bytes());
            sqlx::query(AssertSqlSafe(format!("SELECT {f}($1)"))).bind(key)
        }
        Lock::TokenRenewal(practice) => {
            let (hi, lo) = practice.as_uuid().as_u64_pair();
            let folded = hi ^ lo;
            let key = i32::from_ne_bytes(((folded >> 32) as u32 ^ folded as u32).to_ne_bytes());
            let q = sqlx::query(AssertSqlSafe(format!("SELECT {f}($1, $2)")));
            q.bind(TOKEN_RENEWAL_SPACE).bind(key)
        }
    }
}

impl Backend for PgBackend {
    type Row = PgRow;
    type Guard = PgSyncGuard;
    const NEWEST_PER_CLIENT: &'static str =
        "SELECT DISTINCT ON (client_id) body::text AS body FROM activity_log
         WHERE practice_id = $1 AND client_id IS NOT NULL ORDER BY client_id, seq DESC";

    async fn fetch(&self, statement: Statement) -> sqlx::Result<Vec<PgRow>> {
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

    /// Takes `lock` in a transaction on the lock pool, so waiting holds
    /// none of the connections the running syncs need.
    async fn lock(&self, lock: Lock) -> Result<(PgSyncGuard, bool), StoreError> {
        let mut tx = self.lock_pool.begin().await.map_err(store_error)?;
        let got: bool = lock_query(lock, false)
            .fetch_one(&mut *tx)
            .await
            .map_err(store_error)?
            .get(0);
        if !got {
            lock_query(lock, true)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        Ok((PgSyncGuard(Some(tx)), !got))
    }

    /// Connects to `url` (`postgres://user@host:port/database`).
    async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(store_error)?;
        // Opened lazily: a lock connection is made only when a sync needs one.
        let lock_pool = PgPoolOptions::new()
            .max_connections(64)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(60))
            .connect_lazy_with(options);
        Ok(Self { pool, lock_pool })
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| {
            StoreError::Unavailable(format!("migrating the PostgreSQL store failed: {e}"))
        })
    }

    fn text(row: &PgRow, column: &str) -> Result<String, StoreError> {
        row.try_get(column).map_err(unreadable)
    }
    fn bytes(row: &PgRow, column: &str) -> Result<Vec<u8>, StoreError> {
        row.try_get(column).map_err(unreadable)
    }
    fn id(row: &PgRow, column: &str) -> Result<Uuid, StoreError> {
        row.try_get(column).map_err(unreadable)
    }
    fn time(row: &PgRow, column: &str) -> Result<OffsetDateTime, StoreError> {
        row.try_get(column).map_err(unreadable)
    }
}

impl PostgresStore {
    pub fn pool(&self) -> &PgPool {
        &self.backend.pool
    }

    pub async fn close(&self) {
        self.backend.lock_pool.close().await;
        self.backend.pool.close().await;
    }
}
