//! Integrations → Xero Practice Manager: the true status, Connect /
//! Reconnect, the OAuth callback, the choice among several organisations a
//! login granted, naming the organisation (Xero may give no name), and
//! Disconnect with its confirmation.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::activity::ActivityKind;
use domain::connection::{ConnectionState, ConnectionStatus, DisconnectConfirmation};
use domain::ports::{ActivityFilter, ActivityPage, XpmError};
use domain::practice::Role;
use domain::text::DisplayName;
use domain::usecases::{AuthorisationCallback, AuthorisationOutcome, ConnectionUseCaseError};
use serde::Deserialize;

use crate::auth::PageUser;
use crate::present::{describe, when};
use crate::state::{AppState, AppStore};
use crate::web::{Nav, forged, message_page, render};

#[derive(Template)]
#[template(path = "integration.html")]
struct IntegrationPage {
    nav: Option<Nav>,
    status: &'static str,
    status_class: String,
    organisation: Option<String>,
    /// Xero gave no name for it and no one has named it yet.
    unnamed: bool,
    /// While choosing: the organisations the latest login granted, (tenant id, name).
    choices: Vec<(String, String)>,
    connected_since: Option<String>,
    problem: Option<String>,
    /// What XPM last said is left of today's allowance, in words.
    allowance: Option<String>,
    notices: Vec<String>,
    warnings: Vec<String>,
    error: Option<String>,
    is_admin: bool,
    can_disconnect: bool,
    /// An organisation is on record that a person may name.
    can_name: bool,
    csrf: String,
    sim_url: Option<String>,
    id_field: IdFieldSection,
}

/// "PM Hub's client id in XPM": the setting and, for admins when connected, the choices.
#[derive(Debug, Default)]
struct IdFieldSection {
    /// The field chosen, by XPM's name; `None` when off.
    current: Option<String>,
    /// The field belongs to an organisation other than the connected one.
    elsewhere: bool,
    /// (field UUID, name, chosen now), read from XPM.
    choices: Vec<(String, String, bool)>,
    /// Why there is nothing to choose from, or what went wrong reading XPM.
    note: Option<String>,
    /// An admin asked to choose: the choices were read from XPM.
    choosing: bool,
}

fn integration_page<S>(
    state: &AppState<S>,
    page: &PageUser,
    connection: &ConnectionState,
) -> IntegrationPage {
    IntegrationPage {
        nav: Nav::of(page),
        status: connection.status().label(),
        status_class: format!("{:?}", connection.status()).to_lowercase(),
        organisation: connection.organisation().map(|o| o.name.to_string()),
        unnamed: connection.organisation().is_some_and(|o| o.is_unnamed())
            && connection.status() != ConnectionStatus::Choosing,
        choices: connection
            .choices()
            .iter()
            .map(|o| (o.tenant.to_string(), o.name.to_string()))
            .collect(),
        connected_since: connection.connected_since().map(when),
        problem: connection.problem().map(|p| p.as_str().to_owned()),
        allowance: None,
        notices: Vec::new(),
        warnings: Vec::new(),
        error: None,
        is_admin: page.user.role == Role::Admin,
        can_disconnect: matches!(
            connection,
            ConnectionState::Connected { .. }
                | ConnectionState::Expired { .. }
                | ConnectionState::Revoked { .. }
                | ConnectionState::Choosing { .. }
        ),
        can_name: connection.organisation().is_some()
            && connection.status() != ConnectionStatus::Choosing,
        csrf: page.session.csrf.clone(),
        sim_url: state.sim_url.clone(),
        id_field: IdFieldSection::default(),
    }
}

/// The setting as it stands, and (admins, connected) the fields to choose from.
async fn id_field_section<S: AppStore>(
    state: &AppState<S>,
    page: &PageUser,
    connection: &ConnectionState,
    choosing: bool,
) -> IdFieldSection {
    // The page measures the field against the connection it just checked with Xero.
    let chosen = state
        .app
        .client_id_field_setting(page.user.practice, page.user.id)
        .await
        .ok()
        .and_then(|s| s.current);
    let connected = connection.sync_target().ok().map(|t| t.tenant());
    let mut section = IdFieldSection {
        current: chosen.as_ref().map(|f| f.name.clone()),
        elsewhere: chosen
            .as_ref()
            .is_some_and(|f| connected.is_some_and(|t| t != f.tenant)),
        ..IdFieldSection::default()
    };
    if page.user.role != Role::Admin {
        return section;
    }
    section.choosing = choosing;
    if !choosing {
        return section;
    }
    if connected.is_none() {
        section.note = Some(
            "Connect to XPM to choose a field: the choices are read from the connected XPM organisation."
                .into(),
        );
        return section;
    }
    match state
        .app
        .client_id_field_choices(page.user.practice, page.user.id)
        .await
    {
        Ok(choices) => {
            section.choices = choices
                .fields
                .iter()
                .map(|f| {
                    let on = chosen.as_ref().is_some_and(|c| c.field == f.uuid);
                    (f.uuid.to_string(), f.name.clone(), on)
                })
                .collect();
            if section.choices.is_empty() {
                section.note = Some(
                    "The connected XPM organisation has no client custom field of type Text: an XPM administrator can add one in XPM's settings, then choose it here."
                        .into(),
                );
            }
        }
        Err(e) => {
            section.note = Some(format!(
                "XPM's custom fields could not be read just now ({e}); try again later."
            ));
        }
    }
    section
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    done: Option<String>,
    /// `choose`: read XPM's custom fields to offer them (one XPM call, so
    /// only when an admin asks, not on every view of the page).
    #[serde(rename = "id-field")]
    id_field: Option<String>,
}

