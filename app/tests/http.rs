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
    clearing_a_field_in_pm_hub_then_syncing_clears_it_in_xpm => clearing_a_field_clears_it_in_xpm;
    a_sync_of_a_client_deleted_in_xpm_answers_gone_from_xpm_and_writes_nothing => gone_client_writes_nothing;
    unlinking_then_syncing_asks_to_link_or_create_again => unlink_then_sync_asks_again;
    changing_association_terms_then_syncing_updates_the_one_xpm_relationship => terms_change_updates_the_relationship;
    a_client_put_twice_by_its_pmhub_id_is_one_client_and_the_second_put_writes_nothing => put_by_pmhub_id_is_idempotent;
    associations_and_types_put_by_pmhub_ids_refer_to_clients_by_pmhub_ids_and_are_idempotent => associations_by_pmhub_ids;
    the_same_new_client_put_several_times_at_once_is_one_client => concurrent_puts_make_one_client;
}

async fn sync(
    app: &TestApp,
    client: domain::ids::ClientId,
    body: serde_json::Value,
) -> serde_json::Value {
    let (status, outcome) = app
        .post_json(
            &format!("/api/clients/{client}/sync"),
            &app.staff_token,
            body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    outcome
}

fn uuid_of(outcome: &serde_json::Value) -> xpm_sim::ClientUuid {
    outcome["xpmClientUuid"]
        .as_str()
        .expect("an XPM client")
        .parse()
        .expect("uuid")
}

async fn put_json(
    app: &TestApp,
    path: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let response = app
        .api(Method::PUT, path, &app.staff_token)
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = response.status();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

async fn activity_messages(
    app: &TestApp,
    client: domain::ids::ClientId,
    kind: &str,
) -> Vec<String> {
    let (_, page) = app
        .get_json(
            &format!("/api/activity?client={client}&kind={kind}"),
            &app.staff_token,
        )
        .await;
    page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn clearing_a_field_clears_it_in_xpm(app: &TestApp) {
    app.connect().await;
    let trust = demo::client_id(4);
    let uuid = uuid_of(&sync(app, trust, json!({})).await);
    let in_xpm = || app.sim.control().client(tenant(), uuid).expect("in XPM");
    assert_eq!(in_xpm().field("Email"), Some("trustee@smithfamily.test"));

    let (_, mut client) = app
        .get_json(&format!("/api/clients/{trust}"), &app.staff_token)
        .await;
    let input = client.as_object_mut().expect("a client");
    for key in ["id", "status", "email"] {
        input.remove(key);
    }
    let (status, saved) = put_json(app, &format!("/api/clients/{trust}"), client).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["email"], serde_json::Value::Null);

    let (_, preview) = app
        .get_json(
            &format!("/api/clients/{trust}/sync-preview"),
            &app.staff_token,
        )
        .await;
    let email = preview["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["field"] == "Email")
        .expect("the email row")
        .clone();
    assert_eq!(email["willWrite"], true, "{email}");
    assert_eq!(email["clears"], true, "{email}");
    assert_eq!(
        email["change"], "trustee@smithfamily.test -> cleared",
        "{email}"
    );

    let outcome = sync(app, trust, json!({})).await;
    assert_eq!(outcome["status"], "complete", "{outcome}");
    let now = in_xpm();
    assert!(
        now.field("Email").is_none_or(str::is_empty),
        "XPM still holds {:?}",
        now.field("Email")
    );
    assert_eq!(now.name(), "Smith Family Trust", "other fields stay");
    let messages = activity_messages(app, trust, "client_updated").await;
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Email (trustee@smithfamily.test -> cleared)")),
        "{messages:?}"
    );
    let again = sync(app, trust, json!({})).await;
    assert_eq!(
        again["plan"]["writes"], 0,
        "cleared once, then unchanged: {again}"
    );
}

async fn gone_client_writes_nothing(app: &TestApp) {
    app.connect().await;
    let trust = demo::client_id(4);
    let first = uuid_of(&sync(app, trust, json!({})).await);
    app.sim
        .control()
        .delete_client(tenant(), first)
        .expect("deleted in XPM");
    let writes = app.xpm_writes().len();

    let gone = sync(app, trust, json!({})).await;
    assert_eq!(gone["status"], "gone_from_xpm", "{gone}");
    assert_eq!(gone["complete"], false);
    assert_eq!(gone["plan"]["needsDecision"], true);
    assert_eq!(
        gone["plan"]["goneFromXpm"]["reason"], "deleted_or_merged",
        "{gone}"
    );
    assert_eq!(
        gone["plan"]["goneFromXpm"]["xpmClientUuid"],
        first.to_string()
    );
    assert!(
        gone["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Nothing was written"),
        "{gone}"
    );
    assert_eq!(app.xpm_writes().len(), writes, "nothing is written to XPM");
    let messages = activity_messages(app, trust, "client_gone_from_xpm").await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("deleted or merged"), "{messages:?}");
    assert!(messages[0].contains("nothing was written"), "{messages:?}");

    let (status, page) = app.page(&format!("/clients/{trust}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"gone-from-xpm\""), "{page}");
    assert!(page.contains("Create it again in XPM"), "{page}");
    assert!(page.contains("id=\"unlink\""), "{page}");
    assert!(page.contains("deleted or merged"), "{page}");

    // A person made another client of that name in XPM: link to it.
    let other = app
        .sim
        .control()
        .add_client(tenant(), &json!({"Name": "Smith Family Trust"}))
        .expect("added in XPM")
        .uuid;
    let gone = sync(app, trust, json!({})).await;
    assert_eq!(gone["status"], "gone_from_xpm", "{gone}");
    let look_alike = gone["plan"]["lookAlikes"]
        .as_array()
        .expect("look-alikes")
        .iter()
        .find(|l| l["xpmClientUuid"] == other.to_string())
        .expect("the new XPM client is offered")
        .clone();
    assert!(
        look_alike["matchedOn"]
            .as_array()
            .is_some_and(|keys| keys.contains(&json!("same name"))),
        "{look_alike}"
    );
    assert_eq!(app.xpm_writes().len(), writes, "still nothing written");
    let linked = sync(
        app,
        trust,
        json!({"decision": {"linkTo": other.to_string()}}),
    )
    .await;
    assert_eq!(linked["status"], "complete", "{linked}");
    assert_eq!(linked["xpmClientUuid"], other.to_string());
    let now = app.sim.control().client(tenant(), other).expect("linked");
    assert_eq!(
        now.field("Email"),
        Some("trustee@smithfamily.test"),
        "PM Hub's values are written on the client linked to"
    );
    assert!(
        app.xpm_writes()
            .iter()
            .skip(writes)
            .all(|e| !e.path.ends_with("/client.api/add")),
        "linking creates no client"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_archived_in_xpm_can_be_created_again() {
    let app = TestApp::start(Backend::Sqlite).await;
    app.connect().await;
    let trust = demo::client_id(4);
    let first = uuid_of(&sync(&app, trust, json!({})).await);
    app.sim
        .control()
        .archive_client(tenant(), first)
        .expect("archived in XPM");
    let writes = app.xpm_writes().len();
    let gone = sync(&app, trust, json!({})).await;
    assert_eq!(gone["status"], "gone_from_xpm", "{gone}");
    assert_eq!(gone["plan"]["goneFromXpm"]["reason"], "archived", "{gone}");
    assert_eq!(app.xpm_writes().len(), writes, "nothing is written to XPM");

    let again = sync(&app, trust, json!({"decision": "createNew"})).await;
    assert_eq!(again["status"], "complete", "{again}");
    let second = uuid_of(&again);
    assert_ne!(second, first, "a new XPM client");
    let added = app
        .xpm_writes()
        .iter()
        .skip(writes)
        .filter(|e| e.path.ends_with("/client.api/add"))
        .count();
    assert_eq!(added, 1);
    assert!(
        app.sim
            .control()
            .client(tenant(), first)
            .expect("kept")
            .archived,
        "the archived client is left as it is"
    );
    app.stop().await;
}

async fn unlink_then_sync_asks_again(app: &TestApp) {
    app.connect().await;
    let acme = demo::client_id(1);
    let (status, problem) = app
        .post_json(
            &format!("/api/clients/{acme}/unlink"),
            &app.staff_token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        problem["type"],
        "https://pmhub-xpm.example/problems/not-linked"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("nothing to unlink"),
        "{problem}"
    );
    let linked = sync(
        app,
        acme,
        json!({"decision": {"linkTo": sim_demo::ACME_UUID}}),
    )
    .await;
    assert_eq!(linked["status"], "complete", "{linked}");
    let writes = app.xpm_writes().len();
    let clients = app.sim.control().clients(tenant()).expect("clients").len();

    let (status, unlinked) = app
        .post_json(
            &format!("/api/clients/{acme}/unlink"),
            &app.staff_token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{unlinked}");
    assert_eq!(unlinked["unlinkedFrom"], sim_demo::ACME_UUID);
    assert_eq!(
        app.xpm_writes().len(),
        writes,
        "unlinking touches nothing in XPM"
    );
    assert_eq!(
        app.sim.control().clients(tenant()).expect("clients").len(),
        clients
    );

    let asked = sync(app, acme, json!({})).await;
    assert_eq!(asked["status"], "needs_decision", "{asked}");
    assert_eq!(
        asked["plan"]["lookAlikes"][0]["xpmClientUuid"],
        sim_demo::ACME_UUID
    );
    assert!(
        asked["plan"]["lookAlikes"][0]["matchedOn"]
            .as_array()
            .is_some_and(|keys| !keys.is_empty()),
        "{asked}"
    );
    assert_eq!(
        app.xpm_writes().len(),
        writes,
        "nothing written before the choice"
    );
    let messages = activity_messages(app, acme, "client_unlinked").await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains(sim_demo::ACME_UUID), "{messages:?}");
}

async fn terms_change_updates_the_relationship(app: &TestApp) {
    app.connect().await;
    let (john, trust) = (demo::client_id(3), demo::client_id(4));
    let john_uuid = uuid_of(&sync(app, john, json!({})).await);
    let trust_uuid = uuid_of(&sync(app, trust, json!({})).await);
    let (_, associations) = app
        .get_json(
            &format!("/api/clients/{trust}/associations"),
            &app.staff_token,
        )
        .await;
    let beneficiary = associations
        .as_array()
        .expect("associations")
        .iter()
        .find(|a| a["relatedClientId"] == john.to_string())
        .expect("the trust's association with John")
        .clone();
    assert_eq!(beneficiary["endDate"], serde_json::Value::Null);
    let id = beneficiary["id"].as_str().expect("id").to_owned();
    let path = format!("/api/clients/{trust}/associations/{id}");
    let writes = app.xpm_writes().len();

    let (status, problem) = put_json(
        app,
        &path,
        json!({"percentage": "40", "startDate": "2020-07-01", "endDate": "2019-06-30"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "endDate", "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("before the start date"),
        "{problem}"
    );
    let (status, problem) = app
        .post_json(
            &format!("/api/clients/{trust}/associations"),
            &app.staff_token,
            json!({
                "relatedClientId": demo::client_id(2).to_string(),
                "associationTypeId": beneficiary["associationTypeId"],
                "startDate": "2021-01-01",
                "endDate": "2020-12-31"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "endDate", "{problem}");

    // A beneficiary's terms are its dates: XPM records a percentage only on
    // partnerships (the shipped list), so none is given here.
    let (status, changed) = put_json(
        app,
        &path,
        json!({"startDate": "2020-07-01", "endDate": "2024-06-30"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["percentage"], serde_json::Value::Null);
    assert_eq!(changed["endDate"], "2024-06-30");
    assert_eq!(app.xpm_writes().len(), writes, "nothing syncs by itself");
    let (status, _) = put_json(
        app,
        &format!("/api/clients/{trust}/associations/{}", uuid::Uuid::nil()),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let outcome = sync(app, trust, json!({})).await;
    assert!(
        outcome["operations"]
            .as_array()
            .expect("operations")
            .iter()
            .any(|o| o["kind"] == "relationship_updated"),
        "{outcome}"
    );
    let org = app.sim.control().org_state(tenant()).expect("org").org;
    let between: Vec<_> = org
        .relationships
        .values()
        .filter(|r| {
            (r.client == *trust_uuid.as_uuid() && r.related == *john_uuid.as_uuid())
                || (r.client == *john_uuid.as_uuid() && r.related == *trust_uuid.as_uuid())
        })
        .collect();
    assert_eq!(between.len(), 1, "updated, not added again: {between:?}");
    let r = between[0];
    assert_eq!(r.percentage, None, "{r:?}");
    assert!(
        r.end_date
            .as_deref()
            .is_some_and(|d| d.starts_with("2024-06-30")),
        "{r:?}"
    );
    let again = sync(app, trust, json!({})).await;
    assert!(
        again["operations"]
            .as_array()
            .expect("operations")
            .iter()
            .all(|o| o["kind"] != "relationship_updated"),
        "written once: {again}"
    );
}

async fn connecting_shows_connected_and_syncs_nothing(app: &TestApp) {
    app.connect().await;
    let (status, body) = app.get_json("/api/integration", &app.staff_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "Connected");
    // The sim answers "tenantName": null for this organisation, as Xero documents for XPM.
    assert_eq!(body["organisation"]["name"], "Unnamed 3f2a1b7c");
    assert_eq!(body["organisation"]["unnamed"], true);
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
    assert!(page.contains("id=\"unnamed\""), "{page}");

    // Only an administrator names it; the name is then shown everywhere.
    let name = json!({ "name": sim_demo::TENANT_NAME });
    let (status, _) = app
        .post_json(
            "/api/integration/organisation/name",
            &app.staff_token,
            name.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post_json(
            "/api/integration/organisation/name",
            &app.admin_token,
            json!({ "name": " " }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, named) = app
        .post_json("/api/integration/organisation/name", &app.admin_token, name)
        .await;
    assert_eq!(status, StatusCode::OK, "{named}");
    assert_eq!(named["organisation"]["name"], sim_demo::TENANT_NAME);
    assert_eq!(named["organisation"]["unnamed"], false);
    assert_eq!(named["connectedSince"], body["connectedSince"]);
    let (_, page) = app.page("/integrations/xpm").await;
    assert!(!page.contains("id=\"unnamed\""), "{page}");
    assert!(
        app.xpm_writes().is_empty(),
        "naming the organisation calls nothing in XPM"
    );
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
    let uuid: xpm_sim::ClientUuid = outcome["xpmClientUuid"]
        .as_str()
        .expect("uuid")
        .parse()
        .expect("uuid");
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
    assert_eq!(
        preview["xpmWebUrl"],
        format!("https://practicemanager.xero.com/Client/{uuid}/Detail"),
        "XPM's WebUrl, to open the client there"
    );
    let fields = preview["fields"].as_array().expect("fields");
    let email = fields
        .iter()
        .find(|f| f["field"] == "Email")
        .expect("email field");
    assert_eq!(email["changedInXpm"], true, "{email}");
    assert_eq!(email["xpmNow"], "changed@in-xpm.test");
    assert_eq!(email["pmHub"], "trustee@smithfamily.test");
    assert_eq!(
        email["willWrite"], true,
        "a Sync puts PM Hub's value back: {email}"
    );
    assert_eq!(
        email["change"], "changed@in-xpm.test -> trustee@smithfamily.test",
        "{email}"
    );
    let tax = fields
        .iter()
        .find(|f| f["field"] == "TaxNumber")
        .expect("tax field");
    assert_eq!(
        tax["changedInXpm"], false,
        "a masked tax number is not a change: {tax}"
    );
    assert_eq!(tax["willWrite"], false, "{tax}");
    assert_eq!(tax["pmHub"], "******782", "tax numbers are masked: {tax}");
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
async fn every_route_the_served_openapi_document_describes_is_served_and_needs_a_token() {
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
    assert_eq!(documented.len(), 35, "the API's 35 operations are served");
    for (method, path) in &documented {
        let concrete = path
            .replace("{client}", &demo::client_id(1).to_string())
            .replace("{association}", &uuid::Uuid::nil().to_string())
            .replace("{association_type}", &uuid::Uuid::nil().to_string())
            .replace("{pmhub_id}", "pmhub-1");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_page_unlinks_a_gone_client_once_confirmed_and_saves_terms_without_syncing() {
    let app = TestApp::start(Backend::Sqlite).await;
    app.connect().await;
    let (john, trust) = (demo::client_id(3), demo::client_id(4));
    let first = uuid_of(&sync(&app, trust, json!({})).await);
    app.sim
        .control()
        .delete_client(tenant(), first)
        .expect("deleted in XPM");
    let writes = app.xpm_writes().len();
    let csrf = app.csrf().await;
    let page = format!("/clients/{trust}");

    let unconfirmed = app
        .post_form(&format!("{page}/unlink"), &[("csrf", &csrf)])
        .await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let confirmed = app
        .post_form(
            &format!("{page}/unlink"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let location = confirmed.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let (_, html) = app.page(&location).await;
    assert!(
        html.contains("Unlinked. Nothing was changed in XPM"),
        "{html}"
    );
    assert!(!html.contains("id=\"gone-from-xpm\""), "{html}");
    let (status, _) = app
        .post_json(
            &format!("/api/clients/{trust}/unlink"),
            &app.staff_token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "unlinked already");

    let (_, associations) = app
        .get_json(
            &format!("/api/clients/{trust}/associations"),
            &app.staff_token,
        )
        .await;
    let id = associations
        .as_array()
        .expect("associations")
        .iter()
        .find(|a| a["relatedClientId"] == john.to_string())
        .and_then(|a| a["id"].as_str())
        .expect("the association with John")
        .to_owned();
    assert!(
        html.contains(&format!("/associations/{id}/terms")),
        "{html}"
    );
    let terms = format!("{page}/associations/{id}/terms");
    let refused = app
        .post_form(
            &terms,
            &[
                ("csrf", &csrf),
                ("percentage", "45"),
                ("start_date", "2020-07-01"),
                ("end_date", "2019-01-01"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text().await.expect("page");
    assert!(text.contains("before the start date"), "{text}");
    let saved = app
        .post_form(
            &terms,
            &[
                ("csrf", &csrf),
                ("shares", ""),
                ("percentage", "45"),
                ("start_date", "2020-07-01"),
                ("end_date", "2025-01-01"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.page(&format!("{page}?done=terms")).await;
    assert!(html.contains("Nothing was synced"), "{html}");
    assert!(html.contains("value=\"2025-01-01\""), "{html}");
    let (_, associations) = app
        .get_json(
            &format!("/api/clients/{trust}/associations"),
            &app.staff_token,
        )
        .await;
    let changed = associations
        .as_array()
        .expect("associations")
        .iter()
        .find(|a| a["id"] == id.as_str())
        .expect("still there")
        .clone();
    assert_eq!(changed["percentage"], "45", "{changed}");
    assert_eq!(changed["endDate"], "2025-01-01", "{changed}");
    assert_eq!(
        app.xpm_writes().len(),
        writes,
        "neither unlinking nor saving terms writes to XPM"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_keeps_pm_hubs_id_in_an_xpm_text_field_and_a_create_writes_it_there() {
    let app = TestApp::start(Backend::Sqlite).await;
    let path = "/api/integration/client-id-field";
    // Off by default, and nothing to choose from before connecting.
    let (status, before) = app.get_json(path, &app.admin_token).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert!(before["current"].is_null(), "{before}");
    assert!(
        before["note"]
            .as_str()
            .unwrap_or_default()
            .contains("Connect")
    );
    app.connect().await;
    let (_, offered) = app.get_json(path, &app.admin_token).await;
    assert_eq!(
        offered["choices"],
        json!([{ "fieldUuid": sim_demo::PM_HUB_ID_FIELD_UUID, "fieldName": "PM Hub ID" }]),
        "only the demo's client Text field: {offered}"
    );
    let put =
        |token: &str, body: serde_json::Value| app.api(Method::PUT, path, token).json(&body).send();
    let staff = put(
        &app.staff_token,
        json!({ "fieldUuid": sim_demo::PM_HUB_ID_FIELD_UUID }),
    )
    .await
    .expect("send");
    assert_eq!(staff.status(), StatusCode::FORBIDDEN);
    let date = put(
        &app.admin_token,
        json!({ "fieldUuid": sim_demo::ENGAGEMENT_SIGNED_FIELD_UUID }),
    )
    .await
    .expect("send");
    assert_eq!(date.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let saved = put(
        &app.admin_token,
        json!({ "fieldUuid": sim_demo::PM_HUB_ID_FIELD_UUID }),
    )
    .await
    .expect("send");
    assert_eq!(saved.status(), StatusCode::OK);
    let saved: serde_json::Value = saved.json().await.expect("json");
    assert_eq!(saved["current"]["fieldName"], "PM Hub ID");
    assert_eq!(saved["current"]["inConnectedOrganisation"], true);

    let trust = demo::client_id(4);
    let (_, preview) = app
        .get_json(
            &format!("/api/clients/{trust}/sync-preview"),
            &app.staff_token,
        )
        .await;
    assert_eq!(preview["plan"]["clientId"]["writesId"], true, "{preview}");
    let outcome = sync(&app, trust, json!({})).await;
    let uuid = uuid_of(&outcome);
    let held = app
        .sim
        .control()
        .client_custom_fields(tenant(), uuid)
        .expect("in XPM");
    assert_eq!(held.get("PM Hub ID"), Some(&trust.to_string()));
    let written = activity_messages(&app, trust, "client_id_written").await;
    assert_eq!(
        written,
        ["PM Hub's id written to XPM's custom field 'PM Hub ID'"]
    );
    // The page names the field, and offers the choices only when asked.
    assert_eq!(
        app.login(demo::ADMIN_EMAIL, demo::ADMIN_PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    let (_, page) = app.page("/integrations/xpm").await;
    assert!(page.contains("<strong>PM Hub ID</strong>"), "{page}");
    assert!(!page.contains("id=\"id-field-choice\""));
    let (_, choosing) = app.page("/integrations/xpm?id-field=choose").await;
    assert!(choosing.contains("id=\"id-field-choice\""), "{choosing}");
    let csrf = app.csrf().await;
    let off = app
        .post_form(
            "/integrations/xpm/client-id-field",
            &[("csrf", &csrf), ("field", "")],
        )
        .await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    let (_, after) = app.get_json(path, &app.staff_token).await;
    assert!(after["current"].is_null(), "{after}");
    app.stop().await;
}

/// Issue 14: the Association Types page and API offer exactly the configured
/// list, flag a mapping saved earlier to a name XPM lacks (the demo's
/// "Appointor") without dropping it, refuse to save such a name, and take a
/// listed one in XPM's spelling.
#[tokio::test]
async fn an_old_appointor_mapping_is_flagged_kept_and_replaced_only_by_a_listed_type() {
    let app = TestApp::start(Backend::Sqlite).await;
    let find = |types: &serde_json::Value, name: &str| -> serde_json::Value {
        types
            .as_array()
            .expect("types")
            .iter()
            .find(|t| t["name"] == name)
            .cloned()
            .expect("the demo's type")
    };
    let (_, types) = app
        .get_json("/api/association-types", &app.admin_token)
        .await;
    let old = find(&types, "Appointor");
    assert_eq!(old["xpmRelationshipType"], "Appointor", "kept, not dropped");
    assert!(
        old["mappingProblem"]
            .as_str()
            .is_some_and(|p| p.contains("not one of XPM's relationship types")),
        "{old}"
    );
    assert_eq!(
        find(&types, "Director")["mappingProblem"],
        serde_json::Value::Null
    );
    let (_, listed) = app
        .get_json("/api/xpm-relationship-types", &app.admin_token)
        .await;
    let names: Vec<_> = listed
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names.len(), 18, "{names:?}");
    assert!(
        names.contains(&"Public Officer".to_owned()) && !names.contains(&"Appointor".to_owned())
    );

    assert_eq!(
        app.login(demo::ADMIN_EMAIL, demo::ADMIN_PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    let (_, page) = app.page("/association-types").await;
    assert!(
        page.contains("`Appointor` is not one of XPM&#39;s relationship types"),
        "flagged on the page"
    );
    for name in &names {
        assert!(
            page.contains(&format!("<option value=\"{name}\"")),
            "{name} offered"
        );
    }

    let id = old["id"].as_str().expect("id").to_owned();
    let path = format!("/api/association-types/{id}/mapping");
    let refused = app
        .api(Method::PUT, &path, &app.admin_token)
        .json(&json!({"xpmRelationshipType": "Appointor"}))
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = refused.json().await.expect("problem");
    assert_eq!(
        problem["errors"][0]["field"], "xpmRelationshipType",
        "{problem}"
    );
    assert!(
        problem.to_string().contains("Appointer"),
        "names the list: {problem}"
    );
    let saved = app
        .api(Method::PUT, &path, &app.admin_token)
        .json(&json!({"xpmRelationshipType": "appointer"}))
        .send()
        .await
        .expect("send");
    assert_eq!(saved.status(), StatusCode::OK);
    let saved: serde_json::Value = saved.json().await.expect("view");
    assert_eq!(saved["xpmRelationshipType"], "Appointer");
    assert_eq!(saved["mappingProblem"], serde_json::Value::Null);
    let (_, page) = app.page("/association-types").await;
    assert!(!page.contains("is not one of XPM"), "no longer flagged");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_client_and_its_associations_are_not_found_but_they_can_still_be_removed() {
    let app = TestApp::start(Backend::Sqlite).await;
    let trust = demo::client_id(4);
    let path = format!("/api/clients/{trust}/associations");
    let (status, before) = app.get_json(&path, &app.admin_token).await;
    assert_eq!(status, StatusCode::OK);
    let held = before[0]["id"]
        .as_str()
        .expect("the demo trust has associations")
        .to_owned();
    let deleted = app
        .api(
            Method::DELETE,
            &format!("/api/clients/{trust}"),
            &app.admin_token,
        )
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::OK);
    let (status, _) = app.get_json(&path, &app.admin_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "listed after the delete");
    let (status, _) = app
        .get_json(&format!("/api/clients/{trust}"), &app.admin_token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "read after the delete");
    let (_, clients) = app.get_json("/api/clients", &app.admin_token).await;
    assert!(
        clients
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != trust.to_string()),
        "listed after the delete: {clients}"
    );
    let removed = app
        .api(Method::DELETE, &format!("{path}/{held}"), &app.admin_token)
        .send()
        .await
        .expect("remove");
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_association_to_a_client_or_type_not_in_the_practice_is_a_conflict_naming_the_field() {
    let app = TestApp::start(Backend::Sqlite).await;
    let trust = demo::client_id(4);
    let path = format!("/api/clients/{trust}/associations");
    let (_, held) = app.get_json(&path, &app.admin_token).await;
    let a_type = held[0]["associationTypeId"].clone();
    for (body, field) in [
        (
            json!({"relatedClientId": uuid::Uuid::nil().to_string(), "associationTypeId": a_type}),
            "relatedClientId",
        ),
        (
            json!({"relatedClientId": demo::client_id(2).to_string(), "associationTypeId": uuid::Uuid::nil().to_string()}),
            "associationTypeId",
        ),
    ] {
        let (status, problem) = app.post_json(&path, &app.staff_token, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with("/missing-reference"),
            "{problem}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_are_read_exactly_as_the_document_says() {
    let app = TestApp::start(Backend::Sqlite).await;
    let trust = demo::client_id(4);
    let path = format!("/api/clients/{trust}/associations");
    let (_, held) = app.get_json(&path, &app.admin_token).await;
    let body = |start: serde_json::Value| {
        json!({
            "relatedClientId": demo::client_id(2).to_string(),
            "associationTypeId": held[0]["associationTypeId"],
            "startDate": start,
        })
    };
    for bad in [" 2021-01-01", "", "+2021-01-01", "2021-1-01", "2021-02-30"] {
        let (status, problem) = app
            .post_json(&path, &app.staff_token, body(json!(bad)))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], "startDate", "{problem}");
    }
    let (status, created) = app
        .post_json(&path, &app.staff_token, body(json!("2021-01-01")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["startDate"], "2021-01-01");
    app.stop().await;
}

async fn put_by_pmhub_id_is_idempotent(app: &TestApp) {
    let path = "/api/pmhub/clients/pmhub-c-1001";
    let (status, _) = app.get_json(path, &app.staff_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not there before the put");
    let before = app.get_json("/api/clients", &app.staff_token).await.1;
    let activity = app.get_json("/api/activity", &app.staff_token).await.1;
    let writes = app.xpm_writes().len();
    let body =
        json!({"name": "Kauri Holdings Ltd", "kind": "organisation", "email": "office@kauri.test"});

    let (status, first) = put_json(app, path, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["outcome"], "created");
    let id = first["client"]["id"].clone();
    let (status, again) = put_json(app, path, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["outcome"], "unchanged", "{again}");
    assert_eq!(again["client"]["id"], id, "the same client");
    let after = app.get_json("/api/clients", &app.staff_token).await.1;
    assert_eq!(
        after.as_array().unwrap().len(),
        before.as_array().unwrap().len() + 1,
        "one client for two puts"
    );
    assert_eq!(
        app.get_json("/api/activity", &app.staff_token).await.1,
        activity,
        "a put logs nothing"
    );

    let changed = json!({"name": "Kauri Holdings Limited", "kind": "organisation"});
    let (status, updated) = put_json(app, path, changed).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["outcome"], "updated");
    let (status, read) = app.get_json(path, &app.staff_token).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["id"], id);
    assert_eq!(read["name"], "Kauri Holdings Limited");
    assert_eq!(
        read["email"],
        serde_json::Value::Null,
        "replaced as a whole"
    );
    assert_eq!(app.xpm_writes().len(), writes, "nothing syncs by itself");

    let deleted = app
        .api(Method::DELETE, path, &app.staff_token)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::OK);
    let (status, _) = app.get_json(path, &app.staff_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "read after the delete");
    let (status, problem) = put_json(app, path, body).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a deleted client stays deleted: {problem}"
    );
    for bad in ["/api/pmhub/clients/..x", "/api/pmhub/clients/a%20b"] {
        let (status, _) = app.get_json(bad, &app.staff_token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
    assert_eq!(app.xpm_writes().len(), writes, "nothing syncs by itself");
}

async fn put_as(
    app: &TestApp,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let response = app
        .api(Method::PUT, path, token)
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

async fn associations_by_pmhub_ids(app: &TestApp) {
    let writes = app.xpm_writes().len();
    let (status, _) = put_as(
        app,
        &app.staff_token,
        "/api/pmhub/association-types/director",
        json!({"name": "Director"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "types are for admins");
    let (status, kind) = put_as(
        app,
        &app.admin_token,
        "/api/pmhub/association-types/director",
        json!({"name": "Director"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{kind}");
    let (status, again) = put_as(
        app,
        &app.admin_token,
        "/api/pmhub/association-types/director",
        json!({"name": "Director"}),
    )
    .await;
    assert_eq!(
        (status, again["outcome"].as_str()),
        (StatusCode::OK, Some("unchanged")),
        "{again}"
    );
    assert_eq!(
        again["associationType"]["id"],
        kind["associationType"]["id"]
    );

    let association = json!({
        "clientId": "co-1", "relatedClientId": "person-1", "associationTypeId": "director",
        "startDate": "2020-07-01"
    });
    let path = "/api/pmhub/associations/dir-1";
    // The clients are not there yet: a conflict naming the first missing one.
    let (status, problem) = put_as(app, &app.staff_token, path, association.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "clientId", "{problem}");
    for (id, body) in [
        (
            "co-1",
            json!({"name": "Totara Ltd", "kind": "organisation", "businessStructure": "Company"}),
        ),
        (
            "person-1",
            json!({"name": "Mere Totara", "kind": "individual"}),
        ),
    ] {
        let (status, _) = put_json(app, &format!("/api/pmhub/clients/{id}"), body).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, created) = put_as(app, &app.staff_token, path, association.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, same) = put_as(app, &app.staff_token, path, association.clone()).await;
    assert_eq!(
        (status, same["outcome"].as_str()),
        (StatusCode::OK, Some("unchanged")),
        "{same}"
    );
    assert_eq!(same["association"]["id"], created["association"]["id"]);
    let company = created["association"]["clientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, held) = app
        .get_json(
            &format!("/api/clients/{company}/associations"),
            &app.staff_token,
        )
        .await;
    assert_eq!(
        held.as_array().unwrap().len(),
        1,
        "one association for two puts: {held}"
    );

    let mut changed = association.clone();
    changed["endDate"] = json!("2024-06-30");
    let (status, updated) = put_as(app, &app.staff_token, path, changed).await;
    assert_eq!(
        (status, updated["outcome"].as_str()),
        (StatusCode::OK, Some("updated")),
        "{updated}"
    );
    let (_, read) = app.get_json(path, &app.staff_token).await;
    assert_eq!(read["endDate"], "2024-06-30");
    assert_eq!(read["startDate"], "2020-07-01");

    let removed = app
        .api(Method::DELETE, path, &app.staff_token)
        .send()
        .await
        .expect("remove");
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get_json(path, &app.staff_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "read after the removal");
    let (status, again) = put_as(app, &app.staff_token, path, association).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "sent again, it is a new association: {again}"
    );
    assert_eq!(app.xpm_writes().len(), writes, "nothing syncs by itself");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_given_as_a_list_of_values_is_refused_not_read_field_by_field() {
    let app = TestApp::start(Backend::Sqlite).await;
    let client = demo::client_id(1);
    for (method, path) in [
        (Method::PUT, "/api/integration/client-id-field".to_owned()),
        (Method::POST, format!("/api/clients/{client}/sync")),
        (Method::PUT, format!("/api/clients/{client}")),
    ] {
        let response = app
            .api(method.clone(), &path, &app.admin_token)
            .json(&json!([null]))
            .send()
            .await
            .expect("send");
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{method} {path}"
        );
    }
    let nested = json!({"name": "Acme", "kind": "organisation", "physicalAddress": ["1 Queen St"]});
    let (status, problem) = app
        .post_json("/api/clients", &app.staff_token, nested)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("physicalAddress"),
        "{problem}"
    );
    assert!(app.xpm_writes().is_empty(), "nothing was sent to XPM");
    app.stop().await;
}

async fn concurrent_puts_make_one_client(app: &TestApp) {
    let before = app.get_json("/api/clients", &app.staff_token).await.1;
    let body = json!({"name": "Rimu Partners", "kind": "organisation"});
    let puts = (0..6).map(|_| put_json(app, "/api/pmhub/clients/rimu", body.clone()));
    let answers = futures::future::join_all(puts).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "one put creates it: {answers:?}");
    for (status, answer) in &answers {
        assert!(status.is_success(), "{status} {answer}");
        assert_eq!(
            answer["client"]["id"], answers[0].1["client"]["id"],
            "{answers:?}"
        );
    }
    let after = app.get_json("/api/clients", &app.staff_token).await.1;
    assert_eq!(
        after.as_array().unwrap().len(),
        before.as_array().unwrap().len() + 1,
        "one client for six puts at once"
    );
}
