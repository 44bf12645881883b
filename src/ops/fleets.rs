//! Fleet operations: fleets, their locations, capacity, utilization, events and instances.
//!
//! The rules live in the model (`model::fleet`, `model::fleet_lifecycle`,
//! `model::fleet_capacity`); this module converts between the wire shapes and the model.

use super::Unit;
use super::tags::tags_from_dto;
use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::model::fleet::{
    ComputeType, CreationLimit, Fleet, FleetAttrs, FleetEvent, FleetLocation, Instance, IpPermission,
    ManagedCapacity, RuntimeConfig, ServerProcess,
};
use crate::model::fleet::{DEFAULT_ACTIVATION_TIMEOUT_SECONDS, DEFAULT_MAX_CONCURRENT_ACTIVATIONS};
use crate::model::fleet_capacity::{CapacityUpdate, InstanceQuery};
use crate::model::fleet_lifecycle::{CreateFleet, EventQuery, FleetQuery, FleetUpdate};
use crate::model::{ProtectionPolicy, World, game_session, ids, paging};
use crate::state::Emulator;

const FLEETS_TOKEN: &str = "fleet";
const EVENTS_TOKEN: &str = "fleet-event";
const INSTANCES_TOKEN: &str = "instance";
const LOCATIONS_TOKEN: &str = "fleet-location";

fn count(n: u32) -> Option<i32> {
    Some(i32::try_from(n).unwrap_or(i32::MAX))
}

fn whole(n: Option<i32>) -> Option<u32> {
    n.map(|v| v.max(0) as u32)
}

// ---------------------------------------------------------------------------------- to the wire

fn runtime_dto(r: &RuntimeConfig) -> dto::RuntimeConfiguration {
    dto::RuntimeConfiguration {
        server_processes: Some(
            r.server_processes
                .iter()
                .map(|p| dto::ServerProcess {
                    launch_path: Some(p.launch_path.clone()),
                    parameters: p.parameters.clone(),
                    concurrent_executions: count(p.concurrent_executions),
                })
                .collect(),
        ),
        max_concurrent_game_session_activations: count(
            r.max_concurrent_activations.unwrap_or(DEFAULT_MAX_CONCURRENT_ACTIVATIONS),
        ),
        game_session_activation_timeout_seconds: count(
            r.activation_timeout_seconds.unwrap_or(DEFAULT_ACTIVATION_TIMEOUT_SECONDS),
        ),
    }
}

fn permission_dto(p: &IpPermission) -> dto::IpPermission {
    dto::IpPermission {
        from_port: Some(i32::from(p.from_port)),
        to_port: Some(i32::from(p.to_port)),
        ip_range: Some(p.ip_range.clone()),
        protocol: Some(dto::IpProtocol::from_wire(&p.protocol)),
    }
}

fn limit_dto(l: &CreationLimit) -> dto::ResourceCreationLimitPolicy {
    dto::ResourceCreationLimitPolicy {
        new_game_sessions_per_creator: count(l.per_creator),
        policy_period_in_minutes: count(l.period_minutes),
    }
}

