//! CreateGameSession: every error of the contract, as the SDK surfaces it.
//!
//! The Rust SDK validates nothing on the client side, so constraint violations reach the
//! emulator unchanged and must come back as `InvalidRequestException` with Coral-style messages.

use aws_sdk_gamelift::Client;
use aws_sdk_gamelift::operation::create_game_session::CreateGameSessionError;
use aws_sdk_gamelift::operation::create_game_session::builders::CreateGameSessionFluentBuilder;
use aws_sdk_gamelift::types::GameProperty;
use gamelift_emulator_compat::{
    ALIAS_MISSING, ALIAS_SIMPLE, ALIAS_TERMINAL, Emulator, FLEET_ACTIVATING, FLEET_EC2, FLEET_LIMITED,
    FLEET_MISSING, FLEET_TINY, TERMINAL_MESSAGE, alias_arn, assert_code, assert_variant, fleet_arn, ok,
    service_error,
};

fn create(client: &Client) -> CreateGameSessionFluentBuilder {
    client.create_game_session().maximum_player_session_count(10)
}

async fn create_err(builder: CreateGameSessionFluentBuilder, what: &str) -> CreateGameSessionError {
    service_error(builder.send().await, what)
}

async fn create_ok(builder: CreateGameSessionFluentBuilder, what: &str) {
    let out = ok(builder.send().await, what);
    assert!(out.game_session().is_some(), "{what}: no GameSession");
}

fn assert_invalid_request(err: &CreateGameSessionError) -> String {
    assert_variant!(err, CreateGameSessionError::InvalidRequestException(_));
    assert_code(err, "InvalidRequestException")
}

// ---- fleet / alias selection ------------------------------------------------------------------

#[tokio::test]
async fn create_game_session_both_fleet_and_alias_invalid_request() {
    let emu = Emulator::start().await;
    let err =
        create_err(create(&emu.client()).fleet_id(FLEET_EC2).alias_id(ALIAS_SIMPLE), "FleetId and AliasId")
            .await;
    assert_invalid_request(&err);
}

#[tokio::test]
async fn create_game_session_neither_fleet_nor_alias_invalid_request() {
    let emu = Emulator::start().await;
    let err = create_err(create(&emu.client()), "no FleetId, no AliasId").await;
    assert_invalid_request(&err);
}

#[tokio::test]
async fn create_game_session_unknown_fleet_id_not_found() {
    let emu = Emulator::start().await;
    let err = create_err(create(&emu.client()).fleet_id(FLEET_MISSING), "unknown fleet ID").await;
    assert_variant!(err, CreateGameSessionError::NotFoundException(_));
    assert_code(&err, "NotFoundException");
}

#[tokio::test]
async fn create_game_session_unknown_fleet_arn_not_found() {
    let emu = Emulator::start().await;
    let err = create_err(create(&emu.client()).fleet_id(fleet_arn(FLEET_MISSING)), "unknown fleet ARN").await;
    assert_variant!(err, CreateGameSessionError::NotFoundException(_));
    assert_code(&err, "NotFoundException");
}

#[tokio::test]
async fn create_game_session_unknown_alias_id_not_found() {
    let emu = Emulator::start().await;
    let err = create_err(create(&emu.client()).alias_id(ALIAS_MISSING), "unknown alias ID").await;
    assert_variant!(err, CreateGameSessionError::NotFoundException(_));
    assert_code(&err, "NotFoundException");
}

#[tokio::test]
async fn create_game_session_unknown_alias_arn_not_found() {
    let emu = Emulator::start().await;
    let err = create_err(create(&emu.client()).alias_id(alias_arn(ALIAS_MISSING)), "unknown alias ARN").await;
    assert_variant!(err, CreateGameSessionError::NotFoundException(_));
    assert_code(&err, "NotFoundException");
}

#[tokio::test]
async fn create_game_session_terminal_alias_terminal_routing_strategy_with_alias_message() {
    let emu = Emulator::start().await;
    let err = create_err(create(&emu.client()).alias_id(ALIAS_TERMINAL), "TERMINAL alias").await;
    assert_variant!(err, CreateGameSessionError::TerminalRoutingStrategyException(_));
    let message = assert_code(&err, "TerminalRoutingStrategyException");
    assert_eq!(message, TERMINAL_MESSAGE);
}

// ---- fleet and location status ----------------------------------------------------------------

#[tokio::test]
async fn create_game_session_activating_fleet_invalid_fleet_status() {
    let emu = Emulator::start().await;
    let err =
        create_err(create(&emu.client()).fleet_id(FLEET_ACTIVATING), "fleet ...0003 (ACTIVATING)").await;
    assert_variant!(err, CreateGameSessionError::InvalidFleetStatusException(_));
    assert_code(&err, "InvalidFleetStatusException");
}

