//! Custom field endpoints: the organisation's definitions
//! (`customfield.api/definition`), and one client's values, read
//! (`client.api/get/{uuid}/customfield`) and written
//! (`client.api/update/{uuid}/customfield`), in XML or JSON.
//!
//! XML follows XPM's documentation: `<CustomFieldDefinitions>` of
//! `<CustomFieldDefinition>` (UUID, Name, Type, LinkUrl, Options, Use...
//! flags as `true`/`false`, ValueElement), and `<CustomFields>` of
//! `<CustomField>` (UUID, Name and one value element). JSON follows the
//! spec's DTOs (`CustomFieldDefinitionListResponseDto`,
//! `CustomFieldValueListResponseDto`, `StatusResponseDto`).

use super::auth::{ApiCtx, problem};
use super::wire::{Answer, read_doc};
use crate::practice::custom_fields as ops;
use crate::shared::Shared;
use crate::state::{CustomFieldDef, CustomFieldType, SimState};
use crate::xml::XmlOut;
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, put};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use uuid::Uuid;

/// The spec grants `customfield.api/definition` to these scopes only (not
/// to `practicemanager.client` or `practicemanager.client.read`).
const DEFINITION_SCOPES: &[&str] = &["practicemanager", "practicemanager.read"];

pub fn router() -> Router<Arc<Shared>> {
    let base = "/practicemanager/3.1";
    Router::new()
        .route(
            &format!("{base}/customfield.api/definition"),
            get(definitions),
        )
        .route(
            &format!("{base}/client.api/get/{{uuid}}/customfield"),
            get(client_values),
        )
        .route(
            &format!("{base}/client.api/update/{{uuid}}/customfield"),
            put(update_client_values),
        )
}

fn tf(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// The flags in the order the documentation lists them: (XML, JSON, value).
fn uses(d: &CustomFieldDef) -> [(&'static str, &'static str, bool); 8] {
    [
        ("UseClient", "useClient", d.use_client),
        ("UseContact", "useContact", d.use_contact),
        ("UseSupplier", "useSupplier", d.use_supplier),
        ("UseJob", "useJob", d.use_job),
        ("UseLead", "useLead", d.use_lead),
        ("UseJobTask", "useJobTask", d.use_job_task),
        ("UseJobCost", "useJobCost", d.use_job_cost),
        ("UseJobTime", "useJobTime", d.use_job_time),
    ]
}

/// Options as one text, an option per line (the spec types `options` as a
/// string; the separator is the sim's choice).
fn options_text(d: &CustomFieldDef) -> Option<String> {
    (!d.options.is_empty()).then(|| d.options.join("\n"))
}

fn definition_xml(out: &mut XmlOut, d: &CustomFieldDef) {
    out.open("CustomFieldDefinition");
    out.el("UUID", &d.uuid.to_string());
    out.el("Name", &d.name);
    out.el("Type", d.kind.name());
    out.el("LinkUrl", d.link_url.as_deref().unwrap_or(""));
    out.el("Options", &options_text(d).unwrap_or_default());
    for (xml, _, v) in uses(d) {
        out.el(xml, tf(v));
    }
    out.el("ValueElement", d.kind.value_element());
    out.close("CustomFieldDefinition");
}

fn definition_json(d: &CustomFieldDef) -> Value {
    let mut m = Map::new();
    m.insert("uuid".into(), d.uuid.to_string().into());
    m.insert("name".into(), d.name.clone().into());
    m.insert("type".into(), d.kind.name().into());
    m.insert(
        "linkUrl".into(),
        d.link_url.clone().map_or(Value::Null, Value::String),
    );
    m.insert(
        "options".into(),
        options_text(d).map_or(Value::Null, Value::String),
    );
    for (_, key, v) in uses(d) {
        m.insert(key.into(), v.into());
    }
    m.insert("valueElement".into(), d.kind.value_element().into());
    Value::Object(m)
}

/// A stored value as XPM answers it: a date with a time, as the
/// documentation shows (`2010-10-11T00:00:00`); the rest as stored.
fn shown(d: &CustomFieldDef, stored: &str) -> String {
    match d.kind {
        CustomFieldType::Date => format!("{stored}T00:00:00"),
        _ => stored.to_owned(),
    }
}

fn value_json(d: &CustomFieldDef, stored: &str) -> Value {
    let text = shown(d, stored);
    let (key, v) = match d.kind {
        CustomFieldType::Number => (
            "number",
            text.parse::<i64>().map_or(Value::Null, Value::from),
        ),
        CustomFieldType::Decimal => (
            "decimal",
            text.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
        ),
        CustomFieldType::Boolean => ("boolean", Value::Bool(text == "true")),
        CustomFieldType::Date => ("date", Value::String(text)),
        _ => ("text", Value::String(text)),
    };
    json!({ "uuid": d.uuid.to_string(), "name": d.name, key: v })
}

/// `GET customfield.api/definition`: every definition of the caller's organisation.
pub async fn definitions(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
) -> Response {
    if !ctx
        .scopes
        .iter()
        .any(|s| DEFINITION_SCOPES.contains(&s.as_str()))
    {
        return problem(&sh, StatusCode::UNAUTHORIZED, "AuthorizationUnsuccessful");
    }
    let a = Answer::new(&headers, "Definition");
    let st = sh.lock();
    let Some(org) = st.orgs.get(&ctx.tenant) else {
        return a.error(&sh, "Organisation not found");
    };
    let defs = ops::definitions(org);
    a.ok(
        |out| {
            if defs.is_empty() {
                out.el("CustomFieldDefinitions", "");
            } else {
                out.open("CustomFieldDefinitions");
                for d in &defs {
                    definition_xml(out, d);
                }
                out.close("CustomFieldDefinitions");
            }
        },
        |m| {
            m.insert(
                "customFieldDefinitions".into(),
                Value::Array(defs.iter().map(|d| definition_json(d)).collect()),
            );
        },
    )
}

fn client_id(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw).ok()
}

