//! Building matches from a pool of tickets.
//!
//! One pass: eligible tickets are ordered by age (oldest first; equal ages in an order drawn from
//! the seed). Each still-unmatched ticket in turn anchors a match: the other tickets are ordered
//! by the sort rules (and `sortByAttributes` or the balanced attribute) relative to the anchor,
//! then by age, and taken greedily, each party whole onto one team, as long as the incremental
//! rules still hold. The match closes when every team has at least `minPlayers` and the rules
//! that need a complete match (team counts) hold; if they do not, the most recently added tickets
//! are dropped one at a time until they do.

use std::collections::{BTreeMap, BTreeSet};

use super::rules::{self, Member, TeamView};
use super::ruleset::{Batching, Parsed, RuleKind, Stage, stmt_refs};
use super::{AttrType, AttrValue, MatchContext, PoolTicket, ProposedMatch};

/// How many candidates (best first) a match around one anchor considers: FlexMatch works in
/// batches too, and this bounds a pass over a pool where nothing fits to
/// O(pool × window) checks. Large matches get at least twice their size.
const CANDIDATE_WINDOW: usize = 64;

struct Cand {
    members: Vec<Member>,
    start_ms: i64,
    tie: u64,
    /// Backfill-style tickets whose players all name the same team go only there.
    fixed_team: Option<String>,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn tie_break(seed: u64, id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    splitmix(h ^ splitmix(seed))
}

fn attr_fits(kind: AttrType, v: &AttrValue) -> bool {
    v.kind() == kind
}

struct Matcher<'a> {
    p: &'a Parsed,
    ctx: &'a MatchContext,
    /// One per pool ticket; `None` for tickets that can never match (missing attributes, no
    /// latency data under a latency rule, no players).
    cands: Vec<Option<Cand>>,
    /// Stands in for an ineligible ticket (never placed; keeps `cand` total).
    nobody: Cand,
    existing: Vec<(Member, usize)>,
    /// Rules referenced by a compound are checked only through it.
    referenced: Vec<bool>,
    metrics: std::cell::RefCell<Vec<(u32, u32)>>,
}

pub(crate) fn find_matches(p: &Parsed, pool: &[PoolTicket], ctx: &MatchContext) -> Vec<ProposedMatch> {
    let base = &p.stages[0];
    let has_latency_rule = base.rules.iter().any(|r| matches!(r.kind, RuleKind::Latency { .. }));
    let cands: Vec<Option<Cand>> = pool
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if t.players.is_empty() {
                return None;
            }
            let mut members = Vec::new();
            for pl in &t.players {
                if has_latency_rule && pl.latency_ms.is_empty() {
                    return None;
                }
                let mut attrs = BTreeMap::new();
                for decl in &p.attributes {
                    match pl.attributes.get(&decl.name).filter(|v| attr_fits(decl.kind, v)) {
                        Some(v) => attrs.insert(decl.name.clone(), v.clone()),
                        None => attrs.insert(decl.name.clone(), decl.default.clone()?),
                    };
                }
                members.push(Member {
                    group: i,
                    id: pl.player_id.clone(),
                    attrs,
                    latency: pl.latency_ms.clone(),
                });
            }
            let first_team = t.players[0].team.clone();
            let fixed_team =
                first_team.filter(|team| t.players.iter().all(|pl| pl.team.as_ref() == Some(team)));
            Some(Cand { members, start_ms: t.start_ms, tie: tie_break(ctx.seed, &t.ticket_id), fixed_team })
        })
        .collect();
    let mut referenced = vec![false; base.rules.len()];
    for r in &base.rules {
        if let RuleKind::Compound { stmt } = &r.kind {
            let mut refs = Vec::new();
            stmt_refs(stmt, &mut refs);
            refs.into_iter().for_each(|i| referenced[i] = true);
        }
    }
    let mut m = Matcher {
        p,
        ctx,
        cands,
        existing: Vec::new(),
        nobody: Cand { members: Vec::new(), start_ms: ctx.now_ms, tie: 0, fixed_team: None },
        referenced,
        metrics: std::cell::RefCell::new(vec![(0, 0); base.rules.len()]),
    };

    let mut order: Vec<usize> = (0..pool.len()).filter(|i| m.cands[*i].is_some()).collect();
    order.sort_by_key(|i| m.cands[*i].as_ref().map(|c| (c.start_ms, c.tie)));

    if let Some(existing) = &ctx.backfill {
        for (j, pl) in existing.players.iter().enumerate() {
            let Some(team) = base.teams.iter().position(|t| Some(&t.name) == pl.team.as_ref()) else {
                return Vec::new();
            };
            let mut attrs = BTreeMap::new();
            for decl in &p.attributes {
                if let Some(v) = pl
                    .attributes
                    .get(&decl.name)
                    .filter(|v| attr_fits(decl.kind, v))
                    .or(decl.default.as_ref())
                {
                    attrs.insert(decl.name.clone(), v.clone());
                }
            }
            let member = Member {
                group: pool.len() + j,
                id: pl.player_id.clone(),
                attrs,
                latency: pl.latency_ms.clone(),
            };
            m.existing.push((member, team));
        }
        let used = vec![false; pool.len()];
        return m.build(None, &order, &used).into_iter().collect();
    }

    let mut used = vec![false; pool.len()];
    let mut out = Vec::new();
    for &anchor in &order {
        if used[anchor] {
            continue;
        }
        if let Some(found) = m.build(Some(anchor), &order, &used) {
            for t in &found.tickets {
                used[*t] = true;
            }
            out.push(found);
        }
    }
    out
}

