//! In-process API tests: the real router (`gamelift_emulator::app`) driven with
//! `tower::ServiceExt::oneshot`, in both wire protocols, with paused tokio time for lifecycles.

mod aliases;
mod builds;
mod clock;
mod dashboard;
mod durable;
mod events;
mod faults;
mod fleets;
mod fuzz;
mod game_servers;
mod game_sessions;
mod harness;
mod hostile;
mod locations;
mod matchmaking;
mod placement;
mod player_sessions;
mod protocol;
mod queues;
mod search;
mod server;
mod sessions_lifecycle;
mod signatures;
mod tags;
