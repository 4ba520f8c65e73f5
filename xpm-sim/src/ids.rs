//! The ids of the control API's arguments, one type each, so that
//! `client(tenant, uuid)` cannot be called with the two swapped. Each is a
//! UUID on the wire (a plain string in JSON and in paths); the state keeps
//! bare UUIDs inside.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A text that is not a UUID, named in the error as the control API has
/// always named it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a UUID")]
pub struct NotAUuid(pub String);

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = NotAUuid;
            fn from_str(s: &str) -> Result<Self, NotAUuid> {
                Uuid::parse_str(s).map(Self).map_err(|_| NotAUuid(s.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }

        // By hand rather than `serde(transparent)`: a bad id is refused as
        // "'x' is not a UUID", in a path, a query or a body alike.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

uuid_id!(
    /// An XPM organisation (practice): the `xero-tenant-id` of API calls.
    TenantId
);
uuid_id!(
    /// A client of an organisation.
    ClientUuid
);
uuid_id!(
    /// A relationship between two clients.
    RelationshipUuid
);
uuid_id!(
    /// A custom field definition.
    CustomFieldUuid
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_travel_as_plain_uuid_strings() {
        let id: TenantId = "3f2a1b7c-5d4e-4f60-9a8b-1c2d3e4f5a60".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"3f2a1b7c-5d4e-4f60-9a8b-1c2d3e4f5a60\"");
        assert_eq!(serde_json::from_str::<TenantId>(&json).unwrap(), id);
    }

    #[test]
    fn a_bad_id_is_named_in_the_refusal() {
        let e = serde_json::from_str::<ClientUuid>("\"nope\"").unwrap_err();
        assert!(e.to_string().contains("'nope' is not a UUID"), "{e}");
    }
}
