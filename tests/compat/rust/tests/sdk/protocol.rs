//! Protocol-level behaviour an SDK user can observe: request ids, operations the emulator does not
//! implement, and (with raw HTTP) malformed RPC v2 CBOR requests.

use aws_sdk_gamelift::error::ProvideErrorMetadata;
use aws_sdk_gamelift::operation::RequestId;
use gamelift_emulator_compat::{
    Emulator, FLEET_EC2, FLEET_MISSING, cbor_map, cbor_text, cbor_uint, ok, service_error,
};

fn assert_request_id(id: Option<&str>, what: &str) -> String {
    let id = id.unwrap_or_else(|| panic!("{what}: no request id"));
    assert!(!id.is_empty(), "{what}: empty request id");
    id.to_owned()
}

#[tokio::test]
async fn request_id_present_on_successful_responses() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let created = ok(
        client.create_game_session().fleet_id(FLEET_EC2).maximum_player_session_count(4).send().await,
        "CreateGameSession",
    );
    let a = assert_request_id(created.request_id(), "CreateGameSession output");

    let described =
        ok(client.describe_game_sessions().fleet_id(FLEET_EC2).send().await, "DescribeGameSessions");
    let b = assert_request_id(described.request_id(), "DescribeGameSessions output");
    assert_ne!(a, b, "two responses carry the same request id");
}

#[tokio::test]
async fn request_id_present_on_error_responses() {
    let emu = Emulator::start().await;
    let client = emu.client();

    let result =
        client.create_game_session().fleet_id(FLEET_MISSING).maximum_player_session_count(4).send().await;
    let sdk_error_id = result.as_ref().err().and_then(|e| e.request_id()).map(str::to_owned);
    let err = service_error(result, "CreateGameSession on an unknown fleet");
    assert_eq!(err.code(), Some("NotFoundException"), "{err:?}");
    let id = assert_request_id(err.request_id(), "NotFoundException");
    assert_eq!(sdk_error_id.as_deref(), Some(id.as_str()));

    let err = service_error(
        client.describe_game_sessions().fleet_id(FLEET_MISSING).send().await,
        "DescribeGameSessions on an unknown fleet",
    );
    let other = assert_request_id(err.request_id(), "DescribeGameSessions NotFoundException");
    assert_ne!(id, other);
}

#[tokio::test]
async fn describe_vpc_peering_authorizations_unimplemented_unsupported_operation() {
    let emu = Emulator::start().await;
    let err = service_error(
        emu.client().describe_vpc_peering_authorizations().send().await,
        "DescribeVpcPeeringAuthorizations",
    );
    // Not a modeled GameLift error: the SDK surfaces it as `Unhandled` with the code.
    assert_eq!(err.code(), Some("UnsupportedOperationException"), "{err:?}");
    let message = err.message().unwrap_or_default();
    assert!(message.contains("DescribeVpcPeeringAuthorizations"), "message: {message:?}");
    assert_request_id(err.request_id(), "UnsupportedOperationException");
}

#[tokio::test]
async fn create_vpc_peering_authorization_unimplemented_unsupported_operation() {
    let emu = Emulator::start().await;
    let err = service_error(
        emu.client()
            .create_vpc_peering_authorization()
            .game_lift_aws_account_id("111122223333")
            .peer_vpc_id("vpc-1")
            .send()
            .await,
        "CreateVpcPeeringAuthorization",
    );
    assert_eq!(err.code(), Some("UnsupportedOperationException"), "{err:?}");
    let message = err.message().unwrap_or_default();
    assert!(message.contains("CreateVpcPeeringAuthorization"), "message: {message:?}");
}

/// Sends a raw RPC v2 CBOR request and returns (status, headers, body).
async fn raw_cbor(
    emu: &Emulator,
    operation: &str,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = emu
        .http()
        .post(format!("{}/service/GameLift/operation/{operation}", emu.endpoint_url()))
        .header("content-type", "application/cbor")
        .header("accept", "application/cbor")
        .header("smithy-protocol", "rpc-v2-cbor")
        .body(body)
        .send()
        .await
        .expect("raw CBOR request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.expect("response body").to_vec();
    (status, headers, body)
}

fn assert_cbor_error(status: u16, headers: &reqwest::header::HeaderMap, body: &[u8], code: &str) {
    assert_eq!(status, 400, "body: {}", String::from_utf8_lossy(body));
    assert_eq!(
        headers.get("smithy-protocol").and_then(|v| v.to_str().ok()),
        Some("rpc-v2-cbor"),
        "{headers:?}"
    );
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/cbor"),
        "{headers:?}"
    );
    assert!(headers.contains_key("x-amzn-requestid"), "no x-amzn-RequestId: {headers:?}");
    let needle = code.as_bytes();
    assert!(
        body.windows(needle.len()).any(|w| w == needle),
        "body does not name {code}: {}",
        String::from_utf8_lossy(body)
    );
}

#[tokio::test]
async fn create_game_session_cbor_member_of_wrong_type_serialization_exception() {
    let emu = Emulator::start().await;
    // {"FleetId": "<fleet>", "MaximumPlayerSessionCount": "5"} -- a text string where an integer belongs.
    let body = cbor_map(&[("FleetId", cbor_text(FLEET_EC2)), ("MaximumPlayerSessionCount", cbor_text("5"))]);
    let (status, headers, body) = raw_cbor(&emu, "CreateGameSession", body).await;
    assert_cbor_error(status, &headers, &body, "SerializationException");
}

#[tokio::test]
async fn create_game_session_cbor_undecodable_body_serialization_exception() {
    let emu = Emulator::start().await;
    // An indefinite-length map that is cut off in the middle of a key.
    let mut body = vec![0xbf];
    body.extend(cbor_text("FleetId"));
    body.extend_from_slice(&[0x78, 0x40, b'f']);
    let (status, headers, body) = raw_cbor(&emu, "CreateGameSession", body).await;
    assert_cbor_error(status, &headers, &body, "SerializationException");
}

#[tokio::test]
async fn create_game_session_raw_cbor_request_succeeds() {
    // The same bytes the SDK sends, built by hand: guards the harness's CBOR helpers, so that the
    // two SerializationException tests above fail only for the right reason.
    let emu = Emulator::start().await;
    let body = cbor_map(&[("FleetId", cbor_text(FLEET_EC2)), ("MaximumPlayerSessionCount", cbor_uint(5))]);
    let (status, headers, body) = raw_cbor(&emu, "CreateGameSession", body).await;
    assert_eq!(status, 200, "body: {}", String::from_utf8_lossy(&body));
    assert_eq!(headers.get("smithy-protocol").and_then(|v| v.to_str().ok()), Some("rpc-v2-cbor"));
    assert!(headers.contains_key("x-amzn-requestid"), "{headers:?}");
}
