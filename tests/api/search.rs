//! SearchGameSessions: the filter and sort expression language end to end, paging, locations.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::*;

/// Sessions: (name, max players, properties, location).
async fn world(api: &Api, proto: Proto) -> Vec<String> {
    let specs: [(&str, i64, Value, &str); 6] = [
        ("alpha", 10, json!([{"Key": "mode", "Value": "ctf"}, {"Key": "map", "Value": "dust"}]), "us-east-1"),
        ("beta", 4, json!([{"Key": "mode", "Value": "koth"}]), "us-east-1"),
        ("Matt's Awesome Game 1", 8, json!([{"Key": "mode", "Value": "ctf"}]), "us-west-2"),
        ("delta", 2, json!([]), "us-east-1"),
        ("epsilon", 16, json!([{"Key": "mode", "Value": "rare"}]), "us-east-1"),
        ("zeta", 6, json!([{"Key": "map", "Value": "dust"}]), "us-west-2"),
    ];
    let mut ids = Vec::new();
    for (name, max, props, loc) in specs {
        let r = api
            .create(proto, json!({ "FleetId": FLEET, "Name": name, "MaximumPlayerSessionCount": max, "GameProperties": props, "Location": loc }))
            .await;
        ids.push(r.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_string());
        tokio::time::advance(Duration::from_millis(5)).await;
    }
    tokio::time::advance(Duration::from_secs(1)).await;
    // Two players in beta (4 max), two in delta (2 max: full).
    for (i, n) in [(1usize, 2), (3, 2)] {
        let players: Vec<String> = (0..n).map(|k| format!("p{i}-{k}")).collect();
        api.call(proto, "CreatePlayerSessions", json!({ "GameSessionId": ids[i], "PlayerIds": players }))
            .await
            .assert_ok();
    }
    // One session that is not ACTIVE (never returned by search).
    api.create(proto, json!({ "FleetId": FLEET, "Name": "activating", "MaximumPlayerSessionCount": 9 }))
        .await
        .assert_ok();
    ids
}

async fn search(api: &Api, proto: Proto, input: Value) -> Reply {
    let mut input = input;
    input["FleetId"] = json!(FLEET);
    api.call(proto, "SearchGameSessions", input).await
}

