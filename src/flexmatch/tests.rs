//! Unit tests of the rule-set parser and the matcher (`cargo test --lib flexmatch`).

use std::collections::BTreeMap;

use super::expr::{self, Func, Val};
use super::rules;
use super::ruleset::{CmpOp, CollOp};
use super::*;

// ---------------------------------------------------------------------------------------------
// helpers

fn n(x: f64) -> AttrValue {
    AttrValue::N(x)
}
fn s(x: &str) -> AttrValue {
    AttrValue::S(x.to_string())
}
fn sl(xs: &[&str]) -> AttrValue {
    AttrValue::SL(xs.iter().map(|x| x.to_string()).collect())
}

fn player(id: &str, attrs: &[(&str, AttrValue)]) -> PoolPlayer {
    PoolPlayer {
        player_id: id.to_string(),
        attributes: attrs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        latency_ms: BTreeMap::new(),
        team: None,
    }
}

fn with_latency(mut p: PoolPlayer, lat: &[(&str, i64)]) -> PoolPlayer {
    p.latency_ms = lat.iter().map(|(r, l)| (r.to_string(), *l)).collect();
    p
}

/// A one-player ticket named after its player.
fn solo(id: &str, start_ms: i64, attrs: &[(&str, AttrValue)]) -> PoolTicket {
    PoolTicket { ticket_id: format!("t-{id}"), players: vec![player(id, attrs)], start_ms }
}

fn ctx(now_ms: i64) -> MatchContext {
    MatchContext { now_ms, seed: 7, ..MatchContext::default() }
}

fn rs(body: &str) -> RuleSet {
    match parse_rule_set(body) {
        Ok(r) => r,
        Err(e) => panic!("rule set refused: {e}"),
    }
}

/// Team name → player IDs, for every team of a proposed match.
fn lineup(pool: &[PoolTicket], m: &ProposedMatch) -> Vec<(String, Vec<String>)> {
    m.teams
        .iter()
        .map(|(team, slots)| {
            (team.clone(), slots.iter().map(|(t, p)| pool[*t].players[*p].player_id.clone()).collect())
        })
        .collect()
}

/// Player IDs of a match, sorted.
fn matched(pool: &[PoolTicket], m: &ProposedMatch) -> Vec<String> {
    let mut ids: Vec<String> = lineup(pool, m).into_iter().flat_map(|(_, ids)| ids).collect();
    ids.sort();
    ids
}

const EXAMPLES: [(&str, &str); 12] = [
    ("example1", include_str!("testdata/example1.json")),
    ("example2", include_str!("testdata/example2.json")),
    ("example3", include_str!("testdata/example3.json")),
    ("example4", include_str!("testdata/example4.json")),
    ("example5", include_str!("testdata/example5.json")),
    ("example6", include_str!("testdata/example6.json")),
    ("example7", include_str!("testdata/example7.json")),
    ("example8", include_str!("testdata/example8.json")),
    ("example9", include_str!("testdata/example9.json")),
    ("example10", include_str!("testdata/example10.json")),
    ("example11", include_str!("testdata/example11.json")),
    ("ruletypes", include_str!("testdata/ruletypes.json")),
];

fn example(name: &str) -> RuleSet {
    let body = EXAMPLES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b).unwrap_or("");
    rs(body)
}

// ---------------------------------------------------------------------------------------------
// parsing the guide's examples

#[test]
fn flexmatch_every_guide_example_parses() {
    for (name, body) in EXAMPLES {
        if let Err(e) = parse_rule_set(body) {
            panic!("{name} refused: {e}");
        }
    }
}

#[test]
fn flexmatch_teams_expand_by_quantity_in_rule_set_order() {
    let r = example("example8");
    let teams = r.teams();
    assert_eq!(teams.len(), 11);
    assert_eq!(teams[0], TeamSlot { name: "Monsters".into(), min_players: 5, max_players: 5 });
    assert_eq!(teams[1].name, "Hunters_1");
    assert_eq!(teams[10].name, "Hunters_10");
    assert_eq!(r.max_players(), 155);
    let six = example("example6");
    let names: Vec<String> = six.teams().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["player_1", "player_2"]);
}

#[test]
fn flexmatch_player_attributes_carry_types_and_defaults() {
    let r = example("example4");
    let attrs = r.player_attributes();
    assert_eq!(attrs.len(), 4);
    assert_eq!(
        attrs[0],
        AttributeDecl { name: "experience".into(), kind: AttrType::Number, default: Some(n(50.0)) }
    );
    assert_eq!(attrs[1].default, Some(sl(&["deathmatch", "coop"])));
    assert_eq!(attrs[2].kind, AttrType::StringNumberMap);
    assert_eq!(attrs[2].default, Some(AttrValue::SDM(BTreeMap::from([("defaultMap".to_string(), 100.0)]))));
    let five = example("example5");
    assert_eq!(five.player_attributes()[0].default, None);
}

// ---------------------------------------------------------------------------------------------
// invalid rule sets

const BASE_TEAMS: &str = r#""teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2}]"#;

fn with_rules(rules: &str) -> String {
    format!(
        r#"{{"ruleLanguageVersion": "1.0",
            "playerAttributes": [{{"name": "skill", "type": "number"}}, {{"name": "mode", "type": "string"}},
                                 {{"name": "chars", "type": "string_list"}}, {{"name": "maps", "type": "string_number_map"}}],
            {BASE_TEAMS}, "rules": [{rules}]}}"#
    )
}

fn refusal(body: &str) -> String {
    match parse_rule_set(body) {
        Ok(_) => panic!("accepted: {body}"),
        Err(e) => e,
    }
}

