//! What must hold of XPM and the activity log after crashes and faults:
//! no duplicate clients or relationships, every write in XPM accounted for
//! in the activity log, every client synced.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use uuid::Uuid;
use xpm_sim::SimHandle;

use crate::world::Api;

/// What the sim's organisation held before the test pushed anything.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub clients: BTreeSet<Uuid>,
    pub relationships: BTreeSet<Uuid>,
}

pub fn baseline(sim: &SimHandle, tenant: Uuid) -> Baseline {
    let org = sim.org_state(tenant.into()).expect("org").org;
    Baseline {
        clients: org.clients.keys().copied().collect(),
        relationships: org.relationships.keys().copied().collect(),
    }
}

/// Live clients per name, in the organisation.
pub fn clients_by_name(sim: &SimHandle, tenant: Uuid) -> BTreeMap<String, Vec<Uuid>> {
    let mut by_name: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
    for c in sim.clients(tenant.into()).expect("clients") {
        by_name
            .entry(c.fields.get("Name").cloned().unwrap_or_default())
            .or_default()
            .push(c.uuid.into());
    }
    by_name
}

/// Names with more than one live XPM client.
pub fn duplicate_clients(sim: &SimHandle, tenant: Uuid) -> Vec<(String, usize)> {
    clients_by_name(sim, tenant)
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(name, ids)| (name, ids.len()))
        .collect()
}

/// Relationships pushed by the test (not in the baseline) that repeat
/// another one: the same pair of clients and the same type, from either side.
pub fn duplicate_relationships(sim: &SimHandle, tenant: Uuid, base: &Baseline) -> Vec<String> {
    let org = sim.org_state(tenant.into()).expect("org").org;
    let mut seen: BTreeMap<(Uuid, Uuid, String), usize> = BTreeMap::new();
    for r in org.relationships.values() {
        if base.relationships.contains(&r.uuid) {
            continue;
        }
        let kind = r.kind.trim_end_matches(" Of").to_owned();
        let pair = if r.client < r.related {
            (r.client, r.related, kind)
        } else {
            (r.related, r.client, kind)
        };
        *seen.entry(pair).or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|((a, b, k), n)| format!("{a} {k} {b} x{n}"))
        .collect()
}

/// XPM clients and relationships the test's pushes made.
pub fn pushed(sim: &SimHandle, tenant: Uuid, base: &Baseline) -> (Vec<Uuid>, Vec<Uuid>) {
    let org = sim.org_state(tenant.into()).expect("org").org;
    let clients = org
        .clients
        .values()
        .filter(|c| !c.deleted && !base.clients.contains(c.uuid.as_uuid()))
        .map(|c| c.uuid.into())
        .collect();
    let relationships = org
        .relationships
        .keys()
        .filter(|r| !base.relationships.contains(r))
        .copied()
        .collect();
    (clients, relationships)
}

/// Every activity entry of the practice, oldest page first.
pub async fn activity(api: &Api) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/api/activity?limit=200&after={a}"),
            None => "/api/activity?limit=200".to_owned(),
        };
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "activity: {}", r.text);
        let page = r.json();
        entries.extend(page["entries"].as_array().cloned().unwrap_or_default());
        match page["nextAfter"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    entries
}

/// XPM ids (clients and relationships) that some activity entry names.
pub fn ids_in_activity(entries: &[Value]) -> BTreeSet<String> {
    let text = serde_json::to_string(entries).unwrap_or_default();
    let mut ids = BTreeSet::new();
    // Every UUID-shaped token of the entries' text.
    for word in text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-')) {
        if word.len() == 36 && Uuid::parse_str(word).is_ok() {
            ids.insert(word.to_owned());
        }
    }
    ids
}

/// Syncs a client to completion: answers a look-alike decision by linking
/// to the first look-alike; retries a few times (for the rest of a crash's
/// or a fault's effects). Answers the last outcome.
pub async fn sync_to_completion(api: &Api, client: &str) -> Value {
    let mut last = Value::Null;
    let mut body: Option<Value> = None;
    for _ in 0..6 {
        let r = api.sync(client, body.as_ref()).await;
        last = r.json();
        if r.status != 200 {
            body = None;
            continue;
        }
        if last["plan"]["needsDecision"] == true {
            let uuid = last["plan"]["lookAlikes"][0]["xpmClientUuid"].clone();
            body = Some(json!({"decision": {"linkTo": uuid}}));
            continue;
        }
        body = None;
        if last["complete"] == true {
            return last;
        }
    }
    panic!("{client} did not sync completely: {last}");
}
