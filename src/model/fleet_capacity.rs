//! Capacity: UpdateFleetCapacity, scale-out and scale-in, and the capacity, utilization and
//! instance reports.
//!
//! A location keeps `desired` PENDING or ACTIVE instances. Scale-out adds PENDING instances that
//! become ACTIVE after `Settings::instance_activation_delay`, when their slots become available
//! to CreateGameSession. Scale-in follows the protection of the game sessions: PENDING instances
//! go first, then idle ACTIVE ones, then ones hosting only unprotected game sessions (fewest
//! sessions first; those sessions end TERMINATED, StatusReason INTERRUPTED). An instance hosting
//! a game session with ProtectionPolicy FullProtection (ACTIVATING or ACTIVE) is not shut down:
//! the location stays above its desired count until such sessions end, and each game session
//! that ends there retries the scale-in (`World::release_slot`). A retired instance is
//! TERMINATING for the instance activation delay and then gone; instance numbers are never
//! reused.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::fleet::{
    ComputeType, Fleet, FleetEventCode, FleetLocation, FleetTimer, Instance, InstanceStatus, ManagedCapacity,
};
use super::game_session::Host;
use super::timers::Timer;
use super::world::{Now, World};
use super::{FleetStatus, GameSessionStatus, ProtectionPolicy};
use crate::error::{ApiError, ApiResult};

/// The most instances one fleet location may be asked to run (the emulator's stand-in for the
/// per-instance-type service limits that make AWS answer `LimitExceededException`).
pub const MAX_INSTANCES_PER_LOCATION: u32 = 1000;

/// `ZeroCapacityStrategy` that manages MinSize itself (MinSize may then not be set).
pub const SCALE_TO_AND_FROM_ZERO: &str = "SCALE_TO_AND_FROM_ZERO";

/// What UpdateFleetCapacity changes (absent members stay as they are).
#[derive(Debug, Clone, Default)]
pub struct CapacityUpdate {
    /// DesiredInstances.
    pub desired: Option<u32>,
    /// MinSize.
    pub min: Option<u32>,
    /// MaxSize.
    pub max: Option<u32>,
    /// Location (absent: the home Region).
    pub location: Option<String>,
    /// ManagedCapacityConfiguration.
    pub managed: Option<ManagedCapacity>,
}

/// `EC2InstanceCounts` of a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InstanceCounts {
    /// DESIRED.
    pub desired: u32,
    /// MINIMUM.
    pub minimum: u32,
    /// MAXIMUM.
    pub maximum: u32,
    /// PENDING.
    pub pending: u32,
    /// ACTIVE.
    pub active: u32,
    /// IDLE: ACTIVE instances hosting no game session.
    pub idle: u32,
    /// TERMINATING.
    pub terminating: u32,
}

/// `FleetUtilization` of a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Utilization {
    /// Server processes on ACTIVE instances.
    pub active_server_processes: u32,
    /// ACTIVE game sessions.
    pub active_game_sessions: u32,
    /// Player sessions (RESERVED or ACTIVE) in those game sessions.
    pub current_players: u32,
    /// Σ MaximumPlayerSessionCount of those game sessions.
    pub max_players: u32,
}

/// One page of DescribeInstances: instances with their location, and the cursor for the next.
pub type InstancePage<'a> = (Vec<(&'a FleetLocation, &'a Instance)>, Option<u64>);

/// Which instances DescribeInstances shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstanceQuery<'a> {
    /// The location (absent: the home Region, or every location when looking for one instance).
    pub location: Option<&'a str>,
    /// Only this instance.
    pub instance_id: Option<&'a str>,
    /// Resume after this instance number.
    pub after: Option<u64>,
    /// Page size.
    pub limit: usize,
}

impl FleetLocation {
    /// The location's instance counts.
    pub fn instance_counts(&self) -> InstanceCounts {
        let mut c = InstanceCounts {
            desired: self.desired,
            minimum: self.min,
            maximum: self.max,
            ..Default::default()
        };
        for i in self.instances.values() {
            match i.status {
                InstanceStatus::Pending => c.pending += 1,
                InstanceStatus::Active => {
                    c.active += 1;
                    if i.used() == 0 {
                        c.idle += 1;
                    }
                }
                InstanceStatus::Terminating => c.terminating += 1,
            }
        }
        c
    }
}

