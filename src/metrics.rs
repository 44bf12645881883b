//! Prometheus metrics served at `GET /metrics` (OpenMetrics text, which Prometheus scrapes).
//!
//! Two kinds of numbers:
//! - request counters and latency histograms, updated on every API request (a read lock and
//!   an atomic add once the label set exists);
//! - sizes of the world (game sessions, player sessions and game session placements by status,
//!   connected game-server processes, pending timers), computed when scraped, in one critical section under the world
//!   lock, so requests pay nothing for them.
//!
//! Label values are bounded: an operation is one of the GameLift model's operation names or
//! `unknown`, the protocol is `json` or `cbor`, the outcome is `ok` or an error's `__type`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::codec::Codec;
use crate::dto::{
    GameSessionPlacementState, GameSessionStatus, MODEL_OPERATIONS, MatchmakingConfigurationStatus,
    PlayerSessionStatus,
};
use crate::state::Emulator;

/// The `Content-Type` of a scrape.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Latency buckets in seconds: 50 µs to about 1.6 s, doubling.
const LATENCY_BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_2, 0.000_4, 0.000_8, 0.001_6, 0.003_2, 0.006_4, 0.012_8, 0.025_6, 0.051_2,
    0.102_4, 0.204_8, 0.409_6, 0.819_2, 1.638_4,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    protocol: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SinkLabels {
    sink: String,
    outcome: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The request-path metrics of one emulator (cheap to clone: the families are shared).
#[derive(Clone, Debug)]
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    latency: Family<OperationLabels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
        }
    }
}

/// The operation label for a requested name: the model's own `&'static str`, or `unknown`
/// (client-chosen names never become label values).
pub fn operation_label(op: &str) -> &'static str {
    MODEL_OPERATIONS.iter().find(|name| **name == op).copied().unwrap_or("unknown")
}

impl Metrics {
    /// Counts one API request and records how long it took.
    pub fn observe_request(
        &self,
        operation: &'static str,
        codec: Codec,
        outcome: &'static str,
        seconds: f64,
    ) {
        let protocol = match codec {
            Codec::Json => "json",
            Codec::Cbor => "cbor",
        };
        self.requests.get_or_create(&RequestLabels { operation, protocol, outcome }).inc();
        self.latency.get_or_create(&OperationLabels { operation }).observe(seconds);
    }
}

/// Sizes of the world at one instant.
struct WorldGauges {
    game_sessions: Vec<(String, i64)>,
    player_sessions: Vec<(String, i64)>,
    placements: Vec<(String, i64)>,
    tickets: Vec<(String, i64)>,
    processes_connected: i64,
    pending_timers: i64,
}

fn count_by_status<'a>(
    values: &'static [&'static str],
    statuses: impl Iterator<Item = &'a str>,
) -> Vec<(String, i64)> {
    // Every modeled status appears, at zero when nothing has it, so dashboards see the series.
    let mut counts: Vec<(String, i64)> = values.iter().map(|v| ((*v).to_owned(), 0)).collect();
    for status in statuses {
        match counts.iter_mut().find(|(name, _)| name == status) {
            Some((_, n)) => *n += 1,
            None => counts.push((status.to_owned(), 1)),
        }
    }
    counts
}

fn world_gauges(em: &Emulator) -> WorldGauges {
    em.inspect(|world| WorldGauges {
        game_sessions: count_by_status(
            GameSessionStatus::VALUES,
            world.sessions.values().map(|s| s.status.as_str()),
        ),
        player_sessions: count_by_status(
            PlayerSessionStatus::VALUES,
            world.player_sessions.values().map(|p| p.status.as_str()),
        ),
        placements: count_by_status(
            GameSessionPlacementState::VALUES,
            world.placements.values().map(|p| p.status.as_str()),
        ),
        tickets: count_by_status(
            MatchmakingConfigurationStatus::VALUES,
            world.matchmaking.tickets.values().map(|t| t.status.as_str()),
        ),
        processes_connected: world
            .hosts
            .processes
            .values()
            .flat_map(|m| m.values())
            .filter(|p| p.conn.is_some())
            .count() as i64,
        pending_timers: world.counts().pending_timers as i64,
    })
}

fn status_family(counts: Vec<(String, i64)>) -> Family<StatusLabels, Gauge> {
    let family = Family::<StatusLabels, Gauge>::default();
    for (status, n) in counts {
        family.get_or_create(&StatusLabels { status }).set(n);
    }
    family
}

/// Renders every metric of `em` in OpenMetrics text.
pub fn render(em: &Emulator) -> Result<String, std::fmt::Error> {
    let gauges = world_gauges(em);
    let metrics = em.metrics();
    let mut registry = Registry::with_prefix("gamelift_emulator");
    registry.register(
        "requests",
        "API requests by operation, protocol (json, cbor) and outcome (ok or the error's __type)",
        metrics.requests.clone(),
    );
    registry.register(
        "request_duration_seconds",
        "Time from routing an API request to its response, by operation",
        metrics.latency.clone(),
    );
    registry.register(
        "game_sessions",
        "Game sessions held by the emulator, by status (ended ones until purged)",
        status_family(gauges.game_sessions),
    );
    registry.register(
        "player_sessions",
        "Player sessions held by the emulator, by status (ended ones until purged)",
        status_family(gauges.player_sessions),
    );
    registry.register(
        "game_session_placements",
        "Game session placements held by the emulator, by status (ended ones until purged)",
        status_family(gauges.placements),
    );
    registry.register(
        "matchmaking_tickets",
        "FlexMatch matchmaking tickets held by the emulator, by status",
        status_family(gauges.tickets),
    );
    let sinks = Family::<SinkLabels, Counter>::default();
    for stats in em.events().sink_stats() {
        for (outcome, n) in
            [("delivered", stats.delivered), ("failed", stats.failed), ("dropped", stats.dropped)]
        {
            sinks.get_or_create(&SinkLabels { sink: stats.name.clone(), outcome }).inc_by(n);
        }
    }
    registry.register(
        "events",
        "Events handed to each event sink (SNS, webhook), by outcome: delivered, failed (given up), dropped",
        sinks,
    );
    let connected = Gauge::<i64>::default();
    connected.set(gauges.processes_connected);
    registry.register(
        "game_server_processes_connected",
        "Game-server processes with an open Server SDK socket",
        connected,
    );
    let timers = Gauge::<i64>::default();
    timers.set(gauges.pending_timers);
    registry.register("pending_timers", "Timed transitions waiting for their deadline", timers);
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_come_only_from_the_model() {
        assert_eq!(operation_label("CreateGameSession"), "CreateGameSession");
        assert_eq!(operation_label("DropAllTables"), "unknown");
        assert_eq!(operation_label(""), "unknown");
    }

    #[test]
    fn every_modeled_status_is_listed_and_unmodeled_ones_are_added() {
        let counts = count_by_status(GameSessionStatus::VALUES, ["ACTIVE", "ACTIVE", "WEIRD"].into_iter());
        assert_eq!(counts.iter().find(|(s, _)| s == "ACTIVE").map(|(_, n)| *n), Some(2));
        assert_eq!(counts.iter().find(|(s, _)| s == "ERROR").map(|(_, n)| *n), Some(0));
        assert_eq!(counts.iter().find(|(s, _)| s == "WEIRD").map(|(_, n)| *n), Some(1));
    }
}
