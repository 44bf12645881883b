"""CreateGameSession errors as a boto3 user sees them (every error in the contract)."""

import re

import pytest
from botocore.exceptions import ClientError

from gl_support import (
    ALIAS_SIMPLE,
    ALIAS_TERMINAL,
    FLEET_ACTIVATING,
    FLEET_EC2,
    FLEET_LIMITED,
    FLEET_TINY,
    TERMINAL_MESSAGE,
    UNKNOWN_ALIAS,
    UNKNOWN_FLEET,
    alias_arn,
    assert_service_error,
    fleet_arn,
    game_session_arn_re,
    http,
)

# ------------------------------------------------------------------ FleetId / AliasId


def test_create_game_session_both_fleet_and_alias_raises_invalid_request(gamelift):
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.create_game_session(
            FleetId=FLEET_EC2, AliasId=ALIAS_SIMPLE, MaximumPlayerSessionCount=1
        )
    assert_service_error(e, "InvalidRequestException")


def test_create_game_session_neither_fleet_nor_alias_raises_invalid_request(gamelift):
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.create_game_session(MaximumPlayerSessionCount=1)
    assert_service_error(e, "InvalidRequestException")


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"FleetId": UNKNOWN_FLEET}, id="fleet-id"),
        pytest.param({"FleetId": fleet_arn(UNKNOWN_FLEET)}, id="fleet-arn"),
        pytest.param({"AliasId": UNKNOWN_ALIAS}, id="alias-id"),
        pytest.param({"AliasId": alias_arn(UNKNOWN_ALIAS)}, id="alias-arn"),
    ],
)
def test_create_game_session_unknown_fleet_or_alias_raises_not_found(gamelift, kwargs):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.create_game_session(MaximumPlayerSessionCount=1, **kwargs)
    assert_service_error(e, "NotFoundException")


@pytest.mark.parametrize("alias", [ALIAS_TERMINAL, alias_arn(ALIAS_TERMINAL)], ids=["id", "arn"])
def test_create_game_session_terminal_alias_raises_terminal_routing_with_alias_message(
    gamelift, alias
):
    with pytest.raises(gamelift.exceptions.TerminalRoutingStrategyException) as e:
        gamelift.create_game_session(AliasId=alias, MaximumPlayerSessionCount=1)
    assert_service_error(e, "TerminalRoutingStrategyException", message=TERMINAL_MESSAGE)


# ------------------------------------------------------------------ fleet / location state


def test_create_game_session_fleet_not_active_raises_invalid_fleet_status(gamelift):
    with pytest.raises(gamelift.exceptions.InvalidFleetStatusException) as e:
        gamelift.create_game_session(FleetId=FLEET_ACTIVATING, MaximumPlayerSessionCount=1)
    assert_service_error(e, "InvalidFleetStatusException")


def test_create_game_session_location_not_active_raises_invalid_fleet_status(gamelift):
    with pytest.raises(gamelift.exceptions.InvalidFleetStatusException) as e:
        gamelift.create_game_session(
            FleetId=FLEET_TINY, MaximumPlayerSessionCount=1, Location="ap-northeast-1"
        )
    assert_service_error(e, "InvalidFleetStatusException")


def test_create_game_session_region_not_in_fleet_raises_invalid_request(gamelift):
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.create_game_session(
            FleetId=FLEET_EC2, MaximumPlayerSessionCount=1, Location="eu-west-1"
        )
    assert_service_error(e, "InvalidRequestException")


def test_create_game_session_location_not_an_aws_region_raises_unsupported_region(gamelift):
    with pytest.raises(gamelift.exceptions.UnsupportedRegionException) as e:
        gamelift.create_game_session(
            FleetId=FLEET_EC2, MaximumPlayerSessionCount=1, Location="mars-north-1"
        )
    assert_service_error(e, "UnsupportedRegionException")


def test_create_game_session_third_session_in_tiny_fleet_raises_fleet_capacity_exceeded(gamelift):
    for _ in range(2):
        gamelift.create_game_session(FleetId=FLEET_TINY, MaximumPlayerSessionCount=1)
    with pytest.raises(gamelift.exceptions.FleetCapacityExceededException) as e:
        gamelift.create_game_session(FleetId=FLEET_TINY, MaximumPlayerSessionCount=1)
    assert_service_error(e, "FleetCapacityExceededException")
    sessions = gamelift.describe_game_sessions(FleetId=FLEET_TINY)["GameSessions"]
    assert len(sessions) == 2


