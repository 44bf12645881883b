//! Fleets through the API: CreateFleet, the status walk, DeleteFleet, fleet locations,
//! attribute, runtime-configuration and port-setting updates, and the queries over fleets.
//!
//! # The creation walk
//! A managed EC2 fleet created through the API is NEW, then DOWNLOADING, VALIDATING, BUILDING,
//! ACTIVATING and ACTIVE, in even steps over `Settings::fleet_activation_delay`; each of its
//! locations walks the same way (the home location's status is the fleet's). Every location
//! starts with one PENDING instance, which becomes ACTIVE with its location. All steps are
//! queued when the walk starts, each due at its own time, so a late tick does not stretch the
//! walk; a step whose location has moved on (or is being deleted) is a no-op. An Anywhere fleet
//! is ACTIVE at once and has no instances. Fixture fleets keep the status they were given.
//!
//! # Deletion
//! DeleteFleet (and DeleteFleetLocations) shut instances down at once: the fleet or location is
//! DELETING, its instances TERMINATING, and every game session on them ends TERMINATED with
//! StatusReason INTERRUPTED (a session that was already TERMINATING ends with its own reason).
//! After `Settings::instance_activation_delay` (the time instances take to go away) the
//! location or fleet is gone: the API then answers NotFoundException for the fleet, as the
//! documentation's "TERMINATED -- The fleet no longer exists" and "attribute objects are
//! returned only for fleets that currently exist" describe.
//!
//! # Events
//! FLEET_CREATED, FLEET_STATE_* for the fleet's walk, LOCATION_STATE_* for remote locations
//! (NEW → LOCATION_STATE_PENDING, DOWNLOADING and VALIDATING → LOCATION_STATE_CREATING,
//! BUILDING → LOCATION_STATE_CREATED, ACTIVATING → LOCATION_STATE_ACTIVATING, ACTIVE →
//! LOCATION_STATE_ACTIVE, DELETING → LOCATION_STATE_DELETING, gone → LOCATION_STATE_DELETED),
//! FLEET_SCALING_EVENT for capacity changes, FLEET_NEW_GAME_SESSION_PROTECTION_POLICY_UPDATED,
//! and FLEET_DELETED when deletion is requested (the EventCode documentation: "A request to
//! delete a fleet was initiated").

use std::sync::Arc;
use std::time::Duration;

use super::fleet::{
    ComputeType, CreationLimit, Fleet, FleetAttrs, FleetEvent, FleetEventCode, FleetLocation, FleetSpec,
    FleetTimer, IpPermission, LocationSpec, RuntimeConfig,
};
use super::timers::{Subject, Timer};
use super::world::{Now, World};
use super::{FleetStatus, GameSessionStatus, GameSessionStatusReason, ProtectionPolicy, ids, regions};
use crate::error::{ApiError, ApiResult};

/// The statuses of the creation walk, in order.
const WALK: [FleetStatus; 6] = [
    FleetStatus::New,
    FleetStatus::Downloading,
    FleetStatus::Validating,
    FleetStatus::Building,
    FleetStatus::Activating,
    FleetStatus::Active,
];

/// The most inbound permissions a fleet can have (`IpPermissionsList` max).
pub const MAX_INBOUND_PERMISSIONS: usize = 50;
/// The base port of fleets created without inbound permissions (as in the fixtures).
pub const DEFAULT_BASE_PORT: u16 = 7777;
/// The operating system of Realtime script fleets (Realtime servers run on Linux).
pub const SCRIPT_OPERATING_SYSTEM: &str = "AMAZON_LINUX_2";

pub(crate) fn walk_index(s: FleetStatus) -> Option<usize> {
    WALK.iter().position(|w| *w == s)
}

fn fleet_state_event(s: FleetStatus) -> Option<FleetEventCode> {
    Some(match s {
        FleetStatus::Downloading => FleetEventCode::FleetStateDownloading,
        FleetStatus::Validating => FleetEventCode::FleetStateValidating,
        FleetStatus::Building => FleetEventCode::FleetStateBuilding,
        FleetStatus::Activating => FleetEventCode::FleetStateActivating,
        FleetStatus::Active => FleetEventCode::FleetStateActive,
        _ => return None,
    })
}

fn location_state_event(s: FleetStatus) -> Option<FleetEventCode> {
    Some(match s {
        FleetStatus::New => FleetEventCode::LocationStatePending,
        FleetStatus::Downloading | FleetStatus::Validating => FleetEventCode::LocationStateCreating,
        FleetStatus::Building => FleetEventCode::LocationStateCreated,
        FleetStatus::Activating => FleetEventCode::LocationStateActivating,
        FleetStatus::Active => FleetEventCode::LocationStateActive,
        FleetStatus::Deleting => FleetEventCode::LocationStateDeleting,
        _ => return None,
    })
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) fn fleet_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Fleet {id} not found."))
}

/// A CreateFleet request after wire validation.
#[derive(Debug, Clone)]
pub struct CreateFleet {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// EC2 or ANYWHERE.
    pub compute_type: ComputeType,
    /// RuntimeConfiguration (absent: from the deprecated ServerLaunchPath, if any).
    pub runtime: Option<RuntimeConfig>,
    /// NewGameSessionProtectionPolicy.
    pub protection: ProtectionPolicy,
    /// ResourceCreationLimitPolicy.
    pub creation_limit: Option<CreationLimit>,
    /// Locations (Region codes or custom location names), as listed.
    pub locations: Vec<String>,
    /// Everything else: instance type, fleet type, build or script, inbound permissions,
    /// metric groups, role, certificate, deprecated launch settings, Anywhere cost, ...
    pub attrs: FleetAttrs,
}

