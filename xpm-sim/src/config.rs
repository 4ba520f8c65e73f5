//! How to run a sim: the settings fixed at start.

use crate::clock::ClockMode;
use crate::limits::LimitsConfig;
use crate::seed::Seed;
use std::net::SocketAddr;
use std::path::PathBuf;
use time::OffsetDateTime;
use time::macros::datetime;

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
