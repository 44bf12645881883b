//! `gamelift_emulator::Server`: the in-process server a Rust test starts on a loopback port.

use std::time::Duration;

use gamelift_emulator::{Fixtures, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 GET over a fresh connection; the whole response as text.
async fn get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .await?;
    let mut out = String::new();
    stream.read_to_string(&mut out).await?;
    Ok(out)
}

#[tokio::test]
async fn a_started_server_answers_on_its_endpoint_and_stops_on_shutdown() {
    let server = Server::builder().fixtures(Fixtures::empty()).start().await.expect("start");
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    assert_eq!(server.endpoint_url(), format!("http://{addr}"));
    assert_eq!(server.sdk_endpoint(), format!("ws://{addr}"));
    let health = get(addr, "/_emulator/health").await.expect("health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let metrics = get(addr, "/metrics").await.expect("metrics");
    assert!(metrics.contains("gamelift_emulator_game_sessions{status=\"ACTIVE\"} 0"), "{metrics}");
    server.shutdown().await.expect("graceful shutdown");
    assert!(TcpStream::connect(addr).await.is_err(), "still listening after shutdown");
}

#[tokio::test]
async fn the_handle_moves_a_paused_clock() {
    let server = Server::builder().fixtures(Fixtures::empty()).clock_paused().start().await.expect("start");
    let before = server.clock();
    assert!(before.paused);
    let after = server.advance(Duration::from_secs(90));
    assert_eq!(after.now.wall_ms - before.now.wall_ms, 90_000);
    assert!(!server.resume().paused);
    assert!(server.pause().paused);
}

#[tokio::test]
async fn dropping_the_handle_shuts_the_server_down() {
    let server = Server::builder().fixtures(Fixtures::empty()).start().await.expect("start");
    let addr = server.local_addr();
    drop(server);
    // Dropping signals the server task; yielding lets it close the listener (no sleeping).
    let mut closed = false;
    for _ in 0..10_000 {
        if TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(closed, "still listening after the handle was dropped");
}