/// The wire shape of a fleet's attributes.
fn fleet_attributes_dto(f: &Fleet) -> dto::FleetAttributes {
    let a = &f.attrs;
    let ec2 = f.compute_type == ComputeType::Ec2;
    dto::FleetAttributes {
        fleet_id: Some(f.id.to_string()),
        fleet_arn: Some(f.arn.to_string()),
        fleet_type: a.fleet_type.as_deref().or(ec2.then_some("ON_DEMAND")).map(dto::FleetType::from_wire),
        instance_type: a.instance_type.as_deref().map(dto::EC2InstanceType::from_wire),
        description: f.description.clone(),
        name: Some(f.name.clone()),
        creation_time: Some(dto::Timestamp(f.creation_time_ms)),
        termination_time: None,
        status: Some(dto::FleetStatus::from_wire(f.status.as_str())),
        build_id: a.build_id.clone(),
        build_arn: a.build_id.as_deref().map(|b| ids::resource_arn(&f.home_region, "build", b)),
        script_id: a.script_id.clone(),
        script_arn: a.script_id.as_deref().map(|s| ids::resource_arn(&f.home_region, "script", s)),
        server_launch_path: a.server_launch_path.clone(),
        server_launch_parameters: a.server_launch_parameters.clone(),
        log_paths: (!a.log_paths.is_empty()).then(|| a.log_paths.clone()),
        new_game_session_protection_policy: Some(dto::ProtectionPolicy::from_wire(f.protection.as_str())),
        operating_system: a.operating_system.as_deref().map(dto::OperatingSystem::from_wire),
        resource_creation_limit_policy: f.creation_limit_policy.as_ref().map(limit_dto),
        metric_groups: Some(if a.metric_groups.is_empty() {
            vec!["default".into()]
        } else {
            a.metric_groups.clone()
        }),
        stopped_actions: None,
        instance_role_arn: a.instance_role_arn.clone(),
        certificate_configuration: a.certificate_type.as_deref().or(ec2.then_some("DISABLED")).map(|c| {
            dto::CertificateConfiguration { certificate_type: Some(dto::CertificateType::from_wire(c)) }
        }),
        compute_type: Some(dto::ComputeType::from_wire(f.compute_type.as_str())),
        anywhere_configuration: a
            .anywhere_cost
            .as_ref()
            .map(|c| dto::AnywhereConfiguration { cost: Some(c.clone()) }),
        instance_role_credentials_provider: a
            .instance_role_credentials_provider
            .as_deref()
            .map(dto::InstanceRoleCredentialsProvider::from_wire),
        player_gateway_mode: a.player_gateway_mode.as_deref().map(dto::PlayerGatewayMode::from_wire),
        player_gateway_configuration: a.player_gateway_ip_protocol.as_deref().map(|p| {
            dto::PlayerGatewayConfiguration {
                game_server_ip_protocol_supported: Some(dto::GameServerIpProtocolSupported::from_wire(p)),
            }
        }),
    }
}

fn location_state_dto(l: &FleetLocation) -> dto::LocationState {
    dto::LocationState {
        location: Some(l.name.to_string()),
        status: Some(dto::FleetStatus::from_wire(l.status.as_str())),
        player_gateway_status: None,
    }
}

fn location_states(f: &Fleet, keys: Option<&[u64]>) -> Vec<dto::LocationState> {
    f.locations.iter().filter(|l| keys.is_none_or(|k| k.contains(&l.key))).map(location_state_dto).collect()
}

fn managed_dto(m: &ManagedCapacity) -> dto::ManagedCapacityConfiguration {
    dto::ManagedCapacityConfiguration {
        zero_capacity_strategy: m.zero_capacity_strategy.as_deref().map(dto::ZeroCapacityStrategy::from_wire),
        scale_in_after_inactivity_minutes: m.scale_in_after_inactivity_minutes.and_then(count),
    }
}

pub(crate) fn capacity_dto(f: &Fleet, l: &FleetLocation) -> dto::FleetCapacity {
    let c = l.instance_counts();
    dto::FleetCapacity {
        fleet_id: Some(f.id.to_string()),
        fleet_arn: Some(f.arn.to_string()),
        instance_type: f.attrs.instance_type.as_deref().map(dto::EC2InstanceType::from_wire),
        instance_counts: Some(dto::EC2InstanceCounts {
            desired: count(c.desired),
            minimum: count(c.minimum),
            maximum: count(c.maximum),
            pending: count(c.pending),
            active: count(c.active),
            idle: count(c.idle),
            terminating: count(c.terminating),
        }),
        location: Some(l.name.to_string()),
        game_server_container_group_counts: None,
        managed_capacity_configuration: l.managed_capacity.as_ref().map(managed_dto),
    }
}

pub(crate) fn utilization_dto(w: &World, f: &Fleet, idx: usize) -> dto::FleetUtilization {
    let u = w.location_utilization(f, idx);
    dto::FleetUtilization {
        fleet_id: Some(f.id.to_string()),
        fleet_arn: Some(f.arn.to_string()),
        active_server_process_count: count(u.active_server_processes),
        active_game_session_count: count(u.active_game_sessions),
        current_player_session_count: count(u.current_players),
        maximum_player_session_count: count(u.max_players),
        location: f.locations.get(idx).map(|l| l.name.to_string()),
    }
}

