//! XPM's rate limits, per organisation per app: calls in flight, calls per
//! minute and per day, and an app-wide minute limit.
//!
//! As Xero describes them, the minute and day limits are fixed windows, not
//! rolling ones, and each tenant's windows reset at their own moment. The sim
//! derives that moment from the tenant id: its offset is the UUID read as a
//! 128-bit big-endian number, modulo 86,400, in seconds. A tenant's day
//! windows start `offset` seconds after midnight UTC; its minute windows start
//! `offset % 60` seconds past each minute. The app-wide minute windows start
//! on the minute (offset 0). A window's count starts again at zero when the
//! window ends. Windows use the sim clock, so a test advances time to reach
//! the next window.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

const MINUTE_MS: i128 = 60_000;
const DAY_MS: i128 = 86_400_000;

/// The limits in force; adjustable at run time. Fields left out of a JSON
/// body take their default.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct LimitsConfig {
    pub enabled: bool,
    pub concurrent: u32,
    pub per_minute: u32,
    /// Calls per tenant per day; depends on the practice's Xero tier
    /// (5,000, the default, or 1,000 on the Starter tier).
    pub per_day: u32,
    pub app_per_minute: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            concurrent: 5,
            per_minute: 60,
            per_day: 5000,
            app_per_minute: 10_000,
        }
    }
}

/// Which limit was hit, as named in `X-Rate-Limit-Problem`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Concurrent,
    Minute,
    Day,
    AppMinute,
}

impl Problem {
    /// `minute` and `day` are seen in captured answers; `concurrent` and
    /// `appminute` are our unconfirmed choice.
    pub fn header_value(self) -> &'static str {
        match self {
            Problem::Concurrent => "concurrent",
            Problem::Minute => "minute",
            Problem::Day => "day",
            Problem::AppMinute => "appminute",
        }
    }
}

/// Calls counted in one fixed window.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    /// Which window (how many windows since the epoch plus offset).
    index: i128,
    count: u32,
}

impl Window {
    /// Moves to the window holding `now`, emptying the count when it changed.
    fn roll(&mut self, now_ms: i128, offset_ms: i128, len_ms: i128) {
        let index = (now_ms - offset_ms).div_euclid(len_ms);
        if index != self.index {
            self.index = index;
            self.count = 0;
        }
    }
}

/// Whole seconds (at least 1) until the window holding `now` ends.
fn secs_to_end(now_ms: i128, offset_ms: i128, len_ms: i128) -> i64 {
    let left_ms = len_ms - (now_ms - offset_ms).rem_euclid(len_ms);
    i64::try_from((left_ms + 999) / 1000)
        .unwrap_or(i64::MAX)
        .max(1)
}

/// A tenant's offset in milliseconds: see the module doc.
pub fn tenant_offset_ms(tenant: Uuid) -> i128 {
    let secs = tenant.as_u128() % 86_400;
    i128::try_from(secs).unwrap_or(0) * 1000
}

#[derive(Debug, Clone, Default)]
struct TenantUsage {
    in_flight: u32,
    minute: Window,
    day: Window,
}

/// Counters, not persisted.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    tenants: HashMap<(Uuid, String), TenantUsage>,
    apps: HashMap<String, Window>,
}

/// Calls left in the current windows, for the answer headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    pub minute: u32,
    pub day: u32,
    pub app_minute: u32,
}

/// A call let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    pub counted: bool,
    pub remaining: Remaining,
}

/// A call refused (not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub problem: Problem,
    pub retry_after_secs: i64,
    pub remaining: Remaining,
}

fn unix_ms(t: OffsetDateTime) -> i128 {
    t.unix_timestamp_nanos().div_euclid(1_000_000)
}

