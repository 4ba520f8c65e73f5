//! One case: a practice on a store, an in-process sim, the model, and how
//! each step is played through the app's use cases (or through the sim's
//! control API, for what people and faults do in XPM).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use domain::activity::ActivityKind;

use domain::association::{AssociationTerms, ShareCount};
use domain::client::{Client, ClientStatus};
use domain::connection::{ConnectionError, ConnectionState, DisconnectConfirmation};
use domain::ids::{ClientId, XpmClientUuid, XpmTenantId};
use domain::relationship_type::XpmRelationshipType;
use domain::sync::{ClientStep, FirstSyncDecision, LookAlike, ManualSyncRequest};
use domain::text::{AssociationTypeName, PmHubId};
use domain::usecases::{PutOutcome, Stores, SyncError, SyncOutcome};
use rule_tests::Rig;
use rule_tests::rig::{first_org, second_org};
use serde_json::json;
use uuid::Uuid;
use xpm_sim::{FaultAction, FaultSpec};

use crate::model::{Model, details, edited};
use crate::ops::{FaultCall, FaultPlay, GoneBy, Grant, LookAlikeKey, Op, Shape};

/// What a step was, for the invariants that depend on it.
#[derive(Debug)]
pub enum Step {
    /// A PM Hub edit or a connection event: no XPM API call at all.
    Quiet,
    /// A person changed XPM directly (no API call either): relationships
    /// may appear or go, clients may be archived, deleted or merged.
    InXpm,
    /// A preview or a connection check: XPM may be read, never written, and
    /// not even read unless the connection was Connected before it.
    ReadOnly { before: ConnectionState },
    /// The Sync button on PM Hub client number `n`.
    Sync(SyncStep),
}

#[derive(Debug)]
pub struct SyncStep {
    pub n: usize,
    pub client: ClientId,
    /// The connection before the sync.
    pub before: ConnectionState,
    /// The mappings as they were when the sync ran.
    pub mappings: BTreeMap<domain::ids::AssociationTypeId, XpmRelationshipType>,
    /// Each sync's result (a first sync that asked for a decision is followed by a second).
    pub results: Vec<Result<SyncOutcome, SyncError>>,
    /// Every XPM client of the connected organisation just before the sync,
    /// as a look-alike search would see it.
    pub xpm_before: Vec<LookAlike>,
}

pub struct Case<S> {
    pub rig: Rig<S>,
    pub model: Model,
    /// The next create's answer is to be lost (`Op::LoseTheNextCreate`).
    lose_next_create: bool,
}

fn pick<T>(items: &[T], index: &proptest::sample::Index) -> Option<usize> {
    (!items.is_empty()).then(|| index.index(items.len()))
}

