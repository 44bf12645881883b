"""The Server SDK 5 loop with boto3 as the backend.

A game-server process (tests/compat/rust/src/bin/fake-game-server.rs: it speaks the SDK's side
of the WebSocket protocol as the real Go SDK does, and is scripted through stdin/stdout) connects
to the emulator; boto3 plays the lobby service. Every step of the issue's loop is checked:
CreateLocation → CreateFleet(ANYWHERE) → RegisterCompute → GetComputeAuthToken → the process
connects and calls ProcessReady → CreateGameSession (Location set) → the process receives the
push → ACTIVATING until the process activates it → ACTIVE → CreatePlayerSession → the process
accepts it → ACTIVE → RemovePlayerSession → COMPLETED → TerminateGameSession
(TRIGGER_ON_PROCESS_TERMINATE) → the process gets TerminateProcess → ProcessEnding → TERMINATED.
"""

import json
import os
import queue
import subprocess
import threading

import pytest

from gl_support import REPO_ROOT, assert_service_error, poll, wait_for_status

FAKE_SERVER = REPO_ROOT / "target" / "debug" / "fake-game-server"


class FakeGameServer:
    """The fake-game-server process: send commands, read its events."""

    def __init__(self, env):
        if not FAKE_SERVER.is_file():
            pytest.fail(f"{FAKE_SERVER} not built (cargo build -p gamelift-emulator-compat --bin fake-game-server)")
        self.proc = subprocess.Popen(
            [str(FAKE_SERVER)],
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.events.put(json.loads(line))
        self.events.put({"event": "exited"})

    def next_event(self, timeout=10):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no event from the game server within {timeout} s; stderr: {self.proc.stderr.read()}")

    def expect(self, event, action=None):
        e = self.next_event()
        assert e["event"] == event, e
        if action:
            assert e["message"]["Action"] == action, e
            assert e["message"]["StatusCode"] == 200, e
        return e.get("message")

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.expect("reply")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def anywhere(gamelift, endpoint):
    gamelift.create_location(LocationName="custom-boto3")
    fleet = gamelift.create_fleet(
        Name="anywhere-boto3",
        ComputeType="ANYWHERE",
        Locations=[{"Location": "custom-boto3"}],
        RuntimeConfiguration={"ServerProcesses": [{"LaunchPath": "/local/game/server", "ConcurrentExecutions": 1}]},
    )["FleetAttributes"]
    assert fleet["Status"] == "ACTIVE"
    compute = gamelift.register_compute(
        FleetId=fleet["FleetId"], ComputeName="boto3-compute", IpAddress="127.0.0.1", Location="custom-boto3"
    )["Compute"]
    assert compute["GameLiftServiceSdkEndpoint"] == endpoint.replace("http://", "ws://")
    token = gamelift.get_compute_auth_token(FleetId=fleet["FleetId"], ComputeName="boto3-compute")
    server = FakeGameServer(
        {
            "GAMELIFT_SDK_WEBSOCKET_URL": compute["GameLiftServiceSdkEndpoint"],
            "GAMELIFT_SDK_FLEET_ID": fleet["FleetId"],
            "GAMELIFT_SDK_HOST_ID": "boto3-compute",
            "GAMELIFT_SDK_PROCESS_ID": "boto3-process-1",
            "GAMELIFT_SDK_AUTH_TOKEN": token["AuthToken"],
            "FAKE_GAME_SERVER_PORT": "7790",
        }
    )
    server.expect("ready")
    yield fleet["FleetId"], server
    server.stop()


def test_game_server_process_drives_the_game_session_lifecycle(gamelift, anywhere):
    fleet_id, server = anywhere
    gs = gamelift.create_game_session(
        FleetId=fleet_id,
        Location="custom-boto3",
        MaximumPlayerSessionCount=4,
        Name="boto3-match",
        GameProperties=[{"Key": "map", "Value": "dust"}],
    )["GameSession"]
    assert gs["Status"] == "ACTIVATING"
    assert gs["Port"] == 7790 and gs["IpAddress"] == "127.0.0.1"
    push = server.expect("push", "CreateGameSession")
    assert push["GameSessionId"] == gs["GameSessionId"]
    assert push["GameProperties"] == {"map": "dust"}
    assert push["GameSessionName"] == "boto3-match"
    # Stays ACTIVATING until the process says so.
    assert gamelift.describe_game_sessions(GameSessionId=gs["GameSessionId"])["GameSessions"][0]["Status"] == "ACTIVATING"
    assert server.command(f"activate {gs['GameSessionId']}")["StatusCode"] == 200
    active = wait_for_status(gamelift, gs["GameSessionId"], "ACTIVE")
    assert active["ComputeName"] == "boto3-compute"

    ps = gamelift.create_player_session(GameSessionId=gs["GameSessionId"], PlayerId="player-1")["PlayerSession"]
    assert ps["Status"] == "RESERVED"
    assert server.command(f"accept {gs['GameSessionId']} {ps['PlayerSessionId']}")["StatusCode"] == 200
    assert gamelift.describe_player_sessions(PlayerSessionId=ps["PlayerSessionId"])["PlayerSessions"][0]["Status"] == "ACTIVE"
    assert server.command(f"remove {gs['GameSessionId']} {ps['PlayerSessionId']}")["StatusCode"] == 200
    assert gamelift.describe_player_sessions(PlayerSessionId=ps["PlayerSessionId"])["PlayerSessions"][0]["Status"] == "COMPLETED"

    ending = gamelift.terminate_game_session(GameSessionId=gs["GameSessionId"], TerminationMode="TRIGGER_ON_PROCESS_TERMINATE")
    assert ending["GameSession"]["Status"] == "TERMINATING"
    terminate = server.expect("push", "TerminateProcess")
    assert isinstance(terminate["TerminationTime"], int)
    server.proc.stdin.write("ending\n")
    server.proc.stdin.flush()
    server.expect("ended")
    final = wait_for_status(gamelift, gs["GameSessionId"], "TERMINATED")
    assert final["StatusReason"] == "TRIGGERED_ON_PROCESS_TERMINATE"
    # The process is gone: nothing can host a new session in that location.
    with pytest.raises(gamelift.exceptions.FleetCapacityExceededException) as e:
        gamelift.create_game_session(FleetId=fleet_id, Location="custom-boto3", MaximumPlayerSessionCount=1)
    assert_service_error(e, "FleetCapacityExceededException")


def test_force_terminate_on_anywhere_fleet_is_refused(gamelift, anywhere):
    fleet_id, server = anywhere
    gs = gamelift.create_game_session(FleetId=fleet_id, Location="custom-boto3", MaximumPlayerSessionCount=2)["GameSession"]
    server.expect("push", "CreateGameSession")
    with pytest.raises(gamelift.exceptions.InvalidRequestException) as e:
        gamelift.terminate_game_session(GameSessionId=gs["GameSessionId"], TerminationMode="FORCE_TERMINATE")
    assert_service_error(e, "InvalidRequestException")
    poll("nothing changed", lambda: gamelift.describe_game_sessions(GameSessionId=gs["GameSessionId"])["GameSessions"][0]["Status"] == "ACTIVATING")
