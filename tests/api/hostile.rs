//! Hostile input: the defects a probe of the emulator found (issue 12), each with the test that
//! shows it fixed. These run in-process; the ones that need a real socket (oversized WebSocket
//! frames, chunked bodies over the limit) start the server on a loopback port.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::game_servers::Process;
use crate::harness::*;
use crate::sessions_lifecycle::active_session;

async fn pending_timers(api: &Api) -> u64 {
    let r = api.send(Request::get("/_emulator/health").body(Body::empty()).expect("request")).await;
    r.assert_ok()["counts"]["pendingTimers"].as_u64().unwrap_or(u64::MAX)
}

/// Defect 4: a process on one fleet read another fleet's player sessions.
#[tokio::test(start_paused = true)]
async fn a_process_cannot_read_player_sessions_of_another_fleet() {
    let api = Api::new();
    let gs =
        active_session(&api, Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 2 })).await;
    let r =
        api.call(Proto::Json, "CreatePlayerSession", json!({ "GameSessionId": gs, "PlayerId": "p-1" })).await;
    let ps = r.assert_ok()["PlayerSession"]["PlayerSessionId"].as_str().unwrap_or_default().to_string();

    let mut p = Process::attach(&api, "proc-1");
    p.ok("ActivateServerProcess", json!({ "Port": 7777 }));
    for query in [json!({ "GameSessionId": gs }), json!({ "PlayerSessionId": ps })] {
        let r = p.request("DescribePlayerSessions", query.clone());
        assert_eq!(r["StatusCode"], 404, "{query}: {r}");
        assert!(r["PlayerSessions"].is_null(), "{r}");
    }
    let r = p.ok("DescribePlayerSessions", json!({ "PlayerId": "p-1" }));
    assert_eq!(r["PlayerSessions"], json!([]), "{r}");
}

/// Defect 5: an unknown ComputeId passed the handshake and was closed afterwards.
#[tokio::test]
async fn an_unknown_compute_is_refused_with_403_before_the_upgrade() {
    let api = Api::new();
    let req = Request::get(format!(
        "/?pID=p&FleetId={FLEET_ANYWHERE}&ComputeId=no-such-box&Authorization=local-auth-token"
    ))
    .header("connection", "upgrade")
    .header("upgrade", "websocket")
    .header("sec-websocket-version", "13")
    .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
    .body(Body::empty())
    .expect("request");
    let r = api.send(req).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body["message"].as_str().unwrap_or_default().contains("no-such-box"), "{}", r.body);
}

