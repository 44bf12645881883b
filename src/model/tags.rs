//! Tags: developer-defined key/value labels on fleets, aliases, builds, scripts, custom
//! locations and game session queues, addressed by the resource's ARN.
//!
//! Rules (model documentation of `TagList` and the AWS tagging rules):
//! - at most 200 tags in one request (checked by the generated validation) and at most
//!   [`MAX_TAGS_PER_RESOURCE`] on one resource: more is `TaggingFailedException`;
//! - keys are unique per resource: tagging an existing key overwrites its value; the same key
//!   twice in one request, or a key starting with `aws:` (reserved), is `TaggingFailedException`;
//! - tags are kept in the order they were first added.
//!
//! Tags are stored by the resource's canonical ARN (the one its Describe operation reports).
//! Requests may name a resource by any ARN of the right shape; [`World::tag_target`] maps it to
//! the canonical one: a malformed ARN is `InvalidRequestException`, a well-formed ARN of no
//! existing resource (another Region or account included) is `NotFoundException`.

use std::sync::Arc;

use super::World;
use crate::error::{ApiError, ApiResult};

/// The most tags one resource can carry.
pub const MAX_TAGS_PER_RESOURCE: usize = 50;

/// Checks the rules a tag list must meet on its own: unique keys, no reserved `aws:` prefix,
/// at most [`MAX_TAGS_PER_RESOURCE`]. Create operations call this before creating anything.
pub fn check_tags(tags: &[(String, String)]) -> ApiResult<()> {
    for (i, (key, _)) in tags.iter().enumerate() {
        if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
            return Err(ApiError::TaggingFailed(format!(
                "Tag key {key} is not allowed: keys starting with aws: are reserved for AWS use."
            )));
        }
        if tags[..i].iter().any(|(k, _)| k == key) {
            return Err(ApiError::TaggingFailed(format!(
                "Tag key {key} appears more than once in the request."
            )));
        }
    }
    if tags.len() > MAX_TAGS_PER_RESOURCE {
        return Err(too_many(tags.len()));
    }
    Ok(())
}

fn too_many(n: usize) -> ApiError {
    ApiError::TaggingFailed(format!(
        "The resource would have {n} tags; a resource can have at most {MAX_TAGS_PER_RESOURCE}."
    ))
}

/// The six fields of an ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`.
fn split_arn(arn: &str) -> Option<[&str; 6]> {
    let mut it = arn.splitn(6, ':');
    let parts = [it.next()?, it.next()?, it.next()?, it.next()?, it.next()?, it.next()?];
    Some(parts)
}

