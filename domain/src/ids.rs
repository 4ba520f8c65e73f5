//! Typed identifiers. Every id in the domain is a newtype so that a client id
//! can never be passed where a practice id is expected, and an XPM UUID can
//! never be confused with one of PM Hub's own ids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An id string that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}: expected a UUID")]
pub struct InvalidId {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // Only the hyphenated form (what JSON Schema's `format: uuid`
                // names), so the API accepts exactly what its document says.
                Some(s)
                    .filter(|s| s.len() == 36)
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .map(Self)
                    .ok_or_else(|| InvalidId { kind: $kind, value: s.to_owned() })
            }
        }
    };
}

uuid_id!(
    /// A PM Hub practice (an accounting firm): the tenant of every PM Hub record.
    PracticeId, "practice id"
);
uuid_id!(
    /// A person who logs in to PM Hub.
    UserId, "user id"
);
uuid_id!(
    /// A client in PM Hub.
    ClientId, "client id"
);
uuid_id!(
    /// A client-to-client association in PM Hub.
    AssociationId, "association id"
);
uuid_id!(
    /// One of a practice's own association types.
    AssociationTypeId, "association type id"
);
uuid_id!(
    /// One entry of the activity log.
    ActivityEntryId, "activity entry id"
);
uuid_id!(
    /// A client's UUID in XPM.
    XpmClientUuid, "XPM client UUID"
);
uuid_id!(
    /// A relationship's UUID in XPM.
    XpmRelationshipUuid, "XPM relationship UUID"
);
uuid_id!(
    /// An XPM organisation as Xero identifies it (`tenantId` of /connections,
    /// sent as the `xero-tenant-id` header).
    XpmTenantId, "XPM tenant id"
);
uuid_id!(
    /// A custom field's UUID in XPM (one organisation's definition).
    XpmCustomFieldUuid, "XPM custom field UUID"
);
uuid_id!(
    /// One connection (grant) in Xero's /connections list; needed to remove it.
    XeroConnectionId, "Xero connection id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_a_non_uuid_is_a_typed_error_naming_the_kind() {
        let err = "abc".parse::<ClientId>().unwrap_err();
        assert_eq!(err.kind, "client id");
        assert!(err.to_string().contains("`abc`"));
    }

    #[test]
    fn ids_round_trip_through_display() {
        let id = XpmClientUuid::from_uuid(Uuid::from_u128(7));
        assert_eq!(id.to_string().parse::<XpmClientUuid>(), Ok(id));
    }
}
