//! The JSON envelope of the Server SDK 5 WebSocket: requests (`Action` + `RequestId`), their
//! replies, and the pushes the emulator sends.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::ProcessIdentity;
use crate::error::ApiError;
use crate::model::compute::{GameSessionPush, ProcessMessage};
use crate::model::{PlayerSessionCreationPolicy, PlayerSessionQuery, PlayerSessionStatus, World, paging};
use crate::state::Emulator;

const PLAYER_SESSIONS_TOKEN: &str = "sdk-ps";

fn request_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// The SDK status code for an error (the Go SDK maps 400/401/403/404/409/429; other 4xx are
/// "bad request", anything else "internal").
fn status_of(e: &ApiError) -> u16 {
    match e {
        ApiError::NotFound(_) => 404,
        ApiError::Unauthorized(_) => 401,
        ApiError::InvalidGameSessionStatus(_) | ApiError::Conflict(_) => 409,
        ApiError::LimitExceeded(_) => 429,
        ApiError::InternalService(_) => 500,
        _ => 400,
    }
}

fn reply(action: &str, request_id: &str, result: Result<Map<String, Value>, ApiError>) -> String {
    let mut out = match result {
        Ok(fields) => fields,
        Err(e) => {
            let mut m = Map::new();
            m.insert("StatusCode".into(), json!(status_of(&e)));
            m.insert("ErrorMessage".into(), json!(e.message()));
            m
        }
    };
    out.insert("Action".into(), json!(action));
    out.insert("RequestId".into(), json!(request_id));
    out.entry("StatusCode").or_insert(json!(200));
    Value::Object(out).to_string()
}

/// The reply to a frame that is not an SDK request.
pub fn malformed(why: &str) -> String {
    json!({ "StatusCode": 400, "ErrorMessage": format!("The emulator could not read the message: {why}.") })
        .to_string()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    action: String,
    #[serde(default)]
    request_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Fields {
    port: Option<i64>,
    log_paths: Option<Vec<String>>,
    health_status: Option<bool>,
    game_session_id: Option<String>,
    player_session_policy: Option<String>,
    player_session_id: Option<String>,
    player_id: Option<String>,
    player_session_status_filter: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
}

fn ok() -> Result<Map<String, Value>, ApiError> {
    Ok(Map::new())
}

fn required<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, ApiError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::InvalidRequest(format!("{name} is required.")))
}

