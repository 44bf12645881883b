//! HTTP for the control API (`/_emulator/*`): routes, request decoding and JSON responses; the
//! work is in `ops::control`. Errors use the same JSON envelope as the AWS operations.

use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{REQUEST_ID, request_id, respond};
use crate::codec::Codec;
use crate::error::{ApiError, ApiResult};
use crate::ops::control;
use crate::state::Emulator;

/// The `/_emulator/*` routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/events", get(events))
        .route("/_emulator/clock", get(clock))
        .route("/_emulator/clock/advance", post(advance_clock))
        .route("/_emulator/clock/pause", post(pause_clock))
        .route("/_emulator/clock/resume", post(resume_clock))
        .route("/_emulator/game-session-logs", get(game_session_log))
        .route("/_emulator/tls-certificate", get(tls_certificate))
        .route("/_emulator/game-session-updates", post(push_game_session_update))
        .route("/_emulator/player-sessions/{id}/accept", post(accept_player_session))
        .route("/_emulator/player-sessions/{id}/complete", post(complete_player_session))
        .route("/_emulator/faults", get(list_faults).post(add_faults).delete(clear_faults))
        .route("/_emulator/faults/processes", post(process_fault))
}

/// A JSON answer (200) or the error envelope.
pub(crate) fn json<T: Serialize>(result: ApiResult<T>) -> Response {
    match result.and_then(|v| {
        serde_json::to_vec(&v).map_err(|e| ApiError::InternalService(format!("encoding the answer: {e}")))
    }) {
        Ok(body) => {
            let mut resp =
                (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            resp.headers_mut().insert(REQUEST_ID, request_id());
            resp
        }
        Err(e) => respond(Codec::Json, Err(e)),
    }
}

/// Decodes a JSON request body, naming what is wrong with it.
pub(crate) fn body<T: DeserializeOwned>(bytes: &[u8], endpoint: &str, example: &str) -> ApiResult<T> {
    let text = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { bytes };
    let de = &mut serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." { String::new() } else { format!(" at '{at}'") };
        ApiError::Serialization(format!(
            "Invalid body for {endpoint}{at}: {}. Expected {example}.",
            e.inner()
        ))
    })
}

/// Answers a known control path called with the wrong method (a 405 that says what to use).
pub async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> Response {
    let mut resp = respond(
        Codec::Json,
        Err(ApiError::UnknownOperation(format!(
            "{method} is not allowed on {}; see the README's control API for the method to use.",
            uri.path()
        ))),
    );
    *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    resp
}

async fn health(State(em): State<Emulator>) -> Response {
    json(Ok(control::health(&em)))
}

async fn reset(State(em): State<Emulator>) -> Response {
    json(durable(&em, Ok(control::reset(&em))).await)
}

/// The event log, `GET /_emulator/events?after=<Sequence>&wait=<seconds>`: events after
/// `after`, oldest first, long-polling up to `wait` seconds (at most 20) for one.
async fn events(State(em): State<Emulator>, RawQuery(query): RawQuery) -> Response {
    match crate::events::parse_read_query(query.as_deref()) {
        Ok((after, wait)) => json(Ok(em.events().read(after, wait).await.to_json())),
        Err(message) => respond(Codec::Json, Err(ApiError::InvalidRequest(message))),
    }
}

async fn clock(State(em): State<Emulator>) -> Response {
    json(Ok(control::clock(&em)))
}

async fn advance_clock(State(em): State<Emulator>, bytes: bytes::Bytes) -> Response {
    let result = body(&bytes, "POST /_emulator/clock/advance", "{\"Seconds\": <number greater than 0>}")
        .and_then(|input| control::advance_clock(&em, input));
    json(durable(&em, result).await)
}

async fn pause_clock(State(em): State<Emulator>) -> Response {
    json(durable(&em, Ok(control::pause_clock(&em))).await)
}

async fn resume_clock(State(em): State<Emulator>) -> Response {
    json(durable(&em, Ok(control::resume_clock(&em))).await)
}

#[derive(serde::Deserialize)]
struct LogQuery {
    #[serde(rename = "GameSessionId")]
    game_session_id: String,
}

async fn game_session_log(State(em): State<Emulator>, Query(q): Query<LogQuery>) -> Response {
    match control::game_session_log(&em, &q.game_session_id) {
        Ok(text) => {
            let mut resp =
                (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response();
            resp.headers_mut().insert(REQUEST_ID, request_id());
            resp
        }
        Err(e) => respond(Codec::Json, Err(e)),
    }
}

async fn tls_certificate(State(em): State<Emulator>) -> Response {
    match control::tls_certificate(&em) {
        Ok(pem) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response(),
        Err(e) => respond(Codec::Json, Err(e)),
    }
}

async fn push_game_session_update(State(em): State<Emulator>, bytes: bytes::Bytes) -> Response {
    let result = body(
        &bytes,
        "POST /_emulator/game-session-updates",
        "{\"GameSessionId\": ..., \"UpdateReason\": ...}",
    )
    .and_then(|input| control::push_game_session_update(&em, input))
    .map(|()| serde_json::json!({}));
    json(durable(&em, result).await)
}

async fn accept_player_session(State(em): State<Emulator>, Path(id): Path<String>) -> Response {
    json(durable(&em, control::accept_player_session(&em, &id)).await)
}

async fn complete_player_session(State(em): State<Emulator>, Path(id): Path<String>) -> Response {
    json(durable(&em, control::complete_player_session(&em, &id)).await)
}

const FAULT_EXAMPLE: &str = "a rule such as {\"Operation\": \"CreateGameSession\", \"ErrorCode\": \"ThrottlingException\", \"Count\": 3}, or a list of rules";

async fn add_faults(State(em): State<Emulator>, bytes: bytes::Bytes) -> Response {
    let is_list = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let specs = if is_list {
        body::<Vec<crate::faults::FaultSpec>>(&bytes, "POST /_emulator/faults", FAULT_EXAMPLE)
    } else {
        body::<crate::faults::FaultSpec>(&bytes, "POST /_emulator/faults", FAULT_EXAMPLE).map(|s| vec![s])
    };
    json(specs.and_then(|specs| control::add_faults(&em, specs)))
}

async fn list_faults(State(em): State<Emulator>) -> Response {
    json(Ok(control::list_faults(&em)))
}

async fn clear_faults(State(em): State<Emulator>) -> Response {
    json(Ok(control::clear_faults(&em)))
}

async fn process_fault(State(em): State<Emulator>, bytes: bytes::Bytes) -> Response {
    let result = body(
            &bytes,
            "POST /_emulator/faults/processes",
            "{\"FleetId\": ..., \"ProcessId\": <pID>, \"Fault\": \"DROP_CONNECTION\" | \"STOP_HEARTBEATS\" | \"CRASH\"}",
        )
        .and_then(|input| control::process_fault(&em, input));
    json(durable(&em, result).await)
}

/// With `--data-dir`: the answer to a call that changed something waits until the change is
/// durable (the sequence number is taken now, right after the call, on its thread).
pub(crate) fn durable<'a, T: 'a>(
    em: &'a Emulator,
    result: crate::error::ApiResult<T>,
) -> impl std::future::Future<Output = crate::error::ApiResult<T>> + 'a {
    let seq = crate::journal::take_appended();
    async move {
        em.durable(seq).await?;
        result
    }
}
