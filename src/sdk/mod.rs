//! The Server SDK 5 side: the WebSocket that game-server processes connect to.
//!
//! A process connects with `GET <any path>?pID=…&FleetId=…&ComputeId=…&Authorization=<token>&…`
//! and an upgrade to WebSocket (on the main port as `ws://`, or on `--wss-bind` as `wss://`).
//! Every frame is one JSON object. Requests from the SDK carry `Action` and `RequestId`
//! (`requests.rs`, one type per action); the reply echoes both with `StatusCode` (200, or
//! 4xx/5xx with `ErrorMessage`) and any result members at the top level (`replies.rs`). Pushes
//! from the emulator (`CreateGameSession`, `UpdateGameSession`, `TerminateProcess`, in
//! `pushes.rs`) carry a fresh `RequestId` and `StatusCode` 200. `frames/` holds the frames the
//! SDKs were seen to exchange, which the unit tests compare these types with; docs/wire-facts.md §6
//! says what the SDKs expect.
//!
//! This module only translates: every rule lives in `model::compute` and friends, reached
//! through `Emulator::with_world`; messages the model queues for processes come back through
//! the connection registry in `state.rs`.

mod messages;
pub mod pushes;
pub mod replies;
pub mod requests;
#[cfg(test)]
mod tests;

/// Handles one request frame from process `who` and returns the reply frame (see
/// `messages::handle`); with `--data-dir` the frame is journaled as one command.
pub fn handle(em: &Emulator, who: &ProcessIdentity, text: &str) -> String {
    let _ = crate::journal::take_appended();
    em.command(
        || crate::journal::Command::Message { who: who.clone(), text: text.to_owned() },
        || messages::handle(em, who, text),
    )
}

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::model::compute::{ProcessKey, ProcessMessage};
use crate::state::Emulator;

/// Who is connecting, from the connect URL's query string.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessIdentity {
    /// `pID`
    pub pid: String,
    /// `FleetId`
    pub fleet_id: String,
    /// `ComputeId` (the compute name)
    pub compute: String,
    /// `sdkLanguage` `sdkVersion`
    pub sdk: String,
}

impl ProcessIdentity {
    /// The model's key for this process.
    pub fn key(&self) -> ProcessKey<'_> {
        ProcessKey { fleet: &self.fleet_id, pid: &self.pid }
    }
}

/// A process attached to the emulator: the connection number the model addresses its pushes
/// to, and the channel they arrive on.
#[derive(Debug)]
pub struct Attached {
    /// Connection number.
    pub conn: u64,
    /// Pushes for the process, and `ProcessMessage::Close` when the emulator ends it.
    pub messages: mpsc::UnboundedReceiver<ProcessMessage>,
}

/// Attaches process `who` (first connect or reconnect), as a socket opening does; messages
/// queued while it was away arrive at once. Tests attach without a socket and drive `handle`.
pub fn attach(em: &Emulator, who: &ProcessIdentity) -> Result<Attached, ApiError> {
    let (tx, messages) = mpsc::unbounded_channel();
    let conn = em.register_connection(tx);
    match connect(em, who, conn) {
        Ok(()) => Ok(Attached { conn, messages }),
        Err(e) => {
            em.unregister_connection(conn);
            Err(e)
        }
    }
}

/// Connection `conn` of process `who` closed: unless it reconnects within the grace period,
/// the process ends.
pub fn detach(em: &Emulator, who: &ProcessIdentity, conn: u64) {
    em.unregister_connection(conn);
    disconnect(em, who, conn);
}

/// Process `who` joins the world on connection `conn` (a journaled command; start-up replay
/// runs it again).
pub(crate) fn connect(em: &Emulator, who: &ProcessIdentity, conn: u64) -> Result<(), ApiError> {
    em.command(
        || crate::journal::Command::Attach { who: who.clone(), conn },
        || em.with_world(|w, now| w.connect_process(now, who.key(), &who.compute, conn, &who.sdk)),
    )
}

/// Connection `conn` of process `who` is gone from the world (a journaled command; start-up
/// replay runs it again, and a restart runs it for every process that was attached).
pub(crate) fn disconnect(em: &Emulator, who: &ProcessIdentity, conn: u64) {
    em.command(
        || crate::journal::Command::Detach { who: who.clone(), conn },
        || em.with_world(|w, now| w.disconnect_process(now, who.key(), conn)),
    );
}

/// The largest frame (and message) a process may send: 16 MiB, as the SDKs' own limit. A larger
/// one is answered with close code 1009 (message too big).
pub const MAX_FRAME: usize = 16 << 20;

/// Read and write buffer per socket: SDK frames are small, and the buffers are what a socket
/// costs while open (tungstenite's defaults are 128 KiB each).
const SOCKET_BUFFER: usize = 16 << 10;

/// The body of a refused upgrade.
#[derive(serde::Serialize)]
struct Refusal<'a> {
    message: &'a str,
}

fn plain(status: StatusCode, message: String) -> Response {
    let body = replies::to_frame(&Refusal { message: &message });
    (status, [("content-type", "application/json")], body).into_response()
}

