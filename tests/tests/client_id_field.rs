//! PM Hub's client id kept in an XPM client custom field, through the real
//! use cases, XPM adapter and stores against an in-process xpm-sim (the
//! demo's "PM Hub ID" Text field), on SQLite and Postgres. Judged by what
//! XPM holds (the sim's state and journal), not by what the app reports.

use domain::client::{BusinessStructure, ClientDetails, ClientKind};
use domain::ids::{ClientId, XpmClientUuid, XpmTenantId};
use domain::sync::{ClientStep, FirstSyncDecision, ManualSyncRequest, MatchKey, PendingOperation};
use domain::text::{ClientName, EmailAddress};
use domain::usecases::{MAX_ID_FIELD_READS, Stores, SyncOutcome};
use rule_tests::rig::first_org;
use rule_tests::{FreshPostgres, FreshSqlite, Rig};
use serde_json::json;
use uuid::Uuid;
use xpm_sim::seed::demo;

fn field() -> domain::ids::XpmCustomFieldUuid {
    demo::PM_HUB_ID_FIELD_UUID.parse().expect("the demo field")
}

fn tenant() -> XpmTenantId {
    XpmTenantId::from_uuid(first_org())
}

async fn start<S: Stores + Clone>(store: S, prefix: u64, keep_ids: bool) -> Rig<S> {
    let rig = Rig::start(store, prefix).await;
    rig.connect(&[first_org()], first_org())
        .await
        .expect("connect through Xero's login");
    if keep_ids {
        rig.app
            .configure_client_id_field(rig.practice, rig.admin.id, Some(field()))
            .await
            .expect("choose the demo's PM Hub ID field");
    }
    rig
}

async fn client<S: Stores + Clone>(rig: &Rig<S>, name: &str) -> ClientId {
    let mut d = ClientDetails::named(
        ClientName::new(name).expect("a name"),
        ClientKind::Organisation,
    );
    d.business_structure = Some(BusinessStructure::Company);
    d.email = EmailAddress::new(format!("office@{}.test", name.len())).ok();
    rig.app
        .create_client(rig.practice, rig.admin.id, d)
        .await
        .expect("create a PM Hub client")
        .id
}

async fn sync<S: Stores + Clone>(
    rig: &Rig<S>,
    client: ClientId,
    decision: Option<FirstSyncDecision>,
) -> SyncOutcome {
    let request =
        ManualSyncRequest::new(&rig.admin, rig.practice, client, decision).expect("a request");
    rig.app.sync_client(&request).await.expect("the sync runs")
}

fn id_in_xpm<S>(rig: &Rig<S>, xpm: Uuid) -> Option<String> {
    rig.ctl()
        .client_custom_fields(first_org().into(), xpm.into())
        .expect("the sim's client")
        .get(demo::PM_HUB_ID_FIELD_NAME)
        .cloned()
}

fn calls<S>(rig: &Rig<S>, path: &str) -> usize {
    rig.ctl()
        .journal_all()
        .iter()
        .filter(|e| e.path.contains(path))
        .count()
}

fn live_named<S>(rig: &Rig<S>, prefix: &str) -> usize {
    rig.ctl()
        .clients(first_org().into())
        .expect("the sim's clients")
        .iter()
        .filter(|c| c.name().starts_with(prefix))
        .count()
}

