//! The run-time half of the generated code: the table-driven checks, body writer and parsers
//! every operation shares. The generated code (see `openstack-compute-derive`) describes each
//! operation with static tables ([`FieldInfo`]) and small per-field `match`es; everything
//! that walks those tables lives here, compiled once rather than once per operation.
//!
//! Not a stable API: only the generated code calls this.

use std::fmt;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserializer, Serialize};

use crate::error::{ActionError, DecodeError};
use crate::limits::Limit;
use crate::microversion::{Microversion, VersionRange};
use crate::operation::{BodyKind, FieldInfo, Location, OperationInfo, Page};
use crate::primitive::{
    BlockMigration, Boolish, EmptyOr, FlexibleId, Integerish, Networks, Nullable, Password, Timestamp,
};
use crate::types::Link;

// ---------------------------------------------------------------------------------------
// Field states and presence checks

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

fn active(fields: &'static [FieldInfo], slot: u16, v: Microversion) -> Option<&'static FieldInfo> {
    entries_of(fields, slot).find(|f| f.range.contains(v))
}

fn union_range(fields: &'static [FieldInfo], slot: u16) -> VersionRange {
    let mut entries = entries_of(fields, slot);
    let first = entries.next().map(|f| f.range).unwrap_or(VersionRange::ALL);
    entries.fold(first, |acc, f| {
        VersionRange::new(acc.min.min(f.range.min), acc.max.max(f.range.max))
    })
}

fn slots(fields: &'static [FieldInfo]) -> impl Iterator<Item = &'static FieldInfo> {
    // Each slot once, at its first entry.
    fields
        .iter()
        .enumerate()
        .filter(move |(i, f)| !fields[..*i].iter().any(|g| g.slot == f.slot))
        .map(|(_, f)| f)
}

/// Checks a request against the operation's range and its fields' ranges, required-ness and
/// nullability at `v`.
pub fn check_request(info: &'static OperationInfo, request: &dyn Fields, v: Microversion) -> Result<(), ActionError> {
    if !info.range.contains(v) {
        return Err(ActionError::OperationOutOfRange {
            operation: info.name,
            range: info.range,
            version: v,
        });
    }
    // `object_or_null` with no body field set sends `{key: null}`, which Nova accepts in every
    // version: what is required applies to the object only when one is sent.
    let null_body = info.body == BodyKind::ObjectOrNull
        && slots(info.request)
            .filter(|f| f.location == Location::Body)
            .all(|f| request.field_state(f.slot) == FieldState::Absent);
    for first in slots(info.request) {
        let state = request.field_state(first.slot);
        let field = || first.json.to_string();
        match (active(info.request, first.slot, v), state) {
            (None, FieldState::Absent) => {}
            (None, _) => {
                return Err(ActionError::FieldOutOfRange {
                    operation: info.name,
                    field: field(),
                    range: union_range(info.request, first.slot),
                    version: v,
                });
            }
            (Some(f), FieldState::Absent) if f.required_at(v) && !(null_body && f.location == Location::Body) => {
                return Err(ActionError::MissingField {
                    operation: info.name,
                    field: field(),
                    version: v,
                });
            }
            (Some(f), FieldState::Null) if !f.nullable_at(v) => {
                return Err(ActionError::NullNotAllowed {
                    operation: info.name,
                    field: field(),
                    version: v,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks one set value against the limits of its field at `v`.
pub fn check_field_value<T: CheckValue + ?Sized>(
    info: &'static OperationInfo,
    slot: u16,
    value: &T,
    v: Microversion,
) -> Result<(), ActionError> {
    let Some(field) = active(info.request, slot, v) else {
        return Ok(()); // check_request reported it
    };
    value
        .check_value(field.limits, v, &Path::Field(field.json))
        .map_err(|violation| violation.into_error(info.name, v))
}

/// Checks a parsed response (or one item of a list) against the fields a microversion
/// requires: a required field must be there, and not null unless it may be.
pub fn check_response(
    fields: &'static [FieldInfo],
    body: &dyn Fields,
    v: Microversion,
    context: &Context,
) -> Result<(), DecodeError> {
    for f in fields.iter().filter(|f| f.range.contains(v) && f.required_at(v)) {
        let state = body.field_state(f.slot);
        let missing = match state {
            FieldState::Absent => true,
            FieldState::Null => !f.nullable_at(v),
            FieldState::Empty => !f.nullable_at(v) && f.location != Location::Header,
            FieldState::Value | FieldState::EmptyList => false,
        };
        if missing {
            return Err(context.error(format!("missing field `{}`", f.json)));
        }
    }
    Ok(())
}

/// Whether a response at `v` can be an empty body (no field of the body is required there).
pub fn body_optional(fields: &'static [FieldInfo], v: Microversion) -> bool {
    !fields
        .iter()
        .any(|f| f.location == Location::Body && f.range.contains(v) && f.required_at(v))
}

/// A string that is none of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected one of {expected}")]
pub struct UnknownValue {
    /// The values the enum has.
    pub expected: &'static str,
}

// ---------------------------------------------------------------------------------------
// Value limits

/// Where a value sits in a request, built only when a check fails.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// A field of the request.
    Field(&'static str),
    /// A field of an object inside it.
    Member(&'a Path<'a>, &'static str),
    /// An item of a list.
    Index(&'a Path<'a>, usize),
    /// The value under a key of a map.
    Key(&'a Path<'a>, &'a str),
    /// A key of a map.
    KeyOf(&'a Path<'a>),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Field(name) => f.write_str(name),
            Path::Member(p, name) => write!(f, "{p}.{name}"),
            Path::Index(p, i) => write!(f, "{p}[{i}]"),
            Path::Key(p, k) => write!(f, "{p}[{k:?}]"),
            Path::KeyOf(p) => write!(f, "{p} (a key)"),
        }
    }
}

/// A value that breaks a rule, found by [`CheckValue`].
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// Outside a limit of Nova's schema.
    Limit { at: String, limit: Limit },
    /// A value that exists only in some microversions (`"auto"`, an enum value).
    Version {
        at: String,
        value: String,
        range: VersionRange,
    },
    /// A value this SDK read but Nova does not accept in requests (an unknown enum value).
    Unknown { at: String, expected: String },
    /// A nested field missing, null where it may not be, or outside its microversions.
    Field { at: String, problem: FieldProblem },
}

/// What is wrong with a nested field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldProblem {
    Missing,
    Null,
    OutOfRange(VersionRange),
}

impl Violation {
    fn into_error(self, operation: &'static str, version: Microversion) -> ActionError {
        match self {
            Violation::Limit { at, limit } => ActionError::ValueRejected {
                operation,
                field: at,
                limit,
                version,
            },
            Violation::Version { at, value, range } => ActionError::ValueOutOfRange {
                operation,
                field: at,
                value,
                range,
                version,
            },
            Violation::Unknown { at, expected } => ActionError::UnknownValue {
                operation,
                field: at,
                expected,
            },
            Violation::Field { at, problem } => match problem {
                FieldProblem::Missing => ActionError::MissingField {
                    operation,
                    field: at,
                    version,
                },
                FieldProblem::Null => ActionError::NullNotAllowed {
                    operation,
                    field: at,
                    version,
                },
                FieldProblem::OutOfRange(range) => ActionError::FieldOutOfRange {
                    operation,
                    field: at,
                    range,
                    version,
                },
            },
        }
    }
}

fn limit(at: &Path<'_>, limit: Limit) -> Violation {
    Violation::Limit {
        at: at.to_string(),
        limit,
    }
}

/// A request value that can be checked against limits and microversions.
pub trait CheckValue {
    /// Checks the value against `limits` (and its own microversion rules) at `v`.
    fn check_value(&self, limits: &[Limit], v: Microversion, at: &Path<'_>) -> Result<(), Violation>;
}

/// Length, pattern and format limits on text.
pub fn check_text(s: &str, limits: &[Limit], at: &Path<'_>) -> Result<(), Violation> {
    for l in limits {
        let ok = match *l {
            Limit::MinLength(n) => s.chars().count() >= n as usize,
            Limit::MaxLength(n) => s.chars().count() <= n as usize,
            Limit::Pattern(p) => p.matches(s),
            Limit::Format(f) => f.matches(s),
            _ => true,
        };
        if !ok {
            return Err(limit(at, *l));
        }
    }
    Ok(())
}

fn check_number(n: i64, limits: &[Limit], at: &Path<'_>) -> Result<(), Violation> {
    for l in limits {
        let ok = match *l {
            Limit::Minimum(m) => n >= m,
            Limit::Maximum(m) => n <= m,
            _ => true,
        };
        if !ok {
            return Err(limit(at, *l));
        }
    }
    Ok(())
}

impl CheckValue for String {
    fn check_value(&self, limits: &[Limit], _: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        check_text(self, limits, at)
    }
}

impl CheckValue for Password {
    fn check_value(&self, limits: &[Limit], _: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        check_text(self.expose_secret(), limits, at)
    }
}

impl CheckValue for FlexibleId {
    fn check_value(&self, limits: &[Limit], _: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        match self {
            FlexibleId::Text(t) => check_text(t, limits, at),
            FlexibleId::Number(_) => Ok(()),
        }
    }
}

impl CheckValue for i64 {
    fn check_value(&self, limits: &[Limit], _: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        check_number(*self, limits, at)
    }
}

impl CheckValue for Integerish {
    fn check_value(&self, limits: &[Limit], _: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        // Text limits apply to the string form only, as in JSON Schema.
        if let Some(text) = self.text() {
            check_text(text, limits, at)?;
        }
        check_number(self.get(), limits, at)
    }
}

macro_rules! no_limits {
    ($($t:ty),*) => {$(
        impl CheckValue for $t {
            fn check_value(&self, _: &[Limit], _: Microversion, _: &Path<'_>) -> Result<(), Violation> {
                Ok(())
            }
        }
    )*};
}

no_limits!(bool, Boolish, Timestamp, serde_json::Value);

impl CheckValue for BlockMigration {
    fn check_value(&self, _: &[Limit], v: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        version_rule(self.supported_range(), || "\"auto\"".into(), v, at)
    }
}

impl CheckValue for Networks {
    fn check_value(&self, limits: &[Limit], v: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        match self {
            Networks::List(list) => list.check_value(limits, v, at),
            keyword => version_rule(keyword.supported_range(), || format!("{:?}", keyword.keyword()), v, at),
        }
    }
}

/// Refuses a value outside the microversions that have it.
pub fn version_rule(
    range: VersionRange,
    describe: impl FnOnce() -> String,
    v: Microversion,
    at: &Path<'_>,
) -> Result<(), Violation> {
    if range.contains(v) {
        Ok(())
    } else {
        Err(Violation::Version {
            at: at.to_string(),
            value: describe(),
            range,
        })
    }
}

impl<T: CheckValue> CheckValue for EmptyOr<T> {
    fn check_value(&self, limits: &[Limit], v: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        match self {
            EmptyOr::Empty => Ok(()),
            EmptyOr::Value(x) => x.check_value(limits, v, at),
        }
    }
}

impl<T: CheckValue + PartialEq> CheckValue for Vec<T> {
    fn check_value(&self, limits: &[Limit], v: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        let mut items: &[Limit] = &[];
        for l in limits {
            let ok = match *l {
                Limit::MinItems(n) => self.len() >= n as usize,
                Limit::MaxItems(n) => self.len() <= n as usize,
                Limit::UniqueItems => !self.iter().enumerate().any(|(i, x)| self[..i].contains(x)),
                Limit::Items(inner) => {
                    items = inner;
                    true
                }
                _ => true,
            };
            if !ok {
                return Err(limit(at, *l));
            }
        }
        for (i, x) in self.iter().enumerate() {
            x.check_value(items, v, &Path::Index(at, i))?;
        }
        Ok(())
    }
}

impl<T: CheckValue> CheckValue for std::collections::BTreeMap<String, T> {
    fn check_value(&self, limits: &[Limit], v: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        let (mut keys, mut values): (&[Limit], &[Limit]) = (&[], &[]);
        for l in limits {
            match *l {
                Limit::MaxProperties(n) if self.len() > n as usize => return Err(limit(at, *l)),
                Limit::Keys(k) => keys = k,
                Limit::Values(x) => values = x,
                _ => {}
            }
        }
        for (k, x) in self {
            check_text(k, keys, &Path::KeyOf(at))?;
            x.check_value(values, v, &Path::Key(at, k))?;
        }
        Ok(())
    }
}

/// Presence rules and limits of a nested request object's fields (the generated `CheckValue`
/// of request object types calls this, then checks each set value).
pub fn check_members(
    fields: &'static [FieldInfo],
    object: &dyn Fields,
    v: Microversion,
    at: &Path<'_>,
) -> Result<(), Violation> {
    for first in slots(fields) {
        let state = object.field_state(first.slot);
        let problem = match (active(fields, first.slot, v), state) {
            (None, FieldState::Absent) => None,
            (None, _) => Some(FieldProblem::OutOfRange(union_range(fields, first.slot))),
            (Some(f), FieldState::Absent) if f.required_at(v) => Some(FieldProblem::Missing),
            (Some(f), FieldState::Null) if !f.nullable_at(v) => Some(FieldProblem::Null),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(Violation::Field {
                at: Path::Member(at, first.json).to_string(),
                problem,
            });
        }
    }
    Ok(())
}

/// Checks one set member of a nested request object.
pub fn check_member<T: CheckValue + ?Sized>(
    fields: &'static [FieldInfo],
    slot: u16,
    value: &T,
    v: Microversion,
    at: &Path<'_>,
) -> Result<(), Violation> {
    match active(fields, slot, v) {
        Some(f) => value.check_value(f.limits, v, &Path::Member(at, f.json)),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Writing JSON

/// Writes one JSON object straight into a buffer, key by key.
pub struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Starts an object (`{`).
    pub fn new(out: &'a mut Vec<u8>) -> ObjectWriter<'a> {
        out.push(b'{');
        ObjectWriter { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_json(self.out, key);
        self.out.push(b':');
    }

    /// `"key": value`.
    pub fn value<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.key(key);
        write_json(self.out, value);
    }

    /// `"key": null`.
    pub fn null(&mut self, key: &str) {
        self.key(key);
        self.out.extend_from_slice(b"null");
    }

    /// An `Option`: its value, or `null`.
    pub fn option<T: Serialize>(&mut self, key: &str, value: &Option<T>) {
        match value {
            Some(x) => self.value(key, x),
            None => self.null(key),
        }
    }

    /// A [`Nullable`]: its value or `null`; nothing when unset.
    pub fn nullable<T: Serialize>(&mut self, key: &str, value: &Nullable<T>) {
        match value {
            Nullable::Value(x) => self.value(key, x),
            Nullable::Null => self.null(key),
            Nullable::Unset => {}
        }
    }

    /// `"key": {` ... (the returned writer closes it).
    pub fn object(&mut self, key: &str) -> ObjectWriter<'_> {
        self.key(key);
        ObjectWriter::new(self.out)
    }

    /// `"key": [` ... (the returned writer closes it).
    pub fn array(&mut self, key: &str) -> ArrayWriter<'_> {
        self.key(key);
        self.out.push(b'[');
        ArrayWriter {
            out: self.out,
            first: true,
        }
    }

    /// Closes the object (`}`).
    pub fn end(self) {
        self.out.push(b'}');
    }
}

/// Serializes one of our values. Our types only have string map keys and `Serialize` impls
/// that cannot fail, and writing to a `Vec` cannot fail, so nothing can go wrong here.
fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let result = serde_json::to_writer(&mut *out, value);
    debug_assert!(result.is_ok(), "serializing one of our own values failed");
}

/// Writes the body of a request at `v` (after [`check_request`]).
pub fn write_request_body(info: &'static OperationInfo, request: &dyn Fields, v: Microversion, out: &mut Vec<u8>) {
    let Some(key) = info.key else {
        return;
    };
    let mut top = ObjectWriter::new(out);
    let set = |f: &&FieldInfo| f.range.contains(v) && request.field_state(f.slot) != FieldState::Absent;
    let body_fields = || info.request.iter().filter(|f| f.location == Location::Body).filter(set);
    match info.body {
        BodyKind::None => {}
        BodyKind::Null | BodyKind::ExactlyNull => top.null(key),
        BodyKind::ObjectOrNull if body_fields().next().is_none() => top.null(key),
        BodyKind::Object | BodyKind::ObjectOrNull => {
            let mut inner = top.object(key);
            for f in body_fields() {
                request.write_field(f.slot, f.json, &mut inner);
            }
            inner.end();
        }
    }
    for f in info.request.iter().filter(|f| f.location == Location::Top).filter(set) {
        request.write_field(f.slot, f.json, &mut top);
    }
    top.end();
}

/// Writes a parsed response object as Nova sends it at `v`: the fields of `fields` that exist
/// there, `null` for a required one that is empty. Says whether it wrote any.
pub fn write_response_fields(
    fields: &'static [FieldInfo],
    body: &dyn Fields,
    v: Microversion,
    w: &mut ObjectWriter<'_>,
) -> bool {
    let mut wrote = false;
    for f in fields
        .iter()
        .filter(|f| f.location == Location::Body && f.range.contains(v))
    {
        match body.field_state(f.slot) {
            FieldState::Absent => {}
            FieldState::Empty | FieldState::EmptyList if !f.required_at(v) => {}
            _ => {
                body.write_field(f.slot, f.json, w);
                wrote = true;
            }
        }
    }
    wrote
}

/// Writes a JSON array, item by item.
pub struct ArrayWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl ArrayWriter<'_> {
    /// Starts an object item.
    pub fn object(&mut self) -> ObjectWriter<'_> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        ObjectWriter::new(self.out)
    }

    /// Closes the array (`]`).
    pub fn end(self) {
        self.out.push(b']');
    }
}

// ---------------------------------------------------------------------------------------
// Query strings

/// A value that goes into a query string.
pub trait QueryValue {
    /// Appends `name=value` pairs (several for a list).
    fn push_query<'a>(&'a self, name: &'static str, query: &mut Vec<(&'static str, std::borrow::Cow<'a, str>)>);
}

impl QueryValue for String {
    fn push_query<'a>(&'a self, name: &'static str, query: &mut Vec<(&'static str, std::borrow::Cow<'a, str>)>) {
        query.push((name, self.as_str().into()));
    }
}

impl QueryValue for i64 {
    fn push_query<'a>(&'a self, name: &'static str, query: &mut Vec<(&'static str, std::borrow::Cow<'a, str>)>) {
        query.push((name, self.to_string().into()));
    }
}

impl QueryValue for bool {
    fn push_query<'a>(&'a self, name: &'static str, query: &mut Vec<(&'static str, std::borrow::Cow<'a, str>)>) {
        query.push((name, if *self { "true" } else { "false" }.into()));
    }
}

impl QueryValue for Boolish {
    fn push_query<'a>(&'a self, name: &'static str, query: &mut Vec<(&'static str, std::borrow::Cow<'a, str>)>) {
        query.push((name, if self.get() { "true" } else { "false" }.into()));
    }
}

