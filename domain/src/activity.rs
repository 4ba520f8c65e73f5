//! The activity log: what happened to the connection and to every sync
//! operation. Entries are only ever appended: no port updates or deletes
//! them, so they outlive Disconnect and Reconnect (FAQ 2).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::connection::{ConnectionProblem, XpmOrganisation};
use crate::ids::{
    ActivityEntryId, AssociationId, AssociationTypeId, ClientId, PracticeId, UserId, XpmClientUuid,
    XpmCustomFieldUuid, XpmRelationshipUuid, XpmTenantId,
};
use crate::relationship_type::XpmRelationshipType;
use crate::sync::{FieldChange, GoneReason, SkipReason};
use crate::text::DisplayName;

/// Who caused an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    User(UserId),
    /// Xero told us, e.g. a refresh answered invalid_grant while checking status.
    Xero,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub id: ActivityEntryId,
    pub practice: PracticeId,
    pub at: OffsetDateTime,
    pub actor: Actor,
    /// The client a sync entry is about; `None` for connection and settings entries.
    pub client: Option<ClientId>,
    pub kind: ActivityKind,
}

/// Which XPM write an entry or failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operation {
    CreateClient,
    UpdateClient,
    LinkClient,
    AddRelationship(AssociationId),
    UpdateRelationship(AssociationId),
    /// Writing PM Hub's client id into XPM's custom field.
    WriteClientId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityKind {
    // The connection.
    Connected {
        organisation: XpmOrganisation,
    },
    Reconnected {
        organisation: XpmOrganisation,
        previous: Option<XpmOrganisation>,
        changed_organisation: bool,
    },
    AuthorisationExpired {
        problem: ConnectionProblem,
    },
    AccessRevoked {
        problem: ConnectionProblem,
    },
    Disconnected {
        organisation: XpmOrganisation,
    },
    /// Xero's login came back with an error; nothing stored changed.
    AuthorisationFailed {
        problem: ConnectionProblem,
    },
    /// An administrator named the organisation (Xero may give no name).
    OrganisationNamed {
        organisation: XpmOrganisation,
        previous_name: DisplayName,
    },

    // Settings.
    MappingChanged {
        association_type: AssociationTypeId,
        from: Option<XpmRelationshipType>,
        to: Option<XpmRelationshipType>,
    },
    PushOptionsChanged,
    /// An admin chose (`to`) or turned off (`to: None`) the XPM custom
    /// field where the Sync keeps PM Hub's client id (fields by XPM's name).
    ClientIdFieldChanged {
        from: Option<String>,
        to: Option<String>,
    },

    // Sync, one entry per operation.
    SyncRefused {
        reason: String,
    },
    ClientCreated {
        tenant: XpmTenantId,
        xpm_client: XpmClientUuid,
        /// Look-alikes already in XPM that the person chose not to link to
        /// (their create decision); empty when XPM held none.
        passed_over: Vec<XpmClientUuid>,
    },
    /// A person chose to link this client to a client already in XPM.
    ClientLinked {
        tenant: XpmTenantId,
        xpm_client: XpmClientUuid,
    },
    /// After an interrupted create, the client XPM had made was found and
    /// linked; or a client whose XPM custom field holds this client's PM Hub
    /// id was (`by_id_field`: that field's name).
    ClientRecovered {
        tenant: XpmTenantId,
        xpm_client: XpmClientUuid,
        #[serde(default)]
        by_id_field: Option<String>,
    },
    /// PM Hub's client id was written into the XPM custom field where the
    /// practice keeps it, and XPM confirmed it.
    ClientIdWritten {
        tenant: XpmTenantId,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
        field_name: String,
    },
    ClientUpdated {
        tenant: XpmTenantId,
        xpm_client: XpmClientUuid,
        fields: Vec<String>,
        /// What each written field held in XPM and now holds (tax numbers
        /// masked); empty in entries written before it was recorded.
        #[serde(default)]
        changes: Vec<FieldChange>,
    },
    /// The linked XPM client was deleted, merged or archived in XPM: the
    /// sync wrote nothing and waits for a person's choice.
    ClientGoneFromXpm {
        tenant: XpmTenantId,
        xpm_client: XpmClientUuid,
        reason: GoneReason,
    },
    /// A person forgot this client's link to an XPM client; XPM was not touched.
    ClientUnlinked {
        tenant: XpmTenantId,
        xpm_client: XpmClientUuid,
    },
    ClientUnchanged {
        tenant: XpmTenantId,
        xpm_client: XpmClientUuid,
    },
    RelationshipAdded {
        association: AssociationId,
        xpm_type: XpmRelationshipType,
        xpm_relationship: XpmRelationshipUuid,
    },
    RelationshipUpdated {
        association: AssociationId,
        xpm_relationship: XpmRelationshipUuid,
    },
    /// XPM already held this relationship with PM Hub's terms (made by a
    /// person, or by an add whose answer was lost): recorded as this
    /// association's, nothing written.
    RelationshipAdopted {
        association: AssociationId,
        xpm_type: XpmRelationshipType,
        xpm_relationship: XpmRelationshipUuid,
    },
    RelationshipUnchanged {
        association: AssociationId,
    },
    RelationshipSkipped {
        association: AssociationId,
        reason: SkipReason,
    },
    OperationFailed {
        operation: Operation,
        cause: String,
    },
    /// Not attempted because an earlier failure stopped the sync.
    OperationNotAttempted {
        operation: Operation,
    },
}

