//! A PM Hub client: what PM Hub holds and can push to an XPM client.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::ids::{ClientId, PracticeId};
use crate::text::{
    BranchNumber, BusinessNumber, ClientCode, ClientName, CompanyNumber, EmailAddress, PhoneNumber,
    PostCode, ShortText, StreetAddress, TaxNumber, WebSite,
};

/// Whether a client can still be synced. Deactivating or deleting a client in
/// PM Hub never removes or changes anything in XPM (FAQ 6): these statuses
/// only stop further pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientStatus {
    Active,
    Deactivated,
    Deleted,
}

/// XPM's business structures. XPM accepts relationships on a client only
/// once its business structure is set. The list varies by region
/// (uncertain, see xpm-api.md); it is kept here, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BusinessStructure {
    Individual,
    Company,
    Partnership,
    SoleTrader,
    Trust,
    DiscretionaryTrust,
    UnitTrust,
    HybridTrust,
    BareTrust,
    FamilyTrust,
    TestamentaryTrust,
    DeceasedEstate,
    SelfManagedSuperannuationFund,
    IncorporatedAssociationClub,
}

impl BusinessStructure {
    pub const ALL: [Self; 14] = [
        Self::Individual,
        Self::Company,
        Self::Partnership,
        Self::SoleTrader,
        Self::Trust,
        Self::DiscretionaryTrust,
        Self::UnitTrust,
        Self::HybridTrust,
        Self::BareTrust,
        Self::FamilyTrust,
        Self::TestamentaryTrust,
        Self::DeceasedEstate,
        Self::SelfManagedSuperannuationFund,
        Self::IncorporatedAssociationClub,
    ];

    /// The text XPM uses for this structure.
    pub const fn xpm_name(self) -> &'static str {
        match self {
            Self::Individual => "Individual",
            Self::Company => "Company",
            Self::Partnership => "Partnership",
            Self::SoleTrader => "Sole Trader",
            Self::Trust => "Trust",
            Self::DiscretionaryTrust => "Discretionary Trust",
            Self::UnitTrust => "Unit Trust",
            Self::HybridTrust => "Hybrid Trust",
            Self::BareTrust => "Bare Trust",
            Self::FamilyTrust => "Family Trust",
            Self::TestamentaryTrust => "Testamentary Trust",
            Self::DeceasedEstate => "Deceased Estate",
            Self::SelfManagedSuperannuationFund => "Self Managed Superannuation Fund",
            Self::IncorporatedAssociationClub => "Incorporated Association/Club",
        }
    }

    /// Reads XPM's text for a structure (case-insensitive).
    pub fn from_xpm_name(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.xpm_name().eq_ignore_ascii_case(name))
    }
}

/// XPM's gender values for individuals (uncertain: XPM's forms offer Male and Female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Gender {
    Male,
    Female,
}

/// A two-letter ISO 3166-1 country code (XPM's PlaceOfBirthCountryCode).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

impl CountryCode {
    pub fn new(raw: impl AsRef<str>) -> Result<Self, crate::text::TextError> {
        let code = raw.as_ref().trim().to_ascii_uppercase();
        if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(crate::text::TextError::Format {
                field: "PlaceOfBirthCountryCode",
                reason: "expected a two-letter country code such as AU or NZ",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CountryCode {
    type Error = crate::text::TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> Self {
        value.0
    }
}

/// Details only an individual has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IndividualDetails {
    pub title: Option<ShortText>,
    pub first_name: Option<ShortText>,
    pub middle_name: Option<ShortText>,
    pub last_name: Option<ShortText>,
    pub other_name: Option<ShortText>,
    pub gender: Option<Gender>,
    pub date_of_birth: Option<Date>,
    pub date_of_death: Option<Date>,
    pub place_of_birth_city: Option<ShortText>,
    pub place_of_birth_country: Option<CountryCode>,
}

/// A client is a person or an organisation; only a person has personal details.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientKind {
    Individual(IndividualDetails),
    Organisation,
}

/// A physical or postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    pub street: Option<StreetAddress>,
    pub city: Option<ShortText>,
    pub region: Option<ShortText>,
    pub post_code: Option<PostCode>,
    pub country: Option<ShortText>,
}

/// Everything PM Hub can push to an XPM client. Building one is the only way
/// in, and each field is already valid for XPM.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientDetails {
    pub name: ClientName,
    pub kind: ClientKind,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    pub fax: Option<PhoneNumber>,
    pub website: Option<WebSite>,
    pub physical_address: Address,
    pub postal_address: Address,
    pub business_structure: Option<BusinessStructure>,
    pub tax_number: Option<TaxNumber>,
    pub company_number: Option<CompanyNumber>,
    pub business_number: Option<BusinessNumber>,
    pub branch_number: Option<BranchNumber>,
    pub client_code: Option<ClientCode>,
    pub gst_registered: Option<bool>,
    pub is_prospect: bool,
}

