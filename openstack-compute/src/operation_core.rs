//! What every operation is, independent of any particular one: its static facts
//! ([`OperationInfo`]), the request traits the derive implements, and how a request becomes
//! the parts of an HTTP call ([`RequestParts`]).
//!
//! The operations themselves live in [`crate::operation`], one module each, generated from
//! `spec/`.

use serde_json::Value;

use crate::error::{ActionError, DecodeError};
use crate::microversion::{Microversion, VersionRange};

/// How an operation is addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// `POST /servers/{server_id}/action` with body `{key: ...}`.
    Action,
    /// `GET` on its own path.
    Get,
    /// `POST` on its own path with body `{key: ...}`.
    Post,
}

/// How the value under the body key is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body.
    None,
    /// Value-less: `{key: null}` (Nova ignores the value).
    Null,
    /// `{key: null}`, and Nova accepts nothing else.
    ExactlyNull,
    /// `{key: {fields}}`.
    Object,
    /// `{key: {fields}}` when any field is set, else `{key: null}`.
    ObjectOrNull,
}

/// Where a server ends after an operation (from the spec's `server_status.ends_in`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndsIn {
    /// One of these statuses.
    Statuses(&'static [&'static str]),
    /// The status does not change; `OS-EXT-STS:task_state` returns to null.
    Unchanged,
    /// The server is deleted (show answers 404).
    Deleted,
    /// Nothing to wait for (reads, and operations that never succeed).
    NotApplicable,
}

/// The static facts of one operation, from its spec file.
#[derive(Debug)]
#[non_exhaustive]
pub struct OperationInfo {
    /// The module name (`rebuild`).
    pub name: &'static str,
    pub kind: OperationKind,
    /// The body key (`os-stop`), for actions and posts.
    pub key: Option<&'static str>,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Path template under the compute endpoint, e.g. `/servers/{server_id}/action`.
    pub path: &'static str,
    /// Where the operation exists; outside, Nova answers 404.
    pub range: VersionRange,
    /// The success status code.
    pub status: u16,
    pub body: BodyKind,
    /// Where the server ends.
    pub ends_in: EndsIn,
    /// Statuses shown while it runs.
    pub during: &'static [&'static str],
    /// Statuses it may start from (empty: any).
    pub from: &'static [&'static str],
    /// Whether a locked server refuses it (409) to non-admins.
    pub lock_checked: bool,
    /// The name Nova records in `os-instance-actions`, if it records one.
    pub instance_action: Option<&'static str>,
    /// Set when the operation can only fail (Nova answers this status).
    pub never_succeeds: bool,
}

/// A request made ready for the wire: body, query and path parameters.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct RequestParts {
    pub body: Option<Value>,
    pub query: Vec<(&'static str, String)>,
    pub path_params: Vec<(&'static str, String)>,
}

/// A version-agnostic request: checks every field it has set against a microversion and
/// builds the parts Nova accepts at that version, or says exactly what is wrong.
pub trait Operation {
    /// The static facts.
    const INFO: &'static OperationInfo;
    /// The typed response (per-version shapes unified; see each operation's `response` module).
    type Response: ResponseBody + PartialEq + std::fmt::Debug;
    /// The request for microversion `version`.
    fn to_parts(&self, version: Microversion) -> Result<RequestParts, ActionError>;
    /// The lowest microversion at which every field that is set is accepted.
    fn lowest_version(&self) -> Microversion;
}

/// A request type pinned to one microversion range (`rebuild::V2_63`): only the fields valid
/// there exist, so a wrong field does not compile.
pub trait VersionedRequest {
    type Operation: Operation;
    /// The versions this type is for; it is sent at the highest of them the server supports.
    const RANGE: VersionRange;
    fn to_parts(&self) -> RequestParts;
}

/// A response that can be read from an HTTP body and `Location` header at a microversion.
pub trait ResponseBody: Sized {
    fn parse(body: &[u8], location: Option<&str>, version: Microversion) -> Result<Self, DecodeError>;

    /// Reads a whole response body into the type for `version` and writes it back (replay).
    #[doc(hidden)]
    fn roundtrip(version: Microversion, body: &Value) -> Result<Value, DecodeError>;
}

/// The response of an operation that returns no body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoContent;

impl ResponseBody for NoContent {
    fn parse(_body: &[u8], _location: Option<&str>, _version: Microversion) -> Result<Self, DecodeError> {
        Ok(NoContent)
    }

    fn roundtrip(version: Microversion, _body: &Value) -> Result<Value, DecodeError> {
        Err(DecodeError::new(
            format!("response at {version}"),
            "this operation returns no body",
        ))
    }
}

/// Round-trips sample bodies through the generated types (for the replay tool and tests).
#[doc(hidden)]
pub trait Roundtrip {
    fn roundtrip_request(version: Microversion, body: &Value) -> Result<Value, DecodeError>;
    fn roundtrip_response(version: Microversion, body: &Value) -> Result<Value, DecodeError>;
    /// The parts a request sample becomes (through the type for its version).
    fn sample_parts(version: Microversion, body: &Value) -> Result<RequestParts, DecodeError>;
}
