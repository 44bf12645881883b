//! Aliases through the Rust SDK (RPC v2 CBOR): CreateAlias → ResolveAlias → UpdateAlias →
//! ListAliases paginator → DeleteAlias, and the errors each of them surfaces.

use std::collections::HashSet;

use aws_sdk_gamelift::Client;
use aws_sdk_gamelift::operation::create_alias::CreateAliasError;
use aws_sdk_gamelift::operation::delete_alias::DeleteAliasError;
use aws_sdk_gamelift::operation::describe_alias::DescribeAliasError;
use aws_sdk_gamelift::operation::resolve_alias::ResolveAliasError;
use aws_sdk_gamelift::operation::update_alias::UpdateAliasError;
use aws_sdk_gamelift::types::{Alias, RoutingStrategy, RoutingStrategyType, Tag};
use gamelift_emulator_compat::{
    ALIAS_MISSING, ALIAS_SIMPLE, ALIAS_TERMINAL, Emulator, FLEET_EC2, FLEET_MISSING, FLEET_TINY,
    TERMINAL_MESSAGE, alias_arn, assert_code, assert_recent, assert_variant, fleet_arn, is_uuid, ok,
    service_error,
};

fn simple(fleet: &str) -> RoutingStrategy {
    RoutingStrategy::builder().r#type(RoutingStrategyType::Simple).fleet_id(fleet).build()
}

fn terminal(message: &str) -> RoutingStrategy {
    RoutingStrategy::builder().r#type(RoutingStrategyType::Terminal).message(message).build()
}

async fn create(client: &Client, name: &str, routing: RoutingStrategy) -> Alias {
    let out = ok(client.create_alias().name(name).routing_strategy(routing).send().await, "CreateAlias");
    out.alias().expect("Alias").clone()
}

fn alias_id(a: &Alias) -> String {
    a.alias_id().expect("AliasId").to_owned()
}

#[tokio::test]
async fn alias_lifecycle_create_resolve_update_list_delete() {
    let emu = Emulator::start().await;
    let client = emu.client();

    // CreateAlias
    let alias = create(&client, "live", simple(FLEET_EC2)).await;
    let id = alias_id(&alias);
    assert!(id.strip_prefix("alias-").is_some_and(is_uuid), "{id}");
    assert_eq!(alias.alias_arn(), Some(alias_arn(&id).as_str()));
    assert_eq!(alias.name(), Some("live"));
    assert_eq!(alias.routing_strategy(), Some(&simple(FLEET_EC2)));
    assert_recent(alias.creation_time(), "CreationTime");
    assert_recent(alias.last_updated_time(), "LastUpdatedTime");

    // ResolveAlias
    let resolved = ok(client.resolve_alias().alias_id(&id).send().await, "ResolveAlias");
    assert_eq!(resolved.fleet_id(), Some(FLEET_EC2));
    assert_eq!(resolved.fleet_arn(), Some(fleet_arn(FLEET_EC2).as_str()));

    // UpdateAlias: another fleet, effective for the next request.
    let updated = ok(
        client
            .update_alias()
            .alias_id(alias_arn(&id))
            .description("moved")
            .routing_strategy(simple(FLEET_TINY))
            .send()
            .await,
        "UpdateAlias",
    );
    let updated = updated.alias().expect("Alias");
    assert_eq!(updated.name(), Some("live"));
    assert_eq!(updated.description(), Some("moved"));
    assert_eq!(updated.creation_time(), alias.creation_time());
    let resolved = ok(client.resolve_alias().alias_id(&id).send().await, "ResolveAlias after update");
    assert_eq!(resolved.fleet_id(), Some(FLEET_TINY));
    let gs = ok(
        client.create_game_session().alias_id(&id).maximum_player_session_count(2).send().await,
        "CreateGameSession by alias",
    );
    assert_eq!(gs.game_session().and_then(|g| g.fleet_id()), Some(FLEET_TINY));

    // ListAliases paginator: the fixtures' two aliases, then ours and four more.
    let mut expected = vec![ALIAS_SIMPLE.to_owned(), ALIAS_TERMINAL.to_owned(), id.clone()];
    for i in 0..4 {
        expected.push(alias_id(&create(&client, &format!("extra-{i}"), terminal("closed")).await));
    }
    let pages: Vec<_> = client.list_aliases().into_paginator().page_size(3).send().collect::<Vec<_>>().await;
    let pages: Vec<_> = pages.into_iter().map(|p| ok(p, "ListAliases page")).collect();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages.last().and_then(|p| p.next_token()), None);
    let tokens: Vec<_> = pages.iter().filter_map(|p| p.next_token()).collect();
    assert_eq!(tokens.iter().collect::<HashSet<_>>().len(), tokens.len(), "{tokens:?}");
    let listed: Vec<String> = pages.iter().flat_map(|p| p.aliases()).map(alias_id).collect();
    assert_eq!(listed, expected);
    let terminal_only = ok(
        client.list_aliases().routing_strategy_type(RoutingStrategyType::Terminal).send().await,
        "ListAliases TERMINAL",
    );
    assert_eq!(terminal_only.aliases().len(), 5);

    // DeleteAlias
    ok(client.delete_alias().alias_id(&id).send().await, "DeleteAlias");
    let err = service_error(client.describe_alias().alias_id(&id).send().await, "DescribeAlias after delete");
    assert_variant!(err, DescribeAliasError::NotFoundException(_));
}

