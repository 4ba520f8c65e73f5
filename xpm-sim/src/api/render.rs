//! Clients and relationships as XPM answers them, in XML (PascalCase in a
//! `<Response>` envelope) and JSON (the spec's DTOs, camelCase). Tax numbers
//! are masked here, on every read.

use crate::fields::{
    AUTO_BAS_FIELDS, AUTO_BAS_PREFIX, CLIENT_FIELDS, CONTACT_FIELDS, Kind, mask_tax_number,
};
use crate::practice::relationships::of_client;
use crate::state::{Client, Contact, Org, Relationship};
use crate::xml::XmlOut;
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// The (UUID, Name) a reference field points at.
fn resolve(org: &Org, kind: Kind, id: &str) -> Option<(String, String)> {
    let id = Uuid::parse_str(id).ok()?;
    let name = match kind {
        Kind::StaffRef => org.staff.iter().find(|s| s.uuid == id)?.name.clone(),
        Kind::ClientRef => org.clients.get(&id)?.name().to_string(),
        _ => return None,
    };
    Some((id.to_string(), name))
}

fn shown(spec_kind: Kind, v: &str) -> String {
    if spec_kind == Kind::TaxNumber {
        mask_tax_number(v)
    } else {
        v.to_string()
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

fn web_url(c: &Client) -> String {
    format!("https://practicemanager.xero.com/Client/{}/Detail", c.uuid)
}

fn client_name(org: &Org, id: Uuid) -> String {
    org.clients
        .get(&id)
        .map(|c| c.name().to_string())
        .unwrap_or_default()
}

/// `<Client>...</Client>`.
pub fn client_xml(out: &mut XmlOut, org: &Org, c: &Client, detailed: bool) {
    client_xml_with(out, org, c, detailed, true);
}

/// `<Client>` as `ClientBaseDto` (no contacts) when `contacts` is false.
pub fn client_xml_with(out: &mut XmlOut, org: &Org, c: &Client, detailed: bool, contacts: bool) {
    out.open("Client");
    out.el("UUID", &c.uuid.to_string());
    for spec in CLIENT_FIELDS {
        let v = c.field(spec.xml);
        match spec.kind {
            Kind::StaffRef | Kind::ClientRef => match v.and_then(|v| resolve(org, spec.kind, v)) {
                Some((id, name)) => {
                    out.open(spec.out_xml);
                    out.el("UUID", &id);
                    out.el("Name", &name);
                    out.close(spec.out_xml);
                }
                None => out.el(spec.out_xml, ""),
            },
            k => out.el(spec.out_xml, &v.map(|v| shown(k, v)).unwrap_or_default()),
        }
    }
    out.open("AutoBasOptInCriteria");
    for (xml, _) in AUTO_BAS_FIELDS {
        out.el(
            xml,
            c.field(&format!("{AUTO_BAS_PREFIX}{xml}")).unwrap_or(""),
        );
    }
    out.close("AutoBasOptInCriteria");
    out.el("IsArchived", yes_no(c.archived));
    out.el("IsDeleted", yes_no(c.deleted));
    out.el("WebUrl", &web_url(c));
    if !contacts {
        // ClientBaseDto: no contacts.
    } else if c.contacts.is_empty() {
        out.el("Contacts", "");
    } else {
        out.open("Contacts");
        for contact in &c.contacts {
            contact_xml(out, contact);
        }
        out.close("Contacts");
    }
    if detailed {
        out.el("Notes", "");
        out.el("Groups", "");
        let rels = of_client(org, c.uuid.into());
        if rels.is_empty() {
            out.el("Relationships", "");
        } else {
            out.open("Relationships");
            for side in rels {
                out.open("Relationship");
                out.el("UUID", &side.rel.uuid.to_string());
                out.el("Type", side.kind);
                out.open("RelatedClient");
                out.el("UUID", &side.related.to_string());
                out.el("Name", &client_name(org, side.related));
                out.close("RelatedClient");
                rel_values_xml(out, side.rel);
                out.close("Relationship");
            }
            out.close("Relationships");
        }
    }
    out.close("Client");
}

fn rel_values_xml(out: &mut XmlOut, r: &Relationship) {
    out.el(
        "NumberOfShares",
        &r.number_of_shares
            .map(|n| n.to_string())
            .unwrap_or_default(),
    );
    out.el("Percentage", r.percentage.as_deref().unwrap_or(""));
    out.el("StartDate", r.start_date.as_deref().unwrap_or(""));
    out.el("EndDate", r.end_date.as_deref().unwrap_or(""));
}

/// `<Relationship>` as answered by add/update relationship.
pub fn relationship_xml(out: &mut XmlOut, org: &Org, r: &Relationship) {
    out.open("Relationship");
    out.el("UUID", &r.uuid.to_string());
    out.open("Client");
    out.el("UUID", &r.client.to_string());
    out.el("Name", &client_name(org, r.client));
    out.close("Client");
    out.open("RelatedClient");
    out.el("UUID", &r.related.to_string());
    out.el("Name", &client_name(org, r.related));
    out.close("RelatedClient");
    out.open("RelationshipType");
    out.el("Name", &r.kind);
    out.close("RelationshipType");
    rel_values_xml(out, r);
    out.close("Relationship");
}

fn named(uuid: String, name: String) -> Value {
    json!({ "uuid": uuid, "name": name })
}

fn json_scalar(kind: Kind, v: &str) -> Value {
    match kind {
        Kind::Month => v.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
        Kind::Decimal => v
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Kind::TaxNumber => Value::String(mask_tax_number(v)),
        _ => Value::String(v.to_string()),
    }
}

/// A client as the spec's `ClientDetailedDto`.
pub fn client_json(org: &Org, c: &Client, detailed: bool) -> Value {
    client_json_with(org, c, detailed, true)
}

/// A client as `ClientBaseDto` (no contacts) when `with_contacts` is false.
pub fn client_json_with(org: &Org, c: &Client, detailed: bool, with_contacts: bool) -> Value {
    let mut m = Map::new();
    m.insert("uuid".into(), Value::String(c.uuid.to_string()));
    for spec in CLIENT_FIELDS {
        let v = c.field(spec.xml);
        let val = match spec.kind {
            Kind::StaffRef | Kind::ClientRef => v
                .and_then(|v| resolve(org, spec.kind, v))
                .map(|(id, name)| named(id, name))
                .unwrap_or(Value::Null),
            k => v.map(|v| json_scalar(k, v)).unwrap_or(Value::Null),
        };
        m.insert(spec.json.into(), val);
    }
    let auto: Map<String, Value> = AUTO_BAS_FIELDS
        .iter()
        .map(|(xml, json)| {
            let v = c
                .field(&format!("{AUTO_BAS_PREFIX}{xml}"))
                .map(|v| Value::String(v.to_string()))
                .unwrap_or(Value::Null);
            ((*json).to_string(), v)
        })
        .collect();
    let any_auto = auto.values().any(|v| !v.is_null());
    m.insert(
        "autoBasOptInCriteria".into(),
        if any_auto {
            Value::Object(auto)
        } else {
            Value::Null
        },
    );
    m.insert("isArchived".into(), yes_no(c.archived).into());
    m.insert("isDeleted".into(), yes_no(c.deleted).into());
    m.insert("webUrl".into(), web_url(c).into());
    for absent in [
        "industry",
        "type",
        "bankBsb",
        "bankAccountName",
        "bankAccountNumber",
        "bankName",
    ] {
        m.insert(absent.into(), Value::Null);
    }
    let contacts: Vec<Value> = c.contacts.iter().map(contact_json).collect();
    if with_contacts {
        m.insert("contacts".into(), Value::Array(contacts));
    }
    if detailed {
        m.insert("notes".into(), Value::Array(Vec::new()));
        m.insert("groups".into(), Value::Array(Vec::new()));
        let rels: Vec<Value> = of_client(org, c.uuid.into())
            .into_iter()
            .map(|side| {
                json!({
                    "uuid": side.rel.uuid.to_string(),
                    "type": side.kind,
                    "relatedClient": named(side.related.to_string(), client_name(org, side.related)),
                    "numberOfShares": side.rel.number_of_shares,
                    "percentage": side.rel.percentage.as_deref().and_then(|p| p.parse::<f64>().ok()),
                    "startDate": side.rel.start_date,
                    "endDate": side.rel.end_date,
                })
            })
            .collect();
        m.insert("relationships".into(), Value::Array(rels));
    }
    Value::Object(m)
}

/// A relationship as the spec's `ClientRelationshipDetailDto`.
pub fn relationship_json(org: &Org, r: &Relationship) -> Value {
    json!({
        "uuid": r.uuid.to_string(),
        "client": named(r.client.to_string(), client_name(org, r.client)),
        "relatedClient": named(r.related.to_string(), client_name(org, r.related)),
        "relationshipType": { "name": r.kind },
        "numberOfShares": r.number_of_shares,
        "percentage": r.percentage.as_deref().and_then(|p| p.parse::<f64>().ok()),
        "startDate": r.start_date,
        "endDate": r.end_date,
    })
}

/// `<Contact>` as in a client's Contacts and the contact endpoints.
pub fn contact_xml(out: &mut XmlOut, contact: &Contact) {
    out.open("Contact");
    out.el("UUID", &contact.uuid.to_string());
    for (xml, _, _) in CONTACT_FIELDS {
        let v = contact.fields.get(*xml).map(String::as_str);
        let v = if *xml == "IsPrimary" {
            v.or(Some("No"))
        } else {
            v
        };
        out.el(xml, v.unwrap_or(""));
    }
    out.el("IsDeleted", "No");
    out.close("Contact");
}

/// A contact as the spec's `ClientContactDto`.
pub fn contact_json(contact: &Contact) -> Value {
    let mut cm = Map::new();
    cm.insert("uuid".into(), contact.uuid.to_string().into());
    for (xml, json, _) in CONTACT_FIELDS {
        let v = contact.fields.get(*xml).cloned();
        let v = if *xml == "IsPrimary" {
            v.or(Some("No".into()))
        } else {
            v
        };
        cm.insert((*json).into(), v.map(Value::String).unwrap_or(Value::Null));
    }
    cm.insert("isDeleted".into(), "No".into());
    Value::Object(cm)
}