/// The capacity settings `update` gives location `loc`: (desired, min, max), within each other
/// and the per-location limit; MinSize cannot be set while the location scales to and from zero.
fn check_capacity(loc: &super::fleet::FleetLocation, update: &CapacityUpdate) -> ApiResult<(u32, u32, u32)> {
    let zero_managed = update
        .managed
        .as_ref()
        .or(loc.managed_capacity.as_ref())
        .is_some_and(|m| m.zero_capacity_strategy.as_deref() == Some(SCALE_TO_AND_FROM_ZERO));
    if zero_managed && update.min.is_some() {
        return Err(ApiError::InvalidRequest(
                "MinSize cannot be set when ManagedCapacityConfiguration.ZeroCapacityStrategy is SCALE_TO_AND_FROM_ZERO."
                    .into(),
            ));
    }
    let desired = update.desired.unwrap_or(loc.desired);
    let min = update.min.unwrap_or(loc.min);
    let max = update.max.unwrap_or(loc.max);
    if min > max {
        return Err(ApiError::InvalidRequest(format!(
            "MinSize ({min}) must be less than or equal to MaxSize ({max})."
        )));
    }
    if desired < min || desired > max {
        return Err(ApiError::InvalidRequest(format!(
            "DesiredInstances ({desired}) must be between MinSize ({min}) and MaxSize ({max})."
        )));
    }
    if max > MAX_INSTANCES_PER_LOCATION {
        return Err(ApiError::LimitExceeded(format!(
            "MaxSize ({max}) exceeds the limit of {MAX_INSTANCES_PER_LOCATION} instances per fleet location."
        )));
    }
    Ok((desired, min, max))
}

impl World {
    /// UpdateFleetCapacity. Returns the fleet ID and the name of the location updated.
    pub fn update_fleet_capacity(
        &mut self,
        id_or_arn: &str,
        update: CapacityUpdate,
        now: Now,
    ) -> ApiResult<(Arc<str>, Arc<str>)> {
        let fleet = self.fleet(id_or_arn)?;
        if fleet.compute_type == ComputeType::Anywhere {
            return Err(ApiError::InvalidRequest(format!(
                "Fleet {} is of compute type ANYWHERE; its capacity comes from the computes you register.",
                fleet.id
            )));
        }
        let idx = match update.location.as_deref() {
            None => 0,
            Some(name) => super::game_session::locate(fleet, name)?,
        };
        if fleet.status != FleetStatus::Active {
            return Err(ApiError::InvalidFleetStatus(format!(
                "Fleet {} is in status {}; capacity can only be updated in ACTIVE fleets.",
                fleet.id, fleet.status
            )));
        }
        let loc = &fleet.locations[idx];
        if loc.status != FleetStatus::Active {
            return Err(ApiError::InvalidFleetStatus(format!(
                "Location {} of fleet {} is in status {}; capacity can only be updated in ACTIVE locations.",
                loc.name, fleet.id, loc.status
            )));
        }
        let (desired, min, max) = check_capacity(loc, &update)?;
        let (id, key, name) = (fleet.id.clone(), loc.key, loc.name.clone());
        let Some(fleet) = self.fleets.get_mut(&id) else {
            return Err(super::fleet_lifecycle::fleet_not_found(&id));
        };
        let loc = &mut fleet.locations[idx];
        let changed = (loc.desired, loc.min, loc.max) != (desired, min, max);
        (loc.desired, loc.min, loc.max) = (desired, min, max);
        if let Some(m) = update.managed {
            loc.managed_capacity = Some(m);
        }
        if changed {
            let message = format!(
                "Capacity settings of fleet {id} in location {name} changed: DesiredInstances {desired}, MinSize {min}, MaxSize {max}."
            );
            fleet.record(FleetEventCode::FleetScalingEvent, message, now.wall_ms);
        }
        self.reconcile_location(&id, key, now);
        Ok((id, name))
    }

