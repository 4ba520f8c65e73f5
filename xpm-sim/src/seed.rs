//! Seeds: the organisations, staff, clients, relationships, users and app
//! registrations a sim starts with. A seed is JSON; clients are written with
//! the same field names as the XPM API (`Name`, `Email`, ...) and go through
//! the same validation.

use crate::doc::Doc;
use crate::ids::{ClientUuid, TenantId};
use crate::practice::{clients, custom_fields, relationships};
use crate::state::{App, Membership, Org, SimState, Staff, User};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// The demo seed shipped with the sim (`seed/default.json`).
pub const DEFAULT_SEED_JSON: &str = include_str!("../seed/default.json");

/// Well-known values of the default seed, for local use and tests.
pub mod demo {
    use crate::ids::{ClientUuid, TenantId};
    use uuid::uuid;

    /// [`TENANT_ID`] as a typed id.
    pub const TENANT: TenantId = TenantId::from_uuid(uuid!("3f2a1b7c-5d4e-4f60-9a8b-1c2d3e4f5a60"));
    /// [`SECOND_TENANT_ID`] as a typed id.
    pub const SECOND_TENANT: TenantId =
        TenantId::from_uuid(uuid!("7b9e2d41-8c3a-4e5f-b6a7-0d1e2f3a4b5c"));
    /// [`ACME_UUID`] as a typed id.
    pub const ACME: ClientUuid =
        ClientUuid::from_uuid(uuid!("0d5c3a1e-2b4f-4c6d-8e7f-9a0b1c2d3e4f"));
    /// [`JANE_UUID`] as a typed id.
    pub const JANE: ClientUuid =
        ClientUuid::from_uuid(uuid!("1e6d4b2f-3c5a-4d7e-9f8a-0b1c2d3e4f5a"));

