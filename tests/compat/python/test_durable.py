"""Durable state (`--data-dir`) seen from boto3: what a client was told survives kill -9 and a clean
stop, timers keep firing after the restart, a damaged or newer data directory stops the start,
`POST /_emulator/reset` empties it, and a game server reconnects to its saved state.

Each test starts its own emulator processes on one port (a restart comes back where clients and
game servers look for it) with a data directory of its own. Lifecycles are moved with the clock
API, never waited for.
"""

import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from gl_support import DEFAULT_BIN, advance_clock, clock, free_port, http, make_client, wait_until_answering
from test_game_server_loop import FakeGameServer

FLEET = "fleet-00000000-0000-4000-8000-000000000001"
FLEET_TINY = "fleet-00000000-0000-4000-8000-000000000004"
FLEET_ANYWHERE = "fleet-00000000-0000-4000-8000-000000000005"
JOURNAL = "journal.sqlite3"
START_DEADLINE_S = 10.0


class Emulator:
    """One emulator process on a fixed port with `--data-dir`."""

    def __init__(self, port, data_dir, *flags):
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.TemporaryFile()
        binary = os.environ.get("GAMELIFT_EMULATOR_BIN", str(DEFAULT_BIN))
        env = {k: v for k, v in os.environ.items() if not k.startswith("GAMELIFT_EMULATOR_")}
        self.proc = subprocess.Popen(
            [binary, "--bind", f"127.0.0.1:{port}", "--data-dir", str(data_dir), "--log-level", "warn", *flags],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def wait_healthy(self):
        wait_until_answering(
            self.proc, self.url + "/_emulator/health", "emulator", START_DEADLINE_S, self.output, interval=0.02
        )
        return self

    def client(self):
        return make_client(self.url)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def terminate(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.kill()
        self.log.close()


@pytest.fixture
def launch(tmp_path):
    """Starts emulators on one port with the test's data directory; stops them at the end."""
    port = free_port()
    started = []

    def start(*flags, wait=True):
        em = Emulator(port, tmp_path / "data", *flags)
        started.append(em)
        return em.wait_healthy() if wait else em

    start.data_dir = tmp_path / "data"
    yield start
    for em in started:
        em.stop()


def without_metadata(response):
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def failed_start(em):
    """Waits for an emulator that must refuse to start; returns its exit code and output."""
    try:
        code = em.proc.wait(timeout=START_DEADLINE_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the emulator started although it should have refused:\n{em.output()}")
    return code, em.output()


# Zero delays: what a call creates is in its final state when the call returns, so a read right
# after it is what must come back. The fixture fleet FLEET_TINY keeps its own 1 s activation delay.
LOAD_FLAGS = (
    "--clock", "paused",
    "--game-session-activation-delay", "0s",
    "--fleet-activation-delay", "0s",
    "--instance-activation-delay", "0s",
    "--player-session-timeout", "60s",
)


def test_every_acknowledged_change_survives_sigkill_under_load(launch):
    em = launch(*LOAD_FLAGS)
    gl = em.client()
    activating = gl.create_game_session(FleetId=FLEET_TINY, MaximumPlayerSessionCount=2)["GameSession"]
    assert activating["Status"] == "ACTIVATING"
    host = gl.create_game_session(FleetId=FLEET, MaximumPlayerSessionCount=8)["GameSession"]
    reserved = gl.create_player_session(GameSessionId=host["GameSessionId"], PlayerId="early")["PlayerSession"]
    assert reserved["Status"] == "RESERVED"
    build = gl.create_build(
        Name="durable", OperatingSystem="AMAZON_LINUX_2023",
        StorageLocation={"Bucket": "bkt", "Key": "server.zip", "RoleArn": "arn:aws:iam::123456789012:role/r"},
    )["Build"]

    seen = []  # (kind, describe-call kwargs, what the describe answered), for calls that returned
    stop = threading.Event()
    errors = []

    def load():
        client = em.client()
        i = 0
        try:
            while not stop.is_set():
                i += 1
                fleet = client.create_fleet(
                    Name=f"load-{i}", BuildId=build["BuildId"], EC2InstanceType="c5.large",
                    RuntimeConfiguration={"ServerProcesses": [{"LaunchPath": "/local/game/server", "ConcurrentExecutions": 4}]},
                )["FleetAttributes"]
                fid = fleet["FleetId"]
                seen.append(("fleet", fid, client.describe_fleet_attributes(FleetIds=[fid])["FleetAttributes"][0]))
                client.tag_resource(ResourceARN=fleet["FleetArn"], Tags=[{"Key": "i", "Value": str(i)}])
                seen.append(("tags", fleet["FleetArn"], without_metadata(client.list_tags_for_resource(ResourceARN=fleet["FleetArn"]))))
                gs = client.create_game_session(FleetId=fid, MaximumPlayerSessionCount=4, Name=f"gs-{i}")["GameSession"]
                gsid = gs["GameSessionId"]
                ps = client.create_player_session(GameSessionId=gsid, PlayerId=f"player-{i}")["PlayerSession"]
                seen.append(("game session", gsid, client.describe_game_sessions(GameSessionId=gsid)["GameSessions"][0]))
                seen.append(("player session", ps["PlayerSessionId"],
                             client.describe_player_sessions(PlayerSessionId=ps["PlayerSessionId"])["PlayerSessions"][0]))
        except Exception as e:  # the kill cuts the call in flight
            errors.append(e)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    deadline = time.monotonic() + 10
    while len(seen) < 40 and time.monotonic() < deadline and worker.is_alive():
        time.sleep(0.01)
    assert len(seen) >= 40, f"the load made too little progress: {errors}"
    em.kill()
    stop.set()
    worker.join(timeout=10)

    em = launch(*LOAD_FLAGS)
    gl = em.client()
    for kind, key, before in seen:
        if kind == "fleet":
            after = gl.describe_fleet_attributes(FleetIds=[key])["FleetAttributes"][0]
        elif kind == "tags":
            after = without_metadata(gl.list_tags_for_resource(ResourceARN=key))
        elif kind == "game session":
            after = gl.describe_game_sessions(GameSessionId=key)["GameSessions"][0]
        else:
            after = gl.describe_player_sessions(PlayerSessionId=key)["PlayerSessions"][0]
        assert after == before, f"{kind} {key} changed across the kill"

    # Timers armed before the kill still fire, against the emulator clock.
    ps = gl.describe_player_sessions(PlayerSessionId=reserved["PlayerSessionId"])["PlayerSessions"][0]
    assert ps["Status"] == "RESERVED"
    gs = gl.describe_game_sessions(GameSessionId=activating["GameSessionId"])["GameSessions"][0]
    assert gs["Status"] == "ACTIVATING"
    advance_clock(em.url, 61)
    ps = gl.describe_player_sessions(PlayerSessionId=reserved["PlayerSessionId"])["PlayerSessions"][0]
    assert ps["Status"] == "TIMEDOUT"
    gs = gl.describe_game_sessions(GameSessionId=activating["GameSessionId"])["GameSessions"][0]
    assert gs["Status"] == "ACTIVE"


def test_a_clean_stop_keeps_state_and_the_clock(launch):
    em = launch("--clock", "paused")
    gl = em.client()
    advance_clock(em.url, 2 * 86_400)
    gs = gl.create_game_session(FleetId=FLEET, MaximumPlayerSessionCount=4, Name="after-two-days")["GameSession"]
    before = clock(em.url)
    assert before["Paused"] is True
    assert em.terminate() == 0

    em = launch("--clock", "paused")
    assert clock(em.url) == before, "a paused clock comes back exactly where it stood"
    again = em.client().describe_game_sessions(GameSessionId=gs["GameSessionId"])["GameSessions"][0]
    assert again["CreationTime"] == gs["CreationTime"] and again["Name"] == "after-two-days"

    # A running clock comes back at wall time plus what was advanced (two days).
    status, _, body = http("POST", em.url + "/_emulator/clock/resume", body=b"")
    assert status == 200, body
    assert em.terminate() == 0
    em = launch("--clock", "paused")
    now = clock(em.url)
    assert now["Paused"] is False
    assert abs(now["Now"] - (time.time() + 2 * 86_400)) < 30, now


def test_a_corrupt_data_dir_stops_the_start_with_a_message(launch):
    data = launch.data_dir
    data.mkdir(parents=True)
    (data / JOURNAL).write_bytes(b"definitely not SQLite" * 500)
    code, output = failed_start(launch(wait=False))
    assert code != 0
    assert str(data / JOURNAL) in output and "move it away" in output, output


def test_a_journal_from_a_newer_version_stops_the_start(launch):
    em = launch()
    assert em.terminate() == 0
    with sqlite3.connect(launch.data_dir / JOURNAL) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    code, output = failed_start(launch(wait=False))
    assert code != 0
    assert str(launch.data_dir / JOURNAL) in output and "newer" in output, output


def test_other_settings_stop_the_start(launch):
    em = launch("--player-session-timeout", "60s")
    assert em.terminate() == 0
    code, output = failed_start(launch("--player-session-timeout", "30s", wait=False))
    assert code != 0 and "same flags" in output, output


def test_reset_empties_the_data_dir(launch):
    em = launch("--clock", "paused")
    gl = em.client()
    gone = gl.create_game_session(FleetId=FLEET, MaximumPlayerSessionCount=4)["GameSession"]
    status, _, body = http("POST", em.url + "/_emulator/reset", body=b"")
    assert status == 200, body
    kept = gl.create_alias(Name="after-reset", RoutingStrategy={"Type": "SIMPLE", "FleetId": FLEET})["Alias"]
    em.kill()

    em = launch("--clock", "paused")
    gl = em.client()
    assert gl.describe_game_sessions(FleetId=FLEET)["GameSessions"] == []
    with pytest.raises(gl.exceptions.NotFoundException):
        gl.describe_game_sessions(GameSessionId=gone["GameSessionId"])
    names = sorted(a["Name"] for a in gl.list_aliases()["Aliases"])
    assert "after-reset" in names and len(names) == 3, names  # the two fixture aliases and the new one
    assert gl.describe_alias(AliasId=kept["AliasId"])["Alias"] == kept


def test_a_game_server_reconnects_to_its_saved_state(launch):
    em = launch("--clock", "paused")
    gl = em.client()
    env = {
        "GAMELIFT_SDK_WEBSOCKET_URL": em.url.replace("http://", "ws://"),
        "GAMELIFT_SDK_FLEET_ID": FLEET_ANYWHERE,
        "GAMELIFT_SDK_HOST_ID": "local-compute",
        "GAMELIFT_SDK_PROCESS_ID": "durable-process",
        "GAMELIFT_SDK_AUTH_TOKEN": "local-auth-token",
        "FAKE_GAME_SERVER_PORT": "7801",
    }
    first = FakeGameServer(env)
    try:
        first.expect("ready")
        gs = gl.create_game_session(FleetId=FLEET_ANYWHERE, Location="custom-local", MaximumPlayerSessionCount=2)["GameSession"]
        assert first.expect("push", "CreateGameSession")["GameSessionId"] == gs["GameSessionId"]
        assert first.command(f"activate {gs['GameSessionId']}")["StatusCode"] == 200
        ps = gl.create_player_session(GameSessionId=gs["GameSessionId"], PlayerId="p1")["PlayerSession"]
        em.kill()
    finally:
        first.stop()

    em = launch("--clock", "paused")
    gl = em.client()
    assert gl.describe_game_sessions(GameSessionId=gs["GameSessionId"])["GameSessions"][0]["Status"] == "ACTIVE"
    second = FakeGameServer(env)  # the same pID, as an SDK reconnecting
    try:
        second.expect("ready")
        # The game session is still this process's: it may accept the player into it.
        assert second.command(f"accept {gs['GameSessionId']} {ps['PlayerSessionId']}")["StatusCode"] == 200
    finally:
        second.stop()
    after = gl.describe_player_sessions(PlayerSessionId=ps["PlayerSessionId"])["PlayerSessions"][0]
    assert after["Status"] == "ACTIVE"
    gs_after = gl.describe_game_sessions(GameSessionId=gs["GameSessionId"])["GameSessions"][0]
    assert gs_after["Status"] == "ACTIVE" and gs_after["Port"] == 7801
