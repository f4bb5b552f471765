//! `cargo xtask drift [--version X]`: what differs between `spec/` and a Nova release's own
//! reference (`cargo xtask nova-reference`): the maximum microversion, the operations, and per
//! microversion each request field's presence, required-ness, nullability, type and value
//! limits, each response's field names, and the success codes. One line per difference,
//! versions grouped into ranges; `spec/drift-allow.yaml` accepts known ones with a reason.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::model::{Field, Model, Op};
use crate::spec::{BodyKind, Limits, Location, OpKind, Range, TypeKind, Version};
use crate::types::TypeExpr;

/// A Nova release's reference, as `cargo xtask nova-reference` renders it.
pub struct Reference {
    /// The release (`34.0.0`), for messages.
    pub release: String,
    pub api: Range,
    pub ops: Vec<NovaOp>,
    schemas: BTreeMap<String, Value>,
}

/// One operation as Nova's controllers declare it.
#[derive(Debug, Clone)]
pub struct NovaOp {
    pub method: String,
    pub path: String,
    pub action: Option<String>,
    /// `@wsgi.api_version` bounds, when the method is gated.
    pub range: Option<(Option<Version>, Option<Version>)>,
    pub request: Vec<SchemaAt>,
    pub query: Vec<SchemaAt>,
    pub response: Vec<SchemaAt>,
    /// The success codes, by microversion (`None`: every one); empty when Nova has none (a
    /// removed operation).
    pub success: Vec<CodeAt>,
    /// The controller's module (`flavors_extraspecs`).
    pub group: String,
    /// `live`, `capped`, `removed` (always 410) or `stub` (always 400).
    pub status: String,
    /// `/v2.1`, or `/` for the service's root.
    pub mount: String,
    /// The microversion checks Nova's controller makes in code for it.
    pub checks: Vec<Check>,
}

/// A microversion check in Nova's controller code.
#[derive(Debug, Clone)]
pub struct Check {
    pub version: Version,
    /// `file:line`.
    pub at: String,
    pub code: String,
}

/// A success code and the microversions it applies to (`None`: unbounded).
pub type CodeAt = (u16, Option<Version>, Option<Version>);

/// A schema (`module.variable`) and the microversions it applies to (`None`: unbounded).
#[derive(Debug, Clone)]
pub struct SchemaAt {
    pub schema: String,
    pub min: Option<Version>,
    pub max: Option<Version>,
}

impl SchemaAt {
    fn applies(&self, v: Version) -> bool {
        self.min.is_none_or(|m| m <= v) && self.max.is_none_or(|m| v <= m)
    }
}

fn version(v: &Value) -> Result<Option<Version>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s == "2.0" => Ok(Some(Version::new(2, 0))),
        Value::String(s) => Version::parse(s).map(Some),
        other => Err(format!("not a version: {other}")),
    }
}

fn schema_list(v: &Value) -> Result<Vec<SchemaAt>, String> {
    let Some(list) = v.as_array() else {
        return Ok(Vec::new());
    };
    list.iter()
        .map(|s| {
            Ok(SchemaAt {
                schema: s["schema"]
                    .as_str()
                    .ok_or("a schema entry without `schema`")?
                    .to_string(),
                min: version(&s["min"])?,
                max: version(&s["max"])?,
            })
        })
        .collect()
}

/// `response_codes` (codes by microversion) where Nova lists them, else `success_code`.
fn success_codes(o: &Value) -> Result<Vec<CodeAt>, String> {
    let code = |v: &Value| v.as_u64().and_then(|c| u16::try_from(c).ok());
    match o["response_codes"].as_array() {
        Some(list) => list
            .iter()
            .map(|c| {
                Ok((
                    code(&c["code"]).ok_or("a response code that is no code")?,
                    version(&c["min"])?,
                    version(&c["max"])?,
                ))
            })
            .collect(),
        None => Ok(code(&o["success_code"]).map(|c| (c, None, None)).into_iter().collect()),
    }
}

pub(crate) fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

