//! Tag operations (TagResource, UntagResource, ListTagsForResource) and the tag conversions
//! every Create operation shares.

use crate::dto;
use crate::error::ApiResult;
use crate::state::Emulator;

/// A request's `Tags` as key/value pairs (members are required by the generated validation).
pub(crate) fn tags_from_dto(tags: Option<Vec<dto::Tag>>) -> Vec<(String, String)> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
        .collect()
}

/// Key/value pairs as the wire's `Tags`.
pub(crate) fn tags_to_dto(tags: &[(String, String)]) -> Vec<dto::Tag> {
    tags.iter().map(|(k, v)| dto::Tag { key: Some(k.clone()), value: Some(v.clone()) }).collect()
}

/// TagResource.
pub(crate) fn tag_resource(
    em: &Emulator,
    input: dto::TagResourceRequest,
) -> ApiResult<dto::TagResourceResponse> {
    let arn = input.resource_arn.unwrap_or_default();
    let tags = tags_from_dto(input.tags);
    em.with_world(|w, _| w.tag_resource(&arn, tags))?;
    Ok(dto::TagResourceResponse {})
}

/// UntagResource.
pub(crate) fn untag_resource(
    em: &Emulator,
    input: dto::UntagResourceRequest,
) -> ApiResult<dto::UntagResourceResponse> {
    let arn = input.resource_arn.unwrap_or_default();
    let keys = input.tag_keys.unwrap_or_default();
    em.with_world(|w, _| w.untag_resource(&arn, &keys))?;
    Ok(dto::UntagResourceResponse {})
}

/// ListTagsForResource.
pub(crate) fn list_tags_for_resource(
    em: &Emulator,
    input: dto::ListTagsForResourceRequest,
) -> ApiResult<dto::ListTagsForResourceResponse> {
    let arn = input.resource_arn.unwrap_or_default();
    em.with_world(|w, _| {
        let tags = w.list_tags(&arn)?;
        Ok(dto::ListTagsForResourceResponse { tags: Some(tags_to_dto(tags)) })
    })
}
