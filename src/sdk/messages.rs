//! One request frame in, one reply frame out: `handle` reads the envelope, decodes the action's
//! request type (`requests.rs`), calls the model through the process's `ServerProcess` handle
//! (or a query), and encodes the result (`replies.rs`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ProcessIdentity;
use super::replies::{
    self, DescribePlayerSessionsResult, Done, GetComputeCertificateResult, GetFleetRoleCredentialsResult,
    StartMatchBackfillResult,
};
use super::requests::{self, *};
use crate::error::{ApiError, ApiResult};
use crate::model::{PlayerSessionCreationPolicy, PlayerSessionQuery, PlayerSessionStatus, World, paging};
use crate::state::Emulator;

const PLAYER_SESSIONS_TOKEN: &str = "sdk-ps";

/// Who sent the request being served, and under which `Action` and `RequestId`.
struct Request<'a> {
    em: &'a Emulator,
    who: &'a ProcessIdentity,
    action: &'a str,
    request_id: Option<&'a str>,
}

/// Handles one request frame from process `who` and returns the reply frame. Takes no socket:
/// pushes the request causes reach the process through its connection (see `super::attach`).
pub fn handle(em: &Emulator, who: &ProcessIdentity, text: &str) -> String {
    let envelope = match requests::envelope(text) {
        Ok(envelope) => envelope,
        Err(e) => return replies::error(None, None, &e),
    };
    let request_id = envelope.request_id.as_deref();
    let action = match &envelope.action {
        Ok(action) => action.as_str(),
        Err(e) => return replies::error(None, request_id, e),
    };
    let r = Request { em, who, action, request_id };
    match action {
        "ActivateServerProcess" => serve(&r, text, activate_server_process),
        "HeartbeatServerProcess" => serve(&r, text, heartbeat_server_process),
        "ActivateGameSession" => serve(&r, text, activate_game_session),
        "UpdatePlayerSessionCreationPolicy" => serve(&r, text, update_player_session_creation_policy),
        "AcceptPlayerSession" => serve(&r, text, accept_player_session),
        "RemovePlayerSession" => serve(&r, text, remove_player_session),
        "DescribePlayerSessions" => serve(&r, text, describe_player_sessions),
        "GetComputeCertificate" => serve(&r, text, get_compute_certificate),
        "GetFleetRoleCredentials" => serve(&r, text, get_fleet_role_credentials),
        "TerminateServerProcess" => serve(&r, text, terminate_server_process),
        "StartMatchBackfill" => serve(&r, text, start_match_backfill),
        "StopMatchBackfill" => serve(&r, text, stop_match_backfill),
        _ => fail(&r, &ApiError::InvalidRequest(format!("Unknown action {action}."))),
    }
}

