//! The store: every store port of the domain, written once over SQL and run
//! on PostgreSQL (production) or SQLite (local runs and `pmhub-xpm demo`).
//!
//! The ports (`accounts`, `clients`, `connection`, `sync_records`,
//! `activity`) speak only to [`Backend`], which supplies the primitives the
//! two databases do differently: binding ids, times and JSON bodies, reading
//! them back, transactions, locks and migrations ([`postgres`], [`sqlite`]).
//! Statements use `$n` placeholders, which both databases accept.
//!
//! Every query is scoped by practice. Tokens and PKCE verifiers are sealed
//! ([`TokenSealer`]). The activity log is append-only, down to triggers.

mod accounts;
mod activity;
mod clients;
mod connection;
pub mod postgres;
mod row;
mod sealing;
pub mod sqlite;
mod sync_records;

use std::borrow::Cow;
use std::future::Future;

use domain::ids::{
    ActivityEntryId, AssociationId, AssociationTypeId, ClientId, PracticeId, UserId, XpmTenantId,
};
use domain::ports::StoreError;
use time::OffsetDateTime;
use uuid::Uuid;

pub use postgres::{PgSyncGuard, PostgresStore};
pub use row::{decode, encode, from_micros, micros};
pub use sealing::{KeyError, SealError, TokenKey, TokenSealer};
pub use sqlite::SqliteStore;

/// The store over one backend. Cheap to clone: clones share the pools and
/// the locks.
#[derive(Debug, Clone)]
pub struct SqlStore<B> {
    backend: B,
    sealer: TokenSealer,
}

impl<B: Backend> SqlStore<B> {
    /// Opens the database at `url` (`postgres://...` or `sqlite://path`,
    /// as `B` is), sealing tokens with `key`.
    pub async fn connect(url: &str, key: &TokenKey) -> Result<Self, StoreError> {
        let backend = B::connect(url).await?;
        Ok(Self {
            backend,
            sealer: TokenSealer::new(key),
        })
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.backend.migrate().await
    }

    /// The rows `statement` answers, each read by `read`.
    async fn rows<T>(
        &self,
        statement: Statement,
        read: impl Fn(&B::Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = self.backend.fetch(statement).await.map_err(store_error)?;
        rows.iter().map(read).collect()
    }

    /// The JSON bodies `statement` answers (in a column named `body`).
    async fn bodies<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        statement: Statement,
    ) -> Result<Vec<T>, StoreError> {
        self.rows(statement, |r| decode(what, &B::text(r, "body")?))
            .await
    }

    /// The first row `statement` answers, if any, read by `read`.
    async fn row<T>(
        &self,
        statement: Statement,
        read: impl Fn(&B::Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.rows(statement, read).await?.into_iter().next())
    }

    /// The one body `statement` answers, if any.
    async fn body<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        statement: Statement,
    ) -> Result<Option<T>, StoreError> {
        self.row(statement, |r| decode(what, &B::text(r, "body")?))
            .await
    }

    async fn execute(&self, statement: Statement) -> Result<(), StoreError> {
        self.backend.execute(statement).await.map_err(store_error)?;
        Ok(())
    }

    /// Runs an upsert guarded by `WHERE <table>.practice_id =
    /// excluded.practice_id`: when it changed no row, the row belongs to
    /// another practice.
    async fn upsert(&self, statement: Statement, what: &str) -> Result<(), StoreError> {
        match self.backend.execute(statement).await.map_err(store_error)? {
            0 => Err(StoreError::Conflict(format!(
                "{what} belongs to another practice"
            ))),
            _ => Ok(()),
        }
    }
}

