//! Event notifications (stand-in): the event log that placement events are published to.
//!
//! This is the minimal form of the interface the event-sinks work provides (the log behind a
//! mutex, `publish` and a long-polling `read`); that work adds the `/_emulator/events`
//! endpoint, SNS and webhooks behind the same two calls.

pub mod envelope;

use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;

/// One event as the log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    /// Its place in the log: 1, 2, …
    pub sequence: u64,
    /// The SNS topic ARN it is addressed to, if any.
    pub notification_target: Option<String>,
    /// The event (the EventBridge-style envelope).
    pub event: Value,
}

/// What [`EventBus::read`] returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventPage {
    /// Events after the requested sequence number, oldest first.
    pub events: Vec<LoggedEvent>,
    /// The sequence number of the newest event (0: none yet).
    pub last_sequence: u64,
}

/// The event log.
#[derive(Debug, Default)]
pub struct EventBus {
    log: Mutex<Vec<LoggedEvent>>,
    published: Notify,
}

impl EventBus {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends to the log (Sequence 1, 2, …); never blocks for long, never fails.
    pub fn publish(&self, notification_target: Option<String>, event: Value) -> u64 {
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        let sequence = log.len() as u64 + 1;
        log.push(LoggedEvent { sequence, notification_target, event });
        drop(log);
        self.published.notify_waiters();
        sequence
    }

    fn page(&self, after: u64) -> EventPage {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        let start = usize::try_from(after).unwrap_or(usize::MAX).min(log.len());
        EventPage { events: log[start..].to_vec(), last_sequence: log.len() as u64 }
    }

    /// Events with Sequence > `after`, oldest first, waiting up to `wait` for at least one.
    pub async fn read(&self, after: u64, wait: Duration) -> EventPage {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.published.notified();
            let page = self.page(after);
            if !page.events.is_empty() || tokio::time::Instant::now() >= deadline {
                return page;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.page(after);
            }
        }
    }
}
