//! The wire: one port serving AWS JSON 1.1 (`POST /` with `X-Amz-Target: GameLift.<Op>`), Smithy
//! RPC v2 CBOR (`POST .../service/GameLift/operation/<Op>`), and the emulator's control API
//! under `/_emulator/`.
//!
//! Every response carries `x-amzn-RequestId`. Errors use the envelope every SDK parses
//! (api-ground-truth §1.6.3): `__type` plus `message`/`Message` in the request's codec, status
//! 400 (500 for `InternalServiceException`), `x-amzn-ErrorType` on JSON only. Nothing a client
//! sends can produce a panic, an HTML page or a hang.

pub mod codec;

use std::time::Instant;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path as AxumPath, Query, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::error::ApiError;
use crate::ops::{self, Output};
use crate::state::Emulator;
use codec::Codec;

const REQUEST_ID: &str = "x-amzn-requestid";
const SMITHY_PROTOCOL: &str = "smithy-protocol";

/// The service's router: API requests (both protocols) and `/_emulator/*`.
pub fn router(em: Emulator) -> Router {
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/events", get(events))
        .route("/_emulator/game-session-logs", get(game_session_log))
        .route("/_emulator/tls-certificate", get(tls_certificate))
        .route("/_emulator/game-session-updates", post(push_game_session_update))
        .route("/_emulator/player-sessions/{id}/accept", post(accept_player_session))
        .route("/_emulator/player-sessions/{id}/complete", post(complete_player_session))
        .fallback(api)
        .with_state(em)
}

fn request_id() -> HeaderValue {
    let mut buf = uuid::Uuid::encode_buffer();
    let s = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
    HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("00000000-0000-0000-0000-000000000000"))
}

fn json_response(status: StatusCode, value: serde_json::Value) -> Response {
    let mut resp = (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response();
    resp.headers_mut().insert(REQUEST_ID, request_id());
    resp
}

async fn health(State(em): State<Emulator>) -> Response {
    let c = em.with_world(|w, _| w.counts());
    json_response(
        StatusCode::OK,
        json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "region": em.config().region,
            "counts": {
                "fleets": c.fleets,
                "aliases": c.aliases,
                "gameSessions": c.game_sessions,
                "playerSessions": c.player_sessions,
                "pendingTimers": c.pending_timers,
            }
        }),
    )
}

async fn reset(State(em): State<Emulator>) -> Response {
    em.reset();
    json_response(StatusCode::OK, json!({ "status": "reset" }))
}

/// Control API: the event log, `GET /_emulator/events?after=<Sequence>&wait=<seconds>`: events
/// after `after`, oldest first, long-polling up to `wait` seconds (at most 20) for one.
async fn events(State(em): State<Emulator>, RawQuery(query): RawQuery) -> Response {
    match crate::events::parse_read_query(query.as_deref()) {
        Ok((after, wait)) => json_response(StatusCode::OK, em.events().read(after, wait).await.to_json()),
        Err(message) => respond(Codec::Json, Err(ApiError::InvalidRequest(message))),
    }
}

#[derive(serde::Deserialize)]
struct LogQuery {
    #[serde(rename = "GameSessionId")]
    game_session_id: String,
}

