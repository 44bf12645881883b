//! Wire shapes (DTOs) of the GameLift API and the machinery they share.
//!
//! `generated.rs` holds one Rust type per Smithy shape, generated from botocore's model by
//! `tools/codegen/gen_dto.py`, with `Validate` impls that check every model constraint. This
//! module adds what the generated code builds on: the `Timestamp` and `Blob` scalars (whose
//! encoding differs between JSON and CBOR), the lazily rendered member `Path`, and the
//! `Validator` that collects Coral-style violation messages.

#[allow(clippy::all, missing_docs)]
mod generated;

pub use generated::*;

use std::fmt;

use base64::Engine as _;
use regex::Regex;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A point in time, kept as Unix epoch milliseconds.
///
/// On the wire it is epoch seconds: a JSON number (with a fraction when there are
/// milliseconds) in AWS JSON 1.1, and CBOR tag 1 around a number in RPC v2 CBOR. Which one is
/// chosen by `Serializer::is_human_readable()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From epoch milliseconds.
    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Epoch milliseconds.
    pub fn millis(self) -> i64 {
        self.0
    }

    fn from_seconds_f64(secs: f64) -> Option<Self> {
        if !secs.is_finite() || secs.abs() > 1.0e13 {
            return None;
        }
        Some(Self((secs * 1000.0).round() as i64))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let whole = self.0 % 1000 == 0;
        if s.is_human_readable() {
            if whole { s.serialize_i64(self.0 / 1000) } else { s.serialize_f64(self.0 as f64 / 1000.0) }
        } else if whole {
            ciborium::tag::Required::<i64, 1>(self.0 / 1000).serialize(s)
        } else {
            ciborium::tag::Required::<f64, 1>(self.0 as f64 / 1000.0).serialize(s)
        }
    }
}

/// Epoch seconds as any number (integer or float).
struct EpochSeconds(f64);

impl<'de> Deserialize<'de> for EpochSeconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = EpochSeconds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a timestamp in epoch seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(EpochSeconds(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(EpochSeconds(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(EpochSeconds(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let secs = if d.is_human_readable() {
            EpochSeconds::deserialize(d)?.0
        } else {
            // Tag 1 is what every SDK sends; an untagged number is accepted too.
            ciborium::tag::Captured::<EpochSeconds>::deserialize(d)?.1.0
        };
        Timestamp::from_seconds_f64(secs).ok_or_else(|| de::Error::custom("timestamp out of range"))
    }
}

/// Binary data: base64 text in JSON, a byte string in CBOR.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Blob;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a blob (base64 text or bytes)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Blob, E> {
                base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .map(Blob)
                    .map_err(|_| E::custom("blob is not valid base64"))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Blob, E> {
                Ok(Blob(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(v))
            }
        }
        if d.is_human_readable() { d.deserialize_str(V) } else { d.deserialize_bytes(V) }
    }
}

/// Compiles a model pattern so that it must match the whole value (see docs/architecture.md:
/// Smithy patterns are not anchored, but GameLift is believed to apply them to the full value).
pub(crate) fn compile_pattern(pattern: &str) -> Regex {
    Regex::new(&format!("^(?s:{pattern})$")).expect("model patterns compile (checked by a test)")
}

/// Where a member sits in the input, rendered Coral-style (`gameProperties.1.member.key`) only
/// when a check fails, so validating a good request allocates nothing.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Field(&'static str),
    Index(usize),
    Key(&'a str),
}

impl<'a> Path<'a> {
    /// The input structure itself.
    pub const ROOT: Path<'static> = Path { parent: None, seg: Seg::Root };

    /// A member of this structure (lowerCamelCase member name).
    pub fn field(&'a self, name: &'static str) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Field(name) }
    }

    /// The `i`-th (0-based) element of this list.
    pub fn index(&'a self, i: usize) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Index(i) }
    }

    /// The entry for `key` of this map.
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Key(key) }
    }

    fn render(&self) -> String {
        let mut out = match self.parent {
            Some(p) => p.render(),
            None => String::new(),
        };
        let piece = match self.seg {
            Seg::Root => return out,
            Seg::Field(n) => n.to_string(),
            Seg::Index(i) => format!("{}.member", i + 1),
            Seg::Key(k) => k.to_string(),
        };
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&piece);
        out
    }
}

