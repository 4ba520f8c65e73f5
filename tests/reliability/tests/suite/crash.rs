//! The crash test: the real `pmhub-xpm serve` on Postgres, killed with
//! SIGKILL while manual syncs run, at random moments and at the two narrow
//! ones: right after XPM committed a write (before the app can record it)
//! and right after Xero rotated the refresh token (before the app can store
//! the new one). Sim latency faults widen the windows. After each restart
//! the connection and the activity log are intact; after the last, every
//! client syncs completely, with no duplicate in XPM and every XPM write in
//! the activity log.
//!
//! `CRASH_ROUNDS` (default 3) sets the rounds, `CRASH_SEED` the schedule.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reliability_tests::checks;
use reliability_tests::fixtures::demo_id;
use reliability_tests::served::{Served, ServedOptions};
use xpm_sim::seed::demo as sim_demo;
use xpm_sim::{FaultAction, FaultSpec, JournalFilter, SimHandle};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Clone, Copy)]
enum Moment {
    /// Any time after the syncs started.
    Random,
    /// As soon as XPM has committed a client or relationship write.
    AfterXpmWrite,
    /// As soon as Xero has answered a token refresh.
    AfterRefresh,
}

fn latency(path: &str, method: Option<&str>, ms: u64) -> FaultSpec {
    FaultSpec {
        method: method.map(str::to_owned),
        path: Some(path.to_owned()),
        tenant: None,
        action: FaultAction::Latency { ms },
        times: None,
    }
}

/// Polls the sim's journal (in this process) for a call matching `filter`
/// newer than `after`: the only way to see another process's progress.
async fn wait_for_call(
    sim: &SimHandle,
    filter: &JournalFilter,
    after: u64,
    limit: Duration,
) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if sim
            .journal(filter)
            .iter()
            .any(|e| e.id > after && e.status == Some(200))
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    false
}