fn event_dto(f: &Fleet, e: &FleetEvent) -> dto::Event {
    dto::Event {
        event_id: Some(e.id.to_string()),
        resource_id: Some(f.id.to_string()),
        event_code: Some(dto::EventCode::from_wire(e.code.as_str())),
        message: Some(e.message.clone()),
        event_time: Some(dto::Timestamp(e.time_ms)),
        pre_signed_log_url: None,
        count: None,
    }
}

fn instance_dto(f: &Fleet, l: &FleetLocation, i: &Instance) -> dto::Instance {
    dto::Instance {
        fleet_id: Some(f.id.to_string()),
        fleet_arn: Some(f.arn.to_string()),
        instance_id: Some(i.id.to_string()),
        ip_address: Some(f.ip_address.to_string()),
        dns_name: Some(f.dns_name.to_string()),
        operating_system: f.attrs.operating_system.as_deref().map(dto::OperatingSystem::from_wire),
        r#type: f.attrs.instance_type.as_deref().map(dto::EC2InstanceType::from_wire),
        status: Some(dto::InstanceStatus::from_wire(i.status.as_str())),
        creation_time: Some(dto::Timestamp(i.created_ms)),
        location: Some(l.name.to_string()),
    }
}

// -------------------------------------------------------------------------------- from the wire

fn runtime_from_dto(r: dto::RuntimeConfiguration) -> RuntimeConfig {
    RuntimeConfig {
        server_processes: r
            .server_processes
            .unwrap_or_default()
            .into_iter()
            .map(|p| ServerProcess {
                launch_path: p.launch_path.unwrap_or_default(),
                parameters: p.parameters,
                concurrent_executions: whole(p.concurrent_executions).unwrap_or(0),
            })
            .collect(),
        max_concurrent_activations: whole(r.max_concurrent_game_session_activations),
        activation_timeout_seconds: whole(r.game_session_activation_timeout_seconds),
    }
}

fn permissions_from_dto(perms: Option<Vec<dto::IpPermission>>) -> Vec<IpPermission> {
    perms
        .unwrap_or_default()
        .into_iter()
        .map(|p| IpPermission {
            from_port: p.from_port.unwrap_or(0).clamp(0, i32::from(u16::MAX)) as u16,
            to_port: p.to_port.unwrap_or(0).clamp(0, i32::from(u16::MAX)) as u16,
            ip_range: p.ip_range.unwrap_or_default(),
            protocol: p.protocol.map(|x| x.as_str().to_owned()).unwrap_or_default(),
        })
        .collect()
}

fn limit_from_dto(l: dto::ResourceCreationLimitPolicy) -> CreationLimit {
    CreationLimit {
        per_creator: whole(l.new_game_sessions_per_creator).unwrap_or(0),
        period_minutes: whole(l.policy_period_in_minutes).unwrap_or(0),
    }
}

fn protection_from_dto(p: Option<dto::ProtectionPolicy>) -> Option<ProtectionPolicy> {
    p.and_then(|p| ProtectionPolicy::parse(p.as_str()))
}

fn fleet_query_after(token: Option<&str>) -> ApiResult<Option<u64>> {
    token.map(|t| paging::decode(FLEETS_TOKEN, t)).transpose()
}

/// The fleets a Describe operation over "one or more fleets" covers: the ones asked for (in
/// the order asked, unknown ones left out, Limit and NextToken ignored, as documented), or
/// every fleet in creation order, one page at a time.
fn fleets_page<'a>(
    w: &'a World,
    fleet_ids: Option<&[String]>,
    limit: Option<i32>,
    after: Option<u64>,
) -> (Vec<&'a Fleet>, Option<String>) {
    match fleet_ids {
        Some(ids) => (w.fleets_by_ids(ids), None),
        None => {
            let q = FleetQuery { after, limit: super::page_size(limit), ..Default::default() };
            let (page, next) = w.list_fleets(&q);
            (page, next.map(|n| paging::encode(FLEETS_TOKEN, n)))
        }
    }
}

// ---------------------------------------------------------------------------------- operations

