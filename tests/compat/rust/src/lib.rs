//! Harness for the Rust SDK compatibility suite.
//!
//! The suite drives the real `gamelift-emulator` binary with the official `aws-sdk-gamelift`
//! (1.137.0, which speaks Smithy RPC v2 CBOR), exactly as a user would.
//!
//! Isolation model: every test starts its **own** emulator process on its own free port
//! ([`Emulator::start`]). Start-up takes milliseconds, tests run in parallel, and no test can
//! observe another test's game sessions, idempotency tokens or creator rate limits. The process is
//! killed when the [`Emulator`] value is dropped (also when the test panics; the emulator's own
//! output is then printed so that it shows up in the failure report).
//!
//! The binary is `$GAMELIFT_EMULATOR_BIN`, or `<workspace>/target/debug/gamelift-emulator`.
//!
//! Lifecycle waits never sleep a fixed time: [`wait_for_status`] polls `DescribeGameSessions`
//! every 50 ms until a deadline.

pub mod game_server;

use std::fmt::Debug;
use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sdk_gamelift::Client;
use aws_sdk_gamelift::config::retry::RetryConfig;
use aws_sdk_gamelift::config::timeout::TimeoutConfig;
use aws_sdk_gamelift::config::{BehaviorVersion, Region};
use aws_sdk_gamelift::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_gamelift::primitives::DateTime;
use aws_sdk_gamelift::types::{GameSession, GameSessionStatus};

/// Region every client uses, and the emulator's home Region.
pub const REGION: &str = "us-east-1";
/// Account ID that appears in fleet ARNs.
pub const ACCOUNT: &str = "123456789012";

/// `default-ec2`: ACTIVE, home us-east-1 (2 instances) + remote us-west-2 (1 instance).
pub const FLEET_EC2: &str = "fleet-00000000-0000-4000-8000-000000000001";
/// `default-limited`: ResourceCreationLimitPolicy of 2 sessions per creator per minute.
pub const FLEET_LIMITED: &str = "fleet-00000000-0000-4000-8000-000000000002";
/// `default-activating`: stays ACTIVATING forever.
pub const FLEET_ACTIVATING: &str = "fleet-00000000-0000-4000-8000-000000000003";
/// `default-tiny`: capacity 2 in us-east-1, ap-northeast-1 stays ACTIVATING, activation delay 1s.
pub const FLEET_TINY: &str = "fleet-00000000-0000-4000-8000-000000000004";
/// A well-formed fleet ID that is not in the fixtures.
pub const FLEET_MISSING: &str = "fleet-00000000-0000-4000-8000-0000000000ff";

/// `default-simple`: SIMPLE alias to [`FLEET_EC2`].
pub const ALIAS_SIMPLE: &str = "alias-00000000-0000-4000-8000-000000000001";
/// `default-terminal`: TERMINAL alias.
pub const ALIAS_TERMINAL: &str = "alias-00000000-0000-4000-8000-000000000002";
/// The RoutingStrategy message of [`ALIAS_TERMINAL`].
pub const TERMINAL_MESSAGE: &str = "This game has ended. Please update your client.";
/// A well-formed alias ID that is not in the fixtures.
pub const ALIAS_MISSING: &str = "alias-00000000-0000-4000-8000-0000000000ff";

/// How long to wait for the emulator to answer `GET /_emulator/health`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// How often lifecycle waits poll.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Default deadline for lifecycle waits (activation is 200 ms, or 1 s on fleet ...0004).
pub const LIFECYCLE_TIMEOUT: Duration = Duration::from_secs(10);

/// `arn:aws:gamelift:us-east-1:123456789012:fleet/<fleet-id>`
pub fn fleet_arn(fleet_id: &str) -> String {
    format!("arn:aws:gamelift:{REGION}:{ACCOUNT}:fleet/{fleet_id}")
}

/// `arn:aws:gamelift:us-east-1::alias/<alias-id>`
pub fn alias_arn(alias_id: &str) -> String {
    format!("arn:aws:gamelift:{REGION}::alias/{alias_id}")
}

/// The prefix every game session ID in `fleet_id` (home Region) starts with.
pub fn game_session_arn_prefix(fleet_id: &str) -> String {
    format!("arn:aws:gamelift:{REGION}::gamesession/{fleet_id}/")
}

/// True for a canonical lower- or upper-case hyphenated UUID (8-4-4-4-12 hex digits).
pub fn is_uuid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Path of the emulator binary under test.
pub fn binary_path() -> PathBuf {
    match std::env::var_os("GAMELIFT_EMULATOR_BIN") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../target/debug/gamelift-emulator"),
    }
}

/// Everything the emulator wrote to stdout and stderr.
type Log = Arc<Mutex<Vec<u8>>>;

