//! Evaluating the rule types over a (possibly partial) match.

use std::collections::{BTreeMap, BTreeSet};

use super::expr::{self, EvalPlayer, EvalTeam, Val};
use super::ruleset::{CmpOp, CollOp, MapKey, Operand, PartyAgg, Rule, RuleKind, Stmt};
use super::{AttrValue, AttributeDecl};

/// A player as the matcher holds it: attributes with defaults filled in.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    /// The party (ticket) this player came with; players of one group stay together.
    pub group: usize,
    pub id: String,
    pub attrs: BTreeMap<String, AttrValue>,
    pub latency: BTreeMap<String, i64>,
}

/// One team of a match under construction.
#[derive(Debug, Clone)]
pub(crate) struct TeamView<'a> {
    pub name: &'a str,
    pub base: &'a str,
    pub members: Vec<&'a Member>,
}

/// The value a party contributes for one attribute, under a rule's partyAggregation.
pub(crate) fn party_value(values: &[&AttrValue], agg: PartyAgg) -> Val {
    match values {
        [] => Val::Null,
        [one] => Val::from_attr(one),
        _ => match values[0] {
            AttrValue::N(_) => {
                let nums: Vec<f64> = values
                    .iter()
                    .filter_map(|v| if let AttrValue::N(n) = v { Some(*n) } else { None })
                    .collect();
                Val::Num(aggregate(&nums, agg))
            }
            AttrValue::SL(_) => {
                let lists: Vec<&Vec<String>> = values
                    .iter()
                    .filter_map(|v| if let AttrValue::SL(l) = v { Some(l) } else { None })
                    .collect();
                let mut out: Vec<String> = Vec::new();
                if agg == PartyAgg::Intersection {
                    out = lists[0].clone();
                    for l in &lists[1..] {
                        out.retain(|x| l.contains(x));
                    }
                } else {
                    for l in lists {
                        for x in l {
                            if !out.contains(x) {
                                out.push(x.clone());
                            }
                        }
                    }
                }
                Val::List(out.into_iter().map(Val::Str).collect())
            }
            AttrValue::SDM(_) => {
                let mut keys: BTreeMap<String, Vec<f64>> = BTreeMap::new();
                for v in values {
                    if let AttrValue::SDM(m) = v {
                        for (k, n) in m {
                            keys.entry(k.clone()).or_default().push(*n);
                        }
                    }
                }
                Val::Map(keys.into_iter().map(|(k, nums)| (k, aggregate(&nums, agg))).collect())
            }
            AttrValue::S(_) => Val::from_attr(values[0]),
        },
    }
}

fn aggregate(nums: &[f64], agg: PartyAgg) -> f64 {
    match agg {
        PartyAgg::Min => nums.iter().copied().fold(f64::INFINITY, f64::min),
        PartyAgg::Max => nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        _ => nums.iter().sum::<f64>() / nums.len().max(1) as f64,
    }
}

/// The match as expressions see it, each player's attributes replaced by his party's value.
pub(crate) fn eval_teams(view: &[TeamView<'_>], attrs: &[AttributeDecl], agg: PartyAgg) -> Vec<EvalTeam> {
    view.iter()
        .map(|t| EvalTeam {
            name: t.name.to_string(),
            base: t.base.to_string(),
            players: t
                .members
                .iter()
                .map(|m| {
                    let party: Vec<&Member> =
                        t.members.iter().copied().filter(|o| o.group == m.group).collect();
                    let values = attrs
                        .iter()
                        .map(|a| {
                            let vals: Vec<&AttrValue> =
                                party.iter().filter_map(|p| p.attrs.get(&a.name)).collect();
                            (a.name.clone(), party_value(&vals, agg))
                        })
                        .collect();
                    EvalPlayer { id: m.id.clone(), attrs: values }
                })
                .collect(),
        })
        .collect()
}

/// A match under evaluation, with the expression views per partyAggregation built once.
pub(crate) struct Snapshot<'v, 'a> {
    pub view: &'v [TeamView<'a>],
    attrs: &'v [AttributeDecl],
    cache: std::cell::RefCell<Vec<(PartyAgg, std::rc::Rc<Vec<EvalTeam>>)>>,
}

impl<'v, 'a> Snapshot<'v, 'a> {
    pub(crate) fn new(view: &'v [TeamView<'a>], attrs: &'v [AttributeDecl]) -> Self {
        Snapshot { view, attrs, cache: std::cell::RefCell::new(Vec::new()) }
    }

    fn teams(&self, agg: PartyAgg) -> std::rc::Rc<Vec<EvalTeam>> {
        if let Some((_, t)) = self.cache.borrow().iter().find(|(a, _)| *a == agg) {
            return t.clone();
        }
        let built = std::rc::Rc::new(eval_teams(self.view, self.attrs, agg));
        self.cache.borrow_mut().push((agg, built.clone()));
        built
    }
}

