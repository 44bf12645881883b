//! The emulator's own control API (`/_emulator/*`), the moto `moto_api` of this project: what
//! tests and tools call besides the AWS operations. Like the operations, each function takes
//! typed input, goes through the same state calls (`Emulator::with_world` and friends) and
//! returns typed output; `protocol::control` does the HTTP.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::MAX_ADVANCE;
use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::state::{ClockReading, Emulator};

/// `GET /_emulator/health`.
#[derive(Debug, Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
    region: String,
    counts: Counts,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Counts {
    fleets: usize,
    aliases: usize,
    game_sessions: usize,
    player_sessions: usize,
    pending_timers: usize,
}

/// The emulator's health and the size of its world.
pub fn health(em: &Emulator) -> Health {
    let c = em.with_world(|w, _| w.counts());
    Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        region: em.config().region.clone(),
        counts: Counts {
            fleets: c.fleets,
            aliases: c.aliases,
            game_sessions: c.game_sessions,
            player_sessions: c.player_sessions,
            pending_timers: c.pending_timers,
        },
    }
}

/// `POST /_emulator/reset`.
#[derive(Debug, Serialize)]
pub struct ResetDone {
    status: &'static str,
}

/// Back to the fixtures (the clock keeps its time and mode).
pub fn reset(em: &Emulator) -> ResetDone {
    em.reset();
    ResetDone { status: "reset" }
}

/// What the clock endpoints answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Clock {
    /// Emulated time, epoch seconds (millisecond precision).
    now: f64,
    paused: bool,
}

impl From<ClockReading> for Clock {
    fn from(r: ClockReading) -> Self {
        Clock { now: r.now.wall_ms as f64 / 1000.0, paused: r.paused }
    }
}

/// `POST /_emulator/clock/advance` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AdvanceClock {
    /// How far to move the clock, in seconds (fractional allowed).
    pub seconds: f64,
}

/// The clock as it reads now.
pub fn clock(em: &Emulator) -> Clock {
    em.clock().into()
}

/// Moves the clock forward, applying every transition that became due before answering.
pub fn advance_clock(em: &Emulator, input: AdvanceClock) -> ApiResult<Clock> {
    let s = input.seconds;
    if !s.is_finite() || s <= 0.0 {
        return Err(ApiError::InvalidRequest(format!("Seconds must be a number greater than 0 (got {s}).")));
    }
    if s > MAX_ADVANCE.as_secs_f64() {
        return Err(ApiError::InvalidRequest(format!(
            "Seconds must be at most {} (100 years; got {s}).",
            MAX_ADVANCE.as_secs()
        )));
    }
    Ok(em.advance_clock(Duration::from_secs_f64(s)).into())
}

/// Stops time.
pub fn pause_clock(em: &Emulator) -> Clock {
    em.pause_clock().into()
}

/// Lets time run again.
pub fn resume_clock(em: &Emulator) -> Clock {
    em.resume_clock().into()
}

/// `{"PlayerSession": ...}`, as the player-session control endpoints answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlayerSessionOutput {
    player_session: dto::PlayerSession,
}

/// The game server accepted a player (RESERVED → ACTIVE).
pub fn accept_player_session(em: &Emulator, id: &str) -> ApiResult<PlayerSessionOutput> {
    em.command(
        || control_command("accept-player-session", &id),
        || {
            em.with_world(|w, _| {
                let seq = w.accept_player_session(id)?;
                player_session_output(w, seq)
            })
        },
    )
}

/// The player left (→ COMPLETED).
pub fn complete_player_session(em: &Emulator, id: &str) -> ApiResult<PlayerSessionOutput> {
    em.command(
        || control_command("complete-player-session", &id),
        || {
            em.with_world(|w, now| {
                let seq = w.complete_player_session(id, now)?;
                player_session_output(w, seq)
            })
        },
    )
}

/// A control call as the journal keeps it: its name and its input as JSON.
fn control_command(name: &str, input: &impl Serialize) -> crate::journal::Command {
    crate::journal::Command::Control {
        name: name.to_owned(),
        arg: serde_json::to_string(input).unwrap_or_default(),
    }
}

