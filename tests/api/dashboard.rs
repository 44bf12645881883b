//! The dashboard (`/_emulator/ui`): the page and its assets, a browser's `GET /`, the JSON
//! views, the terminate action, and the change stream.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use gamelift_emulator::Config;
use gamelift_emulator::config::ClockMode;
use serde_json::{Value, json};

use crate::harness::*;

fn paused() -> Api {
    let mut config = Config::for_tests();
    config.clock = ClockMode::Paused;
    Api::with(config)
}

async fn get(api: &Api, uri: &str) -> Reply {
    api.send(Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post(api: &Api, uri: &str, body: Value) -> Reply {
    api.send(Request::post(uri).body(Body::from(body.to_string())).unwrap()).await
}

async fn session(api: &Api, fleet: &str) -> String {
    let r = api.create(Proto::Json, json!({ "FleetId": fleet, "MaximumPlayerSessionCount": 4 })).await;
    r.assert_ok()["GameSession"]["GameSessionId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_from_the_binary() {
    let api = Api::new();
    let page = get(&api, "/_emulator/ui").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = String::from_utf8_lossy(&page.raw);
    assert!(html.contains("<script src=\"/_emulator/ui/app.js\">"), "{html}");
    assert!(!html.contains("https://"), "no CDN: {html}");
    for (path, kind) in [("/_emulator/ui/app.js", "text/javascript"), ("/_emulator/ui/app.css", "text/css")] {
        let r = get(&api, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.headers["content-type"].to_str().unwrap().starts_with(kind), "{path}");
        assert!(r.raw.len() > 1000, "{path} is empty");
    }
}

#[tokio::test]
async fn a_browser_get_of_the_root_goes_to_the_dashboard_and_api_requests_do_not() {
    let api = Api::new();
    let r = api
        .send(
            Request::get("/")
                .header("accept", "text/html,application/xhtml+xml")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers["location"], "/_emulator/ui");
    // Without Accept: text/html a GET of / is still the API's error.
    let r = get(&api, "/").await;
    r.assert_error("UnknownOperationException");
    // An API POST that accepts HTML is an API call.
    let r = api
        .send(
            Request::post("/")
                .header("accept", "text/html")
                .header("x-amz-target", "GameLift.ListAliases")
                .header("content-type", "application/x-amz-json-1.1")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert!(r.assert_ok()["Aliases"].is_array());
}

#[tokio::test(start_paused = true)]
async fn the_overview_shows_fleets_with_locations_capacity_and_aliases() {
    let api = paused();
    session(&api, FLEET).await;
    let o = get(&api, "/_emulator/ui/api/overview").await.assert_ok().clone();
    assert_eq!(o["Clock"]["Paused"], true);
    assert_eq!(o["GameSessionCount"], 1);
    let fleet =
        o["Fleets"].as_array().unwrap().iter().find(|f| f["FleetId"] == FLEET).expect("the fleet").clone();
    let home = &fleet["Locations"][0];
    assert_eq!(home["Location"], "us-east-1");
    assert_eq!(home["Capacity"]["InstanceCounts"]["ACTIVE"], 2);
    assert_eq!(home["Utilization"]["ActiveServerProcessCount"], 20);
    // ACTIVATING sessions are not in use yet.
    assert_eq!(home["Utilization"]["ActiveGameSessionCount"], 0);
    assert!(o["Aliases"].as_array().unwrap().iter().any(|a| a["AliasId"] == ALIAS_SIMPLE));
    for q in o["Queues"].as_array().unwrap() {
        assert!(q["Queue"]["Name"].is_string() && q["PendingPlacements"].is_array(), "{q}");
    }
}

#[tokio::test(start_paused = true)]
async fn game_sessions_page_newest_first_and_filter_by_fleet_status_and_location() {
    let api = paused();
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(session(&api, FLEET).await);
    }
    let other = session(&api, FLEET_TINY).await;
    let page = get(&api, &format!("/_emulator/ui/api/game-sessions?FleetId={FLEET}&PageSize=2&Page=1")).await;
    let page = page.assert_ok();
    assert_eq!(page["Total"], 5);
    let shown: Vec<&str> = page["GameSessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["GameSessionId"].as_str().unwrap())
        .collect();
    assert_eq!(shown, [ids[2].as_str(), ids[1].as_str()]);
    let all = get(&api, "/_emulator/ui/api/game-sessions").await;
    assert_eq!(all.assert_ok()["Total"], 6);
    let active = get(&api, "/_emulator/ui/api/game-sessions?Status=ACTIVE").await;
    assert_eq!(active.assert_ok()["Total"], 0);
    let r = post(&api, "/_emulator/ui/api/terminate-game-session", json!({ "GameSessionId": other })).await;
    assert_eq!(r.assert_ok()["GameSession"]["Status"], "TERMINATING");
    let t = get(&api, "/_emulator/ui/api/game-sessions?Status=TERMINATING").await;
    let t = t.assert_ok();
    assert_eq!(t["Total"], 1);
    assert_eq!(t["GameSessions"][0]["GameSessionId"], other.as_str());
    let west = get(&api, "/_emulator/ui/api/game-sessions?Location=us-west-2").await;
    assert_eq!(west.assert_ok()["Total"], 0);
    assert_eq!(api.describe_one(Proto::Json, &other).await["Status"], "TERMINATING");
}

#[tokio::test]
async fn bad_dashboard_input_is_a_400_naming_what_is_wrong() {
    let api = Api::new();
    let r = get(&api, "/_emulator/ui/api/game-sessions?Status=SLEEPING").await;
    r.assert_error("InvalidRequestException");
    assert!(r.message().contains("SLEEPING"), "{}", r.message());
    let r = get(&api, "/_emulator/ui/api/game-sessions?PageSize=0").await;
    r.assert_error("InvalidRequestException");
    assert!(r.message().contains("PageSize"), "{}", r.message());
    let r = get(&api, "/_emulator/ui/api/game-sessions?Page=-1").await;
    r.assert_error("InvalidRequestException");
    assert!(r.message().contains("Page"), "{}", r.message());
    let r = get(&api, "/_emulator/ui/api/game-sessions?FleetId=fleet-nope").await;
    r.assert_error("NotFoundException");
    let r = get(&api, "/_emulator/ui/api/player-sessions").await;
    r.assert_error("InvalidRequestException");
    assert!(r.message().contains("GameSessionId"), "{}", r.message());
    let r = post(&api, "/_emulator/ui/api/terminate-game-session", json!({ "GameSessionId": 5 })).await;
    r.assert_error("SerializationException");
    assert!(r.message().contains("GameSessionId"), "{}", r.message());
    let r = post(
        &api,
        "/_emulator/ui/api/terminate-game-session",
        json!({ "GameSessionId": "gsess-x", "TerminationMode": "GENTLY" }),
    )
    .await;
    r.assert_error("InvalidRequestException");
    assert!(r.message().contains("GENTLY"), "{}", r.message());
}

#[tokio::test(start_paused = true)]
async fn player_sessions_of_a_game_session_are_listed() {
    let api = paused();
    let id = session(&api, FLEET).await;
    api.em.advance_clock(std::time::Duration::from_secs(60));
    let r = api
        .call(
            Proto::Json,
            "CreatePlayerSessions",
            json!({ "GameSessionId": id, "PlayerIds": ["ann", "bob"] }),
        )
        .await;
    r.assert_ok();
    let list =
        get(&api, &format!("/_emulator/ui/api/player-sessions?GameSessionId={}", urlencode(&id))).await;
    let players: Vec<&str> = list.assert_ok()["PlayerSessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PlayerId"].as_str().unwrap())
        .collect();
    assert_eq!(players, ["ann", "bob"]);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_change_counter_moves_on_state_calls_and_clock_control_but_not_on_dashboard_reads() {
    let api = paused();
    let mut rx = api.em.watch_changes();
    rx.borrow_and_update();
    get(&api, "/_emulator/ui/api/overview").await.assert_ok();
    get(&api, "/_emulator/ui/api/game-sessions").await.assert_ok();
    assert!(!rx.has_changed().unwrap(), "a dashboard read counted as a change");
    session(&api, FLEET).await;
    assert!(rx.has_changed().unwrap(), "CreateGameSession did not signal");
    rx.borrow_and_update();
    api.em.advance_clock(std::time::Duration::from_secs(1));
    assert!(rx.has_changed().unwrap(), "advancing the clock did not signal");
}

#[tokio::test(start_paused = true)]
async fn the_overview_shows_matchmaking_configurations_with_tickets_by_status() {
    let api = paused();
    let rules =
        json!({"ruleLanguageVersion": "1.0", "teams": [{"name": "duo", "minPlayers": 2, "maxPlayers": 2}]});
    api.call(
        Proto::Json,
        "CreateMatchmakingRuleSet",
        json!({"Name": "ui-rules", "RuleSetBody": rules.to_string()}),
    )
    .await
    .assert_ok();
    let config = json!({"Name": "ui-cfg", "RuleSetName": "ui-rules", "RequestTimeoutSeconds": 60,
        "AcceptanceRequired": false, "FlexMatchMode": "STANDALONE"});
    api.call(Proto::Json, "CreateMatchmakingConfiguration", config).await.assert_ok();
    for (ticket, player) in [("ui-t1", "p1"), ("ui-t2", "p2"), ("ui-t3", "p3")] {
        let start =
            json!({"TicketId": ticket, "ConfigurationName": "ui-cfg", "Players": [{"PlayerId": player}]});
        api.call(Proto::Json, "StartMatchmaking", start).await.assert_ok();
    }
    api.send(Request::post("/_emulator/clock/advance").body(Body::from(r#"{"Seconds": 1}"#)).unwrap())
        .await
        .assert_ok();

    let o = get(&api, "/_emulator/ui/api/overview").await.assert_ok().clone();
    let m = o["Matchmaking"]
        .as_array()
        .expect("Matchmaking")
        .iter()
        .find(|m| m["Configuration"]["Name"] == "ui-cfg");
    let m = m.expect("the configuration").clone();
    assert_eq!(m["Configuration"]["FlexMatchMode"], "STANDALONE");
    let count = |status: &str| {
        m["TicketsByStatus"].as_array().unwrap().iter().find(|e| e[0] == status).map(|e| e[1].clone())
    };
    // Two tickets made a match of two; the third waits for a partner.
    assert_eq!(count("COMPLETED"), Some(json!(2)), "{m}");
    assert_eq!(count("SEARCHING"), Some(json!(1)), "{m}");
    let open = m["OpenTickets"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{m}");
    assert_eq!(open[0]["Status"], "SEARCHING");
}
