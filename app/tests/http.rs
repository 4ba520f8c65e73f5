//! The app over HTTP, as people and API clients use it, against xpm-sim
//! in-process, on both stores.

mod support;

use pmhub_xpm::demo;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{Backend, TestApp, tenant};
use xpm_sim::seed::demo as sim_demo;

/// Runs one test body on SQLite and on Postgres.
macro_rules! on_both_stores {
    ($($name:ident => $body:ident;)+) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = super::TestApp::start(super::Backend::Sqlite).await;
                super::$body(&app).await;
                app.stop().await;
            })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = super::TestApp::start(super::Backend::Postgres).await;
                super::$body(&app).await;
                app.stop().await;
            })+
        }
    };
}

on_both_stores! {
    connecting_through_xeros_login_shows_connected_and_syncs_nothing => connecting_shows_connected_and_syncs_nothing;
    a_manual_sync_creates_once_and_an_unchanged_resync_writes_nothing => sync_creates_once;
    a_first_sync_with_a_look_alike_waits_for_a_link_or_create_choice => look_alike_needs_a_choice;
    disconnect_needs_confirmation_keeps_xpm_data_and_the_activity_log => disconnect_keeps_everything;
    staff_can_sync_but_cannot_connect_disconnect_or_map => staff_permissions;
}

async fn connecting_shows_connected_and_syncs_nothing(app: &TestApp) {
    app.connect().await;
    let (status, body) = app.get_json("/api/integration", &app.staff_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "Connected");
    assert_eq!(body["organisation"]["name"], sim_demo::TENANT_NAME);
    assert!(body["connectedSince"].is_string());
    assert!(
        app.xpm_writes().is_empty(),
        "connecting must not sync anything"
    );
    let (_, page) = app.page("/integrations/xpm?done=connected").await;
    assert!(
        page.contains("Connected. Nothing has been synced"),
        "{page}"
    );
    assert!(page.contains("id=\"reconnect\""));
}

async fn sync_creates_once(app: &TestApp) {
    app.connect().await;
    let trust = demo::client_id(4);
    let (status, first) = app
        .post_json(
            &format!("/api/clients/{trust}/sync"),
            &app.staff_token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["complete"], true, "{first}");
    let created = app
        .xpm_writes()
        .iter()
        .filter(|e| e.path.ends_with("/client.api/add"))
        .count();
    assert_eq!(created, 1);
    let (_, again) = app
        .post_json(
            &format!("/api/clients/{trust}/sync"),
            &app.staff_token,
            json!({}),
        )
        .await;
    assert_eq!(again["plan"]["writes"], 0, "{again}");
    assert_eq!(
        app.xpm_writes()
            .iter()
            .filter(|e| e.path.ends_with("/client.api/add"))
            .count(),
        1
    );
    let names: Vec<String> = app
        .sim
        .control()
        .clients(tenant())
        .expect("clients")
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert!(
        names.contains(&"Smith Family Trust".to_owned()),
        "{names:?}"
    );
}

