//! The game-server side in-process: WebSocket upgrades that are refused before any socket
//! exists, the Anywhere compute operations, and the Server SDK messages served by
//! `sdk::handle` for a process attached without a socket, under paused time. (The socket loop
//! itself runs against the binary in tests/compat/rust/tests/sdk/game_servers.rs.)

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use gamelift_emulator::sdk::{self, Attached, ProcessIdentity};
use serde_json::{Value, json};

use crate::harness::*;

fn upgrade(query: &str) -> Request<Body> {
    Request::get(format!("/?{query}"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn process_upgrade_without_identity_is_400_bad_token_403_unknown_fleet_404() {
    let api = Api::new();
    let r = api.send(upgrade("sdkVersion=5.6.0")).await;
    assert_eq!(r.status, 400);
    let r = api
        .send(upgrade(&format!("pID=p&FleetId={FLEET_ANYWHERE}&ComputeId=local-compute&Authorization=wrong")))
        .await;
    assert_eq!(r.status, 403);
    let r = api
        .send(upgrade("pID=p&FleetId=fleet-99999999-0000-4000-8000-000000000000&ComputeId=c&Authorization=local-auth-token"))
        .await;
    assert_eq!(r.status, 404);
    // The fixture token is good: the upgrade itself needs a real connection, which oneshot lacks.
    let r = api
        .send(upgrade(&format!(
            "pID=p&FleetId={FLEET_ANYWHERE}&ComputeId=local-compute&Authorization=local-auth-token"
        )))
        .await;
    assert!(r.status != 403 && r.status != 404, "{}", r.status);
}

#[tokio::test]
async fn compute_operations_register_describe_list_token_and_deregister() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .call(proto, "RegisterCompute", json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "box-1", "IpAddress": "10.1.2.3", "Location": "custom-local" }))
            .await;
        let c = &r.assert_ok()["Compute"];
        assert_eq!(c["ComputeStatus"], "ACTIVE");
        assert_eq!(c["Location"], "custom-local");
        assert!(c["GameLiftServiceSdkEndpoint"].as_str().unwrap().starts_with("ws://127.0.0.1:"), "{c}");
        assert_eq!(c["ComputeArn"], "arn:aws:gamelift:us-east-1::compute/box-1");
        let d = api
            .call(proto, "DescribeCompute", json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "box-1" }))
            .await;
        assert_eq!(d.assert_ok()["Compute"]["IpAddress"], "10.1.2.3");
        let l = api.call(proto, "ListCompute", json!({ "FleetId": FLEET_ANYWHERE, "Limit": 1 })).await;
        assert_eq!(l.assert_ok()["ComputeList"][0]["ComputeName"], "box-1");
        let token = l.body["NextToken"].as_str().unwrap().to_string();
        let l2 =
            api.call(proto, "ListCompute", json!({ "FleetId": FLEET_ANYWHERE, "NextToken": token })).await;
        assert_eq!(l2.assert_ok()["ComputeList"][0]["ComputeName"], "local-compute");
        assert!(l2.body.get("NextToken").is_none());
        let t = api
            .call(proto, "GetComputeAuthToken", json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "box-1" }))
            .await;
        assert!(t.assert_ok()["AuthToken"].as_str().unwrap().len() >= 32);
        assert!(t.body["ExpirationTimestamp"].as_f64().is_some());
        api.call(proto, "DeregisterCompute", json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "box-1" }))
            .await
            .assert_ok();
        api.call(proto, "DescribeCompute", json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "box-1" }))
            .await
            .assert_error("NotFoundException");

        for (op, input, code) in [
            (
                "RegisterCompute",
                json!({ "FleetId": FLEET, "ComputeName": "x", "IpAddress": "1.2.3.4" }),
                "InvalidRequestException",
            ),
            (
                "RegisterCompute",
                json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "x", "IpAddress": "1.2.3.4" }),
                "InvalidRequestException",
            ),
            (
                "RegisterCompute",
                json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "x", "Location": "custom-local" }),
                "InvalidRequestException",
            ),
            (
                "RegisterCompute",
                json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "x", "IpAddress": "1.2.3.4", "Location": "custom-elsewhere" }),
                "InvalidRequestException",
            ),
            (
                "RegisterCompute",
                json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "bad name", "IpAddress": "1.2.3.4", "Location": "custom-local" }),
                "InvalidRequestException",
            ),
            (
                "RegisterCompute",
                json!({ "FleetId": "fleet-99999999-0000-4000-8000-000000000000", "ComputeName": "x", "IpAddress": "1.2.3.4" }),
                "NotFoundException",
            ),
            (
                "DescribeCompute",
                json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "nope" }),
                "NotFoundException",
            ),
            (
                "DeregisterCompute",
                json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "nope" }),
                "NotFoundException",
            ),
            (
                "GetComputeAuthToken",
                json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "nope" }),
                "NotFoundException",
            ),
            (
                "GetComputeAuthToken",
                json!({ "FleetId": FLEET, "ComputeName": "x" }),
                "InvalidRequestException",
            ),
            (
                "ListCompute",
                json!({ "FleetId": "fleet-99999999-0000-4000-8000-000000000000" }),
                "NotFoundException",
            ),
        ] {
            api.call(proto, op, input.clone()).await.assert_error(code);
        }
    }
}

