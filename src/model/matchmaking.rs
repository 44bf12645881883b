//! FlexMatch: matchmaking rule sets, configurations, tickets and the matches built from them.
//!
//! A configuration's matchmaker runs a pass (`Timer::MatchmakerPass`) at once when a ticket
//! arrives and every `Settings::matchmaking_interval` while tickets are searching. A pass moves
//! QUEUED tickets to SEARCHING, asks the rule set for matches (`flexmatch::RuleSet::find_matches`,
//! seeded with `Settings::matchmaking_seed` and the pass number, so a run is repeatable), and
//! turns each proposal into a match: REQUIRES_ACCEPTANCE (with `Timer::AcceptanceTimeout`) when
//! the configuration asks for acceptance, otherwise on at once — COMPLETED for STANDALONE,
//! PLACING (a game session placement through the configuration's first queue) for WITH_QUEUE.
//! `Timer::TicketTimeout` ends a ticket still QUEUED or SEARCHING after RequestTimeoutSeconds.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use rustc_hash::FxHashMap;
use tokio::time::Instant;

use super::GameSessionStatus;
use super::placement::{Connection, ModelEvent, PlacementStatus, PlayerLatency, StartPlacement};
use super::timers::{Subject, Timer};
use super::wire_enum;
use super::world::{Now, World};
use crate::error::{ApiError, ApiResult};
use crate::flexmatch::{self, AttrValue, ExistingMatch, MatchContext, PoolPlayer, PoolTicket, RuleSet};

wire_enum!(
    /// A matchmaking ticket's status.
    TicketStatus {
        Queued = "QUEUED",
        Searching = "SEARCHING",
        RequiresAcceptance = "REQUIRES_ACCEPTANCE",
        Placing = "PLACING",
        Completed = "COMPLETED",
        Failed = "FAILED",
        Cancelled = "CANCELLED",
        TimedOut = "TIMED_OUT",
    }
);

impl TicketStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [TicketStatus; 8] = [
        Self::Queued,
        Self::Searching,
        Self::RequiresAcceptance,
        Self::Placing,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
        Self::TimedOut,
    ];

    /// Whether the ticket has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled | Self::TimedOut)
    }
}

wire_enum!(
    /// FlexMatchMode.
    FlexMatchMode {
        Standalone = "STANDALONE",
        WithQueue = "WITH_QUEUE",
    }
);

wire_enum!(
    /// BackfillMode.
    BackfillMode {
        Automatic = "AUTOMATIC",
        Manual = "MANUAL",
    }
);

/// RequestTimeoutSeconds range.
pub const REQUEST_TIMEOUT_RANGE: std::ops::RangeInclusive<i64> = 1..=43_200;
/// AcceptanceTimeoutSeconds range.
pub const ACCEPTANCE_TIMEOUT_RANGE: std::ops::RangeInclusive<i64> = 1..=600;

/// A stored rule set.
#[derive(Debug, Clone)]
pub struct RuleSetRecord {
    /// Creation order.
    pub seq: u64,
    /// RuleSetName.
    pub name: Arc<str>,
    /// RuleSetArn.
    pub arn: Arc<str>,
    /// RuleSetBody, as given.
    pub body: String,
    /// The parsed rule set.
    pub parsed: Arc<RuleSet>,
    /// CreationTime (epoch ms).
    pub creation_ms: i64,
}

/// A matchmaking configuration.
#[derive(Debug, Clone)]
pub struct MatchmakingConfig {
    /// Creation order.
    pub seq: u64,
    /// Name.
    pub name: Arc<str>,
    /// ConfigurationArn.
    pub arn: Arc<str>,
    /// The members a request sets.
    pub spec: ConfigSpec,
    /// RuleSetName (bare).
    pub rule_set_name: Arc<str>,
    /// RuleSetArn.
    pub rule_set_arn: Arc<str>,
    /// CreationTime (epoch ms).
    pub creation_ms: i64,
    /// A matchmaker pass is queued at this instant.
    pub pass_at: Option<Instant>,
    /// Passes run so far (mixed into the seed).
    pub passes: u64,
    /// How long (ms) the configuration's most recent COMPLETED tickets waited, newest last
    /// (at most `RECENT_WAITS`), for EstimatedWaitTime.
    pub recent_waits: VecDeque<i64>,
}

/// How many completed tickets' waits EstimatedWaitTime averages.
pub const RECENT_WAITS: usize = 10;

/// The members of Create/UpdateMatchmakingConfiguration (after defaults).
#[derive(Debug, Clone, Default)]
pub struct ConfigSpec {
    /// Description.
    pub description: Option<String>,
    /// GameSessionQueueArns.
    pub queue_arns: Vec<String>,
    /// RequestTimeoutSeconds.
    pub request_timeout_s: u32,
    /// AcceptanceTimeoutSeconds.
    pub acceptance_timeout_s: Option<u32>,
    /// AcceptanceRequired.
    pub acceptance_required: bool,
    /// NotificationTarget.
    pub notification_target: Option<String>,
    /// AdditionalPlayerCount.
    pub additional_player_count: u32,
    /// CustomEventData.
    pub custom_event_data: Option<String>,
    /// GameProperties.
    pub game_properties: Vec<(String, String)>,
    /// GameSessionData.
    pub game_session_data: Option<String>,
    /// BackfillMode.
    pub backfill_mode: Option<BackfillMode>,
    /// FlexMatchMode.
    pub mode: FlexMatchMode,
}

// `wire_enum!` derives no Default, so it is written out.
#[allow(clippy::derivable_impls)]
impl Default for FlexMatchMode {
    fn default() -> Self {
        FlexMatchMode::WithQueue
    }
}

/// A CreateMatchmakingConfiguration / UpdateMatchmakingConfiguration request, unchecked.
#[derive(Debug, Clone, Default)]
pub struct ConfigRequest {
    /// Name (create) or name/ARN (update).
    pub name: String,
    /// RuleSetName (name or ARN).
    pub rule_set: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// GameSessionQueueArns.
    pub queue_arns: Option<Vec<String>>,
    /// RequestTimeoutSeconds.
    pub request_timeout_s: Option<i64>,
    /// AcceptanceTimeoutSeconds.
    pub acceptance_timeout_s: Option<i64>,
    /// AcceptanceRequired.
    pub acceptance_required: Option<bool>,
    /// NotificationTarget.
    pub notification_target: Option<String>,
    /// AdditionalPlayerCount.
    pub additional_player_count: Option<i64>,
    /// CustomEventData.
    pub custom_event_data: Option<String>,
    /// GameProperties.
    pub game_properties: Option<Vec<(String, String)>>,
    /// GameSessionData.
    pub game_session_data: Option<String>,
    /// BackfillMode.
    pub backfill_mode: Option<String>,
    /// FlexMatchMode.
    pub mode: Option<String>,
}

/// One player of a ticket.
#[derive(Debug, Clone, Default)]
pub struct TicketPlayer {
    /// PlayerId.
    pub id: String,
    /// PlayerAttributes.
    pub attributes: BTreeMap<String, AttrValue>,
    /// Team (set once matched).
    pub team: Option<String>,
    /// LatencyInMs.
    pub latency_ms: BTreeMap<String, i64>,
    /// The player's answer to AcceptMatch, while a match waits for acceptance.
    pub accepted: Option<bool>,
    /// PlayerSessionId (WITH_QUEUE, once placed).
    pub player_session_id: Option<String>,
}

/// A matchmaking ticket.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// Creation order.
    pub seq: u64,
    /// TicketId.
    pub id: Arc<str>,
    /// ConfigurationName.
    pub config: Arc<str>,
    /// ConfigurationArn.
    pub config_arn: Arc<str>,
    /// Status.
    pub status: TicketStatus,
    /// StatusReason.
    pub reason: Option<String>,
    /// StatusMessage.
    pub message: Option<String>,
    /// StartTime.
    pub start: Now,
    /// EndTime.
    pub end_ms: Option<i64>,
    /// Players.
    pub players: Vec<TicketPlayer>,
    /// The match it is part of (REQUIRES_ACCEPTANCE, PLACING, COMPLETED).
    pub match_seq: Option<u64>,
    /// GameSessionConnectionInfo (WITH_QUEUE, COMPLETED).
    pub connection: Option<Connection>,
    /// A match backfill request: the game session it fills (None: STANDALONE backfill).
    pub backfill: Option<Option<Arc<str>>>,
    /// Started by the emulator for a BackfillMode AUTOMATIC configuration.
    pub auto_backfill: bool,
    /// EstimatedWaitTime (seconds), refreshed by every matchmaker pass while it searches.
    pub estimated_wait_s: Option<u32>,
}