/// CreateFleet.
pub(crate) fn create_fleet(em: &Emulator, input: dto::CreateFleetInput) -> ApiResult<dto::CreateFleetOutput> {
    let compute_type = match input.compute_type.as_ref().map(|c| c.as_str()) {
        None => ComputeType::Ec2,
        Some(c) => ComputeType::parse(c).ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "ComputeType {c} is not supported by CreateFleet; use EC2 or ANYWHERE."
            ))
        })?,
    };
    let attrs = FleetAttrs {
        instance_type: input.ec2_instance_type.map(|t| t.as_str().to_owned()),
        fleet_type: input.fleet_type.map(|t| t.as_str().to_owned()),
        operating_system: None,
        build_id: input.build_id,
        script_id: input.script_id,
        inbound_permissions: permissions_from_dto(input.ec2_inbound_permissions),
        metric_groups: input.metric_groups.unwrap_or_default(),
        instance_role_arn: input.instance_role_arn,
        instance_role_credentials_provider: input
            .instance_role_credentials_provider
            .map(|p| p.as_str().to_owned()),
        certificate_type: input
            .certificate_configuration
            .and_then(|c| c.certificate_type)
            .map(|t| t.as_str().to_owned()),
        server_launch_path: input.server_launch_path,
        server_launch_parameters: input.server_launch_parameters,
        log_paths: input.log_paths.unwrap_or_default(),
        anywhere_cost: input.anywhere_configuration.and_then(|a| a.cost),
        player_gateway_mode: input.player_gateway_mode.map(|m| m.as_str().to_owned()),
        player_gateway_ip_protocol: input
            .player_gateway_configuration
            .and_then(|c| c.game_server_ip_protocol_supported)
            .map(|p| p.as_str().to_owned()),
    };
    let req = CreateFleet {
        name: input.name.unwrap_or_default(),
        description: input.description,
        compute_type,
        runtime: input.runtime_configuration.map(runtime_from_dto),
        protection: protection_from_dto(input.new_game_session_protection_policy)
            .unwrap_or(ProtectionPolicy::NoProtection),
        creation_limit: input.resource_creation_limit_policy.map(limit_from_dto),
        locations: input
            .locations
            .unwrap_or_default()
            .into_iter()
            .map(|l| l.location.unwrap_or_default())
            .collect(),
        attrs,
    };
    let tags = tags_from_dto(input.tags);
    em.with_world(|w, now| {
        let id = w.create_fleet(req, tags, now)?;
        let f = w.fleet(&id)?;
        Ok(dto::CreateFleetOutput {
            fleet_attributes: Some(fleet_attributes_dto(f)),
            location_states: Some(location_states(f, None)),
        })
    })
}

/// DescribeFleetAttributes.
pub(crate) fn describe_fleet_attributes(
    em: &Emulator,
    input: dto::DescribeFleetAttributesInput,
) -> ApiResult<dto::DescribeFleetAttributesOutput> {
    let after = fleet_query_after(input.next_token.as_deref())?;
    em.with_world(|w, _| {
        let (page, next) = fleets_page(w, input.fleet_ids.as_deref(), input.limit, after);
        Ok(dto::DescribeFleetAttributesOutput {
            fleet_attributes: Some(page.into_iter().map(fleet_attributes_dto).collect()),
            next_token: next,
        })
    })
}

/// ListFleets.
pub(crate) fn list_fleets(em: &Emulator, input: dto::ListFleetsInput) -> ApiResult<dto::ListFleetsOutput> {
    let after = fleet_query_after(input.next_token.as_deref())?;
    em.with_world(|w, _| {
        let q = FleetQuery {
            build_id: input.build_id.as_deref(),
            script_id: input.script_id.as_deref(),
            after,
            limit: super::page_size(input.limit),
        };
        let (page, next) = w.list_fleets(&q);
        Ok(dto::ListFleetsOutput {
            fleet_ids: Some(page.into_iter().map(|f| f.id.to_string()).collect()),
            next_token: next.map(|n| paging::encode(FLEETS_TOKEN, n)),
        })
    })
}

