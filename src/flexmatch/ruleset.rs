//! Parsing and validating a rule-set body into typed structures.
//!
//! Errors are located the way AWS locates its own: `"<problem>; location: <section> section:
//! array index=<i>: <name>"`. Expansions are resolved here too: every distinct expansion wait
//! time gives a [`Stage`], the rule set as it stands from that age on.

use serde_json::{Map, Value};

use super::expr::{self, Expr, Func, Val};
use super::{AttrType, AttrValue, AttributeDecl, TeamSlot};

/// The most players a match of the exhaustive-search strategy may hold.
pub(crate) const MAX_PLAYERS_EXHAUSTIVE: usize = 40;
/// The most players a large (balanced) match may hold.
pub(crate) const MAX_PLAYERS_BALANCED: usize = 200;
/// The deepest nesting of functions or compound operators accepted.
pub(crate) const MAX_NESTING: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartyAgg {
    Min,
    Max,
    Avg,
    Union,
    Intersection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Lt,
    Le,
    Eq,
    Ne,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CollOp {
    Intersection,
    Contains,
    ReferenceIntersectionCount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapKey {
    MinValue,
    MaxValue,
}

/// A `referenceValue`: a literal, or an expression over the match.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Lit(Val),
    Expr(Expr),
}

/// A compound rule's statement over other rules (by index into the rule list).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stmt {
    Rule(usize),
    And(Vec<Stmt>),
    Or(Vec<Stmt>),
    Xor(Vec<Stmt>),
    Not(Box<Stmt>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RuleKind {
    BatchDistance {
        attr: String,
        max_distance: Option<f64>,
        party: PartyAgg,
    },
    Comparison {
        measurements: Vec<Expr>,
        reference: Option<Operand>,
        op: CmpOp,
        party: PartyAgg,
    },
    Distance {
        measurements: Vec<Expr>,
        reference: Operand,
        max_distance: Option<f64>,
        min_distance: Option<f64>,
        party: PartyAgg,
    },
    Collection {
        measurements: Vec<Expr>,
        reference: Option<Operand>,
        op: CollOp,
        min_count: Option<f64>,
        max_count: Option<f64>,
        party: PartyAgg,
    },
    Latency {
        max_latency: f64,
        max_distance: Option<f64>,
        reference_avg: bool,
        party: PartyAgg,
    },
    /// absoluteSort (`distance == false`) and distanceSort.
    Sort {
        distance: bool,
        descending: bool,
        attr: String,
        map_key: Option<MapKey>,
        party: PartyAgg,
    },
    Compound {
        stmt: Stmt,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub name: String,
    pub kind: RuleKind,
    /// Checked only once the match is complete (team counts, `contains` with a minimum), not
    /// each time a ticket is tentatively added.
    pub deferred: bool,
}

impl Rule {
    pub(crate) fn is_sort(&self) -> bool {
        matches!(self.kind, RuleKind::Sort { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Batching {
    Random,
    Sorted,
    LargestPopulation,
    FastestRegion,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Algorithm {
    pub balanced: bool,
    pub batching: Batching,
    pub sort_by: Vec<String>,
    pub balanced_attribute: Option<String>,
    /// `expansionAgeSelection`: true for `oldest`, false for `newest` (the default).
    pub age_oldest: bool,
}

/// The rule set as it stands once tickets are at least `from_ms` old.
#[derive(Debug, Clone)]
pub(crate) struct Stage {
    pub from_ms: i64,
    pub teams: Vec<TeamSlot>,
    /// The definition name each expanded team came from (same order as `teams`).
    pub bases: Vec<String>,
    pub rules: Vec<Rule>,
    pub algorithm: Algorithm,
}

/// A parsed rule set: declared attributes and its stages (the first one from age 0).
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub attributes: Vec<AttributeDecl>,
    pub stages: Vec<Stage>,
}

fn located(problem: impl std::fmt::Display, location: &str) -> String {
    format!("{problem}; location: {location}")
}

/// Removes `//` and `/* */` comments outside strings (AWS's own examples carry them).
fn strip_comments(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out
}

const TOP_KEYS: &[&str] =
    &["name", "ruleLanguageVersion", "playerAttributes", "algorithm", "teams", "rules", "expansions"];

pub(crate) fn parse(body: &str) -> Result<Parsed, String> {
    let root: Value = serde_json::from_str(&strip_comments(body))
        .map_err(|e| located(format!("Rule set is not valid JSON: {e}"), "root"))?;
    let Value::Object(top) = &root else {
        return Err(located("Rule set must be a JSON object", "root"));
    };
    if let Some(k) = top.keys().find(|k| !TOP_KEYS.contains(&k.as_str())) {
        return Err(located(format!("Unknown property '{k}'"), "root"));
    }
    match top.get("name") {
        None | Some(Value::String(_)) => {}
        Some(_) => return Err(located("Rule set name must be a string", "root")),
    }
    match top.get("ruleLanguageVersion") {
        None => return Err(located("Rule set is missing required property 'ruleLanguageVersion'", "root")),
        Some(Value::String(v)) if v == "1.0" => {}
        Some(v) => {
            return Err(located(
                format!("Unsupported ruleLanguageVersion {v}; the only supported version is \"1.0\""),
                "root",
            ));
        }
    }
    let attributes = parse_attributes(top.get("playerAttributes"))?;
    let base = parse_stage(top, &attributes, 0)?;
    let expansions = parse_expansions(top.get("expansions"), &base)?;

    // Each step on its own must leave a valid rule set.
    for (j, exp) in expansions.iter().enumerate() {
        for (k, (_, value)) in exp.steps.iter().enumerate() {
            let mut copy = top.clone();
            apply_expansion(&mut copy, &exp.target, value);
            parse_stage(&copy, &attributes, 0).map_err(|e| {
                let problem = e.split("; location:").next().unwrap_or(&e).to_string();
                located(
                    problem,
                    &format!("expansions section: array index={j}: {}: steps array index={k}", exp.raw),
                )
            })?;
        }
    }

    let mut waits: Vec<i64> = expansions.iter().flat_map(|e| e.steps.iter().map(|(w, _)| *w)).collect();
    waits.sort_unstable();
    waits.dedup();
    let mut stages = vec![base];
    for wait in waits.into_iter().filter(|w| *w > 0) {
        let mut copy = top.clone();
        for exp in &expansions {
            if let Some((_, value)) = exp.steps.iter().rev().find(|(w, _)| *w <= wait) {
                apply_expansion(&mut copy, &exp.target, value);
            }
        }
        let stage = parse_stage(&copy, &attributes, wait).map_err(|e| {
            let problem = e.split("; location:").next().unwrap_or(&e).to_string();
            located(problem, &format!("expansions section: waitTimeSeconds={}", wait / 1000))
        })?;
        stages.push(stage);
    }
    // Steps at wait 0 apply from the start.
    if expansions.iter().any(|e| e.steps.iter().any(|(w, _)| *w == 0)) {
        let mut copy = top.clone();
        for exp in &expansions {
            if let Some((_, value)) = exp.steps.iter().rev().find(|(w, _)| *w == 0) {
                apply_expansion(&mut copy, &exp.target, value);
            }
        }
        stages[0] = parse_stage(&copy, &attributes, 0)?;
    }
    Ok(Parsed { attributes, stages })
}

// ---------------------------------------------------------------------------------------------
// playerAttributes

fn parse_attributes(v: Option<&Value>) -> Result<Vec<AttributeDecl>, String> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Value::Array(items) = v else {
        return Err(located("playerAttributes must be an array", "playerAttributes section"));
    };
    let mut out: Vec<AttributeDecl> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str).unwrap_or("");
        let loc = format!("playerAttributes section: array index={i}: {name}");
        let Value::Object(obj) = item else {
            return Err(located("Player attribute must be an object", &loc));
        };
        if let Some(k) = obj.keys().find(|k| !["name", "type", "default"].contains(&k.as_str())) {
            return Err(located(format!("Unknown property '{k}'"), &loc));
        }
        if name.is_empty() {
            return Err(located("Player attribute is missing required property 'name'", &loc));
        }
        if out.iter().any(|a| a.name == name) {
            return Err(located(format!("Duplicate player attribute name '{name}'"), &loc));
        }
        let kind = match obj.get("type").and_then(Value::as_str) {
            None => return Err(located("Player attribute is missing required property 'type'", &loc)),
            Some("string") => AttrType::String,
            Some("number") => AttrType::Number,
            Some("string_list") => AttrType::StringList,
            Some("string_number_map") => AttrType::StringNumberMap,
            Some(other) => {
                return Err(located(
                    format!(
                        "Unknown player attribute type '{other}'; valid types are string, number, string_list, string_number_map"
                    ),
                    &loc,
                ));
            }
        };
        let default = match obj.get("default") {
            None | Some(Value::Null) => None,
            Some(d) => Some(attr_value(kind, d).ok_or_else(|| {
                located(format!("Default value {d} does not match attribute type {}", type_name(kind)), &loc)
            })?),
        };
        out.push(AttributeDecl { name: name.to_string(), kind, default });
    }
    Ok(out)
}

fn type_name(t: AttrType) -> &'static str {
    match t {
        AttrType::String => "string",
        AttrType::Number => "number",
        AttrType::StringList => "string_list",
        AttrType::StringNumberMap => "string_number_map",
    }
}

fn attr_value(kind: AttrType, v: &Value) -> Option<AttrValue> {
    Some(match (kind, v) {
        (AttrType::String, Value::String(s)) => AttrValue::S(s.clone()),
        (AttrType::Number, Value::Number(n)) => AttrValue::N(n.as_f64()?),
        (AttrType::StringList, Value::Array(items)) => {
            AttrValue::SL(items.iter().map(|i| i.as_str().map(str::to_string)).collect::<Option<_>>()?)
        }
        (AttrType::StringNumberMap, Value::Object(m)) => {
            AttrValue::SDM(m.iter().map(|(k, v)| v.as_f64().map(|n| (k.clone(), n))).collect::<Option<_>>()?)
        }
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// One stage: teams, algorithm, rules

fn parse_stage(top: &Map<String, Value>, attrs: &[AttributeDecl], from_ms: i64) -> Result<Stage, String> {
    let (teams, bases) = parse_teams(top.get("teams"))?;
    let algorithm = parse_algorithm(top.get("algorithm"), attrs)?;
    let total: usize = teams.iter().map(|t| t.max_players).sum();
    if !algorithm.balanced && total > MAX_PLAYERS_EXHAUSTIVE {
        return Err(located(
            format!(
                "Total maxPlayers of all teams is {total}; a match of more than {MAX_PLAYERS_EXHAUSTIVE} players needs algorithm strategy 'balanced'"
            ),
            "teams section",
        ));
    }
    if total > MAX_PLAYERS_BALANCED {
        return Err(located(
            format!(
                "Total maxPlayers of all teams is {total}; a match may hold at most {MAX_PLAYERS_BALANCED} players"
            ),
            "teams section",
        ));
    }
    let pairs: Vec<(String, String)> =
        bases.iter().cloned().zip(teams.iter().map(|t| t.name.clone())).collect();
    let rules = parse_rules(top.get("rules"), attrs, &pairs)?;
    Ok(Stage { from_ms, teams, bases, rules, algorithm })
}

fn as_count(v: Option<&Value>) -> Option<Result<i64, ()>> {
    v.map(|v| match v {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)).ok_or(())
        }
        _ => Err(()),
    })
}

fn parse_teams(v: Option<&Value>) -> Result<(Vec<TeamSlot>, Vec<String>), String> {
    let Some(v) = v else {
        return Err(located("Rule set is missing required property 'teams'", "root"));
    };
    let Value::Array(items) = v else {
        return Err(located("teams must be an array", "teams section"));
    };
    if items.is_empty() {
        return Err(located("Rule set must define at least one team", "teams section"));
    }
    let mut slots = Vec::new();
    let mut bases: Vec<String> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str).unwrap_or("");
        let loc = format!("teams section: array index={i}: {name}");
        let Value::Object(obj) = item else {
            return Err(located("Team must be an object", &loc));
        };
        if let Some(k) =
            obj.keys().find(|k| !["name", "minPlayers", "maxPlayers", "quantity"].contains(&k.as_str()))
        {
            return Err(located(format!("Unknown property '{k}'"), &loc));
        }
        if name.is_empty() {
            return Err(located("Team is missing required property 'name'", &loc));
        }
        if names.contains(&name) {
            return Err(located(format!("Duplicate team name '{name}'"), &loc));
        }
        names.push(name);
        let count = |key: &str| -> Result<i64, String> {
            match as_count(obj.get(key)) {
                None => Err(located(format!("Team is missing required property '{key}'"), &loc)),
                Some(Err(())) => Err(located(format!("Team {key} must be an integer"), &loc)),
                Some(Ok(n)) => Ok(n),
            }
        };
        let max = count("maxPlayers")?;
        let min = count("minPlayers")?;
        if max <= 0 {
            return Err(located("Team maxPlayers must be greater than 0", &loc));
        }
        if max > MAX_PLAYERS_BALANCED as i64 {
            return Err(located(format!("Team maxPlayers must be at most {MAX_PLAYERS_BALANCED}"), &loc));
        }
        if min < 0 {
            return Err(located("Team minPlayers must not be negative", &loc));
        }
        if min > max {
            return Err(located(format!("Team minPlayers ({min}) must not exceed maxPlayers ({max})"), &loc));
        }
        let quantity = match as_count(obj.get("quantity")) {
            None => 1,
            Some(Ok(q)) if q >= 1 => q,
            Some(_) => return Err(located("Team quantity must be an integer of at least 1", &loc)),
        };
        if quantity > MAX_PLAYERS_BALANCED as i64 {
            return Err(located(format!("Team quantity {quantity} is too large"), &loc));
        }
        for n in 1..=quantity {
            let expanded = if quantity == 1 { name.to_string() } else { format!("{name}_{n}") };
            slots.push(TeamSlot { name: expanded, min_players: min as usize, max_players: max as usize });
            bases.push(name.to_string());
        }
    }
    Ok((slots, bases))
}

const ALGO_KEYS: &[&str] = &[
    "strategy",
    "batchingPreference",
    "sortByAttributes",
    "balancedAttribute",
    "expansionAgeSelection",
    "backfillPriority",
];

fn parse_algorithm(v: Option<&Value>, attrs: &[AttributeDecl]) -> Result<Algorithm, String> {
    let loc = "algorithm section";
    let empty = Map::new();
    let obj = match v {
        None => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => return Err(located("algorithm must be an object", loc)),
    };
    if let Some(k) = obj.keys().find(|k| !ALGO_KEYS.contains(&k.as_str())) {
        return Err(located(format!("Unknown property '{k}'"), loc));
    }
    let text = |key: &str| -> Result<Option<&str>, String> {
        match obj.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(located(format!("algorithm {key} must be a string"), loc)),
        }
    };
    let balanced = match text("strategy")? {
        None | Some("exhaustiveSearch") => false,
        Some("balanced") => true,
        Some(other) => {
            return Err(located(
                format!("Unknown algorithm strategy '{other}'; valid values are exhaustiveSearch, balanced"),
                loc,
            ));
        }
    };
    let batching = match text("batchingPreference")? {
        None if balanced => Batching::LargestPopulation,
        None => Batching::Random,
        Some("random") => Batching::Random,
        Some("sorted") => Batching::Sorted,
        Some("largestPopulation") => Batching::LargestPopulation,
        Some("fastestRegion") => Batching::FastestRegion,
        Some(other) => {
            return Err(located(
                format!(
                    "Unknown batchingPreference '{other}'; valid values are random, sorted, largestPopulation, fastestRegion"
                ),
                loc,
            ));
        }
    };
    match (balanced, batching) {
        (false, Batching::LargestPopulation | Batching::FastestRegion) => {
            return Err(located(
                "batchingPreference largestPopulation and fastestRegion need strategy 'balanced'",
                loc,
            ));
        }
        (true, Batching::Random | Batching::Sorted) => {
            return Err(located(
                "Strategy 'balanced' takes batchingPreference largestPopulation or fastestRegion",
                loc,
            ));
        }
        _ => {}
    }
    let sort_by = match obj.get("sortByAttributes") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                let Some(name) = item.as_str() else {
                    return Err(located("sortByAttributes must be a list of attribute names", loc));
                };
                match attrs.iter().find(|a| a.name == name) {
                    None => {
                        return Err(located(
                            format!("sortByAttributes names undeclared player attribute '{name}'"),
                            loc,
                        ));
                    }
                    Some(a) if !matches!(a.kind, AttrType::Number | AttrType::String) => {
                        return Err(located(
                            format!("sortByAttributes attribute '{name}' must be of type number or string"),
                            loc,
                        ));
                    }
                    Some(_) => out.push(name.to_string()),
                }
            }
            out
        }
        Some(_) => return Err(located("sortByAttributes must be a list of attribute names", loc)),
    };
    if batching == Batching::Sorted && sort_by.is_empty() {
        return Err(located("batchingPreference 'sorted' needs sortByAttributes", loc));
    }
    let balanced_attribute = match text("balancedAttribute")? {
        None => None,
        Some(name) => match attrs.iter().find(|a| a.name == name) {
            None => {
                return Err(located(
                    format!("balancedAttribute names undeclared player attribute '{name}'"),
                    loc,
                ));
            }
            Some(a) if a.kind != AttrType::Number => {
                return Err(located(
                    format!("balancedAttribute '{name}' must be a player attribute of type number"),
                    loc,
                ));
            }
            Some(_) => Some(name.to_string()),
        },
    };
    if balanced && balanced_attribute.is_none() {
        return Err(located("Strategy 'balanced' needs a balancedAttribute", loc));
    }
    let age_oldest = match text("expansionAgeSelection")? {
        None | Some("newest") => false,
        Some("oldest") => true,
        Some(other) => {
            return Err(located(
                format!("Unknown expansionAgeSelection '{other}'; valid values are newest, oldest"),
                loc,
            ));
        }
    };
    match text("backfillPriority")? {
        None | Some("normal" | "low" | "high") => {}
        Some(other) => {
            return Err(located(
                format!("Unknown backfillPriority '{other}'; valid values are normal, low, high"),
                loc,
            ));
        }
    }
    Ok(Algorithm { balanced, batching, sort_by, balanced_attribute, age_oldest })
}

