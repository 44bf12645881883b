//! Game-session operations.

use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::model::{self, CreateGameSession, GameSessionQuery, GameSessionStatus, paging};
use crate::state::Emulator;

const GAME_SESSIONS_TOKEN: &str = "gs";

/// The wire shape of a game session.
pub(crate) fn game_session_dto(s: &model::GameSession) -> dto::GameSession {
    dto::GameSession {
        game_session_id: Some(s.arn.to_string()),
        name: s.name.as_deref().map(str::to_owned),
        fleet_id: Some(s.fleet_id.to_string()),
        fleet_arn: Some(s.fleet_arn.to_string()),
        creation_time: Some(dto::Timestamp(s.created_ms)),
        termination_time: s.terminated_ms.map(dto::Timestamp),
        current_player_session_count: Some(s.current_players as i32),
        maximum_player_session_count: Some(s.max_players as i32),
        status: Some(dto::GameSessionStatus::from_wire(s.status.as_str())),
        status_reason: s.status_reason.map(|r| dto::GameSessionStatusReason::from_wire(r.as_str())),
        game_properties: Some(
            s.properties
                .iter()
                .map(|(k, v)| dto::GameProperty { key: Some(k.to_string()), value: Some(v.to_string()) })
                .collect(),
        ),
        ip_address: Some(s.ip_address.to_string()),
        dns_name: Some(s.dns_name.to_string()),
        port: Some(i32::from(s.port)),
        player_session_creation_policy: Some(dto::PlayerSessionCreationPolicy::from_wire(s.policy.as_str())),
        creator_id: s.creator_id.as_deref().map(str::to_owned),
        game_session_data: s.data.as_deref().map(str::to_owned),
        matchmaker_data: s.matchmaker_data.as_deref().map(str::to_owned),
        location: Some(s.location.to_string()),
        compute_name: match &s.host {
            model::game_session::Host::Process { compute, .. } => Some(compute.to_string()),
            model::game_session::Host::Instance { .. } => None,
        },
        player_gateway_status: None,
    }
}

/// CreateGameSession.
pub(crate) fn create_game_session(
    em: &Emulator,
    input: dto::CreateGameSessionInput,
) -> ApiResult<dto::CreateGameSessionOutput> {
    let req = CreateGameSession {
        fleet_id: input.fleet_id,
        alias_id: input.alias_id,
        maximum_player_session_count: input.maximum_player_session_count.unwrap_or(0).max(0) as u32,
        name: input.name,
        game_properties: input
            .game_properties
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.key.unwrap_or_default(), p.value.unwrap_or_default()))
            .collect(),
        creator_id: input.creator_id,
        game_session_id: input.game_session_id,
        idempotency_token: input.idempotency_token,
        game_session_data: input.game_session_data,
        location: input.location,
        matchmaker_data: None,
    };
    em.with_world(|w, now| {
        let seq = w.create_game_session(now, req)?;
        let s = w
            .game_session(seq)
            .ok_or_else(|| ApiError::InternalService("created game session vanished".into()))?;
        Ok(dto::CreateGameSessionOutput { game_session: Some(game_session_dto(s)) })
    })
}

/// Parses a game-session StatusFilter.
fn status_filter(s: Option<&str>) -> ApiResult<Option<GameSessionStatus>> {
    match s {
        None => Ok(None),
        Some(v) => match GameSessionStatus::parse(v) {
            Some(
                st @ (GameSessionStatus::Active
                | GameSessionStatus::Activating
                | GameSessionStatus::Terminated
                | GameSessionStatus::Terminating),
            ) => Ok(Some(st)),
            _ => Err(ApiError::InvalidRequest(format!(
                "1 validation error detected: Value '{v}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [ACTIVE, ACTIVATING, TERMINATED, TERMINATING]"
            ))),
        },
    }
}

