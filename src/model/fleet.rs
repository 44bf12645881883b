//! Fleets, their locations and instances, and game-session slot allocation (capacity).
//!
//! Capacity of a location = ACTIVE instances × Σ `ConcurrentExecutions` of the runtime
//! configuration; every game session that has not ended holds one slot (one server process) on
//! one instance. A slot maps to a port (`base_port + slot`), so two live sessions on one
//! instance never share a port. Allocation is O(log instances): each location keeps the set
//! of ACTIVE instances that still have a free slot.
//!
//! Fleets created through the API walk their status (and each location its own) through
//! NEW → DOWNLOADING → VALIDATING → BUILDING → ACTIVATING → ACTIVE on timers
//! (`fleet_lifecycle.rs`); capacity changes, scale-in and the utilization and capacity
//! reports live in `fleet_capacity.rs`. Every status and capacity change is recorded in the
//! fleet's event log ([`FleetEvent`]).
//!
//! Instances are numbered per location and never renumbered: a game session names its host as
//! (location, instance number, slot). An instance that is shut down is TERMINATING for the
//! instance activation delay and then forgotten.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use rustc_hash::FxHashMap;

use super::world::{Now, World};
use super::{FleetStatus, ProtectionPolicy, wire_enum};
use crate::error::{ApiError, ApiResult};

/// An instance runs at most this many server processes (Σ `ConcurrentExecutions`), as the
/// `RuntimeConfiguration` documentation says.
pub const MAX_PROCESSES_PER_INSTANCE: u32 = 50;
/// `MaxConcurrentGameSessionActivations` when the runtime configuration does not set it.
pub const DEFAULT_MAX_CONCURRENT_ACTIVATIONS: u32 = 2_147_483_647;
/// `GameSessionActivationTimeoutSeconds` when the runtime configuration does not set it.
pub const DEFAULT_ACTIVATION_TIMEOUT_SECONDS: u32 = 300;

wire_enum!(
    /// Where a fleet's compute comes from.
    ComputeType {
        Ec2 = "EC2",
        Anywhere = "ANYWHERE",
    }
);

wire_enum!(
    /// Status of an instance as DescribeInstances reports it.
    InstanceStatus {
        Pending = "PENDING",
        Active = "ACTIVE",
        Terminating = "TERMINATING",
    }
);

wire_enum!(
    /// The event codes the emulator records in a fleet's event log.
    FleetEventCode {
        FleetCreated = "FLEET_CREATED",
        FleetDeleted = "FLEET_DELETED",
        FleetScalingEvent = "FLEET_SCALING_EVENT",
        FleetStateDownloading = "FLEET_STATE_DOWNLOADING",
        FleetStateValidating = "FLEET_STATE_VALIDATING",
        FleetStateBuilding = "FLEET_STATE_BUILDING",
        FleetStateActivating = "FLEET_STATE_ACTIVATING",
        FleetStateActive = "FLEET_STATE_ACTIVE",
        FleetNewGameSessionProtectionPolicyUpdated = "FLEET_NEW_GAME_SESSION_PROTECTION_POLICY_UPDATED",
        LocationStatePending = "LOCATION_STATE_PENDING",
        LocationStateCreating = "LOCATION_STATE_CREATING",
        LocationStateCreated = "LOCATION_STATE_CREATED",
        LocationStateActivating = "LOCATION_STATE_ACTIVATING",
        LocationStateActive = "LOCATION_STATE_ACTIVE",
        LocationStateDeleting = "LOCATION_STATE_DELETING",
        LocationStateDeleted = "LOCATION_STATE_DELETED",
    }
);

/// One entry of a runtime configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerProcess {
    /// Launch path of the server executable.
    pub launch_path: String,
    /// Launch parameters.
    pub parameters: Option<String>,
    /// How many processes with this configuration run on each instance.
    pub concurrent_executions: u32,
}

