"""Constants and helpers shared by conftest.py and the test modules.

(pytest puts this directory on sys.path, so tests can `from gl_support import ...`.)
"""

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REGION = "us-east-1"
ACCOUNT = "123456789012"

# Default fixture (fixtures/default.json, built into the binary).
FLEET_EC2 = "fleet-00000000-0000-4000-8000-000000000001"  # us-east-1 (2 inst) + us-west-2 (1 inst), 10/inst
FLEET_LIMITED = "fleet-00000000-0000-4000-8000-000000000002"  # 2 sessions per creator per minute
FLEET_ACTIVATING = "fleet-00000000-0000-4000-8000-000000000003"  # ACTIVATING forever
FLEET_TINY = "fleet-00000000-0000-4000-8000-000000000004"  # capacity 2; ap-northeast-1 ACTIVATING; 1 s activation
FLEET_ANYWHERE = "fleet-00000000-0000-4000-8000-000000000005"  # Anywhere, custom-local, compute local-compute
FIXTURE_FLEETS = [FLEET_EC2, FLEET_LIMITED, FLEET_ACTIVATING, FLEET_TINY, FLEET_ANYWHERE]
ALIAS_SIMPLE = "alias-00000000-0000-4000-8000-000000000001"  # SIMPLE -> FLEET_EC2
ALIAS_TERMINAL = "alias-00000000-0000-4000-8000-000000000002"  # TERMINAL
TERMINAL_MESSAGE = "This game has ended. Please update your client."
UNKNOWN_FLEET = "fleet-ffffffff-ffff-4fff-8fff-ffffffffffff"
UNKNOWN_ALIAS = "alias-ffffffff-ffff-4fff-8fff-ffffffffffff"

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

HTTP_TIMEOUT_S = 10.0


def fleet_arn(fleet_id, account=ACCOUNT):
    return f"arn:aws:gamelift:{REGION}:{account}:fleet/{fleet_id}"


def alias_arn(alias_id):
    return f"arn:aws:gamelift:{REGION}::alias/{alias_id}"


def game_session_arn_re(fleet_id, location=None, id_part=None):
    """Regex for a game session ID (= ARN); id_part defaults to gsess-<uuid>."""
    loc = f"{re.escape(location)}/" if location else ""
    tail = re.escape(id_part) if id_part else f"gsess-{UUID_RE}"
    return rf"^arn:aws:gamelift:{REGION}::gamesession/{re.escape(fleet_id)}/{loc}{tail}$"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- clients

def make_client(endpoint_url=None, **config_kwargs):
    kwargs = {"endpoint_url": endpoint_url} if endpoint_url else {}
    return boto3.session.Session().client(
        "gamelift",
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(
            retries={"total_max_attempts": 1},
            connect_timeout=5,
            read_timeout=HTTP_TIMEOUT_S,
            **config_kwargs,
        ),
        **kwargs,
    )


# --------------------------------------------------------------------------- raw HTTP

FAKE_AUTH = (
    "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/gamelift/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64
)


