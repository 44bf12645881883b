//! The one error type of the emulator: each variant is an AWS error code.
//!
//! The model raises these directly (in an emulator the domain rules *are* the AWS error
//! contract); the protocol layer turns them into the wire envelope every SDK parses
//! (`__type`, `message`/`Message`, status 400, or 500 for `InternalServiceException`).

use thiserror::Error;

/// An error as a client sees it: an AWS error code and a message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApiError {
    /// The request conflicts with the current state of a resource.
    #[error("{0}")]
    Conflict(String),
    /// No free game-session slot in the fleet location.
    #[error("{0}")]
    FleetCapacityExceeded(String),
    /// The game session has no room for the requested players.
    #[error("{0}")]
    GameSessionFull(String),
    /// A custom game session ID or idempotency token was reused differently.
    #[error("{0}")]
    IdempotentParameterMismatch(String),
    /// A genuine fault inside the emulator (status 500).
    #[error("{0}")]
    InternalService(String),
    /// The fleet or location is not in a state that allows the request.
    #[error("{0}")]
    InvalidFleetStatus(String),
    /// The game session is not in a state that allows the request.
    #[error("{0}")]
    InvalidGameSessionStatus(String),
    /// A parameter is invalid (constraint violations included).
    #[error("{0}")]
    InvalidRequest(String),
    /// A service limit would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// The resource does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The compute is not ready yet.
    #[error("{0}")]
    NotReady(String),
    /// A tagging request failed.
    #[error("{0}")]
    TaggingFailed(String),
    /// The alias is TERMINAL; the message is the alias's own.
    #[error("{0}")]
    TerminalRoutingStrategy(String),
    /// Authentication failed.
    #[error("{0}")]
    Unauthorized(String),
    /// The Region or location is not supported.
    #[error("{0}")]
    UnsupportedRegion(String),
    /// The body could not be decoded, or a member has the wrong type (protocol-level).
    #[error("{0}")]
    Serialization(String),
    /// The operation is not part of the GameLift API (protocol-level).
    #[error("{0}")]
    UnknownOperation(String),
    /// The operation exists in GameLift but the emulator does not implement it yet.
    #[error("{0}")]
    UnsupportedOperation(String),
    /// The request body exceeds the emulator's limit (HTTP 413).
    #[error("{0}")]
    RequestEntityTooLarge(String),
    /// The request was throttled (only ever injected through the faults API; every AWS SDK
    /// retries this code).
    #[error("{0}")]
    Throttling(String),
    /// The request's SigV4 signature is wrong, expired or scoped elsewhere (`--verify-signatures`).
    #[error("{0}")]
    InvalidSignature(String),
    /// The access key is not one the emulator knows (`--verify-signatures`).
    #[error("{0}")]
    UnrecognizedClient(String),
    /// The request is not signed (`--verify-signatures`).
    #[error("{0}")]
    MissingAuthenticationToken(String),
    /// The Authorization header is malformed (`--verify-signatures`).
    #[error("{0}")]
    IncompleteSignature(String),
}

impl ApiError {
    /// The short AWS error code, e.g. `NotFoundException`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Conflict(_) => "ConflictException",
            Self::FleetCapacityExceeded(_) => "FleetCapacityExceededException",
            Self::GameSessionFull(_) => "GameSessionFullException",
            Self::IdempotentParameterMismatch(_) => "IdempotentParameterMismatchException",
            Self::InternalService(_) => "InternalServiceException",
            Self::InvalidFleetStatus(_) => "InvalidFleetStatusException",
            Self::InvalidGameSessionStatus(_) => "InvalidGameSessionStatusException",
            Self::InvalidRequest(_) => "InvalidRequestException",
            Self::LimitExceeded(_) => "LimitExceededException",
            Self::NotFound(_) => "NotFoundException",
            Self::NotReady(_) => "NotReadyException",
            Self::TaggingFailed(_) => "TaggingFailedException",
            Self::TerminalRoutingStrategy(_) => "TerminalRoutingStrategyException",
            Self::Unauthorized(_) => "UnauthorizedException",
            Self::UnsupportedRegion(_) => "UnsupportedRegionException",
            Self::Serialization(_) => "SerializationException",
            Self::UnknownOperation(_) => "UnknownOperationException",
            Self::UnsupportedOperation(_) => "UnsupportedOperationException",
            Self::RequestEntityTooLarge(_) => "RequestEntityTooLargeException",
            Self::Throttling(_) => "ThrottlingException",
            Self::InvalidSignature(_) => "InvalidSignatureException",
            Self::UnrecognizedClient(_) => "UnrecognizedClientException",
            Self::MissingAuthenticationToken(_) => "MissingAuthenticationTokenException",
            Self::IncompleteSignature(_) => "IncompleteSignatureException",
        }
    }

    /// Whether the code is a shape of the GameLift model (so CBOR names it
    /// `com.amazonaws.gamelift#<code>`); protocol-level codes are not.
    pub fn is_modeled(&self) -> bool {
        !matches!(
            self,
            Self::Serialization(_)
                | Self::UnknownOperation(_)
                | Self::UnsupportedOperation(_)
                | Self::RequestEntityTooLarge(_)
                | Self::Throttling(_)
                | Self::InvalidSignature(_)
                | Self::UnrecognizedClient(_)
                | Self::MissingAuthenticationToken(_)
                | Self::IncompleteSignature(_)
        )
    }

    /// The HTTP status: 500 for `InternalServiceException`, 413 for an oversized body, 400
    /// for everything else (GameLift declares no other status for its errors).
    pub fn status(&self) -> u16 {
        match self {
            Self::InternalService(_) => 500,
            Self::RequestEntityTooLarge(_) => 413,
            _ => 400,
        }
    }

    /// The message sent as both `message` and `Message`.
    pub fn message(&self) -> &str {
        match self {
            Self::Conflict(m)
            | Self::FleetCapacityExceeded(m)
            | Self::GameSessionFull(m)
            | Self::IdempotentParameterMismatch(m)
            | Self::InternalService(m)
            | Self::InvalidFleetStatus(m)
            | Self::InvalidGameSessionStatus(m)
            | Self::InvalidRequest(m)
            | Self::LimitExceeded(m)
            | Self::NotFound(m)
            | Self::NotReady(m)
            | Self::TaggingFailed(m)
            | Self::TerminalRoutingStrategy(m)
            | Self::Unauthorized(m)
            | Self::UnsupportedRegion(m)
            | Self::Serialization(m)
            | Self::UnknownOperation(m)
            | Self::UnsupportedOperation(m)
            | Self::RequestEntityTooLarge(m)
            | Self::Throttling(m)
            | Self::InvalidSignature(m)
            | Self::UnrecognizedClient(m)
            | Self::MissingAuthenticationToken(m)
            | Self::IncompleteSignature(m) => m,
        }
    }
}

