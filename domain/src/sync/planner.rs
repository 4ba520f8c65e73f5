//! The sync planner: a pure function from everything known about one client
//! to the list of XPM writes a manual sync would make. It can only emit
//! creates, updates and relationship adds/updates: there is no delete or
//! archive step to emit (FAQ 6), and it never produces a change to PM Hub's
//! own data (FAQ 4).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::association::{Association, AssociationTerms};
use crate::client::{Client, ClientStatus};
use crate::connection::SyncTarget;
use crate::ids::{
    AssociationId, AssociationTypeId, ClientId, XpmClientUuid, XpmCustomFieldUuid,
    XpmRelationshipUuid, XpmTenantId,
};
use crate::ports::XpmClientView;
use crate::relationship_type::{RelationshipTypes, TermsCarried, XpmRelationshipType};
use crate::settings::{ClientIdField, IntegrationSettings};
use crate::sync::look_alike::{LookAlike, normalise};
use crate::sync::owned::{FieldChange, OwnedField, field_changes};
use crate::sync::payload::{ClientPayload, RelationshipTerms};
use crate::sync::record::{PendingOperation, PushedRelationship, SyncRecord};
use crate::sync::request::{FirstSyncDecision, ManualSyncRequest};

/// What the planner needs to know about a related client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedClientView {
    pub status: ClientStatus,
    pub has_business_structure: bool,
    /// The related client's UUID in the target XPM organisation, if it has been synced there.
    pub xpm_client: Option<XpmClientUuid>,
    /// XPM relationships the related client's own sync recorded towards
    /// this client: XPM shows each on both clients, and one pushed from the
    /// other side belongs to that side's association.
    pub pushed_towards_this_client: Vec<XpmRelationshipUuid>,
}

/// A relationship XPM holds on this client, as XPM's get answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XpmRelationshipSeen {
    pub xpm_relationship: XpmRelationshipUuid,
    pub related_xpm_client: XpmClientUuid,
    pub xpm_type: XpmRelationshipType,
    /// XPM's values, as it holds them.
    pub terms: AssociationTerms,
}

/// Why the XPM client a PM Hub client is linked to can no longer be synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GoneReason {
    /// XPM no longer knows it: deleted, or merged into another client.
    DeletedOrMerged,
    Archived,
}

impl std::fmt::Display for GoneReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::DeletedOrMerged => "deleted (or merged into another client) in XPM",
            Self::Archived => "archived in XPM",
        })
    }
}

