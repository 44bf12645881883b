//! One function per AWS operation, named after it, and the single dispatch table.
//!
//! Each operation receives its decoded, constraint-checked input DTO, applies the cross-member
//! rules the model cannot express, calls the model in one critical section, and builds its
//! output DTO. Nothing here knows about HTTP.

mod game_sessions;

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
        // Aliases, builds, scripts, tags, custom locations
        // (end of aliases/builds/scripts/tags/custom locations)
        _ if MODEL_OPERATIONS.contains(&op) => Err(ApiError::UnsupportedOperation(format!(
            "The operation {op} is part of the Amazon GameLift API but gamelift-emulator does not support it yet."
        ))),
        _ => Err(ApiError::UnknownOperation(format!("Unknown operation: {op}"))),
    }
}

/// The operations `dispatch` implements (for the README table and the health endpoint).
pub const IMPLEMENTED: &[&str] = &["CreateGameSession", "DescribeGameSessions"];

/// `Limit` as a page size (absent: everything).
pub(crate) fn page_size(limit: Option<i32>) -> usize {
    limit.map_or(usize::MAX, |l| l.max(1) as usize)
}