/// A create, then a link, each write PM Hub's id into the field; a second
/// Sync writes nothing; the id names the client in XPM.
async fn a_create_and_a_link_write_pm_hubs_id_into_xpm<S: Stores + Clone>(store: S, prefix: u64) {
    let rig = start(store, prefix, true).await;
    let zeta = client(&rig, "Zeta Custom Ltd").await;
    let created = sync(&rig, zeta, None).await;
    assert!(created.is_complete(), "{created:#?}");
    let x = *created.xpm_client.expect("made").as_uuid();
    assert_eq!(id_in_xpm(&rig, x), Some(zeta.to_string()));
    let journal = rig.ctl().journal_all();
    let writes: Vec<&str> = journal
        .iter()
        .filter(|e| e.method != "GET" && e.path.starts_with("/practicemanager/"))
        .map(|e| {
            if e.path.ends_with("/customfield") {
                "customfield"
            } else {
                e.path.rsplit('/').next().unwrap_or_default()
            }
        })
        .collect();
    assert_eq!(writes, ["add", "customfield"], "the add, then the id");
    let again = sync(&rig, zeta, None).await;
    assert_eq!(again.plan.write_count(), 0, "{:?}", again.plan);
    assert_eq!(calls(&rig, "/update/"), 1, "the id is written once");
    // A link to the demo's Acme writes the id there, and keeps Acme's other fields.
    let acme = client(&rig, "Acme Holdings Pty Ltd").await;
    let asked = sync(&rig, acme, None).await;
    assert!(matches!(
        asked.plan.client,
        ClientStep::NeedsDecision { .. }
    ));
    let acme_xpm: XpmClientUuid = demo::ACME_UUID.parse().expect("uuid");
    let linked = sync(&rig, acme, Some(FirstSyncDecision::LinkTo(acme_xpm))).await;
    assert!(linked.is_complete(), "{linked:#?}");
    let held = rig
        .ctl()
        .client_custom_fields(first_org().into(), (*acme_xpm.as_uuid()).into())
        .expect("Acme");
    assert_eq!(held.get("PM Hub ID"), Some(&acme.to_string()));
    assert_eq!(held.get("Service tier").map(String::as_str), Some("Gold"));
    rig.sim.stop().await;
}

/// The process died after the create and the id write reached XPM, before
/// either was recorded; a person then renamed the client in XPM. The next
/// Sync finds it by the id (one list and bounded reads), without a duplicate.
async fn renamed_in_xpm_after_a_lost_create_it_is_found_by_the_id<S: Stores + Clone>(
    store: S,
    prefix: u64,
) {
    let rig = start(store, prefix, true).await;
    let zeta = client(&rig, "Zeta Renamed Ltd").await;
    let first = sync(&rig, zeta, None).await;
    let x = *first.xpm_client.expect("made").as_uuid();
    // What that crash leaves: no record, the create noted as pending.
    let s = rig.store();
    s.forget_record(rig.practice, zeta, tenant())
        .await
        .expect("forget");
    s.begin_operation(
        rig.practice,
        zeta,
        tenant(),
        &PendingOperation::CreateClient {
            known_look_alikes: Vec::new(),
            sent_name: Some(ClientName::new("Zeta Renamed Ltd").expect("a name")),
            started_at: Some(rig.ctl().now()),
        },
    )
    .await
    .expect("note");
    rig.ctl().advance_clock(time::Duration::hours(20));
    rig.ctl()
        .edit_client(
            first_org().into(),
            x.into(),
            &json!({ "Name": "Zeta Holdings (renamed in XPM)", "Email": "" }),
        )
        .expect("a person renames it in XPM");
    rig.ctl().clear_journal();
    let second = sync(&rig, zeta, None).await;
    assert!(
        matches!(second.plan.client, ClientStep::Recover { xpm_client, .. } if *xpm_client.as_uuid() == x),
        "{:#?}",
        second.plan.client
    );
    assert!(second.is_complete(), "{second:#?}");
    assert_eq!(
        live_named(&rig, "Zeta"),
        1,
        "one XPM client for one PM Hub client"
    );
    assert_eq!(
        rig.ctl()
            .client(first_org().into(), x.into())
            .expect("in XPM")
            .name(),
        "Zeta Renamed Ltd",
        "PM Hub's name is written back"
    );
    assert_eq!(calls(&rig, "client.api/add"), 0);
    assert_eq!(calls(&rig, "modifiedsince="), 1);
    let reads = rig
        .ctl()
        .journal_all()
        .iter()
        .filter(|e| e.method == "GET" && e.path.ends_with("/customfield"))
        .count();
    assert!((1..=MAX_ID_FIELD_READS).contains(&reads), "{reads} reads");
    let recovered = rig
        .store()
        .read(
            rig.practice,
            &domain::ports::ActivityFilter {
                client: Some(zeta),
                kinds: vec!["client_recovered"],
                ..domain::ports::ActivityFilter::default()
            },
            domain::ports::ActivityPage {
                after: None,
                limit: 5,
            },
        )
        .await
        .expect("activity");
    assert!(matches!(
        &recovered[0].kind,
        domain::activity::ActivityKind::ClientRecovered { by_id_field: Some(f), .. } if f == "PM Hub ID"
    ));
    rig.sim.stop().await;
}

