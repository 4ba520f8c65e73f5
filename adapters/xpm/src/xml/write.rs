//! Request bodies: `<Client>` for add and update, `<Relationship>` for add and update.
//!
//! Only fields PM Hub holds are sent. A field PM Hub leaves empty is left
//! out, so XPM keeps what it has (choice: XPM's documentation does not say
//! whether an empty element clears a field, and a tax number withheld by the
//! push options must never be cleared).

use domain::client::{Address, ClientKind, Gender, IndividualDetails};
use domain::ids::{XpmClientUuid, XpmRelationshipUuid};
use domain::relationship_type::XpmRelationshipType;
use domain::sync::{ClientPayload, RelationshipTerms};
use serde::Serialize;
use time::Date;
use time::macros::format_description;

use super::WriteError;

/// XPM's date form for request fields: `yyyy-MM-dd`.
pub(crate) fn xpm_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_else(|_| date.to_string())
}

/// XPM's boolean form: `Yes` / `No`.
pub(crate) const fn yes_no(value: bool) -> &'static str {
    if value { "Yes" } else { "No" }
}

fn gender(g: Gender) -> &'static str {
    match g {
        Gender::Male => "Male",
        Gender::Female => "Female",
    }
}

#[derive(Debug, Serialize)]
#[serde(rename = "Client")]
struct ClientXml<'a> {
    #[serde(rename = "UUID", skip_serializing_if = "Option::is_none")]
    uuid: Option<String>,
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "Title", skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(rename = "Gender", skip_serializing_if = "Option::is_none")]
    gender: Option<&'static str>,
    #[serde(rename = "FirstName", skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(rename = "MiddleName", skip_serializing_if = "Option::is_none")]
    middle_name: Option<&'a str>,
    #[serde(rename = "LastName", skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    #[serde(rename = "OtherName", skip_serializing_if = "Option::is_none")]
    other_name: Option<&'a str>,
    #[serde(rename = "Email", skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(rename = "DateOfBirth", skip_serializing_if = "Option::is_none")]
    date_of_birth: Option<String>,
    #[serde(rename = "DateOfDeath", skip_serializing_if = "Option::is_none")]
    date_of_death: Option<String>,
    #[serde(rename = "PlaceOfBirthCity", skip_serializing_if = "Option::is_none")]
    place_of_birth_city: Option<&'a str>,
    #[serde(
        rename = "PlaceOfBirthCountryCode",
        skip_serializing_if = "Option::is_none"
    )]
    place_of_birth_country_code: Option<&'a str>,
    #[serde(rename = "Address", skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
    #[serde(rename = "City", skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    #[serde(rename = "Region", skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(rename = "PostCode", skip_serializing_if = "Option::is_none")]
    post_code: Option<&'a str>,
    #[serde(rename = "Country", skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    #[serde(rename = "PostalAddress", skip_serializing_if = "Option::is_none")]
    postal_address: Option<&'a str>,
    #[serde(rename = "PostalCity", skip_serializing_if = "Option::is_none")]
    postal_city: Option<&'a str>,
    #[serde(rename = "PostalRegion", skip_serializing_if = "Option::is_none")]
    postal_region: Option<&'a str>,
    #[serde(rename = "PostalPostCode", skip_serializing_if = "Option::is_none")]
    postal_post_code: Option<&'a str>,
    #[serde(rename = "PostalCountry", skip_serializing_if = "Option::is_none")]
    postal_country: Option<&'a str>,
    #[serde(rename = "Phone", skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    #[serde(rename = "Fax", skip_serializing_if = "Option::is_none")]
    fax: Option<&'a str>,
    #[serde(rename = "WebSite", skip_serializing_if = "Option::is_none")]
    website: Option<&'a str>,
    #[serde(rename = "IsProspect")]
    is_prospect: &'static str,
    #[serde(rename = "TaxNumber", skip_serializing_if = "Option::is_none")]
    tax_number: Option<&'a str>,
    #[serde(rename = "CompanyNumber", skip_serializing_if = "Option::is_none")]
    company_number: Option<&'a str>,
    #[serde(rename = "BusinessNumber", skip_serializing_if = "Option::is_none")]
    business_number: Option<&'a str>,
    #[serde(rename = "BusinessStructure", skip_serializing_if = "Option::is_none")]
    business_structure: Option<&'static str>,
    #[serde(rename = "GSTRegistered", skip_serializing_if = "Option::is_none")]
    gst_registered: Option<&'static str>,
    #[serde(rename = "BranchNumber", skip_serializing_if = "Option::is_none")]
    branch_number: Option<&'a str>,
    #[serde(rename = "ClientCode", skip_serializing_if = "Option::is_none")]
    client_code: Option<&'a str>,
}