/// Decodes `text` as `T`, runs `action` on it, and encodes its result or error.
fn serve<T: DeserializeOwned, O: Serialize>(
    r: &Request<'_>,
    text: &str,
    action: fn(&Request<'_>, T) -> ApiResult<O>,
) -> String {
    match requests::decode(text).and_then(|request| action(r, request)) {
        Ok(result) => replies::ok(r.action, r.request_id, result),
        Err(e) => fail(r, &e),
    }
}

fn fail(r: &Request<'_>, e: &ApiError) -> String {
    tracing::debug!(action = r.action, pid = %r.who.pid, "SDK request failed: {}", e.message());
    replies::error(Some(r.action), r.request_id, e)
}

/// Checks that `game_session` is the one this process hosts.
fn hosted_here(w: &World, who: &ProcessIdentity, game_session: &str) -> ApiResult<()> {
    let s = w.game_session_by_id(game_session)?;
    let here = matches!(&s.host, crate::model::game_session::Host::Process { pid, .. } if **pid == *who.pid)
        && *s.fleet_id == *who.fleet_id;
    if !here {
        return Err(ApiError::InvalidRequest(format!(
            "Game session {game_session} is not hosted by this process."
        )));
    }
    Ok(())
}

fn start_match_backfill(r: &Request<'_>, req: StartMatchBackfill) -> ApiResult<StartMatchBackfillResult> {
    let gs = required(&req.game_session_arn, "GameSessionArn")?.to_owned();
    let config = required(&req.matchmaking_configuration_arn, "MatchmakingConfigurationArn")?.to_owned();
    let mut players = Vec::new();
    for (i, p) in req.players.unwrap_or_default().into_iter().enumerate() {
        let mut attributes = std::collections::BTreeMap::new();
        for (name, a) in p.player_attributes.unwrap_or_default() {
            let value = match a.attr_type.as_deref() {
                Some("STRING") => {
                    a.s.map(|s| crate::dto::AttributeValue { s: Some(s), ..Default::default() })
                }
                Some("DOUBLE") => {
                    a.n.map(|n| crate::dto::AttributeValue { n: Some(n), ..Default::default() })
                }
                Some("STRING_LIST") => {
                    a.sl.map(|l| crate::dto::AttributeValue { sl: Some(l), ..Default::default() })
                }
                Some("STRING_DOUBLE_MAP") => {
                    a.sdm.map(|m| crate::dto::AttributeValue { sdm: Some(m), ..Default::default() })
                }
                _ => None,
            };
            let value = value.ok_or_else(|| {
                ApiError::InvalidRequest(format!(
                    "Players[{}].PlayerAttributes.{name} needs an AttrType (STRING, DOUBLE, STRING_LIST or STRING_DOUBLE_MAP) and its value.",
                    i + 1
                ))
            })?;
            attributes.insert(name, value);
        }
        players.push(crate::dto::Player {
            player_id: p.player_id,
            player_attributes: Some(attributes),
            team: p.team,
            latency_in_ms: p.latency_in_ms,
        });
    }
    let players = crate::ops::matchmaking::players(players)?;
    let ticket_id = req.ticket_id.filter(|t| !t.is_empty());
    r.em.with_world(|w, now| {
        hosted_here(w, r.who, &gs)?;
        let t = w.start_match_backfill(ticket_id, &config, Some(&gs), players, now)?;
        Ok(StartMatchBackfillResult { ticket_id: t.id.to_string() })
    })
}

fn stop_match_backfill(r: &Request<'_>, req: StopMatchBackfill) -> ApiResult<Done> {
    let gs = required(&req.game_session_arn, "GameSessionArn")?.to_owned();
    let ticket = required(&req.ticket_id, "TicketId")?.to_owned();
    r.em.with_world(|w, now| {
        hosted_here(w, r.who, &gs)?;
        w.stop_matchmaking(&ticket, now)
    })?;
    Ok(Done {})
}

fn required<'a>(v: &'a Option<String>, name: &str) -> ApiResult<&'a str> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::InvalidRequest(format!("{name} is required.")))
}

fn activate_server_process(r: &Request<'_>, req: ActivateServerProcess) -> ApiResult<Done> {
    let port = req.port.filter(|p| *p > 0);
    let log_paths = req.log_paths.unwrap_or_default();
    r.em.with_world(|w, now| {
        w.server_process(r.who.key())?.activate_server_process(port, log_paths)?;
        // A process that can host a game session is new capacity for waiting placements.
        w.capacity_appeared(now);
        Ok::<_, ApiError>(())
    })?;
    Ok(Done {})
}

fn heartbeat_server_process(r: &Request<'_>, req: HeartbeatServerProcess) -> ApiResult<Done> {
    let healthy = req.health_status.unwrap_or(true);
    r.em.with_world(|w, now| w.server_process(r.who.key())?.heartbeat_server_process(now, healthy))?;
    Ok(Done {})
}

fn activate_game_session(r: &Request<'_>, req: ActivateGameSession) -> ApiResult<Done> {
    let id = required(&req.game_session_id, "GameSessionId")?;
    r.em.with_world(|w, now| w.server_process(r.who.key())?.activate_game_session(now, id))?;
    Ok(Done {})
}

fn update_player_session_creation_policy(
    r: &Request<'_>,
    req: UpdatePlayerSessionCreationPolicy,
) -> ApiResult<Done> {
    let id = required(&req.game_session_id, "GameSessionId")?;
    let policy = required(&req.player_session_policy, "PlayerSessionPolicy")?;
    let policy = PlayerSessionCreationPolicy::parse(policy).ok_or_else(|| {
        ApiError::InvalidRequest(format!("PlayerSessionPolicy must be ACCEPT_ALL or DENY_ALL, not {policy}."))
    })?;
    r.em.with_world(|w, _| w.server_process(r.who.key())?.update_player_session_creation_policy(id, policy))?;
    Ok(Done {})
}

fn accept_player_session(r: &Request<'_>, req: AcceptPlayerSession) -> ApiResult<Done> {
    let id = required(&req.game_session_id, "GameSessionId")?;
    let ps = required(&req.player_session_id, "PlayerSessionId")?;
    r.em.with_world(|w, _| w.server_process(r.who.key())?.accept_player_session(id, ps))?;
    Ok(Done {})
}

fn remove_player_session(r: &Request<'_>, req: RemovePlayerSession) -> ApiResult<Done> {
    let id = required(&req.game_session_id, "GameSessionId")?;
    let ps = required(&req.player_session_id, "PlayerSessionId")?;
    r.em.with_world(|w, now| w.server_process(r.who.key())?.remove_player_session(now, id, ps))?;
    Ok(Done {})
}

