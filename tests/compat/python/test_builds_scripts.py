"""Builds and Realtime scripts through boto3 and the AWS CLI."""

import re

import pytest

from gl_support import ACCOUNT, REGION, UUID_RE, assert_service_error

UNKNOWN_BUILD = "build-ffffffff-ffff-4fff-8fff-ffffffffffff"
UNKNOWN_SCRIPT = "script-ffffffff-ffff-4fff-8fff-ffffffffffff"
S3 = {"Bucket": "my-builds", "Key": "server.zip", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/gamelift-s3"}


def _build(client, **kwargs):
    kwargs.setdefault("OperatingSystem", "AMAZON_LINUX_2023")
    return client.create_build(**kwargs)


# ---- builds ---------------------------------------------------------------------------------


def test_create_build_without_storage_returns_upload_credentials(gamelift):
    resp = _build(gamelift, Name="server", Version="1.2.3")
    build = resp["Build"]
    assert re.fullmatch(rf"build-{UUID_RE}", build["BuildId"]), build
    assert build["BuildArn"] == f"arn:aws:gamelift:{REGION}::build/{build['BuildId']}"
    assert build["Status"] == "INITIALIZED"
    assert build["SizeOnDisk"] == 0
    assert build["OperatingSystem"] == "AMAZON_LINUX_2023"
    assert build["ServerSdkVersion"] == "4.0.2"
    assert build["CreationTime"].year >= 2024
    creds = resp["UploadCredentials"]
    assert creds["AccessKeyId"] and creds["SecretAccessKey"] and creds["SessionToken"]
    assert resp["StorageLocation"]["Bucket"] == "gamelift-emulator-builds"
    assert resp["StorageLocation"]["Key"] == f"{build['BuildId']}/build.zip"


def test_create_build_with_storage_is_ready(gamelift):
    resp = _build(gamelift, StorageLocation=S3, ServerSdkVersion="5.1.0")
    assert resp["Build"]["Status"] == "READY"
    assert resp["Build"]["ServerSdkVersion"] == "5.1.0"
    assert "UploadCredentials" not in resp
    assert resp["StorageLocation"] == S3


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"Name": "no-os"}, id="no-operating-system"),
        pytest.param({"OperatingSystem": "AMAZON_LINUX_2023", "StorageLocation": {"Bucket": "b", "Key": "k"}},
                     id="storage-without-role"),
        pytest.param({"OperatingSystem": "AMAZON_LINUX_2023",
                      "StorageLocation": {**S3, "Bucket": "my.dotted.bucket"}}, id="dotted-bucket"),
        pytest.param({"OperatingSystem": "OS2"}, id="unknown-os"),
    ],
)
def test_create_build_bad_input_invalid_request(gamelift_raw, kwargs):
    with pytest.raises(gamelift_raw.exceptions.InvalidRequestException) as e:
        gamelift_raw.create_build(**kwargs)
    assert_service_error(e, "InvalidRequestException")


def test_create_build_too_many_tags_tagging_failed(gamelift):
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    with pytest.raises(gamelift.exceptions.TaggingFailedException) as e:
        _build(gamelift, Tags=tags)
    assert "50" in assert_service_error(e, "TaggingFailedException")


def test_describe_update_delete_build(gamelift):
    build = _build(gamelift, Name="a")["Build"]
    assert gamelift.describe_build(BuildId=build["BuildArn"])["Build"] == build
    updated = gamelift.update_build(BuildId=build["BuildId"], Name="b", Version="2")["Build"]
    assert (updated["Name"], updated["Version"]) == ("b", "2")
    resp = gamelift.delete_build(BuildId=build["BuildId"])
    assert set(resp) == {"ResponseMetadata"}
    with pytest.raises(gamelift.exceptions.NotFoundException):
        gamelift.describe_build(BuildId=build["BuildId"])


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.describe_build(BuildId=UNKNOWN_BUILD), id="describe"),
        pytest.param(lambda c: c.update_build(BuildId=UNKNOWN_BUILD, Name="n"), id="update"),
        pytest.param(lambda c: c.delete_build(BuildId=UNKNOWN_BUILD), id="delete"),
        pytest.param(lambda c: c.request_upload_credentials(BuildId=UNKNOWN_BUILD), id="upload-credentials"),
    ],
)
def test_build_operations_unknown_build_not_found(gamelift, call):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        call(gamelift)
    assert UNKNOWN_BUILD in assert_service_error(e, "NotFoundException")


def test_request_upload_credentials_returns_fresh_credentials(gamelift):
    build_id = _build(gamelift)["Build"]["BuildId"]
    resp = gamelift.request_upload_credentials(BuildId=build_id)
    assert resp["UploadCredentials"]["AccessKeyId"]
    assert resp["StorageLocation"]["Key"] == f"{build_id}/build.zip"


