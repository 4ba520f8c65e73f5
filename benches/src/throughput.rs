//! Scenario 3: many practices syncing clients concurrently through the
//! HTTP API, on PostgreSQL and on SQLite: syncs/s, latency, peak RSS, time
//! to ready.
//!
//! Setup runs in this process: a sim (real clock, limits off, no latency)
//! with one organisation per practice, the store with the practices, their
//! admins and API tokens, and a setup app (adapter pacing raised) that
//! connects every practice through the sim's pages, creates the clients and
//! first-syncs them. Then the app under test is started: by default the real
//! binary, `pmhub-xpm serve`, as its own process configured by `PMHUB_XPM_*`
//! variables against the same store and sim (its RSS is its own); in tiny
//! mode (the CI test) it runs in this process instead.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::StreamExt;
use pmhub_xpm::state::AppStore;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sql_store::TokenKey;
use xpm_adapter::Resilience;

use crate::harness::{self, Api, Backend, InProcessApp, PracticeLogin, StoreSpec};
use crate::report::{Section, quantile};

#[derive(Debug, Clone)]
pub enum AppMode {
    /// The `pmhub-xpm` binary at this path, as a separate process.
    Process(PathBuf),
    /// In this process (RSS is then the whole bench process).
    InProcess,
}

#[derive(Debug, Clone)]
pub struct ThroughputOptions {
    pub backends: Vec<Backend>,
    pub practices: usize,
    pub clients_per_practice: usize,
    /// Concurrent HTTP clients pressing Sync.
    pub workers: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub app: AppMode,
}

impl ThroughputOptions {
    pub fn full(binary: PathBuf) -> Self {
        Self {
            // PMHUB_BENCH_STORES=postgres (or sqlite) runs one store only.
            backends: match std::env::var("PMHUB_BENCH_STORES").as_deref() {
                Ok("postgres") => vec![Backend::Postgres],
                Ok("sqlite") => vec![Backend::Sqlite],
                _ => vec![Backend::Postgres, Backend::Sqlite],
            },
            practices: 20,
            clients_per_practice: 25,
            // Below the PostgreSQL store's pool of 16: at 16 concurrent syncs
            // or more its pool starves (see docs/performance.md).
            workers: 8,
            warmup: Duration::from_secs(2),
            duration: Duration::from_secs(10),
            app: AppMode::Process(binary),
        }
    }

    pub fn tiny() -> Self {
        Self {
            backends: vec![Backend::Postgres, Backend::Sqlite],
            practices: 1,
            clients_per_practice: 1,
            workers: 1,
            warmup: Duration::from_millis(50),
            duration: Duration::from_millis(300),
            app: AppMode::InProcess,
        }
    }
}

/// One backend's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Figures {
    pub backend: &'static str,
    pub app: String,
    pub practices: usize,
    pub clients: usize,
    pub workers: usize,
    pub syncs: usize,
    pub errors: usize,
    pub syncs_with_writes: usize,
    pub seconds: f64,
    pub syncs_per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub peak_rss_mb: f64,
    pub rss_after_mb: f64,
    pub ready_ms: f64,
    pub xpm_calls_during_load: usize,
    pub sample_outcome: Value,
}

