//! Aliases: CreateAlias, DescribeAlias, ListAliases, UpdateAlias, DeleteAlias, ResolveAlias, in
//! both protocols.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::harness::*;

fn simple(fleet: &str) -> Value {
    json!({ "Type": "SIMPLE", "FleetId": fleet })
}

fn terminal(message: &str) -> Value {
    json!({ "Type": "TERMINAL", "Message": message })
}

async fn create_alias(api: &Api, proto: Proto, name: &str, routing: Value) -> Value {
    let r = api.call(proto, "CreateAlias", json!({ "Name": name, "RoutingStrategy": routing })).await;
    r.assert_ok()["Alias"].clone()
}

fn id_of(alias: &Value) -> String {
    alias["AliasId"].as_str().expect("AliasId").to_string()
}

#[tokio::test]
async fn create_alias_simple_returns_every_field() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .call(
                proto,
                "CreateAlias",
                json!({ "Name": "live", "Description": "players go here", "RoutingStrategy": simple(FLEET) }),
            )
            .await;
        let a = &r.assert_ok()["Alias"];
        let id = id_of(a);
        assert!(id.starts_with("alias-") && id.len() == "alias-".len() + 36, "{id}");
        assert_eq!(a["AliasArn"], format!("arn:aws:gamelift:us-east-1::alias/{id}"));
        assert_eq!(a["Name"], "live");
        assert_eq!(a["Description"], "players go here");
        assert_eq!(a["RoutingStrategy"], json!({ "Type": "SIMPLE", "FleetId": FLEET }));
        assert!(a["CreationTime"].as_f64().unwrap() > 1.6e9);
        assert_eq!(a["CreationTime"], a["LastUpdatedTime"]);
    }
}

#[tokio::test]
async fn create_alias_terminal_with_fleet_id_drops_the_fleet_id() {
    for proto in BOTH {
        let api = Api::new();
        let routing = json!({ "Type": "TERMINAL", "FleetId": FLEET, "Message": "Update your client." });
        let a = create_alias(&api, proto, "old", routing).await;
        assert_eq!(a["RoutingStrategy"], json!({ "Type": "TERMINAL", "Message": "Update your client." }));
        assert!(a.get("Description").is_none());
    }
}

#[tokio::test]
async fn create_alias_unknown_fleet_not_found() {
    for proto in BOTH {
        let api = Api::new();
        let missing = "fleet-ffffffff-ffff-4fff-8fff-ffffffffffff";
        let r =
            api.call(proto, "CreateAlias", json!({ "Name": "x", "RoutingStrategy": simple(missing) })).await;
        r.assert_error("NotFoundException");
        assert!(r.message().contains(missing), "{}", r.message());
        let list = api.call(proto, "ListAliases", json!({ "Name": "x" })).await;
        assert_eq!(list.assert_ok()["Aliases"], json!([]));
    }
}

#[tokio::test]
async fn create_alias_incomplete_routing_strategy_invalid_request() {
    for proto in BOTH {
        let api = Api::new();
        for routing in [
            json!({ "FleetId": FLEET }),
            json!({ "Type": "SIMPLE" }),
            json!({ "Type": "SIMPLE", "Message": "m" }),
            json!({ "Type": "TERMINAL" }),
            json!({ "Type": "TERMINAL", "Message": "" }),
            json!({ "Type": "ROUND_ROBIN", "FleetId": FLEET }),
        ] {
            let r = api.call(proto, "CreateAlias", json!({ "Name": "x", "RoutingStrategy": routing })).await;
            r.assert_error("InvalidRequestException");
        }
        let r = api.call(proto, "CreateAlias", json!({ "Name": "x" })).await;
        r.assert_error("InvalidRequestException");
        assert!(r.message().contains("routingStrategy"), "{}", r.message());
        let r =
            api.call(proto, "CreateAlias", json!({ "Name": "   ", "RoutingStrategy": simple(FLEET) })).await;
        r.assert_error("InvalidRequestException");
    }
}

