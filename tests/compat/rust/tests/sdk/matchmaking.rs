//! FlexMatch over CBOR with the Rust SDK: rule sets (a bad one refused with a located message),
//! configurations (create, describe by name, ARN and rule set, the paginator, update), and
//! tickets with the emulator clock paused and moved by the test: four compatible tickets complete
//! in two teams, a far one waits for the expansion, StopMatchmaking, DescribeMatchmaking of
//! unknown IDs, and the AcceptMatch flow.

use aws_sdk_gamelift::Client;
use aws_sdk_gamelift::operation::accept_match::AcceptMatchError;
use aws_sdk_gamelift::operation::create_matchmaking_configuration::CreateMatchmakingConfigurationError;
use aws_sdk_gamelift::operation::delete_matchmaking_rule_set::DeleteMatchmakingRuleSetError;
use aws_sdk_gamelift::operation::start_matchmaking::StartMatchmakingError;
use aws_sdk_gamelift::operation::stop_matchmaking::StopMatchmakingError;
use aws_sdk_gamelift::operation::validate_matchmaking_rule_set::ValidateMatchmakingRuleSetError;
use aws_sdk_gamelift::types::{
    AcceptanceType, AttributeValue, FlexMatchMode, MatchmakingConfigurationStatus, MatchmakingTicket, Player,
};
use gamelift_emulator_compat::{ACCOUNT, Emulator, REGION, assert_code, assert_variant, ok, service_error};

