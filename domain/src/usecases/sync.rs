//! Preview and Sync of one client, started by a person (FAQ 3). Reads from
//! XPM feed the planner and the preview only (FAQ 4); writes are the plan's
//! creates, updates and relationship adds/updates, nothing else (FAQ 6).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use time::Duration;

use crate::activity::{ActivityEntry, ActivityKind, Actor, Operation};
use crate::client::{Client, ClientStatus};
use crate::connection::{ConnectionError, SyncTarget};
use crate::ids::{
    AssociationId, ClientId, PracticeId, UserId, XpmClientUuid, XpmCustomFieldUuid,
    XpmRelationshipUuid,
};
use crate::ports::{
    Clock, IdGenerator, RelationshipWrite, StoreError, XpmAccess, XpmAuthorization, XpmClientView,
    XpmError, XpmGateway,
};
use crate::practice::PermissionError;
use crate::relationship_type::{RelationshipTypes, XpmRelationshipType};
use crate::sync::{
    ClientIdPlan, ClientPayload, ClientStep, FieldChange, FirstSyncDecision, GoneReason, LookAlike,
    ManualSyncRequest, OwnedField, PendingOperation, PlanError, PlanInput, PushedRelationship,
    RelatedClientView, RelationshipStep, RelationshipTerms, SyncPlan, SyncRecord, XpmClientRead,
    look_alike_queries, plan_sync,
};
use crate::usecases::{Integration, Stores};

/// Most custom field reads one Sync makes to find XPM clients by PM Hub's
/// id (the look-alikes first, then, after an interrupted create, the
/// clients modified since): with one list call, the bound on the extra
/// calls the id field costs a Sync that searches (docs/xpm-adapter.md).
pub const MAX_ID_FIELD_READS: usize = 20;

/// XPM may read `modifiedsince` in the organisation's own time zone
/// (undocumented): looking back a day more cannot miss the client.
const MODIFIED_SINCE_MARGIN: Duration = Duration::days(1);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Permission(#[from] PermissionError),
    #[error(transparent)]
    NotConnected(#[from] ConnectionError),
    #[error("client {0} does not exist in this practice")]
    ClientNotFound(ClientId),
    #[error("client {0} is not linked to a client in the connected XPM organisation")]
    NotLinked(ClientId),
    /// Refused before any write: the sync needs more calls than XPM's daily
    /// allowance has left, and would stop half-way.
    #[error(
        "this Sync needs {needed} XPM write(s) and only {remaining} call(s) are left of today's allowance for this XPM organisation{}; nothing was written",
        resets_in_secs.map(|s| format!(" (it resets in {})", crate::ports::in_words(s))).unwrap_or_default()
    )]
    DailyAllowanceShort {
        needed: usize,
        remaining: u32,
        resets_in_secs: Option<u64>,
    },
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A read XPM needed before any write failed; nothing was written.
    #[error(transparent)]
    Xpm(#[from] XpmError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("recording the connection problem failed: {0}")]
    Connection(#[from] crate::usecases::ConnectionUseCaseError),
}

/// What a sync would do, with XPM's current copy of the client to show beside PM Hub's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPreview {
    pub plan: SyncPlan,
    pub xpm_now: Option<XpmClientView>,
    /// What a Sync would push now (even when it has nothing to write).
    pub payload: ClientPayload,
    /// The XPM fields the Sync owns under the practice's push options.
    pub owned: Vec<OwnedField>,
    /// What was last pushed to this XPM organisation, if anything.
    pub last_pushed: Option<ClientPayload>,
}

impl SyncPreview {
    /// Whether the Sync writes the client itself.
    pub fn writes_client(&self) -> bool {
        self.plan.client.writes_client()
    }

    /// The owned fields as the preview shows them (the API and the page alike).
    pub fn fields(&self) -> Vec<crate::sync::PreviewField> {
        crate::sync::preview_fields(crate::sync::PreviewInput {
            step: &self.plan.client,
            owned: &self.owned,
            payload: &self.payload,
            last_pushed: self.last_pushed.as_ref(),
            xpm_now: self.xpm_now.as_ref().map(|v| v.fields.as_slice()),
        })
    }
}

/// What a sync did: one activity entry per operation, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncOutcome {
    /// Another sync of the same client was running, and this one waited for it.
    pub waited_for_another_sync: bool,
    pub plan: SyncPlan,
    pub entries: Vec<ActivityEntry>,
    pub xpm_client: Option<XpmClientUuid>,
}