/// With the setting off (the default), a look-alike question and a create
/// make no custom field or list call at all, as before the setting existed.
async fn with_the_setting_off_no_custom_field_is_touched<S: Stores + Clone>(store: S, prefix: u64) {
    let rig = start(store, prefix, false).await;
    let acme = client(&rig, "Acme Holdings Pty Ltd").await;
    let asked = sync(&rig, acme, None).await;
    let ClientStep::NeedsDecision { look_alikes } = &asked.plan.client else {
        panic!("{:?}", asked.plan.client);
    };
    assert!(look_alikes.iter().all(|l| l.pm_hub_id.is_none()));
    assert_eq!(asked.plan.client_id, None);
    let created = sync(&rig, acme, Some(FirstSyncDecision::CreateNew)).await;
    assert!(created.is_complete());
    assert_eq!(created.plan.write_count(), 1);
    assert_eq!(calls(&rig, "customfield"), 0);
    assert_eq!(calls(&rig, "modifiedsince"), 0);
    rig.sim.stop().await;
}

/// An archived XPM client holding this client's id is not adopted by
/// itself: after the person unlinks it, the Sync asks, the holder first.
async fn an_archived_holder_of_the_id_is_offered_not_adopted<S: Stores + Clone>(
    store: S,
    prefix: u64,
) {
    let rig = start(store, prefix, true).await;
    let zeta = client(&rig, "Zeta Archived Ltd").await;
    let x = *sync(&rig, zeta, None)
        .await
        .xpm_client
        .expect("made")
        .as_uuid();
    rig.ctl()
        .archive_client(first_org().into(), x.into())
        .expect("a person archives it");
    let gone = sync(&rig, zeta, None).await;
    assert!(matches!(gone.plan.client, ClientStep::GoneFromXpm { .. }));
    rig.app
        .unlink_client(rig.practice, rig.admin.id, zeta)
        .await
        .expect("unlink");
    let asked = sync(&rig, zeta, None).await;
    let ClientStep::NeedsDecision { look_alikes } = &asked.plan.client else {
        panic!("{:?}", asked.plan.client);
    };
    assert_eq!(*look_alikes[0].xpm_client.as_uuid(), x);
    assert!(look_alikes[0].archived);
    let pm_hub = rig
        .app
        .get_client(rig.practice, rig.admin.id, zeta)
        .await
        .expect("read");
    assert_eq!(look_alikes[0].matches(&pm_hub)[0], MatchKey::PmHubId);
    assert_eq!(live_named(&rig, "Zeta"), 1);
    rig.sim.stop().await;
}

macro_rules! on_both_stores {
    ($($scenario:ident => $prefix:literal),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let file = super::FreshSqlite::new();
                    let store = file.open().await;
                    super::$scenario(store.clone(), $prefix).await;
                    store.close().await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let database = super::FreshPostgres::create().await;
                    let store = database.open().await;
                    let run = tokio::spawn(super::$scenario(store.clone(), $prefix)).await;
                    store.close().await;
                    database.drop_database().await;
                    if let Err(failure) = run {
                        std::panic::resume_unwind(failure.into_panic());
                    }
                }
            )*
        }
    };
}

on_both_stores! {
    a_create_and_a_link_write_pm_hubs_id_into_xpm => 21,
    renamed_in_xpm_after_a_lost_create_it_is_found_by_the_id => 22,
    with_the_setting_off_no_custom_field_is_touched => 23,
    an_archived_holder_of_the_id_is_offered_not_adopted => 24,
}
