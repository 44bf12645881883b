//! One function per AWS operation, named after it, and the single dispatch table.
//!
//! Each operation receives its decoded, constraint-checked input DTO, applies the cross-member
//! rules the model cannot express, calls the model in one critical section, and builds its
//! output DTO. Nothing here knows about HTTP.

mod aliases;
mod builds;
mod computes;
pub mod control;
mod fleets;
mod game_sessions;
mod locations;
pub(crate) mod player_sessions;
pub(crate) mod tags;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::dto::{MODEL_OPERATIONS, Validate};
use crate::error::{ApiError, ApiResult};
use crate::protocol::codec::Codec;
use crate::state::Emulator;

/// An encoded operation result.
#[derive(Debug)]
pub enum Output {
    /// An encoded output structure.
    Body(Vec<u8>),
    /// A Unit output: `{}` in JSON, no body in CBOR.
    Unit,
}

/// What Unit-output operations return.
pub struct Unit;

trait IntoOutput {
    fn into_output(self, codec: Codec) -> ApiResult<Output>;
}

impl<T: Serialize> IntoOutput for T {
    fn into_output(self, codec: Codec) -> ApiResult<Output> {
        codec.encode(&self).map(Output::Body)
    }
}

impl IntoOutput for Unit {
    fn into_output(self, _codec: Codec) -> ApiResult<Output> {
        Ok(Output::Unit)
    }
}

/// Decode → validate → run → encode.
fn run<I, O>(
    em: &Emulator,
    codec: Codec,
    body: &[u8],
    op: fn(&Emulator, I) -> ApiResult<O>,
) -> ApiResult<Output>
where
    I: DeserializeOwned + Validate,
    O: IntoOutput,
{
    let input: I = codec.decode(body)?;
    input.validate().map_err(ApiError::InvalidRequest)?;
    op(em, input)?.into_output(codec)
}

/// Runs operation `op` on `body`.
pub fn dispatch(em: &Emulator, op: &str, codec: Codec, body: &[u8]) -> ApiResult<Output> {
    use game_sessions as gs;
    match op {
        // Game sessions
        "CreateGameSession" => run(em, codec, body, gs::create_game_session),
        "DescribeGameSessions" => run(em, codec, body, gs::describe_game_sessions),
        "DescribeGameSessionDetails" => run(em, codec, body, gs::describe_game_session_details),
        "SearchGameSessions" => run(em, codec, body, gs::search_game_sessions),
        "UpdateGameSession" => run(em, codec, body, gs::update_game_session),
        "TerminateGameSession" => run(em, codec, body, gs::terminate_game_session),
        "GetGameSessionLogUrl" => run(em, codec, body, gs::get_game_session_log_url),
        "GetPlayerConnectionDetails" => run(em, codec, body, gs::get_player_connection_details),
        // Player sessions
        "CreatePlayerSession" => run(em, codec, body, player_sessions::create_player_session),
        "CreatePlayerSessions" => run(em, codec, body, player_sessions::create_player_sessions),
        "DescribePlayerSessions" => run(em, codec, body, player_sessions::describe_player_sessions),
        // Anywhere computes
        "RegisterCompute" => run(em, codec, body, computes::register_compute),
        "DescribeCompute" => run(em, codec, body, computes::describe_compute),
        "ListCompute" => run(em, codec, body, computes::list_compute),
        "DeregisterCompute" => run(em, codec, body, computes::deregister_compute),
        "GetComputeAuthToken" => run(em, codec, body, computes::get_compute_auth_token),
        // Fleets
        "CreateFleet" => run(em, codec, body, fleets::create_fleet),
        "DescribeFleetAttributes" => run(em, codec, body, fleets::describe_fleet_attributes),
        "ListFleets" => run(em, codec, body, fleets::list_fleets),
        "UpdateFleetAttributes" => run(em, codec, body, fleets::update_fleet_attributes),
        "DeleteFleet" => run(em, codec, body, fleets::delete_fleet),
        "DescribeRuntimeConfiguration" => run(em, codec, body, fleets::describe_runtime_configuration),
        "UpdateRuntimeConfiguration" => run(em, codec, body, fleets::update_runtime_configuration),
        "DescribeFleetPortSettings" => run(em, codec, body, fleets::describe_fleet_port_settings),
        "UpdateFleetPortSettings" => run(em, codec, body, fleets::update_fleet_port_settings),
        "DescribeFleetEvents" => run(em, codec, body, fleets::describe_fleet_events),
        "DescribeInstances" => run(em, codec, body, fleets::describe_instances),
        "DescribeFleetCapacity" => run(em, codec, body, fleets::describe_fleet_capacity),
        "UpdateFleetCapacity" => run(em, codec, body, fleets::update_fleet_capacity),
        "DescribeFleetUtilization" => run(em, codec, body, fleets::describe_fleet_utilization),
        "DescribeFleetLocationCapacity" => run(em, codec, body, fleets::describe_fleet_location_capacity),
        "DescribeFleetLocationUtilization" => {
            run(em, codec, body, fleets::describe_fleet_location_utilization)
        }
        "CreateFleetLocations" => run(em, codec, body, fleets::create_fleet_locations),
        "DescribeFleetLocationAttributes" => run(em, codec, body, fleets::describe_fleet_location_attributes),
        "DeleteFleetLocations" => run(em, codec, body, fleets::delete_fleet_locations),
        // (end of fleets)
        // Aliases, builds, scripts, tags, custom locations
        "CreateAlias" => run(em, codec, body, aliases::create_alias),
        "DescribeAlias" => run(em, codec, body, aliases::describe_alias),
        "ListAliases" => run(em, codec, body, aliases::list_aliases),
        "UpdateAlias" => run(em, codec, body, aliases::update_alias),
        "DeleteAlias" => run(em, codec, body, aliases::delete_alias),
        "ResolveAlias" => run(em, codec, body, aliases::resolve_alias),
        "CreateBuild" => run(em, codec, body, builds::create_build),
        "DescribeBuild" => run(em, codec, body, builds::describe_build),
        "ListBuilds" => run(em, codec, body, builds::list_builds),
        "UpdateBuild" => run(em, codec, body, builds::update_build),
        "DeleteBuild" => run(em, codec, body, builds::delete_build),
        "RequestUploadCredentials" => run(em, codec, body, builds::request_upload_credentials),
        "CreateScript" => run(em, codec, body, builds::create_script),
        "DescribeScript" => run(em, codec, body, builds::describe_script),
        "ListScripts" => run(em, codec, body, builds::list_scripts),
        "UpdateScript" => run(em, codec, body, builds::update_script),
        "DeleteScript" => run(em, codec, body, builds::delete_script),
        "TagResource" => run(em, codec, body, tags::tag_resource),
        "UntagResource" => run(em, codec, body, tags::untag_resource),
        "ListTagsForResource" => run(em, codec, body, tags::list_tags_for_resource),
        "CreateLocation" => run(em, codec, body, locations::create_location),
        "DeleteLocation" => run(em, codec, body, locations::delete_location),
        "ListLocations" => run(em, codec, body, locations::list_locations),
        // (end of aliases/builds/scripts/tags/custom locations)
        _ if MODEL_OPERATIONS.contains(&op) => Err(ApiError::UnsupportedOperation(format!(
            "The operation {op} is part of the Amazon GameLift API but gamelift-emulator does not support it yet."
        ))),
        _ => Err(ApiError::UnknownOperation(format!("Unknown operation: {op}"))),
    }
}

