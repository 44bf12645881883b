//! Game sessions: creation (with routing, idempotency, creator limits and capacity),
//! activation, and queries.
//!
//! A game session lives in `World::sessions` under its creation sequence number; the fleet and
//! its location index it by that number in creation order, so listing a page costs the page,
//! not the world. ACTIVE sessions are also indexed by game property (for search).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use super::compute::ProcessMessage;
use super::fleet::{ComputeType, Fleet};
use super::fleet_lifecycle::fleet_not_found;
use super::search::{Filter, Operand, SessionFields, Sort};
use super::timers::{Subject, Timer};
use super::world::{Now, World};
use super::{
    FleetStatus, GameSessionStatus, GameSessionStatusReason, PlayerSessionCreationPolicy,
    PlayerSessionStatus, ProtectionPolicy, TerminationMode, ids, regions,
};
use crate::error::{ApiError, ApiResult};

/// A game session.
#[derive(Debug, Clone)]
pub struct GameSession {
    /// Creation sequence number (the key in `World::sessions`).
    pub seq: u64,
    /// The game session ID, which is its ARN.
    pub arn: Arc<str>,
    /// Fleet ID.
    pub fleet_id: Arc<str>,
    /// Fleet ARN.
    pub fleet_arn: Arc<str>,
    /// Location name.
    pub location: Arc<str>,
    /// Name.
    pub name: Option<Box<str>>,
    /// CreatorId.
    pub creator_id: Option<Box<str>>,
    /// Game properties, in request order.
    pub properties: Vec<(Box<str>, Box<str>)>,
    /// GameSessionData.
    pub data: Option<Box<str>>,
    /// MatchmakerData.
    pub matchmaker_data: Option<Box<str>>,
    /// MaximumPlayerSessionCount.
    pub max_players: u32,
    /// Player sessions counted against the maximum (RESERVED and ACTIVE).
    pub current_players: u32,
    /// Status.
    pub status: GameSessionStatus,
    /// StatusReason.
    pub status_reason: Option<GameSessionStatusReason>,
    /// PlayerSessionCreationPolicy.
    pub policy: PlayerSessionCreationPolicy,
    /// ProtectionPolicy.
    pub protection: ProtectionPolicy,
    /// CreationTime (epoch ms).
    pub created_ms: i64,
    /// TerminationTime (epoch ms).
    pub terminated_ms: Option<i64>,
    /// Advertised IP address.
    pub ip_address: Arc<str>,
    /// Advertised DNS name.
    pub dns_name: Arc<str>,
    /// Port.
    pub port: u16,
    /// Where the session runs.
    pub host: Host,
    /// Hash of the creating request's parameters (idempotency checks).
    fingerprint: u64,
    /// The idempotency token or custom ID that named it, if any.
    pub token: Option<Box<str>>,
    /// When it became ACTIVE (epoch ms).
    pub activated_ms: Option<i64>,
    /// While TERMINATING: the reason it will end with.
    pub ending: Option<GameSessionStatusReason>,
    /// Its player sessions, in creation order.
    pub players: Vec<u64>,
}

/// Where a game session runs (its location is `GameSession::location`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A slot on an instance of a timer-driven fleet location: it activates on a timer.
    Instance {
        /// Instance number in the location.
        instance: u32,
        /// Slot on that instance.
        slot: u32,
    },
    /// A connected game-server process (Server SDK 5): it activates when the process calls
    /// ActivateGameSession.
    Process {
        /// The process's pID.
        pid: Arc<str>,
        /// Its compute's name (GameSession.ComputeName).
        compute: Arc<str>,
    },
}

impl GameSession {
    /// A game property by key.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.iter().find(|(k, _)| &**k == key).map(|(_, v)| &**v)
    }

    /// Whether the session still holds capacity (it has not ended).
    pub fn is_live(&self) -> bool {
        !matches!(self.status, GameSessionStatus::Terminated | GameSessionStatus::Error)
    }
}

impl SessionFields for GameSession {
    fn game_session_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn game_session_id(&self) -> &str {
        &self.arn
    }
    fn property(&self, key: &str) -> Option<&str> {
        GameSession::property(self, key)
    }
    fn maximum_sessions(&self) -> i64 {
        i64::from(self.max_players)
    }
    fn creation_time_millis(&self) -> i64 {
        self.created_ms
    }
    fn player_session_count(&self) -> i64 {
        i64::from(self.current_players)
    }
    fn has_available_player_sessions(&self) -> bool {
        self.current_players < self.max_players
    }
}

/// A CreateGameSession request, after wire validation.
#[derive(Debug, Clone, Default)]
pub struct CreateGameSession {
    /// FleetId (ID or ARN).
    pub fleet_id: Option<String>,
    /// AliasId (ID or ARN).
    pub alias_id: Option<String>,
    /// MaximumPlayerSessionCount.
    pub maximum_player_session_count: u32,
    /// Name.
    pub name: Option<String>,
    /// GameProperties.
    pub game_properties: Vec<(String, String)>,
    /// CreatorId.
    pub creator_id: Option<String>,
    /// The deprecated GameSessionId (custom ID string).
    pub game_session_id: Option<String>,
    /// IdempotencyToken.
    pub idempotency_token: Option<String>,
    /// GameSessionData.
    pub game_session_data: Option<String>,
    /// Location.
    pub location: Option<String>,
    /// MatchmakerData (a FlexMatch placement).
    pub matchmaker_data: Option<String>,
}

impl CreateGameSession {
    fn fingerprint(&self, location: &str) -> u64 {
        let mut h = rustc_hash::FxHasher::default();
        self.maximum_player_session_count.hash(&mut h);
        self.name.hash(&mut h);
        self.game_properties.hash(&mut h);
        self.creator_id.hash(&mut h);
        self.game_session_data.hash(&mut h);
        location.hash(&mut h);
        h.finish()
    }
}

/// Which game sessions of a fleet to list.
#[derive(Debug, Clone, Default)]
pub struct GameSessionQuery<'a> {
    /// Only this location.
    pub location: Option<&'a str>,
    /// Only this status.
    pub status: Option<GameSessionStatus>,
    /// Start after this sequence number (from a NextToken).
    pub after: Option<u64>,
    /// Page size.
    pub limit: usize,
}

/// One window of the per-creator limits: at most `max` creations within `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CreatorWindow {
    max: usize,
    window_ms: i64,
    /// From the fleet's resource creation limit policy (else the one-per-second rule).
    policy: bool,
}