#[tokio::test]
async fn create_game_session_activating_location_invalid_fleet_status() {
    let emu = Emulator::start().await;
    let err = create_err(
        create(&emu.client()).fleet_id(FLEET_TINY).location("ap-northeast-1"),
        "fleet ...0004 in ap-northeast-1 (ACTIVATING)",
    )
    .await;
    assert_variant!(err, CreateGameSessionError::InvalidFleetStatusException(_));
    assert_code(&err, "InvalidFleetStatusException");
}

#[tokio::test]
async fn create_game_session_region_not_in_fleet_invalid_request() {
    let emu = Emulator::start().await;
    let err = create_err(
        create(&emu.client()).fleet_id(FLEET_EC2).location("eu-west-1"),
        "Location eu-west-1 on fleet ...0001",
    )
    .await;
    assert_invalid_request(&err);
}

#[tokio::test]
async fn create_game_session_location_not_an_aws_region_unsupported_region() {
    let emu = Emulator::start().await;
    let err = create_err(
        create(&emu.client()).fleet_id(FLEET_EC2).location("mars-north-1"),
        "Location mars-north-1",
    )
    .await;
    assert_variant!(err, CreateGameSessionError::UnsupportedRegionException(_));
    assert_code(&err, "UnsupportedRegionException");
}

// ---- capacity and creator limits --------------------------------------------------------------

#[tokio::test]
async fn create_game_session_third_session_on_tiny_fleet_fleet_capacity_exceeded() {
    let emu = Emulator::start().await;
    let client = emu.client();
    create_ok(create(&client).fleet_id(FLEET_TINY), "1st session on ...0004").await;
    create_ok(create(&client).fleet_id(FLEET_TINY), "2nd session on ...0004").await;

    let err = create_err(create(&client).fleet_id(FLEET_TINY), "3rd session on ...0004").await;
    assert_variant!(err, CreateGameSessionError::FleetCapacityExceededException(_));
    assert_code(&err, "FleetCapacityExceededException");
}

#[tokio::test]
async fn create_game_session_limit_policy_third_session_by_creator_limit_exceeded() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let by = |creator: &str| create(&client).fleet_id(FLEET_LIMITED).creator_id(creator);
    create_ok(by("player-a"), "1st session by player-a").await;
    create_ok(by("player-a"), "2nd session by player-a").await;

    let err = create_err(by("player-a"), "3rd session by player-a within a minute").await;
    assert_variant!(err, CreateGameSessionError::LimitExceededException(_));
    assert_code(&err, "LimitExceededException");

    // The policy counts per creator: somebody else may still create sessions.
    create_ok(by("player-b"), "1st session by player-b").await;
}

#[tokio::test]
async fn create_game_session_limit_policy_without_creator_id_is_not_limited() {
    // The policy counts only requests that name a creator (issue 15): more requests without a
    // CreatorId than the policy allows one creator all succeed.
    let emu = Emulator::start().await;
    let client = emu.client();
    for n in 1..=3 {
        let what = format!("session {n} without CreatorId");
        let out = ok(create(&client).fleet_id(FLEET_LIMITED).send().await, &what);
        let gs = out.game_session().expect("GameSession");
        assert_eq!(gs.creator_id(), None, "{what}");
    }
}

#[tokio::test]
async fn create_game_session_same_creator_twice_within_a_second_limit_exceeded() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let by = |creator: &str| create(&client).fleet_id(FLEET_EC2).creator_id(creator);
    create_ok(by("fast-player"), "1st session by fast-player").await;

    let err = create_err(by("fast-player"), "2nd session by fast-player within 1 s").await;
    assert_variant!(err, CreateGameSessionError::LimitExceededException(_));
    assert_code(&err, "LimitExceededException");

    create_ok(by("other-player"), "a different CreatorId is not limited").await;
}

// ---- idempotency ------------------------------------------------------------------------------

#[tokio::test]
async fn create_game_session_idempotency_token_with_different_parameters_idempotent_parameter_mismatch() {
    let emu = Emulator::start().await;
    let client = emu.client();
    create_ok(create(&client).fleet_id(FLEET_EC2).idempotency_token("tok-mismatch"), "first request").await;

    let err = create_err(
        client
            .create_game_session()
            .fleet_id(FLEET_EC2)
            .maximum_player_session_count(11)
            .idempotency_token("tok-mismatch"),
        "same token, different MaximumPlayerSessionCount",
    )
    .await;
    assert_variant!(err, CreateGameSessionError::IdempotentParameterMismatchException(_));
    assert_code(&err, "IdempotentParameterMismatchException");
}

