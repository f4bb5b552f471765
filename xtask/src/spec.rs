//! The shapes of the files under `spec/`, as written. `spec/README.md` documents them for
//! writers; this module is the authority, and unknown keys are an error
//! (`deny_unknown_fields`). [`crate::model`] turns a loaded spec into the resolved model the
//! generator, the validator and `drift` work on.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A compute microversion `2.N`, read from a quoted string such as `"2.19"`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
}

impl Version {
    pub const MIN: Version = Version { major: 2, minor: 1 };

    pub const fn new(major: u16, minor: u16) -> Version {
        Version { major, minor }
    }

    pub fn parse(text: &str) -> Result<Version, String> {
        let bad = || format!("`{text}` is not a microversion like \"2.19\"");
        let (major, minor) = text.split_once('.').ok_or_else(bad)?;
        let digits = |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return Err(bad());
        }
        if minor.len() > 1 && minor.starts_with('0') {
            return Err(format!("`{text}` has a leading zero in its minor part"));
        }
        Ok(Version {
            major: major.parse().map_err(|_| bad())?,
            minor: minor.parse().map_err(|_| bad())?,
        })
    }

    /// The next microversion (`2.18` -> `2.19`).
    pub fn next(self) -> Version {
        Version::new(self.major, self.minor + 1)
    }

    /// The previous microversion (`2.19` -> `2.18`).
    pub fn prev(self) -> Version {
        Version::new(self.major, self.minor.saturating_sub(1))
    }

    /// The identifier of the per-version type that starts at this version: `V2_19`.
    pub fn ident(self) -> String {
        format!("V{}_{}", self.major, self.minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Version::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An inclusive microversion range.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Range {
    pub since: Version,
    pub until: Version,
}

impl Range {
    pub fn new(since: Version, until: Version) -> Range {
        Range { since, until }
    }

    pub fn contains(self, v: Version) -> bool {
        self.since <= v && v <= self.until
    }

    pub fn covers(self, other: Range) -> bool {
        self.since <= other.since && other.until <= self.until
    }

    pub fn overlaps(self, other: Range) -> bool {
        self.since <= other.until && other.since <= self.until
    }

    pub fn intersect(self, other: Range) -> Option<Range> {
        let r = Range::new(self.since.max(other.since), self.until.min(other.until));
        (r.since <= r.until).then_some(r)
    }

    /// `since`/`until` as written (either may be absent), inside `within`.
    pub fn of(since: Option<Version>, until: Option<Version>, within: Range) -> Result<Range, String> {
        let r = Range::new(since.unwrap_or(within.since), until.unwrap_or(within.until));
        if r.since > r.until {
            return Err(format!("`since` {} is after `until` {}", r.since, r.until));
        }
        if !within.covers(r) {
            return Err(format!("{} reaches outside {}", Show(r), Show(within)));
        }
        Ok(r)
    }
}

/// `2.19..2.53`, `2.19+` when it runs to `max`, for messages.
pub struct Show(pub Range);

impl fmt::Display for Show {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.0.since, self.0.until)
    }
}

/// `spec/api.yaml`: facts about the API as a whole.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSpec {
    /// The microversions this SDK types: Nova's minimum and the newest one the spec covers.
    pub microversions: VersionBounds,
    /// The Nova release the spec was last checked against with `cargo xtask drift`.
    pub checked_against: String,
    /// The first microversion whose requests Nova reads from `OpenStack-API-Version`; below
    /// it, only the legacy `X-OpenStack-Nova-API-Version` is understood.
    pub api_version_header_since: Version,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct VersionBounds {
    pub min: Version,
    pub max: Version,
}