fn text<T: AsRef<str>>(value: &Option<T>) -> Option<&str> {
    value.as_ref().map(AsRef::as_ref)
}

impl<'a> ClientXml<'a> {
    fn new(uuid: Option<XpmClientUuid>, payload: &'a ClientPayload) -> Self {
        let d = payload.details();
        static NOBODY: IndividualDetails = IndividualDetails {
            title: None,
            first_name: None,
            middle_name: None,
            last_name: None,
            other_name: None,
            gender: None,
            date_of_birth: None,
            date_of_death: None,
            place_of_birth_city: None,
            place_of_birth_country: None,
        };
        let person = match &d.kind {
            ClientKind::Individual(p) => p,
            ClientKind::Organisation => &NOBODY,
        };
        let Address {
            street,
            city,
            region,
            post_code,
            country,
        } = &d.physical_address;
        let postal = &d.postal_address;
        Self {
            uuid: uuid.map(|u| u.to_string()),
            name: d.name.as_str(),
            title: text(&person.title),
            gender: person.gender.map(gender),
            first_name: text(&person.first_name),
            middle_name: text(&person.middle_name),
            last_name: text(&person.last_name),
            other_name: text(&person.other_name),
            email: text(&d.email),
            date_of_birth: person.date_of_birth.map(xpm_date),
            date_of_death: person.date_of_death.map(xpm_date),
            place_of_birth_city: text(&person.place_of_birth_city),
            place_of_birth_country_code: person.place_of_birth_country.as_ref().map(|c| c.as_str()),
            address: text(street),
            city: text(city),
            region: text(region),
            post_code: text(post_code),
            country: text(country),
            postal_address: text(&postal.street),
            postal_city: text(&postal.city),
            postal_region: text(&postal.region),
            postal_post_code: text(&postal.post_code),
            postal_country: text(&postal.country),
            phone: text(&d.phone),
            fax: text(&d.fax),
            website: text(&d.website),
            is_prospect: yes_no(d.is_prospect),
            tax_number: d.tax_number.as_ref().map(|t| t.as_str()),
            company_number: text(&d.company_number),
            business_number: text(&d.business_number),
            business_structure: d.business_structure.map(|s| s.xpm_name()),
            gst_registered: d.gst_registered.map(yes_no),
            branch_number: text(&d.branch_number),
            client_code: text(&d.client_code),
        }
    }

    fn check(&self) -> Result<(), WriteError> {
        let fields = [
            ("Name", Some(self.name)),
            ("Title", self.title),
            ("FirstName", self.first_name),
            ("MiddleName", self.middle_name),
            ("LastName", self.last_name),
            ("OtherName", self.other_name),
            ("Email", self.email),
            ("PlaceOfBirthCity", self.place_of_birth_city),
            ("Address", self.address),
            ("City", self.city),
            ("Region", self.region),
            ("PostCode", self.post_code),
            ("Country", self.country),
            ("PostalAddress", self.postal_address),
            ("PostalCity", self.postal_city),
            ("PostalRegion", self.postal_region),
            ("PostalPostCode", self.postal_post_code),
            ("PostalCountry", self.postal_country),
            ("Phone", self.phone),
            ("Fax", self.fax),
            ("WebSite", self.website),
            ("CompanyNumber", self.company_number),
            ("BusinessNumber", self.business_number),
            ("BranchNumber", self.branch_number),
            ("ClientCode", self.client_code),
        ];
        for (field, value) in fields {
            if let Some(value) = value {
                check_chars(field, value)?;
            }
        }
        Ok(())
    }
}

