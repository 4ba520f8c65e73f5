//! XPM API v3.1 as the domain's [`XpmGateway`]: client add, update, get,
//! search and list, relationship add and update, custom field definitions
//! and a client's custom field read and update (`custom_fields`). No delete
//! or archive call exists here.
//!
//! The calls each port method makes: `get_client` one get; `search_clients`
//! one detailed search; `create_client` one add (no search first: the
//! domain's sync has searched, and says what it found in `known`), and a
//! search by name only after an add whose answer was lost; `update_client`
//! one update (none when no field is given); a relationship add one call (a
//! get only after a lost answer); a relationship update one call.
//!
//! Every call waits for a place among the organisation's calls in flight
//! and for the organisation's rate limiter, carries a fresh access token,
//! and has a timeout. Reads are retried; writes are never blindly retried:
//! a write whose answer was lost is looked up in XPM first.

mod custom_fields;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::custom_field::XpmCustomFieldDefinition;
use domain::ids::{XpmClientUuid, XpmCustomFieldUuid, XpmRelationshipUuid, XpmTenantId};
use domain::ports::{
    Clock, ConnectionStore, RelationshipWrite, XpmAccess, XpmClientView, XpmError, XpmGateway,
};
use domain::relationship_type::{TermsCarried, XpmRelationshipType};
use domain::sync::{ClientPayload, LookAlike, OwnedField, RelationshipTerms};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::allowance::{self, Allowances, LimitHit};
use crate::config::{ConfigError, Resilience, XpmConfig};
use crate::http;
use crate::identity::{ConnectionsError, SystemClock, XeroAuthorization};
use crate::pace::RollingLimit;
use crate::tokens::TokenKeeper;
use crate::xml::{self, Answer, WriteError, XmlError};

/// XPM's API for the domain: the [`XpmGateway`]. Cheap to clone; clones
/// share the rate limiter, the calls-in-flight limit and the token locks.
pub struct XpmClient<S> {
    inner: Arc<Shared<S>>,
}

impl<S> Clone for XpmClient<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<S> std::fmt::Debug for XpmClient<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XpmClient")
            .field("xpm_base_url", &self.inner.base)
            .finish_non_exhaustive()
    }
}

struct Shared<S> {
    tokens: TokenKeeper<S>,
    http: reqwest::Client,
    base: String,
    r: Resilience,
    pace: RollingLimit,
    in_flight: Mutex<HashMap<XpmTenantId, Arc<Semaphore>>>,
    allowances: Allowances,
}

/// Reads may be retried; writes may not be blindly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Read,
    Write,
}

/// One attempt's outcome.
enum Outcome {
    Answered(StatusCode, String),
    /// The connection could not be made: nothing reached XPM.
    NotSent(String),
    /// Sent, and no answer came (timeout or dropped connection).
    Lost {
        reason: String,
        timed_out: bool,
    },
    /// A 5xx that is not an XPM ERROR answer.
    Server(StatusCode),
    /// An answer that could not be read (too large, not UTF-8).
    Unreadable(String),
    RateLimited(Option<Duration>),
    /// The day's allowance is spent; it resets after the wait XPM gave.
    DayLimit(Option<Duration>),
    Unauthorized,
    Forbidden,
}

/// A call's failure.
enum SendError {
    Final(XpmError),
    /// A write whose outcome is unknown. `settled`: XPM is done with it
    /// (the connection was closed, or a 500/503 answered), so a lookup tells
    /// whether it happened; not settled (a timeout, 502, 504): XPM may still
    /// be working on it.
    Unconfirmed {
        reason: String,
        settled: bool,
    },
}

fn write_error(err: WriteError) -> XpmError {
    XpmError::Rejected(format!("the request cannot be sent to XPM: {err}"))
}

/// XPM's ERROR answer. XPM answers an unknown client with an ERROR whose
/// text says "not found" (the sim: "Client not found"); uncertain for every case.
fn answer_error(message: String) -> XpmError {
    if message.to_lowercase().contains("not found") {
        XpmError::NotFound(message)
    } else {
        XpmError::Rejected(message)
    }
}

fn unreadable(what: &str, status: StatusCode, err: &XmlError) -> XpmError {
    XpmError::UnexpectedAnswer(format!("{what} (HTTP {}): {err}", status.as_u16()))
}

