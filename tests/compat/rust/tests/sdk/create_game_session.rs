//! CreateGameSession: successful calls and the fields a user gets back.

use aws_sdk_gamelift::Client;
use aws_sdk_gamelift::operation::create_game_session::builders::CreateGameSessionFluentBuilder;
use aws_sdk_gamelift::types::{GameProperty, GameSession, GameSessionStatus, PlayerSessionCreationPolicy};
use gamelift_emulator_compat::{
    ALIAS_SIMPLE, Emulator, FLEET_EC2, FLEET_TINY, LIFECYCLE_TIMEOUT, REGION, alias_arn, assert_recent,
    describe_game_session, fleet_arn, game_session_arn_prefix, is_uuid, ok, wait_for_status,
};

fn prop(key: &str, value: &str) -> GameProperty {
    GameProperty::builder().key(key).value(value).build()
}

fn create(client: &Client) -> CreateGameSessionFluentBuilder {
    client.create_game_session().maximum_player_session_count(10)
}

async fn create_ok(builder: CreateGameSessionFluentBuilder, what: &str) -> GameSession {
    let out = ok(builder.send().await, what);
    out.game_session().unwrap_or_else(|| panic!("{what}: the response has no GameSession")).clone()
}

/// Asserts `id` is `<prefix>gsess-<uuid>` and returns the uuid part.
fn assert_generated_id<'a>(id: &'a str, prefix: &str) -> &'a str {
    let rest =
        id.strip_prefix(prefix).unwrap_or_else(|| panic!("GameSessionId {id} does not start with {prefix}"));
    let uuid = rest
        .strip_prefix("gsess-")
        .unwrap_or_else(|| panic!("GameSessionId {id}: expected gsess-<uuid> after {prefix}"));
    assert!(is_uuid(uuid), "GameSessionId {id}: {uuid} is not a UUID");
    uuid
}

fn props_of(session: &GameSession) -> Vec<(Option<&str>, Option<&str>)> {
    session.game_properties().iter().map(|p| (p.key(), p.value())).collect()
}

#[tokio::test]
async fn create_game_session_by_fleet_id_returns_activating_session_that_becomes_active() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let gs = create_ok(
        create(&client)
            .fleet_id(FLEET_EC2)
            .name("my-session")
            .game_properties(prop("difficulty", "novice"))
            .game_properties(prop("map", "dust"))
            .creator_id("player-1")
            .game_session_data("some game session data"),
        "CreateGameSession(FleetId)",
    )
    .await;

    let id = gs.game_session_id().expect("GameSessionId");
    assert_generated_id(id, &game_session_arn_prefix(FLEET_EC2));
    assert_eq!(gs.status(), Some(&GameSessionStatus::Activating));
    assert_eq!(gs.name(), Some("my-session"));
    assert_eq!(gs.fleet_id(), Some(FLEET_EC2));
    assert_eq!(gs.fleet_arn(), Some(fleet_arn(FLEET_EC2).as_str()));
    assert!(
        gs.fleet_arn().unwrap().contains(":123456789012:fleet/"),
        "FleetArn {:?} lacks the account",
        gs.fleet_arn()
    );
    assert_recent(gs.creation_time(), "CreationTime");
    assert_eq!(gs.termination_time(), None);
    assert_eq!(gs.current_player_session_count(), Some(0));
    assert_eq!(gs.maximum_player_session_count(), Some(10));
    assert_eq!(props_of(&gs), vec![(Some("difficulty"), Some("novice")), (Some("map"), Some("dust"))]);
    assert_eq!(gs.ip_address(), Some("127.0.0.1"));
    assert!(gs.dns_name().is_some_and(|d| !d.is_empty()), "DnsName: {:?}", gs.dns_name());
    let port = gs.port().expect("Port");
    assert!((1..=60000).contains(&port), "Port {port} out of range");
    assert_eq!(gs.player_session_creation_policy(), Some(&PlayerSessionCreationPolicy::AcceptAll));
    assert_eq!(gs.creator_id(), Some("player-1"));
    assert_eq!(gs.game_session_data(), Some("some game session data"));
    assert_eq!(gs.location(), Some(REGION));
    assert_eq!(gs.matchmaker_data(), None);

    let active = wait_for_status(&client, id, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;
    assert_eq!(active.game_session_id(), Some(id));
    assert_eq!(active.fleet_id(), Some(FLEET_EC2));
    assert_eq!(active.fleet_arn(), gs.fleet_arn());
    assert_eq!(active.name(), Some("my-session"));
    assert_eq!(active.ip_address(), Some("127.0.0.1"));
    assert_eq!(active.port(), Some(port));
    assert_eq!(active.location(), Some(REGION));
    assert_eq!(active.creator_id(), Some("player-1"));
    assert_eq!(active.current_player_session_count(), Some(0));
    assert_eq!(active.maximum_player_session_count(), Some(10));
    assert_eq!(props_of(&active), props_of(&gs));
    assert_eq!(
        active.creation_time().map(|t| t.secs()),
        gs.creation_time().map(|t| t.secs()),
        "CreationTime changed between CreateGameSession and DescribeGameSessions"
    );
}

