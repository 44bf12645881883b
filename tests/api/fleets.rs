//! Fleets, fleet locations, capacity, utilization, events and instances, in both protocols.
//!
//! Lifecycles run on paused time: the default fleet activation delay is 1 s (five 200 ms
//! steps) and the instance activation delay 500 ms.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::*;

const UNKNOWN_FLEET: &str = "fleet-99999999-0000-4000-8000-000000000000";
const STEP: Duration = Duration::from_millis(200);
const INSTANCE_DELAY: Duration = Duration::from_millis(500);

async fn advance(d: Duration) {
    tokio::time::advance(d).await;
}

/// A READY build (CreateBuild with a StorageLocation).
async fn build(api: &Api, proto: Proto) -> String {
    let r = api
        .call(
            proto,
            "CreateBuild",
            json!({
                "Name": "server", "OperatingSystem": "AMAZON_LINUX_2023",
                "StorageLocation": { "Bucket": "bkt", "Key": "server.zip", "RoleArn": "arn:aws:iam::123456789012:role/r" },
            }),
        )
        .await;
    let b = &r.assert_ok()["Build"];
    assert_eq!(b["Status"], "READY");
    b["BuildId"].as_str().unwrap().to_string()
}

/// A CreateFleet input for an EC2 fleet with `slots` game sessions per instance.
fn ec2_input(build: &str, slots: u32) -> Value {
    json!({
        "Name": "fleet-under-test",
        "BuildId": build,
        "EC2InstanceType": "c5.large",
        "RuntimeConfiguration": {
            "ServerProcesses": [{ "LaunchPath": "/local/game/server", "ConcurrentExecutions": slots }]
        },
        "EC2InboundPermissions": [{ "FromPort": 33430, "ToPort": 33440, "IpRange": "0.0.0.0/0", "Protocol": "UDP" }],
    })
}

async fn create_fleet(api: &Api, proto: Proto, input: Value) -> String {
    let r = api.call(proto, "CreateFleet", input).await;
    r.assert_ok()["FleetAttributes"]["FleetId"].as_str().unwrap().to_string()
}

/// Creates an EC2 fleet and lets it walk to ACTIVE.
async fn active_fleet(api: &Api, proto: Proto, input: Value) -> String {
    let id = create_fleet(api, proto, input).await;
    advance(Duration::from_secs(1)).await;
    assert_eq!(attributes(api, proto, &id).await["Status"], "ACTIVE");
    id
}

