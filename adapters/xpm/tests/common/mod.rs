//! Shared by the adapter's integration tests: an in-memory token store,
//! a pinned clock, fast resilience settings and canonical payloads.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::client::{BusinessStructure, ClientDetails, ClientKind};
use domain::connection::ConnectionState;
use domain::ids::{PracticeId, XpmTenantId};
use domain::ports::{
    Clock, ConnectionStore, PendingAuthorisation, StoreError, TokenSet, XpmAccess,
};
use domain::settings::PushOptions;
use domain::sync::ClientPayload;
use domain::text::ClientName;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;
use xpm_adapter::{Resilience, XeroEndpoints, XpmConfig};

pub const NOW: OffsetDateTime = datetime!(2026-01-05 09:00:00 UTC);
pub const PRACTICE: PracticeId = PracticeId::from_uuid(Uuid::from_u128(0x9001));
pub const TENANT: XpmTenantId = XpmTenantId::from_uuid(Uuid::from_u128(0x7e4a47));

pub fn access() -> XpmAccess {
    XpmAccess {
        practice: PRACTICE,
        tenant: TENANT,
    }
}

/// A clock that stays where it is put.
#[derive(Debug, Clone)]
pub struct PinnedClock(pub Arc<Mutex<OffsetDateTime>>);

impl PinnedClock {
    pub fn at(t: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(t)))
    }
}

impl Clock for PinnedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// Tokens (and connection states) in memory. Every save is recorded.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    pub tokens: Arc<Mutex<HashMap<PracticeId, TokenSet>>>,
    /// The access token of every `save_tokens`, in order.
    pub saves: Arc<Mutex<Vec<String>>>,
    states: Arc<Mutex<HashMap<PracticeId, ConnectionState>>>,
    pub fail_saves: Arc<Mutex<bool>>,
    /// One renewal at a time, across every `XpmClient` sharing this store
    /// (as the real stores do across processes).
    renewal: Arc<tokio::sync::Mutex<()>>,
}

impl MemoryStore {
    pub fn with_tokens(access: &str, refresh: &str, expires_at: OffsetDateTime) -> Self {
        let store = Self::default();
        store
            .tokens
            .lock()
            .unwrap()
            .insert(PRACTICE, tokens(access, refresh, expires_at));
        store
    }

    pub fn current(&self) -> Option<(String, String)> {
        self.tokens.lock().unwrap().get(&PRACTICE).map(|t| {
            (
                t.access_token.expose_secret().to_owned(),
                t.refresh_token.expose_secret().to_owned(),
            )
        })
    }

    pub fn saves(&self) -> Vec<String> {
        self.saves.lock().unwrap().clone()
    }
}

pub fn tokens(access: &str, refresh: &str, expires_at: OffsetDateTime) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(access.to_owned()),
        refresh_token: SecretString::from(refresh.to_owned()),
        access_expires_at: expires_at,
    }
}

impl ConnectionStore for MemoryStore {
    type RenewalGuard = tokio::sync::OwnedMutexGuard<()>;

    async fn lock_token_renewal(
        &self,
        _practice: PracticeId,
    ) -> Result<Self::RenewalGuard, StoreError> {
        Ok(self.renewal.clone().lock_owned().await)
    }

    async fn connection(&self, practice: PracticeId) -> Result<ConnectionState, StoreError> {
        Ok(self
            .states
            .lock()
            .unwrap()
            .get(&practice)
            .cloned()
            .unwrap_or(ConnectionState::NotConnected))
    }

    async fn save_connection(
        &self,
        practice: PracticeId,
        state: &ConnectionState,
    ) -> Result<(), StoreError> {
        self.states.lock().unwrap().insert(practice, state.clone());
        Ok(())
    }

    async fn tokens(&self, practice: PracticeId) -> Result<Option<TokenSet>, StoreError> {
        Ok(self.tokens.lock().unwrap().get(&practice).cloned())
    }

    async fn save_tokens(&self, practice: PracticeId, tokens: &TokenSet) -> Result<(), StoreError> {
        if *self.fail_saves.lock().unwrap() {
            return Err(StoreError::Unavailable("disk full".into()));
        }
        self.saves
            .lock()
            .unwrap()
            .push(tokens.access_token.expose_secret().to_owned());
        self.tokens.lock().unwrap().insert(practice, tokens.clone());
        Ok(())
    }

    async fn clear_tokens(&self, practice: PracticeId) -> Result<(), StoreError> {
        self.tokens.lock().unwrap().remove(&practice);
        Ok(())
    }

    async fn save_pending_authorisation(
        &self,
        _practice: PracticeId,
        _pending: &PendingAuthorisation,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    async fn take_pending_authorisation(
        &self,
        _practice: PracticeId,
        _state: &str,
    ) -> Result<Option<PendingAuthorisation>, StoreError> {
        Ok(None)
    }
}

/// Settings that keep tests fast: short timeouts and backoffs, no pacing.
pub fn fast() -> Resilience {
    Resilience {
        request_timeout: Duration::from_millis(400),
        connect_timeout: Duration::from_millis(400),
        read_attempts: 3,
        connect_attempts: 2,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(2),
        default_retry_after: Duration::from_millis(10),
        rate_limit_retries: 2,
        calls_per_minute: 600_000,
        max_in_flight: 5,
        refresh_margin: Duration::from_secs(120),
        max_answer_bytes: 1024 * 1024,
    }
}

pub fn config(base_url: &str, client_id: &str, secret: &str) -> XpmConfig {
    let mut c = XpmConfig::with_endpoints(
        XeroEndpoints::under(base_url),
        client_id,
        SecretString::from(secret.to_owned()),
        "https://pmhub.example/xpm/callback",
    );
    c.resilience = fast();
    c
}

pub fn organisation(name: &str, structure: BusinessStructure) -> ClientPayload {
    let mut d = ClientDetails::named(ClientName::new(name).unwrap(), ClientKind::Organisation);
    d.business_structure = Some(structure);
    ClientPayload::new(&d, PushOptions::default())
}
