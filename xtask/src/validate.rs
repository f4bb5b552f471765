//! Meaning checks on the resolved spec: everything the file shapes cannot say. Each error
//! names the file and the offending entry.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::limits;
use crate::model::{Ends, Field, Model, Op, WhileBusy};
use crate::spec::{BodyKind, ClientOn, Direction, Location, OpKind, Show, SpecError, TypeKind};

/// Every problem found.
pub fn validate(model: &Model) -> Vec<SpecError> {
    let mut errors = Vec::new();
    for t in &model.types {
        let mut err = |m: String| errors.push(SpecError::new(&t.file, m));
        if t.file.file_stem().and_then(|s| s.to_str()) != Some(t.name.as_str()) {
            err(format!("type `{}` must live in `{}.yaml`", t.name, t.name));
        }
        match t.kind {
            TypeKind::Object => {
                if t.fields.is_empty() || !t.values.is_empty() {
                    err("an object type has `fields` and no `values`".into());
                }
                check_fields(&t.fields, model, &mut err);
            }
            TypeKind::Enum => {
                if t.values.is_empty() || !t.fields.is_empty() {
                    err("an enum type has `values` and no `fields`".into());
                }
                let mut seen = BTreeSet::new();
                let mut rust = BTreeSet::new();
                for v in &t.values {
                    for spelling in std::iter::once(&v.json).chain(&v.aliases) {
                        if !seen.insert(spelling.clone()) {
                            err(format!("value `{spelling}` is listed twice"));
                        }
                    }
                    if !rust.insert(v.rust.clone()) || v.rust == "Unknown" {
                        err(format!("value `{}`: rust name `{}` is taken", v.json, v.rust));
                    }
                    if !is_camel(&v.rust) {
                        err(format!("value `{}`: rust name `{}` is not CamelCase", v.json, v.rust));
                    }
                }
            }
        }
    }

    let statuses = enum_values(model, "ServerStatus");
    let task_states = enum_values(model, "TaskState");
    let mut names = BTreeSet::new();
    let mut keys = BTreeMap::new();
    let mut methods = BTreeMap::new();
    for op in &model.ops {
        let mut err = |m: String| errors.push(SpecError::new(&op.file, m));
        if op.file.file_stem().and_then(|s| s.to_str()) != Some(op.name.as_str()) {
            err(format!("operation `{}` must live in `{}.yaml`", op.name, op.name));
        }
        if !names.insert(op.name.clone()) {
            err(format!("operation `{}` is defined twice", op.name));
        }
        if !op
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
        {
            err(format!("operation name `{}` is not snake_case", op.name));
        }
        if let Some(other) = methods.insert((op.client.on, op.client.method.clone()), op.name.clone()) {
            err(format!("client method `{}` is also `{other}`'s", op.client.method));
        }
        check_kind(op, &mut keys, &mut err);
        check_fields(&op.request, model, &mut err);
        for f in &op.request {
            if f.location == Location::Header {
                err(format!(
                    "request field `{}`: `location_header` is for responses",
                    f.json
                ));
            }
            if f.location == Location::Path && !op.path.contains(&format!("{{{}}}", f.json)) {
                err(format!("path field `{}` is not in the path `{}`", f.json, op.path));
            }
            if matches!(f.location, Location::Body | Location::Top)
                && matches!(op.body, BodyKind::None | BodyKind::Null | BodyKind::ExactlyNull)
            {
                err(format!(
                    "body field `{}` in an operation whose body is `{:?}`",
                    f.json, op.body
                ));
            }
        }
        for segment in op.path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            if name != "server_id"
                && !op
                    .request
                    .iter()
                    .any(|f| f.location == Location::Path && f.json == name)
            {
                err(format!("path parameter `{name}` has no `in: path` field"));
            }
        }
        if let Some(r) = &op.response {
            check_fields(&r.fields, model, &mut err);
            if r.fields
                .iter()
                .any(|f| matches!(f.location, Location::Query | Location::Path | Location::Top))
            {
                err("response fields live in the body or the `Location` header".into());
            }
        }
        for arg in &op.client.args {
            if !op.request.iter().any(|f| &f.rust == arg) {
                err(format!("client argument `{arg}` is not a request field"));
            }
        }
        if op.client.on == ClientOn::Servers && op.path.contains("{server_id}") {
            err("an operation on one server is offered on `ServerHandle` (`client.on: server`)".into());
        }
        if let Some(s) = &op.server_status {
            let mut named = |list: &[String], what: &str, known: &BTreeSet<String>| {
                for name in list {
                    if !known.contains(name) {
                        err(format!(
                            "server_status.{what}: `{name}` is not a value of types/{}",
                            if what == "task_states" {
                                "TaskState.yaml"
                            } else {
                                "ServerStatus.yaml"
                            }
                        ));
                    }
                }
            };
            named(&s.from, "from", &statuses);
            named(&s.during, "during", &statuses);
            named(&s.auto_confirmed, "auto_confirmed", &statuses);
            named(&s.task_states, "task_states", &task_states);
            let busy_tasks = |busy: &WhileBusy| match busy {
                WhileBusy::RefusedIn(tasks, _) | WhileBusy::AcceptedIn(tasks) => tasks.clone(),
                WhileBusy::Refused | WhileBusy::Accepted => Vec::new(),
            };
            named(&busy_tasks(&s.while_busy), "task_states", &task_states);
            for c in s.by_request.iter().flat_map(|(_, cases)| cases) {
                named(&busy_tasks(&c.while_busy), "task_states", &task_states);
            }
            if let Ends::Statuses(list) = &s.ends_in {
                named(list, "ends_in", &statuses);
                if list.is_empty() {
                    err("server_status.ends_in lists no status".into());
                }
            }
            if let WhileBusy::RefusedIn(_, status) = &s.while_busy {
                match status {
                    409 if !op.errors.contains(&409) => {
                        err("server_status.while_busy: 409, which `errors` does not declare".into())
                    }
                    409 | 500 => {}
                    other => err(format!(
                        "server_status.while_busy: {other}: Nova refuses with 409 or 500"
                    )),
                }
            }
            if let Some((field, cases)) = &s.by_request {
                if !op.request.iter().any(|f| &f.json == field) {
                    err(format!(
                        "server_status.by_request.field: `{field}` is not a field of the request"
                    ));
                }
                let mut values = BTreeSet::new();
                for c in cases {
                    if !values.insert(&c.value) {
                        err(format!("server_status.by_request: `{}` has two cases", c.value));
                    }
                    // The operation's own lists are the union of its cases' (waits read them).
                    for (what, list, all) in [
                        ("from", &c.from, &s.from),
                        ("during", &c.during, &s.during),
                        ("task_states", &c.task_states, &s.task_states),
                    ] {
                        for name in list.iter().filter(|n| !all.contains(n)) {
                            err(format!(
                                "server_status.by_request `{}`: {what} `{name}` is not in server_status.{what}",
                                c.value
                            ));
                        }
                    }
                }
            }
            if !s.auto_confirmed.is_empty() && s.ends_in != Ends::Statuses(vec!["VERIFY_RESIZE".into()]) {
                err("server_status.auto_confirmed is for operations that end in VERIFY_RESIZE".into());
            }
        }
        match op.lock_checked {
            Some(409) if !op.errors.contains(&409) => {
                err("lock_checked is 409, which `errors` does not declare".into())
            }
            Some(500) if op.errors.contains(&409) => {
                err("lock_checked is 500, but `errors` declares the 409 a controller maps the lock error to".into())
            }
            Some(409 | 500) | None => {}
            Some(other) => err(format!(
                "lock_checked is {other}: Nova refuses a locked server with 409 or 500"
            )),
        }
        if op.instance_action.is_some() && op.server_status.is_none() {
            err("an operation with an instance action says where the server ends (`server_status`)".into());
        }
        for v in op.history.keys() {
            // The version right after the operation's last one may say it was removed.
            if !op.range.contains(*v) && *v != op.range.until.next() {
                err(format!(
                    "history entry {v} is outside the operation's {}",
                    Show(op.range)
                ));
            }
        }
        check_samples(model, op, &mut err);
    }
    check_sample_folder(model, &mut errors);
    check_upstream(model, &mut errors);
    errors
}