impl Reference {
    /// Reads a rendered reference (`target/nova-reference/<release>/`).
    pub fn load(dir: &Path, release: &str) -> Result<Reference, String> {
        let versions = read_json(&dir.join("nova-src/nova/api/openstack/api_version_request.json"))?;
        let bound = |k: &str| -> Result<Version, String> {
            version(&versions[k])?.ok_or_else(|| format!("api_version_request.json has no `{k}`"))
        };
        let api = Range::new(bound("min_api_version")?, bound("max_api_version")?);
        let ops_doc = read_json(&dir.join("derived/operations.json"))?;
        let list = ops_doc
            .get("operations")
            .or(Some(&ops_doc))
            .and_then(Value::as_array)
            .ok_or("derived/operations.json holds no list of operations")?;
        let mut ops = Vec::new();
        for o in list {
            let range = match &o["api_version"] {
                Value::Null => None,
                r => Some((version(&r["min"])?, version(&r["max"])?)),
            };
            ops.push(NovaOp {
                method: o["http_method"].as_str().unwrap_or_default().to_string(),
                path: o["path"].as_str().unwrap_or_default().to_string(),
                action: o["action"].as_str().map(String::from),
                range,
                request: schema_list(&o["request_schemas"])?,
                query: schema_list(&o["query_schemas"])?,
                response: schema_list(&o["response_schemas"])?,
                success: success_codes(o)?,
                group: o["group"].as_str().unwrap_or_default().to_string(),
                status: o["status"].as_str().unwrap_or("live").to_string(),
                mount: o["mount"].as_str().unwrap_or("/v2.1").to_string(),
                checks: o["version_checks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| {
                        Some(Check {
                            version: version(&c["version"]).ok()??,
                            at: format!(
                                "{}:{}",
                                c["file"]
                                    .as_str()
                                    .unwrap_or("?")
                                    .trim_start_matches("nova/api/openstack/"),
                                c["line"]
                            ),
                            code: c["code"].as_str().unwrap_or_default().trim().to_string(),
                        })
                    })
                    .collect(),
            });
        }
        let mut schemas = BTreeMap::new();
        let schema_dir = dir.join("nova-src/nova/api/openstack/compute/schemas");
        for entry in std::fs::read_dir(&schema_dir).map_err(|e| format!("{}: {e}", schema_dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let module = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string();
                schemas.insert(module, read_json(&path)?);
            }
        }
        Ok(Reference {
            release: release.to_string(),
            api,
            ops,
            schemas,
        })
    }

    /// A schema by its `module.variable` name.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        let (module, var) = name.split_once('.')?;
        self.schemas.get(module)?.get(var)
    }

    /// The schema of `list` that applies at `v`.
    pub fn at<'a>(&'a self, list: &'a [SchemaAt], v: Version) -> Option<&'a Value> {
        list.iter().find(|s| s.applies(v)).and_then(|s| self.schema(&s.schema))
    }
}

/// `/servers/{server_id}/os-instance-actions/{id}` -> `/servers/{}/os-instance-actions/{}`.
pub(crate) fn normalize_path(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.trim_end_matches('/').chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// Nova's operation for a spec operation: by method and path, and action key for an action
/// (the path of the spec's newest microversion, where a route moved).
pub fn nova_op_of<'a>(reference: &'a Reference, op: &Op) -> Option<&'a NovaOp> {
    let path = op.path_at(op.range.until);
    reference.ops.iter().find(|n| {
        n.mount == "/v2.1"
            && n.method == op.kind.method()
            && normalize_path(&n.path) == normalize_path(path)
            && match (&op.key, op.kind) {
                (Some(key), OpKind::Action) => n.action.as_deref() == Some(key.as_str()),
                _ => n.action.is_none(),
            }
    })
}

fn nova_name(n: &NovaOp) -> String {
    let path = if n.mount == "/" {
        "/ (the service's root)".to_string()
    } else {
        n.path.clone()
    };
    match &n.action {
        Some(a) => format!("{} {path} {a}", n.method),
        None => format!("{} {path}", n.method),
    }
}

/// Why Nova's operation is out of the SDK's scope, if a rule of `drift-allow.yaml` says so.
fn out_of_scope<'a>(model: &'a Model, n: &NovaOp) -> Option<&'a str> {
    model
        .out_of_scope
        .iter()
        .find(|rule| {
            rule.status.as_ref().is_none_or(|s| *s == n.status)
                && rule.group.as_ref().is_none_or(|g| *g == n.group)
                && rule.route.as_ref().is_none_or(|r| *r == nova_name(n))
        })
        .map(|rule| rule.reason.as_str())
}

/// What `drift` found: the differences (which fail it), and the operations Nova has that
/// the spec lacks, by group (which do not).
pub struct Report {
    pub differences: Vec<String>,
    pub missing: BTreeMap<String, Vec<String>>,
    /// By group (the controller's module): the operations in scope, and the spec's for them.
    pub groups: BTreeMap<String, GroupCoverage>,
    pub out_of_scope: usize,
    /// The operations Nova answers that are in scope.
    pub in_scope: usize,
}

/// One group of Nova's API: how many of its operations are in scope, and which the spec has.
#[derive(Debug, Default, Clone)]
pub struct GroupCoverage {
    pub in_scope: usize,
    /// The spec's operations that are Nova's of this group.
    pub ops: Vec<String>,
}

impl Report {
    /// The coverage table of README.md: every group of Nova's API in scope, with how many of
    /// its operations the SDK has, and where a user finds them.
    pub fn coverage_table(&self, model: &Model) -> String {
        let mut out = String::from("| Nova's group | operations in the SDK | where |\n|---|---|---|\n");
        for (group, g) in &self.groups {
            let mut chains: Vec<String> = Vec::new();
            for op in g.ops.iter().filter_map(|name| model.op(name)) {
                let chain = format!("`{}`", crate::codegen::client_chain(model, op));
                if !chains.contains(&chain) {
                    chains.push(chain);
                }
            }
            let place = if g.ops.is_empty() {
                "not yet".to_string()
            } else {
                chains.join(", ")
            };
            out.push_str(&format!("| {group} | {} of {} | {place} |\n", g.ops.len(), g.in_scope));
        }
        let have: usize = self.groups.values().map(|g| g.ops.len()).sum();
        out.push_str(&format!("| **all** | **{have} of {}** | |\n", self.in_scope));
        out
    }

    /// README.md with its coverage section (between `<!-- coverage -->` and
    /// `<!-- /coverage -->`) replaced by [`Report::coverage_table`].
    pub fn readme_with_coverage(&self, model: &Model, readme: &str) -> Result<String, String> {
        let (start, end) = ("<!-- coverage -->\n", "<!-- /coverage -->");
        let from = readme.find(start).ok_or("README.md has no `<!-- coverage -->` line")? + start.len();
        let to = readme[from..]
            .find(end)
            .ok_or("README.md has no `<!-- /coverage -->` line")?
            + from;
        Ok(format!(
            "{}{}{}",
            &readme[..from],
            self.coverage_table(model),
            &readme[to..]
        ))
    }