/// Runs a journaled control call again at start-up (its answer goes nowhere).
pub(crate) fn replay(em: &Emulator, name: &str, arg: &str) -> Result<(), String> {
    fn input<T: serde::de::DeserializeOwned>(name: &str, arg: &str) -> Result<T, String> {
        serde_json::from_str(arg).map_err(|e| format!("a {name} entry that does not decode: {e}"))
    }
    match name {
        "accept-player-session" => {
            let _ = accept_player_session(em, &input::<String>(name, arg)?);
        }
        "complete-player-session" => {
            let _ = complete_player_session(em, &input::<String>(name, arg)?);
        }
        "game-session-update" => {
            let _ = push_game_session_update(em, input(name, arg)?);
        }
        "process-fault" => {
            let _ = process_fault(em, input(name, arg)?);
        }
        other => return Err(format!("an unknown control call '{other}'")),
    }
    Ok(())
}

fn player_session_output(w: &crate::model::World, seq: u64) -> ApiResult<PlayerSessionOutput> {
    let p =
        w.player_session(seq).ok_or_else(|| ApiError::InternalService("player session vanished".into()))?;
    Ok(PlayerSessionOutput { player_session: super::player_sessions::player_session_dto(w, p) })
}

/// `POST /_emulator/game-session-updates` body.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GameSessionUpdate {
    game_session_id: String,
    update_reason: Option<String>,
    backfill_ticket_id: Option<String>,
}

/// Sends an `UpdateGameSession` push (what FlexMatch backfill sends) to the process hosting a
/// game session.
pub fn push_game_session_update(em: &Emulator, input: GameSessionUpdate) -> ApiResult<()> {
    em.command(
        || control_command("game-session-update", &input),
        || {
            em.with_world(|w, _| {
                let reason = input.update_reason.clone().unwrap_or_else(|| "MATCHMAKING_DATA_UPDATED".into());
                w.push_game_session_update(&input.game_session_id, reason, input.backfill_ticket_id.clone())
            })
        },
    )
}

/// The plain-text lifecycle log GetGameSessionLogUrl points at.
pub fn game_session_log(em: &Emulator, game_session_id: &str) -> ApiResult<String> {
    em.with_world(|w, _| w.game_session_log(game_session_id))
}

/// The wss listener's certificate (PEM).
pub fn tls_certificate(em: &Emulator) -> ApiResult<String> {
    match em.wss() {
        Some((_, pem)) => Ok(pem.clone()),
        None => Err(ApiError::NotFound("No wss listener runs (start the emulator with --wss-bind).".into())),
    }
}

/// `GET`/`POST /_emulator/faults` answer: the rules in force (or just added), with their counts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FaultList {
    faults: Vec<crate::faults::FaultView>,
}

/// Adds fault rules (all or none).
pub fn add_faults(em: &Emulator, specs: Vec<crate::faults::FaultSpec>) -> ApiResult<FaultList> {
    if specs.is_empty() {
        return Err(ApiError::InvalidRequest("Give at least one fault rule.".into()));
    }
    Ok(FaultList { faults: em.faults().add(specs)? })
}

/// The fault rules in force and how often each fired.
pub fn list_faults(em: &Emulator) -> FaultList {
    FaultList { faults: em.faults().list() }
}

/// Removes every fault rule.
pub fn clear_faults(em: &Emulator) -> FaultList {
    em.faults().clear();
    FaultList { faults: Vec::new() }
}

/// `POST /_emulator/faults/processes` body: a fault for one game-server process.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ProcessFault {
    /// The process's fleet.
    pub fleet_id: String,
    /// The process's `pID`.
    pub process_id: String,
    /// `DROP_CONNECTION`, `STOP_HEARTBEATS` or `CRASH`.
    pub fault: String,
}

/// What `POST /_emulator/faults/processes` answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessFaultDone {
    fleet_id: String,
    process_id: String,
    fault: String,
}

/// Applies a game-server fault: the socket drops (the process may reconnect within the grace
/// period), its heartbeats stop (it turns unhealthy), or it crashes (gone at once, its game
/// session ends).
pub fn process_fault(em: &Emulator, input: ProcessFault) -> ApiResult<ProcessFaultDone> {
    let key = crate::model::compute::ProcessKey { fleet: &input.fleet_id, pid: &input.process_id };
    em.command(
        || control_command("process-fault", &input),
        || {
            em.with_world(|w, now| match input.fault.as_str() {
                "DROP_CONNECTION" => w.fault_drop_connection(now, key),
                "STOP_HEARTBEATS" => w.fault_stop_heartbeats(now, key),
                "CRASH" => w.fault_crash(now, key),
                other => Err(ApiError::InvalidRequest(format!(
                    "Fault '{other}' is not one of DROP_CONNECTION, STOP_HEARTBEATS, CRASH."
                ))),
            })
        },
    )?;
    Ok(ProcessFaultDone { fleet_id: input.fleet_id, process_id: input.process_id, fault: input.fault })
}