/// What the sync's first read found of the XPM client it targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XpmClientRead {
    Found(XpmClientView),
    Gone {
        xpm_client: XpmClientUuid,
        reason: GoneReason,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub request: &'a ManualSyncRequest,
    pub target: &'a SyncTarget,
    pub client: &'a Client,
    /// The client's current associations in PM Hub (removed ones are simply absent).
    pub associations: &'a [Association],
    pub related: &'a BTreeMap<ClientId, RelatedClientView>,
    pub settings: &'a IntegrationSettings,
    /// The relationship types the target XPM accepts.
    pub relationship_types: &'a RelationshipTypes,
    /// What was last pushed for this client to the target organisation.
    pub record: Option<&'a SyncRecord>,
    /// XPM clients found by the look-alike searches (a first sync, or a
    /// linked client gone from XPM).
    pub search_results: &'a [LookAlike],
    /// Writes started by an earlier sync whose result was never recorded.
    pub pending: &'a [PendingOperation],
    /// XPM's copy of the client `record` links to, read before anything
    /// is written; `None` without a record.
    pub linked_now: Option<&'a XpmClientRead>,
    /// XPM's copy of the client a person chose to link to (a
    /// [`FirstSyncDecision::LinkTo`]), read before anything is written.
    pub chosen_now: Option<&'a XpmClientRead>,
    /// The other PM Hub client already linked to that chosen XPM client, if any.
    pub chosen_linked_to: Option<ClientId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientStep {
    Create {
        payload: ClientPayload,
        known_look_alikes: Vec<XpmClientUuid>,
    },
    /// The person chose an XPM client already there; its owned fields are
    /// then made PM Hub's (`changes`, empty when they already are).
    Link {
        xpm_client: XpmClientUuid,
        payload: ClientPayload,
        changes: Vec<FieldChange>,
    },
    /// An earlier create was interrupted, and XPM had made the client: adopt it.
    Recover {
        xpm_client: XpmClientUuid,
        payload: ClientPayload,
        changes: Vec<FieldChange>,
    },
    /// XPM's copy differs from PM Hub's in `changes` (edited in PM Hub, or
    /// in XPM by a person: either way PM Hub's values are written).
    Update {
        xpm_client: XpmClientUuid,
        payload: ClientPayload,
        changes: Vec<FieldChange>,
    },
    Unchanged {
        xpm_client: XpmClientUuid,
    },
    /// XPM already holds clients like this one: a person must choose to
    /// link to one or create a new one. Nothing is written until they do.
    NeedsDecision {
        look_alikes: Vec<LookAlike>,
    },
    /// The linked XPM client was deleted, merged or archived in XPM.
    /// Nothing is written; a person chooses to create it again, link to
    /// another XPM client (`look_alikes`) or unlink.
    GoneFromXpm {
        xpm_client: XpmClientUuid,
        reason: GoneReason,
        look_alikes: Vec<LookAlike>,
    },
}

impl ClientStep {
    /// The client's XPM UUID before any write of this sync.
    pub fn known_xpm_client(&self) -> Option<XpmClientUuid> {
        match self {
            Self::Link { xpm_client, .. }
            | Self::Recover { xpm_client, .. }
            | Self::Update { xpm_client, .. }
            | Self::Unchanged { xpm_client } => Some(*xpm_client),
            Self::Create { .. } | Self::NeedsDecision { .. } | Self::GoneFromXpm { .. } => None,
        }
    }

    /// Whether a person must choose before anything is written.
    pub fn awaits_a_person(&self) -> bool {
        matches!(self, Self::NeedsDecision { .. } | Self::GoneFromXpm { .. })
    }

    /// The owned fields this step writes to an XPM client already there.
    pub fn changes(&self) -> &[FieldChange] {
        match self {
            Self::Link { changes, .. }
            | Self::Recover { changes, .. }
            | Self::Update { changes, .. } => changes,
            _ => &[],
        }
    }

    /// Whether the step writes the client (a create, or an update of some field).
    pub fn writes_client(&self) -> bool {
        matches!(self, Self::Create { .. }) || !self.changes().is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelationshipStep {
    Add {
        association: AssociationId,
        related_xpm_client: XpmClientUuid,
        xpm_type: XpmRelationshipType,
        terms: RelationshipTerms,
    },
    /// XPM holds the relationship with other terms: PM Hub's are written.
    Update {
        association: AssociationId,
        pushed: PushedRelationship,
        terms: RelationshipTerms,
        /// Which terms the relationship's type carries (XPM cannot change a type).
        carries: TermsCarried,
    },
    Unchanged {
        association: AssociationId,
    },
    /// XPM already holds this relationship with PM Hub's terms (made by a
    /// person, or by an add whose answer was lost): record it, write nothing.
    Adopt {
        association: AssociationId,
        pushed: PushedRelationship,
    },
    Skipped {
        association: AssociationId,
        reason: SkipReason,
    },
}

impl RelationshipStep {
    pub fn association(&self) -> AssociationId {
        match self {
            Self::Add { association, .. }
            | Self::Update { association, .. }
            | Self::Unchanged { association }
            | Self::Adopt { association, .. }
            | Self::Skipped { association, .. } => *association,
        }
    }

    pub fn is_write(&self) -> bool {
        matches!(self, Self::Add { .. } | Self::Update { .. })
    }
}

/// Why an association is not synced; shown to people as is (FAQ 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SkipReason {
    #[error(
        "its association type is not mapped to an XPM relationship type; map it under Association Types, then Sync"
    )]
    TypeNotMapped { association_type: AssociationTypeId },
    #[error(
        "its association type is mapped to `{mapped}`, which is not one of XPM's relationship types; choose a new type under Association Types, then Sync"
    )]
    MappedTypeNotInXpm { mapped: XpmRelationshipType },
    #[error(
        "it has a number of shares, and XPM records shares only on {} relationships, not {xpm_type}; remove the shares or map its association type to one of those",
        carried_by.join(" or ")
    )]
    SharesNotRecordedOnType {
        xpm_type: XpmRelationshipType,
        carried_by: Vec<String>,
    },
    #[error(
        "it has a percentage, and XPM records a percentage only on {} relationships, not {xpm_type}; remove the percentage or map its association type to one of those",
        carried_by.join(" or ")
    )]
    PercentageNotRecordedOnType {
        xpm_type: XpmRelationshipType,
        carried_by: Vec<String>,
    },
    #[error("the related client is not in XPM yet; Sync the related client first")]
    RelatedClientNotInXpm { related: ClientId },
    #[error("the related client is {status:?} in PM Hub")]
    RelatedClientInactive {
        related: ClientId,
        status: ClientStatus,
    },
    #[error("the related client no longer exists in PM Hub")]
    RelatedClientMissing { related: ClientId },
    #[error("this client has no business structure; XPM accepts relationships only once it is set")]
    ClientHasNoBusinessStructure,
    #[error(
        "the related client has no business structure; XPM accepts relationships only once it is set"
    )]
    RelatedClientHasNoBusinessStructure { related: ClientId },
    /// No longer planned (the sync now converges on what XPM holds); kept
    /// so that activity entries written before still read.
    #[error(
        "it was pushed as {pushed} and is now mapped to {now}; XPM cannot change a relationship's type, so change it in XPM"
    )]
    MappingChangedSincePushed {
        pushed: XpmRelationshipType,
        now: XpmRelationshipType,
    },
    /// No longer planned, as above.
    #[error(
        "the related client was linked to another XPM client since this relationship was pushed; change it in XPM"
    )]
    RelatedClientRelinked { related: ClientId },
    #[error("XPM already shows it: the related client's sync pushed it from the other side")]
    AlreadyInXpmFromRelatedClient,
    #[error("another association of this client already syncs the same XPM relationship")]
    DuplicateOfAnotherAssociation { other: AssociationId },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the sync request is for another client or practice")]
    RequestMismatch,
    #[error("this client is {0:?} in PM Hub: it is not synced, and XPM keeps what it has")]
    ClientNotActive(ClientStatus),
    #[error("association {0} does not belong to this client")]
    ForeignAssociation(AssociationId),
    #[error(
        "XPM client {0} is not one of the look-alikes found in XPM; search again and choose from the list"
    )]
    NotALookAlike(XpmClientUuid),
    #[error(
        "this client is already synced to XPM client {0}; a link or create choice applies only to a first sync, or once that XPM client is gone"
    )]
    AlreadySynced(XpmClientUuid),
    #[error("XPM client {0} is {1}: choose another one")]
    ChosenClientGone(XpmClientUuid, GoneReason),
    #[error(
        "XPM client {xpm_client} is already linked to another PM Hub client ({other}); one XPM client holds one PM Hub client: choose another one, or create"
    )]
    LinkedToAnotherClient {
        xpm_client: XpmClientUuid,
        other: ClientId,
    },
}

