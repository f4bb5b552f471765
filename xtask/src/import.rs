//! `cargo xtask import <group | "METHOD /path [action]"> [--force]`: drafts
//! `spec/operations/` files from Nova's own reference, so that a new operation starts from
//! Nova's facts rather than from a blank page and a person's reading of the schemas.
//!
//! A draft, not a finished file: the reference says what Nova checks and answers (request and
//! query schemas and response schemas by microversion, success codes, declared errors, the
//! api-ref's samples) but not the spec's own words, nor what only Nova's code knows (the
//! summary, the policy, what a change means, server statuses, named types). Each such place
//! is marked `TODO(import): <what to write>`. `cargo xtask validate` refuses any spec file
//! with the marker, in a YAML comment too, so a draft cannot pass for facts; and each draft
//! parses as an operation file (the writer checks that before writing), so that replacing the
//! markers is all a person does to the shape.
//!
//! What it derives, per routed operation of `derived/operations.json`:
//! - the name (ours, proposed from the route: `GET /flavors/{id}` -> `show_flavor`, an
//!   action's from its key) and the path, its `{id}` named after its collection
//!   (`/flavors/{flavor_id}`);
//! - the range (the `@wsgi.api_version` gate, inside the spec's microversions), the success
//!   codes by microversion and the declared errors;
//! - the body's form and every request, query and response field. Each schema is read with
//!   drift's reading of a JSON Schema (`drift::nova_facts`), so that the two tools agree on
//!   what Nova says, at every microversion of the operation; consecutive microversions with the
//!   same facts fold into one entry with `since`/`until`. A field whose type or limits change
//!   gets one entry per stretch (the keypair name's pattern at 2.92); one that only becomes
//!   required or nullable gets a ranged flag (`required: { since: "2.92" }`);
//! - `history`: an entry at each microversion where the drafted request, response or status
//!   changes, listing what changed for a person to put in words; `controller_checks`: the
//!   microversion checks Nova makes in controller code at the other microversions (drift
//!   names every check the spec leaves unexplained);
//! - Nova's samples: the api-ref section of the route names them (`literalinclude`), and they
//!   are added to `upstream-samples.yaml`; the files of the same sample folders (a top folder
//!   and its `vN.M` subfolders) that no api-ref section names are listed under `skip` with a
//!   TODO, since only a person knows whether they are ours to parse.
//!
//! Nothing the reference cannot say is guessed quietly: a pattern or format the library has
//! no check for, a string enum (which wants an enum type), an object inside a field (which
//! wants a named object type), a value no spec type fits, a list response (whose items must
//! be a named type) — each is a TODO naming what Nova's schema says.
//!
//! It writes into the spec directory (`--spec-dir`, hidden: tests and trial runs use a copy)
//! and reads the reference `spec/api.yaml` names (`--dir` for another one).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::drift::{self, Facts, NovaOp, Reference, SchemaAt};
use crate::limits::{format_check, pattern_check};
use crate::spec::{self, Direction, Limits, Location, Range, Show, TypeKind, TypeSpec, Version};
use crate::spec::{ApiSpec, DriftAllow, OpSpec, UpstreamMap, UpstreamSample, UpstreamSkip};
use crate::types::snake_case;
use crate::validate::TODO;

const USAGE: &str = "usage: cargo xtask import <group | \"METHOD /path [action]\"> [--force] [--dir REFERENCE]";

/// `cargo xtask import`: drafts the operations of a group (or one route), and maps their
/// samples. Everything is read and drafted before anything is written.
pub fn run(root: &Path, args: &[&str]) -> Result<(), String> {
    let options = Options::parse(root, args)?;
    let api: ApiSpec = spec::read_yaml(&options.spec_dir.join("api.yaml")).map_err(|e| e.to_string())?;
    let dir = match &options.reference {
        Some(d) => d.clone(),
        None => crate::reference::ensure(root, &api.checked_against)?,
    };
    let reference = Reference::load(&dir, &api.checked_against)?;
    let mut drafts = draft_target(&options, &api, &dir, &reference)?;
    disambiguate(&mut drafts);
    check_names(&drafts, &options)?;
    let upstream = Upstream::read(&options.spec_dir)?;
    let mapped = map_samples(&dir, &drafts, &upstream.map)?;
    let files = rendered(&drafts, &options.spec_dir, &reference.release)?;
    let upstream_text = upstream.with(&mapped)?;
    for (path, text) in files {
        std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {} ({} {TODO})", path.display(), text.matches(TODO).count());
    }
    upstream.write(&upstream_text, &mapped)?;
    println!(
        "next: replace every {TODO} (`cargo xtask validate` lists them), give the paths their \
         resources in spec/resources, then `cargo xtask drift`"
    );
    Ok(())
}

/// The drafts of the operations the target names.
fn draft_target<'r>(
    options: &Options,
    api: &ApiSpec,
    dir: &Path,
    reference: &'r Reference,
) -> Result<Vec<(Draft, &'r NovaOp)>, String> {
    let errors = declared_errors(dir, reference)?;
    let types = named_types(&options.spec_dir)?;
    let ctx = Context {
        schemas: reference,
        api: Range::new(
            api.microversions.min.max(reference.api.since),
            api.microversions.max.min(reference.api.until),
        ),
        types: &types,
    };
    let rules = out_of_scope_rules(&options.spec_dir)?;
    select(&reference.ops, &options.target, &rules)?
        .into_iter()
        .map(|i| Ok((draft(&ctx, &reference.ops[i], &errors[i])?, &reference.ops[i])))
        .collect()
}

/// Each draft's file and text, once it parses as an operation file.
fn rendered(drafts: &[(Draft, &NovaOp)], spec_dir: &Path, release: &str) -> Result<Vec<(PathBuf, String)>, String> {
    let mut out = Vec::new();
    for (d, _) in drafts {
        let path = spec_dir.join("operations").join(format!("{}.yaml", d.name));
        let text = render(d, release);
        spec::parse_yaml::<OpSpec>(&path, &text).map_err(|e| {
            format!(
                "import: the draft of {} does not parse (a bug of import): {e}\n{text}",
                d.name
            )
        })?;
        out.push((path, text));
    }
    Ok(out)
}

struct Options {
    target: String,
    force: bool,
    spec_dir: PathBuf,
    reference: Option<PathBuf>,
}

