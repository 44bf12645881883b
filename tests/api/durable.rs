//! Durable state (`--data-dir`): a journal replayed on start rebuilds the same world.

use std::path::PathBuf;
use std::time::Duration;

use gamelift_emulator::Config;
use gamelift_emulator::config::ClockMode;
use serde_json::{Value, json};

use crate::game_servers::Process;
use crate::harness::*;

/// A fresh, empty directory under the system's temp dir (removed when dropped).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("gle-durable-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(dir: &TempDir) -> Config {
    let mut c = Config::for_tests();
    c.data_dir = Some(dir.0.clone());
    c.clock = ClockMode::Paused;
    c
}

/// Everything a client can read that the commands below touch.
async fn snapshot(api: &Api, game_sessions: &[String]) -> Value {
    let mut out = serde_json::Map::new();
    for fleet in [FLEET, FLEET_ANYWHERE, FLEET_TINY] {
        let r = api.call(Proto::Json, "DescribeGameSessions", json!({ "FleetId": fleet })).await;
        out.insert(format!("sessions {fleet}"), r.assert_ok().clone());
        let r = api.call(Proto::Json, "DescribeFleetEvents", json!({ "FleetId": fleet })).await;
        out.insert(format!("events {fleet}"), r.assert_ok().clone());
    }
    for gs in game_sessions {
        let r = api.call(Proto::Json, "DescribePlayerSessions", json!({ "GameSessionId": gs })).await;
        out.insert(format!("players {gs}"), r.assert_ok().clone());
    }
    for (op, input) in [
        ("DescribeFleetAttributes", json!({})),
        ("ListAliases", json!({})),
        ("ListBuilds", json!({})),
        ("DescribeFleetCapacity", json!({})),
        ("DescribeGameSessionQueues", json!({})),
        ("ListCompute", json!({ "FleetId": FLEET_ANYWHERE })),
        ("DescribeGameSessionPlacement", json!({ "PlacementId": "place-1" })),
        ("DescribeMatchmaking", json!({ "TicketIds": ["t-1", "t-2", "t-3"] })),
        (
            "ListTagsForResource",
            json!({ "ResourceARN": format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{FLEET}") }),
        ),
    ] {
        let r = api.call(Proto::Json, op, input).await;
        out.insert(op.into(), r.assert_ok().clone());
    }
    let events = api.em.events().read(0, Duration::ZERO).await.to_json();
    out.insert("event log".into(), events);
    out.insert("clock".into(), json!(api.em.clock().now.wall_ms));
    Value::Object(out)
}

#[tokio::test(start_paused = true)]
async fn replaying_the_journal_rebuilds_the_same_world_days_later() {
    let dir = TempDir::new("replay");
    let mut sessions = Vec::new();
    let before = {
        let api = Api::open(config(&dir)).expect("a fresh data dir");
        // Resources of every kind, through both codecs.
        for proto in BOTH {
            let gs = api
                .create(proto, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 4, "Name": "durable" }))
                .await;
            sessions.push(gs.assert_ok()["GameSession"]["GameSessionId"].as_str().expect("id").to_string());
        }
        api.call(
            Proto::Cbor,
            "CreateAlias",
            json!({ "Name": "a", "RoutingStrategy": { "Type": "SIMPLE", "FleetId": FLEET } }),
        )
        .await
        .assert_ok();
        api.call(Proto::Json, "CreateBuild", json!({ "Name": "b", "OperatingSystem": "AMAZON_LINUX_2023" }))
            .await
            .assert_ok();
        let arn = format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{FLEET}");
        api.call(
            Proto::Json,
            "TagResource",
            json!({ "ResourceARN": arn, "Tags": [{ "Key": "team", "Value": "blue" }] }),
        )
        .await
        .assert_ok();
        api.call(
            Proto::Json,
            "CreateGameSessionQueue",
            json!({ "Name": "q", "Destinations": [{ "DestinationArn": arn }] }),
        )
        .await
        .assert_ok();
        // A placement through the queue, and a match (both publish events with generated IDs).
        api.call(
            Proto::Json,
            "StartGameSessionPlacement",
            json!({ "PlacementId": "place-1", "GameSessionQueueName": "q", "MaximumPlayerSessionCount": 2 }),
        )
        .await
        .assert_ok();
        let rules = json!({ "ruleLanguageVersion": "1.0", "teams": [{ "name": "all", "minPlayers": 2, "maxPlayers": 2 }] });
        api.call(
            Proto::Json,
            "CreateMatchmakingRuleSet",
            json!({ "Name": "pair", "RuleSetBody": rules.to_string() }),
        )
        .await
        .assert_ok();
        api.call(
            Proto::Cbor,
            "CreateMatchmakingConfiguration",
            json!({ "Name": "cfg", "RuleSetName": "pair", "RequestTimeoutSeconds": 60, "AcceptanceRequired": false, "FlexMatchMode": "STANDALONE" }),
        )
        .await
        .assert_ok();
        for (ticket, player) in [("t-1", "alice"), ("t-2", "bob"), ("t-3", "carol")] {
            api.call(
                Proto::Json,
                "StartMatchmaking",
                json!({ "TicketId": ticket, "ConfigurationName": "cfg", "Players": [{ "PlayerId": player }] }),
            )
            .await
            .assert_ok();
        }
        // An idempotency token, and a refused request (journaled too, changes nothing).
        api.create(
            Proto::Json,
            json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2, "IdempotencyToken": "tok-1" }),
        )
        .await
        .assert_ok();
        api.create(Proto::Json, json!({ "FleetId": "fleet-nope", "MaximumPlayerSessionCount": 2 }))
            .await
            .assert_error("NotFoundException");
        api.em.advance_clock(Duration::from_secs(1));
        for gs in &sessions {
            api.call(Proto::Json, "CreatePlayerSession", json!({ "GameSessionId": gs, "PlayerId": "p1" }))
                .await
                .assert_ok();
        }
        // A game-server process hosting a session (messages through the SDK path).
        let mut p = Process::attach(&api, "proc-durable");
        p.ok(
            "ActivateServerProcess",
            json!({ "SdkVersion": "5.6.0", "SdkLanguage": "Go", "Port": 7000, "LogPaths": [] }),
        );
        let hosted = api
            .create(Proto::Json, json!({ "FleetId": FLEET_ANYWHERE, "Location": "custom-local", "MaximumPlayerSessionCount": 2 }))
            .await;
        let hosted = hosted.assert_ok()["GameSession"]["GameSessionId"].as_str().expect("id").to_string();
        p.ok("ActivateGameSession", json!({ "GameSessionId": hosted }));
        sessions.push(hosted);
        // Days pass: RESERVED player sessions time out, timers fire at their deadlines.
        api.em.advance_clock(Duration::from_secs(3 * 86_400));
        api.call(
            Proto::Json,
            "UpdateGameSession",
            json!({ "GameSessionId": sessions[0], "Name": "renamed" }),
        )
        .await
        .assert_ok();
        let snap = snapshot(&api, &sessions).await;
        api.em.journal().expect("journal").flush();
        drop(p);
        snap
    };
    let api = Api::open(config(&dir)).expect("the journal replays");
    api.assert_invariants();
    let after = snapshot(&api, &sessions).await;
    if before != after {
        for (k, v) in before.as_object().expect("object") {
            assert_eq!(&after[k], v, "{k} differs after the restart");
        }
    }
    assert_eq!(before, after);
    // Player sessions really timed out before the restart; the clock is where it stood.
    let players = &after[format!("players {}", sessions[0]).as_str()]["PlayerSessions"][0];
    assert_eq!(players["Status"], "TIMEDOUT", "{players}");
    let tickets = after["DescribeMatchmaking"]["TicketList"].as_array().expect("tickets");
    assert!(tickets.iter().any(|t| t["Status"] == "COMPLETED"), "a match was made: {tickets:?}");
    assert!(after["event log"]["Events"].as_array().is_some_and(|e| !e.is_empty()), "events were logged");
}

#[tokio::test(start_paused = true)]
async fn a_data_dir_that_is_not_a_journal_stops_the_start_naming_the_file() {
    let dir = TempDir::new("corrupt");
    std::fs::create_dir_all(&dir.0).expect("dir");
    let file = dir.0.join(gamelift_emulator::journal::FILE_NAME);
    std::fs::write(&file, vec![0x5a; 8192]).expect("garbage");
    let err = Api::open(config(&dir)).err().expect("refused");
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(err.contains("move it away"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn other_settings_or_a_newer_format_stop_the_start() {
    let dir = TempDir::new("fingerprint");
    drop(Api::open(config(&dir)).expect("fresh"));
    let mut other = config(&dir);
    other.player_session_timeout = Duration::from_secs(5);
    let err = Api::open(other).err().expect("refused");
    assert!(err.contains("other settings or fixtures") && err.contains("same flags"), "{err}");
    // A journal from a newer version.
    let file = dir.0.join(gamelift_emulator::journal::FILE_NAME);
    let conn = rusqlite::Connection::open(&file).expect("open");
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'format'", []).expect("update");
    drop(conn);
    let err = Api::open(config(&dir)).err().expect("refused");
    assert!(err.contains("format 99") && err.contains("newer"), "{err}");
}