fn enum_values(model: &Model, name: &str) -> BTreeSet<String> {
    model
        .ty(name)
        .map(|t| t.values.iter().map(|v| v.json.clone()).collect())
        .unwrap_or_default()
}

fn check_kind(op: &Op, keys: &mut BTreeMap<String, String>, err: &mut impl FnMut(String)) {
    let has_body = op.body != BodyKind::None;
    match op.kind {
        OpKind::Action => match &op.key {
            None => err("an `action` needs its body `key`".into()),
            Some(key) => {
                if let Some(other) = keys.insert(key.clone(), op.name.clone()) {
                    err(format!("body key `{key}` is also used by `{other}`"));
                }
                if !has_body {
                    err("an `action` has a body (`request.body`)".into());
                }
            }
        },
        OpKind::Get | OpKind::Delete => {
            if has_body || op.key.is_some() {
                err(format!("a `{}` has no body and no `key`", op.kind.method()).to_lowercase());
            }
        }
        OpKind::Post | OpKind::Put => {
            if has_body != op.key.is_some() {
                err("a body needs its `key`, and a `key` needs a body".into());
            }
        }
    }
    if op.kind != OpKind::Action && !op.path.starts_with("/servers") {
        err(format!("path `{}` is not under /servers", op.path));
    }
}

