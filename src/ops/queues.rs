//! Game session queue and placement operations.

use super::tags::tags_from_dto;
use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::model::paging;
use crate::model::placement::{
    FallbackStrategy, Placement, PlacementOverride, PlayerLatency, StartPlacement,
};
use crate::model::queue::{Queue, QueueSpec, QueueUpdate};
use crate::state::Emulator;

const QUEUES_TOKEN: &str = "gsq";

/// The wire shape of a queue.
pub(crate) fn queue_dto(q: &Queue) -> dto::GameSessionQueue {
    dto::GameSessionQueue {
        name: Some(q.name.to_string()),
        game_session_queue_arn: Some(q.arn.to_string()),
        timeout_in_seconds: Some(q.timeout_s as i32),
        player_latency_policies: Some(
            q.latency_policies
                .iter()
                .map(|p| dto::PlayerLatencyPolicy {
                    maximum_individual_player_latency_milliseconds: Some(p.max_ms as i32),
                    policy_duration_seconds: p.duration_s.map(|d| d as i32),
                })
                .collect(),
        ),
        destinations: Some(
            q.destinations
                .iter()
                .map(|d| dto::GameSessionQueueDestination { destination_arn: Some(d.clone()) })
                .collect(),
        ),
        filter_configuration: q
            .allowed_locations
            .as_ref()
            .map(|l| dto::FilterConfiguration { allowed_locations: Some(l.clone()) }),
        priority_configuration: q.priority.as_ref().map(|p| dto::PriorityConfiguration {
            priority_order: (!p.order.is_empty())
                .then(|| p.order.iter().map(|t| dto::PriorityType::from_wire(t.as_str())).collect()),
            location_order: (!p.location_order.is_empty()).then(|| p.location_order.clone()),
        }),
        custom_event_data: q.custom_event_data.clone(),
        notification_target: q.notification_target.clone(),
    }
}

/// The wire shape of a placement.
pub(crate) fn placement_dto(p: &Placement) -> dto::GameSessionPlacement {
    let r = &p.request;
    let c = p.connection.as_ref();
    dto::GameSessionPlacement {
        placement_id: Some(p.id.to_string()),
        game_session_queue_name: Some(p.queue_name.to_string()),
        status: Some(dto::GameSessionPlacementState::from_wire(p.status.as_str())),
        game_properties: Some(
            r.properties
                .iter()
                .map(|(k, v)| dto::GameProperty { key: Some(k.clone()), value: Some(v.clone()) })
                .collect(),
        ),
        maximum_player_session_count: Some(r.max_players.min(i32::MAX as u32) as i32),
        game_session_name: r.name.clone(),
        game_session_id: c.map(|c| c.game_session_arn.to_string()),
        game_session_arn: c.map(|c| c.game_session_arn.to_string()),
        game_session_region: c.map(|c| c.region.to_string()),
        player_latencies: (!r.latencies.is_empty()).then(|| {
            r.latencies
                .iter()
                .map(|l| dto::PlayerLatency {
                    player_id: Some(l.player_id.clone()),
                    region_identifier: Some(l.region.clone()),
                    latency_in_milliseconds: Some(l.ms),
                })
                .collect()
        }),
        start_time: Some(dto::Timestamp(p.start.wall_ms)),
        end_time: p.end_ms.map(dto::Timestamp),
        ip_address: c.map(|c| c.ip_address.to_string()),
        dns_name: c.map(|c| c.dns_name.to_string()),
        port: c.map(|c| i32::from(c.port)),
        placed_player_sessions: c.map(|_| {
            p.placed
                .iter()
                .map(|(player, ps)| dto::PlacedPlayerSession {
                    player_id: Some(player.to_string()),
                    player_session_id: Some(ps.to_string()),
                })
                .collect()
        }),
        game_session_data: r.data.clone(),
        matchmaker_data: None,
        priority_configuration_override: r.override_.as_ref().map(|o| dto::PriorityConfigurationOverride {
            placement_fallback_strategy: o
                .fallback
                .map(|f| dto::PlacementFallbackStrategy::from_wire(f.as_str())),
            location_order: Some(o.location_order.clone()),
        }),
        player_gateway_status: None,
    }
}

type Policies = Vec<(Option<i64>, Option<i64>)>;

