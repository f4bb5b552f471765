//! Errors that arise before anything is sent ([`ActionError`]) and while reading a body
//! ([`DecodeError`]).

use crate::microversion::{Microversion, VersionRange};

/// A request that Nova would reject at the microversion in effect, caught before sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    #[error("`{operation}` exists in microversions {range}, not at {version}")]
    OperationOutOfRange {
        operation: &'static str,
        range: VersionRange,
        version: Microversion,
    },
    #[error("`{operation}`: field `{field}` is accepted in microversions {range}, not at {version}")]
    FieldOutOfRange {
        operation: &'static str,
        field: &'static str,
        range: VersionRange,
        version: Microversion,
    },
    #[error("`{operation}`: field `{field}` value {value} is accepted in microversions {range}, not at {version}")]
    ValueOutOfRange {
        operation: &'static str,
        field: &'static str,
        value: String,
        range: VersionRange,
        version: Microversion,
    },
    #[error("`{operation}`: field `{field}` is required at {version}")]
    MissingField {
        operation: &'static str,
        field: &'static str,
        version: Microversion,
    },
    #[error("`{operation}`: field `{field}` may not be null at {version}")]
    NullNotAllowed {
        operation: &'static str,
        field: &'static str,
        version: Microversion,
    },
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
        DecodeError {
            context: context.into(),
            message: message.into(),
        }
    }

    /// From a serde_json error. Data errors carry serde's message, which names the field and
    /// the expected type; values are never part of it for our types (`invalid type: string,
    /// expected ...` names the JSON type, not the value), except for enum variants, which are
    /// not secrets.
    pub fn json(context: impl Into<String>, e: &serde_json::Error) -> DecodeError {
        DecodeError::new(context, e.to_string())
    }
}

/// What every response carries: the request ID Nova (or Keystone) assigned, the microversion
/// the server says it used, the HTTP status, and the `Location` header when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// `x-openstack-request-id`, falling back to `x-compute-request-id`.
    pub request_id: Option<String>,
    /// From `OpenStack-API-Version` (or the legacy `X-OpenStack-Nova-API-Version`).
    pub microversion: Option<Microversion>,
    pub status: u16,
    pub location: Option<String>,
}

/// Access to the request ID of an output or error, as in aws-sdk-rust.
pub trait RequestId {
    /// The request ID the server assigned, when a response arrived.
    fn request_id(&self) -> Option<&str>;
}

impl RequestId for ResponseMeta {
    fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}

/// Which HTTP error Nova answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 400
    BadRequest,
    /// 401 (after one re-authentication)
    Unauthorized,
    /// 403
    Forbidden,
    /// 404: no such server, or the operation does not exist at this microversion.
    NotFound,
    /// 409: the server's state or lock forbids it.
    Conflict,
    /// 410
    Gone,
    /// 413 or 429: over a rate limit or quota; see `retry_after`.
    RateLimited,
    /// 500
    ServerFault,
    /// 501
    NotImplemented,
    /// 502, 503, 504
    Unavailable,
    /// Any other non-success status.
    Other,
}

impl ApiErrorKind {
    pub fn from_status(status: u16) -> ApiErrorKind {
        match status {
            400 => ApiErrorKind::BadRequest,
            401 => ApiErrorKind::Unauthorized,
            403 => ApiErrorKind::Forbidden,
            404 => ApiErrorKind::NotFound,
            409 => ApiErrorKind::Conflict,
            410 => ApiErrorKind::Gone,
            413 | 429 => ApiErrorKind::RateLimited,
            500 => ApiErrorKind::ServerFault,
            501 => ApiErrorKind::NotImplemented,
            502..=504 => ApiErrorKind::Unavailable,
            _ => ApiErrorKind::Other,
        }
    }
}