/// Past this many creators on record, a fleet forgets the ones idle for a whole window.
const CREATOR_SWEEP_THRESHOLD: usize = 4096;

/// The capacity taken for new game session `seq` in location `loc_idx`: where it runs and the
/// address it advertises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reservation {
    seq: u64,
    loc_idx: usize,
    host: Host,
    ip_address: Arc<str>,
    dns_name: Arc<str>,
    port: u16,
}

/// What a request may still do with its idempotency token or custom ID: a replay of the same
/// request returns the original session (`Ok(Some)`), a new token goes on (`Ok(None)`), and a
/// token used with other parameters, or a reused custom ID, is `IdempotentParameterMismatch`.
/// Checked first: a replay returns the original whatever the fleet's state is now.
fn replay_or_mismatch(
    fleet: &Fleet,
    existing: Option<&GameSession>,
    req: &CreateGameSession,
    fingerprint: u64,
) -> ApiResult<Option<u64>> {
    let Some(token) = req.idempotency_token.as_deref().or(req.game_session_id.as_deref()) else {
        return Ok(None);
    };
    let Some(&seq) = fleet.tokens.get(token) else { return Ok(None) };
    let same = existing.is_some_and(|s| s.fingerprint == fingerprint);
    match (req.idempotency_token.is_some(), same) {
        (true, true) => Ok(Some(seq)),
        (true, false) => Err(ApiError::IdempotentParameterMismatch(format!(
            "The idempotency token {token} was already used in fleet {} with different parameters.",
            fleet.id
        ))),
        (false, _) => Err(ApiError::IdempotentParameterMismatch(
            "A game session with this custom ID string already exists in this fleet.".into(),
        )),
    }
}

/// Whether game sessions can be created in `location` of `fleet` (`asked` is the request's
/// Location): the fleet and the location are ACTIVE, and an Anywhere fleet was told where.
/// Returns the location's index.
fn check_can_create_in(fleet: &Fleet, asked: Option<&str>, location: &str) -> ApiResult<usize> {
    if fleet.status != FleetStatus::Active {
        return Err(ApiError::InvalidFleetStatus(format!(
            "Fleet {} is in status {}; game sessions can only be created in ACTIVE fleets.",
            fleet.id, fleet.status
        )));
    }
    if fleet.compute_type == ComputeType::Anywhere && asked.is_none() {
        return Err(ApiError::InvalidRequest(format!(
            "Location is required for game sessions on Anywhere fleet {}.",
            fleet.id
        )));
    }
    let idx = locate(fleet, location)?;
    let status = fleet.locations[idx].status;
    if status != FleetStatus::Active {
        return Err(ApiError::InvalidFleetStatus(format!(
            "Location {location} of fleet {} is in status {status}; game sessions can only be created in ACTIVE locations.",
            fleet.id
        )));
    }
    Ok(idx)
}

/// The window a creator's requests are counted in: the fleet's resource creation limit policy,
/// else at most one per second. A request that names no creator is not counted (issue 15: AWS
/// accepts it even on a fleet with a policy).
fn creator_window(fleet: &Fleet, creator: Option<&str>) -> Option<CreatorWindow> {
    creator?;
    Some(match fleet.creation_limit {
        Some(limit) => CreatorWindow {
            max: limit.per_creator as usize,
            window_ms: i64::from(limit.period_minutes) * 60_000,
            policy: true,
        },
        None => CreatorWindow { max: 1, window_ms: 1_000, policy: false },
    })
}

/// `LimitExceeded` when `creator` already created `window.max` sessions in the fleet within the
/// window before `now_ms`.
fn check_creator_limit(fleet: &Fleet, creator: &str, window: CreatorWindow, now_ms: i64) -> ApiResult<()> {
    let recent = fleet
        .creators
        .get(creator)
        .map_or(0, |times| times.iter().filter(|&&t| t > now_ms - window.window_ms).count());
    if recent < window.max {
        return Ok(());
    }
    Err(ApiError::LimitExceeded(if window.policy {
        format!(
            "Creator {creator} has reached the limit of {} new game sessions per {} minutes on fleet {}.",
            window.max,
            window.window_ms / 60_000,
            fleet.id
        )
    } else {
        format!("Creator {creator} may create at most one game session per second on fleet {}.", fleet.id)
    }))
}

/// Records a creation by `creator` at `now_ms`, forgetting what fell out of its window (and,
/// past [`CREATOR_SWEEP_THRESHOLD`] creators, the creators idle for a whole window).
fn record_creation(fleet: &mut Fleet, creator: &str, window: CreatorWindow, now_ms: i64) {
    let times = fleet.creators.entry(creator.into()).or_default();
    while times.front().is_some_and(|&t| t <= now_ms - window.window_ms) {
        times.pop_front();
    }
    times.push_back(now_ms);
    if fleet.creators.len() > CREATOR_SWEEP_THRESHOLD {
        let horizon = now_ms - window.window_ms.max(1_000);
        fleet.creators.retain(|_, t| t.back().is_some_and(|&last| last > horizon));
    }
}

impl World {
    /// CreateGameSession. Returns the session's sequence number; a replayed idempotency token
    /// returns the original session. Checks first (idempotency, fleet and location status,
    /// creator limits), then reserves a host, then commits.
    pub fn create_game_session(&mut self, now: Now, req: CreateGameSession) -> ApiResult<u64> {
        let fleet = self.target_fleet(req.fleet_id.as_deref(), req.alias_id.as_deref())?;
        let location = req.location.as_deref().unwrap_or(&fleet.home_region).to_owned();
        let fingerprint = req.fingerprint(&location);
        let token = req.idempotency_token.as_deref().or(req.game_session_id.as_deref());
        let existing = token.and_then(|t| fleet.tokens.get(t)).and_then(|seq| self.game_session(*seq));
        if let Some(seq) = replay_or_mismatch(fleet, existing, &req, fingerprint)? {
            return Ok(seq);
        }
        let loc_idx = check_can_create_in(fleet, req.location.as_deref(), &location)?;
        let creator = req.creator_id.as_deref();
        let window = creator_window(fleet, creator);
        if let (Some(creator), Some(window)) = (creator, window) {
            check_creator_limit(fleet, creator, window, now.wall_ms)?;
        }
        let fleet_id = fleet.id.clone();
        let seq = self.next_seq();
        let reservation = self.reserve_host(&fleet_id, loc_idx, seq)?;
        if let (Some(creator), Some(window), Some(fleet)) = (creator, window, self.fleets.get_mut(&fleet_id))
        {
            record_creation(fleet, creator, window, now.wall_ms);
        }
        self.insert_game_session(now, req, &fleet_id, fingerprint, reservation)?;
        self.schedule_activation(seq, now);
        Ok(seq)
    }