/// The writes one manual sync of one client would make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPlan {
    pub tenant: XpmTenantId,
    pub client: ClientStep,
    pub relationships: Vec<RelationshipStep>,
    /// What the Sync does with the XPM custom field where the practice
    /// keeps PM Hub's client id; `None` when it keeps it in none (in this
    /// organisation).
    #[serde(default)]
    pub client_id: Option<ClientIdPlan>,
}

/// PM Hub's client id in XPM's custom field, for one Sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientIdPlan {
    pub field: XpmCustomFieldUuid,
    /// XPM's name for the field, for people to read.
    pub field_name: String,
    /// The Sync writes the id there: one call, after the create or link
    /// (or once, at the next Sync, when it is not known to be there).
    pub write: bool,
    /// The XPM client this Sync adopts was found because the field holds
    /// this client's id (whatever XPM's copy is called now).
    pub found_by_id: bool,
}

impl SyncPlan {
    /// How many XPM writes executing the plan makes.
    pub fn write_count(&self) -> usize {
        if self.client.awaits_a_person() {
            return 0;
        }
        usize::from(self.client.writes_client())
            + usize::from(self.client_id.as_ref().is_some_and(|c| c.write))
            + self.relationships.iter().filter(|r| r.is_write()).count()
    }
}

/// Decides every write of one manual sync. Pure: no I/O, no clock.
pub fn plan_sync(input: PlanInput<'_>) -> Result<SyncPlan, PlanError> {
    let PlanInput {
        request, client, ..
    } = input;
    if request.client() != client.id || request.practice() != client.practice {
        return Err(PlanError::RequestMismatch);
    }
    if client.status != ClientStatus::Active {
        return Err(PlanError::ClientNotActive(client.status));
    }
    let payload = ClientPayload::new(&client.details, input.settings.push_options());
    let client_step = plan_client(&input, payload)?;
    let relationships = if client_step.awaits_a_person() {
        Vec::new()
    } else {
        plan_relationships(&input, &client_step)?
    };
    let client_id = id_field(&input).map(|field| plan_client_id(&input, field, &client_step));
    Ok(SyncPlan {
        tenant: input.target.tenant(),
        client: client_step,
        relationships,
        client_id,
    })
}

