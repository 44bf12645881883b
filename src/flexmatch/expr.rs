//! Property expressions (`teams[red].players.attributes[skill]`, `players[playerId]`, …) and the
//! aggregation functions applied to them.

use std::collections::BTreeMap;

use super::{AttrType, AttrValue, AttributeDecl};

/// A value an expression evaluates to. `Null` stands for "nothing to measure yet" (the average
/// of an empty team, an attribute a player lacks); comparisons skip it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Num(f64),
    Str(String),
    List(Vec<Val>),
    Map(BTreeMap<String, f64>),
}

impl Val {
    pub(crate) fn from_attr(v: &AttrValue) -> Val {
        match v {
            AttrValue::S(s) => Val::Str(s.clone()),
            AttrValue::N(n) => Val::Num(*n),
            AttrValue::SL(l) => Val::List(l.iter().cloned().map(Val::Str).collect()),
            AttrValue::SDM(m) => Val::Map(m.clone()),
        }
    }

    /// Every scalar inside, lists flattened all the way down, `Null`s dropped.
    pub(crate) fn scalars(&self) -> Vec<&Val> {
        let mut out = Vec::new();
        fn walk<'a>(v: &'a Val, out: &mut Vec<&'a Val>) {
            match v {
                Val::Null => {}
                Val::List(items) => items.iter().for_each(|i| walk(i, out)),
                other => out.push(other),
            }
        }
        walk(self, &mut out);
        out
    }
}

/// An aggregation function of the rule language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Min,
    Max,
    Avg,
    Median,
    Sum,
    Count,
    Stddev,
    Flatten,
    SetIntersection,
}

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "min" => Func::Min,
            "max" => Func::Max,
            "avg" => Func::Avg,
            "median" => Func::Median,
            "sum" => Func::Sum,
            "count" => Func::Count,
            "stddev" => Func::Stddev,
            "flatten" => Func::Flatten,
            "set_intersection" => Func::SetIntersection,
            _ => return None,
        })
    }
}

/// Which teams a path selects.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TeamSel {
    All,
    Named(Vec<String>),
}

/// What a path reads from each selected player.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Leaf {
    /// The players themselves (their IDs stand in for them, so `count` works).
    Players,
    PlayerId,
    Attr {
        name: String,
        key: Option<String>,
    },
}

/// A parsed property expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Func(Func, Box<Expr>),
    /// `teams` is `None` for the match-wide `players…` form.
    Path {
        teams: Option<TeamSel>,
        leaf: Leaf,
    },
}

impl Expr {
    /// Whether the expression uses `count` anywhere.
    pub(crate) fn uses(&self, f: Func) -> bool {
        match self {
            Expr::Func(g, inner) => *g == f || inner.uses(f),
            Expr::Path { .. } => false,
        }
    }

    /// The attribute the innermost path reads, if any.
    pub(crate) fn attribute(&self) -> Option<&str> {
        match self {
            Expr::Func(_, inner) => inner.attribute(),
            Expr::Path { leaf: Leaf::Attr { name, .. }, .. } => Some(name),
            Expr::Path { .. } => None,
        }
    }

    /// The map key of the innermost path, if any.
    fn map_key(&self) -> Option<&str> {
        match self {
            Expr::Func(_, inner) => inner.map_key(),
            Expr::Path { leaf: Leaf::Attr { key, .. }, .. } => key.as_deref(),
            Expr::Path { .. } => None,
        }
    }

    fn team_names(&self) -> Vec<&str> {
        match self {
            Expr::Func(_, inner) => inner.team_names(),
            Expr::Path { teams: Some(TeamSel::Named(names)), .. } => {
                names.iter().map(String::as_str).collect()
            }
            Expr::Path { .. } => Vec::new(),
        }
    }
}

/// Whether a string in a `referenceValue` is meant as an expression rather than a literal.
pub(crate) fn looks_like_expression(s: &str) -> bool {
    let t = s.trim();
    if t.starts_with("teams[") || t == "players" || t.starts_with("players.") || t.starts_with("players[") {
        return true;
    }
    match t.find('(') {
        Some(open) => Func::from_name(t[..open].trim()).is_some(),
        None => false,
    }
}

