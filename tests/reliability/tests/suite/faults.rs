//! Fault schedules: random combinations of the sim's fault rules (429
//! storms, 5xx, latency, dropped connections, ambiguous writes, token expiry
//! and revocation mid-sync) while a person syncs. Each sync ends with a
//! clear outcome per operation (or a clear problem), nothing partial is
//! hidden, and once the faults stop a later sync converges: no duplicate in
//! XPM, every XPM write in the activity log.
//!
//! `FAULT_SCHEDULES` (default 8) sets how many syncs run under faults,
//! `FAULT_SEED` the schedule.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reliability_tests::checks;
use reliability_tests::fixtures::demo_id;
use reliability_tests::world::World;
use serde_json::Value;
use xpm_sim::seed::demo as sim_demo;
use xpm_sim::{FaultAction, FaultSpec};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rule(method: Option<&str>, path: &str, action: FaultAction, times: Option<u32>) -> FaultSpec {
    FaultSpec {
        method: method.map(str::to_owned),
        path: Some(path.to_owned()),
        tenant: None,
        action,
        times,
    }
}

const API: &str = "/practicemanager/3.1/client.api/*";

/// A random combination of fault rules, with its description.
fn schedule(rng: &mut StdRng) -> (Vec<FaultSpec>, Vec<&'static str>, bool, bool) {
    let mut rules = Vec::new();
    let mut names = Vec::new();
    if rng.random_bool(0.4) {
        names.push("429 storm");
        rules.push(rule(
            None,
            API,
            FaultAction::Status {
                status: 429,
                body: None,
                retry_after: Some(rng.random_range(0..2)),
            },
            Some(rng.random_range(1..8)),
        ));
    }
    if rng.random_bool(0.4) {
        names.push("5xx");
        let status = [500, 502, 503, 504][rng.random_range(0..4)];
        rules.push(rule(
            None,
            API,
            FaultAction::Status {
                status,
                body: Some("upstream trouble".into()),
                retry_after: None,
            },
            Some(rng.random_range(1..4)),
        ));
    }
    if rng.random_bool(0.4) {
        names.push("latency");
        rules.push(rule(
            None,
            API,
            FaultAction::Latency {
                ms: rng.random_range(10..200),
            },
            Some(rng.random_range(1..6)),
        ));
    }
    if rng.random_bool(0.4) {
        names.push("dropped connection");
        let method = ["GET", "POST", "PUT"][rng.random_range(0..3)];
        rules.push(rule(
            Some(method),
            API,
            FaultAction::CloseBeforeAnswer,
            Some(rng.random_range(1..3)),
        ));
    }
    if rng.random_bool(0.5) {
        names.push("ambiguous write");
        let path = [
            "/practicemanager/3.1/client.api/add",
            "/practicemanager/3.1/client.api/addrelationship",
            "/practicemanager/3.1/client.api/update",
        ][rng.random_range(0..3)];
        rules.push(rule(None, path, FaultAction::CommitThenDrop, Some(1)));
    }
    if rng.random_bool(0.2) {
        names.push("token endpoint 5xx");
        rules.push(rule(
            None,
            "/connect/token",
            FaultAction::Status {
                status: 503,
                body: None,
                retry_after: None,
            },
            Some(1),
        ));
    }
    let expire = rng.random_bool(0.3);
    if expire {
        names.push("token expiry");
    }
    let revoke = rng.random_bool(0.15);
    if revoke {
        names.push("revocation");
    }
    (rules, names, expire, revoke)
}

