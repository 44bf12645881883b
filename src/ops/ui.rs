//! What the dashboard (`/_emulator/ui`) shows and does. The views read the world under its lock
//! without applying due timers (`Emulator::inspect`), so looking never counts as a change and
//! never re-triggers the change stream the page listens to; the lifecycle driver applies due
//! transitions on its own. Actions go through the same calls as the API operations.

use serde::{Deserialize, Serialize};

use super::fleets::{capacity_dto, utilization_dto};
use super::player_sessions::player_session_dto;
use super::{aliases::alias_dto, game_sessions::game_session_dto, matchmaking, queues};
use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::model::{GameSessionStatus, World};
use crate::state::Emulator;

/// Largest page of game sessions the dashboard asks for.
pub const MAX_PAGE_SIZE: usize = 500;

/// `GET /_emulator/ui/api/overview`: everything but the game sessions (which page).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Overview {
    clock: super::control::Clock,
    game_session_count: usize,
    player_session_count: usize,
    fleets: Vec<FleetView>,
    aliases: Vec<dto::Alias>,
    queues: Vec<QueueView>,
    matchmaking: Vec<MatchmakingView>,
    processes: Vec<ProcessView>,
}

/// A matchmaking configuration with its tickets counted by status and the ones still in play
/// (QUEUED, SEARCHING, REQUIRES_ACCEPTANCE, PLACING), oldest first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct MatchmakingView {
    configuration: dto::MatchmakingConfiguration,
    tickets_by_status: Vec<(&'static str, usize)>,
    open_tickets: Vec<dto::MatchmakingTicket>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct FleetView {
    fleet_id: String,
    name: String,
    status: &'static str,
    compute_type: &'static str,
    locations: Vec<LocationView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct LocationView {
    location: String,
    status: &'static str,
    capacity: dto::FleetCapacity,
    utilization: dto::FleetUtilization,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueueView {
    queue: dto::GameSessionQueue,
    pending_placements: Vec<dto::GameSessionPlacement>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessView {
    fleet_id: String,
    process_id: String,
    compute_name: String,
    location: String,
    state: &'static str,
    healthy: bool,
    connected: bool,
    /// Epoch seconds.
    last_heartbeat: Option<f64>,
    port: Option<u16>,
    game_session_id: Option<String>,
}

/// The dashboard's overview.
pub fn overview(em: &Emulator) -> Overview {
    let clock = super::control::clock(em);
    em.inspect(|w| {
        let mut fleets: Vec<_> = w.fleets.values().collect();
        fleets.sort_by_key(|f| f.seq);
        let fleets = fleets
            .into_iter()
            .map(|f| FleetView {
                fleet_id: f.id.to_string(),
                name: f.name.clone(),
                status: f.status.as_str(),
                compute_type: f.compute_type.as_str(),
                locations: f
                    .locations
                    .iter()
                    .enumerate()
                    .map(|(i, l)| LocationView {
                        location: l.name.to_string(),
                        status: l.status.as_str(),
                        capacity: capacity_dto(f, l),
                        utilization: utilization_dto(w, f, i),
                    })
                    .collect(),
            })
            .collect();
        let mut aliases: Vec<_> = w.aliases.values().collect();
        aliases.sort_by_key(|a| a.seq);
        let mut qs: Vec<_> = w.queues.values().collect();
        qs.sort_by_key(|q| q.seq);
        let queues = qs
            .into_iter()
            .map(|q| QueueView {
                queue: queues::queue_dto(q),
                pending_placements: w
                    .placements
                    .iter()
                    .filter(|p| {
                        p.queue_name == q.name
                            && p.status == crate::model::placement::PlacementStatus::Pending
                    })
                    .map(queues::placement_dto)
                    .collect(),
            })
            .collect();
        let mut configs: Vec<_> = w.matchmaking.configs.values().collect();
        configs.sort_by_key(|c| c.seq);
        let matchmaking = configs
            .into_iter()
            .map(|c| {
                let tickets: Vec<_> = w.matchmaking.tickets.values().filter(|t| t.config == c.name).collect();
                let tickets_by_status = crate::model::matchmaking::TicketStatus::ALL
                    .iter()
                    .map(|st| (st.as_str(), tickets.iter().filter(|t| t.status == *st).count()))
                    .collect();
                let open_tickets = tickets
                    .into_iter()
                    .filter(|t| !t.status.is_terminal())
                    .map(matchmaking::ticket_dto)
                    .collect();
                MatchmakingView { configuration: matchmaking::config_dto(c), tickets_by_status, open_tickets }
            })
            .collect();
        let mut processes: Vec<ProcessView> = w
            .hosts
            .processes
            .values()
            .flat_map(|m| m.values())
            .map(|p| ProcessView {
                fleet_id: p.fleet_id.to_string(),
                process_id: p.pid.to_string(),
                compute_name: p.compute.to_string(),
                location: p.location.to_string(),
                state: p.state.as_str(),
                healthy: p.healthy,
                connected: p.conn.is_some(),
                last_heartbeat: p.last_heartbeat_ms.map(|ms| ms as f64 / 1000.0),
                port: p.port,
                game_session_id: p.game_session.and_then(|s| w.game_session(s)).map(|s| s.arn.to_string()),
            })
            .collect();
        processes.sort_by(|a, b| (&a.fleet_id, &a.process_id).cmp(&(&b.fleet_id, &b.process_id)));
        let counts = w.counts();
        Overview {
            clock,
            game_session_count: counts.game_sessions,
            player_session_count: counts.player_sessions,
            fleets,
            aliases: aliases.into_iter().map(alias_dto).collect(),
            queues,
            matchmaking,
            processes,
        }
    })
}

/// `GET /_emulator/ui/api/game-sessions` query.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SessionFilter {
    /// Only this fleet's sessions.
    pub fleet_id: Option<String>,
    /// Only sessions in this status.
    pub status: Option<String>,
    /// Only sessions in this location.
    pub location: Option<String>,
    /// Zero-based page number.
    pub page: Option<String>,
    /// Sessions per page (1 to [`MAX_PAGE_SIZE`], default 50).
    pub page_size: Option<String>,
}

/// One page of game sessions, newest first, and how many match in all.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionPage {
    total: usize,
    page: usize,
    page_size: usize,
    game_sessions: Vec<dto::GameSession>,
}

/// The game sessions matching `q`, one page of them.
pub fn game_sessions(em: &Emulator, q: SessionFilter) -> ApiResult<SessionPage> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(GameSessionStatus::parse(s).ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "Status '{s}' is not a game session status (ACTIVE, ACTIVATING, TERMINATED, TERMINATING, ERROR)."
            ))
        })?),
    };
    let number = |name: &str, v: Option<&str>, default: usize| -> ApiResult<usize> {
        match v {
            None | Some("") => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                ApiError::InvalidRequest(format!("{name} must be a whole number of at least 0 (got '{v}')."))
            }),
        }
    };
    let page_size = number("PageSize", q.page_size.as_deref(), 50)?;
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(ApiError::InvalidRequest(format!("PageSize must be between 1 and {MAX_PAGE_SIZE}.")));
    }
    let page = number("Page", q.page.as_deref(), 0)?;
    let fleet = q.fleet_id.filter(|f| !f.is_empty());
    let location = q.location.filter(|l| !l.is_empty());
    em.inspect(|w| {
        let mut fleets: Vec<_> = match &fleet {
            Some(id) => vec![w.fleet(id)?],
            None => w.fleets.values().collect(),
        };
        fleets.sort_by_key(|f| std::cmp::Reverse(f.seq));
        let seqs = fleets
            .into_iter()
            .flat_map(|f| f.locations.iter())
            .filter(|l| location.as_deref().is_none_or(|want| l.name.eq_ignore_ascii_case(want)))
            .flat_map(|l| l.sessions.iter().rev());
        let skip = page.saturating_mul(page_size);
        let (total, game_sessions) = match status {
            // Without a status filter the count needs no session lookups.
            None => {
                let all: Vec<u64> = seqs.copied().collect();
                let shown = all.iter().skip(skip).take(page_size).filter_map(|s| w.game_session(*s));
                (all.len(), shown.map(game_session_dto).collect())
            }
            Some(st) => {
                let mut total = 0;
                let mut shown = Vec::new();
                for s in seqs.filter_map(|s| w.game_session(*s)).filter(|s| s.status == st) {
                    if total >= skip && shown.len() < page_size {
                        shown.push(game_session_dto(s));
                    }
                    total += 1;
                }
                (total, shown)
            }
        };
        Ok(SessionPage { total, page, page_size, game_sessions })
    })
}

