//! Clients with their Sync buttons, and one client's page: what a Sync
//! would do (preview), look-alikes to choose from, and a Sync's result.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::activity::ActivityEntry;
use domain::client::{Client, ClientStatus};
use domain::ids::{ClientId, XpmClientUuid};
use domain::practice::Role;
use domain::sync::{ClientStep, FirstSyncDecision, ManualSyncRequest, RelationshipStep};
use domain::usecases::{SyncOutcome, SyncPreview};
use serde::Deserialize;

use crate::api::client_dto::status_name;
use crate::api::problem::Problem;
use crate::auth::PageUser;
use crate::present::{client_step, describe, describe_named, is_failure, relationship_step, when};
use crate::state::{AppState, AppStore};
use crate::web::{Nav, database_unavailable, forged, is_store_unavailable, message_page, render};

pub struct ClientRow {
    id: String,
    name: String,
    status: &'static str,
    active: bool,
    last_sync: Option<String>,
    last_result: Option<String>,
    last_failed: bool,
}

#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage {
    nav: Option<Nav>,
    clients: Vec<ClientRow>,
    sync_available: bool,
    status: &'static str,
    is_admin: bool,
    csrf: String,
}

pub async fn list<S: AppStore>(State(state): State<AppState<S>>, page: PageUser) -> Response {
    match list_page(&state, &page).await {
        Ok(view) => render(&view),
        Err(e) if e.is_store_unavailable() => {
            database_unavailable(Nav::of(&page), &e.logged_only.unwrap_or(e.detail.into()))
        }
        Err(e) => message_page(
            e.status,
            Nav::of(&page),
            "Clients unavailable",
            &e.detail,
            "/",
        ),
    }
}

async fn list_page<S: AppStore>(
    state: &AppState<S>,
    page: &PageUser,
) -> Result<ClientsPage, Problem> {
    let practice = page.user.practice;
    let mut clients = state.app.list_clients(practice, page.user.id).await?;
    clients.sort_by(|a, b| {
        a.details
            .name
            .as_str()
            .to_lowercase()
            .cmp(&b.details.name.as_str().to_lowercase())
    });
    let connection = state.store().connection(practice).await?;
    // Two reads for the whole list, not two per client.
    let last_synced: HashMap<ClientId, _> = match connection.organisation() {
        Some(o) => state
            .store()
            .records_in(practice, o.tenant)
            .await?
            .into_iter()
            .map(|r| (r.client, r.last_synced_at))
            .collect(),
        None => HashMap::new(),
    };
    let newest: HashMap<ClientId, ActivityEntry> = state
        .store()
        .newest_per_client(practice)
        .await?
        .into_iter()
        .filter_map(|e| Some((e.client?, e)))
        .collect();
    let rows = clients
        .iter()
        .filter(|c| c.status != ClientStatus::Deleted)
        .map(|c| {
            let last = newest.get(&c.id);
            ClientRow {
                id: c.id.to_string(),
                name: c.details.name.to_string(),
                status: status_name(c.status),
                active: c.is_active(),
                last_sync: last_synced.get(&c.id).map(|at| when(*at)),
                last_result: last.map(|e| describe(&e.kind)),
                last_failed: last.is_some_and(|e| is_failure(&e.kind)),
            }
        })
        .collect();
    Ok(ClientsPage {
        nav: Nav::of(page),
        clients: rows,
        sync_available: connection.sync_target().is_ok(),
        status: connection.status().label(),
        is_admin: page.user.role == Role::Admin,
        csrf: page.session.csrf.clone(),
    })
}

pub struct LookAlikeRow {
    uuid: String,
    name: String,
    email: String,
    business_number: String,
}

pub struct RelationshipRow {
    related: String,
    kind: String,
    action: String,
    skipped: bool,
}

pub struct FieldRow {
    field: String,
    pm_hub: String,
    xpm_now: String,
    will_write: bool,
    changed_in_xpm: bool,
}

pub struct PreviewSection {
    client_step: String,
    look_alikes: Vec<LookAlikeRow>,
    relationships: Vec<RelationshipRow>,
    fields: Vec<FieldRow>,
    can_sync: bool,
}

