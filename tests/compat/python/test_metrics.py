"""GET /metrics: the Prometheus endpoint, parsed with prometheus-client's OpenMetrics parser
after a short boto3 flow on an emulator of this module's own (its counters start at zero)."""

import pytest
from botocore.exceptions import ClientError
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from gl_support import FLEET_EC2, UNKNOWN_FLEET, advance_clock, http

EMULATOR_FLAGS = ("--clock", "paused")


def scrape(endpoint):
    status, headers, body = http("GET", endpoint + "/metrics")
    assert status == 200, body[:500]
    assert headers.get("content-type", "").startswith("application/openmetrics-text"), headers
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    return families


def value(families, family, sample, **labels):
    """The value of the one sample of `family` named `sample` whose labels include `labels`."""
    matches = [s for s in families[family].samples if s.name == sample and labels.items() <= s.labels.items()]
    assert len(matches) == 1, (family, sample, labels, families[family].samples)
    return matches[0].value


def test_metrics_count_requests_and_show_the_world(gl, module_endpoint):
    a = gl.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=4)["GameSession"]
    gl.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=4)
    with pytest.raises(ClientError):
        gl.describe_game_sessions(FleetId=UNKNOWN_FLEET)
    advance_clock(module_endpoint, 1)
    gl.create_player_session(GameSessionId=a["GameSessionId"], PlayerId="player-1")
    gl.start_game_session_placement(
        PlacementId="metrics-placement-1", GameSessionQueueName="default-queue", MaximumPlayerSessionCount=2
    )

    m = scrape(module_endpoint)
    req = "gamelift_emulator_requests"
    assert m[req].type == "counter"
    assert value(m, req, req + "_total", operation="CreateGameSession", protocol="json", outcome="ok") == 2
    assert value(m, req, req + "_total", operation="DescribeGameSessions", outcome="NotFoundException") == 1
    assert value(m, req, req + "_total", operation="CreatePlayerSession", outcome="ok") == 1

    lat = "gamelift_emulator_request_duration_seconds"
    assert m[lat].type == "histogram"
    assert value(m, lat, lat + "_count", operation="CreateGameSession") == 2
    assert value(m, lat, lat + "_bucket", operation="CreateGameSession", le="+Inf") == 2
    assert 0 < value(m, lat, lat + "_sum", operation="CreateGameSession") < 5

    gs = "gamelift_emulator_game_sessions"
    assert m[gs].type == "gauge"
    assert value(m, gs, gs, status="ACTIVE") == 2
    assert value(m, gs, gs, status="ACTIVATING") == 1  # the placement's
    ps = "gamelift_emulator_player_sessions"
    assert value(m, ps, ps, status="RESERVED") == 1
    pl = "gamelift_emulator_game_session_placements"
    assert value(m, pl, pl, status="PENDING") == 1  # its game session waits for the clock
    assert value(m, pl, pl, status="FULFILLED") == 0
    procs = "gamelift_emulator_game_server_processes_connected"
    assert value(m, procs, procs) == 0
    timers = "gamelift_emulator_pending_timers"
    assert value(m, timers, timers) >= 1  # at least the player session's reservation timeout


def test_unknown_operation_names_do_not_become_labels(gl, module_endpoint):
    status, _, _ = http(
        "POST",
        module_endpoint + "/",
        body=b"{}",
        headers={"X-Amz-Target": "GameLift.NoSuchThing", "Content-Type": "application/x-amz-json-1.1"},
    )
    assert status == 400
    m = scrape(module_endpoint)
    req = "gamelift_emulator_requests"
    labels = {s.labels["operation"] for s in m[req].samples}
    assert "NoSuchThing" not in labels
    assert value(m, req, req + "_total", operation="unknown", outcome="UnknownOperationException") >= 1


def test_metrics_is_get_only(module_endpoint):
    status, _, _ = http("POST", module_endpoint + "/metrics", body=b"")
    assert status == 405