/// What UpdateFleetAttributes changes (absent members stay as they are).
#[derive(Debug, Clone, Default)]
pub struct FleetUpdate {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// NewGameSessionProtectionPolicy.
    pub protection: Option<ProtectionPolicy>,
    /// ResourceCreationLimitPolicy.
    pub creation_limit: Option<CreationLimit>,
    /// MetricGroups.
    pub metric_groups: Option<Vec<String>>,
    /// AnywhereConfiguration.Cost.
    pub anywhere_cost: Option<String>,
}

/// Which fleets ListFleets (and the describe-all operations) show.
#[derive(Debug, Clone, Copy, Default)]
pub struct FleetQuery<'a> {
    /// Only fleets deployed with this build (ID or ARN).
    pub build_id: Option<&'a str>,
    /// Only fleets deployed with this script (ID or ARN).
    pub script_id: Option<&'a str>,
    /// Resume after this creation sequence number.
    pub after: Option<u64>,
    /// Page size.
    pub limit: usize,
}

/// Which events DescribeFleetEvents shows: newest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventQuery {
    /// Only events at or after this time (epoch ms).
    pub start_ms: Option<i64>,
    /// Only events at or before this time (epoch ms).
    pub end_ms: Option<i64>,
    /// Resume with events older than this position.
    pub before: Option<u64>,
    /// Page size.
    pub limit: usize,
}

/// Checks inbound permissions: FromPort ≤ ToPort.
pub fn check_permissions(perms: &[IpPermission]) -> ApiResult<()> {
    if let Some(p) = perms.iter().find(|p| p.from_port > p.to_port) {
        return Err(ApiError::InvalidRequest(format!(
            "Invalid IpPermission: ToPort {} must be greater than or equal to FromPort {}.",
            p.to_port, p.from_port
        )));
    }
    Ok(())
}

impl CreateFleet {
    /// The runtime configuration the fleet gets: the given one, else one process from the
    /// deprecated ServerLaunchPath (with ServerLaunchParameters), else none.
    pub fn effective_runtime(&self) -> Option<RuntimeConfig> {
        if let Some(r) = &self.runtime {
            return Some(r.clone());
        }
        let path = self.attrs.server_launch_path.as_deref()?;
        Some(RuntimeConfig {
            server_processes: vec![super::fleet::ServerProcess {
                launch_path: path.to_owned(),
                parameters: self.attrs.server_launch_parameters.clone(),
                concurrent_executions: 1,
            }],
            ..Default::default()
        })
    }

    /// The rules of CreateFleet that need no world: what an EC2 fleet must have (an instance
    /// type, exactly one of BuildId and ScriptId, a runtime configuration with installed launch
    /// paths, sound port ranges) and what an Anywhere fleet must not have (builds, scripts,
    /// instance types, inbound permissions) and must have (Locations).
    pub fn check(&self) -> ApiResult<()> {
        let runtime = self.effective_runtime();
        match self.compute_type {
            ComputeType::Ec2 => self.check_ec2(runtime.as_ref()),
            ComputeType::Anywhere => self.check_anywhere(runtime.as_ref()),
        }
    }

    fn check_ec2(&self, runtime: Option<&RuntimeConfig>) -> ApiResult<()> {
        let attrs = &self.attrs;
        if attrs.instance_type.is_none() {
            return Err(ApiError::InvalidRequest(
                "EC2InstanceType is required for fleets of compute type EC2.".into(),
            ));
        }
        match (&attrs.build_id, &attrs.script_id) {
            (Some(_), Some(_)) => {
                return Err(ApiError::InvalidRequest(
                    "Specify either a BuildId or a ScriptId, but not both.".into(),
                ));
            }
            (None, None) => {
                return Err(ApiError::InvalidRequest(
                    "A fleet of compute type EC2 needs a BuildId or a ScriptId.".into(),
                ));
            }
            _ => {}
        }
        let Some(runtime) = runtime else {
            return Err(ApiError::InvalidRequest(
                "A RuntimeConfiguration with at least one ServerProcesses entry is required for fleets of compute type EC2."
                    .into(),
            ));
        };
        runtime.check(true)?;
        check_permissions(&attrs.inbound_permissions)
    }

    fn check_anywhere(&self, runtime: Option<&RuntimeConfig>) -> ApiResult<()> {
        let attrs = &self.attrs;
        for (what, given) in [
            ("BuildId", attrs.build_id.is_some()),
            ("ScriptId", attrs.script_id.is_some()),
            ("EC2InstanceType", attrs.instance_type.is_some()),
            ("EC2InboundPermissions", !attrs.inbound_permissions.is_empty()),
        ] {
            if given {
                return Err(ApiError::InvalidRequest(format!(
                    "{what} is not supported for fleets of compute type ANYWHERE."
                )));
            }
        }
        if self.locations.is_empty() {
            return Err(ApiError::InvalidRequest(
                "A fleet of compute type ANYWHERE needs Locations with at least one custom location.".into(),
            ));
        }
        runtime.map_or(Ok(()), |r| r.check(false))
    }
}

/// The attributes AWS fills in when CreateFleet leaves them out: ON_DEMAND and a DISABLED
/// certificate on EC2 fleets, and the `default` metric group.
fn apply_defaults(attrs: &mut FleetAttrs, compute: ComputeType) {
    if compute == ComputeType::Ec2 {
        attrs.fleet_type.get_or_insert_with(|| "ON_DEMAND".into());
        attrs.certificate_type.get_or_insert_with(|| "DISABLED".into());
    }
    if attrs.metric_groups.is_empty() {
        attrs.metric_groups.push("default".into());
    }
}

