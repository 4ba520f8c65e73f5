//! The typed control handle: drives a sim in this process, through the same
//! operations as the `/_sim` routes (`ops.rs`; the methods are generated in
//! `surface.rs`). A few conveniences below have no route of their own.

use super::op::{ControlError, ControlOp};
use super::ops::{self, Reset};
use crate::ids::TenantId;
use crate::journal::{JournalEntry, JournalFilter};
use crate::practice::clients;
use crate::seed::{Seed, SeedReport};
use crate::shared::Shared;
use crate::state::Client;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Cheap to clone; all clones drive the same sim.
#[derive(Debug, Clone)]
pub struct SimHandle {
    sh: Arc<Shared>,
}

impl SimHandle {
    pub(crate) fn new(sh: Arc<Shared>) -> Self {
        Self { sh }
    }

    /// Runs one operation on the sim.
    pub(crate) fn run<O: ControlOp>(
        &self,
        params: O::Params,
        body: O::Body,
    ) -> Result<O::Answer, O::Refusal> {
        O::run(&self.sh, params, body)
    }

    pub fn base_url(&self) -> String {
        self.sh.base_url()
    }

    /// Back to the configured seed, an empty journal, no faults, the start time.
    pub fn reset(&self) {
        // The configured seed was applied once at start, so it applies again.
        let _ = self.run::<Reset>(Default::default(), None);
    }

    /// Back to a given seed (same as `reset`, with another seed).
    pub fn reset_to(&self, seed: Seed) -> Result<SeedReport, ControlError> {
        ops::reset_to(&self.sh, &seed)
    }

    /// Live clients of an organisation, in XPM's list order.
    pub fn clients(&self, tenant: TenantId) -> Result<Vec<Client>, ControlError> {
        let st = self.sh.lock();
        let org = st
            .orgs
            .get(tenant.as_uuid())
            .ok_or_else(|| ControlError::NotFound(format!("organisation {tenant}")))?;
        Ok(clients::listed(org).into_iter().cloned().collect())
    }

    /// Every journal entry.
    pub fn journal_all(&self) -> Vec<JournalEntry> {
        self.journal(&JournalFilter::default())
    }

    pub fn now(&self) -> OffsetDateTime {
        self.sh.clock.now()
    }

    /// Moves the sim clock; a move out of 1970..=9000 is ignored (see
    /// [`SimHandle::try_advance_clock`]).
    pub fn advance_clock(&self, by: Duration) {
        let _ = self.try_advance_clock(by);
    }

    /// Sets the sim clock; a time out of 1970..=9000 is ignored (see
    /// [`SimHandle::try_set_clock`]).
    pub fn set_clock(&self, to: OffsetDateTime) {
        let _ = self.try_set_clock(to);
    }
}
