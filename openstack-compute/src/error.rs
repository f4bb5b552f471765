//! The errors: [`Error`] for everything a call can fail with, [`ActionError`] for a request
//! refused before it is sent, [`DecodeError`] for a body that is not what the spec promises.
//! Every error that follows a response carries its [`ResponseMeta`], so
//! [`Error::request_id`] names the request to look up in Nova's logs.

use std::fmt;

use crate::limits::Limit;
use crate::microversion::{Microversion, ParseMicroversionError, VersionRange};

/// A request Nova would refuse at the microversion in effect, caught before sending. Field
/// names are paths into the body (`networks[1].tag`); values are never quoted (they may be
/// secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// The operation does not exist at this microversion (Nova would answer 404).
    #[error("`{operation}` exists in microversions {range}, not at {version}")]
    OperationOutOfRange {
        /// The operation.
        operation: &'static str,
        /// Where it exists.
        range: VersionRange,
        /// The microversion in effect.
        version: Microversion,
    },
    /// A field set that this microversion does not have.
    #[error("`{operation}`: field `{field}` is accepted in microversions {range}, not at {version}")]
    FieldOutOfRange {
        /// The operation.
        operation: &'static str,
        /// The field's path.
        field: String,
        /// Where the field exists.
        range: VersionRange,
        /// The microversion in effect.
        version: Microversion,
    },
    /// A value that this microversion does not accept (`block_migration: "auto"` before 2.25).
    #[error("`{operation}`: field `{field}` value {value} is accepted in microversions {range}, not at {version}")]
    ValueOutOfRange {
        /// The operation.
        operation: &'static str,
        /// The field's path.
        field: String,
        /// The value (an enum value or keyword; never free text).
        value: String,
        /// Where the value is accepted.
        range: VersionRange,
        /// The microversion in effect.
        version: Microversion,
    },
    /// A value outside a limit of Nova's request schema.
    #[error("`{operation}`: field `{field}` must be {limit} (at {version})")]
    ValueRejected {
        /// The operation.
        operation: &'static str,
        /// The field's path.
        field: String,
        /// The limit the value breaks.
        limit: Limit,
        /// The microversion in effect.
        version: Microversion,
    },
    /// A value this SDK does not know, where Nova accepts only the values it lists.
    #[error("`{operation}`: field `{field}` must be one of {expected}")]
    UnknownValue {
        /// The operation.
        operation: &'static str,
        /// The field's path.
        field: String,
        /// The values Nova accepts.
        expected: String,
    },
    /// A field this microversion requires is not set.
    #[error("`{operation}`: field `{field}` is required at {version}")]
    MissingField {
        /// The operation.
        operation: &'static str,
        /// The field's path.
        field: String,
        /// The microversion in effect.
        version: Microversion,
    },
    /// `null` where this microversion does not accept it.
    #[error("`{operation}`: field `{field}` may not be null at {version}")]
    NullNotAllowed {
        /// The operation.
        operation: &'static str,
        /// The field's path.
        field: String,
        /// The microversion in effect.
        version: Microversion,
    },
    /// A server ID or other path parameter that cannot be one segment of a URL: empty, `.` or
    /// `..` (a URL drops such a segment, and the request would go to another route).
    #[error("`{operation}`: path parameter `{parameter}` must not be empty, `.` or `..`")]
    PathParameter {
        /// The operation.
        operation: &'static str,
        /// The parameter (`server_id`, `request_id`).
        parameter: &'static str,
    },
    /// A raw request ([`Compute::raw`](crate::Compute::raw)) that HTTP cannot carry, or that
    /// would leave its path.
    #[error("raw request: {reason}")]
    RawRequest {
        /// What is wrong with it.
        reason: String,
    },
}

/// A body that does not have the shape the spec promises. The message names the field and
/// what was wrong; it never echoes a value (a value may be a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{context}: {message}")]
#[non_exhaustive]
pub struct DecodeError {
    /// What was being read (`` `rebuild` response at 2.63 ``).
    pub context: String,
    /// What went wrong, with the line and column where serde knows them.
    pub message: String,
}

impl DecodeError {
    /// An error reading `context`.
    pub fn new(context: impl Into<String>, message: impl Into<String>) -> DecodeError {
        DecodeError {
            context: context.into(),
            message: message.into(),
        }
    }

