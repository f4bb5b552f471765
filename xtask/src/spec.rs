//! The spec model: what one file under `spec/` may say. `spec/README.md` documents it for
//! writers; this module is the authority, and unknown keys are an error (`deny_unknown_fields`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A compute microversion `2.N`, read from a quoted string such as `"2.19"`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
}

impl Version {
    pub const MIN: Version = Version { major: 2, minor: 1 };
    /// The highest microversion this SDK knows (Nova master, see ACTIONS.md).
    pub const MAX: Version = Version { major: 2, minor: 104 };

    pub fn parse(text: &str) -> Result<Version, String> {
        let (major, minor) = text
            .split_once('.')
            .ok_or_else(|| format!("`{text}` is not a microversion like \"2.19\""))?;
        let major: u16 = major
            .parse()
            .map_err(|_| format!("`{text}` is not a microversion like \"2.19\""))?;
        let minor: u16 = minor
            .parse()
            .map_err(|_| format!("`{text}` is not a microversion like \"2.19\""))?;
        if minor.to_string().len() != text.len() - text.find('.').unwrap() - 1 {
            return Err(format!("`{text}` has a leading zero in its minor part"));
        }
        Ok(Version { major, minor })
    }

    /// The next microversion (`2.18` -> `2.19`).
    pub fn next(self) -> Version {
        Version {
            major: self.major,
            minor: self.minor + 1,
        }
    }

    /// The previous microversion (`2.19` -> `2.18`).
    pub fn prev(self) -> Version {
        Version {
            major: self.major,
            minor: self.minor - 1,
        }
    }

