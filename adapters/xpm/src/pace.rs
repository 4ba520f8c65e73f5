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
//!
//! XPM also says, on every answer, how many calls its current minute still
//! takes (`X-MinLimit-Remaining`). That counts calls this log cannot see
//! (another process of the app on the same organisation, an XPM whose limit
//! is lower than configured), so it is obeyed as well: no more calls start
//! than XPM said are left, until its window ends. When it says none are
//! left, the end of its window is unknown (XPM's windows are fixed, with a
//! reset moment of each organisation's own): one call goes to find out, and
//! either gets through or is refused with the exact wait (`Retry-After`),
//! which every call then waits out. Without other callers the header never
//! adds a wait: this log already holds every call XPM counts.

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
    /// What XPM last said is left of its current minute.
    reported: Option<Reported>,
}

/// XPM's own count of the organisation's current minute (`X-MinLimit-Remaining`).
#[derive(Debug, Clone, Copy)]
struct Reported {
    /// Calls XPM still takes in its window, less those started since it said so.
    left: u32,
    /// When XPM's window ends: exactly, when XPM said (`exact`), else at the latest.
    until: Instant,
    exact: bool,
    /// Nothing is left and the window's end is unknown: one call is out to find out.
    probing: bool,
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
    /// The one call sent to find out whether XPM's spent minute has ended.
    probe: bool,
}

