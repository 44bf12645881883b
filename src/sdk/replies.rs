//! What the emulator answers a request with: the request's `Action` and `RequestId`, a
//! `StatusCode` (a JSON integer), and either the result's members at the top level (not under
//! `Data`) or an `ErrorMessage`. The C# and C++ SDKs route data-bearing replies by `Action`, so
//! it is always echoed when the request had one.

use serde::Serialize;

use crate::error::ApiError;

/// A successful reply: `StatusCode` 200 and the members of `result` beside the envelope.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Reply<'a, T> {
    /// The request's `Action`.
    pub action: &'a str,
    /// The request's `RequestId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
    /// Always 200.
    pub status_code: u16,
    /// The result's members.
    #[serde(flatten)]
    pub result: T,
}

/// A failed reply: a 4xx or 5xx `StatusCode` and the `ErrorMessage`. The SDKs treat any frame
/// with a `RequestId` and a status other than 200 as the error of that request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorReply<'a> {
    /// The request's `Action`, when it had a usable one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'a str>,
    /// The request's `RequestId`, when it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
    /// See `status_of`.
    pub status_code: u16,
    /// What went wrong.
    pub error_message: &'a str,
}

/// The result of an action that returns nothing but success.
#[derive(Debug, Default, Serialize)]
pub struct Done {}

/// `GetComputeCertificate`'s result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetComputeCertificateResult {
    /// CertificatePath given to RegisterCompute (empty when none).
    pub certificate_path: String,
    /// The compute's name.
    pub compute_name: String,
}

/// `GetFleetRoleCredentials`'s result. An empty `AccessKeyId` would make the SDKs conclude
/// that the fleet is not a managed one and refuse every later call, so it never is.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetFleetRoleCredentialsResult {
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub assumed_role_user_arn: String,
    /// `<role id>:<session>`.
    pub assumed_role_id: String,
    /// AccessKeyId.
    pub access_key_id: String,
    /// SecretAccessKey.
    pub secret_access_key: String,
    /// SessionToken.
    pub session_token: String,
    /// Expiry, epoch milliseconds.
    pub expiration: i64,
}

/// `DescribePlayerSessions`'s result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribePlayerSessionsResult {
    /// The page.
    pub player_sessions: Vec<PlayerSession>,
    /// The next page's token (empty on the last page).
    pub next_token: String,
}

/// A player session as the SDKs read it: times in epoch milliseconds, the port an integer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlayerSession {
    /// PlayerSessionId.
    pub player_session_id: String,
    /// PlayerId.
    pub player_id: String,
    /// The game session's ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_id: Option<String>,
    /// FleetId.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_id: Option<String>,
    /// IpAddress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// DnsName.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// Port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// PlayerData.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_data: Option<String>,
    /// CreationTime, epoch milliseconds.
    pub creation_time: i64,
    /// TerminationTime, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_time: Option<i64>,
    /// Status.
    pub status: &'static str,
}

/// The SDK status code for an error (the Go SDK maps 400/401/403/404/409/429; other 4xx are
/// "bad request", anything else "internal").
pub fn status_of(e: &ApiError) -> u16 {
    match e {
        ApiError::NotFound(_) => 404,
        ApiError::Unauthorized(_) => 401,
        ApiError::InvalidGameSessionStatus(_) | ApiError::Conflict(_) => 409,
        ApiError::LimitExceeded(_) => 429,
        ApiError::InternalService(_) => 500,
        _ => 400,
    }
}

/// The text of a frame. Encoding these types cannot fail (every key is a string), but should it,
/// the process gets a 500 rather than nothing.
pub fn to_frame<T: Serialize>(frame: &T) -> String {
    serde_json::to_string(frame).unwrap_or_else(|e| {
        tracing::error!("could not encode a game-server frame: {e}");
        r#"{"StatusCode":500,"ErrorMessage":"The emulator could not encode its reply."}"#.to_string()
    })
}

/// The frame answering `action`/`request_id` with `result`.
pub fn ok<T: Serialize>(action: &str, request_id: Option<&str>, result: T) -> String {
    to_frame(&Reply { action, request_id, status_code: 200, result })
}

/// The frame answering `action`/`request_id` with `error`.
pub fn error(action: Option<&str>, request_id: Option<&str>, error: &ApiError) -> String {
    to_frame(&ErrorReply {
        action,
        request_id,
        status_code: status_of(error),
        error_message: error.message(),
    })
}

/// The reply to a frame that is not a request at all (no `RequestId` to answer under).
pub fn malformed(why: &str) -> String {
    let message = format!("The emulator could not read the message: {why}.");
    error(None, None, &ApiError::InvalidRequest(message))
}
