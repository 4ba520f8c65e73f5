//! Serving a router on a port until stopped: what the recorder and the
//! replayer share. (The sim has its own accept loop for its fault rules.)

use anyhow::Context;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A router being served. Stops when dropped.
#[derive(Debug)]
pub struct Served {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Served {
    pub async fn start(listen: SocketAddr, router: axum::Router) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (an unspecified listen address answers on loopback).
    pub fn base_url(&self) -> String {
        if self.addr.ip().is_unspecified() {
            format!("http://127.0.0.1:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// Stops accepting and waits for the calls in flight to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
