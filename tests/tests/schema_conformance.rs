//! The SDK against Nova's own JSON schemas (with Nova's formats, `tests::nova_schema`):
//!
//! - every request body the SDK writes, with every field valid at a version set and with the
//!   required ones only, at both ends of each of Nova's request-schema ranges, passes Nova's
//!   schema there;
//! - at each value limit's boundaries, what the SDK refuses before sending Nova's schema
//!   refuses, and what it accepts Nova's schema accepts;
//! - each field left out and sent as `null`: what the SDK sends Nova's schema accepts, what it
//!   refuses Nova's schema refuses; a field from another microversion is always refused;
//! - every response sample (ours and Nova's) and every body the fake cloud sends passes Nova's
//!   response schema for its version, where Nova has one.

use std::collections::BTreeMap;

use openstack_compute::Microversion;
use serde_json::{Value, json};
use tests::nova_schema::{Printable, validator};
use xtask::drift::{Reference, nova_op_of};
use xtask::model::{Field, Model, Op};
use xtask::spec::{Limits, Location, TypeKind, Version};
use xtask::types::TypeExpr;

fn mv(v: Version) -> Microversion {
    Microversion::new(v.major, v.minor)
}

struct World {
    model: Model,
    reference: Reference,
    printable: Printable,
}

fn world() -> World {
    let model = Model::load(&tests::workspace_root()).expect("the spec loads");
    let dir = tests::rendered_reference();
    let reference = Reference::load(&dir, tests::RELEASE).expect("the reference loads");
    let printable =
        Printable::from_reference(&tests::reference_dir().join("nova-src/nova/api/openstack/compute/schemas"));
    World {
        model,
        reference,
        printable,
    }
}

/// A valid text value for these limits.
fn text(limits: Option<&Limits>) -> String {
    let l = limits.cloned().unwrap_or_default();
    let base = match (l.format.as_deref(), l.pattern.as_deref()) {
        (Some("uuid"), _) => "155d900f-4e14-4e4c-a73d-069cbf4541e6",
        (Some("ipv4" | "ip"), _) => "192.0.2.1",
        (Some("ipv6"), _) => "2001:db8::1",
        (Some("base64"), _) => "aGVsbG8=",
        (Some("date-time"), _) => "2026-01-01T00:00:00Z",
        (Some("regex"), _) => "^web",
        (Some("cidr"), _) => "10.0.0.0/24",
        (Some("uri"), _) => "http://example.com/x",
        (_, Some("^/[0-9a-f.:]+$")) => "/10.0.0.1",
        (_, Some("(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$")) => "/dev/vdb",
        (_, Some("^[0-9]*$" | "^[0-9]+$" | "^-?[0-9]+$")) => "1",
        _ => "web-1",
    };
    let mut s = base.to_string();
    if let Some(min) = l.min_length {
        while s.chars().count() < min as usize {
            s.push('a');
        }
    }
    if let Some(max) = l.max_length {
        s = s.chars().take(max as usize).collect();
    }
    s
}

fn number(limits: Option<&Limits>) -> i64 {
    let l = limits.cloned().unwrap_or_default();
    l.minimum.unwrap_or(1).max(1).min(l.maximum.unwrap_or(i64::MAX))
}

/// A valid value of `ty` at `v` (`None`: one this test cannot make up, a `json` field).
fn value(w: &World, ty: &TypeExpr, limits: Option<&Limits>, v: Version, all: bool) -> Option<Value> {
    Some(match ty {
        TypeExpr::Scalar("string" | "secret" | "timestamp") => json!(text(limits)),
        TypeExpr::Scalar("id") => json!(text(limits).replace("web-1", "1")),
        TypeExpr::Scalar("integer" | "integerish") => json!(number(limits)),
        TypeExpr::Scalar("boolean" | "boolish" | "block_migration") => json!(true),
        TypeExpr::Scalar("networks") => {
            if v >= Version::new(2, 37) {
                json!("auto")
            } else {
                json!([object(w, "Network", v, all)?])
            }
        }
        TypeExpr::Scalar(_) => return None,
        TypeExpr::Named(name) => {
            let t = w.model.ty(name).expect("a known type");
            if t.kind == TypeKind::Enum {
                json!(t.values.iter().find(|e| e.range.contains(v))?.json)
            } else {
                object(w, name, v, all)?
            }
        }
        TypeExpr::List(inner) => {
            let item_limits = limits.and_then(|l| l.items.as_deref());
            let item = value(w, inner, item_limits, v, all)?;
            json!([item])
        }
        TypeExpr::Map(inner) => {
            let values = limits.and_then(|l| l.values.as_deref());
            json!({"key-1": value(w, inner, values, v, all)?})
        }
        TypeExpr::EmptyOr(inner) => value(w, inner, limits, v, all)?,
    })
}

