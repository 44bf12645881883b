//! Request bodies and sources for each scenario.
//!
//! Request bodies are built once (serde_json for JSON, ciborium for CBOR); per request the
//! load generator only patches a fixed-width counter into a copy of a template, so the cost of
//! making requests stays small next to the cost of serving them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde::Serialize;

use crate::load::{Endpoint, Reply, Rng, Source};

/// The fleet of bench/fixtures/bench.json.
pub const FLEET_ID: &str = "fleet-bbbbbbbb-0000-4000-8000-000000000001";
/// The search filter, true of 1% of the sessions the benchmark creates.
pub const FILTER: &str = "gameSessionProperties.mode = 'rare'";
/// The search sort.
pub const SORT: &str = "creationTimeMillis DESC";
/// Every how many created sessions one has `mode = rare`.
const RARE_EVERY: u64 = 100;
/// Players per game session (room for many CreatePlayerSession calls on each).
const MAX_PLAYERS: i32 = 200;

const MARK: &[u8] = b"ZZZZZZZZZZZZZZZZ";

/// Wire protocol of a scenario.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Proto {
    Json,
    Cbor,
}

impl Proto {
    pub fn endpoint(self, addr: SocketAddr, op: &str) -> Endpoint {
        match self {
            Proto::Json => Endpoint::json(addr, op),
            Proto::Cbor => Endpoint::cbor(addr, op),
        }
    }

    pub fn encode<T: Serialize>(self, v: &T) -> Vec<u8> {
        match self {
            Proto::Json => serde_json::to_vec(v).expect("encode JSON"),
            Proto::Cbor => {
                let mut out = Vec::new();
                ciborium::into_writer(v, &mut out).expect("encode CBOR");
                out
            }
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GameProperty<'a> {
    key: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateGameSessionInput<'a> {
    fleet_id: &'a str,
    maximum_player_session_count: i32,
    name: &'a str,
    game_properties: Vec<GameProperty<'a>>,
    idempotency_token: &'a str,
}

/// An encoded body with a 16-digit decimal counter to patch in.
struct Template {
    bytes: Vec<u8>,
    at: usize,
}

impl Template {
    fn new(bytes: Vec<u8>) -> Self {
        let at = bytes.windows(MARK.len()).position(|w| w == MARK).expect("template marker");
        Self { bytes, at }
    }

    fn render(&self, n: u64) -> Bytes {
        let mut v = self.bytes.clone();
        let mut n = n;
        for b in v[self.at..self.at + MARK.len()].iter_mut().rev() {
            *b = b'0' + (n % 10) as u8;
            n /= 10;
        }
        Bytes::from(v)
    }
}

/// CreateGameSession with a unique `IdempotencyToken` per request (`bench-<16 digits>`); every
/// hundredth session has `mode = rare`, the others `mode = common`.
pub struct Create {
    ep: Endpoint,
    rare: Template,
    common: Template,
    counter: Arc<AtomicU64>,
}

impl Create {
    pub fn new(addr: SocketAddr, proto: Proto, counter: Arc<AtomicU64>) -> Self {
        let token = format!("bench-{}", std::str::from_utf8(MARK).expect("ascii"));
        let template = |mode: &str| {
            Template::new(proto.encode(&CreateGameSessionInput {
                fleet_id: FLEET_ID,
                maximum_player_session_count: MAX_PLAYERS,
                name: "bench",
                game_properties: vec![GameProperty { key: "mode", value: mode }],
                idempotency_token: &token,
            }))
        };
        Self {
            ep: proto.endpoint(addr, "CreateGameSession"),
            rare: template("rare"),
            common: template("common"),
            counter,
        }
    }
}

impl Source for Create {
    fn next(&self, _rng: &mut Rng) -> (&Endpoint, Bytes) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let t = if n.is_multiple_of(RARE_EVERY) { &self.rare } else { &self.common };
        (&self.ep, t.render(n))
    }
}

/// The `GameSessionId` of a CreateGameSession response (JSON).
pub fn created_id(reply: &Reply) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Out {
        #[serde(rename = "GameSession")]
        game_session: Gs,
    }
    #[derive(serde::Deserialize)]
    struct Gs {
        #[serde(rename = "GameSessionId")]
        id: String,
    }
    serde_json::from_slice::<Out>(&reply.body).ok().map(|o| o.game_session.id)
}