def http(method, url, body=None, headers=None, timeout=HTTP_TIMEOUT_S):
    """Return (status, headers, body bytes); HTTP error statuses are returned, not raised."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read()


def json11(endpoint, target, body, timeout=HTTP_TIMEOUT_S):
    """POST an AWS JSON 1.1 request the way botocore does (unsigned signature).

    `target` is the full X-Amz-Target value; `body` is bytes or a JSON-able object.
    Returns (status, headers, body bytes).
    """
    if not isinstance(body, (bytes, bytearray)):
        body = json.dumps(body).encode()
    headers = {
        "X-Amz-Target": target,
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Date": "20260101T000000Z",
        "Authorization": FAKE_AUTH,
    }
    return http("POST", endpoint + "/", body=body, headers=headers, timeout=timeout)


def raw_exchange(host, port, head, body, timeout=HTTP_TIMEOUT_S):
    """Send one HTTP/1.1 request over a plain socket while a reader thread collects the reply.

    The reader runs concurrently so that a server which answers (e.g. 413) before it has
    read the whole body is still seen, even if it then closes the connection.
    Returns (status, headers dict lower-cased, body bytes) or raises AssertionError.
    """
    sock = socket.create_connection((host, port), timeout=timeout)
    chunks, errors = [], []

    def reader():
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
                if _complete(b"".join(chunks)):
                    break
        except OSError as e:  # reset after the reply is fine if we already have it
            errors.append(e)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        sock.sendall(head + body)
    except OSError:
        pass  # server stopped reading; its reply (if any) is in `chunks`
    t.join(timeout)
    sock.close()
    raw = b"".join(chunks)
    assert not t.is_alive(), f"no complete HTTP response within {timeout} s (got {raw[:300]!r})"
    assert raw, f"connection closed without any HTTP response ({errors})"
    return _parse_response(raw)


def _split(raw):
    sep = raw.find(b"\r\n\r\n")
    if sep < 0:
        return None, None
    return raw[:sep].decode("latin-1"), raw[sep + 4 :]


def _complete(raw):
    head, rest = _split(raw)
    if head is None:
        return False
    headers = {}
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        return len(rest) >= int(headers["content-length"])
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return rest.endswith(b"0\r\n\r\n")
    return False


def _parse_response(raw):
    head, rest = _split(raw)
    assert head is not None, f"malformed HTTP response: {raw[:300]!r}"
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body, buf = b"", rest
        while buf:
            size_line, _, buf = buf.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            body, buf = body + buf[:size], buf[size + 2 :]
        rest = body
    elif "content-length" in headers:
        rest = rest[: int(headers["content-length"])]
    return status, headers, rest


# --------------------------------------------------------------------------- clock control

def clock(endpoint):
    """GET /_emulator/clock -> {"Now": epoch seconds, "Paused": bool}."""
    status, _, body = http("GET", endpoint + "/_emulator/clock")
    assert status == 200, body[:500]
    return json.loads(body)


def advance_clock(endpoint, seconds):
    """POST /_emulator/clock/advance: move emulated time forward; every transition that fell
    due has been applied when this returns. Returns the clock reading."""
    status, _, body = http("POST", endpoint + "/_emulator/clock/advance", body=json.dumps({"Seconds": seconds}).encode())
    assert status == 200, body[:500]
    return json.loads(body)


def set_clock_paused(endpoint, paused):
    """POST /_emulator/clock/pause or /resume; returns the clock reading."""
    action = "pause" if paused else "resume"
    status, _, body = http("POST", endpoint + f"/_emulator/clock/{action}", body=b"")
    assert status == 200, body[:500]
    return json.loads(body)


# --------------------------------------------------------------------------- lifecycle

def poll(what, probe, timeout=10.0, interval=0.02):
    """Call `probe` every `interval` seconds until it returns a truthy value; return that value.
    Fails the test naming `what` if `timeout` passes first (lifecycles are polled, never slept for)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} did not happen within {timeout} s (last: {last!r})")


def wait_for_status(client, game_session_id, status, timeout=5):
    """Poll DescribeGameSessions every 50 ms until the session has `status`.

    Returns the GameSession; fails the test with the last seen status on timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        sessions = client.describe_game_sessions(GameSessionId=game_session_id)["GameSessions"]
        assert len(sessions) == 1, sessions
        session = sessions[0]
        if session["Status"] == status:
            return session
        if time.monotonic() >= deadline:
            pytest.fail(
                f"game session {game_session_id} did not reach {status} within {timeout} s "
                f"(last status {session['Status']})"
            )
        time.sleep(0.05)


# --------------------------------------------------------------------------- AWS CLI

def cli_env(endpoint_env=None):
    """A clean environment for the AWS CLI: dummy keys, no config files, no retries."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="x",
        AWS_MAX_ATTEMPTS="1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_PAGER="",
    )
    if endpoint_env:
        env["AWS_ENDPOINT_URL_GAMELIFT"] = endpoint_env
    return env


