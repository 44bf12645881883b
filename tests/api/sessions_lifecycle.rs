//! UpdateGameSession, TerminateGameSession, DescribeGameSessionDetails, GetGameSessionLogUrl,
//! GetPlayerConnectionDetails and retention, in both protocols.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use gamelift_emulator::Config;
use serde_json::{Value, json};

use crate::harness::*;

pub async fn active_session(api: &Api, proto: Proto, input: Value) -> String {
    let r = api.create(proto, input).await;
    let id = r.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(api.describe_one(proto, &id).await["Status"], "ACTIVE");
    id
}

#[tokio::test(start_paused = true)]
async fn update_game_session_changes_fields_and_merges_properties() {
    for proto in BOTH {
        let api = Api::new();
        let id = active_session(
            &api,
            proto,
            json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 4,
                    "GameProperties": [{"Key": "mode", "Value": "ctf"}, {"Key": "map", "Value": "dust"}] }),
        )
        .await;
        let r = api
            .call(
                proto,
                "UpdateGameSession",
                json!({ "GameSessionId": id, "MaximumPlayerSessionCount": 10, "Name": "renamed",
                        "PlayerSessionCreationPolicy": "DENY_ALL", "ProtectionPolicy": "FullProtection",
                        "GameProperties": [{"Key": "mode", "Value": "koth"}, {"Key": "tier", "Value": "gold"}] }),
            )
            .await;
        let gs = &r.assert_ok()["GameSession"];
        assert_eq!(gs["MaximumPlayerSessionCount"], 10);
        assert_eq!(gs["Name"], "renamed");
        assert_eq!(gs["PlayerSessionCreationPolicy"], "DENY_ALL");
        assert_eq!(
            gs["GameProperties"],
            json!([{"Key": "mode", "Value": "koth"}, {"Key": "map", "Value": "dust"}, {"Key": "tier", "Value": "gold"}])
        );
        let d = api.call(proto, "DescribeGameSessionDetails", json!({ "GameSessionId": id })).await;
        assert_eq!(d.assert_ok()["GameSessionDetails"][0]["ProtectionPolicy"], "FullProtection");

        let too_many: Vec<Value> = (0..15).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect();
        api.call(proto, "UpdateGameSession", json!({ "GameSessionId": id, "GameProperties": too_many }))
            .await
            .assert_error("InvalidRequestException");
        api.call(
            proto,
            "UpdateGameSession",
            json!({ "GameSessionId": id, "PlayerSessionCreationPolicy": "BOGUS" }),
        )
        .await
        .assert_error("InvalidRequestException");
        let unknown = format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET}/gsess-nope");
        api.call(proto, "UpdateGameSession", json!({ "GameSessionId": unknown, "Name": "x" }))
            .await
            .assert_error("NotFoundException");
    }
}

#[tokio::test(start_paused = true)]
async fn terminate_game_session_walks_terminating_to_terminated_and_frees_the_slot() {
    for (proto, mode, reason) in [
        (Proto::Json, "TRIGGER_ON_PROCESS_TERMINATE", "TRIGGERED_ON_PROCESS_TERMINATE"),
        (Proto::Cbor, "FORCE_TERMINATE", "FORCE_TERMINATED"),
    ] {
        let api = Api::new();
        let a = active_session(&api, proto, json!({ "FleetId": FLEET_TINY, "MaximumPlayerSessionCount": 2 }))
            .await;
        active_session(&api, proto, json!({ "FleetId": FLEET_TINY, "MaximumPlayerSessionCount": 2 })).await;
        api.create(proto, json!({ "FleetId": FLEET_TINY, "MaximumPlayerSessionCount": 2 }))
            .await
            .assert_error("FleetCapacityExceededException");

        let r = api
            .call(proto, "TerminateGameSession", json!({ "GameSessionId": a, "TerminationMode": mode }))
            .await;
        assert_eq!(r.assert_ok()["GameSession"]["Status"], "TERMINATING");
        // Still holding its slot while TERMINATING.
        api.create(proto, json!({ "FleetId": FLEET_TINY, "MaximumPlayerSessionCount": 2 }))
            .await
            .assert_error("FleetCapacityExceededException");
        tokio::time::advance(Duration::from_millis(500)).await;
        let gs = api.describe_one(proto, &a).await;
        assert_eq!(gs["Status"], "TERMINATED");
        assert_eq!(gs["StatusReason"], reason);
        assert!(gs["TerminationTime"].as_f64().unwrap() >= gs["CreationTime"].as_f64().unwrap());
        api.create(proto, json!({ "FleetId": FLEET_TINY, "MaximumPlayerSessionCount": 2 })).await.assert_ok();

        let again = api
            .call(proto, "TerminateGameSession", json!({ "GameSessionId": a, "TerminationMode": mode }))
            .await;
        again.assert_error("InvalidGameSessionStatusException");
        api.call(proto, "UpdateGameSession", json!({ "GameSessionId": a, "Name": "late" }))
            .await
            .assert_error("InvalidGameSessionStatusException");
        api.call(proto, "TerminateGameSession", json!({ "GameSessionId": a }))
            .await
            .assert_error("InvalidRequestException");
    }
}