#[tokio::test]
async fn advertised_host_names_the_sdk_endpoint() {
    let mut config = gamelift_emulator::Config::for_tests();
    config.advertised_host = Some("gamelift".into());
    config.bind = "0.0.0.0:9080".parse().unwrap();
    let api = Api::with(config);
    let r = api
        .call(Proto::Json, "RegisterCompute", json!({ "FleetId": FLEET_ANYWHERE, "ComputeName": "box", "IpAddress": "10.0.0.2", "Location": "custom-local" }))
        .await;
    assert_eq!(r.assert_ok()["Compute"]["GameLiftServiceSdkEndpoint"], "ws://gamelift:9080");
}

/// A game-server process of the fixture Anywhere fleet, attached without a socket: requests go
/// through `sdk::handle`, pushes arrive on its channel.
pub(crate) struct Process<'a> {
    api: &'a Api,
    who: ProcessIdentity,
    attached: Attached,
    next_request: u32,
}

impl<'a> Process<'a> {
    pub(crate) fn attach(api: &'a Api, pid: &str) -> Self {
        let who = ProcessIdentity {
            pid: pid.into(),
            fleet_id: FLEET_ANYWHERE.into(),
            compute: "local-compute".into(),
            sdk: "Go 5.6.0".into(),
        };
        let attached = sdk::attach(&api.em, &who).expect("attach");
        Self { api, who, attached, next_request: 0 }
    }

    /// Sends a raw frame; returns the reply frame.
    fn send(&self, frame: &str) -> Value {
        serde_json::from_str(&sdk::handle(&self.api.em, &self.who, frame)).expect("a JSON reply")
    }

    /// Sends `action` with `members`; checks the reply echoes Action and RequestId.
    pub(crate) fn request(&mut self, action: &str, members: Value) -> Value {
        self.next_request += 1;
        let rid = format!("req-{}", self.next_request);
        let mut frame = members;
        frame["Action"] = json!(action);
        frame["RequestId"] = json!(rid);
        let reply = self.send(&frame.to_string());
        assert_eq!((&reply["Action"], &reply["RequestId"]), (&json!(action), &json!(rid)), "{reply}");
        reply
    }

    #[track_caller]
    pub(crate) fn ok(&mut self, action: &str, members: Value) -> Value {
        let reply = self.request(action, members);
        assert_eq!(reply["StatusCode"], 200, "{reply}");
        reply
    }

    /// The next push, as the socket would send it.
    pub(crate) fn push(&mut self) -> Option<Value> {
        let message = self.attached.messages.try_recv().ok()?;
        let frame = sdk::pushes::push(&message).expect("a push, not Close");
        Some(serde_json::from_str(&frame).expect("JSON push"))
    }

    /// The next message for the socket, whatever it is (`Close` and `Abort` included).
    pub(crate) fn message(&mut self) -> Option<gamelift_emulator::model::compute::ProcessMessage> {
        self.attached.messages.try_recv().ok()
    }

    fn detach(&self) {
        sdk::detach(&self.api.em, &self.who, self.attached.conn);
    }
}