/// UpdateFleetAttributes.
pub(crate) fn update_fleet_attributes(
    em: &Emulator,
    input: dto::UpdateFleetAttributesInput,
) -> ApiResult<dto::UpdateFleetAttributesOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let update = FleetUpdate {
        name: input.name,
        description: input.description,
        protection: protection_from_dto(input.new_game_session_protection_policy),
        creation_limit: input.resource_creation_limit_policy.map(limit_from_dto),
        metric_groups: input.metric_groups,
        anywhere_cost: input.anywhere_configuration.and_then(|a| a.cost),
    };
    em.with_world(|w, now| {
        let f = w.update_fleet_attributes(&id, update, now)?;
        Ok(dto::UpdateFleetAttributesOutput {
            fleet_id: Some(f.id.to_string()),
            fleet_arn: Some(f.arn.to_string()),
        })
    })
}

/// DeleteFleet.
pub(crate) fn delete_fleet(em: &Emulator, input: dto::DeleteFleetInput) -> ApiResult<Unit> {
    let id = input.fleet_id.unwrap_or_default();
    em.with_world(|w, now| w.delete_fleet(&id, now))?;
    Ok(Unit)
}

/// DescribeRuntimeConfiguration.
pub(crate) fn describe_runtime_configuration(
    em: &Emulator,
    input: dto::DescribeRuntimeConfigurationInput,
) -> ApiResult<dto::DescribeRuntimeConfigurationOutput> {
    let id = input.fleet_id.unwrap_or_default();
    em.with_world(|w, _| {
        let f = w.fleet(&id)?;
        Ok(dto::DescribeRuntimeConfigurationOutput { runtime_configuration: Some(runtime_dto(&f.runtime)) })
    })
}

/// UpdateRuntimeConfiguration.
pub(crate) fn update_runtime_configuration(
    em: &Emulator,
    input: dto::UpdateRuntimeConfigurationInput,
) -> ApiResult<dto::UpdateRuntimeConfigurationOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let runtime = runtime_from_dto(input.runtime_configuration.unwrap_or_default());
    em.with_world(|w, _| {
        let f = w.update_runtime_configuration(&id, runtime)?;
        Ok(dto::UpdateRuntimeConfigurationOutput { runtime_configuration: Some(runtime_dto(&f.runtime)) })
    })
}

/// DescribeFleetPortSettings.
pub(crate) fn describe_fleet_port_settings(
    em: &Emulator,
    input: dto::DescribeFleetPortSettingsInput,
) -> ApiResult<dto::DescribeFleetPortSettingsOutput> {
    let id = input.fleet_id.unwrap_or_default();
    em.with_world(|w, _| {
        let f = w.fleet(&id)?;
        let location = match input.location.as_deref() {
            Some(name) => Some(f.locations[game_session::locate(f, name)?].name.to_string()),
            None => None,
        };
        Ok(dto::DescribeFleetPortSettingsOutput {
            fleet_id: Some(f.id.to_string()),
            fleet_arn: Some(f.arn.to_string()),
            inbound_permissions: Some(f.attrs.inbound_permissions.iter().map(permission_dto).collect()),
            update_status: None,
            location,
        })
    })
}

/// UpdateFleetPortSettings.
pub(crate) fn update_fleet_port_settings(
    em: &Emulator,
    input: dto::UpdateFleetPortSettingsInput,
) -> ApiResult<dto::UpdateFleetPortSettingsOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let add = permissions_from_dto(input.inbound_permission_authorizations);
    let remove = permissions_from_dto(input.inbound_permission_revocations);
    em.with_world(|w, _| {
        let f = w.update_port_settings(&id, add, remove)?;
        Ok(dto::UpdateFleetPortSettingsOutput {
            fleet_id: Some(f.id.to_string()),
            fleet_arn: Some(f.arn.to_string()),
        })
    })
}

/// DescribeFleetEvents: newest first.
pub(crate) fn describe_fleet_events(
    em: &Emulator,
    input: dto::DescribeFleetEventsInput,
) -> ApiResult<dto::DescribeFleetEventsOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let before = input.next_token.as_deref().map(|t| paging::decode(EVENTS_TOKEN, t)).transpose()?;
    let q = EventQuery {
        start_ms: input.start_time.map(|t| t.millis()),
        end_ms: input.end_time.map(|t| t.millis()),
        before,
        limit: super::page_size(input.limit),
    };
    em.with_world(|w, _| {
        let f = w.fleet(&id)?;
        let (page, next) = w.fleet_events(f, &q);
        Ok(dto::DescribeFleetEventsOutput {
            events: Some(page.into_iter().map(|e| event_dto(f, e)).collect()),
            next_token: next.map(|n| paging::encode(EVENTS_TOKEN, n)),
        })
    })
}

