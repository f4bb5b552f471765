//! The resolved model of `spec/`: every range clipped and defaulted, every response view
//! merged with its named type, the per-version breakpoints and the unified shapes computed.
//! The generator, the validator, `drift` and the tests work on this, never on the raw files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::spec::{
    self, BodyKind, Direction, DriftAllowEntry, EndWord, EndsIn, FieldSpec, Flag, InstanceActionSpec, Limits, Location,
    OpKind, PagingSpec, Policy, Range, ResourceKind, SampleSpec, Show, Spec, SpecError, TypeKind, UpstreamMap, Version,
};
use crate::types::{TypeExpr, rust_field_name};

/// Everything under `spec/`, resolved.
pub struct Model {
    pub root: PathBuf,
    /// The microversions the SDK types (`spec/api.yaml`).
    pub api: Range,
    pub checked_against: String,
    /// Where the `OpenStack-API-Version` header starts (`spec/api.yaml`).
    pub api_version_header_since: Version,
    pub resources: Vec<Resource>,
    pub ops: Vec<Op>,
    pub types: Vec<Type>,
    pub upstream: UpstreamMap,
    pub upstream_file: PathBuf,
    pub drift_allow: Vec<DriftAllowEntry>,
    pub out_of_scope: Vec<spec::OutOfScope>,
}

/// A resource: where its operations are offered.
pub struct Resource {
    pub file: PathBuf,
    pub name: String,
    pub doc: String,
    /// The collection's path template.
    pub collection: String,
    /// The parameter naming one item, when the collection has items of its own.
    pub id: Option<String>,
    pub parent: Option<String>,
    /// The parent item's field that holds this map or set.
    pub parent_field: Option<String>,
    /// Nova's 404 and 409 messages, as templates.
    pub not_found: Option<String>,
    pub exists: Option<String>,
    /// `compute.servers()`: method and type.
    pub collection_handle: Handle,
    /// `compute.server(id)`.
    pub item_handle: Option<Handle>,
    pub kind: ResourceKind,
    pub find_by_name: Option<FindByName>,
    pub id_field: String,
    /// Field -> JSON text (or template).
    pub defaults: Vec<(String, String)>,
}

/// A handle: the method that returns it, and its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    pub method: String,
    pub ty: String,
}

/// A lookup by name (`spec::FindByNameSpec`), its list resolved.
pub struct FindByName {
    pub operation: String,
    pub field: String,
    pub filter: Option<String>,
    pub regex: bool,
}

impl Resource {
    /// The item's path template (`/servers/{server_id}`).
    pub fn item_path(&self) -> Option<String> {
        self.id.as_ref().map(|id| format!("{}/{{{id}}}", self.collection))
    }
}

/// A success code over a stretch of microversions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAt {
    pub range: Range,
    pub code: u16,
    pub outcome: Option<String>,
}

/// Where a value comes from (`spec::SourceSpec`, a literal as JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Request(String),
    Param(String),
    Json(String),
}

impl Source {
    fn of(s: &spec::SourceSpec) -> Source {
        match s {
            spec::SourceSpec::Request { request } => Source::Request(request.clone()),
            spec::SourceSpec::Param { param } => Source::Param(param.clone()),
            spec::SourceSpec::Literal(v) => Source::Json(v.to_string()),
        }
    }
}

/// What an operation does to another resource's items: `(resource, adds, item)`.
pub type StoreEffect = (String, bool, Vec<(String, Source)>);

/// How a list pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    Marker { since: Version },
    Offset,
}