#[tokio::test]
async fn create_game_session_minimal_request_omits_unset_members() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let gs = create_ok(create(&client).fleet_id(FLEET_EC2), "CreateGameSession").await;

    assert_eq!(gs.status(), Some(&GameSessionStatus::Activating));
    assert_eq!(gs.location(), Some(REGION), "Location defaults to the home Region");
    assert_eq!(gs.name(), None);
    assert_eq!(gs.creator_id(), None);
    assert_eq!(gs.game_session_data(), None);
    assert!(gs.game_properties().is_empty(), "{:?}", gs.game_properties());
}

#[tokio::test]
async fn create_game_session_values_at_model_limits_are_accepted() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let name = "n".repeat(1024);
    let token = "t".repeat(48);

    let mut builder = client
        .create_game_session()
        .fleet_id(FLEET_EC2)
        .maximum_player_session_count(0)
        .name(&name)
        .idempotency_token(&token);
    for i in 0..16 {
        builder = builder.game_properties(prop(&format!("k{i}"), &format!("v{i}")));
    }
    let gs = create_ok(builder, "CreateGameSession at the limits").await;

    assert_eq!(gs.maximum_player_session_count(), Some(0));
    assert_eq!(gs.name(), Some(name.as_str()));
    assert_eq!(gs.game_properties().len(), 16);
    assert_eq!(gs.game_session_id(), Some(format!("{}{token}", game_session_arn_prefix(FLEET_EC2)).as_str()));
}

#[tokio::test]
async fn create_game_session_by_fleet_arn_resolves_fleet_id() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let gs =
        create_ok(create(&client).fleet_id(fleet_arn(FLEET_EC2)), "CreateGameSession(FleetId=ARN)").await;

    assert_generated_id(gs.game_session_id().expect("GameSessionId"), &game_session_arn_prefix(FLEET_EC2));
    assert_eq!(gs.fleet_id(), Some(FLEET_EC2));
    assert_eq!(gs.fleet_arn(), Some(fleet_arn(FLEET_EC2).as_str()));
    assert_eq!(gs.status(), Some(&GameSessionStatus::Activating));
}

#[tokio::test]
async fn create_game_session_by_alias_id_resolves_to_alias_fleet() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let gs = create_ok(create(&client).alias_id(ALIAS_SIMPLE), "CreateGameSession(AliasId)").await;

    assert_generated_id(gs.game_session_id().expect("GameSessionId"), &game_session_arn_prefix(FLEET_EC2));
    assert_eq!(gs.fleet_id(), Some(FLEET_EC2));
    assert_eq!(gs.fleet_arn(), Some(fleet_arn(FLEET_EC2).as_str()));
    assert_eq!(gs.location(), Some(REGION));
}

#[tokio::test]
async fn create_game_session_by_alias_arn_resolves_to_alias_fleet() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let gs =
        create_ok(create(&client).alias_id(alias_arn(ALIAS_SIMPLE)), "CreateGameSession(AliasId=ARN)").await;

    assert_generated_id(gs.game_session_id().expect("GameSessionId"), &game_session_arn_prefix(FLEET_EC2));
    assert_eq!(gs.fleet_id(), Some(FLEET_EC2));
    assert_eq!(gs.fleet_arn(), Some(fleet_arn(FLEET_EC2).as_str()));
}

