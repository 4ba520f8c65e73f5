use serde::{Deserialize, Serialize};

use crate::ids::{ClientId, PracticeId, UserId, XpmClientUuid};
use crate::practice::{PermissionError, User};

/// On a client's first sync to an XPM organisation that already holds
/// look-alike clients, the person decides: link to one of them, or create a
/// new client. Nothing is pushed before they choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FirstSyncDecision {
    LinkTo(XpmClientUuid),
    CreateNew,
}

/// A person pressing Sync on one client. It is the only input from which a
/// sync plan can be made: it names exactly one client and the user who asked,
/// and nothing in this crate builds one without a user (FAQ 3: manual only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualSyncRequest {
    practice: PracticeId,
    requested_by: UserId,
    client: ClientId,
    decision: Option<FirstSyncDecision>,
}

impl ManualSyncRequest {
    /// Any member of the practice (admin or staff) may sync a client.
    pub fn new(
        user: &User,
        practice: PracticeId,
        client: ClientId,
        decision: Option<FirstSyncDecision>,
    ) -> Result<Self, PermissionError> {
        user.ensure_member_of(practice)?;
        Ok(Self {
            practice,
            requested_by: user.id,
            client,
            decision,
        })
    }

    pub fn practice(&self) -> PracticeId {
        self.practice
    }
    pub fn requested_by(&self) -> UserId {
        self.requested_by
    }
    pub fn client(&self) -> ClientId {
        self.client
    }
    pub fn decision(&self) -> Option<FirstSyncDecision> {
        self.decision
    }
}
