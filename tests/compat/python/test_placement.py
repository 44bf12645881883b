"""Game session placement with boto3 against the binary, the emulator clock paused and moved by
the test: a queue over two fleets in three locations places by latency; a full queue waits and
is placed when a game session ends, or times out; StopGameSessionPlacement cancels; deleting the
queue fails what is pending; the errors; and a placement onto the Anywhere fleet that waits for
the test game server to activate its game session."""

import re

import pytest

from gl_support import (
    FLEET_ANYWHERE,
    FLEET_EC2,
    FLEET_TINY,
    advance_clock,
    assert_service_error,
    fleet_arn,
    game_session_arn_re,
)
from test_game_server_loop import FakeGameServer

EMULATOR_FLAGS = ("--clock", "paused")


def ms(value):
    return round(value.timestamp() * 1000)


def describe(gl, placement_id):
    return gl.describe_game_session_placement(PlacementId=placement_id)["GameSessionPlacement"]


def fill_tiny(gl):
    return [
        gl.create_game_session(FleetId=FLEET_TINY, MaximumPlayerSessionCount=2)["GameSession"]["GameSessionId"]
        for _ in range(2)
    ]


def tiny_queue(gl, name="tiny-queue", **kwargs):
    return gl.create_game_session_queue(Name=name, Destinations=[{"DestinationArn": fleet_arn(FLEET_TINY)}], **kwargs)


def test_a_placement_lands_in_the_lowest_latency_allowed_location(gl, module_endpoint):
    # Two fleets, three locations: default-ec2 (us-east-1, us-west-2), default-tiny (us-east-1,
    # ap-northeast-1). ap-northeast-1 is closest, but the queue does not allow it.
    gl.create_game_session_queue(
        Name="three-locations",
        Destinations=[{"DestinationArn": fleet_arn(FLEET_EC2)}, {"DestinationArn": fleet_arn(FLEET_TINY)}],
        FilterConfiguration={"AllowedLocations": ["us-east-1", "us-west-2"]},
    )
    latencies = [
        {"PlayerId": "alice", "RegionIdentifier": region, "LatencyInMilliseconds": ms_}
        for region, ms_ in [("ap-northeast-1", 5.0), ("us-west-2", 30.0), ("us-east-1", 70.0)]
    ] + [
        {"PlayerId": "bob", "RegionIdentifier": region, "LatencyInMilliseconds": ms_}
        for region, ms_ in [("ap-northeast-1", 8.0), ("us-west-2", 35.0), ("us-east-1", 60.0)]
    ]
    started = gl.start_game_session_placement(
        PlacementId="boto3-placement-1",
        GameSessionQueueName="three-locations",
        MaximumPlayerSessionCount=4,
        GameSessionName="boto3-match",
        GameProperties=[{"Key": "mode", "Value": "duel"}],
        PlayerLatencies=latencies,
        DesiredPlayerSessions=[{"PlayerId": "alice", "PlayerData": "alice-data"}, {"PlayerId": "bob"}],
    )["GameSessionPlacement"]
    assert started["Status"] == "PENDING"
    assert "GameSessionArn" not in started and "PlacedPlayerSessions" not in started
    assert describe(gl, "boto3-placement-1")["Status"] == "PENDING"  # the clock stands still

    advance_clock(module_endpoint, 0.2)  # the suite runs with --game-session-activation-delay 200ms
    p = describe(gl, "boto3-placement-1")
    assert p["Status"] == "FULFILLED"
    assert p["GameSessionRegion"] == "us-west-2"
    assert re.match(game_session_arn_re(FLEET_EC2, "us-west-2"), p["GameSessionArn"]), p["GameSessionArn"]
    assert p["GameSessionId"] == p["GameSessionArn"]
    assert (p["IpAddress"], p["DnsName"], p["Port"]) == ("127.0.0.1", "localhost", 7777)
    assert ms(p["EndTime"]) - ms(p["StartTime"]) == 200
    placed = {s["PlayerId"]: s["PlayerSessionId"] for s in p["PlacedPlayerSessions"]}
    assert set(placed) == {"alice", "bob"}

    players = gl.describe_player_sessions(GameSessionId=p["GameSessionArn"])["PlayerSessions"]
    assert {(s["PlayerId"], s["Status"], s.get("PlayerData")) for s in players} == {
        ("alice", "RESERVED", "alice-data"),
        ("bob", "RESERVED", None),
    }
    assert {s["PlayerSessionId"] for s in players} == set(placed.values())
    gs = gl.describe_game_sessions(GameSessionId=p["GameSessionArn"])["GameSessions"][0]
    assert (gs["Status"], gs["Name"], gs["Location"]) == ("ACTIVE", "boto3-match", "us-west-2")
    assert gs["GameProperties"] == [{"Key": "mode", "Value": "duel"}]


def test_a_full_queue_waits_and_is_fulfilled_when_a_game_session_ends(gl, module_endpoint):
    tiny_queue(gl)
    sessions = fill_tiny(gl)
    gl.start_game_session_placement(PlacementId="waits", GameSessionQueueName="tiny-queue", MaximumPlayerSessionCount=2)
    advance_clock(module_endpoint, 30)
    assert describe(gl, "waits")["Status"] == "PENDING"
    gl.terminate_game_session(GameSessionId=sessions[0], TerminationMode="FORCE_TERMINATE")
    advance_clock(module_endpoint, 0.5)  # terminated: the slot is free and the placement got it
    assert describe(gl, "waits")["Status"] == "PENDING"
    advance_clock(module_endpoint, 1)  # default-tiny activates in 1 s
    p = describe(gl, "waits")
    assert p["Status"] == "FULFILLED"
    assert p["GameSessionArn"] not in sessions
    assert re.match(game_session_arn_re(FLEET_TINY), p["GameSessionArn"])