/// Counts an XPM call by method and outcome (the HTTP status, or why there was none).
fn count_call(method: &Method, outcome: &str) {
    metrics::counter!("pmhub_xpm_xpm_calls_total", "method" => method.as_str().to_owned(), "status" => outcome.to_owned()).increment(1);
}

/// Names compared as the planner does: ignoring case and runs of spaces.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

impl<S: ConnectionStore> XpmClient<S> {
    /// The gateway over `store`'s tokens.
    pub fn new(config: &XpmConfig, store: S) -> Result<Self, ConfigError> {
        Self::with_clock(config, store, Arc::new(SystemClock))
    }

    pub fn with_clock(
        config: &XpmConfig,
        store: S,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let r = config.resilience.clone();
        let identity = XeroAuthorization::with_clock(config, clock)?;
        Ok(Self {
            inner: Arc::new(Shared {
                tokens: TokenKeeper::new(store, identity, r.refresh_margin),
                http: http::client(&r)?,
                base: config
                    .endpoints
                    .xpm_base_url
                    .trim_end_matches('/')
                    .to_owned(),
                pace: RollingLimit::new(r.calls_per_minute, Duration::from_secs(60)),
                in_flight: Mutex::new(HashMap::new()),
                allowances: Allowances::default(),
                r,
            }),
        })
    }

    /// The authorisation port on the same configuration and clock.
    pub fn authorization(&self) -> XeroAuthorization {
        self.inner.tokens.identity().clone()
    }

    fn in_flight(&self, tenant: XpmTenantId) -> Arc<Semaphore> {
        let mut map = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.entry(tenant)
            .or_insert_with(|| Arc::new(Semaphore::new(self.inner.r.max_in_flight)))
            .clone()
    }

