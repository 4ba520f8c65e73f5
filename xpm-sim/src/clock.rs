//! The sim's controllable clock. Every expiry, rate-limit window and journal
//! time reads it, so tests advance time instead of sleeping.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

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

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut c = self.lock();
        c.base += by;
    }

    /// Jumps to a given time.
    pub fn set(&self, to: OffsetDateTime) {
        let mut c = self.lock();
        c.base = to;
        c.anchor = OffsetDateTime::now_utc();
    }
}