async fn attributes(api: &Api, proto: Proto, id: &str) -> Value {
    let r = api.call(proto, "DescribeFleetAttributes", json!({ "FleetIds": [id] })).await;
    let list = r.assert_ok()["FleetAttributes"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{list:?}");
    list[0].clone()
}

async fn capacity(api: &Api, proto: Proto, id: &str, location: &str) -> Value {
    let r = api
        .call(proto, "DescribeFleetLocationCapacity", json!({ "FleetId": id, "Location": location }))
        .await;
    r.assert_ok()["FleetCapacity"]["InstanceCounts"].clone()
}

fn counts(desired: u32, min: u32, max: u32, pending: u32, active: u32, idle: u32, terminating: u32) -> Value {
    json!({
        "DESIRED": desired, "MINIMUM": min, "MAXIMUM": max, "PENDING": pending,
        "ACTIVE": active, "IDLE": idle, "TERMINATING": terminating,
    })
}

async fn session(api: &Api, proto: Proto, fleet: &str) -> Reply {
    api.create(proto, json!({ "FleetId": fleet, "MaximumPlayerSessionCount": 4 })).await
}

async fn session_id(api: &Api, proto: Proto, fleet: &str) -> String {
    session(api, proto, fleet).await.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string()
}

async fn set_capacity(api: &Api, proto: Proto, input: Value) {
    api.call(proto, "UpdateFleetCapacity", input).await.assert_ok();
}

async fn event_codes(api: &Api, proto: Proto, id: &str) -> Vec<String> {
    let r = api.call(proto, "DescribeFleetEvents", json!({ "FleetId": id })).await;
    let mut codes: Vec<String> = r.assert_ok()["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["EventCode"].as_str().unwrap().to_string())
        .collect();
    codes.reverse();
    codes
}

/// Follows NextToken through every page; checks tokens are never repeated.
async fn all_pages(api: &Api, proto: Proto, op: &str, input: Value, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut tokens = Vec::new();
    loop {
        let mut req = input.clone();
        if let Some(t) = &token {
            req["NextToken"] = json!(t);
        }
        let r = api.call(proto, op, req).await;
        let body = r.assert_ok();
        out.extend(body[key].as_array().unwrap().iter().cloned());
        match body.get("NextToken").and_then(Value::as_str) {
            Some(t) => {
                assert!(!tokens.contains(&t.to_string()), "{op}: token repeated");
                tokens.push(t.to_string());
                token = Some(t.to_string());
            }
            None => return out,
        }
    }
}

// ----------------------------------------------------------------------------------- CreateFleet

#[tokio::test(start_paused = true)]
async fn create_fleet_ec2_walks_new_to_active_with_events_and_instances() {
    for proto in BOTH {
        let api = Api::new();
        let b = build(&api, proto).await;
        let mut input = ec2_input(&b, 2);
        input["Locations"] = json!([{ "Location": "us-east-1" }, { "Location": "eu-west-1" }]);
        input["Description"] = json!("blue");
        input["NewGameSessionProtectionPolicy"] = json!("FullProtection");
        input["ResourceCreationLimitPolicy"] =
            json!({ "NewGameSessionsPerCreator": 3, "PolicyPeriodInMinutes": 15 });
        input["MetricGroups"] = json!(["mg"]);
        input["FleetType"] = json!("SPOT");
        input["InstanceRoleArn"] = json!("arn:aws:iam::123456789012:role/game");
        input["CertificateConfiguration"] = json!({ "CertificateType": "GENERATED" });
        input["Tags"] = json!([{ "Key": "team", "Value": "blue" }]);
        let r = api.call(proto, "CreateFleet", input).await;
        let body = r.assert_ok();
        let fa = &body["FleetAttributes"];
        let id = fa["FleetId"].as_str().unwrap().to_string();
        assert!(id.starts_with("fleet-") && id.len() == "fleet-".len() + 36, "{id}");
        assert_eq!(fa["FleetArn"], format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{id}"));
        assert_eq!(fa["Status"], "NEW");
        assert_eq!(fa["Name"], "fleet-under-test");
        assert_eq!(fa["Description"], "blue");
        assert_eq!(fa["BuildId"], b.as_str());
        assert_eq!(fa["BuildArn"], format!("arn:aws:gamelift:us-east-1::build/{b}"));
        assert_eq!(fa["InstanceType"], "c5.large");
        assert_eq!(fa["FleetType"], "SPOT");
        assert_eq!(fa["ComputeType"], "EC2");
        assert_eq!(fa["OperatingSystem"], "AMAZON_LINUX_2023");
        assert_eq!(fa["NewGameSessionProtectionPolicy"], "FullProtection");
        assert_eq!(
            fa["ResourceCreationLimitPolicy"],
            json!({ "NewGameSessionsPerCreator": 3, "PolicyPeriodInMinutes": 15 })
        );
        assert_eq!(fa["MetricGroups"], json!(["mg"]));
        assert_eq!(fa["InstanceRoleArn"], "arn:aws:iam::123456789012:role/game");
        assert_eq!(fa["CertificateConfiguration"], json!({ "CertificateType": "GENERATED" }));
        assert!(fa["CreationTime"].as_f64().unwrap() > 1.6e9);
        assert_eq!(
            body["LocationStates"],
            json!([{ "Location": "us-east-1", "Status": "NEW" }, { "Location": "eu-west-1", "Status": "NEW" }])
        );
        assert_eq!(capacity(&api, proto, &id, "us-east-1").await, counts(1, 0, 1, 1, 0, 0, 0));
        session(&api, proto, &id).await.assert_error("InvalidFleetStatusException");

        let mut seen = Vec::new();
        for _ in 0..5 {
            advance(STEP).await;
            seen.push(attributes(&api, proto, &id).await["Status"].as_str().unwrap().to_string());
        }
        assert_eq!(seen, ["DOWNLOADING", "VALIDATING", "BUILDING", "ACTIVATING", "ACTIVE"]);
        let locs = api.call(proto, "DescribeFleetLocationAttributes", json!({ "FleetId": id })).await;
        assert_eq!(
            locs.assert_ok()["LocationAttributes"],
            json!([{ "LocationState": { "Location": "eu-west-1", "Status": "ACTIVE" } }])
        );
        assert_eq!(capacity(&api, proto, &id, "us-east-1").await, counts(1, 0, 1, 0, 1, 1, 0));
        assert_eq!(capacity(&api, proto, &id, "eu-west-1").await, counts(1, 0, 1, 0, 1, 1, 0));
        assert_eq!(
            event_codes(&api, proto, &id).await,
            [
                "FLEET_CREATED",
                "LOCATION_STATE_PENDING",
                "FLEET_STATE_DOWNLOADING",
                "LOCATION_STATE_CREATING",
                "FLEET_STATE_VALIDATING",
                "LOCATION_STATE_CREATING",
                "FLEET_STATE_BUILDING",
                "LOCATION_STATE_CREATED",
                "FLEET_STATE_ACTIVATING",
                "LOCATION_STATE_ACTIVATING",
                "FLEET_STATE_ACTIVE",
                "LOCATION_STATE_ACTIVE",
            ]
        );
        let tags = api.call(proto, "ListTagsForResource", json!({ "ResourceARN": fa["FleetArn"] })).await;
        assert_eq!(tags.assert_ok()["Tags"], json!([{ "Key": "team", "Value": "blue" }]));

        // The first inbound permission's FromPort is the port of slot 0.
        let gs = api
            .create(proto, json!({ "FleetId": id, "MaximumPlayerSessionCount": 4, "CreatorId": "p1" }))
            .await;
        assert_eq!(gs.assert_ok()["GameSession"]["Port"], 33430);
    }
}

#[tokio::test(start_paused = true)]
async fn create_fleet_activation_delay_flag_sets_the_pace() {
    let mut config = gamelift_emulator::Config::for_tests();
    config.fleet_activation_delay = Duration::from_secs(10);
    let api = Api::with(config);
    let b = build(&api, Proto::Json).await;
    let id = create_fleet(&api, Proto::Json, ec2_input(&b, 1)).await;
    advance(Duration::from_millis(1999)).await;
    assert_eq!(attributes(&api, Proto::Json, &id).await["Status"], "NEW");
    advance(Duration::from_millis(1)).await;
    assert_eq!(attributes(&api, Proto::Json, &id).await["Status"], "DOWNLOADING");
    advance(Duration::from_secs(8)).await;
    assert_eq!(attributes(&api, Proto::Json, &id).await["Status"], "ACTIVE");
}

#[tokio::test(start_paused = true)]
async fn lifecycle_driver_walks_fleets_without_requests() {
    let api = Api::new();
    let em = api.em.clone();
    let driver = tokio::spawn(gamelift_emulator::lifecycle::run(em.clone(), std::future::pending()));
    let b = build(&api, Proto::Json).await;
    let id = create_fleet(&api, Proto::Json, ec2_input(&b, 1)).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let status = em.inspect(|w| w.fleet(&id).map(|f| f.status.as_str()).unwrap_or("?"));
    assert_eq!(status, "ACTIVE");
    driver.abort();
}

#[tokio::test(start_paused = true)]
async fn create_fleet_script_and_legacy_launch_path_become_one_process() {
    for proto in BOTH {
        let api = Api::new();
        let s = api
            .call(
                proto,
                "CreateScript",
                json!({ "Name": "rt", "StorageLocation": { "Bucket": "b", "Key": "k.zip", "RoleArn": "arn:aws:iam::1:role/r" } }),
            )
            .await;
        let script = s.assert_ok()["Script"]["ScriptId"].as_str().unwrap().to_string();
        let r = api
            .call(
                proto,
                "CreateFleet",
                json!({
                    "Name": "rt", "ScriptId": script, "EC2InstanceType": "c5.large",
                    "ServerLaunchPath": "/local/game/MainScript.js", "ServerLaunchParameters": "+map winter",
                }),
            )
            .await;
        let fa = &r.assert_ok()["FleetAttributes"];
        assert_eq!(fa["ScriptId"], script.as_str());
        assert_eq!(fa["ScriptArn"], format!("arn:aws:gamelift:us-east-1::script/{script}"));
        assert_eq!(fa["ServerLaunchPath"], "/local/game/MainScript.js");
        assert_eq!(fa["FleetType"], "ON_DEMAND");
        assert_eq!(fa["CertificateConfiguration"], json!({ "CertificateType": "DISABLED" }));
        assert_eq!(fa["MetricGroups"], json!(["default"]));
        let id = fa["FleetId"].as_str().unwrap();
        let rc = api.call(proto, "DescribeRuntimeConfiguration", json!({ "FleetId": id })).await;
        assert_eq!(
            rc.assert_ok()["RuntimeConfiguration"],
            json!({
                "ServerProcesses": [{ "LaunchPath": "/local/game/MainScript.js", "Parameters": "+map winter", "ConcurrentExecutions": 1 }],
                "MaxConcurrentGameSessionActivations": 2147483647,
                "GameSessionActivationTimeoutSeconds": 300,
            })
        );
        let listed = api.call(proto, "ListFleets", json!({ "ScriptId": script })).await;
        assert_eq!(listed.assert_ok()["FleetIds"], json!([id]));
    }
}

#[tokio::test(start_paused = true)]
async fn create_fleet_anywhere_is_active_at_once_without_instances() {
    for proto in BOTH {
        let api = Api::new();
        api.call(proto, "CreateLocation", json!({ "LocationName": "custom-home-lab" })).await.assert_ok();
        let r = api
            .call(
                proto,
                "CreateFleet",
                json!({
                    "Name": "anywhere", "ComputeType": "ANYWHERE",
                    "Locations": [{ "Location": "custom-home-lab" }],
                    "AnywhereConfiguration": { "Cost": "0.5" },
                }),
            )
            .await;
        let body = r.assert_ok();
        assert_eq!(body["FleetAttributes"]["Status"], "ACTIVE");
        assert_eq!(body["FleetAttributes"]["ComputeType"], "ANYWHERE");
        assert_eq!(body["FleetAttributes"]["AnywhereConfiguration"], json!({ "Cost": "0.5" }));
        assert!(body["FleetAttributes"].get("FleetType").is_none());
        assert_eq!(
            body["LocationStates"],
            json!([{ "Location": "us-east-1", "Status": "ACTIVE" }, { "Location": "custom-home-lab", "Status": "ACTIVE" }])
        );
        let id = body["FleetAttributes"]["FleetId"].as_str().unwrap();
        let gs = api
            .create(
                proto,
                json!({ "FleetId": id, "MaximumPlayerSessionCount": 2, "Location": "custom-home-lab" }),
            )
            .await;
        gs.assert_error("FleetCapacityExceededException");
        assert_eq!(event_codes(&api, proto, id).await, ["FLEET_CREATED", "FLEET_STATE_ACTIVE"]);
        api.call(proto, "DescribeInstances", json!({ "FleetId": id }))
            .await
            .assert_error("InvalidRequestException");
        api.call(proto, "UpdateFleetCapacity", json!({ "FleetId": id, "DesiredInstances": 1 }))
            .await
            .assert_error("InvalidRequestException");
        api.call(
            proto,
            "UpdateFleetPortSettings",
            json!({ "FleetId": id, "InboundPermissionAuthorizations": [{ "FromPort": 1, "ToPort": 2, "IpRange": "0.0.0.0/0", "Protocol": "TCP" }] }),
        )
        .await
        .assert_error("InvalidRequestException");
        // Custom locations are added to (and removed from) Anywhere fleets.
        api.call(proto, "CreateLocation", json!({ "LocationName": "custom-second" })).await.assert_ok();
        let added = api
            .call(
                proto,
                "CreateFleetLocations",
                json!({ "FleetId": id, "Locations": [{ "Location": "custom-second" }] }),
            )
            .await;
        assert_eq!(
            added.assert_ok()["LocationStates"],
            json!([{ "Location": "custom-second", "Status": "ACTIVE" }])
        );
        api.call(
            proto,
            "CreateFleetLocations",
            json!({ "FleetId": id, "Locations": [{ "Location": "custom-nope-1" }] }),
        )
        .await
        .assert_error("NotFoundException");
        api.call(
            proto,
            "CreateFleetLocations",
            json!({ "FleetId": id, "Locations": [{ "Location": "eu-west-1" }] }),
        )
        .await
        .assert_error("InvalidRequestException");
        let updated = api
            .call(
                proto,
                "UpdateFleetAttributes",
                json!({ "FleetId": id, "AnywhereConfiguration": { "Cost": "2" } }),
            )
            .await;
        updated.assert_ok();
        assert_eq!(attributes(&api, proto, id).await["AnywhereConfiguration"], json!({ "Cost": "2" }));
    }
}

#[tokio::test]
async fn create_fleet_errors_are_named_as_aws_names_them() {
    for proto in BOTH {
        let api = Api::new();
        let b = build(&api, proto).await;
        let waiting = api
            .call(
                proto,
                "CreateBuild",
                json!({ "Name": "upload-me", "OperatingSystem": "AMAZON_LINUX_2023" }),
            )
            .await;
        let waiting = waiting.assert_ok()["Build"]["BuildId"].as_str().unwrap().to_string();
        let with = |f: &dyn Fn(&mut Value)| {
            let mut v = ec2_input(&b, 2);
            f(&mut v);
            v
        };
        let cases: Vec<(&str, Value, &str)> = vec![
            (
                "no name",
                with(&|v| v.as_object_mut().unwrap().retain(|k, _| k != "Name")),
                "InvalidRequestException",
            ),
            (
                "no instance type",
                with(&|v| v.as_object_mut().unwrap().retain(|k, _| k != "EC2InstanceType")),
                "InvalidRequestException",
            ),
            (
                "unknown instance type",
                with(&|v| v["EC2InstanceType"] = json!("z9.mega")),
                "InvalidRequestException",
            ),
            (
                "no build or script",
                with(&|v| v.as_object_mut().unwrap().retain(|k, _| k != "BuildId")),
                "InvalidRequestException",
            ),
            (
                "build and script",
                with(&|v| v["ScriptId"] = json!("script-00000000-0000-4000-8000-000000000001")),
                "InvalidRequestException",
            ),
            (
                "no runtime",
                with(&|v| v.as_object_mut().unwrap().retain(|k, _| k != "RuntimeConfiguration")),
                "InvalidRequestException",
            ),
            (
                "no processes",
                with(&|v| v["RuntimeConfiguration"] = json!({ "ServerProcesses": [] })),
                "InvalidRequestException",
            ),
            (
                "runtime without processes",
                with(&|v| v["RuntimeConfiguration"] = json!({ "GameSessionActivationTimeoutSeconds": 30 })),
                "InvalidRequestException",
            ),
            (
                "51 processes",
                with(&|v| {
                    v["RuntimeConfiguration"]["ServerProcesses"] = json!([
                        { "LaunchPath": "/local/game/a", "ConcurrentExecutions": 50 },
                        { "LaunchPath": "/local/game/b", "ConcurrentExecutions": 1 },
                    ])
                }),
                "InvalidRequestException",
            ),
            (
                "zero executions",
                with(&|v| v["RuntimeConfiguration"]["ServerProcesses"][0]["ConcurrentExecutions"] = json!(0)),
                "InvalidRequestException",
            ),
            (
                "launch path outside the install dir",
                with(&|v| {
                    v["RuntimeConfiguration"]["ServerProcesses"][0]["LaunchPath"] = json!("/usr/bin/server")
                }),
                "InvalidRequestException",
            ),
            (
                "ports reversed",
                with(&|v| v["EC2InboundPermissions"][0]["FromPort"] = json!(40000)),
                "InvalidRequestException",
            ),
            (
                "duplicate location",
                with(&|v| v["Locations"] = json!([{ "Location": "eu-west-1" }, { "Location": "eu-west-1" }])),
                "InvalidRequestException",
            ),
            (
                "custom location on EC2",
                with(&|v| v["Locations"] = json!([{ "Location": "custom-lab-1" }])),
                "InvalidRequestException",
            ),
            (
                "no such region",
                with(&|v| v["Locations"] = json!([{ "Location": "mars-north-1" }])),
                "UnsupportedRegionException",
            ),
            (
                "unknown build",
                with(&|v| v["BuildId"] = json!("build-00000000-0000-4000-8000-00000000dead")),
                "NotFoundException",
            ),
            ("build not READY", with(&|v| v["BuildId"] = json!(waiting)), "InvalidRequestException"),
            (
                "unknown script",
                with(&|v| {
                    v.as_object_mut().unwrap().remove("BuildId");
                    v["ScriptId"] = json!("script-00000000-0000-4000-8000-00000000dead");
                }),
                "NotFoundException",
            ),
            (
                "reserved tag key",
                with(&|v| v["Tags"] = json!([{ "Key": "aws:x", "Value": "" }])),
                "TaggingFailedException",
            ),
            (
                "51 tags",
                with(&|v| {
                    v["Tags"] = json!(
                        (0..51).map(|i| json!({ "Key": format!("k{i}"), "Value": "" })).collect::<Vec<_>>()
                    )
                }),
                "TaggingFailedException",
            ),
            (
                "anywhere with a build",
                json!({ "Name": "a", "ComputeType": "ANYWHERE", "BuildId": b, "Locations": [{ "Location": "custom-x-1" }] }),
                "InvalidRequestException",
            ),
            (
                "anywhere without locations",
                json!({ "Name": "a", "ComputeType": "ANYWHERE" }),
                "InvalidRequestException",
            ),
            (
                "anywhere in an AWS Region",
                json!({ "Name": "a", "ComputeType": "ANYWHERE", "Locations": [{ "Location": "us-west-2" }] }),
                "InvalidRequestException",
            ),
            (
                "anywhere unknown custom location",
                json!({ "Name": "a", "ComputeType": "ANYWHERE", "Locations": [{ "Location": "custom-missing" }] }),
                "NotFoundException",
            ),
            (
                "compute type CONTAINER",
                json!({ "Name": "a", "ComputeType": "CONTAINER" }),
                "InvalidRequestException",
            ),
        ];
        for (what, input, code) in cases {
            let r = api.call(proto, "CreateFleet", input).await;
            assert_eq!(r.error_type(), code, "{proto:?} {what}: {}", r.body);
            r.assert_error(code);
        }
        // Nothing was created by the failed requests.
        let listed = api.call(proto, "ListFleets", json!({})).await;
        assert_eq!(listed.assert_ok()["FleetIds"].as_array().unwrap().len(), 5);
    }
}

// ------------------------------------------------------------------------- describe and list

#[tokio::test(start_paused = true)]
async fn describe_fleet_attributes_and_list_fleets_page_in_creation_order() {
    for proto in BOTH {
        let api = Api::new();
        let b = build(&api, proto).await;
        let other = build(&api, proto).await;
        let mut created = Vec::new();
        for i in 0..3 {
            created.push(create_fleet(&api, proto, ec2_input(if i == 1 { &other } else { &b }, 1)).await);
        }
        let ids: Vec<Value> = all_pages(&api, proto, "ListFleets", json!({ "Limit": 2 }), "FleetIds").await;
        let mut expected: Vec<Value> = [FLEET, FLEET_LIMITED, FLEET_ACTIVATING, FLEET_TINY, FLEET_ANYWHERE]
            .iter()
            .map(|f| json!(f))
            .collect();
        expected.extend(created.iter().map(|f| json!(f)));
        assert_eq!(ids, expected);
        let attrs =
            all_pages(&api, proto, "DescribeFleetAttributes", json!({ "Limit": 3 }), "FleetAttributes").await;
        assert_eq!(attrs.iter().map(|a| a["FleetId"].clone()).collect::<Vec<_>>(), expected);

        let by_build = api.call(proto, "ListFleets", json!({ "BuildId": b })).await;
        assert_eq!(by_build.assert_ok()["FleetIds"], json!([created[0], created[2]]));
        let by_arn = api
            .call(
                proto,
                "ListFleets",
                json!({ "BuildId": format!("arn:aws:gamelift:us-east-1::build/{other}") }),
            )
            .await;
        assert_eq!(by_arn.assert_ok()["FleetIds"], json!([created[1]]));
        let none = api
            .call(proto, "ListFleets", json!({ "BuildId": "build-00000000-0000-4000-8000-000000000000" }))
            .await;
        assert_eq!(none.assert_ok()["FleetIds"], json!([]));

        // Asked-for IDs come back in the order asked; unknown ones are left out; ARNs work.
        let asked = api
            .call(
                proto,
                "DescribeFleetAttributes",
                json!({ "FleetIds": [created[2], UNKNOWN_FLEET, format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{FLEET}")], "Limit": 1 }),
            )
            .await;
        let body = asked.assert_ok();
        assert_eq!(
            body["FleetAttributes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["FleetId"].clone())
                .collect::<Vec<_>>(),
            vec![json!(created[2]), json!(FLEET)]
        );
        assert!(body.get("NextToken").is_none());
        let fixture = attributes(&api, proto, FLEET).await;
        assert_eq!(fixture["Status"], "ACTIVE");
        assert_eq!(fixture["InstanceType"], "c5.large");
        assert_eq!(fixture["OperatingSystem"], "AMAZON_LINUX_2023");
        assert_eq!(fixture["ComputeType"], "EC2");
        assert_eq!(attributes(&api, proto, FLEET_ACTIVATING).await["Status"], "ACTIVATING");

        for op in
            ["ListFleets", "DescribeFleetAttributes", "DescribeFleetCapacity", "DescribeFleetUtilization"]
        {
            api.call(proto, op, json!({ "NextToken": "garbage" }))
                .await
                .assert_error("InvalidRequestException");
            api.call(proto, op, json!({ "Limit": 0 })).await.assert_error("InvalidRequestException");
        }
        api.call(proto, "DescribeFleetAttributes", json!({ "FleetIds": [] }))
            .await
            .assert_error("InvalidRequestException");
    }
}

#[tokio::test(start_paused = true)]
async fn update_fleet_attributes_changes_what_new_sessions_get() {
    for proto in BOTH {
        let api = Api::new();
        let b = build(&api, proto).await;
        let id = active_fleet(&api, proto, ec2_input(&b, 4)).await;
        let before = session_id(&api, proto, &id).await;
        let r = api
            .call(
                proto,
                "UpdateFleetAttributes",
                json!({
                    "FleetId": format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{id}"),
                    "Name": "renamed", "Description": "green",
                    "NewGameSessionProtectionPolicy": "FullProtection",
                    "ResourceCreationLimitPolicy": { "NewGameSessionsPerCreator": 1, "PolicyPeriodInMinutes": 5 },
                    "MetricGroups": ["green"],
                }),
            )
            .await;
        let body = r.assert_ok();
        assert_eq!(body["FleetId"], id.as_str());
        assert_eq!(body["FleetArn"], format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{id}"));
        let fa = attributes(&api, proto, &id).await;
        assert_eq!(fa["Name"], "renamed");
        assert_eq!(fa["Description"], "green");
        assert_eq!(fa["NewGameSessionProtectionPolicy"], "FullProtection");
        assert_eq!(fa["MetricGroups"], json!(["green"]));
        assert_eq!(
            fa["ResourceCreationLimitPolicy"],
            json!({ "NewGameSessionsPerCreator": 1, "PolicyPeriodInMinutes": 5 })
        );
        assert!(
            event_codes(&api, proto, &id)
                .await
                .contains(&"FLEET_NEW_GAME_SESSION_PROTECTION_POLICY_UPDATED".to_string())
        );

        // The creation limit now allows one session per creator; requests without a CreatorId
        // are not counted.
        session(&api, proto, &id).await.assert_ok();
        session(&api, proto, &id).await.assert_ok();
        let with_creator = json!({ "FleetId": id, "MaximumPlayerSessionCount": 2, "CreatorId": "p1" });
        api.create(proto, with_creator.clone()).await.assert_ok();
        api.create(proto, with_creator).await.assert_error("LimitExceededException");
        // Existing sessions keep their protection; new ones get the fleet's.
        let detail = |gs: &str| json!({ "GameSessionId": gs });
        let r = api.call(proto, "DescribeGameSessionDetails", detail(&before)).await;
        assert_eq!(r.assert_ok()["GameSessionDetails"][0]["ProtectionPolicy"], "NoProtection");

        for (input, code) in [
            (json!({ "FleetId": UNKNOWN_FLEET, "Name": "x" }), "NotFoundException"),
            (json!({ "Name": "x" }), "InvalidRequestException"),
            (json!({ "FleetId": id, "AnywhereConfiguration": { "Cost": "1" } }), "InvalidRequestException"),
            (
                json!({ "FleetId": id, "NewGameSessionProtectionPolicy": "Sometimes" }),
                "InvalidRequestException",
            ),
        ] {
            api.call(proto, "UpdateFleetAttributes", input).await.assert_error(code);
        }
        api.call(proto, "DeleteFleet", json!({ "FleetId": id })).await.assert_ok();
        api.call(proto, "UpdateFleetAttributes", json!({ "FleetId": id, "Name": "late" }))
            .await
            .assert_error("InvalidFleetStatusException");
    }
}

// ------------------------------------------------------------------------------------ capacity

#[tokio::test(start_paused = true)]
async fn update_fleet_capacity_scales_out_and_new_instances_take_sessions_once_active() {
    for proto in BOTH {
        let api = Api::new();
        let b = build(&api, proto).await;
        let id = active_fleet(&api, proto, ec2_input(&b, 2)).await;
        for _ in 0..2 {
            session(&api, proto, &id).await.assert_ok();
        }
        session(&api, proto, &id).await.assert_error("FleetCapacityExceededException");

        let r = api
            .call(
                proto,
                "UpdateFleetCapacity",
                json!({ "FleetId": id, "DesiredInstances": 3, "MaxSize": 5, "MinSize": 1 }),
            )
            .await;
        let body = r.assert_ok();
        assert_eq!(body["FleetId"], id.as_str());
        assert_eq!(body["Location"], "us-east-1");
        assert_eq!(capacity(&api, proto, &id, "us-east-1").await, counts(3, 1, 5, 2, 1, 0, 0));
        session(&api, proto, &id).await.assert_error("FleetCapacityExceededException");
        let home = api.call(proto, "DescribeFleetCapacity", json!({ "FleetIds": [id] })).await;
        let home = &home.assert_ok()["FleetCapacity"][0];
        assert_eq!(home["Location"], "us-east-1");
        assert_eq!(home["InstanceType"], "c5.large");
        assert_eq!(home["InstanceCounts"], counts(3, 1, 5, 2, 1, 0, 0));

        advance(INSTANCE_DELAY - Duration::from_millis(1)).await;
        assert_eq!(capacity(&api, proto, &id, "us-east-1").await["PENDING"], 2);
        advance(Duration::from_millis(1)).await;
        assert_eq!(capacity(&api, proto, &id, "us-east-1").await, counts(3, 1, 5, 0, 3, 2, 0));
        for _ in 0..4 {
            session(&api, proto, &id).await.assert_ok();
        }
        session(&api, proto, &id).await.assert_error("FleetCapacityExceededException");
        assert!(event_codes(&api, proto, &id).await.contains(&"FLEET_SCALING_EVENT".to_string()));

        let instances =
            all_pages(&api, proto, "DescribeInstances", json!({ "FleetId": id, "Limit": 2 }), "Instances")
                .await;
        assert_eq!(instances.len(), 3);
        for i in &instances {
            assert_eq!(i["FleetId"], id.as_str());
            assert_eq!(i["Status"], "ACTIVE");
            assert_eq!(i["Location"], "us-east-1");
            assert_eq!(i["Type"], "c5.large");
            assert_eq!(i["OperatingSystem"], "AMAZON_LINUX_2023");
            assert_eq!(i["IpAddress"], "127.0.0.1");
            assert_eq!(i["DnsName"], "localhost");
            let iid = i["InstanceId"].as_str().unwrap();
            assert!(iid.starts_with("i-") && iid.len() == 19, "{iid}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn update_fleet_capacity_scale_in_follows_game_session_protection() {
    for proto in BOTH {
        let api = Api::new();
        let b = build(&api, proto).await;
        let id = active_fleet(&api, proto, ec2_input(&b, 1)).await;
        set_capacity(&api, proto, json!({ "FleetId": id, "DesiredInstances": 4, "MaxSize": 4 })).await;
        advance(INSTANCE_DELAY).await;
        // Three sessions, one per instance: one protected, two not; one instance idle.
        let protected = session_id(&api, proto, &id).await;
        api.call(
            proto,
            "UpdateGameSession",
            json!({ "GameSessionId": protected, "ProtectionPolicy": "FullProtection" }),
        )
        .await
        .assert_ok();
        let open_a = session_id(&api, proto, &id).await;
        let open_b = session_id(&api, proto, &id).await;
        advance(Duration::from_millis(500)).await;

        // 4 → 3: the idle instance goes; every session survives.
        set_capacity(&api, proto, json!({ "FleetId": id, "DesiredInstances": 3 })).await;
        assert_eq!(capacity(&api, proto, &id, "us-east-1").await, counts(3, 0, 4, 0, 3, 0, 1));
        for gs in [&protected, &open_a, &open_b] {
            assert_eq!(api.describe_one(proto, gs).await["Status"], "ACTIVE");
        }
        advance(INSTANCE_DELAY).await;
        assert_eq!(capacity(&api, proto, &id, "us-east-1").await["TERMINATING"], 0);

        // 3 → 0: the unprotected sessions end with their instances; the protected one stays.
        set_capacity(&api, proto, json!({ "FleetId": id, "DesiredInstances": 0 })).await;
        for gs in [&open_a, &open_b] {
            let s = api.describe_one(proto, gs).await;
            assert_eq!(s["Status"], "TERMINATED");
            assert_eq!(s["StatusReason"], "INTERRUPTED");
        }
        assert_eq!(api.describe_one(proto, &protected).await["Status"], "ACTIVE");
        assert_eq!(capacity(&api, proto, &id, "us-east-1").await, counts(0, 0, 4, 0, 1, 0, 2));
        session(&api, proto, &id).await.assert_error("FleetCapacityExceededException");

        // When the protected session ends, its instance is retired too.
        api.call(
            proto,
            "TerminateGameSession",
            json!({ "GameSessionId": protected, "TerminationMode": "FORCE_TERMINATE" }),
        )
        .await
        .assert_ok();
        advance(Duration::from_millis(500)).await;
        assert_eq!(api.describe_one(proto, &protected).await["StatusReason"], "FORCE_TERMINATED");
        assert_eq!(capacity(&api, proto, &id, "us-east-1").await["ACTIVE"], 0);
        advance(INSTANCE_DELAY).await;
        assert_eq!(capacity(&api, proto, &id, "us-east-1").await, counts(0, 0, 4, 0, 0, 0, 0));
    }
}

#[tokio::test(start_paused = true)]
async fn update_fleet_capacity_remote_location_and_errors() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .call(
                proto,
                "UpdateFleetCapacity",
                json!({ "FleetId": FLEET, "Location": "us-west-2", "DesiredInstances": 2, "MaxSize": 2 }),
            )
            .await;
        assert_eq!(r.assert_ok()["Location"], "us-west-2");
        assert_eq!(capacity(&api, proto, FLEET, "us-west-2").await, counts(2, 0, 2, 1, 1, 1, 0));
        assert_eq!(capacity(&api, proto, FLEET, "us-east-1").await, counts(2, 0, 2, 0, 2, 2, 0));
        let managed = api
            .call(
                proto,
                "UpdateFleetCapacity",
                json!({ "FleetId": FLEET, "ManagedCapacityConfiguration": { "ZeroCapacityStrategy": "SCALE_TO_AND_FROM_ZERO", "ScaleInAfterInactivityMinutes": 30 } }),
            )
            .await;
        assert_eq!(
            managed.assert_ok()["ManagedCapacityConfiguration"],
            json!({ "ZeroCapacityStrategy": "SCALE_TO_AND_FROM_ZERO", "ScaleInAfterInactivityMinutes": 30 })
        );

        for (input, code) in [
            (json!({ "FleetId": UNKNOWN_FLEET, "DesiredInstances": 1 }), "NotFoundException"),
            (json!({ "DesiredInstances": 1 }), "InvalidRequestException"),
            (json!({ "FleetId": FLEET_LIMITED, "DesiredInstances": 2 }), "InvalidRequestException"),
            (json!({ "FleetId": FLEET_LIMITED, "MinSize": 2, "MaxSize": 1 }), "InvalidRequestException"),
            (json!({ "FleetId": FLEET_LIMITED, "DesiredInstances": -1 }), "InvalidRequestException"),
            (
                json!({ "FleetId": FLEET_LIMITED, "DesiredInstances": 5000, "MaxSize": 5000 }),
                "LimitExceededException",
            ),
            (json!({ "FleetId": FLEET, "MinSize": 1 }), "InvalidRequestException"),
            (json!({ "FleetId": FLEET_ACTIVATING, "DesiredInstances": 1 }), "InvalidFleetStatusException"),
            (
                json!({ "FleetId": FLEET_TINY, "Location": "ap-northeast-1", "DesiredInstances": 1 }),
                "InvalidFleetStatusException",
            ),
            (
                json!({ "FleetId": FLEET, "Location": "eu-west-1", "DesiredInstances": 1 }),
                "InvalidRequestException",
            ),
            (
                json!({ "FleetId": FLEET, "Location": "mars-north-1", "DesiredInstances": 1 }),
                "UnsupportedRegionException",
            ),
        ] {
            let r = api.call(proto, "UpdateFleetCapacity", input.clone()).await;
            assert_eq!(r.error_type(), code, "{proto:?} {input}: {}", r.body);
            r.assert_error(code);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn describe_fleet_utilization_counts_active_sessions_and_players() {
    for proto in BOTH {
        let api = Api::new();
        let a = session_id(&api, proto, FLEET).await;
        let _b = session_id(&api, proto, FLEET).await;
        api.create(
            proto,
            json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 6, "Location": "us-west-2" }),
        )
        .await
        .assert_ok();
        let activating = api.call(proto, "DescribeFleetUtilization", json!({ "FleetIds": [FLEET] })).await;
        assert_eq!(activating.assert_ok()["FleetUtilization"][0]["ActiveGameSessionCount"], 0);
        advance(Duration::from_millis(500)).await;
        api.call(proto, "CreatePlayerSessions", json!({ "GameSessionId": a, "PlayerIds": ["p1", "p2"] }))
            .await
            .assert_ok();
        let r = api.call(proto, "DescribeFleetUtilization", json!({ "FleetIds": [FLEET] })).await;
        assert_eq!(
            r.assert_ok()["FleetUtilization"],
            json!([{
                "FleetId": FLEET, "FleetArn": format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{FLEET}"),
                "ActiveServerProcessCount": 20, "ActiveGameSessionCount": 2,
                "CurrentPlayerSessionCount": 2, "MaximumPlayerSessionCount": 8, "Location": "us-east-1",
            }])
        );
        let west = api
            .call(
                proto,
                "DescribeFleetLocationUtilization",
                json!({ "FleetId": FLEET, "Location": "us-west-2" }),
            )
            .await;
        let west = &west.assert_ok()["FleetUtilization"];
        assert_eq!(west["ActiveServerProcessCount"], 10);
        assert_eq!(west["ActiveGameSessionCount"], 1);
        assert_eq!(west["MaximumPlayerSessionCount"], 6);
        assert_eq!(west["Location"], "us-west-2");
        let all =
            all_pages(&api, proto, "DescribeFleetUtilization", json!({ "Limit": 3 }), "FleetUtilization")
                .await;
        assert_eq!(all.len(), 5);
        let caps =
            all_pages(&api, proto, "DescribeFleetCapacity", json!({ "Limit": 3 }), "FleetCapacity").await;
        assert_eq!(caps.len(), 5);
        // Both home sessions went to the first instance (instances fill in order).
        assert_eq!(caps[0]["InstanceCounts"], counts(2, 0, 2, 0, 2, 1, 0));

        for op in ["DescribeFleetLocationUtilization", "DescribeFleetLocationCapacity"] {
            for (input, code) in [
                (json!({ "FleetId": UNKNOWN_FLEET, "Location": "us-east-1" }), "NotFoundException"),
                (json!({ "FleetId": FLEET }), "InvalidRequestException"),
                (json!({ "FleetId": FLEET, "Location": "eu-west-1" }), "InvalidRequestException"),
                (json!({ "FleetId": FLEET, "Location": "mars-north-1" }), "UnsupportedRegionException"),
            ] {
                api.call(proto, op, input).await.assert_error(code);
            }
        }
    }
}

// ------------------------------------------------------------- runtime configuration and ports

#[tokio::test(start_paused = true)]
async fn update_runtime_configuration_changes_slots_per_instance() {
    for proto in BOTH {
        let api = Api::new();
        let b = build(&api, proto).await;
        let id = active_fleet(&api, proto, ec2_input(&b, 1)).await;
        session(&api, proto, &id).await.assert_ok();
        session(&api, proto, &id).await.assert_error("FleetCapacityExceededException");
        let rc = json!({
            "ServerProcesses": [
                { "LaunchPath": "/local/game/server", "Parameters": "-mode a", "ConcurrentExecutions": 2 },
                { "LaunchPath": "/local/game/server", "Parameters": "-mode b", "ConcurrentExecutions": 1 },
            ],
            "MaxConcurrentGameSessionActivations": 2, "GameSessionActivationTimeoutSeconds": 60,
        });
        let r = api
            .call(proto, "UpdateRuntimeConfiguration", json!({ "FleetId": id, "RuntimeConfiguration": rc }))
            .await;
        assert_eq!(r.assert_ok()["RuntimeConfiguration"], rc);
        let described = api.call(proto, "DescribeRuntimeConfiguration", json!({ "FleetId": id })).await;
        assert_eq!(described.assert_ok()["RuntimeConfiguration"], rc);
        session(&api, proto, &id).await.assert_ok();
        session(&api, proto, &id).await.assert_ok();
        session(&api, proto, &id).await.assert_error("FleetCapacityExceededException");
        let u = api.call(proto, "DescribeFleetUtilization", json!({ "FleetIds": [id] })).await;
        assert_eq!(u.assert_ok()["FleetUtilization"][0]["ActiveServerProcessCount"], 3);

        let bad =
            |procs: Value| json!({ "FleetId": id, "RuntimeConfiguration": { "ServerProcesses": procs } });
        for (input, code) in [
            (
                bad(json!([{ "LaunchPath": "/local/game/s", "ConcurrentExecutions": 51 }])),
                "InvalidRequestException",
            ),
            (bad(json!([{ "LaunchPath": "/opt/s", "ConcurrentExecutions": 1 }])), "InvalidRequestException"),
            (bad(json!([])), "InvalidRequestException"),
            (json!({ "FleetId": id, "RuntimeConfiguration": {} }), "InvalidRequestException"),
            (json!({ "FleetId": id }), "InvalidRequestException"),
            (
                bad(json!([{ "LaunchPath": "/local/game/s", "ConcurrentExecutions": 1 }])).tap(UNKNOWN_FLEET),
                "NotFoundException",
            ),
        ] {
            api.call(proto, "UpdateRuntimeConfiguration", input).await.assert_error(code);
        }
        api.call(proto, "DescribeRuntimeConfiguration", json!({ "FleetId": UNKNOWN_FLEET }))
            .await
            .assert_error("NotFoundException");
        api.call(proto, "DescribeRuntimeConfiguration", json!({}))
            .await
            .assert_error("InvalidRequestException");
        let fixture = api.call(proto, "DescribeRuntimeConfiguration", json!({ "FleetId": FLEET })).await;
        assert_eq!(
            fixture.assert_ok()["RuntimeConfiguration"]["ServerProcesses"][0]["ConcurrentExecutions"],
            10
        );
        api.call(proto, "DeleteFleet", json!({ "FleetId": id })).await.assert_ok();
        api.call(
            proto,
            "UpdateRuntimeConfiguration",
            bad(json!([{ "LaunchPath": "/local/game/s", "ConcurrentExecutions": 1 }])),
        )
        .await
        .assert_error("InvalidFleetStatusException");
    }
}

trait Tap {
    fn tap(self, fleet: &str) -> Value;
}

impl Tap for Value {
    /// The same input for another fleet.
    fn tap(mut self, fleet: &str) -> Value {
        self["FleetId"] = json!(fleet);
        self
    }
}

fn perm(from: u16, to: u16, protocol: &str) -> Value {
    json!({ "FromPort": from, "ToPort": to, "IpRange": "10.0.0.0/8", "Protocol": protocol })
}

#[tokio::test(start_paused = true)]
async fn update_fleet_port_settings_authorizes_and_revokes() {
    for proto in BOTH {
        let api = Api::new();
        let b = build(&api, proto).await;
        let id = active_fleet(&api, proto, ec2_input(&b, 2)).await;
        let initial =
            json!([{ "FromPort": 33430, "ToPort": 33440, "IpRange": "0.0.0.0/0", "Protocol": "UDP" }]);
        let r = api.call(proto, "DescribeFleetPortSettings", json!({ "FleetId": id })).await;
        assert_eq!(r.assert_ok()["InboundPermissions"], initial);
        assert_eq!(r.body["FleetId"], id.as_str());
        let r = api
            .call(
                proto,
                "UpdateFleetPortSettings",
                json!({
                    "FleetId": id,
                    "InboundPermissionAuthorizations": [perm(40000, 40010, "TCP")],
                    "InboundPermissionRevocations": initial,
                }),
            )
            .await;
        assert_eq!(r.assert_ok()["FleetId"], id.as_str());
        let r = api
            .call(proto, "DescribeFleetPortSettings", json!({ "FleetId": id, "Location": "us-east-1" }))
            .await;
        assert_eq!(r.assert_ok()["InboundPermissions"], json!([perm(40000, 40010, "TCP")]));
        assert_eq!(r.body["Location"], "us-east-1");
        // New game sessions use the new first port.
        assert_eq!(session(&api, proto, &id).await.assert_ok()["GameSession"]["Port"], 40000);
        let fixture = api.call(proto, "DescribeFleetPortSettings", json!({ "FleetId": FLEET })).await;
        assert_eq!(
            fixture.assert_ok()["InboundPermissions"],
            json!([{ "FromPort": 7777, "ToPort": 7876, "IpRange": "0.0.0.0/0", "Protocol": "UDP" }])
        );

        let fifty: Vec<Value> = (0..50).map(|i| perm(1026 + i, 1026 + i, "UDP")).collect();
        for (input, code) in [
            (json!({ "FleetId": UNKNOWN_FLEET }), "NotFoundException"),
            (
                json!({ "FleetId": id, "InboundPermissionRevocations": [perm(1, 2, "UDP")] }),
                "InvalidRequestException",
            ),
            (
                json!({ "FleetId": id, "InboundPermissionAuthorizations": [perm(40000, 40010, "TCP")] }),
                "InvalidRequestException",
            ),
            (
                json!({ "FleetId": id, "InboundPermissionAuthorizations": [perm(50, 40, "TCP")] }),
                "InvalidRequestException",
            ),
            (
                json!({ "FleetId": id, "InboundPermissionAuthorizations": [perm(0, 40, "TCP")] }),
                "InvalidRequestException",
            ),
            (json!({ "FleetId": id, "InboundPermissionAuthorizations": fifty }), "LimitExceededException"),
        ] {
            api.call(proto, "UpdateFleetPortSettings", input).await.assert_error(code);
        }
        for (input, code) in [
            (json!({ "FleetId": UNKNOWN_FLEET }), "NotFoundException"),
            (json!({ "FleetId": id, "Location": "eu-west-1" }), "InvalidRequestException"),
            (json!({ "FleetId": id, "Location": "mars-north-1" }), "UnsupportedRegionException"),
        ] {
            api.call(proto, "DescribeFleetPortSettings", input).await.assert_error(code);
        }
        api.call(proto, "DeleteFleet", json!({ "FleetId": id })).await.assert_ok();
        api.call(
            proto,
            "UpdateFleetPortSettings",
            json!({ "FleetId": id, "InboundPermissionAuthorizations": [perm(2000, 2001, "UDP")] }),
        )
        .await
        .assert_error("InvalidFleetStatusException");
    }
}

// ------------------------------------------------------------------------------ events, instances

#[tokio::test(start_paused = true)]
async fn describe_fleet_events_filters_by_time_and_pages_newest_first() {
    for proto in BOTH {
        let api = Api::new();
        let b = build(&api, proto).await;
        let id = active_fleet(&api, proto, ec2_input(&b, 1)).await;
        let all =
            all_pages(&api, proto, "DescribeFleetEvents", json!({ "FleetId": id, "Limit": 2 }), "Events")
                .await;
        let codes: Vec<&str> = all.iter().map(|e| e["EventCode"].as_str().unwrap()).collect();
        assert_eq!(
            codes,
            [
                "FLEET_STATE_ACTIVE",
                "FLEET_STATE_ACTIVATING",
                "FLEET_STATE_BUILDING",
                "FLEET_STATE_VALIDATING",
                "FLEET_STATE_DOWNLOADING",
                "FLEET_CREATED",
            ]
        );
        for e in &all {
            assert_eq!(e["ResourceId"], id.as_str());
            assert_eq!(e["EventId"].as_str().unwrap().len(), 36);
            assert!(e["Message"].as_str().unwrap().contains(&id));
        }
        let created = all[5]["EventTime"].as_f64().unwrap();
        let active = all[0]["EventTime"].as_f64().unwrap();
        assert!((active - created - 1.0).abs() < 1e-6, "{created} {active}");

        // botocore sends integer seconds, JS sends floats: both filter.
        let window = api
            .call(
                proto,
                "DescribeFleetEvents",
                json!({ "FleetId": id, "StartTime": created + 0.3, "EndTime": created + 0.7 }),
            )
            .await;
        let got: Vec<Value> =
            window.assert_ok()["Events"].as_array().unwrap().iter().map(|e| e["EventCode"].clone()).collect();
        assert_eq!(got, [json!("FLEET_STATE_BUILDING"), json!("FLEET_STATE_VALIDATING")]);
        let later = api
            .call(
                proto,
                "DescribeFleetEvents",
                json!({ "FleetId": id, "StartTime": created.floor() as i64 + 3600 }),
            )
            .await;
        assert_eq!(later.assert_ok()["Events"], json!([]));
        let upto = api
            .call(
                proto,
                "DescribeFleetEvents",
                json!({ "FleetId": id, "EndTime": created.floor() as i64 + 3600 }),
            )
            .await;
        assert_eq!(upto.assert_ok()["Events"].as_array().unwrap().len(), 6);
        let fixture = api.call(proto, "DescribeFleetEvents", json!({ "FleetId": FLEET })).await;
        assert_eq!(fixture.assert_ok()["Events"][0]["EventCode"], "FLEET_CREATED");

        for (input, code) in [
            (json!({ "FleetId": UNKNOWN_FLEET }), "NotFoundException"),
            (json!({}), "InvalidRequestException"),
            (json!({ "FleetId": id, "NextToken": "garbage" }), "InvalidRequestException"),
        ] {
            api.call(proto, "DescribeFleetEvents", input).await.assert_error(code);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn describe_instances_by_location_and_instance_id() {
    for proto in BOTH {
        let api = Api::new();
        let home =
            all_pages(&api, proto, "DescribeInstances", json!({ "FleetId": FLEET, "Limit": 1 }), "Instances")
                .await;
        assert_eq!(home.len(), 2);
        assert!(home.iter().all(|i| i["Location"] == "us-east-1" && i["Status"] == "ACTIVE"));
        let west =
            api.call(proto, "DescribeInstances", json!({ "FleetId": FLEET, "Location": "us-west-2" })).await;
        let west = west.assert_ok()["Instances"].as_array().unwrap().clone();
        assert_eq!(west.len(), 1);
        let one = api
            .call(
                proto,
                "DescribeInstances",
                json!({ "FleetId": FLEET, "InstanceId": west[0]["InstanceId"] }),
            )
            .await;
        assert_eq!(one.assert_ok()["Instances"], json!(west));
        let tiny = api
            .call(proto, "DescribeInstances", json!({ "FleetId": FLEET_TINY, "Location": "ap-northeast-1" }))
            .await;
        assert_eq!(tiny.assert_ok()["Instances"][0]["Status"], "PENDING");

        for (input, code) in [
            (json!({ "FleetId": UNKNOWN_FLEET }), "NotFoundException"),
            (json!({ "FleetId": FLEET, "InstanceId": "i-0123456789abcdef0" }), "NotFoundException"),
            (json!({ "FleetId": FLEET, "Location": "eu-west-1" }), "InvalidRequestException"),
            (json!({ "FleetId": FLEET, "Location": "mars-north-1" }), "UnsupportedRegionException"),
            (json!({ "FleetId": FLEET, "NextToken": "garbage" }), "InvalidRequestException"),
        ] {
            api.call(proto, "DescribeInstances", input).await.assert_error(code);
        }
    }
}

// ------------------------------------------------------------------------------- fleet locations

#[tokio::test(start_paused = true)]
async fn create_fleet_locations_walks_the_new_location_to_active() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .call(
                proto,
                "CreateFleetLocations",
                json!({ "FleetId": FLEET, "Locations": [{ "Location": "eu-west-1" }, { "Location": "ap-south-1" }] }),
            )
            .await;
        let body = r.assert_ok();
        assert_eq!(body["FleetId"], FLEET);
        assert_eq!(
            body["LocationStates"],
            json!([{ "Location": "eu-west-1", "Status": "NEW" }, { "Location": "ap-south-1", "Status": "NEW" }])
        );
        let eu = json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2, "Location": "eu-west-1" });
        api.create(proto, eu.clone()).await.assert_error("InvalidFleetStatusException");
        assert_eq!(capacity(&api, proto, FLEET, "eu-west-1").await, counts(1, 0, 1, 1, 0, 0, 0));
        advance(Duration::from_millis(600)).await;
        let attrs = api
            .call(proto, "DescribeFleetLocationAttributes", json!({ "FleetId": FLEET, "Locations": ["ap-south-1", "us-east-1", "eu-west-1", "eu-west-1"] }))
            .await;
        assert_eq!(
            attrs.assert_ok()["LocationAttributes"],
            json!([
                { "LocationState": { "Location": "ap-south-1", "Status": "BUILDING" } },
                { "LocationState": { "Location": "eu-west-1", "Status": "BUILDING" } },
            ])
        );
        advance(Duration::from_millis(400)).await;
        api.create(proto, eu).await.assert_ok();
        let paged = all_pages(
            &api,
            proto,
            "DescribeFleetLocationAttributes",
            json!({ "FleetId": FLEET, "Limit": 1 }),
            "LocationAttributes",
        )
        .await;
        let names: Vec<&str> =
            paged.iter().map(|l| l["LocationState"]["Location"].as_str().unwrap()).collect();
        assert_eq!(names, ["us-west-2", "eu-west-1", "ap-south-1"]);
        assert!(event_codes(&api, proto, FLEET).await.contains(&"LOCATION_STATE_ACTIVE".to_string()));

        for (input, code) in [
            (
                json!({ "FleetId": UNKNOWN_FLEET, "Locations": [{ "Location": "eu-west-2" }] }),
                "NotFoundException",
            ),
            (
                json!({ "FleetId": FLEET, "Locations": [{ "Location": "us-west-2" }] }),
                "InvalidRequestException",
            ),
            (
                json!({ "FleetId": FLEET, "Locations": [{ "Location": "us-east-1" }] }),
                "InvalidRequestException",
            ),
            (
                json!({ "FleetId": FLEET, "Locations": [{ "Location": "eu-west-2" }, { "Location": "eu-west-2" }] }),
                "InvalidRequestException",
            ),
            (
                json!({ "FleetId": FLEET, "Locations": [{ "Location": "custom-lab-1" }] }),
                "InvalidRequestException",
            ),
            (
                json!({ "FleetId": FLEET, "Locations": [{ "Location": "mars-north-1" }] }),
                "UnsupportedRegionException",
            ),
            (json!({ "FleetId": FLEET, "Locations": [] }), "InvalidRequestException"),
            (
                json!({ "FleetId": FLEET_ACTIVATING, "Locations": [{ "Location": "eu-west-2" }] }),
                "InvalidFleetStatusException",
            ),
        ] {
            let r = api.call(proto, "CreateFleetLocations", input.clone()).await;
            assert_eq!(r.error_type(), code, "{proto:?} {input}: {}", r.body);
        }
        for (input, code) in [
            (json!({ "FleetId": UNKNOWN_FLEET }), "NotFoundException"),
            (json!({ "FleetId": FLEET, "NextToken": "garbage" }), "InvalidRequestException"),
        ] {
            api.call(proto, "DescribeFleetLocationAttributes", input).await.assert_error(code);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn delete_fleet_locations_ends_its_sessions_then_removes_it() {
    for proto in BOTH {
        let api = Api::new();
        let west = api
            .create(
                proto,
                json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2, "Location": "us-west-2" }),
            )
            .await;
        let west = west.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
        let home = session_id(&api, proto, FLEET).await;
        let r = api
            .call(proto, "DeleteFleetLocations", json!({ "FleetId": FLEET, "Locations": ["us-west-2"] }))
            .await;
        assert_eq!(
            r.assert_ok()["LocationStates"],
            json!([{ "Location": "us-west-2", "Status": "DELETING" }])
        );
        let s = api.describe_one(proto, &west).await;
        assert_eq!(
            (s["Status"].as_str(), s["StatusReason"].as_str()),
            (Some("TERMINATED"), Some("INTERRUPTED"))
        );
        assert_eq!(api.describe_one(proto, &home).await["Status"], "ACTIVATING");
        assert_eq!(capacity(&api, proto, FLEET, "us-west-2").await, counts(1, 0, 1, 0, 0, 0, 1));
        api.create(
            proto,
            json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2, "Location": "us-west-2" }),
        )
        .await
        .assert_error("InvalidFleetStatusException");
        advance(INSTANCE_DELAY).await;
        let locs = api.call(proto, "DescribeFleetLocationAttributes", json!({ "FleetId": FLEET })).await;
        assert_eq!(locs.assert_ok()["LocationAttributes"], json!([]));
        let codes = event_codes(&api, proto, FLEET).await;
        assert!(
            codes.ends_with(&["LOCATION_STATE_DELETING".to_string(), "LOCATION_STATE_DELETED".to_string()]),
            "{codes:?}"
        );
        // The location can be added again.
        api.call(
            proto,
            "CreateFleetLocations",
            json!({ "FleetId": FLEET, "Locations": [{ "Location": "us-west-2" }] }),
        )
        .await
        .assert_ok();

        for (input, code) in [
            (json!({ "FleetId": UNKNOWN_FLEET, "Locations": ["us-west-2"] }), "NotFoundException"),
            (json!({ "FleetId": FLEET, "Locations": ["us-east-1"] }), "InvalidRequestException"),
            (json!({ "FleetId": FLEET, "Locations": ["eu-north-1"] }), "InvalidRequestException"),
            (json!({ "FleetId": FLEET, "Locations": ["mars-north-1"] }), "UnsupportedRegionException"),
            (json!({ "FleetId": FLEET }), "InvalidRequestException"),
        ] {
            api.call(proto, "DeleteFleetLocations", input).await.assert_error(code);
        }
        api.call(proto, "DeleteFleet", json!({ "FleetId": FLEET })).await.assert_ok();
        api.call(proto, "DeleteFleetLocations", json!({ "FleetId": FLEET, "Locations": ["us-west-2"] }))
            .await
            .assert_error("InvalidRequestException");
    }
}

// ---------------------------------------------------------------------------------- DeleteFleet

#[tokio::test(start_paused = true)]
async fn delete_fleet_ends_its_sessions_and_leaves_other_fleets_alone() {
    for proto in BOTH {
        let api = Api::new();
        let b = build(&api, proto).await;
        let mut input = ec2_input(&b, 2);
        input["Tags"] = json!([{ "Key": "k", "Value": "v" }]);
        let blue = active_fleet(&api, proto, input).await;
        let green = active_fleet(&api, proto, ec2_input(&b, 2)).await;
        let alias = api
            .call(
                proto,
                "CreateAlias",
                json!({ "Name": "live", "RoutingStrategy": { "Type": "SIMPLE", "FleetId": blue } }),
            )
            .await;
        let alias = alias.assert_ok()["Alias"]["AliasId"].as_str().unwrap().to_string();
        let by_alias = api.create(proto, json!({ "AliasId": alias, "MaximumPlayerSessionCount": 2 })).await;
        let blue_session = by_alias.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string();
        assert!(blue_session.contains(&blue));
        let green_session = session_id(&api, proto, &green).await;

        let r = api.call(proto, "DeleteFleet", json!({ "FleetId": blue })).await;
        assert_eq!(
            r.assert_ok(),
            &match proto {
                Proto::Json => json!({}),
                Proto::Cbor => Value::Null,
            }
        );
        assert_eq!(attributes(&api, proto, &blue).await["Status"], "DELETING");
        let ended = api.describe_one(proto, &blue_session).await;
        assert_eq!(ended["Status"], "TERMINATED");
        assert_eq!(ended["StatusReason"], "INTERRUPTED");
        assert!(ended["TerminationTime"].as_f64().is_some());
        assert_eq!(api.describe_one(proto, &green_session).await["Status"], "ACTIVATING");
        assert_eq!(capacity(&api, proto, &blue, "us-east-1").await["TERMINATING"], 1);
        session(&api, proto, &blue).await.assert_error("InvalidFleetStatusException");
        api.call(proto, "DeleteFleet", json!({ "FleetId": blue }))
            .await
            .assert_error("InvalidFleetStatusException");
        assert!(event_codes(&api, proto, &blue).await.ends_with(&["FLEET_DELETED".to_string()]));

        advance(INSTANCE_DELAY).await;
        let gone = api.call(proto, "DescribeFleetAttributes", json!({ "FleetIds": [blue] })).await;
        assert_eq!(gone.assert_ok()["FleetAttributes"], json!([]));
        let listed = api.call(proto, "ListFleets", json!({})).await;
        assert!(!listed.assert_ok()["FleetIds"].as_array().unwrap().contains(&json!(blue)));
        api.create(proto, json!({ "AliasId": alias, "MaximumPlayerSessionCount": 2 }))
            .await
            .assert_error("NotFoundException");
        api.call(proto, "ResolveAlias", json!({ "AliasId": alias })).await.assert_error("NotFoundException");
        api.call(proto, "DescribeAlias", json!({ "AliasId": alias })).await.assert_ok();
        assert_eq!(api.describe_one(proto, &blue_session).await["Status"], "TERMINATED");
        assert_eq!(api.describe_one(proto, &green_session).await["Status"], "ACTIVE");
        let arn = format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{blue}");
        api.call(proto, "ListTagsForResource", json!({ "ResourceARN": arn }))
            .await
            .assert_error("NotFoundException");
        for op in [
            "DeleteFleet",
            "DescribeFleetEvents",
            "DescribeRuntimeConfiguration",
            "DescribeFleetPortSettings",
            "DescribeInstances",
        ] {
            api.call(proto, op, json!({ "FleetId": blue })).await.assert_error("NotFoundException");
        }
        api.call(proto, "DeleteFleet", json!({})).await.assert_error("InvalidRequestException");

        // Fixture fleets can be deleted too.
        api.call(proto, "DeleteFleet", json!({ "FleetId": FLEET_ACTIVATING })).await.assert_ok();
    }
}

#[tokio::test(start_paused = true)]
async fn reset_forgets_fleets_created_through_the_api() {
    let api = Api::new();
    let b = build(&api, Proto::Json).await;
    let id = create_fleet(&api, Proto::Json, ec2_input(&b, 1)).await;
    api.call(Proto::Json, "DeleteFleet", json!({ "FleetId": FLEET })).await.assert_ok();
    api.em.reset();
    let r = api.call(Proto::Json, "DescribeFleetAttributes", json!({ "FleetIds": [id, FLEET] })).await;
    let got = r.assert_ok()["FleetAttributes"].as_array().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["FleetId"], FLEET);
    assert_eq!(got[0]["Status"], "ACTIVE");
    advance(Duration::from_secs(2)).await;
    assert_eq!(attributes(&api, Proto::Json, FLEET).await["Status"], "ACTIVE");
}