/// The operations `dispatch` implements (for the README table and the health endpoint).
pub const IMPLEMENTED: &[&str] = &[
    // Game sessions
    "CreateGameSession",
    "DescribeGameSessions",
    "DescribeGameSessionDetails",
    "SearchGameSessions",
    "UpdateGameSession",
    "TerminateGameSession",
    "GetGameSessionLogUrl",
    "GetPlayerConnectionDetails",
    // Player sessions
    "CreatePlayerSession",
    "CreatePlayerSessions",
    "DescribePlayerSessions",
    // Anywhere computes
    "RegisterCompute",
    "DescribeCompute",
    "ListCompute",
    "DeregisterCompute",
    "GetComputeAuthToken",
    // Fleets
    "CreateFleet",
    "DescribeFleetAttributes",
    "ListFleets",
    "UpdateFleetAttributes",
    "DeleteFleet",
    "DescribeRuntimeConfiguration",
    "UpdateRuntimeConfiguration",
    "DescribeFleetPortSettings",
    "UpdateFleetPortSettings",
    "DescribeFleetEvents",
    "DescribeInstances",
    "DescribeFleetCapacity",
    "UpdateFleetCapacity",
    "DescribeFleetUtilization",
    "DescribeFleetLocationCapacity",
    "DescribeFleetLocationUtilization",
    "CreateFleetLocations",
    "DescribeFleetLocationAttributes",
    "DeleteFleetLocations",
    // (end of fleets)
    // Aliases, builds, scripts, tags, custom locations
    "CreateAlias",
    "DescribeAlias",
    "ListAliases",
    "UpdateAlias",
    "DeleteAlias",
    "ResolveAlias",
    "CreateBuild",
    "DescribeBuild",
    "ListBuilds",
    "UpdateBuild",
    "DeleteBuild",
    "RequestUploadCredentials",
    "CreateScript",
    "DescribeScript",
    "ListScripts",
    "UpdateScript",
    "DeleteScript",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "CreateLocation",
    "DeleteLocation",
    "ListLocations",
];

/// `Limit` as a page size (absent: everything).
pub(crate) fn page_size(limit: Option<i32>) -> usize {
    limit.map_or(usize::MAX, |l| l.max(1) as usize)
}
