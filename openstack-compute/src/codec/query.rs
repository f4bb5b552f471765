//! Query strings: values written as `name=value` pairs, and (for the fake cloud) read back.

use crate::primitive::{Boolish, Integerish, Timestamp};

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
