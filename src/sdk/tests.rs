//! The wire types against the frames in `frames/`: every reply and push the emulator encodes
//! equals the recorded frame, and every recorded request decodes into its action's type.

use serde_json::Value;

use super::pushes;
use super::replies::{
    self, DescribePlayerSessionsResult, Done, GetComputeCertificateResult, GetFleetRoleCredentialsResult,
    PlayerSession,
};
use super::requests::{self, *};
use crate::error::ApiError;
use crate::model::compute::{GameSessionPush, ProcessMessage};

const GS: &str = "arn:aws:gamelift:us-west-2::gamesession/fleet-00000000-0000-0000-0000-000000000001/custom-local/gsess-abc";
const FLEET: &str = "fleet-00000000-0000-0000-0000-000000000001";

macro_rules! frame {
    ($name:literal) => {
        include_str!(concat!("frames/", $name, ".json"))
    };
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The `RequestId` of a recorded frame.
fn rid(frame: &str) -> String {
    json(frame)["RequestId"].as_str().expect("RequestId").to_string()
}

#[track_caller]
fn assert_same_frame(encoded: &str, recorded: &str) {
    assert_eq!(json(encoded), json(recorded), "encoded:  {encoded}\nrecorded: {recorded}");
}

fn session() -> GameSessionPush {
    GameSessionPush {
        game_session_id: GS.into(),
        name: Some("my-session".into()),
        maximum_player_session_count: 4,
        ip_address: "127.0.0.1".into(),
        dns_name: "localhost".into(),
        port: 7777,
        game_properties: vec![("mode".into(), "ctf".into())],
        game_session_data: Some("data".into()),
        matchmaker_data: None,
        fleet_id: FLEET.into(),
    }
}

#[test]
fn create_game_session_push_is_the_recorded_frame() {
    let recorded = frame!("CreateGameSession.push");
    let encoded = pushes::frame(&ProcessMessage::CreateGameSession(session()), &rid(recorded));
    assert_same_frame(&encoded.expect("a frame"), recorded);
}

#[test]
fn update_game_session_push_is_the_recorded_frame() {
    let recorded = frame!("UpdateGameSession.push");
    let message = ProcessMessage::UpdateGameSession {
        session: GameSessionPush { matchmaker_data: Some(r#"{"matchId":"m-1"}"#.into()), ..session() },
        reason: "MATCHMAKING_DATA_UPDATED".into(),
        backfill_ticket_id: Some("ticket-1".into()),
    };
    assert_same_frame(&pushes::frame(&message, &rid(recorded)).expect("a frame"), recorded);
}

#[test]
fn terminate_process_push_is_the_recorded_frame() {
    let recorded = frame!("TerminateProcess.push");
    let message = ProcessMessage::TerminateProcess { termination_time_ms: 1_795_811_337_170 };
    assert_same_frame(&pushes::frame(&message, &rid(recorded)).expect("a frame"), recorded);
}

#[test]
fn pushes_get_a_fresh_request_id_and_close_is_no_frame() {
    let message = ProcessMessage::TerminateProcess { termination_time_ms: 1 };
    let (a, b) = (json(&pushes::push(&message).unwrap()), json(&pushes::push(&message).unwrap()));
    let id = a["RequestId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_ne!(a["RequestId"], b["RequestId"]);
    assert_eq!(pushes::push(&ProcessMessage::Close), None);
}

#[test]
fn result_less_replies_are_the_recorded_frames() {
    for recorded in [
        frame!("ActivateServerProcess.reply"),
        frame!("HeartbeatServerProcess.reply"),
        frame!("ActivateGameSession.reply"),
        frame!("TerminateServerProcess.reply"),
    ] {
        let action = json(recorded)["Action"].as_str().unwrap().to_string();
        assert_same_frame(&replies::ok(&action, Some(&rid(recorded)), Done {}), recorded);
    }
}

#[test]
fn describe_player_sessions_reply_is_the_recorded_frame() {
    let recorded = frame!("DescribePlayerSessions.reply");
    let result = DescribePlayerSessionsResult {
        player_sessions: vec![PlayerSession {
            player_session_id: "psess-1".into(),
            player_id: "p1".into(),
            game_session_id: Some(GS.into()),
            fleet_id: Some(FLEET.into()),
            ip_address: Some("127.0.0.1".into()),
            dns_name: Some("localhost".into()),
            port: Some(7777),
            player_data: None,
            creation_time: 1_795_811_036_171,
            termination_time: None,
            status: "ACTIVE",
        }],
        next_token: String::new(),
    };
    assert_same_frame(&replies::ok("DescribePlayerSessions", Some(&rid(recorded)), result), recorded);
}

#[test]
fn compute_certificate_and_role_credentials_replies_are_the_recorded_frames() {
    let recorded = frame!("GetComputeCertificate.reply");
    let result = GetComputeCertificateResult {
        certificate_path: "/certs/server.pem".into(),
        compute_name: "local-compute".into(),
    };
    assert_same_frame(&replies::ok("GetComputeCertificate", Some(&rid(recorded)), result), recorded);

    let recorded = frame!("GetFleetRoleCredentials.reply");
    let session = format!("{FLEET}-local-compute");
    let result = GetFleetRoleCredentialsResult {
        assumed_role_user_arn: format!("arn:aws:sts::123456789012:assumed-role/game-server/{session}"),
        assumed_role_id: format!("AROAEMULATOR0000000000:{session}"),
        access_key_id: "ASIAEMULATOR00000000".into(),
        secret_access_key: "gamelift-emulator-secret-access-key".into(),
        session_token: "gamelift-emulator-session-token".into(),
        expiration: 1_795_814_636_171,
    };
    assert_same_frame(&replies::ok("GetFleetRoleCredentials", Some(&rid(recorded)), result), recorded);
}

#[test]
fn error_reply_is_the_recorded_frame_with_the_sdk_status() {
    let recorded = frame!("error.reply");
    let e = ApiError::NotFound(format!("Game session {GS} not found."));
    assert_same_frame(&replies::error(Some("ActivateGameSession"), Some(&rid(recorded)), &e), recorded);
    let status = |e: ApiError| replies::status_of(&e);
    assert_eq!(status(ApiError::InvalidRequest(String::new())), 400);
    assert_eq!(status(ApiError::Unauthorized(String::new())), 401);
    assert_eq!(status(ApiError::InvalidGameSessionStatus(String::new())), 409);
    assert_eq!(status(ApiError::LimitExceeded(String::new())), 429);
    assert_eq!(status(ApiError::InternalService(String::new())), 500);
}

/// The envelope and the members of a recorded request.
fn read<T: serde::de::DeserializeOwned>(text: &str) -> (Envelope, T) {
    let envelope = requests::envelope(text).expect("envelope");
    (envelope, requests::decode(text).expect("members"))
}

#[test]
fn every_recorded_request_decodes_into_its_action() {
    let (e, r) = read::<ActivateServerProcess>(frame!("ActivateServerProcess.request"));
    assert_eq!(e.action.as_deref(), Ok("ActivateServerProcess"));
    assert_eq!(e.request_id.as_deref(), Some("8a90bc35-3f0e-4d8a-9b43-5c1d2e7f9a01"));
    assert_eq!(
        r,
        ActivateServerProcess { port: Some(7777), log_paths: Some(vec!["logs/a".into(), "logs/b".into()]) }
    );

    let (e, r) = read::<HeartbeatServerProcess>(frame!("HeartbeatServerProcess.request"));
    assert_eq!(e.action.as_deref(), Ok("HeartbeatServerProcess"));
    assert_eq!(r.health_status, Some(true));

    let (e, r) = read::<ActivateGameSession>(frame!("ActivateGameSession.request"));
    assert_eq!(e.action.as_deref(), Ok("ActivateGameSession"));
    assert_eq!(r.game_session_id.as_deref(), Some(GS));

    let (e, r) =
        read::<UpdatePlayerSessionCreationPolicy>(frame!("UpdatePlayerSessionCreationPolicy.request"));
    assert_eq!(e.action.as_deref(), Ok("UpdatePlayerSessionCreationPolicy"));
    assert_eq!(
        (r.game_session_id.as_deref(), r.player_session_policy.as_deref()),
        (Some(GS), Some("DENY_ALL"))
    );

    let (e, r) = read::<AcceptPlayerSession>(frame!("AcceptPlayerSession.request"));
    assert_eq!(e.action.as_deref(), Ok("AcceptPlayerSession"));
    assert_eq!((r.game_session_id.as_deref(), r.player_session_id.as_deref()), (Some(GS), Some("psess-1")));

    let (e, r) = read::<RemovePlayerSession>(frame!("RemovePlayerSession.request"));
    assert_eq!(e.action.as_deref(), Ok("RemovePlayerSession"));
    assert_eq!((r.game_session_id.as_deref(), r.player_session_id.as_deref()), (Some(GS), Some("psess-1")));

    let (e, r) = read::<DescribePlayerSessions>(frame!("DescribePlayerSessions.request"));
    assert_eq!(e.action.as_deref(), Ok("DescribePlayerSessions"));
    assert_eq!(r, DescribePlayerSessions { game_session_id: Some(GS.into()), ..Default::default() });

    let (e, GetComputeCertificate {}) = read(frame!("GetComputeCertificate.request"));
    assert_eq!(e.action.as_deref(), Ok("GetComputeCertificate"));

    let (e, r) = read::<GetFleetRoleCredentials>(frame!("GetFleetRoleCredentials.request"));
    assert_eq!(e.action.as_deref(), Ok("GetFleetRoleCredentials"));
    assert_eq!(r.role_arn.as_deref(), Some("arn:aws:iam::123456789012:role/game-server"));
    assert_eq!(r.role_session_name, Some(format!("{FLEET}-local-compute")));

    let (e, TerminateServerProcess {}) = read(frame!("TerminateServerProcess.request"));
    assert_eq!(e.action.as_deref(), Ok("TerminateServerProcess"));
}

#[test]
fn go_sdk_null_log_paths_and_absent_members_decode_as_none() {
    let r: ActivateServerProcess =
        requests::decode(r#"{"Action":"ActivateServerProcess","RequestId":"r","Port":7777,"LogPaths":null}"#)
            .unwrap();
    assert_eq!(r, ActivateServerProcess { port: Some(7777), log_paths: None });
    let r: HeartbeatServerProcess = requests::decode(r#"{"Action":"HeartbeatServerProcess"}"#).unwrap();
    assert_eq!(r.health_status, None);
}

#[track_caller]
fn wrong_type<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str, member: &str) {
    let e = requests::decode::<T>(text).expect_err(text);
    assert_eq!(e.code(), "InvalidRequestException");
    let message = e.message();
    assert!(message.starts_with(&format!("Invalid value for member '{member}': invalid ")), "{message}");
    assert!(!message.contains("required") && !message.contains(" at line "), "{message}");
}

#[test]
fn a_member_of_the_wrong_type_is_reported_naming_it() {
    wrong_type::<ActivateGameSession>(
        r#"{"Action":"ActivateGameSession","RequestId":"r-1","GameSessionId":12345}"#,
        "GameSessionId",
    );
    wrong_type::<ActivateServerProcess>(r#"{"Action":"ActivateServerProcess","Port":"7777"}"#, "Port");
    wrong_type::<ActivateServerProcess>(r#"{"Action":"ActivateServerProcess","Port":70000}"#, "Port");
    wrong_type::<ActivateServerProcess>(
        r#"{"Action":"ActivateServerProcess","LogPaths":["a",1]}"#,
        "LogPaths[1]",
    );
    wrong_type::<HeartbeatServerProcess>(
        r#"{"Action":"HeartbeatServerProcess","HealthStatus":"yes"}"#,
        "HealthStatus",
    );
    wrong_type::<DescribePlayerSessions>(r#"{"Action":"DescribePlayerSessions","Limit":"10"}"#, "Limit");
    wrong_type::<AcceptPlayerSession>(
        r#"{"Action":"AcceptPlayerSession","GameSessionId":"g","PlayerSessionId":{"id":1}}"#,
        "PlayerSessionId",
    );
}

#[test]
fn an_envelope_without_a_usable_action_keeps_its_request_id() {
    let e = requests::envelope(r#"{"RequestId":"r-2"}"#).unwrap();
    assert_eq!(e.request_id.as_deref(), Some("r-2"));
    assert!(e.action.unwrap_err().message().contains("no Action"));

    let e = requests::envelope(r#"{"RequestId":"r-3","Action":null}"#).unwrap();
    assert!(e.action.unwrap_err().message().contains("no Action"));

    let e = requests::envelope(r#"{"RequestId":"r-4","Action":5}"#).unwrap();
    assert_eq!(e.request_id.as_deref(), Some("r-4"));
    assert!(e.action.unwrap_err().message().starts_with("Invalid value for member 'Action'"));

    let e = requests::envelope(r#"{"Action":"HeartbeatServerProcess"}"#).unwrap();
    assert_eq!((e.request_id, e.action.as_deref()), (None, Ok("HeartbeatServerProcess")));
}

#[test]
fn a_frame_with_no_request_id_to_answer_under_is_refused_as_a_whole() {
    let e = requests::envelope(r#"{"Action":"HeartbeatServerProcess","RequestId":7}"#).unwrap_err();
    assert!(e.message().starts_with("Invalid value for member 'RequestId'"), "{}", e.message());
    for text in ["[1]", "\"x\"", "null", "{", ""] {
        let e = requests::envelope(text).unwrap_err();
        assert!(e.message().contains("JSON object"), "{text}: {}", e.message());
    }
    let reply = json(&replies::malformed("a binary frame that is not UTF-8 JSON"));
    assert_eq!(reply["StatusCode"], 400);
    assert!(reply.get("RequestId").is_none() && reply.get("Action").is_none(), "{reply}");
}
