//! The JSON control API under `/_sim` (a prefix no XPM or Xero path uses).
//! Thin: each route parses, calls [`SimHandle`], and answers JSON. Errors are
//! `{"error": "not_found" | "invalid", "message": "..."}` with 404 / 400.

use crate::faults::FaultSpec;
use crate::handle::{ConnectRequest, ControlError, SimHandle};
use crate::journal::JournalFilter;
use crate::limits::LimitsConfig;
use crate::seed::Seed;
use crate::sim::Shared;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

type S = State<Arc<Shared>>;

fn handle(sh: &Arc<Shared>) -> SimHandle {
    SimHandle::new(sh.clone())
}

fn ok(v: impl serde::Serialize) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

fn fail(e: ControlError) -> Response {
    let status = match e {
        ControlError::NotFound(_) => StatusCode::NOT_FOUND,
        ControlError::Invalid(_) => StatusCode::BAD_REQUEST,
    };
    let message = match &e {
        ControlError::NotFound(m) | ControlError::Invalid(m) => m.clone(),
    };
    (
        status,
        axum::Json(json!({ "error": e.code(), "message": message })),
    )
        .into_response()
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ControlError> {
    serde_json::from_slice(bytes).map_err(|e| ControlError::Invalid(format!("request body: {e}")))
}

fn uuid(s: &str) -> Result<Uuid, ControlError> {
    Uuid::parse_str(s).map_err(|_| ControlError::Invalid(format!("'{s}' is not a UUID")))
}

fn result<T: serde::Serialize>(r: Result<T, ControlError>) -> Response {
    match r {
        Ok(v) => ok(v),
        Err(e) => fail(e),
    }
}

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim", get(index))
        .route("/_sim/reset", post(reset))
        .route("/_sim/seed", post(seed))
        .route("/_sim/orgs", get(orgs))
        .route("/_sim/orgs/{tenant}", get(org))
        .route("/_sim/orgs/{tenant}/clients", post(add_client))
        .route(
            "/_sim/orgs/{tenant}/clients/{uuid}",
            patch(edit_client).get(get_client),
        )
        .route(
            "/_sim/orgs/{tenant}/clients/{uuid}/archive",
            post(archive_client),
        )
        .route(
            "/_sim/orgs/{tenant}/clients/{uuid}/delete",
            post(delete_client),
        )
        .route(
            "/_sim/orgs/{tenant}/clients/{uuid}/merge-into/{into}",
            post(merge_client),
        )
        .route(
            "/_sim/orgs/{tenant}/custom-fields",
            get(custom_fields).post(add_custom_field),
        )
        .route(
            "/_sim/orgs/{tenant}/clients/{uuid}/custom-fields",
            get(client_custom_fields).patch(set_client_custom_fields),
        )
        .route(
            "/_sim/orgs/{tenant}/relationships",
            post(add_relationship).patch(update_relationship),
        )
        .route(
            "/_sim/orgs/{tenant}/relationships/{id}",
            delete(delete_relationship),
        )
        .route("/_sim/journal", get(journal).delete(clear_journal))
        .route(
            "/_sim/faults",
            get(faults).post(add_fault).delete(clear_faults),
        )
        .route("/_sim/faults/{id}", delete(remove_fault))
        .route("/_sim/tokens/expire", post(expire_tokens))
        .route("/_sim/connections", get(connections))
        .route("/_sim/connections/revoke", post(revoke))
        .route("/_sim/connect", post(connect))
        .route("/_sim/clock", get(clock))
        .route("/_sim/clock/advance", post(advance))
        .route("/_sim/clock/set", post(set_clock))
        .route("/_sim/limits", get(limits).put(set_limits))
        .route("/_sim/{*rest}", axum::routing::any(not_found))
}

async fn index(State(sh): S) -> Response {
    let base = sh.base_url();
    ok(json!({
        "xpm": format!("{base}/practicemanager/3.1"),
        "authorize": format!("{base}/identity/connect/authorize"),
        "token": format!("{base}/connect/token"),
        "revocation": format!("{base}/connect/revocation"),
        "connections": format!("{base}/connections"),
        "ui": format!("{base}/_sim/ui"),
    }))
}

async fn not_found() -> Response {
    fail(ControlError::NotFound("no such control endpoint".into()))
}