    /// How many operations Nova has in scope that the spec lacks.
    pub fn missing_count(&self) -> usize {
        self.missing.values().map(Vec::len).sum()
    }
}

/// What a schema, or the spec, says about one value.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Facts {
    /// JSON types other than null; empty: anything.
    pub(crate) types: BTreeSet<String>,
    pub(crate) nullable: bool,
    /// `""` is accepted besides the typed value (`imageRef` of server create).
    pub(crate) empty_ok: bool,
    pub(crate) enumeration: Option<BTreeSet<String>>,
    pub(crate) min_length: Option<u64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) pattern: Option<String>,
    pub(crate) format: Option<String>,
    pub(crate) minimum: Option<i64>,
    pub(crate) maximum: Option<i64>,
    pub(crate) min_items: Option<u64>,
    pub(crate) max_items: Option<u64>,
    pub(crate) unique_items: bool,
    pub(crate) max_properties: Option<u64>,
    /// Objects with named properties: each property, and whether it is required.
    pub(crate) properties: Option<BTreeMap<String, (Facts, bool)>>,
    pub(crate) items: Option<Box<Facts>>,
    pub(crate) key_pattern: Option<String>,
    pub(crate) values: Option<Box<Facts>>,
}

/// Nova's printable-character class (generated with Python's `unicodedata`) is written
/// `printable` in the spec.
fn normalize_pattern(p: &str) -> String {
    if p.len() > 200 && p.starts_with("^[\\ -\\~") {
        "printable".to_string()
    } else {
        p.to_string()
    }
}

pub(crate) fn nova_facts(s: &Value) -> Facts {
    let mut f = Facts::default();
    let Some(obj) = s.as_object() else {
        return f;
    };
    match obj.get("type") {
        Some(Value::String(t)) => {
            f.types.insert(t.clone());
        }
        Some(Value::Array(ts)) => f.types.extend(ts.iter().filter_map(Value::as_str).map(String::from)),
        _ => {}
    }
    if f.types.remove("null") {
        f.nullable = true;
    }
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        let mut set = BTreeSet::new();
        for v in values {
            match v {
                Value::Null => f.nullable = true,
                Value::String(s) => {
                    set.insert(s.clone());
                }
                other => {
                    set.insert(other.to_string());
                }
            }
        }
        f.enumeration = Some(set);
    }
    let num = |k: &str| obj.get(k).and_then(Value::as_u64);
    f.min_length = num("minLength");
    f.max_length = num("maxLength");
    f.min_items = num("minItems");
    f.max_items = num("maxItems");
    f.max_properties = num("maxProperties");
    f.unique_items = obj.get("uniqueItems").and_then(Value::as_bool).unwrap_or(false);
    f.minimum = obj.get("minimum").and_then(Value::as_i64);
    f.maximum = obj.get("maximum").and_then(Value::as_i64);
    f.pattern = obj.get("pattern").and_then(Value::as_str).map(normalize_pattern);
    f.format = obj.get("format").and_then(Value::as_str).map(String::from);
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        let required: BTreeSet<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        f.properties = Some(
            props
                .iter()
                .map(|(k, v)| (k.clone(), (nova_facts(v), required.contains(k.as_str()))))
                .collect(),
        );
    }
    if let Some(items) = obj.get("items") {
        f.items = Some(Box::new(nova_facts(items)));
    }
    // A tuple of one (`prefixItems: [..]`, JSON Schema 2020-12) is a list of that item, one
    // long by its `maxItems` (server groups' `policies` before 2.64).
    if let Some([only]) = obj.get("prefixItems").and_then(Value::as_array).map(Vec::as_slice)
        && f.items.is_none()
    {
        f.items = Some(Box::new(nova_facts(only)));
    }
    if let Some(pp) = obj.get("patternProperties").and_then(Value::as_object)
        && let Some((k, v)) = pp.iter().next()
    {
        f.key_pattern = Some(k.clone());
        f.values = Some(Box::new(nova_facts(v)));
    }
    if let Some(ap) = obj.get("additionalProperties")
        && ap.is_object()
    {
        f.values = Some(Box::new(nova_facts(ap)));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = obj.get(key).and_then(Value::as_array) {
            merge_branches(&mut f, branches.iter().map(nova_facts).collect());
        }
    }
    if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
        for b in all {
            let g = nova_facts(b);
            overlay(&mut f, g);
        }
    }
    f
}

/// `allOf`: every branch's constraints hold.
fn overlay(f: &mut Facts, g: Facts) {
    if f.types.is_empty() {
        f.types = g.types;
    }
    f.nullable |= g.nullable;
    f.min_length = f.min_length.or(g.min_length);
    f.max_length = f.max_length.or(g.max_length);
    f.pattern = f.pattern.take().or(g.pattern);
    f.format = f.format.take().or(g.format);
    f.enumeration = f.enumeration.take().or(g.enumeration);
    f.minimum = f.minimum.or(g.minimum);
    f.maximum = f.maximum.or(g.maximum);
}

