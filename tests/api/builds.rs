//! Builds and Realtime scripts: Create/Describe/List/Update/Delete, RequestUploadCredentials,
//! in both protocols.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::harness::*;

const MISSING_BUILD: &str = "build-ffffffff-ffff-4fff-8fff-ffffffffffff";
const MISSING_SCRIPT: &str = "script-ffffffff-ffff-4fff-8fff-ffffffffffff";

fn s3() -> Value {
    json!({ "Bucket": "my-builds", "Key": "server.zip", "RoleArn": "arn:aws:iam::123456789012:role/gl" })
}

async fn create_build(api: &Api, proto: Proto, input: Value) -> Value {
    api.call(proto, "CreateBuild", input).await.assert_ok().clone()
}

fn build_id(out: &Value) -> String {
    out["Build"]["BuildId"].as_str().expect("BuildId").to_string()
}

async fn create_script(api: &Api, proto: Proto, input: Value) -> Value {
    api.call(proto, "CreateScript", input).await.assert_ok()["Script"].clone()
}

/// Sends a CreateScript/UpdateScript whose ZipFile is a real CBOR byte string.
async fn call_with_zip(api: &Api, proto: Proto, op: &str, mut input: Value, zip: &[u8]) -> Reply {
    match proto {
        Proto::Json => {
            input["ZipFile"] = json!(base64::engine::general_purpose::STANDARD.encode(zip));
            api.call(proto, op, input).await
        }
        Proto::Cbor => {
            let mut map: Vec<(ciborium::Value, ciborium::Value)> = Vec::new();
            for (k, v) in input.as_object().unwrap() {
                let v: ciborium::Value = ciborium::Value::serialized(v).unwrap();
                map.push((ciborium::Value::Text(k.clone()), v));
            }
            map.push((ciborium::Value::Text("ZipFile".into()), ciborium::Value::Bytes(zip.to_vec())));
            let mut buf = Vec::new();
            ciborium::into_writer(&ciborium::Value::Map(map), &mut buf).unwrap();
            let req = axum::http::Request::post(format!("/service/GameLift/operation/{op}"))
                .header("smithy-protocol", "rpc-v2-cbor")
                .header("content-type", "application/cbor")
                .body(axum::body::Body::from(buf))
                .unwrap();
            api.send(req).await
        }
    }
}

// ---- builds -----------------------------------------------------------------------------------

#[tokio::test]
async fn create_build_without_storage_is_initialized_with_upload_credentials() {
    for proto in BOTH {
        let api = Api::new();
        let out = create_build(
            &api,
            proto,
            json!({ "Name": "server", "Version": "1.0", "OperatingSystem": "AMAZON_LINUX_2023" }),
        )
        .await;
        let b = &out["Build"];
        let id = build_id(&out);
        assert!(id.starts_with("build-") && id.len() == "build-".len() + 36, "{id}");
        assert_eq!(b["BuildArn"], format!("arn:aws:gamelift:us-east-1::build/{id}"));
        assert_eq!(b["Name"], "server");
        assert_eq!(b["Version"], "1.0");
        assert_eq!(b["Status"], "INITIALIZED");
        assert_eq!(b["SizeOnDisk"], 0);
        assert_eq!(b["OperatingSystem"], "AMAZON_LINUX_2023");
        assert_eq!(b["ServerSdkVersion"], "4.0.2");
        assert!(b["CreationTime"].as_f64().unwrap() > 1.6e9);
        let creds = &out["UploadCredentials"];
        for k in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
            assert!(!creds[k].as_str().unwrap().is_empty(), "{k}");
        }
        assert_eq!(out["StorageLocation"]["Bucket"], "gamelift-emulator-builds");
        assert_eq!(out["StorageLocation"]["Key"], format!("{id}/build.zip"));
        assert!(
            out["StorageLocation"]["RoleArn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:iam::123456789012:role/")
        );
    }
}

#[tokio::test]
async fn create_build_with_storage_is_ready_without_credentials() {
    for proto in BOTH {
        let api = Api::new();
        let out = create_build(
            &api,
            proto,
            json!({ "OperatingSystem": "WINDOWS_2022", "StorageLocation": s3(), "ServerSdkVersion": "5.2.0" }),
        )
        .await;
        assert_eq!(out["Build"]["Status"], "READY");
        assert_eq!(out["Build"]["ServerSdkVersion"], "5.2.0");
        assert!(out["Build"].get("Name").is_none());
        assert!(out.get("UploadCredentials").is_none());
        assert_eq!(out["StorageLocation"], s3());
    }
}

