//! PM Hub's clients by the ids PM Hub gives them, so that a PM Hub
//! deployment can send a record as it holds it, as often as it likes: the
//! same record twice is one client, and the second send changes nothing.
//! Like every record edit, nothing here calls XPM or starts a sync (FAQ 3).

use crate::client::{Client, ClientDetails, ClientStatus};
use crate::ids::{ClientId, PracticeId, UserId};
use crate::ports::{Clock, IdGenerator, StoreError, XpmAuthorization, XpmGateway};
use crate::text::PmHubId;
use crate::usecases::records::RecordsError;
use crate::usecases::{Integration, Stores};

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
        // Two puts of a new id at once: the second creation conflicts, and
        // is then an update of the client the first created.
        for _ in 0..2 {
            if let Some(mut current) = self.stores.client_by_pmhub_id(practice, pmhub_id).await? {
                if current.status == ClientStatus::Deleted {
                    return Err(RecordsError::ClientDeleted(current.id));
                }
                if current.details == details {
                    return Ok((current, PutOutcome::Unchanged));
                }
                current.details = details;
                self.stores.save_client(&current).await?;
                return Ok((current, PutOutcome::Updated));
            }
            let client = Client {
                id: ClientId::from_uuid(self.ids.next_uuid()),
                practice,
                status: ClientStatus::Active,
                details: details.clone(),
            };
            match self
                .stores
                .create_client_for_pmhub_id(&client, pmhub_id)
                .await
            {
                Ok(()) => return Ok((client, PutOutcome::Created)),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(format!(
            "client {pmhub_id} is being created by another request"
        ))
        .into())
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
}
