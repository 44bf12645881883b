//! The emulator clock under test control: `/_emulator/clock`, `advance`, `pause`, `resume`,
//! and `--clock paused`.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use gamelift_emulator::Config;
use gamelift_emulator::config::ClockMode;
use serde_json::{Value, json};

use crate::harness::*;

fn paused() -> Api {
    let mut config = Config::for_tests();
    config.clock = ClockMode::Paused;
    Api::with(config)
}

async fn clock(api: &Api) -> Value {
    api.send(Request::get("/_emulator/clock").body(Body::empty()).unwrap()).await.assert_ok().clone()
}

async fn clock_post(api: &Api, action: &str, body: &str) -> Reply {
    api.send(Request::post(format!("/_emulator/clock/{action}")).body(Body::from(body.to_owned())).unwrap())
        .await
}

async fn advance(api: &Api, seconds: f64) -> Value {
    clock_post(api, "advance", &json!({ "Seconds": seconds }).to_string()).await.assert_ok().clone()
}

fn ms(v: &Value) -> i64 {
    (v.as_f64().expect("a number") * 1000.0).round() as i64
}

#[tokio::test(start_paused = true)]
async fn a_paused_clock_moves_only_by_advance_and_applies_what_fell_due() {
    for proto in BOTH {
        let api = paused();
        let c0 = clock(&api).await;
        assert_eq!(c0["Paused"], true);

        let gs = api.create(proto, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 4 })).await;
        let gs = gs.assert_ok()["GameSession"].clone();
        assert_eq!(gs["Status"], "ACTIVATING");
        assert_eq!(ms(&gs["CreationTime"]), ms(&c0["Now"]), "timestamps come from the emulator clock");
        let id = gs["GameSessionId"].as_str().unwrap().to_string();

        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(api.describe_one(proto, &id).await["Status"], "ACTIVATING", "real time changes nothing");
        assert_eq!(clock(&api).await, c0);

        let c1 = advance(&api, 1.0).await;
        assert_eq!(ms(&c1["Now"]) - ms(&c0["Now"]), 1_000);
        assert_eq!(c1["Paused"], true);
        assert_eq!(api.describe_one(proto, &id).await["Status"], "ACTIVE");

        let ps =
            api.call(proto, "CreatePlayerSession", json!({ "GameSessionId": id, "PlayerId": "p1" })).await;
        let ps = ps.assert_ok()["PlayerSession"].clone();
        assert_eq!(ps["Status"], "RESERVED");
        assert_eq!(ms(&ps["CreationTime"]), ms(&c1["Now"]));

        let c2 = advance(&api, 61.0).await;
        assert_eq!(ms(&c2["Now"]) - ms(&c1["Now"]), 61_000);
        let r = api
            .call(proto, "DescribePlayerSessions", json!({ "PlayerSessionId": ps["PlayerSessionId"] }))
            .await;
        let after = r.assert_ok()["PlayerSessions"][0].clone();
        assert_eq!(after["Status"], "TIMEDOUT");
        assert_eq!(
            ms(&after["TerminationTime"]) - ms(&ps["CreationTime"]),
            60_000,
            "the timeout happened at its deadline, not at the end of the advance"
        );
        assert_eq!(api.describe_one(proto, &id).await["CurrentPlayerSessionCount"], 0);
    }
}

#[tokio::test(start_paused = true)]
async fn transitions_scheduled_by_transitions_fire_within_one_advance() {
    let api = paused();
    let gs = api.create(Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 4 })).await;
    let id = gs.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
    advance(&api, 1.0).await;
    api.call(
        Proto::Json,
        "TerminateGameSession",
        json!({ "GameSessionId": id, "TerminationMode": "FORCE_TERMINATE" }),
    )
    .await
    .assert_ok();
    // Retention (30 days) starts when the session is TERMINATED: one advance covers both.
    advance(&api, 31.0 * 86_400.0).await;
    let r = api.call(Proto::Json, "DescribeGameSessions", json!({ "GameSessionId": id })).await;
    r.assert_error("NotFoundException");
}

#[tokio::test(start_paused = true)]
async fn pause_and_resume_stop_and_restart_a_running_clock() {
    let api = Api::new();
    let c0 = clock(&api).await;
    assert_eq!(c0["Paused"], false);
    tokio::time::advance(Duration::from_secs(2)).await;
    let c1 = clock(&api).await;
    assert_eq!(ms(&c1["Now"]) - ms(&c0["Now"]), 2_000, "a running clock follows real time");

    let p = clock_post(&api, "pause", "").await.assert_ok().clone();
    assert_eq!(p["Paused"], true);
    let gs = api.create(Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 4 })).await;
    let id = gs.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(clock(&api).await["Now"], p["Now"]);
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "ACTIVATING");

    let r = clock_post(&api, "resume", "").await.assert_ok().clone();
    assert_eq!(r["Paused"], false);
    assert_eq!(r["Now"], p["Now"], "time continues from where it stood");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "ACTIVE");
    assert_eq!(ms(&clock(&api).await["Now"]) - ms(&p["Now"]), 1_000);
}

#[tokio::test(start_paused = true)]
async fn reset_keeps_the_clock() {
    let api = paused();
    let c = advance(&api, 42.5).await;
    let r = api.send(Request::post("/_emulator/reset").body(Body::empty()).unwrap()).await;
    r.assert_ok();
    assert_eq!(clock(&api).await, c);
}

#[tokio::test(start_paused = true)]
async fn bad_advance_bodies_are_400s_that_say_what_is_wrong() {
    let api = paused();
    let cases = [
        ("", "SerializationException", "Seconds"),
        ("{}", "SerializationException", "Seconds"),
        ("not json", "SerializationException", "advance"),
        (r#"{"Seconds": "ten"}"#, "SerializationException", "Seconds"),
        (r#"{"Seconds": 1, "Minutes": 2}"#, "SerializationException", "Minutes"),
        (r#"{"Seconds": 0}"#, "InvalidRequestException", "greater than 0"),
        (r#"{"Seconds": -5}"#, "InvalidRequestException", "greater than 0"),
        (r#"{"Seconds": 1e300}"#, "InvalidRequestException", "at most"),
    ];
    let before = clock(&api).await;
    for (body, code, needle) in cases {
        let r = clock_post(&api, "advance", body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert_eq!(r.error_type(), code, "{body}: {}", r.body);
        assert!(r.message().contains(needle), "{body}: {}", r.message());
    }
    assert_eq!(clock(&api).await, before, "a refused advance moves nothing");
}

#[tokio::test(start_paused = true)]
async fn a_control_path_with_the_wrong_method_says_which_to_use() {
    let api = Api::new();
    let r = api.send(Request::get("/_emulator/reset").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.message().contains("GET is not allowed on /_emulator/reset"), "{}", r.body);
    let r = api.send(Request::post("/_emulator/clock").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}
