//! CreateGameSession and DescribeGameSessions, in both protocols.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::*;

fn basic(fleet: &str) -> Value {
    json!({ "FleetId": fleet, "MaximumPlayerSessionCount": 4 })
}

#[tokio::test(start_paused = true)]
async fn create_game_session_by_fleet_id_returns_every_field_then_activates() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .create(
                proto,
                json!({
                    "FleetId": FLEET, "MaximumPlayerSessionCount": 8, "Name": "arena",
                    "GameProperties": [{"Key": "mode", "Value": "ctf"}],
                    "CreatorId": "player-1", "GameSessionData": "data",
                }),
            )
            .await;
        let gs = &r.assert_ok()["GameSession"];
        let id = gs["GameSessionId"].as_str().unwrap();
        let prefix = format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET}/gsess-");
        assert!(id.starts_with(&prefix), "{id}");
        assert_eq!(id.len(), prefix.len() + 36);
        assert_eq!(gs["FleetId"], FLEET);
        assert_eq!(gs["FleetArn"], format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{FLEET}"));
        assert_eq!(gs["Status"], "ACTIVATING");
        assert_eq!(gs["Name"], "arena");
        assert_eq!(gs["MaximumPlayerSessionCount"], 8);
        assert_eq!(gs["CurrentPlayerSessionCount"], 0);
        assert_eq!(gs["PlayerSessionCreationPolicy"], "ACCEPT_ALL");
        assert_eq!(gs["CreatorId"], "player-1");
        assert_eq!(gs["GameSessionData"], "data");
        assert_eq!(gs["GameProperties"], json!([{"Key": "mode", "Value": "ctf"}]));
        assert_eq!(gs["Location"], "us-east-1");
        assert_eq!(gs["IpAddress"], "127.0.0.1");
        assert_eq!(gs["DnsName"], "localhost");
        assert_eq!(gs["Port"], 7777);
        assert!(gs["CreationTime"].as_f64().unwrap() > 1.6e9);
        assert!(gs.get("TerminationTime").is_none());

        tokio::time::advance(Duration::from_millis(499)).await;
        assert_eq!(api.describe_one(proto, id).await["Status"], "ACTIVATING");
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(api.describe_one(proto, id).await["Status"], "ACTIVE");
    }
}

#[tokio::test(start_paused = true)]
async fn lifecycle_driver_activates_sessions_without_requests() {
    let api = Api::new();
    let em = api.em.clone();
    let driver = tokio::spawn(gamelift_emulator::lifecycle::run(em.clone(), std::future::pending()));
    let r = api.create(Proto::Json, basic(FLEET)).await;
    let id = r.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let status = em.inspect(|w| w.game_session_by_id(&id).map(|s| s.status.as_str()).unwrap_or("?"));
    assert_eq!(status, "ACTIVE");
    driver.abort();
}

#[tokio::test(start_paused = true)]
async fn create_game_session_fixture_fleet_delay_wins_over_the_flag() {
    let api = Api::new();
    let r = api.create(Proto::Json, basic(FLEET_TINY)).await;
    let id = r.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
    tokio::time::advance(Duration::from_millis(999)).await;
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "ACTIVATING");
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "ACTIVE");
}

#[tokio::test]
async fn create_game_session_by_arn_and_alias_resolves_the_fleet() {
    for proto in BOTH {
        let api = Api::new();
        for target in [
            json!({ "FleetId": format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{FLEET}") }),
            json!({ "AliasId": ALIAS_SIMPLE }),
            json!({ "AliasId": format!("arn:aws:gamelift:us-east-1::alias/{ALIAS_SIMPLE}") }),
        ] {
            let mut input = target.clone();
            input["MaximumPlayerSessionCount"] = json!(2);
            let r = api.create(proto, input).await;
            assert_eq!(r.assert_ok()["GameSession"]["FleetId"], FLEET, "{target}");
        }
    }
}

#[tokio::test]
async fn create_game_session_in_remote_location_puts_location_in_the_arn() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .create(
                proto,
                json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2, "Location": "us-west-2" }),
            )
            .await;
        let gs = &r.assert_ok()["GameSession"];
        let id = gs["GameSessionId"].as_str().unwrap();
        assert!(
            id.starts_with(&format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET}/us-west-2/gsess-")),
            "{id}"
        );
        assert_eq!(gs["Location"], "us-west-2");
    }
}

