"""The issue's "done when" workflow through boto3, and the AWS CLI printing what it created.

CreateBuild → CreateFleet → poll until ACTIVE → CreateAlias → CreateGameSession via the alias →
UpdateFleetCapacity to more instances → more sessions fit → UpdateAlias to a second fleet → new
sessions land there → DeleteFleet on the first fleet ends its sessions and leaves the second
fleet's sessions untouched.

This module starts its own emulator with fast fleet walks
(`--fleet-activation-delay 300ms --instance-activation-delay 100ms`); waits poll with deadlines.
"""


import pytest

from gl_support import REGION, alias_arn, fleet_arn, poll, run_aws_cli, set_clock_paused

EMULATOR_FLAGS = ("--fleet-activation-delay", "300ms", "--instance-activation-delay", "100ms")
DEADLINE_S = 10.0
SESSIONS_PER_INSTANCE = 2


def create_fleet(client, build_id, name):
    return client.create_fleet(
        Name=name,
        BuildId=build_id,
        EC2InstanceType="c5.large",
        RuntimeConfiguration={
            "ServerProcesses": [
                {"LaunchPath": "/local/game/server", "ConcurrentExecutions": SESSIONS_PER_INSTANCE}
            ]
        },
        EC2InboundPermissions=[{"FromPort": 33430, "ToPort": 33530, "IpRange": "0.0.0.0/0", "Protocol": "UDP"}],
    )["FleetAttributes"]["FleetId"]


def wait_active(client, fleet_id):
    poll(
        f"fleet {fleet_id} ACTIVE",
        lambda: client.describe_fleet_attributes(FleetIds=[fleet_id])["FleetAttributes"][0]["Status"] == "ACTIVE",
    )


def via_alias(client, alias_id):
    return client.create_game_session(AliasId=alias_id, MaximumPlayerSessionCount=8)["GameSession"]


def status_of(client, game_session_id):
    return client.describe_game_sessions(GameSessionId=game_session_id)["GameSessions"][0]


def test_fleet_blue_green_workflow_moves_players_and_deletes_the_old_fleet(gl, module_endpoint):
    build = gl.create_build(
        Name="server",
        Version="1.0",
        OperatingSystem="AMAZON_LINUX_2023",
        StorageLocation={"Bucket": "bkt", "Key": "server.zip", "RoleArn": "arn:aws:iam::123456789012:role/r"},
    )["Build"]
    assert build["Status"] == "READY"

    set_clock_paused(module_endpoint, True)  # NEW holds while the test looks, however slow the machine
    blue = create_fleet(gl, build["BuildId"], "blue")
    assert gl.describe_fleet_attributes(FleetIds=[blue])["FleetAttributes"][0]["Status"] == "NEW"
    set_clock_paused(module_endpoint, False)
    wait_active(gl, blue)

    alias = gl.create_alias(Name="live", RoutingStrategy={"Type": "SIMPLE", "FleetId": blue})["Alias"]
    alias_id = alias["AliasId"]
    assert alias["AliasArn"] == alias_arn(alias_id)

    # One instance: room for exactly SESSIONS_PER_INSTANCE sessions.
    blue_sessions = [via_alias(gl, alias_id) for _ in range(SESSIONS_PER_INSTANCE)]
    assert all(s["FleetId"] == blue for s in blue_sessions)
    with pytest.raises(gl.exceptions.FleetCapacityExceededException):
        via_alias(gl, alias_id)

    # Scale out to three instances; poll capacity until they are ACTIVE.
    out = gl.update_fleet_capacity(FleetId=blue, DesiredInstances=3, MinSize=1, MaxSize=3)
    assert (out["FleetId"], out["FleetArn"], out["Location"]) == (blue, fleet_arn(blue), REGION)

    def scaled():
        counts = gl.describe_fleet_capacity(FleetIds=[blue])["FleetCapacity"][0]["InstanceCounts"]
        return counts["ACTIVE"] == 3 and counts["PENDING"] == 0 and counts

    counts = poll("3 ACTIVE instances on blue", scaled)
    assert (counts["DESIRED"], counts["MINIMUM"], counts["MAXIMUM"]) == (3, 1, 3)

    # More sessions fit now: fill the new capacity, beyond what one instance held.
    blue_sessions += [via_alias(gl, alias_id) for _ in range(2 * SESSIONS_PER_INSTANCE)]
    assert len(blue_sessions) == 3 * SESSIONS_PER_INSTANCE
    assert {s["FleetId"] for s in blue_sessions} == {blue}
    with pytest.raises(gl.exceptions.FleetCapacityExceededException):
        via_alias(gl, alias_id)

    # Blue/green: a second fleet, then the alias moves to it.
    green = create_fleet(gl, build["BuildId"], "green")
    wait_active(gl, green)
    updated = gl.update_alias(AliasId=alias_id, RoutingStrategy={"Type": "SIMPLE", "FleetId": green})["Alias"]
    assert updated["RoutingStrategy"] == {"Type": "SIMPLE", "FleetId": green}
    assert gl.resolve_alias(AliasId=alias_id)["FleetId"] == green
    green_sessions = [via_alias(gl, alias_id) for _ in range(SESSIONS_PER_INSTANCE)]
    assert {s["FleetId"] for s in green_sessions} == {green}
    for s in blue_sessions + green_sessions:
        poll(f"{s['GameSessionId']} ACTIVE", lambda s=s: status_of(gl, s["GameSessionId"])["Status"] == "ACTIVE")

    # Delete blue: its sessions end; green's are untouched.
    gl.delete_fleet(FleetId=blue)
    for s in blue_sessions:
        ended = status_of(gl, s["GameSessionId"])
        assert ended["Status"] == "TERMINATED", ended
        assert ended["StatusReason"] == "INTERRUPTED", ended
        assert "TerminationTime" in ended
    poll("blue gone", lambda: gl.describe_fleet_attributes(FleetIds=[blue])["FleetAttributes"] == [])
    assert blue not in gl.list_fleets()["FleetIds"]
    for s in green_sessions:
        assert status_of(gl, s["GameSessionId"])["Status"] == "ACTIVE"
    active_on_green = gl.describe_game_sessions(FleetId=green, StatusFilter="ACTIVE")["GameSessions"]
    assert sorted(s["GameSessionId"] for s in active_on_green) == sorted(s["GameSessionId"] for s in green_sessions)
    # The alias still routes to green (which is full: its one instance hosts both sessions).
    assert gl.resolve_alias(AliasId=alias_id)["FleetId"] == green
    with pytest.raises(gl.exceptions.FleetCapacityExceededException):
        via_alias(gl, alias_id)


