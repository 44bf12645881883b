"""FlexMatch with boto3 against the binary, the clock paused so every step is exact:
STANDALONE 2 teams x 2 players with a skill rule (a match, a wait until the expansion, a
timeout), acceptance (all accept, one rejects, nobody answers), and the matchmaking events
as `/_emulator/events` logs them."""

import json

import pytest
from botocore.exceptions import ClientError

from gl_support import ACCOUNT, REGION, advance_clock, http

EMULATOR_FLAGS = ("--clock", "paused", "--matchmaking-seed", "7")

RULE_SET = json.dumps({
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
    "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2},
              {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
    "rules": [{"name": "SimilarSkill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 10}],
    "expansions": [{"target": "rules[SimilarSkill].maxDistance",
                    "steps": [{"waitTimeSeconds": 10, "value": 100}]}],
})
CONFIG_ARN = f"arn:aws:gamelift:{REGION}:{ACCOUNT}:matchmakingconfiguration/"


def setup(gl, name="cfg", **extra):
    gl.create_matchmaking_rule_set(Name="skill-2x2", RuleSetBody=RULE_SET)
    args = dict(Name=name, RuleSetName="skill-2x2", RequestTimeoutSeconds=20,
                AcceptanceRequired=False, FlexMatchMode="STANDALONE")
    args.update(extra)
    return gl.create_matchmaking_configuration(**args)["Configuration"]


def start(gl, ticket, player, skill, config="cfg"):
    return gl.start_matchmaking(
        TicketId=ticket, ConfigurationName=config,
        Players=[{"PlayerId": player, "PlayerAttributes": {"skill": {"N": skill}}}],
    )["MatchmakingTicket"]


def statuses(gl, *ids):
    return [t["Status"] for t in gl.describe_matchmaking(TicketIds=list(ids))["TicketList"]]


def detail_types(endpoint):
    out = []
    for e in logged(endpoint):
        if e["detail-type"] == "GameLift Matchmaking Event":
            out.append(e["detail"]["type"])
    return out


def logged(endpoint):
    status, _, body = http("GET", f"{endpoint}/_emulator/events?after=0&wait=0")
    assert status == 200, body
    doc = json.loads(body)
    events = doc.get("events", doc.get("Events", []))
    return [e.get("event", e.get("Event", e)) for e in events]


def test_matchmaking_standalone_2x2_matches_close_skills_and_waits_for_the_expansion(gl, module_endpoint):
    config = setup(gl)
    assert config["ConfigurationArn"] == CONFIG_ARN + "cfg"
    assert config["FlexMatchMode"] == "STANDALONE"
    for i, skill in enumerate([10, 12, 14, 60], start=1):
        t = start(gl, f"t{i}", f"p{i}", skill)
        assert t["Status"] == "QUEUED"
    assert statuses(gl, "t1", "t2", "t3", "t4") == ["SEARCHING"] * 4, "60 is too far"
    advance_clock(module_endpoint, 9)
    assert statuses(gl, "t4") == ["SEARCHING"]
    advance_clock(module_endpoint, 1)
    tickets = gl.describe_matchmaking(TicketIds=["t1", "t2", "t3", "t4"])["TicketList"]
    assert [t["Status"] for t in tickets] == ["COMPLETED"] * 4
    teams = sorted(t["Players"][0]["Team"] for t in tickets)
    assert teams == ["blue", "blue", "red", "red"]
    kinds = detail_types(module_endpoint)
    assert kinds == ["MatchmakingSearching"] * 4 + ["PotentialMatchCreated", "MatchmakingSucceeded"]
    succeeded = [e for e in logged(module_endpoint) if e["detail"].get("type") == "MatchmakingSucceeded"][0]
    assert succeeded["resources"] == [CONFIG_ARN + "cfg"]
    assert sorted(t["ticketId"] for t in succeeded["detail"]["tickets"]) == ["t1", "t2", "t3", "t4"]
    print(json.dumps({"ruleSet": json.loads(RULE_SET), "tickets": tickets,
                      "events": [e for e in logged(module_endpoint)]}, default=str, indent=1))

    start(gl, "lonely", "p9", 10)
    advance_clock(module_endpoint, 19)
    assert statuses(gl, "lonely") == ["SEARCHING"]
    advance_clock(module_endpoint, 1)
    t = gl.describe_matchmaking(TicketIds=["lonely"])["TicketList"][0]
    assert t["Status"] == "TIMED_OUT"
    assert detail_types(module_endpoint)[-1] == "MatchmakingTimedOut"


def test_matchmaking_acceptance_all_accept_one_rejects_nobody_answers(gl, module_endpoint):
    setup(gl, AcceptanceRequired=True, AcceptanceTimeoutSeconds=10)
    for i in range(1, 5):
        start(gl, f"t{i}", f"p{i}", 10 + i)
    assert statuses(gl, "t1", "t2", "t3", "t4") == ["REQUIRES_ACCEPTANCE"] * 4
    for i in range(1, 5):
        gl.accept_match(TicketId=f"t{i}", PlayerIds=[f"p{i}"], AcceptanceType="ACCEPT")
    assert statuses(gl, "t1", "t2", "t3", "t4") == ["COMPLETED"] * 4

    for i in range(5, 9):
        start(gl, f"t{i}", f"p{i}", 10 + i)
    gl.accept_match(TicketId="t5", PlayerIds=["p5"], AcceptanceType="ACCEPT")
    gl.accept_match(TicketId="t6", PlayerIds=["p6"], AcceptanceType="REJECT")
    assert statuses(gl, "t5", "t6", "t7", "t8") == ["SEARCHING", "CANCELLED", "SEARCHING", "SEARCHING"]

    start(gl, "t9", "p9", 12)
    assert statuses(gl, "t9") == ["REQUIRES_ACCEPTANCE"]
    advance_clock(module_endpoint, 10)
    assert statuses(gl, "t5", "t7", "t8", "t9") == ["CANCELLED"] * 4
    with pytest.raises(ClientError) as e:
        gl.accept_match(TicketId="t9", PlayerIds=["p9"], AcceptanceType="ACCEPT")
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    completed = [e["detail"]["acceptance"] for e in logged(module_endpoint)
                 if e["detail"].get("type") == "AcceptMatchCompleted"]
    assert completed == ["Accepted", "Rejected", "TimedOut"]


def test_matchmaking_errors_name_the_problem(gl):
    with pytest.raises(ClientError) as e:
        gl.validate_matchmaking_rule_set(RuleSetBody='{"ruleLanguageVersion": "1.0", "teams": []}')
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    setup(gl)
    with pytest.raises(ClientError) as e:
        gl.delete_matchmaking_rule_set(Name="skill-2x2")
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    pages = list(gl.get_paginator("describe_matchmaking_configurations").paginate())
    assert [c["Name"] for p in pages for c in p["Configurations"]] == ["cfg"]
    pages = list(gl.get_paginator("describe_matchmaking_rule_sets").paginate())
    assert [r["RuleSetName"] for p in pages for r in p["RuleSets"]] == ["skill-2x2"]
