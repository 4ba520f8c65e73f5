//! Answers: the envelope, one client, a list of clients, one relationship,
//! custom field definitions and a client's custom field values.

use std::str::FromStr;

use domain::association::{AssociationTerms, Percentage, ShareCount};
use domain::custom_field::{XpmCustomFieldDefinition, XpmCustomFieldKind};
use domain::ids::{XpmClientUuid, XpmCustomFieldUuid, XpmRelationshipUuid};
use domain::ports::XpmClientView;
use domain::relationship_type::XpmRelationshipType;
use domain::sync::{LookAlike, XpmRelationshipSeen};
use domain::text::XpmWebUrl;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::Date;
use time::macros::format_description;

use super::{Answer, XmlError};

/// Deeper nesting than any XPM answer has is refused before deserialising.
const MAX_DEPTH: usize = 16;

/// Checks the answer is one well-formed `<Response>` element, without DOCTYPE, not too deep.
fn inspect(body: &str) -> Result<(), XmlError> {
    let mut reader = Reader::from_str(body);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut seen_root = false;
    let malformed = |reader: &Reader<&[u8]>, reason: String| XmlError::Malformed {
        position: reader.error_position(),
        reason,
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(&reader, e.to_string()))?;
        match event {
            Event::Eof => break,
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(ref e) | Event::Empty(ref e) => {
                if depth == 0 {
                    if seen_root {
                        return Err(XmlError::TrailingContent);
                    }
                    let name = e.name();
                    let name: &str = name.as_ref();
                    if name != "Response" {
                        return Err(XmlError::WrongRoot(name.chars().take(100).collect()));
                    }
                    seen_root = true;
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(XmlError::TooDeep(MAX_DEPTH));
                    }
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(ref t) if depth == 0 => {
                let text: &str = t.as_ref();
                if !text.chars().all(char::is_whitespace) {
                    return Err(if seen_root {
                        XmlError::TrailingContent
                    } else {
                        malformed(&reader, "text before the root element".into())
                    });
                }
            }
            Event::CData(_) | Event::GeneralRef(_) if depth == 0 => {
                return Err(if seen_root {
                    XmlError::TrailingContent
                } else {
                    malformed(&reader, "content before the root element".into())
                });
            }
            _ => {}
        }
    }
    if !seen_root {
        return Err(XmlError::Empty);
    }
    if depth != 0 {
        return Err(XmlError::Malformed {
            position: body.len() as u64,
            reason: "the answer ends before its elements are closed".into(),
        });
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "Status")]
    status: Option<String>,
    #[serde(rename = "ErrorDescription")]
    error_description: Option<String>,
}

/// Reads the envelope, then (for OK) the typed payload.
fn parse<T: DeserializeOwned>(body: &str) -> Result<Answer<T>, XmlError> {
    inspect(body)?;
    let envelope: Envelope = de(body)?;
    let status = envelope.status.ok_or(XmlError::Missing("Status"))?;
    match status.trim() {
        "OK" => de(body).map(Answer::Ok),
        "ERROR" => Ok(Answer::Error(
            envelope
                .error_description
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "XPM gave no description".to_owned()),
        )),
        other => Err(XmlError::UnknownStatus(other.chars().take(100).collect())),
    }
}

fn de<T: DeserializeOwned>(body: &str) -> Result<T, XmlError> {
    quick_xml::de::from_str(body)
        .map_err(|e| XmlError::Shape(e.to_string().chars().take(300).collect()))
}