/// The field where the practice keeps PM Hub's client ids in the target organisation.
fn id_field<'a>(input: &PlanInput<'a>) -> Option<&'a ClientIdField> {
    input.settings.client_id_field_in(input.target.tenant())
}

/// Whether the Sync writes PM Hub's id into the field: after a create or
/// link (unless the client adopted was read holding it already), and on
/// any later Sync until XPM has confirmed it for this link.
fn plan_client_id(input: &PlanInput<'_>, field: &ClientIdField, step: &ClientStep) -> ClientIdPlan {
    let holds_it = |xpm_client: XpmClientUuid| {
        input
            .search_results
            .iter()
            .any(|l| l.xpm_client == xpm_client && l.holds_id_of(input.client.id))
    };
    let (write, found_by_id) = match step {
        ClientStep::NeedsDecision { .. } | ClientStep::GoneFromXpm { .. } => (false, false),
        ClientStep::Create { .. } => (true, false),
        ClientStep::Link { xpm_client, .. } => (!holds_it(*xpm_client), false),
        ClientStep::Recover { xpm_client, .. } => (!holds_it(*xpm_client), holds_it(*xpm_client)),
        ClientStep::Update { .. } | ClientStep::Unchanged { .. } => (
            input
                .record
                .is_none_or(|r| r.client_id_written != Some(field.field)),
            false,
        ),
    };
    ClientIdPlan {
        field: field.field,
        field_name: field.name.clone(),
        write,
        found_by_id,
    }
}

/// The one live XPM client (not archived, not the one gone) whose field
/// holds this client's PM Hub id, when the practice keeps ids in a field.
/// Several (a person copied the id) cannot be told apart: none is chosen.
fn own_by_id(input: &PlanInput<'_>, gone: Option<XpmClientUuid>) -> Option<XpmClientUuid> {
    id_field(input)?;
    let mut holders: Vec<XpmClientUuid> = input
        .search_results
        .iter()
        .filter(|c| c.holds_id_of(input.client.id) && !c.archived && Some(c.xpm_client) != gone)
        .map(|c| c.xpm_client)
        .collect();
    holders.dedup();
    match holders.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// XPM's copy of `xpm_client`, when it was read and is there.
fn found<'a>(input: &PlanInput<'a>, xpm_client: XpmClientUuid) -> Option<&'a XpmClientView> {
    [input.linked_now, input.chosen_now]
        .into_iter()
        .flatten()
        .find_map(|read| match read {
            XpmClientRead::Found(view) if view.xpm_client == xpm_client => Some(view),
            _ => None,
        })
}

