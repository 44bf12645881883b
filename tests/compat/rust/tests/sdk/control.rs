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
