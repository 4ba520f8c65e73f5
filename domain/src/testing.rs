//! Test doubles for the ports every test suite needs (feature `testing`):
//! the domain's own tests and the workspace's tests share them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

use crate::ports::IdGenerator;

/// Ids `prefix:1`, `prefix:2`...: deterministic, and distinct between
/// generators with different prefixes (several practices share one
/// database in the workspace tests). Clones share the count.
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

/// Prefix 1: clear of the small fixed ids tests write by hand.
impl Default for CountingIds {
    fn default() -> Self {
        Self::new(1)
    }
}

impl IdGenerator for CountingIds {
    fn next_uuid(&self) -> Uuid {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Uuid::from_u128((u128::from(self.prefix) << 64) | u128::from(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_ids_count_within_their_prefix_and_clones_share_the_count() {
        let a = CountingIds::new(7);
        let b = a.clone();
        assert_eq!(a.next_uuid(), Uuid::from_u128((7 << 64) | 1));
        assert_eq!(b.next_uuid(), Uuid::from_u128((7 << 64) | 2));
        assert_ne!(
            CountingIds::new(8).next_uuid(),
            CountingIds::new(7).next_uuid()
        );
    }
}
