//! Compatibility suite: the official `aws-sdk-gamelift` (Smithy RPC v2 CBOR) against the
//! `gamelift-emulator` binary. Each test starts its own emulator (see the harness in `src/lib.rs`)
//! and asserts what an SDK user sees: the error variant, `code()`, `message()`, output fields.
//!
//! Behaviour under test: README.md ("Supported operations", "Run your own game server").

mod aliases;
mod control;
mod create_game_session;
mod create_game_session_errors;
mod describe_game_sessions;
mod fleets;
mod game_servers;
mod matchmaking;
mod protocol;
mod queues;
mod sessions;
mod signatures;
