//! Sample records for the checks.

use domain::activity::{ActivityEntry, ActivityKind, Actor};
use domain::association::{Association, AssociationTerms, AssociationType, Percentage, ShareCount};
use domain::client::{
    Address, BusinessStructure, Client, ClientDetails, ClientKind, ClientStatus, CountryCode,
    Gender, IndividualDetails,
};
use domain::ids::*;
use domain::practice::{Practice, Role, User};
use domain::text::*;
use time::OffsetDateTime;
use time::macros::{date, datetime};
use uuid::Uuid;

/// Ids for one practice's records, distinct per practice number.
#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    pub n: u128,
}

impl Fixture {
    pub fn new(n: u128) -> Self {
        Self { n }
    }

    fn id(&self, kind: u128, i: u128) -> Uuid {
        Uuid::from_u128((self.n << 64) | (kind << 32) | i)
    }

    pub fn practice_id(&self) -> PracticeId {
        PracticeId::from_uuid(self.id(1, 0))
    }

    pub fn practice(&self) -> Practice {
        Practice {
            id: self.practice_id(),
            name: DisplayName::new(format!("Practice {}", self.n)).expect("valid"),
        }
    }

    pub fn user(&self, i: u128, role: Role) -> User {
        User {
            id: UserId::from_uuid(self.id(2, i)),
            practice: self.practice_id(),
            name: DisplayName::new(format!("User {i}")).expect("valid"),
            email: EmailAddress::new(format!("user{i}@practice{}.example", self.n)).expect("valid"),
            role,
        }
    }

    pub fn client_id(&self, i: u128) -> ClientId {
        ClientId::from_uuid(self.id(3, i))
    }

    pub fn company(&self, i: u128, name: &str) -> Client {
        let mut details = ClientDetails::named(
            ClientName::new(name).expect("valid"),
            ClientKind::Organisation,
        );
        details.business_structure = Some(BusinessStructure::Company);
        Client {
            id: self.client_id(i),
            practice: self.practice_id(),
            status: ClientStatus::Active,
            details,
        }
    }

    /// An individual with every field PM Hub can push, and hostile text.
    pub fn full_individual(&self, i: u128) -> Client {
        let text = |s: &str| Some(ShortText::new(s).expect("valid"));
        let person = IndividualDetails {
            title: text("Dr"),
            first_name: text("Zoë"),
            middle_name: text("\"Q\""),
            last_name: text("O'Brien & <Sons>"),
            other_name: text("زوی"),
            gender: Some(Gender::Female),
            date_of_birth: Some(date!(1970 - 02 - 28)),
            date_of_death: None,
            place_of_birth_city: text("Wellington"),
            place_of_birth_country: Some(CountryCode::new("NZ").expect("valid")),
        };
        let address = Address {
            street: Some(StreetAddress::new("Level 2\n1 Queen St").expect("valid")),
            city: text("Auckland"),
            region: text("Auckland"),
            post_code: Some(PostCode::new("1010").expect("valid")),
            country: text("New Zealand"),
        };
        let details = ClientDetails {
            name: ClientName::new("Dr Zoë O'Brien & <Sons> 🦀").expect("valid"),
            kind: ClientKind::Individual(person),
            email: Some(EmailAddress::new("zoe@example.co.nz").expect("valid")),
            phone: Some(PhoneNumber::new("+64 9 555 0100").expect("valid")),
            fax: Some(PhoneNumber::new("+64 9 555 0101").expect("valid")),
            website: Some(WebSite::new("https://zoe.example.co.nz").expect("valid")),
            physical_address: address.clone(),
            postal_address: address,
            business_structure: Some(BusinessStructure::Individual),
            tax_number: Some(TaxNumber::new("123-456-782").expect("valid")),
            company_number: None,
            business_number: Some(BusinessNumber::new("9429041234567").expect("valid")),
            branch_number: Some(BranchNumber::new("001").expect("valid")),
            client_code: Some(ClientCode::new("OBR-01").expect("valid")),
            gst_registered: Some(true),
            is_prospect: false,
        };
        Client {
            id: self.client_id(i),
            practice: self.practice_id(),
            status: ClientStatus::Deactivated,
            details: details.validate().expect("valid"),
        }
    }

    pub fn association_type(&self, i: u128, name: &str) -> AssociationType {
        AssociationType {
            id: AssociationTypeId::from_uuid(self.id(4, i)),
            practice: self.practice_id(),
            name: AssociationTypeName::new(name).expect("valid"),
        }
    }

    pub fn association(
        &self,
        i: u128,
        client: ClientId,
        related: ClientId,
        kind: AssociationTypeId,
    ) -> Association {
        let terms = AssociationTerms {
            shares: Some(ShareCount::new(250).expect("valid")),
            percentage: Some(Percentage::parse("33.33").expect("valid")),
            start_date: Some(date!(2020 - 07 - 01)),
            end_date: None,
        };
        Association::new(
            AssociationId::from_uuid(self.id(5, i)),
            self.practice_id(),
            client,
            related,
            kind,
            terms,
        )
        .expect("valid")
    }

    pub fn tenant(&self, i: u128) -> XpmTenantId {
        XpmTenantId::from_uuid(self.id(6, i))
    }

    pub fn xpm_client(&self, i: u128) -> XpmClientUuid {
        XpmClientUuid::from_uuid(self.id(7, i))
    }

    pub fn entry(
        &self,
        i: u128,
        client: Option<ClientId>,
        at: OffsetDateTime,
        kind: ActivityKind,
    ) -> ActivityEntry {
        ActivityEntry {
            id: ActivityEntryId::from_uuid(self.id(8, i)),
            practice: self.practice_id(),
            at,
            actor: Actor::User(self.user(1, Role::Staff).id),
            client,
            kind,
        }
    }
}

pub const T0: OffsetDateTime = datetime!(2026-11-27 09:00:00.123456 UTC);