    /// The identifier of the per-version type that starts at this version: `V2_19`.
    pub fn ident(self) -> String {
        format!("V{}_{}", self.major, self.minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Version::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An inclusive microversion range.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Range {
    pub since: Version,
    pub until: Version,
}

impl Range {
    pub fn contains(self, v: Version) -> bool {
        self.since <= v && v <= self.until
    }

    pub fn covers(self, other: Range) -> bool {
        self.since <= other.since && other.until <= self.until
    }

    pub fn overlaps(self, other: Range) -> bool {
        self.since <= other.until && other.since <= self.until
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.until == Version::MAX {
            write!(f, "{}+", self.since)
        } else {
            write!(f, "{}..{}", self.since, self.until)
        }
    }
}

/// One operation: a server action (`POST /servers/{server_id}/action`), or a GET/POST on its
/// own path. File: `spec/actions/<name>.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpSpec {
    /// Rust module and client method name (snake_case); equals the file stem.
    pub name: String,
    pub kind: OpKind,
    /// The single top-level key of the request body (`action` and `post` kinds).
    #[serde(default)]
    pub key: Option<String>,
    /// Path template under the compute endpoint (`get` and `post` kinds; `action` implies
    /// `/servers/{server_id}/action`).
    #[serde(default)]
    pub path: Option<String>,
    pub since: Version,
    #[serde(default)]
    pub until: Option<Version>,
    /// The normal success status code.
    pub status: u16,
    /// Error codes the controller declares (documentation).
    #[serde(default)]
    pub errors: Vec<u16>,
    /// One line, our own words: what the operation does.
    pub summary: String,
    /// More of our own words, where the summary is not enough.
    #[serde(default)]
    pub doc: Option<String>,
    /// Set when the operation still exists but can no longer succeed: why, and what Nova answers.
    #[serde(default)]
    pub never_succeeds: Option<String>,
    pub policy: Policy,
    #[serde(default)]
    pub policy_note: Option<String>,
    /// Whether a locked server refuses the action to non-admins (409).
    #[serde(default)]
    pub lock_checked: Option<bool>,
    #[serde(default)]
    pub server_status: Option<ServerStatusSpec>,
    /// The `action` name Nova records in `os-instance-actions`, or absent when it records none.
    #[serde(default)]
    pub instance_action: Option<String>,
    /// What changed at which microversion, in our own words (feeds the generated docs).
    #[serde(default)]
    pub history: BTreeMap<Version, String>,
    #[serde(default)]
    pub request: Option<RequestSpec>,
    #[serde(default)]
    pub response: Option<ResponseSpec>,
    #[serde(default)]
    pub samples: Vec<SampleSpec>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// `POST /servers/{server_id}/action` with body `{key: value}`.
    Action,
    /// `GET path`.
    Get,
    /// `POST path` with body `{key: value}`.
    Post,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Anyone may call it (no policy check).
    None,
    /// `project_reader_or_admin`.
    Reader,
    /// `project_member_or_admin`.
    Member,
    /// `project_manager_or_admin`.
    Manager,
    /// `context_is_admin`.
    Admin,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerStatusSpec {
    /// Statuses the action may start from (empty: any).
    #[serde(default)]
    pub from: Vec<String>,
    /// Statuses shown while the action runs.
    #[serde(default)]
    pub during: Vec<String>,
    /// Where the server ends.
    pub ends_in: EndsIn,
    /// `OS-EXT-STS:task_state` values shown while it runs (useful when the status never moves).
    #[serde(default)]
    pub task_states: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum EndsIn {
    /// One of these statuses.
    Statuses(Vec<String>),
    /// `unchanged` (status stays, task_state returns to null) or `deleted` (the server is gone).
    Word(EndWord),
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EndWord {
    Unchanged,
    Deleted,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub body: BodyKind,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

/// How the value under the body key is formed.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// No body (GET).
    None,
    /// Value-less: `{key: null}` is sent, and Nova accepts (and ignores) any value.
    Null,
    /// `{key: null}`, and Nova accepts nothing else.
    ExactlyNull,
    /// `{key: {fields}}`; `{}` when no field is set.
    Object,
    /// `{key: {fields}}` when a field is set, else `{key: null}`.
    ObjectOrNull,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// The top-level key the fields sit under (`server`), or absent for top-level fields.
    #[serde(default)]
    pub wrap: Option<String>,
    /// Microversions where a nested type changes shape although no top-level field does.
    #[serde(default)]
    pub also_changes_at: BTreeMap<Version, String>,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

/// One field of a request or response body, a query or path parameter, or a field of a
/// named object type.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The name on the wire.
    pub json: String,
    /// The Rust field name, when the snake_case of `json` is not a good one.
    #[serde(default)]
    pub rust: Option<String>,
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub required: Flag,
    #[serde(default)]
    pub nullable: Flag,
    #[serde(default)]
    pub since: Option<Version>,
    #[serde(default)]
    pub until: Option<Version>,
    #[serde(default, rename = "in")]
    pub location: Location,
    #[serde(default)]
    pub doc: Option<String>,
}

/// `true`, `false`, or a range in which the property holds.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(untagged)]
pub enum Flag {
    #[default]
    #[serde(skip)]
    Never,
    Bool(bool),
    Range(FlagRange),
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FlagRange {
    #[serde(default)]
    pub since: Option<Version>,
    #[serde(default)]
    pub until: Option<Version>,
}

impl Flag {
    /// The range in which the flag holds, clipped to `field`.
    pub fn range(self, field: Range) -> Option<Range> {
        match self {
            Flag::Never | Flag::Bool(false) => None,
            Flag::Bool(true) => Some(field),
            Flag::Range(r) => Some(Range {
                since: r.since.unwrap_or(field.since).max(field.since),
                until: r.until.unwrap_or(field.until).min(field.until),
            }),
        }
    }

    pub fn is_set(self) -> bool {
        !matches!(self, Flag::Never | Flag::Bool(false))
    }
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// In the JSON body (the default).
    #[default]
    Body,
    /// A query parameter (GET).
    Query,
    /// A path parameter, named `{json}` in the path template.
    Path,
    /// Response only: the last path segment of the `Location` header.
    LocationHeader,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SampleSpec {
    /// Path under `spec/samples/`.
    pub file: String,
    pub version: Version,
    pub direction: Direction,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Request,
    Response,
}

/// A named type: `spec/types/<Name>.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeSpec {
    pub name: String,
    pub kind: TypeKind,
    pub doc: String,
    /// Object: its fields. `since`/`until` on these are documentation (nested types are not
    /// split per microversion; a field that only some versions send is optional).
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    /// Enum: its values.
    #[serde(default)]
    pub values: Vec<EnumValue>,
    /// Enum: keep values we do not know (responses) in an `Unknown(String)` variant.
    #[serde(default)]
    pub open: bool,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TypeKind {
    Object,
    Enum,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub json: String,
    pub rust: String,
    /// Other spellings Nova accepts for the same value (parsed, never sent).
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub since: Option<Version>,
    #[serde(default)]
    pub until: Option<Version>,
    #[serde(default)]
    pub doc: Option<String>,
}

/// `spec/upstream-samples.yaml`: how Nova's `doc/api_samples` map onto our operations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamMap {
    pub samples: Vec<UpstreamSample>,
    #[serde(default)]
    pub skip: Vec<UpstreamSkip>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSample {
    /// Path relative to `doc/api_samples/`.
    pub path: String,
    pub op: String,
    pub direction: Direction,
    pub version: Version,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSkip {
    pub path: String,
    pub reason: String,
}

/// Everything under `spec/`, loaded.
pub struct Spec {
    pub root: PathBuf,
    pub ops: Vec<(PathBuf, OpSpec)>,
    pub types: Vec<(PathBuf, TypeSpec)>,
    pub upstream: (PathBuf, UpstreamMap),
}

/// A spec error: the file and what is wrong in it.
#[derive(Debug)]
pub struct SpecError {
    pub file: PathBuf,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

impl SpecError {
    pub fn new(file: &Path, message: impl Into<String>) -> SpecError {
        SpecError {
            file: file.to_path_buf(),
            message: message.into(),
        }
    }
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, SpecError> {
    let entries = std::fs::read_dir(dir).map_err(|e| SpecError::new(dir, e.to_string()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| SpecError::new(dir, e.to_string()))?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        } else {
            return Err(SpecError::new(&path, "unexpected file (only .yaml files belong here)"));
        }
    }
    files.sort();
    Ok(files)
}

fn read_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpecError::new(path, e.to_string()))?;
    serde_saphyr::from_str(&text).map_err(|e| SpecError::new(path, e.to_string()))
}

impl Spec {
    /// Reads every file under `root` (`spec/`). Shape errors (unknown keys, wrong types) are
    /// reported here; meaning errors by [`crate::validate`].
    pub fn load(root: &Path) -> Result<Spec, Vec<SpecError>> {
        let mut errors = Vec::new();
        let mut ops = Vec::new();
        let mut types = Vec::new();
        match yaml_files(&root.join("actions")) {
            Ok(files) => {
                for file in files {
                    match read_yaml::<OpSpec>(&file) {
                        Ok(op) => ops.push((file, op)),
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(e),
        }
        match yaml_files(&root.join("types")) {
            Ok(files) => {
                for file in files {
                    match read_yaml::<TypeSpec>(&file) {
                        Ok(ty) => types.push((file, ty)),
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(e),
        }
        let upstream_path = root.join("upstream-samples.yaml");
        let upstream = match read_yaml::<UpstreamMap>(&upstream_path) {
            Ok(map) => Some(map),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Spec {
            root: root.to_path_buf(),
            ops,
            types,
            upstream: (upstream_path, upstream.expect("no errors")),
        })
    }
}
