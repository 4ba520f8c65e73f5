//! Manual, one-client, one-way sync: the request that starts it, what it
//! pushes, what was last pushed, and the planner that decides each XPM write.

mod payload;
mod planner;
mod preview;
mod record;
mod request;

pub use payload::{ClientPayload, RelationshipTerms};
pub use planner::{
    ClientStep, LookAlike, PlanError, PlanInput, RelatedClientView, RelationshipStep, SkipReason,
    SyncPlan, XpmRelationshipSeen, plan_sync,
};
pub use preview::{FieldComparison, Fields, compare_fields};
pub use record::{PendingOperation, PushedRelationship, SyncRecord};
pub use request::{FirstSyncDecision, ManualSyncRequest};