// ---------------------------------------------------------------------------------------------
// rules

fn allowed_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "batchDistance" => &["batchAttribute", "maxDistance", "partyAggregation"],
        "comparison" => &["measurements", "referenceValue", "operation", "partyAggregation"],
        "distance" => &["measurements", "referenceValue", "maxDistance", "minDistance", "partyAggregation"],
        "collection" => {
            &["measurements", "referenceValue", "operation", "minCount", "maxCount", "partyAggregation"]
        }
        "latency" => &["maxLatency", "maxDistance", "distanceReference", "partyAggregation"],
        "absoluteSort" | "distanceSort" => &["sortDirection", "sortAttribute", "mapKey", "partyAggregation"],
        "compound" => &["statement"],
        _ => return None,
    })
}

pub(crate) const RULE_TYPES: &str =
    "batchDistance, comparison, distance, collection, latency, absoluteSort, distanceSort, compound";

fn parse_rules(
    v: Option<&Value>,
    attrs: &[AttributeDecl],
    teams: &[(String, String)],
) -> Result<Vec<Rule>, String> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Value::Array(items) = v else {
        return Err(located("rules must be an array", "rules section"));
    };
    // First pass: names and types, so compound statements can refer to later rules.
    let mut heads: Vec<(String, String)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str).unwrap_or("");
        let loc = format!("rules section: array index={i}: {name}");
        let Value::Object(obj) = item else {
            return Err(located("Rule must be an object", &loc));
        };
        if name.is_empty() {
            return Err(located("Rule is missing required property 'name'", &loc));
        }
        if heads.iter().any(|(n, _)| n == name) {
            return Err(located(format!("Duplicate rule name '{name}'"), &loc));
        }
        let kind = match obj.get("type").and_then(Value::as_str) {
            None => return Err(located("Rule is missing required property 'type'", &loc)),
            Some(k) => k,
        };
        let Some(keys) = allowed_keys(kind) else {
            return Err(located(format!("Unknown rule type '{kind}'; valid types are {RULE_TYPES}"), &loc));
        };
        if let Some(k) = obj
            .keys()
            .find(|k| !["name", "type", "description"].contains(&k.as_str()) && !keys.contains(&k.as_str()))
        {
            return Err(located(format!("Unknown property '{k}' for a {kind} rule"), &loc));
        }
        heads.push((name.to_string(), kind.to_string()));
    }
    let mut rules: Vec<Rule> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let (name, kind) = &heads[i];
        let loc = format!("rules section: array index={i}: {name}");
        let obj = item.as_object().ok_or_else(|| located("Rule must be an object", &loc))?;
        let kind = parse_rule_kind(kind, obj, attrs, teams, &heads).map_err(|p| located(p, &loc))?;
        rules.push(Rule { name: name.clone(), kind, deferred: false });
    }
    // Deferral: count-based measures and contains-with-minimum only make sense on a whole match.
    for rule in rules.iter_mut() {
        let deferred = match &rule.kind {
            RuleKind::Comparison { measurements, reference, .. } => {
                measurements.iter().any(|m| m.uses(Func::Count))
                    || matches!(reference, Some(Operand::Expr(e)) if e.uses(Func::Count))
            }
            RuleKind::Distance { measurements, reference, .. } => {
                measurements.iter().any(|m| m.uses(Func::Count))
                    || matches!(reference, Operand::Expr(e) if e.uses(Func::Count))
            }
            RuleKind::Collection { measurements, op, min_count, .. } => {
                measurements.iter().any(|m| m.uses(Func::Count))
                    || (*op == CollOp::Contains && min_count.is_some())
            }
            _ => false,
        };
        rule.deferred = deferred;
    }
    for i in 0..rules.len() {
        if let RuleKind::Compound { stmt } = &rules[i].kind {
            let mut refs = Vec::new();
            stmt_refs(stmt, &mut refs);
            // not/xor turn "still possible" into "failed" on a partial match: judge them whole.
            rules[i].deferred = refs.iter().any(|r| rules[*r].deferred) || negates(stmt);
        }
    }
    Ok(rules)
}