fn terminate_server_process(r: &Request<'_>, _: TerminateServerProcess) -> ApiResult<Done> {
    r.em.with_world(|w, now| w.server_process(r.who.key())?.terminate_server_process(now))?;
    Ok(Done {})
}

fn get_compute_certificate(
    r: &Request<'_>,
    _: GetComputeCertificate,
) -> ApiResult<GetComputeCertificateResult> {
    r.em.with_world(|w, _| {
        let c = w.compute(&r.who.fleet_id, &r.who.compute)?;
        Ok(GetComputeCertificateResult {
            certificate_path: c.certificate_path.clone().unwrap_or_default(),
            compute_name: c.name.to_string(),
        })
    })
}

fn get_fleet_role_credentials(
    r: &Request<'_>,
    req: GetFleetRoleCredentials,
) -> ApiResult<GetFleetRoleCredentialsResult> {
    let (fleet, compute) = (&r.who.fleet_id, &r.who.compute);
    let role = req.role_arn.unwrap_or_default();
    let session = req.role_session_name.unwrap_or_else(|| format!("{fleet}-{compute}"));
    let role_name = role.rsplit('/').next().unwrap_or("role");
    let account = &r.em.config().account_id;
    Ok(GetFleetRoleCredentialsResult {
        assumed_role_user_arn: format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}"),
        assumed_role_id: format!("AROAEMULATOR0000000000:{session}"),
        access_key_id: "ASIAEMULATOR00000000".into(),
        secret_access_key: "gamelift-emulator-secret-access-key".into(),
        session_token: "gamelift-emulator-session-token".into(),
        expiration: r.em.now().wall_ms + 3_600_000,
    })
}

fn describe_player_sessions(
    r: &Request<'_>,
    req: DescribePlayerSessions,
) -> ApiResult<DescribePlayerSessionsResult> {
    let nonempty = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let status = match nonempty(&req.player_session_status_filter) {
        None => None,
        Some(s) => Some(
            PlayerSessionStatus::parse(&s)
                .ok_or_else(|| ApiError::InvalidRequest(format!("Unknown PlayerSessionStatusFilter {s}.")))?,
        ),
    };
    let after = nonempty(&req.next_token).map(|t| paging::decode(PLAYER_SESSIONS_TOKEN, &t)).transpose()?;
    // A process sees the player sessions of its own fleet only; another fleet's are answered
    // as if they did not exist.
    let fleet = r.who.fleet_id.as_str();
    let foreign =
        |what: &str, id: &str| ApiError::NotFound(format!("{what} {id} not found in fleet {fleet}."));
    r.em.with_world(|w, _| {
        if let Some(id) = nonempty(&req.player_session_id) {
            let p = w.player_session_by_id(&id)?;
            if w.game_session(p.game_session).is_none_or(|g| *g.fleet_id != *fleet) {
                return Err(foreign("Player session", &id));
            }
            let one = player_session(w, p);
            return Ok(DescribePlayerSessionsResult {
                player_sessions: vec![one],
                next_token: String::new(),
            });
        }
        let game_session_id = nonempty(&req.game_session_id);
        if let Some(id) = &game_session_id
            && *w.game_session_by_id(id)?.fleet_id != *fleet
        {
            return Err(foreign("Game session", id));
        }
        let player_id = nonempty(&req.player_id);
        let q = PlayerSessionQuery {
            game_session_id: game_session_id.as_deref(),
            player_id: player_id.as_deref(),
            status,
            after,
            limit: req.limit.filter(|l| *l > 0).map_or(usize::MAX, |l| l as usize),
        };
        let (page, next) = w.list_player_sessions(&q)?;
        Ok(DescribePlayerSessionsResult {
            player_sessions: page
                .into_iter()
                .filter(|p| w.game_session(p.game_session).is_some_and(|g| *g.fleet_id == *fleet))
                .map(|p| player_session(w, p))
                .collect(),
            next_token: next.map(|n| paging::encode(PLAYER_SESSIONS_TOKEN, n)).unwrap_or_default(),
        })
    })
}

fn player_session(w: &World, p: &crate::model::PlayerSession) -> replies::PlayerSession {
    let gs = w.game_session(p.game_session);
    replies::PlayerSession {
        player_session_id: p.id.to_string(),
        player_id: p.player_id.to_string(),
        game_session_id: gs.map(|g| g.arn.to_string()),
        fleet_id: gs.map(|g| g.fleet_id.to_string()),
        ip_address: gs.map(|g| g.ip_address.to_string()),
        dns_name: gs.map(|g| g.dns_name.to_string()),
        port: gs.map(|g| g.port),
        player_data: p.data.as_deref().map(str::to_owned),
        creation_time: p.created_ms,
        termination_time: p.terminated_ms,
        status: p.status.as_str(),
    }
}
