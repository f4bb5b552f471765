//! JSON bodies written straight into bytes: a request at a microversion, and (for the fake
//! cloud and the tests) a response as Nova sends it.

use std::cell::Cell;

use serde::Serialize;

use super::{BodyKind, FieldInfo, FieldState, Fields, Location, RequestShape};
use crate::microversion::{Microversion, VersionRange};
use crate::primitive::Nullable;

thread_local! {
    /// The microversion a response is being written at, on this thread.
    static WRITING_AT: Cell<Option<Microversion>> = const { Cell::new(None) };
}

/// While alive, a response is being written at a microversion on this thread: the named
/// objects nested in it write only the fields that microversion has (a response's own fields
/// are written by its table). Set by the generated `write_response`; restores what was set
/// before when dropped.
pub struct WritingAt(Option<Microversion>);

impl WritingAt {
    /// Writes at `v` until dropped.
    pub fn new(v: Microversion) -> WritingAt {
        WritingAt(WRITING_AT.with(|at| at.replace(Some(v))))
    }
}

impl Drop for WritingAt {
    fn drop(&mut self) {
        WRITING_AT.with(|at| at.set(self.0));
    }
}

/// Whether a field of a named object that exists in `range` is written now: always, except
/// inside a response written at a microversion outside it ([`WritingAt`]).
pub fn written(range: VersionRange) -> bool {
    WRITING_AT.with(Cell::get).is_none_or(|v| range.contains(v))
}

/// Writes one JSON object straight into a buffer, key by key.
pub struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    /// Writes one value alone, without braces or key: a map that is a whole body.
    bare: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Starts an object (`{`).
    pub fn new(out: &'a mut Vec<u8>) -> ObjectWriter<'a> {
        out.push(b'{');
        ObjectWriter {
            out,
            first: true,
            bare: false,
        }
    }

    /// A writer of one value with no key around it (the entries of a map that is the body).
    pub fn bare(out: &'a mut Vec<u8>) -> ObjectWriter<'a> {
        ObjectWriter {
            out,
            first: true,
            bare: true,
        }
    }

    fn key(&mut self, key: &str) {
        if self.bare {
            return;
        }
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
        if !self.bare {
            self.out.push(b'}');
        }
    }
}

/// Serializes one of our values. Our types only have string map keys and `Serialize` impls
/// that cannot fail, and writing to a `Vec` cannot fail, so nothing can go wrong here.
fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let result = serde_json::to_writer(&mut *out, value);
    debug_assert!(result.is_ok(), "serializing one of our own values failed");
}

/// Writes the body of a request at `v` (after [`check_request`](super::check_request)); nothing
/// for a request without a body.
pub fn write_request_body(info: &'static RequestShape, request: &dyn Fields, v: Microversion, out: &mut Vec<u8>) {
    let set = |f: &&FieldInfo| f.range.contains(v) && request.field_state(f.slot) != FieldState::Absent;
    let at = |location: Location| info.fields.iter().filter(move |f| f.location == location).filter(set);
    if info.body == BodyKind::Entries {
        // The one map field is the body; its writer writes it under no key.
        match at(Location::Entries).next() {
            Some(f) => request.write_field(f.slot, "", &mut ObjectWriter::bare(out)),
            None => out.extend_from_slice(b"{}"),
        }
        return;
    }
    let mut top = ObjectWriter::new(out);
    match (info.body, info.key) {
        (BodyKind::None | BodyKind::Entries, _) => {}
        (BodyKind::Fields, _) | (_, None) => {
            for f in at(Location::Body) {
                request.write_field(f.slot, f.json, &mut top);
            }
        }
        (BodyKind::Null | BodyKind::ExactlyNull, Some(key)) => top.null(key),
        (BodyKind::ObjectOrNull, Some(key)) if at(Location::Body).next().is_none() => top.null(key),
        (BodyKind::Object | BodyKind::ObjectOrNull, Some(key)) => {
            let mut inner = top.object(key);
            for f in at(Location::Body) {
                request.write_field(f.slot, f.json, &mut inner);
            }
            inner.end();
        }
    }
    for f in at(Location::Top) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_written_at_a_version_writes_that_versions_nested_fields_and_then_all() {
        let until_2_35 = VersionRange::new(Microversion::new(2, 1), Microversion::new(2, 35));
        assert!(written(until_2_35), "outside a response: every field");
        {
            let _outer = WritingAt::new(Microversion::new(2, 57));
            assert!(!written(until_2_35));
            {
                let _inner = WritingAt::new(Microversion::new(2, 1));
                assert!(written(until_2_35));
            }
            assert!(!written(until_2_35), "the outer version is back");
        }
        assert!(written(until_2_35));
    }
}
