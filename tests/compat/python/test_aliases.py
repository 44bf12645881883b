"""Aliases through boto3 and the AWS CLI: create, describe, list (paginator), update, delete,
resolve, and every error they can return."""

import re

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
    UUID_RE,
    alias_arn,
    assert_service_error,
    fleet_arn,
)


def _simple(fleet=FLEET_EC2):
    return {"Type": "SIMPLE", "FleetId": fleet}


def _terminal(message="closed"):
    return {"Type": "TERMINAL", "Message": message}


def _create(client, name="live", routing=None, **kwargs):
    return client.create_alias(Name=name, RoutingStrategy=routing or _simple(), **kwargs)["Alias"]


def test_create_alias_simple_returns_alias_with_arn_and_times(gamelift):
    alias = _create(gamelift, Description="players go here")
    assert re.fullmatch(rf"alias-{UUID_RE}", alias["AliasId"]), alias
    assert alias["AliasArn"] == alias_arn(alias["AliasId"])
    assert alias["Name"] == "live"
    assert alias["Description"] == "players go here"
    assert alias["RoutingStrategy"] == _simple()
    # botocore parses the epoch-seconds number into a datetime.
    assert alias["CreationTime"] == alias["LastUpdatedTime"]
    assert alias["CreationTime"].year >= 2024


def test_create_alias_terminal_with_fleet_id_drops_fleet_id(gamelift):
    alias = _create(gamelift, routing={"Type": "TERMINAL", "FleetId": FLEET_EC2, "Message": "bye"})
    assert alias["RoutingStrategy"] == {"Type": "TERMINAL", "Message": "bye"}


def test_create_alias_unknown_fleet_not_found(gamelift):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        _create(gamelift, routing=_simple(UNKNOWN_FLEET))
    assert UNKNOWN_FLEET in assert_service_error(e, "NotFoundException")


@pytest.mark.parametrize(
    "routing",
    [
        pytest.param({"FleetId": FLEET_EC2}, id="no-type"),
        pytest.param({"Type": "SIMPLE"}, id="simple-without-fleet"),
        pytest.param({"Type": "TERMINAL"}, id="terminal-without-message"),
        pytest.param({"Type": "HYBRID", "FleetId": FLEET_EC2}, id="unknown-type"),
    ],
)
def test_create_alias_incomplete_routing_strategy_invalid_request(gamelift_raw, routing):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.create_alias(Name="x", RoutingStrategy=routing)
    assert_service_error(e, "InvalidRequestException")


def test_create_alias_blank_name_invalid_request(gamelift_raw):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.create_alias(Name="   ", RoutingStrategy=_simple())
    assert "name" in assert_service_error(e, "InvalidRequestException")


def test_create_alias_duplicate_tag_keys_tagging_failed(gamelift):
    tags = [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]
    with pytest.raises(gamelift.exceptions.TaggingFailedException) as e:
        _create(gamelift, name="tagged", Tags=tags)
    assert_service_error(e, "TaggingFailedException")
    assert gamelift.list_aliases(Name="tagged")["Aliases"] == []


def test_describe_alias_by_id_and_arn_returns_fixture(gamelift):
    for alias_id in (ALIAS_TERMINAL, alias_arn(ALIAS_TERMINAL)):
        alias = gamelift.describe_alias(AliasId=alias_id)["Alias"]
        assert alias["AliasId"] == ALIAS_TERMINAL
        assert alias["RoutingStrategy"] == {"Type": "TERMINAL", "Message": TERMINAL_MESSAGE}


def test_describe_alias_unknown_not_found(gamelift):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.describe_alias(AliasId=UNKNOWN_ALIAS)
    assert UNKNOWN_ALIAS in assert_service_error(e, "NotFoundException")


def test_list_aliases_paginator_yields_every_alias_in_creation_order(gamelift):
    created = [ALIAS_SIMPLE, ALIAS_TERMINAL] + [_create(gamelift, name=f"a{i}")["AliasId"] for i in range(5)]
    pages = list(gamelift.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["Aliases"]) for p in pages] == [2, 2, 2, 1]
    assert [a["AliasId"] for p in pages for a in p["Aliases"]] == created
    assert "NextToken" not in pages[-1]
    tokens = [p["NextToken"] for p in pages[:-1]]
    assert len(set(tokens)) == len(tokens)


def test_list_aliases_filters_by_routing_type_and_name(gamelift):
    _create(gamelift, name="blue")
    _create(gamelift, name="blue", routing=_terminal())
    terminal = gamelift.list_aliases(RoutingStrategyType="TERMINAL")["Aliases"]
    assert [a["Name"] for a in terminal] == ["default-terminal", "blue"]
    blue_simple = gamelift.list_aliases(Name="blue", RoutingStrategyType="SIMPLE")["Aliases"]
    assert [a["RoutingStrategy"]["Type"] for a in blue_simple] == ["SIMPLE"]


def test_list_aliases_bad_next_token_invalid_request(gamelift):
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.list_aliases(NextToken="not-a-token")
    assert_service_error(e, "InvalidRequestException")