fn uuid<T: FromStr>(element: &'static str, value: &str) -> Result<T, XmlError> {
    value.trim().parse().map_err(|_| XmlError::InvalidUuid {
        element,
        value: value.chars().take(100).collect(),
    })
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Declares the client's text fields once: the struct, the list the preview
/// shows and the order it is in.
macro_rules! client_in {
    ($($field:ident => $xml:literal $(| $alias:literal)?),* $(,)?) => {
        #[derive(Debug, Deserialize)]
        struct ClientIn {
            #[serde(rename = "UUID")]
            uuid: Option<String>,
            #[serde(rename = "Name")]
            name: Option<String>,
            $(
                #[serde(rename = $xml $(, alias = $alias)?, default)]
                $field: Option<String>,
            )*
            #[serde(rename = "Relationships", default)]
            relationships: Option<RelationshipsIn>,
            /// The client's page in XPM: shown as a link, not a field.
            #[serde(rename = "WebUrl", default)]
            web_url: Option<String>,
        }

        impl ClientIn {
            /// XPM's non-empty values, by XPM's field name, in XPM's order.
            fn fields(&self, name: &str) -> Vec<(String, String)> {
                let mut out = vec![("Name".to_owned(), name.to_owned())];
                $(
                    if let Some(v) = non_empty(&self.$field) {
                        out.push(($xml.to_owned(), v));
                    }
                )*
                out
            }
        }
    };
}

client_in! {
    title => "Title",
    gender => "Gender",
    first_name => "FirstName",
    middle_name => "MiddleName",
    last_name => "LastName",
    other_name => "OtherName",
    email => "Email",
    date_of_birth => "DateOfBirth",
    date_of_death => "DateOfDeath",
    place_of_birth_city => "PlaceOfBirthCity",
    place_of_birth_country_code => "PlaceOfBirthCountryCode",
    address => "Address",
    city => "City",
    region => "Region",
    post_code => "PostCode",
    country => "Country",
    postal_address => "PostalAddress",
    postal_city => "PostalCity",
    postal_region => "PostalRegion",
    postal_post_code => "PostalPostCode",
    postal_country => "PostalCountry",
    phone => "Phone",
    fax => "Fax",
    website => "WebSite" | "Website",
    referral_source => "ReferralSource",
    export_code => "ExportCode",
    is_prospect => "IsProspect",
    is_archived => "IsArchived",
    tax_number => "TaxNumber",
    company_number => "CompanyNumber",
    business_number => "BusinessNumber",
    branch_number => "BranchNumber",
    business_structure => "BusinessStructure",
    gst_registered => "GSTRegistered",
    client_code => "ClientCode",
}

#[derive(Debug, Default, Deserialize)]
struct RelationshipsIn {
    #[serde(rename = "Relationship", default)]
    items: Vec<RelationshipIn>,
}

#[derive(Debug, Deserialize)]
struct RelationshipIn {
    #[serde(rename = "UUID")]
    uuid: Option<String>,
    #[serde(rename = "Type")]
    kind: Option<String>,
    #[serde(rename = "RelatedClient")]
    related_client: Option<NamedIn>,
    #[serde(rename = "NumberOfShares", default)]
    number_of_shares: Option<String>,
    #[serde(rename = "Percentage", default)]
    percentage: Option<String>,
    #[serde(rename = "StartDate", default)]
    start_date: Option<String>,
    #[serde(rename = "EndDate", default)]
    end_date: Option<String>,
}

/// `Yes` / `true` (any case) is true; anything else, or nothing, false.
fn flag(value: &Option<String>) -> bool {
    non_empty(value)
        .is_some_and(|v| v.eq_ignore_ascii_case("yes") || v.eq_ignore_ascii_case("true"))
}

/// A decimal's text without trailing zeros after its point (`50.00` -> `50`,
/// `12.500` -> `12.5`), as XPM may answer a decimal column.
fn without_trailing_zeros(text: &str) -> &str {
    match text.split_once('.') {
        Some(_) => text.trim_end_matches('0').trim_end_matches('.'),
        None => text,
    }
}

/// XPM's date text, `yyyy-MM-dd`, with or without a time (`T00:00:00`).
fn date(text: &str) -> Option<Date> {
    let day = text.split_once('T').map_or(text, |(day, _)| day);
    Date::parse(day, format_description!("[year]-[month]-[day]")).ok()
}

impl RelationshipIn {
    /// XPM's terms as PM Hub represents them. A term PM Hub cannot
    /// represent (shares 0, a percentage with three decimals, a date that
    /// does not parse) is left out and named in `unreadable`, so one odd
    /// value does not make the whole client unreadable.
    fn terms(&self, unreadable: &mut Vec<String>) -> AssociationTerms {
        let mut note = |element: &str, raw: &str| {
            unreadable.push(format!(
                "{element} `{}`",
                raw.chars().take(40).collect::<String>()
            ));
        };
        let shares = non_empty(&self.number_of_shares).and_then(|raw| {
            let parsed = without_trailing_zeros(&raw)
                .parse::<u64>()
                .ok()
                .and_then(|n| ShareCount::new(n).ok());
            if parsed.is_none() {
                note("NumberOfShares", &raw);
            }
            parsed
        });
        let percentage = non_empty(&self.percentage).and_then(|raw| {
            let parsed = Percentage::parse(without_trailing_zeros(&raw)).ok();
            if parsed.is_none() {
                note("Percentage", &raw);
            }
            parsed
        });
        let mut day = |element: &str, value: &Option<String>| {
            non_empty(value).and_then(|raw| {
                let parsed = date(&raw);
                if parsed.is_none() {
                    note(element, &raw);
                }
                parsed
            })
        };
        let start_date = day("StartDate", &self.start_date);
        let end_date = day("EndDate", &self.end_date);
        AssociationTerms {
            shares,
            percentage,
            start_date,
            end_date,
        }
    }
}

#[derive(Debug, Deserialize)]
struct NamedIn {
    #[serde(rename = "UUID")]
    uuid: Option<String>,
}

/// One client as `client.api/get` (and add, update) answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientAnswer {
    pub view: XpmClientView,
    /// The client's name and the fields a look-alike is judged on.
    pub look_alike: LookAlike,
    /// Relationship types that cannot be read as a name (empty, over 100 characters): left out of `view`.
    pub unknown_relationship_types: Vec<String>,
    /// Relationship terms PM Hub cannot represent (`NumberOfShares `0``):
    /// read as empty in `view`.
    pub unreadable_terms: Vec<String>,
}