/// Something whose model constraints can be checked.
pub trait Validate {
    /// Checks this value, found at `path`, recording each violation in `v`.
    fn validate_at(&self, path: &Path<'_>, v: &mut Validator);

    /// Checks a whole input; `Err` carries the complete Coral-style message.
    fn validate(&self) -> Result<(), String> {
        let mut v = Validator::default();
        self.validate_at(&Path::ROOT, &mut v);
        v.finish()
    }
}

/// Collects constraint violations.
#[derive(Default)]
pub struct Validator {
    errors: Vec<String>,
}

const SHOWN_VALUE_LIMIT: usize = 256;

impl Validator {
    fn fail(&mut self, path: &Path<'_>, value: Option<&str>, sensitive: bool, constraint: &str) {
        let at = path.render();
        let msg = match value {
            _ if sensitive => format!("Value at '{at}' failed to satisfy constraint: {constraint}"),
            Some(v) if v.chars().count() > SHOWN_VALUE_LIMIT => {
                let cut: String = v.chars().take(SHOWN_VALUE_LIMIT).collect();
                format!("Value '{cut}...' at '{at}' failed to satisfy constraint: {constraint}")
            }
            Some(v) => format!("Value '{v}' at '{at}' failed to satisfy constraint: {constraint}"),
            None => format!("Value null at '{at}' failed to satisfy constraint: {constraint}"),
        };
        self.errors.push(msg);
    }

    /// A required member is absent.
    pub fn missing(&mut self, path: &Path<'_>) {
        self.fail(path, None, false, "Member must not be null");
    }

    /// String length lower bound (in characters).
    pub fn min_len(&mut self, path: &Path<'_>, v: &str, min: usize, sensitive: bool) {
        // Each char takes 1..=4 bytes, so counting is needed only for short values.
        if v.len() < min || (v.len() < 4 * min && v.chars().count() < min) {
            let c = format!("Member must have length greater than or equal to {min}");
            self.fail(path, Some(v), sensitive, &c);
        }
    }

    /// String length upper bound (in characters).
    pub fn max_len(&mut self, path: &Path<'_>, v: &str, max: usize, sensitive: bool) {
        if v.len() > max && v.chars().count() > max {
            let c = format!("Member must have length less than or equal to {max}");
            self.fail(path, Some(v), sensitive, &c);
        }
    }

    /// Whole-value pattern match.
    pub fn pattern(&mut self, path: &Path<'_>, v: &str, re: &Regex, shown: &str, sensitive: bool) {
        if !re.is_match(v) {
            let c = format!("Member must satisfy regular expression pattern: {shown}");
            self.fail(path, Some(v), sensitive, &c);
        }
    }

    /// A value outside an enum.
    pub fn enum_value(&mut self, path: &Path<'_>, v: &str, allowed: &[&str], sensitive: bool) {
        let c = format!("Member must satisfy enum value set: [{}]", allowed.join(", "));
        self.fail(path, Some(v), sensitive, &c);
    }

    /// Integer lower bound.
    pub fn min_value(&mut self, path: &Path<'_>, v: i64, min: i64, sensitive: bool) {
        if v < min {
            let c = format!("Member must have value greater than or equal to {min}");
            self.fail(path, Some(&v.to_string()), sensitive, &c);
        }
    }

    /// Integer upper bound.
    pub fn max_value(&mut self, path: &Path<'_>, v: i64, max: i64, sensitive: bool) {
        if v > max {
            let c = format!("Member must have value less than or equal to {max}");
            self.fail(path, Some(&v.to_string()), sensitive, &c);
        }
    }

    /// Floating-point lower bound.
    pub fn min_float(&mut self, path: &Path<'_>, v: f64, min: f64, sensitive: bool) {
        if v < min {
            let c = format!("Member must have value greater than or equal to {min}");
            self.fail(path, Some(&v.to_string()), sensitive, &c);
        }
    }

    /// Floating-point upper bound.
    pub fn max_float(&mut self, path: &Path<'_>, v: f64, max: f64, sensitive: bool) {
        if v > max {
            let c = format!("Member must have value less than or equal to {max}");
            self.fail(path, Some(&v.to_string()), sensitive, &c);
        }
    }

    /// List or map size lower bound.
    pub fn min_items(&mut self, path: &Path<'_>, len: usize, min: usize) {
        if len < min {
            let c = format!("Member must have length greater than or equal to {min}");
            self.fail(path, None, true, &c);
        }
    }

    /// List or map size upper bound.
    pub fn max_items(&mut self, path: &Path<'_>, len: usize, max: usize) {
        if len > max {
            let c = format!("Member must have length less than or equal to {max}");
            self.fail(path, None, true, &c);
        }
    }

    /// Records a violation found by hand-written code (cross-member rules stay in the ops).
    pub fn custom(&mut self, message: String) {
        self.errors.push(message);
    }

