//! Integration settings: which practice association types map to which XPM
//! relationship types, and push options.
//!
//! Settings are a value of their own, stored apart from the connection: no
//! connection transition takes or returns them, so Connect, Reconnect, expiry
//! and Disconnect cannot change them (FAQ 1: "Integration settings remain
//! unchanged unless manually modified").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::AssociationTypeId;
use crate::relationship_type::{RelationshipTypes, XpmRelationshipType};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationSettings {
    mappings: BTreeMap<AssociationTypeId, XpmRelationshipType>,
    push: PushOptions,
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
        Self { mappings, push }
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
}