#[test]
fn flexmatch_invalid_rule_sets_are_refused_with_located_messages() {
    let cases: Vec<(String, &str)> = vec![
        ("[1, 2]".into(), "Rule set must be a JSON object; location: root"),
        (format!(r#"{{{BASE_TEAMS}}}"#), "Rule set is missing required property 'ruleLanguageVersion'; location: root"),
        (
            format!(r#"{{"ruleLanguageVersion": "2.0", {BASE_TEAMS}}}"#),
            "Unsupported ruleLanguageVersion \"2.0\"; the only supported version is \"1.0\"; location: root",
        ),
        (format!(r#"{{"ruleLanguageVersion": "1.0", "colour": 1, {BASE_TEAMS}}}"#), "Unknown property 'colour'; location: root"),
        (r#"{"ruleLanguageVersion": "1.0"}"#.into(), "Rule set is missing required property 'teams'; location: root"),
        (r#"{"ruleLanguageVersion": "1.0", "teams": []}"#.into(), "Rule set must define at least one team; location: teams section"),
        (
            r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2}, {"name": "blue", "minPlayers": 0, "maxPlayers": 0}]}"#.into(),
            "Team maxPlayers must be greater than 0; location: teams section: array index=1: blue",
        ),
        (
            r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "minPlayers": 3, "maxPlayers": 2}]}"#.into(),
            "Team minPlayers (3) must not exceed maxPlayers (2); location: teams section: array index=0: red",
        ),
        (
            r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "minPlayers": -1, "maxPlayers": 2}]}"#.into(),
            "Team minPlayers must not be negative; location: teams section: array index=0: red",
        ),
        (
            r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2}, {"name": "red", "minPlayers": 1, "maxPlayers": 2}]}"#.into(),
            "Duplicate team name 'red'; location: teams section: array index=1: red",
        ),
        (
            r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "maxPlayers": 2}]}"#.into(),
            "Team is missing required property 'minPlayers'; location: teams section: array index=0: red",
        ),
        (
            r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2, "quantity": 0}]}"#.into(),
            "Team quantity must be an integer of at least 1; location: teams section: array index=0: red",
        ),
        (
            r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 21, "quantity": 2}]}"#.into(),
            "Total maxPlayers of all teams is 42; a match of more than 40 players needs algorithm strategy 'balanced'; location: teams section",
        ),
        (
            r#"{"ruleLanguageVersion": "1.0", "playerAttributes": [{"name": "s", "type": "number"}], "algorithm": {"strategy": "balanced", "balancedAttribute": "s"}, "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 101}, {"name": "blue", "minPlayers": 1, "maxPlayers": 100}]}"#.into(),
            "Total maxPlayers of all teams is 201; a match may hold at most 200 players; location: teams section",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", "playerAttributes": [{{"name": "skill", "type": "integer"}}], {BASE_TEAMS}}}"#),
            "Unknown player attribute type 'integer'; valid types are string, number, string_list, string_number_map; location: playerAttributes section: array index=0: skill",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", "playerAttributes": [{{"name": "skill", "type": "number", "default": "high"}}], {BASE_TEAMS}}}"#),
            "Default value \"high\" does not match attribute type number; location: playerAttributes section: array index=0: skill",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", "playerAttributes": [{{"name": "a", "type": "number"}}, {{"name": "a", "type": "string"}}], {BASE_TEAMS}}}"#),
            "Duplicate player attribute name 'a'; location: playerAttributes section: array index=1: a",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skill])"], "referenceValue": 10, "maxDistance": 5}, {"name": "r1", "type": "latency", "maxLatency": 50}"#),
            "Duplicate rule name 'r1'; location: rules section: array index=1: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "closeness"}"#),
            "Unknown rule type 'closeness'; valid types are batchDistance, comparison, distance, collection, latency, absoluteSort, distanceSort, compound; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "latency", "maxLatency": 50, "minLatency": 10}"#),
            "Unknown property 'minLatency' for a latency rule; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "comparison", "measurements": ["teams[red].players.attributes[skill]"], "referenceValue": 1, "operation": "=="}"#),
            "Unknown comparison operation '=='; valid values are <, <=, =, !=, >, >=; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "comparison", "measurements": ["teams[red].players.attributes[skill]"], "operation": ">"}"#),
            "A comparison rule without referenceValue only supports the operations = and !=; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "comparison", "measurements": ["teams[green].players.attributes[skill]"], "referenceValue": 1, "operation": "="}"#),
            "Property expression references undefined team 'green'; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "comparison", "measurements": ["teams[red].players.attributes[rank]"], "referenceValue": 1, "operation": "="}"#),
            "Property expression references undeclared player attribute 'rank'; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "distance", "measurements": ["mean(teams[*].players.attributes[skill])"], "referenceValue": 1, "maxDistance": 1}"#),
            "Unknown function 'mean' in property expression 'mean(teams[*].players.attributes[skill])'; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skill]"], "referenceValue": 1, "maxDistance": 1}"#),
            "Unbalanced parentheses in property expression 'avg(teams[*].players.attributes[skill]'; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "distance", "measurements": ["teams[*].people.attributes[skill]"], "referenceValue": 1, "maxDistance": 1}"#),
            "Invalid property expression 'teams[*].people.attributes[skill]'; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skill])"], "referenceValue": 1}"#),
            "distance rule needs maxDistance or minDistance; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "collection", "operation": "intersection", "measurements": ["flatten(teams[*].players.attributes[skill])"], "minCount": 1}"#),
            "Collection rule encountered a measurement which was not a list of string lists; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "collection", "operation": "union", "measurements": ["flatten(teams[*].players.attributes[chars])"], "minCount": 1}"#),
            "Unknown collection operation 'union'; valid values are intersection, contains, reference_intersection_count; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "collection", "operation": "intersection", "measurements": ["flatten(teams[*].players.attributes[chars])"], "minCount": 1, "partyAggregation": "avg"}"#),
            "Unknown partyAggregation 'avg'; valid values are union, intersection; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "collection", "operation": "intersection", "measurements": ["flatten(teams[*].players.attributes[chars])"], "minCount": 3, "maxCount": 2}"#),
            "minCount (3) must not exceed maxCount (2); location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "latency"}"#),
            "latency rule is missing required property 'maxLatency'; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "latency", "maxLatency": 100, "maxDistance": 20, "distanceReference": "median"}"#),
            "Unknown distanceReference \"median\"; valid values are min, avg; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "absoluteSort", "sortDirection": "upward", "sortAttribute": "skill"}"#),
            "Unknown sortDirection 'upward'; valid values are ascending, descending; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "distanceSort", "sortDirection": "ascending", "sortAttribute": "maps"}"#),
            "sortAttribute 'maps' is a string_number_map; mapKey is required; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "absoluteSort", "sortDirection": "ascending", "sortAttribute": "maps", "mapKey": "middle"}"#),
            "Unknown mapKey \"middle\"; valid values are minValue, maxValue; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "batchDistance", "batchAttribute": "chars"}"#),
            "batchAttribute 'chars' must be a player attribute of type number or string; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": "far"}"#),
            "maxDistance must be a number, got \"far\"; location: rules section: array index=0: r1",
        ),
        (
            with_rules(r#"{"name": "c", "type": "compound", "statement": "and(a, b)"}"#),
            "Compound statement references undefined rule 'a'; location: rules section: array index=0: c",
        ),
        (
            with_rules(r#"{"name": "a", "type": "latency", "maxLatency": 10}, {"name": "c", "type": "compound", "statement": "not(a)"}"#),
            "Compound statement may not reference latency rule 'a'; location: rules section: array index=1: c",
        ),
        (
            with_rules(r#"{"name": "a", "type": "comparison", "measurements": ["flatten(teams[*].players.attributes[mode])"], "operation": "="}, {"name": "c", "type": "compound", "statement": "nand(a, a)"}"#),
            "Unknown compound operator 'nand'; valid operators are and, or, not, xor; location: rules section: array index=1: c",
        ),
        (
            with_rules(r#"{"name": "a", "type": "comparison", "measurements": ["flatten(teams[*].players.attributes[mode])"], "operation": "="}, {"name": "c", "type": "compound", "statement": "and(a)"}"#),
            "Compound operator 'and' needs at least two operands; location: rules section: array index=1: c",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "algorithm": {{"strategy": "greedy"}}}}"#),
            "Unknown algorithm strategy 'greedy'; valid values are exhaustiveSearch, balanced; location: algorithm section",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", "playerAttributes": [{{"name": "s", "type": "string"}}], {BASE_TEAMS}, "algorithm": {{"strategy": "balanced", "balancedAttribute": "s"}}}}"#),
            "balancedAttribute 's' must be a player attribute of type number; location: algorithm section",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "algorithm": {{"strategy": "balanced"}}}}"#),
            "Strategy 'balanced' needs a balancedAttribute; location: algorithm section",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "algorithm": {{"batchingPreference": "fastestRegion"}}}}"#),
            "batchingPreference largestPopulation and fastestRegion need strategy 'balanced'; location: algorithm section",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "algorithm": {{"batchingPreference": "sorted"}}}}"#),
            "batchingPreference 'sorted' needs sortByAttributes; location: algorithm section",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "algorithm": {{"expansionAgeSelection": "middle"}}}}"#),
            "Unknown expansionAgeSelection 'middle'; valid values are newest, oldest; location: algorithm section",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "expansions": [{{"target": "rules[nope].maxDistance", "steps": [{{"waitTimeSeconds": 5, "value": 1}}]}}]}}"#),
            "Expansion target 'rules[nope].maxDistance' references undefined rule 'nope'; location: expansions section: array index=0: rules[nope].maxDistance",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "expansions": [{{"target": "teams[red].quantity", "steps": [{{"waitTimeSeconds": 5, "value": 1}}]}}]}}"#),
            "Expansion target 'teams[red].quantity' may only change minPlayers or maxPlayers of a team; location: expansions section: array index=0: teams[red].quantity",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "expansions": [{{"target": "teams[red].minPlayers", "steps": [{{"waitTimeSeconds": 5, "value": 3}}]}}]}}"#),
            "Team minPlayers (3) must not exceed maxPlayers (2); location: expansions section: array index=0: teams[red].minPlayers: steps array index=0",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "expansions": [{{"target": "teams[red].minPlayers", "steps": []}}]}}"#),
            "Expansion needs a non-empty list of steps; location: expansions section: array index=0: teams[red].minPlayers",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "expansions": [{{"target": "teams[red].minPlayers", "steps": [{{"waitTimeSeconds": -1, "value": 1}}]}}]}}"#),
            "waitTimeSeconds must not be negative; location: expansions section: array index=0: teams[red].minPlayers: steps array index=0",
        ),
        (
            format!(r#"{{"ruleLanguageVersion": "1.0", {BASE_TEAMS}, "expansions": [{{"target": "skill.max", "steps": [{{"waitTimeSeconds": 1, "value": 1}}]}}]}}"#),
            "Invalid expansion target 'skill.max'; expected rules[<name>].<property>, teams[<name>].minPlayers|maxPlayers or algorithm.<property>; location: expansions section: array index=0: skill.max",
        ),
        (
            r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 9223372036854775807, "quantity": 200}]}"#.into(),
            "Team maxPlayers must be at most 200; location: teams section: array index=0: red",
        ),
        (
            with_rules(&format!(
                r#"{{"name": "r1", "type": "comparison", "measurements": ["{}teams[red].players.attributes[skill]{}"], "referenceValue": 1, "operation": "="}}"#,
                "max(".repeat(40),
                ")".repeat(40)
            )),
            "Property expression nests more than 32 functions; location: rules section: array index=0: r1",
        ),
        (
            with_rules(&format!(
                r#"{{"name": "a", "type": "comparison", "measurements": ["flatten(teams[*].players.attributes[mode])"], "operation": "="}}, {{"name": "c", "type": "compound", "statement": "{}a{}"}}"#,
                "not(".repeat(5000),
                ")".repeat(5000)
            )),
            "Compound statement nests more than 32 levels; location: rules section: array index=1: c",
        ),
        (
            with_rules(r#"{"name": "r1", "type": "latency", "maxLatency": "NaN"}"#),
            "maxLatency must be a number, got \"NaN\"; location: rules section: array index=0: r1",
        ),
    ];
    assert!(cases.len() >= 30, "the table holds {} cases", cases.len());
    let mut wrong = Vec::new();
    for (body, expected) in &cases {
        let got = refusal(body);
        if got != *expected {
            wrong.push(format!("expected: {expected}\n     got: {got}"));
        }
    }
    assert!(wrong.is_empty(), "{} messages differ:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn flexmatch_not_json_is_refused_at_the_root() {
    let e = refusal("{\"ruleLanguageVersion\": ");
    assert!(e.starts_with("Rule set is not valid JSON: "), "{e}");
    assert!(e.ends_with("; location: root"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// aggregation functions and property expressions, hand-computed

fn team(name: &str, players: &[(&str, f64)]) -> expr::EvalTeam {
    expr::EvalTeam {
        name: name.to_string(),
        base: name.to_string(),
        players: players
            .iter()
            .map(|(id, skill)| expr::EvalPlayer {
                id: id.to_string(),
                attrs: BTreeMap::from([("skill".to_string(), Val::Num(*skill))]),
            })
            .collect(),
    }
}

fn eval(e: &str, teams: &[expr::EvalTeam]) -> Val {
    match expr::parse_expr(e) {
        Ok(parsed) => expr::eval(&parsed, teams),
        Err(err) => panic!("{err}"),
    }
}

fn nums(xs: &[f64]) -> Val {
    Val::List(xs.iter().map(|x| Val::Num(*x)).collect())
}

#[test]
fn flexmatch_aggregation_functions_on_hand_computed_values() {
    let teams =
        [team("red", &[("a", 10.0), ("b", 20.0), ("c", 60.0)]), team("blue", &[("d", 30.0), ("e", 50.0)])];
    assert_eq!(eval("teams[red].players.attributes[skill]", &teams), nums(&[10.0, 20.0, 60.0]));
    assert_eq!(eval("avg(teams[*].players.attributes[skill])", &teams), nums(&[30.0, 40.0]));
    assert_eq!(eval("min(teams[*].players.attributes[skill])", &teams), nums(&[10.0, 30.0]));
    assert_eq!(eval("max(teams[*].players.attributes[skill])", &teams), nums(&[60.0, 50.0]));
    assert_eq!(eval("sum(teams[*].players.attributes[skill])", &teams), nums(&[90.0, 80.0]));
    assert_eq!(eval("median(teams[red].players.attributes[skill])", &teams), Val::Num(20.0));
    assert_eq!(eval("median(flatten(teams[*].players.attributes[skill]))", &teams), Val::Num(30.0));
    assert_eq!(eval("median(teams[blue].players.attributes[skill])", &teams), Val::Num(40.0));
    assert_eq!(eval("count(teams[*].players)", &teams), nums(&[3.0, 2.0]));
    assert_eq!(eval("max(count(teams[*].players))", &teams), Val::Num(3.0));
    assert_eq!(eval("count(players)", &teams), Val::Num(5.0));
    assert_eq!(eval("avg(flatten(teams[*].players.attributes[skill]))", &teams), Val::Num(34.0));
    assert_eq!(eval("avg(players.attributes[skill])", &teams), Val::Num(34.0));
    // Population standard deviation of 30 and 50 is 10; of 10, 20, 60 is sqrt(1400/3).
    assert_eq!(eval("stddev(teams[blue].players.attributes[skill])", &teams), Val::Num(10.0));
    let Val::Num(sd) = eval("stddev(teams[red].players.attributes[skill])", &teams) else {
        panic!("not a number")
    };
    assert!((sd - (1400.0f64 / 3.0).sqrt()).abs() < 1e-9);
    assert_eq!(
        eval("flatten(teams[red,blue].players[playerId])", &teams),
        Val::List(["a", "b", "c", "d", "e"].iter().map(|x| Val::Str(x.to_string())).collect())
    );
    // Empty teams: nothing to average yet, zero to count.
    let empty = [team("red", &[]), team("blue", &[("d", 30.0)])];
    assert_eq!(
        eval("avg(teams[*].players.attributes[skill])", &empty),
        Val::List(vec![Val::Null, Val::Num(30.0)])
    );
    assert_eq!(eval("count(teams[*].players)", &empty), nums(&[0.0, 1.0]));
    assert_eq!(eval("sum(teams[red].players.attributes[skill])", &empty), Val::Num(0.0));
}

fn strs(xs: &[&str]) -> Val {
    Val::List(xs.iter().map(|x| Val::Str(x.to_string())).collect())
}

#[test]
fn flexmatch_set_intersection_and_flatten() {
    let lists = Val::List(vec![strs(&["a", "b", "c"]), strs(&["b", "c"]), strs(&["c", "b", "d"])]);
    assert_eq!(expr::apply(Func::SetIntersection, lists.clone()), strs(&["b", "c"]));
    assert_eq!(expr::apply(Func::Flatten, lists), strs(&["a", "b", "c", "b", "c", "c", "b", "d"]));
    // Per team: a list of teams, each a list of players' lists.
    let per_team = Val::List(vec![
        Val::List(vec![strs(&["a", "b"]), strs(&["b"])]),
        Val::List(vec![strs(&["x"]), strs(&["x", "y"])]),
    ]);
    assert_eq!(expr::apply(Func::SetIntersection, per_team), Val::List(vec![strs(&["b"]), strs(&["x"])]));
    assert_eq!(expr::apply(Func::SetIntersection, Val::List(vec![])), Val::List(vec![]));
}

#[test]
fn flexmatch_map_keys_in_expressions() {
    let teams = [expr::EvalTeam {
        name: "red".into(),
        base: "red".into(),
        players: vec![expr::EvalPlayer {
            id: "a".into(),
            attrs: BTreeMap::from([(
                "maps".to_string(),
                Val::Map(BTreeMap::from([("lava".to_string(), 3.0)])),
            )]),
        }],
    }];
    assert_eq!(eval("teams[red].players.attributes[maps][lava]", &teams), nums(&[3.0]));
    assert_eq!(eval("teams[red].players.attributes[maps][ice]", &teams), Val::List(vec![Val::Null]));
}

// ---------------------------------------------------------------------------------------------
// rule types, hand-computed

#[test]
fn flexmatch_comparison_rule_cases() {
    assert!(rules::compare(&nums(&[5.0, 6.0]), Some(&Val::Num(5.0)), CmpOp::Ge));
    assert!(!rules::compare(&nums(&[5.0, 4.0]), Some(&Val::Num(5.0)), CmpOp::Ge));
    assert!(rules::compare(&nums(&[4.0]), Some(&Val::Num(5.0)), CmpOp::Lt));
    assert!(!rules::compare(&nums(&[5.0]), Some(&Val::Num(5.0)), CmpOp::Lt));
    assert!(rules::compare(&nums(&[5.0]), Some(&Val::Num(5.0)), CmpOp::Le));
    assert!(rules::compare(&nums(&[6.0]), Some(&Val::Num(5.0)), CmpOp::Gt));
    assert!(rules::compare(&nums(&[6.0]), Some(&Val::Num(5.0)), CmpOp::Ne));
    assert!(rules::compare(&strs(&["coop", "coop"]), None, CmpOp::Eq));
    assert!(!rules::compare(&strs(&["coop", "pvp"]), None, CmpOp::Eq));
    assert!(rules::compare(&nums(&[1.0, 2.0, 3.0]), None, CmpOp::Ne));
    assert!(!rules::compare(&nums(&[1.0, 2.0, 1.0]), None, CmpOp::Ne));
    assert!(rules::compare(&strs(&["serious"]), Some(&Val::Str("serious".into())), CmpOp::Eq));
    // Not yet measurable (an empty team's average) does not fail.
    assert!(rules::compare(&Val::List(vec![Val::Null]), Some(&Val::Num(5.0)), CmpOp::Eq));
}

#[test]
fn flexmatch_distance_rule_cases() {
    // Team averages 30 and 40 against the overall 34: distances 4 and 6.
    assert!(rules::distance(&nums(&[30.0, 40.0]), &Val::Num(34.0), Some(6.0), None));
    assert!(!rules::distance(&nums(&[30.0, 40.0]), &Val::Num(34.0), Some(5.0), None));
    assert!(rules::distance(&nums(&[30.0, 40.0]), &Val::Num(34.0), None, Some(4.0)));
    assert!(!rules::distance(&nums(&[30.0, 40.0]), &Val::Num(34.0), None, Some(5.0)));
    assert!(rules::distance(&Val::Num(12.0), &Val::Num(10.0), Some(2.0), Some(1.0)));
}

#[test]
fn flexmatch_collection_rule_cases() {
    let players = Val::List(vec![strs(&["coop", "dm"]), strs(&["dm", "ctf"]), strs(&["dm", "coop"])]);
    // intersection: only "dm" is common.
    assert!(rules::collection(&players, None, CollOp::Intersection, Some(1.0), None));
    assert!(!rules::collection(&players, None, CollOp::Intersection, Some(2.0), None));
    // contains: two players list "coop".
    let coop = Val::Str("coop".into());
    assert!(rules::collection(&players, Some(&coop), CollOp::Contains, None, Some(2.0)));
    assert!(!rules::collection(&players, Some(&coop), CollOp::Contains, None, Some(1.0)));
    assert!(rules::collection(&players, Some(&coop), CollOp::Contains, Some(2.0), None));
    // reference_intersection_count: every player's list against the reference list.
    let reference = strs(&["dm", "ctf"]);
    assert!(rules::collection(
        &players,
        Some(&reference),
        CollOp::ReferenceIntersectionCount,
        Some(1.0),
        None
    ));
    assert!(!rules::collection(
        &players,
        Some(&reference),
        CollOp::ReferenceIntersectionCount,
        Some(2.0),
        None
    ));
    // Block list: nobody's block list may name a player of the match.
    let blocks = Val::List(vec![strs(&[]), strs(&["p9"])]);
    assert!(rules::collection(
        &blocks,
        Some(&strs(&["p1", "p2"])),
        CollOp::ReferenceIntersectionCount,
        None,
        Some(0.0)
    ));
    assert!(!rules::collection(
        &blocks,
        Some(&strs(&["p1", "p9"])),
        CollOp::ReferenceIntersectionCount,
        None,
        Some(0.0)
    ));
}

#[test]
fn flexmatch_batch_distance_rule_cases() {
    assert!(rules::batch_distance(&[Val::Num(1000.0), Val::Num(1500.0)], Some(500.0)));
    assert!(!rules::batch_distance(&[Val::Num(1000.0), Val::Num(1501.0)], Some(500.0)));
    assert!(rules::batch_distance(&[Val::Str("ffa".into()), Val::Str("ffa".into())], None));
    assert!(!rules::batch_distance(&[Val::Str("ffa".into()), Val::Str("tdm".into())], None));
}

#[test]
fn flexmatch_party_aggregation_cases() {
    let (a, b) = (n(10.0), n(30.0));
    assert_eq!(rules::party_value(&[&a, &b], ruleset::PartyAgg::Avg), Val::Num(20.0));
    assert_eq!(rules::party_value(&[&a, &b], ruleset::PartyAgg::Min), Val::Num(10.0));
    assert_eq!(rules::party_value(&[&a, &b], ruleset::PartyAgg::Max), Val::Num(30.0));
    let (x, y) = (sl(&["a", "b"]), sl(&["b", "c"]));
    assert_eq!(rules::party_value(&[&x, &y], ruleset::PartyAgg::Union), strs(&["a", "b", "c"]));
    assert_eq!(rules::party_value(&[&x, &y], ruleset::PartyAgg::Intersection), strs(&["b"]));
}

// ---------------------------------------------------------------------------------------------
// matching

const TWO_V_TWO: &str = r#"{
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [{"name": "skill", "type": "number"}],
    "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
    "rules": [{"name": "FairSkill", "type": "distance",
               "measurements": ["max(flatten(teams[*].players.attributes[skill]))"],
               "referenceValue": "min(flatten(teams[*].players.attributes[skill]))",
               "maxDistance": 10}],
    "expansions": [{"target": "rules[FairSkill].maxDistance", "steps": [{"waitTimeSeconds": 10, "value": 100}]}]
}"#;

#[test]
fn flexmatch_compatible_tickets_make_a_two_by_two_match() {
    let r = rs(TWO_V_TWO);
    let pool: Vec<PoolTicket> = [("a", 50.0), ("b", 52.0), ("c", 55.0), ("d", 58.0)]
        .iter()
        .enumerate()
        .map(|(i, (id, sk))| solo(id, i as i64, &[("skill", n(*sk))]))
        .collect();
    let found = r.find_matches(&pool, &ctx(1_000));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].tickets, vec![0, 1, 2, 3]);
    assert_eq!(
        lineup(&pool, &found[0]),
        vec![
            ("red".to_string(), vec!["a".to_string(), "c".to_string()]),
            ("blue".to_string(), vec!["b".to_string(), "d".to_string()])
        ]
    );
    assert_eq!(found[0].rule_metrics, vec![("FairSkill".to_string(), 4, 0)], "one evaluation per ticket");
    assert!(found[0].latency_region_ok.is_empty());
}

