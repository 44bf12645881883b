//! The wire: routing, envelopes, headers, and requests no client should send.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let api = Api::new();
    for proto in BOTH {
        let ok = api.create(proto, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1 })).await;
        let err = api.create(proto, json!({ "FleetId": FLEET })).await;
        for r in [ok, err] {
            let id = r.headers.get("x-amzn-requestid").expect("request id").to_str().unwrap();
            assert_eq!(id.len(), 36);
        }
    }
}

#[tokio::test]
async fn json_errors_carry_the_error_type_header_and_cbor_ones_do_not() {
    let api = Api::new();
    let j = api.create(Proto::Json, json!({ "FleetId": FLEET })).await;
    assert_eq!(j.headers["x-amzn-errortype"], "InvalidRequestException");
    assert_eq!(j.headers["content-type"], "application/x-amz-json-1.1");
    assert_eq!(j.body["__type"], "InvalidRequestException");
    let c = api.create(Proto::Cbor, json!({ "FleetId": FLEET })).await;
    assert!(c.headers.get("x-amzn-errortype").is_none());
    assert_eq!(c.headers["smithy-protocol"], "rpc-v2-cbor");
    assert_eq!(c.headers["content-type"], "application/cbor");
    assert_eq!(c.body["__type"], "com.amazonaws.gamelift#InvalidRequestException");
}

#[tokio::test]
async fn cbor_timestamps_are_tag_1() {
    let api = Api::new();
    let r = api.create(Proto::Cbor, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1 })).await;
    let v: ciborium::Value = ciborium::from_reader(&r.raw[..]).unwrap();
    let gs = v.as_map().unwrap()[0].1.as_map().unwrap();
    let created = gs.iter().find(|(k, _)| k.as_text() == Some("CreationTime")).unwrap();
    assert!(matches!(created.1, ciborium::Value::Tag(1, _)), "{:?}", created.1);
}

#[tokio::test]
async fn unknown_and_unsupported_operations_are_told_apart() {
    let api = Api::new();
    for proto in BOTH {
        api.call(proto, "NoSuchOperation", json!({})).await.assert_error("UnknownOperationException");
        let r = api.call(proto, "StartMatchmaking", json!({})).await;
        r.assert_error("UnsupportedOperationException");
        assert!(r.message().contains("StartMatchmaking"), "{}", r.message());
    }
}

#[tokio::test]
async fn the_long_rpc_v2_service_name_is_accepted() {
    let api = Api::new();
    let mut buf = Vec::new();
    ciborium::into_writer(&json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 1 }), &mut buf).unwrap();
    let req = Request::post("/service/com.amazonaws.gamelift.GameLift/operation/CreateGameSession")
        .header("smithy-protocol", "rpc-v2-cbor")
        .body(Body::from(buf))
        .unwrap();
    api.send(req).await.assert_ok();
}

#[tokio::test]
async fn undecodable_bodies_are_serialization_errors() {
    let api = Api::new();
    let req = Request::post("/")
        .header("x-amz-target", "GameLift.CreateGameSession")
        .body(Body::from("{not json"))
        .unwrap();
    api.send(req).await.assert_error("SerializationException");
    let req = Request::post("/service/GameLift/operation/CreateGameSession")
        .header("smithy-protocol", "rpc-v2-cbor")
        .body(Body::from(vec![0xff, 0x00, 0x13]))
        .unwrap();
    api.send(req).await.assert_error("SerializationException");
}

#[tokio::test]
async fn oversized_bodies_get_a_413_in_the_aws_envelope() {
    let api = Api::new();
    let big = format!("{{\"Name\":\"{}\"}}", "x".repeat(9 * 1024 * 1024));
    let req = Request::post("/")
        .header("x-amz-target", "GameLift.CreateGameSession")
        .body(Body::from(big))
        .unwrap();
    let r = api.send(req).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.error_type(), "RequestEntityTooLargeException");
}

#[tokio::test]
async fn requests_without_a_target_or_with_other_methods_get_json_errors() {
    let api = Api::new();
    let r = api.send(Request::post("/").body(Body::from("{}")).unwrap()).await;
    r.assert_error("UnknownOperationException");
    let r = api.send(Request::get("/anything").body(Body::empty()).unwrap()).await;
    r.assert_error("UnknownOperationException");
    let req = Request::post("/service/GameLift/operation/CreateGameSession")
        .header("x-amz-target", "GameLift.CreateGameSession")
        .body(Body::empty())
        .unwrap();
    api.send(req).await.assert_error("SerializationException");
}

#[tokio::test]
async fn health_reports_counts_and_reset_answers() {
    let api = Api::new();
    let r = api.send(Request::get("/_emulator/health").body(Body::empty()).unwrap()).await;
    let b = r.assert_ok();
    assert_eq!(b["status"], "ok");
    assert_eq!(b["counts"]["fleets"], 5);
    assert_eq!(b["counts"]["aliases"], 2);
    let r = api.send(Request::post("/_emulator/reset").body(Body::empty()).unwrap()).await;
    r.assert_ok();
}

#[tokio::test]
async fn operations_outside_the_table_answer_unsupported_and_the_rest_are_served() {
    use gamelift_emulator::dto::MODEL_OPERATIONS;
    use gamelift_emulator::ops::IMPLEMENTED;
    assert_eq!(MODEL_OPERATIONS.len(), 120);
    let api = Api::new();
    for op in MODEL_OPERATIONS {
        for proto in [Proto::Json, Proto::Cbor] {
            let r = api.call(proto, op, json!({})).await;
            if IMPLEMENTED.contains(op) {
                assert_ne!(
                    r.error_type(),
                    "UnsupportedOperationException",
                    "{op} over {proto:?}: {}",
                    r.body
                );
            } else {
                r.assert_error("UnsupportedOperationException");
                assert!(r.message().contains(op), "{op} over {proto:?}: {}", r.body);
            }
        }
    }
}

#[test]
fn readme_table_lists_exactly_the_implemented_operations() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme.split("## Supported operations").nth(1).unwrap().split("\n## ").next().unwrap();
    let mut listed: Vec<String> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let first_cell = l.split('|').nth(1).unwrap_or_default();
            first_cell.split('`').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>()
        })
        .collect();
    listed.sort();
    let mut implemented: Vec<String> =
        gamelift_emulator::ops::IMPLEMENTED.iter().map(|s| s.to_string()).collect();
    implemented.sort();
    assert_eq!(
        listed, implemented,
        "README.md 'Supported operations' must list exactly the operations of ops::TABLE"
    );
}