/// One operation. File: `spec/operations/<name>.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpSpec {
    /// Rust module name (snake_case); equals the file stem.
    pub name: String,
    pub kind: OpKind,
    /// The single top-level key of the request body (`action`, and `post`/`put` with a keyed
    /// body).
    #[serde(default)]
    pub key: Option<String>,
    /// Path template under the compute endpoint (an action's ends in `/action`), or one per
    /// stretch of microversions where the route moved.
    pub path: PathSpec,
    pub since: Version,
    #[serde(default)]
    pub until: Option<Version>,
    /// The success status code, or one per stretch of microversions (and outcome).
    pub status: StatusSpec,
    /// Error codes the controller declares (they go into the generated docs).
    #[serde(default)]
    pub errors: Vec<u16>,
    /// One line, our own words: what the operation does.
    pub summary: String,
    #[serde(default)]
    pub doc: Option<String>,
    /// Set when the operation still exists but can no longer succeed: why.
    #[serde(default)]
    pub never_succeeds: Option<String>,
    /// How Nova's 409 messages name it (`Cannot 'stop' instance ...`), where that is not
    /// its `key`.
    #[serde(default)]
    pub conflict_name: Option<String>,
    pub policy: Policy,
    #[serde(default)]
    pub policy_note: Option<String>,
    /// What Nova answers a non-admin when the server is locked, if it checks the lock: 409,
    /// or 500 where the controller leaves Nova's lock error unmapped (it declares no 409).
    #[serde(default)]
    pub lock_checked: Option<u16>,
    /// How the client offers the operation (one entry, or several over parts of its range).
    #[serde(default)]
    pub client: Option<ClientSpecs>,
    #[serde(default)]
    pub server_status: Option<ServerStatusSpec>,
    /// The instance action Nova records for it, if any.
    #[serde(default)]
    pub instance_action: Option<InstanceActionSpec>,
    /// The item of the operation's resource the call names, and whether it is there or gone
    /// once the call's work has ended (an attach, a detach): what its `wait` waits for.
    #[serde(default)]
    pub item_ends: Option<ItemEndsSpec>,
    /// Where the server facts (`lock_checked`, `server_status`, `instance_action`,
    /// `item_ends`) hold only for some requests: those whose field names another item than
    /// the path (a volume swap), and every request below `since`.
    #[serde(default)]
    pub server_facts_when: Option<FactsWhenSpec>,
    /// What changed at which microversion, in our own words (feeds the generated docs).
    #[serde(default)]
    pub history: BTreeMap<Version, String>,
    /// The microversion checks Nova's controller makes in code (not in a schema), by
    /// microversion, each with what it does for this operation; `cargo xtask drift` lists
    /// every one Nova has and the spec does not name.
    #[serde(default)]
    pub controller_checks: BTreeMap<Version, String>,
    /// What the operation writes into the server besides its status, by server field: a
    /// literal, `{request: <field>}` or `{param: <path parameter>}`.
    #[serde(default)]
    pub sets: BTreeMap<String, SourceSpec>,
    /// Where Nova answers but changes and records nothing: server fields and their values.
    #[serde(default)]
    pub noop_when: BTreeMap<String, serde_json::Value>,
    /// Request fields that name items of other resources, and Nova's answer when there is
    /// none.
    #[serde(default)]
    pub references: Vec<ReferenceSpec>,
    /// What it does to another resource's items.
    #[serde(default)]
    pub store: Option<StoreSpec>,
    #[serde(default)]
    pub request: Option<RequestSpec>,
    #[serde(default)]
    pub response: Option<ResponseSpec>,
    #[serde(default)]
    pub samples: Vec<SampleSpec>,
}

/// Where a value comes from.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(untagged)]
pub enum SourceSpec {
    Request { request: String },
    Param { param: String },
    Literal(serde_json::Value),
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSpec {
    /// The request field (JSON name).
    pub field: String,
    /// The resource whose item it names.
    pub resource: String,
    pub status: u16,
    /// Nova's message, `{}` for the value.
    pub message: String,
}

/// `store: {adds: <resource>, item: {..}}` or `{removes: <resource>, item: {..}}`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct StoreSpec {
    #[serde(default)]
    pub adds: Option<String>,
    #[serde(default)]
    pub removes: Option<String>,
    pub item: BTreeMap<String, SourceSpec>,
}

/// `path:` one template, or one per stretch of microversions.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum PathSpec {
    One(String),
    ByVersion(Vec<PathAtSpec>),
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct PathAtSpec {
    pub path: String,
    #[serde(default)]
    pub since: Option<Version>,
    #[serde(default)]
    pub until: Option<Version>,
}

/// `status:` one code, or codes by microversion and outcome.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum StatusSpec {
    One(u16),
    ByVersion(Vec<StatusAtSpec>),
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct StatusAtSpec {
    pub code: u16,
    #[serde(default)]
    pub since: Option<Version>,
    #[serde(default)]
    pub until: Option<Version>,
    /// Where one stretch has several codes: the outcome this one answers.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// `client:` one entry, or several.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum ClientSpecs {
    One(ClientSpec),
    Several(Vec<ClientSpec>),
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// `POST <path>` (ending in `/action`) with body `{key: value}`.
    Action,
    Get,
    Post,
    Put,
    Delete,
}