/// One operation.
pub struct Op {
    pub file: PathBuf,
    pub name: String,
    pub kind: OpKind,
    pub key: Option<String>,
    /// The path templates, by microversion (one for nearly every operation).
    pub paths: Vec<(Range, String)>,
    pub range: Range,
    /// The success codes, by microversion (and outcome).
    pub statuses: Vec<StatusAt>,
    pub errors: Vec<u16>,
    pub summary: String,
    pub doc: Option<String>,
    pub never_succeeds: Option<String>,
    pub conflict_name: Option<String>,
    pub policy: Policy,
    pub policy_note: Option<String>,
    pub lock_checked: Option<u16>,
    /// The resource the operation belongs to (the deepest whose path prefixes its own).
    pub resource: String,
    /// Whether its path is at or under one item of the resource (`/servers/{server_id}..`),
    /// rather than at or beside the collection (`/servers`, `/servers/detail`).
    pub on_item: bool,
    /// The client methods that offer it.
    pub clients: Vec<Client>,
    pub server_status: Option<ServerStatus>,
    pub instance_action: Option<InstanceActionSpec>,
    /// The item the call names and whether it is there or gone at its end (`item_ends`).
    pub item_ends: Option<(bool, Source)>,
    pub server_facts_when: Option<spec::FactsWhenSpec>,
    pub history: BTreeMap<Version, String>,
    pub controller_checks: BTreeMap<Version, String>,
    pub sets: Vec<(String, Source)>,
    pub noop_when: Vec<(String, String)>,
    pub references: Vec<spec::ReferenceSpec>,
    pub store: Option<StoreEffect>,
    pub body: BodyKind,
    pub request: Vec<Field>,
    pub response: Option<Response>,
    pub samples: Vec<SampleSpec>,
    /// A yes-or-no answer (`response: {exists: true}`, and no body).
    pub exists: bool,
    /// The versions at which the request or the response changes shape (the first is the
    /// operation's first version): one per-version type starts at each.
    pub breakpoints: Vec<Version>,
    /// The versions at which the response changes shape: one per-version response type
    /// starts at each.
    pub response_breakpoints: Vec<Version>,
}

/// One client method that offers an operation.
pub struct Client {
    pub method: String,
    /// Positional arguments: Rust names of request fields.
    pub args: Vec<String>,
    /// The microversions the method offers it over (the operation's, or part of them).
    pub range: Range,
    pub doc: Option<String>,
}

/// Server statuses and task states, by their names in `types/ServerStatus.yaml` and
/// `types/TaskState.yaml`.
pub struct ServerStatus {
    pub from: Vec<String>,
    pub during: Vec<String>,
    pub ends_in: Ends,
    pub auto_confirmed: Vec<String>,
    pub deferred: Vec<String>,
    pub task_states: Vec<String>,
    pub while_busy: WhileBusy,
    /// `server_status.by_request`: the field's JSON name, and each value's facts in full.
    pub by_request: Option<(String, Vec<Case>)>,
    pub note: Option<String>,
}

/// The facts for one value of a request field, the `server_status`'s own where the spec
/// gives none.
pub struct Case {
    pub value: String,
    pub ends_in: Option<Ends>,
    pub from: Vec<String>,
    pub during: Vec<String>,
    pub task_states: Vec<String>,
    pub while_busy: WhileBusy,
}

/// What Nova answers while a task is in flight (`server_status.while_busy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhileBusy {
    Refused,
    Accepted,
    RefusedIn(Vec<String>, u16),
    AcceptedIn(Vec<String>),
}