/// What runs on each instance of a fleet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuntimeConfig {
    /// Server process configurations.
    pub server_processes: Vec<ServerProcess>,
    /// `MaxConcurrentGameSessionActivations`.
    pub max_concurrent_activations: Option<u32>,
    /// `GameSessionActivationTimeoutSeconds`.
    pub activation_timeout_seconds: Option<u32>,
}

impl RuntimeConfig {
    /// Game-session slots per instance: Σ `ConcurrentExecutions`.
    pub fn slots_per_instance(&self) -> u32 {
        self.server_processes.iter().fold(0u32, |acc, p| acc.saturating_add(p.concurrent_executions))
    }

    /// The rules a runtime configuration must meet beyond its member constraints: at least one
    /// server process, at most [`MAX_PROCESSES_PER_INSTANCE`] processes in all, and (on managed
    /// EC2 fleets, `installed` true) launch paths under the directories builds are installed in:
    /// `/local/game/` on Linux, `C:\game\` on Windows.
    pub fn check(&self, installed: bool) -> ApiResult<()> {
        if self.server_processes.is_empty() {
            return Err(ApiError::InvalidRequest(
                "A RuntimeConfiguration must contain at least one ServerProcesses entry.".into(),
            ));
        }
        let total =
            self.server_processes.iter().fold(0u64, |acc, p| acc + u64::from(p.concurrent_executions));
        if total > u64::from(MAX_PROCESSES_PER_INSTANCE) {
            return Err(ApiError::InvalidRequest(format!(
                "The RuntimeConfiguration runs {total} server processes per instance; an instance can run at most {MAX_PROCESSES_PER_INSTANCE} (the sum of ConcurrentExecutions)."
            )));
        }
        if installed
            && let Some(p) = self.server_processes.iter().find(|p| !is_installed_path(&p.launch_path))
        {
            return Err(ApiError::InvalidRequest(format!(
                "LaunchPath {} is not valid: game server files are installed under /local/game/ (Linux) or C:\\game\\ (Windows).",
                p.launch_path
            )));
        }
        Ok(())
    }
}

/// Whether a launch path lies where GameLift installs build and script files.
fn is_installed_path(path: &str) -> bool {
    path.starts_with("/local/game/") || path.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("C:\\game\\"))
}

/// A resource creation limit policy: at most `per_creator` new sessions per creator within
/// `period_minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreationLimit {
    /// `NewGameSessionsPerCreator`.
    pub per_creator: u32,
    /// `PolicyPeriodInMinutes`.
    pub period_minutes: u32,
}

/// How a location is asked to be set up.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationSpec {
    /// Region code or custom location name.
    pub name: String,
    /// Desired instance count.
    pub desired: u32,
    /// Minimum instance count.
    pub min: u32,
    /// Maximum instance count.
    pub max: u32,
    /// Status the location starts in.
    pub status: FleetStatus,
}

/// Everything needed to put a fleet into the world (from fixtures or CreateFleet).
#[derive(Debug, Clone)]
pub struct FleetSpec {
    /// The fleet ID (generated when absent).
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// EC2 or ANYWHERE.
    pub compute_type: ComputeType,
    /// Status the fleet starts in.
    pub status: FleetStatus,
    /// Home Region (the emulator's Region when absent).
    pub home_region: Option<String>,
    /// Locations; the home Region is added when missing.
    pub locations: Vec<LocationSpec>,
    /// Runtime configuration.
    pub runtime: RuntimeConfig,
    /// Default protection of new game sessions.
    pub protection: ProtectionPolicy,
    /// Resource creation limit policy.
    pub creation_limit: Option<CreationLimit>,
    /// Emulator-only: this fleet's game-session activation delay.
    pub activation_delay: Option<Duration>,
    /// Emulator-only: the IP address game sessions advertise.
    pub ip_address: Option<String>,
    /// Emulator-only: the DNS name game sessions advertise.
    pub dns_name: Option<String>,
    /// First port of the server processes (slot 0).
    pub base_port: u16,
    /// Emulator-only: capacity comes from connected game-server processes (Server SDK 5)
    /// rather than simulated instances. Always true for ANYWHERE fleets.
    pub capacity_from_processes: bool,
    /// Descriptive attributes passed through to DescribeFleetAttributes.
    pub attrs: FleetAttrs,
}