/// Two teams of two; skills within 10 of each other, widened to 100 after 10 s.
const SKILL_2X2: &str = r#"{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
  "rules": [{"name": "SimilarSkill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 10}],
  "expansions": [{"target": "rules[SimilarSkill].maxDistance", "steps": [{"waitTimeSeconds": 10, "value": 100}]}]
}"#;

fn rule_set_arn(name: &str) -> String {
    format!("arn:aws:gamelift:{REGION}:{ACCOUNT}:matchmakingruleset/{name}")
}

fn config_arn(name: &str) -> String {
    format!("arn:aws:gamelift:{REGION}:{ACCOUNT}:matchmakingconfiguration/{name}")
}

async fn rule_set(client: &Client) {
    ok(
        client.create_matchmaking_rule_set().name("skill-2x2").rule_set_body(SKILL_2X2).send().await,
        "CreateMatchmakingRuleSet",
    );
}

async fn standalone(client: &Client, name: &str, acceptance: bool) {
    let mut req = client
        .create_matchmaking_configuration()
        .name(name)
        .rule_set_name("skill-2x2")
        .request_timeout_seconds(30)
        .acceptance_required(acceptance)
        .flex_match_mode(FlexMatchMode::Standalone);
    if acceptance {
        req = req.acceptance_timeout_seconds(10);
    }
    ok(req.send().await, "CreateMatchmakingConfiguration");
}

fn player(id: &str, skill: f64) -> Player {
    Player::builder()
        .player_id(id)
        .player_attributes("skill", AttributeValue::builder().n(skill).build())
        .latency_in_ms("us-east-1", 20)
        .build()
}

async fn start(
    client: &Client,
    config: &str,
    ticket: &str,
    player_id: &str,
    skill: f64,
) -> MatchmakingTicket {
    let out = ok(
        client
            .start_matchmaking()
            .ticket_id(ticket)
            .configuration_name(config)
            .players(player(player_id, skill))
            .send()
            .await,
        "StartMatchmaking",
    );
    out.matchmaking_ticket().expect("MatchmakingTicket").clone()
}

async fn describe(client: &Client, ids: &[&str]) -> Vec<MatchmakingTicket> {
    let mut req = client.describe_matchmaking();
    for id in ids {
        req = req.ticket_ids(*id);
    }
    ok(req.send().await, "DescribeMatchmaking").ticket_list().to_vec()
}

async fn statuses(client: &Client, ids: &[&str]) -> Vec<MatchmakingConfigurationStatus> {
    describe(client, ids).await.iter().filter_map(|t| t.status().cloned()).collect()
}

#[tokio::test]
async fn rule_sets_and_configurations_round_trip_over_cbor() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let valid = ok(
        client.validate_matchmaking_rule_set().rule_set_body(SKILL_2X2).send().await,
        "ValidateMatchmakingRuleSet",
    );
    assert_eq!(valid.valid(), Some(true));
    let bad =
        r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 0}]}"#;
    let err = service_error(
        client.validate_matchmaking_rule_set().rule_set_body(bad).send().await,
        "ValidateMatchmakingRuleSet (bad)",
    );
    assert_variant!(err, ValidateMatchmakingRuleSetError::InvalidRequestException(_));
    let message = assert_code(&err, "InvalidRequestException");
    assert!(message.contains("location: teams section: array index=0: red"), "{message}");

    let created = ok(
        client.create_matchmaking_rule_set().name("skill-2x2").rule_set_body(SKILL_2X2).send().await,
        "CreateMatchmakingRuleSet",
    );
    let rs = created.rule_set().expect("RuleSet");
    assert_eq!(rs.rule_set_arn(), Some(rule_set_arn("skill-2x2").as_str()));
    assert_eq!(rs.rule_set_body(), Some(SKILL_2X2));
    assert!(rs.creation_time().is_some());
    let by_arn = ok(
        client.describe_matchmaking_rule_sets().names(rule_set_arn("skill-2x2")).send().await,
        "DescribeMatchmakingRuleSets",
    );
    assert_eq!(by_arn.rule_sets(), std::slice::from_ref(rs));

    let created = ok(
        client
            .create_matchmaking_configuration()
            .name("ranked")
            .rule_set_name(rule_set_arn("skill-2x2"))
            .request_timeout_seconds(30)
            .acceptance_required(true)
            .acceptance_timeout_seconds(10)
            .flex_match_mode(FlexMatchMode::Standalone)
            .description("ranked 2v2")
            .custom_event_data("lobby=1")
            .notification_target(format!("arn:aws:sns:{REGION}:{ACCOUNT}:mm"))
            .send()
            .await,
        "CreateMatchmakingConfiguration",
    );
    let c = created.configuration().expect("Configuration");
    assert_eq!(c.configuration_arn(), Some(config_arn("ranked").as_str()));
    assert_eq!(
        (c.rule_set_name(), c.flex_match_mode()),
        (Some("skill-2x2"), Some(&FlexMatchMode::Standalone))
    );
    assert_eq!((c.acceptance_required(), c.acceptance_timeout_seconds()), (Some(true), Some(10)));
    assert_eq!(c.custom_event_data(), Some("lobby=1"));
    // WITH_QUEUE without a queue is refused.
    let err = service_error(
        client
            .create_matchmaking_configuration()
            .name("no-queue")
            .rule_set_name("skill-2x2")
            .request_timeout_seconds(30)
            .acceptance_required(false)
            .flex_match_mode(FlexMatchMode::WithQueue)
            .send()
            .await,
        "CreateMatchmakingConfiguration (no queue)",
    );
    assert_variant!(err, CreateMatchmakingConfigurationError::InvalidRequestException(_));
    for i in 0..3 {
        standalone(&client, &format!("casual-{i}"), false).await;
    }
    let mut names = Vec::new();
    let mut pages = client.describe_matchmaking_configurations().limit(2).into_paginator().send();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        page_count += 1;
        let page = ok(page, "DescribeMatchmakingConfigurations page");
        names.extend(page.configurations().iter().filter_map(|c| c.name().map(str::to_owned)));
    }
    assert_eq!(page_count, 2);
    assert_eq!(names, ["ranked", "casual-0", "casual-1", "casual-2"]);
    let by_rule_set = ok(
        client.describe_matchmaking_configurations().rule_set_name("skill-2x2").send().await,
        "DescribeMatchmakingConfigurations by RuleSetName",
    );
    assert_eq!(by_rule_set.configurations().len(), 4);

    let updated = ok(
        client
            .update_matchmaking_configuration()
            .name(config_arn("ranked"))
            .request_timeout_seconds(90)
            .description("ranked, slower")
            .send()
            .await,
        "UpdateMatchmakingConfiguration",
    );
    let u = updated.configuration().expect("Configuration");
    assert_eq!((u.request_timeout_seconds(), u.description()), (Some(90), Some("ranked, slower")));
    assert_eq!(u.acceptance_timeout_seconds(), Some(10), "members not given are kept");
    let described = ok(
        client.describe_matchmaking_configurations().names("ranked").send().await,
        "DescribeMatchmakingConfigurations by name",
    );
    assert_eq!(described.configurations(), std::slice::from_ref(u));

    let err = service_error(
        client.delete_matchmaking_rule_set().name("skill-2x2").send().await,
        "DeleteMatchmakingRuleSet (in use)",
    );
    assert_variant!(err, DeleteMatchmakingRuleSetError::InvalidRequestException(_));
    let message = assert_code(&err, "InvalidRequestException");
    assert!(message.contains("ranked"), "names the oldest configuration using it: {message}");
}

