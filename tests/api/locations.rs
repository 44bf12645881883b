//! Custom locations: CreateLocation, ListLocations, DeleteLocation, in both protocols.

use std::collections::HashSet;

use gamelift_emulator::Fixtures;
use serde_json::{Value, json};

use crate::harness::*;

const ANYWHERE_FLEET: &str = "fleet-aaaaaaaa-0000-4000-8000-000000000001";

/// An emulator whose world holds an Anywhere fleet with location `custom-dev-1`.
fn api_with_anywhere_fleet() -> Api {
    let api = Api::new();
    let text = format!(
        r#"{{"Fleets": [{{"FleetId": "{ANYWHERE_FLEET}", "ComputeType": "ANYWHERE",
                          "Locations": [{{"Location": "custom-dev-1"}}]}}]}}"#
    );
    let fixtures = Fixtures::parse("locations-test.json", &text).expect("fixtures");
    let world = fixtures.build_world(api.em.config().settings(), api.em.now());
    api.em.with_world(|w, _| *w = world);
    api
}

fn names(page: &Value) -> Vec<String> {
    page["Locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["LocationName"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn create_location_returns_name_and_arn() {
    for proto in BOTH {
        let api = Api::new();
        let r = api.call(proto, "CreateLocation", json!({ "LocationName": "custom-home-lab" })).await;
        let loc = &r.assert_ok()["Location"];
        assert_eq!(loc["LocationName"], "custom-home-lab");
        assert_eq!(loc["LocationArn"], "arn:aws:gamelift:us-east-1:123456789012:location/custom-home-lab");
        assert!(loc.get("PingBeacon").is_none());
    }
}

#[tokio::test]
async fn create_location_existing_name_conflict() {
    for proto in BOTH {
        let api = Api::new();
        api.call(proto, "CreateLocation", json!({ "LocationName": "custom-dup" })).await.assert_ok();
        let r = api.call(proto, "CreateLocation", json!({ "LocationName": "custom-dup" })).await;
        r.assert_error("ConflictException");
        assert!(r.message().contains("custom-dup"), "{}", r.message());
    }
}

#[tokio::test]
async fn create_location_bad_name_invalid_request_and_bad_tags_tagging_failed() {
    for proto in BOTH {
        let api = Api::new();
        for name in ["us-east-1", "custom-", "custom_x_y", "my-custom-location"] {
            let r = api.call(proto, "CreateLocation", json!({ "LocationName": name })).await;
            r.assert_error("InvalidRequestException");
        }
        let tags = json!([{ "Key": "aws:x", "Value": "y" }]);
        let r =
            api.call(proto, "CreateLocation", json!({ "LocationName": "custom-tags", "Tags": tags })).await;
        r.assert_error("TaggingFailedException");
        // Only the default fixtures' custom location exists.
        let r = api.call(proto, "ListLocations", json!({ "Filters": ["CUSTOM"] })).await;
        assert_eq!(names(r.assert_ok()), ["custom-local"]);
    }
}

#[tokio::test]
async fn list_locations_aws_filter_lists_regions_with_ping_beacons() {
    for proto in BOTH {
        let api = Api::new();
        api.call(proto, "CreateLocation", json!({ "LocationName": "custom-one" })).await.assert_ok();
        let r = api.call(proto, "ListLocations", json!({ "Filters": ["AWS"] })).await;
        let body = r.assert_ok();
        let regions = names(body);
        assert!(regions.contains(&"us-east-1".to_string()) && regions.contains(&"eu-west-1".to_string()));
        assert!(
            !regions
                .iter()
                .any(|r| r.starts_with("custom-") || r.starts_with("cn-") || r.starts_with("us-gov-"))
        );
        let east =
            body["Locations"].as_array().unwrap().iter().find(|l| l["LocationName"] == "us-east-1").unwrap();
        assert_eq!(
            east["PingBeacon"],
            json!({ "UDPEndpoint": { "Domain": "gamelift-ping.us-east-1.api.aws", "Port": 7770 } })
        );
        assert!(east.get("LocationArn").is_none());
        let r = api.call(proto, "ListLocations", json!({ "Filters": ["CUSTOM"] })).await;
        assert_eq!(names(r.assert_ok()), ["custom-local", "custom-one"]);
    }
}

#[tokio::test]
async fn list_locations_pages_through_regions_then_custom_locations() {
    for proto in BOTH {
        let api = Api::new();
        for n in ["custom-a1", "custom-b2", "custom-c3"] {
            api.call(proto, "CreateLocation", json!({ "LocationName": n })).await.assert_ok();
        }
        let all = names(api.call(proto, "ListLocations", json!({})).await.assert_ok());
        assert_eq!(all[all.len() - 3..], ["custom-a1", "custom-b2", "custom-c3"]);
        let both = names(
            api.call(proto, "ListLocations", json!({ "Filters": ["AWS", "CUSTOM"] })).await.assert_ok(),
        );
        assert_eq!(both, all);

        let mut seen = Vec::new();
        let mut tokens = HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let mut input = json!({ "Limit": 10 });
            if let Some(t) = &token {
                input["NextToken"] = json!(t);
            }
            let body = api.call(proto, "ListLocations", input).await.assert_ok().clone();
            seen.extend(names(&body));
            match body.get("NextToken").and_then(Value::as_str) {
                Some(t) => {
                    assert!(tokens.insert(t.to_string()));
                    token = Some(t.to_string());
                }
                None => break,
            }
        }
        assert_eq!(seen, all);
    }
}

