//! Identifiers and ARNs, formed and parsed as GameLift forms them.
//!
//! - fleet `fleet-<uuid>`, ARN `arn:aws:gamelift:<region>:<account>:fleet/<fleet-id>`
//! - alias `alias-<uuid>`, ARN `arn:aws:gamelift:<region>::alias/<alias-id>` (no account)
//! - game session ID = its ARN: `arn:aws:gamelift:<home-region>::gamesession/<fleet-id>[/<location>]/<id>`
//!   where `<id>` is `gsess-<uuid>` or the caller's idempotency token; the location segment is
//!   present only for a location other than the home Region
//! - player session `psess-<uuid>`, build `build-<uuid>`, script `script-<uuid>`
//! - EC2 instance `i-<17 hex digits>`

use std::cell::RefCell;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use uuid::Uuid;

thread_local! {
    /// The one source of randomness for everything that ends up in the world or the event log
    /// (IDs, tokens, event IDs). With `--data-dir` the emulator reseeds it at the start of every
    /// command and journals the seed, so replaying the journal draws the same values.
    static RNG: RefCell<ChaCha8Rng> = RefCell::new(ChaCha8Rng::from_seed(os_seed()));
}

fn os_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    seed[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    seed
}

/// Restarts this thread's generator from `seed`: what is drawn next depends on `seed` alone.
pub fn reseed(seed: u64) {
    RNG.with(|rng| *rng.borrow_mut() = ChaCha8Rng::seed_from_u64(seed));
}

/// A fresh seed from the operating system (for [`reseed`]).
pub fn fresh_seed() -> u64 {
    Uuid::new_v4().as_u64_pair().0
}

/// A version 4 (random) UUID drawn from this thread's generator.
pub fn random_uuid() -> Uuid {
    let mut bytes = [0u8; 16];
    RNG.with(|rng| rng.borrow_mut().fill_bytes(&mut bytes));
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// `<prefix>-<uuid>`, e.g. `fleet-2222bbbb-33cc-44dd-55ee-6666ffff77aa`.
pub fn new_id(prefix: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + 37);
    s.push_str(prefix);
    s.push('-');
    let mut buf = Uuid::encode_buffer();
    s.push_str(random_uuid().hyphenated().encode_lower(&mut buf));
    s
}

/// An EC2-style instance ID: `i-` and 17 lower-case hex digits.
pub fn new_instance_id() -> String {
    let hex = random_uuid().simple().to_string();
    format!("i-{}", &hex[..17])
}

/// `arn:aws:gamelift:<region>:<account>:fleet/<fleet-id>`.
pub fn fleet_arn(region: &str, account: &str, fleet_id: &str) -> String {
    format!("arn:aws:gamelift:{region}:{account}:fleet/{fleet_id}")
}

/// `arn:aws:gamelift:<region>::alias/<alias-id>`.
pub fn alias_arn(region: &str, alias_id: &str) -> String {
    format!("arn:aws:gamelift:{region}::alias/{alias_id}")
}

/// `arn:aws:gamelift:<region>:<account>:gamesessionqueue/<name>`.
pub fn queue_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:gamelift:{region}:{account}:gamesessionqueue/{name}")
}

/// `arn:aws:gamelift:<region>::<kind>/<id>` for builds, scripts and other account-less ARNs.
pub fn resource_arn(region: &str, kind: &str, id: &str) -> String {
    format!("arn:aws:gamelift:{region}::{kind}/{id}")
}

/// The game session ARN (which is also its ID).
pub fn game_session_arn(
    home_region: &str,
    fleet_id: &str,
    location: Option<&str>,
    id_string: &str,
) -> String {
    // Built by hand: this runs for every CreateGameSession, and `format!` costs several times more.
    let parts = ["arn:aws:gamelift:", home_region, "::gamesession/", fleet_id, "/"];
    let len =
        parts.iter().map(|p| p.len()).sum::<usize>() + location.map_or(0, |l| l.len() + 1) + id_string.len();
    let mut arn = String::with_capacity(len);
    parts.iter().for_each(|p| arn.push_str(p));
    if let Some(loc) = location {
        arn.push_str(loc);
        arn.push('/');
    }
    arn.push_str(id_string);
    arn
}

/// The resource ID inside an ID-or-ARN value: the part after `<kind>/` for an ARN, else the
/// value itself. `kind` is e.g. `fleet` or `alias`.
pub fn id_from_id_or_arn<'a>(value: &'a str, kind: &str) -> &'a str {
    if value.starts_with("arn:") {
        let marker_len = kind.len() + 1;
        if let Some(pos) = value.rfind(&format!("{kind}/")) {
            return &value[pos + marker_len..];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_aws_shape() {
        let f = new_id("fleet");
        assert!(f.starts_with("fleet-"));
        assert_eq!(f.len(), "fleet-".len() + 36);
        let i = new_instance_id();
        assert!(i.starts_with("i-") && i.len() == 19, "{i}");
    }

    #[test]
    fn the_same_seed_draws_the_same_ids() {
        reseed(42);
        let a = (new_id("fleet"), new_instance_id(), random_uuid());
        reseed(42);
        let b = (new_id("fleet"), new_instance_id(), random_uuid());
        assert_eq!(a, b);
        assert_eq!(a.2.get_version_num(), 4);
        reseed(43);
        assert_ne!(new_id("fleet"), a.0);
    }

    #[test]
    fn arns_are_formed_as_aws_forms_them() {
        assert_eq!(
            fleet_arn("us-west-2", "444455556666", "fleet-1"),
            "arn:aws:gamelift:us-west-2:444455556666:fleet/fleet-1"
        );
        assert_eq!(alias_arn("us-east-1", "alias-1"), "arn:aws:gamelift:us-east-1::alias/alias-1");
        assert_eq!(
            game_session_arn("us-west-2", "fleet-1", None, "gsess-1"),
            "arn:aws:gamelift:us-west-2::gamesession/fleet-1/gsess-1"
        );
        assert_eq!(
            game_session_arn("us-west-2", "fleet-1", Some("custom-location-1"), "gsess-1"),
            "arn:aws:gamelift:us-west-2::gamesession/fleet-1/custom-location-1/gsess-1"
        );
    }

    #[test]
    fn ids_are_extracted_from_arns() {
        assert_eq!(id_from_id_or_arn("fleet-1", "fleet"), "fleet-1");
        assert_eq!(
            id_from_id_or_arn("arn:aws:gamelift:us-east-1:123456789012:fleet/fleet-1", "fleet"),
            "fleet-1"
        );
        assert_eq!(id_from_id_or_arn("arn:aws:gamelift:us-east-1::alias/alias-9", "alias"), "alias-9");
    }
}
