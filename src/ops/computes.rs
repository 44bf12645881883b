//! Anywhere compute operations: RegisterCompute, DescribeCompute, ListCompute,
//! DeregisterCompute and GetComputeAuthToken.

use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{Compute, ComputeSpec};
use crate::model::{World, paging};
use crate::state::Emulator;

const COMPUTES_TOKEN: &str = "compute";

fn compute_dto(em: &Emulator, w: &World, c: &Compute) -> dto::Compute {
    let fleet_arn = w.fleet(&c.fleet_id).ok().map(|f| f.arn.to_string());
    dto::Compute {
        fleet_id: Some(c.fleet_id.to_string()),
        fleet_arn,
        compute_name: Some(c.name.to_string()),
        compute_arn: Some(c.arn.to_string()),
        ip_address: c.ip_address.as_deref().map(str::to_owned),
        dns_name: c.dns_name.as_deref().map(str::to_owned),
        compute_status: Some(dto::ComputeStatus::from_wire(c.status.as_str())),
        location: Some(c.location.to_string()),
        creation_time: Some(dto::Timestamp(c.created_ms)),
        game_lift_service_sdk_endpoint: Some(em.sdk_endpoint()),
        game_lift_agent_endpoint: Some(em.sdk_endpoint()),
        ..Default::default()
    }
}

/// RegisterCompute.
pub(crate) fn register_compute(
    em: &Emulator,
    input: dto::RegisterComputeInput,
) -> ApiResult<dto::RegisterComputeOutput> {
    let fleet = input.fleet_id.unwrap_or_default();
    let spec = ComputeSpec {
        name: input.compute_name.unwrap_or_default(),
        location: input.location,
        ip_address: input.ip_address,
        dns_name: input.dns_name,
        certificate_path: input.certificate_path,
    };
    em.with_world(|w, now| {
        if w.fleet(&fleet)?.compute_type == crate::model::ComputeType::Anywhere && spec.location.is_none() {
            return Err(ApiError::InvalidRequest(
                "Location is required to register a compute in an Anywhere fleet.".into(),
            ));
        }
        let name = w.register_compute(now, &fleet, spec)?.name.clone();
        let c = w.compute(&fleet, &name)?;
        Ok(dto::RegisterComputeOutput { compute: Some(compute_dto(em, w, c)) })
    })
}

/// DescribeCompute.
pub(crate) fn describe_compute(
    em: &Emulator,
    input: dto::DescribeComputeInput,
) -> ApiResult<dto::DescribeComputeOutput> {
    let fleet = input.fleet_id.unwrap_or_default();
    let name = input.compute_name.unwrap_or_default();
    em.with_world(|w, _| {
        let c = w.compute(&fleet, &name)?;
        Ok(dto::DescribeComputeOutput { compute: Some(compute_dto(em, w, c)) })
    })
}

/// ListCompute (by name; Location and ComputeStatus filters; Limit/NextToken).
pub(crate) fn list_compute(em: &Emulator, input: dto::ListComputeInput) -> ApiResult<dto::ListComputeOutput> {
    let fleet = input.fleet_id.unwrap_or_default();
    let skip =
        input.next_token.as_deref().map(|t| paging::decode(COMPUTES_TOKEN, t)).transpose()?.unwrap_or(0);
    let status = input.compute_status.map(|s| s.as_str().to_string());
    em.with_world(|w, _| {
        let all = w.computes(&fleet, input.location.as_deref())?;
        let items = all
            .into_iter()
            .filter(|c| status.as_deref().is_none_or(|s| c.status.as_str() == s))
            .enumerate()
            .skip(skip as usize)
            .map(|(i, c)| (i as u64 + 1, c));
        let (page, next) = paging::page(items, super::page_size(input.limit));
        Ok(dto::ListComputeOutput {
            compute_list: Some(page.into_iter().map(|c| compute_dto(em, w, c)).collect()),
            next_token: next.map(|n| paging::encode(COMPUTES_TOKEN, n)),
        })
    })
}

/// DeregisterCompute: processes on the compute end, and so do their game sessions.
pub(crate) fn deregister_compute(
    em: &Emulator,
    input: dto::DeregisterComputeInput,
) -> ApiResult<dto::DeregisterComputeOutput> {
    let fleet = input.fleet_id.unwrap_or_default();
    let name = input.compute_name.unwrap_or_default();
    em.with_world(|w, now| w.deregister_compute(now, &fleet, &name))?;
    Ok(dto::DeregisterComputeOutput {})
}

/// GetComputeAuthToken.
pub(crate) fn get_compute_auth_token(
    em: &Emulator,
    input: dto::GetComputeAuthTokenInput,
) -> ApiResult<dto::GetComputeAuthTokenOutput> {
    let fleet = input.fleet_id.unwrap_or_default();
    let name = input.compute_name.unwrap_or_default();
    em.with_world(|w, now| {
        let (token, expires_ms) = w.issue_auth_token(now, &fleet, &name)?;
        let f = w.fleet(&fleet)?;
        let compute_name = crate::model::ids::id_from_id_or_arn(&name, "compute").to_string();
        let compute_arn = crate::model::ids::resource_arn(&f.home_region, "compute", &compute_name);
        Ok(dto::GetComputeAuthTokenOutput {
            fleet_id: Some(f.id.to_string()),
            fleet_arn: Some(f.arn.to_string()),
            compute_name: Some(compute_name),
            compute_arn: Some(compute_arn),
            auth_token: Some(token),
            expiration_timestamp: Some(dto::Timestamp(expires_ms)),
        })
    })
}