#[tokio::test(start_paused = true)]
async fn terminate_game_session_completes_its_player_sessions() {
    let api = Api::new();
    let id =
        active_session(&api, Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 4 })).await;
    let r =
        api.call(Proto::Json, "CreatePlayerSession", json!({ "GameSessionId": id, "PlayerId": "p1" })).await;
    let ps = r.assert_ok()["PlayerSession"]["PlayerSessionId"].as_str().unwrap().to_string();
    api.call(
        Proto::Json,
        "TerminateGameSession",
        json!({ "GameSessionId": id, "TerminationMode": "FORCE_TERMINATE" }),
    )
    .await
    .assert_ok();
    tokio::time::advance(Duration::from_millis(500)).await;
    let d = api.call(Proto::Json, "DescribePlayerSessions", json!({ "PlayerSessionId": ps })).await;
    let p = &d.assert_ok()["PlayerSessions"][0];
    assert_eq!(p["Status"], "COMPLETED");
    assert!(p.get("TerminationTime").is_some());
    assert_eq!(api.describe_one(Proto::Json, &id).await["CurrentPlayerSessionCount"], 0);
}

#[tokio::test(start_paused = true)]
async fn describe_game_session_details_reports_each_sessions_protection() {
    for proto in BOTH {
        let api = Api::new();
        api.create(proto, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1 })).await.assert_ok();
        api.create(
            proto,
            json!({ "FleetId": FLEET_LIMITED, "MaximumPlayerSessionCount": 1, "CreatorId": "c" }),
        )
        .await
        .assert_ok();
        let a = api.call(proto, "DescribeGameSessionDetails", json!({ "FleetId": FLEET })).await;
        assert_eq!(a.assert_ok()["GameSessionDetails"][0]["ProtectionPolicy"], "NoProtection");
        assert_eq!(a.body["GameSessionDetails"][0]["GameSession"]["FleetId"], FLEET);
        let b = api.call(proto, "DescribeGameSessionDetails", json!({ "FleetId": FLEET_LIMITED })).await;
        assert_eq!(b.assert_ok()["GameSessionDetails"][0]["ProtectionPolicy"], "FullProtection");
        api.call(proto, "DescribeGameSessionDetails", json!({ "AliasId": ALIAS_TERMINAL }))
            .await
            .assert_error("TerminalRoutingStrategyException");
        let paged =
            api.call(proto, "DescribeGameSessionDetails", json!({ "FleetId": FLEET, "Limit": 1 })).await;
        assert!(paged.assert_ok().get("NextToken").is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn get_game_session_log_url_serves_the_lifecycle_log() {
    let api = Api::new();
    let id =
        active_session(&api, Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1 })).await;
    let r = api.call(Proto::Cbor, "GetGameSessionLogUrl", json!({ "GameSessionId": id })).await;
    let url = r.assert_ok()["PreSignedUrl"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let path = &url[url.find("/_emulator").unwrap()..];
    let resp = api.send(Request::get(path).body(Body::empty()).unwrap()).await;
    assert_eq!(resp.status, 200);
    let text = String::from_utf8(resp.raw).unwrap();
    assert!(text.contains(&id) && text.contains("ACTIVE"), "{text}");
    let unknown = format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET}/gsess-nope");
    api.call(Proto::Json, "GetGameSessionLogUrl", json!({ "GameSessionId": unknown }))
        .await
        .assert_error("NotFoundException");
}

