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
    /// Wall time at start, epoch milliseconds.
    base_wall_ms: i64,
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

impl Clock {
    /// Starts the clock at the current wall time, running or paused.
    pub fn start(paused: bool) -> Self {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        Self {
            base: Instant::now(),
            base_wall_ms: wall,
            state: Mutex::new(State { paused, anchor_real: Duration::ZERO, anchor_emulated: Duration::ZERO }),
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
        Now { at: self.base + elapsed, wall_ms: self.base_wall_ms + elapsed.as_millis() as i64 }
    }

    /// The current emulated time.
    pub fn now(&self) -> Now {
        let st = *self.state();
        self.at(self.emulated_elapsed(&st))
    }

    /// Whether time stands still.
    pub fn is_paused(&self) -> bool {
        self.state().paused
    }

    /// Moves emulated time forward by `by` (at most `MAX_ADVANCE`); returns the new time.
    /// Applying the transitions that became due is the caller's job (`Emulator::advance_clock`).
    pub fn advance(&self, by: Duration) -> Now {
        let by = by.min(MAX_ADVANCE);
        let mut st = self.state();
        let emulated = self.emulated_elapsed(&st) + by;
        st.anchor_real = self.real_elapsed();
        st.anchor_emulated = emulated;
        self.at(emulated)
    }

    /// Stops time (idempotent).
    pub fn pause(&self) {
        let mut st = self.state();
        if !st.paused {
            st.anchor_emulated = self.emulated_elapsed(&st);
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
}
