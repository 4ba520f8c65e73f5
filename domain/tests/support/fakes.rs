use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};

use domain::activity::ActivityEntry;
use domain::association::AssociationTerms;
use domain::association::{Association, AssociationType};
use domain::client::Client;
use domain::connection::{ConnectionState, XpmOrganisation};
use domain::custom_field::XpmCustomFieldDefinition;
use domain::ids::*;
use domain::ports::*;
use domain::practice::{Practice, User};
use domain::settings::IntegrationSettings;
use domain::sync::{
    ClientPayload, LookAlike, OwnedField, PendingOperation, SyncRecord, XpmRelationshipSeen,
};
use domain::text::PmHubId;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

fn ready<T>(value: T) -> impl Future<Output = T> + Send
where
    T: Send,
{
    std::future::ready(value)
}

#[derive(Debug, Default)]
pub struct StoreState {
    pub practices: BTreeMap<PracticeId, Practice>,
    pub users: BTreeMap<UserId, User>,
    pub clients: BTreeMap<ClientId, Client>,
    /// PM Hub ids by practice and kind of record (`"client"`...).
    pub pmhub_ids: BTreeMap<(PracticeId, &'static str, PmHubId), Uuid>,
    pub associations: BTreeMap<AssociationId, Association>,
    pub association_types: BTreeMap<AssociationTypeId, AssociationType>,
    pub settings: BTreeMap<PracticeId, IntegrationSettings>,
    pub connections: BTreeMap<PracticeId, ConnectionState>,
    pub tokens: BTreeMap<PracticeId, TokenSet>,
    pub pending_auth: BTreeMap<PracticeId, Vec<PendingAuthorisation>>,
    pub records: BTreeMap<(ClientId, XpmTenantId), SyncRecord>,
    pub pending_ops: BTreeMap<(ClientId, XpmTenantId), Vec<PendingOperation>>,
    pub activity: Vec<ActivityEntry>,
    pub sync_locks: BTreeMap<ClientId, Arc<futures::lock::Mutex<()>>>,
    pub renewal_locks: BTreeMap<PracticeId, Arc<futures::lock::Mutex<()>>>,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryStores(pub Arc<Mutex<StoreState>>);

impl MemoryStores {
    pub fn with<R>(&self, f: impl FnOnce(&mut StoreState) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
}

impl PracticeStore for MemoryStores {
    fn practice(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Option<Practice>, StoreError>> + Send {
        ready(Ok(self.with(|s| s.practices.get(&practice).cloned())))
    }
    fn user(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.users
                .get(&user)
                .filter(|u| u.practice == practice)
                .cloned()
        })))
    }
    fn save_practice(
        &self,
        practice: &Practice,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| s.practices.insert(practice.id, practice.clone()));
        ready(Ok(()))
    }
    fn save_user(&self, user: &User) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| s.users.insert(user.id, user.clone()));
        ready(Ok(()))
    }
}

impl StoreState {
    /// Names a record by a PM Hub id of its kind, as the id tables' keys do.
    fn name_by_pmhub_id(
        &mut self,
        practice: PracticeId,
        kind: &'static str,
        pmhub_id: &PmHubId,
        record: Uuid,
    ) -> Result<(), StoreError> {
        let key = (practice, kind, pmhub_id.clone());
        if self.pmhub_ids.contains_key(&key) {
            return Err(StoreError::Conflict(format!(
                "{pmhub_id} already names a {kind}"
            )));
        }
        self.pmhub_ids.insert(key, record);
        Ok(())
    }
}