/// `oneOf`/`anyOf`: a value may take any branch. Branches that only add `null`, the empty
/// string, or one of `ipv4`/`ipv6` fold into flags; otherwise types and enums are united and
/// a constraint is kept where one branch alone has it.
fn merge_branches(f: &mut Facts, branches: Vec<Facts>) {
    let mut rest = Vec::new();
    for b in branches {
        if b.types.is_empty() && b.nullable && b.enumeration.is_none() {
            f.nullable = true;
        } else if b.types == BTreeSet::from(["string".to_string()]) && b.max_length == Some(0) {
            f.empty_ok = true;
        } else {
            rest.push(b);
        }
    }
    let formats: BTreeSet<&str> = rest.iter().filter_map(|b| b.format.as_deref()).collect();
    if rest.len() == 2 && formats == BTreeSet::from(["ipv4", "ipv6"]) {
        f.format = Some("ip".into());
        for b in &rest {
            f.types.extend(b.types.iter().cloned());
        }
        return;
    }
    if rest.len() == 1 {
        let b = rest.pop().expect("one branch");
        let nullable = f.nullable || b.nullable;
        let empty = f.empty_ok;
        let types = std::mem::take(&mut f.types);
        *f = Facts {
            nullable,
            empty_ok: empty,
            ..b
        };
        f.types.extend(types);
        return;
    }
    for b in rest {
        f.types.extend(b.types.iter().cloned());
        f.nullable |= b.nullable;
        if let Some(e) = b.enumeration {
            f.enumeration.get_or_insert_with(BTreeSet::new).extend(e);
        }
        if b.items.is_some() {
            f.items = b.items;
            f.max_items = f.max_items.or(b.max_items);
            f.min_items = f.min_items.or(b.min_items);
        }
        if b.properties.is_some() {
            f.properties = b.properties;
        }
        f.format = f.format.take().or(b.format);
        f.pattern = f.pattern.take().or(b.pattern);
    }
}

fn spec_facts(ty: &TypeExpr, limits: Option<&Limits>, nullable: bool, v: Version, model: &Model) -> Facts {
    let mut f = Facts {
        nullable,
        ..Facts::default()
    };
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    match ty {
        TypeExpr::Scalar("string" | "secret") => f.types = set(&["string"]),
        TypeExpr::Scalar("timestamp") => {
            f.types = set(&["string"]);
            f.format = Some("date-time".into());
        }
        TypeExpr::Scalar("integer") => f.types = set(&["integer"]),
        TypeExpr::Scalar("integerish") => f.types = set(&["integer", "string"]),
        TypeExpr::Scalar("id") => f.types = set(&["number", "string"]),
        TypeExpr::Scalar("boolean") => f.types = set(&["boolean"]),
        TypeExpr::Scalar("boolish" | "block_migration") => f.types = set(&["boolean", "string"]),
        TypeExpr::Scalar("networks") => f.types = set(&["array", "string"]),
        TypeExpr::Scalar("server_flavor") => f.types = set(&["object"]),
        TypeExpr::Scalar("number") => f.types = set(&["number"]),
        TypeExpr::Scalar(_) => {}
        TypeExpr::Named(name) => match model.ty(name) {
            Some(t) if t.kind == TypeKind::Enum => {
                f.types = set(&["string"]);
                f.enumeration = Some(
                    t.values
                        .iter()
                        .filter(|e| e.range.contains(v))
                        .flat_map(|e| std::iter::once(e.json.clone()).chain(e.aliases.iter().cloned()))
                        .collect(),
                );
            }
            Some(t) => {
                f.types = set(&["object"]);
                f.properties = Some(
                    t.fields
                        .iter()
                        .filter(|x| x.range.contains(v))
                        .map(|x| {
                            let facts = spec_facts(&x.ty, x.limits.as_ref(), x.nullable_at(v), v, model);
                            (x.json.clone(), (facts, x.required_at(v)))
                        })
                        .collect(),
                );
            }
            None => {}
        },
        TypeExpr::List(inner) => {
            f.types = set(&["array"]);
            let item_limits = limits.and_then(|l| l.items.as_deref());
            f.items = Some(Box::new(spec_facts(inner, item_limits, false, v, model)));
        }
        TypeExpr::Map(inner) => {
            f.types = set(&["object"]);
            let value_limits = limits.and_then(|l| l.values.as_deref());
            f.values = Some(Box::new(spec_facts(inner, value_limits, false, v, model)));
            f.key_pattern = limits.and_then(|l| l.keys.as_ref()).and_then(|k| k.pattern.clone());
        }
        TypeExpr::EmptyOr(inner) => {
            f = spec_facts(inner, limits, nullable, v, model);
            f.empty_ok = true;
            return f;
        }
    }
    if let Some(l) = limits {
        f.min_length = l.min_length.map(u64::from);
        f.max_length = l.max_length.map(u64::from);
        f.pattern = l.pattern.clone();
        f.format = l.format.clone().or(f.format);
        f.minimum = l.minimum;
        f.maximum = l.maximum;
        f.min_items = l.min_items.map(u64::from);
        f.max_items = l.max_items.map(u64::from);
        f.unique_items = l.unique_items;
        f.max_properties = l.max_properties.map(u64::from);
    }
    f
}

/// One difference at one version: (subject, aspect) -> (spec's value, Nova's value).
type Diffs = BTreeMap<(String, String), (String, String)>;