impl SyncOutcome {
    /// Whether every planned operation succeeded (skips are not failures).
    pub fn is_complete(&self) -> bool {
        !self.plan.client.awaits_a_person()
            && self.entries.iter().all(|e| {
                !matches!(
                    e.kind,
                    ActivityKind::OperationFailed { .. }
                        | ActivityKind::OperationNotAttempted { .. }
                )
            })
    }
}

/// Everything the planner reads, gathered once.
struct Gathered {
    target: SyncTarget,
    client: Client,
    associations: Vec<crate::association::Association>,
    related: BTreeMap<ClientId, RelatedClientView>,
    settings: crate::settings::IntegrationSettings,
    record: Option<SyncRecord>,
    pending: Vec<PendingOperation>,
    search_results: Vec<LookAlike>,
    linked_now: Option<XpmClientRead>,
    chosen_now: Option<XpmClientRead>,
    chosen_linked_to: Option<ClientId>,
}

impl<S, G, A, C, I> Integration<S, G, A, C, I>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    /// What a Sync of this client would do. Reads only: nothing is written
    /// to XPM, to PM Hub's records or to the activity log.
    pub async fn preview_sync(
        &self,
        request: &ManualSyncRequest,
    ) -> Result<SyncPreview, SyncError> {
        self.member::<SyncError>(request.practice(), request.requested_by())
            .await?;
        let gathered = match self.gather(request).await {
            Ok(g) => g,
            Err(err) => return Err(self.note_connection_problem(request.practice(), err).await),
        };
        let plan = plan_sync(input(request, &gathered, &self.relationship_types))?;
        let target = plan.client.known_xpm_client();
        let xpm_now = [gathered.linked_now, gathered.chosen_now]
            .into_iter()
            .flatten()
            .find_map(|read| match read {
                XpmClientRead::Found(view) if Some(view.xpm_client) == target => Some(view),
                _ => None,
            });
        Ok(SyncPreview {
            plan,
            xpm_now,
            payload: ClientPayload::new(&gathered.client.details, gathered.settings.push_options()),
            owned: OwnedField::owned(gathered.settings.push_options()),
            last_pushed: gathered.record.and_then(|r| r.last_pushed),
        })
    }

    /// Syncs one client, as a person asked. Each XPM write is noted as
    /// pending before it is sent and its result recorded after, so an
    /// interrupted sync is recovered by the next one without duplicates.
    pub async fn sync_client(&self, request: &ManualSyncRequest) -> Result<SyncOutcome, SyncError> {
        let practice = request.practice();
        let actor = Actor::User(request.requested_by());
        self.member::<SyncError>(practice, request.requested_by())
            .await?;
        // Two syncs of one client run one after the other: the second then
        // plans against what the first pushed, and finds nothing left to do.
        let (_guard, waited_for_another_sync) = self
            .stores
            .lock_client_sync(practice, request.client())
            .await?;
        let gathered = match self.gather(request).await {
            Ok(g) => g,
            Err(err) => {
                self.refuse(practice, actor, request.client(), &err).await?;
                return Err(self.note_connection_problem(practice, err).await);
            }
        };
        let plan = match plan_sync(input(request, &gathered, &self.relationship_types)) {
            Ok(plan) => plan,
            Err(err) => {
                let err = SyncError::Plan(err);
                self.refuse(practice, actor, request.client(), &err).await?;
                return Err(err);
            }
        };
        // Rather than fail half-way through XPM's daily allowance, refuse before writing.
        if let Some(allowance) = self.xpm.allowance(access(&gathered))
            && plan.write_count() > allowance.day_remaining as usize
        {
            let err = SyncError::DailyAllowanceShort {
                needed: plan.write_count(),
                remaining: allowance.day_remaining,
                resets_in_secs: allowance.resets_in_secs,
            };
            self.refuse(practice, actor, request.client(), &err).await?;
            return Err(err);
        }
        let mut run = Run {
            integration: self,
            access: access(&gathered),
            actor,
            client: request.client(),
            entries: Vec::new(),
            broken: None,
            allowance_spent: false,
        };
        let xpm_client = run.execute(&plan, &gathered).await?;
        if let Some(problem) = run.broken.take() {
            self.mark_connection_problem(practice, problem).await?;
        }
        Ok(SyncOutcome {
            waited_for_another_sync,
            plan,
            entries: run.entries,
            xpm_client,
        })
    }

    /// A person's Unlink: forgets which XPM client this client is linked to
    /// in the connected organisation, so its next Sync asks again (link or
    /// create). XPM is not touched: nothing is read, written or removed there.
    pub async fn unlink_client(
        &self,
        practice: PracticeId,
        user: UserId,
        client: ClientId,
    ) -> Result<XpmClientUuid, SyncError> {
        self.member::<SyncError>(practice, user).await?;
        let tenant = self
            .stores
            .connection(practice)
            .await?
            .sync_target()?
            .tenant();
        self.stores
            .client(practice, client)
            .await?
            .ok_or(SyncError::ClientNotFound(client))?;
        let (_guard, _) = self.stores.lock_client_sync(practice, client).await?;
        let record = self
            .stores
            .record(practice, client, tenant)
            .await?
            .ok_or(SyncError::NotLinked(client))?;
        self.stores.forget_record(practice, client, tenant).await?;
        let kind = ActivityKind::ClientUnlinked {
            tenant,
            xpm_client: record.xpm_client,
        };
        self.stores
            .append(&[self.entry(practice, Actor::User(user), Some(client), kind)])
            .await?;
        Ok(record.xpm_client)
    }

    /// An XPM read that met an expired or revoked authorisation marks the connection.
    async fn note_connection_problem(&self, practice: PracticeId, err: SyncError) -> SyncError {
        let SyncError::Xpm(xpm) = &err else {
            return err;
        };
        match xpm.connection_problem() {
            Some(problem) => match self.mark_connection_problem(practice, problem).await {
                Ok(_) => err,
                Err(marking) => marking.into(),
            },
            None => err,
        }
    }

    async fn refuse(
        &self,
        practice: PracticeId,
        actor: Actor,
        client: ClientId,
        err: &SyncError,
    ) -> Result<(), StoreError> {
        let logged = matches!(
            err,
            SyncError::NotConnected(_)
                | SyncError::Plan(PlanError::ClientNotActive(_))
                | SyncError::Xpm(_)
                | SyncError::DailyAllowanceShort { .. }
        );
        if logged {
            let kind = ActivityKind::SyncRefused {
                reason: err.to_string(),
            };
            self.stores
                .append(&[self.entry(practice, actor, Some(client), kind)])
                .await?;
        }
        Ok(())
    }

    async fn gather(&self, request: &ManualSyncRequest) -> Result<Gathered, SyncError> {
        let practice = request.practice();
        let target = self.stores.connection(practice).await?.sync_target()?;
        let tenant = target.tenant();
        // XPM said today's allowance is spent: not even a read until it resets.
        if let Some(allowance) = self.xpm.allowance(XpmAccess { practice, tenant })
            && allowance.day_remaining == 0
            && let Some(resets_in_secs) = allowance.resets_in_secs
        {
            return Err(XpmError::DailyAllowanceUsed { resets_in_secs }.into());
        }
        let client = self
            .stores
            .client(practice, request.client())
            .await?
            .ok_or(SyncError::ClientNotFound(request.client()))?;
        if client.status != ClientStatus::Active {
            return Err(PlanError::ClientNotActive(client.status).into());
        }
        let associations = self.stores.associations_of(practice, client.id).await?;
        let settings = self.stores.settings(practice).await?;
        let record = self.stores.record(practice, client.id, tenant).await?;
        let pending = self
            .stores
            .pending_operations(practice, client.id, tenant)
            .await?;

        let mut related = BTreeMap::new();
        for association in &associations {
            let id = association.related();
            if related.contains_key(&id) {
                continue;
            }
            let Some(other) = self.stores.client(practice, id).await? else {
                continue;
            };
            let other_record = self.stores.record(practice, id, tenant).await?;
            let pushed_towards_this_client = match (&other_record, &record) {
                (Some(theirs), Some(ours)) => theirs
                    .relationships
                    .values()
                    .filter(|r| r.related_xpm_client == ours.xpm_client)
                    .map(|r| r.xpm_relationship)
                    .collect(),
                _ => Vec::new(),
            };
            related.insert(
                id,
                RelatedClientView {
                    status: other.status,
                    has_business_structure: other.details.business_structure.is_some(),
                    xpm_client: other_record.map(|r| r.xpm_client),
                    pushed_towards_this_client,
                },
            );
        }

        let xpm = XpmAccess { practice, tenant };
        // The first call: XPM's copy of the linked client.
        let linked_now = match &record {
            Some(r) => Some(self.read_client(xpm, r.xpm_client).await?),
            None => None,
        };
        let linked_is_gone = matches!(linked_now, Some(XpmClientRead::Gone { .. }));
        // A person's choice of an XPM client to link to, on a first sync or
        // once the linked one is gone: read it before it is written.
        let chosen_now = match request.decision() {
            Some(FirstSyncDecision::LinkTo(chosen)) if record.is_none() || linked_is_gone => {
                Some(self.read_client(xpm, chosen).await?)
            }
            _ => None,
        };
        // One XPM client holds one PM Hub client: is the chosen one taken?
        let chosen_linked_to = match (&chosen_now, request.decision()) {
            (Some(_), Some(FirstSyncDecision::LinkTo(chosen))) => self
                .stores
                .records_in(practice, tenant)
                .await?
                .into_iter()
                .find(|r| r.xpm_client == chosen && r.client != client.id)
                .map(|r| r.client),
            _ => None,
        };
        let search_results = match &chosen_now {
            // The chosen client itself, as just read, is all a link needs
            // to be checked against: no search.
            Some(XpmClientRead::Found(view)) => vec![LookAlike::from_view(view)],
            Some(XpmClientRead::Gone { .. }) => Vec::new(),
            None if record.is_none() || linked_is_gone => {
                let found = self.search_look_alikes(xpm, &client, &pending).await?;
                match settings.client_id_field_in(tenant) {
                    Some(field) => {
                        self.read_client_ids(xpm, &client, &pending, found, field.field)
                            .await?
                    }
                    None => found,
                }
            }
            None => Vec::new(),
        };
        Ok(Gathered {
            target,
            client,
            associations,
            related,
            settings,
            record,
            pending,
            search_results,
            linked_now,
            chosen_now,
            chosen_linked_to,
        })
    }

    /// One client as XPM holds it now; deleted, merged or archived ones are `Gone`.
    async fn read_client(
        &self,
        xpm: XpmAccess,
        xpm_client: XpmClientUuid,
    ) -> Result<XpmClientRead, XpmError> {
        match self.xpm.get_client(xpm, xpm_client).await {
            Ok(view) if view.archived => Ok(XpmClientRead::Gone {
                xpm_client,
                reason: GoneReason::Archived,
            }),
            Ok(view) => Ok(XpmClientRead::Found(view)),
            Err(XpmError::NotFound(_)) => Ok(XpmClientRead::Gone {
                xpm_client,
                reason: GoneReason::DeletedOrMerged,
            }),
            Err(err) => Err(err),
        }
    }
}