#[test]
fn flexmatch_rule_metrics_count_one_evaluation_per_ticket_tried_and_deferred_rules_at_closing() {
    let r = rs(r#"{
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number"}],
        "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
        "rules": [{"name": "FairSkill", "type": "distance",
                   "measurements": ["max(flatten(teams[*].players.attributes[skill]))"],
                   "referenceValue": "min(flatten(teams[*].players.attributes[skill]))",
                   "maxDistance": 10},
                  {"name": "EvenTeams", "type": "comparison", "measurements": ["count(teams[red].players)"],
                   "referenceValue": "count(teams[blue].players)", "operation": "="}]
    }"#);
    // The third ticket is too far: tried on both teams, it fails FairSkill once.
    let pool: Vec<PoolTicket> = [("a", 50.0), ("b", 52.0), ("far", 200.0), ("c", 55.0), ("d", 58.0)]
        .iter()
        .enumerate()
        .map(|(i, (id, sk))| solo(id, i as i64, &[("skill", n(*sk))]))
        .collect();
    let found = r.find_matches(&pool, &ctx(1_000));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].tickets, vec![0, 1, 3, 4]);
    assert_eq!(
        found[0].rule_metrics,
        vec![("FairSkill".to_string(), 4, 1), ("EvenTeams".to_string(), 1, 0)],
        "FairSkill: a, b, c and d passed, far failed; EvenTeams (a count) is checked when the match closes"
    );
}