/// The URL GetGameSessionLogUrl hands out: a plain-text lifecycle log of one game session.
async fn game_session_log(State(em): State<Emulator>, Query(q): Query<LogQuery>) -> Response {
    match em.with_world(|w, _| w.game_session_log(&q.game_session_id)) {
        Ok(text) => {
            let mut resp =
                (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response();
            resp.headers_mut().insert(REQUEST_ID, request_id());
            resp
        }
        Err(e) => respond(Codec::Json, Err(e)),
    }
}

/// The wss listener's certificate (PEM), for clients that verify it (Go: `SSL_CERT_FILE`).
async fn tls_certificate(State(em): State<Emulator>) -> Response {
    match em.wss() {
        Some((_, pem)) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-pem-file")], pem.clone()).into_response()
        }
        None => respond(
            Codec::Json,
            Err(ApiError::NotFound("No wss listener runs (start the emulator with --wss-bind).".into())),
        ),
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdatePush {
    game_session_id: String,
    update_reason: Option<String>,
    backfill_ticket_id: Option<String>,
}

/// Control API: send an `UpdateGameSession` push (what FlexMatch backfill sends) to the process
/// hosting a game session, so a game server's `onUpdateGameSession` can be exercised.
async fn push_game_session_update(State(em): State<Emulator>, body: bytes::Bytes) -> Response {
    let result = match serde_json::from_slice::<UpdatePush>(&body) {
        Err(e) => Err(ApiError::Serialization(format!(
            "Expected {{\"GameSessionId\": ..., \"UpdateReason\": ...}}: {e}"
        ))),
        Ok(req) => em
            .with_world(|w, _| {
                let reason = req.update_reason.unwrap_or_else(|| "MATCHMAKING_DATA_UPDATED".into());
                w.push_game_session_update(&req.game_session_id, reason, req.backfill_ticket_id)
            })
            .map(|()| Output::Body(b"{}".to_vec())),
    };
    respond(Codec::Json, result)
}

/// Control API: the game server accepted a player (RESERVED → ACTIVE).
async fn accept_player_session(State(em): State<Emulator>, AxumPath(id): AxumPath<String>) -> Response {
    player_session_control(&em, |w, _| w.accept_player_session(&id))
}

/// Control API: the player left (→ COMPLETED).
async fn complete_player_session(State(em): State<Emulator>, AxumPath(id): AxumPath<String>) -> Response {
    player_session_control(&em, |w, now| w.complete_player_session(&id, now))
}

fn player_session_control(
    em: &Emulator,
    f: impl FnOnce(&mut crate::model::World, crate::model::Now) -> Result<u64, ApiError>,
) -> Response {
    let result = em.with_world(|w, now| {
        let seq = f(w, now)?;
        let p = w
            .player_session(seq)
            .ok_or_else(|| ApiError::InternalService("player session vanished".into()))?;
        let body = serde_json::json!({ "PlayerSession": ops::player_sessions::player_session_dto(w, p) });
        Ok(Output::Body(body.to_string().into_bytes()))
    });
    respond(Codec::Json, result)
}

/// How a request names its operation.
enum Route {
    Api(Codec, String),
    Error(Codec, ApiError),
}

fn route(method: &Method, path: &str, headers: &HeaderMap) -> Route {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    // RPC v2: only the last four path segments route.
    let segs: Vec<&str> = path.trim_end_matches('/').rsplitn(5, '/').collect();
    let rpc = segs.len() >= 4 && segs[1] == "operation" && segs[3] == "service";
    if rpc {
        let codec = Codec::Cbor;
        if method != Method::POST {
            return Route::Error(
                codec,
                ApiError::UnknownOperation(format!("{method} is not supported; use POST.")),
            );
        }
        if target.is_some() {
            return Route::Error(
                codec,
                ApiError::Serialization("An RPC v2 CBOR request must not carry X-Amz-Target.".into()),
            );
        }
        if let Some(p) = headers.get(SMITHY_PROTOCOL)
            && p.as_bytes() != b"rpc-v2-cbor"
        {
            return Route::Error(
                codec,
                ApiError::Serialization(format!(
                    "Unsupported smithy-protocol '{}'; expected rpc-v2-cbor.",
                    String::from_utf8_lossy(p.as_bytes())
                )),
            );
        }
        let service = segs[2];
        if service != "GameLift" && service != "com.amazonaws.gamelift.GameLift" {
            return Route::Error(codec, ApiError::UnknownOperation(format!("Unknown service: {service}")));
        }
        return Route::Api(codec, segs[0].to_owned());
    }
    let codec = Codec::Json;
    match target {
        _ if method != Method::POST => Route::Error(
            codec,
            ApiError::UnknownOperation(format!("No operation at {method} {path}; API requests are POSTs.")),
        ),
        Some(t) => match t.strip_prefix("GameLift.") {
            Some(op) if !op.is_empty() => Route::Api(codec, op.to_owned()),
            _ => Route::Error(codec, ApiError::UnknownOperation(format!("Unknown operation: {t}"))),
        },
        None => Route::Error(
            codec,
            ApiError::UnknownOperation("Missing X-Amz-Target header (expected GameLift.<Operation>).".into()),
        ),
    }
}

async fn api(State(em): State<Emulator>, req: Request) -> Response {
    let is_upgrade = req.method() == Method::GET
        && req
            .headers()
            .get(header::UPGRADE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if is_upgrade {
        return crate::sdk::upgrade(em, req).await;
    }
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let (codec, result, op) = match route(&parts.method, parts.uri.path(), &parts.headers) {
        Route::Error(codec, e) => (codec, Err(e), String::new()),
        Route::Api(codec, op) => {
            let result = match read_body(body, &parts.headers, em.config().max_body_size).await {
                Ok(bytes) => ops::dispatch(&em, &op, codec, &bytes),
                Err(e) => Err(e),
            };
            (codec, result, op)
        }
    };
    let resp = respond(codec, result);
    tracing::debug!(
        op = %op,
        status = resp.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    resp
}

async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<bytes::Bytes, ApiError> {
    let too_large = |n: Option<u64>| {
        ApiError::RequestEntityTooLarge(match n {
            Some(n) => format!("The request body of {n} bytes exceeds the limit of {limit} bytes."),
            None => format!("The request body exceeds the limit of {limit} bytes."),
        })
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(declared));
    }
    to_bytes(body, limit).await.map_err(|e| {
        if std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) {
            too_large(None)
        } else {
            ApiError::Serialization(format!("The request body could not be read: {e}"))
        }
    })
}

fn respond(codec: Codec, result: Result<Output, ApiError>) -> Response {
    let mut resp = match result {
        Ok(Output::Body(bytes)) => {
            let mut r = Response::new(Body::from(bytes));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(codec.content_type()));
            r
        }
        Ok(Output::Unit) => match codec {
            Codec::Json => {
                let mut r = Response::new(Body::from("{}"));
                r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(codec.content_type()));
                r
            }
            Codec::Cbor => Response::new(Body::empty()),
        },
        Err(e) => {
            if e.status() >= 500 {
                tracing::error!(code = e.code(), message = e.message(), "internal error");
            }
            let mut r = Response::new(Body::from(codec.encode_error(&e)));
            *r.status_mut() = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(codec.content_type()));
            if codec == Codec::Json {
                h.insert("x-amzn-errortype", HeaderValue::from_static(e.code()));
            }
            r
        }
    };
    let h = resp.headers_mut();
    h.insert(REQUEST_ID, request_id());
    if codec == Codec::Cbor {
        h.insert(SMITHY_PROTOCOL, HeaderValue::from_static("rpc-v2-cbor"));
    }
    resp
}
