//! Event notifications: one bus that every event goes through (queue placement events now,
//! FlexMatch events later), and the ways they leave the emulator.
//!
//! - The **event log**: every published event gets the next sequence number (1, 2, …) and is
//!   kept in a ring of the last [`LOG_CAPACITY`] events. The log survives `POST /_emulator/reset`
//!   (sequence numbers never go back). Tests read it with `GET /_emulator/events` ([`EventBus::read`]),
//!   in-process consumers follow it with a [`Subscription`].
//! - **Sinks** (`sns.rs`, `webhook.rs`, driven by `delivery.rs`): SNS `Publish` to an
//!   SNS-compatible endpoint, and SNS-style HTTP notifications to webhooks. Each sink is a
//!   subscription of its own, run by a background task that [`EventBus::spawn_sinks`] starts
//!   and the server's shutdown stops. The log itself is the sinks' bounded queue: a sink that
//!   falls more than [`LOG_CAPACITY`] events behind loses the oldest ones (counted and logged).
//!
//! [`EventBus::publish`] takes one short mutex (never the world's), never waits for a sink and
//! cannot fail, so it may be called from anywhere, including inside `Emulator::with_world`.

mod delivery;
pub mod envelope;
mod sns;
mod webhook;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::Uri;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use delivery::RetryPolicy;

use crate::config::Config;

/// How many events the log keeps (the oldest are dropped first).
pub const LOG_CAPACITY: usize = 10_000;

/// The longest `wait` `GET /_emulator/events` accepts, in seconds.
pub const MAX_WAIT_SECONDS: f64 = 20.0;

/// One event as the log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    /// Its place in the log: 1 for the first event published, then 2, 3, …
    pub sequence: u64,
    /// The SNS topic ARN it is addressed to (a queue's NotificationTarget), if any.
    pub notification_target: Option<String>,
    /// The event itself (the EventBridge-style envelope).
    pub event: Value,
}

/// What [`EventBus::read`] returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventPage {
    /// Events after the requested sequence number, oldest first.
    pub events: Vec<LoggedEvent>,
    /// The sequence number of the newest event published so far (0: none yet).
    pub last_sequence: u64,
}

impl EventPage {
    /// The page as `GET /_emulator/events` answers it.
    pub fn to_json(&self) -> Value {
        let events: Vec<Value> = self
            .events
            .iter()
            .map(|e| {
                json!({
                    "Sequence": e.sequence,
                    "NotificationTarget": e.notification_target,
                    "Event": e.event,
                })
            })
            .collect();
        json!({ "Events": events, "LastSequence": self.last_sequence })
    }
}

/// Where events go besides the log, from the command line.
#[derive(Debug, Clone)]
pub struct SinkSettings {
    /// `--sns-endpoint`: publish events that have a NotificationTarget there.
    pub sns_endpoint: Option<Uri>,
    /// Access key and secret key SNS requests are signed with.
    pub sns_access_key: String,
    pub sns_secret_key: String,
    /// `--event-webhook`: POST every event there as an SNS HTTP notification.
    pub webhooks: Vec<Uri>,
    /// The emulator's Region and account: signing Region when a topic ARN names none, and the
    /// placeholder topic ARN of webhook notifications for events without a target.
    pub region: String,
    pub account_id: String,
    /// Attempts, backoff and timeout of each delivery.
    pub retry: RetryPolicy,
}

impl SinkSettings {
    /// No sinks: the log only.
    pub fn none(region: &str, account_id: &str) -> Self {
        Self {
            sns_endpoint: None,
            sns_access_key: "x".into(),
            sns_secret_key: "x".into(),
            webhooks: Vec::new(),
            region: region.into(),
            account_id: account_id.into(),
            retry: RetryPolicy::default(),
        }
    }

