//! The sync planner: a pure function from everything known about one client
//! to the list of XPM writes a manual sync would make. It can only emit
//! creates, updates and relationship adds/updates: there is no delete or
//! archive step to emit (FAQ 6), and it never produces a change to PM Hub's
//! own data (FAQ 4).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::association::Association;
use crate::client::{Client, ClientStatus};
use crate::connection::SyncTarget;
use crate::ids::{
    AssociationId, AssociationTypeId, ClientId, XpmClientUuid, XpmRelationshipUuid, XpmTenantId,
};
use crate::relationship_type::XpmRelationshipType;
use crate::settings::IntegrationSettings;
use crate::sync::payload::{ClientPayload, RelationshipTerms};
use crate::sync::record::{PendingOperation, PushedRelationship, SyncRecord};
use crate::sync::request::{FirstSyncDecision, ManualSyncRequest};

/// An XPM client as a search answers it: enough to tell whether it looks
/// like a PM Hub client. Read from XPM, shown to people, never written into
/// PM Hub's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookAlike {
    pub xpm_client: XpmClientUuid,
    pub name: String,
    pub email: Option<String>,
    pub business_number: Option<String>,
}

impl LookAlike {
    /// Same name (ignoring case and spacing), or same email, or same business number.
    fn resembles(&self, client: &Client) -> bool {
        let d = &client.details;
        let same_name = normalise(&self.name) == normalise(d.name.as_str());
        let same_email = matches!((&self.email, &d.email), (Some(a), Some(b)) if a.trim().eq_ignore_ascii_case(b.as_str()));
        let same_number = matches!((&self.business_number, &d.business_number),
            (Some(a), Some(b)) if digits(a) == digits(b.as_str()) && !digits(a).is_empty());
        same_name || same_email || same_number
    }
}

fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// What the planner needs to know about a related client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedClientView {
    pub status: ClientStatus,
    pub has_business_structure: bool,
    /// The related client's UUID in the target XPM organisation, if it has been synced there.
    pub xpm_client: Option<XpmClientUuid>,
    /// Relationship types already pushed from the related client's side
    /// towards this client: XPM shows each on both clients, so the
    /// reciprocal must not be pushed again from this side.
    pub pushed_towards_this_client: Vec<XpmRelationshipType>,
}

/// A relationship XPM holds on this client (read only while recovering
/// from an interrupted add).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XpmRelationshipSeen {
    pub xpm_relationship: XpmRelationshipUuid,
    pub related_xpm_client: XpmClientUuid,
    pub xpm_type: XpmRelationshipType,
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
    /// What was last pushed for this client to the target organisation.
    pub record: Option<&'a SyncRecord>,
    /// XPM clients found by a name search; read only on a first sync.
    pub search_results: &'a [LookAlike],
    /// Writes started by an earlier sync whose result was never recorded.
    pub pending: &'a [PendingOperation],
    /// XPM's relationships on this client; read only when `pending` holds an add.
    pub xpm_relationships: &'a [XpmRelationshipSeen],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientStep {
    Create {
        payload: ClientPayload,
        known_look_alikes: Vec<XpmClientUuid>,
    },
    /// The person chose an XPM client already there; it is then updated with PM Hub's values.
    Link {
        xpm_client: XpmClientUuid,
        payload: ClientPayload,
    },
    /// An earlier create was interrupted, and XPM had made the client: adopt it.
    Recover {
        xpm_client: XpmClientUuid,
        payload: ClientPayload,
    },
    Update {
        xpm_client: XpmClientUuid,
        payload: ClientPayload,
        changed_fields: Vec<String>,
    },
    Unchanged {
        xpm_client: XpmClientUuid,
    },
    /// XPM already holds clients like this one: a person must choose to
    /// link to one or create a new one. Nothing is written until they do.
    NeedsDecision {
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
            Self::Create { .. } | Self::NeedsDecision { .. } => None,
        }
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
    Update {
        association: AssociationId,
        pushed: PushedRelationship,
        terms: RelationshipTerms,
    },
    Unchanged {
        association: AssociationId,
    },
    /// An earlier add was interrupted and XPM had made the relationship: record it.
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
    #[error(
        "it was pushed as {pushed} and is now mapped to {now}; XPM cannot change a relationship's type, so change it in XPM"
    )]
    MappingChangedSincePushed {
        pushed: XpmRelationshipType,
        now: XpmRelationshipType,
    },
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
        "this client is already synced to XPM client {0}; a link or create choice applies only to a first sync"
    )]
    AlreadySynced(XpmClientUuid),
}

/// The writes one manual sync of one client would make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPlan {
    pub tenant: XpmTenantId,
    pub client: ClientStep,
    pub relationships: Vec<RelationshipStep>,
}