    /// `Ok` when nothing failed, else the Coral-style summary message.
    pub fn finish(self) -> Result<(), String> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(format!("1 validation error detected: {}", self.errors[0])),
            n => Err(format!("{n} validation errors detected: {}", self.errors.join("; "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_pattern_compiles() {
        for re in generated::all_patterns() {
            assert!(re.as_str().starts_with("^(?s:"));
        }
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let token = compile_pattern("[a-zA-Z0-9-]+");
        assert!(token.is_match("tok-1"));
        assert!(!token.is_match("bad token!"));
        let fleet =
            compile_pattern(r"^[a-z]*fleet-[a-zA-Z0-9\-]+$|^arn:.*:[a-z]*fleet\/[a-z]*fleet-[a-zA-Z0-9\-]+$");
        assert!(fleet.is_match("fleet-00000000-0000-4000-8000-000000000001"));
        assert!(fleet.is_match("arn:aws:gamelift:us-east-1:123456789012:fleet/fleet-1"));
        assert!(!fleet.is_match("bad id"));
    }

    #[test]
    fn create_game_session_input_violations_are_reported_coral_style() {
        let input = CreateGameSessionInput {
            maximum_player_session_count: Some(-1),
            name: Some(String::new()),
            ..Default::default()
        };
        let msg = input.validate().unwrap_err();
        assert_eq!(
            msg,
            "2 validation errors detected: Value '-1' at 'maximumPlayerSessionCount' failed to \
             satisfy constraint: Member must have value greater than or equal to 0; Value '' at \
             'name' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        let missing = CreateGameSessionInput::default().validate().unwrap_err();
        assert_eq!(
            missing,
            "1 validation error detected: Value null at 'maximumPlayerSessionCount' failed to \
             satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn nested_list_members_render_with_member_index() {
        let input = CreateGameSessionInput {
            maximum_player_session_count: Some(1),
            game_properties: Some(vec![
                GameProperty { key: Some("k".into()), value: Some("v".into()) },
                GameProperty { key: Some("k".repeat(33)), value: None },
            ]),
            ..Default::default()
        };
        let msg = input.validate().unwrap_err();
        assert!(msg.starts_with("2 validation errors detected: "), "{msg}");
        assert!(msg.contains("at 'gameProperties.2.member.key' failed to satisfy constraint: Member must have length less than or equal to 32"), "{msg}");
        assert!(msg.contains("Value null at 'gameProperties.2.member.value'"), "{msg}");
    }

    #[test]
    fn unknown_enum_values_are_named() {
        let input = UpdateGameSessionInput {
            game_session_id: Some("arn:aws:gamelift:us-east-1::gamesession/fleet-1/gsess-1".into()),
            player_session_creation_policy: Some(PlayerSessionCreationPolicy::from_wire("BOGUS")),
            ..Default::default()
        };
        let msg = input.validate().unwrap_err();
        assert!(msg.ends_with("Value 'BOGUS' at 'playerSessionCreationPolicy' failed to satisfy constraint: Member must satisfy enum value set: [ACCEPT_ALL, DENY_ALL]"), "{msg}");
    }

    #[test]
    fn timestamps_are_epoch_seconds_in_json_and_tag_1_in_cbor() {
        let t = Timestamp(1_469_498_468_057);
        assert_eq!(serde_json::to_string(&t).unwrap(), "1469498468.057");
        assert_eq!(serde_json::to_string(&Timestamp(1_000)).unwrap(), "1");
        let mut buf = Vec::new();
        ciborium::into_writer(&Timestamp(1_000), &mut buf).unwrap();
        assert_eq!(buf, [0xc1, 0x01]);
        let back: Timestamp = ciborium::from_reader(&buf[..]).unwrap();
        assert_eq!(back, Timestamp(1_000));
        let mut buf = Vec::new();
        ciborium::into_writer(&t, &mut buf).unwrap();
        assert_eq!(buf[0], 0xc1);
        let back: Timestamp = ciborium::from_reader(&buf[..]).unwrap();
        assert_eq!(back, t);
        let from_json: Timestamp = serde_json::from_str("1704164645.678").unwrap();
        assert_eq!(from_json, Timestamp(1_704_164_645_678));
        let from_int: Timestamp = serde_json::from_str("1704164645").unwrap();
        assert_eq!(from_int, Timestamp(1_704_164_645_000));
    }

    #[test]
    fn blobs_are_base64_in_json_and_bytes_in_cbor() {
        let b = Blob(vec![1, 2, 3]);
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"AQID\"");
        let back: Blob = serde_json::from_str("\"AQID\"").unwrap();
        assert_eq!(back, b);
        let mut buf = Vec::new();
        ciborium::into_writer(&b, &mut buf).unwrap();
        assert_eq!(buf, [0x43, 1, 2, 3]);
        let back: Blob = ciborium::from_reader(&buf[..]).unwrap();
        assert_eq!(back, b);
    }
}