    pub const TENANT_ID: &str = "3f2a1b7c-5d4e-4f60-9a8b-1c2d3e4f5a60";
    /// Not in `GET /connections` (`"tenantName": null`, as Xero documents for XPM).
    pub const TENANT_NAME: &str = "Demo Practice";
    pub const SECOND_TENANT_ID: &str = "7b9e2d41-8c3a-4e5f-b6a7-0d1e2f3a4b5c";
    /// Named in `GET /connections` (the seed says `"name_in_connections": true`).
    pub const SECOND_TENANT_NAME: &str = "Second Practice";
    pub const CLIENT_ID: &str = "pmhub-local";
    pub const CLIENT_SECRET: &str = "pmhub-local-secret";
    pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/integrations/xpm/callback";
    /// Admin with "Authorise 3rd party Full Access" in both practices.
    pub const ADMIN_EMAIL: &str = "admin@demo-practice.test";
    pub const ADMIN_USER_ID: &str = "9e5b4a6f-1b7d-4e2c-bf0a-6c8d0e2f4a5b";
    /// Not an admin: cannot connect apps.
    pub const STAFF_EMAIL: &str = "staff@demo-practice.test";
    pub const STAFF_USER_ID: &str = "af6c5b7a-2c8e-4f3d-8a1b-7d9e1f3a5b6c";
    /// Admin without the third-party privilege: cannot connect apps either.
    pub const PARTNER_EMAIL: &str = "partner@demo-practice.test";
    pub const ACME_UUID: &str = "0d5c3a1e-2b4f-4c6d-8e7f-9a0b1c2d3e4f";
    pub const JANE_UUID: &str = "1e6d4b2f-3c5a-4d7e-9f8a-0b1c2d3e4f5a";
    pub const ACCOUNT_MANAGER_UUID: &str = "5a1e0c2b-7d3f-4a8e-9b6c-2e4f6a8b0c1d";
    /// Demo Practice's client custom fields: a Text one (where an app can
    /// keep its own id for a client), a Date and a Select (Bronze, Silver,
    /// Gold). A fourth, "Preferred contact time", is used for contacts only.
    pub const PM_HUB_ID_FIELD_UUID: &str = "c4a1e7d2-3b5f-4e60-8a9b-0c1d2e3f4a01";
    pub const PM_HUB_ID_FIELD_NAME: &str = "PM Hub ID";
    pub const ENGAGEMENT_SIGNED_FIELD_UUID: &str = "c4a1e7d2-3b5f-4e60-8a9b-0c1d2e3f4a02";
    pub const SERVICE_TIER_FIELD_UUID: &str = "c4a1e7d2-3b5f-4e60-8a9b-0c1d2e3f4a03";
    pub const CONTACT_ONLY_FIELD_UUID: &str = "c4a1e7d2-3b5f-4e60-8a9b-0c1d2e3f4a04";
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Seed {
    #[serde(default)]
    pub orgs: Vec<OrgSeed>,
    #[serde(default)]
    pub users: Vec<UserSeed>,
    #[serde(default)]
    pub apps: Vec<App>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OrgSeed {
    /// Tenant id; generated when absent.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    /// Whether `GET /connections` gives the name (`tenantName`); by default it
    /// answers null, as Xero documents for XPM tenants.
    #[serde(default)]
    pub name_in_connections: bool,
    #[serde(default)]
    pub staff: Vec<StaffSeed>,
    /// Custom field definitions with XPM names (`{"Name", "Type",
    /// "Options"?, "UseClient"?, ..., "UUID"?}`), defined before the clients.
    #[serde(default)]
    pub custom_fields: Vec<Value>,
    /// Client objects with XPM field names; `UUID` optional; custom field
    /// values as `"CustomFields": {"<field name or UUID>": "value"}`.
    #[serde(default)]
    pub clients: Vec<Value>,
    #[serde(default)]
    pub relationships: Vec<RelationshipSeed>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StaffSeed {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UserSeed {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub memberships: Vec<MembershipSeed>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MembershipSeed {
    /// Organisation id or name.
    pub org: String,
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub third_party_access: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RelationshipSeed {
    /// Client UUID or name.
    pub client: String,
    /// Related client UUID or name.
    pub related: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub number_of_shares: Option<i64>,
    #[serde(default)]
    pub percentage: Option<f64>,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
}

/// What a seed created.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SeedReport {
    /// Organisation name -> tenant id.
    pub orgs: BTreeMap<String, TenantId>,
    /// User email -> user id.
    pub users: BTreeMap<String, Uuid>,
    /// "Org name/Client name" -> client UUID.
    pub clients: BTreeMap<String, ClientUuid>,
    pub apps: Vec<String>,
}

impl Seed {
    /// The shipped demo seed.
    pub fn demo() -> Seed {
        serde_json::from_str(DEFAULT_SEED_JSON).unwrap_or_default()
    }

    /// No organisations, users or apps.
    pub fn empty() -> Seed {
        Seed::default()
    }
}

fn find_org(st: &SimState, key: &str) -> Option<Uuid> {
    if let Ok(id) = Uuid::parse_str(key)
        && st.orgs.contains_key(&id)
    {
        return Some(id);
    }
    st.orgs.values().find(|o| o.name == key).map(|o| o.id)
}

fn find_client(org: &Org, key: &str) -> Option<Uuid> {
    if let Ok(id) = Uuid::parse_str(key)
        && org.live_client(id).is_some()
    {
        return Some(id);
    }
    clients::listed(org)
        .into_iter()
        .find(|c| c.name() == key)
        .map(|c| c.uuid.into())
}

/// Adds a seed's contents to the state (merging into organisations with the same id).
pub(crate) fn apply(
    st: &mut SimState,
    now: OffsetDateTime,
    seed: &Seed,
) -> Result<SeedReport, String> {
    let mut report = SeedReport::default();
    for os in &seed.orgs {
        if os.name.trim().is_empty() {
            return Err("an organisation needs a name".into());
        }
        let id = os.id.unwrap_or_else(|| st.rng.uuid());
        st.orgs.entry(id).or_insert_with(|| Org {
            id,
            name: os.name.clone(),
            name_in_connections: os.name_in_connections,
            staff: Vec::new(),
            clients: BTreeMap::new(),
            relationships: BTreeMap::new(),
            custom_fields: BTreeMap::new(),
        });
        report.orgs.insert(os.name.clone(), id.into());
        for s in &os.staff {
            let sid = s.id.unwrap_or_else(|| st.rng.uuid());
            let SimState { orgs, .. } = &mut *st;
            if let Some(org) = orgs.get_mut(&id) {
                org.staff.retain(|x| x.uuid != sid);
                org.staff.push(Staff {
                    uuid: sid,
                    name: s.name.clone(),
                    email: s.email.clone(),
                });
            }
        }
        for f in &os.custom_fields {
            let doc = Doc::from_json(f)?;
            let SimState { orgs, rng, .. } = &mut *st;
            if let Some(org) = orgs.get_mut(&id) {
                custom_fields::define(org, rng, &doc)
                    .map_err(|e| format!("custom field {f}: {e}"))?;
            }
        }
        for c in &os.clients {
            let doc = Doc::from_json(c)?;
            let input = clients::parse(&doc).map_err(|e| format!("client {c}: {e}"))?;
            let wanted = match doc.text("uuid") {
                Some(u) if !u.is_empty() => Some(
                    Uuid::parse_str(&u).map_err(|_| format!("client UUID '{u}' is not a UUID"))?,
                ),
                _ => None,
            };
            let SimState { orgs, rng, .. } = &mut *st;
            let Some(org) = orgs.get_mut(&id) else {
                continue;
            };
            let input = clients::ClientInput {
                uuid: None,
                ..input
            };
            let made =
                clients::add(org, rng, now, input).map_err(|e| format!("client {c}: {e}"))?;
            let final_id = match wanted {
                Some(w) => {
                    if let Some(mut client) = org.clients.remove(&made) {
                        client.uuid = w.into();
                        org.clients.insert(w, client);
                    }
                    w
                }
                None => made,
            };
            if let Some(values) = doc.obj("customfields") {
                let inputs =
                    custom_fields::parse_edit(values).map_err(|e| format!("client {c}: {e}"))?;
                custom_fields::write(org, now, final_id, &inputs)
                    .map_err(|e| format!("client {c}: {e}"))?;
            }
            let name = org
                .clients
                .get(&final_id)
                .map(|c| c.name().to_string())
                .unwrap_or_default();
            report
                .clients
                .insert(format!("{}/{}", os.name, name), final_id.into());
        }
        for r in &os.relationships {
            let SimState { orgs, rng, .. } = &mut *st;
            let Some(org) = orgs.get_mut(&id) else {
                continue;
            };
            let a =
                find_client(org, &r.client).ok_or_else(|| format!("no client '{}'", r.client))?;
            let b =
                find_client(org, &r.related).ok_or_else(|| format!("no client '{}'", r.related))?;
            let doc = Doc::from_json(&json!({
                "ClientUUID": a.to_string(),
                "RelatedClientUUID": b.to_string(),
                "Type": r.kind,
                "NumberOfShares": r.number_of_shares,
                "Percentage": r.percentage,
                "StartDate": r.start_date,
                "EndDate": r.end_date,
            }))?;
            relationships::add(org, rng, now, &doc).map_err(|e| format!("relationship: {e}"))?;
        }
    }
    for us in &seed.users {
        let id = us.id.unwrap_or_else(|| st.rng.uuid());
        let mut memberships = Vec::new();
        for m in &us.memberships {
            let org = find_org(st, &m.org).ok_or_else(|| format!("no organisation '{}'", m.org))?;
            memberships.push(Membership {
                org,
                admin: m.admin,
                third_party_access: m.third_party_access,
            });
        }
        st.users.insert(
            id,
            User {
                id,
                email: us.email.clone(),
                name: us.name.clone(),
                memberships,
            },
        );
        report.users.insert(us.email.clone(), id);
    }
    for app in &seed.apps {
        if app.client_id.is_empty() || app.redirect_uris.is_empty() {
            return Err("an app needs a client_id and at least one redirect URI".into());
        }
        st.apps.insert(app.client_id.clone(), app.clone());
        report.apps.push(app.client_id.clone());
    }
    st.version += 1;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::LimitsConfig;

    #[test]
    fn default_seed_parses_and_applies() {
        let seed = Seed::demo();
        assert_eq!(seed.orgs.len(), 2);
        let mut st = SimState::empty(1, LimitsConfig::default(), 10);
        let report = apply(&mut st, OffsetDateTime::UNIX_EPOCH, &seed);
        assert!(report.is_ok(), "{report:?}");
        let tenant = Uuid::parse_str(demo::TENANT_ID).unwrap_or_default();
        assert_eq!(st.orgs.get(&tenant).map(|o| o.relationships.len()), Some(1));
        assert_eq!(st.orgs.get(&tenant).map(|o| o.custom_fields.len()), Some(4));
    }
}