/// What a backend supplies; everything else is written once.
pub trait Backend: Clone + Send + Sync + 'static {
    type Row: Send;
    /// Holds a [`Lock`] until dropped.
    type Guard: Send;
    /// The newest activity entry of each client of practice `$1`: written
    /// per backend so each uses its fastest form.
    const NEWEST_PER_CLIENT: &'static str;

    fn fetch(
        &self,
        statement: Statement,
    ) -> impl Future<Output = sqlx::Result<Vec<Self::Row>>> + Send;
    fn execute(&self, statement: Statement) -> impl Future<Output = sqlx::Result<u64>> + Send;
    /// Runs every statement in one transaction.
    fn execute_all(
        &self,
        statements: Vec<Statement>,
    ) -> impl Future<Output = sqlx::Result<()>> + Send;
    /// Takes `lock`, waiting for it if another holder has it; answers
    /// whether it had to wait.
    fn lock(
        &self,
        lock: Lock,
    ) -> impl Future<Output = Result<(Self::Guard, bool), StoreError>> + Send;
    fn connect(url: &str) -> impl Future<Output = Result<Self, StoreError>> + Send;
    fn migrate(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn text(row: &Self::Row, column: &str) -> Result<String, StoreError>;
    fn bytes(row: &Self::Row, column: &str) -> Result<Vec<u8>, StoreError>;
    fn id(row: &Self::Row, column: &str) -> Result<Uuid, StoreError>;
    fn time(row: &Self::Row, column: &str) -> Result<OffsetDateTime, StoreError>;
}

/// What a lock is held on: one client's syncs, or one practice's token
/// renewals. The two never conflict, so a sync can renew its practice's
/// tokens while it holds its client's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lock {
    ClientSync(PracticeId, ClientId),
    TokenRenewal(PracticeId),
}

/// A value bound to a placeholder; each backend encodes it its own way.
#[derive(Debug)]
pub enum Arg {
    Id(Option<Uuid>),
    Text(String),
    /// A domain value's JSON body.
    Json(Box<serde_json::value::RawValue>),
    Time(Option<OffsetDateTime>),
    Bytes(Vec<u8>),
    Int(i64),
}

/// SQL with `$n` placeholders and the values bound to them, in order.
#[derive(Debug)]
pub struct Statement {
    pub sql: Cow<'static, str>,
    pub args: Vec<Arg>,
}

fn sql(text: impl Into<Cow<'static, str>>) -> Statement {
    Statement {
        sql: text.into(),
        args: Vec::new(),
    }
}

impl Statement {
    fn arg(mut self, arg: Arg) -> Self {
        self.args.push(arg);
        self
    }
    fn id(self, id: impl Key) -> Self {
        self.arg(Arg::Id(id.uuid()))
    }
    fn text(self, text: impl Into<String>) -> Self {
        self.arg(Arg::Text(text.into()))
    }
    fn json<T: serde::Serialize>(self, value: &T) -> Result<Self, StoreError> {
        let body = serde_json::value::to_raw_value(value)
            .map_err(|e| StoreError::Unavailable(format!("cannot encode a row: {e}")))?;
        Ok(self.arg(Arg::Json(body)))
    }
    fn time(self, at: impl Into<Option<OffsetDateTime>>) -> Self {
        self.arg(Arg::Time(at.into()))
    }
    fn bytes(self, bytes: Vec<u8>) -> Self {
        self.arg(Arg::Bytes(bytes))
    }
    fn int(self, n: i64) -> Self {
        self.arg(Arg::Int(n))
    }
}

/// A domain id (or an absent one), bound as an id.
trait Key {
    fn uuid(self) -> Option<Uuid>;
}

macro_rules! keys {
    ($($id:ty),*) => {$(
        impl Key for $id {
            fn uuid(self) -> Option<Uuid> {
                Some(*self.as_uuid())
            }
        }
    )*};
}
keys!(
    PracticeId,
    UserId,
    ClientId,
    AssociationId,
    AssociationTypeId,
    XpmTenantId,
    ActivityEntryId
);

impl<K: Key> Key for Option<K> {
    fn uuid(self) -> Option<Uuid> {
        self.and_then(Key::uuid)
    }
}

/// What a failed query means to the domain, the same for both backends.
pub fn store_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Conflict(format!("a record it refers to does not exist: {d}"))
        }
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("already exists: {d}"))
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

impl From<SealError> for StoreError {
    fn from(e: SealError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

/// A column that would not read as the type asked for.
fn unreadable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(format!("a stored column cannot be read: {e}"))
}
