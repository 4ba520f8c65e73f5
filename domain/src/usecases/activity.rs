use crate::activity::ActivityEntry;
use crate::ids::{PracticeId, UserId};
use crate::ports::{
    ActivityFilter, ActivityPage, Clock, IdGenerator, StoreError, XpmAuthorization, XpmGateway,
};
use crate::practice::PermissionError;
use crate::usecases::{Integration, Stores};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivityError {
    #[error(transparent)]
    Permission(#[from] PermissionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Most entries one page may hold.
pub const MAX_PAGE: u32 = 500;

impl<S, G, A, C, I> Integration<S, G, A, C, I>
where
    S: Stores,
    G: XpmGateway,
    A: XpmAuthorization,
    C: Clock,
    I: IdGenerator,
{
    /// Reads the activity log, newest first. Any member may read it, in any
    /// connection state (FAQ 2: it stays available after Disconnect).
    pub async fn read_activity(
        &self,
        practice: PracticeId,
        user: UserId,
        filter: &ActivityFilter,
        page: ActivityPage,
    ) -> Result<Vec<ActivityEntry>, ActivityError> {
        self.member::<ActivityError>(practice, user).await?;
        let page = ActivityPage {
            limit: page.limit.clamp(1, MAX_PAGE),
            ..page
        };
        Ok(self.stores.read(practice, filter, page).await?)
    }
}
