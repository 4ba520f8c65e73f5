//! Manual, one-client, one-way sync: the request that starts it, what it
//! pushes, what was last pushed, and the planner that decides each XPM write.

mod owned;
mod payload;
mod planner;
mod record;
mod request;

pub use owned::{FieldChange, OwnedField, field_changes};
pub use payload::{ClientPayload, RelationshipTerms};
pub use planner::{
    ClientStep, GoneReason, LookAlike, MatchKey, PlanError, PlanInput, RelatedClientView,
    RelationshipStep, SkipReason, SyncPlan, XpmClientRead, XpmRelationshipSeen, look_alike_queries,
    plan_sync,
};
pub use record::{PendingOperation, PushedRelationship, SyncRecord};
pub use request::{FirstSyncDecision, ManualSyncRequest};
