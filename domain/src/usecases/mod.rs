//! Use cases: the application services the app calls. Each is a method of
//! [`Integration`], which holds the ports.

mod accounts;
mod activity;
mod connection;
mod pmhub_records;
mod records;
mod settings;
mod sync;
mod views;

pub use accounts::Accounts;
pub use activity::{ActivityError, MAX_PAGE as MAX_ACTIVITY_PAGE};
pub use connection::{
    AuthorisationCallback, AuthorisationOutcome, CheckedConnection, ConnectionUseCaseError,
};
pub use pmhub_records::{PmHubAssociation, PutOutcome};
pub use records::RecordsError;
pub use settings::{ClientIdFieldChoices, SettingsError};
pub use sync::{MAX_ID_FIELD_READS, SyncError, SyncOutcome, SyncPreview};
pub use views::{
    ClientIdFieldSetting, ClientSummary, ClientsOverview, NamedAssociation, TypeMapping,
};

use std::sync::Arc;

use time::OffsetDateTime;

use crate::activity::{ActivityEntry, ActivityKind, Actor};
use crate::ids::{ClientId, PracticeId, UserId};
use crate::ports::{
    ActivityLog, ClientStore, Clock, ConnectionStore, IdGenerator, PracticeStore, SettingsStore,
    StoreError, SyncRecordStore, XpmAuthorization, XpmGateway, entry,
};
use crate::practice::{PermissionError, User};
use crate::relationship_type::RelationshipTypes;

/// Every store port at once: both store adapters implement them all on one type.
pub trait Stores:
    PracticeStore + ClientStore + SettingsStore + ConnectionStore + SyncRecordStore + ActivityLog
{
}

impl<T> Stores for T where
    T: PracticeStore
        + ClientStore
        + SettingsStore
        + ConnectionStore
        + SyncRecordStore
        + ActivityLog
{
}

/// The integration's use cases over its ports.
#[derive(Debug, Clone)]
pub struct Integration<S, G, A, C, I> {
    /// The relationship types the target XPM accepts, loaded at start.
    pub relationship_types: Arc<RelationshipTypes>,
    pub stores: S,
    pub xpm: G,
    pub authorization: A,
    pub clock: C,
    pub ids: I,
}

impl<S, G, A, C, I> Integration<S, G, A, C, I>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    pub fn new(
        relationship_types: RelationshipTypes,
        stores: S,
        xpm: G,
        authorization: A,
        clock: C,
        ids: I,
    ) -> Self {
        Self {
            relationship_types: Arc::new(relationship_types),
            stores,
            xpm,
            authorization,
            clock,
            ids,
        }
    }

    fn entry(
        &self,
        practice: PracticeId,
        actor: Actor,
        client: Option<ClientId>,
        kind: ActivityKind,
    ) -> ActivityEntry {
        entry(&self.ids, practice, self.clock.now(), actor, client, kind)
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Loads the acting user, who must belong to `practice`.
    async fn member<E>(&self, practice: PracticeId, user: UserId) -> Result<User, E>
    where
        E: From<PermissionError> + From<StoreError>,
    {
        let user = self
            .stores
            .user(practice, user)
            .await?
            .ok_or(PermissionError::OtherPractice)?;
        user.ensure_member_of(practice)?;
        Ok(user)
    }

    /// Loads the acting user, who must be an admin of `practice`.
    async fn admin<E>(
        &self,
        practice: PracticeId,
        user: UserId,
        action: &'static str,
    ) -> Result<User, E>
    where
        E: From<PermissionError> + From<StoreError>,
    {
        let user: User = self.member::<E>(practice, user).await?;
        user.ensure_admin_of(practice, action)?;
        Ok(user)
    }
}