pub(crate) async fn create_on_anywhere(api: &Api) -> Reply {
    api.create(
        Proto::Json,
        json!({ "FleetId": FLEET_ANYWHERE, "Location": "custom-local", "MaximumPlayerSessionCount": 2,
                "Name": "in-process", "GameProperties": [{"Key": "mode", "Value": "ctf"}] }),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn a_process_served_in_process_hosts_a_session_from_ready_to_ending() {
    let api = Api::new();
    let mut p = Process::attach(&api, "proc-1");
    p.ok("ActivateServerProcess", json!({ "SdkVersion": "5.6.0", "Port": 7777, "LogPaths": null }));
    p.ok("HeartbeatServerProcess", json!({ "HealthStatus": true }));
    assert!(p.push().is_none());

    let r = create_on_anywhere(&api).await;
    let gs = r.assert_ok()["GameSession"].clone();
    assert_eq!((&gs["Status"], &gs["Port"]), (&json!("ACTIVATING"), &json!(7777)));
    let id = gs["GameSessionId"].as_str().unwrap().to_string();
    let push = p.push().expect("CreateGameSession push");
    assert_eq!(push["Action"], "CreateGameSession");
    assert_eq!(push["StatusCode"], 200);
    assert_eq!(push["GameSessionId"], id.as_str());
    assert_eq!(push["GameSessionName"], "in-process");
    assert_eq!(push["GameProperties"], json!({ "mode": "ctf" }));
    // Only the process activates it, however long it takes (up to the activation timeout).
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "ACTIVATING");
    p.ok("ActivateGameSession", json!({ "GameSessionId": id }));
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "ACTIVE");

    let ps = api
        .call(Proto::Json, "CreatePlayerSession", json!({ "GameSessionId": id, "PlayerId": "player-1" }))
        .await;
    let ps_id = ps.assert_ok()["PlayerSession"]["PlayerSessionId"].as_str().unwrap().to_string();
    p.ok("AcceptPlayerSession", json!({ "GameSessionId": id, "PlayerSessionId": ps_id }));
    let d = p.ok("DescribePlayerSessions", json!({ "GameSessionId": id }));
    assert_eq!(d["NextToken"], "");
    let seen = &d["PlayerSessions"][0];
    assert_eq!((&seen["PlayerSessionId"], &seen["Status"]), (&json!(ps_id), &json!("ACTIVE")));
    assert_eq!((&seen["Port"], &seen["FleetId"]), (&json!(7777), &json!(FLEET_ANYWHERE)));
    assert!(seen["CreationTime"].is_i64(), "{seen}");

    p.ok(
        "UpdatePlayerSessionCreationPolicy",
        json!({ "GameSessionId": id, "PlayerSessionPolicy": "DENY_ALL" }),
    );
    assert_eq!(api.describe_one(Proto::Json, &id).await["PlayerSessionCreationPolicy"], "DENY_ALL");
    p.ok("RemovePlayerSession", json!({ "GameSessionId": id, "PlayerSessionId": ps_id }));
    let d = p.ok("DescribePlayerSessions", json!({ "PlayerSessionId": ps_id }));
    assert_eq!(d["PlayerSessions"][0]["Status"], "COMPLETED");

    let c = p.ok("GetComputeCertificate", json!({}));
    assert_eq!(c["ComputeName"], "local-compute");
    let creds = p.ok("GetFleetRoleCredentials", json!({ "RoleArn": "arn:aws:iam::123456789012:role/gs" }));
    assert!(!creds["AccessKeyId"].as_str().unwrap().is_empty());
    assert!(creds["Expiration"].is_i64(), "{creds}");

    api.call(
        Proto::Json,
        "TerminateGameSession",
        json!({ "GameSessionId": id, "TerminationMode": "TRIGGER_ON_PROCESS_TERMINATE" }),
    )
    .await
    .assert_ok();
    let push = p.push().expect("TerminateProcess push");
    assert_eq!(push["Action"], "TerminateProcess");
    assert!(push["TerminationTime"].is_i64(), "{push}");
    p.ok("TerminateServerProcess", json!({}));
    let gs = api.describe_one(Proto::Json, &id).await;
    assert_eq!(
        (&gs["Status"], &gs["StatusReason"]),
        (&json!("TERMINATED"), &json!("TRIGGERED_ON_PROCESS_TERMINATE"))
    );
    // The process is gone: whatever it sends now is a 404 for that request.
    let r = p.request("HeartbeatServerProcess", json!({ "HealthStatus": true }));
    assert_eq!(r["StatusCode"], 404, "{r}");
}

