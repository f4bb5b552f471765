//! What every operation is: its static facts ([`OperationInfo`], written from `spec/` by
//! `cargo xtask codegen`), the traits the generated requests implement, and the types they
//! share ([`Page`], [`NoContent`]).
//!
//! The operations themselves are the modules of [`crate::ops`], one per operation
//! (`ops::rebuild`, `ops::create_flavor`, ...), generated from `spec/operations/`.

use std::fmt;

pub use crate::codec::{BodyKind, FieldInfo, Location, RequestShape, ResponseShape};
use crate::error::{ActionError, DecodeError};
use crate::generated::types::{Link, ServerStatus, TaskState};
use crate::microversion::{Microversion, VersionRange};
pub use crate::transport::http::{Method, Query};

/// The path template of an operation over a stretch of microversions
/// (`/servers/{server_id}/action`): one for nearly every operation; a few routes moved.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct PathAt {
    /// Where this template is in effect.
    pub range: VersionRange,
    /// The template, under the compute endpoint.
    pub template: &'static str,
}

impl PathAt {
    /// A template in effect over `range` (the generated facts use it).
    pub const fn new(range: VersionRange, template: &'static str) -> PathAt {
        PathAt { range, template }
    }
}

/// A success status code over a stretch of microversions. Where one stretch has several, each
/// says which outcome it answers (a tag added, or already there).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct StatusAt {
    /// Where this code is in effect.
    pub range: VersionRange,
    /// The code.
    pub code: u16,
    /// The outcome it answers, when the stretch has several codes.
    pub outcome: Option<&'static str>,
}

impl StatusAt {
    /// A code in effect over `range` (the generated facts use it).
    pub const fn new(range: VersionRange, code: u16, outcome: Option<&'static str>) -> StatusAt {
        StatusAt { range, code, outcome }
    }
}

/// How a list pages, which says how its pager asks for the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Paging {
    /// `limit` and `marker`, and a `next` link in the page's links while there is more (from
    /// `since`; before it the list comes whole).
    Marker {
        /// The first microversion that pages.
        since: Microversion,
    },
    /// `limit` and `offset`, with no links: the next page starts after the items seen, and an
    /// empty page (or one shorter than `limit`) is the last.
    Offset,
}

/// What a successful response carries.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Answer {
    /// No body.
    Nothing,
    /// A body of this shape.
    Body(&'static ResponseShape),
    /// Yes or no: a success status is yes, a 404 is no (a tag check). No body.
    Exists,
}

/// What an operation means for a server: the facts Nova's server state machine adds to it.
#[derive(Debug)]
#[non_exhaustive]
pub struct ServerFacts {
    /// What Nova answers a non-admin when the server is locked, if it checks the lock: 409,
    /// or 500 where the controller leaves Nova's lock error unmapped.
    pub lock_checked: Option<u16>,
    /// How Nova's 409 messages name the operation (`Cannot 'stop' instance ...`).
    pub conflict_name: &'static str,
    /// What it does to the server's status, where it checks or moves it.
    pub status: Option<StatusFacts>,
    /// What it writes into the server besides its status (`locked`, `name`, the image).
    pub sets: &'static [(&'static str, Source)],
    /// Where Nova answers but changes and records nothing: a server field and the JSON
    /// value it has then (a second `lock` of a locked server).
    pub noop_when: &'static [(&'static str, &'static str)],
}

