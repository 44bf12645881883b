//! `--verify-signatures` as the Rust SDK meets it over RPC v2 CBOR: its own SigV4 signature
//! with the right key passes; a wrong secret, an unknown access key or another Region fail with
//! the code and message AWS would send, which the SDK surfaces through `code()`/`message()`.

use aws_sdk_gamelift::error::ProvideErrorMetadata;
use gamelift_emulator_compat::{Emulator, FLEET_EC2, REGION, ok, service_error};

const AKID: &str = "AKIDRUSTSDK";
const SECRET: &str = "rust/sdk+secret";

async fn verifying() -> Emulator {
    Emulator::start_with_args(&["--verify-signatures", "--credentials", &format!("{AKID}:{SECRET}")]).await
}

#[tokio::test]
async fn the_right_key_signs_requests_that_pass() {
    let emu = verifying().await;
    let client = emu.client_signed(AKID, SECRET, REGION);
    let created = ok(
        client.create_game_session().fleet_id(FLEET_EC2).maximum_player_session_count(2).send().await,
        "CreateGameSession signed with the right key",
    );
    let id = created.game_session().and_then(|g| g.game_session_id()).unwrap_or_default().to_owned();
    let described = ok(
        client.describe_game_sessions().game_session_id(&id).send().await,
        "DescribeGameSessions signed with the right key",
    );
    assert_eq!(described.game_sessions().len(), 1);
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_signature() {
    let emu = verifying().await;
    let err = service_error(
        emu.client_signed(AKID, "not-the-secret", REGION).list_fleets().send().await,
        "ListFleets signed with a wrong secret",
    );
    assert_eq!(err.code(), Some("InvalidSignatureException"), "{err:?}");
    let message = err.message().unwrap_or_default();
    assert!(message.starts_with("The request signature we calculated does not match"), "{message}");
}

#[tokio::test]
async fn an_unknown_access_key_is_an_unrecognized_client() {
    let emu = verifying().await;
    let err = service_error(
        emu.client_signed("AKIDNOBODYKNOWS", SECRET, REGION).list_fleets().send().await,
        "ListFleets signed with an unknown key",
    );
    assert_eq!(err.code(), Some("UnrecognizedClientException"), "{err:?}");
    assert_eq!(err.message(), Some("The security token included in the request is invalid."), "{err:?}");
}

#[tokio::test]
async fn a_client_configured_for_another_region_is_told_so() {
    let emu = verifying().await;
    let err = service_error(
        emu.client_signed(AKID, SECRET, "eu-west-1").list_fleets().send().await,
        "ListFleets signed for eu-west-1",
    );
    assert_eq!(err.code(), Some("InvalidSignatureException"), "{err:?}");
    let message = err.message().unwrap_or_default();
    assert!(message.contains("not 'eu-west-1'"), "{message}");
}