#[cfg(test)]
impl FleetSpec {
    /// An ACTIVE fleet for unit tests: `slots` game sessions per instance and the given
    /// locations (name, desired instances), all ACTIVE, with up to 10 instances each.
    pub(crate) fn for_tests(
        id: &str,
        compute_type: ComputeType,
        slots: u32,
        locations: &[(&str, u32)],
    ) -> Self {
        Self {
            id: Some(id.into()),
            name: id.into(),
            description: None,
            compute_type,
            status: FleetStatus::Active,
            home_region: None,
            locations: locations
                .iter()
                .map(|(name, desired)| LocationSpec {
                    name: (*name).into(),
                    desired: *desired,
                    min: 0,
                    max: 10,
                    status: FleetStatus::Active,
                })
                .collect(),
            runtime: RuntimeConfig {
                server_processes: vec![ServerProcess {
                    launch_path: "/local/game/server".into(),
                    parameters: None,
                    concurrent_executions: slots,
                }],
                ..Default::default()
            },
            protection: ProtectionPolicy::NoProtection,
            creation_limit: None,
            activation_delay: None,
            ip_address: None,
            dns_name: None,
            base_port: 7777,
            capacity_from_processes: false,
            attrs: FleetAttrs::default(),
        }
    }
}

/// Descriptive fleet attributes the emulator stores and reports but does not act on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetAttrs {
    /// EC2 instance type.
    pub instance_type: Option<String>,
    /// ON_DEMAND or SPOT.
    pub fleet_type: Option<String>,
    /// Operating system.
    pub operating_system: Option<String>,
    /// Build ID.
    pub build_id: Option<String>,
    /// Script ID.
    pub script_id: Option<String>,
    /// `EC2InboundPermissions` (DescribeFleetPortSettings).
    pub inbound_permissions: Vec<IpPermission>,
    /// `MetricGroups` (empty: the default group, `default`).
    pub metric_groups: Vec<String>,
    /// `InstanceRoleArn`.
    pub instance_role_arn: Option<String>,
    /// `InstanceRoleCredentialsProvider`.
    pub instance_role_credentials_provider: Option<String>,
    /// `CertificateConfiguration.CertificateType` (absent: DISABLED).
    pub certificate_type: Option<String>,
    /// The deprecated `ServerLaunchPath`, as given.
    pub server_launch_path: Option<String>,
    /// The deprecated `ServerLaunchParameters`, as given.
    pub server_launch_parameters: Option<String>,
    /// The deprecated `LogPaths`, as given.
    pub log_paths: Vec<String>,
    /// `AnywhereConfiguration.Cost`.
    pub anywhere_cost: Option<String>,
    /// `PlayerGatewayMode`.
    pub player_gateway_mode: Option<String>,
    /// `PlayerGatewayConfiguration.GameServerIpProtocolSupported`.
    pub player_gateway_ip_protocol: Option<String>,
}

/// One inbound permission (`IpPermission`) of a fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPermission {
    /// First port of the range.
    pub from_port: u16,
    /// Last port of the range (inclusive).
    pub to_port: u16,
    /// CIDR block.
    pub ip_range: String,
    /// `TCP` or `UDP`.
    pub protocol: String,
}

/// `ManagedCapacityConfiguration` of a location, stored and reported (the emulator does not
/// scale to and from zero by itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedCapacity {
    /// `ZeroCapacityStrategy` (`MANUAL` or `SCALE_TO_AND_FROM_ZERO`).
    pub zero_capacity_strategy: Option<String>,
    /// `ScaleInAfterInactivityMinutes`.
    pub scale_in_after_inactivity_minutes: Option<u32>,
}