# ------------------------------------------------------------------ creation limits


def test_create_game_session_limited_fleet_without_creator_is_not_limited(gamelift):
    # The policy counts only requests that name a creator (issue 15).
    for _ in range(3):
        gs = gamelift.create_game_session(FleetId=FLEET_LIMITED, MaximumPlayerSessionCount=1)
        assert "CreatorId" not in gs["GameSession"]


def test_create_game_session_limited_fleet_third_by_same_creator_raises_limit_exceeded(gamelift):
    for _ in range(2):
        gamelift.create_game_session(
            FleetId=FLEET_LIMITED, MaximumPlayerSessionCount=1, CreatorId="creator-a"
        )
    with pytest.raises(gamelift.exceptions.LimitExceededException) as e:
        gamelift.create_game_session(
            FleetId=FLEET_LIMITED, MaximumPlayerSessionCount=1, CreatorId="creator-a"
        )
    assert_service_error(e, "LimitExceededException")
    # The limit is per creator: somebody else may still create sessions.
    gamelift.create_game_session(
        FleetId=FLEET_LIMITED, MaximumPlayerSessionCount=1, CreatorId="creator-b"
    )


def test_create_game_session_same_creator_twice_within_a_second_raises_limit_exceeded(gamelift):
    gamelift.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=1, CreatorId="fast")
    with pytest.raises(gamelift.exceptions.LimitExceededException) as e:
        gamelift.create_game_session(
            FleetId=FLEET_EC2, MaximumPlayerSessionCount=1, CreatorId="fast"
        )
    assert_service_error(e, "LimitExceededException")
    gamelift.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=1, CreatorId="other")


# ------------------------------------------------------------------ idempotency


def test_create_game_session_same_idempotency_token_replays_same_session(gamelift):
    kwargs = dict(
        FleetId=FLEET_EC2, MaximumPlayerSessionCount=4, Name="n", IdempotencyToken="tok-1"
    )
    first = gamelift.create_game_session(**kwargs)["GameSession"]
    second = gamelift.create_game_session(**kwargs)
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert second["GameSession"]["GameSessionId"] == first["GameSessionId"]
    assert re.match(game_session_arn_re(FLEET_EC2, id_part="tok-1"), first["GameSessionId"])
    sessions = gamelift.describe_game_sessions(FleetId=FLEET_EC2)["GameSessions"]
    assert [s["GameSessionId"] for s in sessions] == [first["GameSessionId"]]


def test_create_game_session_same_idempotency_token_other_params_raises_mismatch(gamelift):
    gamelift.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=4, IdempotencyToken="tok-2")
    with pytest.raises(gamelift.exceptions.IdempotentParameterMismatchException) as e:
        gamelift.create_game_session(
            FleetId=FLEET_EC2, MaximumPlayerSessionCount=5, IdempotencyToken="tok-2"
        )
    assert_service_error(e, "IdempotentParameterMismatchException")
    assert len(gamelift.describe_game_sessions(FleetId=FLEET_EC2)["GameSessions"]) == 1


def test_create_game_session_reused_deprecated_game_session_id_raises_mismatch(gamelift):
    gamelift.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=4, GameSessionId="custom-1")
    with pytest.raises(gamelift.exceptions.IdempotentParameterMismatchException) as e:
        gamelift.create_game_session(
            FleetId=FLEET_EC2, MaximumPlayerSessionCount=4, GameSessionId="custom-1"
        )
    assert_service_error(e, "IdempotentParameterMismatchException")


def test_create_game_session_after_reset_idempotency_token_is_free_again(gamelift, endpoint):
    gamelift.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=4, IdempotencyToken="tok-r")
    status, _, _ = http("POST", endpoint + "/_emulator/reset", body=b"")
    assert status == 200
    assert gamelift.describe_game_sessions(FleetId=FLEET_EC2)["GameSessions"] == []
    # Different parameters would be a mismatch if the token had survived the reset.
    gamelift.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=9, IdempotencyToken="tok-r")


# ------------------------------------------------------------------ server-side validation

MAX_PLAYERS_MIN = (
    "Value '-1' at 'maximumPlayerSessionCount' failed to satisfy constraint: "
    "Member must have value greater than or equal to 0"
)
MAX_PLAYERS_NULL = (
    "Value null at 'maximumPlayerSessionCount' failed to satisfy constraint: "
    "Member must not be null"
)
TOKEN_PATTERN = (
    "Value 'bad token!' at 'idempotencyToken' failed to satisfy constraint: "
    "Member must satisfy regular expression pattern: [a-zA-Z0-9-]+"
)


