//! Wire values that Nova spells more than one way, and secrets.
//!
//! Nova accepts `"False"` where a boolean is expected, `"1"` where an integer is, and sends
//! `""` where a server has no image. These types accept every spelling Nova does and write back
//! the spelling they read, so that parsing a body and writing it again loses nothing. Values
//! built in code are written in the plain JSON form (`false`, `1`).

use std::fmt;
use std::time::SystemTime;

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use serde_json::Value;

use crate::microversion::{Microversion, VersionRange};

const TRUE_SPELLINGS: [&str; 10] = ["True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes"];
const FALSE_SPELLINGS: [&str; 10] = ["False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no"];

/// Nova's boolean parameter: JSON `true`/`false`, or one of the strings Nova's
/// `parameter_types.boolean` accepts (`"True"`, `"yes"`, `"0"`, ...). JSON numbers are refused,
/// as Nova refuses them.
///
/// ```
/// use openstack_compute::types::Boolish;
///
/// let parsed: Boolish = serde_json::from_str(r#""False""#)?;
/// assert_eq!(parsed, false);
/// assert_eq!(serde_json::to_string(&parsed)?, r#""False""#); // written back as read
/// assert_eq!(serde_json::to_string(&Boolish::from(true))?, "true");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Default)]
pub struct Boolish {
    value: bool,
    spelling: Option<&'static str>,
}

impl Boolish {
    /// The boolean value.
    pub fn get(self) -> bool {
        self.value
    }
}

impl From<bool> for Boolish {
    fn from(value: bool) -> Boolish {
        Boolish { value, spelling: None }
    }
}

impl PartialEq for Boolish {
    fn eq(&self, other: &Boolish) -> bool {
        self.value == other.value
    }
}

impl Eq for Boolish {}

impl PartialEq<bool> for Boolish {
    fn eq(&self, other: &bool) -> bool {
        self.value == *other
    }
}

impl fmt::Debug for Boolish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.spelling {
            Some(s) => write!(f, "{:?} ({s:?})", self.value),
            None => write!(f, "{:?}", self.value),
        }
    }
}

impl Serialize for Boolish {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.spelling {
            Some(text) => s.serialize_str(text),
            None => s.serialize_bool(self.value),
        }
    }
}

impl<'de> Deserialize<'de> for Boolish {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Boolish;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a boolean, or one of the strings Nova accepts as one (\"True\", \"false\", \"yes\", \"0\", ...)",
                )
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Boolish, E> {
                Ok(Boolish::from(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Boolish, E> {
                if let Some(s) = TRUE_SPELLINGS.iter().find(|s| **s == v) {
                    return Ok(Boolish {
                        value: true,
                        spelling: Some(s),
                    });
                }
                if let Some(s) = FALSE_SPELLINGS.iter().find(|s| **s == v) {
                    return Ok(Boolish {
                        value: false,
                        spelling: Some(s),
                    });
                }
                Err(E::invalid_value(
                    de::Unexpected::Other("a string Nova does not read as a boolean"),
                    &self,
                ))
            }
        }
        d.deserialize_any(V)
    }
}

/// Nova's integer-or-digit-string parameter (`rotation`, `length`): a JSON integer, or a string
/// of digits, which is written back as read. Made from any integer type; from `u64` and
/// `usize` it saturates at `i64::MAX` (see the `From<u64>` impl for why).
///
/// ```
/// use openstack_compute::types::Integerish;
///
/// let n: Integerish = serde_json::from_str(r#""50""#)?;
/// assert_eq!(n.get(), 50);
/// assert_eq!(serde_json::to_string(&n)?, r#""50""#);
/// assert_eq!(serde_json::to_string(&Integerish::from(7))?, "7");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Integerish {
    value: i64,
    text: Option<Box<str>>,
}

impl Integerish {
    /// The integer value.
    pub fn get(&self) -> i64 {
        self.value
    }

    /// The digit string, when the value was read from one (`None` for a JSON number).
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }
}

impl From<i64> for Integerish {
    fn from(value: i64) -> Integerish {
        Integerish { value, text: None }
    }
}

impl From<u32> for Integerish {
    fn from(value: u32) -> Integerish {
        Integerish::from(i64::from(value))
    }
}

impl From<i32> for Integerish {
    fn from(value: i32) -> Integerish {
        Integerish::from(i64::from(value))
    }
}