#[test]
fn flexmatch_an_incompatible_ticket_waits_until_an_expansion_relaxes_the_rule() {
    let r = rs(TWO_V_TWO);
    let pool = vec![
        solo("a", 0, &[("skill", n(50.0))]),
        solo("b", 0, &[("skill", n(52.0))]),
        solo("c", 0, &[("skill", n(55.0))]),
        solo("far", 0, &[("skill", n(90.0))]),
    ];
    assert!(r.find_matches(&pool, &ctx(9_999)).is_empty(), "skill 90 is 40 from 50, beyond 10");
    let found = r.find_matches(&pool, &ctx(10_000));
    assert_eq!(found.len(), 1, "after 10 s the distance allowed is 100");
    assert_eq!(matched(&pool, &found[0]), ["a", "b", "c", "far"]);
}

#[test]
fn flexmatch_expansions_follow_the_newest_ticket_by_default_and_the_oldest_on_request() {
    let pool = vec![
        solo("a", 0, &[("skill", n(50.0))]),
        solo("b", 0, &[("skill", n(52.0))]),
        solo("c", 0, &[("skill", n(55.0))]),
        solo("far", 15_000, &[("skill", n(90.0))]),
    ];
    // At 20 s the three old tickets are 20 s old, the newest only 5 s: no expansion yet.
    assert!(rs(TWO_V_TWO).find_matches(&pool, &ctx(20_000)).is_empty());
    let oldest =
        TWO_V_TWO.replace(r#""teams":"#, r#""algorithm": {"expansionAgeSelection": "oldest"}, "teams":"#);
    assert_eq!(rs(&oldest).find_matches(&pool, &ctx(20_000)).len(), 1);
}

#[test]
fn flexmatch_missing_attribute_without_default_is_never_matched() {
    let r = rs(TWO_V_TWO);
    let pool = vec![
        solo("a", 0, &[("skill", n(50.0))]),
        solo("b", 0, &[("skill", n(50.0))]),
        solo("c", 0, &[("skill", n(50.0))]),
        solo("nosk", 0, &[]),
        solo("wrongtype", 0, &[("skill", s("high"))]),
    ];
    assert!(r.find_matches(&pool, &ctx(60_000)).is_empty());
}

#[test]
fn flexmatch_parties_stay_together_on_one_team() {
    let r = rs(TWO_V_TWO);
    let pool = vec![
        solo("a", 0, &[("skill", n(50.0))]),
        PoolTicket {
            ticket_id: "party".into(),
            players: vec![player("p1", &[("skill", n(51.0))]), player("p2", &[("skill", n(53.0))])],
            start_ms: 1,
        },
        solo("b", 2, &[("skill", n(52.0))]),
    ];
    let found = r.find_matches(&pool, &ctx(1_000));
    assert_eq!(found.len(), 1);
    let teams = lineup(&pool, &found[0]);
    assert!(
        teams.iter().any(|(_, ids)| ids == &["p1".to_string(), "p2".to_string()]),
        "party split: {teams:?}"
    );
    // A party of three fits no team of two: it never matches.
    let pool = vec![
        PoolTicket {
            ticket_id: "big".into(),
            players: vec![
                player("q1", &[("skill", n(50.0))]),
                player("q2", &[("skill", n(50.0))]),
                player("q3", &[("skill", n(50.0))]),
            ],
            start_ms: 0,
        },
        solo("x", 1, &[("skill", n(50.0))]),
    ];
    assert!(r.find_matches(&pool, &ctx(1_000)).is_empty());
}

#[test]
fn flexmatch_teams_fill_toward_max_and_close_at_min() {
    let body = r#"{"ruleLanguageVersion": "1.0",
        "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 4}, {"name": "blue", "minPlayers": 2, "maxPlayers": 4}]}"#;
    let r = rs(body);
    let pool: Vec<PoolTicket> = (0..5).map(|i| solo(&format!("p{i}"), i, &[])).collect();
    let found = r.find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].tickets.len(), 5, "all five fit below max");
    let pool: Vec<PoolTicket> = (0..3).map(|i| solo(&format!("p{i}"), i, &[])).collect();
    assert!(r.find_matches(&pool, &ctx(0)).is_empty(), "three players cannot give both teams two");
    let pool: Vec<PoolTicket> = (0..10).map(|i| solo(&format!("p{i}"), i, &[])).collect();
    let found = r.find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 1, "the last two cannot make a match of their own");
    assert_eq!(found[0].tickets, (0..8).collect::<Vec<_>>(), "the oldest eight fill both teams");
}