fn check_fields(fields: &[Field], model: &Model, err: &mut impl FnMut(String)) {
    for (i, f) in fields.iter().enumerate() {
        for g in &fields[..i] {
            if g.json == f.json && g.location == f.location && g.range.overlaps(f.range) {
                err(format!(
                    "field `{}` is defined twice in {}",
                    f.json,
                    Show(g.range.intersect(f.range).expect("they overlap"))
                ));
            }
            let header_or_body = |l: Location| matches!(l, Location::Body | Location::Header);
            let same_place = g.location == f.location || (header_or_body(g.location) && header_or_body(f.location));
            if g.rust == f.rust && (g.ty != f.ty || !same_place) {
                err(format!(
                    "fields `{}` and `{}` share the Rust name `{}` but not their type and place (give one a `rust:` name)",
                    g.json, f.json, f.rust
                ));
            }
            if g.json == f.json && g.rust != f.rust {
                err(format!(
                    "`{}` is two fields (`{}`, `{}`): one JSON name is one Rust field, whose entries may differ by version but not in type",
                    f.json, g.rust, f.rust
                ));
            }
            if g.rust == f.rust && g.json != f.json {
                err(format!(
                    "fields `{}` and `{}` share the Rust name `{}`",
                    g.json, f.json, f.rust
                ));
            }
        }
        if !f
            .rust
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
        {
            err(format!("field `{}`: Rust name `{}` is not snake_case", f.json, f.rust));
        }
        if let Some(l) = &f.limits
            && let Err(m) = limits::check(l, &f.ty, model)
        {
            err(format!("field `{}`: limits: {m}", f.json));
        }
        if f.admin && f.location != Location::Query {
            err(format!("field `{}`: `admin` marks query filters", f.json));
        }
    }
}

fn check_samples(model: &Model, op: &Op, err: &mut impl FnMut(String)) {
    let dir = model.root.join("spec/samples");
    for s in &op.samples {
        let path = dir.join(&s.file);
        if !path.is_file() {
            err(format!("sample `{}` does not exist", s.file));
        }
        if !op.range.contains(s.version) {
            err(format!(
                "sample `{}` at {} is outside the operation's {}",
                s.file,
                s.version,
                Show(op.range)
            ));
        }
        match s.direction {
            Direction::Request if op.body == BodyKind::None => {
                err(format!("sample `{}`: this operation sends no body", s.file))
            }
            Direction::Response if op.response.is_none() => {
                err(format!("sample `{}`: this operation returns no body", s.file))
            }
            _ => {}
        }
    }
}

/// Every file under `spec/samples/` is listed by an operation.
fn check_sample_folder(model: &Model, errors: &mut Vec<SpecError>) {
    let dir = model.root.join("spec/samples");
    let listed: BTreeSet<PathBuf> = model
        .ops
        .iter()
        .flat_map(|o| o.samples.iter().map(|s| dir.join(&s.file)))
        .collect();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !listed.contains(&p) {
                errors.push(SpecError::new(&p, "no operation lists this sample"));
            }
        }
    }
}

fn check_upstream(model: &Model, errors: &mut Vec<SpecError>) {
    let file = &model.upstream_file;
    let mut seen = BTreeSet::new();
    for s in &model.upstream.samples {
        if !seen.insert(s.path.clone()) {
            errors.push(SpecError::new(file, format!("`{}` is mapped twice", s.path)));
        }
        match model.op(&s.op) {
            None => errors.push(SpecError::new(
                file,
                format!("`{}`: unknown operation `{}`", s.path, s.op),
            )),
            Some(op) if !op.range.contains(s.version) => errors.push(SpecError::new(
                file,
                format!(
                    "`{}` at {} is outside `{}`'s {}",
                    s.path,
                    s.version,
                    op.name,
                    Show(op.range)
                ),
            )),
            Some(_) => {}
        }
    }
    for s in &model.upstream.skip {
        if !seen.insert(s.path.clone()) {
            errors.push(SpecError::new(file, format!("`{}` is both mapped and skipped", s.path)));
        }
    }
}

fn is_camel(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}
