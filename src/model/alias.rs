//! Aliases: a stable name that routes to a fleet (SIMPLE) or to a message (TERMINAL).
//!
//! Resolution is done for every request that names an alias, so a changed routing strategy
//! redirects new requests at once. A TERMINAL alias resolves to
//! `TerminalRoutingStrategyException` carrying the alias's own message; an alias that points
//! at a fleet that no longer exists resolves to `NotFoundException`.

use std::sync::Arc;

use super::{Now, World, ids, paging, wire_enum};
use crate::error::{ApiError, ApiResult};

/// Where an alias routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingStrategy {
    /// To a fleet.
    Simple {
        /// The fleet ID.
        fleet_id: Arc<str>,
    },
    /// Nowhere: callers get the message.
    Terminal {
        /// The message.
        message: String,
    },
}

/// What it takes to create an alias.
#[derive(Debug, Clone)]
pub struct AliasSpec {
    /// The ID (generated when absent).
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Routing.
    pub routing: RoutingStrategy,
}

/// An alias.
#[derive(Debug, Clone)]
pub struct Alias {
    /// `alias-...`
    pub id: Arc<str>,
    /// `arn:aws:gamelift:<region>::alias/<id>`
    pub arn: Arc<str>,
    /// Creation order.
    pub seq: u64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Routing.
    pub routing: RoutingStrategy,
    /// Creation time (epoch ms).
    pub creation_time_ms: i64,
    /// Last update (epoch ms).
    pub last_updated_ms: i64,
}

wire_enum!(
    /// The type of a routing strategy (the ListAliases filter).
    RoutingType {
        Simple = "SIMPLE",
        Terminal = "TERMINAL",
    }
);

impl RoutingStrategy {
    /// SIMPLE or TERMINAL.
    pub fn routing_type(&self) -> RoutingType {
        match self {
            Self::Simple { .. } => RoutingType::Simple,
            Self::Terminal { .. } => RoutingType::Terminal,
        }
    }
}

/// Filters and position of one ListAliases page.
#[derive(Debug, Clone, Default)]
pub struct AliasQuery<'a> {
    /// Only aliases with this routing type.
    pub routing_type: Option<RoutingType>,
    /// Only aliases with exactly this name.
    pub name: Option<&'a str>,
    /// Resume after this creation sequence number.
    pub after: Option<u64>,
    /// Page size.
    pub limit: usize,
}

/// What UpdateAlias changes (absent members stay as they are).
#[derive(Debug, Clone, Default)]
pub struct AliasUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New routing strategy (replaces the old one as a whole).
    pub routing: Option<RoutingStrategy>,
}

fn alias_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Alias {id} not found."))
}

impl World {
    /// CreateAlias: a new alias with a generated ID and its tags. `TaggingFailedException` for
    /// tags that break the tagging rules, `NotFoundException` for a SIMPLE strategy naming an
    /// unknown fleet; nothing is created when either fails.
    pub fn create_alias(
        &mut self,
        spec: AliasSpec,
        tags: Vec<(String, String)>,
        now: Now,
    ) -> ApiResult<&Alias> {
        super::tags::check_tags(&tags)?;
        let id = self.insert_alias(AliasSpec { id: None, ..spec }, now)?;
        let arn = self.aliases.get(&id).map(|a| a.arn.clone()).ok_or_else(|| alias_not_found(&id))?;
        self.put_tags(&arn, tags)?;
        self.aliases.get(&id).ok_or_else(|| alias_not_found(&id))
    }

    /// One page of aliases in creation order, and the cursor for the next page.
    pub fn list_aliases(&self, q: &AliasQuery<'_>) -> (Vec<&Alias>, Option<u64>) {
        let after = q.after.unwrap_or(0);
        let mut matching: Vec<&Alias> = self
            .aliases
            .values()
            .filter(|a| a.seq > after)
            .filter(|a| q.routing_type.is_none_or(|t| a.routing.routing_type() == t))
            .filter(|a| q.name.is_none_or(|n| a.name == n))
            .collect();
        matching.sort_unstable_by_key(|a| a.seq);
        paging::page(matching.into_iter().map(|a| (a.seq, a)), q.limit)
    }

