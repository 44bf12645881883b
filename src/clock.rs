//! The emulator's clock: one monotonic base (tokio's `Instant`, which tests can pause and
//! advance) and the wall-clock time read once at start, so wall time moves exactly with the
//! monotonic clock and paused-time tests see consistent CreationTime values.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::model::Now;

/// A pausable clock.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base: Instant,
    base_wall_ms: i64,
}

impl Clock {
    /// Starts the clock at the current wall time.
    pub fn start() -> Self {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        Self { base: Instant::now(), base_wall_ms: wall }
    }

    /// The current time.
    pub fn now(&self) -> Now {
        let at = Instant::now();
        let elapsed = at.saturating_duration_since(self.base).as_millis() as i64;
        Now { at, wall_ms: self.base_wall_ms + elapsed }
    }
}
