//! Game session placement: StartGameSessionPlacement asks a queue for a new game session, and the
//! emulator finds it a home the way GameLift does.
//!
//! A placement is PENDING until one of:
//! - FULFILLED: a game session built from the request became ACTIVE (after the activation delay
//!   on simulated fleets, when the process calls ActivateGameSession on process-driven ones);
//!   then one RESERVED player session is made per DesiredPlayerSessions entry;
//! - CANCELLED: StopGameSessionPlacement before a game session was created;
//! - TIMED_OUT: the queue's TimeoutInSeconds passed (measured from StartTime);
//! - FAILED: the queue was deleted, or game sessions ended before activating on every
//!   candidate the placement had left.
//!
//! While PENDING without a game session, the placement is tried again every
//! `Settings::placement_retry_interval` and whenever a game session ends (freeing capacity).
//! One attempt: the queue's destinations expand to (fleet, location) candidates (an alias
//! resolved now, a TERMINAL alias skipped), filtered by AllowedLocations and by the latency
//! cap in force, ranked by the queue's priority (or the request's override), and tried in order
//! through `World::create_game_session`. Every outcome but PENDING is recorded as an event in
//! the world's outbox (`World::take_events`).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::game_session::CreateGameSession;
use super::queue::{DestinationKind, LatencyPolicy, PriorityConfig, PriorityType, Queue, destination_kind};
use super::timers::{Subject, Timer};
use super::world::{Now, World};
use super::{GameSessionStatus, RoutingStrategy, TerminationMode, wire_enum};
use crate::error::{ApiError, ApiResult};

wire_enum!(
    /// Status of a game session placement.
    PlacementStatus {
        Pending = "PENDING",
        Fulfilled = "FULFILLED",
        Cancelled = "CANCELLED",
        TimedOut = "TIMED_OUT",
        Failed = "FAILED",
    }
);

wire_enum!(
    /// PriorityConfigurationOverride.PlacementFallbackStrategy.
    FallbackStrategy {
        DefaultAfterSinglePass = "DEFAULT_AFTER_SINGLE_PASS",
        None = "NONE",
    }
);

/// One PlayerLatencies entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerLatency {
    /// PlayerId.
    pub player_id: String,
    /// RegionIdentifier (matched against location names).
    pub region: String,
    /// LatencyInMilliseconds.
    pub ms: f32,
}

/// PriorityConfigurationOverride.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementOverride {
    /// LocationOrder.
    pub location_order: Vec<String>,
    /// PlacementFallbackStrategy as given (absent means DEFAULT_AFTER_SINGLE_PASS).
    pub fallback: Option<FallbackStrategy>,
}

/// A StartGameSessionPlacement request, after wire validation.
#[derive(Debug, Clone, Default)]
pub struct StartPlacement {
    /// PlacementId.
    pub placement_id: String,
    /// GameSessionQueueName (name or ARN).
    pub queue: String,
    /// MaximumPlayerSessionCount.
    pub max_players: u32,
    /// GameSessionName.
    pub name: Option<String>,
    /// GameProperties.
    pub properties: Vec<(String, String)>,
    /// PlayerLatencies.
    pub latencies: Vec<PlayerLatency>,
    /// DesiredPlayerSessions: (PlayerId, PlayerData).
    pub desired: Vec<(String, Option<String>)>,
    /// GameSessionData.
    pub data: Option<String>,
    /// PriorityConfigurationOverride.
    pub override_: Option<PlacementOverride>,
    /// MatchmakerData for the game session (placements made by FlexMatch).
    pub matchmaker_data: Option<String>,
}

/// Where a fulfilled placement's game session runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// GameSessionArn (= GameSessionId).
    pub game_session_arn: Arc<str>,
    /// GameSessionRegion: the location the game session runs in.
    pub region: Arc<str>,
    /// IpAddress.
    pub ip_address: Arc<str>,
    /// DnsName.
    pub dns_name: Arc<str>,
    /// Port.
    pub port: u16,
}

