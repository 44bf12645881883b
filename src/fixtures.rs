//! Fixtures: fleets, aliases and game session queues preloaded at start and restored by
//! `POST /_emulator/reset`.
//!
//! The file is JSON, `{"Fleets": [...], "Aliases": [...], "GameSessionQueues": [...]}`, whose fields reuse GameLift's own
//! names (FleetId, Name, ComputeType, Status, Locations[].Location/DesiredInstances,
//! RuntimeConfiguration.ServerProcesses[].ConcurrentExecutions, ResourceCreationLimitPolicy,
//! NewGameSessionProtectionPolicy, EC2InboundPermissions, RoutingStrategy, ...). Fields that
//! exist only in the emulator start with `Emulator`. Unknown fields are errors, so a typo does
//! not silently change a test world. Loading builds a trial world, so every problem (bad JSON,
//! duplicate IDs, an alias to an unknown fleet) is reported at startup, naming the file and
//! the entry.

use std::path::Path;

use serde::Deserialize;

use crate::config::parse_duration;
use crate::dto::compile_pattern;
use crate::model::compute::ComputeSpec;
use crate::model::fleet::{FleetAttrs, IpPermission};
use crate::model::queue::{DestinationKind, QueueSpec, destination_kind};
use crate::model::{
    AliasSpec, ComputeType, CreationLimit, FleetSpec, FleetStatus, LocationSpec, Now, ProtectionPolicy,
    RoutingStrategy, RuntimeConfig, ServerProcess, Settings, World, regions,
};

/// The fixtures built into the binary.
pub const DEFAULT_FIXTURES: &str = include_str!("../fixtures/default.json");

/// Parsed, checked fixtures.
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    custom_locations: Vec<String>,
    fleets: Vec<FleetSpec>,
    computes: Vec<FixtureComputeEntry>,
    aliases: Vec<AliasSpec>,
    queues: Vec<(QueueSpec, Vec<(String, String)>)>,
}

/// A compute preregistered on a fixture fleet, with an optional fixed auth token.
#[derive(Debug, Clone)]
struct FixtureComputeEntry {
    fleet: usize,
    spec: ComputeSpec,
    token: Option<String>,
}

/// Why fixtures could not be loaded; the message names the file and the entry.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FixtureError(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    #[serde(rename = "Fleets", default)]
    fleets: Vec<FixtureFleet>,
    #[serde(rename = "Aliases", default)]
    aliases: Vec<FixtureAlias>,
    #[serde(rename = "GameSessionQueues", default)]
    queues: Vec<FixtureQueue>,
}

