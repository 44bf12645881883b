//! A test game-server process that speaks the Server SDK 5 side of the WebSocket protocol as
//! the real SDK does (as recorded from the Go SDK 5.6; docs/wire-facts.md §6):
//!
//! - connects to `<endpoint>?Authorization=…&ComputeId=…&FleetId=…&IdempotencyToken=<uuid>&pID=…
//!   &sdkLanguage=Go&sdkVersion=5.6.0` (sorted and URL-encoded, as Go's `url.Values` does);
//! - sends one JSON object per text frame, `{"Action", "RequestId": <uuid>, ...}`, and matches
//!   replies by `RequestId`; anything else that arrives is a push (`CreateGameSession`,
//!   `UpdateGameSession`, `TerminateProcess`);
//! - calls `ProcessReady` (`ActivateServerProcess`) and sends its first heartbeat right after;
//! - can vanish without a close frame, as the Go SDK does after `ProcessEnding`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::pem::PemObject;
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Waiters = Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>;

/// How long a request waits for its reply (the SDKs' SERVICE_CALL_TIMEOUT is 20 s).
pub const SERVICE_CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Who the process says it is.
#[derive(Debug, Clone)]
pub struct ProcessParams {
    /// `GAMELIFT_SDK_WEBSOCKET_URL` (the compute's GameLiftServiceSdkEndpoint).
    pub websocket_url: String,
    /// `GAMELIFT_SDK_PROCESS_ID`.
    pub process_id: String,
    /// `GAMELIFT_SDK_HOST_ID` (compute name).
    pub host_id: String,
    /// `GAMELIFT_SDK_FLEET_ID`.
    pub fleet_id: String,
    /// `GAMELIFT_SDK_AUTH_TOKEN`.
    pub auth_token: String,
}