/// Where a value comes from: a field of the request (by JSON name, under the body key), a
/// parameter of the path, or a JSON literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The request's field of this JSON name.
    Request(&'static str),
    /// The path parameter of this name.
    Param(&'static str),
    /// This JSON value.
    Json(&'static str),
}

/// How a resource keeps its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourceKind {
    /// Items, each with an ID.
    Collection,
    /// Keys and values (metadata, extra specs).
    Map,
    /// Values (tags).
    Set,
    /// One value kept in its parent's item (a server's encrypted password).
    Value,
}

/// The facts of a resource, from its file under `spec/resources/`.
#[derive(Debug)]
#[non_exhaustive]
pub struct ResourceInfo {
    /// The name (`flavor`).
    pub name: &'static str,
    /// The collection's path template (`/flavors`).
    pub collection: &'static str,
    /// The path parameter naming one item (`flavor_id`), when it has items of its own.
    pub id: Option<&'static str>,
    /// The field of an item that holds its ID (`id`; a keypair's `name`).
    pub id_field: &'static str,
    /// How it keeps its items.
    pub kind: ResourceKind,
    /// The resource it lives under.
    pub parent: Option<&'static str>,
    /// The parent item's field that holds this map, set or value (a flavor's `extra_specs`, a
    /// server's `tags`).
    pub parent_field: Option<&'static str>,
    /// Nova's 404 message for an item that is not there; `{name}` stands for a path
    /// parameter, a request field or `user_id` (read by the fake cloud).
    pub not_found: Option<&'static str>,
    /// Nova's 409 message for an item already there, likewise.
    pub exists: Option<&'static str>,
    /// What Nova gives an item it creates where the request leaves a field out, as JSON
    /// templates (`{uuid}`, `{now}`, `{serial}`, `{user_id}`, `{project_id}`, `{links}` and a
    /// JSON pointer into the item, `{/policies/0}`, are filled in).
    pub defaults: &'static [(&'static str, &'static str)],
}

/// A request field whose value names an item of another resource (a server's `flavorRef`):
/// what Nova answers when there is none.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Reference {
    /// The request field, by JSON name.
    pub field: &'static str,
    /// The resource whose item it names.
    pub resource: &'static str,
    /// What Nova answers when that item does not exist...
    pub status: u16,
    /// ...and its message, `{}` standing for the value.
    pub message: &'static str,
}

/// What an operation on one resource does to another's items (adding a tenant to a flavor's
/// access list is an action on the flavor).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct StoreEffect {
    /// The resource whose items change.
    pub resource: &'static str,
    /// Whether it adds the item (else it removes the item that matches).
    pub adds: bool,
    /// The item's fields.
    pub item: &'static [(&'static str, Source)],
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
    /// Where a delete rests instead when the cloud defers deletes
    /// (`reclaim_instance_interval`): restorable until it is reclaimed.
    pub deferred: &'static [ServerStatus],
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
    /// Where it ends, when that depends on the value (reset state's `active`).
    pub ends_in: Option<EndsIn>,
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
                ends_in: c.ends_in.unwrap_or(self.ends_in),
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
    /// The events Nova 34.0.0 records under it, by name, where the operation succeeds.
    pub recorded: &'static [ActionEvent],
}

/// An event Nova records under an instance action (`compute_stop_instance`), and where.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ActionEvent {
    /// The event's name, as os-instance-actions shows it.
    pub name: &'static str,
    /// The microversions of the call that record it (live migration's conductor event
    /// changes at 2.34).
    pub range: VersionRange,
    /// Recorded only when the server starts from one of these statuses; empty: always.
    pub from: &'static [ServerStatus],
}

impl ActionEvent {
    /// An event (the generated facts use it).
    pub const fn new(name: &'static str, range: VersionRange, from: &'static [ServerStatus]) -> ActionEvent {
        ActionEvent { name, range, from }
    }

    /// Whether a call at `version` on a server in `status` records it.
    pub fn recorded_at(&self, version: Microversion, status: &ServerStatus) -> bool {
        self.range.contains(version) && (self.from.is_empty() || self.from.contains(status))
    }
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
    /// The compute host, which the API waits for (a call, not a cast) before it answers
    /// (`compute_attach_interface`): finished by the answer.
    Synchronous,
    /// The conductor or the compute host, after the API has answered
    /// (`compute_stop_instance`): the work goes on after the call returns.
    Compute,
}

/// The item of an operation's resource that its call names, and whether it is there or gone
/// once the call's work has ended (a volume attach, a port detach): what the operation's
/// `wait` waits for, after the instance action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ItemEnds {
    /// There at the end (an attach), or gone (a detach).
    pub present: bool,
    /// Where its ID comes from: a request field or a path parameter.
    pub id: Source,
}

/// Where an operation's server facts (the lock, the statuses, the instance action, the item
/// it ends with) hold only for some requests: from `since`, those whose request field names
/// another item than the path parameter (a volume swap, not a change of the attachment's own
/// fields); below `since`, every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FactsWhen {
    /// The request field, by JSON name.
    pub field: &'static str,
    /// The path parameter it is compared with.
    pub param: &'static str,
    /// From this microversion the comparison decides.
    pub since: Microversion,
    /// Where the facts hold, what Nova answers every caller this SDK serves: a status and a
    /// message (`{name}` stands for a path parameter or a request field).
    pub refused: Option<(u16, &'static str)>,
}

