//! Checks: a request's fields against a microversion before anything is sent (presence,
//! nullability, Nova's value limits, values that exist only in some microversions), and a
//! parsed response against what the microversion requires.

use std::fmt;

use super::BodyKind;
use super::parse::Context;
use super::{FieldInfo, FieldState, Fields, Location, RequestShape, active, slots, union_range};
use crate::error::{ActionError, DecodeError};
use crate::limits::Limit;
use crate::microversion::{Microversion, VersionRange};
use crate::primitive::{BlockMigration, Boolish, EmptyOr, FlexibleId, Integerish, Password, Timestamp};

/// Checks a request's fields against their ranges, required-ness and nullability at `v`.
pub fn check_request(info: &'static RequestShape, request: &dyn Fields, v: Microversion) -> Result<(), ActionError> {
    // `object_or_null` with no body field set sends `{key: null}`, which Nova accepts in every
    // version: what is required applies to the object only when one is sent.
    let null_body = info.body == BodyKind::ObjectOrNull
        && slots(info.fields)
            .filter(|f| f.location == Location::Body)
            .all(|f| request.field_state(f.slot) == FieldState::Absent);
    for first in slots(info.fields) {
        let state = request.field_state(first.slot);
        let field = || first.json.to_string();
        match (active(info.fields, first.slot, v), state) {
            (None, FieldState::Absent) => {}
            (None, _) => {
                return Err(ActionError::FieldOutOfRange {
                    operation: info.operation,
                    field: field(),
                    range: union_range(info.fields, first.slot),
                    version: v,
                });
            }
            (Some(f), FieldState::Absent) if f.required_at(v) && !(null_body && f.location == Location::Body) => {
                return Err(ActionError::MissingField {
                    operation: info.operation,
                    field: field(),
                    version: v,
                });
            }
            (Some(f), FieldState::Null) if !f.nullable_at(v) => {
                return Err(ActionError::NullNotAllowed {
                    operation: info.operation,
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
    info: &'static RequestShape,
    slot: u16,
    value: &T,
    v: Microversion,
) -> Result<(), ActionError> {
    let Some(field) = active(info.fields, slot, v) else {
        return Ok(()); // check_request reported it
    };
    value
        .check_value(field.limits, v, &Path::Field(field.json))
        .map_err(|violation| violation.into_error(info.operation, v))
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

impl CheckValue for f64 {
    fn check_value(&self, limits: &[Limit], _: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        for l in limits {
            let ok = match *l {
                Limit::Minimum(m) => *self >= m as f64,
                Limit::Maximum(m) => *self <= m as f64,
                _ => true,
            };
            if !ok {
                return Err(limit(at, *l));
            }
        }
        Ok(())
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