impl Options {
    fn parse(root: &Path, args: &[&str]) -> Result<Options, String> {
        let mut target = None;
        let mut force = false;
        let mut spec_dir = root.join("spec");
        let mut reference = None;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match *arg {
                "--force" => force = true,
                "--spec-dir" => spec_dir = PathBuf::from(rest.next().ok_or("--spec-dir needs a directory")?),
                "--dir" => reference = Some(PathBuf::from(rest.next().ok_or("--dir needs a directory")?)),
                other if other.starts_with("--") => return Err(format!("import: unknown option `{other}`\n{USAGE}")),
                other if target.is_none() => target = Some(other.to_string()),
                other => return Err(format!("import: one target only (also `{other}`)\n{USAGE}")),
            }
        }
        let target = target.ok_or_else(|| USAGE.to_string())?;
        Ok(Options {
            target,
            force,
            spec_dir,
            reference,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Reading: what the reference and the spec say besides the schemas.

/// Nova's schemas by `module.variable` name (the reference; a map in tests).
trait Schemas {
    fn schema(&self, name: &str) -> Option<&Value>;
}

impl Schemas for Reference {
    fn schema(&self, name: &str) -> Option<&Value> {
        Reference::schema(self, name)
    }
}

impl Schemas for BTreeMap<String, Value> {
    fn schema(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// Where a draft's facts come from.
struct Context<'a> {
    schemas: &'a dyn Schemas,
    /// The spec's microversions (inside the reference's).
    api: Range,
    /// The spec's named types, to recognise an object nested in a field.
    types: &'a [TypeSpec],
}

impl Context<'_> {
    /// The schema of `list` that applies at `v`.
    fn schema_at(&self, list: &[SchemaAt], v: Version) -> Option<&Value> {
        list.iter()
            .find(|s| s.min.is_none_or(|m| m <= v) && s.max.is_none_or(|m| v <= m))
            .and_then(|s| self.schemas.schema(&s.schema))
    }
}

/// The codes each operation declares (`expected_errors`, which drift does not read), in the
/// order of `reference.ops`.
fn declared_errors(dir: &Path, reference: &Reference) -> Result<Vec<Vec<u16>>, String> {
    let doc = drift::read_json(&dir.join("derived/operations.json"))?;
    let list = doc
        .get("operations")
        .or(Some(&doc))
        .and_then(Value::as_array)
        .ok_or("derived/operations.json holds no list of operations")?;
    if list.len() != reference.ops.len() {
        return Err("derived/operations.json changed while it was read".into());
    }
    let mut out = Vec::new();
    for (raw, op) in list.iter().zip(&reference.ops) {
        if raw["path"].as_str() != Some(op.path.as_str()) {
            return Err(format!("derived/operations.json: {} is out of order", op.path));
        }
        let codes: BTreeSet<u16> = raw["expected_errors"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|e| e["codes"].as_array().into_iter().flatten())
            .filter_map(|c| c.as_u64().and_then(|c| u16::try_from(c).ok()))
            .collect();
        out.push(codes.into_iter().collect());
    }
    Ok(out)
}

/// The object types of `spec/types/`.
fn named_types(spec_dir: &Path) -> Result<Vec<TypeSpec>, String> {
    let dir = spec_dir.join("types");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let t: TypeSpec = spec::read_yaml(&f).map_err(|e| e.to_string())?;
        if t.kind == TypeKind::Object {
            out.push(t);
        }
    }
    Ok(out)
}

/// `drift-allow.yaml`'s whole operations out of the SDK's scope: a group import leaves them.
fn out_of_scope_rules(spec_dir: &Path) -> Result<Vec<spec::OutOfScope>, String> {
    let path = spec_dir.join("drift-allow.yaml");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let allow: DriftAllow = spec::read_yaml(&path).map_err(|e| e.to_string())?;
    Ok(allow.out_of_scope)
}

/// Nova's spelling of a route: `POST /flavors/{id}/action addTenantAccess`.
fn route_of(n: &NovaOp) -> String {
    match &n.action {
        Some(a) => format!("{} {} {a}", n.method, n.path),
        None => format!("{} {}", n.method, n.path),
    }
}

/// The operations a target names: a route (`"GET /flavors/{id}"`, parameters named in any
/// way), or a group (a controller module), less what `drift-allow.yaml` puts out of scope.
fn select(ops: &[NovaOp], target: &str, rules: &[spec::OutOfScope]) -> Result<Vec<usize>, String> {
    let compute = |n: &NovaOp| n.mount == "/v2.1";
    if let Some((method, rest)) = target.trim().split_once(' ') {
        let (path, action) = match rest.trim().split_once(' ') {
            Some((p, a)) => (p, Some(a.trim())),
            None => (rest.trim(), None),
        };
        let found = ops.iter().position(|n| {
            compute(n)
                && n.method.eq_ignore_ascii_case(method)
                && drift::normalize_path(&n.path) == drift::normalize_path(path)
                && n.action.as_deref() == action
        });
        return found
            .map(|i| vec![i])
            .ok_or_else(|| format!("import: Nova routes no `{target}`"));
    }
    let mut chosen = Vec::new();
    for (i, n) in ops.iter().enumerate().filter(|(_, n)| compute(n) && n.group == target) {
        let rule = rules.iter().find(|r| {
            r.status.as_ref().is_none_or(|s| *s == n.status)
                && r.group.as_ref().is_none_or(|g| *g == n.group)
                && r.route.as_ref().is_none_or(|x| *x == route_of(n))
                && (r.status.is_some() || r.group.is_some() || r.route.is_some())
        });
        match rule {
            Some(r) => println!("left {}: out of scope ({})", route_of(n), r.reason),
            None => chosen.push(i),
        }
    }
    if chosen.is_empty() && !ops.iter().any(|n| n.group == target) {
        let groups: BTreeSet<&str> = ops.iter().map(|n| n.group.as_str()).collect();
        return Err(format!(
            "import: `{target}` is neither a route (\"GET /flavors/{{id}}\") nor a group; groups: {}",
            groups.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(chosen)
}

/// Names drafts that share one apart: an operation on an item gets `_item`
/// (`update_metadata_item` beside `update_metadata`), then one under another resource's item
/// gets that resource's noun (`list_server_security_groups` beside `list_security_groups`).
fn disambiguate(drafts: &mut [(Draft, &NovaOp)]) {
    let steps: [fn(&Draft) -> Option<String>; 2] = [
        |d| d.path.ends_with('}').then(|| format!("{}_item", d.name)),
        |d| {
            let segs = segments(&d.path);
            let nested = segs
                .iter()
                .position(|s| s.starts_with('{'))
                .is_some_and(|i| i + 1 < segs.len());
            let parent = nested.then(|| singular(&noun(segs[0])))?;
            let (verb, rest) = d.name.split_once('_')?;
            Some(format!("{verb}_{parent}_{rest}"))
        },
    ];
    for step in steps {
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for (d, _) in drafts.iter() {
            *count.entry(d.name.clone()).or_default() += 1;
        }
        for (d, _) in drafts.iter_mut().filter(|(d, _)| count[&d.name] > 1) {
            if let Some(name) = step(d) {
                println!("named {} `{name}`: `{}` is another's", d.route, d.name);
                d.name = name;
            }
        }
    }
}

/// Two drafts may not share a name, and an existing file is kept unless `--force`.
fn check_names(drafts: &[(Draft, &NovaOp)], options: &Options) -> Result<(), String> {
    let mut seen = BTreeMap::new();
    let mut problems = Vec::new();
    for (d, _) in drafts {
        if let Some(other) = seen.insert(d.name.clone(), d.route.clone()) {
            problems.push(format!("`{}` and `{other}` would both be `{}`", d.route, d.name));
        }
        let path = options.spec_dir.join("operations").join(format!("{}.yaml", d.name));
        if path.exists() && !options.force {
            problems.push(format!("{} exists (--force overwrites it)", path.display()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("import: nothing written:\n  {}", problems.join("\n  ")))
    }
}

// ---------------------------------------------------------------------------------------
// Names and paths.

/// A route's literal as a noun: `os-extra_specs` -> `extra_specs`.
fn noun(literal: &str) -> String {
    snake_case(literal.strip_prefix("os-").unwrap_or(literal))
}

/// Drops a trailing `s`, not an `ss` (`access`); a person renames where it reads badly.
fn singular(word: &str) -> String {
    match word.strip_suffix('s') {
        Some(stem) if !stem.ends_with('s') => stem.to_string(),
        _ => word.to_string(),
    }
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Our name for a route: `list_`/`show_`/`create_`/`update_`/`delete_` and the noun of its
/// collection, or the snake_case of an action's key.
fn proposed_name(method: &str, path: &str, action: Option<&str>) -> String {
    if let Some(a) = action {
        return snake_case(a.strip_prefix("os-").unwrap_or(a));
    }
    let segs = segments(path);
    let on_item = segs.last().is_some_and(|s| s.starts_with('{'));
    let literals: Vec<&str> = segs.iter().copied().filter(|s| !s.starts_with('{')).collect();
    let last = literals.last().copied().unwrap_or("root");
    let collection = match (last, literals.len()) {
        ("detail", n) if n > 1 => format!("{}_detail", noun(literals[n - 2])),
        _ => noun(last),
    };
    let one = singular(&noun(last));
    match (method, on_item) {
        ("GET", false) => format!("list_{collection}"),
        ("GET", true) => format!("show_{one}"),
        ("POST", _) => format!("create_{one}"),
        ("PUT", false) => format!("update_{collection}"),
        ("PUT", true) => format!("update_{one}"),
        ("DELETE", false) => format!("delete_{collection}"),
        (_, _) => format!("delete_{one}"),
    }
}

/// ROUTE_LIST's path with every parameter named: `{id}` after its collection's singular
/// (`/os-keypairs/{id}` -> `/os-keypairs/{keypair_id}`); named ones kept.
fn named_path(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').collect();
    let mut out: Vec<String> = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        let before = segs[..i].iter().rev().find(|p| !p.is_empty() && !p.starts_with('{'));
        match (*s, before) {
            ("{id}", Some(literal)) => out.push(format!("{{{}_id}}", singular(&noun(literal)))),
            _ => out.push(s.to_string()),
        }
    }
    out.join("/")
}

/// The proposed `json` name of a map that is a whole body: its collection's noun.
fn entries_name(path: &str) -> String {
    let segs = segments(path);
    segs.iter()
        .rev()
        .find(|s| !s.starts_with('{') && **s != "action")
        .map_or_else(|| "entries".to_string(), |s| noun(s))
}

/// `flavor_access` -> `FlavorAccess`.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map_or(String::new(), |f| f.to_ascii_uppercase().to_string() + c.as_str())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Values: Nova's facts about one value as a spec type, limits and TODO notes.

/// Where a value is read: limits are facts of requests (and queries) only, and a query value
/// is text to Nova (an integer-or-digit-string is just `integer` there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Body,
    Query,
    Response,
}

/// A value as the spec writes it, with what a person must still write.
#[derive(Debug, Clone, PartialEq, Default)]
struct Typed {
    ty: String,
    limits: Limits,
    notes: Vec<String>,
    /// A string enum's values (they want an enum type, whose values have ranges: see
    /// [`unify_enums`]), and where it sits (`items: `).
    enumeration: Option<(String, BTreeSet<String>)>,
}

impl Typed {
    fn plain(ty: &str) -> Typed {
        Typed {
            ty: ty.to_string(),
            ..Typed::default()
        }
    }

    fn json(note: String) -> Typed {
        Typed {
            ty: "json".into(),
            notes: vec![note],
            ..Typed::default()
        }
    }
}

/// drift's facts of a schema, after writing `{"const": ""}` (Nova's "or the empty string"
/// branch of an `anyOf`) as the `maxLength: 0` string drift folds into "accepts \"\"".
fn facts(schema: &Value) -> Facts {
    drift::nova_facts(&without_empty_const(schema))
}

fn without_empty_const(v: &Value) -> Value {
    match v {
        Value::Object(o) if o.get("const") == Some(&Value::String(String::new())) && !o.contains_key("type") => {
            serde_json::json!({"type": "string", "maxLength": 0})
        }
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), without_empty_const(x))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(without_empty_const).collect()),
        other => other.clone(),
    }
}

/// Nova's boolean-ish enum (`true`, `"True"`, `"on"`, ...).
fn is_boolish(f: &Facts) -> bool {
    f.enumeration
        .as_ref()
        .is_some_and(|e| e.contains("True") && e.contains("true"))
        && f.types.iter().all(|t| t == "boolean" || t == "string")
}

fn value_type(ctx: &Context, f: &Facts, place: Place) -> Typed {
    let kinds: Vec<&str> = f.types.iter().map(String::as_str).collect();
    let mut t = if is_boolish(f) {
        Typed::plain("boolish")
    } else {
        match kinds.as_slice() {
            [] if f.properties.is_some() || f.values.is_some() => object_type(ctx, f, place),
            [] if f.nullable => Typed::json("Nova's schema allows only null: a type, or keep `json`".into()),
            [] => Typed::json("Nova's schema gives no type: a type, or keep `json`".into()),
            ["string"] => string_type(f, place),
            ["integer"] => Typed {
                ty: "integer".into(),
                limits: number_limits(f),
                ..Typed::default()
            },
            // Nova's integer-or-digit-string types carry a digit pattern; without one, a
            // string-or-number is any string (`flavorRef` may be a URL).
            ["integer", "string"] if f.pattern.as_deref().is_some_and(|p| p.contains("[0-9]")) => {
                integerish_type(f, place)
            }
            ["boolean"] => Typed::plain("boolean"),
            ["integer", "string"] | ["number", "string"] => {
                let mut t = text_type("id", f, place);
                t.notes
                    .push("Nova takes a string or a number: `id` reads both; check it fits".into());
                t
            }
            ["array"] => list_type(ctx, f, place),
            ["object"] => object_type(ctx, f, place),
            other => Typed::json(format!("no spec type fits Nova's {other:?}: a type, or keep `json`")),
        }
    };
    if f.empty_ok {
        t.ty = format!("empty_or<{}>", t.ty);
    }
    if place == Place::Response {
        t.limits = Limits::default();
    }
    t
}

fn string_type(f: &Facts, place: Place) -> Typed {
    if let Some(values) = &f.enumeration {
        return Typed {
            ty: "string".into(),
            enumeration: Some((String::new(), values.clone())),
            ..Typed::default()
        };
    }
    if f.format.as_deref() == Some("date-time") {
        return Typed::plain("timestamp");
    }
    text_type("string", f, place)
}

fn integerish_type(f: &Facts, place: Place) -> Typed {
    let mut t = text_type(if place == Place::Query { "integer" } else { "integerish" }, f, place);
    t.limits.minimum = f.minimum;
    t.limits.maximum = f.maximum;
    t
}

/// A text-like type with Nova's length, pattern and format; a pattern or format the library
/// cannot check becomes a note (requests only: responses carry no limits).
fn text_type(ty: &str, f: &Facts, place: Place) -> Typed {
    let mut t = Typed::plain(ty);
    t.limits.min_length = f.min_length.and_then(|n| u32::try_from(n).ok());
    t.limits.max_length = f.max_length.and_then(|n| u32::try_from(n).ok());
    if let Some(p) = &f.pattern {
        if pattern_check(p).is_some() {
            t.limits.pattern = Some(p.clone());
        } else if place != Place::Response {
            t.notes.push(format!(
                "pattern `{p}` has no library check (xtask/src/limits.rs): add one, then put it in `limits`"
            ));
        }
    }
    if let Some(fmt) = &f.format {
        if format_check(fmt).is_some() {
            t.limits.format = Some(fmt.clone());
        } else if place != Place::Response {
            t.notes.push(format!(
                "format `{fmt}` has no library check (xtask/src/limits.rs): add one, then put it in `limits`"
            ));
        }
    }
    t
}

fn number_limits(f: &Facts) -> Limits {
    Limits {
        minimum: f.minimum,
        maximum: f.maximum,
        ..Limits::default()
    }
}

fn boxed_if_any(l: Limits) -> Option<Box<Limits>> {
    (l != Limits::default()).then(|| Box::new(l))
}

fn list_type(ctx: &Context, f: &Facts, place: Place) -> Typed {
    let item = f.items.as_deref().cloned().unwrap_or_default();
    let inner = value_type(ctx, &item, place);
    Typed {
        ty: format!("list<{}>", inner.ty),
        limits: Limits {
            min_items: f.min_items.and_then(|n| u32::try_from(n).ok()),
            max_items: f.max_items.and_then(|n| u32::try_from(n).ok()),
            unique_items: f.unique_items,
            items: boxed_if_any(inner.limits),
            ..Limits::default()
        },
        notes: inner.notes.into_iter().map(|n| format!("items: {n}")).collect(),
        enumeration: inner.enumeration.map(|(at, values)| (format!("items: {at}"), values)),
    }
}

fn object_type(ctx: &Context, f: &Facts, place: Place) -> Typed {
    if let Some(values) = &f.values {
        return map_type(ctx, f, values, place);
    }
    let Some(props) = &f.properties else {
        return Typed::json("an object Nova's schema does not describe: a type, or keep `json`".into());
    };
    if props.is_empty() {
        // No field to match a type by: every type would match.
        return Typed::json(
            "an object Nova's schema names no field of: `map<string>` where it is always empty, a type, or keep `json`"
                .into(),
        );
    }
    let names: Vec<&str> = props.keys().map(String::as_str).collect();
    match matching_type(ctx.types, props) {
        Some(name) => Typed {
            ty: name.clone(),
            notes: vec![format!("matches spec/types/{name}.yaml by its field names: check")],
            ..Typed::default()
        },
        None => Typed::json(format!(
            "an object ({}): a named object type in spec/types",
            names.join(", ")
        )),
    }
}

fn map_type(ctx: &Context, f: &Facts, values: &Facts, place: Place) -> Typed {
    let inner = value_type(ctx, values, place);
    let mut notes: Vec<String> = inner.notes.iter().map(|n| format!("values: {n}")).collect();
    let keys = match &f.key_pattern {
        Some(p) if pattern_check(p).is_some() => Some(Box::new(Limits {
            pattern: Some(p.clone()),
            ..Limits::default()
        })),
        Some(p) if place != Place::Response => {
            notes.push(format!(
                "key pattern `{p}` has no library check (xtask/src/limits.rs): add one, then put it in `limits.keys`"
            ));
            None
        }
        _ => None,
    };
    Typed {
        ty: format!("map<{}>", inner.ty),
        limits: Limits {
            keys,
            values: boxed_if_any(inner.limits),
            max_properties: f.max_properties.and_then(|n| u32::try_from(n).ok()),
            ..Limits::default()
        },
        notes,
        enumeration: inner.enumeration.map(|(at, values)| (format!("values: {at}"), values)),
    }
}

/// The spec's object type whose fields an object's properties are (every property a field,
/// every required field a property), the smallest such.
fn matching_type<'t>(types: &'t [TypeSpec], props: &BTreeMap<String, (Facts, bool)>) -> Option<&'t String> {
    types
        .iter()
        .filter(|t| {
            let fields: BTreeSet<&str> = t.fields.iter().map(|f| f.json.as_str()).collect();
            props.keys().all(|p| fields.contains(p.as_str()))
                && t.fields
                    .iter()
                    .filter(|f| f.required == spec::Flag::Bool(true))
                    .all(|f| props.contains_key(&f.json))
        })
        .min_by_key(|t| t.fields.len())
        .map(|t| &t.name)
}

// ---------------------------------------------------------------------------------------
// One microversion: the body's form and the fields, as the schemas applying there say.

/// One field at one microversion.
#[derive(Debug, Clone, PartialEq)]
struct FieldAt {
    location: Location,
    json: String,
    typed: Typed,
    required: bool,
    nullable: bool,
}

impl FieldAt {
    fn new(ctx: &Context, location: Location, json: &str, f: &Facts, required: bool, place: Place) -> FieldAt {
        FieldAt {
            location,
            json: json.to_string(),
            typed: value_type(ctx, f, place),
            required,
            nullable: f.nullable,
        }
    }