impl<S, G, A, C, I> Integration<S, G, A, C, I>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    /// Every XPM client that may be this client: one search for each key
    /// a person would know it by ([`look_alike_queries`]: at most six
    /// calls, sent together), and, after an interrupted create, one for the
    /// name that create sent (the client may have been renamed in PM Hub since).
    async fn search_look_alikes(
        &self,
        xpm: XpmAccess,
        client: &Client,
        pending: &[PendingOperation],
    ) -> Result<Vec<LookAlike>, XpmError> {
        let mut queries = look_alike_queries(client);
        for p in pending {
            if let PendingOperation::CreateClient {
                sent_name: Some(name),
                ..
            } = p
                && !queries
                    .iter()
                    .any(|q| q.eq_ignore_ascii_case(name.as_str()))
            {
                queries.push(name.as_str().to_owned());
            }
        }
        // The searches do not depend on each other: they go together (the
        // gateway keeps XPM's limit on calls in flight).
        let answers = futures::future::try_join_all(
            queries
                .iter()
                .map(|query| self.xpm.search_clients(xpm, query)),
        )
        .await?;
        let mut found: Vec<LookAlike> = Vec::new();
        for look_alike in answers.into_iter().flatten() {
            if !found.iter().any(|f| f.xpm_client == look_alike.xpm_client) {
                found.push(look_alike);
            }
        }
        Ok(found)
    }
}