#[tokio::test]
async fn tickets_match_wait_for_the_expansion_stop_and_describe_over_cbor() {
    let emu = Emulator::start_with_args(&["--clock", "paused", "--matchmaking-seed", "3"]).await;
    let client = emu.client();
    rule_set(&client).await;
    standalone(&client, "cfg", false).await;

    for (i, skill) in [10.0, 12.0, 14.0, 60.0].into_iter().enumerate() {
        let t = start(&client, "cfg", &format!("t{}", i + 1), &format!("p{}", i + 1), skill).await;
        assert_eq!(t.status(), Some(&MatchmakingConfigurationStatus::Queued));
        assert_eq!(t.configuration_arn(), Some(config_arn("cfg").as_str()));
    }
    let searching = describe(&client, &["t1", "t2", "t3", "t4", "nobody"]).await;
    assert_eq!(searching.len(), 4, "unknown tickets are left out");
    assert!(searching.iter().all(|t| t.status() == Some(&MatchmakingConfigurationStatus::Searching)));
    assert!(searching.iter().all(|t| t.estimated_wait_time().is_some()), "searching: an estimate");
    emu.advance_clock(9.0).await;
    assert_eq!(statuses(&client, &["t4"]).await, [MatchmakingConfigurationStatus::Searching]);
    emu.advance_clock(1.0).await;
    let done = describe(&client, &["t1", "t2", "t3", "t4"]).await;
    let mut teams: Vec<&str> = Vec::new();
    for t in &done {
        assert_eq!(t.status(), Some(&MatchmakingConfigurationStatus::Completed), "{t:?}");
        assert!(t.end_time().is_some());
        assert!(t.game_session_connection_info().is_none(), "STANDALONE: no game session");
        teams.extend(t.players().iter().filter_map(|p| p.team()));
    }
    teams.sort_unstable();
    assert_eq!(teams, ["blue", "blue", "red", "red"]);
    assert!(describe(&client, &["nobody", "nothing"]).await.is_empty());

    // StopMatchmaking: CANCELLED once; again, or an unknown ticket, is refused.
    start(&client, "cfg", "lone", "p9", 10.0).await;
    ok(client.stop_matchmaking().ticket_id("lone").send().await, "StopMatchmaking");
    assert_eq!(statuses(&client, &["lone"]).await, [MatchmakingConfigurationStatus::Cancelled]);
    let err =
        service_error(client.stop_matchmaking().ticket_id("lone").send().await, "StopMatchmaking again");
    assert_variant!(err, StopMatchmakingError::InvalidRequestException(_));
    let err =
        service_error(client.stop_matchmaking().ticket_id("nobody").send().await, "StopMatchmaking unknown");
    assert_variant!(err, StopMatchmakingError::NotFoundException(_));
    // Team is only for backfill; an unknown configuration is not found.
    let err = service_error(
        client
            .start_matchmaking()
            .configuration_name("cfg")
            .players(Player::builder().player_id("p10").team("red").build())
            .send()
            .await,
        "StartMatchmaking with Team",
    );
    assert_variant!(err, StartMatchmakingError::InvalidRequestException(_));
    let err = service_error(
        client.start_matchmaking().configuration_name("nope").players(player("p10", 1.0)).send().await,
        "StartMatchmaking unknown configuration",
    );
    assert_variant!(err, StartMatchmakingError::NotFoundException(_));
}

#[tokio::test]
async fn accept_match_completes_when_all_accept_and_a_rejection_cancels_only_its_ticket() {
    let emu = Emulator::start_with_args(&["--clock", "paused"]).await;
    let client = emu.client();
    rule_set(&client).await;
    standalone(&client, "cfg", true).await;
    let accept = |ticket: &str, player: &str, how: AcceptanceType| {
        client.accept_match().ticket_id(ticket).player_ids(player).acceptance_type(how).send()
    };

    for i in 1..=4 {
        start(&client, "cfg", &format!("t{i}"), &format!("p{i}"), 10.0 + f64::from(i)).await;
    }
    let ids = ["t1", "t2", "t3", "t4"];
    assert_eq!(statuses(&client, &ids).await, vec![MatchmakingConfigurationStatus::RequiresAcceptance; 4]);
    let err = service_error(accept("t1", "p2", AcceptanceType::Accept).await, "AcceptMatch (not his ticket)");
    assert_variant!(err, AcceptMatchError::InvalidRequestException(_));
    for i in 1..=4 {
        ok(accept(&format!("t{i}"), &format!("p{i}"), AcceptanceType::Accept).await, "AcceptMatch");
    }
    assert_eq!(statuses(&client, &ids).await, vec![MatchmakingConfigurationStatus::Completed; 4]);
    let err = service_error(accept("t1", "p1", AcceptanceType::Accept).await, "AcceptMatch (completed)");
    assert_variant!(err, AcceptMatchError::InvalidRequestException(_));

    for i in 5..=8 {
        start(&client, "cfg", &format!("t{i}"), &format!("p{i}"), 10.0 + f64::from(i)).await;
    }
    ok(accept("t5", "p5", AcceptanceType::Accept).await, "AcceptMatch");
    ok(accept("t6", "p6", AcceptanceType::Reject).await, "AcceptMatch (reject)");
    let after = describe(&client, &["t5", "t6", "t7", "t8"]).await;
    let st: Vec<_> = after.iter().filter_map(|t| t.status().cloned()).collect();
    use MatchmakingConfigurationStatus::{Cancelled, Searching};
    assert_eq!(st, [Searching, Cancelled, Searching, Searching]);
    assert_eq!(after[0].status_reason(), Some("ACCEPTANCE_FAILED"));
    assert!(after[0].players().iter().all(|p| p.team().is_none()), "teams are dropped with the match");
    let err = service_error(accept("nobody", "p1", AcceptanceType::Accept).await, "AcceptMatch unknown");
    assert_variant!(err, AcceptMatchError::NotFoundException(_));
}
