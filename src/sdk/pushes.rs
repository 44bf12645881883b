//! What the emulator sends a process unasked: `CreateGameSession`, `UpdateGameSession` and
//! `TerminateProcess`, each with a fresh `RequestId` and `StatusCode` 200 (a push that carries
//! a `RequestId` without status 200 is taken for a failed reply and dropped by every SDK).
//! `GameProperties` is an object (`{"k":"v"}`), and integers are JSON integers.

use serde::{Serialize, Serializer};

use super::replies::to_frame;
use crate::model::compute::{GameSessionPush, ProcessMessage};

/// A push frame: the action, a fresh `RequestId`, `StatusCode` 200 and the push's members.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Push<'a, T> {
    /// The push's action.
    pub action: &'static str,
    /// A fresh id.
    pub request_id: &'a str,
    /// Always 200.
    pub status_code: u16,
    /// The members.
    #[serde(flatten)]
    pub body: T,
}

/// The members a game session has in both pushes, except its name (`GameSessionName` in
/// `CreateGameSession`, `Name` in `UpdateGameSession.GameSession`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionMembers<'a> {
    /// The game session's ARN.
    pub game_session_id: &'a str,
    /// FleetId (the Go SDK fills it from its own configuration; the others may read it).
    pub fleet_id: &'a str,
    /// MaximumPlayerSessionCount.
    pub maximum_player_session_count: u32,
    /// IpAddress.
    pub ip_address: &'a str,
    /// Port.
    pub port: u16,
    /// DnsName.
    pub dns_name: &'a str,
    /// GameProperties, as an object.
    #[serde(serialize_with = "properties_as_object")]
    pub game_properties: &'a [(String, String)],
    /// GameSessionData (empty when none).
    pub game_session_data: &'a str,
    /// MatchmakerData (empty when none).
    pub matchmaker_data: &'a str,
}

fn properties_as_object<S: Serializer>(props: &&[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(props.iter().map(|(k, v)| (k, v)))
}

impl<'a> SessionMembers<'a> {
    fn of(s: &'a GameSessionPush) -> Self {
        Self {
            game_session_id: &s.game_session_id,
            fleet_id: &s.fleet_id,
            maximum_player_session_count: s.maximum_player_session_count,
            ip_address: &s.ip_address,
            port: s.port,
            dns_name: &s.dns_name,
            game_properties: &s.game_properties,
            game_session_data: s.game_session_data.as_deref().unwrap_or_default(),
            matchmaker_data: s.matchmaker_data.as_deref().unwrap_or_default(),
        }
    }
}

/// `CreateGameSession` (→ `onStartGameSession`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGameSession<'a> {
    /// The session's name (empty when none).
    pub game_session_name: &'a str,
    /// The rest.
    #[serde(flatten)]
    pub session: SessionMembers<'a>,
}

/// The game session inside `UpdateGameSession`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GameSession<'a> {
    /// The session's name (empty when none).
    pub name: &'a str,
    /// The rest.
    #[serde(flatten)]
    pub session: SessionMembers<'a>,
}

/// `UpdateGameSession` (→ `onUpdateGameSession`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGameSession<'a> {
    /// The session as it is now.
    pub game_session: GameSession<'a>,
    /// `MATCHMAKING_DATA_UPDATED`, `BACKFILL_FAILED`, `BACKFILL_TIMED_OUT` or `BACKFILL_CANCELLED`.
    pub update_reason: &'a str,
    /// BackfillTicketId (empty when none).
    pub backfill_ticket_id: &'a str,
}

/// `TerminateProcess` (→ `onProcessTerminate`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TerminateProcess {
    /// Shut down by then, epoch milliseconds.
    pub termination_time: i64,
}

/// The frame for `message`, under `request_id`; `None` for `Close`, which is not a frame but
/// the end of the socket.
pub fn frame(message: &ProcessMessage, request_id: &str) -> Option<String> {
    Some(match message {
        ProcessMessage::CreateGameSession(s) => to_frame(&Push {
            action: "CreateGameSession",
            request_id,
            status_code: 200,
            body: CreateGameSession {
                game_session_name: s.name.as_deref().unwrap_or_default(),
                session: SessionMembers::of(s),
            },
        }),
        ProcessMessage::UpdateGameSession { session, reason, backfill_ticket_id } => to_frame(&Push {
            action: "UpdateGameSession",
            request_id,
            status_code: 200,
            body: UpdateGameSession {
                game_session: GameSession {
                    name: session.name.as_deref().unwrap_or_default(),
                    session: SessionMembers::of(session),
                },
                update_reason: reason,
                backfill_ticket_id: backfill_ticket_id.as_deref().unwrap_or_default(),
            },
        }),
        ProcessMessage::TerminateProcess { termination_time_ms } => to_frame(&Push {
            action: "TerminateProcess",
            request_id,
            status_code: 200,
            body: TerminateProcess { termination_time: *termination_time_ms },
        }),
        ProcessMessage::Close | ProcessMessage::Abort => return None,
    })
}

/// The frame for `message` with a fresh `RequestId`.
pub fn push(message: &ProcessMessage) -> Option<String> {
    frame(message, &uuid::Uuid::new_v4().hyphenated().to_string())
}
