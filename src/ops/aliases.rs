//! Alias operations.

use super::Unit;
use super::tags::tags_from_dto;
use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::model::alias::{AliasQuery, AliasUpdate, RoutingType};
use crate::model::{self, AliasSpec, RoutingStrategy, paging};
use crate::state::Emulator;

const ALIASES_TOKEN: &str = "alias";

/// The wire shape of an alias.
pub(crate) fn alias_dto(a: &model::Alias) -> dto::Alias {
    let routing = match &a.routing {
        RoutingStrategy::Simple { fleet_id } => dto::RoutingStrategy {
            r#type: Some(dto::RoutingStrategyType::Simple),
            fleet_id: Some(fleet_id.to_string()),
            message: None,
        },
        RoutingStrategy::Terminal { message } => dto::RoutingStrategy {
            r#type: Some(dto::RoutingStrategyType::Terminal),
            fleet_id: None,
            message: Some(message.clone()),
        },
    };
    dto::Alias {
        alias_id: Some(a.id.to_string()),
        name: Some(a.name.clone()),
        alias_arn: Some(a.arn.to_string()),
        description: a.description.clone(),
        routing_strategy: Some(routing),
        creation_time: Some(dto::Timestamp(a.creation_time_ms)),
        last_updated_time: Some(dto::Timestamp(a.last_updated_ms)),
    }
}

/// A RoutingStrategy's cross-member rules: `Type` is required; SIMPLE needs a `FleetId` (a
/// `Message` is dropped); TERMINAL needs a non-empty `Message` (a `FleetId` is dropped, as
/// real GameLift does).
fn routing_from_dto(r: dto::RoutingStrategy) -> ApiResult<RoutingStrategy> {
    match r.r#type {
        Some(dto::RoutingStrategyType::Simple) => match r.fleet_id {
            Some(fleet_id) => Ok(RoutingStrategy::Simple { fleet_id: fleet_id.into() }),
            None => Err(ApiError::InvalidRequest("A SIMPLE RoutingStrategy must specify a FleetId.".into())),
        },
        Some(dto::RoutingStrategyType::Terminal) => match r.message {
            Some(message) if !message.is_empty() => Ok(RoutingStrategy::Terminal { message }),
            _ => Err(ApiError::InvalidRequest("A TERMINAL RoutingStrategy must specify a Message.".into())),
        },
        Some(dto::RoutingStrategyType::Unknown(v)) => Err(ApiError::InvalidRequest(format!(
            "RoutingStrategy Type {v} is not valid; use SIMPLE or TERMINAL."
        ))),
        None => {
            Err(ApiError::InvalidRequest("A RoutingStrategy must specify a Type: SIMPLE or TERMINAL.".into()))
        }
    }
}

/// CreateAlias.
pub(crate) fn create_alias(em: &Emulator, input: dto::CreateAliasInput) -> ApiResult<dto::CreateAliasOutput> {
    let routing = routing_from_dto(input.routing_strategy.unwrap_or_default())?;
    let spec =
        AliasSpec { id: None, name: input.name.unwrap_or_default(), description: input.description, routing };
    let tags = tags_from_dto(input.tags);
    em.with_world(|w, now| {
        let alias = w.create_alias(spec, tags, now)?;
        Ok(dto::CreateAliasOutput { alias: Some(alias_dto(alias)) })
    })
}

/// DescribeAlias.
pub(crate) fn describe_alias(
    em: &Emulator,
    input: dto::DescribeAliasInput,
) -> ApiResult<dto::DescribeAliasOutput> {
    let id = input.alias_id.unwrap_or_default();
    em.with_world(|w, _| Ok(dto::DescribeAliasOutput { alias: Some(alias_dto(w.alias(&id)?)) }))
}

/// ListAliases.
pub(crate) fn list_aliases(em: &Emulator, input: dto::ListAliasesInput) -> ApiResult<dto::ListAliasesOutput> {
    let after = input.next_token.as_deref().map(|t| paging::decode(ALIASES_TOKEN, t)).transpose()?;
    let routing_type = input.routing_strategy_type.as_ref().and_then(|t| RoutingType::parse(t.as_str()));
    em.with_world(|w, _| {
        let q = AliasQuery {
            routing_type,
            name: input.name.as_deref(),
            after,
            limit: super::page_size(input.limit),
        };
        let (page, next) = w.list_aliases(&q);
        Ok(dto::ListAliasesOutput {
            aliases: Some(page.into_iter().map(alias_dto).collect()),
            next_token: next.map(|n| paging::encode(ALIASES_TOKEN, n)),
        })
    })
}

/// UpdateAlias.
pub(crate) fn update_alias(em: &Emulator, input: dto::UpdateAliasInput) -> ApiResult<dto::UpdateAliasOutput> {
    let id = input.alias_id.unwrap_or_default();
    let update = AliasUpdate {
        name: input.name,
        description: input.description,
        routing: input.routing_strategy.map(routing_from_dto).transpose()?,
    };
    em.with_world(|w, now| {
        let alias = w.update_alias(&id, update, now)?;
        Ok(dto::UpdateAliasOutput { alias: Some(alias_dto(alias)) })
    })
}

/// DeleteAlias.
pub(crate) fn delete_alias(em: &Emulator, input: dto::DeleteAliasInput) -> ApiResult<Unit> {
    let id = input.alias_id.unwrap_or_default();
    em.with_world(|w, _| w.delete_alias(&id))?;
    Ok(Unit)
}

/// ResolveAlias.
pub(crate) fn resolve_alias(
    em: &Emulator,
    input: dto::ResolveAliasInput,
) -> ApiResult<dto::ResolveAliasOutput> {
    let id = input.alias_id.unwrap_or_default();
    em.with_world(|w, _| {
        let fleet = w.resolve_alias(&id)?;
        Ok(dto::ResolveAliasOutput {
            fleet_id: Some(fleet.id.to_string()),
            fleet_arn: Some(fleet.arn.to_string()),
        })
    })
}
