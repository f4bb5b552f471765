//! Workspace-level test support: where Nova's reference is, the operation table and its
//! generic glue, JSON diffs, and a wiremock Keystone + Nova for client tests.

pub mod capture;
pub mod glue;
#[rustfmt::skip] // formatted by prettyplease in `cargo xtask codegen`
mod generated;
pub mod mock;
pub mod nova_schema;

use std::path::{Path, PathBuf};

pub use generated::OPERATIONS;
use serde_json::Value;

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// The glue of the operation named `name`.
pub fn glue(name: &str) -> &'static glue::OperationGlue {
    OPERATIONS
        .iter()
        .find(|o| o.info.name == name)
        .unwrap_or_else(|| panic!("no operation `{name}`"))
}

/// The Nova release the spec is checked against (`spec/api.yaml`).
pub const RELEASE: &str = openstack_compute::spec::CHECKED_AGAINST;

/// Nova's reference, found the one way every test finds it: `NOVA_REFERENCE` when set, else
/// `../shared/reference/nova` beside the workspace (CI has it; faster), else the project's
/// own rendering of the release (`cargo xtask nova-reference`, which `scripts/test.sh`
/// builds when neither exists).
pub fn reference_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("NOVA_REFERENCE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let root = workspace_root();
    let shared = root.join("../shared/reference/nova");
    if shared.is_dir() {
        return shared;
    }
    let cache = xtask::reference::cache_dir(&root, RELEASE);
    assert!(
        cache.join("derived/operations.json").is_file(),
        "Nova's reference is not here: run `cargo xtask nova-reference` (scripts/test.sh does), or set NOVA_REFERENCE"
    );
    cache
}

/// The project's rendering of the release: the complete map of which schema applies to which
/// operation (`derived/operations.json`; the shared reference has the actions and servers
/// maps only).
pub fn rendered_reference() -> PathBuf {
    // A `NOVA_REFERENCE` that is itself a rendering serves for both (a copy of the workspace
    // without its target directory, as cargo-mutants makes, points here).
    if let Some(dir) = std::env::var_os("NOVA_REFERENCE").map(PathBuf::from)
        && dir.join("derived/operations.json").is_file()
    {
        return dir;
    }
    let dir = xtask::reference::cache_dir(&workspace_root(), RELEASE);
    assert!(
        dir.join("derived/operations.json").is_file(),
        "the project's rendering of Nova {RELEASE} is missing: run `cargo xtask nova-reference`"
    );
    dir
}

/// An upstream sample (`path` relative to Nova's `doc/api_samples`) in the reference: under
/// `doc/api_samples`, or, in the shared reference, `servers-crud/doc/api_samples`; else in
/// the project's rendering of the release (the shared reference holds the servers' samples
/// only).
pub fn upstream_sample(path: &str) -> Option<PathBuf> {
    let dir = reference_dir();
    ["doc/api_samples", "servers-crud/doc/api_samples"]
        .iter()
        .map(|d| dir.join(d).join(path))
        .chain(std::iter::once_with(|| {
            rendered_reference().join("doc/api_samples").join(path)
        }))
        .find(|p| p.is_file())
}

/// The differences between two JSON values, one line per differing path (`-` the original,
/// `+` what came back).
pub fn json_diff(original: &Value, back: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("$", original, back, &mut out);
    out
}

fn diff_at(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => diff_at(&format!("{path}.{k}"), va, vb, out),
                    None => out.push(format!("{path}.{k}: -{va} +(absent)")),
                }
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    out.push(format!("{path}.{k}: -(absent) +{vb}"));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff_at(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("{path}: -{a} +{b}")),
    }
}

/// Round-trips one sample body through an operation at a version: the agnostic types, and the
/// per-version types of that version's stretch. `Err` is a readable reason or diff.
pub fn roundtrip_sample(
    operation: &str,
    request: bool,
    version: openstack_compute::Microversion,
    bytes: &[u8],
) -> Result<(), String> {
    let original: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let glue = OPERATIONS
        .iter()
        .find(|o| o.info.name == operation)
        .ok_or_else(|| format!("unknown operation `{operation}`"))?;
    let stretch = glue
        .stretch(version)
        .ok_or_else(|| format!("`{operation}` has no type at {version}"))?;
    let paths: Vec<(&str, glue::Roundtrip)> = if request {
        vec![("agnostic", glue.request), ("per-version", stretch.request)]
    } else {
        let mut v = vec![("agnostic", glue.response)];
        v.extend(stretch.response.map(|r| ("per-version", r)));
        v
    };
    for (which, roundtrip) in paths {
        let back = roundtrip(version, bytes).map_err(|e| format!("{which}: {e}"))?;
        let diff = json_diff(&original, &back);
        if !diff.is_empty() {
            return Err(format!("{which}: {}", diff.join("; ")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_the_path_of_each_difference() {
        let a = serde_json::json!({"server": {"id": "x", "tags": ["a"], "gone": 1}});
        let b = serde_json::json!({"server": {"id": "y", "tags": ["a"], "new": null}});
        assert_eq!(
            json_diff(&a, &b),
            vec![
                "$.server.id: -\"x\" +\"y\"",
                "$.server.gone: -1 +(absent)",
                "$.server.new: -(absent) +null"
            ]
        );
        assert!(json_diff(&a, &a).is_empty());
    }
}
