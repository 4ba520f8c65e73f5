//! Integration settings: which practice association types map to which XPM
//! relationship types, push options, and the XPM custom field (if any) where
//! the Sync keeps PM Hub's client id.
//!
//! Settings are a value of their own, stored apart from the connection: no
//! connection transition takes or returns them, so Connect, Reconnect, expiry
//! and Disconnect cannot change them (FAQ 1: "Integration settings remain
//! unchanged unless manually modified").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{AssociationTypeId, XpmCustomFieldUuid, XpmTenantId};
use crate::relationship_type::{RelationshipTypes, XpmRelationshipType};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationSettings {
    mappings: BTreeMap<AssociationTypeId, XpmRelationshipType>,
    push: PushOptions,
    /// Off (`None`) unless a practice chooses a field; settings stored
    /// before it existed read as off.
    #[serde(default)]
    client_id_field: Option<ClientIdField>,
}

/// The XPM client custom field in which the Sync keeps PM Hub's client id
/// (written on create and link), so the client can be found in XPM by it,
/// whatever XPM's copy is called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientIdField {
    /// The XPM organisation whose field it is: a field's UUID means nothing
    /// in another organisation, so a Sync to another one does not use it.
    pub tenant: XpmTenantId,
    pub field: XpmCustomFieldUuid,
    /// XPM's name for the field when it was chosen, for people to read.
    pub name: String,
}

/// Options that shape what a sync pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOptions {
    /// Whether tax numbers are sent to XPM. Some practices keep them out of
    /// XPM on purpose; XPM only ever shows the last three digits anyway.
    pub push_tax_numbers: bool,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            push_tax_numbers: true,
        }
    }
}

impl IntegrationSettings {
    pub fn new(
        mappings: BTreeMap<AssociationTypeId, XpmRelationshipType>,
        push: PushOptions,
    ) -> Self {
        Self {
            mappings,
            push,
            client_id_field: None,
        }
    }

    /// The XPM relationship type an association type syncs as, if mapped.
    pub fn mapping_for(&self, association_type: AssociationTypeId) -> Option<&XpmRelationshipType> {
        self.mappings.get(&association_type)
    }

    pub fn mappings(&self) -> &BTreeMap<AssociationTypeId, XpmRelationshipType> {
        &self.mappings
    }

    pub fn push_options(&self) -> PushOptions {
        self.push
    }

    /// Maps (or, with `None`, unmaps) one association type. Returns the
    /// previous mapping so the change can be logged.
    pub fn set_mapping(
        &mut self,
        association_type: AssociationTypeId,
        target: Option<XpmRelationshipType>,
    ) -> Option<XpmRelationshipType> {
        match target {
            Some(t) => self.mappings.insert(association_type, t),
            None => self.mappings.remove(&association_type),
        }
    }

    pub fn set_push_options(&mut self, push: PushOptions) {
        self.push = push;
    }

    /// The mappings to a name the target XPM does not accept (saved before
    /// the list changed, e.g. "Appointor"): kept, so a person sees them and
    /// chooses again; until then those association types do not sync.
    pub fn mappings_not_in<'a>(
        &'a self,
        types: &'a RelationshipTypes,
    ) -> impl Iterator<Item = (AssociationTypeId, &'a XpmRelationshipType)> + 'a {
        self.mappings
            .iter()
            .filter(|(_, name)| types.resolve(name).is_err())
            .map(|(id, name)| (*id, name))
    }

    /// The field where the Sync keeps PM Hub's client id, if one is chosen.
    pub fn client_id_field(&self) -> Option<&ClientIdField> {
        self.client_id_field.as_ref()
    }

    /// The field, when it belongs to `tenant` (the organisation a Sync targets).
    pub fn client_id_field_in(&self, tenant: XpmTenantId) -> Option<&ClientIdField> {
        self.client_id_field.as_ref().filter(|f| f.tenant == tenant)
    }

    /// Chooses (or, with `None`, turns off) the field. Returns the previous
    /// choice so the change can be logged.
    pub fn set_client_id_field(&mut self, field: Option<ClientIdField>) -> Option<ClientIdField> {
        std::mem::replace(&mut self.client_id_field, field)
    }
}