fn last_journal_id(sim: &SimHandle) -> u64 {
    sim.journal_all().last().map_or(0, |e| e.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_any_moment_loses_nothing_and_duplicates_nothing() {
    let rounds = env_u64("CRASH_ROUNDS", 3);
    let seed = env_u64("CRASH_SEED", rand::random::<u64>() % 1_000_000);
    println!("crash test: {rounds} rounds, CRASH_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let mut s = Served::start(ServedOptions::default()).await;
    println!("crash test: app started in {:?}", started.elapsed());
    s.connect_a().await;
    let tenant: uuid::Uuid = sim_demo::TENANT_ID.parse().expect("uuid");
    let ctl = s.sim.control().clone();
    let base = checks::baseline(&ctl, tenant);
    // Jane Citizen (a look-alike in XPM), John Citizen, the Smith Family
    // Trust (trustee Jane, beneficiary John), Brown & Green (a partner).
    let clients: Vec<String> = [2u128, 3, 4, 5, 6]
        .iter()
        .map(|n| demo_id(3, *n).to_string())
        .collect();
    let admin = s.api(&s.fx.a_admin_token);
    let mut known_entries: BTreeSet<String> = BTreeSet::new();
    let mut moments = [0usize; 3];
    let mut hits = 0usize;
    let mut restarts = Vec::new();

    for round in 0..rounds {
        let moment = match rng.random_range(0..3) {
            0 => Moment::Random,
            1 => Moment::AfterXpmWrite,
            _ => Moment::AfterRefresh,
        };
        moments[moment as usize] += 1;
        ctl.clear_faults();
        // Latency widens the windows (real time; the sim clock stays frozen).
        let ms = rng.random_range(50..400);
        ctl.add_fault(latency("/practicemanager/3.1/client.api/*", None, ms));
        ctl.add_fault(latency("/connect/token", None, rng.random_range(50..300)));
        if matches!(moment, Moment::AfterRefresh) || rng.random_bool(0.3) {
            ctl.expire_all_tokens();
        }
        let mark = last_journal_id(&ctl);
        let picked: Vec<String> = (0..rng.random_range(1..=3))
            .map(|_| clients[rng.random_range(0..clients.len())].clone())
            .collect();
        let mut tasks = Vec::new();
        for client in picked {
            let api = admin.clone();
            let decide = rng.random_bool(0.5);
            tasks.push(tokio::spawn(async move {
                // The answer is lost with the process; only XPM and the store count.
                let path = format!("/api/clients/{client}/sync");
                let Some(r) = api.try_send(reqwest::Method::POST, &path, None).await else {
                    return;
                };
                if decide && r.json()["plan"]["needsDecision"] == true {
                    let uuid = r.json()["plan"]["lookAlikes"][0]["xpmClientUuid"].clone();
                    let body = serde_json::json!({"decision": {"linkTo": uuid}});
                    let _ = api
                        .try_send(reqwest::Method::POST, &path, Some(&body))
                        .await;
                }
            }));
        }
        let hit = match moment {
            Moment::Random => {
                // The random moment itself: a wait is the point here.
                tokio::time::sleep(Duration::from_millis(rng.random_range(0..1500))).await;
                true
            }
            Moment::AfterXpmWrite => {
                let writes = JournalFilter {
                    method: Some("POST".into()),
                    path: Some("/client.api/add".into()),
                    ..Default::default()
                };
                let any_write = JournalFilter {
                    path: Some("/client.api/".into()),
                    request_contains: Some("<".into()),
                    ..Default::default()
                };
                wait_for_call(&ctl, &writes, mark, Duration::from_secs(3)).await
                    || wait_for_call(&ctl, &any_write, mark, Duration::from_secs(2)).await
            }
            Moment::AfterRefresh => {
                let refresh = JournalFilter {
                    path: Some("/connect/token".into()),
                    request_contains: Some("refresh_token".into()),
                    ..Default::default()
                };
                wait_for_call(&ctl, &refresh, mark, Duration::from_secs(3)).await
            }
        };
        hits += usize::from(hit);
        let killed = Instant::now();
        s.kill_and_restart().await;
        restarts.push(killed.elapsed());
        for t in tasks {
            let _ = t.await;
        }
        ctl.clear_faults();

        // Nothing lost: the connection, and every entry seen before.
        let status = admin.get("/api/integration").await.json();
        assert_eq!(
            status["status"],
            "Connected",
            "round {round} ({moment:?}, seed {seed}): connection lost: {status}\nlog:\n{}",
            s.log()
        );
        let entries = checks::activity(&admin).await;
        let ids: BTreeSet<String> = entries
            .iter()
            .filter_map(|e| e["id"].as_str().map(str::to_owned))
            .collect();
        let lost: Vec<_> = known_entries.difference(&ids).collect();
        assert!(
            lost.is_empty(),
            "round {round}: activity entries lost: {lost:?}"
        );
        known_entries = ids;
        let dups = checks::duplicate_clients(&ctl, tenant);
        assert!(
            dups.is_empty(),
            "round {round} ({moment:?}, seed {seed}): duplicate XPM clients {dups:?}"
        );
    }

    // The final manual syncs: everything completes, then nothing is left to write.
    // Twice: a relationship waits until its related client is in XPM.
    for _ in 0..2 {
        for client in &clients {
            checks::sync_to_completion(&admin, client).await;
        }
    }
    for client in &clients {
        let r = admin.sync(client, None).await;
        let outcome = r.json();
        assert_eq!(outcome["complete"], true, "{client}: {}", r.text);
        assert_eq!(
            outcome["plan"]["writes"], 0,
            "{client} still had writes after a complete sync: {}",
            r.text
        );
    }
    let dups = checks::duplicate_clients(&ctl, tenant);
    assert!(
        dups.is_empty(),
        "seed {seed}: duplicate XPM clients {dups:?}"
    );
    let dup_rel = checks::duplicate_relationships(&ctl, tenant, &base);
    assert!(
        dup_rel.is_empty(),
        "seed {seed}: duplicate XPM relationships {dup_rel:?}"
    );
    let (made_clients, made_relationships) = checks::pushed(&ctl, tenant, &base);
    let named = checks::ids_in_activity(&checks::activity(&admin).await);
    for id in made_clients.iter().chain(&made_relationships) {
        assert!(
            named.contains(&id.to_string()),
            "seed {seed}: XPM holds {id}, which no activity entry records"
        );
    }
    // Every PM Hub client of the test is in XPM exactly once, by name.
    let by_name = checks::clients_by_name(&ctl, tenant);
    for name in [
        "Jane Citizen",
        "John Citizen",
        "Smith Family Trust",
        "Brown & Green Partnership",
        "Li Wei",
    ] {
        assert_eq!(
            by_name.get(name).map(Vec::len),
            Some(1),
            "{name}: {by_name:?}"
        );
    }
    println!(
        "crash test: {rounds} rounds (random {}, after an XPM write {}, after a refresh {}; {hits} windows hit), \
         {} XPM clients and {} relationships made, {} activity entries, seed {seed}; \
         kill-to-ready max {:?}; total {:?}",
        moments[0],
        moments[1],
        moments[2],
        made_clients.len(),
        made_relationships.len(),
        known_entries.len(),
        restarts.iter().max(),
        started.elapsed()
    );
}
