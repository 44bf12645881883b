//! The long fuzz run (`scripts/fuzz --fast`): generated request bodies for every operation, in
//! both codecs, handed straight to `ops::dispatch` (no HTTP, no proptest shrinking), so a release
//! build runs a million cases per codec in minutes.
//!
//! Each case picks an operation (mostly implemented ones, some only in the model, some junk
//! names), builds an input from the model's own member and enum names, the fixtures' IDs and IDs
//! harvested from earlier answers, encodes it in the codec, and sometimes mangles the bytes. A
//! finding is a panic, a 5xx, an error without a message, or an answer that does not decode in its
//! own codec; the world invariants are checked every `--check-every` cases and at the end. The
//! emulator clock is advanced now and then so timers, retention and purges run too.

use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ciborium::Value as Cbor;
use clap::{Parser, ValueEnum};
use gamelift_emulator::codec::Codec;
use gamelift_emulator::ops::{self, Output};
use gamelift_emulator::{Config, Emulator, Fixtures};

/// Long fuzz run of every operation over both codecs, straight into the operation table.
#[derive(Parser)]
struct Args {
    /// Cases per codec.
    #[arg(long, default_value_t = 1_000_000)]
    cases: u64,
    /// Generator seed (default: from the clock; printed either way).
    #[arg(long)]
    seed: Option<u64>,
    /// Which codecs to run.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    codec: Which,
    /// Check the world invariants every this many cases.
    #[arg(long, default_value_t = 1000)]
    check_every: u64,
    /// Advance the emulator clock every this many cases (by a random step up to 31 days).
    #[arg(long, default_value_t = 5000)]
    advance_every: u64,
    /// Reset the world to its fixtures every this many cases.
    #[arg(long, default_value_t = 200_000)]
    reset_every: u64,
    /// Print progress every this many cases.
    #[arg(long, default_value_t = 250_000)]
    progress_every: u64,
    /// Print the message of every error with this code (to see what the generator misses).
    #[arg(long)]
    show: Option<String>,
    /// Keep going after a finding (the exit status still reports it).
    #[arg(long)]
    keep_going: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    Json,
    Cbor,
    Both,
}

/// splitmix64: small, fast and good enough to drive a generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FIXTURE_IDS: &[&str] = &[
    "fleet-00000000-0000-4000-8000-000000000001",
    "fleet-00000000-0000-4000-8000-000000000002",
    "fleet-00000000-0000-4000-8000-000000000003",
    "fleet-00000000-0000-4000-8000-000000000004",
    "fleet-00000000-0000-4000-8000-000000000005",
    "alias-00000000-0000-4000-8000-000000000001",
    "alias-00000000-0000-4000-8000-000000000002",
    "default-queue",
    "default-anywhere-queue",
    "local-compute",
    "custom-local",
    "us-east-1",
    "us-west-2",
    "ap-northeast-1",
    "127.0.0.1",
    "arn:aws:gamelift:us-east-1:123456789012:fleet/fleet-00000000-0000-4000-8000-000000000001",
];

const EDGE_INTS: &[i64] = &[
    0,
    1,
    -1,
    2,
    10,
    100,
    200,
    1000,
    4096,
    65535,
    65536,
    i32::MAX as i64,
    i32::MIN as i64,
    u32::MAX as i64,
    (1 << 53) + 1,
    i64::MAX,
    i64::MIN,
];

/// A member's type, as the generated DTOs spell it.
enum Ty {
    Str,
    Int,
    Float,
    Bool,
    Timestamp,
    Blob,
    List(Box<Ty>),
    Map(Box<Ty>),
    Named(String),
}

impl Ty {
    fn parse(t: &str) -> Ty {
        let t = t.trim();
        let inner = |prefix: &str| t.strip_prefix(prefix).and_then(|r| r.strip_suffix('>'));
        if let Some(i) = inner("Option<") {
            return Ty::parse(i);
        }
        if let Some(i) = inner("Vec<") {
            return Ty::List(Box::new(Ty::parse(i)));
        }
        if let Some(i) = inner("BTreeMap<String,") {
            return Ty::Map(Box::new(Ty::parse(i)));
        }
        match t {
            "String" => Ty::Str,
            "i32" | "i64" => Ty::Int,
            "f32" | "f64" => Ty::Float,
            "bool" => Ty::Bool,
            "Timestamp" => Ty::Timestamp,
            "Blob" => Ty::Blob,
            other => Ty::Named(other.to_string()),
        }
    }
}

