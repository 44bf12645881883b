//! `gamelift-emulator healthcheck`: one GET of `/_emulator/health` on the configured address
//! (loopback when bound to all interfaces), for container HEALTHCHECKs that have no curl.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use http_body_util::Empty;
use hyper::Request;
use hyper_util::rt::TokioIo;

use crate::config::Config;

/// The address to probe for a server bound to `bind`.
pub fn probe_addr(bind: SocketAddr) -> SocketAddr {
    let ip = match bind.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bind.port())
}

async fn get_health(addr: SocketAddr) -> Result<u16, String> {
    let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let req = Request::get("/_emulator/health")
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<bytes::Bytes>::new())
        .map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    Ok(resp.status().as_u16())
}

/// Exit 0 when healthy.
pub async fn check(config: &Config) -> ExitCode {
    let addr = probe_addr(config.bind);
    match tokio::time::timeout(Duration::from_secs(3), get_health(addr)).await {
        Ok(Ok(200)) => ExitCode::SUCCESS,
        Ok(Ok(status)) => {
            eprintln!("unhealthy: http://{addr}/_emulator/health answered {status}");
            ExitCode::FAILURE
        }
        Ok(Err(e)) => {
            eprintln!("unhealthy: http://{addr}/_emulator/health: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("unhealthy: http://{addr}/_emulator/health timed out");
            ExitCode::FAILURE
        }
    }
}