#[test]
fn flexmatch_equal_team_sizes_drop_the_odd_ticket() {
    let r = example("example1");
    let pool: Vec<PoolTicket> = (0..9).map(|i| solo(&format!("p{i}"), i, &[("skill", n(10.0))])).collect();
    let found = r.find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 1);
    let teams = lineup(&pool, &found[0]);
    assert_eq!(teams[0].1.len(), 4);
    assert_eq!(teams[1].1.len(), 4);
    assert!(!found[0].tickets.contains(&8), "the newest ticket is left out");
}

#[test]
fn flexmatch_hunters_and_monster_follow_the_comparison_rules() {
    let body = include_str!("testdata/example2.json")
        .replace(r#""maxPlayers": 5, "minPlayers": 5"#, r#""maxPlayers": 2, "minPlayers": 2"#)
        .replace(r#""value": 4"#, r#""value": 1"#)
        .replace(r#""value": 3"#, r#""value": 1"#);
    let r = rs(&body);
    let hunter = |id: &str, t: i64, desired: f64| {
        solo(
            id,
            t,
            &[("skill", n(10.0)), ("desiredSkillOfMonster", n(desired)), ("wantsToBeMonster", n(0.0))],
        )
    };
    let monster =
        |id: &str, t: i64, skill: f64| solo(id, t, &[("skill", n(skill)), ("wantsToBeMonster", n(1.0))]);
    let pool = vec![hunter("h1", 0, 40.0), hunter("h2", 1, 30.0), monster("weak", 2, 20.0)];
    assert!(r.find_matches(&pool, &ctx(0)).is_empty(), "a monster of 20 is below the 40 wanted");
    let pool = vec![
        hunter("h1", 0, 40.0),
        hunter("h2", 1, 30.0),
        monster("weak", 2, 20.0),
        monster("strong", 3, 50.0),
    ];
    let found = r.find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 1);
    assert_eq!(
        lineup(&pool, &found[0]),
        vec![
            ("players".to_string(), vec!["h1".to_string(), "h2".to_string()]),
            ("monster".to_string(), vec!["strong".to_string()])
        ]
    );
}

#[test]
fn flexmatch_team_min_expansion_closes_a_short_match() {
    let body = include_str!("testdata/example2.json");
    let r = rs(body);
    let hunter = |id: &str| solo(id, 0, &[("wantsToBeMonster", n(0.0))]);
    let mut pool: Vec<PoolTicket> = ["h1", "h2", "h3"].iter().map(|id| hunter(id)).collect();
    pool.push(solo("m", 0, &[("wantsToBeMonster", n(1.0))]));
    assert!(r.find_matches(&pool, &ctx(59_000)).is_empty(), "three hunters are too few before 60 s");
    let found = r.find_matches(&pool, &ctx(60_000));
    assert_eq!(found.len(), 1);
    assert_eq!(lineup(&pool, &found[0])[1].1, ["m"]);
}

#[test]
fn flexmatch_compound_rule_passes_through_either_branch() {
    let body = r#"{"ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "style", "type": "string"}, {"name": "skill", "type": "number"}],
        "teams": [{"name": "all", "minPlayers": 2, "maxPlayers": 2}],
        "rules": [
          {"name": "Serious", "type": "comparison", "measurements": ["flatten(teams[*].players.attributes[style])"], "referenceValue": "serious", "operation": "="},
          {"name": "Casual", "type": "comparison", "measurements": ["flatten(teams[*].players.attributes[style])"], "referenceValue": "casual", "operation": "="},
          {"name": "Close", "type": "distance", "measurements": ["max(flatten(teams[*].players.attributes[skill]))"], "referenceValue": "min(flatten(teams[*].players.attributes[skill]))", "maxDistance": 10},
          {"name": "Loose", "type": "distance", "measurements": ["max(flatten(teams[*].players.attributes[skill]))"], "referenceValue": "min(flatten(teams[*].players.attributes[skill]))", "maxDistance": 100},
          {"name": "Either", "type": "compound", "statement": "or(and(Serious, Close), and(Casual, Loose))"}
        ]}"#;
    let r = rs(body);
    let p = |id: &str, style: &str, skill: f64| solo(id, 0, &[("style", s(style)), ("skill", n(skill))]);
    assert_eq!(r.find_matches(&[p("a", "casual", 10.0), p("b", "casual", 90.0)], &ctx(0)).len(), 1);
    assert!(r.find_matches(&[p("a", "serious", 10.0), p("b", "serious", 90.0)], &ctx(0)).is_empty());
    assert_eq!(r.find_matches(&[p("a", "serious", 10.0), p("b", "serious", 15.0)], &ctx(0)).len(), 1);
    assert!(r.find_matches(&[p("a", "serious", 10.0), p("b", "casual", 12.0)], &ctx(0)).is_empty());
    let xor = body.replace(
        "or(and(Serious, Close), and(Casual, Loose))",
        "or(and(Serious, Close), and(Casual, xor(Close, Loose)))",
    );
    let r = rs(&xor);
    assert!(
        r.find_matches(&[p("a", "casual", 10.0), p("b", "casual", 12.0)], &ctx(0)).is_empty(),
        "both hold"
    );
    assert_eq!(r.find_matches(&[p("a", "casual", 10.0), p("b", "casual", 50.0)], &ctx(0)).len(), 1);
    let not = body.replace(
        "or(and(Serious, Close), and(Casual, Loose))",
        "or(not(Serious), and(Close, Loose, Casual))",
    );
    let r = rs(&not);
    assert_eq!(r.find_matches(&[p("a", "casual", 10.0), p("b", "casual", 500.0)], &ctx(0)).len(), 1);
    assert!(r.find_matches(&[p("a", "serious", 10.0), p("b", "serious", 12.0)], &ctx(0)).is_empty());
}

#[test]
fn flexmatch_collection_rules_in_matching() {
    // Example 5 with a team of two: the characters must be common preferred opponents.
    let body = include_str!("testdata/example5.json")
        .replace(r#""minPlayers": 5, "maxPlayers": 5"#, r#""minPlayers": 2, "maxPlayers": 2"#);
    let r = rs(&body);
    let p = |id: &str, t: i64, me: &str| {
        solo(id, t, &[("myCharacter", sl(&[me])), ("preferredOpponents", sl(&["mage", "knight"]))])
    };
    assert!(r.find_matches(&[p("a", 0, "knight"), p("b", 1, "rogue")], &ctx(0)).is_empty());
    let pool = vec![p("a", 0, "knight"), p("b", 1, "rogue"), p("c", 2, "mage")];
    let found = r.find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 1);
    assert_eq!(matched(&pool, &found[0]), ["a", "c"]);
    // After 15 s minCount drops to 0.
    assert_eq!(r.find_matches(&[p("a", 0, "knight"), p("b", 1, "rogue")], &ctx(16_000)).len(), 1);
}

#[test]
fn flexmatch_block_list_keeps_blocked_players_apart() {
    let body = include_str!("testdata/example11.json")
        .replace(r#""maxPlayers": 5, "minPlayers": 5"#, r#""maxPlayers": 1, "minPlayers": 1"#);
    let r = rs(&body);
    let pool = vec![solo("p1", 0, &[("BlockList", sl(&["p2"]))]), solo("p2", 1, &[]), solo("p3", 2, &[])];
    let found = r.find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 1);
    assert_eq!(matched(&pool, &found[0]), ["p1", "p3"]);
}

#[test]
fn flexmatch_contains_with_a_limit() {
    let body = include_str!("testdata/example3.json").replace(
        r#""minPlayers": 3, "maxPlayers": 5, "quantity": 3"#,
        r#""minPlayers": 2, "maxPlayers": 2, "quantity": 3"#,
    );
    let r = rs(&body);
    let lat = [("us-east-1", 30)];
    let medics: Vec<PoolTicket> = (0..6)
        .map(|i| PoolTicket {
            ticket_id: format!("t{i}"),
            players: vec![with_latency(player(&format!("m{i}"), &[("character", sl(&["medic"]))]), &lat)],
            start_ms: i,
        })
        .collect();
    assert!(r.find_matches(&medics, &ctx(0)).is_empty(), "six medics exceed maxCount 5");
    let mut pool = medics[..5].to_vec();
    pool.push(PoolTicket {
        ticket_id: "x".into(),
        players: vec![with_latency(player("peasant", &[]), &lat)],
        start_ms: 9,
    });
    let found = r.find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 1);
    let names: Vec<String> =
        lineup(&pool, &found[0]).into_iter().map(|(t, ids)| format!("{t}:{}", ids.len())).collect();
    assert_eq!(names, ["trio_1:2", "trio_2:2", "trio_3:2"]);
    assert_eq!(found[0].latency_region_ok, ["us-east-1"]);
}