/// Refuses characters XML 1.0 cannot carry, rather than sending a body XPM would reject as malformed.
fn check_chars(field: &'static str, value: &str) -> Result<(), WriteError> {
    let allowed = |c: char| matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}');
    match value.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(WriteError::UnrepresentableCharacter {
            field,
            code: u32::from(c),
        }),
        None => Ok(()),
    }
}

/// Serialises, then writes carriage returns as character references: a
/// parser turns a raw CR (or CR LF) into LF, so a street address typed on
/// Windows would otherwise not round-trip.
fn serialise<T: Serialize>(value: &T) -> Result<String, WriteError> {
    let xml = quick_xml::se::to_string(value).map_err(|e| WriteError::Serialise(e.to_string()))?;
    Ok(xml.replace('\r', "&#13;"))
}

/// The body of `POST /client.api/add`.
pub(crate) fn client_add(payload: &ClientPayload) -> Result<String, WriteError> {
    let xml = ClientXml::new(None, payload);
    xml.check()?;
    serialise(&xml)
}

/// The body of `PUT /client.api/update`.
pub(crate) fn client_update(
    xpm_client: XpmClientUuid,
    payload: &ClientPayload,
) -> Result<String, WriteError> {
    let xml = ClientXml::new(Some(xpm_client), payload);
    xml.check()?;
    serialise(&xml)
}

#[derive(Debug, Serialize)]
#[serde(rename = "Relationship")]
struct RelationshipXml {
    #[serde(rename = "UUID", skip_serializing_if = "Option::is_none")]
    uuid: Option<String>,
    #[serde(rename = "ClientUUID", skip_serializing_if = "Option::is_none")]
    client_uuid: Option<String>,
    #[serde(rename = "RelatedClientUUID", skip_serializing_if = "Option::is_none")]
    related_client_uuid: Option<String>,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(rename = "NumberOfShares", skip_serializing_if = "Option::is_none")]
    number_of_shares: Option<u32>,
    #[serde(rename = "Percentage", skip_serializing_if = "Option::is_none")]
    percentage: Option<String>,
    #[serde(rename = "StartDate", skip_serializing_if = "Option::is_none")]
    start_date: Option<String>,
}

fn terms_fields(terms: &RelationshipTerms) -> (Option<u32>, Option<String>, Option<String>) {
    (
        terms.shares.map(|s| s.get()),
        terms.percentage.map(|p| p.to_string()),
        terms.start_date.map(xpm_date),
    )
}

/// The body of `POST /client.api/addrelationship`.
pub(crate) fn relationship_add(
    client: XpmClientUuid,
    related: XpmClientUuid,
    xpm_type: XpmRelationshipType,
    terms: &RelationshipTerms,
) -> Result<String, WriteError> {
    let (number_of_shares, percentage, start_date) = terms_fields(terms);
    serialise(&RelationshipXml {
        uuid: None,
        client_uuid: Some(client.to_string()),
        related_client_uuid: Some(related.to_string()),
        kind: Some(xpm_type.xpm_name()),
        number_of_shares,
        percentage,
        start_date,
    })
}

/// The body of `POST /client.api/updaterelationship` (the type and the two clients cannot change).
pub(crate) fn relationship_update(
    relationship: XpmRelationshipUuid,
    terms: &RelationshipTerms,
) -> Result<String, WriteError> {
    let (number_of_shares, percentage, start_date) = terms_fields(terms);
    serialise(&RelationshipXml {
        uuid: Some(relationship.to_string()),
        client_uuid: None,
        related_client_uuid: None,
        kind: None,
        number_of_shares,
        percentage,
        start_date,
    })
}
