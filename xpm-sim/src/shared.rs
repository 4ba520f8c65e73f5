//! What every handler shares: the state behind one lock, the clock and the
//! configuration. A leaf: it imports no route, handler or startup module, so
//! those can all depend on it without an import circle.

use crate::clock::SimClock;
use crate::config::SimConfig;
use crate::state::SimState;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio::sync::Notify;

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

    /// Records where the sim listens; the first call wins.
    pub fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
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
