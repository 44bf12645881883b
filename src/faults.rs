//! Fault injection: rules, set through `POST /_emulator/faults`, that make AWS operations fail or
//! stall on purpose, so a backend can be tested against what real GameLift does on a bad day.
//!
//! A rule names an operation (or `*` for every one) and either an error code (answered in the
//! request's codec with the real envelope, as if the service had raised it) or a delay. It fires
//! on every matching request, or on the first `Count`, or with `Probability` drawn from its own
//! generator seeded with `Seed`, so a run with the same requests in the same order fails the same
//! way. Rules are tried in the order they were added; the first error rule that fires wins, and
//! delay rules add up. Nothing here touches the world: delays are slept before the operation runs,
//! outside the world lock.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dto::MODEL_OPERATIONS;
use crate::error::{ApiError, ApiResult};

/// The longest delay a rule may ask for (a minute: longer than any SDK's default timeout).
pub const MAX_DELAY_MS: u64 = 60_000;

/// The error codes a rule may inject, with the message each carries unless the rule gives one.
const CODES: &[(&str, &str)] = &[
    (
        "InternalServiceException",
        "The service encountered an unrecoverable internal failure while processing the request. (injected fault)",
    ),
    ("ThrottlingException", "Rate exceeded (injected fault)"),
    (
        "LimitExceededException",
        "The requested operation would cause the resource to exceed the allowed service limit. (injected fault)",
    ),
    (
        "ConflictException",
        "The requested operation conflicts with the current state of the resource. (injected fault)",
    ),
    ("FleetCapacityExceededException", "The fleet has no capacity for the request. (injected fault)"),
    ("GameSessionFullException", "The game session is full. (injected fault)"),
    (
        "IdempotentParameterMismatchException",
        "The idempotency token was already used with other parameters. (injected fault)",
    ),
    ("InvalidFleetStatusException", "The fleet is not in a state that allows the request. (injected fault)"),
    (
        "InvalidGameSessionStatusException",
        "The game session is not in a state that allows the request. (injected fault)",
    ),
    ("InvalidRequestException", "One or more parameter values in the request are invalid. (injected fault)"),
    ("NotFoundException", "The requested resource was not found. (injected fault)"),
    ("NotReadyException", "The requested resource is not ready. (injected fault)"),
    ("TaggingFailedException", "The tagging request failed. (injected fault)"),
    ("TerminalRoutingStrategyException", "The alias has a terminal routing strategy. (injected fault)"),
    ("UnauthorizedException", "The client failed authentication. (injected fault)"),
    (
        "UnsupportedRegionException",
        "The requested operation is not supported in the Region specified. (injected fault)",
    ),
];

fn error_for(code: &str, message: String) -> Option<ApiError> {
    Some(match code {
        "InternalServiceException" => ApiError::InternalService(message),
        "ThrottlingException" => ApiError::Throttling(message),
        "LimitExceededException" => ApiError::LimitExceeded(message),
        "ConflictException" => ApiError::Conflict(message),
        "FleetCapacityExceededException" => ApiError::FleetCapacityExceeded(message),
        "GameSessionFullException" => ApiError::GameSessionFull(message),
        "IdempotentParameterMismatchException" => ApiError::IdempotentParameterMismatch(message),
        "InvalidFleetStatusException" => ApiError::InvalidFleetStatus(message),
        "InvalidGameSessionStatusException" => ApiError::InvalidGameSessionStatus(message),
        "InvalidRequestException" => ApiError::InvalidRequest(message),
        "NotFoundException" => ApiError::NotFound(message),
        "NotReadyException" => ApiError::NotReady(message),
        "TaggingFailedException" => ApiError::TaggingFailed(message),
        "TerminalRoutingStrategyException" => ApiError::TerminalRoutingStrategy(message),
        "UnauthorizedException" => ApiError::Unauthorized(message),
        "UnsupportedRegionException" => ApiError::UnsupportedRegion(message),
        _ => return None,
    })
}

/// A rule as posted to `POST /_emulator/faults`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// An operation name, or `*`.
    pub operation: String,
    /// The error to answer with.
    pub error_code: Option<String>,
    /// The error message (defaults to one per code).
    pub message: Option<String>,
    /// How long to stall the request before it runs.
    pub delay_ms: Option<u64>,
    /// Fire on this many matching requests, then never again.
    pub count: Option<u64>,
    /// Fire on each matching request with this probability (0 to 1).
    pub probability: Option<f64>,
    /// Seeds the rule's generator (for `Probability`); 0 when absent.
    pub seed: Option<u64>,
}

