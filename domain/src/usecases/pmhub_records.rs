//! PM Hub's clients by the ids PM Hub gives them, so that a PM Hub
//! deployment can send a record as it holds it, as often as it likes: the
//! same record twice is one client, and the second send changes nothing.
//! Like every record edit, nothing here calls XPM or starts a sync (FAQ 3).

use crate::association::{Association, AssociationTerms, AssociationType};
use crate::client::{Client, ClientDetails, ClientStatus};
use crate::ids::{AssociationId, AssociationTypeId, ClientId, PracticeId, UserId};
use crate::ports::{Clock, IdGenerator, StoreError, XpmAuthorization, XpmGateway};
use crate::text::{AssociationTypeName, PmHubId};
use crate::usecases::records::RecordsError;
use crate::usecases::{Integration, Stores};

/// Runs the attempt (an async block: find and update, or create) at most
/// twice: two puts of one new id at once make the second creation conflict,
/// and its second attempt then finds, and updates, the record the first
/// made. (A macro, not a function taking an async closure: the handlers'
/// futures must be `Send`, which an async closure's cannot yet promise.)
macro_rules! put_retrying {
    ($pmhub_id:expr, $attempt:block) => {{
        let mut done = None;
        for _ in 0..2 {
            if let Attempt::Done(record, outcome) = (async $attempt).await? {
                done = Some((record, outcome));
                break;
            }
        }
        done.ok_or_else(|| busy($pmhub_id))
    }};
}

/// What a put did to the client PM Hub's id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    Updated,
    /// PM Hub sent what the client already holds: nothing was written.
    Unchanged,
}

