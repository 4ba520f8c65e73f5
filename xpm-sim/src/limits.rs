//! XPM's rate limits, per organisation per app: calls in flight, calls per
//! rolling minute and per rolling day, and an app-wide minute limit. Windows
//! use the sim clock, so a test advances time to refill them.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The limits in force; adjustable at run time.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct LimitsConfig {
    pub enabled: bool,
    pub concurrent: u32,
    pub per_minute: u32,
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
    Daily,
    AppMinute,
}

impl Problem {
    pub fn header_value(self) -> &'static str {
        match self {
            Problem::Concurrent => "Concurrent",
            Problem::Minute => "Minute",
            Problem::Daily => "Daily",
            Problem::AppMinute => "AppMinute",
        }
    }
}

#[derive(Debug, Clone, Default)]
struct TenantUsage {
    in_flight: u32,
    minute: VecDeque<OffsetDateTime>,
    day: VecDeque<OffsetDateTime>,
}

/// Counters, not persisted.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    tenants: HashMap<(Uuid, String), TenantUsage>,
    apps: HashMap<String, VecDeque<OffsetDateTime>>,
}

/// A call let through; remaining counts go in the answer headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    pub counted: bool,
    pub minute_remaining: u32,
    pub day_remaining: u32,
    pub app_minute_remaining: u32,
}

/// A call refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub problem: Problem,
    pub retry_after_secs: i64,
}

fn prune(q: &mut VecDeque<OffsetDateTime>, now: OffsetDateTime, window: Duration) {
    while q.front().is_some_and(|t| *t + window <= now) {
        q.pop_front();
    }
}

fn retry_after(q: &VecDeque<OffsetDateTime>, now: OffsetDateTime, window: Duration) -> i64 {
    q.front()
        .map(|t| (*t + window - now).whole_seconds().max(1))
        .unwrap_or(1)
}

fn remaining(limit: u32, used: usize) -> u32 {
    limit.saturating_sub(u32::try_from(used).unwrap_or(u32::MAX))
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
                minute_remaining: cfg.per_minute,
                day_remaining: cfg.per_day,
                app_minute_remaining: cfg.app_per_minute,
            });
        }
        let minute = Duration::minutes(1);
        let day = Duration::days(1);
        let app_q = self.apps.entry(app.to_string()).or_default();
        prune(app_q, now, minute);
        let t = self.tenants.entry((tenant, app.to_string())).or_default();
        prune(&mut t.minute, now, minute);
        prune(&mut t.day, now, day);
        if t.in_flight >= cfg.concurrent {
            return Err(Refusal {
                problem: Problem::Concurrent,
                retry_after_secs: 1,
            });
        }
        if t.day.len() >= cfg.per_day as usize {
            return Err(Refusal {
                problem: Problem::Daily,
                retry_after_secs: retry_after(&t.day, now, day),
            });
        }
        if t.minute.len() >= cfg.per_minute as usize {
            return Err(Refusal {
                problem: Problem::Minute,
                retry_after_secs: retry_after(&t.minute, now, minute),
            });
        }
        if app_q.len() >= cfg.app_per_minute as usize {
            return Err(Refusal {
                problem: Problem::AppMinute,
                retry_after_secs: retry_after(app_q, now, minute),
            });
        }
        t.in_flight += 1;
        t.minute.push_back(now);
        t.day.push_back(now);
        app_q.push_back(now);
        Ok(Admission {
            counted: true,
            minute_remaining: remaining(cfg.per_minute, t.minute.len()),
            day_remaining: remaining(cfg.per_day, t.day.len()),
            app_minute_remaining: remaining(cfg.app_per_minute, app_q.len()),
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

    #[test]
    fn minute_limit_refills_after_a_minute() {
        let cfg = LimitsConfig {
            per_minute: 2,
            ..LimitsConfig::default()
        };
        let mut u = Usage::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let tenant = Uuid::nil();
        for _ in 0..2 {
            assert!(u.admit(&cfg, tenant, "a", t0).is_ok());
            u.release(tenant, "a");
        }
        let refused = u.admit(&cfg, tenant, "a", t0 + Duration::seconds(10));
        assert_eq!(
            refused,
            Err(Refusal {
                problem: Problem::Minute,
                retry_after_secs: 50
            })
        );
        assert!(
            u.admit(&cfg, tenant, "a", t0 + Duration::seconds(60))
                .is_ok()
        );
    }

    #[test]
    fn concurrent_limit_counts_in_flight() {
        let cfg = LimitsConfig {
            concurrent: 1,
            ..LimitsConfig::default()
        };
        let mut u = Usage::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        assert!(u.admit(&cfg, Uuid::nil(), "a", t0).is_ok());
        assert_eq!(
            u.admit(&cfg, Uuid::nil(), "a", t0).map_err(|r| r.problem),
            Err(Problem::Concurrent)
        );
        u.release(Uuid::nil(), "a");
        assert!(u.admit(&cfg, Uuid::nil(), "a", t0).is_ok());
    }
}