pub async fn run(opts: &ThroughputOptions) -> anyhow::Result<Section> {
    let mut section = Section::new(
        "3. App throughput and latency (unchanged re-syncs over the HTTP API)",
        &[
            "store",
            "app",
            "practices x clients",
            "workers",
            "syncs",
            "errors",
            "syncs/s",
            "p50",
            "p99",
            "max",
            "peak RSS",
            "start to ready",
        ],
    );
    let mut all = Vec::new();
    for &backend in &opts.backends {
        let f = one_backend(backend, opts).await?;
        section.row(vec![
            f.backend.to_owned(),
            f.app.clone(),
            format!("{} x {}", f.practices, f.clients / f.practices.max(1)),
            f.workers.to_string(),
            f.syncs.to_string(),
            f.errors.to_string(),
            format!("{:.0}", f.syncs_per_second),
            format!("{:.2} ms", f.p50_ms),
            format!("{:.2} ms", f.p99_ms),
            format!("{:.1} ms", f.max_ms),
            format!("{:.1} MB", f.peak_rss_mb),
            format!("{:.0} ms", f.ready_ms),
        ]);
        all.push(f);
    }
    if let Some(f) = all.first() {
        section.note(format!(
            "Each request is `POST /api/clients/{{id}}/sync` with body `{{}}` for a client \
             already synced and unchanged since (so it writes nothing to XPM and reads nothing \
             from it: {} XPM calls were journalled during the measured load). What one such sync \
             answered: `{}`. Workers keep one HTTP/1.1 keep-alive connection each and press Sync \
             back to back, each on its own practice's clients in turn; latency is measured at the \
             client, from request to full answer. Warm-up {} ms, then {} s measured. Peak RSS is \
             VmHWM of the app's process; start to ready is from spawning the process to the \
             first 200 from /readyz (polled every 2 ms; migrations already applied, \
             PMHUB_XPM_MIGRATE_ON_START=true only checks them). The load generator and the sim \
             run in the bench process on the same 2 cores.",
            f.xpm_calls_during_load,
            f.sample_outcome,
            opts.warmup.as_millis(),
            opts.duration.as_secs_f64()
        ));
    }
    section.data = json!(all);
    Ok(section)
}

/// The practices and their clients, ready to be re-synced.
struct Prepared {
    logins: Vec<PracticeLogin>,
    clients: Vec<Vec<String>>,
}

async fn prepare<S: AppStore>(
    store: S,
    key: &TokenKey,
    sim: &xpm_sim::RunningSim,
    setup_listener: tokio::net::TcpListener,
    opts: &ThroughputOptions,
) -> anyhow::Result<Prepared> {
    let setup_url = format!("http://{}", setup_listener.local_addr()?);
    let logins = harness::add_practices(&store, opts.practices).await?;
    let app = InProcessApp::serve(
        store,
        &harness::xpm_config(sim, &setup_url, harness::fast_resilience()),
        key,
        setup_listener,
    )
    .await?;
    let mut clients = Vec::new();
    for p in &logins {
        harness::connect(&app.url, &sim.base_url(), p).await?;
        let api = Api::new(&app.url, &p.token);
        let mut ids = Vec::new();
        for c in 0..opts.clients_per_practice {
            ids.push(
                api.create_client(&harness::company(
                    &format!("Load Co {}-{c}", p.index),
                    &format!("c{c}@p{}.load.test", p.index),
                ))
                .await?,
            );
        }
        let empty = json!({});
        let results: Vec<anyhow::Result<Value>> = futures::stream::iter(ids.iter())
            .map(|id| api.sync(id, &empty))
            .buffer_unordered(8)
            .collect()
            .await;
        for r in results {
            let r = r?;
            if r["complete"] != Value::Bool(true) {
                bail!("a first sync in setup did not complete: {r}");
            }
        }
        clients.push(ids);
    }
    app.stop().await;
    Ok(Prepared { logins, clients })
}

/// The app under test, and how to read its memory.
enum Running {
    Child(std::process::Child),
    Here(InProcessApp),
}

