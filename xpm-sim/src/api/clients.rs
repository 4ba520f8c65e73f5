//! Client endpoints: list, search, get, add, update, archive, delete.

use super::auth::ApiCtx;
use super::render::{client_json, client_json_with, client_xml, client_xml_with};
use super::wire::{Answer, read_doc};
use crate::practice::clients as ops;
use crate::shared::Shared;
use crate::state::{Org, SimState};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use time::PrimitiveDateTime;
use time::macros::format_description;
use uuid::Uuid;

type Params = Query<HashMap<String, String>>;

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn org_of<'a>(st: &'a SimState, ctx: &ApiCtx) -> Option<&'a Org> {
    st.orgs.get(&ctx.tenant)
}

fn list_answer(
    a: Answer,
    org: &Org,
    clients: &[&crate::state::Client],
    detailed: bool,
) -> Response {
    a.ok(
        |out| {
            if clients.is_empty() {
                out.el("Clients", "");
            } else {
                out.open("Clients");
                for c in clients {
                    client_xml(out, org, c, detailed);
                }
                out.close("Clients");
            }
        },
        |m| {
            let v: Vec<Value> = clients
                .iter()
                .map(|c| client_json(org, c, detailed))
                .collect();
            m.insert("clients".into(), Value::Array(v));
        },
    )
}

fn is_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("yes"))
}

pub async fn list(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let a = Answer::new(&headers, "List");
    let detailed = is_true(param(&q, "detailed"));
    let since = match param(&q, "modifiedsince") {
        None => None,
        Some(s) => {
            let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
            match PrimitiveDateTime::parse(s, &fmt) {
                Ok(t) => Some(t.assume_utc()),
                Err(_) => {
                    return a.error(&sh, "modifiedsince must be a date as yyyy-MM-ddTHH:mm:ss");
                }
            }
        }
    };
    let st = sh.lock();
    let Some(org) = org_of(&st, &ctx) else {
        return a.error(&sh, "Organisation not found");
    };
    let clients: Vec<_> = ops::listed(org)
        .into_iter()
        .filter(|c| since.is_none_or(|t| c.modified >= t))
        .collect();
    list_answer(a, org, &clients, detailed)
}

pub async fn search(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let a = Answer::new(&headers, "Search");
    let Some(query) = param(&q, "query").filter(|s| !s.trim().is_empty()) else {
        return a.error(&sh, "query is required");
    };
    let detailed = is_true(param(&q, "detailed"));
    let st = sh.lock();
    let Some(org) = org_of(&st, &ctx) else {
        return a.error(&sh, "Organisation not found");
    };
    let clients = ops::search(org, query);
    list_answer(a, org, &clients, detailed)
}

fn one_client(a: Answer, sh: &Shared, st: &SimState, ctx: &ApiCtx, id: Uuid) -> Response {
    let Some(org) = org_of(st, ctx) else {
        return a.error(sh, "Organisation not found");
    };
    let Some(c) = org.live_client(id) else {
        return a.error(sh, "Client not found");
    };
    a.ok(
        |out| client_xml(out, org, c, true),
        |m| {
            m.insert("client".into(), client_json(org, c, true));
        },
    )
}

pub async fn get(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let a = Answer::new(&headers, "Get");
    let Ok(id) = Uuid::parse_str(&id) else {
        return a.error(&sh, "Client not found");
    };
    let st = sh.lock();
    one_client(a, &sh, &st, &ctx, id)
}

/// Runs a client write against the caller's organisation and answers with the client.
fn write(
    sh: &Shared,
    ctx: &ApiCtx,
    a: Answer,
    headers: &HeaderMap,
    body: &Bytes,
    op: impl FnOnce(&mut SimState, Uuid, &crate::doc::Doc) -> Result<Uuid, String>,
    answer_client: bool,
) -> Response {
    let doc = match read_doc(headers, body, "Client") {
        Ok(d) => d,
        Err(e) => return a.error(sh, &e),
    };
    let mut st = sh.lock();
    if !st.orgs.contains_key(&ctx.tenant) {
        return a.error(sh, "Organisation not found");
    }
    match op(&mut st, ctx.tenant, &doc) {
        Ok(id) => {
            st.version += 1;
            if answer_client {
                one_client(a, sh, &st, ctx, id)
            } else {
                a.ok(|_| {}, |_| {})
            }
        }
        Err(e) => a.error(sh, &e),
    }
}

