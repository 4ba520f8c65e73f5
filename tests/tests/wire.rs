//! insta snapshots of what goes over the wire, through the app's real use
//! cases and adapters against an in-process xpm-sim (frozen clock, fixed
//! seed): the XML of every XPM call for the canonical clients and for every
//! XPM relationship type, and, through the HTTP API, the JSON of sync
//! results and previews and the activity log's CSV. Each scenario runs on
//! SQLite and on Postgres against the same snapshots, so both stores must
//! answer alike. After an intended change: `INSTA_UPDATE=always`, review, commit.

use domain::association::{AssociationTerms, Percentage, ShareCount};
use domain::client::{BusinessStructure, ClientDetails, ClientKind};
use domain::ids::ClientId;
use domain::relationship_type::XpmRelationshipType;
use domain::sync::ManualSyncRequest;
use domain::text::{AssociationTypeName, ClientName, EmailAddress};
use domain::usecases::Stores;
use pmhub_xpm::state::AppStore;
use rule_tests::rig::{first_org, quick_resilience};
use rule_tests::{FreshPostgres, FreshSqlite, HttpRig, Redactor, Rig, canonical};
use xpm_sim::{JournalEntry, SimHandle};

/// The XPM API calls journaled after `mark`, as text: request and answer XML.
fn xpm_calls(ctl: &SimHandle, mark: u64) -> (String, u64) {
    let entries: Vec<JournalEntry> = ctl
        .journal_all()
        .into_iter()
        .filter(|e| e.id > mark && e.path.starts_with("/practicemanager/"))
        .collect();
    let last = ctl.journal_all().iter().map(|e| e.id).max().unwrap_or(mark);
    let mut out = String::new();
    for e in &entries {
        out.push_str(&format!(
            "{} {}\n--> {}\n<-- {}{} {}\n\n",
            e.method,
            e.path,
            if e.request_body.is_empty() {
                "(no body)"
            } else {
                &e.request_body
            },
            e.status.map_or("no answer".to_owned(), |s| s.to_string()),
            if e.dropped { " (dropped)" } else { "" },
            e.response_body,
        ));
    }
    (out, last)
}

fn terms(shares: Option<u64>, percentage: Option<&str>) -> AssociationTerms {
    AssociationTerms {
        shares: shares.map(|s| ShareCount::new(s).expect("shares")),
        percentage: percentage.map(|p| Percentage::parse(p).expect("a percentage")),
        start_date: Some(time::macros::date!(2024 - 07 - 01)),
        end_date: None,
    }
}

async fn sync<S: Stores + Clone>(rig: &Rig<S>, client: ClientId) {
    let request =
        ManualSyncRequest::new(&rig.admin, rig.practice, client, None).expect("a sync request");
    let outcome = rig.app.sync_client(&request).await.expect("the sync runs");
    assert!(
        outcome.is_complete(),
        "the sync did not complete: {outcome:#?}"
    );
}

/// Every canonical client's first sync, then one association per XPM
/// relationship type, each mapped to its own association type.
async fn every_xpm_call<S: Stores + Clone>(store: S, prefix: u64) {
    let mut resilience = quick_resilience();
    resilience.max_in_flight = 1;
    let rig = Rig::start_with(store, prefix, resilience).await;
    let (practice, admin) = (rig.practice, rig.admin.id);
    let mut ids = Vec::new();
    for (_, details) in canonical::clients() {
        let client = rig
            .app
            .create_client(practice, admin, details)
            .await
            .expect("create");
        ids.push(client.id);
    }
    rig.connect(&[first_org()], first_org())
        .await
        .expect("connect");
    let mut mark = rig
        .ctl()
        .journal_all()
        .iter()
        .map(|e| e.id)
        .max()
        .unwrap_or(0);
    for ((name, _), id) in canonical::clients().into_iter().zip(&ids) {
        sync(&rig, *id).await;
        let (calls, last) = xpm_calls(rig.ctl(), mark);
        mark = last;
        insta::assert_snapshot!(format!("xpm_calls_first_sync_of_{name}"), calls);
    }

    // "Acme has Zoë as its <type>", once per XPM type.
    let (company, individual) = (ids[1], ids[0]);
    let shipped = pmhub_xpm::relationship_types::shipped();
    for spec in shipped.iter() {
        let xpm_type = spec.name.clone();
        let t = rig
            .app
            .create_association_type(
                practice,
                admin,
                AssociationTypeName::new(format!("Our {}", xpm_type.xpm_name())).expect("a name"),
            )
            .await
            .expect("create a type");
        rig.app
            .configure_mapping(practice, admin, t.id, Some(xpm_type))
            .await
            .expect("map it");
        // Each with the terms XPM records on its type.
        let terms = terms(
            spec.shares.then_some(600),
            spec.percentage.then_some("12.5"),
        );
        rig.app
            .add_association(practice, admin, company, individual, t.id, terms)
            .await
            .expect("add the association");
    }
    sync(&rig, company).await;
    let (calls, _) = xpm_calls(rig.ctl(), mark);
    insta::assert_snapshot!("xpm_calls_for_every_relationship_type", calls);
    rig.sim.stop().await;
}

#[tokio::test]
async fn every_xpm_call_for_the_canonical_clients_and_relationship_types_on_sqlite() {
    let file = FreshSqlite::new();
    let store = file.open().await;
    every_xpm_call(store.clone(), 1).await;
    store.close().await;
}