def test_update_alias_redirects_the_next_game_session(gamelift):
    alias = _create(gamelift)
    gs = gamelift.create_game_session(AliasId=alias["AliasId"], MaximumPlayerSessionCount=2)
    assert gs["GameSession"]["FleetId"] == FLEET_EC2
    updated = gamelift.update_alias(
        AliasId=alias_arn(alias["AliasId"]), Name="live-2", RoutingStrategy=_simple(FLEET_TINY)
    )["Alias"]
    assert updated["Name"] == "live-2"
    assert updated["RoutingStrategy"] == _simple(FLEET_TINY)
    assert updated["LastUpdatedTime"] >= alias["LastUpdatedTime"]
    gs = gamelift.create_game_session(AliasId=alias["AliasId"], MaximumPlayerSessionCount=2)
    assert gs["GameSession"]["FleetId"] == FLEET_TINY


def test_update_alias_to_terminal_makes_resolve_raise_its_message(gamelift):
    alias = _create(gamelift)
    gamelift.update_alias(AliasId=alias["AliasId"], RoutingStrategy=_terminal("Maintenance until 10:00."))
    with pytest.raises(gamelift.exceptions.TerminalRoutingStrategyException) as e:
        gamelift.resolve_alias(AliasId=alias["AliasId"])
    assert assert_service_error(e, "TerminalRoutingStrategyException") == "Maintenance until 10:00."


def test_update_alias_unknown_alias_not_found(gamelift):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.update_alias(AliasId=UNKNOWN_ALIAS, Name="n")
    assert_service_error(e, "NotFoundException")


def test_update_alias_unknown_fleet_not_found(gamelift):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.update_alias(AliasId=ALIAS_SIMPLE, RoutingStrategy=_simple(UNKNOWN_FLEET))
    assert UNKNOWN_FLEET in assert_service_error(e, "NotFoundException")


def test_update_alias_terminal_without_message_invalid_request(gamelift):
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.update_alias(AliasId=ALIAS_SIMPLE, RoutingStrategy={"Type": "TERMINAL"})
    assert_service_error(e, "InvalidRequestException")


def test_delete_alias_removes_it(gamelift):
    alias = _create(gamelift)
    resp = gamelift.delete_alias(AliasId=alias["AliasId"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(resp) == {"ResponseMetadata"}
    with pytest.raises(gamelift.exceptions.NotFoundException):
        gamelift.describe_alias(AliasId=alias["AliasId"])


def test_delete_alias_unknown_not_found(gamelift):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.delete_alias(AliasId=UNKNOWN_ALIAS)
    assert_service_error(e, "NotFoundException")


def test_resolve_alias_simple_returns_fleet_id_and_arn(gamelift):
    resp = gamelift.resolve_alias(AliasId=ALIAS_SIMPLE)
    assert resp["FleetId"] == FLEET_EC2
    assert resp["FleetArn"] == fleet_arn(FLEET_EC2)


def test_resolve_alias_terminal_terminal_routing_strategy(gamelift):
    with pytest.raises(gamelift.exceptions.TerminalRoutingStrategyException) as e:
        gamelift.resolve_alias(AliasId=ALIAS_TERMINAL)
    assert assert_service_error(e, "TerminalRoutingStrategyException") == TERMINAL_MESSAGE


def test_resolve_alias_unknown_not_found(gamelift):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.resolve_alias(AliasId=alias_arn(UNKNOWN_ALIAS))
    assert_service_error(e, "NotFoundException")


def test_list_aliases_cli_pages_through_every_alias(aws_cli, gamelift):
    created = [_create(gamelift, name=f"cli-{i}")["AliasId"] for i in range(3)]
    # --page-size makes the CLI fetch pages of 2 and merge them.
    out = aws_cli("list-aliases", "--page-size", "2")
    assert out.returncode == 0, out.stderr
    assert [a["AliasId"] for a in out.json["Aliases"]] == [ALIAS_SIMPLE, ALIAS_TERMINAL, *created]
    assert "NextToken" not in out.json
    first = out.json["Aliases"][0]
    assert first["AliasArn"] == f"arn:aws:gamelift:{REGION}::alias/{ALIAS_SIMPLE}"
    assert isinstance(first["CreationTime"], (int, float))
    # --max-items stops early and hands out a CLI continuation token.
    out = aws_cli("list-aliases", "--max-items", "1", "--routing-strategy-type", "TERMINAL")
    assert out.returncode == 0, out.stderr
    assert [a["AliasId"] for a in out.json["Aliases"]] == [ALIAS_TERMINAL]


def test_create_alias_cli_then_resolve(aws_cli):
    out = aws_cli(
        "create-alias", "--name", "from-cli",
        "--routing-strategy", f"Type=SIMPLE,FleetId={FLEET_EC2}",
    )
    assert out.returncode == 0, out.stderr
    alias_id = out.json["Alias"]["AliasId"]
    resolved = aws_cli("resolve-alias", "--alias-id", alias_id)
    assert resolved.returncode == 0, resolved.stderr
    assert resolved.json == {"FleetId": FLEET_EC2, "FleetArn": fleet_arn(FLEET_EC2)}
    terminal = aws_cli("resolve-alias", "--alias-id", ALIAS_TERMINAL)
    assert terminal.returncode != 0
    assert "TerminalRoutingStrategyException" in terminal.stderr
    assert TERMINAL_MESSAGE in terminal.stderr
