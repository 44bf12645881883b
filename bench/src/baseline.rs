//! The baseline: a bare axum server that decodes the same CreateGameSession body (serde into a
//! struct) and answers a GameSession-sized response, with no validation and no state. It runs
//! as a subprocess of the bench binary (`--baseline-server PORT`) on tokio's default
//! multi-thread runtime, exactly as the emulator does, so both get the same CPU accounting.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)] // decoded as the emulator decodes it; the baseline reads only a few members
struct CreateGameSessionInput {
    fleet_id: Option<String>,
    alias_id: Option<String>,
    maximum_player_session_count: Option<i32>,
    name: Option<String>,
    game_properties: Option<Vec<GameProperty>>,
    creator_id: Option<String>,
    game_session_id: Option<String>,
    idempotency_token: Option<String>,
    game_session_data: Option<String>,
    location: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GameProperty {
    key: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateGameSessionOutput {
    game_session: GameSession,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GameSession {
    game_session_id: String,
    name: Option<String>,
    fleet_id: String,
    fleet_arn: String,
    creation_time: f64,
    current_player_session_count: i32,
    maximum_player_session_count: i32,
    status: &'static str,
    game_properties: Vec<GameProperty>,
    ip_address: &'static str,
    dns_name: &'static str,
    port: i32,
    player_session_creation_policy: &'static str,
    location: &'static str,
}

fn output(input: CreateGameSessionInput) -> CreateGameSessionOutput {
    let fleet_id = input.fleet_id.unwrap_or_default();
    let token =
        input.idempotency_token.unwrap_or_else(|| "gsess-00000000-0000-4000-8000-000000000000".into());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    CreateGameSessionOutput {
        game_session: GameSession {
            game_session_id: format!("arn:aws:gamelift:us-east-1::gamesession/{fleet_id}/{token}"),
            name: input.name,
            fleet_arn: format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{fleet_id}"),
            fleet_id,
            creation_time: now as f64 / 1000.0,
            current_player_session_count: 0,
            maximum_player_session_count: input.maximum_player_session_count.unwrap_or(0),
            status: "ACTIVATING",
            game_properties: input.game_properties.unwrap_or_default(),
            ip_address: "127.0.0.1",
            dns_name: "localhost",
            port: 7777,
            player_session_creation_policy: "ACCEPT_ALL",
            location: "us-east-1",
        },
    }
}

async fn json(body: Bytes) -> Response {
    match serde_json::from_slice::<CreateGameSessionInput>(&body) {
        Ok(input) => match serde_json::to_vec(&output(input)) {
            Ok(out) => ([(header::CONTENT_TYPE, "application/x-amz-json-1.1")], out).into_response(),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        },
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

async fn cbor(body: Bytes) -> Response {
    match ciborium::from_reader::<CreateGameSessionInput, _>(&body[..]) {
        Ok(input) => {
            let mut out = Vec::with_capacity(512);
            match ciborium::into_writer(&output(input), &mut out) {
                Ok(()) => (
                    [
                        (header::CONTENT_TYPE, "application/cbor"),
                        (header::HeaderName::from_static("smithy-protocol"), "rpc-v2-cbor"),
                    ],
                    out,
                )
                    .into_response(),
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
            }
        }
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

/// Serves the baseline on 127.0.0.1:`port` until killed.
pub fn serve(port: u16) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("baseline: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let app = Router::new()
            .route("/", post(json))
            .route("/service/GameLift/operation/CreateGameSession", post(cbor))
            .route("/_emulator/health", axum::routing::get(|| async { "ok" }));
        let listener = match tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("baseline: cannot listen on port {port}: {e}");
                return ExitCode::FAILURE;
            }
        };
        match axum::serve(listener, app).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("baseline: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
