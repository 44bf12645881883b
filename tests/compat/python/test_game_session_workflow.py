"""The backend's whole game-session surface through boto3: search, player sessions with a
short reservation timeout, updates, termination, details, logs and paginators.

This module runs its own emulator (EMULATOR_FLAGS) with `--player-session-timeout 1s`, so
timeouts happen within the test (polled, never slept for).
"""

import urllib.request

import pytest

from gl_support import (
    ALIAS_SIMPLE,
    FLEET_EC2,
    FLEET_TINY,
    assert_service_error,
    http,
    poll,
    wait_for_status,
)


EMULATOR_FLAGS = ("--player-session-timeout", "1s", "--game-session-termination-delay", "200ms")


def test_game_session_player_session_search_workflow_behaves_as_gamelift(gl):
    gs = gl.create_game_session(
        FleetId=FLEET_EC2,
        MaximumPlayerSessionCount=3,
        Name="ranked-1",
        GameProperties=[{"Key": "mode", "Value": "ranked"}, {"Key": "map", "Value": "dust"}],
    )["GameSession"]
    gl.create_game_session(
        FleetId=FLEET_EC2, MaximumPlayerSessionCount=3, GameProperties=[{"Key": "mode", "Value": "casual"}]
    )
    gs_id = gs["GameSessionId"]
    wait_for_status(gl, gs_id, "ACTIVE")

    found = gl.search_game_sessions(
        AliasId=ALIAS_SIMPLE,
        FilterExpression="gameSessionProperties.mode = 'ranked' AND hasAvailablePlayerSessions = true "
        "AND NOT gameSessionName = 'other'",
        SortExpression="creationTimeMillis DESC",
    )["GameSessions"]
    assert [g["GameSessionId"] for g in found] == [gs_id]

    players = gl.create_player_sessions(
        GameSessionId=gs_id, PlayerIds=["p1", "p2", "p3"], PlayerDataMap={"p1": "elo=1200"}
    )["PlayerSessions"]
    assert [p["Status"] for p in players] == ["RESERVED"] * 3
    assert players[0]["PlayerData"] == "elo=1200"
    assert gl.describe_game_sessions(GameSessionId=gs_id)["GameSessions"][0]["CurrentPlayerSessionCount"] == 3
    with pytest.raises(gl.exceptions.GameSessionFullException) as e:
        gl.create_player_session(GameSessionId=gs_id, PlayerId="p4")
    assert_service_error(e, "GameSessionFullException")

    # p1 and p2 connect (the control API stands in for the game server); p3 never does.
    for p in players[:2]:
        status, _, _ = http("POST", f"{gl.meta.endpoint_url}/_emulator/player-sessions/{p['PlayerSessionId']}/accept", body=b"")
        assert status == 200
    timed_out = poll(
        "p3's reservation timing out",
        lambda: [
            p
            for p in gl.describe_player_sessions(GameSessionId=gs_id, PlayerSessionStatusFilter="TIMEDOUT")["PlayerSessions"]
        ]
    )
    assert [p["PlayerId"] for p in timed_out] == ["p3"]
    assert "TerminationTime" in timed_out[0]
    assert gl.describe_game_sessions(GameSessionId=gs_id)["GameSessions"][0]["CurrentPlayerSessionCount"] == 2
    active = gl.describe_player_sessions(GameSessionId=gs_id, PlayerSessionStatusFilter="ACTIVE")["PlayerSessions"]
    assert sorted(p["PlayerId"] for p in active) == ["p1", "p2"]

    # The freed seat can be taken again, until the session stops accepting players.
    gl.create_player_session(GameSessionId=gs_id, PlayerId="p4")
    updated = gl.update_game_session(GameSessionId=gs_id, PlayerSessionCreationPolicy="DENY_ALL", MaximumPlayerSessionCount=5)
    assert updated["GameSession"]["PlayerSessionCreationPolicy"] == "DENY_ALL"
    with pytest.raises(gl.exceptions.InvalidGameSessionStatusException) as e:
        gl.create_player_session(GameSessionId=gs_id, PlayerId="p5")
    assert_service_error(e, "InvalidGameSessionStatusException")

    ended = gl.terminate_game_session(GameSessionId=gs_id, TerminationMode="TRIGGER_ON_PROCESS_TERMINATE")
    assert ended["GameSession"]["Status"] == "TERMINATING"
    final = wait_for_status(gl, gs_id, "TERMINATED")
    assert final["StatusReason"] == "TRIGGERED_ON_PROCESS_TERMINATE"
    assert final["TerminationTime"] >= final["CreationTime"]
    # Still describable, no longer searchable, and its player sessions are closed.
    assert gl.describe_game_sessions(GameSessionId=gs_id)["GameSessions"][0]["Status"] == "TERMINATED"
    assert gl.search_game_sessions(FleetId=FLEET_EC2, FilterExpression="gameSessionName = 'ranked-1'")["GameSessions"] == []
    statuses = {p["PlayerId"]: p["Status"] for p in gl.describe_player_sessions(GameSessionId=gs_id)["PlayerSessions"]}
    assert statuses == {"p1": "COMPLETED", "p2": "COMPLETED", "p3": "TIMEDOUT", "p4": "COMPLETED"}