impl WhileBusy {
    fn of(spec: Option<&spec::WhileBusySpec>) -> WhileBusy {
        match spec {
            None => WhileBusy::Refused,
            Some(spec::WhileBusySpec::Word(spec::BusyWord::Accepted)) => WhileBusy::Accepted,
            Some(spec::WhileBusySpec::RefusedIn { refused_in, status }) => {
                WhileBusy::RefusedIn(refused_in.clone(), *status)
            }
            Some(spec::WhileBusySpec::AcceptedIn { accepted_in }) => WhileBusy::AcceptedIn(accepted_in.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ends {
    Statuses(Vec<String>),
    Unchanged,
    Deleted,
}

/// A response body: inline fields, or a view of a named object type.
pub struct Response {
    pub wrap: Option<String>,
    pub list: bool,
    pub item_wrap: Option<String>,
    pub links: Option<String>,
    /// The first microversion that sends the links.
    pub links_since: Version,
    pub paging: Option<Paging>,
    /// The named type the body is a view of.
    pub of: Option<String>,
    /// The view's fields (the type's, with this operation's overrides applied and omissions
    /// removed), clipped to the operation's range.
    pub fields: Vec<Field>,
}

/// One field, resolved: ranges clipped to where it lives.
#[derive(Debug, Clone)]
pub struct Field {
    pub json: String,
    pub rust: String,
    pub ty: TypeExpr,
    pub range: Range,
    pub required: Option<Range>,
    pub nullable: Option<Range>,
    pub location: Location,
    pub limits: Option<Limits>,
    pub admin: bool,
    pub default_empty: bool,
    pub doc: Option<String>,
}

/// How a field looks in one version, or across several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// Always present, never null: `T`.
    Plain,
    /// Present or not, never null; or always present, maybe null: `Option<T>`.
    Option,
    /// Absent, null or a value, each meaning something: `Nullable<T>`.
    Nullable,
    /// A list that reads as empty when absent: `Vec<T>`.
    List,
}

impl Field {
    pub fn required_at(&self, v: Version) -> bool {
        self.required.is_some_and(|r| r.contains(v))
    }

    pub fn nullable_at(&self, v: Version) -> bool {
        self.nullable.is_some_and(|r| r.contains(v))
    }

    /// The field's shape at `v`, or `None` when it does not exist there.
    pub fn shape_at(&self, v: Version) -> Option<Shape> {
        if !self.range.contains(v) {
            return None;
        }
        Some(match (self.required_at(v), self.nullable_at(v)) {
            (true, false) => Shape::Plain,
            (false, true) => Shape::Nullable,
            _ => Shape::Option,
        })
    }

    /// Every version at which something about the field changes.
    pub fn boundaries(&self) -> Vec<Version> {
        let mut out = vec![self.range.since, self.range.until.next()];
        for r in [self.required, self.nullable].into_iter().flatten() {
            out.push(r.since);
            out.push(r.until.next());
        }
        out
    }
}

/// A named type.
pub struct Type {
    pub file: PathBuf,
    pub name: String,
    pub kind: TypeKind,
    pub doc: String,
    pub fields: Vec<Field>,
    pub values: Vec<EnumValue>,
    pub open: bool,
    /// Objects: the shape of each field (by Rust name) in the unified Rust type, across
    /// every view of it.
    pub unified: BTreeMap<String, Shape>,
    /// Objects: whether a request body uses it (then it gets value checks).
    pub in_request: bool,
    /// Objects: whether a response body uses it.
    pub in_response: bool,
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    pub json: String,
    pub rust: String,
    pub aliases: Vec<String>,
    pub range: Range,
    pub doc: Option<String>,
}

impl Model {
    /// Loads and resolves `spec/` under `root` (the workspace root).
    pub fn load(root: &Path) -> Result<Model, Vec<SpecError>> {
        let spec = Spec::load(&root.join("spec"))?;
        resolve(spec)
    }

    pub fn op(&self, name: &str) -> Option<&Op> {
        self.ops.iter().find(|o| o.name == name)
    }

    pub fn ty(&self, name: &str) -> Option<&Type> {
        self.types.iter().find(|t| t.name == name)
    }
}

impl Op {
    /// Request fields that exist at `v`.
    pub fn request_at(&self, v: Version) -> impl Iterator<Item = &Field> {
        self.request.iter().filter(move |f| f.range.contains(v))
    }

    /// The per-version ranges: one per breakpoint.
    pub fn version_ranges(&self) -> Vec<Range> {
        self.breakpoints
            .iter()
            .enumerate()
            .map(|(i, &since)| {
                let until = self
                    .breakpoints
                    .get(i + 1)
                    .map(|n| n.prev())
                    .unwrap_or(self.range.until);
                Range::new(since, until)
            })
            .collect()
    }

    /// The path template in effect at `v` (the first outside every stretch).
    pub fn path_at(&self, v: Version) -> &str {
        self.paths
            .iter()
            .find(|(r, _)| r.contains(v))
            .map_or(self.paths[0].1.as_str(), |(_, p)| p.as_str())
    }

    /// The success code at `v`: the first in effect there.
    pub fn status_at(&self, v: Version) -> Option<u16> {
        self.statuses.iter().find(|s| s.range.contains(v)).map(|s| s.code)
    }

    /// Whether the answer is yes or no (a 404 is no).
    pub fn exists(&self) -> bool {
        self.response.is_none() && self.exists
    }
}

fn resolve(spec: Spec) -> Result<Model, Vec<SpecError>> {
    let mut errors = Vec::new();
    let api_spec = &spec.api.1;
    let api = Range::new(api_spec.microversions.min, api_spec.microversions.max);
    if api.since > api.until {
        errors.push(SpecError::new(&spec.api.0, "`min` is above `max`"));
    }
    let header_since = api_spec.api_version_header_since;
    if header_since.major != api.since.major || header_since < api.since || header_since > api.until {
        errors.push(SpecError::new(
            &spec.api.0,
            "`api_version_header_since` is outside `microversions`",
        ));
    }
    let type_kinds: BTreeMap<String, TypeKind> = spec.types.iter().map(|(_, t)| (t.name.clone(), t.kind)).collect();

    // Named types first: their fields are what views override.
    let mut types = Vec::new();
    for (file, t) in &spec.types {
        let mut err = |m: String| errors.push(SpecError::new(file, m));
        let mut fields = Vec::new();
        for f in &t.fields {
            match field(f, api, &type_kinds) {
                Ok(f) => fields.push(f),
                Err(m) => err(format!("field `{}`: {m}", f.json)),
            }
        }
        let mut values = Vec::new();
        for v in &t.values {
            match Range::of(v.since, v.until, api) {
                Ok(range) => values.push(EnumValue {
                    json: v.json.clone(),
                    rust: v.rust.clone(),
                    aliases: v.aliases.clone(),
                    range,
                    doc: v.doc.clone(),
                }),
                Err(m) => err(format!("value `{}`: {m}", v.json)),
            }
        }
        types.push(Type {
            file: file.clone(),
            name: t.name.clone(),
            kind: t.kind,
            doc: t.doc.clone(),
            fields,
            values,
            open: t.open,
            unified: BTreeMap::new(),
            in_request: false,
            in_response: false,
        });
    }

    let resources: Vec<Resource> = spec.resources.iter().map(|(file, r)| resource(file, r)).collect();
    let mut ops = Vec::new();
    for (file, o) in &spec.ops {
        match op(file, o, api, &type_kinds, &types, &resources) {
            Ok(op) => ops.push(op),
            Err(mut e) => errors.append(&mut e),
        }
    }

    unify(&mut types, &ops);
    mark_directions(&mut types, &ops);

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Model {
        root: spec.root.parent().map(Path::to_path_buf).unwrap_or_default(),
        api,
        checked_against: api_spec.checked_against.clone(),
        api_version_header_since: api_spec.api_version_header_since,
        resources,
        ops,
        types,
        upstream: spec.upstream.1,
        upstream_file: spec.upstream.0,
        drift_allow: spec.drift_allow.1.allow,
        out_of_scope: spec.drift_allow.1.out_of_scope,
    })
}

/// Resolves one field written in a type or an operation, inside `within`.
fn field(f: &FieldSpec, within: Range, kinds: &BTreeMap<String, TypeKind>) -> Result<Field, String> {
    let ty_text = f.ty.as_deref().ok_or("a field needs a `type`")?;
    let ty = TypeExpr::parse(ty_text)?;
    for name in ty.named() {
        if !kinds.contains_key(name) {
            return Err(format!("unknown type `{name}`"));
        }
    }
    let range = Range::of(f.since, f.until, within)?;
    flag_inside(f.required, range, "required")?;
    flag_inside(f.nullable, range, "nullable")?;
    if f.default_empty && !matches!(ty, TypeExpr::List(_)) {
        return Err("`default_empty` is for lists".into());
    }
    Ok(Field {
        json: f.json.clone(),
        rust: rust_field_name(f),
        ty,
        range,
        required: f.required.range(range),
        nullable: f.nullable.range(range),
        location: f.location,
        limits: f.limits.clone(),
        admin: f.admin,
        default_empty: f.default_empty,
        doc: f.doc.clone(),
    })
}

fn flag_inside(flag: Flag, range: Range, what: &str) -> Result<(), String> {
    if let Flag::Range(r) = flag {
        let fr = Range::new(r.since.unwrap_or(range.since), r.until.unwrap_or(range.until));
        if fr.since > fr.until || !range.covers(fr) {
            return Err(format!("`{what}` range reaches outside the field's {}", Show(range)));
        }
    }
    Ok(())
}

fn ends(e: &EndsIn) -> Ends {
    match e {
        EndsIn::Statuses(v) => Ends::Statuses(v.clone()),
        EndsIn::Word(EndWord::Unchanged) => Ends::Unchanged,
        EndsIn::Word(EndWord::Deleted) => Ends::Deleted,
    }
}

fn resource(file: &Path, r: &spec::ResourceSpec) -> Resource {
    let handle = |h: &spec::HandleSpec| Handle {
        method: h.method.clone(),
        ty: h.ty.clone(),
    };
    Resource {
        file: file.to_path_buf(),
        name: r.name.clone(),
        doc: r.doc.clone(),
        collection: r.collection.clone(),
        id: r.id.clone(),
        parent: r.parent.clone(),
        parent_field: r.parent_field.clone(),
        not_found: r.not_found.clone(),
        exists: r.exists.clone(),
        collection_handle: handle(&r.handles.collection),
        item_handle: r.handles.item.as_ref().map(handle),
        kind: r.kind,
        id_field: r.id_field.clone().unwrap_or_else(|| "id".into()),
        defaults: r
            .defaults
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(t) if t.starts_with('{') && t.ends_with('}') => t.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect(),
        find_by_name: r.find_by_name.as_ref().map(|f| FindByName {
            operation: f.operation.clone(),
            field: f.field.clone(),
            filter: f.filter.clone(),
            regex: f.regex,
        }),
    }
}

/// The segments of a path template.
pub fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Whether `prefix` starts `path`, segment by segment (a parameter matches a parameter,
/// whatever its name).
fn starts(path: &[&str], prefix: &[&str]) -> bool {
    let param = |s: &str| s.starts_with('{');
    prefix.len() <= path.len()
        && prefix
            .iter()
            .zip(path)
            .all(|(a, b)| if param(a) { param(b) } else { a == b })
}

/// The resource an operation's path belongs to: the deepest whose item or collection path
/// starts it; and whether it is on an item.
pub fn bind<'a>(resources: &'a [Resource], path: &str) -> Option<(&'a Resource, bool)> {
    let path = segments(path);
    let mut best: Option<(&Resource, bool, usize)> = None;
    for r in resources {
        let item = r.item_path();
        let candidates = [(Some(r.collection.as_str()), false), (item.as_deref(), true)];
        for (prefix, on_item) in candidates {
            let Some(prefix) = prefix.map(segments) else { continue };
            if starts(&path, &prefix) && best.is_none_or(|(_, _, n)| prefix.len() > n) {
                best = Some((r, on_item, prefix.len()));
            }
        }
    }
    best.map(|(r, on_item, _)| (r, on_item))
}

fn op(
    file: &Path,
    o: &spec::OpSpec,
    api: Range,
    kinds: &BTreeMap<String, TypeKind>,
    types: &[Type],
    resources: &[Resource],
) -> Result<Op, Vec<SpecError>> {
    let mut errors = Vec::new();
    let mut err = |m: String| errors.push(SpecError::new(file, m));
    let range = Range::of(Some(o.since), o.until, api).unwrap_or_else(|m| {
        err(format!("operation range: {m}"));
        api
    });
    let paths: Vec<(Range, String)> = match &o.path {
        spec::PathSpec::One(p) => vec![(range, p.clone())],
        spec::PathSpec::ByVersion(list) => list
            .iter()
            .filter_map(|p| match Range::of(p.since, p.until, range) {
                Ok(r) => Some((r, p.path.clone())),
                Err(m) => {
                    err(format!("path `{}`: {m}", p.path));
                    None
                }
            })
            .collect(),
    };
    let statuses: Vec<StatusAt> = match &o.status {
        spec::StatusSpec::One(code) => vec![StatusAt {
            range,
            code: *code,
            outcome: None,
        }],
        spec::StatusSpec::ByVersion(list) => list
            .iter()
            .filter_map(|s| match Range::of(s.since, s.until, range) {
                Ok(r) => Some(StatusAt {
                    range: r,
                    code: s.code,
                    outcome: s.outcome.clone(),
                }),
                Err(m) => {
                    err(format!("status {}: {m}", s.code));
                    None
                }
            })
            .collect(),
    };
    let body = o.request.as_ref().map(|r| r.body).unwrap_or(BodyKind::None);
    let mut request = Vec::new();
    for f in o.request.iter().flat_map(|r| &r.fields) {
        match field(f, range, kinds) {
            Ok(f) => request.push(f),
            Err(m) => err(format!("request field `{}`: {m}", f.json)),
        }
    }
    let response = match &o.response {
        Some(r) if !(r.exists && r.of.is_none() && r.fields.is_empty() && r.wrap.is_none()) => {
            match response(r, range, kinds, types) {
                Ok(r) => Some(r),
                Err(ms) => {
                    for m in ms {
                        err(format!("response: {m}"));
                    }
                    None
                }
            }
        }
        _ => None,
    };
    let exists = o.response.as_ref().is_some_and(|r| r.exists);
    let server_status = o.server_status.as_ref().map(|s| ServerStatus {
        from: s.from.clone(),
        during: s.during.clone(),
        ends_in: ends(&s.ends_in),
        auto_confirmed: s.auto_confirmed.clone(),
        deferred: s.deferred.clone(),
        task_states: s.task_states.clone(),
        while_busy: WhileBusy::of(s.while_busy.as_ref()),
        by_request: s.by_request.as_ref().map(|by| {
            let cases = by.cases.iter().map(|c| Case {
                value: c.value.clone(),
                ends_in: c.ends_in.as_ref().map(ends),
                from: c.from.clone().unwrap_or_else(|| s.from.clone()),
                during: c.during.clone().unwrap_or_else(|| s.during.clone()),
                task_states: c.task_states.clone().unwrap_or_else(|| s.task_states.clone()),
                while_busy: WhileBusy::of(c.while_busy.as_ref().or(s.while_busy.as_ref())),
            });
            (by.field.clone(), cases.collect())
        }),
        note: s.note.clone(),
    });
    let (resource, on_item) = match paths.first().and_then(|(_, p)| bind(resources, p)) {
        Some((r, on_item)) => (r.name.clone(), on_item),
        None => {
            err(format!(
                "no resource of spec/resources has a path that starts `{}`",
                paths.first().map_or("", |(_, p)| p.as_str())
            ));
            (String::new(), false)
        }
    };
    let client_specs: Vec<spec::ClientSpec> = match &o.client {
        None => vec![spec::ClientSpec {
            method: None,
            args: None,
            since: None,
            until: None,
            doc: None,
        }],
        Some(spec::ClientSpecs::One(c)) => vec![c.clone()],
        Some(spec::ClientSpecs::Several(list)) => list.clone(),
    };
    let mut clients = Vec::new();
    for c in &client_specs {
        let args = match &c.args {
            Some(names) => {
                let mut out = Vec::new();
                for name in names {
                    match request.iter().find(|f| &f.json == name) {
                        Some(f) => out.push(f.rust.clone()),
                        None => err(format!("client argument `{name}` is not a request field")),
                    }
                }
                out
            }
            None => {
                let mut out: Vec<String> = Vec::new();
                for f in &request {
                    if f.location != Location::Query
                        && f.required == Some(range)
                        && f.range == range
                        && !out.contains(&f.rust)
                    {
                        out.push(f.rust.clone());
                    }
                }
                out
            }
        };
        let within = Range::of(c.since, c.until, range).unwrap_or_else(|m| {
            err(format!("client method: {m}"));
            range
        });
        clients.push(Client {
            method: c.method.clone().unwrap_or_else(|| o.name.clone()),
            args,
            range: within,
            doc: c.doc.clone(),
        });
    }
    let mut points: BTreeSet<Version> = BTreeSet::new();
    points.insert(range.since);
    for f in &request {
        points.extend(f.boundaries());
    }
    let mut response_points: BTreeSet<Version> = BTreeSet::new();
    response_points.insert(range.since);
    for f in response.iter().flat_map(|r| &r.fields) {
        response_points.extend(f.boundaries());
    }
    points.extend(response_points.iter().copied());
    let breakpoints = points.into_iter().filter(|v| range.contains(*v)).collect();
    let response_breakpoints = response_points.into_iter().filter(|v| range.contains(*v)).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Op {
        file: file.to_path_buf(),
        name: o.name.clone(),
        kind: o.kind,
        key: o.key.clone(),
        paths,
        range,
        statuses,
        errors: o.errors.clone(),
        summary: o.summary.clone(),
        doc: o.doc.clone(),
        never_succeeds: o.never_succeeds.clone(),
        conflict_name: o.conflict_name.clone(),
        policy: o.policy,
        policy_note: o.policy_note.clone(),
        lock_checked: o.lock_checked,
        resource,
        on_item,
        clients,
        server_status,
        instance_action: o.instance_action.clone(),
        item_ends: o.item_ends.as_ref().map(|e| (e.present, Source::of(&e.id))),
        server_facts_when: o.server_facts_when.clone(),
        history: o.history.clone(),
        controller_checks: o.controller_checks.clone(),
        sets: o.sets.iter().map(|(k, v)| (k.clone(), Source::of(v))).collect(),
        noop_when: o.noop_when.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
        references: o.references.clone(),
        store: o.store.as_ref().map(|st| {
            let (resource, adds) = match (&st.adds, &st.removes) {
                (Some(r), _) => (r.clone(), true),
                (None, Some(r)) => (r.clone(), false),
                (None, None) => (String::new(), true),
            };
            let item = st.item.iter().map(|(k, v)| (k.clone(), Source::of(v))).collect();
            (resource, adds, item)
        }),
        body,
        request,
        response,
        samples: o.samples.clone(),
        exists,
        breakpoints,
        response_breakpoints,
    })
}

fn response(
    r: &spec::ResponseSpec,
    range: Range,
    kinds: &BTreeMap<String, TypeKind>,
    types: &[Type],
) -> Result<Response, Vec<String>> {
    let mut errors = Vec::new();
    if r.links.is_some() && !r.list {
        errors.push("`links` is for `list` responses".into());
    }
    if r.list && (r.wrap.is_none() || r.of.is_none()) {
        errors.push("a `list` response names its `wrap` key and item `type`".into());
    }
    let fields = match &r.of {
        None => {
            if !r.omit.is_empty() {
                errors.push("`omit` is for views of a named `type`".into());
            }
            let mut out = Vec::new();
            for f in &r.fields {
                match field(f, range, kinds) {
                    Ok(f) => out.push(f),
                    Err(m) => errors.push(format!("field `{}`: {m}", f.json)),
                }
            }
            out
        }
        Some(name) => match types.iter().find(|t| &t.name == name && t.kind == TypeKind::Object) {
            None => {
                errors.push(format!("`type: {name}` is not an object type of spec/types"));
                Vec::new()
            }
            Some(t) => view(t, r, range, &mut errors),
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let links_since = r.links_since.unwrap_or(range.since);
    Ok(Response {
        wrap: r.wrap.clone(),
        list: r.list,
        item_wrap: r.item_wrap.clone(),
        links: r.links.clone(),
        links_since,
        paging: r.paging.map(|p| match p {
            PagingSpec::Marker => Paging::Marker { since: links_since },
            PagingSpec::Offset => Paging::Offset,
        }),
        of: r.of.clone(),
        fields,
    })
}

/// The type's fields as one operation sends them: omissions dropped, overrides applied, all
/// clipped to the operation's range.
fn view(t: &Type, r: &spec::ResponseSpec, range: Range, errors: &mut Vec<String>) -> Vec<Field> {
    for name in &r.omit {
        if !t.fields.iter().any(|f| &f.json == name) {
            errors.push(format!("`omit: {name}`: `{}` has no such field", t.name));
        }
    }
    for o in &r.fields {
        if !t.fields.iter().any(|f| f.json == o.json) {
            errors.push(format!("override `{}`: `{}` has no such field", o.json, t.name));
        }
        if o.ty.is_some() || o.rust.is_some() || o.doc.is_some() || o.limits.is_some() {
            errors.push(format!(
                "override `{}`: only `since`, `until`, `required` and `nullable` may be overridden",
                o.json
            ));
        }
    }
    let mut out = Vec::new();
    for f in t.fields.iter().filter(|f| !r.omit.contains(&f.json)) {
        let overrides: Vec<&FieldSpec> = r.fields.iter().filter(|o| o.json == f.json).collect();
        let resolved = match overrides.as_slice() {
            [] => Some(f.clone()),
            [o] => {
                let within = Range::new(o.since.unwrap_or(f.range.since), o.until.unwrap_or(f.range.until));
                if within.since > within.until {
                    errors.push(format!("override `{}`: empty range", f.json));
                    None
                } else {
                    let flag = |flag: Flag, default: Option<Range>| match flag {
                        Flag::Unset => default.and_then(|d| d.intersect(within)),
                        other => other.range(within),
                    };
                    Some(Field {
                        range: within,
                        required: flag(o.required, f.required),
                        nullable: flag(o.nullable, f.nullable),
                        ..f.clone()
                    })
                }
            }
            _ => {
                errors.push(format!("`{}` is overridden twice", f.json));
                None
            }
        };
        if let Some(mut field) = resolved {
            let Some(clipped) = field.range.intersect(range) else {
                continue;
            };
            field.range = clipped;
            field.required = field.required.and_then(|x| x.intersect(clipped));
            field.nullable = field.nullable.and_then(|x| x.intersect(clipped));
            out.push(field);
        }
    }
    out
}

/// The unified shape of each object type's fields: `Plain` only where every view, at every
/// version it covers, has the field always present and never null.
fn unify(types: &mut [Type], ops: &[Op]) {
    let mut views: BTreeMap<String, Vec<(Vec<Field>, Range)>> = BTreeMap::new();
    for op in ops {
        if let Some(r) = &op.response
            && let Some(of) = &r.of
        {
            views.entry(of.clone()).or_default().push((r.fields.clone(), op.range));
        }
    }
    for t in types.iter_mut().filter(|t| t.kind == TypeKind::Object) {
        let all: Vec<(Vec<Field>, Range)> = match views.get(&t.name) {
            Some(v) => v.clone(),
            // A type no operation views directly (a nested type): its own fields, across the
            // versions they cover.
            None => {
                let span = t.fields.iter().map(|f| f.range).fold(None, |acc: Option<Range>, r| {
                    Some(acc.map_or(r, |a| Range::new(a.since.min(r.since), a.until.max(r.until))))
                });
                vec![(t.fields.clone(), span.unwrap_or(Range::new(Version::MIN, Version::MIN)))]
            }
        };
        for f in &t.fields {
            let mut shape: Option<Shape> = None;
            let mut join = |s: Shape| {
                shape = Some(match shape {
                    None => s,
                    Some(prev) => prev.max(s),
                })
            };
            for (fields, range) in &all {
                let entries: Vec<&Field> = fields.iter().filter(|v| v.rust == f.rust).collect();
                for v in version_points(range, entries.iter().copied()) {
                    match entries.iter().find_map(|e| e.shape_at(v)) {
                        Some(s) => join(s),
                        None => join(Shape::Option),
                    }
                }
            }
            let mut shape = shape.unwrap_or(Shape::Option);
            if f.default_empty && shape != Shape::Plain {
                shape = Shape::List;
            }
            t.unified.insert(f.rust.clone(), shape);
        }
    }
}

/// A version in each stretch of `range` where the fields' shapes are constant.
fn version_points<'a>(range: &Range, fields: impl Iterator<Item = &'a Field>) -> Vec<Version> {
    let mut points: BTreeSet<Version> = BTreeSet::new();
    points.insert(range.since);
    for f in fields {
        points.extend(f.boundaries());
    }
    points.into_iter().filter(|v| range.contains(*v)).collect()
}

/// Which object types are used in requests and which in responses (transitively).
fn mark_directions(types: &mut [Type], ops: &[Op]) {
    let mut request: BTreeSet<String> = BTreeSet::new();
    let mut response: BTreeSet<String> = BTreeSet::new();
    for op in ops {
        for f in &op.request {
            request.extend(f.ty.named().into_iter().map(String::from));
        }
        if let Some(r) = &op.response {
            response.extend(r.of.clone());
            for f in &r.fields {
                response.extend(f.ty.named().into_iter().map(String::from));
            }
        }
    }
    for set in [&mut request, &mut response] {
        loop {
            let mut more = BTreeSet::new();
            for t in types.iter().filter(|t| set.contains(&t.name)) {
                for f in &t.fields {
                    for n in f.ty.named() {
                        if !set.contains(n) {
                            more.insert(n.to_string());
                        }
                    }
                }
            }
            if more.is_empty() {
                break;
            }
            set.extend(more);
        }
    }
    for t in types {
        t.in_request = request.contains(&t.name);
        t.in_response = response.contains(&t.name);
    }
}

/// The samples of the spec, with their absolute paths.
pub fn spec_samples(model: &Model) -> Vec<(PathBuf, &Op, Direction, Version)> {
    let dir = model.root.join("spec/samples");
    model
        .ops
        .iter()
        .flat_map(|op| {
            let dir = dir.clone();
            op.samples
                .iter()
                .map(move |s| (dir.join(&s.file), op, s.direction, s.version))
        })
        .collect()
}
