//! Relationship endpoints: add, update, delete.

use super::auth::ApiCtx;
use super::render::{relationship_json, relationship_xml};
use super::wire::{Answer, read_doc};
use crate::practice::relationships as ops;
use crate::shared::Shared;
use crate::state::SimState;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Update,
    Delete,
}

async fn run(sh: Arc<Shared>, ctx: ApiCtx, headers: HeaderMap, body: Bytes, op: Op) -> Response {
    let method = match op {
        Op::Add => "AddRelationship",
        Op::Update => "UpdateRelationship",
        Op::Delete => "DeleteRelationship",
    };
    let a = Answer::new(&headers, method);
    let doc = match read_doc(&headers, &body, "Relationship") {
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
    let result = match op {
        Op::Add => ops::add(org, rng, now, &doc),
        Op::Update => ops::update(org, now, &doc),
        Op::Delete => ops::delete(org, now, &doc).map(|r| r.uuid),
    };
    match result {
        Err(e) => a.error(&sh, &e.0),
        Ok(id) => {
            *version += 1;
            match (op, org.relationships.get(&id)) {
                (Op::Delete, _) | (_, None) => a.ok(|_| {}, |_| {}),
                (_, Some(rel)) => a.ok(
                    |out| relationship_xml(out, org, rel),
                    |m| {
                        m.insert("clientRelationship".into(), relationship_json(org, rel));
                    },
                ),
            }
        }
    }
}

pub async fn add(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(sh, ctx, headers, body, Op::Add).await
}

pub async fn update(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(sh, ctx, headers, body, Op::Update).await
}

pub async fn delete(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(sh, ctx, headers, body, Op::Delete).await
}
