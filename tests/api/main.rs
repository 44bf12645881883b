//! In-process API tests: the real router (`gamelift_emulator::app`) driven with
//! `tower::ServiceExt::oneshot`, in both wire protocols, with paused tokio time for lifecycles.

mod game_sessions;
mod harness;
mod protocol;
