//! Game session placement: Start/Describe/StopGameSessionPlacement, the candidate filters and
//! orderings, retries, timeouts, cancellation, failures and the placement events, in both
//! protocols with paused time.

use std::time::Duration;

use gamelift_emulator::Config;
use serde_json::{Value, json};

use crate::harness::*;
use crate::queues::{QUEUE_ARN_PREFIX, create_queue, fleet_arn};

async fn start(api: &Api, proto: Proto, input: Value) -> Value {
    let r = api.call(proto, "StartGameSessionPlacement", input).await;
    r.assert_ok()["GameSessionPlacement"].clone()
}

/// Creates queue `name` with `fleet` as its one destination.
async fn queue_on(api: &Api, proto: Proto, name: &str, fleet: &str) {
    let destinations = json!([{ "DestinationArn": fleet_arn(fleet) }]);
    create_queue(api, proto, json!({ "Name": name, "Destinations": destinations })).await;
}

/// Starts placement `id` of a two-player game session on `queue`.
async fn place(api: &Api, proto: Proto, id: &str, queue: &str) -> Value {
    start(
        api,
        proto,
        json!({ "PlacementId": id, "GameSessionQueueName": queue, "MaximumPlayerSessionCount": 2 }),
    )
    .await
}

async fn describe(api: &Api, proto: Proto, id: &str) -> Value {
    let r = api.call(proto, "DescribeGameSessionPlacement", json!({ "PlacementId": id })).await;
    r.assert_ok()["GameSessionPlacement"].clone()
}

/// Moves paused time forward in 50 ms steps, applying what falls due at each step (as the
/// lifecycle driver would), so chains of transitions (a retry, then an activation) happen.
async fn advance(api: &Api, secs: f64) {
    let steps = (secs / 0.05).round() as u32;
    for _ in 0..steps {
        tokio::time::advance(Duration::from_millis(50)).await;
        api.em.with_world(|_, _| ());
    }
}

/// Every event published so far: (NotificationTarget, envelope).
async fn events(api: &Api) -> Vec<(Option<String>, Value)> {
    let page = api.em.events().read(0, Duration::ZERO).await;
    page.events.into_iter().map(|e| (e.notification_target, e.event)).collect()
}

fn latencies(entries: &[(&str, &str, f64)]) -> Value {
    Value::Array(
        entries
            .iter()
            .map(|(p, r, ms)| json!({"PlayerId": p, "RegionIdentifier": r, "LatencyInMilliseconds": ms}))
            .collect(),
    )
}

/// Fills the 2 slots default-tiny has in us-east-1.
async fn fill_tiny(api: &Api, proto: Proto) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = api.create(proto, json!({ "FleetId": FLEET_TINY, "MaximumPlayerSessionCount": 2 })).await;
        ids.push(r.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string());
    }
    ids
}