/// The same request every time.
pub struct Fixed {
    ep: Endpoint,
    body: Bytes,
}

impl Source for Fixed {
    fn next(&self, _rng: &mut Rng) -> (&Endpoint, Bytes) {
        (&self.ep, self.body.clone())
    }
}

/// DescribeGameSessions by fleet, first page of `Limit` 10.
pub fn describe_page(addr: SocketAddr) -> Fixed {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct In<'a> {
        fleet_id: &'a str,
        limit: i32,
    }
    Fixed {
        ep: Endpoint::json(addr, "DescribeGameSessions"),
        body: Proto::Json.encode(&In { fleet_id: FLEET_ID, limit: 10 }).into(),
    }
}

/// SearchGameSessions: the selective filter, newest first, `Limit` 10.
pub fn search(addr: SocketAddr) -> Fixed {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct In<'a> {
        fleet_id: &'a str,
        filter_expression: &'a str,
        sort_expression: &'a str,
        limit: i32,
    }
    Fixed {
        ep: Endpoint::json(addr, "SearchGameSessions"),
        body: Proto::Json
            .encode(&In { fleet_id: FLEET_ID, filter_expression: FILTER, sort_expression: SORT, limit: 10 })
            .into(),
    }
}

/// DescribeGameSessions by `GameSessionId`, a uniformly random one of the given sessions.
pub struct DescribeById {
    ep: Endpoint,
    bodies: Vec<Bytes>,
}

impl DescribeById {
    pub fn new(addr: SocketAddr, ids: &[String]) -> Self {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct In<'a> {
            game_session_id: &'a str,
        }
        let bodies = ids.iter().map(|id| Proto::Json.encode(&In { game_session_id: id }).into()).collect();
        Self { ep: Endpoint::json(addr, "DescribeGameSessions"), bodies }
    }
}

impl Source for DescribeById {
    fn next(&self, rng: &mut Rng) -> (&Endpoint, Bytes) {
        (&self.ep, self.bodies[rng.below(self.bodies.len())].clone())
    }
}

/// CreatePlayerSession with a unique `PlayerId` into a uniformly random one of the sessions.
pub struct CreatePlayer {
    ep: Endpoint,
    templates: Vec<Template>,
    counter: AtomicU64,
}

impl CreatePlayer {
    pub fn new(addr: SocketAddr, ids: &[String]) -> Self {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct In<'a> {
            game_session_id: &'a str,
            player_id: &'a str,
        }
        let player = format!("player-{}", std::str::from_utf8(MARK).expect("ascii"));
        let templates = ids
            .iter()
            .map(|id| Template::new(Proto::Json.encode(&In { game_session_id: id, player_id: &player })))
            .collect();
        Self { ep: Endpoint::json(addr, "CreatePlayerSession"), templates, counter: AtomicU64::new(0) }
    }
}

impl Source for CreatePlayer {
    fn next(&self, rng: &mut Rng) -> (&Endpoint, Bytes) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        (&self.ep, self.templates[rng.below(self.templates.len())].render(n))
    }
}

/// A weighted mix of sources.
pub struct Mix {
    parts: Vec<(u32, Arc<dyn Source>)>,
    total: u32,
}

impl Mix {
    pub fn new(parts: Vec<(u32, Arc<dyn Source>)>) -> Self {
        let total = parts.iter().map(|p| p.0).sum();
        Self { parts, total }
    }
}

impl Source for Mix {
    fn next(&self, rng: &mut Rng) -> (&Endpoint, Bytes) {
        let mut pick = rng.below(self.total as usize) as u32;
        for (w, s) in &self.parts {
            if pick < *w {
                return s.next(rng);
            }
            pick -= w;
        }
        self.parts[self.parts.len() - 1].1.next(rng)
    }
}