/// A game session a WITH_QUEUE match placed: who is in it, for backfills the emulator starts.
#[derive(Debug, Clone)]
pub struct MatchedSession {
    /// The configuration that made the match.
    pub config: Arc<str>,
    /// The matched players still in the game (each with his Team and attributes).
    pub players: Vec<TicketPlayer>,
    /// StopMatchmaking on an automatic backfill ticket turns automatic backfill off here.
    pub auto_off: bool,
}

/// A match proposed by a matchmaker pass.
#[derive(Debug, Clone)]
pub struct Match {
    /// matchId.
    pub id: Arc<str>,
    /// The configuration's name.
    pub config: Arc<str>,
    /// Ticket sequence numbers, anchor first.
    pub tickets: Vec<u64>,
    /// The teams (rule-set order) and their players' IDs.
    pub teams: Vec<(String, Vec<String>)>,
    /// ruleEvaluationMetrics.
    pub rule_metrics: Vec<(String, u32, u32)>,
    /// The placement that places it (WITH_QUEUE).
    pub placement: Option<u64>,
    /// The backfill ticket it completes (its first ticket), if it is a backfill match.
    pub backfill: Option<u64>,
}

/// Every rule set, configuration, ticket and match.
#[derive(Debug, Default)]
pub struct Matchmaking {
    pub(crate) rule_sets: FxHashMap<Arc<str>, RuleSetRecord>,
    pub(crate) configs: FxHashMap<Arc<str>, MatchmakingConfig>,
    pub(crate) tickets: BTreeMap<u64, Ticket>,
    pub(crate) ticket_ids: FxHashMap<Arc<str>, u64>,
    pub(crate) matches: BTreeMap<u64, Match>,
    /// Placement sequence number → match sequence number.
    pub(crate) by_placement: FxHashMap<u64, u64>,
    /// Game session ARN → its matched players (sessions placed by a WITH_QUEUE match).
    pub(crate) sessions: FxHashMap<Arc<str>, MatchedSession>,
}

/// A FlexMatch event (GameLift Matchmaking Event).
#[derive(Debug, Clone, PartialEq)]
pub struct MatchmakingEvent {
    /// detail.type.
    pub kind: &'static str,
    /// The configuration ARN (`resources`).
    pub config_arn: Arc<str>,
    /// The configuration's NotificationTarget.
    pub notification_target: Option<String>,
    /// The configuration's CustomEventData.
    pub custom_event_data: Option<String>,
    /// Region and account of the envelope.
    pub region: String,
    /// Account.
    pub account: String,
    /// When it happened (epoch ms).
    pub time_ms: i64,
    /// The tickets it concerns.
    pub tickets: Vec<EventTicket>,
    /// matchId.
    pub match_id: Option<Arc<str>>,
    /// PotentialMatchCreated: (acceptanceRequired, acceptanceTimeout).
    pub acceptance: Option<(bool, Option<u32>)>,
    /// AcceptMatchCompleted: Accepted, Rejected or TimedOut.
    pub acceptance_outcome: Option<&'static str>,
    /// ruleEvaluationMetrics.
    pub rule_metrics: Option<Vec<(String, u32, u32)>>,
    /// Ending events: (reason, message).
    pub reason: Option<(&'static str, &'static str)>,
    /// MatchmakingSucceeded (WITH_QUEUE): the game session.
    pub connection: Option<Connection>,
    /// MatchmakingSearching: `estimatedWaitMillis` (seconds; None: "NOT_AVAILABLE").
    pub estimated_wait_s: Option<u32>,
}

/// A player as an event lists him: (playerId, team, accepted, playerSessionId).
pub type EventPlayer = (String, Option<String>, Option<bool>, Option<String>);

/// A ticket as an event lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventTicket {
    /// ticketId.
    pub id: Arc<str>,
    /// startTime (epoch ms).
    pub start_ms: i64,
    /// players: (playerId, team, accepted, playerSessionId).
    pub players: Vec<EventPlayer>,
}

/// The bare name inside a name-or-ARN value of `kind` (`matchmakingruleset`, …).
pub fn bare_name<'a>(name_or_arn: &'a str, kind: &str) -> &'a str {
    if name_or_arn.starts_with("arn:")
        && let Some(pos) = name_or_arn.rfind(&format!("{kind}/"))
    {
        return &name_or_arn[pos + kind.len() + 1..];
    }
    name_or_arn
}

fn in_range(what: &str, v: i64, r: &std::ops::RangeInclusive<i64>) -> ApiResult<u32> {
    if r.contains(&v) {
        Ok(v as u32)
    } else {
        Err(ApiError::InvalidRequest(format!(
            "{what} {v} is not valid: it must be between {} and {}.",
            r.start(),
            r.end()
        )))
    }
}

/// A 64-bit mix (splitmix64), for seeded match IDs.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A match ID: a UUID drawn from the pass's seed and the match's sequence number.
fn match_id(seed: u64, mseq: u64) -> Arc<str> {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&mix(seed ^ mix(mseq)).to_le_bytes());
    bytes[8..].copy_from_slice(&mix(seed.rotate_left(17) ^ mseq).to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string().into()
}

/// The Players of a new ticket: at least one, each with a PlayerId, none twice; a backfill
/// request gives every player's Team, a matchmaking request none.
fn check_ticket_players(players: &[TicketPlayer], backfill: bool) -> ApiResult<()> {
    if players.is_empty() {
        return Err(ApiError::InvalidRequest("Players must list at least one player.".into()));
    }
    for (i, p) in players.iter().enumerate() {
        if p.id.is_empty() {
            return Err(ApiError::InvalidRequest(format!("Players[{}] has no PlayerId.", i + 1)));
        }
        if players[..i].iter().any(|q| q.id == p.id) {
            return Err(ApiError::InvalidRequest(format!("Player {} is listed more than once.", p.id)));
        }
        if !backfill && p.team.is_some() {
            return Err(ApiError::InvalidRequest(format!(
                "Players[{}].Team can only be set for a match backfill request.",
                i + 1
            )));
        }
        if backfill && p.team.is_none() {
            return Err(ApiError::InvalidRequest(format!(
                "Players[{}].Team is required: a backfill request lists the players already in the game with their teams.",
                i + 1
            )));
        }
    }
    Ok(())
}

/// EstimatedWaitTime from history: the mean wait, in whole seconds (rounded), of the
/// configuration's last `RECENT_WAITS` COMPLETED tickets; None before any has completed.
fn recent_wait_estimate(c: &MatchmakingConfig) -> Option<u32> {
    if c.recent_waits.is_empty() {
        return None;
    }
    let mean_ms = c.recent_waits.iter().sum::<i64>() / c.recent_waits.len() as i64;
    Some(((mean_ms.max(0) + 500) / 1000).min(i64::from(u32::MAX)) as u32)
}

impl World {
    // ---- rule sets ----

    /// CreateMatchmakingRuleSet.
    pub fn create_rule_set(
        &mut self,
        name: String,
        body: String,
        tags: Vec<(String, String)>,
        now: Now,
    ) -> ApiResult<&RuleSetRecord> {
        let parsed = flexmatch::parse_rule_set(&body).map_err(ApiError::InvalidRequest)?;
        super::tags::check_tags(&tags)?;
        if self.matchmaking.rule_sets.contains_key(name.as_str()) {
            return Err(ApiError::InvalidRequest(format!("Rule set with name {name} already exists.")));
        }
        let arn: Arc<str> = format!(
            "arn:aws:gamelift:{}:{}:matchmakingruleset/{name}",
            self.settings.region, self.settings.account_id
        )
        .into();
        self.put_tags(&arn, tags)?;
        let seq = self.next_seq();
        let name: Arc<str> = name.into();
        self.matchmaking.rule_sets.insert(
            name.clone(),
            RuleSetRecord {
                seq,
                name: name.clone(),
                arn,
                body,
                parsed: Arc::new(parsed),
                creation_ms: now.wall_ms,
            },
        );
        self.rule_set(&name)
    }

    /// A rule set by name or ARN.
    pub fn rule_set(&self, name_or_arn: &str) -> ApiResult<&RuleSetRecord> {
        let name = bare_name(name_or_arn, "matchmakingruleset");
        self.matchmaking
            .rule_sets
            .get(name)
            .ok_or_else(|| ApiError::NotFound(format!("Matchmaking rule set {name} not found.")))
    }

    /// Every rule set in creation order, a page at a time.
    pub fn list_rule_sets(&self, after: Option<u64>, limit: usize) -> (Vec<&RuleSetRecord>, Option<u64>) {
        let mut all: Vec<&RuleSetRecord> =
            self.matchmaking.rule_sets.values().filter(|r| after.is_none_or(|a| r.seq > a)).collect();
        all.sort_by_key(|r| r.seq);
        super::paging::page(all.into_iter().map(|r| (r.seq, r)), limit)
    }

