//! The machine's clock and randomness: the production implementations of
//! the domain's [`Clock`] and [`IdGenerator`] ports. They live apart from
//! the domain, which never reads the clock or the system's random source
//! itself (so its tests control both), and apart from the XPM and SQL
//! adapters, which are about other outside worlds.

use domain::ports::{Clock, IdGenerator};
use uuid::Uuid;

/// The system clock, in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

/// Fresh ids: random v4 UUIDs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn next_uuid(&self) -> Uuid {
        Uuid::new_v4()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_do_not_repeat() {
        let ids = RandomIds;
        let a = ids.next_uuid();
        let b = ids.next_uuid();
        assert_ne!(a, b);
        assert_eq!(a.get_version_num(), 4);
    }

    #[test]
    fn the_system_clock_reads_utc_now() {
        let before = time::OffsetDateTime::now_utc();
        let now = SystemClock.now();
        assert!(now >= before);
        assert_eq!(now.offset(), time::UtcOffset::UTC);
    }
}