/// `GET /_emulator/ui/api/player-sessions` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PlayerSessionFilter {
    /// The game session whose player sessions to list.
    pub game_session_id: String,
}

/// A game session's player sessions.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlayerSessionList {
    player_sessions: Vec<dto::PlayerSession>,
}

/// The player sessions of one game session, in creation order.
pub fn player_sessions(em: &Emulator, q: PlayerSessionFilter) -> ApiResult<PlayerSessionList> {
    em.inspect(|w: &World| {
        let s = w.game_session_by_id(&q.game_session_id)?;
        Ok(PlayerSessionList {
            player_sessions: s
                .players
                .iter()
                .filter_map(|p| w.player_session(*p))
                .map(|p| player_session_dto(w, p))
                .collect(),
        })
    })
}

/// `POST /_emulator/ui/api/terminate-game-session` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Terminate {
    /// The game session.
    pub game_session_id: String,
    /// `FORCE_TERMINATE` (the default) or `TRIGGER_ON_PROCESS_TERMINATE`.
    pub termination_mode: Option<String>,
}

/// Terminates a game session through the TerminateGameSession operation.
pub fn terminate_game_session(em: &Emulator, input: Terminate) -> ApiResult<dto::TerminateGameSessionOutput> {
    let mode = input.termination_mode.unwrap_or_else(|| "FORCE_TERMINATE".into());
    let input = dto::TerminateGameSessionInput {
        game_session_id: Some(input.game_session_id),
        termination_mode: Some(dto::TerminationMode::from_wire(&mode)),
    };
    crate::dto::Validate::validate(&input).map_err(ApiError::InvalidRequest)?;
    // Journaled as the TerminateGameSession operation it is.
    let command = || crate::journal::Command::Api {
        op: "TerminateGameSession".into(),
        codec: crate::codec::Codec::Json,
        body: serde_json::to_vec(&input).unwrap_or_default(),
    };
    em.command(command, || super::game_sessions::terminate_game_session(em, input.clone()))
}
