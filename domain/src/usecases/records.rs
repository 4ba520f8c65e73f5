//! PM Hub's own records: clients, associations, association types. These
//! use cases write only to PM Hub's stores and never call XPM: deleting or
//! deactivating a client, or removing an association, changes nothing in
//! XPM (FAQ 6), and no sync starts because of an edit (FAQ 3).

use crate::association::{Association, AssociationError, AssociationTerms, AssociationType};
use crate::client::{Client, ClientDetails, ClientStatus};
use crate::ids::{AssociationId, AssociationTypeId, ClientId, PracticeId, UserId};
use crate::ports::{Clock, IdGenerator, StoreError, XpmAuthorization, XpmGateway};
use crate::practice::PermissionError;
use crate::text::{AssociationTypeName, PmHubId};
use crate::usecases::{Integration, Stores};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordsError {
    #[error(transparent)]
    Permission(#[from] PermissionError),
    #[error("client {0} does not exist in this practice")]
    ClientNotFound(ClientId),
    #[error("association {0} does not exist in this practice")]
    AssociationNotFound(AssociationId),
    #[error("association type {0} does not exist in this practice")]
    AssociationTypeNotFound(AssociationTypeId),
    #[error("PM Hub's id {0} names no such record in this practice")]
    NotKnownByPmHubId(PmHubId),
    /// A record sent by PM Hub's id refers, by PM Hub's id, to one this
    /// practice does not have (yet); `field` names the reference.
    #[error("PM Hub's {what} {pmhub_id} is not in this practice")]
    MissingPmHubReference {
        field: &'static str,
        what: &'static str,
        pmhub_id: PmHubId,
    },
    #[error("client {0} is deleted; a deleted client cannot be changed")]
    ClientDeleted(ClientId),
    #[error(transparent)]
    Association(#[from] AssociationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<S, G, A, C, I> Integration<S, G, A, C, I>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    pub async fn list_clients(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<Vec<Client>, RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        Ok(self.stores.clients(practice).await?)
    }

    pub async fn get_client(
        &self,
        practice: PracticeId,
        user: UserId,
        client: ClientId,
    ) -> Result<Client, RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        self.stores
            .client(practice, client)
            .await?
            .ok_or(RecordsError::ClientNotFound(client))
    }

    pub async fn create_client(
        &self,
        practice: PracticeId,
        user: UserId,
        details: ClientDetails,
    ) -> Result<Client, RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        let client = Client {
            id: ClientId::from_uuid(self.ids.next_uuid()),
            practice,
            status: ClientStatus::Active,
            details,
        };
        self.stores.save_client(&client).await?;
        Ok(client)
    }

    /// A client that may still be changed: any but a deleted one.
    pub(super) async fn changeable_client(
        &self,
        practice: PracticeId,
        user: UserId,
        client: ClientId,
    ) -> Result<Client, RecordsError> {
        let current = self.get_client(practice, user, client).await?;
        if current.status == ClientStatus::Deleted {
            return Err(RecordsError::ClientDeleted(client));
        }
        Ok(current)
    }

    /// Changes a client's details in PM Hub. Nothing is pushed until someone presses Sync.
    pub async fn update_client(
        &self,
        practice: PracticeId,
        user: UserId,
        client: ClientId,
        details: ClientDetails,
    ) -> Result<Client, RecordsError> {
        let mut current = self.changeable_client(practice, user, client).await?;
        current.details = details;
        self.stores.save_client(&current).await?;
        Ok(current)
    }

    /// Deactivates, reactivates or deletes a client in PM Hub only: XPM
    /// keeps what it has.
    pub async fn set_client_status(
        &self,
        practice: PracticeId,
        user: UserId,
        client: ClientId,
        status: ClientStatus,
    ) -> Result<Client, RecordsError> {
        let mut current = self.get_client(practice, user, client).await?;
        if current.status == ClientStatus::Deleted && status != ClientStatus::Deleted {
            return Err(RecordsError::ClientDeleted(client));
        }
        current.status = status;
        self.stores.save_client(&current).await?;
        Ok(current)
    }

    pub async fn associations_of(
        &self,
        practice: PracticeId,
        user: UserId,
        client: ClientId,
    ) -> Result<Vec<Association>, RecordsError> {
        // A deleted client is kept for the record, and so are its
        // associations (they can still be removed), but they are no longer
        // listed: like the client, they are gone from the API's reads.
        if self.get_client(practice, user, client).await?.status == ClientStatus::Deleted {
            return Err(RecordsError::ClientNotFound(client));
        }
        Ok(self.stores.associations_of(practice, client).await?)
    }

    /// The client's associations as held, deleted client included.
    async fn held_associations(
        &self,
        practice: PracticeId,
        user: UserId,
        client: ClientId,
    ) -> Result<Vec<Association>, RecordsError> {
        self.get_client(practice, user, client).await?;
        Ok(self.stores.associations_of(practice, client).await?)
    }

    pub async fn add_association(
        &self,
        practice: PracticeId,
        user: UserId,
        client: ClientId,
        related: ClientId,
        association_type: AssociationTypeId,
        terms: AssociationTerms,
    ) -> Result<Association, RecordsError> {
        self.changeable_client(practice, user, client).await?;
        self.get_client(practice, user, related).await?;
        if self
            .stores
            .association_type(practice, association_type)
            .await?
            .is_none()
        {
            return Err(RecordsError::AssociationTypeNotFound(association_type));
        }
        let id = AssociationId::from_uuid(self.ids.next_uuid());
        let association = Association::new(id, practice, client, related, association_type, terms)?;
        self.stores.save_association(&association).await?;
        Ok(association)
    }

    /// Removes an association from PM Hub; a relationship already in XPM stays there.
    pub async fn remove_association(
        &self,
        practice: PracticeId,
        user: UserId,
        client: ClientId,
        association: AssociationId,
    ) -> Result<(), RecordsError> {
        let existing = self.held_associations(practice, user, client).await?;
        if !existing.iter().any(|a| a.id() == association) {
            return Err(RecordsError::AssociationNotFound(association));
        }
        Ok(self
            .stores
            .remove_association(practice, association)
            .await?)
    }

    /// Changes an association's terms (shares, percentage, dates) in PM Hub
    /// only; the next Sync of its client writes them on the XPM relationship.
    pub async fn update_association_terms(
        &self,
        practice: PracticeId,
        user: UserId,
        client: ClientId,
        association: AssociationId,
        terms: AssociationTerms,
    ) -> Result<Association, RecordsError> {
        self.changeable_client(practice, user, client).await?;
        let existing = self.held_associations(practice, user, client).await?;
        let current = existing
            .into_iter()
            .find(|a| a.id() == association)
            .ok_or(RecordsError::AssociationNotFound(association))?;
        let changed = current.with_terms(terms)?;
        self.stores.save_association(&changed).await?;
        Ok(changed)
    }

    pub async fn association_types(
        &self,
        practice: PracticeId,
        user: UserId,
    ) -> Result<Vec<AssociationType>, RecordsError> {
        self.member::<RecordsError>(practice, user).await?;
        Ok(self.stores.association_types(practice).await?)
    }

    /// Adds one of the practice's own association types; it syncs only once mapped.
    pub async fn create_association_type(
        &self,
        practice: PracticeId,
        user: UserId,
        name: AssociationTypeName,
    ) -> Result<AssociationType, RecordsError> {
        self.admin::<RecordsError>(practice, user, "create association types")
            .await?;
        let association_type = AssociationType {
            id: AssociationTypeId::from_uuid(self.ids.next_uuid()),
            practice,
            name,
        };
        self.stores.save_association_type(&association_type).await?;
        Ok(association_type)
    }
}
