//! `World`: every resource of the emulated account, and the timed transitions between them.

use std::sync::Arc;
use std::time::Duration;

use rustc_hash::FxHashMap;
use tokio::time::Instant;

use super::alias::{Alias, AliasSpec, RoutingStrategy};
use super::fleet::{Fleet, FleetSpec};
use super::game_session::GameSession;
use super::ids;
use super::player_session::PlayerSession;
use super::sharded::ShardedMap;
use super::timers::{Subject, Timer, Timers};
use crate::error::{ApiError, ApiResult};

/// The current time, as the lifecycle sees it (`at`, for deadlines) and as clients see it
/// (`wall_ms`, epoch milliseconds, for CreationTime and friends). Both come from one
/// pausable clock (`crate::clock`), so tests can move time without sleeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic instant (tokio's, so paused test time applies).
    pub at: Instant,
    /// Epoch milliseconds.
    pub wall_ms: i64,
}

impl Now {
    /// The same clock `d` later.
    pub fn after(self, d: Duration) -> Now {
        Now { at: self.at + d, wall_ms: self.wall_ms + d.as_millis() as i64 }
    }

    /// The same clock at the earlier instant `at` (itself, if `at` is not earlier).
    pub fn back_to(self, at: Instant) -> Now {
        let d = self.at.saturating_duration_since(at);
        Now { at: self.at - d, wall_ms: self.wall_ms - d.as_millis() as i64 }
    }
}

/// Account-wide settings of the emulated service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Region this endpoint serves (home Region of fleets created through the API).
    pub region: String,
    /// The account ID in ARNs that carry one.
    pub account_id: String,
    /// Default time from ACTIVATING to ACTIVE for timer-driven game sessions.
    pub game_session_activation_delay: Duration,
    /// Time from TERMINATING to TERMINATED for timer-driven game sessions.
    pub game_session_termination_delay: Duration,
    /// Time a RESERVED player session waits to be accepted before it is TIMEDOUT.
    pub player_session_timeout: Duration,
    /// How long ended game sessions (and their player sessions and idempotency tokens) stay.
    pub retention: Duration,
    /// Time a new fleet (or location) takes from NEW to ACTIVE.
    pub fleet_activation_delay: Duration,
    /// Time a new instance takes from PENDING to ACTIVE.
    pub instance_activation_delay: Duration,
    /// A game-server process with no heartbeat for this long is marked unhealthy.
    pub process_heartbeat_timeout: Duration,
    /// How long a game-server process whose socket closed without `ProcessEnding` is kept for
    /// a reconnect with the same `pID`.
    pub process_reconnect_grace: Duration,
    /// How often a PENDING game session placement is tried again.
    pub placement_retry_interval: Duration,
    /// How often a matchmaker works through its pool (it also does on every new ticket).
    pub matchmaking_interval: Duration,
    /// Seeds the matchmakers' tie-breaks and match IDs.
    pub matchmaking_seed: u64,
}

impl Settings {
    /// Settings for tests: us-east-1, account 123456789012, and the flags' defaults.
    pub fn for_tests() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            game_session_activation_delay: Duration::from_millis(500),
            game_session_termination_delay: Duration::from_millis(500),
            player_session_timeout: Duration::from_secs(60),
            retention: Duration::from_secs(30 * 86_400),
            fleet_activation_delay: Duration::from_secs(1),
            instance_activation_delay: Duration::from_millis(500),
            process_heartbeat_timeout: Duration::from_secs(60),
            process_reconnect_grace: Duration::from_secs(10),
            placement_retry_interval: Duration::from_secs(1),
            matchmaking_interval: Duration::from_secs(1),
            matchmaking_seed: 0,
        }
    }
}

