"""Fixtures for the boto3 / AWS CLI v1 compatibility suite.

One emulator process serves the whole session; every test starts from the default
fixtures because an autouse fixture POSTs /_emulator/reset before it.

Environment:
  GAMELIFT_EMULATOR_BIN  path of the emulator binary
                         (default: <repo>/target/debug/gamelift-emulator)

`moto_endpoint` starts moto_server (an SNS/SQS-compatible server from PyPI `moto[server]`) for
the event sink tests.
"""

import os

import pytest

from gl_support import (
    http,
    make_client,
    run_aws_cli,
    running_emulator,
    running_moto_server,
    set_clock_paused,
    wait_for_status,
)

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
    with running_emulator() as url:
        yield url


@pytest.fixture(scope="module")
def module_endpoint(request):
    """An emulator of the test module's own, started with the module's `EMULATOR_FLAGS` (for
    short fleet or player-session timings); yields its base URL."""
    with running_emulator(*getattr(request.module, "EMULATOR_FLAGS", ())) as url:
        yield url


@pytest.fixture(scope="module")
def moto_endpoint():
    """moto_server on a free 127.0.0.1 port for the test module (SNS and SQS); yields its URL."""
    with running_moto_server() as url:
        yield url


@pytest.fixture
def gl(request, module_endpoint):
    """boto3 client on the module's own emulator, reset before each test, with the clock in
    the mode the module's flags start it in (a test may have paused or resumed it)."""
    status, _, body = http("POST", module_endpoint + "/_emulator/reset", body=b"")
    assert status == 200, body[:500]
    flags = getattr(request.module, "EMULATOR_FLAGS", ())
    paused = any(a == "paused" and b == "--clock" for b, a in zip(flags, flags[1:]))
    set_clock_paused(module_endpoint, paused)
    return make_client(module_endpoint)


@pytest.fixture
def gl_raw(module_endpoint, gl):
    """Like `gl` (and after its reset), with parameter_validation=False."""
    return make_client(module_endpoint, parameter_validation=False)


@pytest.fixture(autouse=True)
def _reset(endpoint):
    """Put the emulator back to its fixtures before every test."""
    status, _, body = http("POST", endpoint + "/_emulator/reset", body=b"")
    assert status == 200, f"POST /_emulator/reset answered {status}: {body[:500]!r}"
    set_clock_paused(endpoint, False)  # a test may have paused it


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
