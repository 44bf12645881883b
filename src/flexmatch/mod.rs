//! The FlexMatch rule language engine: parsing and validating rule sets, and building matches
//! from a pool of tickets.
//!
//! Pure library code: no HTTP, no `World`, no clock. Times come in through [`MatchContext`]
//! (milliseconds on the caller's clock), randomness from its seed, so a pass over the same pool
//! with the same seed always proposes the same matches.
//!
//! # Rule sets ([`parse_rule_set`])
//! - JSON with `//` and `/* */` comments allowed (AWS's own examples carry them); duplicate keys:
//!   the last one wins (example 7 of the guide has two `target`s in one expansion).
//! - `ruleLanguageVersion` must be `"1.0"`; `teams` is required (at least one); `playerAttributes`,
//!   `algorithm`, `rules`, `expansions` and `name` are optional; any other key is refused.
//! - Teams: `quantity` N gives `<name>_1` … `<name>_N` (the 2022 guide's spelling); expressions and
//!   expansion targets may name the definition (all its copies) or one copy.
//! - Size: at most 40 players in all for `exhaustiveSearch`, 200 for `balanced`, in every stage.
//! - Expansions are resolved at parse time: each distinct `waitTimeSeconds` gives a stage, the rule
//!   set with every expansion's latest due step applied, re-validated (an invalid step is
//!   refused, located at its step). Steps may be listed in any order.
//! - Error messages: `"<problem>; location: <section> section: array index=<i>: <name>"`.
//!
//! # Matching ([`RuleSet::find_matches`])
//! - Eligible tickets: every player has every declared attribute that has no default (a value of
//!   the wrong type counts as missing) and, under a latency rule, some latency data.
//! - Order: oldest first; equal start times in an order drawn from the seed.
//! - Each unmatched ticket in that order anchors a match. The other tickets are ranked by the sort
//!   rules (absoluteSort, distanceSort, in rule order) relative to the anchor, then by closeness on
//!   `sortByAttributes` (batching `sorted`), then by age; at most 64 (or twice the match size) are
//!   considered per anchor. Each is tried whole on one team (the emptiest first; a ticket whose
//!   players all carry the same `team` only there) and kept if the rules still hold.
//! - Rules are checked each time a ticket is tentatively added, except those that only make sense
//!   on a complete match (any `count(...)`, `contains` with a `minCount`, compounds using `not` or
//!   `xor`), which are checked when the match closes. Rules a compound references are checked only
//!   through it. Values not measurable yet (the average of an empty team) do not fail a rule.
//! - A match closes once the candidates are used up or every team is full, if every team has its
//!   `minPlayers` and every rule holds; otherwise the most recently added tickets are dropped one
//!   at a time until it does, or the anchor waits.
//! - Expansions apply by the age of the newest ticket of the potential match (the oldest with
//!   `expansionAgeSelection: oldest`).
//! - Latency: the regions a match may use are those every latency rule allows (each party's
//!   latency per region aggregated by `partyAggregation`, at most `maxLatency`, and within
//!   `maxDistance` of the region's min or avg) and that every player with latency data reported;
//!   [`ProposedMatch::latency_region_ok`] lists them, lowest average latency first.
//! - `additional_player_count` slots are held back one at a time from the team with the most room.
//! - `balanced` (large matches): candidates ranked by closeness on `balancedAttribute` (with
//!   `fastestRegion`: by latency in the anchor's fastest region first); players go to teams below
//!   `minPlayers` first, then to the team with the most open slots; only `batchDistance` and
//!   latency rules apply.
//! - Backfill ([`MatchContext::backfill`]): the existing players keep their teams and count
//!   against team sizes, rules are evaluated over the whole match, at most one match is proposed
//!   and it holds at least one pool ticket; an existing player on an unknown team (or none)
//!   makes the backfill unmatchable.
//!
//! Not modelled: AWS's batching of a pool into several batches (the whole pool is one batch),
//! `backfillPriority` (accepted, no effect), exhaustive search beyond the greedy fill.
use std::collections::BTreeMap;

mod expr;
mod matcher;
mod rules;
mod ruleset;
#[cfg(test)]
mod tests;

/// A parsed and validated rule set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    parsed: ruleset::Parsed,
}

/// Parses and validates a rule-set body. The error is a located message in the style of AWS's
/// own, e.g. `"Team maxPlayers must be greater than 0; location: teams section: array index=1: blue"`.
pub fn parse_rule_set(body: &str) -> Result<RuleSet, String> {
    ruleset::parse(body).map(|parsed| RuleSet { parsed })
}