impl OpKind {
    pub fn method(self) -> &'static str {
        match self {
            OpKind::Action | OpKind::Post => "POST",
            OpKind::Get => "GET",
            OpKind::Put => "PUT",
            OpKind::Delete => "DELETE",
        }
    }
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// No policy check.
    None,
    /// `project_reader_or_admin`.
    Reader,
    /// `project_member_or_admin`.
    Member,
    /// `project_manager_or_admin`.
    Manager,
    /// `context_is_admin`.
    Admin,
}

impl Policy {
    pub fn describe(self) -> &'static str {
        match self {
            Policy::None => "no policy check",
            Policy::Reader => "project reader or admin by default",
            Policy::Member => "project member or admin by default",
            Policy::Manager => "project manager or admin by default",
            Policy::Admin => "admin by default",
        }
    }
}

/// How the client offers an operation: a method on the handle of its resource
/// (`compute.server(id).<method>(args)`, `compute.flavors().<method>(args)`).
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// The method name (default: the operation's name).
    #[serde(default)]
    pub method: Option<String>,
    /// Request fields (by JSON name) taken as positional arguments, in order (default: the
    /// body fields required in every microversion of the operation).
    #[serde(default)]
    pub args: Option<Vec<String>>,
    /// Where the method offers the operation, when over part of its range only.
    #[serde(default)]
    pub since: Option<Version>,
    #[serde(default)]
    pub until: Option<Version>,
    #[serde(default)]
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerStatusSpec {
    /// Statuses the operation may start from (empty: any). Names of `types/ServerStatus.yaml`.
    #[serde(default)]
    pub from: Vec<String>,
    /// Statuses shown while it runs.
    #[serde(default)]
    pub during: Vec<String>,
    /// Where the server ends.
    pub ends_in: EndsIn,
    /// resize/migrate: where the server ends when the cloud confirms the resize itself
    /// (`resize_confirm_window`), instead of waiting in VERIFY_RESIZE.
    #[serde(default)]
    pub auto_confirmed: Vec<String>,
    /// delete: where the server rests instead when the cloud defers deletes
    /// (`reclaim_instance_interval`), restorable until it is reclaimed.
    #[serde(default)]
    pub deferred: Vec<String>,
    /// `OS-EXT-STS:task_state` values shown while it runs, in order. Names of
    /// `types/TaskState.yaml`. Empty: the operation sets no task state.
    #[serde(default)]
    pub task_states: Vec<String>,
    /// What Nova answers while a task is in flight (absent: refused with 409).
    #[serde(default)]
    pub while_busy: Option<WhileBusySpec>,
    /// Where the facts above depend on a value of the request: the facts for each value.
    #[serde(default)]
    pub by_request: Option<ByRequestSpec>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `server_status.by_request`: `{field: <JSON name of a request field>, cases: [..]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByRequestSpec {
    pub field: String,
    pub cases: Vec<CaseSpec>,
}

/// One value's facts; each one absent is the `server_status`'s own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    pub value: String,
    #[serde(default)]
    pub ends_in: Option<EndsIn>,
    #[serde(default)]
    pub from: Option<Vec<String>>,
    #[serde(default)]
    pub during: Option<Vec<String>>,
    #[serde(default)]
    pub task_states: Option<Vec<String>>,
    #[serde(default)]
    pub while_busy: Option<WhileBusySpec>,
}

/// `server_status.while_busy`: `accepted` (Nova does not check the task state),
/// `{refused_in: [task states], status}`, or `{accepted_in: [task states]}` (refused, 409, in
/// any other).
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(untagged)]
pub enum WhileBusySpec {
    Word(BusyWord),
    RefusedIn { refused_in: Vec<String>, status: u16 },
    AcceptedIn { accepted_in: Vec<String> },
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BusyWord {
    Accepted,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum EndsIn {
    /// One of these statuses.
    Statuses(Vec<String>),
    /// `unchanged` (status stays, task_state returns to null), `deleted` (the server is
    /// gone), or `created` (a new server, ACTIVE once built).
    Word(EndWord),
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EndWord {
    Unchanged,
    Deleted,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct InstanceActionSpec {
    /// The `action` Nova records (`stop`, `live-migration`, ...).
    pub name: String,
    /// The events Nova records under it, by name (`compute_stop_instance`): none when the
    /// API does the work and records the action alone (reset state); `api_*` ones the API
    /// finishes before it answers (`api_lock`); any other, the conductor's or the compute
    /// host's, after it answered. Who records them follows from the names.
    pub events: Vec<EventSpec>,
    /// The API waits for the events' work (a call to the compute host, not a cast) and
    /// answers once it is done: every event has finished by the answer (an interface
    /// attach).
    #[serde(default)]
    pub synchronous: bool,
}

/// `item_ends: {present, id}`: the item named by `id` (a request field or a path parameter)
/// is there (`present: true`) or gone once the call's work has ended.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ItemEndsSpec {
    pub present: bool,
    pub id: SourceSpec,
}

/// `server_facts_when: {differs: {request, param}, since, refused}`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct FactsWhenSpec {
    /// The request field (JSON name) and the path parameter that the facts need to differ.
    pub differs: DiffersSpec,
    /// From this microversion the condition decides; below it the facts always hold.
    #[serde(default)]
    pub since: Option<Version>,
    /// Where the facts hold, Nova refuses the request to every caller this SDK serves, with
    /// this status and message (`{name}` stands for a path parameter or a request field).
    #[serde(default)]
    pub refused: Option<RefusedSpec>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct DiffersSpec {
    pub request: String,
    pub param: String,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RefusedSpec {
    pub status: u16,
    pub message: String,
}

/// One event of an instance action: its name, or its name and where it is recorded.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum EventSpec {
    Name(String),
    Where(EventWhere),
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct EventWhere {
    pub name: String,
    #[serde(default)]
    pub since: Option<Version>,
    #[serde(default)]
    pub until: Option<Version>,
    /// Recorded only when the server starts from one of these statuses (unshelve's
    /// scheduling, from SHELVED_OFFLOADED).
    #[serde(default)]
    pub from: Vec<String>,
}

impl EventSpec {
    pub fn name(&self) -> &str {
        match self {
            EventSpec::Name(n) => n,
            EventSpec::Where(w) => &w.name,
        }
    }
}

/// Who records an instance action's events, as their names say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionEvents {
    None,
    Api,
    Synchronous,
    Compute,
}

impl InstanceActionSpec {
    /// `none` without events, `api` when the API records them all (`api_*`), `synchronous`
    /// when the API waits for the host's, else `compute`.
    pub fn recorded_by(&self) -> ActionEvents {
        if self.events.is_empty() {
            ActionEvents::None
        } else if self.events.iter().all(|e| e.name().starts_with("api_")) {
            ActionEvents::Api
        } else if self.synchronous {
            ActionEvents::Synchronous
        } else {
            ActionEvents::Compute
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub body: BodyKind,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

/// How the value under the body key is formed.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// No body.
    None,
    /// Value-less: `{key: null}` is sent, and Nova accepts (and ignores) any value.
    Null,
    /// `{key: null}`, and Nova accepts nothing else.
    ExactlyNull,
    /// `{key: {fields}}`; `{}` under the key when no field is set.
    Object,
    /// `{key: {fields}}` when a field is set, else `{key: null}`.
    ObjectOrNull,
    /// `{fields}`: the fields at the top of the body, with no key.
    Fields,
    /// The entries of the one `in: entries` map field are the body.
    Entries,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// The top-level key the body sits under (`server`), or absent for top-level fields.
    #[serde(default)]
    pub wrap: Option<String>,
    /// `body[wrap]` is a list of the type.
    #[serde(default)]
    pub list: bool,
    /// With `list`: the key each item sits under (`{"keypair": {..}}`), when Nova wraps them.
    #[serde(default)]
    pub item_wrap: Option<String>,
    /// With `list`: the sibling key holding the paging links (`servers_links`, `links`).
    #[serde(default)]
    pub links: Option<String>,
    /// With `links`: the first microversion that sends them (default: every one).
    #[serde(default)]
    pub links_since: Option<Version>,
    /// With `list`: how it pages (`marker`: a `next` link while there is more, from
    /// `links_since`; `offset`: `limit` and `offset`, no links). Absent: it comes whole.
    #[serde(default)]
    pub paging: Option<PagingSpec>,
    /// A yes-or-no answer: a success status is yes, Nova's 404 is no (no body).
    #[serde(default)]
    pub exists: bool,
    /// A named object type the body is (a view of); `fields` then override its fields.
    #[serde(rename = "type", default)]
    pub of: Option<String>,
    /// With `type`: fields of the type this operation never sends.
    #[serde(default)]
    pub omit: Vec<String>,
    /// Without `type`: the body's fields. With `type`: overrides, by `json` name, of the
    /// ranges and flags of the type's fields (`type`, `doc` and `rust` come from the type).
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

/// One field of a request or response body, a query or path parameter, or a field of a
/// named object type.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The name on the wire.
    pub json: String,
    /// The Rust field name, when the snake_case of `json` is not a good one.
    #[serde(default)]
    pub rust: Option<String>,
    /// Absent only in a response view's overrides.
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(default)]
    pub required: Flag,
    #[serde(default)]
    pub nullable: Flag,
    #[serde(default)]
    pub since: Option<Version>,
    #[serde(default)]
    pub until: Option<Version>,
    #[serde(default, rename = "in")]
    pub location: Location,
    /// What Nova's request schema enforces on the value.
    #[serde(default)]
    pub limits: Option<Limits>,
    /// A query filter only admins may use (others get it ignored or refused).
    #[serde(default)]
    pub admin: bool,
    /// A list that reads as empty when absent (a plain `Vec` in the unified type).
    #[serde(default)]
    pub default_empty: bool,
    #[serde(default)]
    pub doc: Option<String>,
}

/// `true`, `false`, or a range in which the property holds.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(untagged)]
pub enum Flag {
    #[default]
    #[serde(skip)]
    Unset,
    Bool(bool),
    Range(FlagRange),
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FlagRange {
    #[serde(default)]
    pub since: Option<Version>,
    #[serde(default)]
    pub until: Option<Version>,
}

impl Flag {
    /// The range in which the flag holds, clipped to `field`.
    pub fn range(self, field: Range) -> Option<Range> {
        match self {
            Flag::Unset | Flag::Bool(false) => None,
            Flag::Bool(true) => Some(field),
            Flag::Range(r) => {
                Range::new(r.since.unwrap_or(field.since), r.until.unwrap_or(field.until)).intersect(field)
            }
        }
    }
}

/// How a list pages.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PagingSpec {
    Marker,
    Offset,
}

/// Where a field lives.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// In the JSON body, under the body key (the default).
    #[default]
    Body,
    /// In the JSON body, beside the body key (`os:scheduler_hints` of server create).
    Top,
    /// The body's own entries: the map that is the whole body.
    Entries,
    /// A query parameter.
    Query,
    /// Response only: the last path segment of the `Location` header (`in: location_header`).
    #[serde(rename = "location_header")]
    Header,
}

/// The value limits Nova's request schema enforces. Facts from the schema, checked before
/// anything is sent.
#[derive(Debug, Deserialize, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// In characters (code points), as JSON Schema counts.
    #[serde(default)]
    pub min_length: Option<u32>,
    #[serde(default)]
    pub max_length: Option<u32>,
    /// Nova's regular expression, verbatim; `cargo xtask codegen` maps it to a check the
    /// library implements (and refuses a pattern it has no check for).
    #[serde(default)]
    pub pattern: Option<String>,
    /// One of Nova's format checkers.
    #[serde(default)]
    pub format: Option<String>,
    /// Inclusive numeric bounds (also on numeric strings, as Nova's validator applies them).
    #[serde(default)]
    pub minimum: Option<i64>,
    #[serde(default)]
    pub maximum: Option<i64>,
    #[serde(default)]
    pub min_items: Option<u32>,
    #[serde(default)]
    pub max_items: Option<u32>,
    #[serde(default)]
    pub unique_items: bool,
    /// Object with arbitrary keys (`map<T>`): the most keys it may have.
    #[serde(default)]
    pub max_properties: Option<u32>,
    /// Limits on each item of a list.
    #[serde(default)]
    pub items: Option<Box<Limits>>,
    /// Limits on each key of a map.
    #[serde(default)]
    pub keys: Option<Box<Limits>>,
    /// Limits on each value of a map.
    #[serde(default)]
    pub values: Option<Box<Limits>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SampleSpec {
    /// Path under `spec/samples/`.
    pub file: String,
    pub version: Version,
    pub direction: Direction,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Request,
    Response,
}

/// A resource: `spec/resources/<name>.yaml`. Operations belong to the resource whose path
/// prefixes theirs; its handles are where the client offers them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    /// snake_case; equals the file stem.
    pub name: String,
    pub doc: String,
    /// The collection's path (`/servers`, `/flavors/{flavor_id}/os-extra_specs`).
    pub collection: String,
    /// The parameter naming one item (`server_id`: `/servers/{server_id}`); absent when the
    /// collection has no items of its own.
    #[serde(default)]
    pub id: Option<String>,
    /// The resource whose item this one lives under.
    #[serde(default)]
    pub parent: Option<String>,
    /// A map, set or value Nova keeps in a field of the parent's item (a flavor's
    /// `extra_specs`, a server's `metadata`): the fake cloud stores it there, so the parent
    /// shows it.
    #[serde(default)]
    pub parent_field: Option<String>,
    /// Nova's 404 message for an item that is not there (`Flavor {flavor_id} could not be
    /// found.`): `{name}` is a path parameter, a request field or `{user_id}`.
    #[serde(default)]
    pub not_found: Option<String>,
    /// Nova's 409 message for a create whose ID is taken, or an item already there, as
    /// `not_found`.
    #[serde(default)]
    pub exists: Option<String>,
    /// The handles: the collection's and the item's.
    pub handles: HandlesSpec,
    /// What kind of store it is, to the fake cloud: items with IDs, a map, a set, or one
    /// value.
    #[serde(default)]
    pub kind: ResourceKind,
    /// A lookup by name: the list it reads, and what filters by name there.
    #[serde(default)]
    pub find_by_name: Option<FindByNameSpec>,
    /// The field of an item that holds its ID (default `id`; a keypair's is `name`).
    #[serde(default)]
    pub id_field: Option<String>,
    /// What Nova gives an item it creates where the request leaves a field out: JSON, where
    /// the templates `{uuid}`, `{now}`, `{serial}`, `{user_id}`, `{project_id}`, `{links}` and
    /// a JSON pointer into the item (`{/policies/0}`) are filled in.
    #[serde(default)]
    pub defaults: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlesSpec {
    /// `compute.servers()` (or `flavor.extra_specs()` on the parent's item handle).
    pub collection: HandleSpec,
    /// `compute.server(id)`; absent: an operation on one item takes the ID as its first
    /// argument, on the collection's handle.
    #[serde(default)]
    pub item: Option<HandleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandleSpec {
    /// The method that returns it.
    pub method: String,
    /// Its Rust type.
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// Items with IDs.
    #[default]
    Collection,
    /// A map of keys to values (metadata, extra specs).
    Map,
    /// A set of values (tags).
    Set,
    /// One value kept in its parent's item (a server's encrypted password).
    Value,
}

/// `find_by_name`: list `operation` (every page) and keep the items whose `field` is the
/// name; where the list has a `filter` query parameter, ask Nova to filter too (as a regular
/// expression when `regex`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindByNameSpec {
    pub operation: String,
    pub field: String,
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub regex: bool,
}

/// A named type: `spec/types/<Name>.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeSpec {
    pub name: String,
    pub kind: TypeKind,
    pub doc: String,
    /// Object: its fields, with the ranges and flags of its main view (an operation that
    /// returns the type may override them).
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    /// Enum: its values.
    #[serde(default)]
    pub values: Vec<EnumValue>,
    /// Enum: keep values we do not know (responses) in an `Unknown(String)` variant.
    #[serde(default)]
    pub open: bool,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TypeKind {
    Object,
    Enum,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub json: String,
    pub rust: String,
    /// Other spellings Nova accepts for the same value (parsed, never sent).
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub since: Option<Version>,
    #[serde(default)]
    pub until: Option<Version>,
    #[serde(default)]
    pub doc: Option<String>,
}

/// `spec/upstream-samples.yaml`: how Nova's `doc/api_samples` map onto our operations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamMap {
    pub samples: Vec<UpstreamSample>,
    #[serde(default)]
    pub skip: Vec<UpstreamSkip>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSample {
    /// Path relative to Nova's `doc/api_samples/`.
    pub path: String,
    pub op: String,
    pub direction: Direction,
    pub version: Version,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSkip {
    pub path: String,
    pub reason: String,
}

/// `spec/drift-allow.yaml`: differences from Nova that `cargo xtask drift` accepts, each
/// with its reason.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DriftAllow {
    #[serde(default)]
    pub allow: Vec<DriftAllowEntry>,
    /// Whole operations Nova routes that the SDK does not offer, each rule with its reason.
    #[serde(default)]
    pub out_of_scope: Vec<OutOfScope>,
}

/// Nova's operations of one `status` (`removed`, `stub`), of one `group` (a controller
/// module), or one `route` (`GET /os-volumes_boot`): out of the SDK's scope, and why.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct OutOfScope {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub route: Option<String>,
    pub reason: String,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct DriftAllowEntry {
    /// The line `drift` prints, from its start up to and including the field or item named
    /// (`rebuild: request field hostname`); every difference whose line starts with it is
    /// accepted.
    pub line: String,
    pub reason: String,
}

/// Everything under `spec/`, as written.
pub struct Spec {
    pub root: PathBuf,
    pub api: (PathBuf, ApiSpec),
    pub resources: Vec<(PathBuf, ResourceSpec)>,
    pub ops: Vec<(PathBuf, OpSpec)>,
    pub types: Vec<(PathBuf, TypeSpec)>,
    pub upstream: (PathBuf, UpstreamMap),
    pub drift_allow: (PathBuf, DriftAllow),
}

/// A spec error: the file and what is wrong in it.
#[derive(Debug, Clone)]
pub struct SpecError {
    pub file: PathBuf,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

impl SpecError {
    pub fn new(file: &Path, message: impl Into<String>) -> SpecError {
        SpecError {
            file: file.to_path_buf(),
            message: message.into(),
        }
    }
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, SpecError> {
    let entries = std::fs::read_dir(dir).map_err(|e| SpecError::new(dir, e.to_string()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| SpecError::new(dir, e.to_string()))?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        } else {
            return Err(SpecError::new(&path, "unexpected file (only .yaml files belong here)"));
        }
    }
    files.sort();
    Ok(files)
}

/// Reads one YAML file of the spec.
pub fn read_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpecError::new(path, e.to_string()))?;
    parse_yaml(path, &text)
}

