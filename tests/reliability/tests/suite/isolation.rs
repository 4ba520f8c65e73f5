//! Tenant isolation: practice A's admin tries every route of the API and
//! the pages on practice B's clients, associations, association types and
//! XPM organisation. Nothing of B is shown, synced or changed.

use std::collections::BTreeSet;

use pmhub_xpm::state::AppStore;
use reliability_tests::world::World;
use reqwest::Method;
use serde_json::{Value, json};
use xpm_sim::seed::demo as sim_demo;

/// Every route path the app serves, read from its router sources, so that a
/// new route fails this suite until it is added to the isolation checks.
fn served_paths() -> BTreeSet<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../app/src/");
    let mut paths = BTreeSet::new();
    for file in ["api/mod.rs", "web/mod.rs", "server.rs"] {
        let text = std::fs::read_to_string(format!("{root}{file}")).expect("router source");
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let arg = rest.trim_start();
            if let Some(quoted) = arg.strip_prefix('"') {
                paths.insert(quoted[..quoted.find('"').unwrap_or(0)].to_owned());
            } else if arg.starts_with("&P::path()") {
                // The API's routes: read from the document they are built from, below.
            } else if arg.starts_with("crate::config::CALLBACK_PATH") {
                paths.insert(pmhub_xpm::config::CALLBACK_PATH.to_owned());
            } else {
                panic!(
                    "a route whose path is not a literal: {}",
                    &arg[..arg.len().min(60)]
                );
            }
        }
    }
    let document: serde_json::Value =
        serde_json::from_str(pmhub_xpm::api::openapi_json()).expect("the API's document");
    paths.extend(
        document["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .cloned(),
    );
    paths
}

/// The routes this file checks (and why some need no practice check).
const CHECKED: &[&str] = &[
    "/api/clients",
    "/api/clients/{client}",
    "/api/clients/{client}/deactivate",
    "/api/clients/{client}/reactivate",
    "/api/clients/{client}/associations",
    "/api/clients/{client}/associations/{association}",
    "/api/clients/{client}/sync-preview",
    "/api/clients/{client}/sync",
    "/api/clients/{client}/unlink",
    "/api/pmhub/clients/{pmhub_id}", // a PM Hub id names a record of one's own practice only
    "/api/pmhub/associations/{pmhub_id}",
    "/api/pmhub/association-types/{pmhub_id}",
    "/api/association-types",
    "/api/association-types/{association_type}/mapping",
    "/api/xpm-relationship-types", // the same static list for everyone
    "/openapi.json",               // the API's description (checked below: nothing of B)
    "/api/integration",
    "/api/integration/connect",
    "/api/integration/organisation",
    "/api/integration/organisation/name", // names one's own practice's organisation only
    "/api/integration/client-id-field", // one's own practice's setting, read from its own XPM organisation
    "/api/integration/disconnect",
    "/api/activity",
    "/api/activity.csv",
    "/",
    "/login",  // no practice before login
    "/logout", // ends one's own session
    "/integrations/xpm",
    "/integrations/xpm/connect",
    "/integrations/xpm/callback", // security.rs: another practice's state is refused
    "/integrations/xpm/organisation",
    "/integrations/xpm/organisation/name", // one's own practice's organisation only
    "/integrations/xpm/client-id-field",   // one's own practice's setting only
    "/integrations/xpm/disconnect",
    "/clients",
    "/clients/{client}",
    "/clients/{client}/sync",
    "/clients/{client}/unlink",
    "/clients/{client}/associations/{association}/terms",
    "/association-types",
    "/association-types/{association_type}/mapping",
    "/activity",
    "/activity.csv",
    "/healthz", // no data
    "/readyz",  // no data
    "/metrics", // counters without practice labels (checked below)
];

#[test]
fn every_served_route_is_in_the_isolation_checks() {
    let served = served_paths();
    let checked: BTreeSet<String> = CHECKED.iter().map(|s| (*s).to_owned()).collect();
    let unchecked: Vec<_> = served.difference(&checked).collect();
    assert!(
        unchecked.is_empty(),
        "routes without an isolation check: {unchecked:?}"
    );
}

/// Everything practice B can see of itself, to compare before and after.
async fn b_view<S: AppStore>(w: &World<S>) -> Vec<Value> {
    let b = w.api(&w.fx.b_admin_token);
    let mut view = Vec::new();
    for path in [
        "/api/clients".to_owned(),
        format!("/api/clients/{}/associations", w.fx.b_clients[0]),
        "/api/association-types".to_owned(),
        "/api/activity".to_owned(),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        view.push(r.json());
    }
    let r = b.get("/api/integration").await;
    view.push(r.json());
    view
}

fn refused(status: u16) -> bool {
    status == 403 || status == 404
}

