//! Player-session operations.

use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::model::{self, PlayerSessionQuery, PlayerSessionStatus, World, paging};
use crate::state::Emulator;

const PLAYER_SESSIONS_TOKEN: &str = "ps";

/// The wire shape of a player session (connection details come from its game session).
pub(crate) fn player_session_dto(w: &World, p: &model::PlayerSession) -> dto::PlayerSession {
    let gs = w.game_session(p.game_session);
    dto::PlayerSession {
        player_session_id: Some(p.id.to_string()),
        player_id: Some(p.player_id.to_string()),
        game_session_id: gs.map(|g| g.arn.to_string()),
        fleet_id: gs.map(|g| g.fleet_id.to_string()),
        fleet_arn: gs.map(|g| g.fleet_arn.to_string()),
        creation_time: Some(dto::Timestamp(p.created_ms)),
        termination_time: p.terminated_ms.map(dto::Timestamp),
        status: Some(dto::PlayerSessionStatus::from_wire(p.status.as_str())),
        ip_address: gs.map(|g| g.ip_address.to_string()),
        dns_name: gs.map(|g| g.dns_name.to_string()),
        port: gs.map(|g| i32::from(g.port)),
        player_data: p.data.as_deref().map(str::to_owned),
    }
}

/// CreatePlayerSession.
pub(crate) fn create_player_session(
    em: &Emulator,
    input: dto::CreatePlayerSessionInput,
) -> ApiResult<dto::CreatePlayerSessionOutput> {
    let gs = input.game_session_id.unwrap_or_default();
    let player = (input.player_id.unwrap_or_default(), input.player_data);
    em.with_world(|w, now| {
        let seqs = w.create_player_sessions(now, &gs, vec![player])?;
        let p = seqs
            .first()
            .and_then(|s| w.player_session(*s))
            .ok_or_else(|| ApiError::InternalService("created player session vanished".into()))?;
        Ok(dto::CreatePlayerSessionOutput { player_session: Some(player_session_dto(w, p)) })
    })
}

/// CreatePlayerSessions: all or nothing; PlayerDataMap entries for players not in PlayerIds
/// are ignored, as documented.
pub(crate) fn create_player_sessions(
    em: &Emulator,
    input: dto::CreatePlayerSessionsInput,
) -> ApiResult<dto::CreatePlayerSessionsOutput> {
    let gs = input.game_session_id.unwrap_or_default();
    let mut data = input.player_data_map.unwrap_or_default();
    let players: Vec<(String, Option<String>)> = input
        .player_ids
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let d = data.remove(&p);
            (p, d)
        })
        .collect();
    em.with_world(|w, now| {
        let seqs = w.create_player_sessions(now, &gs, players)?;
        let sessions =
            seqs.iter().filter_map(|s| w.player_session(*s)).map(|p| player_session_dto(w, p)).collect();
        Ok(dto::CreatePlayerSessionsOutput { player_sessions: Some(sessions) })
    })
}

/// DescribePlayerSessions: by PlayerSessionId (Limit, NextToken and the status filter are
/// ignored), or by GameSessionId and/or PlayerId (the status filter is ignored with a PlayerId).
pub(crate) fn describe_player_sessions(
    em: &Emulator,
    input: dto::DescribePlayerSessionsInput,
) -> ApiResult<dto::DescribePlayerSessionsOutput> {
    let status = match input.player_session_status_filter.as_deref() {
        None => None,
        Some(s) => Some(PlayerSessionStatus::parse(s).ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "1 validation error detected: Value '{s}' at 'playerSessionStatusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RESERVED, ACTIVE, COMPLETED, TIMEDOUT]"
            ))
        })?),
    };
    if let Some(id) = input.player_session_id.as_deref() {
        if input.game_session_id.is_some() || input.player_id.is_some() {
            return Err(ApiError::InvalidRequest(
                "Specify a PlayerSessionId alone, or a GameSessionId and/or a PlayerId.".into(),
            ));
        }
        return em.with_world(|w, _| {
            let p = w.player_session_by_id(id)?;
            Ok(dto::DescribePlayerSessionsOutput {
                player_sessions: Some(vec![player_session_dto(w, p)]),
                next_token: None,
            })
        });
    }
    let after = input.next_token.as_deref().map(|t| paging::decode(PLAYER_SESSIONS_TOKEN, t)).transpose()?;
    em.with_world(|w, _| {
        let q = PlayerSessionQuery {
            game_session_id: input.game_session_id.as_deref(),
            player_id: input.player_id.as_deref(),
            status,
            after,
            limit: super::page_size(input.limit),
        };
        let (page, next) = w.list_player_sessions(&q)?;
        Ok(dto::DescribePlayerSessionsOutput {
            player_sessions: Some(page.into_iter().map(|p| player_session_dto(w, p)).collect()),
            next_token: next.map(|n| paging::encode(PLAYER_SESSIONS_TOKEN, n)),
        })
    })
}