/// The locations DeleteFleetLocations may delete, by index, each once: locations of the fleet,
/// never its home Region.
fn check_deletable_locations(fleet: &Fleet, names: &[String]) -> ApiResult<Vec<usize>> {
    let id = &fleet.id;
    let mut idxs: Vec<usize> = Vec::with_capacity(names.len());
    for n in names {
        let i = super::game_session::locate(fleet, n)?;
        if i == 0 {
            return Err(ApiError::InvalidRequest(format!(
                "Location {n} is the home Region of fleet {id}; delete the fleet instead."
            )));
        }
        if !idxs.contains(&i) {
            idxs.push(i);
        }
    }
    Ok(idxs)
}

impl World {
    /// Checks that `name` can be a (new) location of a fleet of compute type `compute`: an AWS
    /// Region for EC2 fleets, an existing custom location for Anywhere fleets.
    fn check_location_name(&self, compute: ComputeType, name: &str) -> ApiResult<()> {
        let region = regions::is_aws_region(name);
        let custom = regions::is_custom_location_name(name);
        match compute {
            ComputeType::Ec2 if region => Ok(()),
            ComputeType::Ec2 if custom => Err(ApiError::InvalidRequest(format!(
                "Location {name} is a custom location; custom locations can only be used with fleets of compute type ANYWHERE."
            ))),
            ComputeType::Anywhere if custom => self.custom_location(name).map(|_| ()),
            ComputeType::Anywhere if region => Err(ApiError::InvalidRequest(format!(
                "Location {name} is an AWS Region; fleets of compute type ANYWHERE use custom locations (create one with CreateLocation)."
            ))),
            _ => Err(ApiError::UnsupportedRegion(format!(
                "Location {name} is not a Region supported by Amazon GameLift."
            ))),
        }
    }

    /// CreateFleet: validates the request (see the module documentation), creates the fleet
    /// with its tags, and starts its creation walk. Returns the fleet ID.
    pub fn create_fleet(
        &mut self,
        req: CreateFleet,
        tags: Vec<(String, String)>,
        now: Now,
    ) -> ApiResult<Arc<str>> {
        req.check()?;
        self.check_new_fleet_locations(req.compute_type, &req.locations)?;
        super::tags::check_tags(&tags)?;
        let runtime = req.effective_runtime();
        let CreateFleet {
            name,
            description,
            compute_type,
            protection,
            creation_limit,
            locations,
            mut attrs,
            ..
        } = req;
        self.resolve_build_or_script(&mut attrs)?;
        apply_defaults(&mut attrs, compute_type);
        let ec2 = compute_type == ComputeType::Ec2;
        let status = if ec2 { FleetStatus::New } else { FleetStatus::Active };
        let desired = u32::from(ec2);
        let spec_locations = locations
            .into_iter()
            .map(|name| LocationSpec { name, desired, min: 0, max: 1, status })
            .collect();
        let base_port = attrs.inbound_permissions.first().map_or(DEFAULT_BASE_PORT, |p| p.from_port.max(1));
        let spec = FleetSpec {
            id: None,
            name,
            description,
            compute_type,
            status,
            home_region: None,
            locations: spec_locations,
            runtime: runtime.unwrap_or_default(),
            protection,
            creation_limit,
            activation_delay: None,
            ip_address: None,
            dns_name: None,
            base_port,
            capacity_from_processes: false,
            attrs,
        };
        let id = self.insert_fleet(spec, now)?;
        self.start_fleet(&id, now)?;
        let arn = self.fleet(&id)?.arn.clone();
        self.put_tags(&arn, tags)?;
        Ok(id)
    }

    /// The Locations of a new fleet: each listed once and fit for its compute type (the home
    /// Region is always fine for EC2).
    fn check_new_fleet_locations(&self, compute: ComputeType, locations: &[String]) -> ApiResult<()> {
        let home = &self.settings.region;
        for (i, l) in locations.iter().enumerate() {
            if locations[..i].contains(l) {
                return Err(ApiError::InvalidRequest(format!("Location {l} is listed more than once.")));
            }
            if !(compute == ComputeType::Ec2 && l == home) {
                self.check_location_name(compute, l)?;
            }
        }
        Ok(())
    }

    /// Resolves the BuildId (which must be READY) or ScriptId to the resource's ID and takes the
    /// operating system from it.
    fn resolve_build_or_script(&self, attrs: &mut FleetAttrs) -> ApiResult<()> {
        if let Some(b) = attrs.build_id.as_deref() {
            let build = self.build(b)?;
            if build.status != super::build::BuildStatus::Ready {
                return Err(ApiError::InvalidRequest(format!(
                    "Build {} is in status {}; a fleet can only be created from a build in status READY.",
                    build.id, build.status
                )));
            }
            attrs.build_id = Some(build.id.to_string());
            attrs.operating_system = Some(build.operating_system.clone());
        }
        if let Some(s) = attrs.script_id.as_deref() {
            let script = self.script(s)?;
            attrs.script_id = Some(script.id.to_string());
            attrs.operating_system = Some(SCRIPT_OPERATING_SYSTEM.into());
        }
        Ok(())
    }

    /// Starts a new fleet's life: an EC2 fleet records its remote locations as NEW and queues
    /// every location's creation walk; an Anywhere fleet is ACTIVE at once.
    fn start_fleet(&mut self, id: &Arc<str>, now: Now) -> ApiResult<()> {
        let fleet = self.fleets.get_mut(id).ok_or_else(|| fleet_not_found(id))?;
        if fleet.compute_type != ComputeType::Ec2 {
            let message = format!("Fleet {id} changed state to ACTIVE.");
            fleet.record(FleetEventCode::FleetStateActive, message, now.wall_ms);
            return Ok(());
        }
        let keys: Vec<u64> = fleet.locations.iter().map(|l| l.key).collect();
        let remote: Vec<Arc<str>> = fleet.locations.iter().skip(1).map(|l| l.name.clone()).collect();
        for name in remote {
            let message = format!("Location {name} of fleet {id} changed state to NEW.");
            fleet.record(FleetEventCode::LocationStatePending, message, now.wall_ms);
        }
        for key in keys {
            self.schedule_walk(id, key, now);
        }
        Ok(())
    }

