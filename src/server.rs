//! The emulator inside your own process, for Rust tests: start it on a free loopback port, point
//! an AWS SDK at [`ServerHandle::endpoint_url`], move its clock from the test, and let it stop
//! when the handle is dropped.
//!
//! ```
//! use std::time::Duration;
//! use gamelift_emulator::{Fixtures, Server};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let server = Server::builder().fixtures(Fixtures::empty()).clock_paused().start().await?;
//! assert!(server.endpoint_url().starts_with("http://127.0.0.1:"));
//! let before = server.clock().now.wall_ms;
//! server.advance(Duration::from_secs(30));
//! assert_eq!(server.clock().now.wall_ms, before + 30_000);
//! server.shutdown().await?; // or just drop it
//! # Ok(())
//! # }
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Cli, ClockMode, Config};
use crate::fixtures::Fixtures;
use crate::state::{ClockReading, Emulator};

/// Entry point of the in-process server: [`Server::builder`].
#[derive(Debug, Clone, Copy)]
pub struct Server;

impl Server {
    /// A builder with the binary's defaults (built-in fixtures, real-time clock), listening on a
    /// free port of 127.0.0.1.
    pub fn builder() -> ServerBuilder {
        ServerBuilder { config: None, fixtures: None, clock_paused: false, bind: None }
    }
}

/// Configures an in-process emulator; [`ServerBuilder::start`] runs it.
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    config: Option<Config>,
    fixtures: Option<Fixtures>,
    clock_paused: bool,
    bind: Option<SocketAddr>,
}

impl ServerBuilder {
    /// Starts from this configuration instead of the defaults (its `bind` is used unless
    /// [`ServerBuilder::bind`] is called too).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// The world to start from (and that `/_emulator/reset` returns to); default: the built-in
    /// fixtures. See [`Fixtures::parse`] and [`Fixtures::empty`].
    pub fn fixtures(mut self, fixtures: Fixtures) -> Self {
        self.fixtures = Some(fixtures);
        self
    }

    /// Starts with the emulator clock stopped: nothing times out or activates until the test
    /// calls [`ServerHandle::advance`] or [`ServerHandle::resume`].
    pub fn clock_paused(mut self) -> Self {
        self.clock_paused = true;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`: a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = Some(addr);
        self
    }

    /// Binds, then serves on the current tokio runtime until the handle is shut down or dropped.
    pub async fn start(self) -> std::io::Result<ServerHandle> {
        let mut config = match self.config {
            Some(c) => c,
            None => {
                let cli = Cli::try_parse_from(["gamelift-emulator", "--bind", "127.0.0.1:0"])
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
                cli.config
            }
        };
        if let Some(addr) = self.bind {
            config.bind = addr;
        }
        if self.clock_paused {
            config.clock = ClockMode::Paused;
        }
        let fixtures = match self.fixtures {
            Some(f) => f,
            None if config.no_fixtures => Fixtures::empty(),
            None => match &config.fixtures {
                Some(path) => Fixtures::load(path),
                None => Fixtures::builtin(),
            }
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?,
        };
        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let em = Emulator::open(config, fixtures)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        // Known before `start` returns (run() would set it only once the task is first polled).
        em.set_listen_addr(addr);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(crate::run(listener, em.clone(), async move {
            let _ = stop_rx.await;
        }));
        Ok(ServerHandle { em, addr, stop: Some(stop_tx), task: Some(task) })
    }
}

/// A running in-process emulator. Dropping it starts a graceful shutdown (in-flight requests
/// finish, then the listener closes); [`ServerHandle::shutdown`] also waits for it.
pub struct ServerHandle {
    em: Emulator,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// The URL to give an AWS SDK as its endpoint, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint_url(&self) -> String {
        self.em.public_url()
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `ws://` URL game-server processes connect to (Server SDK 5).
    pub fn sdk_endpoint(&self) -> String {
        self.em.sdk_endpoint()
    }

    /// The emulator's state, for reading the world directly.
    pub fn emulator(&self) -> &Emulator {
        &self.em
    }

    /// What the emulator clock reads.
    pub fn clock(&self) -> ClockReading {
        self.em.clock()
    }

    /// Moves emulated time forward, applying every transition that falls due on the way.
    pub fn advance(&self, by: Duration) -> ClockReading {
        self.em.advance_clock(by)
    }

    /// Stops emulated time.
    pub fn pause(&self) -> ClockReading {
        self.em.pause_clock()
    }

    /// Lets emulated time run again.
    pub fn resume(&self) -> ClockReading {
        self.em.resume_clock()
    }

    /// Puts the world back to the fixtures it started from.
    pub fn reset(&self) {
        self.em.reset()
    }

    /// Shuts down gracefully and waits until the server has stopped.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
