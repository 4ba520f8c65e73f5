//! Request bodies: `<Client>` for add and update, `<Relationship>` for add
//! and update, `<CustomFields>` for a client's custom field update.
//!
//! A `<Client>` body is made of the domain's owned fields
//! ([`OwnedField`], XPM's element names, PM Hub's text from
//! [`ClientPayload::value`]); no other client field is ever written, so
//! XPM-only fields, staff and custom fields stay as XPM has them.
//!
//! - add: Name first, then every given owned field PM Hub holds a value for;
//!   empty ones are left out.
//! - update: `<UUID>`, then exactly the given fields; a field PM Hub holds
//!   no value for is sent as an empty element (`<Email></Email>`), which
//!   clears it in XPM. Choice: XPM's documentation confirms that an empty
//!   element clears a field only for custom fields (xpm-api.md, "Added
//!   2026-12"); it is the natural way for client fields too, and the sim
//!   does the same.

use domain::ids::{XpmClientUuid, XpmCustomFieldUuid, XpmRelationshipUuid};
use domain::relationship_type::{TermsCarried, XpmRelationshipType};
use domain::sync::{ClientPayload, OwnedField, RelationshipTerms};
use quick_xml::se::{EmptyElementHandling, Serializer as XmlSerializer};
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use time::Date;
use time::macros::format_description;

use super::WriteError;

/// XPM's date form for request fields: `yyyy-MM-dd`.
pub(crate) fn xpm_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_else(|_| date.to_string())
}

/// One element of a body: XPM's element name and its text (`None`: sent empty).
type Element = (&'static str, Option<String>);

/// A `<Client>` body: its UUID (on update) and its elements, in order.
#[derive(Debug)]
struct ClientXml {
    uuid: Option<String>,
    elements: Vec<Element>,
}

impl Serialize for ClientXml {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Client", self.elements.len() + 1)?;
        if let Some(uuid) = &self.uuid {
            s.serialize_field("UUID", uuid)?;
        }
        for (name, value) in &self.elements {
            s.serialize_field(name, value.as_deref().unwrap_or(""))?;
        }
        s.end()
    }
}

impl ClientXml {
    fn check(&self) -> Result<(), WriteError> {
        for (field, value) in &self.elements {
            if let Some(value) = value {
                check_chars(field, value)?;
            }
        }
        Ok(())
    }
}

/// Each field once, in the order given (a repeated field is sent once).
fn distinct(fields: &[OwnedField]) -> impl Iterator<Item = OwnedField> + '_ {
    fields
        .iter()
        .enumerate()
        .filter(|(i, f)| !fields[..*i].contains(f))
        .map(|(_, f)| *f)
}