/// Every resource, the indexes over them, and the timer queue.
#[derive(Debug)]
pub struct World {
    /// Settings.
    pub settings: Settings,
    pub(crate) fleets: FxHashMap<Arc<str>, Fleet>,
    pub(crate) aliases: FxHashMap<Arc<str>, Alias>,
    pub(crate) sessions: ShardedMap<u64, Box<GameSession>>,
    pub(crate) session_ids: ShardedMap<Arc<str>, u64>,
    pub(crate) player_sessions: ShardedMap<u64, Box<PlayerSession>>,
    pub(crate) player_session_ids: ShardedMap<Arc<str>, u64>,
    /// PlayerId → that player's sessions, in creation order.
    pub(crate) players: ShardedMap<Arc<str>, Vec<u64>>,
    pub(crate) timers: Timers,
    // Builds, scripts, tags, custom locations
    pub(crate) builds: FxHashMap<Arc<str>, super::build::Build>,
    pub(crate) scripts: FxHashMap<Arc<str>, super::build::Script>,
    /// Tags by the canonical ARN of their resource.
    pub(crate) tags: FxHashMap<String, Vec<(String, String)>>,
    /// Custom locations by name.
    pub(crate) custom_locations: FxHashMap<Arc<str>, super::location::CustomLocation>,
    /// Computes, auth tokens, game-server processes and the messages queued for them.
    pub(crate) hosts: super::compute::Hosts,
    // Game session queues and placement
    /// Game session queues by name.
    pub(crate) queues: FxHashMap<Arc<str>, super::queue::Queue>,
    /// Game session placements.
    pub(crate) placements: super::placement::Placements,
    /// FlexMatch rule sets, configurations, tickets and matches.
    pub(crate) matchmaking: super::matchmaking::Matchmaking,
    /// Events recorded for the state layer to publish (`take_events`).
    pub(crate) events: Vec<super::placement::ModelEvent>,
    next_seq: u64,
    /// How many timed transitions have been applied so far (the journal records a read that
    /// applied some, since they changed the world).
    fired: u64,
    /// The deadline the lifecycle driver sleeps until (None: until woken).
    driver_target: Option<Instant>,
}

