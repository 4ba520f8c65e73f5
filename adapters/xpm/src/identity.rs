//! Xero's OAuth 2.0 (login with PKCE, code exchange, refresh, revocation)
//! and the connections list, as the domain's [`XpmAuthorization`] port.
//!
//! Xero keeps a user's earlier connections when they consent again, so
//! after a login only the connections of that login's consent are listed
//! (`GET /connections?authEventId=`, the id read from the access token):
//! the organisations the person ticked this time, not every one they ever did.

use std::sync::Arc;
use std::time::Duration;

use domain::ids::XpmTenantId;
use domain::ports::{
    AuthorisationError, AuthorisationStart, Clock, Grant, GrantedOrganisation, TokenSet,
    XpmAuthorization,
};
use domain::text::DisplayName;
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardErrorResponse, TokenResponse, TokenUrl,
};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use system_adapter::SystemClock;
use uuid::Uuid;

use crate::config::{ConfigError, Resilience, XpmConfig};
use crate::http;
use crate::tokens::authentication_event_id;

type OAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// How long an access token lives when Xero does not say (Xero: 30 minutes).
const DEFAULT_ACCESS_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The longest access-token lifetime believed.
const MAX_ACCESS_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Xero identity: the domain's [`XpmAuthorization`]. Cheap to clone.
#[derive(Clone)]
pub struct XeroAuthorization {
    inner: Arc<Inner>,
}

struct Inner {
    oauth: OAuthClient,
    client_id: String,
    client_secret: SecretString,
    revocation_url: String,
    http: reqwest::Client,
    scopes: Vec<String>,
    connections_url: String,
    resilience: Resilience,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for XeroAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XeroAuthorization")
            .field("connections_url", &self.inner.connections_url)
            .finish_non_exhaustive()
    }
}

fn url<T>(
    name: &'static str,
    raw: &str,
    make: impl FnOnce(String) -> Result<T, url::ParseError>,
) -> Result<T, ConfigError> {
    make(raw.to_owned()).map_err(|e| ConfigError::InvalidUrl {
        name,
        reason: e.to_string(),
    })
}

/// A tenant in `GET /connections`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectionJson {
    pub tenant_id: String,
    #[serde(default)]
    pub tenant_type: Option<String>,
    #[serde(default)]
    pub tenant_name: Option<String>,
}

/// Why `GET /connections` failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConnectionsError {
    /// 401: the access token was refused.
    Unauthorized,
    /// 403: the grant is gone.
    Forbidden,
    Unavailable(String),
    Unexpected(String),
}

/// Xero's tenant types for XPM: its auth-flow documentation shows
/// PRACTICEMANAGER, the identity spec's description says PRACTICE; both are
/// accepted.
fn is_practice(tenant_type: Option<&str>) -> bool {
    tenant_type.is_some_and(|t| {
        let t = t.trim();
        t.eq_ignore_ascii_case("PRACTICEMANAGER") || t.eq_ignore_ascii_case("PRACTICE")
    })
}

/// The XPM organisations among the connections, each once; a tenant with a
/// bad id is skipped. A missing, null or blank `tenantName` (Xero documents
/// null for XPM) is no name: the domain then finds one or asks a person.
pub(crate) fn practices(connections: &[ConnectionJson]) -> Vec<GrantedOrganisation> {
    let mut seen = Vec::new();
    connections
        .iter()
        .filter(|c| is_practice(c.tenant_type.as_deref()))
        .filter_map(|c| {
            let tenant: XpmTenantId = c.tenant_id.parse().ok()?;
            if seen.contains(&tenant) {
                return None;
            }
            seen.push(tenant);
            let raw: String = c
                .tenant_name
                .as_deref()
                .unwrap_or_default()
                .chars()
                .filter(|ch| !ch.is_control())
                .take(DisplayName::MAX_CHARS)
                .collect();
            Some(GrantedOrganisation {
                tenant,
                name: DisplayName::new(&raw).ok(),
            })
        })
        .collect()
}