#[tokio::test(start_paused = true)]
async fn bad_frames_get_error_replies_under_their_request_id() {
    let api = Api::new();
    let mut p = Process::attach(&api, "proc-1");
    p.ok("ActivateServerProcess", json!({ "Port": 7777 }));

    // A member of the wrong type is named as such, not reported missing.
    let r = p.send(r#"{"Action":"ActivateGameSession","RequestId":"r-1","GameSessionId":12345}"#);
    assert_eq!(
        (&r["Action"], &r["RequestId"], &r["StatusCode"]),
        (&json!("ActivateGameSession"), &json!("r-1"), &json!(400))
    );
    let message = r["ErrorMessage"].as_str().unwrap();
    assert!(message.contains("'GameSessionId'") && message.contains("invalid type"), "{message}");
    assert!(!message.contains("required"), "{message}");
    let r = p.request("ActivateGameSession", json!({}));
    assert_eq!((&r["StatusCode"], &r["ErrorMessage"]), (&json!(400), &json!("GameSessionId is required.")));
    let r = p.request("ActivateServerProcess", json!({ "Port": "7777" }));
    assert!(r["ErrorMessage"].as_str().unwrap().contains("'Port'"), "{r}");

    // No Action: the error still answers the RequestId, so the SDK's call fails at once.
    let r = p.send(r#"{"RequestId":"r-2"}"#);
    assert_eq!((&r["RequestId"], &r["StatusCode"]), (&json!("r-2"), &json!(400)), "{r}");
    assert!(r.get("Action").is_none(), "{r}");
    assert!(r["ErrorMessage"].as_str().unwrap().contains("no Action"), "{r}");
    let r = p.send(r#"{"RequestId":"r-3","Action":["ActivateGameSession"]}"#);
    assert_eq!((&r["RequestId"], &r["StatusCode"]), (&json!("r-3"), &json!(400)), "{r}");
    assert!(r["ErrorMessage"].as_str().unwrap().contains("'Action'"), "{r}");
    let r = p.send("not json");
    assert_eq!(r["StatusCode"], 400);
    assert!(r.get("RequestId").is_none(), "{r}");

    let r = p.request("NoSuchAction", json!({}));
    assert_eq!((&r["StatusCode"], &r["ErrorMessage"]), (&json!(400), &json!("Unknown action NoSuchAction.")));
    let r = p.request("StartMatchBackfill", json!({}));
    assert_eq!(r["StatusCode"], 400);
    let r = p.request(
        "UpdatePlayerSessionCreationPolicy",
        json!({ "GameSessionId": "x", "PlayerSessionPolicy": "SOMETIMES" }),
    );
    assert!(r["ErrorMessage"].as_str().unwrap().contains("ACCEPT_ALL or DENY_ALL"), "{r}");
    // A game session the process does not host.
    let other = api.create(Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2 })).await;
    let other = other.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
    let r = p.request("ActivateGameSession", json!({ "GameSessionId": other }));
    assert_eq!(r["StatusCode"], 400);
    assert!(r["ErrorMessage"].as_str().unwrap().contains("not hosted by process proc-1"), "{r}");
}

#[tokio::test(start_paused = true)]
async fn heartbeat_timeout_comes_from_the_settings() {
    let mut config = gamelift_emulator::Config::for_tests();
    config.process_heartbeat_timeout = Duration::from_secs(5);
    let api = Api::with(config);
    let mut p = Process::attach(&api, "proc-1");
    p.ok("ActivateServerProcess", json!({ "Port": 7777 }));
    p.ok("HeartbeatServerProcess", json!({ "HealthStatus": true }));
    tokio::time::advance(Duration::from_secs(5)).await;
    create_on_anywhere(&api).await.assert_error("FleetCapacityExceededException");
    // A heartbeat that reports unhealthy keeps it out too; a healthy one brings it back.
    p.ok("HeartbeatServerProcess", json!({ "HealthStatus": false }));
    create_on_anywhere(&api).await.assert_error("FleetCapacityExceededException");
    p.ok("HeartbeatServerProcess", json!({ "HealthStatus": true }));
    create_on_anywhere(&api).await.assert_ok();
}

#[tokio::test(start_paused = true)]
async fn reconnect_grace_comes_from_the_settings_and_queued_pushes_wait_for_the_reconnect() {
    let mut config = gamelift_emulator::Config::for_tests();
    config.process_reconnect_grace = Duration::from_secs(3);
    let api = Api::with(config);
    let mut p = Process::attach(&api, "proc-1");
    p.ok("ActivateServerProcess", json!({ "Port": 7777 }));
    let id = create_on_anywhere(&api).await.assert_ok()["GameSession"]["GameSessionId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(p.push().expect("push")["Action"], "CreateGameSession");
    p.ok("ActivateGameSession", json!({ "GameSessionId": id }));

    // Away for less than the grace: the process and its session stay, and a push waits.
    p.detach();
    tokio::time::advance(Duration::from_secs(2)).await;
    api.call(
        Proto::Json,
        "TerminateGameSession",
        json!({ "GameSessionId": id, "TerminationMode": "TRIGGER_ON_PROCESS_TERMINATE" }),
    )
    .await
    .assert_ok();
    let mut p = Process::attach(&api, "proc-1");
    assert_eq!(p.push().expect("the queued push")["Action"], "TerminateProcess");
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "TERMINATING");

    // Away for the whole grace: the process ends, and its session with it.
    p.detach();
    tokio::time::advance(Duration::from_secs(3)).await;
    assert_eq!(api.describe_one(Proto::Json, &id).await["Status"], "TERMINATED");
    let mut p = Process::attach(&api, "proc-1");
    assert!(p.push().is_none(), "a new process under the same pID starts afresh");
    p.ok("ActivateServerProcess", json!({ "Port": 7777 }));
}
