//! The emulator clock: the one source of "now" for every deadline and every timestamp the
//! emulator hands out, and the test harness's control over it.
//!
//! Emulated time is real time (tokio's `Instant`, which in-process tests pause and advance) plus
//! what `advance` added, minus what passed while paused. It is kept as a *virtual* tokio
//! `Instant` (`Now::at`, the deadlines in the timer queue) and epoch milliseconds (`Now::wall_ms`,
//! CreationTime and friends), both moving together: wall time is the wall clock read once at
//! start plus emulated elapsed time, so timestamps move exactly with `advance`.
//!
//! While paused, emulated time stands still and nothing fires except through `advance`. The
//! lifecycle driver asks `real_deadline` when to wake for a virtual deadline: never, while paused.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::model::Now;

/// The longest single advance (100 years): far beyond any GameLift lifecycle, and far from the
/// point where `Instant` arithmetic would overflow.
pub const MAX_ADVANCE: Duration = Duration::from_secs(100 * 365 * 86_400);

/// A pausable, advanceable clock.
#[derive(Debug)]
pub struct Clock {
    /// Real (tokio) instant at start; emulated instants are `base + emulated elapsed`.
    base: Instant,
    /// Wall time at start, epoch nanoseconds (whole milliseconds for a fresh clock).
    base_wall_ns: i64,
    state: Mutex<State>,
}

/// Emulated elapsed time is `anchor_emulated` plus, unless paused, the real time since
/// `anchor_real` (both measured from `base`).
#[derive(Debug, Clone, Copy)]
struct State {
    paused: bool,
    anchor_real: Duration,
    anchor_emulated: Duration,
}

/// What a restart needs to put the clock back: whether it stood still, and emulated time
/// against the wall clock at one moment (epoch nanoseconds). A running clock goes on at
/// `wall now + (emulated_ns - wall_ns)`; a paused one at `emulated_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Persisted {
    /// Time stands still.
    pub paused: bool,
    /// Emulated time, epoch nanoseconds.
    pub emulated_ns: i64,
    /// The wall clock at that moment, epoch nanoseconds.
    pub wall_ns: i64,
}

thread_local! {
    /// The time a command runs at (see [`Clock::pinned`]), and which clock it belongs to.
    static PIN: std::cell::Cell<Option<(usize, Now)>> = const { std::cell::Cell::new(None) };
}