/// Saturating: a value above `i64::MAX` becomes `i64::MAX`. Why not an error: the setters
/// take `impl Into<Integerish>`, so that a count held in a `u64` or a `usize` (`ids.len()`)
/// can be given as is, and only an infallible conversion allows that. Why that is safe: every
/// integer field Nova reads this way (counts, `rotation`, `length`) is bounded by Nova far
/// below `i64::MAX` (a quota, the images or log lines there are), so Nova answers `i64::MAX`
/// exactly as it would the larger value. And the value stays an integer this SDK can read
/// back, which a digit string above `i64::MAX` would not be.
impl From<u64> for Integerish {
    fn from(value: u64) -> Integerish {
        Integerish::from(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

/// Saturating, as from `u64` (only a 64-bit `usize` can exceed `i64::MAX`).
impl From<usize> for Integerish {
    fn from(value: usize) -> Integerish {
        Integerish::from(u64::try_from(value).unwrap_or(u64::MAX))
    }
}

impl PartialEq for Integerish {
    fn eq(&self, other: &Integerish) -> bool {
        self.value == other.value
    }
}

impl Eq for Integerish {}

impl fmt::Debug for Integerish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.text {
            Some(t) => write!(f, "{} ({t:?})", self.value),
            None => write!(f, "{}", self.value),
        }
    }
}

impl Serialize for Integerish {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.text {
            Some(t) => s.serialize_str(t),
            None => s.serialize_i64(self.value),
        }
    }
}

impl<'de> Deserialize<'de> for Integerish {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Integerish;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string of digits")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Integerish, E> {
                Ok(Integerish::from(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Integerish, E> {
                i64::try_from(v)
                    .map(Integerish::from)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Integerish, E> {
                let digits = v.strip_prefix('-').unwrap_or(v);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::invalid_value(
                        de::Unexpected::Other("a string that is not an integer"),
                        &self,
                    ));
                }
                let value = v
                    .parse()
                    .map_err(|_| E::invalid_value(de::Unexpected::Other("an integer out of range"), &self))?;
                Ok(Integerish {
                    value,
                    text: Some(v.into()),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// An ID that Nova accepts as a string or a number (`flavorRef`, `networkId`). Written back as
/// read.
#[derive(Clone, PartialEq, Eq)]
pub enum FlexibleId {
    /// A string ID, the usual form.
    Text(String),
    /// A numeric ID.
    Number(serde_json::Number),
}

impl FlexibleId {
    /// The ID as text, whatever form it came in.
    pub fn to_text(&self) -> String {
        match self {
            FlexibleId::Text(t) => t.clone(),
            FlexibleId::Number(n) => n.to_string(),
        }
    }
}

impl Default for FlexibleId {
    fn default() -> Self {
        FlexibleId::Text(String::new())
    }
}

impl fmt::Debug for FlexibleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlexibleId::Text(t) => write!(f, "{t:?}"),
            FlexibleId::Number(n) => write!(f, "{n}"),
        }
    }
}

impl From<&str> for FlexibleId {
    fn from(v: &str) -> Self {
        FlexibleId::Text(v.to_owned())
    }
}

impl From<String> for FlexibleId {
    fn from(v: String) -> Self {
        FlexibleId::Text(v)
    }
}

impl From<u64> for FlexibleId {
    fn from(v: u64) -> Self {
        FlexibleId::Number(v.into())
    }
}

impl Serialize for FlexibleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FlexibleId::Text(t) => s.serialize_str(t),
            FlexibleId::Number(n) => n.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for FlexibleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(FlexibleId::Text(s)),
            Value::Number(n) => Ok(FlexibleId::Number(n)),
            other => Err(de::Error::invalid_type(unexpected(&other), &"a string or a number")),
        }
    }
}

/// A field that is either a value or the empty string, as `image` is `""` on a server booted
/// from a volume.
#[derive(Clone, Debug, PartialEq)]
pub enum EmptyOr<T> {
    /// Nova sent `""`.
    Empty,
    /// Nova sent a value.
    Value(T),
}

impl<T> EmptyOr<T> {
    /// The value, or `None` for `""`.
    pub fn value(&self) -> Option<&T> {
        match self {
            EmptyOr::Empty => None,
            EmptyOr::Value(v) => Some(v),
        }
    }
}