def test_a_full_queue_times_out(gl, module_endpoint):
    tiny_queue(gl, TimeoutInSeconds=10)
    fill_tiny(gl)
    gl.start_game_session_placement(PlacementId="too-late", GameSessionQueueName="tiny-queue", MaximumPlayerSessionCount=2)
    advance_clock(module_endpoint, 9.9)
    assert describe(gl, "too-late")["Status"] == "PENDING"
    advance_clock(module_endpoint, 0.1)
    p = describe(gl, "too-late")
    assert p["Status"] == "TIMED_OUT"
    assert ms(p["EndTime"]) - ms(p["StartTime"]) == 10_000


def test_stop_cancels_a_pending_placement_once(gl):
    tiny_queue(gl)
    fill_tiny(gl)
    gl.start_game_session_placement(PlacementId="stop-me", GameSessionQueueName="tiny-queue", MaximumPlayerSessionCount=2)
    stopped = gl.stop_game_session_placement(PlacementId="stop-me")["GameSessionPlacement"]
    assert stopped["Status"] == "CANCELLED" and "EndTime" in stopped
    assert describe(gl, "stop-me")["Status"] == "CANCELLED"
    with pytest.raises(gl.exceptions.InvalidRequestException) as e:
        gl.stop_game_session_placement(PlacementId="stop-me")
    assert "CANCELLED" in assert_service_error(e, "InvalidRequestException")


def test_deleting_the_queue_fails_its_pending_placements(gl):
    tiny_queue(gl)
    fill_tiny(gl)
    gl.start_game_session_placement(PlacementId="orphan", GameSessionQueueName="tiny-queue", MaximumPlayerSessionCount=2)
    gl.delete_game_session_queue(Name="tiny-queue")
    p = describe(gl, "orphan")
    assert p["Status"] == "FAILED" and "EndTime" in p


def test_placement_errors(gl):
    gl.create_game_session_queue(
        Name="by-location", Destinations=[{"DestinationArn": fleet_arn(FLEET_EC2)}],
        PriorityConfiguration={"PriorityOrder": ["LOCATION"], "LocationOrder": ["us-west-2"]},
    )
    gl.start_game_session_placement(PlacementId="taken", GameSessionQueueName="default-queue", MaximumPlayerSessionCount=2)
    base = {"PlacementId": "fresh", "GameSessionQueueName": "default-queue", "MaximumPlayerSessionCount": 2}
    override = {"LocationOrder": ["us-east-1"]}
    latency = [{"PlayerId": "p", "RegionIdentifier": "us-east-1", "LatencyInMilliseconds": 10.0}]
    cases = [
        ({"PlacementId": "taken"}, "InvalidRequestException", "taken"),
        ({"GameSessionQueueName": "no-such-queue"}, "NotFoundException", "no-such-queue"),
        ({"GameSessionQueueName": "by-location", "PriorityConfigurationOverride": override, "PlayerLatencies": latency},
         "InvalidRequestException", "PlayerLatencies"),
        ({"PriorityConfigurationOverride": override}, "InvalidRequestException", "LOCATION"),
        ({"MaximumPlayerSessionCount": 1, "DesiredPlayerSessions": [{"PlayerId": "a"}, {"PlayerId": "b"}]},
         "InvalidRequestException", "MaximumPlayerSessionCount"),
    ]
    for extra, code, needle in cases:
        with pytest.raises(gl.exceptions.ClientError) as e:
            gl.start_game_session_placement(**{**base, **extra})
        assert needle in assert_service_error(e, code), extra
    for call in (gl.describe_game_session_placement, gl.stop_game_session_placement):
        with pytest.raises(gl.exceptions.NotFoundException) as e:
            call(PlacementId="fresh")
        assert_service_error(e, "NotFoundException")


def test_a_placement_on_the_anywhere_queue_waits_for_the_game_server_to_activate(gl, module_endpoint):
    started = gl.start_game_session_placement(
        PlacementId="anywhere-1", GameSessionQueueName="default-anywhere-queue", MaximumPlayerSessionCount=2,
        DesiredPlayerSessions=[{"PlayerId": "carol"}],
    )["GameSessionPlacement"]
    assert started["Status"] == "PENDING"  # no game server yet
    server = FakeGameServer(
        {
            "GAMELIFT_SDK_WEBSOCKET_URL": module_endpoint.replace("http://", "ws://"),
            "GAMELIFT_SDK_FLEET_ID": FLEET_ANYWHERE,
            "GAMELIFT_SDK_HOST_ID": "local-compute",
            "GAMELIFT_SDK_PROCESS_ID": "placement-process-1",
            "GAMELIFT_SDK_AUTH_TOKEN": "local-auth-token",
            "FAKE_GAME_SERVER_PORT": "7791",
        }
    )
    try:
        server.expect("ready")
        # ProcessReady is new capacity: the waiting placement is tried at once, no clock advance.
        push = server.expect("push", "CreateGameSession")
        p = describe(gl, "anywhere-1")
        assert p["Status"] == "PENDING"  # until the server activates the session
        advance_clock(module_endpoint, 60)
        assert describe(gl, "anywhere-1")["Status"] == "PENDING"
        assert server.command(f"activate {push['GameSessionId']}")["StatusCode"] == 200
        p = describe(gl, "anywhere-1")
        assert p["Status"] == "FULFILLED"
        assert p["GameSessionArn"] == push["GameSessionId"]
        assert (p["GameSessionRegion"], p["IpAddress"], p["Port"]) == ("custom-local", "127.0.0.1", 7791)
        assert [s["PlayerId"] for s in p["PlacedPlayerSessions"]] == ["carol"]
    finally:
        server.stop()
