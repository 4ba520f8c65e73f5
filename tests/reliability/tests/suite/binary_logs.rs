//! The real binary: no token, secret, code or password in its logs (captured
//! at debug level) or in any answer, through connect, syncs, a token
//! refresh, a revocation and errors; and its cookies behind https.

use domain::ports::ConnectionStore;
use reliability_tests::browser::{Browser, hidden};
use reliability_tests::served::{Served, ServedOptions};
use secrecy::ExposeSecret;
use serde_json::json;
use xpm_sim::seed::demo as sim_demo;

fn code_of(callback: &str) -> String {
    callback
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .find_map(|p| p.strip_prefix("code="))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn no_token_secret_code_or_password_reaches_the_log_or_an_answer() {
    let s = Served::start(ServedOptions::default()).await;
    let mut secrets: Vec<(String, String)> = vec![
        ("client secret".into(), sim_demo::CLIENT_SECRET.into()),
        (
            "admin password".into(),
            pmhub_xpm::demo::ADMIN_PASSWORD.into(),
        ),
        ("API token".into(), s.fx.a_admin_token.clone()),
        ("staff API token".into(), s.fx.a_staff_token.clone()),
        ("token key".into(), s.config.token_key_base64.clone()),
    ];
    let mut answers = Vec::new();
    let b = Browser::logged_in(
        &s.url(),
        pmhub_xpm::demo::ADMIN_EMAIL,
        pmhub_xpm::demo::ADMIN_PASSWORD,
    )
    .await;
    // A failed login logs nothing of the password either.
    let wrong = Browser::new(&s.url());
    let r = wrong
        .login(
            pmhub_xpm::demo::ADMIN_EMAIL,
            "not-the-password-but-secret-too",
        )
        .await;
    assert_eq!(r.status().as_u16(), 401);
    secrets.push((
        "wrong password".into(),
        "not-the-password-but-secret-too".into(),
    ));
    let authorize = b.press_connect().await;
    let callback = b
        .consent(
            &s.sim.base_url(),
            &authorize,
            sim_demo::ADMIN_USER_ID,
            sim_demo::TENANT_ID,
        )
        .await;
    secrets.push(("authorisation code".into(), code_of(&callback)));
    let r = b.callback(&callback).await;
    assert_eq!(
        reliability_tests::browser::location(&r),
        "/integrations/xpm?done=connected"
    );
    let page = b
        .get("/integrations/xpm")
        .await
        .text()
        .await
        .unwrap_or_default();
    // The CSRF token belongs in the pages' forms, never in the log.
    let csrf = hidden(&page, "csrf").unwrap_or_default();
    assert!(csrf.len() >= 8);
    let tokens = |label: &str, t: Option<domain::ports::TokenSet>| -> Vec<(String, String)> {
        let t = t.expect("tokens are stored");
        vec![
            (
                format!("{label} access token"),
                t.access_token.expose_secret().to_owned(),
            ),
            (
                format!("{label} refresh token"),
                t.refresh_token.expose_secret().to_owned(),
            ),
        ]
    };
    secrets.extend(tokens(
        "first",
        s.store.tokens(s.fx.a).await.expect("read tokens"),
    ));

    let api = s.api(&s.fx.a_admin_token);
    let john = reliability_tests::fixtures::demo_id(3, 3).to_string();
    let trust = reliability_tests::fixtures::demo_id(3, 4).to_string();
    for client in [&john, &trust] {
        let r = api.sync(client, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        answers.push(r.text);
    }
    // Every access token expires: the next sync refreshes.
    s.sim.control().expire_all_tokens();
    let r = api.send(reqwest::Method::PUT, &format!("/api/clients/{john}"), Some(&json!({"name": "John Citizen", "kind": "individual", "email": "john.new@citizen.test", "businessStructure": "Individual"}))).await;
    answers.push(r.text);
    let r = api.sync(&john, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    answers.push(r.text);
    secrets.extend(tokens(
        "refreshed",
        s.store.tokens(s.fx.a).await.expect("read tokens"),
    ));
    // Xero refuses the token endpoint once, then the grant is revoked.
    s.sim.control().add_fault(xpm_sim::FaultSpec {
        method: None,
        path: Some("/connect/token".into()),
        tenant: None,
        action: xpm_sim::FaultAction::Status {
            status: 500,
            body: Some("{\"error\":\"server_error\"}".into()),
            retry_after: None,
        },
        times: Some(1),
    });
    s.sim.control().expire_all_tokens();
    let r = api.sync(&trust, None).await;
    answers.push(r.text);
    s.sim
        .control()
        .revoke_connection(sim_demo::TENANT_ID.parse().expect("uuid"), None);
    s.sim.control().expire_all_tokens();
    for path in ["/api/integration", "/api/activity", "/api/activity.csv"] {
        answers.push(api.get(path).await.text);
    }
    let r = api.sync(&john, None).await;
    answers.push(r.text);
    answers.push(
        b.get("/integrations/xpm")
            .await
            .text()
            .await
            .unwrap_or_default(),
    );
    answers.push(b.get("/activity").await.text().await.unwrap_or_default());
    let status = api.get("/api/integration").await.json();
    assert_ne!(
        status["status"], "Connected",
        "the revocation was noticed: {status}"
    );

    let log = s.log();
    assert!(
        log.contains("pmhub-xpm is serving"),
        "the log was captured: {log}"
    );
    assert!(log.lines().count() > 20, "the log has the requests: {log}");
    assert!(!log.contains(&csrf), "the log holds the CSRF token");
    for (what, secret) in &secrets {
        assert!(secret.len() >= 8, "{what} is a real value: {secret:?}");
        assert!(!log.contains(secret.as_str()), "the log holds the {what}");
        for answer in &answers {
            assert!(
                !answer.contains(secret.as_str()),
                "an answer holds the {what}: {answer}"
            );
        }
    }
}

#[tokio::test]
async fn behind_an_https_public_url_the_session_cookie_is_secure() {
    let s = Served::start(ServedOptions {
        https_public_url: true,
        ..ServedOptions::default()
    })
    .await;
    let r = Browser::new(&s.url())
        .login(
            pmhub_xpm::demo::ADMIN_EMAIL,
            pmhub_xpm::demo::ADMIN_PASSWORD,
        )
        .await;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("pmhub_session="))
        .expect("a session cookie")
        .to_lowercase();
    for attribute in ["secure", "httponly", "samesite=strict", "path=/"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
}