fn text<T: std::fmt::Debug>(v: &Option<T>) -> String {
    match v {
        Some(x) => format!("{x:?}").trim_matches('"').to_string(),
        None => "none".into(),
    }
}

fn compare(subject: &str, spec: &Facts, nova: &Facts, out: &mut Diffs) {
    let mut put = |aspect: &str, s: String, n: String| {
        if s != n {
            out.insert((subject.to_string(), aspect.to_string()), (s, n));
        }
    };
    // A schema that says nothing about the type accepts anything; so does `json` in the spec.
    if !spec.types.is_empty() && !nova.types.is_empty() {
        put("type", format!("{:?}", spec.types), format!("{:?}", nova.types));
    }
    put("nullable", spec.nullable.to_string(), nova.nullable.to_string());
    put("accepts \"\"", spec.empty_ok.to_string(), nova.empty_ok.to_string());
    // Nova spells its boolean-ish values as an enum; the spec's `boolish` is that enum.
    if !spec.types.contains("boolean") {
        put("enum", text(&spec.enumeration), text(&nova.enumeration));
    }
    put("min_length", text(&spec.min_length), text(&nova.min_length));
    put("max_length", text(&spec.max_length), text(&nova.max_length));
    put("pattern", text(&spec.pattern), text(&nova.pattern));
    put("format", text(&spec.format), text(&nova.format));
    put("minimum", text(&spec.minimum), text(&nova.minimum));
    put("maximum", text(&spec.maximum), text(&nova.maximum));
    put("min_items", text(&spec.min_items), text(&nova.min_items));
    put("max_items", text(&spec.max_items), text(&nova.max_items));
    put(
        "unique_items",
        spec.unique_items.to_string(),
        nova.unique_items.to_string(),
    );
    put("max_properties", text(&spec.max_properties), text(&nova.max_properties));
    put("key pattern", text(&spec.key_pattern), text(&nova.key_pattern));
    if let (Some(s), Some(n)) = (&spec.items, &nova.items) {
        compare(&format!("{subject}[]"), s, n, out);
    }
    if let (Some(s), Some(n)) = (&spec.values, &nova.values) {
        compare(&format!("{subject}{{}}"), s, n, out);
    }
    if let (Some(s), Some(n)) = (&spec.properties, &nova.properties) {
        compare_properties(subject, s, n, out);
    }
}

fn compare_properties(
    parent: &str,
    spec: &BTreeMap<String, (Facts, bool)>,
    nova: &BTreeMap<String, (Facts, bool)>,
    out: &mut Diffs,
) {
    let names: BTreeSet<&String> = spec.keys().chain(nova.keys()).collect();
    for name in names {
        // Top level: "request field name"; nested: "request field networks[].uuid".
        let subject = if parent.contains(' ') && !parent.contains(['.', '[', '{']) && !parent.ends_with(']') {
            format!("{parent} {name}")
        } else {
            format!("{parent}.{name}")
        };
        match (spec.get(name), nova.get(name)) {
            (Some(_), None) => {
                out.insert((subject, "presence".into()), ("present".into(), "absent".into()));
            }
            (None, Some(_)) => {
                out.insert((subject, "presence".into()), ("absent".into(), "present".into()));
            }
            (Some((s, sr)), Some((n, nr))) => {
                if sr != nr {
                    out.insert((subject.clone(), "required".into()), (sr.to_string(), nr.to_string()));
                }
                compare(&subject, s, n, out);
            }
            (None, None) => {}
        }
    }
}

/// The request body under the key (and the top-level siblings) as facts, per the spec at `v`.
fn spec_request(op: &Op, v: Version, model: &Model, location: &[Location]) -> BTreeMap<String, (Facts, bool)> {
    op.request_at(v)
        .filter(|f| location.contains(&f.location))
        .map(|f| (f.json.clone(), (field_facts(f, v, model), f.required_at(v))))
        .collect()
}

fn field_facts(f: &Field, v: Version, model: &Model) -> Facts {
    spec_facts(&f.ty, f.limits.as_ref(), f.nullable_at(v), v, model)
}

/// Per field: its facts and whether Nova requires it.
type FieldFacts = BTreeMap<String, (Facts, bool)>;

/// The body fields and the fields beside the body key.
fn nova_request(op: &Op, schema: &Value) -> (FieldFacts, FieldFacts) {
    let top = nova_facts(schema);
    let mut body = BTreeMap::new();
    let mut siblings = BTreeMap::new();
    if let Some(props) = top.properties {
        // A body without a key (`fields`) is its fields, at the top.
        if op.key.is_none() && op.body == BodyKind::Fields {
            return (props, BTreeMap::new());
        }
        for (name, (facts, required)) in props {
            if Some(&name) == op.key.as_ref() {
                if let Some(inner) = facts.properties {
                    body = inner;
                }
            } else {
                siblings.insert(name, (facts, required));
            }
        }
    }
    (body, siblings)
}

/// Nova's query parameters: every one is a list of strings to Nova (`multi_params`); one that
/// may appear once has `maxItems: 1`. Facts of the value, and whether it may repeat.
fn nova_query(schema: &Value) -> BTreeMap<String, (Facts, bool)> {
    let top = nova_facts(schema);
    top.properties
        .unwrap_or_default()
        .into_iter()
        .map(|(name, (mut facts, _required))| {
            let repeatable = facts.max_items != Some(1);
            let item = facts.items.take().map(|b| *b).unwrap_or_default();
            (name, (item, repeatable))
        })
        .collect()
}