fn policies(p: Option<Vec<dto::PlayerLatencyPolicy>>) -> Option<Policies> {
    p.map(|list| {
        list.into_iter()
            .map(|p| {
                (
                    p.maximum_individual_player_latency_milliseconds.map(i64::from),
                    p.policy_duration_seconds.map(i64::from),
                )
            })
            .collect()
    })
}

fn destinations(d: Option<Vec<dto::GameSessionQueueDestination>>) -> Option<Vec<String>> {
    d.map(|list| list.into_iter().map(|d| d.destination_arn.unwrap_or_default()).collect())
}

fn priority(p: Option<dto::PriorityConfiguration>) -> Option<(Vec<String>, Vec<String>)> {
    p.map(|p| {
        (
            p.priority_order.unwrap_or_default().iter().map(|t| t.as_str().to_owned()).collect(),
            p.location_order.unwrap_or_default(),
        )
    })
}

/// CreateGameSessionQueue.
pub(crate) fn create_game_session_queue(
    em: &Emulator,
    input: dto::CreateGameSessionQueueInput,
) -> ApiResult<dto::CreateGameSessionQueueOutput> {
    let spec = QueueSpec {
        name: input.name.unwrap_or_default(),
        timeout_s: input.timeout_in_seconds.map(i64::from),
        latency_policies: policies(input.player_latency_policies).unwrap_or_default(),
        destinations: destinations(input.destinations).unwrap_or_default(),
        allowed_locations: input.filter_configuration.map(|f| f.allowed_locations.unwrap_or_default()),
        priority: priority(input.priority_configuration),
        custom_event_data: input.custom_event_data,
        notification_target: input.notification_target,
    };
    let tags = tags_from_dto(input.tags);
    em.with_world(|w, now| {
        let q = w.create_queue(spec, tags, now)?;
        Ok(dto::CreateGameSessionQueueOutput { game_session_queue: Some(queue_dto(q)) })
    })
}

/// DescribeGameSessionQueues: the named queues that exist (in the order asked, paging
/// ignored), or every queue in creation order, a page at a time.
pub(crate) fn describe_game_session_queues(
    em: &Emulator,
    input: dto::DescribeGameSessionQueuesInput,
) -> ApiResult<dto::DescribeGameSessionQueuesOutput> {
    let after = input.next_token.as_deref().map(|t| paging::decode(QUEUES_TOKEN, t)).transpose()?;
    em.with_world(|w, _| {
        if let Some(names) = input.names.as_ref().filter(|n| !n.is_empty()) {
            let found: Vec<dto::GameSessionQueue> =
                names.iter().filter_map(|n| w.queue(n).ok()).map(queue_dto).collect();
            return Ok(dto::DescribeGameSessionQueuesOutput {
                game_session_queues: Some(found),
                next_token: None,
            });
        }
        let (page, next) = w.list_queues(after, super::page_size(input.limit));
        Ok(dto::DescribeGameSessionQueuesOutput {
            game_session_queues: Some(page.into_iter().map(queue_dto).collect()),
            next_token: next.map(|n| paging::encode(QUEUES_TOKEN, n)),
        })
    })
}

/// UpdateGameSessionQueue.
pub(crate) fn update_game_session_queue(
    em: &Emulator,
    input: dto::UpdateGameSessionQueueInput,
) -> ApiResult<dto::UpdateGameSessionQueueOutput> {
    let name = input.name.unwrap_or_default();
    let update = QueueUpdate {
        timeout_s: input.timeout_in_seconds.map(i64::from),
        latency_policies: policies(input.player_latency_policies),
        destinations: destinations(input.destinations),
        allowed_locations: input.filter_configuration.map(|f| f.allowed_locations.unwrap_or_default()),
        priority: priority(input.priority_configuration),
        custom_event_data: input.custom_event_data,
        notification_target: input.notification_target,
    };
    em.with_world(|w, _| {
        let q = w.update_queue(&name, update)?;
        Ok(dto::UpdateGameSessionQueueOutput { game_session_queue: Some(queue_dto(q)) })
    })
}

