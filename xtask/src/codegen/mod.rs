//! `cargo xtask codegen [--check]`: writes, from the resolved spec, the library's generated
//! code under `openstack-compute/src/generated/` and the tests crate's operation table
//! (`tests/src/generated.rs`). A file is written only when its contents change; `--check`
//! names every stale, missing or extra file instead.
//!
//! What is Nova semantics is written here as plain Rust: each operation's module docs, its
//! facts (`INFO`), its `Call` and client method (`operation`), and the resource handles
//! (`resources`). What is struct mechanics is written as one annotated definition per
//! request, response and named type (`types`), which `openstack-compute-derive` expands;
//! every range, stretch and doc text is computed here, once.

pub(crate) mod operation;
pub(crate) mod resources;

/// Where the client offers an operation (`compute.flavor(id).extra_specs()`): the handle chain
/// its method hangs from.
pub fn client_chain(model: &Model, op: &crate::model::Op) -> String {
    resources::offer(model, op).chain
}
mod types;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use crate::limits;
use crate::model::{Field, Model, Shape};
use crate::spec::{Limits, Location, Range, Version};
use crate::types::snake_case;

/// The handle type that offers an operation (for the validator: one method name per handle).
pub fn offered_on(model: &Model, op: &crate::model::Op) -> String {
    resources::offer(model, op).ty
}

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
            format(&source, operation::operation(model, op)?)?,
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
            format(&format!("spec/types/{}.yaml", t.name), types::named_type(model, t)?)?,
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
    files.push((
        out.join("resources.rs"),
        format("spec/resources/", resources::resources(model)?)?,
    ));
    files.push((out.join("api.rs"), format("spec/api.yaml", api_module(model))?));
    files.push((out.join("mod.rs"), format("spec/", root_module(model))?));
    files.push((PathBuf::from(TESTS_FILE), format("spec/", tests_table(model))?));
    Ok(files)
}

pub(crate) fn format(source: &str, tokens: TokenStream) -> Result<String, String> {
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
        Location::Entries => quote!(, location = entries),
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

/// `2.1..2.52`, for messages where no API maximum is at hand.
fn show_range_plain(r: &Range) -> String {
    format!("{}..{}", r.since, r.until)
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

/// The API's facts (`generated/api.rs`): its microversions and their header values. No
/// dependencies: the lowest layers read them.
fn api_module(model: &Model) -> TokenStream {
    let (min, max) = (model.api.since, model.api.until);
    let (min_major, min_minor, max_major, max_minor) = (min.major, min.minor, max.major, max.minor);
    let count = (max.minor - min.minor + 1) as usize;
    let headers = (min.minor..=max.minor).map(|m| lit(&format!("compute {}.{m}", min.major)));
    let modern_since = model.api_version_header_since;
    let legacy_count = (modern_since.minor - min.minor) as usize;
    let legacy = (min.minor..modern_since.minor).map(|m| lit(&format!("{}.{m}", min.major)));
    let checked = lit(&model.checked_against);
    quote!(
        //! The API's facts, from `spec/api.yaml`.

        /// The oldest microversion the spec types.
        pub const API_MIN: crate::Microversion = crate::Microversion::new(#min_major, #min_minor);
        /// The newest microversion the spec types.
        pub const API_MAX: crate::Microversion = crate::Microversion::new(#max_major, #max_minor);
        /// The Nova release the spec was last checked against (`cargo xtask drift`).
        pub const CHECKED_AGAINST: &str = #checked;
        /// `OpenStack-API-Version` values, by minor version from `API_MIN`.
        pub static COMPUTE_HEADERS: [&str; #count] = [#(#headers),*];
        /// `X-OpenStack-Nova-API-Version` values, by minor version from `API_MIN`, for the
        /// microversions below `api_version_header_since` (`spec/api.yaml`), the only ones
        /// that need it.
        pub static LEGACY_HEADERS: [&str; #legacy_count] = [#(#legacy),*];
    )
}

fn root_module(model: &Model) -> TokenStream {
    let ops = model.ops.iter().map(|o| {
        let n = ident(&o.name);
        quote!(&operations::#n::INFO)
    });
    let fakes = model.ops.iter().map(|o| {
        let n = ident(&o.name);
        quote!(crate::operation::OperationGlue::of::<operations::#n::Request>())
    });
    quote!(
        //! Code generated from `spec/` by `cargo xtask codegen`.
        pub mod api;
        pub mod operations;
        pub mod resources;
        pub mod types;

        /// The facts of every operation, in name order.
        pub static OPERATIONS: &[&crate::operation::OperationInfo] = &[#(#ops),*];
        /// Each operation's glue for the fake cloud, in the order of `OPERATIONS`.
        #[cfg(feature = "testing")]
        pub(crate) static FAKE_GLUE: &[crate::operation::OperationGlue] = &[#(#fakes),*];
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
            send: |compute, version, body| Box::pin(crate::glue::send_sample::<ops::#n::Request>(compute, version, body)),
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
