//! Custom locations (GameLift Anywhere) and the list of AWS locations.
//!
//! A custom location is a name `custom-...` (8..64 characters, checked by the generated
//! validation) with an ARN `arn:aws:gamelift:<region>:<account>:location/<name>` — the form
//! real `create-location` output shows (the `LocationModel` documentation's
//! `location/location-<uuid>` contradicts its own pattern `^arn:.*:location\/custom-\S+`).
//!
//! ListLocations shows the AWS Regions of the emulator's partition (from `regions.rs`, each with
//! its documented UDP ping beacon `gamelift-ping.<region>.api.aws:7770`) and then the custom
//! locations in creation order.

use std::sync::Arc;

use super::{Now, World, regions};
use crate::error::{ApiError, ApiResult};

/// UDP port of GameLift's ping beacons (model documentation of `UDPEndpoint.Port`).
pub const PING_BEACON_PORT: u16 = 7770;

/// Cursor positions of custom locations start here, after every AWS Region.
const CUSTOM_POS_BASE: u64 = 1 << 32;

/// A custom location.
#[derive(Debug, Clone)]
pub struct CustomLocation {
    /// `custom-...`
    pub name: Arc<str>,
    /// `arn:aws:gamelift:<region>:<account>:location/<name>`
    pub arn: Arc<str>,
    /// Creation order.
    pub seq: u64,
    /// Creation time (epoch ms).
    pub creation_time_ms: i64,
}

