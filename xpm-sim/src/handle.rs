//! The typed control handle: everything a test (or the control API, or the
//! UI) can do to a running sim besides calling it like an app would.

use crate::doc::Doc;
use crate::faults::{FaultRule, FaultSpec};
use crate::identity::{NO_ACCESS_MESSAGE, connection_time};
use crate::journal::{JournalEntry, JournalFilter};
use crate::limits::LimitsConfig;
use crate::practice::{clients, custom_fields, relationships};
use crate::seed::{Seed, SeedReport};
use crate::sim::Shared;
use crate::state::{Client, Connection, CustomFieldDef, Org, Relationship, SimState};
use crate::tokens::{self, TokenSet};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A control operation that could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid: {0}")]
    Invalid(String),
}

impl ControlError {
    pub fn code(&self) -> &'static str {
        match self {
            ControlError::NotFound(_) => "not_found",
            ControlError::Invalid(_) => "invalid",
        }
    }
}

/// One organisation in a listing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrgSummary {
    pub id: Uuid,
    pub name: String,
    pub clients: usize,
    pub relationships: usize,
}

/// A connection as the control API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectionView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_name: String,
    pub user_id: Uuid,
    pub user_email: String,
    pub client_id: String,
    pub auth_event_id: Uuid,
    pub created: String,
    pub updated: String,
}

/// The full state of one organisation (tax numbers unmasked).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrgState {
    pub org: Org,
    pub connections: Vec<ConnectionView>,
}

/// Connects an app without clicking through the login pages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectRequest {
    pub client_id: String,
    pub user_email: String,
    /// Organisations to grant; all the user may grant when empty.
    #[serde(default)]
    pub tenants: Vec<Uuid>,
    /// Defaults to `openid profile email offline_access practicemanager`.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Cheap to clone; all clones drive the same sim.
#[derive(Debug, Clone)]
pub struct SimHandle {
    sh: Arc<Shared>,
}

fn view(st: &SimState, c: &Connection) -> ConnectionView {
    ConnectionView {
        id: c.id,
        tenant_id: c.tenant_id,
        tenant_name: st
            .orgs
            .get(&c.tenant_id)
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        user_id: c.user_id,
        user_email: st
            .users
            .get(&c.user_id)
            .map(|u| u.email.clone())
            .unwrap_or_default(),
        client_id: c.client_id.clone(),
        auth_event_id: c.auth_event_id,
        created: connection_time(c.created),
        updated: connection_time(c.updated),
    }
}

impl SimHandle {
    pub(crate) fn new(sh: Arc<Shared>) -> Self {
        Self { sh }
    }

    pub fn base_url(&self) -> String {
        self.sh.base_url()
    }

    /// Back to the configured seed, an empty journal, no faults, the start time.
    pub fn reset(&self) {
        let _ = self.reset_to(self.sh.config.seed.clone());
    }

    /// Back to a given seed.
    pub fn reset_to(&self, seed: Seed) -> Result<SeedReport, ControlError> {
        let cfg = &self.sh.config;
        let mut fresh = SimState::empty(cfg.rng_seed, cfg.limits, cfg.journal_capacity);
        let report =
            crate::seed::apply(&mut fresh, cfg.start_time, &seed).map_err(ControlError::Invalid)?;
        let _ = self.sh.clock.set(cfg.start_time);
        let mut st = self.sh.lock();
        let version = st.version;
        *st = fresh;
        st.version = version + 1;
        Ok(report)
    }

    /// Adds organisations, staff, clients, relationships, users and apps.
    pub fn seed(&self, seed: &Seed) -> Result<SeedReport, ControlError> {
        let now = self.sh.clock.now();
        let mut st = self.sh.lock();
        // Applied to a copy so a failing seed changes nothing.
        let mut copy = st.clone();
        let report = crate::seed::apply(&mut copy, now, seed).map_err(ControlError::Invalid)?;
        copy.journal = std::mem::take(&mut st.journal);
        copy.usage = std::mem::take(&mut st.usage);
        *st = copy;
        Ok(report)
    }

