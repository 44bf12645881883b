//! Fault injection through `/_emulator/faults`: injected errors in both codecs with the real
//! envelope, counts, seeded probabilities, delays that do not hold the world, and game-server
//! faults (socket dropped, heartbeats stopped, crash).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use gamelift_emulator::model::compute::ProcessMessage;
use serde_json::{Value, json};

use crate::game_servers::{Process, create_on_anywhere};
use crate::harness::*;

async fn control(api: &Api, method: &str, path: &str, body: Value) -> Reply {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    api.send(req).await
}

/// `POST /_emulator/faults/processes`: `fault` for process `pid` of the Anywhere fleet.
async fn process_fault(api: &Api, pid: &str, fault: &str) -> Reply {
    let body = json!({ "FleetId": FLEET_ANYWHERE, "ProcessId": pid, "Fault": fault });
    control(api, "POST", "/_emulator/faults/processes", body).await
}

async fn add(api: &Api, rules: Value) -> Reply {
    control(api, "POST", "/_emulator/faults", rules).await
}

fn session_input() -> Value {
    json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2 })
}

#[tokio::test(start_paused = true)]
async fn a_counted_error_fails_that_many_requests_in_either_codec_then_stops() {
    for proto in BOTH {
        let api = Api::new();
        let r = add(
            &api,
            json!({ "Operation": "CreateGameSession", "ErrorCode": "LimitExceededException", "Count": 2 }),
        )
        .await;
        assert_eq!(r.assert_ok()["Faults"][0]["Id"], "fault-1");
        for _ in 0..2 {
            let r = api.create(proto, session_input()).await;
            r.assert_error("LimitExceededException");
            assert!(r.message().contains("injected fault"), "{}", r.body);
            if proto == Proto::Cbor {
                assert_eq!(r.body["__type"], "com.amazonaws.gamelift#LimitExceededException");
            } else {
                assert_eq!(r.headers["x-amzn-errortype"], "LimitExceededException");
            }
            assert!(r.headers.contains_key("x-amzn-requestid"));
        }
        // Other operations are untouched, and the third call goes through.
        api.call(proto, "DescribeGameSessions", json!({ "FleetId": FLEET })).await.assert_ok();
        api.create(proto, session_input()).await.assert_ok();
        let list = control(&api, "GET", "/_emulator/faults", Value::Null).await;
        let rule = &list.assert_ok()["Faults"][0];
        assert_eq!((&rule["Matched"], &rule["Fired"]), (&json!(3), &json!(2)), "{rule}");
        // Nothing was created by the failed calls.
        let d = api.call(proto, "DescribeGameSessions", json!({ "FleetId": FLEET })).await;
        assert_eq!(d.assert_ok()["GameSessions"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test(start_paused = true)]
async fn internal_errors_are_500_and_throttling_is_a_400_every_sdk_retries() {
    for proto in BOTH {
        let api = Api::new();
        add(
            &api,
            json!([
                { "Operation": "DescribeGameSessions", "ErrorCode": "InternalServiceException", "Count": 1 },
                { "Operation": "*", "ErrorCode": "ThrottlingException", "Message": "Rate exceeded", "Count": 1 }
            ]),
        )
        .await
        .assert_ok();
        let r = api.call(proto, "DescribeGameSessions", json!({ "FleetId": FLEET })).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
        assert_eq!(r.error_type(), "InternalServiceException");
        // The wildcard rule: any operation; ThrottlingException is not a GameLift shape, so
        // CBOR names it without the namespace, as AWS's protocol errors are named.
        let r = api.call(proto, "ListFleets", json!({})).await;
        r.assert_error("ThrottlingException");
        assert_eq!(r.body["__type"], "ThrottlingException");
        assert_eq!(r.message(), "Rate exceeded");
        api.call(proto, "ListFleets", json!({})).await.assert_ok();
    }
}

#[tokio::test(start_paused = true)]
async fn a_seeded_probability_fails_the_same_requests_on_every_run() {
    async fn run() -> Vec<bool> {
        let api = Api::new();
        add(&api, json!({ "Operation": "*", "ErrorCode": "InternalServiceException", "Probability": 0.25, "Seed": 7 }))
            .await
            .assert_ok();
        let mut failed = Vec::new();
        for _ in 0..40 {
            let r = api.call(Proto::Json, "ListFleets", json!({})).await;
            failed.push(r.status == StatusCode::INTERNAL_SERVER_ERROR);
        }
        let list = control(&api, "GET", "/_emulator/faults", Value::Null).await;
        let fired = list.assert_ok()["Faults"][0]["Fired"].as_u64().unwrap_or(0);
        assert_eq!(fired as usize, failed.iter().filter(|f| **f).count());
        failed
    }
    let first = run().await;
    assert_eq!(first, run().await);
    let n = first.iter().filter(|f| **f).count();
    assert!((3..=20).contains(&n), "{n} of 40 failed at p=0.25");
}

#[tokio::test(start_paused = true)]
async fn a_delay_stalls_only_its_operation_and_does_not_hold_the_world() {
    let api = std::sync::Arc::new(Api::new());
    add(&api, json!({ "Operation": "DescribeGameSessions", "DelayMs": 1500 })).await.assert_ok();
    let started = tokio::time::Instant::now();
    let slow = {
        let api = api.clone();
        tokio::spawn(async move {
            let r = api.call(Proto::Cbor, "DescribeGameSessions", json!({ "FleetId": FLEET })).await;
            (r.status, tokio::time::Instant::now())
        })
    };
    tokio::task::yield_now().await;
    // While it sleeps, other requests (which take the world lock) go through at once.
    api.create(Proto::Json, session_input()).await.assert_ok();
    assert_eq!(tokio::time::Instant::now(), started);
    assert!(!slow.is_finished());
    let (status, done) = slow.await.expect("join");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done - started, Duration::from_millis(1500));
}

#[tokio::test(start_paused = true)]
async fn delete_and_reset_clear_the_rules() {
    let api = Api::new();
    add(&api, json!({ "Operation": "ListFleets", "ErrorCode": "InternalServiceException" }))
        .await
        .assert_ok();
    let r = control(&api, "DELETE", "/_emulator/faults", Value::Null).await;
    assert_eq!(r.assert_ok()["Faults"], json!([]));
    api.call(Proto::Json, "ListFleets", json!({})).await.assert_ok();

    add(&api, json!({ "Operation": "ListFleets", "ErrorCode": "InternalServiceException" }))
        .await
        .assert_ok();
    control(&api, "POST", "/_emulator/reset", Value::Null).await.assert_ok();
    api.call(Proto::Json, "ListFleets", json!({})).await.assert_ok();
    let list = control(&api, "GET", "/_emulator/faults", Value::Null).await;
    assert_eq!(list.assert_ok()["Faults"], json!([]));
}

#[tokio::test(start_paused = true)]
async fn bad_rules_are_400s_that_say_what_is_wrong_and_add_nothing() {
    let api = Api::new();
    let cases = [
        (
            json!({ "Operation": "CreateGameSessions", "ErrorCode": "ThrottlingException" }),
            "not a GameLift operation",
        ),
        (json!({ "Operation": "*", "ErrorCode": "Boom" }), "cannot be injected"),
        (json!({ "Operation": "*", "ErrorCode": "ThrottlingException", "Probability": 2 }), "Probability"),
        (json!({ "Operation": "*", "DelayMs": 600000 }), "DelayMs"),
        (json!([{ "Operation": "*", "DelayMs": 10 }, { "Operation": "*" }]), "Faults[1]"),
    ];
    for (rule, needle) in cases {
        let r = add(&api, rule.clone()).await;
        r.assert_error("InvalidRequestException");
        assert!(r.message().contains(needle), "{rule}: {}", r.message());
    }
    let r = add(&api, json!({ "Operation": "*", "Errorcode": "ThrottlingException" })).await;
    r.assert_error("SerializationException");
    assert!(r.message().contains("Errorcode"), "{}", r.message());
    let list = control(&api, "GET", "/_emulator/faults", Value::Null).await;
    assert_eq!(list.assert_ok()["Faults"], json!([]));
}

async fn hosted_session(api: &Api, p: &mut Process<'_>) -> String {
    p.ok("ActivateServerProcess", json!({ "Port": 7777 }));
    p.ok("HeartbeatServerProcess", json!({ "HealthStatus": true }));
    let id = create_on_anywhere(api).await.assert_ok()["GameSession"]["GameSessionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(p.push().expect("push")["Action"], "CreateGameSession");
    p.ok("ActivateGameSession", json!({ "GameSessionId": id }));
    id
}

#[tokio::test(start_paused = true)]
async fn a_crashed_process_drops_its_socket_and_its_session_ends_at_once() {
    let api = Api::new();
    let mut p = Process::attach(&api, "proc-1");
    let id = hosted_session(&api, &mut p).await;
    let r = process_fault(&api, "proc-1", "CRASH").await;
    r.assert_ok();
    assert_eq!(p.message(), Some(ProcessMessage::Abort), "the socket drops without a close frame");
    let gs = api.describe_one(Proto::Json, &id).await;
    assert_eq!(gs["Status"], "TERMINATED");
    // No capacity is left on the fleet: the process is gone.
    create_on_anywhere(&api).await.assert_error("FleetCapacityExceededException");
    let r = process_fault(&api, "proc-1", "CRASH").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_type(), "NotFoundException");
}

#[tokio::test(start_paused = true)]
async fn a_dropped_socket_keeps_the_process_for_the_grace_period_only() {
    let mut config = gamelift_emulator::Config::for_tests();
    config.process_reconnect_grace = Duration::from_secs(3);
    let api = Api::with(config);
    let mut p = Process::attach(&api, "proc-1");
    let id = hosted_session(&api, &mut p).await;
    process_fault(&api, "proc-1", "DROP_CONNECTION").await.assert_ok();
    assert_eq!(p.message(), Some(ProcessMessage::Abort));
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "ACTIVE");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "TERMINATED");
}

#[tokio::test(start_paused = true)]
async fn stopped_heartbeats_make_the_process_unhealthy_after_the_timeout() {
    let mut config = gamelift_emulator::Config::for_tests();
    config.process_heartbeat_timeout = Duration::from_secs(5);
    let api = Api::with(config);
    let mut p = Process::attach(&api, "proc-1");
    p.ok("ActivateServerProcess", json!({ "Port": 7777 }));
    p.ok("HeartbeatServerProcess", json!({ "HealthStatus": true }));
    process_fault(&api, "proc-1", "STOP_HEARTBEATS").await.assert_ok();
    tokio::time::advance(Duration::from_secs(4)).await;
    // The process keeps sending heartbeats; they are lost.
    p.ok("HeartbeatServerProcess", json!({ "HealthStatus": true }));
    tokio::time::advance(Duration::from_secs(1)).await;
    create_on_anywhere(&api).await.assert_error("FleetCapacityExceededException");
    let r = process_fault(&api, "proc-1", "EXPLODE").await;
    r.assert_error("InvalidRequestException");
}
