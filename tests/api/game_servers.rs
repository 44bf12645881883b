//! The game-server side in-process: WebSocket upgrades that are refused before any socket
//! exists, and the Anywhere compute operations. (The full socket loop runs against the binary
//! in tests/compat/rust/tests/sdk/game_servers.rs.)

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

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
