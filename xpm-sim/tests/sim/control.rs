use crate::common::{http, start};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use xpm_sim::seed::demo;
use xpm_sim::{Sim, SimConfig};

async fn call(method: Method, url: String, body: Option<Value>) -> (StatusCode, Value) {
    let mut r = http().request(method, url);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let s = resp.status();
    (s, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn control_api_seeds_reads_and_edits_state() {
    let t = start().await;
    let c = t.sim.control_url();
    let (s, index) = call(Method::GET, c.clone(), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(index["xpm"], t.sim.xpm_base_url());

    let seed = json!({
        "orgs": [{ "name": "QA Practice", "clients": [{ "Name": "QA Client", "TaxNumber": "111222333" }] }],
        "users": [{ "email": "qa@qa.test", "name": "QA Admin", "memberships": [{ "org": "QA Practice", "admin": true, "third_party_access": true }] }],
        "apps": [{ "client_id": "qa-app", "client_secret": null, "redirect_uris": ["http://qa/cb"], "name": "QA" }]
    });
    let (s, report) = call(Method::POST, format!("{c}/seed"), Some(seed)).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let qa = report["orgs"]["QA Practice"].as_str().unwrap().to_string();
    let (_, orgs) = call(Method::GET, format!("{c}/orgs"), None).await;
    assert_eq!(orgs.as_array().unwrap().len(), 3);
    let (_, state) = call(Method::GET, format!("{c}/orgs/{qa}"), None).await;
    let client = state["org"]["clients"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    assert_eq!(
        client["fields"]["TaxNumber"], "111222333",
        "control reads are unmasked"
    );

    let (s, edited) = call(
        Method::PATCH,
        format!("{c}/orgs/{}/clients/{}", demo::TENANT_ID, demo::ACME_UUID),
        Some(json!({ "Email": "edited@acme.test", "Phone": "09 123" })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{edited}");
    let (_, body) = t.get_xml(&format!("get/{}", demo::ACME_UUID)).await;
    assert!(
        body.contains("<Email>edited@acme.test</Email>"),
        "an edit in XPM is seen by the API"
    );
    let (s, err) = call(
        Method::PATCH,
        format!("{c}/orgs/{}/clients/{}", demo::TENANT_ID, demo::ACME_UUID),
        Some(json!({ "Email": "broken" })),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        err,
        json!({ "error": "invalid", "message": "Email is not a valid email address" })
    );
    let (s, added) = call(
        Method::POST,
        format!("{c}/orgs/{}/clients", demo::TENANT_ID),
        Some(json!({ "Name": "By Hand" })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(added["fields"]["Name"], "By Hand");
    let (s, _) = call(
        Method::GET,
        format!("{c}/orgs/{}/clients/{}", demo::TENANT_ID, demo::ACME_UUID),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn control_api_errors_are_clear_json() {
    let t = start().await;
    let c = t.sim.control_url();
    let (s, e) = call(
        Method::GET,
        format!("{c}/orgs/00000000-0000-4000-8000-000000000000"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(e["error"], "not_found");
    let (s, e) = call(Method::GET, format!("{c}/orgs/nope"), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"], "invalid");
    let resp = http()
        .post(format!("{c}/seed"))
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        resp.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .starts_with("request body")
    );
    let (s, e) = call(Method::GET, format!("{c}/reset"), None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(e["error"], "invalid");
    let (s, e) = call(Method::GET, format!("{c}/nothing/here"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(e["error"], "not_found");
    let (s, _) = call(
        Method::POST,
        format!("{c}/seed"),
        Some(json!({"orgs": [{"name": "X", "clients": [{"Email": "a@b.test"}]}]})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "a client without a name is refused"
    );
    assert_eq!(
        t.sim.control().orgs().len(),
        2,
        "a failed seed changes nothing"
    );
    let (s, e) = call(
        Method::POST,
        format!("{c}/faults"),
        Some(json!({"action": {"kind": "explode"}})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, _) = call(Method::DELETE, format!("{c}/faults/99"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn control_api_journal_filters() {
    let t = start().await;
    let c = t.sim.control_url();
    t.get_xml("list").await;
    t.sim.control().advance_clock(time::Duration::minutes(5));
    t.xml(
        Method::POST,
        "add",
        Some("<Client><Name>Journal Ltd</Name></Client>"),
    )
    .await;
    t.xml(Method::POST, "add", Some("<Client/>")).await;
    let (_, all) = call(Method::GET, format!("{c}/journal"), None).await;
    assert_eq!(
        all.as_array().unwrap().len(),
        3,
        "control calls are not journalled"
    );
    let q = |s: &str| format!("{c}/journal?{s}");
    let (_, posts) = call(Method::GET, q("method=post"), None).await;
    assert_eq!(posts.as_array().unwrap().len(), 2);
    let (_, named) = call(Method::GET, q("request_contains=Journal%20Ltd"), None).await;
    assert_eq!(named.as_array().unwrap().len(), 1);
    let (_, errors) = call(Method::GET, q("response_contains=ERROR"), None).await;
    assert_eq!(errors.as_array().unwrap().len(), 1);
    let (_, later) = call(Method::GET, q("since=2026-01-05T09:01:00Z"), None).await;
    assert_eq!(later.as_array().unwrap().len(), 2);
    let (_, before) = call(
        Method::GET,
        q("until=2026-01-05T09:01:00Z&path=/list&status=200"),
        None,
    )
    .await;
    assert_eq!(before.as_array().unwrap().len(), 1);
    assert_eq!(before[0]["tenant"], demo::TENANT_ID);
    let (_, last) = call(Method::GET, q("limit=1"), None).await;
    assert_eq!(last[0]["request_body"], "<Client/>");
    let (s, _) = call(Method::GET, q("status=abc"), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    call(Method::DELETE, format!("{c}/journal"), None).await;
    let (_, none) = call(Method::GET, format!("{c}/journal"), None).await;
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn control_api_faults_tokens_connections_clock_limits_reset() {
    let t = start().await;
    let c = t.sim.control_url();
    let (s, f) = call(
        Method::POST,
        format!("{c}/faults"),
        Some(json!({ "method": "GET", "path": "/practicemanager/3.1/client.api/list", "action": { "kind": "status", "status": 500 }, "times": 1 })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t.get_xml("list").await.0, 500);
    let (_, list) = call(Method::GET, format!("{c}/faults"), None).await;
    assert_eq!(list[0]["fired"], 1);
    call(Method::DELETE, format!("{c}/faults/{}", f["id"]), None).await;
    call(
        Method::POST,
        format!("{c}/faults"),
        Some(json!({ "action": { "kind": "commit_then_drop" } })),
    )
    .await;
    call(Method::DELETE, format!("{c}/faults"), None).await;
    assert_eq!(t.get_xml("list").await.0, 200);

    let (_, conns) = call(Method::GET, format!("{c}/connections"), None).await;
    assert_eq!(conns.as_array().unwrap().len(), 2);
    let (_, n) = call(Method::POST, format!("{c}/tokens/expire"), None).await;
    assert_eq!(n["expired"], 1);
    assert_eq!(t.get_xml("list").await.0, 401);
    let (s, tokens) = call(
        Method::POST,
        format!("{c}/connect"),
        Some(json!({ "client_id": demo::CLIENT_ID, "user_email": demo::ADMIN_EMAIL })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(tokens["refresh_token"].is_string());
    let (_, r) = call(
        Method::POST,
        format!("{c}/connections/revoke"),
        Some(json!({ "tenant_id": demo::TENANT_ID })),
    )
    .await;
    assert_eq!(r["revoked"], 1);

    let (_, clock) = call(
        Method::POST,
        format!("{c}/clock/advance"),
        Some(json!({ "seconds": 90 })),
    )
    .await;
    assert_eq!(clock["now"], "2026-01-05T09:01:30Z");
    let (_, clock) = call(
        Method::POST,
        format!("{c}/clock/set"),
        Some(json!({ "now": "2027-02-03T04:05:06Z" })),
    )
    .await;
    assert_eq!(clock["now"], "2027-02-03T04:05:06Z");
    let (_, clock) = call(Method::GET, format!("{c}/clock"), None).await;
    assert_eq!(clock["now"], "2027-02-03T04:05:06Z");
    let (s, e) = call(
        Method::POST,
        format!("{c}/clock/set"),
        Some(json!({ "now": "9999-12-31T00:00:00Z" })),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, _) = call(
        Method::POST,
        format!("{c}/clock/advance"),
        Some(json!({ "seconds": i64::MAX })),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let (_, limits) = call(Method::GET, format!("{c}/limits"), None).await;
    assert_eq!(
        limits,
        json!({ "enabled": true, "concurrent": 5, "per_minute": 60, "per_day": 5000, "app_per_minute": 10000 })
    );
    let (s, _) = call(Method::PUT, format!("{c}/limits"), Some(json!({ "enabled": false, "concurrent": 5, "per_minute": 60, "per_day": 5000, "app_per_minute": 10000 }))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!t.sim.control().limits().enabled);

    let (s, _) = call(Method::POST, format!("{c}/reset"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(t.sim.control().connections().is_empty());
    assert!(t.sim.control().journal_all().is_empty());
    assert!(t.sim.control().limits().enabled);
    assert_eq!(
        t.sim.control().now().to_string(),
        "2026-01-05 9:00:00.0 +00:00:00"
    );
    let (s, report) = call(
        Method::POST,
        format!("{c}/reset"),
        Some(json!({ "orgs": [{ "name": "Only" }] })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(t.sim.control().orgs().len(), 1);
}

#[tokio::test]
async fn ui_shows_state_and_its_buttons_work() {
    let t = start().await;
    t.get_xml("list").await;
    let c = http();
    let page = c
        .get(format!("{}/_sim/ui", t.sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for needle in [
        "Demo Practice",
        "Acme Holdings Pty Ltd",
        "Director Jane Citizen",
        "Director Of Acme Holdings Pty Ltd",
        "******782",
        "/practicemanager/3.1/client.api/list",
        "pmhub-local",
        "2026-01-05T09:00:00Z",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    let r = c
        .post(format!("{}/_sim/ui/expire-tokens", t.sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.get_xml("list").await.0, 401);
    let r = c
        .post(format!("{}/_sim/ui/revoke", t.sim.base_url()))
        .form(&[("tenant_id", demo::TENANT_ID)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.sim.control().connections().len(), 1);
    let r = c
        .post(format!("{}/_sim/ui/advance", t.sim.base_url()))
        .form(&[("seconds", "60")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.sim.control().now().minute(), 1);
    t.sim.control().add_fault(xpm_sim::FaultSpec {
        method: None,
        path: None,
        tenant: None,
        action: xpm_sim::FaultAction::CloseBeforeAnswer,
        times: None,
    });
    for button in ["clear-faults", "clear-journal"] {
        let r = c
            .post(format!("{}/_sim/ui/{button}", t.sim.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    assert!(t.sim.control().faults().is_empty());
    assert!(t.sim.control().journal_all().is_empty());
    let r = c
        .post(format!("{}/_sim/ui/reset", t.sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(t.sim.control().connections().is_empty());
}

async fn script(sim: &xpm_sim::RunningSim) -> String {
    let token = sim
        .control()
        .connect(&xpm_sim::ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![],
            scopes: vec![],
        })
        .unwrap()
        .access_token;
    let c = http();
    let base = sim.xpm_base_url();
    for body in [
        "<Client><Name>One</Name></Client>",
        "<Client><Name>Two</Name><BusinessStructure>Trust</BusinessStructure></Client>",
        "<Client/>",
    ] {
        c.post(format!("{base}/client.api/add"))
            .bearer_auth(&token)
            .header("xero-tenant-id", demo::TENANT_ID)
            .body(body)
            .send()
            .await
            .unwrap();
    }
    c.get(format!("{base}/client.api/list?detailed=true"))
        .bearer_auth(&token)
        .header("xero-tenant-id", demo::TENANT_ID)
        .send()
        .await
        .unwrap();
    serde_json::to_string(&sim.control().journal_all()).unwrap()
}

#[tokio::test]
async fn the_same_script_gives_the_same_journal() {
    let a = Sim::start(SimConfig::default()).await.unwrap();
    let b = Sim::start(SimConfig::default()).await.unwrap();
    let ja = script(&a).await;
    let jb = script(&b).await;
    assert_eq!(ja, jb);
    assert!(ja.contains("Two"));
    let c = Sim::start(SimConfig {
        rng_seed: 7,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    assert_ne!(script(&c).await, ja, "another seed gives other UUIDs");
}

#[tokio::test]
async fn a_person_in_xpm_can_change_relationships_and_archive_or_delete_clients() {
    let t = start().await;
    let c = t.sim.control_url();
    let org = format!("{c}/orgs/{}", demo::TENANT_ID);
    let (s, rel) = call(
        Method::POST,
        format!("{org}/relationships"),
        Some(json!({ "ClientUUID": demo::ACME_UUID, "RelatedClientUUID": demo::JANE_UUID, "Type": "Shareholder", "NumberOfShares": 10 })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{rel}");
    let id = rel["uuid"].as_str().unwrap().to_string();
    let (_, acme) = t.get_xml(&format!("get/{}", demo::ACME_UUID)).await;
    assert!(acme.contains("<Type>Shareholder</Type>"), "{acme}");
    let (_, jane) = t.get_xml(&format!("get/{}", demo::JANE_UUID)).await;
    assert!(jane.contains("<Type>Shareholder Of</Type>"), "{jane}");
    let (s, up) = call(
        Method::PATCH,
        format!("{org}/relationships"),
        Some(json!({ "UUID": id, "NumberOfShares": 20 })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(up["number_of_shares"], 20);
    let (s, bad) = call(Method::POST, format!("{org}/relationships"), Some(json!({ "ClientUUID": demo::JANE_UUID, "RelatedClientUUID": demo::ACME_UUID, "Type": "Boss" }))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    let (s, _) = call(Method::DELETE, format!("{org}/relationships/{id}"), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = call(Method::DELETE, format!("{org}/relationships/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, _) = call(
        Method::POST,
        format!("{org}/clients/{}/archive", demo::JANE_UUID),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, jane) = t.get_xml(&format!("get/{}", demo::JANE_UUID)).await;
    assert!(jane.contains("<IsArchived>Yes</IsArchived>"));
    let (s, _) = call(
        Method::POST,
        format!("{org}/clients/{}/delete", demo::JANE_UUID),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, gone) = t.get_xml(&format!("get/{}", demo::JANE_UUID)).await;
    assert!(gone.contains("Client not found"));
}

#[tokio::test]
async fn the_typed_control_client_drives_a_sim_over_http() {
    let t = start().await;
    let cc = xpm_sim::ControlClient::new(t.sim.base_url());
    assert_eq!(cc.orgs().await.unwrap().len(), 2);
    let tenant = demo::TENANT;
    let state = cc.org_state(tenant).await.unwrap();
    assert_eq!(state.org.name, "Demo Practice");
    let edited = cc
        .edit_client(
            tenant,
            demo::ACME_UUID.parse().unwrap(),
            &json!({ "Phone": "123" }),
        )
        .await
        .unwrap();
    assert_eq!(edited.field("Phone"), Some("123"));
    let err = cc.org_state(uuid::Uuid::nil().into()).await.unwrap_err();
    assert!(
        matches!(
            err,
            xpm_sim::ControlClientError::Refused { status: 404, .. }
        ),
        "{err}"
    );
    let id = cc
        .add_fault(xpm_sim::FaultSpec {
            method: Some("GET".into()),
            path: Some("/practicemanager/3.1/client.api/list".into()),
            tenant: None,
            action: xpm_sim::FaultAction::Status {
                status: 503,
                body: None,
                retry_after: None,
            },
            times: Some(1),
        })
        .await
        .unwrap();
    assert_eq!(t.get_xml("list").await.0, 503);
    assert_eq!(cc.faults().await.unwrap()[0].fired, 1);
    cc.remove_fault(id).await.unwrap();
    let journal = cc
        .journal(&xpm_sim::JournalFilter {
            status: Some(503),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(journal.len(), 1);
    cc.clear_journal().await.unwrap();
    assert_eq!(cc.expire_all_tokens().await.unwrap(), 1);
    let tokens = cc
        .connect(&xpm_sim::ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![tenant.into()],
            scopes: vec![],
        })
        .await
        .unwrap();
    assert!(tokens.refresh_token.is_some());
    assert_eq!(cc.connections().await.unwrap().len(), 2);
    assert_eq!(
        cc.revoke_connection(tenant, Some(demo::CLIENT_ID))
            .await
            .unwrap(),
        1
    );
    cc.try_advance_clock(time::Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(t.sim.control().now().minute(), 1);
    let mut limits = cc.limits().await.unwrap();
    limits.per_minute = 2;
    assert_eq!(cc.set_limits(limits).await.unwrap().per_minute, 2);
    cc.seed(&xpm_sim::Seed {
        orgs: vec![xpm_sim::seed::OrgSeed {
            name: "More".into(),
            ..Default::default()
        }],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(cc.orgs().await.unwrap().len(), 3);
    cc.reset().await.unwrap();
    assert_eq!(cc.orgs().await.unwrap().len(), 2);
    assert!(cc.clear_faults().await.is_ok());
    let report = cc.reset_to(&xpm_sim::Seed::empty()).await.unwrap();
    assert!(report.orgs.is_empty());
    assert!(cc.client(tenant, uuid::Uuid::nil().into()).await.is_err());
}

/// `<Relationship>` entries of a get answer as (type, related client UUID, relationship UUID).
fn relationships_in(body: &str) -> Vec<(String, String, String)> {
    body.split("<Relationship>")
        .skip(1)
        .map(|r| {
            let related = &r[r.find("<RelatedClient>").unwrap()..];
            (
                crate::common::first(r, "Type").unwrap(),
                crate::common::first(related, "UUID").unwrap(),
                crate::common::first(r, "UUID").unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn merging_a_client_deletes_it_and_moves_its_relationships_to_the_survivor() {
    let t = start().await;
    let ctl = t.sim.control();
    let tenant = demo::TENANT;
    let acme = demo::ACME;
    let jane = demo::JANE;
    let dup = ctl
        .add_client(
            tenant,
            &json!({ "Name": "Acme Holdings (duplicate)", "BusinessStructure": "Company" }),
        )
        .unwrap()
        .uuid;
    let bob = ctl
        .add_client(
            tenant,
            &json!({ "Name": "Bob Holder", "BusinessStructure": "Individual" }),
        )
        .unwrap()
        .uuid;
    let add =
        |client: xpm_sim::ClientUuid, related: xpm_sim::ClientUuid, kind: &str, extra: Value| {
            let mut v = json!({ "ClientUUID": client, "RelatedClientUUID": related, "Type": kind });
            if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
                m.extend(e);
            }
            ctl.add_relationship(tenant, &v).unwrap().uuid
        };
    // Acme already has Jane as Director (seed).
    let original = ctl
        .org_state(tenant)
        .unwrap()
        .org
        .relationships
        .keys()
        .next()
        .copied()
        .unwrap();
    // Acme is also Jane's "Parent Of" (Jane sees "Child Of").
    let parent = add(acme, jane, "Parent Of", json!({}));
    // Same type and other client as Acme's: skipped, from either side it is
    // stored (Jane's "Child Of" the duplicate shows there as "Parent Of" Jane).
    add(dup, jane, "Director", json!({}));
    add(jane, dup, "Child Of", json!({}));
    // Between the two merged clients: skipped.
    add(dup, acme, "Partner", json!({}));
    // Moved: another type with Jane, Bob's shares, and Jane's "Associate"
    // (stored from Jane's side).
    let trustee = add(dup, jane, "Trustee", json!({ "StartDate": "2019-07-01" }));
    let shares = add(dup, bob, "Shareholder", json!({ "NumberOfShares": 40 }));
    let associate = add(jane, dup, "Associate", json!({}));
    assert_eq!(ctl.org_state(tenant).unwrap().org.relationships.len(), 8);

    ctl.advance_clock(time::Duration::minutes(5));
    ctl.merge_client(tenant, dup, acme).unwrap();

    // The merged client answers exactly like a deleted one.
    let (_, gone) = t.get_xml(&format!("get/{dup}")).await;
    assert_eq!(
        crate::common::error_of(&gone).as_deref(),
        Some("Client not found")
    );
    for read in [
        "list",
        "list?detailed=true",
        "search?query=acme",
        "paged-list",
    ] {
        let (_, body) = t.get_xml(read).await;
        assert!(!body.contains(&dup.to_string()), "{read}: {body}");
    }
    let stored = ctl.client(tenant, dup).unwrap();
    assert!(stored.deleted);
    assert!(ctl.clients(tenant).unwrap().iter().all(|c| c.uuid != dup));

    // Its relationships moved to Acme, the skipped ones went.
    let (_, acme_view) = t.get_xml(&format!("get/{acme}")).await;
    let mut rels = relationships_in(&acme_view);
    rels.sort();
    let mut expected = vec![
        (
            "Director".to_string(),
            jane.to_string(),
            original.to_string(),
        ),
        (
            "Parent Of".to_string(),
            jane.to_string(),
            parent.to_string(),
        ),
        (
            "Shareholder".to_string(),
            bob.to_string(),
            shares.to_string(),
        ),
        ("Trustee".to_string(), jane.to_string(), trustee.to_string()),
        (
            "Associate".to_string(),
            jane.to_string(),
            associate.to_string(),
        ),
    ];
    expected.sort();
    assert_eq!(rels, expected, "{acme_view}");
    assert!(acme_view.contains("<NumberOfShares>40</NumberOfShares>"));
    assert!(acme_view.contains("<StartDate>2019-07-01</StartDate>"));
    let (_, bob_view) = t.get_xml(&format!("get/{bob}")).await;
    assert_eq!(
        relationships_in(&bob_view),
        [(
            "Shareholder Of".to_string(),
            acme.to_string(),
            shares.to_string()
        )]
    );
    let (_, jane_view) = t.get_xml(&format!("get/{jane}")).await;
    let mut from_jane = relationships_in(&jane_view);
    from_jane.sort();
    let mut expected = vec![
        (
            "Director Of".to_string(),
            acme.to_string(),
            original.to_string(),
        ),
        ("Child Of".to_string(), acme.to_string(), parent.to_string()),
        (
            "Trustee Of".to_string(),
            acme.to_string(),
            trustee.to_string(),
        ),
        (
            "Associate".to_string(),
            acme.to_string(),
            associate.to_string(),
        ),
    ];
    expected.sort();
    assert_eq!(from_jane, expected, "{jane_view}");
    assert!(!jane_view.contains(&dup.to_string()));
    let org = ctl.org_state(tenant).unwrap().org;
    assert_eq!(org.relationships.len(), 5);
    assert!(
        org.relationships
            .values()
            .all(|r| r.client != *dup.as_uuid() && r.related != *dup.as_uuid())
    );

    // The survivor and the clients whose relationships changed count as modified.
    let (_, since) = t.get_xml("list?modifiedsince=2026-01-05T09:04:00").await;
    for c in [acme, bob, jane] {
        assert!(since.contains(&c.to_string()), "{c} modified: {since}");
    }
}

#[tokio::test]
async fn merge_is_a_control_route_and_a_control_client_call_and_refuses_bad_merges() {
    let t = start().await;
    let ctl = t.sim.control();
    let c = t.sim.control_url();
    let tenant = demo::TENANT;
    let org = format!("{c}/orgs/{tenant}");
    let plain = |name: &str| {
        ctl.add_client(tenant, &json!({ "Name": name }))
            .unwrap()
            .uuid
    };
    let dup = plain("Jane C (duplicate)");
    let (s, v) = call(
        Method::POST,
        format!("{org}/clients/{dup}/merge-into/{}", demo::JANE_UUID),
        None,
    )
    .await;
    assert_eq!((s, v), (StatusCode::OK, json!({ "merged": true })));
    let (_, gone) = t.get_xml(&format!("get/{dup}")).await;
    assert!(gone.contains("Client not found"));

    let nobody = uuid::Uuid::nil();
    let refusals = [
        (
            format!("{org}/clients/{dup}/merge-into/{}", demo::JANE_UUID),
            StatusCode::NOT_FOUND,
            "Client not found",
        ),
        (
            format!("{org}/clients/{}/merge-into/{nobody}", demo::JANE_UUID),
            StatusCode::NOT_FOUND,
            "Client to merge into not found",
        ),
        (
            format!("{org}/clients/{0}/merge-into/{0}", demo::JANE_UUID),
            StatusCode::BAD_REQUEST,
            "A client cannot be merged into itself",
        ),
        (
            format!("{org}/clients/nope/merge-into/{}", demo::JANE_UUID),
            StatusCode::BAD_REQUEST,
            "'nope' is not a UUID",
        ),
        (
            format!(
                "{c}/orgs/{nobody}/clients/{}/merge-into/{}",
                demo::JANE_UUID,
                demo::ACME_UUID
            ),
            StatusCode::NOT_FOUND,
            "organisation",
        ),
        // Jane has a relationship; the survivor has no BusinessStructure.
        (
            format!(
                "{org}/clients/{}/merge-into/{}",
                demo::JANE_UUID,
                plain("No Structure")
            ),
            StatusCode::BAD_REQUEST,
            "must have a Business Structure",
        ),
    ];
    for (url, status, message) in refusals {
        let (s, v) = call(Method::POST, url.clone(), None).await;
        assert_eq!(s, status, "{url}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains(message),
            "{url}: {v}"
        );
    }
    let (s, _) = call(
        Method::GET,
        format!("{org}/clients/{dup}/merge-into/{}", demo::JANE_UUID),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        ctl.client(tenant, demo::JANE_UUID.parse().unwrap())
            .is_ok_and(|j| !j.deleted),
        "a refused merge changes nothing"
    );
    assert_eq!(ctl.org_state(tenant).unwrap().org.relationships.len(), 1);

    // The same over the typed control client.
    let cc = xpm_sim::ControlClient::new(t.sim.base_url());
    let other = plain("Acme again");
    cc.merge_client(tenant, other, demo::ACME_UUID.parse().unwrap())
        .await
        .unwrap();
    assert!(cc.client(tenant, other).await.unwrap().deleted);
    let err = cc
        .merge_client(tenant, other, demo::ACME_UUID.parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            xpm_sim::ControlClientError::Refused { status: 404, message, .. } if message == "Client not found"
        ),
        "{err}"
    );
    // A handle refusal is typed too.
    assert_eq!(
        ctl.merge_client(tenant, other, demo::ACME_UUID.parse().unwrap()),
        Err(xpm_sim::ControlError::NotFound("Client not found".into()))
    );
}