    async fn attempt(
        &self,
        access: XpmAccess,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&str>,
        token: &SecretString,
    ) -> Outcome {
        let sh = &self.inner;
        let slots = self.in_flight(access.tenant);
        // The semaphore is never closed, so acquiring cannot fail.
        let Ok(_slot) = slots.acquire().await else {
            return Outcome::NotSent("the calls-in-flight limit was closed".into());
        };
        // Held until the answer is read: XPM may count the call at any moment until then.
        let _place = match sh.pace.take(access.tenant, sh.r.max_retry_after).await {
            Ok(place) => place,
            // XPM said its minute is spent, until later than a call waits: not sent.
            Err(wait) => return Outcome::RateLimited(Some(wait)),
        };
        let mut request = sh
            .http
            .request(method.clone(), format!("{}{path}", sh.base))
            .query(query)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", token.expose_secret()),
            )
            .header("xero-tenant-id", access.tenant.to_string())
            .header(ACCEPT, "application/xml");
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/xml; charset=utf-8")
                .body(body.to_owned());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_connect() => {
                count_call(method, "not_sent");
                return Outcome::NotSent(http::describe(&e));
            }
            Err(e) => {
                count_call(method, if e.is_timeout() { "timeout" } else { "lost" });
                return Outcome::Lost {
                    reason: http::describe(&e),
                    timed_out: e.is_timeout(),
                };
            }
        };
        let status = response.status();
        count_call(method, status.as_str());
        sh.allowances.heard(access.tenant, response.headers());
        if let Some(left) = allowance::minute_remaining(response.headers()) {
            sh.pace.heard(access.tenant, left, None);
        }
        tracing::debug!(%method, path, tenant = %access.tenant, status = status.as_u16(), "XPM answered");
        match status {
            StatusCode::UNAUTHORIZED => return Outcome::Unauthorized,
            StatusCode::FORBIDDEN => return Outcome::Forbidden,
            StatusCode::TOO_MANY_REQUESTS => {
                let after = http::retry_after(response.headers());
                return match allowance::limit_hit(response.headers()) {
                    LimitHit::Day => Outcome::DayLimit(after),
                    LimitHit::Minute => {
                        // Every call of this organisation waits until the minute ends.
                        let resets_in = after.unwrap_or(sh.r.default_retry_after);
                        sh.pace.heard(access.tenant, 0, Some(resets_in));
                        Outcome::RateLimited(Some(resets_in))
                    }
                    LimitHit::Other => Outcome::RateLimited(after),
                };
            }
            _ => {}
        }
        let text = match http::read_body(response, sh.r.max_answer_bytes).await {
            Ok(text) => text,
            Err(http::BodyError::Transport(e)) => {
                return Outcome::Lost {
                    reason: http::describe(&e),
                    timed_out: e.is_timeout(),
                };
            }
            Err(http::BodyError::TooLarge(n)) => {
                return Outcome::Unreadable(format!("the answer is larger than {n} bytes"));
            }
            Err(http::BodyError::NotUtf8) => {
                return Outcome::Unreadable("the answer is not UTF-8 text".into());
            }
        };
        if status.is_server_error() && xml::error_envelope(&text).is_none() {
            return Outcome::Server(status);
        }
        Outcome::Answered(status, text)
    }

    /// One call with its retries: 429s waited out, unsent calls retried,
    /// reads retried on 5xx and lost answers, one renewal after a 401.
    async fn send(
        &self,
        access: XpmAccess,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&str>,
        mode: Mode,
    ) -> Result<(StatusCode, String), SendError> {
        let r = &self.inner.r;
        let call = format!("{method} {path}");
        let mut attempt = 1;
        let mut waits = 0;
        let mut refused: Option<SecretString> = None;
        loop {
            let token = self
                .inner
                .tokens
                .access_token(access.practice, refused.as_ref())
                .await
                .map_err(SendError::Final)?;
            let wait = match self
                .attempt(access, &method, path, query, body, &token)
                .await
            {
                Outcome::Answered(status, text) => return Ok((status, text)),
                Outcome::Unauthorized if refused.is_none() => {
                    // Expired early (or revoked): renew once and try again; XPM did not run the call.
                    refused = Some(token);
                    continue;
                }
                Outcome::Unauthorized => {
                    return Err(SendError::Final(XpmError::AccessRevoked(
                        "XPM refused a freshly renewed access token (HTTP 401): the app's access was revoked in Xero".into(),
                    )));
                }
                Outcome::Forbidden => {
                    return Err(SendError::Final(XpmError::AccessRevoked(format!(
                        "XPM refused access to organisation {} (HTTP 403): it is no longer granted to this app in Xero",
                        access.tenant
                    ))));
                }
                Outcome::DayLimit(after) => {
                    // Hours away, as a rule: not waited out within a sync.
                    let resets_in = after.unwrap_or(Duration::from_secs(3600));
                    self.inner.allowances.spent(access.tenant, resets_in);
                    return Err(SendError::Final(XpmError::DailyAllowanceUsed {
                        resets_in_secs: resets_in.as_secs().max(1),
                    }));
                }
                Outcome::RateLimited(after) => {
                    let wait = after.unwrap_or(r.default_retry_after);
                    if waits >= r.rate_limit_retries || wait > r.max_retry_after {
                        return Err(SendError::Final(XpmError::RateLimited {
                            retry_after_secs: wait.as_secs().max(1),
                        }));
                    }
                    waits += 1;
                    tracing::info!(call, ?wait, "XPM's rate limit was reached; waiting as told");
                    wait
                }
                Outcome::NotSent(reason) if attempt < r.connect_attempts => {
                    tracing::debug!(
                        call,
                        attempt,
                        reason,
                        "retrying a call that never reached XPM"
                    );
                    http::backoff(r, attempt)
                }
                Outcome::NotSent(reason) => {
                    return Err(SendError::Final(XpmError::Unavailable(format!(
                        "{call}: {reason}"
                    ))));
                }
                Outcome::Unreadable(reason) => {
                    return Err(match mode {
                        Mode::Read => SendError::Final(XpmError::UnexpectedAnswer(format!(
                            "{call}: {reason}"
                        ))),
                        Mode::Write => SendError::Unconfirmed {
                            reason,
                            settled: true,
                        },
                    });
                }
                Outcome::Lost { reason, timed_out } => match mode {
                    Mode::Read if attempt < r.read_attempts => {
                        tracing::debug!(call, attempt, reason, "retrying a read");
                        http::backoff(r, attempt)
                    }
                    Mode::Read => {
                        return Err(SendError::Final(XpmError::Unavailable(format!(
                            "{call}: {reason} ({attempt} attempts)"
                        ))));
                    }
                    Mode::Write => {
                        return Err(SendError::Unconfirmed {
                            reason,
                            settled: !timed_out,
                        });
                    }
                },
                Outcome::Server(status) => match mode {
                    Mode::Read if attempt < r.read_attempts => {
                        tracing::debug!(call, attempt, status = status.as_u16(), "retrying a read");
                        http::backoff(r, attempt)
                    }
                    Mode::Read => {
                        return Err(SendError::Final(XpmError::Unavailable(format!(
                            "{call}: XPM answered HTTP {} ({attempt} attempts)",
                            status.as_u16()
                        ))));
                    }
                    Mode::Write => {
                        return Err(SendError::Unconfirmed {
                            reason: format!("XPM answered HTTP {}", status.as_u16()),
                            settled: !matches!(
                                status,
                                StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT
                            ),
                        });
                    }
                },
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn read(
        &self,
        access: XpmAccess,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<(StatusCode, String), XpmError> {
        self.send(access, Method::GET, path, query, None, Mode::Read)
            .await
            .map_err(|e| match e {
                SendError::Final(e) => e,
                SendError::Unconfirmed { reason, .. } => XpmError::Unavailable(reason),
            })
    }

    #[tracing::instrument(name = "xpm.get", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    async fn get(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
    ) -> Result<XpmClientView, XpmError> {
        let (status, text) = self
            .read(access, &format!("/client.api/get/{xpm_client}"), &[])
            .await?;
        match xml::parse_client(&text) {
            Ok(Answer::Ok(answer)) if answer.view.xpm_client == xpm_client => {
                if !answer.unknown_relationship_types.is_empty() {
                    tracing::info!(
                        types = ?answer.unknown_relationship_types,
                        "XPM holds relationships whose type could not be read as a name; left out"
                    );
                }
                if !answer.unreadable_terms.is_empty() {
                    tracing::info!(
                        terms = ?answer.unreadable_terms,
                        "XPM holds relationship terms PM Hub cannot represent; read as empty"
                    );
                }
                Ok(answer.view)
            }
            Ok(Answer::Ok(answer)) => Err(XpmError::UnexpectedAnswer(format!(
                "asked for client {xpm_client}, XPM answered client {}",
                answer.view.xpm_client
            ))),
            Ok(Answer::Error(message)) if status == StatusCode::NOT_FOUND => {
                Err(XpmError::NotFound(message))
            }
            Ok(Answer::Error(message)) => Err(answer_error(message)),
            Err(_) if status == StatusCode::NOT_FOUND => {
                Err(XpmError::NotFound(format!("client {xpm_client}")))
            }
            Err(err) => Err(unreadable("the client could not be read", status, &err)),
        }
    }

    /// XPM's search, detailed, so each client carries the fields a look-alike is judged on.
    #[tracing::instrument(name = "xpm.search", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    async fn search(&self, access: XpmAccess, query: &str) -> Result<Vec<LookAlike>, XpmError> {
        let (status, text) = self
            .read(
                access,
                "/client.api/search",
                &[("query", query), ("detailed", "true")],
            )
            .await?;
        match xml::parse_clients(&text) {
            Ok(Answer::Ok(clients)) => Ok(clients),
            Ok(Answer::Error(message)) => Err(XpmError::Rejected(message)),
            Err(err) => Err(unreadable(
                "the search answer could not be read",
                status,
                &err,
            )),
        }
    }

    /// The XPM clients with this name (as the planner compares names).
    async fn same_named(
        &self,
        access: XpmAccess,
        name: &str,
    ) -> Result<Vec<XpmClientUuid>, XpmError> {
        Ok(self
            .search(access, name)
            .await?
            .into_iter()
            .filter(|c| same_name(&c.name, name))
            .map(|c| c.xpm_client)
            .collect())
    }

    /// Adds the client, without searching first: `known` (the XPM clients
    /// the domain's own search found before deciding to create) tells a
    /// lost add's client apart from namesakes that already existed.
    #[tracing::instrument(name = "xpm.create", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    async fn create(
        &self,
        access: XpmAccess,
        payload: &ClientPayload,
        owned: &[OwnedField],
        known: &[XpmClientUuid],
    ) -> Result<XpmClientUuid, XpmError> {
        let body = xml::client_add(payload, owned).map_err(write_error)?;
        let name = payload.details().name.as_str();
        let mut tries = 0;
        loop {
            tries += 1;
            let (reason, settled) = match self
                .send(
                    access,
                    Method::POST,
                    "/client.api/add",
                    &[],
                    Some(&body),
                    Mode::Write,
                )
                .await
            {
                Ok((status, text)) => match xml::parse_client(&text) {
                    Ok(Answer::Ok(answer)) => return Ok(answer.view.xpm_client),
                    Ok(Answer::Error(message)) => return Err(XpmError::Rejected(message)),
                    // Accepted, but the answer cannot be read: look for the client, never add again.
                    Err(err) if status.is_success() => {
                        (format!("the answer could not be read: {err}"), false)
                    }
                    Err(err) => {
                        return Err(unreadable(
                            "the add's answer could not be read",
                            status,
                            &err,
                        ));
                    }
                },
                Err(SendError::Final(e)) => return Err(e),
                Err(SendError::Unconfirmed { reason, settled }) => (reason, settled),
            };
            tracing::warn!(tenant = %access.tenant, reason, "XPM did not confirm a client add; looking for the client");
            let after = self.same_named(access, name).await.map_err(|e| {
                XpmError::Ambiguous(format!(
                    "the add was not confirmed ({reason}) and looking for the client failed: {e}"
                ))
            })?;
            let new: Vec<XpmClientUuid> =
                after.into_iter().filter(|c| !known.contains(c)).collect();
            match new.as_slice() {
                [made] => {
                    tracing::info!(tenant = %access.tenant, xpm_client = %made, "the unconfirmed add had made the client");
                    return Ok(*made);
                }
                [] if settled && tries < 2 => {
                    tracing::info!(tenant = %access.tenant, "the unconfirmed add made no client; adding again");
                }
                [] if settled => {
                    return Err(XpmError::Unavailable(format!(
                        "XPM did not confirm the add twice ({reason}); no client was created"
                    )));
                }
                [] => {
                    return Err(XpmError::Ambiguous(format!(
                        "the add was not confirmed ({reason}) and the client is not in XPM yet; it may still appear"
                    )));
                }
                several => {
                    return Err(XpmError::Ambiguous(format!(
                        "the add was not confirmed ({reason}) and {} new clients with this name appeared",
                        several.len()
                    )));
                }
            }
        }
    }

    /// Writes exactly `fields` (an empty one clears it in XPM); with no
    /// field to write, no call is made.
    #[tracing::instrument(name = "xpm.update", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    async fn update(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        payload: &ClientPayload,
        fields: &[OwnedField],
    ) -> Result<(), XpmError> {
        let body = xml::client_update(xpm_client, payload, fields).map_err(write_error)?;
        if fields.is_empty() {
            return Ok(());
        }
        match self
            .send(
                access,
                Method::PUT,
                "/client.api/update",
                &[],
                Some(&body),
                Mode::Write,
            )
            .await
        {
            Ok((status, text)) => match xml::parse_client(&text) {
                Ok(Answer::Ok(_)) => Ok(()),
                Ok(Answer::Error(message)) => Err(answer_error(message)),
                Err(err) => Err(unreadable(
                    "the update's answer could not be read",
                    status,
                    &err,
                )),
            },
            Err(SendError::Final(e)) => Err(e),
            // Not retried: the next Sync pushes the same values again.
            Err(SendError::Unconfirmed { reason, .. }) => Err(XpmError::Ambiguous(format!(
                "XPM did not confirm the update ({reason}); Sync again to push it"
            ))),
        }
    }

    /// The relationship of `xpm_type` from `client` to `related`, if XPM holds one.
    async fn find_relationship(
        &self,
        access: XpmAccess,
        client: XpmClientUuid,
        related: XpmClientUuid,
        xpm_type: &XpmRelationshipType,
    ) -> Result<Option<XpmRelationshipUuid>, XpmError> {
        Ok(self
            .get(access, client)
            .await?
            .relationships
            .into_iter()
            .find(|r| r.related_xpm_client == related && xpm_type.is_named(r.xpm_type.xpm_name()))
            .map(|r| r.xpm_relationship))
    }

    #[tracing::instrument(name = "xpm.add_relationship", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    async fn add_relationship(
        &self,
        access: XpmAccess,
        client: XpmClientUuid,
        related: XpmClientUuid,
        xpm_type: &XpmRelationshipType,
        terms: &RelationshipTerms,
    ) -> Result<XpmRelationshipUuid, XpmError> {
        let body = xml::relationship_add(client, related, xpm_type, terms).map_err(write_error)?;
        let mut tries = 0;
        loop {
            tries += 1;
            let (reason, settled) = match self
                .send(
                    access,
                    Method::POST,
                    "/client.api/addrelationship",
                    &[],
                    Some(&body),
                    Mode::Write,
                )
                .await
            {
                Ok((status, text)) => match xml::parse_relationship(&text) {
                    Ok(Answer::Ok(uuid)) => return Ok(uuid),
                    Ok(Answer::Error(message)) => return Err(answer_error(message)),
                    Err(err) if status.is_success() => {
                        (format!("the answer could not be read: {err}"), false)
                    }
                    Err(err) => {
                        return Err(unreadable(
                            "the relationship add's answer could not be read",
                            status,
                            &err,
                        ));
                    }
                },
                Err(SendError::Final(e)) => return Err(e),
                Err(SendError::Unconfirmed { reason, settled }) => (reason, settled),
            };
            tracing::warn!(tenant = %access.tenant, reason, "XPM did not confirm a relationship add; looking for it");
            match self
                .find_relationship(access, client, related, xpm_type)
                .await
            {
                Ok(Some(uuid)) => return Ok(uuid),
                Ok(None) if settled && tries < 2 => {}
                Ok(None) if settled => {
                    return Err(XpmError::Unavailable(format!(
                        "XPM did not confirm the relationship add twice ({reason}); it was not made"
                    )));
                }
                Ok(None) => {
                    return Err(XpmError::Ambiguous(format!(
                        "the relationship add was not confirmed ({reason}) and it is not in XPM yet; it may still appear"
                    )));
                }
                Err(e) => {
                    return Err(XpmError::Ambiguous(format!(
                        "the relationship add was not confirmed ({reason}) and checking it failed: {e}"
                    )));
                }
            }
        }
    }

    #[tracing::instrument(name = "xpm.update_relationship", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    async fn update_relationship(
        &self,
        access: XpmAccess,
        relationship: XpmRelationshipUuid,
        carries: TermsCarried,
        terms: &RelationshipTerms,
    ) -> Result<XpmRelationshipUuid, XpmError> {
        let body = xml::relationship_update(relationship, carries, terms).map_err(write_error)?;
        match self
            .send(
                access,
                Method::POST,
                "/client.api/updaterelationship",
                &[],
                Some(&body),
                Mode::Write,
            )
            .await
        {
            Ok((status, text)) => match xml::parse_relationship(&text) {
                Ok(Answer::Ok(_)) => Ok(relationship),
                Ok(Answer::Error(message)) => Err(answer_error(message)),
                Err(err) => Err(unreadable(
                    "the relationship update's answer could not be read",
                    status,
                    &err,
                )),
            },
            Err(SendError::Final(e)) => Err(e),
            Err(SendError::Unconfirmed { reason, .. }) => Err(XpmError::Ambiguous(format!(
                "XPM did not confirm the relationship update ({reason}); Sync again to push it"
            ))),
        }
    }

    #[tracing::instrument(name = "xpm.check", skip_all, fields(practice = %access.practice, tenant = %access.tenant))]
    async fn check(&self, access: XpmAccess) -> Result<(), XpmError> {
        let mut refused: Option<SecretString> = None;
        loop {
            let token = self
                .inner
                .tokens
                .access_token(access.practice, refused.as_ref())
                .await?;
            // Every connection Xero keeps, not only the latest login's: the
            // question is whether this organisation is still granted at all.
            // Which organisation the practice syncs to follows the latest
            // login already (the domain switched, or waits for a choice), and
            // a renewed token may name no login to filter by. The tenant id
            // alone decides: it is unique, and a missing tenantType must not
            // make a working connection look revoked.
            match self.inner.tokens.identity().connections(&token, None).await {
                Ok(connections) => {
                    let granted = connections.iter().any(|c| {
                        c.tenant_id
                            .parse::<XpmTenantId>()
                            .is_ok_and(|t| t == access.tenant)
                    });
                    return if granted {
                        Ok(())
                    } else {
                        Err(XpmError::AccessRevoked(format!(
                            "XPM organisation {} is no longer among the organisations granted to this app in Xero",
                            access.tenant
                        )))
                    };
                }
                Err(ConnectionsError::Unauthorized) if refused.is_none() => refused = Some(token),
                Err(ConnectionsError::Unauthorized) => {
                    return Err(XpmError::AccessRevoked(
                        "Xero refused a freshly renewed access token (HTTP 401): the app's access was revoked".into(),
                    ));
                }
                Err(ConnectionsError::Forbidden) => {
                    return Err(XpmError::AccessRevoked(
                        "Xero refused to list the organisations granted (HTTP 403): the app's access was revoked".into(),
                    ));
                }
                Err(ConnectionsError::Unavailable(m)) => return Err(XpmError::Unavailable(m)),
                Err(ConnectionsError::Unexpected(m)) => return Err(XpmError::UnexpectedAnswer(m)),
            }
        }
    }
}