fn negates(s: &Stmt) -> bool {
    match s {
        Stmt::Rule(_) => false,
        Stmt::Not(_) | Stmt::Xor(_) => true,
        Stmt::And(v) | Stmt::Or(v) => v.iter().any(negates),
    }
}

pub(crate) fn stmt_refs(s: &Stmt, out: &mut Vec<usize>) {
    match s {
        Stmt::Rule(i) => out.push(*i),
        Stmt::And(v) | Stmt::Or(v) | Stmt::Xor(v) => v.iter().for_each(|s| stmt_refs(s, out)),
        Stmt::Not(s) => stmt_refs(s, out),
    }
}

fn number(obj: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Some(f)),
            _ => Err(format!("{key} must be a number, got \"{s}\"")),
        },
        Some(other) => Err(format!("{key} must be a number, got {other}")),
    }
}

fn party(obj: &Map<String, Value>, collection: bool) -> Result<PartyAgg, String> {
    match obj.get("partyAggregation") {
        None if collection => Ok(PartyAgg::Union),
        None => Ok(PartyAgg::Avg),
        Some(Value::String(s)) => match (s.as_str(), collection) {
            ("min", false) => Ok(PartyAgg::Min),
            ("max", false) => Ok(PartyAgg::Max),
            ("avg", false) => Ok(PartyAgg::Avg),
            ("union", true) => Ok(PartyAgg::Union),
            ("intersection", true) => Ok(PartyAgg::Intersection),
            (other, false) => {
                Err(format!("Unknown partyAggregation '{other}'; valid values are min, max, avg"))
            }
            (other, true) => {
                Err(format!("Unknown partyAggregation '{other}'; valid values are union, intersection"))
            }
        },
        Some(other) => Err(format!("partyAggregation must be a string, got {other}")),
    }
}

