//! Relationships between two clients of one organisation, as XPM keeps them:
//! stored once, shown on the related client with the label XPM uses there.

use super::{XpmError, parse_uuid};
use crate::doc::Doc;
use crate::fields::parse_date;
use crate::relationship_types::{self as types, all_names, seen_from_related};
use crate::rng::DetRng;
use crate::state::{Org, Relationship};
use time::OffsetDateTime;
use uuid::Uuid;

/// A relationship as seen from one client.
#[derive(Debug, Clone, PartialEq)]
pub struct SideView<'a> {
    pub rel: &'a Relationship,
    pub kind: &'a str,
    pub related: Uuid,
}

/// A relationship as seen from one of its two clients: (type, other client).
pub fn seen_from(r: &Relationship, client: Uuid) -> Option<(&str, Uuid)> {
    if r.client == client {
        Some((&r.kind, r.related))
    } else if r.related == client {
        Some((seen_from_related(&r.kind), r.client))
    } else {
        None
    }
}

/// The relationships of a client, each seen from that client.
pub fn of_client(org: &Org, client: Uuid) -> Vec<SideView<'_>> {
    org.relationships
        .values()
        .filter_map(|r| {
            seen_from(r, client).map(|(kind, related)| SideView {
                rel: r,
                kind,
                related,
            })
        })
        .collect()
}

struct Values {
    shares: Option<Option<i64>>,
    percentage: Option<Option<String>>,
    start: Option<Option<String>>,
    end: Option<Option<String>>,
}

/// Reads the optional values; `Some(None)` clears.
fn values(doc: &Doc) -> Result<Values, XpmError> {
    let shares = match doc.text("numberofshares") {
        None => None,
        Some(s) if s.is_empty() => Some(None),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (0..=i64::from(i32::MAX)).contains(&n) => Some(Some(n)),
            _ => {
                return Err(XpmError::new(
                    "NumberOfShares must be a whole number of 0 or more",
                ));
            }
        },
    };
    let percentage = match doc.text("percentage") {
        None => None,
        Some(s) if s.is_empty() => Some(None),
        Some(s) => match s.parse::<f64>() {
            Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) && !s.contains(['e', 'E']) => {
                Some(Some(s.trim_start_matches('+').to_string()))
            }
            _ => {
                return Err(XpmError::new(
                    "Percentage must be a number between 0 and 100",
                ));
            }
        },
    };
    let date = |key: &str, name: &str| -> Result<Option<Option<String>>, XpmError> {
        match doc.text(key) {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(Some(None)),
            Some(s) => parse_date(&s).map(|d| Some(Some(d))).ok_or_else(|| {
                XpmError(format!("{name} is not a valid date (expected yyyy-MM-dd)"))
            }),
        }
    };
    Ok(Values {
        shares,
        percentage,
        start: date("startdate", "StartDate")?,
        end: date("enddate", "EndDate")?,
    })
}

fn check(rel: &Relationship) -> Result<(), XpmError> {
    let carried = types::find(&rel.kind);
    if rel.number_of_shares.is_some() && !carried.is_some_and(|t| t.shares) {
        return Err(XpmError(format!(
            "NumberOfShares can only be set on {} relationships, not {}",
            types::carrying(|t| t.shares),
            rel.kind
        )));
    }
    if rel.percentage.is_some() && !carried.is_some_and(|t| t.percentage) {
        return Err(XpmError(format!(
            "Percentage can only be set on {} relationships, not {}",
            types::carrying(|t| t.percentage),
            rel.kind
        )));
    }
    if let (Some(s), Some(e)) = (&rel.start_date, &rel.end_date)
        && e < s
    {
        return Err(XpmError::new("EndDate cannot be before StartDate"));
    }
    Ok(())
}

fn touch(org: &mut Org, ids: [Uuid; 2], now: OffsetDateTime) {
    for id in ids {
        if let Some(c) = org.clients.get_mut(&id) {
            c.modified = now;
        }
    }
}

/// Adds a relationship between two clients of the organisation.
pub fn add(
    org: &mut Org,
    rng: &mut DetRng,
    now: OffsetDateTime,
    doc: &Doc,
) -> Result<Uuid, XpmError> {
    let client = parse_uuid("ClientUUID", doc.text("clientuuid"))?;
    let related = parse_uuid("RelatedClientUUID", doc.text("relatedclientuuid"))?;
    let kind_raw = doc.text("type").unwrap_or_default();
    if kind_raw.is_empty() {
        return Err(XpmError::new("Type is required"));
    }
    let Some(kind) = types::find(&kind_raw).map(|t| t.name) else {
        return Err(XpmError(format!(
            "Type '{kind_raw}' is not a valid relationship type. Valid types are: {}",
            all_names().join(", ")
        )));
    };
    let Some(a) = org.live_client(client) else {
        return Err(XpmError::new("Client not found"));
    };
    let Some(b) = org.live_client(related) else {
        return Err(XpmError::new("Related client not found"));
    };
    if client == related {
        return Err(XpmError::new(
            "A client cannot have a relationship with itself",
        ));
    }
    for c in [a, b] {
        if c.field("BusinessStructure").is_none() {
            return Err(XpmError(format!(
                "The client '{}' must have a Business Structure before relationships can be added",
                c.name()
            )));
        }
    }
    let v = values(doc)?;
    let rel = Relationship {
        uuid: rng.uuid(),
        client,
        related,
        kind: kind.to_string(),
        number_of_shares: v.shares.flatten(),
        percentage: v.percentage.flatten(),
        start_date: v.start.flatten(),
        end_date: v.end.flatten(),
    };
    check(&rel)?;
    let id = rel.uuid;
    org.relationships.insert(id, rel);
    touch(org, [client, related], now);
    Ok(id)
}

/// Changes shares, percentage or dates; the type and clients cannot change.
pub fn update(org: &mut Org, now: OffsetDateTime, doc: &Doc) -> Result<Uuid, XpmError> {
    let id = parse_uuid("UUID", doc.text("uuid"))?;
    let v = values(doc)?;
    let Some(existing) = org.relationships.get(&id) else {
        return Err(XpmError::new("Relationship not found"));
    };
    let mut rel = existing.clone();
    if let Some(s) = v.shares {
        rel.number_of_shares = s;
    }
    if let Some(p) = v.percentage {
        rel.percentage = p;
    }
    if let Some(s) = v.start {
        rel.start_date = s;
    }
    if let Some(e) = v.end {
        rel.end_date = e;
    }
    check(&rel)?;
    let ids = [rel.client, rel.related];
    org.relationships.insert(id, rel);
    touch(org, ids, now);
    Ok(id)
}

/// Removes a relationship (from both sides).
pub fn delete(org: &mut Org, now: OffsetDateTime, doc: &Doc) -> Result<Relationship, XpmError> {
    let id = parse_uuid("UUID", doc.text("uuid"))?;
    let Some(rel) = org.relationships.remove(&id) else {
        return Err(XpmError::new("Relationship not found"));
    };
    touch(org, [rel.client, rel.related], now);
    Ok(rel)
}