impl<S, G, A, C, I> Integration<S, G, A, C, I>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    /// Reads what XPM's custom field for PM Hub's id holds on the XPM
    /// clients that may be this one: each look-alike found, and, after an
    /// interrupted create, each client modified since it (one list call)
    /// that was no look-alike before it, so the client it made is found
    /// even when renamed in XPM. Clients linked to another PM Hub client
    /// are that client's and are not read; at most [`MAX_ID_FIELD_READS`]
    /// reads, sent together.
    async fn read_client_ids(
        &self,
        xpm: XpmAccess,
        client: &Client,
        pending: &[PendingOperation],
        mut found: Vec<LookAlike>,
        field: XpmCustomFieldUuid,
    ) -> Result<Vec<LookAlike>, SyncError> {
        let linked_elsewhere: BTreeSet<XpmClientUuid> = self
            .stores
            .records_in(xpm.practice, xpm.tenant)
            .await?
            .into_iter()
            .filter(|r| r.client != client.id)
            .map(|r| r.xpm_client)
            .collect();
        let mut to_read: Vec<XpmClientUuid> = found
            .iter()
            .filter(|l| l.resembles(client) && !linked_elsewhere.contains(&l.xpm_client))
            .map(|l| l.xpm_client)
            .collect();
        let interrupted = pending.iter().find_map(|p| match p {
            PendingOperation::CreateClient {
                known_look_alikes,
                started_at: Some(at),
                ..
            } => Some((known_look_alikes, *at)),
            _ => None,
        });
        if let Some((known, at)) = interrupted {
            let since = at - MODIFIED_SINCE_MARGIN;
            for candidate in self.xpm.clients_modified_since(xpm, since).await? {
                let id = candidate.xpm_client;
                if known.contains(&id) || linked_elsewhere.contains(&id) {
                    continue;
                }
                if !to_read.contains(&id) {
                    to_read.push(id);
                }
                if !found.iter().any(|f| f.xpm_client == id) {
                    found.push(candidate);
                }
            }
        }
        to_read.truncate(MAX_ID_FIELD_READS);
        let reads = futures::future::try_join_all(to_read.iter().map(|&x| async move {
            match self.xpm.read_client_custom_field(xpm, x, field).await {
                Ok(held) => Ok((x, held)),
                // Gone since it was listed: it holds nothing of ours.
                Err(XpmError::NotFound(_)) => Ok((x, None)),
                Err(err) => Err(err),
            }
        }))
        .await?;
        for (x, held) in reads {
            if let Some(l) = found.iter_mut().find(|l| l.xpm_client == x) {
                l.pm_hub_id = held;
            }
        }
        Ok(found)
    }
}

