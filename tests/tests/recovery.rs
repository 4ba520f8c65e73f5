//! A client create whose answer is lost, and whose outcome the adapter
//! cannot settle (its follow-up search fails too), stays pending; the next
//! Sync must find the client XPM made rather than make a second one
//! (issue 7, invariant 7), through the real use cases, adapter and store.

use domain::client::ClientStatus;
use domain::ids::{ClientId, XpmTenantId};
use domain::sync::{ClientStep, FirstSyncDecision, ManualSyncRequest};
use domain::text::ClientName;
use domain::usecases::{Stores, SyncOutcome};
use rule_tests::rig::first_org;
use rule_tests::{FreshSqlite, Rig};

async fn sync<S: Stores + Clone>(rig: &Rig<S>, client: ClientId) -> SyncOutcome {
    sync_deciding(rig, client, None).await
}

async fn sync_deciding<S: Stores + Clone>(
    rig: &Rig<S>,
    client: ClientId,
    decision: Option<FirstSyncDecision>,
) -> SyncOutcome {
    let request =
        ManualSyncRequest::new(&rig.admin, rig.practice, client, decision).expect("a request");
    rig.app.sync_client(&request).await.expect("the sync runs")
}

fn copies<S>(rig: &Rig<S>, code: &str) -> usize {
    rig.ctl()
        .clients(first_org().into())
        .expect("the organisation")
        .iter()
        .filter(|c| c.field("ClientCode") == Some(code))
        .count()
}

/// Creates client 0, connects, and loses the answer of its first create.
async fn lost_create<S: Stores + Clone>(rig: &Rig<S>) -> ClientId {
    let details = rule_tests::canonical::clients().remove(1).1;
    let client = rig
        .app
        .create_client(rig.practice, rig.admin.id, details)
        .await
        .expect("create");
    rig.connect(&[first_org()], first_org())
        .await
        .expect("connect");
    let searches = domain::sync::look_alike_queries(&client).len();
    rule_tests::xpm_faults::lose_the_next_create(rig.ctl(), searches);
    // The demo's XPM holds a client with the same email: the person chose "create".
    let first = sync_deciding(rig, client.id, Some(FirstSyncDecision::CreateNew)).await;
    assert!(
        !first.is_complete(),
        "the create's outcome should be unknown: {first:#?}"
    );
    let pending = rig
        .store()
        .pending_operations(rig.practice, client.id, XpmTenantId::from_uuid(first_org()))
        .await
        .expect("read pending operations");
    assert_eq!(pending.len(), 1, "the lost create stays noted as pending");
    assert_eq!(copies(rig, "ACME&<01>"), 1, "XPM made the client");
    client.id
}

#[tokio::test]
async fn the_next_sync_recovers_a_create_whose_answer_was_lost_without_a_duplicate() {
    let file = FreshSqlite::new();
    let rig = Rig::start(file.open().await, 1).await;
    let client = lost_create(&rig).await;
    let second = sync(&rig, client).await;
    assert!(
        matches!(second.plan.client, ClientStep::Recover { .. }),
        "{:#?}",
        second.plan.client
    );
    assert_eq!(
        copies(&rig, "ACME&<01>"),
        1,
        "one XPM client for one PM Hub client"
    );
    rig.sim.stop().await;
}

#[tokio::test]
async fn a_rename_in_pm_hub_after_a_lost_create_still_recovers_without_a_duplicate() {
    let file = FreshSqlite::new();
    let rig = Rig::start(file.open().await, 1).await;
    let client = lost_create(&rig).await;
    let mut renamed = rig
        .app
        .get_client(rig.practice, rig.admin.id, client)
        .await
        .expect("the client");
    assert_eq!(renamed.status, ClientStatus::Active);
    renamed.details.name = ClientName::new("Acme Holdings (renamed) Pty Ltd").expect("a name");
    rig.app
        .update_client(rig.practice, rig.admin.id, client, renamed.details)
        .await
        .expect("rename in PM Hub");
    let second = sync(&rig, client).await;
    assert_eq!(
        copies(&rig, "ACME&<01>"),
        1,
        "one XPM client for one PM Hub client; the second sync planned {:#?}",
        second.plan.client
    );
    rig.sim.stop().await;
}