/// The spec's query parameters at `v`: the value's facts, and whether it repeats (`list<T>`).
fn spec_query(op: &Op, v: Version, model: &Model) -> BTreeMap<String, (Facts, bool)> {
    op.request_at(v)
        .filter(|f| f.location == Location::Query)
        .map(|f| {
            let (ty, limits, repeatable) = match &f.ty {
                TypeExpr::List(inner) => (&**inner, f.limits.as_ref().and_then(|l| l.items.as_deref()), true),
                other => (other, f.limits.as_ref(), false),
            };
            let mut facts = spec_facts(ty, limits, f.nullable_at(v), v, model);
            // Query values travel as text: an integer is a digit string to Nova.
            if facts.types == BTreeSet::from(["integer".to_string()]) {
                facts.types.insert("string".into());
            }
            (f.json.clone(), (facts, repeatable))
        })
        .collect()
}

/// Query parameters: the value's facts; and a parameter the spec repeats must be repeatable
/// in Nova (a single value is fine where Nova takes several).
fn compare_query(spec: &BTreeMap<String, (Facts, bool)>, nova: &BTreeMap<String, (Facts, bool)>, out: &mut Diffs) {
    let names: BTreeSet<&String> = spec.keys().chain(nova.keys()).collect();
    for name in names {
        let subject = format!("query parameter {name}");
        match (spec.get(name), nova.get(name)) {
            (Some(_), None) => {
                out.insert((subject, "presence".into()), ("present".into(), "absent".into()));
            }
            (None, Some(_)) => {
                out.insert((subject, "presence".into()), ("absent".into(), "present".into()));
            }
            (Some((s, s_rep)), Some((n, n_rep))) => {
                if *s_rep && !*n_rep {
                    out.insert((subject.clone(), "repeatable".into()), ("true".into(), "false".into()));
                }
                compare(&subject, s, n, out);
            }
            (None, None) => {}
        }
    }
}

/// Top-level keys of a response, and the keys of the object under its wrap key (items for a
/// list), per Nova's schema.
fn nova_response_names(
    schema: &Value,
    wrap: Option<&str>,
    list: bool,
    item_wrap: Option<&str>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let names = |s: &Value| -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if let Some(p) = s.get("properties").and_then(Value::as_object) {
            out.extend(p.keys().cloned());
        }
        for key in ["oneOf", "anyOf"] {
            for b in s.get(key).and_then(Value::as_array).into_iter().flatten() {
                if let Some(p) = b.get("properties").and_then(Value::as_object) {
                    out.extend(p.keys().cloned());
                }
            }
        }
        out
    };
    let top = names(schema);
    let inner = match wrap {
        Some(w) => {
            let mut s = &schema["properties"][w];
            if list {
                s = &s["items"];
                // Each item under its own key (`{"keypair": {..}}`).
                if let Some(k) = item_wrap {
                    s = &s["properties"][k];
                }
            }
            names(s)
        }
        None => BTreeSet::new(),
    };
    (top, inner)
}

fn spec_response_names(op: &Op, v: Version) -> (BTreeSet<String>, BTreeSet<String>) {
    let Some(r) = &op.response else {
        return Default::default();
    };
    let body: BTreeSet<String> = r
        .fields
        .iter()
        .filter(|f| f.range.contains(v) && f.location == Location::Body)
        .map(|f| f.json.clone())
        .collect();
    match &r.wrap {
        Some(w) => {
            let mut top: BTreeSet<String> = [w.clone()].into();
            top.extend(r.links.clone().filter(|_| v >= r.links_since));
            (top, body)
        }
        None => (body, BTreeSet::new()),
    }
}

/// Every difference between the spec and the reference, one line each, and what the spec
/// lacks.
pub fn report(model: &Model, reference: &Reference) -> Report {
    let differences = drift(model, reference);
    let matched: BTreeSet<String> = model
        .ops
        .iter()
        .filter_map(|op| nova_op_of(reference, op))
        .map(nova_name)
        .collect();
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut groups: BTreeMap<String, GroupCoverage> = BTreeMap::new();
    let (mut excluded, mut in_scope) = (0, 0);
    for n in &reference.ops {
        if out_of_scope(model, n).is_some() {
            excluded += 1;
            continue;
        }
        in_scope += 1;
        groups.entry(n.group.clone()).or_default().in_scope += 1;
        if !matched.contains(&nova_name(n)) {
            missing.entry(n.group.clone()).or_default().push(nova_name(n));
        }
    }
    for op in &model.ops {
        if let Some(n) = nova_op_of(reference, op).filter(|n| out_of_scope(model, n).is_none())
            && let Some(g) = groups.get_mut(&n.group)
        {
            g.ops.push(op.name.clone());
        }
    }
    Report {
        differences,
        missing,
        groups,
        out_of_scope: excluded,
        in_scope,
    }
}