#[tokio::test]
async fn create_build_bad_input_invalid_request() {
    for proto in BOTH {
        let api = Api::new();
        for input in [
            json!({ "Name": "no-os" }),
            json!({ "OperatingSystem": "AMAZON_LINUX_2023", "StorageLocation": { "Bucket": "b", "Key": "k" } }),
            json!({ "OperatingSystem": "AMAZON_LINUX_2023",
                    "StorageLocation": { "Bucket": "my.builds", "Key": "k", "RoleArn": "arn:r" } }),
            json!({ "OperatingSystem": "DOS" }),
            json!({ "OperatingSystem": "AMAZON_LINUX_2023", "ServerSdkVersion": "5" }),
        ] {
            let r = api.call(proto, "CreateBuild", input.clone()).await;
            r.assert_error("InvalidRequestException");
        }
        let r = api.call(proto, "ListBuilds", json!({})).await;
        assert_eq!(r.assert_ok()["Builds"], json!([]));
    }
}

#[tokio::test]
async fn create_build_more_than_50_tags_tagging_failed() {
    for proto in BOTH {
        let api = Api::new();
        let tags: Vec<Value> = (0..51).map(|i| json!({ "Key": format!("k{i}"), "Value": "v" })).collect();
        let r = api
            .call(proto, "CreateBuild", json!({ "OperatingSystem": "AMAZON_LINUX_2023", "Tags": tags }))
            .await;
        r.assert_error("TaggingFailedException");
        assert!(r.message().contains("50"), "{}", r.message());
    }
}

#[tokio::test]
async fn describe_update_and_delete_build() {
    for proto in BOTH {
        let api = Api::new();
        let out =
            create_build(&api, proto, json!({ "Name": "a", "OperatingSystem": "AMAZON_LINUX_2023" })).await;
        let id = build_id(&out);
        let arn = out["Build"]["BuildArn"].as_str().unwrap().to_string();
        for key in [&id, &arn] {
            let r = api.call(proto, "DescribeBuild", json!({ "BuildId": key })).await;
            assert_eq!(r.assert_ok()["Build"], out["Build"]);
        }
        let r = api.call(proto, "UpdateBuild", json!({ "BuildId": id, "Version": "2" })).await;
        let b = &r.assert_ok()["Build"];
        assert_eq!(b["Name"], "a");
        assert_eq!(b["Version"], "2");
        let r = api.call(proto, "DeleteBuild", json!({ "BuildId": arn })).await;
        assert_eq!(r.status, 200);
        if proto == Proto::Cbor {
            assert!(r.raw.is_empty());
        }
        api.call(proto, "DescribeBuild", json!({ "BuildId": id })).await.assert_error("NotFoundException");
    }
}

#[tokio::test]
async fn build_operations_unknown_build_not_found() {
    for proto in BOTH {
        let api = Api::new();
        for (op, input) in [
            ("DescribeBuild", json!({ "BuildId": MISSING_BUILD })),
            ("UpdateBuild", json!({ "BuildId": MISSING_BUILD, "Name": "n" })),
            ("DeleteBuild", json!({ "BuildId": MISSING_BUILD })),
            ("RequestUploadCredentials", json!({ "BuildId": MISSING_BUILD })),
        ] {
            let r = api.call(proto, op, input).await;
            r.assert_error("NotFoundException");
            assert!(r.message().contains(MISSING_BUILD), "{op}: {}", r.message());
        }
    }
}

#[tokio::test]
async fn request_upload_credentials_returns_the_upload_location() {
    for proto in BOTH {
        let api = Api::new();
        let id =
            build_id(&create_build(&api, proto, json!({ "OperatingSystem": "AMAZON_LINUX_2023" })).await);
        let r = api.call(proto, "RequestUploadCredentials", json!({ "BuildId": id })).await;
        let body = r.assert_ok();
        assert!(body["UploadCredentials"]["AccessKeyId"].is_string());
        assert_eq!(body["StorageLocation"]["Bucket"], "gamelift-emulator-builds");
        assert_eq!(body["StorageLocation"]["Key"], format!("{id}/build.zip"));
    }
}