/// One entry of a fleet's event log.
#[derive(Debug, Clone)]
pub struct FleetEvent {
    /// Position in the fleet's log (1, 2, ...): the paging cursor.
    pub seq: u64,
    /// `EventId` (a UUID).
    pub id: Arc<str>,
    /// `EventCode`.
    pub code: FleetEventCode,
    /// `Message`.
    pub message: String,
    /// `EventTime` (epoch ms).
    pub time_ms: i64,
}

/// A timed transition of a fleet, a location or an instance. Locations are named by their
/// `key`, which is never reused within a fleet, so an entry for a deleted location cannot touch
/// one added later under the same name. `wall_ms` is the due time as clients see it (the
/// EventTime of what the transition records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetTimer {
    /// A location (with the home location, the fleet) takes a step of the creation walk.
    Step {
        /// Fleet ID.
        fleet: Arc<str>,
        /// Location key.
        location: u64,
        /// The status it moves to.
        to: FleetStatus,
        /// Due time (epoch ms).
        wall_ms: i64,
    },
    /// A PENDING instance of an ACTIVE location becomes ACTIVE.
    InstanceReady {
        /// Fleet ID.
        fleet: Arc<str>,
        /// Location key.
        location: u64,
        /// Instance number.
        instance: u32,
    },
    /// A TERMINATING instance is gone.
    InstanceGone {
        /// Fleet ID.
        fleet: Arc<str>,
        /// Location key.
        location: u64,
        /// Instance number.
        instance: u32,
    },
    /// A DELETING location is gone.
    LocationGone {
        /// Fleet ID.
        fleet: Arc<str>,
        /// Location key.
        location: u64,
        /// Due time (epoch ms).
        wall_ms: i64,
    },
    /// A DELETING fleet is gone.
    FleetGone {
        /// Fleet ID.
        fleet: Arc<str>,
    },
}

impl FleetTimer {
    /// The fleet it belongs to.
    pub fn fleet(&self) -> &Arc<str> {
        match self {
            FleetTimer::Step { fleet, .. }
            | FleetTimer::InstanceReady { fleet, .. }
            | FleetTimer::InstanceGone { fleet, .. }
            | FleetTimer::LocationGone { fleet, .. }
            | FleetTimer::FleetGone { fleet } => fleet,
        }
    }

    /// The location key it belongs to (none for the fleet's own removal).
    pub fn location(&self) -> Option<u64> {
        match self {
            FleetTimer::Step { location, .. }
            | FleetTimer::InstanceReady { location, .. }
            | FleetTimer::InstanceGone { location, .. }
            | FleetTimer::LocationGone { location, .. } => Some(*location),
            FleetTimer::FleetGone { .. } => None,
        }
    }
}

/// One EC2 instance of a fleet location.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Number within its location (stable key).
    pub no: u32,
    /// `i-...`
    pub id: Arc<str>,
    /// Status.
    pub status: InstanceStatus,
    /// Creation time (epoch ms).
    pub created_ms: i64,
    used: u32,
    next_slot: u32,
    free_slots: Vec<u32>,
}

impl Instance {
    fn new(no: u32, status: InstanceStatus, created_ms: i64) -> Self {
        Self {
            no,
            id: super::ids::new_instance_id().into(),
            status,
            created_ms,
            used: 0,
            next_slot: 0,
            free_slots: Vec::new(),
        }
    }

    /// Slots in use (game sessions that have not ended).
    pub fn used(&self) -> u32 {
        self.used
    }

    /// PENDING or ACTIVE: counts towards the location's instances (TERMINATING ones do not).
    pub fn is_live(&self) -> bool {
        self.status != InstanceStatus::Terminating
    }

    fn take_slot(&mut self, capacity: u32) -> Option<u32> {
        if self.used >= capacity {
            return None;
        }
        let slot = match self.free_slots.pop() {
            Some(s) => s,
            None if self.next_slot < capacity => {
                self.next_slot += 1;
                self.next_slot - 1
            }
            None => return None,
        };
        self.used += 1;
        Some(slot)
    }