    /// From a serde_json error: serde's message names the field and the expected type; for
    /// our types it never holds the value (secrets refuse to be quoted).
    pub fn json(context: impl Into<String>, e: &serde_json::Error) -> DecodeError {
        DecodeError::new(context, e.to_string())
    }
}

/// A header value kept as the response sent it (no copy): the request ID, the `Location`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct HeaderText(http::HeaderValue);

impl HeaderText {
    /// Only visible ASCII is kept (what `to_str` accepts), so `as_str` never fails.
    pub(crate) fn new(value: &http::HeaderValue) -> Option<HeaderText> {
        value.to_str().ok().map(|_| HeaderText(value.clone()))
    }

    pub(crate) fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

/// What every response carries: the request ID Nova (or Keystone) assigned, the microversion
/// the server says it used, the HTTP status, and the `Location` header.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ResponseMeta {
    pub(crate) request_id: Option<HeaderText>,
    pub(crate) microversion: Option<Microversion>,
    pub(crate) status: u16,
    pub(crate) location: Option<HeaderText>,
}

impl ResponseMeta {
    /// `x-openstack-request-id`, falling back to `x-compute-request-id`.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_ref().map(HeaderText::as_str)
    }

    /// From `OpenStack-API-Version` (or the legacy `X-OpenStack-Nova-API-Version`).
    pub fn microversion(&self) -> Option<Microversion> {
        self.microversion
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `Location` header.
    pub fn location(&self) -> Option<&str> {
        self.location.as_ref().map(HeaderText::as_str)
    }
}

impl fmt::Debug for ResponseMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseMeta")
            .field("request_id", &self.request_id())
            .field("microversion", &self.microversion)
            .field("status", &self.status)
            .field("location", &self.location())
            .finish()
    }
}

/// Access to the request ID of outputs and errors in generic code (as in aws-sdk-rust);
/// [`Output::request_id`](crate::Output::request_id) and [`Error::request_id`] are inherent.
pub trait RequestId {
    /// The request ID the server assigned, when a response arrived.
    fn request_id(&self) -> Option<&str>;
}

impl RequestId for ResponseMeta {
    fn request_id(&self) -> Option<&str> {
        ResponseMeta::request_id(self)
    }
}

/// What kind of failure an [`Error`] is: the HTTP error Nova answered, or what went wrong
/// before or around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
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
    /// 413 or 429: over a rate limit or quota; see [`ApiError::retry_after`].
    RateLimited,
    /// 500
    ServerFault,
    /// 501
    NotImplemented,
    /// 502, 503, 504
    Unavailable,
    /// Any other error status.
    OtherStatus,
    /// The configuration is incomplete or contradictory.
    Config,
    /// The request was refused before sending ([`ActionError`]).
    Action,
    /// The microversion asked for is outside what the server supports.
    Microversion,
    /// Keystone refused the credentials.
    Auth,
    /// No usable compute endpoint in the catalog.
    Endpoint,
    /// The connection failed or broke.
    Transport,
    /// No whole response within the configured request timeout.
    Timeout,
    /// The body was not what the spec promises, or too large.
    Decode,
    /// A wait ended without reaching its target.
    Wait,
    /// More than one thing matched where one was expected.
    Ambiguous,
}

impl ErrorKind {
    /// The kind of an HTTP error status.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            410 => ErrorKind::Gone,
            413 | 429 => ErrorKind::RateLimited,
            500 => ErrorKind::ServerFault,
            501 => ErrorKind::NotImplemented,
            502..=504 => ErrorKind::Unavailable,
            _ => ErrorKind::OtherStatus,
        }
    }
}

/// An error status from the server, with Nova's fault parsed when the body has one
/// (`{"conflictingRequest": {"message": "...", "code": 409}}`).
///
/// ```
/// # fn demo(result: Result<(), openstack_compute::Error>) {
/// use openstack_compute::{ApiError, Error, ErrorKind};
///
/// match result {
///     Err(Error::Api(ApiError { kind: ErrorKind::Conflict, .. })) => println!("busy, try later"),
///     Err(e) => println!("{e} (request {:?})", e.request_id()),
///     Ok(()) => {}
/// }
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// Which error.
    pub kind: ErrorKind,
    /// The response's request ID, microversion and status.
    pub meta: ResponseMeta,
    detail: Box<FaultDetail>,
}

#[derive(Clone, PartialEq, Eq)]
struct FaultDetail {
    fault: Option<String>,
    message: String,
    code: Option<u16>,
    retry_after: Option<std::time::Duration>,
}