fn wall_now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl Clock {
    /// Starts the clock at the current wall time, running or paused.
    pub fn start(paused: bool) -> Self {
        let wall_ms = wall_now_ns().div_euclid(1_000_000);
        Self {
            base: Instant::now(),
            base_wall_ns: wall_ms * 1_000_000,
            state: Mutex::new(State { paused, anchor_real: Duration::ZERO, anchor_emulated: Duration::ZERO }),
        }
    }

    /// A clock whose origin is the epoch time `origin_ns`, mapped to the current instant, and
    /// paused there (a restart replays its journal from there, then calls [`Clock::restore`]).
    /// Every time at or after `origin_ns` maps to an instant no earlier than now, whatever the
    /// span of the journal (tokio instants cannot go before the process started).
    pub fn from_origin(origin_ns: i64) -> Self {
        Self {
            base: Instant::now(),
            base_wall_ns: origin_ns,
            state: Mutex::new(State {
                paused: true,
                anchor_real: Duration::ZERO,
                anchor_emulated: Duration::ZERO,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn real_elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(self.base)
    }

    fn emulated_elapsed(&self, st: &State) -> Duration {
        if st.paused {
            st.anchor_emulated
        } else {
            st.anchor_emulated + self.real_elapsed().saturating_sub(st.anchor_real)
        }
    }

    fn at(&self, elapsed: Duration) -> Now {
        let ns = self.base_wall_ns.saturating_add(nanos(elapsed));
        Now { at: self.base + elapsed, wall_ms: ns.div_euclid(1_000_000) }
    }

    fn pin(&self) -> Option<Now> {
        match PIN.with(|p| p.get()) {
            Some((owner, now)) if owner == self as *const Clock as usize => Some(now),
            _ => None,
        }
    }

    /// The current emulated time (the pinned time while a command runs on this thread).
    pub fn now(&self) -> Now {
        if let Some(now) = self.pin() {
            return now;
        }
        let st = *self.state();
        self.at(self.emulated_elapsed(&st))
    }

    /// Runs `f` with this clock reading `now` on this thread: a journaled command sees one
    /// time throughout, the same when it is replayed.
    pub fn pinned<R>(&self, now: Now, f: impl FnOnce() -> R) -> R {
        struct Unpin(Option<(usize, Now)>);
        impl Drop for Unpin {
            fn drop(&mut self) {
                PIN.with(|p| p.set(self.0));
            }
        }
        let _restore = Unpin(PIN.with(|p| p.replace(Some((self as *const Clock as usize, now)))));
        f()
    }

    /// `now` as epoch nanoseconds.
    pub fn epoch_ns(&self, now: Now) -> i64 {
        self.base_wall_ns.saturating_add(nanos(now.at.saturating_duration_since(self.base)))
    }

    /// The time at epoch nanoseconds `ns` (not before this clock's origin).
    pub fn at_epoch_ns(&self, ns: i64) -> Now {
        let elapsed = u64::try_from(ns.saturating_sub(self.base_wall_ns)).unwrap_or(0);
        self.at(Duration::from_nanos(elapsed))
    }

    /// The state a restart needs (see [`Persisted`]).
    pub fn persisted(&self) -> Persisted {
        let st = *self.state();
        let emulated = match self.pin() {
            Some(now) if st.paused => now.at.saturating_duration_since(self.base),
            _ => self.emulated_elapsed(&st),
        };
        let real = self.real_elapsed();
        Persisted {
            paused: st.paused,
            emulated_ns: self.base_wall_ns.saturating_add(nanos(emulated)),
            wall_ns: self.base_wall_ns.saturating_add(nanos(real)),
        }
    }

    /// Puts the clock where `p` says it was, as of the wall clock now, never earlier than
    /// epoch nanoseconds `not_before` (the last journaled time).
    pub fn restore(&self, p: Persisted, not_before: i64) {
        let target = if p.paused {
            p.emulated_ns
        } else {
            wall_now_ns().saturating_add(p.emulated_ns.saturating_sub(p.wall_ns))
        };
        let target = target.max(not_before).max(self.base_wall_ns);
        let mut st = self.state();
        st.paused = p.paused;
        st.anchor_real = self.real_elapsed();
        st.anchor_emulated = Duration::from_nanos(u64::try_from(target - self.base_wall_ns).unwrap_or(0));
    }

    /// Whether time stands still.
    pub fn is_paused(&self) -> bool {
        self.state().paused
    }

    /// Moves emulated time forward by `by` (at most `MAX_ADVANCE`) from now (the pinned time
    /// inside a command); returns the new time. Applying the transitions that became due is
    /// the caller's job (`Emulator::advance_clock`).
    pub fn advance(&self, by: Duration) -> Now {
        let by = by.min(MAX_ADVANCE);
        let pinned = self.pin();
        let mut st = self.state();
        let from = match pinned {
            Some(now) => now.at.saturating_duration_since(self.base),
            None => self.emulated_elapsed(&st),
        };
        let emulated = from + by;
        st.anchor_real = self.real_elapsed();
        st.anchor_emulated = emulated;
        self.at(emulated)
    }

    /// Stops time (idempotent) at now (the pinned time inside a command).
    pub fn pause(&self) {
        let pinned = self.pin();
        let mut st = self.state();
        if !st.paused {
            st.anchor_emulated = match pinned {
                Some(now) => now.at.saturating_duration_since(self.base),
                None => self.emulated_elapsed(&st),
            };
            st.anchor_real = self.real_elapsed();
            st.paused = true;
        }
    }

    /// Lets time run again from where it stood (idempotent).
    pub fn resume(&self) {
        let mut st = self.state();
        if st.paused {
            st.anchor_real = self.real_elapsed();
            st.paused = false;
        }
    }

    /// The real instant at which emulated time reaches `deadline` (now, if it already has);
    /// `None` while paused, when only `advance` can get there.
    pub fn real_deadline(&self, deadline: Instant) -> Option<Instant> {
        let st = *self.state();
        if st.paused {
            return None;
        }
        let now = self.at(self.emulated_elapsed(&st));
        Some(Instant::now() + deadline.saturating_duration_since(now.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn running_time_follows_real_time() {
        let c = Clock::start(false);
        let t0 = c.now();
        tokio::time::advance(Duration::from_secs(2)).await;
        let t1 = c.now();
        assert_eq!(t1.at - t0.at, Duration::from_secs(2));
        assert_eq!(t1.wall_ms - t0.wall_ms, 2_000);
    }

    #[tokio::test(start_paused = true)]
    async fn paused_time_stands_still_and_moves_only_by_advance() {
        let c = Clock::start(true);
        let t0 = c.now();
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(c.now(), t0, "paused: real time passing changes nothing");
        assert_eq!(c.real_deadline(t0.at + Duration::from_secs(1)), None);
        let t1 = c.advance(Duration::from_millis(1_500));
        assert_eq!(t1, c.now());
        assert_eq!(t1.at - t0.at, Duration::from_millis(1_500));
        assert_eq!(t1.wall_ms - t0.wall_ms, 1_500);
    }

    #[tokio::test(start_paused = true)]
    async fn resume_continues_from_where_time_stood() {
        let c = Clock::start(false);
        let t0 = c.now();
        c.pause();
        tokio::time::advance(Duration::from_secs(10)).await;
        c.resume();
        assert_eq!(c.now(), t0);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(c.now().at - t0.at, Duration::from_secs(1));
        c.advance(Duration::from_secs(60));
        assert_eq!(c.now().at - t0.at, Duration::from_secs(61));
        let deadline = c.now().at + Duration::from_secs(3);
        assert_eq!(c.real_deadline(deadline), Some(Instant::now() + Duration::from_secs(3)));
    }

    #[tokio::test(start_paused = true)]
    async fn epoch_nanoseconds_round_trip_through_a_clock_started_later() {
        let c = Clock::start(true);
        c.advance(Duration::from_millis(1_234) + Duration::from_nanos(5));
        let t = c.now();
        let ns = c.epoch_ns(t);
        // A restart days later: the new clock's origin is the old journal's oldest time.
        tokio::time::advance(Duration::from_secs(3 * 86_400)).await;
        let restored = Clock::from_origin(c.epoch_ns(c.at(Duration::ZERO)));
        let back = restored.at_epoch_ns(ns);
        assert_eq!(back.wall_ms, t.wall_ms);
        assert_eq!(restored.epoch_ns(back), ns);
        assert!(back.at >= Instant::now(), "restored instants never precede the restart");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pinned_clock_reads_the_pinned_time_and_advances_from_it() {
        let c = Clock::start(false);
        let t0 = c.now();
        tokio::time::advance(Duration::from_secs(1)).await;
        let t1 = c.pinned(t0, || {
            assert_eq!(c.now(), t0);
            c.advance(Duration::from_secs(10))
        });
        assert_eq!(t1.at - t0.at, Duration::from_secs(10));
        assert_eq!(c.now(), t1, "advanced from the pinned time, not from real time");
    }

    #[tokio::test(start_paused = true)]
    async fn restore_puts_a_running_clock_at_wall_time_plus_its_offset() {
        let c = Clock::start(true);
        c.advance(Duration::from_secs(3_600));
        c.resume();
        let p = c.persisted();
        assert!(!p.paused);
        assert_eq!(p.emulated_ns - p.wall_ns, 3_600_000_000_000);
        let r = Clock::from_origin(c.epoch_ns(c.at(Duration::ZERO)));
        r.restore(p, 0);
        let offset = r.epoch_ns(r.now()) - super::wall_now_ns();
        assert!((offset - 3_600_000_000_000).abs() < 1_000_000_000, "{offset}");
        let paused = Persisted { paused: true, ..p };
        r.restore(paused, 0);
        assert_eq!(r.epoch_ns(r.now()), p.emulated_ns);
    }
}
