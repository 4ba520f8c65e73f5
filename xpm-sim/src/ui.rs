//! A server-rendered page for people (`/_sim/ui`): each organisation's
//! clients, relationships and custom fields as XPM shows them, connections, fault rules,
//! the clock and the journal, with buttons for the common interventions.

use crate::control::SimHandle;
use crate::fields::mask_tax_number;
use crate::form;
use crate::ids::TenantId;
use crate::journal::JournalFilter;
use crate::practice::{clients, custom_fields, relationships};
use crate::shared::Shared;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use time::Duration;
use time::format_description::well_known::Rfc3339;

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/ui", get(page))
        .route("/_sim/ui/expire-tokens", post(expire))
        .route("/_sim/ui/revoke", post(revoke))
        .route("/_sim/ui/advance", post(advance))
        .route("/_sim/ui/clear-faults", post(clear_faults))
        .route("/_sim/ui/clear-journal", post(clear_journal))
        .route("/_sim/ui/reset", post(reset))
}

#[derive(Debug)]
struct ClientRow {
    name: String,
    uuid: String,
    structure: String,
    email: String,
    tax: String,
    status: String,
    relationships: Vec<String>,
    /// "Name: value" for each custom field holding a value.
    custom_fields: Vec<String>,
}

#[derive(Debug)]
struct FieldRow {
    name: String,
    uuid: String,
    kind: String,
    options: String,
    used_for: String,
}

#[derive(Debug)]
struct ConnRow {
    client_id: String,
    user_email: String,
    created: String,
    updated: String,
}

#[derive(Debug)]
struct OrgView {
    id: String,
    name: String,
    clients: Vec<ClientRow>,
    custom_fields: Vec<FieldRow>,
    connections: Vec<ConnRow>,
}

#[derive(Debug)]
struct JournalRow {
    id: u64,
    time: String,
    method: String,
    path: String,
    tenant: String,
    status: String,
    request: String,
    response: String,
}

#[derive(Template)]
#[template(path = "ui.html")]
struct UiPage {
    now: String,
    clock_mode: String,
    limits: String,
    orgs: Vec<OrgView>,
    users: Vec<(String, String)>,
    apps: Vec<(String, String, String, String)>,
    faults: Vec<(u64, String, u32)>,
    journal: Vec<JournalRow>,
}

fn short(s: &str) -> String {
    const MAX: usize = 600;
    if s.chars().count() > MAX {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        s.to_string()
    }
}