/// What a call waits for before it may go.
enum Wait {
    Until(Instant),
    /// Until a call finishes or XPM's answer changes what is left, or until `Instant`.
    Notified(Option<Instant>),
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
    /// A wait XPM imposed (its minute is spent, and it said until when) that
    /// is longer than `max_wait` is not waited out: it is answered at once.
    pub(crate) async fn take(
        &self,
        tenant: XpmTenantId,
        max_wait: Duration,
    ) -> Result<Place<'_>, Duration> {
        loop {
            let finished = self.finished.notified();
            tokio::pin!(finished);
            // Registered before looking, so a call finishing in between still wakes us.
            finished.as_mut().enable();
            let wait = {
                let mut logs = self.logs();
                let log = logs.entry(tenant).or_default();
                let now = Instant::now();
                log.forget_before(now.checked_sub(self.window));
                if log.reported.is_some_and(|r| r.until <= now) {
                    log.reported = None;
                }
                if log.held() >= self.limit {
                    match log.finished_at.front() {
                        Some(t) => Wait::Until(*t + self.window),
                        None => Wait::Notified(None),
                    }
                } else {
                    let probe = match &mut log.reported {
                        None => Some(false),
                        Some(r) if r.left > 0 => {
                            r.left -= 1;
                            Some(false)
                        }
                        Some(r) if r.exact => {
                            let wait = r.until.saturating_duration_since(now);
                            if wait > max_wait {
                                return Err(wait);
                            }
                            None
                        }
                        Some(r) if !r.probing => {
                            r.probing = true;
                            Some(true)
                        }
                        Some(_) => None,
                    };
                    match probe {
                        Some(probe) => {
                            log.in_flight += 1;
                            return Ok(Place {
                                limit: self,
                                tenant,
                                probe,
                            });
                        }
                        None => match log.reported {
                            Some(r) if r.exact => Wait::Until(r.until),
                            r => Wait::Notified(r.map(|r| r.until)),
                        },
                    }
                }
            };
            match wait {
                Wait::Until(at) => tokio::time::sleep_until(at).await,
                Wait::Notified(None) => finished.await,
                Wait::Notified(Some(at)) => {
                    let _ = tokio::time::timeout_at(at, finished).await;
                }
            }
        }
    }

    /// Notes what XPM said is left of `tenant`'s current minute, on the
    /// answer of a call that still holds its place; `resets_in` when XPM said
    /// when its window ends (a refusal's `Retry-After`).
    pub(crate) fn heard(&self, tenant: XpmTenantId, left: u32, resets_in: Option<Duration>) {
        let mut logs = self.logs();
        let log = logs.entry(tenant).or_default();
        // Other calls in flight may not have reached XPM yet: they will take
        // from what is left (the answering call itself is counted already).
        let others = u32::try_from(log.in_flight.saturating_sub(1)).unwrap_or(u32::MAX);
        log.reported = Some(Reported {
            left: left.saturating_sub(others),
            until: Instant::now() + resets_in.unwrap_or(self.window),
            exact: resets_in.is_some(),
            probing: false,
        });
        drop(logs);
        // Calls waiting for a probe's answer look again.
        self.finished.notify_waiters();
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut logs = self.limit.logs();
        if let Some(log) = logs.get_mut(&self.tenant) {
            log.in_flight = log.in_flight.saturating_sub(1);
            // Taken under the lock, so the log stays in time order.
            log.finished_at.push_back(Instant::now());
            // A probe that got no word from XPM: the next call may try.
            if let Some(r) = log.reported.as_mut().filter(|_| self.probe) {
                r.probing = false;
            }
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
    const NO_BOUND: Duration = Duration::from_secs(3600);

    fn tenant(n: u128) -> XpmTenantId {
        XpmTenantId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[tokio::test(start_paused = true)]
    async fn calls_up_to_the_limit_go_at_once() {
        let limit = RollingLimit::new(60, MINUTE);
        let start = Instant::now();
        for _ in 0..60 {
            drop(limit.take(tenant(1), NO_BOUND).await.unwrap());
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_call_over_the_limit_waits_until_the_oldest_has_left_the_window() {
        let limit = RollingLimit::new(60, MINUTE);
        let start = Instant::now();
        drop(limit.take(tenant(1), NO_BOUND).await.unwrap());
        tokio::time::advance(Duration::from_secs(10)).await;
        for _ in 0..59 {
            drop(limit.take(tenant(1), NO_BOUND).await.unwrap());
        }
        drop(limit.take(tenant(1), NO_BOUND).await.unwrap());
        assert_eq!(
            start.elapsed(),
            MINUTE,
            "freed when the first call's minute ended"
        );
        drop(limit.take(tenant(1), NO_BOUND).await.unwrap());
        assert_eq!(start.elapsed(), MINUTE + Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn organisations_have_windows_of_their_own() {
        let limit = RollingLimit::new(3, MINUTE);
        for _ in 0..3 {
            drop(limit.take(tenant(1), NO_BOUND).await.unwrap());
        }
        let start = Instant::now();
        for _ in 0..3 {
            drop(limit.take(tenant(2), NO_BOUND).await.unwrap());
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_window_of_calls_in_flight_frees_a_place_only_a_window_after_one_ends() {
        let limit = Arc::new(RollingLimit::new(2, MINUTE));
        let a = limit.take(tenant(1), NO_BOUND).await.unwrap();
        let _b = limit.take(tenant(1), NO_BOUND).await.unwrap();
        let waiter = {
            let limit = limit.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                drop(limit.take(tenant(1), NO_BOUND).await.unwrap());
                start.elapsed()
            })
        };
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(a);
        let waited = waiter.await.expect("waiter");
        assert_eq!(waited, Duration::from_secs(5) + MINUTE);
    }

    /// Takes a place, or says how long XPM would have it wait.
    async fn go(limit: &RollingLimit) -> Result<Place<'_>, Duration> {
        limit.take(tenant(1), Duration::from_secs(10)).await
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_calls_start_than_xpm_says_its_minute_still_takes() {
        let limit = Arc::new(RollingLimit::new(600, MINUTE));
        let first = go(&limit).await.unwrap();
        limit.heard(tenant(1), 2, None);
        drop(first);
        let start = Instant::now();
        drop(go(&limit).await.unwrap());
        drop(go(&limit).await.unwrap());
        // XPM's minute is spent and it has not said until when: one call goes to find out.
        let probe = go(&limit).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        let waiter = {
            let limit = limit.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                drop(go(&limit).await.unwrap());
                start.elapsed()
            })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiter.is_finished(), "it waits for the probe's answer");
        // The probe is refused: the minute ends in 5 s, as XPM says.
        limit.heard(tenant(1), 0, Some(Duration::from_secs(5)));
        drop(probe);
        assert_eq!(
            waiter.await.expect("waiter"),
            Duration::from_secs(6),
            "waited until XPM's window ended, not a whole minute"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_xpm_imposes_longer_than_a_call_waits_is_answered_at_once() {
        let limit = RollingLimit::new(600, MINUTE);
        limit.heard(tenant(1), 0, Some(Duration::from_secs(40)));
        let start = Instant::now();
        assert_eq!(go(&limit).await.err(), Some(Duration::from_secs(40)));
        assert_eq!(start.elapsed(), Duration::ZERO);
        tokio::time::advance(Duration::from_secs(35)).await;
        let place = go(&limit).await.expect("a 5 s wait is waited out");
        assert_eq!(start.elapsed(), Duration::from_secs(40));
        drop(place);
        // Other organisations are not held back.
        assert!(limit.take(tenant(2), Duration::ZERO).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn calls_still_in_flight_count_against_what_xpm_says_is_left() {
        let limit = RollingLimit::new(600, MINUTE);
        let places = [
            go(&limit).await.unwrap(),
            go(&limit).await.unwrap(),
            go(&limit).await.unwrap(),
        ];
        // The first to be answered: two left, but two more calls may not have reached XPM.
        limit.heard(tenant(1), 2, None);
        drop(places);
        let probe = go(&limit).await.unwrap();
        assert!(probe.probe, "nothing was left for this call but a probe");
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_without_an_answer_lets_the_next_call_try_and_calls_left_again_let_all_go() {
        let limit = RollingLimit::new(600, MINUTE);
        limit.heard(tenant(1), 0, None);
        let probe = go(&limit).await.unwrap();
        assert!(probe.probe);
        drop(probe);
        let again = go(&limit).await.unwrap();
        assert!(again.probe, "the lost probe is tried again at once");
        limit.heard(tenant(1), 50, None);
        drop(again);
        let start = Instant::now();
        for _ in 0..50 {
            assert!(!go(&limit).await.unwrap().probe);
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn what_xpm_said_is_forgotten_once_its_window_must_have_ended() {
        let limit = Arc::new(RollingLimit::new(600, MINUTE));
        limit.heard(tenant(1), 0, None);
        let _probe_never_answered = go(&limit).await.unwrap();
        let start = Instant::now();
        drop(go(&limit).await.unwrap());
        assert_eq!(start.elapsed(), MINUTE);
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
                    let _place = limit.take(tenant(1), NO_BOUND).await.unwrap();
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
