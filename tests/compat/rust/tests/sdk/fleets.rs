//! Fleets with the Rust SDK over CBOR: the blue/green workflow (build, fleet, poll ACTIVE, alias,
//! game sessions, scale-out, alias swap, DeleteFleet), fleet events with timestamps, locations,
//! paginators, and the typed errors of the fleet operations.
//!
//! Each test starts its own emulator with fast fleet walks
//! (`--fleet-activation-delay 300ms --instance-activation-delay 100ms`); waits poll with deadlines.

use std::time::{Duration, Instant};

use aws_sdk_gamelift::Client;
use aws_sdk_gamelift::operation::create_fleet::CreateFleetError;
use aws_sdk_gamelift::operation::create_game_session::CreateGameSessionError;
use aws_sdk_gamelift::operation::delete_fleet::DeleteFleetError;
use aws_sdk_gamelift::operation::describe_fleet_events::DescribeFleetEventsError;
use aws_sdk_gamelift::operation::update_fleet_capacity::UpdateFleetCapacityError;
use aws_sdk_gamelift::primitives::DateTime;
use aws_sdk_gamelift::types::{
    Ec2InstanceType, FleetStatus, GameSessionStatus, GameSessionStatusReason, IpPermission, IpProtocol,
    LocationConfiguration, OperatingSystem, RoutingStrategy, RoutingStrategyType, RuntimeConfiguration,
    S3Location, ServerProcess,
};
use gamelift_emulator_compat::{
    Emulator, FLEET_ACTIVATING, FLEET_EC2, FLEET_MISSING, LIFECYCLE_TIMEOUT, POLL_INTERVAL, REGION,
    assert_code, assert_variant, fleet_arn, ok, service_error, wait_for_status,
};

const FAST: &[&str] = &["--fleet-activation-delay", "300ms", "--instance-activation-delay", "100ms"];
const SLOTS: i32 = 2;

async fn build(client: &Client) -> String {
    let out = ok(
        client
            .create_build()
            .name("server")
            .operating_system(OperatingSystem::AmazonLinux2023)
            .storage_location(
                S3Location::builder()
                    .bucket("bkt")
                    .key("server.zip")
                    .role_arn("arn:aws:iam::123456789012:role/r")
                    .build(),
            )
            .send()
            .await,
        "CreateBuild",
    );
    out.build_value().and_then(|b| b.build_id()).expect("BuildId").to_owned()
}

async fn create_fleet(client: &Client, build_id: &str, name: &str) -> String {
    let out = ok(
        client
            .create_fleet()
            .name(name)
            .build_id(build_id)
            .ec2_instance_type(Ec2InstanceType::C5Large)
            .runtime_configuration(
                RuntimeConfiguration::builder()
                    .server_processes(
                        ServerProcess::builder()
                            .launch_path("/local/game/server")
                            .concurrent_executions(SLOTS)
                            .build(),
                    )
                    .build(),
            )
            .ec2_inbound_permissions(
                IpPermission::builder()
                    .from_port(33430)
                    .to_port(33530)
                    .ip_range("0.0.0.0/0")
                    .protocol(IpProtocol::Udp)
                    .build(),
            )
            .send()
            .await,
        "CreateFleet",
    );
    let fa = out.fleet_attributes().expect("FleetAttributes");
    assert_eq!(fa.status(), Some(&FleetStatus::New));
    let id = fa.fleet_id().expect("FleetId").to_owned();
    assert_eq!(fa.fleet_arn(), Some(fleet_arn(&id).as_str()));
    assert_eq!(out.location_states().len(), 1);
    id
}

async fn fleet_status(client: &Client, fleet_id: &str) -> Option<FleetStatus> {
    let out =
        ok(client.describe_fleet_attributes().fleet_ids(fleet_id).send().await, "DescribeFleetAttributes");
    out.fleet_attributes().first().and_then(|f| f.status().cloned())
}

