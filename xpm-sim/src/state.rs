//! Everything the sim knows, in one serialisable struct behind one mutex.
//! Critical sections are short: handlers lock, change, unlock; they never
//! await while holding the lock.

use crate::faults::FaultRule;
use crate::ids::ClientUuid;
use crate::journal::Journal;
use crate::limits::{LimitsConfig, Usage};
use crate::rng::DetRng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// A staff member of a practice (AccountManager / JobManager targets).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Staff {
    pub uuid: Uuid,
    pub name: String,
    #[serde(default)]
    pub email: String,
}

/// A client contact.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Contact {
    pub uuid: Uuid,
    /// Keyed by XML name (Name, Phone, ..., IsPrimary).
    pub fields: BTreeMap<String, String>,
}

/// A client as XPM stores it (tax numbers unmasked).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Client {
    pub uuid: ClientUuid,
    /// Keyed by the request XML name (Name, Email, AccountManagerUUID, ...).
    pub fields: BTreeMap<String, String>,
    pub contacts: Vec<Contact>,
    pub archived: bool,
    pub deleted: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub modified: OffsetDateTime,
    /// Custom field values by definition UUID, normalised (see
    /// `practice::custom_fields`); only fields holding a value.
    #[serde(default)]
    pub custom_fields: BTreeMap<Uuid, String>,
}

impl Client {
    pub fn name(&self) -> &str {
        self.fields.get("Name").map(String::as_str).unwrap_or("")
    }

    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
}

/// One relationship, stored once and shown from both clients.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Relationship {
    pub uuid: Uuid,
    pub client: Uuid,
    pub related: Uuid,
    /// The type as added on `client`; `related` sees the label `relationship_types::seen_from_related` gives.
    pub kind: String,
    pub number_of_shares: Option<i64>,
    pub percentage: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

/// What a custom field holds, by XPM's `Type` name.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum CustomFieldType {
    Text,
    #[serde(rename = "Multi-line Text")]
    MultiLineText,
    Date,
    Number,
    Decimal,
    Boolean,
    Select,
    Link,
}

impl CustomFieldType {
    pub const ALL: [CustomFieldType; 8] = [
        Self::Text,
        Self::MultiLineText,
        Self::Date,
        Self::Number,
        Self::Decimal,
        Self::Boolean,
        Self::Select,
        Self::Link,
    ];

    /// XPM's `Type` text.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Text => "Text",
            Self::MultiLineText => "Multi-line Text",
            Self::Date => "Date",
            Self::Number => "Number",
            Self::Decimal => "Decimal",
            Self::Boolean => "Boolean",
            Self::Select => "Select",
            Self::Link => "Link",
        }
    }

    /// The element a value travels in (`ValueElement`): Text, Date, Number, Decimal or Boolean.
    pub const fn value_element(self) -> &'static str {
        match self {
            Self::Text | Self::MultiLineText | Self::Select | Self::Link => "Text",
            Self::Date => "Date",
            Self::Number => "Number",
            Self::Decimal => "Decimal",
            Self::Boolean => "Boolean",
        }
    }
}

/// One custom field definition of an organisation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CustomFieldDef {
    pub uuid: Uuid,
    pub name: String,
    pub kind: CustomFieldType,
    /// A Select field's options, in order.
    #[serde(default)]
    pub options: Vec<String>,
    /// A Link field's URL.
    #[serde(default)]
    pub link_url: Option<String>,
    #[serde(default)]
    pub use_client: bool,
    #[serde(default)]
    pub use_contact: bool,
    #[serde(default)]
    pub use_job: bool,
    #[serde(default)]
    pub use_lead: bool,
    #[serde(default)]
    pub use_supplier: bool,
    #[serde(default)]
    pub use_job_task: bool,
    #[serde(default)]
    pub use_job_cost: bool,
    #[serde(default)]
    pub use_job_time: bool,
}

/// An XPM organisation (a tenant).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Org {
    pub id: Uuid,
    pub name: String,
    /// Whether `GET /connections` names this organisation. Xero's auth-flow
    /// documentation shows `"tenantName": null` for an XPM tenant, so by
    /// default it does not; a seed may say `"name_in_connections": true` to
    /// play an XPM that does (the identity spec types the field as a name).
    #[serde(default)]
    pub name_in_connections: bool,
    pub staff: Vec<Staff>,
    pub clients: BTreeMap<Uuid, Client>,
    pub relationships: BTreeMap<Uuid, Relationship>,
    /// The organisation's custom field definitions (`customfield.api/definition`).
    #[serde(default)]
    pub custom_fields: BTreeMap<Uuid, CustomFieldDef>,
}