    pub fn orgs(&self) -> Vec<OrgSummary> {
        let st = self.sh.lock();
        st.orgs
            .values()
            .map(|o| OrgSummary {
                id: o.id,
                name: o.name.clone(),
                clients: o.clients.values().filter(|c| !c.deleted).count(),
                relationships: o.relationships.len(),
            })
            .collect()
    }

    /// Everything about one organisation, as XPM holds it.
    pub fn org_state(&self, tenant: Uuid) -> Result<OrgState, ControlError> {
        let st = self.sh.lock();
        let org = st
            .orgs
            .get(&tenant)
            .cloned()
            .ok_or_else(|| ControlError::NotFound(format!("organisation {tenant}")))?;
        let connections = st
            .connections
            .values()
            .filter(|c| c.tenant_id == tenant)
            .map(|c| view(&st, c))
            .collect();
        Ok(OrgState { org, connections })
    }

    /// One client as stored (deleted ones included, tax number unmasked).
    pub fn client(&self, tenant: Uuid, uuid: Uuid) -> Result<Client, ControlError> {
        let st = self.sh.lock();
        st.orgs
            .get(&tenant)
            .ok_or_else(|| ControlError::NotFound(format!("organisation {tenant}")))?
            .clients
            .get(&uuid)
            .cloned()
            .ok_or_else(|| ControlError::NotFound(format!("client {uuid}")))
    }

    /// Live clients of an organisation, in XPM's list order.
    pub fn clients(&self, tenant: Uuid) -> Result<Vec<Client>, ControlError> {
        let st = self.sh.lock();
        let org = st
            .orgs
            .get(&tenant)
            .ok_or_else(|| ControlError::NotFound(format!("organisation {tenant}")))?;
        Ok(clients::listed(org).into_iter().cloned().collect())
    }

    /// A person edits a client in XPM: fields by their XPM names
    /// (`{"Email": "new@x.test"}`; an empty string clears). Same rules as the API.
    pub fn edit_client(
        &self,
        tenant: Uuid,
        uuid: Uuid,
        fields: &Value,
    ) -> Result<Client, ControlError> {
        let doc = Doc::from_json(fields).map_err(ControlError::Invalid)?;
        let input = clients::parse(&doc).map_err(|e| ControlError::Invalid(e.0))?;
        let input = clients::ClientInput {
            uuid: Some(uuid.to_string()),
            ..input
        };
        let now = self.sh.clock.now();
        let mut st = self.sh.lock();
        let org = st
            .orgs
            .get_mut(&tenant)
            .ok_or_else(|| ControlError::NotFound(format!("organisation {tenant}")))?;
        if org.live_client(uuid).is_none() {
            return Err(ControlError::NotFound(format!("client {uuid}")));
        }
        clients::update(org, now, input).map_err(|e| ControlError::Invalid(e.0))?;
        let client = org.clients.get(&uuid).cloned();
        st.version += 1;
        client.ok_or_else(|| ControlError::NotFound(format!("client {uuid}")))
    }

    /// A person adds a client in XPM.
    pub fn add_client(&self, tenant: Uuid, fields: &Value) -> Result<Client, ControlError> {
        let doc = Doc::from_json(fields).map_err(ControlError::Invalid)?;
        let input = clients::parse(&doc).map_err(|e| ControlError::Invalid(e.0))?;
        let now = self.sh.clock.now();
        let mut st = self.sh.lock();
        let SimState {
            orgs, rng, version, ..
        } = &mut *st;
        let org = orgs
            .get_mut(&tenant)
            .ok_or_else(|| ControlError::NotFound(format!("organisation {tenant}")))?;
        let id = clients::add(org, rng, now, input).map_err(|e| ControlError::Invalid(e.0))?;
        *version += 1;
        org.clients
            .get(&id)
            .cloned()
            .ok_or_else(|| ControlError::NotFound(format!("client {id}")))
    }

    /// A person archives a client in XPM.
    pub fn archive_client(&self, tenant: Uuid, uuid: Uuid) -> Result<(), ControlError> {
        self.with_org(tenant, |org, _, now| {
            clients::archive(org, now, Some(uuid.to_string())).map(|_| ())
        })
    }