impl Usage {
    /// Admits a call or says which limit refuses it.
    pub fn admit(
        &mut self,
        cfg: &LimitsConfig,
        tenant: Uuid,
        app: &str,
        now: OffsetDateTime,
    ) -> Result<Admission, Refusal> {
        if !cfg.enabled {
            return Ok(Admission {
                counted: false,
                remaining: Remaining {
                    minute: cfg.per_minute,
                    day: cfg.per_day,
                    app_minute: cfg.app_per_minute,
                },
            });
        }
        let now_ms = unix_ms(now);
        let offset = tenant_offset_ms(tenant);
        let minute_offset = offset % MINUTE_MS;
        let app_w = self.apps.entry(app.to_string()).or_default();
        app_w.roll(now_ms, 0, MINUTE_MS);
        let t = self.tenants.entry((tenant, app.to_string())).or_default();
        t.minute.roll(now_ms, minute_offset, MINUTE_MS);
        t.day.roll(now_ms, offset, DAY_MS);
        let remaining = |t: &TenantUsage, app_w: &Window| Remaining {
            minute: cfg.per_minute.saturating_sub(t.minute.count),
            day: cfg.per_day.saturating_sub(t.day.count),
            app_minute: cfg.app_per_minute.saturating_sub(app_w.count),
        };
        let refused = if t.in_flight >= cfg.concurrent {
            Some((Problem::Concurrent, 1))
        } else if t.day.count >= cfg.per_day {
            Some((Problem::Day, secs_to_end(now_ms, offset, DAY_MS)))
        } else if t.minute.count >= cfg.per_minute {
            Some((
                Problem::Minute,
                secs_to_end(now_ms, minute_offset, MINUTE_MS),
            ))
        } else if app_w.count >= cfg.app_per_minute {
            Some((Problem::AppMinute, secs_to_end(now_ms, 0, MINUTE_MS)))
        } else {
            None
        };
        if let Some((problem, retry_after_secs)) = refused {
            return Err(Refusal {
                problem,
                retry_after_secs,
                remaining: remaining(t, app_w),
            });
        }
        t.in_flight += 1;
        t.minute.count += 1;
        t.day.count += 1;
        app_w.count += 1;
        Ok(Admission {
            counted: true,
            remaining: remaining(t, app_w),
        })
    }

    /// Ends an admitted call.
    pub fn release(&mut self, tenant: Uuid, app: &str) {
        if let Some(t) = self.tenants.get_mut(&(tenant, app.to_string())) {
            t.in_flight = t.in_flight.saturating_sub(1);
        }
    }

    pub fn clear(&mut self) {
        self.tenants.clear();
        self.apps.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    /// Offset 0: windows on the minute and at midnight UTC.
    const T0: Uuid = Uuid::nil();

    #[test]
    fn minute_window_resets_at_its_end_not_a_minute_after_the_first_call() {
        let cfg = LimitsConfig {
            per_minute: 2,
            ..LimitsConfig::default()
        };
        let mut u = Usage::default();
        let start = OffsetDateTime::UNIX_EPOCH + Duration::seconds(30);
        for _ in 0..2 {
            assert!(u.admit(&cfg, T0, "a", start).is_ok());
            u.release(T0, "a");
        }
        let refused = u.admit(&cfg, T0, "a", start + Duration::seconds(10));
        assert_eq!(
            refused,
            Err(Refusal {
                problem: Problem::Minute,
                retry_after_secs: 20,
                remaining: Remaining {
                    minute: 0,
                    day: 4998,
                    app_minute: 9998
                },
            })
        );
        let next = u.admit(&cfg, T0, "a", start + Duration::seconds(30));
        assert_eq!(next.map(|a| a.remaining.minute), Ok(1));
    }

    #[test]
    fn offset_comes_from_the_tenant_id() {
        let t = Uuid::from_u128(86_400 + 125);
        assert_eq!(tenant_offset_ms(t), 125_000);
        assert_eq!(tenant_offset_ms(T0), 0);
        assert_eq!(secs_to_end(0, 5_000, MINUTE_MS), 5);
        assert_eq!(secs_to_end(4_500, 5_000, MINUTE_MS), 1);
        assert_eq!(secs_to_end(5_000, 5_000, MINUTE_MS), 60);
    }

    #[test]
    fn concurrent_limit_counts_in_flight() {
        let cfg = LimitsConfig {
            concurrent: 1,
            ..LimitsConfig::default()
        };
        let mut u = Usage::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        assert!(u.admit(&cfg, T0, "a", t0).is_ok());
        assert_eq!(
            u.admit(&cfg, T0, "a", t0).map_err(|r| r.problem),
            Err(Problem::Concurrent)
        );
        u.release(T0, "a");
        assert!(u.admit(&cfg, T0, "a", t0).is_ok());
    }
}