/// Errors of the HTTP function handed to the oauth2 crate: 5xx and 429 are
/// errors here, so they are told apart from Xero's OAuth error answers.
#[derive(Debug, thiserror::Error)]
enum IdentityHttpError {
    #[error("{0}")]
    Transport(String, bool),
    #[error("Xero identity answered HTTP {0}")]
    Server(u16),
    #[error("Xero identity is rate limiting")]
    RateLimited(Option<Duration>),
    #[error("the answer could not be read: {0}")]
    Body(String),
}

impl IdentityHttpError {
    /// Whether a retry can do no harm: nothing reached Xero, or the refresh
    /// grace rule lets the same refresh token be sent again.
    fn connect_failed(&self) -> bool {
        matches!(self, Self::Transport(_, true))
    }
}

async fn identity_call(
    http: reqwest::Client,
    max: usize,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, IdentityHttpError> {
    let request = reqwest::Request::try_from(request)
        .map_err(|e| IdentityHttpError::Transport(http::describe(&e), false))?;
    let response = http
        .execute(request)
        .await
        .map_err(|e| IdentityHttpError::Transport(http::describe(&e), e.is_connect()))?;
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(IdentityHttpError::RateLimited(http::retry_after(
            response.headers(),
        )));
    }
    if status.is_server_error() {
        return Err(IdentityHttpError::Server(status.as_u16()));
    }
    let mut builder = oauth2::http::Response::builder().status(status.as_u16());
    for (name, value) in response.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    let body = http::read_body(response, max).await.map_err(|e| match e {
        http::BodyError::TooLarge(n) => IdentityHttpError::Body(format!("larger than {n} bytes")),
        http::BodyError::Transport(e) => IdentityHttpError::Transport(http::describe(&e), false),
        http::BodyError::NotUtf8 => IdentityHttpError::Body("not UTF-8".into()),
    })?;
    builder
        .body(body.into_bytes())
        .map_err(|e| IdentityHttpError::Body(e.to_string()))
}

type TokenError =
    RequestTokenError<IdentityHttpError, StandardErrorResponse<BasicErrorResponseType>>;

/// What a token call's failure means. OAuth error answers carry only the
/// error code and Xero's description (never a token).
fn token_failure(
    err: &TokenError,
    on_invalid_grant: fn(String) -> AuthorisationError,
) -> AuthorisationError {
    match err {
        RequestTokenError::ServerResponse(answer) => {
            let code = answer.error().as_ref().to_owned();
            let reason = match answer.error_description() {
                Some(d) => format!("{code}: {}", d.chars().take(200).collect::<String>()),
                None => code,
            };
            match answer.error() {
                BasicErrorResponseType::InvalidGrant => on_invalid_grant(reason),
                BasicErrorResponseType::InvalidClient
                | BasicErrorResponseType::UnauthorizedClient => {
                    AuthorisationError::Refused(format!(
                        "Xero refused the app's credentials ({reason}); check the client id and secret"
                    ))
                }
                _ => AuthorisationError::Refused(reason),
            }
        }
        RequestTokenError::Request(IdentityHttpError::RateLimited(_)) => {
            AuthorisationError::Unavailable(
                "Xero identity is rate limiting; try again shortly".into(),
            )
        }
        RequestTokenError::Request(e) => AuthorisationError::Unavailable(e.to_string()),
        // The parse error's body may hold a token: only say what failed.
        RequestTokenError::Parse(..) => {
            AuthorisationError::UnexpectedAnswer("the token answer could not be read".into())
        }
        RequestTokenError::Other(_) => {
            AuthorisationError::UnexpectedAnswer("the token answer was not JSON as expected".into())
        }
    }
}

