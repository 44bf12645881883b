//! Computes and game-server processes: the capacity of process-driven fleets.
//!
//! Anywhere fleets (and fixture fleets with `"EmulatorCapacity": "PROCESSES"`) have no
//! simulated instances: their capacity is the server processes that connected over the Server
//! SDK 5 WebSocket, called `ProcessReady` (`ActivateServerProcess`) and are not hosting a game
//! session. CreateGameSession picks one, pushes `CreateGameSession` to it, and the session stays
//! ACTIVATING until the process calls `ActivateGameSession` (or the fleet's
//! GameSessionActivationTimeoutSeconds passes, which ends it).
//!
//! The model never touches sockets: messages for processes go into `World::outbox`, addressed
//! by connection number, and the state layer delivers them after the operation. A process is
//! keyed by fleet and `pID` and survives reconnects: a socket that closes without
//! `ProcessEnding` leaves the process for a grace period, and a new socket with the same `pID`
//! takes over (messages queued meanwhile are delivered then).

use std::sync::Arc;
use std::time::Duration;

use rustc_hash::FxHashMap;

use super::game_session::Host;
use super::timers::{Subject, Timer};
use super::world::{Now, World};
use super::{GameSessionStatus, GameSessionStatusReason, PlayerSessionCreationPolicy, ids, wire_enum};
use crate::error::{ApiError, ApiResult};

/// Default GameSessionActivationTimeoutSeconds when the runtime configuration has none.
pub const DEFAULT_ACTIVATION_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a TerminateProcess push waits for `ProcessEnding` before the session is ended
/// anyway (the docs: five minutes).
pub const PROCESS_EXIT_TIMEOUT: Duration = Duration::from_secs(300);
/// How long an auth token from GetComputeAuthToken is valid.
pub const AUTH_TOKEN_LIFETIME: Duration = Duration::from_secs(3 * 3600);

wire_enum!(
    /// Status of a compute.
    ComputeStatus {
        Pending = "PENDING",
        Active = "ACTIVE",
        Terminating = "TERMINATING",
        Impaired = "IMPAIRED",
    }
);

/// A registered compute (an Anywhere host), or one implied by a process that connected to a
/// process-driven EC2 fixture fleet.
#[derive(Debug, Clone)]
pub struct Compute {
    /// Fleet ID.
    pub fleet_id: Arc<str>,
    /// ComputeName.
    pub name: Arc<str>,
    /// ComputeArn.
    pub arn: Arc<str>,
    /// Location.
    pub location: Arc<str>,
    /// IpAddress.
    pub ip_address: Option<Arc<str>>,
    /// DnsName.
    pub dns_name: Option<Arc<str>>,
    /// CertificatePath.
    pub certificate_path: Option<String>,
    /// Status.
    pub status: ComputeStatus,
    /// CreationTime (epoch ms).
    pub created_ms: i64,
}

impl Compute {
    /// The address game sessions on this compute advertise: (IP, DNS).
    fn address(&self) -> (Arc<str>, Arc<str>) {
        let ip = self.ip_address.clone().unwrap_or_else(|| "127.0.0.1".into());
        let dns = self.dns_name.clone().unwrap_or_else(|| ip.clone());
        (ip, dns)
    }
}

/// What RegisterCompute asks for.
#[derive(Debug, Clone)]
pub struct ComputeSpec {
    /// ComputeName.
    pub name: String,
    /// Location (custom location or Region of the fleet).
    pub location: Option<String>,
    /// IpAddress.
    pub ip_address: Option<String>,
    /// DnsName.
    pub dns_name: Option<String>,
    /// CertificatePath.
    pub certificate_path: Option<String>,
}

/// An auth token issued by GetComputeAuthToken (or fixed in the fixtures).
#[derive(Debug, Clone)]
pub struct AuthToken {
    /// The fleet it is good for (any compute of it may use it).
    pub fleet_id: Arc<str>,
    /// The compute it was issued for.
    pub compute: Arc<str>,
    /// Expiry (epoch ms).
    pub expires_ms: i64,
}

wire_enum!(
    /// Where a game-server process is in its life.
    ProcessState {
        /// Socket open, `ProcessReady` not called yet.
        Connected = "CONNECTED",
        /// `ProcessReady` done: it can host a game session.
        Active = "ACTIVE",
    }
);

/// A game-server process (Server SDK 5).
#[derive(Debug, Clone)]
pub struct Process {
    /// `pID`.
    pub pid: Arc<str>,
    /// Fleet ID.
    pub fleet_id: Arc<str>,
    /// Compute name (`ComputeId`).
    pub compute: Arc<str>,
    /// Location (its compute's).
    pub location: Arc<str>,
    /// State.
    pub state: ProcessState,
    /// The port it listens on (from `ProcessReady`).
    pub port: Option<u16>,
    /// Log paths it reported.
    pub log_paths: Vec<String>,
    /// SDK version and language (from the connect URL).
    pub sdk: String,
    /// The game session it hosts.
    pub game_session: Option<u64>,
    /// Health reported by the last heartbeat (false once heartbeats stop).
    pub healthy: bool,
    /// When the last heartbeat arrived (epoch ms).
    pub last_heartbeat_ms: Option<i64>,
    /// The socket it is on; `None` while disconnected (grace period).
    pub conn: Option<u64>,
    /// Bumped on every connect, disconnect and heartbeat: timers carry the value they were set
    /// for and do nothing if it changed.
    pub epoch: u64,
    /// Messages that arrived while it was disconnected.
    pending: Vec<ProcessMessage>,
    /// An injected fault: its heartbeats are ignored from now on (so it turns unhealthy).
    pub heartbeats_stopped: bool,
    /// Connected at (epoch ms).
    pub created_ms: i64,
}