fn input<'a>(
    request: &'a ManualSyncRequest,
    g: &'a Gathered,
    relationship_types: &'a RelationshipTypes,
) -> PlanInput<'a> {
    PlanInput {
        relationship_types,
        request,
        target: &g.target,
        client: &g.client,
        associations: &g.associations,
        related: &g.related,
        settings: &g.settings,
        record: g.record.as_ref(),
        search_results: &g.search_results,
        pending: &g.pending,
        linked_now: g.linked_now.as_ref(),
        chosen_now: g.chosen_now.as_ref(),
        chosen_linked_to: g.chosen_linked_to,
    }
}

fn access(g: &Gathered) -> XpmAccess {
    XpmAccess {
        practice: g.client.practice,
        tenant: g.target.tenant(),
    }
}

/// A relationship write sent to XPM in one batch, and what the record
/// holds once XPM confirms it.
struct SentWrite {
    association: AssociationId,
    kind: WriteKind,
    related_xpm_client: XpmClientUuid,
    xpm_type: XpmRelationshipType,
    terms: RelationshipTerms,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteKind {
    Add,
    Update,
}

impl SentWrite {
    fn operation(&self) -> Operation {
        match self.kind {
            WriteKind::Add => Operation::AddRelationship(self.association),
            WriteKind::Update => Operation::UpdateRelationship(self.association),
        }
    }

    /// The relationship as XPM now holds it.
    fn confirmed(self, xpm_relationship: XpmRelationshipUuid) -> PushedRelationship {
        PushedRelationship {
            xpm_relationship,
            related_xpm_client: self.related_xpm_client,
            xpm_type: self.xpm_type,
            terms: self.terms,
        }
    }
}

/// One sync being executed.
struct Run<'i, S, G, A, C, I> {
    integration: &'i Integration<S, G, A, C, I>,
    access: XpmAccess,
    actor: Actor,
    client: ClientId,
    entries: Vec<ActivityEntry>,
    broken: Option<crate::ports::ConnectionProblemKind>,
    /// XPM refused a write for the day: the rest would be refused too.
    allowance_spent: bool,
}

