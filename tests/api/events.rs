//! The event log: events published on the bus (as placement and FlexMatch code publishes them)
//! read back through `GET /_emulator/events`, long-polling under paused time, and the errors a
//! bad query gets.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::harness::{Api, Reply};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:placements";

async fn events(api: &Api, query: &str) -> Reply {
    api.send(Request::get(format!("/_emulator/events{query}")).body(Body::empty()).expect("request")).await
}

fn placement_event(kind: &str, placement_id: &str) -> Value {
    json!({
        "version": "0",
        "id": "6b3c3e4f-2a1d-4a5e-9f00-000000000001",
        "detail-type": "GameLift Queue Placement Event",
        "source": "aws.gamelift",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/default"],
        "detail": { "type": kind, "placementId": placement_id },
    })
}

fn sequences(body: &Value) -> Vec<u64> {
    body["Events"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["Sequence"].as_u64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn published_events_read_back_oldest_first_with_their_target() {
    let api = Api::new();
    let empty = events(&api, "").await;
    assert_eq!(empty.assert_ok(), &json!({ "Events": [], "LastSequence": 0 }));
    assert_eq!(empty.headers["content-type"], "application/json");

    let first = placement_event("PlacementFulfilled", "p-1");
    let second = placement_event("PlacementTimedOut", "p-2");
    assert_eq!(api.em.events().publish(Some(TOPIC.into()), first.clone()), 1);
    assert_eq!(api.em.events().publish(None, second.clone()), 2);

    let all = events(&api, "").await;
    assert_eq!(
        all.assert_ok(),
        &json!({
            "Events": [
                { "Sequence": 1, "NotificationTarget": TOPIC, "Event": first },
                { "Sequence": 2, "NotificationTarget": null, "Event": second },
            ],
            "LastSequence": 2,
        })
    );
    let after_one = events(&api, "?after=1").await;
    assert_eq!(sequences(after_one.assert_ok()), [2]);
    assert_eq!(after_one.body["Events"][0]["Event"]["detail"]["placementId"], "p-2");
    let none = events(&api, "?after=2&wait=0").await;
    assert_eq!(none.assert_ok(), &json!({ "Events": [], "LastSequence": 2 }));
}

#[tokio::test]
async fn the_log_and_its_sequence_numbers_survive_a_reset() {
    let api = Api::new();
    api.em.events().publish(None, placement_event("PlacementCancelled", "p-1"));
    let reset = api.send(Request::post("/_emulator/reset").body(Body::empty()).expect("request")).await;
    reset.assert_ok();
    assert_eq!(api.em.events().publish(None, placement_event("PlacementFailed", "p-2")), 2);
    let body = events(&api, "").await;
    assert_eq!(sequences(body.assert_ok()), [1, 2]);
    assert_eq!(body.body["LastSequence"], 2);
}

#[tokio::test(start_paused = true)]
async fn a_long_poll_wakes_when_an_event_is_published() {
    let api = Arc::new(Api::new());
    api.em.events().publish(None, placement_event("PlacementFulfilled", "p-1"));
    let started = Instant::now();
    let poll = tokio::spawn({
        let api = api.clone();
        async move { (events(&api, "?after=1&wait=20").await, started.elapsed()) }
    });
    // Five (paused) seconds pass with nothing new: the request is still waiting.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(!poll.is_finished(), "the long poll answered before any new event");
    api.em.events().publish(Some(TOPIC.into()), placement_event("PlacementTimedOut", "p-2"));
    let (reply, waited) = poll.await.expect("the poll task");
    let body = reply.assert_ok();
    assert_eq!(sequences(body), [2]);
    assert_eq!(body["Events"][0]["NotificationTarget"], TOPIC);
    assert_eq!(body["LastSequence"], 2);
    assert!(waited >= Duration::from_secs(5) && waited < Duration::from_secs(6), "waited {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_long_poll_with_nothing_new_answers_empty_after_wait_seconds() {
    let api = Api::new();
    api.em.events().publish(None, placement_event("PlacementFulfilled", "p-1"));
    let started = Instant::now();
    let reply = events(&api, "?after=1&wait=2.5").await;
    assert_eq!(reply.assert_ok(), &json!({ "Events": [], "LastSequence": 1 }));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(2500) && waited < Duration::from_millis(2510),
        "waited {waited:?}"
    );
    // Without `wait` the answer is immediate, even when empty.
    let started = Instant::now();
    events(&api, "?after=1").await.assert_ok();
    assert_eq!(started.elapsed(), Duration::ZERO);
    // With an event already there, `wait` does not delay the answer.
    let reply = events(&api, "?after=0&wait=20").await;
    assert_eq!(sequences(reply.assert_ok()), [1]);
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test]
async fn bad_query_parameters_are_a_400_naming_the_parameter() {
    let api = Api::new();
    for (query, parameter) in [
        ("?after=-1", "'after'"),
        ("?after=abc", "'after'"),
        ("?after=1.5", "'after'"),
        ("?after=1&after=2", "'after'"),
        ("?wait=21", "'wait'"),
        ("?wait=-1", "'wait'"),
        ("?wait=soon", "'wait'"),
        ("?wait=", "'wait'"),
        ("?limit=5", "'limit'"),
    ] {
        let r = events(&api, query).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.body);
        r.assert_error("InvalidRequestException");
        assert!(r.message().contains(parameter), "{query}: {}", r.message());
        assert_eq!(r.headers["x-amzn-errortype"], "InvalidRequestException");
    }
}

#[tokio::test]
async fn stopping_the_server_ends_long_polls_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let em = gamelift_emulator::Emulator::new(
        gamelift_emulator::Config::for_tests(),
        gamelift_emulator::Fixtures::builtin().expect("fixtures"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gamelift_emulator::run(listener, em.clone(), async move {
        let _ = stop_rx.await;
    }));
    let client = tokio::spawn(async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let request = "GET /_emulator/events?wait=20 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        response
    });
    // Until the request is parked in its long poll.
    tokio::time::timeout(Duration::from_secs(10), async {
        while em.events().waiting_reads() == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the long poll to start");

    let stopping = std::time::Instant::now();
    let _ = stop_tx.send(());
    let served = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(matches!(served, Ok(Ok(Ok(())))), "the server did not stop promptly: {served:?}");
    assert!(stopping.elapsed() < Duration::from_secs(5));
    let response = client.await.expect("client");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with(r#"{"Events":[],"LastSequence":0}"#), "{response}");
}