    /// The sinks the flags ask for. SNS credentials: `--sns-access-key`/`--sns-secret-key`
    /// (or their `GAMELIFT_EMULATOR_*` variables), else `AWS_ACCESS_KEY_ID`/
    /// `AWS_SECRET_ACCESS_KEY`, else `x`/`x`.
    pub fn from_config(config: &Config) -> Self {
        let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self {
            sns_endpoint: config.sns_endpoint.clone(),
            sns_access_key: config
                .sns_access_key
                .clone()
                .or_else(|| from_env("AWS_ACCESS_KEY_ID"))
                .unwrap_or_else(|| "x".into()),
            sns_secret_key: config
                .sns_secret_key
                .clone()
                .or_else(|| from_env("AWS_SECRET_ACCESS_KEY"))
                .unwrap_or_else(|| "x".into()),
            webhooks: config.event_webhook.clone(),
            region: config.region.clone(),
            account_id: config.account_id.clone(),
            retry: RetryPolicy::default(),
        }
    }
}

/// The emulator's event bus: the log, its subscribers and the sinks.
pub struct EventBus {
    shared: Arc<Shared>,
    sinks: Vec<Arc<delivery::Sink>>,
    retry: RetryPolicy,
}

/// A log entry: the public event plus what every sink of one event shares (SNS gives one
/// message ID and one timestamp to all subscriptions of a publish).
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) logged: LoggedEvent,
    pub(crate) message_id: uuid::Uuid,
    pub(crate) published_ms: i64,
}

struct Log {
    entries: VecDeque<Arc<Entry>>,
    last_sequence: u64,
}

type WallClock = Box<dyn Fn() -> i64 + Send + Sync>;

pub(crate) struct Shared {
    log: Mutex<Log>,
    /// The newest sequence number, for waiters (updated under the log lock, so it only grows).
    last: watch::Sender<u64>,
    /// Set when the server stops: long polls answer at once.
    stopping: watch::Sender<bool>,
    /// Epoch milliseconds of the emulator's clock (timestamps of notifications, SigV4 dates).
    wall_ms: WallClock,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Log> {
        // Nothing panics while holding this lock; recover the guard anyway rather than lose
        // the log.
        self.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn now_ms(&self) -> i64 {
        (self.wall_ms)()
    }

    /// Entries with a sequence number above `after`, and how many of those were already
    /// dropped from the log.
    fn entries_after(&self, after: u64) -> (Vec<Arc<Entry>>, u64, u64) {
        let log = self.lock();
        let first = log.entries.front().map_or(log.last_sequence + 1, |e| e.logged.sequence);
        let missed = first.saturating_sub(after.saturating_add(1));
        let skip = usize::try_from(after.saturating_add(1).saturating_sub(first)).unwrap_or(usize::MAX);
        let entries = log.entries.iter().skip(skip).cloned().collect();
        (entries, missed, log.last_sequence)
    }
}

impl EventBus {
    /// A bus with the given sinks; `wall_ms` is the emulator's clock in epoch milliseconds.
    /// No task runs until [`EventBus::spawn_sinks`].
    pub fn new(settings: SinkSettings, wall_ms: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        let (last, _) = watch::channel(0);
        let (stopping, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            log: Mutex::new(Log { entries: VecDeque::new(), last_sequence: 0 }),
            last,
            stopping,
            wall_ms: Box::new(wall_ms),
        });
        Self { shared, sinks: delivery::Sink::from_settings(&settings), retry: settings.retry }
    }

    /// Appends an event to the log (Sequence 1, 2, …) and hands it to the sinks; never blocks,
    /// never fails. Returns its sequence number.
    pub fn publish(&self, notification_target: Option<String>, event: Value) -> u64 {
        let published_ms = self.shared.now_ms();
        let message_id = crate::model::ids::random_uuid();
        let mut log = self.shared.lock();
        let sequence = log.last_sequence + 1;
        log.last_sequence = sequence;
        if log.entries.len() >= LOG_CAPACITY {
            log.entries.pop_front();
        }
        log.entries.push_back(Arc::new(Entry {
            logged: LoggedEvent { sequence, notification_target, event },
            message_id,
            published_ms,
        }));
        self.shared.last.send_replace(sequence);
        sequence
    }

