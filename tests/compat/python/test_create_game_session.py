"""CreateGameSession through boto3: successful calls and what they return."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from gl_support import (
    ACCOUNT,
    ALIAS_SIMPLE,
    FLEET_EC2,
    FLEET_TINY,
    REGION,
    alias_arn,
    fleet_arn,
    game_session_arn_re,
)


def test_create_game_session_by_fleet_id_returns_activating_session_with_all_fields(
    gamelift, wait_for_status
):
    before = datetime.now(timezone.utc)
    resp = gamelift.create_game_session(
        FleetId=FLEET_EC2,
        MaximumPlayerSessionCount=8,
        Name="my-session",
        GameProperties=[{"Key": "difficulty", "Value": "novice"}, {"Key": "map", "Value": "x1"}],
        CreatorId="player-1",
        GameSessionData="custom data",
    )
    after = datetime.now(timezone.utc)

    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["ResponseMetadata"]["RequestId"]
    gs = resp["GameSession"]
    assert re.match(game_session_arn_re(FLEET_EC2), gs["GameSessionId"]), gs["GameSessionId"]
    assert gs["Name"] == "my-session"
    assert gs["FleetId"] == FLEET_EC2
    assert gs["FleetArn"] == f"arn:aws:gamelift:{REGION}:{ACCOUNT}:fleet/{FLEET_EC2}"
    assert gs["Status"] == "ACTIVATING"
    assert gs["Location"] == REGION
    assert gs["CurrentPlayerSessionCount"] == 0
    assert gs["MaximumPlayerSessionCount"] == 8
    assert gs["PlayerSessionCreationPolicy"] == "ACCEPT_ALL"
    assert gs["GameProperties"] == [
        {"Key": "difficulty", "Value": "novice"},
        {"Key": "map", "Value": "x1"},
    ]
    assert gs["CreatorId"] == "player-1"
    assert gs["GameSessionData"] == "custom data"
    assert gs["IpAddress"] == "127.0.0.1"
    assert isinstance(gs["DnsName"], str) and gs["DnsName"]
    assert isinstance(gs["Port"], int) and 1 <= gs["Port"] <= 60000
    # botocore parses the epoch-seconds number into an aware datetime.
    created = gs["CreationTime"]
    assert isinstance(created, datetime) and created.tzinfo is not None
    slack = timedelta(seconds=2)
    assert before - slack <= created <= after + slack, (before, created, after)

    active = wait_for_status(gamelift, gs["GameSessionId"], "ACTIVE")
    for key in ("GameSessionId", "Name", "FleetId", "FleetArn", "CreationTime", "Port",
                "IpAddress", "DnsName", "Location", "GameProperties", "CreatorId",
                "GameSessionData", "MaximumPlayerSessionCount"):
        assert active[key] == gs[key], key


def test_create_game_session_minimal_request_uses_defaults(gamelift):
    gs = gamelift.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=0)["GameSession"]
    assert gs["Status"] == "ACTIVATING"
    assert gs["Location"] == REGION
    assert gs["MaximumPlayerSessionCount"] == 0
    assert gs["CurrentPlayerSessionCount"] == 0
    assert gs["PlayerSessionCreationPolicy"] == "ACCEPT_ALL"
    assert re.match(game_session_arn_re(FLEET_EC2), gs["GameSessionId"])


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"FleetId": fleet_arn(FLEET_EC2)}, id="fleet-arn"),
        pytest.param({"AliasId": ALIAS_SIMPLE}, id="alias-id"),
        pytest.param({"AliasId": alias_arn(ALIAS_SIMPLE)}, id="alias-arn"),
    ],
)
def test_create_game_session_by_arn_or_alias_resolves_to_fleet(gamelift, wait_for_status, kwargs):
    gs = gamelift.create_game_session(MaximumPlayerSessionCount=4, **kwargs)["GameSession"]
    assert gs["FleetId"] == FLEET_EC2
    assert gs["FleetArn"] == fleet_arn(FLEET_EC2)
    assert re.match(game_session_arn_re(FLEET_EC2), gs["GameSessionId"]), gs["GameSessionId"]
    assert gs["Status"] == "ACTIVATING"
    wait_for_status(gamelift, gs["GameSessionId"], "ACTIVE")


def test_create_game_session_remote_location_has_location_in_arn(gamelift, wait_for_status):
    gs = gamelift.create_game_session(
        FleetId=FLEET_EC2, MaximumPlayerSessionCount=4, Location="us-west-2"
    )["GameSession"]
    assert gs["Location"] == "us-west-2"
    assert "/us-west-2/" in gs["GameSessionId"]
    assert re.match(game_session_arn_re(FLEET_EC2, "us-west-2"), gs["GameSessionId"]), gs["GameSessionId"]
    assert gs["FleetArn"] == fleet_arn(FLEET_EC2)
    wait_for_status(gamelift, gs["GameSessionId"], "ACTIVE")


def test_create_game_session_explicit_home_location_has_no_location_segment(gamelift):
    gs = gamelift.create_game_session(
        FleetId=FLEET_EC2, MaximumPlayerSessionCount=4, Location=REGION
    )["GameSession"]
    assert gs["Location"] == REGION
    assert re.match(game_session_arn_re(FLEET_EC2), gs["GameSessionId"]), gs["GameSessionId"]


def test_create_game_session_idempotency_token_replaces_generated_id(gamelift):
    gs = gamelift.create_game_session(
        FleetId=FLEET_EC2, MaximumPlayerSessionCount=4, IdempotencyToken="my-token-1"
    )["GameSession"]
    assert re.match(game_session_arn_re(FLEET_EC2, id_part="my-token-1"), gs["GameSessionId"]), gs[
        "GameSessionId"
    ]


def test_create_game_session_deprecated_game_session_id_replaces_generated_id(gamelift):
    gs = gamelift.create_game_session(
        FleetId=FLEET_EC2, MaximumPlayerSessionCount=4, GameSessionId="custom-id-1"
    )["GameSession"]
    assert re.match(game_session_arn_re(FLEET_EC2, id_part="custom-id-1"), gs["GameSessionId"]), gs[
        "GameSessionId"
    ]


def test_create_game_session_two_sessions_on_one_instance_get_distinct_ports(gamelift):
    # FLEET_TINY has a single us-east-1 instance with room for two sessions.
    a = gamelift.create_game_session(FleetId=FLEET_TINY, MaximumPlayerSessionCount=2)["GameSession"]
    b = gamelift.create_game_session(FleetId=FLEET_TINY, MaximumPlayerSessionCount=2)["GameSession"]
    assert a["GameSessionId"] != b["GameSessionId"]
    assert a["IpAddress"] == b["IpAddress"] == "127.0.0.1"
    assert a["Port"] != b["Port"]


def test_create_game_session_each_call_gets_a_new_id_and_request_id(gamelift):
    a = gamelift.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=1)
    b = gamelift.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=1)
    assert a["GameSession"]["GameSessionId"] != b["GameSession"]["GameSessionId"]
    assert a["ResponseMetadata"]["RequestId"] != b["ResponseMetadata"]["RequestId"]