/// An error status from the server, with Nova's fault parsed when the body has one
/// (`{"conflictingRequest": {"message": "...", "code": 409}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub meta: ResponseMeta,
    /// The fault's name (`conflictingRequest`, `itemNotFound`, ...), when the body had one.
    pub fault: Option<String>,
    /// Nova's message, or a short safe excerpt of a body that was not a fault.
    pub message: String,
    /// The `code` inside the fault body.
    pub code: Option<u16>,
    /// From `Retry-After` (seconds), on 413/429/503.
    pub retry_after: Option<std::time::Duration>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} ({:?})", self.meta.status, self.kind)?;
        if let Some(fault) = &self.fault {
            write!(f, " {fault}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.meta.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// Parses an error response body. Nova's faults are `{"<name>": {"message", "code"}}`;
    /// Keystone's are `{"error": {"message", "code", "title"}}`. Anything else (an HTML page from
    /// a proxy) becomes a short excerpt with control characters removed.
    pub fn from_response(meta: ResponseMeta, body: &[u8], retry_after: Option<std::time::Duration>) -> ApiError {
        let kind = ApiErrorKind::from_status(meta.status);
        let parsed: Option<(String, String, Option<u16>)> =
            serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|v| {
                let obj = v.as_object()?;
                let (name, inner) = obj.iter().next()?;
                let inner = inner.as_object()?;
                let message = inner.get("message")?.as_str()?.to_string();
                let code = inner
                    .get("code")
                    .and_then(|c| c.as_u64())
                    .and_then(|c| u16::try_from(c).ok());
                Some((name.clone(), message, code))
            });
        match parsed {
            Some((fault, message, code)) => ApiError {
                kind,
                meta,
                fault: Some(fault),
                message,
                code,
                retry_after,
            },
            None => ApiError {
                kind,
                meta,
                fault: None,
                message: excerpt(body),
                code: None,
                retry_after,
            },
        }
    }
}

/// At most 200 characters of a body, printable only, for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    if out.trim().is_empty() {
        "(empty body)".into()
    } else {
        out
    }
}

/// Everything a call can fail with. Every variant that follows a response carries its
/// [`ResponseMeta`], so [`RequestId::request_id`] works on the error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is incomplete or contradictory.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A request Nova would reject at the microversion in effect; nothing was sent.
    #[error(transparent)]
    Action(#[from] ActionError),
    /// The microversion asked for is outside what the server supports; nothing was sent.
    #[error("microversion {wanted} is not supported by the server (it supports {supported})")]
    MicroversionUnsupported {
        wanted: Microversion,
        supported: VersionRange,
    },
    /// The server answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// Keystone refused the credentials, or its answer was unusable.
    #[error("authentication failed: {message}")]
    Auth {
        message: String,
        meta: Option<ResponseMeta>,
    },
    /// The catalog has no usable compute endpoint.
    #[error("no compute endpoint: {0}")]
    Endpoint(String),
    /// The request could not be sent or the response not received.
    #[error("transport error: {message}")]
    Transport { message: String, connect: bool },
    /// No response within the configured timeout.
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The response body was not what the spec promises.
    #[error("{error}{}", meta.request_id.as_deref().map(|id| format!(" [request {id}]")).unwrap_or_default())]
    Decode { error: DecodeError, meta: ResponseMeta },
    /// The response was larger than the configured limit.
    #[error("response body exceeds the limit of {limit} bytes{}", meta.request_id.as_deref().map(|id| format!(" [request {id}]")).unwrap_or_default())]
    BodyTooLarge { limit: usize, meta: ResponseMeta },
    /// A wait ended without reaching its target (see [`crate::wait`]).
    #[error(transparent)]
    Wait(Box<crate::wait::WaitError>),
}

impl Error {
    /// The response metadata, when a response arrived.
    pub fn meta(&self) -> Option<&ResponseMeta> {
        match self {
            Error::Api(e) => Some(&e.meta),
            Error::Auth { meta, .. } => meta.as_ref(),
            Error::Decode { meta, .. } | Error::BodyTooLarge { meta, .. } => Some(meta),
            Error::Wait(w) => w.meta(),
            _ => None,
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.meta().map(|m| m.status)
    }

    /// The API error, when the server answered with an error status.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl RequestId for Error {
    fn request_id(&self) -> Option<&str> {
        self.meta().and_then(|m| m.request_id.as_deref())
    }
}