def run_aws_cli(endpoint, *args, use_env_endpoint=False, timeout=60):
    """Run `aws gamelift <args...>` with AWS CLI v1 (`python -m awscli`).

    The endpoint is passed as --endpoint-url, or with use_env_endpoint=True through the
    AWS_ENDPOINT_URL_GAMELIFT environment variable instead. Returns the CompletedProcess
    (text mode) with an extra attribute `.json`: the parsed stdout when rc == 0.
    """
    cmd = [sys.executable, "-m", "awscli", "gamelift", *args]
    if not use_env_endpoint:
        cmd += ["--endpoint-url", endpoint]
    cmd += ["--region", REGION, "--output", "json"]
    proc = subprocess.run(
        cmd,
        env=cli_env(endpoint if use_env_endpoint else None),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    proc.json = json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else None
    return proc


# --------------------------------------------------------------------------- errors

def assert_service_error(excinfo, code, message=None, status=400, modeled=True):
    """Check what a boto3 user sees for a service error.

    excinfo: the pytest.raises ExceptionInfo. Checks Error.Code, the HTTP status, a
    request id, a non-empty message (equal to `message` when given) and, for errors of
    the GameLift model, that the modeled `Message` member equals Error.Message (the
    emulator sends the same text under `message` and `Message`).
    Returns Error.Message.
    """
    resp = excinfo.value.response
    err = resp["Error"]
    assert err["Code"] == code, resp
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status, resp
    assert resp["ResponseMetadata"].get("RequestId"), resp["ResponseMetadata"]
    assert err.get("Message"), f"empty error message: {resp}"
    if message is not None:
        assert err["Message"] == message
    if modeled:
        assert type(excinfo.value).__name__ == code
        assert resp.get("Message") == err["Message"], resp
    return err["Message"]


REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_BIN = REPO_ROOT / "target" / "debug" / "gamelift-emulator"
HEALTH_DEADLINE_S = 10.0


def wait_until_answering(proc, probe_url, what, deadline_s, output, interval=0.05):
    """Poll `GET probe_url` until it answers 200. Fails the test, with the process's `output()`,
    if `proc` (named `what`) exits first or `deadline_s` seconds pass."""
    deadline = time.monotonic() + deadline_s
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with code {proc.returncode} before it answered:\n{output()}", pytrace=False)
        try:
            status, _, _ = http("GET", probe_url, timeout=1)
            if status == 200:
                return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            pytest.fail(
                f"{what} did not answer GET {probe_url} with 200 within {deadline_s:.0f} s:\n{output()}",
                pytrace=False,
            )
        time.sleep(interval)


@contextlib.contextmanager
def running_emulator(*extra_args):
    """Start the emulator binary on a free port with the suite's flags plus `extra_args`
    (later flags win); yield its base URL; stop it on exit. The binary is
    $GAMELIFT_EMULATOR_BIN or <repo>/target/debug/gamelift-emulator."""
    binary = Path(os.environ.get("GAMELIFT_EMULATOR_BIN", str(DEFAULT_BIN)))
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(
            f"emulator binary not found or not executable: {binary} "
            "(run `cargo build` at the repository root, or set GAMELIFT_EMULATOR_BIN)",
            pytrace=False,
        )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    args = [
        str(binary),
        "--bind", f"127.0.0.1:{port}",
        "--game-session-activation-delay", "200ms",
        "--log-level", "warn",
        *extra_args,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAMELIFT_EMULATOR_")}
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)

    def output():
        log.seek(0)
        return log.read().decode("utf-8", "replace")[-4000:]

    def stop():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    try:
        wait_until_answering(proc, url + "/_emulator/health", "emulator", HEALTH_DEADLINE_S, output)
        yield url
    finally:
        stop()
        log.close()


MOTO_DEADLINE_S = 30.0


@contextlib.contextmanager
def running_moto_server():
    """Start `moto_server` (the console script installed beside this Python, from
    `moto[server]`) on a free 127.0.0.1 port; wait until it answers; yield its base URL; stop it
    on exit."""
    script = Path(sys.executable).parent / "moto_server"
    if not script.is_file():
        pytest.fail(f"moto_server not found beside {sys.executable} (pip install 'moto[server]')", pytrace=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("MOTO_")}
    proc = subprocess.Popen(
        [str(script), "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
    )

    def output():
        log.seek(0)
        return log.read().decode("utf-8", "replace")[-4000:]

    try:
        wait_until_answering(proc, url + "/moto-api/", "moto_server", MOTO_DEADLINE_S, output, interval=0.1)
        yield url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def sns_to_sqs(moto_endpoint, name):
    """An SNS topic and an SQS queue, both called `name`, the queue subscribed to the topic, on
    moto_server. Returns (sqs client, topic ARN, queue URL)."""
    sns = aws_client("sns", moto_endpoint)
    sqs = aws_client("sqs", moto_endpoint)
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return sqs, topic_arn, queue_url


def aws_client(service, endpoint_url):
    """A boto3 client for another AWS service (SNS, SQS) at `endpoint_url` (moto_server)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=HTTP_TIMEOUT_S),
    )
