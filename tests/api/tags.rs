//! TagResource, UntagResource and ListTagsForResource on every taggable resource kind, in both
//! protocols.

use serde_json::{Value, json};

use crate::harness::*;

fn tag(k: &str, v: &str) -> Value {
    json!({ "Key": k, "Value": v })
}

async fn list_tags(api: &Api, proto: Proto, arn: &str) -> Value {
    api.call(proto, "ListTagsForResource", json!({ "ResourceARN": arn })).await.assert_ok()["Tags"].clone()
}

/// One ARN of each taggable kind: fixture fleet and alias, new build, script, custom location.
async fn taggable_arns(api: &Api, proto: Proto) -> Vec<String> {
    let s3 = json!({ "Bucket": "b", "Key": "k", "RoleArn": "arn:aws:iam::123456789012:role/r" });
    let build = api.call(proto, "CreateBuild", json!({ "OperatingSystem": "AMAZON_LINUX_2023" })).await;
    let script = api.call(proto, "CreateScript", json!({ "StorageLocation": s3 })).await;
    let location = api.call(proto, "CreateLocation", json!({ "LocationName": "custom-tagged" })).await;
    vec![
        format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{FLEET}"),
        format!("arn:aws:gamelift:us-east-1::alias/{ALIAS_SIMPLE}"),
        build.assert_ok()["Build"]["BuildArn"].as_str().unwrap().to_string(),
        script.assert_ok()["Script"]["ScriptArn"].as_str().unwrap().to_string(),
        location.assert_ok()["Location"]["LocationArn"].as_str().unwrap().to_string(),
    ]
}

#[tokio::test]
async fn tag_resource_every_kind_then_list_and_untag() {
    for proto in BOTH {
        let api = Api::new();
        for arn in taggable_arns(&api, proto).await {
            assert_eq!(list_tags(&api, proto, &arn).await, json!([]), "{arn}");
            let r = api
                .call(
                    proto,
                    "TagResource",
                    json!({ "ResourceARN": arn, "Tags": [tag("team", "core"), tag("env", "dev")] }),
                )
                .await;
            assert_eq!(r.assert_ok(), &json!({}), "{arn}");
            // Re-tagging a key overwrites its value and keeps its place.
            let r = api
                .call(
                    proto,
                    "TagResource",
                    json!({ "ResourceARN": arn, "Tags": [tag("team", "infra"), tag("tier", "1")] }),
                )
                .await;
            r.assert_ok();
            assert_eq!(
                list_tags(&api, proto, &arn).await,
                json!([tag("team", "infra"), tag("env", "dev"), tag("tier", "1")]),
                "{arn}"
            );
            let r = api
                .call(proto, "UntagResource", json!({ "ResourceARN": arn, "TagKeys": ["env", "absent"] }))
                .await;
            assert_eq!(r.assert_ok(), &json!({}));
            assert_eq!(
                list_tags(&api, proto, &arn).await,
                json!([tag("team", "infra"), tag("tier", "1")]),
                "{arn}"
            );
        }
    }
}

#[tokio::test]
async fn tag_resource_fleet_arn_without_account_names_the_same_fleet() {
    for proto in BOTH {
        let api = Api::new();
        let short = format!("arn:aws:gamelift:us-east-1::fleet/{FLEET}");
        let r =
            api.call(proto, "TagResource", json!({ "ResourceARN": short, "Tags": [tag("a", "b")] })).await;
        r.assert_ok();
        let full = format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{FLEET}");
        assert_eq!(list_tags(&api, proto, &full).await, json!([tag("a", "b")]));
    }
}

#[tokio::test]
async fn tag_resource_more_than_50_tags_tagging_failed() {
    for proto in BOTH {
        let api = Api::new();
        let arn = format!("arn:aws:gamelift:us-east-1::alias/{ALIAS_SIMPLE}");
        let fifty: Vec<Value> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
        api.call(proto, "TagResource", json!({ "ResourceARN": arn, "Tags": fifty })).await.assert_ok();
        // Overwriting existing keys keeps the count at 50.
        api.call(proto, "TagResource", json!({ "ResourceARN": arn, "Tags": [tag("k0", "w")] }))
            .await
            .assert_ok();
        let r =
            api.call(proto, "TagResource", json!({ "ResourceARN": arn, "Tags": [tag("k50", "v")] })).await;
        r.assert_error("TaggingFailedException");
        assert!(r.message().contains("50"), "{}", r.message());
        assert_eq!(list_tags(&api, proto, &arn).await.as_array().unwrap().len(), 50);
    }
}

