//! One operation's module: its docs, its `Request` and `Response` definitions (for the
//! derive), its facts as a plain `OperationInfo` literal, its `Call`, and the method of its
//! resource's handle that starts one.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::resources::{Offer, offer, on_server_item, resource};
use super::{
    docs, field_attr, group_fields, ident, lit, range_lit, rust_type, shape_ident, show_range, status_idents, storage,
};
use crate::model::{Ends, Field, Model, Op, Paging, Shape, Source, WhileBusy};
use crate::spec::{ActionEvents, BodyKind, Location, OpKind, Range, Version};
use crate::types::TypeExpr;

/// A map of one entry whose key is the path's, as the whole body or its one field
/// (`PUT .../os-extra_specs/{key}` with `{key: value}`, `PUT .../metadata/{key}` with
/// `{"meta": {key: value}}`): the client method takes the value, and the key once.
fn one_entry(f: &Field, offer: &Offer) -> bool {
    matches!(f.location, Location::Entries | Location::Body)
        && matches!(f.ty, TypeExpr::Map(_))
        && f.limits.as_ref().and_then(|l| l.max_properties) == Some(1)
        && offer.id_param.is_some()
}

/// `compute.server(id).stop()`, for the docs.
fn call_text(op: &Op, offer: &Offer, method: &str, args: &[String]) -> String {
    let mut args: Vec<String> = args
        .iter()
        .map(|a| match op.request.iter().find(|f| &f.rust == a) {
            Some(f) if one_entry(f, offer) => "value".to_string(),
            _ => a.clone(),
        })
        .collect();
    if let Some(id) = &offer.id_param {
        args.insert(0, id.clone());
    }
    format!("`{}.{method}({})`", offer.chain, args.join(", "))
}

/// How the request goes: `` `POST /servers/{server_id}/action` with `{"os-stop": ..}` ``.
fn how(op: &Op) -> String {
    let paths: Vec<String> = op
        .paths
        .iter()
        .map(|(r, p)| {
            if op.paths.len() > 1 {
                format!("`{} {p}` ({})", op.kind.method(), super::show_range_plain(r))
            } else {
                format!("`{} {p}`", op.kind.method())
            }
        })
        .collect();
    let paths = paths.join(", then ");
    match (&op.key, op.body) {
        (Some(k), _) => format!("{paths} with `{{\"{k}\": ..}}`"),
        (None, BodyKind::Fields) => format!("{paths} with its fields"),
        (None, BodyKind::Entries) => format!("{paths} with the entries as the body"),
        _ => paths,
    }
}