impl XeroAuthorization {
    pub fn new(config: &XpmConfig) -> Result<Self, ConfigError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// With a clock of the caller's (tests pin time; the sim's clock may be frozen).
    pub fn with_clock(config: &XpmConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        config.validate()?;
        let e = &config.endpoints;
        let oauth = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                config.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_uri(url("authorize_url", &e.authorize_url, AuthUrl::new)?)
            .set_token_uri(url("token_url", &e.token_url, TokenUrl::new)?)
            .set_redirect_uri(url("redirect_url", &config.redirect_url, RedirectUrl::new)?);
        Ok(Self {
            inner: Arc::new(Inner {
                oauth,
                client_id: config.client_id.clone(),
                client_secret: config.client_secret.clone(),
                revocation_url: e.revocation_url.clone(),
                http: http::client(&config.resilience)?,
                scopes: config.scopes.clone(),
                connections_url: e.connections_url.clone(),
                resilience: config.resilience.clone(),
                clock,
            }),
        })
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    fn token_set(
        &self,
        answer: &oauth2::basic::BasicTokenResponse,
        previous_refresh: Option<&SecretString>,
    ) -> Result<TokenSet, AuthorisationError> {
        let refresh_token = match (answer.refresh_token(), previous_refresh) {
            (Some(r), _) => SecretString::from(r.secret().clone()),
            // Xero always rotates; should it not, the old token stays valid.
            (None, Some(old)) => old.clone(),
            (None, None) => {
                return Err(AuthorisationError::UnexpectedAnswer(
                    "Xero answered no refresh token; the offline_access scope is needed".into(),
                ));
            }
        };
        // A lifetime beyond a day is not believed (Xero's is 30 minutes);
        // clamping also keeps the arithmetic from overflowing.
        let lifetime = answer
            .expires_in()
            .unwrap_or(DEFAULT_ACCESS_LIFETIME)
            .min(MAX_ACCESS_LIFETIME);
        let lifetime = time::Duration::try_from(lifetime).unwrap_or(time::Duration::minutes(30));
        let now = self.inner.clock.now();
        Ok(TokenSet {
            access_token: SecretString::from(answer.access_token().secret().clone()),
            refresh_token,
            access_expires_at: now.checked_add(lifetime).unwrap_or(now),
        })
    }

    async fn call_token<F, Fut>(
        &self,
        retry_lost_answers: bool,
        mut send: F,
    ) -> Result<oauth2::basic::BasicTokenResponse, TokenError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<oauth2::basic::BasicTokenResponse, TokenError>>,
    {
        let r = &self.inner.resilience;
        let mut attempt = 1;
        let mut waits = 0;
        loop {
            let result = send().await;
            let Err(RequestTokenError::Request(err)) = &result else {
                return result;
            };
            let retry = match err {
                IdentityHttpError::RateLimited(after) if waits < r.rate_limit_retries => {
                    let wait = after.unwrap_or(r.default_retry_after);
                    if wait > r.max_retry_after {
                        None
                    } else {
                        waits += 1;
                        Some(wait)
                    }
                }
                IdentityHttpError::RateLimited(_) => None,
                e if e.connect_failed() && attempt < r.connect_attempts => {
                    Some(http::backoff(r, attempt))
                }
                IdentityHttpError::Server(_) | IdentityHttpError::Transport(..)
                    if retry_lost_answers && attempt < r.read_attempts =>
                {
                    Some(http::backoff(r, attempt))
                }
                _ => None,
            };
            match retry {
                Some(wait) => {
                    tracing::debug!(attempt, ?wait, error = %err, "retrying a Xero token call");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return result,
            }
        }
    }

    /// `GET /connections` with an access token: every connection Xero
    /// keeps for the user and app, or only those one login's consent made or
    /// renewed (`auth_event`). Reads retried on 5xx, timeouts and dropped connections.
    pub(crate) async fn connections(
        &self,
        access_token: &SecretString,
        auth_event: Option<Uuid>,
    ) -> Result<Vec<ConnectionJson>, ConnectionsError> {
        let r = &self.inner.resilience;
        let query: Vec<(&str, String)> = auth_event
            .map(|id| ("authEventId", id.to_string()))
            .into_iter()
            .collect();
        let mut attempt = 1;
        let mut waits = 0;
        loop {
            let sent = self
                .inner
                .http
                .get(&self.inner.connections_url)
                .query(&query)
                .header(
                    AUTHORIZATION,
                    format!("Bearer {}", access_token.expose_secret()),
                )
                .header(ACCEPT, "application/json")
                .send()
                .await;
            let wait = match sent {
                Err(e) if attempt < r.read_attempts => {
                    tracing::debug!(attempt, error = %http::describe(&e), "retrying GET /connections");
                    http::backoff(r, attempt)
                }
                Err(e) => {
                    return Err(ConnectionsError::Unavailable(format!(
                        "GET /connections: {}",
                        http::describe(&e)
                    )));
                }
                Ok(response) => {
                    let status = response.status();
                    match status {
                        StatusCode::UNAUTHORIZED => return Err(ConnectionsError::Unauthorized),
                        StatusCode::FORBIDDEN => return Err(ConnectionsError::Forbidden),
                        StatusCode::TOO_MANY_REQUESTS => {
                            let wait = http::retry_after(response.headers())
                                .unwrap_or(r.default_retry_after);
                            if waits >= r.rate_limit_retries || wait > r.max_retry_after {
                                return Err(ConnectionsError::Unavailable(
                                    "Xero is rate limiting GET /connections".into(),
                                ));
                            }
                            waits += 1;
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        s if s.is_server_error() && attempt < r.read_attempts => {
                            http::backoff(r, attempt)
                        }
                        s if s.is_server_error() => {
                            return Err(ConnectionsError::Unavailable(format!(
                                "GET /connections answered HTTP {}",
                                s.as_u16()
                            )));
                        }
                        s if !s.is_success() => {
                            return Err(ConnectionsError::Unexpected(format!(
                                "GET /connections answered HTTP {}",
                                s.as_u16()
                            )));
                        }
                        _ => {
                            let body = http::read_body(response, r.max_answer_bytes)
                                .await
                                .map_err(|e| match e {
                                    http::BodyError::Transport(e) => {
                                        ConnectionsError::Unavailable(http::describe(&e))
                                    }
                                    http::BodyError::TooLarge(n) => ConnectionsError::Unexpected(
                                        format!("GET /connections answered more than {n} bytes"),
                                    ),
                                    http::BodyError::NotUtf8 => ConnectionsError::Unexpected(
                                        "GET /connections answered non-UTF-8 text".into(),
                                    ),
                                })?;
                            return serde_json::from_str(&body).map_err(|e| {
                                ConnectionsError::Unexpected(format!(
                                    "GET /connections answered unexpected JSON: {e}"
                                ))
                            });
                        }
                    }
                }
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

impl XeroAuthorization {
    /// The XPM organisations the login that issued `access_token` granted.
    async fn granted_by(
        &self,
        access_token: &SecretString,
    ) -> Result<Vec<GrantedOrganisation>, AuthorisationError> {
        let Some(event) = authentication_event_id(access_token) else {
            tracing::warn!(
                "the access token names no login (authentication_event_id): acting on every organisation Xero lists as connected"
            );
            return self.all_granted(access_token).await;
        };
        let latest = self
            .connections(access_token, Some(event))
            .await
            .map_err(connections_failure)?;
        let latest = practices(&latest);
        if latest.is_empty() {
            // A consent grants at least one XPM organisation: an empty list
            // means Xero did not tag them with this login (unconfirmed
            // whether it re-tags a connection consented to again).
            tracing::warn!(
                "Xero lists no organisation for this login's authEventId: acting on every organisation it lists as connected"
            );
            return self.all_granted(access_token).await;
        }
        Ok(latest)
    }

    async fn all_granted(
        &self,
        access_token: &SecretString,
    ) -> Result<Vec<GrantedOrganisation>, AuthorisationError> {
        let all = self
            .connections(access_token, None)
            .await
            .map_err(connections_failure)?;
        Ok(practices(&all))
    }
}

fn connections_failure(err: ConnectionsError) -> AuthorisationError {
    match err {
        ConnectionsError::Unauthorized => AuthorisationError::Expired(
            "Xero refused the access token when listing the organisations granted".into(),
        ),
        ConnectionsError::Forbidden => AuthorisationError::Refused(
            "Xero refused to list the organisations granted (HTTP 403)".into(),
        ),
        ConnectionsError::Unavailable(m) => AuthorisationError::Unavailable(m),
        ConnectionsError::Unexpected(m) => AuthorisationError::UnexpectedAnswer(m),
    }
}

impl XpmAuthorization for XeroAuthorization {
    fn start(&self) -> Result<AuthorisationStart, AuthorisationError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .inner
            .oauth
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.inner.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        Ok(AuthorisationStart {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: SecretString::from(verifier.secret().clone()),
        })
    }

    async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &SecretString,
    ) -> Result<Grant, AuthorisationError> {
        let http = self.inner.http.clone();
        let max = self.inner.resilience.max_answer_bytes;
        let call = move |req| identity_call(http.clone(), max, req);
        // A code works once: only a call that never reached Xero is retried.
        let answer = self
            .call_token(false, || {
                self.inner
                    .oauth
                    .exchange_code(AuthorizationCode::new(code.to_owned()))
                    .set_pkce_verifier(PkceCodeVerifier::new(
                        pkce_verifier.expose_secret().to_owned(),
                    ))
                    .request_async(&call)
            })
            .await
            .map_err(|e| {
                token_failure(&e, |reason| {
                    AuthorisationError::Refused(format!(
                        "the login code was refused ({reason}); start again with Connect"
                    ))
                })
            })?;
        let tokens = self.token_set(&answer, None)?;
        let organisations = self.granted_by(&tokens.access_token).await?;
        if organisations.is_empty() {
            return Err(AuthorisationError::NoOrganisationGranted);
        }
        Ok(Grant {
            tokens,
            organisations,
        })
    }

    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet, AuthorisationError> {
        let http = self.inner.http.clone();
        let max = self.inner.resilience.max_answer_bytes;
        let call = move |req| identity_call(http.clone(), max, req);
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        // Xero lets a refresh token be sent again for 30 minutes when the
        // answer was lost, so lost answers and 5xx are retried here.
        let answer = self
            .call_token(true, || {
                self.inner
                    .oauth
                    .exchange_refresh_token(&token)
                    .request_async(&call)
            })
            .await
            .map_err(|e| token_failure(&e, AuthorisationError::Expired))?;
        self.token_set(&answer, Some(refresh_token))
    }

    /// Revocation (RFC 7009) is sent by hand: the oauth2 crate insists on an
    /// https URL, and xpm-sim serves http. Idempotent, so retried like a read.
    async fn revoke(&self, refresh_token: &SecretString) -> Result<(), AuthorisationError> {
        let inner = &self.inner;
        let r = &inner.resilience;
        // RFC 6749 2.3.1: the client id and secret are form-encoded before Basic encoding.
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", refresh_token.expose_secret())
            .append_pair("token_type_hint", "refresh_token")
            .finish();
        let mut attempt = 1;
        loop {
            let sent = inner
                .http
                .post(&inner.revocation_url)
                .basic_auth(
                    encode(&inner.client_id),
                    Some(encode(inner.client_secret.expose_secret())),
                )
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .header(ACCEPT, "application/json")
                .body(form.clone())
                .send()
                .await;
            let failure = match sent {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) if response.status().is_server_error() => {
                    format!(
                        "the revocation answered HTTP {}",
                        response.status().as_u16()
                    )
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = http::read_body(response, 64 * 1024)
                        .await
                        .unwrap_or_default();
                    let code = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                        .unwrap_or_else(|| format!("HTTP {status}"));
                    return Err(AuthorisationError::Refused(format!(
                        "Xero refused the revocation: {}",
                        code.chars().take(100).collect::<String>()
                    )));
                }
                Err(e) => http::describe(&e),
            };
            if attempt >= r.read_attempts {
                return Err(AuthorisationError::Unavailable(failure));
            }
            tokio::time::sleep(http::backoff(r, attempt)).await;
            attempt += 1;
        }
    }
}