impl ActivityKind {
    /// Every kind's [`code`](Self::code), for filters.
    pub const CODES: [&'static str; 26] = [
        "connected",
        "reconnected",
        "authorisation_expired",
        "access_revoked",
        "disconnected",
        "authorisation_failed",
        "organisation_named",
        "mapping_changed",
        "push_options_changed",
        "client_id_field_changed",
        "sync_refused",
        "client_created",
        "client_linked",
        "client_recovered",
        "client_id_written",
        "client_updated",
        "client_unchanged",
        "client_gone_from_xpm",
        "client_unlinked",
        "relationship_added",
        "relationship_updated",
        "relationship_adopted",
        "relationship_unchanged",
        "relationship_skipped",
        "operation_failed",
        "operation_not_attempted",
    ];

    /// A short, stable name for filters and exports.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Connected { .. } => "connected",
            Self::Reconnected { .. } => "reconnected",
            Self::AuthorisationExpired { .. } => "authorisation_expired",
            Self::AccessRevoked { .. } => "access_revoked",
            Self::Disconnected { .. } => "disconnected",
            Self::AuthorisationFailed { .. } => "authorisation_failed",
            Self::OrganisationNamed { .. } => "organisation_named",
            Self::MappingChanged { .. } => "mapping_changed",
            Self::PushOptionsChanged => "push_options_changed",
            Self::ClientIdFieldChanged { .. } => "client_id_field_changed",
            Self::SyncRefused { .. } => "sync_refused",
            Self::ClientCreated { .. } => "client_created",
            Self::ClientLinked { .. } => "client_linked",
            Self::ClientRecovered { .. } => "client_recovered",
            Self::ClientIdWritten { .. } => "client_id_written",
            Self::ClientUpdated { .. } => "client_updated",
            Self::ClientUnchanged { .. } => "client_unchanged",
            Self::ClientGoneFromXpm { .. } => "client_gone_from_xpm",
            Self::ClientUnlinked { .. } => "client_unlinked",
            Self::RelationshipAdded { .. } => "relationship_added",
            Self::RelationshipUpdated { .. } => "relationship_updated",
            Self::RelationshipAdopted { .. } => "relationship_adopted",
            Self::RelationshipUnchanged { .. } => "relationship_unchanged",
            Self::RelationshipSkipped { .. } => "relationship_skipped",
            Self::OperationFailed { .. } => "operation_failed",
            Self::OperationNotAttempted { .. } => "operation_not_attempted",
        }
    }

    /// Whether this entry records a write to XPM that happened.
    pub const fn is_xpm_write(&self) -> bool {
        matches!(
            self,
            Self::ClientCreated { .. }
                | Self::ClientUpdated { .. }
                | Self::ClientIdWritten { .. }
                | Self::RelationshipAdded { .. }
                | Self::RelationshipUpdated { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::ConnectionProblem;

    #[test]
    fn codes_are_unique_and_listed() {
        let mut codes = ActivityKind::CODES.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ActivityKind::CODES.len());
        let sample = ActivityKind::AccessRevoked {
            problem: ConnectionProblem::new("x"),
        };
        assert!(ActivityKind::CODES.contains(&sample.code()));
    }
}
