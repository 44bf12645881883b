//! Aliases: a stable name that routes to a fleet (SIMPLE) or to a message (TERMINAL).
//!
//! Resolution is done for every request that names an alias, so a changed routing strategy
//! redirects new requests at once. A TERMINAL alias resolves to
//! `TerminalRoutingStrategyException` carrying the alias's own message; an alias that points
//! at a fleet that no longer exists resolves to `NotFoundException`.

use std::sync::Arc;

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
