"""What a boto3 client sees of the faults API and of --verify-signatures (issue 12).

Injected errors arrive as ClientErrors with the real code and status, and botocore retries
exactly what it retries against AWS: the rule's Fired/Matched counts are the attempts the
emulator saw. With --verify-signatures, the right keys work and a wrong secret, an unknown key
or another Region fail with AWS's codes.
"""

import json

import boto3
import botocore
import pytest
from botocore.config import Config

from gl_support import REGION, http

AKID = "AKIDRELIABILITY"
SECRET = "reliability/secret+1"
EMULATOR_FLAGS = ("--verify-signatures", "--credentials", f"{AKID}:{SECRET}")


def client(endpoint, key=AKID, secret=SECRET, region=REGION, retries=None):
    return boto3.session.Session().client(
        "gamelift",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries=retries or {"total_max_attempts": 1}, connect_timeout=5, read_timeout=10),
    )


def control(endpoint, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    status, _, raw = http(method, endpoint + path, body=data)
    assert status == 200, raw[:500]
    return json.loads(raw)


@pytest.fixture
def endpoint(module_endpoint, gl):
    # `gl` resets the module's emulator (faults included) before each test.
    return module_endpoint


def test_the_right_keys_work_and_wrong_ones_get_awss_errors(endpoint):
    assert client(endpoint).list_fleets()["FleetIds"]
    cases = [
        (dict(secret="wrong"), "InvalidSignatureException", "The request signature we calculated does not match"),
        (dict(key="AKIDUNKNOWN"), "UnrecognizedClientException", "The security token included in the request is invalid."),
        (dict(region="eu-west-1"), "InvalidSignatureException", "Credential should be scoped to a valid region"),
    ]
    for kwargs, code, message in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            client(endpoint, **kwargs).list_fleets()
        err = e.value.response["Error"]
        assert (err["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, 400)
        assert err["Message"].startswith(message), err


def test_throttling_is_retried_by_default_and_the_attempts_are_counted(endpoint):
    control(endpoint, "POST", "/_emulator/faults",
            {"Operation": "ListFleets", "ErrorCode": "ThrottlingException", "Count": 2})
    # boto3's default (legacy) mode retries ThrottlingException: two failures, then the answer.
    assert client(endpoint, retries={"mode": "legacy"}).list_fleets()["FleetIds"]
    rule = control(endpoint, "GET", "/_emulator/faults")["Faults"][0]
    assert (rule["Matched"], rule["Fired"]) == (3, 2)


def test_an_internal_error_is_a_500_retried_five_times_in_legacy_mode(endpoint):
    control(endpoint, "POST", "/_emulator/faults", {"Operation": "*", "ErrorCode": "InternalServiceException"})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(endpoint, retries={"mode": "legacy"}).describe_game_sessions(FleetId="fleet-x")
    assert e.value.response["Error"]["Code"] == "InternalServiceException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert control(endpoint, "GET", "/_emulator/faults")["Faults"][0]["Matched"] == 5


def test_limit_exceeded_is_retried_in_standard_mode_only(endpoint):
    control(endpoint, "POST", "/_emulator/faults", {"Operation": "ListAliases", "ErrorCode": "LimitExceededException"})
    for mode, attempts in (("legacy", 1), ("standard", 3)):
        control(endpoint, "DELETE", "/_emulator/faults")
        control(endpoint, "POST", "/_emulator/faults",
                {"Operation": "ListAliases", "ErrorCode": "LimitExceededException"})
        with pytest.raises(botocore.exceptions.ClientError) as e:
            client(endpoint, retries={"mode": mode}).list_aliases()
        assert e.value.response["Error"]["Code"] == "LimitExceededException"
        assert control(endpoint, "GET", "/_emulator/faults")["Faults"][0]["Matched"] == attempts, mode