impl Process {
    fn available(&self) -> bool {
        self.state == ProcessState::Active
            && self.healthy
            && self.conn.is_some()
            && self.game_session.is_none()
    }
}

/// A `CreateGameSession` push (what `onStartGameSession` receives).
#[derive(Debug, Clone, PartialEq)]
pub struct GameSessionPush {
    /// The game session ID (ARN).
    pub game_session_id: String,
    /// Name.
    pub name: Option<String>,
    /// MaximumPlayerSessionCount.
    pub maximum_player_session_count: u32,
    /// IpAddress.
    pub ip_address: String,
    /// DnsName.
    pub dns_name: String,
    /// Port.
    pub port: u16,
    /// GameProperties.
    pub game_properties: Vec<(String, String)>,
    /// GameSessionData.
    pub game_session_data: Option<String>,
    /// MatchmakerData.
    pub matchmaker_data: Option<String>,
    /// FleetId.
    pub fleet_id: String,
}

/// A message from the emulator to a process.
#[derive(Debug, Clone, PartialEq)]
pub enum ProcessMessage {
    /// Start hosting a game session.
    CreateGameSession(GameSessionPush),
    /// The game session changed (matchmaking data); `reason` is an UpdateReason value.
    UpdateGameSession {
        /// The session as it is now.
        session: GameSessionPush,
        /// UpdateReason.
        reason: String,
        /// BackfillTicketId.
        backfill_ticket_id: Option<String>,
    },
    /// Shut down (`onProcessTerminate`) by the given time (epoch ms).
    TerminateProcess {
        /// TerminationTime, epoch ms.
        termination_time_ms: i64,
    },
    /// The emulator closes the socket (the process was forcibly ended or deregistered).
    Close,
    /// The socket drops without a close frame (an injected fault: a lost connection or a crash).
    Abort,
}

/// A message addressed to a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// Connection number.
    pub conn: u64,
    /// The message.
    pub message: ProcessMessage,
}

/// Computes, tokens and processes (a part of `World`).
#[derive(Debug, Default)]
pub struct Hosts {
    /// Fleet → compute name → compute.
    pub computes: FxHashMap<Arc<str>, FxHashMap<Arc<str>, Compute>>,
    /// Token → what it is good for.
    pub tokens: FxHashMap<Box<str>, AuthToken>,
    /// Fleet → pID → process.
    pub processes: FxHashMap<Arc<str>, FxHashMap<Arc<str>, Process>>,
    /// Messages for processes, drained by the state layer after every operation.
    pub outbox: Vec<Outgoing>,
}

/// The process chosen for a new game session, and the address it advertises.
#[derive(Debug, Clone)]
pub(crate) struct ReservedProcess {
    pub pid: Arc<str>,
    pub compute: Arc<str>,
    pub ip: Arc<str>,
    pub dns: Arc<str>,
    pub port: u16,
}

/// A table that once held thousands of entries (a spike of game-server sockets) keeps its
/// capacity after they are gone; give most of it back once it is three-quarters empty.
pub(crate) fn shrink_after_spike<K: std::hash::Hash + Eq, V, S: std::hash::BuildHasher>(
    map: &mut std::collections::HashMap<K, V, S>,
) {
    if map.capacity() > 64 && map.len() < map.capacity() / 4 {
        map.shrink_to(map.len() * 2);
    }
}

impl Hosts {
    /// Picks a process for a new game session in `location` of a process-driven fleet and
    /// records the session on it. Returns (pID, compute name, IP, DNS, port).
    pub(crate) fn reserve(&mut self, fleet_id: &str, location: &str, seq: u64) -> Option<ReservedProcess> {
        let procs = self.processes.get_mut(fleet_id)?;
        let p = procs
            .values_mut()
            .filter(|p| p.available() && *p.location == *location)
            .min_by_key(|p| (p.created_ms, p.pid.clone()))?;
        p.game_session = Some(seq);
        let (pid, compute, port) = (p.pid.clone(), p.compute.clone(), p.port.unwrap_or(0));
        let (ip, dns) = self
            .computes
            .get(fleet_id)
            .and_then(|m| m.get(&compute))
            .map(Compute::address)
            .unwrap_or_else(|| ("127.0.0.1".into(), "localhost".into()));
        Some(ReservedProcess { pid, compute, ip, dns, port })
    }

    /// Forgets a process (its socket, if any, should already have been told to close).
    pub(crate) fn remove(&mut self, fleet: &str, pid: &str) -> Option<Process> {
        let procs = self.processes.get_mut(fleet)?;
        let removed = procs.remove(pid);
        shrink_after_spike(procs);
        removed
    }

    pub(crate) fn send(&mut self, fleet: &str, pid: &str, message: ProcessMessage) {
        let Some(p) = self.processes.get_mut(fleet).and_then(|m| m.get_mut(pid)) else { return };
        match p.conn {
            Some(conn) => self.outbox.push(Outgoing { conn, message }),
            None => p.pending.push(message),
        }
    }
}

/// Which game-server process: a process is keyed by its fleet and its `pID`, not by its socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessKey<'a> {
    /// Fleet ID.
    pub fleet: &'a str,
    /// `pID`.
    pub pid: &'a str,
}

/// A known game-server process, borrowed to serve one request it sent over the Server SDK.
/// Each method is named after the wire action it serves (`World::accept_player_session` and
/// `World::complete_player_session` are the control API's, which any caller may use; these
/// first check that the game session is the one this process hosts).
pub struct ServerProcess<'w> {
    world: &'w mut World,
    fleet: Arc<str>,
    pid: Arc<str>,
}

