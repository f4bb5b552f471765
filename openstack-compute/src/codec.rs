//! Helpers the generated code calls. Nothing here is specific to one operation.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::{ActionError, DecodeError};
use crate::microversion::{Microversion, VersionRange};
use crate::primitive::VersionedValue;

/// Deserializes a field that may be absent (outer `None`, via `#[serde(default)]`), `null`
/// (`Some(None)`), or a value.
pub fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A query-string value: strings as they are, anything else in its JSON spelling.
pub fn query_value<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The last path segment of a `Location` header (the id of what it points to).
pub fn location_id(location: Option<&str>) -> Option<String> {
    let location = location?.trim_end_matches('/');
    let id = location.rsplit('/').next()?;
    (!id.is_empty()).then(|| id.to_string())
}

/// Wraps `inner` as `{key: inner}`.
pub fn wrap(key: &str, inner: Value) -> Value {
    let mut map = serde_json::Map::with_capacity(1);
    map.insert(key.to_string(), inner);
    Value::Object(map)
}

/// Takes `body[key]` out of a `{key: ...}` request body, requiring exactly that one key.
pub fn unwrap_request(operation: &str, key: &str, body: &Value) -> Result<Value, DecodeError> {
    match body {
        Value::Object(map) if map.len() == 1 && map.contains_key(key) => Ok(map[key].clone()),
        _ => Err(DecodeError::new(
            format!("`{operation}` request"),
            format!("expected an object with the single key `{key}`"),
        )),
    }
}

/// Parses a response body, treating an empty body as `{}` when `body_expected` is false.
pub fn parse_body<T: serde::de::DeserializeOwned>(
    context: &dyn Fn() -> String,
    body: &[u8],
    body_expected: bool,
) -> Result<T, DecodeError> {
    let trimmed = body.iter().all(u8::is_ascii_whitespace);
    if trimmed {
        if body_expected {
            return Err(DecodeError::new(context(), "empty body where JSON was expected"));
        }
        return serde_json::from_value(Value::Object(Default::default())).map_err(|e| DecodeError::json(context(), &e));
    }
    serde_json::from_slice(body).map_err(|e| DecodeError::json(context(), &e))
}

/// Splits a response body `{wrap: {...}, other...}` into the wrapped object and the rest.
pub fn unwrap_response(
    context: &dyn Fn() -> String,
    wrap: &str,
    body: Value,
) -> Result<(Value, serde_json::Map<String, Value>), DecodeError> {
    match body {
        Value::Object(mut map) => match map.remove(wrap) {
            Some(inner) => Ok((inner, map)),
            None => Err(DecodeError::new(context(), format!("missing `{wrap}`"))),
        },
        _ => Err(DecodeError::new(context(), "expected a JSON object")),
    }
}

/// `"rebuild response at 2.63"`.
pub fn context(operation: &str, what: &str, version: Microversion) -> String {
    format!("`{operation}` {what} at {version}")
}

/// Serializes one of our types. Our types only have string map keys and infallible
/// `Serialize` impls, so serde_json cannot fail here; `Null` would only mark a bug in this crate.
pub fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Whether a request field is set, and to what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldState {
    Unset,
    Null,
    Value,
}

/// One range in which a request field exists, with where it is required and may be null.
#[derive(Debug, Clone, Copy)]
pub struct FieldRule {
    pub range: VersionRange,
    pub required: Option<VersionRange>,
    pub nullable: Option<VersionRange>,
}

/// Checks a request field's state against the rules of its operation at `version`.
pub fn check_field(
    operation: &'static str,
    field: &'static str,
    state: FieldState,
    rules: &[FieldRule],
    version: Microversion,
) -> Result<(), ActionError> {
    let rule = rules.iter().find(|r| r.range.contains(version));
    match (rule, state) {
        (None, FieldState::Unset) => Ok(()),
        (None, _) => {
            let min = rules.iter().map(|r| r.range.min).min().unwrap_or(Microversion::MIN);
            let max = rules.iter().map(|r| r.range.max).max().unwrap_or(Microversion::MAX);
            Err(ActionError::FieldOutOfRange {
                operation,
                field,
                range: VersionRange::new(min, max),
                version,
            })
        }
        (Some(rule), FieldState::Unset) if rule.required.is_some_and(|r| r.contains(version)) => {
            Err(ActionError::MissingField {
                operation,
                field,
                version,
            })
        }
        (Some(rule), FieldState::Null) if !rule.nullable.is_some_and(|r| r.contains(version)) => {
            Err(ActionError::NullNotAllowed {
                operation,
                field,
                version,
            })
        }
        _ => Ok(()),
    }
}

/// Checks a value whose own microversion range matters (`block_migration: "auto"`).
pub fn check_value<T: VersionedValue>(
    operation: &'static str,
    field: &'static str,
    value: &T,
    version: Microversion,
) -> Result<(), ActionError> {
    let range = value.supported_range();
    if range.contains(version) {
        Ok(())
    } else {
        Err(ActionError::ValueOutOfRange {
            operation,
            field,
            value: value.describe(),
            range,
            version,
        })
    }
}

// Field helpers for the generated response types: each takes a field out of the object map
// (what remains becomes `extra`) or writes one into a map serializer. Errors name the field.

fn field_error<E: serde::de::Error>(key: &str, e: serde_json::Error) -> E {
    E::custom(format_args!("field `{key}`: {e}"))
}

/// A field that must be present and not null.
pub fn take_required<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    map: &mut serde_json::Map<String, Value>,
    key: &'static str,
) -> Result<T, E> {
    match map.remove(key) {
        Some(v) => T::deserialize(v).map_err(|e| field_error(key, e)),
        None => Err(E::missing_field(key)),
    }
}

/// A field that is always sent and may be null (absent reads as null).
pub fn take_nullable<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    map: &mut serde_json::Map<String, Value>,
    key: &'static str,
) -> Result<Option<T>, E> {
    match map.remove(key) {
        Some(v) => Option::<T>::deserialize(v).map_err(|e| field_error(key, e)),
        None => Ok(None),
    }
}

/// A field that may be absent.
pub fn take_optional<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    map: &mut serde_json::Map<String, Value>,
    key: &'static str,
) -> Result<Option<T>, E> {
    take_nullable(map, key)
}

/// A field that may be absent or null, kept apart.
pub fn take_optional_nullable<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    map: &mut serde_json::Map<String, Value>,
    key: &'static str,
) -> Result<Option<Option<T>>, E> {
    match map.remove(key) {
        Some(v) => Option::<T>::deserialize(v).map(Some).map_err(|e| field_error(key, e)),
        None => Ok(None),
    }
}

/// A field that is not in the body (filled from a header).
pub fn take_none<T, E>(_map: &mut serde_json::Map<String, Value>, _key: &'static str) -> Result<Option<T>, E> {
    Ok(None)
}

/// Writes a field that is always sent (`None` as null).
pub fn put_required<M: serde::ser::SerializeMap, T: Serialize + ?Sized>(
    out: &mut M,
    key: &str,
    value: &T,
) -> Result<(), M::Error> {
    out.serialize_entry(key, value)
}

/// Writes a field when it is present.
pub fn put_optional<M: serde::ser::SerializeMap, T: Serialize>(
    out: &mut M,
    key: &str,
    value: &Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => out.serialize_entry(key, v),
        None => Ok(()),
    }
}

/// A field that is not in the body.
pub fn put_none<M: serde::ser::SerializeMap, T>(_out: &mut M, _key: &str, _value: &T) -> Result<(), M::Error> {
    Ok(())
}
