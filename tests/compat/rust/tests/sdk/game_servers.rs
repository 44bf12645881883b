//! Real game servers: a process speaking the Server SDK 5 WebSocket protocol (the test client in
//! `src/game_server.rs`) connects to the emulator while the Rust SDK (CBOR) plays the backend.

use std::time::Duration;

use aws_sdk_gamelift::Client;
use aws_sdk_gamelift::operation::create_game_session::CreateGameSessionError;
use aws_sdk_gamelift::types::{
    ComputeType, GameProperty, GameSessionStatus, GameSessionStatusReason, LocationConfiguration,
    PlayerSessionStatus, RuntimeConfiguration, ServerProcess, TerminationMode,
};
use gamelift_emulator_compat::game_server::{GameServer, ProcessParams};
use gamelift_emulator_compat::{
    Emulator, LIFECYCLE_TIMEOUT, assert_variant, describe_game_session, ok, service_error, wait_for_status,
};
use serde_json::Value;

const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// CreateLocation → CreateFleet(ANYWHERE) → RegisterCompute → GetComputeAuthToken: what a tester
/// does before launching a game server. Returns the fleet ID and the process parameters.
async fn anywhere_fleet(
    client: &Client,
    location: &str,
    activation_timeout: Option<i32>,
) -> (String, ProcessParams) {
    ok(client.create_location().location_name(location).send().await, "CreateLocation");
    let mut runtime = RuntimeConfiguration::builder().server_processes(
        ServerProcess::builder().launch_path("/local/game/server").concurrent_executions(1).build(),
    );
    if let Some(t) = activation_timeout {
        runtime = runtime.game_session_activation_timeout_seconds(t);
    }
    let fleet = ok(
        client
            .create_fleet()
            .name("anywhere-test")
            .compute_type(ComputeType::Anywhere)
            .locations(LocationConfiguration::builder().location(location).build())
            .runtime_configuration(runtime.build())
            .send()
            .await,
        "CreateFleet(ANYWHERE)",
    );
    let attrs = fleet.fleet_attributes().expect("FleetAttributes");
    let fleet_id = attrs.fleet_id().expect("FleetId").to_string();
    assert_eq!(attrs.status().map(|s| s.as_str()), Some("ACTIVE"), "Anywhere fleets start ACTIVE");
    let compute = ok(
        client
            .register_compute()
            .fleet_id(&fleet_id)
            .compute_name("compute-1")
            .ip_address("127.0.0.1")
            .location(location)
            .send()
            .await,
        "RegisterCompute",
    );
    let compute = compute.compute().expect("Compute");
    let endpoint = compute.game_lift_service_sdk_endpoint().expect("GameLiftServiceSdkEndpoint").to_string();
    let token = ok(
        client.get_compute_auth_token().fleet_id(&fleet_id).compute_name("compute-1").send().await,
        "GetComputeAuthToken",
    );
    assert!(token.expiration_timestamp().is_some());
    let params = ProcessParams {
        websocket_url: endpoint,
        process_id: format!("proc-{}", uuid_suffix()),
        host_id: "compute-1".into(),
        fleet_id: fleet_id.clone(),
        auth_token: token.auth_token().expect("AuthToken").to_string(),
    };
    (fleet_id, params)
}

fn uuid_suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
    )
}

async fn create_session(client: &Client, fleet: &str, location: &str) -> String {
    let out = ok(
        client
            .create_game_session()
            .fleet_id(fleet)
            .location(location)
            .maximum_player_session_count(4)
            .name("from-the-backend")
            .game_properties(GameProperty::builder().key("mode").value("ctf").build())
            .send()
            .await,
        "CreateGameSession",
    );
    let gs = out.game_session().expect("GameSession");
    assert_eq!(gs.status(), Some(&GameSessionStatus::Activating));
    gs.game_session_id().expect("id").to_string()
}

async fn expect_push(server: &mut GameServer, action: &str) -> Value {
    let push = server.next_push(PUSH_TIMEOUT).await.unwrap_or_else(|e| panic!("waiting for {action}: {e}"));
    assert_eq!(push["Action"], action, "{push}");
    assert_eq!(push["StatusCode"], 200, "{push}");
    push
}