/// One page of the game sessions DescribeGameSessions(Details) selects, each turned into an output item by `item` inside
/// the same critical section, and the NextToken.
fn describe_page<T>(
    em: &Emulator,
    sel: dto::DescribeGameSessionsInput,
    item: impl Fn(&model::GameSession) -> T,
) -> ApiResult<(Vec<T>, Option<String>)> {
    let status = status_filter(sel.status_filter.as_deref())?;
    let after = sel.next_token.as_deref().map(|t| paging::decode(GAME_SESSIONS_TOKEN, t)).transpose()?;
    em.with_world(|w, _| {
        if let Some(id) = sel.game_session_id.as_deref() {
            if sel.fleet_id.is_some() || sel.alias_id.is_some() {
                return Err(ApiError::InvalidRequest(
                    "Specify either a GameSessionId, or a FleetId or AliasId, but not both.".into(),
                ));
            }
            let s = w.game_session_by_id(id)?;
            let keep = status.is_none_or(|st| s.status == st);
            return Ok((if keep { vec![item(s)] } else { Vec::new() }, None));
        }
        let fleet = w.target_fleet(sel.fleet_id.as_deref(), sel.alias_id.as_deref())?;
        let q = GameSessionQuery {
            location: sel.location.as_deref(),
            status,
            after,
            limit: super::page_size(sel.limit),
        };
        let (page, next) = w.list_game_sessions(fleet, &q);
        Ok((page.into_iter().map(item).collect(), next.map(|n| paging::encode(GAME_SESSIONS_TOKEN, n))))
    })
}

/// DescribeGameSessions.
pub(crate) fn describe_game_sessions(
    em: &Emulator,
    input: dto::DescribeGameSessionsInput,
) -> ApiResult<dto::DescribeGameSessionsOutput> {
    let (sessions, next_token) = describe_page(em, input, game_session_dto)?;
    Ok(dto::DescribeGameSessionsOutput { game_sessions: Some(sessions), next_token })
}

/// DescribeGameSessionDetails: DescribeGameSessions plus each session's protection policy.
pub(crate) fn describe_game_session_details(
    em: &Emulator,
    input: dto::DescribeGameSessionDetailsInput,
) -> ApiResult<dto::DescribeGameSessionDetailsOutput> {
    // The same members as DescribeGameSessionsInput.
    let sel = dto::DescribeGameSessionsInput {
        game_session_id: input.game_session_id,
        fleet_id: input.fleet_id,
        alias_id: input.alias_id,
        location: input.location,
        status_filter: input.status_filter,
        limit: input.limit,
        next_token: input.next_token,
    };
    let (details, next_token) = describe_page(em, sel, |s| dto::GameSessionDetail {
        game_session: Some(game_session_dto(s)),
        protection_policy: Some(dto::ProtectionPolicy::from_wire(s.protection.as_str())),
    })?;
    Ok(dto::DescribeGameSessionDetailsOutput { game_session_details: Some(details), next_token })
}

/// UpdateGameSession.
pub(crate) fn update_game_session(
    em: &Emulator,
    input: dto::UpdateGameSessionInput,
) -> ApiResult<dto::UpdateGameSessionOutput> {
    let req = model::UpdateGameSession {
        game_session_id: input.game_session_id.unwrap_or_default(),
        maximum_player_session_count: input.maximum_player_session_count.map(|n| n.max(0) as u32),
        name: input.name,
        policy: input
            .player_session_creation_policy
            .and_then(|p| model::PlayerSessionCreationPolicy::parse(p.as_str())),
        protection: input.protection_policy.and_then(|p| model::ProtectionPolicy::parse(p.as_str())),
        game_properties: input.game_properties.map(|props| {
            props.into_iter().map(|p| (p.key.unwrap_or_default(), p.value.unwrap_or_default())).collect()
        }),
    };
    em.with_world(|w, _| {
        let seq = w.update_game_session(req)?;
        let s = w
            .game_session(seq)
            .ok_or_else(|| ApiError::InternalService("updated game session vanished".into()))?;
        Ok(dto::UpdateGameSessionOutput { game_session: Some(game_session_dto(s)) })
    })
}

/// TerminateGameSession.
pub(crate) fn terminate_game_session(
    em: &Emulator,
    input: dto::TerminateGameSessionInput,
) -> ApiResult<dto::TerminateGameSessionOutput> {
    let id = input.game_session_id.unwrap_or_default();
    let mode = input
        .termination_mode
        .and_then(|m| model::TerminationMode::parse(m.as_str()))
        .ok_or_else(|| ApiError::InvalidRequest("TerminationMode is required.".into()))?;
    em.with_world(|w, now| {
        let seq = w.terminate_game_session(now, &id, mode)?;
        let s = w
            .game_session(seq)
            .ok_or_else(|| ApiError::InternalService("terminated game session vanished".into()))?;
        Ok(dto::TerminateGameSessionOutput { game_session: Some(game_session_dto(s)) })
    })
}