fn module_docs(model: &Model, op: &Op) -> Vec<String> {
    let mut doc: Vec<String> = Vec::new();
    // The first line is the module's entry in `ops`: an action is known by its key.
    doc.push(match (op.kind, &op.key) {
        (OpKind::Action, Some(k)) => format!("`{k}`: {}", op.summary),
        _ => op.summary.to_string(),
    });
    doc.push(String::new());
    if let Some(d) = &op.doc {
        doc.push(d.clone());
        doc.push(String::new());
    }
    let offer = offer(model, op);
    let calls: Vec<String> = op
        .clients
        .iter()
        .map(|c| {
            let text = call_text(op, &offer, &c.method, &c.args);
            if c.range == op.range {
                text
            } else {
                format!("{text} (microversions {})", show_range(model, c.range))
            }
        })
        .collect();
    let statuses = if op.statuses.len() == 1 {
        format!("success {}", op.statuses[0].code)
    } else {
        let each: Vec<String> = op
            .statuses
            .iter()
            .map(|s| {
                let mut t = format!("{}", s.code);
                if s.range != op.range {
                    t.push_str(&format!(" at {}", show_range(model, s.range)));
                }
                if let Some(o) = &s.outcome {
                    t.push_str(&format!(" when {o}"));
                }
                t
            })
            .collect();
        format!("success {}", each.join(", "))
    };
    doc.push(format!(
        "- {}, microversions {}, {statuses}; on the client: {}.",
        how(op),
        show_range(model, op.range),
        calls.join(" or ")
    ));
    if op.exists() {
        doc.push("- A yes-or-no answer: `true` on success, `false` where Nova answers 404.".into());
    }
    let mut policy = format!("- Policy: {}.", op.policy.describe());
    if let Some(n) = &op.policy_note {
        policy.push(' ');
        policy.push_str(n);
    }
    doc.push(policy);
    if !op.errors.is_empty() {
        doc.push(format!(
            "- Errors Nova declares: {}.",
            op.errors.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    match op.lock_checked {
        Some(409) => doc.push("- A locked server refuses it (409) to non-admins.".into()),
        Some(status) => doc.push(format!(
            "- A locked server refuses it to non-admins with a {status}: Nova's controller leaves its lock error unmapped."
        )),
        None => {}
    }
    if let Some(s) = &op.server_status {
        let mut parts = Vec::new();
        if !s.from.is_empty() {
            parts.push(format!("from {}", s.from.join(", ")));
        }
        if !s.during.is_empty() {
            parts.push(format!("during {}", s.during.join(", ")));
        }
        parts.push(match &s.ends_in {
            Ends::Statuses(v) => format!("ends in {}", v.join(" or ")),
            Ends::Unchanged => "the status does not change; the task state returns to null".into(),
            Ends::Deleted => "the server is deleted".into(),
        });
        if !s.auto_confirmed.is_empty() {
            parts.push(format!(
                "or {} when the cloud confirms it by itself",
                s.auto_confirmed.join(" or ")
            ));
        }
        if !s.deferred.is_empty() {
            parts.push(format!(
                "or rests in {} where the cloud defers deletes (restorable until it is reclaimed)",
                s.deferred.join(" or ")
            ));
        }
        if !s.task_states.is_empty() {
            parts.push(format!("task states {}", s.task_states.join(", ")));
        }
        doc.push(format!("- Server status: {}.", parts.join("; ")));
        if let Some(n) = &s.note {
            doc.push(format!("  {n}"));
        }
        doc.push(format!("- While a task is in flight: {}.", busy_doc(&s.while_busy)));
        if let Some((field, cases)) = &s.by_request {
            for c in cases {
                doc.push(format!(
                    "- With `{field}` `{}`: from {}; shows {}; task states {}; while a task is in flight, {}.",
                    c.value,
                    if c.from.is_empty() {
                        "any status".into()
                    } else {
                        c.from.join(", ")
                    },
                    if c.during.is_empty() {
                        "no status of its own".into()
                    } else {
                        c.during.join(" or ")
                    },
                    c.task_states.join(", "),
                    busy_doc(&c.while_busy)
                ));
            }
        }
    }
    if let Some(a) = &op.instance_action {
        doc.push(format!(
            "- Recorded as instance action `{}`{}.",
            a.name,
            match a.recorded_by() {
                ActionEvents::None => ", without events",
                ActionEvents::Api => ", with events the API finishes before it answers",
                ActionEvents::Synchronous => ", with events the compute host finishes before the API answers",
                ActionEvents::Compute => ", with events the conductor or compute host records after the API answered",
            }
        ));
    }
    if let Some((present, source)) = &op.item_ends {
        let show =
            item_show(model, op).map_or_else(String::new, |s| format!(" ([`{}`](crate::ops::{}))", s.name, s.name));
        let named = match source {
            Source::Request(f) => format!("the request's `{f}`"),
            Source::Param(p) => format!("`{p}`"),
            Source::Json(j) => j.clone(),
        };
        doc.push(if *present {
            format!("- Ends with the item {named} names there: `wait` follows the instance action to its end, then shows the item{show} until it is there.")
        } else {
            format!("- Ends with the item {named} names gone: `wait` follows the instance action to its end, then shows the item{show} until Nova answers 404.")
        });
    }
    if let Some(w) = &op.server_facts_when {
        let since = w.since.unwrap_or(op.range.since);
        let mut line = format!(
            "- The lock, the statuses and the instance action above hold only where `{}` differs from the path's `{}`",
            w.differs.request, w.differs.param
        );
        if since > op.range.since {
            line.push_str(&format!(" (and for every request below {since})"));
        }
        line.push_str("; elsewhere Nova checks none of them and records nothing.");
        if let Some(r) = &w.refused {
            line.push_str(&format!(
                " Where they hold, Nova answers {} (\"{}\").",
                r.status, r.message
            ));
        }
        doc.push(line);
    }
    if let Some(r) = op.response.as_ref().filter(|r| r.list) {
        doc.push(match r.paging {
            Some(Paging::Marker { since }) if since == op.range.since => {
                "- Pages by `limit` and `marker`: `into_stream()` and `collect()` follow the `next` links.".into()
            }
            Some(Paging::Marker { since }) => format!(
                "- Pages by `limit` and `marker` from {since} (whole before): `into_stream()` and `collect()` follow the `next` links."
            ),
            Some(Paging::Offset) => {
                "- Pages by `limit` and `offset`, with no links: `into_stream()` and `collect()` move the offset until a page is empty or short.".into()
            }
            None => "- Comes whole, in one page.".into(),
        });
    }
    if let Some(n) = &op.never_succeeds {
        doc.push(format!("- Never succeeds: {n}"));
    }
    if !op.controller_checks.is_empty() {
        doc.push(String::new());
        doc.push("Checked by Nova's controller at these microversions (not by its schemas):".into());
        doc.push(String::new());
        for (v, text) in &op.controller_checks {
            doc.push(format!("- {v}: {text}"));
        }
    }
    if !op.history.is_empty() {
        doc.push(String::new());
        doc.push("Changes by microversion:".into());
        doc.push(String::new());
        for (v, text) in &op.history {
            doc.push(format!("- {v}: {text}"));
        }
    }
    let per_version: Vec<String> = op.breakpoints.iter().map(|v| format!("[`{}`]", v.ident())).collect();
    doc.push(String::new());
    doc.push(format!("Per-version requests: {}.", per_version.join(", ")));
    doc
}

/// The operation that shows one item of `op`'s resource: the `GET` on the resource's item path,
/// with a body (what an item wait reads).
pub(crate) fn item_show<'a>(model: &'a Model, op: &Op) -> Option<&'a Op> {
    let item = resource(model, &op.resource).item_path()?;
    model.ops.iter().find(|o| {
        o.resource == op.resource
            && o.kind == OpKind::Get
            && o.on_item
            && o.paths.iter().all(|(_, p)| *p == item)
            && o.response.as_ref().is_some_and(|r| !r.list)
    })
}

/// The response stretch that holds `v`.
fn response_stretch(op: &Op, v: Version) -> Version {
    op.response_breakpoints
        .iter()
        .copied()
        .filter(|b| *b <= v)
        .max()
        .unwrap_or(op.range.since)
}

/// The stretches between consecutive `breakpoints`, up to `until`.
fn stretches(breakpoints: &[Version], until: Version) -> Vec<Range> {
    breakpoints
        .iter()
        .enumerate()
        .map(|(i, &since)| Range::new(since, breakpoints.get(i + 1).map_or(until, |n| n.prev())))
        .collect()
}

/// The Rust type the operation answers with.
fn response_type(op: &Op) -> TokenStream {
    match &op.response {
        Some(_) => quote!(Response),
        None if op.exists() => quote!(bool),
        None => quote!(op::NoContent),
    }
}

pub(super) fn operation(model: &Model, op: &Op) -> Result<TokenStream, String> {
    let module_docs = module_docs(model, op).into_iter().map(|l| {
        let l = lit(&if l.is_empty() { String::new() } else { format!(" {l}") });
        quote!(#![doc = #l])
    });
    let request = request(model, op);
    let response = match &op.response {
        Some(r) => response_view(model, op, r)?,
        None if op.exists() => quote!(
            /// The answer: whether it exists.
            pub type Response = bool;
        ),
        None => quote!(
            /// The answer: no body.
            pub type Response = op::NoContent;
        ),
    };
    let info = info(model, op);
    let operation_impl = operation_impl(op);
    let call = call(model, op);
    let methods = client_methods(model, op);
    Ok(quote!(
        #(#module_docs)*
        #[allow(unused_imports)]
        use crate::types::*;
        use crate::operation as op;

        #request
        #response
        #info
        #operation_impl
        #call
        #methods
    ))
}

fn request(model: &Model, op: &Op) -> TokenStream {
    let name = lit(&op.name);
    let key = op.key.as_ref().map(|k| {
        let k = lit(k);
        quote!(key = #k,)
    });
    let body = ident(match op.body {
        BodyKind::None => "none",
        BodyKind::Null => "null",
        BodyKind::ExactlyNull => "exactly_null",
        BodyKind::Object => "object",
        BodyKind::ObjectOrNull => "object_or_null",
        BodyKind::Fields => "fields",
        BodyKind::Entries => "entries",
    });
    let range = range_lit(op.range);
    let stretches = stretches(&op.breakpoints, op.range.until).into_iter().map(|s| {
        let r = range_lit(s);
        let response = match &op.response {
            Some(resp) => {
                let v = format_ident!("{}", response_stretch(op, s.since).ident());
                if resp.list {
                    quote!(op::Page<response::#v>)
                } else {
                    quote!(response::#v)
                }
            }
            None => response_type(op),
        };
        quote!(stretch(#r, response = #response))
    });
    let fields = group_fields(&op.request).into_iter().map(|(rust, entries)| {
        let name = ident(&rust);
        let ty = rust_type(&entries[0].ty.rust());
        let since = entries.iter().map(|e| e.range.since).min().expect("an entry");
        let until = entries.iter().map(|e| e.range.until).max().expect("an entry");
        let accepted = format!(
            "Accepted in microversions {}.",
            show_range(model, Range::new(since, until))
        );
        let text = match entries.iter().find_map(|e| e.doc.as_deref()) {
            Some(d) => format!("{d}\n\n{accepted}"),
            None => accepted,
        };
        let d = docs(Some(&text));
        let attrs = entries.iter().map(|e| field_attr(model, e, quote!()));
        quote!(#d #(#attrs)* pub #name: #ty,)
    });
    let doc = format!(
        " The `{}` request, valid in every microversion of the operation: what is set is checked against the microversion in effect when it is sent.",
        op.name
    );
    quote!(
        #[doc = #doc]
        #[openstack_compute_derive::request(
            operation = #name, #key body = #body, call = Call, range = #range,
            #(#stretches),*
        )]
        pub struct Request { #(#fields)* }
    )
}

/// What a view of a named type is, per field at a microversion: present (and then required,
/// nullable) or not. Two operations' views with the same signature are one Rust type.
fn view_signature(type_name: &str, fields: &[Field], v: Version) -> String {
    // Sorted: the view's field order is not part of what it is.
    let mut present: Vec<String> = fields
        .iter()
        .filter(|f| f.range.contains(v))
        .map(|f| format!("{}/{}/{}", f.rust, f.required_at(v), f.nullable_at(v)))
        .collect();
    present.sort();
    format!("{type_name}:{}", present.join(";"))
}

/// Where each named type's view at each stretch is generated: by the first operation (in the
/// model's order) that has that view; the others name it. Keyed by (operation, stretch start).
fn view_owners(model: &Model) -> BTreeMap<(String, Version), (String, Version)> {
    let mut first: BTreeMap<String, (String, Version)> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for op in &model.ops {
        let Some(r) = &op.response else { continue };
        let Some(type_name) = &r.of else { continue };
        for &since in &op.response_breakpoints {
            let owner = first
                .entry(view_signature(type_name, &r.fields, since))
                .or_insert_with(|| (op.name.clone(), since))
                .clone();
            out.insert((op.name.clone(), since), owner);
        }
    }
    out
}

fn response_view(model: &Model, op: &Op, r: &crate::model::Response) -> Result<TokenStream, String> {
    let name = lit(&op.name);
    let range = range_lit(op.range);
    let owners = view_owners(model);
    let stretches = stretches(&op.response_breakpoints, op.range.until)
        .into_iter()
        .map(|s| {
            let r = range_lit(s);
            let here = (op.name.clone(), s.since);
            match owners.get(&here) {
                Some(owner) if *owner != here => {
                    let (o, v) = (ident(&owner.0), ident(&owner.1.ident()));
                    quote!(stretch(#r, same_as = crate::ops::#o::response::#v))
                }
                Some(_) => {
                    let others: Vec<String> = owners
                        .iter()
                        .filter(|(k, o)| **o == here && **k != here)
                        .map(|(k, _)| format!("`{}`", k.0))
                        .collect();
                    if others.is_empty() {
                        quote!(stretch(#r))
                    } else {
                        let others = lit(&others.join(", "));
                        quote!(stretch(#r, shared_with = #others))
                    }
                }
                None => quote!(stretch(#r)),
            }
        });
    let opt = |key: &str, v: &Option<String>| {
        v.as_ref().map(|x| {
            let k = ident(key);
            let x = lit(x);
            quote!(#k = #x,)
        })
    };
    let wrap = opt("wrap", &r.wrap);
    let item_wrap = opt("item_wrap", &r.item_wrap);
    let links = opt("links", &r.links);
    let list = r.list.then(|| quote!(list,));
    let (of, fields) = match &r.of {
        Some(type_name) => {
            let t = model.ty(type_name).expect("resolved");
            let of_path = format_ident!("{}", type_name);
            // Every field of the unified type, in its order: the view's entries, or `omitted`.
            let mut out = Vec::new();
            for (slot, (rust, entries)) in group_fields(&t.fields).into_iter().enumerate() {
                let shape = t.unified[&rust];
                let value = rust_type(&entries[0].ty.rust());
                let ty = storage(shape, &value);
                let n = ident(&rust);
                let slot = proc_macro2::Literal::usize_unsuffixed(slot);
                let s = shape_ident(shape);
                let view_entries: Vec<&Field> = r.fields.iter().filter(|f| f.rust == rust).collect();
                let d = docs(entries.iter().find_map(|e| e.doc.as_deref()));
                if view_entries.is_empty() {
                    let json = lit(&entries[0].json);
                    out.push(quote!(#d #[field(json = #json, slot = #slot, shape = #s, omitted)] pub #n: #ty,));
                } else {
                    let attrs = view_entries
                        .iter()
                        .map(|e| field_attr(model, e, quote!(, slot = #slot, shape = #s)));
                    out.push(quote!(#d #(#attrs)* pub #n: #ty,));
                }
            }
            (Some(quote!(of = #of_path,)), out)
        }
        None => {
            let shapes = inline_shapes(op, &r.fields);
            let mut out = Vec::new();
            for (rust, entries) in group_fields(&r.fields) {
                let shape = shapes[&rust];
                let value = rust_type(&entries[0].ty.rust());
                let ty = storage(shape, &value);
                let n = ident(&rust);
                let s = shape_ident(shape);
                let d = docs(entries.iter().find_map(|e| e.doc.as_deref()));
                let attrs = entries.iter().map(|e| field_attr(model, e, quote!(, shape = #s)));
                out.push(quote!(#d #(#attrs)* pub #n: #ty,));
            }
            (None, out)
        }
    };
    let doc = match &r.of {
        Some(t) => format!(" The `{}` response is a view of [`{t}`].", op.name),
        None => format!(" The `{}` response, every microversion's fields in one type.", op.name),
    };
    Ok(quote!(
        #[doc = #doc]
        #[openstack_compute_derive::response(
            operation = #name, #of #wrap #list #item_wrap #links range = #range,
            #(#stretches),*
        )]
        pub struct Response { #(#fields)* }
    ))
}

/// The unified shape of an inline response's fields, across the operation's versions.
fn inline_shapes(op: &Op, fields: &[Field]) -> BTreeMap<String, Shape> {
    let mut out = BTreeMap::new();
    for (rust, entries) in group_fields(fields) {
        let mut shape: Option<Shape> = None;
        for v in op.response_breakpoints.iter().copied() {
            let s = entries
                .iter()
                .find_map(|e| {
                    e.shape_at(v).map(|s| {
                        if e.location == Location::Header {
                            Shape::Option
                        } else {
                            s
                        }
                    })
                })
                .unwrap_or(Shape::Option);
            shape = Some(shape.map_or(s, |p| p.max(s)));
        }
        let mut shape = shape.unwrap_or(Shape::Option);
        if entries[0].default_empty && shape != Shape::Plain {
            shape = Shape::List;
        }
        out.insert(rust, shape);
    }
    out
}

fn version_tokens(v: Version) -> TokenStream {
    let (a, b) = (
        proc_macro2::Literal::u16_unsuffixed(v.major),
        proc_macro2::Literal::u16_unsuffixed(v.minor),
    );
    quote!(crate::Microversion::new(#a, #b))
}

fn range_tokens(r: Range) -> TokenStream {
    let (a, b) = (version_tokens(r.since), version_tokens(r.until));
    quote!(crate::VersionRange::new(#a, #b))
}

/// A range inside an operation's facts: `RANGE` when it is the operation's own.
fn range_in(op: &Op, r: Range) -> TokenStream {
    if r == op.range { quote!(RANGE) } else { range_tokens(r) }
}

fn status_list(model: &Model, kind: &str, names: &[String]) -> TokenStream {
    let ty = ident(kind);
    let idents = status_idents(model, kind, names);
    quote!(&[#(crate::types::#ty::#idents),*])
}

fn ends_tokens(model: &Model, ends: &Ends) -> TokenStream {
    match ends {
        Ends::Statuses(v) => {
            let v = status_list(model, "ServerStatus", v);
            quote!(op::EndsIn::Statuses(#v))
        }
        Ends::Unchanged => quote!(op::EndsIn::Unchanged),
        Ends::Deleted => quote!(op::EndsIn::Deleted),
    }
}

fn source_tokens(source: &Source) -> TokenStream {
    match source {
        Source::Request(f) => quote!(op::Source::Request(#f)),
        Source::Param(p) => quote!(op::Source::Param(#p)),
        Source::Json(j) => quote!(op::Source::Json(#j)),
    }
}

fn busy_tokens(model: &Model, busy: &WhileBusy) -> TokenStream {
    match busy {
        WhileBusy::Refused => quote!(op::WhileBusy::Refused),
        WhileBusy::Accepted => quote!(op::WhileBusy::Accepted),
        WhileBusy::RefusedIn(tasks, status) => {
            let tasks = status_list(model, "TaskState", tasks);
            let status = proc_macro2::Literal::u16_unsuffixed(*status);
            quote!(op::WhileBusy::RefusedIn { task_states: #tasks, status: #status })
        }
        WhileBusy::AcceptedIn(tasks) => {
            let tasks = status_list(model, "TaskState", tasks);
            quote!(op::WhileBusy::AcceptedIn { task_states: #tasks })
        }
    }
}

/// `INFO`, the operation's facts, and `SERVER`, what it means for a server.
fn info(model: &Model, op: &Op) -> TokenStream {
    let name = lit(&op.name);
    let method = ident(match op.kind {
        OpKind::Get => "Get",
        OpKind::Put => "Put",
        OpKind::Delete => "Delete",
        OpKind::Action | OpKind::Post => "Post",
    });
    let paths = op.paths.iter().map(|(r, p)| {
        let r = range_in(op, *r);
        quote!(op::PathAt::new(#r, #p))
    });
    let action = match (op.kind, &op.key) {
        (OpKind::Action, Some(k)) => quote!(Some(#k)),
        _ => quote!(None),
    };
    let range = range_tokens(op.range);
    let statuses = op.statuses.iter().map(|s| {
        let r = range_in(op, s.range);
        let code = proc_macro2::Literal::u16_unsuffixed(s.code);
        let outcome = match &s.outcome {
            Some(o) => quote!(Some(#o)),
            None => quote!(None),
        };
        quote!(op::StatusAt::new(#r, #code, #outcome))
    });
    let errors = op.errors.iter().map(|e| proc_macro2::Literal::u16_unsuffixed(*e));
    let policy = ident(&format!("{:?}", op.policy));
    let never = op.never_succeeds.is_some();
    let answer = match &op.response {
        Some(_) => quote!(op::Answer::Body(&RESPONSE)),
        None if op.exists() => quote!(op::Answer::Exists),
        None => quote!(op::Answer::Nothing),
    };
    let paging = match op.response.as_ref().and_then(|r| r.paging) {
        Some(Paging::Marker { since }) => {
            let since = version_tokens(since);
            quote!(Some(op::Paging::Marker { since: #since }))
        }
        Some(Paging::Offset) => quote!(Some(op::Paging::Offset)),
        None => quote!(None),
    };
    let breakpoints = op.breakpoints.iter().map(|v| version_tokens(*v));
    let has_server = op.lock_checked.is_some()
        || op.server_status.is_some()
        || op.conflict_name.is_some()
        || !op.sets.is_empty()
        || !op.noop_when.is_empty();
    let server_ref = if has_server {
        quote!(Some(&SERVER))
    } else {
        quote!(None)
    };
    let server = has_server.then(|| {
        let lock = match op.lock_checked.map(proc_macro2::Literal::u16_unsuffixed) {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        let conflict = op.conflict_name.clone().or(op.key.clone()).unwrap_or(op.name.clone());
        let status = match &op.server_status {
            None => quote!(None),
            Some(s) => {
                let from = status_list(model, "ServerStatus", &s.from);
                let during = status_list(model, "ServerStatus", &s.during);
                let auto = status_list(model, "ServerStatus", &s.auto_confirmed);
                let deferred = status_list(model, "ServerStatus", &s.deferred);
                let tasks = status_list(model, "TaskState", &s.task_states);
                let ends = ends_tokens(model, &s.ends_in);
                let busy = busy_tokens(model, &s.while_busy);
                let by_request = match &s.by_request {
                    None => quote!(None),
                    Some((field, cases)) => {
                        let cases = cases.iter().map(|c| {
                            let value = &c.value;
                            let from = status_list(model, "ServerStatus", &c.from);
                            let during = status_list(model, "ServerStatus", &c.during);
                            let tasks = status_list(model, "TaskState", &c.task_states);
                            let busy = busy_tokens(model, &c.while_busy);
                            let ends = match &c.ends_in {
                                Some(e) => {
                                    let e = ends_tokens(model, e);
                                    quote!(Some(#e))
                                }
                                None => quote!(None),
                            };
                            quote!(op::RequestCase {
                                value: #value, ends_in: #ends, from: #from, during: #during, task_states: #tasks, while_busy: #busy,
                            })
                        });
                        quote!(Some(op::RequestCases {
                            field: #field, cases: &[#(#cases),*],
                        }))
                    }
                };
                quote!(Some(op::StatusFacts {
                    from: #from, during: #during, ends_in: #ends, auto_confirmed: #auto, deferred: #deferred, task_states: #tasks,
                    while_busy: #busy, by_request: #by_request,
                }))
            }
        };
        let sets = op.sets.iter().map(|(field, source)| {
            let source = source_tokens(source);
            quote!((#field, #source))
        });
        let noop = op.noop_when.iter().map(|(field, value)| quote!((#field, #value)));
        let doc = format!(" What `{}` means for a server.", op.name);
        quote!(
            #[doc = #doc]
            static SERVER: op::ServerFacts = op::ServerFacts {
                lock_checked: #lock,
                conflict_name: #conflict,
                status: #status,
                sets: &[#(#sets),*],
                noop_when: &[#(#noop),*],
            };
        )
    });
    let instance_action = match &op.instance_action {
        None => quote!(None),
        Some(a) => {
            let n = &a.name;
            let events = ident(&format!("{:?}", a.recorded_by()));
            let recorded = a.events.iter().map(|e| {
                let (name, range, from) = match e {
                    crate::spec::EventSpec::Name(name) => (name.clone(), op.range, Vec::new()),
                    crate::spec::EventSpec::Where(w) => (
                        w.name.clone(),
                        Range::new(w.since.unwrap_or(op.range.since), w.until.unwrap_or(op.range.until)),
                        w.from.clone(),
                    ),
                };
                let range = range_tokens(range);
                let from = status_list(model, "ServerStatus", &from);
                quote!(op::ActionEvent::new(#name, #range, #from))
            });
            quote!(Some(op::InstanceActionFacts {
                name: #n, events: op::ActionEvents::#events, recorded: &[#(#recorded),*],
            }))
        }
    };
    let item_ends = match &op.item_ends {
        None => quote!(None),
        Some((present, source)) => {
            let source = source_tokens(source);
            quote!(Some(op::ItemEnds { present: #present, id: #source }))
        }
    };
    let facts_when = match &op.server_facts_when {
        None => quote!(None),
        Some(w) => {
            let (field, param) = (&w.differs.request, &w.differs.param);
            let since = version_tokens(w.since.unwrap_or(op.range.since));
            let refused = match &w.refused {
                Some(r) => {
                    let (status, message) = (proc_macro2::Literal::u16_unsuffixed(r.status), &r.message);
                    quote!(Some((#status, #message)))
                }
                None => quote!(None),
            };
            quote!(Some(op::FactsWhen { field: #field, param: #param, since: #since, refused: #refused }))
        }
    };
    let resource = super::resources::resource_static(&op.resource);
    let references = op.references.iter().map(|r| {
        let (field, resource, message) = (&r.field, &r.resource, &r.message);
        let status = proc_macro2::Literal::u16_unsuffixed(r.status);
        quote!(op::Reference { field: #field, resource: #resource, status: #status, message: #message })
    });
    let store = match &op.store {
        None => quote!(None),
        Some((resource, adds, item)) => {
            let item = item.iter().map(|(field, source)| {
                let source = source_tokens(source);
                quote!((#field, #source))
            });
            quote!(Some(op::StoreEffect {
                resource: #resource, adds: #adds, item: &[#(#item),*],
            }))
        }
    };
    let doc = format!(" The facts of `{}` (`spec/operations/{}.yaml`).", op.name, op.name);
    quote!(
        /// The microversions where the operation exists.
        const RANGE: crate::VersionRange = #range;

        #[doc = #doc]
        pub static INFO: op::OperationInfo = op::OperationInfo {
            name: #name,
            resource: &crate::generated::resources::#resource,
            method: op::Method::#method,
            paths: &[#(#paths),*],
            action: #action,
            range: RANGE,
            status: &[#(#statuses),*],
            errors: &[#(#errors),*],
            policy: op::Policy::#policy,
            never_succeeds: #never,
            request: <Request as op::RequestFields>::SHAPE,
            answer: #answer,
            paging: #paging,
            breakpoints: &[#(#breakpoints),*],
            server: #server_ref,
            instance_action: #instance_action,
            item_ends: #item_ends,
            server_facts_when: #facts_when,
            references: &[#(#references),*],
            store: #store,
        };
        #server
    )
}

fn operation_impl(op: &Op) -> TokenStream {
    let response = response_type(op);
    let (parse, write, absent) = match &op.response {
        Some(_) => (
            quote!(parse_response(body, location, version)),
            quote!(write_response(response, version)),
            quote!(),
        ),
        None if op.exists() => (
            quote!({
                let _ = (body, location, version);
                Ok(true)
            }),
            quote!({
                let _ = (response, version);
                Vec::new()
            }),
            quote!(
                fn absent() -> Option<bool> {
                    Some(false)
                }
            ),
        ),
        None => (
            quote!({
                let _ = (body, location, version);
                Ok(op::NoContent)
            }),
            quote!({
                let _ = (response, version);
                Vec::new()
            }),
            quote!(),
        ),
    };
    quote!(
        impl op::Operation for Request {
            const INFO: &'static op::OperationInfo = &INFO;
            type Response = #response;

            fn parse_response(
                body: &[u8],
                location: Option<&str>,
                version: crate::Microversion,
            ) -> Result<#response, crate::DecodeError> {
                #parse
            }

            #[cfg(feature = "testing")]
            fn write_response(response: &#response, version: crate::Microversion) -> Vec<u8> {
                #write
            }

            #absent
        }
    )
}

fn call(model: &Model, op: &Op) -> TokenStream {
    let response = response_type(op);
    let offer = offer(model, op);
    let how = how(op);
    let call_doc = format!(
        " A `{}` call being built: one method per field, then [`Call::send`]. {how}.",
        op.name
    );
    // Work done before Nova answers needs no wait, and facts that hold for some requests only
    // cannot say where every call ends.
    let waitable = op.server_facts_when.is_none()
        && !op
            .instance_action
            .as_ref()
            .is_some_and(|a| a.recorded_by() == ActionEvents::Synchronous);
    let item_wait = op.item_ends.as_ref().filter(|_| waitable && on_server_item(model, op)).map(|(present, source)| {
        let show = item_show(model, op).expect("validated: an item wait has its resource's show");
        let show = ident(&show.name);
        let param = resource(model, &op.resource).id.clone().expect("validated: the resource names its items");
        let id = match source {
            Source::Request(f) => {
                let rust = ident(&op.request.iter().find(|x| &x.json == f).expect("validated").rust);
                quote!(self.0.request.#rust.clone())
            }
            Source::Param(p) => quote!(self.0.param(#p).map(str::to_string)),
            Source::Json(_) => unreachable!("validated: an item's ID comes from the request or the path"),
        };
        if *present {
            quote!(
                /// Sends the request, then follows the instance action of this call's request ID
                /// to its end and shows the item the call names until it is there, and returns
                /// it as shown then (see the module docs and [`crate::wait`]).
                pub async fn wait(self, options: crate::WaitOptions) -> Result<crate::wait::Present<#response, crate::ops::#show::Response>, crate::Error> {
                    let id = #id;
                    self.0.wait_present::<crate::ops::#show::Request>(#param, id, options).await
                }
            )
        } else {
            quote!(
                /// Sends the request, then follows the instance action of this call's request ID
                /// to its end and shows the item the call names until Nova answers 404 (see
                /// the module docs and [`crate::wait`]).
                pub async fn wait(self, options: crate::WaitOptions) -> Result<crate::wait::Absent<#response>, crate::Error> {
                    let id = #id;
                    self.0.wait_absent::<crate::ops::#show::Request>(#param, id, options).await
                }
            )
        }
    });
    let wait = match (&op.server_status, on_server_item(model, op)) {
        _ if item_wait.is_some() => item_wait.unwrap_or_default(),
        _ if !waitable => quote!(),
        (Some(s), true) if s.ends_in == Ends::Deleted => quote!(
            /// Sends the request, then polls until the server is gone (show answers 404).
            pub async fn wait(self, options: crate::WaitOptions) -> Result<crate::wait::Gone<#response>, crate::Error> {
                self.0.wait_gone(options).await
            }
        ),
        (Some(_), true) => quote!(
            /// Sends the request, then waits until the server is where this operation ends
            /// (see the module docs) and the instance action of this call's request ID has
            /// finished; see [`crate::wait`].
            pub async fn wait(self, options: crate::WaitOptions) -> Result<crate::wait::Waited<#response>, crate::Error> {
                self.0.wait(options).await
            }
        ),
        _ => quote!(),
    };
    let stream = op.response.as_ref().filter(|r| r.list).map(|r| {
        let item = ident(r.of.as_deref().expect("a list has an item type"));
        quote!(
            /// Every item, page after page (see the module docs for how the list pages).
            pub fn into_stream(self) -> crate::ItemStream<#item> {
                crate::ItemStream::new(self.0)
            }

            /// Every item, from every page.
            pub async fn collect(self) -> Result<Vec<#item>, crate::Error> {
                self.into_stream().collect().await
            }
        )
    });
    let _ = offer;
    quote!(
        #[doc = #call_doc]
        #[derive(Clone, Debug)]
        #[must_use = "a call does nothing until it is sent"]
        pub struct Call(crate::call::CallCore<Request>);

        impl Call {
            /// Sends at exactly this microversion instead of the client's strategy.
            pub fn at_microversion(mut self, version: crate::Microversion) -> Self {
                self.0.microversion = Some(version);
                self
            }

            /// The request as built so far.
            pub fn request(&self) -> &Request {
                &self.0.request
            }

            /// The microversion this call would be sent at now: the client's strategy (or
            /// [`Call::at_microversion`]) inside what the cloud and the operation support.
            pub async fn microversion(&self) -> Result<crate::Microversion, crate::Error> {
                self.0.version().await
            }

            /// Whether the request may carry the field named `field` (its JSON name) at the
            /// microversion this call would be sent at: ask before setting a field that not
            /// every cloud accepts.
            pub async fn accepts(&self, field: &str) -> Result<bool, crate::Error> {
                self.0.accepts(field).await
            }

            /// Checks the request against the microversion in effect, sends it, and reads the
            /// response as the server's microversion shapes it.
            pub async fn send(self) -> Result<crate::Output<#response>, crate::Error> {
                self.0.send().await
            }

            /// Sends the request as the per-version type `V` (`rebuild::V2_63`): it fails
            /// before sending if a field set is not in `V`, is sent at a microversion of `V`'s
            /// range, and returns `V`'s response type, where what that range requires is not
            /// optional.
            pub async fn send_pinned<V>(self) -> Result<crate::Output<V::Response>, crate::Error>
            where
                V: op::VersionedRequest<Operation = Request> + TryFrom<Request, Error = crate::ActionError>,
                Request: From<V>,
            {
                self.0.send_pinned::<V>().await
            }

            #wait
            #stream

            #[doc(hidden)]
            pub fn into_core(self) -> crate::call::CallCore<Request> {
                self.0
            }
        }
    )
}

/// The methods of the resource's handle that start this operation's call.
fn client_methods(model: &Model, op: &Op) -> TokenStream {
    let offer = offer(model, op);
    let owner = ident(&offer.ty);
    let how = how(op);
    let fields: BTreeMap<&str, &Field> = op.request.iter().map(|f| (f.rust.as_str(), f)).collect();
    let methods = op.clients.iter().map(|c| {
        let method = ident(&c.method);
        let id = offer.id_param.as_ref().map(|p| {
            let n = ident(p);
            (quote!(#n: impl Into<String>,), quote!(.with_param(#p, #n)))
        });
        let id_into = offer.id_param.as_ref().map(|p| {
            let n = ident(p);
            quote!(let #n: String = #n.into();)
        });
        let (id_param, id_set) = id.unzip();
        let params = c.args.iter().map(|a| {
            let f = fields[a.as_str()];
            let n = ident(a);
            let ty = rust_type(&f.ty.rust());
            if let (true, TypeExpr::Map(value)) = (one_entry(f, &offer), &f.ty) {
                let value = rust_type(&value.rust());
                return quote!(value: impl Into<#value>);
            }
            if f.nullable.is_some() {
                // A nullable argument is an `Option`: `None` sends null (live-migrate's `host`).
                quote!(#n: Option<#ty>)
            } else {
                quote!(#n: impl Into<#ty>)
            }
        });
        let sets = c.args.iter().map(|a| {
            let f = fields[a.as_str()];
            let n = ident(a);
            if one_entry(f, &offer) {
                let key = ident(offer.id_param.as_deref().unwrap_or_default());
                return quote!(#n: Some(std::collections::BTreeMap::from([(#key.clone(), value.into())])),);
            }
            if f.nullable.is_some() {
                quote!(#n: crate::types::Nullable::from(#n),)
            } else {
                quote!(#n: Some(#n.into()),)
            }
        });
        let rest = (c.args.len() < fields.len()).then(|| quote!(..Request::default()));
        let within = (c.range != op.range).then(|| {
            let r = range_tokens(c.range);
            quote!(.within(#r))
        });
        let mut doc = format!(
            "{} {how}: see [`ops::{}`](crate::ops::{}).",
            op.summary, op.name, op.name
        );
        if c.range != op.range {
            doc.push_str(&format!(
                " Offered at microversions {} only.",
                show_range(model, c.range)
            ));
        }
        if let Some(d) = &c.doc {
            doc.push_str(&format!("\n\n{d}"));
        }
        let doc = docs(Some(&doc));
        quote!(
            #doc
            pub fn #method(&self, #id_param #(#params),*) -> Call {
                #id_into
                let request = Request { #(#sets)* #rest };
                Call(crate::call::CallCore::new(self.base(), request) #id_set #within)
            }
        )
    });
    let on_handle = offer.id_param.is_none().then(|| {
        quote!(
            impl op::OnHandle<crate::#owner> for Request {}
        )
    });
    let _ = resource(model, &op.resource);
    quote!(
        impl crate::#owner {
            #(#methods)*
        }
        #on_handle
    )
}

/// What Nova answers while a task is in flight, for the operation docs.
fn busy_doc(busy: &WhileBusy) -> String {
    match busy {
        WhileBusy::Refused => "refused (409)".into(),
        WhileBusy::Accepted => "accepted (Nova does not check the task state)".into(),
        WhileBusy::RefusedIn(tasks, status) => format!("refused ({status}) in task state {}", tasks.join(" or ")),
        WhileBusy::AcceptedIn(tasks) => format!(
            "accepted in task state {}, refused (409) in any other",
            tasks.join(", ")
        ),
    }
}
