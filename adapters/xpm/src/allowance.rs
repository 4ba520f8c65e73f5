//! XPM's allowances per organisation, as XPM itself reports them: every
//! answer carries `X-DayLimit-Remaining` and `X-MinLimit-Remaining`, and a
//! refusal says which limit with `X-Rate-Limit-Problem` (`day`, `minute`)
//! and `Retry-After` until that window ends (xpm-api.md, "Limits"). The day's
//! is kept here per process (what this process last heard) and shown to
//! people; the minute's paces the calls ([`crate::pace`]) and is not shown:
//! it is stale within seconds and a Sync waits for it by itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::ids::XpmTenantId;
use domain::ports::XpmAllowance;
use reqwest::header::HeaderMap;

const DAY_REMAINING: &str = "x-daylimit-remaining";
const MINUTE_REMAINING: &str = "x-minlimit-remaining";
const PROBLEM: &str = "x-rate-limit-problem";

/// What a 429 says was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LimitHit {
    /// The day's allowance: no point waiting within a sync.
    Day,
    /// The organisation's minute: every call waits until it ends.
    Minute,
    /// The calls in flight or the app's minute: worth waiting out.
    Other,
}

pub(crate) fn limit_hit(headers: &HeaderMap) -> LimitHit {
    match header(headers, PROBLEM) {
        Some(p) if p.eq_ignore_ascii_case("day") => LimitHit::Day,
        Some(p) if p.eq_ignore_ascii_case("minute") => LimitHit::Minute,
        _ => LimitHit::Other,
    }
}

/// The calls XPM says the organisation's current minute still takes.
pub(crate) fn minute_remaining(headers: &HeaderMap) -> Option<u32> {
    header(headers, MINUTE_REMAINING)?.parse().ok()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

#[derive(Debug, Clone, Copy)]
struct Heard {
    day_remaining: u32,
    /// When the day's window ends, once XPM said it is spent.
    resets_at: Option<Instant>,
}

/// The last allowance heard from XPM, per organisation.
#[derive(Debug, Default)]
pub(crate) struct Allowances(Mutex<HashMap<XpmTenantId, Heard>>);

impl Allowances {
    /// Notes what an answer's headers say is left today.
    pub(crate) fn heard(&self, tenant: XpmTenantId, headers: &HeaderMap) {
        let Some(remaining) = header(headers, DAY_REMAINING).and_then(|v| v.parse::<u32>().ok())
        else {
            return;
        };
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let resets_at = map
            .get(&tenant)
            .and_then(|h| h.resets_at)
            .filter(|_| remaining == 0);
        map.insert(
            tenant,
            Heard {
                day_remaining: remaining,
                resets_at,
            },
        );
    }

    /// Notes a refusal for the day: nothing left until `resets_in` has passed.
    pub(crate) fn spent(&self, tenant: XpmTenantId, resets_in: Duration) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(
            tenant,
            Heard {
                day_remaining: 0,
                resets_at: Some(Instant::now() + resets_in),
            },
        );
    }

    /// What is left today; a spent allowance whose window has ended is unknown again.
    pub(crate) fn get(&self, tenant: XpmTenantId) -> Option<XpmAllowance> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let heard = *map.get(&tenant)?;
        let now = Instant::now();
        if heard.resets_at.is_some_and(|at| at <= now) {
            map.remove(&tenant);
            return None;
        }
        Some(XpmAllowance {
            day_remaining: heard.day_remaining,
            resets_in_secs: heard
                .resets_at
                .map(|at| at.saturating_duration_since(now).as_secs().max(1)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use uuid::Uuid;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const T: XpmTenantId = XpmTenantId::from_uuid(Uuid::from_u128(7));

    #[test]
    fn every_answer_says_what_is_left_today() {
        let a = Allowances::default();
        assert_eq!(a.get(T), None);
        a.heard(T, &headers(&[("X-DayLimit-Remaining", "4321")]));
        assert_eq!(
            a.get(T),
            Some(XpmAllowance {
                day_remaining: 4321,
                resets_in_secs: None
            })
        );
        // An answer without the header changes nothing.
        a.heard(T, &headers(&[]));
        assert_eq!(a.get(T).map(|x| x.day_remaining), Some(4321));
    }

    #[test]
    fn a_refusal_for_the_day_holds_until_its_window_ends() {
        let a = Allowances::default();
        a.spent(T, Duration::from_secs(3600));
        let now = a.get(T).unwrap();
        assert_eq!(now.day_remaining, 0);
        assert!(now.resets_in_secs.is_some_and(|s| s > 3500 && s <= 3600));
        a.spent(T, Duration::ZERO);
        assert_eq!(a.get(T), None, "the window ended: unknown again");
    }

    #[test]
    fn only_the_day_problem_is_the_day() {
        assert_eq!(
            limit_hit(&headers(&[("X-Rate-Limit-Problem", "day")])),
            LimitHit::Day
        );
        assert_eq!(
            limit_hit(&headers(&[("X-Rate-Limit-Problem", "Day")])),
            LimitHit::Day
        );
        assert_eq!(
            limit_hit(&headers(&[("X-Rate-Limit-Problem", "minute")])),
            LimitHit::Minute
        );
        assert_eq!(
            limit_hit(&headers(&[("X-Rate-Limit-Problem", "concurrent")])),
            LimitHit::Other
        );
        assert_eq!(limit_hit(&headers(&[])), LimitHit::Other);
    }

    #[test]
    fn every_answer_says_what_is_left_of_the_minute() {
        assert_eq!(
            minute_remaining(&headers(&[("X-MinLimit-Remaining", " 42 ")])),
            Some(42)
        );
        for bad in [
            vec![],
            vec![("X-MinLimit-Remaining", "-1")],
            vec![("X-MinLimit-Remaining", "many")],
        ] {
            assert_eq!(minute_remaining(&headers(&bad)), None);
        }
    }
}