    fn same_place(&self, other: &FieldAt) -> bool {
        self.location == other.location && self.json == other.json
    }
}

/// `request.body` (README: a request's body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyShape {
    None,
    Null,
    ExactlyNull,
    Object,
    ObjectOrNull,
    Fields,
    Entries,
}

impl BodyShape {
    fn word(self) -> &'static str {
        match self {
            BodyShape::None => "none",
            BodyShape::Null => "\"null\"",
            BodyShape::ExactlyNull => "exactly_null",
            BodyShape::Object => "object",
            BodyShape::ObjectOrNull => "object_or_null",
            BodyShape::Fields => "fields",
            BodyShape::Entries => "entries",
        }
    }
}

/// The request body at one microversion.
#[derive(Debug, Clone, PartialEq)]
struct RequestAt {
    body: BodyShape,
    key: Option<String>,
    fields: Vec<FieldAt>,
    note: Option<String>,
}

/// How a response body is laid out.
#[derive(Debug, Clone, PartialEq)]
enum ResponseShape {
    /// Fields at the top of the body.
    Top,
    /// A map that is the whole body.
    Entries,
    Wrap {
        wrap: String,
        list: bool,
        item_wrap: Option<String>,
    },
}

/// The response body at one microversion.
#[derive(Debug, Clone, PartialEq)]
struct ResponseAt {
    shape: ResponseShape,
    links: Option<String>,
    fields: Vec<FieldAt>,
}

/// Everything drafted about one microversion: where two neighbours differ, the operation
/// changes.
#[derive(Debug, Clone, PartialEq, Default)]
struct Snapshot {
    status: Vec<u16>,
    request: Option<RequestAt>,
    query: Vec<FieldAt>,
    /// Whether unknown query parameters are refused (`additionalProperties: false`).
    query_strict: Option<bool>,
    response: Option<ResponseAt>,
}

/// The names of an object's properties in the schema's own order (drift's facts sort them).
fn ordered<'f>(props: &'f BTreeMap<String, (Facts, bool)>, raw: &Value) -> Vec<(&'f String, &'f (Facts, bool))> {
    let mut order: Vec<&str> = raw
        .get("properties")
        .and_then(Value::as_object)
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for branch in ["allOf", "anyOf", "oneOf"]
        .iter()
        .flat_map(|k| raw.get(*k).and_then(Value::as_array))
    {
        for b in branch {
            order.extend(
                b.get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|o| o.keys().map(String::as_str)),
            );
        }
    }
    let rank = |name: &str| order.iter().position(|o| *o == name).unwrap_or(usize::MAX);
    let mut out: Vec<_> = props.iter().collect();
    out.sort_by_key(|(name, _)| rank(name));
    out
}

fn object_fields(ctx: &Context, f: &Facts, raw: &Value, location: Location, place: Place) -> Vec<FieldAt> {
    let Some(props) = &f.properties else {
        return Vec::new();
    };
    ordered(props, raw)
        .into_iter()
        .map(|(name, (pf, required))| FieldAt::new(ctx, location, name, pf, *required, place))
        .collect()
}

/// The one map field a body (or response) is.
fn entries_field(ctx: &Context, f: &Facts, name: &str, place: Place) -> FieldAt {
    let mut field = FieldAt::new(ctx, Location::Entries, name, f, true, place);
    field.nullable = false;
    field
        .typed
        .notes
        .push("the Rust name of the map that is the whole body (`json` names the field here, not a key)".into());
    field
}

/// The single required top-level object property of a body: its key.
fn body_key(props: &BTreeMap<String, (Facts, bool)>) -> Option<String> {
    let objects: Vec<&String> = props
        .iter()
        .filter(|(_, (f, required))| *required && f.properties.is_some())
        .map(|(name, _)| name)
        .collect();
    match objects.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

fn request_at(ctx: &Context, schema: &Value, action: Option<&str>, entries: &str) -> RequestAt {
    let top = facts(schema);
    let props = top.properties.clone().unwrap_or_default();
    if props.is_empty() && top.values.is_some() {
        return RequestAt {
            body: BodyShape::Entries,
            key: None,
            fields: vec![entries_field(ctx, &top, entries, Place::Body)],
            note: None,
        };
    }
    match action.map(String::from).or_else(|| body_key(&props)) {
        Some(key) => keyed_request(ctx, &props, schema, key),
        None => RequestAt {
            body: BodyShape::Fields,
            key: None,
            fields: object_fields(ctx, &top, schema, Location::Body, Place::Body),
            note: None,
        },
    }
}

/// `{key: ..}`: the key's value makes the form; other top-level properties sit beside it.
fn keyed_request(ctx: &Context, props: &BTreeMap<String, (Facts, bool)>, raw: &Value, key: String) -> RequestAt {
    let Some((inner, _)) = props.get(&key) else {
        return RequestAt {
            body: BodyShape::Null,
            key: Some(key.clone()),
            fields: Vec::new(),
            note: Some(format!("Nova's schema has no `{key}`: check what the controller reads")),
        };
    };
    let inner_raw = &raw["properties"][&key];
    let (body, note) = match (&inner.properties, inner.types.is_empty(), inner.nullable) {
        (Some(_), _, false) => (BodyShape::Object, None),
        (Some(_), _, true) => (BodyShape::ObjectOrNull, None),
        (None, true, true) => (BodyShape::ExactlyNull, None),
        (None, true, false) => (BodyShape::Null, None),
        (None, false, _) => (
            BodyShape::Null,
            Some(format!(
                "Nova's schema makes `{key}` a {:?}: a form for it",
                inner.types
            )),
        ),
    };
    let mut fields = object_fields(ctx, inner, inner_raw, Location::Body, Place::Body);
    for (name, (f, required)) in ordered(props, raw) {
        if *name != key {
            fields.push(FieldAt::new(ctx, Location::Top, name, f, *required, Place::Body));
        }
    }
    RequestAt {
        body,
        key: Some(key),
        fields,
        note,
    }
}

/// Query parameters: Nova reads every value as a list of strings; one with `maxItems: 1` is
/// a single value, the others repeat (`list<T>`), and the limits are the item's.
fn query_at(ctx: &Context, schema: &Value) -> (Vec<FieldAt>, bool) {
    let strict = schema.get("additionalProperties") == Some(&Value::Bool(false));
    let top = facts(schema);
    let Some(props) = &top.properties else {
        return (Vec::new(), strict);
    };
    let fields = ordered(props, schema)
        .into_iter()
        .map(|(name, (f, required))| {
            let item = f.items.as_deref().cloned().unwrap_or_default();
            let mut typed = value_type(ctx, &item, Place::Query);
            if f.max_items != Some(1) {
                if ["limit", "marker", "offset"].contains(&name.as_str()) {
                    typed.notes.push(format!(
                        "Nova's schema lets `{name}` repeat (no `maxItems: 1`) where a page takes one: \
                         `{}` alone may fit",
                        typed.ty
                    ));
                }
                typed = Typed {
                    ty: format!("list<{}>", typed.ty),
                    limits: Limits {
                        items: boxed_if_any(typed.limits),
                        ..Limits::default()
                    },
                    notes: typed.notes,
                    enumeration: typed.enumeration.map(|(at, values)| (format!("items: {at}"), values)),
                };
            }
            FieldAt {
                location: Location::Query,
                json: name.clone(),
                typed,
                required: *required,
                nullable: false,
            }
        })
        .collect();
    (fields, strict)
}

fn is_links(name: &str) -> bool {
    name == "links" || name.ends_with("_links")
}

fn response_at(ctx: &Context, schema: &Value, entries: &str) -> Option<ResponseAt> {
    let top = facts(schema);
    let props = top.properties.clone().unwrap_or_default();
    if props.is_empty() {
        return top.values.is_some().then(|| ResponseAt {
            shape: ResponseShape::Entries,
            links: None,
            fields: vec![entries_field(ctx, &top, entries, Place::Response)],
        });
    }
    let main: Vec<&String> = props.keys().filter(|k| !is_links(k)).collect();
    let links = props.keys().find(|k| is_links(k)).cloned();
    if let [name] = main.as_slice()
        && let Some((inner, true)) = props.get(*name)
        && let Some(wrapped) = wrapped_response(ctx, name, inner, &schema["properties"][name.as_str()], links.clone())
    {
        return Some(wrapped);
    }
    Some(ResponseAt {
        shape: ResponseShape::Top,
        links: None,
        fields: object_fields(ctx, &top, schema, Location::Body, Place::Response),
    })
}

/// `{wrap: {..}}` (alone) or `{wrap: [{..}], wrap_links: [..]}`, items maybe `{key: {..}}`.
fn wrapped_response(
    ctx: &Context,
    wrap: &str,
    inner: &Facts,
    raw: &Value,
    links: Option<String>,
) -> Option<ResponseAt> {
    if inner.properties.is_some() && links.is_none() {
        return Some(ResponseAt {
            shape: ResponseShape::Wrap {
                wrap: wrap.to_string(),
                list: false,
                item_wrap: None,
            },
            links: None,
            fields: object_fields(ctx, inner, raw, Location::Body, Place::Response),
        });
    }
    let item = inner.items.as_deref().filter(|_| inner.types.contains("array"))?;
    let item_props = item.properties.as_ref()?;
    let item_raw = &raw["items"];
    let item_wrap = match item_props.iter().collect::<Vec<_>>().as_slice() {
        [(key, (f, true))] if f.properties.is_some() => Some((*key).clone()),
        _ => None,
    };
    let fields = match &item_wrap {
        Some(key) => object_fields(
            ctx,
            &item_props[key].0,
            &item_raw["properties"][key],
            Location::Body,
            Place::Response,
        ),
        None => object_fields(ctx, item, item_raw, Location::Body, Place::Response),
    };
    Some(ResponseAt {
        shape: ResponseShape::Wrap {
            wrap: wrap.to_string(),
            list: true,
            item_wrap,
        },
        links,
        fields,
    })
}

fn snapshot(ctx: &Context, nova: &NovaOp, v: Version, entries: &str) -> Snapshot {
    let mut s = Snapshot {
        status: nova
            .success
            .iter()
            .filter(|(_, lo, hi)| lo.is_none_or(|m| m <= v) && hi.is_none_or(|m| v <= m))
            .map(|(c, _, _)| *c)
            .collect(),
        ..Snapshot::default()
    };
    s.request = ctx
        .schema_at(&nova.request, v)
        .map(|r| request_at(ctx, r, nova.action.as_deref(), entries));
    if let Some(q) = ctx.schema_at(&nova.query, v) {
        let (fields, strict) = query_at(ctx, q);
        s.query = fields;
        s.query_strict = Some(strict);
    }
    s.response = ctx
        .schema_at(&nova.response, v)
        .and_then(|r| response_at(ctx, r, entries));
    s
}

// ---------------------------------------------------------------------------------------
// Across microversions: entries with ranges, and what changed where.

fn versions(r: Range) -> impl Iterator<Item = Version> {
    std::iter::successors(Some(r.since), |v| Some(v.next())).take_while(move |v| *v <= r.until)
}

/// Consecutive microversions with equal values, as ranges.
fn stretches<T: PartialEq + Clone>(items: &[(Version, T)]) -> Vec<(Range, T)> {
    let mut out: Vec<(Range, T)> = Vec::new();
    for (v, x) in items {
        match out.last_mut() {
            Some((r, y)) if y == x && r.until.next() == *v => r.until = *v,
            _ => out.push((Range::new(*v, *v), x.clone())),
        }
    }
    out
}

/// One entry of a field: its facts over a range, and where it is required or nullable.
#[derive(Debug, Clone, PartialEq)]
struct DraftField {
    location: Location,
    json: String,
    typed: Typed,
    range: Range,
    required: Option<Range>,
    nullable: Option<Range>,
}

/// Where a flag holds inside an entry, while that is one stretch.
#[derive(Debug, Clone, Copy, Default)]
struct FlagRun {
    range: Option<Range>,
    ended: bool,
}

impl FlagRun {
    fn accepts(&self, on: bool) -> bool {
        !(on && self.ended)
    }

    fn push(&mut self, on: bool, v: Version) {
        match (on, &mut self.range) {
            (true, Some(r)) => r.until = v,
            (true, None) => self.range = Some(Range::new(v, v)),
            (false, Some(_)) => self.ended = true,
            (false, None) => {}
        }
    }
}

/// An entry being grown version by version.
struct Run {
    field: DraftField,
    required: FlagRun,
    nullable: FlagRun,
}

impl Run {
    fn start(f: &FieldAt, v: Version) -> Run {
        let mut run = Run {
            field: DraftField {
                location: f.location,
                json: f.json.clone(),
                typed: f.typed.clone(),
                range: Range::new(v, v),
                required: None,
                nullable: None,
            },
            required: FlagRun::default(),
            nullable: FlagRun::default(),
        };
        run.required.push(f.required, v);
        run.nullable.push(f.nullable, v);
        run
    }

    /// Whether `f` at `v` continues this entry: the next version, the same type, limits and
    /// notes, and flags that stay one stretch each.
    fn accepts(&self, f: &FieldAt, v: Version) -> bool {
        self.field.range.until.next() == v
            && self.field.typed == f.typed
            && self.required.accepts(f.required)
            && self.nullable.accepts(f.nullable)
    }

    fn push(&mut self, f: &FieldAt, v: Version) {
        self.field.range.until = v;
        self.required.push(f.required, v);
        self.nullable.push(f.nullable, v);
    }

    fn finish(mut self) -> DraftField {
        self.field.required = self.required.range;
        self.field.nullable = self.nullable.range;
        self.field
    }
}

/// Folds each field's facts per microversion into entries, in order of first appearance.
fn merge(per_version: &[(Version, Vec<FieldAt>)]) -> Vec<DraftField> {
    let mut order: Vec<&FieldAt> = Vec::new();
    for f in per_version.iter().flat_map(|(_, fs)| fs) {
        if !order.iter().any(|o| o.same_place(f)) {
            order.push(f);
        }
    }
    let mut out = Vec::new();
    for key in order {
        let mut open: Option<Run> = None;
        for (v, fs) in per_version {
            let here = fs.iter().find(|f| f.same_place(key));
            match (here, open.as_mut()) {
                (Some(f), Some(run)) if run.accepts(f, *v) => run.push(f, *v),
                (Some(f), _) => {
                    out.extend(open.take().map(Run::finish));
                    open = Some(Run::start(f, *v));
                }
                (None, _) => out.extend(open.take().map(Run::finish)),
            }
        }
        out.extend(open.take().map(Run::finish));
    }
    out
}

/// One field's facts at each microversion where it is.
struct FieldVersions {
    location: Location,
    json: String,
    seen: Vec<(Version, Typed)>,
}

/// Per-version facts regrouped by field, in order of first appearance.
fn by_field(per_version: &[(Version, Vec<FieldAt>)]) -> Vec<FieldVersions> {
    let mut out: Vec<FieldVersions> = Vec::new();
    for (v, f) in per_version.iter().flat_map(|(v, fs)| fs.iter().map(move |f| (*v, f))) {
        match out.iter_mut().find(|x| x.location == f.location && x.json == f.json) {
            Some(x) => x.seen.push((v, f.typed.clone())),
            None => out.push(FieldVersions {
                location: f.location,
                json: f.json.clone(),
                seen: vec![(v, f.typed.clone())],
            }),
        }
    }
    out
}

/// Applies `change` to a field's facts at every microversion.
fn rewrite(per_version: &mut [(Version, Vec<FieldAt>)], location: Location, json: &str, change: impl Fn(&mut Typed)) {
    for f in per_version.iter_mut().flat_map(|(_, fs)| fs.iter_mut()) {
        if f.location == location && f.json == json {
            change(&mut f.typed);
        }
    }
}

/// A string enum is one enum type whose values have ranges: each field's values over its
/// microversions become one note (`values a, b; c since 2.8`), so that a change of values
/// does not split the field. Runs before [`merge`].
fn unify_enums(per_version: &mut [(Version, Vec<FieldAt>)]) {
    for field in by_field(per_version) {
        let mut at = String::new();
        let mut span: Option<Range> = None;
        let mut values: BTreeMap<String, Range> = BTreeMap::new();
        for (v, typed) in &field.seen {
            let Some((where_, set)) = &typed.enumeration else {
                continue;
            };
            at.clone_from(where_);
            span = Some(span.map_or(Range::new(*v, *v), |r| Range::new(r.since, *v)));
            for value in set {
                values
                    .entry(value.clone())
                    .and_modify(|r| r.until = *v)
                    .or_insert(Range::new(*v, *v));
            }
        }
        let Some(span) = span else {
            continue;
        };
        let note = format!("{at}an enum type in spec/types ({})", enum_values_text(&values, span));
        rewrite(per_version, field.location, &field.json, |t| {
            if t.enumeration.take().is_some() {
                t.notes.insert(0, note.clone());
            }
        });
    }
}

/// `values a, b; c since 2.8; d until 2.101`.
fn enum_values_text(values: &BTreeMap<String, Range>, whole: Range) -> String {
    let always: Vec<&str> = values
        .iter()
        .filter(|(_, r)| **r == whole)
        .map(|(v, _)| v.as_str())
        .collect();
    let mut parts = vec![format!("values {}", always.join(", "))];
    for (value, r) in values.iter().filter(|(_, r)| **r != whole) {
        let mut bounds = Vec::new();
        if r.since != whole.since {
            bounds.push(format!("since {}", r.since));
        }
        if r.until != whole.until {
            bounds.push(format!("until {}", r.until));
        }
        parts.push(format!("{value} {}", bounds.join(" ")));
    }
    parts.join("; ")
}

/// One field, one type (README: a value whose type changes with the microversion is one type
/// that reads every form): `empty_or<T>` where Nova's types are it and `T`, else the newest,
/// with a TODO naming the others. Runs before [`merge`], so equal entries still fold.
fn unify_types(per_version: &mut [(Version, Vec<FieldAt>)]) {
    for field in by_field(per_version) {
        let seen: Vec<(Version, String)> = field.seen.iter().map(|(v, t)| (*v, t.ty.clone())).collect();
        let distinct: BTreeSet<&str> = seen.iter().map(|(_, t)| t.as_str()).collect();
        if distinct.len() < 2 {
            continue;
        }
        let newest = seen.last().map(|(_, t)| t.clone()).unwrap_or_default();
        let wider = distinct
            .iter()
            .find(|t| distinct.iter().all(|u| u == *t || **t == format!("empty_or<{u}>")));
        let (unified, note) = match wider {
            Some(t) if distinct.len() == 2 => (t.to_string(), None),
            _ => {
                let others: Vec<String> = stretches(&seen)
                    .into_iter()
                    .filter(|(_, t)| *t != newest)
                    .map(|(r, t)| format!("`{t}` at {}", Show(r)))
                    .collect();
                let note = format!(
                    "Nova's type is also {}: one type that reads every form",
                    others.join(", ")
                );
                (newest, Some(note))
            }
        };
        rewrite(per_version, field.location, &field.json, |t| {
            t.ty.clone_from(&unified);
            t.notes.extend(note.clone());
        });
    }
}

/// A `rust:` name is ours to write where the default (the snake_case of `json` after its last
/// `:`) dodges a keyword (`type_`), is not snake_case, or is another field's.
fn rust_name_notes(fields: &mut [DraftField]) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for f in fields.iter_mut() {
        let rust = snake_case(f.json.rsplit(':').next().unwrap_or(&f.json));
        if rust.ends_with('_') && !f.json.ends_with('_') {
            f.typed
                .notes
                .push(format!("a `rust:` name (the default, `{rust}`, dodges a Rust keyword)"));
        } else if !rust
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            f.typed
                .notes
                .push(format!("a `rust:` name (`{rust}` is not snake_case)"));
        }
        match seen.get(&rust) {
            Some(other) if *other != f.json => {
                f.typed
                    .notes
                    .push(format!("a `rust:` name (`{rust}` is also `{other}`'s)"));
            }
            _ => {
                seen.insert(rust, f.json.clone());
            }
        }
    }
}

