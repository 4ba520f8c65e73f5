//! Xero identity: the authorise pages (login, consent, Allow/Deny as plain
//! HTML forms), the token endpoint (authorisation code with PKCE S256 and
//! client secret; refresh with rotation), revocation, and the connections
//! endpoint. Secrets never reach the logs or the journal.

use crate::api::auth::bearer;
use crate::form;
use crate::rng::{pkce_s256, token_hash};
use crate::shared::Shared;
use crate::state::{AuthCode, AuthSession, Connection, SimState};
use crate::tokens::{self, CODE_TTL, RefreshError};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post};
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::format_description;
use uuid::Uuid;

/// Scopes an app may ask for.
pub const KNOWN_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "practicemanager",
    "practicemanager.read",
    "practicemanager.client",
    "practicemanager.client.read",
    "practicemanager.job",
    "practicemanager.job.read",
    "practicemanager.staff",
    "practicemanager.staff.read",
    "practicemanager.time",
    "practicemanager.time.read",
];

/// What the consent page says each scope allows (the spec's scope descriptions).
fn scope_text(scope: &str) -> String {
    let text = match scope {
        "openid" => "Know who you are (your identity)",
        "profile" => "See your first name, last name, full name and Xero user id",
        "email" => "See your email address",
        "offline_access" => "Keep access when you are not using it",
        "practicemanager" => "View and manage your Practice Manager data",
        "practicemanager.read" => "View your Practice Manager data",
        "practicemanager.client" => "View and manage your Practice Manager client data",
        "practicemanager.client.read" => "View your Practice Manager client data",
        "practicemanager.job" => "View and manage your Practice Manager job data",
        "practicemanager.job.read" => "View your Practice Manager job data",
        "practicemanager.staff" => "View and manage your Practice Manager staff data",
        "practicemanager.staff.read" => "View your Practice Manager staff data",
        "practicemanager.time" => "View and manage your Practice Manager time data",
        "practicemanager.time.read" => "View your Practice Manager time data",
        other => other,
    };
    text.to_string()
}

/// Logins in progress kept at most.
const MAX_LOGIN_SESSIONS: usize = 1000;

/// Xero's text for a user who may not connect any practice.
pub const NO_ACCESS_MESSAGE: &str =
    "You don't have access to connect to any Xero Practice Manager accounts";

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/identity/connect/authorize", get(authorize))
        .route("/identity/connect/authorize/login", post(login))
        .route("/identity/connect/authorize/consent", post(consent))
        .route("/connect/token", post(token))
        .route("/connect/revocation", post(revocation))
        .route("/connections", get(list_connections))
        .route("/Connections", get(list_connections))
        .route("/connections/{id}", delete(delete_connection))
        .route("/Connections/{id}", delete(delete_connection))
}

#[derive(Debug)]
struct Opt {
    id: String,
    label: String,
}

#[derive(Debug)]
struct OrgOpt {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    app_name: &'a str,
    session: &'a str,
    users: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    app_name: &'a str,
    session: &'a str,
    user_name: &'a str,
    scopes: Vec<String>,
    orgs: Vec<OrgOpt>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "no_access.html")]
struct NoAccessPage<'a> {
    app_name: &'a str,
    session: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

fn page(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response(),
    }
}

fn error_page(title: &str, message: &str) -> Response {
    page(StatusCode::BAD_REQUEST, &ErrorPage { title, message })
}

fn redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => {
            let mut resp = StatusCode::FOUND.into_response();
            resp.headers_mut().insert(header::LOCATION, v);
            resp
        }
        Err(_) => error_page("Invalid redirect_uri", "The redirect URI cannot be used."),
    }
}

fn redirect_error(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    redirect(&form::with_query(redirect_uri, &params))
}