fn drain_into(mut reader: impl Read + Send + 'static, log: Log) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => log.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&buf[..n]),
            }
        }
    });
}

/// A running emulator process owned by one test. Killed on drop.
pub struct Emulator {
    child: Child,
    base_url: String,
    http: reqwest::Client,
    log: Log,
}

impl Emulator {
    /// Starts the emulator with the suite's standard flags and waits until it is healthy.
    pub async fn start() -> Self {
        Self::start_with_args(&[]).await
    }

    /// Starts the emulator with the standard flags plus `extra_args`.
    ///
    /// Standard flags: `--bind 127.0.0.1:<free port> --game-session-activation-delay 200ms
    /// --log-level warn`. The free port is found by binding port 0 and closing the socket; if
    /// another process grabs it in between, the emulator exits and we retry on a new port.
    pub async fn start_with_args(extra_args: &[&str]) -> Self {
        let bin = binary_path();
        assert!(
            bin.is_file(),
            "emulator binary not found at {} (run `cargo build` at the workspace root, or set GAMELIFT_EMULATOR_BIN)",
            bin.display()
        );
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("build reqwest client");

        let mut last_failure = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let log: Log = Arc::default();
            let mut command = Command::new(&bin);
            // The emulator reads GAMELIFT_EMULATOR_<FLAG> variables; keep the caller's
            // environment from changing what the suite tests.
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("GAMELIFT_EMULATOR_") {
                    command.env_remove(key);
                }
            }
            let mut child = command
                .args(["--bind", &format!("127.0.0.1:{port}")])
                .args(["--game-session-activation-delay", "200ms"])
                .args(["--log-level", "warn"])
                .args(extra_args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
            drain_into(child.stdout.take().expect("stdout"), log.clone());
            drain_into(child.stderr.take().expect("stderr"), log.clone());

            let mut emulator =
                Emulator { child, base_url: format!("http://127.0.0.1:{port}"), http: http.clone(), log };
            match emulator.wait_healthy().await {
                Ok(()) => return emulator,
                Err(why) => {
                    last_failure = format!("{why}\n--- emulator output ---\n{}", emulator.log());
                    // Dropping kills the process; try again on another port.
                }
            }
        }
        panic!("the emulator did not become healthy: {last_failure}");
    }

    async fn wait_healthy(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let url = format!("{}/_emulator/health", self.base_url);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the emulator exited during start-up with {status}"));
            }
            if let Ok(resp) = self.http.get(&url).send().await
                && resp.status() == reqwest::StatusCode::OK
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("GET {url} did not answer 200 within {STARTUP_TIMEOUT:?}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `http://127.0.0.1:<port>`
    pub fn endpoint_url(&self) -> &str {
        &self.base_url
    }

    /// A plain HTTP client for the control API and raw protocol checks.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// An `aws-sdk-gamelift` client configured as a user would point it at the emulator.
    pub fn client(&self) -> Client {
        let config = aws_sdk_gamelift::Config::builder()
            .endpoint_url(&self.base_url)
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("x", "x", None, None, "test"))
            .behavior_version(BehaviorVersion::latest())
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_timeout(Duration::from_secs(10)).build())
            .build();
        Client::from_conf(config)
    }

    /// A client like [`Emulator::client`] that signs with this access key and secret, as if
    /// configured for `region` (for `--verify-signatures`).
    pub fn client_signed(&self, access_key: &str, secret: &str, region: &str) -> Client {
        let config = aws_sdk_gamelift::Config::builder()
            .endpoint_url(&self.base_url)
            .region(Region::new(region.to_owned()))
            .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
            .behavior_version(BehaviorVersion::latest())
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_timeout(Duration::from_secs(10)).build())
            .build();
        Client::from_conf(config)
    }

    /// `POST /_emulator/reset`; panics unless the emulator answers 2xx.
    pub async fn reset(&self) {
        let resp = self
            .http
            .post(format!("{}/_emulator/reset", self.base_url))
            .send()
            .await
            .expect("POST /_emulator/reset");
        assert!(resp.status().is_success(), "POST /_emulator/reset answered {}", resp.status());
    }

    /// `GET /_emulator/clock` → `{"Now": epoch seconds, "Paused": bool}`.
    pub async fn clock(&self) -> serde_json::Value {
        self.control_json(self.http.get(format!("{}/_emulator/clock", self.base_url))).await
    }

    /// `POST /_emulator/clock/advance`: moves emulated time forward; what fell due has happened
    /// when this returns. Returns the clock reading.
    pub async fn advance_clock(&self, seconds: f64) -> serde_json::Value {
        let req = self
            .http
            .post(format!("{}/_emulator/clock/advance", self.base_url))
            .body(serde_json::json!({ "Seconds": seconds }).to_string());
        self.control_json(req).await
    }

    /// `POST /_emulator/clock/pause` (`paused`) or `/resume`: hold emulated time still, or let it
    /// run again. Returns the clock reading.
    pub async fn set_clock_paused(&self, paused: bool) -> serde_json::Value {
        let action = if paused { "pause" } else { "resume" };
        self.control_json(self.http.post(format!("{}/_emulator/clock/{action}", self.base_url))).await
    }

    async fn control_json(&self, req: reqwest::RequestBuilder) -> serde_json::Value {
        let resp = req.send().await.expect("control API request");
        let status = resp.status();
        let text = resp.text().await.expect("control API body");
        assert!(status.is_success(), "control API answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("control API body {text:?}: {e}"))
    }

    /// Everything the emulator printed so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.log.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log();
            if !log.is_empty() {
                eprintln!("--- emulator output ({}) ---\n{log}", self.base_url);
            }
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

/// Asserts that `t` lies within a minute of now.
pub fn assert_recent(t: Option<&DateTime>, what: &str) {
    let t = t.unwrap_or_else(|| panic!("{what} is missing"));
    let delta = (t.secs() - now_secs()).abs();
    assert!(delta <= 60, "{what} = {t} is {delta} s away from now");
}

/// Expects `result` to be a *service* error (the emulator answered with a modeled or unmodeled
/// error) and returns it. Transport failures, timeouts and response-parse failures panic with
/// their full context, so that they are never mistaken for the expected error.
pub fn service_error<O, E>(result: Result<O, SdkError<E>>, what: &str) -> E
where
    O: Debug,
    E: std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(output) => panic!("{what}: expected an error, got success: {output:?}"),
        Err(SdkError::ServiceError(err)) => err.into_err(),
        Err(other) => panic!("{what}: expected a service error, got {}", DisplayErrorContext(&other)),
    }
}

