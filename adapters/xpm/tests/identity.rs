//! Xero's OAuth 2.0 against wiremock: the login URL, the code exchange with
//! PKCE and HTTP Basic client authentication, the organisations granted,
//! refresh and revocation.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::*;
use domain::ports::{AuthorisationError, XpmAuthorization};
use secrecy::{ExposeSecret, SecretString};
use time::Duration as TimeDuration;
use uuid::Uuid;
use wiremock::matchers::{
    body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};
use xpm_adapter::XeroAuthorization;

const BASIC: &str = "Basic YXBwLWlkOmFwcC1zZWNyZXQ=";

async fn setup() -> (MockServer, XeroAuthorization) {
    let server = MockServer::start().await;
    let auth = XeroAuthorization::with_clock(
        &config(&server.uri(), "app-id", "app-secret"),
        Arc::new(PinnedClock::at(NOW)),
    )
    .unwrap();
    (server, auth)
}

fn token_answer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": "at-1",
        "refresh_token": "rt-1",
        "token_type": "Bearer",
        "expires_in": 1800,
        "id_token": "header.payload.signature",
        "scope": "openid profile email offline_access practicemanager practicemanager.client",
    }))
}

fn connection(tenant: Uuid, kind: &str, name: &str) -> serde_json::Value {
    serde_json::json!({
        "id": Uuid::from_u128(0xc0).to_string(),
        "authEventId": Uuid::from_u128(0xe0).to_string(),
        "tenantId": tenant.to_string(),
        "tenantType": kind,
        "tenantName": name,
        "createdDateUtc": "2026-01-01T00:00:00.0000000",
        "updatedDateUtc": "2026-01-01T00:00:00.0000000",
    })
}

/// An XPM connection as Xero's auth-flow documentation shows it: no name.
fn nameless(tenant: Uuid) -> serde_json::Value {
    let mut c = connection(tenant, "PRACTICEMANAGER", "");
    c["tenantName"] = serde_json::Value::Null;
    c
}

/// The login every JWT-shaped access token below comes from.
const EVENT: Uuid = Uuid::from_u128(0x00e7_e470);

/// A token answer whose access token is a JWT naming the login `event`.
fn jwt_token_answer(event: Uuid) -> ResponseTemplate {
    use base64::Engine;
    let part = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let access = format!(
        "{}.{}.sig",
        part(serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        part(serde_json::json!({
            "sub": "user",
            "authentication_event_id": event.to_string(),
        }))
    );
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "access_token": access,
        "refresh_token": "rt-1",
        "token_type": "Bearer",
        "expires_in": 1800,
        "scope": "offline_access practicemanager",
    }))
}