#[test]
fn flexmatch_sort_rules_order_candidates_around_the_anchor() {
    let body = r#"{"ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "exp", "type": "number"}],
        "teams": [{"name": "duo", "minPlayers": 2, "maxPlayers": 2}],
        "rules": [{"name": "NearExp", "type": "distanceSort", "sortDirection": "ascending", "sortAttribute": "exp"}]}"#;
    let pool = vec![
        solo("anchor", 0, &[("exp", n(50.0))]),
        solo("far", 1, &[("exp", n(90.0))]),
        solo("near", 2, &[("exp", n(48.0))]),
        solo("mid", 3, &[("exp", n(60.0))]),
    ];
    let found = rs(body).find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 2);
    assert_eq!(matched(&pool, &found[0]), ["anchor", "near"]);
    assert_eq!(matched(&pool, &found[1]), ["far", "mid"]);
    let abs = body.replace("distanceSort", "absoluteSort").replace("ascending", "descending");
    let found = rs(&abs).find_matches(&pool, &ctx(0));
    assert_eq!(matched(&pool, &found[0]), ["anchor", "far"], "the highest value comes first");
    // mapKey: the anchor's favourite key decides.
    let maps = r#"{"ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "maps", "type": "string_number_map"}],
        "teams": [{"name": "duo", "minPlayers": 2, "maxPlayers": 2}],
        "rules": [{"name": "Fav", "type": "absoluteSort", "sortDirection": "descending", "sortAttribute": "maps", "mapKey": "maxValue"}]}"#;
    let m = |pairs: &[(&str, f64)]| AttrValue::SDM(pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect());
    let pool = vec![
        solo("anchor", 0, &[("maps", m(&[("lava", 9.0), ("ice", 1.0)]))]),
        solo("icy", 1, &[("maps", m(&[("lava", 1.0), ("ice", 9.0)]))]),
        solo("lava", 2, &[("maps", m(&[("lava", 8.0)]))]),
    ];
    let found = rs(maps).find_matches(&pool, &ctx(0));
    assert_eq!(matched(&pool, &found[0]), ["anchor", "lava"]);
}

