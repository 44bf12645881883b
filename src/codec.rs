//! The two wire codecs: AWS JSON 1.1 and Smithy RPC v2 CBOR. Both use the same serde DTOs;
//! what differs is the byte format, the content type and the error envelope.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Which protocol a request arrived in (and its response goes out in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// AWS JSON 1.1 (`X-Amz-Target`).
    Json,
    /// Smithy RPC v2 CBOR (`/service/GameLift/operation/<Op>`).
    Cbor,
}

thread_local! {
    /// Scratch space for decoding CBOR text and byte strings.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; 4096]);
}

/// The CBOR encoding of an empty map, used for empty input bodies.
const CBOR_EMPTY_MAP: &[u8] = &[0xa0];

impl Codec {
    /// The response `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Codec::Json => "application/x-amz-json-1.1",
            Codec::Cbor => "application/cbor",
        }
    }

    /// Decodes an input shape. An empty body is an empty structure. A body that does not
    /// decode, or a member of the wrong type, is a `SerializationException` that says where.
    pub fn decode<T: DeserializeOwned>(self, body: &[u8]) -> Result<T, ApiError> {
        match self {
            Codec::Json => {
                let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
                if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                    return Err(ApiError::Serialization("The request body must be a JSON object.".into()));
                }
                serde_json::from_slice(body).map_err(|_| {
                    // Decode again only on failure, tracking the member path for the message.
                    let de = &mut serde_json::Deserializer::from_slice(body);
                    match serde_path_to_error::deserialize::<_, T>(de) {
                        Err(e) => serialization_error(&e.path().to_string(), &e.inner().to_string()),
                        Ok(_) => ApiError::Serialization("The request body could not be decoded.".into()),
                    }
                })
            }
            Codec::Cbor => {
                let body = if body.is_empty() { CBOR_EMPTY_MAP } else { body };
                // ciborium's `from_reader` zeroes a fresh 4 KiB scratch buffer on every call;
                // reuse one per thread instead.
                SCRATCH
                    .with_borrow_mut(|scratch| ciborium::de::from_reader_with_buffer(body, scratch))
                    .map_err(|e| serialization_error("", &e.to_string()))
            }
        }
    }

    /// Encodes an output shape.
    pub fn encode<T: Serialize>(self, value: &T) -> Result<Vec<u8>, ApiError> {
        match self {
            Codec::Json => {
                let mut out = Vec::with_capacity(1024);
                serde_json::to_writer(&mut out, value)
                    .map_err(|e| ApiError::InternalService(format!("failed to encode the response: {e}")))?;
                Ok(out)
            }
            Codec::Cbor => {
                let mut out = Vec::with_capacity(1024);
                ciborium::into_writer(value, &mut out)
                    .map_err(|e| ApiError::InternalService(format!("failed to encode the response: {e}")))?;
                Ok(out)
            }
        }
    }

    /// The error body: `__type` plus the message under both `message` and `Message`
    /// (docs/wire-facts.md §3). CBOR names modeled errors by their absolute shape ID.
    pub fn encode_error(self, err: &ApiError) -> Vec<u8> {
        #[derive(Serialize)]
        struct ErrorBody<'a> {
            #[serde(rename = "__type")]
            r#type: &'a str,
            message: &'a str,
            #[serde(rename = "Message")]
            message_upper: &'a str,
        }
        let absolute;
        let r#type = match self {
            Codec::Cbor if err.is_modeled() => {
                absolute = format!("com.amazonaws.gamelift#{}", err.code());
                absolute.as_str()
            }
            _ => err.code(),
        };
        let body = ErrorBody { r#type, message: err.message(), message_upper: err.message() };
        // Encoding three strings cannot fail; fall back to a fixed body all the same.
        self.encode(&body).unwrap_or_else(|_| b"{\"__type\":\"InternalServiceException\"}".to_vec())
    }
}

fn serialization_error(path: &str, detail: &str) -> ApiError {
    if path.is_empty() || path == "." {
        ApiError::Serialization(format!("The request body could not be decoded: {detail}"))
    } else {
        ApiError::Serialization(format!("Invalid value for member '{path}': {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::CreateGameSessionInput;

    #[test]
    fn wrong_member_type_is_a_serialization_error_naming_the_member() {
        let err = Codec::Json
            .decode::<CreateGameSessionInput>(br#"{"FleetId":"fleet-1","MaximumPlayerSessionCount":"5"}"#)
            .unwrap_err();
        assert_eq!(err.code(), "SerializationException");
        assert!(err.message().contains("MaximumPlayerSessionCount"), "{}", err.message());
    }

    #[test]
    fn non_object_json_bodies_are_rejected() {
        for body in [&b"[1]"[..], b"null", b"\"x\"", b"{"] {
            let err = Codec::Json.decode::<CreateGameSessionInput>(body).unwrap_err();
            assert_eq!(err.code(), "SerializationException");
        }
        assert!(Codec::Json.decode::<CreateGameSessionInput>(b"").is_ok());
    }

    #[test]
    fn cbor_indefinite_maps_decode() {
        // The Rust SDK's captured body: {_ "FleetId": "fleet-ok", "MaximumPlayerSessionCount": 10}
        let hex =
            "bf67466c656574496468666c6565742d6f6b78194d6178696d756d506c6179657253657373696f6e436f756e740aff";
        let bytes: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        let input: CreateGameSessionInput = Codec::Cbor.decode(&bytes).unwrap();
        assert_eq!(input.fleet_id.as_deref(), Some("fleet-ok"));
        assert_eq!(input.maximum_player_session_count, Some(10));
    }

    #[test]
    fn cbor_errors_use_the_absolute_shape_id() {
        let body = Codec::Cbor.encode_error(&ApiError::NotFound("gone".into()));
        let v: ciborium::Value = ciborium::from_reader(&body[..]).unwrap();
        let map = v.as_map().unwrap();
        let get = |k: &str| map.iter().find(|(kk, _)| kk.as_text() == Some(k)).and_then(|(_, v)| v.as_text());
        assert_eq!(get("__type"), Some("com.amazonaws.gamelift#NotFoundException"));
        assert_eq!(get("message"), Some("gone"));
        assert_eq!(get("Message"), Some("gone"));
    }
}
