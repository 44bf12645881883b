//! Optional SigV4 verification (`--verify-signatures`): the signature of every API request is
//! recomputed with `aws-sigv4` from the headers the client says it signed, the body and the
//! secret of the access key it names, and compared. Off by default: local tests usually run with
//! dummy credentials, and a backend that only ever talks to the emulator never needs them right.
//!
//! Errors are the ones AWS answers (status 400 each): no `Authorization` →
//! `MissingAuthenticationTokenException`; an access key the emulator does not know →
//! `UnrecognizedClientException`; a signature that does not match → `InvalidSignatureException`;
//! a credential scope for another Region or service → `InvalidSignatureException` saying the
//! credential should be scoped to a valid Region (or service); an `X-Amz-Date` more than five
//! minutes from the emulator clock → `InvalidSignatureException` "Signature expired" / "Signature
//! not yet current", as AWS words them.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::http::{HeaderMap, Method};

use crate::error::ApiError;

/// How far `X-Amz-Date` may be from the emulator clock.
pub const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// The service name in the credential scope.
const SERVICE: &str = "gamelift";

/// Access key ID → secret access key.
#[derive(Debug, Clone, Default)]
pub struct Keys(HashMap<String, String>);

impl Keys {
    /// Keys from `AKID:SECRET` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut keys = HashMap::new();
        for pair in pairs {
            let (id, secret) = pair
                .split_once(':')
                .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
                .ok_or_else(|| "--credentials takes ACCESS_KEY_ID:SECRET_ACCESS_KEY".to_string())?;
            keys.insert(id.to_string(), secret.to_string());
        }
        Ok(Keys(keys))
    }

    /// Adds the keys of an AWS shared credentials file (`aws_access_key_id` and
    /// `aws_secret_access_key` in each profile) or of a file of `AKID:SECRET` lines.
    pub fn add_file(&mut self, text: &str) -> Result<(), String> {
        let mut id: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') || line.starts_with('[') {
                continue;
            }
            if let Some((k, v)) = line.split_once('=') {
                match k.trim() {
                    "aws_access_key_id" => id = Some(v.trim().to_string()),
                    "aws_secret_access_key" => {
                        let key = id.take().ok_or_else(|| {
                            format!(
                                "line {}: aws_secret_access_key without aws_access_key_id before it",
                                n + 1
                            )
                        })?;
                        self.0.insert(key, v.trim().to_string());
                    }
                    _ => {}
                }
            } else {
                let more = Keys::from_pairs([line]).map_err(|e| format!("line {}: {e}", n + 1))?;
                self.0.extend(more.0);
            }
        }
        Ok(())
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn invalid_signature(message: impl Into<String>) -> ApiError {
    ApiError::InvalidSignature(message.into())
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
struct Authorization<'a> {
    key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse(value: &str) -> Result<Authorization<'_>, ApiError> {
    let malformed = || {
        ApiError::IncompleteSignature(format!(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization={value}"
        ))
    };
    let rest = value.strip_prefix("AWS4-HMAC-SHA256").ok_or_else(|| {
        ApiError::IncompleteSignature(format!("Unsupported signing algorithm in Authorization={value}"))
    })?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let (credential, signed, signature) =
        (credential.ok_or_else(malformed)?, signed.ok_or_else(malformed)?, signature.ok_or_else(malformed)?);
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err(ApiError::IncompleteSignature(format!(
            "Credential should have 5 parts separated by '/' ending in aws4_request; got '{credential}'."
        )));
    };
    Ok(Authorization {
        key_id,
        date,
        region,
        service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// `YYYYMMDDTHHMMSSZ` → epoch seconds.
fn parse_amz_date(s: &str) -> Option<i64> {
    let dt = chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ").ok()?;
    Some(dt.and_utc().timestamp())
}

fn amz_date(epoch_s: i64) -> String {
    chrono::DateTime::from_timestamp(epoch_s, 0)
        .map(|d| d.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

/// Checks the signature of an API request. `now_ms` is the emulator clock (epoch ms); `region`
/// the Region the emulator serves.
pub fn verify(
    keys: &Keys,
    region: &str,
    now_ms: i64,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::MissingAuthenticationToken("Missing Authentication Token".into()));
    };
    let auth = parse(value)?;
    let Some(secret) = keys.0.get(auth.key_id) else {
        return Err(ApiError::UnrecognizedClient(
            "The security token included in the request is invalid.".into(),
        ));
    };
    if auth.service != SERVICE {
        return Err(invalid_signature(format!(
            "Credential should be scoped to correct service: '{SERVICE}'. "
        )));
    }
    if auth.region != region {
        return Err(invalid_signature(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            auth.region
        )));
    }
    let date = headers.get("x-amz-date").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(signed_at) = parse_amz_date(date) else {
        return Err(ApiError::IncompleteSignature(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into(),
        ));
    };
    if !date.starts_with(auth.date) {
        return Err(invalid_signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'",
            auth.date,
            &date[..date.len().min(8)]
        )));
    }
    let now_s = now_ms.div_euclid(1000);
    let skew = MAX_SKEW.as_secs() as i64;
    if signed_at < now_s - skew {
        return Err(invalid_signature(format!(
            "Signature expired: {date} is now earlier than {} ({} - 5 min.)",
            amz_date(now_s - skew),
            amz_date(now_s)
        )));
    }
    if signed_at > now_s + skew {
        return Err(invalid_signature(format!(
            "Signature not yet current: {date} is still later than {} ({} + 5 min.)",
            amz_date(now_s + skew),
            amz_date(now_s)
        )));
    }
    // Recompute over exactly the headers the client signed.
    let token = headers.get("x-amz-security-token").and_then(|v| v.to_str().ok());
    let mut signed: Vec<(&str, &str)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        if *name == "x-amz-security-token" {
            continue; // the signer adds it from the session token
        }
        let Some(v) = headers.get(*name).and_then(|v| v.to_str().ok()) else {
            return Err(invalid_signature(format!("The request does not carry the signed header '{name}'.")));
        };
        signed.push((name, v));
    }
    let identity: aws_smithy_runtime_api::client::identity::Identity =
        aws_credential_types::Credentials::new(
            auth.key_id,
            secret,
            token.map(str::to_owned),
            None,
            "emulator",
        )
        .into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    let time = UNIX_EPOCH + Duration::from_secs(signed_at.max(0) as u64);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| ApiError::InternalService(format!("signing parameters: {e}")))?
        .into();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let request = SignableRequest::new(method.as_str(), path, signed.into_iter(), SignableBody::Bytes(body))
        .map_err(|e| invalid_signature(format!("The request cannot be signed: {e}")))?;
    let output = sign(request, &params)
        .map_err(|e| invalid_signature(format!("The request cannot be signed: {e}")))?;
    if output.signature() != auth.signature {
        return Err(invalid_signature(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret \
             Access Key and signing method. Consult the service documentation for details.",
        ));
    }
    Ok(())
}