/// A game session placement.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Creation sequence number.
    pub seq: u64,
    /// PlacementId.
    pub id: Arc<str>,
    /// The queue's name.
    pub queue_name: Arc<str>,
    /// The queue's ARN (events name it even after the queue is gone).
    pub queue_arn: Arc<str>,
    /// Status.
    pub status: PlacementStatus,
    /// The request.
    pub request: StartPlacement,
    /// StartTime.
    pub start: Now,
    /// EndTime (epoch ms).
    pub end_ms: Option<i64>,
    /// The game session being activated for it, while PENDING.
    pub session: Option<u64>,
    /// (fleet, location) pairs whose game session ended before activating: not tried again.
    pub failed: Vec<(Arc<str>, Arc<str>)>,
    /// Connection details, once FULFILLED.
    pub connection: Option<Connection>,
    /// PlacedPlayerSessions: (PlayerId, PlayerSessionId), once FULFILLED.
    pub placed: Vec<(Arc<str>, Arc<str>)>,
    /// Bumped whenever a retry is scheduled, so older retry timers are stale.
    retry_gen: u64,
}

impl Placement {
    /// Which retry is the latest (a `Timer::PlacementRetry` of another generation is stale).
    pub(crate) fn retry_generation(&self) -> u64 {
        self.retry_gen
    }
}

/// A placement outcome, as the service announces it (the state layer turns it into the
/// EventBridge/SNS envelope).
#[derive(Debug, Clone, PartialEq)]
pub struct PlacementEvent {
    /// FULFILLED, CANCELLED, TIMED_OUT or FAILED.
    pub outcome: PlacementStatus,
    /// PlacementId.
    pub placement_id: Arc<str>,
    /// The queue's ARN.
    pub queue_arn: Arc<str>,
    /// The queue's NotificationTarget.
    pub notification_target: Option<String>,
    /// The queue's CustomEventData.
    pub custom_event_data: Option<String>,
    /// The Region of the endpoint.
    pub region: String,
    /// The account ID.
    pub account: String,
    /// StartTime (epoch ms).
    pub start_ms: i64,
    /// EndTime (epoch ms); also the event's time.
    pub end_ms: i64,
    /// On FULFILLED: where the game session runs.
    pub connection: Option<Connection>,
    /// On FULFILLED: (PlayerId, PlayerSessionId).
    pub placed: Vec<(Arc<str>, Arc<str>)>,
}

impl PlacementEvent {
    /// The `detail.type` of the event.
    pub fn kind(&self) -> &'static str {
        match self.outcome {
            PlacementStatus::Fulfilled => "PlacementFulfilled",
            PlacementStatus::Cancelled => "PlacementCancelled",
            PlacementStatus::TimedOut => "PlacementTimedOut",
            PlacementStatus::Failed | PlacementStatus::Pending => "PlacementFailed",
        }
    }
}

/// An event the model records for the state layer to publish.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelEvent {
    /// A game session placement ended (GameLift Queue Placement Event).
    QueuePlacement(PlacementEvent),
    /// A FlexMatch event (GameLift Matchmaking Event).
    Matchmaking(super::matchmaking::MatchmakingEvent),
}

/// Every placement and the indexes over them.
#[derive(Debug, Default)]
pub struct Placements {
    by_seq: BTreeMap<u64, Placement>,
    by_id: FxHashMap<Arc<str>, u64>,
    /// Game session → the placement it is being activated for.
    by_session: FxHashMap<u64, u64>,
    /// PENDING placements without a game session, oldest first.
    waiting: BTreeSet<u64>,
    /// A `Timer::RetryWaitingPlacements` is queued.
    retry_all_queued: bool,
}

impl Placements {
    /// Every placement kept, oldest first.
    pub fn values(&self) -> impl Iterator<Item = &Placement> {
        self.by_seq.values()
    }

    /// Number of placements kept.
    pub fn len(&self) -> usize {
        self.by_seq.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    /// Every placement kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Placement> {
        self.by_seq.values()
    }
}

/// A (fleet, location) a placement may use, and the index of the destination that gave it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub fleet: Arc<str>,
    pub location: Arc<str>,
    pub destination: usize,
    /// Some player reported no latency for this location.
    pub missing_latency: bool,
    /// Average reported latency (0 without latency data).
    pub avg_latency: f32,
}

