//! FlexMatch operations: rule sets, configurations, tickets and acceptance.

use std::collections::BTreeMap;

use super::tags::tags_from_dto;
use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::flexmatch::{self, AttrValue};
use crate::model::matchmaking::{ConfigRequest, MatchmakingConfig, RuleSetRecord, Ticket, TicketPlayer};
use crate::model::paging;
use crate::state::Emulator;

const RULE_SETS_TOKEN: &str = "mmrs";
const CONFIGS_TOKEN: &str = "mmc";
/// The largest page of rule sets or configurations (the API's documented limit).
const MAX_PAGE: usize = 10;

fn page_limit(limit: Option<i32>) -> usize {
    limit.map_or(MAX_PAGE, |l| (l.max(1) as usize).min(MAX_PAGE))
}

fn rule_set_dto(r: &RuleSetRecord) -> dto::MatchmakingRuleSet {
    dto::MatchmakingRuleSet {
        rule_set_name: Some(r.name.to_string()),
        rule_set_arn: Some(r.arn.to_string()),
        rule_set_body: Some(r.body.clone()),
        creation_time: Some(dto::Timestamp(r.creation_ms)),
    }
}

pub(crate) fn config_dto(c: &MatchmakingConfig) -> dto::MatchmakingConfiguration {
    let s = &c.spec;
    dto::MatchmakingConfiguration {
        name: Some(c.name.to_string()),
        configuration_arn: Some(c.arn.to_string()),
        description: s.description.clone(),
        game_session_queue_arns: Some(s.queue_arns.clone()),
        request_timeout_seconds: Some(s.request_timeout_s as i32),
        acceptance_timeout_seconds: s.acceptance_timeout_s.map(|t| t as i32),
        acceptance_required: Some(s.acceptance_required),
        rule_set_name: Some(c.rule_set_name.to_string()),
        rule_set_arn: Some(c.rule_set_arn.to_string()),
        notification_target: s.notification_target.clone(),
        additional_player_count: Some(s.additional_player_count.min(i32::MAX as u32) as i32),
        custom_event_data: s.custom_event_data.clone(),
        creation_time: Some(dto::Timestamp(c.creation_ms)),
        game_properties: Some(
            s.game_properties
                .iter()
                .map(|(k, v)| dto::GameProperty { key: Some(k.clone()), value: Some(v.clone()) })
                .collect(),
        ),
        game_session_data: s.game_session_data.clone(),
        backfill_mode: s.backfill_mode.map(|b| dto::BackfillMode::from_wire(b.as_str())),
        flex_match_mode: Some(dto::FlexMatchMode::from_wire(s.mode.as_str())),
    }
}

fn attr_dto(v: &AttrValue) -> dto::AttributeValue {
    match v {
        AttrValue::S(s) => dto::AttributeValue { s: Some(s.clone()), ..Default::default() },
        AttrValue::N(n) => dto::AttributeValue { n: Some(*n), ..Default::default() },
        AttrValue::SL(l) => dto::AttributeValue { sl: Some(l.clone()), ..Default::default() },
        AttrValue::SDM(m) => dto::AttributeValue { sdm: Some(m.clone()), ..Default::default() },
    }
}

pub(crate) fn ticket_dto(t: &Ticket) -> dto::MatchmakingTicket {
    dto::MatchmakingTicket {
        ticket_id: Some(t.id.to_string()),
        configuration_name: Some(t.config.to_string()),
        configuration_arn: Some(t.config_arn.to_string()),
        status: Some(dto::MatchmakingConfigurationStatus::from_wire(t.status.as_str())),
        status_reason: t.reason.clone(),
        status_message: t.message.clone(),
        start_time: Some(dto::Timestamp(t.start.wall_ms)),
        end_time: t.end_ms.map(dto::Timestamp),
        players: Some(
            t.players
                .iter()
                .map(|p| dto::Player {
                    player_id: Some(p.id.clone()),
                    player_attributes: (!p.attributes.is_empty())
                        .then(|| p.attributes.iter().map(|(k, v)| (k.clone(), attr_dto(v))).collect()),
                    team: p.team.clone(),
                    latency_in_ms: (!p.latency_ms.is_empty())
                        .then(|| p.latency_ms.iter().map(|(k, v)| (k.clone(), *v as i32)).collect()),
                })
                .collect(),
        ),
        game_session_connection_info: t.connection.as_ref().map(|c| dto::GameSessionConnectionInfo {
            game_session_arn: Some(c.game_session_arn.to_string()),
            ip_address: Some(c.ip_address.to_string()),
            dns_name: Some(c.dns_name.to_string()),
            port: Some(i32::from(c.port)),
            matched_player_sessions: Some(
                t.players
                    .iter()
                    .map(|p| dto::MatchedPlayerSession {
                        player_id: Some(p.id.clone()),
                        player_session_id: p.player_session_id.clone(),
                    })
                    .collect(),
            ),
            player_gateway_status: None,
        }),
        estimated_wait_time: t.estimated_wait_s.map(|s| s.min(i32::MAX as u32) as i32),
    }
}

