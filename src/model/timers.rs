//! The deadline-ordered queue of timed transitions.
//!
//! One queue for the whole world (not a task per session): the lifecycle driver sleeps until
//! the earliest deadline, then `World::advance` pops and applies every due entry. Entries are
//! facts about the future ("activate session 42 at t"); applying one re-checks the current
//! state, so an entry made stale by a later change is a no-op.

use std::collections::BTreeMap;
use std::sync::Arc;

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
    // Game session placement
    /// A waiting placement tries again (stale unless `generation` is its latest retry).
    PlacementRetry {
        /// The placement's sequence number.
        seq: u64,
        /// Which retry this is.
        generation: u64,
    },
    /// Capacity was freed: every waiting placement tries again.
    RetryWaitingPlacements,
    /// A placement's queue timeout passed (→ TIMED_OUT if still PENDING).
    PlacementTimeout(u64),
    /// An ended placement's retention is over: forget it.
    PurgePlacement(u64),
}

/// The object a timer acts on. When an object changes so that its pending timers no longer
/// apply (a session ended, a player session was accepted, a process reconnected, a fleet was
/// deleted), the code cancels them by subject, so the queue holds only timers of live objects
/// (`World::check_invariants` checks that).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// A game session, by sequence number.
    GameSession(u64),
    /// A player session, by sequence number.
    PlayerSession(u64),
    /// A game-server process: (fleet ID, pID).
    Process(Arc<str>, Arc<str>),
    /// A fleet, its locations or its instances.
    Fleet(Arc<str>),
    /// A game session placement, by sequence number.
    Placement(u64),
    /// Every waiting placement at once.
    WaitingPlacements,
}

impl Timer {
    /// The object this timer acts on.
    pub fn subject(&self) -> Subject {
        match self {
            Timer::ActivateGameSession(seq)
            | Timer::FinishTermination(seq)
            | Timer::PurgeGameSession(seq)
            | Timer::ActivationTimeout(seq)
            | Timer::ProcessExitTimeout(seq) => Subject::GameSession(*seq),
            Timer::PlayerSessionTimeout(seq) => Subject::PlayerSession(*seq),
            Timer::ProcessGone { fleet, pid, .. } | Timer::HeartbeatMissed { fleet, pid, .. } => {
                Subject::Process(fleet.clone(), pid.clone())
            }
            Timer::Fleet(t) => Subject::Fleet(t.fleet().clone()),
            Timer::PlacementRetry { seq, .. } | Timer::PlacementTimeout(seq) | Timer::PurgePlacement(seq) => {
                Subject::Placement(*seq)
            }
            Timer::RetryWaitingPlacements => Subject::WaitingPlacements,
        }
    }
}

/// The queue, ordered by (deadline, scheduling order): entries with equal deadlines come out in
/// the order they were scheduled. A B-tree rather than a binary heap: a heap is one vector that
/// doubles by copying every entry at once, under the world lock, which with a million pending
/// timeouts is a visible stall; a B-tree grows a node at a time. A second B-tree indexes the
/// entries by subject, so cancelling an object's timers costs its own timers, not the queue.
#[derive(Debug, Default)]
pub struct Timers {
    queue: BTreeMap<(Instant, u64), Timer>,
    by_subject: BTreeMap<(Subject, u64), Instant>,
    order: u64,
}

impl Timers {
    /// Schedules `timer` at `at`.
    pub fn schedule(&mut self, at: Instant, timer: Timer) {
        self.order += 1;
        self.by_subject.insert((timer.subject(), self.order), at);
        self.queue.insert((at, self.order), timer);
    }

    /// Removes and returns the earliest entry due at or before `now`, with its deadline.
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, Timer)> {
        let entry = self.queue.first_entry()?;
        let at = entry.key().0;
        if at > now {
            return None;
        }
        let ((_, order), timer) = entry.remove_entry();
        self.by_subject.remove(&(timer.subject(), order));
        Some((at, timer))
    }

    /// Removes the pending timers of `subject` for which `which` holds; returns how many.
    pub fn cancel(&mut self, subject: &Subject, which: impl Fn(&Timer) -> bool) -> usize {
        let range = (subject.clone(), 0)..=(subject.clone(), u64::MAX);
        let keys: Vec<(u64, Instant)> = self.by_subject.range(range).map(|((_, o), at)| (*o, *at)).collect();
        let mut removed = 0;
        for (order, at) in keys {
            if self.queue.get(&(at, order)).is_some_and(&which) {
                self.queue.remove(&(at, order));
                self.by_subject.remove(&(subject.clone(), order));
                removed += 1;
            }
        }
        removed
    }

    /// Every pending entry with its deadline, earliest first.
    pub fn iter(&self) -> impl Iterator<Item = (Instant, &Timer)> {
        self.queue.iter().map(|((at, _), t)| (*at, t))
    }

    /// Whether the subject index agrees with the queue (for `World::check_invariants`).
    pub(crate) fn index_agrees(&self) -> Result<(), String> {
        if self.by_subject.len() != self.queue.len() {
            return Err(format!(
                "Timers::by_subject has {} entries for {} queued timers",
                self.by_subject.len(),
                self.queue.len()
            ));
        }
        for ((at, order), timer) in &self.queue {
            if self.by_subject.get(&(timer.subject(), *order)) != Some(at) {
                return Err(format!("Timers::by_subject misses queued timer {timer:?}"));
            }
        }
        Ok(())
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
        assert!(q.index_agrees().is_ok());
    }

    #[test]
    fn cancel_removes_only_the_chosen_timers_of_one_subject() {
        let t0 = Instant::now();
        let mut q = Timers::default();
        q.schedule(t0, Timer::ActivateGameSession(1));
        q.schedule(t0, Timer::PurgeGameSession(1));
        q.schedule(t0, Timer::ActivateGameSession(2));
        q.schedule(t0, Timer::PlayerSessionTimeout(1));
        let n = q.cancel(&Subject::GameSession(1), |t| matches!(t, Timer::ActivateGameSession(_)));
        assert_eq!(n, 1);
        assert_eq!(q.len(), 3);
        assert!(q.index_agrees().is_ok());
        let left: Vec<Timer> = std::iter::from_fn(|| q.pop_due(t0)).map(|(_, t)| t).collect();
        assert_eq!(
            left,
            vec![Timer::PurgeGameSession(1), Timer::ActivateGameSession(2), Timer::PlayerSessionTimeout(1)]
        );
        assert!(q.is_empty());
        assert!(q.index_agrees().is_ok());
    }
}