fn region_of(p: &Value) -> String {
    p["GameSessionRegion"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(start_paused = true)]
async fn a_placement_is_pending_then_fulfilled_with_connection_info_player_sessions_and_an_event() {
    for proto in BOTH {
        let api = Api::new();
        let p = start(
            &api,
            proto,
            json!({
                "PlacementId": "p-1",
                "GameSessionQueueName": "default-queue",
                "MaximumPlayerSessionCount": 4,
                "GameSessionName": "match-1",
                "GameProperties": [{"Key": "mode", "Value": "ctf"}],
                "GameSessionData": "map=dust",
                "DesiredPlayerSessions": [{"PlayerId": "alice", "PlayerData": "a-data"}, {"PlayerId": "bob"}]
            }),
        )
        .await;
        assert_eq!(p["Status"], "PENDING");
        assert_eq!(p["GameSessionQueueName"], "default-queue");
        assert_eq!(p["MaximumPlayerSessionCount"], 4);
        assert!(p["StartTime"].as_f64().is_some());
        for absent in
            ["GameSessionArn", "GameSessionId", "IpAddress", "Port", "PlacedPlayerSessions", "EndTime"]
        {
            assert!(p.get(absent).is_none(), "{absent} while PENDING: {p}");
        }
        assert!(events(&api).await.is_empty(), "no event for PENDING");

        advance(&api, 1.0).await;
        let p = describe(&api, proto, "p-1").await;
        assert_eq!(p["Status"], "FULFILLED", "{p}");
        let arn = p["GameSessionArn"].as_str().unwrap().to_string();
        assert_eq!(p["GameSessionId"], arn);
        assert!(arn.starts_with(&format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET}/gsess-")), "{arn}");
        assert_eq!(p["GameSessionRegion"], "us-east-1");
        assert_eq!(p["IpAddress"], "127.0.0.1");
        assert_eq!(p["DnsName"], "localhost");
        assert_eq!(p["Port"], 7777);
        let end = p["EndTime"].as_f64().unwrap();
        let begin = p["StartTime"].as_f64().unwrap();
        assert!((end - begin - 0.5).abs() < 0.01, "fulfilled when the session activated: {begin} → {end}");
        let placed = p["PlacedPlayerSessions"].as_array().unwrap().clone();
        assert_eq!(placed.len(), 2);
        assert_eq!(placed[0]["PlayerId"], "alice");
        assert!(placed[0]["PlayerSessionId"].as_str().unwrap().starts_with("psess-"));

        let gs = api.describe_one(proto, &arn).await;
        assert_eq!(gs["Status"], "ACTIVE");
        assert_eq!(gs["Name"], "match-1");
        assert_eq!(gs["GameProperties"], json!([{"Key": "mode", "Value": "ctf"}]));
        assert_eq!(gs["GameSessionData"], "map=dust");
        assert_eq!(gs["CurrentPlayerSessionCount"], 2);
        let ps = api.call(proto, "DescribePlayerSessions", json!({ "GameSessionId": arn })).await;
        let ps = ps.assert_ok()["PlayerSessions"].as_array().unwrap().clone();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0]["Status"], "RESERVED");
        assert_eq!(ps[0]["PlayerId"], "alice");
        assert_eq!(ps[0]["PlayerData"], "a-data");
        assert_eq!(ps[0]["PlayerSessionId"], placed[0]["PlayerSessionId"]);

        let evs = events(&api).await;
        assert_eq!(evs.len(), 1, "{evs:?}");
        let (target, e) = &evs[0];
        assert_eq!(*target, None);
        assert_eq!(e["detail-type"], "GameLift Queue Placement Event");
        assert_eq!(e["source"], "aws.gamelift");
        assert_eq!(e["account"], "123456789012");
        assert_eq!(e["region"], "us-east-1");
        assert_eq!(e["resources"], json!([format!("{QUEUE_ARN_PREFIX}default-queue")]));
        let d = &e["detail"];
        assert_eq!(d["type"], "PlacementFulfilled");
        assert_eq!(d["placementId"], "p-1");
        assert_eq!(d["port"], "7777");
        assert_eq!(d["gameSessionArn"], arn);
        assert_eq!(d["ipAddress"], "127.0.0.1");
        assert_eq!(d["dnsName"], "localhost");
        assert_eq!(d["gameSessionRegion"], "us-east-1");
        assert_eq!(
            d["placedPlayerSessions"],
            json!([
                {"playerId": "alice", "playerSessionId": placed[0]["PlayerSessionId"]},
                {"playerId": "bob", "playerSessionId": placed[1]["PlayerSessionId"]}
            ])
        );
        assert!(d.get("customEventData").is_none());
        let ms =
            |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().timestamp_millis();
        assert_eq!(ms(&d["startTime"]), (begin * 1000.0).round() as i64);
        assert_eq!(ms(&d["endTime"]), (end * 1000.0).round() as i64);
        assert!(
            d["endTime"].as_str().unwrap().ends_with('Z') && d["endTime"].as_str().unwrap().contains('.')
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_lowest_latency_allowed_location_wins() {
    for proto in BOTH {
        let api = Api::new();
        let dests = json!([{"DestinationArn": fleet_arn(FLEET)}, {"DestinationArn": fleet_arn(FLEET_TINY)}]);
        create_queue(&api, proto, json!({ "Name": "world", "Destinations": dests })).await;
        create_queue(
            &api,
            proto,
            json!({ "Name": "no-west", "Destinations": dests, "FilterConfiguration": {"AllowedLocations": ["us-east-1", "ap-northeast-1"]} }),
        )
        .await;
        // ap-northeast-1 is closest but its location on default-tiny is still ACTIVATING.
        let lat = latencies(&[
            ("p1", "us-east-1", 80.0),
            ("p1", "us-west-2", 40.0),
            ("p1", "ap-northeast-1", 10.0),
            ("p2", "us-east-1", 60.0),
            ("p2", "us-west-2", 50.0),
            ("p2", "ap-northeast-1", 20.0),
        ]);
        for (id, queue, want) in [("w", "world", "us-west-2"), ("e", "no-west", "us-east-1")] {
            let p = start(
                &api,
                proto,
                json!({ "PlacementId": id, "GameSessionQueueName": queue, "MaximumPlayerSessionCount": 2, "PlayerLatencies": lat }),
            )
            .await;
            assert_eq!(p["PlayerLatencies"].as_array().unwrap().len(), 6);
            advance(&api, 1.0).await;
            let p = describe(&api, proto, id).await;
            assert_eq!(p["Status"], "FULFILLED");
            assert_eq!(region_of(&p), want, "{queue}: {p}");
            assert!(p["GameSessionArn"].as_str().unwrap().contains(&format!("/{FLEET}/")));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn latency_policies_tighten_first_and_relax_over_time_and_missing_latencies_never_pass_a_cap() {
    for proto in BOTH {
        let api = Api::new();
        create_queue(
            &api,
            proto,
            json!({
                "Name": "capped",
                "Destinations": [{"DestinationArn": fleet_arn(FLEET)}],
                "PlayerLatencyPolicies": [
                    {"MaximumIndividualPlayerLatencyMilliseconds": 100},
                    {"MaximumIndividualPlayerLatencyMilliseconds": 30, "PolicyDurationSeconds": 10}
                ]
            }),
        )
        .await;
        let full = latencies(&[("p1", "us-east-1", 80.0), ("p1", "us-west-2", 45.0)]);
        let partial =
            latencies(&[("p1", "us-east-1", 80.0), ("p1", "us-west-2", 45.0), ("p2", "us-east-1", 50.0)]);
        for (id, lat) in [("full", &full), ("partial", &partial)] {
            start(
                &api,
                proto,
                json!({ "PlacementId": id, "GameSessionQueueName": "capped", "MaximumPlayerSessionCount": 2, "PlayerLatencies": lat }),
            )
            .await;
        }
        advance(&api, 9.0).await;
        for id in ["full", "partial"] {
            let p = describe(&api, proto, id).await;
            assert_eq!(p["Status"], "PENDING", "30 ms cap for the first 10 s: {p}");
            assert!(p.get("GameSessionArn").is_none());
        }
        advance(&api, 2.0).await;
        let p = describe(&api, proto, "full").await;
        assert_eq!((p["Status"].as_str().unwrap(), region_of(&p).as_str()), ("FULFILLED", "us-west-2"));
        let p = describe(&api, proto, "partial").await;
        assert_eq!(
            (p["Status"].as_str().unwrap(), region_of(&p).as_str()),
            ("FULFILLED", "us-east-1"),
            "p2 reported nothing for us-west-2, so it is over the cap there"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn priority_order_location_order_and_overrides_decide_the_candidate() {
    for proto in BOTH {
        let api = Api::new();
        create_queue(
            &api,
            proto,
            json!({ "Name": "by-dest", "PriorityConfiguration": {"PriorityOrder": ["DESTINATION"]},
                    "Destinations": [{"DestinationArn": fleet_arn(FLEET_TINY)}, {"DestinationArn": fleet_arn(FLEET)}] }),
        )
        .await;
        create_queue(
            &api,
            proto,
            json!({ "Name": "by-loc", "PriorityConfiguration": {"PriorityOrder": ["LOCATION"], "LocationOrder": ["us-west-2", "us-east-1"]},
                    "Destinations": [{"DestinationArn": fleet_arn(FLEET)}] }),
        )
        .await;
        let near_west = latencies(&[("p1", "us-east-1", 90.0), ("p1", "us-west-2", 10.0)]);
        let cases = [
            // DESTINATION before LATENCY: default-tiny is listed first.
            (
                "d",
                json!({ "GameSessionQueueName": "by-dest", "PlayerLatencies": near_west }),
                FLEET_TINY,
                "us-east-1",
            ),
            ("l", json!({ "GameSessionQueueName": "by-loc" }), FLEET, "us-west-2"),
            (
                "o",
                json!({ "GameSessionQueueName": "by-loc", "PriorityConfigurationOverride": {"LocationOrder": ["us-east-1"], "PlacementFallbackStrategy": "NONE"} }),
                FLEET,
                "us-east-1",
            ),
            (
                "fallback",
                json!({ "GameSessionQueueName": "by-loc", "PriorityConfigurationOverride": {"LocationOrder": ["eu-west-1"]} }),
                FLEET,
                "us-west-2",
            ),
        ];
        for (id, mut input, fleet, region) in cases {
            input["PlacementId"] = json!(id);
            input["MaximumPlayerSessionCount"] = json!(2);
            start(&api, proto, input).await;
            advance(&api, 1.0).await;
            let p = describe(&api, proto, id).await;
            assert_eq!(p["Status"], "FULFILLED", "{id}: {p}");
            assert_eq!(region_of(&p), region, "{id}");
            assert!(p["GameSessionArn"].as_str().unwrap().contains(&format!("/{fleet}/")), "{id}: {p}");
        }
        // An override whose locations the queue cannot serve, without fallback, waits.
        let p = start(
            &api,
            proto,
            json!({ "PlacementId": "none", "GameSessionQueueName": "by-loc", "MaximumPlayerSessionCount": 2,
                    "PriorityConfigurationOverride": {"LocationOrder": ["eu-west-1"], "PlacementFallbackStrategy": "NONE"} }),
        )
        .await;
        assert_eq!(
            p["PriorityConfigurationOverride"],
            json!({"LocationOrder": ["eu-west-1"], "PlacementFallbackStrategy": "NONE"})
        );
        advance(&api, 5.0).await;
        assert_eq!(describe(&api, proto, "none").await["Status"], "PENDING");
    }
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_waits_and_is_placed_as_soon_as_a_game_session_ends() {
    for proto in BOTH {
        // Periodic retries far apart: only the freed capacity can explain a quick placement.
        let mut config = Config::for_tests();
        config.placement_retry_interval = Duration::from_secs(300);
        let api = Api::with(config);
        queue_on(&api, proto, "tiny", FLEET_TINY).await;
        let sessions = fill_tiny(&api, proto).await;
        place(&api, proto, "wait", "tiny").await;
        advance(&api, 5.0).await;
        assert_eq!(describe(&api, proto, "wait").await["Status"], "PENDING");
        api.call(
            proto,
            "TerminateGameSession",
            json!({ "GameSessionId": sessions[0], "TerminationMode": "FORCE_TERMINATE" }),
        )
        .await
        .assert_ok();
        advance(&api, 0.5).await; // termination delay: the slot is free now
        assert_eq!(describe(&api, proto, "wait").await["Status"], "PENDING", "its session is activating");
        advance(&api, 1.0).await; // default-tiny's own activation delay
        let p = describe(&api, proto, "wait").await;
        assert_eq!(p["Status"], "FULFILLED", "{p}");
        assert_ne!(p["GameSessionArn"], json!(sessions[0]));
    }
}

#[tokio::test(start_paused = true)]
async fn an_unplaced_placement_times_out_with_the_queue_timeout_and_its_event_carries_custom_data() {
    for proto in BOTH {
        let api = Api::new();
        create_queue(
            &api,
            proto,
            json!({ "Name": "short", "TimeoutInSeconds": 10, "CustomEventData": "cd-1",
                    "NotificationTarget": "arn:aws:sns:us-east-1:123456789012:topic",
                    "Destinations": [{"DestinationArn": fleet_arn(FLEET_TINY)}] }),
        )
        .await;
        fill_tiny(&api, proto).await;
        let p = place(&api, proto, "t", "short").await;
        let begin = p["StartTime"].as_f64().unwrap();
        advance(&api, 9.9).await;
        assert_eq!(describe(&api, proto, "t").await["Status"], "PENDING");
        advance(&api, 0.2).await;
        let p = describe(&api, proto, "t").await;
        assert_eq!(p["Status"], "TIMED_OUT");
        assert!((p["EndTime"].as_f64().unwrap() - begin - 10.0).abs() < 0.01, "{p}");
        let evs = events(&api).await;
        assert_eq!(evs.len(), 1);
        let (target, e) = &evs[0];
        assert_eq!(target.as_deref(), Some("arn:aws:sns:us-east-1:123456789012:topic"));
        assert_eq!(e["resources"], json!([format!("{QUEUE_ARN_PREFIX}short")]));
        assert_eq!(e["detail"]["type"], "PlacementTimedOut");
        assert_eq!(e["detail"]["placementId"], "t");
        assert_eq!(e["detail"]["customEventData"], "cd-1");
        assert!(e["detail"].get("port").is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn stop_cancels_a_waiting_placement_but_not_one_that_has_a_game_session() {
    for proto in BOTH {
        let api = Api::new();
        queue_on(&api, proto, "tiny", FLEET_TINY).await;
        fill_tiny(&api, proto).await;
        place(&api, proto, "c", "tiny").await;
        let r = api.call(proto, "StopGameSessionPlacement", json!({ "PlacementId": "c" })).await;
        let p = &r.assert_ok()["GameSessionPlacement"];
        assert_eq!(p["Status"], "CANCELLED");
        assert!(p["EndTime"].as_f64().is_some());
        let r = api.call(proto, "StopGameSessionPlacement", json!({ "PlacementId": "c" })).await;
        r.assert_error("InvalidRequestException");
        assert!(r.message().contains("CANCELLED"), "{}", r.message());
        let evs = events(&api).await;
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].1["detail"]["type"], "PlacementCancelled");

        // A placement whose game session is activating cannot be stopped.
        place(&api, proto, "busy", "default-queue").await;
        let r = api.call(proto, "StopGameSessionPlacement", json!({ "PlacementId": "busy" })).await;
        r.assert_error("InvalidRequestException");
        assert!(r.message().contains("TerminateGameSession"), "{}", r.message());
        advance(&api, 1.0).await;
        assert_eq!(describe(&api, proto, "busy").await["Status"], "FULFILLED");
        api.call(proto, "StopGameSessionPlacement", json!({ "PlacementId": "busy" }))
            .await
            .assert_error("InvalidRequestException");
        api.call(proto, "StopGameSessionPlacement", json!({ "PlacementId": "never" }))
            .await
            .assert_error("NotFoundException");
    }
}

#[tokio::test(start_paused = true)]
async fn deleting_the_queue_fails_its_pending_placements_and_ends_their_activating_sessions() {
    for proto in BOTH {
        let api = Api::new();
        queue_on(&api, proto, "tiny", FLEET_TINY).await;
        queue_on(&api, proto, "ec2", FLEET).await;
        fill_tiny(&api, proto).await;
        place(&api, proto, "f1", "tiny").await;
        place(&api, proto, "f2", "ec2").await;
        for q in ["tiny", "ec2"] {
            api.call(proto, "DeleteGameSessionQueue", json!({ "Name": q })).await.assert_ok();
        }
        for id in ["f1", "f2"] {
            let p = describe(&api, proto, id).await;
            assert_eq!(p["Status"], "FAILED", "{p}");
            assert!(p["EndTime"].as_f64().is_some());
        }
        advance(&api, 1.0).await;
        let s = api.call(proto, "DescribeGameSessions", json!({ "FleetId": FLEET })).await;
        let statuses: Vec<&str> = s.assert_ok()["GameSessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["Status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["TERMINATED"], "the session made for f2 was ended");
        let kinds: Vec<Value> =
            events(&api).await.into_iter().map(|(_, e)| e["detail"]["type"].clone()).collect();
        assert_eq!(kinds, [json!("PlacementFailed"), json!("PlacementFailed")]);
    }
}

#[tokio::test(start_paused = true)]
async fn a_session_that_ends_before_activating_moves_the_placement_on_or_fails_it_when_nothing_is_left() {
    for proto in BOTH {
        let api = Api::new();
        queue_on(&api, proto, "two", FLEET).await;
        create_queue(
            &api,
            proto,
            json!({ "Name": "one", "Destinations": [{"DestinationArn": fleet_arn(FLEET)}], "FilterConfiguration": {"AllowedLocations": ["us-east-1"]} }),
        )
        .await;
        for (id, queue) in [("moves", "two"), ("fails", "one")] {
            start(
                &api,
                proto,
                json!({ "PlacementId": id, "GameSessionQueueName": queue, "MaximumPlayerSessionCount": 2 }),
            )
            .await;
            // The session it got is still ACTIVATING: end it.
            let s = api
                .call(
                    proto,
                    "DescribeGameSessions",
                    json!({ "FleetId": FLEET, "StatusFilter": "ACTIVATING" }),
                )
                .await;
            // The newest one is this placement's (the other may be "moves"' second attempt).
            let list = s.assert_ok()["GameSessions"].as_array().unwrap().clone();
            let gs = list.last().unwrap()["GameSessionId"].as_str().unwrap().to_string();
            api.call(
                proto,
                "TerminateGameSession",
                json!({ "GameSessionId": gs, "TerminationMode": "FORCE_TERMINATE" }),
            )
            .await
            .assert_ok();
            advance(&api, 0.5).await;
        }
        advance(&api, 1.0).await;
        let p = describe(&api, proto, "moves").await;
        assert_eq!(
            (p["Status"].as_str().unwrap(), region_of(&p).as_str()),
            ("FULFILLED", "us-west-2"),
            "{p}"
        );
        let p = describe(&api, proto, "fails").await;
        assert_eq!(p["Status"], "FAILED", "{p}");
    }
}

#[tokio::test(start_paused = true)]
async fn bad_placement_requests_are_rejected_with_the_right_error() {
    for proto in BOTH {
        let api = Api::new();
        create_queue(
            &api,
            proto,
            json!({ "Name": "by-loc", "PriorityConfiguration": {"PriorityOrder": ["LOCATION"], "LocationOrder": ["us-east-1"]},
                    "Destinations": [{"DestinationArn": fleet_arn(FLEET)}] }),
        )
        .await;
        place(&api, proto, "used", "default-queue").await;
        let base = |extra: Value| {
            let mut v = json!({ "PlacementId": "new", "GameSessionQueueName": "default-queue", "MaximumPlayerSessionCount": 2 });
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            v
        };
        let over = json!({"LocationOrder": ["us-east-1"]});
        let cases: Vec<(Value, &str, &str)> = vec![
            (base(json!({ "PlacementId": "used" })), "InvalidRequestException", "used"),
            (base(json!({ "GameSessionQueueName": "nope" })), "NotFoundException", "nope"),
            (
                base(json!({ "GameSessionQueueName": "by-loc", "PriorityConfigurationOverride": over,
                             "PlayerLatencies": latencies(&[("p", "us-east-1", 5.0)]) })),
                "InvalidRequestException",
                "PlayerLatencies",
            ),
            (base(json!({ "PriorityConfigurationOverride": over })), "InvalidRequestException", "LOCATION"),
            (
                base(
                    json!({ "MaximumPlayerSessionCount": 1, "DesiredPlayerSessions": [{"PlayerId": "a"}, {"PlayerId": "b"}] }),
                ),
                "InvalidRequestException",
                "MaximumPlayerSessionCount",
            ),
            (
                base(json!({ "DesiredPlayerSessions": [{"PlayerId": "a"}, {"PlayerId": "a"}] })),
                "InvalidRequestException",
                "a",
            ),
            (base(json!({ "PlacementId": "bad id!" })), "InvalidRequestException", "placementId"),
            (
                json!({ "PlacementId": "x", "GameSessionQueueName": "default-queue" }),
                "InvalidRequestException",
                "maximumPlayerSessionCount",
            ),
            (
                base(json!({ "PlayerLatencies": [{"PlayerId": "p", "LatencyInMilliseconds": 5.0}] })),
                "InvalidRequestException",
                "RegionIdentifier",
            ),
        ];
        for (input, code, needle) in &cases {
            let r = api.call(proto, "StartGameSessionPlacement", input.clone()).await;
            r.assert_error(code);
            assert!(r.message().contains(needle), "{proto:?} {input}: {}", r.message());
        }
        api.call(proto, "DescribeGameSessionPlacement", json!({ "PlacementId": "new" }))
            .await
            .assert_error("NotFoundException");
    }
}

#[tokio::test(start_paused = true)]
async fn ended_placements_are_kept_for_the_retention_period() {
    let mut config = Config::for_tests();
    config.retention = Duration::from_secs(3600);
    let api = Api::with(config);
    let proto = Proto::Json;
    place(&api, proto, "r", "default-queue").await;
    advance(&api, 1.0).await;
    assert_eq!(describe(&api, proto, "r").await["Status"], "FULFILLED");
    advance(&api, 3598.0).await;
    assert_eq!(describe(&api, proto, "r").await["Status"], "FULFILLED");
    advance(&api, 2.0).await;
    api.call(proto, "DescribeGameSessionPlacement", json!({ "PlacementId": "r" }))
        .await
        .assert_error("NotFoundException");
}

#[tokio::test(start_paused = true)]
async fn alias_destinations_are_resolved_at_each_attempt_and_terminal_ones_skipped() {
    for proto in BOTH {
        let api = Api::new();
        let alias = |id: &str| format!("arn:aws:gamelift:us-east-1::alias/{id}");
        create_queue(
            &api,
            proto,
            json!({ "Name": "aliased", "PriorityConfiguration": {"PriorityOrder": ["DESTINATION"]},
                    "Destinations": [{"DestinationArn": alias(ALIAS_TERMINAL)}, {"DestinationArn": alias(ALIAS_SIMPLE)}] }),
        )
        .await;
        place(&api, proto, "a1", "aliased").await;
        advance(&api, 1.0).await;
        let p = describe(&api, proto, "a1").await;
        assert_eq!(p["Status"], "FULFILLED");
        assert!(p["GameSessionArn"].as_str().unwrap().contains(&format!("/{FLEET}/")), "{p}");

        api.call(
            proto,
            "UpdateAlias",
            json!({ "AliasId": ALIAS_SIMPLE, "RoutingStrategy": {"Type": "SIMPLE", "FleetId": FLEET_TINY} }),
        )
        .await
        .assert_ok();
        place(&api, proto, "a2", "aliased").await;
        advance(&api, 1.0).await;
        let p = describe(&api, proto, "a2").await;
        assert_eq!(p["Status"], "FULFILLED");
        assert!(p["GameSessionArn"].as_str().unwrap().contains(&format!("/{FLEET_TINY}/")), "{p}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_anywhere_placement_waits_for_a_ready_process_then_for_its_activation() {
    let api = Api::new();
    let proto = Proto::Json;
    start(
        &api,
        proto,
        json!({ "PlacementId": "any", "GameSessionQueueName": "default-anywhere-queue", "MaximumPlayerSessionCount": 2,
                "DesiredPlayerSessions": [{"PlayerId": "erin"}] }),
    )
    .await;
    let mut p = crate::game_servers::Process::attach(&api, "placement-proc");
    assert!(p.push().is_none());
    // ProcessReady is new capacity: the waiting placement is tried at once.
    p.ok("ActivateServerProcess", json!({ "SdkVersion": "5.6.0", "Port": 7780, "LogPaths": null }));
    let push = p.push().expect("CreateGameSession push");
    assert_eq!(push["Action"], "CreateGameSession");
    let id = push["GameSessionId"].as_str().unwrap().to_string();
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(describe(&api, proto, "any").await["Status"], "PENDING", "until the process activates it");
    p.ok("ActivateGameSession", json!({ "GameSessionId": id }));
    let d = describe(&api, proto, "any").await;
    assert_eq!(d["Status"], "FULFILLED");
    assert_eq!(
        (&d["GameSessionArn"], &d["GameSessionRegion"], &d["Port"]),
        (&json!(id), &json!("custom-local"), &json!(7780))
    );
    assert_eq!(d["PlacedPlayerSessions"][0]["PlayerId"], "erin");
    let evs = events(&api).await;
    assert_eq!(evs[0].1["detail"]["gameSessionRegion"], "custom-local");
    assert_eq!(evs[0].1["detail"]["port"], "7780");
}

#[tokio::test(start_paused = true)]
async fn an_anywhere_placement_fails_when_its_only_process_ends_before_activating() {
    let api = Api::new();
    let proto = Proto::Json;
    let mut p = crate::game_servers::Process::attach(&api, "quitter");
    p.ok("ActivateServerProcess", json!({ "SdkVersion": "5.6.0", "Port": 7781, "LogPaths": null }));
    // The fleet's home Region is a location too (without computes): allow only custom-local.
    create_queue(
        &api,
        proto,
        json!({ "Name": "custom-only", "Destinations": [{"DestinationArn": fleet_arn(FLEET_ANYWHERE)}],
                "FilterConfiguration": {"AllowedLocations": ["custom-local"]} }),
    )
    .await;
    place(&api, proto, "lost", "custom-only").await;
    assert_eq!(p.push().expect("CreateGameSession push")["Action"], "CreateGameSession");
    p.ok("TerminateServerProcess", json!({}));
    let d = describe(&api, proto, "lost").await;
    assert_eq!(d["Status"], "FAILED", "custom-local was the queue's only location: {d}");
    let kinds: Vec<Value> =
        events(&api).await.into_iter().map(|(_, e)| e["detail"]["type"].clone()).collect();
    assert_eq!(kinds, [json!("PlacementFailed")]);
}