    fn release_slot(&mut self, slot: u32) {
        self.used = self.used.saturating_sub(1);
        if slot + 1 == self.next_slot {
            self.next_slot -= 1;
        } else {
            self.free_slots.push(slot);
        }
    }
}

/// One location (home Region, remote Region or custom location) of a fleet.
#[derive(Debug, Clone)]
pub struct FleetLocation {
    /// Key of this location within its fleet (never reused, unlike the name).
    pub key: u64,
    /// Region code or custom location name.
    pub name: Arc<str>,
    /// Location status.
    pub status: FleetStatus,
    /// Desired instances.
    pub desired: u32,
    /// Minimum instances.
    pub min: u32,
    /// Maximum instances.
    pub max: u32,
    /// `ManagedCapacityConfiguration`, as last set.
    pub managed_capacity: Option<ManagedCapacity>,
    /// Instances by number.
    pub instances: BTreeMap<u32, Instance>,
    next_instance: u32,
    with_room: BTreeSet<u32>,
    /// Every game session in this location, in creation order (purged ones leave).
    pub sessions: BTreeSet<u64>,
}

impl FleetLocation {
    fn new(spec: &LocationSpec, key: u64, now_ms: i64, slots: u32) -> Self {
        let mut loc = Self {
            key,
            name: spec.name.as_str().into(),
            status: spec.status,
            desired: spec.desired,
            min: spec.min,
            max: spec.max,
            managed_capacity: None,
            instances: BTreeMap::new(),
            next_instance: 0,
            with_room: BTreeSet::new(),
            sessions: BTreeSet::new(),
        };
        let status =
            if spec.status == FleetStatus::Active { InstanceStatus::Active } else { InstanceStatus::Pending };
        for _ in 0..spec.desired {
            loc.add_instance(status, now_ms, slots);
        }
        loc
    }

    /// Adds an instance; returns its number.
    pub(crate) fn add_instance(&mut self, status: InstanceStatus, now_ms: i64, slots: u32) -> u32 {
        let no = self.next_instance;
        self.next_instance += 1;
        self.instances.insert(no, Instance::new(no, status, now_ms));
        if status == InstanceStatus::Active && slots > 0 {
            self.with_room.insert(no);
        }
        no
    }

    /// Takes a free slot on an ACTIVE instance: `(instance number, slot)`.
    pub fn allocate(&mut self, slots: u32) -> Option<(u32, u32)> {
        while let Some(&no) = self.with_room.first() {
            let Some(inst) = self.instances.get_mut(&no) else {
                self.with_room.remove(&no);
                continue;
            };
            let Some(slot) = inst.take_slot(slots) else {
                self.with_room.remove(&no);
                continue;
            };
            if inst.used >= slots {
                self.with_room.remove(&no);
            }
            return Some((no, slot));
        }
        None
    }

    /// Gives a slot back.
    pub fn release(&mut self, instance: u32, slot: u32, slots: u32) {
        if let Some(inst) = self.instances.get_mut(&instance) {
            inst.release_slot(slot);
            if inst.status == InstanceStatus::Active && inst.used < slots {
                self.with_room.insert(instance);
            }
        }
    }

    /// PENDING → ACTIVE (a no-op for an instance in any other state). Returns whether it changed.
    pub(crate) fn activate_instance(&mut self, no: u32, slots: u32) -> bool {
        let Some(inst) = self.instances.get_mut(&no) else { return false };
        if inst.status != InstanceStatus::Pending {
            return false;
        }
        inst.status = InstanceStatus::Active;
        if inst.used < slots {
            self.with_room.insert(no);
        }
        true
    }

    /// Every PENDING instance becomes ACTIVE (the location finished its creation walk).
    pub(crate) fn activate_pending(&mut self, slots: u32) {
        let pending: Vec<u32> =
            self.instances.values().filter(|i| i.status == InstanceStatus::Pending).map(|i| i.no).collect();
        for no in pending {
            self.activate_instance(no, slots);
        }
    }

