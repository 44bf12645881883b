//! The emulator's control API (`/_emulator/*`), seen together with the SDK.

use aws_sdk_gamelift::operation::describe_game_sessions::DescribeGameSessionsError;
use gamelift_emulator_compat::{
    Emulator, FLEET_EC2, FLEET_TINY, assert_code, assert_variant, ok, service_error,
};

#[tokio::test]
async fn emulator_health_answers_status_ok() {
    let emu = Emulator::start().await;
    let resp = emu
        .http()
        .get(format!("{}/_emulator/health", emu.endpoint_url()))
        .send()
        .await
        .expect("GET /_emulator/health");
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.expect("health body");
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("health body {text:?}: {e}"));
    assert_eq!(json["status"], "ok", "{json}");
}

#[tokio::test]
async fn emulator_reset_forgets_sessions_tokens_and_used_capacity() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let create = |fleet: &str| client.create_game_session().fleet_id(fleet).maximum_player_session_count(2);
    let first =
        ok(create(FLEET_EC2).idempotency_token("tok-reset").send().await, "CreateGameSession before reset");
    let first_id = first.game_session().and_then(|s| s.game_session_id()).expect("GameSessionId").to_owned();
    for i in 0..2 {
        ok(create(FLEET_TINY).send().await, &format!("fill ...0004 ({i})"));
    }

    emu.reset().await;

    let err = service_error(
        client.describe_game_sessions().game_session_id(&first_id).send().await,
        "DescribeGameSessions of a session created before the reset",
    );
    assert_variant!(err, DescribeGameSessionsError::NotFoundException(_));
    assert_code(&err, "NotFoundException");

    let listed = ok(
        client.describe_game_sessions().fleet_id(FLEET_EC2).send().await,
        "DescribeGameSessions(FleetId) after reset",
    );
    assert!(listed.game_sessions().is_empty(), "{:?}", listed.game_sessions());

    // Capacity on ...0004 is free again, and the idempotency token is forgotten (it would be a
    // mismatch otherwise, because MaximumPlayerSessionCount differs).
    for i in 0..2 {
        ok(create(FLEET_TINY).send().await, &format!("...0004 after reset ({i})"));
    }
    ok(
        client
            .create_game_session()
            .fleet_id(FLEET_EC2)
            .maximum_player_session_count(7)
            .idempotency_token("tok-reset")
            .send()
            .await,
        "token reused with other parameters after reset",
    );
}

/// Epoch milliseconds of an SDK timestamp or of the clock's `Now`.
fn ms_of(t: &aws_sdk_gamelift::primitives::DateTime) -> i64 {
    t.to_millis().expect("timestamp in range")
}

/// Equal within 1 ms: the SDK reads CBOR epoch-second floats into whole milliseconds by truncation.
#[track_caller]
fn assert_ms(got: i64, want: i64) {
    assert!((got - want).abs() <= 1, "{got} ms, expected {want} ms (±1)");
}

fn clock_ms(clock: &serde_json::Value) -> i64 {
    (clock["Now"].as_f64().expect("Now") * 1000.0).round() as i64
}

#[tokio::test]
async fn a_paused_clock_drives_activation_and_a_player_session_timeout_over_cbor() {
    let emu = Emulator::start_with_args(&["--clock", "paused"]).await;
    let client = emu.client();
    let c0 = emu.clock().await;
    assert_eq!(c0["Paused"], true);

    let gs = ok(
        client.create_game_session().fleet_id(FLEET_EC2).maximum_player_session_count(4).send().await,
        "CreateGameSession",
    );
    let gs = gs.game_session().expect("GameSession").clone();
    assert_eq!(gs.status().map(|s| s.as_str()), Some("ACTIVATING"));
    assert_ms(ms_of(gs.creation_time().expect("CreationTime")), clock_ms(&c0));
    let id = gs.game_session_id().expect("GameSessionId").to_owned();
    let status = |c: &aws_sdk_gamelift::Client, id: String| {
        let c = c.clone();
        async move {
            let out = ok(c.describe_game_sessions().game_session_id(id).send().await, "DescribeGameSessions");
            out.game_sessions()[0].status().map(|s| s.as_str().to_owned())
        }
    };
    assert_eq!(status(&client, id.clone()).await.as_deref(), Some("ACTIVATING"));

    let c1 = emu.advance_clock(1.0).await;
    assert_eq!(clock_ms(&c1) - clock_ms(&c0), 1_000);
    assert_eq!(status(&client, id.clone()).await.as_deref(), Some("ACTIVE"));

    let ps = ok(
        client.create_player_session().game_session_id(&id).player_id("p1").send().await,
        "CreatePlayerSession",
    );
    let ps = ps.player_session().expect("PlayerSession").clone();
    assert_eq!(ps.status().map(|s| s.as_str()), Some("RESERVED"));
    assert_ms(ms_of(ps.creation_time().expect("CreationTime")), clock_ms(&c1));

    let c2 = emu.advance_clock(61.0).await;
    assert_eq!(clock_ms(&c2) - clock_ms(&c1), 61_000);
    let out = ok(
        client.describe_player_sessions().player_session_id(ps.player_session_id().expect("id")).send().await,
        "DescribePlayerSessions",
    );
    let after = &out.player_sessions()[0];
    assert_eq!(after.status().map(|s| s.as_str()), Some("TIMEDOUT"));
    assert_eq!(
        ms_of(after.termination_time().expect("TerminationTime"))
            - ms_of(ps.creation_time().expect("created")),
        60_000
    );
}
