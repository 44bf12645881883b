//! Custom location operations (GameLift Anywhere) and ListLocations.

use super::tags::tags_from_dto;
use crate::dto;
use crate::error::ApiResult;
use crate::model::location::{LocationEntry, LocationQuery, PING_BEACON_PORT, ping_beacon_domain};
use crate::model::paging;
use crate::state::Emulator;

const LOCATIONS_TOKEN: &str = "location";

fn location_dto(entry: LocationEntry<'_>) -> dto::LocationModel {
    match entry {
        LocationEntry::Aws(region) => dto::LocationModel {
            location_name: Some(region.to_owned()),
            location_arn: None,
            ping_beacon: Some(dto::PingBeacon {
                udp_endpoint: Some(dto::UDPEndpoint {
                    domain: Some(ping_beacon_domain(region)),
                    port: Some(i32::from(PING_BEACON_PORT)),
                }),
            }),
        },
        LocationEntry::Custom(l) => dto::LocationModel {
            location_name: Some(l.name.to_string()),
            location_arn: Some(l.arn.to_string()),
            ping_beacon: None,
        },
    }
}

/// CreateLocation.
pub(crate) fn create_location(
    em: &Emulator,
    input: dto::CreateLocationInput,
) -> ApiResult<dto::CreateLocationOutput> {
    let name = input.location_name.unwrap_or_default();
    let tags = tags_from_dto(input.tags);
    em.with_world(|w, now| {
        let loc = w.create_location(&name, tags, now)?;
        Ok(dto::CreateLocationOutput { location: Some(location_dto(LocationEntry::Custom(loc))) })
    })
}

/// DeleteLocation.
pub(crate) fn delete_location(
    em: &Emulator,
    input: dto::DeleteLocationInput,
) -> ApiResult<dto::DeleteLocationOutput> {
    let name = input.location_name.unwrap_or_default();
    em.with_world(|w, _| w.delete_location(&name))?;
    Ok(dto::DeleteLocationOutput {})
}

/// ListLocations: no filter (or both) lists AWS and custom locations.
pub(crate) fn list_locations(
    em: &Emulator,
    input: dto::ListLocationsInput,
) -> ApiResult<dto::ListLocationsOutput> {
    let after = input.next_token.as_deref().map(|t| paging::decode(LOCATIONS_TOKEN, t)).transpose()?;
    let filters = input.filters.unwrap_or_default();
    let all = filters.is_empty();
    let q = LocationQuery {
        aws: all || filters.contains(&dto::LocationFilter::Aws),
        custom: all || filters.contains(&dto::LocationFilter::Custom),
        after,
        limit: super::page_size(input.limit),
    };
    em.with_world(|w, _| {
        let (page, next) = w.list_locations(&q);
        Ok(dto::ListLocationsOutput {
            locations: Some(page.into_iter().map(location_dto).collect()),
            next_token: next.map(|n| paging::encode(LOCATIONS_TOKEN, n)),
        })
    })
}