/// A structure member: its wire name, type, and whether the model requires it.
struct Member {
    name: String,
    ty: Ty,
    required: bool,
}

/// The model's shapes, read from the generated DTOs: structures (member name and type) and
/// enums (their values).
#[derive(Default)]
struct Schema {
    structs: HashMap<String, Rc<Vec<Member>>>,
    enums: HashMap<String, Vec<String>>,
}

impl Schema {
    fn parse(src: &str) -> Schema {
        let mut schema = Schema::default();
        let mut current: Option<(String, Vec<Member>)> = None;
        let mut rename: Option<String> = None;
        let mut required = false;
        let mut last_impl = String::new();
        for line in src.lines() {
            if let Some(name) = line.strip_prefix("pub struct ").and_then(|r| r.strip_suffix(" {")) {
                current = Some((name.to_string(), Vec::new()));
            } else if line == "}" {
                if let Some((name, fields)) = current.take() {
                    schema.structs.insert(name, Rc::new(fields));
                }
            } else if let Some(rest) = line.trim().strip_prefix("#[serde(rename = \"") {
                rename = rest.split('"').next().map(str::to_string);
                required = false;
            } else if line.trim().starts_with("/// `") {
                required = line.ends_with("(required)");
            } else if let (Some((_, fields)), Some(rest)) = (&mut current, line.strip_prefix("    pub ")) {
                if let (Some(member), Some((_, ty))) = (rename.take(), rest.split_once(": ")) {
                    fields.push(Member { name: member, ty: Ty::parse(ty.trim_end_matches(',')), required });
                }
            } else if let Some(name) = line.strip_prefix("impl ").and_then(|r| r.strip_suffix(" {")) {
                last_impl = name.to_string();
            } else if let Some(values) =
                line.trim().strip_prefix("pub const VALUES: &'static [&'static str] = &[")
            {
                let values =
                    values.trim_end_matches("];").split(", ").map(|v| v.trim_matches('"').to_string());
                schema.enums.insert(last_impl.clone(), values.collect());
            }
        }
        schema
    }
}

struct Gen {
    rng: Rng,
    schema: Schema,
    /// Member and enum names of the model (every `serde(rename)` of the generated DTOs).
    names: Vec<&'static str>,
    /// Strings worth reusing: fixture IDs and IDs seen in answers.
    pool: Vec<String>,
}