impl<S: Stores + Clone> Case<S> {
    /// A practice with three clients, three association types (two mapped,
    /// one not) and three associations, connected to the sim's first
    /// organisation, which already holds a look-alike of the first client.
    pub async fn start(store: S, prefix: u64) -> Result<Self, String> {
        let rig = Rig::start(store, prefix).await;
        let mut case = Self {
            rig,
            model: Model::default(),
            lose_next_create: false,
        };
        for shape in [Shape::Company, Shape::Individual, Shape::Trust] {
            case.create_client(shape).await?;
        }
        for (name, to) in [
            (
                "Director",
                Some(XpmRelationshipType::from_static("Director")),
            ),
            (
                "Shareholder",
                Some(XpmRelationshipType::from_static("Shareholder")),
            ),
            ("Referred by", None),
        ] {
            let t = case.create_type(name).await?;
            if let Some(to) = to {
                case.map(t, Some(to)).await?;
            }
        }
        for (client, related, t, shares) in [(0, 1, 0, None), (0, 2, 1, Some(100)), (2, 1, 2, None)]
        {
            let terms = AssociationTerms {
                shares: shares
                    .map(ShareCount::new)
                    .transpose()
                    .map_err(|e| e.to_string())?,
                percentage: None,
                start_date: Some(time::macros::date!(2024 - 07 - 01)),
                end_date: None,
            };
            let a = case
                .rig
                .app
                .add_association(
                    case.rig.practice,
                    case.rig.admin.id,
                    case.model.clients[client].id,
                    case.model.clients[related].id,
                    case.model.types[t].id,
                    terms,
                )
                .await
                .map_err(|e| format!("add association: {e}"))?;
            case.model.associations.push(a);
        }
        // XPM already holds clients 0 and 1, written another way, and the
        // Director relationship between them that PM Hub's first association
        // makes (with another start date).
        let name = case.model.clients[0].details.name.as_str().to_lowercase();
        let zero = case
            .rig
            .ctl()
            .add_client(
                first_org().into(),
                &json!({ "Name": name, "BusinessStructure": "Company" }),
            )
            .map_err(|e| format!("seed a look-alike: {e}"))?;
        let email = case.model.clients[1]
            .details
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned());
        let one = case
            .rig
            .ctl()
            .add_client(
                first_org().into(),
                &json!({ "Name": "Z. O'Brien", "Email": email, "BusinessStructure": "Individual" }),
            )
            .map_err(|e| format!("seed a look-alike: {e}"))?;
        case.rig
            .ctl()
            .add_relationship(
                first_org().into(),
                &json!({ "ClientUUID": zero.uuid.to_string(), "RelatedClientUUID": one.uuid.to_string(),
                         "Type": "Director", "StartDate": "2019-01-01" }),
            )
            .map_err(|e| format!("seed a relationship: {e}"))?;
        // What XPM holds before PM Hub ever syncs (the sim's seed) is seen data too.
        for org in case.rig.ctl().orgs() {
            let state = case
                .rig
                .ctl()
                .org_state(org.id)
                .map_err(|e| e.to_string())?;
            for r in state.org.relationships.keys() {
                case.model
                    .xpm_relationships_seen
                    .insert((org.id.into(), *r));
            }
        }
        case.connect(Grant::First).await?;
        Ok(case)
    }

    async fn create_client(&mut self, shape: Shape) -> Result<(), String> {
        let n = self.model.clients.len();
        self.create_client_with(details(shape, n)).await
    }

    async fn create_client_with(&mut self, d: domain::client::ClientDetails) -> Result<(), String> {
        let client = self
            .rig
            .app
            .create_client(self.rig.practice, self.rig.admin.id, d.clone())
            .await
            .map_err(|e| format!("create client: {e}"))?;
        self.model.clients.push(Client {
            id: client.id,
            practice: self.rig.practice,
            status: ClientStatus::Active,
            details: d,
        });
        Ok(())
    }

    async fn create_type(&mut self, name: &str) -> Result<usize, String> {
        let t = self
            .rig
            .app
            .create_association_type(
                self.rig.practice,
                self.rig.admin.id,
                AssociationTypeName::new(name).map_err(|e| e.to_string())?,
            )
            .await
            .map_err(|e| format!("create association type: {e}"))?;
        self.model.types.push(t);
        Ok(self.model.types.len() - 1)
    }

    async fn map(&mut self, t: usize, to: Option<XpmRelationshipType>) -> Result<(), String> {
        let id = self.model.types[t].id;
        self.rig
            .app
            .configure_mapping(self.rig.practice, self.rig.admin.id, id, to.clone())
            .await
            .map_err(|e| format!("map: {e}"))?;
        match to {
            Some(to) => self.model.mappings.insert(id, to),
            None => self.model.mappings.remove(&id),
        };
        Ok(())
    }

    /// Puts a mapping into the stored settings as an earlier version saved
    /// it, without the use case (which refuses names XPM lacks).
    async fn save_old_mapping(&mut self, t: usize, name: &'static str) -> Result<(), String> {
        let id = self.model.types[t].id;
        let store = self.rig.store();
        let settings = store
            .settings(self.rig.practice)
            .await
            .map_err(|e| e.to_string())?;
        let mut mappings = settings.mappings().clone();
        mappings.insert(id, XpmRelationshipType::from_static(name));
        let old = domain::settings::IntegrationSettings::new(mappings, settings.push_options());
        store
            .save_settings(self.rig.practice, &old)
            .await
            .map_err(|e| e.to_string())?;
        self.model
            .mappings
            .insert(id, XpmRelationshipType::from_static(name));
        Ok(())
    }

    /// The XPM relationships PM Hub's sync records hold in `org`.
    async fn synced_relationships(&self, org: Uuid) -> Result<Vec<Uuid>, String> {
        let records = self
            .rig
            .store()
            .records_in(self.rig.practice, XpmTenantId::from_uuid(org))
            .await
            .map_err(|e| e.to_string())?;
        Ok(records
            .iter()
            .flat_map(|r| r.relationships.values())
            .map(|p| *p.xpm_relationship.as_uuid())
            .collect())
    }

    /// Fault rules of a play that did not fire are taken back.
    fn remove_faults(&self, ids: &[u64]) {
        for id in ids {
            // Already used up and gone: fine.
            let _ = self.rig.ctl().remove_fault(*id);
        }
    }

    fn is_deleted(&self, client: ClientId) -> bool {
        self.model
            .clients
            .iter()
            .any(|c| c.id == client && c.status == ClientStatus::Deleted)
    }

    /// Terms as a person enters them, whatever the type: terms XPM does not
    /// record on it make the relationship skipped, with the reason.
    fn terms_for(
        &self,
        shares: Option<u32>,
        percentage: Option<u16>,
        end: bool,
    ) -> Result<AssociationTerms, String> {
        Ok(AssociationTerms {
            shares: shares
                .map(|s| ShareCount::new(u64::from(s)))
                .transpose()
                .map_err(|e| e.to_string())?,
            percentage: percentage
                .map(|p| domain::association::Percentage::from_hundredths(u64::from(p)))
                .transpose()
                .map_err(|e| e.to_string())?,
            start_date: Some(time::macros::date!(2024 - 07 - 01)),
            end_date: end.then_some(time::macros::date!(2030 - 06 - 30)),
        })
    }

    /// The organisation the app is (or was last) connected to.
    async fn current_org(&self) -> Option<Uuid> {
        let state = self.rig.store().connection(self.rig.practice).await.ok()?;
        state.organisation().map(|o| *o.tenant.as_uuid())
    }

    /// Connect or Reconnect through the real login pages. Checks rule 1 / invariant 5.
    async fn connect(&mut self, grant: Grant) -> Result<(), String> {
        // Time passes, so that a refreshed Connected Since is visible.
        self.rig.ctl().advance_clock(time::Duration::seconds(61));
        let store = self.rig.store();
        let settings_before = store
            .settings(self.rig.practice)
            .await
            .map_err(|e| e.to_string())?;
        let (granted, pick) = match grant {
            Grant::First => (vec![first_org()], first_org()),
            Grant::Second => (vec![second_org()], second_org()),
            Grant::Both => (vec![first_org(), second_org()], first_org()),
        };
        let state = self
            .rig
            .connect(&granted, pick)
            .await
            .map_err(|e| format!("connect through Xero's login failed: {e}"))?;
        let now = self.rig.ctl().now();
        let ConnectionState::Connected {
            organisation,
            connected_since,
        } = &state
        else {
            return Err(format!(
                "after a login the state is {state:?}, not Connected"
            ));
        };
        if *connected_since != now {
            return Err(format!(
                "Connected Since is {connected_since}, not refreshed to the login time {now}"
            ));
        }
        let tenant = *organisation.tenant.as_uuid();
        let connected_in_xero = self
            .rig
            .ctl()
            .connections()
            .iter()
            .any(|c| c.tenant_id == tenant.into());
        if !connected_in_xero {
            return Err(format!(
                "connected to {tenant}, which Xero does not list as granted"
            ));
        }
        let stored = store
            .connection(self.rig.practice)
            .await
            .map_err(|e| e.to_string())?;
        if stored != state {
            return Err(format!(
                "the stored state {stored:?} is not the answered {state:?}"
            ));
        }
        let settings_after = store
            .settings(self.rig.practice)
            .await
            .map_err(|e| e.to_string())?;
        if settings_after != settings_before {
            return Err(format!(
                "Reconnect changed the settings: {settings_before:?} -> {settings_after:?}"
            ));
        }
        Ok(())
    }

    pub async fn apply(&mut self, op: &Op) -> Result<Step, String> {
        let practice = self.rig.practice;
        let user = self.rig.admin.id;
        let app = &self.rig.app;
        match op {
            Op::CreateClient { shape } => self.create_client(*shape).await?,
            Op::CreateTwin { of } => {
                let Some(i) = pick(&self.model.clients, of) else {
                    return Ok(Step::Quiet);
                };
                let n = self.model.clients.len();
                let mut d = details(Shape::Company, n);
                d.name = self.model.clients[i].details.name.clone();
                self.create_client_with(d).await?;
            }
            Op::UpdateClient { client, field } => {
                let Some(i) = pick(&self.model.clients, client) else {
                    return Ok(Step::Quiet);
                };
                self.model.edits += 1;
                let current = &self.model.clients[i];
                let d = edited(&current.details, *field, self.model.edits);
                let result = app
                    .update_client(practice, user, current.id, d.clone())
                    .await;
                match (result, current.status) {
                    (Ok(_), ClientStatus::Deleted) => {
                        return Err("a deleted client was updated".into());
                    }
                    (Ok(_), _) => self.model.clients[i].details = d,
                    (Err(e), ClientStatus::Deleted) => drop(e),
                    (Err(e), _) => return Err(format!("update client: {e}")),
                }
            }
            Op::PutFromPmHub { slot, shape, edit } => {
                let pmhub_id = PmHubId::new(format!("pmhub-{slot}")).map_err(|e| e.to_string())?;
                let held = self.model.pmhub_slots.get(slot).copied();
                let d = match (held, edit) {
                    (None, _) => details(*shape, self.model.clients.len()),
                    (Some(i), None) => self.model.clients[i].details.clone(),
                    (Some(i), Some(field)) => {
                        self.model.edits += 1;
                        edited(&self.model.clients[i].details, *field, self.model.edits)
                    }
                };
                let result = app.put_client(practice, user, &pmhub_id, d.clone()).await;
                match (result, held) {
                    (Ok((client, outcome)), None) => {
                        if outcome != PutOutcome::Created {
                            return Err(format!("a first put was {outcome:?}"));
                        }
                        self.model
                            .pmhub_slots
                            .insert(*slot, self.model.clients.len());
                        self.model.clients.push(client);
                    }
                    (Ok((client, outcome)), Some(i)) => {
                        let current = &self.model.clients[i];
                        if current.status == ClientStatus::Deleted {
                            return Err("a deleted client was put again".into());
                        }
                        let expected = if d == current.details {
                            PutOutcome::Unchanged
                        } else {
                            PutOutcome::Updated
                        };
                        if client.id != current.id || outcome != expected {
                            return Err(format!(
                                "a put by PM Hub's id answered {outcome:?} for {}, expected {expected:?} for {}",
                                client.id, current.id
                            ));
                        }
                        self.model.clients[i].details = d;
                    }
                    (Err(e), Some(i)) if self.model.clients[i].status == ClientStatus::Deleted => {
                        drop(e)
                    }
                    (Err(e), _) => return Err(format!("put from PM Hub: {e}")),
                }
            }
            Op::Deactivate { client } | Op::Reactivate { client } | Op::Delete { client } => {
                let Some(i) = pick(&self.model.clients, client) else {
                    return Ok(Step::Quiet);
                };
                let status = match op {
                    Op::Deactivate { .. } => ClientStatus::Deactivated,
                    Op::Reactivate { .. } => ClientStatus::Active,
                    _ => ClientStatus::Deleted,
                };
                let current = &self.model.clients[i];
                let result = app
                    .set_client_status(practice, user, current.id, status)
                    .await;
                let refused =
                    current.status == ClientStatus::Deleted && status != ClientStatus::Deleted;
                match (result, refused) {
                    (Ok(_), false) => self.model.clients[i].status = status,
                    (Err(_), true) => {}
                    (Ok(_), true) => return Err("a deleted client came back".into()),
                    (Err(e), false) => return Err(format!("set status: {e}")),
                }
            }
            Op::AddAssociation {
                client,
                related,
                kind,
                shares,
            } => {
                let (Some(c), Some(r), Some(t)) = (
                    pick(&self.model.clients, client),
                    pick(&self.model.clients, related),
                    pick(&self.model.types, kind),
                ) else {
                    return Ok(Step::Quiet);
                };
                if c == r {
                    return Ok(Step::Quiet);
                }
                let type_id = self.model.types[t].id;
                // Shares as a person enters them, on any type.
                let terms = AssociationTerms {
                    shares: shares
                        .map(|s| ShareCount::new(u64::from(s)))
                        .transpose()
                        .map_err(|e| e.to_string())?,
                    percentage: None,
                    start_date: Some(time::macros::date!(2024 - 07 - 01)),
                    end_date: None,
                };
                let result = app
                    .add_association(
                        practice,
                        user,
                        self.model.clients[c].id,
                        self.model.clients[r].id,
                        type_id,
                        terms,
                    )
                    .await;
                match (result, self.model.clients[c].status) {
                    (Err(_), ClientStatus::Deleted) => {}
                    (Ok(_), ClientStatus::Deleted) => {
                        return Err("a deleted client was given an association".into());
                    }
                    (Ok(a), _) => self.model.associations.push(a),
                    (Err(e), _) => return Err(format!("add association: {e}")),
                }
            }
            Op::RemoveAssociation { which } => {
                let Some(i) = pick(&self.model.associations, which) else {
                    return Ok(Step::Quiet);
                };
                let a = self.model.associations[i].clone();
                app.remove_association(practice, user, a.client(), a.id())
                    .await
                    .map_err(|e| format!("remove association: {e}"))?;
                self.model.associations.remove(i);
            }
            Op::ChangeTerms {
                which,
                shares,
                percentage,
                end,
            } => {
                let Some(i) = pick(&self.model.associations, which) else {
                    return Ok(Step::Quiet);
                };
                let a = self.model.associations[i].clone();
                if self.is_deleted(a.client()) {
                    return Ok(Step::Quiet);
                }
                let terms = self.terms_for(*shares, *percentage, *end)?;
                let changed = app
                    .update_association_terms(practice, user, a.client(), a.id(), terms)
                    .await
                    .map_err(|e| format!("change terms: {e}"))?;
                self.model.associations[i] = changed;
            }
            Op::ReAddAssociation { which, shares } => {
                let Some(i) = pick(&self.model.associations, which) else {
                    return Ok(Step::Quiet);
                };
                let a = self.model.associations[i].clone();
                if self.is_deleted(a.client()) {
                    return Ok(Step::Quiet);
                }
                app.remove_association(practice, user, a.client(), a.id())
                    .await
                    .map_err(|e| format!("remove association: {e}"))?;
                self.model.associations.remove(i);
                let terms = self.terms_for(*shares, None, false)?;
                let again = app
                    .add_association(
                        practice,
                        user,
                        a.client(),
                        a.related(),
                        a.association_type(),
                        terms,
                    )
                    .await
                    .map_err(|e| format!("add the association again: {e}"))?;
                self.model.associations.push(again);
            }
            Op::CreateAssociationType => {
                let n = self.model.types.len();
                self.create_type(&format!("Type {n} <&>")).await?;
            }
            Op::Map { kind, to } => {
                let Some(t) = pick(&self.model.types, kind) else {
                    return Ok(Step::Quiet);
                };
                let types = &self.rig.app.relationship_types;
                let to = to
                    .as_ref()
                    .map(|i| types.iter().nth(i.index(types.len())).unwrap().name.clone());
                self.map(t, to).await?;
            }
            Op::OldMapping { kind, name } => {
                let Some(t) = pick(&self.model.types, kind) else {
                    return Ok(Step::Quiet);
                };
                self.save_old_mapping(t, name.name()).await?;
            }
            Op::Connect { grant } => self.connect(*grant).await?,
            Op::ExpireTokens => {
                self.rig.ctl().expire_all_tokens();
            }
            Op::AdvanceClock { minutes } => {
                self.rig
                    .ctl()
                    .advance_clock(time::Duration::minutes(i64::from(*minutes)));
            }
            Op::RevokeInXpm => {
                let org = self.current_org().await.unwrap_or_else(first_org);
                self.rig.ctl().revoke_connection(org.into(), None);
            }
            Op::Disconnect => {
                let before = self
                    .rig
                    .store()
                    .connection(practice)
                    .await
                    .map_err(|e| e.to_string())?;
                let confirmation =
                    DisconnectConfirmation::from_answer(true).map_err(|e| e.to_string())?;
                let result = app.disconnect(practice, user, confirmation).await;
                let allowed = matches!(
                    before,
                    ConnectionState::Connected { .. }
                        | ConnectionState::Expired { .. }
                        | ConnectionState::Revoked { .. }
                );
                match (result, allowed) {
                    (Ok(ConnectionState::Disconnected { .. }), true) | (Err(_), false) => {}
                    (other, _) => {
                        return Err(format!("Disconnect from {before:?} answered {other:?}"));
                    }
                }
            }
            Op::CheckConnection => {
                let before = self
                    .rig
                    .store()
                    .connection(practice)
                    .await
                    .map_err(|e| e.to_string())?;
                app.check_connection(practice, user)
                    .await
                    .map_err(|e| format!("check connection: {e}"))?;
                return Ok(Step::ReadOnly { before });
            }
            Op::EditInXpm { client, field } => {
                let Some(i) = pick(&self.model.clients, client) else {
                    return Ok(Step::Quiet);
                };
                let Some(org) = self.current_org().await else {
                    return Ok(Step::Quiet);
                };
                let record = self
                    .rig
                    .store()
                    .record(
                        practice,
                        self.model.clients[i].id,
                        XpmTenantId::from_uuid(org),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                let Some(record) = record else {
                    return Ok(Step::Quiet);
                };
                let edits = self.model.edits;
                let fields = match field {
                    crate::ops::XpmField::Email => {
                        json!({ "Email": format!("xpm{edits}@xpm.test") })
                    }
                    crate::ops::XpmField::Phone => json!({ "Phone": format!("+64 9 {edits:04}") }),
                    crate::ops::XpmField::Name => json!({
                        "Name": format!("{} (edited in XPM)", self.model.clients[i].details.name.as_str())
                    }),
                    crate::ops::XpmField::ClearEmail => json!({ "Email": "" }),
                };
                // The client may have been deleted by nobody but the sim's rules; a refusal is fine.
                let _ = self.rig.ctl().edit_client(
                    org.into(),
                    (*record.xpm_client.as_uuid()).into(),
                    &fields,
                );
            }
            Op::SeedLookAlike { client, by } => {
                let Some(i) = pick(&self.model.clients, client) else {
                    return Ok(Step::Quiet);
                };
                let org = self.current_org().await.unwrap_or_else(first_org);
                let d = &self.model.clients[i].details;
                let other_name = format!("Look-alike {} Pty Ltd", self.model.edits);
                let fields = match by {
                    LookAlikeKey::Name => json!({
                        "Name": d.name.as_str().to_uppercase(), "Email": "someone@xpm.test"
                    }),
                    LookAlikeKey::Email => json!({
                        "Name": other_name, "Email": d.email.as_ref().map(|e| e.as_str().to_uppercase())
                    }),
                    LookAlikeKey::BusinessNumber => json!({
                        "Name": other_name,
                        "BusinessNumber": d.business_number.as_ref().map(|b| b.as_str().replace(' ', ""))
                    }),
                };
                self.rig
                    .ctl()
                    .add_client(org.into(), &fields)
                    .map_err(|e| format!("seed a look-alike: {e}"))?;
                return Ok(Step::InXpm);
            }
            Op::GoneInXpm { client, by } => {
                let Some(i) = pick(&self.model.clients, client) else {
                    return Ok(Step::Quiet);
                };
                let Some(org) = self.current_org().await else {
                    return Ok(Step::Quiet);
                };
                let Some(x) = self.xpm_copy(self.model.clients[i].id, org).await else {
                    return Ok(Step::Quiet);
                };
                let x = *x.as_uuid();
                let ctl = self.rig.ctl();
                // A client already gone answers "not found": nothing to do.
                let done = match by {
                    GoneBy::Archive => ctl.archive_client(org.into(), x.into()),
                    GoneBy::Delete => ctl.delete_client(org.into(), x.into()),
                    GoneBy::Merge => {
                        let survivor = ctl
                            .add_client(org.into(), &json!({ "Name": format!("Merged group {}", self.model.edits), "BusinessStructure": "Company" }))
                            .map_err(|e| format!("add a survivor: {e}"))?;
                        ctl.merge_client(org.into(), x.into(), survivor.uuid)
                    }
                };
                if done.is_ok() {
                    self.model.gone_in_xpm.insert((org, x));
                    if *by != GoneBy::Archive {
                        // Its relationships went (or moved) with it.
                        let state = ctl.org_state(org.into()).map_err(|e| e.to_string())?;
                        self.model
                            .xpm_relationships_seen
                            .retain(|(o, r)| *o != org || state.org.relationships.contains_key(r));
                    }
                }
                return Ok(Step::InXpm);
            }
            Op::RelateInXpm { which, same_terms } => {
                let Some(i) = pick(&self.model.associations, which) else {
                    return Ok(Step::Quiet);
                };
                let a = self.model.associations[i].clone();
                let (Some(org), Some(xpm_type)) = (
                    self.current_org().await,
                    self.model.mappings.get(&a.association_type()).cloned(),
                ) else {
                    return Ok(Step::Quiet);
                };
                let (Some(x), Some(y)) = (
                    self.xpm_copy(a.client(), org).await,
                    self.xpm_copy(a.related(), org).await,
                ) else {
                    return Ok(Step::Quiet);
                };
                let (x, y) = (*x.as_uuid(), *y.as_uuid());
                let state = self
                    .rig
                    .ctl()
                    .org_state(org.into())
                    .map_err(|e| e.to_string())?;
                let already = state
                    .org
                    .relationships
                    .values()
                    .any(|r| crate::invariants::shows_as(r, x, y, &xpm_type));
                if !already {
                    let mut fields = json!({ "ClientUUID": x.to_string(), "RelatedClientUUID": y.to_string(),
                                             "Type": xpm_type.xpm_name(), "Percentage": 10 });
                    if *same_terms {
                        let t = domain::sync::RelationshipTerms::new(a.terms());
                        fields = json!({ "ClientUUID": x.to_string(), "RelatedClientUUID": y.to_string(),
                                         "Type": xpm_type.xpm_name(),
                                         "NumberOfShares": t.shares.map(|s| s.get()),
                                         "Percentage": t.percentage.map(|p| p.to_string()),
                                         "StartDate": t.start_date.map(|d| d.to_string()),
                                         "EndDate": t.end_date.map(|d| d.to_string()) });
                    }
                    // Refused when XPM's rules say no (a client without a
                    // business structure, one gone): a person would see that.
                    let _ = self.rig.ctl().add_relationship(org.into(), &fields);
                }
                return Ok(Step::InXpm);
            }
            Op::EditTermsInXpm { which } => {
                let Some(org) = self.current_org().await else {
                    return Ok(Step::Quiet);
                };
                // A relationship PM Hub pushed (or adopted): the next sync of
                // its client must put PM Hub's terms back.
                let ids = self.synced_relationships(org).await?;
                let Some(i) = pick(&ids, which) else {
                    return Ok(Step::Quiet);
                };
                // Gone with a client deleted in XPM: a person would see that.
                let _ = self.rig.ctl().update_relationship(
                    org.into(),
                    &json!({ "UUID": ids[i].to_string(), "Percentage": 33, "StartDate": "2001-02-03" }),
                );
                return Ok(Step::InXpm);
            }
            Op::DeleteRelationshipInXpm { which } => {
                let Some(org) = self.current_org().await else {
                    return Ok(Step::Quiet);
                };
                // The next complete sync of its client must add it again.
                let ids = self.synced_relationships(org).await?;
                let Some(i) = pick(&ids, which) else {
                    return Ok(Step::Quiet);
                };
                if self
                    .rig
                    .ctl()
                    .delete_relationship(org.into(), ids[i].into())
                    .is_ok()
                {
                    self.model.xpm_relationships_seen.remove(&(org, ids[i]));
                }
                return Ok(Step::InXpm);
            }
            Op::Unlink { client } => {
                let Some(i) = pick(&self.model.clients, client) else {
                    return Ok(Step::Quiet);
                };
                // Any answer: not linked, not connected, or unlinked.
                let org = self.current_org().await;
                if let (Ok(x), Some(org)) = (
                    app.unlink_client(practice, user, self.model.clients[i].id)
                        .await,
                    org,
                ) {
                    self.model.unlinked_in_pm_hub.insert((org, *x.as_uuid()));
                }
            }
            Op::Sync { client, link } => {
                let Some(n) = pick(&self.model.clients, client) else {
                    return Ok(Step::Quiet);
                };
                return self.sync(n, *link).await.map(Step::Sync);
            }
            Op::Preview { client } => {
                let Some(n) = pick(&self.model.clients, client) else {
                    return Ok(Step::Quiet);
                };
                let request = ManualSyncRequest::new(
                    &self.rig.admin,
                    practice,
                    self.model.clients[n].id,
                    None,
                )
                .map_err(|e| e.to_string())?;
                let before = self
                    .rig
                    .store()
                    .connection(practice)
                    .await
                    .map_err(|e| e.to_string())?;
                // Any answer is fine here; the invariants check it wrote nothing.
                let _ = app.preview_sync(&request).await;
                return Ok(Step::ReadOnly { before });
            }
            // Played at the next sync of a client not yet in XPM, once its
            // look-alike searches are known (see `sync`).
            Op::LoseTheNextCreate => self.lose_next_create = true,
            Op::Fault { call, play, times } => {
                let (method, path) = match call {
                    FaultCall::Add => (Some("POST"), "add"),
                    FaultCall::Update => (Some("PUT"), "update"),
                    FaultCall::AddRelationship => (Some("POST"), "addrelationship"),
                    FaultCall::UpdateRelationship => (None, "updaterelationship"),
                    FaultCall::Search => (Some("GET"), "search*"),
                    FaultCall::Get => (Some("GET"), "get/*"),
                    FaultCall::Any => (None, "*"),
                };
                let action = match play {
                    FaultPlay::TooManyRequests => FaultAction::Status {
                        status: 429,
                        body: None,
                        retry_after: Some(0),
                    },
                    FaultPlay::ServiceUnavailable => status(503),
                    FaultPlay::InternalError => status(500),
                    FaultPlay::BadGateway => status(502),
                    FaultPlay::Latency => FaultAction::Latency { ms: 15 },
                    FaultPlay::CloseBeforeAnswer => FaultAction::CloseBeforeAnswer,
                    FaultPlay::CommitThenDrop => FaultAction::CommitThenDrop,
                };
                self.rig.ctl().add_fault(FaultSpec {
                    method: method.map(str::to_owned),
                    path: Some(format!("/practicemanager/3.1/client.api/{path}")),
                    tenant: None,
                    action,
                    times: Some(u32::from(*times)),
                });
            }
        }
        Ok(Step::Quiet)
    }

    async fn sync(&mut self, n: usize, link: bool) -> Result<SyncStep, String> {
        let practice = self.rig.practice;
        let client = self.model.clients[n].id;
        let before = self
            .rig
            .store()
            .connection(practice)
            .await
            .map_err(|e| e.to_string())?;
        let xpm_before = match self.current_org().await {
            Some(org) => self
                .rig
                .ctl()
                .clients(org.into())
                .map_err(|e| e.to_string())?
                .iter()
                .map(look_alike)
                .collect(),
            None => Vec::new(),
        };
        let mut step = SyncStep {
            n,
            client,
            before,
            mappings: self.model.mappings.clone(),
            results: Vec::new(),
            xpm_before,
        };
        let request = |decision| {
            ManualSyncRequest::new(&self.rig.admin, practice, client, decision)
                .map_err(|e| e.to_string())
        };
        let searches = domain::sync::look_alike_queries(&self.model.clients[n]).len();
        // A create may follow: a first sync, or one after the linked copy went.
        let not_in_xpm = match self.current_org().await {
            Some(org) => match self.xpm_copy(client, org).await {
                None => true,
                Some(x) => self.model.gone_in_xpm.contains(&(org, *x.as_uuid())),
            },
            None => false,
        };
        let mut loss = match (std::mem::take(&mut self.lose_next_create), not_in_xpm) {
            (true, true) => rule_tests::xpm_faults::lose_the_next_create(self.rig.ctl(), searches),
            (wanted, _) => {
                self.lose_next_create = wanted;
                Vec::new()
            }
        };
        let first = self.rig.app.sync_client(&request(None)?).await;
        // A person answers the question a sync asks: link to the first
        // look-alike, or create.
        let decision = match &first {
            Ok(SyncOutcome {
                plan:
                    domain::sync::SyncPlan {
                        client:
                            ClientStep::NeedsDecision { look_alikes }
                            | ClientStep::GoneFromXpm { look_alikes, .. },
                        ..
                    },
                ..
            }) => Some(match (link, look_alikes.first()) {
                (true, Some(l)) => FirstSyncDecision::LinkTo(l.xpm_client),
                _ => FirstSyncDecision::CreateNew,
            }),
            _ => None,
        };
        let created = |r: &Result<SyncOutcome, SyncError>| matches!(r, Ok(o) if matches!(o.plan.client, ClientStep::Create { .. }));
        let first_created = created(&first);
        step.results.push(first);
        if let Some(decision) = decision {
            if !loss.is_empty() && !first_created {
                // The first press only asked: the loss is for the press that creates.
                self.remove_faults(&loss);
                loss = match decision {
                    FirstSyncDecision::CreateNew => {
                        rule_tests::xpm_faults::lose_the_next_create(self.rig.ctl(), searches)
                    }
                    FirstSyncDecision::LinkTo(_) => Vec::new(),
                };
            }
            let second = self.rig.app.sync_client(&request(Some(decision))?).await;
            step.results.push(second);
        }
        self.remove_faults(&loss);
        // A copy linked again is PM Hub's copy again.
        if let Some(org) = self.current_org().await
            && let Some(x) = self.xpm_copy(client, org).await
        {
            self.model.unlinked_in_pm_hub.remove(&(org, *x.as_uuid()));
        }
        Ok(step)
    }

    /// XPM's copy of PM Hub client `client` in `org`, per the app's sync record.
    pub async fn xpm_copy(&self, client: ClientId, org: Uuid) -> Option<XpmClientUuid> {
        self.rig
            .store()
            .record(self.rig.practice, client, XpmTenantId::from_uuid(org))
            .await
            .ok()
            .flatten()
            .map(|r| r.xpm_client)
    }
}

