//! Game session queues and placement over CBOR with the Rust SDK: the queue operations and
//! their paginator, and a placement's whole life with the emulator clock paused and moved by
//! the test (latency and filter choose the location; PENDING, then FULFILLED with connection
//! details and RESERVED player sessions; a full queue times out; Stop cancels; the errors).

use aws_sdk_gamelift::Client;
use aws_sdk_gamelift::operation::describe_game_session_placement::DescribeGameSessionPlacementError;
use aws_sdk_gamelift::operation::start_game_session_placement::StartGameSessionPlacementError;
use aws_sdk_gamelift::operation::stop_game_session_placement::StopGameSessionPlacementError;
use aws_sdk_gamelift::types::{
    DesiredPlayerSession, FilterConfiguration, GameSessionPlacement, GameSessionPlacementState,
    GameSessionQueueDestination, PlayerLatency, PlayerLatencyPolicy, PriorityConfiguration, PriorityType,
};
use gamelift_emulator_compat::{
    ACCOUNT, Emulator, FLEET_EC2, FLEET_TINY, REGION, assert_code, assert_variant, fleet_arn,
    game_session_arn_prefix, ok, service_error,
};

fn destination(fleet: &str) -> GameSessionQueueDestination {
    GameSessionQueueDestination::builder().destination_arn(fleet_arn(fleet)).build()
}

async fn placement(client: &Client, id: &str) -> GameSessionPlacement {
    let out = ok(
        client.describe_game_session_placement().placement_id(id).send().await,
        "DescribeGameSessionPlacement",
    );
    out.game_session_placement().expect("GameSessionPlacement").clone()
}

fn millis(t: Option<&aws_sdk_gamelift::primitives::DateTime>) -> i64 {
    t.expect("timestamp").to_millis().expect("in range")
}

/// `b - a` in milliseconds is `expected`, give or take the 1 ms that CBOR's float epoch seconds
/// can lose when the SDK turns them back into milliseconds.
#[track_caller]
fn assert_span(
    a: Option<&aws_sdk_gamelift::primitives::DateTime>,
    b: Option<&aws_sdk_gamelift::primitives::DateTime>,
    expected: i64,
) {
    let span = millis(b) - millis(a);
    assert!((span - expected).abs() <= 1, "{span} ms, expected {expected} ms");
}

#[tokio::test]
async fn queues_round_trip_and_page_over_cbor() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let created = ok(
        client
            .create_game_session_queue()
            .name("sdk-queue")
            .timeout_in_seconds(90)
            .destinations(destination(FLEET_EC2))
            .player_latency_policies(
                PlayerLatencyPolicy::builder()
                    .maximum_individual_player_latency_milliseconds(120)
                    .policy_duration_seconds(30)
                    .build(),
            )
            .filter_configuration(FilterConfiguration::builder().allowed_locations("us-west-2").build())
            .priority_configuration(
                PriorityConfiguration::builder()
                    .priority_order(PriorityType::Location)
                    .location_order("us-west-2")
                    .build(),
            )
            .custom_event_data("sdk-data")
            .send()
            .await,
        "CreateGameSessionQueue",
    );
    let q = created.game_session_queue().expect("GameSessionQueue");
    assert_eq!(q.name(), Some("sdk-queue"));
    assert_eq!(
        q.game_session_queue_arn(),
        Some(format!("arn:aws:gamelift:{REGION}:{ACCOUNT}:gamesessionqueue/sdk-queue").as_str())
    );
    assert_eq!(q.timeout_in_seconds(), Some(90));
    assert_eq!(q.destinations()[0].destination_arn(), Some(fleet_arn(FLEET_EC2).as_str()));
    assert_eq!(q.player_latency_policies()[0].maximum_individual_player_latency_milliseconds(), Some(120));
    assert_eq!(
        q.priority_configuration().map(|p| p.priority_order().to_vec()),
        Some(vec![PriorityType::Location])
    );
    assert_eq!(q.custom_event_data(), Some("sdk-data"));

    for i in 0..3 {
        ok(
            client.create_game_session_queue().name(format!("sdk-page-{i}")).send().await,
            "CreateGameSessionQueue",
        );
    }
    let pages: Vec<_> =
        client.describe_game_session_queues().into_paginator().page_size(2).send().collect::<Vec<_>>().await;
    let pages: Vec<_> = pages.into_iter().map(|p| ok(p, "DescribeGameSessionQueues page")).collect();
    assert_eq!(pages.iter().map(|p| p.game_session_queues().len()).collect::<Vec<_>>(), [2, 2, 2]);
    let names: Vec<&str> =
        pages.iter().flat_map(|p| p.game_session_queues()).filter_map(|q| q.name()).collect();
    assert_eq!(
        names,
        ["default-queue", "default-anywhere-queue", "sdk-queue", "sdk-page-0", "sdk-page-1", "sdk-page-2"]
    );

    let updated = ok(
        client.update_game_session_queue().name("sdk-queue").timeout_in_seconds(300).send().await,
        "UpdateGameSessionQueue",
    );
    let q = updated.game_session_queue().expect("GameSessionQueue");
    assert_eq!(q.timeout_in_seconds(), Some(300));
    assert_eq!(q.custom_event_data(), Some("sdk-data"));
    ok(client.delete_game_session_queue().name("sdk-queue").send().await, "DeleteGameSessionQueue");
    let left = ok(client.describe_game_session_queues().names("sdk-queue").send().await, "Describe deleted");
    assert!(left.game_session_queues().is_empty());
}