/// Parses YAML text as the file `path` (for messages).
pub fn parse_yaml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, SpecError> {
    serde_saphyr::from_str(text).map_err(|e| SpecError::new(path, e.to_string()))
}

impl Spec {
    /// Reads every file under `root` (`spec/`). Shape errors (unknown keys, wrong types) are
    /// reported here; meaning errors by [`crate::validate`].
    pub fn load(root: &Path) -> Result<Spec, Vec<SpecError>> {
        let mut errors = Vec::new();
        let mut dir = |name: &str| -> Vec<PathBuf> {
            yaml_files(&root.join(name)).unwrap_or_else(|e| {
                errors.push(e);
                Vec::new()
            })
        };
        let (op_files, type_files, resource_files) = (dir("operations"), dir("types"), dir("resources"));
        let mut resources = Vec::new();
        for file in resource_files {
            match read_yaml::<ResourceSpec>(&file) {
                Ok(r) => resources.push((file, r)),
                Err(e) => errors.push(e),
            }
        }
        let mut ops = Vec::new();
        for file in op_files {
            match read_yaml::<OpSpec>(&file) {
                Ok(op) => ops.push((file, op)),
                Err(e) => errors.push(e),
            }
        }
        let mut types = Vec::new();
        for file in type_files {
            match read_yaml::<TypeSpec>(&file) {
                Ok(ty) => types.push((file, ty)),
                Err(e) => errors.push(e),
            }
        }
        let api_path = root.join("api.yaml");
        let upstream_path = root.join("upstream-samples.yaml");
        let allow_path = root.join("drift-allow.yaml");
        let api = read_yaml::<ApiSpec>(&api_path).map_err(|e| errors.push(e)).ok();
        let upstream = read_yaml::<UpstreamMap>(&upstream_path)
            .map_err(|e| errors.push(e))
            .ok();
        let drift_allow = read_yaml::<DriftAllow>(&allow_path).map_err(|e| errors.push(e)).ok();
        match (api, upstream, drift_allow) {
            (Some(api), Some(upstream), Some(allow)) if errors.is_empty() => Ok(Spec {
                root: root.to_path_buf(),
                api: (api_path, api),
                resources,
                ops,
                types,
                upstream: (upstream_path, upstream),
                drift_allow: (allow_path, allow),
            }),
            _ => Err(errors),
        }
    }
}