    /// PENDING or ACTIVE → TERMINATING: the instance takes no new game sessions. Returns
    /// whether it changed.
    pub(crate) fn retire_instance(&mut self, no: u32) -> bool {
        let Some(inst) = self.instances.get_mut(&no) else { return false };
        if !inst.is_live() {
            return false;
        }
        inst.status = InstanceStatus::Terminating;
        self.with_room.remove(&no);
        true
    }

    /// Forgets a TERMINATING instance.
    pub(crate) fn remove_instance(&mut self, no: u32) {
        if self.instances.get(&no).is_some_and(|i| i.status == InstanceStatus::Terminating) {
            self.instances.remove(&no);
            self.with_room.remove(&no);
        }
    }

    /// Recomputes which ACTIVE instances have room after the slots per instance changed.
    pub(crate) fn refresh_room(&mut self, slots: u32) {
        self.with_room = self
            .instances
            .values()
            .filter(|i| i.status == InstanceStatus::Active && i.used < slots)
            .map(|i| i.no)
            .collect();
    }

    /// Instances with the given status.
    pub fn count(&self, status: InstanceStatus) -> u32 {
        self.instances.values().filter(|i| i.status == status).count() as u32
    }

    /// PENDING and ACTIVE instances (what DesiredInstances is compared with).
    pub fn live_instances(&self) -> u32 {
        self.instances.values().filter(|i| i.is_live()).count() as u32
    }

    /// Whether the set of instances with room is exactly the ACTIVE instances with a free slot
    /// (for `World::check_invariants`).
    pub(crate) fn room_agrees(&self, slots: u32) -> Result<(), String> {
        let expected: BTreeSet<u32> = self
            .instances
            .values()
            .filter(|i| i.status == InstanceStatus::Active && i.used < slots)
            .map(|i| i.no)
            .collect();
        if expected != self.with_room {
            return Err(format!(
                "FleetLocation::with_room of location {} is {:?}; the ACTIVE instances with a free slot are {expected:?}",
                self.name, self.with_room
            ));
        }
        Ok(())
    }

    /// Slots in use across instances.
    pub fn used_slots(&self) -> u32 {
        self.instances.values().map(|i| i.used).sum()
    }
}

/// A fleet.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// `fleet-...`
    pub id: Arc<str>,
    /// Fleet ARN (with the account).
    pub arn: Arc<str>,
    /// Creation order.
    pub seq: u64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// EC2 or ANYWHERE.
    pub compute_type: ComputeType,
    /// Fleet status.
    pub status: FleetStatus,
    /// Home Region.
    pub home_region: Arc<str>,
    /// Locations; `locations[0]` is the home Region.
    pub locations: Vec<FleetLocation>,
    /// Runtime configuration.
    pub runtime: RuntimeConfig,
    /// Default protection of new game sessions.
    pub protection: ProtectionPolicy,
    /// Resource creation limit policy (as enforced: absent when it limits nothing).
    pub creation_limit: Option<CreationLimit>,
    /// Resource creation limit policy as set (what DescribeFleetAttributes reports).
    pub creation_limit_policy: Option<CreationLimit>,
    /// Emulator-only activation delay (the global one applies when absent).
    pub activation_delay: Option<Duration>,
    /// Advertised IP address of game sessions.
    pub ip_address: Arc<str>,
    /// Advertised DNS name of game sessions.
    pub dns_name: Arc<str>,
    /// Port of slot 0.
    pub base_port: u16,
    /// Capacity comes from connected game-server processes (see `model::compute`).
    pub capacity_from_processes: bool,
    /// Creation time (epoch ms).
    pub creation_time_ms: i64,
    /// Pass-through attributes.
    pub attrs: FleetAttrs,
    /// The event log, oldest first.
    pub events: Vec<FleetEvent>,
    next_location_key: u64,
    /// Every game session (until purged), in creation order.
    pub sessions: BTreeSet<u64>,
    /// ACTIVE game sessions, in creation order (what SearchGameSessions scans).
    pub active: BTreeSet<u64>,
    /// ACTIVE game sessions by property key and value (SearchGameSessions' index).
    pub props: FxHashMap<Box<str>, FxHashMap<Box<str>, BTreeSet<u64>>>,
    /// Idempotency tokens and custom game-session IDs → session.
    pub tokens: super::sharded::ShardedMap<Box<str>, u64>,
    /// Recent game-session creations per CreatorId (epoch ms), for the creation limits.
    pub creators: FxHashMap<Box<str>, VecDeque<i64>>,
}