/// Every difference between the spec and the reference, one line each: in the operations
/// the spec has (what Nova has and the spec lacks is [`Report::missing`]).
pub fn drift(model: &Model, reference: &Reference) -> Vec<String> {
    let release = &reference.release;
    let mut lines = Vec::new();
    if model.api.until != reference.api.until {
        let beyond = if model.api.until > reference.api.until {
            format!(
                ": the spec covers {}..{} beyond it",
                reference.api.until.next(),
                model.api.until
            )
        } else {
            format!(
                ": Nova has {}..{} beyond the spec",
                model.api.until.next(),
                reference.api.until
            )
        };
        lines.push(format!(
            "api: maximum microversion: spec {}, Nova {release} {}{beyond}",
            model.api.until, reference.api.until
        ));
    }
    if model.api.since != reference.api.since {
        lines.push(format!(
            "api: minimum microversion: spec {}, Nova {release} {}",
            model.api.since, reference.api.since
        ));
    }
    let mut matched = BTreeSet::new();
    for op in &model.ops {
        let Some(nova) = nova_op_of(reference, op) else {
            lines.push(format!("{}: in the spec, not in Nova {release}", op.name));
            continue;
        };
        matched.insert(nova_name(nova));
        lines.extend(drift_op(model, reference, op, nova));
        lines.extend(controller_checks(op, nova, release));
        lines.extend(beyond(op, reference));
    }
    lines
}

/// The microversion checks Nova's controller makes in code for `op` that the spec names
/// nowhere (not as a change of the request or response, in `history`, or in
/// `controller_checks`), and those the spec names that Nova does not make.
fn controller_checks(op: &Op, nova: &NovaOp, release: &str) -> Vec<String> {
    let accounted = |v: Version| {
        !op.range.contains(v)
            || v == op.range.since
            || op.breakpoints.contains(&v)
            || op.history.contains_key(&v)
            || op.controller_checks.contains_key(&v)
    };
    let mut lines = Vec::new();
    let mut named = BTreeSet::new();
    for c in &nova.checks {
        named.insert(c.version);
        if !accounted(c.version) {
            lines.push(format!(
                "{}: controller check at {} ({}: {}): not in controller_checks, history or a change of the spec's",
                op.name, c.version, c.at, c.code
            ));
        }
    }
    for v in op.controller_checks.keys().filter(|v| !named.contains(v)) {
        lines.push(format!(
            "{}: controller_checks {v}: Nova {release}'s controller checks nothing at {v}",
            op.name
        ));
    }
    lines.dedup();
    lines
}

fn drift_op(model: &Model, reference: &Reference, op: &Op, nova: &NovaOp) -> Vec<String> {
    let release = &reference.release;
    let mut lines = Vec::new();
    let nova_range = match nova.range {
        None => reference.api,
        Some((lo, hi)) => Range::new(
            lo.unwrap_or(reference.api.since).max(reference.api.since),
            hi.unwrap_or(reference.api.until),
        ),
    };
    // Compared where both know the API: an operation that runs to the spec's newest version
    // and to the release's newest agrees, whatever those are.
    let clipped = |r: Range, max: Version| {
        if r.until == max {
            Range::new(r.since, Version::new(2, u16::MAX))
        } else {
            r
        }
    };
    if clipped(op.range, model.api.until) != clipped(nova_range, reference.api.until) {
        lines.push(format!(
            "{}: microversions: spec {}..{}, Nova {release} {}..{}",
            op.name, op.range.since, op.range.until, nova_range.since, nova_range.until
        ));
    }
    if op.never_succeeds.is_none() && !nova.success.is_empty() {
        // Per version: the spec's codes and Nova's, compared as sets.
        let mut per: BTreeMap<Version, Diffs> = BTreeMap::new();
        let mut v = op.range.since;
        while v <= op.range.until {
            let spec: BTreeSet<u16> = op
                .statuses
                .iter()
                .filter(|s| s.range.contains(v))
                .map(|s| s.code)
                .collect();
            let theirs: BTreeSet<u16> = nova
                .success
                .iter()
                .filter(|(_, lo, hi)| lo.is_none_or(|m| m <= v) && hi.is_none_or(|m| v <= m))
                .map(|(c, _, _)| *c)
                .collect();
            let mut diffs = Diffs::new();
            if !theirs.is_empty() && spec != theirs {
                diffs.insert(
                    ("success code".into(), "code".into()),
                    (format!("{spec:?}"), format!("{theirs:?}")),
                );
            }
            per.insert(v, diffs);
            v = v.next();
        }
        lines.extend(group(&op.name, release, &per));
    }
    // Per version: every difference, then grouped into ranges.
    let mut per_version: BTreeMap<Version, Diffs> = BTreeMap::new();
    let both = match op.range.intersect(nova_range) {
        Some(r) => r,
        None => return lines,
    };
    let mut v = both.since;
    while v <= both.until {
        let mut diffs = Diffs::new();
        if op.never_succeeds.is_none() {
            // Request body.
            if let Some(schema) = reference.at(&nova.request, v) {
                let (body, top) = nova_request(op, schema);
                let value_less = matches!(op.body, BodyKind::Null | BodyKind::ExactlyNull | BodyKind::None);
                if !value_less {
                    compare_properties(
                        "request field",
                        &spec_request(op, v, model, &[Location::Body]),
                        &body,
                        &mut diffs,
                    );
                }
                compare_properties(
                    "request top-level field",
                    &spec_request(op, v, model, &[Location::Top]),
                    &top,
                    &mut diffs,
                );
            }
            if let Some(schema) = reference.at(&nova.query, v) {
                compare_query(&spec_query(op, v, model), &nova_query(schema), &mut diffs);
            }
            if let Some(schema) = reference.at(&nova.response, v) {
                let r = op.response.as_ref();
                let (nt, ni) = nova_response_names(
                    schema,
                    r.and_then(|r| r.wrap.as_deref()),
                    r.is_some_and(|r| r.list),
                    r.and_then(|r| r.item_wrap.as_deref()),
                );
                let (st, si) = spec_response_names(op, v);
                names_diff("response key", &st, &nt, &mut diffs);
                names_diff("response field", &si, &ni, &mut diffs);
            }
        }
        per_version.insert(v, diffs);
        v = v.next();
    }
    lines.extend(group(&op.name, release, &per_version));
    lines
}

