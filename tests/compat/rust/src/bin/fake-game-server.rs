//! A scriptable stand-in for a game server built with the Server SDK 5, for test suites in other
//! languages (the Python suite drives it next to boto3).
//!
//! It reads the same environment variables a real server does (`GAMELIFT_SDK_WEBSOCKET_URL`,
//! `GAMELIFT_SDK_FLEET_ID`, `GAMELIFT_SDK_HOST_ID`, `GAMELIFT_SDK_PROCESS_ID`,
//! `GAMELIFT_SDK_AUTH_TOKEN`; `FAKE_GAME_SERVER_PORT` for ProcessReady, default 7777), connects,
//! calls ProcessReady, and then prints one JSON object per line on stdout for everything that
//! happens (`{"event":"ready"}`, every push as `{"event":"push","message":{...}}`, every reply as
//! `{"event":"reply","message":{...}}`). It takes commands, one per line, on stdin:
//!
//! - `activate <game-session-id>` — ActivateGameSession
//! - `accept <game-session-id> <player-session-id>` — AcceptPlayerSession
//! - `remove <game-session-id> <player-session-id>` — RemovePlayerSession
//! - `call <Action> <JSON object>` — any other action with these members, e.g.
//!   `call StartMatchBackfill {"GameSessionArn": "...", "Players": [...]}`
//! - `ending` — ProcessEnding, then exit without a close frame (as the Go SDK does)

use std::time::Duration;

use gamelift_emulator_compat::game_server::{GameServer, ProcessParams};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("fake-game-server: {name} is not set");
        std::process::exit(2)
    })
}

fn emit(event: &str, message: Option<&Value>) {
    let line = match message {
        Some(m) => json!({ "event": event, "message": m }),
        None => json!({ "event": event }),
    };
    println!("{line}");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let params = ProcessParams {
        websocket_url: env("GAMELIFT_SDK_WEBSOCKET_URL"),
        process_id: env("GAMELIFT_SDK_PROCESS_ID"),
        host_id: env("GAMELIFT_SDK_HOST_ID"),
        fleet_id: env("GAMELIFT_SDK_FLEET_ID"),
        auth_token: env("GAMELIFT_SDK_AUTH_TOKEN"),
    };
    let port = std::env::var("FAKE_GAME_SERVER_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(7777);
    let mut server = match GameServer::connect(&params, None).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-game-server: {e}");
            std::process::exit(1)
        }
    };
    if let Err(e) = server.process_ready(port).await {
        eprintln!("fake-game-server: ProcessReady failed: {e}");
        std::process::exit(1)
    }
    emit("ready", None);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            push = server.next_push(Duration::from_secs(3600)) => match push {
                Ok(message) => emit("push", Some(&message)),
                Err(e) => {
                    eprintln!("fake-game-server: {e}");
                    std::process::exit(1)
                }
            },
            line = lines.next_line() => {
                let Ok(Some(line)) = line else { return };
                let words: Vec<&str> = line.split_whitespace().collect();
                let reply = match words.as_slice() {
                    ["call", action, ..] => {
                        let body = line.splitn(3, ' ').nth(2).unwrap_or("{}");
                        match serde_json::from_str::<Value>(body) {
                            Ok(fields) => server.request(action, fields).await,
                            Err(e) => Err(format!("call {action}: the members are not JSON: {e}")),
                        }
                    }
                    ["activate", gs] => server.activate_game_session(gs).await,
                    ["accept", gs, ps] => server.accept_player_session(gs, ps).await,
                    ["remove", gs, ps] => server.remove_player_session(gs, ps).await,
                    ["ending"] => {
                        let r = server.process_ending().await;
                        emit("ended", None);
                        server.vanish();
                        std::process::exit(if r.is_ok() { 0 } else { 1 })
                    }
                    _ => Err(format!("unknown command: {line}")),
                };
                match reply {
                    Ok(message) => emit("reply", Some(&message)),
                    Err(e) => emit("error", Some(&json!(e))),
                }
            }
        }
    }
}
