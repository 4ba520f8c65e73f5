//! Security: forged OAuth callbacks, roles, security headers and cookies,
//! body limits. (Tenant isolation is in `isolation.rs`, secrets in logs in
//! `binary_logs.rs`.)

use reliability_tests::browser::{Browser, location};
use reliability_tests::world::{Options, World};
use reqwest::{Method, StatusCode};
use serde_json::json;
use xpm_sim::seed::demo as sim_demo;

async fn status_of(w: &World<impl pmhub_xpm::state::AppStore>, token: &str) -> String {
    let r = w.api(token).get("/api/integration").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["status"].as_str().unwrap_or_default().to_owned()
}

fn with_query(url: &str, key: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with(&format!("{key}=")))
        .collect();
    let mut parts = kept.join("&");
    if !parts.is_empty() {
        parts.push('&');
    }
    format!("{base}?{parts}{key}={value}")
}

fn param(url: &str, key: &str) -> String {
    url.split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{key}=")))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_callback_with_a_forged_state_is_refused_and_changes_nothing() {
    let w = World::postgres().await;
    let b = Browser::logged_in(
        &w.url,
        pmhub_xpm::demo::ADMIN_EMAIL,
        pmhub_xpm::demo::ADMIN_PASSWORD,
    )
    .await;
    let authorize = b.press_connect().await;
    let callback = b
        .consent(
            &w.sim.base_url(),
            &authorize,
            sim_demo::ADMIN_USER_ID,
            sim_demo::TENANT_ID,
        )
        .await;
    let forged = with_query(&callback, "state", "forged-state-value");
    let r = b.callback(&forged).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("Nothing was changed"));
    // No state at all.
    let r = b
        .callback(&format!("{}/integrations/xpm/callback?code=abc", w.url))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(status_of(&w, &w.fx.a_admin_token).await, "Not connected");
    // No token was even asked for with the forged state.
    let exchanges = w.sim.control().journal(&xpm_sim::JournalFilter {
        path: Some("/connect/token".into()),
        ..Default::default()
    });
    assert!(exchanges.is_empty(), "{exchanges:?}");
}

#[tokio::test]
async fn a_code_from_another_login_fails_the_pkce_check_and_is_refused() {
    let w = World::postgres().await;
    let b = Browser::logged_in(
        &w.url,
        pmhub_xpm::demo::ADMIN_EMAIL,
        pmhub_xpm::demo::ADMIN_PASSWORD,
    )
    .await;
    // Two logins started: each has its own state and PKCE verifier.
    let first = b.press_connect().await;
    let second = b.press_connect().await;
    assert_ne!(param(&first, "state"), param(&second, "state"));
    assert_ne!(
        param(&first, "code_challenge"),
        param(&second, "code_challenge")
    );
    assert!(
        !param(&first, "code_challenge").is_empty(),
        "PKCE is used: {first}"
    );
    let callback = b
        .consent(
            &w.sim.base_url(),
            &first,
            sim_demo::ADMIN_USER_ID,
            sim_demo::TENANT_ID,
        )
        .await;
    // The first login's code, presented with the second login's (valid) state:
    // the app sends the second verifier, which does not match the first challenge.
    let swapped = with_query(&callback, "state", &param(&second, "state"));
    let r = b.callback(&swapped).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{}", location(&r));
    assert_eq!(status_of(&w, &w.fx.a_admin_token).await, "Not connected");
    let refused = w.sim.control().journal(&xpm_sim::JournalFilter {
        path: Some("/connect/token".into()),
        ..Default::default()
    });
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].status, Some(400), "{:?}", refused[0]);
}

#[tokio::test]
async fn a_callback_carrying_another_practices_state_is_refused_and_a_state_works_once() {
    let w = World::postgres().await;
    let a = Browser::logged_in(
        &w.url,
        pmhub_xpm::demo::ADMIN_EMAIL,
        pmhub_xpm::demo::ADMIN_PASSWORD,
    )
    .await;
    let b = Browser::logged_in(
        &w.url,
        reliability_tests::fixtures::B_ADMIN_EMAIL,
        reliability_tests::fixtures::B_ADMIN_PASSWORD,
    )
    .await;
    let authorize_b = b.press_connect().await;
    let callback_b = b
        .consent(
            &w.sim.base_url(),
            &authorize_b,
            reliability_tests::world::SECOND_ADMIN_USER_ID,
            sim_demo::SECOND_TENANT_ID,
        )
        .await;
    // Practice A's admin presents practice B's callback.
    let r = a.callback(&callback_b).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(status_of(&w, &w.fx.a_admin_token).await, "Not connected");
    // B's own callback still works, once.
    let r = b.callback(&callback_b).await;
    assert_eq!(location(&r), "/integrations/xpm?done=connected");
    assert_eq!(status_of(&w, &w.fx.b_admin_token).await, "Connected");
    let r = b.callback(&callback_b).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a replayed callback is refused"
    );
    assert_eq!(status_of(&w, &w.fx.a_admin_token).await, "Not connected");
}