impl ClientStore for MemoryStores {
    fn client(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> impl Future<Output = Result<Option<Client>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.clients
                .get(&client)
                .filter(|c| c.practice == practice)
                .cloned()
        })))
    }
    fn clients(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Vec<Client>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.clients
                .values()
                .filter(|c| c.practice == practice)
                .cloned()
                .collect()
        })))
    }
    fn save_client(&self, client: &Client) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| s.clients.insert(client.id, client.clone()));
        ready(Ok(()))
    }
    fn client_by_pmhub_id(
        &self,
        practice: PracticeId,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<Option<Client>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.pmhub_ids
                .get(&(practice, "client", pmhub_id.clone()))
                .and_then(|id| s.clients.get(&ClientId::from_uuid(*id)))
                .cloned()
        })))
    }
    fn create_client_for_pmhub_id(
        &self,
        client: &Client,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.with(|s| {
            s.name_by_pmhub_id(client.practice, "client", pmhub_id, *client.id.as_uuid())?;
            s.clients.insert(client.id, client.clone());
            Ok(())
        }))
    }
    fn associations_of(
        &self,
        practice: PracticeId,
        client: ClientId,
    ) -> impl Future<Output = Result<Vec<Association>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.associations
                .values()
                .filter(|a| a.practice() == practice && a.client() == client)
                .cloned()
                .collect()
        })))
    }
    fn save_association(
        &self,
        association: &Association,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| s.associations.insert(association.id(), association.clone()));
        ready(Ok(()))
    }
    fn association_by_pmhub_id(
        &self,
        practice: PracticeId,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<Option<Association>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.pmhub_ids
                .get(&(practice, "association", pmhub_id.clone()))
                .and_then(|id| s.associations.get(&AssociationId::from_uuid(*id)))
                .cloned()
        })))
    }
    fn create_association_for_pmhub_id(
        &self,
        association: &Association,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.with(|s| {
            let id = *association.id().as_uuid();
            s.name_by_pmhub_id(association.practice(), "association", pmhub_id, id)?;
            s.associations.insert(association.id(), association.clone());
            Ok(())
        }))
    }
    fn remove_association(
        &self,
        practice: PracticeId,
        association: AssociationId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| {
            if s.associations
                .get(&association)
                .is_some_and(|a| a.practice() == practice)
            {
                s.associations.remove(&association);
                // Its PM Hub id goes with it, as the database's cascade does.
                s.pmhub_ids.retain(|_, id| id != association.as_uuid());
            }
        });
        ready(Ok(()))
    }
}

impl SettingsStore for MemoryStores {
    fn settings(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<IntegrationSettings, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.settings.get(&practice).cloned().unwrap_or_default()
        })))
    }
    fn save_settings(
        &self,
        practice: PracticeId,
        settings: &IntegrationSettings,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| s.settings.insert(practice, settings.clone()));
        ready(Ok(()))
    }
    fn association_types(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Vec<AssociationType>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.association_types
                .values()
                .filter(|t| t.practice == practice)
                .cloned()
                .collect()
        })))
    }
    fn association_type(
        &self,
        practice: PracticeId,
        id: AssociationTypeId,
    ) -> impl Future<Output = Result<Option<AssociationType>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.association_types
                .get(&id)
                .filter(|t| t.practice == practice)
                .cloned()
        })))
    }
    fn save_association_type(
        &self,
        association_type: &AssociationType,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| {
            s.association_types
                .insert(association_type.id, association_type.clone())
        });
        ready(Ok(()))
    }
    fn association_type_by_pmhub_id(
        &self,
        practice: PracticeId,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<Option<AssociationType>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.pmhub_ids
                .get(&(practice, "association type", pmhub_id.clone()))
                .and_then(|id| s.association_types.get(&AssociationTypeId::from_uuid(*id)))
                .cloned()
        })))
    }
    fn create_association_type_for_pmhub_id(
        &self,
        t: &AssociationType,
        pmhub_id: &PmHubId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.with(|s| {
            s.name_by_pmhub_id(t.practice, "association type", pmhub_id, *t.id.as_uuid())?;
            s.association_types.insert(t.id, t.clone());
            Ok(())
        }))
    }
}

