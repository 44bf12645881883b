//! Background delivery: each sink follows the log with its own cursor and sends every event it
//! takes (SNS: events with a NotificationTarget; webhooks: all) one at a time, in order, with
//! retries. Nothing here is ever awaited by an API request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use axum::http::{Request, Uri};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::sns::SnsSink;
use super::webhook::WebhookSink;
use super::{Counters, Entry, Shared, SinkSettings, SinkStats, Subscription};

/// How hard a sink tries to deliver one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (first try included).
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each further one.
    pub first_backoff: Duration,
    /// Longest wait for one attempt's response.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 0.5 s → 1 s → 2 s apart, 5 s per attempt.
    fn default() -> Self {
        Self {
            attempts: 4,
            first_backoff: Duration::from_millis(500),
            request_timeout: Duration::from_secs(5),
        }
    }
}

pub(crate) type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub(crate) fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

pub(crate) enum Target {
    Sns(SnsSink),
    Webhook(WebhookSink),
}

/// One sink: where it sends, how far it got, what happened.
pub(crate) struct Sink {
    target: Target,
    name: String,
    /// Sequence number of the last event handled (delivered or given up).
    cursor: AtomicU64,
    counters: Counters,
}

impl Sink {
    pub(crate) fn from_settings(settings: &SinkSettings) -> Vec<Arc<Sink>> {
        let mut sinks = Vec::new();
        if let Some(endpoint) = &settings.sns_endpoint {
            sinks.push(Self::new(
                format!("sns {endpoint}"),
                Target::Sns(SnsSink::new(endpoint.clone(), settings)),
            ));
        }
        for url in &settings.webhooks {
            sinks.push(Self::new(
                format!("webhook {url}"),
                Target::Webhook(WebhookSink::new(url.clone(), settings)),
            ));
        }
        sinks
    }

    fn new(name: String, target: Target) -> Arc<Sink> {
        Arc::new(Sink { target, name, cursor: AtomicU64::new(0), counters: Counters::default() })
    }