def test_create_game_session_negative_max_players_raises_invalid_request_with_message(gamelift_raw):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=-1)
    assert_service_error(
        e, "InvalidRequestException", message="1 validation error detected: " + MAX_PLAYERS_MIN
    )


def test_create_game_session_missing_max_players_raises_invalid_request_with_message(gamelift_raw):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.create_game_session(FleetId=FLEET_EC2)
    assert_service_error(
        e, "InvalidRequestException", message="1 validation error detected: " + MAX_PLAYERS_NULL
    )


def test_create_game_session_name_too_long_raises_invalid_request_with_message(gamelift_raw):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.create_game_session(
            FleetId=FLEET_EC2, MaximumPlayerSessionCount=1, Name="a" * 2000
        )
    msg = assert_service_error(e, "InvalidRequestException")
    assert msg.startswith("1 validation error detected: Value "), msg
    assert " at 'name' failed to satisfy constraint: " in msg, msg
    assert msg.endswith("Member must have length less than or equal to 1024"), msg


def test_create_game_session_empty_name_raises_invalid_request(gamelift_raw):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=1, Name="")
    msg = assert_service_error(e, "InvalidRequestException")
    assert msg.startswith("1 validation error detected: "), msg
    assert " at 'name' failed to satisfy constraint: " in msg, msg
    assert msg.endswith("Member must have length greater than or equal to 1"), msg


def test_create_game_session_17_game_properties_raises_invalid_request_with_message(gamelift_raw):
    props = [{"Key": f"k{i}", "Value": "v"} for i in range(17)]
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.create_game_session(
            FleetId=FLEET_EC2, MaximumPlayerSessionCount=1, GameProperties=props
        )
    msg = assert_service_error(e, "InvalidRequestException")
    assert msg.startswith("1 validation error detected: Value "), msg
    assert " at 'gameProperties' failed to satisfy constraint: " in msg, msg
    assert msg.endswith("Member must have length less than or equal to 16"), msg


def test_create_game_session_bad_idempotency_token_raises_invalid_request_with_message(gamelift):
    # botocore does not check patterns, so the validating client sends this as is.
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.create_game_session(
            FleetId=FLEET_EC2, MaximumPlayerSessionCount=1, IdempotencyToken="bad token!"
        )
    assert_service_error(
        e, "InvalidRequestException", message="1 validation error detected: " + TOKEN_PATTERN
    )


def test_create_game_session_two_invalid_members_raises_invalid_request_listing_both(gamelift_raw):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.create_game_session(
            FleetId=FLEET_EC2, MaximumPlayerSessionCount=-1, IdempotencyToken="bad token!"
        )
    msg = assert_service_error(e, "InvalidRequestException")
    prefix = "2 validation errors detected: "
    assert msg.startswith(prefix), msg
    assert sorted(msg[len(prefix):].split("; ")) == sorted([MAX_PLAYERS_MIN, TOKEN_PATTERN]), msg


def test_create_game_session_validation_error_creates_nothing(gamelift, gamelift_raw):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException):
        gamelift_raw.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=-1)
    assert gamelift.describe_game_sessions(FleetId=FLEET_EC2)["GameSessions"] == []


def test_create_game_session_string_max_players_raises_serialization_exception(gamelift_raw):
    with pytest.raises(ClientError) as e:
        gamelift_raw.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount="5")
    # Not a GameLift model error: boto3 raises a plain ClientError carrying the code.
    assert_service_error(e, "SerializationException", modeled=False)


def test_create_game_session_10_mib_request_raises_client_error_not_connection_error(gamelift_raw):
    # GameSessionData allows 256 KiB; a 10 MiB request must come back as a readable
    # service error (whatever its code), not as a dropped connection or a hang.
    with pytest.raises(ClientError) as e:
        gamelift_raw.create_game_session(
            FleetId=FLEET_EC2, MaximumPlayerSessionCount=1, GameSessionData="x" * (10 * 1024 * 1024)
        )
    resp = e.value.response
    assert 400 <= resp["ResponseMetadata"]["HTTPStatusCode"] < 500, resp
    assert not resp["Error"]["Code"].isdigit(), f"no __type in the error body: {resp}"