impl ConnectionStore for MemoryStores {
    type RenewalGuard = futures::lock::OwnedMutexGuard<()>;

    fn lock_token_renewal(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Self::RenewalGuard, StoreError>> + Send {
        let lock = self.with(|s| s.renewal_locks.entry(practice).or_default().clone());
        async move { Ok(lock.lock_owned().await) }
    }

    fn connection(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<ConnectionState, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.connections
                .get(&practice)
                .cloned()
                .unwrap_or(ConnectionState::NotConnected)
        })))
    }
    fn save_connection(
        &self,
        practice: PracticeId,
        state: &ConnectionState,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| s.connections.insert(practice, state.clone()));
        ready(Ok(()))
    }
    fn tokens(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Option<TokenSet>, StoreError>> + Send {
        ready(Ok(self.with(|s| s.tokens.get(&practice).cloned())))
    }
    fn save_tokens(
        &self,
        practice: PracticeId,
        tokens: &TokenSet,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| s.tokens.insert(practice, tokens.clone()));
        ready(Ok(()))
    }
    fn clear_tokens(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| s.tokens.remove(&practice));
        ready(Ok(()))
    }
    fn save_pending_authorisation(
        &self,
        practice: PracticeId,
        pending: &PendingAuthorisation,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| {
            s.pending_auth
                .entry(practice)
                .or_default()
                .push(pending.clone())
        });
        ready(Ok(()))
    }
    fn take_pending_authorisation(
        &self,
        practice: PracticeId,
        state: &str,
    ) -> impl Future<Output = Result<Option<PendingAuthorisation>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            let list = s.pending_auth.entry(practice).or_default();
            let at = list.iter().position(|p| p.state == state)?;
            Some(list.remove(at))
        })))
    }
}

impl SyncRecordStore for MemoryStores {
    type SyncGuard = futures::lock::OwnedMutexGuard<()>;

    fn lock_client_sync(
        &self,
        _practice: PracticeId,
        client: ClientId,
    ) -> impl Future<Output = Result<(Self::SyncGuard, bool), StoreError>> + Send {
        let lock = self.with(|s| s.sync_locks.entry(client).or_default().clone());
        async move {
            match lock.clone().try_lock_owned() {
                Some(guard) => Ok((guard, false)),
                None => Ok((lock.lock_owned().await, true)),
            }
        }
    }

    fn record(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> impl Future<Output = Result<Option<SyncRecord>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.records
                .get(&(client, tenant))
                .filter(|r| r.practice == practice)
                .cloned()
        })))
    }
    fn save_record(
        &self,
        record: &SyncRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| {
            s.records
                .insert((record.client, record.tenant), record.clone())
        });
        ready(Ok(()))
    }
    fn begin_operation(
        &self,
        _practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
        operation: &PendingOperation,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| {
            s.pending_ops
                .entry((client, tenant))
                .or_default()
                .push(operation.clone())
        });
        ready(Ok(()))
    }
    fn finish_operations(
        &self,
        _practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| s.pending_ops.remove(&(client, tenant)));
        ready(Ok(()))
    }
    fn forget_record(
        &self,
        practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| {
            if s.records
                .get(&(client, tenant))
                .is_some_and(|r| r.practice == practice)
            {
                s.records.remove(&(client, tenant));
                s.pending_ops.remove(&(client, tenant));
            }
        });
        ready(Ok(()))
    }
    fn pending_operations(
        &self,
        _practice: PracticeId,
        client: ClientId,
        tenant: XpmTenantId,
    ) -> impl Future<Output = Result<Vec<PendingOperation>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.pending_ops
                .get(&(client, tenant))
                .cloned()
                .unwrap_or_default()
        })))
    }

    fn records_in(
        &self,
        practice: PracticeId,
        tenant: XpmTenantId,
    ) -> impl Future<Output = Result<Vec<SyncRecord>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            s.records
                .values()
                .filter(|r| r.practice == practice && r.tenant == tenant)
                .cloned()
                .collect()
        })))
    }
}