fn changes(
    input: &PlanInput<'_>,
    payload: &ClientPayload,
    xpm_client: XpmClientUuid,
) -> Vec<FieldChange> {
    let owned = OwnedField::owned(input.settings.push_options());
    field_changes(
        payload,
        &owned,
        found(input, xpm_client).map(|v| v.fields.as_slice()),
    )
}

fn look_alikes_of(input: &PlanInput<'_>, except: Option<XpmClientUuid>) -> Vec<LookAlike> {
    let mut out: Vec<LookAlike> = Vec::new();
    for c in input.search_results {
        if Some(c.xpm_client) != except
            && c.resembles(input.client)
            && !out.iter().any(|o| o.xpm_client == c.xpm_client)
        {
            out.push(c.clone());
        }
    }
    // The strongest key first: the one holding this client's PM Hub id.
    out.sort_by_key(|c| !c.holds_id_of(input.client.id));
    out
}

fn plan_client(input: &PlanInput<'_>, payload: ClientPayload) -> Result<ClientStep, PlanError> {
    let gone = match (input.record, input.linked_now) {
        (Some(record), Some(XpmClientRead::Gone { xpm_client, reason }))
            if *xpm_client == record.xpm_client =>
        {
            Some((*xpm_client, *reason))
        }
        _ => None,
    };
    if let Some(record) = input.record
        && gone.is_none()
    {
        if let Some(FirstSyncDecision::LinkTo(_)) = input.request.decision() {
            return Err(PlanError::AlreadySynced(record.xpm_client));
        }
        let xpm_client = record.xpm_client;
        let changes = changes(input, &payload, xpm_client);
        return Ok(if changes.is_empty() {
            ClientStep::Unchanged { xpm_client }
        } else {
            ClientStep::Update {
                xpm_client,
                payload,
                changes,
            }
        });
    }

    // A create whose answer was lost (a first one, or one made again after
    // the linked client was gone) made the client: adopt it.
    if let Some(recovered) = recover_lost_create(input, gone.map(|(x, _)| x)) {
        let changes = changes(input, &payload, recovered);
        return Ok(ClientStep::Recover {
            xpm_client: recovered,
            payload,
            changes,
        });
    }

    // XPM's custom field holds this client's PM Hub id: that client is its
    // own, whatever it is called, unless a person chose otherwise.
    if input.request.decision().is_none()
        && let Some(own) = own_by_id(input, gone.map(|(x, _)| x))
    {
        let changes = changes(input, &payload, own);
        return Ok(ClientStep::Recover {
            xpm_client: own,
            payload,
            changes,
        });
    }

    let look_alikes = look_alikes_of(input, gone.map(|(x, _)| x));
    let known_look_alikes = look_alikes.iter().map(|c| c.xpm_client).collect();
    match input.request.decision() {
        Some(FirstSyncDecision::LinkTo(chosen)) => {
            if let Some(XpmClientRead::Gone { xpm_client, reason }) = input.chosen_now
                && *xpm_client == chosen
            {
                return Err(PlanError::ChosenClientGone(chosen, *reason));
            }
            if !look_alikes.iter().any(|c| c.xpm_client == chosen) {
                return Err(PlanError::NotALookAlike(chosen));
            }
            if let Some(other) = input.chosen_linked_to {
                return Err(PlanError::LinkedToAnotherClient {
                    xpm_client: chosen,
                    other,
                });
            }
            let changes = changes(input, &payload, chosen);
            Ok(ClientStep::Link {
                xpm_client: chosen,
                payload,
                changes,
            })
        }
        Some(FirstSyncDecision::CreateNew) => Ok(ClientStep::Create {
            payload,
            known_look_alikes,
        }),
        None => Ok(match gone {
            Some((xpm_client, reason)) => ClientStep::GoneFromXpm {
                xpm_client,
                reason,
                look_alikes,
            },
            None if look_alikes.is_empty() => ClientStep::Create {
                payload,
                known_look_alikes,
            },
            None => ClientStep::NeedsDecision { look_alikes },
        }),
    }
}