/// GetGameSessionLogUrl: a URL the emulator itself serves, with a small lifecycle log.
pub(crate) fn get_game_session_log_url(
    em: &Emulator,
    input: dto::GetGameSessionLogUrlInput,
) -> ApiResult<dto::GetGameSessionLogUrlOutput> {
    let id = input.game_session_id.unwrap_or_default();
    em.with_world(|w, _| w.game_session_by_id(&id).map(|_| ()))?;
    let query = serde_urlencoded::to_string([("GameSessionId", id.as_str())])
        .map_err(|e| ApiError::InternalService(format!("cannot encode the log URL: {e}")))?;
    Ok(dto::GetGameSessionLogUrlOutput {
        pre_signed_url: Some(format!("{}/_emulator/game-session-logs?{query}", em.public_url())),
    })
}

/// GetPlayerConnectionDetails: without player gateway, each player connects straight to the
/// game session's address.
pub(crate) fn get_player_connection_details(
    em: &Emulator,
    input: dto::GetPlayerConnectionDetailsInput,
) -> ApiResult<dto::GetPlayerConnectionDetailsOutput> {
    let id = input.game_session_id.unwrap_or_default();
    em.with_world(|w, _| {
        let s = w.game_session_by_id(&id)?;
        if s.status != GameSessionStatus::Active {
            return Err(ApiError::InvalidGameSessionStatus(format!(
                "Game session {id} is in status {}; connection details exist only for ACTIVE game sessions.",
                s.status
            )));
        }
        let details = input
            .player_ids
            .unwrap_or_default()
            .into_iter()
            .map(|player| dto::PlayerConnectionDetail {
                player_id: Some(player),
                endpoints: Some(vec![dto::PlayerConnectionEndpoint {
                    ip_address: Some(s.ip_address.to_string()),
                    port: Some(i32::from(s.port)),
                }]),
                player_gateway_token: None,
                expiration: None,
            })
            .collect();
        Ok(dto::GetPlayerConnectionDetailsOutput {
            game_session_id: Some(s.arn.to_string()),
            player_connection_details: Some(details),
        })
    })
}

const SEARCH_BY_CREATION: &str = "sc";
const SEARCH_BY_OFFSET: &str = "so";
/// SearchGameSessions returns at most 20 results a page, whatever Limit says.
const SEARCH_PAGE_MAX: usize = 20;

/// SearchGameSessions.
pub(crate) fn search_game_sessions(
    em: &Emulator,
    input: dto::SearchGameSessionsInput,
) -> ApiResult<dto::SearchGameSessionsOutput> {
    let filter = input
        .filter_expression
        .as_deref()
        .map(model::search::parse_filter)
        .transpose()
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let sort = input
        .sort_expression
        .as_deref()
        .map(model::search::parse_sort)
        .transpose()
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let cursor = match input.next_token.as_deref() {
        None => None,
        Some(t) => Some(
            paging::decode(SEARCH_BY_CREATION, t).map(model::game_session::SearchCursor::After).or_else(
                |_| paging::decode(SEARCH_BY_OFFSET, t).map(model::game_session::SearchCursor::Offset),
            )?,
        ),
    };
    let limit = input.limit.map_or(SEARCH_PAGE_MAX, |l| (l.max(1) as usize).min(SEARCH_PAGE_MAX));
    em.with_world(|w, _| {
        let fleet = w.target_fleet(input.fleet_id.as_deref(), input.alias_id.as_deref())?;
        if let Some(loc) = input.location.as_deref() {
            model::game_session::locate(fleet, loc)?;
        }
        let q = model::SearchQuery {
            location: input.location.as_deref(),
            filter: filter.as_ref(),
            sort: sort.as_ref(),
            cursor,
            limit,
        };
        let (page, next) = w.search_game_sessions(fleet, &q);
        Ok(dto::SearchGameSessionsOutput {
            game_sessions: Some(page.into_iter().map(game_session_dto).collect()),
            next_token: next.map(|c| match c {
                model::game_session::SearchCursor::After(seq) => paging::encode(SEARCH_BY_CREATION, seq),
                model::game_session::SearchCursor::Offset(n) => paging::encode(SEARCH_BY_OFFSET, n),
            }),
        })
    })
}
