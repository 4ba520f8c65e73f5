//! Load: concurrent syncs of one client never duplicate it in XPM; the real
//! binary under sustained load keeps its memory flat (RSS sampled every
//! second and printed). `LOAD_SECONDS` (default 8) sets the sustained run.

use std::time::{Duration, Instant};

use reliability_tests::binary::rss_kib;
use reliability_tests::checks;
use reliability_tests::fixtures::demo_id;
use reliability_tests::served::{Served, ServedOptions};
use reliability_tests::world::World;
use xpm_sim::seed::demo as sim_demo;
use xpm_sim::{FaultAction, FaultSpec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_syncs_of_the_same_client_never_duplicate() {
    let w = World::postgres().await;
    w.connect_a().await;
    let tenant: uuid::Uuid = sim_demo::TENANT_ID.parse().expect("uuid");
    let ctl = w.sim.control().clone();
    // Slow XPM calls make the requests overlap.
    ctl.add_fault(FaultSpec {
        method: None,
        path: Some("/practicemanager/3.1/client.api/*".into()),
        tenant: None,
        action: FaultAction::Latency { ms: 60 },
        times: None,
    });
    let admin = w.api(&w.fx.a_admin_token);
    let staff = w.api(&w.fx.a_staff_token);
    let john = demo_id(3, 3).to_string();
    let mut tasks = Vec::new();
    for n in 0..8 {
        let api = if n % 2 == 0 {
            admin.clone()
        } else {
            staff.clone()
        };
        let john = john.clone();
        tasks.push(tokio::spawn(async move { api.sync(&john, None).await }));
    }
    let mut waited = 0;
    let mut created = 0;
    for t in tasks {
        let r = t.await.expect("task");
        assert_eq!(r.status, 200, "{}", r.text);
        let body = r.json();
        assert_eq!(body["complete"], true, "{}", r.text);
        waited += usize::from(body["waitedForAnotherSync"] == true);
        created += body["operations"].as_array().map_or(0, |ops| {
            ops.iter().filter(|o| o["kind"] == "client_created").count()
        });
    }
    assert_eq!(created, 1, "exactly one request created the client");
    assert!(waited >= 1, "the others waited for it");
    let by_name = checks::clients_by_name(&ctl, tenant);
    assert_eq!(
        by_name.get("John Citizen").map(Vec::len),
        Some(1),
        "{by_name:?}"
    );
    let adds = ctl.journal(&xpm_sim::JournalFilter {
        path: Some("/client.api/add".into()),
        ..Default::default()
    });
    assert_eq!(adds.len(), 1, "one add reached XPM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_keeps_its_memory_flat_under_sustained_load() {
    let seconds: u64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let s = Served::start(ServedOptions::default()).await;
    s.connect_a().await;
    let admin = s.api(&s.fx.a_admin_token);
    let john = demo_id(3, 3).to_string();
    checks::sync_to_completion(&admin, &john).await;
    let pid = s.app.pid().expect("pid");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for n in 0..4u32 {
        let api = admin.clone();
        let john = john.clone();
        workers.push(tokio::spawn(async move {
            let mut requests = 0u64;
            while Instant::now() < deadline {
                let r = match n {
                    0 => api.get("/api/clients").await,
                    1 => api.get("/api/activity?limit=50").await,
                    2 => api.get(&format!("/api/clients/{john}")).await,
                    _ => api.sync(&john, None).await,
                };
                assert!(r.status < 500, "{} {}", r.status, r.text);
                requests += 1;
            }
            requests
        }));
    }
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        samples.push(rss_kib(pid).expect("RSS"));
        // Sampling once a second is the measurement itself.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut total = 0;
    for w in workers {
        total += w.await.expect("worker");
    }
    samples.push(rss_kib(pid).expect("RSS"));
    println!(
        "sustained load: {total} requests in {seconds} s ({:.0}/s); RSS KiB per second: {samples:?}",
        total as f64 / seconds as f64
    );
    // Flat: after the first second's warm-up, no sample exceeds the early
    // level by more than half again (plus 8 MiB of allocator slack).
    let early = samples[1.min(samples.len() - 1)];
    let peak = samples.iter().skip(1).max().copied().unwrap_or(early);
    assert!(
        peak <= early + early / 2 + 8 * 1024,
        "RSS grew from {early} KiB to {peak} KiB: {samples:?}"
    );
}
