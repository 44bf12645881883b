//! Game session queues: where StartGameSessionPlacement looks for a home for a new game session.
//!
//! A queue names its destinations (fleet or alias ARNs, in preference order), how long a
//! placement may wait (`TimeoutInSeconds`), the latency caps that apply while it waits, which
//! locations are allowed, and how candidates are ranked. Queues are keyed by name (unique per
//! Region); requests may name one by name or ARN. Placing is in `placement.rs`.

use std::sync::Arc;

use super::world::{Now, World};
use super::{ids, wire_enum};
use crate::error::{ApiError, ApiResult};

/// TimeoutInSeconds when a queue is created without one (what AWS reports for such queues).
pub const DEFAULT_TIMEOUT_SECONDS: u32 = 600;
/// The documented range of TimeoutInSeconds.
pub const TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 10..=600;

wire_enum!(
    /// A ranking criterion of PriorityConfiguration.PriorityOrder.
    PriorityType {
        Latency = "LATENCY",
        Cost = "COST",
        Destination = "DESTINATION",
        Location = "LOCATION",
    }
);

/// The order AWS ranks by when a queue names fewer than four criteria: the missing ones follow
/// in this order.
pub const DEFAULT_PRIORITY_ORDER: [PriorityType; 4] =
    [PriorityType::Latency, PriorityType::Cost, PriorityType::Destination, PriorityType::Location];

/// One PlayerLatencyPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyPolicy {
    /// MaximumIndividualPlayerLatencyMilliseconds.
    pub max_ms: u32,
    /// PolicyDurationSeconds (None: until the placement times out).
    pub duration_s: Option<u32>,
}

/// PriorityConfiguration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriorityConfig {
    /// PriorityOrder, as given.
    pub order: Vec<PriorityType>,
    /// LocationOrder, as given.
    pub location_order: Vec<String>,
}

impl PriorityConfig {
    /// The full ranking: the given criteria, then the missing ones in the default order.
    pub fn effective_order(config: Option<&PriorityConfig>) -> Vec<PriorityType> {
        let mut order: Vec<PriorityType> = config.map(|c| c.order.clone()).unwrap_or_default();
        for t in DEFAULT_PRIORITY_ORDER {
            if !order.contains(&t) {
                order.push(t);
            }
        }
        order
    }
}

/// A game session queue.
#[derive(Debug, Clone)]
pub struct Queue {
    /// Creation sequence number (listing order).
    pub seq: u64,
    /// Name.
    pub name: Arc<str>,
    /// GameSessionQueueArn.
    pub arn: Arc<str>,
    /// TimeoutInSeconds.
    pub timeout_s: u32,
    /// PlayerLatencyPolicies, as given.
    pub latency_policies: Vec<LatencyPolicy>,
    /// Destinations (DestinationArn), in preference order, exactly as given.
    pub destinations: Vec<String>,
    /// FilterConfiguration.AllowedLocations (None: every location).
    pub allowed_locations: Option<Vec<String>>,
    /// PriorityConfiguration.
    pub priority: Option<PriorityConfig>,
    /// CustomEventData.
    pub custom_event_data: Option<String>,
    /// NotificationTarget.
    pub notification_target: Option<String>,
}

impl Queue {
    /// Whether the queue ranks by LOCATION first (the only queues that take a
    /// PriorityConfigurationOverride).
    pub fn prioritizes_location_first(&self) -> bool {
        self.priority.as_ref().and_then(|p| p.order.first()) == Some(&PriorityType::Location)
    }
}

/// A CreateGameSessionQueue request (also a fixture entry).
#[derive(Debug, Clone, Default)]
pub struct QueueSpec {
    /// Name.
    pub name: String,
    /// TimeoutInSeconds.
    pub timeout_s: Option<i64>,
    /// PlayerLatencyPolicies (max, duration); a missing max is an error.
    pub latency_policies: Vec<(Option<i64>, Option<i64>)>,
    /// Destinations.
    pub destinations: Vec<String>,
    /// FilterConfiguration.AllowedLocations (Some(empty): the filter was given without locations).
    pub allowed_locations: Option<Vec<String>>,
    /// PriorityConfiguration: (PriorityOrder, LocationOrder).
    pub priority: Option<(Vec<String>, Vec<String>)>,
    /// CustomEventData.
    pub custom_event_data: Option<String>,
    /// NotificationTarget.
    pub notification_target: Option<String>,
}

