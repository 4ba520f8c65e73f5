//! Every control operation, each written once: its route, its parameters,
//! body and answer, and what it does to the sim. `surface.rs` turns each
//! into a [`crate::SimHandle`] method, a `/_sim` route and a
//! [`crate::ControlClient`] method.

use super::op::{ControlError, ControlOp, NoParams};
use super::views::{
    Archived, Cleared, ClockAdvance, ClockReading, ClockSetting, ConnectRequest, ConnectionView,
    Deleted, Expired, FaultAdded, Merged, OrgState, OrgSummary, Removed, ResetAnswer,
    RevokeRequest, Revoked,
};
use crate::doc::Doc;
use crate::faults::{FaultRule, FaultSpec};
use crate::identity::{NO_ACCESS_MESSAGE, connection_time};
use crate::ids::{ClientUuid, RelationshipUuid, TenantId};
use crate::journal::{JournalEntry, JournalFilter};
use crate::limits::LimitsConfig;
use crate::practice::{XpmError, clients, custom_fields, relationships};
use crate::rng::DetRng;
use crate::seed::{Seed, SeedReport};
use crate::shared::Shared;
use crate::state::{Client, Connection, CustomFieldDef, Org, Relationship, SimState};
use crate::tokens::{self, TokenSet};
use axum::http::Method;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::convert::Infallible;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The body of an operation that takes none: anything sent is ignored (as
/// the routes always have), nothing is sent.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NoBody;

impl Serialize for NoBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for NoBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| NoBody)
    }
}

/// `/_sim/orgs/{tenant}/...`
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct TenantPath {
    pub tenant: TenantId,
}

/// `/_sim/orgs/{tenant}/clients/{uuid}/...`
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct ClientPath {
    pub tenant: TenantId,
    pub uuid: ClientUuid,
}

/// `/_sim/orgs/{tenant}/clients/{uuid}/merge-into/{into}`
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct MergePath {
    pub tenant: TenantId,
    pub uuid: ClientUuid,
    pub into: ClientUuid,
}

/// `/_sim/orgs/{tenant}/relationships/{id}`
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct RelationshipPath {
    pub tenant: TenantId,
    pub id: RelationshipUuid,
}

/// `/_sim/faults/{id}`
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct FaultPath {
    pub id: u64,
}

fn no_org(tenant: TenantId) -> ControlError {
    ControlError::NotFound(format!("organisation {tenant}"))
}

fn org(st: &SimState, tenant: TenantId) -> Result<&Org, ControlError> {
    st.orgs.get(tenant.as_uuid()).ok_or_else(|| no_org(tenant))
}

fn invalid(e: XpmError) -> ControlError {
    ControlError::Invalid(e.0)
}

fn fields(json: &Value) -> Result<Doc, ControlError> {
    Doc::from_json(json).map_err(ControlError::Invalid)
}

