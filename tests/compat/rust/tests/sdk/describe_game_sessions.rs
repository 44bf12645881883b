//! DescribeGameSessions: selection by ID / fleet / alias, filters, paging and errors.

use std::collections::HashSet;

use aws_sdk_gamelift::Client;
use aws_sdk_gamelift::operation::describe_game_sessions::DescribeGameSessionsError;
use aws_sdk_gamelift::operation::describe_game_sessions::builders::DescribeGameSessionsFluentBuilder;
use aws_sdk_gamelift::types::{GameSession, GameSessionStatus};
use gamelift_emulator_compat::{
    ALIAS_MISSING, ALIAS_SIMPLE, ALIAS_TERMINAL, Emulator, FLEET_EC2, FLEET_LIMITED, FLEET_MISSING,
    FLEET_TINY, LIFECYCLE_TIMEOUT, TERMINAL_MESSAGE, alias_arn, assert_code, assert_variant,
    describe_game_session, fleet_arn, game_session_arn_prefix, ok, service_error, wait_for_status,
};

/// Creates a session with only the required members (plus `location` if given); returns its ID.
async fn create_session(client: &Client, fleet_id: &str, location: Option<&str>) -> String {
    let out = ok(
        client
            .create_game_session()
            .fleet_id(fleet_id)
            .maximum_player_session_count(8)
            .set_location(location.map(str::to_owned))
            .send()
            .await,
        "CreateGameSession",
    );
    out.game_session().and_then(|s| s.game_session_id()).expect("GameSessionId").to_owned()
}

async fn describe_ids(builder: DescribeGameSessionsFluentBuilder, what: &str) -> Vec<String> {
    let out = ok(builder.send().await, what);
    assert_eq!(out.next_token(), None, "{what}: unexpected NextToken");
    ids(out.game_sessions())
}

fn ids(sessions: &[GameSession]) -> Vec<String> {
    sessions.iter().map(|s| s.game_session_id().expect("GameSessionId").to_owned()).collect()
}

async fn describe_err(builder: DescribeGameSessionsFluentBuilder, what: &str) -> DescribeGameSessionsError {
    service_error(builder.send().await, what)
}

#[tokio::test]
async fn describe_game_sessions_by_game_session_id_returns_that_session() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let _other = create_session(&client, FLEET_EC2, None).await;
    let id = create_session(&client, FLEET_EC2, None).await;

    let out = ok(
        client.describe_game_sessions().game_session_id(&id).send().await,
        "DescribeGameSessions(GameSessionId)",
    );
    assert_eq!(ids(out.game_sessions()), vec![id.clone()]);
    assert_eq!(out.next_token(), None);
    let gs = &out.game_sessions()[0];
    assert_eq!(gs.fleet_id(), Some(FLEET_EC2));
    assert_eq!(gs.maximum_player_session_count(), Some(8));
    assert_eq!(gs.current_player_session_count(), Some(0));
}

#[tokio::test]
async fn describe_game_sessions_by_fleet_with_limit_2_pages_in_creation_order() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(create_session(&client, FLEET_EC2, None).await);
    }

    let mut seen = Vec::new();
    let mut tokens = HashSet::new();
    let mut next_token: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 5, "paging does not terminate");
        let out = ok(
            client
                .describe_game_sessions()
                .fleet_id(FLEET_EC2)
                .limit(2)
                .set_next_token(next_token.clone())
                .send()
                .await,
            "DescribeGameSessions(FleetId, Limit 2)",
        );
        assert!(out.game_sessions().len() <= 2, "page {pages} has {} sessions", out.game_sessions().len());
        seen.extend(ids(out.game_sessions()));
        match out.next_token() {
            Some(token) => {
                assert!(!token.is_empty(), "empty NextToken on page {pages}");
                assert!(tokens.insert(token.to_owned()), "NextToken {token} returned twice");
                next_token = Some(token.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(pages, 3, "5 sessions with Limit 2 make 3 pages");
    assert_eq!(seen, created, "sessions must come back in creation order");
}

#[tokio::test]
async fn describe_game_sessions_sdk_paginator_collects_all_sessions_in_creation_order() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(create_session(&client, FLEET_EC2, None).await);
    }

    let pages: Vec<_> = client
        .describe_game_sessions()
        .fleet_id(FLEET_EC2)
        .limit(2)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let pages: Vec<_> = pages.into_iter().map(|page| ok(page, "DescribeGameSessions page")).collect();

    let tokens: Vec<_> = pages.iter().filter_map(|p| p.next_token()).collect();
    let unique: HashSet<_> = tokens.iter().collect();
    assert_eq!(unique.len(), tokens.len(), "duplicate NextToken: {tokens:?}");
    assert_eq!(pages.len(), 3, "pages: {pages:?}");
    assert_eq!(pages.last().and_then(|p| p.next_token()), None);

    let seen: Vec<_> = pages.iter().flat_map(|p| ids(p.game_sessions())).collect();
    assert_eq!(seen, created);

    // The flattened item paginator sees the same thing.
    let items: Vec<_> = client
        .describe_game_sessions()
        .fleet_id(FLEET_EC2)
        .into_paginator()
        .page_size(2)
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    let item_ids: Vec<_> = items
        .into_iter()
        .map(|item| {
            ok(item, "DescribeGameSessions item").game_session_id().expect("GameSessionId").to_owned()
        })
        .collect();
    assert_eq!(item_ids, created);
}