/// Answers a WebSocket upgrade from a game-server process: 400 without the identifying query
/// parameters, 403 for a bad `Authorization` token (the SDKs report that as "forbidden"), else
/// the upgrade.
pub async fn upgrade(em: Emulator, req: axum::extract::Request) -> Response {
    let query: HashMap<String, String> =
        req.uri().query().map(|q| serde_urlencoded::from_str(q).unwrap_or_default()).unwrap_or_default();
    let get = |k: &str| query.get(k).filter(|v| !v.is_empty()).cloned();
    let (Some(pid), Some(fleet_id), Some(compute)) = (get("pID"), get("FleetId"), get("ComputeId")) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "A game-server connection needs the query parameters pID, FleetId, ComputeId and Authorization."
                .into(),
        );
    };
    let token = get("Authorization").unwrap_or_default();
    if let Err(e) = em.with_world(|w, now| {
        w.fleet(&fleet_id)?;
        w.authorize_process(now, &fleet_id, &token)?;
        w.check_process_compute(&fleet_id, &compute)
    }) {
        let status =
            if matches!(e, ApiError::NotFound(_)) { StatusCode::NOT_FOUND } else { StatusCode::FORBIDDEN };
        return plain(status, e.message().to_string());
    }
    let sdk = format!(
        "{} {}",
        get("sdkLanguage").unwrap_or_else(|| "unknown".into()),
        get("sdkVersion").unwrap_or_else(|| "unknown".into())
    );
    let identity = ProcessIdentity { pid, fleet_id, compute, sdk };
    let (mut parts, _body) = req.into_parts();
    match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws
            .max_message_size(MAX_FRAME)
            .max_frame_size(MAX_FRAME)
            .read_buffer_size(SOCKET_BUFFER)
            .write_buffer_size(SOCKET_BUFFER)
            .on_upgrade(move |socket| connection(em, identity, socket))
            .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

async fn connection(em: Emulator, who: ProcessIdentity, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let Attached { conn, messages: mut rx } = match attach(&em, &who) {
        Ok(attached) => attached,
        Err(e) => {
            tracing::info!(pid = %who.pid, fleet = %who.fleet_id, "refusing process: {}", e.message());
            let reason = e.message().chars().take(120).collect::<String>();
            let _ = sink.send(Message::Close(Some(CloseFrame { code: 1008, reason: reason.into() }))).await;
            return;
        }
    };
    tracing::info!(pid = %who.pid, fleet = %who.fleet_id, compute = %who.compute, sdk = %who.sdk, "game-server process connected");
    loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let reply = handle(&em, &who, text.as_str());
                    if !acknowledged(&em, &mut sink).await {
                        break;
                    }
                    if sink.send(Message::Text(reply.into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Binary(bytes))) => {
                    let reply = match std::str::from_utf8(&bytes) {
                        Ok(text) => handle(&em, &who, text),
                        Err(_) => replies::malformed("a binary frame that is not UTF-8 JSON"),
                    };
                    if !acknowledged(&em, &mut sink).await {
                        break;
                    }
                    if sink.send(Message::Text(reply.into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Ping(p))) => {
                    if sink.send(Message::Pong(p)).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Pong(_))) => {}
                Some(Err(e)) => {
                    // Over the size limit: say so with 1009 before closing (other read errors
                    // leave no socket to say anything on).
                    if e.to_string().contains("Space limit exceeded") {
                        let reason = format!("frames are limited to {MAX_FRAME} bytes");
                        let _ = sink.send(Message::Close(Some(CloseFrame { code: 1009, reason: reason.into() }))).await;
                    }
                    break;
                }
                Some(Ok(Message::Close(_))) | None => break,
            },
            outgoing = rx.recv() => {
                // `Abort` (an injected fault) drops the socket without a close frame.
                if matches!(outgoing, Some(ProcessMessage::Abort)) {
                    break;
                }
                // `Close` (or the emulator dropping the channel) is the end of the socket.
                let Some(frame) = outgoing.as_ref().and_then(pushes::push) else {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code: 1000, reason: "process ended".into() }))).await;
                    break;
                };
                if sink.send(Message::Text(frame.into())).await.is_err() {
                    break;
                }
            }
        }
    }
    detach(&em, &who, conn);
    tracing::info!(pid = %who.pid, fleet = %who.fleet_id, "game-server process socket closed");
}

/// Waits until the frame just handled is durable (with `--data-dir`), so a reply is never sent
/// for a change a crash could lose; if the journal cannot be written, closes the socket with
/// 1011 and says so. Returns whether the socket is still usable.
async fn acknowledged(em: &Emulator, sink: &mut futures_util::stream::SplitSink<WebSocket, Message>) -> bool {
    let seq = crate::journal::take_appended();
    match em.durable(seq).await {
        Ok(()) => true,
        Err(e) => {
            let reason = e.message().chars().take(120).collect::<String>();
            let _ = sink.send(Message::Close(Some(CloseFrame { code: 1011, reason: reason.into() }))).await;
            false
        }
    }
}