/// `GET /identity/connect/authorize`: checks the request and shows the login page.
async fn authorize(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = |k: &str| {
        q.get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut st = sh.lock();
    let Some(app) = p("client_id").and_then(|id| st.apps.get(&id).cloned()) else {
        return error_page("Invalid client_id", "Unknown client or client not enabled.");
    };
    let Some(redirect_uri) = p("redirect_uri").filter(|r| app.redirect_uris.iter().any(|u| u == r))
    else {
        return error_page(
            "Invalid redirect_uri",
            "The redirect URI does not match a registered one exactly.",
        );
    };
    let state = p("state");
    let st_ref = state.as_deref();
    if p("response_type").as_deref() != Some("code") {
        return redirect_error(
            &redirect_uri,
            "unsupported_response_type",
            "response_type must be code",
            st_ref,
        );
    }
    let scopes: Vec<String> = p("scope")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if scopes.is_empty() || scopes.iter().any(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        return redirect_error(
            &redirect_uri,
            "invalid_scope",
            "Unknown or missing scope",
            st_ref,
        );
    }
    let challenge = p("code_challenge");
    if challenge.is_some() && p("code_challenge_method").as_deref() != Some("S256") {
        return redirect_error(
            &redirect_uri,
            "invalid_request",
            "code_challenge_method must be S256",
            st_ref,
        );
    }
    if challenge.is_none() && app.client_secret.is_none() {
        return redirect_error(
            &redirect_uri,
            "invalid_request",
            "code_challenge is required",
            st_ref,
        );
    }
    // Abandoned logins are dropped once there are many.
    while st.auth_sessions.len() >= MAX_LOGIN_SESSIONS {
        st.auth_sessions.pop_first();
    }
    let session = st.rng.token();
    st.auth_sessions.insert(
        session.clone(),
        AuthSession {
            client_id: app.client_id.clone(),
            redirect_uri,
            scopes,
            state,
            code_challenge: challenge,
            user: None,
        },
    );
    let mut users: Vec<Opt> = st
        .users
        .values()
        .map(|u| Opt {
            id: u.id.to_string(),
            label: format!("{} <{}>", u.name, u.email),
        })
        .collect();
    users.sort_by(|a, b| a.label.cmp(&b.label));
    drop(st);
    page(
        StatusCode::OK,
        &LoginPage {
            app_name: &app.name,
            session: &session,
            users,
        },
    )
}

fn consent_page(st: &SimState, session_id: &str, s: &AuthSession, error: Option<&str>) -> Response {
    let app_name = st
        .apps
        .get(&s.client_id)
        .map(|a| a.name.as_str())
        .unwrap_or("The app");
    let Some(user) = s.user.and_then(|u| st.users.get(&u)) else {
        return error_page("Login failed", "Unknown user.");
    };
    let orgs: Vec<OrgOpt> = user
        .grantable_orgs()
        .into_iter()
        .filter_map(|id| st.orgs.get(&id))
        .map(|o| OrgOpt {
            id: o.id.to_string(),
            name: o.name.clone(),
        })
        .collect();
    if orgs.is_empty() {
        return page(
            StatusCode::OK,
            &NoAccessPage {
                app_name,
                session: session_id,
                message: NO_ACCESS_MESSAGE,
            },
        );
    }
    page(
        StatusCode::OK,
        &ConsentPage {
            app_name,
            session: session_id,
            user_name: &user.name,
            scopes: s.scopes.iter().map(|sc| scope_text(sc)).collect(),
            orgs,
            error,
        },
    )
}

/// `POST .../login`: the chosen user logs in; shows consent or "no access".
async fn login(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let f = form::parse(&String::from_utf8_lossy(&body));
    let session_id = f.get("session").cloned().unwrap_or_default();
    let mut st = sh.lock();
    let user = f
        .get("user")
        .and_then(|u| Uuid::parse_str(u).ok())
        .filter(|u| st.users.contains_key(u));
    let Some(s) = st.auth_sessions.get_mut(&session_id) else {
        return error_page(
            "Session expired",
            "Your login session has expired. Start again from the app.",
        );
    };
    let Some(user) = user else {
        return error_page("Login failed", "Choose a user to log in as.");
    };
    s.user = Some(user);
    let s = s.clone();
    consent_page(&st, &session_id, &s, None)
}

/// `POST .../consent`: Allow (with the chosen organisations) or Deny.
async fn consent(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let f = form::parse(&String::from_utf8_lossy(&body));
    let session_id = f.get("session").cloned().unwrap_or_default();
    let now = sh.clock.now();
    let mut st = sh.lock();
    let Some(s) = st.auth_sessions.get(&session_id).cloned() else {
        return error_page(
            "Session expired",
            "Your login session has expired. Start again from the app.",
        );
    };
    if f.get("action").map(String::as_str) != Some("allow") {
        st.auth_sessions.remove(&session_id);
        let desc = if s.user.is_some_and(|u| {
            st.users
                .get(&u)
                .is_some_and(|u| u.grantable_orgs().is_empty())
        }) {
            NO_ACCESS_MESSAGE
        } else {
            "The user denied access"
        };
        return redirect_error(&s.redirect_uri, "access_denied", desc, s.state.as_deref());
    }
    let Some(user) = s.user.and_then(|u| st.users.get(&u)).cloned() else {
        return error_page("Login failed", "Log in first.");
    };
    let grantable = user.grantable_orgs();
    let chosen: Vec<Uuid> = f
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, _)| k.strip_prefix("tenant_"))
        .filter_map(|id| Uuid::parse_str(id).ok())
        .filter(|id| grantable.contains(id) && st.orgs.contains_key(id))
        .collect();
    if chosen.is_empty() {
        return consent_page(
            &st,
            &session_id,
            &s,
            Some("Choose at least one organisation to connect."),
        );
    }
    let mut chosen = chosen;
    chosen.sort();
    let auth_event_id = st.rng.uuid();
    for tenant in chosen {
        let existing = st
            .connections
            .values_mut()
            .find(|c| c.user_id == user.id && c.client_id == s.client_id && c.tenant_id == tenant);
        match existing {
            Some(c) => {
                c.updated = now;
                c.auth_event_id = auth_event_id;
            }
            None => {
                let id = st.rng.uuid();
                st.connections.insert(
                    id,
                    Connection {
                        id,
                        tenant_id: tenant,
                        user_id: user.id,
                        client_id: s.client_id.clone(),
                        auth_event_id,
                        created: now,
                        updated: now,
                    },
                );
            }
        }
    }
    let code = st.rng.token();
    st.codes.insert(
        token_hash(&code),
        AuthCode {
            client_id: s.client_id.clone(),
            redirect_uri: s.redirect_uri.clone(),
            user_id: user.id,
            scopes: s.scopes.clone(),
            code_challenge: s.code_challenge.clone(),
            auth_event_id,
            expires: now + CODE_TTL,
            used: false,
        },
    );
    st.auth_sessions.remove(&session_id);
    st.version += 1;
    let scope = s.scopes.join(" ");
    let mut params = vec![("code", code.as_str()), ("scope", scope.as_str())];
    if let Some(state) = s.state.as_deref() {
        params.push(("state", state));
    }
    redirect(&form::with_query(&s.redirect_uri, &params))
}

