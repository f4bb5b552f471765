//! What every operation is: its static facts ([`OperationInfo`], from `spec/`), the traits the
//! generated requests implement, and the types they share ([`Page`], [`NoContent`]).
//!
//! The operations themselves are the modules of [`crate::ops`], one per operation
//! (`ops::rebuild`, `ops::create_server`, ...), generated from `spec/operations/`.

use std::borrow::Cow;
use std::fmt;

use crate::error::{ActionError, DecodeError};
use crate::limits::Limit;
use crate::microversion::{Microversion, VersionRange};
use crate::types::{Link, ServerStatus, TaskState};

/// The HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
}

impl Method {
    /// `"GET"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// Whether sending the request twice does no more than sending it once (only `GET` here:
    /// a `PUT` of a server may race another update, a `DELETE` may hit a new server's ID).
    pub fn is_safe_to_repeat(self) -> bool {
        self == Method::Get
    }
}

/// How the body of a request is formed.
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

/// Where a server ends after an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndsIn {
    /// One of these statuses.
    Statuses(&'static [ServerStatus]),
    /// The status does not change; `OS-EXT-STS:task_state` returns to null.
    Unchanged,
    /// The server is deleted (show answers 404).
    Deleted,
}

/// What an operation does to a server's status.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct StatusFacts {
    /// The statuses it may start from (empty: any).
    pub from: &'static [ServerStatus],
    /// The statuses shown while it runs.
    pub during: &'static [ServerStatus],
    /// Where it ends.
    pub ends_in: EndsIn,
    /// Where a resize or migration ends when the cloud confirms it by itself
    /// (`resize_confirm_window`), instead of waiting in VERIFY_RESIZE.
    pub auto_confirmed: &'static [ServerStatus],
    /// The task states shown while it runs (empty: it sets none).
    pub task_states: &'static [TaskState],
    /// What Nova answers while a task is in flight on the server.
    pub while_busy: WhileBusy,
    /// Where the facts above depend on a value of the request (reboot's `type`): each case's
    /// facts, which narrow these (the lists above are the union of the cases').
    pub by_request: Option<RequestCases>,
}

/// The facts of an operation for each value of one request field.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RequestCases {
    /// The field's JSON name inside the request's body (`type`).
    pub field: &'static str,
    /// One case per value.
    pub cases: &'static [RequestCase],
}

/// An operation's facts when its request field has one value (`"SOFT"`).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RequestCase {
    /// The field's value, as sent.
    pub value: &'static str,
    /// The statuses it may start from (empty: any).
    pub from: &'static [ServerStatus],
    /// The statuses shown while it runs.
    pub during: &'static [ServerStatus],
    /// The task states shown while it runs.
    pub task_states: &'static [TaskState],
    /// What Nova answers while a task is in flight on the server.
    pub while_busy: WhileBusy,
}

impl StatusFacts {
    /// These facts for a request whose field (see [`StatusFacts::by_request`]) has `value`:
    /// its case's, or these when there are no cases or none for `value`.
    pub fn for_value(&self, value: Option<&str>) -> StatusFacts {
        let case = self
            .by_request
            .and_then(|by| by.cases.iter().find(|c| Some(c.value) == value));
        match case {
            Some(c) => StatusFacts {
                from: c.from,
                during: c.during,
                task_states: c.task_states,
                while_busy: c.while_busy,
                by_request: None,
                ..*self
            },
            None => *self,
        }
    }
}

/// What Nova answers an operation while a task is in flight on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhileBusy {
    /// Refused (409) whatever the task: Nova's default (`check_instance_state`).
    Refused,
    /// Accepted whatever the task: Nova does not check it (delete, reset state, lock).
    Accepted,
    /// Refused only in these task states, with `status` (the consoles: while deleting or
    /// migrating, a 500 where the controller leaves the error unmapped).
    RefusedIn {
        /// The task states that refuse it.
        task_states: &'static [TaskState],
        /// What Nova answers then.
        status: u16,
    },
    /// Accepted only in these task states, refused (409) in any other (a HARD reboot, while
    /// another reboot, a pause, a suspend or a resume is in flight).
    AcceptedIn {
        /// The task states that accept it.
        task_states: &'static [TaskState],
    },
}

/// The instance action Nova records for an operation.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct InstanceActionFacts {
    /// The `action` recorded (`stop`, `live-migration`, ...).
    pub name: &'static str,
    /// Who records its events, which says when a wait can see the work end.
    pub events: ActionEvents,
}

