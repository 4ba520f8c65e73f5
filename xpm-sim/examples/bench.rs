//! Requests per second for a get-client / add-client mix against an in-process
//! sim (rate limits off). Not a test: `cargo run --release -p xpm-sim --example bench -- [seconds] [workers]`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use xpm_sim::seed::demo;
use xpm_sim::{ConnectRequest, LimitsConfig, Sim, SimConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let workers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let sim = Sim::start(SimConfig {
        limits: LimitsConfig {
            enabled: false,
            ..LimitsConfig::default()
        },
        ..SimConfig::default()
    })
    .await?;
    let token = sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![],
            scopes: vec![],
        })?
        .access_token;
    let base = format!("{}/client.api", sim.xpm_base_url());
    let gets = Arc::new(AtomicU64::new(0));
    let adds = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (base, token) = (base.clone(), token.clone());
        let (gets, adds, errors) = (gets.clone(), adds.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut i = 0u64;
            while Instant::now() < deadline {
                i += 1;
                // Four gets for each add.
                let add = matches!(i % 5, 0);
                let ok = if add {
                    let body = format!("<Client><Name>Bench {w}-{i}</Name><Email>b{w}.{i}@bench.test</Email></Client>");
                    let r = http
                        .post(format!("{base}/add"))
                        .bearer_auth(&token)
                        .header("xero-tenant-id", demo::TENANT_ID)
                        .body(body)
                        .send()
                        .await;
                    adds.fetch_add(1, Ordering::Relaxed);
                    r.map(|r| r.status().is_success()).unwrap_or(false)
                } else {
                    let r = http
                        .get(format!("{base}/get/{}", demo::ACME_UUID))
                        .bearer_auth(&token)
                        .header("xero-tenant-id", demo::TENANT_ID)
                        .send()
                        .await;
                    gets.fetch_add(1, Ordering::Relaxed);
                    match r {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    }
                };
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let (g, a, e) = (
        gets.load(Ordering::Relaxed),
        adds.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
    );
    let total = g + a;
    println!(
        "{workers} workers, {secs}s: {total} requests ({g} get, {a} add, {e} errors) = {:.0} requests/s",
        total as f64 / secs as f64
    );
    sim.stop().await;
    Ok(())
}
