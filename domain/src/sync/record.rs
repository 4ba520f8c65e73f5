use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{
    AssociationId, ClientId, PracticeId, XpmClientUuid, XpmCustomFieldUuid, XpmRelationshipUuid,
    XpmTenantId,
};
use crate::relationship_type::XpmRelationshipType;
use crate::sync::payload::{ClientPayload, RelationshipTerms};
use crate::text::ClientName;

/// What was last pushed for one client to one XPM organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRecord {
    pub practice: PracticeId,
    pub client: ClientId,
    pub tenant: XpmTenantId,
    pub xpm_client: XpmClientUuid,
    /// `None` after a link whose update has not succeeded yet: XPM's copy
    /// is then unknown, so the next sync pushes everything.
    pub last_pushed: Option<ClientPayload>,
    pub relationships: BTreeMap<AssociationId, PushedRelationship>,
    pub last_synced_at: OffsetDateTime,
    /// The XPM custom field into which PM Hub's client id was written (and
    /// XPM confirmed it) for this link; `None` until then, so a Sync writes
    /// it once the practice keeps the id in a field.
    #[serde(default)]
    pub client_id_written: Option<XpmCustomFieldUuid>,
}

/// A relationship as it was last pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedRelationship {
    pub xpm_relationship: XpmRelationshipUuid,
    pub related_xpm_client: XpmClientUuid,
    pub xpm_type: XpmRelationshipType,
    pub terms: RelationshipTerms,
}

/// An XPM write that was started and whose result is not yet recorded. If
/// one is found at the next sync, the process died mid-write: XPM may or may
/// not have done it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PendingOperation {
    /// The XPM clients that already looked like this one when the create was
    /// decided; a look-alike outside this list was made by the lost create.
    CreateClient {
        known_look_alikes: Vec<XpmClientUuid>,
        /// The name the create sent: the client may have been renamed in PM
        /// Hub since, and recovery must look for it under this name.
        #[serde(default)]
        sent_name: Option<ClientName>,
        /// When the create was decided: the client it made was modified in
        /// XPM at or after this, which bounds the search for it by PM Hub's
        /// id (`None` in notes written before it was recorded).
        #[serde(default)]
        started_at: Option<OffsetDateTime>,
    },
    AddRelationship {
        association: AssociationId,
    },
}