/// Polls `probe` every [`POLL_INTERVAL`] until it returns true, or panics after the deadline.
async fn poll<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + LIFECYCLE_TIMEOUT;
    while !probe().await {
        assert!(Instant::now() < deadline, "{what} did not happen within {LIFECYCLE_TIMEOUT:?}");
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

async fn wait_active(client: &Client, fleet_id: &str) {
    poll(&format!("{fleet_id} ACTIVE"), || async {
        fleet_status(client, fleet_id).await == Some(FleetStatus::Active)
    })
    .await;
}

async fn via_alias(
    client: &Client,
    alias_id: &str,
) -> Result<aws_sdk_gamelift::types::GameSession, CreateGameSessionError> {
    match client.create_game_session().alias_id(alias_id).maximum_player_session_count(8).send().await {
        Ok(out) => Ok(out.game_session().expect("GameSession").clone()),
        Err(e) => Err(service_error::<(), _>(Err(e), "CreateGameSession via alias")),
    }
}

fn simple(fleet_id: &str) -> RoutingStrategy {
    RoutingStrategy::builder().r#type(RoutingStrategyType::Simple).fleet_id(fleet_id).build()
}

#[tokio::test]
async fn fleet_blue_green_workflow_over_cbor() {
    let emu = Emulator::start_with_args(FAST).await;
    let client = emu.client();
    let build_id = build(&client).await;

    let blue = create_fleet(&client, &build_id, "blue").await;
    wait_active(&client, &blue).await;
    let alias =
        ok(client.create_alias().name("live").routing_strategy(simple(&blue)).send().await, "CreateAlias");
    let alias_id = alias.alias().and_then(|a| a.alias_id()).expect("AliasId").to_owned();

    let mut blue_sessions = Vec::new();
    for _ in 0..SLOTS {
        let gs = via_alias(&client, &alias_id).await.expect("session on blue");
        assert_eq!(gs.fleet_id(), Some(blue.as_str()));
        blue_sessions.push(gs.game_session_id().expect("GameSessionId").to_owned());
    }
    let full = via_alias(&client, &alias_id).await.expect_err("blue is full");
    assert_variant!(full, CreateGameSessionError::FleetCapacityExceededException(_));

    let out = ok(
        client.update_fleet_capacity().fleet_id(&blue).desired_instances(2).max_size(2).send().await,
        "UpdateFleetCapacity",
    );
    assert_eq!(out.location(), Some(REGION));
    poll("2 ACTIVE instances on blue", || async {
        let out = ok(client.describe_fleet_capacity().fleet_ids(&blue).send().await, "DescribeFleetCapacity");
        let counts = out.fleet_capacity()[0].instance_counts().cloned().expect("InstanceCounts");
        counts.active() == Some(2) && counts.pending() == Some(0)
    })
    .await;
    for _ in 0..SLOTS {
        let gs = via_alias(&client, &alias_id).await.expect("session on the new instance");
        blue_sessions.push(gs.game_session_id().expect("GameSessionId").to_owned());
    }

    let green = create_fleet(&client, &build_id, "green").await;
    wait_active(&client, &green).await;
    ok(
        client.update_alias().alias_id(&alias_id).routing_strategy(simple(&green)).send().await,
        "UpdateAlias",
    );
    let on_green = via_alias(&client, &alias_id).await.expect("session on green");
    assert_eq!(on_green.fleet_id(), Some(green.as_str()));
    let green_session = on_green.game_session_id().expect("GameSessionId").to_owned();
    wait_for_status(&client, &green_session, GameSessionStatus::Active, LIFECYCLE_TIMEOUT).await;

    // DELETING lasts 100 ms: hold the clock while the test looks at it, then advance past it.
    emu.set_clock_paused(true).await;
    ok(client.delete_fleet().fleet_id(&blue).send().await, "DeleteFleet");
    for id in &blue_sessions {
        let s = wait_for_status(&client, id, GameSessionStatus::Terminated, Duration::from_secs(1)).await;
        assert_eq!(s.status_reason(), Some(&GameSessionStatusReason::Interrupted));
    }
    let again = service_error(client.delete_fleet().fleet_id(&blue).send().await, "DeleteFleet twice");
    assert_variant!(again, DeleteFleetError::InvalidFleetStatusException(_));
    emu.advance_clock(0.1).await;
    assert!(fleet_status(&client, &blue).await.is_none(), "blue is gone once DELETING is over");
    emu.set_clock_paused(false).await;
    let gone =
        service_error(client.delete_fleet().fleet_id(&blue).send().await, "DeleteFleet after it is gone");
    assert_variant!(gone, DeleteFleetError::NotFoundException(_));
    assert_code(&gone, "NotFoundException");
    let s = wait_for_status(&client, &green_session, GameSessionStatus::Active, Duration::from_secs(1)).await;
    assert_eq!(s.fleet_id(), Some(green.as_str()));
}

#[tokio::test]
async fn fleet_events_pages_and_time_window_over_cbor() {
    let emu = Emulator::start_with_args(FAST).await;
    let client = emu.client();
    let build_id = build(&client).await;
    let fleet = create_fleet(&client, &build_id, "events").await;
    wait_active(&client, &fleet).await;

    let pages = client.describe_fleet_events().fleet_id(&fleet).limit(2).into_paginator().send();
    let pages: Vec<_> = pages.collect::<Result<Vec<_>, _>>().await.expect("DescribeFleetEvents pages");
    assert_eq!(pages.len(), 3);
    let events: Vec<_> = pages.iter().flat_map(|p| p.events().to_vec()).collect();
    let codes: Vec<&str> = events.iter().filter_map(|e| e.event_code().map(|c| c.as_str())).collect();
    assert_eq!(
        codes,
        [
            "FLEET_STATE_ACTIVE",
            "FLEET_STATE_ACTIVATING",
            "FLEET_STATE_BUILDING",
            "FLEET_STATE_VALIDATING",
            "FLEET_STATE_DOWNLOADING",
            "FLEET_CREATED"
        ]
    );
    let created = events[5].event_time().expect("EventTime");
    let window = ok(
        client
            .describe_fleet_events()
            .fleet_id(&fleet)
            .start_time(DateTime::from_secs(created.secs()))
            .end_time(DateTime::from_secs(created.secs() + 3600))
            .send()
            .await,
        "DescribeFleetEvents window",
    );
    assert_eq!(window.events().len(), 6);
    let later = ok(
        client
            .describe_fleet_events()
            .fleet_id(&fleet)
            .start_time(DateTime::from_secs(created.secs() + 3600))
            .send()
            .await,
        "DescribeFleetEvents later",
    );
    assert!(later.events().is_empty());
    let err =
        service_error(client.describe_fleet_events().fleet_id(FLEET_MISSING).send().await, "unknown fleet");
    assert_variant!(err, DescribeFleetEventsError::NotFoundException(_));

    let ids: Vec<String> = client
        .list_fleets()
        .limit(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListFleets pages");
    // The five default fixture fleets, then the one created here.
    assert_eq!(ids.len(), 6);
    assert_eq!(ids.last(), Some(&fleet));
    let instances = ok(client.describe_instances().fleet_id(FLEET_EC2).send().await, "DescribeInstances");
    assert_eq!(instances.instances().len(), 2);
}

#[tokio::test]
async fn fleet_locations_and_capacity_errors_over_cbor() {
    let emu = Emulator::start_with_args(FAST).await;
    let client = emu.client();
    let out = ok(
        client
            .create_fleet_locations()
            .fleet_id(FLEET_EC2)
            .locations(LocationConfiguration::builder().location("eu-west-1").build())
            .send()
            .await,
        "CreateFleetLocations",
    );
    assert_eq!(out.location_states()[0].status(), Some(&FleetStatus::New));
    poll("eu-west-1 ACTIVE", || async {
        let out = ok(
            client
                .describe_fleet_location_attributes()
                .fleet_id(FLEET_EC2)
                .locations("eu-west-1")
                .send()
                .await,
            "DescribeFleetLocationAttributes",
        );
        out.location_attributes().first().and_then(|l| l.location_state()).and_then(|s| s.status())
            == Some(&FleetStatus::Active)
    })
    .await;
    let cap = ok(
        client.describe_fleet_location_capacity().fleet_id(FLEET_EC2).location("eu-west-1").send().await,
        "DescribeFleetLocationCapacity",
    );
    assert_eq!(cap.fleet_capacity().and_then(|c| c.instance_counts()).and_then(|c| c.active()), Some(1));
    let deleted = ok(
        client.delete_fleet_locations().fleet_id(FLEET_EC2).locations("eu-west-1").send().await,
        "DeleteFleetLocations",
    );
    assert_eq!(deleted.location_states()[0].status(), Some(&FleetStatus::Deleting));

    let err = service_error(
        client.update_fleet_capacity().fleet_id(FLEET_ACTIVATING).desired_instances(1).send().await,
        "UpdateFleetCapacity on an ACTIVATING fleet",
    );
    assert_variant!(err, UpdateFleetCapacityError::InvalidFleetStatusException(_));
    let err = service_error(
        client.update_fleet_capacity().fleet_id(FLEET_EC2).desired_instances(9).send().await,
        "UpdateFleetCapacity above MaxSize",
    );
    assert_variant!(err, UpdateFleetCapacityError::InvalidRequestException(_));
    let err = service_error(
        client
            .update_fleet_capacity()
            .fleet_id(FLEET_EC2)
            .desired_instances(2000)
            .max_size(2000)
            .send()
            .await,
        "UpdateFleetCapacity above the limit",
    );
    assert_variant!(err, UpdateFleetCapacityError::LimitExceededException(_));
    let err = service_error(
        client
            .create_fleet()
            .name("x")
            .build_id("build-00000000-0000-4000-8000-00000000dead")
            .ec2_instance_type(Ec2InstanceType::C5Large)
            .runtime_configuration(
                RuntimeConfiguration::builder()
                    .server_processes(
                        ServerProcess::builder()
                            .launch_path("/local/game/s")
                            .concurrent_executions(1)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await,
        "CreateFleet with an unknown build",
    );
    assert_variant!(err, CreateFleetError::NotFoundException(_));
}