/// See [`World::process_footprint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessFootprint {
    /// Processes known (connected, or waiting for a reconnect).
    pub processes: usize,
    /// Slots of the fleet's process table.
    pub table_capacity: usize,
    /// Messages waiting for a socket (the outbox, and those kept for a reconnect).
    pub queued_messages: usize,
    /// Pending timers acting on the fleet's processes.
    pub timers: usize,
}

impl World {
    fn process_driven_fleet(&self, fleet_id: &str) -> ApiResult<&super::Fleet> {
        let fleet = self.fleet(fleet_id)?;
        if !fleet.process_driven() {
            return Err(ApiError::InvalidRequest(format!(
                "Fleet {} is an EC2 fleet whose capacity is simulated; computes and game-server processes apply to Anywhere fleets (or fixture fleets with EmulatorCapacity PROCESSES).",
                fleet.id
            )));
        }
        Ok(fleet)
    }

    /// RegisterCompute (re-registering the same name replaces the record).
    pub fn register_compute(&mut self, now: Now, fleet_id: &str, spec: ComputeSpec) -> ApiResult<&Compute> {
        let fleet = self.process_driven_fleet(fleet_id)?;
        let location: Arc<str> = match spec.location.as_deref() {
            Some(l) => {
                let i = super::game_session::locate(fleet, l)?;
                fleet.locations[i].name.clone()
            }
            None => fleet.home_region.clone(),
        };
        if spec.ip_address.is_none() && spec.dns_name.is_none() {
            return Err(ApiError::InvalidRequest("RegisterCompute needs an IpAddress or a DnsName.".into()));
        }
        let fleet_id = fleet.id.clone();
        let arn = ids::resource_arn(&fleet.home_region, "compute", &spec.name);
        let compute = Compute {
            fleet_id: fleet_id.clone(),
            name: spec.name.as_str().into(),
            arn: arn.into(),
            location,
            ip_address: spec.ip_address.map(Into::into),
            dns_name: spec.dns_name.map(Into::into),
            certificate_path: spec.certificate_path,
            status: ComputeStatus::Active,
            created_ms: now.wall_ms,
        };
        let by_name = self.hosts.computes.entry(fleet_id).or_default();
        by_name.insert(compute.name.clone(), compute);
        by_name.get(spec.name.as_str()).ok_or_else(|| ApiError::InternalService("compute vanished".into()))
    }

    /// A compute by name or ARN.
    pub fn compute(&self, fleet_id: &str, name_or_arn: &str) -> ApiResult<&Compute> {
        let fleet = self.fleet(fleet_id)?;
        let name = ids::id_from_id_or_arn(name_or_arn, "compute");
        self.hosts
            .computes
            .get(&fleet.id)
            .and_then(|m| m.get(name))
            .ok_or_else(|| ApiError::NotFound(format!("Compute {name} not found in fleet {}.", fleet.id)))
    }