impl World {
    /// Adds `tags` to the resource with canonical ARN `arn` (no check that it exists, so Create
    /// operations may call it right after inserting). Existing keys get the new value.
    /// `TaggingFailedException` (and no change) when the rules above would be broken.
    pub(crate) fn put_tags(&mut self, arn: &str, tags: Vec<(String, String)>) -> ApiResult<()> {
        if tags.is_empty() {
            return Ok(());
        }
        check_tags(&tags)?;
        let mut merged = self.tags.get(arn).cloned().unwrap_or_default();
        for (key, value) in tags {
            match merged.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => merged.push((key, value)),
            }
        }
        if merged.len() > MAX_TAGS_PER_RESOURCE {
            return Err(too_many(merged.len()));
        }
        self.tags.insert(arn.to_owned(), merged);
        Ok(())
    }

    /// Forgets every tag of the resource with canonical ARN `arn` (Delete operations).
    pub(crate) fn drop_tags(&mut self, arn: &str) {
        self.tags.remove(arn);
    }

    /// The tags of the resource with canonical ARN `arn`, in the order they were added.
    pub fn tags_of(&self, arn: &str) -> &[(String, String)] {
        self.tags.get(arn).map_or(&[], Vec::as_slice)
    }

    /// The canonical ARN of the resource a request names by `arn`.
    pub fn tag_target(&self, arn: &str) -> ApiResult<Arc<str>> {
        let malformed = || {
            ApiError::InvalidRequest(format!(
                "Invalid ResourceARN {arn}: expected arn:aws:gamelift:<region>:[<account>]:<resource-type>/<resource-id>."
            ))
        };
        let [prefix, partition, service, region, account, resource] = split_arn(arn).ok_or_else(malformed)?;
        if prefix != "arn" || !partition.starts_with("aws") || service != "gamelift" || region.is_empty() {
            return Err(malformed());
        }
        let (kind, id) =
            resource.split_once('/').filter(|(k, i)| !k.is_empty() && !i.is_empty()).ok_or_else(malformed)?;
        let canonical = match kind {
            "fleet" => self.fleets.get(id).map(|f| &f.arn),
            "alias" => self.aliases.get(id).map(|a| &a.arn),
            "build" => self.builds.get(id).map(|b| &b.arn),
            "script" => self.scripts.get(id).map(|s| &s.arn),
            "location" => self.custom_locations.get(id).map(|l| &l.arn),
            "gamesessionqueue" => self.queues.get(id).map(|q| &q.arn),
            _ => None,
        };
        let not_found = || ApiError::NotFound(format!("Resource {arn} not found."));
        let canonical = canonical.ok_or_else(not_found)?;
        let [_, c_partition, _, c_region, _, _] = split_arn(canonical).ok_or_else(not_found)?;
        let account_ok = account.is_empty() || account == self.settings.account_id;
        if partition != c_partition || region != c_region || !account_ok {
            return Err(not_found());
        }
        Ok(canonical.clone())
    }

    /// TagResource.
    pub fn tag_resource(&mut self, arn: &str, tags: Vec<(String, String)>) -> ApiResult<()> {
        let target = self.tag_target(arn)?;
        self.put_tags(&target, tags)
    }

    /// UntagResource: keys the resource does not have are ignored.
    pub fn untag_resource(&mut self, arn: &str, keys: &[String]) -> ApiResult<()> {
        let target = self.tag_target(arn)?;
        if let Some(tags) = self.tags.get_mut(&*target) {
            tags.retain(|(k, _)| !keys.contains(k));
            if tags.is_empty() {
                self.tags.remove(&*target);
            }
        }
        Ok(())
    }

    /// ListTagsForResource.
    pub fn list_tags(&self, arn: &str) -> ApiResult<&[(String, String)]> {
        let target = self.tag_target(arn)?;
        Ok(self.tags_of(&target))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn put_tags_overwrites_existing_keys_and_keeps_first_order() {
        let mut w = World::new(Settings::for_tests());
        w.put_tags("arn:x", tags(&[("a", "1"), ("b", "2")])).unwrap();
        w.put_tags("arn:x", tags(&[("b", "3"), ("c", "4")])).unwrap();
        assert_eq!(w.tags_of("arn:x"), tags(&[("a", "1"), ("b", "3"), ("c", "4")]).as_slice());
        w.check_invariants().unwrap();
    }

    #[test]
    fn put_tags_refuses_a_51st_tag_and_changes_nothing() {
        let mut w = World::new(Settings::for_tests());
        let fifty: Vec<_> = (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        w.put_tags("arn:x", fifty).unwrap();
        let err = w.put_tags("arn:x", tags(&[("k0", "new"), ("extra", "")])).unwrap_err();
        assert!(matches!(err, ApiError::TaggingFailed(_)), "{err:?}");
        assert_eq!(w.tags_of("arn:x").len(), 50);
        assert_eq!(w.tags_of("arn:x")[0].1, "");
        w.check_invariants().unwrap();
    }

    #[test]
    fn check_tags_refuses_duplicates_and_reserved_keys() {
        assert!(check_tags(&tags(&[("a", "1"), ("a", "2")])).is_err());
        assert!(check_tags(&tags(&[("AWS:name", "1")])).is_err());
        assert!(check_tags(&tags(&[("awsome", "1")])).is_ok());
    }

    #[test]
    fn malformed_arns_are_invalid_and_unknown_ones_not_found() {
        let w = World::new(Settings::for_tests());
        for bad in
            ["fleet-1", "arn:aws:gamelift", "arn:aws:s3:us-east-1::bucket/x", "arn:aws:gamelift:::alias/a"]
        {
            assert!(matches!(w.tag_target(bad), Err(ApiError::InvalidRequest(_))), "{bad}");
        }
        let unknown = "arn:aws:gamelift:us-east-1::alias/alias-1";
        assert!(matches!(w.tag_target(unknown), Err(ApiError::NotFound(_))));
    }
}
