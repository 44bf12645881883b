"""Fleets through boto3: CreateFleet and its walk to ACTIVE, attributes, runtime configuration,
port settings, capacity and scaling, utilization, events, instances, fleet locations,
DeleteFleet, the boto3 paginators, and the errors these operations return.

Fleet walks need a fast emulator: this module starts its own with
`--fleet-activation-delay 300ms --instance-activation-delay 100ms` (and resets it before every
test). Lifecycle waits poll with deadlines; nothing sleeps a fixed time. Where a test must see a
short-lived state (PENDING, TERMINATING), it holds the emulator clock still and advances it.
"""

import datetime
import re

import pytest

from gl_support import (
    FIXTURE_FLEETS,
    FLEET_ACTIVATING,
    FLEET_EC2,
    FLEET_TINY,
    REGION,
    UNKNOWN_FLEET,
    UUID_RE,
    assert_service_error,
    advance_clock,
    fleet_arn,
    http,
    poll,
    set_clock_paused,
)

EMULATOR_FLAGS = ("--fleet-activation-delay", "300ms", "--instance-activation-delay", "100ms")
DEADLINE_S = 10.0
PROCESSES = [{"LaunchPath": "/local/game/server", "ConcurrentExecutions": 2}]
INBOUND = [{"FromPort": 33430, "ToPort": 33440, "IpRange": "0.0.0.0/0", "Protocol": "UDP"}]


# --------------------------------------------------------------------------------- helpers

def make_build(client):
    build = client.create_build(
        Name="server",
        OperatingSystem="AMAZON_LINUX_2023",
        StorageLocation={"Bucket": "bkt", "Key": "server.zip", "RoleArn": "arn:aws:iam::123456789012:role/r"},
    )["Build"]
    assert build["Status"] == "READY"
    return build["BuildId"]


def create_fleet(client, build_id, **kwargs):
    params = {
        "Name": "fleet-under-test",
        "BuildId": build_id,
        "EC2InstanceType": "c5.large",
        "RuntimeConfiguration": {"ServerProcesses": PROCESSES},
        "EC2InboundPermissions": INBOUND,
    }
    params.update(kwargs)
    return client.create_fleet(**params)


def fleet_status(client, fleet_id):
    attrs = client.describe_fleet_attributes(FleetIds=[fleet_id])["FleetAttributes"]
    return attrs[0]["Status"] if attrs else None


def wait_until(what, probe, timeout=DEADLINE_S):
    return poll(what, probe, timeout)


def wait_fleet_status(client, fleet_id, status):
    seen = []

    def probe():
        s = fleet_status(client, fleet_id)
        if not seen or seen[-1] != s:
            seen.append(s)
        return s == status

    wait_until(f"fleet {fleet_id} reaching {status}", probe)
    return seen


def active_fleet(client, build_id, **kwargs):
    fleet_id = create_fleet(client, build_id, **kwargs)["FleetAttributes"]["FleetId"]
    wait_fleet_status(client, fleet_id, "ACTIVE")
    return fleet_id


def instance_counts(client, fleet_id, location=REGION):
    return client.describe_fleet_location_capacity(FleetId=fleet_id, Location=location)["FleetCapacity"][
        "InstanceCounts"
    ]


def new_session(client, fleet_id, **kwargs):
    return client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4, **kwargs)["GameSession"]


def session_status(client, game_session_id):
    return client.describe_game_sessions(GameSessionId=game_session_id)["GameSessions"][0]


# ----------------------------------------------------------------------------- CreateFleet

