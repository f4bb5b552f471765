//! Meaning checks on a loaded spec: everything `deny_unknown_fields` cannot see. Each error
//! names the file and the offending entry.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::spec::{BodyKind, Direction, FieldSpec, Location, OpKind, Range, Spec, SpecError, TypeKind, Version};
use crate::types::TypeExpr;

/// Every problem found, in file order.
pub fn validate(spec: &Spec) -> Vec<SpecError> {
    let mut errors = Vec::new();
    let type_names: BTreeMap<&str, TypeKind> = spec.types.iter().map(|(_, t)| (t.name.as_str(), t.kind)).collect();
    let mut op_names = BTreeSet::new();
    let mut keys = BTreeMap::new();
    let mut sample_files = BTreeSet::new();

    for (file, ty) in &spec.types {
        let mut err = |m: String| errors.push(SpecError::new(file, m));
        if file.file_stem().and_then(|s| s.to_str()) != Some(ty.name.as_str()) {
            err(format!("type `{}` must live in `{}.yaml`", ty.name, ty.name));
        }
        match ty.kind {
            TypeKind::Object => {
                if ty.fields.is_empty() || !ty.values.is_empty() {
                    err("an object type has `fields` and no `values`".into());
                }
                check_fields(&ty.fields, Range::ALL, &type_names, "field", &mut err);
            }
            TypeKind::Enum => {
                if ty.values.is_empty() || !ty.fields.is_empty() {
                    err("an enum type has `values` and no `fields`".into());
                }
                let mut seen = BTreeSet::new();
                for v in &ty.values {
                    let r = Range::of(v.since, v.until, Range::ALL);
                    if let Err(m) = r {
                        err(format!("value `{}`: {m}", v.json));
                    }
                    for spelling in std::iter::once(&v.json).chain(&v.aliases) {
                        if !seen.insert(spelling.clone()) {
                            err(format!("value `{spelling}` is listed twice"));
                        }
                    }
                    if !is_camel(&v.rust) {
                        err(format!("value `{}`: rust name `{}` is not CamelCase", v.json, v.rust));
                    }
                }
            }
        }
    }

    for (file, op) in &spec.ops {
        let mut err = |m: String| errors.push(SpecError::new(file, m));
        if file.file_stem().and_then(|s| s.to_str()) != Some(op.name.as_str()) {
            err(format!("operation `{}` must live in `{}.yaml`", op.name, op.name));
        }
        if !op_names.insert(op.name.clone()) {
            err(format!("operation `{}` is defined twice", op.name));
        }
        let range = match Range::of(Some(op.since), op.until, Range::ALL) {
            Ok(r) => r,
            Err(m) => {
                err(format!("operation range: {m}"));
                continue;
            }
        };
        match op.kind {
            OpKind::Action => {
                let Some(key) = &op.key else {
                    err("an `action` needs its body `key`".into());
                    continue;
                };
                if let Some(other) = keys.insert(key.clone(), op.name.clone()) {
                    err(format!("body key `{key}` is also used by `{other}`"));
                }
                if op.path.is_some() {
                    err("an `action` always posts to /servers/{server_id}/action; drop `path`".into());
                }
            }
            OpKind::Get | OpKind::Post => {
                if op
                    .path
                    .as_deref()
                    .is_none_or(|p| !p.starts_with("/servers/{server_id}"))
                {
                    err("`path` must start with /servers/{server_id}".into());
                }
                if (op.kind == OpKind::Post) != op.key.is_some() {
                    err("a `post` has a body `key`, a `get` has none".into());
                }
            }
        }
        if !(200..300).contains(&op.status) && op.never_succeeds.is_none() {
            err(format!("status {} is not a success; set `never_succeeds`", op.status));
        }
        for v in op.history.keys() {
            // The version after the last one may say the operation was removed there.
            if !range.contains(*v) && *v != range.until.next() {
                err(format!("history entry {v} lies outside the operation's range {range}"));
            }
        }
        if let Some(req) = &op.request {
            let has_body = req.body != BodyKind::None;
            if has_body != (op.kind != OpKind::Get) {
                err("request `body: none` exactly when the operation is a `get`".into());
            }
            if matches!(req.body, BodyKind::Null | BodyKind::ExactlyNull | BodyKind::None)
                && req.fields.iter().any(|f| f.location == Location::Body)
            {
                err("a body of kind null/exactly_null/none has no body fields".into());
            }
            check_fields(&req.fields, range, &type_names, "request field", &mut err);
            for f in &req.fields {
                if f.location == Location::LocationHeader {
                    err(format!(
                        "request field `{}`: `location_header` is for responses",
                        f.json
                    ));
                }
                if f.location == Location::Path
                    && !op.path.as_deref().unwrap_or("").contains(&format!("{{{}}}", f.json))
                {
                    err(format!("path field `{}` is not in the path template", f.json));
                }
            }
        } else {
            err("`request` is required (use `body: null` for value-less actions)".into());
        }
        if let Some(resp) = &op.response {
            check_fields(&resp.fields, range, &type_names, "response field", &mut err);
            for f in &resp.fields {
                if matches!(f.location, Location::Query | Location::Path) {
                    err(format!("response field `{}` cannot be in the {:?}", f.json, f.location));
                }
            }
            for v in resp.also_changes_at.keys() {
                if !range.contains(*v) {
                    err(format!(
                        "also_changes_at {v} lies outside the operation's range {range}"
                    ));
                }
            }
        }
        for s in &op.samples {
            let path = spec.root.join("samples").join(&s.file);
            sample_files.insert(path.clone());
            if !path.is_file() {
                err(format!("sample `{}` does not exist", s.file));
            }
            if !range.contains(s.version) {
                err(format!("sample `{}` is at {} outside {range}", s.file, s.version));
            }
            if s.direction == Direction::Response
                && op
                    .response
                    .as_ref()
                    .is_none_or(|r| r.fields.iter().all(|f| f.location != Location::Body))
            {
                err(format!(
                    "sample `{}` is a response, but the operation has no response body",
                    s.file
                ));
            }
            if s.direction == Direction::Request && op.request.as_ref().is_some_and(|r| r.body == BodyKind::None) {
                err(format!(
                    "sample `{}` is a request, but the operation sends no body",
                    s.file
                ));
            }
        }
    }

    // Every file under spec/samples is claimed by an operation.
    let samples_root = spec.root.join("samples");
    for path in walk(&samples_root) {
        if !sample_files.contains(&path) {
            errors.push(SpecError::new(&path, "sample file not listed by any operation"));
        }
    }

    let (upath, upstream) = &spec.upstream;
    let ops: BTreeMap<&str, Range> = spec
        .ops
        .iter()
        .filter_map(|(_, o)| Some((o.name.as_str(), Range::of(Some(o.since), o.until, Range::ALL).ok()?)))
        .collect();
    let mut seen = BTreeSet::new();
    for s in &upstream.samples {
        if !seen.insert(s.path.as_str()) {
            errors.push(SpecError::new(upath, format!("sample `{}` is mapped twice", s.path)));
        }
        match ops.get(s.op.as_str()) {
            None => errors.push(SpecError::new(
                upath,
                format!("sample `{}` names unknown operation `{}`", s.path, s.op),
            )),
            Some(r) if !r.contains(s.version) => errors.push(SpecError::new(
                upath,
                format!("sample `{}` is at {}, outside `{}` ({r})", s.path, s.version, s.op),
            )),
            Some(_) => {}
        }
    }
    for s in &upstream.skip {
        if !seen.insert(s.path.as_str()) {
            errors.push(SpecError::new(
                upath,
                format!("sample `{}` is both mapped and skipped", s.path),
            ));
        }
    }
    errors
}