/// Defect 8: timeout timers of ended player sessions stayed queued until they expired.
#[tokio::test(start_paused = true)]
async fn ended_player_sessions_leave_no_timers_behind() {
    let api = Api::new();
    let gs =
        active_session(&api, Proto::Json, json!({ "FleetId": FLEET, "MaximumPlayerSessionCount": 4 })).await;
    let before = pending_timers(&api).await;
    let r = api
        .call(
            Proto::Json,
            "CreatePlayerSessions",
            json!({ "GameSessionId": gs, "PlayerIds": ["a", "b", "c"] }),
        )
        .await;
    let ids: Vec<String> = r.assert_ok()["PlayerSessions"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["PlayerSessionId"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    assert_eq!(pending_timers(&api).await, before + 3);
    let post = |path: String| Request::post(path).body(Body::empty()).expect("request");
    api.send(post(format!("/_emulator/player-sessions/{}/complete", ids[0]))).await.assert_ok();
    api.send(post(format!("/_emulator/player-sessions/{}/accept", ids[1]))).await.assert_ok();
    assert_eq!(pending_timers(&api).await, before + 1);
    api.call(
        Proto::Json,
        "TerminateGameSession",
        json!({ "GameSessionId": gs, "TerminationMode": "FORCE_TERMINATE" }),
    )
    .await
    .assert_ok();
    tokio::time::advance(Duration::from_secs(1)).await;
    let ps = api.call(Proto::Json, "DescribePlayerSessions", json!({ "GameSessionId": gs })).await;
    let open = ps.assert_ok()["PlayerSessions"]
        .as_array()
        .map(|a| a.iter().filter(|p| p["Status"] == "RESERVED").count())
        .unwrap_or(usize::MAX);
    assert_eq!(open, 0);
    // What is left are the game session's own timers, none for its players.
    let player_timers = api.em.inspect(|w| {
        w.timers()
            .iter()
            .filter(|(_, t)| matches!(t, gamelift_emulator::model::timers::Timer::PlayerSessionTimeout(_)))
            .count()
    });
    assert_eq!(player_timers, 0);
}

/// Starts the emulator on a loopback port (for what needs a real socket); returns its address.
async fn serve(config: gamelift_emulator::Config) -> std::net::SocketAddr {
    serve_em(config).await.0
}

/// `serve`, also returning the emulator to look inside.
async fn serve_em(config: gamelift_emulator::Config) -> (std::net::SocketAddr, gamelift_emulator::Emulator) {
    let em =
        gamelift_emulator::Emulator::new(config, gamelift_emulator::Fixtures::builtin().expect("fixtures"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(gamelift_emulator::run(listener, em.clone(), std::future::pending()));
    (addr, em)
}

/// Defect 2: a text frame over 16 MiB dropped the connection without a close frame.
#[tokio::test]
async fn a_frame_over_16_mib_is_closed_with_1009() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let addr = serve(gamelift_emulator::Config::for_tests()).await;
    let url = format!(
        "ws://{addr}/?pID=big&FleetId={FLEET_ANYWHERE}&ComputeId=local-compute&Authorization=local-auth-token"
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    let big = "x".repeat((16 << 20) + 1);
    // The server may close while the frame is still being written.
    let _ = ws.send(Message::text(big)).await;
    let mut code = None;
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Close(frame) = m {
            code = frame.map(|f| f.code);
            break;
        }
    }
    assert_eq!(code, Some(CloseCode::Size));
}

/// Defect 11: a chunked body over the limit was sometimes answered with a connection reset.
#[tokio::test]
async fn a_chunked_body_over_the_limit_is_always_a_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = gamelift_emulator::Config::for_tests();
    config.max_body_size = 64 << 10;
    let addr = serve(config).await;
    let chunk = vec![b'a'; 16 << 10];
    for attempt in 0..25 {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = "POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: GameLift.ListFleets\r\n\
                    content-type: application/x-amz-json-1.1\r\ntransfer-encoding: chunked\r\n\r\n";
        tcp.write_all(head.as_bytes()).await.expect("head");
        for _ in 0..12 {
            let mut c = format!("{:x}\r\n", chunk.len()).into_bytes();
            c.extend_from_slice(&chunk);
            c.extend_from_slice(b"\r\n");
            if tcp.write_all(&c).await.is_err() {
                break;
            }
        }
        let _ = tcp.write_all(b"0\r\n\r\n").await;
        let mut answer = Vec::new();
        let read = tcp.read_to_end(&mut answer).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(read.is_ok(), "attempt {attempt}: {read:?} after {text:?}");
        assert!(text.starts_with("HTTP/1.1 413"), "attempt {attempt}: {text}");
        assert!(text.contains("RequestEntityTooLargeException"), "attempt {attempt}: {text}");
    }
}

/// `serve` with the given header-read and idle timeouts.
async fn serve_with_timeouts(header_read: Duration, idle: Duration) -> std::net::SocketAddr {
    let mut config = gamelift_emulator::Config::for_tests();
    config.header_read_timeout = header_read;
    config.idle_timeout = idle;
    serve(config).await
}

/// Sends one keep-alive request on `tcp` and reads its whole answer (head and body).
async fn health_over(tcp: &mut tokio::net::TcpStream) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tcp.write_all(b"GET /_emulator/health HTTP/1.1\r\nhost: x\r\n\r\n").await.expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tcp.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed before the answer was complete: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .expect("content-length");
            if body.len() >= length {
                return text;
            }
        }
    }
}

