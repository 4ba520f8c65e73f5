//! What PM Hub's records must be, built only from PM Hub's own edits (so
//! anything read from XPM that leaked into the stores shows up as a
//! difference), and what has been seen of XPM and of the activity log so far.

use std::collections::{BTreeMap, BTreeSet};

use domain::activity::ActivityEntry;
use domain::association::{Association, AssociationType};
use domain::client::{
    Address, BusinessStructure, Client, ClientDetails, ClientKind, Gender, IndividualDetails,
};
use domain::ids::AssociationTypeId;
use domain::relationship_type::XpmRelationshipType;
use domain::text::{
    BusinessNumber, ClientCode, ClientName, EmailAddress, PhoneNumber, ShortText, StreetAddress,
};
use uuid::Uuid;

use crate::ops::{PmHubField, Shape};

#[derive(Debug, Default)]
pub struct Model {
    /// Every client ever created, in creation order, as PM Hub's edits left it.
    pub clients: Vec<Client>,
    pub associations: Vec<Association>,
    pub types: Vec<AssociationType>,
    pub mappings: BTreeMap<AssociationTypeId, XpmRelationshipType>,
    pub edits: u32,
    /// The clients PM Hub sent by its own ids: slot -> index in `clients`.
    pub pmhub_slots: BTreeMap<u8, usize>,
    /// Every XPM client and relationship seen live, per organisation.
    pub xpm_clients_seen: BTreeSet<(Uuid, Uuid)>,
    pub xpm_relationships_seen: BTreeSet<(Uuid, Uuid)>,
    /// XPM clients a person archived, deleted or merged away, per organisation.
    pub gone_in_xpm: BTreeSet<(Uuid, Uuid)>,
    /// XPM copies a person unlinked (and has not linked again): no longer
    /// PM Hub's copy, so a second one made by a person's "create" is not a duplicate.
    pub unlinked_in_pm_hub: BTreeSet<(Uuid, Uuid)>,
    /// The activity log as last read, oldest first.
    pub activity: Vec<ActivityEntry>,
    /// The last journal entry already checked.
    pub journal_seen: u64,
}

/// The client code that marks PM Hub client `n` wherever its payload goes:
/// how XPM's copies are told apart without trusting the app's records.
pub fn code_of(n: usize) -> String {
    format!("PMH-{n}")
}

fn text(s: &str) -> Option<ShortText> {
    ShortText::new(s).ok()
}

/// Names with XML specials and non-Latin characters, made unique by `n`.
pub fn details(shape: Shape, n: usize) -> ClientDetails {
    let (name, kind, structure) = match shape {
        Shape::Individual => (
            format!("Zoë O'Brien-Ōtake {n}"),
            ClientKind::Individual(IndividualDetails {
                first_name: text("Zoë"),
                last_name: text(&format!("O'Brien-Ōtake {n}")),
                gender: Some(Gender::Female),
                date_of_birth: Some(time::macros::date!(1984 - 02 - 29)),
                ..IndividualDetails::default()
            }),
            Some(BusinessStructure::Individual),
        ),
        Shape::Company => (
            format!("Acme <Holdings> & \"Sons\" {n}"),
            ClientKind::Organisation,
            Some(BusinessStructure::Company),
        ),
        Shape::Trust => (
            format!("Smith Family Trust {n}"),
            ClientKind::Organisation,
            Some(BusinessStructure::DiscretionaryTrust),
        ),
        Shape::Partnership => (
            format!("Brown & Green 合伙 {n}"),
            ClientKind::Organisation,
            Some(BusinessStructure::Partnership),
        ),
        Shape::SoleTrader => (
            format!("Wei's Noodle Bar 🍜 {n}"),
            ClientKind::Organisation,
            Some(BusinessStructure::SoleTrader),
        ),
        Shape::Unstructured => (
            format!("Prospect Pty Ltd {n}"),
            ClientKind::Organisation,
            None,
        ),
    };
    let mut d = ClientDetails::named(ClientName::new(name).expect("a valid name"), kind);
    d.business_structure = structure;
    d.client_code = Some(ClientCode::new(code_of(n)).expect("a valid code"));
    d.email = EmailAddress::new(format!("client{n}@pmhub.test")).ok();
    d.business_number = BusinessNumber::new(business_number_of(n)).ok();
    d
}

/// PM Hub client `n`'s business number, spaced as people write it.
pub fn business_number_of(n: usize) -> String {
    format!("51 824 {:03} {:03}", n / 1000 % 1000, n % 1000)
}

/// `details` with one field changed by PM Hub edit number `edit`.
pub fn edited(details: &ClientDetails, field: PmHubField, edit: u32) -> ClientDetails {
    let mut d = details.clone();
    match field {
        PmHubField::Name => {
            let base = d
                .name
                .as_str()
                .split(" · ")
                .next()
                .unwrap_or_default()
                .to_owned();
            d.name = ClientName::new(format!("{base} · renamed {edit}")).expect("a valid name");
        }
        PmHubField::Email => d.email = EmailAddress::new(format!("edit{edit}@pmhub.test")).ok(),
        PmHubField::Phone => d.phone = PhoneNumber::new(format!("+61 2 9000 {edit:04}")).ok(),
        PmHubField::ClearEmail => d.email = None,
        PmHubField::ClearPhone => d.phone = None,
        PmHubField::ClearAddress => d.physical_address = Address::default(),
        PmHubField::SwitchKind => match d.kind {
            ClientKind::Individual(_) => {
                d.kind = ClientKind::Organisation;
                if d.business_structure == Some(BusinessStructure::Individual) {
                    d.business_structure = Some(BusinessStructure::SoleTrader);
                }
            }
            ClientKind::Organisation => {
                d.kind = ClientKind::Individual(IndividualDetails {
                    first_name: text("Sam"),
                    last_name: text(&format!("Switched {edit}")),
                    ..IndividualDetails::default()
                });
            }
        },
        PmHubField::Address => {
            d.physical_address = Address {
                street: StreetAddress::new(format!("{edit} George St\nLevel 2")).ok(),
                city: text("Sydney"),
                region: text("NSW"),
                post_code: None,
                country: text("Australia"),
            }
        }
    }
    d
}