#[tokio::test]
async fn create_alias_terminal_then_resolve_terminal_routing_strategy() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let routing = RoutingStrategy::builder()
        .r#type(RoutingStrategyType::Terminal)
        .fleet_id(FLEET_EC2)
        .message("Please update.")
        .build();
    let alias = create(&client, "old", routing).await;
    assert_eq!(alias.routing_strategy(), Some(&terminal("Please update.")), "the FleetId is dropped");
    let err = service_error(client.resolve_alias().alias_id(alias_id(&alias)).send().await, "ResolveAlias");
    assert_variant!(err, ResolveAliasError::TerminalRoutingStrategyException(_));
    assert_eq!(assert_code(&err, "TerminalRoutingStrategyException"), "Please update.");

    let err =
        service_error(client.resolve_alias().alias_id(ALIAS_TERMINAL).send().await, "ResolveAlias fixture");
    assert_eq!(assert_code(&err, "TerminalRoutingStrategyException"), TERMINAL_MESSAGE);
}

#[tokio::test]
async fn create_alias_unknown_fleet_not_found() {
    let emu = Emulator::start().await;
    let err = service_error(
        emu.client().create_alias().name("x").routing_strategy(simple(FLEET_MISSING)).send().await,
        "CreateAlias to an unknown fleet",
    );
    // CreateAlias does not declare NotFoundException: the SDK surfaces it as an unmodeled
    // error whose code() is still NotFoundException.
    assert!(assert_code(&err, "NotFoundException").contains(FLEET_MISSING));
}

#[tokio::test]
async fn create_alias_missing_routing_fields_invalid_request() {
    let emu = Emulator::start().await;
    let client = emu.client();
    for routing in [
        RoutingStrategy::builder().r#type(RoutingStrategyType::Simple).build(),
        RoutingStrategy::builder().r#type(RoutingStrategyType::Terminal).build(),
        RoutingStrategy::builder().fleet_id(FLEET_EC2).build(),
    ] {
        let err = service_error(
            client.create_alias().name("x").routing_strategy(routing.clone()).send().await,
            "CreateAlias incomplete RoutingStrategy",
        );
        assert_variant!(err, CreateAliasError::InvalidRequestException(_));
        assert_code(&err, "InvalidRequestException");
    }
}

#[tokio::test]
async fn create_alias_duplicate_tag_keys_tagging_failed() {
    let emu = Emulator::start().await;
    let tag = |v: &str| Tag::builder().key("k").value(v).build();
    let err = service_error(
        emu.client()
            .create_alias()
            .name("x")
            .routing_strategy(simple(FLEET_EC2))
            .tags(tag("1"))
            .tags(tag("2"))
            .send()
            .await,
        "CreateAlias duplicate tag keys",
    );
    assert_variant!(err, CreateAliasError::TaggingFailedException(_));
    assert_code(&err, "TaggingFailedException");
}

#[tokio::test]
async fn update_alias_unknown_alias_or_fleet_not_found() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let err =
        service_error(client.update_alias().alias_id(ALIAS_MISSING).name("n").send().await, "unknown alias");
    assert_variant!(err, UpdateAliasError::NotFoundException(_));
    assert!(assert_code(&err, "NotFoundException").contains(ALIAS_MISSING));
    let err = service_error(
        client.update_alias().alias_id(ALIAS_SIMPLE).routing_strategy(simple(FLEET_MISSING)).send().await,
        "unknown fleet",
    );
    assert_variant!(err, UpdateAliasError::NotFoundException(_));
    assert!(assert_code(&err, "NotFoundException").contains(FLEET_MISSING));
}

#[tokio::test]
async fn delete_and_resolve_alias_unknown_not_found() {
    let emu = Emulator::start().await;
    let client = emu.client();
    let err = service_error(client.delete_alias().alias_id(ALIAS_MISSING).send().await, "DeleteAlias");
    assert_variant!(err, DeleteAliasError::NotFoundException(_));
    assert_code(&err, "NotFoundException");
    let err =
        service_error(client.resolve_alias().alias_id(alias_arn(ALIAS_MISSING)).send().await, "ResolveAlias");
    assert_variant!(err, ResolveAliasError::NotFoundException(_));
    assert_code(&err, "NotFoundException");
}