/// A Players list as the model takes it; each attribute must carry exactly one value.
pub(crate) fn players(list: Vec<dto::Player>) -> ApiResult<Vec<TicketPlayer>> {
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.into_iter().enumerate() {
        let mut attributes = BTreeMap::new();
        for (name, v) in p.player_attributes.unwrap_or_default() {
            let given = [v.s.is_some(), v.n.is_some(), v.sl.is_some(), v.sdm.is_some()];
            if given.iter().filter(|g| **g).count() != 1 {
                return Err(ApiError::InvalidRequest(format!(
                    "Players[{}].PlayerAttributes.{name} must have exactly one of S, N, SL or SDM.",
                    i + 1
                )));
            }
            let value = if let Some(s) = v.s {
                AttrValue::S(s)
            } else if let Some(n) = v.n {
                if !n.is_finite() {
                    return Err(ApiError::InvalidRequest(format!(
                        "Players[{}].PlayerAttributes.{name}.N must be a finite number.",
                        i + 1
                    )));
                }
                AttrValue::N(n)
            } else if let Some(mut l) = v.sl {
                let mut seen = std::collections::BTreeSet::new();
                l.retain(|s| seen.insert(s.clone()));
                AttrValue::SL(l)
            } else {
                AttrValue::SDM(v.sdm.unwrap_or_default())
            };
            attributes.insert(name, value);
        }
        let mut latency_ms = BTreeMap::new();
        for (region, ms) in p.latency_in_ms.unwrap_or_default() {
            if ms < 1 {
                return Err(ApiError::InvalidRequest(format!(
                    "Players[{}].LatencyInMs.{region} must be 1 or more.",
                    i + 1
                )));
            }
            latency_ms.insert(region, i64::from(ms));
        }
        out.push(TicketPlayer {
            id: p.player_id.unwrap_or_default(),
            attributes,
            team: p.team,
            latency_ms,
            accepted: None,
            player_session_id: None,
        });
    }
    Ok(out)
}

/// CreateMatchmakingRuleSet.
pub(crate) fn create_matchmaking_rule_set(
    em: &Emulator,
    input: dto::CreateMatchmakingRuleSetInput,
) -> ApiResult<dto::CreateMatchmakingRuleSetOutput> {
    let name = input.name.unwrap_or_default();
    let body = input.rule_set_body.unwrap_or_default();
    let tags = tags_from_dto(input.tags);
    em.with_world(|w, now| {
        let r = w.create_rule_set(name, body, tags, now)?;
        Ok(dto::CreateMatchmakingRuleSetOutput { rule_set: Some(rule_set_dto(r)) })
    })
}

/// ValidateMatchmakingRuleSet: `{Valid: true}`, or InvalidRequestException with a located message.
pub(crate) fn validate_matchmaking_rule_set(
    _em: &Emulator,
    input: dto::ValidateMatchmakingRuleSetInput,
) -> ApiResult<dto::ValidateMatchmakingRuleSetOutput> {
    flexmatch::parse_rule_set(input.rule_set_body.as_deref().unwrap_or_default())
        .map_err(ApiError::InvalidRequest)?;
    Ok(dto::ValidateMatchmakingRuleSetOutput { valid: Some(true) })
}

