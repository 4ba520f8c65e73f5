//! XPM's per-organisation limit of calls in any rolling minute, kept by
//! counting the calls themselves (a sliding log per organisation) instead of
//! spacing them out: a sync that needs no more calls than the limit goes as
//! fast as XPM's calls-in-flight limit allows, and the call over the limit
//! waits exactly until the oldest has left the window.
//!
//! A rate limiter of the token-bucket kind (governor's GCRA) cannot do this:
//! to let a whole minute's calls go at once it must also refill while they
//! run, and a rolling minute then holds more than the limit.
//!
//! XPM counts a call when it arrives, somewhere between our send and its
//! answer. So a call holds its place from the moment it is about to be sent
//! until one full window after its answer came (or it was given up): no
//! rolling window, as XPM measures it, can then hold more than the limit,
//! whatever the latency.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use domain::ids::XpmTenantId;
use tokio::sync::Notify;
use tokio::time::Instant;

/// At most `limit` calls per organisation in any `window`.
pub(crate) struct RollingLimit {
    limit: usize,
    window: Duration,
    logs: Mutex<HashMap<XpmTenantId, Log>>,
    /// Woken when a call finishes; needed only when every place is held by a
    /// call still in flight, so no finished call's expiry can be waited for.
    finished: Notify,
}

#[derive(Default)]
struct Log {
    in_flight: usize,
    /// When each call of the last `window` finished, oldest first.
    finished_at: VecDeque<Instant>,
}

impl Log {
    fn forget_before(&mut self, cutoff: Option<Instant>) {
        let Some(cutoff) = cutoff else { return };
        while self.finished_at.front().is_some_and(|t| *t <= cutoff) {
            self.finished_at.pop_front();
        }
    }

    fn held(&self) -> usize {
        self.in_flight + self.finished_at.len()
    }
}

/// A call's place in its organisation's window, held while it is sent and
/// answered; dropping it starts the window's count-down for that call.
pub(crate) struct Place<'a> {
    limit: &'a RollingLimit,
    tenant: XpmTenantId,
}

impl RollingLimit {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: usize::try_from(limit).unwrap_or(usize::MAX).max(1),
            window,
            logs: Mutex::new(HashMap::new()),
            finished: Notify::new(),
        }
    }

    fn logs(&self) -> std::sync::MutexGuard<'_, HashMap<XpmTenantId, Log>> {
        // A panic elsewhere while holding the lock leaves the counts usable.
        self.logs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `tenant` has a free place in its window, then takes it.
    pub(crate) async fn take(&self, tenant: XpmTenantId) -> Place<'_> {
        loop {
            let finished = self.finished.notified();
            tokio::pin!(finished);
            // Registered before looking, so a call finishing in between still wakes us.
            finished.as_mut().enable();
            let free_at = {
                let mut logs = self.logs();
                let log = logs.entry(tenant).or_default();
                let now = Instant::now();
                log.forget_before(now.checked_sub(self.window));
                if log.held() < self.limit {
                    log.in_flight += 1;
                    return Place {
                        limit: self,
                        tenant,
                    };
                }
                log.finished_at.front().map(|t| *t + self.window)
            };
            match free_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => finished.await,
            }
        }
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut logs = self.limit.logs();
        if let Some(log) = logs.get_mut(&self.tenant) {
            log.in_flight = log.in_flight.saturating_sub(1);
            // Taken under the lock, so the log stays in time order.
            log.finished_at.push_back(Instant::now());
        }
        drop(logs);
        self.limit.finished.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn tenant(n: u128) -> XpmTenantId {
        XpmTenantId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[tokio::test(start_paused = true)]
    async fn calls_up_to_the_limit_go_at_once() {
        let limit = RollingLimit::new(60, MINUTE);
        let start = Instant::now();
        for _ in 0..60 {
            drop(limit.take(tenant(1)).await);
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_call_over_the_limit_waits_until_the_oldest_has_left_the_window() {
        let limit = RollingLimit::new(60, MINUTE);
        let start = Instant::now();
        drop(limit.take(tenant(1)).await);
        tokio::time::advance(Duration::from_secs(10)).await;
        for _ in 0..59 {
            drop(limit.take(tenant(1)).await);
        }
        drop(limit.take(tenant(1)).await);
        assert_eq!(
            start.elapsed(),
            MINUTE,
            "freed when the first call's minute ended"
        );
        drop(limit.take(tenant(1)).await);
        assert_eq!(start.elapsed(), MINUTE + Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn organisations_have_windows_of_their_own() {
        let limit = RollingLimit::new(3, MINUTE);
        for _ in 0..3 {
            drop(limit.take(tenant(1)).await);
        }
        let start = Instant::now();
        for _ in 0..3 {
            drop(limit.take(tenant(2)).await);
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_window_of_calls_in_flight_frees_a_place_only_a_window_after_one_ends() {
        let limit = Arc::new(RollingLimit::new(2, MINUTE));
        let a = limit.take(tenant(1)).await;
        let _b = limit.take(tenant(1)).await;
        let waiter = {
            let limit = limit.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                drop(limit.take(tenant(1)).await);
                start.elapsed()
            })
        };
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(a);
        let waited = waiter.await.expect("waiter");
        assert_eq!(waited, Duration::from_secs(5) + MINUTE);
    }

    /// Five callers without pause for ten minutes, each call taking up to a
    /// second, XPM counting it at any moment between send and answer: no
    /// rolling minute of arrivals holds more than the limit, and the limit
    /// is used, not wasted.
    #[tokio::test(start_paused = true)]
    async fn no_rolling_minute_as_xpm_counts_it_holds_more_than_the_limit() {
        let limit = Arc::new(RollingLimit::new(60, MINUTE));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let mut callers = Vec::new();
        for caller in 0..5u64 {
            let (limit, arrivals) = (limit.clone(), arrivals.clone());
            callers.push(tokio::spawn(async move {
                let mut n = caller;
                while start.elapsed() < 10 * MINUTE {
                    let _place = limit.take(tenant(1)).await;
                    n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    let latency = Duration::from_millis(50 + n % 950);
                    let to_arrival = latency.mul_f64((n >> 20) as f64 % 1000.0 / 1000.0);
                    tokio::time::sleep(to_arrival).await;
                    arrivals.lock().unwrap().push(start.elapsed());
                    tokio::time::sleep(latency - to_arrival).await;
                }
            }));
        }
        for c in callers {
            c.await.expect("caller");
        }
        let mut arrivals = arrivals.lock().unwrap().clone();
        arrivals.sort();
        let worst = arrivals
            .iter()
            .enumerate()
            .map(|(i, t)| {
                arrivals[i..]
                    .iter()
                    .take_while(|u| **u < *t + MINUTE)
                    .count()
            })
            .max()
            .unwrap();
        assert!(worst <= 60, "{worst} calls arrived in one minute");
        assert!(
            arrivals.len() >= 9 * 60,
            "{} calls in ten minutes",
            arrivals.len()
        );
    }
}