    /// Takes the capacity a new game session `seq` needs in location `loc_idx`: a ready
    /// game-server process on a process-driven fleet, else a free slot on an ACTIVE instance.
    /// `FleetCapacityExceeded` when there is none.
    fn reserve_host(&mut self, fleet_id: &str, loc_idx: usize, seq: u64) -> ApiResult<Reservation> {
        let fleet = self.fleets.get_mut(fleet_id).ok_or_else(|| fleet_not_found(fleet_id))?;
        let location = fleet.locations[loc_idx].name.clone();
        let no_capacity = || {
            ApiError::FleetCapacityExceeded(format!(
                "Unable to reserve a process on fleet {fleet_id} in location {location}: every server process is hosting a game session."
            ))
        };
        if fleet.process_driven() {
            let p = self.hosts.reserve(fleet_id, &location, seq).ok_or_else(no_capacity)?;
            let host = Host::Process { pid: p.pid, compute: p.compute };
            return Ok(Reservation { seq, loc_idx, host, ip_address: p.ip, dns_name: p.dns, port: p.port });
        }
        let slots = fleet.runtime.slots_per_instance();
        let Some((instance, slot)) = fleet.locations[loc_idx].allocate(slots) else {
            return Err(no_capacity());
        };
        Ok(Reservation {
            seq,
            loc_idx,
            host: Host::Instance { instance, slot },
            ip_address: fleet.ip_address.clone(),
            dns_name: fleet.dns_name.clone(),
            port: fleet.port_of(slot),
        })
    }

    /// Puts a new ACTIVATING game session into the world and every index over it: the session
    /// maps, its fleet's and location's session sets, and its fleet's tokens.
    fn insert_game_session(
        &mut self,
        now: Now,
        req: CreateGameSession,
        fleet_id: &str,
        fingerprint: u64,
        at: Reservation,
    ) -> ApiResult<()> {
        let (seq, loc_idx) = (at.seq, at.loc_idx);
        let fleet = self.fleets.get_mut(fleet_id).ok_or_else(|| fleet_not_found(fleet_id))?;
        let token: Option<Box<str>> = req.idempotency_token.or(req.game_session_id).map(Into::into);
        let id = token.as_deref().map_or_else(|| ids::new_id("gsess"), str::to_owned);
        let loc = &mut fleet.locations[loc_idx];
        let remote = (loc_idx != 0).then_some(&*loc.name);
        let arn: Arc<str> = ids::game_session_arn(&fleet.home_region, &fleet.id, remote, &id).into();
        loc.sessions.insert(seq);
        let session = GameSession {
            seq,
            arn: arn.clone(),
            fleet_id: fleet.id.clone(),
            fleet_arn: fleet.arn.clone(),
            location: loc.name.clone(),
            name: req.name.map(Into::into),
            creator_id: req.creator_id.map(Into::into),
            properties: req.game_properties.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
            data: req.game_session_data.map(Into::into),
            matchmaker_data: req.matchmaker_data.map(Into::into),
            max_players: req.maximum_player_session_count,
            current_players: 0,
            status: GameSessionStatus::Activating,
            status_reason: None,
            policy: PlayerSessionCreationPolicy::AcceptAll,
            protection: fleet.protection,
            created_ms: now.wall_ms,
            terminated_ms: None,
            ip_address: at.ip_address,
            dns_name: at.dns_name,
            port: at.port,
            host: at.host,
            fingerprint,
            token: token.clone(),
            activated_ms: None,
            ending: None,
            players: Vec::new(),
        };
        fleet.sessions.insert(seq);
        if let Some(t) = token {
            fleet.tokens.insert(t, seq);
        }
        self.sessions.insert(seq, Box::new(session));
        self.session_ids.insert(arn, seq);
        Ok(())
    }

    /// Starts a new session's activation: on an instance it activates after the fleet's (or
    /// the emulator's) activation delay; on a process it is pushed to the process, which
    /// activates it, unless the fleet's activation timeout passes first.
    fn schedule_activation(&mut self, seq: u64, now: Now) {
        let Some(s) = self.sessions.get(&seq) else { return };
        let Some(fleet) = self.fleets.get(&s.fleet_id) else { return };
        if matches!(s.host, Host::Process { .. }) {
            let timeout = fleet
                .runtime
                .activation_timeout_seconds
                .map_or(super::compute::DEFAULT_ACTIVATION_TIMEOUT, |s| Duration::from_secs(u64::from(s)));
            if let Some(push) = self.session_push(seq) {
                self.push_to_host(seq, ProcessMessage::CreateGameSession(push));
            }
            self.schedule(now.at + timeout, Timer::ActivationTimeout(seq));
        } else {
            let delay = fleet.activation_delay.unwrap_or(self.settings.game_session_activation_delay);
            self.schedule(now.at + delay, Timer::ActivateGameSession(seq));
        }
    }

    /// ACTIVATING → ACTIVE (a no-op for a session in any other state).
    pub(crate) fn activate_game_session(&mut self, seq: u64, now: Now) {
        let Some(s) = self.sessions.get_mut(&seq) else { return };
        if s.status != GameSessionStatus::Activating {
            return;
        }
        s.status = GameSessionStatus::Active;
        s.activated_ms = Some(now.wall_ms);
        // A process-hosted session's activation timeout no longer applies.
        self.timers.cancel(&Subject::GameSession(seq), |_| true);
        if let Some(fleet) = self.fleets.get_mut(&s.fleet_id) {
            fleet.index_active(seq, &s.properties);
        }
        self.placement_session_active(seq, now);
    }

    /// A game session by sequence number.
    pub fn game_session(&self, seq: u64) -> Option<&GameSession> {
        self.sessions.get(&seq).map(|s| &**s)
    }

    /// A game session by ID (ARN): `NotFoundException` when unknown.
    pub fn game_session_by_id(&self, id: &str) -> ApiResult<&GameSession> {
        self.session_ids
            .get(id)
            .and_then(|seq| self.sessions.get(seq))
            .map(|s| &**s)
            .ok_or_else(|| ApiError::NotFound(format!("Game session {id} not found.")))
    }