#[tokio::test]
async fn describe_game_sessions_by_fleet_arn_returns_fleet_sessions() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let id = create_session(&client, FLEET_EC2, None).await;
    let _elsewhere = create_session(&client, FLEET_TINY, None).await;

    let found = describe_ids(
        client.describe_game_sessions().fleet_id(fleet_arn(FLEET_EC2)),
        "DescribeGameSessions(FleetId=ARN)",
    )
    .await;
    assert_eq!(found, vec![id]);
}

#[tokio::test]
async fn describe_game_sessions_fleet_without_sessions_returns_empty_list() {
    let emu = Emulator::start().await;
    let found = describe_ids(
        emu.client().describe_game_sessions().fleet_id(FLEET_LIMITED),
        "DescribeGameSessions on a fleet without sessions",
    )
    .await;
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn describe_game_sessions_by_alias_id_and_arn_returns_alias_fleet_sessions() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let home = create_session(&client, FLEET_EC2, None).await;
    let remote = create_session(&client, FLEET_EC2, Some("us-west-2")).await;
    let _elsewhere = create_session(&client, FLEET_TINY, None).await;

    let by_id =
        describe_ids(client.describe_game_sessions().alias_id(ALIAS_SIMPLE), "DescribeGameSessions(AliasId)")
            .await;
    let by_arn = describe_ids(
        client.describe_game_sessions().alias_id(alias_arn(ALIAS_SIMPLE)),
        "DescribeGameSessions(AliasId=ARN)",
    )
    .await;
    let mut expected = vec![home, remote];
    expected.sort();
    for (what, mut found) in [("alias ID", by_id), ("alias ARN", by_arn)] {
        found.sort();
        assert_eq!(found, expected, "by {what}");
    }
}

#[tokio::test]
async fn describe_game_sessions_by_location_returns_only_that_location() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let home = create_session(&client, FLEET_EC2, None).await;
    let remote = create_session(&client, FLEET_EC2, Some("us-west-2")).await;

    let west = describe_ids(
        client.describe_game_sessions().fleet_id(FLEET_EC2).location("us-west-2"),
        "DescribeGameSessions(Location=us-west-2)",
    )
    .await;
    assert_eq!(west, vec![remote.clone()]);

    let east = describe_ids(
        client.describe_game_sessions().fleet_id(FLEET_EC2).location("us-east-1"),
        "DescribeGameSessions(Location=us-east-1)",
    )
    .await;
    assert_eq!(east, vec![home.clone()]);

    let all = describe_ids(
        client.describe_game_sessions().fleet_id(FLEET_EC2),
        "DescribeGameSessions(FleetId) without Location",
    )
    .await;
    assert_eq!(all, vec![home, remote], "no Location means every location");
}

