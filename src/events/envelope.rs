//! The JSON AWS wraps a GameLift event in (the EventBridge envelope; SNS delivers the same
//! object as its Message), built from the model's typed events.
//!
//! Queue placement events: `detail-type` "GameLift Queue Placement Event", `resources` = the
//! queue ARN, `detail.type` PlacementFulfilled/Cancelled/TimedOut/Failed with `placementId`,
//! `startTime` and `endTime` (ISO-8601 with milliseconds); a fulfilled one adds `port` (a
//! string, as in AWS's examples), `gameSessionArn`, `ipAddress`, `dnsName`,
//! `gameSessionRegion` and `placedPlayerSessions`. `customEventData` is added when the queue has
//! some.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::model::matchmaking::MatchmakingEvent;
use crate::model::placement::{ModelEvent, PlacementEvent};

fn iso(ms: i64, format: SecondsFormat) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH).to_rfc3339_opts(format, true)
}

/// The event's SNS topic (its queue's NotificationTarget) and its envelope.
pub fn envelope(event: &ModelEvent) -> (Option<String>, Value) {
    match event {
        ModelEvent::QueuePlacement(e) => (e.notification_target.clone(), placement_envelope(e)),
        ModelEvent::Matchmaking(e) => (e.notification_target.clone(), matchmaking_envelope(e)),
    }
}

/// The envelope of a queue placement event.
pub fn placement_envelope(e: &PlacementEvent) -> Value {
    let mut detail = Map::new();
    detail.insert("type".into(), json!(e.kind()));
    detail.insert("placementId".into(), json!(e.placement_id.as_ref()));
    detail.insert("startTime".into(), json!(iso(e.start_ms, SecondsFormat::Millis)));
    detail.insert("endTime".into(), json!(iso(e.end_ms, SecondsFormat::Millis)));
    if let Some(c) = &e.connection {
        detail.insert("port".into(), json!(c.port.to_string()));
        detail.insert("gameSessionArn".into(), json!(c.game_session_arn.as_ref()));
        detail.insert("ipAddress".into(), json!(c.ip_address.as_ref()));
        detail.insert("dnsName".into(), json!(c.dns_name.as_ref()));
        detail.insert("gameSessionRegion".into(), json!(c.region.as_ref()));
        let placed: Vec<Value> = e
            .placed
            .iter()
            .map(|(player, ps)| json!({ "playerId": player.as_ref(), "playerSessionId": ps.as_ref() }))
            .collect();
        detail.insert("placedPlayerSessions".into(), Value::Array(placed));
    }
    if let Some(data) = &e.custom_event_data {
        detail.insert("customEventData".into(), json!(data));
    }
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "GameLift Queue Placement Event",
        "source": "aws.gamelift",
        "account": e.account,
        "time": iso(e.end_ms, SecondsFormat::Secs),
        "region": e.region,
        "resources": [e.queue_arn.as_ref()],
        "detail": Value::Object(detail),
    })
}

