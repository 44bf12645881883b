//! The webhook sink: every event POSTed as the `Notification` message SNS sends to an HTTP(S)
//! subscription (JSON body, `x-amz-sns-*` headers, `text/plain` content type), so an endpoint
//! written for SNS can be pointed at the emulator unchanged.
//!
//! What cannot be real: `Signature` is not a signature (the emulator has no SNS signing key;
//! it is the base64 of a sentence saying so), and `SigningCertURL`/`UnsubscribeURL` are
//! AWS-shaped URLs that serve nothing. An endpoint that verifies signatures must skip that
//! check against the emulator. Events without a NotificationTarget carry the placeholder topic
//! `arn:aws:sns:<region>:<account>:gamelift-emulator-events`.

use axum::http::{HeaderValue, Method, Request, Uri, header};
use base64::Engine;
use bytes::Bytes;
use http_body_util::Full;
use serde_json::json;

use super::delivery::{host_header, iso_millis};
use super::{Entry, SinkSettings};

/// Topic name in the TopicArn of events that have no NotificationTarget.
pub const PLACEHOLDER_TOPIC: &str = "gamelift-emulator-events";

/// What the `Signature` field decodes to.
const NOT_SIGNED: &str = "gamelift-emulator: this notification is not signed";

pub(crate) struct WebhookSink {
    url: Uri,
    region: String,
    placeholder_topic_arn: String,
    /// This webhook's subscription ID (the tail of its subscription ARN), fixed for the process.
    subscription_id: uuid::Uuid,
}

impl WebhookSink {
    pub(crate) fn new(url: Uri, settings: &SinkSettings) -> Self {
        Self {
            url,
            region: settings.region.clone(),
            placeholder_topic_arn: format!(
                "arn:aws:sns:{}:{}:{PLACEHOLDER_TOPIC}",
                settings.region, settings.account_id
            ),
            subscription_id: uuid::Uuid::new_v4(),
        }
    }

    /// The POST for one event.
    pub(crate) fn notification_request(&self, entry: &Entry) -> Result<Request<Full<Bytes>>, String> {
        let logged = &entry.logged;
        let topic_arn = logged.notification_target.as_deref().filter(|t| !t.is_empty());
        let topic_arn = topic_arn.unwrap_or(&self.placeholder_topic_arn);
        let region = super::sns::topic_region(topic_arn).unwrap_or(&self.region);
        let subscription_arn = format!("{topic_arn}:{}", self.subscription_id);
        let message_id = entry.message_id.to_string();
        let body = json!({
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": topic_arn,
            "Message": logged.event.to_string(),
            "Timestamp": iso_millis(entry.published_ms),
            "SignatureVersion": "1",
            "Signature": base64::engine::general_purpose::STANDARD.encode(NOT_SIGNED),
            "SigningCertURL": format!(
                "https://sns.{region}.amazonaws.com/SimpleNotificationService-gamelift-emulator-not-signed.pem"
            ),
            "UnsubscribeURL": format!(
                "https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"
            ),
        });
        let host = host_header(&self.url)?;
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(self.url.clone())
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| format!("cannot build the request to {}: {e}", self.url))?;
        let headers = [
            (header::HOST.as_str(), host.as_str()),
            (header::CONTENT_TYPE.as_str(), "text/plain; charset=UTF-8"),
            (header::USER_AGENT.as_str(), "Amazon Simple Notification Service Agent"),
            ("x-amz-sns-message-type", "Notification"),
            ("x-amz-sns-message-id", message_id.as_str()),
            ("x-amz-sns-topic-arn", topic_arn),
            ("x-amz-sns-subscription-arn", subscription_arn.as_str()),
        ];
        for (name, value) in headers {
            let value = HeaderValue::from_str(value).map_err(|e| format!("bad {name} header: {e}"))?;
            req.headers_mut().insert(name, value);
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::LoggedEvent;

    fn entry(target: Option<&str>) -> Entry {
        Entry {
            logged: LoggedEvent {
                sequence: 3,
                notification_target: target.map(str::to_owned),
                event: json!({"detail-type": "GameLift Queue Placement Event"}),
            },
            message_id: uuid::Uuid::nil(),
            published_ms: 1_767_225_600_123,
        }
    }

    fn body_of(req: Request<Full<Bytes>>) -> serde_json::Value {
        let collected =
            futures_util::FutureExt::now_or_never(http_body_util::BodyExt::collect(req.into_body()));
        let bytes = collected.and_then(Result::ok).expect("a full body").to_bytes();
        serde_json::from_slice(&bytes).expect("json")
    }

    #[test]
    fn a_notification_has_snss_fields_and_headers() {
        let sink = WebhookSink::new(
            "http://127.0.0.1:8000/sns".parse().expect("uri"),
            &SinkSettings::none("us-east-1", "123456789012"),
        );
        let topic = "arn:aws:sns:us-west-2:123456789012:placements";
        let req = sink.notification_request(&entry(Some(topic))).expect("request");
        assert_eq!(req.uri().to_string(), "http://127.0.0.1:8000/sns");
        let h = req.headers().clone();
        assert_eq!(h[header::CONTENT_TYPE], "text/plain; charset=UTF-8");
        assert_eq!(h["x-amz-sns-message-type"], "Notification");
        assert_eq!(h["x-amz-sns-message-id"], "00000000-0000-0000-0000-000000000000");
        assert_eq!(h["x-amz-sns-topic-arn"], topic);
        let body = body_of(req);
        assert_eq!(body["Type"], "Notification");
        assert_eq!(body["MessageId"], "00000000-0000-0000-0000-000000000000");
        assert_eq!(body["TopicArn"], topic);
        assert_eq!(body["Message"], r#"{"detail-type":"GameLift Queue Placement Event"}"#);
        assert_eq!(body["Timestamp"], "2026-01-01T00:00:00.123Z");
        assert_eq!(body["SignatureVersion"], "1");
        assert!(
            body["SigningCertURL"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://sns.us-west-2.amazonaws.com/"))
        );
        let unsubscribe = body["UnsubscribeURL"].as_str().unwrap_or_default();
        assert!(unsubscribe.contains(&format!("SubscriptionArn={topic}:")), "{unsubscribe}");
    }

    #[test]
    fn an_event_without_a_target_names_the_placeholder_topic() {
        let sink = WebhookSink::new(
            "http://127.0.0.1:8000/".parse().expect("uri"),
            &SinkSettings::none("eu-central-1", "111122223333"),
        );
        let req = sink.notification_request(&entry(None)).expect("request");
        let placeholder = "arn:aws:sns:eu-central-1:111122223333:gamelift-emulator-events";
        assert_eq!(req.headers()["x-amz-sns-topic-arn"], placeholder);
        assert_eq!(body_of(req)["TopicArn"], placeholder);
    }
}