/// Shorthand for results of operations.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::ApiError;
    use crate::dto::MODEL_ERRORS;

    /// One value of every variant; the match makes a new variant a compile error here until it
    /// is added to the list.
    fn every_error() -> Vec<ApiError> {
        let all: Vec<ApiError> = [
            ApiError::Conflict,
            ApiError::FleetCapacityExceeded,
            ApiError::GameSessionFull,
            ApiError::IdempotentParameterMismatch,
            ApiError::InternalService,
            ApiError::InvalidFleetStatus,
            ApiError::InvalidGameSessionStatus,
            ApiError::InvalidRequest,
            ApiError::LimitExceeded,
            ApiError::NotFound,
            ApiError::NotReady,
            ApiError::TaggingFailed,
            ApiError::TerminalRoutingStrategy,
            ApiError::Unauthorized,
            ApiError::UnsupportedRegion,
            ApiError::Serialization,
            ApiError::UnknownOperation,
            ApiError::UnsupportedOperation,
            ApiError::RequestEntityTooLarge,
            ApiError::Throttling,
            ApiError::InvalidSignature,
            ApiError::UnrecognizedClient,
            ApiError::MissingAuthenticationToken,
            ApiError::IncompleteSignature,
        ]
        .into_iter()
        .map(|variant| variant(String::new()))
        .collect();
        let ordinal = |e: &ApiError| match e {
            ApiError::Conflict(_) => 0,
            ApiError::FleetCapacityExceeded(_) => 1,
            ApiError::GameSessionFull(_) => 2,
            ApiError::IdempotentParameterMismatch(_) => 3,
            ApiError::InternalService(_) => 4,
            ApiError::InvalidFleetStatus(_) => 5,
            ApiError::InvalidGameSessionStatus(_) => 6,
            ApiError::InvalidRequest(_) => 7,
            ApiError::LimitExceeded(_) => 8,
            ApiError::NotFound(_) => 9,
            ApiError::NotReady(_) => 10,
            ApiError::TaggingFailed(_) => 11,
            ApiError::TerminalRoutingStrategy(_) => 12,
            ApiError::Unauthorized(_) => 13,
            ApiError::UnsupportedRegion(_) => 14,
            ApiError::Serialization(_) => 15,
            ApiError::UnknownOperation(_) => 16,
            ApiError::UnsupportedOperation(_) => 17,
            ApiError::RequestEntityTooLarge(_) => 18,
            ApiError::Throttling(_) => 19,
            ApiError::InvalidSignature(_) => 20,
            ApiError::UnrecognizedClient(_) => 21,
            ApiError::MissingAuthenticationToken(_) => 22,
            ApiError::IncompleteSignature(_) => 23,
        };
        let ordinals: Vec<usize> = all.iter().map(ordinal).collect();
        assert_eq!(ordinals, (0..all.len()).collect::<Vec<_>>());
        all
    }

    #[test]
    fn modeled_error_codes_are_error_shapes_of_the_gamelift_model() {
        for e in every_error() {
            assert_eq!(
                MODEL_ERRORS.contains(&e.code()),
                e.is_modeled(),
                "{}: is_modeled() must say whether the GameLift model declares it",
                e.code()
            );
        }
    }
}
