//! CreatePlayerSession(s), DescribePlayerSessions, timeouts and the control API.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use gamelift_emulator::Config;
use serde_json::json;

use crate::harness::*;
use crate::sessions_lifecycle::active_session;

async fn control(api: &Api, id: &str, action: &str) -> Reply {
    api.send(Request::post(format!("/_emulator/player-sessions/{id}/{action}")).body(Body::empty()).unwrap())
        .await
}

#[tokio::test(start_paused = true)]
async fn create_player_sessions_reserve_seats_all_or_nothing() {
    for proto in BOTH {
        let api = Api::new();
        let gs =
            active_session(&api, proto, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 3 })).await;
        let r = api
            .call(
                proto,
                "CreatePlayerSessions",
                json!({ "GameSessionId": gs, "PlayerIds": ["a", "b"], "PlayerDataMap": {"a": "data-a", "zz": "ignored"} }),
            )
            .await;
        let ps = r.assert_ok()["PlayerSessions"].as_array().unwrap().clone();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0]["PlayerId"], "a");
        assert_eq!(ps[0]["PlayerData"], "data-a");
        assert!(ps[1].get("PlayerData").is_none());
        assert_eq!(ps[0]["Status"], "RESERVED");
        assert!(ps[0]["PlayerSessionId"].as_str().unwrap().starts_with("psess-"));
        assert_eq!(ps[0]["GameSessionId"], gs);
        assert_eq!(ps[0]["FleetId"], FLEET);
        assert_eq!(ps[0]["Port"], 7777);
        assert_eq!(api.describe_one(proto, &gs).await["CurrentPlayerSessionCount"], 2);

        api.call(proto, "CreatePlayerSessions", json!({ "GameSessionId": gs, "PlayerIds": ["c", "d"] }))
            .await
            .assert_error("GameSessionFullException");
        assert_eq!(api.describe_one(proto, &gs).await["CurrentPlayerSessionCount"], 2);
        api.call(proto, "CreatePlayerSession", json!({ "GameSessionId": gs, "PlayerId": "a" }))
            .await
            .assert_error("InvalidRequestException");
        api.call(proto, "CreatePlayerSessions", json!({ "GameSessionId": gs, "PlayerIds": ["x", "x"] }))
            .await
            .assert_error("InvalidRequestException");
        api.call(proto, "CreatePlayerSession", json!({ "GameSessionId": gs, "PlayerId": "c" }))
            .await
            .assert_ok();
        api.call(proto, "CreatePlayerSession", json!({ "GameSessionId": gs, "PlayerId": "d" }))
            .await
            .assert_error("GameSessionFullException");
        let players: Vec<String> = (0..26).map(|i| format!("p{i}")).collect();
        api.call(proto, "CreatePlayerSessions", json!({ "GameSessionId": gs, "PlayerIds": players }))
            .await
            .assert_error("InvalidRequestException");
    }
}

#[tokio::test(start_paused = true)]
async fn create_player_session_requires_an_active_accepting_game_session() {
    for proto in BOTH {
        let api = Api::new();
        let r = api.create(proto, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 3 })).await;
        let gs = r.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
        api.call(proto, "CreatePlayerSession", json!({ "GameSessionId": gs, "PlayerId": "a" }))
            .await
            .assert_error("InvalidGameSessionStatusException");
        tokio::time::advance(Duration::from_secs(1)).await;
        api.call(
            proto,
            "UpdateGameSession",
            json!({ "GameSessionId": gs, "PlayerSessionCreationPolicy": "DENY_ALL" }),
        )
        .await
        .assert_ok();
        api.call(proto, "CreatePlayerSession", json!({ "GameSessionId": gs, "PlayerId": "a" }))
            .await
            .assert_error("InvalidGameSessionStatusException");
        let unknown = format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET}/gsess-nope");
        api.call(proto, "CreatePlayerSession", json!({ "GameSessionId": unknown, "PlayerId": "a" }))
            .await
            .assert_error("NotFoundException");
    }
}

#[tokio::test(start_paused = true)]
async fn game_session_holds_at_most_200_players() {
    let api = Api::new();
    let gs = active_session(&api, Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 500 }))
        .await;
    for batch in 0..8 {
        let players: Vec<String> = (0..25).map(|i| format!("p{batch}-{i}")).collect();
        api.call(Proto::Json, "CreatePlayerSessions", json!({ "GameSessionId": gs, "PlayerIds": players }))
            .await
            .assert_ok();
    }
    api.call(Proto::Json, "CreatePlayerSession", json!({ "GameSessionId": gs, "PlayerId": "one-too-many" }))
        .await
        .assert_error("GameSessionFullException");
}

