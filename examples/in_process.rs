//! The emulator inside a Rust program's own process, driven by the official `aws-sdk-gamelift`:
//! a game session is created ACTIVATING and becomes ACTIVE when the test moves the paused clock.
//!
//!     cargo run --example in_process
//!
//! In a test, the same code goes in a `#[tokio::test]`.

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_gamelift::config::{BehaviorVersion, Region};
use aws_sdk_gamelift::types::GameSessionStatus;
use gamelift_emulator::Server;

/// The built-in fixtures' ACTIVE EC2 fleet.
const FLEET: &str = "fleet-00000000-0000-4000-8000-000000000001";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Built-in fixtures, a free loopback port, time standing still until we move it.
    let server = Server::builder().clock_paused().start().await?;

    let config = aws_sdk_gamelift::Config::builder()
        .endpoint_url(server.endpoint_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("x", "x", None, None, "example"))
        .behavior_version(BehaviorVersion::latest())
        .build();
    let gamelift = aws_sdk_gamelift::Client::from_conf(config);

    let created =
        gamelift.create_game_session().fleet_id(FLEET).maximum_player_session_count(4).send().await?;
    let session = created.game_session().ok_or("CreateGameSession returned no GameSession")?;
    let id = session.game_session_id().ok_or("no GameSessionId")?.to_owned();
    println!("created {id}: {:?}", session.status());
    if session.status() != Some(&GameSessionStatus::Activating) {
        return Err(format!("expected ACTIVATING, got {:?}", session.status()).into());
    }

    // The activation delay passes when the test says so, not when a timer does.
    server.advance(Duration::from_secs(1));

    let described = gamelift.describe_game_sessions().game_session_id(&id).send().await?;
    let status = described.game_sessions().first().and_then(|s| s.status()).cloned();
    println!("after advancing the clock by 1 s: {status:?}");
    if status != Some(GameSessionStatus::Active) {
        return Err(format!("expected ACTIVE, got {status:?}").into());
    }

    server.shutdown().await?;
    println!("ok");
    Ok(())
}