fn check_fields(
    fields: &[FieldSpec],
    parent: Range,
    types: &BTreeMap<&str, TypeKind>,
    what: &str,
    err: &mut impl FnMut(String),
) {
    let mut by_rust: BTreeMap<String, Vec<Range>> = BTreeMap::new();
    for f in fields {
        let r = match Range::of(f.since.or(Some(parent.since)), f.until.or(Some(parent.until)), parent) {
            Ok(r) => r,
            Err(m) => {
                err(format!("{what} `{}`: {m}", f.json));
                continue;
            }
        };
        for (name, flag) in [("required", f.required), ("nullable", f.nullable)] {
            if let crate::spec::Flag::Range(fr) = flag
                && let Err(m) = Range::of(fr.since.or(Some(r.since)), fr.until.or(Some(r.until)), r)
            {
                err(format!("{what} `{}`: `{name}` range: {m}", f.json));
            }
        }
        match TypeExpr::parse(&f.ty) {
            Ok(t) => {
                for name in t.named() {
                    if !types.contains_key(name) {
                        err(format!("{what} `{}`: unknown type `{name}`", f.json));
                    }
                }
            }
            Err(m) => err(format!("{what} `{}`: {m}", f.json)),
        }
        let rust = crate::types::rust_field_name(f);
        let ranges = by_rust.entry(rust.clone()).or_default();
        if ranges.iter().any(|o| o.overlaps(r)) {
            err(format!(
                "{what} `{}` (rust `{rust}`) is defined twice in overlapping ranges",
                f.json
            ));
        }
        ranges.push(r);
    }
    let mut by_json: BTreeMap<&str, Vec<Range>> = BTreeMap::new();
    for f in fields {
        if let Ok(r) = Range::of(f.since.or(Some(parent.since)), f.until.or(Some(parent.until)), parent) {
            let ranges = by_json.entry(&f.json).or_default();
            if ranges.iter().any(|o| o.overlaps(r)) {
                err(format!("{what} `{}` appears twice in overlapping ranges", f.json));
            }
            ranges.push(r);
        }
    }
}

fn is_camel(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

impl Range {
    pub const ALL: Range = Range {
        since: Version::MIN,
        until: Version::MAX,
    };

    /// A range from optional bounds, checked for inversion and against `within`.
    pub fn of(since: Option<Version>, until: Option<Version>, within: Range) -> Result<Range, String> {
        let r = Range {
            since: since.unwrap_or(within.since),
            until: until.unwrap_or(within.until),
        };
        if r.since > r.until {
            return Err(format!("inverted range {}..{}", r.since, r.until));
        }
        if !within.covers(r) {
            return Err(format!("range {r} lies outside {within}"));
        }
        Ok(r)
    }
}