impl<S: ConnectionStore> XpmGateway for XpmClient<S> {
    async fn create_client(
        &self,
        access: XpmAccess,
        payload: &ClientPayload,
        owned: &[OwnedField],
        known: &[XpmClientUuid],
    ) -> Result<XpmClientUuid, XpmError> {
        self.create(access, payload, owned, known).await
    }

    async fn update_client(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        payload: &ClientPayload,
        fields: &[OwnedField],
    ) -> Result<(), XpmError> {
        self.update(access, xpm_client, payload, fields).await
    }

    async fn write_relationships(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        writes: Vec<RelationshipWrite>,
    ) -> Vec<Result<XpmRelationshipUuid, XpmError>> {
        // All at once: the calls-in-flight limit and the rate limiter pace them.
        let calls = writes.iter().map(|write| async move {
            match write {
                RelationshipWrite::Add {
                    related_xpm_client,
                    xpm_type,
                    terms,
                } => {
                    self.add_relationship(access, xpm_client, *related_xpm_client, xpm_type, terms)
                        .await
                }
                RelationshipWrite::Update {
                    xpm_relationship,
                    carries,
                    terms,
                } => {
                    self.update_relationship(access, *xpm_relationship, *carries, terms)
                        .await
                }
            }
        });
        futures::future::join_all(calls).await
    }

