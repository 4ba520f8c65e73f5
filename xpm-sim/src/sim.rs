//! Starting the sim: configuration, shared state, the accept loop.
//!
//! The accept loop is hand-written (hyper + hyper-util) rather than
//! `axum::serve` so that a fault rule can close a connection without any
//! answer: each connection gets a kill switch that the pipeline pulls.

use crate::clock::{ClockMode, SimClock};
use crate::handle::SimHandle;
use crate::limits::LimitsConfig;
use crate::seed::Seed;
use crate::state::SimState;
use anyhow::Context;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use time::OffsetDateTime;
use time::macros::datetime;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tower::ServiceExt;

/// How to run a sim.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Organisations, users, apps and clients to start with (and to reset to).
    pub seed: Seed,
    /// Fixes every generated UUID and token.
    pub rng_seed: u64,
    pub clock_mode: ClockMode,
    pub start_time: OffsetDateTime,
    pub limits: LimitsConfig,
    /// Largest request body accepted (413 above it).
    pub body_limit: usize,
    /// HTTP status of XPM ERROR answers (validation, not found). Uncertain in
    /// the reference: WorkflowMax answered 200.
    pub error_status: u16,
    /// Journal entries kept.
    pub journal_capacity: usize,
    /// Load state from and save it to this file.
    pub state_file: Option<PathBuf>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: Seed::demo(),
            rng_seed: 42,
            clock_mode: ClockMode::Frozen,
            start_time: datetime!(2026-01-05 09:00:00 UTC),
            limits: LimitsConfig::default(),
            body_limit: 3_500_000,
            error_status: 200,
            journal_capacity: 5_000,
            state_file: None,
        }
    }
}

/// What every handler shares.
#[derive(Debug)]
pub struct Shared {
    state: Mutex<SimState>,
    pub clock: SimClock,
    pub config: SimConfig,
    base_url: OnceLock<String>,
}

impl Shared {
    pub fn new(config: SimConfig, state: SimState) -> Self {
        Self {
            state: Mutex::new(state),
            clock: SimClock::new(config.clock_mode, config.start_time),
            config,
            base_url: OnceLock::new(),
        }
    }

    /// Locks the state. A panic elsewhere cannot wedge the sim: the lock is
    /// taken over even if poisoned (handlers never leave it half-changed).
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn base_url(&self) -> String {
        self.base_url
            .get()
            .cloned()
            .unwrap_or_else(|| "http://127.0.0.1".into())
    }
}

/// The kill switch of the connection a request came on.
#[derive(Debug, Clone)]
pub struct ConnKill(pub Arc<Notify>);

/// Entry point.
#[derive(Debug)]
pub struct Sim;

impl Sim {
    /// Builds the state from the seed (or the state file) and starts serving.
    pub async fn start(config: SimConfig) -> anyhow::Result<RunningSim> {
        let state = crate::persist::initial_state(&config)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, state));
        let host = if addr.ip().is_unspecified() {
            format!("127.0.0.1:{}", addr.port())
        } else {
            addr.to_string()
        };
        let _ = shared.base_url.set(format!("http://{host}"));
        let router = crate::routes::router(shared.clone());
        let (tx, rx) = oneshot::channel();
        let saver = crate::persist::spawn_saver(shared.clone());
        let task = tokio::spawn(accept_loop(listener, router, rx, shared.clone(), saver));
        Ok(RunningSim {
            handle: SimHandle::new(shared),
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: axum::Router,
    mut shutdown: oneshot::Receiver<()>,
    shared: Arc<Shared>,
    saver: Option<JoinHandle<()>>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                tokio::spawn(serve_connection(stream, router.clone()));
            }
            _ = &mut shutdown => break,
        }
    }
    if let Some(s) = saver {
        s.abort();
    }
    crate::persist::save_now(&shared);
}

async fn serve_connection(stream: tokio::net::TcpStream, router: axum::Router) {
    let kill = Arc::new(Notify::new());
    let k = kill.clone();
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnKill(k.clone()));
        router.clone().oneshot(req.map(axum::body::Body::new))
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        _ = conn => {}
        // Dropping the connection closes the socket without an answer.
        _ = kill.notified() => {}
    }
}

/// A sim serving on a port. Stops when dropped.
#[derive(Debug)]
pub struct RunningSim {
    handle: SimHandle,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningSim {
    /// `http://127.0.0.1:PORT`: serves every area below.
    pub fn base_url(&self) -> String {
        self.handle.base_url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stands in for `https://api.xero.com` (serves `/connections`).
    pub fn api_base_url(&self) -> String {
        self.base_url()
    }

    /// Stands in for `https://api.xero.com/practicemanager/3.1`.
    pub fn xpm_base_url(&self) -> String {
        format!("{}/practicemanager/3.1", self.base_url())
    }

    /// Stands in for `https://login.xero.com/identity/connect/authorize`.
    pub fn authorize_url(&self) -> String {
        format!("{}/identity/connect/authorize", self.base_url())
    }

    /// Stands in for `https://identity.xero.com/connect/token`.
    pub fn token_url(&self) -> String {
        format!("{}/connect/token", self.base_url())
    }

    /// Stands in for `https://identity.xero.com/connect/revocation`.
    pub fn revocation_url(&self) -> String {
        format!("{}/connect/revocation", self.base_url())
    }

    /// Stands in for `https://api.xero.com/connections`.
    pub fn connections_url(&self) -> String {
        format!("{}/connections", self.base_url())
    }

    /// The control API root (`/_sim`).
    pub fn control_url(&self) -> String {
        format!("{}/_sim", self.base_url())
    }

    /// The typed control handle tests use.
    pub fn control(&self) -> &SimHandle {
        &self.handle
    }

    /// Stops accepting connections and saves state (if a state file is set).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