impl ClientIn {
    /// The identity of the client (UUID, Name) and the fields a look-alike is judged on.
    fn look_alike(&self) -> Result<LookAlike, XmlError> {
        let xpm_client: XpmClientUuid = uuid(
            "UUID",
            self.uuid.as_deref().ok_or(XmlError::Missing("UUID"))?,
        )?;
        let name = non_empty(&self.name).ok_or(XmlError::Missing("Name"))?;
        Ok(LookAlike {
            email: non_empty(&self.email),
            business_number: non_empty(&self.business_number),
            company_number: non_empty(&self.company_number),
            client_code: non_empty(&self.client_code),
            first_name: non_empty(&self.first_name),
            last_name: non_empty(&self.last_name),
            date_of_birth: non_empty(&self.date_of_birth),
            archived: flag(&self.is_archived),
            ..LookAlike::named(xpm_client, name)
        })
    }

    fn into_answer(self) -> Result<ClientAnswer, XmlError> {
        let look_alike = self.look_alike()?;
        let xpm_client = look_alike.xpm_client;
        let mut relationships = Vec::new();
        let mut unknown_relationship_types = Vec::new();
        let mut unreadable_terms = Vec::new();
        for r in self
            .relationships
            .as_ref()
            .map(|r| r.items.as_slice())
            .unwrap_or_default()
        {
            let xpm_relationship: XpmRelationshipUuid =
                uuid("UUID", r.uuid.as_deref().ok_or(XmlError::Missing("UUID"))?)?;
            let related = r
                .related_client
                .as_ref()
                .and_then(|c| c.uuid.as_deref())
                .ok_or(XmlError::Missing("RelatedClient"))?;
            let related_xpm_client: XpmClientUuid = uuid("RelatedClient", related)?;
            let kind = r.kind.as_deref().ok_or(XmlError::Missing("Type"))?;
            // Any name XPM shows is kept (the domain knows which it can
            // send); only one that cannot be a name is set aside.
            match XpmRelationshipType::new(kind) {
                Ok(xpm_type) => relationships.push(XpmRelationshipSeen {
                    xpm_relationship,
                    related_xpm_client,
                    xpm_type,
                    terms: r.terms(&mut unreadable_terms),
                }),
                Err(_) => unknown_relationship_types.push(kind.chars().take(100).collect()),
            }
        }
        Ok(ClientAnswer {
            view: XpmClientView {
                xpm_client,
                fields: self.fields(&look_alike.name),
                relationships,
                archived: flag(&self.is_archived),
                web_url: self.web_url.as_deref().and_then(XpmWebUrl::new),
            },
            look_alike,
            unknown_relationship_types,
            unreadable_terms,
        })
    }
}

