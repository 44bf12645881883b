"""FlexMatch end to end with boto3, the fake game server and moto_server, against the binary:

- WITH_QUEUE onto the fixtures' Anywhere fleet: the game server receives onStartGameSession with
  MatchmakerData in AWS's shape, activates, and the tickets complete with their connection info
  and a player session per matched player; then a backfill asked for by the game server (Server
  SDK StartMatchBackfill) and one asked for by the client (StartMatchBackfill) each add a player,
  the server receiving UpdateGameSession (MATCHMAKING_DATA_UPDATED) with the new MatchmakerData;
- the matchmaking events of these flows (and of acceptance, cancellation and timeout) reach an SQS
  queue subscribed to the configuration's NotificationTarget topic on moto_server, in AWS's
  envelope, and the same events are in `/_emulator/events`;
- BackfillMode AUTOMATIC: the emulator backfills the open slots of an active game session by
  itself.

The emulator's clock is paused: nothing moves unless a request or the test moves it.
"""

import json
import re
from types import SimpleNamespace

import pytest

from gl_support import (
    ACCOUNT,
    FLEET_ANYWHERE,
    REGION,
    UUID_RE,
    advance_clock,
    http,
    make_client,
    poll,
    running_emulator,
    set_clock_paused,
    sns_to_sqs,
)
from test_game_server_loop import FakeGameServer

ANYWHERE_QUEUE = f"arn:aws:gamelift:{REGION}:{ACCOUNT}:gamesessionqueue/default-anywhere-queue"
CONFIG_ARN = f"arn:aws:gamelift:{REGION}:{ACCOUNT}:matchmakingconfiguration/"
ISO_MILLIS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"