fn status_kb(pid: &str, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

impl Running {
    fn pid(&self) -> String {
        match self {
            Self::Child(c) => c.id().to_string(),
            Self::Here(_) => "self".into(),
        }
    }
}

async fn wait_ready(
    url: &str,
    started: Instant,
    child: Option<&mut std::process::Child>,
) -> anyhow::Result<Duration> {
    let http = reqwest::Client::new();
    let mut child = child;
    loop {
        let ready = match http.get(format!("{url}/readyz")).send().await {
            Ok(r) => r.status().is_success(),
            Err(_) => false,
        };
        if ready {
            return Ok(started.elapsed());
        }
        let exited = match child.as_deref_mut() {
            Some(c) => c.try_wait()?,
            None => None,
        };
        if let Some(status) = exited {
            bail!("pmhub-xpm serve exited before it was ready: {status}");
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the app was not ready within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn one_backend(backend: Backend, opts: &ThroughputOptions) -> anyhow::Result<Figures> {
    let spec = StoreSpec::create(backend).await?;
    let result = one_backend_inner(backend, &spec, opts).await;
    spec.drop_store().await;
    result
}

async fn one_backend_inner(
    backend: Backend,
    spec: &StoreSpec,
    opts: &ThroughputOptions,
) -> anyhow::Result<Figures> {
    let key = TokenKey::generate();
    let setup_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let setup_url = format!("http://{}", setup_listener.local_addr()?);
    let app_addr = harness::free_addr()?;
    let app_url = format!("http://{app_addr}");
    let sim = harness::start_sim(
        harness::seed(opts.practices, &[], &[setup_url, app_url.clone()]),
        harness::no_limits(),
    )
    .await?;
    let prepared = match backend {
        Backend::Sqlite => {
            let store = pmhub_xpm::wiring::open_sqlite(&spec.url, &key, true).await?;
            prepare(store, &key, &sim, setup_listener, opts).await?
        }
        Backend::Postgres => {
            let store = pmhub_xpm::wiring::open_postgres(&spec.url, &key, true).await?;
            prepare(store, &key, &sim, setup_listener, opts).await?
        }
    };

    // The app under test.
    let started = Instant::now();
    let (mut running, ready, app_label) = match &opts.app {
        AppMode::Process(binary) => {
            let log = std::fs::File::create(
                std::path::Path::new("target/bench").join(format!("app-{}.log", backend.name())),
            )
            .or_else(|_| std::fs::File::create("/dev/null"))?;
            let mut child = std::process::Command::new(binary)
                .arg("serve")
                .env("PMHUB_XPM_DATABASE_URL", &spec.url)
                .env("PMHUB_XPM_LISTEN", app_addr.to_string())
                .env("PMHUB_XPM_PUBLIC_URL", &app_url)
                .env("PMHUB_XPM_XERO_BASE_URL", sim.base_url())
                .env("PMHUB_XPM_XERO_CLIENT_ID", harness::CLIENT_ID)
                .env("PMHUB_XPM_XERO_CLIENT_SECRET", harness::CLIENT_SECRET)
                .env("PMHUB_XPM_TOKEN_KEY", key.to_base64().expose_secret())
                .env("PMHUB_XPM_LOG_FORMAT", "json")
                .env("PMHUB_XPM_MIGRATE_ON_START", "true")
                .stdin(std::process::Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", binary.display()))?;
            let ready = wait_ready(&app_url, started, Some(&mut child)).await;
            let ready = match ready {
                Ok(r) => r,
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(e);
                }
            };
            (
                Running::Child(child),
                ready,
                "`pmhub-xpm serve` (own process)".to_owned(),
            )
        }
        AppMode::InProcess => {
            let listener = tokio::net::TcpListener::bind(app_addr).await?;
            let xero = harness::xpm_config(&sim, &app_url, Resilience::default());
            let app = match backend {
                Backend::Sqlite => {
                    let store = pmhub_xpm::wiring::open_sqlite(&spec.url, &key, true).await?;
                    InProcessApp::serve(store, &xero, &key, listener).await?
                }
                Backend::Postgres => {
                    let store = pmhub_xpm::wiring::open_postgres(&spec.url, &key, true).await?;
                    InProcessApp::serve(store, &xero, &key, listener).await?
                }
            };
            let ready = wait_ready(&app_url, started, None).await?;
            (Running::Here(app), ready, "in the bench process".to_owned())
        }
    };

    let result = load(&app_url, &prepared, opts, &sim, &running).await;
    let pid = running.pid();
    let peak = status_kb(&pid, "VmHWM:") / 1024.0;
    let now = status_kb(&pid, "VmRSS:") / 1024.0;
    if let Running::Child(c) = &mut running {
        stop_child(c).await;
    }
    if let Running::Here(app) = running {
        app.stop().await;
    }
    sim.stop().await;
    let mut f = result?;
    f.backend = backend.name();
    f.app = app_label;
    f.ready_ms = ready.as_secs_f64() * 1000.0;
    f.peak_rss_mb = peak;
    f.rss_after_mb = now;
    Ok(f)
}

/// SIGTERM (the app drains and exits; a profiler wrapping it writes its
/// output), then SIGKILL after 20 s.
async fn stop_child(c: &mut std::process::Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &c.id().to_string()])
        .status();
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        if let Ok(Some(_)) = c.try_wait() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = c.kill();
    let _ = c.wait();
}

async fn load(
    app_url: &str,
    prepared: &Prepared,
    opts: &ThroughputOptions,
    sim: &xpm_sim::RunningSim,
    _running: &Running,
) -> anyhow::Result<Figures> {
    // One sample, to say what a sync in the load does.
    let sample_api = Api::new(app_url, &prepared.logins[0].token);
    let sample = sample_api.sync(&prepared.clients[0][0], &json!({})).await?;
    let mark = harness::journal_mark(sim);
    let warm_until = Instant::now() + opts.warmup;
    let end = warm_until + opts.duration;
    let prepared = Arc::new((
        prepared
            .logins
            .iter()
            .map(|l| l.token.clone())
            .collect::<Vec<_>>(),
        prepared.clients.clone(),
    ));
    let mut tasks = Vec::new();
    for w in 0..opts.workers {
        let prepared = Arc::clone(&prepared);
        let url = app_url.to_owned();
        tasks.push(tokio::spawn(async move {
            let (tokens, clients) = &*prepared;
            let p = w % tokens.len();
            let http = reqwest::Client::new();
            let mut latencies = Vec::new();
            let (mut errors, mut with_writes) = (0usize, 0usize);
            let mut i = w / tokens.len();
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let client = &clients[p][i % clients[p].len()];
                i += 1;
                let res = http
                    .post(format!("{url}/api/clients/{client}/sync"))
                    .bearer_auth(&tokens[p])
                    .json(&json!({}))
                    .send()
                    .await;
                let ok = match res {
                    Ok(r) if r.status().is_success() => match r.json::<Value>().await {
                        Ok(v) => {
                            if v["plan"]["writes"].as_u64().unwrap_or(0) > 0 {
                                with_writes += 1;
                            }
                            true
                        }
                        Err(_) => false,
                    },
                    _ => false,
                };
                let done = Instant::now();
                if now >= warm_until {
                    if !ok {
                        errors += 1;
                    } else if done <= end {
                        latencies.push(u64::try_from((done - now).as_micros()).unwrap_or(u64::MAX));
                    }
                }
            }
            (latencies, errors, with_writes)
        }));
    }
    let mut latencies = Vec::new();
    let (mut errors, mut with_writes) = (0, 0);
    for t in tasks {
        let (l, e, w) = t.await?;
        latencies.extend(l);
        errors += e;
        with_writes += w;
    }
    latencies.sort_unstable();
    let xpm_calls = sim
        .control()
        .journal_all()
        .iter()
        .filter(|e| e.id > mark && e.path.contains("/practicemanager/"))
        .count();
    let secs = opts.duration.as_secs_f64();
    let to_ms = |us: u64| us as f64 / 1000.0;
    let clients = prepared.1.iter().map(Vec::len).sum();
    Ok(Figures {
        backend: "",
        app: String::new(),
        practices: prepared.0.len(),
        clients,
        workers: opts.workers,
        syncs: latencies.len(),
        errors,
        syncs_with_writes: with_writes,
        seconds: secs,
        syncs_per_second: latencies.len() as f64 / secs,
        p50_ms: to_ms(quantile(&latencies, 0.50)),
        p90_ms: to_ms(quantile(&latencies, 0.90)),
        p99_ms: to_ms(quantile(&latencies, 0.99)),
        max_ms: to_ms(latencies.last().copied().unwrap_or(0)),
        peak_rss_mb: 0.0,
        rss_after_mb: 0.0,
        ready_ms: 0.0,
        xpm_calls_during_load: xpm_calls,
        sample_outcome: sample,
    })
}
