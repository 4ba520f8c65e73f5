//! Adding, updating, archiving, deleting, merging and searching clients as XPM does.

use super::{XpmError, parse_uuid, relationships};
use crate::doc::{Doc, norm};
use crate::fields::{
    AUTO_BAS_FIELDS, AUTO_BAS_PREFIX, CLIENT_FIELDS, CONTACT_FIELDS, Kind, normalise, yes_no,
};
use crate::rng::DetRng;
use crate::state::{Client, Contact, Org};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Most contacts accepted in one add, so one request cannot grow state unboundedly.
const MAX_CONTACTS: usize = 100;

/// A parsed, format-checked client request. An empty value clears the field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientInput {
    pub uuid: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub contacts: Option<Vec<BTreeMap<String, String>>>,
}

/// Reads and checks every known field of a request document; unknown ones are ignored.
pub fn parse(doc: &Doc) -> Result<ClientInput, XpmError> {
    let mut input = ClientInput {
        uuid: doc.text("uuid"),
        ..ClientInput::default()
    };
    for spec in CLIENT_FIELDS {
        if let Some(v) = doc.text(&norm(spec.xml)) {
            let v = if v.is_empty() {
                v
            } else {
                normalise(spec.xml, spec.kind, &v).map_err(XpmError)?
            };
            input.fields.insert(spec.xml.to_string(), v);
        }
    }
    if let Some(auto) = doc.obj("autobasoptincriteria") {
        for (xml, _) in AUTO_BAS_FIELDS {
            if let Some(v) = auto.text(&norm(xml)) {
                let v = if v.is_empty() {
                    v
                } else {
                    yes_no(&v).ok_or_else(|| {
                        XpmError(format!("AutoBasOptInCriteria {xml} must be Yes or No"))
                    })?
                };
                input.fields.insert(format!("{AUTO_BAS_PREFIX}{xml}"), v);
            }
        }
    }
    if let Some(list) = doc.list("contacts") {
        if list.len() > MAX_CONTACTS {
            return Err(XpmError(format!(
                "A client can be added with at most {MAX_CONTACTS} contacts"
            )));
        }
        let mut contacts = Vec::new();
        for c in list {
            let mut fields = BTreeMap::new();
            for (xml, _, kind) in CONTACT_FIELDS {
                if let Some(v) = c.text(&norm(xml))
                    && !v.is_empty()
                {
                    let v = normalise(&format!("Contact {xml}"), *kind, &v).map_err(XpmError)?;
                    fields.insert((*xml).to_string(), v);
                }
            }
            if !fields.contains_key("Name") {
                return Err(XpmError::new("Contact Name is required"));
            }
            contacts.push(fields);
        }
        input.contacts = Some(contacts);
    }
    Ok(input)
}