impl<'a> Matcher<'a> {
    fn cand(&self, t: usize) -> &Cand {
        self.cands.get(t).and_then(Option::as_ref).unwrap_or(&self.nobody)
    }

    /// The stage that applies to a potential match holding `placed`.
    fn stage_for(&self, placed: &[(usize, usize)]) -> &'a Stage {
        let oldest = self.p.stages[0].algorithm.age_oldest;
        let ages = placed.iter().map(|(t, _)| self.ctx.now_ms - self.cand(*t).start_ms);
        let age = if oldest { ages.max() } else { ages.min() }.unwrap_or(0);
        let mut chosen = &self.p.stages[0];
        for s in &self.p.stages {
            if s.from_ms <= age {
                chosen = s;
            }
        }
        chosen
    }

    /// (min, max) per team after holding back `additional_player_count` slots, taken one at a
    /// time from the team with the most room (the later team on a tie).
    fn caps(&self, stage: &Stage) -> Vec<(usize, usize)> {
        let mut caps: Vec<(usize, usize)> =
            stage.teams.iter().map(|t| (t.min_players, t.max_players)).collect();
        for _ in 0..self.ctx.additional_player_count {
            let Some(i) = (0..caps.len()).filter(|i| caps[*i].1 > 0).max_by_key(|i| (caps[*i].1, *i)) else {
                break;
            };
            caps[i].1 -= 1;
            caps[i].0 = caps[i].0.min(caps[i].1);
        }
        caps
    }

    fn view(&self, stage: &'a Stage, placed: &[(usize, usize)]) -> Vec<TeamView<'_>> {
        let mut teams: Vec<TeamView<'_>> = stage
            .teams
            .iter()
            .zip(&stage.bases)
            .map(|(t, b)| TeamView { name: &t.name, base: b, members: Vec::new() })
            .collect();
        for (m, team) in &self.existing {
            teams[*team].members.push(m);
        }
        for (t, team) in placed {
            teams[*team].members.extend(self.cand(*t).members.iter());
        }
        teams
    }

    fn counts(&self, stage: &Stage, placed: &[(usize, usize)]) -> Vec<usize> {
        let mut counts = vec![0usize; stage.teams.len()];
        for (_, team) in &self.existing {
            counts[*team] += 1;
        }
        for (t, team) in placed {
            counts[*team] += self.cand(*t).members.len();
        }
        counts
    }

    /// The regions the match may be placed in, best (lowest average latency) first. `Err` when
    /// no region works; an empty list when nothing constrains the region.
    fn regions(&self, stage: &Stage, view: &[TeamView<'_>]) -> Result<Vec<String>, ()> {
        let mut allowed: Option<BTreeSet<String>> = None;
        for r in &stage.rules {
            if let RuleKind::Latency { .. } = r.kind {
                let set = rules::latency_regions(&r.kind, view).ok_or(())?;
                allowed = Some(match allowed {
                    None => set,
                    Some(a) => a.intersection(&set).cloned().collect(),
                });
            }
        }
        let members: Vec<&Member> = view.iter().flat_map(|t| t.members.iter().copied()).collect();
        for m in members.iter().filter(|m| !m.latency.is_empty()) {
            let reported: BTreeSet<String> = m.latency.keys().cloned().collect();
            allowed = Some(match allowed {
                None => reported,
                Some(a) => a.intersection(&reported).cloned().collect(),
            });
        }
        let Some(allowed) = allowed else { return Ok(Vec::new()) };
        if allowed.is_empty() {
            return Err(());
        }
        let mut out: Vec<(f64, String)> = allowed
            .into_iter()
            .map(|r| {
                let lat: Vec<f64> =
                    members.iter().filter_map(|m| m.latency.get(&r).map(|l| *l as f64)).collect();
                (lat.iter().sum::<f64>() / lat.len().max(1) as f64, r)
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }

    /// Whether rule `i` takes part in matching on its own under `stage`.
    fn active(&self, stage: &Stage, i: usize) -> bool {
        let rule = &stage.rules[i];
        if rule.is_sort() || self.referenced[i] || matches!(rule.kind, RuleKind::Latency { .. }) {
            return false;
        }
        !stage.algorithm.balanced || matches!(rule.kind, RuleKind::BatchDistance { .. })
    }

    /// Checks the rules on a potential match; `outcomes[i]` records each rule evaluated. With
    /// `complete` (the match is closing) only the rules deferred to closing are recorded: the
    /// others were recorded when the same players were placed.
    fn rules_ok(
        &self,
        stage: &'a Stage,
        placed: &[(usize, usize)],
        complete: bool,
        outcomes: &mut [Option<bool>],
    ) -> Result<Vec<String>, ()> {
        let view = self.view(stage, placed);
        let regions = self.regions(stage, &view);
        for (i, r) in stage.rules.iter().enumerate() {
            if matches!(r.kind, RuleKind::Latency { .. }) && !complete {
                outcomes[i] = Some(rules::latency_regions(&r.kind, &view).is_some_and(|s| !s.is_empty()));
            }
        }
        let regions = regions?;
        let snap = rules::Snapshot::new(&view, &self.p.attributes);
        for (i, outcome) in outcomes.iter_mut().enumerate().take(stage.rules.len()) {
            let deferred = stage.rules[i].deferred;
            if !self.active(stage, i) || (deferred && !complete) {
                continue;
            }
            let ok = rules::check(&stage.rules, i, &snap);
            if deferred || !complete {
                *outcome = Some(ok);
            }
            if !ok {
                return Err(());
            }
        }
        Ok(regions)
    }

    /// Adds one evaluation's outcomes to `ruleEvaluationMetrics`.
    fn count(&self, outcomes: &[Option<bool>]) {
        let mut metrics = self.metrics.borrow_mut();
        for (m, o) in metrics.iter_mut().zip(outcomes) {
            match o {
                Some(true) => m.0 += 1,
                Some(false) => m.1 += 1,
                None => {}
            }
        }
    }

    /// Teams to try for a party, best first.
    fn team_order(&self, stage: &Stage, placed: &[(usize, usize)], t: usize) -> Vec<usize> {
        let counts = self.counts(stage, placed);
        let caps = self.caps(stage);
        let mut order: Vec<usize> = (0..stage.teams.len()).collect();
        if let Some(team) = &self.cand(t).fixed_team {
            order.retain(|i| &stage.teams[*i].name == team);
            return order;
        }
        if stage.algorithm.balanced {
            // Teams below minPlayers first, then the one with the most open slots.
            order.sort_by_key(|i| {
                let open = caps[*i].1.saturating_sub(counts[*i]);
                (counts[*i] >= caps[*i].0, std::cmp::Reverse(open), *i)
            });
        } else {
            order.sort_by_key(|i| (counts[*i], *i));
        }
        order
    }

    /// Places ticket `t` on the first team where it fits and every rule holds. Trying one
    /// ticket is one evaluation of each rule for `ruleEvaluationMetrics`: passed if the ticket
    /// was placed (or the rule held on every team tried), failed if it failed on some team.
    fn try_place(&mut self, placed: &mut Vec<(usize, usize)>, t: usize) -> bool {
        let size = self.cand(t).members.len();
        let rules = self.p.stages[0].rules.len();
        let mut tried: Vec<Option<bool>> = vec![None; rules];
        for team in self.team_order(self.stage_for(placed), placed, t) {
            placed.push((t, team));
            let stage = self.stage_for(placed);
            let counts = self.counts(stage, placed);
            let caps = self.caps(stage);
            let fits = counts[team] <= caps[team].1 && size > 0;
            if fits {
                let mut outcomes: Vec<Option<bool>> = vec![None; rules];
                if self.rules_ok(stage, placed, false, &mut outcomes).is_ok() {
                    self.count(&outcomes);
                    return true;
                }
                for (seen, o) in tried.iter_mut().zip(outcomes) {
                    *seen = match (*seen, o) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        _ => None,
                    };
                }
            }
            placed.pop();
        }
        self.count(&tried);
        false
    }

    /// Candidates for a match around `anchor` (or around the existing players in backfill),
    /// best first.
    fn candidates(&self, anchor: Option<usize>, order: &[usize], used: &[bool]) -> Vec<usize> {
        let stage = match anchor {
            Some(a) => self.stage_for(&[(a, 0)]),
            None => &self.p.stages[0],
        };
        let anchor_members: Vec<&Member> = match anchor {
            Some(a) => self.cand(a).members.iter().collect(),
            None => self.existing.iter().map(|(m, _)| m).collect(),
        };
        let algo = &stage.algorithm;
        let party_avg = |members: &[&Member], attr: &str| -> Option<f64> {
            let nums: Vec<f64> = members
                .iter()
                .filter_map(|m| if let Some(AttrValue::N(n)) = m.attrs.get(attr) { Some(*n) } else { None })
                .collect();
            (!nums.is_empty()).then(|| nums.iter().sum::<f64>() / nums.len() as f64)
        };
        let fastest = anchor_members
            .iter()
            .flat_map(|m| m.latency.iter())
            .min_by_key(|(_, l)| **l)
            .map(|(r, _)| r.clone());
        let key = |t: usize| -> Vec<f64> {
            let c = self.cand(t);
            let mine: Vec<&Member> = c.members.iter().collect();
            let mut k = Vec::new();
            let far = f64::INFINITY;
            if algo.balanced {
                if algo.batching == Batching::FastestRegion {
                    let lat: Vec<f64> = fastest
                        .as_ref()
                        .map(|r| {
                            c.members.iter().filter_map(|m| m.latency.get(r).map(|l| *l as f64)).collect()
                        })
                        .unwrap_or_default();
                    k.push(if lat.len() == c.members.len() && !lat.is_empty() {
                        lat.iter().sum::<f64>() / lat.len() as f64
                    } else {
                        far
                    });
                }
                if let Some(attr) = &algo.balanced_attribute {
                    k.push(match (party_avg(&anchor_members, attr), party_avg(&mine, attr)) {
                        (Some(a), Some(b)) => (a - b).abs(),
                        _ => far,
                    });
                }
            } else {
                for r in &stage.rules {
                    if r.is_sort() {
                        k.push(rules::sort_key(&r.kind, &anchor_members, &mine).unwrap_or(far));
                    }
                }
                if algo.batching == Batching::Sorted {
                    for attr in &algo.sort_by {
                        let pick = |ms: &[&Member]| ms.first().and_then(|m| m.attrs.get(attr)).cloned();
                        k.push(match (pick(&anchor_members), pick(&mine)) {
                            (Some(AttrValue::N(_)), Some(AttrValue::N(_))) => {
                                match (party_avg(&anchor_members, attr), party_avg(&mine, attr)) {
                                    (Some(a), Some(b)) => (a - b).abs(),
                                    _ => far,
                                }
                            }
                            (Some(a), Some(b)) => f64::from(u8::from(a != b)),
                            _ => far,
                        });
                    }
                }
            }
            k
        };
        let mut out: Vec<(Vec<f64>, usize)> =
            order.iter().copied().filter(|t| !used[*t] && Some(*t) != anchor).map(|t| (key(t), t)).collect();
        // `order` is already by age and tie-break, and the sort is stable.
        out.sort_by(|a, b| {
            a.0.iter()
                .zip(&b.0)
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let window = CANDIDATE_WINDOW.max(2 * stage.teams.iter().map(|t| t.max_players).sum::<usize>());
        out.into_iter().take(window).map(|(_, t)| t).collect()
    }

    fn build(&mut self, anchor: Option<usize>, order: &[usize], used: &[bool]) -> Option<ProposedMatch> {
        self.metrics.borrow_mut().iter_mut().for_each(|m| *m = (0, 0));
        let mut placed: Vec<(usize, usize)> = Vec::new();
        if let Some(a) = anchor
            && !self.try_place(&mut placed, a)
        {
            return None;
        }
        for t in self.candidates(anchor, order, used) {
            let stage = self.stage_for(&placed);
            let counts = self.counts(stage, &placed);
            let caps = self.caps(stage);
            if counts.iter().zip(&caps).all(|(n, (_, max))| n >= max) {
                break;
            }
            self.try_place(&mut placed, t);
        }
        loop {
            if !placed.is_empty() {
                let stage = self.stage_for(&placed);
                let counts = self.counts(stage, &placed);
                let caps = self.caps(stage);
                let full_enough = counts.iter().zip(&caps).all(|(n, (min, _))| n >= min);
                if full_enough {
                    let mut outcomes: Vec<Option<bool>> = vec![None; stage.rules.len()];
                    let closed = self.rules_ok(stage, &placed, true, &mut outcomes);
                    self.count(&outcomes);
                    if let Ok(regions) = closed {
                        return Some(self.proposal(stage, &placed, regions));
                    }
                }
            }
            if placed.len() <= 1 {
                return None;
            }
            placed.pop();
        }
    }

    fn proposal(&self, stage: &Stage, placed: &[(usize, usize)], regions: Vec<String>) -> ProposedMatch {
        let mut teams: Vec<(String, Vec<(usize, usize)>)> =
            stage.teams.iter().map(|t| (t.name.clone(), Vec::new())).collect();
        for (t, team) in placed {
            let n = self.cand(*t).members.len();
            teams[*team].1.extend((0..n).map(|p| (*t, p)));
        }
        let metrics = self.metrics.borrow();
        let rule_metrics = stage
            .rules
            .iter()
            .zip(metrics.iter())
            .map(|(r, (pass, fail))| (r.name.clone(), if r.is_sort() { 1 } else { *pass }, *fail))
            .collect();
        ProposedMatch {
            tickets: placed.iter().map(|(t, _)| *t).collect(),
            teams,
            rule_metrics,
            latency_region_ok: regions,
        }
    }
}
