//! The sim's controllable clock. Every expiry, rate-limit window and journal
//! time reads it, so tests advance time instead of sleeping.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// Earliest and latest year the clock may show.
pub const MIN_YEAR: i32 = 1970;
pub const MAX_YEAR: i32 = 9000;

/// The clock was asked to leave its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sim clock must stay between the years {MIN_YEAR} and {MAX_YEAR}")]
pub struct ClockError;

fn in_range(t: OffsetDateTime) -> Result<(), ClockError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&t.year()) {
        Ok(())
    } else {
        Err(ClockError)
    }
}

/// How the clock moves on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    /// Time stands still until advanced: deterministic, the default for tests.
    #[default]
    Frozen,
    /// Time follows the wall clock (plus any advance): the default for the binary.
    Real,
}

#[derive(Debug)]
struct ClockInner {
    mode: ClockMode,
    base: OffsetDateTime,
    anchor: OffsetDateTime,
}

/// The sim clock; cheap to read, safe to share.
#[derive(Debug)]
pub struct SimClock {
    inner: Mutex<ClockInner>,
}

impl SimClock {
    pub fn new(mode: ClockMode, start: OffsetDateTime) -> Self {
        Self {
            inner: Mutex::new(ClockInner {
                mode,
                base: start,
                anchor: OffsetDateTime::now_utc(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current sim time, truncated to whole milliseconds.
    pub fn now(&self) -> OffsetDateTime {
        let c = self.lock();
        let t = match c.mode {
            ClockMode::Frozen => c.base,
            ClockMode::Real => c.base + (OffsetDateTime::now_utc() - c.anchor),
        };
        let ms = t.millisecond();
        t.replace_millisecond(ms).unwrap_or(t)
    }

    pub fn mode(&self) -> ClockMode {
        self.lock().mode
    }

    /// Moves the clock forward (or back, with a negative duration). Refuses
    /// to leave [`MIN_YEAR`]..=[`MAX_YEAR`], so expiry arithmetic cannot overflow.
    pub fn advance(&self, by: Duration) -> Result<(), ClockError> {
        let mut c = self.lock();
        let to = c.base.checked_add(by).ok_or(ClockError)?;
        in_range(to)?;
        c.base = to;
        Ok(())
    }

    /// Jumps to a given time (within [`MIN_YEAR`]..=[`MAX_YEAR`]).
    pub fn set(&self, to: OffsetDateTime) -> Result<(), ClockError> {
        in_range(to)?;
        let mut c = self.lock();
        c.base = to;
        c.anchor = OffsetDateTime::now_utc();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_stands_still_and_real_moves() {
        let start = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let frozen = SimClock::new(ClockMode::Frozen, start);
        assert_eq!(frozen.now(), start);
        assert!(frozen.advance(Duration::minutes(5)).is_ok());
        assert_eq!(frozen.now(), start + Duration::minutes(5));
        assert!(
            frozen
                .set(OffsetDateTime::UNIX_EPOCH - Duration::days(1))
                .is_err()
        );
        let real = SimClock::new(ClockMode::Real, start);
        assert!(real.now() >= start);
        assert!(real.now() < start + Duration::minutes(1));
        assert_eq!(real.mode(), ClockMode::Real);
    }
}