/// What differs between two neighbouring microversions, in a few words each.
fn changes(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    if before.status != after.status {
        out.push(format!("status {:?} (was {:?})", after.status, before.status));
    }
    let body = |s: &Snapshot| s.request.as_ref().map(|r| r.body);
    if body(before) != body(after) {
        let word = |b: Option<BodyShape>| b.map_or("no schema", BodyShape::word).trim_matches('"').to_string();
        out.push(format!(
            "request body {} (was {})",
            word(body(after)),
            word(body(before))
        ));
    }
    let request = |s: &Snapshot| s.request.as_ref().map(|r| r.fields.clone()).unwrap_or_default();
    field_changes("request", &request(before), &request(after), &mut out);
    field_changes("query", &before.query, &after.query, &mut out);
    if after.query_strict == Some(true) && before.query_strict != Some(true) {
        out.push("unknown query parameters give 400".into());
    }
    let shape = |s: &Snapshot| s.response.as_ref().map(|r| r.shape.clone());
    if shape(before) != shape(after) {
        out.push("response shape".into());
    }
    let links = |s: &Snapshot| s.response.as_ref().and_then(|r| r.links.clone());
    if links(before) != links(after) {
        out.push(format!(
            "response links {}",
            links(after).map_or("gone".into(), |l| format!("`{l}`"))
        ));
    }
    let response = |s: &Snapshot| s.response.as_ref().map(|r| r.fields.clone()).unwrap_or_default();
    field_changes("response", &response(before), &response(after), &mut out);
    out
}

