"""AWS JSON 1.1 protocol behaviour seen with raw HTTP (urllib / a plain socket)."""

import json
import urllib.parse

import pytest

from gl_support import FLEET_EC2, UNKNOWN_FLEET, json11, raw_exchange


def _error_body(status, headers, body):
    """Assert a JSON error body with __type and equal message/Message; return it."""
    assert 400 <= status < 500, (status, body[:300])
    try:
        doc = json.loads(body)
    except ValueError:
        pytest.fail(f"error body is not JSON: {body[:300]!r}")
    assert isinstance(doc, dict), doc
    assert isinstance(doc.get("__type"), str) and doc["__type"], doc
    assert "message" in doc and "Message" in doc, doc
    assert doc["message"] == doc["Message"], doc
    assert "code" not in {k.lower() for k in doc}, f"error body must not carry code/Code: {doc}"
    return doc


def _request_id(headers):
    rid = headers.get("x-amzn-RequestId")
    assert rid, f"missing x-amzn-RequestId header: {dict(headers)}"
    return rid


def test_protocol_unknown_target_returns_400_unknown_operation(endpoint):
    status, headers, body = json11(endpoint, "GameLift.NoSuchOp", {})
    assert status == 400
    assert _error_body(status, headers, body)["__type"] == "UnknownOperationException"
    _request_id(headers)


def test_protocol_unimplemented_model_operation_returns_400_unsupported_operation(endpoint):
    status, headers, body = json11(
        endpoint, "GameLift.CreateVpcPeeringAuthorization",
        {"GameLiftAwsAccountId": "111122223333", "PeerVpcId": "vpc-1"},
    )
    assert status == 400
    doc = _error_body(status, headers, body)
    assert doc["__type"] == "UnsupportedOperationException"
    assert "CreateVpcPeeringAuthorization" in doc["message"], doc
    _request_id(headers)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"FleetId": "fleet-', b"[1, 2]"],
    ids=["garbage", "truncated", "array"],
)
def test_protocol_undecodable_body_returns_400_serialization_exception(endpoint, body):
    status, headers, raw = json11(endpoint, "GameLift.CreateGameSession", body)
    assert status == 400
    assert _error_body(status, headers, raw)["__type"] == "SerializationException"
    _request_id(headers)


def test_protocol_wrong_member_type_returns_400_serialization_exception(endpoint):
    status, headers, raw = json11(
        endpoint, "GameLift.CreateGameSession",
        {"FleetId": FLEET_EC2, "MaximumPlayerSessionCount": "5"},
    )
    assert status == 400
    assert _error_body(status, headers, raw)["__type"] == "SerializationException"


def test_protocol_modeled_error_body_has_type_and_equal_messages(endpoint):
    status, headers, raw = json11(
        endpoint, "GameLift.CreateGameSession",
        {"FleetId": UNKNOWN_FLEET, "MaximumPlayerSessionCount": 1},
    )
    assert status == 400
    doc = _error_body(status, headers, raw)
    # Short name or absolute shape id are both fine for every client.
    assert doc["__type"].rsplit("#", 1)[-1] == "NotFoundException", doc
    assert doc["message"], doc
    error_type = headers.get("x-amzn-ErrorType")
    if error_type is not None:  # optional, but must never disagree with __type
        assert error_type.split(":")[0].rsplit("#", 1)[-1] == "NotFoundException"


def test_protocol_validation_error_body_has_type_and_equal_messages(endpoint):
    status, headers, raw = json11(
        endpoint, "GameLift.CreateGameSession",
        {"FleetId": FLEET_EC2, "MaximumPlayerSessionCount": -1},
    )
    assert status == 400
    doc = _error_body(status, headers, raw)
    assert doc["__type"].rsplit("#", 1)[-1] == "InvalidRequestException", doc


def test_protocol_every_response_has_a_distinct_request_id(endpoint):
    seen = []
    create = {"FleetId": FLEET_EC2, "MaximumPlayerSessionCount": 2}
    status, headers, raw = json11(endpoint, "GameLift.CreateGameSession", create)
    assert status == 200, raw
    seen.append(_request_id(headers))
    gsid = json.loads(raw)["GameSession"]["GameSessionId"]
    for target, body, want in [
        ("GameLift.DescribeGameSessions", {"GameSessionId": gsid}, 200),
        ("GameLift.DescribeGameSessions", {"FleetId": FLEET_EC2}, 200),
        ("GameLift.CreateGameSession", {"FleetId": UNKNOWN_FLEET, "MaximumPlayerSessionCount": 1}, 400),
        ("GameLift.CreateGameSession", b"{oops", 400),
        ("GameLift.NoSuchOp", {}, 400),
        ("GameLift.CreateVpcPeeringAuthorization", {}, 400),
    ]:
        status, headers, raw = json11(endpoint, target, body)
        assert status == want, (target, status, raw[:300])
        seen.append(_request_id(headers))
    assert len(set(seen)) == len(seen), seen


def test_protocol_success_body_is_json_with_epoch_seconds_creation_time(endpoint):
    status, headers, raw = json11(
        endpoint, "GameLift.CreateGameSession", {"FleetId": FLEET_EC2, "MaximumPlayerSessionCount": 2}
    )
    assert status == 200, raw
    gs = json.loads(raw)["GameSession"]
    # AWS JSON 1.1 timestamps are epoch-second numbers, never ISO strings.
    assert isinstance(gs["CreationTime"], (int, float)) and not isinstance(gs["CreationTime"], bool)
    # Absent members are omitted rather than sent as null.
    assert None not in gs.values(), gs


def test_protocol_10_mib_body_returns_4xx_json_error(endpoint):
    url = urllib.parse.urlsplit(endpoint)
    payload = json.dumps(
        {"FleetId": FLEET_EC2, "MaximumPlayerSessionCount": 1, "GameSessionData": "x" * (10 * 1024 * 1024)}
    ).encode()
    head = (
        "POST / HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\n"
        "X-Amz-Target: GameLift.CreateGameSession\r\n"
        "Content-Type: application/x-amz-json-1.1\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    status, headers, body = raw_exchange(url.hostname, url.port, head, payload, timeout=15)
    assert 400 <= status < 500, (status, body[:300])
    assert "html" not in headers.get("content-type", "").lower(), headers
    try:
        doc = json.loads(body)
    except ValueError:
        pytest.fail(f"error body is not JSON (status {status}): {body[:300]!r}")
    assert isinstance(doc.get("__type"), str) and doc["__type"], doc
    assert headers.get("x-amzn-requestid"), headers