/// After an interrupted create, the client whose field holds this client's
/// PM Hub id (when the practice keeps ids in one) is the one it made; else a
/// client bearing the name the create sent that was not among the
/// look-alikes known before it must be.
fn recover_lost_create(
    input: &PlanInput<'_>,
    gone: Option<XpmClientUuid>,
) -> Option<XpmClientUuid> {
    let (known, sent_name) = input.pending.iter().find_map(|p| match p {
        PendingOperation::CreateClient {
            known_look_alikes,
            sent_name,
            ..
        } => Some((
            known_look_alikes.iter().copied().collect::<BTreeSet<_>>(),
            sent_name.as_ref(),
        )),
        PendingOperation::AddRelationship { .. } => None,
    })?;
    // The create's id write reached XPM: the field names the client it
    // made, even one renamed in XPM since.
    if let Some(own) = own_by_id(input, gone) {
        return Some(own);
    }
    let name = sent_name.unwrap_or(&input.client.details.name);
    let made: Vec<&LookAlike> = input
        .search_results
        .iter()
        .filter(|c| {
            normalise(&c.name) == normalise(name.as_str())
                && !known.contains(&c.xpm_client)
                && Some(c.xpm_client) != gone
                // One holding another PM Hub client's id is that client's.
                && c.holds_id_of_another(input.client.id).is_none()
        })
        .collect();
    // Several new clients of that name (a person may have added one since):
    // the create sent every key PM Hub holds, so the one sharing the most
    // of them is the one it made. A tie cannot be told apart: a person decides.
    let keys_shared = |c: &LookAlike| c.matches(input.client).len();
    let best = made.iter().map(|c| keys_shared(c)).max()?;
    let mut at_best = made.iter().filter(|c| keys_shared(c) == best);
    let first = at_best.next()?;
    at_best.next().is_none().then_some(first.xpm_client)
}

fn plan_relationships(
    input: &PlanInput<'_>,
    client_step: &ClientStep,
) -> Result<Vec<RelationshipStep>, PlanError> {
    // A client linked to another XPM client (after its first was gone)
    // starts afresh: what was pushed to the old one says nothing of the new.
    let record = input
        .record
        .filter(|r| Some(r.xpm_client) == client_step.known_xpm_client());
    // XPM's relationships on the target client (none on one being created).
    let seen: &[XpmRelationshipSeen] = client_step
        .known_xpm_client()
        .and_then(|x| found(input, x))
        .map_or(&[], |v| v.relationships.as_slice());
    let mut steps = Vec::with_capacity(input.associations.len());
    let mut claimed: BTreeMap<(ClientId, XpmRelationshipType), AssociationId> = BTreeMap::new();
    let mut adopted: BTreeSet<XpmRelationshipUuid> = BTreeSet::new();
    for association in input.associations {
        if association.client() != input.client.id
            || association.practice() != input.client.practice
        {
            return Err(PlanError::ForeignAssociation(association.id()));
        }
        let xpm_type = input
            .settings
            .mapping_for(association.association_type())
            .and_then(|name| input.relationship_types.resolve(name).ok())
            .map(|spec| spec.name.clone());
        let duplicate_of = xpm_type
            .as_ref()
            .and_then(|t| claimed.get(&(association.related(), t.clone())).copied());
        let step = match duplicate_of {
            Some(other) => Err(SkipReason::DuplicateOfAnotherAssociation { other }),
            None => plan_relationship(input, record, seen, &adopted, association),
        };
        let step = match step {
            Ok(step) => {
                if let Some(t) = xpm_type {
                    claimed.insert((association.related(), t), association.id());
                }
                match &step {
                    RelationshipStep::Adopt { pushed, .. }
                    | RelationshipStep::Update { pushed, .. } => {
                        adopted.insert(pushed.xpm_relationship);
                    }
                    _ => {}
                }
                step
            }
            Err(reason) => RelationshipStep::Skipped {
                association: association.id(),
                reason,
            },
        };
        steps.push(step);
    }
    Ok(steps)
}