    /// Brings a location's PENDING and ACTIVE instances towards its desired count.
    pub(crate) fn reconcile_location(&mut self, fleet_id: &str, key: u64, now: Now) {
        let delay = self.settings.instance_activation_delay;
        let Some(fleet) = self.fleets.get_mut(fleet_id) else { return };
        let slots = fleet.runtime.slots_per_instance();
        let Some(i) = fleet.location_by_key(key) else { return };
        let loc = &mut fleet.locations[i];
        if loc.status != FleetStatus::Active {
            return;
        }
        let live = loc.live_instances();
        if live < loc.desired {
            let added: Vec<u32> = (live..loc.desired)
                .map(|_| loc.add_instance(InstanceStatus::Pending, now.wall_ms, slots))
                .collect();
            let fleet: Arc<str> = fleet.id.clone();
            for instance in added {
                let timer = FleetTimer::InstanceReady { fleet: fleet.clone(), location: key, instance };
                self.schedule(now.at + delay, Timer::Fleet(timer));
            }
        } else if live > loc.desired {
            self.scale_in(fleet_id, key, now);
        }
    }

    /// Retires surplus instances of an ACTIVE location, as far as the protection of their game
    /// sessions allows (see the module documentation).
    pub(crate) fn scale_in(&mut self, fleet_id: &str, key: u64, now: Now) {
        let Some(fleet) = self.fleets.get(fleet_id) else { return };
        let Some(idx) = fleet.location_by_key(key) else { return };
        let loc = &fleet.locations[idx];
        let live = loc.live_instances();
        if loc.status != FleetStatus::Active || live <= loc.desired {
            return;
        }
        let surplus = (live - loc.desired) as usize;
        let mut hosted = self.sessions_by_instance(loc);
        let mut candidates: Vec<(u8, usize, Reverse<u32>)> = loc
            .instances
            .values()
            .filter(|i| i.is_live())
            .filter_map(|i| {
                let (count, protected) = hosted.get(&i.no).map_or((0, false), |(v, p)| (v.len(), *p));
                if protected {
                    return None;
                }
                let rank = match (i.status, count) {
                    (InstanceStatus::Pending, _) => 0,
                    (_, 0) => 1,
                    _ => 2,
                };
                Some((rank, count, Reverse(i.no)))
            })
            .collect();
        candidates.sort_unstable();
        let chosen: Vec<u32> = candidates.into_iter().take(surplus).map(|(_, _, Reverse(no))| no).collect();
        let mut ending = Vec::new();
        for no in &chosen {
            if let Some((seqs, _)) = hosted.remove(no) {
                ending.extend(seqs);
            }
        }
        let delay = self.settings.instance_activation_delay;
        let Some(fleet) = self.fleets.get_mut(fleet_id) else { return };
        let id = fleet.id.clone();
        let loc = &mut fleet.locations[idx];
        for no in &chosen {
            loc.retire_instance(*no);
        }
        // A PENDING instance that is retired never becomes ready.
        self.cancel_timers(super::timers::Subject::Fleet(id.clone()), |t| {
            matches!(t, Timer::Fleet(FleetTimer::InstanceReady { location, instance, .. })
                if *location == key && chosen.contains(instance))
        });
        for instance in chosen {
            let timer = FleetTimer::InstanceGone { fleet: id.clone(), location: key, instance };
            self.schedule(now.at + delay, Timer::Fleet(timer));
        }
        self.interrupt_game_sessions(ending, now);
    }

    /// The live game sessions on each instance of `loc`, and whether any of them is protected
    /// from scale-in (FullProtection, not yet ending).
    fn sessions_by_instance(&self, loc: &super::fleet::FleetLocation) -> BTreeMap<u32, (Vec<u64>, bool)> {
        let mut hosted: BTreeMap<u32, (Vec<u64>, bool)> = BTreeMap::new();
        for seq in &loc.sessions {
            let Some(s) = self.sessions.get(seq) else { continue };
            if !s.is_live() {
                continue;
            }
            match &s.host {
                Host::Instance { instance, .. } => {
                    let instance = *instance;
                    let entry = hosted.entry(instance).or_default();
                    entry.0.push(*seq);
                    let protected = s.protection == ProtectionPolicy::FullProtection
                        && matches!(s.status, GameSessionStatus::Active | GameSessionStatus::Activating);
                    entry.1 |= protected;
                }
                // Process-hosted sessions run on computes, not simulated instances.
                Host::Process { .. } => {}
            }
        }
        hosted
    }

