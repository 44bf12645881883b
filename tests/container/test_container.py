"""The runtime image, built from the repository's Dockerfile, run with podman and driven from
outside: boto3 for the API, the fake game server over ws://, podman for the health check, the
user and the stop.

tests/container/run builds the static binary and the image, then runs this module with
GAMELIFT_EMULATOR_IMAGE set; without it the module is skipped.
"""

import json
import os
import subprocess
import time
import uuid

import pytest

from gl_support import FLEET_ANYWHERE, FLEET_EC2, advance_clock, free_port, http, make_client, poll
from test_game_server_loop import FakeGameServer

IMAGE = os.environ.get("GAMELIFT_EMULATOR_IMAGE")
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs"]

pytestmark = pytest.mark.skipif(not IMAGE, reason="GAMELIFT_EMULATOR_IMAGE not set (run tests/container/run)")


def podman(*args, check=True, timeout=60):
    return subprocess.run([*PODMAN, *args], capture_output=True, text=True, check=check, timeout=timeout)


@pytest.fixture(scope="module")
def container():
    """The image running on the host network on free ports, with its clock paused (lifecycles
    move only when the test advances it). Yields (name, API base URL)."""
    name = f"gamelift-emulator-test-{uuid.uuid4().hex[:8]}"
    port, wss_port = free_port(), free_port()
    podman(
        "run", "--detach", "--name", name,
        "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
        "--network", "host",
        "--env", f"GAMELIFT_EMULATOR_BIND=127.0.0.1:{port}",
        "--env", f"GAMELIFT_EMULATOR_WSS_BIND=127.0.0.1:{wss_port}",
        "--env", "GAMELIFT_EMULATOR_CLOCK=paused",
        IMAGE,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy():
        state = podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip()
        if state != "true":
            pytest.fail(f"the container stopped: {podman('logs', name, check=False).stderr[-3000:]}")
        try:
            return http("GET", url + "/_emulator/health", timeout=1)[0] == 200
        except OSError:
            return False

    try:
        poll("the container answering /_emulator/health", healthy, timeout=20)
        yield name, url
    finally:
        podman("rm", "--force", "--time", "0", name, check=False)


def test_image_is_small_and_runs_as_a_numeric_non_root_user(container):
    name, _ = container
    size = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip())
    print(f"image {IMAGE}: {size / 1e6:.1f} MB")
    assert size <= 20_000_000, f"image is {size} bytes"
    assert podman("inspect", "--format", "{{.Config.User}}", name).stdout.strip() == "65532:65532"
    pid = podman("inspect", "--format", "{{.State.Pid}}", name).stdout.strip()
    with open(f"/proc/{pid}/status") as f:
        uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
    assert uids and all(u == "65532" for u in uids), uids


def test_logs_are_json(container):
    name, _ = container
    logs = podman("logs", name).stderr.strip().splitlines()
    ready = [json.loads(line) for line in logs if line.startswith("{")]
    assert any(entry.get("message") == "gamelift-emulator ready" for entry in ready), logs


def test_boto3_creates_a_game_session_that_becomes_active(container):
    _, url = container
    gl = make_client(url)
    gs = gl.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=2)["GameSession"]
    assert gs["Status"] == "ACTIVATING"
    advance_clock(url, 1)
    got = gl.describe_game_sessions(GameSessionId=gs["GameSessionId"])["GameSessions"][0]
    assert got["Status"] == "ACTIVE"


def test_a_game_server_connects_over_ws_to_the_anywhere_fleet(container):
    _, url = container
    gl = make_client(url)
    compute = gl.describe_compute(FleetId=FLEET_ANYWHERE, ComputeName="local-compute")["Compute"]
    assert compute["GameLiftServiceSdkEndpoint"] == url.replace("http://", "ws://")
    server = FakeGameServer(
        {
            "GAMELIFT_SDK_WEBSOCKET_URL": compute["GameLiftServiceSdkEndpoint"],
            "GAMELIFT_SDK_FLEET_ID": FLEET_ANYWHERE,
            "GAMELIFT_SDK_HOST_ID": "local-compute",
            "GAMELIFT_SDK_PROCESS_ID": "container-process-1",
            "GAMELIFT_SDK_AUTH_TOKEN": "local-auth-token",
            "FAKE_GAME_SERVER_PORT": "7791",
        }
    )
    try:
        server.expect("ready")
        gs = gl.create_game_session(FleetId=FLEET_ANYWHERE, Location="custom-local", MaximumPlayerSessionCount=2)[
            "GameSession"
        ]
        assert gs["Port"] == 7791
        push = server.expect("push", "CreateGameSession")
        assert push["GameSessionId"] == gs["GameSessionId"]
        assert server.command(f"activate {gs['GameSessionId']}")["StatusCode"] == 200
        got = gl.describe_game_sessions(GameSessionId=gs["GameSessionId"])["GameSessions"][0]
        assert got["Status"] == "ACTIVE"
    finally:
        server.stop()


def test_the_image_health_check_passes(container):
    name, _ = container
    image = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
    assert image["Healthcheck"]["Test"] == ["CMD", "/gamelift-emulator", "healthcheck"]
    run = podman("healthcheck", "run", name, check=False)
    assert run.returncode == 0, (run.stdout, run.stderr)
    probe = podman("exec", name, "/gamelift-emulator", "healthcheck", check=False)
    assert probe.returncode == 0, (probe.stdout, probe.stderr)


def test_metrics_are_served(container):
    _, url = container
    status, headers, body = http("GET", url + "/metrics")
    assert status == 200
    assert b"gamelift_emulator_requests_total{" in body


def test_podman_stop_ends_it_within_two_seconds_with_status_0(container):
    name, _ = container
    started = time.monotonic()
    podman("stop", "--time", "10", name)
    took = time.monotonic() - started
    print(f"podman stop took {took:.2f} s")
    assert took < 2.0, f"podman stop took {took:.2f} s"
    assert podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "0"