/// Unwraps a successful SDK result, printing the full error context otherwise.
pub fn ok<O, E>(result: Result<O, SdkError<E>>, what: &str) -> O
where
    E: std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(output) => output,
        Err(err) => panic!("{what}: {}", DisplayErrorContext(&err)),
    }
}

/// Asserts the error code a user sees via `ProvideErrorMetadata::code()`, and that a non-empty
/// message came with it. Returns the message.
pub fn assert_code<E: ProvideErrorMetadata + Debug>(err: &E, code: &str) -> String {
    assert_eq!(err.code(), Some(code), "unexpected error: {err:?}");
    let message = err.message().unwrap_or_else(|| panic!("{code} without a message: {err:?}"));
    assert!(!message.is_empty(), "{code} with an empty message");
    message.to_owned()
}

/// Describes one game session by ID.
pub async fn describe_game_session(client: &Client, game_session_id: &str) -> GameSession {
    let out = ok(
        client.describe_game_sessions().game_session_id(game_session_id).send().await,
        "DescribeGameSessions(GameSessionId)",
    );
    let sessions = out.game_sessions();
    assert_eq!(sessions.len(), 1, "DescribeGameSessions({game_session_id}) returned {sessions:?}");
    sessions[0].clone()
}

/// Polls `DescribeGameSessions(GameSessionId)` every [`POLL_INTERVAL`] until the session has
/// `status`, or panics after `timeout`. Returns the session as last described.
pub async fn wait_for_status(
    client: &Client,
    game_session_id: &str,
    status: GameSessionStatus,
    timeout: Duration,
) -> GameSession {
    let deadline = Instant::now() + timeout;
    loop {
        let session = describe_game_session(client, game_session_id).await;
        if session.status() == Some(&status) {
            return session;
        }
        assert!(
            Instant::now() < deadline,
            "{game_session_id} did not reach {status:?} within {timeout:?}; last seen: {session:?}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// The CBOR encoding of one value (ciborium), for hand-built raw requests.
pub fn cbor<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("encode CBOR");
    out
}

/// CBOR text string.
pub fn cbor_text(s: &str) -> Vec<u8> {
    cbor(&s)
}

/// CBOR unsigned integer.
pub fn cbor_uint(n: u64) -> Vec<u8> {
    cbor(&n)
}

/// An indefinite-length CBOR map (`0xbf` … `0xff`, as the Rust SDK sends it) of already-encoded
/// values.
pub fn cbor_map(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![0xbf];
    for (key, value) in entries {
        out.extend(cbor_text(key));
        out.extend_from_slice(value);
    }
    out.push(0xff);
    out
}

/// Asserts that an SDK error value matches a pattern (typically one modeled variant), printing the
/// error otherwise: `assert_variant!(err, CreateGameSessionError::NotFoundException(_))`.
#[macro_export]
macro_rules! assert_variant {
    ($err:expr, $pattern:pat) => {
        assert!(matches!(&$err, $pattern), "expected {}, got {:?}", stringify!($pattern), $err)
    };
}