    /// UpdateAlias: `NotFoundException` for an unknown alias, or for a SIMPLE strategy naming
    /// an unknown fleet. A new routing strategy applies to the next request that names the alias.
    pub fn update_alias(&mut self, id_or_arn: &str, update: AliasUpdate, now: Now) -> ApiResult<&Alias> {
        let id = ids::id_from_id_or_arn(id_or_arn, "alias");
        if !self.aliases.contains_key(id) {
            return Err(alias_not_found(id));
        }
        if let Some(RoutingStrategy::Simple { fleet_id }) = &update.routing
            && !self.fleets.contains_key(fleet_id)
        {
            return Err(ApiError::NotFound(format!("Fleet {fleet_id} not found.")));
        }
        let alias = self.aliases.get_mut(id).ok_or_else(|| alias_not_found(id))?;
        if let Some(name) = update.name {
            alias.name = name;
        }
        if let Some(description) = update.description {
            alias.description = Some(description);
        }
        if let Some(routing) = update.routing {
            alias.routing = routing;
        }
        alias.last_updated_ms = now.wall_ms;
        Ok(alias)
    }

    /// DeleteAlias: removes the alias and its tags (`NotFoundException` when unknown).
    pub fn delete_alias(&mut self, id_or_arn: &str) -> ApiResult<()> {
        let id = ids::id_from_id_or_arn(id_or_arn, "alias");
        let alias = self.aliases.remove(id).ok_or_else(|| alias_not_found(id))?;
        self.drop_tags(&alias.arn);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    fn now() -> Now {
        Now { at: tokio::time::Instant::now(), wall_ms: 1_700_000_000_000 }
    }

    fn terminal(name: &str) -> AliasSpec {
        AliasSpec {
            id: None,
            name: name.into(),
            description: None,
            routing: RoutingStrategy::Terminal { message: "gone".into() },
        }
    }

    #[test]
    fn aliases_list_in_creation_order_with_a_cursor_only_before_the_last_page() {
        let mut w = World::new(Settings::for_tests());
        let ids: Vec<String> = (0..5)
            .map(|i| w.create_alias(terminal(&format!("a{i}")), vec![], now()).unwrap().id.to_string())
            .collect();
        let q = AliasQuery { limit: 2, ..Default::default() };
        let (page, next) = w.list_aliases(&q);
        assert_eq!(page.iter().map(|a| a.id.to_string()).collect::<Vec<_>>(), ids[..2]);
        let (page, next) = w.list_aliases(&AliasQuery { after: next, ..q.clone() });
        assert_eq!(page.iter().map(|a| a.id.to_string()).collect::<Vec<_>>(), ids[2..4]);
        let (page, next) = w.list_aliases(&AliasQuery { after: next, ..q });
        assert_eq!(page.len(), 1);
        assert_eq!(next, None);
        w.check_invariants().unwrap();
    }

    #[test]
    fn an_alias_whose_fleet_is_gone_stays_and_resolves_to_not_found() {
        let mut w = World::new(Settings::for_tests());
        let alias = Alias {
            id: "alias-1".into(),
            arn: "arn:aws:gamelift:us-east-1::alias/alias-1".into(),
            seq: 1,
            name: "orphan".into(),
            description: None,
            routing: RoutingStrategy::Simple { fleet_id: "fleet-gone".into() },
            creation_time_ms: 0,
            last_updated_ms: 0,
        };
        w.aliases.insert(alias.id.clone(), alias);
        assert!(w.alias("alias-1").is_ok());
        assert!(matches!(w.resolve_alias("alias-1"), Err(ApiError::NotFound(m)) if m.contains("fleet-gone")));
        w.check_invariants().unwrap();
    }

    #[test]
    fn deleting_an_alias_drops_its_tags() {
        let mut w = World::new(Settings::for_tests());
        let arn = w.create_alias(terminal("a"), vec![("k".into(), "v".into())], now()).unwrap().arn.clone();
        assert_eq!(w.tags_of(&arn).len(), 1);
        w.delete_alias(&arn).unwrap();
        assert!(w.tags_of(&arn).is_empty());
        assert!(matches!(w.delete_alias(&arn), Err(ApiError::NotFound(_))));
        w.check_invariants().unwrap();
    }
}