# Two teams of two to three, every attribute type, one skill rule.
RULE_SET = {
    "name": "ctf-3v3",
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [
        {"name": "skill", "type": "number", "default": 10},
        {"name": "mode", "type": "string", "default": "ctf"},
        {"name": "gear", "type": "string_list"},
        {"name": "elo", "type": "string_number_map", "default": {"solo": 1000}},
    ],
    "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 3}, {"name": "blue", "minPlayers": 2, "maxPlayers": 3}],
    "rules": [{"name": "SimilarSkill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 10}],
}

ATTR_KEYS = {"STRING": "S", "DOUBLE": "N", "STRING_LIST": "SL", "STRING_DOUBLE_MAP": "SDM"}


@pytest.fixture(scope="module")
def stack(moto_endpoint):
    """moto_server with an SNS topic fanned out to an SQS queue, and an emulator (clock paused)
    publishing to it."""
    sqs, topic, queue_url = sns_to_sqs(moto_endpoint, "matchmaking-events")
    flags = ("--clock", "paused", "--matchmaking-seed", "7", "--sns-endpoint", moto_endpoint)
    with running_emulator(*flags) as endpoint:
        yield SimpleNamespace(endpoint=endpoint, sqs=sqs, queue_url=queue_url, topic=topic, received=[])


@pytest.fixture
def gl(stack):
    status, _, body = http("POST", stack.endpoint + "/_emulator/reset", body=b"")
    assert status == 200, body[:500]
    set_clock_paused(stack.endpoint, True)
    client = make_client(stack.endpoint)
    client.create_matchmaking_rule_set(Name="ctf-3v3", RuleSetBody=json.dumps(RULE_SET))
    return client


@pytest.fixture
def game_server(stack):
    servers = []

    def start(pid, port):
        server = FakeGameServer({
            "GAMELIFT_SDK_WEBSOCKET_URL": stack.endpoint.replace("http://", "ws://"),
            "GAMELIFT_SDK_FLEET_ID": FLEET_ANYWHERE,
            "GAMELIFT_SDK_HOST_ID": "local-compute",
            "GAMELIFT_SDK_PROCESS_ID": pid,
            "GAMELIFT_SDK_AUTH_TOKEN": "local-auth-token",
            "FAKE_GAME_SERVER_PORT": str(port),
        })
        servers.append(server)
        server.expect("ready")
        return server

    yield start
    for s in servers:
        s.stop()


def player(pid, skill, gear, **extra):
    attrs = {"skill": {"N": skill}, "gear": {"SL": gear}}
    attrs.update(extra)
    return {"PlayerId": pid, "PlayerAttributes": attrs, "LatencyInMs": {"custom-local": 15}}


def start(gl, config, ticket, *players):
    return gl.start_matchmaking(TicketId=ticket, ConfigurationName=config, Players=list(players))["MatchmakingTicket"]


def describe(gl, *ids):
    return gl.describe_matchmaking(TicketIds=list(ids))["TicketList"]


def logged(stack, config):
    """The matchmaking events of `config` in `/_emulator/events`, oldest first."""
    status, _, body = http("GET", f"{stack.endpoint}/_emulator/events?after=0&wait=0")
    assert status == 200, body
    return [e for e in json.loads(body)["Events"] if e["Event"]["resources"] == [CONFIG_ARN + config]]


def through_sqs(stack, config, count):
    """The envelopes of `config` that reached the SQS queue through SNS, once `count` have."""

    def receive():
        got = stack.sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in got.get("Messages", []):
            notification = json.loads(m["Body"])
            assert notification["Type"] == "Notification" and notification["TopicArn"] == stack.topic
            stack.received.append(json.loads(notification["Message"]))
            stack.sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=m["ReceiptHandle"])
        mine = [e for e in stack.received if e["resources"] == [CONFIG_ARN + config]]
        return mine if len(mine) >= count else None

    return poll(f"{count} events of {config} in SQS", receive, timeout=30)


def events_both_ways(stack, config):
    """The events of `config`: from the log, checked to be exactly those that reached SQS
    (same envelopes, addressed to the topic); returns the envelopes in log order."""
    log = logged(stack, config)
    by_sqs = {e["id"]: e for e in through_sqs(stack, config, len(log))}
    assert len(by_sqs) == len(log), (len(by_sqs), len(log))
    for entry in log:
        assert entry["NotificationTarget"] == stack.topic
        assert by_sqs[entry["Event"]["id"]] == entry["Event"]
    envelopes = [entry["Event"] for entry in log]
    for e in envelopes:
        assert set(e) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
        assert e["version"] == "0" and re.fullmatch(UUID_RE, e["id"])
        assert re.fullmatch(ISO_MILLIS, e["time"]), e["time"]
        assert all(re.fullmatch(ISO_MILLIS, t["startTime"]) for t in e["detail"]["tickets"])
        assert e["detail-type"] == "GameLift Matchmaking Event"
        assert (e["source"], e["account"], e["region"]) == ("aws.gamelift", ACCOUNT, REGION)
        assert e["resources"] == [CONFIG_ARN + config]
    return envelopes


def kinds(envelopes):
    return [e["detail"]["type"] for e in envelopes]


def ticket_ids(envelope):
    return sorted(t["ticketId"] for t in envelope["detail"]["tickets"])


def sdk_players(data):
    """MatchmakerData's players as the Server SDK's StartMatchBackfill lists them."""
    out = []
    for team in data["teams"]:
        for p in team["players"]:
            attrs = {name: {"AttrType": a["attributeType"], ATTR_KEYS[a["attributeType"]]: a["valueAttribute"]}
                     for name, a in p["attributes"].items()}
            out.append({"PlayerId": p["playerId"], "Team": team["name"], "PlayerAttributes": attrs})
    return out


def api_players(data):
    """MatchmakerData's players as the client API's StartMatchBackfill lists them."""
    return [{"PlayerId": p["PlayerId"], "Team": p["Team"],
             "PlayerAttributes": {k: {ATTR_KEYS[v["AttrType"]]: v[ATTR_KEYS[v["AttrType"]]]}
                                  for k, v in p["PlayerAttributes"].items()}}
            for p in sdk_players(data)]


def by_team(data):
    return {t["name"]: sorted(p["playerId"] for p in t["players"]) for t in data["teams"]}


def attribute_doc(skill, gear, elo=None, mode="ctf"):
    return {
        "skill": {"attributeType": "DOUBLE", "valueAttribute": skill},
        "mode": {"attributeType": "STRING", "valueAttribute": mode},
        "gear": {"attributeType": "STRING_LIST", "valueAttribute": gear},
        "elo": {"attributeType": "STRING_DOUBLE_MAP", "valueAttribute": elo or {"solo": 1000.0}},
    }


def test_with_queue_onto_anywhere_the_game_server_gets_matchmaker_data_and_backfills_add_players(gl, stack, game_server):
    config = gl.create_matchmaking_configuration(
        Name="ctf-queue", RuleSetName="ctf-3v3", FlexMatchMode="WITH_QUEUE", GameSessionQueueArns=[ANYWHERE_QUEUE],
        RequestTimeoutSeconds=60, AcceptanceRequired=False, BackfillMode="MANUAL",
        GameProperties=[{"Key": "map", "Value": "dust"}], GameSessionData="mode=ctf;rounds=3",
        NotificationTarget=stack.topic, CustomEventData="lobby=7",
    )["Configuration"]
    server = game_server("mm-queue-process", 7801)

    # A party of two and two solo players: two teams of two.
    assert start(gl, "ctf-queue", "party", player("alice", 20, ["sword", "shield"], elo={"SDM": {"solo": 1200.5}}),
                 player("bob", 24, ["bow"]))["Status"] == "QUEUED"
    start(gl, "ctf-queue", "carol", player("carol", 22, ["staff"]))
    start(gl, "ctf-queue", "dave", player("dave", 26, ["axe"]))
    placing = describe(gl, "party", "carol", "dave")
    assert [t["Status"] for t in placing] == ["PLACING"] * 3
    teams = {p["PlayerId"]: p["Team"] for t in placing for p in t["Players"]}
    assert teams["alice"] == teams["bob"], "a party plays on one team"
    assert {teams["carol"], teams["dave"]} == {"red", "blue"} - {teams["alice"]}

    # onStartGameSession: the configuration's game properties and data, and MatchmakerData.
    push = server.expect("push", "CreateGameSession")
    gs = push["GameSessionId"]
    assert push["GameProperties"] == {"map": "dust"}
    assert push["GameSessionData"] == "mode=ctf;rounds=3"
    assert push["MaximumPlayerSessionCount"] == 6
    raw = push["MatchmakerData"]
    data = json.loads(raw)
    assert list(data) == ["matchId", "matchmakingConfigurationArn", "teams", "autoBackfillMode", "autoBackfillTicketId"]
    assert data["matchmakingConfigurationArn"] == config["ConfigurationArn"]
    assert (data["autoBackfillMode"], data["autoBackfillTicketId"]) == ("MANUAL", None)
    assert [t["name"] for t in data["teams"]] == ["red", "blue"]
    expected = {
        "alice": attribute_doc(20.0, ["sword", "shield"], {"solo": 1200.5}),
        "bob": attribute_doc(24.0, ["bow"]),
        "carol": attribute_doc(22.0, ["staff"]),
        "dave": attribute_doc(26.0, ["axe"]),
    }
    for team in data["teams"]:
        for p in team["players"]:
            assert list(p) == ["playerId", "attributes"], p
            assert teams[p["playerId"]] == team["name"]
            assert list(p["attributes"]) == ["skill", "mode", "gear", "elo"], "declaration order, defaults applied"
            assert p["attributes"] == expected[p["playerId"]]
    assert sorted(p["playerId"] for t in data["teams"] for p in t["players"]) == ["alice", "bob", "carol", "dave"]
    assert '"valueAttribute":20.0' in raw and '"elo":{"attributeType":"STRING_DOUBLE_MAP","valueAttribute":{"solo":1000.0}}' in raw
    assert "latency" not in raw.lower()

    # The server activates: every ticket COMPLETED, a player session per matched player.
    assert server.command(f"activate {gs}")["StatusCode"] == 200
    done = describe(gl, "party", "carol", "dave")
    sessions = {s["PlayerId"]: s for s in gl.describe_player_sessions(GameSessionId=gs)["PlayerSessions"]}
    assert sorted(sessions) == ["alice", "bob", "carol", "dave"]
    assert {s["Status"] for s in sessions.values()} == {"RESERVED"}
    for t in done:
        assert t["Status"] == "COMPLETED", t
        info = t["GameSessionConnectionInfo"]
        assert (info["GameSessionArn"], info["IpAddress"], info["Port"]) == (gs, "127.0.0.1", 7801)
        assert info["MatchedPlayerSessions"] == [
            {"PlayerId": p["PlayerId"], "PlayerSessionId": sessions[p["PlayerId"]]["PlayerSessionId"]} for p in t["Players"]
        ]
        assert isinstance(t["EstimatedWaitTime"], int)
    session = gl.describe_game_sessions(GameSessionId=gs)["GameSessions"][0]
    assert (session["Status"], session["MatchmakerData"], session["CurrentPlayerSessionCount"]) == ("ACTIVE", raw, 4)
    assert session["GameProperties"] == [{"Key": "map", "Value": "dust"}]
    assert session["GameSessionData"] == "mode=ctf;rounds=3"

    # The game server asks for a fifth player (Server SDK StartMatchBackfill); erin comes.
    members = {"GameSessionArn": gs, "MatchmakingConfigurationArn": config["ConfigurationArn"],
               "TicketId": "bf-server", "Players": sdk_players(data)}
    reply = server.command("call StartMatchBackfill " + json.dumps(members))
    assert (reply["StatusCode"], reply["TicketId"]) == (200, "bf-server")
    assert describe(gl, "bf-server")[0]["Status"] == "SEARCHING"
    start(gl, "ctf-queue", "erin", player("erin", 23, ["spear"]))
    update = server.expect("push", "UpdateGameSession")
    assert (update["UpdateReason"], update["BackfillTicketId"]) == ("MATCHMAKING_DATA_UPDATED", "bf-server")
    data2 = json.loads(update["GameSession"]["MatchmakerData"])
    assert list(data2) == list(data)
    erin = describe(gl, "erin")[0]
    assert erin["Status"] == "COMPLETED"
    assert by_team(data2)[erin["Players"][0]["Team"]] == sorted(by_team(data)[erin["Players"][0]["Team"]] + ["erin"])
    erin_session = gl.describe_player_sessions(GameSessionId=gs, PlayerId="erin")["PlayerSessions"][0]
    assert erin["GameSessionConnectionInfo"]["MatchedPlayerSessions"] == [
        {"PlayerId": "erin", "PlayerSessionId": erin_session["PlayerSessionId"]}]
    bf = describe(gl, "bf-server")[0]
    assert bf["Status"] == "COMPLETED"
    assert {m["PlayerId"]: m.get("PlayerSessionId") for m in bf["GameSessionConnectionInfo"]["MatchedPlayerSessions"]} == {
        pid: s["PlayerSessionId"] for pid, s in sessions.items()}, "the players already in the game, with their sessions"

    # The client asks for a sixth (StartMatchBackfill); frank fills the game.
    backfill = gl.start_match_backfill(TicketId="bf-client", ConfigurationName="ctf-queue", GameSessionArn=gs,
                                       Players=api_players(data2))["MatchmakingTicket"]
    assert backfill["Status"] == "QUEUED"
    start(gl, "ctf-queue", "frank", player("frank", 21, ["bow"]))
    update = server.expect("push", "UpdateGameSession")
    assert (update["UpdateReason"], update["BackfillTicketId"]) == ("MATCHMAKING_DATA_UPDATED", "bf-client")
    data3 = json.loads(update["GameSession"]["MatchmakerData"])
    assert sorted(sum(by_team(data3).values(), [])) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert [len(v) for v in by_team(data3).values()] == [3, 3]
    assert gl.describe_game_sessions(GameSessionId=gs)["GameSessions"][0]["CurrentPlayerSessionCount"] == 6
    final = describe(gl, "party", "carol", "dave", "bf-server", "erin", "bf-client", "frank")
    assert [t["Status"] for t in final] == ["COMPLETED"] * 7

    # The events, through SNS → SQS and in the log alike.
    events = events_both_ways(stack, "ctf-queue")
    assert kinds(events) == [
        "MatchmakingSearching", "MatchmakingSearching", "MatchmakingSearching", "PotentialMatchCreated",
        "MatchmakingSucceeded",
        "MatchmakingSearching", "MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded",
        "MatchmakingSearching", "MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded",
    ]
    assert [ticket_ids(events[i]) for i in (0, 1, 2)] == [["party"], ["carol"], ["dave"]]
    assert all(e["detail"]["customEventData"] == "lobby=7" for e in events)
    potential, succeeded = events[3]["detail"], events[4]["detail"]
    assert potential["matchId"] == succeeded["matchId"] == data["matchId"]
    assert ticket_ids(events[3]) == ticket_ids(events[4]) == ["carol", "dave", "party"]
    assert potential["ruleEvaluationMetrics"] == [{"ruleName": "SimilarSkill", "passedCount": 3, "failedCount": 0}]
    info = succeeded["gameSessionInfo"]
    assert (info["gameSessionArn"], info["ipAddress"], info["port"]) == (gs, "127.0.0.1", 7801)
    assert sorted((p["playerId"], p["playerSessionId"]) for p in info["players"]) == sorted(
        (pid, s["PlayerSessionId"]) for pid, s in sessions.items())
    assert ticket_ids(events[8]) == ["bf-server", "erin"]
    assert ticket_ids(events[12]) == ["bf-client", "frank"]
    # For the record (pytest -s): what the closing note of issue 11 shows.
    print(json.dumps({"ruleSet": RULE_SET, "tickets": final, "matchmakerData": data,
                      "matchmakerDataAfterBackfills": data3, "events": events}, default=str, indent=1))


def test_acceptance_cancellation_and_timeout_events_reach_sqs_through_sns(gl, stack):
    gl.create_matchmaking_configuration(
        Name="ctf-accept", RuleSetName="ctf-3v3", FlexMatchMode="STANDALONE", RequestTimeoutSeconds=30,
        AcceptanceRequired=True, AcceptanceTimeoutSeconds=10, NotificationTarget=stack.topic, CustomEventData="lobby=9",
    )
    for i, skill in enumerate([20, 22, 24, 26], start=1):
        start(gl, "ctf-accept", f"a{i}", player(f"pa{i}", skill, ["bow"]))
    assert [t["Status"] for t in describe(gl, "a1", "a2", "a3", "a4")] == ["REQUIRES_ACCEPTANCE"] * 4
    for i in range(1, 5):
        gl.accept_match(TicketId=f"a{i}", PlayerIds=[f"pa{i}"], AcceptanceType="ACCEPT")
    assert [t["Status"] for t in describe(gl, "a1", "a2", "a3", "a4")] == ["COMPLETED"] * 4
    stopped = start(gl, "ctf-accept", "stop-me", player("ps", 50, ["bow"]))
    assert stopped["EstimatedWaitTime"] == 0, "four tickets completed without waiting: the estimate is 0 s"
    gl.stop_matchmaking(TicketId="stop-me")
    start(gl, "ctf-accept", "too-late", player("pl", 90, ["bow"]))
    advance_clock(stack.endpoint, 30)
    assert [t["Status"] for t in describe(gl, "stop-me", "too-late")] == ["CANCELLED", "TIMED_OUT"]

    events = events_both_ways(stack, "ctf-accept")
    assert kinds(events) == ["MatchmakingSearching"] * 4 + ["PotentialMatchCreated"] + ["AcceptMatch"] * 4 + [
        "AcceptMatchCompleted", "MatchmakingSucceeded", "MatchmakingSearching", "MatchmakingCancelled",
        "MatchmakingSearching", "MatchmakingTimedOut"]
    potential = events[4]["detail"]
    assert (potential["acceptanceRequired"], potential["acceptanceTimeout"]) == (True, 10)
    assert ticket_ids(events[4]) == ["a1", "a2", "a3", "a4"]
    assert all(p["team"] in ("red", "blue") for t in potential["tickets"] for p in t["players"])
    last_accept = events[8]["detail"]
    assert sorted(p["accepted"] for t in last_accept["tickets"] for p in t["players"]) == [True] * 4
    assert events[9]["detail"]["acceptance"] == "Accepted"
    succeeded = events[10]["detail"]
    assert ticket_ids(events[10]) == ["a1", "a2", "a3", "a4"] and succeeded["matchId"] == potential["matchId"]
    assert "gameSessionArn" not in succeeded["gameSessionInfo"], "STANDALONE: no game session"
    assert events[0]["detail"]["estimatedWaitMillis"] == "NOT_AVAILABLE"
    assert events[11]["detail"]["estimatedWaitMillis"] == 0
    cancelled, timed_out = events[12]["detail"], events[14]["detail"]
    assert (cancelled["reason"], cancelled["message"], ticket_ids(events[12])) == (
        "Cancelled", "Cancelled by request.", ["stop-me"])
    assert (timed_out["reason"], timed_out["message"], ticket_ids(events[14])) == (
        "TimedOut", "Removed from matchmaking due to timing out.", ["too-late"])
    assert all(e["detail"]["customEventData"] == "lobby=9" for e in events)


def test_backfill_mode_automatic_fills_an_open_slot_by_itself(gl, stack, game_server):
    config = gl.create_matchmaking_configuration(
        Name="ctf-auto", RuleSetName="ctf-3v3", GameSessionQueueArns=[ANYWHERE_QUEUE], RequestTimeoutSeconds=60,
        AcceptanceRequired=False, BackfillMode="AUTOMATIC",
    )["Configuration"]
    assert (config["FlexMatchMode"], config["BackfillMode"]) == ("WITH_QUEUE", "AUTOMATIC")
    server = game_server("mm-auto-process", 7802)
    for i, skill in enumerate([20, 22, 24, 26], start=1):
        start(gl, "ctf-auto", f"t{i}", player(f"p{i}", skill, ["bow"]))
    push = server.expect("push", "CreateGameSession")
    assert json.loads(push["MatchmakerData"])["autoBackfillMode"] == "AUTOMATIC"
    gs = push["GameSessionId"]
    assert server.command(f"activate {gs}")["StatusCode"] == 200

    # Four of six slots taken: the emulator started a backfill with the four players and teams.
    searching = [e["Event"]["detail"] for e in logged(stack, "ctf-auto")
                 if e["Event"]["detail"]["type"] == "MatchmakingSearching"]
    auto_id = searching[-1]["tickets"][0]["ticketId"]
    auto = describe(gl, auto_id)[0]
    assert auto["Status"] == "SEARCHING"
    assert sorted((p["PlayerId"], p["Team"] in ("red", "blue")) for p in auto["Players"]) == [
        (f"p{i}", True) for i in range(1, 5)]
    start(gl, "ctf-auto", "t5", player("p5", 21, ["axe"]))
    update = server.expect("push", "UpdateGameSession")
    assert (update["UpdateReason"], update["BackfillTicketId"]) == ("MATCHMAKING_DATA_UPDATED", auto_id)
    data = json.loads(update["GameSession"]["MatchmakerData"])
    assert (data["autoBackfillMode"], data["autoBackfillTicketId"]) == ("AUTOMATIC", auto_id)
    assert sorted(sum(by_team(data).values(), [])) == ["p1", "p2", "p3", "p4", "p5"]
    assert describe(gl, auto_id, "t5")[1]["Status"] == "COMPLETED"
    assert gl.describe_player_sessions(GameSessionId=gs, PlayerId="p5")["PlayerSessions"][0]["Status"] == "RESERVED"