/// Parses a property expression; the error names the expression.
pub(crate) fn parse_expr(s: &str) -> Result<Expr, String> {
    let t = s.trim();
    if t.matches('(').count() > super::ruleset::MAX_NESTING {
        return Err(format!("Property expression nests more than {} functions", super::ruleset::MAX_NESTING));
    }
    if let Some(open) = t.find('(') {
        let name = t[..open].trim();
        let Some(f) = Func::from_name(name) else {
            return Err(format!("Unknown function '{name}' in property expression '{t}'"));
        };
        let Some(inner) = t[open + 1..].strip_suffix(')') else {
            return Err(format!("Unbalanced parentheses in property expression '{t}'"));
        };
        return Ok(Expr::Func(f, Box::new(parse_expr(inner)?)));
    }
    if t.contains(')') {
        return Err(format!("Unbalanced parentheses in property expression '{t}'"));
    }
    parse_path(t).ok_or_else(|| format!("Invalid property expression '{t}'"))
}

fn parse_path(s: &str) -> Option<Expr> {
    let (teams, rest) = match s.strip_prefix("teams[") {
        Some(r) => {
            let close = r.find(']')?;
            let inside = r[..close].trim();
            let sel = if inside == "*" {
                TeamSel::All
            } else {
                let names: Vec<String> = inside.split(',').map(|n| n.trim().to_string()).collect();
                if names.iter().any(|n| n.is_empty() || n == "*") {
                    return None;
                }
                TeamSel::Named(names)
            };
            let after = &r[close + 1..];
            if after.is_empty() {
                return Some(Expr::Path { teams: Some(sel), leaf: Leaf::Players });
            }
            (Some(sel), after.strip_prefix(".players")?)
        }
        None => (None, s.strip_prefix("players")?),
    };
    let leaf = if rest.is_empty() {
        Leaf::Players
    } else if rest == "[playerId]" {
        Leaf::PlayerId
    } else {
        let r = rest.strip_prefix(".attributes[")?;
        let close = r.find(']')?;
        let name = r[..close].trim().to_string();
        if name.is_empty() {
            return None;
        }
        let after = &r[close + 1..];
        let key = if after.is_empty() {
            None
        } else {
            let k = after.strip_prefix('[')?.strip_suffix(']')?.trim();
            if k.is_empty() || k.contains('[') || k.contains(']') {
                return None;
            }
            Some(k.to_string())
        };
        Leaf::Attr { name, key }
    };
    Some(Expr::Path { teams, leaf })
}

/// Checks an expression's references against the declared attributes and the team names (both
/// the definitions' names and the expanded `<name>_<n>` ones).
pub(crate) fn check_refs(
    e: &Expr,
    attrs: &[AttributeDecl],
    teams: &[(String, String)],
) -> Result<(), String> {
    for name in e.team_names() {
        if !teams.iter().any(|(base, expanded)| base == name || expanded == name) {
            return Err(format!("Property expression references undefined team '{name}'"));
        }
    }
    if let Some(attr) = e.attribute() {
        let Some(decl) = attrs.iter().find(|a| a.name == attr) else {
            return Err(format!("Property expression references undeclared player attribute '{attr}'"));
        };
        if e.map_key().is_some() && decl.kind != AttrType::StringNumberMap {
            return Err(format!(
                "Property expression uses a map key on player attribute '{attr}', which is not a string_number_map"
            ));
        }
    }
    Ok(())
}

/// One team as expressions see it.
#[derive(Debug, Clone)]
pub(crate) struct EvalTeam {
    pub name: String,
    pub base: String,
    pub players: Vec<EvalPlayer>,
}

/// One player as expressions see it (attribute values already party-aggregated).
#[derive(Debug, Clone)]
pub(crate) struct EvalPlayer {
    pub id: String,
    pub attrs: BTreeMap<String, Val>,
}

