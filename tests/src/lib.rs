//! Workspace-level test support: sample round-trips and JSON diffs, shared by the test
//! suites and the `replay` binary that `cargo xtask replay` drives.

use openstack_compute::__private::{Direction, roundtrip};
use openstack_compute::Microversion;
use serde_json::Value;

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// Deserializes `text` into the type of `operation` at `version`, serializes it back, and
/// compares the two JSON values whole. `Err` carries a readable reason or diff.
pub fn roundtrip_text(operation: &str, direction: Direction, version: Microversion, text: &str) -> Result<(), String> {
    let original: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let back = match roundtrip(operation, direction, version, &original) {
        None => return Err(format!("unknown operation `{operation}`")),
        Some(Err(e)) => return Err(e.to_string()),
        Some(Ok(v)) => v,
    };
    let diff = json_diff(&original, &back);
    if diff.is_empty() { Ok(()) } else { Err(diff.join("; ")) }
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

pub mod mock;
