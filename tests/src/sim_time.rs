//! The app's clock and ids in tests: the sim's frozen clock (so token
//! lifetimes and Connected Since agree with XPM's), and ids that count.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use domain::ports::{Clock, IdGenerator};
use time::OffsetDateTime;
use uuid::Uuid;
use xpm_sim::SimHandle;

/// The sim's clock.
#[derive(Debug, Clone)]
pub struct SimClock(pub SimHandle);

impl Clock for SimClock {
    fn now(&self) -> OffsetDateTime {
        self.0.now()
    }
}

/// Ids `prefix:0001`, `prefix:0002`...: deterministic, and distinct between
/// rigs with different prefixes (several practices share one Postgres database).
#[derive(Debug, Clone)]
pub struct CountingIds {
    prefix: u64,
    next: Arc<AtomicU64>,
}

impl CountingIds {
    pub fn new(prefix: u64) -> Self {
        Self {
            prefix,
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl IdGenerator for CountingIds {
    fn next_uuid(&self) -> Uuid {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Uuid::from_u128((u128::from(self.prefix) << 64) | u128::from(n))
    }
}
