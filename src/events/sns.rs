//! The SNS sink: `Publish` in the Query protocol (a form-encoded POST), signed with SigV4 by
//! `aws-sigv4` for service `sns` in the topic ARN's Region, as an AWS SDK sends it. LocalStack
//! and moto_server pick the Region (their per-Region backend) from the credential scope.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::http::{HeaderValue, Method, Request, Uri, header};
use bytes::Bytes;
use http_body_util::Full;
use serde_json::Value;

use super::SinkSettings;
use super::delivery::host_header;

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

pub(crate) struct SnsSink {
    endpoint: Uri,
    access_key: String,
    secret_key: String,
    /// Signing Region for a topic ARN that names none.
    fallback_region: String,
}

impl SnsSink {
    pub(crate) fn new(endpoint: Uri, settings: &SinkSettings) -> Self {
        Self {
            endpoint,
            access_key: settings.sns_access_key.clone(),
            secret_key: settings.sns_secret_key.clone(),
            fallback_region: settings.region.clone(),
        }
    }

    /// A signed `Publish` of `event` (as a JSON string) to `topic_arn`, dated `time`.
    pub(crate) fn publish_request(
        &self,
        topic_arn: &str,
        event: &Value,
        time: SystemTime,
    ) -> Result<Request<Full<Bytes>>, String> {
        let body = publish_body(topic_arn, &event.to_string())?;
        let region = topic_region(topic_arn).unwrap_or(&self.fallback_region);
        let host = host_header(&self.endpoint)?;
        let path = self.endpoint.path_and_query().map_or("/", |p| p.as_str());
        let url = format!("http://{host}{path}");
        let headers =
            [(header::CONTENT_TYPE.as_str(), FORM_CONTENT_TYPE), (header::HOST.as_str(), host.as_str())];
        let signed = sign_v4(
            "POST",
            &url,
            &headers,
            body.as_bytes(),
            SigV4 {
                service: "sns",
                region,
                access_key: &self.access_key,
                secret_key: &self.secret_key,
                time,
            },
        )?;
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(&url)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("cannot build the request to {url}: {e}"))?;
        for (name, value) in
            headers.iter().copied().chain(signed.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        {
            let value = HeaderValue::from_str(value).map_err(|e| format!("bad {name} header: {e}"))?;
            let name =
                header::HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("bad header: {e}"))?;
            req.headers_mut().insert(name, value);
        }
        Ok(req)
    }
}

/// `Action=Publish&Version=2010-03-31&TopicArn=…&Message=…`, form-encoded.
pub(crate) fn publish_body(topic_arn: &str, message: &str) -> Result<String, String> {
    serde_urlencoded::to_string([
        ("Action", "Publish"),
        ("Version", "2010-03-31"),
        ("TopicArn", topic_arn),
        ("Message", message),
    ])
    .map_err(|e| format!("cannot encode the Publish request: {e}"))
}

/// The Region of `arn:<partition>:sns:<region>:<account>:<topic>`.
pub(crate) fn topic_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(_), Some(_), Some(region)) if !region.is_empty() => Some(region),
        _ => None,
    }
}

/// What SigV4 needs besides the request.
pub(crate) struct SigV4<'a> {
    pub(crate) service: &'a str,
    pub(crate) region: &'a str,
    pub(crate) access_key: &'a str,
    pub(crate) secret_key: &'a str,
    pub(crate) time: SystemTime,
}

/// Signs a request (SigV4, headers, payload hashed) and returns the headers to add
/// (`x-amz-date`, `authorization`).
pub(crate) fn sign_v4(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    params: SigV4<'_>,
) -> Result<Vec<(String, String)>, String> {
    let identity =
        Credentials::new(params.access_key, params.secret_key, None, None, "gamelift-emulator").into();
    let signing_params = v4::SigningParams::builder()
        .identity(&identity)
        .region(params.region)
        .name(params.service)
        .time(params.time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("SigV4 parameters: {e}"))?
        .into();
    let signable = SignableRequest::new(method, url, headers.iter().copied(), SignableBody::Bytes(body))
        .map_err(|e| format!("SigV4: cannot sign a request to {url}: {e}"))?;
    let (instructions, _signature) =
        sign(signable, &signing_params).map_err(|e| format!("SigV4 signing failed: {e}"))?.into_parts();
    Ok(instructions.headers().map(|(n, v)| (n.to_owned(), v.to_owned())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::delivery::system_time;

    const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// The AWS signing test suite's `post-x-www-form-urlencoded-parameters` vector without the
    /// `x-amz-content-sha256` header (which only S3 sends); the expected signature was computed
    /// independently with botocore's `SigV4Auth` for the same request.
    #[test]
    fn sigv4_matches_an_independent_signer() {
        let headers = [
            ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("host", "example.amazonaws.com"),
        ];
        let signed = sign_v4(
            "POST",
            "http://example.amazonaws.com/",
            &headers,
            b"Param1=value1",
            SigV4 {
                service: "service",
                region: "us-east-1",
                access_key: "AKIDEXAMPLE",
                secret_key: EXAMPLE_SECRET,
                time: system_time(1_440_938_160_000), // 2015-08-30T12:36:00Z
            },
        )
        .expect("signs");
        let get = |name: &str| signed.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(get("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(get("authorization"), Some(BOTOCORE_FORM_VECTOR));
    }

    const BOTOCORE_FORM_VECTOR: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, \
         Signature=2f3b42f35f135abf9c562afcbbc44fc03df96dcfd4332ecebad8b39a7d4b6125";

    #[test]
    fn a_publish_request_is_a_signed_form_post_in_the_topics_region() {
        let mut settings = crate::events::SinkSettings::none("us-east-1", "123456789012");
        settings.sns_access_key = "AKIDEXAMPLE".into();
        settings.sns_secret_key = EXAMPLE_SECRET.into();
        let sink = SnsSink::new("http://127.0.0.1:4566".parse().expect("uri"), &settings);
        let topic = "arn:aws:sns:eu-west-1:000000000000:placements";
        let req = sink
            .publish_request(
                topic,
                &serde_json::json!({"detail": {"port": "7777"}}),
                system_time(1_767_225_600_000),
            )
            .expect("request");
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri().to_string(), "http://127.0.0.1:4566/");
        let h = req.headers();
        assert_eq!(h[header::HOST], "127.0.0.1:4566");
        assert_eq!(h[header::CONTENT_TYPE], FORM_CONTENT_TYPE);
        assert_eq!(h["x-amz-date"], "20260101T000000Z");
        let auth = h[header::AUTHORIZATION].to_str().expect("ascii");
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/sns/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, Signature="
            ),
            "{auth}"
        );
        let collected =
            futures_util::FutureExt::now_or_never(http_body_util::BodyExt::collect(req.into_body()));
        let bytes = collected.and_then(Result::ok).expect("a full body").to_bytes();
        let body = String::from_utf8(bytes.to_vec()).expect("utf-8");
        let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).expect("form");
        assert_eq!(
            form,
            [
                ("Action".to_string(), "Publish".to_string()),
                ("Version".into(), "2010-03-31".into()),
                ("TopicArn".into(), topic.into()),
                ("Message".into(), r#"{"detail":{"port":"7777"}}"#.into()),
            ]
        );
    }

    #[test]
    fn the_signing_region_comes_from_the_topic_arn() {
        assert_eq!(topic_region("arn:aws:sns:ap-south-1:123456789012:t"), Some("ap-south-1"));
        assert_eq!(topic_region("arn:aws:sns::123456789012:t"), None);
        assert_eq!(topic_region("my-topic"), None);
    }
}