/// The outcome says what happened to every operation; nothing partial is hidden.
fn check_outcome(what: &str, status: u16, body: &Value) {
    assert!(
        status == 200 || (400..600).contains(&status),
        "{what}: {status}"
    );
    if status != 200 {
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}: a {status} without a reason: {body}"
        );
        return;
    }
    let ops = body["operations"].as_array().cloned().unwrap_or_default();
    for op in &ops {
        assert!(
            op["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: an operation without a message: {op}"
        );
        assert!(
            op["kind"].as_str().is_some_and(|k| !k.is_empty()),
            "{what}: {op}"
        );
    }
    let failed = ops
        .iter()
        .any(|o| o["failed"] == true || o["kind"] == "operation_not_attempted");
    if body["complete"] == true {
        assert!(!failed, "{what}: complete, yet an operation failed: {body}");
    } else {
        assert!(
            failed || body["plan"]["needsDecision"] == true,
            "{what}: incomplete, yet no operation says why: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_fault_schedules_end_clearly_and_a_later_sync_converges() {
    let schedules = env_u64("FAULT_SCHEDULES", 8);
    let seed = env_u64("FAULT_SEED", rand::random::<u64>() % 1_000_000);
    println!("fault schedules: {schedules}, FAULT_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let w = World::postgres().await;
    let page = w.connect_a().await;
    let tenant: uuid::Uuid = sim_demo::TENANT_ID.parse().expect("uuid");
    let ctl = w.sim.control().clone();
    let base = checks::baseline(&ctl, tenant);
    let admin = w.api(&w.fx.a_admin_token);
    let clients: Vec<String> = [2u128, 3, 4, 5, 6, 7]
        .iter()
        .map(|n| demo_id(3, *n).to_string())
        .collect();
    let mut seen = Vec::new();
    let mut reconnects = 0;
    for n in 0..schedules {
        let (rules, names, expire, revoke) = schedule(&mut rng);
        for r in rules {
            ctl.add_fault(r);
        }
        if expire {
            ctl.expire_all_tokens();
        }
        if revoke {
            ctl.revoke_connection(tenant.into(), None);
        }
        let mark = ctl.journal_all().last().map_or(0, |e| e.id);
        let entries_before = checks::activity(&admin).await.len();
        let client = &clients[rng.random_range(0..clients.len())];
        let what = format!("schedule {n} {names:?} on {client} (seed {seed})");
        let r = admin.sync(client, None).await;
        let body = r.json();
        check_outcome(&what, r.status, &body);
        if body["plan"]["needsDecision"] == true {
            let uuid = body["plan"]["lookAlikes"][0]["xpmClientUuid"].clone();
            let r = admin
                .sync(
                    client,
                    Some(&serde_json::json!({"decision": {"linkTo": uuid}})),
                )
                .await;
            check_outcome(&what, r.status, &r.json());
        }
        seen.push(format!(
            "{names:?} -> {} complete={}",
            r.status, body["complete"]
        ));
        ctl.clear_faults();
        // Nothing partial hidden: every write XPM committed during the sync
        // (answered or not) has its entry in the activity log already.
        let committed = ctl
            .journal_all()
            .iter()
            .filter(|e| {
                e.id > mark
                    && e.status == Some(200)
                    && e.method != "GET"
                    && e.path.contains("/client.api/")
            })
            .count();
        let new_entries = checks::activity(&admin).await;
        let recorded = new_entries
            .iter()
            // Newest first.
            .take(new_entries.len() - entries_before)
            .filter(|e| {
                let kind = e["kind"].as_str().unwrap_or_default();
                e["failed"] == true
                    || [
                        "client_created",
                        "client_updated",
                        "client_recovered",
                        "relationship_added",
                        "relationship_updated",
                    ]
                    .contains(&kind)
            })
            .count();
        assert!(
            recorded >= committed,
            "{what}: XPM committed {committed} writes, the activity log records {recorded}"
        );
        // Expired or revoked: an admin reconnects (nothing syncs by itself).
        let status = admin.get("/api/integration").await.json();
        if status["status"] != "Connected" {
            assert!(
                status["status"] == "Expired" || status["status"] == "Revoked",
                "{what}: {status}"
            );
            let r = page
                .connect(
                    &w.sim.base_url(),
                    sim_demo::ADMIN_USER_ID,
                    sim_demo::TENANT_ID,
                )
                .await;
            assert_eq!(
                reliability_tests::browser::location(&r),
                "/integrations/xpm?done=connected"
            );
            reconnects += 1;
        }
    }
    // Faults over: every client converges.
    // Twice: a relationship waits until its related client is in XPM.
    for _ in 0..2 {
        for client in &clients {
            checks::sync_to_completion(&admin, client).await;
        }
    }
    for client in &clients {
        let r = admin.sync(client, None).await;
        assert_eq!(r.json()["plan"]["writes"], 0, "{client}: {}", r.text);
    }
    let dups = checks::duplicate_clients(&ctl, tenant);
    assert!(
        dups.is_empty(),
        "seed {seed}: duplicate XPM clients {dups:?}"
    );
    let dup_rel = checks::duplicate_relationships(&ctl, tenant, &base);
    assert!(
        dup_rel.is_empty(),
        "seed {seed}: duplicate relationships {dup_rel:?}"
    );
    let (made_clients, made_relationships) = checks::pushed(&ctl, tenant, &base);
    let named = checks::ids_in_activity(&checks::activity(&admin).await);
    for id in made_clients.iter().chain(&made_relationships) {
        assert!(
            named.contains(&id.to_string()),
            "seed {seed}: XPM holds {id}, which no activity entry records"
        );
    }
    println!(
        "fault schedules (seed {seed}, {reconnects} reconnects):\n  {}",
        seen.join("\n  ")
    );
}