impl ApiError {
    /// Parses an error response body. Nova's faults are `{"<name>": {"message", "code"}}`;
    /// Keystone's are `{"error": {"message", "code", "title"}}`. Anything else (an HTML page
    /// from a proxy) becomes a short excerpt with control characters removed.
    pub fn from_response(meta: ResponseMeta, body: &[u8], retry_after: Option<std::time::Duration>) -> ApiError {
        #[derive(serde::Deserialize)]
        struct Fault {
            message: String,
            #[serde(default)]
            code: Option<serde_json::Value>,
        }
        let parsed = serde_json::from_slice::<std::collections::BTreeMap<String, serde_json::Value>>(body)
            .ok()
            .and_then(|map| {
                let (name, inner) = map.into_iter().next()?;
                let fault: Fault = serde_json::from_value(inner).ok()?;
                let code = fault.code.and_then(|c| c.as_u64()).and_then(|c| u16::try_from(c).ok());
                Some((name, fault.message, code))
            });
        let (fault, message, code) = match parsed {
            Some((name, message, code)) => (Some(name), message, code),
            None => (None, excerpt(body), None),
        };
        ApiError {
            kind: ErrorKind::from_status(meta.status),
            meta,
            detail: Box::new(FaultDetail {
                fault,
                message,
                code,
                retry_after,
            }),
        }
    }

    /// The fault's name (`conflictingRequest`, `itemNotFound`, ...), when the body had one.
    pub fn fault(&self) -> Option<&str> {
        self.detail.fault.as_deref()
    }

    /// Nova's message, or a short excerpt of a body that was not a fault.
    pub fn message(&self) -> &str {
        &self.detail.message
    }

    /// The `code` inside the fault body.
    pub fn code(&self) -> Option<u16> {
        self.detail.code
    }

    /// From `Retry-After` (seconds), on 413/429/503.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.detail.retry_after
    }

    /// The request ID of the response.
    pub fn request_id(&self) -> Option<&str> {
        self.meta.request_id()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} ({:?})", self.meta.status, self.kind)?;
        if let Some(fault) = self.fault() {
            write!(f, " {fault}")?;
        }
        write!(f, ": {}", self.message())?;
        if let Some(id) = self.meta.request_id() {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("kind", &self.kind)
            .field("meta", &self.meta)
            .field("fault", &self.detail.fault)
            .field("message", &self.detail.message)
            .field("code", &self.detail.code)
            .field("retry_after", &self.detail.retry_after)
            .finish()
    }
}