/// Runs an XPM rule on one organisation, as a person in XPM would; "not
/// found" errors become 404s.
fn with_org<T>(
    sh: &Shared,
    tenant: TenantId,
    f: impl FnOnce(&mut Org, &mut DetRng, OffsetDateTime) -> Result<T, XpmError>,
) -> Result<T, ControlError> {
    let now = sh.clock.now();
    let mut st = sh.lock();
    let SimState {
        orgs, rng, version, ..
    } = &mut *st;
    let org = orgs
        .get_mut(tenant.as_uuid())
        .ok_or_else(|| no_org(tenant))?;
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

fn view(st: &SimState, c: &Connection) -> ConnectionView {
    ConnectionView {
        id: c.id,
        tenant_id: c.tenant_id.into(),
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

/// Declares an operation's route and shapes; the body of `run` follows.
macro_rules! op {
    (
        $(#[$doc:meta])*
        $name:ident: $method:ident $path:literal,
        ($params:ty, $body:ty) -> $answer:ty, refused by $refusal:ty,
        |$sh:ident, $p:pat_param, $b:pat_param| $run:block
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub(crate) struct $name;

        impl ControlOp for $name {
            const METHOD: Method = Method::$method;
            const PATH: &'static str = $path;
            type Params = $params;
            type Body = $body;
            type Answer = $answer;
            type Refusal = $refusal;

            fn run($sh: &Shared, $p: $params, $b: $body) -> Result<$answer, $refusal> $run
        }
    };
}

/// Back to a seed: the state it makes, the start time, an empty journal, no
/// faults.
pub(crate) fn reset_to(sh: &Shared, seed: &Seed) -> Result<SeedReport, ControlError> {
    let cfg = &sh.config;
    let mut fresh = SimState::empty(cfg.rng_seed, cfg.limits, cfg.journal_capacity);
    let report =
        crate::seed::apply(&mut fresh, cfg.start_time, seed).map_err(ControlError::Invalid)?;
    let _ = sh.clock.set(cfg.start_time);
    let mut st = sh.lock();
    let version = st.version;
    *st = fresh;
    st.version = version + 1;
    Ok(report)
}

op! {
    /// Back to the configured seed (no body) or a given one.
    Reset: POST "/_sim/reset", (NoParams, Option<Seed>) -> ResetAnswer, refused by ControlError,
    |sh, _, seed| {
        Ok(match seed {
            Some(seed) => ResetAnswer::Seeded(reset_to(sh, &seed)?),
            None => {
                reset_to(sh, &sh.config.seed)?;
                ResetAnswer::Reset { reset: true }
            }
        })
    }
}

op! {
    /// Adds organisations, staff, clients, relationships, users and apps (all or nothing).
    AddSeed: POST "/_sim/seed", (NoParams, Seed) -> SeedReport, refused by ControlError,
    |sh, _, seed| {
        let now = sh.clock.now();
        let mut st = sh.lock();
        // Applied to a copy so a failing seed changes nothing.
        let mut copy = st.clone();
        let report = crate::seed::apply(&mut copy, now, &seed).map_err(ControlError::Invalid)?;
        copy.journal = std::mem::take(&mut st.journal);
        copy.usage = std::mem::take(&mut st.usage);
        *st = copy;
        Ok(report)
    }
}

op! {
    Orgs: GET "/_sim/orgs", (NoParams, NoBody) -> Vec<OrgSummary>, refused by Infallible,
    |sh, _, _| {
        let st = sh.lock();
        Ok(st
            .orgs
            .values()
            .map(|o| OrgSummary {
                id: o.id.into(),
                name: o.name.clone(),
                clients: o.clients.values().filter(|c| !c.deleted).count(),
                relationships: o.relationships.len(),
            })
            .collect())
    }
}

op! {
    /// Everything about one organisation, as XPM holds it.
    GetOrg: GET "/_sim/orgs/{tenant}", (TenantPath, NoBody) -> OrgState, refused by ControlError,
    |sh, p, _| {
        let st = sh.lock();
        let org = org(&st, p.tenant)?.clone();
        let connections = st
            .connections
            .values()
            .filter(|c| c.tenant_id == *p.tenant.as_uuid())
            .map(|c| view(&st, c))
            .collect();
        Ok(OrgState { org, connections })
    }
}

op! {
    /// A person adds a client in XPM (XPM field names, the API's rules).
    AddClient: POST "/_sim/orgs/{tenant}/clients", (TenantPath, Value) -> Client, refused by ControlError,
    |sh, p, json| {
        let input = clients::parse(&fields(&json)?).map_err(invalid)?;
        let now = sh.clock.now();
        let mut st = sh.lock();
        let SimState { orgs, rng, version, .. } = &mut *st;
        let org = orgs.get_mut(p.tenant.as_uuid()).ok_or_else(|| no_org(p.tenant))?;
        let id = clients::add(org, rng, now, input).map_err(invalid)?;
        *version += 1;
        org.clients
            .get(&id)
            .cloned()
            .ok_or_else(|| ControlError::NotFound(format!("client {id}")))
    }
}

op! {
    /// One client as stored (deleted ones included, tax number unmasked).
    GetClient: GET "/_sim/orgs/{tenant}/clients/{uuid}", (ClientPath, NoBody) -> Client, refused by ControlError,
    |sh, p, _| {
        let st = sh.lock();
        org(&st, p.tenant)?
            .clients
            .get(p.uuid.as_uuid())
            .cloned()
            .ok_or_else(|| ControlError::NotFound(format!("client {}", p.uuid)))
    }
}

op! {
    /// A person edits a client in XPM: fields by their XPM names
    /// (`{"Email": "new@x.test"}`; an empty string clears). Same rules as the API.
    EditClient: PATCH "/_sim/orgs/{tenant}/clients/{uuid}", (ClientPath, Value) -> Client, refused by ControlError,
    |sh, p, json| {
        let input = clients::parse(&fields(&json)?).map_err(invalid)?;
        let uuid = *p.uuid.as_uuid();
        let input = clients::ClientInput { uuid: Some(uuid.to_string()), ..input };
        let now = sh.clock.now();
        let mut st = sh.lock();
        let org = st.orgs.get_mut(p.tenant.as_uuid()).ok_or_else(|| no_org(p.tenant))?;
        if org.live_client(uuid).is_none() {
            return Err(ControlError::NotFound(format!("client {uuid}")));
        }
        clients::update(org, now, input).map_err(invalid)?;
        let client = org.clients.get(&uuid).cloned();
        st.version += 1;
        client.ok_or_else(|| ControlError::NotFound(format!("client {uuid}")))
    }
}

op! {
    /// A person archives a client in XPM.
    ArchiveClient: POST "/_sim/orgs/{tenant}/clients/{uuid}/archive", (ClientPath, NoBody) -> Archived, refused by ControlError,
    |sh, p, _| {
        with_org(sh, p.tenant, |org, _, now| {
            clients::archive(org, now, Some(p.uuid.to_string())).map(|_| Archived::YES)
        })
    }
}

op! {
    /// A person deletes a client in XPM (its relationships go too).
    DeleteClient: POST "/_sim/orgs/{tenant}/clients/{uuid}/delete", (ClientPath, NoBody) -> Deleted, refused by ControlError,
    |sh, p, _| {
        with_org(sh, p.tenant, |org, _, now| {
            clients::delete(org, now, Some(p.uuid.to_string())).map(|_| Deleted::YES)
        })
    }
}

op! {
    /// A person merges client `uuid` into client `into` in XPM (see
    /// `practice::clients::merge`).
    MergeClient: POST "/_sim/orgs/{tenant}/clients/{uuid}/merge-into/{into}", (MergePath, NoBody) -> Merged, refused by ControlError,
    |sh, p, _| {
        with_org(sh, p.tenant, |org, _, now| {
            clients::merge(org, now, *p.uuid.as_uuid(), *p.into.as_uuid()).map(|_| Merged::YES)
        })
    }
}

op! {
    /// The organisation's custom field definitions, in XPM's list order.
    CustomFields: GET "/_sim/orgs/{tenant}/custom-fields", (TenantPath, NoBody) -> Vec<CustomFieldDef>, refused by ControlError,
    |sh, p, _| {
        let st = sh.lock();
        Ok(custom_fields::definitions(org(&st, p.tenant)?).into_iter().cloned().collect())
    }
}

op! {
    /// An XPM administrator adds a custom field (`{"Name", "Type", "Options"?, ...}`).
    AddCustomField: POST "/_sim/orgs/{tenant}/custom-fields", (TenantPath, Value) -> CustomFieldDef, refused by ControlError,
    |sh, p, json| {
        let doc = fields(&json)?;
        with_org(sh, p.tenant, |org, rng, _| {
            let id = custom_fields::define(org, rng, &doc)?;
            org.custom_fields
                .get(&id)
                .cloned()
                .ok_or_else(|| XpmError::new("Custom field not found"))
        })
    }
}

fn values_of(st: &SimState, p: ClientPath) -> Result<BTreeMap<String, String>, ControlError> {
    let org = org(st, p.tenant)?;
    if !org.clients.contains_key(p.uuid.as_uuid()) {
        return Err(ControlError::NotFound(format!("client {}", p.uuid)));
    }
    Ok(custom_fields::values_of(org, *p.uuid.as_uuid())
        .into_iter()
        .map(|(d, v)| (d.name.clone(), v.to_owned()))
        .collect())
}

op! {
    /// The custom fields a client holds a value in, by field name, as stored
    /// (dates `yyyy-MM-dd`, booleans `true`/`false`); deleted clients included.
    ClientCustomFields: GET "/_sim/orgs/{tenant}/clients/{uuid}/custom-fields", (ClientPath, NoBody) -> BTreeMap<String, String>, refused by ControlError,
    |sh, p, _| { values_of(&sh.lock(), p) }
}

op! {
    /// A person fills in (or, with `""`, empties) custom fields of a client
    /// in XPM (`{"<field name or UUID>": "value"}`); answers its values.
    SetClientCustomFields: PATCH "/_sim/orgs/{tenant}/clients/{uuid}/custom-fields", (ClientPath, Value) -> BTreeMap<String, String>, refused by ControlError,
    |sh, p, json| {
        let inputs = custom_fields::parse_edit(&fields(&json)?).map_err(invalid)?;
        with_org(sh, p.tenant, |org, _, now| {
            custom_fields::write(org, now, *p.uuid.as_uuid(), &inputs)
        })?;
        values_of(&sh.lock(), p)
    }
}

op! {
    /// A person adds a relationship in XPM (`{"ClientUUID", "RelatedClientUUID", "Type", ...}`).
    AddRelationship: POST "/_sim/orgs/{tenant}/relationships", (TenantPath, Value) -> Relationship, refused by ControlError,
    |sh, p, json| {
        let doc = fields(&json)?;
        with_org(sh, p.tenant, |org, rng, now| {
            let id = relationships::add(org, rng, now, &doc)?;
            org.relationships
                .get(&id)
                .cloned()
                .ok_or_else(|| XpmError::new("Relationship not found"))
        })
    }
}

op! {
    /// A person changes a relationship's values in XPM (`{"UUID", "NumberOfShares", ...}`).
    UpdateRelationship: PATCH "/_sim/orgs/{tenant}/relationships", (TenantPath, Value) -> Relationship, refused by ControlError,
    |sh, p, json| {
        let doc = fields(&json)?;
        with_org(sh, p.tenant, |org, _, now| {
            let id = relationships::update(org, now, &doc)?;
            org.relationships
                .get(&id)
                .cloned()
                .ok_or_else(|| XpmError::new("Relationship not found"))
        })
    }
}

op! {
    /// A person deletes a relationship in XPM.
    DeleteRelationship: DELETE "/_sim/orgs/{tenant}/relationships/{id}", (RelationshipPath, NoBody) -> Deleted, refused by ControlError,
    |sh, p, _| {
        let doc = fields(&serde_json::json!({ "UUID": p.id.to_string() }))?;
        with_org(sh, p.tenant, |org, _, now| {
            relationships::delete(org, now, &doc).map(|_| Deleted::YES)
        })
    }
}

op! {
    /// Reads the journal (oldest first).
    Journal: GET "/_sim/journal", (JournalFilter, NoBody) -> Vec<JournalEntry>, refused by Infallible,
    |sh, filter, _| { Ok(sh.lock().journal.query(&filter)) }
}

op! {
    ClearJournal: DELETE "/_sim/journal", (NoParams, NoBody) -> Cleared, refused by Infallible,
    |sh, _, _| {
        sh.lock().journal.clear();
        Ok(Cleared::YES)
    }
}

op! {
    Faults: GET "/_sim/faults", (NoParams, NoBody) -> Vec<FaultRule>, refused by Infallible,
    |sh, _, _| { Ok(sh.lock().faults.clone()) }
}

op! {
    /// Adds a fault rule; answers its id.
    AddFault: POST "/_sim/faults", (NoParams, FaultSpec) -> FaultAdded, refused by Infallible,
    |sh, _, spec| {
        let mut st = sh.lock();
        let id = st.next_fault_id;
        st.next_fault_id += 1;
        st.faults.push(FaultRule { id, spec, fired: 0 });
        st.version += 1;
        Ok(FaultAdded { id })
    }
}

op! {
    ClearFaults: DELETE "/_sim/faults", (NoParams, NoBody) -> Cleared, refused by Infallible,
    |sh, _, _| {
        let mut st = sh.lock();
        st.faults.clear();
        st.version += 1;
        Ok(Cleared::YES)
    }
}

op! {
    RemoveFault: DELETE "/_sim/faults/{id}", (FaultPath, NoBody) -> Removed, refused by ControlError,
    |sh, p, _| {
        let mut st = sh.lock();
        let before = st.faults.len();
        st.faults.retain(|f| f.id != p.id);
        if st.faults.len() == before {
            return Err(ControlError::NotFound(format!("fault rule {}", p.id)));
        }
        st.version += 1;
        Ok(Removed::YES)
    }
}

op! {
    /// Every access token expires now (refresh tokens still work); answers how many.
    ExpireTokens: POST "/_sim/tokens/expire", (NoParams, NoBody) -> Expired, refused by Infallible,
    |sh, _, _| {
        let now = sh.clock.now();
        let mut st = sh.lock();
        let mut expired = 0;
        for t in st.access_tokens.values_mut() {
            if t.expires > now {
                t.expires = now;
                expired += 1;
            }
        }
        st.version += 1;
        Ok(Expired { expired })
    }
}

op! {
    Connections: GET "/_sim/connections", (NoParams, NoBody) -> Vec<ConnectionView>, refused by Infallible,
    |sh, _, _| {
        let st = sh.lock();
        Ok(st.connections.values().map(|c| view(&st, c)).collect())
    }
}

op! {
    /// An XPM admin removes the app's access to a practice (all users'
    /// connections to it, or only one app's); answers how many went.
    Revoke: POST "/_sim/connections/revoke", (NoParams, RevokeRequest) -> Revoked, refused by Infallible,
    |sh, _, req| {
        let mut st = sh.lock();
        let ids: Vec<Uuid> = st
            .connections
            .values()
            .filter(|c| {
                c.tenant_id == *req.tenant_id.as_uuid()
                    && req.client_id.as_deref().is_none_or(|id| c.client_id == id)
            })
            .map(|c| c.id)
            .collect();
        for id in &ids {
            st.remove_connection(*id);
        }
        Ok(Revoked { revoked: ids.len() })
    }
}

op! {
    /// Connects an app for a user and answers tokens, as if the user had
    /// clicked through the login and consent pages. Same rules: only an
    /// admin with third-party access can grant.
    Connect: POST "/_sim/connect", (NoParams, ConnectRequest) -> TokenSet, refused by ControlError,
    |sh, _, req| {
        let now = sh.clock.now();
        let issuer = format!("{}/identity", sh.base_url());
        let mut st = sh.lock();
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
        let tenants: Vec<Uuid> = if req.tenants.is_empty() {
            grantable.clone()
        } else {
            req.tenants.clone()
        };
        if let Some(t) = tenants.iter().find(|t| !grantable.contains(t)) {
            return Err(ControlError::Invalid(format!("{} cannot grant access to {t}", user.email)));
        }
        let scopes: Vec<String> = if req.scopes.is_empty() {
            ["openid", "profile", "email", "offline_access", "practicemanager"]
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
        Ok(tokens::issue(&mut st, now, &issuer, &req.client_id, user.id, &scopes, auth_event_id))
    }
}

op! {
    /// The sim clock's time.
    Clock: GET "/_sim/clock", (NoParams, NoBody) -> ClockReading, refused by Infallible,
    |sh, _, _| { Ok(ClockReading { now: sh.clock.now() }) }
}

op! {
    /// Moves the sim clock (the year must stay within 1970..=9000).
    AdvanceClock: POST "/_sim/clock/advance", (NoParams, ClockAdvance) -> ClockReading, refused by ControlError,
    |sh, _, by| {
        sh.clock
            .advance(Duration::new(by.seconds, by.nanoseconds))
            .map_err(|e| ControlError::Invalid(e.to_string()))?;
        Ok(ClockReading { now: sh.clock.now() })
    }
}

op! {
    /// Sets the sim clock (the year must be within 1970..=9000).
    SetClock: POST "/_sim/clock/set", (NoParams, ClockSetting) -> ClockReading, refused by ControlError,
    |sh, _, to| {
        sh.clock.set(to.now).map_err(|e| ControlError::Invalid(e.to_string()))?;
        Ok(ClockReading { now: sh.clock.now() })
    }
}

op! {
    Limits: GET "/_sim/limits", (NoParams, NoBody) -> LimitsConfig, refused by Infallible,
    |sh, _, _| { Ok(sh.lock().limits) }
}

op! {
    /// Replaces the rate limits (usage so far is forgotten); answers them.
    SetLimits: PUT "/_sim/limits", (NoParams, LimitsConfig) -> LimitsConfig, refused by Infallible,
    |sh, _, limits| {
        let mut st = sh.lock();
        st.limits = limits;
        st.usage.clear();
        Ok(limits)
    }
}