impl Fleet {
    /// Builds a fleet from its spec. `home` is the home Region to use when the spec has none.
    pub(crate) fn from_spec(
        spec: FleetSpec,
        id: String,
        arn: String,
        home: &str,
        seq: u64,
        now_ms: i64,
    ) -> Self {
        let home_region: Arc<str> = spec.home_region.as_deref().unwrap_or(home).into();
        let slots = spec.runtime.slots_per_instance();
        let mut specs = spec.locations.clone();
        if let Some(pos) = specs.iter().position(|l| *l.name == *home_region) {
            let h = specs.remove(pos);
            specs.insert(0, h);
        } else {
            let desired = u32::from(spec.compute_type == ComputeType::Ec2);
            specs.insert(
                0,
                LocationSpec {
                    name: home_region.to_string(),
                    desired,
                    min: 0,
                    max: desired.max(1),
                    status: spec.status,
                },
            );
        }
        let locations =
            specs.iter().enumerate().map(|(i, l)| FleetLocation::new(l, i as u64, now_ms, slots)).collect();
        let mut fleet = Self {
            id: id.into(),
            arn: arn.into(),
            seq,
            name: spec.name,
            description: spec.description,
            compute_type: spec.compute_type,
            status: spec.status,
            home_region,
            locations,
            runtime: spec.runtime,
            protection: spec.protection,
            creation_limit: spec.creation_limit.filter(|l| l.per_creator > 0),
            creation_limit_policy: spec.creation_limit,
            activation_delay: spec.activation_delay,
            ip_address: spec.ip_address.as_deref().unwrap_or("127.0.0.1").into(),
            dns_name: spec.dns_name.as_deref().unwrap_or("localhost").into(),
            base_port: spec.base_port,
            capacity_from_processes: spec.capacity_from_processes
                || spec.compute_type == ComputeType::Anywhere,
            creation_time_ms: now_ms,
            attrs: spec.attrs,
            events: Vec::new(),
            next_location_key: specs.len() as u64,
            sessions: BTreeSet::new(),
            active: BTreeSet::new(),
            props: FxHashMap::default(),
            tokens: Default::default(),
            creators: FxHashMap::default(),
        };
        let message = format!("Fleet {} created.", fleet.id);
        fleet.record(FleetEventCode::FleetCreated, message, now_ms);
        fleet
    }

    /// Whether game sessions are hosted by connected game-server processes (Anywhere fleets and
    /// fixture fleets with `EmulatorCapacity` `PROCESSES`) rather than simulated instances.
    pub fn process_driven(&self) -> bool {
        self.capacity_from_processes
    }

    /// Index of the named location.
    pub fn location_index(&self, name: &str) -> Option<usize> {
        self.locations.iter().position(|l| &*l.name == name)
    }

    /// Index of the location with `key`.
    pub fn location_by_key(&self, key: u64) -> Option<usize> {
        self.locations.iter().position(|l| l.key == key)
    }

    /// Adds a location (with its instances, as the spec says); returns its index.
    pub(crate) fn add_location(&mut self, spec: &LocationSpec, now_ms: i64) -> usize {
        let key = self.next_location_key;
        self.next_location_key += 1;
        let slots = self.runtime.slots_per_instance();
        self.locations.push(FleetLocation::new(spec, key, now_ms, slots));
        self.locations.len() - 1
    }

