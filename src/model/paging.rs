//! Opaque `NextToken`s.
//!
//! A token is a cursor: the kind of list it belongs to and the position after which the next
//! page starts (a creation sequence number or an offset), base64url-encoded. Every page gets a
//! fresh token and the last page gets none, which is what the SDK paginators need (a repeated
//! token makes boto3 raise and JS loop forever).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

/// Encodes a cursor for list `kind` positioned at `pos`.
pub fn encode(kind: &str, pos: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{kind}:{pos}"))
}

/// Decodes a token made by [`encode`] for the same `kind`.
pub fn decode(kind: &str, token: &str) -> Result<u64, ApiError> {
    let invalid = || ApiError::InvalidRequest(format!("Invalid NextToken: {token}"));
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&raw).map_err(|_| invalid())?;
    let rest = text.strip_prefix("v1:").ok_or_else(invalid)?;
    let (k, pos) = rest.rsplit_once(':').ok_or_else(invalid)?;
    if k != kind {
        return Err(invalid());
    }
    pos.parse().map_err(|_| invalid())
}

/// Takes one page from `items` (already positioned after the cursor): at most `limit` items,
/// and the position to resume from when more remain.
pub fn page<T, I: Iterator<Item = (u64, T)>>(items: I, limit: usize) -> (Vec<T>, Option<u64>) {
    let mut out = Vec::with_capacity(limit.min(64));
    let mut last = None;
    for (pos, item) in items {
        if out.len() == limit {
            return (out, last);
        }
        last = Some(pos);
        out.push(item);
    }
    (out, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_other_kinds() {
        let t = encode("gs", 42);
        assert_eq!(decode("gs", &t), Ok(42));
        assert!(decode("ps", &t).is_err());
        assert!(decode("gs", "not a token").is_err());
    }

    #[test]
    fn page_reports_a_cursor_only_when_more_remain() {
        let (items, next) = page((1..=5u64).map(|i| (i, i)), 2);
        assert_eq!((items, next), (vec![1, 2], Some(2)));
        let (items, next) = page((1..=2u64).map(|i| (i, i)), 2);
        assert_eq!((items, next), (vec![1, 2], None));
    }
}