#[test]
fn flexmatch_same_seed_same_matches_and_ties_follow_the_seed() {
    let body =
        r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "duo", "minPlayers": 2, "maxPlayers": 2}]}"#;
    let r = rs(body);
    let pool: Vec<PoolTicket> = (0..8).map(|i| solo(&format!("p{i}"), 0, &[])).collect();
    let pairing = |seed: u64| -> Vec<Vec<String>> {
        let c = MatchContext { now_ms: 0, seed, ..MatchContext::default() };
        r.find_matches(&pool, &c).iter().map(|m| matched(&pool, m)).collect()
    };
    assert_eq!(pairing(1), pairing(1));
    assert_eq!(pairing(42), pairing(42));
    let distinct: std::collections::BTreeSet<Vec<Vec<String>>> = (0..8).map(pairing).collect();
    assert!(distinct.len() > 1, "equal ages are ordered by the seed");
    // Different ages: the oldest tickets go first whatever the seed.
    let aged: Vec<PoolTicket> = (0..4).map(|i| solo(&format!("p{i}"), 10 - i, &[])).collect();
    for seed in 0..4 {
        let c = MatchContext { now_ms: 100, seed, ..MatchContext::default() };
        assert_eq!(matched(&aged, &r.find_matches(&aged, &c)[0]), ["p2", "p3"]);
    }
}

#[test]
fn flexmatch_latency_rules_filter_regions() {
    let body = r#"{"ruleLanguageVersion": "1.0",
        "teams": [{"name": "duo", "minPlayers": 2, "maxPlayers": 2}],
        "rules": [{"name": "Fast", "type": "latency", "maxLatency": 100}],
        "expansions": [{"target": "rules[Fast].maxLatency", "steps": [{"waitTimeSeconds": 30, "value": 200}]}]}"#;
    let r = rs(body);
    let t = |id: &str, lat: &[(&str, i64)]| PoolTicket {
        ticket_id: id.into(),
        players: vec![with_latency(player(id, &[]), lat)],
        start_ms: 0,
    };
    let pool = vec![
        t("a", &[("us-east-1", 40), ("eu-west-1", 90)]),
        t("b", &[("us-east-1", 150), ("eu-west-1", 60)]),
    ];
    let found = r.find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].latency_region_ok, ["eu-west-1"]);
    let pool = vec![t("a", &[("us-east-1", 40)]), t("b", &[("us-east-1", 150)])];
    assert!(r.find_matches(&pool, &ctx(0)).is_empty());
    assert_eq!(r.find_matches(&pool, &ctx(30_000))[0].latency_region_ok, ["us-east-1"]);
    // No latency data at all: never matched under a latency rule.
    let pool = vec![t("a", &[("us-east-1", 40)]), solo("b", 0, &[])];
    assert!(r.find_matches(&pool, &ctx(60_000)).is_empty());
    // maxDistance: within 20 of the best latency in the region.
    let spread = body.replace(r#""maxLatency": 100}"#, r#""maxLatency": 100, "maxDistance": 20}"#);
    let r = rs(&spread);
    let pool = vec![
        t("a", &[("us-east-1", 10), ("eu-west-1", 50)]),
        t("b", &[("us-east-1", 40), ("eu-west-1", 60)]),
    ];
    assert_eq!(r.find_matches(&pool, &ctx(0))[0].latency_region_ok, ["eu-west-1"]);
}