#[tokio::test]
async fn list_builds_filters_by_status_and_pages() {
    for proto in BOTH {
        let api = Api::new();
        let mut ready = Vec::new();
        for i in 0..3 {
            let out = create_build(
                &api,
                proto,
                json!({ "Name": format!("r{i}"), "OperatingSystem": "AMAZON_LINUX_2023",
                                                       "StorageLocation": s3() }),
            )
            .await;
            ready.push(build_id(&out));
            create_build(&api, proto, json!({ "OperatingSystem": "AMAZON_LINUX_2023" })).await;
        }
        let r = api.call(proto, "ListBuilds", json!({ "Status": "READY", "Limit": 2 })).await;
        let body = r.assert_ok().clone();
        let first: Vec<String> = body["Builds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["BuildId"].as_str().unwrap().into())
            .collect();
        assert_eq!(first, ready[..2]);
        let token = body["NextToken"].as_str().unwrap();
        let r =
            api.call(proto, "ListBuilds", json!({ "Status": "READY", "Limit": 2, "NextToken": token })).await;
        let body = r.assert_ok();
        assert_eq!(body["Builds"].as_array().unwrap().len(), 1);
        assert_eq!(body["Builds"][0]["BuildId"], ready[2]);
        assert!(body.get("NextToken").is_none());
        let r = api.call(proto, "ListBuilds", json!({ "Status": "INITIALIZED" })).await;
        assert_eq!(r.assert_ok()["Builds"].as_array().unwrap().len(), 3);
        let r = api.call(proto, "ListBuilds", json!({ "Status": "FAILED" })).await;
        assert_eq!(r.assert_ok()["Builds"], json!([]));
        api.call(proto, "ListBuilds", json!({ "NextToken": "nope" }))
            .await
            .assert_error("InvalidRequestException");
        api.call(proto, "ListBuilds", json!({ "Status": "DONE" }))
            .await
            .assert_error("InvalidRequestException");
    }
}

// ---- scripts ----------------------------------------------------------------------------------

#[tokio::test]
async fn create_script_from_zip_file_reports_its_size() {
    for proto in BOTH {
        let api = Api::new();
        let zip = b"PK\x03\x04 a realtime script";
        let r =
            call_with_zip(&api, proto, "CreateScript", json!({ "Name": "rt", "Version": "1" }), zip).await;
        let s = &r.assert_ok()["Script"];
        let id = s["ScriptId"].as_str().unwrap();
        assert!(id.starts_with("script-") && id.len() == "script-".len() + 36, "{id}");
        assert_eq!(s["ScriptArn"], format!("arn:aws:gamelift:us-east-1::script/{id}"));
        assert_eq!(s["Name"], "rt");
        assert_eq!(s["Version"], "1");
        assert_eq!(s["SizeOnDisk"], zip.len());
        assert_eq!(s["NodeJsVersion"], "10.x");
        assert_eq!(s["StorageLocation"]["Bucket"], "gamelift-emulator-scripts");
        assert!(s["CreationTime"].as_f64().unwrap() > 1.6e9);
    }
}

#[tokio::test]
async fn create_script_from_storage_location_has_size_zero() {
    for proto in BOTH {
        let api = Api::new();
        let s = create_script(&api, proto, json!({ "StorageLocation": s3(), "NodeJsVersion": "24.x" })).await;
        assert_eq!(s["SizeOnDisk"], 0);
        assert_eq!(s["StorageLocation"], s3());
        assert_eq!(s["NodeJsVersion"], "24.x");
    }
}

#[tokio::test]
async fn create_script_bad_input_invalid_request() {
    for proto in BOTH {
        let api = Api::new();
        api.call(proto, "CreateScript", json!({ "Name": "nothing" }))
            .await
            .assert_error("InvalidRequestException");
        let r = call_with_zip(&api, proto, "CreateScript", json!({ "StorageLocation": s3() }), b"zip").await;
        r.assert_error("InvalidRequestException");
        let r = call_with_zip(&api, proto, "CreateScript", json!({ "NodeJsVersion": "12.x" }), b"zip").await;
        r.assert_error("InvalidRequestException");
        api.call(proto, "CreateScript", json!({ "StorageLocation": { "Bucket": "b" } }))
            .await
            .assert_error("InvalidRequestException");
        let r = api.call(proto, "ListScripts", json!({})).await;
        assert_eq!(r.assert_ok()["Scripts"], json!([]));
    }
}

#[tokio::test]
async fn create_script_reserved_tag_key_tagging_failed() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .call(
                proto,
                "CreateScript",
                json!({ "StorageLocation": s3(), "Tags": [{ "Key": "aws:owner", "Value": "x" }] }),
            )
            .await;
        r.assert_error("TaggingFailedException");
    }
}

