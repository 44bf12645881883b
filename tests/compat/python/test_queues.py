"""Game session queues with boto3 against the binary: create, describe (and its paginator),
update, delete, tags on queue ARNs, and the errors a user can run into."""

import pytest

from gl_support import (
    ACCOUNT,
    ALIAS_SIMPLE,
    FLEET_EC2,
    FLEET_TINY,
    REGION,
    UNKNOWN_FLEET,
    alias_arn,
    assert_service_error,
    fleet_arn,
)

QUEUE_ARN = f"arn:aws:gamelift:{REGION}:{ACCOUNT}:gamesessionqueue/"


def test_create_describe_update_delete_round_trip(gamelift):
    q = gamelift.create_game_session_queue(
        Name="boto3-queue",
        TimeoutInSeconds=120,
        PlayerLatencyPolicies=[
            {"MaximumIndividualPlayerLatencyMilliseconds": 50, "PolicyDurationSeconds": 20},
            {"MaximumIndividualPlayerLatencyMilliseconds": 150},
        ],
        Destinations=[{"DestinationArn": fleet_arn(FLEET_EC2)}, {"DestinationArn": alias_arn(ALIAS_SIMPLE)}],
        FilterConfiguration={"AllowedLocations": ["us-east-1", "us-west-2"]},
        PriorityConfiguration={"PriorityOrder": ["LATENCY", "DESTINATION"]},
        CustomEventData="boto3-data",
        NotificationTarget=f"arn:aws:sns:{REGION}:{ACCOUNT}:placements",
        Tags=[{"Key": "team", "Value": "backend"}],
    )["GameSessionQueue"]
    assert q["Name"] == "boto3-queue"
    assert q["GameSessionQueueArn"] == QUEUE_ARN + "boto3-queue"
    assert q["TimeoutInSeconds"] == 120
    assert q["Destinations"] == [{"DestinationArn": fleet_arn(FLEET_EC2)}, {"DestinationArn": alias_arn(ALIAS_SIMPLE)}]
    assert q["PlayerLatencyPolicies"][1] == {"MaximumIndividualPlayerLatencyMilliseconds": 150}
    assert q["FilterConfiguration"] == {"AllowedLocations": ["us-east-1", "us-west-2"]}
    assert q["PriorityConfiguration"] == {"PriorityOrder": ["LATENCY", "DESTINATION"]}
    assert q["CustomEventData"] == "boto3-data"

    by_arn = gamelift.describe_game_session_queues(Names=[q["GameSessionQueueArn"]])["GameSessionQueues"]
    assert by_arn == [q]
    tags = gamelift.list_tags_for_resource(ResourceARN=q["GameSessionQueueArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "backend"}]

    updated = gamelift.update_game_session_queue(
        Name="boto3-queue", TimeoutInSeconds=300, Destinations=[{"DestinationArn": fleet_arn(FLEET_TINY)}],
        FilterConfiguration={}, PriorityConfiguration={},
    )["GameSessionQueue"]
    assert updated["TimeoutInSeconds"] == 300
    assert updated["Destinations"] == [{"DestinationArn": fleet_arn(FLEET_TINY)}]
    assert "FilterConfiguration" not in updated and "PriorityConfiguration" not in updated
    assert updated["CustomEventData"] == "boto3-data"  # not given: kept

    gamelift.delete_game_session_queue(Name=q["GameSessionQueueArn"])
    assert gamelift.describe_game_session_queues(Names=["boto3-queue"])["GameSessionQueues"] == []
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.delete_game_session_queue(Name="boto3-queue")
    assert_service_error(e, "NotFoundException")


def test_the_default_queues_and_the_paginator(gamelift):
    for i in range(5):
        gamelift.create_game_session_queue(Name=f"page-{i}")
    pages = list(gamelift.get_paginator("describe_game_session_queues").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["GameSessionQueues"]) for p in pages] == [2, 2, 2, 1]
    names = [q["Name"] for p in pages for q in p["GameSessionQueues"]]
    assert names == ["default-queue", "default-anywhere-queue"] + [f"page-{i}" for i in range(5)]
    default = pages[0]["GameSessionQueues"][0]
    assert default["TimeoutInSeconds"] == 600
    assert default["Destinations"] == [{"DestinationArn": fleet_arn(FLEET_EC2)}]


@pytest.mark.parametrize(
    "kwargs, code, needle",
    [
        ({"Name": "default-queue"}, "InvalidRequestException", "already exists"),
        ({"Name": "q", "TimeoutInSeconds": 5}, "InvalidRequestException", "TimeoutInSeconds"),
        ({"Name": "q", "Destinations": [{"DestinationArn": fleet_arn(UNKNOWN_FLEET)}]}, "NotFoundException", UNKNOWN_FLEET),
        ({"Name": "q", "PriorityConfiguration": {"PriorityOrder": ["LOCATION"]}}, "InvalidRequestException", "LocationOrder"),
        ({"Name": "q", "PriorityConfiguration": {"PriorityOrder": ["COST", "COST"]}}, "InvalidRequestException", "COST"),
        ({"Name": "q", "PlayerLatencyPolicies": [{"PolicyDurationSeconds": 5}]}, "InvalidRequestException", "Maximum"),
        ({"Name": "q", "Tags": [{"Key": "aws:reserved", "Value": "x"}]}, "TaggingFailedException", "aws:"),
    ],
)
def test_bad_queues_are_refused(gamelift, kwargs, code, needle):
    with pytest.raises(gamelift.exceptions.ClientError) as e:
        gamelift.create_game_session_queue(**kwargs)
    assert needle in assert_service_error(e, code)


def test_unknown_queues_are_not_found_and_unknown_names_are_left_out(gamelift):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        gamelift.update_game_session_queue(Name="nope", TimeoutInSeconds=60)
    assert_service_error(e, "NotFoundException")
    found = gamelift.describe_game_session_queues(Names=["nope", "default-queue"])["GameSessionQueues"]
    assert [q["Name"] for q in found] == ["default-queue"]
