//! One function per AWS operation, named after it, and the operation table.
//!
//! Each operation receives its decoded, constraint-checked input DTO, applies the stateless
//! cross-member checks (anything that reads state belongs to the model), calls the model in one
//! critical section, and builds its output DTO. Nothing here knows about HTTP.
//!
//! The table at the bottom of this file is the one list of implemented operations: dispatch and
//! [`IMPLEMENTED`] both come from it, and each row takes its wire name from the handler's input
//! type (`dto::Operation`), so a handler can only be served under its own operation's name and
//! must return that operation's output shape.

mod aliases;
mod builds;
mod computes;
pub mod control;
mod fleets;
mod game_sessions;
mod locations;
pub(crate) mod matchmaking;
pub(crate) mod player_sessions;
mod queues;
pub(crate) mod tags;
pub mod ui;

use serde::Serialize;

use crate::codec::Codec;
pub use crate::dto::Unit;
use crate::dto::{MODEL_OPERATIONS, Operation};
use crate::error::{ApiError, ApiResult};
use crate::state::Emulator;

/// An encoded operation result.
#[derive(Debug)]
pub enum Output {
    /// An encoded output structure.
    Body(Vec<u8>),
    /// A Unit output: `{}` in JSON, no body in CBOR.
    Unit,
}

/// How an output shape becomes an [`Output`] (implemented for every output shape and [`Unit`]).
pub trait IntoOutput {
    /// Encodes `self` in `codec`.
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

/// A handler of operation `I`: it takes `I`'s input shape and returns `I`'s output shape.
pub type Handler<I> = fn(&Emulator, I) -> ApiResult<<I as Operation>::Output>;

/// Decode → validate → run → encode, for the operation whose input shape is `I`.
pub fn run<I>(em: &Emulator, codec: Codec, body: &[u8], handler: Handler<I>) -> ApiResult<Output>
where
    I: Operation,
    I::Output: IntoOutput,
{
    let input: I = codec.decode(body)?;
    input.validate().map_err(ApiError::InvalidRequest)?;
    let output = if is_read(I::NAME) {
        em.read(|| handler(em, input))
    } else {
        em.command(
            || crate::journal::Command::Api { op: I::NAME.to_owned(), codec, body: body.to_vec() },
            || handler(em, input),
        )
    };
    output?.into_output(codec)
}

/// Operations that only read (journaled only when the due timers they applied changed the
/// world). GetComputeAuthToken reads nothing: it issues a token.
pub fn is_read(op: &str) -> bool {
    ["Describe", "List", "Search", "Validate", "Get"].iter().any(|p| op.starts_with(p))
        && op != "GetComputeAuthToken"
}

/// The table row serving operation `op`.
fn entry(op: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.name == op)
}

/// Runs a journaled operation again at start-up (no fault injection; its answer goes nowhere,
/// errors included, as it went when it was first run).
pub(crate) fn replay(em: &Emulator, op: &str, codec: Codec, body: &[u8]) -> Result<(), String> {
    match entry(op) {
        Some(entry) => {
            let _ = (entry.call)(em, codec, body);
            Ok(())
        }
        None => Err(format!("an operation this version does not implement ({op})")),
    }
}

/// One row of the operation table: an operation's wire name and its runner.
#[derive(Clone, Copy)]
pub struct Entry {
    name: &'static str,
    call: fn(&Emulator, Codec, &[u8]) -> ApiResult<Output>,
}

impl Entry {
    /// A row serving `handler` under the name its input type carries; `call` runs it (the
    /// `operations!` table passes `|em, codec, body| run(em, codec, body, handler)`).
    ///
    /// A handler whose output is not its input's operation's output is rejected at compile time:
    ///
    /// ```compile_fail
    /// use gamelift_emulator::{dto, ops::{self, Entry}, ApiError, Emulator};
    /// // DescribeAlias answering with DescribeBuild's output shape:
    /// fn describe_alias(_: &Emulator, _: dto::DescribeAliasInput) -> Result<dto::DescribeBuildOutput, ApiError> {
    ///     Ok(Default::default())
    /// }
    /// const ROW: Entry = Entry::new(describe_alias, |em, codec, body| ops::run(em, codec, body, describe_alias));
    /// ```
    ///
    /// The same row with the right output shape compiles, and is served as `DescribeAlias`:
    ///
    /// ```
    /// use gamelift_emulator::{dto, ops::{self, Entry}, ApiError, Emulator};
    /// fn describe_alias(_: &Emulator, _: dto::DescribeAliasInput) -> Result<dto::DescribeAliasOutput, ApiError> {
    ///     Ok(Default::default())
    /// }
    /// const ROW: Entry = Entry::new(describe_alias, |em, codec, body| ops::run(em, codec, body, describe_alias));
    /// assert_eq!(ROW.name(), "DescribeAlias");
    /// ```
    pub const fn new<I: Operation>(
        handler: Handler<I>,
        call: fn(&Emulator, Codec, &[u8]) -> ApiResult<Output>,
    ) -> Self {
        let _ = handler;
        Entry { name: I::NAME, call }
    }

