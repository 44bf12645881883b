"""AWS CLI v1 (`python -m awscli gamelift ...`) against the emulator."""

import re

from gl_support import (
    ALIAS_TERMINAL,
    FLEET_EC2,
    REGION,
    TERMINAL_MESSAGE,
    UNKNOWN_FLEET,
    game_session_arn_re,
    make_client,
)


def test_create_game_session_cli_then_describe_shows_session_reaching_active(
    aws_cli, gamelift, wait_for_status
):
    created = aws_cli(
        "create-game-session",
        "--fleet-id", FLEET_EC2,
        "--maximum-player-session-count", "6",
        "--name", "from-cli",
        "--game-properties", "Key=mode,Value=ctf",
    )
    assert created.returncode == 0, created.stderr
    gs = created.json["GameSession"]
    assert re.match(game_session_arn_re(FLEET_EC2), gs["GameSessionId"]), gs
    assert gs["Status"] == "ACTIVATING"
    assert gs["Name"] == "from-cli"
    assert gs["GameProperties"] == [{"Key": "mode", "Value": "ctf"}]
    # The CLI prints the raw epoch-seconds number.
    assert isinstance(gs["CreationTime"], (int, float)), gs["CreationTime"]

    described = aws_cli("describe-game-sessions", "--fleet-id", FLEET_EC2)
    assert described.returncode == 0, described.stderr
    assert [s["GameSessionId"] for s in described.json["GameSessions"]] == [gs["GameSessionId"]]

    wait_for_status(gamelift, gs["GameSessionId"], "ACTIVE")
    active = aws_cli("describe-game-sessions", "--game-session-id", gs["GameSessionId"])
    assert active.returncode == 0, active.stderr
    assert [s["Status"] for s in active.json["GameSessions"]] == ["ACTIVE"]


def test_create_game_session_cli_endpoint_from_env_var_creates_and_describes(aws_cli):
    created = aws_cli(
        "create-game-session",
        "--fleet-id", FLEET_EC2,
        "--maximum-player-session-count", "2",
        "--location", "us-west-2",
        use_env_endpoint=True,
    )
    assert created.returncode == 0, created.stderr
    gs = created.json["GameSession"]
    assert re.match(game_session_arn_re(FLEET_EC2, "us-west-2"), gs["GameSessionId"]), gs

    described = aws_cli(
        "describe-game-sessions", "--fleet-id", FLEET_EC2, "--location", "us-west-2",
        use_env_endpoint=True,
    )
    assert described.returncode == 0, described.stderr
    assert [s["GameSessionId"] for s in described.json["GameSessions"]] == [gs["GameSessionId"]]


def test_create_game_session_cli_unknown_fleet_exits_255_with_not_found(aws_cli):
    proc = aws_cli(
        "create-game-session", "--fleet-id", UNKNOWN_FLEET, "--maximum-player-session-count", "1"
    )
    assert proc.returncode == 255, (proc.returncode, proc.stdout, proc.stderr)
    assert "An error occurred (NotFoundException) when calling the CreateGameSession operation" in proc.stderr, proc.stderr


def test_describe_game_sessions_cli_terminal_alias_exits_255_with_message(aws_cli):
    proc = aws_cli("describe-game-sessions", "--alias-id", ALIAS_TERMINAL)
    assert proc.returncode == 255, (proc.returncode, proc.stdout, proc.stderr)
    assert "An error occurred (TerminalRoutingStrategyException)" in proc.stderr, proc.stderr
    assert TERMINAL_MESSAGE in proc.stderr, proc.stderr


def test_describe_game_sessions_boto3_endpoint_from_env_var_reaches_emulator(endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_GAMELIFT", endpoint)
    client = make_client()
    assert client.meta.endpoint_url == endpoint
    assert client.meta.region_name == REGION
    resp = client.describe_game_sessions(FleetId=FLEET_EC2)
    assert resp["GameSessions"] == []