    /// DeleteMatchmakingRuleSet: refused while a configuration uses it.
    pub fn delete_rule_set(&mut self, name_or_arn: &str) -> ApiResult<()> {
        let name = self.rule_set(name_or_arn)?.name.clone();
        let users = self.matchmaking.configs.values().filter(|c| c.rule_set_name == name);
        if let Some(c) = users.min_by_key(|c| c.seq) {
            return Err(ApiError::InvalidRequest(format!(
                "Rule set {name} is used by matchmaking configuration {} and cannot be deleted.",
                c.name
            )));
        }
        if let Some(r) = self.matchmaking.rule_sets.remove(&name) {
            self.drop_tags(&r.arn);
        }
        Ok(())
    }

    // ---- configurations ----

    fn check_config(&self, spec: &ConfigSpec) -> ApiResult<()> {
        if spec.mode == FlexMatchMode::WithQueue {
            if spec.queue_arns.is_empty() {
                return Err(ApiError::InvalidRequest(
                    "A matchmaking configuration with FlexMatchMode WITH_QUEUE needs GameSessionQueueArns."
                        .into(),
                ));
            }
            for arn in &spec.queue_arns {
                self.queue(arn)?;
            }
        } else {
            if !spec.queue_arns.is_empty() {
                return Err(ApiError::InvalidRequest(
                    "GameSessionQueueArns cannot be set when FlexMatchMode is STANDALONE.".into(),
                ));
            }
            if spec.backfill_mode == Some(BackfillMode::Automatic) {
                return Err(ApiError::InvalidRequest(
                    "BackfillMode AUTOMATIC is not available when FlexMatchMode is STANDALONE.".into(),
                ));
            }
        }
        if spec.acceptance_required && spec.acceptance_timeout_s.is_none() {
            return Err(ApiError::InvalidRequest(
                "AcceptanceTimeoutSeconds is required when AcceptanceRequired is true.".into(),
            ));
        }
        Ok(())
    }