fn granted(grant: &domain::ports::Grant) -> Vec<(Uuid, Option<String>)> {
    grant
        .organisations
        .iter()
        .map(|o| {
            (
                *o.tenant.as_uuid(),
                o.name.as_ref().map(|n| n.as_str().to_owned()),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_login_url_asks_for_a_code_with_pkce_s256_state_and_the_xpm_scopes() {
    let (server, auth) = setup().await;
    let start = auth.start().unwrap();
    let url = url::Url::parse(&start.url).unwrap();
    assert_eq!(
        url.as_str().split('?').next(),
        Some(format!("{}/identity/connect/authorize", server.uri()).as_str())
    );
    let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "app-id");
    assert_eq!(q["redirect_uri"], "https://pmhub.example/xpm/callback");
    assert_eq!(
        q["scope"],
        "openid profile email offline_access practicemanager practicemanager.client"
    );
    assert_eq!(q["state"], start.state);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(!start.url.contains(start.pkce_verifier.expose_secret()));
    // Every login gets its own state and verifier.
    let again = auth.start().unwrap();
    assert_ne!(again.state, start.state);
    assert_ne!(
        again.pkce_verifier.expose_secret(),
        start.pkce_verifier.expose_secret()
    );
}

#[tokio::test]
async fn the_code_exchange_sends_the_verifier_with_basic_auth_then_lists_practices() {
    let (server, auth) = setup().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .and(header("authorization", BASIC))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=the-code"))
        .and(body_string_contains("code_verifier=the-verifier"))
        .and(body_string_contains(
            "redirect_uri=https%3A%2F%2Fpmhub.example%2Fxpm%2Fcallback",
        ))
        .respond_with(token_answer())
        .expect(1)
        .mount(&server)
        .await;
    let practice = Uuid::from_u128(0x7e4a47);
    Mock::given(method("GET"))
        .and(path("/connections"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![
            connection(Uuid::from_u128(1), "ORGANISATION", "Demo Company (NZ)"),
            connection(practice, "PRACTICE", "Smith Partners"),
            connection(Uuid::from_u128(3), "PRACTICE", ""),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let grant = auth
        .exchange_code("the-code", &SecretString::from("the-verifier"))
        .await
        .unwrap();
    assert_eq!(grant.tokens.access_token.expose_secret(), "at-1");
    assert_eq!(grant.tokens.refresh_token.expose_secret(), "rt-1");
    assert_eq!(
        grant.tokens.access_expires_at,
        NOW + TimeDuration::minutes(30)
    );
    assert_eq!(
        granted(&grant),
        vec![
            (practice, Some("Smith Partners".to_owned())),
            (Uuid::from_u128(3), None),
        ],
        "an opaque access token names no login: every connection Xero lists"
    );
}

#[tokio::test]
async fn the_code_exchange_lists_only_the_organisations_the_login_granted() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(jwt_token_answer(EVENT))
        .mount(&server)
        .await;
    let (earlier, latest) = (Uuid::from_u128(0xa), Uuid::from_u128(0xb));
    Mock::given(method("GET"))
        .and(path("/connections"))
        .and(query_param("authEventId", EVENT.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![nameless(latest)]))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/connections"))
        .and(query_param_is_missing("authEventId"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(vec![nameless(earlier), nameless(latest)]),
        )
        .expect(0)
        .mount(&server)
        .await;
    let grant = auth
        .exchange_code("c", &SecretString::from("v"))
        .await
        .unwrap();
    assert_eq!(granted(&grant), vec![(latest, None)]);
}

#[tokio::test]
async fn practice_and_practicemanager_tenants_are_xpm_with_or_without_a_name() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(jwt_token_answer(EVENT))
        .mount(&server)
        .await;
    let mut no_name_at_all = nameless(Uuid::from_u128(4));
    no_name_at_all.as_object_mut().unwrap().remove("tenantName");
    Mock::given(path("/connections"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![
            nameless(Uuid::from_u128(1)),
            connection(Uuid::from_u128(2), "PRACTICE", "Smith Partners"),
            connection(Uuid::from_u128(3), "practicemanager", " \u{7} "),
            no_name_at_all,
            connection(Uuid::from_u128(5), "ORGANISATION", "Demo Company (NZ)"),
            nameless(Uuid::from_u128(1)),
        ]))
        .mount(&server)
        .await;
    let grant = auth
        .exchange_code("c", &SecretString::from("v"))
        .await
        .unwrap();
    assert_eq!(
        granted(&grant),
        vec![
            (Uuid::from_u128(1), None),
            (Uuid::from_u128(2), Some("Smith Partners".to_owned())),
            (Uuid::from_u128(3), None),
            (Uuid::from_u128(4), None),
        ]
    );
}

#[tokio::test]
async fn a_login_xero_tagged_no_connection_with_acts_on_every_connection() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(jwt_token_answer(EVENT))
        .mount(&server)
        .await;
    Mock::given(path("/connections"))
        .and(query_param("authEventId", EVENT.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(Vec::<serde_json::Value>::new()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/connections"))
        .and(query_param_is_missing("authEventId"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![nameless(Uuid::from_u128(7))]))
        .expect(1)
        .mount(&server)
        .await;
    let grant = auth
        .exchange_code("c", &SecretString::from("v"))
        .await
        .unwrap();
    assert_eq!(granted(&grant), vec![(Uuid::from_u128(7), None)]);
}

#[tokio::test]
async fn a_grant_without_any_practice_is_refused_clearly() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(token_answer())
        .mount(&server)
        .await;
    Mock::given(path("/connections"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![connection(
            Uuid::from_u128(1),
            "ORGANISATION",
            "Demo Company",
        )]))
        .mount(&server)
        .await;
    assert_eq!(
        auth.exchange_code("c", &SecretString::from("v"))
            .await
            .unwrap_err(),
        AuthorisationError::NoOrganisationGranted
    );
}

#[tokio::test]
async fn a_refused_code_is_a_refusal_naming_xero_s_reason_and_is_not_retried() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant",
            "error_description": "code already used"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = auth
        .exchange_code("secret-code", &SecretString::from("secret-verifier"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, AuthorisationError::Refused(_)), "{text}");
    assert!(
        text.contains("invalid_grant") && text.contains("code already used"),
        "{text}"
    );
    assert!(!text.contains("secret-code") && !text.contains("secret-verifier"));
}

#[tokio::test]
async fn a_code_exchange_whose_answer_was_lost_is_not_sent_again() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    assert!(matches!(
        auth.exchange_code("c", &SecretString::from("v")).await,
        Err(AuthorisationError::Unavailable(_))
    ));
}

#[tokio::test]
async fn bad_app_credentials_are_named() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "invalid_client"})),
        )
        .mount(&server)
        .await;
    let err = auth.refresh(&SecretString::from("rt")).await.unwrap_err();
    assert!(
        matches!(&err, AuthorisationError::Refused(m) if m.contains("client id and secret")),
        "{err}"
    );
}