/// Handles one request frame from process `who` and returns the reply frame.
pub fn handle(em: &Emulator, who: &ProcessIdentity, text: &str) -> String {
    let Ok(envelope) = serde_json::from_str::<Envelope>(text) else {
        return malformed("expected a JSON object with Action and RequestId");
    };
    let fields: Fields = serde_json::from_str(text).unwrap_or_default();
    let (action, rid) = (envelope.action.as_str(), envelope.request_id.as_str());
    let (fleet, pid) = (who.fleet_id.as_str(), who.pid.as_str());
    let cfg = em.config();
    let result = match action {
        "ActivateServerProcess" => {
            let port = fields.port.and_then(|p| u16::try_from(p).ok()).filter(|p| *p > 0);
            em.with_world(|w, _| w.activate_process(fleet, pid, port, fields.log_paths.unwrap_or_default()))
                .and_then(|()| ok())
        }
        "HeartbeatServerProcess" => {
            let healthy = fields.health_status.unwrap_or(true);
            let timeout = cfg.process_heartbeat_timeout;
            em.with_world(|w, now| w.process_heartbeat(now, fleet, pid, healthy, timeout)).and_then(|()| ok())
        }
        "ActivateGameSession" => required(&fields.game_session_id, "GameSessionId")
            .and_then(|id| em.with_world(|w, now| w.process_activate_game_session(now, fleet, pid, id)))
            .and_then(|()| ok()),
        "UpdatePlayerSessionCreationPolicy" => {
            required(&fields.game_session_id, "GameSessionId").and_then(|id| {
                let policy = required(&fields.player_session_policy, "PlayerSessionPolicy")?;
                let policy = PlayerSessionCreationPolicy::parse(policy).ok_or_else(|| {
                    ApiError::InvalidRequest(format!(
                        "PlayerSessionPolicy must be ACCEPT_ALL or DENY_ALL, not {policy}."
                    ))
                })?;
                em.with_world(|w, _| w.process_update_policy(fleet, pid, id, policy))?;
                ok()
            })
        }
        "AcceptPlayerSession" | "RemovePlayerSession" => required(&fields.game_session_id, "GameSessionId")
            .and_then(|id| {
                let ps = required(&fields.player_session_id, "PlayerSessionId")?;
                let accept = action == "AcceptPlayerSession";
                em.with_world(|w, now| w.process_player_session(now, fleet, pid, id, ps, accept))?;
                ok()
            }),
        "DescribePlayerSessions" => em.with_world(|w, _| describe_player_sessions(w, &fields)),
        "GetComputeCertificate" => em.with_world(|w, _| {
            let c = w.compute(fleet, &who.compute)?;
            let mut m = Map::new();
            m.insert("CertificatePath".into(), json!(c.certificate_path.clone().unwrap_or_default()));
            m.insert("ComputeName".into(), json!(c.name.to_string()));
            Ok(m)
        }),
        "GetFleetRoleCredentials" => {
            let role = fields.role_arn.unwrap_or_default();
            let session = fields.role_session_name.unwrap_or_else(|| format!("{fleet}-{}", who.compute));
            let role_name = role.rsplit('/').next().unwrap_or("role").to_string();
            let expires = em.now().wall_ms + 3_600_000;
            let mut m = Map::new();
            m.insert(
                "AssumedRoleUserArn".into(),
                json!(format!("arn:aws:sts::{}:assumed-role/{role_name}/{session}", cfg.account_id)),
            );
            m.insert("AssumedRoleId".into(), json!(format!("AROAEMULATOR0000000000:{session}")));
            m.insert("AccessKeyId".into(), json!("ASIAEMULATOR00000000"));
            m.insert("SecretAccessKey".into(), json!("gamelift-emulator-secret-access-key"));
            m.insert("SessionToken".into(), json!("gamelift-emulator-session-token"));
            m.insert("Expiration".into(), json!(expires));
            Ok(m)
        }
        "TerminateServerProcess" => {
            em.with_world(|w, now| w.process_ending(now, fleet, pid)).and_then(|()| ok())
        }
        "StartMatchBackfill" | "StopMatchBackfill" => Err(ApiError::InvalidRequest(format!(
            "{action}: FlexMatch matchmaking is not supported by gamelift-emulator yet."
        ))),
        other => Err(ApiError::InvalidRequest(format!("Unknown action {other}."))),
    };
    if let Err(e) = &result {
        tracing::debug!(action, pid, "SDK request failed: {}", e.message());
    }
    reply(action, rid, result)
}

fn describe_player_sessions(w: &World, f: &Fields) -> Result<Map<String, Value>, ApiError> {
    let sessions: Vec<Value>;
    let mut next = None;
    if let Some(id) = f.player_session_id.as_deref().filter(|s| !s.is_empty()) {
        sessions = vec![player_session_json(w, w.player_session_by_id(id)?)];
    } else {
        let status = match f.player_session_status_filter.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(PlayerSessionStatus::parse(s).ok_or_else(|| {
                ApiError::InvalidRequest(format!("Unknown PlayerSessionStatusFilter {s}."))
            })?),
        };
        let after = f
            .next_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| paging::decode(PLAYER_SESSIONS_TOKEN, t))
            .transpose()?;
        let q = PlayerSessionQuery {
            game_session_id: f.game_session_id.as_deref().filter(|s| !s.is_empty()),
            player_id: f.player_id.as_deref().filter(|s| !s.is_empty()),
            status,
            after,
            limit: f.limit.filter(|l| *l > 0).map_or(usize::MAX, |l| l as usize),
        };
        let (page, n) = w.list_player_sessions(&q)?;
        sessions = page.into_iter().map(|p| player_session_json(w, p)).collect();
        next = n.map(|n| paging::encode(PLAYER_SESSIONS_TOKEN, n));
    }
    let mut m = Map::new();
    m.insert("PlayerSessions".into(), Value::Array(sessions));
    m.insert("NextToken".into(), json!(next.unwrap_or_default()));
    Ok(m)
}

/// A player session as the SDK reads it: times in epoch milliseconds, integers as integers.
fn player_session_json(w: &World, p: &crate::model::PlayerSession) -> Value {
    let gs = w.game_session(p.game_session);
    let mut m = Map::new();
    m.insert("PlayerSessionId".into(), json!(p.id.to_string()));
    m.insert("PlayerId".into(), json!(p.player_id.to_string()));
    if let Some(g) = gs {
        m.insert("GameSessionId".into(), json!(g.arn.to_string()));
        m.insert("FleetId".into(), json!(g.fleet_id.to_string()));
        m.insert("IpAddress".into(), json!(g.ip_address.to_string()));
        m.insert("DnsName".into(), json!(g.dns_name.to_string()));
        m.insert("Port".into(), json!(g.port));
    }
    if let Some(d) = &p.data {
        m.insert("PlayerData".into(), json!(d.to_string()));
    }
    m.insert("CreationTime".into(), json!(p.created_ms));
    if let Some(t) = p.terminated_ms {
        m.insert("TerminationTime".into(), json!(t));
    }
    m.insert("Status".into(), json!(p.status.as_str()));
    Value::Object(m)
}