impl From<&str> for EmptyOr<String> {
    /// `""` is [`EmptyOr::Empty`] (an image-less, volume-backed server's `imageRef`).
    fn from(v: &str) -> Self {
        EmptyOr::from(v.to_string())
    }
}

impl From<String> for EmptyOr<String> {
    /// `""` is [`EmptyOr::Empty`].
    fn from(v: String) -> Self {
        if v.is_empty() {
            EmptyOr::Empty
        } else {
            EmptyOr::Value(v)
        }
    }
}

impl<T: Serialize> Serialize for EmptyOr<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            EmptyOr::Empty => s.serialize_str(""),
            EmptyOr::Value(v) => v.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for EmptyOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Straight from the input: `""` is Empty, an object or any other string is `T`.
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> de::Visitor<'de> for V<T> {
            type Value = EmptyOr<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"\" or a value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EmptyOr<T>, E> {
                if v.is_empty() {
                    return Ok(EmptyOr::Empty);
                }
                T::deserialize(de::value::StrDeserializer::new(v)).map(EmptyOr::Value)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<EmptyOr<T>, E> {
                if v.is_empty() {
                    return Ok(EmptyOr::Empty);
                }
                T::deserialize(de::value::BorrowedStrDeserializer::new(v)).map(EmptyOr::Value)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<EmptyOr<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(EmptyOr::Value)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<EmptyOr<T>, A::Error> {
                T::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(EmptyOr::Value)
            }
            // A number (a flavor's `swap`, `""` or MiB).
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EmptyOr<T>, E> {
                T::deserialize(de::value::I64Deserializer::new(v)).map(EmptyOr::Value)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EmptyOr<T>, E> {
                T::deserialize(de::value::U64Deserializer::new(v)).map(EmptyOr::Value)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<EmptyOr<T>, E> {
                T::deserialize(de::value::F64Deserializer::new(v)).map(EmptyOr::Value)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `os-migrateLive`'s `block_migration`: a boolean, or `"auto"` (2.25+) to let Nova decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockMigration {
    /// `"auto"`: block migration unless the disks are on shared storage (2.25+).
    Auto,
    /// An explicit choice.
    Flag(Boolish),
}

impl Default for BlockMigration {
    fn default() -> Self {
        BlockMigration::Flag(Boolish::from(false))
    }
}

impl From<bool> for BlockMigration {
    fn from(v: bool) -> Self {
        BlockMigration::Flag(Boolish::from(v))
    }
}

impl BlockMigration {
    /// The microversions in which this value may be sent (`"auto"`: 2.25+).
    pub fn supported_range(&self) -> VersionRange {
        match self {
            BlockMigration::Auto => VersionRange::since(Microversion::new(2, 25)),
            BlockMigration::Flag(_) => VersionRange::ALL,
        }
    }
}

impl Serialize for BlockMigration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            BlockMigration::Auto => s.serialize_str("auto"),
            BlockMigration::Flag(b) => b.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for BlockMigration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if s == "auto" => Ok(BlockMigration::Auto),
            other => Boolish::deserialize(other)
                .map(BlockMigration::Flag)
                .map_err(de::Error::custom),
        }
    }
}

/// A field that may be absent, `null`, or a value, where the three mean different things:
/// in a request, unset leaves a field alone and `null` clears it (rebuild's `description`); in
/// a response, absent means the caller may not see it and `null` that there is nothing
/// (`OS-EXT-SRV-ATTR:host`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Nullable<T> {
    /// Not set, or not sent.
    #[default]
    Unset,
    /// `null`.
    Null,
    /// A value.
    Value(T),
}

impl<T> Nullable<T> {
    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if there is one.
    pub fn into_value(self) -> Option<T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Whether it is unset (absent).
    pub fn is_unset(&self) -> bool {
        matches!(self, Nullable::Unset)
    }

    /// Whether it is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Nullable::Null)
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    /// `Some` is a value, `None` is `null`.
    fn from(v: Option<T>) -> Self {
        match v {
            Some(x) => Nullable::Value(x),
            None => Nullable::Null,
        }
    }
}

/// A secret string (`adminPass`): sent and received as a plain JSON string, but never shown by
/// `Debug`, never in an error, never in a trace.
///
/// ```
/// use openstack_compute::types::Password;
///
/// let p = Password::from("hunter2");
/// assert_eq!(format!("{p:?}"), "Password(<redacted>)");
/// assert_eq!(p.expose_secret(), "hunter2");
/// ```
#[derive(Clone)]
pub struct Password(secrecy::SecretString);

