"""Anywhere computes through boto3: RegisterCompute, DescribeCompute, ListCompute (and its
paginator), GetComputeAuthToken, DeregisterCompute, and their errors."""

import datetime

import pytest

from gl_support import FLEET_ANYWHERE, FLEET_EC2, UNKNOWN_FLEET, assert_service_error


def test_register_describe_list_and_deregister_computes(gamelift, endpoint):
    for name in ("box-a", "box-b", "box-c"):
        c = gamelift.register_compute(FleetId=FLEET_ANYWHERE, ComputeName=name, IpAddress="10.0.0.1", Location="custom-local")[
            "Compute"
        ]
        assert c["ComputeStatus"] == "ACTIVE"
        assert c["GameLiftServiceSdkEndpoint"] == endpoint.replace("http://", "ws://")
        assert c["ComputeArn"].endswith(f":compute/{name}")
        assert isinstance(c["CreationTime"], datetime.datetime)
    described = gamelift.describe_compute(FleetId=FLEET_ANYWHERE, ComputeName="box-b")["Compute"]
    assert described["IpAddress"] == "10.0.0.1" and described["Location"] == "custom-local"
    pages = list(
        gamelift.get_paginator("list_compute").paginate(FleetId=FLEET_ANYWHERE, PaginationConfig={"PageSize": 2})
    )
    names = [c["ComputeName"] for p in pages for c in p["ComputeList"]]
    assert names == ["box-a", "box-b", "box-c", "local-compute"]
    assert [len(p["ComputeList"]) for p in pages] == [2, 2]
    token = gamelift.get_compute_auth_token(FleetId=FLEET_ANYWHERE, ComputeName="box-a")
    assert token["AuthToken"] and token["ExpirationTimestamp"] > datetime.datetime.now(datetime.timezone.utc)
    gamelift.deregister_compute(FleetId=FLEET_ANYWHERE, ComputeName="box-a")
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.describe_compute(FleetId=FLEET_ANYWHERE, ComputeName="box-a")
    assert_service_error(e, "NotFoundException")


@pytest.mark.parametrize(
    "call, params, code",
    [
        ("register_compute", {"FleetId": FLEET_EC2, "ComputeName": "x", "IpAddress": "1.2.3.4"}, "InvalidRequestException"),
        ("register_compute", {"FleetId": FLEET_ANYWHERE, "ComputeName": "x", "IpAddress": "1.2.3.4"}, "InvalidRequestException"),
        ("register_compute", {"FleetId": UNKNOWN_FLEET, "ComputeName": "x", "IpAddress": "1.2.3.4"}, "NotFoundException"),
        ("describe_compute", {"FleetId": FLEET_ANYWHERE, "ComputeName": "nope"}, "NotFoundException"),
        ("deregister_compute", {"FleetId": FLEET_ANYWHERE, "ComputeName": "nope"}, "NotFoundException"),
        ("get_compute_auth_token", {"FleetId": FLEET_ANYWHERE, "ComputeName": "nope"}, "NotFoundException"),
        ("list_compute", {"FleetId": UNKNOWN_FLEET}, "NotFoundException"),
    ],
)
def test_compute_operations_name_their_errors(gamelift, call, params, code):
    with pytest.raises(gamelift.exceptions.ClientError) as e:
        getattr(gamelift, call)(**params)
    assert_service_error(e, code)