impl World {
    /// An empty world.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            fleets: FxHashMap::default(),
            aliases: FxHashMap::default(),
            sessions: ShardedMap::default(),
            session_ids: ShardedMap::default(),
            player_sessions: ShardedMap::default(),
            player_session_ids: ShardedMap::default(),
            players: ShardedMap::default(),
            timers: Timers::default(),
            // Builds, scripts, tags, custom locations
            builds: FxHashMap::default(),
            scripts: FxHashMap::default(),
            tags: FxHashMap::default(),
            custom_locations: FxHashMap::default(),
            hosts: super::compute::Hosts::default(),
            // Game session queues and placement
            queues: FxHashMap::default(),
            placements: super::placement::Placements::default(),
            matchmaking: super::matchmaking::Matchmaking::default(),
            events: Vec::new(),
            next_seq: 0,
            fired: 0,
            driver_target: None,
        }
    }

    /// A fresh sequence number (creation order across all resources).
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// How many timed transitions have been applied since the world was built.
    pub fn fired(&self) -> u64 {
        self.fired
    }

    /// Queues a timed transition.
    pub(crate) fn schedule(&mut self, at: Instant, timer: Timer) {
        self.timers.schedule(at, timer);
    }

    /// Drops the pending timers of `subject` for which `which` holds (they no longer apply).
    pub(crate) fn cancel_timers(&mut self, subject: Subject, which: impl Fn(&Timer) -> bool) {
        self.timers.cancel(&subject, which);
    }

    /// Applies what is already due, then says whether the lifecycle driver must be woken: true
    /// when the earliest pending deadline is earlier than the one it sleeps until. Transitions
    /// due at once (a zero activation delay) are applied here and never wake it.
    pub fn settle(&mut self, now: Now) -> bool {
        self.advance(now);
        match self.next_deadline() {
            Some(next) if self.driver_target.is_none_or(|t| next < t) => {
                self.driver_target = Some(next);
                true
            }
            _ => false,
        }
    }

    /// The lifecycle driver's turn: apply what is due and return the deadline to sleep until.
    pub fn driver_tick(&mut self, now: Now) -> Option<Instant> {
        self.advance(now);
        self.driver_target = self.next_deadline();
        self.driver_target
    }

    /// The earliest pending deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// Applies every transition due at `now`, in deadline order, each at its own deadline (as if
    /// the time between had passed): a transition's timestamps are those of its deadline, and
    /// what it schedules in turn fires within the same call if that is due too.
    pub fn advance(&mut self, now: Now) {
        while let Some((at, timer)) = self.timers.pop_due(now.at) {
            self.fired += 1;
            let now = now.back_to(at);
            match timer {
                Timer::ActivateGameSession(seq) => self.activate_game_session(seq, now),
                Timer::FinishTermination(seq) => self.finish_termination(seq, now),
                Timer::PlayerSessionTimeout(ps) => self.time_out_player_session(ps, now),
                Timer::PurgeGameSession(seq) => self.purge_game_session(seq),
                Timer::ActivationTimeout(seq) => self.activation_timed_out(seq, now),
                Timer::ProcessExitTimeout(seq) => self.process_exit_timed_out(seq, now),
                Timer::ProcessGone { fleet, pid, epoch } => self.process_gone(now, &fleet, &pid, epoch),
                Timer::HeartbeatMissed { fleet, pid, epoch } => self.heartbeat_missed(&fleet, &pid, epoch),
                // Fleets
                Timer::Fleet(t) => self.apply_fleet_timer(t, now),
                // Game session placement
                Timer::PlacementRetry { seq, generation } => self.placement_retry_due(seq, generation, now),
                Timer::RetryWaitingPlacements => self.retry_waiting_placements(now),
                Timer::PlacementTimeout(seq) => self.placement_timed_out(seq, now),
                Timer::PurgePlacement(seq) => self.purge_placement(seq),
                // FlexMatch
                Timer::MatchmakerPass(config) => self.matchmaker_pass(&config, now),
                Timer::TicketTimeout(seq) => self.ticket_timed_out(seq, now),
                Timer::AcceptanceTimeout(seq) => self.acceptance_timed_out(seq, now),
            }
        }
    }

    /// Adds a fleet. Fails with `InvalidRequestException` if the ID is taken.
    pub fn insert_fleet(&mut self, spec: FleetSpec, now: Now) -> ApiResult<Arc<str>> {
        let id = spec.id.clone().unwrap_or_else(|| ids::new_id("fleet"));
        if self.fleets.contains_key(id.as_str()) {
            return Err(ApiError::InvalidRequest(format!("A fleet with ID {id} already exists.")));
        }
        let region = spec.home_region.clone().unwrap_or_else(|| self.settings.region.clone());
        let arn = ids::fleet_arn(&region, &self.settings.account_id, &id);
        let seq = self.next_seq();
        let fleet = Fleet::from_spec(spec, id, arn, &self.settings.region, seq, now.wall_ms);
        let key = fleet.id.clone();
        self.fleets.insert(key.clone(), fleet);
        Ok(key)
    }

    /// Adds an alias. Fails with `InvalidRequestException` if the ID is taken and with
    /// `NotFoundException` if a SIMPLE alias names an unknown fleet.
    pub fn insert_alias(&mut self, spec: AliasSpec, now: Now) -> ApiResult<Arc<str>> {
        let id = spec.id.clone().unwrap_or_else(|| ids::new_id("alias"));
        if self.aliases.contains_key(id.as_str()) {
            return Err(ApiError::InvalidRequest(format!("An alias with ID {id} already exists.")));
        }
        if let RoutingStrategy::Simple { fleet_id } = &spec.routing
            && !self.fleets.contains_key(fleet_id)
        {
            return Err(ApiError::NotFound(format!("Fleet {fleet_id} not found.")));
        }
        let arn = ids::alias_arn(&self.settings.region, &id);
        let seq = self.next_seq();
        let alias = Alias {
            id: id.as_str().into(),
            arn: arn.into(),
            seq,
            name: spec.name,
            description: spec.description,
            routing: spec.routing,
            creation_time_ms: now.wall_ms,
            last_updated_ms: now.wall_ms,
        };
        let key = alias.id.clone();
        self.aliases.insert(key.clone(), alias);
        Ok(key)
    }

    /// A fleet by ID or ARN.
    pub fn fleet(&self, id_or_arn: &str) -> ApiResult<&Fleet> {
        let id = ids::id_from_id_or_arn(id_or_arn, "fleet");
        self.fleets.get(id).ok_or_else(|| ApiError::NotFound(format!("Fleet {id} not found.")))
    }

    /// An alias by ID or ARN.
    pub fn alias(&self, id_or_arn: &str) -> ApiResult<&Alias> {
        let id = ids::id_from_id_or_arn(id_or_arn, "alias");
        self.aliases.get(id).ok_or_else(|| ApiError::NotFound(format!("Alias {id} not found.")))
    }

    /// The fleet an alias routes to: `TerminalRoutingStrategyException` for a TERMINAL alias,
    /// `NotFoundException` for an unknown alias or a fleet that is gone.
    pub fn resolve_alias(&self, id_or_arn: &str) -> ApiResult<&Fleet> {
        match &self.alias(id_or_arn)?.routing {
            RoutingStrategy::Terminal { message } => Err(ApiError::TerminalRoutingStrategy(message.clone())),
            RoutingStrategy::Simple { fleet_id } => self.fleet(fleet_id),
        }
    }

    /// The fleet a request targets by exactly one of FleetId and AliasId (ID or ARN).
    pub fn target_fleet(&self, fleet: Option<&str>, alias: Option<&str>) -> ApiResult<&Fleet> {
        match (fleet, alias) {
            (Some(f), None) => self.fleet(f),
            (None, Some(a)) => self.resolve_alias(a),
            (Some(_), Some(_)) => Err(ApiError::InvalidRequest(
                "Each request must reference either a fleet ID or alias ID, but not both.".into(),
            )),
            (None, None) => Err(ApiError::InvalidRequest(
                "Each request must reference either a fleet ID or alias ID.".into(),
            )),
        }
    }

    /// The pending timers (for tests and diagnostics).
    pub fn timers(&self) -> &Timers {
        &self.timers
    }

    /// Counts for the health endpoint.
    pub fn counts(&self) -> WorldCounts {
        WorldCounts {
            fleets: self.fleets.len(),
            aliases: self.aliases.len(),
            game_sessions: self.sessions.len(),
            player_sessions: self.player_sessions.len(),
            pending_timers: self.timers.len(),
        }
    }
}

