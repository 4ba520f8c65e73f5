//! In-memory fakes of the domain's ports, for the domain's own tests only.
//! (Tests of the adapters and the app use xpm-sim and the real stores.)
#![allow(dead_code)]

pub mod fakes;
pub mod world;

use domain::relationship_type::{RelationshipTypes, RelationshipTypesFile};

/// The list of XPM relationship types the app ships (app/relationship-types.toml).
pub fn shipped_relationship_types() -> RelationshipTypes {
    let file: RelationshipTypesFile =
        toml::from_str(include_str!("../../../app/relationship-types.toml"))
            .expect("the shipped relationship types parse");
    file.try_into()
        .expect("the shipped relationship types are valid")
}