/// DescribeMatchmakingRuleSets: the named ones (NotFoundException if one is missing), or a page of all.
pub(crate) fn describe_matchmaking_rule_sets(
    em: &Emulator,
    input: dto::DescribeMatchmakingRuleSetsInput,
) -> ApiResult<dto::DescribeMatchmakingRuleSetsOutput> {
    let after = input.next_token.as_deref().map(|t| paging::decode(RULE_SETS_TOKEN, t)).transpose()?;
    em.with_world(|w, _| {
        if let Some(names) = input.names.as_ref().filter(|n| !n.is_empty()) {
            let found =
                names.iter().map(|n| w.rule_set(n).map(rule_set_dto)).collect::<ApiResult<Vec<_>>>()?;
            return Ok(dto::DescribeMatchmakingRuleSetsOutput { rule_sets: Some(found), next_token: None });
        }
        let (page, next) = w.list_rule_sets(after, page_limit(input.limit));
        Ok(dto::DescribeMatchmakingRuleSetsOutput {
            rule_sets: Some(page.into_iter().map(rule_set_dto).collect()),
            next_token: next.map(|n| paging::encode(RULE_SETS_TOKEN, n)),
        })
    })
}

/// DeleteMatchmakingRuleSet.
pub(crate) fn delete_matchmaking_rule_set(
    em: &Emulator,
    input: dto::DeleteMatchmakingRuleSetInput,
) -> ApiResult<dto::DeleteMatchmakingRuleSetOutput> {
    let name = input.name.unwrap_or_default();
    em.with_world(|w, _| w.delete_rule_set(&name))?;
    Ok(dto::DeleteMatchmakingRuleSetOutput {})
}

fn properties(p: Option<Vec<dto::GameProperty>>) -> Option<Vec<(String, String)>> {
    p.map(|l| l.into_iter().map(|p| (p.key.unwrap_or_default(), p.value.unwrap_or_default())).collect())
}

/// CreateMatchmakingConfiguration.
pub(crate) fn create_matchmaking_configuration(
    em: &Emulator,
    input: dto::CreateMatchmakingConfigurationInput,
) -> ApiResult<dto::CreateMatchmakingConfigurationOutput> {
    let (req, tags) = config_request(input);
    em.with_world(|w, now| {
        let c = w.create_matchmaking_config(req, tags, now)?;
        Ok(dto::CreateMatchmakingConfigurationOutput { configuration: Some(config_dto(c)) })
    })
}

/// The members Create- and UpdateMatchmakingConfiguration share (the two inputs name them
/// alike), as the model takes them.
macro_rules! config_request {
    ($input:expr) => {{
        let input = $input;
        ConfigRequest {
            name: input.name.unwrap_or_default(),
            rule_set: input.rule_set_name,
            description: input.description,
            queue_arns: input.game_session_queue_arns,
            request_timeout_s: input.request_timeout_seconds.map(i64::from),
            acceptance_timeout_s: input.acceptance_timeout_seconds.map(i64::from),
            acceptance_required: input.acceptance_required,
            notification_target: input.notification_target,
            additional_player_count: input.additional_player_count.map(i64::from),
            custom_event_data: input.custom_event_data,
            game_properties: properties(input.game_properties),
            game_session_data: input.game_session_data,
            backfill_mode: input.backfill_mode.map(|b| b.as_str().to_owned()),
            mode: input.flex_match_mode.map(|m| m.as_str().to_owned()),
        }
    }};
}

/// A CreateMatchmakingConfiguration input as the model takes it (also for fixtures).
pub(crate) fn config_request(
    mut input: dto::CreateMatchmakingConfigurationInput,
) -> (ConfigRequest, Vec<(String, String)>) {
    let tags = tags_from_dto(input.tags.take());
    (config_request!(input), tags)
}

/// DescribeMatchmakingConfigurations: by Names (unknown ones left out), by RuleSetName, or all.
pub(crate) fn describe_matchmaking_configurations(
    em: &Emulator,
    input: dto::DescribeMatchmakingConfigurationsInput,
) -> ApiResult<dto::DescribeMatchmakingConfigurationsOutput> {
    let after = input.next_token.as_deref().map(|t| paging::decode(CONFIGS_TOKEN, t)).transpose()?;
    em.with_world(|w, _| {
        if let Some(names) = input.names.as_ref().filter(|n| !n.is_empty()) {
            let found = names.iter().filter_map(|n| w.matchmaking_config(n).ok()).map(config_dto).collect();
            return Ok(dto::DescribeMatchmakingConfigurationsOutput {
                configurations: Some(found),
                next_token: None,
            });
        }
        let (page, next) =
            w.list_matchmaking_configs(input.rule_set_name.as_deref(), after, page_limit(input.limit));
        Ok(dto::DescribeMatchmakingConfigurationsOutput {
            configurations: Some(page.into_iter().map(config_dto).collect()),
            next_token: next.map(|n| paging::encode(CONFIGS_TOKEN, n)),
        })
    })
}

