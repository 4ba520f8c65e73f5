//! Connections as Xero keeps them, end to end through the app's pages and
//! API against xpm-sim: Xero keeps a user's earlier connections when they
//! consent again, and the app follows what the latest consent granted. A
//! Reconnect ticking only another organisation switches to it; a later Sync
//! writes there and never into the previous organisation; switching back
//! finds the previous organisation's links again; ticking several asks.
//! Demo Practice is nameless in the sim's connections (as Xero documents
//! for XPM), so the admin names it on the page.

use axum::http::StatusCode;
use domain::client::{BusinessStructure, ClientDetails, ClientKind};
use domain::text::{ClientName, EmailAddress};
use pmhub_xpm::state::AppStore;
use rule_tests::http_rig::Pages;
use rule_tests::rig::{first_org, second_org};
use rule_tests::{FreshPostgres, FreshSqlite, HttpRig};
use serde_json::Value;
use uuid::Uuid;
use xpm_sim::JournalFilter;
use xpm_sim::seed::demo;

/// The integration page after a login came back (it redirects there).
async fn page_after<S: AppStore>(
    pages: &Pages<'_, S>,
    callback: rule_tests::http_rig::PageAnswer,
) -> String {
    assert_eq!(callback.status, StatusCode::SEE_OTHER, "{}", callback.body);
    let to = callback.location.expect("back to the integration page");
    let page = pages.get(&to).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
}

/// The text of the page's element with `id`, up to its closing tag.
fn element<'p>(page: &'p str, id: &str) -> &'p str {
    let open = format!("id=\"{id}\"");
    let start = page
        .find(&open)
        .unwrap_or_else(|| panic!("no #{id} in {page}"));
    let start = start + page[start..].find('>').expect("the tag ends") + 1;
    let end = start + page[start..].find('<').expect("the element ends");
    page[start..end].trim()
}

