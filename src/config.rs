//! Command-line flags and environment variables (`GAMELIFT_EMULATOR_<FLAG>`), parsed by clap
//! into `Config`. `Config::for_tests()` gives the in-process tests a configuration without
//! going through the command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::http::Uri;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::Settings;

/// gamelift-emulator: a local, offline emulator of the Amazon GameLift API.
#[derive(Debug, Parser)]
#[command(name = "gamelift-emulator", version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server configuration.
    #[command(flatten)]
    pub config: Config,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Exit 0 if the emulator at --bind answers its health endpoint, else 1 (for container
    /// HEALTHCHECKs, which have no curl).
    Healthcheck,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Which listener game servers are pointed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SdkEndpoint {
    /// `ws://` on the main port.
    Ws,
    /// `wss://` on --wss-bind.
    Wss,
}

/// How the emulator clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockMode {
    /// Time runs with the wall clock (and can still be paused or advanced at run time).
    Real,
    /// Time stands still until `POST /_emulator/clock/advance` or `/resume`.
    Paused,
}

/// Everything the server needs to start.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, global = true, env = "GAMELIFT_EMULATOR_BIND", default_value = "127.0.0.1:9080")]
    pub bind: SocketAddr,

    /// The AWS Region this endpoint serves (home Region of fleets, used in ARNs).
    #[arg(long, env = "GAMELIFT_EMULATOR_REGION", default_value = "us-east-1")]
    pub region: String,

    /// The account ID used in ARNs that carry one.
    #[arg(long, env = "GAMELIFT_EMULATOR_ACCOUNT_ID", default_value = "123456789012")]
    pub account_id: String,

    /// Fixtures file to load at start and on reset (default: the built-in fixtures/default.json).
    #[arg(long, env = "GAMELIFT_EMULATOR_FIXTURES", conflicts_with = "no_fixtures")]
    pub fixtures: Option<PathBuf>,

    /// Start with no fleets and no aliases.
    #[arg(long, env = "GAMELIFT_EMULATOR_NO_FIXTURES")]
    pub no_fixtures: bool,

    /// Time a game session spends ACTIVATING before it becomes ACTIVE (e.g. 500ms, 0s); a
    /// fleet's own EmulatorActivationDelay in the fixtures wins over it.
    #[arg(long, env = "GAMELIFT_EMULATOR_GAME_SESSION_ACTIVATION_DELAY", default_value = "500ms", value_parser = parse_duration)]
    pub game_session_activation_delay: Duration,

    /// Time a game session spends TERMINATING before it is TERMINATED.
    #[arg(long, env = "GAMELIFT_EMULATOR_GAME_SESSION_TERMINATION_DELAY", default_value = "500ms", value_parser = parse_duration)]
    pub game_session_termination_delay: Duration,

    /// Time a RESERVED player session waits to be accepted before it is TIMEDOUT.
    #[arg(long, env = "GAMELIFT_EMULATOR_PLAYER_SESSION_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub player_session_timeout: Duration,

    /// How long ended game sessions, their player sessions and idempotency tokens stay
    /// describable before they are purged.
    #[arg(long, env = "GAMELIFT_EMULATOR_RETENTION", default_value = "30d", value_parser = parse_duration)]
    pub retention: Duration,

    /// Time a fleet (or a new fleet location) created through the API takes from NEW to ACTIVE.
    #[arg(long, env = "GAMELIFT_EMULATOR_FLEET_ACTIVATION_DELAY", default_value = "1s", value_parser = parse_duration)]
    pub fleet_activation_delay: Duration,

    /// Time a new instance takes from PENDING to ACTIVE (scale-out); also how long a shut-down
    /// instance stays TERMINATING and a deleted fleet or location stays DELETING.
    #[arg(long, env = "GAMELIFT_EMULATOR_INSTANCE_ACTIVATION_DELAY", default_value = "500ms", value_parser = parse_duration)]
    pub instance_activation_delay: Duration,

    /// How often a PENDING game session placement is tried again (it is also tried whenever a
    /// game session ends).
    #[arg(long, env = "GAMELIFT_EMULATOR_PLACEMENT_RETRY_INTERVAL", default_value = "1s", value_parser = parse_duration)]
    pub placement_retry_interval: Duration,

    /// How often each matchmaking configuration's matchmaker works through its ticket pool (it
    /// also does at once on every new ticket).
    #[arg(long, env = "GAMELIFT_EMULATOR_MATCHMAKING_INTERVAL", default_value = "1s", value_parser = parse_duration)]
    pub matchmaking_interval: Duration,

    /// Seed of the matchmakers' tie-breaks and match IDs: the same seed, tickets and clock give
    /// the same matches.
    #[arg(long, env = "GAMELIFT_EMULATOR_MATCHMAKING_SEED", default_value_t = 0)]
    pub matchmaking_seed: u64,

    /// Also listen for game-server processes over TLS (`wss://`) on this address; the
    /// certificate is generated at start unless --tls-cert/--tls-key are given.
    #[arg(long, env = "GAMELIFT_EMULATOR_WSS_BIND")]
    pub wss_bind: Option<SocketAddr>,

    /// PEM certificate chain for the wss listener (with --tls-key).
    #[arg(long, env = "GAMELIFT_EMULATOR_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for the wss listener (with --tls-cert).
    #[arg(long, env = "GAMELIFT_EMULATOR_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Host name to put in the URLs the emulator hands out (GameLiftServiceSdkEndpoint, log
    /// URLs), e.g. the service name in docker-compose; default: the bound address (loopback when
    /// bound to all interfaces).
    #[arg(long, env = "GAMELIFT_EMULATOR_ADVERTISED_HOST")]
    pub advertised_host: Option<String>,

    /// Which endpoint RegisterCompute hands to game servers as GameLiftServiceSdkEndpoint.
    #[arg(long, env = "GAMELIFT_EMULATOR_SDK_ENDPOINT", value_enum, default_value = "ws")]
    pub sdk_endpoint: SdkEndpoint,

    /// How long a game-server process whose socket closed without ProcessEnding is kept for a
    /// reconnect with the same pID before it (and its game session) ends.
    #[arg(long, env = "GAMELIFT_EMULATOR_PROCESS_RECONNECT_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub process_reconnect_grace: Duration,

    /// A game-server process with no heartbeat for this long is marked unhealthy and gets no
    /// new game sessions.
    #[arg(long, env = "GAMELIFT_EMULATOR_PROCESS_HEARTBEAT_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub process_heartbeat_timeout: Duration,

    /// Start the emulator clock running (`real`) or standing still (`paused`: nothing moves until
    /// `POST /_emulator/clock/advance` or `/resume`), for fully deterministic tests.
    #[arg(long, env = "GAMELIFT_EMULATOR_CLOCK", value_enum, default_value = "real")]
    pub clock: ClockMode,

    /// Publish every event that has a NotificationTarget (an SNS topic ARN) to this
    /// SNS-compatible endpoint (LocalStack, moto_server) with SNS `Publish`, e.g.
    /// http://localhost:4566 (plain http only).
    #[arg(long, env = "GAMELIFT_EMULATOR_SNS_ENDPOINT", value_parser = parse_http_url)]
    pub sns_endpoint: Option<Uri>,

    /// Access key SNS requests are signed with (default: AWS_ACCESS_KEY_ID, else "x").
    #[arg(long, env = "GAMELIFT_EMULATOR_SNS_ACCESS_KEY")]
    pub sns_access_key: Option<String>,

    /// Secret key SNS requests are signed with (default: AWS_SECRET_ACCESS_KEY, else "x").
    #[arg(long, env = "GAMELIFT_EMULATOR_SNS_SECRET_KEY")]
    pub sns_secret_key: Option<String>,

    /// POST every event to this URL as an SNS HTTP `Notification` message (repeatable; the
    /// environment variable takes a comma-separated list; plain http only).
    #[arg(long, env = "GAMELIFT_EMULATOR_EVENT_WEBHOOK", value_delimiter = ',', value_parser = parse_http_url)]
    pub event_webhook: Vec<Uri>,

    /// Keep state across restarts in this directory (created if missing): every acknowledged
    /// change is journaled there (SQLite) and replayed on start; off by default (in memory).
    #[arg(long, env = "GAMELIFT_EMULATOR_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Log format.
    #[arg(long, env = "GAMELIFT_EMULATOR_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Log level or filter (error, warn, info, debug, trace, or a tracing filter directive).
    #[arg(long, env = "GAMELIFT_EMULATOR_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Largest request body accepted (bytes); larger ones get a 413 RequestEntityTooLargeException.
    #[arg(long, env = "GAMELIFT_EMULATOR_MAX_BODY_SIZE", default_value_t = 8 * 1024 * 1024)]
    pub max_body_size: usize,

    /// Longest time a client may take to send a request's headers, from its first byte; past it
    /// the emulator answers 408 and closes the connection. 0 turns the check off.
    #[arg(long, env = "GAMELIFT_EMULATOR_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// How long a keep-alive connection may sit without a request before the emulator closes it
    /// (game-server WebSockets are not affected). 0 turns the check off.
    #[arg(long, env = "GAMELIFT_EMULATOR_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// Check the SigV4 signature of every API request against --credentials / --credentials-file
    /// (off by default: any signature, or none, is accepted).
    #[arg(long, env = "GAMELIFT_EMULATOR_VERIFY_SIGNATURES")]
    pub verify_signatures: bool,

    /// An access key the emulator accepts, as ACCESS_KEY_ID:SECRET_ACCESS_KEY (repeatable).
    #[arg(long = "credentials", value_name = "AKID:SECRET")]
    pub credentials: Vec<String>,

    /// A file of accepted keys: an AWS shared credentials file, or AKID:SECRET lines.
    #[arg(long, env = "GAMELIFT_EMULATOR_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,
}

