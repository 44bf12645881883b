//! Player sessions: a reserved seat in a game session for one player.
//!
//! A new player session is RESERVED and counts against the game session's
//! MaximumPlayerSessionCount (at most 200, as the docs say). It becomes ACTIVE when the server
//! accepts it (today through the control API; later through the Server SDK), COMPLETED when the
//! player leaves or the game session ends, and TIMEDOUT if it is not accepted within the
//! player-session timeout (60 s by default), which frees the seat. Ended player sessions stay
//! until their game session is purged.

use std::sync::Arc;

use super::timers::{Subject, Timer};
use super::world::{Now, World};
use super::{GameSessionStatus, PlayerSessionCreationPolicy, PlayerSessionStatus, ids};
use crate::error::{ApiError, ApiResult};

/// The documented ceiling on players in one game session ("It is not adjustable").
pub const MAX_PLAYERS_PER_GAME_SESSION: u32 = 200;

/// A player session.
#[derive(Debug, Clone)]
pub struct PlayerSession {
    /// Creation sequence number.
    pub seq: u64,
    /// `psess-...`
    pub id: Arc<str>,
    /// PlayerId.
    pub player_id: Arc<str>,
    /// The game session's sequence number.
    pub game_session: u64,
    /// Status.
    pub status: PlayerSessionStatus,
    /// PlayerData.
    pub data: Option<Box<str>>,
    /// CreationTime (epoch ms).
    pub created_ms: i64,
    /// TerminationTime (epoch ms).
    pub terminated_ms: Option<i64>,
}

impl PlayerSession {
    /// RESERVED or ACTIVE: holds a seat.
    pub fn is_open(&self) -> bool {
        matches!(self.status, PlayerSessionStatus::Reserved | PlayerSessionStatus::Active)
    }
}

/// Which player sessions to list (GameSessionId and/or PlayerId).
#[derive(Debug, Clone, Default)]
pub struct PlayerSessionQuery<'a> {
    /// Only this game session.
    pub game_session_id: Option<&'a str>,
    /// Only this player.
    pub player_id: Option<&'a str>,
    /// Only this status (ignored when `player_id` is given, as documented).
    pub status: Option<PlayerSessionStatus>,
    /// Start after this sequence number.
    pub after: Option<u64>,
    /// Page size.
    pub limit: usize,
}

impl World {
    /// CreatePlayerSession(s): all or nothing. Returns the new sessions' sequence numbers in
    /// request order.
    pub fn create_player_sessions(
        &mut self,
        now: Now,
        game_session_id: &str,
        players: Vec<(String, Option<String>)>,
    ) -> ApiResult<Vec<u64>> {
        let gs_seq = self.game_session_by_id(game_session_id)?.seq;
        let timeout = self.settings.player_session_timeout;
        let Some(gs) = self.sessions.get(&gs_seq) else {
            return Err(ApiError::NotFound(format!("Game session {game_session_id} not found.")));
        };
        if gs.status != GameSessionStatus::Active {
            return Err(ApiError::InvalidGameSessionStatus(format!(
                "Game session {game_session_id} is in status {}; player sessions can only be created in ACTIVE game sessions.",
                gs.status
            )));
        }
        if gs.policy != PlayerSessionCreationPolicy::AcceptAll {
            return Err(ApiError::InvalidGameSessionStatus(format!(
                "Game session {game_session_id} is not accepting new players (PlayerSessionCreationPolicy {}).",
                gs.policy
            )));
        }
        for (i, (player, _)) in players.iter().enumerate() {
            if players[..i].iter().any(|(p, _)| p == player) {
                return Err(ApiError::InvalidRequest(format!("Player {player} is listed more than once.")));
            }
            let already = gs
                .players
                .iter()
                .filter_map(|ps| self.player_sessions.get(ps))
                .any(|p| p.is_open() && *p.player_id == **player);
            if already {
                return Err(ApiError::InvalidRequest(format!(
                    "Player {player} already has a player session in game session {game_session_id}."
                )));
            }
        }
        let capacity = gs.max_players.min(MAX_PLAYERS_PER_GAME_SESSION);
        let wanted = players.len() as u32;
        if gs.current_players + wanted > capacity {
            return Err(ApiError::GameSessionFull(format!(
                "Game session {game_session_id} has {} of {capacity} player slots taken; {wanted} more do not fit.",
                gs.current_players
            )));
        }
        let mut created = Vec::with_capacity(players.len());
        for (player, data) in players {
            let seq = self.next_seq();
            let id: Arc<str> = ids::new_id("psess").into();
            let player_id: Arc<str> = player.into();
            self.player_sessions.insert(
                seq,
                Box::new(PlayerSession {
                    seq,
                    id: id.clone(),
                    player_id: player_id.clone(),
                    game_session: gs_seq,
                    status: PlayerSessionStatus::Reserved,
                    data: data.map(Into::into),
                    created_ms: now.wall_ms,
                    terminated_ms: None,
                }),
            );
            self.player_session_ids.insert(id, seq);
            self.players.get_or_insert_with(player_id, Vec::new).push(seq);
            self.schedule(now.at + timeout, Timer::PlayerSessionTimeout(seq));
            created.push(seq);
        }
        if let Some(gs) = self.sessions.get_mut(&gs_seq) {
            gs.current_players += wanted;
            gs.players.extend_from_slice(&created);
        }
        Ok(created)
    }