impl QueryValue for Integerish {
    fn push_query<'a>(&'a self, name: &'static str, query: &mut Vec<(&'static str, std::borrow::Cow<'a, str>)>) {
        query.push((name, self.get().to_string().into()));
    }
}

impl QueryValue for Timestamp {
    fn push_query<'a>(&'a self, name: &'static str, query: &mut Vec<(&'static str, std::borrow::Cow<'a, str>)>) {
        query.push((name, self.as_str().into()));
    }
}

impl<T: QueryValue> QueryValue for Vec<T> {
    fn push_query<'a>(&'a self, name: &'static str, query: &mut Vec<(&'static str, std::borrow::Cow<'a, str>)>) {
        for x in self {
            x.push_query(name, query);
        }
    }
}

/// A value read from a query string (the fake cloud's reading of requests, `testing`).
pub trait FromQuery: Sized {
    /// Adds one `name=value` occurrence to the field's slot: a single value replaces, a list
    /// grows.
    fn add_query(slot: &mut Option<Self>, value: &str) -> Result<(), String>;
}

/// A single value, parsed from text.
pub trait QueryText: Sized {
    /// Parses the text form.
    fn from_query_text(text: &str) -> Result<Self, String>;
}

impl<T: QueryText> FromQuery for Vec<T> {
    fn add_query(slot: &mut Option<Self>, value: &str) -> Result<(), String> {
        slot.get_or_insert_with(Vec::new).push(T::from_query_text(value)?);
        Ok(())
    }
}