fn measurements(
    obj: &Map<String, Value>,
    attrs: &[AttributeDecl],
    teams: &[(String, String)],
) -> Result<Vec<Expr>, String> {
    let texts: Vec<&str> = match obj.get("measurements") {
        None => return Err("Rule is missing required property 'measurements'".into()),
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|i| {
                i.as_str().ok_or_else(|| "measurements must be property expressions (strings)".to_string())
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("measurements must be a non-empty list of property expressions".into()),
    };
    let mut out = Vec::new();
    for t in texts {
        let e = expr::parse_expr(t)?;
        expr::check_refs(&e, attrs, teams)?;
        out.push(e);
    }
    Ok(out)
}

fn reference(
    obj: &Map<String, Value>,
    attrs: &[AttributeDecl],
    teams: &[(String, String)],
) -> Result<Option<Operand>, String> {
    Ok(match obj.get("referenceValue") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if expr::looks_like_expression(s) => {
            let e = expr::parse_expr(s)?;
            expr::check_refs(&e, attrs, teams)?;
            Some(Operand::Expr(e))
        }
        Some(v) => Some(Operand::Lit(
            literal(v).ok_or_else(|| format!("referenceValue {v} is not a number, string or list"))?,
        )),
    })
}

fn literal(v: &Value) -> Option<Val> {
    Some(match v {
        Value::Number(n) => Val::Num(n.as_f64()?),
        Value::String(s) => Val::Str(s.clone()),
        Value::Bool(b) => Val::Num(if *b { 1.0 } else { 0.0 }),
        Value::Array(items) => Val::List(items.iter().map(literal).collect::<Option<_>>()?),
        _ => return None,
    })
}