#[test]
fn flexmatch_players_with_latency_data_only_go_where_they_reported() {
    let body =
        r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "duo", "minPlayers": 2, "maxPlayers": 2}]}"#;
    let r = rs(body);
    let t = |id: &str, lat: &[(&str, i64)]| PoolTicket {
        ticket_id: id.into(),
        players: vec![with_latency(player(id, &[]), lat)],
        start_ms: 0,
    };
    assert!(
        r.find_matches(&[t("a", &[("us-east-1", 40)]), t("b", &[("eu-west-1", 40)])], &ctx(0)).is_empty()
    );
    let found = r.find_matches(
        &[t("a", &[("us-east-1", 40), ("eu-west-1", 80)]), t("b", &[("eu-west-1", 40)])],
        &ctx(0),
    );
    assert_eq!(found[0].latency_region_ok, ["eu-west-1"]);
    let found = r.find_matches(&[t("a", &[("us-east-1", 40)]), solo("b", 0, &[])], &ctx(0));
    assert_eq!(found[0].latency_region_ok, ["us-east-1"], "a player without data does not restrict");
}

#[test]
fn flexmatch_additional_player_count_holds_slots_back() {
    let body =
        r#"{"ruleLanguageVersion": "1.0", "teams": [{"name": "all", "minPlayers": 2, "maxPlayers": 12}]}"#;
    let r = rs(body);
    let pool: Vec<PoolTicket> = (0..15).map(|i| solo(&format!("p{i:02}"), i, &[])).collect();
    let c = MatchContext { now_ms: 0, seed: 1, additional_player_count: 2, backfill: None };
    let found = r.find_matches(&pool, &c);
    assert_eq!(found[0].tickets.len(), 10, "12 slots minus 2 held back");
}

#[test]
fn flexmatch_balanced_large_match_fills_teams_below_min_first() {
    let body = r#"{"ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
        "algorithm": {"strategy": "balanced", "balancedAttribute": "skill"},
        "teams": [{"name": "Red", "minPlayers": 5, "maxPlayers": 10}, {"name": "Blue", "minPlayers": 5, "maxPlayers": 10},
                  {"name": "Green", "minPlayers": 2, "maxPlayers": 3}, {"name": "Extra", "minPlayers": 0, "maxPlayers": 20}],
        "rules": [{"name": "lat", "type": "latency", "maxLatency": 150},
                  {"name": "near", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 50},
                  {"name": "ignored", "type": "comparison", "measurements": ["flatten(teams[*].players.attributes[skill])"], "operation": "!="}]}"#;
    let r = rs(body);
    assert_eq!(r.max_players(), 43);
    let t = |i: i64, skill: f64| PoolTicket {
        ticket_id: format!("t{i}"),
        players: vec![with_latency(player(&format!("p{i}"), &[("skill", n(skill))]), &[("us-west-2", 50)])],
        start_ms: i,
    };
    let mut pool: Vec<PoolTicket> = (0..12).map(|i| t(i, 10.0)).collect();
    pool.push(t(12, 500.0)); // too far in skill for the batchDistance rule
    let found = r.find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 1);
    let sizes: Vec<usize> = found[0].teams.iter().map(|(_, p)| p.len()).collect();
    // 12 players: Red and Blue reach 5 each, then Green gets 2 (the comparison rule is not used).
    assert_eq!(sizes, [5, 5, 2, 0]);
    assert!(!found[0].tickets.contains(&12));
    assert_eq!(found[0].latency_region_ok, ["us-west-2"]);
    // Eleven players leave Green below its minimum: no match.
    assert!(r.find_matches(&pool[..11], &ctx(0)).is_empty());
}

#[test]
fn flexmatch_backfill_fills_open_slots_and_keeps_existing_teams() {
    let r = rs(TWO_V_TWO);
    let existing = |id: &str, team: &str, skill: f64| PoolPlayer {
        team: Some(team.into()),
        ..player(id, &[("skill", n(skill))])
    };
    let c = MatchContext {
        now_ms: 0,
        seed: 3,
        additional_player_count: 0,
        backfill: Some(ExistingMatch {
            players: vec![
                existing("r1", "red", 50.0),
                existing("r2", "red", 52.0),
                existing("b1", "blue", 51.0),
            ],
        }),
    };
    let pool = vec![
        solo("far", 0, &[("skill", n(90.0))]),
        solo("near", 1, &[("skill", n(55.0))]),
        solo("x", 2, &[("skill", n(53.0))]),
    ];
    let found = r.find_matches(&pool, &c);
    assert_eq!(found.len(), 1, "one backfill match at most");
    assert_eq!(found[0].tickets, vec![1], "the far ticket breaks the skill rule over the whole match");
    assert_eq!(
        lineup(&pool, &found[0]),
        vec![("red".to_string(), vec![]), ("blue".to_string(), vec!["near".to_string()])]
    );
    // Nothing fits: no match.
    assert!(r.find_matches(&pool[..1], &c).is_empty());
}

#[test]
fn flexmatch_resolved_attributes_apply_defaults_in_declaration_order() {
    let r = example("example4");
    let p = player("a", &[("gameMode", sl(&["coop"])), ("experience", s("lots")), ("undeclared", n(1.0))]);
    let got = r.resolved_attributes(&p);
    let names: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["experience", "gameMode", "mapPreference", "acceptableMaps"]);
    assert_eq!(got[0].1, n(50.0), "a value of the wrong type falls back to the default");
    assert_eq!(got[1].1, sl(&["coop"]));
    assert!(!r.is_balanced());
    assert!(example("example7").is_balanced());
    assert_eq!(r.rule_names(), ["MapPreference", "ExperienceAffinity", "SharedMode", "MapOverlap"]);
    // No default and no value: left out.
    assert!(example("example5").resolved_attributes(&player("b", &[])).is_empty());
}

#[test]
fn flexmatch_sorted_batching_prefers_close_sort_attributes() {
    let body = r#"{"ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number"}],
        "algorithm": {"batchingPreference": "sorted", "sortByAttributes": ["skill"]},
        "teams": [{"name": "duo", "minPlayers": 2, "maxPlayers": 2}]}"#;
    let pool = vec![
        solo("a", 0, &[("skill", n(10.0))]),
        solo("b", 1, &[("skill", n(90.0))]),
        solo("c", 2, &[("skill", n(12.0))]),
        solo("d", 3, &[("skill", n(85.0))]),
    ];
    let found = rs(body).find_matches(&pool, &ctx(0));
    let pairs: Vec<Vec<String>> = found.iter().map(|m| matched(&pool, m)).collect();
    assert_eq!(pairs, vec![vec!["a".to_string(), "c".to_string()], vec!["b".to_string(), "d".to_string()]]);
    // Random batching (the default) goes by age: a with b, c with d.
    let random =
        body.replace(r#""algorithm": {"batchingPreference": "sorted", "sortByAttributes": ["skill"]},"#, "");
    let found = rs(&random).find_matches(&pool, &ctx(0));
    assert_eq!(matched(&pool, &found[0]), ["a", "b"]);
}

#[test]
fn flexmatch_batch_distance_on_strings_in_matching() {
    let r = example("example9");
    assert_eq!(r.max_players(), 200);
    let body = r#"{"ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "mode", "type": "string"}],
        "teams": [{"name": "duo", "minPlayers": 2, "maxPlayers": 2}],
        "rules": [{"name": "SameMode", "type": "batchDistance", "batchAttribute": "mode"}]}"#;
    let pool = vec![
        solo("a", 0, &[("mode", s("ctf"))]),
        solo("b", 1, &[("mode", s("dm"))]),
        solo("c", 2, &[("mode", s("ctf"))]),
    ];
    let found = rs(body).find_matches(&pool, &ctx(0));
    assert_eq!(found.len(), 1);
    assert_eq!(matched(&pool, &found[0]), ["a", "c"]);
}