macro_rules! query_scalar {
    ($($t:ty => $parse:expr),* $(,)?) => {$(
        impl QueryText for $t {
            fn from_query_text(text: &str) -> Result<Self, String> {
                let parse: fn(&str) -> Result<$t, String> = $parse;
                parse(text)
            }
        }
        impl FromQuery for $t {
            fn add_query(slot: &mut Option<Self>, value: &str) -> Result<(), String> {
                *slot = Some(<$t as QueryText>::from_query_text(value)?);
                Ok(())
            }
        }
    )*};
}

query_scalar! {
    String => |t| Ok(t.to_string()),
    i64 => |t| t.parse().map_err(|_| "expected an integer".to_string()),
    bool => |t| t.parse().map_err(|_| "expected true or false".to_string()),
    Timestamp => |t| Timestamp::parse(t).map_err(|e| e.to_string()),
}

// ---------------------------------------------------------------------------------------
// Parsing

/// What is being read, for error messages: "`rebuild` response at 2.63".
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The operation.
    pub operation: &'static str,
    /// `"response"` or `"request"`.
    pub what: &'static str,
    /// The microversion.
    pub version: Microversion,
}

impl Context {
    /// A decode error in this context.
    pub fn error(&self, message: impl Into<String>) -> DecodeError {
        DecodeError::new(self.to_string(), message)
    }