def test_aws_cli_list_fleets_describe_fleet_attributes_and_list_aliases_print_what_was_created(gl, module_endpoint):
    build = gl.create_build(
        Name="server",
        OperatingSystem="AMAZON_LINUX_2023",
        StorageLocation={"Bucket": "bkt", "Key": "server.zip", "RoleArn": "arn:aws:iam::123456789012:role/r"},
    )["Build"]["BuildId"]
    set_clock_paused(module_endpoint, True)  # the new fleet stays NEW while the CLI looks
    fleet_id = create_fleet(gl, build, "cli-fleet")
    alias_id = gl.create_alias(Name="cli-alias", RoutingStrategy={"Type": "SIMPLE", "FleetId": fleet_id})["Alias"][
        "AliasId"
    ]

    listed = run_aws_cli(module_endpoint, "list-fleets")
    assert listed.returncode == 0, listed.stderr
    assert fleet_id in listed.json["FleetIds"]

    described = run_aws_cli(module_endpoint, "describe-fleet-attributes", "--fleet-ids", fleet_id)
    assert described.returncode == 0, described.stderr
    [fa] = described.json["FleetAttributes"]
    assert (fa["FleetId"], fa["Name"], fa["BuildId"], fa["FleetArn"]) == (fleet_id, "cli-fleet", build, fleet_arn(fleet_id))
    assert fa["Status"] == "NEW"

    aliases = run_aws_cli(module_endpoint, "list-aliases", use_env_endpoint=True)
    assert aliases.returncode == 0, aliases.stderr
    mine = [a for a in aliases.json["Aliases"] if a["AliasId"] == alias_id]
    assert mine and mine[0]["Name"] == "cli-alias"
    assert mine[0]["RoutingStrategy"] == {"Type": "SIMPLE", "FleetId": fleet_id}

    # The CLI's own pagination (one fleet per request) reaches the new fleet too.
    paged = run_aws_cli(module_endpoint, "list-fleets", "--page-size", "1")
    assert paged.returncode == 0, paged.stderr
    assert paged.json["FleetIds"] == listed.json["FleetIds"]