pub struct OutcomeSection {
    complete: bool,
    waited: bool,
    lines: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage {
    nav: Option<Nav>,
    id: String,
    name: String,
    status: &'static str,
    csrf: String,
    preview: Option<PreviewSection>,
    outcome: Option<OutcomeSection>,
    error: Option<String>,
}

async fn client_page<S: AppStore>(
    state: &AppState<S>,
    page: &PageUser,
    client: &Client,
    outcome: Option<&SyncOutcome>,
    error: Option<String>,
) -> ClientPage {
    let mut view = ClientPage {
        nav: Nav::of(page),
        id: client.id.to_string(),
        name: client.details.name.to_string(),
        status: status_name(client.status),
        csrf: page.session.csrf.clone(),
        preview: None,
        outcome: None,
        error,
    };
    if let Some(o) = outcome {
        let labels = crate::web::association_labels(state, &page.user, &[client.id]).await;
        let name = |id| {
            labels
                .get(&id)
                .map_or_else(|| crate::present::by_id(id), |l| l.sentence())
        };
        view.outcome = Some(OutcomeSection {
            complete: o.is_complete(),
            waited: o.waited_for_another_sync,
            lines: o
                .entries
                .iter()
                .map(|e| (describe_named(&e.kind, &name), is_failure(&e.kind)))
                .collect(),
        });
    }
    if !client.is_active() {
        view.error.get_or_insert_with(|| {
            "This client is not active in PM Hub: it is not synced, and XPM keeps what it has."
                .into()
        });
        return view;
    }
    let request = match ManualSyncRequest::new(&page.user, page.user.practice, client.id, None) {
        Ok(r) => r,
        Err(e) => {
            view.error = Some(e.to_string());
            return view;
        }
    };
    match state.app.preview_sync(&request).await {
        Ok(preview) => view.preview = Some(preview_section(state, page, client, &preview).await),
        Err(e) if view.error.is_none() => view.error = Some(format!("No preview: {e}")),
        Err(_) => {}
    }
    view
}

async fn preview_section<S: AppStore>(
    state: &AppState<S>,
    page: &PageUser,
    client: &Client,
    preview: &SyncPreview,
) -> PreviewSection {
    let labels = crate::web::association_labels(state, &page.user, &[client.id]).await;
    let relationships = preview
        .plan
        .relationships
        .iter()
        .map(|step| {
            let label = labels.get(&step.association());
            RelationshipRow {
                related: label.map_or_else(|| "?".into(), |l| l.related.clone()),
                kind: label.map_or_else(|| "?".into(), |l| l.kind.clone()),
                action: relationship_step(step),
                skipped: matches!(step, RelationshipStep::Skipped { .. }),
            }
        })
        .collect();
    let look_alikes = match &preview.plan.client {
        ClientStep::NeedsDecision { look_alikes } => look_alikes
            .iter()
            .map(|l| LookAlikeRow {
                uuid: l.xpm_client.to_string(),
                name: l.name.clone(),
                email: l.email.clone().unwrap_or_default(),
                business_number: l.business_number.clone().unwrap_or_default(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let fields = crate::preview::fields(preview)
        .unwrap_or_default()
        .into_iter()
        .map(|f| FieldRow {
            // A tax number is shown as XPM shows it: its last digits only.
            pm_hub: match (f.field.as_str(), f.pm_hub) {
                ("TaxNumber", Some(t)) => format!(
                    "******{}",
                    t.chars()
                        .rev()
                        .take(3)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<String>()
                ),
                (_, value) => value.unwrap_or_default(),
            },
            field: f.field,
            xpm_now: f.xpm_now.unwrap_or_else(|| "—".into()),
            will_write: f.will_write,
            changed_in_xpm: f.changed_in_xpm,
        })
        .collect();
    PreviewSection {
        client_step: client_step(&preview.plan.client),
        can_sync: look_alikes.is_empty(),
        look_alikes,
        relationships,
        fields,
    }
}

async fn load_client<S: AppStore>(
    state: &AppState<S>,
    page: &PageUser,
    raw: &str,
) -> Result<Client, Response> {
    let not_found = || {
        message_page(
            StatusCode::NOT_FOUND,
            Nav::of(page),
            "No such client",
            "This client does not exist in your practice.",
            "/clients",
        )
    };
    let id: ClientId = raw.parse().map_err(|_| not_found())?;
    state
        .app
        .get_client(page.user.practice, page.user.id, id)
        .await
        .map_err(|e| {
            if is_store_unavailable(&e) {
                database_unavailable(Nav::of(page), &e)
            } else {
                not_found()
            }
        })
}

pub async fn show<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Path(client): Path<String>,
) -> Response {
    let client = match load_client(&state, &page, &client).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    render(&client_page(&state, &page, &client, None, None).await)
}

#[derive(Debug, Deserialize)]
pub struct SyncForm {
    csrf: String,
    /// `link:<XPM client UUID>` or `create`, only after look-alikes were found.
    decision: Option<String>,
}

fn decision(raw: Option<&str>) -> Result<Option<FirstSyncDecision>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some("create") => Ok(Some(FirstSyncDecision::CreateNew)),
        Some(other) => other
            .strip_prefix("link:")
            .and_then(|u| u.parse::<XpmClientUuid>().ok())
            .map(|u| Some(FirstSyncDecision::LinkTo(u)))
            .ok_or_else(|| format!("`{other}` is not a choice this page offers")),
    }
}

/// The Sync button: one client, now, because this person asked.
pub async fn sync<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Path(client): Path<String>,
    Form(form): Form<SyncForm>,
) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    let client = match load_client(&state, &page, &client).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let decision = match decision(form.decision.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            return message_page(
                StatusCode::BAD_REQUEST,
                Nav::of(&page),
                "Not synced",
                &e,
                &format!("/clients/{}", client.id),
            );
        }
    };
    let request = match ManualSyncRequest::new(&page.user, page.user.practice, client.id, decision)
    {
        Ok(r) => r,
        Err(e) => {
            return message_page(
                StatusCode::FORBIDDEN,
                Nav::of(&page),
                "Not synced",
                &e.to_string(),
                "/clients",
            );
        }
    };
    let started = std::time::Instant::now();
    let result = state.app.sync_client(&request).await;
    crate::ops::record_sync(
        started.elapsed(),
        result.as_ref().is_ok_and(SyncOutcome::is_complete),
    );
    let (outcome, error, status) = match &result {
        Ok(o) => (Some(o), None, StatusCode::OK),
        Err(e) if is_store_unavailable(e) => {
            return database_unavailable(Nav::of(&page), e);
        }
        Err(e) => {
            // The API's status for the same error: 502 when XPM could not be
            // reached, 409 when the connection needs an administrator...
            let status = Problem::from(e.clone()).status;
            if status.is_server_error() {
                tracing::warn!(practice = %page.user.practice, client = %client.id, error = %e, "a Sync from the page failed");
            }
            (None, Some(format!("Not synced: {e}")), status)
        }
    };
    let mut response = render(&client_page(&state, &page, &client, outcome, error).await);
    *response.status_mut() = status;
    response
}