/// DescribeInstances.
pub(crate) fn describe_instances(
    em: &Emulator,
    input: dto::DescribeInstancesInput,
) -> ApiResult<dto::DescribeInstancesOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let after = input.next_token.as_deref().map(|t| paging::decode(INSTANCES_TOKEN, t)).transpose()?;
    em.with_world(|w, _| {
        let f = w.fleet(&id)?;
        let q = InstanceQuery {
            location: input.location.as_deref(),
            instance_id: input.instance_id.as_deref(),
            after,
            limit: super::page_size(input.limit),
        };
        let (page, next) = w.list_instances(f, &q)?;
        Ok(dto::DescribeInstancesOutput {
            instances: Some(page.into_iter().map(|(l, i)| instance_dto(f, l, i)).collect()),
            next_token: next.map(|n| paging::encode(INSTANCES_TOKEN, n)),
        })
    })
}

/// DescribeFleetCapacity: the home Region of each fleet.
pub(crate) fn describe_fleet_capacity(
    em: &Emulator,
    input: dto::DescribeFleetCapacityInput,
) -> ApiResult<dto::DescribeFleetCapacityOutput> {
    let after = fleet_query_after(input.next_token.as_deref())?;
    em.with_world(|w, _| {
        let (page, next) = fleets_page(w, input.fleet_ids.as_deref(), input.limit, after);
        Ok(dto::DescribeFleetCapacityOutput {
            fleet_capacity: Some(
                page.into_iter().filter_map(|f| f.locations.first().map(|l| capacity_dto(f, l))).collect(),
            ),
            next_token: next,
        })
    })
}

/// UpdateFleetCapacity.
pub(crate) fn update_fleet_capacity(
    em: &Emulator,
    input: dto::UpdateFleetCapacityInput,
) -> ApiResult<dto::UpdateFleetCapacityOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let update = CapacityUpdate {
        desired: whole(input.desired_instances),
        min: whole(input.min_size),
        max: whole(input.max_size),
        location: input.location,
        managed: input.managed_capacity_configuration.map(|m| ManagedCapacity {
            zero_capacity_strategy: m.zero_capacity_strategy.map(|z| z.as_str().to_owned()),
            scale_in_after_inactivity_minutes: whole(m.scale_in_after_inactivity_minutes),
        }),
    };
    em.with_world(|w, now| {
        let (fleet_id, location) = w.update_fleet_capacity(&id, update, now)?;
        let f = w.fleet(&fleet_id)?;
        let managed = f.location_index(&location).and_then(|i| f.locations[i].managed_capacity.as_ref());
        Ok(dto::UpdateFleetCapacityOutput {
            fleet_id: Some(f.id.to_string()),
            fleet_arn: Some(f.arn.to_string()),
            location: Some(location.to_string()),
            managed_capacity_configuration: managed.map(managed_dto),
        })
    })
}

/// DescribeFleetUtilization: the home Region of each fleet.
pub(crate) fn describe_fleet_utilization(
    em: &Emulator,
    input: dto::DescribeFleetUtilizationInput,
) -> ApiResult<dto::DescribeFleetUtilizationOutput> {
    let after = fleet_query_after(input.next_token.as_deref())?;
    em.with_world(|w, _| {
        let (page, next) = fleets_page(w, input.fleet_ids.as_deref(), input.limit, after);
        Ok(dto::DescribeFleetUtilizationOutput {
            fleet_utilization: Some(page.into_iter().map(|f| utilization_dto(w, f, 0)).collect()),
            next_token: next,
        })
    })
}