#[tokio::test]
async fn create_game_session_in_remote_location_has_location_in_arn_and_becomes_active() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let gs = create_ok(
        create(&client).fleet_id(FLEET_EC2).location("us-west-2"),
        "CreateGameSession(Location=us-west-2)",
    )
    .await;

    let id = gs.game_session_id().expect("GameSessionId");
    assert_generated_id(id, &format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET_EC2}/us-west-2/"));
    assert!(id.contains("/us-west-2/"), "{id}");
    assert_eq!(gs.location(), Some("us-west-2"));
    assert_eq!(gs.fleet_id(), Some(FLEET_EC2));
    assert_eq!(gs.status(), Some(&GameSessionStatus::Activating));

    let active = wait_for_status(&client, id, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;
    assert_eq!(active.location(), Some("us-west-2"));
}

#[tokio::test]
async fn create_game_session_explicit_home_location_has_no_location_segment() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let gs = create_ok(
        create(&client).fleet_id(FLEET_EC2).location(REGION),
        "CreateGameSession(Location=us-east-1)",
    )
    .await;

    assert_generated_id(gs.game_session_id().expect("GameSessionId"), &game_session_arn_prefix(FLEET_EC2));
    assert_eq!(gs.location(), Some(REGION));
}

#[tokio::test]
async fn create_game_session_idempotency_token_replaces_generated_id() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let gs = create_ok(
        create(&client).fleet_id(FLEET_EC2).idempotency_token("tok-1"),
        "CreateGameSession(IdempotencyToken)",
    )
    .await;

    assert_eq!(gs.game_session_id(), Some(format!("{}tok-1", game_session_arn_prefix(FLEET_EC2)).as_str()));
}

#[tokio::test]
async fn create_game_session_idempotency_token_in_remote_location_keeps_location_segment() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let gs = create_ok(
        create(&client).fleet_id(FLEET_EC2).location("us-west-2").idempotency_token("tok-remote"),
        "CreateGameSession(IdempotencyToken, Location=us-west-2)",
    )
    .await;

    assert_eq!(
        gs.game_session_id(),
        Some(format!("arn:aws:gamelift:us-east-1::gamesession/{FLEET_EC2}/us-west-2/tok-remote").as_str())
    );
}

#[tokio::test]
async fn create_game_session_same_idempotency_token_twice_returns_same_session() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let request = || create(&client).fleet_id(FLEET_EC2).name("idem").idempotency_token("tok-same");

    let first = create_ok(request(), "first CreateGameSession").await;
    let second = create_ok(request(), "second CreateGameSession with the same token").await;

    assert_eq!(first.game_session_id(), second.game_session_id());
    assert_eq!(first.port(), second.port());
    assert_eq!(second.name(), Some("idem"));

    let listed =
        ok(client.describe_game_sessions().fleet_id(FLEET_EC2).send().await, "DescribeGameSessions(FleetId)");
    let ids: Vec<_> = listed.game_sessions().iter().map(|s| s.game_session_id()).collect();
    assert_eq!(ids, vec![first.game_session_id()], "the repeated request must not create a second session");
}

#[tokio::test]
async fn create_game_session_deprecated_game_session_id_replaces_generated_id() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let gs = create_ok(
        create(&client).fleet_id(FLEET_EC2).game_session_id("custom-id-1"),
        "CreateGameSession(GameSessionId)",
    )
    .await;

    assert_eq!(
        gs.game_session_id(),
        Some(format!("{}custom-id-1", game_session_arn_prefix(FLEET_EC2)).as_str())
    );
}

#[tokio::test]
async fn create_game_session_two_sessions_on_one_instance_get_distinct_ports() {
    let emu = Emulator::start().await;
    let client = emu.client();

    // Fleet ...0004 has a single instance in us-east-1 with two server processes.
    let a = create_ok(create(&client).fleet_id(FLEET_TINY), "first session").await;
    let b = create_ok(create(&client).fleet_id(FLEET_TINY), "second session").await;

    assert_ne!(a.game_session_id(), b.game_session_id());
    assert!(a.port().is_some() && b.port().is_some());
    assert_ne!(a.port(), b.port(), "two live sessions on one instance share a port");
    let described = describe_game_session(&client, b.game_session_id().unwrap()).await;
    assert_eq!(described.port(), b.port());
}