    /// A fleet's computes, by name, optionally in one location.
    pub fn computes(&self, fleet_id: &str, location: Option<&str>) -> ApiResult<Vec<&Compute>> {
        let fleet = self.fleet(fleet_id)?;
        let mut out: Vec<&Compute> = self
            .hosts
            .computes
            .get(&fleet.id)
            .map(|m| m.values().filter(|c| location.is_none_or(|l| *c.location == *l)).collect())
            .unwrap_or_default();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// DeregisterCompute: its processes end (their game sessions with them) and their sockets close.
    pub fn deregister_compute(&mut self, now: Now, fleet_id: &str, name_or_arn: &str) -> ApiResult<()> {
        let (fleet_id, name) = {
            let c = self.compute(fleet_id, name_or_arn)?;
            (c.fleet_id.clone(), c.name.clone())
        };
        self.remove_computes(&fleet_id, &[name], now, None);
        Ok(())
    }

    /// GetComputeAuthToken: a token good for any compute of the fleet until it expires.
    pub fn issue_auth_token(
        &mut self,
        now: Now,
        fleet_id: &str,
        name_or_arn: &str,
    ) -> ApiResult<(String, i64)> {
        let fleet = self.process_driven_fleet(fleet_id)?;
        let fleet_id = fleet.id.clone();
        let name = ids::id_from_id_or_arn(name_or_arn, "compute");
        let compute: Arc<str> = match self.hosts.computes.get(&fleet_id).and_then(|m| m.get(name)) {
            Some(c) => c.name.clone(),
            None if fleet.compute_type == super::ComputeType::Ec2 => name.into(),
            None => return Err(ApiError::NotFound(format!("Compute {name} not found in fleet {fleet_id}."))),
        };
        let token = super::ids::random_uuid().hyphenated().to_string();
        let expires_ms = now.wall_ms + AUTH_TOKEN_LIFETIME.as_millis() as i64;
        self.hosts.tokens.insert(token.as_str().into(), AuthToken { fleet_id, compute, expires_ms });
        Ok((token, expires_ms))
    }

    /// Adds a token that never expires (fixtures).
    pub fn insert_fixed_token(&mut self, token: &str, fleet_id: &str, compute: &str) {
        self.hosts.tokens.insert(
            token.into(),
            AuthToken { fleet_id: fleet_id.into(), compute: compute.into(), expires_ms: i64::MAX },
        );
    }

    /// Checks the `Authorization` a process connects with: a live token of this fleet.
    pub fn authorize_process(&self, now: Now, fleet_id: &str, token: &str) -> ApiResult<()> {
        match self.hosts.tokens.get(token) {
            Some(t) if *t.fleet_id == *fleet_id && t.expires_ms > now.wall_ms => Ok(()),
            Some(t) if *t.fleet_id == *fleet_id => {
                Err(ApiError::Unauthorized("The auth token has expired.".into()))
            }
            _ => Err(ApiError::Unauthorized(format!("The auth token is not valid for fleet {fleet_id}."))),
        }
    }

    /// Whether a process may connect to `fleet_id` from compute `compute_name` (checked before
    /// the WebSocket upgrade, so a refusal is a 403 rather than a closed socket): the fleet
    /// must be process-driven and, unless it is an EC2 fleet (whose computes appear as their
    /// processes connect), the compute must be registered.
    pub fn check_process_compute(&self, fleet_id: &str, compute_name: &str) -> ApiResult<()> {
        let fleet = self
            .process_driven_fleet(fleet_id)
            .map_err(|e| ApiError::Unauthorized(e.message().to_string()))?;
        let ec2 = fleet.compute_type == super::ComputeType::Ec2;
        if !ec2 && self.hosts.computes.get(&fleet.id).and_then(|m| m.get(compute_name)).is_none() {
            return Err(ApiError::Unauthorized(format!(
                "Compute {compute_name} is not registered in fleet {fleet_id} (call RegisterCompute first)."
            )));
        }
        Ok(())
    }

    /// A socket for process `key` opened (first connect or reconnect). Messages that were queued
    /// while it was away go to the new socket.
    pub fn connect_process(
        &mut self,
        now: Now,
        key: ProcessKey<'_>,
        compute_name: &str,
        conn: u64,
        sdk: &str,
    ) -> ApiResult<()> {
        let fleet = self.process_driven_fleet(key.fleet)?;
        let fleet_id = fleet.id.clone();
        let home = fleet.home_region.clone();
        let ec2 = fleet.compute_type == super::ComputeType::Ec2;
        if self.hosts.computes.get(&fleet_id).and_then(|m| m.get(compute_name)).is_none() {
            if !ec2 {
                return Err(ApiError::NotFound(format!(
                    "Compute {compute_name} is not registered in fleet {fleet_id} (call RegisterCompute first)."
                )));
            }
            self.register_compute(
                now,
                &fleet_id,
                ComputeSpec {
                    name: compute_name.to_string(),
                    location: Some(home.to_string()),
                    ip_address: None,
                    dns_name: Some("localhost".into()),
                    certificate_path: None,
                },
            )?;
        }
        let location = self
            .hosts
            .computes
            .get(&fleet_id)
            .and_then(|m| m.get(compute_name))
            .map(|c| c.location.clone())
            .unwrap_or(home);
        let procs = self.hosts.processes.entry(fleet_id.clone()).or_default();
        match procs.get_mut(key.pid) {
            Some(p) => {
                p.conn = Some(conn);
                p.epoch += 1;
                // A reconnect: the grace-period and heartbeat timers of the old epoch are void.
                self.timers.cancel(&Subject::Process(p.fleet_id.clone(), p.pid.clone()), |_| true);
                for message in std::mem::take(&mut p.pending) {
                    self.hosts.outbox.push(Outgoing { conn, message });
                }
            }
            None => {
                procs.insert(
                    key.pid.into(),
                    Process {
                        pid: key.pid.into(),
                        fleet_id,
                        compute: compute_name.into(),
                        location,
                        state: ProcessState::Connected,
                        port: None,
                        log_paths: Vec::new(),
                        sdk: sdk.to_string(),
                        game_session: None,
                        healthy: true,
                        last_heartbeat_ms: None,
                        conn: Some(conn),
                        epoch: 0,
                        pending: Vec::new(),
                        heartbeats_stopped: false,
                        created_ms: now.wall_ms,
                    },
                );
            }
        }
        Ok(())
    }

    /// What the world holds for the game-server processes of `fleet_id` (tests check that a
    /// closed socket leaves nothing behind once its reconnect grace is over).
    pub fn process_footprint(&self, fleet_id: &str) -> ProcessFootprint {
        let procs = self.hosts.processes.get(fleet_id);
        ProcessFootprint {
            processes: procs.map_or(0, |m| m.len()),
            table_capacity: procs.map_or(0, |m| m.capacity()),
            queued_messages: self.hosts.outbox.len()
                + procs.map_or(0, |m| m.values().map(|p| p.pending.len()).sum::<usize>()),
            timers: self
                .timers()
                .iter()
                .filter(|(_, t)| matches!(t.subject(), Subject::Process(f, _) if *f == *fleet_id))
                .count(),
        }
    }

    /// The socket `conn` of process `key` closed. Unless another socket took over, the process
    /// waits `Settings::process_reconnect_grace` for a reconnect before it ends.
    pub fn disconnect_process(&mut self, now: Now, key: ProcessKey<'_>, conn: u64) {
        let grace = self.settings.process_reconnect_grace;
        let Some(p) = self.process_mut(key) else { return };
        if p.conn != Some(conn) {
            return;
        }
        p.conn = None;
        p.epoch += 1;
        let timer = Timer::ProcessGone { fleet: p.fleet_id.clone(), pid: p.pid.clone(), epoch: p.epoch };
        self.cancel_timers(timer.subject(), |_| true);
        self.schedule(now.at + grace, timer);
    }

    /// Injected fault: the process's socket drops (no close frame). The process is kept for the
    /// reconnect grace period, as for any lost connection.
    pub fn fault_drop_connection(&mut self, now: Now, key: ProcessKey<'_>) -> ApiResult<()> {
        let conn = self.connected_process(key)?;
        self.hosts.outbox.push(Outgoing { conn, message: ProcessMessage::Abort });
        self.disconnect_process(now, key, conn);
        Ok(())
    }

    /// Injected fault: the process's heartbeats are ignored from now on, so after
    /// `Settings::process_heartbeat_timeout` it is unhealthy (and gets no new game sessions).
    pub fn fault_stop_heartbeats(&mut self, now: Now, key: ProcessKey<'_>) -> ApiResult<()> {
        self.connected_process(key)?;
        let timeout = self.settings.process_heartbeat_timeout;
        let epoch = self.process(key).map_or(0, |p| p.epoch);
        // A pending HeartbeatMissed of this epoch fires as it is (heartbeats no longer move
        // it); without one (no heartbeat yet), one is armed now.
        let pending = self.timers.iter().any(|(_, t)| {
            matches!(t, Timer::HeartbeatMissed { fleet, pid, epoch: e }
                if **fleet == *key.fleet && **pid == *key.pid && *e == epoch)
        });
        let Some(p) = self.process_mut(key) else { return Ok(()) };
        p.heartbeats_stopped = true;
        if !pending {
            p.epoch += 1;
            let timer =
                Timer::HeartbeatMissed { fleet: p.fleet_id.clone(), pid: p.pid.clone(), epoch: p.epoch };
            self.schedule(now.at + timeout, timer);
        }
        Ok(())
    }

    /// Injected fault: the process crashes. Its socket drops without a close frame, it sends no
    /// `ProcessEnding`, and it is gone at once; its game session ends as for a process that never
    /// came back.
    pub fn fault_crash(&mut self, now: Now, key: ProcessKey<'_>) -> ApiResult<()> {
        let conn = self.connected_process(key)?;
        self.hosts.outbox.push(Outgoing { conn, message: ProcessMessage::Abort });
        self.end_process(key.fleet, key.pid, now, None);
        Ok(())
    }

    fn connected_process(&self, key: ProcessKey<'_>) -> ApiResult<u64> {
        let p = self.process(key).ok_or_else(|| {
            ApiError::NotFound(format!("Process {} is not known in fleet {}.", key.pid, key.fleet))
        })?;
        p.conn.ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "Process {} of fleet {} has no open socket.",
                key.pid, key.fleet
            ))
        })
    }

    fn process_mut(&mut self, key: ProcessKey<'_>) -> Option<&mut Process> {
        self.hosts.processes.get_mut(key.fleet).and_then(|m| m.get_mut(key.pid))
    }

    /// A process by fleet and pID.
    pub fn process(&self, key: ProcessKey<'_>) -> Option<&Process> {
        self.hosts.processes.get(key.fleet).and_then(|m| m.get(key.pid))
    }

    /// The known process `key`, to serve a request it sent (see `ServerProcess`).
    pub fn server_process(&mut self, key: ProcessKey<'_>) -> ApiResult<ServerProcess<'_>> {
        let p = self.process(key).ok_or_else(|| {
            ApiError::NotFound(format!("Process {} is not known in fleet {}.", key.pid, key.fleet))
        })?;
        let (fleet, pid) = (p.fleet_id.clone(), p.pid.clone());
        Ok(ServerProcess { world: self, fleet, pid })
    }

    pub(crate) fn heartbeat_missed(&mut self, fleet_id: &str, pid: &str, epoch: u64) {
        if let Some(p) = self.process_mut(ProcessKey { fleet: fleet_id, pid })
            && p.epoch == epoch
        {
            p.healthy = false;
        }
    }

    pub(crate) fn process_gone(&mut self, now: Now, fleet_id: &str, pid: &str, epoch: u64) {
        let key = ProcessKey { fleet: fleet_id, pid };
        if self.process(key).is_some_and(|p| p.epoch == epoch && p.conn.is_none()) {
            self.end_process(fleet_id, pid, now, None);
        }
    }

    /// Removes a process; its game session (if any) ends with the reason TerminateGameSession
    /// chose, else `fallback`.
    pub(crate) fn end_process(
        &mut self,
        fleet_id: &str,
        pid: &str,
        now: Now,
        fallback: Option<GameSessionStatusReason>,
    ) {
        let Some(p) = self.hosts.remove(fleet_id, pid) else { return };
        self.cancel_timers(Subject::Process(p.fleet_id.clone(), p.pid.clone()), |_| true);
        if let Some(seq) = p.game_session {
            let reason = self.game_session(seq).and_then(|s| s.ending).or(fallback);
            self.end_game_session(seq, now, reason);
        }
    }

    /// Frees the process that hosted an ended game session.
    pub(crate) fn release_process(&mut self, fleet_id: &str, pid: &str, seq: u64) {
        if let Some(p) = self.process_mut(ProcessKey { fleet: fleet_id, pid })
            && p.game_session == Some(seq)
        {
            p.game_session = None;
        }
    }

    /// Queues a message for the process hosting game session `seq`.
    pub(crate) fn push_to_host(&mut self, seq: u64, message: ProcessMessage) {
        let Some(s) = self.sessions.get(&seq) else { return };
        if let Host::Process { pid, .. } = &s.host {
            let (fleet, pid) = (s.fleet_id.clone(), pid.clone());
            self.hosts.send(&fleet, &pid, message);
        }
    }

    /// The CreateGameSession push for a game session.
    pub(crate) fn session_push(&self, seq: u64) -> Option<GameSessionPush> {
        let s = self.sessions.get(&seq)?;
        Some(GameSessionPush {
            game_session_id: s.arn.to_string(),
            name: s.name.as_deref().map(str::to_owned),
            maximum_player_session_count: s.max_players,
            ip_address: s.ip_address.to_string(),
            dns_name: s.dns_name.to_string(),
            port: s.port,
            game_properties: s.properties.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            game_session_data: s.data.as_deref().map(str::to_owned),
            matchmaker_data: s.matchmaker_data.as_deref().map(str::to_owned),
            fleet_id: s.fleet_id.to_string(),
        })
    }

    /// Sends an `UpdateGameSession` push to the process hosting a game session (control API).
    pub fn push_game_session_update(
        &mut self,
        id: &str,
        reason: String,
        backfill_ticket_id: Option<String>,
    ) -> ApiResult<()> {
        let seq = self.game_session_by_id(id)?.seq;
        let Some(session) = self.session_push(seq) else { return Ok(()) };
        let hosted = self.game_session(seq).is_some_and(|s| matches!(s.host, Host::Process { .. }));
        if !hosted {
            return Err(ApiError::InvalidRequest(format!(
                "Game session {id} is not hosted by a game-server process."
            )));
        }
        self.push_to_host(seq, ProcessMessage::UpdateGameSession { session, reason, backfill_ticket_id });
        Ok(())
    }

    /// The fleet (or one of its locations) is going away: its game-server processes are shut
    /// down (their sockets closed, their game sessions ended with `reason`) and its computes
    /// deregistered, with their auth tokens.
    pub(crate) fn shut_down_hosts(
        &mut self,
        fleet_id: &str,
        location: Option<&str>,
        now: Now,
        reason: Option<GameSessionStatusReason>,
    ) {
        let in_scope = |loc: &str| location.is_none_or(|l| l == loc);
        let names: Vec<Arc<str>> = self
            .hosts
            .computes
            .get(fleet_id)
            .map(|m| m.values().filter(|c| in_scope(&c.location)).map(|c| c.name.clone()).collect())
            .unwrap_or_default();
        self.remove_computes(fleet_id, &names, now, reason);
    }

    /// Deregisters computes of a fleet: the processes on them are told to close and end (their
    /// game sessions with `reason`, unless TerminateGameSession chose one), and their auth tokens
    /// stop working.
    fn remove_computes(
        &mut self,
        fleet_id: &str,
        names: &[Arc<str>],
        now: Now,
        reason: Option<GameSessionStatusReason>,
    ) {
        let pids: Vec<Arc<str>> = self
            .hosts
            .processes
            .get(fleet_id)
            .map(|m| m.values().filter(|p| names.contains(&p.compute)).map(|p| p.pid.clone()).collect())
            .unwrap_or_default();
        for pid in pids {
            self.hosts.send(fleet_id, &pid, ProcessMessage::Close);
            self.end_process(fleet_id, &pid, now, reason);
        }
        if let Some(m) = self.hosts.computes.get_mut(fleet_id) {
            for name in names {
                m.remove(name);
            }
        }
        self.hosts.tokens.retain(|_, t| !(*t.fleet_id == *fleet_id && names.contains(&t.compute)));
    }

    /// Takes the messages queued for processes.
    pub fn take_outbox(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.hosts.outbox)
    }
}