#[tokio::test]
async fn staff_cannot_connect_disconnect_or_configure_by_api_or_page() {
    let w = World::postgres().await;
    w.connect_a().await;
    let staff = w.api(&w.fx.a_staff_token);
    let before = w
        .api(&w.fx.a_admin_token)
        .get("/api/association-types")
        .await
        .json();
    let tries = [
        (
            Method::POST,
            "/api/integration/connect".to_owned(),
            json!({}),
        ),
        (
            Method::POST,
            "/api/integration/disconnect".to_owned(),
            json!({"confirm": true}),
        ),
        (
            Method::POST,
            "/api/integration/organisation".to_owned(),
            json!({"tenantId": sim_demo::TENANT_ID}),
        ),
        (
            Method::POST,
            "/api/integration/organisation/name".to_owned(),
            json!({"name": "Renamed by staff"}),
        ),
        (
            Method::PUT,
            format!(
                "/api/association-types/{}/mapping",
                reliability_tests::fixtures::demo_id(4, 7)
            ),
            json!({"xpmRelationshipType": "Partner"}),
        ),
        (
            Method::PUT,
            format!(
                "/api/association-types/{}/mapping",
                reliability_tests::fixtures::demo_id(4, 1)
            ),
            json!({"xpmRelationshipType": null}),
        ),
    ];
    for (method, path, body) in tries {
        let r = staff.send(method.clone(), &path, Some(&body)).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text);
        assert_eq!(r.content_type, "application/problem+json");
    }
    // Pages: the staff member's forms are refused the same way.
    let page = Browser::logged_in(
        &w.url,
        pmhub_xpm::demo::STAFF_EMAIL,
        pmhub_xpm::demo::STAFF_PASSWORD,
    )
    .await;
    let csrf = page.csrf().await;
    for (path, form) in [
        ("/integrations/xpm/connect", vec![("csrf", csrf.as_str())]),
        (
            "/integrations/xpm/disconnect",
            vec![("csrf", csrf.as_str()), ("confirm", "yes")],
        ),
        (
            "/integrations/xpm/organisation",
            vec![("csrf", csrf.as_str()), ("tenant", sim_demo::TENANT_ID)],
        ),
        (
            "/integrations/xpm/organisation/name",
            vec![("csrf", csrf.as_str()), ("name", "Renamed by staff")],
        ),
    ] {
        let r = page.post_form(path, &form).await;
        assert!(r.status().is_client_error(), "{path}: {}", r.status());
    }
    let mapping = format!(
        "/association-types/{}/mapping",
        reliability_tests::fixtures::demo_id(4, 7)
    );
    let r = page
        .post_form(
            &mapping,
            &[("csrf", csrf.as_str()), ("xpm_type", "Partner")],
        )
        .await;
    assert!(r.status().is_client_error(), "{mapping}: {}", r.status());
    // Nothing changed: still connected, mappings as before.
    assert_eq!(status_of(&w, &w.fx.a_admin_token).await, "Connected");
    let after = w
        .api(&w.fx.a_admin_token)
        .get("/api/association-types")
        .await
        .json();
    assert_eq!(before, after);
    let revocations = w.sim.control().journal(&xpm_sim::JournalFilter {
        path: Some("/connect/revocation".into()),
        ..Default::default()
    });
    assert!(revocations.is_empty());
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused() {
    let w = World::postgres().await;
    w.connect_a().await;
    let admin = Browser::logged_in(
        &w.url,
        pmhub_xpm::demo::ADMIN_EMAIL,
        pmhub_xpm::demo::ADMIN_PASSWORD,
    )
    .await;
    let other = Browser::logged_in(
        &w.url,
        pmhub_xpm::demo::ADMIN_EMAIL,
        pmhub_xpm::demo::ADMIN_PASSWORD,
    )
    .await;
    let other_csrf = other.csrf().await;
    let client = w.fx.a_clients[0].to_string();
    for (path, form) in [
        (
            "/integrations/xpm/disconnect".to_owned(),
            vec![("csrf", other_csrf.as_str()), ("confirm", "yes")],
        ),
        ("/integrations/xpm/connect".to_owned(), vec![("csrf", "")]),
        (
            format!("/clients/{client}/sync"),
            vec![("csrf", other_csrf.as_str())],
        ),
        ("/logout".to_owned(), vec![("csrf", "x")]),
    ] {
        let r = admin.post_form(&path, &form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(status_of(&w, &w.fx.a_admin_token).await, "Connected");
    let writes = w.sim.control().journal(&xpm_sim::JournalFilter {
        path: Some("/practicemanager".into()),
        ..Default::default()
    });
    assert!(writes.is_empty(), "{writes:?}");
}

fn assert_security_headers(what: &str, headers: &reqwest::header::HeaderMap) {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = get("content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "{what}: CSP {csp:?}"
    );
    assert!(csp.contains("default-src 'self'"), "{what}: CSP {csp:?}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
}

#[tokio::test]
async fn every_page_and_answer_carries_the_security_headers() {
    let w = World::postgres().await;
    let anonymous = w.browser();
    let admin = Browser::logged_in(
        &w.url,
        pmhub_xpm::demo::ADMIN_EMAIL,
        pmhub_xpm::demo::ADMIN_PASSWORD,
    )
    .await;
    let client = w.fx.a_clients[0];
    for path in [
        "/login".to_owned(),
        "/".to_owned(),
        "/integrations/xpm".to_owned(),
        "/integrations/xpm/disconnect".to_owned(),
        "/clients".to_owned(),
        format!("/clients/{client}"),
        "/association-types".to_owned(),
        "/activity".to_owned(),
        "/activity.csv".to_owned(),
        "/no-such-page".to_owned(),
        "/healthz".to_owned(),
    ] {
        for b in [&anonymous, &admin] {
            let r = b.get(&path).await;
            assert_security_headers(&path, r.headers());
        }
    }
    for path in ["/api/clients", "/api/integration", "/api/nowhere"] {
        let r = w
            .api(&w.fx.a_admin_token)
            .request(Method::GET, path)
            .send()
            .await
            .unwrap();
        assert_security_headers(path, r.headers());
        let r = w
            .api("pmx_wrong")
            .request(Method::GET, path)
            .send()
            .await
            .unwrap();
        assert_security_headers(path, r.headers());
    }
}

fn session_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("pmhub_session="))
        .unwrap_or_else(|| panic!("no session cookie: {:?}", r.headers()))
        .to_owned()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_and_secure_behind_https() {
    let plain = World::postgres().await;
    let r = plain
        .browser()
        .login(
            pmhub_xpm::demo::ADMIN_EMAIL,
            pmhub_xpm::demo::ADMIN_PASSWORD,
        )
        .await;
    let cookie = session_cookie(&r).to_lowercase();
    assert!(cookie.contains("httponly"), "{cookie}");
    assert!(cookie.contains("samesite=strict"), "{cookie}");
    assert!(!cookie.contains("secure"), "plain http: {cookie}");
    // The value is sealed: neither the user id nor the CSRF token shows.
    assert!(
        !cookie.contains("csrf") && !cookie.contains("5eed"),
        "{cookie}"
    );

    let secure = World::postgres_with(Options {
        secure_cookies: true,
        ..Options::default()
    })
    .await;
    let r = secure
        .browser()
        .login(
            pmhub_xpm::demo::ADMIN_EMAIL,
            pmhub_xpm::demo::ADMIN_PASSWORD,
        )
        .await;
    let cookie = session_cookie(&r).to_lowercase();
    assert!(
        cookie.contains("httponly") && cookie.contains("secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413_and_write_nothing() {
    let w = World::postgres().await;
    let api = w.api(&w.fx.a_admin_token);
    let before = api
        .get("/api/clients")
        .await
        .json()
        .as_array()
        .map(Vec::len);
    let huge_name = "x".repeat(300 * 1024);
    let r = api
        .post(
            "/api/clients",
            &json!({"name": huge_name, "kind": "organisation"}),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    let r = api
        .raw(
            Method::POST,
            &format!("/api/clients/{}/sync", w.fx.a_clients[0]),
            "application/json",
            vec![b' '; 400 * 1024],
        )
        .await;
    assert_eq!(r.status, 413);
    let r = w
        .browser()
        .post_form(
            "/login",
            &[("email", huge_name.as_str()), ("password", "p")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let after = api
        .get("/api/clients")
        .await
        .json()
        .as_array()
        .map(Vec::len);
    assert_eq!(before, after);
    assert!(w.sim.control().journal_all().is_empty());
}

#[tokio::test]
async fn requests_without_a_valid_token_or_session_get_nothing() {
    let w = World::postgres().await;
    let client = w.fx.a_clients[0];
    for token in [
        "",
        "pmx_",
        "pmx_forged",
        &w.fx.a_admin_token[..w.fx.a_admin_token.len() - 1],
    ] {
        for path in [
            "/api/clients".to_owned(),
            format!("/api/clients/{client}"),
            "/api/activity".to_owned(),
        ] {
            let r = w.api(token).get(&path).await;
            assert_eq!(r.status, 401, "{token:?} {path}");
            assert!(!r.text.contains("Acme"), "{path}");
        }
    }
    for path in [
        "/clients".to_owned(),
        format!("/clients/{client}"),
        "/activity".to_owned(),
        "/activity.csv".to_owned(),
    ] {
        let r = w.browser().get(&path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&r).starts_with("/login"), "{path}");
    }
    // A session cookie made up by the client is not a session.
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = forged
        .get(format!("{}/clients", w.url))
        .header(
            "cookie",
            "pmhub_session={\"user\":\"5eed0000-0000-0000-0000-000200000001\"}",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