    /// One page of a fleet's game sessions in creation order, and the cursor for the next.
    pub fn list_game_sessions(
        &self,
        fleet: &Fleet,
        q: &GameSessionQuery<'_>,
    ) -> (Vec<&GameSession>, Option<u64>) {
        let set = match q.location {
            None => &fleet.sessions,
            Some(name) => match fleet.location_index(name) {
                Some(i) => &fleet.locations[i].sessions,
                None => return (Vec::new(), None),
            },
        };
        let start = q.after.map_or(Bound::Unbounded, Bound::Excluded);
        let items = set
            .range((start, Bound::Unbounded))
            .filter_map(|seq| self.sessions.get(seq).map(|s| &**s))
            .filter(|s| q.status.is_none_or(|st| s.status == st))
            .map(|s| (s.seq, s));
        super::paging::page(items, q.limit)
    }
}

/// An UpdateGameSession request, after wire validation.
#[derive(Debug, Clone, Default)]
pub struct UpdateGameSession {
    /// GameSessionId (the ARN).
    pub game_session_id: String,
    /// New MaximumPlayerSessionCount.
    pub maximum_player_session_count: Option<u32>,
    /// New Name.
    pub name: Option<String>,
    /// New PlayerSessionCreationPolicy.
    pub policy: Option<PlayerSessionCreationPolicy>,
    /// New ProtectionPolicy.
    pub protection: Option<ProtectionPolicy>,
    /// Properties to add or modify (never removed).
    pub game_properties: Option<Vec<(String, String)>>,
}

/// Where a search page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchCursor {
    /// After this sequence number, in the iteration order (creation-time order).
    After(u64),
    /// After this many results (any other sort).
    Offset(u64),
}

/// A SearchGameSessions request over one fleet.
#[derive(Debug, Clone, Copy)]
pub struct SearchQuery<'a> {
    /// Only this location.
    pub location: Option<&'a str>,
    /// The parsed FilterExpression.
    pub filter: Option<&'a Filter>,
    /// The parsed SortExpression.
    pub sort: Option<&'a Sort>,
    /// Where the page starts.
    pub cursor: Option<SearchCursor>,
    /// Page size.
    pub limit: usize,
}

/// Game properties can hold at most this many entries (GamePropertyList max).
const MAX_GAME_PROPERTIES: usize = 16;

impl World {
    /// UpdateGameSession. Properties are added or modified, never deleted.
    pub fn update_game_session(&mut self, req: UpdateGameSession) -> ApiResult<u64> {
        let seq = self.game_session_by_id(&req.game_session_id)?.seq;
        let Some(s) = self.sessions.get_mut(&seq) else {
            return Err(ApiError::NotFound(format!("Game session {} not found.", req.game_session_id)));
        };
        if !matches!(s.status, GameSessionStatus::Active | GameSessionStatus::Activating) {
            return Err(ApiError::InvalidGameSessionStatus(format!(
                "Game session {} is in status {}; only ACTIVE or ACTIVATING game sessions can be updated.",
                s.arn, s.status
            )));
        }
        let mut props = s.properties.clone();
        if let Some(updates) = &req.game_properties {
            for (k, v) in updates {
                match props.iter_mut().find(|(pk, _)| **pk == **k) {
                    Some(entry) => entry.1 = v.as_str().into(),
                    None => props.push((k.as_str().into(), v.as_str().into())),
                }
            }
            if props.len() > MAX_GAME_PROPERTIES {
                return Err(ApiError::InvalidRequest(format!(
                    "A game session can have at most {MAX_GAME_PROPERTIES} game properties; this update would give it {}.",
                    props.len()
                )));
            }
        }
        if let Some(n) = req.maximum_player_session_count {
            s.max_players = n;
        }
        if let Some(name) = req.name {
            s.name = Some(name.into());
        }
        if let Some(p) = req.policy {
            s.policy = p;
        }
        if let Some(p) = req.protection {
            s.protection = p;
        }
        if req.game_properties.is_some() {
            if s.status == GameSessionStatus::Active
                && let Some(fleet) = self.fleets.get_mut(&s.fleet_id)
            {
                fleet.unindex_active(seq, &s.properties);
                fleet.index_active(seq, &props);
            }
            s.properties = props;
        }
        Ok(seq)
    }

    /// TerminateGameSession: TERMINATING now, TERMINATED (with the mode's StatusReason) once
    /// the server process has stopped. A session already TERMINATING is left as it is.
    pub fn terminate_game_session(&mut self, now: Now, id: &str, mode: TerminationMode) -> ApiResult<u64> {
        let seq = self.game_session_by_id(id)?.seq;
        let delay = self.settings.game_session_termination_delay;
        let Some(s) = self.sessions.get_mut(&seq) else {
            return Err(ApiError::NotFound(format!("Game session {id} not found.")));
        };
        match s.status {
            GameSessionStatus::Terminating => return Ok(seq),
            GameSessionStatus::Terminated | GameSessionStatus::Error => {
                return Err(ApiError::InvalidGameSessionStatus(format!(
                    "Game session {id} is in status {}; it cannot be terminated.",
                    s.status
                )));
            }
            GameSessionStatus::Active | GameSessionStatus::Activating => {}
        }
        let fleet = self.fleets.get_mut(&s.fleet_id);
        if mode == TerminationMode::ForceTerminate
            && fleet.as_ref().is_some_and(|f| f.compute_type == ComputeType::Anywhere)
        {
            return Err(ApiError::InvalidRequest(format!(
                "FORCE_TERMINATE is not available for game session {id}: it runs on an Anywhere fleet without the Amazon GameLift Servers Agent."
            )));
        }
        if s.status == GameSessionStatus::Active
            && let Some(fleet) = fleet
        {
            fleet.unindex_active(seq, &s.properties);
        }
        s.status = GameSessionStatus::Terminating;
        s.ending = Some(match mode {
            TerminationMode::TriggerOnProcessTerminate => {
                GameSessionStatusReason::TriggeredOnProcessTerminate
            }
            TerminationMode::ForceTerminate => GameSessionStatusReason::ForceTerminated,
        });
        let process = match &s.host {
            Host::Process { pid, .. } => Some((s.fleet_id.clone(), pid.clone())),
            Host::Instance { .. } => None,
        };
        // An ACTIVATING session's activation (or activation timeout) no longer applies.
        self.cancel_timers(Subject::GameSession(seq), |_| true);
        match (process, mode) {
            (Some(_), TerminationMode::TriggerOnProcessTerminate) => {
                // onProcessTerminate; the session ends when the process calls ProcessEnding.
                let exit = super::compute::PROCESS_EXIT_TIMEOUT;
                let termination_time_ms = now.wall_ms + exit.as_millis() as i64;
                self.push_to_host(seq, ProcessMessage::TerminateProcess { termination_time_ms });
                self.schedule(now.at + exit, Timer::ProcessExitTimeout(seq));
            }
            (Some((fleet, pid)), TerminationMode::ForceTerminate) => {
                // The service stops the process: its socket is closed and it is forgotten.
                self.hosts.send(&fleet, &pid, ProcessMessage::Close);
                self.hosts.remove(&fleet, &pid);
                self.cancel_timers(Subject::Process(fleet, pid), |_| true);
                self.schedule(now.at + delay, Timer::FinishTermination(seq));
            }
            (None, _) => self.schedule(now.at + delay, Timer::FinishTermination(seq)),
        }
        Ok(seq)
    }