async fn reset(State(sh): S, bytes: Bytes) -> Response {
    let h = handle(&sh);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        h.reset();
        return ok(json!({ "reset": true }));
    }
    result(body::<Seed>(&bytes).and_then(|seed| h.reset_to(seed)))
}

async fn seed(State(sh): S, bytes: Bytes) -> Response {
    result(body::<Seed>(&bytes).and_then(|seed| handle(&sh).seed(&seed)))
}

async fn orgs(State(sh): S) -> Response {
    ok(handle(&sh).orgs())
}

async fn org(State(sh): S, Path(tenant): Path<String>) -> Response {
    result(uuid(&tenant).and_then(|t| handle(&sh).org_state(t)))
}

async fn get_client(State(sh): S, Path((tenant, id)): Path<(String, String)>) -> Response {
    result(uuid(&tenant).and_then(|t| handle(&sh).client(t, uuid(&id)?)))
}

async fn add_client(State(sh): S, Path(tenant): Path<String>, bytes: Bytes) -> Response {
    result(uuid(&tenant).and_then(|t| handle(&sh).add_client(t, &body::<Value>(&bytes)?)))
}

async fn edit_client(
    State(sh): S,
    Path((tenant, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    result(
        uuid(&tenant).and_then(|t| handle(&sh).edit_client(t, uuid(&id)?, &body::<Value>(&bytes)?)),
    )
}

async fn archive_client(State(sh): S, Path((tenant, id)): Path<(String, String)>) -> Response {
    result(
        uuid(&tenant)
            .and_then(|t| handle(&sh).archive_client(t, uuid(&id)?))
            .map(|_| json!({ "archived": true })),
    )
}

async fn delete_client(State(sh): S, Path((tenant, id)): Path<(String, String)>) -> Response {
    result(
        uuid(&tenant)
            .and_then(|t| handle(&sh).delete_client(t, uuid(&id)?))
            .map(|_| json!({ "deleted": true })),
    )
}

async fn merge_client(
    State(sh): S,
    Path((tenant, id, into)): Path<(String, String, String)>,
) -> Response {
    result(
        uuid(&tenant)
            .and_then(|t| handle(&sh).merge_client(t, uuid(&id)?, uuid(&into)?))
            .map(|_| json!({ "merged": true })),
    )
}

async fn custom_fields(State(sh): S, Path(tenant): Path<String>) -> Response {
    result(uuid(&tenant).and_then(|t| handle(&sh).custom_fields(t)))
}

async fn add_custom_field(State(sh): S, Path(tenant): Path<String>, bytes: Bytes) -> Response {
    result(uuid(&tenant).and_then(|t| handle(&sh).add_custom_field(t, &body::<Value>(&bytes)?)))
}

async fn client_custom_fields(
    State(sh): S,
    Path((tenant, id)): Path<(String, String)>,
) -> Response {
    result(uuid(&tenant).and_then(|t| handle(&sh).client_custom_fields(t, uuid(&id)?)))
}

async fn set_client_custom_fields(
    State(sh): S,
    Path((tenant, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    result(
        uuid(&tenant).and_then(|t| {
            handle(&sh).set_client_custom_fields(t, uuid(&id)?, &body::<Value>(&bytes)?)
        }),
    )
}

async fn add_relationship(State(sh): S, Path(tenant): Path<String>, bytes: Bytes) -> Response {
    result(uuid(&tenant).and_then(|t| handle(&sh).add_relationship(t, &body::<Value>(&bytes)?)))
}

async fn update_relationship(State(sh): S, Path(tenant): Path<String>, bytes: Bytes) -> Response {
    result(uuid(&tenant).and_then(|t| handle(&sh).update_relationship(t, &body::<Value>(&bytes)?)))
}

async fn delete_relationship(State(sh): S, Path((tenant, id)): Path<(String, String)>) -> Response {
    result(
        uuid(&tenant)
            .and_then(|t| handle(&sh).delete_relationship(t, uuid(&id)?))
            .map(|_| json!({ "deleted": true })),
    )
}

fn time_param(
    q: &HashMap<String, String>,
    k: &str,
) -> Result<Option<OffsetDateTime>, ControlError> {
    q.get(k)
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339)
                .map_err(|_| ControlError::Invalid(format!("{k} must be an RFC 3339 time")))
        })
        .transpose()
}

fn num_param<T: std::str::FromStr>(
    q: &HashMap<String, String>,
    k: &str,
) -> Result<Option<T>, ControlError> {
    q.get(k)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| ControlError::Invalid(format!("{k} must be a number")))
        })
        .transpose()
}

