//! Two `pmhub-xpm serve` processes of one deployment, sharing a Postgres
//! database, a token key, a Xero client and the sim: concurrent syncs of one
//! client split across both never create it twice (the advisory lock holds
//! across processes), and both can renew expired access tokens at the same
//! moment without losing the practice's connection.

use std::time::{Duration, Instant};

use reliability_tests::binary::AppProcess;
use reliability_tests::checks;
use reliability_tests::fixtures::demo_id;
use reliability_tests::proxy::SlowAnswers;
use reliability_tests::served::{Served, ServedOptions};
use reliability_tests::world::{Answer, Api};
use serde_json::Value;
use xpm_sim::seed::demo as sim_demo;
use xpm_sim::{FaultAction, FaultSpec, JournalFilter, SimHandle};

fn latency(path: &str, ms: u64) -> FaultSpec {
    FaultSpec {
        method: None,
        path: Some(path.to_owned()),
        tenant: None,
        action: FaultAction::Latency { ms },
        times: None,
    }
}

fn tenant() -> uuid::Uuid {
    sim_demo::TENANT_ID.parse().expect("uuid")
}

/// The API of one process, as one user.
fn api_of(s: &Served, process: &AppProcess, token: &str) -> Api {
    Api {
        http: s.http.clone(),
        base: process.config.url(),
        token: token.to_owned(),
    }
}

/// Admin and staff of practice A on each of the two processes.
fn apis(s: &Served, second: &AppProcess) -> Vec<(String, Api)> {
    let mut out = Vec::new();
    for (process, app) in [("first", &s.app), ("second", second)] {
        for (role, token) in [
            ("admin", &s.fx.a_admin_token),
            ("staff", &s.fx.a_staff_token),
        ] {
            out.push((format!("{process}/{role}"), api_of(s, app, token)));
        }
    }
    out
}

/// `n` manual syncs of `client` fired at once, spread over `apis`.
async fn sync_at_once(apis: &[(String, Api)], client: &str, n: usize) -> Vec<(String, Answer)> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let (who, api) = apis[i % apis.len()].clone();
        let client = client.to_owned();
        tasks.push(tokio::spawn(
            async move { (who, api.sync(&client, None).await) },
        ));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("sync task"));
    }
    answers
}

fn created(body: &Value) -> usize {
    body["operations"].as_array().map_or(0, |ops| {
        ops.iter().filter(|o| o["kind"] == "client_created").count()
    })
}

/// Every answer is 200 complete; exactly one created the client and every
/// other one waited for a sync of it; one add reached XPM; one XPM client.
fn assert_created_once(
    sim: &SimHandle,
    answers: &[(String, Answer)],
    name: &str,
    mark: u64,
    logs: &str,
) {
    let mut creators = Vec::new();
    let mut waited = 0;
    for (who, r) in answers {
        assert_eq!(r.status, 200, "{who}: {}\nlogs:\n{logs}", r.text);
        let body = r.json();
        assert_eq!(body["complete"], true, "{who}: {}", r.text);
        if created(&body) > 0 {
            creators.push(who.clone());
        } else {
            assert_eq!(
                body["waitedForAnotherSync"], true,
                "{who} neither created {name} nor waited for the sync that did: {}",
                r.text
            );
            waited += 1;
        }
    }
    assert_eq!(creators.len(), 1, "creators of {name}: {creators:?}");
    println!(
        "{name}: created by {}, {waited} others waited; answers from {:?}",
        creators[0],
        answers.iter().map(|(w, _)| w.as_str()).collect::<Vec<_>>()
    );
    let adds: Vec<_> = sim
        .journal(&JournalFilter {
            path: Some("/client.api/add".into()),
            ..Default::default()
        })
        .into_iter()
        .filter(|e| e.id > mark)
        .collect();
    assert_eq!(adds.len(), 1, "adds that reached XPM for {name}: {adds:?}");
    let by_name = checks::clients_by_name(sim, tenant());
    assert_eq!(
        by_name.get(name).map(Vec::len),
        Some(1),
        "XPM clients named {name}: {by_name:?}"
    );
    let dups = checks::duplicate_clients(sim, tenant());
    assert!(dups.is_empty(), "duplicate XPM clients: {dups:?}");
}