fn session_fields(s: &GameSessionPush, name_key: &str) -> Map<String, Value> {
    let props: Map<String, Value> = s.game_properties.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let mut m = Map::new();
    m.insert("GameSessionId".into(), json!(s.game_session_id));
    m.insert(name_key.into(), json!(s.name.clone().unwrap_or_default()));
    m.insert("FleetId".into(), json!(s.fleet_id));
    m.insert("MaximumPlayerSessionCount".into(), json!(s.maximum_player_session_count));
    m.insert("IpAddress".into(), json!(s.ip_address));
    m.insert("Port".into(), json!(s.port));
    m.insert("DnsName".into(), json!(s.dns_name));
    m.insert("GameProperties".into(), Value::Object(props));
    m.insert("GameSessionData".into(), json!(s.game_session_data.clone().unwrap_or_default()));
    m.insert("MatchmakerData".into(), json!(s.matchmaker_data.clone().unwrap_or_default()));
    m
}

/// The frame for a push. `GameProperties` is an object (`{"k":"v"}`), integers are integers,
/// and every push carries a fresh `RequestId` with `StatusCode` 200 (all SDKs accept that).
pub fn push(message: &ProcessMessage) -> String {
    let (action, mut m) = match message {
        ProcessMessage::CreateGameSession(s) => ("CreateGameSession", session_fields(s, "GameSessionName")),
        ProcessMessage::UpdateGameSession { session, reason, backfill_ticket_id } => {
            let mut m = Map::new();
            m.insert("GameSession".into(), Value::Object(session_fields(session, "Name")));
            m.insert("UpdateReason".into(), json!(reason));
            m.insert("BackfillTicketId".into(), json!(backfill_ticket_id.clone().unwrap_or_default()));
            ("UpdateGameSession", m)
        }
        ProcessMessage::TerminateProcess { termination_time_ms } => {
            let mut m = Map::new();
            m.insert("TerminationTime".into(), json!(termination_time_ms));
            ("TerminateProcess", m)
        }
        ProcessMessage::Close => ("Close", Map::new()),
    };
    m.insert("Action".into(), json!(action));
    m.insert("RequestId".into(), json!(request_id()));
    m.insert("StatusCode".into(), json!(200));
    Value::Object(m).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_game_session_push_has_an_object_of_properties_and_integer_port() {
        let text = push(&ProcessMessage::CreateGameSession(GameSessionPush {
            game_session_id: "arn:aws:gamelift:us-east-1::gamesession/fleet-1/custom-x/gsess-1".into(),
            name: Some("n".into()),
            maximum_player_session_count: 4,
            ip_address: "127.0.0.1".into(),
            dns_name: "localhost".into(),
            port: 7777,
            game_properties: vec![("mode".into(), "ctf".into())],
            game_session_data: None,
            matchmaker_data: None,
            fleet_id: "fleet-1".into(),
        }));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Action"], "CreateGameSession");
        assert_eq!(v["StatusCode"], 200);
        assert_eq!(v["GameSessionName"], "n");
        assert_eq!(v["GameProperties"], json!({"mode": "ctf"}));
        assert!(v["Port"].is_u64() && v["MaximumPlayerSessionCount"].is_u64());
        assert_eq!(v["RequestId"].as_str().unwrap().len(), 36);
    }

    #[test]
    fn replies_echo_action_and_request_id() {
        let r: Value = serde_json::from_str(&reply("ActivateServerProcess", "r-1", ok())).unwrap();
        assert_eq!(r, json!({"Action": "ActivateServerProcess", "RequestId": "r-1", "StatusCode": 200}));
        let e: Value = serde_json::from_str(&reply(
            "ActivateGameSession",
            "r-2",
            Err(ApiError::NotFound("gone".into())),
        ))
        .unwrap();
        assert_eq!(e["StatusCode"], 404);
        assert_eq!(e["ErrorMessage"], "gone");
        assert_eq!(e["Action"], "ActivateGameSession");
    }
}