impl ActivityLog for MemoryStores {
    fn append(
        &self,
        entries: &[ActivityEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.with(|s| s.activity.extend_from_slice(entries));
        ready(Ok(()))
    }
    fn read(
        &self,
        practice: PracticeId,
        filter: &ActivityFilter,
        page: ActivityPage,
    ) -> impl Future<Output = Result<Vec<ActivityEntry>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            let newest_first = s
                .activity
                .iter()
                .rev()
                .filter(|e| e.practice == practice && filter.matches(e));
            let after = page.after;
            let mut skipping = after.is_some();
            newest_first
                .filter(|e| {
                    if skipping {
                        skipping = Some(e.id) != after;
                        return false;
                    }
                    true
                })
                .take(page.limit as usize)
                .cloned()
                .collect()
        })))
    }
    fn newest_per_client(
        &self,
        practice: PracticeId,
    ) -> impl Future<Output = Result<Vec<ActivityEntry>, StoreError>> + Send {
        ready(Ok(self.with(|s| {
            let mut newest: BTreeMap<ClientId, ActivityEntry> = BTreeMap::new();
            for e in s.activity.iter().filter(|e| e.practice == practice) {
                if let Some(client) = e.client {
                    newest.insert(client, e.clone());
                }
            }
            newest.into_values().collect()
        })))
    }
}

/// One call the fake XPM received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XpmCall {
    Create(String),
    Update(XpmClientUuid, Vec<OwnedField>),
    Relationship(XpmClientUuid, RelationshipWrite),
    Get(XpmClientUuid),
    Search(String),
    Check,
    ListModifiedSince(OffsetDateTime),
    Definitions,
    ReadField(XpmClientUuid),
    WriteField(XpmClientUuid, String),
}

impl XpmCall {
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Self::Create(_) | Self::Update(..) | Self::Relationship(..) | Self::WriteField(..)
        )
    }
}

/// One client as the fake XPM holds it: its field values by XPM name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeClient {
    pub fields: BTreeMap<String, String>,
    pub archived: bool,
    /// Custom field values by field.
    pub custom: BTreeMap<XpmCustomFieldUuid, String>,
    /// When XPM last saw it change (`None`: before the fake had a clock).
    pub modified: Option<OffsetDateTime>,
}

impl FakeClient {
    pub fn name(&self) -> &str {
        self.fields.get("Name").map_or("", String::as_str)
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// A client with these values of `payload`, as an add makes it.
    pub fn from_payload(payload: &ClientPayload, owned: &[OwnedField]) -> Self {
        let mut client = Self::default();
        client.write(payload, owned);
        client
    }

    /// What an update does: each given field set, or cleared when empty.
    pub fn write(&mut self, payload: &ClientPayload, fields: &[OwnedField]) {
        for f in fields {
            match payload.value(*f) {
                Some(v) => self.fields.insert(f.xpm_name().to_owned(), v),
                None => self.fields.remove(f.xpm_name()),
            };
        }
    }
}

#[derive(Debug, Default)]
pub struct XpmState {
    pub clients: BTreeMap<XpmClientUuid, FakeClient>,
    /// Each relationship once, from the client it was added on.
    pub relationships: Vec<(XpmClientUuid, XpmRelationshipSeen)>,
    pub calls: Vec<XpmCall>,
    /// Errors to answer the next write calls with, in order.
    pub write_failures: VecDeque<XpmError>,
    /// Look-alikes a search answers, besides the clients created here.
    pub existing: Vec<LookAlike>,
    pub connection_error: Option<XpmError>,
    pub search_error: Option<XpmError>,
    /// Makes a create yield once to the executor, as a slow XPM would.
    pub pause_in_create: bool,
    /// What XPM last said is left of today's allowance.
    pub allowance: Option<XpmAllowance>,
    /// The organisation's custom field definitions.
    pub definitions: Vec<XpmCustomFieldDefinition>,
    /// Errors to answer the next custom field writes with, in order (an
    /// Ambiguous one after writing the value).
    pub field_failures: VecDeque<XpmError>,
    /// The clock XPM stamps modifications with (the world's).
    pub clock: Option<FixedClock>,
    next: u128,
}

/// A fake XPM gateway that records every call.
#[derive(Debug, Clone, Default)]
pub struct FakeXpm(pub Arc<Mutex<XpmState>>);

impl FakeXpm {
    pub fn with<R>(&self, f: impl FnOnce(&mut XpmState) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }

    pub fn writes(&self) -> usize {
        self.with(|s| s.calls.iter().filter(|c| c.is_write()).count())
    }

    pub fn calls(&self) -> Vec<XpmCall> {
        self.with(|s| s.calls.clone())
    }
}

impl XpmState {
    fn uuid(&mut self) -> Uuid {
        self.next += 1;
        Uuid::from_u128(0xA000_0000 + self.next)
    }

    fn fail(&mut self) -> Option<XpmError> {
        self.write_failures.pop_front()
    }

    fn now(&self) -> Option<OffsetDateTime> {
        self.clock.as_ref().map(Clock::now)
    }

    /// A person changes a client's field in XPM (or, with `None`, empties it).
    pub fn edit_client(&mut self, id: XpmClientUuid, field: &str, value: Option<&str>) {
        let now = self.now();
        if let Some(c) = self.clients.get_mut(&id) {
            match value {
                Some(v) => c.fields.insert(field.to_owned(), v.to_owned()),
                None => c.fields.remove(field),
            };
            c.modified = now;
        }
    }

    /// A person fills in a client's custom field in XPM.
    pub fn set_custom(&mut self, id: XpmClientUuid, field: XpmCustomFieldUuid, value: &str) {
        let now = self.now();
        if let Some(c) = self.clients.get_mut(&id) {
            c.custom.insert(field, value.to_owned());
            c.modified = now;
        }
    }

    /// Adds a client as a person would in XPM.
    pub fn add_client(&mut self, fields: &[(&str, &str)]) -> XpmClientUuid {
        let id = XpmClientUuid::from_uuid(self.uuid());
        let client = FakeClient {
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            modified: self.now(),
            ..FakeClient::default()
        };
        self.clients.insert(id, client);
        id
    }

    /// Adds a relationship as a person would in XPM.
    pub fn add_relationship(
        &mut self,
        client: XpmClientUuid,
        related: XpmClientUuid,
        xpm_type: domain::relationship_type::XpmRelationshipType,
        terms: AssociationTerms,
    ) -> XpmRelationshipUuid {
        let id = XpmRelationshipUuid::from_uuid(self.uuid());
        self.relationships.push((
            client,
            XpmRelationshipSeen {
                xpm_relationship: id,
                related_xpm_client: related,
                xpm_type,
                terms,
            },
        ));
        id
    }

    /// The relationships XPM shows on `client`: its own, and those added on
    /// the related client, seen from this side (named as the shipped list
    /// says XPM shows it there, as xpm-sim does).
    pub fn relationships_of(&self, client: XpmClientUuid) -> Vec<XpmRelationshipSeen> {
        self.relationships
            .iter()
            .filter_map(|(c, r)| {
                if *c == client {
                    Some(r.clone())
                } else if r.related_xpm_client == client {
                    Some(XpmRelationshipSeen {
                        related_xpm_client: *c,
                        xpm_type: seen_from_related(&r.xpm_type),
                        ..r.clone()
                    })
                } else {
                    None
                }
            })
            .collect()
    }
}

impl XpmGateway for FakeXpm {
    fn create_client(
        &self,
        _: XpmAccess,
        payload: &ClientPayload,
        owned: &[OwnedField],
        _known: &[XpmClientUuid],
    ) -> impl Future<Output = Result<XpmClientUuid, XpmError>> + Send {
        let pause = self.with(|s| s.pause_in_create);
        let result = self.with(|s| {
            s.calls
                .push(XpmCall::Create(payload.details().name.to_string()));
            let id = XpmClientUuid::from_uuid(s.uuid());
            let client = FakeClient {
                modified: s.now(),
                ..FakeClient::from_payload(payload, owned)
            };
            match s.fail() {
                // An ambiguous failure: XPM made the client, the answer was lost.
                Some(XpmError::Ambiguous(m)) => {
                    s.clients.insert(id, client);
                    Err(XpmError::Ambiguous(m))
                }
                Some(err) => Err(err),
                None => {
                    s.clients.insert(id, client);
                    Ok(id)
                }
            }
        });
        async move {
            if pause {
                YieldOnce(false).await;
            }
            result
        }
    }