impl ServerProcess<'_> {
    fn key(&self) -> ProcessKey<'_> {
        ProcessKey { fleet: &self.fleet, pid: &self.pid }
    }

    fn record(&mut self) -> ApiResult<&mut Process> {
        let (fleet, pid) = (self.fleet.clone(), self.pid.clone());
        self.world
            .process_mut(ProcessKey { fleet: &fleet, pid: &pid })
            .ok_or_else(|| ApiError::NotFound(format!("Process {pid} is not known in fleet {fleet}.")))
    }

    /// Checks that game session `id` is the one this process hosts; returns its sequence number.
    fn hosted_session(&self, id: &str) -> ApiResult<u64> {
        let seq = self.world.game_session_by_id(id)?.seq;
        if self.world.process(self.key()).and_then(|p| p.game_session) != Some(seq) {
            return Err(ApiError::InvalidRequest(format!(
                "Game session {id} is not hosted by process {}.",
                self.pid
            )));
        }
        Ok(seq)
    }

    /// Checks that player session `ps` belongs to game session `id`, which this process hosts.
    fn hosted_player_session(&self, id: &str, ps: &str) -> ApiResult<()> {
        let seq = self.hosted_session(id)?;
        if self.world.player_session_by_id(ps)?.game_session != seq {
            return Err(ApiError::InvalidRequest(format!(
                "Player session {ps} does not belong to game session {id}."
            )));
        }
        Ok(())
    }

    /// `ActivateServerProcess` (`ProcessReady`): the process can host game sessions.
    pub fn activate_server_process(mut self, port: Option<u16>, log_paths: Vec<String>) -> ApiResult<()> {
        let p = self.record()?;
        p.state = ProcessState::Active;
        p.port = port;
        p.log_paths = log_paths;
        Ok(())
    }

    /// `HeartbeatServerProcess`: records health; a process whose heartbeats stop for
    /// `Settings::process_heartbeat_timeout` is marked unhealthy (and gets no new game
    /// sessions), as AWS does.
    pub fn heartbeat_server_process(mut self, now: Now, healthy: bool) -> ApiResult<()> {
        let timeout = self.world.settings.process_heartbeat_timeout;
        let p = self.record()?;
        if p.heartbeats_stopped {
            // An injected fault: the heartbeat is lost on the way.
            return Ok(());
        }
        p.healthy = healthy;
        p.last_heartbeat_ms = Some(now.wall_ms);
        p.epoch += 1;
        let timer = Timer::HeartbeatMissed { fleet: p.fleet_id.clone(), pid: p.pid.clone(), epoch: p.epoch };
        self.world.cancel_timers(timer.subject(), |_| true);
        self.world.schedule(now.at + timeout, timer);
        Ok(())
    }

    /// `ActivateGameSession`: the hosted game session goes ACTIVATING → ACTIVE.
    pub fn activate_game_session(self, now: Now, id: &str) -> ApiResult<()> {
        let seq = self.hosted_session(id)?;
        let status = self.world.game_session(seq).map(|s| s.status);
        if status != Some(GameSessionStatus::Activating) {
            return Err(ApiError::InvalidGameSessionStatus(format!(
                "Game session {id} is {}; only an ACTIVATING game session can be activated.",
                status.map_or("gone", |s| s.as_str())
            )));
        }
        self.world.activate_game_session(seq, now);
        Ok(())
    }

    /// `UpdatePlayerSessionCreationPolicy` for the hosted game session.
    pub fn update_player_session_creation_policy(
        self,
        id: &str,
        policy: PlayerSessionCreationPolicy,
    ) -> ApiResult<()> {
        let seq = self.hosted_session(id)?;
        if let Some(s) = self.world.sessions.get_mut(&seq) {
            s.policy = policy;
        }
        Ok(())
    }

    /// `AcceptPlayerSession`: a player of the hosted game session connected (RESERVED → ACTIVE).
    pub fn accept_player_session(self, id: &str, player_session: &str) -> ApiResult<()> {
        self.hosted_player_session(id, player_session)?;
        self.world.accept_player_session(player_session).map(drop)
    }

    /// `RemovePlayerSession`: a player of the hosted game session left (→ COMPLETED).
    pub fn remove_player_session(self, now: Now, id: &str, player_session: &str) -> ApiResult<()> {
        self.hosted_player_session(id, player_session)?;
        self.world.complete_player_session(player_session, now).map(drop)
    }

    /// `TerminateServerProcess` (`ProcessEnding`): the process is gone and its game session
    /// ends (TRIGGERED_ON_PROCESS_TERMINATE when TerminateGameSession asked for it).
    pub fn terminate_server_process(self, now: Now) -> ApiResult<()> {
        self.world.end_process(&self.fleet, &self.pid, now, None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::fleet::{ComputeType, FleetSpec, RuntimeConfig};
    use crate::model::{CreateGameSession, GameSessionStatus, PlayerSessionStatus, Settings};

    const P1: ProcessKey<'static> = ProcessKey { fleet: "fleet-any", pid: "p1" };

    fn now() -> Now {
        Now { at: tokio::time::Instant::now(), wall_ms: 1_700_000_000_000 }
    }

    fn world() -> World {
        let mut w = World::new(Settings::for_tests());
        let t = now();
        w.create_location("custom-home", Vec::new(), t).unwrap();
        let spec = FleetSpec {
            runtime: RuntimeConfig { activation_timeout_seconds: Some(5), ..Default::default() },
            ..FleetSpec::for_tests("fleet-any", ComputeType::Anywhere, 1, &[("custom-home", 0)])
        };
        w.insert_fleet(spec, t).unwrap();
        w.register_compute(
            t,
            "fleet-any",
            ComputeSpec {
                name: "c1".into(),
                location: Some("custom-home".into()),
                ip_address: Some("10.0.0.7".into()),
                dns_name: None,
                certificate_path: None,
            },
        )
        .unwrap();
        w
    }

    fn create(w: &mut World, t: Now) -> ApiResult<u64> {
        w.create_game_session(
            t,
            CreateGameSession {
                fleet_id: Some("fleet-any".into()),
                maximum_player_session_count: 2,
                location: Some("custom-home".into()),
                ..Default::default()
            },
        )
    }

    #[test]
    fn a_ready_process_gets_the_session_pushed_and_activates_it() {
        let mut w = world();
        let t = now();
        assert_eq!(create(&mut w, t).unwrap_err().code(), "FleetCapacityExceededException");
        w.connect_process(t, P1, "c1", 9, "Go 5.6.0").unwrap();
        assert_eq!(create(&mut w, t).unwrap_err().code(), "FleetCapacityExceededException");
        w.server_process(P1).unwrap().activate_server_process(Some(7000), Vec::new()).unwrap();
        let seq = create(&mut w, t).unwrap();
        let out = w.take_outbox();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].conn, 9);
        let ProcessMessage::CreateGameSession(push) = &out[0].message else { panic!("{out:?}") };
        assert_eq!((push.ip_address.as_str(), push.port), ("10.0.0.7", 7000));
        // No timer activates it; only the process does.
        w.advance(t.after(Duration::from_secs(4)));
        assert_eq!(w.game_session(seq).unwrap().status, GameSessionStatus::Activating);
        let id = w.game_session(seq).unwrap().arn.to_string();
        w.server_process(P1).unwrap().activate_game_session(t, &id).unwrap();
        assert_eq!(w.game_session(seq).unwrap().status, GameSessionStatus::Active);
        assert_eq!(create(&mut w, t).unwrap_err().code(), "FleetCapacityExceededException");
        w.check_invariants().unwrap();
    }

    #[test]
    fn activation_timeout_ends_the_session_and_frees_the_process() {
        let mut w = world();
        let t = now();
        w.connect_process(t, P1, "c1", 1, "Go").unwrap();
        w.server_process(P1).unwrap().activate_server_process(Some(7000), Vec::new()).unwrap();
        let seq = create(&mut w, t).unwrap();
        w.advance(t.after(Duration::from_secs(5)));
        assert_eq!(w.game_session(seq).unwrap().status, GameSessionStatus::Terminated);
        assert!(create(&mut w, t.after(Duration::from_secs(5))).is_ok());
        w.check_invariants().unwrap();
    }

    #[test]
    fn missed_heartbeats_make_a_process_unhealthy_until_the_next_one() {
        let mut w = world();
        let t = now();
        w.connect_process(t, P1, "c1", 1, "Go").unwrap();
        w.server_process(P1).unwrap().activate_server_process(Some(7000), Vec::new()).unwrap();
        w.server_process(P1).unwrap().heartbeat_server_process(t, true).unwrap();
        let later = t.after(Duration::from_secs(60));
        w.advance(later);
        assert!(!w.process(P1).unwrap().healthy);
        assert_eq!(create(&mut w, later).unwrap_err().code(), "FleetCapacityExceededException");
        w.server_process(P1).unwrap().heartbeat_server_process(later, true).unwrap();
        assert!(create(&mut w, later).is_ok());
        w.check_invariants().unwrap();
    }

    #[test]
    fn a_disconnected_process_is_kept_for_the_grace_period_and_then_ends_its_session() {
        let mut w = world();
        let t = now();
        w.connect_process(t, P1, "c1", 1, "Go").unwrap();
        w.server_process(P1).unwrap().activate_server_process(Some(7000), Vec::new()).unwrap();
        let seq = create(&mut w, t).unwrap();
        w.take_outbox();
        w.disconnect_process(t, P1, 1);
        // A push while away waits for the reconnect.
        let id = w.game_session(seq).unwrap().arn.clone();
        w.push_game_session_update(&id, "MATCHMAKING_DATA_UPDATED".into(), None).unwrap();
        assert!(w.take_outbox().is_empty());
        w.connect_process(t, P1, "c1", 2, "Go").unwrap();
        let out = w.take_outbox();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].conn, 2);
        // Now it goes away for good.
        w.disconnect_process(t, P1, 2);
        w.advance(t.after(Duration::from_secs(10)));
        assert!(w.process(P1).is_none());
        assert_eq!(w.game_session(seq).unwrap().status, GameSessionStatus::Terminated);
    }

    #[test]
    fn a_process_acts_only_on_the_game_session_it_hosts_and_its_players() {
        let mut w = world();
        let t = now();
        let p2 = ProcessKey { fleet: "fleet-any", pid: "p2" };
        for (key, conn) in [(P1, 1), (p2, 2)] {
            w.connect_process(t, key, "c1", conn, "Go").unwrap();
            w.server_process(key).unwrap().activate_server_process(Some(7000), Vec::new()).unwrap();
        }
        let seq = create(&mut w, t).unwrap();
        let id = w.game_session(seq).unwrap().arn.to_string();
        let host = w.game_session(seq).and_then(|s| match &s.host {
            Host::Process { pid, .. } => Some(pid.to_string()),
            _ => None,
        });
        let (host, other) = if host.as_deref() == Some("p1") { (P1, p2) } else { (p2, P1) };
        let e = w.server_process(other).unwrap().activate_game_session(t, &id).unwrap_err();
        assert_eq!(e.code(), "InvalidRequestException");
        w.server_process(host).unwrap().activate_game_session(t, &id).unwrap();
        let e = w.server_process(host).unwrap().activate_game_session(t, &id).unwrap_err();
        assert_eq!(e.code(), "InvalidGameSessionStatusException");

        let ps = w.create_player_sessions(t, &id, vec![("player-1".into(), None)]).unwrap()[0];
        let ps_id = w.player_sessions.get(&ps).unwrap().id.to_string();
        let e = w.server_process(other).unwrap().accept_player_session(&id, &ps_id).unwrap_err();
        assert_eq!(e.code(), "InvalidRequestException");
        w.server_process(host).unwrap().accept_player_session(&id, &ps_id).unwrap();
        assert_eq!(w.player_session_by_id(&ps_id).unwrap().status, PlayerSessionStatus::Active);
        w.server_process(host).unwrap().remove_player_session(t, &id, &ps_id).unwrap();
        assert_eq!(w.player_session_by_id(&ps_id).unwrap().status, PlayerSessionStatus::Completed);

        w.server_process(host)
            .unwrap()
            .update_player_session_creation_policy(&id, PlayerSessionCreationPolicy::DenyAll)
            .unwrap();
        assert_eq!(w.game_session(seq).unwrap().policy, PlayerSessionCreationPolicy::DenyAll);
        w.server_process(host).unwrap().terminate_server_process(t).unwrap();
        assert!(w.process(host).is_none());
        assert_eq!(w.server_process(host).err().map(|e| e.code()), Some("NotFoundException"));
        assert_eq!(w.game_session(seq).unwrap().status, GameSessionStatus::Terminated);
        w.check_invariants().unwrap();
    }

    #[test]
    fn tokens_are_checked_per_fleet_and_expire() {
        let mut w = world();
        let t = now();
        let (token, _) = w.issue_auth_token(t, "fleet-any", "c1").unwrap();
        assert!(w.authorize_process(t, "fleet-any", &token).is_ok());
        assert_eq!(
            w.authorize_process(t, "fleet-other", &token).unwrap_err().code(),
            "UnauthorizedException"
        );
        let late = t.after(AUTH_TOKEN_LIFETIME);
        assert_eq!(
            w.authorize_process(late, "fleet-any", &token).unwrap_err().code(),
            "UnauthorizedException"
        );
        assert_eq!(w.issue_auth_token(t, "fleet-any", "nope").unwrap_err().code(), "NotFoundException");
        w.check_invariants().unwrap();
    }
}