/// Why a client's details do not hang together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("date of death {death} is before date of birth {birth}")]
    DeathBeforeBirth { birth: Date, death: Date },
    #[error("a branch number needs a business number")]
    BranchWithoutBusinessNumber,
    #[error("an organisation cannot have the business structure Individual")]
    OrganisationMarkedIndividual,
}

impl ClientDetails {
    /// A client with just a name; the other fields default to empty.
    pub fn named(name: ClientName, kind: ClientKind) -> Self {
        Self {
            name,
            kind,
            email: None,
            phone: None,
            fax: None,
            website: None,
            physical_address: Address::default(),
            postal_address: Address::default(),
            business_structure: None,
            tax_number: None,
            company_number: None,
            business_number: None,
            branch_number: None,
            client_code: None,
            gst_registered: None,
            is_prospect: false,
        }
    }

    /// Checks the rules that tie fields together.
    pub fn validate(self) -> Result<Self, ClientError> {
        if let ClientKind::Individual(person) = &self.kind
            && let (Some(birth), Some(death)) = (person.date_of_birth, person.date_of_death)
            && death < birth
        {
            return Err(ClientError::DeathBeforeBirth { birth, death });
        }
        if self.branch_number.is_some() && self.business_number.is_none() {
            return Err(ClientError::BranchWithoutBusinessNumber);
        }
        if matches!(self.kind, ClientKind::Organisation)
            && self.business_structure == Some(BusinessStructure::Individual)
        {
            return Err(ClientError::OrganisationMarkedIndividual);
        }
        Ok(self)
    }
}

/// A client as PM Hub stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    pub practice: PracticeId,
    pub status: ClientStatus,
    pub details: ClientDetails,
}

impl Client {
    pub fn is_active(&self) -> bool {
        self.status == ClientStatus::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn person() -> ClientDetails {
        ClientDetails::named(
            ClientName::new("Anna Smith").unwrap(),
            ClientKind::Individual(IndividualDetails::default()),
        )
    }

    #[test]
    fn business_structures_round_trip_through_xpm_names() {
        for s in BusinessStructure::ALL {
            assert_eq!(BusinessStructure::from_xpm_name(s.xpm_name()), Some(s));
        }
        assert_eq!(
            BusinessStructure::from_xpm_name("sole trader"),
            Some(BusinessStructure::SoleTrader)
        );
        assert_eq!(BusinessStructure::from_xpm_name("Cooperative"), None);
    }

    #[test]
    fn a_death_before_birth_is_refused() {
        let mut anna = person();
        anna.kind = ClientKind::Individual(IndividualDetails {
            date_of_birth: Some(date!(1980 - 01 - 01)),
            date_of_death: Some(date!(1970 - 01 - 01)),
            ..IndividualDetails::default()
        });
        assert!(matches!(
            anna.validate(),
            Err(ClientError::DeathBeforeBirth { .. })
        ));
    }

    #[test]
    fn a_branch_number_needs_a_business_number() {
        let mut anna = person();
        anna.branch_number = Some(BranchNumber::new("001").unwrap());
        assert_eq!(
            anna.validate(),
            Err(ClientError::BranchWithoutBusinessNumber)
        );
    }

    #[test]
    fn an_organisation_cannot_be_structured_as_an_individual() {
        let mut acme =
            ClientDetails::named(ClientName::new("Acme").unwrap(), ClientKind::Organisation);
        acme.business_structure = Some(BusinessStructure::Individual);
        assert_eq!(
            acme.validate(),
            Err(ClientError::OrganisationMarkedIndividual)
        );
    }

    #[test]
    fn country_codes_are_two_letters() {
        assert_eq!(CountryCode::new("nz").unwrap().as_str(), "NZ");
        assert!(CountryCode::new("NZL").is_err());
    }
}