    fn update_client(
        &self,
        _: XpmAccess,
        xpm_client: XpmClientUuid,
        payload: &ClientPayload,
        fields: &[OwnedField],
    ) -> impl Future<Output = Result<(), XpmError>> + Send {
        ready(self.with(|s| {
            s.calls.push(XpmCall::Update(xpm_client, fields.to_vec()));
            if let Some(err) = s.fail() {
                return Err(err);
            }
            let now = s.now();
            let client = s
                .clients
                .get_mut(&xpm_client)
                .ok_or_else(|| XpmError::NotFound(xpm_client.to_string()))?;
            client.write(payload, fields);
            client.modified = now;
            Ok(())
        }))
    }

    fn write_relationships(
        &self,
        _: XpmAccess,
        xpm_client: XpmClientUuid,
        writes: Vec<RelationshipWrite>,
    ) -> impl Future<Output = Vec<Result<XpmRelationshipUuid, XpmError>>> + Send {
        ready(self.with(|s| {
            writes
                .into_iter()
                .map(|w| {
                    s.calls.push(XpmCall::Relationship(xpm_client, w.clone()));
                    let failure = s.fail();
                    if let Some(err) = failure
                        .clone()
                        .filter(|e| !matches!(e, XpmError::Ambiguous(_)))
                    {
                        return Err(err);
                    }
                    let terms = |t: domain::sync::RelationshipTerms| AssociationTerms {
                        shares: t.shares,
                        percentage: t.percentage,
                        start_date: t.start_date,
                        end_date: t.end_date,
                    };
                    let id = match w {
                        RelationshipWrite::Add {
                            related_xpm_client,
                            xpm_type,
                            terms: t,
                        } => s.add_relationship(xpm_client, related_xpm_client, xpm_type, terms(t)),
                        RelationshipWrite::Update {
                            xpm_relationship,
                            carries: _,
                            terms: t,
                        } => {
                            for (_, r) in &mut s.relationships {
                                if r.xpm_relationship == xpm_relationship {
                                    r.terms = terms(t);
                                }
                            }
                            xpm_relationship
                        }
                    };
                    match failure {
                        Some(err) => Err(err),
                        None => Ok(id),
                    }
                })
                .collect()
        }))
    }

    fn get_client(
        &self,
        _: XpmAccess,
        xpm_client: XpmClientUuid,
    ) -> impl Future<Output = Result<XpmClientView, XpmError>> + Send {
        ready(self.with(|s| {
            s.calls.push(XpmCall::Get(xpm_client));
            if let Some(err) = s.search_error.clone() {
                return Err(err);
            }
            let client = s
                .clients
                .get(&xpm_client)
                .ok_or_else(|| XpmError::NotFound(xpm_client.to_string()))?;
            Ok(XpmClientView {
                xpm_client,
                fields: client
                    .fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                relationships: s.relationships_of(xpm_client),
                archived: client.archived,
                web_url: None,
            })
        }))
    }

