//! The shared state handle: the world behind one lock, the driver's wake-up, the clock, the
//! configuration and the fixtures that `reset` returns to.
//!
//! A `std::sync::Mutex`, not tokio's: critical sections are short, CPU-only and never cross an
//! `.await`, which is exactly the case the tokio docs recommend the std mutex for.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Config;
use crate::fixtures::Fixtures;
use crate::model::{Now, World};

/// A cheap-to-clone handle on the emulator's state.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    public_url: OnceLock<String>,
    world: Mutex<World>,
    wake: Notify,
    clock: Clock,
    config: Config,
    fixtures: Fixtures,
}

impl Emulator {
    /// Builds the state from a configuration and parsed fixtures, loading the fixtures.
    pub fn new(config: Config, fixtures: Fixtures) -> Self {
        let clock = Clock::start();
        let world = fixtures.build_world(config.settings(), clock.now());
        Self {
            inner: Arc::new(Inner {
                public_url: OnceLock::new(),
                world: Mutex::new(world),
                wake: Notify::new(),
                clock,
                config,
                fixtures,
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Records the address the server actually listens on (known only after binding).
    pub fn set_listen_addr(&self, addr: std::net::SocketAddr) {
        let _ = self.inner.public_url.set(format!("http://{}", crate::healthcheck::probe_addr(addr)));
    }

    /// The base URL clients reach the emulator at (for URLs it hands out, such as log URLs).
    pub fn public_url(&self) -> String {
        match self.inner.public_url.get() {
            Some(url) => url.clone(),
            None => format!("http://{}", crate::healthcheck::probe_addr(self.inner.config.bind)),
        }
    }

    /// The current time.
    pub fn now(&self) -> Now {
        self.inner.clock.now()
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock is a bug; the world stays usable (every operation
        // validates before it mutates), so recover the guard rather than failing every request.
        self.inner.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the world in one critical section, at the current time, first applying
    /// every transition already due (so a request never sees a state a timer should have
    /// changed), and wakes the lifecycle driver if `f` scheduled an earlier deadline.
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World, Now) -> R) -> R {
        let mut world = self.lock();
        let now = self.now();
        world.advance(now);
        let out = f(&mut world, now);
        if world.take_wake() {
            self.inner.wake.notify_one();
        }
        out
    }

    /// Puts the world back to the fixtures, atomically.
    pub fn reset(&self) {
        let mut world = self.lock();
        *world = self.inner.fixtures.build_world(self.inner.config.settings(), self.now());
        drop(world);
        self.inner.wake.notify_one();
    }

    /// Applies due transitions; returns the next deadline (for the lifecycle driver).
    pub(crate) fn tick(&self) -> Option<tokio::time::Instant> {
        let mut world = self.lock();
        world.advance(self.now());
        world.take_wake();
        world.next_deadline()
    }

    /// Resolves when something scheduled an earlier deadline (or the world was reset).
    pub(crate) async fn woken(&self) {
        self.inner.wake.notified().await;
    }
}

impl Emulator {
    /// Reads the world as it is, without applying due transitions (tests use this to observe
    /// what the lifecycle driver alone has done).
    pub fn inspect<R>(&self, f: impl FnOnce(&World) -> R) -> R {
        f(&self.lock())
    }
}