#[tokio::test]
async fn update_script_changes_metadata_and_content() {
    for proto in BOTH {
        let api = Api::new();
        let s = create_script(&api, proto, json!({ "Name": "rt", "StorageLocation": s3() })).await;
        let id = s["ScriptId"].as_str().unwrap().to_string();
        let r =
            call_with_zip(&api, proto, "UpdateScript", json!({ "ScriptId": id, "Version": "2" }), b"12345")
                .await;
        let u = &r.assert_ok()["Script"];
        assert_eq!(u["Name"], "rt");
        assert_eq!(u["Version"], "2");
        assert_eq!(u["SizeOnDisk"], 5);
        assert_eq!(u["CreationTime"], s["CreationTime"]);
        let r = api.call(proto, "DescribeScript", json!({ "ScriptId": s["ScriptArn"] })).await;
        assert_eq!(&r.assert_ok()["Script"], u);
        let r = call_with_zip(
            &api,
            proto,
            "UpdateScript",
            json!({ "ScriptId": id, "StorageLocation": s3() }),
            b"z",
        )
        .await;
        r.assert_error("InvalidRequestException");
    }
}

#[tokio::test]
async fn script_operations_unknown_script_not_found() {
    for proto in BOTH {
        let api = Api::new();
        for (op, input) in [
            ("DescribeScript", json!({ "ScriptId": MISSING_SCRIPT })),
            ("UpdateScript", json!({ "ScriptId": MISSING_SCRIPT, "Name": "n" })),
            ("DeleteScript", json!({ "ScriptId": MISSING_SCRIPT })),
        ] {
            let r = api.call(proto, op, input).await;
            r.assert_error("NotFoundException");
            assert!(r.message().contains(MISSING_SCRIPT), "{op}: {}", r.message());
        }
    }
}

#[tokio::test]
async fn list_and_delete_scripts() {
    for proto in BOTH {
        let api = Api::new();
        let mut ids = Vec::new();
        for i in 0..3 {
            let s =
                create_script(&api, proto, json!({ "Name": format!("s{i}"), "StorageLocation": s3() })).await;
            ids.push(s["ScriptId"].as_str().unwrap().to_string());
        }
        let r = api.call(proto, "ListScripts", json!({ "Limit": 2 })).await;
        let body = r.assert_ok().clone();
        assert_eq!(body["Scripts"].as_array().unwrap().len(), 2);
        let r = api.call(proto, "ListScripts", json!({ "Limit": 2, "NextToken": body["NextToken"] })).await;
        let last = r.assert_ok();
        assert_eq!(last["Scripts"][0]["ScriptId"], ids[2]);
        assert!(last.get("NextToken").is_none());
        let r = api.call(proto, "DeleteScript", json!({ "ScriptId": ids[1] })).await;
        assert_eq!(r.status, 200);
        let r = api.call(proto, "ListScripts", json!({})).await;
        let listed: Vec<_> =
            r.assert_ok()["Scripts"].as_array().unwrap().iter().map(|s| s["ScriptId"].clone()).collect();
        assert_eq!(listed, [json!(ids[0]), json!(ids[2])]);
        api.call(proto, "ListScripts", json!({ "NextToken": "x" }))
            .await
            .assert_error("InvalidRequestException");
    }
}

#[tokio::test]
async fn reset_wipes_builds_and_scripts() {
    let api = Api::new();
    create_build(&api, Proto::Json, json!({ "OperatingSystem": "AMAZON_LINUX_2023" })).await;
    create_script(&api, Proto::Json, json!({ "StorageLocation": s3() })).await;
    api.em.reset();
    assert_eq!(api.call(Proto::Json, "ListBuilds", json!({})).await.assert_ok()["Builds"], json!([]));
    assert_eq!(api.call(Proto::Json, "ListScripts", json!({})).await.assert_ok()["Scripts"], json!([]));
}