    /// A person deletes a client in XPM (its relationships go too).
    pub fn delete_client(&self, tenant: Uuid, uuid: Uuid) -> Result<(), ControlError> {
        self.with_org(tenant, |org, _, now| {
            clients::delete(org, now, Some(uuid.to_string())).map(|_| ())
        })
    }

    /// A person merges client `merged` into client `into` in XPM: `merged`
    /// then answers like a deleted client, and its relationships move to
    /// `into` (except one between the two, and one `into` already has with
    /// the same type and other client). See [`clients::merge`].
    pub fn merge_client(&self, tenant: Uuid, merged: Uuid, into: Uuid) -> Result<(), ControlError> {
        self.with_org(tenant, |org, _, now| {
            clients::merge(org, now, merged, into).map(|_| ())
        })
    }

    /// A person adds a relationship in XPM: the API's relationship fields
    /// (`{"ClientUUID", "RelatedClientUUID", "Type", ...}`), same rules.
    pub fn add_relationship(
        &self,
        tenant: Uuid,
        fields: &Value,
    ) -> Result<Relationship, ControlError> {
        let doc = Doc::from_json(fields).map_err(ControlError::Invalid)?;
        self.with_org(tenant, |org, rng, now| {
            let id = relationships::add(org, rng, now, &doc)?;
            org.relationships
                .get(&id)
                .cloned()
                .ok_or_else(|| crate::practice::XpmError::new("Relationship not found"))
        })
    }

    /// A person changes a relationship's values in XPM (`{"UUID", "NumberOfShares", ...}`).
    pub fn update_relationship(
        &self,
        tenant: Uuid,
        fields: &Value,
    ) -> Result<Relationship, ControlError> {
        let doc = Doc::from_json(fields).map_err(ControlError::Invalid)?;
        self.with_org(tenant, |org, _, now| {
            let id = relationships::update(org, now, &doc)?;
            org.relationships
                .get(&id)
                .cloned()
                .ok_or_else(|| crate::practice::XpmError::new("Relationship not found"))
        })
    }

    /// A person deletes a relationship in XPM.
    pub fn delete_relationship(&self, tenant: Uuid, id: Uuid) -> Result<(), ControlError> {
        let doc = Doc::from_json(&serde_json::json!({ "UUID": id.to_string() }))
            .map_err(ControlError::Invalid)?;
        self.with_org(tenant, |org, _, now| {
            relationships::delete(org, now, &doc).map(|_| ())
        })
    }

    /// The organisation's custom field definitions, in XPM's list order.
    pub fn custom_fields(&self, tenant: Uuid) -> Result<Vec<CustomFieldDef>, ControlError> {
        let st = self.sh.lock();
        let org = st
            .orgs
            .get(&tenant)
            .ok_or_else(|| ControlError::NotFound(format!("organisation {tenant}")))?;
        Ok(custom_fields::definitions(org)
            .into_iter()
            .cloned()
            .collect())
    }

    /// An XPM administrator adds a custom field: `{"Name", "Type", "Options"?,
    /// "LinkUrl"?, "UseClient"?, "UseContact"?, ..., "UUID"?}` (XPM names;
    /// the same rules as seeds).
    pub fn add_custom_field(
        &self,
        tenant: Uuid,
        definition: &Value,
    ) -> Result<CustomFieldDef, ControlError> {
        let doc = Doc::from_json(definition).map_err(ControlError::Invalid)?;
        self.with_org(tenant, |org, rng, _| {
            let id = custom_fields::define(org, rng, &doc)?;
            org.custom_fields
                .get(&id)
                .cloned()
                .ok_or_else(|| crate::practice::XpmError::new("Custom field not found"))
        })
    }