/// What the sequences of one run reached: a run that never created a
/// client, added a relationship, asked for a decision or refused a sync
/// proved little, and fails (see `main.rs`).
#[derive(Debug, Default)]
pub struct Coverage {
    pub clients_created: AtomicU32,
    pub clients_linked: AtomicU32,
    pub relationships_added: AtomicU32,
    pub relationships_skipped: AtomicU32,
    pub decisions_asked: AtomicU32,
    pub refused_not_connected: AtomicU32,
    pub faults_fired: AtomicU32,
    /// Relationships XPM already held, taken over instead of added.
    pub relationships_adopted: AtomicU32,
    pub relationships_updated: AtomicU32,
    pub fields_overwritten: AtomicU32,
    pub gone_from_xpm: AtomicU32,
}

impl Coverage {
    pub fn count(&self, step: &SyncStep) {
        for result in &step.results {
            match result {
                Ok(outcome) => {
                    if matches!(outcome.plan.client, ClientStep::NeedsDecision { .. }) {
                        self.decisions_asked.fetch_add(1, Ordering::Relaxed);
                    }
                    for e in &outcome.entries {
                        let counter = match e.kind {
                            ActivityKind::ClientCreated { .. } => &self.clients_created,
                            ActivityKind::ClientLinked { .. } => &self.clients_linked,
                            ActivityKind::RelationshipAdded { .. } => &self.relationships_added,
                            ActivityKind::RelationshipSkipped { .. } => &self.relationships_skipped,
                            ActivityKind::RelationshipUpdated { .. } => &self.relationships_updated,
                            ActivityKind::RelationshipAdopted { .. } => &self.relationships_adopted,
                            ActivityKind::ClientUpdated { .. } => &self.fields_overwritten,
                            ActivityKind::ClientGoneFromXpm { .. } => &self.gone_from_xpm,
                            _ => continue,
                        };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(err) if is_not_connected(err) => {
                    self.refused_not_connected.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {}
            }
        }
    }

    /// Every counter is above zero.
    pub fn reached_everything(&self) -> bool {
        [
            &self.clients_created,
            &self.clients_linked,
            &self.relationships_added,
            &self.relationships_skipped,
            &self.decisions_asked,
            &self.refused_not_connected,
            &self.faults_fired,
            &self.relationships_updated,
            &self.fields_overwritten,
            &self.gone_from_xpm,
        ]
        .iter()
        .all(|c| c.load(Ordering::Relaxed) > 0)
    }
}

/// An XPM client as a look-alike search answers it.
pub fn look_alike(c: &xpm_sim::Client) -> LookAlike {
    LookAlike::from_fields(
        XpmClientUuid::from_uuid(c.uuid.into()),
        c.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

fn status(status: u16) -> FaultAction {
    FaultAction::Status {
        status,
        body: None,
        retry_after: None,
    }
}

/// Whether a refusal is the clear "not connected" one invariant 6 asks for.
pub fn is_not_connected(err: &SyncError) -> bool {
    matches!(
        err,
        SyncError::NotConnected(ConnectionError::NotConnected { .. })
    ) && err
        .to_string()
        .starts_with("sync is not available: the connection is")
}