#[tokio::test]
async fn practice_a_cannot_read_sync_or_configure_practice_b_through_any_route() {
    let w = World::postgres().await;
    let a_page = w.connect_a().await;
    w.connect_b().await;
    let b_api = w.api(&w.fx.b_admin_token);
    for client in &w.fx.b_clients {
        let r = b_api.sync(&client.to_string(), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = b_api.sync(&w.fx.b_clients[0].to_string(), None).await;
    assert_eq!(r.json()["complete"], true, "B is fully synced: {}", r.text);
    // B's client by a PM Hub id that A uses too.
    let pmhub_path = "/api/pmhub/clients/shared-id-1";
    let b_put = b_api
        .send(
            Method::PUT,
            pmhub_path,
            Some(&json!({"name": "Beta by PM Hub id", "kind": "organisation"})),
        )
        .await;
    assert_eq!(b_put.status, 201, "{}", b_put.text);
    // And B's association type and association by PM Hub ids.
    let b_type_path = "/api/pmhub/association-types/shared-type-1";
    let r = b_api
        .send(
            Method::PUT,
            b_type_path,
            Some(&json!({"name": "Shared director"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let b_second = b_api
        .send(
            Method::PUT,
            "/api/pmhub/clients/shared-id-2",
            Some(&json!({"name": "Beta two", "kind": "organisation"})),
        )
        .await;
    assert_eq!(b_second.status, 201, "{}", b_second.text);
    let b_association_path = "/api/pmhub/associations/shared-assoc-1";
    let b_association = json!({"clientId": "shared-id-1", "relatedClientId": "shared-id-2", "associationTypeId": "shared-type-1"});
    let r = b_api
        .send(Method::PUT, b_association_path, Some(&b_association))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let before = b_view(&w).await;
    let second_tenant = sim_demo::SECOND_TENANT_ID.to_owned();
    let b_calls = || {
        w.sim.control().journal(&xpm_sim::JournalFilter {
            tenant: Some(second_tenant.clone()),
            ..Default::default()
        })
    };
    let b_calls_before = b_calls().len();

    let a = w.api(&w.fx.a_admin_token);
    let (b0, b1) = (w.fx.b_clients[0], w.fx.b_clients[1]);
    let (bt, ba) = (w.fx.b_association_type, w.fx.b_association);
    let a0 = w.fx.a_clients[0];
    let a_type = reliability_tests::fixtures::demo_id(4, 1);
    let client_body = json!({"name": "Hijacked Pty Ltd", "kind": "organisation"});
    let tries: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/clients/{b0}"), None),
        (
            Method::PUT,
            format!("/api/clients/{b0}"),
            Some(client_body.clone()),
        ),
        (Method::DELETE, format!("/api/clients/{b0}"), None),
        (Method::POST, format!("/api/clients/{b0}/deactivate"), None),
        (Method::POST, format!("/api/clients/{b0}/reactivate"), None),
        (Method::GET, format!("/api/clients/{b0}/associations"), None),
        (
            Method::POST,
            format!("/api/clients/{b0}/associations"),
            Some(json!({"relatedClientId": b1.to_string(), "associationTypeId": bt.to_string()})),
        ),
        (
            Method::DELETE,
            format!("/api/clients/{b0}/associations/{ba}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/clients/{a0}/associations/{ba}"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/clients/{b0}/associations/{ba}"),
            Some(json!({"shares": 5})),
        ),
        (
            Method::PUT,
            format!("/api/clients/{a0}/associations/{ba}"),
            Some(json!({"shares": 5})),
        ),
        (Method::POST, format!("/api/clients/{b0}/unlink"), None),
        (Method::GET, pmhub_path.to_owned(), None),
        (Method::DELETE, pmhub_path.to_owned(), None),
        (Method::GET, b_association_path.to_owned(), None),
        (Method::DELETE, b_association_path.to_owned(), None),
        (Method::GET, b_type_path.to_owned(), None),
        (Method::GET, format!("/api/clients/{b0}/sync-preview"), None),
        (Method::POST, format!("/api/clients/{b0}/sync"), None),
        (
            Method::POST,
            format!("/api/clients/{b0}/sync"),
            Some(json!({"decision": "createNew"})),
        ),
        (
            Method::PUT,
            format!("/api/association-types/{bt}/mapping"),
            Some(json!({"xpmRelationshipType": "Partner"})),
        ),
    ];
    for (method, path, body) in &tries {
        let r = a.send(method.clone(), path, body.as_ref()).await;
        assert!(
            refused(r.status),
            "{method} {path}: {} {}",
            r.status,
            r.text
        );
        assert!(
            !r.text.contains("Beta") && !r.text.contains("Bruno"),
            "{path}: {}",
            r.text
        );
    }
    // A's own client cannot be tied to B's client or B's association type.
    for body in [
        json!({"relatedClientId": b1.to_string(), "associationTypeId": a_type.to_string()}),
        json!({"relatedClientId": w.fx.a_clients[1].to_string(), "associationTypeId": bt.to_string()}),
    ] {
        let r = a
            .post(&format!("/api/clients/{a0}/associations"), &body)
            .await;
        assert!(
            r.status >= 400 && r.status < 500,
            "{body}: {} {}",
            r.status,
            r.text
        );
    }
    // Lists and the log show A's own data only.
    for path in [
        "/api/clients".to_owned(),
        "/api/association-types".to_owned(),
        "/api/activity".to_owned(),
        format!("/api/activity?client={b0}"),
        "/api/activity.csv".to_owned(),
        format!("/api/activity.csv?client={b0}"),
        "/api/integration".to_owned(),
        "/api/integration/client-id-field".to_owned(),
    ] {
        let r = a.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        for secret in [
            b0.to_string(),
            b1.to_string(),
            bt.to_string(),
            "Beta".into(),
            "Second Practice".into(),
            second_tenant.clone(),
        ] {
            assert!(
                !r.text.contains(&secret),
                "{path} shows {secret}: {}",
                r.text
            );
        }
    }
    // A cannot switch its connection to B's XPM organisation.
    let r = a
        .post(
            "/api/integration/organisation",
            &json!({"tenantId": second_tenant}),
        )
        .await;
    assert!(
        r.status >= 400 && r.status < 500,
        "{}: {}",
        r.status,
        r.text
    );

    // The pages, as A's admin.
    let csrf = a_page.csrf().await;
    for path in [format!("/clients/{b0}")] {
        let r = a_page.get(&path).await;
        assert!(refused(r.status().as_u16()), "{path}: {}", r.status());
    }
    for (path, form) in [
        (format!("/clients/{b0}/sync"), vec![("csrf", csrf.clone())]),
        (
            format!("/clients/{b0}/sync"),
            vec![("csrf", csrf.clone()), ("decision", "create".into())],
        ),
        (
            format!("/clients/{b0}/unlink"),
            vec![("csrf", csrf.clone()), ("confirm", "yes".into())],
        ),
        (
            format!("/clients/{b0}/associations/{ba}/terms"),
            vec![("csrf", csrf.clone()), ("shares", "5".into())],
        ),
        (
            format!("/clients/{a0}/associations/{ba}/terms"),
            vec![("csrf", csrf.clone()), ("shares", "5".into())],
        ),
        (
            format!("/association-types/{bt}/mapping"),
            vec![("csrf", csrf.clone()), ("xpm_type", "Partner".into())],
        ),
        (
            "/integrations/xpm/organisation".into(),
            vec![("csrf", csrf.clone()), ("tenant", second_tenant.clone())],
        ),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = a_page.post_form(&path, &form).await;
        assert!(r.status().is_client_error(), "{path}: {}", r.status());
    }
    for path in [
        "/".to_owned(),
        "/clients".to_owned(),
        "/association-types".to_owned(),
        "/activity".to_owned(),
        format!("/activity?client={b0}"),
        "/activity.csv".to_owned(),
        "/integrations/xpm".to_owned(),
        "/integrations/xpm/disconnect".to_owned(),
        "/metrics".to_owned(),
        "/readyz".to_owned(),
        "/openapi.json".to_owned(),
    ] {
        let r = a_page.get(&path).await;
        let text = r.text().await.unwrap_or_default();
        for secret in [
            b0.to_string(),
            b1.to_string(),
            bt.to_string(),
            "Beta".into(),
            "Second Practice".into(),
            second_tenant.clone(),
            w.fx.b.to_string(),
        ] {
            // A filter form echoes the id it was asked for: that is not B's data.
            if path.contains(&secret) {
                continue;
            }
            assert!(!text.contains(&secret), "{path} shows {secret}");
        }
    }
    // A's Connect and Disconnect touch A only.
    let r = a.post("/api/integration/connect", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = a
        .post("/api/integration/disconnect", &json!({"confirm": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = a_page
        .post_form(
            "/integrations/xpm/disconnect",
            &[("csrf", csrf.as_str()), ("confirm", "yes")],
        )
        .await;
    assert!(r.status().as_u16() < 500);

    // A's association naming B's records by their PM Hub ids finds none of
    // them: B's clients are not A's.
    let r = a
        .send(Method::PUT, b_association_path, Some(&b_association))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("missing-reference"), "{}", r.text);
    // A's put by the same PM Hub id makes A's own client, never B's.
    let a_put = a
        .send(
            Method::PUT,
            pmhub_path,
            Some(&json!({"name": "Alpha by PM Hub id", "kind": "organisation"})),
        )
        .await;
    assert_eq!(a_put.status, 201, "A's own client: {}", a_put.text);
    assert_eq!(a.get(pmhub_path).await.json()["name"], "Alpha by PM Hub id");
    assert_eq!(
        b_api.get(pmhub_path).await.json()["name"],
        "Beta by PM Hub id"
    );
    assert_eq!(before, b_view(&w).await, "practice B changed");
    assert_eq!(
        b_calls().len(),
        b_calls_before,
        "calls were made to B's XPM organisation"
    );
    let b_status = w
        .api(&w.fx.b_admin_token)
        .get("/api/integration")
        .await
        .json();
    assert_eq!(b_status["status"], "Connected");
    // And B's XPM organisation still holds exactly B's clients.
    let names: Vec<String> = w
        .sim
        .control()
        .clients(second_tenant.parse().expect("uuid"))
        .expect("clients")
        .iter()
        .map(|c| c.fields.get("Name").cloned().unwrap_or_default())
        .collect();
    assert!(!names.iter().any(|n| n.contains("Hijacked")), "{names:?}");
}