impl SyncPlan {
    /// How many XPM writes executing the plan makes.
    pub fn write_count(&self) -> usize {
        let client_writes = usize::from(matches!(
            self.client,
            ClientStep::Create { .. }
                | ClientStep::Link { .. }
                | ClientStep::Recover { .. }
                | ClientStep::Update { .. }
        ));
        match self.client {
            ClientStep::NeedsDecision { .. } => 0,
            _ => client_writes + self.relationships.iter().filter(|r| r.is_write()).count(),
        }
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
    let relationships = plan_relationships(&input)?;
    Ok(SyncPlan {
        tenant: input.target.tenant(),
        client: client_step,
        relationships,
    })
}

fn plan_client(input: &PlanInput<'_>, payload: ClientPayload) -> Result<ClientStep, PlanError> {
    if let Some(record) = input.record {
        if let Some(FirstSyncDecision::LinkTo(_)) = input.request.decision() {
            return Err(PlanError::AlreadySynced(record.xpm_client));
        }
        let xpm_client = record.xpm_client;
        return Ok(match &record.last_pushed {
            Some(before) if *before == payload => ClientStep::Unchanged { xpm_client },
            Some(before) => ClientStep::Update {
                xpm_client,
                changed_fields: payload
                    .changed_fields(before)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                payload,
            },
            None => ClientStep::Update {
                xpm_client,
                changed_fields: vec!["all fields".to_owned()],
                payload,
            },
        });
    }

    if let Some(recovered) = recover_lost_create(input) {
        return Ok(ClientStep::Recover {
            xpm_client: recovered,
            payload,
        });
    }

    let look_alikes: Vec<LookAlike> = input
        .search_results
        .iter()
        .filter(|c| c.resembles(input.client))
        .cloned()
        .collect();
    let known_look_alikes = look_alikes.iter().map(|c| c.xpm_client).collect();
    match input.request.decision() {
        Some(FirstSyncDecision::LinkTo(chosen)) => {
            if look_alikes.iter().any(|c| c.xpm_client == chosen) {
                Ok(ClientStep::Link {
                    xpm_client: chosen,
                    payload,
                })
            } else {
                Err(PlanError::NotALookAlike(chosen))
            }
        }
        Some(FirstSyncDecision::CreateNew) => Ok(ClientStep::Create {
            payload,
            known_look_alikes,
        }),
        None if look_alikes.is_empty() => Ok(ClientStep::Create {
            payload,
            known_look_alikes,
        }),
        None => Ok(ClientStep::NeedsDecision { look_alikes }),
    }
}

/// After an interrupted create, a client bearing the name the create sent
/// that was not among the look-alikes known before it must be the one it made.
fn recover_lost_create(input: &PlanInput<'_>) -> Option<XpmClientUuid> {
    let (known, sent_name) = input.pending.iter().find_map(|p| match p {
        PendingOperation::CreateClient {
            known_look_alikes,
            sent_name,
        } => Some((
            known_look_alikes.iter().copied().collect::<BTreeSet<_>>(),
            sent_name.as_ref(),
        )),
        PendingOperation::AddRelationship { .. } => None,
    })?;
    let name = sent_name.unwrap_or(&input.client.details.name);
    let mut made = input.search_results.iter().filter(|c| {
        normalise(&c.name) == normalise(name.as_str()) && !known.contains(&c.xpm_client)
    });
    let first = made.next()?;
    // Two new same-named clients cannot be told apart: leave it to a person.
    made.next().is_none().then_some(first.xpm_client)
}

fn plan_relationships(input: &PlanInput<'_>) -> Result<Vec<RelationshipStep>, PlanError> {
    let mut steps = Vec::with_capacity(input.associations.len());
    let mut claimed: BTreeMap<(ClientId, XpmRelationshipType), AssociationId> = BTreeMap::new();
    for association in input.associations {
        if association.client() != input.client.id
            || association.practice() != input.client.practice
        {
            return Err(PlanError::ForeignAssociation(association.id()));
        }
        let step = match plan_relationship(input, association) {
            Ok(step) => step,
            Err(reason) => RelationshipStep::Skipped {
                association: association.id(),
                reason,
            },
        };
        let step = match (
            &step,
            input.settings.mapping_for(association.association_type()),
        ) {
            (RelationshipStep::Skipped { .. }, _) | (_, None) => step,
            (_, Some(xpm_type)) => match claimed.get(&(association.related(), xpm_type)) {
                Some(&other) => RelationshipStep::Skipped {
                    association: association.id(),
                    reason: SkipReason::DuplicateOfAnotherAssociation { other },
                },
                None => {
                    claimed.insert((association.related(), xpm_type), association.id());
                    step
                }
            },
        };
        steps.push(step);
    }
    Ok(steps)
}

fn plan_relationship(
    input: &PlanInput<'_>,
    association: &Association,
) -> Result<RelationshipStep, SkipReason> {
    let id = association.id();
    let related_id = association.related();
    let xpm_type = input
        .settings
        .mapping_for(association.association_type())
        .ok_or(SkipReason::TypeNotMapped {
            association_type: association.association_type(),
        })?;
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
    let terms = RelationshipTerms::new(association.terms(), xpm_type);

    if let Some(pushed) = input.record.and_then(|r| r.relationships.get(&id)) {
        if pushed.xpm_type != xpm_type {
            return Err(SkipReason::MappingChangedSincePushed {
                pushed: pushed.xpm_type,
                now: xpm_type,
            });
        }
        if pushed.related_xpm_client != related_xpm_client {
            return Err(SkipReason::RelatedClientRelinked {
                related: related_id,
            });
        }
        return Ok(if pushed.terms == terms {
            RelationshipStep::Unchanged { association: id }
        } else {
            RelationshipStep::Update {
                association: id,
                pushed: pushed.clone(),
                terms,
            }
        });
    }

    if related
        .pushed_towards_this_client
        .contains(&xpm_type.reciprocal())
    {
        return Err(SkipReason::AlreadyInXpmFromRelatedClient);
    }

    let add_was_interrupted = input.pending.iter().any(
        |p| matches!(p, PendingOperation::AddRelationship { association } if *association == id),
    );
    if add_was_interrupted
        && let Some(seen) = input
            .xpm_relationships
            .iter()
            .find(|r| r.related_xpm_client == related_xpm_client && r.xpm_type == xpm_type)
    {
        return Ok(RelationshipStep::Adopt {
            association: id,
            pushed: PushedRelationship {
                xpm_relationship: seen.xpm_relationship,
                related_xpm_client,
                xpm_type,
                terms,
            },
        });
    }

    Ok(RelationshipStep::Add {
        association: id,
        related_xpm_client,
        xpm_type,
        terms,
    })
}
