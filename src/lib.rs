//! gamelift-emulator: a local, offline emulator of the Amazon GameLift API.
//!
//! Point boto3, the AWS CLI or any AWS SDK at it (`endpoint_url`) and lobby services,
//! matchmakers and test harnesses behave as they would against AWS: both wire protocols
//! (AWS JSON 1.1 and Smithy RPC v2 CBOR) on one port, GameLift's validation and error names,
//! IDs and ARNs shaped as AWS shapes them, and lifecycles that move in time.
//!
//! # Layout
//! Dependencies run one way: `protocol` → `ops` and `sdk` → `state` → `model`, with `dto` and
//! `codec` beside `ops` (both `protocol` and `ops` use them).
//! - `protocol/`: the wire (routing by `X-Amz-Target` or RPC v2 path, error envelope, request
//!   IDs) and the `/_emulator/*` control API.
//! - `codec.rs`: the two byte formats (AWS JSON 1.1, RPC v2 CBOR) and their error bodies.
//! - `ops/`: one function per AWS operation and the operation table.
//! - `dto/`: wire shapes generated from botocore's model, with their constraint checks.
//! - `model/`: the world (fleets, aliases, game sessions, capacity, timers); no serde, no HTTP.
//! - `state.rs`: the shared handle (world behind one mutex, clock, config, fixtures).
//! - `lifecycle.rs`: the driver task that applies timed transitions.
//! - `sdk/`: the Server SDK 5 WebSocket that game-server processes connect to; `tls.rs` the
//!   `wss://` listener in front of the same router; `serve.rs` the accept loop both listeners
//!   share (keep-alive, upgrades, graceful shutdown, header-read and idle timeouts).
//! - `events/`: the event bus placement events are published to (the log behind
//!   `GET /_emulator/events`, SNS and webhook sinks), and their AWS envelope.
//! - `flexmatch/`: the FlexMatch rule language engine (rule sets, matching); pure, no HTTP.
//! - `metrics.rs`: `GET /metrics` (Prometheus); `server.rs`: [`Server`], the emulator inside a
//!   Rust test's own process.
//! - `memory.rs`: gives the allocator's free pages back after a spike of game-server sockets.
//! - `faults.rs`: fault injection rules (`/_emulator/faults`), consulted before each operation.
//! - `sigv4.rs`: optional SigV4 verification of API requests (`--verify-signatures`).
//! - `fixtures.rs`, `config.rs`, `clock.rs`, `error.rs`.
//!
//! See docs/architecture.md for the design and its reasons.

pub mod clock;
pub mod codec;
pub mod config;
pub mod dto;
pub mod error;
pub mod events;
pub mod faults;
pub mod fixtures;
pub mod flexmatch;
pub mod healthcheck;
pub mod journal;
pub mod lifecycle;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod ops;
pub mod protocol;
pub mod sdk;
pub mod serve;
pub mod server;
pub mod sigv4;
pub mod state;
pub mod tls;

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;

pub use config::Config;
pub use error::ApiError;
pub use fixtures::Fixtures;
pub use server::{Server, ServerBuilder, ServerHandle};
pub use state::Emulator;

/// The HTTP application for `em` (tests call it in-process with `tower::ServiceExt::oneshot`).
pub fn app(em: Emulator) -> Router {
    protocol::router(em)
}

/// Serves `em` on `listener` until `shutdown` resolves, running the lifecycle driver alongside.
pub async fn run(
    listener: TcpListener,
    em: Emulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        em.set_listen_addr(addr);
        if let Some(warning) = config::exposure_warning(addr, em.config().verify_signatures) {
            tracing::warn!("{warning}");
        }
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let driver = tokio::spawn(lifecycle::run(em.clone(), {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }));
    let sinks = em.events().spawn_sinks({
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    });
    let timeouts = serve::Timeouts::from_config(em.config());
    let wss = match em.config().wss_bind {
        None => None,
        Some(addr) => {
            let identity = match (&em.config().tls_cert, &em.config().tls_key) {
                (Some(cert), Some(key)) => tls::Identity::from_files(cert, key),
                _ => tls::Identity::self_signed(),
            }
            .map_err(std::io::Error::other)?;
            let acceptor = identity.acceptor().map_err(std::io::Error::other)?;
            let tls_listener = TcpListener::bind(addr).await?;
            let local = tls_listener.local_addr()?;
            if let Some(warning) = config::exposure_warning(local, em.config().verify_signatures) {
                tracing::warn!("wss listener: {warning}");
            }
            let url = format!("wss://{}", em.advertised(local));
            tracing::info!(url = %url, "wss listener for game servers ready");
            em.set_wss(url, identity.cert_pem.clone());
            let mut rx = stop_rx.clone();
            let stop = async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            Some(tokio::spawn(tls::serve(tls_listener, acceptor, app(em.clone()), timeouts, stop)))
        }
    };
    let events = em.clone();
    let journaled = em.journal().is_some().then(|| em.clone());
    let plain = |tcp: tokio::net::TcpStream| std::future::ready(Some(tcp));
    serve::serve(listener, app(em), timeouts, plain, async move {
        shutdown.await;
        // Long polls of the event log end now, so the graceful shutdown does not wait them out.
        events.events().stop_waiting();
        let _ = stop_tx.send(true);
    })
    .await;
    let _ = driver.await;
    if let Some(sinks) = sinks {
        let _ = sinks.await;
    }
    if let Some(wss) = wss {
        let _ = wss.await;
    }
    // With --data-dir: everything journaled so far is written before the server returns.
    if let Some(em) = journaled {
        let _ = tokio::task::spawn_blocking(move || em.journal().map(crate::journal::Journal::flush)).await;
    }
    Ok(())
}