#[tokio::test(start_paused = true)]
async fn get_player_connection_details_points_at_the_game_session() {
    for proto in BOTH {
        let api = Api::new();
        let r = api.create(proto, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2 })).await;
        let id = r.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
        api.call(proto, "GetPlayerConnectionDetails", json!({ "GameSessionId": id, "PlayerIds": ["p1"] }))
            .await
            .assert_error("InvalidGameSessionStatusException");
        tokio::time::advance(Duration::from_secs(1)).await;
        let r = api
            .call(
                proto,
                "GetPlayerConnectionDetails",
                json!({ "GameSessionId": id, "PlayerIds": ["p1", "p2"] }),
            )
            .await;
        let d = r.assert_ok();
        assert_eq!(d["PlayerConnectionDetails"][1]["PlayerId"], "p2");
        assert_eq!(
            d["PlayerConnectionDetails"][0]["Endpoints"][0],
            json!({ "IpAddress": "127.0.0.1", "Port": 7777 })
        );
    }
}

#[tokio::test(start_paused = true)]
async fn retention_purges_ended_sessions_and_frees_their_tokens() {
    let mut config = Config::for_tests();
    config.retention = Duration::from_secs(60);
    let api = Api::with(config);
    let input = json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1, "IdempotencyToken": "tok-r" });
    let id = active_session(&api, Proto::Json, input.clone()).await;
    api.call(
        Proto::Json,
        "TerminateGameSession",
        json!({ "GameSessionId": id, "TerminationMode": "FORCE_TERMINATE" }),
    )
    .await
    .assert_ok();
    tokio::time::advance(Duration::from_millis(500)).await;
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "TERMINATED");
    // Within retention the token still names the ended session.
    assert_eq!(
        api.create(Proto::Json, input.clone()).await.assert_ok()["GameSession"]["Status"],
        "TERMINATED"
    );
    tokio::time::advance(Duration::from_secs(60)).await;
    api.call(Proto::Json, "DescribeGameSessions", json!({ "GameSessionId": id }))
        .await
        .assert_error("NotFoundException");
    // After retention the token is free again.
    assert_eq!(api.create(Proto::Json, input).await.assert_ok()["GameSession"]["Status"], "ACTIVATING");
}

#[tokio::test(start_paused = true)]
async fn retention_keeps_the_world_flat_under_create_terminate_cycles() {
    let mut config = Config::for_tests();
    config.retention = Duration::from_secs(5);
    config.player_session_timeout = Duration::from_secs(2);
    config.game_session_activation_delay = Duration::ZERO;
    config.game_session_termination_delay = Duration::ZERO;
    let api = Api::with(config);
    let mut peak = 0;
    for round in 0..50 {
        for _ in 0..10 {
            let r =
                api.create(Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1 })).await;
            let id = r.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
            api.call(Proto::Json, "CreatePlayerSession", json!({ "GameSessionId": id, "PlayerId": "p" }))
                .await;
            api.call(
                Proto::Json,
                "TerminateGameSession",
                json!({ "GameSessionId": id, "TerminationMode": "FORCE_TERMINATE" }),
            )
            .await
            .assert_ok();
        }
        tokio::time::advance(Duration::from_secs(1)).await;
        let (sessions, timers) =
            api.em.with_world(|w, _| (w.counts().game_sessions, w.counts().pending_timers));
        if round >= 10 {
            assert!(sessions <= peak.max(70), "round {round}: {sessions} sessions retained");
        }
        peak = peak.max(sessions);
        // Stale timers (a timeout for a player session that already ended) stay queued until
        // their deadline, so the queue is bounded by rate × (retention + timeout), not by time.
        assert!(timers <= 120, "round {round}: {timers} timers pending");
    }
}