/// The envelope of a FlexMatch event ("GameLift Matchmaking Event", resources = [configuration ARN]).
pub fn matchmaking_envelope(e: &MatchmakingEvent) -> Value {
    let player = |(id, team, accepted, ps): &(String, Option<String>, Option<bool>, Option<String>)| {
        let mut p = Map::new();
        p.insert("playerId".into(), json!(id));
        if let Some(t) = team {
            p.insert("team".into(), json!(t));
        }
        if let Some(a) = accepted {
            p.insert("accepted".into(), json!(a));
        }
        if let Some(ps) = ps {
            p.insert("playerSessionId".into(), json!(ps));
        }
        Value::Object(p)
    };
    let tickets: Vec<Value> = e
        .tickets
        .iter()
        .map(|t| {
            json!({
                "ticketId": t.id.as_ref(),
                "startTime": iso(t.start_ms, SecondsFormat::Millis),
                "players": t.players.iter().map(player).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut info = Map::new();
    info.insert(
        "players".into(),
        Value::Array(e.tickets.iter().flat_map(|t| t.players.iter().map(player)).collect()),
    );
    if let Some(c) = &e.connection {
        info.insert("gameSessionArn".into(), json!(c.game_session_arn.as_ref()));
        info.insert("ipAddress".into(), json!(c.ip_address.as_ref()));
        info.insert("dnsName".into(), json!(c.dns_name.as_ref()));
        info.insert("port".into(), json!(c.port));
    }
    let mut detail = Map::new();
    detail.insert("tickets".into(), Value::Array(tickets));
    if e.kind == "MatchmakingSearching" {
        // Seconds despite the name, as AWS sends it; "NOT_AVAILABLE" until a ticket of the
        // configuration has completed.
        let estimate = e.estimated_wait_s.map_or_else(|| json!("NOT_AVAILABLE"), |s| json!(s));
        detail.insert("estimatedWaitMillis".into(), estimate);
    }
    if let Some((required, timeout)) = e.acceptance {
        detail.insert("acceptanceRequired".into(), json!(required));
        if let Some(t) = timeout.filter(|_| required) {
            detail.insert("acceptanceTimeout".into(), json!(t));
        }
    }
    if let Some(metrics) = &e.rule_metrics {
        let rows: Vec<Value> = metrics
            .iter()
            .map(|(name, passed, failed)| json!({"ruleName": name, "passedCount": passed, "failedCount": failed}))
            .collect();
        detail.insert("ruleEvaluationMetrics".into(), Value::Array(rows));
    }
    if let Some(outcome) = e.acceptance_outcome {
        detail.insert("acceptance".into(), json!(outcome));
    }
    if let Some((reason, message)) = e.reason {
        detail.insert("reason".into(), json!(reason));
        detail.insert("message".into(), json!(message));
    }
    detail.insert("type".into(), json!(e.kind));
    detail.insert("gameSessionInfo".into(), Value::Object(info));
    if let Some(id) = &e.match_id {
        detail.insert("matchId".into(), json!(id.as_ref()));
    }
    if let Some(data) = &e.custom_event_data {
        detail.insert("customEventData".into(), json!(data));
    }
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "GameLift Matchmaking Event",
        "source": "aws.gamelift",
        "account": e.account,
        "time": iso(e.time_ms, SecondsFormat::Millis),
        "region": e.region,
        "resources": [e.config_arn.as_ref()],
        "detail": Value::Object(detail),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::placement::{Connection, PlacementStatus};

    fn event(outcome: PlacementStatus) -> PlacementEvent {
        PlacementEvent {
            outcome,
            placement_id: "p-1".into(),
            queue_arn: "arn:aws:gamelift:us-west-2:123456789012:gamesessionqueue/q".into(),
            notification_target: None,
            custom_event_data: None,
            region: "us-west-2".into(),
            account: "123456789012".into(),
            start_ms: 1_614_613_849_741,
            end_ms: 1_614_613_852_084,
            connection: None,
            placed: Vec::new(),
        }
    }

    #[test]
    fn a_fulfilled_event_has_the_documented_shape() {
        let mut e = event(PlacementStatus::Fulfilled);
        e.connection = Some(Connection {
            game_session_arn: "arn:aws:gamelift:us-west-2::gamesession/fleet-1/gsess-1".into(),
            region: "us-west-2".into(),
            ip_address: "10.0.0.1".into(),
            dns_name: "host.example".into(),
            port: 6262,
        });
        e.placed = vec![("player-1".into(), "psess-1".into())];
        let v = placement_envelope(&e);
        assert_eq!(v["version"], "0");
        assert_eq!(v["detail-type"], "GameLift Queue Placement Event");
        assert_eq!(v["source"], "aws.gamelift");
        assert_eq!(v["account"], "123456789012");
        assert_eq!(v["region"], "us-west-2");
        assert_eq!(v["time"], "2021-03-01T15:50:52Z");
        assert_eq!(v["resources"], json!(["arn:aws:gamelift:us-west-2:123456789012:gamesessionqueue/q"]));
        assert!(uuid::Uuid::parse_str(v["id"].as_str().unwrap_or_default()).is_ok());
        let d = &v["detail"];
        assert_eq!(d["type"], "PlacementFulfilled");
        assert_eq!(d["port"], "6262");
        assert_eq!(d["startTime"], "2021-03-01T15:50:49.741Z");
        assert_eq!(d["endTime"], "2021-03-01T15:50:52.084Z");
        assert_eq!(d["gameSessionRegion"], "us-west-2");
        assert_eq!(
            d["placedPlayerSessions"],
            json!([{"playerId": "player-1", "playerSessionId": "psess-1"}])
        );
        assert!(d.get("customEventData").is_none());
    }

    #[test]
    fn other_outcomes_carry_only_times_and_custom_data_when_set() {
        let mut e = event(PlacementStatus::TimedOut);
        e.custom_event_data = Some("abc".into());
        let d = placement_envelope(&e)["detail"].clone();
        let mut keys: Vec<&str> =
            d.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
        keys.sort_unstable();
        assert_eq!(keys, ["customEventData", "endTime", "placementId", "startTime", "type"]);
        assert_eq!(d["type"], "PlacementTimedOut");
        assert_eq!(
            placement_envelope(&event(PlacementStatus::Cancelled))["detail"]["type"],
            "PlacementCancelled"
        );
        assert_eq!(placement_envelope(&event(PlacementStatus::Failed))["detail"]["type"], "PlacementFailed");
    }
}