#[tokio::test]
async fn create_game_session_errors_are_named_as_aws_names_them() {
    let cases: Vec<(Value, &str, Option<&str>)> = vec![
        (json!({ "MaximumPlayerSessionCount": 1 }), "InvalidRequestException", None),
        (
            json!({ "FleetId": FLEET, "AliasId": ALIAS_SIMPLE, "MaximumPlayerSessionCount": 1 }),
            "InvalidRequestException",
            None,
        ),
        (
            json!({ "FleetId": "fleet-99999999-0000-4000-8000-000000000000", "MaximumPlayerSessionCount": 1 }),
            "NotFoundException",
            None,
        ),
        (
            json!({ "FleetId": "arn:aws:gamelift:us-east-1:123456789012:fleet/fleet-99999999-0000-4000-8000-000000000000", "MaximumPlayerSessionCount": 1 }),
            "NotFoundException",
            None,
        ),
        (
            json!({ "AliasId": "alias-99999999-0000-4000-8000-000000000000", "MaximumPlayerSessionCount": 1 }),
            "NotFoundException",
            None,
        ),
        (
            json!({ "AliasId": ALIAS_TERMINAL, "MaximumPlayerSessionCount": 1 }),
            "TerminalRoutingStrategyException",
            Some("This game has ended. Please update your client."),
        ),
        (basic(FLEET_ACTIVATING), "InvalidFleetStatusException", None),
        (
            json!({ "FleetId": FLEET_TINY, "MaximumPlayerSessionCount": 1, "Location": "ap-northeast-1" }),
            "InvalidFleetStatusException",
            None,
        ),
        (
            json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1, "Location": "eu-west-1" }),
            "InvalidRequestException",
            None,
        ),
        (
            json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1, "Location": "mars-north-1" }),
            "UnsupportedRegionException",
            None,
        ),
        (
            json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": -1 }),
            "InvalidRequestException",
            Some(
                "1 validation error detected: Value '-1' at 'maximumPlayerSessionCount' failed to satisfy constraint: Member must have value greater than or equal to 0",
            ),
        ),
        (
            json!({ "FleetId": FLEET }),
            "InvalidRequestException",
            Some(
                "1 validation error detected: Value null at 'maximumPlayerSessionCount' failed to satisfy constraint: Member must not be null",
            ),
        ),
        (
            json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1, "IdempotencyToken": "bad token!" }),
            "InvalidRequestException",
            Some(
                "1 validation error detected: Value 'bad token!' at 'idempotencyToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-]+",
            ),
        ),
        (json!({ "FleetId": "bad id", "MaximumPlayerSessionCount": 1 }), "InvalidRequestException", None),
        (json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": "5" }), "SerializationException", None),
    ];
    for proto in BOTH {
        let api = Api::new();
        for (input, code, message) in &cases {
            let r = api.create(proto, input.clone()).await;
            assert_eq!(r.error_type(), *code, "{proto:?} {input} -> {}", r.body);
            assert_eq!(r.status, 400);
            if let Some(m) = message {
                assert_eq!(r.message(), *m, "{input}");
            }
        }
    }
}

#[tokio::test]
async fn create_game_session_too_long_name_and_too_many_properties_are_both_reported() {
    let api = Api::new();
    let props: Vec<Value> = (0..17).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect();
    let r = api
        .create(Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1, "Name": "n".repeat(2000), "GameProperties": props }))
        .await;
    r.assert_error("InvalidRequestException");
    let m = r.message();
    assert!(m.starts_with("2 validation errors detected: "), "{m}");
    assert!(
        m.contains(
            "at 'name' failed to satisfy constraint: Member must have length less than or equal to 1024"
        ),
        "{m}"
    );
    assert!(m.contains("at 'gameProperties' failed to satisfy constraint: Member must have length less than or equal to 16"), "{m}");
}

#[tokio::test]
async fn create_game_session_full_location_is_capacity_exceeded() {
    for proto in BOTH {
        let api = Api::new();
        let a = api.create(proto, basic(FLEET_TINY)).await;
        let b = api.create(proto, basic(FLEET_TINY)).await;
        assert_ne!(a.assert_ok()["GameSession"]["Port"], b.assert_ok()["GameSession"]["Port"]);
        api.create(proto, basic(FLEET_TINY)).await.assert_error("FleetCapacityExceededException");
    }
}

#[tokio::test]
async fn create_game_session_creator_limits_are_limit_exceeded() {
    for proto in BOTH {
        let api = Api::new();
        let limited = json!({ "FleetId": FLEET_LIMITED, "MaximumPlayerSessionCount": 1, "CreatorId": "p1" });
        api.create(proto, limited.clone()).await.assert_ok();
        api.create(proto, limited.clone()).await.assert_ok();
        api.create(proto, limited).await.assert_error("LimitExceededException");
        let other = json!({ "FleetId": FLEET_LIMITED, "MaximumPlayerSessionCount": 1, "CreatorId": "p2" });
        api.create(proto, other).await.assert_ok();
        // Without a CreatorId the policy does not apply (issue 15), however many in a row.
        let anonymous = json!({ "FleetId": FLEET_LIMITED, "MaximumPlayerSessionCount": 1 });
        for _ in 0..3 {
            api.create(proto, anonymous.clone()).await.assert_ok();
        }

        let unlimited = json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1, "CreatorId": "p1" });
        api.create(proto, unlimited.clone()).await.assert_ok();
        api.create(proto, unlimited).await.assert_error("LimitExceededException");
    }
}