fn object(w: &World, name: &str, v: Version, all: bool) -> Option<Value> {
    let t = w.model.ty(name)?;
    let mut o = serde_json::Map::new();
    for f in t.fields.iter().filter(|f| f.range.contains(v)) {
        if (all || f.required_at(v))
            && let Some(x) = value(w, &f.ty, f.limits.as_ref(), v, all)
        {
            o.insert(f.json.clone(), x);
        }
    }
    Some(Value::Object(o))
}

/// The request body at `v`: every field valid there (`all`), or the required ones.
fn body(w: &World, op: &Op, v: Version, all: bool) -> Option<Value> {
    let Some(key) = op.key.as_ref() else {
        return keyless_body(w, op, v, all);
    };
    if matches!(
        op.body,
        xtask::spec::BodyKind::Null | xtask::spec::BodyKind::ExactlyNull
    ) {
        return Some(json!({key: null}));
    }
    let mut inner = serde_json::Map::new();
    let mut top = serde_json::Map::new();
    for f in op
        .request_at(v)
        .filter(|f| matches!(f.location, Location::Body | Location::Top))
    {
        if !(all || f.required_at(v)) {
            continue;
        }
        if let Some(x) = value(w, &f.ty, f.limits.as_ref(), v, all) {
            match f.location {
                Location::Top => top.insert(f.json.clone(), x),
                _ => inner.insert(f.json.clone(), x),
            };
        }
    }
    let mut out = serde_json::Map::new();
    out.insert(key.clone(), Value::Object(inner));
    out.extend(top);
    Some(Value::Object(out))
}

/// A body without a key: its fields at the top (`fields`), or the entries of its one map
/// (`entries`); none for an operation without a body.
fn keyless_body(w: &World, op: &Op, v: Version, all: bool) -> Option<Value> {
    let mut fields = op
        .request_at(v)
        .filter(|f| matches!(f.location, Location::Body | Location::Entries))
        .filter(|f| all || f.required_at(v))
        .peekable();
    fields.peek()?;
    match op.body {
        xtask::spec::BodyKind::Entries => {
            let f = fields.find(|f| f.location == Location::Entries)?;
            value(w, &f.ty, f.limits.as_ref(), v, all)
        }
        _ => Some(Value::Object(
            fields
                .filter_map(|f| Some((f.json.clone(), value(w, &f.ty, f.limits.as_ref(), v, all)?)))
                .collect(),
        )),
    }
}

/// Nova's request schema of `op` at `v`, when Nova validates there.
fn request_schema<'a>(w: &'a World, op: &Op, v: Version) -> Option<&'a Value> {
    let nova = nova_op_of(&w.reference, op)?;
    let schema = w.reference.at(&nova.request, v)?;
    (!schema.as_object().is_some_and(|o| o.is_empty())).then_some(schema)
}

/// The ends of each of Nova's request-schema ranges inside the operation's range.
fn versions(w: &World, op: &Op) -> Vec<Version> {
    let Some(nova) = nova_op_of(&w.reference, op) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in &nova.request {
        let lo = s.min.unwrap_or(op.range.since).max(op.range.since);
        let hi = s.max.unwrap_or(op.range.until).min(op.range.until);
        if lo <= hi {
            out.push(lo);
            if hi != lo {
                out.push(hi);
            }
        }
    }
    out
}

/// Every request range Nova validates: each operation with a body that can succeed, at both
/// ends of each of Nova's request-schema ranges, with Nova's validator there.
fn request_ranges(w: &World) -> Vec<(&Op, Version, jsonschema::Validator)> {
    let mut out = Vec::new();
    for op in w
        .model
        .ops
        .iter()
        .filter(|o| o.never_succeeds.is_none() && o.key.is_some())
    {
        for v in versions(w, op) {
            if let Some(schema) = request_schema(w, op, v) {
                out.push((op, v, validator(schema, &w.printable)));
            }
        }
    }
    out
}

fn sdk_writes(op: &Op, v: Version, body: &Value) -> Result<Value, String> {
    let glue = tests::glue(&op.name);
    (glue.request)(mv(v), &serde_json::to_vec(body).unwrap())
}