/// Evaluates `rules[idx]` over a match.
pub(crate) fn check(rules: &[Rule], idx: usize, snap: &Snapshot<'_, '_>) -> bool {
    let view = snap.view;
    match &rules[idx].kind {
        RuleKind::BatchDistance { attr, max_distance, party } => {
            let values: Vec<Val> = groups(view)
                .values()
                .map(|members| {
                    let vals: Vec<&AttrValue> = members.iter().filter_map(|m| m.attrs.get(attr)).collect();
                    party_value(&vals, *party)
                })
                .collect();
            batch_distance(&values, *max_distance)
        }
        RuleKind::Comparison { measurements, reference, op, party } => {
            let teams = snap.teams(*party);
            let reference = reference.as_ref().map(|r| operand(r, &teams));
            measurements.iter().all(|m| compare(&expr::eval(m, teams.as_slice()), reference.as_ref(), *op))
        }
        RuleKind::Distance { measurements, reference, max_distance, min_distance, party } => {
            let teams = snap.teams(*party);
            let reference = operand(reference, &teams);
            measurements
                .iter()
                .all(|m| distance(&expr::eval(m, &teams), &reference, *max_distance, *min_distance))
        }
        RuleKind::Collection { measurements, reference, op, min_count, max_count, party } => {
            let teams = snap.teams(*party);
            let reference = reference.as_ref().map(|r| operand(r, &teams));
            measurements
                .iter()
                .all(|m| collection(&expr::eval(m, &teams), reference.as_ref(), *op, *min_count, *max_count))
        }
        RuleKind::Compound { stmt } => statement(stmt, rules, snap),
        RuleKind::Latency { .. } => latency_regions(&rules[idx].kind, view).is_some_and(|r| !r.is_empty()),
        RuleKind::Sort { .. } => true,
    }
}

fn statement(s: &Stmt, rules: &[Rule], snap: &Snapshot<'_, '_>) -> bool {
    match s {
        Stmt::Rule(i) => check(rules, *i, snap),
        Stmt::And(v) => v.iter().all(|s| statement(s, rules, snap)),
        Stmt::Or(v) => v.iter().any(|s| statement(s, rules, snap)),
        Stmt::Xor(v) => v.iter().filter(|s| statement(s, rules, snap)).count() == 1,
        Stmt::Not(s) => !statement(s, rules, snap),
    }
}

fn operand(o: &Operand, teams: &[EvalTeam]) -> Val {
    match o {
        Operand::Lit(v) => v.clone(),
        Operand::Expr(e) => expr::eval(e, teams),
    }
}

fn groups<'a>(view: &[TeamView<'a>]) -> BTreeMap<usize, Vec<&'a Member>> {
    let mut out: BTreeMap<usize, Vec<&Member>> = BTreeMap::new();
    for t in view {
        for m in &t.members {
            out.entry(m.group).or_default().push(m);
        }
    }
    out
}

/// Numbers: the spread (max - min) is at most `max_distance`. Strings: all the same.
pub(crate) fn batch_distance(values: &[Val], max_distance: Option<f64>) -> bool {
    let nums: Vec<f64> =
        values.iter().filter_map(|v| if let Val::Num(n) = v { Some(*n) } else { None }).collect();
    if !nums.is_empty() {
        let lo = nums.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = nums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        return max_distance.is_none_or(|d| hi - lo <= d);
    }
    let strings: BTreeSet<&str> =
        values.iter().filter_map(|v| if let Val::Str(s) = v { Some(s.as_str()) } else { None }).collect();
    strings.len() <= 1
}

fn cmp_vals(a: &Val, b: &Val, op: CmpOp) -> bool {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => match op {
            CmpOp::Lt => x < y,
            CmpOp::Le => x <= y,
            CmpOp::Eq => x == y,
            CmpOp::Ne => x != y,
            CmpOp::Gt => x > y,
            CmpOp::Ge => x >= y,
        },
        (Val::Str(x), Val::Str(y)) => match op {
            CmpOp::Eq => x == y,
            CmpOp::Ne => x != y,
            _ => false,
        },
        _ => false,
    }
}

/// With a reference: every measured value stands in `op` to it (every reference value, when the
/// reference is a list). Without: `=` means all values equal, `!=` all values different.
/// Values still `Null` (empty teams) are not measured yet.
pub(crate) fn compare(measured: &Val, reference: Option<&Val>, op: CmpOp) -> bool {
    let values = measured.scalars();
    match reference {
        Some(r) => {
            let refs = r.scalars();
            values.iter().all(|v| refs.iter().all(|r| cmp_vals(v, r, op)))
        }
        None => match op {
            CmpOp::Eq => values.windows(2).all(|w| cmp_vals(w[0], w[1], CmpOp::Eq)),
            _ => {
                for (i, a) in values.iter().enumerate() {
                    if values[i + 1..].iter().any(|b| cmp_vals(a, b, CmpOp::Eq)) {
                        return false;
                    }
                }
                true
            }
        },
    }
}

/// Every measured number lies within [minDistance, maxDistance] of the reference.
pub(crate) fn distance(measured: &Val, reference: &Val, max: Option<f64>, min: Option<f64>) -> bool {
    let refs: Vec<f64> = reference
        .scalars()
        .into_iter()
        .filter_map(|v| if let Val::Num(n) = v { Some(*n) } else { None })
        .collect();
    measured.scalars().into_iter().all(|v| {
        let Val::Num(x) = v else { return false };
        refs.iter().all(|r| {
            let d = (x - r).abs();
            max.is_none_or(|m| d <= m + 1e-9) && min.is_none_or(|m| d >= m - 1e-9)
        })
    })
}