#[tokio::test]
async fn create_game_session_idempotency_token_replays_the_original() {
    for proto in BOTH {
        let api = Api::new();
        let input = json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 3, "IdempotencyToken": "tok-1" });
        let a = api.create(proto, input.clone()).await;
        let b = api.create(proto, input.clone()).await;
        let id = a.assert_ok()["GameSession"]["GameSessionId"].clone();
        assert_eq!(b.assert_ok()["GameSession"]["GameSessionId"], id);
        assert_eq!(id, format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET}/tok-1"));
        let mut changed = input.clone();
        changed["MaximumPlayerSessionCount"] = json!(4);
        api.create(proto, changed).await.assert_error("IdempotentParameterMismatchException");
        let all = api.call(proto, "DescribeGameSessions", json!({ "FleetId": FLEET })).await;
        assert_eq!(all.assert_ok()["GameSessions"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn create_game_session_reused_custom_id_is_a_mismatch() {
    for proto in BOTH {
        let api = Api::new();
        let input = json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 3, "GameSessionId": "custom-1" });
        let a = api.create(proto, input.clone()).await;
        assert!(a.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().ends_with("/custom-1"));
        let r = api.create(proto, input).await;
        r.assert_error("IdempotentParameterMismatchException");
        assert_eq!(r.message(), "A game session with this custom ID string already exists in this fleet.");
    }
}

#[tokio::test]
async fn describe_game_sessions_pages_filters_and_names_errors() {
    for proto in BOTH {
        let api = Api::new();
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(
                api.create(proto, basic(FLEET)).await.assert_ok()["GameSession"]["GameSessionId"].clone(),
            );
        }
        let west = api
            .create(
                proto,
                json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2, "Location": "us-west-2" }),
            )
            .await;
        let west_id = west.assert_ok()["GameSession"]["GameSessionId"].clone();

        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut tokens = Vec::new();
        loop {
            let mut input = json!({ "FleetId": FLEET, "Limit": 2, "Location": "us-east-1" });
            if let Some(t) = &token {
                input["NextToken"] = json!(t);
            }
            let r = api.call(proto, "DescribeGameSessions", input).await;
            let body = r.assert_ok();
            seen.extend(body["GameSessions"].as_array().unwrap().iter().map(|g| g["GameSessionId"].clone()));
            match body.get("NextToken") {
                Some(t) => {
                    let t = t.as_str().unwrap().to_string();
                    assert!(!tokens.contains(&t), "token repeated");
                    tokens.push(t.clone());
                    token = Some(t);
                }
                None => break,
            }
        }
        assert_eq!(seen, ids);

        let by_alias = api.call(proto, "DescribeGameSessions", json!({ "AliasId": ALIAS_SIMPLE })).await;
        assert_eq!(by_alias.assert_ok()["GameSessions"].as_array().unwrap().len(), 6);
        let west_only = api
            .call(proto, "DescribeGameSessions", json!({ "FleetId": FLEET, "Location": "us-west-2" }))
            .await;
        assert_eq!(
            west_only.assert_ok()["GameSessions"],
            json!([api.describe_one(proto, west_id.as_str().unwrap()).await])
        );
        let active = api
            .call(proto, "DescribeGameSessions", json!({ "FleetId": FLEET, "StatusFilter": "ACTIVE" }))
            .await;
        assert_eq!(active.assert_ok()["GameSessions"], json!([]));
        let activating = api
            .call(proto, "DescribeGameSessions", json!({ "FleetId": FLEET, "StatusFilter": "ACTIVATING" }))
            .await;
        assert_eq!(activating.assert_ok()["GameSessions"].as_array().unwrap().len(), 6);

        for (input, code) in [
            (json!({}), "InvalidRequestException"),
            (json!({ "FleetId": FLEET, "StatusFilter": "BOGUS" }), "InvalidRequestException"),
            (json!({ "FleetId": FLEET, "NextToken": "garbage" }), "InvalidRequestException"),
            (json!({ "FleetId": "fleet-99999999-0000-4000-8000-000000000000" }), "NotFoundException"),
            (json!({ "AliasId": ALIAS_TERMINAL }), "TerminalRoutingStrategyException"),
            (
                json!({ "GameSessionId": format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET}/gsess-nope") }),
                "NotFoundException",
            ),
        ] {
            api.call(proto, "DescribeGameSessions", input).await.assert_error(code);
        }
    }
}

#[tokio::test]
async fn reset_returns_the_world_to_the_fixtures() {
    let api = Api::new();
    api.create(Proto::Json, basic(FLEET)).await.assert_ok();
    api.em.reset();
    let r = api.call(Proto::Json, "DescribeGameSessions", json!({ "FleetId": FLEET })).await;
    assert_eq!(r.assert_ok()["GameSessions"], json!([]));
}