    /// Appends an entry to the event log.
    pub(crate) fn record(&mut self, code: FleetEventCode, message: String, time_ms: i64) {
        let seq = self.events.len() as u64 + 1;
        let id = super::ids::random_uuid().hyphenated().to_string().into();
        self.events.push(FleetEvent { seq, id, code, message, time_ms });
    }

    /// The port of a slot: `base_port + slot`, kept within GameLift's 1..=60000.
    pub fn port_of(&self, slot: u32) -> u16 {
        let p = u32::from(self.base_port) + slot;
        if p <= 60000 { p as u16 } else { (1025 + (p - 1025) % (60000 - 1025)) as u16 }
    }

    /// Adds a session to the search indexes (it became ACTIVE).
    pub(crate) fn index_active(&mut self, seq: u64, props: &[(Box<str>, Box<str>)]) {
        self.active.insert(seq);
        for (k, v) in props {
            self.props.entry(k.clone()).or_default().entry(v.clone()).or_default().insert(seq);
        }
    }

    /// Removes a session from the search indexes (it left ACTIVE).
    pub(crate) fn unindex_active(&mut self, seq: u64, props: &[(Box<str>, Box<str>)]) {
        self.active.remove(&seq);
        for (k, v) in props {
            if let Some(by_value) = self.props.get_mut(k) {
                if let Some(set) = by_value.get_mut(v) {
                    set.remove(&seq);
                    if set.is_empty() {
                        by_value.remove(v);
                    }
                }
                if by_value.is_empty() {
                    self.props.remove(k);
                }
            }
        }
    }
}

impl World {
    /// Gives a game session's slot back to its instance (the session ended). When the location
    /// has more instances than desired (a scale-in waited for protected game sessions to end),
    /// the scale-in is retried: the instance that just lost a session may now be idle or
    /// unprotected.
    pub(crate) fn release_slot(
        &mut self,
        fleet_id: &str,
        location: &str,
        instance: u32,
        slot: u32,
        now: Now,
    ) {
        let Some(fleet) = self.fleets.get_mut(fleet_id) else { return };
        let slots = fleet.runtime.slots_per_instance();
        let Some(i) = fleet.location_index(location) else { return };
        let loc = &mut fleet.locations[i];
        loc.release(instance, slot, slots);
        let over = loc.status == FleetStatus::Active && loc.live_instances() > loc.desired;
        if over && loc.instances.get(&instance).is_some_and(Instance::is_live) {
            let key = loc.key;
            self.scale_in(fleet_id, key, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(desired: u32) -> FleetLocation {
        FleetLocation::new(
            &LocationSpec {
                name: "us-east-1".into(),
                desired,
                min: 0,
                max: desired,
                status: FleetStatus::Active,
            },
            0,
            0,
            2,
        )
    }

    #[test]
    fn allocation_fills_instances_then_reports_no_capacity() {
        let mut l = loc(2);
        let got: Vec<_> = (0..4).map(|_| l.allocate(2).unwrap()).collect();
        assert_eq!(got, vec![(0, 0), (0, 1), (1, 0), (1, 1)]);
        assert_eq!(l.allocate(2), None);
        assert_eq!(l.used_slots(), 4);
    }

    #[test]
    fn released_slots_are_reused_and_ports_stay_unique_per_instance() {
        let mut l = loc(1);
        let a = l.allocate(2).unwrap();
        let b = l.allocate(2).unwrap();
        assert_ne!(a.1, b.1);
        l.release(a.0, a.1, 2);
        let c = l.allocate(2).unwrap();
        assert_eq!(c, a);
        assert_eq!(l.allocate(2), None);
    }

    #[test]
    fn pending_instances_give_no_capacity() {
        let mut l = FleetLocation::new(
            &LocationSpec {
                name: "us-east-1".into(),
                desired: 1,
                min: 0,
                max: 1,
                status: FleetStatus::Activating,
            },
            0,
            0,
            2,
        );
        assert_eq!(l.allocate(2), None);
    }
}