#[derive(Debug, Deserialize)]
struct ClientEnvelope {
    #[serde(rename = "Client")]
    client: Option<ClientIn>,
}

/// Reads an answer carrying one `<Client>`.
pub(crate) fn parse_client(body: &str) -> Result<Answer<ClientAnswer>, XmlError> {
    Ok(match parse::<ClientEnvelope>(body)? {
        Answer::Ok(e) => Answer::Ok(e.client.ok_or(XmlError::Missing("Client"))?.into_answer()?),
        Answer::Error(msg) => Answer::Error(msg),
    })
}

#[derive(Debug, Default, Deserialize)]
struct ClientsIn {
    #[serde(rename = "Client", default)]
    items: Vec<ClientIn>,
}

#[derive(Debug, Deserialize)]
struct ClientsEnvelope {
    #[serde(rename = "Clients")]
    clients: Option<ClientsIn>,
}

/// The clients of a search or list answer.
pub(crate) type ClientsAnswer = Vec<LookAlike>;

/// Reads an answer carrying `<Clients>` (a search, detailed or not): each
/// client as a look-alike. Only its UUID and Name are required; its
/// relationships, if the answer is detailed, are not read.
pub(crate) fn parse_clients(body: &str) -> Result<Answer<ClientsAnswer>, XmlError> {
    Ok(match parse::<ClientsEnvelope>(body)? {
        Answer::Ok(e) => {
            let clients = e.clients.ok_or(XmlError::Missing("Clients"))?;
            let out = clients
                .items
                .iter()
                .map(ClientIn::look_alike)
                .collect::<Result<_, _>>()?;
            Answer::Ok(out)
        }
        Answer::Error(msg) => Answer::Error(msg),
    })
}