#[tokio::test]
async fn tag_resource_duplicate_or_reserved_keys_tagging_failed() {
    for proto in BOTH {
        let api = Api::new();
        let arn = format!("arn:aws:gamelift:us-east-1::alias/{ALIAS_SIMPLE}");
        for tags in [json!([tag("k", "1"), tag("k", "2")]), json!([tag("aws:created-by", "me")])] {
            let r = api.call(proto, "TagResource", json!({ "ResourceARN": arn, "Tags": tags })).await;
            r.assert_error("TaggingFailedException");
        }
        assert_eq!(list_tags(&api, proto, &arn).await, json!([]));
    }
}

#[tokio::test]
async fn tag_operations_malformed_arn_invalid_request() {
    for proto in BOTH {
        let api = Api::new();
        for arn in
            [ALIAS_SIMPLE, "arn:aws:s3:::bucket", "arn:aws:gamelift:us-east-1::alias", "arn:aws:gamelift"]
        {
            let r = api.call(proto, "ListTagsForResource", json!({ "ResourceARN": arn })).await;
            r.assert_error("InvalidRequestException");
            let r =
                api.call(proto, "TagResource", json!({ "ResourceARN": arn, "Tags": [tag("a", "b")] })).await;
            r.assert_error("InvalidRequestException");
            let r = api.call(proto, "UntagResource", json!({ "ResourceARN": arn, "TagKeys": ["a"] })).await;
            r.assert_error("InvalidRequestException");
        }
        let r = api
            .call(proto, "TagResource", json!({ "ResourceARN": "arn:aws:gamelift:us-east-1::alias/a" }))
            .await;
        r.assert_error("InvalidRequestException");
    }
}

#[tokio::test]
async fn tag_operations_unknown_resource_not_found() {
    for proto in BOTH {
        let api = Api::new();
        for arn in [
            "arn:aws:gamelift:us-east-1::alias/alias-ffffffff-ffff-4fff-8fff-ffffffffffff".to_string(),
            "arn:aws:gamelift:us-east-1::build/build-ffffffff-ffff-4fff-8fff-ffffffffffff".to_string(),
            "arn:aws:gamelift:us-east-1::gamesessionqueue/my-queue".to_string(),
            // Right ID, wrong Region or account.
            format!("arn:aws:gamelift:eu-west-1::alias/{ALIAS_SIMPLE}"),
            format!("arn:aws:gamelift:us-east-1:999999999999:fleet/{FLEET}"),
        ] {
            let r = api.call(proto, "ListTagsForResource", json!({ "ResourceARN": arn })).await;
            r.assert_error("NotFoundException");
            assert!(r.message().contains(&arn), "{}", r.message());
            let r =
                api.call(proto, "TagResource", json!({ "ResourceARN": arn, "Tags": [tag("a", "b")] })).await;
            r.assert_error("NotFoundException");
            let r = api.call(proto, "UntagResource", json!({ "ResourceARN": arn, "TagKeys": ["a"] })).await;
            r.assert_error("NotFoundException");
        }
    }
}

#[tokio::test]
async fn deleting_a_resource_drops_its_tags() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .call(
                proto,
                "CreateAlias",
                json!({ "Name": "a", "RoutingStrategy": { "Type": "SIMPLE", "FleetId": FLEET }, "Tags": [tag("x", "y")] }),
            )
            .await;
        let alias = r.assert_ok()["Alias"].clone();
        let arn = alias["AliasArn"].as_str().unwrap();
        api.call(proto, "DeleteAlias", json!({ "AliasId": alias["AliasId"] })).await.assert_ok();
        api.call(proto, "ListTagsForResource", json!({ "ResourceARN": arn }))
            .await
            .assert_error("NotFoundException");
    }
}

#[tokio::test]
async fn reset_wipes_tags_of_fixture_resources() {
    let api = Api::new();
    let arn = format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{FLEET}");
    api.call(Proto::Json, "TagResource", json!({ "ResourceARN": arn, "Tags": [tag("a", "b")] }))
        .await
        .assert_ok();
    api.em.reset();
    assert_eq!(list_tags(&api, Proto::Json, &arn).await, json!([]));
}