#[test]
fn every_request_body_the_sdk_writes_passes_novas_schema() {
    let w = world();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (op, v, validator) in request_ranges(&w) {
        for all in [true, false] {
            let Some(input) = body(&w, op, v, all) else { continue };
            match sdk_writes(op, v, &input) {
                Err(e) => failures.push(format!("{} at {v}: the SDK refused {input}: {e}", op.name)),
                Ok(written) => {
                    if let Some(e) = validator.iter_errors(&written).next() {
                        failures.push(format!(
                            "{} at {v} ({}): {written} refused by Nova: {e}",
                            op.name,
                            if all { "all fields" } else { "required only" }
                        ));
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("{checked} request bodies accepted by Nova's schemas");
    assert!(checked > 200, "checked {checked}");
}

/// One boundary case: a field set to a value at or past one of its limits.
struct Case {
    what: String,
    value: Value,
}

fn text_cases(l: &Limits) -> Vec<Case> {
    let mut out = Vec::new();
    let ok = text(Some(l));
    let digits = l
        .pattern
        .as_deref()
        .is_some_and(|p| p.contains("0-9]*$") || p.contains("0-9]+$"));
    let filler = |n: usize| -> String {
        let (first, rest) = if digits { ('1', '1') } else { ('w', 'a') };
        std::iter::once(first).chain(std::iter::repeat(rest)).take(n).collect()
    };
    if l.format.is_none() {
        // A 16 MiB `connection_info` is not worth building twice.
        if let Some(max) = l.max_length.filter(|m| *m <= 70_000) {
            out.push(Case {
                what: format!("max_length {max}: {max} characters"),
                value: json!(filler(max as usize)),
            });
            out.push(Case {
                what: format!("max_length {max}: {} characters", max + 1),
                value: json!(filler(max as usize + 1)),
            });
        }
        if let Some(min) = l.min_length
            && min > 0
        {
            out.push(Case {
                what: format!("min_length {min}: {min} characters"),
                value: json!(filler(min as usize)),
            });
            out.push(Case {
                what: format!("min_length {min}: {} characters", min - 1),
                value: json!(filler(min as usize - 1)),
            });
        }
    }
    let bad: Option<&str> = match l.pattern.as_deref() {
        Some("^[a-zA-Z0-9-._]*$" | "^[a-zA-Z0-9._-]*$") => Some("bad host"),
        Some("^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$") => Some("-web"),
        Some("^[^,/]*$") => Some("a,b"),
        Some("^[0-9]*$" | "^[0-9]+$") => Some("1a"),
        Some("^-?[0-9]+$") => Some("--1"),
        Some("^[a-zA-Z0-9._/-]*$") => Some("bad name"),
        Some("^/[0-9a-f.:]+$") => Some("24"),
        Some("printable") => Some("bell\u{7}"),
        _ => None,
    };
    if let Some(b) = bad {
        out.push(Case {
            what: format!("pattern {}: {ok:?}", l.pattern.as_deref().unwrap_or("")),
            value: json!(ok),
        });
        out.push(Case {
            what: format!("pattern {}: {b:?}", l.pattern.as_deref().unwrap_or("")),
            value: json!(b),
        });
    }
    let bad_format: Vec<&str> = match l.format.as_deref() {
        Some("uuid") => vec!["not-a-uuid", "155d900f4e144e4ca73d069cbf4541e6"],
        Some("name") => vec![
            " leading",
            "trailing ",
            "inner space",
            "zero\u{200b}width",
            "astral \u{1F600}",
        ],
        Some("az_name") => vec!["zone:1", " zone"],
        Some("ipv4") => vec!["300.1.1.1", "2001:db8::1"],
        Some("ipv6") => vec!["2001:db8::zz", "192.0.2.1"],
        Some("ip") => vec!["not-an-ip"],
        Some("base64") => vec!["aGVsbG8", "aGVs bG8="],
        Some("cidr") => vec!["10.0.0.0", "10.0.0.0/33"],
        Some("regex") => vec![""],
        _ => vec![],
    };
    for b in bad_format {
        out.push(Case {
            what: format!("format {}: {b:?}", l.format.as_deref().unwrap_or("")),
            value: json!(b),
        });
    }
    if l.format.is_some()
        && let Some(max) = l.max_length
        && l.format.as_deref() == Some("name")
    {
        out.push(Case {
            what: format!("name of {max}"),
            value: json!("n".repeat(max as usize)),
        });
        out.push(Case {
            what: format!("name of {}", max + 1),
            value: json!("n".repeat(max as usize + 1)),
        });
    }
    out
}

fn number_cases(l: &Limits) -> Vec<Case> {
    let mut out = Vec::new();
    if let Some(m) = l.minimum {
        out.push(Case {
            what: format!("minimum {m}: {m}"),
            value: json!(m),
        });
        out.push(Case {
            what: format!("minimum {m}: {}", m - 1),
            value: json!(m - 1),
        });
    }
    if let Some(m) = l.maximum {
        out.push(Case {
            what: format!("maximum {m}: {m}"),
            value: json!(m),
        });
        out.push(Case {
            what: format!("maximum {m}: {}", m + 1),
            value: json!(m + 1),
        });
    }
    out
}

/// The boundary cases of a field of type `ty` with `limits`.
fn cases(w: &World, ty: &TypeExpr, l: &Limits, v: Version) -> Vec<Case> {
    match ty {
        TypeExpr::Scalar("integer" | "integerish") => {
            let mut out = number_cases(l);
            out.extend(text_cases(l).into_iter().filter(|c| c.what.starts_with("pattern")));
            out
        }
        TypeExpr::List(inner) => {
            let mut out = Vec::new();
            let item = value(w, inner, l.items.as_deref(), v, false).unwrap_or(json!("x"));
            let distinct = |n: usize| -> Value {
                Value::Array(
                    (0..n)
                        .map(|i| match &item {
                            Value::String(s) if l.unique_items => json!(format!(
                                "{}{i}",
                                s.chars()
                                    .take(s.chars().count().saturating_sub(2).max(1))
                                    .collect::<String>()
                            )),
                            other => other.clone(),
                        })
                        .collect(),
                )
            };
            if let Some(max) = l.max_items {
                out.push(Case {
                    what: format!("max_items {max}: {max}"),
                    value: distinct(max as usize),
                });
                out.push(Case {
                    what: format!("max_items {max}: {}", max + 1),
                    value: distinct(max as usize + 1),
                });
            }
            if let Some(min) = l.min_items
                && min > 0
            {
                out.push(Case {
                    what: format!("min_items {min}: {}", min - 1),
                    value: distinct(min as usize - 1),
                });
            }
            if l.unique_items {
                out.push(Case {
                    what: "unique_items: a duplicate".into(),
                    value: json!([item.clone(), item.clone()]),
                });
            }
            if let Some(items) = &l.items {
                for c in cases(w, inner, items, v) {
                    out.push(Case {
                        what: format!("items {}", c.what),
                        value: json!([c.value]),
                    });
                }
            }
            out
        }
        TypeExpr::Map(inner) => {
            let mut out = Vec::new();
            let val = value(w, inner, l.values.as_deref(), v, false).unwrap_or(json!("x"));
            if let Some(keys) = &l.keys {
                out.push(Case {
                    what: "key a/b".into(),
                    value: json!({"a/b": val}),
                });
                out.push(Case {
                    what: "key of 255".into(),
                    value: json!({"k".repeat(255): val}),
                });
                out.push(Case {
                    what: "key of 256".into(),
                    value: json!({"k".repeat(256): val}),
                });
                let _ = keys;
            }
            if let Some(values) = &l.values {
                for c in cases(w, inner, values, v) {
                    out.push(Case {
                        what: format!("value {}", c.what),
                        value: json!({"key-1": c.value}),
                    });
                }
            }
            out
        }
        TypeExpr::EmptyOr(inner) => {
            let mut out = cases(w, inner, l, v);
            out.push(Case {
                what: "the empty string".into(),
                value: json!(""),
            });
            out
        }
        _ => text_cases(l),
    }
}

/// Fields with limits at `v`, as (path into the body, field): top-level fields, and the fields
/// of named objects inside them (`networks[].tag`, `block_device_mapping_v2[].volume_type`).
fn limited_fields<'a>(
    w: &'a World,
    fields: Vec<&'a Field>,
    v: Version,
    out: &mut Vec<(Vec<String>, &'a Field)>,
    prefix: Vec<String>,
) {
    for f in fields {
        let mut path = prefix.clone();
        path.push(f.json.clone());
        if f.limits.is_some() {
            out.push((path.clone(), f));
        }
        let inner_name = match &f.ty {
            TypeExpr::Named(n) => Some(n.as_str()),
            TypeExpr::List(t) => match &**t {
                TypeExpr::Named(n) => Some(n.as_str()),
                _ => None,
            },
            TypeExpr::Scalar("networks") => Some("Network"),
            _ => None,
        };
        if let Some(t) = inner_name
            .and_then(|n| w.model.ty(n))
            .filter(|t| t.kind == TypeKind::Object)
        {
            let mut nested = path.clone();
            if matches!(f.ty, TypeExpr::List(_) | TypeExpr::Scalar("networks")) {
                nested.push("[]".into());
            }
            limited_fields(
                w,
                t.fields.iter().filter(|x| x.range.contains(v)).collect(),
                v,
                out,
                nested,
            );
        }
    }
}

/// Sets `value` at `path` in `body` (creating a one-item list for `[]`).
fn set(w: &World, body: &mut Value, path: &[String], value: Value, v: Version) {
    match path {
        [] => *body = value,
        [first, rest @ ..] if first == "[]" => {
            let item = match body.as_array().and_then(|a| a.first().cloned()) {
                Some(i) => i,
                None => Value::Object(Default::default()),
            };
            let mut item = item;
            set(w, &mut item, rest, value, v);
            *body = json!([item]);
        }
        [first, rest @ ..] => {
            if !body.is_object() {
                *body = Value::Object(Default::default());
            }
            let slot = body
                .as_object_mut()
                .expect("an object")
                .entry(first.clone())
                .or_insert(Value::Null);
            if slot.is_string() && rest.first().is_some_and(|r| r == "[]") {
                *slot = json!([object(w, "Network", v, false).unwrap_or(json!({}))]);
            }
            set(w, slot, rest, value, v);
        }
    }
}

#[test]
fn at_each_limit_the_sdk_refuses_what_novas_schema_refuses() {
    let w = world();
    let mut checked = 0;
    let mut disagreements = Vec::new();
    for (op, v, validator) in request_ranges(&w) {
        // Every field valid: each case changes one value only.
        let Some(base) = body(&w, op, v, true) else { continue };
        let key = op.key.clone().expect("an action or a body");
        let mut fields = Vec::new();
        limited_fields(
            &w,
            op.request_at(v)
                .filter(|f| matches!(f.location, Location::Body | Location::Top))
                .collect(),
            v,
            &mut fields,
            Vec::new(),
        );
        for (path, f) in fields {
            for case in cases(&w, &f.ty, f.limits.as_ref().expect("limited"), v) {
                let mut input = base.clone();
                let mut full = Vec::new();
                if f.location == Location::Body || path.len() > 1 {
                    let top_level = op
                        .request
                        .iter()
                        .any(|r| r.location == Location::Top && r.json == path[0]);
                    if !top_level {
                        full.push(key.clone());
                    }
                }
                full.extend(path.iter().cloned());
                set(&w, &mut input, &full, case.value.clone(), v);
                // Nova's verdict on the body as sent; the SDK's on reading and checking it.
                let nova_ok = validator.is_valid(&input);
                let sdk = sdk_writes(op, v, &input);
                if sdk.is_ok() != nova_ok {
                    disagreements.push(format!(
                        "{} at {v}, {} {}: Nova {}, the SDK {}",
                        op.name,
                        path.join("."),
                        case.what,
                        if nova_ok { "accepts" } else { "refuses" },
                        match &sdk {
                            Ok(_) => "accepts".to_string(),
                            Err(e) => format!("refuses ({e})"),
                        }
                    ));
                }
                checked += 1;
            }
        }
    }
    assert_none(&disagreements);
    println!("{checked} boundary cases: the SDK and Nova's schemas agree");
    assert!(checked > 300, "checked {checked}");
}

/// The object at `at` (keys; list positions as numbers), if there is one.
fn object_at<'a>(mut value: &'a mut Value, at: &[String]) -> Option<&'a mut serde_json::Map<String, Value>> {
    for step in at {
        value = match step.parse::<usize>() {
            Ok(i) => value.get_mut(i)?,
            Err(_) => value.get_mut(step.as_str())?,
        };
    }
    value.as_object_mut()
}

/// A copy of `body` with the object at `at` changed.
fn with_object(body: &Value, at: &[String], change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut out = body.clone();
    if let Some(object) = object_at(&mut out, at) {
        change(object);
    }
    out
}

/// The request object type inside a field, and whether the field is a list of them.
fn object_inside<'a>(w: &'a World, ty: &TypeExpr) -> Option<(&'a xtask::model::Type, bool)> {
    let (name, list) = match ty {
        TypeExpr::Named(n) => (n.as_str(), false),
        TypeExpr::List(t) => match &**t {
            TypeExpr::Named(n) => (n.as_str(), true),
            _ => return None,
        },
        TypeExpr::Scalar("networks") => ("Network", true),
        _ => return None,
    };
    w.model
        .ty(name)
        .filter(|t| t.kind == TypeKind::Object)
        .map(|t| (t, list))
}

/// Presence, per field of every request range and per member of the objects in it: without
/// it, and as `null`, what the SDK sends Nova's schema accepts and what it refuses Nova's schema
/// refuses (required-ness and nullability, from the spec, checked before sending). Where the
/// SDK is stricter on purpose, `spec/drift-allow.yaml` says why. A field or member from another
/// microversion the SDK always refuses.
#[test]
fn presence_and_null_the_sdk_refuses_what_novas_schema_refuses() {
    let w = world();
    let (mut checked, mut out_of_range) = (0, 0);
    let mut disagreements = Vec::new();
    for (op, v, validator) in request_ranges(&w) {
        let Some(base) = body(&w, op, v, true) else { continue };
        let key = op.key.clone().expect("an action or a body");
        if !base[&key].is_object() {
            continue; // a null body has no fields
        }
        // (the object holding the fields, its fields, the name shown, the drift line's path)
        let mut holders: Vec<(Vec<String>, &[Field], String)> = Vec::new();
        for f in op
            .request
            .iter()
            .filter(|f| matches!(f.location, Location::Body | Location::Top))
        {
            let container = if f.location == Location::Top {
                vec![]
            } else {
                vec![key.clone()]
            };
            holders.push((container.clone(), std::slice::from_ref(f), String::new()));
            let Some((t, list)) = object_inside(&w, &f.ty) else {
                continue;
            };
            let mut at = container;
            at.push(f.json.clone());
            if list {
                at.push("0".into());
            }
            let shown = format!("{}{}.", f.json, if list { "[]" } else { "" });
            holders.push((at, &t.fields, shown));
        }
        for (at, fields, prefix) in holders {
            let Some(object) = object_at(&mut base.clone(), &at).cloned() else {
                continue; // `networks` as `auto` or `none`, say
            };
            for m in fields {
                let name = format!("{prefix}{}", m.json);
                if !m.range.contains(v) {
                    // A valid value from a version that has it.
                    let Some(x) = value(&w, &m.ty, m.limits.as_ref(), m.range.since, true) else {
                        continue;
                    };
                    if object.contains_key(&m.json) {
                        continue; // the same name, valid here in another form
                    }
                    let input = with_object(&base, &at, |o| {
                        o.insert(m.json.clone(), x);
                    });
                    if sdk_writes(op, v, &input).is_ok() {
                        disagreements.push(format!(
                            "{} at {v}: `{name}` (valid in {}) was accepted",
                            op.name,
                            xtask::spec::Show(m.range)
                        ));
                    }
                    out_of_range += 1;
                    continue;
                }
                if !object.contains_key(&m.json) {
                    continue; // no valid value to start from (an open object, say)
                }
                let required = format!("{}: request field {name}: required", op.name);
                let left_out = with_object(&base, &at, |o| {
                    o.remove(&m.json);
                });
                let null = with_object(&base, &at, |o| {
                    o.insert(m.json.clone(), Value::Null);
                });
                for (what, input, allowed) in [("left out", left_out, required.as_str()), ("null", null, "")] {
                    let problem = match sdk_writes(op, v, &input) {
                        Ok(written) => (!validator.is_valid(&written))
                            .then(|| format!("the SDK sends {written}, which Nova refuses")),
                        Err(e) => (validator.is_valid(&input)
                            && !w.model.drift_allow.iter().any(|a| a.line == allowed))
                        .then(|| format!("the SDK refuses ({e}), Nova accepts")),
                    };
                    if let Some(problem) = problem {
                        disagreements.push(format!("{} at {v}, `{name}` {what}: {problem}", op.name));
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_none(&disagreements);
    println!(
        "{checked} presence and null cases agree with Nova's schemas; {out_of_range} fields out of their range refused"
    );
    assert!(checked > 0 && out_of_range > 0);
}

/// Nova's response schema of `op` at `v`, where Nova has one.
fn response_schema<'a>(w: &'a World, op: &Op, v: Version) -> Option<&'a Value> {
    let nova = nova_op_of(&w.reference, op)?;
    w.reference.at(&nova.response, v)
}

#[test]
fn every_response_sample_passes_novas_response_schema() {
    let w = world();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut check = |op: &Op, v: Version, file: String, bytes: &[u8]| {
        let Some(schema) = response_schema(&w, op, v) else {
            return;
        };
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes).expect("JSON")
        };
        let validator = validator(schema, &w.printable);
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if !errors.is_empty() {
            failures.push(format!("{file} ({} at {v}): {}", op.name, errors.join("; ")));
        }
        checked += 1;
    };
    for (file, op, dir, v) in xtask::model::spec_samples(&w.model) {
        if dir == xtask::spec::Direction::Response {
            check(op, v, file.display().to_string(), &std::fs::read(&file).unwrap());
        }
    }
    for s in w
        .model
        .upstream
        .samples
        .iter()
        .filter(|s| s.direction == xtask::spec::Direction::Response)
    {
        let op = w.model.op(&s.op).expect("mapped op");
        let file = tests::upstream_sample(&s.path).expect("in the reference");
        check(op, s.version, s.path.clone(), &std::fs::read(&file).unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{checked} response samples pass Nova's response schemas");
    assert!(checked > 100);
}

/// The extra spec every flavor made for a call has, and the metadata key every server has.
const EXTRA_SPEC: &str = "hw:cpu_policy";
/// The tag every server has.
const TAG: &str = "web";
/// The network every server has an address on.
const NETWORK: &str = "tenant-net";
/// The volume every server has attached.
const VOLUME: &str = "227cc671-f30b-4488-96fd-7d0bf13648d8";
/// The port every server has attached.
const PORT: &str = "ce531f90-199f-48c0-816c-13e38010b442";

/// What every server made for a call keeps for its sub-resources: a metadata item, a tag, an
/// address, an encrypted password, a volume attachment and a port.
fn server_fields(server_id: &str) -> Value {
    json!({
        "metadata": {EXTRA_SPEC: "shared"},
        "tags": [TAG],
        "addresses": {NETWORK: [
            {"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:02", "OS-EXT-IPS:type": "fixed"},
            {"addr": "2001:db8::5", "version": 6, "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:02", "OS-EXT-IPS:type": "fixed"},
        ]},
        "password": "c2VjcmV0IGVuY3J5cHRlZA==",
        "volume_attachments": [{"id": VOLUME, "volumeId": VOLUME, "serverId": server_id,
            "device": "/dev/sdc", "tag": null, "delete_on_termination": false,
            "attachment_id": "979ce4f8-033a-409d-85e6-6b5c0f6a6302", "bdm_uuid": "c088db45-92b8-49e8-81e2-a1b77a144b3b"}],
        "interfaces": [{"port_id": PORT, "net_id": "3cb9bc59-5699-4588-a4b1-b87f96708bc6", "mac_addr": "fa:16:3e:4c:2c:30",
            "port_state": "ACTIVE", "fixed_ips": [{"ip_address": "192.168.1.3", "subnet_id": "f8a6e8f8-c2ec-497c-9f23-da9616de54ef"}],
            "tag": "public"}],
    })
}

/// For each path parameter but a server's: the item to add to the fake first, if any (a
/// flavor for `flavor_id`, a key pair for `keypair_name`, a server group for
/// `server_group_id`; a flavor's extra spec lives in the flavor, a server's metadata, tags,
/// addresses, volume attachments and ports in the server: [`server_fields`]). A parameter of a resource this table lacks
/// fails the test: add its item here.
fn items_named_by<'p>(path: &'p str, unique: &str) -> Vec<(&'p str, Option<(&'static str, Value)>)> {
    let params = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')));
    params
        .map(|p| {
            let item = match p {
                "flavor_id" => Some((
                    "flavor",
                    json!({"id": unique, "name": unique, "ram": 512, "vcpus": 1, "disk": 1,
                           "os-flavor-access:is_public": false, "extra_specs": {EXTRA_SPEC: "shared"}}),
                )),
                "keypair_name" => Some(("keypair", json!({"name": unique}))),
                "server_group_id" => Some((
                    "server_group",
                    json!({"id": uuid_of(unique), "name": unique, "policy": "anti-affinity"}),
                )),
                "key" | "tag" | "network_label" | "volume_id" | "port_id" => None,
                other => panic!("no item for the path parameter `{other}`: add one to items_named_by"),
            };
            (p, item)
        })
        .collect()
}

/// A UUID made from `unique` (Nova's server group IDs are UUIDs, and its schema checks).
fn uuid_of(unique: &str) -> String {
    let hash = unique.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("00000000-0000-4000-8000-{:012x}", hash & 0xffff_ffff_ffff)
}

fn unique_or_key(param: &str, unique: &str) -> String {
    match param {
        "key" => EXTRA_SPEC.to_string(),
        "tag" => TAG.to_string(),
        "network_label" => NETWORK.to_string(),
        "volume_id" => VOLUME.to_string(),
        "port_id" => PORT.to_string(),
        "server_group_id" => uuid_of(unique),
        _ => unique.to_string(),
    }
}

/// Where an operation's response changes: its breakpoints, and where a field of a named
/// object nested in it starts or ends (the project's limits lose quotas inside `absolute`).
fn fake_versions(w: &World, op: &Op) -> Vec<Version> {
    fn nested(w: &World, ty: &TypeExpr, seen: &mut Vec<String>, out: &mut std::collections::BTreeSet<Version>) {
        match ty {
            TypeExpr::Named(name) if !seen.contains(name) => {
                seen.push(name.clone());
                let Some(t) = w.model.ty(name).filter(|t| t.kind == TypeKind::Object) else {
                    return;
                };
                for f in &t.fields {
                    out.insert(f.range.since);
                    out.insert(f.range.until.next());
                    nested(w, &f.ty, seen, out);
                }
            }
            TypeExpr::List(inner) | TypeExpr::Map(inner) | TypeExpr::EmptyOr(inner) => nested(w, inner, seen, out),
            _ => {}
        }
    }
    let mut out: std::collections::BTreeSet<Version> = op.breakpoints.iter().copied().collect();
    let mut seen = Vec::new();
    for f in op.response.iter().flat_map(|r| &r.fields) {
        nested(w, &f.ty, &mut seen, &mut out);
    }
    out.into_iter().filter(|v| op.range.contains(*v)).collect()
}

/// Every body the fake cloud sends, for every operation at each version where its response
/// changes, passes Nova's response schema: the fake teaches no shape Nova never sends.
#[tokio::test]
async fn every_body_the_fake_cloud_sends_passes_novas_response_schema() {
    use openstack_compute::testing::FakeCloud;
    let w = world();
    let cloud = FakeCloud::builder().transition_polls(1).start().await;
    let http = reqwest::Client::new();
    let token_response = http
        .post(format!("{}/identity/v3/auth/tokens", cloud.uri()))
        .json(&json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "demo", "domain": {"name": "Default"}, "password": "demo-pw"}}}}}))
        .send()
        .await
        .unwrap();
    let token = token_response.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_string();
    let base = format!("{}/compute/v2.1", cloud.uri());
    let mut checked = 0;
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    for op in w.model.ops.iter().filter(|o| o.never_succeeds.is_none()) {
        for v in fake_versions(&w, op) {
            let Some(schema) = response_schema(&w, op, v) else {
                continue;
            };
            let id = cloud.add_server(&format!("fake-{}", op.name));
            cloud.update_server(&id, server_fields(&id)).unwrap();
            // A server in a state the operation can start from.
            let start_from = op.server_status.as_ref().and_then(|s| s.from.first().cloned());
            if let Some(status) = start_from.filter(|s| s != "ACTIVE") {
                let state = if status == "ERROR" { "error" } else { "active" };
                if state == "error" {
                    cloud.break_server(&id, "prepared");
                } else {
                    continue;
                }
            }
            let mut path = op
                .path_at(v)
                .replace("{server_id}", &id)
                .replace("{request_id}", "req-none");
            let mut input = body(&w, op, v, false);
            // The other resources' items the path names, made for this call.
            let unique = format!("{}-{v}", op.name).replace('.', "-");
            let template = path.clone();
            for (param, item) in items_named_by(&template, &unique) {
                if let Some((resource, item)) = item {
                    cloud.add_item(resource, item).unwrap();
                }
                path = path.replace(&format!("{{{param}}}"), &unique_or_key(param, &unique));
            }
            // A one-entry body (or body field) names the key of the path; a created item's ID
            // is its own.
            if op.body == xtask::spec::BodyKind::Entries {
                input = Some(json!({EXTRA_SPEC: "dedicated"}));
            }
            if let Some(f) = op
                .request
                .iter()
                .find(|f| f.location == Location::Body && f.limits.as_ref().and_then(|l| l.max_properties) == Some(1))
            {
                input = Some(json!({f.json.clone(): {EXTRA_SPEC: "dedicated"}}));
            }
            if let Some(Value::Object(fields)) = input.as_mut().and_then(|b| op.key.as_ref().and_then(|k| b.get_mut(k)))
                && fields.contains_key("name")
                && op.kind.method() == "POST"
            {
                fields.insert("name".into(), json!(unique));
            }
            // Where the server facts hold for some requests only (a volume swap, which Nova
            // refuses to all but the block storage service), the request they do not hold for.
            if let Some(when) = &op.server_facts_when {
                if when.since.is_none_or(|since| v < since) {
                    continue;
                }
                let named = unique_or_key(&when.differs.param, &unique);
                if let Some(Value::Object(fields)) =
                    input.as_mut().and_then(|b| op.key.as_ref().and_then(|k| b.get_mut(k)))
                {
                    fields.insert(when.differs.request.clone(), json!(named));
                }
            }
            // An action that removes an item of another resource finds it there.
            if let Some((resource, false, item)) = &op.store {
                let params: BTreeMap<&str, &str> = [("flavor_id", unique.as_str())].into();
                let sent = input.as_ref().and_then(|b| op.key.as_ref().and_then(|k| b.get(k)));
                let item: serde_json::Map<String, Value> = item
                    .iter()
                    .map(|(field, source)| {
                        let value = match source {
                            xtask::model::Source::Param(p) => json!(params[p.as_str()]),
                            xtask::model::Source::Request(f) => {
                                sent.and_then(|s| s.get(f)).cloned().unwrap_or_default()
                            }
                            xtask::model::Source::Json(text) => serde_json::from_str(text).unwrap(),
                        };
                        (field.clone(), value)
                    })
                    .collect();
                cloud.add_item(resource, Value::Object(item)).unwrap();
            }
            let header = format!("compute {v}");
            let request = match op.kind.method() {
                "GET" => http.get(format!("{base}{path}")),
                "PUT" => http.put(format!("{base}{path}")),
                "DELETE" => http.delete(format!("{base}{path}")),
                _ => http.post(format!("{base}{path}")),
            };
            let mut request = request
                .header("x-auth-token", &token)
                .header("openstack-api-version", header);
            if let Some(b) = &input {
                request = request.json(b);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap();
            if status >= 300 {
                if op.name != "show_instance_action" {
                    failures.insert(
                        format!("{} at {v}", op.name),
                        format!("the fake answered {status}: {}", String::from_utf8_lossy(&bytes)),
                    );
                }
                continue;
            }
            let body: Value = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap()
            };
            let validator = validator(schema, &w.printable);
            let errors: Vec<String> = validator
                .iter_errors(&body)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            if !errors.is_empty() {
                failures.insert(format!("{} at {v}", op.name), errors.join("; "));
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!("{checked} fake-cloud bodies pass Nova's response schemas");
    assert!(checked > 50, "checked {checked}");
}

/// Fails listing every disagreement between the SDK and Nova's schemas, if there is one.
fn assert_none(disagreements: &[String]) {
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