/// An UpdateGameSessionQueue request: `None` keeps a member as it is.
#[derive(Debug, Clone, Default)]
pub struct QueueUpdate {
    /// TimeoutInSeconds.
    pub timeout_s: Option<i64>,
    /// PlayerLatencyPolicies (a complete list; empty removes them).
    pub latency_policies: Option<Vec<(Option<i64>, Option<i64>)>>,
    /// Destinations (a complete list; empty removes them).
    pub destinations: Option<Vec<String>>,
    /// FilterConfiguration.AllowedLocations (Some(empty) removes the filter).
    pub allowed_locations: Option<Vec<String>>,
    /// PriorityConfiguration (both lists empty removes it).
    pub priority: Option<(Vec<String>, Vec<String>)>,
    /// CustomEventData (empty removes it).
    pub custom_event_data: Option<String>,
    /// NotificationTarget (empty removes it).
    pub notification_target: Option<String>,
}

/// A destination, resolved to what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DestinationKind<'a> {
    Fleet(&'a str),
    Alias(&'a str),
}

/// Which kind of resource a DestinationArn (or bare ID) names, and its ID.
pub(crate) fn destination_kind(dest: &str) -> Option<DestinationKind<'_>> {
    let id = if dest.starts_with("arn:") { dest.rsplit_once(':')?.1 } else { dest };
    if let Some(id) = id.strip_prefix("fleet/") {
        return Some(DestinationKind::Fleet(id));
    }
    if let Some(id) = id.strip_prefix("alias/") {
        return Some(DestinationKind::Alias(id));
    }
    if dest.starts_with("arn:") {
        return None;
    }
    if id.contains("fleet-") && !id.starts_with("alias-") {
        Some(DestinationKind::Fleet(id))
    } else if id.starts_with("alias-") {
        Some(DestinationKind::Alias(id))
    } else {
        None
    }
}

fn empty_to_none(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

fn check_timeout(t: i64) -> ApiResult<u32> {
    u32::try_from(t).ok().filter(|t| TIMEOUT_RANGE.contains(t)).ok_or_else(|| {
        ApiError::InvalidRequest(format!(
            "TimeoutInSeconds {t} is not valid: it must be between {} and {} seconds.",
            TIMEOUT_RANGE.start(),
            TIMEOUT_RANGE.end()
        ))
    })
}

fn check_policies(policies: Vec<(Option<i64>, Option<i64>)>) -> ApiResult<Vec<LatencyPolicy>> {
    policies
        .into_iter()
        .enumerate()
        .map(|(i, (max, duration))| {
            let max = max.ok_or_else(|| {
                ApiError::InvalidRequest(format!(
                    "PlayerLatencyPolicies[{}] has no MaximumIndividualPlayerLatencyMilliseconds; every policy needs one.",
                    i + 1
                ))
            })?;
            let nonneg = |v: i64, what: &str| {
                u32::try_from(v).map_err(|_| {
                    ApiError::InvalidRequest(format!("PlayerLatencyPolicies[{}].{what} must be 0 or more.", i + 1))
                })
            };
            Ok(LatencyPolicy {
                max_ms: nonneg(max, "MaximumIndividualPlayerLatencyMilliseconds")?,
                duration_s: duration.map(|d| nonneg(d, "PolicyDurationSeconds")).transpose()?,
            })
        })
        .collect()
}

fn check_locations(what: &str, locations: &[String]) -> ApiResult<()> {
    for (i, l) in locations.iter().enumerate() {
        if locations[..i].iter().any(|x| x.eq_ignore_ascii_case(l)) {
            return Err(ApiError::InvalidRequest(format!("{what} lists location {l} more than once.")));
        }
    }
    Ok(())
}

fn check_priority(p: Option<(Vec<String>, Vec<String>)>) -> ApiResult<Option<PriorityConfig>> {
    let Some((order, location_order)) = p else { return Ok(None) };
    if order.is_empty() && location_order.is_empty() {
        return Ok(None);
    }
    let mut parsed = Vec::with_capacity(order.len());
    for t in &order {
        let t = PriorityType::parse(t).ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "PriorityOrder value {t} is not valid; use LATENCY, COST, DESTINATION or LOCATION."
            ))
        })?;
        if parsed.contains(&t) {
            return Err(ApiError::InvalidRequest(format!("PriorityOrder lists {t} more than once.")));
        }
        parsed.push(t);
    }
    if parsed.contains(&PriorityType::Location) && location_order.is_empty() {
        return Err(ApiError::InvalidRequest(
            "PriorityOrder includes LOCATION, so PriorityConfiguration must also give a LocationOrder."
                .into(),
        ));
    }
    check_locations("LocationOrder", &location_order)?;
    Ok(Some(PriorityConfig { order: parsed, location_order }))
}

