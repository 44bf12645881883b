"""Custom locations and ListLocations through boto3 and the AWS CLI."""

import pytest

from gl_support import ACCOUNT, REGION, assert_service_error


def _names(locations):
    return [loc["LocationName"] for loc in locations]


def test_create_location_returns_name_and_arn(gamelift):
    loc = gamelift.create_location(LocationName="custom-home-lab")["Location"]
    assert loc == {
        "LocationName": "custom-home-lab",
        "LocationArn": f"arn:aws:gamelift:{REGION}:{ACCOUNT}:location/custom-home-lab",
    }


def test_create_location_existing_name_conflict(gamelift):
    gamelift.create_location(LocationName="custom-dup")
    with pytest.raises(gamelift.exceptions.ConflictException) as e:
        gamelift.create_location(LocationName="custom-dup")
    assert "custom-dup" in assert_service_error(e, "ConflictException")


@pytest.mark.parametrize("name", ["us-west-2", "custom_bad_name", "lab-custom-1"])
def test_create_location_bad_name_invalid_request(gamelift_raw, name):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.create_location(LocationName=name)
    assert_service_error(e, "InvalidRequestException")


def test_create_location_reserved_tag_key_tagging_failed(gamelift):
    with pytest.raises(gamelift.exceptions.TaggingFailedException) as e:
        gamelift.create_location(LocationName="custom-tags", Tags=[{"Key": "aws:x", "Value": "y"}])
    assert_service_error(e, "TaggingFailedException")


def test_list_locations_aws_filter_has_ping_beacons(gamelift):
    gamelift.create_location(LocationName="custom-one")
    locations = gamelift.list_locations(Filters=["AWS"])["Locations"]
    by_name = {loc["LocationName"]: loc for loc in locations}
    assert REGION in by_name and "eu-central-1" in by_name
    assert not any(n.startswith("custom-") for n in by_name)
    assert by_name["us-west-2"]["PingBeacon"] == {
        "UDPEndpoint": {"Domain": "gamelift-ping.us-west-2.api.aws", "Port": 7770}
    }
    # custom-local comes with the default fixtures' Anywhere fleet.
    assert _names(gamelift.list_locations(Filters=["CUSTOM"])["Locations"]) == ["custom-local", "custom-one"]


def test_list_locations_paginator_yields_regions_then_custom_locations(gamelift):
    for name in ("custom-a1", "custom-b2"):
        gamelift.create_location(LocationName=name)
    everything = _names(gamelift.list_locations()["Locations"])
    pages = list(gamelift.get_paginator("list_locations").paginate(PaginationConfig={"PageSize": 5}))
    assert [n for p in pages for n in _names(p["Locations"])] == everything
    assert everything[-2:] == ["custom-a1", "custom-b2"]
    assert len(pages) > 2 and "NextToken" not in pages[-1]


def test_list_locations_bad_next_token_invalid_request(gamelift):
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.list_locations(NextToken="bogus")
    assert_service_error(e, "InvalidRequestException")


def test_list_locations_limit_over_200_invalid_request(gamelift_raw):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.list_locations(Limit=201)
    assert "200" in assert_service_error(e, "InvalidRequestException")


def test_delete_location_by_name_and_arn(gamelift):
    gamelift.create_location(LocationName="custom-by-name")
    arn = gamelift.create_location(LocationName="custom-by-arn")["Location"]["LocationArn"]
    assert set(gamelift.delete_location(LocationName="custom-by-name")) == {"ResponseMetadata"}
    gamelift.delete_location(LocationName=arn)
    assert _names(gamelift.list_locations(Filters=["CUSTOM"])["Locations"]) == ["custom-local"]


def test_delete_location_unknown_not_found(gamelift):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.delete_location(LocationName="custom-nowhere")
    assert "custom-nowhere" in assert_service_error(e, "NotFoundException")


def test_list_locations_cli_custom_filter(aws_cli, gamelift):
    gamelift.create_location(LocationName="custom-cli")
    out = aws_cli("list-locations", "--filters", "CUSTOM")
    assert out.returncode == 0, out.stderr
    assert out.json["Locations"] == [
        {"LocationName": "custom-local", "LocationArn": f"arn:aws:gamelift:{REGION}:{ACCOUNT}:location/custom-local"},
        {"LocationName": "custom-cli", "LocationArn": f"arn:aws:gamelift:{REGION}:{ACCOUNT}:location/custom-cli"},
    ]