fn last_journal_id(sim: &SimHandle) -> u64 {
    sim.journal_all().last().map_or(0, |e| e.id)
}

fn refreshes_since(sim: &SimHandle, mark: u64) -> Vec<xpm_sim::JournalEntry> {
    sim.journal(&JournalFilter {
        path: Some("/connect/token".into()),
        request_contains: Some("refresh_token".into()),
        ..Default::default()
    })
    .into_iter()
    .filter(|e| e.id > mark)
    .collect()
}

/// The integration status through one process (it asks Xero, renewing the
/// access token when Xero refuses it).
async fn status(api: &Api) -> Value {
    let r = api.get("/api/integration").await;
    assert_eq!(r.status, 200, "status: {}", r.text);
    r.json()
}

fn both_logs(s: &Served, second: &AppProcess) -> String {
    format!(
        "--- first process ---\n{}\n--- second process ---\n{}",
        s.log(),
        second.log()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_syncing_one_client_at_once_create_it_in_xpm_once() {
    let started = Instant::now();
    let s = Served::start(ServedOptions::default()).await;
    let second = s.another_process(None).await;
    s.connect_a().await;
    let ctl = s.sim.control().clone();
    // Slow XPM: the first sync holds the client's lock for several calls'
    // worth, so every other request (either process) arrives while it runs.
    ctl.add_fault(latency("/practicemanager/3.1/client.api/*", 250));
    let apis = apis(&s, &second);
    let john = demo_id(3, 3).to_string();
    let mark = last_journal_id(&ctl);
    let answers = sync_at_once(&apis, &john, 8).await;
    ctl.clear_faults();
    assert_created_once(
        &ctl,
        &answers,
        "John Citizen",
        mark,
        &both_logs(&s, &second),
    );
    // Each process answered some of them, and a later sync from either
    // process finds nothing to write.
    for (who, api) in [&apis[0], &apis[2]] {
        let r = api.sync(&john, None).await;
        assert_eq!(r.status, 200, "{who}: {}", r.text);
        assert_eq!(created(&r.json()), 0, "{who}: {}", r.text);
    }
    println!("two processes, one client: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_renewing_expired_tokens_at_once_stay_connected_and_create_once() {
    let started = Instant::now();
    let s = Served::start(ServedOptions::default()).await;
    let second = s.another_process(None).await;
    s.connect_a().await;
    let ctl = s.sim.control().clone();
    let apis = apis(&s, &second);
    ctl.add_fault(latency("/practicemanager/3.1/client.api/*", 200));
    // A slow token endpoint widens the moment when both processes hold the
    // same refused access token and the same refresh token.
    ctl.add_fault(latency("/connect/token", 150));
    let expired = ctl.expire_all_tokens();
    assert!(expired > 0, "an access token to expire");
    let mark = last_journal_id(&ctl);
    let li = demo_id(3, 6).to_string();
    // Syncs of a never-synced client and a status check, through both
    // processes at once: each process meets the expired token.
    let checks = {
        let (a, b) = (apis[0].1.clone(), apis[2].1.clone());
        tokio::spawn(async move { tokio::join!(status(&a), status(&b)) })
    };
    let answers = sync_at_once(&apis, &li, 8).await;
    let (first_status, second_status) = checks.await.expect("status task");
    ctl.clear_faults();
    let logs = both_logs(&s, &second);
    assert_created_once(&ctl, &answers, "Li Wei", mark, &logs);
    let refreshes = refreshes_since(&ctl, mark);
    println!(
        "expired tokens, two processes: {} refreshes ({:?})",
        refreshes.len(),
        refreshes.iter().map(|e| e.status).collect::<Vec<_>>()
    );
    assert_eq!(
        refreshes.len(),
        1,
        "the expired tokens were renewed once, by one process: {refreshes:?}"
    );
    for (who, st) in [("first", first_status), ("second", second_status)] {
        assert_eq!(st["status"], "Connected", "{who} during: {st}\n{logs}");
    }
    // Afterwards: Connected through both processes, and both sync.
    for (who, api) in [&apis[0], &apis[3]] {
        let st = status(api).await;
        assert_eq!(st["status"], "Connected", "{who} after: {st}\n{logs}");
        let r = api.sync(&li, None).await;
        assert_eq!(r.status, 200, "{who}: {}", r.text);
        assert_eq!(r.json()["complete"], true, "{who}: {}", r.text);
    }
    assert!(checks::duplicate_clients(&ctl, tenant()).is_empty());
    println!("two processes, expired tokens: {:?}", started.elapsed());
}

/// The interleaving the previous test leaves to chance, forced: the second
/// process's refresh reaches Xero first but its answer travels slowly (a
/// proxy holds it back). Without a renewal lock shared by the processes,
/// the first process then refreshed the same refresh token (Xero's grace
/// rule allows that once while the successor is unused, and revokes the
/// successor), and the second saved that dead refresh token over the live
/// one, losing the connection at the next renewal (found by this test).
/// With the store's renewal lock the first process waits, reads the pair
/// the second saved, and renews nothing: the next renewal works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_renewing_at_once_keep_a_live_refresh_token_when_one_answer_is_slow() {
    let started = Instant::now();
    let s = Served::start(ServedOptions::default()).await;
    let slow = SlowAnswers::start(s.sim.addr()).await;
    let second = s.another_process(Some(slow.url())).await;
    s.connect_a().await;
    let ctl = s.sim.control().clone();
    let apis = apis(&s, &second);
    let (first, second_api) = (apis[0].1.clone(), apis[2].1.clone());
    assert_eq!(status(&second_api).await["status"], "Connected");

    assert!(ctl.expire_all_tokens() > 0);
    let mark = last_journal_id(&ctl);
    slow.set_delay(Duration::from_millis(1200));
    let slow_check = tokio::spawn(async move { status(&second_api).await });
    // Wait until Xero has rotated the refresh token for the second process
    // (its answer is still on the slow path).
    let waited = Instant::now();
    while refreshes_since(&ctl, mark).is_empty() {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "the second process never asked for a refresh:\n{}",
            both_logs(&s, &second)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The first process meets the expired token too, and renews.
    let st = status(&first).await;
    assert_eq!(st["status"], "Connected", "first process: {st}");
    let st = slow_check.await.expect("slow status");
    assert_eq!(st["status"], "Connected", "second process: {st}");
    slow.set_delay(Duration::ZERO);
    let refreshes = refreshes_since(&ctl, mark);
    println!(
        "forced interleaving: {} refreshes ({:?})",
        refreshes.len(),
        refreshes.iter().map(|e| e.status).collect::<Vec<_>>()
    );
    // The first process waited for the second's renewal and used its pair:
    // the refresh token was spent once.
    assert_eq!(
        refreshes.len(),
        1,
        "one renewal across both processes: {refreshes:?}"
    );

    // The next renewal uses whatever refresh token the store now holds.
    assert!(ctl.expire_all_tokens() > 0);
    for (who, api) in [&apis[0], &apis[2]] {
        let st = status(api).await;
        assert_eq!(
            st["status"],
            "Connected",
            "{who}: the connection was lost after two processes renewed at once: {st}\n{}",
            both_logs(&s, &second)
        );
    }
    let maria = demo_id(3, 12).to_string();
    ctl.add_fault(latency("/practicemanager/3.1/client.api/*", 250));
    let answers = sync_at_once(&apis, &maria, 4).await;
    ctl.clear_faults();
    assert_created_once(
        &ctl,
        &answers,
        "Maria Garcia",
        mark,
        &both_logs(&s, &second),
    );
    println!("forced interleaving: {:?}", started.elapsed());
}