async fn page(State(sh): State<Arc<Shared>>) -> Response {
    let h = SimHandle::new(sh.clone());
    let conns = h.connections();
    let (orgs, limits, faults, users, apps) = {
        let st = sh.lock();
        let users = st
            .users
            .values()
            .map(|u| {
                let roles: Vec<String> = u
                    .memberships
                    .iter()
                    .map(|m| {
                        let org = st.orgs.get(&m.org).map(|o| o.name.as_str()).unwrap_or("?");
                        let role = match (m.admin, m.third_party_access) {
                            (true, true) => "admin, may connect apps",
                            (true, false) => "admin without 3rd-party access",
                            _ => "staff",
                        };
                        format!("{org} ({role})")
                    })
                    .collect();
                (format!("{} <{}>", u.name, u.email), roles.join("; "))
            })
            .collect();
        let apps = st
            .apps
            .values()
            .map(|a| {
                (
                    a.client_id.clone(),
                    a.name.clone(),
                    a.redirect_uris.join(" "),
                    if a.client_secret.is_some() {
                        "confidential".to_string()
                    } else {
                        "PKCE only".to_string()
                    },
                )
            })
            .collect();
        let orgs: Vec<OrgView> = st
            .orgs
            .values()
            .map(|o| OrgView {
                id: o.id.to_string(),
                name: o.name.clone(),
                clients: clients::listed(o)
                    .into_iter()
                    .map(|c| ClientRow {
                        name: c.name().to_string(),
                        uuid: c.uuid.to_string(),
                        structure: c.field("BusinessStructure").unwrap_or("").to_string(),
                        email: c.field("Email").unwrap_or("").to_string(),
                        tax: c
                            .field("TaxNumber")
                            .map(mask_tax_number)
                            .unwrap_or_default(),
                        status: if c.archived {
                            "Archived".into()
                        } else {
                            "Active".into()
                        },
                        relationships: relationships::of_client(o, c.uuid.into())
                            .into_iter()
                            .map(|side| {
                                let other = o
                                    .clients
                                    .get(&side.related)
                                    .map(|c| c.name())
                                    .unwrap_or("?");
                                let mut s = format!("{} {}", side.kind, other);
                                if let Some(n) = side.rel.number_of_shares {
                                    s.push_str(&format!(" ({n} shares)"));
                                }
                                s
                            })
                            .collect(),
                        custom_fields: custom_fields::values_of(o, c.uuid.into())
                            .into_iter()
                            .map(|(d, v)| format!("{}: {v}", d.name))
                            .collect(),
                    })
                    .collect(),
                custom_fields: custom_fields::definitions(o)
                    .into_iter()
                    .map(|d| FieldRow {
                        name: d.name.clone(),
                        uuid: d.uuid.to_string(),
                        kind: d.kind.name().to_owned(),
                        options: d.options.join(", "),
                        used_for: [
                            (d.use_client, "clients"),
                            (d.use_contact, "contacts"),
                            (d.use_supplier, "suppliers"),
                            (d.use_job, "jobs"),
                            (d.use_lead, "leads"),
                            (d.use_job_task, "job tasks"),
                            (d.use_job_cost, "job costs"),
                            (d.use_job_time, "job time"),
                        ]
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, what)| *what)
                        .collect::<Vec<_>>()
                        .join(", "),
                    })
                    .collect(),
                connections: conns
                    .iter()
                    .filter(|c| *c.tenant_id.as_uuid() == o.id)
                    .map(|c| ConnRow {
                        client_id: c.client_id.clone(),
                        user_email: c.user_email.clone(),
                        created: c.created.clone(),
                        updated: c.updated.clone(),
                    })
                    .collect(),
            })
            .collect();
        let l = st.limits;
        let limits = if l.enabled {
            format!(
                "{} concurrent, {}/minute, {}/day per practice; {}/minute per app",
                l.concurrent, l.per_minute, l.per_day, l.app_per_minute
            )
        } else {
            "off".into()
        };
        let faults = st
            .faults
            .iter()
            .map(|f| {
                (
                    f.id,
                    serde_json::to_string(&f.spec).unwrap_or_default(),
                    f.fired,
                )
            })
            .collect();
        (orgs, limits, faults, users, apps)
    };
    let mut journal = h.journal(&JournalFilter {
        limit: Some(50),
        ..JournalFilter::default()
    });
    journal.reverse();
    let journal = journal
        .into_iter()
        .map(|j| JournalRow {
            id: j.id,
            time: j.time.format(&Rfc3339).unwrap_or_default(),
            method: j.method,
            path: j.path,
            tenant: j.tenant.unwrap_or_default(),
            status: match (j.status, j.dropped) {
                (Some(s), false) => s.to_string(),
                (Some(s), true) => format!("{s}, then dropped"),
                (None, _) => "dropped".into(),
            },
            request: short(&j.request_body),
            response: short(&j.response_body),
        })
        .collect();
    let page = UiPage {
        now: h.now().format(&Rfc3339).unwrap_or_default(),
        clock_mode: format!("{:?}", sh.clock.mode()).to_lowercase(),
        limits,
        orgs,
        users,
        apps,
        faults,
        journal,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response(),
    }
}

fn back() -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/_sim/ui"));
    resp
}

async fn expire(State(sh): State<Arc<Shared>>) -> Response {
    SimHandle::new(sh).expire_all_tokens();
    back()
}

async fn revoke(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let f = form::parse(&String::from_utf8_lossy(&body));
    match f.get("tenant_id").and_then(|t| t.parse::<TenantId>().ok()) {
        Some(t) => {
            SimHandle::new(sh).revoke_connection(t, None);
            back()
        }
        None => (StatusCode::BAD_REQUEST, "tenant_id is required").into_response(),
    }
}

async fn advance(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let f = form::parse(&String::from_utf8_lossy(&body));
    match f.get("seconds").and_then(|s| s.parse::<i64>().ok()) {
        Some(s) => {
            SimHandle::new(sh).advance_clock(Duration::seconds(s));
            back()
        }
        None => (StatusCode::BAD_REQUEST, "seconds is required").into_response(),
    }
}

async fn clear_faults(State(sh): State<Arc<Shared>>) -> Response {
    SimHandle::new(sh).clear_faults();
    back()
}

async fn clear_journal(State(sh): State<Arc<Shared>>) -> Response {
    SimHandle::new(sh).clear_journal();
    back()
}

async fn reset(State(sh): State<Arc<Shared>>) -> Response {
    SimHandle::new(sh).reset();
    back()
}