#[tokio::test]
async fn describe_game_sessions_by_status_filter_returns_matching_sessions() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let by_status = |fleet: &'static str, status: &'static str| {
        client.describe_game_sessions().fleet_id(fleet).status_filter(status)
    };

    // Fleet ...0004 activates sessions after 1 s, which leaves a comfortable window in which the
    // session is certainly ACTIVATING.
    let tiny = create_session(&client, FLEET_TINY, None).await;
    let activating = describe_ids(by_status(FLEET_TINY, "ACTIVATING"), "StatusFilter ACTIVATING").await;
    let active = describe_ids(by_status(FLEET_TINY, "ACTIVE"), "StatusFilter ACTIVE").await;
    // The three reads above take milliseconds; the session must still be ACTIVATING (1 s delay).
    let status_now = describe_game_session(&client, &tiny).await.status().cloned();
    assert_eq!(
        status_now,
        Some(GameSessionStatus::Activating),
        "a session on fleet ...0004 activated within milliseconds; its activation delay is 1 s"
    );
    assert_eq!(activating, vec![tiny.clone()]);
    assert!(active.is_empty(), "{active:?}");

    wait_for_status(&client, &tiny, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;
    let active = describe_ids(by_status(FLEET_TINY, "ACTIVE"), "StatusFilter ACTIVE").await;
    assert_eq!(active, vec![tiny.clone()]);
    let activating = describe_ids(by_status(FLEET_TINY, "ACTIVATING"), "StatusFilter ACTIVATING").await;
    assert!(activating.is_empty(), "{activating:?}");
    for status in ["TERMINATED", "TERMINATING"] {
        let found = describe_ids(by_status(FLEET_TINY, status), status).await;
        assert!(found.is_empty(), "StatusFilter {status}: {found:?}");
    }
}

#[tokio::test]
async fn describe_game_sessions_unknown_fleet_not_found() {
    let emu = Emulator::start().await;
    let err =
        describe_err(emu.client().describe_game_sessions().fleet_id(FLEET_MISSING), "unknown fleet").await;
    assert_variant!(err, DescribeGameSessionsError::NotFoundException(_));
    assert_code(&err, "NotFoundException");
}

#[tokio::test]
async fn describe_game_sessions_unknown_alias_not_found() {
    let emu = Emulator::start().await;
    let err =
        describe_err(emu.client().describe_game_sessions().alias_id(ALIAS_MISSING), "unknown alias").await;
    assert_variant!(err, DescribeGameSessionsError::NotFoundException(_));
    assert_code(&err, "NotFoundException");
}

#[tokio::test]
async fn describe_game_sessions_unknown_game_session_id_not_found() {
    let emu = Emulator::start().await;
    let missing = format!("{}gsess-00000000-0000-4000-8000-0000000000ff", game_session_arn_prefix(FLEET_EC2));
    let err =
        describe_err(emu.client().describe_game_sessions().game_session_id(missing), "unknown game session")
            .await;
    assert_variant!(err, DescribeGameSessionsError::NotFoundException(_));
    assert_code(&err, "NotFoundException");
}

#[tokio::test]
async fn describe_game_sessions_terminal_alias_terminal_routing_strategy() {
    let emu = Emulator::start().await;
    let err =
        describe_err(emu.client().describe_game_sessions().alias_id(ALIAS_TERMINAL), "TERMINAL alias").await;
    assert_variant!(err, DescribeGameSessionsError::TerminalRoutingStrategyException(_));
    let message = assert_code(&err, "TerminalRoutingStrategyException");
    assert_eq!(message, TERMINAL_MESSAGE);
}

#[tokio::test]
async fn describe_game_sessions_no_selector_invalid_request() {
    let emu = Emulator::start().await;
    let err =
        describe_err(emu.client().describe_game_sessions(), "no GameSessionId, FleetId or AliasId").await;
    assert_variant!(err, DescribeGameSessionsError::InvalidRequestException(_));
    assert_code(&err, "InvalidRequestException");
}

#[tokio::test]
async fn describe_game_sessions_fleet_and_alias_invalid_request() {
    let emu = Emulator::start().await;
    let err = describe_err(
        emu.client().describe_game_sessions().fleet_id(FLEET_EC2).alias_id(ALIAS_SIMPLE),
        "FleetId and AliasId",
    )
    .await;
    assert_variant!(err, DescribeGameSessionsError::InvalidRequestException(_));
    assert_code(&err, "InvalidRequestException");
}
