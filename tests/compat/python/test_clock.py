"""The emulator clock under test control, driven from outside with boto3 against the binary
started with --clock paused: nothing moves until the test advances time, and every transition
that fell due has happened when the advance returns."""

import json

import pytest

from gl_support import FLEET_EC2, advance_clock, clock, http, set_clock_paused

EMULATOR_FLAGS = ("--clock", "paused")


def ms(value):
    """A boto3 datetime or epoch seconds, as integer epoch milliseconds."""
    if hasattr(value, "timestamp"):
        value = value.timestamp()
    return round(value * 1000)


def describe(gl, game_session_id):
    return gl.describe_game_sessions(GameSessionId=game_session_id)["GameSessions"][0]


def test_a_paused_clock_drives_a_session_and_a_player_session_timeout(gl, module_endpoint):
    c0 = clock(module_endpoint)
    assert c0["Paused"] is True

    gs = gl.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=4)["GameSession"]
    assert gs["Status"] == "ACTIVATING"
    assert ms(gs["CreationTime"]) == ms(c0["Now"])
    gs_id = gs["GameSessionId"]

    # Without an advance nothing happens, however long we look.
    for _ in range(3):
        assert describe(gl, gs_id)["Status"] == "ACTIVATING"
    assert clock(module_endpoint) == c0

    c1 = advance_clock(module_endpoint, 1)
    assert ms(c1["Now"]) - ms(c0["Now"]) == 1000
    assert describe(gl, gs_id)["Status"] == "ACTIVE"

    ps = gl.create_player_session(GameSessionId=gs_id, PlayerId="player-1")["PlayerSession"]
    assert ps["Status"] == "RESERVED"
    assert ms(ps["CreationTime"]) == ms(c1["Now"])
    assert describe(gl, gs_id)["CurrentPlayerSessionCount"] == 1

    c2 = advance_clock(module_endpoint, 61)
    assert ms(c2["Now"]) - ms(c1["Now"]) == 61_000
    after = gl.describe_player_sessions(PlayerSessionId=ps["PlayerSessionId"])["PlayerSessions"][0]
    assert after["Status"] == "TIMEDOUT"
    # The timeout fired at its deadline (60 s after creation), not when the advance ended.
    assert ms(after["TerminationTime"]) - ms(ps["CreationTime"]) == 60_000
    assert describe(gl, gs_id)["CurrentPlayerSessionCount"] == 0


def test_pause_and_resume_from_outside(gl, module_endpoint):
    running = set_clock_paused(module_endpoint, False)
    assert running["Paused"] is False
    stopped = set_clock_paused(module_endpoint, True)
    assert stopped["Paused"] is True
    assert stopped["Now"] >= running["Now"]
    assert clock(module_endpoint) == stopped


def test_reset_keeps_the_clock(gl, module_endpoint):
    c = advance_clock(module_endpoint, 12.5)
    status, _, _ = http("POST", module_endpoint + "/_emulator/reset", body=b"")
    assert status == 200
    assert clock(module_endpoint) == c


@pytest.mark.parametrize(
    "body, code, needle",
    [
        (b"{}", "SerializationException", "Seconds"),
        (b'{"Seconds": "soon"}', "SerializationException", "Seconds"),
        (b'{"Seconds": 0}', "InvalidRequestException", "greater than 0"),
        (b'{"Seconds": -3}', "InvalidRequestException", "greater than 0"),
    ],
)
def test_bad_advance_bodies_are_refused_with_a_reason(module_endpoint, gl, body, code, needle):
    before = clock(module_endpoint)
    status, headers, raw = http("POST", module_endpoint + "/_emulator/clock/advance", body=body)
    assert status == 400
    err = json.loads(raw)
    assert err["__type"] == code
    assert needle in err["message"]
    assert clock(module_endpoint) == before
