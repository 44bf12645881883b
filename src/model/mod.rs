//! The emulated GameLift world: fleets, aliases, game sessions, capacity, idempotency and the
//! timer queue, with the invariants the real service keeps.
//!
//! Everything here is plain data plus rules: no serde, no HTTP. Operations take the current
//! time (`Now`) as an argument, so the model is deterministic and unit-testable, and return
//! `ApiError`s named exactly as AWS names them. The whole `World` sits behind one mutex (see
//! `crate::state`); each operation runs in one critical section, so check-then-act races such
//! as double-booking the last slot cannot happen.
//!
//! # Layout
//! - `world.rs`: `World`, `Settings`, `Now`, the timer dispatch (`advance`).
//! - `fleet.rs`: fleets, locations, instances and slot allocation (capacity).
//! - `fleet_lifecycle.rs`: CreateFleet, the status walk, deletion, locations, attribute updates.
//! - `fleet_capacity.rs`: desired capacity, scale-out and scale-in, capacity and utilization.
//! - `alias.rs`: aliases and routing (SIMPLE/TERMINAL) resolution.
//! - `game_session.rs`: game sessions: creation, activation, update, termination, retention,
//!   queries and search.
//! - `player_session.rs`: player sessions: reservation, acceptance, timeouts, queries.
//! - `compute.rs`: computes, auth tokens and game-server processes (Server SDK 5): the
//!   capacity of process-driven fleets, and the messages queued for processes.
//! - `build.rs`, `location.rs`, `tags.rs`: builds and scripts, custom locations, tags.
//! - `queue.rs`, `placement.rs`: game session queues, placement (StartGameSessionPlacement)
//!   and the placement events recorded for the state layer.
//! - `timers.rs`: the deadline-ordered queue the lifecycle driver drains.
//! - `invariants.rs`: `World::check_invariants`, which checks every index against the records
//!   it indexes (run after every call by the tests, and per request on demand in debug builds).
//! - `paging.rs`: opaque NextToken encoding.
//! - `ids.rs`, `regions.rs`: identifier/ARN shapes and known Regions.
//! - `search.rs`: the SearchGameSessions filter/sort expression language.

pub mod alias;
pub mod build;
pub mod compute;
pub mod fleet;
pub mod fleet_capacity;
pub mod fleet_lifecycle;
pub mod game_session;
pub mod ids;
pub mod invariants;
pub mod location;
pub mod paging;
pub mod placement;
pub mod player_session;
pub mod queue;
pub mod regions;
pub mod search;
pub mod sharded;
pub mod tags;
pub mod timers;
mod world;

pub use alias::{Alias, AliasSpec, RoutingStrategy};
pub use fleet::{
    ComputeType, CreationLimit, Fleet, FleetLocation, FleetSpec, Instance, InstanceStatus, LocationSpec,
    RuntimeConfig, ServerProcess,
};
pub use game_session::{CreateGameSession, GameSession, GameSessionQuery, SearchQuery, UpdateGameSession};
pub use player_session::{PlayerSession, PlayerSessionQuery};
pub use world::{Now, Settings, World};

/// Declares a model enum with its wire names (the strings GameLift uses for it).
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// The name GameLift uses on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }

            /// Parses a wire name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(
    /// Status of a fleet or of one of its locations.
    FleetStatus {
        New = "NEW",
        Downloading = "DOWNLOADING",
        Validating = "VALIDATING",
        Building = "BUILDING",
        Activating = "ACTIVATING",
        Active = "ACTIVE",
        Deleting = "DELETING",
        Error = "ERROR",
        Terminated = "TERMINATED",
        NotFound = "NOT_FOUND",
    }
);

wire_enum!(
    /// Status of a game session.
    GameSessionStatus {
        Active = "ACTIVE",
        Activating = "ACTIVATING",
        Terminated = "TERMINATED",
        Terminating = "TERMINATING",
        Error = "ERROR",
    }
);

wire_enum!(
    /// Why a game session ended.
    GameSessionStatusReason {
        Interrupted = "INTERRUPTED",
        TriggeredOnProcessTerminate = "TRIGGERED_ON_PROCESS_TERMINATE",
        ForceTerminated = "FORCE_TERMINATED",
    }
);

wire_enum!(
    /// Status of a player session.
    PlayerSessionStatus {
        Reserved = "RESERVED",
        Active = "ACTIVE",
        Completed = "COMPLETED",
        Timedout = "TIMEDOUT",
    }
);

wire_enum!(
    /// How TerminateGameSession ends a game session.
    TerminationMode {
        TriggerOnProcessTerminate = "TRIGGER_ON_PROCESS_TERMINATE",
        ForceTerminate = "FORCE_TERMINATE",
    }
);

wire_enum!(
    /// Whether a game session accepts new players.
    PlayerSessionCreationPolicy {
        AcceptAll = "ACCEPT_ALL",
        DenyAll = "DENY_ALL",
    }
);

wire_enum!(
    /// Whether a game session may be shut down by a scale-in.
    ProtectionPolicy {
        NoProtection = "NoProtection",
        FullProtection = "FullProtection",
    }
);