#[tokio::test]
async fn a_placement_is_pending_then_fulfilled_and_a_full_queue_times_out_or_is_stopped() {
    let emu = Emulator::start_with_args(&["--clock", "paused"]).await;
    let client = emu.client();
    ok(
        client
            .create_game_session_queue()
            .name("two-fleets")
            .destinations(destination(FLEET_EC2))
            .destinations(destination(FLEET_TINY))
            .filter_configuration(
                FilterConfiguration::builder()
                    .allowed_locations("us-east-1")
                    .allowed_locations("us-west-2")
                    .build(),
            )
            .send()
            .await,
        "CreateGameSessionQueue two-fleets",
    );
    let latency = |region: &str, ms: f32| {
        PlayerLatency::builder()
            .player_id("dana")
            .region_identifier(region)
            .latency_in_milliseconds(ms)
            .build()
    };
    let started = ok(
        client
            .start_game_session_placement()
            .placement_id("sdk-placement")
            .game_session_queue_name(format!(
                "arn:aws:gamelift:{REGION}:{ACCOUNT}:gamesessionqueue/two-fleets"
            ))
            .maximum_player_session_count(3)
            .player_latencies(latency("ap-northeast-1", 5.0))
            .player_latencies(latency("us-west-2", 25.5))
            .player_latencies(latency("us-east-1", 60.0))
            .desired_player_sessions(
                DesiredPlayerSession::builder().player_id("dana").player_data("d").build(),
            )
            .send()
            .await,
        "StartGameSessionPlacement",
    );
    let p = started.game_session_placement().expect("GameSessionPlacement");
    assert_eq!(p.status(), Some(&GameSessionPlacementState::Pending));
    assert_eq!(p.game_session_queue_name(), Some("two-fleets"), "the name, even when asked by ARN");
    assert_eq!(p.player_latencies()[1].latency_in_milliseconds(), Some(25.5));
    assert_eq!(p.game_session_arn(), None);

    emu.advance_clock(0.2).await; // the suite's activation delay
    let p = placement(&client, "sdk-placement").await;
    assert_eq!(p.status(), Some(&GameSessionPlacementState::Fulfilled));
    assert_eq!(p.game_session_region(), Some("us-west-2"));
    let arn = p.game_session_arn().expect("GameSessionArn");
    assert!(arn.starts_with(&format!("{}us-west-2/", game_session_arn_prefix(FLEET_EC2))), "{arn}");
    assert_eq!((p.ip_address(), p.port()), (Some("127.0.0.1"), Some(7777)));
    assert_span(p.start_time(), p.end_time(), 200);
    let placed = p.placed_player_sessions();
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].player_id(), Some("dana"));
    let ps = ok(
        client
            .describe_player_sessions()
            .player_session_id(placed[0].player_session_id().expect("id"))
            .send()
            .await,
        "DescribePlayerSessions",
    );
    assert_eq!(ps.player_sessions()[0].status().map(|s| s.as_str()), Some("RESERVED"));
    assert_eq!(ps.player_sessions()[0].player_data(), Some("d"));

    // default-tiny full: a placement on a queue over it waits, then times out; another is stopped.
    ok(
        client
            .create_game_session_queue()
            .name("tiny")
            .timeout_in_seconds(10)
            .destinations(destination(FLEET_TINY))
            .send()
            .await,
        "CreateGameSessionQueue tiny",
    );
    for i in 0..2 {
        ok(
            client.create_game_session().fleet_id(FLEET_TINY).maximum_player_session_count(2).send().await,
            &format!("fill default-tiny ({i})"),
        );
    }
    for id in ["sdk-late", "sdk-stopped"] {
        ok(
            client
                .start_game_session_placement()
                .placement_id(id)
                .game_session_queue_name("tiny")
                .maximum_player_session_count(2)
                .send()
                .await,
            "StartGameSessionPlacement on a full queue",
        );
    }
    let stopped = ok(client.stop_game_session_placement().placement_id("sdk-stopped").send().await, "Stop");
    assert_eq!(
        stopped.game_session_placement().and_then(|p| p.status()),
        Some(&GameSessionPlacementState::Cancelled)
    );
    emu.advance_clock(9.0).await;
    assert_eq!(placement(&client, "sdk-late").await.status(), Some(&GameSessionPlacementState::Pending));
    emu.advance_clock(1.0).await;
    let late = placement(&client, "sdk-late").await;
    assert_eq!(late.status(), Some(&GameSessionPlacementState::TimedOut));
    assert_span(late.start_time(), late.end_time(), 10_000);

    let err = service_error(
        client.stop_game_session_placement().placement_id("sdk-late").send().await,
        "Stop a TIMED_OUT placement",
    );
    assert_variant!(err, StopGameSessionPlacementError::InvalidRequestException(_));
    let err = service_error(
        client.describe_game_session_placement().placement_id("never").send().await,
        "Describe an unknown placement",
    );
    assert_variant!(err, DescribeGameSessionPlacementError::NotFoundException(_));
    let err = service_error(
        client
            .start_game_session_placement()
            .placement_id("sdk-placement")
            .game_session_queue_name("tiny")
            .maximum_player_session_count(2)
            .send()
            .await,
        "a reused PlacementId",
    );
    assert_variant!(err, StartGameSessionPlacementError::InvalidRequestException(_));
    assert!(assert_code(&err, "InvalidRequestException").contains("sdk-placement"));
    let err = service_error(
        client
            .start_game_session_placement()
            .placement_id("sdk-nowhere")
            .game_session_queue_name("no-such-queue")
            .maximum_player_session_count(2)
            .send()
            .await,
        "an unknown queue",
    );
    assert_variant!(err, StartGameSessionPlacementError::NotFoundException(_));
}