def test_create_fleet_ec2_is_new_then_walks_to_active_with_events(gl, module_endpoint):
    build = make_build(gl)
    set_clock_paused(module_endpoint, True)  # hold the walk until the NEW state is checked
    out = create_fleet(
        gl,
        build,
        Description="blue",
        Locations=[{"Location": REGION}, {"Location": "eu-west-1"}],
        NewGameSessionProtectionPolicy="FullProtection",
        ResourceCreationLimitPolicy={"NewGameSessionsPerCreator": 3, "PolicyPeriodInMinutes": 15},
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    fa = out["FleetAttributes"]
    assert re.fullmatch(rf"fleet-{UUID_RE}", fa["FleetId"]), fa
    assert fa["FleetArn"] == fleet_arn(fa["FleetId"])
    assert fa["Status"] == "NEW"
    assert fa["BuildId"] == build
    assert fa["BuildArn"] == f"arn:aws:gamelift:{REGION}::build/{build}"
    assert fa["InstanceType"] == "c5.large"
    assert fa["FleetType"] == "ON_DEMAND"
    assert fa["OperatingSystem"] == "AMAZON_LINUX_2023"
    assert fa["MetricGroups"] == ["default"]
    assert fa["CertificateConfiguration"] == {"CertificateType": "DISABLED"}
    assert fa["NewGameSessionProtectionPolicy"] == "FullProtection"
    assert fa["ResourceCreationLimitPolicy"] == {"NewGameSessionsPerCreator": 3, "PolicyPeriodInMinutes": 15}
    assert fa["CreationTime"].year >= 2024
    assert out["LocationStates"] == [
        {"Location": REGION, "Status": "NEW"},
        {"Location": "eu-west-1", "Status": "NEW"},
    ]
    fleet_id = fa["FleetId"]
    assert instance_counts(gl, fleet_id)["PENDING"] == 1
    set_clock_paused(module_endpoint, False)

    seen = wait_fleet_status(gl, fleet_id, "ACTIVE")
    order = ["NEW", "DOWNLOADING", "VALIDATING", "BUILDING", "ACTIVATING", "ACTIVE"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen), seen
    events = gl.describe_fleet_events(FleetId=fleet_id)["Events"]
    codes = [e["EventCode"] for e in reversed(events)]
    for code in ("FLEET_CREATED", "FLEET_STATE_DOWNLOADING", "FLEET_STATE_VALIDATING", "FLEET_STATE_BUILDING",
                 "FLEET_STATE_ACTIVATING", "FLEET_STATE_ACTIVE", "LOCATION_STATE_ACTIVE"):
        assert code in codes, codes
    assert all(e["ResourceId"] == fleet_id for e in events)
    wait_until("eu-west-1 ACTIVE", lambda: gl.describe_fleet_location_attributes(FleetId=fleet_id)[
        "LocationAttributes"] == [{"LocationState": {"Location": "eu-west-1", "Status": "ACTIVE"}}])
    assert instance_counts(gl, fleet_id) == {
        "DESIRED": 1, "MINIMUM": 0, "MAXIMUM": 1, "PENDING": 0, "ACTIVE": 1, "IDLE": 1, "TERMINATING": 0,
    }
    assert gl.list_tags_for_resource(ResourceARN=fa["FleetArn"])["Tags"] == [{"Key": "team", "Value": "blue"}]
    gs = new_session(gl, fleet_id, CreatorId="p1")
    assert gs["Port"] == 33430


def test_create_fleet_anywhere_is_active_at_once_and_has_no_capacity(gl):
    gl.create_location(LocationName="custom-home-lab")
    out = gl.create_fleet(Name="anywhere", ComputeType="ANYWHERE", Locations=[{"Location": "custom-home-lab"}])
    assert out["FleetAttributes"]["Status"] == "ACTIVE"
    assert out["FleetAttributes"]["ComputeType"] == "ANYWHERE"
    assert {"Location": "custom-home-lab", "Status": "ACTIVE"} in out["LocationStates"]
    fleet_id = out["FleetAttributes"]["FleetId"]
    with pytest.raises(gl.exceptions.FleetCapacityExceededException) as e:
        new_session(gl, fleet_id, Location="custom-home-lab")
    assert_service_error(e, "FleetCapacityExceededException")
    with pytest.raises(gl.exceptions.InvalidRequestException) as e:
        gl.describe_instances(FleetId=fleet_id)
    assert_service_error(e, "InvalidRequestException")


def _fleet_params(build, **overrides):
    params = {
        "Name": "f",
        "BuildId": build,
        "EC2InstanceType": "c5.large",
        "RuntimeConfiguration": {"ServerProcesses": PROCESSES},
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


@pytest.mark.parametrize(
    "case, code",
    [
        ("no_instance_type", "InvalidRequestException"),
        ("build_and_script", "InvalidRequestException"),
        ("no_runtime", "InvalidRequestException"),
        ("too_many_processes", "InvalidRequestException"),
        ("bad_launch_path", "InvalidRequestException"),
        ("unknown_build", "NotFoundException"),
        ("build_not_ready", "InvalidRequestException"),
        ("custom_location_on_ec2", "InvalidRequestException"),
        ("no_such_region", "UnsupportedRegionException"),
        ("reserved_tag", "TaggingFailedException"),
        ("anywhere_unknown_location", "NotFoundException"),
    ],
)
def test_create_fleet_invalid_request_is_named_error(gl, gl_raw, case, code):
    build = make_build(gl)
    waiting = gl.create_build(Name="upload-me", OperatingSystem="AMAZON_LINUX_2023")["Build"]["BuildId"]
    params = {
        "no_instance_type": _fleet_params(build, EC2InstanceType=None),
        "build_and_script": _fleet_params(build, ScriptId="script-00000000-0000-4000-8000-000000000001"),
        "no_runtime": _fleet_params(build, RuntimeConfiguration=None),
        "too_many_processes": _fleet_params(
            build, RuntimeConfiguration={"ServerProcesses": [{"LaunchPath": "/local/game/s", "ConcurrentExecutions": 51}]}
        ),
        "bad_launch_path": _fleet_params(
            build, RuntimeConfiguration={"ServerProcesses": [{"LaunchPath": "/opt/s", "ConcurrentExecutions": 1}]}
        ),
        "unknown_build": _fleet_params("build-00000000-0000-4000-8000-00000000dead"),
        "build_not_ready": _fleet_params(waiting),
        "custom_location_on_ec2": _fleet_params(build, Locations=[{"Location": "custom-lab-1"}]),
        "no_such_region": _fleet_params(build, Locations=[{"Location": "mars-north-1"}]),
        "reserved_tag": _fleet_params(build, Tags=[{"Key": "aws:reserved", "Value": "x"}]),
        "anywhere_unknown_location": {
            "Name": "a", "ComputeType": "ANYWHERE", "Locations": [{"Location": "custom-missing"}],
        },
    }[case]
    with pytest.raises(gl_raw.exceptions.ClientError) as e:
        gl_raw.create_fleet(**params)
    assert_service_error(e, code)
    assert len(gl.list_fleets()["FleetIds"]) == len(FIXTURE_FLEETS)


# ------------------------------------------------------------------ attributes and listing

def test_describe_fleet_attributes_leaves_out_unknown_ids_and_list_fleets_filters_by_build(gl):
    build = make_build(gl)
    other = make_build(gl)
    a = create_fleet(gl, build)["FleetAttributes"]["FleetId"]
    b = create_fleet(gl, other)["FleetAttributes"]["FleetId"]
    got = gl.describe_fleet_attributes(FleetIds=[b, UNKNOWN_FLEET, fleet_arn(FLEET_EC2)])["FleetAttributes"]
    assert [f["FleetId"] for f in got] == [b, FLEET_EC2]
    assert gl.list_fleets(BuildId=build)["FleetIds"] == [a]
    assert gl.list_fleets(BuildId=f"arn:aws:gamelift:{REGION}::build/{other}")["FleetIds"] == [b]
    fixture = gl.describe_fleet_attributes(FleetIds=[FLEET_ACTIVATING])["FleetAttributes"][0]
    assert fixture["Status"] == "ACTIVATING"


def test_update_fleet_attributes_then_describe_shows_changes(gl):
    build = make_build(gl)
    fleet_id = create_fleet(gl, build)["FleetAttributes"]["FleetId"]
    out = gl.update_fleet_attributes(
        FleetId=fleet_id,
        Name="renamed",
        Description="green",
        NewGameSessionProtectionPolicy="FullProtection",
        MetricGroups=["green"],
    )
    assert out["FleetId"] == fleet_id
    assert out["FleetArn"] == fleet_arn(fleet_id)
    fa = gl.describe_fleet_attributes(FleetIds=[fleet_id])["FleetAttributes"][0]
    assert (fa["Name"], fa["Description"], fa["NewGameSessionProtectionPolicy"], fa["MetricGroups"]) == (
        "renamed", "green", "FullProtection", ["green"],
    )
    with pytest.raises(gl.exceptions.NotFoundException) as e:
        gl.update_fleet_attributes(FleetId=UNKNOWN_FLEET, Name="x")
    assert_service_error(e, "NotFoundException")
    with pytest.raises(gl.exceptions.InvalidRequestException) as e:
        gl.update_fleet_attributes(FleetId=fleet_id, AnywhereConfiguration={"Cost": "1"})
    assert_service_error(e, "InvalidRequestException")
    gl.delete_fleet(FleetId=fleet_id)
    with pytest.raises(gl.exceptions.InvalidFleetStatusException) as e:
        gl.update_fleet_attributes(FleetId=fleet_id, Name="late")
    assert_service_error(e, "InvalidFleetStatusException")


# ---------------------------------------------------------- runtime configuration and ports

def test_update_runtime_configuration_changes_capacity(gl):
    build = make_build(gl)
    fleet_id = active_fleet(gl, build)
    rc = {
        "ServerProcesses": [{"LaunchPath": "/local/game/server", "Parameters": "-x", "ConcurrentExecutions": 3}],
        "MaxConcurrentGameSessionActivations": 2,
        "GameSessionActivationTimeoutSeconds": 60,
    }
    assert gl.update_runtime_configuration(FleetId=fleet_id, RuntimeConfiguration=rc)["RuntimeConfiguration"] == rc
    assert gl.describe_runtime_configuration(FleetId=fleet_id)["RuntimeConfiguration"] == rc
    for _ in range(3):
        new_session(gl, fleet_id)
    with pytest.raises(gl.exceptions.FleetCapacityExceededException):
        new_session(gl, fleet_id)
    with pytest.raises(gl.exceptions.InvalidRequestException) as e:
        gl.update_runtime_configuration(
            FleetId=fleet_id,
            RuntimeConfiguration={"ServerProcesses": [{"LaunchPath": "/local/game/s", "ConcurrentExecutions": 51}]},
        )
    assert_service_error(e, "InvalidRequestException")
    with pytest.raises(gl.exceptions.NotFoundException) as e:
        gl.describe_runtime_configuration(FleetId=UNKNOWN_FLEET)
    assert_service_error(e, "NotFoundException")


def test_update_fleet_port_settings_authorizes_and_revokes(gl):
    build = make_build(gl)
    fleet_id = create_fleet(gl, build)["FleetAttributes"]["FleetId"]
    assert gl.describe_fleet_port_settings(FleetId=fleet_id)["InboundPermissions"] == INBOUND
    tcp = {"FromPort": 40000, "ToPort": 40010, "IpRange": "10.0.0.0/8", "Protocol": "TCP"}
    out = gl.update_fleet_port_settings(
        FleetId=fleet_id, InboundPermissionAuthorizations=[tcp], InboundPermissionRevocations=INBOUND
    )
    assert out["FleetId"] == fleet_id
    assert gl.describe_fleet_port_settings(FleetId=fleet_id)["InboundPermissions"] == [tcp]
    with pytest.raises(gl.exceptions.InvalidRequestException) as e:
        gl.update_fleet_port_settings(FleetId=fleet_id, InboundPermissionRevocations=INBOUND)
    assert_service_error(e, "InvalidRequestException")
    many = [{"FromPort": 2000 + i, "ToPort": 2000 + i, "IpRange": "0.0.0.0/0", "Protocol": "UDP"} for i in range(50)]
    with pytest.raises(gl.exceptions.LimitExceededException) as e:
        gl.update_fleet_port_settings(FleetId=fleet_id, InboundPermissionAuthorizations=many)
    assert_service_error(e, "LimitExceededException")
    with pytest.raises(gl.exceptions.UnsupportedRegionException) as e:
        gl.describe_fleet_port_settings(FleetId=fleet_id, Location="mars-north-1")
    assert_service_error(e, "UnsupportedRegionException")


# --------------------------------------------------------------------------------- capacity

def test_update_fleet_capacity_scale_out_then_scale_in_respects_protection(gl, module_endpoint):
    build = make_build(gl)
    fleet_id = active_fleet(gl, build, RuntimeConfiguration={
        "ServerProcesses": [{"LaunchPath": "/local/game/server", "ConcurrentExecutions": 1}]})
    set_clock_paused(module_endpoint, True)  # every step below happens at a time the test chooses
    out = gl.update_fleet_capacity(FleetId=fleet_id, DesiredInstances=3, MaxSize=3)
    assert (out["FleetId"], out["Location"]) == (fleet_id, REGION)
    assert instance_counts(gl, fleet_id)["PENDING"] == 2
    advance_clock(module_endpoint, 0.1)
    assert instance_counts(gl, fleet_id)["ACTIVE"] == 3
    protected = new_session(gl, fleet_id)["GameSessionId"]
    gl.update_game_session(GameSessionId=protected, ProtectionPolicy="FullProtection")
    unprotected = new_session(gl, fleet_id)["GameSessionId"]
    advance_clock(module_endpoint, 0.2)

    gl.update_fleet_capacity(FleetId=fleet_id, DesiredInstances=0)
    ended = session_status(gl, unprotected)
    assert (ended["Status"], ended["StatusReason"]) == ("TERMINATED", "INTERRUPTED")
    assert session_status(gl, protected)["Status"] == "ACTIVE"
    counts = instance_counts(gl, fleet_id)
    assert (counts["DESIRED"], counts["ACTIVE"], counts["TERMINATING"]) == (0, 1, 2)
    advance_clock(module_endpoint, 0.1)
    counts = instance_counts(gl, fleet_id)
    assert (counts["ACTIVE"], counts["TERMINATING"]) == (1, 0)


@pytest.mark.parametrize(
    "params, code",
    [
        ({"FleetId": UNKNOWN_FLEET, "DesiredInstances": 1}, "NotFoundException"),
        ({"FleetId": FLEET_EC2, "DesiredInstances": 5}, "InvalidRequestException"),
        ({"FleetId": FLEET_EC2, "MinSize": 3, "MaxSize": 2}, "InvalidRequestException"),
        ({"FleetId": FLEET_EC2, "DesiredInstances": 2000, "MaxSize": 2000}, "LimitExceededException"),
        ({"FleetId": FLEET_ACTIVATING, "DesiredInstances": 1}, "InvalidFleetStatusException"),
        ({"FleetId": FLEET_TINY, "Location": "ap-northeast-1", "DesiredInstances": 1}, "InvalidFleetStatusException"),
        ({"FleetId": FLEET_EC2, "Location": "eu-west-1", "DesiredInstances": 1}, "InvalidRequestException"),
        ({"FleetId": FLEET_EC2, "Location": "mars-north-1", "DesiredInstances": 1}, "UnsupportedRegionException"),
    ],
)
def test_update_fleet_capacity_invalid_is_named_error(gl, params, code):
    with pytest.raises(gl.exceptions.ClientError) as e:
        gl.update_fleet_capacity(**params)
    assert_service_error(e, code)


def test_describe_fleet_utilization_counts_active_sessions(gl):
    gs = new_session(gl, FLEET_EC2)["GameSessionId"]
    wait_until("session ACTIVE", lambda: session_status(gl, gs)["Status"] == "ACTIVE")
    gl.create_player_sessions(GameSessionId=gs, PlayerIds=["p1", "p2"])
    u = gl.describe_fleet_utilization(FleetIds=[FLEET_EC2])["FleetUtilization"][0]
    assert u == {
        "FleetId": FLEET_EC2, "FleetArn": fleet_arn(FLEET_EC2), "ActiveServerProcessCount": 20,
        "ActiveGameSessionCount": 1, "CurrentPlayerSessionCount": 2, "MaximumPlayerSessionCount": 4,
        "Location": REGION,
    }
    west = gl.describe_fleet_location_utilization(FleetId=FLEET_EC2, Location="us-west-2")["FleetUtilization"]
    assert (west["ActiveServerProcessCount"], west["ActiveGameSessionCount"]) == (10, 0)


# ---------------------------------------------------------------------- fleet locations

def test_create_and_delete_fleet_locations(gl):
    out = gl.create_fleet_locations(FleetId=FLEET_EC2, Locations=[{"Location": "eu-west-1"}])
    assert out["LocationStates"] == [{"Location": "eu-west-1", "Status": "NEW"}]
    wait_until("eu-west-1 ACTIVE", lambda: {"LocationState": {"Location": "eu-west-1", "Status": "ACTIVE"}} in
               gl.describe_fleet_location_attributes(FleetId=FLEET_EC2)["LocationAttributes"])
    gs = new_session(gl, FLEET_EC2, Location="eu-west-1")
    assert gs["Location"] == "eu-west-1"
    with pytest.raises(gl.exceptions.InvalidRequestException) as e:
        gl.create_fleet_locations(FleetId=FLEET_EC2, Locations=[{"Location": "eu-west-1"}])
    assert_service_error(e, "InvalidRequestException")

    out = gl.delete_fleet_locations(FleetId=FLEET_EC2, Locations=["eu-west-1"])
    assert out["LocationStates"] == [{"Location": "eu-west-1", "Status": "DELETING"}]
    assert session_status(gl, gs["GameSessionId"])["Status"] == "TERMINATED"
    wait_until("eu-west-1 gone", lambda: all(
        la["LocationState"]["Location"] != "eu-west-1"
        for la in gl.describe_fleet_location_attributes(FleetId=FLEET_EC2)["LocationAttributes"]))
    with pytest.raises(gl.exceptions.InvalidRequestException) as e:
        gl.delete_fleet_locations(FleetId=FLEET_EC2, Locations=[REGION])
    assert_service_error(e, "InvalidRequestException")
    with pytest.raises(gl.exceptions.InvalidFleetStatusException) as e:
        gl.create_fleet_locations(FleetId=FLEET_ACTIVATING, Locations=[{"Location": "eu-west-2"}])
    assert_service_error(e, "InvalidFleetStatusException")


# --------------------------------------------------------------------------- DeleteFleet

def test_delete_fleet_ends_sessions_and_the_fleet_disappears(gl, module_endpoint):
    build = make_build(gl)
    fleet_id = active_fleet(gl, build)
    gs = new_session(gl, fleet_id)["GameSessionId"]
    set_clock_paused(module_endpoint, True)  # DELETING lasts 100 ms: hold it while we look
    assert gl.delete_fleet(FleetId=fleet_id)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert fleet_status(gl, fleet_id) == "DELETING"
    ended = session_status(gl, gs)
    assert (ended["Status"], ended["StatusReason"]) == ("TERMINATED", "INTERRUPTED")
    with pytest.raises(gl.exceptions.InvalidFleetStatusException) as e:
        gl.delete_fleet(FleetId=fleet_id)
    assert_service_error(e, "InvalidFleetStatusException")
    assert "FLEET_DELETED" in [e["EventCode"] for e in gl.describe_fleet_events(FleetId=fleet_id)["Events"]]
    advance_clock(module_endpoint, 0.1)
    assert fleet_status(gl, fleet_id) is None
    assert fleet_id not in gl.list_fleets()["FleetIds"]
    with pytest.raises(gl.exceptions.NotFoundException) as e:
        gl.delete_fleet(FleetId=fleet_id)
    assert_service_error(e, "NotFoundException")


def test_reset_forgets_fleets_created_through_the_api(gl, module_endpoint):
    build = make_build(gl)
    fleet_id = create_fleet(gl, build)["FleetAttributes"]["FleetId"]
    http("POST", module_endpoint + "/_emulator/reset", body=b"")
    assert gl.describe_fleet_attributes(FleetIds=[fleet_id])["FleetAttributes"] == []
    assert len(gl.list_fleets()["FleetIds"]) == len(FIXTURE_FLEETS)


# ---------------------------------------------------------------- events and instances

def test_describe_fleet_events_with_datetime_window(gl):
    build = make_build(gl)
    fleet_id = active_fleet(gl, build)
    events = gl.describe_fleet_events(FleetId=fleet_id)["Events"]
    created = min(e["EventTime"] for e in events)
    # botocore sends whole seconds: a window from the creation second on includes everything.
    start = created.replace(microsecond=0)
    window = gl.describe_fleet_events(
        FleetId=fleet_id, StartTime=start, EndTime=start + datetime.timedelta(hours=1)
    )["Events"]
    assert len(window) == len(events) == 6
    later = gl.describe_fleet_events(FleetId=fleet_id, StartTime=start + datetime.timedelta(hours=1))["Events"]
    assert later == []
    with pytest.raises(gl.exceptions.NotFoundException) as e:
        gl.describe_fleet_events(FleetId=UNKNOWN_FLEET)
    assert_service_error(e, "NotFoundException")


def test_describe_instances_by_location_and_id(gl):
    home = gl.describe_instances(FleetId=FLEET_EC2)["Instances"]
    assert len(home) == 2
    for i in home:
        assert re.fullmatch(r"i-[0-9a-f]{17}", i["InstanceId"]), i
        assert (i["Status"], i["Location"], i["Type"], i["IpAddress"]) == ("ACTIVE", REGION, "c5.large", "127.0.0.1")
    west = gl.describe_instances(FleetId=FLEET_EC2, Location="us-west-2")["Instances"]
    assert len(west) == 1
    assert gl.describe_instances(FleetId=FLEET_EC2, InstanceId=west[0]["InstanceId"])["Instances"] == west
    with pytest.raises(gl.exceptions.NotFoundException) as e:
        gl.describe_instances(FleetId=FLEET_EC2, InstanceId="i-0123456789abcdef0")
    assert_service_error(e, "NotFoundException")


# ------------------------------------------------------------------------------ paginators

def _paginate(client, op, **params):
    pages = list(client.get_paginator(op).paginate(PaginationConfig={"PageSize": 2}, **params))
    assert len(pages) >= 2, pages
    return pages


def test_paginators_walk_every_fleet_list(gl):
    build = make_build(gl)
    created = [create_fleet(gl, build)["FleetAttributes"]["FleetId"] for _ in range(3)]
    fleet_id = created[-1]
    wait_fleet_status(gl, fleet_id, "ACTIVE")
    gl.update_fleet_capacity(FleetId=fleet_id, DesiredInstances=5, MaxSize=5)

    ids = [i for p in _paginate(gl, "list_fleets") for i in p["FleetIds"]]
    assert ids[-3:] == created and len(ids) == len(FIXTURE_FLEETS) + 3
    attrs = [a["FleetId"] for p in _paginate(gl, "describe_fleet_attributes") for a in p["FleetAttributes"]]
    assert attrs == ids
    caps = [c["FleetId"] for p in _paginate(gl, "describe_fleet_capacity") for c in p["FleetCapacity"]]
    assert caps == ids
    events = [e for p in _paginate(gl, "describe_fleet_events", FleetId=fleet_id) for e in p["Events"]]
    assert [e["EventCode"] for e in events][-1] == "FLEET_CREATED"
    assert len({e["EventId"] for e in events}) == len(events) == 7
    instances = [i for p in _paginate(gl, "describe_instances", FleetId=fleet_id) for i in p["Instances"]]
    assert len({i["InstanceId"] for i in instances}) == 5
    utilization = [u for p in _paginate(gl, "describe_fleet_utilization") for u in p["FleetUtilization"]]
    assert len(utilization) == len(FIXTURE_FLEETS) + 3