/// `GET client.api/get/{uuid}/customfield`: the client's fields that hold a value.
pub async fn client_values(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let a = Answer::new(&headers, "CustomField");
    let Some(id) = client_id(&id) else {
        return a.error(&sh, "Client not found");
    };
    let st = sh.lock();
    let Some(org) = st.orgs.get(&ctx.tenant) else {
        return a.error(&sh, "Organisation not found");
    };
    if org.live_client(id).is_none() {
        return a.error(&sh, "Client not found");
    }
    let values = ops::values_of(org, id);
    a.ok(
        |out| {
            if values.is_empty() {
                out.el("CustomFields", "");
            } else {
                out.open("CustomFields");
                for (d, v) in &values {
                    out.open("CustomField");
                    out.el("UUID", &d.uuid.to_string());
                    out.el("Name", &d.name);
                    out.el(d.kind.value_element(), &shown(d, v));
                    out.close("CustomField");
                }
                out.close("CustomFields");
            }
        },
        |m| {
            m.insert(
                "customFields".into(),
                Value::Array(values.iter().map(|(d, v)| value_json(d, v)).collect()),
            );
        },
    )
}

/// `PUT client.api/update/{uuid}/customfield`: writes the given values
/// (all or nothing); answers the Status only.
pub async fn update_client_values(
    State(sh): State<Arc<Shared>>,
    Extension(ctx): Extension<ApiCtx>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let a = Answer::new(&headers, "UpdateCustomField");
    let Some(id) = client_id(&id) else {
        return a.error(&sh, "Client not found");
    };
    let doc = match read_doc(&headers, &body, "CustomFields") {
        Ok(d) => d,
        Err(e) => return a.error(&sh, &e),
    };
    let inputs = match ops::parse_update(&doc) {
        Ok(i) => i,
        Err(e) => return a.error(&sh, &e.0),
    };
    let now = sh.clock.now();
    let mut st = sh.lock();
    let SimState { orgs, version, .. } = &mut *st;
    let Some(org) = orgs.get_mut(&ctx.tenant) else {
        return a.error(&sh, "Organisation not found");
    };
    match ops::write(org, now, id, &inputs) {
        Ok(()) => {
            *version += 1;
            a.ok(|_| {}, |_| {})
        }
        Err(e) => a.error(&sh, &e.0),
    }
}
