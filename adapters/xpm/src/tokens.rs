//! Access tokens for API calls: read from the store, renewed when due, the
//! rotated pair saved through the store BEFORE the new access token is used.
//! One renewal at a time per practice, in this process (a mutex) and across
//! processes sharing the store (the store's renewal lock, taken only when a
//! renewal looks needed), so two calls never spend the same refresh token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use domain::ids::PracticeId;
use domain::ports::{AuthorisationError, ConnectionStore, TokenSet, XpmAuthorization, XpmError};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::identity::XeroAuthorization;

/// The login (authentication event) an access token came from: Xero's
/// access tokens are JWTs whose `authentication_event_id` claim names it,
/// and `GET /connections?authEventId=` lists the organisations that login
/// granted. The payload is read without checking the signature: the token
/// is for Xero's API (its audience), which verifies it on every call; this
/// only reads which login made it, fresh from Xero's token endpoint over
/// TLS. `None` when the token is not a JWT, carries no such claim, or the
/// nil id (xpm-sim's tokens renewed by a refresh).
pub(crate) fn authentication_event_id(access_token: &SecretString) -> Option<Uuid> {
    let payload = access_token.expose_secret().split('.').nth(1)?;
    // Base64url without padding (RFC 7515); tolerate padding all the same.
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let id: Uuid = claims
        .get("authentication_event_id")?
        .as_str()?
        .parse()
        .ok()?;
    (!id.is_nil()).then_some(id)
}

pub(crate) struct TokenKeeper<S> {
    store: S,
    identity: XeroAuthorization,
    margin: Duration,
    locks: Mutex<HashMap<PracticeId, Arc<tokio::sync::Mutex<()>>>>,
}

/// What a failed renewal means for the connection.
fn renewal_failure(err: AuthorisationError) -> XpmError {
    match err {
        AuthorisationError::Expired(reason) => XpmError::AuthorisationExpired(format!(
            "Xero would not renew the access token ({reason}); an administrator must Reconnect"
        )),
        // A refusal other than invalid_grant (invalid_client...) is the app's
        // configuration, not the practice's grant: the connection is left as is.
        AuthorisationError::Refused(reason) => {
            XpmError::Unavailable(format!("Xero refused to renew the access token: {reason}"))
        }
        AuthorisationError::Unavailable(reason) => {
            XpmError::Unavailable(format!("the access token could not be renewed: {reason}"))
        }
        AuthorisationError::UnexpectedAnswer(reason) => XpmError::UnexpectedAnswer(reason),
        AuthorisationError::NoOrganisationGranted => {
            XpmError::UnexpectedAnswer("no XPM organisation is granted".into())
        }
    }
}

impl<S: ConnectionStore> TokenKeeper<S> {
    pub(crate) fn new(store: S, identity: XeroAuthorization, margin: Duration) -> Self {
        Self {
            store,
            identity,
            margin,
            locks: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn identity(&self) -> &XeroAuthorization {
        &self.identity
    }

    fn lock_of(&self, practice: PracticeId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(practice).or_default().clone()
    }

    /// An access token good for a call. `refused` is the token an API call
    /// just had refused with 401: it is renewed unless another call already did.
    pub(crate) async fn access_token(
        &self,
        practice: PracticeId,
        refused: Option<&SecretString>,
    ) -> Result<SecretString, XpmError> {
        let lock = self.lock_of(practice);
        let _renewing_here = lock.lock().await;
        let tokens = self.stored(practice).await?;
        if !self.why_renew(&tokens, refused).needed() {
            return Ok(tokens.access_token);
        }
        // Another process may be renewing the same refresh token: wait for
        // it, then read again, since it may have saved a fresh pair.
        let _renewing_anywhere = self.store.lock_token_renewal(practice).await.map_err(|e| {
            XpmError::Unavailable(format!(
                "the Xero token renewal could not be coordinated: {e}"
            ))
        })?;
        let tokens = self.stored(practice).await?;
        let Why { due, was_refused } = self.why_renew(&tokens, refused);
        if !(due || was_refused) {
            // Another process renewed while this one waited.
            return Ok(tokens.access_token);
        }
        tracing::info!(practice = %practice, due, was_refused, "renewing the Xero access token");
        let renewed = match self.identity.refresh(&tokens.refresh_token).await {
            Ok(renewed) => renewed,
            // An access token refused before its time, whose refresh token is
            // dead too: the grant was revoked (Xero answers both cases with
            // invalid_grant; the early 401 tells them apart).
            Err(AuthorisationError::Expired(reason)) if was_refused && !due => {
                return Err(XpmError::AccessRevoked(format!(
                    "Xero refused the access token before it was due to expire and would not renew it ({reason}): access was revoked in Xero; an administrator must Reconnect"
                )));
            }
            Err(err) => return Err(renewal_failure(err)),
        };
        // Saved before use: if the process dies now, the store holds the live refresh token.
        self.store
            .save_tokens(practice, &renewed)
            .await
            .map_err(|e| {
                XpmError::Unavailable(format!(
                    "the renewed Xero tokens could not be saved ({e}); the call was not made"
                ))
            })?;
        Ok(renewed.access_token)
    }

    async fn stored(&self, practice: PracticeId) -> Result<TokenSet, XpmError> {
        self.store
            .tokens(practice)
            .await
            .map_err(|e| {
                XpmError::Unavailable(format!("the stored Xero tokens could not be read: {e}"))
            })?
            .ok_or_else(|| {
                XpmError::AuthorisationExpired(
                    "no Xero tokens are stored for this practice; an administrator must Reconnect"
                        .into(),
                )
            })
    }

    /// Whether `tokens` must be renewed before a call, and why.
    fn why_renew(&self, tokens: &TokenSet, refused: Option<&SecretString>) -> Why {
        let now = self.identity.clock().now();
        let margin = time::Duration::try_from(self.margin).unwrap_or(time::Duration::minutes(2));
        let due = tokens
            .access_expires_at
            .checked_sub(margin)
            .is_none_or(|renew_at| renew_at <= now);
        let was_refused =
            refused.is_some_and(|r| r.expose_secret() == tokens.access_token.expose_secret());
        Why { due, was_refused }
    }
}

/// Why the access token would be renewed.
struct Why {
    /// It expires within the margin (or already has).
    due: bool,
    /// XPM just refused this very token.
    was_refused: bool,
}

impl Why {
    fn needed(&self) -> bool {
        self.due || self.was_refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &serde_json::Value) -> SecretString {
        let part = |v: &serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        SecretString::from(format!(
            "{}.{}.signature",
            part(&serde_json::json!({"alg": "RS256", "typ": "JWT"})),
            part(claims)
        ))
    }

    #[test]
    fn the_login_an_access_token_came_from_is_read_from_its_claims() {
        let id = Uuid::from_u128(0x000e_7e47);
        assert_eq!(
            authentication_event_id(&jwt(&serde_json::json!({
                "sub": "someone",
                "authentication_event_id": id.to_string(),
            }))),
            Some(id)
        );
    }

    #[test]
    fn a_token_without_a_login_id_has_none() {
        for token in [
            jwt(&serde_json::json!({"sub": "someone"})),
            jwt(&serde_json::json!({"authentication_event_id": Uuid::nil().to_string()})),
            jwt(&serde_json::json!({"authentication_event_id": "not-a-uuid"})),
            jwt(&serde_json::json!({"authentication_event_id": 7})),
            SecretString::from("opaque-token"),
            SecretString::from("a.%%%.c"),
            SecretString::from("a.bm90IGpzb24.c"),
        ] {
            assert_eq!(authentication_event_id(&token), None);
        }
    }
}