#[tokio::test]
async fn create_alias_with_tags_lists_them_and_bad_tags_tagging_failed() {
    for proto in BOTH {
        let api = Api::new();
        let tags = json!([{ "Key": "team", "Value": "core" }, { "Key": "env", "Value": "dev" }]);
        let r = api
            .call(
                proto,
                "CreateAlias",
                json!({ "Name": "t", "RoutingStrategy": simple(FLEET), "Tags": tags }),
            )
            .await;
        let arn = r.assert_ok()["Alias"]["AliasArn"].as_str().unwrap().to_string();
        let listed = api.call(proto, "ListTagsForResource", json!({ "ResourceARN": arn })).await;
        assert_eq!(listed.assert_ok()["Tags"], tags);

        let dup = json!([{ "Key": "k", "Value": "1" }, { "Key": "k", "Value": "2" }]);
        let r = api
            .call(
                proto,
                "CreateAlias",
                json!({ "Name": "dup", "RoutingStrategy": simple(FLEET), "Tags": dup }),
            )
            .await;
        r.assert_error("TaggingFailedException");
        let list = api.call(proto, "ListAliases", json!({ "Name": "dup" })).await;
        assert_eq!(list.assert_ok()["Aliases"], json!([]), "nothing is created when tagging fails");
    }
}

#[tokio::test]
async fn describe_alias_by_id_and_arn_returns_the_fixture() {
    for proto in BOTH {
        let api = Api::new();
        for id in [ALIAS_TERMINAL.to_string(), format!("arn:aws:gamelift:us-east-1::alias/{ALIAS_TERMINAL}")]
        {
            let r = api.call(proto, "DescribeAlias", json!({ "AliasId": id })).await;
            let a = &r.assert_ok()["Alias"];
            assert_eq!(a["AliasId"], ALIAS_TERMINAL);
            assert_eq!(a["Name"], "default-terminal");
            assert_eq!(a["RoutingStrategy"]["Type"], "TERMINAL");
            assert_eq!(a["RoutingStrategy"]["Message"], "This game has ended. Please update your client.");
        }
    }
}

#[tokio::test]
async fn describe_alias_unknown_not_found() {
    for proto in BOTH {
        let api = Api::new();
        let missing = "alias-ffffffff-ffff-4fff-8fff-ffffffffffff";
        let r = api.call(proto, "DescribeAlias", json!({ "AliasId": missing })).await;
        r.assert_error("NotFoundException");
        assert!(r.message().contains(missing), "{}", r.message());
        let r = api.call(proto, "DescribeAlias", json!({ "AliasId": "not-an-alias" })).await;
        r.assert_error("InvalidRequestException");
    }
}

#[tokio::test]
async fn list_aliases_pages_in_creation_order_without_a_token_on_the_last_page() {
    for proto in BOTH {
        let api = Api::new();
        let mut created = vec![ALIAS_SIMPLE.to_string(), ALIAS_TERMINAL.to_string()];
        for i in 0..5 {
            created.push(id_of(&create_alias(&api, proto, &format!("a{i}"), simple(FLEET)).await));
        }
        let mut seen = Vec::new();
        let mut tokens = HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let mut input = json!({ "Limit": 3 });
            if let Some(t) = &token {
                input["NextToken"] = json!(t);
            }
            let r = api.call(proto, "ListAliases", input).await;
            let body = r.assert_ok();
            let page = body["Aliases"].as_array().unwrap();
            assert!(page.len() <= 3);
            seen.extend(page.iter().map(id_of));
            match body.get("NextToken").and_then(Value::as_str) {
                Some(t) => {
                    assert!(tokens.insert(t.to_string()), "token repeated: {t}");
                    token = Some(t.to_string());
                }
                None => break,
            }
        }
        assert_eq!(seen, created);
        assert_eq!(tokens.len(), 2);
    }
}

#[tokio::test]
async fn list_aliases_filters_by_routing_type_and_name() {
    for proto in BOTH {
        let api = Api::new();
        create_alias(&api, proto, "blue", simple(FLEET)).await;
        create_alias(&api, proto, "blue", terminal("closed")).await;
        let r = api.call(proto, "ListAliases", json!({ "RoutingStrategyType": "TERMINAL" })).await;
        let names: Vec<_> =
            r.assert_ok()["Aliases"].as_array().unwrap().iter().map(|a| a["Name"].clone()).collect();
        assert_eq!(names, [json!("default-terminal"), json!("blue")]);
        let r =
            api.call(proto, "ListAliases", json!({ "Name": "blue", "RoutingStrategyType": "SIMPLE" })).await;
        let page = r.assert_ok()["Aliases"].as_array().unwrap().clone();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0]["RoutingStrategy"]["FleetId"], FLEET);
        let r = api.call(proto, "ListAliases", json!({})).await;
        assert!(r.assert_ok().get("NextToken").is_none());
    }
}