/// UpdateMatchmakingConfiguration.
pub(crate) fn update_matchmaking_configuration(
    em: &Emulator,
    input: dto::UpdateMatchmakingConfigurationInput,
) -> ApiResult<dto::UpdateMatchmakingConfigurationOutput> {
    let req = config_request!(input);
    em.with_world(|w, _| {
        let c = w.update_matchmaking_config(req)?;
        Ok(dto::UpdateMatchmakingConfigurationOutput { configuration: Some(config_dto(c)) })
    })
}

/// DeleteMatchmakingConfiguration.
pub(crate) fn delete_matchmaking_configuration(
    em: &Emulator,
    input: dto::DeleteMatchmakingConfigurationInput,
) -> ApiResult<dto::DeleteMatchmakingConfigurationOutput> {
    let name = input.name.unwrap_or_default();
    em.with_world(|w, _| w.delete_matchmaking_config(&name))?;
    Ok(dto::DeleteMatchmakingConfigurationOutput {})
}

/// StartMatchmaking.
pub(crate) fn start_matchmaking(
    em: &Emulator,
    input: dto::StartMatchmakingInput,
) -> ApiResult<dto::StartMatchmakingOutput> {
    let players = players(input.players.unwrap_or_default())?;
    let config = input.configuration_name.unwrap_or_default();
    em.with_world(|w, now| {
        let t = w.start_matchmaking(input.ticket_id, &config, players, now)?;
        Ok(dto::StartMatchmakingOutput { matchmaking_ticket: Some(ticket_dto(t)) })
    })
}

/// StartMatchBackfill: a QUEUED backfill ticket for the players already in the game session.
pub(crate) fn start_match_backfill(
    em: &Emulator,
    input: dto::StartMatchBackfillInput,
) -> ApiResult<dto::StartMatchBackfillOutput> {
    let players = players(input.players.unwrap_or_default())?;
    let config = input.configuration_name.unwrap_or_default();
    em.with_world(|w, now| {
        let t = w.start_match_backfill(
            input.ticket_id,
            &config,
            input.game_session_arn.as_deref(),
            players,
            now,
        )?;
        Ok(dto::StartMatchBackfillOutput { matchmaking_ticket: Some(ticket_dto(t)) })
    })
}

/// DescribeMatchmaking: the tickets that exist, in the order asked.
pub(crate) fn describe_matchmaking(
    em: &Emulator,
    input: dto::DescribeMatchmakingInput,
) -> ApiResult<dto::DescribeMatchmakingOutput> {
    let ids = input.ticket_ids.unwrap_or_default();
    if ids.len() > 10 {
        return Err(ApiError::InvalidRequest(format!(
            "TicketIds lists {} tickets; at most 10 can be described at once.",
            ids.len()
        )));
    }
    em.with_world(|w, _| {
        let list = ids.iter().filter_map(|id| w.ticket(id)).map(ticket_dto).collect();
        Ok(dto::DescribeMatchmakingOutput { ticket_list: Some(list) })
    })
}

/// StopMatchmaking.
pub(crate) fn stop_matchmaking(
    em: &Emulator,
    input: dto::StopMatchmakingInput,
) -> ApiResult<dto::StopMatchmakingOutput> {
    let id = input.ticket_id.unwrap_or_default();
    em.with_world(|w, now| w.stop_matchmaking(&id, now))?;
    Ok(dto::StopMatchmakingOutput {})
}

/// AcceptMatch.
pub(crate) fn accept_match(em: &Emulator, input: dto::AcceptMatchInput) -> ApiResult<dto::AcceptMatchOutput> {
    let id = input.ticket_id.unwrap_or_default();
    let players = input.player_ids.unwrap_or_default();
    let accept = match input.acceptance_type {
        Some(dto::AcceptanceType::Accept) => true,
        Some(dto::AcceptanceType::Reject) => false,
        _ => return Err(ApiError::InvalidRequest("AcceptanceType must be ACCEPT or REJECT.".into())),
    };
    em.with_world(|w, now| w.accept_match(&id, &players, accept, now))?;
    Ok(dto::AcceptMatchOutput {})
}