fn field_changes(what: &str, before: &[FieldAt], after: &[FieldAt], out: &mut Vec<String>) {
    let names = |fs: &[&FieldAt]| {
        fs.iter()
            .map(|f| format!("`{}`", f.json))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let added: Vec<&FieldAt> = after
        .iter()
        .filter(|f| !before.iter().any(|b| b.same_place(f)))
        .collect();
    let removed: Vec<&FieldAt> = before
        .iter()
        .filter(|f| !after.iter().any(|a| a.same_place(f)))
        .collect();
    if !added.is_empty() {
        out.push(format!("{what}: {} added", names(&added)));
    }
    if !removed.is_empty() {
        out.push(format!("{what}: {} removed", names(&removed)));
    }
    for a in after {
        let Some(b) = before.iter().find(|b| b.same_place(a)) else {
            continue;
        };
        let mut aspects = Vec::new();
        if a.required != b.required {
            aspects.push(if a.required { "required" } else { "optional" });
        }
        if a.nullable != b.nullable {
            aspects.push(if a.nullable { "nullable" } else { "not nullable" });
        }
        if a.typed.ty != b.typed.ty {
            aspects.push("type");
        }
        if a.typed.limits != b.typed.limits || (a.typed.ty == b.typed.ty && a.typed.notes != b.typed.notes) {
            aspects.push("limits");
        }
        if a.typed.enumeration != b.typed.enumeration {
            aspects.push("values");
        }
        if !aspects.is_empty() {
            out.push(format!("{what}: `{}` {}", a.json, aspects.join(", ")));
        }
    }
}

// ---------------------------------------------------------------------------------------
// The draft of one operation.

struct Draft {
    name: String,
    kind: &'static str,
    path: String,
    /// Nova's spelling, for messages.
    route: String,
    range: Range,
    /// The spec's microversions: `since`/`until` equal to them are left out.
    api: Range,
    status: Vec<(Range, Vec<u16>)>,
    errors: Vec<u16>,
    never_succeeds: Option<String>,
    server_item: bool,
    request: DraftRequest,
    response: Option<DraftResponse>,
    history: BTreeMap<Version, String>,
    controller_checks: BTreeMap<Version, String>,
}

struct DraftRequest {
    body: BodyShape,
    key: Option<String>,
    notes: Vec<String>,
    fields: Vec<DraftField>,
}

struct DraftResponse {
    shape: ResponseShape,
    links: Option<String>,
    links_since: Option<Version>,
    paging: Option<&'static str>,
    notes: Vec<String>,
    fields: Vec<DraftField>,
}

/// The operation's microversions: its gate inside the spec's.
fn op_range(api: Range, nova: &NovaOp) -> Option<Range> {
    let (lo, hi) = nova.range.unwrap_or((None, None));
    Range::new(
        lo.unwrap_or(api.since).max(api.since),
        hi.unwrap_or(api.until).min(api.until),
    )
    .intersect(api)
}

fn draft(ctx: &Context, nova: &NovaOp, errors: &[u16]) -> Result<Draft, String> {
    let route = route_of(nova);
    let range = op_range(ctx.api, nova).ok_or_else(|| {
        format!(
            "import: {route} lies outside the spec's microversions {}",
            Show(ctx.api)
        )
    })?;
    let entries = entries_name(&nova.path);
    let snaps: Vec<(Version, Snapshot)> = versions(range).map(|v| (v, snapshot(ctx, nova, v, &entries))).collect();
    let mut history = BTreeMap::new();
    for pair in snaps.windows(2) {
        let what = changes(&pair[0].1, &pair[1].1);
        if !what.is_empty() {
            history.insert(
                pair[1].0,
                format!("{TODO}: what changed, in our words ({})", what.join("; ")),
            );
        }
    }
    let status: Vec<(Version, Vec<u16>)> = snaps.iter().map(|(v, s)| (*v, s.status.clone())).collect();
    let never_succeeds = matches!(nova.status.as_str(), "removed" | "stub")
        .then(|| format!("{TODO}: why it can no longer succeed (Nova: {})", nova.status));
    Ok(Draft {
        name: proposed_name(&nova.method, &nova.path, nova.action.as_deref()),
        kind: match (nova.action.is_some(), nova.method.as_str()) {
            (true, _) => "action",
            (_, "GET") => "get",
            (_, "PUT") => "put",
            (_, "DELETE") => "delete",
            _ => "post",
        },
        path: named_path(&nova.path),
        range,
        api: ctx.api,
        status: stretches(&status),
        errors: errors.to_vec(),
        never_succeeds,
        server_item: nova.path.starts_with("/servers/{server_id}"),
        request: draft_request(&snaps, nova.action.as_deref()),
        response: draft_response(&snaps),
        controller_checks: controller_checks(nova, range, &history),
        history,
        route,
    })
}

/// The entries of the fields seen at each microversion: enum values and types unified per
/// field, then folded, then the `rust:` names a person must write noted.
fn fold(mut per_version: Vec<(Version, Vec<FieldAt>)>) -> Vec<DraftField> {
    unify_enums(&mut per_version);
    unify_types(&mut per_version);
    let mut fields = merge(&per_version);
    rust_name_notes(&mut fields);
    fields
}

/// Where a body's form differs from its newest one, for a note.
fn other_forms<T: PartialEq + Clone>(
    items: &[(Version, T)],
    newest: &T,
    word: impl Fn(&T) -> String,
) -> Option<String> {
    let others: Vec<String> = stretches(items)
        .into_iter()
        .filter(|(_, x)| x != newest)
        .map(|(r, x)| format!("{} at {}", word(&x), Show(r)))
        .collect();
    (!others.is_empty()).then(|| others.join(", "))
}

fn draft_request(snaps: &[(Version, Snapshot)], action: Option<&str>) -> DraftRequest {
    let bodies: Vec<(Version, Option<BodyShape>)> = snaps
        .iter()
        .map(|(v, s)| (*v, s.request.as_ref().map(|r| r.body)))
        .collect();
    let newest = snaps.iter().rev().find_map(|(_, s)| s.request.as_ref());
    let (body, key, mut notes) = match newest {
        Some(r) => (r.body, r.key.clone(), r.note.iter().cloned().collect::<Vec<_>>()),
        None if action.is_some() => (
            BodyShape::Null,
            action.map(String::from),
            vec!["Nova has no request schema: check what the controller reads under the key".to_string()],
        ),
        None => (BodyShape::None, None, Vec::new()),
    };
    let word = |b: &Option<BodyShape>| b.map_or("no schema (nothing validated)", BodyShape::word).to_string();
    if newest.is_some()
        && let Some(others) = other_forms(&bodies, &Some(body), word)
    {
        notes.push(format!("Nova's body differs: {others}: check"));
    }
    let per_version: Vec<(Version, Vec<FieldAt>)> = snaps
        .iter()
        .map(|(v, s)| {
            let mut fs = s.request.as_ref().map(|r| r.fields.clone()).unwrap_or_default();
            fs.extend(s.query.iter().cloned());
            (*v, fs)
        })
        .collect();
    let fields = fold(per_version);
    DraftRequest {
        body,
        key,
        notes,
        fields,
    }
}

fn draft_response(snaps: &[(Version, Snapshot)]) -> Option<DraftResponse> {
    let newest = snaps.iter().rev().find_map(|(_, s)| s.response.as_ref())?;
    let shapes: Vec<(Version, Option<ResponseShape>)> = snaps
        .iter()
        .map(|(v, s)| (*v, s.response.as_ref().map(|r| r.shape.clone())))
        .collect();
    let mut notes = Vec::new();
    let word = |s: &Option<ResponseShape>| match s {
        None => "no body".to_string(),
        Some(ResponseShape::Top) => "fields at the top".to_string(),
        Some(ResponseShape::Entries) => "a map".to_string(),
        Some(ResponseShape::Wrap { wrap, list, .. }) => format!("`{wrap}`{}", if *list { " (a list)" } else { "" }),
    };
    if let Some(others) = other_forms(&shapes, &Some(newest.shape.clone()), word) {
        notes.push(format!("Nova's response differs: {others}: check"));
    }
    let links_since = snaps
        .iter()
        .find(|(_, s)| s.response.as_ref().is_some_and(|r| r.links.is_some()))
        .map(|(v, _)| *v);
    let links = links_since
        .and_then(|v| snaps.iter().find(|(w, _)| *w == v))
        .and_then(|(_, s)| s.response.as_ref()?.links.clone());
    let list = matches!(newest.shape, ResponseShape::Wrap { list: true, .. });
    let query: BTreeSet<&str> = snaps
        .iter()
        .flat_map(|(_, s)| s.query.iter().map(|f| f.json.as_str()))
        .collect();
    let paging = match (list, query.contains("marker"), query.contains("offset")) {
        (true, true, _) => Some("marker"),
        (true, false, true) => Some("offset"),
        _ => None,
    };
    if paging == Some("marker") && links.is_none() {
        notes.push("paged by `marker`, but Nova's schema names no links key: find it".into());
    }
    let per_version: Vec<(Version, Vec<FieldAt>)> = snaps
        .iter()
        .map(|(v, s)| (*v, s.response.as_ref().map(|r| r.fields.clone()).unwrap_or_default()))
        .collect();
    let fields = fold(per_version);
    let first = snaps.first().map(|(v, _)| *v);
    Some(DraftResponse {
        shape: newest.shape.clone(),
        links,
        links_since: links_since.filter(|v| Some(*v) != first),
        paging,
        notes,
        fields,
    })
}

/// Nova's controller checks at microversions where the draft changes nothing (those are in
/// `history` already), inside the operation.
fn controller_checks(nova: &NovaOp, range: Range, history: &BTreeMap<Version, String>) -> BTreeMap<Version, String> {
    let mut by_version: BTreeMap<Version, Vec<String>> = BTreeMap::new();
    for c in &nova.checks {
        if range.contains(c.version) && c.version != range.since && !history.contains_key(&c.version) {
            let what = format!("{}: {}", c.at, c.code);
            let list = by_version.entry(c.version).or_default();
            if !list.contains(&what) {
                list.push(what);
            }
        }
    }
    by_version
        .into_iter()
        .map(|(v, at)| {
            (
                v,
                format!("{TODO}: what Nova's controller checks here ({})", at.join("; ")),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Writing YAML.

/// A YAML scalar: plain where that reads back as the same string, else double-quoted (JSON
/// escapes are YAML's).
fn scalar(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain { s.to_string() } else { quoted(s) }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn version_text(v: Version) -> String {
    format!("\"{v}\"")
}

/// `since`/`until` of `r`, each left out where it is `within`'s.
fn range_parts(r: Range, within: Range) -> Vec<String> {
    let mut parts = Vec::new();
    if r.since != within.since {
        parts.push(format!("since: {}", version_text(r.since)));
    }
    if r.until != within.until {
        parts.push(format!("until: {}", version_text(r.until)));
    }
    parts
}

fn flag_text(flag: Range, field: Range) -> String {
    if flag == field {
        "true".into()
    } else {
        format!("{{ {} }}", range_parts(flag, field).join(", "))
    }
}

fn limits_text(l: &Limits) -> String {
    let mut parts = Vec::new();
    let mut num = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{name}: {v}"));
        }
    };
    num("min_length", l.min_length.map(|x| x.to_string()));
    num("max_length", l.max_length.map(|x| x.to_string()));
    num("pattern", l.pattern.as_deref().map(quoted));
    num("format", l.format.as_deref().map(scalar));
    num("minimum", l.minimum.map(|x| x.to_string()));
    num("maximum", l.maximum.map(|x| x.to_string()));
    num("min_items", l.min_items.map(|x| x.to_string()));
    num("max_items", l.max_items.map(|x| x.to_string()));
    num("unique_items", l.unique_items.then(|| "true".to_string()));
    num("max_properties", l.max_properties.map(|x| x.to_string()));
    num("items", l.items.as_deref().map(limits_text));
    num("keys", l.keys.as_deref().map(limits_text));
    num("values", l.values.as_deref().map(limits_text));
    format!("{{ {} }}", parts.join(", "))
}

fn todo_comment(notes: &[String]) -> String {
    if notes.is_empty() {
        String::new()
    } else {
        format!("  # {TODO}: {}", notes.join("; "))
    }
}

/// One field as a flow mapping on one line, its notes in a trailing comment.
fn field_line(f: &DraftField, within: Range) -> String {
    let mut parts = vec![
        format!("json: {}", scalar(&f.json)),
        format!("type: {}", scalar(&f.typed.ty)),
    ];
    if let Some(r) = f.required {
        parts.push(format!("required: {}", flag_text(r, f.range)));
    }
    if let Some(r) = f.nullable {
        parts.push(format!("nullable: {}", flag_text(r, f.range)));
    }
    parts.extend(range_parts(f.range, within));
    match f.location {
        Location::Body => {}
        Location::Top => parts.push("in: top".into()),
        Location::Entries => parts.push("in: entries".into()),
        Location::Query => parts.push("in: query".into()),
        Location::Header => parts.push("in: location_header".into()),
    }
    if f.typed.limits != Limits::default() {
        parts.push(format!("limits: {}", limits_text(&f.typed.limits)));
    }
    format!("- {{ {} }}{}", parts.join(", "), todo_comment(&f.typed.notes))
}

fn render(d: &Draft, release: &str) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "# Drafted by `cargo xtask import` from Nova {release}'s {}.",
        d.route
    ));
    line(format!("name: {}", d.name));
    line(format!("kind: {}", d.kind));
    if let Some(k) = &d.request.key {
        line(format!("key: {}", scalar(k)));
    }
    line(format!("path: {}", quoted(&d.path)));
    line(format!("since: {}", version_text(d.range.since)));
    if d.range.until != d.api.until {
        line(format!("until: {}", version_text(d.range.until)));
    }
    render_status(d, &mut line);
    if !d.errors.is_empty() {
        let codes: Vec<String> = d.errors.iter().map(u16::to_string).collect();
        line(format!("errors: [{}]", codes.join(", ")));
    }
    line(format!(
        "summary: {}",
        quoted(&format!("{TODO}: one line, our own words"))
    ));
    if let Some(why) = &d.never_succeeds {
        line(format!("never_succeeds: {}", quoted(why)));
    }
    line(format!(
        "policy: none  # {TODO}: the default rule (none, reader, member, manager or admin)"
    ));
    if d.server_item {
        line(format!(
            "# {TODO}: server_status, instance_action and lock_checked, from Nova's source"
        ));
    }
    render_versions("history", &d.history, &mut line);
    render_versions("controller_checks", &d.controller_checks, &mut line);
    render_request(d, &mut line);
    if let Some(r) = &d.response {
        render_response(r, d.range, d.api, &mut line);
    }
    out
}

fn render_status(d: &Draft, line: &mut impl FnMut(String)) {
    if d.status.iter().all(|(_, codes)| codes.is_empty()) {
        line(format!("status: 200  # {TODO}: Nova records no success code"));
        return;
    }
    if let [(_, codes)] = d.status.as_slice()
        && let [code] = codes.as_slice()
    {
        line(format!("status: {code}"));
        return;
    }
    line("status:".into());
    for (r, codes) in &d.status {
        let Some(code) = codes.first() else {
            line(format!("  # {TODO}: no success code at {}", Show(*r)));
            continue;
        };
        let mut parts = vec![format!("code: {code}")];
        parts.extend(range_parts(*r, d.range));
        let note = if codes.len() > 1 {
            format!("  # {TODO}: codes {codes:?} here: one entry each, with its `outcome`")
        } else {
            String::new()
        };
        line(format!("  - {{ {} }}{note}", parts.join(", ")));
    }
}

fn render_versions(key: &str, entries: &BTreeMap<Version, String>, line: &mut impl FnMut(String)) {
    if entries.is_empty() {
        return;
    }
    line(format!("{key}:"));
    for (v, text) in entries {
        line(format!("  {}: {}", version_text(*v), quoted(text)));
    }
}

fn render_request(d: &Draft, line: &mut impl FnMut(String)) {
    line("request:".into());
    line(format!(
        "  body: {}{}",
        d.request.body.word(),
        todo_comment(&d.request.notes)
    ));
    if d.request.fields.is_empty() {
        return;
    }
    line("  fields:".into());
    for f in &d.request.fields {
        line(format!("    {}", field_line(f, d.range)));
    }
}

fn render_response(r: &DraftResponse, range: Range, api: Range, line: &mut impl FnMut(String)) {
    line("response:".into());
    for note in &r.notes {
        line(format!("  # {TODO}: {note}"));
    }
    let type_name = match &r.shape {
        ResponseShape::Wrap {
            wrap,
            list: true,
            item_wrap,
        } => {
            line(format!("  wrap: {}", scalar(wrap)));
            line("  list: true".into());
            if let Some(k) = item_wrap {
                line(format!("  item_wrap: {}", scalar(k)));
            }
            if let Some(l) = &r.links {
                line(format!("  links: {}", scalar(l)));
            }
            if let Some(v) = r.links_since {
                line(format!("  links_since: {}", version_text(v)));
            }
            if let Some(p) = r.paging {
                line(format!("  paging: {p}"));
            }
            Some(camel(&item_wrap.clone().unwrap_or_else(|| singular(wrap))))
        }
        ResponseShape::Wrap { wrap, .. } => {
            line(format!(
                "  # {TODO}: a named type in spec/types, if other operations return the same object"
            ));
            line(format!("  wrap: {}", scalar(wrap)));
            None
        }
        // One field (a map: extra specs) is no object to name.
        ResponseShape::Top if r.fields.len() > 1 => {
            line(format!(
                "  # {TODO}: a named type in spec/types, if other operations return the same object"
            ));
            None
        }
        ResponseShape::Top => None,
        ResponseShape::Entries => None,
    };
    match type_name {
        // A list's items are a named type: its fields go into the type's file, with ranges
        // inside the API's rather than the operation's.
        Some(name) => {
            line(format!(
                "  type: {name}  # {TODO}: a list's items are a named type: write spec/types/{name}.yaml \
                 (kind: object) with the fields below, or name an existing type"
            ));
            line(format!("  # fields of {name} (ranges inside the API's):"));
            for f in &r.fields {
                let mut f = f.clone();
                if f.range.since == range.since {
                    f.range.since = api.since;
                }
                if f.range.until == range.until {
                    f.range.until = api.until;
                }
                line(format!("  #   {}", field_line(&f, api)));
            }
        }
        None if !r.fields.is_empty() => {
            line("  fields:".into());
            for f in &r.fields {
                line(format!("    {}", field_line(f, range)));
            }
        }
        None => {}
    }
}

// ---------------------------------------------------------------------------------------
// Samples: the api-ref's sections name them.

/// One `rest_method` section of Nova's api-ref.
#[derive(Debug, Default)]
struct Section {
    method: String,
    path: String,
    /// Paths under `doc/api_samples/`, each with the part (`Request`, `Response`) it sits in.
    includes: Vec<(String, Option<Direction>)>,
    /// Names of the `rest_parameters` listed.
    params: Vec<String>,
}

fn parse_sections(text: &str) -> Vec<Section> {
    let lines: Vec<&str> = text.lines().collect();
    let mut sections: Vec<Section> = Vec::new();
    let mut part = None;
    for (i, raw) in lines.iter().enumerate() {
        let t = raw.trim();
        if let Some(rest) = t.strip_prefix(".. rest_method::") {
            let mut words = rest.split_whitespace();
            sections.push(Section {
                method: words.next().unwrap_or_default().to_string(),
                path: words.next().unwrap_or_default().to_string(),
                ..Section::default()
            });
            part = None;
            continue;
        }
        let Some(cur) = sections.last_mut() else {
            continue;
        };
        let underlined = lines.get(i + 1).is_some_and(|n| n.trim().starts_with("---"));
        match t {
            "Request" if underlined => part = Some(Direction::Request),
            "Response" if underlined => part = Some(Direction::Response),
            _ => {}
        }
        if let Some(rest) = t.strip_prefix(".. literalinclude::")
            && let Some(at) = rest.find("doc/api_samples/")
        {
            cur.includes
                .push((rest[at + "doc/api_samples/".len()..].trim().to_string(), part));
        } else if let Some(param) = t.strip_prefix("- ")
            && let Some((name, _)) = param.split_once(':')
        {
            cur.params.push(name.trim().to_string());
        }
    }
    sections
}

fn read_sections(dir: &Path) -> Result<Vec<Section>, String> {
    let source = dir.join("api-ref/source");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&source)
        .map_err(|e| format!("{}: {e}", source.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "inc"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        out.extend(parse_sections(&text));
    }
    Ok(out)
}

/// The top-level keys of a sample file (where it is a JSON object).
fn sample_keys(samples: &Path, path: &str) -> Vec<String> {
    std::fs::read_to_string(samples.join(path))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
        .unwrap_or_default()
}

/// Whether a section documents a route: same method, same path with parameters named in any
/// way, and for an action its key among the section's parameters or request samples.
fn documents(section: &Section, nova: &NovaOp, samples: &Path) -> bool {
    if !section.method.eq_ignore_ascii_case(&nova.method)
        || drift::normalize_path(&section.path) != drift::normalize_path(&nova.path)
    {
        return false;
    }
    let Some(action) = &nova.action else {
        return true;
    };
    section.params.iter().any(|p| p == action)
        || section
            .includes
            .iter()
            .filter(|(p, part)| direction_of(p, *part) == Direction::Request)
            .any(|(p, _)| sample_keys(samples, p).contains(action))
}

/// `-req`/`-resp` in the file name, else the api-ref part it sits in.
fn direction_of(path: &str, part: Option<Direction>) -> Direction {
    let file = path.rsplit('/').next().unwrap_or(path);
    if file.contains("-resp") {
        Direction::Response
    } else if file.contains("-req") {
        Direction::Request
    } else {
        part.unwrap_or(Direction::Request)
    }
}

/// The microversion of a `vN.M` folder in a sample's path.
fn folder_version(path: &str) -> Option<Version> {
    path.split('/')
        .find_map(|s| s.strip_prefix('v').and_then(|v| Version::parse(v).ok()))
}

/// What to add to `upstream-samples.yaml`.
#[derive(Debug, Default)]
struct Mapped {
    samples: Vec<UpstreamSample>,
    skips: Vec<UpstreamSkip>,
    already: usize,
}

fn map_samples(dir: &Path, drafts: &[(Draft, &NovaOp)], existing: &UpstreamMap) -> Result<Mapped, String> {
    let samples_dir = dir.join("doc/api_samples");
    let sections = read_sections(dir)?;
    let known: BTreeSet<&str> = existing
        .samples
        .iter()
        .map(|s| s.path.as_str())
        .chain(existing.skip.iter().map(|s| s.path.as_str()))
        .collect();
    let mut mapped = Mapped::default();
    for (d, nova) in drafts {
        let ours = sections.iter().filter(|s| documents(s, nova, &samples_dir));
        for (path, part) in ours.flat_map(|s| &s.includes) {
            if known.contains(path.as_str()) {
                mapped.already += 1;
            } else if !mapped.samples.iter().any(|s| &s.path == path) {
                mapped.samples.push(UpstreamSample {
                    path: path.clone(),
                    op: d.name.clone(),
                    direction: direction_of(path, *part),
                    version: folder_version(path).unwrap_or(d.range.since),
                });
            }
        }
    }
    mapped.samples.sort_by(|a, b| a.path.cmp(&b.path));
    let named: BTreeSet<&str> = sections
        .iter()
        .flat_map(|s| s.includes.iter().map(|(p, _)| p.as_str()))
        .collect();
    mapped.skips = unnamed_files(&samples_dir, &mapped.samples, &named, &known);
    Ok(mapped)
}

/// The files of the sample folders `samples` use that no api-ref section names and the map
/// does not list, each with a TODO (and a hint where a mapped file has its name).
fn unnamed_files(
    samples_dir: &Path,
    samples: &[UpstreamSample],
    named: &BTreeSet<&str>,
    known: &BTreeSet<&str>,
) -> Vec<UpstreamSkip> {
    let folders: BTreeSet<&str> = samples.iter().filter_map(|s| s.path.split('/').next()).collect();
    let mut out = Vec::new();
    for folder in folders {
        for path in json_files(&samples_dir.join(folder), folder) {
            if named.contains(path.as_str()) || known.contains(path.as_str()) {
                continue;
            }
            let file = path.rsplit('/').next().unwrap_or(&path);
            let like = samples.iter().find(|s| s.path.rsplit('/').next() == Some(file));
            let hint = like.map_or(String::new(), |s| {
                format!(" (the name of {}, {}'s {})", s.path, s.op, direction_word(s.direction))
            });
            out.push(UpstreamSkip {
                reason: format!("{TODO}: no api-ref section names it: map it, or say why it is not ours{hint}"),
                path,
            });
        }
    }
    out
}

/// The `.json` files under `dir`, as paths starting with `prefix`, sorted.
fn json_files(dir: &Path, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            out.extend(json_files(&path, &format!("{prefix}/{name}")));
        } else if name.ends_with(".json") {
            out.push(format!("{prefix}/{name}"));
        }
    }
    out.sort();
    out
}