def test_terminate_game_session_frees_the_slot(gl):
    ids = [gl.create_game_session(FleetId=FLEET_TINY, MaximumPlayerSessionCount=1)["GameSession"]["GameSessionId"] for _ in range(2)]
    with pytest.raises(gl.exceptions.FleetCapacityExceededException):
        gl.create_game_session(FleetId=FLEET_TINY, MaximumPlayerSessionCount=1)
    gl.terminate_game_session(GameSessionId=ids[0], TerminationMode="FORCE_TERMINATE")
    final = wait_for_status(gl, ids[0], "TERMINATED")
    assert final["StatusReason"] == "FORCE_TERMINATED"
    assert gl.create_game_session(FleetId=FLEET_TINY, MaximumPlayerSessionCount=1)["GameSession"]["Status"] == "ACTIVATING"
    with pytest.raises(gl.exceptions.InvalidGameSessionStatusException):
        gl.terminate_game_session(GameSessionId=ids[0], TerminationMode="FORCE_TERMINATE")


def test_search_game_sessions_paginator_and_errors(gl):
    for i in range(7):
        gl.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=i + 1, Name=f"s{i}")
    poll("7 ACTIVE sessions", lambda: len(gl.search_game_sessions(FleetId=FLEET_EC2)["GameSessions"]) == 7)
    pages = list(
        gl.get_paginator("search_game_sessions").paginate(
            FleetId=FLEET_EC2, SortExpression="maximumSessions DESC", PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(p["GameSessions"]) for p in pages] == [3, 3, 1]
    assert [g["MaximumPlayerSessionCount"] for p in pages for g in p["GameSessions"]] == [7, 6, 5, 4, 3, 2, 1]
    with pytest.raises(gl.exceptions.InvalidRequestException) as e:
        gl.search_game_sessions(FleetId=FLEET_EC2, FilterExpression="maximumSessions > 'x'")
    assert_service_error(e, "InvalidRequestException")
    assert "FilterExpression" in e.value.response["Error"]["Message"]


def test_describe_game_session_details_and_player_sessions_paginators(gl):
    gs_id = gl.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=10)["GameSession"]["GameSessionId"]
    wait_for_status(gl, gs_id, "ACTIVE")
    gl.create_player_sessions(GameSessionId=gs_id, PlayerIds=[f"p{i}" for i in range(5)])
    pages = list(
        gl.get_paginator("describe_player_sessions").paginate(GameSessionId=gs_id, PaginationConfig={"PageSize": 2})
    )
    assert [p["PlayerId"] for page in pages for p in page["PlayerSessions"]] == [f"p{i}" for i in range(5)]
    details = list(gl.get_paginator("describe_game_session_details").paginate(FleetId=FLEET_EC2))
    assert details[0]["GameSessionDetails"][0]["ProtectionPolicy"] == "NoProtection"
    with pytest.raises(gl.exceptions.NotFoundException):
        gl.describe_player_sessions(PlayerSessionId="psess-00000000-0000-4000-8000-000000000000")


def test_get_game_session_log_url_is_served_by_the_emulator(gl):
    gs_id = gl.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=2)["GameSession"]["GameSessionId"]
    wait_for_status(gl, gs_id, "ACTIVE")
    url = gl.get_game_session_log_url(GameSessionId=gs_id)["PreSignedUrl"]
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    assert gs_id in text and "ACTIVE" in text


def test_get_player_connection_details_returns_the_game_session_endpoint(gl):
    gs = gl.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=2)["GameSession"]
    wait_for_status(gl, gs["GameSessionId"], "ACTIVE")
    out = gl.get_player_connection_details(GameSessionId=gs["GameSessionId"], PlayerIds=["p1"])
    assert out["PlayerConnectionDetails"][0]["Endpoints"] == [{"IpAddress": gs["IpAddress"], "Port": gs["Port"]}]


def test_update_game_session_properties_are_added_and_modified_never_deleted(gl):
    gs_id = gl.create_game_session(
        FleetId=FLEET_EC2, MaximumPlayerSessionCount=2, GameProperties=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )["GameSession"]["GameSessionId"]
    wait_for_status(gl, gs_id, "ACTIVE")
    out = gl.update_game_session(GameSessionId=gs_id, GameProperties=[{"Key": "b", "Value": "3"}, {"Key": "c", "Value": "4"}])
    assert out["GameSession"]["GameProperties"] == [
        {"Key": "a", "Value": "1"},
        {"Key": "b", "Value": "3"},
        {"Key": "c", "Value": "4"},
    ]
    assert gl.search_game_sessions(FleetId=FLEET_EC2, FilterExpression="gameSessionProperties.b = '3'")["GameSessions"][0][
        "GameSessionId"
    ] == gs_id
