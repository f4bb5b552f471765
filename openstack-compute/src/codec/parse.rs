//! Bodies read without an intermediate map: a whole body, the value under one key, or a page
//! of items with its links; every other key is skipped without being built.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::DecodeError;
use crate::microversion::Microversion;

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
        .deserialize_map(One::<T> {
            key: wrap,
            _t: std::marker::PhantomData,
        })
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| context.json(&e))?;
    value.ok_or_else(|| context.error(format!("missing `{wrap}`")))
}

/// Finds one key in an object and reads its value as `T`; skips everything else without
/// building it.
struct One<T> {
    key: &'static str,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned> Visitor<'de> for One<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with `{}`", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        let mut value = None;
        while let Some(key) = map.next_key::<KeyName<'de>>()? {
            if key.0 == self.key {
                if value.is_some() {
                    return Err(de::Error::duplicate_field(self.key));
                }
                value = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(value)
    }
}

/// Reads a page: `{wrap: [T...], links_key: [L...]}`, each item under `item_wrap` when given
/// (`{"keypairs": [{"keypair": {..}}]}`).
pub fn parse_page<T: DeserializeOwned, L: DeserializeOwned>(
    body: &[u8],
    wrap: &'static str,
    item_wrap: Option<&'static str>,
    links: Option<&'static str>,
    context: &Context,
) -> Result<(Vec<T>, Option<Vec<L>>), DecodeError> {
    if is_blank(body) {
        return Err(context.error("empty body where JSON was expected"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let (items, links) = de
        .deserialize_map(Wrapped::<Vec<T>, L> {
            key: wrap,
            links,
            item: item_wrap,
            _t: std::marker::PhantomData,
        })
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| context.json(&e))?;
    let items = items.ok_or_else(|| context.error(format!("missing `{wrap}`")))?;
    Ok((items, links))
}

/// The items of a list, each alone under `key` (`[{"keypair": {..}}, ..]`).
struct ItemsUnder<T> {
    key: &'static str,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for ItemsUnder<T> {
    type Value = Vec<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for ItemsUnder<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list of objects with `{}`", self.key)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(ItemUnder::<T> {
            key: self.key,
            _t: std::marker::PhantomData,
        })? {
            out.push(item);
        }
        Ok(out)
    }
}

/// One item alone under `key`.
struct ItemUnder<T> {
    key: &'static str,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for ItemUnder<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for ItemUnder<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with `{}` alone", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut item = None;
        while let Some(key) = map.next_key::<KeyName<'de>>()? {
            if key.0 != self.key {
                return Err(de::Error::custom(format_args!(
                    "unknown field `{}`, expected `{}` alone",
                    key.0, self.key
                )));
            }
            if item.is_some() {
                return Err(de::Error::duplicate_field(self.key));
            }
            item = Some(map.next_value::<T>()?);
        }
        item.ok_or_else(|| de::Error::missing_field(self.key))
    }
}

/// Finds the list under one key in an object, and the paging links under another; skips
/// everything else without building it.
struct Wrapped<T, L> {
    key: &'static str,
    links: Option<&'static str>,
    /// Each item of the list under `key` sits alone under this key.
    item: Option<&'static str>,
    _t: std::marker::PhantomData<(T, L)>,
}

impl<'de, T: DeserializeOwned, L: DeserializeOwned> Visitor<'de> for Wrapped<Vec<T>, L> {
    type Value = (Option<Vec<T>>, Option<Vec<L>>);

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
                value = Some(match self.item {
                    None => map.next_value::<Vec<T>>()?,
                    Some(key) => map.next_value_seed(ItemsUnder::<T> {
                        key,
                        _t: std::marker::PhantomData,
                    })?,
                });
            } else if Some(key.0.as_ref()) == self.links {
                links = Some(map.next_value::<Vec<L>>()?);
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