#[tokio::test]
async fn list_aliases_bad_next_token_or_filter_invalid_request() {
    for proto in BOTH {
        let api = Api::new();
        api.call(proto, "ListAliases", json!({ "NextToken": "garbage" }))
            .await
            .assert_error("InvalidRequestException");
        // A token of another list is not accepted either.
        let r = api.call(proto, "ListAliases", json!({ "Limit": 1 })).await;
        let token = r.assert_ok()["NextToken"].as_str().unwrap().to_string();
        api.call(proto, "ListBuilds", json!({ "NextToken": token }))
            .await
            .assert_error("InvalidRequestException");
        api.call(proto, "ListAliases", json!({ "RoutingStrategyType": "BOTH" }))
            .await
            .assert_error("InvalidRequestException");
        api.call(proto, "ListAliases", json!({ "Limit": 0 })).await.assert_error("InvalidRequestException");
    }
}

#[tokio::test]
async fn update_alias_changes_fields_and_routes_the_next_game_session() {
    for proto in BOTH {
        let api = Api::new();
        let a = create_alias(&api, proto, "live", simple(FLEET)).await;
        let id = id_of(&a);
        let r = api
            .call(proto, "CreateGameSession", json!({ "AliasId": id, "MaximumPlayerSessionCount": 2 }))
            .await;
        assert_eq!(r.assert_ok()["GameSession"]["FleetId"], FLEET);

        let r = api
            .call(
                proto,
                "UpdateAlias",
                json!({ "AliasId": id, "Name": "live-2", "Description": "d", "RoutingStrategy": simple(FLEET_TINY) }),
            )
            .await;
        let u = &r.assert_ok()["Alias"];
        assert_eq!(u["Name"], "live-2");
        assert_eq!(u["Description"], "d");
        assert_eq!(u["RoutingStrategy"]["FleetId"], FLEET_TINY);
        assert_eq!(u["CreationTime"], a["CreationTime"]);
        assert!(u["LastUpdatedTime"].as_f64() >= a["LastUpdatedTime"].as_f64());

        let r = api
            .call(proto, "CreateGameSession", json!({ "AliasId": id, "MaximumPlayerSessionCount": 2 }))
            .await;
        assert_eq!(r.assert_ok()["GameSession"]["FleetId"], FLEET_TINY);
        let r = api.call(proto, "ResolveAlias", json!({ "AliasId": id })).await;
        assert_eq!(r.assert_ok()["FleetId"], FLEET_TINY);

        // Only the name: the rest stays.
        let r = api.call(proto, "UpdateAlias", json!({ "AliasId": id, "Name": "live-3" })).await;
        let u = &r.assert_ok()["Alias"];
        assert_eq!(u["Description"], "d");
        assert_eq!(u["RoutingStrategy"]["FleetId"], FLEET_TINY);

        // To TERMINAL: the next CreateGameSession gets the message.
        let r = api
            .call(proto, "UpdateAlias", json!({ "AliasId": id, "RoutingStrategy": terminal("closed") }))
            .await;
        assert_eq!(r.assert_ok()["Alias"]["RoutingStrategy"], terminal("closed"));
        let r = api
            .call(proto, "CreateGameSession", json!({ "AliasId": id, "MaximumPlayerSessionCount": 2 }))
            .await;
        r.assert_error("TerminalRoutingStrategyException");
        assert_eq!(r.message(), "closed");
    }
}