    /// Continues after event `sequence` (events up to it count as handled).
    pub(crate) fn skip_to(&self, sequence: u64) {
        self.cursor.fetch_max(sequence, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> SinkStats {
        SinkStats {
            name: self.name.clone(),
            delivered: self.counters.delivered.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
        }
    }

    /// The request for one attempt at `entry`, or `None` when this sink does not take it.
    fn request(&self, entry: &Entry, now_ms: i64) -> Option<Result<Request<Full<Bytes>>, String>> {
        match &self.target {
            Target::Sns(sns) => {
                let topic = entry.logged.notification_target.as_deref().filter(|t| !t.is_empty())?;
                let time = UNIX_EPOCH + Duration::from_millis(u64::try_from(now_ms).unwrap_or(0));
                Some(sns.publish_request(topic, &entry.logged.event, time))
            }
            Target::Webhook(hook) => Some(hook.notification_request(entry)),
        }
    }
}

/// Follows the log forever, delivering each event this sink takes.
pub(crate) async fn run(sink: Arc<Sink>, shared: Arc<Shared>, client: HttpClient, retry: RetryPolicy) {
    let mut sub = Subscription { shared: shared.clone(), cursor: sink.cursor.load(Ordering::Relaxed) };
    loop {
        let (entries, missed) = sub.next_entries().await;
        if missed > 0 {
            Counters::add(&sink.counters.dropped, missed);
            tracing::warn!(
                sink = %sink.name,
                dropped = missed,
                "events dropped before delivery: the sink fell more than {} events behind",
                super::LOG_CAPACITY
            );
        }
        for entry in entries {
            deliver(&sink, &shared, &client, retry, &entry).await;
            sink.cursor.store(entry.logged.sequence, Ordering::Relaxed);
        }
    }
}

/// Why one attempt failed.
enum Failure {
    /// Worth another try: no connection, a timeout, a 5xx or a 429.
    Transient(String),
    /// Not worth another try: a request that cannot be built, or another 4xx.
    Permanent(String),
}

async fn deliver(sink: &Sink, shared: &Shared, client: &HttpClient, retry: RetryPolicy, entry: &Entry) {
    let sequence = entry.logged.sequence;
    let mut backoff = retry.first_backoff;
    let attempts = retry.attempts.max(1);
    for attempt in 1..=attempts {
        let outcome = match sink.request(entry, shared.now_ms()) {
            None => return,
            Some(Err(e)) => Err(Failure::Permanent(e)),
            Some(Ok(req)) => send(client, req, retry.request_timeout).await,
        };
        match outcome {
            Ok(()) => {
                Counters::add(&sink.counters.delivered, 1);
                tracing::debug!(sink = %sink.name, sequence, attempt, "event delivered");
                return;
            }
            Err(Failure::Transient(error)) if attempt < attempts => {
                tracing::debug!(sink = %sink.name, sequence, attempt, %error, "event delivery failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
            Err(Failure::Transient(error) | Failure::Permanent(error)) => {
                Counters::add(&sink.counters.failed, 1);
                tracing::warn!(sink = %sink.name, sequence, attempts = attempt, %error, "event not delivered; giving up");
                return;
            }
        }
    }
}

/// Largest response body read for an error message.
const ERROR_BODY_LIMIT: usize = 4096;

async fn send(client: &HttpClient, req: Request<Full<Bytes>>, timeout: Duration) -> Result<(), Failure> {
    let exchange = async {
        let resp =
            client.request(req).await.map_err(|e| Failure::Transient(format!("request failed: {e}")))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = match Limited::new(resp.into_body(), ERROR_BODY_LIMIT).collect().await {
            Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
            Err(_) => String::new(),
        };
        let error = format!("answered {status}: {}", body.trim());
        if status.is_server_error() || status.as_u16() == 429 {
            Err(Failure::Transient(error))
        } else {
            Err(Failure::Permanent(error))
        }
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Failure::Transient(format!("no response within {timeout:?}"))),
    }
}

/// `host[:port]` of an http URL, for the Host header (and SigV4's canonical `host`).
pub(crate) fn host_header(uri: &Uri) -> Result<String, String> {
    uri.authority().map(|a| a.as_str().to_owned()).ok_or_else(|| format!("{uri} has no host"))
}

/// Epoch milliseconds as SNS writes timestamps: `2026-01-02T03:04:05.678Z`.
pub(crate) fn iso_millis(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// For tests: a `SystemTime` from epoch milliseconds.
#[cfg(test)]
pub(crate) fn system_time(ms: u64) -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Mutex;

    use axum::http::StatusCode;
    use serde_json::json;
    use tokio::sync::mpsc;

    use super::*;
    use crate::events::EventBus;

    /// A log writer the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
        }
    }

    /// One request an endpoint received.
    #[derive(Debug)]
    struct Hit {
        path: String,
        headers: axum::http::HeaderMap,
        body: String,
    }

    impl Hit {
        fn header(&self, name: &str) -> &str {
            self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
        }
    }

    /// An endpoint that answers 503 to its first `failures` requests and 200 after; every
    /// request goes to the returned channel.
    async fn flaky_endpoint(failures: usize) -> (std::net::SocketAddr, mpsc::UnboundedReceiver<Hit>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = mpsc::unbounded_channel();
        let hits = Arc::new(AtomicU64::new(0));
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let tx = tx.clone();
            let hits = hits.clone();
            async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
                let _ = tx.send(Hit {
                    path: parts.uri.path().to_owned(),
                    headers: parts.headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                if hits.fetch_add(1, Ordering::SeqCst) < failures as u64 {
                    (StatusCode::SERVICE_UNAVAILABLE, "try later")
                } else {
                    (StatusCode::OK, "")
                }
            }
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (addr, rx)
    }

    async fn next_hit(rx: &mut mpsc::UnboundedReceiver<Hit>) -> Hit {
        tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.ok().flatten().expect("a request")
    }

    #[tokio::test]
    async fn a_failing_endpoint_is_retried_then_logged_and_the_publisher_never_waits() {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        // 3 failures for the first event (all its attempts), then one more: the second event
        // succeeds on its second attempt.
        let (addr, mut hits) = flaky_endpoint(4).await;
        let mut settings = SinkSettings::none("us-east-1", "123456789012");
        settings.webhooks = vec![format!("http://{addr}/hook").parse().expect("uri")];
        settings.retry = RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_millis(5),
            request_timeout: Duration::from_secs(5),
        };
        let bus = EventBus::new(settings, || 1_767_225_600_000);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = bus.spawn_sinks(async move {
            let _ = stop_rx.await;
        });

        // Publishing returns at once, whatever the sink is doing.
        assert_eq!(bus.publish(None, json!({"n": 1})), 1);
        assert_eq!(bus.publish(Some("arn:aws:sns:us-east-1:123456789012:t".into()), json!({"n": 2})), 2);

        let first = [next_hit(&mut hits).await, next_hit(&mut hits).await, next_hit(&mut hits).await];
        let id = |hit: &Hit| hit.header("x-amz-sns-message-id").to_owned();
        assert!(first.iter().all(|hit| hit.path == "/hook"));
        assert!(
            first.iter().all(|hit| id(hit) == id(&first[0])),
            "one message ID for every retry: {first:?}"
        );
        let second = [next_hit(&mut hits).await, next_hit(&mut hits).await];
        assert_ne!(id(&second[0]), id(&first[0]));
        assert_eq!(id(&second[0]), id(&second[1]));
        // The third event's request proves the second one is settled.
        bus.publish(None, json!({"n": 3}));
        next_hit(&mut hits).await;

        let stats = bus.sink_stats();
        assert_eq!(stats.len(), 1);
        assert!(stats[0].name.starts_with("webhook http://127.0.0.1:"), "{stats:?}");
        assert_eq!((stats[0].failed, stats[0].dropped), (1, 0), "{stats:?}");
        assert!(stats[0].delivered >= 1, "{stats:?}");
        let text = logs.text();
        assert!(text.contains("WARN"), "{text}");
        assert!(text.contains("event not delivered; giving up"), "{text}");
        assert!(text.contains("sequence=1") && text.contains("attempts=3"), "{text}");
        assert!(text.contains("503"), "{text}");
        assert!(!text.contains("sequence=2"), "{text}");

        // The delivery task ends with the server.
        let _ = stop_tx.send(());
        let ended = tokio::time::timeout(Duration::from_secs(5), task.expect("a sink task")).await;
        assert!(ended.is_ok(), "the sink task did not stop");
    }

    #[tokio::test]
    async fn sns_gets_a_signed_publish_for_each_event_with_a_target_only() {
        let (addr, mut hits) = flaky_endpoint(0).await;
        let mut settings = SinkSettings::none("us-east-1", "123456789012");
        settings.sns_endpoint = Some(format!("http://{addr}").parse().expect("uri"));
        settings.sns_access_key = "AKIDEXAMPLE".into();
        let bus = EventBus::new(settings, || 1_767_225_600_000); // 2026-01-01T00:00:00Z
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = bus.spawn_sinks(async move {
            let _ = stop_rx.await;
        });
        bus.publish(None, json!({"n": 1}));
        bus.publish(Some(String::new()), json!({"n": 2}));
        let topic = "arn:aws:sns:eu-west-1:123456789012:placements";
        bus.publish(Some(topic.into()), json!({"n": 3, "detail": {"port": "7777"}}));

        // The first request SNS sees is the third event's: the others have no topic.
        let hit = next_hit(&mut hits).await;
        assert_eq!(hit.path, "/");
        assert_eq!(hit.header("host"), addr.to_string());
        assert_eq!(hit.header("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
        assert_eq!(hit.header("x-amz-date"), "20260101T000000Z");
        assert!(
            hit.header("authorization").starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/sns/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, Signature="
            ),
            "{hit:?}"
        );
        let form: Vec<(String, String)> = serde_urlencoded::from_str(&hit.body).expect("form");
        let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(field("Action"), Some("Publish"));
        assert_eq!(field("Version"), Some("2010-03-31"));
        assert_eq!(field("TopicArn"), Some(topic));
        let message: serde_json::Value = serde_json::from_str(field("Message").unwrap_or("")).expect("json");
        assert_eq!(message, json!({"n": 3, "detail": {"port": "7777"}}));

        // The next request is the next event's (no repeat): the third one was settled.
        bus.publish(Some(topic.into()), json!({"n": 4}));
        let hit = next_hit(&mut hits).await;
        assert!(hit.body.contains("%22n%22%3A4"), "{}", hit.body);
        assert_eq!(bus.sink_stats()[0].delivered, 1);

        let _ = stop_tx.send(());
        let ended = tokio::time::timeout(Duration::from_secs(5), task.expect("a sink task")).await;
        assert!(ended.is_ok(), "the sink task did not stop");
    }
}
