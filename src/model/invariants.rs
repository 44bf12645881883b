//! `World::check_invariants`: every index against the records it indexes.
//!
//! A live game session sits in up to eight structures kept up to date by hand (`World::sessions`
//! and `session_ids`, `Fleet::sessions`, `FleetLocation::sessions`, `Fleet::active`,
//! `Fleet::props`, `Fleet::tokens`, and an instance slot or `Process::game_session`), player
//! sessions in three more, and every timed transition in the timer queue. Each termination,
//! deletion and purge path must update all of them; this checker says which one it forgot.
//!
//! It is O(world) and meant for tests: the in-process API tests run it after every request,
//! the model unit tests at their end, and a debug build after every request when
//! `GAMELIFT_EMULATOR_CHECK_INVARIANTS=1` is set (see `crate::state`).
//!
//! What it checks:
//! - `sessions` and `session_ids` are each other's inverse; likewise `player_sessions` and
//!   `player_session_ids`; `players` lists exactly each player's sessions, in creation order.
//! - `Fleet::sessions` holds exactly the fleet's sessions; `FleetLocation::sessions` only
//!   sessions of that location, and every live session of it; a session whose fleet is gone
//!   has ended.
//! - `Fleet::active` holds exactly the ACTIVE sessions, `Fleet::props` exactly their game
//!   properties, `Fleet::tokens` exactly the tokens sessions were created with.
//! - Capacity: each instance's used slots equal its live sessions, which have distinct slots and
//!   ports; the instances with room are exactly the ACTIVE ones with a free slot; a process
//!   hosts a live session that names it, and a live process-hosted session is hosted by its
//!   process (or, force-terminated, is TERMINATING without one).
//! - `CurrentPlayerSessionCount` equals the RESERVED and ACTIVE player sessions.
//! - Every pending timer belongs to a live object in the state the timer acts on, and every
//!   session or player session waiting for a transition has its timer.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use super::compute::ProcessKey;
use super::fleet::{Fleet, FleetLocation, FleetTimer, InstanceStatus};
use super::game_session::{GameSession, Host};
use super::placement::PlacementStatus;
use super::timers::Timer;
use super::world::World;
use super::{FleetStatus, GameSessionStatus, PlayerSessionStatus};

/// At most this many violations are reported (the first ones found).
const MAX_REPORTED: usize = 20;

/// The violations found so far.
#[derive(Default)]
struct Violations(Vec<String>);

impl Violations {
    fn add(&mut self, message: String) {
        if self.0.len() < MAX_REPORTED {
            self.0.push(message);
        }
    }

    fn from(&mut self, result: Result<(), String>) {
        if let Err(e) = result {
            self.add(e);
        }
    }
}

