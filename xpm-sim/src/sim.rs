//! Starting the sim: the state from the seed or file, the accept loop, the
//! running sim's URLs.
//!
//! The accept loop is hand-written (hyper + hyper-util) rather than
//! `axum::serve` so that a fault rule can close a connection without any
//! answer: each connection gets a kill switch that the pipeline pulls.

use crate::config::SimConfig;
use crate::control::SimHandle;
use crate::shared::{ConnKill, Shared};
use anyhow::Context;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tower::ServiceExt;

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
        shared.set_base_url(format!("http://{host}"));
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