    /// A process-hosted session still ACTIVATING when its activation timeout passes ends.
    pub(crate) fn activation_timed_out(&mut self, seq: u64, now: Now) {
        if self.sessions.get(&seq).is_some_and(|s| s.status == GameSessionStatus::Activating) {
            self.end_game_session(seq, now, None);
        }
    }

    /// A process told to terminate never called ProcessEnding: it is stopped and its session ends.
    pub(crate) fn process_exit_timed_out(&mut self, seq: u64, now: Now) {
        let Some(s) = self.sessions.get(&seq) else { return };
        if s.status != GameSessionStatus::Terminating {
            return;
        }
        if let Host::Process { pid, .. } = &s.host {
            let (fleet, pid) = (s.fleet_id.clone(), pid.clone());
            self.hosts.send(&fleet, &pid, ProcessMessage::Close);
            self.end_process(&fleet, &pid, now, None);
        }
        self.finish_termination(seq, now);
    }

    /// TERMINATING → TERMINATED (a no-op in any other state).
    pub(crate) fn finish_termination(&mut self, seq: u64, now: Now) {
        let reason = match self.sessions.get(&seq) {
            Some(s) if s.status == GameSessionStatus::Terminating => s.ending,
            _ => return,
        };
        self.end_game_session(seq, now, reason);
    }

    /// Ends a game session now: TERMINATED with `reason` and TerminationTime, its slot freed,
    /// its open player sessions COMPLETED, and its purge scheduled after the retention period.
    /// Fleet deletion and scale-in use this too. A no-op for a session that already ended.
    pub(crate) fn end_game_session(&mut self, seq: u64, now: Now, reason: Option<GameSessionStatusReason>) {
        let Some(s) = self.sessions.get_mut(&seq) else { return };
        if !s.is_live() {
            return;
        }
        let was_active = s.status == GameSessionStatus::Active;
        s.status = GameSessionStatus::Terminated;
        s.status_reason = reason;
        s.ending = None;
        s.terminated_ms = Some(now.wall_ms);
        s.current_players = 0;
        for ps in &s.players {
            if let Some(p) = self.player_sessions.get_mut(ps)
                && p.is_open()
            {
                p.status = PlayerSessionStatus::Completed;
                p.terminated_ms = Some(now.wall_ms);
                self.timers.cancel(&Subject::PlayerSession(*ps), |_| true);
            }
        }
        let (fleet_id, location, host) = (s.fleet_id.clone(), s.location.clone(), s.host.clone());
        if was_active && let Some(fleet) = self.fleets.get_mut(&fleet_id) {
            fleet.unindex_active(seq, &s.properties);
        }
        match host {
            Host::Instance { instance, slot } => self.release_slot(&fleet_id, &location, instance, slot, now),
            Host::Process { pid, .. } => self.release_process(&fleet_id, &pid, seq),
        }
        let retention = self.settings.retention;
        self.cancel_timers(Subject::GameSession(seq), |_| true);
        self.schedule(now.at + retention, Timer::PurgeGameSession(seq));
        self.placement_session_ended(seq, now);
        self.matchmaking_session_ended(seq, now);
    }

    /// Forgets an ended game session, its player sessions and its idempotency token.
    pub(crate) fn purge_game_session(&mut self, seq: u64) {
        if self.sessions.get(&seq).is_none_or(|s| s.is_live()) {
            return;
        }
        let Some(s) = self.sessions.remove(&seq) else { return };
        self.session_ids.remove(&s.arn);
        if let Some(fleet) = self.fleets.get_mut(&s.fleet_id) {
            fleet.sessions.remove(&seq);
            if let Some(i) = fleet.location_index(&s.location) {
                fleet.locations[i].sessions.remove(&seq);
            }
            if let Some(tok) = &s.token
                && fleet.tokens.get(tok) == Some(&seq)
            {
                fleet.tokens.remove(tok);
            }
        }
        for ps in s.players {
            self.forget_player_session(ps);
        }
    }

    /// SearchGameSessions over one fleet: ACTIVE sessions only. A page costs the page when the
    /// order is creation time (or unspecified) and the filter is selective through an index
    /// (a required `gameSessionProperties.k = 'v'` or `gameSessionId = '...'`); any other sort
    /// costs the number of matches.
    pub fn search_game_sessions(
        &self,
        fleet: &Fleet,
        q: &SearchQuery<'_>,
    ) -> (Vec<&GameSession>, Option<SearchCursor>) {
        let candidates = self.search_candidates(fleet, q.filter);
        let keep = |s: &&GameSession| {
            s.status == GameSessionStatus::Active
                && q.location.is_none_or(|l| *s.location == *l)
                && q.filter.is_none_or(|f| f.matches(*s))
        };
        let by_creation = match q.sort {
            None => Some(false),
            Some(sort) if sort.operand == Operand::CreationTimeMillis => Some(sort.descending),
            Some(_) => None,
        };
        let Some(descending) = by_creation else {
            return self.search_page_sorted(&candidates, q, keep);
        };
        let after = match q.cursor {
            Some(SearchCursor::After(seq)) => Some(seq),
            _ => None,
        };
        let range: Box<dyn Iterator<Item = &u64>> = match (descending, after) {
            (false, None) => Box::new(candidates.iter()),
            (false, Some(a)) => Box::new(candidates.range((Bound::Excluded(a), Bound::Unbounded))),
            (true, None) => Box::new(candidates.iter().rev()),
            (true, Some(a)) => Box::new(candidates.range(..a).rev()),
        };
        let items =
            range.filter_map(|seq| self.sessions.get(seq).map(|s| &**s)).filter(keep).map(|s| (s.seq, s));
        let (page, next) = super::paging::page(items, q.limit);
        (page, next.map(SearchCursor::After))
    }