fn journal_filter(q: &HashMap<String, String>) -> Result<JournalFilter, ControlError> {
    Ok(JournalFilter {
        since: time_param(q, "since")?,
        until: time_param(q, "until")?,
        method: q.get("method").cloned(),
        path: q.get("path").cloned(),
        tenant: q.get("tenant").cloned(),
        status: num_param(q, "status")?,
        request_contains: q.get("request_contains").cloned(),
        response_contains: q.get("response_contains").cloned(),
        limit: num_param(q, "limit")?,
    })
}

async fn journal(State(sh): S, Query(q): Query<HashMap<String, String>>) -> Response {
    result(journal_filter(&q).map(|f| handle(&sh).journal(&f)))
}

async fn clear_journal(State(sh): S) -> Response {
    handle(&sh).clear_journal();
    ok(json!({ "cleared": true }))
}

async fn faults(State(sh): S) -> Response {
    ok(handle(&sh).faults())
}

async fn add_fault(State(sh): S, bytes: Bytes) -> Response {
    result(body::<FaultSpec>(&bytes).map(|spec| json!({ "id": handle(&sh).add_fault(spec) })))
}

async fn clear_faults(State(sh): S) -> Response {
    handle(&sh).clear_faults();
    ok(json!({ "cleared": true }))
}

async fn remove_fault(State(sh): S, Path(id): Path<String>) -> Response {
    let r = id
        .parse::<u64>()
        .map_err(|_| ControlError::Invalid("fault id must be a number".into()))
        .and_then(|id| handle(&sh).remove_fault(id))
        .map(|_| json!({ "removed": true }));
    result(r)
}

async fn expire_tokens(State(sh): S) -> Response {
    ok(json!({ "expired": handle(&sh).expire_all_tokens() }))
}

async fn connections(State(sh): S) -> Response {
    ok(handle(&sh).connections())
}

#[derive(Debug, Deserialize)]
struct RevokeBody {
    tenant_id: Uuid,
    #[serde(default)]
    client_id: Option<String>,
}

async fn revoke(State(sh): S, bytes: Bytes) -> Response {
    result(
        body::<RevokeBody>(&bytes)
            .map(|b| json!({ "revoked": handle(&sh).revoke_connection(b.tenant_id, b.client_id.as_deref()) })),
    )
}

async fn connect(State(sh): S, bytes: Bytes) -> Response {
    result(body::<ConnectRequest>(&bytes).and_then(|r| handle(&sh).connect(&r)))
}

fn clock_json(h: &SimHandle) -> Value {
    json!({ "now": h.now().format(&Rfc3339).unwrap_or_default() })
}

async fn clock(State(sh): S) -> Response {
    ok(clock_json(&handle(&sh)))
}

#[derive(Debug, Deserialize)]
struct AdvanceBody {
    seconds: i64,
}

async fn advance(State(sh): S, bytes: Bytes) -> Response {
    let h = handle(&sh);
    result(body::<AdvanceBody>(&bytes).and_then(|b| {
        h.try_advance_clock(Duration::seconds(b.seconds))?;
        Ok(clock_json(&h))
    }))
}

#[derive(Debug, Deserialize)]
struct SetBody {
    #[serde(with = "time::serde::rfc3339")]
    now: OffsetDateTime,
}

async fn set_clock(State(sh): S, bytes: Bytes) -> Response {
    let h = handle(&sh);
    result(body::<SetBody>(&bytes).and_then(|b| {
        h.try_set_clock(b.now)?;
        Ok(clock_json(&h))
    }))
}

async fn limits(State(sh): S) -> Response {
    ok(handle(&sh).limits())
}

async fn set_limits(State(sh): S, bytes: Bytes) -> Response {
    let h = handle(&sh);
    result(body::<LimitsConfig>(&bytes).inspect(|&l| {
        h.set_limits(l);
    }))
}
