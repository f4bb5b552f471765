//! Errors that arise before anything is sent ([`ActionError`]) and while reading a body
//! ([`DecodeError`]).

use crate::microversion::{Microversion, VersionRange};

/// A request that Nova would reject at the microversion in effect, caught before sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    #[error("`{operation}` exists in microversions {range}, not at {version}")]
    OperationOutOfRange { operation: &'static str, range: VersionRange, version: Microversion },
    #[error("`{operation}`: field `{field}` is accepted in microversions {range}, not at {version}")]
    FieldOutOfRange { operation: &'static str, field: &'static str, range: VersionRange, version: Microversion },
    #[error("`{operation}`: field `{field}` value {value} is accepted in microversions {range}, not at {version}")]
    ValueOutOfRange {
        operation: &'static str,
        field: &'static str,
        value: String,
        range: VersionRange,
        version: Microversion,
    },
    #[error("`{operation}`: field `{field}` is required at {version}")]
    MissingField { operation: &'static str, field: &'static str, version: Microversion },
    #[error("`{operation}`: field `{field}` may not be null at {version}")]
    NullNotAllowed { operation: &'static str, field: &'static str, version: Microversion },
}

/// A body that does not have the shape the spec promises. The message names the JSON path
/// and what was wrong; it never echoes a value (a value may be a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{context}: {message}")]
pub struct DecodeError {
    /// What was being read (`rebuild response at 2.63`).
    pub context: String,
    /// What went wrong, with the line and column where serde knows them.
    pub message: String,
}

impl DecodeError {
    pub fn new(context: impl Into<String>, message: impl Into<String>) -> DecodeError {
        DecodeError { context: context.into(), message: message.into() }
    }

    /// From a serde_json error. Data errors carry serde's message, which names the field and
    /// the expected type; values are never part of it for our types (`invalid type: string,
    /// expected ...` names the JSON type, not the value), except for enum variants, which are
    /// not secrets.
    pub fn json(context: impl Into<String>, e: &serde_json::Error) -> DecodeError {
        DecodeError::new(context, e.to_string())
    }
}
