//! Over CBOR: SearchGameSessions, a player-session flow (reserve, accept through the control API,
//! time out, refuse when full or closed), UpdateGameSession and TerminateGameSession.

use aws_sdk_gamelift::operation::create_player_session::CreatePlayerSessionError;
use aws_sdk_gamelift::operation::create_player_sessions::CreatePlayerSessionsError;
use aws_sdk_gamelift::operation::search_game_sessions::SearchGameSessionsError;
use aws_sdk_gamelift::types::{
    GameProperty, GameSessionStatus, GameSessionStatusReason, PlayerSessionCreationPolicy,
    PlayerSessionStatus, TerminationMode,
};
use gamelift_emulator_compat::{
    Emulator, FLEET_EC2, LIFECYCLE_TIMEOUT, POLL_INTERVAL, assert_code, assert_variant, ok, service_error,
    wait_for_status,
};

fn prop(key: &str, value: &str) -> GameProperty {
    GameProperty::builder().key(key).value(value).build()
}

#[tokio::test]
async fn search_game_sessions_filters_sorts_and_pages_over_cbor() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let mut ids = Vec::new();
    for i in 0..6 {
        let mode = if i % 3 == 0 { "rare" } else { "common" };
        let out = ok(
            client
                .create_game_session()
                .fleet_id(FLEET_EC2)
                .maximum_player_session_count(i + 1)
                .name(format!("s{i}"))
                .game_properties(prop("mode", mode))
                .send()
                .await,
            "CreateGameSession",
        );
        ids.push(out.game_session().and_then(|g| g.game_session_id()).expect("id").to_string());
    }
    for id in &ids {
        wait_for_status(&client, id, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;
    }
    let rare = ok(
        client
            .search_game_sessions()
            .fleet_id(FLEET_EC2)
            .filter_expression("gameSessionProperties.mode = 'rare'")
            .sort_expression("creationTimeMillis DESC")
            .send()
            .await,
        "SearchGameSessions(rare)",
    );
    let names: Vec<&str> = rare.game_sessions().iter().filter_map(|g| g.name()).collect();
    assert_eq!(names, ["s3", "s0"]);

    let pages: Vec<_> = client
        .search_game_sessions()
        .fleet_id(FLEET_EC2)
        .filter_expression("maximumSessions >= 2 AND NOT gameSessionName = 's4'")
        .sort_expression("maximumSessions ASC")
        .limit(2)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let maxes: Vec<i32> = pages
        .into_iter()
        .flat_map(|p| ok(p, "SearchGameSessions page").game_sessions().to_vec())
        .filter_map(|g| g.maximum_player_session_count())
        .collect();
    assert_eq!(maxes, [2, 3, 4, 6]);

    let err = service_error(
        client.search_game_sessions().fleet_id(FLEET_EC2).filter_expression("maximumSessions >").send().await,
        "SearchGameSessions(bad filter)",
    );
    assert_variant!(err, SearchGameSessionsError::InvalidRequestException(_));
    assert!(assert_code(&err, "InvalidRequestException").contains("FilterExpression"));
}

#[tokio::test]
async fn player_session_flow_reserves_accepts_times_out_and_ends_over_cbor() {
    let emu = Emulator::start_with_args(&[
        "--player-session-timeout",
        "1s",
        "--game-session-termination-delay",
        "100ms",
    ])
    .await;
    let client = emu.client();
    let gs = ok(
        client.create_game_session().fleet_id(FLEET_EC2).maximum_player_session_count(3).send().await,
        "CreateGameSession",
    );
    let gs_id = gs.game_session().and_then(|g| g.game_session_id()).expect("id").to_string();
    wait_for_status(&client, &gs_id, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;

    let created = ok(
        client
            .create_player_sessions()
            .game_session_id(&gs_id)
            .player_ids("a")
            .player_ids("b")
            .player_ids("c")
            .send()
            .await,
        "CreatePlayerSessions",
    );
    let ps: Vec<String> =
        created.player_sessions().iter().filter_map(|p| p.player_session_id()).map(str::to_string).collect();
    assert_eq!(ps.len(), 3);
    assert!(created.player_sessions().iter().all(|p| p.status() == Some(&PlayerSessionStatus::Reserved)));
    let full = service_error(
        client.create_player_sessions().game_session_id(&gs_id).player_ids("d").send().await,
        "CreatePlayerSessions(full)",
    );
    assert_variant!(full, CreatePlayerSessionsError::GameSessionFullException(_));

    let accepted = emu
        .http()
        .post(format!("{}/_emulator/player-sessions/{}/accept", emu.endpoint_url(), ps[0]))
        .send()
        .await;
    assert_eq!(accepted.expect("accept").status(), 200);

    // b and c time out; a stays ACTIVE.
    let deadline = std::time::Instant::now() + LIFECYCLE_TIMEOUT;
    loop {
        let out = ok(
            client.describe_player_sessions().game_session_id(&gs_id).send().await,
            "DescribePlayerSessions",
        );
        let statuses: Vec<_> = out.player_sessions().iter().filter_map(|p| p.status().cloned()).collect();
        if statuses
            == [PlayerSessionStatus::Active, PlayerSessionStatus::Timedout, PlayerSessionStatus::Timedout]
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "player sessions did not time out: {statuses:?}");
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    let gs = wait_for_status(&client, &gs_id, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;
    assert_eq!(gs.current_player_session_count(), Some(1));

    ok(
        client
            .update_game_session()
            .game_session_id(&gs_id)
            .player_session_creation_policy(PlayerSessionCreationPolicy::DenyAll)
            .send()
            .await,
        "UpdateGameSession",
    );
    let closed = service_error(
        client.create_player_session().game_session_id(&gs_id).player_id("e").send().await,
        "CreatePlayerSession(DENY_ALL)",
    );
    assert_variant!(closed, CreatePlayerSessionError::InvalidGameSessionStatusException(_));

    ok(
        client
            .terminate_game_session()
            .game_session_id(&gs_id)
            .termination_mode(TerminationMode::ForceTerminate)
            .send()
            .await,
        "TerminateGameSession",
    );
    let ended = wait_for_status(&client, &gs_id, GameSessionStatus::Terminated, LIFECYCLE_TIMEOUT).await;
    assert_eq!(ended.status_reason(), Some(&GameSessionStatusReason::ForceTerminated));
    assert!(ended.termination_time().is_some());
    let a = ok(
        client.describe_player_sessions().player_session_id(&ps[0]).send().await,
        "DescribePlayerSessions(a)",
    );
    assert_eq!(a.player_sessions()[0].status(), Some(&PlayerSessionStatus::Completed));
}