/// A game session queue, with CreateGameSessionQueue's field names.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureQueue {
    name: String,
    timeout_in_seconds: Option<i64>,
    #[serde(default)]
    player_latency_policies: Vec<FixtureLatencyPolicy>,
    #[serde(default)]
    destinations: Vec<FixtureDestination>,
    filter_configuration: Option<FixtureFilter>,
    priority_configuration: Option<FixturePriority>,
    custom_event_data: Option<String>,
    notification_target: Option<String>,
    #[serde(default)]
    tags: Vec<FixtureTag>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureLatencyPolicy {
    maximum_individual_player_latency_milliseconds: Option<i64>,
    policy_duration_seconds: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureDestination {
    destination_arn: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureFilter {
    #[serde(default)]
    allowed_locations: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixturePriority {
    #[serde(default)]
    priority_order: Vec<String>,
    #[serde(default)]
    location_order: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureTag {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureFleet {
    fleet_id: String,
    name: Option<String>,
    description: Option<String>,
    compute_type: Option<String>,
    status: Option<String>,
    #[serde(default)]
    locations: Vec<FixtureLocation>,
    runtime_configuration: Option<FixtureRuntime>,
    resource_creation_limit_policy: Option<FixtureLimit>,
    new_game_session_protection_policy: Option<String>,
    #[serde(rename = "EC2InboundPermissions", default)]
    ec2_inbound_permissions: Vec<FixturePermission>,
    instance_type: Option<String>,
    fleet_type: Option<String>,
    operating_system: Option<String>,
    build_id: Option<String>,
    script_id: Option<String>,
    emulator_home_region: Option<String>,
    emulator_activation_delay: Option<String>,
    emulator_ip_address: Option<String>,
    emulator_dns_name: Option<String>,
    emulator_capacity: Option<String>,
    #[serde(default)]
    emulator_computes: Vec<FixtureCompute>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureCompute {
    compute_name: String,
    location: Option<String>,
    ip_address: Option<String>,
    dns_name: Option<String>,
    certificate_path: Option<String>,
    emulator_auth_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureLocation {
    location: String,
    desired_instances: Option<u32>,
    min_size: Option<u32>,
    max_size: Option<u32>,
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureRuntime {
    #[serde(default)]
    server_processes: Vec<FixtureProcess>,
    max_concurrent_game_session_activations: Option<u32>,
    game_session_activation_timeout_seconds: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureProcess {
    launch_path: String,
    parameters: Option<String>,
    concurrent_executions: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureLimit {
    new_game_sessions_per_creator: u32,
    policy_period_in_minutes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixturePermission {
    from_port: u16,
    to_port: u16,
    ip_range: Option<String>,
    protocol: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureAlias {
    alias_id: String,
    name: Option<String>,
    description: Option<String>,
    routing_strategy: FixtureRouting,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FixtureRouting {
    r#type: String,
    fleet_id: Option<String>,
    message: Option<String>,
}

impl Fixtures {
    /// No fleets, no aliases.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The built-in default fixtures.
    pub fn builtin() -> Result<Self, FixtureError> {
        Self::parse("built-in fixtures/default.json", DEFAULT_FIXTURES)
    }

    /// Reads and checks a fixtures file.
    pub fn load(path: &Path) -> Result<Self, FixtureError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| FixtureError(format!("{}: cannot read fixtures: {e}", path.display())))?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Parses and checks fixtures text; `source` names it in errors.
    pub fn parse(source: &str, text: &str) -> Result<Self, FixtureError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let file: FixtureFile = serde_path_to_error::deserialize(de).map_err(|e| {
            FixtureError(format!("{source}: invalid fixtures at {}: {}", e.path(), e.inner()))
        })?;
        let mut fleets = Vec::with_capacity(file.fleets.len());
        let mut computes = Vec::new();
        let mut custom_locations: Vec<String> = Vec::new();
        for (i, mut f) in file.fleets.into_iter().enumerate() {
            let entry = format!("{source}: Fleets[{i}] ({})", f.fleet_id);
            for c in std::mem::take(&mut f.emulator_computes) {
                if c.emulator_auth_token.as_deref().is_some_and(|t| {
                    t.is_empty() || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }) {
                    return Err(FixtureError(format!(
                        "{entry}: EmulatorAuthToken must match ^[a-zA-Z0-9-]+$"
                    )));
                }
                computes.push(FixtureComputeEntry {
                    fleet: i,
                    spec: ComputeSpec {
                        name: c.compute_name,
                        location: c.location,
                        ip_address: c.ip_address,
                        dns_name: c.dns_name,
                        certificate_path: c.certificate_path,
                    },
                    token: c.emulator_auth_token,
                });
            }
            let spec = fleet_spec(f).map_err(|m| FixtureError(format!("{entry}: {m}")))?;
            for l in &spec.locations {
                if regions::is_custom_location_name(&l.name) && !custom_locations.contains(&l.name) {
                    custom_locations.push(l.name.clone());
                }
            }
            fleets.push(spec);
        }
        let mut aliases = Vec::with_capacity(file.aliases.len());
        for (i, a) in file.aliases.into_iter().enumerate() {
            let entry = format!("{source}: Aliases[{i}] ({})", a.alias_id);
            aliases.push(alias_spec(a).map_err(|m| FixtureError(format!("{entry}: {m}")))?);
        }
        let mut queues = Vec::with_capacity(file.queues.len());
        for (i, q) in file.queues.into_iter().enumerate() {
            let entry = format!("{source}: GameSessionQueues[{i}] ({})", q.name);
            queues.push(queue_spec(q).map_err(|m| FixtureError(format!("{entry}: {m}")))?);
        }
        let fixtures = Self { custom_locations, fleets, computes, aliases, queues };
        let now = Now { at: tokio::time::Instant::now(), wall_ms: 0 };
        fixtures.populate(&mut World::new(Settings::for_tests()), now, source)?;
        Ok(fixtures)
    }

    /// Puts the fixtures into `world`: custom locations named by fleets, fleets, their
    /// computes and tokens, aliases. Fails on the first entry the model refuses.
    fn populate(&self, world: &mut World, now: Now, source: &str) -> Result<(), FixtureError> {
        let fleet_entry =
            |i: usize| format!("{source}: Fleets[{i}] ({})", self.fleets[i].id.as_deref().unwrap_or("?"));
        for name in &self.custom_locations {
            world
                .create_location(name, Vec::new(), now)
                .map_err(|e| FixtureError(format!("{source}: custom location {name}: {}", e.message())))?;
        }
        for (i, f) in self.fleets.iter().enumerate() {
            world
                .insert_fleet(f.clone(), now)
                .map_err(|e| FixtureError(format!("{}: {}", fleet_entry(i), e.message())))?;
        }
        for c in &self.computes {
            let fleet_id = self.fleets[c.fleet].id.as_deref().unwrap_or_default();
            let fail = |e: crate::ApiError| {
                FixtureError(format!(
                    "{}: EmulatorComputes ({}): {}",
                    fleet_entry(c.fleet),
                    c.spec.name,
                    e.message()
                ))
            };
            world.register_compute(now, fleet_id, c.spec.clone()).map_err(fail)?;
            if let Some(token) = &c.token {
                world.insert_fixed_token(token, fleet_id, &c.spec.name);
            }
        }
        for (i, a) in self.aliases.iter().enumerate() {
            world.insert_alias(a.clone(), now).map_err(|e| {
                FixtureError(format!(
                    "{source}: Aliases[{i}] ({}): {}",
                    a.id.as_deref().unwrap_or("?"),
                    e.message()
                ))
            })?;
        }
        for (i, (spec, tags)) in self.queues.iter().enumerate() {
            let mut spec = spec.clone();
            // A bare fleet or alias ID stands for its ARN (which depends on --region/--account-id).
            for d in &mut spec.destinations {
                let arn = match destination_kind(d) {
                    Some(DestinationKind::Fleet(id)) if !d.starts_with("arn:") => {
                        world.fleet(id).ok().map(|f| f.arn.to_string())
                    }
                    Some(DestinationKind::Alias(id)) if !d.starts_with("arn:") => {
                        world.alias(id).ok().map(|a| a.arn.to_string())
                    }
                    _ => None,
                };
                if let Some(arn) = arn {
                    *d = arn;
                }
            }
            world.create_queue(spec, tags.clone(), now).map_err(|e| {
                FixtureError(format!(
                    "{source}: GameSessionQueues[{i}] ({}): {}",
                    self.queues[i].0.name,
                    e.message()
                ))
            })?;
        }
        Ok(())
    }

    /// A world holding these fixtures.
    pub fn build_world(&self, settings: Settings, now: Now) -> World {
        let mut world = World::new(settings);
        // Parsing already populated a trial world, so the model accepts every entry.
        let _ = self.populate(&mut world, now, "fixtures");
        world
    }

    /// Number of fleets and aliases.
    pub fn len(&self) -> (usize, usize) {
        (self.fleets.len(), self.aliases.len())
    }

    /// Number of game session queues.
    pub fn queue_count(&self) -> usize {
        self.queues.len()
    }
}

fn parse_status(s: Option<&str>, what: &str) -> Result<FleetStatus, String> {
    match s {
        None => Ok(FleetStatus::Active),
        Some(s) => FleetStatus::parse(s).ok_or_else(|| format!("unknown {what} status '{s}'")),
    }
}

fn fleet_spec(f: FixtureFleet) -> Result<FleetSpec, String> {
    check_fleet_id(&f.fleet_id)?;
    let compute_type = parse_compute_type(f.compute_type.as_deref())?;
    let status = parse_status(f.status.as_deref(), "fleet")?;
    let locations = parse_locations(&f.locations, compute_type, status)?;
    let runtime = parse_runtime(f.runtime_configuration)?;
    let protection = parse_protection(f.new_game_session_protection_policy.as_deref())?;
    let activation_delay = f.emulator_activation_delay.as_deref().map(parse_duration).transpose()?;
    let capacity_from_processes = parse_capacity(f.emulator_capacity.as_deref())?;
    check_home_region(f.emulator_home_region.as_deref())?;
    let inbound_permissions = parse_permissions(f.ec2_inbound_permissions);
    Ok(FleetSpec {
        id: Some(f.fleet_id.clone()),
        name: f.name.unwrap_or(f.fleet_id),
        description: f.description,
        compute_type,
        status,
        home_region: f.emulator_home_region,
        locations,
        runtime,
        protection,
        creation_limit: f.resource_creation_limit_policy.map(|l| CreationLimit {
            per_creator: l.new_game_sessions_per_creator,
            period_minutes: l.policy_period_in_minutes,
        }),
        activation_delay,
        ip_address: f.emulator_ip_address,
        dns_name: f.emulator_dns_name,
        base_port: inbound_permissions.first().map_or(7777, |p| p.from_port),
        capacity_from_processes,
        attrs: FleetAttrs {
            instance_type: f.instance_type,
            fleet_type: f.fleet_type,
            operating_system: f.operating_system,
            build_id: f.build_id,
            script_id: f.script_id,
            inbound_permissions,
            ..Default::default()
        },
    })
}

fn queue_spec(q: FixtureQueue) -> Result<(QueueSpec, Vec<(String, String)>), String> {
    if q.name.is_empty()
        || q.name.len() > 128
        || !q.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err("Name must be 1 to 128 letters, digits and hyphens".into());
    }
    let spec = QueueSpec {
        name: q.name,
        timeout_s: q.timeout_in_seconds,
        latency_policies: q
            .player_latency_policies
            .into_iter()
            .map(|p| (p.maximum_individual_player_latency_milliseconds, p.policy_duration_seconds))
            .collect(),
        destinations: q.destinations.into_iter().map(|d| d.destination_arn).collect(),
        allowed_locations: q.filter_configuration.map(|f| f.allowed_locations),
        priority: q.priority_configuration.map(|p| (p.priority_order, p.location_order)),
        custom_event_data: q.custom_event_data,
        notification_target: q.notification_target,
    };
    Ok((spec, q.tags.into_iter().map(|t| (t.key, t.value)).collect()))
}

/// `FleetId`: GameLift's fleet ID pattern, at most 128 characters.
fn check_fleet_id(id: &str) -> Result<(), String> {
    if !compile_pattern(r"^[a-z]*fleet-[a-zA-Z0-9\-]+").is_match(id) || id.len() > 128 {
        return Err("FleetId must look like fleet-<id> (pattern ^[a-z]*fleet-[a-zA-Z0-9-]+)".into());
    }
    Ok(())
}

/// `ComputeType`: EC2 (the default) or ANYWHERE.
fn parse_compute_type(c: Option<&str>) -> Result<ComputeType, String> {
    match c {
        None => Ok(ComputeType::Ec2),
        Some(c) => {
            ComputeType::parse(c).ok_or_else(|| format!("unknown ComputeType '{c}' (EC2 or ANYWHERE)"))
        }
    }
}

/// `Locations`: AWS Regions or custom locations, each once; `DesiredInstances` defaults to one
/// on EC2 fleets (none on Anywhere), `MaxSize` to at least one, and `Status` to the fleet's.
fn parse_locations(
    given: &[FixtureLocation],
    compute: ComputeType,
    fleet_status: FleetStatus,
) -> Result<Vec<LocationSpec>, String> {
    let mut locations: Vec<LocationSpec> = Vec::with_capacity(given.len());
    for l in given {
        if !regions::is_aws_region(&l.location) && !regions::is_custom_location_name(&l.location) {
            return Err(format!(
                "Location '{}' is neither an AWS Region nor a custom-... location",
                l.location
            ));
        }
        if locations.iter().any(|x| x.name == l.location) {
            return Err(format!("Location '{}' is listed twice", l.location));
        }
        let desired = l.desired_instances.unwrap_or(u32::from(compute == ComputeType::Ec2));
        let status = match l.status.as_deref() {
            None => fleet_status,
            s => parse_status(s, "location")?,
        };
        let (min, max) = (l.min_size.unwrap_or(0), l.max_size.unwrap_or(desired.max(1)));
        locations.push(LocationSpec { name: l.location.clone(), desired, min, max, status });
    }
    Ok(locations)
}

/// `RuntimeConfiguration`: one process of `/local/game/server` when absent; every entry runs
/// at least one process.
fn parse_runtime(r: Option<FixtureRuntime>) -> Result<RuntimeConfig, String> {
    let Some(r) = r else {
        let server = ServerProcess {
            launch_path: "/local/game/server".into(),
            parameters: None,
            concurrent_executions: 1,
        };
        return Ok(RuntimeConfig { server_processes: vec![server], ..Default::default() });
    };
    if r.server_processes.iter().any(|p| p.concurrent_executions == 0) {
        return Err("RuntimeConfiguration.ServerProcesses[].ConcurrentExecutions must be at least 1".into());
    }
    Ok(RuntimeConfig {
        server_processes: r
            .server_processes
            .into_iter()
            .map(|p| ServerProcess {
                launch_path: p.launch_path,
                parameters: p.parameters,
                concurrent_executions: p.concurrent_executions,
            })
            .collect(),
        max_concurrent_activations: r.max_concurrent_game_session_activations,
        activation_timeout_seconds: r.game_session_activation_timeout_seconds,
    })
}

/// `NewGameSessionProtectionPolicy`: NoProtection (the default) or FullProtection.
fn parse_protection(p: Option<&str>) -> Result<ProtectionPolicy, String> {
    match p {
        None => Ok(ProtectionPolicy::NoProtection),
        Some(p) => ProtectionPolicy::parse(p).ok_or_else(|| {
            format!("unknown NewGameSessionProtectionPolicy '{p}' (NoProtection or FullProtection)")
        }),
    }
}

/// `EmulatorCapacity`: INSTANCES (the default) or PROCESSES; true for PROCESSES.
fn parse_capacity(c: Option<&str>) -> Result<bool, String> {
    match c {
        None | Some("INSTANCES") => Ok(false),
        Some("PROCESSES") => Ok(true),
        Some(other) => Err(format!("unknown EmulatorCapacity '{other}' (INSTANCES or PROCESSES)")),
    }
}

/// `EmulatorHomeRegion`: an AWS Region.
fn check_home_region(home: Option<&str>) -> Result<(), String> {
    match home {
        Some(home) if !regions::is_aws_region(home) => {
            Err(format!("EmulatorHomeRegion '{home}' is not an AWS Region"))
        }
        _ => Ok(()),
    }
}

/// `EC2InboundPermissions`: port ranges put in order (and above 0), `IpRange` 0.0.0.0/0 and
/// `Protocol` UDP by default.
fn parse_permissions(given: Vec<FixturePermission>) -> Vec<IpPermission> {
    given
        .into_iter()
        .map(|p| IpPermission {
            from_port: p.from_port.min(p.to_port).max(1),
            to_port: p.to_port.max(p.from_port).max(1),
            ip_range: p.ip_range.unwrap_or_else(|| "0.0.0.0/0".into()),
            protocol: p.protocol.unwrap_or_else(|| "UDP".into()),
        })
        .collect()
}

fn alias_spec(a: FixtureAlias) -> Result<AliasSpec, String> {
    if !a.alias_id.starts_with("alias-") || a.alias_id.len() < 7 || a.alias_id.contains(char::is_whitespace) {
        return Err("AliasId must look like alias-<id>".into());
    }
    let routing = match a.routing_strategy.r#type.as_str() {
        "SIMPLE" => RoutingStrategy::Simple {
            fleet_id: a.routing_strategy.fleet_id.ok_or("a SIMPLE RoutingStrategy needs a FleetId")?.into(),
        },
        "TERMINAL" => RoutingStrategy::Terminal { message: a.routing_strategy.message.unwrap_or_default() },
        other => return Err(format!("unknown RoutingStrategy Type '{other}' (SIMPLE or TERMINAL)")),
    };
    Ok(AliasSpec {
        id: Some(a.alias_id.clone()),
        name: a.name.unwrap_or(a.alias_id),
        description: a.description,
        routing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_fixtures_load() {
        let f = Fixtures::builtin().unwrap();
        assert_eq!(f.len(), (5, 2));
        assert_eq!(f.queue_count(), 2);
    }

    #[test]
    fn fixture_queues_resolve_bare_ids_and_report_bad_entries() {
        let ok = r#"{"Fleets":[{"FleetId":"fleet-1"}],
            "GameSessionQueues":[{"Name":"q","TimeoutInSeconds":30,"Destinations":[{"DestinationArn":"fleet-1"}],
              "Tags":[{"Key":"team","Value":"a"}]}]}"#;
        let f = Fixtures::parse("f.json", ok).unwrap();
        let w = f.build_world(Settings::for_tests(), Now { at: tokio::time::Instant::now(), wall_ms: 0 });
        let q = w.queue("q").unwrap();
        assert_eq!(q.destinations, ["arn:aws:gamelift:us-east-1:123456789012:fleet/fleet-1"]);
        assert_eq!(q.timeout_s, 30);
        assert_eq!(w.tags_of(&q.arn).len(), 1);
        let dangling =
            r#"{"GameSessionQueues":[{"Name":"q","Destinations":[{"DestinationArn":"fleet-9"}]}]}"#;
        assert_eq!(err(dangling), "f.json: GameSessionQueues[0] (q): Fleet fleet-9 not found.");
        let bad_name = r#"{"GameSessionQueues":[{"Name":"no spaces"}]}"#;
        assert!(
            err(bad_name).starts_with("f.json: GameSessionQueues[0] (no spaces): Name"),
            "{}",
            err(bad_name)
        );
    }

    fn err(text: &str) -> String {
        Fixtures::parse("f.json", text).unwrap_err().0
    }

    #[test]
    fn broken_fixtures_name_the_file_and_entry() {
        assert!(err("{").starts_with("f.json: invalid fixtures"));
        let dup = r#"{"Fleets":[{"FleetId":"fleet-1"},{"FleetId":"fleet-1"}]}"#;
        assert_eq!(err(dup), "f.json: Fleets[1] (fleet-1): A fleet with ID fleet-1 already exists.");
        let dangling =
            r#"{"Aliases":[{"AliasId":"alias-1","RoutingStrategy":{"Type":"SIMPLE","FleetId":"fleet-9"}}]}"#;
        assert_eq!(err(dangling), "f.json: Aliases[0] (alias-1): Fleet fleet-9 not found.");
        let typo = r#"{"Fleets":[{"FleetId":"fleet-1","Nmae":"x"}]}"#;
        assert!(err(typo).contains("Fleets[0]"), "{}", err(typo));
        let bad_loc = r#"{"Fleets":[{"FleetId":"fleet-1","Locations":[{"Location":"mars-1"}]}]}"#;
        assert!(err(bad_loc).starts_with("f.json: Fleets[0] (fleet-1): Location 'mars-1'"));
    }

    #[test]
    fn each_fleet_field_has_its_parser() {
        assert!(check_fleet_id("fleet-1").is_ok());
        assert!(check_fleet_id("flee-1").unwrap_err().starts_with("FleetId must look like"));
        assert_eq!(parse_compute_type(None), Ok(ComputeType::Ec2));
        assert_eq!(parse_compute_type(Some("ANYWHERE")), Ok(ComputeType::Anywhere));
        assert!(parse_compute_type(Some("EC3")).unwrap_err().contains("'EC3'"));
        assert_eq!(parse_protection(Some("FullProtection")), Ok(ProtectionPolicy::FullProtection));
        assert!(parse_protection(Some("Full")).is_err());
        assert_eq!((parse_capacity(None), parse_capacity(Some("PROCESSES"))), (Ok(false), Ok(true)));
        assert!(parse_capacity(Some("VMS")).is_err());
        assert!(check_home_region(Some("eu-west-1")).is_ok() && check_home_region(Some("moon")).is_err());
        let default = parse_runtime(None).unwrap();
        assert_eq!(
            (default.slots_per_instance(), default.server_processes[0].launch_path.as_str()),
            (1, "/local/game/server")
        );
        let perms = parse_permissions(vec![FixturePermission {
            from_port: 9000,
            to_port: 8000,
            ip_range: None,
            protocol: None,
        }]);
        assert_eq!(
            perms,
            [IpPermission {
                from_port: 8000,
                to_port: 9000,
                ip_range: "0.0.0.0/0".into(),
                protocol: "UDP".into()
            }]
        );
    }

    #[test]
    fn locations_default_from_the_fleet_and_are_listed_once() {
        let loc = |name: &str, status: Option<&str>| FixtureLocation {
            location: name.into(),
            desired_instances: None,
            min_size: None,
            max_size: None,
            status: status.map(Into::into),
        };
        let got = parse_locations(
            &[loc("us-east-1", None), loc("eu-west-1", Some("ACTIVATING"))],
            ComputeType::Ec2,
            FleetStatus::Active,
        )
        .unwrap();
        assert_eq!((got[0].desired, got[0].max, got[0].status), (1, 1, FleetStatus::Active));
        assert_eq!(got[1].status, FleetStatus::Activating);
        let anywhere =
            parse_locations(&[loc("custom-a", None)], ComputeType::Anywhere, FleetStatus::Active).unwrap();
        assert_eq!((anywhere[0].desired, anywhere[0].max), (0, 1));
        let twice = parse_locations(
            &[loc("us-east-1", None), loc("us-east-1", None)],
            ComputeType::Ec2,
            FleetStatus::Active,
        );
        assert_eq!(twice.unwrap_err(), "Location 'us-east-1' is listed twice");
        assert!(
            parse_locations(&[loc("us-east-1", Some("SLEEPING"))], ComputeType::Ec2, FleetStatus::Active)
                .is_err()
        );
    }
}