fn declared<'a>(attrs: &'a [AttributeDecl], name: &str, what: &str) -> Result<&'a AttributeDecl, String> {
    attrs
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| format!("{what} references undeclared player attribute '{name}'"))
}

fn parse_rule_kind(
    kind: &str,
    obj: &Map<String, Value>,
    attrs: &[AttributeDecl],
    teams: &[(String, String)],
    heads: &[(String, String)],
) -> Result<RuleKind, String> {
    match kind {
        "batchDistance" => {
            let attr = obj
                .get("batchAttribute")
                .and_then(Value::as_str)
                .ok_or("batchDistance rule is missing required property 'batchAttribute'")?;
            let decl = declared(attrs, attr, "batchAttribute")?;
            let max_distance = number(obj, "maxDistance")?;
            match decl.kind {
                AttrType::Number if max_distance.is_none() => {
                    return Err("batchDistance rule on a number attribute needs maxDistance".into());
                }
                AttrType::Number | AttrType::String => {}
                _ => {
                    return Err(format!(
                        "batchAttribute '{attr}' must be a player attribute of type number or string"
                    ));
                }
            }
            if max_distance.is_some_and(|d| d < 0.0) {
                return Err("maxDistance must not be negative".into());
            }
            Ok(RuleKind::BatchDistance { attr: attr.to_string(), max_distance, party: party(obj, false)? })
        }
        "comparison" => {
            let op = match obj.get("operation").and_then(Value::as_str) {
                None => return Err("comparison rule is missing required property 'operation'".into()),
                Some("<") => CmpOp::Lt,
                Some("<=") => CmpOp::Le,
                Some("=") => CmpOp::Eq,
                Some("!=") => CmpOp::Ne,
                Some(">") => CmpOp::Gt,
                Some(">=") => CmpOp::Ge,
                Some(other) => {
                    return Err(format!(
                        "Unknown comparison operation '{other}'; valid values are <, <=, =, !=, >, >="
                    ));
                }
            };
            let measurements = measurements(obj, attrs, teams)?;
            for m in &measurements {
                if let Some(a) = m.attribute().and_then(|a| attrs.iter().find(|d| d.name == a))
                    && matches!(a.kind, AttrType::StringList)
                {
                    return Err(format!(
                        "Comparison rule measurement reads string_list attribute '{}'; use a collection rule",
                        a.name
                    ));
                }
            }
            let reference = reference(obj, attrs, teams)?;
            if reference.is_none() && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                return Err(
                    "A comparison rule without referenceValue only supports the operations = and !=".into()
                );
            }
            Ok(RuleKind::Comparison { measurements, reference, op, party: party(obj, false)? })
        }
        "distance" => {
            let measurements = measurements(obj, attrs, teams)?;
            for m in &measurements {
                if let Some(a) = m.attribute().and_then(|a| attrs.iter().find(|d| d.name == a))
                    && !matches!(a.kind, AttrType::Number | AttrType::StringNumberMap)
                {
                    return Err(format!(
                        "Distance rule measurement reads non-numeric attribute '{}'",
                        a.name
                    ));
                }
            }
            let reference = reference(obj, attrs, teams)?
                .ok_or("distance rule is missing required property 'referenceValue'")?;
            if matches!(&reference, Operand::Lit(v) if !matches!(v, Val::Num(_))) {
                return Err("distance rule referenceValue must be a number or a property expression".into());
            }
            let max_distance = number(obj, "maxDistance")?;
            let min_distance = number(obj, "minDistance")?;
            if max_distance.is_none() && min_distance.is_none() {
                return Err("distance rule needs maxDistance or minDistance".into());
            }
            if max_distance.is_some_and(|d| d < 0.0) || min_distance.is_some_and(|d| d < 0.0) {
                return Err("maxDistance and minDistance must not be negative".into());
            }
            Ok(RuleKind::Distance {
                measurements,
                reference,
                max_distance,
                min_distance,
                party: party(obj, false)?,
            })
        }
        "collection" => {
            let op = match obj.get("operation").and_then(Value::as_str) {
                None => return Err("collection rule is missing required property 'operation'".into()),
                Some("intersection") => CollOp::Intersection,
                Some("contains") => CollOp::Contains,
                Some("reference_intersection_count") => CollOp::ReferenceIntersectionCount,
                Some(other) => {
                    return Err(format!(
                        "Unknown collection operation '{other}'; valid values are intersection, contains, reference_intersection_count"
                    ));
                }
            };
            let measurements = measurements(obj, attrs, teams)?;
            for m in &measurements {
                if let Some(a) = m.attribute().and_then(|a| attrs.iter().find(|d| d.name == a))
                    && a.kind != AttrType::StringList
                    && op != CollOp::Contains
                {
                    return Err(
                        "Collection rule encountered a measurement which was not a list of string lists"
                            .into(),
                    );
                }
            }
            let reference = reference(obj, attrs, teams)?;
            match op {
                CollOp::Intersection if reference.is_some() => {
                    return Err("collection rule with operation intersection takes no referenceValue".into());
                }
                CollOp::Contains | CollOp::ReferenceIntersectionCount if reference.is_none() => {
                    return Err("collection rule is missing required property 'referenceValue'".into());
                }
                _ => {}
            }
            let min_count = number(obj, "minCount")?;
            let max_count = number(obj, "maxCount")?;
            if min_count.is_none() && max_count.is_none() {
                return Err("collection rule needs minCount or maxCount".into());
            }
            if min_count.is_some_and(|c| c < 0.0) || max_count.is_some_and(|c| c < 0.0) {
                return Err("minCount and maxCount must not be negative".into());
            }
            if let (Some(lo), Some(hi)) = (min_count, max_count)
                && lo > hi
            {
                return Err(format!("minCount ({lo}) must not exceed maxCount ({hi})"));
            }
            Ok(RuleKind::Collection {
                measurements,
                reference,
                op,
                min_count,
                max_count,
                party: party(obj, true)?,
            })
        }
        "latency" => {
            let max_latency =
                number(obj, "maxLatency")?.ok_or("latency rule is missing required property 'maxLatency'")?;
            if max_latency <= 0.0 {
                return Err("maxLatency must be greater than 0".into());
            }
            let max_distance = number(obj, "maxDistance")?;
            if max_distance.is_some_and(|d| d < 0.0) {
                return Err("maxDistance must not be negative".into());
            }
            let reference_avg = match obj.get("distanceReference") {
                None => false,
                Some(Value::String(s)) if s == "min" => false,
                Some(Value::String(s)) if s == "avg" => true,
                Some(other) => {
                    return Err(format!("Unknown distanceReference {other}; valid values are min, avg"));
                }
            };
            if obj.contains_key("distanceReference") && max_distance.is_none() {
                return Err("distanceReference needs maxDistance".into());
            }
            Ok(RuleKind::Latency { max_latency, max_distance, reference_avg, party: party(obj, false)? })
        }
        "absoluteSort" | "distanceSort" => {
            let descending = match obj.get("sortDirection").and_then(Value::as_str) {
                None => return Err(format!("{kind} rule is missing required property 'sortDirection'")),
                Some("ascending") => false,
                Some("descending") => true,
                Some(other) => {
                    return Err(format!(
                        "Unknown sortDirection '{other}'; valid values are ascending, descending"
                    ));
                }
            };
            let attr = obj
                .get("sortAttribute")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{kind} rule is missing required property 'sortAttribute'"))?;
            let decl = declared(attrs, attr, "sortAttribute")?;
            let map_key = match obj.get("mapKey") {
                None => None,
                Some(Value::String(s)) if s == "minValue" => Some(MapKey::MinValue),
                Some(Value::String(s)) if s == "maxValue" => Some(MapKey::MaxValue),
                Some(other) => {
                    return Err(format!("Unknown mapKey {other}; valid values are minValue, maxValue"));
                }
            };
            match (decl.kind, map_key) {
                (AttrType::Number, None) | (AttrType::StringNumberMap, Some(_)) => {}
                (AttrType::StringNumberMap, None) => {
                    return Err(format!("sortAttribute '{attr}' is a string_number_map; mapKey is required"));
                }
                (AttrType::Number, Some(_)) => {
                    return Err("mapKey applies only to string_number_map attributes".into());
                }
                _ => {
                    return Err(format!(
                        "sortAttribute '{attr}' must be a player attribute of type number or string_number_map"
                    ));
                }
            }
            Ok(RuleKind::Sort {
                distance: kind == "distanceSort",
                descending,
                attr: attr.to_string(),
                map_key,
                party: party(obj, false)?,
            })
        }
        "compound" => {
            let text = obj
                .get("statement")
                .and_then(Value::as_str)
                .ok_or("compound rule is missing required property 'statement'")?;
            if text.matches('(').count() > MAX_NESTING {
                return Err(format!("Compound statement nests more than {MAX_NESTING} levels"));
            }
            let stmt = parse_statement(text.trim(), heads)?;
            Ok(RuleKind::Compound { stmt })
        }
        _ => Err(format!("Unknown rule type '{kind}'; valid types are {RULE_TYPES}")),
    }
}