impl Org {
    /// A live (not deleted) client.
    pub fn live_client(&self, id: Uuid) -> Option<&Client> {
        self.clients.get(&id).filter(|c| !c.deleted)
    }
}

/// A user's place in a practice.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Membership {
    pub org: Uuid,
    pub admin: bool,
    /// XPM's "Authorise 3rd party Full Access" privilege.
    pub third_party_access: bool,
}

/// A Xero user who can log in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub memberships: Vec<Membership>,
}

impl User {
    /// Organisations this user may connect an app to.
    pub fn grantable_orgs(&self) -> Vec<Uuid> {
        self.memberships
            .iter()
            .filter(|m| m.admin && m.third_party_access)
            .map(|m| m.org)
            .collect()
    }
}

/// An OAuth app registration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct App {
    pub client_id: String,
    /// `None` for a PKCE-only app without a secret.
    pub client_secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub name: String,
}

/// A tenant an app may call on behalf of a user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Connection {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub client_id: String,
    pub auth_event_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
}

/// A login in progress on the authorise pages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuthSession {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub user: Option<Uuid>,
}

/// An authorisation code (stored by hash).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: Uuid,
    pub scopes: Vec<String>,
    pub code_challenge: Option<String>,
    pub auth_event_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    pub used: bool,
}

/// An access token (stored by hash).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessToken {
    pub client_id: String,
    pub user_id: Uuid,
    pub scopes: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    pub revoked: bool,
}

/// Where a refresh token is in its life.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RefreshState {
    Active,
    /// Used once; may be used again within the grace period while its
    /// successor is unused (the answer was lost).
    Rotated {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        successor: String,
    },
    Revoked,
}

/// A refresh token (stored by hash).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefreshToken {
    pub client_id: String,
    pub user_id: Uuid,
    pub scopes: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    pub state: RefreshState,
    pub used: bool,
}

/// The whole sim.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimState {
    pub rng: DetRng,
    pub orgs: BTreeMap<Uuid, Org>,
    pub users: BTreeMap<Uuid, User>,
    pub apps: BTreeMap<String, App>,
    pub connections: BTreeMap<Uuid, Connection>,
    pub auth_sessions: BTreeMap<String, AuthSession>,
    pub codes: BTreeMap<String, AuthCode>,
    pub access_tokens: BTreeMap<String, AccessToken>,
    pub refresh_tokens: BTreeMap<String, RefreshToken>,
    pub faults: Vec<FaultRule>,
    pub next_fault_id: u64,
    pub limits: LimitsConfig,
    #[serde(skip)]
    pub usage: Usage,
    #[serde(skip)]
    pub journal: Journal,
    /// Bumped on every change, so the state file is written only when needed.
    #[serde(skip)]
    pub version: u64,
}

impl SimState {
    pub fn empty(rng_seed: u64, limits: LimitsConfig, journal_capacity: usize) -> Self {
        Self {
            rng: DetRng::new(rng_seed),
            orgs: BTreeMap::new(),
            users: BTreeMap::new(),
            apps: BTreeMap::new(),
            connections: BTreeMap::new(),
            auth_sessions: BTreeMap::new(),
            codes: BTreeMap::new(),
            access_tokens: BTreeMap::new(),
            refresh_tokens: BTreeMap::new(),
            faults: Vec::new(),
            next_fault_id: 1,
            limits,
            usage: Usage::default(),
            journal: Journal::new(journal_capacity),
            version: 0,
        }
    }

    /// Connections of one user for one app.
    pub fn connections_of(&self, user: Uuid, client_id: &str) -> Vec<&Connection> {
        self.connections
            .values()
            .filter(|c| c.user_id == user && c.client_id == client_id)
            .collect()
    }

    /// Removes a connection; when it was the grant's last, the grant's
    /// refresh and access tokens stop working, as when a user disconnects.
    pub fn remove_connection(&mut self, id: Uuid) -> Option<Connection> {
        let conn = self.connections.remove(&id)?;
        if self
            .connections_of(conn.user_id, &conn.client_id)
            .is_empty()
        {
            self.revoke_grant(conn.user_id, &conn.client_id);
        }
        self.version += 1;
        Some(conn)
    }

    /// Revokes every token of a user's grant to an app.
    pub fn revoke_grant(&mut self, user: Uuid, client_id: &str) {
        for rt in self.refresh_tokens.values_mut() {
            if rt.user_id == user && rt.client_id == client_id {
                rt.state = RefreshState::Revoked;
            }
        }
        for at in self.access_tokens.values_mut() {
            if at.user_id == user && at.client_id == client_id {
                at.revoked = true;
            }
        }
        self.version += 1;
    }
}