    async fn get_client(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
    ) -> Result<XpmClientView, XpmError> {
        self.get(access, xpm_client).await
    }

    async fn search_clients(
        &self,
        access: XpmAccess,
        query: &str,
    ) -> Result<Vec<LookAlike>, XpmError> {
        self.search(access, query).await
    }

    async fn clients_modified_since(
        &self,
        access: XpmAccess,
        since: time::OffsetDateTime,
    ) -> Result<Vec<LookAlike>, XpmError> {
        self.modified_since(access, since).await
    }

    async fn custom_field_definitions(
        &self,
        access: XpmAccess,
    ) -> Result<Vec<XpmCustomFieldDefinition>, XpmError> {
        self.definitions(access).await
    }

    async fn read_client_custom_field(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
    ) -> Result<Option<String>, XpmError> {
        self.read_custom_field(access, xpm_client, field).await
    }

    async fn write_client_custom_field(
        &self,
        access: XpmAccess,
        xpm_client: XpmClientUuid,
        field: XpmCustomFieldUuid,
        value: &str,
    ) -> Result<(), XpmError> {
        self.write_custom_field(access, xpm_client, field, value)
            .await
    }

    fn allowance(&self, access: XpmAccess) -> Option<domain::ports::XpmAllowance> {
        self.inner.allowances.get(access.tenant)
    }

    async fn check_connection(&self, access: XpmAccess) -> Result<(), XpmError> {
        self.check(access).await
    }
}