/// Sizes reported by the health endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorldCounts {
    /// Fleets.
    pub fleets: usize,
    /// Aliases.
    pub aliases: usize,
    /// Game sessions (including ended ones not yet purged).
    pub game_sessions: usize,
    /// Player sessions (including ended ones not yet purged).
    pub player_sessions: usize,
    /// Pending timed transitions.
    pub pending_timers: usize,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_driver_is_woken_only_for_an_earlier_deadline() {
        let mut w = World::new(Settings::for_tests());
        let t = Now { at: Instant::now(), wall_ms: 0 };
        assert_eq!(w.driver_tick(t), None);
        w.schedule(t.at + Duration::from_secs(5), Timer::ActivateGameSession(1));
        assert!(w.settle(t), "first deadline: the sleeping driver must learn of it");
        w.schedule(t.at + Duration::from_secs(9), Timer::ActivateGameSession(2));
        assert!(!w.settle(t), "a later deadline does not wake it");
        w.schedule(t.at + Duration::from_secs(1), Timer::ActivateGameSession(3));
        assert!(w.settle(t), "an earlier one does");
        w.schedule(t.at, Timer::ActivateGameSession(4));
        assert!(!w.settle(t), "one due now is applied at once");
        assert_eq!(w.timers.len(), 3);
        assert_eq!(w.driver_tick(t.after(Duration::from_secs(1))), Some(t.at + Duration::from_secs(5)));
    }
}