impl FactsWhen {
    /// Whether the facts hold for a request at `version` whose field is `field` and whose
    /// path parameter is `param`.
    pub fn holds(&self, version: Microversion, field: Option<&str>, param: Option<&str>) -> bool {
        version < self.since || field != param
    }
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

/// The static facts of one operation, from its file under `spec/operations/`.
#[derive(Debug)]
#[non_exhaustive]
pub struct OperationInfo {
    /// The module name (`rebuild`).
    pub name: &'static str,
    /// The resource it is on.
    pub resource: &'static ResourceInfo,
    /// The HTTP method.
    pub method: Method,
    /// The path template, by microversion.
    pub paths: &'static [PathAt],
    /// The action key of an operation on a resource's `/action` (`os-stop`, `addTenantAccess`).
    pub action: Option<&'static str>,
    /// Where the operation exists; outside it Nova answers 404.
    pub range: VersionRange,
    /// The success codes, by microversion.
    pub status: &'static [StatusAt],
    /// The error codes Nova's controller declares.
    pub errors: &'static [u16],
    /// The default policy.
    pub policy: Policy,
    /// Set when the operation exists but always fails.
    pub never_succeeds: bool,
    /// The request's body and fields.
    pub request: &'static RequestShape,
    /// What a successful response carries.
    pub answer: Answer,
    /// How a list pages, for lists that do.
    pub paging: Option<Paging>,
    /// The microversions at which the request or the response changes shape.
    pub breakpoints: &'static [Microversion],
    /// What the operation means for a server, for operations on one.
    pub server: Option<&'static ServerFacts>,
    /// The instance action Nova records for it, if any.
    pub instance_action: Option<InstanceActionFacts>,
    /// The item its call names, and whether it is there or gone at the end.
    pub item_ends: Option<ItemEnds>,
    /// Where the server facts hold only for some requests.
    pub server_facts_when: Option<FactsWhen>,
    /// The request fields that name items of other resources.
    pub references: &'static [Reference],
    /// What it does to another resource's items, beyond its own.
    pub store: Option<StoreEffect>,
}

impl OperationInfo {
    /// The path template at `v` (the first one outside every stretch, which a checked call
    /// never asks for).
    pub fn path_at(&self, v: Microversion) -> &'static str {
        self.paths
            .iter()
            .find(|p| p.range.contains(v))
            .unwrap_or(&self.paths[0])
            .template
    }

    /// The success code at `v` (the first, where several tell outcomes apart).
    pub fn status_at(&self, v: Microversion) -> u16 {
        self.status
            .iter()
            .find(|s| s.range.contains(v))
            .unwrap_or(&self.status[0])
            .code
    }

    /// The response's shape, when it has a body.
    pub fn response(&self) -> Option<&'static ResponseShape> {
        match self.answer {
            Answer::Body(shape) => Some(shape),
            Answer::Nothing | Answer::Exists => None,
        }
    }

    /// The facts of its effect on a server's status, for operations that check or move it.
    pub fn server_status(&self) -> Option<&'static StatusFacts> {
        self.server.and_then(|s| s.status.as_ref())
    }
}

/// What the derive generates for every request type: its shape, its value checks and its
/// query string, and (with the `testing` feature) how Nova reads it.
pub trait RequestFields: crate::codec::Fields + Sized + Send + Sync + fmt::Debug + Default + 'static {
    /// The body and the fields, by microversion.
    const SHAPE: &'static RequestShape;

    /// Checks each value set against the limits of its field at `version`.
    fn check_values(&self, version: Microversion) -> Result<(), ActionError>;

    /// The query string at `version`.
    fn query(&self, version: Microversion) -> Query<'_>;

    /// Reads a request body as Nova would receive it (unknown fields are refused). With the
    /// `testing` feature.
    #[cfg(feature = "testing")]
    fn read_body(body: &[u8]) -> Result<Self, DecodeError>;

    /// Reads a query string as Nova would receive it (an unknown parameter is refused). With
    /// the `testing` feature.
    #[cfg(feature = "testing")]
    fn read_query(&mut self, query: &[(String, String)]) -> Result<(), String>;
}