fn oauth_error(error: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": error })),
    )
        .into_response()
}

/// The calling app, from HTTP Basic or from form fields.
fn client_credentials(
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    if let Some(pair) = basic {
        let (id, secret) = pair.split_once(':').unwrap_or((pair.as_str(), ""));
        return (Some(form::decode(id)), Some(form::decode(secret)));
    }
    (f.get("client_id").cloned(), f.get("client_secret").cloned())
}

/// Authenticates the app: its secret must match, or it must be a PKCE-only app.
fn authenticate_app(
    st: &SimState,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> Option<String> {
    let (id, secret) = client_credentials(headers, f);
    let app = st.apps.get(id.as_deref()?)?;
    match (&app.client_secret, secret) {
        (Some(expected), Some(given)) if *expected == given => Some(app.client_id.clone()),
        (None, None) => Some(app.client_id.clone()),
        (None, Some(given)) if given.is_empty() => Some(app.client_id.clone()),
        _ => None,
    }
}

/// `POST /connect/token`.
async fn token(State(sh): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let f = form::parse(&String::from_utf8_lossy(&body));
    let now = sh.clock.now();
    let issuer = format!("{}/identity", sh.base_url());
    let mut st = sh.lock();
    let Some(client_id) = authenticate_app(&st, &headers, &f) else {
        return oauth_error("invalid_client");
    };
    let answer = match f.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code_hash = f.get("code").map(|c| token_hash(c)).unwrap_or_default();
            let Some(code) = st.codes.get(&code_hash).cloned() else {
                return oauth_error("invalid_grant");
            };
            let verifier_ok = match &code.code_challenge {
                None => true,
                Some(ch) => f.get("code_verifier").is_some_and(|v| pkce_s256(v) == *ch),
            };
            let ok = !code.used
                && now < code.expires
                && code.client_id == client_id
                && f.get("redirect_uri") == Some(&code.redirect_uri)
                && verifier_ok;
            if let Some(c) = st.codes.get_mut(&code_hash) {
                c.used = true;
            }
            if !ok {
                return oauth_error("invalid_grant");
            }
            tokens::issue(
                &mut st,
                now,
                &issuer,
                &client_id,
                code.user_id,
                &code.scopes,
                code.auth_event_id,
            )
        }
        Some("refresh_token") => {
            let rt = f.get("refresh_token").cloned().unwrap_or_default();
            match tokens::refresh(&mut st, now, &issuer, &client_id, &rt) {
                Ok(set) => set,
                Err(
                    RefreshError::Unknown
                    | RefreshError::WrongClient
                    | RefreshError::Expired
                    | RefreshError::Revoked
                    | RefreshError::AlreadyUsed,
                ) => {
                    return oauth_error("invalid_grant");
                }
            }
        }
        Some(_) => return oauth_error("unsupported_grant_type"),
        None => return oauth_error("invalid_request"),
    };
    drop(st);
    let mut resp = (StatusCode::OK, axum::Json(answer)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `POST /connect/revocation`: revokes a refresh token's grant and removes
/// the app's connections for that user. Unknown tokens are accepted silently.
async fn revocation(State(sh): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let f = form::parse(&String::from_utf8_lossy(&body));
    let mut st = sh.lock();
    let Some(client_id) = authenticate_app(&st, &headers, &f) else {
        return oauth_error("invalid_client");
    };
    let hash = f.get("token").map(|t| token_hash(t)).unwrap_or_default();
    let owner = st
        .refresh_tokens
        .get(&hash)
        .filter(|rt| rt.client_id == client_id)
        .map(|rt| rt.user_id);
    if let Some(user) = owner {
        st.revoke_grant(user, &client_id);
        let ids: Vec<Uuid> = st
            .connections_of(user, &client_id)
            .iter()
            .map(|c| c.id)
            .collect();
        for id in ids {
            st.connections.remove(&id);
        }
    }
    StatusCode::OK.into_response()
}

/// Xero's connection time format, e.g. `2019-12-07T18:46:19.5165400`.
pub fn connection_time(t: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]");
    t.format(&fmt).unwrap_or_default()
}