impl Gen {
    fn new(seed: u64) -> Self {
        let generated = include_str!("../../src/dto/generated.rs");
        let mut names: Vec<&'static str> =
            generated.split("rename = \"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
        names.sort_unstable();
        names.dedup();
        Self {
            rng: Rng(seed),
            schema: Schema::parse(generated),
            names,
            pool: FIXTURE_IDS.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn operation(&mut self) -> String {
        match self.rng.below(20) {
            0 => self.rng.pick(gamelift_emulator::dto::MODEL_OPERATIONS).to_string(),
            1 => self.ascii(20),
            _ => self.rng.pick(&ops::IMPLEMENTED).to_string(),
        }
    }

    fn ascii(&mut self, max: usize) -> String {
        let len = self.rng.below(max + 1);
        (0..len).map(|_| (b' ' + self.rng.below(95) as u8) as char).collect()
    }

    fn unicode(&mut self, max: usize) -> String {
        let len = self.rng.below(max + 1);
        (0..len)
            .map(|_| {
                loop {
                    let c = match self.rng.below(4) {
                        0 => self.rng.below(0x20) as u32,
                        1 => 0x80 + self.rng.below(0x780) as u32,
                        2 => 0x1_0000 + self.rng.below(0x1_0000) as u32,
                        _ => self.rng.below(0x1_0000) as u32,
                    };
                    if let Some(c) = char::from_u32(c) {
                        break c;
                    }
                }
            })
            .collect()
    }

    fn member(&mut self) -> String {
        match self.rng.below(12) {
            0 => self.ascii(12),
            _ => self.rng.pick(&self.names).to_string(),
        }
    }

    fn value(&mut self, depth: u32) -> Cbor {
        let kinds = if depth == 0 { 14 } else { 19 };
        match self.rng.below(kinds) {
            0 => Cbor::Null,
            1 => Cbor::Bool(self.rng.below(2) == 0),
            2 => Cbor::Integer((self.rng.below(120) as i64 - 10).into()),
            3 => Cbor::Integer((*self.rng.pick(EDGE_INTS)).into()),
            4 => Cbor::Integer((self.rng.next() as i64).into()),
            5 => Cbor::Float(match self.rng.below(6) {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => -0.0,
                3 => 1e300,
                _ => (self.rng.next() as i64 as f64) / 1e6,
            }),
            6 => Cbor::Text(self.ascii(40)),
            7 => Cbor::Text(self.unicode(16)),
            8 | 9 => Cbor::Text(self.rng.pick(&self.pool).clone()),
            10 => Cbor::Text(self.rng.pick(&self.names).to_string()),
            11 => {
                let len = *self.rng.pick(&[0usize, 1, 127, 128, 129, 255, 256, 1024, 1025, 4096, 20_000]);
                Cbor::Text("a".repeat(len))
            }
            12 => Cbor::Bytes((0..self.rng.below(24)).map(|_| self.rng.next() as u8).collect()),
            13 => Cbor::Tag(
                *self.rng.pick(&[0u64, 1, 1, 2, 24, 55799]),
                Box::new(Cbor::Integer((self.rng.below(2_000_000_000) as i64).into())),
            ),
            14..=15 => Cbor::Array((0..self.rng.below(6)).map(|_| self.value(depth - 1)).collect()),
            _ => Cbor::Map(
                (0..self.rng.below(6)).map(|_| (Cbor::Text(self.member()), self.value(depth - 1))).collect(),
            ),
        }
    }

    /// A value of type `ty` (now and then one of another type).
    fn typed(&mut self, ty: &Ty, depth: u32) -> Cbor {
        if self.rng.below(40) == 0 {
            return self.value(depth.min(1));
        }
        match ty {
            Ty::Str => match self.rng.below(10) {
                0..=4 => Cbor::Text(self.rng.pick(&self.pool).clone()),
                5 => Cbor::Text(self.rng.pick(&self.names).to_string()),
                6 => Cbor::Text("a".repeat(*self.rng.pick(&[0usize, 1, 128, 256, 1024, 4097]))),
                _ => Cbor::Text(self.ascii(24)),
            },
            Ty::Int => match self.rng.below(3) {
                0 => Cbor::Integer((*self.rng.pick(EDGE_INTS)).into()),
                _ => Cbor::Integer((self.rng.below(30) as i64 - 2).into()),
            },
            Ty::Float => Cbor::Float((self.rng.below(4000) as f64 - 1000.0) / 7.0),
            Ty::Bool => Cbor::Bool(self.rng.below(2) == 0),
            Ty::Timestamp => Cbor::Tag(
                1,
                Box::new(Cbor::Integer((1_700_000_000 + self.rng.below(200_000_000) as i64).into())),
            ),
            Ty::Blob => Cbor::Bytes((0..self.rng.below(16)).map(|_| self.rng.next() as u8).collect()),
            Ty::List(item) => Cbor::Array(if depth == 0 {
                Vec::new()
            } else {
                (0..self.rng.below(4)).map(|_| self.typed(item, depth - 1)).collect()
            }),
            Ty::Map(item) => Cbor::Map(if depth == 0 {
                Vec::new()
            } else {
                (0..self.rng.below(4))
                    .map(|_| (Cbor::Text(self.ascii(8)), self.typed(item, depth - 1)))
                    .collect()
            }),
            Ty::Named(name) => self.shape(name, depth),
        }
    }

    /// A structure (required members nearly always present, others with probability 2/5) or an enum value, by shape name.
    fn shape(&mut self, name: &str, depth: u32) -> Cbor {
        if let Some(values) = self.schema.enums.get(name) {
            return match self.rng.below(10) {
                0 => Cbor::Text(self.ascii(10)),
                _ => Cbor::Text(self.rng.pick(values).clone()),
            };
        }
        let Some(fields) = self.schema.structs.get(name).cloned() else { return self.value(depth.min(1)) };
        if depth == 0 {
            return Cbor::Map(Vec::new());
        }
        let mut map = Vec::with_capacity(fields.len() + 1);
        for m in fields.iter() {
            let present = if m.required { self.rng.below(16) != 0 } else { self.rng.below(5) < 2 };
            if present {
                let v = self.typed(&m.ty, depth - 1);
                map.push((Cbor::Text(m.name.clone()), v));
            }
        }
        if self.rng.below(12) == 0 {
            map.push((Cbor::Text(self.member()), self.value(1)));
        }
        Cbor::Map(map)
    }

    fn input_for(&mut self, op: &str) -> Cbor {
        if self.rng.below(3) == 0 {
            return self.input();
        }
        self.shape(&format!("{op}Input"), 4)
    }

    fn input(&mut self) -> Cbor {
        Cbor::Map((0..self.rng.below(9)).map(|_| (Cbor::Text(self.member()), self.value(3))).collect())
    }

    fn body(&mut self, op: &str, codec: Codec) -> Vec<u8> {
        if self.rng.below(40) == 0 {
            return (0..self.rng.below(64)).map(|_| self.rng.next() as u8).collect();
        }
        let input = self.input_for(op);
        let mut bytes = match codec {
            Codec::Json => serde_json::to_vec(&to_json(input)).unwrap_or_default(),
            Codec::Cbor => {
                let mut out = Vec::new();
                let _ = ciborium::into_writer(&input, &mut out);
                out
            }
        };
        if self.rng.below(12) == 0 {
            self.mangle(&mut bytes);
        }
        bytes
    }

    fn mangle(&mut self, bytes: &mut Vec<u8>) {
        for _ in 0..=self.rng.below(3) {
            let at = self.rng.below(bytes.len() + 1);
            match self.rng.below(4) {
                0 if at < bytes.len() => bytes[at] ^= 1 << self.rng.below(8),
                1 => bytes.truncate(at),
                2 => bytes.insert(at, self.rng.next() as u8),
                _ if at < bytes.len() => {
                    let end = (at + self.rng.below(8)).min(bytes.len());
                    bytes.drain(at..end);
                }
                _ => {}
            }
        }
    }

    /// Keeps IDs and ARNs from an answer for later inputs.
    fn harvest(&mut self, v: &serde_json::Value) {
        match v {
            serde_json::Value::String(s) if looks_like_id(s) => {
                if self.pool.len() < 512 {
                    self.pool.push(s.clone());
                } else {
                    let i = FIXTURE_IDS.len() + self.rng.below(512 - FIXTURE_IDS.len());
                    self.pool[i] = s.clone();
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| self.harvest(i)),
            serde_json::Value::Object(m) => m.values().for_each(|i| self.harvest(i)),
            _ => {}
        }
    }
}

fn looks_like_id(s: &str) -> bool {
    s.len() < 300
        && (s.starts_with("arn:")
            || ["fleet-", "alias-", "build-", "psess-", "gsess-", "script-"].iter().any(|p| s.starts_with(p))
            || s.split('-').count() == 5 && s.len() == 36)
}

/// A CBOR value as JSON (bytes as an array of numbers, tags dropped, non-finite floats as null).
fn to_json(v: Cbor) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Cbor::Integer(i) => i64::try_from(i128::from(i)).map(J::from).unwrap_or(J::Null),
        Cbor::Float(f) => serde_json::Number::from_f64(f).map(J::Number).unwrap_or(J::Null),
        Cbor::Text(s) => J::String(s),
        Cbor::Bytes(b) => J::Array(b.into_iter().map(J::from).collect()),
        Cbor::Bool(b) => J::Bool(b),
        Cbor::Tag(_, inner) => to_json(*inner),
        Cbor::Array(a) => J::Array(a.into_iter().map(to_json).collect()),
        Cbor::Map(m) => {
            J::Object(m.into_iter().map(|(k, v)| (k.into_text().unwrap_or_default(), to_json(v))).collect())
        }
        _ => J::Null,
    }
}

fn decode_answer(codec: Codec, bytes: &[u8]) -> Result<serde_json::Value, String> {
    match codec {
        Codec::Json => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
        Codec::Cbor => ciborium::from_reader::<Cbor, _>(bytes).map(to_json).map_err(|e| e.to_string()),
    }
}

fn show(codec: Codec, body: &[u8]) -> String {
    match codec {
        Codec::Json => String::from_utf8_lossy(body).into_owned(),
        Codec::Cbor => body.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

#[derive(Default)]
struct Tally {
    cases: u64,
    ok: u64,
    findings: u64,
    checks: u64,
    errors: BTreeMap<&'static str, u64>,
    ok_ops: BTreeMap<String, u64>,
}

fn run(codec: Codec, args: &Args, seed: u64) -> Tally {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let _entered = rt.enter();
    let config = Config::for_tests();
    let em = Emulator::new(config, Fixtures::builtin().expect("the built-in fixtures"));
    let mut g = Gen::new(seed ^ if codec == Codec::Cbor { 0x5eed } else { 0 });
    let mut t = Tally::default();
    let started = Instant::now();
    let name = if codec == Codec::Json { "json" } else { "cbor" };
    let finding = |t: &mut Tally, what: String| {
        t.findings += 1;
        eprintln!("FINDING {name} case {}: {what}", t.cases);
    };
    for case in 1..=args.cases {
        t.cases = case;
        let op = g.operation();
        let body = g.body(&op, codec);
        let answer = std::panic::catch_unwind(AssertUnwindSafe(|| ops::dispatch(&em, &op, codec, &body)));
        match answer {
            Err(_) => finding(&mut t, format!("panic in {op} {}", show(codec, &body))),
            Ok(Ok(Output::Unit)) => {
                t.ok += 1;
                *t.ok_ops.entry(op.clone()).or_default() += 1;
            }
            Ok(Ok(Output::Body(bytes))) => {
                t.ok += 1;
                *t.ok_ops.entry(op.clone()).or_default() += 1;
                match decode_answer(codec, &bytes) {
                    Ok(v) => g.harvest(&v),
                    Err(e) => finding(
                        &mut t,
                        format!("{op} answered bytes that do not decode ({e}): {}", show(codec, &body)),
                    ),
                }
            }
            Ok(Err(e)) => {
                *t.errors.entry(e.code()).or_default() += 1;
                if args.show.as_deref() == Some(e.code()) {
                    eprintln!("{op}: {}", e.message());
                }
                if e.status() >= 500 {
                    finding(
                        &mut t,
                        format!("{op} → {} {} {}: {}", e.status(), e.code(), e.message(), show(codec, &body)),
                    );
                } else if e.message().trim().is_empty() {
                    finding(&mut t, format!("{op} → {} without a message: {}", e.code(), show(codec, &body)));
                }
            }
        }
        if case % args.check_every == 0 || case == args.cases {
            t.checks += 1;
            if let Err(v) = em.inspect(|w| w.check_invariants()) {
                finding(&mut t, format!("world invariants broken after {op} {}:\n{v}", show(codec, &body)));
            }
        }
        if case % args.advance_every == 0 {
            let step = *g.rng.pick(&[1u64, 10, 60, 600, 7200, 31 * 86400]);
            em.advance_clock(Duration::from_secs(step));
        }
        if case % args.reset_every == 0 {
            em.reset();
        }
        if case % args.progress_every == 0 {
            let secs = started.elapsed().as_secs_f64();
            eprintln!("fuzz {name}: {case} cases, {:.0} cases/s", case as f64 / secs);
        }
        if t.findings > 0 && !args.keep_going {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fuzz {name}: {} cases in {secs:.1}s ({:.0} cases/s), seed {seed}, {} answered 200 ({} operations), \
         {} invariant checks, {} findings",
        t.cases,
        t.cases as f64 / secs,
        t.ok,
        t.ok_ops.len(),
        t.checks,
        t.findings
    );
    let errors: Vec<String> = t.errors.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("fuzz {name}: errors: {}", errors.join(", "));
    let never: Vec<&str> =
        ops::IMPLEMENTED.iter().copied().filter(|op| !t.ok_ops.contains_key(*op)).collect();
    println!("fuzz {name}: implemented operations never answered 200: {}", never.join(", "));
    t
}

fn main() -> ExitCode {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(1)
    });
    println!("fuzz: {} cases per codec, seed {seed}", args.cases);
    let codecs: &[Codec] = match args.codec {
        Which::Json => &[Codec::Json],
        Which::Cbor => &[Codec::Cbor],
        Which::Both => &[Codec::Json, Codec::Cbor],
    };
    let mut findings = 0;
    for &codec in codecs {
        findings += run(codec, &args, seed).findings;
    }
    if findings == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
