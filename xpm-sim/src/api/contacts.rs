//! Contact endpoints of the spec: list, create, get, update, delete, and
//! linking existing contacts to a client.

use super::auth::ApiCtx;
use super::paging;
use super::render::{contact_json, contact_xml};
use super::wire::{Answer, read_doc};
use crate::practice::contacts as ops;
use crate::shared::Shared;
use crate::state::{Contact, SimState};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

type Params = Query<HashMap<String, String>>;

fn client_param(q: &HashMap<String, String>) -> Option<&str> {
    q.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("clientUuid"))
        .map(|(_, v)| v.as_str())
}

fn one(a: Answer, c: &Contact) -> Response {
    a.ok(
        |out| contact_xml(out, c),
        |m| {
            m.insert("contact".into(), contact_json(c));
        },
    )
}

/// `GET contacts?pageSize=&pageToken=`.
pub async fn list(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let a = Answer::new(&headers, "Contacts");
    let (size, offset) = match paging::params(&q) {
        Ok(p) => p,
        Err(msg) => return a.error_at(StatusCode::BAD_REQUEST, &msg),
    };
    let st = sh.lock();
    let Some(org) = st.orgs.get(&ctx.tenant) else {
        return a.error(&sh, "Organisation not found");
    };
    let all = ops::listed(org);
    let page: Vec<&Contact> = all.iter().skip(offset).take(size).copied().collect();
    let base = format!(
        "{}/practicemanager/3.1/client.api/contacts?pageSize={size}",
        sh.base_url()
    );
    let next = (offset + size < all.len())
        .then(|| format!("{base}&pageToken={}", paging::token(offset + size)));
    a.ok(
        |out| {
            if page.is_empty() {
                out.el("Contacts", "");
            } else {
                out.open("Contacts");
                for c in &page {
                    contact_xml(out, c);
                }
                out.close("Contacts");
            }
            out.open("Pagination");
            out.open("Links");
            out.el("First", &base);
            out.el("Next", next.as_deref().unwrap_or(""));
            out.close("Links");
            out.close("Pagination");
        },
        |m| {
            m.insert(
                "contacts".into(),
                Value::Array(page.iter().map(|c| contact_json(c)).collect()),
            );
            m.insert(
                "pagination".into(),
                json!({ "links": { "first": base, "next": next } }),
            );
        },
    )
}

/// `POST contact`: a new contact on the client in `Client/UUID`.
pub async fn create(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let a = Answer::new(&headers, "AddContact");
    let doc = match read_doc(&headers, &body, "Contact") {
        Ok(d) => d,
        Err(e) => return a.error(&sh, &e),
    };
    let now = sh.clock.now();
    let mut st = sh.lock();
    let SimState {
        orgs, rng, version, ..
    } = &mut *st;
    let Some(org) = orgs.get_mut(&ctx.tenant) else {
        return a.error(&sh, "Organisation not found");
    };
    match ops::create(org, rng, now, &doc) {
        Err(e) => a.error(&sh, &e.0),
        Ok(id) => {
            *version += 1;
            match ops::find(org, id, None) {
                Some((_, c)) => one(a, c),
                None => a.error(&sh, "Contact not found"),
            }
        }
    }
}

fn parse_id(id: &str) -> Option<Uuid> {
    Uuid::parse_str(id).ok()
}

/// `GET contact/{id}?clientUuid=`.
pub async fn get(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
) -> Response {
    let a = Answer::new(&headers, "Contact");
    let Some(id) = parse_id(&id) else {
        return a.error(&sh, "Contact not found");
    };
    let client = match client_param(&q).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match Uuid::parse_str(c) {
            Ok(c) => Some(c),
            Err(_) => return a.error(&sh, &format!("clientUuid '{c}' is not a valid UUID")),
        },
    };
    let st = sh.lock();
    let found = st
        .orgs
        .get(&ctx.tenant)
        .and_then(|org| ops::find(org, id, client));
    match found {
        Some((_, c)) => one(a, c),
        None => a.error(&sh, "Contact not found"),
    }
}