    /// The sessions a search must look at: the one a required `gameSessionId = '...'` names,
    /// else the smallest set of a required `gameSessionProperties.k = 'v'`, else every ACTIVE
    /// session of the fleet.
    fn search_candidates<'a>(&self, fleet: &'a Fleet, filter: Option<&Filter>) -> Cow<'a, BTreeSet<u64>> {
        let Some(f) = filter else { return Cow::Borrowed(&fleet.active) };
        if let Some(id) = f.required_game_session_id() {
            let seq = self.session_ids.get(id).filter(|seq| fleet.active.contains(seq));
            return Cow::Owned(seq.map(|seq| BTreeSet::from([*seq])).unwrap_or_default());
        }
        let eqs = f.required_property_equalities();
        let sets = eqs.iter().map(|(k, v)| fleet.props.get(*k).and_then(|by_v| by_v.get(*v)));
        match sets.min_by_key(|set| set.map_or(0, BTreeSet::len)) {
            None => Cow::Borrowed(&fleet.active),
            Some(Some(set)) => Cow::Borrowed(set),
            Some(None) => Cow::Owned(BTreeSet::new()),
        }
    }

    /// A search page in any order but creation time: every match is sorted, and the page is
    /// an offset into them.
    fn search_page_sorted<'a>(
        &'a self,
        candidates: &BTreeSet<u64>,
        q: &SearchQuery<'_>,
        keep: impl Fn(&&'a GameSession) -> bool,
    ) -> (Vec<&'a GameSession>, Option<SearchCursor>) {
        let mut all: Vec<&GameSession> =
            candidates.iter().filter_map(|seq| self.sessions.get(seq).map(|s| &**s)).filter(keep).collect();
        if let Some(sort) = q.sort {
            all.sort_by(|a, b| sort.compare(*a, *b).then(a.seq.cmp(&b.seq)));
        }
        let skip = match q.cursor {
            Some(SearchCursor::Offset(n)) => n as usize,
            _ => 0,
        };
        let items = all.into_iter().enumerate().skip(skip).map(|(i, s)| (i as u64 + 1, s));
        let (page, next) = super::paging::page(items, q.limit);
        (page, next.map(SearchCursor::Offset))
    }

    /// A small log of a game session's lifecycle (what GetGameSessionLogUrl's URL serves).
    pub fn game_session_log(&self, id: &str) -> ApiResult<String> {
        let s = self.game_session_by_id(id)?;
        let stamp = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_else(|| ms.to_string())
        };
        let mut out = format!(
            "{} game session {} created in fleet {} location {} (MaximumPlayerSessionCount {}, {}:{})\n",
            stamp(s.created_ms),
            s.arn,
            s.fleet_id,
            s.location,
            s.max_players,
            s.ip_address,
            s.port
        );
        if let Some(t) = s.activated_ms {
            out.push_str(&format!("{} game session ACTIVE\n", stamp(t)));
        }
        for ps in &s.players {
            if let Some(p) = self.player_sessions.get(ps) {
                out.push_str(&format!(
                    "{} player session {} for player {} reserved; now {}\n",
                    stamp(p.created_ms),
                    p.id,
                    p.player_id,
                    p.status
                ));
            }
        }
        if let Some(t) = s.terminated_ms {
            let reason = s.status_reason.map(|r| format!(" ({r})")).unwrap_or_default();
            out.push_str(&format!("{} game session TERMINATED{reason}\n", stamp(t)));
        } else {
            out.push_str(&format!("game session is {}\n", s.status));
        }
        Ok(out)
    }
}