/// Parses an `http://host[:port][/path]` URL (the event sinks speak plain HTTP).
pub fn parse_http_url(s: &str) -> Result<Uri, String> {
    let uri: Uri = s.parse().map_err(|e| format!("invalid URL '{s}': {e}"))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http"), Some(_)) => Ok(uri),
        (Some("https"), _) => Err(format!("'{s}': only http:// URLs are supported (no TLS client)")),
        _ => Err(format!("'{s}' is not an http://host[:port][/path] URL")),
    }
}

/// Parses durations such as `500ms`, `0s`, `2m`, `30d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("invalid duration '{s}': {e}"))
}

impl Config {
    /// The keys `--verify-signatures` checks against; an error names what is wrong with the
    /// flags or the file.
    pub fn signing_keys(&self) -> Result<crate::sigv4::Keys, String> {
        let mut keys = crate::sigv4::Keys::from_pairs(self.credentials.iter().map(String::as_str))?;
        if let Some(path) = &self.credentials_file {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            keys.add_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if self.verify_signatures && keys.is_empty() {
            return Err("--verify-signatures needs at least one key (--credentials AKID:SECRET or --credentials-file)".into());
        }
        Ok(keys)
    }

    /// Model settings derived from the flags.
    pub fn settings(&self) -> Settings {
        Settings {
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            game_session_activation_delay: self.game_session_activation_delay,
            game_session_termination_delay: self.game_session_termination_delay,
            player_session_timeout: self.player_session_timeout,
            retention: self.retention,
            fleet_activation_delay: self.fleet_activation_delay,
            instance_activation_delay: self.instance_activation_delay,
            process_heartbeat_timeout: self.process_heartbeat_timeout,
            process_reconnect_grace: self.process_reconnect_grace,
            placement_retry_interval: self.placement_retry_interval,
            matchmaking_interval: self.matchmaking_interval.max(std::time::Duration::from_millis(1)),
            matchmaking_seed: self.matchmaking_seed,
        }
    }

    /// Defaults for in-process tests (as if started with no flags, except port 0 and warn logs).
    pub fn for_tests() -> Self {
        let cli = Cli::parse_from(["gamelift-emulator", "--bind", "127.0.0.1:0", "--log-level", "warn"]);
        cli.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_readme() {
        let c = Cli::parse_from(["gamelift-emulator"]).config;
        assert_eq!(c.bind.to_string(), "127.0.0.1:9080");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.account_id, "123456789012");
        assert_eq!(c.game_session_activation_delay, Duration::from_millis(500));
        assert!(c.fixtures.is_none() && !c.no_fixtures);
    }

    #[test]
    fn event_sinks_take_http_urls_and_webhooks_repeat() {
        let c = Cli::parse_from([
            "gamelift-emulator",
            "--sns-endpoint",
            "http://localhost:4566",
            "--event-webhook",
            "http://127.0.0.1:8000/a",
            "--event-webhook",
            "http://127.0.0.1:8001/b",
        ])
        .config;
        assert_eq!(c.sns_endpoint.map(|u| u.to_string()), Some("http://localhost:4566/".into()));
        assert_eq!(c.event_webhook.len(), 2);
        assert!(Cli::parse_from(["gamelift-emulator"]).config.sns_endpoint.is_none());
        for bad in ["https://sns.us-east-1.amazonaws.com", "localhost:4566", "not a url"] {
            assert!(Cli::try_parse_from(["gamelift-emulator", "--sns-endpoint", bad]).is_err(), "{bad}");
            assert!(Cli::try_parse_from(["gamelift-emulator", "--event-webhook", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_accept_units() {
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86400)));
        assert!(parse_duration("soon").is_err());
    }
}

/// The warning logged at start when a listener (`--bind`, or `--wss-bind`, which serves the same
/// routes) is beyond loopback: `/_emulator/*` (reset, faults, clock) is open to anyone who can
/// reach the port, and so is the API unless `--verify-signatures` is on. `None` on a loopback
/// address.
pub fn exposure_warning(addr: std::net::SocketAddr, verify_signatures: bool) -> Option<String> {
    if addr.ip().is_loopback() {
        return None;
    }
    let api = if verify_signatures {
        "can call the API with any of the --credentials keys"
    } else {
        "can call the API without credentials"
    };
    Some(format!(
        "listening on {addr}, beyond loopback: anyone who can reach this port {api} \
         and reset the emulator, inject faults or move its clock through /_emulator/* (never authenticated); \
         bind to 127.0.0.1 unless the network is trusted (a container's own network namespace is the usual case)"
    ))
}

#[cfg(test)]
mod exposure_tests {
    use super::exposure_warning;

    #[test]
    fn binding_beyond_loopback_warns_and_loopback_does_not() {
        for quiet in ["127.0.0.1:9080", "[::1]:9080", "127.0.0.2:1"] {
            assert_eq!(exposure_warning(quiet.parse().expect("addr"), false), None, "{quiet}");
        }
        for loud in ["0.0.0.0:9080", "[::]:9080", "192.168.1.4:9080"] {
            let w = exposure_warning(loud.parse().expect("addr"), false).expect(loud);
            assert!(w.contains("beyond loopback") && w.contains("/_emulator/"), "{w}");
            assert!(w.contains("without credentials"), "{w}");
            let w = exposure_warning(loud.parse().expect("addr"), true).expect(loud);
            assert!(w.contains("--credentials") && !w.contains("without credentials"), "{w}");
        }
    }
}
