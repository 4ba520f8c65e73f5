//! Manual, one-client, one-way sync: the request that starts it, what it
//! pushes, what was last pushed, and the planner that decides each XPM write.

mod look_alike;
mod owned;
mod payload;
mod planner;
mod preview;
mod record;
mod request;

pub use look_alike::{LookAlike, MatchKey, look_alike_queries};
pub use owned::{FieldChange, OwnedField, field_changes};
pub use payload::{ClientPayload, RelationshipTerms};
pub use planner::{
    ClientIdPlan, ClientStep, GoneReason, PlanError, PlanInput, RelatedClientView,
    RelationshipStep, SkipReason, SyncPlan, XpmClientRead, XpmRelationshipSeen, plan_sync,
};
pub use preview::{PreviewField, PreviewInput, preview_fields};
pub use record::{PendingOperation, PushedRelationship, SyncRecord};
pub use request::{FirstSyncDecision, ManualSyncRequest};
