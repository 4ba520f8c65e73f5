//! Issuing and rotating Xero-like tokens. Access tokens are JWT-shaped
//! (header.payload.signature, the signature is not verifiable) and live 30
//! minutes; refresh tokens rotate on use, with a 30-minute grace for the
//! old one while its successor is unused, and expire after 60 days unused.

use crate::rng::token_hash;
use crate::state::{AccessToken, RefreshState, RefreshToken, SimState};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub const ACCESS_TTL: Duration = Duration::minutes(30);
pub const REFRESH_TTL: Duration = Duration::days(60);
pub const REFRESH_GRACE: Duration = Duration::minutes(30);
pub const CODE_TTL: Duration = Duration::minutes(5);

/// The token endpoint's answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenSet {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id_token: Option<String>,
    pub access_token: String,
    pub expires_in: i64,
    pub token_type: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refresh_token: Option<String>,
    pub scope: String,
}

fn b64(v: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
}

fn jwt(payload: serde_json::Value, sig_seed: &str) -> String {
    let header = json!({ "alg": "RS256", "kid": "xpm-sim", "typ": "JWT" });
    let sig =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token_hash(sig_seed).as_bytes());
    format!("{}.{}.{}", b64(&header), b64(&payload), sig)
}

/// Issues a fresh access token (and refresh and id tokens when the scopes ask).
pub fn issue(
    st: &mut SimState,
    now: OffsetDateTime,
    issuer: &str,
    client_id: &str,
    user_id: Uuid,
    scopes: &[String],
    auth_event_id: Uuid,
) -> TokenSet {
    // Forget what can no longer be used, so long runs do not grow without bound.
    st.access_tokens
        .retain(|_, t| t.expires + Duration::days(1) > now);
    st.codes.retain(|_, c| c.expires + Duration::hours(1) > now);
    st.refresh_tokens.retain(|_, t| t.expires > now);
    let jti = st.rng.token();
    let exp = now + ACCESS_TTL;
    let payload = json!({
        "nbf": now.unix_timestamp(),
        "exp": exp.unix_timestamp(),
        "iss": issuer,
        "aud": format!("{issuer}/resources"),
        "client_id": client_id,
        "sub": user_id.simple().to_string(),
        "auth_time": now.unix_timestamp(),
        "xero_userid": user_id.to_string(),
        "global_session_id": auth_event_id.simple().to_string(),
        "jti": jti,
        "authentication_event_id": auth_event_id.to_string(),
        "scope": scopes,
    });
    let access_token = jwt(payload, &jti);
    st.access_tokens.insert(
        token_hash(&access_token),
        AccessToken {
            client_id: client_id.to_string(),
            user_id,
            scopes: scopes.to_vec(),
            expires: exp,
            revoked: false,
        },
    );
    let refresh_token = scopes.iter().any(|s| s == "offline_access").then(|| {
        let rt = st.rng.token();
        st.refresh_tokens.insert(
            token_hash(&rt),
            RefreshToken {
                client_id: client_id.to_string(),
                user_id,
                scopes: scopes.to_vec(),
                expires: now + REFRESH_TTL,
                state: RefreshState::Active,
                used: false,
            },
        );
        rt
    });
    let id_token = scopes.iter().any(|s| s == "openid").then(|| {
        let user = st.users.get(&user_id).cloned();
        let (email, name) = user.map(|u| (u.email, u.name)).unwrap_or_default();
        let mut parts = name.splitn(2, ' ');
        let given = parts.next().unwrap_or("").to_string();
        let family = parts.next().unwrap_or("").to_string();
        let seed = st.rng.token();
        jwt(
            json!({
                "nbf": now.unix_timestamp(),
                "exp": (now + Duration::minutes(5)).unix_timestamp(),
                "iss": issuer,
                "aud": client_id,
                "iat": now.unix_timestamp(),
                "at_hash": seed,
                "sid": auth_event_id.simple().to_string(),
                "sub": user_id.simple().to_string(),
                "auth_time": now.unix_timestamp(),
                "xero_userid": user_id.to_string(),
                "global_session_id": auth_event_id.simple().to_string(),
                "preferred_username": email,
                "email": email,
                "given_name": given,
                "family_name": family,
                "name": name,
            }),
            &seed,
        )
    });
    st.version += 1;
    TokenSet {
        id_token,
        access_token,
        expires_in: ACCESS_TTL.whole_seconds(),
        token_type: "Bearer".into(),
        refresh_token,
        scope: scopes.join(" "),
    }
}

/// Why a refresh failed (always answered as `invalid_grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshError {
    Unknown,
    WrongClient,
    Expired,
    Revoked,
    AlreadyUsed,
}

/// The refresh-token grant with rotation and the grace rule.
pub fn refresh(
    st: &mut SimState,
    now: OffsetDateTime,
    issuer: &str,
    client_id: &str,
    token: &str,
) -> Result<TokenSet, RefreshError> {
    let hash = token_hash(token);
    let Some(rt) = st.refresh_tokens.get(&hash).cloned() else {
        return Err(RefreshError::Unknown);
    };
    if rt.client_id != client_id {
        return Err(RefreshError::WrongClient);
    }
    if now >= rt.expires {
        return Err(RefreshError::Expired);
    }
    let rotated_at = match &rt.state {
        RefreshState::Revoked => return Err(RefreshError::Revoked),
        RefreshState::Active => now,
        RefreshState::Rotated { at, successor } => {
            let successor_unused = st
                .refresh_tokens
                .get(successor)
                .is_some_and(|s| !s.used && s.state == RefreshState::Active);
            if now >= *at + REFRESH_GRACE || !successor_unused {
                return Err(RefreshError::AlreadyUsed);
            }
            // The answer to the first use was lost: the successor is replaced.
            if let Some(s) = st.refresh_tokens.get_mut(successor) {
                s.state = RefreshState::Revoked;
            }
            *at
        }
    };
    let set = issue(
        st,
        now,
        issuer,
        client_id,
        rt.user_id,
        &rt.scopes,
        Uuid::nil(),
    );
    let successor = set
        .refresh_token
        .as_deref()
        .map(token_hash)
        .unwrap_or_default();
    if let Some(old) = st.refresh_tokens.get_mut(&hash) {
        old.used = true;
        old.state = RefreshState::Rotated {
            at: rotated_at,
            successor,
        };
    }
    Ok(set)
}
