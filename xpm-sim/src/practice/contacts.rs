//! Client contacts as the spec's contact endpoints see them. A contact can be
//! linked to several clients: it is kept as one copy per linked client with
//! the same UUID. Name, phones, email, salutation and addressee are shared by
//! all copies; Position and IsPrimary belong to each link.

use super::{XpmError, parse_uuid};
use crate::doc::{Doc, norm};
use crate::fields::{CONTACT_FIELDS, normalise};
use crate::rng::DetRng;
use crate::state::{Contact, Org};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Fields that belong to a contact's link to one client, not to the contact.
const LINK_FIELDS: &[&str] = &["Position", "IsPrimary"];

/// Reads contact fields; an empty value clears (Name cannot be cleared).
fn fields(doc: &Doc) -> Result<BTreeMap<String, String>, XpmError> {
    let mut out = BTreeMap::new();
    for (xml, _, kind) in CONTACT_FIELDS {
        if let Some(v) = doc.text(&norm(xml)) {
            let v = if v.is_empty() {
                v
            } else {
                normalise(xml, *kind, &v).map_err(XpmError)?
            };
            out.insert((*xml).to_string(), v);
        }
    }
    Ok(out)
}

fn apply(target: &mut BTreeMap<String, String>, changes: &BTreeMap<String, String>, link: bool) {
    for (k, v) in changes {
        if LINK_FIELDS.contains(&k.as_str()) != link {
            continue;
        }
        if v.is_empty() {
            target.remove(k);
        } else {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// One contact, seen through one of its links: (client UUID, contact).
pub fn find(org: &Org, id: Uuid, client: Option<Uuid>) -> Option<(Uuid, &Contact)> {
    org.clients
        .values()
        .filter(|c| !c.deleted && client.is_none_or(|want| *c.uuid.as_uuid() == want))
        .find_map(|c| {
            c.contacts
                .iter()
                .find(|k| k.uuid == id)
                .map(|k| (c.uuid.into(), k))
        })
}

/// Every contact once (first link wins), by name.
pub fn listed(org: &Org) -> Vec<&Contact> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out: Vec<&Contact> = Vec::new();
    for c in super::clients::listed(org) {
        for k in &c.contacts {
            if seen.insert(k.uuid) {
                out.push(k);
            }
        }
    }
    out.sort_by(|a, b| {
        let name = |k: &Contact| {
            k.fields
                .get("Name")
                .cloned()
                .unwrap_or_default()
                .to_lowercase()
        };
        name(a).cmp(&name(b)).then(a.uuid.cmp(&b.uuid))
    });
    out
}

fn optional_client(client: Option<&str>) -> Result<Option<Uuid>, XpmError> {
    match client.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => parse_uuid("clientUuid", Some(c.to_string())).map(Some),
    }
}

/// Creates a contact on the client named in `Client/UUID`.
pub fn create(
    org: &mut Org,
    rng: &mut DetRng,
    now: OffsetDateTime,
    doc: &Doc,
) -> Result<Uuid, XpmError> {
    let client = parse_uuid(
        "Client UUID",
        doc.obj("client").and_then(|c| c.text("uuid")),
    )?;
    let fields: BTreeMap<String, String> = fields(doc)?
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if !fields.contains_key("Name") {
        return Err(XpmError::new("Name is required"));
    }
    let Some(c) = org.clients.get_mut(&client).filter(|c| !c.deleted) else {
        return Err(XpmError::new("Client not found"));
    };
    let uuid = rng.uuid();
    c.contacts.push(Contact { uuid, fields });
    c.modified = now;
    Ok(uuid)
}

/// Changes a contact (every copy) and, for the given client's link, Position and IsPrimary.
pub fn update(
    org: &mut Org,
    now: OffsetDateTime,
    id: Uuid,
    client: Option<&str>,
    doc: &Doc,
) -> Result<Uuid, XpmError> {
    let client = optional_client(client)?;
    let changes = fields(doc)?;
    if changes.get("Name").is_some_and(String::is_empty) {
        return Err(XpmError::new("Name is required"));
    }
    let Some((link_client, _)) = find(org, id, client) else {
        return Err(XpmError::new("Contact not found"));
    };
    for c in org.clients.values_mut().filter(|c| !c.deleted) {
        let mut touched = false;
        for k in c.contacts.iter_mut().filter(|k| k.uuid == id) {
            apply(&mut k.fields, &changes, false);
            if *c.uuid.as_uuid() == link_client {
                apply(&mut k.fields, &changes, true);
            }
            touched = true;
        }
        if touched {
            c.modified = now;
        }
    }
    Ok(link_client)
}

/// Removes a contact from one client, or from every client when none is given.
pub fn delete(
    org: &mut Org,
    now: OffsetDateTime,
    id: Uuid,
    client: Option<&str>,
) -> Result<Contact, XpmError> {
    let client = optional_client(client)?;
    let Some((_, contact)) = find(org, id, client) else {
        return Err(XpmError::new("Contact not found"));
    };
    let contact = contact.clone();
    for c in org
        .clients
        .values_mut()
        .filter(|c| !c.deleted && client.is_none_or(|want| *c.uuid.as_uuid() == want))
    {
        let before = c.contacts.len();
        c.contacts.retain(|k| k.uuid != id);
        if c.contacts.len() != before {
            c.modified = now;
        }
    }
    Ok(contact)
}

/// Links existing contacts to a client (or changes the link's Position / IsPrimary).
pub fn link(
    org: &mut Org,
    now: OffsetDateTime,
    client: Uuid,
    doc: &Doc,
) -> Result<Vec<Uuid>, XpmError> {
    if org.live_client(client).is_none() {
        return Err(XpmError::new("Client not found"));
    }
    let items = doc.list("contacts").unwrap_or_default();
    if items.is_empty() {
        return Err(XpmError::new("Contacts are required"));
    }
    let mut plan = Vec::new();
    for item in &items {
        let id = parse_uuid("Contact UUID", item.text("uuid"))?;
        let Some((_, existing)) = find(org, id, None) else {
            return Err(XpmError(format!("Contact '{id}' not found")));
        };
        let mut shared: BTreeMap<String, String> = existing
            .fields
            .iter()
            .filter(|(k, _)| !LINK_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let link_changes = fields(item)?;
        apply(&mut shared, &link_changes, true);
        plan.push((id, shared, link_changes));
    }
    let Some(c) = org.clients.get_mut(&client) else {
        return Err(XpmError::new("Client not found"));
    };
    let mut ids = Vec::new();
    for (id, fresh, changes) in plan {
        match c.contacts.iter_mut().find(|k| k.uuid == id) {
            Some(k) => apply(&mut k.fields, &changes, true),
            None => c.contacts.push(Contact {
                uuid: id,
                fields: fresh,
            }),
        }
        ids.push(id);
    }
    c.modified = now;
    Ok(ids)
}