    fn apply_request(spec: &mut ConfigSpec, r: ConfigRequest) -> ApiResult<()> {
        if let Some(v) = r.description {
            spec.description = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = r.queue_arns {
            spec.queue_arns = v;
        }
        if let Some(v) = r.request_timeout_s {
            spec.request_timeout_s = in_range("RequestTimeoutSeconds", v, &REQUEST_TIMEOUT_RANGE)?;
        }
        if let Some(v) = r.acceptance_timeout_s {
            spec.acceptance_timeout_s =
                Some(in_range("AcceptanceTimeoutSeconds", v, &ACCEPTANCE_TIMEOUT_RANGE)?);
        }
        if let Some(v) = r.acceptance_required {
            spec.acceptance_required = v;
        }
        if let Some(v) = r.notification_target {
            spec.notification_target = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = r.additional_player_count {
            spec.additional_player_count = u32::try_from(v).map_err(|_| {
                ApiError::InvalidRequest(format!(
                    "AdditionalPlayerCount {v} is not valid: it must be 0 or more."
                ))
            })?;
        }
        if let Some(v) = r.custom_event_data {
            spec.custom_event_data = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = r.game_properties {
            spec.game_properties = v;
        }
        if let Some(v) = r.game_session_data {
            spec.game_session_data = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = r.backfill_mode {
            spec.backfill_mode = Some(BackfillMode::parse(&v).ok_or_else(|| {
                ApiError::InvalidRequest(format!("BackfillMode {v} is not valid; use AUTOMATIC or MANUAL."))
            })?);
        }
        if let Some(v) = r.mode {
            spec.mode = FlexMatchMode::parse(&v).ok_or_else(|| {
                ApiError::InvalidRequest(format!(
                    "FlexMatchMode {v} is not valid; use STANDALONE or WITH_QUEUE."
                ))
            })?;
        }
        Ok(())
    }

    /// CreateMatchmakingConfiguration.
    pub fn create_matchmaking_config(
        &mut self,
        mut r: ConfigRequest,
        tags: Vec<(String, String)>,
        now: Now,
    ) -> ApiResult<&MatchmakingConfig> {
        let name = std::mem::take(&mut r.name);
        let (rs_name, rs_arn) = self.rule_set_ref(r.rule_set.take().as_deref().unwrap_or_default())?;
        let mut base = ConfigSpec { backfill_mode: None, ..ConfigSpec::default() };
        if r.mode.is_none() {
            base.mode = if r.queue_arns.as_ref().is_some_and(|q| !q.is_empty()) {
                FlexMatchMode::WithQueue
            } else {
                FlexMatchMode::Standalone
            };
        }
        let spec = self.config_spec(base, r)?;
        super::tags::check_tags(&tags)?;
        if self.matchmaking.configs.contains_key(name.as_str()) {
            return Err(ApiError::InvalidRequest(format!(
                "Matchmaking configuration with name {name} already exists."
            )));
        }
        let arn: Arc<str> = format!(
            "arn:aws:gamelift:{}:{}:matchmakingconfiguration/{name}",
            self.settings.region, self.settings.account_id
        )
        .into();
        self.put_tags(&arn, tags)?;
        let seq = self.next_seq();
        let name: Arc<str> = name.into();
        self.matchmaking.configs.insert(
            name.clone(),
            MatchmakingConfig {
                seq,
                name: name.clone(),
                arn,
                spec,
                rule_set_name: rs_name,
                rule_set_arn: rs_arn,
                creation_ms: now.wall_ms,
                pass_at: None,
                passes: 0,
                recent_waits: VecDeque::new(),
            },
        );
        self.matchmaking_config(&name)
    }

    /// (name, ARN) of a rule set given by name or ARN.
    fn rule_set_ref(&self, name_or_arn: &str) -> ApiResult<(Arc<str>, Arc<str>)> {
        let r = self.rule_set(name_or_arn)?;
        Ok((r.name.clone(), r.arn.clone()))
    }

    /// What Create/UpdateMatchmakingConfiguration leave: `base` with the request's members
    /// applied, defaults filled in, and the rules between members checked.
    fn config_spec(&self, mut spec: ConfigSpec, r: ConfigRequest) -> ApiResult<ConfigSpec> {
        Self::apply_request(&mut spec, r)?;
        if spec.mode == FlexMatchMode::WithQueue && spec.backfill_mode.is_none() {
            spec.backfill_mode = Some(BackfillMode::Manual);
        }
        self.check_config(&spec)?;
        Ok(spec)
    }

    /// A configuration by name or ARN.
    pub fn matchmaking_config(&self, name_or_arn: &str) -> ApiResult<&MatchmakingConfig> {
        let name = bare_name(name_or_arn, "matchmakingconfiguration");
        self.matchmaking
            .configs
            .get(name)
            .ok_or_else(|| ApiError::NotFound(format!("Matchmaking configuration {name} not found.")))
    }

    /// Every configuration (optionally only those using one rule set) in creation order, a page at a time.
    pub fn list_matchmaking_configs(
        &self,
        rule_set: Option<&str>,
        after: Option<u64>,
        limit: usize,
    ) -> (Vec<&MatchmakingConfig>, Option<u64>) {
        let rule_set = rule_set.map(|r| bare_name(r, "matchmakingruleset"));
        let mut all: Vec<&MatchmakingConfig> = self
            .matchmaking
            .configs
            .values()
            .filter(|c| after.is_none_or(|a| c.seq > a))
            .filter(|c| rule_set.is_none_or(|r| &*c.rule_set_name == r))
            .collect();
        all.sort_by_key(|c| c.seq);
        super::paging::page(all.into_iter().map(|c| (c.seq, c)), limit)
    }

    /// UpdateMatchmakingConfiguration: members not given keep their value.
    pub fn update_matchmaking_config(&mut self, mut r: ConfigRequest) -> ApiResult<&MatchmakingConfig> {
        let name = self.matchmaking_config(&r.name)?.name.clone();
        r.name.clear();
        let rule_set = r.rule_set.take().map(|rs| self.rule_set_ref(&rs)).transpose()?;
        let spec = self.config_spec(self.matchmaking_config(&name)?.spec.clone(), r)?;
        let Some(c) = self.matchmaking.configs.get_mut(&name) else {
            return Err(ApiError::NotFound(format!("Matchmaking configuration {name} not found.")));
        };
        c.spec = spec;
        if let Some((n, a)) = rule_set {
            c.rule_set_name = n;
            c.rule_set_arn = a;
        }
        self.matchmaking_config(&name)
    }

    /// DeleteMatchmakingConfiguration: refused while it has active tickets.
    pub fn delete_matchmaking_config(&mut self, name_or_arn: &str) -> ApiResult<()> {
        let name = self.matchmaking_config(name_or_arn)?.name.clone();
        if self.matchmaking.tickets.values().any(|t| t.config == name && !t.status.is_terminal()) {
            return Err(ApiError::InvalidRequest(format!(
                "Matchmaking configuration {name} has active matchmaking tickets and cannot be deleted."
            )));
        }
        self.cancel_timers(Subject::Matchmaker(name.clone()), |_| true);
        if let Some(c) = self.matchmaking.configs.remove(&name) {
            self.drop_tags(&c.arn);
        }
        Ok(())
    }

    // ---- tickets ----

    /// A ticket by ID.
    pub fn ticket(&self, id: &str) -> Option<&Ticket> {
        self.matchmaking.ticket_ids.get(id).and_then(|s| self.matchmaking.tickets.get(s))
    }

    /// StartMatchmaking: a QUEUED ticket; the matchmaker runs at once.
    pub fn start_matchmaking(
        &mut self,
        ticket_id: Option<String>,
        config: &str,
        players: Vec<TicketPlayer>,
        now: Now,
    ) -> ApiResult<&Ticket> {
        self.new_ticket(ticket_id, config, players, None, now)
    }

    /// StartMatchBackfill (client API or Server SDK): a QUEUED backfill ticket for the players
    /// already in `game_session` (each with his Team); an active backfill of the same game
    /// session is cancelled.
    pub fn start_match_backfill(
        &mut self,
        ticket_id: Option<String>,
        config: &str,
        game_session: Option<&str>,
        players: Vec<TicketPlayer>,
        now: Now,
    ) -> ApiResult<&Ticket> {
        let gs = match game_session.filter(|g| !g.is_empty()) {
            Some(g) => Some(self.game_session_by_id(g)?.arn.clone()),
            None => None,
        };
        self.new_ticket(ticket_id, config, players, Some(gs), now)
    }

    fn new_ticket(
        &mut self,
        ticket_id: Option<String>,
        config: &str,
        players: Vec<TicketPlayer>,
        backfill: Option<Option<Arc<str>>>,
        now: Now,
    ) -> ApiResult<&Ticket> {
        let (name, arn, timeout) = {
            let c = self.matchmaking_config(config)?;
            (c.name.clone(), c.arn.clone(), c.spec.request_timeout_s)
        };
        check_ticket_players(&players, backfill.is_some())?;
        let id = ticket_id.filter(|t| !t.is_empty()).unwrap_or_else(|| super::ids::random_uuid().to_string());
        if self.matchmaking.ticket_ids.contains_key(id.as_str()) {
            return Err(ApiError::InvalidRequest(format!("Matchmaking ticket {id} already exists.")));
        }
        self.cancel_superseded(&players, backfill.as_ref(), now);
        let seq = self.next_seq();
        let id: Arc<str> = id.into();
        // Known at once only from completed tickets; a pass refreshes it while it searches.
        let estimated_wait_s = self.matchmaking.configs.get(&name).and_then(recent_wait_estimate);
        self.matchmaking.tickets.insert(
            seq,
            Ticket {
                seq,
                id: id.clone(),
                config: name.clone(),
                config_arn: arn,
                status: TicketStatus::Queued,
                reason: None,
                message: None,
                start: now,
                end_ms: None,
                players,
                match_seq: None,
                connection: None,
                backfill,
                auto_backfill: false,
                estimated_wait_s,
            },
        );
        self.matchmaking.ticket_ids.insert(id.clone(), seq);
        self.schedule(now.at + Duration::from_secs(u64::from(timeout)), Timer::TicketTimeout(seq));
        self.queue_pass(&name, now.at);
        self.ticket(&id).ok_or_else(|| ApiError::InternalService("new ticket vanished".into()))
    }

    /// A player can be in one active ticket at a time, a game session in one active backfill:
    /// the older ticket is cancelled (unless it is already being placed).
    fn cancel_superseded(&mut self, players: &[TicketPlayer], backfill: Option<&Option<Arc<str>>>, now: Now) {
        let older: Vec<u64> = self
            .matchmaking
            .tickets
            .values()
            .filter(|t| !t.status.is_terminal() && t.status != TicketStatus::Placing)
            .filter(|t| match (backfill, &t.backfill) {
                (None, None) => t.players.iter().any(|p| players.iter().any(|q| q.id == p.id)),
                (Some(Some(gs)), Some(Some(other))) => gs == other,
                _ => false,
            })
            .map(|t| t.seq)
            .collect();
        for seq in older {
            self.cancel_ticket(seq, now, "Cancelled by a newer matchmaking request.");
        }
    }

    /// Queues a matchmaker pass for `config` at `at`, unless one is queued no later.
    fn queue_pass(&mut self, config: &Arc<str>, at: Instant) {
        let Some(c) = self.matchmaking.configs.get_mut(config) else { return };
        if c.pass_at.is_some_and(|p| p <= at) {
            return;
        }
        c.pass_at = Some(at);
        let name = c.name.clone();
        self.cancel_timers(Subject::Matchmaker(name.clone()), |_| true);
        self.schedule(at, Timer::MatchmakerPass(name));
    }

    /// StopMatchmaking.
    pub fn stop_matchmaking(&mut self, id: &str, now: Now) -> ApiResult<()> {
        let t = self
            .ticket(id)
            .ok_or_else(|| ApiError::NotFound(format!("Matchmaking ticket {id} not found.")))?;
        match t.status {
            TicketStatus::Placing => Err(ApiError::InvalidRequest(
                "Matchmaking ticket is in PLACING status and cannot be canceled.".into(),
            )),
            s if s.is_terminal() => Err(ApiError::InvalidRequest(format!(
                "Matchmaking ticket is in {s} status and cannot be canceled."
            ))),
            _ => {
                let seq = t.seq;
                let auto_gs = t.backfill.clone().flatten().filter(|_| t.auto_backfill);
                if let Some(session) = auto_gs.and_then(|gs| self.matchmaking.sessions.get_mut(&gs)) {
                    session.auto_off = true;
                }
                self.cancel_ticket(seq, now, "Cancelled by request.");
                Ok(())
            }
        }
    }

    /// Ends a ticket CANCELLED; a match it was part of is dropped (its other tickets search again).
    fn cancel_ticket(&mut self, seq: u64, now: Now, message: &str) {
        let match_seq = self.matchmaking.tickets.get(&seq).and_then(|t| t.match_seq);
        if let Some(m) = match_seq {
            self.drop_match(m, now, &[seq], "Cancelled");
        } else {
            self.end_ticket(seq, TicketStatus::Cancelled, "CANCELLED", message, now);
            self.ticket_event(seq, "MatchmakingCancelled", Some(("Cancelled", "Cancelled by request.")), now);
        }
        self.backfill_ended(seq, "BACKFILL_CANCELLED");
    }

    /// Tells the game server a backfill of its game session ended without a match.
    fn backfill_ended(&mut self, seq: u64, reason: &str) {
        let Some(t) = self.matchmaking.tickets.get(&seq) else { return };
        let Some(Some(gs)) = &t.backfill else { return };
        let (gs, id) = (gs.clone(), t.id.to_string());
        let _ = self.push_game_session_update(&gs, reason.into(), Some(id));
    }

    /// Moves a ticket to a terminal status and cancels its timers.
    fn end_ticket(&mut self, seq: u64, status: TicketStatus, reason: &str, message: &str, now: Now) {
        let Some(t) = self.matchmaking.tickets.get_mut(&seq) else { return };
        if status == TicketStatus::Completed
            && t.backfill.is_none()
            && let Some(c) = self.matchmaking.configs.get_mut(&t.config)
        {
            c.recent_waits.push_back(now.wall_ms - t.start.wall_ms);
            while c.recent_waits.len() > RECENT_WAITS {
                c.recent_waits.pop_front();
            }
        }
        t.status = status;
        t.reason = Some(reason.to_owned());
        t.message = Some(message.to_owned());
        t.end_ms = Some(now.wall_ms);
        t.match_seq = None;
        for p in &mut t.players {
            p.accepted = None;
        }
        self.cancel_timers(Subject::Ticket(seq), |_| true);
    }

    /// A ticket's RequestTimeoutSeconds passed.
    pub(crate) fn ticket_timed_out(&mut self, seq: u64, now: Now) {
        let Some(t) = self.matchmaking.tickets.get(&seq) else { return };
        if !matches!(t.status, TicketStatus::Queued | TicketStatus::Searching) {
            // Waiting for acceptance: it is judged when it comes back to SEARCHING.
            return;
        }
        self.end_ticket(
            seq,
            TicketStatus::TimedOut,
            "TIMED_OUT",
            "Removed from matchmaking due to timing out.",
            now,
        );
        self.ticket_event(
            seq,
            "MatchmakingTimedOut",
            Some(("TimedOut", "Removed from matchmaking due to timing out.")),
            now,
        );
        self.backfill_ended(seq, "BACKFILL_TIMED_OUT");
        if let Some(t) = self.matchmaking.tickets.get(&seq)
            && t.auto_backfill
            && let Some(Some(gs)) = t.backfill.clone()
        {
            self.auto_backfill(&gs, now);
        }
    }

    /// AcceptMatch.
    pub fn accept_match(&mut self, id: &str, players: &[String], accept: bool, now: Now) -> ApiResult<()> {
        let t = self
            .ticket(id)
            .ok_or_else(|| ApiError::NotFound(format!("Matchmaking ticket {id} not found.")))?;
        if t.status != TicketStatus::RequiresAcceptance {
            return Err(ApiError::InvalidRequest(format!(
                "Matchmaking ticket {id} is in {} status; AcceptMatch is only valid in REQUIRES_ACCEPTANCE status.",
                t.status
            )));
        }
        for p in players {
            if !t.players.iter().any(|q| &q.id == p) {
                return Err(ApiError::InvalidRequest(format!(
                    "Player {p} is not part of matchmaking ticket {id}."
                )));
            }
        }
        let (seq, match_seq) = (t.seq, t.match_seq);
        if let Some(t) = self.matchmaking.tickets.get_mut(&seq) {
            for p in &mut t.players {
                if players.contains(&p.id) {
                    p.accepted = Some(accept);
                }
            }
        }
        let Some(m) = match_seq else { return Ok(()) };
        self.match_event(m, "AcceptMatch", now, |_| {});
        let tickets = self.matchmaking.matches.get(&m).map(|m| m.tickets.clone()).unwrap_or_default();
        let answers: Vec<(u64, bool, bool)> = tickets
            .iter()
            .filter_map(|s| self.matchmaking.tickets.get(s))
            .map(|t| {
                (
                    t.seq,
                    t.players.iter().any(|p| p.accepted == Some(false)),
                    t.players.iter().all(|p| p.accepted == Some(true)),
                )
            })
            .collect();
        if answers.iter().any(|a| a.1) {
            let failing: Vec<u64> = answers.iter().filter(|a| a.1).map(|a| a.0).collect();
            self.match_event(m, "AcceptMatchCompleted", now, |e| e.acceptance_outcome = Some("Rejected"));
            self.drop_match(m, now, &failing, "Rejected");
        } else if answers.iter().all(|a| a.2) {
            self.match_event(m, "AcceptMatchCompleted", now, |e| e.acceptance_outcome = Some("Accepted"));
            self.cancel_timers(Subject::Match(m), |_| true);
            self.match_accepted(m, now);
        }
        Ok(())
    }

    /// The acceptance timeout of a match passed.
    pub(crate) fn acceptance_timed_out(&mut self, m: u64, now: Now) {
        let Some(mm) = self.matchmaking.matches.get(&m) else { return };
        let failing: Vec<u64> = mm
            .tickets
            .iter()
            .filter_map(|s| self.matchmaking.tickets.get(s))
            .filter(|t| !t.players.iter().all(|p| p.accepted == Some(true)))
            .map(|t| t.seq)
            .collect();
        self.match_event(m, "AcceptMatchCompleted", now, |e| e.acceptance_outcome = Some("TimedOut"));
        self.drop_match(m, now, &failing, "TimedOut");
    }

    /// Drops a proposed match: `failing` tickets end CANCELLED, the others search again.
    fn drop_match(&mut self, m: u64, now: Now, failing: &[u64], why: &str) {
        let Some(mm) = self.matchmaking.matches.remove(&m) else { return };
        self.cancel_timers(Subject::Match(m), |_| true);
        let config = mm.config.clone();
        for seq in &mm.tickets {
            if failing.contains(seq) {
                let message = match why {
                    "Cancelled" => "Cancelled by request.",
                    "TimedOut" => "A player did not accept the match in time.",
                    _ => "A player rejected the match.",
                };
                self.end_ticket(*seq, TicketStatus::Cancelled, "CANCELLED", message, now);
                self.ticket_event(
                    *seq,
                    "MatchmakingCancelled",
                    Some(("Cancelled", "Cancelled by request.")),
                    now,
                );
            } else if let Some(t) = self.matchmaking.tickets.get_mut(seq) {
                t.status = TicketStatus::Searching;
                t.match_seq = None;
                t.reason = Some("ACCEPTANCE_FAILED".into());
                t.message =
                    Some("The proposed match was not accepted by every player; searching again.".into());
                let keep_teams = t.backfill.is_some();
                for p in &mut t.players {
                    p.accepted = None;
                    if !keep_teams {
                        p.team = None;
                    }
                }
                let expired = now.at.saturating_duration_since(t.start.at);
                let timeout =
                    self.matchmaking.configs.get(&config).map_or(u32::MAX, |c| c.spec.request_timeout_s);
                if expired >= Duration::from_secs(u64::from(timeout)) {
                    self.ticket_timed_out(*seq, now);
                } else {
                    self.ticket_event(*seq, "MatchmakingSearching", None, now);
                }
            }
        }
        self.queue_pass(&config, now.at);
    }

    /// Every player accepted (or no acceptance is required): complete or place the match.
    fn match_accepted(&mut self, m: u64, now: Now) {
        let Some(mm) = self.matchmaking.matches.get(&m).cloned() else { return };
        let Some(c) = self.matchmaking.configs.get(&mm.config).cloned() else { return };
        let backfill_gs = mm
            .backfill
            .and_then(|b| self.matchmaking.tickets.get(&b))
            .and_then(|t| t.backfill.clone())
            .flatten();
        if let Some(gs) = backfill_gs {
            self.complete_backfill(m, &c, gs, now);
            return;
        }
        let mode = if mm.backfill.is_some() { FlexMatchMode::Standalone } else { c.spec.mode };
        match mode {
            FlexMatchMode::Standalone => {
                self.match_event(m, "MatchmakingSucceeded", now, |_| {});
                for seq in &mm.tickets {
                    self.end_ticket(
                        *seq,
                        TicketStatus::Completed,
                        "COMPLETED",
                        "Matchmaking completed.",
                        now,
                    );
                }
                self.matchmaking.matches.remove(&m);
            }
            FlexMatchMode::WithQueue => self.place_match(m, &mm, &c, now),
        }
    }

    /// WITH_QUEUE: the accepted match goes to the configuration's first queue as a placement
    /// (ID = matchId) carrying the players' latencies, the configuration's game properties and
    /// data, and MatchmakerData; its tickets are PLACING until it ends.
    fn place_match(&mut self, m: u64, mm: &Match, c: &MatchmakingConfig, now: Now) {
        for seq in &mm.tickets {
            if let Some(t) = self.matchmaking.tickets.get_mut(seq) {
                t.status = TicketStatus::Placing;
                t.reason = None;
                t.message = None;
            }
            self.cancel_timers(Subject::Ticket(*seq), |_| true);
        }
        let rs = self.rule_set(&c.rule_set_name).map(|r| r.parsed.clone()).ok();
        let mut latencies = Vec::new();
        let mut desired = Vec::new();
        for seq in &mm.tickets {
            let Some(t) = self.matchmaking.tickets.get(seq) else { continue };
            for p in &t.players {
                desired.push((p.id.clone(), None));
                for (region, ms) in &p.latency_ms {
                    latencies.push(PlayerLatency {
                        player_id: p.id.clone(),
                        region: region.clone(),
                        ms: *ms as f32,
                    });
                }
            }
        }
        let data = self.matchmaker_data(m, c, rs.as_deref(), None);
        let req = StartPlacement {
            placement_id: mm.id.to_string(),
            queue: c.spec.queue_arns.first().cloned().unwrap_or_default(),
            max_players: rs.map_or(desired.len(), |r| r.max_players()) as u32,
            name: None,
            properties: c.spec.game_properties.clone(),
            latencies,
            desired,
            data: c.spec.game_session_data.clone(),
            override_: None,
            matchmaker_data: Some(data),
        };
        match self.start_placement(now, req) {
            Ok(p) => {
                if let Some(mm) = self.matchmaking.matches.get_mut(&m) {
                    mm.placement = Some(p);
                }
                self.matchmaking.by_placement.insert(p, m);
            }
            Err(_) => self.match_failed(m, now),
        }
    }

    /// A backfill match for a running game session: the new players get player sessions, the
    /// game session new MatchmakerData, and its process an UpdateGameSession push.
    fn complete_backfill(&mut self, m: u64, c: &MatchmakingConfig, gs: Arc<str>, now: Now) {
        let Some(mm) = self.matchmaking.matches.get(&m).cloned() else { return };
        let new_players: Vec<(String, Option<String>)> = mm
            .tickets
            .iter()
            .filter(|s| Some(**s) != mm.backfill)
            .filter_map(|s| self.matchmaking.tickets.get(s))
            .flat_map(|t| t.players.iter().map(|p| (p.id.clone(), None)))
            .collect();
        let created = match self.create_player_sessions(now, &gs, new_players) {
            Ok(c) => c,
            Err(_) => return self.match_failed(m, now),
        };
        let Ok(seq) = self.game_session_by_id(&gs).map(|s| s.seq) else { return self.match_failed(m, now) };
        let backfill_ticket = mm.backfill.and_then(|b| self.matchmaking.tickets.get(&b));
        // The new players' sessions, and the open sessions of the players already in the game.
        let existing = backfill_ticket.into_iter().flat_map(|t| t.players.iter()).filter_map(|pl| {
            let mine = self.players.get(pl.id.as_str())?;
            mine.iter()
                .filter_map(|ps| self.player_sessions.get(ps))
                .find(|ps| ps.game_session == seq && ps.is_open())
        });
        let placed: Vec<(Arc<str>, Arc<str>)> = created
            .iter()
            .filter_map(|ps| self.player_sessions.get(ps))
            .chain(existing)
            .map(|ps| (ps.player_id.clone(), ps.id.clone()))
            .collect();
        let rs = self.rule_set(&c.rule_set_name).map(|r| r.parsed.clone()).ok();
        let auto_id = backfill_ticket.filter(|t| t.auto_backfill).map(|t| t.id.clone());
        let data = self.matchmaker_data(m, c, rs.as_deref(), auto_id.as_deref());
        let connection = self.game_session(seq).map(|s| Connection {
            game_session_arn: s.arn.clone(),
            region: s.location.clone(),
            ip_address: s.ip_address.clone(),
            dns_name: s.dns_name.clone(),
            port: s.port,
        });
        if let Some(s) = self.sessions.get_mut(&seq) {
            s.matchmaker_data = Some(data.into());
        }
        for tseq in &mm.tickets {
            if let Some(t) = self.matchmaking.tickets.get_mut(tseq) {
                for pl in &mut t.players {
                    if let Some((_, ps)) = placed.iter().find(|(id, _)| **id == *pl.id) {
                        pl.player_session_id = Some(ps.to_string());
                    }
                }
                t.connection = connection.clone();
            }
        }
        self.match_event(m, "MatchmakingSucceeded", now, |e| e.connection = connection.clone());
        let backfill_id =
            mm.backfill.and_then(|b| self.matchmaking.tickets.get(&b)).map(|t| t.id.to_string());
        let _ = self.push_game_session_update(&gs, "MATCHMAKING_DATA_UPDATED".into(), backfill_id);
        // The game now holds the backfill request's players and the new ones.
        let players = self.complete_tickets(m, &mm.tickets, now);
        if let Some(session) = self.matchmaking.sessions.get_mut(&gs) {
            session.players = players;
        }
        self.auto_backfill(&gs, now);
    }

    /// BackfillMode AUTOMATIC: starts a backfill of game session `gs` when its configuration is
    /// AUTOMATIC (now), the session is ACTIVE with fewer matched players than the rule set's
    /// `maxPlayers` (less AdditionalPlayerCount), no backfill of it is active, and automatic
    /// backfill was not stopped for it. Called when the session is placed, when a backfill of it
    /// completes or an automatic one times out, and when a matched player leaves.
    fn auto_backfill(&mut self, gs: &Arc<str>, now: Now) {
        let Some(session) = self.matchmaking.sessions.get(gs) else { return };
        let live = self.game_session_by_id(gs).ok().map(|s| s.status);
        if !matches!(live, Some(GameSessionStatus::Active | GameSessionStatus::Activating)) {
            self.matchmaking.sessions.remove(gs);
            return;
        }
        if session.auto_off || session.players.is_empty() || live != Some(GameSessionStatus::Active) {
            return;
        }
        let Some(c) = self.matchmaking.configs.get(&session.config) else { return };
        if c.spec.backfill_mode != Some(BackfillMode::Automatic) {
            return;
        }
        let Ok(rs) = self.rule_set(&c.rule_set_name) else { return };
        let open = rs.parsed.max_players().saturating_sub(c.spec.additional_player_count as usize);
        let active =
            self.matchmaking.tickets.values().any(|t| {
                !t.status.is_terminal() && t.backfill.as_ref().is_some_and(|b| b.as_ref() == Some(gs))
            });
        if session.players.len() >= open || active {
            return;
        }
        let config = session.config.clone();
        let players: Vec<TicketPlayer> = session
            .players
            .iter()
            .map(|p| TicketPlayer { accepted: None, player_session_id: None, ..p.clone() })
            .collect();
        match self.new_ticket(None, &config, players, Some(Some(gs.clone())), now).map(|t| t.seq) {
            Ok(seq) => {
                if let Some(t) = self.matchmaking.tickets.get_mut(&seq) {
                    t.auto_backfill = true;
                }
            }
            Err(e) => tracing::debug!(game_session = %gs, error = %e.message(), "no automatic backfill"),
        }
    }

    /// Hook: game session `gs` ended. Its backfill requests still searching are cancelled
    /// (nobody can join it any more) and its matched players are forgotten.
    pub(crate) fn matchmaking_session_ended(&mut self, gs: u64, now: Now) {
        if self.matchmaking.tickets.is_empty() {
            return;
        }
        let Some(arn) = self.game_session(gs).map(|s| s.arn.clone()) else { return };
        self.matchmaking.sessions.remove(&arn);
        let open: Vec<u64> = self
            .matchmaking
            .tickets
            .values()
            .filter(|t| matches!(t.status, TicketStatus::Queued | TicketStatus::Searching))
            .filter(|t| t.backfill.as_ref().is_some_and(|b| b.as_ref() == Some(&arn)))
            .map(|t| t.seq)
            .collect();
        for seq in open {
            self.end_ticket(seq, TicketStatus::Cancelled, "CANCELLED", "The game session ended.", now);
            self.ticket_event(seq, "MatchmakingCancelled", Some(("Cancelled", "Cancelled by request.")), now);
        }
    }

    /// Hook: a player session of game session `gs` ended (the player left, or never came). A
    /// matched player leaves the match; an AUTOMATIC configuration backfills the free slot.
    pub(crate) fn matchmaking_player_left(&mut self, gs: u64, player_id: &str, now: Now) {
        if self.matchmaking.sessions.is_empty() {
            return;
        }
        let Some(arn) = self.game_session(gs).map(|s| s.arn.clone()) else { return };
        let Some(session) = self.matchmaking.sessions.get_mut(&arn) else { return };
        let before = session.players.len();
        session.players.retain(|p| p.id != player_id);
        if session.players.len() < before {
            self.auto_backfill(&arn, now);
        }
    }

    /// Match `m` is over: its `tickets` end COMPLETED; returns their players (who are now in the game).
    fn complete_tickets(&mut self, m: u64, tickets: &[u64], now: Now) -> Vec<TicketPlayer> {
        self.matchmaking.matches.remove(&m);
        for seq in tickets {
            self.end_ticket(*seq, TicketStatus::Completed, "COMPLETED", "Matchmaking completed.", now);
        }
        tickets
            .iter()
            .filter_map(|s| self.matchmaking.tickets.get(s))
            .flat_map(|t| t.players.iter().cloned())
            .collect()
    }

    /// A WITH_QUEUE match could not be placed: its tickets end FAILED.
    fn match_failed(&mut self, m: u64, now: Now) {
        let Some(mm) = self.matchmaking.matches.get(&m).cloned() else { return };
        self.match_event(m, "MatchmakingFailed", now, |e| {
            e.reason = Some(("UNEXPECTED_ERROR", "An unexpected error was encountered during match placing."))
        });
        for seq in &mm.tickets {
            self.end_ticket(
                *seq,
                TicketStatus::Failed,
                "UNEXPECTED_ERROR",
                "An unexpected error was encountered during match placing.",
                now,
            );
            self.backfill_ended(*seq, "BACKFILL_FAILED");
        }
        self.matchmaking.matches.remove(&m);
        if let Some(p) = mm.placement {
            self.matchmaking.by_placement.remove(&p);
        }
    }

    /// A placement ended: if it placed a match, complete (FULFILLED) or fail its tickets.
    pub(crate) fn matchmaking_placement_ended(&mut self, placement: u64, outcome: PlacementStatus, now: Now) {
        let Some(&m) = self.matchmaking.by_placement.get(&placement) else { return };
        if outcome != PlacementStatus::Fulfilled {
            self.match_failed(m, now);
            return;
        }
        let Some(p) = self.placement(placement) else { return };
        let (connection, placed) = (p.connection.clone(), p.placed.clone());
        let Some(mm) = self.matchmaking.matches.remove(&m) else { return };
        self.matchmaking.by_placement.remove(&placement);
        for seq in &mm.tickets {
            if let Some(t) = self.matchmaking.tickets.get_mut(seq) {
                for pl in &mut t.players {
                    pl.player_session_id =
                        placed.iter().find(|(id, _)| **id == *pl.id).map(|(_, ps)| ps.to_string());
                }
                t.connection = connection.clone();
            }
        }
        self.matchmaking.matches.insert(m, mm.clone());
        self.match_event(m, "MatchmakingSucceeded", now, |e| e.connection = connection.clone());
        let players = self.complete_tickets(m, &mm.tickets, now);
        if let Some(c) = connection {
            let gs = c.game_session_arn.clone();
            let session = MatchedSession { config: mm.config.clone(), players, auto_off: false };
            self.matchmaking.sessions.insert(gs.clone(), session);
            self.auto_backfill(&gs, now);
        }
    }

    /// MatchmakerData of a match, as the game session carries it (key order as AWS writes it).
    fn matchmaker_data(
        &self,
        m: u64,
        c: &MatchmakingConfig,
        rs: Option<&RuleSet>,
        auto_ticket: Option<&str>,
    ) -> String {
        let Some(mm) = self.matchmaking.matches.get(&m) else { return String::new() };
        let mut out = String::new();
        out.push_str("{\"matchId\":");
        out.push_str(&json_str(&mm.id));
        out.push_str(",\"matchmakingConfigurationArn\":");
        out.push_str(&json_str(&c.arn));
        out.push_str(",\"teams\":[");
        for (ti, (team, players)) in mm.teams.iter().enumerate() {
            if ti > 0 {
                out.push(',');
            }
            out.push_str("{\"name\":");
            out.push_str(&json_str(team));
            out.push_str(",\"players\":[");
            for (pi, pid) in players.iter().enumerate() {
                if pi > 0 {
                    out.push(',');
                }
                out.push_str("{\"playerId\":");
                out.push_str(&json_str(pid));
                out.push_str(",\"attributes\":{");
                let player = mm
                    .tickets
                    .iter()
                    .filter_map(|s| self.matchmaking.tickets.get(s))
                    .flat_map(|t| t.players.iter())
                    .find(|p| &p.id == pid);
                if let (Some(rs), Some(player)) = (rs, player) {
                    let pool = PoolPlayer {
                        player_id: player.id.clone(),
                        attributes: player.attributes.clone(),
                        ..Default::default()
                    };
                    for (ai, (name, v)) in rs.resolved_attributes(&pool).iter().enumerate() {
                        if ai > 0 {
                            out.push(',');
                        }
                        out.push_str(&json_str(name));
                        out.push_str(":{\"attributeType\":");
                        let (kind, value) = attribute_json(v);
                        out.push_str(&json_str(kind));
                        out.push_str(",\"valueAttribute\":");
                        out.push_str(&value);
                        out.push('}');
                    }
                }
                out.push_str("}}");
            }
            out.push_str("]}");
        }
        out.push_str("],\"autoBackfillMode\":");
        match c.spec.backfill_mode {
            Some(BackfillMode::Automatic) => out.push_str("\"AUTOMATIC\""),
            Some(BackfillMode::Manual) => out.push_str("\"MANUAL\""),
            None => out.push_str("null"),
        }
        out.push_str(",\"autoBackfillTicketId\":");
        out.push_str(&auto_ticket.map_or_else(|| "null".to_owned(), json_str));
        out.push('}');
        out
    }

    // ---- the matchmaker ----

    /// A configuration's matchmaker pass.
    pub(crate) fn matchmaker_pass(&mut self, config: &Arc<str>, now: Now) {
        let Some(c) = self.matchmaking.configs.get_mut(config) else { return };
        c.pass_at = None;
        c.passes += 1;
        let seed = mix(self.settings.matchmaking_seed ^ mix(c.passes));
        let additional =
            if c.spec.mode == FlexMatchMode::WithQueue { c.spec.additional_player_count } else { 0 };
        let (acceptance_required, acceptance_timeout) =
            (c.spec.acceptance_required, c.spec.acceptance_timeout_s);
        let rule_set_name = c.rule_set_name.clone();
        let Ok(rs) = self.rule_set(&rule_set_name).map(|r| r.parsed.clone()) else { return };
        self.refresh_wait_estimates(config, now);
        self.start_searching(config, now);
        // Backfill requests first (one match each at most), then the regular pool.
        let ctx = MatchContext {
            now_ms: now.wall_ms,
            seed,
            additional_player_count: additional as usize,
            backfill: None,
        };
        let settings = (acceptance_required, acceptance_timeout);
        self.propose_backfills(config, &rs, &ctx, settings, now);
        let (pool, seqs) = self.regular_pool(config);
        let proposals = if pool.is_empty() { Vec::new() } else { rs.find_matches(&pool, &ctx) };
        for p in proposals {
            self.propose(config, p, &seqs, None, seed, settings, now);
        }
        let still = self.matchmaking.tickets.values().any(|t| {
            t.config == *config && matches!(t.status, TicketStatus::Searching | TicketStatus::Queued)
        });
        if still {
            let at = now.at + self.settings.matchmaking_interval;
            self.queue_pass(config, at);
        }
    }

    /// QUEUED → SEARCHING for every new ticket of `config` (a MatchmakingSearching event each).
    fn start_searching(&mut self, config: &Arc<str>, now: Now) {
        let queued: Vec<u64> = self
            .matchmaking
            .tickets
            .values()
            .filter(|t| t.config == *config && t.status == TicketStatus::Queued)
            .map(|t| t.seq)
            .collect();
        for seq in queued {
            if let Some(t) = self.matchmaking.tickets.get_mut(&seq) {
                t.status = TicketStatus::Searching;
            }
            self.ticket_event(seq, "MatchmakingSearching", None, now);
        }
    }

    /// Proposes at most one match per searching backfill request of `config`, from the regular
    /// pool, oldest request first.
    fn propose_backfills(
        &mut self,
        config: &Arc<str>,
        rs: &RuleSet,
        ctx: &MatchContext,
        settings: (bool, Option<u32>),
        now: Now,
    ) {
        let backfills: Vec<u64> = self
            .matchmaking
            .tickets
            .values()
            .filter(|t| t.config == *config && t.status == TicketStatus::Searching && t.backfill.is_some())
            .map(|t| t.seq)
            .collect();
        for b in backfills {
            let (pool, seqs) = self.regular_pool(config);
            let Some(existing) = self.matchmaking.tickets.get(&b) else { continue };
            let existing = ExistingMatch {
                players: existing
                    .players
                    .iter()
                    .map(|p| PoolPlayer {
                        player_id: p.id.clone(),
                        attributes: p.attributes.clone(),
                        latency_ms: p.latency_ms.clone(),
                        team: p.team.clone(),
                    })
                    .collect(),
            };
            if pool.is_empty() {
                break;
            }
            let ctx = MatchContext { backfill: Some(existing), ..ctx.clone() };
            if let Some(p) = rs.find_matches(&pool, &ctx).into_iter().next() {
                self.propose(config, p, &seqs, Some(b), ctx.seed, settings, now);
            }
        }
    }

    /// Sets EstimatedWaitTime on every QUEUED or SEARCHING ticket of `config`: the mean wait of
    /// its recent COMPLETED tickets (`recent_wait_estimate`), or, before any has completed, the
    /// mean of how long its waiting tickets have waited so far (whole seconds, rounded).
    fn refresh_wait_estimates(&mut self, config: &Arc<str>, now: Now) {
        let Some(c) = self.matchmaking.configs.get(config) else { return };
        let waiting = |t: &Ticket| {
            t.config == *config && matches!(t.status, TicketStatus::Queued | TicketStatus::Searching)
        };
        let estimate = recent_wait_estimate(c).unwrap_or_else(|| {
            let ages: Vec<i64> = self
                .matchmaking
                .tickets
                .values()
                .filter(|t| waiting(t))
                .map(|t| (now.wall_ms - t.start.wall_ms).max(0))
                .collect();
            let mean = ages.iter().sum::<i64>() / ages.len().max(1) as i64;
            ((mean + 500) / 1000).min(i64::from(u32::MAX)) as u32
        });
        for t in self.matchmaking.tickets.values_mut().filter(|t| waiting(t)) {
            t.estimated_wait_s = Some(estimate);
        }
    }

    /// The SEARCHING regular (non-backfill) tickets of `config` as a pool, with their sequence numbers.
    fn regular_pool(&self, config: &Arc<str>) -> (Vec<PoolTicket>, Vec<u64>) {
        let searching: Vec<&Ticket> = self
            .matchmaking
            .tickets
            .values()
            .filter(|t| t.config == *config && t.status == TicketStatus::Searching && t.backfill.is_none())
            .collect();
        let pool = searching
            .iter()
            .map(|t| PoolTicket {
                ticket_id: t.id.to_string(),
                start_ms: t.start.wall_ms,
                players: t
                    .players
                    .iter()
                    .map(|p| PoolPlayer {
                        player_id: p.id.clone(),
                        attributes: p.attributes.clone(),
                        latency_ms: p.latency_ms.clone(),
                        team: None,
                    })
                    .collect(),
            })
            .collect();
        (pool, searching.iter().map(|t| t.seq).collect())
    }

    /// Turns a proposal into a match: PotentialMatchCreated, then acceptance or on at once.
    #[allow(clippy::too_many_arguments)]
    fn propose(
        &mut self,
        config: &Arc<str>,
        p: flexmatch::ProposedMatch,
        seqs: &[u64],
        backfill: Option<u64>,
        seed: u64,
        (acceptance_required, acceptance_timeout): (bool, Option<u32>),
        now: Now,
    ) {
        let mseq = self.next_seq();
        let mut tickets: Vec<u64> = backfill.into_iter().collect();
        tickets.extend(p.tickets.iter().filter_map(|i| seqs.get(*i).copied()));
        let teams = self.assign_teams(&p, seqs, backfill);
        self.join_match(&tickets, mseq, backfill, acceptance_required);
        self.matchmaking.matches.insert(
            mseq,
            Match {
                id: match_id(seed, mseq),
                config: config.clone(),
                tickets: tickets.clone(),
                teams,
                rule_metrics: p.rule_metrics,
                placement: None,
                backfill,
            },
        );
        self.match_event(mseq, "PotentialMatchCreated", now, |e| {
            e.acceptance = Some((acceptance_required, acceptance_timeout));
        });
        if acceptance_required {
            for tseq in &tickets {
                if let Some(t) = self.matchmaking.tickets.get_mut(tseq) {
                    t.status = TicketStatus::RequiresAcceptance;
                }
            }
            let secs = u64::from(acceptance_timeout.unwrap_or(1));
            self.schedule(now.at + Duration::from_secs(secs), Timer::AcceptanceTimeout(mseq));
        } else {
            self.match_accepted(mseq, now);
        }
    }

    /// Gives each new player of a proposal his team; returns every team (rule-set order) with
    /// its players' IDs, the players already in a backfilled game first.
    fn assign_teams(
        &mut self,
        p: &flexmatch::ProposedMatch,
        seqs: &[u64],
        backfill: Option<u64>,
    ) -> Vec<(String, Vec<String>)> {
        let existing: Vec<(String, String)> = backfill
            .and_then(|b| self.matchmaking.tickets.get(&b))
            .map(|t| t.players.iter().map(|p| (p.id.clone(), p.team.clone().unwrap_or_default())).collect())
            .unwrap_or_default();
        let mut teams = Vec::new();
        for (team, members) in &p.teams {
            let mut ids: Vec<String> =
                existing.iter().filter(|(_, t)| t == team).map(|(id, _)| id.clone()).collect();
            for (ti, pi) in members {
                let Some(&tseq) = seqs.get(*ti) else { continue };
                if let Some(t) = self.matchmaking.tickets.get_mut(&tseq)
                    && let Some(pl) = t.players.get_mut(*pi)
                {
                    pl.team = Some(team.clone());
                    ids.push(pl.id.clone());
                }
            }
            teams.push((team.clone(), ids));
        }
        teams
    }

    /// Ties the tickets to match `mseq`; the players already in a backfilled game need not accept.
    fn join_match(&mut self, tickets: &[u64], mseq: u64, backfill: Option<u64>, acceptance_required: bool) {
        for tseq in tickets {
            if let Some(t) = self.matchmaking.tickets.get_mut(tseq) {
                t.match_seq = Some(mseq);
                t.reason = None;
                t.message = None;
                if Some(*tseq) == backfill {
                    for pl in &mut t.players {
                        pl.accepted = acceptance_required.then_some(true);
                    }
                }
            }
        }
    }

    // ---- events ----

    fn event_ticket(&self, seq: u64) -> Option<EventTicket> {
        let t = self.matchmaking.tickets.get(&seq)?;
        Some(EventTicket {
            id: t.id.clone(),
            start_ms: t.start.wall_ms,
            players: t
                .players
                .iter()
                .map(|p| (p.id.clone(), p.team.clone(), p.accepted, p.player_session_id.clone()))
                .collect(),
        })
    }

    fn blank_event(&self, kind: &'static str, config: &str, now: Now) -> Option<MatchmakingEvent> {
        let c = self.matchmaking.configs.get(config)?;
        Some(MatchmakingEvent {
            kind,
            config_arn: c.arn.clone(),
            notification_target: c.spec.notification_target.clone(),
            custom_event_data: c.spec.custom_event_data.clone(),
            region: self.settings.region.clone(),
            account: self.settings.account_id.clone(),
            time_ms: now.wall_ms,
            tickets: Vec::new(),
            match_id: None,
            acceptance: None,
            acceptance_outcome: None,
            rule_metrics: None,
            reason: None,
            connection: None,
            estimated_wait_s: None,
        })
    }

    /// An event about one ticket.
    fn ticket_event(
        &mut self,
        seq: u64,
        kind: &'static str,
        reason: Option<(&'static str, &'static str)>,
        now: Now,
    ) {
        let Some(config) = self.matchmaking.tickets.get(&seq).map(|t| t.config.clone()) else { return };
        let Some(mut e) = self.blank_event(kind, &config, now) else { return };
        e.tickets = self.event_ticket(seq).into_iter().collect();
        e.reason = reason;
        if kind == "MatchmakingSearching" {
            e.estimated_wait_s = self.matchmaking.configs.get(&config).and_then(recent_wait_estimate);
        }
        self.events.push(ModelEvent::Matchmaking(e));
    }

    /// An event about a whole match (every ticket of it).
    fn match_event(
        &mut self,
        m: u64,
        kind: &'static str,
        now: Now,
        edit: impl FnOnce(&mut MatchmakingEvent),
    ) {
        let Some(mm) = self.matchmaking.matches.get(&m) else { return };
        let Some(mut e) = self.blank_event(kind, &mm.config, now) else { return };
        e.tickets = mm.tickets.iter().filter_map(|s| self.event_ticket(*s)).collect();
        e.match_id = Some(mm.id.clone());
        if kind == "PotentialMatchCreated" {
            e.rule_metrics = Some(mm.rule_metrics.clone());
        }
        edit(&mut e);
        self.events.push(ModelEvent::Matchmaking(e));
    }
}

/// An attribute value as MatchmakerData writes it: (attributeType, valueAttribute as JSON).
fn attribute_json(v: &AttrValue) -> (&'static str, String) {
    match v {
        AttrValue::S(s) => ("STRING", json_str(s)),
        AttrValue::N(n) => ("DOUBLE", json_num(*n)),
        AttrValue::SL(l) => {
            ("STRING_LIST", format!("[{}]", l.iter().map(|s| json_str(s)).collect::<Vec<_>>().join(",")))
        }
        AttrValue::SDM(map) => {
            let pairs: Vec<String> =
                map.iter().map(|(k, v)| format!("{}:{}", json_str(k), json_num(*v))).collect();
            ("STRING_DOUBLE_MAP", format!("{{{}}}", pairs.join(",")))
        }
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A number as MatchmakerData writes it: always with a decimal point.
fn json_num(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 { format!("{n:.1}") } else { format!("{n}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_of_arns() {
        assert_eq!(
            bare_name("arn:aws:gamelift:us-east-1:1:matchmakingruleset/rs-1", "matchmakingruleset"),
            "rs-1"
        );
        assert_eq!(bare_name("rs-1", "matchmakingruleset"), "rs-1");
    }

    #[test]
    fn numbers_keep_a_decimal_point() {
        assert_eq!(json_num(5.0), "5.0");
        assert_eq!(json_num(2.5), "2.5");
    }
}
