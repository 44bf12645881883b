//! `--verify-signatures`: requests signed (with `aws-sigv4`, as the SDKs sign them) with a known
//! key pass in both codecs; a wrong secret, an unknown key, another Region, a clock skew beyond
//! five minutes, a changed body or no signature at all get AWS's errors.

use std::time::{Duration, UNIX_EPOCH};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::body::Body;
use axum::http::Request;
use gamelift_emulator::Config;
use serde_json::json;

use crate::harness::*;

const AKID: &str = "AKIDEMULATOR";
const SECRET: &str = "s3cr3t/with+chars";

fn api() -> Api {
    let mut config = Config::for_tests();
    config.verify_signatures = true;
    config.credentials = vec![format!("{AKID}:{SECRET}")];
    Api::with(config)
}

struct Signing<'a> {
    key: &'a str,
    secret: &'a str,
    region: &'a str,
    at_ms: i64,
}

/// A ListFleets request in `proto`, signed as described (`tamper` changes the body afterwards).
fn signed(proto: Proto, s: &Signing<'_>, tamper: bool) -> Request<Body> {
    let (path, mut headers, body): (String, Vec<(&str, String)>, Vec<u8>) = match proto {
        Proto::Json => (
            "/".into(),
            vec![
                ("content-type", "application/x-amz-json-1.1".into()),
                ("x-amz-target", "GameLift.ListFleets".into()),
            ],
            br#"{"Limit":5}"#.to_vec(),
        ),
        Proto::Cbor => {
            let mut buf = Vec::new();
            ciborium::into_writer(&json!({ "Limit": 5 }), &mut buf).expect("cbor");
            (
                "/service/GameLift/operation/ListFleets".into(),
                vec![("content-type", "application/cbor".into()), ("smithy-protocol", "rpc-v2-cbor".into())],
                buf,
            )
        }
    };
    headers.push(("host", "localhost:9080".into()));
    let identity: aws_smithy_runtime_api::client::identity::Identity =
        aws_credential_types::Credentials::new(s.key, s.secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(s.region)
        .name("gamelift")
        .time(UNIX_EPOCH + Duration::from_millis(s.at_ms as u64))
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let signable = SignableRequest::new(
        "POST",
        path.as_str(),
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Bytes(&body),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut req = Request::post(path);
    for (k, v) in &headers {
        req = req.header(*k, v);
    }
    for (k, v) in instructions.headers() {
        req = req.header(k, v);
    }
    let body = if tamper { br#"{"Limit":6}"#.to_vec() } else { body };
    req.body(Body::from(body)).expect("request")
}

fn good(api: &Api) -> Signing<'static> {
    Signing { key: AKID, secret: SECRET, region: "us-east-1", at_ms: api.em.now().wall_ms }
}

#[tokio::test(start_paused = true)]
async fn a_request_signed_with_a_known_key_passes_in_either_codec() {
    let api = api();
    for proto in BOTH {
        let r = api.send(signed(proto, &good(&api), false)).await;
        assert!(r.assert_ok()["FleetIds"].is_array(), "{}", r.body);
    }
}

#[tokio::test(start_paused = true)]
async fn a_wrong_secret_or_a_changed_body_is_an_invalid_signature() {
    let api = api();
    for proto in BOTH {
        let wrong = Signing { secret: "not-the-secret", ..good(&api) };
        for r in
            [api.send(signed(proto, &wrong, false)).await, api.send(signed(proto, &good(&api), true)).await]
        {
            r.assert_error("InvalidSignatureException");
            assert!(
                r.message().starts_with("The request signature we calculated does not match"),
                "{}",
                r.body
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn an_unknown_key_is_an_unrecognized_client() {
    let api = api();
    for proto in BOTH {
        let r = api.send(signed(proto, &Signing { key: "AKIDOTHER", ..good(&api) }, false)).await;
        r.assert_error("UnrecognizedClientException");
        assert_eq!(r.message(), "The security token included in the request is invalid.");
    }
}

#[tokio::test(start_paused = true)]
async fn another_region_in_the_scope_is_refused_naming_it() {
    let api = api();
    let r = api.send(signed(Proto::Json, &Signing { region: "eu-west-1", ..good(&api) }, false)).await;
    r.assert_error("InvalidSignatureException");
    assert!(r.message().contains("scoped to a valid region, not 'eu-west-1'"), "{}", r.body);
}

#[tokio::test(start_paused = true)]
async fn clock_skew_beyond_five_minutes_counts_against_the_emulator_clock() {
    let api = api();
    let signing = good(&api);
    // Signed now, sent after the emulator clock moved 4 minutes: fine; 6 minutes: expired.
    let early = signed(Proto::Json, &signing, false);
    let late = signed(Proto::Cbor, &signing, false);
    api.em.advance_clock(Duration::from_secs(240));
    api.send(early).await.assert_ok();
    api.em.advance_clock(Duration::from_secs(120));
    let r = api.send(late).await;
    r.assert_error("InvalidSignatureException");
    assert!(r.message().starts_with("Signature expired: "), "{}", r.body);
    // And signed in the future.
    let ahead = Signing { at_ms: api.em.now().wall_ms + 6 * 60_000, ..good(&api) };
    let r = api.send(signed(Proto::Json, &ahead, false)).await;
    r.assert_error("InvalidSignatureException");
    assert!(r.message().starts_with("Signature not yet current: "), "{}", r.body);
}

#[tokio::test(start_paused = true)]
async fn an_unsigned_request_is_refused_only_when_verification_is_on() {
    let api = api();
    let r = api.call(Proto::Json, "ListFleets", json!({})).await;
    r.assert_error("MissingAuthenticationTokenException");
    let off = Api::new();
    off.call(Proto::Json, "ListFleets", json!({})).await.assert_ok();
}