    /// The custom fields a client holds a value in, by field name, as stored
    /// (dates `yyyy-MM-dd`, booleans `true`/`false`); deleted clients included.
    pub fn client_custom_fields(
        &self,
        tenant: Uuid,
        uuid: Uuid,
    ) -> Result<BTreeMap<String, String>, ControlError> {
        let st = self.sh.lock();
        let org = st
            .orgs
            .get(&tenant)
            .ok_or_else(|| ControlError::NotFound(format!("organisation {tenant}")))?;
        if !org.clients.contains_key(&uuid) {
            return Err(ControlError::NotFound(format!("client {uuid}")));
        }
        Ok(custom_fields::values_of(org, uuid)
            .into_iter()
            .map(|(d, v)| (d.name.clone(), v.to_owned()))
            .collect())
    }

    /// A person fills in (or, with `""`, empties) custom fields of a client
    /// in XPM: `{"<field name or UUID>": "value", ...}`; the API's rules.
    /// Answers the client's values, as [`SimHandle::client_custom_fields`].
    pub fn set_client_custom_fields(
        &self,
        tenant: Uuid,
        uuid: Uuid,
        values: &Value,
    ) -> Result<BTreeMap<String, String>, ControlError> {
        let doc = Doc::from_json(values).map_err(ControlError::Invalid)?;
        let inputs = custom_fields::parse_edit(&doc).map_err(|e| ControlError::Invalid(e.0))?;
        self.with_org(tenant, |org, _, now| {
            custom_fields::write(org, now, uuid, &inputs)
        })?;
        self.client_custom_fields(tenant, uuid)
    }

    /// Runs an XPM rule on one organisation; "not found" errors become 404s.
    fn with_org<T>(
        &self,
        tenant: Uuid,
        f: impl FnOnce(
            &mut Org,
            &mut crate::ids::DetRng,
            OffsetDateTime,
        ) -> Result<T, crate::practice::XpmError>,
    ) -> Result<T, ControlError> {
        let now = self.sh.clock.now();
        let mut st = self.sh.lock();
        let SimState {
            orgs, rng, version, ..
        } = &mut *st;
        let org = orgs
            .get_mut(&tenant)
            .ok_or_else(|| ControlError::NotFound(format!("organisation {tenant}")))?;
        let out = f(org, rng, now).map_err(|e| {
            if e.0.ends_with("not found") {
                ControlError::NotFound(e.0)
            } else {
                ControlError::Invalid(e.0)
            }
        })?;
        *version += 1;
        Ok(out)
    }

    /// Reads the journal.
    pub fn journal(&self, filter: &JournalFilter) -> Vec<JournalEntry> {
        self.sh.lock().journal.query(filter)
    }

    /// Every journal entry.
    pub fn journal_all(&self) -> Vec<JournalEntry> {
        self.journal(&JournalFilter::default())
    }

    pub fn clear_journal(&self) {
        self.sh.lock().journal.clear();
    }

    /// Adds a fault rule; returns its id.
    pub fn add_fault(&self, spec: FaultSpec) -> u64 {
        let mut st = self.sh.lock();
        let id = st.next_fault_id;
        st.next_fault_id += 1;
        st.faults.push(FaultRule { id, spec, fired: 0 });
        st.version += 1;
        id
    }

    pub fn faults(&self) -> Vec<FaultRule> {
        self.sh.lock().faults.clone()
    }

    pub fn remove_fault(&self, id: u64) -> Result<(), ControlError> {
        let mut st = self.sh.lock();
        let before = st.faults.len();
        st.faults.retain(|f| f.id != id);
        if st.faults.len() == before {
            return Err(ControlError::NotFound(format!("fault rule {id}")));
        }
        st.version += 1;
        Ok(())
    }

    pub fn clear_faults(&self) {
        let mut st = self.sh.lock();
        st.faults.clear();
        st.version += 1;
    }

    /// Every access token expires now (refresh tokens still work). Returns how many.
    pub fn expire_all_tokens(&self) -> usize {
        let now = self.sh.clock.now();
        let mut st = self.sh.lock();
        let mut n = 0;
        for t in st.access_tokens.values_mut() {
            if t.expires > now {
                t.expires = now;
                n += 1;
            }
        }
        st.version += 1;
        n
    }

