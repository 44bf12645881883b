//! The deadline-ordered queue of timed transitions.
//!
//! One queue for the whole world (not a task per session): the lifecycle driver sleeps until
//! the earliest deadline, then `World::advance` pops and applies every due entry. Entries are
//! facts about the future ("activate session 42 at t"); applying one re-checks the current
//! state, so an entry made stale by a later change is a no-op.

use std::collections::BTreeMap;

use tokio::time::Instant;

/// A timed transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timer {
    /// A timer-driven game session finishes activating (ACTIVATING → ACTIVE).
    ActivateGameSession(u64),
    /// A game session finishes terminating (TERMINATING → TERMINATED).
    FinishTermination(u64),
    /// A RESERVED player session was not accepted in time (→ TIMEDOUT).
    PlayerSessionTimeout(u64),
    /// An ended game session's retention is over: forget it.
    PurgeGameSession(u64),
    /// A process-hosted game session was not activated within the fleet's
    /// GameSessionActivationTimeoutSeconds.
    ActivationTimeout(u64),
    /// A process told to terminate (TerminateProcess) did not call ProcessEnding in time.
    ProcessExitTimeout(u64),
    /// A disconnected process did not reconnect within the grace period.
    ProcessGone {
        /// Fleet ID.
        fleet: std::sync::Arc<str>,
        /// pID.
        pid: std::sync::Arc<str>,
        /// The process epoch the timer was set for.
        epoch: u64,
    },
    /// A process sent no heartbeat within the heartbeat timeout.
    HeartbeatMissed {
        /// Fleet ID.
        fleet: std::sync::Arc<str>,
        /// pID.
        pid: std::sync::Arc<str>,
        /// The process epoch the timer was set for.
        epoch: u64,
    },
    // Fleets
    /// A fleet, location or instance transition (see `fleet::FleetTimer`).
    Fleet(super::fleet::FleetTimer),
    // (end of fleets)
}

/// The queue, ordered by (deadline, scheduling order): entries with equal deadlines come out in
/// the order they were scheduled. A B-tree rather than a binary heap: a heap is one vector that
/// doubles by copying every entry at once, under the world lock, which with a million pending
/// timeouts is a visible stall; a B-tree grows a node at a time.
#[derive(Debug, Default)]
pub struct Timers {
    queue: BTreeMap<(Instant, u64), Timer>,
    order: u64,
}

impl Timers {
    /// Schedules `timer` at `at`.
    pub fn schedule(&mut self, at: Instant, timer: Timer) {
        self.order += 1;
        self.queue.insert((at, self.order), timer);
    }

    /// Removes and returns the earliest entry due at or before `now`, with its deadline.
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, Timer)> {
        let entry = self.queue.first_entry()?;
        let at = entry.key().0;
        if at <= now { Some((at, entry.remove())) } else { None }
    }

    /// The earliest deadline, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.queue.first_key_value().map(|((at, _), _)| *at)
    }

    /// Number of pending entries.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn due_entries_come_out_in_deadline_then_schedule_order() {
        let t0 = Instant::now();
        let mut q = Timers::default();
        q.schedule(t0 + Duration::from_secs(2), Timer::ActivateGameSession(2));
        q.schedule(t0 + Duration::from_secs(1), Timer::ActivateGameSession(1));
        q.schedule(t0 + Duration::from_secs(1), Timer::ActivateGameSession(3));
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(q.pop_due(t0), None);
        let now = t0 + Duration::from_secs(1);
        assert_eq!(q.pop_due(now), Some((now, Timer::ActivateGameSession(1))));
        assert_eq!(q.pop_due(now), Some((now, Timer::ActivateGameSession(3))));
        assert_eq!(q.pop_due(now), None);
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_secs(2)));
        assert_eq!(q.len(), 1);
    }
}