fn names(r: &Reply) -> Vec<String> {
    r.body["GameSessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["Name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn search_game_sessions_filter_and_sort_table() {
    // (filter, sort, expected names in order)
    let valid: &[(Option<&str>, Option<&str>, &[&str])] = &[
        (None, None, &["alpha", "beta", "Matt's Awesome Game 1", "delta", "epsilon", "zeta"]),
        (Some("gameSessionProperties.mode = 'ctf'"), None, &["alpha", "Matt's Awesome Game 1"]),
        (Some("gameSessionProperties.mode <> 'ctf'"), None, &["beta", "delta", "epsilon", "zeta"]),
        (Some("gameSessionProperties.mode = \"koth\""), None, &["beta"]),
        (Some("gameSessionName = 'Matt\\'s Awesome Game 1'"), None, &["Matt's Awesome Game 1"]),
        (
            Some("gameSessionName <> 'alpha'"),
            Some("gameSessionName ASC"),
            &["Matt's Awesome Game 1", "beta", "delta", "epsilon", "zeta"],
        ),
        (Some("maximumSessions >= 8"), None, &["alpha", "Matt's Awesome Game 1", "epsilon"]),
        (Some("maximumSessions>8"), None, &["alpha", "epsilon"]),
        (Some("maximumSessions < 4"), None, &["delta"]),
        (Some("maximumSessions <= 4"), None, &["beta", "delta"]),
        (Some("maximumSessions = 6"), None, &["zeta"]),
        (
            Some("maximumSessions <> 6 AND maximumSessions <> 10"),
            None,
            &["beta", "Matt's Awesome Game 1", "delta", "epsilon"],
        ),
        (Some("playerSessionCount = 2"), None, &["beta", "delta"]),
        (Some("playerSessionCount > 0 AND hasAvailablePlayerSessions = true"), None, &["beta"]),
        (Some("hasAvailablePlayerSessions = false"), None, &["delta"]),
        (
            Some("hasAvailablePlayerSessions <> false"),
            None,
            &["alpha", "beta", "Matt's Awesome Game 1", "epsilon", "zeta"],
        ),
        (Some("maximumSessions>=10 AND hasAvailablePlayerSessions=true"), None, &["alpha", "epsilon"]),
        (
            Some(
                "gameSessionProperties.mode = 'ctf' OR gameSessionProperties.mode = 'koth' AND maximumSessions > 100",
            ),
            None,
            &["alpha", "Matt's Awesome Game 1"],
        ),
        (
            Some(
                "(gameSessionProperties.mode = 'ctf' OR gameSessionProperties.mode = 'koth') AND maximumSessions < 9",
            ),
            None,
            &["beta", "Matt's Awesome Game 1"],
        ),
        (Some("NOT gameSessionProperties.mode = 'ctf' AND maximumSessions > 5"), None, &["epsilon", "zeta"]),
        (
            Some("NOT (gameSessionProperties.mode = 'ctf' AND maximumSessions > 5)"),
            None,
            &["beta", "delta", "epsilon", "zeta"],
        ),
        (
            Some("not gameSessionProperties.map = 'dust' and maximumSessions > 3"),
            None,
            &["beta", "Matt's Awesome Game 1", "epsilon"],
        ),
        (Some("gameSessionProperties.map = 'dust' AND gameSessionProperties.mode = 'ctf'"), None, &["alpha"]),
        (Some("gameSessionProperties.nothing = 'x'"), None, &[]),
        (
            Some("creationTimeMillis > 0"),
            Some("creationTimeMillis DESC"),
            &["zeta", "epsilon", "delta", "Matt's Awesome Game 1", "beta", "alpha"],
        ),
        (
            None,
            Some("creationTimeMillis ASC"),
            &["alpha", "beta", "Matt's Awesome Game 1", "delta", "epsilon", "zeta"],
        ),
        (
            None,
            Some("maximumSessions DESC"),
            &["epsilon", "alpha", "Matt's Awesome Game 1", "zeta", "beta", "delta"],
        ),
        (
            None,
            Some("maximumSessions ASC"),
            &["delta", "beta", "zeta", "Matt's Awesome Game 1", "alpha", "epsilon"],
        ),
        (
            None,
            Some("playerSessionCount DESC"),
            &["beta", "delta", "alpha", "Matt's Awesome Game 1", "epsilon", "zeta"],
        ),
        (
            None,
            Some("gameSessionProperties.mode ASC"),
            &["alpha", "Matt's Awesome Game 1", "beta", "epsilon", "delta", "zeta"],
        ),
        (
            None,
            Some("gameSessionProperties.mode DESC"),
            &["epsilon", "beta", "alpha", "Matt's Awesome Game 1", "delta", "zeta"],
        ),
        (Some("gameSessionProperties.mode = 'rare'"), Some("creationTimeMillis DESC"), &["epsilon"]),
    ];
    let invalid = [
        "gameSessionName = alpha",
        "gameSessionName < 'alpha'",
        "hasAvailablePlayerSessions > true",
        "maximumSessions = 'ten'",
        "maximumSessions = true",
        "gameSessionProperties = 'x'",
        "gameSessionProperties. = 'x'",
        "foo = 1",
        "maximumSessions >= 10 AND",
        "(maximumSessions >= 10",
        "maximumSessions >= 10)",
        "gameSessionName = 'unterminated",
        "maximumSessions == 10",
        "maximumSessions >= 10 maximumSessions >= 10",
    ];
    let invalid_sorts =
        ["creationTimeMillis", "creationTimeMillis UP", "nope ASC", "maximumSessions ASC extra"];
    for proto in BOTH {
        let api = Api::new();
        world(&api, proto).await;
        for (filter, sort, expected) in valid {
            let mut input = json!({});
            if let Some(f) = filter {
                input["FilterExpression"] = json!(f);
            }
            if let Some(s) = sort {
                input["SortExpression"] = json!(s);
            }
            let r = search(&api, proto, input).await;
            r.assert_ok();
            assert_eq!(names(&r), *expected, "{proto:?} filter {filter:?} sort {sort:?}");
        }
        for f in invalid {
            let r = search(&api, proto, json!({ "FilterExpression": f })).await;
            r.assert_error("InvalidRequestException");
            assert!(r.message().contains("FilterExpression"), "{f}: {}", r.message());
        }
        for s in invalid_sorts {
            let r = search(&api, proto, json!({ "SortExpression": s })).await;
            r.assert_error("InvalidRequestException");
            assert!(r.message().contains("SortExpression"), "{s}: {}", r.message());
        }
    }
}

#[tokio::test(start_paused = true)]
async fn search_game_sessions_by_location_and_alias() {
    let api = Api::new();
    world(&api, Proto::Json).await;
    let r = search(&api, Proto::Json, json!({ "Location": "us-west-2" })).await;
    assert_eq!(names(&r), ["Matt's Awesome Game 1", "zeta"]);
    let r = api
        .call(
            Proto::Json,
            "SearchGameSessions",
            json!({ "AliasId": ALIAS_SIMPLE, "FilterExpression": "maximumSessions = 2" }),
        )
        .await;
    assert_eq!(names(&r), ["delta"]);
    api.call(Proto::Json, "SearchGameSessions", json!({ "AliasId": ALIAS_TERMINAL }))
        .await
        .assert_error("TerminalRoutingStrategyException");
    search(&api, Proto::Json, json!({ "Location": "eu-west-1" }))
        .await
        .assert_error("InvalidRequestException");
    api.call(Proto::Json, "SearchGameSessions", json!({})).await.assert_error("InvalidRequestException");
    api.call(
        Proto::Json,
        "SearchGameSessions",
        json!({ "FleetId": "fleet-99999999-0000-4000-8000-000000000000" }),
    )
    .await
    .assert_error("NotFoundException");
}

#[tokio::test(start_paused = true)]
async fn search_game_sessions_pages_at_most_twenty() {
    for (proto, sort) in [
        (Proto::Json, None),
        (Proto::Cbor, Some("maximumSessions DESC")),
        (Proto::Json, Some("creationTimeMillis DESC")),
    ] {
        let api = Api::new();
        for i in 0..25 {
            let loc = if i < 15 { "us-east-1" } else { "us-west-2" };
            let input = json!({ "FleetId": FLEET, "Name": format!("s{i:02}"), "MaximumPlayerSessionCount": i, "Location": loc });
            api.create(proto, input).await.assert_ok();
        }
        tokio::time::advance(Duration::from_secs(1)).await;
        let mut base = json!({ "Limit": 50 });
        if let Some(s) = sort {
            base["SortExpression"] = json!(s);
        }
        let first = search(&api, proto, base.clone()).await;
        assert_eq!(names(&first).len(), 20);
        let token = first.body["NextToken"].as_str().expect("a second page").to_string();
        let mut next = base.clone();
        next["NextToken"] = json!(token);
        let second = search(&api, proto, next).await;
        assert_eq!(names(&second).len(), 5);
        assert!(second.body.get("NextToken").is_none());
        let mut all = names(&first);
        all.extend(names(&second));
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 25);
        let small = search(&api, proto, json!({ "Limit": 7 })).await;
        assert_eq!(names(&small).len(), 7);
        search(&api, proto, json!({ "NextToken": "bogus" })).await.assert_error("InvalidRequestException");
    }
}