/// An operation: a version-agnostic request (`ops::rebuild::Request`) with the operation's
/// facts and response. What every call, check and body goes through.
pub trait Operation: RequestFields {
    /// The static facts.
    const INFO: &'static OperationInfo;
    /// The typed response, every microversion's shape in one type (see the operation's
    /// `response` module for the per-version types).
    type Response: fmt::Debug + Send + Sync + 'static;

    /// Reads a response body (and `Location` header) that Nova sent at `version`.
    fn parse_response(
        body: &[u8],
        location: Option<&str>,
        version: Microversion,
    ) -> Result<Self::Response, DecodeError>;

    /// Writes a response as Nova sends it at `version`. With the `testing` feature.
    #[cfg(feature = "testing")]
    fn write_response(response: &Self::Response, version: Microversion) -> Vec<u8>;

    /// The answer "no" of a yes-or-no operation ([`Answer::Exists`]), which Nova gives with a
    /// 404; `None` for every other operation, whose 404 is an error.
    fn absent() -> Option<Self::Response> {
        None
    }

    /// Checks the operation's range, then every field set and its value, against `version`;
    /// nothing is sent.
    fn check(&self, version: Microversion) -> Result<(), ActionError> {
        if !Self::INFO.range.contains(version) {
            return Err(ActionError::OperationOutOfRange {
                operation: Self::INFO.name,
                range: Self::INFO.range,
                version,
            });
        }
        crate::codec::check_request(Self::SHAPE, self, version)?;
        self.check_values(version)
    }

    /// Writes the JSON body for `version` (call after [`Operation::check`]); nothing for an
    /// operation without a body.
    fn write_body(&self, version: Microversion, out: &mut Vec<u8>) {
        crate::codec::write_request_body(Self::SHAPE, self, version, out)
    }
}

/// An operation that a handle of type `H` addresses fully (no ID beyond the handle's), so
/// that `H::send` can send its per-version requests (implemented by the generated code).
pub trait OnHandle<H>: Operation {}

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

/// A yes-or-no answer has the same shape at every microversion.
impl PinnedResponse for bool {
    type Unified = bool;

    fn from_unified(unified: bool) -> Result<Self, DecodeError> {
        Ok(unified)
    }

    fn into_unified(self) -> bool {
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

/// A page reads as its items: `page.len()`, `page[0]`, `page.iter()`.
impl<T> std::ops::Deref for Page<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Page<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
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

/// Reads a request's body and query as Nova would, and checks them at a microversion.
#[cfg(feature = "testing")]
type CheckRequest = fn(&[u8], &[(String, String)], Microversion) -> Result<(), String>;

/// Writes the response Nova sends at a microversion from its JSON (and `Location` header).
#[cfg(feature = "testing")]
type WriteResponse = fn(&[u8], Option<&str>, Microversion) -> Result<Vec<u8>, String>;

/// One operation's generic code, for the fake: its facts, how Nova reads its request, and how
/// its response is written from a JSON value (generated, one per operation).
#[cfg(feature = "testing")]
#[derive(Clone, Copy)]
pub(crate) struct OperationGlue {
    pub(crate) info: &'static OperationInfo,
    /// Reads the body and query as Nova would, and checks them at the microversion.
    pub(crate) check: CheckRequest,
    /// Writes the response Nova sends at the microversion, from its JSON (read with the
    /// operation's own parser, so a value without what the microversion requires is refused).
    pub(crate) respond: WriteResponse,
}

#[cfg(feature = "testing")]
impl OperationGlue {
    /// The glue of `O` (the generated table uses it).
    pub(crate) const fn of<O: Operation>() -> OperationGlue {
        OperationGlue {
            info: O::INFO,
            check: check_request::<O>,
            respond: respond_with::<O>,
        }
    }
}

#[cfg(feature = "testing")]
fn check_request<O: Operation>(body: &[u8], query: &[(String, String)], version: Microversion) -> Result<(), String> {
    let mut request = O::read_body(body).map_err(|e| e.message)?;
    request.read_query(query)?;
    request.check(version).map_err(|e| e.to_string())
}

#[cfg(feature = "testing")]
fn respond_with<O: Operation>(body: &[u8], location: Option<&str>, version: Microversion) -> Result<Vec<u8>, String> {
    let response = O::parse_response(body, location, version).map_err(|e| e.to_string())?;
    Ok(O::write_response(&response, version))
}
