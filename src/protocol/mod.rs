//! The wire: one port serving AWS JSON 1.1 (`POST /` with `X-Amz-Target: GameLift.<Op>`), Smithy
//! RPC v2 CBOR (`POST .../service/GameLift/operation/<Op>`), and the emulator's control API
//! under `/_emulator/`.
//!
//! Every response carries `x-amzn-RequestId`. Errors use the envelope every SDK parses
//! (docs/wire-facts.md §3): `__type` plus `message`/`Message` in the request's codec, status
//! 400 (500 for `InternalServiceException`), `x-amzn-ErrorType` on JSON only. Nothing a client
//! sends can produce a panic, an HTML page or a hang.

pub mod control;
pub mod ui;

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use crate::codec::Codec;
use crate::error::ApiError;
use crate::ops::{self, Output};
use crate::state::Emulator;

const REQUEST_ID: &str = "x-amzn-requestid";
const SMITHY_PROTOCOL: &str = "smithy-protocol";

/// The service's router: API requests (both protocols) and `/_emulator/*`.
pub fn router(em: Emulator) -> Router {
    Router::new()
        .merge(control::routes())
        .merge(ui::routes())
        .route("/metrics", axum::routing::get(metrics))
        .fallback(api)
        .method_not_allowed_fallback(control::method_not_allowed)
        .with_state(em)
}

fn request_id() -> HeaderValue {
    let mut buf = uuid::Uuid::encode_buffer();
    let s = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
    HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("00000000-0000-0000-0000-000000000000"))
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
    if wants_dashboard(&req) {
        return axum::response::IntoResponse::into_response(axum::response::Redirect::to("/_emulator/ui"));
    }
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let (codec, result, op) = match route(&parts.method, parts.uri.path(), &parts.headers) {
        Route::Error(codec, e) => (codec, Err(e), "unknown"),
        Route::Api(codec, op) => {
            // An injected delay stalls the request here, before the body is read and without
            // the world lock.
            if let Some(delay) = em.faults().delay(&op) {
                tokio::time::sleep(delay).await;
            }
            let result = match read_body(body, &parts.headers, em.config().max_body_size).await {
                Ok(bytes) => match em.signing_keys() {
                    Some(keys) => crate::sigv4::verify(
                        keys,
                        &em.config().region,
                        em.now().wall_ms,
                        &parts.method,
                        &parts.uri,
                        &parts.headers,
                        &bytes,
                    )
                    .and_then(|()| ops::dispatch(&em, &op, codec, &bytes)),
                    None => ops::dispatch(&em, &op, codec, &bytes),
                },
                Err(e) => Err(e),
            };
            // With --data-dir, a change is answered only once it is durable.
            let result = match em.durable(crate::journal::take_appended()).await {
                Ok(()) => result,
                Err(e) => Err(e),
            };
            (codec, result, crate::metrics::operation_label(&op))
        }
    };
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) => e.code(),
    };
    let resp = respond(codec, result);
    let elapsed = started.elapsed();
    em.metrics().observe_request(op, codec, outcome, elapsed.as_secs_f64());
    tracing::debug!(op = %op, status = resp.status().as_u16(), micros = elapsed.as_micros() as u64, "request");
    resp
}

/// A browser's `GET /` (HTML accepted, no `X-Amz-Target`) goes to the dashboard; API requests
/// are POSTs and never match.
fn wants_dashboard(req: &Request) -> bool {
    req.method() == Method::GET
        && req.uri().path() == "/"
        && !req.headers().contains_key("x-amz-target")
        && req
            .headers()
            .get_all(header::ACCEPT)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.contains("text/html")))
}

/// `GET /metrics`: Prometheus scrapes this (OpenMetrics text).
async fn metrics(State(em): State<Emulator>) -> Response {
    match crate::metrics::render(&em) {
        Ok(text) => {
            let mut r = Response::new(Body::from(text));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(crate::metrics::CONTENT_TYPE));
            r
        }
        Err(_) => {
            respond(Codec::Json, Err(ApiError::InternalService("The metrics could not be encoded.".into())))
        }
    }
}

/// How much of an over-limit body is read and thrown away before the 413 is sent, so the client
/// (which is still sending) reads the answer instead of a connection reset. Past this, the
/// connection is closed after the 413.
const DRAIN_LIMIT: u64 = 64 << 20;

async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<bytes::Bytes, ApiError> {
    use http_body_util::BodyExt;
    let too_large = |n: Option<u64>| {
        ApiError::RequestEntityTooLarge(match n {
            Some(n) => format!("The request body of {n} bytes exceeds the limit of {limit} bytes."),
            None => format!("The request body exceeds the limit of {limit} bytes."),
        })
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(too_large(declared));
    }
    let mut body = body;
    let mut buf = bytes::BytesMut::new();
    let mut seen: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) if seen > limit as u64 => {
                tracing::debug!("over-limit body ended early: {e}");
                break;
            }
            Err(e) => {
                return Err(ApiError::Serialization(format!("The request body could not be read: {e}")));
            }
        };
        let Ok(data) = frame.into_data() else { continue };
        seen += data.len() as u64;
        if seen <= limit as u64 {
            buf.extend_from_slice(&data);
        } else if seen > DRAIN_LIMIT {
            break;
        } else if !buf.is_empty() {
            // Over the limit: keep reading, keep nothing.
            buf = bytes::BytesMut::new();
        }
    }
    if seen > limit as u64 {
        return Err(too_large(declared));
    }
    Ok(buf.freeze())
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
            if matches!(e, ApiError::RequestEntityTooLarge(_)) {
                // The body may not have been read to its end: do not reuse the connection.
                h.insert(header::CONNECTION, HeaderValue::from_static("close"));
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