    /// Events with Sequence > `after`, oldest first, waiting up to `wait` for at least one
    /// (not at all once [`EventBus::stop_waiting`] was called).
    pub async fn read(&self, after: u64, wait: Duration) -> EventPage {
        if !wait.is_zero() {
            let mut published = self.shared.last.subscribe();
            let mut stopping = self.shared.stopping.subscribe();
            let _ = tokio::time::timeout(wait, async {
                tokio::select! {
                    _ = published.wait_for(|last| *last > after) => {}
                    _ = stopping.wait_for(|stop| *stop) => {}
                }
            })
            .await;
        }
        let (entries, _, last_sequence) = self.shared.entries_after(after);
        EventPage { events: entries.iter().map(|e| e.logged.clone()).collect(), last_sequence }
    }

    /// Ends every long poll now and makes later ones answer at once: the server is stopping,
    /// and a graceful shutdown must not wait up to 20 s for `GET /_emulator/events`.
    pub fn stop_waiting(&self) {
        self.shared.stopping.send_replace(true);
    }

    /// How many long polls are waiting right now.
    pub fn waiting_reads(&self) -> usize {
        self.shared.stopping.receiver_count()
    }

    /// The sequence number of the newest event (0: none yet).
    pub fn last_sequence(&self) -> u64 {
        self.shared.lock().last_sequence
    }

    /// Follows the log from now on (events published from this call on).
    pub fn subscribe(&self) -> Subscription {
        self.subscribe_after(self.last_sequence())
    }

    /// Follows the log from the event after `after` (0: from the oldest event still kept).
    pub fn subscribe_after(&self, after: u64) -> Subscription {
        Subscription { shared: self.shared.clone(), cursor: after }
    }

    /// Makes every sink continue after the newest event logged so far: after a restart the
    /// log is rebuilt by replaying the journal, and its events are not sent again.
    pub fn skip_sinks_to_end(&self) {
        let last = self.last_sequence();
        for sink in &self.sinks {
            sink.skip_to(last);
        }
    }

    /// Delivery counters of each sink, in the order the flags name them (SNS first).
    pub fn sink_stats(&self) -> Vec<SinkStats> {
        self.sinks.iter().map(|s| s.stats()).collect()
    }

    /// Starts one background task that runs every sink until `stop` resolves (then in-flight
    /// deliveries are abandoned). `None` when no sink is configured. A sink continues after the
    /// last event it handled, so serving again after a stop does not deliver events twice.
    pub fn spawn_sinks(&self, stop: impl Future<Output = ()> + Send + 'static) -> Option<JoinHandle<()>> {
        if self.sinks.is_empty() {
            return None;
        }
        let sinks = self.sinks.clone();
        let shared = self.shared.clone();
        let retry = self.retry;
        Some(tokio::spawn(async move {
            let client = delivery::client();
            let runs =
                sinks.into_iter().map(|sink| delivery::run(sink, shared.clone(), client.clone(), retry));
            tokio::select! {
                _ = stop => {}
                _ = futures_util::future::join_all(runs) => {}
            }
        }))
    }
}

/// Delivery counters of one sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkStats {
    /// `sns <endpoint>` or `webhook <url>`.
    pub name: String,
    /// Events the endpoint accepted.
    pub delivered: u64,
    /// Events given up on (a non-retryable answer, or every attempt failed).
    pub failed: u64,
    /// Events dropped from the log before the sink got to them.
    pub dropped: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) delivered: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) dropped: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Events as they arrive, after a cursor: what sinks and live views (a dashboard stream) use.
pub struct Subscription {
    shared: Arc<Shared>,
    cursor: u64,
}

/// What [`Subscription::next`] returns.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The next events, oldest first (at least one).
    pub events: Vec<LoggedEvent>,
    /// Events that fell out of the log before this subscriber read them.
    pub missed: u64,
}

impl Subscription {
    /// The sequence number of the last event handed out.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Waits until at least one event after the cursor exists; returns them and moves on.
    pub async fn next(&mut self) -> Batch {
        let (entries, missed) = self.next_entries().await;
        Batch { events: entries.iter().map(|e| e.logged.clone()).collect(), missed }
    }

    pub(crate) async fn next_entries(&mut self) -> (Vec<Arc<Entry>>, u64) {
        let mut rx = self.shared.last.subscribe();
        loop {
            let cursor = self.cursor;
            // The sender lives as long as `shared`, which this subscription holds: no error.
            let _ = rx.wait_for(|last| *last > cursor).await;
            let (entries, missed, _) = self.shared.entries_after(cursor);
            if let Some(last) = entries.last() {
                self.cursor = last.logged.sequence;
                return (entries, missed);
            }
        }
    }
}

