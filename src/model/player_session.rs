//! Player sessions: a reserved seat in a game session for one player.
//!
//! A new player session is RESERVED and counts against the game session's
//! MaximumPlayerSessionCount (at most 200, as the docs say). It becomes ACTIVE when the server
//! accepts it (today through the control API; later through the Server SDK), COMPLETED when the
//! player leaves or the game session ends, and TIMEDOUT if it is not accepted within the
//! player-session timeout (60 s by default), which frees the seat. Ended player sessions stay
//! until their game session is purged.

use std::sync::Arc;

use super::game_session::GameSession;
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
        let gs = self.game_session_by_id(game_session_id)?;
        let gs_seq = gs.seq;
        self.check_can_seat(gs, &players)?;
        let mut created = Vec::with_capacity(players.len());
        for (player, data) in players {
            created.push(self.insert_player_session(now, gs_seq, player, data));
        }
        if let Some(gs) = self.sessions.get_mut(&gs_seq) {
            gs.current_players += created.len() as u32;
            gs.players.extend_from_slice(&created);
        }
        Ok(created)
    }

    /// Whether `players` can all get a seat in `gs`: it is ACTIVE and accepting players, each
    /// player is listed once and has no open seat there yet, and they all fit under its
    /// maximum (and the 200-player ceiling).
    fn check_can_seat(&self, gs: &GameSession, players: &[(String, Option<String>)]) -> ApiResult<()> {
        let id = &gs.arn;
        if gs.status != GameSessionStatus::Active {
            return Err(ApiError::InvalidGameSessionStatus(format!(
                "Game session {id} is in status {}; player sessions can only be created in ACTIVE game sessions.",
                gs.status
            )));
        }
        if gs.policy != PlayerSessionCreationPolicy::AcceptAll {
            return Err(ApiError::InvalidGameSessionStatus(format!(
                "Game session {id} is not accepting new players (PlayerSessionCreationPolicy {}).",
                gs.policy
            )));
        }
        for (i, (player, _)) in players.iter().enumerate() {
            if players[..i].iter().any(|(p, _)| p == player) {
                return Err(ApiError::InvalidRequest(format!("Player {player} is listed more than once.")));
            }
            let seated = |ps: &u64| {
                self.player_sessions.get(ps).is_some_and(|p| p.is_open() && *p.player_id == **player)
            };
            if gs.players.iter().any(seated) {
                return Err(ApiError::InvalidRequest(format!(
                    "Player {player} already has a player session in game session {id}."
                )));
            }
        }
        let capacity = gs.max_players.min(MAX_PLAYERS_PER_GAME_SESSION);
        let wanted = players.len() as u32;
        if gs.current_players + wanted > capacity {
            return Err(ApiError::GameSessionFull(format!(
                "Game session {id} has {} of {capacity} player slots taken; {wanted} more do not fit.",
                gs.current_players
            )));
        }
        Ok(())
    }

    /// Adds one RESERVED player session of game session `gs_seq` to the player indexes and
    /// schedules its timeout (the caller adds it to the game session). Returns its number.
    fn insert_player_session(&mut self, now: Now, gs_seq: u64, player: String, data: Option<String>) -> u64 {
        let seq = self.next_seq();
        let id: Arc<str> = ids::new_id("psess").into();
        let player_id: Arc<str> = player.into();
        let session = PlayerSession {
            seq,
            id: id.clone(),
            player_id: player_id.clone(),
            game_session: gs_seq,
            status: PlayerSessionStatus::Reserved,
            data: data.map(Into::into),
            created_ms: now.wall_ms,
            terminated_ms: None,
        };
        self.player_sessions.insert(seq, Box::new(session));
        self.player_session_ids.insert(id, seq);
        self.players.get_or_insert_with(player_id, Vec::new).push(seq);
        let timeout = self.settings.player_session_timeout;
        self.schedule(now.at + timeout, Timer::PlayerSessionTimeout(seq));
        seq
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
        let (game_session, player) = (p.game_session, p.player_id.clone());
        if let Some(gs) = self.sessions.get_mut(&game_session) {
            gs.current_players = gs.current_players.saturating_sub(1);
        }
        self.cancel_timers(Subject::PlayerSession(seq), |_| true);
        self.matchmaking_player_left(game_session, &player, now);
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::fleet::{ComputeType, FleetSpec};
    use crate::model::{CreateGameSession, Settings};

    fn now() -> Now {
        Now { at: tokio::time::Instant::now(), wall_ms: 1_700_000_000_000 }
    }

    /// A world with one ACTIVE game session of at most 2 players; returns it and its ID.
    fn world() -> (World, Now, String) {
        let mut w = World::new(Settings::for_tests());
        let t = now();
        w.insert_fleet(FleetSpec::for_tests("fleet-a", ComputeType::Ec2, 2, &[("us-east-1", 1)]), t).unwrap();
        let req = CreateGameSession {
            fleet_id: Some("fleet-a".into()),
            maximum_player_session_count: 2,
            ..Default::default()
        };
        let seq = w.create_game_session(t, req).unwrap();
        let t = t.after(Duration::from_secs(1));
        w.advance(t);
        let id = w.game_session(seq).unwrap().arn.to_string();
        (w, t, id)
    }

    fn players(names: &[&str]) -> Vec<(String, Option<String>)> {
        names.iter().map(|n| (n.to_string(), None)).collect()
    }

    #[test]
    fn check_can_seat_names_each_reason_a_player_cannot_join() {
        let (mut w, t, id) = world();
        let gs = w.game_session_by_id(&id).unwrap();
        assert!(w.check_can_seat(gs, &players(&["a", "b"])).is_ok());
        let code = |w: &World, names: &[&str]| {
            let gs = w.game_session_by_id(&id).unwrap();
            w.check_can_seat(gs, &players(names)).unwrap_err().code()
        };
        assert_eq!(code(&w, &["a", "a"]), "InvalidRequestException");
        assert_eq!(code(&w, &["a", "b", "c"]), "GameSessionFullException");
        w.create_player_sessions(t, &id, players(&["a"])).unwrap();
        assert_eq!(code(&w, &["a"]), "InvalidRequestException");
        assert_eq!(code(&w, &["b", "c"]), "GameSessionFullException");
        w.update_game_session(crate::model::UpdateGameSession {
            game_session_id: id.clone(),
            policy: Some(PlayerSessionCreationPolicy::DenyAll),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(code(&w, &["b"]), "InvalidGameSessionStatusException");
        w.check_invariants().unwrap();
    }

    #[test]
    fn insert_player_session_indexes_it_and_schedules_its_timeout() {
        let (mut w, t, id) = world();
        let created = w.create_player_sessions(t, &id, players(&["a", "b"])).unwrap();
        assert_eq!(w.game_session_by_id(&id).unwrap().current_players, 2);
        let p = w.player_session(created[1]).unwrap();
        assert_eq!((p.status, &*p.player_id), (PlayerSessionStatus::Reserved, "b"));
        assert_eq!(w.player_session_by_id(&p.id.clone()).unwrap().seq, created[1]);
        w.check_invariants().unwrap();
        w.advance(t.after(Duration::from_secs(60)));
        assert_eq!(w.player_session(created[0]).unwrap().status, PlayerSessionStatus::Timedout);
        assert_eq!(w.game_session_by_id(&id).unwrap().current_players, 0);
        w.check_invariants().unwrap();
    }
}