impl World {
    /// Checks every index against the records it indexes (see the module documentation).
    /// Returns the violations found, one per line, each naming the index at fault.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut v = Violations::default();
        self.check_session_ids(&mut v);
        for fleet in self.fleets.values() {
            self.check_fleet_sessions(fleet, &mut v);
            self.check_active_and_props(fleet, &mut v);
            self.check_tokens(fleet, &mut v);
            for loc in &fleet.locations {
                self.check_location(fleet, loc, &mut v);
            }
        }
        self.check_processes(&mut v);
        self.check_player_indexes(&mut v);
        self.check_player_counts(&mut v);
        self.check_timers(&mut v);
        self.check_lifecycles_are_scheduled(&mut v);
        if v.0.is_empty() { Ok(()) } else { Err(v.0.join("\n")) }
    }

    fn check_session_ids(&self, v: &mut Violations) {
        for (seq, s) in self.sessions.iter() {
            if s.seq != *seq {
                v.add(format!("World::sessions holds session {} under key {seq}", s.seq));
            }
            if self.session_ids.get(&*s.arn) != Some(seq) {
                v.add(format!("World::session_ids does not map {} to its session {seq}", s.arn));
            }
        }
        for (arn, seq) in self.session_ids.iter() {
            if self.sessions.get(seq).is_none_or(|s| s.arn != *arn) {
                v.add(format!(
                    "World::session_ids maps {arn} to session {seq}, which does not carry that ID"
                ));
            }
        }
    }

    /// `Fleet::sessions` holds exactly the fleet's sessions.
    fn check_fleet_sessions(&self, fleet: &Fleet, v: &mut Violations) {
        for seq in &fleet.sessions {
            if self.sessions.get(seq).is_none_or(|s| s.fleet_id != fleet.id) {
                v.add(format!(
                    "Fleet::sessions of fleet {} holds session {seq}, which is not the fleet's",
                    fleet.id
                ));
            }
        }
        let mut names = BTreeSet::new();
        for loc in &fleet.locations {
            if !names.insert(&*loc.name) {
                v.add(format!("Fleet::locations of fleet {} lists {} twice", fleet.id, loc.name));
            }
        }
        for (seq, s) in self.sessions.iter().filter(|(_, s)| s.fleet_id == fleet.id) {
            if !fleet.sessions.contains(seq) {
                v.add(format!("Fleet::sessions of fleet {} misses its session {seq} ({})", fleet.id, s.arn));
            }
        }
    }

    /// `Fleet::active` holds exactly the ACTIVE sessions, `Fleet::props` exactly their properties.
    fn check_active_and_props(&self, fleet: &Fleet, v: &mut Violations) {
        let session = |seq: &u64| self.sessions.get(seq).filter(|s| s.fleet_id == fleet.id);
        for seq in &fleet.sessions {
            let active = session(seq).is_some_and(|s| s.status == GameSessionStatus::Active);
            if active != fleet.active.contains(seq) {
                v.add(format!(
                    "Fleet::active of fleet {} {} session {seq}, which is {}",
                    fleet.id,
                    if active { "misses" } else { "holds" },
                    session(seq).map_or("not the fleet's", |s| s.status.as_str())
                ));
            }
        }
        if let Some(seq) = fleet.active.iter().find(|seq| !fleet.sessions.contains(seq)) {
            v.add(format!(
                "Fleet::active of fleet {} holds session {seq}, which is not the fleet's",
                fleet.id
            ));
        }
        for (key, by_value) in &fleet.props {
            if by_value.is_empty() {
                v.add(format!("Fleet::props of fleet {} keeps an empty map for {key}", fleet.id));
            }
            for (value, seqs) in by_value {
                if seqs.is_empty() {
                    v.add(format!("Fleet::props of fleet {} keeps an empty set for {key}={value}", fleet.id));
                }
                for seq in seqs {
                    let has = |s: &GameSession| s.properties.iter().any(|(k, x)| k == key && x == value);
                    if !fleet.active.contains(seq) || session(seq).is_none_or(|s| !has(s)) {
                        v.add(format!(
                            "Fleet::props of fleet {} indexes session {seq} under {key}={value}, which it does not hold while ACTIVE",
                            fleet.id
                        ));
                    }
                }
            }
        }
        for seq in &fleet.active {
            for (key, value) in session(seq).map_or(&[][..], |s| &s.properties[..]) {
                let indexed =
                    fleet.props.get(key).and_then(|m| m.get(value)).is_some_and(|set| set.contains(seq));
                if !indexed {
                    v.add(format!(
                        "Fleet::props of fleet {} misses ACTIVE session {seq} under {key}={value}",
                        fleet.id
                    ));
                }
            }
        }
    }

    /// `Fleet::tokens` maps exactly the tokens the fleet's sessions were created with.
    fn check_tokens(&self, fleet: &Fleet, v: &mut Violations) {
        for (token, seq) in fleet.tokens.iter() {
            let carries = self
                .sessions
                .get(seq)
                .is_some_and(|s| s.fleet_id == fleet.id && s.token.as_ref() == Some(token));
            if !carries {
                v.add(format!(
                    "Fleet::tokens of fleet {} maps {token} to session {seq}, which does not carry it",
                    fleet.id
                ));
            }
        }
        for seq in &fleet.sessions {
            if let Some(token) = self.sessions.get(seq).and_then(|s| s.token.as_deref())
                && fleet.tokens.get(token) != Some(seq)
            {
                v.add(format!("Fleet::tokens of fleet {} misses token {token} of session {seq}", fleet.id));
            }
        }
    }

    /// A location's session index, and its instances' slots against the live sessions on them.
    fn check_location(&self, fleet: &Fleet, loc: &FleetLocation, v: &mut Violations) {
        let mut on_instance: BTreeMap<u32, Vec<(u32, u16, u64)>> = BTreeMap::new();
        let mut live = 0u32;
        for seq in &loc.sessions {
            let Some(s) = self.sessions.get(seq).filter(|s| s.fleet_id == fleet.id && s.location == loc.name)
            else {
                v.add(format!(
                    "FleetLocation::sessions of {} in fleet {} holds session {seq}, which is not there",
                    loc.name, fleet.id
                ));
                continue;
            };
            if let (true, Host::Instance { instance, slot }) = (s.is_live(), &s.host) {
                on_instance.entry(*instance).or_default().push((*slot, s.port, *seq));
                live += 1;
            }
        }
        for seq in &fleet.sessions {
            if let Some(s) = self.sessions.get(seq)
                && s.is_live()
                && s.location == loc.name
                && !loc.sessions.contains(seq)
            {
                v.add(format!(
                    "FleetLocation::sessions of {} in fleet {} misses live session {seq}",
                    loc.name, fleet.id
                ));
            }
        }
        if !fleet.process_driven() && loc.used_slots() != live {
            v.add(format!(
                "capacity in use in {} of fleet {} is {} slots for {live} live game sessions",
                loc.name,
                fleet.id,
                loc.used_slots()
            ));
        }
        self.check_instance_slots(fleet, loc, &on_instance, v);
        v.from(loc.room_agrees(fleet.runtime.slots_per_instance()));
    }

    /// Each instance's used slots against the live sessions on it (`on_instance`: instance →
    /// (slot, port, session)), which must have distinct slots and ports.
    fn check_instance_slots(
        &self,
        fleet: &Fleet,
        loc: &FleetLocation,
        on_instance: &BTreeMap<u32, Vec<(u32, u16, u64)>>,
        v: &mut Violations,
    ) {
        for (no, inst) in &loc.instances {
            let hosted = on_instance.get(no).map_or(0, Vec::len) as u32;
            if inst.used() != hosted {
                v.add(format!(
                    "Instance {no} of {} in fleet {} counts {} used slots for {hosted} live game sessions",
                    loc.name,
                    fleet.id,
                    inst.used()
                ));
            }
        }
        for (no, hosted) in on_instance {
            if !loc.instances.contains_key(no) {
                v.add(format!(
                    "live sessions {hosted:?} of fleet {} name instance {no} of {}, which is gone",
                    fleet.id, loc.name
                ));
            }
            let slots: BTreeSet<u32> = hosted.iter().map(|h| h.0).collect();
            let ports: BTreeSet<u16> = hosted.iter().map(|h| h.1).collect();
            if slots.len() != hosted.len() || ports.len() != hosted.len() {
                v.add(format!(
                    "live sessions on instance {no} of {} in fleet {} share a slot or port: {hosted:?}",
                    loc.name, fleet.id
                ));
            }
        }
    }

    /// `Process::game_session` against `Host::Process`.
    fn check_processes(&self, v: &mut Violations) {
        for (fleet_id, procs) in &self.hosts.processes {
            for (pid, p) in procs {
                if p.pid != *pid || p.fleet_id != *fleet_id {
                    v.add(format!(
                        "Hosts::processes keeps process {}/{} under {fleet_id}/{pid}",
                        p.fleet_id, p.pid
                    ));
                }
                let Some(seq) = p.game_session else { continue };
                let names_it = self.sessions.get(&seq).is_some_and(|s| {
                    s.is_live()
                        && s.fleet_id == p.fleet_id
                        && matches!(&s.host, Host::Process { pid, .. } if *pid == p.pid)
                });
                if !names_it {
                    v.add(format!("Process::game_session of {fleet_id}/{pid} is session {seq}, which is not a live session hosted by it"));
                }
            }
        }
        for (seq, s) in self.sessions.iter().filter(|(_, s)| s.is_live()) {
            let Host::Process { pid, .. } = &s.host else { continue };
            match self.process(ProcessKey { fleet: &s.fleet_id, pid }) {
                Some(p) if p.game_session == Some(*seq) => {}
                None if s.status == GameSessionStatus::Terminating => {}
                _ => v.add(format!(
                    "live session {seq} names process {}/{pid} as its host, which does not host it",
                    s.fleet_id
                )),
            }
        }
    }

    /// `player_sessions`, `player_session_ids`, `players` and each session's player list.
    fn check_player_indexes(&self, v: &mut Violations) {
        for (seq, p) in self.player_sessions.iter() {
            if p.seq != *seq || self.player_session_ids.get(&*p.id) != Some(seq) {
                v.add(format!("World::player_session_ids does not map {} to its player session {seq}", p.id));
            }
            if !self.players.get(&*p.player_id).is_some_and(|l| l.contains(seq)) {
                v.add(format!("World::players misses player session {seq} of player {}", p.player_id));
            }
            if !self.sessions.get(&p.game_session).is_some_and(|g| g.players.contains(seq)) {
                v.add(format!(
                    "GameSession::players of session {} misses player session {seq}",
                    p.game_session
                ));
            }
        }
        for (id, seq) in self.player_session_ids.iter() {
            if self.player_sessions.get(seq).is_none_or(|p| p.id != *id) {
                v.add(format!("World::player_session_ids maps {id} to player session {seq}, which does not carry that ID"));
            }
        }
        let mut listed = 0;
        for (player, list) in self.players.iter() {
            listed += list.len();
            let ordered = list.windows(2).all(|w| w[0] < w[1]);
            let all_theirs =
                list.iter().all(|s| self.player_sessions.get(s).is_some_and(|p| p.player_id == *player));
            if list.is_empty() || !ordered || !all_theirs {
                v.add(format!("World::players lists {list:?} for player {player}: not exactly that player's sessions in creation order"));
            }
        }
        if listed != self.player_sessions.len() {
            v.add(format!(
                "World::players lists {listed} player sessions; there are {}",
                self.player_sessions.len()
            ));
        }
    }

    /// Each session's player list, and `CurrentPlayerSessionCount` against its open seats.
    fn check_player_counts(&self, v: &mut Violations) {
        let mut listed = 0;
        for (seq, s) in self.sessions.iter() {
            listed += s.players.len();
            let ordered = s.players.windows(2).all(|w| w[0] < w[1]);
            let all_its =
                s.players.iter().all(|p| self.player_sessions.get(p).is_some_and(|p| p.game_session == *seq));
            if !ordered || !all_its {
                v.add(format!("GameSession::players of session {seq} is {:?}: not exactly its player sessions in creation order", s.players));
            }
            let open =
                s.players.iter().filter(|p| self.player_sessions.get(p).is_some_and(|p| p.is_open())).count();
            if open != s.current_players as usize {
                v.add(format!(
                    "CurrentPlayerSessionCount of session {seq} is {}; it has {open} RESERVED or ACTIVE player sessions",
                    s.current_players
                ));
            }
        }
        if listed != self.player_sessions.len() {
            v.add(format!(
                "GameSession::players lists {listed} player sessions in all; there are {}",
                self.player_sessions.len()
            ));
        }
    }

    /// Every pending timer belongs to a live object in the state it acts on.
    fn check_timers(&self, v: &mut Violations) {
        v.from(self.timers.index_agrees());
        for (_, timer) in self.timers.iter() {
            if let Some(why) = self.timer_is_stale(timer) {
                v.add(format!("pending timer {timer:?} belongs to no live object: {why}"));
            }
        }
    }

    /// Why `timer` no longer applies, if it does not.
    fn timer_is_stale(&self, timer: &Timer) -> Option<&'static str> {
        use super::compute::Process;
        use super::player_session::PlayerSession;
        use GameSessionStatus::{Activating, Terminating};
        let session = |seq: &u64, ok: fn(&GameSession) -> bool, want: &'static str| {
            self.sessions.get(seq).is_none_or(|s| !ok(s)).then_some(want)
        };
        match timer {
            Timer::ActivateGameSession(seq) => session(
                seq,
                |s| s.status == Activating && !matches!(s.host, Host::Process { .. }),
                "no ACTIVATING instance-hosted session",
            ),
            Timer::ActivationTimeout(seq) => session(
                seq,
                |s| s.status == Activating && matches!(s.host, Host::Process { .. }),
                "no ACTIVATING process-hosted session",
            ),
            Timer::FinishTermination(seq) => {
                session(seq, |s| s.status == Terminating, "no TERMINATING session")
            }
            Timer::ProcessExitTimeout(seq) => session(
                seq,
                |s| s.status == Terminating && matches!(s.host, Host::Process { .. }),
                "no TERMINATING process-hosted session",
            ),
            Timer::PurgeGameSession(seq) => session(seq, |s| !s.is_live(), "no ended session"),
            Timer::PlayerSessionTimeout(seq) => {
                let reserved = |p: &PlayerSession| p.status == PlayerSessionStatus::Reserved;
                self.player_sessions
                    .get(seq)
                    .is_none_or(|p| !reserved(p))
                    .then_some("no RESERVED player session")
            }
            Timer::ProcessGone { fleet, pid, epoch } => {
                let away = |p: &Process| p.epoch == *epoch && p.conn.is_none();
                self.process(ProcessKey { fleet, pid })
                    .is_none_or(|p| !away(p))
                    .then_some("no disconnected process at that epoch")
            }
            Timer::HeartbeatMissed { fleet, pid, epoch } => self
                .process(ProcessKey { fleet, pid })
                .is_none_or(|p| p.epoch != *epoch)
                .then_some("no process at that epoch"),
            Timer::Fleet(t) => self.fleet_timer_is_stale(t),
            Timer::PlacementRetry { seq, generation } => self
                .placement(*seq)
                .is_none_or(|p| p.status != PlacementStatus::Pending || p.retry_generation() != *generation)
                .then_some("no PENDING placement at that retry"),
            Timer::PlacementTimeout(seq) => self
                .placement(*seq)
                .is_none_or(|p| p.status != PlacementStatus::Pending)
                .then_some("no PENDING placement"),
            Timer::PurgePlacement(seq) => self
                .placement(*seq)
                .is_none_or(|p| p.status == PlacementStatus::Pending)
                .then_some("no ended placement"),
            Timer::RetryWaitingPlacements => None,
        }
    }

    fn fleet_timer_is_stale(&self, timer: &FleetTimer) -> Option<&'static str> {
        use super::fleet_lifecycle::walk_index;
        let Some(fleet) = self.fleets.get(timer.fleet()) else { return Some("the fleet is gone") };
        let loc = timer.location().and_then(|k| fleet.location_by_key(k)).map(|i| &fleet.locations[i]);
        let instance =
            |no: &u32, status| loc.and_then(|l| l.instances.get(no)).is_some_and(|i| i.status == status);
        let ok = match timer {
            FleetTimer::Step { to, .. } => loc.is_some_and(
                |l| matches!((walk_index(l.status), walk_index(*to)), (Some(now), Some(next)) if now < next),
            ),
            FleetTimer::InstanceReady { instance: no, .. } => instance(no, InstanceStatus::Pending),
            FleetTimer::InstanceGone { instance: no, .. } => instance(no, InstanceStatus::Terminating),
            FleetTimer::LocationGone { .. } => loc.is_some_and(|l| l.status == FleetStatus::Deleting),
            FleetTimer::FleetGone { .. } => fleet.status == FleetStatus::Deleting,
        };
        (!ok).then_some("its fleet, location or instance is not in the state it acts on")
    }

    /// Every session or player session waiting for a timed transition has its timer.
    fn check_lifecycles_are_scheduled(&self, v: &mut Violations) {
        let mut sessions: FxHashMap<u64, Vec<&Timer>> = FxHashMap::default();
        let mut reserved = rustc_hash::FxHashSet::default();
        for (_, t) in self.timers.iter() {
            match t {
                Timer::PlayerSessionTimeout(seq) => {
                    reserved.insert(*seq);
                }
                Timer::ActivateGameSession(seq)
                | Timer::ActivationTimeout(seq)
                | Timer::FinishTermination(seq)
                | Timer::ProcessExitTimeout(seq)
                | Timer::PurgeGameSession(seq) => sessions.entry(*seq).or_default().push(t),
                _ => {}
            }
        }
        for (seq, s) in self.sessions.iter() {
            let waits = matches!(s.status, GameSessionStatus::Activating | GameSessionStatus::Terminating)
                || !s.is_live();
            if waits && sessions.get(seq).is_none_or(|t| t.len() != 1) {
                v.add(format!(
                    "session {seq} is {} and has {:?} pending; it needs exactly one timer to move on",
                    s.status,
                    sessions.get(seq)
                ));
            }
        }
        for (seq, p) in self.player_sessions.iter() {
            if p.status == PlayerSessionStatus::Reserved && !reserved.contains(seq) {
                v.add(format!("player session {seq} is RESERVED with no timeout pending"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::fleet::{ComputeType, FleetSpec};
    use crate::model::timers::Subject;
    use crate::model::{CreateGameSession, Now, Settings, TerminationMode};

    fn now() -> Now {
        Now { at: tokio::time::Instant::now(), wall_ms: 1_700_000_000_000 }
    }

    /// A fleet with an ACTIVE session (a property, a token and two player sessions, one
    /// accepted), an ACTIVATING one and a TERMINATED one.
    fn busy_world() -> (World, Now, [u64; 3]) {
        let mut w = World::new(Settings::for_tests());
        let t = now();
        w.insert_fleet(FleetSpec::for_tests("fleet-a", ComputeType::Ec2, 4, &[("us-east-1", 1)]), t).unwrap();
        let req = |token: Option<&str>| CreateGameSession {
            fleet_id: Some("fleet-a".into()),
            maximum_player_session_count: 4,
            game_properties: vec![("mode".into(), "ranked".into())],
            idempotency_token: token.map(Into::into),
            ..Default::default()
        };
        let active = w.create_game_session(t, req(Some("tok-1"))).unwrap();
        let ended = w.create_game_session(t, req(None)).unwrap();
        let t = t.after(Duration::from_secs(1));
        w.advance(t);
        let id = w.game_session(active).unwrap().arn.to_string();
        let players = vec![("p1".into(), None), ("p2".into(), None)];
        let ps = w.create_player_sessions(t, &id, players).unwrap();
        let ps_id = w.player_session(ps[0]).unwrap().id.to_string();
        w.accept_player_session(&ps_id).unwrap();
        let ended_id = w.game_session(ended).unwrap().arn.to_string();
        w.terminate_game_session(t, &ended_id, TerminationMode::ForceTerminate).unwrap();
        let t = t.after(Duration::from_secs(1));
        w.advance(t);
        let activating = w.create_game_session(t, req(None)).unwrap();
        (w, t, [active, activating, ended])
    }

    #[track_caller]
    fn assert_names(w: &World, index: &str) {
        match w.check_invariants() {
            Ok(()) => panic!("the checker missed a broken {index}"),
            Err(e) => assert!(e.contains(index), "expected {index} to be named, got:\n{e}"),
        }
    }

    #[test]
    fn a_busy_world_keeps_every_invariant() {
        let (w, _, [active, activating, ended]) = busy_world();
        assert_eq!(w.game_session(active).unwrap().status, GameSessionStatus::Active);
        assert_eq!(w.game_session(activating).unwrap().status, GameSessionStatus::Activating);
        assert_eq!(w.game_session(ended).unwrap().status, GameSessionStatus::Terminated);
        w.check_invariants().unwrap();
    }

    #[test]
    fn each_index_broken_by_hand_is_named() {
        type Break = fn(&mut World, [u64; 3]);
        let cases: [(&str, Break); 10] = [
            ("World::session_ids", |w, [a, ..]| {
                let arn = w.sessions.get(&a).unwrap().arn.clone();
                w.session_ids.remove(&arn);
            }),
            ("Fleet::sessions", |w, [_, b, _]| {
                w.fleets.get_mut("fleet-a").unwrap().sessions.remove(&b);
            }),
            ("FleetLocation::sessions", |w, [_, b, _]| {
                w.fleets.get_mut("fleet-a").unwrap().locations[0].sessions.remove(&b);
            }),
            ("Fleet::active", |w, [_, b, _]| {
                w.fleets.get_mut("fleet-a").unwrap().active.insert(b);
            }),
            ("Fleet::props", |w, [a, ..]| {
                w.fleets.get_mut("fleet-a").unwrap().unindex_active(a, &[("mode".into(), "ranked".into())]);
                w.fleets.get_mut("fleet-a").unwrap().active.insert(a);
            }),
            ("Fleet::tokens", |w, _| {
                w.fleets.get_mut("fleet-a").unwrap().tokens.remove("tok-1");
            }),
            ("CurrentPlayerSessionCount", |w, [a, ..]| w.sessions.get_mut(&a).unwrap().current_players += 1),
            ("World::players", |w, _| {
                w.players.remove("p2");
            }),
            ("share a slot or port", |w, [a, b, _]| {
                let port = w.sessions.get(&a).unwrap().port;
                let host = w.sessions.get(&a).unwrap().host.clone();
                let s = w.sessions.get_mut(&b).unwrap();
                (s.port, s.host) = (port, host);
            }),
            ("belongs to no live object", |w, [_, _, c]| {
                let at = tokio::time::Instant::now() + Duration::from_secs(9);
                w.schedule(at, Timer::FinishTermination(c));
            }),
        ];
        for (index, break_it) in cases {
            let (mut w, _, seqs) = busy_world();
            break_it(&mut w, seqs);
            assert_names(&w, index);
        }
    }

    #[test]
    fn ended_objects_leave_no_timers_behind() {
        let (mut w, t, [active, activating, _]) = busy_world();
        // An ACTIVATING session terminated: its activation timer goes.
        let id = w.game_session(activating).unwrap().arn.to_string();
        w.terminate_game_session(t, &id, TerminationMode::TriggerOnProcessTerminate).unwrap();
        w.check_invariants().unwrap();
        // A session ended with a RESERVED player session: its timeout goes.
        let id = w.game_session(active).unwrap().arn.to_string();
        w.terminate_game_session(t, &id, TerminationMode::ForceTerminate).unwrap();
        w.advance(t.after(Duration::from_secs(1)));
        w.check_invariants().unwrap();
        let reserved_left =
            w.timers.iter().filter(|(_, t)| matches!(t, Timer::PlayerSessionTimeout(_))).count();
        assert_eq!(reserved_left, 0);
        assert_eq!(
            w.timers.cancel(&Subject::GameSession(activating), |t| !matches!(t, Timer::PurgeGameSession(_))),
            0
        );
    }
}