fn direction_word(d: Direction) -> &'static str {
    match d {
        Direction::Request => "request",
        Direction::Response => "response",
    }
}

fn sample_line(s: &UpstreamSample) -> String {
    format!(
        "{{ path: {}, op: {}, direction: {}, version: {} }}",
        scalar(&s.path),
        scalar(&s.op),
        direction_word(s.direction),
        version_text(s.version)
    )
}

fn skip_line(s: &UpstreamSkip) -> String {
    format!("{{ path: {}, reason: {} }}", scalar(&s.path), quoted(&s.reason))
}

/// A line that starts a top-level key of the YAML file.
fn is_top_level_key(line: &str) -> bool {
    !line.is_empty() && !line.starts_with([' ', '\t', '#', '-'])
}

/// Adds list entries at the end of the top-level list `key` (before the comments that
/// introduce what follows it), or a new `key:` at the end of the file.
fn insert_entries(lines: &mut Vec<String>, key: &str, entries: &[String]) {
    if entries.is_empty() {
        return;
    }
    let head = |l: &String| l.trim_end() == format!("{key}:") || l.trim_end() == format!("{key}: []");
    let Some(start) = lines.iter().position(head) else {
        lines.push(format!("{key}:"));
        lines.extend(entries.iter().map(|e| format!("  - {e}")));
        return;
    };
    lines[start] = format!("{key}:");
    let mut end = start + 1;
    while end < lines.len() && !is_top_level_key(&lines[end]) {
        end += 1;
    }
    while end > start + 1 && (lines[end - 1].trim().is_empty() || lines[end - 1].trim_start().starts_with('#')) {
        end -= 1;
    }
    let indent = lines[start + 1..end]
        .iter()
        .find_map(|l| {
            l.find("- ")
                .filter(|i| l[..*i].trim().is_empty())
                .map(|i| l[..i].to_string())
        })
        .unwrap_or_else(|| "  ".to_string());
    let new: Vec<String> = entries.iter().map(|e| format!("{indent}- {e}")).collect();
    lines.splice(end..end, new);
}

/// The file with the new samples and skips, its existing text (entries and comments) kept.
fn with_entries(text: &str, mapped: &Mapped) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    insert_entries(
        &mut lines,
        "samples",
        &mapped.samples.iter().map(sample_line).collect::<Vec<_>>(),
    );
    insert_entries(
        &mut lines,
        "skip",
        &mapped.skips.iter().map(skip_line).collect::<Vec<_>>(),
    );
    lines.join("\n") + "\n"
}

/// `upstream-samples.yaml`, as text (kept) and as read.
struct Upstream {
    path: PathBuf,
    text: String,
    map: UpstreamMap,
}

impl Upstream {
    fn read(spec_dir: &Path) -> Result<Upstream, String> {
        let path = spec_dir.join("upstream-samples.yaml");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let map = spec::parse_yaml(&path, &text).map_err(|e| e.to_string())?;
        Ok(Upstream { path, text, map })
    }

    /// The file with `mapped` added, once it parses.
    fn with(&self, mapped: &Mapped) -> Result<String, String> {
        let new = with_entries(&self.text, mapped);
        spec::parse_yaml::<UpstreamMap>(&self.path, &new)
            .map_err(|e| format!("import: {} would not parse (a bug of import): {e}", self.path.display()))?;
        Ok(new)
    }

