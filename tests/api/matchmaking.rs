//! FlexMatch: rule sets, configurations, tickets, the matchmaker (expansions, timeouts),
//! acceptance, WITH_QUEUE placement onto a fleet and the matchmaking events, in both protocols
//! with paused time.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::*;

const RULE_SET_ARN_PREFIX: &str = "arn:aws:gamelift:us-east-1:123456789012:matchmakingruleset/";
const CONFIG_ARN_PREFIX: &str = "arn:aws:gamelift:us-east-1:123456789012:matchmakingconfiguration/";

/// Two teams of two; skills within 10 of each other, widened to 100 after 10 s.
const SKILL_2X2: &str = r#"{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 10}, {"name": "mode", "type": "string"}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
  "rules": [{"name": "SimilarSkill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 10}],
  "expansions": [{"target": "rules[SimilarSkill].maxDistance", "steps": [{"waitTimeSeconds": 10, "value": 100}]}]
}"#;

async fn advance(api: &Api, secs: f64) {
    let steps = (secs / 0.05).round() as u32;
    for _ in 0..steps {
        tokio::time::advance(Duration::from_millis(50)).await;
        api.em.with_world(|_, _| ());
    }
}

async fn events(api: &Api) -> Vec<Value> {
    let page = api.em.events().read(0, Duration::ZERO).await;
    page.events
        .into_iter()
        .map(|e| e.event)
        .filter(|e| e["detail-type"] == "GameLift Matchmaking Event")
        .collect()
}

fn types(evs: &[Value]) -> Vec<String> {
    evs.iter().map(|e| e["detail"]["type"].as_str().unwrap_or_default().to_string()).collect()
}

async fn setup(api: &Api, proto: Proto, config: Value) {
    api.call(proto, "CreateMatchmakingRuleSet", json!({"Name": "skill-2x2", "RuleSetBody": SKILL_2X2}))
        .await
        .assert_ok();
    let mut input = json!({"Name": "cfg", "RuleSetName": "skill-2x2", "RequestTimeoutSeconds": 60,
        "AcceptanceRequired": false, "FlexMatchMode": "STANDALONE"});
    for (k, v) in config.as_object().cloned().unwrap_or_default() {
        input[k] = v;
    }
    api.call(proto, "CreateMatchmakingConfiguration", input).await.assert_ok();
}

async fn ticket(api: &Api, proto: Proto, id: &str, player: &str, skill: f64) -> Value {
    let r = api
        .call(
            proto,
            "StartMatchmaking",
            json!({"TicketId": id, "ConfigurationName": "cfg",
                "Players": [{"PlayerId": player, "PlayerAttributes": {"skill": {"N": skill}, "mode": {"S": "ctf"}},
                    "LatencyInMs": {"us-east-1": 20}}]}),
        )
        .await;
    r.assert_ok()["MatchmakingTicket"].clone()
}

async fn describe(api: &Api, proto: Proto, ids: &[&str]) -> Vec<Value> {
    let r = api.call(proto, "DescribeMatchmaking", json!({"TicketIds": ids})).await;
    r.assert_ok()["TicketList"].as_array().cloned().unwrap_or_default()
}

async fn status(api: &Api, proto: Proto, id: &str) -> String {
    describe(api, proto, &[id]).await[0]["Status"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(start_paused = true)]
async fn rule_sets_are_created_validated_described_by_name_or_arn_and_refused_with_a_location() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .call(
                proto,
                "CreateMatchmakingRuleSet",
                json!({"Name": "skill-2x2", "RuleSetBody": SKILL_2X2, "Tags": [{"Key": "team", "Value": "core"}]}),
            )
            .await;
        let rs = r.assert_ok()["RuleSet"].clone();
        assert_eq!(rs["RuleSetName"], "skill-2x2");
        assert_eq!(rs["RuleSetArn"], format!("{RULE_SET_ARN_PREFIX}skill-2x2"));
        assert_eq!(rs["RuleSetBody"], SKILL_2X2);
        assert!(rs["CreationTime"].is_number());

        let by_arn = api
            .call(
                proto,
                "DescribeMatchmakingRuleSets",
                json!({"Names": [format!("{RULE_SET_ARN_PREFIX}skill-2x2")]}),
            )
            .await;
        assert_eq!(by_arn.assert_ok()["RuleSets"], json!([rs]));
        api.call(proto, "DescribeMatchmakingRuleSets", json!({"Names": ["nope"]}))
            .await
            .assert_error("NotFoundException");
        let tags = api
            .call(
                proto,
                "ListTagsForResource",
                json!({"ResourceARN": format!("{RULE_SET_ARN_PREFIX}skill-2x2")}),
            )
            .await;
        assert_eq!(tags.assert_ok()["Tags"], json!([{"Key": "team", "Value": "core"}]));

        api.call(proto, "CreateMatchmakingRuleSet", json!({"Name": "skill-2x2", "RuleSetBody": SKILL_2X2}))
            .await
            .assert_error("InvalidRequestException");
        let valid = api.call(proto, "ValidateMatchmakingRuleSet", json!({"RuleSetBody": SKILL_2X2})).await;
        assert_eq!(valid.assert_ok()["Valid"], true);
        let bad =
            r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 0}]}"#;
        let invalid = api.call(proto, "ValidateMatchmakingRuleSet", json!({"RuleSetBody": bad})).await;
        invalid.assert_error("InvalidRequestException");
        assert!(
            invalid.message().contains("location: teams section: array index=0: red"),
            "{}",
            invalid.message()
        );
        api.call(proto, "CreateMatchmakingRuleSet", json!({"Name": "bad", "RuleSetBody": bad}))
            .await
            .assert_error("InvalidRequestException");

        // In use by a configuration: refused; free again once the configuration is gone.
        setup_config_only(&api, proto).await;
        let del = api.call(proto, "DeleteMatchmakingRuleSet", json!({"Name": "skill-2x2"})).await;
        del.assert_error("InvalidRequestException");
        assert!(del.message().contains("cfg"), "{}", del.message());
        api.call(proto, "DeleteMatchmakingConfiguration", json!({"Name": "cfg"})).await.assert_ok();
        api.call(
            proto,
            "DeleteMatchmakingRuleSet",
            json!({"Name": format!("{RULE_SET_ARN_PREFIX}skill-2x2")}),
        )
        .await
        .assert_ok();
        api.call(proto, "DeleteMatchmakingRuleSet", json!({"Name": "skill-2x2"}))
            .await
            .assert_error("NotFoundException");
        api.assert_invariants();
    }
}

