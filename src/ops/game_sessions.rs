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
        compute_name: None,
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

/// DescribeGameSessions.
pub(crate) fn describe_game_sessions(
    em: &Emulator,
    input: dto::DescribeGameSessionsInput,
) -> ApiResult<dto::DescribeGameSessionsOutput> {
    let status = status_filter(input.status_filter.as_deref())?;
    let after = input.next_token.as_deref().map(|t| paging::decode(GAME_SESSIONS_TOKEN, t)).transpose()?;
    em.with_world(|w, _| {
        if let Some(id) = input.game_session_id.as_deref() {
            if input.fleet_id.is_some() || input.alias_id.is_some() {
                return Err(ApiError::InvalidRequest(
                    "Specify either a GameSessionId, or a FleetId or AliasId, but not both.".into(),
                ));
            }
            let s = w.game_session_by_id(id)?;
            let keep = status.is_none_or(|st| s.status == st);
            return Ok(dto::DescribeGameSessionsOutput {
                game_sessions: Some(if keep { vec![game_session_dto(s)] } else { Vec::new() }),
                next_token: None,
            });
        }
        let fleet = w.target_fleet(input.fleet_id.as_deref(), input.alias_id.as_deref())?;
        let q = GameSessionQuery {
            location: input.location.as_deref(),
            status,
            after,
            limit: super::page_size(input.limit),
        };
        let (page, next) = w.list_game_sessions(fleet, &q);
        Ok(dto::DescribeGameSessionsOutput {
            game_sessions: Some(page.into_iter().map(game_session_dto).collect()),
            next_token: next.map(|n| paging::encode(GAME_SESSIONS_TOKEN, n)),
        })
    })
}
