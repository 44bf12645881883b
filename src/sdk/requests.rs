//! What game-server processes send: one type per `Action`, named after it, with its members
//! as the SDKs serialize them. Members a type does not list are ignored (the SDKs also send
//! `SdkVersion`, `SdkLanguage`, `SdkToolName` and the like). Every member is optional here:
//! the handlers in `messages.rs` say which are required, so a missing member is reported as
//! missing and a member of the wrong type as being of the wrong type.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// The two members every request carries, read before the rest so that a frame with a
/// missing or unusable `Action` still gets an error reply under its `RequestId`.
#[derive(Debug, PartialEq)]
pub struct Envelope {
    /// `RequestId`, echoed in the reply (none: the reply carries none).
    pub request_id: Option<String>,
    /// `Action`, or why the frame has none to act on.
    pub action: Result<String, ApiError>,
}

#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(rename = "Action")]
    action: Option<Value>,
    #[serde(rename = "RequestId")]
    request_id: Option<Value>,
}

fn wrong_type(member: &str, detail: &str) -> ApiError {
    ApiError::InvalidRequest(format!("Invalid value for member '{member}': {detail}."))
}

/// Reads the envelope of a request frame. Fails only when there is no `RequestId` to answer
/// under: the frame is not a JSON object, or its `RequestId` is not a string.
pub fn envelope(text: &str) -> Result<Envelope, ApiError> {
    let raw: RawEnvelope = serde_json::from_str(text).map_err(|_| {
        ApiError::InvalidRequest(
            "The emulator could not read the message: expected a JSON object with Action and RequestId."
                .into(),
        )
    })?;
    let request_id = match raw.request_id {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id),
        Some(other) => return Err(wrong_type("RequestId", &format!("expected a string, not {other}"))),
    };
    let action = match raw.action {
        None | Some(Value::Null) => Err(ApiError::InvalidRequest(
            "The message has no Action: every request names its Action and carries a RequestId.".into(),
        )),
        Some(Value::String(action)) => Ok(action),
        Some(other) => Err(wrong_type("Action", &format!("expected a string, not {other}"))),
    };
    Ok(Envelope { request_id, action })
}

/// Decodes the members of one action's request. A member of the wrong type is an
/// `InvalidRequestException` naming it (the API side words it the same way).
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let detail = e.inner().to_string();
        // serde_json appends where in the text it stopped; the member name says more.
        let detail = detail.rsplit_once(" at line ").map_or(detail.as_str(), |(d, _)| d);
        wrong_type(&e.path().to_string(), detail)
    })
}

/// `ActivateServerProcess` (`ProcessReady`).
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActivateServerProcess {
    /// The port the process listens on (0 or absent: none).
    pub port: Option<u16>,
    /// Log paths (the Go SDK sends `null` when there are none).
    pub log_paths: Option<Vec<String>>,
}

/// `HeartbeatServerProcess`.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HeartbeatServerProcess {
    /// What `OnHealthCheck` answered (absent: healthy).
    pub health_status: Option<bool>,
}

/// `ActivateGameSession`.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActivateGameSession {
    /// The game session from the last `CreateGameSession` push.
    pub game_session_id: Option<String>,
}

/// `UpdatePlayerSessionCreationPolicy`.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePlayerSessionCreationPolicy {
    /// The hosted game session.
    pub game_session_id: Option<String>,
    /// `ACCEPT_ALL` or `DENY_ALL`.
    pub player_session_policy: Option<String>,
}

/// `AcceptPlayerSession`.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AcceptPlayerSession {
    /// The hosted game session.
    pub game_session_id: Option<String>,
    /// The player session that connected.
    pub player_session_id: Option<String>,
}

/// `RemovePlayerSession`.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemovePlayerSession {
    /// The hosted game session.
    pub game_session_id: Option<String>,
    /// The player session that left.
    pub player_session_id: Option<String>,
}

/// `DescribePlayerSessions`.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribePlayerSessions {
    /// Sessions of this game session.
    pub game_session_id: Option<String>,
    /// Sessions of this player.
    pub player_id: Option<String>,
    /// This one session.
    pub player_session_id: Option<String>,
    /// `RESERVED`, `ACTIVE`, `COMPLETED` or `TIMEDOUT`.
    pub player_session_status_filter: Option<String>,
    /// From the previous page.
    pub next_token: Option<String>,
    /// Page size (absent or not positive: no limit).
    pub limit: Option<i64>,
}

/// `GetComputeCertificate` (no members).
#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct GetComputeCertificate {}

/// `GetFleetRoleCredentials`.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetFleetRoleCredentials {
    /// The role to assume.
    pub role_arn: Option<String>,
    /// The session name (the SDK defaults it to `<fleet>-<host>`).
    pub role_session_name: Option<String>,
}

/// `TerminateServerProcess` (`ProcessEnding`, no members).
#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct TerminateServerProcess {}