/// `(XPM element name, PM Hub's value)` of the given owned fields that hold
/// a value: what an add sends.
/// Name comes first, whether or not it is in `fields` (XPM requires it).
fn owned_values(payload: &ClientPayload, fields: &[OwnedField]) -> Vec<Element> {
    std::iter::once(OwnedField::Name)
        .chain(distinct(fields).filter(|f| *f != OwnedField::Name))
        .filter_map(|field| {
            payload
                .value(field)
                .map(|value| (field.xpm_name(), Some(value)))
        })
        .collect()
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

/// Serialises (an empty value as `<Element></Element>`, the form XPM's
/// documentation shows), then writes carriage returns as character
/// references: a parser turns a raw CR (or CR LF) into LF, so a street
/// address typed on Windows would otherwise not round-trip.
fn serialise<T: Serialize>(value: &T) -> Result<String, WriteError> {
    let mut xml = String::new();
    let mut serializer = XmlSerializer::new(&mut xml);
    serializer.empty_element_handling(EmptyElementHandling::Expanded);
    value
        .serialize(serializer)
        .map_err(|e| WriteError::Serialise(e.to_string()))?;
    Ok(xml.replace('\r', "&#13;"))
}

/// The body of `POST /client.api/add`: Name, then the `owned` fields PM Hub
/// holds a value for (empty ones are left out).
pub(crate) fn client_add(
    payload: &ClientPayload,
    owned: &[OwnedField],
) -> Result<String, WriteError> {
    let xml = ClientXml {
        uuid: None,
        elements: owned_values(payload, owned),
    };
    xml.check()?;
    serialise(&xml)
}

/// The body of `PUT /client.api/update`: the UUID, then exactly `fields`,
/// each with PM Hub's value or empty (which clears it in XPM).
pub(crate) fn client_update(
    xpm_client: XpmClientUuid,
    payload: &ClientPayload,
    fields: &[OwnedField],
) -> Result<String, WriteError> {
    let xml = ClientXml {
        uuid: Some(xpm_client.to_string()),
        elements: distinct(fields)
            .map(|field| (field.xpm_name(), payload.value(field)))
            .collect(),
    };
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
    kind: Option<String>,
    // An element left out is not sent; `Some("")` is sent empty (clears).
    #[serde(rename = "NumberOfShares", skip_serializing_if = "Option::is_none")]
    number_of_shares: Option<String>,
    #[serde(rename = "Percentage", skip_serializing_if = "Option::is_none")]
    percentage: Option<String>,
    #[serde(rename = "StartDate", skip_serializing_if = "Option::is_none")]
    start_date: Option<String>,
    #[serde(rename = "EndDate", skip_serializing_if = "Option::is_none")]
    end_date: Option<String>,
}

/// The terms as XPM's text, `None` where PM Hub holds none.
struct TermsText {
    shares: Option<String>,
    percentage: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
}

impl TermsText {
    fn new(terms: &RelationshipTerms) -> Self {
        Self {
            shares: terms.shares.map(|s| s.get().to_string()),
            percentage: terms.percentage.map(|p| p.to_string()),
            start_date: terms.start_date.map(xpm_date),
            end_date: terms.end_date.map(xpm_date),
        }
    }
}

/// The body of `POST /client.api/addrelationship`; terms PM Hub leaves
/// empty are left out (a new relationship has none in XPM).
pub(crate) fn relationship_add(
    client: XpmClientUuid,
    related: XpmClientUuid,
    xpm_type: &XpmRelationshipType,
    terms: &RelationshipTerms,
) -> Result<String, WriteError> {
    let t = TermsText::new(terms);
    serialise(&RelationshipXml {
        uuid: None,
        client_uuid: Some(client.to_string()),
        related_client_uuid: Some(related.to_string()),
        kind: Some(xpm_type.xpm_name().to_owned()),
        number_of_shares: t.shares,
        percentage: t.percentage,
        start_date: t.start_date,
        end_date: t.end_date,
    })
}

/// The body of `POST /client.api/updaterelationship` (the type and the two
/// clients cannot change). Every term the relationship's type carries is
/// sent, empty where PM Hub holds none, so a term cleared in PM Hub is
/// cleared in XPM; NumberOfShares and Percentage are left out on types that
/// do not record them (XPM refuses them there; the domain gives none).
pub(crate) fn relationship_update(
    relationship: XpmRelationshipUuid,
    carries: TermsCarried,
    terms: &RelationshipTerms,
) -> Result<String, WriteError> {
    let t = TermsText::new(terms);
    let empty_if_none = |v: Option<String>| Some(v.unwrap_or_default());
    let if_carried = |carried: bool, v: Option<String>| if carried { empty_if_none(v) } else { v };
    serialise(&RelationshipXml {
        uuid: Some(relationship.to_string()),
        client_uuid: None,
        related_client_uuid: None,
        kind: None,
        number_of_shares: if_carried(carries.shares, t.shares),
        percentage: if_carried(carries.percentage, t.percentage),
        start_date: empty_if_none(t.start_date),
        end_date: empty_if_none(t.end_date),
    })
}

#[derive(Debug, Serialize)]
struct CustomFieldXml {
    #[serde(rename = "UUID")]
    uuid: String,
    #[serde(rename = "Text")]
    text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename = "CustomFields")]
struct CustomFieldsXml {
    #[serde(rename = "CustomField")]
    fields: Vec<CustomFieldXml>,
}

/// The body of `PUT /client.api/update/{uuid}/customfield` for one Text
/// field: `<CustomFields><CustomField><UUID/><Text/></CustomField></CustomFields>`
/// (XPM's documented form; an empty `<Text>` would clear it). Only the
/// given field is sent, so the client's other custom fields keep their values.
pub(crate) fn custom_field_text(
    field: XpmCustomFieldUuid,
    value: &str,
) -> Result<String, WriteError> {
    check_chars("Text", value)?;
    serialise(&CustomFieldsXml {
        fields: vec![CustomFieldXml {
            uuid: field.to_string(),
            text: value.to_owned(),
        }],
    })
}