    fn search_clients(
        &self,
        _: XpmAccess,
        query: &str,
    ) -> impl Future<Output = Result<Vec<LookAlike>, XpmError>> + Send {
        ready(self.with(|s| {
            s.calls.push(XpmCall::Search(query.to_owned()));
            if let Some(err) = s.search_error.clone() {
                return Err(err);
            }
            let wanted = query.to_lowercase();
            let hit = |v: Option<&str>| v.is_some_and(|v| v.to_lowercase().contains(&wanted));
            let mut found: Vec<LookAlike> = s
                .existing
                .iter()
                .filter(|l| {
                    hit(Some(&l.name))
                        || hit(l.email.as_deref())
                        || hit(l.business_number.as_deref())
                        || hit(l.company_number.as_deref())
                        || hit(l.client_code.as_deref())
                        || hit(l.last_name.as_deref())
                })
                .cloned()
                .collect();
            found.extend(
                s.clients
                    .iter()
                    .filter(|(_, c)| {
                        !c.archived
                            && [
                                "Name",
                                "Email",
                                "BusinessNumber",
                                "CompanyNumber",
                                "ClientCode",
                                "LastName",
                            ]
                            .iter()
                            .any(|k| hit(c.field(k)))
                    })
                    .map(|(id, c)| {
                        LookAlike::from_fields(
                            *id,
                            c.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                        )
                    }),
            );
            Ok(found)
        }))
    }

    fn clients_modified_since(
        &self,
        _: XpmAccess,
        since: OffsetDateTime,
    ) -> impl Future<Output = Result<Vec<LookAlike>, XpmError>> + Send {
        ready(self.with(|s| {
            s.calls.push(XpmCall::ListModifiedSince(since));
            if let Some(err) = s.search_error.clone() {
                return Err(err);
            }
            Ok(s.clients
                .iter()
                .filter(|(_, c)| c.modified.is_none_or(|m| m >= since))
                .map(|(id, c)| LookAlike {
                    archived: c.archived,
                    ..LookAlike::from_fields(
                        *id,
                        c.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    )
                })
                .collect())
        }))
    }

    fn custom_field_definitions(
        &self,
        _: XpmAccess,
    ) -> impl Future<Output = Result<Vec<XpmCustomFieldDefinition>, XpmError>> + Send {
        ready(self.with(|s| {
            s.calls.push(XpmCall::Definitions);
            s.search_error
                .clone()
                .map_or(Ok(s.definitions.clone()), Err)
        }))
    }

    fn read_client_custom_field(
        &self,
        _: XpmAccess,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
    ) -> impl Future<Output = Result<Option<String>, XpmError>> + Send {
        ready(self.with(|s| {
            s.calls.push(XpmCall::ReadField(xpm_client));
            if let Some(err) = s.search_error.clone() {
                return Err(err);
            }
            let client = s
                .clients
                .get(&xpm_client)
                .ok_or_else(|| XpmError::NotFound(xpm_client.to_string()))?;
            Ok(client.custom.get(&field).cloned())
        }))
    }

    fn write_client_custom_field(
        &self,
        _: XpmAccess,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
        value: &str,
    ) -> impl Future<Output = Result<(), XpmError>> + Send {
        ready(self.with(|s| {
            s.calls
                .push(XpmCall::WriteField(xpm_client, value.to_owned()));
            let failure = s.field_failures.pop_front();
            if let Some(err) = failure
                .clone()
                .filter(|e| !matches!(e, XpmError::Ambiguous(_)))
            {
                return Err(err);
            }
            let now = s.now();
            let client = s
                .clients
                .get_mut(&xpm_client)
                .ok_or_else(|| XpmError::NotFound(xpm_client.to_string()))?;
            client.custom.insert(field, value.to_owned());
            client.modified = now;
            failure.map_or(Ok(()), Err)
        }))
    }

    fn allowance(&self, _: XpmAccess) -> Option<XpmAllowance> {
        self.with(|s| s.allowance)
    }