/// The microversions the spec has beyond the release's newest, where this operation changes:
/// one line each, with the spec's own words from `history` when it has them.
fn beyond(op: &Op, reference: &Reference) -> Vec<String> {
    let max = reference.api.until;
    let mut versions: BTreeSet<Version> = op.breakpoints.iter().copied().filter(|v| *v > max).collect();
    versions.extend(op.history.keys().copied().filter(|v| *v > max && op.range.contains(*v)));
    if op.range.since > max {
        versions.insert(op.range.since);
    }
    versions
        .into_iter()
        .map(|v| {
            let what = op
                .history
                .get(&v)
                .map(String::as_str)
                .unwrap_or("the request or response changes");
            format!("{}: {v}: {what} (beyond Nova {}'s {max})", op.name, reference.release)
        })
        .collect()
}

fn names_diff(what: &str, spec: &BTreeSet<String>, nova: &BTreeSet<String>, out: &mut Diffs) {
    for n in spec.difference(nova) {
        out.insert(
            (format!("{what} {n}"), "presence".into()),
            ("present".into(), "absent".into()),
        );
    }
    for n in nova.difference(spec) {
        out.insert(
            (format!("{what} {n}"), "presence".into()),
            ("absent".into(), "present".into()),
        );
    }
}

/// Folds per-version differences into one line per (subject, aspect, values) and range.
fn group(op: &str, release: &str, per_version: &BTreeMap<Version, Diffs>) -> Vec<String> {
    // (subject, aspect, spec value, Nova value) -> the version ranges where it holds.
    type Run = (String, String, String, String);
    let mut runs: BTreeMap<Run, Vec<(Version, Version)>> = BTreeMap::new();
    for (v, diffs) in per_version {
        for ((subject, aspect), (s, n)) in diffs {
            let key = (subject.clone(), aspect.clone(), s.clone(), n.clone());
            let ranges = runs.entry(key).or_default();
            match ranges.last_mut() {
                Some((_, end)) if end.next() == *v => *end = *v,
                _ => ranges.push((*v, *v)),
            }
        }
    }
    let mut lines = Vec::new();
    for ((subject, aspect, s, n), ranges) in runs {
        let mut at = String::new();
        for (i, (a, b)) in ranges.iter().enumerate() {
            if i > 0 {
                at.push_str(", ");
            }
            if a == b {
                let _ = write!(at, "{a}");
            } else {
                let _ = write!(at, "{a}..{b}");
            }
        }
        lines.push(format!(
            "{op}: {subject}: {aspect}: spec {s}, Nova {release} {n}, at {at}"
        ));
    }
    lines
}

/// The differences not accepted by `spec/drift-allow.yaml`, and the allow entries that
/// matched nothing (stale entries are differences too: the spec or Nova changed).
pub fn filter_allowed(model: &Model, lines: Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut used = vec![false; model.drift_allow.len()];
    let mut left = Vec::new();
    for line in lines {
        match model.drift_allow.iter().position(|a| line.starts_with(&a.line)) {
            Some(i) => used[i] = true,
            None => left.push(line),
        }
    }
    let stale = model
        .drift_allow
        .iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(a, _)| format!("drift-allow.yaml: `{}` matches no difference", a.line))
        .collect();
    (left, stale)
}

/// `cargo xtask drift`: prints each difference not allowed; `Err` when there is any.
pub fn run(model: &Model, dir: &Path, release: &str, use_allowlist: bool) -> Result<(), String> {
    let reference = Reference::load(dir, release)?;
    let report = report(model, &reference);
    print_missing(&report, release);
    let lines = report.differences;
    let (left, mut stale) = if use_allowlist {
        filter_allowed(model, lines)
    } else {
        (lines, Vec::new())
    };
    // An allow entry that matches nothing is stale only against the release the spec was
    // checked against; an older release simply lacks some differences.
    if release != model.checked_against {
        stale.clear();
    }
    for line in left.iter().chain(&stale) {
        println!("{line}");
    }
    if left.is_empty() && stale.is_empty() {
        eprintln!("drift: spec/ matches Nova {release} ({})", dir.display());
        Ok(())
    } else {
        Err(format!(
            "drift: {} difference(s) from Nova {release}",
            left.len() + stale.len()
        ))
    }
}

/// What Nova has that the spec lacks, by group (informative: it does not fail drift).
fn print_missing(report: &Report, release: &str) {
    println!(
        "missing: {} of the {} operations Nova {release} answers are not in the spec ({} more are out of scope: spec/drift-allow.yaml says why)",
        report.missing_count(),
        report.in_scope,
        report.out_of_scope
    );
    for (group, ops) in &report.missing {
        println!("  {group} ({}): {}", ops.len(), ops.join(", "));
    }
}

/// Where `cargo xtask nova-reference` puts a release's reference.
pub fn reference_dir(root: &Path, release: &str) -> PathBuf {
    root.join("target/nova-reference").join(release)
}
