//! Property-based fuzzing of every operation in both codecs: arbitrary JSON-shaped inputs (real
//! member names mixed with junk, values of every type) must never produce a 5xx, a panic, an
//! undecodable body or a broken world invariant. A fixed seed and a modest case count keep this
//! in the test command; `scripts/fuzz` runs it longer (`FUZZ_CASES`, `FUZZ_SEED`).

use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, RngSeed, TestRunner};
use serde_json::{Map, Value};

use crate::harness::*;

const MEMBERS: &[&str] = &[
    "FleetId",
    "AliasId",
    "GameSessionId",
    "PlayerSessionId",
    "PlayerId",
    "PlayerIds",
    "Limit",
    "NextToken",
    "Name",
    "MaximumPlayerSessionCount",
    "GameProperties",
    "Key",
    "Value",
    "Location",
    "Locations",
    "StatusFilter",
    "FilterExpression",
    "SortExpression",
    "TerminationMode",
    "IdempotencyToken",
    "CreatorId",
    "ComputeName",
    "IpAddress",
    "ResourceArn",
    "Tags",
    "TagKeys",
    "RoutingStrategy",
    "Type",
    "Message",
    "BuildId",
    "EC2InstanceType",
    "Description",
    "NewGameSessionProtectionPolicy",
    "GameSessionQueueName",
    "PlacementId",
    "Destinations",
    "PlayerLatencies",
    "DesiredPlayerSessions",
    "GameSessionData",
    "PlayerData",
    "PlayerDataMap",
    "Timeout",
    "Junk",
    "",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        Just(Value::String(FLEET.into())),
        Just(Value::String(FLEET_ANYWHERE.into())),
        Just(Value::String(ALIAS_SIMPLE.into())),
        "[ -~]{0,40}".prop_map(Value::String),
        "\\PC{0,12}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(MEMBERS), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

fn input() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(MEMBERS), value()), 0..8)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>()))
}

fn operation() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(gamelift_emulator::ops::IMPLEMENTED.to_vec()).prop_map(str::to_owned),
        1 => prop::sample::select(gamelift_emulator::dto::MODEL_OPERATIONS.to_vec()).prop_map(str::to_owned),
        1 => "[A-Za-z]{0,20}",
    ]
}

/// Runs the property for one codec; returns the number of cases run.
pub fn fuzz(proto: Proto, cases: u32, seed: u64) -> u32 {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let api = Api::new();
    let config =
        PtConfig { cases, rng_seed: RngSeed::Fixed(seed), failure_persistence: None, ..PtConfig::default() };
    let mut runner = TestRunner::new(config);
    let run = std::cell::Cell::new(0u32);
    let result = runner.run(&(operation(), input()), |(op, body)| {
        run.set(run.get() + 1);
        let r = rt.block_on(api.call(proto, &op, body.clone()));
        prop_assert!(r.status.as_u16() < 500, "{op} {body} → {} {}", r.status, r.body);
        prop_assert!(
            r.status.is_success() || !r.error_type().is_empty(),
            "{op} {body} → no error type: {:?}",
            r.raw
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{proto:?}: {e}");
    }
    run.get()
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}

fn seed() -> u64 {
    std::env::var("FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(12)
}

#[test]
fn fuzz_json_every_operation() {
    let started = std::time::Instant::now();
    let n = fuzz(Proto::Json, cases(), seed());
    eprintln!(
        "fuzz json: {n} cases in {:.1}s ({:.0} cases/s)",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64()
    );
}

#[test]
fn fuzz_cbor_every_operation() {
    let started = std::time::Instant::now();
    let n = fuzz(Proto::Cbor, cases(), seed());
    eprintln!(
        "fuzz cbor: {n} cases in {:.1}s ({:.0} cases/s)",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64()
    );
}
