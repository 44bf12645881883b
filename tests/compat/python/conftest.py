"""Fixtures for the boto3 / AWS CLI v1 compatibility suite.

One emulator process serves the whole session; every test starts from the default
fixtures because an autouse fixture POSTs /_emulator/reset before it.

Environment:
  GAMELIFT_EMULATOR_BIN  path of the emulator binary
                         (default: <repo>/target/debug/gamelift-emulator)
"""

import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from gl_support import free_port, http, make_client, run_aws_cli, wait_for_status

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_BIN = REPO_ROOT / "target" / "debug" / "gamelift-emulator"
HEALTH_DEADLINE_S = 10.0


def pytest_configure(config):
    # Keep the developer's own AWS configuration out of the boto3 clients.
    for name in list(os.environ):
        if name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") or name.startswith("AWS_ENDPOINT_URL"):
            del os.environ[name]
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


@pytest.fixture(scope="session")
def endpoint():
    """Start the emulator once for the session on a free port; yield its base URL."""
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
    proc = subprocess.Popen(
        [
            str(binary),
            "--bind", f"127.0.0.1:{port}",
            "--game-session-activation-delay", "200ms",
            "--log-level", "warn",
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

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

    deadline = time.monotonic() + HEALTH_DEADLINE_S
    while True:
        if proc.poll() is not None:
            msg = f"emulator exited with code {proc.returncode} before it became healthy:\n{output()}"
            log.close()
            pytest.fail(msg, pytrace=False)
        try:
            status, _, _ = http("GET", url + "/_emulator/health", timeout=1)
            if status == 200:
                break
        except OSError:
            pass
        if time.monotonic() >= deadline:
            stop()
            msg = (
                f"emulator did not answer GET /_emulator/health with 200 within "
                f"{HEALTH_DEADLINE_S:.0f} s:\n{output()}"
            )
            log.close()
            pytest.fail(msg, pytrace=False)
        time.sleep(0.05)

    try:
        yield url
    finally:
        stop()
        log.close()


@pytest.fixture(autouse=True)
def _reset(endpoint):
    """Put the emulator back to its fixtures before every test."""
    status, _, body = http("POST", endpoint + "/_emulator/reset", body=b"")
    assert status == 200, f"POST /_emulator/reset answered {status}: {body[:500]!r}"


@pytest.fixture(scope="session")
def gamelift(endpoint):
    """boto3 client with botocore's normal client-side parameter validation."""
    return make_client(endpoint)


@pytest.fixture(scope="session")
def gamelift_raw(endpoint):
    """boto3 client with parameter_validation=False: parameters reach the server as given."""
    return make_client(endpoint, parameter_validation=False)


@pytest.fixture(name="wait_for_status")
def _wait_for_status():
    """wait_for_status(client, game_session_id, status, timeout=5) -> GameSession."""
    return wait_for_status


@pytest.fixture
def aws_cli(endpoint):
    """aws_cli('describe-game-sessions', '--fleet-id', F, use_env_endpoint=False)."""

    def run(*args, **kwargs):
        return run_aws_cli(endpoint, *args, **kwargs)

    return run