/// Xero's tenant type for an XPM organisation, as its auth-flow
/// documentation shows it (the identity spec's description says PRACTICE).
pub const TENANT_TYPE: &str = "PRACTICEMANAGER";

/// One connection as `GET /connections` answers it. `tenantName` is null
/// unless the organisation's seed says `name_in_connections` (Xero documents
/// null for XPM tenants); the consent page and the sim's UI always name it.
pub fn connection_json(st: &SimState, c: &Connection) -> serde_json::Value {
    json!({
        "id": c.id.to_string(),
        "authEventId": c.auth_event_id.to_string(),
        "tenantId": c.tenant_id.to_string(),
        "tenantType": TENANT_TYPE,
        "tenantName": st
            .orgs
            .get(&c.tenant_id)
            .filter(|o| o.name_in_connections)
            .map(|o| o.name.clone()),
        "createdDateUtc": connection_time(c.created),
        "updatedDateUtc": connection_time(c.updated),
    })
}

/// `GET /connections`: the tenants the token's user granted this app.
async fn list_connections(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let tok = match bearer(&sh, &headers) {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let filter = q.get("authEventId").and_then(|v| Uuid::parse_str(v).ok());
    let st = sh.lock();
    let mut list: Vec<&Connection> = st.connections_of(tok.user_id, &tok.client_id);
    list.sort_by_key(|c| (c.created, c.id));
    let out: Vec<serde_json::Value> = list
        .into_iter()
        .filter(|c| filter.is_none_or(|f| c.auth_event_id == f))
        .map(|c| connection_json(&st, c))
        .collect();
    (StatusCode::OK, axum::Json(out)).into_response()
}

/// `DELETE /connections/{id}`: disconnects one tenant.
async fn delete_connection(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let tok = match bearer(&sh, &headers) {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut st = sh.lock();
    let mine = st
        .connections
        .get(&id)
        .is_some_and(|c| c.user_id == tok.user_id && c.client_id == tok.client_id);
    if !mine {
        return StatusCode::NOT_FOUND.into_response();
    }
    st.remove_connection(id);
    StatusCode::NO_CONTENT.into_response()
}