/// An Anywhere fleet with one ready process hosting one ACTIVE game session.
async fn hosted_active_session(
    emu: &Emulator,
    location: &str,
    port: u16,
) -> (Client, String, GameServer, String) {
    let client = emu.client();
    let (fleet, params) = anywhere_fleet(&client, location, None).await;
    let mut server = GameServer::connect(&params, None).await.expect("connect");
    server.process_ready(port).await.expect("ProcessReady");
    let gs_id = create_session(&client, &fleet, location).await;
    expect_push(&mut server, "CreateGameSession").await;
    let reply = server.activate_game_session(&gs_id).await.expect("ActivateGameSession");
    assert_eq!(reply["StatusCode"], 200, "{reply}");
    wait_for_status(&client, &gs_id, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;
    (client, fleet, server, gs_id)
}

/// The whole loop of the issue: backend and game server working together.
async fn full_loop(emu: &Emulator, trusted_cert: Option<String>) {
    let client = emu.client();
    let (fleet, params) = anywhere_fleet(&client, "custom-loop", None).await;
    let mut server = GameServer::connect(&params, trusted_cert.as_deref()).await.expect("connect");
    server.process_ready(7777).await.expect("ProcessReady");

    let gs_id = create_session(&client, &fleet, "custom-loop").await;
    assert!(gs_id.contains("/custom-loop/"), "{gs_id}");
    let push = expect_push(&mut server, "CreateGameSession").await;
    assert_eq!(push["GameSessionId"], gs_id.as_str());
    assert_eq!(push["GameSessionName"], "from-the-backend");
    assert_eq!(push["GameProperties"], serde_json::json!({ "mode": "ctf" }));
    assert_eq!(push["Port"], 7777);
    assert_eq!(push["MaximumPlayerSessionCount"], 4);
    // Not ACTIVE until the process says so.
    let gs = describe_game_session(&client, &gs_id).await;
    assert_eq!(gs.status(), Some(&GameSessionStatus::Activating));
    assert_eq!(gs.port(), Some(7777));
    assert_eq!(gs.ip_address(), Some("127.0.0.1"));
    assert_eq!(gs.compute_name(), Some("compute-1"));
    let reply = server.activate_game_session(&gs_id).await.expect("ActivateGameSession");
    assert_eq!(reply["StatusCode"], 200, "{reply}");
    wait_for_status(&client, &gs_id, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;

    let ps = ok(
        client.create_player_session().game_session_id(&gs_id).player_id("player-1").send().await,
        "CreatePlayerSession",
    );
    let ps_id = ps.player_session().and_then(|p| p.player_session_id()).expect("id").to_string();
    let reply = server.accept_player_session(&gs_id, &ps_id).await.expect("AcceptPlayerSession");
    assert_eq!(reply["StatusCode"], 200, "{reply}");
    let status = |client: Client, id: String| async move {
        let out = ok(
            client.describe_player_sessions().player_session_id(id).send().await,
            "DescribePlayerSessions",
        );
        out.player_sessions()[0].status().cloned()
    };
    assert_eq!(status(client.clone(), ps_id.clone()).await, Some(PlayerSessionStatus::Active));
    let described = server
        .request("DescribePlayerSessions", serde_json::json!({ "GameSessionId": gs_id }))
        .await
        .expect("describe");
    assert_eq!(described["PlayerSessions"][0]["Status"], "ACTIVE", "{described}");
    assert!(described["PlayerSessions"][0]["CreationTime"].is_i64(), "{described}");
    let reply = server.remove_player_session(&gs_id, &ps_id).await.expect("RemovePlayerSession");
    assert_eq!(reply["StatusCode"], 200, "{reply}");
    assert_eq!(status(client.clone(), ps_id.clone()).await, Some(PlayerSessionStatus::Completed));

    let out = ok(
        client
            .terminate_game_session()
            .game_session_id(&gs_id)
            .termination_mode(TerminationMode::TriggerOnProcessTerminate)
            .send()
            .await,
        "TerminateGameSession",
    );
    assert_eq!(out.game_session().and_then(|g| g.status()), Some(&GameSessionStatus::Terminating));
    let push = expect_push(&mut server, "TerminateProcess").await;
    assert!(push["TerminationTime"].is_i64(), "{push}");
    assert_eq!(describe_game_session(&client, &gs_id).await.status(), Some(&GameSessionStatus::Terminating));
    server.process_ending().await.expect("ProcessEnding");
    server.vanish();
    let ended = wait_for_status(&client, &gs_id, GameSessionStatus::Terminated, LIFECYCLE_TIMEOUT).await;
    assert_eq!(ended.status_reason(), Some(&GameSessionStatusReason::TriggeredOnProcessTerminate));
    // The process is gone: no capacity left in the location.
    let err = service_error(
        client
            .create_game_session()
            .fleet_id(&fleet)
            .location("custom-loop")
            .maximum_player_session_count(1)
            .send()
            .await,
        "CreateGameSession(no process)",
    );
    assert_variant!(err, CreateGameSessionError::FleetCapacityExceededException(_));
}

#[tokio::test]
async fn game_server_full_loop_over_ws() {
    let emu = Emulator::start().await;
    full_loop(&emu, None).await;
}

#[tokio::test]
async fn game_server_full_loop_over_wss() {
    let emu = Emulator::start_with_args(&["--wss-bind", "127.0.0.1:0", "--sdk-endpoint", "wss"]).await;
    let cert = emu
        .http()
        .get(format!("{}/_emulator/tls-certificate", emu.endpoint_url()))
        .send()
        .await
        .expect("GET certificate")
        .text()
        .await
        .expect("certificate text");
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
    let client = emu.client();
    let (_, params) = anywhere_fleet(&client, "custom-probe", None).await;
    assert!(params.websocket_url.starts_with("wss://127.0.0.1:"), "{}", params.websocket_url);
    full_loop(&emu, Some(cert)).await;
}

#[tokio::test]
async fn game_session_not_activated_in_time_is_terminated() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let (fleet, params) = anywhere_fleet(&client, "custom-slow", Some(1)).await;
    let mut server = GameServer::connect(&params, None).await.expect("connect");
    server.process_ready(7000).await.expect("ProcessReady");
    let gs_id = create_session(&client, &fleet, "custom-slow").await;
    expect_push(&mut server, "CreateGameSession").await;
    // The process never calls ActivateGameSession.
    let ended = wait_for_status(&client, &gs_id, GameSessionStatus::Terminated, LIFECYCLE_TIMEOUT).await;
    assert!(ended.termination_time().is_some());
    // Activating afterwards is refused, and the process is free for a new session.
    let late = server.activate_game_session(&gs_id).await.expect("reply");
    assert_ne!(late["StatusCode"], 200, "{late}");
    create_session(&client, &fleet, "custom-slow").await;
    expect_push(&mut server, "CreateGameSession").await;
}

#[tokio::test]
async fn dropped_connection_ends_the_session_after_the_grace_period() {
    let emu = Emulator::start_with_args(&["--process-reconnect-grace", "300ms"]).await;
    let (client, _fleet, server, gs_id) = hosted_active_session(&emu, "custom-drop", 7001).await;
    server.vanish();
    wait_for_status(&client, &gs_id, GameSessionStatus::Terminated, LIFECYCLE_TIMEOUT).await;
}

#[tokio::test]
async fn reconnect_with_the_same_pid_keeps_the_process_and_its_session() {
    let emu = Emulator::start_with_args(&["--process-reconnect-grace", "30s"]).await;
    let client = emu.client();
    let (fleet, params) = anywhere_fleet(&client, "custom-again", None).await;
    let mut server = GameServer::connect(&params, None).await.expect("connect");
    server.process_ready(7002).await.expect("ProcessReady");
    let gs_id = create_session(&client, &fleet, "custom-again").await;
    expect_push(&mut server, "CreateGameSession").await;
    server.vanish();
    // The SDK reconnects with the same pID and does not call ProcessReady again.
    let mut server = GameServer::connect(&params, None).await.expect("reconnect");
    let reply = server.activate_game_session(&gs_id).await.expect("activate after reconnect");
    assert_eq!(reply["StatusCode"], 200, "{reply}");
    wait_for_status(&client, &gs_id, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;
    // Pushes now go to the new socket.
    ok(
        client
            .terminate_game_session()
            .game_session_id(&gs_id)
            .termination_mode(TerminationMode::TriggerOnProcessTerminate)
            .send()
            .await,
        "TerminateGameSession",
    );
    expect_push(&mut server, "TerminateProcess").await;
}

#[tokio::test]
async fn fixture_anywhere_fleet_takes_a_game_server_with_the_fixed_token() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let fleet = "fleet-00000000-0000-4000-8000-000000000005";
    let err = service_error(
        client
            .create_game_session()
            .fleet_id(fleet)
            .location("custom-local")
            .maximum_player_session_count(2)
            .send()
            .await,
        "CreateGameSession(no process yet)",
    );
    assert_variant!(err, CreateGameSessionError::FleetCapacityExceededException(_));
    let params = ProcessParams {
        websocket_url: emu.endpoint_url().replacen("http://", "ws://", 1),
        process_id: "fixture-proc".into(),
        host_id: "local-compute".into(),
        fleet_id: fleet.into(),
        auth_token: "local-auth-token".into(),
    };
    let mut server = GameServer::connect(&params, None).await.expect("connect");
    server.process_ready(7777).await.expect("ProcessReady");
    let gs_id = create_session(&client, fleet, "custom-local").await;
    expect_push(&mut server, "CreateGameSession").await;
    server.activate_game_session(&gs_id).await.expect("activate");
    wait_for_status(&client, &gs_id, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;
}

#[tokio::test]
async fn connect_with_a_bad_token_is_refused() {
    let emu = Emulator::start().await;
    let params = ProcessParams {
        websocket_url: emu.endpoint_url().replacen("http://", "ws://", 1),
        process_id: "p".into(),
        host_id: "local-compute".into(),
        fleet_id: "fleet-00000000-0000-4000-8000-000000000005".into(),
        auth_token: "wrong".into(),
    };
    let err = GameServer::connect(&params, None).await.err().expect("refused");
    assert!(err.contains("403"), "{err}");
}

#[tokio::test]
async fn unhealthy_process_gets_no_new_sessions() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let (fleet, params) = anywhere_fleet(&client, "custom-sick", None).await;
    let mut server = GameServer::connect(&params, None).await.expect("connect");
    server.process_ready(7003).await.expect("ProcessReady");
    server.heartbeat(false).await.expect("unhealthy heartbeat");
    let err = service_error(
        client
            .create_game_session()
            .fleet_id(&fleet)
            .location("custom-sick")
            .maximum_player_session_count(1)
            .send()
            .await,
        "CreateGameSession(unhealthy process)",
    );
    assert_variant!(err, CreateGameSessionError::FleetCapacityExceededException(_));
    // A healthy heartbeat brings it back.
    server.heartbeat(true).await.expect("healthy heartbeat");
    create_session(&client, &fleet, "custom-sick").await;
    expect_push(&mut server, "CreateGameSession").await;
}

#[tokio::test]
async fn every_sdk_action_gets_its_reply_shape_and_update_pushes_arrive() {
    let emu = Emulator::start().await;
    let (client, _fleet, mut server, gs_id) = hosted_active_session(&emu, "custom-actions", 7010).await;

    // UpdatePlayerSessionCreationPolicy changes the session's policy.
    let r = server
        .request(
            "UpdatePlayerSessionCreationPolicy",
            serde_json::json!({ "GameSessionId": gs_id, "PlayerSessionPolicy": "DENY_ALL" }),
        )
        .await
        .expect("policy");
    assert_eq!(r["StatusCode"], 200, "{r}");
    let gs = describe_game_session(&client, &gs_id).await;
    assert_eq!(gs.player_session_creation_policy().map(|p| p.as_str()), Some("DENY_ALL"));

    // DescribePlayerSessions from the process, by player: epoch-millisecond integers.
    server
        .request(
            "UpdatePlayerSessionCreationPolicy",
            serde_json::json!({ "GameSessionId": gs_id, "PlayerSessionPolicy": "ACCEPT_ALL" }),
        )
        .await
        .expect("policy back");
    ok(
        client.create_player_session().game_session_id(&gs_id).player_id("p-9").player_data("d").send().await,
        "CreatePlayerSession",
    );
    let r = server
        .request("DescribePlayerSessions", serde_json::json!({ "PlayerId": "p-9" }))
        .await
        .expect("describe");
    let ps = &r["PlayerSessions"][0];
    assert_eq!(ps["PlayerId"], "p-9", "{r}");
    assert_eq!(ps["PlayerData"], "d");
    assert_eq!(ps["Port"], 7010);
    assert!(ps["CreationTime"].as_i64().is_some_and(|t| t > 1_600_000_000_000), "{r}");
    assert_eq!(r["NextToken"], "");

    // GetComputeCertificate and GetFleetRoleCredentials answer with data.
    let r = server.request("GetComputeCertificate", serde_json::json!({})).await.expect("certificate");
    assert_eq!(r["ComputeName"], "compute-1", "{r}");
    assert!(r.get("CertificatePath").is_some());
    let r = server
        .request(
            "GetFleetRoleCredentials",
            serde_json::json!({ "RoleArn": "arn:aws:iam::123456789012:role/game", "RoleSessionName": "s" }),
        )
        .await
        .expect("credentials");
    assert!(r["AccessKeyId"].as_str().is_some_and(|k| !k.is_empty()), "{r}");
    assert!(r["Expiration"].is_i64(), "{r}");
    assert!(r["AssumedRoleUserArn"].as_str().is_some_and(|a| a.ends_with("assumed-role/game/s")), "{r}");

    // A backfill request without its configuration: a clear error.
    let r = server
        .request("StartMatchBackfill", serde_json::json!({ "GameSessionArn": gs_id }))
        .await
        .expect("backfill");
    assert_eq!(r["StatusCode"], 400, "{r}");
    assert!(
        r["ErrorMessage"].as_str().is_some_and(|m| m.contains("MatchmakingConfigurationArn is required")),
        "{r}"
    );
    let r = server.request("NoSuchAction", serde_json::json!({})).await.expect("unknown");
    assert_eq!(r["StatusCode"], 400, "{r}");

    // An UpdateGameSession push, as FlexMatch backfill would send it.
    let resp = emu
        .http()
        .post(format!("{}/_emulator/game-session-updates", emu.endpoint_url()))
        .body(serde_json::json!({ "GameSessionId": gs_id, "UpdateReason": "MATCHMAKING_DATA_UPDATED", "BackfillTicketId": "t-1" }).to_string())
        .send()
        .await
        .expect("update push");
    assert_eq!(resp.status(), 200);
    let push = expect_push(&mut server, "UpdateGameSession").await;
    assert_eq!(push["UpdateReason"], "MATCHMAKING_DATA_UPDATED");
    assert_eq!(push["BackfillTicketId"], "t-1");
    assert_eq!(push["GameSession"]["GameSessionId"], gs_id.as_str());
    assert_eq!(push["GameSession"]["GameProperties"], serde_json::json!({ "mode": "ctf" }));
}

#[tokio::test]
async fn delete_fleet_shuts_its_game_servers_down() {
    let emu = Emulator::start().await;
    let (client, fleet, mut server, gs_id) = hosted_active_session(&emu, "custom-gone", 7020).await;
    ok(client.delete_fleet().fleet_id(&fleet).send().await, "DeleteFleet");
    let ended = wait_for_status(&client, &gs_id, GameSessionStatus::Terminated, LIFECYCLE_TIMEOUT).await;
    assert_eq!(ended.status_reason(), Some(&GameSessionStatusReason::Interrupted));
    // The emulator closes the process's socket.
    let closed = server.next_push(PUSH_TIMEOUT).await;
    assert!(closed.is_err(), "expected the socket to close, got {closed:?}");
}