#[tokio::test]
async fn create_game_session_deprecated_game_session_id_reused_idempotent_parameter_mismatch() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let request = || create(&client).fleet_id(FLEET_EC2).game_session_id("custom-reused");
    create_ok(request(), "first request with GameSessionId").await;

    let err = create_err(request(), "GameSessionId reused in the same fleet").await;
    assert_variant!(err, CreateGameSessionError::IdempotentParameterMismatchException(_));
    assert_code(&err, "IdempotentParameterMismatchException");
}

// ---- constraint validation --------------------------------------------------------------------

#[tokio::test]
async fn create_game_session_negative_max_players_invalid_request_with_validation_message() {
    let emu = Emulator::start().await;
    let err = create_err(
        emu.client().create_game_session().fleet_id(FLEET_EC2).maximum_player_session_count(-1),
        "MaximumPlayerSessionCount -1",
    )
    .await;
    let message = assert_invalid_request(&err);
    assert_eq!(
        message,
        "1 validation error detected: Value '-1' at 'maximumPlayerSessionCount' failed to satisfy constraint: Member must have value greater than or equal to 0"
    );
}

#[tokio::test]
async fn create_game_session_missing_max_players_invalid_request_with_validation_message() {
    let emu = Emulator::start().await;
    let err =
        create_err(emu.client().create_game_session().fleet_id(FLEET_EC2), "no MaximumPlayerSessionCount")
            .await;
    let message = assert_invalid_request(&err);
    assert!(message.starts_with("1 validation error detected: "), "{message}");
    assert!(
        message.contains(
            "Value null at 'maximumPlayerSessionCount' failed to satisfy constraint: Member must not be null"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn create_game_session_empty_name_invalid_request_with_validation_message() {
    let emu = Emulator::start().await;
    let err = create_err(create(&emu.client()).fleet_id(FLEET_EC2).name(""), "empty Name").await;
    let message = assert_invalid_request(&err);
    assert!(message.starts_with("1 validation error detected: "), "{message}");
    assert!(
        message.contains(
            "at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn create_game_session_name_of_2000_chars_invalid_request_with_validation_message() {
    let emu = Emulator::start().await;
    let err = create_err(
        create(&emu.client()).fleet_id(FLEET_EC2).name("x".repeat(2000)),
        "Name of 2000 characters",
    )
    .await;
    let message = assert_invalid_request(&err);
    assert!(message.starts_with("1 validation error detected: "), "{message}");
    assert!(
        message.contains(
            "at 'name' failed to satisfy constraint: Member must have length less than or equal to 1024"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn create_game_session_17_game_properties_invalid_request_with_validation_message() {
    let emu = Emulator::start().await;
    let mut builder = create(&emu.client()).fleet_id(FLEET_EC2);
    for i in 0..17 {
        builder = builder
            .game_properties(GameProperty::builder().key(format!("k{i}")).value(format!("v{i}")).build());
    }
    let err = create_err(builder, "17 GameProperties").await;
    let message = assert_invalid_request(&err);
    assert!(message.starts_with("1 validation error detected: "), "{message}");
    assert!(
        message.contains(
            "at 'gameProperties' failed to satisfy constraint: Member must have length less than or equal to 16"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn create_game_session_bad_idempotency_token_invalid_request_with_validation_message() {
    let emu = Emulator::start().await;
    let err = create_err(
        create(&emu.client()).fleet_id(FLEET_EC2).idempotency_token("bad token!"),
        "IdempotencyToken 'bad token!'",
    )
    .await;
    let message = assert_invalid_request(&err);
    assert!(message.starts_with("1 validation error detected: "), "{message}");
    assert!(
        message.contains("Value 'bad token!' at 'idempotencyToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-]+"),
        "{message}"
    );
}

#[tokio::test]
async fn create_game_session_two_violations_invalid_request_lists_both() {
    let emu = Emulator::start().await;
    let err = create_err(
        emu.client().create_game_session().fleet_id(FLEET_EC2).maximum_player_session_count(-1).name(""),
        "MaximumPlayerSessionCount -1 and empty Name",
    )
    .await;
    let message = assert_invalid_request(&err);
    assert!(message.starts_with("2 validation errors detected: "), "{message}");
    assert!(message.contains("; "), "{message}");
    assert!(
        message.contains("at 'maximumPlayerSessionCount' failed to satisfy constraint: Member must have value greater than or equal to 0"),
        "{message}"
    );
    assert!(
        message.contains(
            "at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"
        ),
        "{message}"
    );
}