/// A rule as `GET /_emulator/faults` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FaultView {
    /// The rule's ID (`fault-<n>`).
    pub id: String,
    /// Operation name or `*`.
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Error code.
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Message.
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Delay.
    pub delay_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Count.
    pub count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Probability.
    pub probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Seed.
    pub seed: Option<u64>,
    /// Requests the rule applied to (its operation matched).
    pub matched: u64,
    /// Requests it failed or delayed.
    pub fired: u64,
}

#[derive(Debug)]
enum Effect {
    Error { code: String, message: String },
    Delay(Duration),
}

#[derive(Debug)]
struct Rule {
    id: u64,
    spec: FaultSpec,
    effect: Effect,
    rng: SplitMix64,
    matched: u64,
    fired: u64,
}

impl Rule {
    fn applies_to(&self, op: &str) -> bool {
        self.spec.operation == "*" || self.spec.operation == op
    }

    /// Counts a matching request and says whether the rule fires on it.
    fn roll(&mut self) -> bool {
        self.matched += 1;
        if self.spec.count.is_some_and(|n| self.fired >= n) {
            return false;
        }
        if let Some(p) = self.spec.probability {
            // 53 random bits → [0, 1).
            let draw = (self.rng.next() >> 11) as f64 / (1u64 << 53) as f64;
            if draw >= p {
                return false;
            }
        }
        self.fired += 1;
        true
    }
}

/// SplitMix64: tiny, fast and fully determined by its seed (all a fault schedule needs).
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The rules in force, in the order they were added.
#[derive(Debug, Default)]
pub struct Faults {
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Rule>,
    next_id: u64,
}

impl Faults {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks and adds rules (all or none); returns them as listed.
    pub fn add(&self, specs: Vec<FaultSpec>) -> ApiResult<Vec<FaultView>> {
        let mut checked = Vec::with_capacity(specs.len());
        for (i, spec) in specs.into_iter().enumerate() {
            let effect = check(&spec).map_err(|m| ApiError::InvalidRequest(format!("Faults[{i}]: {m}")))?;
            checked.push((spec, effect));
        }
        let mut state = self.state();
        let mut added = Vec::with_capacity(checked.len());
        for (spec, effect) in checked {
            state.next_id += 1;
            let rule = Rule {
                id: state.next_id,
                rng: SplitMix64(spec.seed.unwrap_or(0)),
                spec,
                effect,
                matched: 0,
                fired: 0,
            };
            added.push(view(&rule));
            state.rules.push(rule);
        }
        Ok(added)
    }

    /// Every rule with its counts.
    pub fn list(&self) -> Vec<FaultView> {
        self.state().rules.iter().map(view).collect()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        *self.state() = State::default();
    }

    /// Whether any rule is in force (a cheap check for the request path).
    pub fn is_empty(&self) -> bool {
        self.state().rules.is_empty()
    }

    /// The delay to stall a request for `op` by (the sum of the delay rules that fire).
    pub fn delay(&self, op: &str) -> Option<Duration> {
        let mut state = self.state();
        let mut total = Duration::ZERO;
        for rule in state.rules.iter_mut() {
            if let Effect::Delay(d) = rule.effect
                && rule.applies_to(op)
                && rule.roll()
            {
                total += d;
            }
        }
        (!total.is_zero()).then_some(total)
    }

    /// The error to answer a request for `op` with, from the first error rule that fires.
    pub fn error(&self, op: &str) -> Option<ApiError> {
        let mut state = self.state();
        for rule in state.rules.iter_mut() {
            if !rule.applies_to(op) {
                continue;
            }
            let Effect::Error { code, message } = &rule.effect else { continue };
            let (code, message) = (code.clone(), message.clone());
            if rule.roll() {
                return error_for(&code, message);
            }
        }
        None
    }
}