/// The collections of a measurement: a list of string lists gives one collection per sub-list
/// (deeper nesting is flattened into it), a plain list of strings is one collection.
fn collections(v: &Val) -> Vec<Vec<String>> {
    match v {
        Val::List(items) if items.iter().any(|i| matches!(i, Val::List(_))) => {
            items.iter().filter(|i| !matches!(i, Val::Null)).map(expr::strings_of).collect()
        }
        Val::Null => Vec::new(),
        other => vec![expr::strings_of(other)],
    }
}

pub(crate) fn collection(
    measured: &Val,
    reference: Option<&Val>,
    op: CollOp,
    min: Option<f64>,
    max: Option<f64>,
) -> bool {
    let within = |n: usize| {
        let n = n as f64;
        min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
    };
    let cols = collections(measured);
    match op {
        CollOp::Intersection => {
            let Some(first) = cols.first() else { return true };
            let mut common = first.clone();
            for c in &cols[1..] {
                common.retain(|x| c.contains(x));
            }
            within(common.len())
        }
        CollOp::Contains => {
            let wanted = reference.map(expr::strings_of).unwrap_or_default();
            within(cols.iter().filter(|c| wanted.iter().any(|w| c.contains(w))).count())
        }
        CollOp::ReferenceIntersectionCount => {
            let reference = reference.map(expr::strings_of).unwrap_or_default();
            cols.iter().all(|c| within(c.iter().filter(|x| reference.contains(x)).count()))
        }
    }
}

/// The regions a latency rule allows for the players in `view`: `None` when a player reported
/// no latency at all (such a player can never satisfy a latency rule).
pub(crate) fn latency_regions(kind: &RuleKind, view: &[TeamView<'_>]) -> Option<BTreeSet<String>> {
    let RuleKind::Latency { max_latency, max_distance, reference_avg, party } = kind else {
        return Some(BTreeSet::new());
    };
    // Per party: the regions every member reported, with the party's aggregated latency.
    let mut per_group: Vec<BTreeMap<String, f64>> = Vec::new();
    for members in groups(view).values() {
        if members.iter().any(|m| m.latency.is_empty()) {
            return None;
        }
        let mut regions: BTreeMap<String, f64> = BTreeMap::new();
        for region in members[0].latency.keys() {
            let values: Vec<f64> =
                members.iter().filter_map(|m| m.latency.get(region).map(|l| *l as f64)).collect();
            if values.len() == members.len() {
                regions.insert(region.clone(), aggregate(&values, *party));
            }
        }
        regions.retain(|_, l| *l <= *max_latency);
        per_group.push(regions);
    }
    let Some(first) = per_group.first() else { return Some(BTreeSet::new()) };
    let mut ok: BTreeSet<String> = first.keys().cloned().collect();
    for g in &per_group[1..] {
        ok.retain(|r| g.contains_key(r));
    }
    if let Some(spread) = max_distance {
        ok.retain(|r| {
            let values: Vec<f64> = per_group.iter().filter_map(|g| g.get(r).copied()).collect();
            let reference = if *reference_avg {
                values.iter().sum::<f64>() / values.len().max(1) as f64
            } else {
                values.iter().copied().fold(f64::INFINITY, f64::min)
            };
            values.iter().all(|v| *v <= reference + spread)
        });
    }
    Some(ok)
}

/// The key a sort rule orders a candidate ticket by, relative to the anchor's value (lower
/// sorts first; `None` sorts last).
pub(crate) fn sort_key(kind: &RuleKind, anchor: &[&Member], cand: &[&Member]) -> Option<f64> {
    let RuleKind::Sort { distance, descending, attr, map_key, party } = kind else {
        return None;
    };
    let value_of = |members: &[&Member]| -> Val {
        let vals: Vec<&AttrValue> = members.iter().filter_map(|m| m.attrs.get(attr)).collect();
        party_value(&vals, *party)
    };
    let number = |v: &Val, key: Option<&str>| -> Option<f64> {
        match (v, key) {
            (Val::Num(n), _) => Some(*n),
            (Val::Map(m), Some(k)) => m.get(k).copied(),
            _ => None,
        }
    };
    let anchor_val = value_of(anchor);
    let key: Option<String> = match (&anchor_val, map_key) {
        (Val::Map(m), Some(which)) => {
            let pick = m.iter().min_by(|a, b| {
                let ord = a.1.total_cmp(b.1);
                if *which == MapKey::MaxValue { ord.reverse() } else { ord }
            });
            pick.map(|(k, _)| k.clone())
        }
        _ => None,
    };
    let cand_num = number(&value_of(cand), key.as_deref())?;
    let raw = if *distance { (cand_num - number(&anchor_val, key.as_deref())?).abs() } else { cand_num };
    Some(if *descending { -raw } else { raw })
}
