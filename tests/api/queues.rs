//! Game session queues: Create/Describe/Update/DeleteGameSessionQueue, their errors, the
//! DescribeGameSessionQueues pages and tags on queue ARNs, in both protocols.

use serde_json::{Value, json};

use crate::harness::*;

pub const QUEUE_ARN_PREFIX: &str = "arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/";

pub fn fleet_arn(id: &str) -> String {
    format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{id}")
}

pub async fn create_queue(api: &Api, proto: Proto, input: Value) -> Value {
    let r = api.call(proto, "CreateGameSessionQueue", input).await;
    r.assert_ok()["GameSessionQueue"].clone()
}

#[tokio::test(start_paused = true)]
async fn create_queue_reports_every_member_and_describe_finds_it_by_name_or_arn() {
    for proto in BOTH {
        let api = Api::new();
        let alias_arn = format!("arn:aws:gamelift:us-east-1::alias/{ALIAS_SIMPLE}");
        let q = create_queue(
            &api,
            proto,
            json!({
                "Name": "eu-queue",
                "TimeoutInSeconds": 120,
                "PlayerLatencyPolicies": [
                    {"MaximumIndividualPlayerLatencyMilliseconds": 100, "PolicyDurationSeconds": 30},
                    {"MaximumIndividualPlayerLatencyMilliseconds": 200}
                ],
                "Destinations": [{"DestinationArn": fleet_arn(FLEET_TINY)}, {"DestinationArn": alias_arn}],
                "FilterConfiguration": {"AllowedLocations": ["us-east-1", "us-west-2"]},
                "PriorityConfiguration": {"PriorityOrder": ["LOCATION", "DESTINATION"], "LocationOrder": ["us-west-2", "us-east-1"]},
                "CustomEventData": "team-blue",
                "NotificationTarget": "arn:aws:sns:us-east-1:123456789012:placements"
            }),
        )
        .await;
        assert_eq!(q["Name"], "eu-queue");
        assert_eq!(q["GameSessionQueueArn"], format!("{QUEUE_ARN_PREFIX}eu-queue"));
        assert_eq!(q["TimeoutInSeconds"], 120);
        assert_eq!(
            q["PlayerLatencyPolicies"],
            json!([
                {"MaximumIndividualPlayerLatencyMilliseconds": 100, "PolicyDurationSeconds": 30},
                {"MaximumIndividualPlayerLatencyMilliseconds": 200}
            ])
        );
        assert_eq!(q["Destinations"][0]["DestinationArn"], fleet_arn(FLEET_TINY));
        assert_eq!(q["Destinations"][1]["DestinationArn"], alias_arn);
        assert_eq!(q["FilterConfiguration"], json!({"AllowedLocations": ["us-east-1", "us-west-2"]}));
        assert_eq!(
            q["PriorityConfiguration"],
            json!({"PriorityOrder": ["LOCATION", "DESTINATION"], "LocationOrder": ["us-west-2", "us-east-1"]})
        );
        assert_eq!(q["CustomEventData"], "team-blue");
        assert_eq!(q["NotificationTarget"], "arn:aws:sns:us-east-1:123456789012:placements");

        let by_arn = api
            .call(
                proto,
                "DescribeGameSessionQueues",
                json!({ "Names": [format!("{QUEUE_ARN_PREFIX}eu-queue"), "nope"] }),
            )
            .await;
        assert_eq!(by_arn.assert_ok()["GameSessionQueues"], json!([q]), "unknown names are left out");
        assert!(by_arn.body.get("NextToken").is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn a_queue_without_a_timeout_gets_600_seconds_and_no_optional_members() {
    for proto in BOTH {
        let api = Api::new();
        let q = create_queue(&api, proto, json!({ "Name": "bare" })).await;
        assert_eq!(q["TimeoutInSeconds"], 600);
        assert_eq!(q["Destinations"], json!([]));
        for absent in
            ["FilterConfiguration", "PriorityConfiguration", "CustomEventData", "NotificationTarget"]
        {
            assert!(q.get(absent).is_none(), "{absent} in {q}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn describe_queues_pages_through_every_queue_in_creation_order() {
    for proto in BOTH {
        let api = Api::new();
        for name in ["q-a", "q-b", "q-c"] {
            create_queue(&api, proto, json!({ "Name": name })).await;
        }
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut input = json!({ "Limit": 2 });
            if let Some(t) = &token {
                input["NextToken"] = json!(t);
            }
            let r = api.call(proto, "DescribeGameSessionQueues", input).await;
            let page = r.assert_ok()["GameSessionQueues"].as_array().unwrap().clone();
            assert!(page.len() <= 2);
            names.extend(page.iter().map(|q| q["Name"].as_str().unwrap().to_string()));
            match r.body.get("NextToken").and_then(Value::as_str) {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        assert_eq!(names, ["default-queue", "default-anywhere-queue", "q-a", "q-b", "q-c"]);
        api.call(proto, "DescribeGameSessionQueues", json!({ "NextToken": "garbage" }))
            .await
            .assert_error("InvalidRequestException");
    }
}

#[tokio::test(start_paused = true)]
async fn update_queue_changes_what_is_given_and_empty_sets_remove() {
    for proto in BOTH {
        let api = Api::new();
        create_queue(
            &api,
            proto,
            json!({
                "Name": "upd",
                "Destinations": [{"DestinationArn": fleet_arn(FLEET)}],
                "FilterConfiguration": {"AllowedLocations": ["us-east-1"]},
                "PriorityConfiguration": {"PriorityOrder": ["DESTINATION"]},
                "CustomEventData": "x"
            }),
        )
        .await;
        let r = api
            .call(
                proto,
                "UpdateGameSessionQueue",
                json!({ "Name": format!("{QUEUE_ARN_PREFIX}upd"), "TimeoutInSeconds": 30 }),
            )
            .await;
        let q = &r.assert_ok()["GameSessionQueue"];
        assert_eq!(q["TimeoutInSeconds"], 30);
        assert_eq!(q["Destinations"][0]["DestinationArn"], fleet_arn(FLEET), "omitted members are kept");
        assert_eq!(q["CustomEventData"], "x");
        let r = api
            .call(
                proto,
                "UpdateGameSessionQueue",
                json!({ "Name": "upd", "Destinations": [{"DestinationArn": fleet_arn(FLEET_TINY)}],
                        "FilterConfiguration": {}, "PriorityConfiguration": {}, "CustomEventData": "" }),
            )
            .await;
        let q = &r.assert_ok()["GameSessionQueue"];
        assert_eq!(q["Destinations"], json!([{"DestinationArn": fleet_arn(FLEET_TINY)}]));
        for removed in ["FilterConfiguration", "PriorityConfiguration", "CustomEventData"] {
            assert!(q.get(removed).is_none(), "{removed} in {q}");
        }
        api.call(proto, "UpdateGameSessionQueue", json!({ "Name": "nope", "TimeoutInSeconds": 30 }))
            .await
            .assert_error("NotFoundException");
        api.call(proto, "UpdateGameSessionQueue", json!({ "Name": "upd", "TimeoutInSeconds": 601 }))
            .await
            .assert_error("InvalidRequestException");
    }
}

#[tokio::test(start_paused = true)]
async fn delete_queue_removes_it_and_a_second_delete_is_not_found() {
    for proto in BOTH {
        let api = Api::new();
        create_queue(&api, proto, json!({ "Name": "gone" })).await;
        let r = api.call(proto, "DeleteGameSessionQueue", json!({ "Name": "gone" })).await;
        r.assert_ok();
        let d = api.call(proto, "DescribeGameSessionQueues", json!({ "Names": ["gone"] })).await;
        assert_eq!(d.assert_ok()["GameSessionQueues"], json!([]));
        api.call(proto, "DeleteGameSessionQueue", json!({ "Name": "gone" }))
            .await
            .assert_error("NotFoundException");
        // The name is free again.
        create_queue(&api, proto, json!({ "Name": "gone" })).await;
    }
}

#[tokio::test(start_paused = true)]
async fn bad_queue_requests_are_rejected_with_the_right_error() {
    let build_arn = "arn:aws:gamelift:us-east-1::build/build-1";
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({ "Name": "default-queue" }), "InvalidRequestException", "already exists"),
        (json!({ "Name": "has space" }), "InvalidRequestException", "name"),
        (json!({ "Name": "q", "TimeoutInSeconds": 5 }), "InvalidRequestException", "TimeoutInSeconds"),
        (
            json!({ "Name": "q", "Destinations": [{"DestinationArn": fleet_arn("fleet-99999999-0000-4000-8000-000000000000")}] }),
            "NotFoundException",
            "fleet-99999999",
        ),
        (
            json!({ "Name": "q", "Destinations": [{"DestinationArn": "arn:aws:gamelift:us-east-1::alias/alias-nope"}] }),
            "NotFoundException",
            "alias-nope",
        ),
        (
            json!({ "Name": "q", "Destinations": [{"DestinationArn": build_arn}] }),
            "InvalidRequestException",
            "build",
        ),
        (
            json!({ "Name": "q", "PriorityConfiguration": {"PriorityOrder": ["LOCATION"]} }),
            "InvalidRequestException",
            "LocationOrder",
        ),
        (
            json!({ "Name": "q", "PriorityConfiguration": {"PriorityOrder": ["COST", "COST"]} }),
            "InvalidRequestException",
            "COST",
        ),
        (
            json!({ "Name": "q", "PriorityConfiguration": {"PriorityOrder": ["FASTEST"]} }),
            "InvalidRequestException",
            "FASTEST",
        ),
        (
            json!({ "Name": "q", "PlayerLatencyPolicies": [{"PolicyDurationSeconds": 10}] }),
            "InvalidRequestException",
            "MaximumIndividualPlayerLatencyMilliseconds",
        ),
        (
            json!({ "Name": "q", "FilterConfiguration": {"AllowedLocations": ["us-east-1", "us-east-1"]} }),
            "InvalidRequestException",
            "us-east-1",
        ),
        (json!({ "Name": "q", "Tags": [{"Key": "aws:x", "Value": "1"}] }), "TaggingFailedException", "aws:"),
    ];
    for proto in BOTH {
        let api = Api::new();
        for (input, code, needle) in &cases {
            let r = api.call(proto, "CreateGameSessionQueue", input.clone()).await;
            r.assert_error(code);
            assert!(r.message().contains(needle), "{proto:?} {input}: {}", r.message());
        }
        // Nothing was created by the failed requests.
        let d = api.call(proto, "DescribeGameSessionQueues", json!({ "Names": ["q"] })).await;
        assert_eq!(d.assert_ok()["GameSessionQueues"], json!([]));
    }
}

#[tokio::test(start_paused = true)]
async fn queues_are_taggable_by_arn_and_lose_their_tags_when_deleted() {
    for proto in BOTH {
        let api = Api::new();
        let q =
            create_queue(&api, proto, json!({ "Name": "tagged", "Tags": [{"Key": "team", "Value": "a"}] }))
                .await;
        let arn = q["GameSessionQueueArn"].as_str().unwrap().to_string();
        api.call(
            proto,
            "TagResource",
            json!({ "ResourceARN": arn, "Tags": [{"Key": "env", "Value": "dev"}] }),
        )
        .await
        .assert_ok();
        api.call(proto, "UntagResource", json!({ "ResourceARN": arn, "TagKeys": ["team"] }))
            .await
            .assert_ok();
        let l = api.call(proto, "ListTagsForResource", json!({ "ResourceARN": arn })).await;
        assert_eq!(l.assert_ok()["Tags"], json!([{"Key": "env", "Value": "dev"}]));
        api.call(proto, "DeleteGameSessionQueue", json!({ "Name": "tagged" })).await.assert_ok();
        api.call(proto, "ListTagsForResource", json!({ "ResourceARN": arn }))
            .await
            .assert_error("NotFoundException");
        create_queue(&api, proto, json!({ "Name": "tagged" })).await;
        let l = api.call(proto, "ListTagsForResource", json!({ "ResourceARN": arn })).await;
        assert_eq!(l.assert_ok()["Tags"], json!([]), "a new queue of the same name starts untagged");
    }
}