/// Resolves a location name against a fleet: `InvalidRequestException` for an AWS Region or
/// custom location the fleet does not have, `UnsupportedRegionException` for a name that is
/// neither.
pub(crate) fn locate(fleet: &Fleet, name: &str) -> ApiResult<usize> {
    if let Some(i) = fleet.location_index(name) {
        return Ok(i);
    }
    if regions::is_aws_region(name) || regions::is_custom_location_name(name) {
        Err(ApiError::InvalidRequest(format!("Location {name} is not a location of fleet {}.", fleet.id)))
    } else {
        Err(ApiError::UnsupportedRegion(format!(
            "Location {name} is not a Region supported by Amazon GameLift."
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::fleet::FleetSpec;
    use super::super::{CreationLimit, Settings};
    use super::*;

    fn now() -> Now {
        Now { at: tokio::time::Instant::now(), wall_ms: 1_700_000_000_000 }
    }

    fn spec(id: &str, slots: u32, locations: &[(&str, u32)]) -> FleetSpec {
        FleetSpec::for_tests(id, ComputeType::Ec2, slots, locations)
    }

    fn world_with(spec: FleetSpec) -> World {
        let mut w = World::new(Settings::for_tests());
        w.insert_fleet(spec, now()).unwrap();
        w
    }

    fn req(fleet: &str) -> CreateGameSession {
        CreateGameSession {
            fleet_id: Some(fleet.into()),
            maximum_player_session_count: 4,
            ..Default::default()
        }
    }

    #[test]
    fn create_game_session_starts_activating_and_activates_after_the_delay() {
        let mut w = world_with(spec("fleet-a", 2, &[("us-east-1", 1)]));
        let t = now();
        let seq = w.create_game_session(t, req("fleet-a")).unwrap();
        let s = w.game_session(seq).unwrap();
        assert_eq!(s.status, GameSessionStatus::Activating);
        assert!(s.arn.starts_with("arn:aws:gamelift:us-east-1::gamesession/fleet-a/gsess-"));
        assert_eq!(&*s.location, "us-east-1");
        w.advance(t.after(Duration::from_millis(499)));
        assert_eq!(w.game_session(seq).unwrap().status, GameSessionStatus::Activating);
        w.advance(t.after(Duration::from_millis(500)));
        assert_eq!(w.game_session(seq).unwrap().status, GameSessionStatus::Active);
        assert!(w.fleets["fleet-a"].active.contains(&seq));
        w.check_invariants().unwrap();
    }

    #[test]
    fn create_game_session_in_remote_location_has_location_segment() {
        let mut w = world_with(spec("fleet-a", 2, &[("us-east-1", 1), ("us-west-2", 1)]));
        let mut r = req("fleet-a");
        r.location = Some("us-west-2".into());
        let seq = w.create_game_session(now(), r).unwrap();
        let s = w.game_session(seq).unwrap();
        assert!(
            s.arn.starts_with("arn:aws:gamelift:us-east-1::gamesession/fleet-a/us-west-2/gsess-"),
            "{}",
            s.arn
        );
        w.check_invariants().unwrap();
    }

    #[test]
    fn create_game_session_full_fleet_is_capacity_exceeded_and_ports_differ() {
        let mut w = world_with(spec("fleet-a", 2, &[("us-east-1", 1)]));
        let a = w.create_game_session(now(), req("fleet-a")).unwrap();
        let b = w.create_game_session(now(), req("fleet-a")).unwrap();
        assert_ne!(w.game_session(a).unwrap().port, w.game_session(b).unwrap().port);
        let err = w.create_game_session(now(), req("fleet-a")).unwrap_err();
        assert_eq!(err.code(), "FleetCapacityExceededException");
        w.check_invariants().unwrap();
    }

    #[test]
    fn create_game_session_unknown_locations_are_named_by_kind() {
        let mut w = world_with(spec("fleet-a", 2, &[("us-east-1", 1)]));
        let mut r = req("fleet-a");
        r.location = Some("eu-west-1".into());
        assert_eq!(w.create_game_session(now(), r.clone()).unwrap_err().code(), "InvalidRequestException");
        r.location = Some("mars-north-1".into());
        assert_eq!(w.create_game_session(now(), r).unwrap_err().code(), "UnsupportedRegionException");
        w.check_invariants().unwrap();
    }

    #[test]
    fn create_game_session_idempotency_token_replays_and_detects_mismatch() {
        let mut w = world_with(spec("fleet-a", 4, &[("us-east-1", 1)]));
        let mut r = req("fleet-a");
        r.idempotency_token = Some("tok-1".into());
        let a = w.create_game_session(now(), r.clone()).unwrap();
        let b = w.create_game_session(now(), r.clone()).unwrap();
        assert_eq!(a, b);
        assert!(w.game_session(a).unwrap().arn.ends_with("/tok-1"));
        r.maximum_player_session_count = 5;
        let err = w.create_game_session(now(), r).unwrap_err();
        assert_eq!(err.code(), "IdempotentParameterMismatchException");
        assert_eq!(w.sessions.len(), 1);
        w.check_invariants().unwrap();
    }

    #[test]
    fn create_game_session_reused_custom_id_is_a_mismatch() {
        let mut w = world_with(spec("fleet-a", 4, &[("us-east-1", 1)]));
        let mut r = req("fleet-a");
        r.game_session_id = Some("custom-1".into());
        w.create_game_session(now(), r.clone()).unwrap();
        let err = w.create_game_session(now(), r).unwrap_err();
        assert_eq!(err.code(), "IdempotentParameterMismatchException");
        assert_eq!(err.message(), "A game session with this custom ID string already exists in this fleet.");
        w.check_invariants().unwrap();
    }

    #[test]
    fn create_game_session_creator_limits_apply_per_window() {
        let mut s = spec("fleet-a", 10, &[("us-east-1", 1)]);
        s.creation_limit = Some(CreationLimit { per_creator: 2, period_minutes: 1 });
        let mut w = world_with(s);
        let t = now();
        // Requests without a CreatorId are not counted, however many.
        for _ in 0..3 {
            w.create_game_session(t, req("fleet-a")).unwrap();
        }
        let mut r = req("fleet-a");
        r.creator_id = Some("p1".into());
        w.create_game_session(t, r.clone()).unwrap();
        w.create_game_session(t, r.clone()).unwrap();
        assert_eq!(w.create_game_session(t, r.clone()).unwrap_err().code(), "LimitExceededException");
        w.create_game_session(t.after(Duration::from_secs(61)), r).unwrap();

        let mut w = world_with(spec("fleet-b", 10, &[("us-east-1", 1)]));
        let mut r = req("fleet-b");
        r.creator_id = Some("p1".into());
        w.create_game_session(t, r.clone()).unwrap();
        assert_eq!(w.create_game_session(t, r.clone()).unwrap_err().code(), "LimitExceededException");
        w.create_game_session(t.after(Duration::from_millis(1001)), r).unwrap();
        w.check_invariants().unwrap();
    }

    #[test]
    fn create_game_session_in_inactive_fleet_is_invalid_fleet_status() {
        let mut s = spec("fleet-a", 10, &[("us-east-1", 1)]);
        s.status = FleetStatus::Activating;
        let mut w = world_with(s);
        assert_eq!(
            w.create_game_session(now(), req("fleet-a")).unwrap_err().code(),
            "InvalidFleetStatusException"
        );
        w.check_invariants().unwrap();
    }

    #[test]
    fn replay_or_mismatch_replays_same_token_and_rejects_the_rest() {
        let mut w = world_with(spec("fleet-a", 4, &[("us-east-1", 1)]));
        let mut r = req("fleet-a");
        r.idempotency_token = Some("tok-1".into());
        let seq = w.create_game_session(now(), r.clone()).unwrap();
        let fleet = &w.fleets["fleet-a"];
        let existing = w.game_session(seq);
        let fp = r.fingerprint("us-east-1");
        assert_eq!(replay_or_mismatch(fleet, existing, &r, fp).unwrap(), Some(seq));
        let err = replay_or_mismatch(fleet, existing, &r, fp ^ 1).unwrap_err();
        assert_eq!(err.code(), "IdempotentParameterMismatchException");
        let custom = CreateGameSession { game_session_id: Some("tok-1".into()), ..req("fleet-a") };
        let err = replay_or_mismatch(fleet, existing, &custom, fp).unwrap_err();
        assert_eq!(err.message(), "A game session with this custom ID string already exists in this fleet.");
        let fresh = CreateGameSession { idempotency_token: Some("tok-2".into()), ..req("fleet-a") };
        assert_eq!(replay_or_mismatch(fleet, None, &fresh, fp).unwrap(), None);
        assert_eq!(replay_or_mismatch(fleet, None, &req("fleet-a"), fp).unwrap(), None);
        w.check_invariants().unwrap();
    }

    #[test]
    fn check_can_create_in_needs_an_active_fleet_and_location() {
        let mut s = spec("fleet-a", 2, &[("us-east-1", 1), ("us-west-2", 1)]);
        s.locations[1].status = FleetStatus::Activating;
        let mut w = world_with(s);
        let fleet = &w.fleets["fleet-a"];
        assert_eq!(check_can_create_in(fleet, None, "us-east-1").unwrap(), 0);
        let err = check_can_create_in(fleet, Some("us-west-2"), "us-west-2").unwrap_err();
        assert_eq!(err.code(), "InvalidFleetStatusException");
        assert!(err.message().contains("Location us-west-2"), "{}", err.message());
        assert_eq!(
            check_can_create_in(fleet, Some("eu-west-1"), "eu-west-1").unwrap_err().code(),
            "InvalidRequestException"
        );
        w.fleets.get_mut("fleet-a").unwrap().status = FleetStatus::Activating;
        let err = check_can_create_in(&w.fleets["fleet-a"], None, "us-east-1").unwrap_err();
        assert_eq!(err.code(), "InvalidFleetStatusException");
        let any = Fleet::from_spec(
            FleetSpec::for_tests("fleet-b", ComputeType::Anywhere, 1, &[("custom-x", 0)]),
            "fleet-b".into(),
            "arn".into(),
            "us-east-1",
            1,
            0,
        );
        let err = check_can_create_in(&any, None, "us-east-1").unwrap_err();
        assert_eq!(err.message(), "Location is required for game sessions on Anywhere fleet fleet-b.");
        w.fleets.get_mut("fleet-a").unwrap().status = FleetStatus::Active;
        w.check_invariants().unwrap();
    }

    #[test]
    fn check_creator_limit_counts_only_named_creators_within_the_window() {
        let mut s = spec("fleet-a", 10, &[("us-east-1", 1)]);
        s.creation_limit = Some(CreationLimit { per_creator: 2, period_minutes: 1 });
        let mut w = world_with(s);
        let t = now().wall_ms;
        let fleet = w.fleets.get_mut("fleet-a").unwrap();
        assert_eq!(creator_window(fleet, None), None, "no CreatorId: not counted (issue 15)");
        let window = creator_window(fleet, Some("p1")).unwrap();
        assert_eq!(window, CreatorWindow { max: 2, window_ms: 60_000, policy: true });
        record_creation(fleet, "p1", window, t);
        assert!(check_creator_limit(fleet, "p1", window, t).is_ok());
        record_creation(fleet, "p1", window, t);
        let err = check_creator_limit(fleet, "p1", window, t).unwrap_err();
        assert_eq!(
            err.message(),
            "Creator p1 has reached the limit of 2 new game sessions per 1 minutes on fleet fleet-a."
        );
        assert!(check_creator_limit(fleet, "p2", window, t).is_ok());
        assert!(check_creator_limit(fleet, "p1", window, t + 60_000).is_ok());
        fleet.creation_limit = None;
        let window = creator_window(fleet, Some("p3")).unwrap();
        assert_eq!(window, CreatorWindow { max: 1, window_ms: 1_000, policy: false });
        record_creation(fleet, "p3", window, t);
        assert_eq!(
            check_creator_limit(fleet, "p3", window, t + 999).unwrap_err().code(),
            "LimitExceededException"
        );
        assert!(check_creator_limit(fleet, "p3", window, t + 1_000).is_ok());
        w.fleets.get_mut("fleet-a").unwrap().creators.clear();
        w.check_invariants().unwrap();
    }

    #[test]
    fn reserve_host_takes_distinct_slots_until_none_is_left() {
        let mut w = world_with(spec("fleet-a", 2, &[("us-east-1", 1)]));
        let a = w.reserve_host("fleet-a", 0, 1).unwrap();
        let b = w.reserve_host("fleet-a", 0, 2).unwrap();
        assert_eq!(a.host, Host::Instance { instance: 0, slot: 0 });
        assert_eq!((a.port, b.port), (7777, 7778));
        let err = w.reserve_host("fleet-a", 0, 3).unwrap_err();
        assert_eq!(err.code(), "FleetCapacityExceededException");
        assert_eq!(w.fleets["fleet-a"].locations[0].used_slots(), 2);
    }

    #[test]
    fn insert_game_session_puts_it_in_every_index() {
        let mut w = world_with(spec("fleet-a", 2, &[("us-east-1", 1), ("us-west-2", 1)]));
        let t = now();
        let at = w.reserve_host("fleet-a", 1, 7).unwrap();
        let mut r = req("fleet-a");
        r.idempotency_token = Some("tok-7".into());
        w.insert_game_session(t, r, "fleet-a", 42, at).unwrap();
        let s = w.game_session(7).unwrap();
        assert_eq!(&*s.arn, "arn:aws:gamelift:us-east-1::gamesession/fleet-a/us-west-2/tok-7");
        assert_eq!(w.game_session_by_id(&s.arn).unwrap().seq, 7);
        let fleet = &w.fleets["fleet-a"];
        assert!(fleet.sessions.contains(&7) && fleet.locations[1].sessions.contains(&7));
        assert_eq!(fleet.tokens.get("tok-7"), Some(&7));
        // Its activation is not scheduled yet: the checker sees an ACTIVATING session stuck.
        assert!(w.check_invariants().unwrap_err().contains("session 7 is ACTIVATING"));
        w.schedule_activation(7, t);
        w.check_invariants().unwrap();
    }

    #[test]
    fn list_game_sessions_pages_in_creation_order() {
        let mut w = world_with(spec("fleet-a", 10, &[("us-east-1", 1)]));
        let seqs: Vec<u64> = (0..5).map(|_| w.create_game_session(now(), req("fleet-a")).unwrap()).collect();
        let fleet = &w.fleets["fleet-a"];
        let mut q = GameSessionQuery { limit: 2, ..Default::default() };
        let mut seen = Vec::new();
        loop {
            let (page, next) = w.list_game_sessions(fleet, &q);
            seen.extend(page.iter().map(|s| s.seq));
            match next {
                Some(n) => q.after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, seqs);
        w.check_invariants().unwrap();
    }
}
