//! Hostile XPM answers: the sim's `status` fault rule answers any body in
//! place of XPM's, so every XML answer the adapter parses during a sync
//! (search, get, add, update, add relationship, the error envelope) meets
//! truncated, malformed, mis-rooted, deeply nested, entity-laden and huge
//! bodies, at 200 and at error statuses. The app answers a clear outcome or
//! problem, keeps serving, and once XPM behaves a later sync converges.
//!
//! This stands in for a cargo-fuzz target of the adapter's parser, which is
//! `pub(crate)` (adapters/ may not be edited here). `PROPTEST_CASES` sets the
//! cases (default 24).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reliability_tests::checks;
use reliability_tests::fixtures::demo_id;
use reliability_tests::world::World;
use xpm_sim::seed::demo as sim_demo;
use xpm_sim::{FaultAction, FaultSpec};

const CLIENT: &str = "<Response api-method=\"Get\"><Status>OK</Status><Client><UUID>0d5c3a1e-2b4f-4c6d-8e7f-9a0b1c2d3e4f</UUID><Name>Acme</Name><Email>a@b.test</Email><Relationships><Relationship><UUID>1e6d4b2f-3c5a-4d7e-9f8a-0b1c2d3e4f5a</UUID><Type>Director</Type></Relationship></Relationships></Client></Response>";
const CLIENTS: &str = "<Response><Status>OK</Status><Clients><Client><UUID>0d5c3a1e-2b4f-4c6d-8e7f-9a0b1c2d3e4f</UUID><Name>John Citizen</Name></Client></Clients></Response>";
const ERROR: &str = "<Response><Status>ERROR</Status><ErrorDescription>Client not found</ErrorDescription></Response>";

fn hostile_body() -> impl Strategy<Value = String> {
    let template = prop::sample::select(vec![CLIENT, CLIENTS, ERROR]);
    prop_oneof![
        // A valid answer cut short.
        (template.clone(), any::<prop::sample::Index>()).prop_map(|(t, i)| {
            let cut = i.index(t.len());
            t.chars().take(cut).collect::<String>()
        }),
        // A valid answer with junk spliced in.
        (template.clone(), any::<prop::sample::Index>(), "\\PC{0,12}|[<>&\"';/]{1,6}").prop_map(|(t, i, junk)| {
            let at = i.index(t.len());
            let (a, b) = t.split_at(at.min(t.len()));
            if a.is_char_boundary(a.len()) { format!("{a}{junk}{b}") } else { t.to_owned() }
        }),
        Just(String::new()),
        Just("not xml at all".to_owned()),
        Just("{\"status\":\"OK\",\"client\":{}}".to_owned()),
        Just("<Response><Status>OK</Status></Response>".to_owned()),
        Just("<Response><Status>OK</Status><Client><UUID>not-a-uuid</UUID><Name></Name></Client></Response>".to_owned()),
        Just("<Other><Status>OK</Status></Other>".to_owned()),
        Just("<!DOCTYPE r [<!ENTITY x \"xxxxxxxxxx\"><!ENTITY y \"&x;&x;&x;&x;&x;&x;&x;&x;\">]><Response><Status>&y;</Status></Response>".to_owned()),
        (1usize..5000).prop_map(|d| format!("{}{}", "<a>".repeat(d), "</a>".repeat(d))),
        (1usize..200_000).prop_map(|n| format!("<Response><Status>OK</Status><Client><Name>{}</Name></Client></Response>", "N".repeat(n))),
        "\\PC{0,200}",
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_xpm_answers_end_in_a_clear_outcome_and_a_later_sync_converges() {
    let cases: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let w = World::postgres().await;
    let page = w.connect_a().await;
    let tenant: uuid::Uuid = sim_demo::TENANT_ID.parse().expect("uuid");
    let ctl = w.sim.control().clone();
    let admin = w.api(&w.fx.a_admin_token);
    let clients: Vec<String> = [3u128, 4, 5, 6]
        .iter()
        .map(|n| demo_id(3, *n).to_string())
        .collect();
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        hostile_body(),
        prop::sample::select(vec![200u16, 200, 400, 401, 404, 500]),
        1u32..4,
        0usize..4,
    );
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |(body, status, times, which)| {
            handle.block_on(async {
                ctl.clear_faults();
                ctl.add_fault(FaultSpec {
                    method: None,
                    path: Some("/practicemanager/3.1/client.api/*".into()),
                    tenant: None,
                    action: FaultAction::Status {
                        status,
                        body: Some(body.clone()),
                        retry_after: None,
                    },
                    times: Some(times),
                });
                let r = admin.sync(&clients[which], None).await;
                prop_assert!(
                    r.status == 200 || (400..600).contains(&r.status),
                    "{}",
                    r.status
                );
                if r.status == 200 {
                    let outcome = r.json();
                    if outcome["complete"] == false {
                        let explained = outcome["operations"].as_array().is_some_and(|ops| {
                            ops.iter().any(|o| {
                                o["failed"] == true || o["kind"] == "operation_not_attempted"
                            })
                        }) || outcome["plan"]["needsDecision"] == true;
                        prop_assert!(explained, "incomplete without a reason: {}", r.text);
                    }
                } else {
                    prop_assert!(
                        r.json()["detail"].as_str().is_some_and(|d| !d.is_empty()),
                        "{} {}",
                        r.status,
                        r.text
                    );
                }
                let health = admin.get("/healthz").await;
                prop_assert_eq!(health.status, 200);
                Ok(())
            })
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    ctl.clear_faults();
    // A 401 body can mark the connection expired: an admin reconnects.
    if admin.get("/api/integration").await.json()["status"] != "Connected" {
        page.connect(
            &w.sim.base_url(),
            sim_demo::ADMIN_USER_ID,
            sim_demo::TENANT_ID,
        )
        .await;
    }
    for _ in 0..2 {
        for client in &clients {
            checks::sync_to_completion(&admin, client).await;
        }
    }
    let dups = checks::duplicate_clients(&ctl, tenant);
    assert!(
        dups.is_empty(),
        "hostile answers led to duplicates: {dups:?}"
    );
}