/// Parses the query of `GET /_emulator/events`: `after` (a sequence number, default 0) and
/// `wait` (seconds, 0 to 20, fractions allowed, default 0). The error names the parameter.
pub fn parse_read_query(raw: Option<&str>) -> Result<(u64, Duration), String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| format!("The query string could not be parsed: {e}"))?;
    let mut after = None;
    let mut wait = None;
    for (name, value) in pairs {
        let slot = match name.as_str() {
            "after" => &mut after,
            "wait" => &mut wait,
            other => return Err(format!("Unknown query parameter '{other}'; expected 'after' and 'wait'.")),
        };
        if slot.replace(value).is_some() {
            return Err(format!("Query parameter '{name}' is given more than once."));
        }
    }
    let after = match after {
        None => 0,
        Some(v) => v.parse::<u64>().map_err(|_| {
            format!("Query parameter 'after' must be a sequence number (an integer from 0), got '{v}'.")
        })?,
    };
    let wait = match wait {
        None => Duration::ZERO,
        Some(v) => match v.parse::<f64>() {
            Ok(s) if s.is_finite() && (0.0..=MAX_WAIT_SECONDS).contains(&s) => Duration::from_secs_f64(s),
            _ => {
                return Err(format!(
                    "Query parameter 'wait' must be a number of seconds from 0 to {MAX_WAIT_SECONDS}, got '{v}'."
                ));
            }
        },
    };
    Ok((after, wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus() -> EventBus {
        EventBus::new(SinkSettings::none("us-east-1", "123456789012"), || 1_700_000_000_000)
    }

    #[test]
    fn sequence_numbers_start_at_one_and_the_log_keeps_the_newest() {
        let bus = bus();
        for i in 0..(LOG_CAPACITY as u64 + 5) {
            assert_eq!(bus.publish(None, json!({ "n": i })), i + 1);
        }
        let (entries, missed, last) = bus.shared.entries_after(0);
        assert_eq!(entries.len(), LOG_CAPACITY);
        assert_eq!(missed, 5);
        assert_eq!(last, LOG_CAPACITY as u64 + 5);
        assert_eq!(entries[0].logged.sequence, 6);
        let (tail, missed, _) = bus.shared.entries_after(LOG_CAPACITY as u64 + 3);
        assert_eq!((tail.len(), missed), (2, 0));
        let (none, _, _) = bus.shared.entries_after(u64::MAX);
        assert!(none.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_subscription_sees_every_event_once_in_order() {
        let bus = bus();
        bus.publish(None, json!(1));
        let mut sub = bus.subscribe();
        assert_eq!(sub.cursor(), 1);
        let waiter = tokio::spawn(async move {
            let mut seen = Vec::new();
            while seen.len() < 3 {
                seen.extend(sub.next().await.events.into_iter().map(|e| e.sequence));
            }
            seen
        });
        for n in 2..=4 {
            bus.publish(Some("arn:aws:sns:us-east-1:123456789012:t".into()), json!(n));
            tokio::task::yield_now().await;
        }
        assert_eq!(waiter.await.ok(), Some(vec![2, 3, 4]));
    }

    #[test]
    fn the_read_query_is_checked_parameter_by_parameter() {
        assert_eq!(parse_read_query(None), Ok((0, Duration::ZERO)));
        assert_eq!(parse_read_query(Some("after=7&wait=2.5")), Ok((7, Duration::from_millis(2500))));
        assert_eq!(parse_read_query(Some("wait=20")), Ok((0, Duration::from_secs(20))));
        for (query, names) in [
            ("after=-1", "'after'"),
            ("after=x", "'after'"),
            ("after=1&after=2", "'after'"),
            ("wait=21", "'wait'"),
            ("wait=-0.5", "'wait'"),
            ("wait=NaN", "'wait'"),
            ("wait=inf", "'wait'"),
            ("After=1", "'After'"),
        ] {
            let err = parse_read_query(Some(query)).err().unwrap_or_default();
            assert!(err.contains(names), "{query}: {err}");
        }
    }
}