/// DeleteGameSessionQueue.
pub(crate) fn delete_game_session_queue(
    em: &Emulator,
    input: dto::DeleteGameSessionQueueInput,
) -> ApiResult<dto::DeleteGameSessionQueueOutput> {
    let name = input.name.unwrap_or_default();
    em.with_world(|w, now| w.delete_queue(&name, now))?;
    Ok(dto::DeleteGameSessionQueueOutput {})
}

/// StartGameSessionPlacement.
pub(crate) fn start_game_session_placement(
    em: &Emulator,
    input: dto::StartGameSessionPlacementInput,
) -> ApiResult<dto::StartGameSessionPlacementOutput> {
    let mut latencies = Vec::new();
    for (i, l) in input.player_latencies.unwrap_or_default().into_iter().enumerate() {
        let missing = |what: &str| {
            ApiError::InvalidRequest(format!(
                "PlayerLatencies[{}] has no {what}; every entry needs one.",
                i + 1
            ))
        };
        let ms = l.latency_in_milliseconds.ok_or_else(|| missing("LatencyInMilliseconds"))?;
        if !ms.is_finite() || ms < 0.0 {
            return Err(ApiError::InvalidRequest(format!(
                "PlayerLatencies[{}].LatencyInMilliseconds must be a number of 0 or more.",
                i + 1
            )));
        }
        latencies.push(PlayerLatency {
            player_id: l.player_id.ok_or_else(|| missing("PlayerId"))?,
            region: l.region_identifier.ok_or_else(|| missing("RegionIdentifier"))?,
            ms,
        });
    }
    let override_ = match input.priority_configuration_override {
        None => None,
        Some(o) => Some(PlacementOverride {
            location_order: o.location_order.unwrap_or_default(),
            fallback: match o.placement_fallback_strategy {
                None => None,
                Some(f) => Some(FallbackStrategy::parse(f.as_str()).ok_or_else(|| {
                    ApiError::InvalidRequest(format!(
                        "PlacementFallbackStrategy {} is not valid; use DEFAULT_AFTER_SINGLE_PASS or NONE.",
                        f.as_str()
                    ))
                })?),
            },
        }),
    };
    let req = StartPlacement {
        placement_id: input.placement_id.unwrap_or_default(),
        queue: input.game_session_queue_name.unwrap_or_default(),
        max_players: input.maximum_player_session_count.unwrap_or(0).max(0) as u32,
        name: input.game_session_name,
        properties: input
            .game_properties
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.key.unwrap_or_default(), p.value.unwrap_or_default()))
            .collect(),
        latencies,
        desired: input
            .desired_player_sessions
            .unwrap_or_default()
            .into_iter()
            .map(|d| (d.player_id.unwrap_or_default(), d.player_data))
            .collect(),
        data: input.game_session_data,
        override_,
    };
    if req.desired.iter().any(|(p, _)| p.is_empty()) {
        return Err(ApiError::InvalidRequest("Every DesiredPlayerSessions entry needs a PlayerId.".into()));
    }
    em.with_world(|w, now| {
        let seq = w.start_placement(now, req)?;
        let p = w.placement(seq).ok_or_else(|| ApiError::InternalService("new placement vanished".into()))?;
        Ok(dto::StartGameSessionPlacementOutput { game_session_placement: Some(placement_dto(p)) })
    })
}

/// DescribeGameSessionPlacement.
pub(crate) fn describe_game_session_placement(
    em: &Emulator,
    input: dto::DescribeGameSessionPlacementInput,
) -> ApiResult<dto::DescribeGameSessionPlacementOutput> {
    let id = input.placement_id.unwrap_or_default();
    em.with_world(|w, _| {
        let p = w.placement_by_id(&id)?;
        Ok(dto::DescribeGameSessionPlacementOutput { game_session_placement: Some(placement_dto(p)) })
    })
}

/// StopGameSessionPlacement.
pub(crate) fn stop_game_session_placement(
    em: &Emulator,
    input: dto::StopGameSessionPlacementInput,
) -> ApiResult<dto::StopGameSessionPlacementOutput> {
    let id = input.placement_id.unwrap_or_default();
    em.with_world(|w, now| {
        let seq = w.stop_placement(now, &id)?;
        let p = w.placement(seq).ok_or_else(|| ApiError::InternalService("placement vanished".into()))?;
        Ok(dto::StopGameSessionPlacementOutput { game_session_placement: Some(placement_dto(p)) })
    })
}