fn check_filter(allowed: Option<Vec<String>>) -> ApiResult<Option<Vec<String>>> {
    match allowed {
        Some(l) if l.is_empty() => Ok(None),
        Some(l) => {
            check_locations("AllowedLocations", &l)?;
            Ok(Some(l))
        }
        None => Ok(None),
    }
}

/// The queue name inside a name-or-ARN value.
pub fn queue_name(name_or_arn: &str) -> &str {
    if name_or_arn.starts_with("arn:")
        && let Some(pos) = name_or_arn.rfind("gamesessionqueue/")
    {
        return &name_or_arn[pos + "gamesessionqueue/".len()..];
    }
    name_or_arn
}

impl World {
    /// Checks that every destination names an existing fleet or alias.
    fn check_destinations(&self, destinations: &[String]) -> ApiResult<()> {
        for (i, d) in destinations.iter().enumerate() {
            if destinations[..i].contains(d) {
                return Err(ApiError::InvalidRequest(format!("Destination {d} is listed more than once.")));
            }
            match destination_kind(d) {
                Some(DestinationKind::Fleet(id)) => {
                    self.fleet(id)?;
                }
                Some(DestinationKind::Alias(id)) => {
                    self.alias(id)?;
                }
                None => {
                    return Err(ApiError::InvalidRequest(format!(
                        "Destination {d} is not a fleet ARN or an alias ARN."
                    )));
                }
            }
        }
        Ok(())
    }

    /// CreateGameSessionQueue.
    pub fn create_queue(
        &mut self,
        spec: QueueSpec,
        tags: Vec<(String, String)>,
        _now: Now,
    ) -> ApiResult<&Queue> {
        let timeout_s = spec.timeout_s.map(check_timeout).transpose()?.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
        let latency_policies = check_policies(spec.latency_policies)?;
        let allowed_locations = check_filter(spec.allowed_locations)?;
        let priority = check_priority(spec.priority)?;
        self.check_destinations(&spec.destinations)?;
        super::tags::check_tags(&tags)?;
        if self.queues.contains_key(spec.name.as_str()) {
            return Err(ApiError::InvalidRequest(format!(
                "A game session queue named {} already exists.",
                spec.name
            )));
        }
        let arn: Arc<str> =
            ids::queue_arn(&self.settings.region, &self.settings.account_id, &spec.name).into();
        let seq = self.next_seq();
        let name: Arc<str> = spec.name.into();
        let queue = Queue {
            seq,
            name: name.clone(),
            arn: arn.clone(),
            timeout_s,
            latency_policies,
            destinations: spec.destinations,
            allowed_locations,
            priority,
            custom_event_data: empty_to_none(spec.custom_event_data),
            notification_target: empty_to_none(spec.notification_target),
        };
        self.put_tags(&arn, tags)?;
        self.queues.insert(name.clone(), queue);
        self.queue(&name)
    }