#[tokio::test]
async fn list_locations_bad_input_invalid_request() {
    for proto in BOTH {
        let api = Api::new();
        for input in [
            json!({ "NextToken": "bogus" }),
            json!({ "Limit": 201 }),
            json!({ "Filters": [] }),
            json!({ "Filters": ["LOCAL_ZONE"] }),
        ] {
            api.call(proto, "ListLocations", input).await.assert_error("InvalidRequestException");
        }
    }
}

#[tokio::test]
async fn delete_location_by_name_or_arn_removes_it() {
    for proto in BOTH {
        let api = Api::new();
        api.call(proto, "CreateLocation", json!({ "LocationName": "custom-by-name" })).await.assert_ok();
        let r = api.call(proto, "CreateLocation", json!({ "LocationName": "custom-by-arn" })).await;
        let arn = r.assert_ok()["Location"]["LocationArn"].clone();
        let r = api.call(proto, "DeleteLocation", json!({ "LocationName": "custom-by-name" })).await;
        assert_eq!(r.assert_ok(), &json!({}));
        api.call(proto, "DeleteLocation", json!({ "LocationName": arn })).await.assert_ok();
        let r = api.call(proto, "ListLocations", json!({ "Filters": ["CUSTOM"] })).await;
        assert_eq!(names(r.assert_ok()), ["custom-local"]);
        // The name can be used again.
        api.call(proto, "CreateLocation", json!({ "LocationName": "custom-by-name" })).await.assert_ok();
    }
}

#[tokio::test]
async fn delete_location_unknown_not_found() {
    for proto in BOTH {
        let api = Api::new();
        let r = api.call(proto, "DeleteLocation", json!({ "LocationName": "custom-nowhere" })).await;
        r.assert_error("NotFoundException");
        assert!(r.message().contains("custom-nowhere"), "{}", r.message());
    }
}

#[tokio::test]
async fn delete_location_used_by_a_fleet_invalid_request() {
    for proto in BOTH {
        // Fixture fleets create the custom locations they name.
        let api = api_with_anywhere_fleet();
        let r = api.call(proto, "DeleteLocation", json!({ "LocationName": "custom-dev-1" })).await;
        r.assert_error("InvalidRequestException");
        assert!(
            r.message().contains("custom-dev-1") && r.message().contains(ANYWHERE_FLEET),
            "{}",
            r.message()
        );
        let r = api.call(proto, "ListLocations", json!({ "Filters": ["CUSTOM"] })).await;
        assert_eq!(names(r.assert_ok()), ["custom-dev-1"]);
    }
}

#[tokio::test]
async fn reset_wipes_custom_locations() {
    let api = Api::new();
    api.call(Proto::Json, "CreateLocation", json!({ "LocationName": "custom-temp" })).await.assert_ok();
    api.em.reset();
    let r = api.call(Proto::Json, "ListLocations", json!({ "Filters": ["CUSTOM"] })).await;
    assert_eq!(names(r.assert_ok()), ["custom-local"]);
}