async fn setup_config_only(api: &Api, proto: Proto) {
    let input = json!({"Name": "cfg", "RuleSetName": "skill-2x2", "RequestTimeoutSeconds": 60,
        "AcceptanceRequired": false, "FlexMatchMode": "STANDALONE"});
    api.call(proto, "CreateMatchmakingConfiguration", input).await.assert_ok();
}

#[tokio::test(start_paused = true)]
async fn configurations_report_every_member_update_page_and_filter_by_rule_set() {
    for proto in BOTH {
        let api = Api::new();
        api.call(proto, "CreateMatchmakingRuleSet", json!({"Name": "skill-2x2", "RuleSetBody": SKILL_2X2}))
            .await
            .assert_ok();
        let c = api
            .call(
                proto,
                "CreateMatchmakingConfiguration",
                json!({"Name": "queued", "RuleSetName": format!("{RULE_SET_ARN_PREFIX}skill-2x2"),
                    "RequestTimeoutSeconds": 30, "AcceptanceRequired": true, "AcceptanceTimeoutSeconds": 10,
                    "GameSessionQueueArns": ["arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/default-queue"],
                    "Description": "ranked", "AdditionalPlayerCount": 1, "CustomEventData": "ev",
                    "NotificationTarget": "arn:aws:sns:us-east-1:123456789012:mm",
                    "GameProperties": [{"Key": "mode", "Value": "ctf"}], "GameSessionData": "map=dust",
                    "BackfillMode": "MANUAL"}),
            )
            .await;
        let c = c.assert_ok()["Configuration"].clone();
        assert_eq!(c["ConfigurationArn"], format!("{CONFIG_ARN_PREFIX}queued"));
        assert_eq!(c["RuleSetName"], "skill-2x2");
        assert_eq!(c["RuleSetArn"], format!("{RULE_SET_ARN_PREFIX}skill-2x2"));
        assert_eq!(c["FlexMatchMode"], "WITH_QUEUE", "queues given, mode omitted: WITH_QUEUE");
        assert_eq!(c["AcceptanceTimeoutSeconds"], 10);
        assert_eq!(c["GameProperties"], json!([{"Key": "mode", "Value": "ctf"}]));
        assert_eq!(c["BackfillMode"], "MANUAL");

        for (input, what) in [
            (
                json!({"Name": "x", "RuleSetName": "nope", "RequestTimeoutSeconds": 30, "AcceptanceRequired": false}),
                "NotFoundException",
            ),
            (
                json!({"Name": "x", "RuleSetName": "skill-2x2", "RequestTimeoutSeconds": 30, "AcceptanceRequired": false, "FlexMatchMode": "WITH_QUEUE"}),
                "InvalidRequestException",
            ),
            (
                json!({"Name": "x", "RuleSetName": "skill-2x2", "RequestTimeoutSeconds": 30, "AcceptanceRequired": true, "FlexMatchMode": "STANDALONE"}),
                "InvalidRequestException",
            ),
            (
                json!({"Name": "queued", "RuleSetName": "skill-2x2", "RequestTimeoutSeconds": 30, "AcceptanceRequired": false, "FlexMatchMode": "STANDALONE"}),
                "InvalidRequestException",
            ),
        ] {
            api.call(proto, "CreateMatchmakingConfiguration", input).await.assert_error(what);
        }
        for i in 0..3 {
            api.call(
                proto,
                "CreateMatchmakingConfiguration",
                json!({"Name": format!("solo-{i}"), "RuleSetName": "skill-2x2", "RequestTimeoutSeconds": 30,
                    "AcceptanceRequired": false, "FlexMatchMode": "STANDALONE"}),
            )
            .await
            .assert_ok();
        }
        let p1 = api.call(proto, "DescribeMatchmakingConfigurations", json!({"Limit": 3})).await;
        let p1 = p1.assert_ok().clone();
        assert_eq!(p1["Configurations"].as_array().map(Vec::len), Some(3));
        let p2 = api
            .call(
                proto,
                "DescribeMatchmakingConfigurations",
                json!({"Limit": 3, "NextToken": p1["NextToken"]}),
            )
            .await;
        assert_eq!(p2.assert_ok()["Configurations"][0]["Name"], "solo-2");
        assert!(p2.body.get("NextToken").is_none());
        let by_rs =
            api.call(proto, "DescribeMatchmakingConfigurations", json!({"RuleSetName": "skill-2x2"})).await;
        assert_eq!(by_rs.assert_ok()["Configurations"].as_array().map(Vec::len), Some(4));

        let u = api
            .call(
                proto,
                "UpdateMatchmakingConfiguration",
                json!({"Name": format!("{CONFIG_ARN_PREFIX}queued"), "RequestTimeoutSeconds": 90, "Description": "casual"}),
            )
            .await;
        let u = u.assert_ok()["Configuration"].clone();
        assert_eq!(u["RequestTimeoutSeconds"], 90);
        assert_eq!(u["Description"], "casual");
        assert_eq!(u["AcceptanceTimeoutSeconds"], 10, "members not given are kept");
        api.call(proto, "UpdateMatchmakingConfiguration", json!({"Name": "nope"}))
            .await
            .assert_error("NotFoundException");
        api.assert_invariants();
    }
}