/// The status is true, not cached: it asks Xero (refreshing the token if due).
pub async fn page<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Query(query): Query<PageQuery>,
) -> Response {
    let checked = state
        .app
        .check_connection(page.user.practice, page.user.id)
        .await;
    let (connection, unreachable, allowance) = match checked {
        Ok(c) => (c.state, c.unconfirmed, c.allowance),
        Err(e) if crate::web::is_store_unavailable(&e) => {
            return crate::web::database_unavailable(Nav::of(&page), &e);
        }
        Err(e) => {
            return message_page(
                StatusCode::SERVICE_UNAVAILABLE,
                Nav::of(&page),
                "Integration status unavailable",
                &e.to_string(),
                "/",
            );
        }
    };
    let mut view = integration_page(&state, &page, &connection);
    view.id_field = id_field_section(
        &state,
        &page,
        &connection,
        query.id_field.as_deref() == Some("choose"),
    )
    .await;
    view.allowance = allowance.map(|a| crate::present::allowance(&a));
    if let Some(e) = unreachable {
        tracing::warn!(practice = %page.user.practice, error = %e, "the status page could not reach Xero");
        view.warnings.push(match e {
            XpmError::RateLimited { .. } => format!(
                "This status could not be confirmed with Xero just now ({e}); it is the last one known."
            ),
            _ => format!(
                "XPM could not be reached just now, so this status is the last one known, not confirmed by Xero ({e}). \
                 Syncs fail until XPM can be reached again; nothing needs reconnecting for this."
            ),
        });
    }
    match query.done.as_deref() {
        Some("connected") if connection.sync_target().is_ok() => {
            view.notices.push(
                "Connected. Nothing has been synced: press Sync on a client to push it to XPM."
                    .into(),
            );
            // A reconnect to another organisation says so plainly.
            let filter = ActivityFilter {
                kinds: vec!["reconnected"],
                ..ActivityFilter::default()
            };
            if let Ok(entries) = state
                .app
                .read_activity(
                    page.user.practice,
                    page.user.id,
                    &filter,
                    ActivityPage {
                        after: None,
                        limit: 1,
                    },
                )
                .await
                && let Some(ActivityKind::Reconnected {
                    changed_organisation: true,
                    ..
                }) = entries.first().map(|e| &e.kind)
            {
                view.warnings.push(format!(
                    "{}. A Sync to the new organisation will look for matching clients there, or create them.",
                    describe(&entries[0].kind)
                ));
            }
        }
        Some("id-field") => view.notices.push(match &view.id_field.current {
            Some(name) => format!(
                "Saved. Syncs that create or link a client now write PM Hub's client id into XPM's custom field '{name}'."
            ),
            None => "Saved. PM Hub's client id is no longer written into an XPM custom field; the ids already there stay.".into(),
        }),
        Some("disconnected") if connection.status() == ConnectionStatus::Disconnected => view.notices.push(
            "Disconnected. Everything already synced stays in XPM; the activity log is still here."
                .into(),
        ),
        Some("named") => view.notices.push("Saved the organisation's name.".into()),
        _ => {}
    }
    render(&view)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Connect or Reconnect: off to Xero's login.
pub async fn connect<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    match state.app.connect(page.user.practice, page.user.id).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => message_page(
            StatusCode::FORBIDDEN,
            Nav::of(&page),
            "Cannot connect",
            &e.to_string(),
            "/integrations/xpm",
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Where Xero sends the administrator back.
pub async fn callback<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(oauth_state) = query.state else {
        return message_page(
            StatusCode::BAD_REQUEST,
            Nav::of(&page),
            "Xero's answer is incomplete",
            "The answer from Xero has no state. Start again with Connect.",
            "/integrations/xpm",
        );
    };
    let callback = match (query.code, query.error) {
        (_, Some(error)) => AuthorisationCallback::Error {
            error,
            description: query.error_description,
            state: oauth_state,
        },
        (Some(code), None) => AuthorisationCallback::Code {
            code,
            state: oauth_state,
        },
        (None, None) => {
            return message_page(
                StatusCode::BAD_REQUEST,
                Nav::of(&page),
                "Xero's answer is incomplete",
                "The answer from Xero has neither a code nor an error. Start again with Connect.",
                "/integrations/xpm",
            );
        }
    };
    match state
        .app
        .complete_authorisation(page.user.practice, callback)
        .await
    {
        Ok(AuthorisationOutcome::Connected(_)) => {
            Redirect::to("/integrations/xpm?done=connected").into_response()
        }
        // The integration page asks, for as long as the choice is pending.
        Ok(AuthorisationOutcome::ChooseOrganisation(_)) => {
            Redirect::to("/integrations/xpm").into_response()
        }
        Err(e) => {
            tracing::warn!(practice = %page.user.practice, error = %e, "Xero's login did not connect");
            let connection = state
                .app
                .stored_connection(page.user.practice, page.user.id)
                .await
                .unwrap_or(ConnectionState::NotConnected);
            let mut view = integration_page(&state, &page, &connection);
            view.error = Some(format!("{e}. Nothing was changed."));
            let mut response = render(&view);
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ChooseForm {
    csrf: String,
    tenant: String,
}

pub async fn choose<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Form(form): Form<ChooseForm>,
) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    let Ok(tenant) = form.tenant.parse() else {
        return message_page(
            StatusCode::BAD_REQUEST,
            Nav::of(&page),
            "Choose an organisation",
            "That is not an XPM organisation.",
            "/integrations/xpm",
        );
    };
    match state
        .app
        .choose_organisation(page.user.practice, page.user.id, tenant)
        .await
    {
        Ok(_) => Redirect::to("/integrations/xpm?done=connected").into_response(),
        Err(e) => message_page(
            StatusCode::BAD_REQUEST,
            Nav::of(&page),
            "Cannot connect",
            &e.to_string(),
            "/integrations/xpm",
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct NameForm {
    csrf: String,
    name: String,
}

/// Names the organisation as XPM shows it (Xero may give no name).
pub async fn name<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Form(form): Form<NameForm>,
) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    let name = match DisplayName::new(&form.name) {
        Ok(name) => name,
        Err(e) => {
            return message_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                Nav::of(&page),
                "Not named",
                &format!("{e}: type the organisation's name as XPM shows it."),
                "/integrations/xpm",
            );
        }
    };
    match state
        .app
        .name_organisation(page.user.practice, page.user.id, name)
        .await
    {
        Ok(_) => Redirect::to("/integrations/xpm?done=named").into_response(),
        Err(e) => message_page(
            match e {
                ConnectionUseCaseError::Permission(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::CONFLICT,
            },
            Nav::of(&page),
            "Not named",
            &e.to_string(),
            "/integrations/xpm",
        ),
    }
}

#[derive(Template)]
#[template(path = "disconnect.html")]
struct DisconnectPage {
    nav: Option<Nav>,
    csrf: String,
    organisation: String,
}

pub async fn confirm_disconnect<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
) -> Response {
    let connection = state
        .app
        .stored_connection(page.user.practice, page.user.id)
        .await
        .unwrap_or(ConnectionState::NotConnected);
    render(&DisconnectPage {
        nav: Nav::of(&page),
        csrf: page.session.csrf.clone(),
        organisation: connection
            .organisation()
            .map_or("XPM".into(), |o| o.name.to_string()),
    })
}

#[derive(Debug, Deserialize)]
pub struct DisconnectForm {
    csrf: String,
    confirm: Option<String>,
}

pub async fn disconnect<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Form(form): Form<DisconnectForm>,
) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    let confirmation =
        match DisconnectConfirmation::from_answer(form.confirm.as_deref() == Some("yes")) {
            Ok(c) => c,
            Err(e) => {
                return message_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Nav::of(&page),
                    "Not disconnected",
                    &format!("{e}: tick the box to confirm."),
                    "/integrations/xpm/disconnect",
                );
            }
        };
    match state
        .app
        .disconnect(page.user.practice, page.user.id, confirmation)
        .await
    {
        Ok(_) => Redirect::to("/integrations/xpm?done=disconnected").into_response(),
        Err(e) => message_page(
            StatusCode::CONFLICT,
            Nav::of(&page),
            "Not disconnected",
            &e.to_string(),
            "/integrations/xpm",
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct IdFieldForm {
    csrf: String,
    /// An XPM custom field's UUID; empty for off.
    field: String,
}

/// Chooses (or turns off) the XPM custom field where the Sync keeps PM Hub's client id.
pub async fn client_id_field<S: AppStore>(
    State(state): State<AppState<S>>,
    page: PageUser,
    Form(form): Form<IdFieldForm>,
) -> Response {
    if !page.session.csrf_matches(&form.csrf) {
        return forged(&page);
    }
    let field = match form.field.trim() {
        "" => None,
        raw => match raw.parse() {
            Ok(f) => Some(f),
            Err(_) => {
                return message_page(
                    StatusCode::BAD_REQUEST,
                    Nav::of(&page),
                    "Not saved",
                    "That is not an XPM custom field.",
                    "/integrations/xpm",
                );
            }
        },
    };
    match state
        .app
        .configure_client_id_field(page.user.practice, page.user.id, field)
        .await
    {
        Ok(_) => Redirect::to("/integrations/xpm?done=id-field").into_response(),
        Err(e) => message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Nav::of(&page),
            "Not saved",
            &e.to_string(),
            "/integrations/xpm",
        ),
    }
}