/// Defect 3: a client sending one header byte per second was never disconnected.
#[tokio::test(start_paused = true)]
async fn a_client_dribbling_its_headers_gets_a_408_and_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = serve_with_timeouts(Duration::from_secs(10), Duration::from_secs(60)).await;
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = b"GET /_emulator/health HTTP/1.1\r\nhost: x\r\nx-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let started = tokio::time::Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    for byte in head {
        tcp.write_all(&[*byte]).await.expect("the server still reads");
        // One byte a second; whatever the server says in between ends the dribble.
        if let Ok(read) = tokio::time::timeout(Duration::from_secs(1), tcp.read(&mut buf)).await {
            answer.extend_from_slice(&buf[..read.expect("read")]);
            break;
        }
    }
    let waited = started.elapsed();
    tokio::time::timeout(Duration::from_secs(60), tcp.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .expect("a clean close after the answer");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("RequestTimeoutException"), "{text}");
    assert!(waited >= Duration::from_secs(10) && waited < Duration::from_secs(12), "{waited:?}");
}

/// A keep-alive connection is reused while requests keep coming, and closed once it has sat
/// without one for the idle timeout (which is not the header-read timeout).
#[tokio::test(start_paused = true)]
async fn an_idle_keep_alive_connection_is_closed_and_a_busy_one_is_not() {
    use tokio::io::AsyncReadExt;
    let addr = serve_with_timeouts(Duration::from_secs(10), Duration::from_secs(60)).await;
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    for _ in 0..3 {
        let answer = health_over(&mut tcp).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // Quiet for longer than the header-read timeout, shorter than the idle one.
        tokio::time::sleep(Duration::from_secs(50)).await;
    }
    health_over(&mut tcp).await;
    let quiet_from = tokio::time::Instant::now();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(300), tcp.read(&mut buf))
        .await
        .expect("closed by the server")
        .expect("a clean close");
    assert_eq!(n, 0, "{}", String::from_utf8_lossy(&buf[..n]));
    let waited = quiet_from.elapsed();
    assert!(waited >= Duration::from_secs(60) && waited < Duration::from_secs(62), "{waited:?}");
}

/// A long poll is a request in progress, not an idle connection: the timeouts leave it alone.
#[tokio::test(start_paused = true)]
async fn a_long_poll_outlasts_the_idle_and_header_timeouts() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = serve_with_timeouts(Duration::from_secs(1), Duration::from_secs(2)).await;
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let started = tokio::time::Instant::now();
    tcp.write_all(b"GET /_emulator/events?wait=5 HTTP/1.1\r\nhost: x\r\n\r\n").await.expect("write");
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(30), tcp.read(&mut buf))
        .await
        .expect("an answer")
        .expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(started.elapsed() >= Duration::from_secs(5), "{:?}", started.elapsed());
}

/// A game server's WebSocket is quiet for minutes between heartbeats: the idle timeout of HTTP
/// connections must not cut it.
#[tokio::test(start_paused = true)]
async fn a_game_server_socket_is_not_cut_by_the_idle_timeout() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let addr = serve_with_timeouts(Duration::from_secs(10), Duration::from_secs(60)).await;
    let url = format!(
        "ws://{addr}/?pID=quiet&FleetId={FLEET_ANYWHERE}&ComputeId=local-compute&Authorization=local-auth-token"
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    for round in 0..3 {
        tokio::time::sleep(Duration::from_secs(300)).await;
        let request = json!({ "Action": "HeartbeatServerProcess", "RequestId": format!("hb-{round}"), "HealthStatus": true });
        ws.send(Message::text(request.to_string())).await.expect("the socket is still open");
        let reply = loop {
            match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    break serde_json::from_str::<serde_json::Value>(&t).expect("json");
                }
                Ok(Some(Ok(_))) => continue,
                other => panic!("round {round}: no reply: {other:?}"),
            }
        };
        assert_eq!(reply["RequestId"], format!("hb-{round}"), "{reply}");
    }
}