/// Evaluates an expression over a (possibly partial) match.
pub(crate) fn eval(e: &Expr, teams: &[EvalTeam]) -> Val {
    match e {
        Expr::Path { teams: sel, leaf } => {
            let read = |p: &EvalPlayer| match leaf {
                Leaf::Players | Leaf::PlayerId => Val::Str(p.id.clone()),
                Leaf::Attr { name, key } => match (p.attrs.get(name), key) {
                    (None, _) => Val::Null,
                    (Some(v), None) => v.clone(),
                    (Some(Val::Map(m)), Some(k)) => m.get(k).map_or(Val::Null, |n| Val::Num(*n)),
                    (Some(_), Some(_)) => Val::Null,
                },
            };
            let team_list = |t: &EvalTeam| Val::List(t.players.iter().map(read).collect());
            match sel {
                None => Val::List(teams.iter().flat_map(|t| t.players.iter().map(read)).collect()),
                Some(TeamSel::All) => Val::List(teams.iter().map(team_list).collect()),
                Some(TeamSel::Named(names)) => {
                    let chosen: Vec<&EvalTeam> =
                        teams.iter().filter(|t| names.iter().any(|n| *n == t.name || *n == t.base)).collect();
                    if names.len() == 1 && chosen.len() == 1 {
                        team_list(chosen[0])
                    } else {
                        Val::List(chosen.into_iter().map(team_list).collect())
                    }
                }
            }
        }
        Expr::Func(f, inner) => apply(*f, eval(inner, teams)),
    }
}

fn all_lists(items: &[Val]) -> bool {
    !items.is_empty() && items.iter().all(|i| matches!(i, Val::List(_)))
}

/// Applies an aggregation function. On a list of lists the numeric functions and `count` act on
/// each sub-list; `set_intersection` does so on a list of lists of lists.
pub(crate) fn apply(f: Func, v: Val) -> Val {
    match f {
        Func::Flatten => match v {
            Val::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Val::List(inner) => out.extend(inner),
                        other => out.push(other),
                    }
                }
                Val::List(out)
            }
            other => other,
        },
        Func::SetIntersection => match v {
            Val::List(items) => {
                if items.iter().all(|i| matches!(i, Val::List(inner) if all_lists(inner)))
                    && !items.is_empty()
                {
                    return Val::List(items.into_iter().map(|i| apply(f, i)).collect());
                }
                let mut sets = items.iter().filter(|i| !matches!(i, Val::Null)).map(strings_of);
                let Some(first) = sets.next() else {
                    return Val::List(Vec::new());
                };
                let mut common = first;
                for s in sets {
                    common.retain(|x| s.contains(x));
                }
                Val::List(common.into_iter().map(Val::Str).collect())
            }
            other => other,
        },
        Func::Count => match v {
            Val::List(items) if all_lists(&items) => {
                Val::List(items.into_iter().map(|i| apply(f, i)).collect())
            }
            Val::List(items) => Val::Num(items.iter().filter(|i| !matches!(i, Val::Null)).count() as f64),
            Val::Null => Val::Num(0.0),
            _ => Val::Num(1.0),
        },
        _ => match v {
            Val::List(items) if all_lists(&items) => {
                Val::List(items.into_iter().map(|i| apply(f, i)).collect())
            }
            Val::List(items) => {
                let nums: Vec<f64> =
                    items.iter().filter_map(|i| if let Val::Num(n) = i { Some(*n) } else { None }).collect();
                numeric(f, &nums)
            }
            Val::Num(n) => numeric(f, &[n]),
            _ => Val::Null,
        },
    }
}

fn numeric(f: Func, nums: &[f64]) -> Val {
    if nums.is_empty() {
        return if f == Func::Sum { Val::Num(0.0) } else { Val::Null };
    }
    let n = nums.len() as f64;
    let mean = nums.iter().sum::<f64>() / n;
    Val::Num(match f {
        Func::Min => nums.iter().copied().fold(f64::INFINITY, f64::min),
        Func::Max => nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Func::Sum => nums.iter().sum(),
        Func::Avg => mean,
        Func::Median => {
            let mut sorted = nums.to_vec();
            sorted.sort_by(f64::total_cmp);
            let mid = sorted.len() / 2;
            if sorted.len().is_multiple_of(2) { (sorted[mid - 1] + sorted[mid]) / 2.0 } else { sorted[mid] }
        }
        // Population standard deviation.
        Func::Stddev => (nums.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt(),
        Func::Count | Func::Flatten | Func::SetIntersection => return Val::Null,
    })
}

/// The strings of a value taken as a collection (a string is a collection of one).
pub(crate) fn strings_of(v: &Val) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v.scalars() {
        let text = match s {
            Val::Str(s) => s.clone(),
            Val::Num(n) => n.to_string(),
            _ => continue,
        };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}