/// XPM writes the sim saw for `tenant` since journal entry `after`.
fn writes_to(rig: &HttpRig<impl AppStore>, tenant: Uuid, after: u64) -> Vec<String> {
    rig.ctl()
        .journal(&JournalFilter {
            tenant: Some(tenant.to_string()),
            ..JournalFilter::default()
        })
        .into_iter()
        .filter(|e| e.id > after && e.method != "GET")
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

fn last_journal_id(rig: &HttpRig<impl AppStore>) -> u64 {
    rig.ctl().journal_all().last().map_or(0, |e| e.id)
}

async fn sync<S: AppStore>(rig: &HttpRig<S>, client: &str) -> (StatusCode, Value) {
    let (status, body) = rig
        .call("POST", &format!("/api/clients/{client}/sync"), Some("{}"))
        .await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn status<S: AppStore>(rig: &HttpRig<S>) -> Value {
    let (code, body) = rig.call("GET", "/api/integration", None).await;
    assert_eq!(code, StatusCode::OK);
    serde_json::from_slice(&body).expect("JSON")
}

async fn reconnecting_to_another_organisation_switches_and_never_writes_into_the_previous_one<
    S: AppStore,
>(
    store: S,
) {
    let rig = HttpRig::start(store).await;
    let pages = rig.pages().await;
    let mut details = ClientDetails::named(
        ClientName::new("Harbour Lights Pty Ltd").expect("a name"),
        ClientKind::Organisation,
    );
    details.business_structure = Some(BusinessStructure::Company);
    details.email = EmailAddress::new("office@harbour.test").ok();
    let client = rig
        .state
        .app
        .create_client(rig.practice, rig.admin.id, details)
        .await
        .expect("a client")
        .id
        .to_string();

    // Connect to Demo Practice: Xero gives no name for it, the admin names it.
    let page = page_after(&pages, pages.connect(&[first_org()]).await).await;
    assert_eq!(element(&page, "status"), "Connected");
    assert_eq!(element(&page, "organisation"), "Unnamed 3f2a1b7c");
    assert!(page.contains("id=\"unnamed\""), "{page}");
    let named = pages
        .post(
            "/integrations/xpm/organisation/name",
            &[("name", demo::TENANT_NAME)],
        )
        .await;
    assert_eq!(named.status, StatusCode::SEE_OTHER, "{}", named.body);
    let page = pages.get("/integrations/xpm").await.body;
    assert_eq!(element(&page, "organisation"), demo::TENANT_NAME);
    assert!(!page.contains("id=\"unnamed\""), "{page}");

    let (code, first) = sync(&rig, &client).await;
    assert_eq!(code, StatusCode::OK, "{first}");
    let in_demo = first["xpmClientUuid"].as_str().expect("created").to_owned();
    let demo_before = rig
        .ctl()
        .org_state(first_org().into())
        .expect("Demo Practice")
        .org;

    // Reconnect, ticking only Second Practice: Xero keeps Demo's connection.
    let page = page_after(&pages, pages.connect(&[second_org()]).await).await;
    assert_eq!(element(&page, "status"), "Connected");
    assert_eq!(element(&page, "organisation"), demo::SECOND_TENANT_NAME);
    assert!(
        page.contains(
            "Reconnected to a different XPM organisation, Second Practice (was Demo Practice)"
        ),
        "the page warns of the switch: {page}"
    );
    let kept: Vec<Uuid> = rig
        .ctl()
        .connections()
        .iter()
        .map(|c| *c.tenant_id.as_uuid())
        .collect();
    assert!(kept.contains(&first_org()), "Xero kept Demo: {kept:?}");
    assert_eq!(
        status(&rig).await["organisation"]["tenantId"],
        demo::SECOND_TENANT_ID
    );

    let mark = last_journal_id(&rig);
    let (code, in_second) = sync(&rig, &client).await;
    assert_eq!(code, StatusCode::OK, "{in_second}");
    assert_eq!(in_second["complete"], true, "{in_second}");
    assert!(writes_to(&rig, first_org(), mark).is_empty());
    assert!(
        rig.ctl()
            .journal(&JournalFilter {
                tenant: Some(demo::TENANT_ID.into()),
                ..JournalFilter::default()
            })
            .iter()
            .all(|e| e.id <= mark),
        "not even a read reached Demo Practice after the switch"
    );
    assert_eq!(
        rig.ctl()
            .org_state(first_org().into())
            .expect("Demo Practice")
            .org,
        demo_before,
        "Demo Practice holds exactly what it held before the switch"
    );
    let in_second = in_second["xpmClientUuid"]
        .as_str()
        .expect("created")
        .to_owned();
    assert_ne!(in_second, in_demo);
    assert!(
        rig.ctl()
            .client(second_org().into(), in_second.parse().expect("a uuid"))
            .is_ok(),
        "the client went to Second Practice"
    );

    // Back to Demo Practice: its name and its link are found again.
    let page = page_after(&pages, pages.connect(&[first_org()]).await).await;
    assert_eq!(element(&page, "organisation"), demo::TENANT_NAME);
    let mark = last_journal_id(&rig);
    let (code, again) = sync(&rig, &client).await;
    assert_eq!(code, StatusCode::OK, "{again}");
    assert_eq!(again["xpmClientUuid"], in_demo.as_str(), "{again}");
    assert!(
        writes_to(&rig, first_org(), mark)
            .iter()
            .all(|w| !w.ends_with("/client.api/add")),
        "nothing created again in Demo Practice"
    );
    assert!(writes_to(&rig, second_org(), mark).is_empty());

    // Ticking both: the page asks, and nothing syncs until the choice.
    let page = page_after(&pages, pages.connect(&[first_org(), second_org()]).await).await;
    assert_eq!(element(&page, "status"), "Choosing organisation");
    assert!(page.contains("id=\"choose\""), "{page}");
    for (tenant, name) in [
        (demo::TENANT_ID, demo::TENANT_NAME),
        (demo::SECOND_TENANT_ID, demo::SECOND_TENANT_NAME),
    ] {
        assert!(
            page.contains(&format!("value=\"{tenant}\" required> {name}")),
            "{name} is offered: {page}"
        );
    }
    let mark = last_journal_id(&rig);
    let (code, refused) = sync(&rig, &client).await;
    assert_eq!(code, StatusCode::CONFLICT, "{refused}");
    assert!(writes_to(&rig, first_org(), mark).is_empty());
    let chosen = pages
        .post(
            "/integrations/xpm/organisation",
            &[("tenant", demo::SECOND_TENANT_ID)],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    let now = status(&rig).await;
    assert_eq!(now["status"], "Connected");
    assert_eq!(now["organisation"]["name"], demo::SECOND_TENANT_NAME);
    rig.sim.stop().await;
}

#[tokio::test]
async fn reconnecting_to_another_organisation_switches_and_never_writes_into_the_previous_one_on_sqlite()
 {
    let file = FreshSqlite::new();
    let store = file.open().await;
    reconnecting_to_another_organisation_switches_and_never_writes_into_the_previous_one(
        store.clone(),
    )
    .await;
    store.close().await;
}

#[tokio::test]
async fn reconnecting_to_another_organisation_switches_and_never_writes_into_the_previous_one_on_postgres()
 {
    let database = FreshPostgres::create().await;
    let store = database.open().await;
    let run = tokio::spawn(
        reconnecting_to_another_organisation_switches_and_never_writes_into_the_previous_one(
            store.clone(),
        ),
    )
    .await;
    store.close().await;
    database.drop_database().await;
    if let Err(failure) = run {
        std::panic::resume_unwind(failure.into_panic());
    }
}