impl ProcessParams {
    /// The connect URL, as the Go SDK builds it.
    pub fn connect_url(&self) -> String {
        let mut pairs = [
            ("Authorization", self.auth_token.clone()),
            ("ComputeId", self.host_id.clone()),
            ("FleetId", self.fleet_id.clone()),
            ("IdempotencyToken", uuid::Uuid::new_v4().to_string()),
            ("pID", self.process_id.clone()),
            ("sdkLanguage", "Go".to_string()),
            ("sdkVersion", "5.6.0".to_string()),
        ];
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        let base = if self.websocket_url.ends_with('/') {
            self.websocket_url.clone()
        } else {
            format!("{}/", self.websocket_url)
        };
        format!("{base}?{}", query.join("&"))
    }
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A connected game-server process.
pub struct GameServer {
    sink: SplitSink<Socket, Message>,
    waiters: Waiters,
    pushes: mpsc::UnboundedReceiver<Value>,
    reader: JoinHandle<()>,
}

impl GameServer {
    /// Connects over `ws://`, or over `wss://` trusting `trusted_cert_pem`.
    pub async fn connect(params: &ProcessParams, trusted_cert_pem: Option<&str>) -> Result<Self, String> {
        let url = params.connect_url();
        let connector = match trusted_cert_pem {
            None => None,
            Some(pem) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
                    roots.add(cert.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
                }
                let config =
                    rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
                Some(Connector::Rustls(Arc::new(config)))
            }
        };
        let (socket, _) =
            tokio_tungstenite::connect_async_tls_with_config(url.as_str(), None, false, connector)
                .await
                .map_err(|e| format!("connect {url}: {e}"))?;
        let (sink, mut stream) = socket.split();
        let waiters: Waiters = Arc::default();
        let (push_tx, pushes) = mpsc::unbounded_channel();
        let w = waiters.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                let rid = v.get("RequestId").and_then(Value::as_str).unwrap_or_default().to_string();
                let waiter = w.lock().ok().and_then(|mut m| m.remove(&rid));
                match waiter {
                    Some(tx) => {
                        let _ = tx.send(v);
                    }
                    None => {
                        let _ = push_tx.send(v);
                    }
                }
            }
        });
        Ok(Self { sink, waiters, pushes, reader })
    }

    /// Sends `{"Action": action, "RequestId": <uuid>, ...fields}` and waits for the reply.
    pub async fn request(&mut self, action: &str, fields: Value) -> Result<Value, String> {
        let rid = uuid::Uuid::new_v4().to_string();
        let mut msg = match fields {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        msg.insert("Action".into(), json!(action));
        msg.insert("RequestId".into(), json!(rid));
        let (tx, rx) = oneshot::channel();
        self.waiters.lock().map_err(|e| e.to_string())?.insert(rid.clone(), tx);
        self.sink
            .send(Message::Text(Value::Object(msg).to_string().into()))
            .await
            .map_err(|e| e.to_string())?;
        let reply = tokio::time::timeout(SERVICE_CALL_TIMEOUT, rx)
            .await
            .map_err(|_| format!("{action}: no reply within {SERVICE_CALL_TIMEOUT:?}"))?
            .map_err(|_| format!("{action}: the connection closed"))?;
        if reply["Action"] != action || reply["RequestId"] != rid.as_str() {
            return Err(format!("{action}: reply does not echo Action/RequestId: {reply}"));
        }
        Ok(reply)
    }

    /// Like [`request`](Self::request), failing unless the reply has StatusCode 200.
    pub async fn call(&mut self, action: &str, fields: Value) -> Result<Value, String> {
        let reply = self.request(action, fields).await?;
        if reply["StatusCode"] != 200 {
            return Err(format!("{action} failed: {reply}"));
        }
        Ok(reply)
    }

    /// `ProcessReady(port, logPaths)`, then the first heartbeat, as every SDK does.
    pub async fn process_ready(&mut self, port: u16) -> Result<(), String> {
        self.call("ActivateServerProcess", json!({ "SdkVersion": "5.6.0", "SdkLanguage": "Go", "Port": port, "LogPaths": ["logs/server.log"] }))
            .await?;
        self.heartbeat(true).await
    }

    /// One `HeartbeatServerProcess`.
    pub async fn heartbeat(&mut self, healthy: bool) -> Result<(), String> {
        self.call("HeartbeatServerProcess", json!({ "HealthStatus": healthy })).await.map(|_| ())
    }

    /// `ActivateGameSession()` for the session from the last CreateGameSession push.
    pub async fn activate_game_session(&mut self, game_session_id: &str) -> Result<Value, String> {
        self.request("ActivateGameSession", json!({ "GameSessionId": game_session_id })).await
    }

    /// `AcceptPlayerSession`.
    pub async fn accept_player_session(
        &mut self,
        game_session_id: &str,
        player_session_id: &str,
    ) -> Result<Value, String> {
        self.request(
            "AcceptPlayerSession",
            json!({ "GameSessionId": game_session_id, "PlayerSessionId": player_session_id }),
        )
        .await
    }

    /// `RemovePlayerSession`.
    pub async fn remove_player_session(
        &mut self,
        game_session_id: &str,
        player_session_id: &str,
    ) -> Result<Value, String> {
        self.request(
            "RemovePlayerSession",
            json!({ "GameSessionId": game_session_id, "PlayerSessionId": player_session_id }),
        )
        .await
    }

    /// `ProcessEnding()`.
    pub async fn process_ending(&mut self) -> Result<(), String> {
        self.call("TerminateServerProcess", json!({})).await.map(|_| ())
    }

    /// The next push (a message that answers no request), within `timeout`.
    pub async fn next_push(&mut self, timeout: Duration) -> Result<Value, String> {
        tokio::time::timeout(timeout, self.pushes.recv())
            .await
            .map_err(|_| format!("no push within {timeout:?}"))?
            .ok_or_else(|| "the connection closed".to_string())
    }

    /// Drops the connection without a close frame (what the Go SDK does after ProcessEnding,
    /// and what a crash looks like).
    pub fn vanish(self) {
        self.reader.abort();
        drop(self.sink);
    }
}
