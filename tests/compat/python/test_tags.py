"""TagResource, UntagResource and ListTagsForResource through boto3 and the AWS CLI."""

import pytest

from gl_support import ACCOUNT, ALIAS_SIMPLE, FLEET_EC2, REGION, alias_arn, assert_service_error, fleet_arn

S3 = {"Bucket": "b", "Key": "k.zip", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}


def _tags(resp):
    return resp["Tags"]


def _taggable_arns(client):
    """One ARN of every taggable kind."""
    return [
        fleet_arn(FLEET_EC2),
        alias_arn(ALIAS_SIMPLE),
        client.create_build(OperatingSystem="AMAZON_LINUX_2023")["Build"]["BuildArn"],
        client.create_script(StorageLocation=S3)["Script"]["ScriptArn"],
        client.create_location(LocationName="custom-tagged")["Location"]["LocationArn"],
    ]


def test_tag_resource_every_kind_then_list_and_untag(gamelift):
    for arn in _taggable_arns(gamelift):
        assert _tags(gamelift.list_tags_for_resource(ResourceARN=arn)) == [], arn
        resp = gamelift.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "core"},
                                                            {"Key": "env", "Value": "dev"}])
        assert set(resp) == {"ResponseMetadata"}
        gamelift.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "infra"}])
        assert _tags(gamelift.list_tags_for_resource(ResourceARN=arn)) == [
            {"Key": "team", "Value": "infra"}, {"Key": "env", "Value": "dev"}
        ], arn
        gamelift.untag_resource(ResourceARN=arn, TagKeys=["team", "not-there"])
        assert _tags(gamelift.list_tags_for_resource(ResourceARN=arn)) == [{"Key": "env", "Value": "dev"}], arn


def test_create_alias_with_tags_lists_them(gamelift):
    tags = [{"Key": "owner", "Value": "lobby"}]
    alias = gamelift.create_alias(Name="t", RoutingStrategy={"Type": "SIMPLE", "FleetId": FLEET_EC2},
                                  Tags=tags)["Alias"]
    assert _tags(gamelift.list_tags_for_resource(ResourceARN=alias["AliasArn"])) == tags


def test_tag_resource_51st_tag_tagging_failed(gamelift):
    arn = alias_arn(ALIAS_SIMPLE)
    gamelift.tag_resource(ResourceARN=arn, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    with pytest.raises(gamelift.exceptions.TaggingFailedException) as e:
        gamelift.tag_resource(ResourceARN=arn, Tags=[{"Key": "one-more", "Value": ""}])
    assert "50" in assert_service_error(e, "TaggingFailedException")
    assert len(_tags(gamelift.list_tags_for_resource(ResourceARN=arn))) == 50


def test_tag_resource_duplicate_keys_tagging_failed(gamelift):
    with pytest.raises(gamelift.exceptions.TaggingFailedException) as e:
        gamelift.tag_resource(ResourceARN=alias_arn(ALIAS_SIMPLE),
                              Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}])
    assert_service_error(e, "TaggingFailedException")


@pytest.mark.parametrize("arn", [ALIAS_SIMPLE, "arn:aws:s3:::my-bucket", f"arn:aws:gamelift:{REGION}::alias"])
def test_list_tags_for_resource_malformed_arn_invalid_request(gamelift, arn):
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.list_tags_for_resource(ResourceARN=arn)
    assert_service_error(e, "InvalidRequestException")


@pytest.mark.parametrize(
    "arn",
    [
        alias_arn("alias-ffffffff-ffff-4fff-8fff-ffffffffffff"),
        f"arn:aws:gamelift:eu-west-1::alias/{ALIAS_SIMPLE}",
        f"arn:aws:gamelift:{REGION}::gamesessionqueue/my-queue",
    ],
)
def test_tag_operations_unknown_resource_not_found(gamelift, arn):
    for call in (
        lambda: gamelift.list_tags_for_resource(ResourceARN=arn),
        lambda: gamelift.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "b"}]),
        lambda: gamelift.untag_resource(ResourceARN=arn, TagKeys=["a"]),
    ):
        with pytest.raises(gamelift.exceptions.NotFoundException) as e:
            call()
        assert arn in assert_service_error(e, "NotFoundException")


def test_untag_resource_malformed_arn_invalid_request(gamelift_raw):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.untag_resource(ResourceARN="not-an-arn", TagKeys=["a"])
    assert_service_error(e, "InvalidRequestException")


def test_tag_resource_cli_then_list(aws_cli):
    arn = fleet_arn(FLEET_EC2)
    out = aws_cli("tag-resource", "--resource-arn", arn, "--tags", "Key=stage,Value=beta")
    assert out.returncode == 0, out.stderr
    out = aws_cli("list-tags-for-resource", "--resource-arn", arn)
    assert out.returncode == 0, out.stderr
    assert out.json == {"Tags": [{"Key": "stage", "Value": "beta"}]}