/// Who records an instance action's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActionEvents {
    /// Nobody: the API does the work before it answers and records the action alone
    /// (reset state). Recorded is done.
    None,
    /// The API, which finishes them before it answers (`api_lock`).
    Api,
    /// The conductor or the compute host, after the API has answered
    /// (`compute_stop_instance`): the work goes on after the call returns.
    Compute,
}

/// The default policy of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Policy {
    /// No policy check.
    None,
    /// A reader of the server's project, or an admin.
    Reader,
    /// A member of the server's project, or an admin.
    Member,
    /// A manager of the server's project, or an admin.
    Manager,
    /// Admins only.
    Admin,
}

/// Where a field lives in a request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// In the JSON body, under the body key.
    Body,
    /// In the JSON body, beside the body key.
    Top,
    /// A query parameter.
    Query,
    /// A path parameter.
    Path,
    /// The last segment of the response's `Location` header.
    Header,
}

/// One field of a request or response in one stretch of microversions.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct FieldInfo {
    /// The name on the wire.
    pub json: &'static str,
    /// Which field of the Rust type holds it.
    pub slot: u16,
    /// Where the field exists.
    pub range: VersionRange,
    /// Where it must be present.
    pub required: Option<VersionRange>,
    /// Where it may be `null`.
    pub nullable: Option<VersionRange>,
    /// Where it lives.
    pub location: Location,
    /// What Nova's request schema enforces on its value.
    pub limits: &'static [Limit],
}

impl FieldInfo {
    /// The facts of one field entry (the generated tables use it).
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        json: &'static str,
        slot: u16,
        range: VersionRange,
        required: Option<VersionRange>,
        nullable: Option<VersionRange>,
        location: Location,
        limits: &'static [Limit],
    ) -> FieldInfo {
        FieldInfo {
            json,
            slot,
            range,
            required,
            nullable,
            location,
            limits,
        }
    }

    /// Whether the field must be present at `v`.
    pub fn required_at(&self, v: Microversion) -> bool {
        self.required.is_some_and(|r| r.contains(v))
    }

    /// Whether the field may be `null` at `v`.
    pub fn nullable_at(&self, v: Microversion) -> bool {
        self.nullable.is_some_and(|r| r.contains(v))
    }
}

/// The shape of an operation's response body.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ResponseInfo {
    /// The key the body sits under (`server`).
    pub wrap: Option<&'static str>,
    /// `body[wrap]` is a list.
    pub list: bool,
    /// The sibling key holding paging links (`servers_links`).
    pub links: Option<&'static str>,
    /// The fields of the body (the items, for a list), by microversion.
    pub fields: &'static [FieldInfo],
}

/// The static facts of one operation, from its file under `spec/operations/`.
#[derive(Debug)]
#[non_exhaustive]
pub struct OperationInfo {
    /// The module name (`rebuild`).
    pub name: &'static str,
    /// The body key (`os-stop`), for actions and bodies.
    pub key: Option<&'static str>,
    /// The HTTP method.
    pub method: Method,
    /// Whether it is a server action (`POST /servers/{server_id}/action`).
    pub is_action: bool,
    /// Path template under the compute endpoint, e.g. `/servers/{server_id}/action`.
    pub path: &'static str,
    /// Where the operation exists; outside it Nova answers 404.
    pub range: VersionRange,
    /// The success status code.
    pub status: u16,
    /// The error codes Nova's controller declares.
    pub errors: &'static [u16],
    /// The default policy.
    pub policy: Policy,
    /// How the request body is formed.
    pub body: BodyKind,
    /// What Nova answers a non-admin when the server is locked, if it checks the lock: 409,
    /// or 500 where the controller leaves Nova's lock error unmapped.
    pub lock_checked: Option<u16>,
    /// Set when the operation exists but always fails.
    pub never_succeeds: bool,
    /// How Nova's 409 messages name it (`Cannot 'stop' instance ...`): its key, but for a
    /// few (`os-stop` is `stop`).
    pub conflict_name: &'static str,
    /// What it does to the server's status.
    pub server_status: Option<StatusFacts>,
    /// The instance action Nova records for it.
    pub instance_action: Option<InstanceActionFacts>,
    /// The request's fields, by microversion.
    pub request: &'static [FieldInfo],
    /// The response's shape, when it has a body.
    pub response: Option<&'static ResponseInfo>,
    /// The microversions at which the request or the response changes shape.
    pub breakpoints: &'static [Microversion],
}