#[tokio::test]
async fn a_token_answer_that_is_not_json_is_unexpected_and_not_echoed() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string("access_token=leaky-token"))
        .mount(&server)
        .await;
    let err = auth.refresh(&SecretString::from("rt")).await.unwrap_err();
    assert!(matches!(err, AuthorisationError::UnexpectedAnswer(_)));
    assert!(!err.to_string().contains("leaky-token"));
}

#[tokio::test]
async fn refresh_rotates_and_keeps_the_old_refresh_token_only_if_xero_sends_none() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .and(body_string_contains("refresh_token=rt-old"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "at-new", "token_type": "Bearer", "expires_in": 600
        })))
        .mount(&server)
        .await;
    let t = auth.refresh(&SecretString::from("rt-old")).await.unwrap();
    assert_eq!(t.access_token.expose_secret(), "at-new");
    assert_eq!(t.refresh_token.expose_secret(), "rt-old");
    assert_eq!(t.access_expires_at, NOW + TimeDuration::minutes(10));
}

#[tokio::test]
async fn refresh_with_a_dead_refresh_token_is_expired() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "invalid_grant"})),
        )
        .mount(&server)
        .await;
    assert!(matches!(
        auth.refresh(&SecretString::from("rt")).await,
        Err(AuthorisationError::Expired(m)) if m == "invalid_grant"
    ));
}

#[tokio::test]
async fn revoke_posts_the_refresh_token_to_the_revocation_endpoint() {
    let (server, auth) = setup().await;
    Mock::given(method("POST"))
        .and(path("/connect/revocation"))
        .and(header("authorization", BASIC))
        .and(body_string_contains("token=rt-1"))
        .and(body_string_contains("token_type_hint=refresh_token"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(auth.revoke(&SecretString::from("rt-1")).await, Ok(()));
}

#[tokio::test]
async fn a_token_refused_when_listing_the_organisations_means_the_authorisation_expired() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(jwt_token_answer(EVENT))
        .mount(&server)
        .await;
    Mock::given(path("/connections"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    assert!(matches!(
        auth.exchange_code("c", &SecretString::from("v")).await,
        Err(AuthorisationError::Expired(_))
    ));
}

#[test]
fn an_invalid_endpoint_is_refused_at_start() {
    let mut c = config("http://127.0.0.1:1", "app-id", "secret");
    c.endpoints.token_url = "not a url".into();
    assert!(XeroAuthorization::new(&c).is_err());
    let mut c = config("http://127.0.0.1:1", "app-id", "secret");
    c.resilience.calls_per_minute = 0;
    assert!(XeroAuthorization::new(&c).is_err());
}

#[test]
fn debug_output_holds_no_secret() {
    let c = config("http://127.0.0.1:1", "app-id", "top-secret");
    let auth = XeroAuthorization::new(&c).unwrap();
    assert!(!format!("{auth:?}").contains("top-secret"));
    assert!(!format!("{c:?}").contains("top-secret"));
}

#[tokio::test]
async fn an_absurd_token_lifetime_is_capped_not_a_panic() {
    let (server, auth) = setup().await;
    Mock::given(path("/connect/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "at", "refresh_token": "rt", "token_type": "Bearer",
            "expires_in": u64::MAX
        })))
        .mount(&server)
        .await;
    let t = auth.refresh(&SecretString::from("rt")).await.unwrap();
    assert_eq!(t.access_expires_at, NOW + TimeDuration::days(1));
}