    fn write(&self, new: &str, mapped: &Mapped) -> Result<(), String> {
        if new != self.text {
            std::fs::write(&self.path, new).map_err(|e| format!("{}: {e}", self.path.display()))?;
        }
        let todos = mapped.skips.iter().filter(|s| s.reason.contains(TODO)).count();
        println!(
            "{}: {} samples and {} skips added ({todos} {TODO}); {} already listed",
            self.path.display(),
            mapped.samples.len(),
            mapped.skips.len(),
            mapped.already
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(s: &str) -> Version {
        Version::parse(s).expect("a version")
    }

    fn at(schema: &str, min: Option<&str>, max: Option<&str>) -> SchemaAt {
        SchemaAt {
            schema: schema.into(),
            min: min.map(v),
            max: max.map(v),
        }
    }

    fn nova(method: &str, path: &str, action: Option<&str>) -> NovaOp {
        NovaOp {
            method: method.into(),
            path: path.into(),
            action: action.map(String::from),
            range: None,
            request: Vec::new(),
            query: Vec::new(),
            response: Vec::new(),
            success: vec![(200, None, None)],
            group: "test".into(),
            status: "live".into(),
            mount: "/v2.1".into(),
            checks: Vec::new(),
        }
    }

    const API: Range = Range {
        since: Version::new(2, 1),
        until: Version::new(2, 104),
    };

    /// Drafts `op` from inline schemas and checks the draft parses as an operation file.
    fn draft_of(schemas: &[(&str, Value)], op: &NovaOp) -> (Draft, String) {
        let schemas: BTreeMap<String, Value> = schemas.iter().map(|(k, s)| (k.to_string(), s.clone())).collect();
        let ctx = Context {
            schemas: &schemas,
            api: API,
            types: &[],
        };
        let d = draft(&ctx, op, &[400]).expect("a draft");
        let text = render(&d, "test");
        if let Err(e) = spec::parse_yaml::<OpSpec>(Path::new("draft.yaml"), &text) {
            panic!("the draft does not parse: {e}\n{text}");
        }
        (d, text)
    }

    fn fields<'d>(fields: &'d [DraftField], json: &str) -> Vec<&'d DraftField> {
        fields.iter().filter(|f| f.json == json).collect()
    }

    fn range(since: &str, until: &str) -> Range {
        Range::new(v(since), v(until))
    }

    /// Keypair create, as Nova 34.0.0 has it (trimmed): `type` from 2.2, `user_id` from
    /// 2.10, `public_key` required and the name's pattern changed from 2.92, 200 then 201.
    #[test]
    fn keypair_create_fields_follow_the_microversions() {
        let name = |pattern: &str| {
            json!({"allOf": [
                {"type": "string", "format": "name", "minLength": 1, "maxLength": 255},
                {"type": "string", "pattern": pattern, "minLength": 1, "maxLength": 255}
            ]})
        };
        let body = |props: Value, required: Value| {
            json!({"type": "object", "properties": {"keypair": {"type": "object", "properties": props,
                "required": required, "additionalProperties": false}}, "required": ["keypair"]})
        };
        let old = "^[_\\- a-zA-Z0-9]+$";
        let new = "^[_\\-\\@\\. a-zA-Z0-9]+$";
        let kind = json!({"type": "string", "enum": ["ssh", "x509"]});
        let schemas = [
            (
                "k.create",
                body(
                    json!({"name": name(old), "public_key": {"type": "string"}}),
                    json!(["name"]),
                ),
            ),
            (
                "k.create_v22",
                body(
                    json!({"name": name(old), "type": kind, "public_key": {"type": "string"}}),
                    json!(["name"]),
                ),
            ),
            (
                "k.create_v210",
                body(
                    json!({"name": name(old), "type": kind, "public_key": {"type": "string"},
                        "user_id": {"type": "string"}}),
                    json!(["name"]),
                ),
            ),
            (
                "k.create_v292",
                body(
                    json!({"name": name(new), "type": kind, "public_key": {"type": "string"},
                        "user_id": {"type": "string"}}),
                    json!(["name", "public_key"]),
                ),
            ),
        ];
        let mut op = nova("POST", "/os-keypairs", None);
        op.request = vec![
            at("k.create_v20", Some("2.0"), Some("2.0")),
            at("k.create", Some("2.1"), Some("2.1")),
            at("k.create_v22", Some("2.2"), Some("2.9")),
            at("k.create_v210", Some("2.10"), Some("2.91")),
            at("k.create_v292", Some("2.92"), None),
        ];
        op.success = vec![(201, Some(v("2.2")), None), (200, Some(v("2.0")), Some(v("2.1")))];
        let (d, text) = draft_of(&schemas, &op);
        assert_eq!(d.name, "create_keypair");
        assert_eq!(d.request.body, BodyShape::Object);
        assert_eq!(d.request.key.as_deref(), Some("keypair"));
        let names = fields(&d.request.fields, "name");
        assert_eq!(names.len(), 2, "the pattern changes at 2.92: {names:?}");
        assert_eq!(
            (names[0].range, names[1].range),
            (range("2.1", "2.91"), range("2.92", "2.104"))
        );
        // The library checks both patterns (`Pattern::KeypairName`, `KeypairNameAt`).
        assert_eq!(
            (
                names[0].typed.limits.pattern.as_deref(),
                names[1].typed.limits.pattern.as_deref()
            ),
            (Some(old), Some(new))
        );
        assert_eq!(names[0].typed.limits.format.as_deref(), Some("name"));
        assert_eq!(fields(&d.request.fields, "type")[0].range, range("2.2", "2.104"));
        assert!(fields(&d.request.fields, "type")[0].typed.notes[0].contains("values ssh, x509"));
        assert_eq!(fields(&d.request.fields, "user_id")[0].range, range("2.10", "2.104"));
        let key = fields(&d.request.fields, "public_key")[0];
        assert_eq!((key.range, key.required), (API, Some(range("2.92", "2.104"))));
        assert!(text.contains("- { json: public_key, type: string, required: { since: \"2.92\" } }"));
        assert_eq!(
            d.status,
            vec![(range("2.1", "2.1"), vec![200]), (range("2.2", "2.104"), vec![201])]
        );
        assert_eq!(
            d.history.keys().copied().collect::<Vec<_>>(),
            [v("2.2"), v("2.10"), v("2.92")]
        );
        // Two fewer than before the library checked key pair names (one per name entry).
        assert_eq!(text.matches(TODO).count(), 6, "{text}");
    }

    /// Flavor list: `name` filter from 2.102, unknown parameters refused from 2.75,
    /// `description` from 2.55, a list paged by marker with `flavors_links`.
    #[test]
    fn flavor_list_query_and_paging() {
        let query = |extra: Value, strict: bool| {
            let mut props = json!({
                "limit": {"type": "array", "items": {"type": ["integer", "string"], "pattern": "^[0-9]*$",
                    "minimum": 0, "minLength": 1}},
                "marker": {"type": "array", "items": {"type": "string"}},
                "sort_dir": {"type": "array", "items": {"type": "string", "enum": ["asc", "desc"]}}
            });
            props
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            json!({"type": "object", "properties": props, "additionalProperties": !strict})
        };
        let link = json!({"type": "array", "items": {"type": "object",
            "properties": {"href": {"type": "string"}, "rel": {"type": "string"}}}});
        let response = |description: bool| {
            let mut item = json!({"id": {"type": "string"}, "name": {"type": "string"}, "links": link});
            let mut required = json!(["id", "links", "name"]);
            if description {
                item["description"] = json!({"type": ["string", "null"]});
                required.as_array_mut().unwrap().push(json!("description"));
            }
            json!({"type": "object", "properties": {
                "flavors": {"type": "array", "items": {"type": "object", "properties": item, "required": required}},
                "flavors_links": link
            }, "required": ["flavors"]})
        };
        let schemas = [
            ("f.index_query", query(json!({}), false)),
            ("f.index_query_v275", query(json!({}), true)),
            (
                "f.index_query_v2102",
                query(json!({"name": {"type": "array", "items": {"type": "string"}}}), true),
            ),
            ("f.index_response", response(false)),
            ("f.index_response_v255", response(true)),
        ];
        let mut op = nova("GET", "/flavors", None);
        op.query = vec![
            at("f.index_query", Some("2.0"), Some("2.74")),
            at("f.index_query_v275", Some("2.75"), Some("2.101")),
            at("f.index_query_v2102", Some("2.102"), None),
        ];
        op.response = vec![
            at("f.index_response", Some("2.0"), Some("2.54")),
            at("f.index_response_v255", Some("2.55"), None),
        ];
        let (d, text) = draft_of(&schemas, &op);
        assert_eq!(d.name, "list_flavors");
        let name = fields(&d.request.fields, "name")[0];
        assert_eq!(
            (name.range, name.location, name.typed.ty.as_str()),
            (range("2.102", "2.104"), Location::Query, "list<string>")
        );
        let limit = fields(&d.request.fields, "limit")[0];
        assert_eq!(limit.typed.ty, "list<integer>");
        assert_eq!(
            limit.typed.limits.items.as_ref().and_then(|l| l.pattern.as_deref()),
            Some("^[0-9]*$")
        );
        let r = d.response.as_ref().expect("a response");
        assert_eq!(
            r.shape,
            ResponseShape::Wrap {
                wrap: "flavors".into(),
                list: true,
                item_wrap: None
            }
        );
        assert_eq!(
            (r.links.as_deref(), r.links_since, r.paging),
            (Some("flavors_links"), None, Some("marker"))
        );
        let description = fields(&r.fields, "description")[0];
        assert_eq!(
            (description.range, description.nullable),
            (range("2.55", "2.104"), Some(range("2.55", "2.104")))
        );
        assert!(d.history[&v("2.75")].contains("unknown query parameters give 400"));
        assert!(d.history[&v("2.102")].contains("query: `name` added"));
        assert!(
            text.contains("type: Flavor  # TODO(import): a list's items are a named type"),
            "{text}"
        );
    }