impl RuleSet {
    /// The teams, expanded (`quantity` N gives `<name>_1` … `<name>_N`), in rule-set order.
    pub fn teams(&self) -> Vec<TeamSlot> {
        self.parsed.stages[0].teams.clone()
    }

    /// The declared player attributes (name, type, default), for MatchmakerData.
    pub fn player_attributes(&self) -> &[AttributeDecl] {
        &self.parsed.attributes
    }

    /// A player's declared attributes as MatchmakerData shows them, in declaration order: his
    /// own value when it has the declared type, else the default; attributes with neither
    /// (and undeclared ones) are left out.
    pub fn resolved_attributes(&self, player: &PoolPlayer) -> Vec<(String, AttrValue)> {
        self.parsed
            .attributes
            .iter()
            .filter_map(|decl| {
                let own = player.attributes.get(&decl.name).filter(|v| v.kind() == decl.kind);
                own.or(decl.default.as_ref()).map(|v| (decl.name.clone(), v.clone()))
            })
            .collect()
    }

    /// The rules' names in rule-set order (the rows of `ruleEvaluationMetrics`).
    pub fn rule_names(&self) -> Vec<String> {
        self.parsed.stages[0].rules.iter().map(|r| r.name.clone()).collect()
    }

    /// Whether the rule set builds large matches (strategy `balanced`).
    pub fn is_balanced(&self) -> bool {
        self.parsed.stages[0].algorithm.balanced
    }

    /// The sum of `maxPlayers` over the expanded teams.
    pub fn max_players(&self) -> usize {
        self.parsed.stages[0].teams.iter().map(|t| t.max_players).sum()
    }

    /// Builds the matches one pass over `pool` can make. Each pool ticket appears in at most one
    /// proposed match.
    pub fn find_matches(&self, pool: &[PoolTicket], ctx: &MatchContext) -> Vec<ProposedMatch> {
        matcher::find_matches(&self.parsed, pool, ctx)
    }
}

/// One team of a match, after `quantity` expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSlot {
    pub name: String,
    pub min_players: usize,
    pub max_players: usize,
}

/// A player attribute's declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Number,
    StringList,
    StringNumberMap,
}

/// A declared player attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDecl {
    pub name: String,
    pub kind: AttrType,
    pub default: Option<AttrValue>,
}

/// A player attribute value, as the API's `AttributeValue` carries it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    S(String),
    N(f64),
    SL(Vec<String>),
    SDM(BTreeMap<String, f64>),
}

impl AttrValue {
    /// The attribute type this value has.
    pub fn kind(&self) -> AttrType {
        match self {
            AttrValue::S(_) => AttrType::String,
            AttrValue::N(_) => AttrType::Number,
            AttrValue::SL(_) => AttrType::StringList,
            AttrValue::SDM(_) => AttrType::StringNumberMap,
        }
    }
}

/// One player of a ticket in the pool.
#[derive(Debug, Clone, Default)]
pub struct PoolPlayer {
    pub player_id: String,
    pub attributes: BTreeMap<String, AttrValue>,
    pub latency_ms: BTreeMap<String, i64>,
    /// Backfill: the team this player is already on.
    pub team: Option<String>,
}

/// A ticket waiting in the pool.
#[derive(Debug, Clone, Default)]
pub struct PoolTicket {
    pub ticket_id: String,
    pub players: Vec<PoolPlayer>,
    /// When the ticket entered matchmaking, in the caller's milliseconds.
    pub start_ms: i64,
}

/// What a pass needs besides the pool.
#[derive(Debug, Clone, Default)]
pub struct MatchContext {
    /// The current time; a ticket's age is `now_ms - start_ms`.
    pub now_ms: i64,
    /// Seeds batching and tie-breaks, so a pass is deterministic.
    pub seed: u64,
    /// Slots held back from every match (the configuration's AdditionalPlayerCount).
    pub additional_player_count: usize,
    /// Backfill: the players already in the game session, with their teams.
    pub backfill: Option<ExistingMatch>,
}

/// The players already in a game session being backfilled (each with `team` set).
#[derive(Debug, Clone, Default)]
pub struct ExistingMatch {
    pub players: Vec<PoolPlayer>,
}

/// A match the engine proposes.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedMatch {
    /// Indexes into the pool.
    pub tickets: Vec<usize>,
    /// Team name → (ticket index, player index) of every new player on it, in team order.
    pub teams: Vec<(String, Vec<(usize, usize)>)>,
    /// (ruleName, passedCount, failedCount) for every rule of the rule set.
    pub rule_metrics: Vec<(String, u32, u32)>,
    /// Regions where every player's latency satisfies the latency rules (empty: no constraint).
    pub latency_region_ok: Vec<String>,
}
