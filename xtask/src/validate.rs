//! Meaning checks on the resolved spec: everything the file shapes cannot say. Each error
//! names the file and the offending entry.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::limits;
use crate::model::{Ends, Field, Model, Op, WhileBusy};
use crate::model::{bind, segments};
use crate::spec::{BodyKind, Direction, Location, OpKind, ResourceKind, Show, SpecError, TypeKind};

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
        check_kind(op, &mut keys, &mut err);
        check_paths(model, op, &mut err);
        for c in &op.clients {
            let offer = crate::codegen::offered_on(model, op);
            if let Some(other) = methods.insert((offer, c.method.clone()), op.name.clone()) {
                err(format!("client method `{}` is also `{other}`'s", c.method));
            }
            for arg in &c.args {
                if !op.request.iter().any(|f| &f.rust == arg) {
                    err(format!("client argument `{arg}` is not a request field"));
                }
            }
        }
        check_fields(&op.request, model, &mut err);
        for f in &op.request {
            if f.location == Location::Header {
                err(format!(
                    "request field `{}`: `location_header` is for responses",
                    f.json
                ));
            }
            if matches!(f.location, Location::Body | Location::Top)
                && matches!(
                    op.body,
                    BodyKind::None | BodyKind::Null | BodyKind::ExactlyNull | BodyKind::Entries
                )
            {
                err(format!(
                    "body field `{}` in an operation whose body is `{:?}`",
                    f.json, op.body
                ));
            }
            if f.location == Location::Top && matches!(op.body, BodyKind::Fields) {
                err(format!(
                    "field `{}`: a body without a key has no fields beside it",
                    f.json
                ));
            }
        }
        let entries = op.request.iter().filter(|f| f.location == Location::Entries).count();
        if (op.body == BodyKind::Entries) != (entries == 1) {
            err("an `entries` body has exactly one `in: entries` field, and only it has one".into());
        }
        if let Some(r) = &op.response {
            check_fields(&r.fields, model, &mut err);
            if r.fields
                .iter()
                .any(|f| matches!(f.location, Location::Query | Location::Top))
            {
                err("response fields live in the body, its entries, or the `Location` header".into());
            }
            if r.item_wrap.is_some() && !r.list {
                err("`item_wrap` is for `list` responses".into());
            }
            if r.paging.is_some() && !r.list {
                err("`paging` is for `list` responses".into());
            }
            if matches!(r.paging, Some(crate::model::Paging::Marker { .. })) && r.links.is_none() {
                err("a list paged by `marker` names its `links` key".into());
            }
            for param in [
                "limit",
                match r.paging {
                    Some(crate::model::Paging::Offset) => "offset",
                    _ => "marker",
                },
            ] {
                if r.paging.is_some()
                    && !op
                        .request
                        .iter()
                        .any(|f| f.json == param && f.location == Location::Query)
                {
                    err(format!("a paged list has the query parameter `{param}`"));
                }
            }
        }
        if op.exists && op.response.is_some() {
            err("`response.exists` is a yes-or-no answer: no body".into());
        }
        check_statuses(op, &mut err);
        check_effects(model, op, &mut err);
        for v in op.controller_checks.keys() {
            if !op.range.contains(*v) && *v != op.range.until.next() {
                err(format!(
                    "controller_checks entry {v} is outside the operation's {}",
                    Show(op.range)
                ));
            }
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
            named(&s.deferred, "deferred", &statuses);
            named(&s.task_states, "task_states", &task_states);
            let busy_tasks = |busy: &WhileBusy| match busy {
                WhileBusy::RefusedIn(tasks, _) | WhileBusy::AcceptedIn(tasks) => tasks.clone(),
                WhileBusy::Refused | WhileBusy::Accepted => Vec::new(),
            };
            named(&busy_tasks(&s.while_busy), "task_states", &task_states);
            for c in s.by_request.iter().flat_map(|(_, cases)| cases) {
                named(&busy_tasks(&c.while_busy), "task_states", &task_states);
                if let Some(Ends::Statuses(list)) = &c.ends_in {
                    named(list, "ends_in", &statuses);
                }
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
            if !s.deferred.is_empty() && s.ends_in != Ends::Deleted {
                err("server_status.deferred is for operations that end with the server deleted".into());
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
        check_item_ends(model, op, &mut err);
        if let Some(w) = &op.server_facts_when {
            if !op.request.iter().any(|f| f.json == w.differs.request) {
                err(format!(
                    "server_facts_when.differs.request: `{}` is not a request field",
                    w.differs.request
                ));
            }
            if !op
                .paths
                .iter()
                .any(|(_, p)| p.contains(&format!("{{{}}}", w.differs.param)))
            {
                err(format!(
                    "server_facts_when.differs.param: `{}` is not a path parameter",
                    w.differs.param
                ));
            }
            if w.since.is_some_and(|v| !op.range.contains(v)) {
                err(format!(
                    "server_facts_when.since is outside the operation's {}",
                    Show(op.range)
                ));
            }
            if w.refused.as_ref().is_some_and(|r| !(400..500).contains(&r.status)) {
                err("server_facts_when.refused: Nova refuses with a 4xx".into());
            }
            if op.server_status.is_none() && op.lock_checked.is_none() && op.instance_action.is_none() {
                err("server_facts_when says where server facts hold: the operation has none".into());
            }
        }
        if let Some(a) = &op.instance_action
            && a.synchronous
            && a.recorded_by() != crate::spec::ActionEvents::Synchronous
        {
            err(
                "instance_action.synchronous is for events the compute host records (not `api_*` ones, not none)"
                    .into(),
            );
        }
        if op.instance_action.is_some() && op.server_status.is_none() {
            err("an operation with an instance action says where the server ends (`server_status`)".into());
        }
        for e in op.instance_action.iter().flat_map(|a| &a.events) {
            let crate::spec::EventSpec::Where(w) = e else { continue };
            for v in w.since.iter().chain(&w.until) {
                if !op.range.contains(*v) {
                    err(format!(
                        "event `{}`: {v} is outside the operation's {}",
                        w.name,
                        Show(op.range)
                    ));
                }
            }
            for s in w.from.iter().filter(|s| !statuses.contains(*s)) {
                err(format!("event `{}`: `{s}` is no value of ServerStatus.yaml", w.name));
            }
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
    check_resources(model, &mut errors);
    check_sample_folder(model, &mut errors);
    check_upstream(model, &mut errors);
    check_todos(model, &mut errors);
    errors
}

/// What `cargo xtask import` leaves for a person to write is marked `TODO(import)`: a spec
/// with one left is a draft, not a fact.
pub const TODO: &str = "TODO(import)";

fn check_todos(model: &Model, errors: &mut Vec<SpecError>) {
    let mut stack = vec![model.root.join("spec")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for (i, line) in text.lines().enumerate().filter(|(_, l)| l.contains(TODO)) {
                let what = line.split(TODO).nth(1).unwrap_or("").trim_start_matches([':', ' ']);
                errors.push(SpecError::new(
                    &path,
                    format!("line {}: still a draft: {TODO}: {what}", i + 1),
                ));
            }
        }
    }
}

/// Resources: their files, parents, paths and handles.
fn check_resources(model: &Model, errors: &mut Vec<SpecError>) {
    let mut types = BTreeMap::new();
    let mut accessors = BTreeMap::new();
    for r in &model.resources {
        let mut err = |m: String| errors.push(SpecError::new(&r.file, m));
        if r.file.file_stem().and_then(|s| s.to_str()) != Some(r.name.as_str()) {
            err(format!("resource `{}` must live in `{}.yaml`", r.name, r.name));
        }
        let parent = r.parent.as_ref().map(|p| model.resources.iter().find(|x| &x.name == p));
        let parent_item = match parent {
            None => None,
            Some(None) => {
                err(format!("parent `{}` is no resource", r.parent.as_deref().unwrap_or("")));
                continue;
            }
            Some(Some(p)) => match (p.item_path(), &p.item_handle) {
                (Some(path), Some(_)) => Some(path),
                _ => {
                    err(format!("parent `{}` has no item handle to hang from", p.name));
                    continue;
                }
            },
        };
        let under = parent_item.as_deref().map_or(0, |p| segments(p).len());
        if let Some(p) = &parent_item
            && !r.collection.starts_with(&format!("{p}/"))
        {
            err(format!(
                "collection `{}` is not under its parent's item `{p}`",
                r.collection
            ));
        }
        if segments(&r.collection)[under.min(segments(&r.collection).len())..]
            .iter()
            .any(|s| s.starts_with('{'))
        {
            err(format!(
                "collection `{}`: its own segments are literals (a parameter there is another resource's ID)",
                r.collection
            ));
        }
        let owner = r.parent.clone().unwrap_or_else(|| "compute".into());
        for h in std::iter::once(&r.collection_handle).chain(&r.item_handle) {
            if let Some(other) = types.insert(h.ty.clone(), r.name.clone()) {
                err(format!("handle type `{}` is also `{other}`'s", h.ty));
            }
            if let Some(other) = accessors.insert((owner.clone(), h.method.clone()), r.name.clone()) {
                err(format!("method `{}` of `{owner}` is also `{other}`'s", h.method));
            }
            if !is_camel(&h.ty) {
                err(format!("handle type `{}` is not CamelCase", h.ty));
            }
        }
        if r.parent_field.is_some() && r.parent.is_none() {
            err("`parent_field` is for a map, a set, a value or items kept in its parent's item".into());
        }
        if r.parent_field.is_some() && r.kind == ResourceKind::Collection && r.id.is_none() {
            err("items kept in a parent's field are named: give `id`".into());
        }
        if r.kind == ResourceKind::Value && (r.parent_field.is_none() || r.id.is_some()) {
            err("a `value` is one value kept in its parent's item: it has a `parent_field` and no `id`".into());
        }
        if r.item_handle.is_some() && r.id.is_none() {
            err("an item handle names its items: give `id`".into());
        }
        if let Some(f) = &r.find_by_name {
            match model.op(&f.operation) {
                None => err(format!("find_by_name: `{}` is no operation", f.operation)),
                Some(op) => {
                    if op.resource != r.name || op.on_item || !op.response.as_ref().is_some_and(|x| x.list) {
                        err(format!(
                            "find_by_name: `{}` is not a list of this resource's collection",
                            f.operation
                        ));
                    }
                    if op.clients.first().is_none_or(|c| !c.args.is_empty()) {
                        err(format!(
                            "find_by_name: `{}`'s client method takes arguments",
                            f.operation
                        ));
                    }
                    if let Some(param) = &f.filter
                        && !op
                            .request
                            .iter()
                            .any(|x| &x.json == param && x.location == Location::Query)
                    {
                        err(format!(
                            "find_by_name: `{}` has no query parameter `{param}`",
                            f.operation
                        ));
                    }
                }
            }
        }
    }
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
                let route = format!("{} {key}", op.paths[0].1);
                if let Some(other) = keys.insert(route, op.name.clone()) {
                    err(format!("action `{key}` is also `{other}`"));
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
            let keyed = matches!(
                op.body,
                BodyKind::Null | BodyKind::ExactlyNull | BodyKind::Object | BodyKind::ObjectOrNull
            );
            if keyed != op.key.is_some() {
                err("a keyed body (`null`, `exactly_null`, `object`, `object_or_null`) needs its `key`, and only it has one".into());
            }
        }
    }
}

/// Every path is the operation's resource's (an action's ends in `/action`), the paths do
/// not overlap, and what a path has beyond its handle's is at most the item's ID.
fn check_paths(model: &Model, op: &Op, err: &mut impl FnMut(String)) {
    for (i, (r, path)) in op.paths.iter().enumerate() {
        if op.paths[..i].iter().any(|(q, _)| q.overlaps(*r)) {
            err(format!("path `{path}` overlaps another in {}", Show(*r)));
        }
        if (op.kind == OpKind::Action) != path.ends_with("/action") {
            err(format!(
                "path `{path}`: an action's path, and only an action's, ends in `/action`"
            ));
        }
        if !path.starts_with('/') {
            err(format!("path `{path}` does not start with `/`"));
        }
        match bind(&model.resources, path) {
            Some((resource, on_item)) if resource.name == op.resource && on_item == op.on_item => {
                let base = if on_item && resource.item_handle.is_some() {
                    resource.item_path().map_or(0, |p| segments(&p).len())
                } else {
                    match &resource.parent {
                        Some(p) => model
                            .resources
                            .iter()
                            .find(|x| &x.name == p)
                            .and_then(|x| x.item_path())
                            .map_or(0, |p| segments(&p).len()),
                        None => 0,
                    }
                };
                let beyond: Vec<&str> = segments(path)
                    .into_iter()
                    .skip(base)
                    .filter(|s| s.starts_with('{'))
                    .collect();
                let allowed = if on_item && resource.item_handle.is_none() {
                    1
                } else {
                    0
                };
                if beyond.len() != allowed {
                    err(format!(
                        "path `{path}`: its parameters beyond its handle's are {beyond:?}; give the resource that names them a file in spec/resources"
                    ));
                }
            }
            Some((resource, _)) => err(format!(
                "path `{path}` belongs to resource `{}`, not to the operation's `{}`",
                resource.name, op.resource
            )),
            None => err(format!("path `{path}` belongs to no resource of spec/resources")),
        }
    }
}

/// What the fake cloud reads: values that name request fields and path parameters that exist,
/// resources that exist, and server fields only on operations on a server.
fn check_effects(model: &Model, op: &Op, err: &mut impl FnMut(String)) {
    use crate::model::Source;
    let params: BTreeSet<&str> = op
        .paths
        .iter()
        .flat_map(|(_, p)| segments(p))
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect();
    let problem = |s: &Source| match s {
        Source::Request(f) if !op.request.iter().any(|x| &x.json == f) => Some(format!("`{f}` is not a request field")),
        Source::Param(p) if !params.contains(p.as_str()) => Some(format!("`{p}` is not a path parameter")),
        Source::Json(j) if serde_json::from_str::<serde_json::Value>(j).is_err() => Some(format!("`{j}` is not JSON")),
        _ => None,
    };
    for (field, s) in &op.sets {
        if let Some(p) = problem(s) {
            err(format!("sets.{field}: {p}"));
        }
    }
    if let Some((resource, _, item)) = &op.store {
        if !model.resources.iter().any(|r| &r.name == resource) {
            err(format!("store: `{resource}` is no resource"));
        }
        for (field, s) in item {
            if let Some(p) = problem(s) {
                err(format!("store.item.{field}: {p}"));
            }
        }
    }
    let on_server = op.resource == "server" && op.on_item;
    if (!op.sets.is_empty() || !op.noop_when.is_empty()) && !on_server {
        err("`sets` and `noop_when` are about one server: the operation is not on one".into());
    }
    for r in &op.references {
        // A JSON pointer names a field inside one beside the body key
        // (`/os:scheduler_hints/group`).
        let top = r.field.strip_prefix('/').and_then(|p| p.split('/').next());
        let known = match top {
            Some(t) => op.request.iter().any(|f| f.json == t && f.location == Location::Top),
            None => op.request.iter().any(|f| f.json == r.field),
        };
        if !known {
            err(format!("references: `{}` is not a request field", r.field));
        }
        if !model.resources.iter().any(|x| x.name == r.resource) {
            err(format!("references: `{}` is no resource", r.resource));
        }
    }
}

/// `item_ends`: an operation on a server's sub-resource whose resource names its items and
/// shows one (its `GET` on the item's path), naming the item by a required string field of the
/// request or by the resource's own path parameter, and recording an instance action to
/// follow.
fn check_item_ends(model: &Model, op: &Op, err: &mut impl FnMut(String)) {
    use crate::model::Source;
    let Some((_, source)) = &op.item_ends else { return };
    let Some(r) = model.resources.iter().find(|r| r.name == op.resource) else {
        return;
    };
    if r.id.is_none() || r.kind != ResourceKind::Collection {
        err("item_ends: the operation's resource is a collection that names its items (`id`)".into());
    }
    if crate::codegen::operation::item_show(model, op).is_none() {
        err(format!(
            "item_ends: `{}` has no operation showing one item (a `get` on its item path)",
            r.name
        ));
    }
    if !crate::codegen::resources::on_server_item(model, op) || op.resource == "server" {
        err("item_ends: for operations on an item of a server's sub-resource".into());
    }
    if op.instance_action.is_none() {
        err("item_ends: the operation records an instance action to follow".into());
    }
    match source {
        Source::Request(f) => match op.request.iter().find(|x| &x.json == f) {
            Some(x)
                if x.ty == crate::types::TypeExpr::Scalar("string")
                    && x.required == Some(op.range)
                    && x.range == op.range => {}
            Some(_) => err(format!(
                "item_ends.id: `{f}` is not a string the request requires at every microversion"
            )),
            None => err(format!("item_ends.id: `{f}` is not a request field")),
        },
        Source::Param(p) => {
            if r.id.as_deref() != Some(p.as_str())
                || !op.paths.iter().all(|(_, path)| path.contains(&format!("{{{p}}}")))
            {
                err(format!(
                    "item_ends.id: `{p}` is not the resource's item parameter in the operation's path"
                ));
            }
        }
        Source::Json(_) => err("item_ends.id: `{request: <field>}` or `{param: <path parameter>}`".into()),
    }
}

/// Success codes: one in effect at every microversion of the operation, or several in a
/// stretch where each names its outcome.
fn check_statuses(op: &Op, err: &mut impl FnMut(String)) {
    let mut v = op.range.since;
    while v <= op.range.until {
        let here: Vec<_> = op.statuses.iter().filter(|s| s.range.contains(v)).collect();
        if here.is_empty() {
            err(format!("no success code at {v}"));
            return;
        }
        if here.len() > 1 && here.iter().any(|s| s.outcome.is_none()) {
            err(format!("several success codes at {v}: each names its `outcome`"));
            return;
        }
        v = v.next();
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
