//! `cargo xtask codegen [--check]`: writes, from the resolved spec, one definition file per
//! operation and per named type under `openstack-compute/src/generated/` (each an annotated
//! struct or enum that `openstack-compute-derive` expands), the crate's API constants, and the
//! tests crate's operation table (`tests/src/generated.rs`). A file is written only when its
//! contents change; `--check` names every stale, missing or extra file instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use crate::limits;
use crate::model::{Ends, Field, Model, Op, Shape, Type, WhileBusy};
use crate::spec::{ActionEvents, BodyKind, ClientOn, Limits, Location, OpKind, Range, TypeKind, Version};
use crate::types::snake_case;

/// Where the library's generated code lives.
pub const OUT_DIR: &str = "openstack-compute/src/generated";
/// The tests crate's generated operation table.
pub const TESTS_FILE: &str = "tests/src/generated.rs";

/// Write the files, or only check them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// Generates everything and writes (or checks) it.
pub fn run(model: &Model, mode: Mode) -> Result<(), String> {
    let files = generate(model)?;
    let root = &model.root;
    let mut expected: BTreeSet<PathBuf> = BTreeSet::new();
    let mut stale = Vec::new();
    let mut lines = 0;
    for (path, text) in &files {
        lines += text.lines().count();
        let full = root.join(path);
        expected.insert(full.clone());
        let current = std::fs::read_to_string(&full).ok();
        if current.as_deref() == Some(text.as_str()) {
            continue;
        }
        match mode {
            Mode::Check => stale.push(format!(
                "{} {}",
                if current.is_some() { "stale:  " } else { "missing:" },
                path.display()
            )),
            Mode::Write => {
                std::fs::create_dir_all(full.parent().expect("a parent")).map_err(|e| e.to_string())?;
                std::fs::write(&full, text).map_err(|e| format!("{}: {e}", full.display()))?;
            }
        }
    }
    for extra in rust_files(&root.join(OUT_DIR))
        .into_iter()
        .filter(|p| !expected.contains(p))
    {
        match mode {
            Mode::Check => stale.push(format!(
                "extra:   {}",
                extra.strip_prefix(root).unwrap_or(&extra).display()
            )),
            Mode::Write => std::fs::remove_file(&extra).map_err(|e| format!("{}: {e}", extra.display()))?,
        }
    }
    match mode {
        Mode::Write => {
            println!("generated {} files, {lines} lines", files.len());
            Ok(())
        }
        Mode::Check if stale.is_empty() => {
            println!("generated code is up to date ({} files, {lines} lines)", files.len());
            Ok(())
        }
        Mode::Check => Err(format!(
            "generated code is stale; run `cargo xtask codegen`:\n{}",
            stale.iter().map(|s| format!("  {s}")).collect::<Vec<_>>().join("\n")
        )),
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// Every generated file: path (relative to the workspace root) and contents.
pub fn generate(model: &Model) -> Result<Vec<(PathBuf, String)>, String> {
    let out = Path::new(OUT_DIR);
    let mut files = Vec::new();
    let mut op_mods = Vec::new();
    for op in &model.ops {
        let source = format!("spec/operations/{}.yaml", op.name);
        files.push((
            out.join(format!("operations/{}.rs", op.name)),
            format(&source, operation(model, op)?)?,
        ));
        // No outer doc: rustdoc would resolve the links of the module's own docs in `ops`.
        let name = format_ident!("{}", op.name);
        op_mods.push(quote!(pub mod #name;));
    }
    files.push((
        out.join("operations/mod.rs"),
        format(
            "spec/operations/",
            quote!(
                //! One module per operation, generated from `spec/operations/<name>.yaml`.
                #(#op_mods)*
            ),
        )?,
    ));
    let mut type_mods = Vec::new();
    for t in &model.types {
        let module = format_ident!("{}", snake_case(&t.name));
        let name = format_ident!("{}", t.name);
        files.push((
            out.join(format!("types/{module}.rs")),
            format(&format!("spec/types/{}.yaml", t.name), named_type(model, t)?)?,
        ));
        type_mods.push(quote!(mod #module; pub use #module::#name;));
    }
    files.push((
        out.join("types/mod.rs"),
        format(
            "spec/types/",
            quote!(
                //! The named types of `spec/types/`.
                #(#type_mods)*
            ),
        )?,
    ));
    files.push((out.join("mod.rs"), format("spec/", root_module(model))?));
    files.push((PathBuf::from(TESTS_FILE), format("spec/", tests_table(model))?));
    Ok(files)
}

fn format(source: &str, tokens: TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| format!("{source}: generated code does not parse: {e}"))?;
    Ok(format!(
        "// @generated by `cargo xtask codegen` from {source}; do not edit.\n\n{}",
        prettyplease::unparse(&file)
    ))
}

fn lit(s: &str) -> syn::LitStr {
    syn::LitStr::new(s, Span::call_site())
}

fn ident(s: &str) -> syn::Ident {
    syn::Ident::new(s, Span::call_site())
}

fn rust_type(t: &str) -> TokenStream {
    syn::parse_str::<syn::Type>(t)
        .map(|t| quote!(#t))
        .unwrap_or_else(|e| panic!("type `{t}`: {e}"))
}

fn version_lit(v: Version) -> syn::LitStr {
    lit(&v.to_string())
}

fn range_lit(r: Range) -> syn::LitStr {
    lit(&format!("{}..{}", r.since, r.until))
}

/// `#[field(..)]` for one entry.
fn field_attr(model: &Model, f: &Field, extra: TokenStream) -> TokenStream {
    let json = lit(&f.json);
    let (since, until) = (version_lit(f.range.since), version_lit(f.range.until));
    let required = f.required.map(|r| {
        let r = range_lit(r);
        quote!(, required = #r)
    });
    let nullable = f.nullable.map(|r| {
        let r = range_lit(r);
        quote!(, nullable = #r)
    });
    let location = match f.location {
        Location::Body => quote!(),
        Location::Top => quote!(, location = top),
        Location::Query => quote!(, location = query),
        Location::Path => quote!(, location = path),
        Location::Header => quote!(, location = location_header),
    };
    let limits = f.limits.as_ref().map(|l| {
        let l = limit_tokens(model, l);
        quote!(, limits(#l))
    });
    quote!(#[field(json = #json #extra, since = #since, until = #until #required #nullable #location #limits)])
}

fn limit_tokens(model: &Model, l: &Limits) -> TokenStream {
    let _ = model;
    let mut parts = Vec::new();
    let num = |name: &str, v: Option<u32>| {
        v.map(|n| {
            let k = ident(name);
            let n = proc_macro2::Literal::u32_unsuffixed(n);
            quote!(#k = #n)
        })
    };
    parts.extend(num("min_length", l.min_length));
    parts.extend(num("max_length", l.max_length));
    if let Some(p) = &l.pattern {
        let c = ident(limits::pattern_check(p).expect("validated"));
        parts.push(quote!(pattern = #c));
    }
    if let Some(f) = &l.format {
        let c = ident(limits::format_check(f).expect("validated"));
        parts.push(quote!(format = #c));
    }
    for (name, v) in [("minimum", l.minimum), ("maximum", l.maximum)] {
        if let Some(n) = v {
            let k = ident(name);
            let n = proc_macro2::Literal::i64_unsuffixed(n);
            parts.push(quote!(#k = #n));
        }
    }
    parts.extend(num("min_items", l.min_items));
    parts.extend(num("max_items", l.max_items));
    if l.unique_items {
        parts.push(quote!(unique_items));
    }
    parts.extend(num("max_properties", l.max_properties));
    for (name, inner) in [("items", &l.items), ("keys", &l.keys), ("values", &l.values)] {
        if let Some(inner) = inner {
            let k = ident(name);
            let t = limit_tokens(model, inner);
            parts.push(quote!(#k(#t)));
        }
    }
    quote!(#(#parts),*)
}

fn docs(text: Option<&str>) -> TokenStream {
    match text {
        Some(t) => {
            let lines = t.lines().map(|l| lit(&format!(" {l}")));
            quote!(#(#[doc = #lines])*)
        }
        None => quote!(),
    }
}

fn status_idents(model: &Model, enum_name: &str, names: &[String]) -> Vec<syn::Ident> {
    let t = model.ty(enum_name).expect("validated");
    names
        .iter()
        .map(|n| ident(&t.values.iter().find(|v| &v.json == n).expect("validated").rust))
        .collect()
}

fn show_range(model: &Model, r: Range) -> String {
    if r.until == model.api.until {
        format!("{}+", r.since)
    } else if r.since == r.until {
        format!("{} only", r.since)
    } else {
        format!("{}..{}", r.since, r.until)
    }
}

fn operation(model: &Model, op: &Op) -> Result<TokenStream, String> {
    let mut doc: Vec<String> = Vec::new();
    let how = match (op.kind, &op.key) {
        (OpKind::Action, Some(k)) => format!("`POST {}` with `{{\"{k}\": ..}}`", op.path),
        (kind, Some(k)) => format!("`{} {}` with `{{\"{k}\": ..}}`", kind.method(), op.path),
        (kind, None) => format!("`{} {}`", kind.method(), op.path),
    };
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
    let on = match op.client.on {
        ClientOn::Server => format!("`compute.server(id).{}(..)`", op.client.method),
        ClientOn::Servers => format!("`compute.servers().{}(..)`", op.client.method),
    };
    doc.push(format!(
        "- {how}, microversions {}, success {}; on the client: {on}.",
        show_range(model, op.range),
        op.status
    ));
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
            match a.events {
                ActionEvents::None => ", without events",
                ActionEvents::Api => ", with events the API finishes before it answers",
                ActionEvents::Compute => ", with events the conductor or compute host records after the API answered",
            }
        ));
    }
    if let Some(n) = &op.never_succeeds {
        doc.push(format!("- Never succeeds: {n}"));
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
    let module_docs = doc.iter().map(|l| {
        let l = lit(&if l.is_empty() { String::new() } else { format!(" {l}") });
        quote!(#![doc = #l])
    });

    // #[operation(..)]
    let name = lit(&op.name);
    let summary = lit(&op.summary);
    let kind = ident(match op.kind {
        OpKind::Action => "action",
        OpKind::Get => "get",
        OpKind::Post => "post",
        OpKind::Put => "put",
        OpKind::Delete => "delete",
    });
    let key = op.key.as_ref().map(|k| {
        let k = lit(k);
        quote!(key = #k,)
    });
    let path = lit(&op.path);
    let (since, until) = (version_lit(op.range.since), version_lit(op.range.until));
    let status = proc_macro2::Literal::u16_unsuffixed(op.status);
    let body = ident(match op.body {
        BodyKind::None => "none",
        BodyKind::Null => "null",
        BodyKind::ExactlyNull => "exactly_null",
        BodyKind::Object => "object",
        BodyKind::ObjectOrNull => "object_or_null",
    });
    let breakpoints = op.breakpoints.iter().map(|v| version_lit(*v));
    let on = ident(match op.client.on {
        ClientOn::Server => "server",
        ClientOn::Servers => "servers",
    });
    let method = ident(&op.client.method);
    let args = op.client.args.iter().map(|a| ident(a));
    let server_status = op.server_status.as_ref().map(|s| {
        let from = status_idents(model, "ServerStatus", &s.from);
        let during = status_idents(model, "ServerStatus", &s.during);
        let auto = status_idents(model, "ServerStatus", &s.auto_confirmed);
        let tasks = status_idents(model, "TaskState", &s.task_states);
        let ends = match &s.ends_in {
            Ends::Statuses(v) => {
                let v = status_idents(model, "ServerStatus", v);
                quote!(ends_in(#(#v),*))
            }
            Ends::Unchanged => quote!(ends_in = unchanged),
            Ends::Deleted => quote!(ends_in = deleted),
        };
        let busy = busy_attr(model, &s.while_busy);
        let by_request = s.by_request.as_ref().map(|(field, cases)| {
            let cases = cases.iter().map(|c| {
                let value = &c.value;
                let from = status_idents(model, "ServerStatus", &c.from);
                let during = status_idents(model, "ServerStatus", &c.during);
                let tasks = status_idents(model, "TaskState", &c.task_states);
                let busy = busy_attr(model, &c.while_busy);
                quote!(case(value = #value, from(#(#from),*), during(#(#during),*), task_states(#(#tasks),*) #busy))
            });
            quote!(, by_request(field = #field, #(#cases),*))
        });
        quote!(server_status(from(#(#from),*), during(#(#during),*), #ends, auto_confirmed(#(#auto),*), task_states(#(#tasks),*) #busy #by_request),)
    });
    let lock = op.lock_checked.map(|status| {
        let status = proc_macro2::Literal::u16_unsuffixed(status);
        quote!(lock_checked = #status,)
    });
    let never = op.never_succeeds.is_some().then(|| quote!(never_succeeds,));
    let conflict = op.conflict_name.as_deref().map(|n| {
        let n = lit(n);
        quote!(conflict_name = #n,)
    });
    let action = op.instance_action.as_ref().map(|a| {
        let n = lit(&a.name);
        let events = ident(&format!("{:?}", a.events).to_lowercase());
        quote!(instance_action(name = #n, events = #events),)
    });
    let policy = ident(&format!("{:?}", op.policy).to_lowercase());
    let errors = op.errors.iter().map(|e| proc_macro2::Literal::u16_unsuffixed(*e));
    let response_kind = ident(match &op.response {
        None => "none",
        Some(r) if r.list => "list",
        Some(_) => "single",
    });

    // Request fields, grouped by Rust name.
    let mut groups: BTreeMap<usize, (String, Vec<&Field>)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for f in &op.request {
        if !order.contains(&f.rust) {
            order.push(f.rust.clone());
        }
        let i = order.iter().position(|r| r == &f.rust).expect("just pushed");
        groups
            .entry(i)
            .or_insert_with(|| (f.rust.clone(), Vec::new()))
            .1
            .push(f);
    }
    let request_fields = groups.values().map(|(rust, entries)| {
        let name = ident(rust);
        let ty = rust_type(&entries[0].ty.rust());
        let d = docs(entries.iter().find_map(|e| e.doc.as_deref()));
        let attrs = entries.iter().map(|e| field_attr(model, e, quote!()));
        quote!(#d #(#attrs)* pub #name: #ty,)
    });
    let response = op.response.as_ref().map(|r| response_view(model, op, r)).transpose()?;
    Ok(quote!(
        #(#module_docs)*
        #[allow(unused_imports)]
        use crate::types::*;

        #[openstack_compute_derive::operation(
            name = #name, summary = #summary, kind = #kind, #key path = #path,
            since = #since, until = #until, status = #status, body = #body,
            breakpoints(#(#breakpoints),*),
            client(on = #on, method = #method, args(#(#args),*)),
            #server_status #lock #never #conflict #action
            policy = #policy, errors(#(#errors),*), response = #response_kind,
        )]
        pub struct Request { #(#request_fields)* }

        #response
    ))
}

/// The unified shape of a field of `t` (or of an inline response).
fn storage(shape: Shape, value: &TokenStream) -> TokenStream {
    match shape {
        Shape::Plain | Shape::List => value.clone(),
        Shape::Option => quote!(::core::option::Option<#value>),
        Shape::Nullable => quote!(Nullable<#value>),
    }
}

fn shape_ident(shape: Shape) -> syn::Ident {
    ident(match shape {
        Shape::Plain => "plain",
        Shape::Option => "option",
        Shape::Nullable => "nullable",
        Shape::List => "list",
    })
}

fn response_view(model: &Model, op: &Op, r: &crate::model::Response) -> Result<TokenStream, String> {
    let name = lit(&op.name);
    let (since, until) = (version_lit(op.range.since), version_lit(op.range.until));
    let breakpoints = op.breakpoints.iter().map(|v| version_lit(*v));
    let wrap = r.wrap.as_ref().map(|w| {
        let w = lit(w);
        quote!(wrap = #w,)
    });
    let list = r.list.then(|| quote!(list,));
    let links = r.links.as_ref().map(|l| {
        let l = lit(l);
        quote!(links = #l,)
    });
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
            operation = #name, #of #wrap #list #links
            since = #since, until = #until, breakpoints(#(#breakpoints),*),
        )]
        pub struct Response { #(#fields)* }
    ))
}

/// Fields grouped by Rust name, in first-seen order.
fn group_fields(fields: &[Field]) -> Vec<(String, Vec<&Field>)> {
    let mut out: Vec<(String, Vec<&Field>)> = Vec::new();
    for f in fields {
        match out.iter_mut().find(|(r, _)| r == &f.rust) {
            Some((_, v)) => v.push(f),
            None => out.push((f.rust.clone(), vec![f])),
        }
    }
    out
}

/// The unified shape of an inline response's fields, across the operation's versions.
fn inline_shapes(op: &Op, fields: &[Field]) -> BTreeMap<String, Shape> {
    let mut out = BTreeMap::new();
    for (rust, entries) in group_fields(fields) {
        let mut shape: Option<Shape> = None;
        for v in op.breakpoints.iter().copied() {
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

fn named_type(model: &Model, t: &Type) -> Result<TokenStream, String> {
    let name = ident(&t.name);
    let doc = docs(Some(&t.doc));
    match t.kind {
        TypeKind::Enum => {
            let open = t.open.then(|| quote!(open));
            let values = t.values.iter().map(|v| {
                let json = lit(&v.json);
                let rust = ident(&v.rust);
                let aliases = (!v.aliases.is_empty()).then(|| {
                    let a = v.aliases.iter().map(|a| lit(a));
                    quote!(, aliases(#(#a),*))
                });
                let range = (v.range != model.api).then(|| {
                    let (s, u) = (version_lit(v.range.since), version_lit(v.range.until));
                    quote!(, since = #s, until = #u)
                });
                let d = docs(Some(v.doc.as_deref().unwrap_or(&format!("`{}`", v.json))));
                quote!(#d #[value(json = #json #aliases #range)] #rust,)
            });
            Ok(quote!(
                #[allow(unused_imports)]
                use crate::types::*;
                #doc
                #[openstack_compute_derive::enumeration(#open)]
                pub enum #name { #(#values)* }
            ))
        }
        TypeKind::Object => {
            let mut dirs = Vec::new();
            if t.in_request {
                dirs.push(quote!(request));
            }
            if t.in_response || !t.in_request {
                dirs.push(quote!(response));
            }
            if model
                .ops
                .iter()
                .any(|o| o.response.as_ref().is_some_and(|r| r.of.as_deref() == Some(&t.name)))
            {
                dirs.push(quote!(view));
            }
            let fields = group_fields(&t.fields).into_iter().map(|(rust, entries)| {
                let shape = t.unified[&rust];
                let value = rust_type(&entries[0].ty.rust());
                let ty = storage(shape, &value);
                let n = ident(&rust);
                let s = shape_ident(shape);
                let d = docs(entries.iter().find_map(|e| e.doc.as_deref()));
                let attrs = entries.iter().map(|e| field_attr(model, e, quote!(, shape = #s)));
                quote!(#d #(#attrs)* pub #n: #ty,)
            });
            Ok(quote!(
                #[allow(unused_imports)]
                use crate::types::*;
                #doc
                #[openstack_compute_derive::object(#(#dirs),*)]
                pub struct #name { #(#fields)* }
            ))
        }
    }
}

fn root_module(model: &Model) -> TokenStream {
    let (min, max) = (model.api.since, model.api.until);
    let (min_major, min_minor, max_major, max_minor) = (min.major, min.minor, max.major, max.minor);
    let count = (max.minor - min.minor + 1) as usize;
    let headers = (min.minor..=max.minor).map(|m| lit(&format!("compute {}.{m}", min.major)));
    let modern_since = model.api_version_header_since;
    let legacy_count = (modern_since.minor - min.minor) as usize;
    let legacy = (min.minor..modern_since.minor).map(|m| lit(&format!("{}.{m}", min.major)));
    let ops = model.ops.iter().map(|o| {
        let n = ident(&o.name);
        quote!(<operations::#n::Request as crate::operation::Operation>::INFO)
    });
    let checked = lit(&model.checked_against);
    let checks = model.ops.iter().map(|o| {
        let n = ident(&o.name);
        quote!(crate::testing::check_request::<operations::#n::Request>)
    });
    quote!(
        //! Code generated from `spec/` by `cargo xtask codegen`.
        pub mod operations;
        pub mod types;

        /// The oldest microversion the spec types (`spec/api.yaml`).
        pub const API_MIN: crate::Microversion = crate::Microversion::new(#min_major, #min_minor);
        /// The newest microversion the spec types (`spec/api.yaml`).
        pub const API_MAX: crate::Microversion = crate::Microversion::new(#max_major, #max_minor);
        /// The Nova release the spec was last checked against (`cargo xtask drift`).
        pub const CHECKED_AGAINST: &str = #checked;
        /// `OpenStack-API-Version` values, by minor version from `API_MIN`.
        pub static COMPUTE_HEADERS: [&str; #count] = [#(#headers),*];
        /// `X-OpenStack-Nova-API-Version` values, by minor version from `API_MIN`, for the
        /// microversions below `api_version_header_since` (`spec/api.yaml`), the only ones
        /// that need it.
        pub static LEGACY_HEADERS: [&str; #legacy_count] = [#(#legacy),*];
        /// The facts of every operation, in name order.
        pub static OPERATIONS: &[&crate::operation::OperationInfo] = &[#(#ops),*];
        /// Reads and checks a request as Nova would (the fake cloud's validator).
        #[cfg(feature = "testing")]
        pub(crate) type RequestCheck = fn(&[u8], ::core::option::Option<&str>, &[(::std::string::String, ::std::string::String)], crate::Microversion) -> ::core::result::Result<(), ::std::string::String>;
        /// Each operation's validator, in the order of `OPERATIONS`.
        #[cfg(feature = "testing")]
        pub(crate) static REQUEST_CHECKS: &[RequestCheck] = &[#(#checks),*];
    )
}

/// The tests crate's table: each operation's generic test glue, instantiated per operation
/// and per microversion stretch.
fn tests_table(model: &Model) -> TokenStream {
    let entries = model.ops.iter().map(|o| {
        let n = ident(&o.name);
        let stretches = o.version_ranges().into_iter().map(|r| {
            let v = format_ident!("{}", r.since.ident());
            let (a, b, c, d) = (r.since.major, r.since.minor, r.until.major, r.until.minor);
            let (response, debug_response) = if o.response.is_some() {
                (
                    quote!(Some(crate::glue::pinned_response::<ops::#n::Request, <ops::#n::#v as VersionedRequest>::Response>)),
                    quote!(Some(crate::glue::debug_response::<ops::#n::Request, <ops::#n::#v as VersionedRequest>::Response>)),
                )
            } else {
                (quote!(None), quote!(None))
            };
            quote!(crate::glue::Stretch {
                range: VersionRange::new(Microversion::new(#a, #b), Microversion::new(#c, #d)),
                request: crate::glue::via_versioned::<ops::#n::Request, ops::#n::#v>,
                response: #response,
                debug_request: crate::glue::debug_request::<ops::#n::Request, ops::#n::#v>,
                debug_response: #debug_response,
            })
        });
        quote!(crate::glue::OperationGlue {
            info: <ops::#n::Request as Operation>::INFO,
            request: crate::glue::request_roundtrip::<ops::#n::Request>,
            response: crate::glue::response_roundtrip::<ops::#n::Request>,
            send: |server, version, body| Box::pin(crate::glue::send_sample::<ops::#n::Request>(server, version, body)),
            stretches: &[#(#stretches),*],
        })
    });
    quote!(
        //! Every operation's test glue, generated from `spec/` (one entry per operation, one
        //! stretch per per-version type): the sample round-trips and the client replay use it.
        use openstack_compute::operation::{Operation, VersionedRequest};
        use openstack_compute::{Microversion, VersionRange, ops};

        /// Every operation of the spec.
        pub static OPERATIONS: &[crate::glue::OperationGlue] = &[#(#entries),*];
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

/// `while_busy` in the derive's attribute (with its leading comma; nothing when refused).
fn busy_attr(model: &Model, busy: &WhileBusy) -> TokenStream {
    match busy {
        WhileBusy::Refused => quote!(),
        WhileBusy::Accepted => quote!(, while_busy = accepted),
        WhileBusy::RefusedIn(tasks, status) => {
            let tasks = status_idents(model, "TaskState", tasks);
            let status = proc_macro2::Literal::u16_unsuffixed(*status);
            quote!(, while_busy(refused_in(#(#tasks),*), status = #status))
        }
        WhileBusy::AcceptedIn(tasks) => {
            let tasks = status_idents(model, "TaskState", tasks);
            quote!(, while_busy(accepted_in(#(#tasks),*)))
        }
    }
}