fn parse_statement(s: &str, heads: &[(String, String)]) -> Result<Stmt, String> {
    if let Some(open) = s.find('(') {
        let op = s[..open].trim();
        let inner = s[open + 1..]
            .strip_suffix(')')
            .ok_or_else(|| format!("Unbalanced parentheses in compound statement '{s}'"))?;
        let mut args = Vec::new();
        let (mut depth, mut start) = (0i32, 0usize);
        for (i, c) in inner.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth < 0 {
                        return Err(format!("Unbalanced parentheses in compound statement '{s}'"));
                    }
                }
                ',' if depth == 0 => {
                    args.push(parse_statement(inner[start..i].trim(), heads)?);
                    start = i + 1;
                }
                _ => {}
            }
        }
        if depth != 0 {
            return Err(format!("Unbalanced parentheses in compound statement '{s}'"));
        }
        let last = inner[start..].trim();
        if !last.is_empty() || !args.is_empty() {
            args.push(parse_statement(last, heads)?);
        }
        return match op {
            "and" | "or" | "xor" if args.len() < 2 => {
                Err(format!("Compound operator '{op}' needs at least two operands"))
            }
            "and" => Ok(Stmt::And(args)),
            "or" => Ok(Stmt::Or(args)),
            "xor" => Ok(Stmt::Xor(args)),
            "not" if args.len() == 1 => Ok(Stmt::Not(Box::new(args.remove(0)))),
            "not" => Err("Compound operator 'not' takes exactly one operand".into()),
            other => {
                Err(format!("Unknown compound operator '{other}'; valid operators are and, or, not, xor"))
            }
        };
    }
    if s.is_empty() || s.contains(')') || s.contains(',') {
        return Err(format!("Invalid compound statement '{s}'"));
    }
    let Some(idx) = heads.iter().position(|(n, _)| n == s) else {
        return Err(format!("Compound statement references undefined rule '{s}'"));
    };
    match heads[idx].1.as_str() {
        "comparison" | "distance" | "collection" => Ok(Stmt::Rule(idx)),
        other => Err(format!("Compound statement may not reference {other} rule '{s}'")),
    }
}