fn check(spec: &FaultSpec) -> Result<Effect, String> {
    let op = spec.operation.as_str();
    if op != "*" && !MODEL_OPERATIONS.contains(&op) {
        return Err(format!(
            "Operation '{op}' is not a GameLift operation (use an operation name or \"*\")."
        ));
    }
    if let Some(p) = spec.probability
        && !(p.is_finite() && (0.0..=1.0).contains(&p))
    {
        return Err(format!("Probability must be between 0 and 1 (got {p})."));
    }
    if spec.count == Some(0) {
        return Err("Count must be at least 1.".into());
    }
    if spec.seed.is_some() && spec.probability.is_none() {
        return Err("Seed only applies with Probability.".into());
    }
    match (&spec.error_code, spec.delay_ms) {
        (Some(_), Some(_)) => {
            Err("give either ErrorCode or DelayMs, not both (add two rules for both).".into())
        }
        (None, None) => Err("a rule needs ErrorCode or DelayMs.".into()),
        (None, Some(ms)) => {
            if spec.message.is_some() {
                return Err("Message only applies with ErrorCode.".into());
            }
            if ms == 0 || ms > MAX_DELAY_MS {
                return Err(format!("DelayMs must be between 1 and {MAX_DELAY_MS} (got {ms})."));
            }
            Ok(Effect::Delay(Duration::from_millis(ms)))
        }
        (Some(code), None) => match CODES.iter().find(|(c, _)| c == code) {
            Some((c, default)) => Ok(Effect::Error {
                code: (*c).to_string(),
                message: spec.message.clone().unwrap_or_else(|| (*default).to_string()),
            }),
            None => Err(format!(
                "ErrorCode '{code}' cannot be injected; use one of: {}.",
                CODES.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
            )),
        },
    }
}

fn view(rule: &Rule) -> FaultView {
    let s = &rule.spec;
    FaultView {
        id: format!("fault-{}", rule.id),
        operation: s.operation.clone(),
        error_code: s.error_code.clone(),
        message: match &rule.effect {
            Effect::Error { message, .. } => Some(message.clone()),
            Effect::Delay(_) => None,
        },
        delay_ms: s.delay_ms,
        count: s.count,
        probability: s.probability,
        seed: s.seed,
        matched: rule.matched,
        fired: rule.fired,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> FaultSpec {
        serde_json::from_str(json).expect("spec")
    }

    #[test]
    fn a_seeded_probability_fires_the_same_requests_every_time() {
        let run = || {
            let f = Faults::default();
            f.add(vec![spec(
                r#"{"Operation":"*","ErrorCode":"InternalServiceException","Probability":0.3,"Seed":7}"#,
            )])
            .expect("add");
            (0..200).map(|_| f.error("DescribeGameSessions").is_some()).collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let fired = a.iter().filter(|x| **x).count();
        assert!((40..=80).contains(&fired), "fired {fired} of 200 at p=0.3");
    }

    #[test]
    fn count_limits_firing_and_other_operations_are_untouched() {
        let f = Faults::default();
        f.add(vec![spec(
            r#"{"Operation":"CreateGameSession","ErrorCode":"LimitExceededException","Count":2}"#,
        )])
        .expect("add");
        assert!(f.error("DescribeGameSessions").is_none());
        assert_eq!(f.error("CreateGameSession").map(|e| e.code()), Some("LimitExceededException"));
        assert!(f.error("CreateGameSession").is_some());
        assert!(f.error("CreateGameSession").is_none());
        let v = &f.list()[0];
        assert_eq!((v.matched, v.fired), (3, 2));
    }

    #[test]
    fn bad_rules_are_refused_naming_the_problem() {
        let f = Faults::default();
        for (json, needle) in [
            (r#"{"Operation":"Nope","ErrorCode":"ThrottlingException"}"#, "not a GameLift operation"),
            (r#"{"Operation":"*","ErrorCode":"BogusException"}"#, "cannot be injected"),
            (r#"{"Operation":"*"}"#, "needs ErrorCode or DelayMs"),
            (r#"{"Operation":"*","DelayMs":5,"ErrorCode":"ThrottlingException"}"#, "not both"),
            (r#"{"Operation":"*","DelayMs":0}"#, "DelayMs"),
            (r#"{"Operation":"*","ErrorCode":"ThrottlingException","Probability":1.5}"#, "Probability"),
        ] {
            let e = f.add(vec![spec(json)]).expect_err(json);
            assert_eq!(e.code(), "InvalidRequestException");
            assert!(e.message().contains(needle), "{json}: {}", e.message());
        }
        assert!(f.is_empty());
    }
}
