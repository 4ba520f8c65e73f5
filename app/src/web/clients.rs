//! Clients with their Sync buttons, and one client's page: what a Sync
//! would do (preview), look-alikes to choose from, a Sync's result, the
//! choices once the linked XPM client is gone (create again, link to
//! another, unlink), and each association's terms to edit.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::client::{Client, ClientStatus};
use domain::ids::{AssociationId, ClientId, XpmClientUuid};
use domain::practice::Role;
use domain::sync::{ClientStep, FirstSyncDecision, ManualSyncRequest, RelationshipStep};
use domain::usecases::{ClientsOverview, SyncOutcome, SyncPreview};
use serde::Deserialize;

use crate::auth::PageUser;
use crate::input::parse_terms;
use crate::present::{
    change_values, client_step, describe, describe_named, gone, is_failure, match_keys,
    outcome_status, relationship_step, status_name, when,
};
use crate::problem::Problem;
use crate::state::{AppState, AppStore};
use crate::web::{
    AssociationLabel, Nav, database_unavailable, forged, is_store_unavailable, message_page, render,
};

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
    let ClientsOverview {
        mut clients,
        connection,
    } = state
        .app
        .clients_overview(page.user.practice, page.user.id)
        .await?;
    clients.sort_by_cached_key(|c| c.client.details.name.as_str().to_lowercase());
    let rows = clients
        .iter()
        .filter(|c| c.client.status != ClientStatus::Deleted)
        .map(|summary| {
            let (c, last) = (&summary.client, summary.newest.as_ref());
            ClientRow {
                id: c.id.to_string(),
                name: c.details.name.to_string(),
                status: status_name(c.status),
                active: c.is_active(),
                last_sync: summary.last_synced_at.map(when),
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
    company_number: String,
    client_code: String,
    /// "same name, same business number".
    matched_on: String,
    /// XPM's custom field holds another PM Hub client's id: whose it is.
    belongs_to_another: Option<String>,
}

pub struct RelationshipRow {
    related: String,
    kind: String,
    action: String,
    skipped: bool,
}

pub struct FieldRow {
    field: &'static str,
    pm_hub: String,
    xpm_now: String,
    /// "XPM now -> PM Hub" when the Sync overwrites it, "unchanged" otherwise.
    sync: String,
    will_write: bool,
    changed_in_xpm: bool,
}

pub struct GoneSection {
    xpm_client: String,
    message: String,
}

pub struct PreviewSection {
    client_step: String,
    /// What the Sync does with PM Hub's id in XPM's custom field, if anything.
    client_id: Option<String>,
    gone: Option<GoneSection>,
    look_alikes: Vec<LookAlikeRow>,
    /// A first sync found look-alikes: link or create.
    needs_decision: bool,
    relationships: Vec<RelationshipRow>,
    fields: Vec<FieldRow>,
    can_sync: bool,
    /// "Open in XPM": the client's page there, from XPM's answer.
    xpm_web_url: Option<String>,
}

pub struct OutcomeSection {
    complete: bool,
    waited: bool,
    /// The outcome in words when nothing was done (a choice is needed).
    message: Option<String>,
    lines: Vec<(String, bool)>,
}

/// One association of the client, with its terms in the edit form's text.
pub struct AssociationRow {
    id: String,
    related: String,
    kind: String,
    shares: String,
    percentage: String,
    start_date: String,
    end_date: String,
}

#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage {
    nav: Option<Nav>,
    id: String,
    name: String,
    status: &'static str,
    csrf: String,
    notice: Option<String>,
    preview: Option<PreviewSection>,
    outcome: Option<OutcomeSection>,
    associations: Vec<AssociationRow>,
    error: Option<String>,
}

async fn client_page<S: AppStore>(
    state: &AppState<S>,
    page: &PageUser,
    client: &Client,
    outcome: Option<&SyncOutcome>,
    error: Option<String>,
) -> ClientPage {
    let named = state
        .app
        .named_associations(page.user.practice, page.user.id, &[client.id])
        .await
        .unwrap_or_default();
    let labels: HashMap<AssociationId, AssociationLabel> = named
        .iter()
        .map(|a| (a.association.id(), AssociationLabel::of(a)))
        .collect();
    let associations = named
        .iter()
        .map(|a| {
            let label = &labels[&a.association.id()];
            let terms = a.association.terms();
            AssociationRow {
                id: a.association.id().to_string(),
                related: label.related.clone(),
                kind: label.kind.clone(),
                shares: terms
                    .shares
                    .map(|s| s.get().to_string())
                    .unwrap_or_default(),
                percentage: terms.percentage.map(|p| p.to_string()).unwrap_or_default(),
                start_date: terms.start_date.map(|d| d.to_string()).unwrap_or_default(),
                end_date: terms.end_date.map(|d| d.to_string()).unwrap_or_default(),
            }
        })
        .collect();
    let mut view = ClientPage {
        nav: Nav::of(page),
        id: client.id.to_string(),
        name: client.details.name.to_string(),
        status: status_name(client.status),
        csrf: page.session.csrf.clone(),
        notice: None,
        preview: None,
        outcome: None,
        associations,
        error,
    };
    if let Some(o) = outcome {
        let name = |id| {
            labels
                .get(&id)
                .map_or_else(|| crate::present::by_id(id), |l| l.sentence())
        };
        let (status, message) = outcome_status(o);
        view.outcome = Some(OutcomeSection {
            complete: o.is_complete(),
            waited: o.waited_for_another_sync,
            message: matches!(status, "gone_from_xpm" | "needs_decision").then_some(message),
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
        Ok(preview) => {
            view.preview = Some(preview_section(client, &preview, &labels));
        }
        Err(e) if view.error.is_none() => view.error = Some(format!("No preview: {e}")),
        Err(_) => {}
    }
    view
}

fn preview_section(
    client: &Client,
    preview: &SyncPreview,
    labels: &HashMap<AssociationId, AssociationLabel>,
) -> PreviewSection {
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
    let look_alikes = crate::present::look_alikes(&preview.plan.client)
        .iter()
        .map(|l| LookAlikeRow {
            uuid: l.xpm_client.to_string(),
            name: l.name.clone(),
            email: l.email.clone().unwrap_or_default(),
            business_number: l.business_number.clone().unwrap_or_default(),
            company_number: l.company_number.clone().unwrap_or_default(),
            client_code: l.client_code.clone().unwrap_or_default(),
            matched_on: match_keys(&l.matches(client)),
            belongs_to_another: crate::present::belongs_to_another(l, client),
        })
        .collect();
    let gone = match &preview.plan.client {
        ClientStep::GoneFromXpm {
            xpm_client, reason, ..
        } => Some(GoneSection {
            xpm_client: xpm_client.to_string(),
            message: format!(
                "{}. Nothing has been written to XPM, and nothing will be until you choose one of these.",
                gone(*xpm_client, *reason)
            ),
        }),
        _ => None,
    };
    let waits = preview.plan.client.awaits_a_person();
    let fields = preview
        .fields()
        .into_iter()
        .map(|f| FieldRow {
            field: f.name(),
            sync: match f.change() {
                Some(change) => change_values(&change),
                None if waits => "— (nothing until you choose)".into(),
                None => "unchanged".into(),
            },
            pm_hub: f.pm_hub.clone().unwrap_or_else(|| "—".into()),
            xpm_now: f.xpm_now.clone().unwrap_or_else(|| "—".into()),
            will_write: f.will_write,
            changed_in_xpm: f.changed_in_xpm,
        })
        .collect();
    PreviewSection {
        client_step: client_step(&preview.plan.client),
        client_id: preview
            .plan
            .client_id
            .as_ref()
            .and_then(crate::present::client_id_plan),
        needs_decision: matches!(preview.plan.client, ClientStep::NeedsDecision { .. }),
        can_sync: !preview.plan.client.awaits_a_person(),
        gone,
        look_alikes,
        relationships,
        fields,
        xpm_web_url: preview
            .xpm_now
            .as_ref()
            .and_then(|v| v.web_url.as_ref())
            .map(|u| u.as_str().to_owned()),
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

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    /// `unlinked` or `terms`, after those forms.
    done: Option<String>,
}

pub async fn show<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Path(client): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Response {
    let client = match load_client(&state, &page, &client).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let mut view = client_page(&state, &page, &client, None, None).await;
    view.notice = match query.done.as_deref() {
        Some("unlinked") => Some(
            "Unlinked. Nothing was changed in XPM. The next Sync asks whether to link this client to an XPM client or create it."
                .into(),
        ),
        Some("terms") => Some(
            "Terms saved in PM Hub. Nothing was synced: press Sync to write them on the XPM relationship."
                .into(),
        ),
        _ => None,
    };
    render(&view)
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

#[derive(Debug, Deserialize)]
pub struct UnlinkForm {
    csrf: String,
    confirm: Option<String>,
}

/// The Unlink button: PM Hub forgets the client's link to its XPM client
/// (after the person ticked the confirmation); XPM is not touched.
pub async fn unlink<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Path(client): Path<String>,
    Form(form): Form<UnlinkForm>,
) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    let client = match load_client(&state, &page, &client).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let back = format!("/clients/{}", client.id);
    if form.confirm.as_deref() != Some("yes") {
        return message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Nav::of(&page),
            "Not unlinked",
            "Unlinking needs a confirmation: tick the box, then press Unlink.",
            &back,
        );
    }
    match state
        .app
        .unlink_client(page.user.practice, page.user.id, client.id)
        .await
    {
        Ok(_) => Redirect::to(&format!("{back}?done=unlinked")).into_response(),
        Err(e) if is_store_unavailable(&e) => database_unavailable(Nav::of(&page), &e),
        Err(e) => {
            let problem = Problem::from(e);
            message_page(
                problem.status,
                Nav::of(&page),
                "Not unlinked",
                &problem.detail,
                &back,
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TermsForm {
    csrf: String,
    shares: Option<String>,
    percentage: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
}

/// An association's edit form: its terms change in PM Hub only; nothing syncs.
pub async fn update_terms<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Path((client, association)): Path<(String, String)>,
    Form(form): Form<TermsForm>,
) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    let client = match load_client(&state, &page, &client).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let back = format!("/clients/{}", client.id);
    let not_saved = |status: StatusCode, message: &str| {
        message_page(status, Nav::of(&page), "Terms not saved", message, &back)
    };
    let Ok(association) = association.parse::<AssociationId>() else {
        return not_saved(
            StatusCode::NOT_FOUND,
            "This association does not exist for this client.",
        );
    };
    let shares = match form
        .shares
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(raw) => match raw.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return not_saved(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("Shares: `{raw}` is not a whole number of shares."),
                );
            }
        },
    };
    let terms = match parse_terms(
        shares,
        form.percentage.as_deref(),
        filled(&form.start_date),
        filled(&form.end_date),
    ) {
        Ok(t) => t,
        Err(errors) => {
            return not_saved(
                StatusCode::UNPROCESSABLE_ENTITY,
                &Problem::invalid(errors).detail,
            );
        }
    };
    match state
        .app
        .update_association_terms(
            page.user.practice,
            page.user.id,
            client.id,
            association,
            terms,
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("{back}?done=terms")).into_response(),
        Err(e) if is_store_unavailable(&e) => database_unavailable(Nav::of(&page), &e),
        Err(e) => {
            let problem = Problem::from(e);
            not_saved(problem.status, &problem.detail)
        }
    }
}

/// A form's empty field is none (the API reads dates exactly: `null` for none).
fn filled(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|v| !v.is_empty())
}
