"""DescribeGameSessions through boto3: selection, filters, paging and errors."""

import pytest

from gl_support import (
    ALIAS_SIMPLE,
    ALIAS_TERMINAL,
    FLEET_EC2,
    FLEET_TINY,
    REGION,
    TERMINAL_MESSAGE,
    UNKNOWN_ALIAS,
    UNKNOWN_FLEET,
    advance_clock,
    alias_arn,
    assert_service_error,
    fleet_arn,
    set_clock_paused,
)


def _create(client, fleet=FLEET_EC2, **kwargs):
    kwargs.setdefault("MaximumPlayerSessionCount", 4)
    return client.create_game_session(FleetId=fleet, **kwargs)["GameSession"]


def _ids(resp):
    return [s["GameSessionId"] for s in resp["GameSessions"]]


def test_describe_game_sessions_by_fleet_returns_its_sessions_in_creation_order(gamelift):
    created = [_create(gamelift, Name=f"s{i}") for i in range(3)]
    _create(gamelift, fleet=FLEET_TINY)  # another fleet: must not show up
    resp = gamelift.describe_game_sessions(FleetId=FLEET_EC2)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert _ids(resp) == [s["GameSessionId"] for s in created]
    assert "NextToken" not in resp
    # The described session carries the same data the create call returned.
    for got, want in zip(resp["GameSessions"], created):
        for key in ("Name", "FleetId", "FleetArn", "CreationTime", "Port", "IpAddress",
                    "DnsName", "Location", "MaximumPlayerSessionCount",
                    "CurrentPlayerSessionCount", "PlayerSessionCreationPolicy"):
            assert got[key] == want[key], key


def test_describe_game_sessions_empty_fleet_returns_empty_list(gamelift):
    resp = gamelift.describe_game_sessions(FleetId=FLEET_EC2)
    assert resp["GameSessions"] == []
    assert "NextToken" not in resp


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"FleetId": fleet_arn(FLEET_EC2)}, id="fleet-arn"),
        pytest.param({"AliasId": ALIAS_SIMPLE}, id="alias-id"),
        pytest.param({"AliasId": alias_arn(ALIAS_SIMPLE)}, id="alias-arn"),
    ],
)
def test_describe_game_sessions_by_arn_or_alias_returns_fleet_sessions(gamelift, kwargs):
    created = [_create(gamelift) for _ in range(2)]
    _create(gamelift, fleet=FLEET_TINY)
    assert _ids(gamelift.describe_game_sessions(**kwargs)) == [s["GameSessionId"] for s in created]


def test_describe_game_sessions_by_game_session_id_returns_that_session(gamelift):
    _create(gamelift)
    target = _create(gamelift, Name="target")
    resp = gamelift.describe_game_sessions(GameSessionId=target["GameSessionId"])
    assert _ids(resp) == [target["GameSessionId"]]
    assert resp["GameSessions"][0]["Name"] == "target"


def test_describe_game_sessions_by_location_returns_only_that_location(gamelift):
    home = _create(gamelift)
    remote = _create(gamelift, Location="us-west-2")
    west = gamelift.describe_game_sessions(FleetId=FLEET_EC2, Location="us-west-2")
    assert _ids(west) == [remote["GameSessionId"]]
    assert west["GameSessions"][0]["Location"] == "us-west-2"
    east = gamelift.describe_game_sessions(FleetId=FLEET_EC2, Location=REGION)
    assert _ids(east) == [home["GameSessionId"]]


def test_describe_game_sessions_status_filter_returns_matching_sessions(gamelift, endpoint):
    # FLEET_TINY activates sessions after 1 s; with the clock held still, the second session
    # stays ACTIVATING for as long as the test looks.
    set_clock_paused(endpoint, True)
    first = _create(gamelift, fleet=FLEET_TINY)
    advance_clock(endpoint, 1)
    second = _create(gamelift, fleet=FLEET_TINY)

    def ids(status):
        return _ids(gamelift.describe_game_sessions(FleetId=FLEET_TINY, StatusFilter=status))

    assert ids("ACTIVATING") == [second["GameSessionId"]]
    assert ids("ACTIVE") == [first["GameSessionId"]]
    assert ids("TERMINATED") == []
    assert ids("TERMINATING") == []


def test_describe_game_sessions_limit_pages_with_next_token_until_last_page(gamelift):
    created = [_create(gamelift)["GameSessionId"] for _ in range(3)]
    page1 = gamelift.describe_game_sessions(FleetId=FLEET_EC2, Limit=2)
    assert _ids(page1) == created[:2]
    token = page1.get("NextToken")
    assert isinstance(token, str) and token
    page2 = gamelift.describe_game_sessions(FleetId=FLEET_EC2, Limit=2, NextToken=token)
    assert _ids(page2) == created[2:]
    assert "NextToken" not in page2


def test_describe_game_sessions_paginator_page_size_2_returns_all_in_creation_order(gamelift):
    created = [_create(gamelift, Name=f"p{i}")["GameSessionId"] for i in range(5)]
    paginator = gamelift.get_paginator("describe_game_sessions")
    pages = list(paginator.paginate(FleetId=FLEET_EC2, PaginationConfig={"PageSize": 2}))
    # botocore itself raises PaginationError if a NextToken repeats.
    assert [len(p["GameSessions"]) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in _ids(p)] == created
    assert "NextToken" not in pages[-1]


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"FleetId": UNKNOWN_FLEET}, id="fleet-id"),
        pytest.param({"FleetId": fleet_arn(UNKNOWN_FLEET)}, id="fleet-arn"),
        pytest.param({"AliasId": UNKNOWN_ALIAS}, id="alias-id"),
        pytest.param({"AliasId": alias_arn(UNKNOWN_ALIAS)}, id="alias-arn"),
        pytest.param(
            {"GameSessionId": f"arn:aws:gamelift:{REGION}::gamesession/{FLEET_EC2}/gsess-nope"},
            id="game-session-id",
        ),
    ],
)
def test_describe_game_sessions_unknown_resource_raises_not_found(gamelift, kwargs):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.describe_game_sessions(**kwargs)
    assert_service_error(e, "NotFoundException")


def test_describe_game_sessions_terminal_alias_raises_terminal_routing(gamelift):
    with pytest.raises(gamelift.exceptions.TerminalRoutingStrategyException) as e:
        gamelift.describe_game_sessions(AliasId=ALIAS_TERMINAL)
    assert_service_error(e, "TerminalRoutingStrategyException", message=TERMINAL_MESSAGE)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="none"),
        pytest.param({"FleetId": FLEET_EC2, "AliasId": ALIAS_SIMPLE}, id="fleet+alias"),
        pytest.param({"FleetId": FLEET_EC2, "GameSessionId": "GSID"}, id="fleet+session"),
        pytest.param({"AliasId": ALIAS_SIMPLE, "GameSessionId": "GSID"}, id="alias+session"),
    ],
)
def test_describe_game_sessions_not_exactly_one_selector_raises_invalid_request(gamelift, kwargs):
    if kwargs.get("GameSessionId") == "GSID":
        kwargs["GameSessionId"] = _create(gamelift)["GameSessionId"]
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.describe_game_sessions(**kwargs)
    assert_service_error(e, "InvalidRequestException")