    /// A queue by name or ARN.
    pub fn queue(&self, name_or_arn: &str) -> ApiResult<&Queue> {
        let name = queue_name(name_or_arn);
        self.queues
            .get(name)
            .ok_or_else(|| ApiError::NotFound(format!("Game session queue {name} not found.")))
    }

    /// DescribeGameSessionQueues without Names: one page in creation order, and the cursor.
    pub fn list_queues(&self, after: Option<u64>, limit: usize) -> (Vec<&Queue>, Option<u64>) {
        let mut all: Vec<&Queue> = self.queues.values().filter(|q| after.is_none_or(|a| q.seq > a)).collect();
        all.sort_by_key(|q| q.seq);
        super::paging::page(all.into_iter().map(|q| (q.seq, q)), limit)
    }

    /// UpdateGameSessionQueue: members not given keep their value.
    pub fn update_queue(&mut self, name_or_arn: &str, u: QueueUpdate) -> ApiResult<&Queue> {
        let name = self.queue(name_or_arn)?.name.clone();
        let timeout_s = u.timeout_s.map(check_timeout).transpose()?;
        let policies = u.latency_policies.map(check_policies).transpose()?;
        let filter = u.allowed_locations.map(|l| check_filter(Some(l))).transpose()?;
        let priority = u.priority.map(|p| check_priority(Some(p))).transpose()?;
        if let Some(d) = &u.destinations {
            self.check_destinations(d)?;
        }
        let Some(q) = self.queues.get_mut(&name) else {
            return Err(ApiError::NotFound(format!("Game session queue {name} not found.")));
        };
        if let Some(t) = timeout_s {
            q.timeout_s = t;
        }
        if let Some(p) = policies {
            q.latency_policies = p;
        }
        if let Some(d) = u.destinations {
            q.destinations = d;
        }
        if let Some(f) = filter {
            q.allowed_locations = f;
        }
        if let Some(p) = priority {
            q.priority = p;
        }
        if u.custom_event_data.is_some() {
            q.custom_event_data = empty_to_none(u.custom_event_data);
        }
        if u.notification_target.is_some() {
            q.notification_target = empty_to_none(u.notification_target);
        }
        self.queue(&name)
    }

    /// DeleteGameSessionQueue: its PENDING placements fail, its tags go.
    pub fn delete_queue(&mut self, name_or_arn: &str, now: Now) -> ApiResult<()> {
        let name = self.queue(name_or_arn)?.name.clone();
        self.fail_placements_of_queue(&name, now);
        if let Some(q) = self.queues.remove(&name) {
            self.drop_tags(&q.arn);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_told_apart_by_their_resource_type() {
        assert_eq!(
            destination_kind("arn:aws:gamelift:us-east-1:123456789012:fleet/fleet-1"),
            Some(DestinationKind::Fleet("fleet-1"))
        );
        assert_eq!(
            destination_kind("arn:aws:gamelift:us-east-1::alias/alias-1"),
            Some(DestinationKind::Alias("alias-1"))
        );
        assert_eq!(destination_kind("fleet-1"), Some(DestinationKind::Fleet("fleet-1")));
        assert_eq!(destination_kind("arn:aws:gamelift:us-east-1::build/build-1"), None);
        assert_eq!(destination_kind("nonsense"), None);
    }

    #[test]
    fn missing_priority_types_follow_in_the_default_order() {
        let c = PriorityConfig { order: vec![PriorityType::Location], location_order: vec!["x".into()] };
        assert_eq!(
            PriorityConfig::effective_order(Some(&c)),
            vec![
                PriorityType::Location,
                PriorityType::Latency,
                PriorityType::Cost,
                PriorityType::Destination
            ]
        );
        assert_eq!(PriorityConfig::effective_order(None), DEFAULT_PRIORITY_ORDER.to_vec());
    }

    #[test]
    fn queue_names_come_out_of_arns() {
        assert_eq!(queue_name("arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/q-1"), "q-1");
        assert_eq!(queue_name("arn:aws:gamelift:us-east-1::gamesessionqueue/q-1"), "q-1");
        assert_eq!(queue_name("q-1"), "q-1");
    }
}