pub async fn add(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = sh.clock.now();
    let a = Answer::new(&headers, "Add");
    write(
        &sh,
        &ctx,
        a,
        &headers,
        &body,
        |st, tenant, doc| {
            let input = ops::parse(doc).map_err(|e| e.0)?;
            let SimState { orgs, rng, .. } = st;
            let org = orgs.get_mut(&tenant).ok_or("Organisation not found")?;
            ops::add(org, rng, now, input).map_err(|e| e.0)
        },
        true,
    )
}

pub async fn update(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = sh.clock.now();
    let a = Answer::new(&headers, "Update");
    write(
        &sh,
        &ctx,
        a,
        &headers,
        &body,
        |st, tenant, doc| {
            let input = ops::parse(doc).map_err(|e| e.0)?;
            let org = st.orgs.get_mut(&tenant).ok_or("Organisation not found")?;
            ops::update(org, now, input).map_err(|e| e.0)
        },
        true,
    )
}

pub async fn archive(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = sh.clock.now();
    let a = Answer::new(&headers, "Archive");
    // JSON answers the client (spec ClientResponseDto); XML only the Status (reference).
    let answer_client = a.json;
    write(
        &sh,
        &ctx,
        a,
        &headers,
        &body,
        |st, tenant, doc| {
            let org = st.orgs.get_mut(&tenant).ok_or("Organisation not found")?;
            ops::archive(org, now, doc.text("uuid")).map_err(|e| e.0)
        },
        answer_client,
    )
}

pub async fn delete(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = sh.clock.now();
    let a = Answer::new(&headers, "Delete");
    write(
        &sh,
        &ctx,
        a,
        &headers,
        &body,
        |st, tenant, doc| {
            let org = st.orgs.get_mut(&tenant).ok_or("Organisation not found")?;
            ops::delete(org, now, doc.text("uuid")).map_err(|e| e.0)
        },
        false,
    )
}

/// `GET paged-list?pageSize=&pageToken=`: active (not archived) clients, a page at a time.
pub async fn paged_list(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let a = Answer::new(&headers, "PagedList");
    let (size, offset) = match super::paging::params(&q) {
        Ok(p) => p,
        Err(msg) => return a.error_at(StatusCode::BAD_REQUEST, &msg),
    };
    let st = sh.lock();
    let Some(org) = org_of(&st, &ctx) else {
        return a.error(&sh, "Organisation not found");
    };
    let all: Vec<_> = ops::listed(org)
        .into_iter()
        .filter(|c| !c.archived)
        .collect();
    let page: Vec<_> = all.iter().skip(offset).take(size).copied().collect();
    let link = |o: usize| {
        format!(
            "{}/practicemanager/3.1/client.api/paged-list?pageSize={size}&pageToken={}",
            sh.base_url(),
            super::paging::token(o)
        )
    };
    let first = format!(
        "{}/practicemanager/3.1/client.api/paged-list?pageSize={size}",
        sh.base_url()
    );
    let next = (offset + size < all.len()).then(|| link(offset + size));
    a.ok(
        |out| {
            if page.is_empty() {
                out.el("Clients", "");
            } else {
                out.open("Clients");
                for c in &page {
                    client_xml_with(out, org, c, false, false);
                }
                out.close("Clients");
            }
            out.open("Pagination");
            out.open("Links");
            out.el("First", &first);
            out.el("Next", next.as_deref().unwrap_or(""));
            out.close("Links");
            out.close("Pagination");
        },
        |m| {
            let v: Vec<Value> = page
                .iter()
                .map(|c| client_json_with(org, c, false, false))
                .collect();
            m.insert("clients".into(), Value::Array(v));
            m.insert(
                "pagination".into(),
                serde_json::json!({ "links": { "first": first, "next": next } }),
            );
        },
    )
}
