//! The run-time half of the generated code: the tables the derive emits for every request,
//! response and object ([`RequestShape`], [`ResponseShape`], [`FieldInfo`]), and the code that
//! walks them, compiled once rather than once per operation:
//!
//! - [`check`](mod@check): a request's fields against a microversion (presence, nullability,
//!   Nova's value limits), and a parsed response against what the microversion requires;
//! - [`write`](mod@write): JSON bodies written straight into bytes;
//! - [`query`](mod@query): query strings;
//! - [`parse`](mod@parse): bodies read without an intermediate map.
//!
//! Its vocabulary is fields, JSON names, microversion ranges and limits: nothing here knows
//! what a server is. Not a stable API: only the generated code calls this.

pub mod check;
pub mod parse;
pub mod query;
pub mod write;

pub use self::check::*;
pub use self::parse::*;
pub use self::query::*;
pub use self::write::*;
use crate::limits::Limit;
use crate::microversion::{Microversion, VersionRange};

/// Where a field lives in a request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// In the JSON body, under the body key (or at the top of a body without one).
    Body,
    /// In the JSON body, beside the body key.
    Top,
    /// The body's own entries: a map that is the whole body (`{"hw:cpu_policy": "dedicated"}`).
    Entries,
    /// A query parameter.
    Query,
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
    /// `{fields}`: the fields at the top of the body, with no key (`{"tags": [..]}`).
    Fields,
    /// The entries of one map field are the body (`{"hw:cpu_policy": "dedicated"}`).
    Entries,
}

/// A request's shape, emitted by the derive for each operation's `Request`: what the checks
/// and the body writer walk.
#[derive(Debug)]
#[non_exhaustive]
pub struct RequestShape {
    /// The operation's name, for messages.
    pub operation: &'static str,
    /// The body key (`os-stop`) of the kinds that have one.
    pub key: Option<&'static str>,
    /// How the body is formed.
    pub body: BodyKind,
    /// The fields, by microversion.
    pub fields: &'static [FieldInfo],
}

impl RequestShape {
    /// The shape of one request type (the generated code uses it).
    pub const fn new(
        operation: &'static str,
        key: Option<&'static str>,
        body: BodyKind,
        fields: &'static [FieldInfo],
    ) -> RequestShape {
        RequestShape {
            operation,
            key,
            body,
            fields,
        }
    }
}

/// A response body's shape, emitted by the derive for each operation's response: what the
/// parser checks and the writer walks.
#[derive(Debug)]
#[non_exhaustive]
pub struct ResponseShape {
    /// The named type the body is a view of (`Server`), if any.
    pub of: Option<&'static str>,
    /// The key the body sits under (`server`).
    pub wrap: Option<&'static str>,
    /// `body[wrap]` is a list.
    pub list: bool,
    /// The key each item of a list sits under (`{"keypair": {..}}`).
    pub item_wrap: Option<&'static str>,
    /// The sibling key holding paging links (`servers_links`).
    pub links: Option<&'static str>,
    /// The fields of the body (the items, for a list), by microversion.
    pub fields: &'static [FieldInfo],
}

impl ResponseShape {
    /// The shape of one response (the generated code uses it).
    pub const fn new(
        of: Option<&'static str>,
        wrap: Option<&'static str>,
        list: bool,
        item_wrap: Option<&'static str>,
        links: Option<&'static str>,
        fields: &'static [FieldInfo],
    ) -> ResponseShape {
        ResponseShape {
            of,
            wrap,
            list,
            item_wrap,
            links,
            fields,
        }
    }
}

/// What a field of a request or a parsed response holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldState {
    /// Not set (request), or not sent (response).
    Absent,
    /// `null`.
    Null,
    /// A value.
    Value,
    /// A response field read as `None` (absent or null).
    Empty,
    /// A list that reads as empty when absent, and is empty.
    EmptyList,
}

/// Per-field access the tables drive: implemented by every generated request and object.
pub trait Fields {
    /// The state of the field in `slot`.
    fn field_state(&self, slot: u16) -> FieldState;
    /// Writes the field in `slot` under `json` (never called for an absent field).
    fn write_field(&self, slot: u16, json: &'static str, w: &mut ObjectWriter<'_>);
}

fn entries_of(fields: &'static [FieldInfo], slot: u16) -> impl Iterator<Item = &'static FieldInfo> {
    fields.iter().filter(move |f| f.slot == slot)
}

/// The entry of the field in `slot` that is in effect at `v`.
fn active(fields: &'static [FieldInfo], slot: u16, v: Microversion) -> Option<&'static FieldInfo> {
    entries_of(fields, slot).find(|f| f.range.contains(v))
}

/// Every microversion where the field in `slot` exists, as one range.
fn union_range(fields: &'static [FieldInfo], slot: u16) -> VersionRange {
    let mut entries = entries_of(fields, slot);
    let first = entries.next().map(|f| f.range).unwrap_or(VersionRange::ALL);
    entries.fold(first, |acc, f| {
        VersionRange::new(acc.min.min(f.range.min), acc.max.max(f.range.max))
    })
}

/// Each slot once, at its first entry.
fn slots(fields: &'static [FieldInfo]) -> impl Iterator<Item = &'static FieldInfo> {
    fields
        .iter()
        .enumerate()
        .filter(move |(i, f)| !fields[..*i].iter().any(|g| g.slot == f.slot))
        .map(|(_, f)| f)
}
