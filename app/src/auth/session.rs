//! Page sessions: an encrypted, signed cookie (http-only, SameSite=Strict,
//! Secure behind https) naming the user, with a CSRF token that every form
//! must send back.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::PrivateCookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::ids::{PracticeId, UserId};
use domain::practice::User;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::state::{AppState, AppStore};

const COOKIE: &str = "pmhub_session";
const LIFETIME: Duration = Duration::hours(12);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub user: UserId,
    pub practice: PracticeId,
    pub csrf: String,
    pub expires_at: OffsetDateTime,
}

impl Session {
    pub fn start(user: &User, now: OffsetDateTime) -> Self {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        Self {
            user: user.id,
            practice: user.practice,
            csrf: URL_SAFE_NO_PAD.encode(bytes),
            expires_at: now + LIFETIME,
        }
    }

    pub fn into_cookie(self, secure: bool) -> Cookie<'static> {
        let value = serde_json::to_string(&self).unwrap_or_default();
        Cookie::build((COOKIE, value))
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .max_age(LIFETIME)
            .build()
    }

    pub fn read(jar: &PrivateCookieJar, now: OffsetDateTime) -> Option<Self> {
        let cookie = jar.get(COOKIE)?;
        let session: Session = serde_json::from_str(cookie.value()).ok()?;
        (session.expires_at > now).then_some(session)
    }

    pub fn end(jar: PrivateCookieJar) -> PrivateCookieJar {
        jar.remove(Cookie::build(COOKIE).path("/"))
    }

    /// Whether a form's CSRF token is this session's (constant time).
    pub fn csrf_matches(&self, sent: &str) -> bool {
        let (a, b) = (self.csrf.as_bytes(), sent.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The logged-in user of a page request; anyone else is sent to the login page.
#[derive(Debug, Clone)]
pub struct PageUser {
    pub user: User,
    pub session: Session,
}

impl<S: AppStore> FromRequestParts<AppState<S>> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let to_login = || {
            let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            Redirect::to(&format!("/login?next={}", urlencode(next))).into_response()
        };
        let jar = PrivateCookieJar::<axum_extra::extract::cookie::Key>::from_headers(
            &parts.headers,
            state.cookie_key.clone(),
        );
        let Some(session) = Session::read(&jar, OffsetDateTime::now_utc()) else {
            return Err(to_login());
        };
        match state
            .accounts
            .session_user(session.practice, session.user)
            .await
        {
            Ok(Some(user)) => Ok(PageUser { user, session }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(crate::web::error_page::store_error_page(None, e)),
        }
    }
}

/// Percent-encodes a path for a query value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_compare_exactly() {
        let user = User {
            id: UserId::from_uuid(uuid::Uuid::from_u128(1)),
            practice: PracticeId::from_uuid(uuid::Uuid::from_u128(2)),
            name: domain::text::DisplayName::new("Ada").unwrap(),
            email: domain::text::EmailAddress::new("ada@example.com").unwrap(),
            role: domain::practice::Role::Admin,
        };
        let session = Session::start(&user, OffsetDateTime::UNIX_EPOCH);
        assert!(session.csrf_matches(&session.csrf.clone()));
        assert!(!session.csrf_matches("forged"));
        assert!(!session.csrf_matches(""));
    }

    #[test]
    fn next_paths_are_encoded() {
        assert_eq!(urlencode("/clients?x=1&y"), "/clients%3Fx%3D1%26y");
    }
}