#[derive(Debug, Deserialize)]
struct RelationshipDetailIn {
    #[serde(rename = "UUID")]
    uuid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RelationshipEnvelope {
    #[serde(rename = "Relationship")]
    relationship: Option<RelationshipDetailIn>,
}

/// The relationship's UUID an add or update answers.
pub(crate) type RelationshipAnswer = XpmRelationshipUuid;

/// Reads an answer carrying one `<Relationship>`.
pub(crate) fn parse_relationship(body: &str) -> Result<Answer<RelationshipAnswer>, XmlError> {
    Ok(match parse::<RelationshipEnvelope>(body)? {
        Answer::Ok(e) => {
            let r = e.relationship.ok_or(XmlError::Missing("Relationship"))?;
            Answer::Ok(uuid(
                "UUID",
                r.uuid.as_deref().ok_or(XmlError::Missing("UUID"))?,
            )?)
        }
        Answer::Error(msg) => Answer::Error(msg),
    })
}

/// XPM's message when `body` is a well-formed ERROR answer.
pub(crate) fn error_envelope(body: &str) -> Option<String> {
    match parse::<Envelope>(body) {
        Ok(Answer::Error(message)) => Some(message),
        _ => None,
    }
}

/// An answer carrying nothing but its Status (a custom field write).
pub(crate) fn parse_status(body: &str) -> Result<Answer<()>, XmlError> {
    Ok(match parse::<Envelope>(body)? {
        Answer::Ok(_) => Answer::Ok(()),
        Answer::Error(msg) => Answer::Error(msg),
    })
}

#[derive(Debug, Deserialize)]
struct DefinitionIn {
    #[serde(rename = "UUID")]
    uuid: Option<String>,
    #[serde(rename = "Name")]
    name: Option<String>,
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(rename = "UseClient", default)]
    use_client: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct DefinitionsIn {
    #[serde(rename = "CustomFieldDefinition", default)]
    items: Vec<DefinitionIn>,
}

#[derive(Debug, Deserialize)]
struct DefinitionsEnvelope {
    #[serde(rename = "CustomFieldDefinitions")]
    definitions: Option<DefinitionsIn>,
}

/// Reads `customfield.api/definition`: each definition's UUID, Name, Type
/// and UseClient (the only members the integration uses; the others,
/// Options, LinkUrl, the other Use... flags, ValueElement, are tolerated).
pub(crate) fn parse_custom_field_definitions(
    body: &str,
) -> Result<Answer<Vec<XpmCustomFieldDefinition>>, XmlError> {
    Ok(match parse::<DefinitionsEnvelope>(body)? {
        Answer::Ok(e) => {
            let items = e
                .definitions
                .ok_or(XmlError::Missing("CustomFieldDefinitions"))?
                .items;
            let out = items
                .iter()
                .map(|d| {
                    let uuid: XpmCustomFieldUuid =
                        uuid("UUID", d.uuid.as_deref().ok_or(XmlError::Missing("UUID"))?)?;
                    Ok(XpmCustomFieldDefinition {
                        uuid,
                        name: non_empty(&d.name).ok_or(XmlError::Missing("Name"))?,
                        kind: XpmCustomFieldKind::from_xpm_name(
                            d.kind.as_deref().unwrap_or_default(),
                        ),
                        use_client: flag(&d.use_client),
                    })
                })
                .collect::<Result<_, XmlError>>()?;
            Answer::Ok(out)
        }
        Answer::Error(msg) => Answer::Error(msg),
    })
}

#[derive(Debug, Deserialize)]
struct CustomValueIn {
    #[serde(rename = "UUID")]
    uuid: Option<String>,
    #[serde(rename = "Text", default)]
    text: Option<String>,
    #[serde(rename = "Date", default)]
    date: Option<String>,
    #[serde(rename = "Number", default)]
    number: Option<String>,
    #[serde(rename = "Decimal", default)]
    decimal: Option<String>,
    #[serde(rename = "Boolean", default)]
    boolean: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CustomValuesIn {
    #[serde(rename = "CustomField", default)]
    items: Vec<CustomValueIn>,
}

#[derive(Debug, Deserialize)]
struct CustomValuesEnvelope {
    #[serde(rename = "CustomFields")]
    values: Option<CustomValuesIn>,
}

/// Reads `client.api/get/{uuid}/customfield` (only the fields holding a
/// value): each field's UUID and its value's text, whatever its value
/// element. An item without a readable UUID is an error.
pub(crate) fn parse_custom_field_values(
    body: &str,
) -> Result<Answer<Vec<(XpmCustomFieldUuid, String)>>, XmlError> {
    Ok(match parse::<CustomValuesEnvelope>(body)? {
        Answer::Ok(e) => {
            let items = e.values.ok_or(XmlError::Missing("CustomFields"))?.items;
            let out = items
                .iter()
                .map(|v| {
                    let field: XpmCustomFieldUuid =
                        uuid("UUID", v.uuid.as_deref().ok_or(XmlError::Missing("UUID"))?)?;
                    let value = [&v.text, &v.date, &v.number, &v.decimal, &v.boolean]
                        .into_iter()
                        .find_map(non_empty)
                        .unwrap_or_default();
                    Ok((field, value))
                })
                .collect::<Result<_, XmlError>>()?;
            Answer::Ok(out)
        }
        Answer::Error(msg) => Answer::Error(msg),
    })
}
