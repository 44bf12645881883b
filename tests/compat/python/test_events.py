"""Event sinks against real services, driven by queue placements (the events GameLift sends):

- `--sns-endpoint` pointed at moto_server: a PlacementFulfilled event reaches an SQS queue
  subscribed to the queue's NotificationTarget topic, exactly as AWS would fan it out;
- `--event-webhook` pointed at an HTTP receiver in this process: every event arrives as the
  SNS HTTP `Notification` message, body and headers.

The events come from real placements (CreateGameSessionQueue, StartGameSessionPlacement).
"""

import contextlib
import json
import queue
import re
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gl_support import (
    ACCOUNT,
    FLEET_ACTIVATING,
    FLEET_EC2,
    REGION,
    UUID_RE,
    fleet_arn,
    free_port,
    http,
    make_client,
    poll,
    running_emulator,
    sns_to_sqs,
)

ISO_SECONDS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
ISO_MILLIS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def create_queue(gl, **kwargs):
    return gl.create_game_session_queue(**kwargs)["GameSessionQueue"]


def iso_millis(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def wait_for_placement(gl, placement_id, status, timeout=10):
    def probe():
        p = gl.describe_game_session_placement(PlacementId=placement_id)["GameSessionPlacement"]
        return p if p["Status"] == status else None

    return poll(f"placement {placement_id} {status}", probe, timeout=timeout)


def logged_events(endpoint, after=0, wait=0):
    status, _, body = http("GET", f"{endpoint}/_emulator/events?after={after}&wait={wait}")
    assert status == 200, body
    return json.loads(body)


def check_fulfilled_envelope(envelope, placement, queue_arn, custom_event_data=None):
    """A PlacementFulfilled envelope, field by field (research §C), against the placement."""
    expected_keys = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert set(envelope) == expected_keys, envelope
    assert envelope["version"] == "0"
    assert re.fullmatch(UUID_RE, envelope["id"]), envelope["id"]
    assert envelope["detail-type"] == "GameLift Queue Placement Event"
    assert envelope["source"] == "aws.gamelift"
    assert envelope["account"] == ACCOUNT
    assert re.match(ISO_SECONDS, envelope["time"]), envelope["time"]
    assert envelope["region"] == REGION
    assert envelope["resources"] == [queue_arn]
    d = envelope["detail"]
    expected_detail = {
        "type", "placementId", "port", "gameSessionArn", "ipAddress", "dnsName", "startTime", "endTime",
        "gameSessionRegion", "placedPlayerSessions",
    }
    if custom_event_data is not None:
        expected_detail.add("customEventData")
        assert d["customEventData"] == custom_event_data
    assert set(d) == expected_detail, d
    assert d["type"] == "PlacementFulfilled"
    assert d["placementId"] == placement["PlacementId"]
    assert d["port"] == str(placement["Port"])  # a string in placement events
    assert d["gameSessionArn"] == placement["GameSessionArn"]
    assert d["ipAddress"] == placement["IpAddress"]
    assert d["dnsName"] == placement["DnsName"]
    assert d["gameSessionRegion"] == placement["GameSessionRegion"]
    assert re.match(ISO_MILLIS, d["startTime"]) and re.match(ISO_MILLIS, d["endTime"]), d
    assert d["startTime"] == iso_millis(placement["StartTime"])
    assert d["endTime"] == iso_millis(placement["EndTime"])
    assert d["placedPlayerSessions"] == [
        {"playerId": p["PlayerId"], "playerSessionId": p["PlayerSessionId"]} for p in placement["PlacedPlayerSessions"]
    ]
    assert len(d["placedPlayerSessions"]) == 1


def test_a_fulfilled_placement_reaches_sqs_through_sns(moto_endpoint):
    sqs, topic_arn, queue_url = sns_to_sqs(moto_endpoint, "placement-events")

    with running_emulator("--sns-endpoint", moto_endpoint) as endpoint:
        gl = make_client(endpoint)
        game_queue = create_queue(
            gl,
            Name="events-via-sns",
            Destinations=[{"DestinationArn": fleet_arn(FLEET_EC2)}],
            NotificationTarget=topic_arn,
            CustomEventData="lobby=7",
        )
        gl.start_game_session_placement(
            PlacementId="placement-via-sns",
            GameSessionQueueName="events-via-sns",
            MaximumPlayerSessionCount=4,
            DesiredPlayerSessions=[{"PlayerId": "player-1", "PlayerData": "blue team"}],
        )
        placement = wait_for_placement(gl, "placement-via-sns", "FULFILLED")

        def receive():
            got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            return got.get("Messages")

        messages = poll("the event in the SQS queue", receive, timeout=15)
        assert len(messages) == 1, messages
        notification = json.loads(messages[0]["Body"])
        assert notification["Type"] == "Notification"
        assert notification["TopicArn"] == topic_arn
        envelope = json.loads(notification["Message"])
        check_fulfilled_envelope(envelope, placement, game_queue["GameSessionQueueArn"], "lobby=7")

        # The event log holds the same event, addressed to the topic.
        log = logged_events(endpoint)
        fulfilled = [e for e in log["Events"] if e["Event"]["detail"]["type"] == "PlacementFulfilled"]
        assert len(fulfilled) == 1, log
        assert fulfilled[0]["NotificationTarget"] == topic_arn
        assert fulfilled[0]["Event"] == envelope


class _Receiver(BaseHTTPRequestHandler):
    received = None  # a queue.Queue, set per server

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.received.put((self.path, dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def webhook_receiver():
    """An HTTP server in this process that records every POST; yields (url, queue)."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    server.received = queue.Queue()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sns-endpoint", server.received
    finally:
        server.shutdown()
        server.server_close()


def next_notification(received, timeout=15):
    try:
        return received.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"no notification reached the webhook within {timeout} s")


def check_notification(path, headers, body, topic_arn):
    """What an SNS HTTP subscription receives for one message; returns the envelope."""
    headers = {k.lower(): v for k, v in headers.items()}
    assert path == "/sns-endpoint"
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-topic-arn"] == topic_arn
    assert headers["x-amz-sns-subscription-arn"].startswith(topic_arn + ":")
    n = json.loads(body)
    assert set(n) == {
        "Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion", "Signature",
        "SigningCertURL", "UnsubscribeURL",
    }, n
    assert n["Type"] == "Notification"
    assert re.fullmatch(UUID_RE, n["MessageId"]) and n["MessageId"] == headers["x-amz-sns-message-id"]
    assert n["TopicArn"] == topic_arn
    assert re.match(ISO_MILLIS, n["Timestamp"]), n["Timestamp"]
    stamp = datetime.strptime(n["Timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs(time.time() - stamp.timestamp()) < 120
    assert n["SignatureVersion"] == "1"
    assert n["Signature"]
    assert n["SigningCertURL"].startswith("https://sns.")
    assert "Action=Unsubscribe" in n["UnsubscribeURL"]
    return json.loads(n["Message"])


def test_every_event_reaches_a_webhook_as_an_sns_notification():
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:placement-events"
    placeholder = f"arn:aws:sns:{REGION}:{ACCOUNT}:gamelift-emulator-events"
    with webhook_receiver() as (url, received), running_emulator("--event-webhook", url) as endpoint:
        gl = make_client(endpoint)
        # A queue with a topic, whose placement is fulfilled...
        game_queue = create_queue(
            gl, Name="events-via-webhook", Destinations=[{"DestinationArn": fleet_arn(FLEET_EC2)}],
            NotificationTarget=topic_arn,
        )
        gl.start_game_session_placement(
            PlacementId="placement-via-webhook", GameSessionQueueName="events-via-webhook",
            MaximumPlayerSessionCount=2, DesiredPlayerSessions=[{"PlayerId": "player-1"}],
        )
        placement = wait_for_placement(gl, "placement-via-webhook", "FULFILLED")
        path, headers, body = next_notification(received)
        envelope = check_notification(path, headers, body, topic_arn)
        check_fulfilled_envelope(envelope, placement, game_queue["GameSessionQueueArn"])

        # ...and one without a topic (onto a fleet that never becomes ACTIVE), cancelled: the
        # webhook gets every event, under the placeholder topic.
        create_queue(gl, Name="never-placed", Destinations=[{"DestinationArn": fleet_arn(FLEET_ACTIVATING)}])
        gl.start_game_session_placement(
            PlacementId="placement-cancelled", GameSessionQueueName="never-placed", MaximumPlayerSessionCount=2,
        )
        assert gl.describe_game_session_placement(PlacementId="placement-cancelled")[
            "GameSessionPlacement"]["Status"] == "PENDING"
        gl.stop_game_session_placement(PlacementId="placement-cancelled")
        path, headers, body = next_notification(received)
        envelope = check_notification(path, headers, body, placeholder)
        assert envelope["detail"]["type"] == "PlacementCancelled"
        assert envelope["detail"]["placementId"] == "placement-cancelled"
        assert set(envelope["detail"]) == {"type", "placementId", "startTime", "endTime"}
        assert received.empty()
