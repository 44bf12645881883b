"""Issue 15: a fleet with a resource creation limit policy accepts CreateGameSession without a
CreatorId, as AWS does.

The official GameLift plug-in for Unity (its "single fleet" scenario) creates a fleet with
NewGameSessionsPerCreator 5 / PolicyPeriodInMinutes 2 and an alias to it; its backend then calls
`create_game_session(AliasId=..., MaximumPlayerSessionCount=...)` with no CreatorId, several
times in a row. Those calls must all succeed: the policy counts only requests that name a creator.

This module starts its own emulator with a short fleet walk; the wait for ACTIVE polls with a
deadline and never sleeps a fixed time.
"""

import pytest

from gl_support import assert_service_error, poll

EMULATOR_FLAGS = ("--fleet-activation-delay", "200ms")
POLICY = {"NewGameSessionsPerCreator": 5, "PolicyPeriodInMinutes": 2}


def single_fleet_scenario(gl):
    """The plug-in's deployment: a build, a fleet with the creation limit policy, an alias."""
    build_id = gl.create_build(
        Name="unity-server",
        OperatingSystem="AMAZON_LINUX_2023",
        StorageLocation={"Bucket": "bkt", "Key": "server.zip", "RoleArn": "arn:aws:iam::123456789012:role/r"},
    )["Build"]["BuildId"]
    fleet_id = gl.create_fleet(
        Name="unity-single-fleet",
        BuildId=build_id,
        EC2InstanceType="c5.large",
        RuntimeConfiguration={
            "ServerProcesses": [{"LaunchPath": "/local/game/GameServer.x86_64", "ConcurrentExecutions": 10}]
        },
        ResourceCreationLimitPolicy=POLICY,
    )["FleetAttributes"]["FleetId"]
    alias_id = gl.create_alias(
        Name="unity-single-fleet-alias", RoutingStrategy={"Type": "SIMPLE", "FleetId": fleet_id}
    )["Alias"]["AliasId"]

    def active():
        attrs = gl.describe_fleet_attributes(FleetIds=[fleet_id])["FleetAttributes"]
        return attrs[0]["Status"] == "ACTIVE"

    poll(f"fleet {fleet_id} reaching ACTIVE", active)
    attrs = gl.describe_fleet_attributes(FleetIds=[fleet_id])["FleetAttributes"][0]
    assert attrs["ResourceCreationLimitPolicy"] == POLICY
    return fleet_id, alias_id


def test_requests_without_creator_id_all_succeed_on_a_limited_fleet(gl):
    fleet_id, alias_id = single_fleet_scenario(gl)
    ids = []
    # More requests than the policy would allow one creator in its period.
    for _ in range(POLICY["NewGameSessionsPerCreator"] + 2):
        gs = gl.create_game_session(AliasId=alias_id, MaximumPlayerSessionCount=4)["GameSession"]
        assert gs["FleetId"] == fleet_id
        assert gs["Status"] == "ACTIVATING"
        assert "CreatorId" not in gs
        ids.append(gs["GameSessionId"])
    assert len(set(ids)) == len(ids)
    listed = gl.describe_game_sessions(AliasId=alias_id)["GameSessions"]
    assert sorted(s["GameSessionId"] for s in listed) == sorted(ids)


def test_requests_naming_a_creator_keep_the_limit(gl):
    _, alias_id = single_fleet_scenario(gl)
    for _ in range(POLICY["NewGameSessionsPerCreator"]):
        gl.create_game_session(AliasId=alias_id, MaximumPlayerSessionCount=4, CreatorId="player-1")
    with pytest.raises(gl.exceptions.LimitExceededException) as e:
        gl.create_game_session(AliasId=alias_id, MaximumPlayerSessionCount=4, CreatorId="player-1")
    assert_service_error(e, "LimitExceededException")
    # Anonymous requests and other creators are not held back by player-1's limit.
    gl.create_game_session(AliasId=alias_id, MaximumPlayerSessionCount=4)
    gl.create_game_session(AliasId=alias_id, MaximumPlayerSessionCount=4, CreatorId="player-2")