async fn look_alike_needs_a_choice(app: &TestApp) {
    app.connect().await;
    let acme = demo::client_id(1);
    let (_, outcome) = app
        .post_json(
            &format!("/api/clients/{acme}/sync"),
            &app.staff_token,
            json!({}),
        )
        .await;
    assert_eq!(outcome["plan"]["needsDecision"], true, "{outcome}");
    assert!(
        app.xpm_writes().is_empty(),
        "nothing is pushed before the person chooses"
    );
    let existing = outcome["plan"]["lookAlikes"][0]["xpmClientUuid"]
        .as_str()
        .expect("look-alike")
        .to_owned();
    assert_eq!(existing, sim_demo::ACME_UUID);
    let (status, linked) = app
        .post_json(
            &format!("/api/clients/{acme}/sync"),
            &app.staff_token,
            json!({"decision": {"linkTo": existing}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    assert_eq!(linked["xpmClientUuid"], sim_demo::ACME_UUID);
    assert!(
        app.xpm_writes()
            .iter()
            .all(|e| !e.path.ends_with("/client.api/add")),
        "linking creates no client"
    );
    let (_, activity) = app
        .get_json(
            &format!("/api/activity?client={acme}&kind=client_linked"),
            &app.staff_token,
        )
        .await;
    assert_eq!(
        activity["entries"].as_array().map(Vec::len),
        Some(1),
        "{activity}"
    );
}

async fn disconnect_keeps_everything(app: &TestApp) {
    app.connect().await;
    let trust = demo::client_id(4);
    app.post_json(
        &format!("/api/clients/{trust}/sync"),
        &app.staff_token,
        json!({}),
    )
    .await;
    let before = app.sim.control().clients(tenant()).expect("clients").len();
    let (_, log_before) = app
        .get_json("/api/activity?limit=500", &app.staff_token)
        .await;

    let (status, refused) = app
        .post_json("/api/integration/disconnect", &app.admin_token, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "confirm");
    let (status, done) = app
        .post_json(
            "/api/integration/disconnect",
            &app.admin_token,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "Disconnected");

    assert_eq!(
        app.sim.control().clients(tenant()).expect("clients").len(),
        before,
        "XPM keeps its data"
    );
    let writes = app.xpm_writes().len();
    let (status, problem) = app
        .post_json(
            &format!("/api/clients/{trust}/sync"),
            &app.staff_token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        problem["type"],
        "https://pmhub-xpm.example/problems/not-connected"
    );
    assert_eq!(
        app.xpm_writes().len(),
        writes,
        "no XPM call after Disconnect"
    );
    let (_, log_after) = app
        .get_json("/api/activity?limit=500", &app.staff_token)
        .await;
    let after: Vec<&serde_json::Value> = log_after["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .collect();
    for entry in log_before["entries"].as_array().expect("entries") {
        assert!(after.contains(&entry), "the activity log lost {entry}");
    }
}

async fn staff_permissions(app: &TestApp) {
    let (status, problem) = app
        .post_json("/api/integration/connect", &app.staff_token, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (_, types) = app
        .get_json("/api/association-types", &app.staff_token)
        .await;
    let id = types[0]["id"].as_str().expect("a type").to_owned();
    let response = app
        .api(
            Method::PUT,
            &format!("/api/association-types/{id}/mapping"),
            &app.staff_token,
        )
        .json(&json!({"xpmRelationshipType": "Trustee"}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (status, _) = app
        .post_json(
            "/api/integration/disconnect",
            &app.staff_token,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_are_problem_details_naming_every_bad_field() {
    let app = TestApp::start(Backend::Sqlite).await;
    let response = app
        .api(Method::GET, "/api/clients", "pmx_not-a-token")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()[reqwest::header::CONTENT_TYPE],
        "application/problem+json"
    );
    let (status, problem) = app
        .post_json(
            "/api/clients",
            &app.staff_token,
            json!({"name": " ", "kind": "robot", "email": "nope", "taxNumber": "12"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    for field in ["name", "kind", "email", "taxNumber"] {
        assert!(fields.contains(&field), "{field} not named in {problem}");
    }
    let (status, _) = app
        .get_json("/api/clients/not-a-uuid", &app.staff_token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app
        .api(Method::POST, "/api/clients", &app.staff_token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_need_a_login_refuse_forged_forms_and_carry_security_headers() {
    let app = TestApp::start(Backend::Sqlite).await;
    let (status, _) = app.page("/clients").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a page without a session goes to the login"
    );
    assert_eq!(
        app.login(demo::ADMIN_EMAIL, "wrong password").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(demo::ADMIN_EMAIL, demo::ADMIN_PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    let response = app
        .browser
        .get(format!("{}/clients", app.url))
        .send()
        .await
        .expect("page");
    let headers = response.headers().clone();
    assert!(
        headers[reqwest::header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or("")
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(headers[reqwest::header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let forged = app
        .post_form("/integrations/xpm/connect", &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let login = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{}/login", app.url))
        .form(&[
            ("email", demo::STAFF_EMAIL),
            ("password", demo::STAFF_PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    let cookie = login.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .to_lowercase();
    assert!(
        cookie.contains("httponly") && cookie.contains("samesite=strict"),
        "{cookie}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_xero_login_changes_nothing_and_says_why() {
    let app = TestApp::start(Backend::Sqlite).await;
    assert_eq!(
        app.login(demo::ADMIN_EMAIL, demo::ADMIN_PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    // Xero shows a user without third-party rights only "Return to the app".
    let callback = app
        .connect_via_browser(sim_demo::STAFF_USER_ID, false)
        .await;
    assert_eq!(callback.status(), StatusCode::BAD_REQUEST);
    let page = callback.text().await.expect("page");
    assert!(page.contains("Nothing was changed"), "{page}");
    let (_, status) = app.get_json("/api/integration", &app.staff_token).await;
    assert_eq!(status["status"], "Not connected");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_in_xero_shows_revoked_with_reconnect_and_reconnect_keeps_mappings() {
    let app = TestApp::start(Backend::Sqlite).await;
    app.connect().await;
    let (_, types_before) = app
        .get_json("/api/association-types", &app.staff_token)
        .await;
    app.sim.control().revoke_connection(tenant(), None);
    let (_, page) = app.page("/integrations/xpm").await;
    assert!(page.contains("status-revoked"), "{page}");
    assert!(page.contains("id=\"reconnect\""));
    let callback = app.connect_via_browser(sim_demo::ADMIN_USER_ID, true).await;
    assert_eq!(callback.status(), StatusCode::SEE_OTHER);
    let (_, status) = app.get_json("/api/integration", &app.staff_token).await;
    assert_eq!(status["status"], "Connected");
    let (_, types_after) = app
        .get_json("/api/association-types", &app.staff_token)
        .await;
    assert_eq!(
        types_before, types_after,
        "Reconnect keeps the integration settings"
    );
    assert!(app.xpm_writes().is_empty(), "Reconnect syncs nothing");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_flags_fields_changed_directly_in_xpm_and_writes_nothing() {
    let app = TestApp::start(Backend::Sqlite).await;
    app.connect().await;
    let trust = demo::client_id(4);
    let (_, outcome) = app
        .post_json(
            &format!("/api/clients/{trust}/sync"),
            &app.staff_token,
            json!({}),
        )
        .await;
    let uuid =
        uuid::Uuid::parse_str(outcome["xpmClientUuid"].as_str().expect("uuid")).expect("uuid");
    app.sim
        .control()
        .edit_client(
            tenant(),
            uuid,
            &json!({"Name": "Smith Family Trust", "Email": "changed@in-xpm.test"}),
        )
        .expect("edit in XPM");
    let writes = app.xpm_writes().len();
    let (status, preview) = app
        .get_json(
            &format!("/api/clients/{trust}/sync-preview"),
            &app.staff_token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let fields = preview["fields"].as_array().expect("fields");
    let email = fields
        .iter()
        .find(|f| f["field"] == "Email")
        .expect("email field");
    assert_eq!(email["changedInXpm"], true, "{email}");
    assert_eq!(email["xpmNow"], "changed@in-xpm.test");
    let tax = fields
        .iter()
        .find(|f| f["field"] == "TaxNumber")
        .expect("tax field");
    assert_eq!(
        tax["changedInXpm"], false,
        "a masked tax number is not a change: {tax}"
    );
    assert_eq!(app.xpm_writes().len(), writes, "a preview writes nothing");
    let (_, client) = app
        .get_json(&format!("/api/clients/{trust}"), &app.staff_token)
        .await;
    assert_eq!(
        client["email"], "trustee@smithfamily.test",
        "XPM's value never reaches PM Hub"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_log_exports_as_csv() {
    let app = TestApp::start(Backend::Sqlite).await;
    app.connect().await;
    let response = app
        .api(Method::GET, "/api/activity.csv", &app.staff_token)
        .send()
        .await
        .expect("csv");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let body = response.text().await.expect("body");
    let mut lines = body.lines();
    assert_eq!(
        lines.next(),
        Some("id,at,kind,actor,client_id,failed,message")
    );
    assert!(body.contains(",connected,"), "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_syncs_and_xpm_calls_by_status_and_health_checks_answer() {
    let app = TestApp::start(Backend::Sqlite).await;
    app.connect().await;
    let trust = demo::client_id(4);
    app.post_json(
        &format!("/api/clients/{trust}/sync"),
        &app.staff_token,
        json!({}),
    )
    .await;
    let metrics = reqwest::get(format!("{}/metrics", app.url))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("pmhub_xpm_syncs_total{outcome=\"complete\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("pmhub_xpm_xpm_calls_total{method=\"POST\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("pmhub_xpm_sync_seconds"), "{metrics}");
    for path in ["/healthz", "/readyz"] {
        let status = reqwest::get(format!("{}{path}", app.url))
            .await
            .expect("probe")
            .status();
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route_and_every_route_is_served() {
    let app = TestApp::start(Backend::Sqlite).await;
    let served: serde_json::Value = reqwest::get(format!("{}/openapi.json", app.url))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in served["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                documented.push((method.to_owned(), path.clone()));
            }
        }
    }
    documented.sort();
    let mut routes: Vec<(String, String)> = pmhub_xpm::api::ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    routes.sort();
    assert_eq!(
        documented, routes,
        "the OpenAPI document and the routes differ"
    );
    for (method, path) in pmhub_xpm::api::ROUTES {
        let concrete = path
            .replace("{client}", &demo::client_id(1).to_string())
            .replace("{association}", &uuid::Uuid::nil().to_string())
            .replace("{association_type}", &uuid::Uuid::nil().to_string());
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let status = reqwest::Client::new()
            .request(method.clone(), format!("{}{concrete}", app.url))
            .send()
            .await
            .expect("send")
            .status();
        assert!(
            status == StatusCode::UNAUTHORIZED
                || (path == "/api/xpm-relationship-types" && status == StatusCode::OK),
            "{method} {path} answered {status} without a token"
        );
    }
    app.stop().await;
}