/// What the emulator keeps for game-server processes of the Anywhere fleet: (registered
/// sockets, processes, capacity of its process table, queued messages, process timers).
fn process_state(em: &gamelift_emulator::Emulator) -> (usize, usize, usize, usize, usize) {
    let f = em.inspect(|w| w.process_footprint(FLEET_ANYWHERE));
    (em.open_connections(), f.processes, f.table_capacity, f.queued_messages, f.timers)
}

/// Defect 7: memory stayed behind for every closed game-server socket. Whatever the emulator
/// holds per socket (the socket registry, the process record kept for a reconnect, its queued
/// messages and timers, the table capacity a spike grew) is gone once the reconnect grace ends.
#[tokio::test(start_paused = true)]
async fn closed_game_server_sockets_leave_nothing_behind() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut config = gamelift_emulator::Config::for_tests();
    config.process_reconnect_grace = Duration::from_secs(10);
    let (addr, em) = serve_em(config).await;
    let before = process_state(&em);
    assert_eq!(before.0 + before.1 + before.3 + before.4, 0, "{before:?}");
    let mut sockets = Vec::new();
    for i in 0..300 {
        let url = format!(
            "ws://{addr}/?pID=p-{i}&FleetId={FLEET_ANYWHERE}&ComputeId=local-compute&Authorization=local-auth-token"
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
        let activate = json!({ "Action": "ActivateServerProcess", "RequestId": format!("a-{i}"),
                               "SdkVersion": "5.0.0", "SdkLanguage": "Go", "Port": 7000 + i, "LogPaths": [] });
        ws.send(Message::text(activate.to_string())).await.expect("send");
        while let Some(Ok(m)) = ws.next().await {
            if matches!(m, Message::Text(_)) {
                break;
            }
        }
        sockets.push(ws);
    }
    let open = process_state(&em);
    assert_eq!((open.0, open.1), (300, 300), "{open:?}");
    // Half say goodbye, half just vanish (as a crashed server does).
    for (i, mut ws) in sockets.into_iter().enumerate() {
        if i % 2 == 0 {
            let _ = ws.close(None).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let closing = process_state(&em);
    assert_eq!(closing.0, 0, "sockets unregistered at once: {closing:?}");
    assert_eq!(closing.1, 300, "processes kept for a reconnect: {closing:?}");
    assert_eq!(closing.4, 300, "each waits out its grace on a timer: {closing:?}");
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (conns, procs, capacity, outbox, timers) = process_state(&em);
    assert_eq!((conns, procs, outbox, timers), (0, 0, 0, 0));
    assert!(capacity <= 64, "the process table gave back what the spike grew: capacity {capacity}");
}

/// The `wss://` listener shares the accept loop: a client that opens a TCP connection and never
/// starts its TLS handshake is dropped after the header-read timeout.
#[tokio::test(start_paused = true)]
async fn a_silent_client_of_the_wss_listener_is_dropped() {
    use tokio::io::AsyncReadExt;
    let mut config = gamelift_emulator::Config::for_tests();
    config.wss_bind = Some("127.0.0.1:0".parse().expect("addr"));
    config.header_read_timeout = Duration::from_secs(10);
    let (_, em) = serve_em(config).await;
    let wss = loop {
        match em.wss() {
            Some((url, _)) => break url.trim_start_matches("wss://").to_string(),
            None => tokio::task::yield_now().await,
        }
    };
    let mut tcp = tokio::net::TcpStream::connect(&wss).await.expect("connect");
    let started = tokio::time::Instant::now();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(60), tcp.read(&mut buf)).await.expect("dropped");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(10) && waited < Duration::from_secs(12), "{waited:?}");
}