    /// Queues the five steps of a location's creation walk.
    fn schedule_walk(&mut self, fleet: &Arc<str>, key: u64, now: Now) {
        let delay = self.settings.fleet_activation_delay;
        for (k, to) in WALK.iter().enumerate().skip(1) {
            let after = delay * k as u32 / (WALK.len() as u32 - 1);
            let timer = FleetTimer::Step {
                fleet: fleet.clone(),
                location: key,
                to: *to,
                wall_ms: now.wall_ms + ms(after),
            };
            self.schedule(now.at + after, Timer::Fleet(timer));
        }
    }

    /// Applies a fleet transition that fell due (re-checking the current state first).
    pub(crate) fn apply_fleet_timer(&mut self, timer: FleetTimer, _now: Now) {
        match timer {
            FleetTimer::Step { fleet, location, to, wall_ms } => {
                self.step_location(&fleet, location, to, wall_ms)
            }
            FleetTimer::InstanceReady { fleet, location, instance } => {
                let Some(f) = self.fleets.get_mut(&fleet) else { return };
                let slots = f.runtime.slots_per_instance();
                if let Some(i) = f.location_by_key(location)
                    && f.locations[i].status == FleetStatus::Active
                {
                    f.locations[i].activate_instance(instance, slots);
                }
            }
            FleetTimer::InstanceGone { fleet, location, instance } => {
                if let Some(f) = self.fleets.get_mut(&fleet)
                    && let Some(i) = f.location_by_key(location)
                {
                    f.locations[i].remove_instance(instance);
                }
            }
            FleetTimer::LocationGone { fleet, location, wall_ms } => {
                let Some(f) = self.fleets.get_mut(&fleet) else { return };
                let Some(i) = f.location_by_key(location) else { return };
                if i == 0 || f.locations[i].status != FleetStatus::Deleting {
                    return;
                }
                let loc = f.locations.remove(i);
                let message = format!("Location {} of fleet {} was deleted.", loc.name, f.id);
                f.record(FleetEventCode::LocationStateDeleted, message, wall_ms);
                self.cancel_timers(
                    Subject::Fleet(fleet),
                    |t| matches!(t, Timer::Fleet(t) if t.location() == Some(location)),
                );
            }
            FleetTimer::FleetGone { fleet } => {
                if self.fleets.get(&fleet).is_some_and(|f| f.status == FleetStatus::Deleting)
                    && let Some(f) = self.fleets.remove(&fleet)
                {
                    self.drop_tags(&f.arn);
                    self.cancel_timers(Subject::Fleet(fleet), |_| true);
                }
            }
        }
    }

    fn step_location(&mut self, fleet: &str, key: u64, to: FleetStatus, wall_ms: i64) {
        let Some(f) = self.fleets.get_mut(fleet) else { return };
        let Some(i) = f.location_by_key(key) else { return };
        let (Some(cur), Some(target)) = (walk_index(f.locations[i].status), walk_index(to)) else { return };
        if cur >= target {
            return;
        }
        let slots = f.runtime.slots_per_instance();
        let loc = &mut f.locations[i];
        loc.status = to;
        if to == FleetStatus::Active {
            loc.activate_pending(slots);
        }
        let name = loc.name.clone();
        if i == 0 {
            f.status = to;
            if let Some(code) = fleet_state_event(to) {
                let message = format!("Fleet {} changed state to {to}.", f.id);
                f.record(code, message, wall_ms);
            }
        } else if let Some(code) = location_state_event(to) {
            let message = format!("Location {name} of fleet {} changed state to {to}.", f.id);
            f.record(code, message, wall_ms);
        }
    }

    /// Ends game sessions because their instance shut down: TERMINATED with StatusReason
    /// INTERRUPTED, or with its own pending reason for a session that was already TERMINATING.
    pub(crate) fn interrupt_game_sessions(&mut self, seqs: Vec<u64>, now: Now) {
        for seq in seqs {
            let reason = match self.sessions.get(&seq) {
                Some(s) if s.status == GameSessionStatus::Terminating => s.ending,
                Some(_) => Some(GameSessionStatusReason::Interrupted),
                None => continue,
            };
            self.end_game_session(seq, now, reason);
        }
    }

    /// The game sessions of `fleet` that have not ended, in the given location (or all).
    fn live_sessions(&self, fleet: &Fleet, location: Option<&FleetLocation>) -> Vec<u64> {
        let set = location.map_or(&fleet.sessions, |l| &l.sessions);
        set.iter().copied().filter(|seq| self.sessions.get(seq).is_some_and(|s| s.is_live())).collect()
    }