    fn json(&self, e: &serde_json::Error) -> DecodeError {
        DecodeError::json(self.to_string(), e)
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {} at {}", self.operation, self.what, self.version)
    }
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Reads a whole body as `T`.
pub fn parse<T: DeserializeOwned>(body: &[u8], context: &Context) -> Result<T, DecodeError> {
    if is_blank(body) {
        return Err(context.error("empty body where JSON was expected"));
    }
    serde_json::from_slice(body).map_err(|e| context.json(&e))
}

/// Reads `{wrap: T, ...}` (other top-level keys are ignored).
pub fn parse_wrapped<T: DeserializeOwned>(
    body: &[u8],
    wrap: &'static str,
    context: &Context,
) -> Result<T, DecodeError> {
    if is_blank(body) {
        return Err(context.error("empty body where JSON was expected"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = de
        .deserialize_map(Wrapped::<T> {
            key: wrap,
            links: None,
            _t: std::marker::PhantomData,
        })
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| context.json(&e))?;
    value.0.ok_or_else(|| context.error(format!("missing `{wrap}`")))
}

/// Reads a page: `{wrap: [T...], links_key: [...]}`.
pub fn parse_page<T: DeserializeOwned>(
    body: &[u8],
    wrap: &'static str,
    links: Option<&'static str>,
    context: &Context,
) -> Result<Page<T>, DecodeError> {
    if is_blank(body) {
        return Err(context.error("empty body where JSON was expected"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let (items, links) = de
        .deserialize_map(Wrapped::<Vec<T>> {
            key: wrap,
            links,
            _t: std::marker::PhantomData,
        })
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| context.json(&e))?;
    let items = items.ok_or_else(|| context.error(format!("missing `{wrap}`")))?;
    Ok(Page::new(items, links))
}

/// Finds one key in an object and reads its value as `T` (and the paging links, when asked);
/// skips everything else without building it.
struct Wrapped<T> {
    key: &'static str,
    links: Option<&'static str>,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Wrapped<T> {
    type Value = (Option<T>, Option<Vec<Link>>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with `{}`", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut value = None;
        let mut links = None;
        while let Some(key) = map.next_key::<KeyName<'de>>()? {
            if key.0 == self.key {
                if value.is_some() {
                    return Err(de::Error::duplicate_field(self.key));
                }
                value = Some(map.next_value::<T>()?);
            } else if Some(key.0.as_ref()) == self.links {
                links = Some(map.next_value::<Vec<Link>>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok((value, links))
    }
}

/// A map key, borrowed from the input when it has no escapes.
pub struct KeyName<'de>(pub std::borrow::Cow<'de, str>);

impl<'de> de::Deserialize<'de> for KeyName<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<KeyName<'de>, E> {
                Ok(KeyName(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyName<'de>, E> {
                Ok(KeyName(v.to_owned().into()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<KeyName<'de>, E> {
                Ok(KeyName(v.into()))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// The last path segment of a `Location` header (the ID of what it points to).
pub fn location_id(location: Option<&str>) -> Option<String> {
    let location = location?.trim_end_matches('/');
    let id = location.rsplit('/').next()?;
    (!id.is_empty()).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value type applies the limits given to it, including those no spec field gives
    /// it today (a number's bounds, a secret's length, a map's size).
    #[test]
    fn every_value_type_applies_its_limits() {
        let v = Microversion::new(2, 1);
        let at = Path::Field("f");
        let refused = |r: Result<(), Violation>| matches!(r, Err(Violation::Limit { .. }));
        assert!(refused(5i64.check_value(&[Limit::Minimum(6)], v, &at)));
        assert!(refused(7i64.check_value(&[Limit::Maximum(6)], v, &at)));
        assert!(
            6i64.check_value(&[Limit::Minimum(6), Limit::Maximum(6)], v, &at)
                .is_ok()
        );
        let secret = Password::from("abc");
        assert!(refused(secret.check_value(&[Limit::MaxLength(2)], v, &at)));
        assert!(secret.check_value(&[Limit::MaxLength(3)], v, &at).is_ok());
        let text = String::from("abc");
        assert!(refused(text.check_value(&[Limit::MinLength(4)], v, &at)));
        let map: std::collections::BTreeMap<String, String> =
            [("a".into(), "1".into()), ("b".into(), "2".into())].into();
        assert!(refused(map.check_value(&[Limit::MaxProperties(1)], v, &at)));
        assert!(map.check_value(&[Limit::MaxProperties(2)], v, &at).is_ok());
    }
}