// ---------------------------------------------------------------------------------------------
// expansions

#[derive(Debug, Clone)]
pub(crate) enum Target {
    Rule { name: String, prop: String },
    Teams { names: Vec<String>, prop: String },
    Algorithm { prop: String },
}

#[derive(Debug, Clone)]
pub(crate) struct Expansion {
    pub raw: String,
    pub target: Target,
    /// (wait in ms, value), sorted by wait.
    pub steps: Vec<(i64, Value)>,
}

fn parse_expansions(v: Option<&Value>, base: &Stage) -> Result<Vec<Expansion>, String> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Value::Array(items) = v else {
        return Err(located("expansions must be an array", "expansions section"));
    };
    let mut out = Vec::new();
    for (j, item) in items.iter().enumerate() {
        let raw = item.get("target").and_then(Value::as_str).unwrap_or("").to_string();
        let loc = format!("expansions section: array index={j}: {raw}");
        let Value::Object(obj) = item else {
            return Err(located("Expansion must be an object", &loc));
        };
        if let Some(k) = obj.keys().find(|k| !["target", "steps"].contains(&k.as_str())) {
            return Err(located(format!("Unknown property '{k}'"), &loc));
        }
        if raw.is_empty() {
            return Err(located("Expansion is missing required property 'target'", &loc));
        }
        let target = parse_target(&raw, base).map_err(|p| located(p, &loc))?;
        let Some(Value::Array(steps)) = obj.get("steps") else {
            return Err(located("Expansion needs a non-empty list of steps", &loc));
        };
        if steps.is_empty() {
            return Err(located("Expansion needs a non-empty list of steps", &loc));
        }
        let mut parsed = Vec::new();
        for (k, step) in steps.iter().enumerate() {
            let sloc = format!("{loc}: steps array index={k}");
            let Value::Object(s) = step else {
                return Err(located("Expansion step must be an object", &sloc));
            };
            if let Some(key) = s.keys().find(|key| !["waitTimeSeconds", "value"].contains(&key.as_str())) {
                return Err(located(format!("Unknown property '{key}'"), &sloc));
            }
            let wait = match s.get("waitTimeSeconds").and_then(Value::as_f64) {
                Some(w) if w >= 0.0 => (w * 1000.0).round() as i64,
                Some(_) => return Err(located("waitTimeSeconds must not be negative", &sloc)),
                None => {
                    return Err(located(
                        "Expansion step is missing required property 'waitTimeSeconds'",
                        &sloc,
                    ));
                }
            };
            let Some(value) = s.get("value") else {
                return Err(located("Expansion step is missing required property 'value'", &sloc));
            };
            if parsed.iter().any(|(w, _)| *w == wait) {
                return Err(located("Expansion steps must have distinct waitTimeSeconds", &sloc));
            }
            parsed.push((wait, value.clone()));
        }
        parsed.sort_by_key(|(w, _)| *w);
        out.push(Expansion { raw, target, steps: parsed });
    }
    Ok(out)
}