    /// DeleteFleet: DELETING now (instances TERMINATING, game sessions ended), gone after the
    /// instance activation delay. `InvalidFleetStatusException` if it is already DELETING.
    pub fn delete_fleet(&mut self, id_or_arn: &str, now: Now) -> ApiResult<()> {
        let fleet = self.fleet(id_or_arn)?;
        if fleet.status == FleetStatus::Deleting {
            return Err(ApiError::InvalidFleetStatus(format!(
                "Cannot delete fleet {} that is in status of DELETING.",
                fleet.id
            )));
        }
        let id = fleet.id.clone();
        let sessions = self.live_sessions(fleet, None);
        let Some(fleet) = self.fleets.get_mut(&id) else { return Err(fleet_not_found(&id)) };
        fleet.status = FleetStatus::Deleting;
        for loc in &mut fleet.locations {
            loc.status = FleetStatus::Deleting;
            let nos: Vec<u32> = loc.instances.keys().copied().collect();
            for no in nos {
                loc.retire_instance(no);
            }
        }
        let message = format!("A request to delete fleet {id} was initiated.");
        fleet.record(FleetEventCode::FleetDeleted, message, now.wall_ms);
        // The creation walk and pending instances stop where they are.
        self.cancel_timers(Subject::Fleet(id.clone()), |t| {
            matches!(t, Timer::Fleet(FleetTimer::Step { .. } | FleetTimer::InstanceReady { .. }))
        });
        self.interrupt_game_sessions(sessions, now);
        self.shut_down_hosts(&id, None, now, Some(GameSessionStatusReason::Interrupted));
        let after = self.settings.instance_activation_delay;
        self.schedule(now.at + after, Timer::Fleet(FleetTimer::FleetGone { fleet: id }));
        Ok(())
    }

    /// A fleet that may be changed: `NotFoundException` when unknown,
    /// `InvalidFleetStatusException` while it is DELETING.
    fn fleet_mut_not_deleting(&mut self, id_or_arn: &str) -> ApiResult<&mut Fleet> {
        let id = ids::id_from_id_or_arn(id_or_arn, "fleet");
        let fleet = self.fleets.get_mut(id).ok_or_else(|| fleet_not_found(id))?;
        if fleet.status == FleetStatus::Deleting {
            return Err(ApiError::InvalidFleetStatus(format!(
                "Fleet {} is in status DELETING and can no longer be changed.",
                fleet.id
            )));
        }
        Ok(fleet)
    }

    /// UpdateFleetAttributes.
    pub fn update_fleet_attributes(
        &mut self,
        id_or_arn: &str,
        update: FleetUpdate,
        now: Now,
    ) -> ApiResult<&Fleet> {
        let fleet = self.fleet_mut_not_deleting(id_or_arn)?;
        if update.anywhere_cost.is_some() && fleet.compute_type != ComputeType::Anywhere {
            return Err(ApiError::InvalidRequest(format!(
                "AnywhereConfiguration can only be set on fleets of compute type ANYWHERE; fleet {} is EC2.",
                fleet.id
            )));
        }
        if let Some(name) = update.name {
            fleet.name = name;
        }
        if let Some(d) = update.description {
            fleet.description = Some(d);
        }
        if let Some(p) = update.protection
            && p != fleet.protection
        {
            let message = format!(
                "NewGameSessionProtectionPolicy of fleet {} changed from {} to {p}.",
                fleet.id, fleet.protection
            );
            fleet.protection = p;
            fleet.record(FleetEventCode::FleetNewGameSessionProtectionPolicyUpdated, message, now.wall_ms);
        }
        if let Some(l) = update.creation_limit {
            fleet.creation_limit_policy = Some(l);
            fleet.creation_limit = Some(l).filter(|l| l.per_creator > 0);
        }
        if let Some(groups) = update.metric_groups {
            fleet.attrs.metric_groups = groups;
        }
        if let Some(cost) = update.anywhere_cost {
            fleet.attrs.anywhere_cost = Some(cost);
        }
        Ok(fleet)
    }

    /// UpdateRuntimeConfiguration: the slots per instance follow at once (existing game
    /// sessions keep their slots).
    pub fn update_runtime_configuration(
        &mut self,
        id_or_arn: &str,
        runtime: RuntimeConfig,
    ) -> ApiResult<&Fleet> {
        let fleet = self.fleet_mut_not_deleting(id_or_arn)?;
        runtime.check(fleet.compute_type == ComputeType::Ec2)?;
        fleet.runtime = runtime;
        let slots = fleet.runtime.slots_per_instance();
        for loc in &mut fleet.locations {
            loc.refresh_room(slots);
        }
        Ok(fleet)
    }

    /// UpdateFleetPortSettings: revocations must match existing permissions, authorizations
    /// must not duplicate one; the first permission's FromPort becomes the port of slot 0.
    pub fn update_port_settings(
        &mut self,
        id_or_arn: &str,
        add: Vec<IpPermission>,
        remove: Vec<IpPermission>,
    ) -> ApiResult<&Fleet> {
        let fleet = self.fleet_mut_not_deleting(id_or_arn)?;
        if fleet.compute_type != ComputeType::Ec2 {
            return Err(ApiError::InvalidRequest(format!(
                "Fleet {} is of compute type ANYWHERE; port settings apply to managed EC2 fleets.",
                fleet.id
            )));
        }
        check_permissions(&add)?;
        let mut perms = fleet.attrs.inbound_permissions.clone();
        for r in &remove {
            let Some(pos) = perms.iter().position(|p| p == r) else {
                return Err(ApiError::InvalidRequest(format!(
                    "Cannot revoke {}-{} {} {}: fleet {} has no such inbound permission.",
                    r.from_port, r.to_port, r.protocol, r.ip_range, fleet.id
                )));
            };
            perms.remove(pos);
        }
        for a in add {
            if perms.contains(&a) {
                return Err(ApiError::InvalidRequest(format!(
                    "Fleet {} already has the inbound permission {}-{} {} {}.",
                    fleet.id, a.from_port, a.to_port, a.protocol, a.ip_range
                )));
            }
            perms.push(a);
        }
        if perms.len() > MAX_INBOUND_PERMISSIONS {
            return Err(ApiError::LimitExceeded(format!(
                "Fleet {} would have {} inbound permissions; a fleet can have at most {MAX_INBOUND_PERMISSIONS}.",
                fleet.id,
                perms.len()
            )));
        }
        if let Some(first) = perms.first() {
            fleet.base_port = first.from_port.max(1);
        }
        fleet.attrs.inbound_permissions = perms;
        Ok(fleet)
    }