impl<S, G, A, C, I> Run<'_, S, G, A, C, I>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    /// Appends one entry at once, so a crash loses none that happened.
    async fn log(&mut self, kind: ActivityKind) -> Result<(), StoreError> {
        let entry =
            self.integration
                .entry(self.access.practice, self.actor, Some(self.client), kind);
        self.integration
            .stores
            .append(std::slice::from_ref(&entry))
            .await?;
        self.entries.push(entry);
        Ok(())
    }

    async fn failed(&mut self, operation: Operation, err: &XpmError) -> Result<(), StoreError> {
        if self.broken.is_none() {
            self.broken = err.connection_problem();
        }
        self.allowance_spent |= matches!(err, XpmError::DailyAllowanceUsed { .. });
        self.log(ActivityKind::OperationFailed {
            operation,
            cause: err.to_string(),
        })
        .await
    }

    fn stores(&self) -> &S {
        &self.integration.stores
    }

    async fn begin(&self, operation: &PendingOperation) -> Result<(), StoreError> {
        let a = self.access;
        self.stores()
            .begin_operation(a.practice, self.client, a.tenant, operation)
            .await
    }

    async fn execute(
        &mut self,
        plan: &SyncPlan,
        g: &Gathered,
    ) -> Result<Option<XpmClientUuid>, StoreError> {
        let mut record = match (&plan.client, g.record.clone()) {
            (ClientStep::NeedsDecision { .. }, _) => return Ok(None),
            (
                ClientStep::GoneFromXpm {
                    xpm_client, reason, ..
                },
                _,
            ) => {
                self.log(ActivityKind::ClientGoneFromXpm {
                    tenant: self.access.tenant,
                    xpm_client: *xpm_client,
                    reason: *reason,
                })
                .await?;
                return Ok(None);
            }
            (
                ClientStep::Create {
                    payload,
                    known_look_alikes,
                },
                _,
            ) => match self.create(plan, g, payload, known_look_alikes).await? {
                Some(record) => record,
                None => return Ok(None),
            },
            (
                ClientStep::Link {
                    xpm_client,
                    payload,
                    changes,
                }
                | ClientStep::Recover {
                    xpm_client,
                    payload,
                    changes,
                },
                _,
            ) => self.link(plan, *xpm_client, payload, changes).await?,
            (
                ClientStep::Update {
                    payload, changes, ..
                },
                Some(record),
            ) => {
                let record = self
                    .update(record, payload, changes, Operation::UpdateClient)
                    .await?;
                self.client_id(plan, record).await?
            }
            (ClientStep::Unchanged { xpm_client }, Some(mut record)) => {
                self.log(ActivityKind::ClientUnchanged {
                    tenant: self.access.tenant,
                    xpm_client: *xpm_client,
                })
                .await?;
                // XPM shows PM Hub's values: that is what stands pushed.
                record.last_pushed = Some(ClientPayload::new(
                    &g.client.details,
                    g.settings.push_options(),
                ));
                self.client_id(plan, record).await?
            }
            // The planner only plans an update of a client it has a record of.
            (ClientStep::Update { .. } | ClientStep::Unchanged { .. }, None) => return Ok(None),
        };
        if self.broken.is_some() || self.allowance_spent {
            self.not_attempted(plan).await?;
        } else {
            self.relationships(plan, &mut record).await?;
        }
        record.last_synced_at = self.integration.now();
        self.stores().save_record(&record).await?;
        Ok(Some(record.xpm_client))
    }

    /// A record of a client just linked to `xpm_client`, with nothing pushed yet.
    fn new_record(&self, xpm_client: XpmClientUuid) -> SyncRecord {
        SyncRecord {
            practice: self.access.practice,
            client: self.client,
            tenant: self.access.tenant,
            xpm_client,
            last_pushed: None,
            relationships: BTreeMap::new(),
            last_synced_at: self.integration.now(),
            client_id_written: None,
        }
    }

    /// Adds the client to XPM and records it; `None` when the add failed
    /// (an ambiguous add stays pending, so the next sync looks for it).
    async fn create(
        &mut self,
        plan: &SyncPlan,
        g: &Gathered,
        payload: &ClientPayload,
        known_look_alikes: &[XpmClientUuid],
    ) -> Result<Option<SyncRecord>, StoreError> {
        self.begin(&PendingOperation::CreateClient {
            known_look_alikes: known_look_alikes.to_vec(),
            sent_name: Some(payload.details().name.clone()),
            started_at: Some(self.integration.now()),
        })
        .await?;
        let known: Vec<XpmClientUuid> = g.search_results.iter().map(|l| l.xpm_client).collect();
        let owned = OwnedField::owned(g.settings.push_options());
        let xpm_client = match self
            .integration
            .xpm
            .create_client(self.access, payload, &owned, &known)
            .await
        {
            Ok(xpm_client) => xpm_client,
            Err(err) => {
                if !matches!(err, XpmError::Ambiguous(_)) {
                    self.finish().await?;
                }
                self.failed(Operation::CreateClient, &err).await?;
                self.not_attempted(plan).await?;
                return Ok(None);
            }
        };
        // PM Hub's id goes into XPM before the create is recorded: if this
        // process dies in between, the next Sync finds the client by it,
        // even renamed.
        let id_write = match &plan.client_id {
            Some(cid) if cid.write => Some(self.write_client_id(xpm_client, cid).await),
            _ => None,
        };
        let mut record = self.new_record(xpm_client);
        record.last_pushed = Some(payload.clone());
        if let (Some(Ok(())), Some(cid)) = (&id_write, &plan.client_id) {
            record.client_id_written = Some(cid.field);
        }
        self.stores().save_record(&record).await?;
        self.finish().await?;
        self.log(ActivityKind::ClientCreated {
            tenant: self.access.tenant,
            xpm_client,
            passed_over: known_look_alikes.to_vec(),
        })
        .await?;
        if let (Some(result), Some(cid)) = (id_write, &plan.client_id) {
            self.logged_client_id(xpm_client, cid, result).await?;
        }
        Ok(Some(record))
    }

    /// Links the client to `xpm_client` (chosen by a person, or recovered
    /// after a lost create), then pushes the fields that differ.
    async fn link(
        &mut self,
        plan: &SyncPlan,
        xpm_client: XpmClientUuid,
        payload: &ClientPayload,
        changes: &[FieldChange],
    ) -> Result<SyncRecord, StoreError> {
        let record = self.new_record(xpm_client);
        self.stores().save_record(&record).await?;
        self.finish().await?;
        let tenant = self.access.tenant;
        let kind = match plan.client {
            ClientStep::Link { .. } => ActivityKind::ClientLinked { tenant, xpm_client },
            _ => ActivityKind::ClientRecovered {
                tenant,
                xpm_client,
                by_id_field: plan
                    .client_id
                    .as_ref()
                    .filter(|c| c.found_by_id)
                    .map(|c| c.field_name.clone()),
            },
        };
        self.log(kind).await?;
        let record = self
            .update(record, payload, changes, Operation::LinkClient)
            .await?;
        self.client_id(plan, record).await
    }

    /// PM Hub's id into XPM's custom field, on a client already linked:
    /// written when the plan says so (unless an earlier failure stopped the
    /// Sync), noted in the record once XPM holds it.
    async fn client_id(
        &mut self,
        plan: &SyncPlan,
        mut record: SyncRecord,
    ) -> Result<SyncRecord, StoreError> {
        let Some(cid) = &plan.client_id else {
            return Ok(record);
        };
        if !cid.write {
            // Read holding it already, or written at an earlier Sync.
            record.client_id_written = Some(cid.field);
            return Ok(record);
        }
        if self.broken.is_some() || self.allowance_spent {
            self.log(ActivityKind::OperationNotAttempted {
                operation: Operation::WriteClientId,
            })
            .await?;
            return Ok(record);
        }
        let result = self.write_client_id(record.xpm_client, cid).await;
        if result.is_ok() {
            record.client_id_written = Some(cid.field);
            self.stores().save_record(&record).await?;
        }
        self.logged_client_id(record.xpm_client, cid, result)
            .await?;
        Ok(record)
    }

    /// The one call that writes PM Hub's id (the client's own id, as text).
    async fn write_client_id(
        &self,
        xpm_client: XpmClientUuid,
        cid: &ClientIdPlan,
    ) -> Result<(), XpmError> {
        self.integration
            .xpm
            .write_client_custom_field(self.access, xpm_client, cid.field, &self.client.to_string())
            .await
    }

    async fn logged_client_id(
        &mut self,
        xpm_client: XpmClientUuid,
        cid: &ClientIdPlan,
        result: Result<(), XpmError>,
    ) -> Result<(), StoreError> {
        match result {
            Ok(()) => {
                self.log(ActivityKind::ClientIdWritten {
                    tenant: self.access.tenant,
                    xpm_client,
                    field: cid.field,
                    field_name: cid.field_name.clone(),
                })
                .await
            }
            Err(err) => self.failed(Operation::WriteClientId, &err).await,
        }
    }

    async fn finish(&self) -> Result<(), StoreError> {
        let a = self.access;
        self.stores()
            .finish_operations(a.practice, self.client, a.tenant)
            .await
    }

    /// Writes the owned fields that differ; nothing when none does.
    async fn update(
        &mut self,
        mut record: SyncRecord,
        payload: &ClientPayload,
        changes: &[FieldChange],
        operation: Operation,
    ) -> Result<SyncRecord, StoreError> {
        if changes.is_empty() {
            record.last_pushed = Some(payload.clone());
            return Ok(record);
        }
        let xpm_client = record.xpm_client;
        let fields: Vec<OwnedField> = changes.iter().map(|c| c.field).collect();
        match self
            .integration
            .xpm
            .update_client(self.access, xpm_client, payload, &fields)
            .await
        {
            Ok(()) => {
                record.last_pushed = Some(payload.clone());
                self.stores().save_record(&record).await?;
                let tenant = self.access.tenant;
                self.log(ActivityKind::ClientUpdated {
                    tenant,
                    xpm_client,
                    fields: fields.iter().map(|f| f.xpm_name().to_owned()).collect(),
                    changes: changes.iter().map(FieldChange::masked).collect(),
                })
                .await?;
            }
            Err(err) => self.failed(operation, &err).await?,
        }
        Ok(record)
    }

    async fn not_attempted(&mut self, plan: &SyncPlan) -> Result<(), StoreError> {
        for step in &plan.relationships {
            let operation = match step {
                RelationshipStep::Add { association, .. } => {
                    Operation::AddRelationship(*association)
                }
                RelationshipStep::Update { association, .. } => {
                    Operation::UpdateRelationship(*association)
                }
                _ => continue,
            };
            self.log(ActivityKind::OperationNotAttempted { operation })
                .await?;
        }
        Ok(())
    }

    async fn relationships(
        &mut self,
        plan: &SyncPlan,
        record: &mut SyncRecord,
    ) -> Result<(), StoreError> {
        let mut writes = Vec::new();
        let mut planned: Vec<SentWrite> = Vec::new();
        for step in &plan.relationships {
            match step {
                RelationshipStep::Skipped {
                    association,
                    reason,
                } => {
                    self.log(ActivityKind::RelationshipSkipped {
                        association: *association,
                        reason: reason.clone(),
                    })
                    .await?;
                }
                RelationshipStep::Unchanged { association } => {
                    self.log(ActivityKind::RelationshipUnchanged {
                        association: *association,
                    })
                    .await?;
                }
                RelationshipStep::Adopt {
                    association,
                    pushed,
                } => {
                    record.relationships.insert(*association, pushed.clone());
                    let kind = ActivityKind::RelationshipAdopted {
                        association: *association,
                        xpm_type: pushed.xpm_type.clone(),
                        xpm_relationship: pushed.xpm_relationship,
                    };
                    self.log(kind).await?;
                }
                RelationshipStep::Add {
                    association,
                    related_xpm_client,
                    xpm_type,
                    terms,
                } => {
                    self.begin(&PendingOperation::AddRelationship {
                        association: *association,
                    })
                    .await?;
                    writes.push(RelationshipWrite::Add {
                        related_xpm_client: *related_xpm_client,
                        xpm_type: xpm_type.clone(),
                        terms: *terms,
                    });
                    planned.push(SentWrite {
                        association: *association,
                        kind: WriteKind::Add,
                        related_xpm_client: *related_xpm_client,
                        xpm_type: xpm_type.clone(),
                        terms: *terms,
                    });
                }
                RelationshipStep::Update {
                    association,
                    pushed,
                    terms,
                    carries,
                } => {
                    writes.push(RelationshipWrite::Update {
                        xpm_relationship: pushed.xpm_relationship,
                        carries: *carries,
                        terms: *terms,
                    });
                    planned.push(SentWrite {
                        association: *association,
                        kind: WriteKind::Update,
                        related_xpm_client: pushed.related_xpm_client,
                        xpm_type: pushed.xpm_type.clone(),
                        terms: *terms,
                    });
                }
            }
        }
        if writes.is_empty() {
            // Adoptions above settled any add whose answer was lost.
            self.stores().save_record(record).await?;
            return self.finish().await;
        }
        let results = self
            .integration
            .xpm
            .write_relationships(self.access, record.xpm_client, writes)
            .await;
        let mut still_ambiguous = Vec::new();
        for (sent, result) in planned.into_iter().zip(results) {
            let association = sent.association;
            match result {
                Ok(xpm_relationship) => {
                    let kind = match sent.kind {
                        WriteKind::Add => ActivityKind::RelationshipAdded {
                            association,
                            xpm_type: sent.xpm_type.clone(),
                            xpm_relationship,
                        },
                        WriteKind::Update => ActivityKind::RelationshipUpdated {
                            association,
                            xpm_relationship,
                        },
                    };
                    record
                        .relationships
                        .insert(association, sent.confirmed(xpm_relationship));
                    self.log(kind).await?;
                }
                Err(err) => {
                    if sent.kind == WriteKind::Add && matches!(err, XpmError::Ambiguous(_)) {
                        still_ambiguous.push(association);
                    }
                    self.failed(sent.operation(), &err).await?;
                }
            }
        }
        self.stores().save_record(record).await?;
        self.finish().await?;
        for association in still_ambiguous {
            self.begin(&PendingOperation::AddRelationship { association })
                .await?;
        }
        Ok(())
    }
}