    /// The operation's wire name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// Builds [`TABLE`] and [`IMPLEMENTED`] from one list of handlers.
macro_rules! operations {
    ($($family:ident::$handler:ident),* $(,)?) => {
        /// Every operation the emulator implements, one row per handler.
        pub const TABLE: &[Entry] = &[$(
            Entry::new($family::$handler, |em, codec, body| run(em, codec, body, $family::$handler)),
        )*];
    };
}

/// The names of the operations in [`TABLE`], in table order (the README's operations table is
/// checked against this list).
pub const IMPLEMENTED: [&str; TABLE.len()] = {
    let mut names = [""; TABLE.len()];
    let mut i = 0;
    while i < TABLE.len() {
        names[i] = TABLE[i].name;
        i += 1;
    }
    names
};

// Two rows for one operation (the same handler twice, or two handlers of one input type) would
// leave one of them unreachable: refuse to compile instead.
const _: () = {
    const fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let mut i = 0;
    while i < IMPLEMENTED.len() {
        let mut j = i + 1;
        while j < IMPLEMENTED.len() {
            assert!(!same(IMPLEMENTED[i], IMPLEMENTED[j]), "an operation has two rows in operations![…]");
            j += 1;
        }
        i += 1;
    }
};

/// Runs operation `op` on `body`, unless an injected fault (`/_emulator/faults`) answers first.
pub fn dispatch(em: &Emulator, op: &str, codec: Codec, body: &[u8]) -> ApiResult<Output> {
    // What this call journals is what its caller waits for (`journal::take_appended`).
    let _ = crate::journal::take_appended();
    match entry(op) {
        Some(entry) => match em.faults().error(op) {
            Some(injected) => Err(injected),
            None => (entry.call)(em, codec, body),
        },
        None if MODEL_OPERATIONS.contains(&op) => Err(ApiError::UnsupportedOperation(format!(
            "The operation {op} is part of the Amazon GameLift API but gamelift-emulator does not support it yet."
        ))),
        None => Err(ApiError::UnknownOperation(format!("Unknown operation: {op}"))),
    }
}

operations![
    game_sessions::create_game_session,
    game_sessions::describe_game_sessions,
    game_sessions::describe_game_session_details,
    game_sessions::search_game_sessions,
    game_sessions::update_game_session,
    game_sessions::terminate_game_session,
    game_sessions::get_game_session_log_url,
    game_sessions::get_player_connection_details,
    player_sessions::create_player_session,
    player_sessions::create_player_sessions,
    player_sessions::describe_player_sessions,
    computes::register_compute,
    computes::describe_compute,
    computes::list_compute,
    computes::deregister_compute,
    computes::get_compute_auth_token,
    fleets::create_fleet,
    fleets::describe_fleet_attributes,
    fleets::list_fleets,
    fleets::update_fleet_attributes,
    fleets::delete_fleet,
    fleets::describe_runtime_configuration,
    fleets::update_runtime_configuration,
    fleets::describe_fleet_port_settings,
    fleets::update_fleet_port_settings,
    fleets::describe_fleet_events,
    fleets::describe_instances,
    fleets::describe_fleet_capacity,
    fleets::update_fleet_capacity,
    fleets::describe_fleet_utilization,
    fleets::describe_fleet_location_capacity,
    fleets::describe_fleet_location_utilization,
    fleets::create_fleet_locations,
    fleets::describe_fleet_location_attributes,
    fleets::delete_fleet_locations,
    aliases::create_alias,
    aliases::describe_alias,
    aliases::list_aliases,
    aliases::update_alias,
    aliases::delete_alias,
    aliases::resolve_alias,
    builds::create_build,
    builds::describe_build,
    builds::list_builds,
    builds::update_build,
    builds::delete_build,
    builds::request_upload_credentials,
    builds::create_script,
    builds::describe_script,
    builds::list_scripts,
    builds::update_script,
    builds::delete_script,
    tags::tag_resource,
    tags::untag_resource,
    tags::list_tags_for_resource,
    locations::create_location,
    locations::delete_location,
    locations::list_locations,
    queues::create_game_session_queue,
    queues::describe_game_session_queues,
    queues::update_game_session_queue,
    queues::delete_game_session_queue,
    queues::start_game_session_placement,
    queues::describe_game_session_placement,
    queues::stop_game_session_placement,
    matchmaking::create_matchmaking_rule_set,
    matchmaking::describe_matchmaking_rule_sets,
    matchmaking::delete_matchmaking_rule_set,
    matchmaking::validate_matchmaking_rule_set,
    matchmaking::create_matchmaking_configuration,
    matchmaking::describe_matchmaking_configurations,
    matchmaking::update_matchmaking_configuration,
    matchmaking::delete_matchmaking_configuration,
    matchmaking::start_matchmaking,
    matchmaking::describe_matchmaking,
    matchmaking::stop_matchmaking,
    matchmaking::accept_match,
    matchmaking::start_match_backfill,
];

/// `Limit` as a page size (absent: everything).
pub(crate) fn page_size(limit: Option<i32>) -> usize {
    limit.map_or(usize::MAX, |l| l.max(1) as usize)
}