#[tokio::test(start_paused = true)]
async fn four_close_tickets_complete_in_two_teams_with_events_listing_every_ticket() {
    for proto in BOTH {
        let api = Api::new();
        setup(&api, proto, json!({})).await;
        let t = ticket(&api, proto, "t1", "p1", 10.0).await;
        assert_eq!(t["Status"], "QUEUED");
        assert_eq!(t["ConfigurationArn"], format!("{CONFIG_ARN_PREFIX}cfg"));
        assert_eq!(status(&api, proto, "t1").await, "SEARCHING", "the pass on the new ticket found no match");
        for (i, s) in [12.0, 14.0, 15.0].into_iter().enumerate() {
            ticket(&api, proto, &format!("t{}", i + 2), &format!("p{}", i + 2), s).await;
        }
        let all = describe(&api, proto, &["t1", "t2", "t3", "t4", "missing"]).await;
        assert_eq!(all.len(), 4, "unknown tickets are left out");
        let mut teams = std::collections::BTreeMap::new();
        for t in &all {
            assert_eq!(t["Status"], "COMPLETED", "{t}");
            assert!(t["EndTime"].is_number());
            assert!(t.get("GameSessionConnectionInfo").is_none(), "STANDALONE: no game session");
            *teams.entry(t["Players"][0]["Team"].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
        }
        assert_eq!(teams, [("blue".to_string(), 2), ("red".to_string(), 2)].into_iter().collect());

        let evs = events(&api).await;
        assert_eq!(
            types(&evs),
            [
                "MatchmakingSearching",
                "MatchmakingSearching",
                "MatchmakingSearching",
                "MatchmakingSearching",
                "PotentialMatchCreated",
                "MatchmakingSucceeded"
            ]
        );
        let potential = &evs[4];
        assert_eq!(potential["resources"], json!([format!("{CONFIG_ARN_PREFIX}cfg")]));
        assert_eq!(potential["detail"]["tickets"].as_array().map(Vec::len), Some(4));
        assert_eq!(potential["detail"]["acceptanceRequired"], false);
        let metrics = &potential["detail"]["ruleEvaluationMetrics"];
        assert_eq!(
            metrics,
            &json!([{"ruleName": "SimilarSkill", "passedCount": 4, "failedCount": 0}]),
            "one evaluation per ticket of the match"
        );
        assert_eq!(evs[5]["detail"]["matchId"], potential["detail"]["matchId"]);
        assert_eq!(evs[5]["detail"]["gameSessionInfo"]["players"].as_array().map(Vec::len), Some(4));
        api.assert_invariants();
    }
}

#[tokio::test(start_paused = true)]
async fn a_far_ticket_waits_until_the_expansion_then_matches_or_times_out_alone() {
    for proto in BOTH {
        let api = Api::new();
        setup(&api, proto, json!({"RequestTimeoutSeconds": 20})).await;
        for (i, s) in [10.0, 12.0, 14.0, 60.0].into_iter().enumerate() {
            ticket(&api, proto, &format!("t{}", i + 1), &format!("p{}", i + 1), s).await;
        }
        advance(&api, 9.5).await;
        assert_eq!(status(&api, proto, "t4").await, "SEARCHING", "60 is too far before the expansion");
        advance(&api, 1.0).await;
        for t in describe(&api, proto, &["t1", "t2", "t3", "t4"]).await {
            assert_eq!(t["Status"], "COMPLETED", "after 10 s maxDistance is 100: {t}");
        }
        ticket(&api, proto, "lonely", "p9", 10.0).await;
        advance(&api, 19.5).await;
        assert_eq!(status(&api, proto, "lonely").await, "SEARCHING");
        advance(&api, 0.6).await;
        let t = &describe(&api, proto, &["lonely"]).await[0];
        assert_eq!(t["Status"], "TIMED_OUT");
        assert_eq!(t["StatusMessage"], "Removed from matchmaking due to timing out.");
        let evs = events(&api).await;
        let last = evs.last().cloned().unwrap_or_default();
        assert_eq!(last["detail"]["type"], "MatchmakingTimedOut");
        assert_eq!(last["detail"]["reason"], "TimedOut");
        assert_eq!(last["detail"]["tickets"][0]["ticketId"], "lonely");
        api.assert_invariants();
    }
}

#[tokio::test(start_paused = true)]
async fn acceptance_all_accept_completes_one_reject_cancels_only_its_ticket_and_silence_times_out() {
    for proto in BOTH {
        let api = Api::new();
        setup(&api, proto, json!({"AcceptanceRequired": true, "AcceptanceTimeoutSeconds": 10})).await;
        for i in 1..=4 {
            ticket(&api, proto, &format!("t{i}"), &format!("p{i}"), 10.0 + f64::from(i)).await;
        }
        assert_eq!(status(&api, proto, "t1").await, "REQUIRES_ACCEPTANCE");
        api.call(
            proto,
            "AcceptMatch",
            json!({"TicketId": "t1", "PlayerIds": ["p2"], "AcceptanceType": "ACCEPT"}),
        )
        .await
        .assert_error("InvalidRequestException");
        for i in 1..=4 {
            api.call(
                proto,
                "AcceptMatch",
                json!({"TicketId": format!("t{i}"), "PlayerIds": [format!("p{i}")], "AcceptanceType": "ACCEPT"}),
            )
            .await
            .assert_ok();
        }
        assert_eq!(status(&api, proto, "t4").await, "COMPLETED");
        api.call(
            proto,
            "AcceptMatch",
            json!({"TicketId": "t1", "PlayerIds": ["p1"], "AcceptanceType": "ACCEPT"}),
        )
        .await
        .assert_error("InvalidRequestException");
        let kinds = types(&events(&api).await);
        assert_eq!(kinds.iter().filter(|k| *k == "AcceptMatch").count(), 4);
        assert!(kinds.contains(&"AcceptMatchCompleted".to_string()));
        assert_eq!(kinds.last().map(String::as_str), Some("MatchmakingSucceeded"));

        // One rejects: that ticket is CANCELLED, the others search again.
        for i in 5..=8 {
            ticket(&api, proto, &format!("t{i}"), &format!("p{i}"), 10.0 + f64::from(i)).await;
        }
        api.call(
            proto,
            "AcceptMatch",
            json!({"TicketId": "t5", "PlayerIds": ["p5"], "AcceptanceType": "ACCEPT"}),
        )
        .await
        .assert_ok();
        api.call(
            proto,
            "AcceptMatch",
            json!({"TicketId": "t6", "PlayerIds": ["p6"], "AcceptanceType": "REJECT"}),
        )
        .await
        .assert_ok();
        let after = describe(&api, proto, &["t5", "t6", "t7", "t8"]).await;
        let st: Vec<&str> = after.iter().map(|t| t["Status"].as_str().unwrap_or_default()).collect();
        assert_eq!(st, ["SEARCHING", "CANCELLED", "SEARCHING", "SEARCHING"]);
        let evs = events(&api).await;
        let completed = evs
            .iter()
            .rev()
            .find(|e| e["detail"]["type"] == "AcceptMatchCompleted")
            .cloned()
            .unwrap_or_default();
        assert_eq!(completed["detail"]["acceptance"], "Rejected");

        // A fourth player arrives; nobody answers: the acceptance times out, all four CANCELLED.
        ticket(&api, proto, "t9", "p9", 12.0).await;
        assert_eq!(status(&api, proto, "t9").await, "REQUIRES_ACCEPTANCE");
        advance(&api, 9.9).await;
        assert_eq!(status(&api, proto, "t9").await, "REQUIRES_ACCEPTANCE");
        advance(&api, 0.2).await;
        for t in describe(&api, proto, &["t5", "t7", "t8", "t9"]).await {
            assert_eq!(t["Status"], "CANCELLED", "{t}");
        }
        let evs = events(&api).await;
        let completed = evs
            .iter()
            .rev()
            .find(|e| e["detail"]["type"] == "AcceptMatchCompleted")
            .cloned()
            .unwrap_or_default();
        assert_eq!(completed["detail"]["acceptance"], "TimedOut");
        api.assert_invariants();
    }
}

#[tokio::test(start_paused = true)]
async fn stop_cancels_a_searching_ticket_and_a_players_new_ticket_cancels_his_old_one() {
    for proto in BOTH {
        let api = Api::new();
        setup(&api, proto, json!({})).await;
        ticket(&api, proto, "t1", "p1", 10.0).await;
        api.call(proto, "StopMatchmaking", json!({"TicketId": "t1"})).await.assert_ok();
        let t = &describe(&api, proto, &["t1"]).await[0];
        assert_eq!(t["Status"], "CANCELLED");
        api.call(proto, "StopMatchmaking", json!({"TicketId": "t1"}))
            .await
            .assert_error("InvalidRequestException");
        api.call(proto, "StopMatchmaking", json!({"TicketId": "nope"}))
            .await
            .assert_error("NotFoundException");
        ticket(&api, proto, "t2", "p2", 10.0).await;
        ticket(&api, proto, "t3", "p2", 10.0).await;
        assert_eq!(status(&api, proto, "t2").await, "CANCELLED");
        assert_eq!(status(&api, proto, "t3").await, "SEARCHING");
        let generated = api
            .call(
                proto,
                "StartMatchmaking",
                json!({"ConfigurationName": "cfg", "Players": [{"PlayerId": "p7"}]}),
            )
            .await;
        let id =
            generated.assert_ok()["MatchmakingTicket"]["TicketId"].as_str().unwrap_or_default().to_string();
        assert_eq!(id.len(), 36, "a UUID when TicketId is absent: {id}");
        api.call(
            proto,
            "StartMatchmaking",
            json!({"ConfigurationName": "cfg", "Players": [{"PlayerId": "p8", "Team": "red"}]}),
        )
        .await
        .assert_error("InvalidRequestException");
        api.call(
            proto,
            "StartMatchmaking",
            json!({"ConfigurationName": "nope", "Players": [{"PlayerId": "p8"}]}),
        )
        .await
        .assert_error("NotFoundException");
        api.call(proto, "DeleteMatchmakingConfiguration", json!({"Name": "cfg"}))
            .await
            .assert_error("InvalidRequestException");
        api.assert_invariants();
    }
}

#[tokio::test(start_paused = true)]
async fn with_queue_places_the_match_and_completes_the_tickets_with_connection_info() {
    for proto in BOTH {
        let api = Api::new();
        setup(
            &api,
            proto,
            json!({"Name": "cfg", "FlexMatchMode": "WITH_QUEUE",
                "GameSessionQueueArns": ["arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/default-queue"],
                "GameProperties": [{"Key": "mode", "Value": "ctf"}], "GameSessionData": "map=dust"}),
        )
        .await;
        for i in 1..=4 {
            ticket(&api, proto, &format!("t{i}"), &format!("p{i}"), 10.0 + f64::from(i)).await;
        }
        assert_eq!(status(&api, proto, "t1").await, "PLACING");
        let stop = api.call(proto, "StopMatchmaking", json!({"TicketId": "t1"})).await;
        stop.assert_error("InvalidRequestException");
        assert_eq!(stop.message(), "Matchmaking ticket is in PLACING status and cannot be canceled.");
        advance(&api, 3.0).await;
        let all = describe(&api, proto, &["t1", "t2", "t3", "t4"]).await;
        let info = all[0]["GameSessionConnectionInfo"].clone();
        for t in &all {
            assert_eq!(t["Status"], "COMPLETED", "{t}");
            assert_eq!(t["GameSessionConnectionInfo"]["GameSessionArn"], info["GameSessionArn"]);
        }
        assert_eq!(info["MatchedPlayerSessions"].as_array().map(Vec::len), Some(1));
        assert!(
            info["MatchedPlayerSessions"][0]["PlayerSessionId"]
                .as_str()
                .unwrap_or_default()
                .starts_with("psess-")
        );
        let gs =
            api.call(proto, "DescribeGameSessions", json!({"GameSessionId": info["GameSessionArn"]})).await;
        let gs = gs.assert_ok()["GameSessions"][0].clone();
        assert_eq!(gs["GameProperties"], json!([{"Key": "mode", "Value": "ctf"}]));
        assert_eq!(gs["GameSessionData"], "map=dust");
        assert_eq!(gs["CurrentPlayerSessionCount"], 4);
        let data = gs["MatchmakerData"].as_str().unwrap_or_default().to_string();
        assert!(
            data.starts_with("{\"matchId\":\"")
                && data.contains(&format!(
                    "\"matchmakingConfigurationArn\":\"{CONFIG_ARN_PREFIX}cfg\",\"teams\":[{{\"name\":\"red\""
                )),
            "{data}"
        );
        let parsed: Value = serde_json::from_str(&data).unwrap_or_default();
        assert_eq!(parsed["teams"][1]["name"], "blue");
        assert_eq!(parsed["autoBackfillMode"], "MANUAL");
        assert_eq!(parsed["autoBackfillTicketId"], Value::Null);
        assert_eq!(parsed["teams"][0]["players"][0]["attributes"]["skill"]["attributeType"], "DOUBLE");
        assert!(
            data.contains("\"mode\":{\"attributeType\":\"STRING\",\"valueAttribute\":\"ctf\"}"),
            "{data}"
        );
        let evs = events(&api).await;
        let succeeded =
            evs.iter().find(|e| e["detail"]["type"] == "MatchmakingSucceeded").cloned().unwrap_or_default();
        assert_eq!(succeeded["detail"]["gameSessionInfo"]["gameSessionArn"], info["GameSessionArn"]);
        assert!(succeeded["detail"]["gameSessionInfo"]["port"].is_number());
        assert!(succeeded["detail"]["tickets"][0]["players"][0]["playerSessionId"].is_string());
        api.assert_invariants();
    }
}

/// Teams of two to three: a match of four closes at minPlayers and leaves room for a backfill.
const ROOMY_2X3: &str = r#"{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 3}, {"name": "blue", "minPlayers": 2, "maxPlayers": 3}],
  "rules": [{"name": "SimilarSkill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 10}]
}"#;

#[tokio::test(start_paused = true)]
async fn with_queue_onto_anywhere_the_server_gets_matchmaker_data_then_backfills_a_player() {
    let api = Api::new();
    let proto = Proto::Json;
    let mut p = crate::game_servers::Process::attach(&api, "proc-mm");
    p.ok("ActivateServerProcess", json!({ "SdkVersion": "5.6.0", "Port": 7777, "LogPaths": null }));
    api.call(proto, "CreateMatchmakingRuleSet", json!({"Name": "roomy", "RuleSetBody": ROOMY_2X3}))
        .await
        .assert_ok();
    let cfg = api
        .call(
            proto,
            "CreateMatchmakingConfiguration",
            json!({"Name": "cfg", "RuleSetName": "roomy", "RequestTimeoutSeconds": 60, "AcceptanceRequired": false,
                "GameSessionQueueArns": ["arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/default-anywhere-queue"],
                "GameSessionData": "map=dust"}),
        )
        .await;
    let cfg_arn =
        cfg.assert_ok()["Configuration"]["ConfigurationArn"].as_str().unwrap_or_default().to_string();
    for i in 1..=4 {
        ticket(&api, proto, &format!("t{i}"), &format!("p{i}"), 10.0 + f64::from(i)).await;
    }
    assert_eq!(status(&api, proto, "t1").await, "PLACING");
    let push = p.push().expect("CreateGameSession push");
    assert_eq!(push["Action"], "CreateGameSession");
    assert_eq!(push["GameSessionData"], "map=dust");
    let data: Value =
        serde_json::from_str(push["MatchmakerData"].as_str().unwrap_or_default()).unwrap_or_default();
    assert_eq!(data["matchmakingConfigurationArn"], cfg_arn.as_str());
    let names: Vec<&str> =
        data["teams"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["red", "blue"]);
    assert_eq!(data["teams"][0]["players"].as_array().map(Vec::len), Some(2));
    let gs = push["GameSessionId"].as_str().unwrap_or_default().to_string();
    p.ok("ActivateGameSession", json!({ "GameSessionId": gs }));
    for t in describe(&api, proto, &["t1", "t2", "t3", "t4"]).await {
        assert_eq!(t["Status"], "COMPLETED", "{t}");
        assert_eq!(t["GameSessionConnectionInfo"]["GameSessionArn"], gs.as_str());
        assert_eq!(t["GameSessionConnectionInfo"]["Port"], 7777);
    }

    // The game server asks for one more player; a newcomer's ticket fills the slot.
    let mut players = Vec::new();
    for team in data["teams"].as_array().into_iter().flatten() {
        for pl in team["players"].as_array().into_iter().flatten() {
            players.push(json!({"PlayerId": pl["playerId"], "Team": team["name"],
                "PlayerAttributes": {"skill": {"AttrType": "DOUBLE", "N": pl["attributes"]["skill"]["valueAttribute"]}}}));
        }
    }
    let r = p.ok(
        "StartMatchBackfill",
        json!({"GameSessionArn": gs, "MatchmakingConfigurationArn": cfg_arn, "TicketId": "bf-1", "Players": players}),
    );
    assert_eq!(r["TicketId"], "bf-1");
    assert_eq!(status(&api, proto, "bf-1").await, "SEARCHING", "nobody to add yet");
    ticket(&api, proto, "t5", "p5", 13.0).await;
    let push = p.push().expect("UpdateGameSession push");
    assert_eq!(push["Action"], "UpdateGameSession");
    assert_eq!(push["UpdateReason"], "MATCHMAKING_DATA_UPDATED");
    assert_eq!(push["BackfillTicketId"], "bf-1");
    let data: Value =
        serde_json::from_str(push["GameSession"]["MatchmakerData"].as_str().unwrap_or_default())
            .unwrap_or_default();
    let total: usize = data["teams"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["players"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(total, 5, "{data}");
    let t5 = &describe(&api, proto, &["t5"]).await[0];
    assert_eq!(t5["Status"], "COMPLETED");
    assert_eq!(t5["GameSessionConnectionInfo"]["GameSessionArn"], gs.as_str());
    assert!(t5["Players"][0]["Team"].is_string());
    let bf = &describe(&api, proto, &["bf-1"]).await[0];
    assert_eq!(bf["Status"], "COMPLETED");
    let matched =
        bf["GameSessionConnectionInfo"]["MatchedPlayerSessions"].as_array().cloned().unwrap_or_default();
    assert_eq!(matched.len(), 4, "the players already in the game");
    assert!(
        matched.iter().all(|m| m["PlayerSessionId"].as_str().is_some_and(|s| s.starts_with("psess-"))),
        "{matched:?}"
    );
    let d = p.ok("DescribePlayerSessions", json!({ "GameSessionId": gs }));
    assert_eq!(d["PlayerSessions"].as_array().map(Vec::len), Some(5));

    // A second backfill, stopped by the server: BACKFILL_CANCELLED.
    p.ok("StartMatchBackfill", json!({"GameSessionArn": gs, "MatchmakingConfigurationArn": cfg_arn, "TicketId": "bf-2", "Players": players}));
    p.ok(
        "StopMatchBackfill",
        json!({"GameSessionArn": gs, "MatchmakingConfigurationArn": cfg_arn, "TicketId": "bf-2"}),
    );
    let push = p.push().expect("UpdateGameSession push");
    assert_eq!(
        (&push["UpdateReason"], &push["BackfillTicketId"]),
        (&json!("BACKFILL_CANCELLED"), &json!("bf-2"))
    );
    assert_eq!(status(&api, proto, "bf-2").await, "CANCELLED");
    // Without its teams a backfill request is refused.
    let r = api
        .call(
            proto,
            "StartMatchBackfill",
            json!({"ConfigurationName": "cfg", "GameSessionArn": gs, "Players": [{"PlayerId": "p1"}]}),
        )
        .await;
    r.assert_error("InvalidRequestException");
    api.assert_invariants();
}

#[tokio::test(start_paused = true)]
async fn estimated_wait_time_is_the_mean_wait_of_recent_completed_tickets() {
    for proto in BOTH {
        let api = Api::new();
        setup(&api, proto, json!({})).await;
        let t1 = ticket(&api, proto, "t1", "p1", 10.0).await;
        assert!(t1.get("EstimatedWaitTime").is_none(), "no history, not searched yet: {t1}");
        advance(&api, 4.0).await;
        let t1 = &describe(&api, proto, &["t1"]).await[0];
        assert_eq!(t1["Status"], "SEARCHING");
        assert_eq!(t1["EstimatedWaitTime"], 4, "no ticket completed yet: how long the searching ones waited");
        for i in 2..=4 {
            ticket(&api, proto, &format!("t{i}"), &format!("p{i}"), 11.0).await;
        }
        let done = describe(&api, proto, &["t1", "t2"]).await;
        assert_eq!(done[0]["Status"], "COMPLETED");
        assert_eq!(
            done[0]["EstimatedWaitTime"], 1,
            "the pass that matched it estimated from four waiting tickets (4, 0, 0, 0 s): kept once completed"
        );
        // Waits 4, 0, 0, 0 s: the mean is 1 s.
        let t5 = ticket(&api, proto, "t5", "p5", 10.0).await;
        assert_eq!(t5["EstimatedWaitTime"], 1, "{t5}");
        assert_eq!(describe(&api, proto, &["t5"]).await[0]["EstimatedWaitTime"], 1);
        let waits: Vec<Value> = events(&api)
            .await
            .iter()
            .filter(|e| e["detail"]["type"] == "MatchmakingSearching")
            .map(|e| e["detail"]["estimatedWaitMillis"].clone())
            .collect();
        assert_eq!(
            waits,
            [
                json!("NOT_AVAILABLE"),
                json!("NOT_AVAILABLE"),
                json!("NOT_AVAILABLE"),
                json!("NOT_AVAILABLE"),
                json!(1)
            ]
        );
        api.assert_invariants();
    }
}

/// The players of a MatchmakerData document, sorted.
fn data_players(data: &Value) -> Vec<String> {
    let mut out: Vec<String> = data["teams"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["players"].as_array().into_iter().flatten())
        .filter_map(|p| p["playerId"].as_str().map(str::to_owned))
        .collect();
    out.sort();
    out
}

fn matchmaker_data(push: &Value) -> Value {
    let raw = push["GameSession"]["MatchmakerData"].as_str().or(push["MatchmakerData"].as_str());
    serde_json::from_str(raw.unwrap_or_default()).unwrap_or_default()
}

/// The newest backfill ticket the emulator started by itself (its MatchmakingSearching event).
async fn newest_auto_ticket(api: &Api) -> Option<String> {
    events(api).await.iter().rev().find_map(|e| {
        let t = &e["detail"]["tickets"][0];
        (e["detail"]["type"] == "MatchmakingSearching" && t["players"][0]["team"].is_string())
            .then(|| t["ticketId"].as_str().unwrap_or_default().to_string())
    })
}

/// An Anywhere game server `pid`, ready; an AUTOMATIC WITH_QUEUE configuration "cfg" on a 2×3
/// rule set whose tickets time out after `timeout` seconds; tickets t1..t4 (players p1..p4) started.
async fn automatic_game<'a>(api: &'a Api, pid: &str, timeout: u32) -> crate::game_servers::Process<'a> {
    let proto = Proto::Json;
    let mut p = crate::game_servers::Process::attach(api, pid);
    p.ok("ActivateServerProcess", json!({ "SdkVersion": "5.6.0", "Port": 7777, "LogPaths": null }));
    api.call(proto, "CreateMatchmakingRuleSet", json!({"Name": "roomy", "RuleSetBody": ROOMY_2X3}))
        .await
        .assert_ok();
    let queue = "arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/default-anywhere-queue";
    api.call(
        proto,
        "CreateMatchmakingConfiguration",
        json!({"Name": "cfg", "RuleSetName": "roomy", "RequestTimeoutSeconds": timeout, "AcceptanceRequired": false,
            "GameSessionQueueArns": [queue], "BackfillMode": "AUTOMATIC"}),
    )
    .await
    .assert_ok();
    for i in 1..=4 {
        ticket(api, proto, &format!("t{i}"), &format!("p{i}"), 10.0 + f64::from(i)).await;
    }
    p
}

#[tokio::test(start_paused = true)]
async fn backfill_mode_automatic_fills_open_slots_on_activation_after_each_backfill_and_when_a_player_leaves()
{
    let api = Api::new();
    let proto = Proto::Json;
    let mut p = automatic_game(&api, "proc-auto", 60).await;
    assert_eq!(status(&api, proto, "t1").await, "PLACING");
    let push = p.push().expect("CreateGameSession push");
    let data = matchmaker_data(&push);
    assert_eq!(
        (&data["autoBackfillMode"], &data["autoBackfillTicketId"]),
        (&json!("AUTOMATIC"), &Value::Null)
    );
    assert_eq!(newest_auto_ticket(&api).await, None, "nothing to backfill before the session is active");
    let gs = push["GameSessionId"].as_str().unwrap_or_default().to_string();
    p.ok("ActivateGameSession", json!({ "GameSessionId": gs }));

    // Active with 4 of 6 slots taken: the emulator asks for more players by itself.
    let auto1 = newest_auto_ticket(&api).await.expect("an automatic backfill on activation");
    let t = &describe(&api, proto, &[&auto1]).await[0];
    assert_eq!(t["Status"], "SEARCHING");
    assert_eq!(t["Players"].as_array().map(Vec::len), Some(4));
    ticket(&api, proto, "t5", "p5", 13.0).await;
    let push = p.push().expect("UpdateGameSession push");
    assert_eq!(
        (&push["UpdateReason"], &push["BackfillTicketId"]),
        (&json!("MATCHMAKING_DATA_UPDATED"), &json!(auto1))
    );
    let data = matchmaker_data(&push);
    assert_eq!(data["autoBackfillTicketId"], auto1.as_str());
    assert_eq!(data_players(&data), ["p1", "p2", "p3", "p4", "p5"]);

    // One slot still open: a second automatic backfill; t6 fills the game.
    let auto2 = newest_auto_ticket(&api).await.expect("a second automatic backfill");
    assert_ne!(auto2, auto1);
    ticket(&api, proto, "t6", "p6", 13.0).await;
    let push = p.push().expect("UpdateGameSession push");
    assert_eq!(push["BackfillTicketId"], auto2.as_str());
    assert_eq!(data_players(&matchmaker_data(&push)).len(), 6);
    assert_eq!(newest_auto_ticket(&api).await, Some(auto2.clone()), "full: no third backfill");

    // p1 leaves: a backfill without him, which t7 joins.
    let sessions = p.ok("DescribePlayerSessions", json!({ "GameSessionId": gs, "PlayerId": "p1" }));
    let ps = sessions["PlayerSessions"][0]["PlayerSessionId"].as_str().unwrap_or_default().to_string();
    p.ok("AcceptPlayerSession", json!({ "GameSessionId": gs, "PlayerSessionId": ps }));
    p.ok("RemovePlayerSession", json!({ "GameSessionId": gs, "PlayerSessionId": ps }));
    let auto3 = newest_auto_ticket(&api).await.expect("a backfill once a player left");
    assert_ne!(auto3, auto2);
    let players = describe(&api, proto, &[&auto3]).await[0]["Players"].clone();
    assert_eq!(players.as_array().map(Vec::len), Some(5));
    ticket(&api, proto, "t7", "p7", 12.0).await;
    let push = p.push().expect("UpdateGameSession push");
    assert_eq!(data_players(&matchmaker_data(&push)), ["p2", "p3", "p4", "p5", "p6", "p7"]);

    // Stopping an automatic backfill turns it off for the game session.
    let sessions = p.ok("DescribePlayerSessions", json!({ "GameSessionId": gs, "PlayerId": "p2" }));
    let ps = sessions["PlayerSessions"][0]["PlayerSessionId"].as_str().unwrap_or_default().to_string();
    p.ok("AcceptPlayerSession", json!({ "GameSessionId": gs, "PlayerSessionId": ps }));
    p.ok("RemovePlayerSession", json!({ "GameSessionId": gs, "PlayerSessionId": ps }));
    let auto4 = newest_auto_ticket(&api).await.expect("a backfill once p2 left");
    api.call(proto, "StopMatchmaking", json!({"TicketId": auto4})).await.assert_ok();
    let push = p.push().expect("UpdateGameSession push");
    assert_eq!(
        (&push["UpdateReason"], &push["BackfillTicketId"]),
        (&json!("BACKFILL_CANCELLED"), &json!(auto4))
    );
    let sessions = p.ok("DescribePlayerSessions", json!({ "GameSessionId": gs, "PlayerId": "p3" }));
    let ps = sessions["PlayerSessions"][0]["PlayerSessionId"].as_str().unwrap_or_default().to_string();
    p.ok("AcceptPlayerSession", json!({ "GameSessionId": gs, "PlayerSessionId": ps }));
    p.ok("RemovePlayerSession", json!({ "GameSessionId": gs, "PlayerSessionId": ps }));
    assert_eq!(newest_auto_ticket(&api).await, Some(auto4.clone()), "stopped: no new automatic backfill");

    // The game ends (the process ends): a backfill still searching is cancelled.
    let players: Vec<Value> = describe(&api, proto, &[&auto4]).await[0]["Players"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["PlayerId"] != "p3")
        .map(|p| json!({"PlayerId": p["PlayerId"], "Team": p["Team"]}))
        .collect();
    api.call(
        proto,
        "StartMatchBackfill",
        json!({"TicketId": "bf-end", "ConfigurationName": "cfg", "GameSessionArn": gs, "Players": players}),
    )
    .await
    .assert_ok();
    assert_eq!(status(&api, proto, "bf-end").await, "SEARCHING");
    p.ok("TerminateServerProcess", json!({}));
    let t = &describe(&api, proto, &["bf-end"]).await[0];
    assert_eq!((&t["Status"], &t["StatusMessage"]), (&json!("CANCELLED"), &json!("The game session ended.")));
    api.assert_invariants();
}

#[tokio::test(start_paused = true)]
async fn an_automatic_backfill_that_times_out_tells_the_server_and_starts_over() {
    let api = Api::new();
    let proto = Proto::Json;
    let mut p = automatic_game(&api, "proc-auto-timeout", 10).await;
    let push = p.push().expect("CreateGameSession push");
    let gs = push["GameSessionId"].as_str().unwrap_or_default().to_string();
    p.ok("ActivateGameSession", json!({ "GameSessionId": gs }));
    let auto1 = newest_auto_ticket(&api).await.expect("an automatic backfill on activation");
    advance(&api, 9.9).await;
    assert!(p.push().is_none(), "still searching");
    advance(&api, 0.2).await;
    let push = p.push().expect("UpdateGameSession push");
    assert_eq!(
        (&push["UpdateReason"], &push["BackfillTicketId"]),
        (&json!("BACKFILL_TIMED_OUT"), &json!(auto1))
    );
    assert_eq!(status(&api, proto, &auto1).await, "TIMED_OUT");
    let auto2 = newest_auto_ticket(&api).await.expect("a fresh automatic backfill");
    assert_ne!(auto2, auto1);
    assert_eq!(status(&api, proto, &auto2).await, "SEARCHING");
    // Switched to MANUAL, the configuration starts no more.
    api.call(proto, "UpdateMatchmakingConfiguration", json!({"Name": "cfg", "BackfillMode": "MANUAL"}))
        .await
        .assert_ok();
    advance(&api, 10.1).await;
    assert_eq!(p.push().map(|m| m["UpdateReason"].clone()), Some(json!("BACKFILL_TIMED_OUT")));
    assert_eq!(newest_auto_ticket(&api).await, Some(auto2));
    api.assert_invariants();
}
