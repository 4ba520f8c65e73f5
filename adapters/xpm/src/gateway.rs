//! XPM API v3.1 as the domain's [`XpmGateway`]: client add, update, get,
//! search and list, relationship add and update, custom field definitions
//! and a client's custom field read and update (`custom_fields`). No delete
//! or archive call exists here.
//!
//! The calls each port method makes: `get_client` one get; `search_clients`
//! one detailed search; `create_client` one add (no search first: the
//! domain's sync has searched, and says what it found in `known`), and a
//! search by name only after an add whose answer was lost; `update_client`
//! one update (none when no field is given); a relationship add one call (a
//! get only after a lost answer); a relationship update one call.
//!
//! Every call waits for a place among the organisation's calls in flight
//! and for the organisation's rate limiter, carries a fresh access token,
//! and has a timeout. Reads are retried; writes are never blindly retried:
//! a write whose answer was lost is looked up in XPM first.
//!
//! The layers, each in its module: `transport` makes one call (the
//! calls-in-flight limit, the rolling minute, the token, the answer
//! classified); `retry` decides what each outcome means for a read and for
//! a write; `clients`, `relationships`, `custom_fields` and `connection`
//! are XPM's operations on top. This file holds the shared state and the
//! port.

mod clients;
mod connection;
mod custom_fields;
mod relationships;
mod retry;
mod transport;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::custom_field::XpmCustomFieldDefinition;
use domain::ids::{XpmClientUuid, XpmCustomFieldUuid, XpmRelationshipUuid, XpmTenantId};
use domain::ports::{
    Clock, ConnectionStore, RelationshipWrite, XpmAccess, XpmClientView, XpmError, XpmGateway,
};
use domain::sync::{ClientPayload, LookAlike, OwnedField};
use reqwest::StatusCode;
use tokio::sync::Semaphore;

use crate::allowance::Allowances;
use crate::config::{ConfigError, Resilience, XpmConfig};
use crate::http;
use crate::identity::XeroAuthorization;
use crate::pace::RollingLimit;
use crate::tokens::TokenKeeper;
use crate::xml::{WriteError, XmlError};
use system_adapter::SystemClock;

/// XPM's API for the domain: the [`XpmGateway`]. Cheap to clone; clones
/// share the rate limiter, the calls-in-flight limit and the token locks.
pub struct XpmClient<S> {
    inner: Arc<Shared<S>>,
}

impl<S> Clone for XpmClient<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<S> std::fmt::Debug for XpmClient<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XpmClient")
            .field("xpm_base_url", &self.inner.base)
            .finish_non_exhaustive()
    }
}

struct Shared<S> {
    tokens: TokenKeeper<S>,
    http: reqwest::Client,
    base: String,
    r: Resilience,
    pace: RollingLimit,
    in_flight: Mutex<HashMap<XpmTenantId, Arc<Semaphore>>>,
    allowances: Allowances,
}

fn write_error(err: WriteError) -> XpmError {
    XpmError::Rejected(format!("the request cannot be sent to XPM: {err}"))
}

/// XPM's ERROR answer. XPM answers an unknown client with an ERROR whose
/// text says "not found" (the sim: "Client not found"); uncertain for every case.
fn answer_error(message: String) -> XpmError {
    if message.to_lowercase().contains("not found") {
        XpmError::NotFound(message)
    } else {
        XpmError::Rejected(message)
    }
}

fn unreadable(what: &str, status: StatusCode, err: &XmlError) -> XpmError {
    XpmError::UnexpectedAnswer(format!("{what} (HTTP {}): {err}", status.as_u16()))
}

impl<S: ConnectionStore> XpmClient<S> {
    /// The gateway over `store`'s tokens.
    pub fn new(config: &XpmConfig, store: S) -> Result<Self, ConfigError> {
        Self::with_clock(config, store, Arc::new(SystemClock))
    }

    pub fn with_clock(
        config: &XpmConfig,
        store: S,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let r = config.resilience.clone();
        let identity = XeroAuthorization::with_clock(config, clock)?;
        Ok(Self {
            inner: Arc::new(Shared {
                tokens: TokenKeeper::new(store, identity, r.refresh_margin),
                http: http::client(&r)?,
                base: config
                    .endpoints
                    .xpm_base_url
                    .trim_end_matches('/')
                    .to_owned(),
                pace: RollingLimit::new(r.calls_per_minute, Duration::from_secs(60)),
                in_flight: Mutex::new(HashMap::new()),
                allowances: Allowances::default(),
                r,
            }),
        })
    }

    /// The authorisation port on the same configuration and clock.
    pub fn authorization(&self) -> XeroAuthorization {
        self.inner.tokens.identity().clone()
    }
}

impl<S: ConnectionStore> XpmGateway for XpmClient<S> {
    async fn create_client(
        &self,
        access: XpmAccess,
        payload: &ClientPayload,
        owned: &[OwnedField],
        known: &[XpmClientUuid],
    ) -> Result<XpmClientUuid, XpmError> {
        self.create(access, payload, owned, known).await
    }

    async fn update_client(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        payload: &ClientPayload,
        fields: &[OwnedField],
    ) -> Result<(), XpmError> {
        self.update(access, xpm_client, payload, fields).await
    }

    async fn write_relationships(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        writes: Vec<RelationshipWrite>,
    ) -> Vec<Result<XpmRelationshipUuid, XpmError>> {
        // All at once: the calls-in-flight limit and the rate limiter pace them.
        let calls = writes.iter().map(|write| async move {
            match write {
                RelationshipWrite::Add {
                    related_xpm_client,
                    xpm_type,
                    terms,
                } => {
                    self.add_relationship(access, xpm_client, *related_xpm_client, xpm_type, terms)
                        .await
                }
                RelationshipWrite::Update {
                    xpm_relationship,
                    carries,
                    terms,
                } => {
                    self.update_relationship(access, *xpm_relationship, *carries, terms)
                        .await
                }
            }
        });
        futures::future::join_all(calls).await
    }

    async fn get_client(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
    ) -> Result<XpmClientView, XpmError> {
        self.get(access, xpm_client).await
    }

    async fn search_clients(
        &self,
        access: XpmAccess,
        query: &str,
    ) -> Result<Vec<LookAlike>, XpmError> {
        self.search(access, query).await
    }

    async fn clients_modified_since(
        &self,
        access: XpmAccess,
        since: time::OffsetDateTime,
    ) -> Result<Vec<LookAlike>, XpmError> {
        self.modified_since(access, since).await
    }

    async fn custom_field_definitions(
        &self,
        access: XpmAccess,
    ) -> Result<Vec<XpmCustomFieldDefinition>, XpmError> {
        self.definitions(access).await
    }

    async fn read_client_custom_field(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
    ) -> Result<Option<String>, XpmError> {
        self.read_custom_field(access, xpm_client, field).await
    }

    async fn write_client_custom_field(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
        value: &str,
    ) -> Result<(), XpmError> {
        self.write_custom_field(access, xpm_client, field, value)
            .await
    }

    fn allowance(&self, access: XpmAccess) -> Option<domain::ports::XpmAllowance> {
        self.inner.allowances.get(access.tenant)
    }

    async fn check_connection(&self, access: XpmAccess) -> Result<(), XpmError> {
        self.check(access).await
    }
}