def test_list_builds_paginator_with_status_filter(gamelift):
    ready = [_build(gamelift, Name=f"r{i}", StorageLocation=S3)["Build"]["BuildId"] for i in range(3)]
    _build(gamelift, Name="waiting")
    pages = list(gamelift.get_paginator("list_builds").paginate(Status="READY", PaginationConfig={"PageSize": 2}))
    assert [b["BuildId"] for p in pages for b in p["Builds"]] == ready
    assert len(pages) == 2 and "NextToken" not in pages[-1]
    assert [b["Name"] for b in gamelift.list_builds(Status="INITIALIZED")["Builds"]] == ["waiting"]


def test_list_builds_bad_next_token_invalid_request(gamelift):
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.list_builds(NextToken="bogus")
    assert_service_error(e, "InvalidRequestException")


def test_list_builds_cli_shows_created_builds(aws_cli, gamelift):
    build_id = _build(gamelift, Name="cli")["Build"]["BuildId"]
    out = aws_cli("list-builds", "--status", "INITIALIZED")
    assert out.returncode == 0, out.stderr
    assert [b["BuildId"] for b in out.json["Builds"]] == [build_id]


# ---- scripts --------------------------------------------------------------------------------


def test_create_script_from_zip_file_reports_its_size(gamelift):
    zip_bytes = b"PK\x03\x04" + b"\x00" * 96
    script = gamelift.create_script(Name="rt", Version="1", ZipFile=zip_bytes)["Script"]
    assert re.fullmatch(rf"script-{UUID_RE}", script["ScriptId"]), script
    assert script["ScriptArn"] == f"arn:aws:gamelift:{REGION}::script/{script['ScriptId']}"
    assert script["SizeOnDisk"] == len(zip_bytes)
    assert script["NodeJsVersion"] == "10.x"
    assert script["StorageLocation"]["Bucket"] == "gamelift-emulator-scripts"


def test_create_script_from_storage_location(gamelift):
    script = gamelift.create_script(StorageLocation=S3, NodeJsVersion="24.x")["Script"]
    assert script["SizeOnDisk"] == 0
    assert script["StorageLocation"] == S3
    assert script["NodeJsVersion"] == "24.x"


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"Name": "no-files"}, id="no-files"),
        pytest.param({"ZipFile": b"zip", "StorageLocation": S3}, id="both"),
        pytest.param({"ZipFile": b"zip", "NodeJsVersion": "18.x"}, id="unsupported-node"),
    ],
)
def test_create_script_bad_input_invalid_request(gamelift, kwargs):
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.create_script(**kwargs)
    assert_service_error(e, "InvalidRequestException")


def test_create_script_reserved_tag_key_tagging_failed(gamelift):
    with pytest.raises(gamelift.exceptions.TaggingFailedException) as e:
        gamelift.create_script(StorageLocation=S3, Tags=[{"Key": "aws:app", "Value": "x"}])
    assert_service_error(e, "TaggingFailedException")


def test_update_script_replaces_files_and_keeps_the_rest(gamelift):
    script = gamelift.create_script(Name="rt", StorageLocation=S3)["Script"]
    updated = gamelift.update_script(ScriptId=script["ScriptArn"], Version="2", ZipFile=b"12345")["Script"]
    assert updated["Name"] == "rt" and updated["Version"] == "2"
    assert updated["SizeOnDisk"] == 5
    assert gamelift.describe_script(ScriptId=script["ScriptId"])["Script"] == updated
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.update_script(ScriptId=script["ScriptId"], ZipFile=b"z", StorageLocation=S3)
    assert_service_error(e, "InvalidRequestException")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.describe_script(ScriptId=UNKNOWN_SCRIPT), id="describe"),
        pytest.param(lambda c: c.update_script(ScriptId=UNKNOWN_SCRIPT, Name="n"), id="update"),
        pytest.param(lambda c: c.delete_script(ScriptId=UNKNOWN_SCRIPT), id="delete"),
    ],
)
def test_script_operations_unknown_script_not_found(gamelift, call):
    with pytest.raises(gamelift.exceptions.NotFoundException) as e:
        call(gamelift)
    assert UNKNOWN_SCRIPT in assert_service_error(e, "NotFoundException")


def test_list_scripts_paginator_and_delete(gamelift):
    ids = [gamelift.create_script(Name=f"s{i}", StorageLocation=S3)["Script"]["ScriptId"] for i in range(3)]
    pages = list(gamelift.get_paginator("list_scripts").paginate(PaginationConfig={"PageSize": 2}))
    assert [s["ScriptId"] for p in pages for s in p["Scripts"]] == ids
    assert "NextToken" not in pages[-1]
    assert set(gamelift.delete_script(ScriptId=ids[0])) == {"ResponseMetadata"}
    assert [s["ScriptId"] for s in gamelift.list_scripts()["Scripts"]] == ids[1:]


def test_list_scripts_bad_next_token_invalid_request(gamelift):
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.list_scripts(NextToken="bogus")
    assert_service_error(e, "InvalidRequestException")