/// Where a request goes besides the server: a path parameter and the query string.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Target<'a> {
    /// A path parameter besides `{server_id}` (`{request_id}`).
    pub path_param: Option<(&'static str, &'a str)>,
    /// Query pairs, in order.
    pub query: Vec<(&'static str, Cow<'a, str>)>,
}

/// A version-agnostic request (`ops::rebuild::Request`): checks every field it has set
/// against a microversion and writes the body Nova accepts there.
pub trait Operation: Sized + Send + Sync + fmt::Debug + 'static {
    /// The static facts.
    const INFO: &'static OperationInfo;
    /// The typed response, every microversion's shape in one type (see the operation's
    /// `response` module for the per-version types).
    type Response: fmt::Debug + Send + Sync + 'static;

    /// Checks every field set, and its value, against `version`; nothing is sent.
    fn check(&self, version: Microversion) -> Result<(), ActionError>;

    /// Writes the JSON body for `version` (call after [`Operation::check`]).
    fn write_body(&self, version: Microversion, out: &mut Vec<u8>);

    /// The path parameter and query string for `version`.
    fn target(&self, version: Microversion) -> Target<'_>;

    /// Reads a response body (and `Location` header) that Nova sent at `version`.
    fn parse_response(
        body: &[u8],
        location: Option<&str>,
        version: Microversion,
    ) -> Result<Self::Response, DecodeError>;

    /// Reads a request body as Nova would receive it (unknown fields are refused). With the
    /// `testing` feature.
    #[cfg(feature = "testing")]
    fn read_body(body: &[u8]) -> Result<Self, DecodeError>;

    /// Reads the path parameter and the query string of a request as Nova would receive
    /// them (an unknown parameter is refused). With the `testing` feature.
    #[cfg(feature = "testing")]
    fn read_target(&mut self, path_param: Option<&str>, query: &[(String, String)]) -> Result<(), String>;

    /// Writes a response as Nova sends it at `version`. With the `testing` feature.
    #[cfg(feature = "testing")]
    fn write_response(response: &Self::Response, version: Microversion) -> Vec<u8>;
}

/// A request type pinned to one stretch of microversions (`ops::rebuild::V2_63`): only the
/// fields valid there exist, so a wrong field does not compile, and the response is the
/// per-version type of the same stretch.
pub trait VersionedRequest: Sized + Send + Sync + fmt::Debug + 'static {
    /// The version-agnostic request it converts into.
    type Operation: Operation + From<Self>;
    /// The response in this stretch of microversions.
    type Response: PinnedResponse<Unified = <Self::Operation as Operation>::Response>;
    /// The microversions this type is for.
    const RANGE: VersionRange;
}

/// A per-version response (`ops::rebuild::response::V2_63`): the unified response with
/// every field required in that stretch of microversions present, and no other.
pub trait PinnedResponse: Sized + fmt::Debug + Send + Sync + 'static {
    /// The unified response type.
    type Unified;
    /// Moves the fields over; fails naming a field that is missing, or present although this
    /// stretch of microversions does not have it.
    fn from_unified(unified: Self::Unified) -> Result<Self, DecodeError>;
    /// Moves the fields back.
    fn into_unified(self) -> Self::Unified;
}

/// The response of an operation that returns no body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoContent;

impl PinnedResponse for NoContent {
    type Unified = NoContent;

    fn from_unified(unified: NoContent) -> Result<Self, DecodeError> {
        Ok(unified)
    }

    fn into_unified(self) -> NoContent {
        self
    }
}

/// One page of a list, with the link to the next page when there is one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The paging links Nova sent (`rel: next` leads to the next page).
    pub links: Option<Vec<Link>>,
}

impl<T> Page<T> {
    /// A page of `items`.
    pub fn new(items: Vec<T>, links: Option<Vec<Link>>) -> Page<T> {
        Page { items, links }
    }

    /// The URL of the next page, when Nova says there is one.
    pub fn next(&self) -> Option<&str> {
        self.links
            .iter()
            .flatten()
            .find(|l| l.rel == "next")
            .map(|l| l.href.as_str())
    }
}

impl<T: PinnedResponse> PinnedResponse for Page<T> {
    type Unified = Page<T::Unified>;

    fn from_unified(unified: Page<T::Unified>) -> Result<Self, DecodeError> {
        Ok(Page {
            items: unified
                .items
                .into_iter()
                .map(T::from_unified)
                .collect::<Result<_, _>>()?,
            links: unified.links,
        })
    }

    fn into_unified(self) -> Page<T::Unified> {
        Page {
            items: self.items.into_iter().map(T::into_unified).collect(),
            links: self.links,
        }
    }
}