/// Checks that references point at staff and clients of this organisation.
fn check_refs(org: &Org, input: &ClientInput, this: Option<Uuid>) -> Result<(), XpmError> {
    for spec in CLIENT_FIELDS {
        let Some(v) = input.fields.get(spec.xml).filter(|v| !v.is_empty()) else {
            continue;
        };
        let Ok(id) = Uuid::parse_str(v) else {
            continue;
        };
        match spec.kind {
            Kind::StaffRef if !org.staff.iter().any(|s| s.uuid == id) => {
                return Err(XpmError(format!(
                    "{} '{v}' is not a staff member",
                    spec.xml
                )));
            }
            Kind::ClientRef => {
                if Some(id) == this {
                    return Err(XpmError(format!(
                        "{} cannot be the client itself",
                        spec.xml
                    )));
                }
                if org.live_client(id).is_none() {
                    return Err(XpmError(format!("{} '{v}' is not a client", spec.xml)));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Creates a client with its contacts. Not idempotent, as in XPM.
pub fn add(
    org: &mut Org,
    rng: &mut DetRng,
    now: OffsetDateTime,
    input: ClientInput,
) -> Result<Uuid, XpmError> {
    if input.fields.get("Name").is_none_or(|n| n.is_empty()) {
        return Err(XpmError::new("Name is required"));
    }
    check_refs(org, &input, None)?;
    let uuid = rng.uuid();
    let contacts = input
        .contacts
        .unwrap_or_default()
        .into_iter()
        .map(|fields| Contact {
            uuid: rng.uuid(),
            fields,
        })
        .collect();
    let fields = input
        .fields
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    org.clients.insert(
        uuid,
        Client {
            uuid: uuid.into(),
            fields,
            contacts,
            archived: false,
            deleted: false,
            created: now,
            modified: now,
            custom_fields: BTreeMap::new(),
        },
    );
    Ok(uuid)
}

/// Changes the given fields of a client; others stay. Contacts are not
/// changed by update (the spec's update request has none).
pub fn update(org: &mut Org, now: OffsetDateTime, input: ClientInput) -> Result<Uuid, XpmError> {
    let uuid = parse_uuid("UUID", input.uuid.clone())?;
    if org.live_client(uuid).is_none() {
        return Err(XpmError::new("Client not found"));
    }
    if input.fields.get("Name").is_some_and(|n| n.is_empty()) {
        return Err(XpmError::new("Name is required"));
    }
    let clears_structure = input
        .fields
        .get("BusinessStructure")
        .is_some_and(|v| v.is_empty());
    if clears_structure
        && org
            .relationships
            .values()
            .any(|r| r.client == uuid || r.related == uuid)
    {
        return Err(XpmError::new(
            "BusinessStructure cannot be removed while the client has relationships",
        ));
    }
    check_refs(org, &input, Some(uuid))?;
    let Some(client) = org.clients.get_mut(&uuid) else {
        return Err(XpmError::new("Client not found"));
    };
    for (k, v) in input.fields {
        if v.is_empty() {
            client.fields.remove(&k);
        } else {
            client.fields.insert(k, v);
        }
    }
    client.modified = now;
    Ok(uuid)
}

/// Archives a client (it stays readable, with IsArchived Yes).
pub fn archive(org: &mut Org, now: OffsetDateTime, uuid: Option<String>) -> Result<Uuid, XpmError> {
    let uuid = parse_uuid("UUID", uuid)?;
    let Some(client) = org.clients.get_mut(&uuid).filter(|c| !c.deleted) else {
        return Err(XpmError::new("Client not found"));
    };
    client.archived = true;
    client.modified = now;
    Ok(uuid)
}

/// Deletes a client and its relationships; it can no longer be read.
pub fn delete(org: &mut Org, now: OffsetDateTime, uuid: Option<String>) -> Result<Uuid, XpmError> {
    let uuid = parse_uuid("UUID", uuid)?;
    let Some(client) = org.clients.get_mut(&uuid).filter(|c| !c.deleted) else {
        return Err(XpmError::new("Client not found"));
    };
    client.deleted = true;
    client.modified = now;
    let gone: Vec<Uuid> = org
        .relationships
        .values()
        .filter(|r| r.client == uuid || r.related == uuid)
        .map(|r| r.uuid)
        .collect();
    for id in gone {
        if let Some(r) = org.relationships.remove(&id) {
            for other in [r.client, r.related] {
                if let Some(c) = org.clients.get_mut(&other) {
                    c.modified = now;
                }
            }
        }
    }
    Ok(uuid)
}

/// Merges one client into another, as a person does in XPM: the merged client
/// is deleted (it answers "Client not found" and leaves lists and searches)
/// and its relationships move to the surviving client, except one between the
/// two clients (it would relate the survivor to itself) and one the survivor
/// already has (same type, seen from the survivor, with the same other client);
/// those go with the merged client. Nothing else moves (contacts, fields and
/// other clients' BillingClientUUID stay as they were). Refused, changing
/// nothing, when relationships would move to a survivor without a
/// BusinessStructure.
pub fn merge(
    org: &mut Org,
    now: OffsetDateTime,
    merged: Uuid,
    into: Uuid,
) -> Result<Uuid, XpmError> {
    if org.live_client(merged).is_none() {
        return Err(XpmError::new("Client not found"));
    }
    let Some(survivor) = org.live_client(into) else {
        return Err(XpmError::new("Client to merge into not found"));
    };
    if merged == into {
        return Err(XpmError::new("A client cannot be merged into itself"));
    }
    let survivor_has_structure = survivor.field("BusinessStructure").is_some();
    let survivor_name = survivor.name().to_string();
    let mut held: Vec<(&str, Uuid)> = org
        .relationships
        .values()
        .filter_map(|r| relationships::seen_from(r, into))
        .filter(|(_, other)| *other != merged)
        .collect();
    let mut moves = Vec::new();
    let mut drops = Vec::new();
    for r in org.relationships.values() {
        let Some(view) = relationships::seen_from(r, merged) else {
            continue;
        };
        if view.1 == into || held.contains(&view) {
            drops.push(r.uuid);
        } else {
            held.push(view);
            moves.push(r.uuid);
        }
    }
    if !moves.is_empty() && !survivor_has_structure {
        return Err(XpmError(format!(
            "The client '{survivor_name}' must have a Business Structure before relationships can be moved to it"
        )));
    }
    let mut touched = vec![into];
    for id in drops {
        if let Some(r) = org.relationships.remove(&id) {
            touched.extend([r.client, r.related]);
        }
    }
    for id in moves {
        if let Some(r) = org.relationships.get_mut(&id) {
            if r.client == merged {
                r.client = into;
            } else {
                r.related = into;
            }
            touched.extend([r.client, r.related]);
        }
    }
    if let Some(c) = org.clients.get_mut(&merged) {
        c.deleted = true;
        c.modified = now;
    }
    for id in touched {
        if let Some(c) = org.clients.get_mut(&id) {
            c.modified = now;
        }
    }
    Ok(into)
}

/// Live clients in XPM's list order (by name).
pub fn listed(org: &Org) -> Vec<&Client> {
    let mut v: Vec<&Client> = org.clients.values().filter(|c| !c.deleted).collect();
    v.sort_by(|a, b| {
        a.name()
            .to_lowercase()
            .cmp(&b.name().to_lowercase())
            .then(a.uuid.cmp(&b.uuid))
    });
    v
}

/// The fields `search` compares the query with, case-insensitively, as substrings.
pub const SEARCH_FIELDS: &[&str] = &[
    "Name",
    "FirstName",
    "LastName",
    "Email",
    "ClientCode",
    "BusinessNumber",
    "CompanyNumber",
];

/// The identifiers `search` also compares by their digits alone.
pub const SEARCH_NUMBER_FIELDS: &[&str] = &["BusinessNumber", "CompanyNumber"];

/// Fewest digits a query needs before it is compared by digits alone.
const SEARCH_MIN_DIGITS: usize = 6;

/// The digits of a query made only of digits and spaces with at least
/// [`SEARCH_MIN_DIGITS`] of them (`53 004 085 616` -> `53004085616`); else `None`.
fn number_query(q: &str) -> Option<String> {
    if !q.chars().all(|c| c.is_ascii_digit() || c == ' ') {
        return None;
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= SEARCH_MIN_DIGITS).then_some(digits)
}

fn digits_of(v: &str) -> String {
    v.chars().filter(char::is_ascii_digit).collect()
}

/// Whether a client answers a search query: any of [`SEARCH_FIELDS`] contains
/// the (trimmed) query, case-insensitively; or, when the query is a number
/// (digits and spaces, at least six digits), the digits of BusinessNumber or
/// CompanyNumber contain its digits, so `53 004 085 616` finds `53004085616`
/// and the other way round. Real XPM's matching is undocumented: this is the
/// sim's choice (docs/xpm-sim.md, "Search").
pub fn matches_search(c: &Client, query: &str) -> bool {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return false;
    }
    let text = SEARCH_FIELDS
        .iter()
        .any(|k| c.field(k).is_some_and(|v| v.to_lowercase().contains(&q)));
    text || number_query(&q).is_some_and(|n| {
        SEARCH_NUMBER_FIELDS
            .iter()
            .any(|k| c.field(k).is_some_and(|v| digits_of(v).contains(&n)))
    })
}

/// Live clients answering a search query (see [`matches_search`]), in list order.
pub fn search<'a>(org: &'a Org, query: &str) -> Vec<&'a Client> {
    listed(org)
        .into_iter()
        .filter(|c| matches_search(c, query))
        .collect()
}