#[tokio::test(start_paused = true)]
async fn reserved_player_sessions_time_out_and_free_their_seat() {
    let mut config = Config::for_tests();
    config.player_session_timeout = Duration::from_secs(3);
    let api = Api::with(config);
    let gs =
        active_session(&api, Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2 })).await;
    let r = api
        .call(Proto::Json, "CreatePlayerSessions", json!({ "GameSessionId": gs, "PlayerIds": ["a", "b"] }))
        .await;
    let ids: Vec<String> = r.assert_ok()["PlayerSessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PlayerSessionId"].as_str().unwrap().to_string())
        .collect();
    let accepted = control(&api, &ids[0], "accept").await;
    assert_eq!(accepted.assert_ok()["PlayerSession"]["Status"], "ACTIVE");
    tokio::time::advance(Duration::from_millis(2999)).await;
    assert_eq!(api.describe_one(Proto::Json, &gs).await["CurrentPlayerSessionCount"], 2);
    tokio::time::advance(Duration::from_millis(1)).await;
    let d = api.call(Proto::Cbor, "DescribePlayerSessions", json!({ "GameSessionId": gs })).await;
    let statuses: Vec<&str> = d.assert_ok()["PlayerSessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ACTIVE", "TIMEDOUT"]);
    assert!(d.body["PlayerSessions"][1].get("TerminationTime").is_some());
    assert_eq!(api.describe_one(Proto::Json, &gs).await["CurrentPlayerSessionCount"], 1);
    api.call(Proto::Json, "CreatePlayerSession", json!({ "GameSessionId": gs, "PlayerId": "b" }))
        .await
        .assert_ok();

    let done = control(&api, &ids[0], "complete").await;
    assert_eq!(done.assert_ok()["PlayerSession"]["Status"], "COMPLETED");
    control(&api, &ids[0], "complete").await.assert_error("InvalidRequestException");
    control(&api, &ids[1], "accept").await.assert_error("InvalidRequestException");
    let missing = control(&api, "psess-nope", "accept").await;
    missing.assert_error("NotFoundException");
}

#[tokio::test(start_paused = true)]
async fn describe_player_sessions_by_id_game_session_and_player() {
    for proto in BOTH {
        let api = Api::new();
        let g1 =
            active_session(&api, proto, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 5 })).await;
        let g2 =
            active_session(&api, proto, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 5 })).await;
        let r = api
            .call(proto, "CreatePlayerSessions", json!({ "GameSessionId": g1, "PlayerIds": ["a", "b", "c"] }))
            .await;
        let first = r.assert_ok()["PlayerSessions"][0]["PlayerSessionId"].as_str().unwrap().to_string();
        api.call(proto, "CreatePlayerSession", json!({ "GameSessionId": g2, "PlayerId": "a" }))
            .await
            .assert_ok();
        control(&api, &first, "accept").await.assert_ok();

        let by_id = api
            .call(
                proto,
                "DescribePlayerSessions",
                json!({ "PlayerSessionId": first, "PlayerSessionStatusFilter": "RESERVED" }),
            )
            .await;
        assert_eq!(by_id.assert_ok()["PlayerSessions"][0]["Status"], "ACTIVE");
        let by_player = api
            .call(
                proto,
                "DescribePlayerSessions",
                json!({ "PlayerId": "a", "PlayerSessionStatusFilter": "COMPLETED" }),
            )
            .await;
        let gss: Vec<&str> = by_player.assert_ok()["PlayerSessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["GameSessionId"].as_str().unwrap())
            .collect();
        assert_eq!(gss, [g1.as_str(), g2.as_str()]);
        let reserved = api
            .call(
                proto,
                "DescribePlayerSessions",
                json!({ "GameSessionId": g1, "PlayerSessionStatusFilter": "RESERVED" }),
            )
            .await;
        assert_eq!(reserved.assert_ok()["PlayerSessions"].as_array().unwrap().len(), 2);

        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut input = json!({ "GameSessionId": g1, "Limit": 2 });
            if let Some(t) = &token {
                input["NextToken"] = json!(t);
            }
            let r = api.call(proto, "DescribePlayerSessions", input).await;
            seen.extend(
                r.assert_ok()["PlayerSessions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["PlayerId"].as_str().unwrap().to_string()),
            );
            match r.body.get("NextToken") {
                Some(t) => token = Some(t.as_str().unwrap().to_string()),
                None => break,
            }
        }
        assert_eq!(seen, ["a", "b", "c"]);
        let nobody = api.call(proto, "DescribePlayerSessions", json!({ "PlayerId": "nobody" })).await;
        assert_eq!(nobody.assert_ok()["PlayerSessions"], json!([]));

        for (input, code) in [
            (json!({}), "InvalidRequestException"),
            (json!({ "PlayerSessionId": first, "PlayerId": "a" }), "InvalidRequestException"),
            (json!({ "GameSessionId": g1, "PlayerSessionStatusFilter": "BOGUS" }), "InvalidRequestException"),
            (json!({ "PlayerSessionId": "psess-nope" }), "NotFoundException"),
            (json!({ "PlayerSessionId": "bad id" }), "InvalidRequestException"),
            (
                json!({ "GameSessionId": format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET}/gsess-nope") }),
                "NotFoundException",
            ),
        ] {
            api.call(proto, "DescribePlayerSessions", input).await.assert_error(code);
        }
    }
}