    fn check_connection(&self, _: XpmAccess) -> impl Future<Output = Result<(), XpmError>> + Send {
        ready(self.with(|s| {
            s.calls.push(XpmCall::Check);
            s.connection_error.clone().map_or(Ok(()), Err)
        }))
    }
}

/// A fake Xero login: each start hands out a numbered state.
#[derive(Debug, Clone, Default)]
pub struct FakeAuth(pub Arc<Mutex<AuthState>>);

#[derive(Debug, Default)]
pub struct AuthState {
    pub started: u32,
    /// What the next login's consent grants.
    pub organisations: Vec<XpmOrganisation>,
    /// Xero lists them without names (`"tenantName": null`, as it documents for XPM).
    pub nameless: bool,
    pub exchange_error: Option<AuthorisationError>,
    pub revoked: Vec<String>,
}

impl FakeAuth {
    pub fn granting(organisations: Vec<XpmOrganisation>) -> Self {
        let auth = Self::default();
        auth.0.lock().unwrap().organisations = organisations;
        auth
    }
    pub fn with<R>(&self, f: impl FnOnce(&mut AuthState) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
}

pub fn tokens(tag: &str) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(format!("access-{tag}")),
        refresh_token: SecretString::from(format!("refresh-{tag}")),
        access_expires_at: datetime!(2030-01-01 00:00 UTC),
    }
}

impl XpmAuthorization for FakeAuth {
    fn start(&self) -> Result<AuthorisationStart, AuthorisationError> {
        let n = self.with(|s| {
            s.started += 1;
            s.started
        });
        Ok(AuthorisationStart {
            url: format!("https://login.example/authorize?state=state-{n}"),
            state: format!("state-{n}"),
            pkce_verifier: SecretString::from(format!("verifier-{n}")),
        })
    }

    fn exchange_code(
        &self,
        code: &str,
        _pkce_verifier: &SecretString,
    ) -> impl Future<Output = Result<Grant, AuthorisationError>> + Send {
        ready(self.with(|s| {
            match s.exchange_error.clone() {
                Some(err) => Err(err),
                None => Ok(Grant {
                    tokens: tokens(code),
                    organisations: s
                        .organisations
                        .iter()
                        .map(|o| GrantedOrganisation {
                            tenant: o.tenant,
                            name: (!s.nameless).then(|| o.name.clone()),
                        })
                        .collect(),
                }),
            }
        }))
    }

    fn refresh(
        &self,
        refresh_token: &SecretString,
    ) -> impl Future<Output = Result<TokenSet, AuthorisationError>> + Send {
        ready(Ok(tokens(&format!(
            "{}-next",
            refresh_token.expose_secret()
        ))))
    }

    fn revoke(
        &self,
        refresh_token: &SecretString,
    ) -> impl Future<Output = Result<(), AuthorisationError>> + Send {
        self.with(|s| s.revoked.push(refresh_token.expose_secret().to_owned()));
        ready(Ok(()))
    }
}

/// A clock that moves only when told.
#[derive(Debug, Clone)]
pub struct FixedClock(pub Arc<Mutex<OffsetDateTime>>);

impl Default for FixedClock {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(datetime!(2026-11-27 09:00 UTC))))
    }
}

impl FixedClock {
    pub fn advance(&self, by: time::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

pub use domain::testing::CountingIds;

/// A future that is pending once, then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// How XPM labels a relationship of this type on the related client.
pub fn seen_from_related(
    xpm_type: &domain::relationship_type::XpmRelationshipType,
) -> domain::relationship_type::XpmRelationshipType {
    super::shipped_relationship_types()
        .resolve(xpm_type)
        .ok()
        .and_then(|t| t.seen_from_related.as_deref())
        .map_or_else(
            || xpm_type.clone(),
            |n| domain::relationship_type::XpmRelationshipType::new(n).unwrap(),
        )
}