/// One row of ListLocations.
#[derive(Debug, Clone, Copy)]
pub enum LocationEntry<'a> {
    /// An AWS Region.
    Aws(&'static str),
    /// A custom location.
    Custom(&'a CustomLocation),
}

/// Which locations one ListLocations page shows.
#[derive(Debug, Clone, Copy)]
pub struct LocationQuery {
    /// Include AWS Regions.
    pub aws: bool,
    /// Include custom locations.
    pub custom: bool,
    /// Resume after this position.
    pub after: Option<u64>,
    /// Page size.
    pub limit: usize,
}

/// The domain of the UDP ping beacon of an AWS Region.
pub fn ping_beacon_domain(region: &str) -> String {
    format!("gamelift-ping.{region}.api.aws")
}

/// The AWS partition a Region belongs to.
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The name inside a custom location name or ARN.
fn name_of(name_or_arn: &str) -> &str {
    if name_or_arn.starts_with("arn:")
        && let Some(pos) = name_or_arn.rfind("location/")
    {
        return &name_or_arn[pos + "location/".len()..];
    }
    name_or_arn
}

fn location_not_found(name: &str) -> ApiError {
    ApiError::NotFound(format!("Custom location {name} not found."))
}

impl World {
    /// CreateLocation: `ConflictException` if a custom location with that name exists,
    /// `TaggingFailedException` for tags that break the tagging rules.
    pub fn create_location(
        &mut self,
        name: &str,
        tags: Vec<(String, String)>,
        now: Now,
    ) -> ApiResult<&CustomLocation> {
        if self.custom_locations.contains_key(name) {
            return Err(ApiError::Conflict(format!("Custom location {name} already exists.")));
        }
        super::tags::check_tags(&tags)?;
        let arn: Arc<str> =
            format!("arn:aws:gamelift:{}:{}:location/{name}", self.settings.region, self.settings.account_id)
                .into();
        let seq = self.next_seq();
        let loc = CustomLocation { name: name.into(), arn: arn.clone(), seq, creation_time_ms: now.wall_ms };
        let key = loc.name.clone();
        self.custom_locations.insert(key.clone(), loc);
        self.put_tags(&arn, tags)?;
        self.custom_locations.get(&key).ok_or_else(|| location_not_found(&key))
    }

    /// A custom location by name or ARN (`NotFoundException` when unknown). CreateFleet and
    /// CreateFleetLocations use it to check a `custom-...` location exists.
    pub fn custom_location(&self, name_or_arn: &str) -> ApiResult<&CustomLocation> {
        let name = name_of(name_or_arn);
        self.custom_locations.get(name).ok_or_else(|| location_not_found(name))
    }

    /// DeleteLocation: `NotFoundException` when unknown; `InvalidRequestException` while a fleet
    /// still has the location (the only fitting error the operation declares; its documentation
    /// asks to remove the location from fleets first).
    pub fn delete_location(&mut self, name_or_arn: &str) -> ApiResult<()> {
        let name = name_of(name_or_arn);
        if !self.custom_locations.contains_key(name) {
            return Err(location_not_found(name));
        }
        let mut users: Vec<&str> = self
            .fleets
            .values()
            .filter(|f| f.locations.iter().any(|l| &*l.name == name))
            .map(|f| &*f.id)
            .collect();
        if !users.is_empty() {
            users.sort_unstable();
            return Err(ApiError::InvalidRequest(format!(
                "Custom location {name} is in use by fleet {}; remove it from the fleet before deleting it.",
                users.join(", ")
            )));
        }
        if let Some(loc) = self.custom_locations.remove(name) {
            self.drop_tags(&loc.arn);
        }
        Ok(())
    }

    /// One page of ListLocations: AWS Regions first (alphabetical), then custom locations in
    /// creation order; and the cursor for the next page.
    pub fn list_locations(&self, q: &LocationQuery) -> (Vec<LocationEntry<'_>>, Option<u64>) {
        let after = q.after.unwrap_or(0);
        let partition = partition_of(&self.settings.region);
        let aws = regions::AWS_REGIONS
            .iter()
            .enumerate()
            .filter(|_| q.aws)
            .filter(|(_, r)| partition_of(r) == partition)
            .map(|(i, r)| (i as u64 + 1, LocationEntry::Aws(r)));
        let mut custom: Vec<&CustomLocation> = if q.custom {
            self.custom_locations.values().filter(|l| CUSTOM_POS_BASE + l.seq > after).collect()
        } else {
            Vec::new()
        };
        custom.sort_unstable_by_key(|l| l.seq);
        let custom = custom.into_iter().map(|l| (CUSTOM_POS_BASE + l.seq, LocationEntry::Custom(l)));
        let items = aws.chain(custom).filter(|(pos, _)| *pos > after);
        super::paging::page(items, q.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    fn now() -> Now {
        Now { at: tokio::time::Instant::now(), wall_ms: 1_700_000_000_000 }
    }

    #[test]
    fn locations_are_created_once_and_found_by_name_or_arn() {
        let mut w = World::new(Settings::for_tests());
        let arn = w.create_location("custom-home", vec![], now()).unwrap().arn.clone();
        assert_eq!(&*arn, "arn:aws:gamelift:us-east-1:123456789012:location/custom-home");
        assert!(matches!(w.create_location("custom-home", vec![], now()), Err(ApiError::Conflict(_))));
        assert_eq!(&*w.custom_location(&arn).unwrap().name, "custom-home");
        w.delete_location("custom-home").unwrap();
        assert!(matches!(w.custom_location("custom-home"), Err(ApiError::NotFound(_))));
        w.check_invariants().unwrap();
    }

    #[test]
    fn the_list_pages_through_aws_regions_then_custom_locations() {
        let mut w = World::new(Settings::for_tests());
        w.create_location("custom-a1", vec![], now()).unwrap();
        w.create_location("custom-b2", vec![], now()).unwrap();
        let mut q = LocationQuery { aws: true, custom: true, after: None, limit: 7 };
        let mut names = Vec::new();
        loop {
            let (page, next) = w.list_locations(&q);
            names.extend(page.iter().map(|e| match e {
                LocationEntry::Aws(r) => r.to_string(),
                LocationEntry::Custom(l) => l.name.to_string(),
            }));
            match next {
                Some(n) => q.after = Some(n),
                None => break,
            }
        }
        let commercial = regions::AWS_REGIONS.iter().filter(|r| partition_of(r) == "aws").count();
        assert_eq!(names.len(), commercial + 2);
        assert!(!names.iter().any(|n| n.starts_with("cn-") || n.starts_with("us-gov-")));
        assert_eq!(names[commercial..], ["custom-a1", "custom-b2"]);
        w.check_invariants().unwrap();
    }
}