/// The latency cap in force `elapsed_s` seconds after StartTime: policies apply in ascending
/// order of their cap, each for its duration; one without a duration lasts until the timeout;
/// after the last one with a duration, no cap applies.
pub fn latency_cap(policies: &[LatencyPolicy], elapsed_s: f64) -> Option<u32> {
    let mut sorted: Vec<&LatencyPolicy> = policies.iter().collect();
    sorted.sort_by_key(|p| p.max_ms);
    let mut from = 0f64;
    for p in sorted {
        match p.duration_s {
            None => return Some(p.max_ms),
            Some(d) => {
                let until = from + f64::from(d);
                if elapsed_s < until {
                    return Some(p.max_ms);
                }
                from = until;
            }
        }
    }
    None
}

fn same_location(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Orders candidates by the queue's criteria (given ones first, the rest in the default order).
fn rank(order: &[PriorityType], location_order: &[String], a: &Candidate, b: &Candidate) -> Ordering {
    let loc_rank = |c: &Candidate| {
        location_order.iter().position(|l| same_location(l, &c.location)).unwrap_or(usize::MAX)
    };
    for t in order {
        let o = match t {
            PriorityType::Latency => {
                a.missing_latency.cmp(&b.missing_latency).then(a.avg_latency.total_cmp(&b.avg_latency))
            }
            PriorityType::Cost => Ordering::Equal,
            PriorityType::Destination => a.destination.cmp(&b.destination),
            PriorityType::Location => loc_rank(a)
                .cmp(&loc_rank(b))
                .then_with(|| a.location.to_ascii_lowercase().cmp(&b.location.to_ascii_lowercase())),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

impl World {
    /// Every (fleet, location) the queue's destinations name now, in destination order, with
    /// AllowedLocations applied.
    fn queue_locations(&self, q: &Queue) -> Vec<(Arc<str>, Arc<str>, usize)> {
        let mut out: Vec<(Arc<str>, Arc<str>, usize)> = Vec::new();
        for (i, d) in q.destinations.iter().enumerate() {
            let fleet = match destination_kind(d) {
                Some(DestinationKind::Fleet(id)) => self.fleets.get(id),
                Some(DestinationKind::Alias(id)) => match self.aliases.get(id).map(|a| &a.routing) {
                    Some(RoutingStrategy::Simple { fleet_id }) => self.fleets.get(fleet_id),
                    _ => None,
                },
                None => None,
            };
            let Some(fleet) = fleet else { continue };
            for loc in &fleet.locations {
                let allowed = q
                    .allowed_locations
                    .as_ref()
                    .is_none_or(|a| a.iter().any(|l| same_location(l, &loc.name)));
                let seen = out.iter().any(|(f, l, _)| *f == fleet.id && *l == loc.name);
                if allowed && !seen {
                    out.push((fleet.id.clone(), loc.name.clone(), i));
                }
            }
        }
        out
    }

    /// The candidates of one attempt, in the order they are tried.
    pub(crate) fn placement_candidates(&self, q: &Queue, p: &Placement, now: Now) -> Vec<Candidate> {
        let req = &p.request;
        let mut players: Vec<&str> = Vec::new();
        for l in &req.latencies {
            if !players.contains(&l.player_id.as_str()) {
                players.push(&l.player_id);
            }
        }
        let elapsed = now.at.saturating_duration_since(p.start.at).as_secs_f64();
        let cap = if players.is_empty() { None } else { latency_cap(&q.latency_policies, elapsed) };
        let mut out: Vec<Candidate> = Vec::new();
        for (fleet, location, destination) in self.queue_locations(q) {
            if p.failed.iter().any(|(f, l)| *f == fleet && *l == location) {
                continue;
            }
            let latencies: Vec<Option<f32>> = players
                .iter()
                .map(|player| {
                    req.latencies
                        .iter()
                        .find(|l| l.player_id == *player && same_location(&l.region, &location))
                        .map(|l| l.ms)
                })
                .collect();
            let missing_latency = latencies.iter().any(Option::is_none);
            if let Some(cap) = cap
                && latencies.iter().any(|l| l.is_none_or(|ms| ms > cap as f32))
            {
                continue;
            }
            let known: Vec<f32> = latencies.into_iter().flatten().collect();
            let avg_latency =
                if known.is_empty() { 0.0 } else { known.iter().sum::<f32>() / known.len() as f32 };
            out.push(Candidate { fleet, location, destination, missing_latency, avg_latency });
        }
        let order = PriorityConfig::effective_order(q.priority.as_ref());
        let location_order = q.priority.as_ref().map_or(&[][..], |c| c.location_order.as_slice());
        out.sort_by(|a, b| rank(&order, location_order, a, b));
        if let Some(o) = &req.override_ {
            let pos = |c: &Candidate| o.location_order.iter().position(|l| same_location(l, &c.location));
            let (mut first, rest): (Vec<Candidate>, Vec<Candidate>) =
                out.into_iter().partition(|c| pos(c).is_some());
            first.sort_by_key(|c| pos(c));
            if o.fallback != Some(FallbackStrategy::None) {
                first.extend(rest);
            }
            out = first;
        }
        out
    }

    /// StartGameSessionPlacement: records the placement (PENDING) and tries it at once.
    pub fn start_placement(&mut self, now: Now, req: StartPlacement) -> ApiResult<u64> {
        let q = self.queue(&req.queue)?;
        if self.placements.by_id.contains_key(req.placement_id.as_str()) {
            return Err(ApiError::InvalidRequest(format!(
                "Placement ID {} is already in use; every placement needs a new ID.",
                req.placement_id
            )));
        }
        if let Some(o) = &req.override_ {
            if !req.latencies.is_empty() {
                return Err(ApiError::InvalidRequest(
                    "A placement request cannot have both PlayerLatencies and a PriorityConfigurationOverride."
                        .into(),
                ));
            }
            if !q.prioritizes_location_first() {
                return Err(ApiError::InvalidRequest(format!(
                    "PriorityConfigurationOverride needs a queue that prioritizes LOCATION first; queue {} does not.",
                    q.name
                )));
            }
            for (i, l) in o.location_order.iter().enumerate() {
                if o.location_order[..i].iter().any(|x| same_location(x, l)) {
                    return Err(ApiError::InvalidRequest(format!(
                        "PriorityConfigurationOverride.LocationOrder lists location {l} more than once."
                    )));
                }
            }
        }
        for (i, (player, _)) in req.desired.iter().enumerate() {
            if req.desired[..i].iter().any(|(p, _)| p == player) {
                return Err(ApiError::InvalidRequest(format!(
                    "DesiredPlayerSessions lists player {player} more than once."
                )));
            }
        }
        if req.desired.len() as u64 > u64::from(req.max_players) {
            return Err(ApiError::InvalidRequest(format!(
                "DesiredPlayerSessions has {} players but MaximumPlayerSessionCount is {}.",
                req.desired.len(),
                req.max_players
            )));
        }
        let (queue_name, queue_arn, timeout) =
            (q.name.clone(), q.arn.clone(), std::time::Duration::from_secs(u64::from(q.timeout_s)));
        let seq = self.next_seq();
        let id: Arc<str> = req.placement_id.as_str().into();
        self.placements.by_seq.insert(
            seq,
            Placement {
                seq,
                id: id.clone(),
                queue_name,
                queue_arn,
                status: PlacementStatus::Pending,
                request: req,
                start: now,
                end_ms: None,
                session: None,
                failed: Vec::new(),
                connection: None,
                placed: Vec::new(),
                retry_gen: 0,
            },
        );
        self.placements.by_id.insert(id, seq);
        self.schedule(now.at + timeout, Timer::PlacementTimeout(seq));
        self.attempt_placement(seq, now);
        Ok(seq)
    }

    /// A placement by sequence number.
    pub fn placement(&self, seq: u64) -> Option<&Placement> {
        self.placements.by_seq.get(&seq)
    }

    /// A placement by PlacementId: `NotFoundException` when unknown.
    pub fn placement_by_id(&self, id: &str) -> ApiResult<&Placement> {
        self.placements
            .by_id
            .get(id)
            .and_then(|seq| self.placements.by_seq.get(seq))
            .ok_or_else(|| ApiError::NotFound(format!("Game session placement {id} not found.")))
    }

    /// StopGameSessionPlacement: CANCELLED, for a PENDING placement that has no game session yet.
    pub fn stop_placement(&mut self, now: Now, id: &str) -> ApiResult<u64> {
        let p = self.placement_by_id(id)?;
        if p.status != PlacementStatus::Pending {
            return Err(ApiError::InvalidRequest(format!(
                "Game session placement {id} is {}; only a PENDING placement can be stopped.",
                p.status
            )));
        }
        if let Some(gs) = p.session.and_then(|s| self.game_session(s)) {
            return Err(ApiError::InvalidRequest(format!(
                "Game session {} has already been created for placement {id}; end it with TerminateGameSession instead.",
                gs.arn
            )));
        }
        let seq = p.seq;
        self.finish_placement(seq, PlacementStatus::Cancelled, now);
        Ok(seq)
    }

    /// One attempt: the first candidate that accepts a game session gets it; otherwise the
    /// placement waits for the next retry.
    pub(crate) fn attempt_placement(&mut self, seq: u64, now: Now) {
        let Some(p) = self.placements.by_seq.get(&seq) else { return };
        if p.status != PlacementStatus::Pending || p.session.is_some() {
            return;
        }
        let plan = self.queues.get(&p.queue_name).and_then(|q| {
            let exhausted = !p.failed.is_empty()
                && self
                    .queue_locations(q)
                    .iter()
                    .all(|(f, l, _)| p.failed.iter().any(|(xf, xl)| xf == f && xl == l));
            // Every candidate the queue has ended a game session before it activated.
            (!exhausted).then(|| self.placement_candidates(q, p, now))
        });
        let Some(candidates) = plan else {
            self.finish_placement(seq, PlacementStatus::Failed, now);
            return;
        };
        let req = &p.request;
        let base = CreateGameSession {
            maximum_player_session_count: req.max_players,
            name: req.name.clone(),
            game_properties: req.properties.clone(),
            game_session_data: req.data.clone(),
            matchmaker_data: req.matchmaker_data.clone(),
            ..Default::default()
        };
        for c in candidates {
            let attempt = CreateGameSession {
                fleet_id: Some(c.fleet.to_string()),
                location: Some(c.location.to_string()),
                ..base.clone()
            };
            if let Ok(gs) = self.create_game_session(now, attempt) {
                self.cancel_timers(Subject::Placement(seq), |t| matches!(t, Timer::PlacementRetry { .. }));
                self.placements.by_session.insert(gs, seq);
                self.placements.waiting.remove(&seq);
                if let Some(p) = self.placements.by_seq.get_mut(&seq) {
                    p.session = Some(gs);
                }
                return;
            }
        }
        let interval = self.settings.placement_retry_interval.max(std::time::Duration::from_millis(1));
        let Some(p) = self.placements.by_seq.get_mut(&seq) else { return };
        p.retry_gen += 1;
        let generation = p.retry_gen;
        self.placements.waiting.insert(seq);
        self.cancel_timers(Subject::Placement(seq), |t| matches!(t, Timer::PlacementRetry { .. }));
        self.schedule(now.at + interval, Timer::PlacementRetry { seq, generation });
    }

    /// `Timer::PlacementRetry`.
    pub(crate) fn placement_retry_due(&mut self, seq: u64, generation: u64, now: Now) {
        if self.placements.by_seq.get(&seq).is_some_and(|p| p.retry_gen == generation) {
            self.attempt_placement(seq, now);
        }
    }

    /// `Timer::RetryWaitingPlacements`: capacity was freed; every waiting placement tries
    /// again, oldest first.
    pub(crate) fn retry_waiting_placements(&mut self, now: Now) {
        self.placements.retry_all_queued = false;
        let waiting: Vec<u64> = self.placements.waiting.iter().copied().collect();
        for seq in waiting {
            self.attempt_placement(seq, now);
        }
    }

    /// `Timer::PlacementTimeout`.
    pub(crate) fn placement_timed_out(&mut self, seq: u64, now: Now) {
        if self.placements.by_seq.get(&seq).is_some_and(|p| p.status == PlacementStatus::Pending) {
            self.finish_placement(seq, PlacementStatus::TimedOut, now);
        }
    }

    /// `Timer::PurgePlacement`: the retention period of an ended placement is over.
    pub(crate) fn purge_placement(&mut self, seq: u64) {
        if self.placements.by_seq.get(&seq).is_some_and(|p| p.status != PlacementStatus::Pending)
            && let Some(p) = self.placements.by_seq.remove(&seq)
        {
            self.placements.by_id.remove(&p.id);
        }
    }

    /// Hook: game session `gs` became ACTIVE. A placement waiting for it is FULFILLED and its
    /// player sessions are reserved.
    pub(crate) fn placement_session_active(&mut self, gs: u64, now: Now) {
        let Some(&seq) = self.placements.by_session.get(&gs) else { return };
        let Some(p) = self.placements.by_seq.get(&seq) else { return };
        if p.status != PlacementStatus::Pending || p.session != Some(gs) {
            return;
        }
        let desired = p.request.desired.clone();
        let Some(s) = self.game_session(gs) else { return };
        let connection = Connection {
            game_session_arn: s.arn.clone(),
            region: s.location.clone(),
            ip_address: s.ip_address.clone(),
            dns_name: s.dns_name.clone(),
            port: s.port,
        };
        let created = if desired.is_empty() {
            Ok(Vec::new())
        } else {
            self.create_player_sessions(now, &connection.game_session_arn, desired)
        };
        let placed: Vec<(Arc<str>, Arc<str>)> = match created {
            Ok(seqs) => seqs
                .iter()
                .filter_map(|ps| self.player_sessions.get(ps))
                .map(|ps| (ps.player_id.clone(), ps.id.clone()))
                .collect(),
            Err(e) => {
                tracing::warn!(placement = %p_id(self, seq), error = %e, "placement failed: its player sessions could not be reserved");
                self.finish_placement(seq, PlacementStatus::Failed, now);
                return;
            }
        };
        if let Some(p) = self.placements.by_seq.get_mut(&seq) {
            p.connection = Some(connection);
            p.placed = placed;
        }
        self.finish_placement(seq, PlacementStatus::Fulfilled, now);
    }

    /// Hook: game session `gs` ended. A placement whose session ended before activating moves on
    /// to its other candidates; any other ending frees capacity, so waiting placements retry.
    pub(crate) fn placement_session_ended(&mut self, gs: u64, now: Now) {
        if let Some(seq) = self.placements.by_session.remove(&gs)
            && let Some(p) = self.placements.by_seq.get_mut(&seq)
            && p.status == PlacementStatus::Pending
            && p.session == Some(gs)
        {
            p.session = None;
            if let Some(s) = self.sessions.get(&gs) {
                p.failed.push((s.fleet_id.clone(), s.location.clone()));
            }
            self.attempt_placement(seq, now);
        }
        self.capacity_appeared(now);
    }

    /// Capacity may have appeared (a game session ended, a game-server process became ready):
    /// every waiting placement tries again now, rather than at its next periodic retry.
    pub fn capacity_appeared(&mut self, now: Now) {
        if !self.placements.waiting.is_empty() && !self.placements.retry_all_queued {
            self.placements.retry_all_queued = true;
            self.schedule(now.at, Timer::RetryWaitingPlacements);
        }
    }

    /// Every PENDING placement of a queue that is being deleted fails.
    pub(crate) fn fail_placements_of_queue(&mut self, queue_name: &str, now: Now) {
        let pending: Vec<u64> = self
            .placements
            .by_seq
            .values()
            .filter(|p| p.status == PlacementStatus::Pending && &*p.queue_name == queue_name)
            .map(|p| p.seq)
            .collect();
        for seq in pending {
            self.finish_placement(seq, PlacementStatus::Failed, now);
        }
    }

    /// Ends a PENDING placement with `outcome`: EndTime, the event, the purge after retention.
    /// A game session still activating for it (timeout, failure) is terminated: nobody will
    /// join it.
    fn finish_placement(&mut self, seq: u64, outcome: PlacementStatus, now: Now) {
        let retention = self.settings.retention;
        let Some(p) = self.placements.by_seq.get_mut(&seq) else { return };
        if p.status != PlacementStatus::Pending {
            return;
        }
        p.status = outcome;
        p.end_ms = Some(now.wall_ms);
        let session = p.session.take();
        let (queue_name, queue_arn, start_ms) = (p.queue_name.clone(), p.queue_arn.clone(), p.start.wall_ms);
        let (connection, placed, id) = (p.connection.clone(), p.placed.clone(), p.id.clone());
        self.placements.waiting.remove(&seq);
        if let Some(gs) = session {
            self.placements.by_session.remove(&gs);
            if outcome != PlacementStatus::Fulfilled
                && let Some(s) = self.game_session(gs)
                && s.status == GameSessionStatus::Activating
            {
                let arn = s.arn.clone();
                let _ = self.terminate_game_session(now, &arn, TerminationMode::TriggerOnProcessTerminate);
            }
        }
        let queue = self.queues.get(&queue_name);
        let event = PlacementEvent {
            outcome,
            placement_id: id,
            queue_arn,
            notification_target: queue.and_then(|q| q.notification_target.clone()),
            custom_event_data: queue.and_then(|q| q.custom_event_data.clone()),
            region: self.settings.region.clone(),
            account: self.settings.account_id.clone(),
            start_ms,
            end_ms: now.wall_ms,
            connection,
            placed,
        };
        self.events.push(ModelEvent::QueuePlacement(event));
        self.cancel_timers(Subject::Placement(seq), |_| true);
        self.schedule(now.at + retention, Timer::PurgePlacement(seq));
        self.matchmaking_placement_ended(seq, outcome, now);
    }

    /// The events recorded since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<ModelEvent> {
        std::mem::take(&mut self.events)
    }
}

fn p_id(w: &World, seq: u64) -> String {
    w.placements.by_seq.get(&seq).map(|p| p.id.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_ms: u32, duration_s: Option<u32>) -> LatencyPolicy {
        LatencyPolicy { max_ms, duration_s }
    }

    #[test]
    fn latency_caps_apply_in_ascending_order_each_for_its_duration() {
        // Given out of order: the 50 ms cap comes first, then 100 ms, then 200 ms.
        let ps = [policy(200, Some(30)), policy(50, Some(10)), policy(100, Some(20))];
        assert_eq!(latency_cap(&ps, 0.0), Some(50));
        assert_eq!(latency_cap(&ps, 9.9), Some(50));
        assert_eq!(latency_cap(&ps, 10.0), Some(100));
        assert_eq!(latency_cap(&ps, 29.9), Some(100));
        assert_eq!(latency_cap(&ps, 30.0), Some(200));
        assert_eq!(latency_cap(&ps, 60.0), None, "after the last timed policy, no cap");
        let open = [policy(50, Some(10)), policy(150, None)];
        assert_eq!(latency_cap(&open, 1000.0), Some(150), "a policy without duration lasts");
        assert_eq!(latency_cap(&[], 0.0), None);
    }

    fn cand(location: &str, destination: usize, avg: f32, missing: bool) -> Candidate {
        Candidate {
            fleet: "f".into(),
            location: location.into(),
            destination,
            missing_latency: missing,
            avg_latency: avg,
        }
    }

    #[test]
    fn default_ranking_is_latency_then_destination_then_location_name() {
        let order = PriorityConfig::effective_order(None);
        let mut cs = [
            cand("us-west-2", 0, 0.0, false),
            cand("eu-west-1", 1, 0.0, false),
            cand("ap-south-1", 1, 0.0, false),
            cand("us-east-1", 0, 0.0, false),
        ];
        cs.sort_by(|a, b| rank(&order, &[], a, b));
        let names: Vec<&str> = cs.iter().map(|c| &*c.location).collect();
        assert_eq!(names, ["us-east-1", "us-west-2", "ap-south-1", "eu-west-1"]);

        let mut cs = [
            cand("us-east-1", 0, 80.0, false),
            cand("eu-west-1", 1, 20.0, true),
            cand("us-west-2", 0, 40.0, false),
        ];
        cs.sort_by(|a, b| rank(&order, &[], a, b));
        let names: Vec<&str> = cs.iter().map(|c| &*c.location).collect();
        assert_eq!(names, ["us-west-2", "us-east-1", "eu-west-1"], "missing latency data ranks last");
    }

    #[test]
    fn location_ranking_uses_location_order_then_names() {
        let order = [PriorityType::Location, PriorityType::Destination];
        let lo = vec!["eu-west-1".to_string(), "us-east-1".to_string()];
        let mut cs = [
            cand("us-west-2", 0, 0.0, false),
            cand("us-east-1", 0, 0.0, false),
            cand("eu-west-1", 1, 0.0, false),
        ];
        cs.sort_by(|a, b| rank(&order, &lo, a, b));
        let names: Vec<&str> = cs.iter().map(|c| &*c.location).collect();
        assert_eq!(names, ["eu-west-1", "us-east-1", "us-west-2"]);
    }
}
