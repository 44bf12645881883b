"""GET /metrics: the Prometheus endpoint, parsed with prometheus-client's OpenMetrics parser
after a short boto3 flow on an emulator of this module's own (its counters start at zero)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from gl_support import FLEET_EC2, UNKNOWN_FLEET, advance_clock, free_port, http, poll

# A webhook sink that accepts every event, so the per-sink delivery counts have something to count.
WEBHOOK_PORT = free_port()
EMULATOR_FLAGS = ("--clock", "paused", "--event-webhook", f"http://127.0.0.1:{WEBHOOK_PORT}/events")


class _Accept(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module", autouse=True)
def webhook_receiver():
    server = ThreadingHTTPServer(("127.0.0.1", WEBHOOK_PORT), _Accept)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield
    server.shutdown()


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


def test_metrics_show_matchmaking_tickets_and_event_deliveries_per_sink(gl, module_endpoint):
    rule_set = {
        "ruleLanguageVersion": "1.0",
        "teams": [{"name": "solo", "minPlayers": 2, "maxPlayers": 2}],
    }
    gl.create_matchmaking_rule_set(Name="metrics-rules", RuleSetBody=json.dumps(rule_set))
    gl.create_matchmaking_configuration(
        Name="metrics-cfg", RuleSetName="metrics-rules", RequestTimeoutSeconds=60,
        AcceptanceRequired=False, FlexMatchMode="STANDALONE",
    )
    gl.start_matchmaking(TicketId="metrics-t1", ConfigurationName="metrics-cfg", Players=[{"PlayerId": "p1"}])
    gl.create_game_session_queue(Name="metrics-nowhere")  # no destinations: placements wait
    gl.start_game_session_placement(
        PlacementId="metrics-placement-2", GameSessionQueueName="metrics-nowhere", MaximumPlayerSessionCount=2
    )
    gl.stop_game_session_placement(PlacementId="metrics-placement-2")  # a PlacementCancelled event

    m = scrape(module_endpoint)
    t = "gamelift_emulator_matchmaking_tickets"
    waiting = sum(value(m, t, t, status=s) for s in ("QUEUED", "SEARCHING"))
    assert waiting == 1  # one player of the two a match needs
    assert value(m, t, t, status="COMPLETED") == 0

    ev = "gamelift_emulator_events"
    sink = f"webhook http://127.0.0.1:{WEBHOOK_PORT}/events"

    def delivered():
        families = scrape(module_endpoint)
        return value(families, ev, ev + "_total", sink=sink, outcome="delivered") >= 2 and families

    m = poll("the webhook receiving the events", delivered)
    assert m[ev].type == "counter"
    assert value(m, ev, ev + "_total", sink=sink, outcome="failed") == 0


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