    /// CreateFleetLocations: each location must be new to the fleet (`InvalidRequestException`
    /// otherwise) and fit its compute type. An EC2 location walks NEW → ACTIVE with one
    /// instance; an Anywhere (custom) location is ACTIVE at once. Returns the fleet ID and the
    /// keys of the added locations.
    pub fn create_fleet_locations(
        &mut self,
        id_or_arn: &str,
        names: Vec<String>,
        now: Now,
    ) -> ApiResult<(Arc<str>, Vec<u64>)> {
        let fleet = self.fleet(id_or_arn)?;
        if fleet.status != FleetStatus::Active {
            return Err(ApiError::InvalidFleetStatus(format!(
                "Fleet {} is in status {}; locations can only be added to ACTIVE fleets.",
                fleet.id, fleet.status
            )));
        }
        let (id, compute) = (fleet.id.clone(), fleet.compute_type);
        let mut seen: Vec<&str> = Vec::with_capacity(names.len());
        for n in &names {
            if seen.contains(&n.as_str()) {
                return Err(ApiError::InvalidRequest(format!("Location {n} is listed more than once.")));
            }
            if fleet.location_index(n).is_some() {
                return Err(ApiError::InvalidRequest(format!("Fleet {id} already has location {n}.")));
            }
            self.check_location_name(compute, n)?;
            seen.push(n);
        }
        let ec2 = compute == ComputeType::Ec2;
        let Some(fleet) = self.fleets.get_mut(&id) else { return Err(fleet_not_found(&id)) };
        let mut keys = Vec::with_capacity(names.len());
        for n in names {
            let status = if ec2 { FleetStatus::New } else { FleetStatus::Active };
            let spec = LocationSpec { name: n.clone(), desired: u32::from(ec2), min: 0, max: 1, status };
            let i = fleet.add_location(&spec, now.wall_ms);
            let message = format!("Location {n} of fleet {id} changed state to {status}.");
            let code =
                if ec2 { FleetEventCode::LocationStatePending } else { FleetEventCode::LocationStateActive };
            fleet.record(code, message, now.wall_ms);
            keys.push(fleet.locations[i].key);
        }
        if ec2 {
            for key in &keys {
                self.schedule_walk(&id, *key, now);
            }
        }
        Ok((id, keys))
    }

    /// DeleteFleetLocations: each location DELETING now (instances TERMINATING, game sessions
    /// ended) and gone after the instance activation delay. The home Region cannot be deleted.
    /// Returns the fleet ID and the keys of the deleted locations.
    pub fn delete_fleet_locations(
        &mut self,
        id_or_arn: &str,
        names: &[String],
        now: Now,
    ) -> ApiResult<(Arc<str>, Vec<u64>)> {
        let fleet = self.fleet(id_or_arn)?;
        if fleet.status == FleetStatus::Deleting {
            return Err(ApiError::InvalidRequest(format!(
                "Fleet {} is being deleted; its locations go with it.",
                fleet.id
            )));
        }
        let id = fleet.id.clone();
        let idxs = check_deletable_locations(fleet, names)?;
        let mut sessions = Vec::new();
        for &i in &idxs {
            if fleet.locations[i].status != FleetStatus::Deleting {
                sessions.extend(self.live_sessions(fleet, Some(&fleet.locations[i])));
            }
        }
        let Some(fleet) = self.fleets.get_mut(&id) else { return Err(fleet_not_found(&id)) };
        let mut keys = Vec::with_capacity(idxs.len());
        let mut gone = Vec::new();
        let mut gone_names = Vec::new();
        for i in idxs {
            let loc = &mut fleet.locations[i];
            keys.push(loc.key);
            if loc.status == FleetStatus::Deleting {
                continue;
            }
            loc.status = FleetStatus::Deleting;
            let nos: Vec<u32> = loc.instances.keys().copied().collect();
            for no in nos {
                loc.retire_instance(no);
            }
            let message = format!("Location {} of fleet {id} changed state to DELETING.", loc.name);
            gone.push(loc.key);
            gone_names.push(loc.name.clone());
            fleet.record(FleetEventCode::LocationStateDeleting, message, now.wall_ms);
        }
        self.cancel_timers(Subject::Fleet(id.clone()), |t| {
            matches!(t, Timer::Fleet(t @ (FleetTimer::Step { .. } | FleetTimer::InstanceReady { .. }))
                if t.location().is_some_and(|k| gone.contains(&k)))
        });
        self.interrupt_game_sessions(sessions, now);
        for name in &gone_names {
            self.shut_down_hosts(&id, Some(name), now, Some(GameSessionStatusReason::Interrupted));
        }
        let after = self.settings.instance_activation_delay;
        for key in gone {
            let timer = FleetTimer::LocationGone {
                fleet: id.clone(),
                location: key,
                wall_ms: now.wall_ms + ms(after),
            };
            self.schedule(now.at + after, Timer::Fleet(timer));
        }
        Ok((id, keys))
    }

    /// Fleets by ID or ARN, in the order asked, leaving out the ones that do not exist (as
    /// DescribeFleetAttributes, DescribeFleetCapacity and DescribeFleetUtilization document).
    pub fn fleets_by_ids(&self, ids_or_arns: &[String]) -> Vec<&Fleet> {
        let mut out: Vec<&Fleet> = Vec::with_capacity(ids_or_arns.len());
        for x in ids_or_arns {
            if let Ok(f) = self.fleet(x)
                && !out.iter().any(|o| o.id == f.id)
            {
                out.push(f);
            }
        }
        out
    }

