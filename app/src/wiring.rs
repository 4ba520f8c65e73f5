//! From configuration to a running app: opens the store the database URL
//! names, builds the XPM adapter, and hands both to the domain's use cases.

use std::sync::Arc;

use domain::relationship_type::RelationshipTypes;

use axum_extra::extract::cookie::Key;
use domain::usecases::{Accounts, Integration};
use secrecy::ExposeSecret;
use sql_store::postgres::PgBackend;
use sql_store::sqlite::SqliteBackend;
use sql_store::{Backend, PostgresStore, SqlStore, SqliteStore, TokenKey};
use system_adapter::{RandomIds, SystemClock};
use xpm_adapter::{XeroAuthorization, XpmClient, XpmConfig};

use crate::state::{AppState, AppStore};

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error("the database could not be opened: {0}")]
    Store(#[from] domain::ports::StoreError),
    #[error("PMHUB_XPM_DATABASE_URL must be a postgres:// or sqlite: URL")]
    UnknownStore,
    #[error("the Xero settings cannot work: {0}")]
    Xero(#[from] xpm_adapter::ConfigError),
}

/// Which store a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

impl StoreKind {
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Opens the `B` store at `url`, migrating it first when asked.
pub async fn open_store<B: Backend>(
    url: &str,
    key: &TokenKey,
    migrate: bool,
) -> Result<SqlStore<B>, WiringError> {
    let store = SqlStore::<B>::connect(url, key).await?;
    if migrate {
        store.migrate().await?;
    }
    Ok(store)
}

/// The SQLite store at `url`, for callers that know their store.
pub async fn open_sqlite(
    url: &str,
    key: &TokenKey,
    migrate: bool,
) -> Result<SqliteStore, WiringError> {
    open_store(url, key, migrate).await
}

/// The Postgres store at `url`, for callers that know their store.
pub async fn open_postgres(
    url: &str,
    key: &TokenKey,
    migrate: bool,
) -> Result<PostgresStore, WiringError> {
    open_store(url, key, migrate).await
}

/// Work to do on whichever store a database URL names (a generic closure,
/// which Rust has not).
pub trait WithStore {
    type Output;
    fn run<S: AppStore>(self, store: S) -> impl Future<Output = Self::Output>;
}

/// Opens the store `url` names and runs `work` on it.
pub async fn with_store<W: WithStore>(
    url: &str,
    key: &TokenKey,
    migrate: bool,
    work: W,
) -> Result<W::Output, WiringError> {
    match StoreKind::of(url).ok_or(WiringError::UnknownStore)? {
        StoreKind::Sqlite => Ok(work
            .run(open_store::<SqliteBackend>(url, key, migrate).await?)
            .await),
        StoreKind::Postgres => Ok(work
            .run(open_store::<PgBackend>(url, key, migrate).await?)
            .await),
    }
}

/// The session cookie key, derived from the token key so that one secret
/// configures both (separate purposes, separate derived keys).
pub fn cookie_key(token_key: &TokenKey) -> Key {
    let mut master = b"pmhub-xpm session cookie key v1:".to_vec();
    master.extend_from_slice(token_key.to_base64().expose_secret().as_bytes());
    Key::from(&sha512_64(&master))
}

fn sha512_64(bytes: &[u8]) -> [u8; 64] {
    use sha2::{Digest, Sha512};
    Sha512::digest(bytes).into()
}

pub fn app_state<S: AppStore>(
    relationship_types: RelationshipTypes,
    store: S,
    xero: &XpmConfig,
    token_key: &TokenKey,
    secure_cookies: bool,
    sim_url: Option<String>,
) -> Result<AppState<S>, WiringError> {
    let gateway = XpmClient::new(xero, store.clone())?;
    let authorization = XeroAuthorization::new(xero)?;
    let accounts = Arc::new(Accounts::new(store.clone()));
    let app = Integration::new(
        relationship_types,
        store,
        gateway,
        authorization,
        SystemClock,
        RandomIds,
    );
    Ok(AppState {
        app: Arc::new(app),
        accounts,
        cookie_key: cookie_key(token_key),
        secure_cookies,
        metrics: crate::ops::metrics_recorder(),
        sim_url,
    })
}
