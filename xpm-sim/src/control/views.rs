//! The request and answer types of the control operations, as they travel
//! in JSON (and as the handle answers them in process).

use crate::ids::TenantId;
use crate::seed::SeedReport;
use crate::state::Org;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// One organisation in a listing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrgSummary {
    pub id: TenantId,
    pub name: String,
    pub clients: usize,
    pub relationships: usize,
}

/// A connection as the control API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectionView {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub user_id: Uuid,
    pub user_email: String,
    pub client_id: String,
    pub auth_event_id: Uuid,
    pub created: String,
    pub updated: String,
}

/// The full state of one organisation (tax numbers unmasked).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrgState {
    pub org: Org,
    pub connections: Vec<ConnectionView>,
}

/// Connects an app without clicking through the login pages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectRequest {
    pub client_id: String,
    pub user_email: String,
    /// Organisations to grant; all the user may grant when empty.
    #[serde(default)]
    pub tenants: Vec<Uuid>,
    /// Defaults to `openid profile email offline_access practicemanager`.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Which practice's connections an XPM admin removes (all apps' when no `client_id`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct RevokeRequest {
    pub tenant_id: TenantId,
    #[serde(default)]
    pub client_id: Option<String>,
}

/// How far to move the clock.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub(crate) struct ClockAdvance {
    pub seconds: i64,
    /// Below a second; left out of the JSON when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub nanoseconds: i32,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// Where to set the clock.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub(crate) struct ClockSetting {
    #[serde(with = "time::serde::rfc3339")]
    pub now: OffsetDateTime,
}

/// The sim clock's time.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub(crate) struct ClockReading {
    #[serde(with = "time::serde::rfc3339")]
    pub now: OffsetDateTime,
}

impl From<ClockReading> for OffsetDateTime {
    fn from(r: ClockReading) -> Self {
        r.now
    }
}

impl From<ClockReading> for () {
    fn from(_: ClockReading) -> Self {}
}

/// A fault rule's id, as `POST /_sim/faults` answers it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub(crate) struct FaultAdded {
    pub id: u64,
}

impl From<FaultAdded> for u64 {
    fn from(a: FaultAdded) -> Self {
        a.id
    }
}

/// How many things an operation touched (`{"expired": n}`, `{"revoked": n}`).
macro_rules! counted {
    ($name:ident, $field:ident) => {
        #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
        pub(crate) struct $name {
            pub $field: usize,
        }

        impl From<$name> for usize {
            fn from(a: $name) -> Self {
                a.$field
            }
        }
    };
}
counted!(Expired, expired);
counted!(Revoked, revoked);

/// An operation that answers only that it was done (`{"archived": true}`).
macro_rules! done {
    ($name:ident, $field:ident) => {
        #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
        pub(crate) struct $name {
            pub $field: bool,
        }

        impl $name {
            pub(crate) const YES: Self = Self { $field: true };
        }

        impl From<$name> for () {
            fn from(_: $name) -> Self {}
        }
    };
}
done!(Archived, archived);
done!(Deleted, deleted);
done!(Merged, merged);
done!(Cleared, cleared);
done!(Removed, removed);

/// What a reset answers: `{"reset": true}` back to the configured seed, the
/// seed's report when one was given.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub(crate) enum ResetAnswer {
    Seeded(SeedReport),
    Reset { reset: bool },
}

impl From<ResetAnswer> for () {
    fn from(_: ResetAnswer) -> Self {}
}
