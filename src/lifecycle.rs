//! The lifecycle driver: the one task that applies timed transitions (activation, timeouts,
//! purges) when they fall due, even if no request arrives.
//!
//! It sleeps until the world's earliest deadline or until woken because an earlier one was
//! scheduled, or the emulator clock was paused, resumed or advanced. Deadlines are instants of
//! the emulator clock; `Emulator::tick` converts the next one to the real instant to wake at
//! (none while the clock is paused). Requests also apply due transitions before they run
//! (`Emulator::with_world`), so what a client reads never lags behind the clock.

use std::future::Future;

use crate::state::Emulator;

/// Runs until `shutdown` resolves.
pub async fn run(em: Emulator, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let next = em.tick();
        let sleep = async {
            match next {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = &mut shutdown => return,
            _ = sleep => {}
            _ = em.woken() => {}
        }
    }
}