#[tokio::test]
async fn every_xpm_call_for_the_canonical_clients_and_relationship_types_on_postgres() {
    let database = FreshPostgres::create().await;
    let store = database.open().await;
    let run = tokio::spawn(every_xpm_call(store.clone(), 2)).await;
    store.close().await;
    database.drop_database().await;
    if let Err(failure) = run {
        std::panic::resume_unwind(failure.into_panic());
    }
}

fn organisation(name: &str, structure: Option<BusinessStructure>) -> ClientDetails {
    let mut d = ClientDetails::named(
        ClientName::new(name).expect("a name"),
        ClientKind::Organisation,
    );
    d.business_structure = structure;
    d.email = EmailAddress::new("office@example.test").ok();
    d
}

/// Through the HTTP API: a first sync that skips an unmapped association, a
/// preview that asks for a decision, a sync that creates despite a
/// look-alike and adds a relationship, a preview after a person changed the
/// client in XPM, and the activity log's CSV.
async fn api_answers<S: AppStore>(store: S) {
    let rig = HttpRig::start(store).await;
    let (practice, admin) = (rig.practice, rig.admin.id);
    let app = &rig.state.app;
    let mut zoe = canonical::clients().remove(0).1;
    zoe.email = EmailAddress::new("zoe@obrien.test").ok();
    let zoe = app
        .create_client(practice, admin, zoe)
        .await
        .expect("create");
    let acme = app
        .create_client(
            practice,
            admin,
            organisation("Acme & Sons <Pty> Ltd", Some(BusinessStructure::Company)),
        )
        .await
        .expect("create");
    let director = app
        .create_association_type(
            practice,
            admin,
            AssociationTypeName::new("Director").expect("a name"),
        )
        .await
        .expect("a type");
    app.configure_mapping(
        practice,
        admin,
        director.id,
        Some(XpmRelationshipType::from_static("Director")),
    )
    .await
    .expect("map");
    let referred = app
        .create_association_type(
            practice,
            admin,
            AssociationTypeName::new("Referred by").expect("a name"),
        )
        .await
        .expect("a type");
    // One association per sync, so that the answers' order never depends on random ids.
    app.add_association(
        practice,
        admin,
        acme.id,
        zoe.id,
        director.id,
        terms(None, None),
    )
    .await
    .expect("associate");
    app.add_association(
        practice,
        admin,
        zoe.id,
        acme.id,
        referred.id,
        terms(None, None),
    )
    .await
    .expect("associate");
    rig.ctl()
        .add_client(
            first_org().into(),
            &serde_json::json!({ "Name": "ACME & SONS <PTY> LTD", "Email": "old@acme.test" }),
        )
        .expect("a look-alike in XPM");
    rig.connect(&[first_org()]).await.expect("connect");

    let mut r = Redactor::new();
    let mut snap = |name: &str, (status, body): (axum::http::StatusCode, Vec<u8>)| {
        assert!(
            status.is_success(),
            "{name}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        insta::assert_snapshot!(name.to_owned(), r.json(&body));
    };
    snap(
        "api_sync_result_first_sync_creates_the_client_and_skips_an_unmapped_association",
        rig.call("POST", &format!("/api/clients/{}/sync", zoe.id), None)
            .await,
    );
    snap(
        "api_preview_first_sync_with_a_look_alike_asks_for_a_decision",
        rig.call(
            "GET",
            &format!("/api/clients/{}/sync-preview", acme.id),
            None,
        )
        .await,
    );
    snap(
        "api_sync_result_create_despite_a_look_alike_adds_the_mapped_relationship",
        rig.call(
            "POST",
            &format!("/api/clients/{}/sync", acme.id),
            Some(r#"{"decision":"createNew"}"#),
        )
        .await,
    );
    let record = rig
        .state
        .app
        .stores
        .record(
            practice,
            acme.id,
            domain::ids::XpmTenantId::from_uuid(first_org()),
        )
        .await
        .expect("read the record")
        .expect("acme is in XPM");
    rig.ctl()
        .edit_client(
            first_org().into(),
            (*record.xpm_client.as_uuid()).into(),
            &serde_json::json!({ "Email": "changed.in.xpm@acme.test", "Phone": "+61 2 5550 1234" }),
        )
        .expect("a person edits the client in XPM");
    snap(
        "api_preview_after_an_edit_in_xpm_flags_the_changed_fields",
        rig.call(
            "GET",
            &format!("/api/clients/{}/sync-preview", acme.id),
            None,
        )
        .await,
    );
    let (status, csv) = rig.call("GET", "/api/activity.csv", None).await;
    assert!(status.is_success(), "activity.csv: {status}");
    insta::assert_snapshot!("activity_log_csv", r.text(&String::from_utf8_lossy(&csv)));
    rig.sim.stop().await;
}

#[tokio::test]
async fn the_api_answers_sync_results_previews_and_the_activity_csv_on_sqlite() {
    let file = FreshSqlite::new();
    let store = file.open().await;
    api_answers(store.clone()).await;
    store.close().await;
}

#[tokio::test]
async fn the_api_answers_sync_results_previews_and_the_activity_csv_on_postgres() {
    let database = FreshPostgres::create().await;
    let store = database.open().await;
    let run = tokio::spawn(api_answers(store.clone())).await;
    store.close().await;
    database.drop_database().await;
    if let Err(failure) = run {
        std::panic::resume_unwind(failure.into_panic());
    }
}