impl PutOutcome {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
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
    /// The client PM Hub knows by `pmhub_id`; a deleted one is not found.
    pub async fn client_by_pmhub_id(
        &self,
        practice: PracticeId,
        user: UserId,
        pmhub_id: &PmHubId,
    ) -> Result<Client, RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        match self.stores.client_by_pmhub_id(practice, pmhub_id).await? {
            Some(c) if c.status != ClientStatus::Deleted => Ok(c),
            _ => Err(RecordsError::NotKnownByPmHubId(pmhub_id.clone())),
        }
    }

    /// Creates the client PM Hub knows by `pmhub_id`, or replaces its
    /// details; writes nothing when they are the same. A deleted client
    /// stays deleted: putting it again is refused, as any change to it is.
    pub async fn put_client(
        &self,
        practice: PracticeId,
        user: UserId,
        pmhub_id: &PmHubId,
        details: ClientDetails,
    ) -> Result<(Client, PutOutcome), RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        put_retrying!(pmhub_id, {
            if let Some(mut current) = self.stores.client_by_pmhub_id(practice, pmhub_id).await? {
                if current.status == ClientStatus::Deleted {
                    return Err(RecordsError::ClientDeleted(current.id));
                }
                if current.details == details {
                    return Ok(Attempt::Done(current, PutOutcome::Unchanged));
                }
                current.details = details.clone();
                self.stores.save_client(&current).await?;
                return Ok(Attempt::Done(current, PutOutcome::Updated));
            }
            let client = Client {
                id: ClientId::from_uuid(self.ids.next_uuid()),
                practice,
                status: ClientStatus::Active,
                details: details.clone(),
            };
            let result = self
                .stores
                .create_client_for_pmhub_id(&client, pmhub_id)
                .await;
            created(result, client)
        })
    }

    /// Deletes the client PM Hub knows by `pmhub_id`, in PM Hub only: XPM
    /// keeps what it has (FAQ 6).
    pub async fn delete_client_by_pmhub_id(
        &self,
        practice: PracticeId,
        user: UserId,
        pmhub_id: &PmHubId,
    ) -> Result<Client, RecordsError> {
        let client = self.client_by_pmhub_id(practice, user, pmhub_id).await?;
        self.set_client_status(practice, user, client.id, ClientStatus::Deleted)
            .await
    }

    /// The association type PM Hub knows by `pmhub_id`.
    pub async fn association_type_by_pmhub_id(
        &self,
        practice: PracticeId,
        user: UserId,
        pmhub_id: &PmHubId,
    ) -> Result<AssociationType, RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        self.stores
            .association_type_by_pmhub_id(practice, pmhub_id)
            .await?
            .ok_or_else(|| RecordsError::NotKnownByPmHubId(pmhub_id.clone()))
    }

    /// The association PM Hub knows by `pmhub_id`; one of a deleted client
    /// is not found.
    pub async fn association_by_pmhub_id(
        &self,
        practice: PracticeId,
        user: UserId,
        pmhub_id: &PmHubId,
    ) -> Result<Association, RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        let association = self
            .stores
            .association_by_pmhub_id(practice, pmhub_id)
            .await?
            .ok_or_else(|| RecordsError::NotKnownByPmHubId(pmhub_id.clone()))?;
        self.associations_of(practice, user, association.client())
            .await
            .map_err(|_| RecordsError::NotKnownByPmHubId(pmhub_id.clone()))?;
        Ok(association)
    }

    /// Removes the association PM Hub knows by `pmhub_id`, in PM Hub only:
    /// a relationship already in XPM stays (FAQ 6).
    pub async fn remove_association_by_pmhub_id(
        &self,
        practice: PracticeId,
        user: UserId,
        pmhub_id: &PmHubId,
    ) -> Result<(), RecordsError> {
        let association = self
            .association_by_pmhub_id(practice, user, pmhub_id)
            .await?;
        self.remove_association(practice, user, association.client(), association.id())
            .await
    }

    /// Creates the association type PM Hub knows by `pmhub_id`, or renames
    /// it; writes nothing when the name is the same. Admins only, as any
    /// association type.
    pub async fn put_association_type(
        &self,
        practice: PracticeId,
        user: UserId,
        pmhub_id: &PmHubId,
        name: AssociationTypeName,
    ) -> Result<(AssociationType, PutOutcome), RecordsError> {
        self.admin::<RecordsError>(practice, user, "create association types")
            .await?;
        put_retrying!(pmhub_id, {
            if let Some(mut current) = self
                .stores
                .association_type_by_pmhub_id(practice, pmhub_id)
                .await?
            {
                if current.name == name {
                    return Ok(Attempt::Done(current, PutOutcome::Unchanged));
                }
                current.name = name.clone();
                self.stores.save_association_type(&current).await?;
                return Ok(Attempt::Done(current, PutOutcome::Updated));
            }
            let new = AssociationType {
                id: AssociationTypeId::from_uuid(self.ids.next_uuid()),
                practice,
                name: name.clone(),
            };
            let result = self
                .stores
                .create_association_type_for_pmhub_id(&new, pmhub_id)
                .await;
            created(result, new)
        })
    }

    /// Creates the association PM Hub knows by `pmhub_id`, between clients
    /// and of a type given by PM Hub's ids, or replaces it; writes nothing
    /// when it is the same. A reference to a record this practice does not
    /// have is refused naming the field.
    pub async fn put_association(
        &self,
        practice: PracticeId,
        user: UserId,
        pmhub_id: &PmHubId,
        refs: PmHubAssociation<'_>,
        terms: AssociationTerms,
    ) -> Result<(Association, PutOutcome), RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        let missing = |field, what, id: &PmHubId| RecordsError::MissingPmHubReference {
            field,
            what,
            pmhub_id: id.clone(),
        };
        let live = |c: Option<Client>| c.filter(|c| c.status != ClientStatus::Deleted);
        let client = live(
            self.stores
                .client_by_pmhub_id(practice, refs.client)
                .await?,
        )
        .ok_or_else(|| missing("clientId", "client", refs.client))?;
        let related = live(
            self.stores
                .client_by_pmhub_id(practice, refs.related)
                .await?,
        )
        .ok_or_else(|| missing("relatedClientId", "client", refs.related))?;
        let kind = self
            .stores
            .association_type_by_pmhub_id(practice, refs.association_type)
            .await?
            .ok_or_else(|| {
                missing(
                    "associationTypeId",
                    "association type",
                    refs.association_type,
                )
            })?;
        put_retrying!(pmhub_id, {
            let existing = self
                .stores
                .association_by_pmhub_id(practice, pmhub_id)
                .await?;
            let id = existing.as_ref().map_or_else(
                || AssociationId::from_uuid(self.ids.next_uuid()),
                Association::id,
            );
            let wanted = Association::new(id, practice, client.id, related.id, kind.id, terms)?;
            if let Some(current) = existing {
                if current == wanted {
                    return Ok(Attempt::Done(current, PutOutcome::Unchanged));
                }
                // A deleted client's associations do not change.
                self.changeable_client(practice, user, current.client())
                    .await?;
                self.stores.save_association(&wanted).await?;
                return Ok(Attempt::Done(wanted, PutOutcome::Updated));
            }
            let result = self
                .stores
                .create_association_for_pmhub_id(&wanted, pmhub_id)
                .await;
            created(result, wanted)
        })
    }
}

/// The records an association sent by PM Hub refers to, by PM Hub's ids.
#[derive(Debug, Clone, Copy)]
pub struct PmHubAssociation<'a> {
    pub client: &'a PmHubId,
    pub related: &'a PmHubId,
    pub association_type: &'a PmHubId,
}

/// What one attempt at a put did: done, or its creation lost a race with
/// another put of the same new id (which made the record meanwhile).
enum Attempt<T> {
    Done(T, PutOutcome),
    LostRace,
}

/// A creation's result as an attempt: a conflict on the PM Hub id is a lost race.
fn created<T>(result: Result<(), StoreError>, record: T) -> Result<Attempt<T>, RecordsError> {
    match result {
        Ok(()) => Ok(Attempt::Done(record, PutOutcome::Created)),
        Err(StoreError::Conflict(_)) => Ok(Attempt::LostRace),
        Err(e) => Err(e.into()),
    }
}

/// Two puts of one new id at once, both losing: rare enough to refuse.
fn busy(pmhub_id: &PmHubId) -> RecordsError {
    StoreError::Conflict(format!("{pmhub_id} is being created by another request")).into()
}