    /// A player session by ID: `NotFoundException` when unknown.
    pub fn player_session_by_id(&self, id: &str) -> ApiResult<&PlayerSession> {
        self.player_session_ids
            .get(id)
            .and_then(|seq| self.player_sessions.get(seq))
            .map(|p| &**p)
            .ok_or_else(|| ApiError::NotFound(format!("Player session {id} not found.")))
    }

    /// A player session by sequence number.
    pub fn player_session(&self, seq: u64) -> Option<&PlayerSession> {
        self.player_sessions.get(&seq).map(|p| &**p)
    }

    /// The server accepted the player: RESERVED → ACTIVE (the timeout no longer applies).
    pub fn accept_player_session(&mut self, id: &str) -> ApiResult<u64> {
        let seq = self.player_session_by_id(id)?.seq;
        let Some(p) = self.player_sessions.get(&seq) else {
            return Err(ApiError::NotFound(format!("Player session {id} not found.")));
        };
        if p.status != PlayerSessionStatus::Reserved {
            return Err(ApiError::InvalidRequest(format!(
                "Player session {id} is in status {}; only RESERVED player sessions can be accepted.",
                p.status
            )));
        }
        let gs_status = self.sessions.get(&p.game_session).map(|g| g.status);
        if gs_status != Some(GameSessionStatus::Active) {
            return Err(ApiError::InvalidGameSessionStatus(format!(
                "The game session of player session {id} is not ACTIVE."
            )));
        }
        if let Some(p) = self.player_sessions.get_mut(&seq) {
            p.status = PlayerSessionStatus::Active;
        }
        self.cancel_timers(Subject::PlayerSession(seq), |_| true);
        Ok(seq)
    }

    /// The player left: RESERVED or ACTIVE → COMPLETED, freeing the seat.
    pub fn complete_player_session(&mut self, id: &str, now: Now) -> ApiResult<u64> {
        let seq = self.player_session_by_id(id)?.seq;
        if !self.player_sessions.get(&seq).is_some_and(|p| p.is_open()) {
            return Err(ApiError::InvalidRequest(format!(
                "Player session {id} has already ended; only RESERVED or ACTIVE player sessions can be completed."
            )));
        }
        self.close_player_session(seq, PlayerSessionStatus::Completed, now);
        Ok(seq)
    }

    /// RESERVED for too long → TIMEDOUT (a no-op in any other state).
    pub(crate) fn time_out_player_session(&mut self, seq: u64, now: Now) {
        if self.player_sessions.get(&seq).is_some_and(|p| p.status == PlayerSessionStatus::Reserved) {
            self.close_player_session(seq, PlayerSessionStatus::Timedout, now);
        }
    }

    fn close_player_session(&mut self, seq: u64, status: PlayerSessionStatus, now: Now) {
        let Some(p) = self.player_sessions.get_mut(&seq) else { return };
        p.status = status;
        p.terminated_ms = Some(now.wall_ms);
        if let Some(gs) = self.sessions.get_mut(&p.game_session) {
            gs.current_players = gs.current_players.saturating_sub(1);
        }
        self.cancel_timers(Subject::PlayerSession(seq), |_| true);
    }

    /// Removes a player session from every index (its game session is being purged).
    pub(crate) fn forget_player_session(&mut self, seq: u64) {
        let Some(p) = self.player_sessions.remove(&seq) else { return };
        self.player_session_ids.remove(&p.id);
        if let Some(list) = self.players.get_mut(&p.player_id) {
            list.retain(|s| *s != seq);
            if list.is_empty() {
                self.players.remove(&p.player_id);
            }
        }
    }

    /// One page of player sessions (by game session and/or player), in creation order.
    pub fn list_player_sessions(
        &self,
        q: &PlayerSessionQuery<'_>,
    ) -> ApiResult<(Vec<&PlayerSession>, Option<u64>)> {
        let empty = Vec::new();
        let gs_seq = q.game_session_id.map(|id| self.game_session_by_id(id).map(|g| g.seq)).transpose()?;
        let list: &Vec<u64> = match (gs_seq, q.player_id) {
            (Some(g), _) => self.sessions.get(&g).map_or(&empty, |g| &g.players),
            (None, Some(player)) => self.players.get(player).unwrap_or(&empty),
            (None, None) => {
                return Err(ApiError::InvalidRequest(
                    "Specify a PlayerSessionId, a GameSessionId or a PlayerId.".into(),
                ));
            }
        };
        let start = q.after.map_or(0, |a| list.partition_point(|s| *s <= a));
        let status = if q.player_id.is_some() { None } else { q.status };
        let items = list[start..]
            .iter()
            .filter_map(|s| self.player_sessions.get(s).map(|p| &**p))
            .filter(|p| q.player_id.is_none_or(|id| *p.player_id == *id))
            .filter(|p| status.is_none_or(|st| p.status == st))
            .map(|p| (p.seq, p));
        Ok(super::paging::page(items, q.limit))
    }
}