    /// An XPM admin removes the app's access to a practice (all users' connections
    /// to it, or only one app's). Returns how many connections went.
    pub fn revoke_connection(&self, tenant: Uuid, client_id: Option<&str>) -> usize {
        let mut st = self.sh.lock();
        let ids: Vec<Uuid> = st
            .connections
            .values()
            .filter(|c| c.tenant_id == tenant && client_id.is_none_or(|id| c.client_id == id))
            .map(|c| c.id)
            .collect();
        for id in &ids {
            st.remove_connection(*id);
        }
        ids.len()
    }

    pub fn connections(&self) -> Vec<ConnectionView> {
        let st = self.sh.lock();
        st.connections.values().map(|c| view(&st, c)).collect()
    }

    /// Connects an app for a user and returns tokens, as if the user had
    /// clicked through the login and consent pages. Same rules: only an
    /// admin with third-party access can grant.
    pub fn connect(&self, req: &ConnectRequest) -> Result<TokenSet, ControlError> {
        let now = self.sh.clock.now();
        let issuer = format!("{}/identity", self.sh.base_url());
        let mut st = self.sh.lock();
        if !st.apps.contains_key(&req.client_id) {
            return Err(ControlError::NotFound(format!("app {}", req.client_id)));
        }
        let user = st
            .users
            .values()
            .find(|u| u.email.eq_ignore_ascii_case(&req.user_email))
            .cloned()
            .ok_or_else(|| ControlError::NotFound(format!("user {}", req.user_email)))?;
        let grantable = user.grantable_orgs();
        if grantable.is_empty() {
            return Err(ControlError::Invalid(NO_ACCESS_MESSAGE.into()));
        }
        let tenants = if req.tenants.is_empty() {
            grantable.clone()
        } else {
            req.tenants.clone()
        };
        if let Some(t) = tenants.iter().find(|t| !grantable.contains(t)) {
            return Err(ControlError::Invalid(format!(
                "{} cannot grant access to {t}",
                user.email
            )));
        }
        let scopes: Vec<String> = if req.scopes.is_empty() {
            [
                "openid",
                "profile",
                "email",
                "offline_access",
                "practicemanager",
            ]
            .iter()
            .map(|s| (*s).to_string())
            .collect()
        } else {
            req.scopes.clone()
        };
        let auth_event_id = st.rng.uuid();
        for tenant in tenants {
            let existing = st.connections.values_mut().find(|c| {
                c.user_id == user.id && c.client_id == req.client_id && c.tenant_id == tenant
            });
            if let Some(c) = existing {
                c.updated = now;
                c.auth_event_id = auth_event_id;
            } else {
                let id = st.rng.uuid();
                st.connections.insert(
                    id,
                    Connection {
                        id,
                        tenant_id: tenant,
                        user_id: user.id,
                        client_id: req.client_id.clone(),
                        auth_event_id,
                        created: now,
                        updated: now,
                    },
                );
            }
        }
        Ok(tokens::issue(
            &mut st,
            now,
            &issuer,
            &req.client_id,
            user.id,
            &scopes,
            auth_event_id,
        ))
    }

    pub fn now(&self) -> OffsetDateTime {
        self.sh.clock.now()
    }

    /// Moves the sim clock (the year must stay within 1970..=9000).
    pub fn advance_clock(&self, by: Duration) {
        let _ = self.try_advance_clock(by);
    }

    pub fn try_advance_clock(&self, by: Duration) -> Result<(), ControlError> {
        self.sh
            .clock
            .advance(by)
            .map_err(|e| ControlError::Invalid(e.to_string()))
    }

    /// Sets the sim clock (the year must be within 1970..=9000).
    pub fn set_clock(&self, to: OffsetDateTime) {
        let _ = self.try_set_clock(to);
    }

    pub fn try_set_clock(&self, to: OffsetDateTime) -> Result<(), ControlError> {
        self.sh
            .clock
            .set(to)
            .map_err(|e| ControlError::Invalid(e.to_string()))
    }

    pub fn limits(&self) -> LimitsConfig {
        self.sh.lock().limits
    }

    pub fn set_limits(&self, limits: LimitsConfig) {
        let mut st = self.sh.lock();
        st.limits = limits;
        st.usage.clear();
    }
}
