//! API bearer tokens: `pmx_` + 32 random bytes (base64url). Only the SHA-256
//! of a token is stored.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::practice::User;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::problem::Problem;
use crate::state::{AppState, AppStore};

const PREFIX: &str = "pmx_";

/// A new token, and the hash to store.
pub fn generate() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&token);
    (token, hash)
}

pub fn hash(token: &str) -> String {
    format!("sha256:{}", hex(&Sha256::digest(token.as_bytes())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The user an API request acts as, from its `Authorization: Bearer` token.
#[derive(Debug, Clone)]
pub struct ApiUser(pub User);

impl<S: AppStore> FromRequestParts<AppState<S>> for ApiUser {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let missing = || Problem::unauthorised("send `Authorization: Bearer <API token>`");
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| t.starts_with(PREFIX))
            .ok_or_else(missing)?;
        match state.accounts.api_token_user(&hash(token)).await? {
            Some(user) => Ok(ApiUser(user)),
            None => Err(Problem::unauthorised("this API token is not valid")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_stored_as_hashes() {
        let (a, hash_a) = generate();
        let (b, _) = generate();
        assert!(a.starts_with("pmx_") && a.len() > 40);
        assert_ne!(a, b);
        assert_eq!(hash(&a), hash_a);
        assert!(!hash_a.contains(&a));
    }
}