    /// Flavor create: `description` from 2.55 (nullable), Nova's boolean-ish and digit-string
    /// types, a string-or-number ID, and a response `swap` that is `""` or an integer until 2.74.
    #[test]
    fn flavor_create_types() {
        let body = |description: bool| {
            let mut props = json!({
                "name": {"type": "string", "format": "name", "minLength": 1, "maxLength": 255},
                "id": {"type": ["string", "number", "null"], "minLength": 1, "maxLength": 255,
                    "pattern": "^(?! )[a-zA-Z0-9. _-]+(?<! )$"},
                "ram": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1, "maximum": 2147483647},
                "os-flavor-access:is_public": {"type": ["boolean", "string"],
                    "enum": [true, "True", "true", "1", false, "False", "false", "0"]}
            });
            if description {
                props["description"] = json!({"type": ["string", "null"], "minLength": 0, "maxLength": 65535});
            }
            json!({"type": "object", "required": ["flavor"],
                "properties": {"flavor": {"type": "object", "properties": props, "required": ["name", "ram"]}}})
        };
        let response = |swap: Value| {
            json!({"type": "object", "required": ["flavor"],
                "properties": {"flavor": {"type": "object", "properties": {"swap": swap}, "required": ["swap"]}}})
        };
        let schemas = [
            ("f.create", body(false)),
            ("f.create_v255", body(true)),
            (
                "f.create_response",
                response(json!({"anyOf": [{"type": "integer"}, {"const": ""}]})),
            ),
            ("f.create_response_v275", response(json!({"type": "integer"}))),
        ];
        let mut op = nova("POST", "/flavors", None);
        op.request = vec![
            at("f.create", Some("2.1"), Some("2.54")),
            at("f.create_v255", Some("2.55"), None),
        ];
        op.response = vec![
            at("f.create_response", Some("2.0"), Some("2.74")),
            at("f.create_response_v275", Some("2.75"), None),
        ];
        let (d, _) = draft_of(&schemas, &op);
        let description = fields(&d.request.fields, "description")[0];
        assert_eq!(description.range, range("2.55", "2.104"));
        assert_eq!(description.nullable, Some(description.range));
        assert_eq!(description.typed.limits.max_length, Some(65535));
        assert_eq!(
            fields(&d.request.fields, "os-flavor-access:is_public")[0].typed.ty,
            "boolish"
        );
        let ram = fields(&d.request.fields, "ram")[0];
        assert_eq!(
            (ram.typed.ty.as_str(), ram.typed.limits.minimum, ram.required),
            ("integerish", Some(1), Some(API))
        );
        let id = fields(&d.request.fields, "id")[0];
        assert_eq!((id.typed.ty.as_str(), id.nullable), ("id", Some(API)));
        // The library checks the flavor ID's pattern (`Pattern::FlavorId`).
        assert!(
            id.typed
                .limits
                .pattern
                .as_deref()
                .is_some_and(|p| p.starts_with("^(?! )"))
        );
        // One entry: `empty_or<integer>` reads both of Nova's forms; history says where it changed.
        let swap = fields(&d.response.as_ref().expect("a response").fields, "swap");
        assert_eq!(swap.len(), 1, "{swap:?}");
        assert_eq!((swap[0].typed.ty.as_str(), swap[0].range), ("empty_or<integer>", API));
        assert!(d.history[&v("2.75")].contains("`swap` type"));
    }

    /// Extra spec update: the body is the map itself (`{"hw:cpu_policy": "dedicated"}`).
    #[test]
    fn extra_spec_update_is_an_entries_body() {
        let map = json!({"type": "object",
            "patternProperties": {"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": ["string", "number"], "maxLength": 255}},
            "additionalProperties": false, "minProperties": 1, "maxProperties": 1});
        let schemas = [("e.update", map.clone()), ("e.update_response", map)];
        let mut op = nova("PUT", "/flavors/{flavor_id}/os-extra_specs/{id}", None);
        op.request = vec![at("e.update", None, None)];
        op.response = vec![at("e.update_response", None, None)];
        op.checks = vec![drift::Check {
            version: v("2.86"),
            at: "compute/flavors_extraspecs.py:39".into(),
            code: "validation_supported = ...".into(),
        }];
        let (d, text) = draft_of(&schemas, &op);
        assert_eq!(
            (d.name.as_str(), d.path.as_str()),
            (
                "update_extra_spec",
                "/flavors/{flavor_id}/os-extra_specs/{extra_spec_id}"
            )
        );
        assert_eq!((d.request.body, d.request.key.as_deref()), (BodyShape::Entries, None));
        let [entries] = d.request.fields.as_slice() else {
            panic!("one entries field: {:?}", d.request.fields)
        };
        assert_eq!(
            (entries.json.as_str(), entries.location, entries.typed.ty.as_str()),
            ("extra_specs", Location::Entries, "map<id>")
        );
        let limits = &entries.typed.limits;
        assert_eq!(
            limits.keys.as_ref().and_then(|k| k.pattern.as_deref()),
            Some("^[a-zA-Z0-9-_:. ]{1,255}$")
        );
        assert_eq!(
            (limits.values.as_ref().and_then(|l| l.max_length), limits.max_properties),
            (Some(255), Some(1))
        );
        assert_eq!(
            d.response.as_ref().map(|r| r.shape.clone()),
            Some(ResponseShape::Entries)
        );
        assert!(d.controller_checks[&v("2.86")].contains("flavors_extraspecs.py:39"));
        assert!(text.contains("body: entries"));
    }

    /// Action bodies: `{}` under the key takes any value, `{"type": "null"}` only null, and an
    /// object-or-null form from 2.73 (lock) is drafted as such with a note on the older form.
    #[test]
    fn action_bodies() {
        let keyed = |key: &str, value: Value| json!({"type": "object", "properties": {key: value}, "required": [key]});
        let schemas = [
            ("s.pause", keyed("pause", json!({}))),
            ("s.crash", keyed("trigger_crash_dump", json!({"type": "null"}))),
            ("s.lock", keyed("lock", json!({}))),
            (
                "s.lock_v273",
                keyed(
                    "lock",
                    json!({"type": ["object", "null"],
                        "properties": {"locked_reason": {"type": "string", "minLength": 1, "maxLength": 255}}}),
                ),
            ),
        ];
        let action = |key: &str, request: Vec<SchemaAt>| {
            let mut op = nova("POST", "/servers/{server_id}/action", Some(key));
            op.request = request;
            op.success = vec![(202, None, None)];
            draft_of(&schemas, &op)
        };
        let (pause, text) = action("pause", vec![at("s.pause", None, None)]);
        assert_eq!((pause.name.as_str(), pause.request.body), ("pause", BodyShape::Null));
        assert!(text.contains("server_status, instance_action and lock_checked"));
        let (crash, _) = action("trigger_crash_dump", vec![at("s.crash", None, None)]);
        assert_eq!(crash.request.body, BodyShape::ExactlyNull);
        let (lock, _) = action(
            "lock",
            vec![
                at("s.lock", Some("2.1"), Some("2.72")),
                at("s.lock_v273", Some("2.73"), None),
            ],
        );
        assert_eq!(lock.request.body, BodyShape::ObjectOrNull);
        assert!(
            lock.request.notes[0].contains("\"null\" at 2.1..2.72"),
            "{:?}",
            lock.request.notes
        );
        assert_eq!(
            fields(&lock.request.fields, "locked_reason")[0].range,
            range("2.73", "2.104")
        );
        let (start, _) = action("os-start", Vec::new());
        assert_eq!(
            (start.name.as_str(), start.request.key.as_deref()),
            ("start", Some("os-start"))
        );
    }

    #[test]
    fn names_and_paths_from_routes() {
        let cases = [
            ("GET", "/flavors", None, "list_flavors"),
            ("GET", "/flavors/detail", None, "list_flavors_detail"),
            ("GET", "/flavors/{id}", None, "show_flavor"),
            ("POST", "/flavors", None, "create_flavor"),
            ("PUT", "/flavors/{id}", None, "update_flavor"),
            ("DELETE", "/flavors/{id}", None, "delete_flavor"),
            ("GET", "/flavors/{flavor_id}/os-extra_specs", None, "list_extra_specs"),
            (
                "GET",
                "/flavors/{flavor_id}/os-extra_specs/{id}",
                None,
                "show_extra_spec",
            ),
            (
                "GET",
                "/flavors/{flavor_id}/os-flavor-access",
                None,
                "list_flavor_access",
            ),
            (
                "POST",
                "/flavors/{id}/action",
                Some("addTenantAccess"),
                "add_tenant_access",
            ),
            (
                "POST",
                "/servers/{server_id}/action",
                Some("os-resetState"),
                "reset_state",
            ),
            ("GET", "/os-keypairs/{id}", None, "show_keypair"),
        ];
        for (method, path, action, name) in cases {
            assert_eq!(proposed_name(method, path, action), name, "{method} {path}");
        }
        assert_eq!(named_path("/flavors/{id}/action"), "/flavors/{flavor_id}/action");
        assert_eq!(named_path("/os-keypairs/{id}"), "/os-keypairs/{keypair_id}");
        assert_eq!(
            named_path("/servers/{server_id}/os-instance-actions/{request_id}"),
            "/servers/{server_id}/os-instance-actions/{request_id}"
        );
        assert_eq!(
            named_path("/flavors/{flavor_id}/os-flavor-access/{id}"),
            "/flavors/{flavor_id}/os-flavor-access/{flavor_access_id}"
        );
        assert_eq!(camel("flavor_access"), "FlavorAccess");
    }

    #[test]
    fn flags_that_come_back_split_an_entry() {
        let at_version = |required: bool| FieldAt {
            location: Location::Body,
            json: "x".into(),
            typed: Typed::plain("string"),
            required,
            nullable: false,
        };
        let per_version = vec![
            (v("2.1"), vec![at_version(true)]),
            (v("2.2"), vec![at_version(false)]),
            (v("2.3"), vec![at_version(true)]),
            (v("2.4"), vec![]),
            (v("2.5"), vec![at_version(false)]),
        ];
        let merged = merge(&per_version);
        let ranges: Vec<(Range, Option<Range>)> = merged.iter().map(|f| (f.range, f.required)).collect();
        assert_eq!(
            ranges,
            [
                (range("2.1", "2.2"), Some(range("2.1", "2.1"))),
                (range("2.3", "2.3"), Some(range("2.3", "2.3"))),
                (range("2.5", "2.5"), None)
            ]
        );
    }

    #[test]
    fn enum_values_fold_into_one_entry() {
        let with = |values: &[&str]| FieldAt {
            location: Location::Body,
            json: "type".into(),
            typed: Typed {
                ty: "string".into(),
                enumeration: Some((String::new(), values.iter().map(|s| s.to_string()).collect())),
                ..Typed::default()
            },
            required: true,
            nullable: false,
        };
        let mut per_version = vec![
            (v("2.6"), vec![with(&["novnc", "spice-html5"])]),
            (v("2.7"), vec![with(&["novnc", "spice-html5"])]),
            (v("2.8"), vec![with(&["novnc", "spice-html5", "webmks"])]),
        ];
        unify_enums(&mut per_version);
        let merged = merge(&per_version);
        assert_eq!(merged.len(), 1);
        assert_eq!(
            merged[0].typed.notes,
            ["an enum type in spec/types (values novnc, spice-html5; webmks since 2.8)"]
        );
    }

    #[test]
    fn upstream_entries_go_under_their_keys_and_keep_the_file() {
        let text = "# header\nsamples:\n  - { path: a/x.json, op: a, direction: request, version: \"2.1\" }\n\
                    # about skip\nskip:\n  - { path: a/y.json, reason: \"why\" }\n";
        let mapped = Mapped {
            samples: vec![UpstreamSample {
                path: "b/v2.5/z-resp.json".into(),
                op: "b".into(),
                direction: Direction::Response,
                version: v("2.5"),
            }],
            skips: vec![UpstreamSkip {
                path: "b/w.json".into(),
                reason: format!("{TODO}: no api-ref section names it"),
            }],
            already: 0,
        };
        let new = with_entries(text, &mapped);
        let lines: Vec<&str> = new.lines().collect();
        assert_eq!(lines[0], "# header");
        assert_eq!(
            lines[3],
            "  - { path: b/v2.5/z-resp.json, op: b, direction: response, version: \"2.5\" }"
        );
        assert_eq!(lines[4], "# about skip");
        assert_eq!(
            lines[7],
            "  - { path: b/w.json, reason: \"TODO(import): no api-ref section names it\" }"
        );
        let map: UpstreamMap = spec::parse_yaml(Path::new("upstream-samples.yaml"), &new).expect("it parses");
        assert_eq!((map.samples.len(), map.skip.len()), (2, 2));
        let fresh = with_entries("samples: []\n", &mapped);
        let map: UpstreamMap = spec::parse_yaml(Path::new("upstream-samples.yaml"), &fresh).expect("it parses");
        assert_eq!((map.samples.len(), map.skip.len()), (1, 1));
    }

    #[test]
    fn api_ref_sections_name_samples() {
        let text = "\
Add Flavor Access To Tenant (addTenantAccess Action)
====================================================

.. rest_method:: POST /flavors/{flavor_id}/action

Request
-------

.. rest_parameters:: parameters.yaml

  - flavor_id: flavor_id
  - addTenantAccess: addTenantAccess

.. literalinclude:: ../../doc/api_samples/flavor-access/flavor-access-add-tenant-req.json

Response
--------

.. literalinclude:: /../../doc/api_samples/flavor-access/v2.7/flavor-access-add-tenant.json

Remove Flavor Access From Tenant (removeTenantAccess Action)
============================================================

.. rest_method:: POST /flavors/{flavor_id}/action

  - removeTenantAccess: removeTenantAccess
";
        let sections = parse_sections(text);
        assert_eq!(sections.len(), 2);
        let (path, part) = &sections[0].includes[1];
        assert_eq!(
            (path.as_str(), *part),
            (
                "flavor-access/v2.7/flavor-access-add-tenant.json",
                Some(Direction::Response)
            )
        );
        assert_eq!(direction_of(path, *part), Direction::Response);
        assert_eq!(folder_version(path), Some(v("2.7")));
        let add = nova("POST", "/flavors/{id}/action", Some("addTenantAccess"));
        let nowhere = Path::new("/nonexistent");
        assert!(documents(&sections[0], &add, nowhere));
        assert!(!documents(&sections[1], &add, nowhere));
    }

    /// Every operation of the rendered reference, when it is there, drafts into a file that
    /// parses; and keypair create has the facts the inline test checks.
    #[test]
    fn every_operation_of_the_reference_drafts() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace");
        let api: ApiSpec = spec::read_yaml(&root.join("spec/api.yaml")).expect("spec/api.yaml");
        let dir = drift::reference_dir(root, &api.checked_against);
        let reference = match Reference::load(&dir, &api.checked_against) {
            Ok(r) => r,
            Err(e) => {
                eprintln!(
                    "skipped: no readable Nova reference in {} ({e}); `cargo xtask nova-reference` builds it",
                    dir.display()
                );
                return;
            }
        };
        let types = named_types(&root.join("spec")).expect("spec/types");
        let ctx = Context {
            schemas: &reference,
            api: Range::new(api.microversions.min, api.microversions.max.min(reference.api.until)),
            types: &types,
        };
        let mut drafted = 0;
        for op in reference.ops.iter().filter(|n| n.mount == "/v2.1") {
            let d = draft(&ctx, op, &[]).expect("a draft");
            let text = render(&d, &reference.release);
            if let Err(e) = spec::parse_yaml::<OpSpec>(Path::new("draft.yaml"), &text) {
                panic!("{}: the draft does not parse: {e}\n{text}", route_of(op));
            }
            drafted += 1;
            if route_of(op) == "POST /os-keypairs" {
                assert!(text.contains("required: { since: \"2.92\" }"), "{text}");
                assert!(
                    text.contains("- { json: user_id, type: string, since: \"2.10\" }"),
                    "{text}"
                );
            }
            // `policies` is a one-item tuple (`prefixItems`) whose values grew at 2.15; the
            // always-empty `metadata` names no field, so it matches no type.
            if route_of(op) == "POST /os-server-groups" {
                assert!(
                    text.contains("values affinity, anti-affinity; soft-affinity since 2.15"),
                    "{text}"
                );
                assert!(text.contains("\"2.15\": "), "{text}");
                assert!(text.contains("- { json: metadata, type: json,"), "{text}");
            }
        }
        assert!(drafted > 100, "only {drafted} operations drafted");
    }
}