/// `PUT contact/{id}?clientUuid=`.
pub async fn update(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Response {
    let a = Answer::new(&headers, "UpdateContact");
    let Some(id) = parse_id(&id) else {
        return a.error(&sh, "Contact not found");
    };
    let doc = match read_doc(&headers, &body, "Contact") {
        Ok(d) => d,
        Err(e) => return a.error(&sh, &e),
    };
    let now = sh.clock.now();
    let mut st = sh.lock();
    let SimState { orgs, version, .. } = &mut *st;
    let Some(org) = orgs.get_mut(&ctx.tenant) else {
        return a.error(&sh, "Organisation not found");
    };
    match ops::update(org, now, id, client_param(&q), &doc) {
        Err(e) => a.error(&sh, &e.0),
        Ok(link) => {
            *version += 1;
            match ops::find(org, id, Some(link)) {
                Some((_, c)) => one(a, c),
                None => a.error(&sh, "Contact not found"),
            }
        }
    }
}

/// `DELETE contact/{id}?clientUuid=`: from one client, or from all.
pub async fn delete(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
) -> Response {
    let a = Answer::new(&headers, "DeleteContact");
    let Some(id) = parse_id(&id) else {
        return a.error(&sh, "Contact not found");
    };
    let now = sh.clock.now();
    let mut st = sh.lock();
    let SimState { orgs, version, .. } = &mut *st;
    let Some(org) = orgs.get_mut(&ctx.tenant) else {
        return a.error(&sh, "Organisation not found");
    };
    match ops::delete(org, now, id, client_param(&q)) {
        Err(e) => a.error(&sh, &e.0),
        Ok(c) => {
            *version += 1;
            let field = |k: &str| c.fields.get(k).cloned().unwrap_or_default();
            a.ok(
                |out| {
                    out.open("Contact");
                    out.el("UUID", &c.uuid.to_string());
                    for k in ["Name", "Salutation", "Addressee", "Mobile", "Email", "Phone"] {
                        out.el(k, &field(k));
                    }
                    out.el("IsDeleted", "Yes");
                    out.close("Contact");
                },
                |m| {
                    let opt = |k: &str| c.fields.get(k).cloned();
                    m.insert(
                        "contact".into(),
                        json!({
                            "uuid": c.uuid.to_string(), "name": opt("Name"), "salutation": opt("Salutation"),
                            "addressee": opt("Addressee"), "mobile": opt("Mobile"), "email": opt("Email"),
                            "phone": opt("Phone"), "isDeleted": "Yes",
                        }),
                    );
                },
            )
        }
    }
}

/// `POST client/{id}/contacts`: links existing contacts to the client.
pub async fn link(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Path(client): Path<String>,
    body: Bytes,
) -> Response {
    let a = Answer::new(&headers, "AddContacts");
    let Ok(client) = Uuid::parse_str(&client) else {
        return a.error(&sh, "Client not found");
    };
    let doc = match read_doc(&headers, &body, "Client") {
        Ok(d) => d,
        Err(e) => return a.error(&sh, &e),
    };
    let now = sh.clock.now();
    let mut st = sh.lock();
    let SimState { orgs, version, .. } = &mut *st;
    let Some(org) = orgs.get_mut(&ctx.tenant) else {
        return a.error(&sh, "Organisation not found");
    };
    match ops::link(org, now, client, &doc) {
        Err(e) => a.error(&sh, &e.0),
        Ok(ids) => {
            *version += 1;
            let linked: Vec<(String, String, String)> = ids
                .iter()
                .filter_map(|id| ops::find(org, *id, Some(client)))
                .map(|(_, c)| {
                    let f = |k: &str| c.fields.get(k).cloned().unwrap_or_default();
                    (
                        c.uuid.to_string(),
                        f("Position"),
                        if f("IsPrimary").is_empty() {
                            "No".into()
                        } else {
                            f("IsPrimary")
                        },
                    )
                })
                .collect();
            a.ok(
                |out| {
                    out.open("Client");
                    out.el("UUID", &client.to_string());
                    out.open("Contacts");
                    for (id, position, primary) in &linked {
                        out.open("Contact");
                        out.el("UUID", id);
                        out.el("Position", position);
                        out.el("IsPrimary", primary);
                        out.close("Contact");
                    }
                    out.close("Contacts");
                    out.close("Client");
                },
                |m| {
                    let contacts: Vec<Value> = linked
                        .iter()
                        .map(|(id, position, primary)| {
                            json!({ "uuid": id, "position": if position.is_empty() { None } else { Some(position) }, "isPrimary": primary })
                        })
                        .collect();
                    m.insert("client".into(), json!({ "uuid": client.to_string(), "contacts": contacts }));
                },
            )
        }
    }
}