    /// A location's utilization, counted from its game sessions.
    pub fn location_utilization(&self, fleet: &Fleet, idx: usize) -> Utilization {
        let Some(loc) = fleet.locations.get(idx) else { return Utilization::default() };
        let mut u = Utilization {
            active_server_processes: loc.count(InstanceStatus::Active) * fleet.runtime.slots_per_instance(),
            ..Default::default()
        };
        for s in fleet.active.iter().filter_map(|seq| self.sessions.get(seq)) {
            if s.status == GameSessionStatus::Active && s.location == loc.name {
                u.active_game_sessions += 1;
                u.current_players += s.current_players;
                u.max_players += s.max_players;
            }
        }
        u
    }

    /// One page of DescribeInstances, and the cursor for the next page.
    pub fn list_instances<'a>(&self, fleet: &'a Fleet, q: &InstanceQuery<'_>) -> ApiResult<InstancePage<'a>> {
        if fleet.compute_type == ComputeType::Anywhere {
            return Err(ApiError::InvalidRequest(format!(
                "Fleet {} is of compute type ANYWHERE; DescribeInstances describes managed EC2 instances (use ListCompute).",
                fleet.id
            )));
        }
        let scope: Vec<&FleetLocation> = match q.location {
            Some(name) => vec![&fleet.locations[super::game_session::locate(fleet, name)?]],
            None if q.instance_id.is_some() => fleet.locations.iter().collect(),
            None => fleet.locations.iter().take(1).collect(),
        };
        if let Some(id) = q.instance_id {
            let found = scope
                .iter()
                .find_map(|l| l.instances.values().find(|i| &*i.id == id).map(|i| (*l, i)))
                .ok_or_else(|| {
                    ApiError::NotFound(format!("Instance {id} not found in fleet {}.", fleet.id))
                })?;
            return Ok((vec![found], None));
        }
        let Some(loc) = scope.first() else { return Ok((Vec::new(), None)) };
        let items = loc
            .instances
            .values()
            .filter(|i| q.after.is_none_or(|a| u64::from(i.no) > a))
            .map(|i| (u64::from(i.no), (*loc, i)));
        Ok(super::paging::page(items, q.limit))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::fleet::FleetSpec;
    use super::super::game_session::CreateGameSession;
    use super::super::{GameSessionStatusReason, Settings, UpdateGameSession};
    use super::*;

    fn now() -> Now {
        Now { at: tokio::time::Instant::now(), wall_ms: 1_700_000_000_000 }
    }

    fn world(slots: u32, desired: u32, protection: ProtectionPolicy) -> World {
        let mut w = World::new(Settings::for_tests());
        let spec = FleetSpec {
            protection,
            ..FleetSpec::for_tests("fleet-a", ComputeType::Ec2, slots, &[("us-east-1", desired)])
        };
        w.insert_fleet(spec, now()).unwrap();
        w
    }

    fn session(w: &mut World, t: Now) -> ApiResult<u64> {
        let req = CreateGameSession {
            fleet_id: Some("fleet-a".into()),
            maximum_player_session_count: 2,
            ..Default::default()
        };
        w.create_game_session(t, req)
    }

    fn desired(n: u32) -> CapacityUpdate {
        CapacityUpdate { desired: Some(n), ..Default::default() }
    }

    fn counts(w: &World) -> InstanceCounts {
        w.fleets["fleet-a"].locations[0].instance_counts()
    }

    #[test]
    fn check_capacity_keeps_desired_within_min_and_max_and_the_limit() {
        let w = world(1, 2, ProtectionPolicy::NoProtection);
        let loc = &w.fleets["fleet-a"].locations[0];
        assert_eq!(check_capacity(loc, &desired(5)), Ok((5, 0, 10)));
        let upd = |desired, min, max| CapacityUpdate { desired, min, max, ..Default::default() };
        let message = |u: CapacityUpdate| check_capacity(loc, &u).unwrap_err().message().to_owned();
        assert_eq!(
            message(upd(None, Some(3), Some(2))),
            "MinSize (3) must be less than or equal to MaxSize (2)."
        );
        assert!(message(upd(Some(11), None, None)).starts_with("DesiredInstances (11) must be between"));
        let over = check_capacity(loc, &upd(None, None, Some(MAX_INSTANCES_PER_LOCATION + 1))).unwrap_err();
        assert_eq!(over.code(), "LimitExceededException");
        let zero = ManagedCapacity {
            zero_capacity_strategy: Some(SCALE_TO_AND_FROM_ZERO.into()),
            scale_in_after_inactivity_minutes: None,
        };
        let with_min = CapacityUpdate { min: Some(0), managed: Some(zero), ..Default::default() };
        assert!(check_capacity(loc, &with_min).unwrap_err().message().starts_with("MinSize cannot be set"));
        w.check_invariants().unwrap();
    }

    #[test]
    fn sessions_by_instance_counts_live_sessions_and_their_protection() {
        let mut w = world(2, 2, ProtectionPolicy::NoProtection);
        let t = now();
        let a = session(&mut w, t).unwrap();
        let b = session(&mut w, t).unwrap();
        let id = w.game_session(b).unwrap().arn.to_string();
        let protect = UpdateGameSession {
            game_session_id: id,
            protection: Some(ProtectionPolicy::FullProtection),
            ..Default::default()
        };
        w.update_game_session(protect).unwrap();
        let hosted = w.sessions_by_instance(&w.fleets["fleet-a"].locations[0]);
        assert_eq!(hosted.get(&0), Some(&(vec![a, b], true)));
        assert_eq!(hosted.get(&1), None);
        w.check_invariants().unwrap();
    }

    #[test]
    fn scale_out_adds_pending_instances_that_activate_after_the_delay() {
        let mut w = world(1, 1, ProtectionPolicy::NoProtection);
        let t = now();
        session(&mut w, t).unwrap();
        assert_eq!(session(&mut w, t).unwrap_err().code(), "FleetCapacityExceededException");
        w.update_fleet_capacity("fleet-a", desired(3), t).unwrap();
        assert_eq!((counts(&w).pending, counts(&w).active), (2, 1));
        assert!(session(&mut w, t).is_err());
        w.advance(t.after(Duration::from_millis(500)));
        assert_eq!((counts(&w).pending, counts(&w).active), (0, 3));
        session(&mut w, t).unwrap();
        session(&mut w, t).unwrap();
        w.check_invariants().unwrap();
    }

    #[test]
    fn scale_in_takes_idle_instances_first_then_unprotected_ones() {
        let mut w = world(1, 3, ProtectionPolicy::NoProtection);
        let t = now();
        let a = session(&mut w, t).unwrap();
        let b = session(&mut w, t).unwrap();
        w.update_fleet_capacity("fleet-a", desired(2), t).unwrap();
        assert_eq!(counts(&w).terminating, 1);
        assert!(w.game_session(a).unwrap().is_live() && w.game_session(b).unwrap().is_live());
        w.update_fleet_capacity("fleet-a", desired(1), t).unwrap();
        let ended: Vec<_> =
            [a, b].iter().filter(|s| !w.game_session(**s).unwrap().is_live()).copied().collect();
        assert_eq!(ended.len(), 1);
        let s = w.game_session(ended[0]).unwrap();
        assert_eq!(s.status, GameSessionStatus::Terminated);
        assert_eq!(s.status_reason, Some(GameSessionStatusReason::Interrupted));
        w.advance(t.after(Duration::from_millis(500)));
        assert_eq!(counts(&w), InstanceCounts { desired: 1, maximum: 10, active: 1, ..Default::default() });
        w.check_invariants().unwrap();
    }

    #[test]
    fn protected_instances_stay_until_their_sessions_end() {
        let mut w = world(1, 2, ProtectionPolicy::FullProtection);
        let t = now();
        let a = session(&mut w, t).unwrap();
        let b = session(&mut w, t).unwrap();
        w.update_fleet_capacity("fleet-a", desired(0), t).unwrap();
        assert_eq!(counts(&w).active, 2);
        let arn = w.game_session(b).unwrap().arn.to_string();
        let upd = UpdateGameSession {
            game_session_id: arn.clone(),
            protection: Some(ProtectionPolicy::NoProtection),
            ..Default::default()
        };
        w.update_game_session(upd).unwrap();
        w.terminate_game_session(t, &arn, super::super::TerminationMode::ForceTerminate).unwrap();
        w.advance(t.after(Duration::from_millis(500)));
        assert_eq!(w.game_session(b).unwrap().status, GameSessionStatus::Terminated);
        assert_eq!((counts(&w).active, counts(&w).terminating), (1, 1));
        assert!(w.game_session(a).unwrap().is_live());
        w.check_invariants().unwrap();
    }
}