    /// One page of fleets in creation order, and the cursor for the next page.
    pub fn list_fleets(&self, q: &FleetQuery<'_>) -> (Vec<&Fleet>, Option<u64>) {
        let after = q.after.unwrap_or(0);
        let build = q.build_id.map(|b| ids::id_from_id_or_arn(b, "build"));
        let script = q.script_id.map(|s| ids::id_from_id_or_arn(s, "script"));
        let mut matching: Vec<&Fleet> = self
            .fleets
            .values()
            .filter(|f| f.seq > after)
            .filter(|f| build.is_none_or(|b| f.attrs.build_id.as_deref() == Some(b)))
            .filter(|f| script.is_none_or(|s| f.attrs.script_id.as_deref() == Some(s)))
            .collect();
        matching.sort_unstable_by_key(|f| f.seq);
        super::paging::page(matching.into_iter().map(|f| (f.seq, f)), q.limit)
    }

    /// One page of a fleet's events, newest first, and the cursor for the next page.
    pub fn fleet_events<'a>(&self, fleet: &'a Fleet, q: &EventQuery) -> (Vec<&'a FleetEvent>, Option<u64>) {
        let before = q.before.unwrap_or(u64::MAX);
        let items = fleet
            .events
            .iter()
            .rev()
            .filter(|e| e.seq < before)
            .filter(|e| q.start_ms.is_none_or(|t| e.time_ms >= t))
            .filter(|e| q.end_ms.is_none_or(|t| e.time_ms <= t))
            .map(|e| (e.seq, e));
        super::paging::page(items, q.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::build::{BuildSpec, S3Location};
    use super::super::fleet::{InstanceStatus, ServerProcess};
    use super::*;

    fn now() -> Now {
        Now { at: tokio::time::Instant::now(), wall_ms: 1_700_000_000_000 }
    }

    fn world_with_build() -> (World, String) {
        let mut w = World::new(Settings::for_tests());
        let loc = S3Location {
            bucket: "b".into(),
            key: "k".into(),
            role_arn: Some("r".into()),
            object_version: None,
        };
        let spec = BuildSpec {
            name: None,
            version: None,
            operating_system: "AMAZON_LINUX_2023".into(),
            server_sdk_version: None,
            storage: Some(loc),
        };
        let id = w.create_build(spec, vec![], now()).unwrap().id.to_string();
        (w, id)
    }

    fn req(build: &str) -> CreateFleet {
        CreateFleet {
            name: "f".into(),
            description: None,
            compute_type: ComputeType::Ec2,
            runtime: Some(RuntimeConfig {
                server_processes: vec![ServerProcess {
                    launch_path: "/local/game/server".into(),
                    parameters: None,
                    concurrent_executions: 2,
                }],
                ..Default::default()
            }),
            protection: ProtectionPolicy::NoProtection,
            creation_limit: None,
            locations: vec!["us-west-2".into()],
            attrs: FleetAttrs {
                instance_type: Some("c5.large".into()),
                build_id: Some(build.into()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn create_fleet_check_is_the_ec2_versus_anywhere_and_build_versus_script_matrix() {
        let ok = req("build-1");
        assert!(ok.check().is_ok());
        let with = |f: fn(&mut CreateFleet)| {
            let mut r = req("build-1");
            f(&mut r);
            r.check().map_err(|e| e.message().to_owned())
        };
        type Change = fn(&mut CreateFleet);
        let cases: [(Change, &str); 9] = [
            (|r| r.attrs.instance_type = None, "EC2InstanceType is required"),
            (|r| r.attrs.script_id = Some("script-1".into()), "either a BuildId or a ScriptId"),
            (|r| r.attrs.build_id = None, "needs a BuildId or a ScriptId"),
            (|r| r.runtime = None, "A RuntimeConfiguration with at least one"),
            (
                |r| r.runtime.as_mut().unwrap().server_processes[0].launch_path = "/tmp/x".into(),
                "LaunchPath /tmp/x",
            ),
            (
                |r| {
                    r.attrs.inbound_permissions = vec![IpPermission {
                        from_port: 9,
                        to_port: 8,
                        ip_range: "0.0.0.0/0".into(),
                        protocol: "UDP".into(),
                    }]
                },
                "ToPort 8 must be greater",
            ),
            (
                |r| (r.compute_type, r.attrs.instance_type) = (ComputeType::Anywhere, None),
                "BuildId is not supported for fleets of compute type ANYWHERE",
            ),
            (
                |r| {
                    (r.compute_type, r.attrs.instance_type, r.attrs.build_id) =
                        (ComputeType::Anywhere, None, None);
                    r.locations.clear();
                },
                "needs Locations with at least one custom location",
            ),
            (
                |r| {
                    (r.compute_type, r.attrs.build_id) = (ComputeType::Anywhere, None);
                },
                "EC2InstanceType is not supported",
            ),
        ];
        for (change, message) in cases {
            let got = with(change).unwrap_err();
            assert!(got.contains(message), "{message:?} not in {got:?}");
        }
        // ServerLaunchPath stands in for a missing runtime configuration.
        let mut legacy = req("build-1");
        legacy.runtime = None;
        legacy.attrs.server_launch_path = Some("/local/game/legacy".into());
        assert!(legacy.check().is_ok());
        assert_eq!(legacy.effective_runtime().unwrap().slots_per_instance(), 1);
    }

    #[test]
    fn create_fleet_steps_check_locations_resolve_the_build_and_fill_defaults() {
        let (w, build) = world_with_build();
        let twice = ["us-west-2".to_string(), "us-west-2".to_string()];
        let err = w.check_new_fleet_locations(ComputeType::Ec2, &twice).unwrap_err();
        assert_eq!(err.message(), "Location us-west-2 is listed more than once.");
        let custom = ["custom-x".to_string()];
        assert!(
            w.check_new_fleet_locations(ComputeType::Ec2, &custom)
                .unwrap_err()
                .message()
                .contains("custom location")
        );
        assert!(w.check_new_fleet_locations(ComputeType::Ec2, &["us-east-1".to_string()]).is_ok());
        let mut attrs = FleetAttrs { build_id: Some(build.clone()), ..Default::default() };
        w.resolve_build_or_script(&mut attrs).unwrap();
        assert_eq!(attrs.operating_system.as_deref(), Some("AMAZON_LINUX_2023"));
        let mut missing = FleetAttrs { build_id: Some("build-nope".into()), ..Default::default() };
        assert_eq!(w.resolve_build_or_script(&mut missing).unwrap_err().code(), "NotFoundException");
        apply_defaults(&mut attrs, ComputeType::Ec2);
        assert_eq!(
            (attrs.fleet_type.as_deref(), attrs.certificate_type.as_deref()),
            (Some("ON_DEMAND"), Some("DISABLED"))
        );
        assert_eq!(attrs.metric_groups, ["default"]);
        let mut anywhere = FleetAttrs::default();
        apply_defaults(&mut anywhere, ComputeType::Anywhere);
        assert_eq!((anywhere.fleet_type, anywhere.metric_groups), (None, vec!["default".to_string()]));
        w.check_invariants().unwrap();
    }

    #[test]
    fn check_deletable_locations_refuses_the_home_region_and_lists_each_once() {
        let (mut w, build) = world_with_build();
        let id = w.create_fleet(req(&build), vec![], now()).unwrap();
        let fleet = &w.fleets[&id];
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(check_deletable_locations(fleet, &names(&["us-west-2", "us-west-2"])).unwrap(), vec![1]);
        let home = check_deletable_locations(fleet, &names(&["us-east-1"])).unwrap_err();
        assert!(home.message().contains("is the home Region"), "{}", home.message());
        let other = check_deletable_locations(fleet, &names(&["eu-west-1"])).unwrap_err();
        assert_eq!(other.code(), "InvalidRequestException");
        w.check_invariants().unwrap();
    }

    #[test]
    fn create_fleet_walks_every_location_to_active_in_even_steps() {
        let (mut w, build) = world_with_build();
        let t = now();
        let id = w.create_fleet(req(&build), vec![], t).unwrap();
        let f = &w.fleets[&id];
        assert_eq!(f.status, FleetStatus::New);
        assert_eq!(f.attrs.operating_system.as_deref(), Some("AMAZON_LINUX_2023"));
        assert_eq!(f.locations.len(), 2);
        assert!(f.locations.iter().all(|l| l.count(InstanceStatus::Pending) == 1));
        let mut seen = vec![];
        for k in 1..=5u32 {
            w.advance(t.after(Duration::from_millis(200 * u64::from(k))));
            let f = &w.fleets[&id];
            seen.push(f.status);
            assert_eq!(f.locations[1].status, f.status);
        }
        assert_eq!(seen, WALK[1..].to_vec());
        let f = &w.fleets[&id];
        assert!(f.locations.iter().all(|l| l.count(InstanceStatus::Active) == 1));
        let codes: Vec<&str> = f.events.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes[0], "FLEET_CREATED");
        assert!(
            codes.contains(&"FLEET_STATE_ACTIVE") && codes.contains(&"LOCATION_STATE_ACTIVE"),
            "{codes:?}"
        );
        w.check_invariants().unwrap();
    }

    #[test]
    fn a_late_tick_applies_every_step_with_its_own_time() {
        let (mut w, build) = world_with_build();
        let t = now();
        let id = w.create_fleet(req(&build), vec![], t).unwrap();
        w.advance(t.after(Duration::from_secs(5)));
        let f = &w.fleets[&id];
        assert_eq!(f.status, FleetStatus::Active);
        let active = f.events.iter().find(|e| e.code == FleetEventCode::FleetStateActive).unwrap();
        assert_eq!(active.time_ms, t.wall_ms + 1000);
        w.check_invariants().unwrap();
    }

    #[test]
    fn delete_fleet_is_deleting_then_gone() {
        let (mut w, build) = world_with_build();
        let t = now();
        let id = w.create_fleet(req(&build), vec![], t).unwrap();
        w.delete_fleet(&id, t).unwrap();
        assert_eq!(w.fleets[&id].status, FleetStatus::Deleting);
        assert!(matches!(w.delete_fleet(&id, t), Err(ApiError::InvalidFleetStatus(_))));
        w.advance(t.after(Duration::from_secs(5)));
        assert!(w.fleet(&id).is_err());
        w.check_invariants().unwrap();
    }

    #[test]
    fn bad_runtime_configurations_are_invalid() {
        let (mut w, build) = world_with_build();
        let mut r = req(&build);
        r.runtime.as_mut().unwrap().server_processes[0].concurrent_executions = 51;
        assert!(matches!(w.create_fleet(r, vec![], now()), Err(ApiError::InvalidRequest(_))));
        let mut r = req(&build);
        r.runtime.as_mut().unwrap().server_processes[0].launch_path = "/usr/bin/server".into();
        assert!(matches!(w.create_fleet(r, vec![], now()), Err(ApiError::InvalidRequest(_))));
        let mut r = req(&build);
        r.runtime.as_mut().unwrap().server_processes[0].launch_path = "c:\\game\\server.exe".into();
        assert!(w.create_fleet(r, vec![], now()).is_ok());
        w.check_invariants().unwrap();
    }
}
