//! A small client for the in-process router: sends an operation in JSON or CBOR and returns
//! the status, headers and body (CBOR bodies converted to JSON values for assertions).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use gamelift_emulator::{Config, Emulator, Fixtures, app};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const FLEET: &str = "fleet-00000000-0000-4000-8000-000000000001";
pub const FLEET_LIMITED: &str = "fleet-00000000-0000-4000-8000-000000000002";
pub const FLEET_ACTIVATING: &str = "fleet-00000000-0000-4000-8000-000000000003";
pub const FLEET_TINY: &str = "fleet-00000000-0000-4000-8000-000000000004";
pub const FLEET_ANYWHERE: &str = "fleet-00000000-0000-4000-8000-000000000005";
pub const ALIAS_SIMPLE: &str = "alias-00000000-0000-4000-8000-000000000001";
pub const ALIAS_TERMINAL: &str = "alias-00000000-0000-4000-8000-000000000002";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Json,
    Cbor,
}

pub const BOTH: [Proto; 2] = [Proto::Json, Proto::Cbor];

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    /// The short error code (`com.amazonaws.gamelift#X` → `X`).
    pub fn error_type(&self) -> String {
        let t = self.body["__type"].as_str().unwrap_or_default();
        t.rsplit('#').next().unwrap_or_default().to_string()
    }

    pub fn message(&self) -> String {
        self.body["Message"].as_str().unwrap_or_default().to_string()
    }

    #[track_caller]
    pub fn assert_error(&self, code: &str) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "body: {}", self.body);
        assert_eq!(self.error_type(), code, "body: {}", self.body);
        assert_eq!(self.body["message"], self.body["Message"]);
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        &self.body
    }
}

pub struct Api {
    pub em: Emulator,
    app: Router,
}

impl Api {
    pub fn new() -> Self {
        Self::with(Config::for_tests())
    }

    pub fn with(config: Config) -> Self {
        let em = Emulator::new(config, Fixtures::builtin().expect("built-in fixtures"));
        Self { app: app(em.clone()), em }
    }

    /// Like [`Api::with`], through `Emulator::open` (which reads `--data-dir`).
    pub fn open(config: Config) -> Result<Self, String> {
        let em = Emulator::open(config, Fixtures::builtin().expect("built-in fixtures"))?;
        Ok(Self { app: app(em.clone()), em })
    }

    pub async fn call(&self, proto: Proto, op: &str, input: Value) -> Reply {
        let req = match proto {
            Proto::Json => Request::post("/")
                .header("x-amz-target", format!("GameLift.{op}"))
                .header("content-type", "application/x-amz-json-1.1")
                .body(Body::from(input.to_string())),
            Proto::Cbor => {
                let mut buf = Vec::new();
                ciborium::into_writer(&input, &mut buf).expect("cbor");
                Request::post(format!("/service/GameLift/operation/{op}"))
                    .header("smithy-protocol", "rpc-v2-cbor")
                    .header("content-type", "application/cbor")
                    .body(Body::from(buf))
            }
        }
        .expect("request");
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.app.clone().oneshot(req).await.expect("infallible");
        self.assert_invariants();
        let status = resp.status();
        let headers = resp.headers().clone();
        let raw = resp.into_body().collect().await.expect("body").to_bytes().to_vec();
        let is_cbor = headers.get("content-type").is_some_and(|v| v == "application/cbor");
        let body = if raw.is_empty() {
            Value::Null
        } else if is_cbor {
            let v: ciborium::Value = ciborium::from_reader(&raw[..]).expect("cbor body");
            cbor_to_json(v)
        } else {
            serde_json::from_slice(&raw).unwrap_or(Value::Null)
        };
        Reply { status, headers, body, raw }
    }

    /// Panics, naming the index at fault, if the world's indexes disagree with its records.
    #[track_caller]
    pub fn assert_invariants(&self) {
        if let Err(violations) = self.em.inspect(|w| w.check_invariants()) {
            panic!("world invariants broken:\n{violations}");
        }
    }

    pub async fn create(&self, proto: Proto, input: Value) -> Reply {
        self.call(proto, "CreateGameSession", input).await
    }

    pub async fn describe_one(&self, proto: Proto, id: &str) -> Value {
        let r = self.call(proto, "DescribeGameSessions", json!({ "GameSessionId": id })).await;
        r.assert_ok()["GameSessions"][0].clone()
    }
}

/// CBOR → JSON for assertions; tag 1 timestamps become their number.
pub fn cbor_to_json(v: ciborium::Value) -> Value {
    use ciborium::Value as C;
    match v {
        C::Null => Value::Null,
        C::Bool(b) => Value::Bool(b),
        C::Integer(i) => json!(i128::from(i) as i64),
        C::Float(f) => json!(f),
        C::Text(s) => Value::String(s),
        C::Bytes(b) => json!(b),
        C::Array(a) => Value::Array(a.into_iter().map(cbor_to_json).collect()),
        C::Map(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.as_text().unwrap_or_default().to_string(), cbor_to_json(v)))
                .collect(),
        ),
        C::Tag(_, inner) => cbor_to_json(*inner),
        _ => Value::Null,
    }
}
