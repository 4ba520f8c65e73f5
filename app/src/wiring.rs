//! From configuration to a running app: opens the store the database URL
//! names, builds the XPM adapter, and hands both to the domain's use cases.

use std::sync::Arc;

use domain::relationship_type::RelationshipTypes;

use axum_extra::extract::cookie::Key;
use domain::usecases::{Accounts, Integration};
use postgres_store::PostgresStore;
use secrecy::ExposeSecret;
use sqlite_store::SqliteStore;
use store_row_format::TokenKey;
use xpm_adapter::{SystemClock, XeroAuthorization, XpmClient, XpmConfig};

use crate::ids::RandomIds;
use crate::state::{AppState, AppStore};

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error("the database could not be opened: {0}")]
    Store(#[from] domain::ports::StoreError),
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

pub async fn open_sqlite(
    url: &str,
    key: &TokenKey,
    migrate: bool,
) -> Result<SqliteStore, WiringError> {
    let store = SqliteStore::connect(url, key).await?;
    if migrate {
        store.migrate().await?;
    }
    Ok(store)
}

pub async fn open_postgres(
    url: &str,
    key: &TokenKey,
    migrate: bool,
) -> Result<PostgresStore, WiringError> {
    let store = PostgresStore::connect(url, key).await?;
    if migrate {
        store.migrate().await?;
    }
    Ok(store)
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