impl std::error::Error for ApiError {}

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
/// [`ResponseMeta`], so [`Error::request_id`] works on the error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is incomplete or contradictory.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A request Nova would refuse at the microversion in effect; nothing was sent.
    #[error(transparent)]
    Action(#[from] ActionError),
    /// A microversion that is not one (`"2.x"`).
    #[error(transparent)]
    ParseMicroversion(#[from] ParseMicroversionError),
    /// The microversion asked for is outside what the server supports; nothing was sent.
    #[error("microversion {wanted} is not supported by the server (it supports {supported}){}", ours(*.wanted))]
    MicroversionUnsupported {
        /// The microversion wanted.
        wanted: Microversion,
        /// What the server supports.
        supported: VersionRange,
    },
    /// The server answered with an error status.
    #[error(transparent)]
    Api(ApiError),
    /// Keystone refused the credentials, or its answer was unusable.
    #[error("authentication failed: {message}")]
    Auth {
        /// What went wrong.
        message: String,
        /// Keystone's response, when there was one.
        meta: Option<ResponseMeta>,
    },
    /// The catalog has no usable compute endpoint.
    #[error("no compute endpoint: {0}")]
    Endpoint(String),
    /// The request could not be sent or the response not received.
    #[error("transport error{}", if *.connect { " (could not connect)" } else { "" })]
    Transport {
        /// The underlying error (its message holds the URL, never a header).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
        /// Whether the connection could not be made at all (nothing was sent).
        connect: bool,
    },
    /// No whole response within the configured request timeout
    /// ([`request_timeout`](crate::config::ConfigBuilder::request_timeout); a connect timeout is a
    /// [`Transport`](Error::Transport) error that could not connect).
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The response body was not what the spec promises.
    #[error("{error}{}", request_suffix(meta))]
    Decode {
        /// What was wrong.
        error: Box<DecodeError>,
        /// The response.
        meta: ResponseMeta,
    },
    /// The response was larger than the configured limit.
    #[error("response body exceeds the limit of {limit} bytes{}", request_suffix(meta))]
    BodyTooLarge {
        /// The limit.
        limit: usize,
        /// The response.
        meta: ResponseMeta,
    },
    /// A wait ended without reaching its target: [`Error::as_wait`] tells why
    /// ([`WaitError`](crate::wait::WaitError)).
    #[error("{error}")]
    Wait {
        /// Why, defined with the waiters ([`crate::wait::WaitError`]).
        #[source]
        error: Box<dyn std::error::Error + Send + Sync>,
        /// The response that ended it, when one did.
        meta: Option<ResponseMeta>,
    },
    /// A lookup by name found none, or more than one.
    #[error("{}", name_lookup_text(what, name, *found))]
    NameLookup {
        /// What was looked up (`server`, `flavor`).
        what: &'static str,
        /// The name looked up.
        name: String,
        /// How many have it.
        found: usize,
        /// [`ErrorKind::NotFound`] or [`ErrorKind::Ambiguous`].
        kind: ErrorKind,
    },
}

fn name_lookup_text(what: &str, name: &str, found: usize) -> String {
    match found {
        0 => format!("no {what} named {name:?}"),
        n => format!("{n} {what}s named {name:?}: a lookup by name needs exactly one"),
    }
}

fn ours(wanted: Microversion) -> String {
    if wanted > Microversion::MAX {
        format!("; this SDK knows up to {}", Microversion::MAX)
    } else {
        String::new()
    }
}

fn request_suffix(meta: &ResponseMeta) -> String {
    meta.request_id()
        .map(|id| format!(" [request {id}]"))
        .unwrap_or_default()
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::Action(_) => ErrorKind::Action,
            Error::ParseMicroversion(_) | Error::MicroversionUnsupported { .. } => ErrorKind::Microversion,
            Error::Api(e) => e.kind,
            Error::Auth { .. } => ErrorKind::Auth,
            Error::Endpoint(_) => ErrorKind::Endpoint,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Decode { .. } | Error::BodyTooLarge { .. } => ErrorKind::Decode,
            Error::Wait { .. } => ErrorKind::Wait,
            Error::NameLookup { kind, .. } => *kind,
        }
    }

    /// The API error, when the server answered with an error status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The response metadata, when a response arrived.
    pub fn meta(&self) -> Option<&ResponseMeta> {
        match self {
            Error::Api(e) => Some(&e.meta),
            Error::Auth { meta, .. } => meta.as_ref(),
            Error::Decode { meta, .. } | Error::BodyTooLarge { meta, .. } => Some(meta),
            Error::Wait { meta, .. } => meta.as_ref(),
            _ => None,
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.meta().map(|m| m.status)
    }

    /// The request ID of the response, when one arrived.
    pub fn request_id(&self) -> Option<&str> {
        self.meta().and_then(ResponseMeta::request_id)
    }

    /// Whether the connection could not be made (nothing reached the server).
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Transport { connect: true, .. })
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    pub(crate) fn decode(error: DecodeError, meta: ResponseMeta) -> Error {
        Error::Decode {
            error: Box::new(error),
            meta,
        }
    }
}

impl RequestId for Error {
    fn request_id(&self) -> Option<&str> {
        Error::request_id(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_stay_small_enough_to_return() {
        // `Result<T, Error>` travels through every await point of a call.
        assert!(std::mem::size_of::<Error>() <= 128, "{}", std::mem::size_of::<Error>());
    }

    #[test]
    fn faults_of_nova_and_keystone_and_html() {
        let meta = ResponseMeta {
            status: 409,
            ..Default::default()
        };
        let e = ApiError::from_response(
            meta.clone(),
            br#"{"conflictingRequest": {"message": "Cannot 'os-stop' instance", "code": 409}}"#,
            None,
        );
        assert_eq!(
            (e.kind, e.fault(), e.message(), e.code()),
            (
                ErrorKind::Conflict,
                Some("conflictingRequest"),
                "Cannot 'os-stop' instance",
                Some(409)
            )
        );
        let html = ApiError::from_response(meta, b"<html>\n<body>Bad Gateway</body></html>", None);
        assert_eq!(html.fault(), None);
        assert_eq!(html.message(), "<html> <body>Bad Gateway</body></html>");
    }
}