fn parse_target(raw: &str, base: &Stage) -> Result<Target, String> {
    if let Some(prop) = raw.strip_prefix("algorithm.") {
        if !ALGO_KEYS.contains(&prop) {
            return Err(format!("Expansion target '{raw}' names an unknown algorithm property"));
        }
        return Ok(Target::Algorithm { prop: prop.to_string() });
    }
    let bracketed = |prefix: &str| -> Option<(String, String)> {
        let r = raw.strip_prefix(prefix)?;
        let close = r.find(']')?;
        let prop = r[close + 1..].strip_prefix('.')?;
        Some((r[..close].trim().to_string(), prop.to_string()))
    };
    if let Some((name, prop)) = bracketed("rules[") {
        let Some(rule) = base.rules.iter().find(|r| r.name == name) else {
            return Err(format!("Expansion target '{raw}' references undefined rule '{name}'"));
        };
        let kind = match &rule.kind {
            RuleKind::BatchDistance { .. } => "batchDistance",
            RuleKind::Comparison { .. } => "comparison",
            RuleKind::Distance { .. } => "distance",
            RuleKind::Collection { .. } => "collection",
            RuleKind::Latency { .. } => "latency",
            RuleKind::Sort { distance: false, .. } => "absoluteSort",
            RuleKind::Sort { distance: true, .. } => "distanceSort",
            RuleKind::Compound { .. } => "compound",
        };
        if !allowed_keys(kind).is_some_and(|keys| keys.contains(&prop.as_str())) {
            return Err(format!(
                "Expansion target '{raw}' names property '{prop}', which a {kind} rule does not have"
            ));
        }
        return Ok(Target::Rule { name, prop });
    }
    if let Some((inside, prop)) = bracketed("teams[") {
        if prop != "minPlayers" && prop != "maxPlayers" {
            return Err(format!(
                "Expansion target '{raw}' may only change minPlayers or maxPlayers of a team"
            ));
        }
        let names: Vec<String> = if inside == "*" {
            let mut all = base.bases.clone();
            all.dedup();
            all
        } else {
            inside.split(',').map(|n| n.trim().to_string()).collect()
        };
        for n in &names {
            if !base.bases.contains(n) {
                return Err(format!("Expansion target '{raw}' references undefined team '{n}'"));
            }
        }
        return Ok(Target::Teams { names, prop });
    }
    Err(format!(
        "Invalid expansion target '{raw}'; expected rules[<name>].<property>, teams[<name>].minPlayers|maxPlayers or algorithm.<property>"
    ))
}

fn apply_expansion(top: &mut Map<String, Value>, target: &Target, value: &Value) {
    match target {
        Target::Algorithm { prop } => {
            let algo = top.entry("algorithm").or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(a) = algo {
                a.insert(prop.clone(), value.clone());
            }
        }
        Target::Rule { name, prop } => {
            if let Some(Value::Array(rules)) = top.get_mut("rules") {
                for r in rules.iter_mut() {
                    if r.get("name").and_then(Value::as_str) == Some(name)
                        && let Value::Object(o) = r
                    {
                        o.insert(prop.clone(), value.clone());
                    }
                }
            }
        }
        Target::Teams { names, prop } => {
            if let Some(Value::Array(teams)) = top.get_mut("teams") {
                for t in teams.iter_mut() {
                    if t.get("name").and_then(Value::as_str).is_some_and(|n| names.iter().any(|x| x == n))
                        && let Value::Object(o) = t
                    {
                        o.insert(prop.clone(), value.clone());
                    }
                }
            }
        }
    }
}