/// DescribeFleetLocationCapacity.
pub(crate) fn describe_fleet_location_capacity(
    em: &Emulator,
    input: dto::DescribeFleetLocationCapacityInput,
) -> ApiResult<dto::DescribeFleetLocationCapacityOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let location = input.location.unwrap_or_default();
    em.with_world(|w, _| {
        let f = w.fleet(&id)?;
        let i = game_session::locate(f, &location)?;
        Ok(dto::DescribeFleetLocationCapacityOutput {
            fleet_capacity: Some(capacity_dto(f, &f.locations[i])),
        })
    })
}

/// DescribeFleetLocationUtilization.
pub(crate) fn describe_fleet_location_utilization(
    em: &Emulator,
    input: dto::DescribeFleetLocationUtilizationInput,
) -> ApiResult<dto::DescribeFleetLocationUtilizationOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let location = input.location.unwrap_or_default();
    em.with_world(|w, _| {
        let f = w.fleet(&id)?;
        let i = game_session::locate(f, &location)?;
        Ok(dto::DescribeFleetLocationUtilizationOutput { fleet_utilization: Some(utilization_dto(w, f, i)) })
    })
}

/// CreateFleetLocations.
pub(crate) fn create_fleet_locations(
    em: &Emulator,
    input: dto::CreateFleetLocationsInput,
) -> ApiResult<dto::CreateFleetLocationsOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let names: Vec<String> =
        input.locations.unwrap_or_default().into_iter().map(|l| l.location.unwrap_or_default()).collect();
    em.with_world(|w, now| {
        let (fleet_id, keys) = w.create_fleet_locations(&id, names, now)?;
        let f = w.fleet(&fleet_id)?;
        Ok(dto::CreateFleetLocationsOutput {
            fleet_id: Some(f.id.to_string()),
            fleet_arn: Some(f.arn.to_string()),
            location_states: Some(location_states(f, Some(&keys))),
        })
    })
}

/// DeleteFleetLocations.
pub(crate) fn delete_fleet_locations(
    em: &Emulator,
    input: dto::DeleteFleetLocationsInput,
) -> ApiResult<dto::DeleteFleetLocationsOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let names = input.locations.unwrap_or_default();
    em.with_world(|w, now| {
        let (fleet_id, keys) = w.delete_fleet_locations(&id, &names, now)?;
        let f = w.fleet(&fleet_id)?;
        Ok(dto::DeleteFleetLocationsOutput {
            fleet_id: Some(f.id.to_string()),
            fleet_arn: Some(f.arn.to_string()),
            location_states: Some(location_states(f, Some(&keys))),
        })
    })
}

/// DescribeFleetLocationAttributes: remote locations only (the home Region is described by
/// DescribeFleetAttributes), in the order asked, or all in the order they were added.
pub(crate) fn describe_fleet_location_attributes(
    em: &Emulator,
    input: dto::DescribeFleetLocationAttributesInput,
) -> ApiResult<dto::DescribeFleetLocationAttributesOutput> {
    let id = input.fleet_id.unwrap_or_default();
    let after = input.next_token.as_deref().map(|t| paging::decode(LOCATIONS_TOKEN, t)).transpose()?;
    em.with_world(|w, _| {
        let f = w.fleet(&id)?;
        let remote: Vec<&FleetLocation> = match input.locations.as_deref() {
            Some(names) => {
                let mut out: Vec<&FleetLocation> = Vec::with_capacity(names.len());
                for n in names {
                    if let Some(i) = f.location_index(n).filter(|i| *i > 0)
                        && !out.iter().any(|l| l.key == f.locations[i].key)
                    {
                        out.push(&f.locations[i]);
                    }
                }
                out
            }
            None => f.locations.iter().skip(1).collect(),
        };
        let items = remote
            .into_iter()
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l))
            .filter(|(pos, _)| after.is_none_or(|a| *pos > a));
        let (page, next) = paging::page(items, super::page_size(input.limit));
        Ok(dto::DescribeFleetLocationAttributesOutput {
            fleet_id: Some(f.id.to_string()),
            fleet_arn: Some(f.arn.to_string()),
            location_attributes: Some(
                page.into_iter()
                    .map(|l| dto::LocationAttributes {
                        location_state: Some(location_state_dto(l)),
                        stopped_actions: None,
                        update_status: None,
                    })
                    .collect(),
            ),
            next_token: next.map(|n| paging::encode(LOCATIONS_TOKEN, n)),
        })
    })
}
