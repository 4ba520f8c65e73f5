use crate::common::{http, start};
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::Digest;
use std::collections::HashMap;
use xpm_sim::seed::demo;
use xpm_sim::{ConnectRequest, RunningSim, Sim, SimConfig};

const VERIFIER: &str = "a-very-long-code-verifier-string-for-pkce-0123456789";

fn challenge() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(VERIFIER.as_bytes()))
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

fn query_of(location: &str) -> HashMap<String, String> {
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    crate::common::form_parse(q)
}

fn authorize_url(sim: &RunningSim, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", demo::CLIENT_ID),
        ("redirect_uri", demo::REDIRECT_URI),
        (
            "scope",
            "openid profile email offline_access practicemanager",
        ),
        ("state", "st-123"),
    ];
    params.extend_from_slice(extra);
    crate::common::with_query(&sim.authorize_url(), &params)
}

/// Clicks through login and consent; returns the redirect's query.
async fn login(
    sim: &RunningSim,
    user: &str,
    action: &str,
    tenants: &[&str],
    pkce: bool,
) -> HashMap<String, String> {
    let c = http();
    let ch = challenge();
    let extra: Vec<(&str, &str)> = if pkce {
        vec![
            ("code_challenge", ch.as_str()),
            ("code_challenge_method", "S256"),
        ]
    } else {
        vec![]
    };
    let page = c.get(authorize_url(sim, &extra)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Log in to Xero"));
    let session = hidden(&html, "session");
    let consent = c
        .post(format!(
            "{}/identity/connect/authorize/login",
            sim.base_url()
        ))
        .form(&[("session", session.as_str()), ("user", user)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut form: Vec<(String, String)> = vec![
        ("session".into(), session.clone()),
        ("action".into(), action.into()),
    ];
    for t in tenants {
        assert!(consent.contains(&format!("tenant_{t}")), "{consent}");
        form.push((format!("tenant_{t}"), "on".into()));
    }
    let resp = c
        .post(format!(
            "{}/identity/connect/authorize/consent",
            sim.base_url()
        ))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(demo::REDIRECT_URI), "{location}");
    query_of(&location)
}

async fn token(sim: &RunningSim, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = http()
        .post(sim.token_url())
        .basic_auth(demo::CLIENT_ID, Some(demo::CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .unwrap();
    let s = resp.status();
    (s, resp.json().await.unwrap_or(Value::Null))
}

async fn exchange(sim: &RunningSim, code: &str) -> (StatusCode, Value) {
    token(
        sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", demo::REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn list_status(sim: &RunningSim, access: &str, tenant: Option<&str>) -> (u16, String) {
    let mut r = http()
        .get(format!("{}/client.api/list", sim.xpm_base_url()))
        .bearer_auth(access);
    if let Some(t) = tenant {
        r = r.header("xero-tenant-id", t);
    }
    let resp = r.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn login_consent_and_code_exchange_connect_the_app() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let q = login(&sim, demo::ADMIN_USER_ID, "allow", &[demo::TENANT_ID], true).await;
    assert_eq!(q.get("state").map(String::as_str), Some("st-123"));
    let code = q.get("code").unwrap();
    let (s, tokens) = exchange(&sim, code).await;
    assert_eq!(s, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["expires_in"], 1800);
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["id_token"].is_string());
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "JWT-shaped");

    let conns: Value = http()
        .get(sim.connections_url())
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        conns.as_array().unwrap().len(),
        1,
        "only the chosen practice"
    );
    assert_eq!(conns[0]["tenantId"], demo::TENANT_ID);
    assert_eq!(conns[0]["tenantType"], "PRACTICEMANAGER");
    assert_eq!(
        conns[0]["tenantName"],
        Value::Null,
        "Xero documents no name for an XPM tenant"
    );
    assert_eq!(conns[0]["createdDateUtc"], "2026-01-05T09:00:00.0000000");

    assert_eq!(
        list_status(&sim, access, Some(demo::TENANT_ID)).await.0,
        200
    );
    assert_eq!(
        list_status(&sim, access, Some(demo::SECOND_TENANT_ID))
            .await
            .0,
        403
    );
    // The code is single use.
    assert_eq!(
        exchange(&sim, code).await,
        (
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_grant"})
        )
    );
    let journal = sim.control().journal_all();
    assert!(
        journal
            .iter()
            .all(|e| !e.request_body.contains(code.as_str())),
        "codes are redacted"
    );
    assert!(
        journal.iter().all(|e| !e.response_body.contains(access)),
        "tokens are redacted"
    );
}

/// The `authentication_event_id` claim of a JWT-shaped access token.
fn auth_event_id(access: &str) -> String {
    let payload = access.split('.').nth(1).unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&json).unwrap();
    claims["authentication_event_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn connections(sim: &RunningSim, access: &str, auth_event: Option<&str>) -> Vec<Value> {
    let mut url = sim.connections_url();
    if let Some(id) = auth_event {
        url = format!("{url}?authEventId={id}");
    }
    let answer: Value = http()
        .get(url)
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer.as_array().unwrap().clone()
}

/// The tenants listed, sorted (on the frozen clock, connections made at
/// the same moment come in no particular order).
fn tenants(connections: &[Value]) -> Vec<&str> {
    let mut tenants: Vec<&str> = connections
        .iter()
        .map(|c| c["tenantId"].as_str().unwrap())
        .collect();
    tenants.sort_unstable();
    tenants
}

#[tokio::test]
async fn a_second_consent_keeps_earlier_connections_and_its_auth_event_lists_only_its_own() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let first = login(&sim, demo::ADMIN_USER_ID, "allow", &[demo::TENANT_ID], true).await;
    let (_, first) = exchange(&sim, &first["code"]).await;
    let first_event = auth_event_id(first["access_token"].as_str().unwrap());

    let again = login(
        &sim,
        demo::ADMIN_USER_ID,
        "allow",
        &[demo::SECOND_TENANT_ID],
        true,
    )
    .await;
    let (_, again) = exchange(&sim, &again["code"]).await;
    let access = again["access_token"].as_str().unwrap();
    let event = auth_event_id(access);
    assert_ne!(event, first_event, "each consent is its own event");

    let all = connections(&sim, access, None).await;
    assert_eq!(
        tenants(&all),
        [demo::TENANT_ID, demo::SECOND_TENANT_ID],
        "Xero keeps the earlier connection"
    );
    let latest = connections(&sim, access, Some(&event)).await;
    assert_eq!(tenants(&latest), [demo::SECOND_TENANT_ID]);
    assert_eq!(latest[0]["authEventId"], event.as_str());
    assert_eq!(
        tenants(&connections(&sim, access, Some(&first_event)).await),
        [demo::TENANT_ID],
        "the earlier connection keeps its own consent's event"
    );
    // Every connection kept may still be used with the new token.
    for tenant in [demo::TENANT_ID, demo::SECOND_TENANT_ID] {
        assert_eq!(list_status(&sim, access, Some(tenant)).await.0, 200);
    }

    // Ticking a practice again moves its connection to the new event, once.
    let both = login(
        &sim,
        demo::ADMIN_USER_ID,
        "allow",
        &[demo::TENANT_ID, demo::SECOND_TENANT_ID],
        true,
    )
    .await;
    let (_, both) = exchange(&sim, &both["code"]).await;
    let access = both["access_token"].as_str().unwrap();
    let event = auth_event_id(access);
    let latest = connections(&sim, access, Some(&event)).await;
    assert_eq!(tenants(&latest), [demo::TENANT_ID, demo::SECOND_TENANT_ID]);
    assert_eq!(sim.control().connections().len(), 2);
}

#[tokio::test]
async fn xpm_tenants_are_practicemanager_and_named_only_when_the_seed_says_so() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let q = login(
        &sim,
        demo::ADMIN_USER_ID,
        "allow",
        &[demo::TENANT_ID, demo::SECOND_TENANT_ID],
        true,
    )
    .await;
    let (_, tokens) = exchange(&sim, &q["code"]).await;
    let mut all = connections(&sim, tokens["access_token"].as_str().unwrap(), None).await;
    all.sort_by(|a, b| a["tenantId"].as_str().cmp(&b["tenantId"].as_str()));
    let named: Vec<(&str, &Value, &Value)> = all
        .iter()
        .map(|c| {
            (
                c["tenantId"].as_str().unwrap(),
                &c["tenantType"],
                &c["tenantName"],
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            (
                demo::TENANT_ID,
                &Value::from("PRACTICEMANAGER"),
                &Value::Null
            ),
            (
                demo::SECOND_TENANT_ID,
                &Value::from("PRACTICEMANAGER"),
                &Value::from(demo::SECOND_TENANT_NAME)
            ),
        ]
    );
}

#[tokio::test]
async fn the_consent_page_names_every_practice_even_when_connections_do_not() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let c = http();
    let html = c
        .get(authorize_url(&sim, &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let session = hidden(&html, "session");
    let consent = c
        .post(format!(
            "{}/identity/connect/authorize/login",
            sim.base_url()
        ))
        .form(&[("session", session.as_str()), ("user", demo::ADMIN_USER_ID)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(consent.contains(demo::TENANT_NAME), "{consent}");
    assert!(consent.contains(demo::SECOND_TENANT_NAME), "{consent}");
}

#[tokio::test]
async fn deny_returns_access_denied_to_the_app() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let q = login(&sim, demo::ADMIN_USER_ID, "deny", &[], false).await;
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(q.get("state").map(String::as_str), Some("st-123"));
    assert!(sim.control().connections().is_empty());
}

#[tokio::test]
async fn users_without_third_party_access_cannot_connect() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    for user in [demo::STAFF_USER_ID, "b07d6c8b-3d9f-4a4e-9b2c-8e0f2a4b6c7d"] {
        let c = http();
        let html = c
            .get(authorize_url(&sim, &[]))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let session = hidden(&html, "session");
        let page = c
            .post(format!(
                "{}/identity/connect/authorize/login",
                sim.base_url()
            ))
            .form(&[("session", session.as_str()), ("user", user)])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(
                "You don&#39;t have access to connect to any Xero Practice Manager accounts"
            ) || page
                .contains("You don't have access to connect to any Xero Practice Manager accounts"),
            "{page}"
        );
        let resp = c
            .post(format!(
                "{}/identity/connect/authorize/consent",
                sim.base_url()
            ))
            .form(&[("session", session.as_str()), ("action", "deny")])
            .send()
            .await
            .unwrap();
        let q = query_of(resp.headers()["location"].to_str().unwrap());
        assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    }
    let err = sim.control().connect(&ConnectRequest {
        client_id: demo::CLIENT_ID.into(),
        user_email: demo::STAFF_EMAIL.into(),
        tenants: vec![],
        scopes: vec![],
    });
    assert!(err.is_err());
}

#[tokio::test]
async fn allow_without_choosing_a_practice_asks_again() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let c = http();
    let html = c
        .get(authorize_url(&sim, &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let session = hidden(&html, "session");
    c.post(format!(
        "{}/identity/connect/authorize/login",
        sim.base_url()
    ))
    .form(&[("session", session.as_str()), ("user", demo::ADMIN_USER_ID)])
    .send()
    .await
    .unwrap();
    let resp = c
        .post(format!(
            "{}/identity/connect/authorize/consent",
            sim.base_url()
        ))
        .form(&[("session", session.as_str()), ("action", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Choose at least one organisation")
    );
}

#[tokio::test]
async fn authorize_rejects_bad_requests() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let c = http();
    let bad_client = crate::common::with_query(
        &sim.authorize_url(),
        &[("client_id", "nope"), ("redirect_uri", demo::REDIRECT_URI)],
    );
    let r = c.get(bad_client).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "no redirect to an unchecked URI"
    );
    let r = c
        .get(authorize_url(&sim, &[]).replace("callback", "callback%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "redirect_uri must match exactly"
    );
    let url = crate::common::with_query(
        &sim.authorize_url(),
        &[
            ("response_type", "code"),
            ("client_id", demo::CLIENT_ID),
            ("redirect_uri", demo::REDIRECT_URI),
            ("scope", "bogus.scope"),
            ("state", "s"),
        ],
    );
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let q = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_scope"));
    let r = c
        .get(authorize_url(
            &sim,
            &[("code_challenge", "x"), ("code_challenge_method", "plain")],
        ))
        .send()
        .await
        .unwrap();
    let q = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_request"));
}

#[tokio::test]
async fn token_endpoint_checks_client_pkce_redirect_and_code_age() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let invalid_grant = (
        StatusCode::BAD_REQUEST,
        serde_json::json!({"error": "invalid_grant"}),
    );
    // Wrong verifier.
    let code =
        login(&sim, demo::ADMIN_USER_ID, "allow", &[demo::TENANT_ID], true).await["code"].clone();
    let r = token(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", demo::REDIRECT_URI),
            ("code_verifier", "wrong"),
        ],
    )
    .await;
    assert_eq!(r, invalid_grant);
    // Wrong redirect URI.
    let code =
        login(&sim, demo::ADMIN_USER_ID, "allow", &[demo::TENANT_ID], true).await["code"].clone();
    let r = token(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            (
                "redirect_uri",
                "http://localhost:8080/integrations/xpm/callback",
            ),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(r, invalid_grant);
    // Expired after five minutes.
    let code =
        login(&sim, demo::ADMIN_USER_ID, "allow", &[demo::TENANT_ID], true).await["code"].clone();
    sim.control().advance_clock(time::Duration::minutes(6));
    assert_eq!(exchange(&sim, &code).await, invalid_grant);
    // Wrong secret.
    let code = login(
        &sim,
        demo::ADMIN_USER_ID,
        "allow",
        &[demo::TENANT_ID],
        false,
    )
    .await["code"]
        .clone();
    let resp = http()
        .post(sim.token_url())
        .basic_auth(demo::CLIENT_ID, Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", demo::REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    // Without PKCE, the secret alone (as form fields) is enough.
    let resp = http()
        .post(sim.token_url())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", demo::REDIRECT_URI),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let r = token(&sim, &[("grant_type", "password")]).await;
    assert_eq!(r.1["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn refresh_rotates_with_a_grace_period_for_a_lost_answer() {
    let t = start().await;
    let sim = &t.sim;
    let first = sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![],
            scopes: vec![],
        })
        .unwrap();
    let rt0 = first.refresh_token.unwrap();
    let refresh = |rt: String| async move {
        token(
            sim,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await
    };
    let (s, a) = refresh(rt0.clone()).await;
    assert_eq!(s, StatusCode::OK);
    let rt1 = a["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt0, rt1, "rotated");
    // The answer was lost: the old token works again within 30 minutes...
    sim.control().advance_clock(time::Duration::minutes(10));
    let (s, b) = refresh(rt0.clone()).await;
    assert_eq!(s, StatusCode::OK);
    let rt2 = b["refresh_token"].as_str().unwrap().to_string();
    // ...and the successor it replaced no longer works.
    assert_eq!(refresh(rt1).await.0, StatusCode::BAD_REQUEST);
    // Once the newest token is used, the old one is finished.
    let (s, c) = refresh(rt2).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        refresh(rt0).await.1,
        serde_json::json!({"error": "invalid_grant"})
    );
    // Grace ends after 30 minutes even if the successor is unused.
    let rt3 = c["refresh_token"].as_str().unwrap().to_string();
    let (_, d) = refresh(rt3.clone()).await;
    assert!(d["refresh_token"].is_string());
    sim.control().advance_clock(time::Duration::minutes(31));
    assert_eq!(refresh(rt3).await.0, StatusCode::BAD_REQUEST);
    // Unused for 60 days: expired.
    let rt4 = d["refresh_token"].as_str().unwrap().to_string();
    sim.control().advance_clock(time::Duration::days(60));
    assert_eq!(refresh(rt4).await.1["error"], "invalid_grant");
}

#[tokio::test]
async fn access_tokens_expire_after_thirty_minutes_on_the_sim_clock() {
    let t = start().await;
    assert_eq!(t.get_xml("list").await.0, 200);
    t.sim.control().advance_clock(time::Duration::minutes(29));
    assert_eq!(t.get_xml("list").await.0, 200);
    t.sim.control().advance_clock(time::Duration::minutes(1));
    let resp = t.req(Method::GET, "list").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["Status"], 401);
    assert!(body["Detail"].as_str().unwrap().starts_with("TokenExpired"));
}

#[tokio::test]
async fn expire_all_tokens_makes_calls_401_until_refreshed() {
    let t = start().await;
    assert_eq!(t.sim.control().expire_all_tokens(), 1);
    assert_eq!(t.get_xml("list").await.0, 401);
}

#[tokio::test]
async fn bad_tokens_scopes_and_tenants_are_refused() {
    let t = start().await;
    let url = t.url("list");
    let c = http();
    let none = c
        .get(&url)
        .header("xero-tenant-id", demo::TENANT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["Detail"], "AuthenticationUnsuccessful");
    let junk = c
        .get(&url)
        .bearer_auth("junk")
        .header("xero-tenant-id", demo::TENANT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(junk.status(), StatusCode::UNAUTHORIZED);
    let no_tenant = c.get(&url).bearer_auth(&t.token).send().await.unwrap();
    assert_eq!(no_tenant.status(), StatusCode::FORBIDDEN);
    let other = c
        .get(&url)
        .bearer_auth(&t.token)
        .header("xero-tenant-id", "00000000-0000-4000-8000-000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);

    let read_only = t
        .sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![demo::TENANT_ID.parse().unwrap()],
            scopes: vec!["practicemanager.client.read".into()],
        })
        .unwrap();
    let get = c
        .get(&url)
        .bearer_auth(&read_only.access_token)
        .header("xero-tenant-id", demo::TENANT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::OK);
    let add = c
        .post(t.url("add"))
        .bearer_auth(&read_only.access_token)
        .header("xero-tenant-id", demo::TENANT_ID)
        .body("<Client><Name>X</Name></Client>")
        .send()
        .await
        .unwrap();
    assert_eq!(add.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        add.json::<Value>().await.unwrap()["Detail"],
        "AuthorizationUnsuccessful"
    );
}

#[tokio::test]
async fn revocation_ends_the_grant_and_its_connections() {
    let t = start().await;
    let set = t
        .sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![],
            scopes: vec![],
        })
        .unwrap();
    let rt = set.refresh_token.unwrap();
    let resp = http()
        .post(t.sim.revocation_url())
        .basic_auth(demo::CLIENT_ID, Some(demo::CLIENT_SECRET))
        .form(&[("token", rt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(t.sim.control().connections().is_empty());
    assert_eq!(
        token(
            &t.sim,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)]
        )
        .await
        .1["error"],
        "invalid_grant"
    );
    assert_eq!(t.get_xml("list").await.0, 401);
}

#[tokio::test]
async fn deleting_a_connection_disconnects_that_tenant_only() {
    let t = start().await;
    let c = http();
    let conns: Value = c
        .get(t.sim.connections_url())
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(conns.as_array().unwrap().len(), 2);
    let second = conns
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tenantId"] == demo::SECOND_TENANT_ID)
        .unwrap();
    let id = second["id"].as_str().unwrap();
    let del = c
        .delete(format!("{}/{id}", t.sim.connections_url()))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), StatusCode::NO_CONTENT);
    let again = c
        .delete(format!("{}/{id}", t.sim.connections_url()))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        t.get_xml("list").await.0,
        200,
        "the other tenant still works"
    );
    let no_auth = c.get(t.sim.connections_url()).send().await.unwrap();
    assert_eq!(no_auth.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_admin_revoking_the_app_in_xpm_ends_refreshes_and_calls() {
    let t = start().await;
    let n = t
        .sim
        .control()
        .revoke_connection(demo::TENANT_ID.parse().unwrap(), None);
    assert_eq!(n, 1);
    let (s, _) = t.get_xml("list").await;
    assert_eq!(s, 403, "the tenant is no longer connected");
    t.sim.control().revoke_connection(
        demo::SECOND_TENANT_ID.parse().unwrap(),
        Some(demo::CLIENT_ID),
    );
    assert_eq!(
        t.get_xml("list").await.0,
        401,
        "last connection gone: the grant is revoked"
    );
}

#[tokio::test]
async fn login_consent_and_no_access_pages_are_stable_html() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let c = http();
    let login_page = c
        .get(authorize_url(&sim, &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let session = hidden(&login_page, "session");
    insta::assert_snapshot!("login_page", login_page.replace(&session, "SESSION"));
    let consent = c
        .post(format!(
            "{}/identity/connect/authorize/login",
            sim.base_url()
        ))
        .form(&[("session", session.as_str()), ("user", demo::ADMIN_USER_ID)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    insta::assert_snapshot!("consent_page", consent.replace(&session, "SESSION"));
    let html = c
        .get(authorize_url(&sim, &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let session = hidden(&html, "session");
    let refused = c
        .post(format!(
            "{}/identity/connect/authorize/login",
            sim.base_url()
        ))
        .form(&[("session", session.as_str()), ("user", demo::STAFF_USER_ID)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    insta::assert_snapshot!("no_access_page", refused.replace(&session, "SESSION"));
}