#[tokio::test]
async fn update_alias_unknown_alias_or_fleet_not_found() {
    for proto in BOTH {
        let api = Api::new();
        let missing_alias = "alias-ffffffff-ffff-4fff-8fff-ffffffffffff";
        let r = api.call(proto, "UpdateAlias", json!({ "AliasId": missing_alias, "Name": "n" })).await;
        r.assert_error("NotFoundException");
        assert!(r.message().contains(missing_alias));
        let missing_fleet = "fleet-ffffffff-ffff-4fff-8fff-ffffffffffff";
        let r = api
            .call(
                proto,
                "UpdateAlias",
                json!({ "AliasId": ALIAS_SIMPLE, "RoutingStrategy": simple(missing_fleet) }),
            )
            .await;
        r.assert_error("NotFoundException");
        assert!(r.message().contains(missing_fleet));
        let r = api.call(proto, "ResolveAlias", json!({ "AliasId": ALIAS_SIMPLE })).await;
        assert_eq!(r.assert_ok()["FleetId"], FLEET, "a failed update changes nothing");
    }
}

#[tokio::test]
async fn update_alias_incomplete_routing_strategy_invalid_request() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .call(
                proto,
                "UpdateAlias",
                json!({ "AliasId": ALIAS_SIMPLE, "RoutingStrategy": { "Type": "TERMINAL" } }),
            )
            .await;
        r.assert_error("InvalidRequestException");
    }
}

#[tokio::test]
async fn delete_alias_removes_it_and_answers_unit() {
    for proto in BOTH {
        let api = Api::new();
        let id = id_of(&create_alias(&api, proto, "gone", simple(FLEET)).await);
        let r = api.call(proto, "DeleteAlias", json!({ "AliasId": id })).await;
        assert_eq!(r.status, 200);
        match proto {
            Proto::Json => assert_eq!(r.body, json!({})),
            Proto::Cbor => assert!(r.raw.is_empty(), "CBOR Unit output has no body"),
        }
        api.call(proto, "DescribeAlias", json!({ "AliasId": id })).await.assert_error("NotFoundException");
        let r = api
            .call(proto, "CreateGameSession", json!({ "AliasId": id, "MaximumPlayerSessionCount": 2 }))
            .await;
        r.assert_error("NotFoundException");
    }
}

#[tokio::test]
async fn delete_alias_unknown_not_found() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .call(proto, "DeleteAlias", json!({ "AliasId": "alias-ffffffff-ffff-4fff-8fff-ffffffffffff" }))
            .await;
        r.assert_error("NotFoundException");
    }
}

#[tokio::test]
async fn resolve_alias_simple_returns_fleet_id_and_arn() {
    for proto in BOTH {
        let api = Api::new();
        let r = api.call(proto, "ResolveAlias", json!({ "AliasId": ALIAS_SIMPLE })).await;
        let body = r.assert_ok();
        assert_eq!(body["FleetId"], FLEET);
        assert_eq!(body["FleetArn"], format!("arn:aws:gamelift:us-east-1:123456789012:fleet/{FLEET}"));
    }
}

#[tokio::test]
async fn resolve_alias_terminal_terminal_routing_strategy() {
    for proto in BOTH {
        let api = Api::new();
        let r = api.call(proto, "ResolveAlias", json!({ "AliasId": ALIAS_TERMINAL })).await;
        r.assert_error("TerminalRoutingStrategyException");
        assert_eq!(r.message(), "This game has ended. Please update your client.");
    }
}

#[tokio::test]
async fn resolve_alias_unknown_not_found() {
    for proto in BOTH {
        let api = Api::new();
        let r = api
            .call(proto, "ResolveAlias", json!({ "AliasId": "alias-ffffffff-ffff-4fff-8fff-ffffffffffff" }))
            .await;
        r.assert_error("NotFoundException");
    }
}

#[tokio::test]
async fn reset_wipes_api_created_aliases_and_restores_fixtures() {
    let api = Api::new();
    let id = id_of(&create_alias(&api, Proto::Json, "temp", simple(FLEET)).await);
    api.call(Proto::Json, "DeleteAlias", json!({ "AliasId": ALIAS_SIMPLE })).await.assert_ok();
    api.em.reset();
    api.call(Proto::Json, "DescribeAlias", json!({ "AliasId": id })).await.assert_error("NotFoundException");
    api.call(Proto::Json, "DescribeAlias", json!({ "AliasId": ALIAS_SIMPLE })).await.assert_ok();
}