impl Password {
    /// The secret itself. Call this only to hand it to the place that needs it.
    pub fn expose_secret(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(&self.0)
    }
}

impl Default for Password {
    fn default() -> Self {
        Password::from("")
    }
}

impl From<&str> for Password {
    fn from(v: &str) -> Self {
        Password(v.into())
    }
}

impl From<String> for Password {
    fn from(v: String) -> Self {
        Password(v.into())
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Password) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl Eq for Password {}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Serialize for Password {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose_secret())
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Password;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Password, E> {
                Ok(Password::from(v))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Password, E> {
                Ok(Password::from(v))
            }
            // serde's defaults would quote the offending value in the error; a mistyped
            // secret is still a secret.
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Password, E> {
                Err(E::invalid_type(de::Unexpected::Other("a boolean"), &self))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Password, E> {
                Err(E::invalid_type(de::Unexpected::Other("a number"), &self))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Password, E> {
                Err(E::invalid_type(de::Unexpected::Other("a number"), &self))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Password, E> {
                Err(E::invalid_type(de::Unexpected::Other("a number"), &self))
            }
        }
        // The error names the type only: the value, whatever it is, is never echoed.
        // (`deserialize_str` would let serde_json build the error itself, quoting a number.)
        d.deserialize_any(V)
    }
}

/// A point in time as Nova writes it: zoned (`2013-09-03T04:01:32Z`) or naive UTC
/// (`2018-04-25T01:26:36.790544`, the form of every instance-action time). Written back as read.
///
/// ```
/// use openstack_compute::types::Timestamp;
///
/// let naive = Timestamp::parse("2018-04-25T01:26:36.790544")?;
/// let zoned = Timestamp::parse("2018-04-25T01:26:36.790544Z")?;
/// assert_eq!(naive, zoned); // naive Nova times are UTC
/// assert_eq!(naive.as_str(), "2018-04-25T01:26:36.790544");
/// # Ok::<(), openstack_compute::types::ParseTimestampError>(())
/// ```
#[derive(Clone)]
pub struct Timestamp {
    text: Box<str>,
    instant: time::OffsetDateTime,
}

/// A string that is not an ISO 8601 date and time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an ISO 8601 date and time")]
pub struct ParseTimestampError {
    text: String,
}

impl Timestamp {
    /// Parses the forms Nova writes and reads: RFC 3339 / ISO 8601 with or without a zone
    /// (no zone means UTC).
    pub fn parse(text: &str) -> Result<Timestamp, ParseTimestampError> {
        use time::format_description::well_known::{Iso8601, Rfc3339};
        let instant = time::OffsetDateTime::parse(text, &Rfc3339)
            .or_else(|_| time::OffsetDateTime::parse(text, &Iso8601::DEFAULT))
            .or_else(|_| time::PrimitiveDateTime::parse(text, &Iso8601::DEFAULT).map(|t| t.assume_utc()))
            .map_err(|_| ParseTimestampError {
                text: text.chars().take(64).collect(),
            })?;
        Ok(Timestamp {
            text: text.into(),
            instant,
        })
    }

    /// The text as Nova wrote it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant, as a [`SystemTime`].
    pub fn to_system_time(&self) -> SystemTime {
        self.instant.into()
    }
}

impl From<SystemTime> for Timestamp {
    /// Written as RFC 3339 in UTC, e.g. `2026-11-22T10:00:00.5Z`.
    fn from(t: SystemTime) -> Timestamp {
        let instant = time::OffsetDateTime::from(t);
        let text = instant
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a SystemTime always formats as RFC 3339");
        Timestamp {
            text: text.into(),
            instant,
        }
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Timestamp) -> bool {
        self.instant == other.instant
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.instant.cmp(&other.instant)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 8601 date and time")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

pub(crate) fn unexpected(v: &Value) -> de::Unexpected<'_> {
    match v {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("a number"),
        Value::String(_) => de::Unexpected::Other("a string"),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<T: Serialize + de::DeserializeOwned>(json: &str) -> String {
        let v: T = serde_json::from_str(json).unwrap();
        serde_json::to_string(&v).unwrap()
    }

    #[test]
    fn boolish_keeps_every_spelling_and_refuses_numbers() {
        for s in TRUE_SPELLINGS.iter().chain(FALSE_SPELLINGS.iter()) {
            let json = format!("{s:?}");
            assert_eq!(roundtrip::<Boolish>(&json), json);
        }
        assert_eq!(roundtrip::<Boolish>("false"), "false");
        assert!(serde_json::from_str::<Boolish>("1").is_err());
        assert!(serde_json::from_str::<Boolish>("\"maybe\"").is_err());
        let t: Boolish = serde_json::from_str("\"YES\"").unwrap();
        assert!(t.get());
    }

    #[test]
    fn integerish_keeps_digit_strings() {
        assert_eq!(roundtrip::<Integerish>("\"0050\""), "\"0050\"");
        assert_eq!(roundtrip::<Integerish>("-1"), "-1");
        assert!(serde_json::from_str::<Integerish>("\"5a\"").is_err());
        assert!(serde_json::from_str::<Integerish>("\"\"").is_err());
        assert!(serde_json::from_str::<Integerish>("1.5").is_err());
    }

    #[test]
    fn integerish_from_unsigned_keeps_what_fits_and_saturates_above_i64_max() {
        let max = i64::MAX as u64;
        assert_eq!(Integerish::from(5u64).get(), 5);
        assert_eq!(Integerish::from(max).get(), i64::MAX);
        assert_eq!(Integerish::from(max + 1).get(), i64::MAX);
        assert_eq!(Integerish::from(u64::MAX).get(), i64::MAX);
        assert_eq!(Integerish::from(25usize).get(), 25);
        assert_eq!(
            Integerish::from(usize::MAX).get(),
            i64::try_from(usize::MAX).unwrap_or(i64::MAX)
        );
        // Written as a JSON integer, which reads back as the same value.
        let json = serde_json::to_string(&Integerish::from(u64::MAX)).unwrap();
        assert_eq!(json, i64::MAX.to_string());
        assert_eq!(
            serde_json::from_str::<Integerish>(&json).unwrap(),
            Integerish::from(i64::MAX)
        );
    }

    #[test]
    fn empty_or_reads_the_empty_string() {
        let e: EmptyOr<std::collections::BTreeMap<String, String>> = serde_json::from_str("\"\"").unwrap();
        assert_eq!(e, EmptyOr::Empty);
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"\"");
        assert!(serde_json::from_str::<EmptyOr<i64>>("\"x\"").is_err());
        // A flavor's swap: `""` or a number, each read as what it is.
        assert_eq!(serde_json::from_str::<EmptyOr<i64>>("0").unwrap(), EmptyOr::Value(0));
        assert_eq!(serde_json::from_str::<EmptyOr<i64>>("\"\"").unwrap(), EmptyOr::Empty);
        assert_eq!(serde_json::to_string(&EmptyOr::Value(512i64)).unwrap(), "512");
        assert!(serde_json::from_str::<EmptyOr<i64>>("1.5").is_err());
    }

    #[test]
    fn block_migration_auto_needs_2_25() {
        let auto: BlockMigration = serde_json::from_str("\"auto\"").unwrap();
        assert_eq!(auto, BlockMigration::Auto);
        assert!(!auto.supported_range().contains(Microversion::new(2, 24)));
        assert!(auto.supported_range().contains(Microversion::new(2, 25)));
        assert_eq!(roundtrip::<BlockMigration>("\"True\""), "\"True\"");
    }

    #[test]
    fn password_never_shows_and_never_echoes_in_errors() {
        let p: Password = serde_json::from_str("\"s3cr3t\"").unwrap();
        assert!(!format!("{p:?}").contains("s3cr3t"));
        let err = serde_json::from_str::<Password>("12345678").unwrap_err();
        assert!(!err.to_string().contains("12345678"), "{err}");
    }

    #[test]
    fn timestamps_naive_and_zoned() {
        for t in [
            "2013-09-03T04:01:32Z",
            "2021-08-19T15:16:22.177882",
            "2019-04-23T17:10:22+00:00",
            "2018-04-25T01:26:36",
        ] {
            assert_eq!(roundtrip::<Timestamp>(&format!("{t:?}")), format!("{t:?}"));
        }
        assert!(Timestamp::parse("yesterday").is_err());
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(Timestamp::from(now).as_str(), "2023-11-14T22:13:20Z");
        assert_eq!(Timestamp::from(now).to_system_time(), now);
    }
}