fn plan_relationship(
    input: &PlanInput<'_>,
    record: Option<&SyncRecord>,
    seen: &[XpmRelationshipSeen],
    adopted: &BTreeSet<XpmRelationshipUuid>,
    association: &Association,
) -> Result<RelationshipStep, SkipReason> {
    let id = association.id();
    let related_id = association.related();
    let mapped = input
        .settings
        .mapping_for(association.association_type())
        .ok_or(SkipReason::TypeNotMapped {
            association_type: association.association_type(),
        })?;
    let spec =
        input
            .relationship_types
            .resolve(mapped)
            .map_err(|_| SkipReason::MappedTypeNotInXpm {
                mapped: mapped.clone(),
            })?;
    let xpm_type = spec.name.clone();
    let related = input
        .related
        .get(&related_id)
        .ok_or(SkipReason::RelatedClientMissing {
            related: related_id,
        })?;
    if related.status != ClientStatus::Active {
        return Err(SkipReason::RelatedClientInactive {
            related: related_id,
            status: related.status,
        });
    }
    if input.client.details.business_structure.is_none() {
        return Err(SkipReason::ClientHasNoBusinessStructure);
    }
    if !related.has_business_structure {
        return Err(SkipReason::RelatedClientHasNoBusinessStructure {
            related: related_id,
        });
    }
    let related_xpm_client = related
        .xpm_client
        .ok_or(SkipReason::RelatedClientNotInXpm {
            related: related_id,
        })?;
    // A relationship structure XPM does not record is skipped, not trimmed:
    // XPM would show less than PM Hub holds.
    let association_terms = association.terms();
    if association_terms.shares.is_some() && !spec.shares {
        return Err(SkipReason::SharesNotRecordedOnType {
            xpm_type,
            carried_by: carried_by(input.relationship_types, |t| t.shares),
        });
    }
    if association_terms.percentage.is_some() && !spec.percentage {
        return Err(SkipReason::PercentageNotRecordedOnType {
            xpm_type,
            carried_by: carried_by(input.relationship_types, |t| t.percentage),
        });
    }
    let carries = spec.carries();
    let terms = RelationshipTerms::new(association_terms);
    let pushed = record.and_then(|r| r.relationships.get(&id));

    // What XPM holds decides: the relationship pushed last time if XPM
    // still has it, else any between the two clients of this type.
    let in_xpm = seen
        .iter()
        .filter(|s| {
            s.related_xpm_client == related_xpm_client && xpm_type.is_named(s.xpm_type.xpm_name())
        })
        .filter(|s| !adopted.contains(&s.xpm_relationship))
        .min_by_key(|s| pushed.is_none_or(|p| p.xpm_relationship != s.xpm_relationship));
    match in_xpm {
        Some(s) => {
            let ours = pushed.is_some_and(|p| p.xpm_relationship == s.xpm_relationship);
            if !ours
                && related
                    .pushed_towards_this_client
                    .contains(&s.xpm_relationship)
            {
                return Err(SkipReason::AlreadyInXpmFromRelatedClient);
            }
            let now = PushedRelationship {
                xpm_relationship: s.xpm_relationship,
                related_xpm_client,
                xpm_type,
                terms,
            };
            Ok(
                if RelationshipTerms::as_carried(s.terms, carries) != terms {
                    RelationshipStep::Update {
                        association: id,
                        pushed: now,
                        terms,
                        carries,
                    }
                } else if ours && pushed.is_some_and(|p| p.terms == terms) {
                    RelationshipStep::Unchanged { association: id }
                } else {
                    RelationshipStep::Adopt {
                        association: id,
                        pushed: now,
                    }
                },
            )
        }
        None => Ok(RelationshipStep::Add {
            association: id,
            related_xpm_client,
            xpm_type,
            terms,
        }),
    }
}

fn carried_by(
    types: &RelationshipTypes,
    which: impl Fn(&crate::relationship_type::RelationshipTypeSpec) -> bool,
) -> Vec<String> {
    types
        .carrying(which)
        .into_iter()
        .map(str::to_owned)
        .collect()
}
