//! `cargo xtask nova-reference [--version X] [--compare DIR]`: builds Nova's reference for one
//! PyPI release into `target/nova-reference/<X>/`, in the layout of the hand-made reference
//! (`../shared/reference/nova/`), so tests can read either tree through one path:
//!
//! - `doc/api_samples/**`, `api-ref/source/**` and
//!   `nova-src/nova/api/openstack/compute/rest_api_version_history.rst`: copied from the sdist;
//! - `nova-src/**.json` and `derived/{action-map,servers-map,operations}.json`: written by
//!   `xtask/nova_reference.py`, which imports Nova from a venv (`target/nova-reference/venv-<X>/`)
//!   and reads its schema modules and controller decorators;
//! - `README.md`: what produced the tree.
//!
//! Everything is built in a temporary directory and renamed into place, so the directory only
//! exists when complete; a second run finds it and does nothing. `--compare DIR` then checks the
//! tree against another one (see [`compare`]) and fails on any difference.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The release built when no `--version` is given.
pub const DEFAULT_VERSION: &str = "34.0.0";

/// What a rendering's README says of its format; a tree without it was rendered by an older
/// `nova_reference.py` (its `operations.json` then lacks every route, group, status and
/// controller check) and is built again.
const FORMAT: &str = "format 2: every route, with group, status, version checks and mount";

const SCHEMAS: &str = "nova-src/nova/api/openstack/compute/schemas";
const VERSIONS: &str = "nova-src/nova/api/openstack/api_version_request.json";
const HISTORY_RST: &str = "nova/api/openstack/compute/rest_api_version_history.rst";
/// Enums that Nova builds from Python sets: their order is arbitrary, compare them as sets.
/// (module, variable, JSON pointer inside the variable)
const SET_ENUMS: [(&str, &str, &str); 4] = [
    ("servers", "VALID_SORT_KEYS_V273", ""),
    ("servers", "VALID_SORT_KEYS_V275", ""),
    ("servers", "index_query_v273", "/properties/sort_key"),
    ("servers", "index_query_v275", "/properties/sort_key"),
];

/// `cargo xtask nova-reference` with the arguments after the subcommand.
pub fn run(root: &Path, args: &[&str]) -> Result<(), String> {
    let mut version = DEFAULT_VERSION;
    let mut against = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (*arg, args.next()) {
            ("--version", Some(v)) => version = v,
            ("--compare", Some(dir)) => against = Some(Path::new(dir)),
            _ => return Err(usage()),
        }
    }
    let dir = ensure(root, version)?;
    println!("{}", dir.display());
    let Some(shared) = against else { return Ok(()) };
    let differences = compare(&dir, shared);
    for line in &differences {
        println!("{line}");
    }
    if differences.is_empty() {
        eprintln!("nova-reference: {} matches {}", dir.display(), shared.display());
        Ok(())
    } else {
        Err(format!(
            "nova-reference: {} difference(s) with {}",
            differences.len(),
            shared.display()
        ))
    }
}

pub fn usage() -> String {
    "cargo xtask nova-reference [--version X (default 34.0.0)] [--compare DIR]".to_string()
}

/// Where the reference of `version` lives: `<root>/target/nova-reference/<version>`.
pub fn cache_dir(root: &Path, version: &str) -> PathBuf {
    root.join("target").join("nova-reference").join(version)
}

/// Builds the reference of `version` unless it is already there; returns its directory.
/// Builds within one process (say, parallel tests) take turns.
pub fn ensure(root: &Path, version: &str) -> Result<PathBuf, String> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(format!("nova-reference: not a release number: {version:?}"));
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = cache_dir(root, version);
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
    if readme.contains(FORMAT) {
        eprintln!(
            "nova-reference: nova {version} is complete in {}, nothing to do",
            dir.display()
        );
        return Ok(dir);
    }
    let started = Instant::now();
    let base = dir.parent().expect("cache_dir has a parent");
    remove_abandoned_builds(base, version);
    let work = base.join(format!(".build-{version}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("nova-reference: cannot create {}: {e}", work.display()))?;
    let built = build(root, version, &work, &dir);
    let _ = fs::remove_dir_all(&work);
    built?;
    eprintln!(
        "nova-reference: nova {version} built in {:.0?} into {}",
        started.elapsed(),
        dir.display()
    );
    Ok(dir)
}

/// Removes the `.build-<version>-<pid>` directories of interrupted runs (where `/proc` says
/// that process is gone).
fn remove_abandoned_builds(base: &Path, version: &str) {
    let prefix = format!(".build-{version}-");
    let Ok(entries) = fs::read_dir(base) else { return };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(&prefix) else {
            continue;
        };
        if Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

fn build(root: &Path, version: &str, work: &Path, dir: &Path) -> Result<(), String> {
    let python = std::env::var("NOVA_REFERENCE_PYTHON").unwrap_or_else(|_| "python3".to_string());

    eprintln!("nova-reference: downloading sdist nova=={version}");
    let sdist = work.join("sdist");
    let spec = format!("nova=={version}");
    let download = [
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
    ];
    let only_sdist = ["--no-deps", "--no-binary", ":all:", spec.as_str(), "-d"];
    exec(
        Command::new(&python).args(download).args(only_sdist).arg(&sdist),
        "pip download",
    )?;
    let tarball = fs::read_dir(&sdist)
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .ok_or("nova-reference: pip download left no .tar.gz")?;
    exec(
        Command::new("tar").arg("-xzf").arg(&tarball).arg("-C").arg(&sdist),
        "tar",
    )?;
    let src = sdist.join(format!("nova-{version}"));

    let venv = ensure_venv(root, &python, version)?;

    eprintln!("nova-reference: rendering");
    let out = work.join("out");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("nova_reference.py");
    let mut render = Command::new(venv_python(&venv));
    exec(
        render.arg(&script).arg(&out).env("PYTHONHASHSEED", "0"),
        "nova_reference.py",
    )?;
    copy_tree(&src.join("doc/api_samples"), &out.join("doc/api_samples"))?;
    copy_tree(&src.join("api-ref/source"), &out.join("api-ref/source"))?;
    copy_file(&src.join(HISTORY_RST), &out.join("nova-src").join(HISTORY_RST))?;
    write_readme(&out, version, &venv)?;

    if dir.exists() {
        // Left by something other than this tool (we only ever rename complete trees here).
        fs::remove_dir_all(dir).map_err(|e| format!("nova-reference: cannot replace {}: {e}", dir.display()))?;
    }
    match fs::rename(&out, dir) {
        Ok(()) => Ok(()),
        // Another run finished the same release first: keep its tree.
        Err(_) if dir.join("README.md").is_file() => Ok(()),
        Err(e) => Err(format!("nova-reference: cannot rename into {}: {e}", dir.display())),
    }
}

/// `target/nova-reference/venv-<X>/` with `nova==X`: pinned by
/// `xtask/nova-reference/requirements-<X>.lock` when the project carries one, unpinned otherwise.
/// A marker file written last tells a complete venv from an interrupted one.
fn ensure_venv(root: &Path, python: &str, version: &str) -> Result<PathBuf, String> {
    let venv = root
        .join("target")
        .join("nova-reference")
        .join(format!("venv-{version}"));
    let marker = venv.join(".nova-reference-complete");
    if marker.is_file() {
        return Ok(venv);
    }
    let _ = fs::remove_dir_all(&venv);
    eprintln!("nova-reference: creating venv (1-2 min) in {}", venv.display());
    exec(Command::new(python).args(["-m", "venv"]).arg(&venv), "python3 -m venv")?;
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("nova-reference/requirements-{version}.lock"));
    let mut pip = Command::new(venv_python(&venv));
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
    ]);
    pip.args(["--only-binary", "nova"]);
    let installed = if lock.is_file() {
        pip.arg("-r").arg(&lock);
        format!("pinned by xtask/nova-reference/requirements-{version}.lock")
    } else {
        pip.arg(format!("nova=={version}"));
        format!("nova=={version}, dependencies unpinned")
    };
    exec(&mut pip, "pip install")?;
    let check = "import warnings; warnings.simplefilter('ignore'); import nova.api.openstack.compute.routes";
    exec(
        Command::new(venv_python(&venv)).args(["-c", check]),
        "importing nova's routes",
    )?;
    fs::write(&marker, format!("{installed}\n")).map_err(|e| e.to_string())?;
    Ok(venv)
}

fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

fn exec(cmd: &mut Command, what: &str) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("nova-reference: cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("nova-reference: {what} failed ({status})"))
    }
}

fn copy_file(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    fs::copy(from, to).map_err(|e| format!("nova-reference: cannot copy {}: {e}", from.display()))?;
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let entries = fs::read_dir(from).map_err(|e| format!("nova-reference: cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let target = to.join(path.file_name().expect("read_dir entries have names"));
        if path.is_dir() {
            copy_tree(&path, &target)?
        } else {
            copy_file(&path, &target)?
        }
    }
    Ok(())
}

fn write_readme(out: &Path, version: &str, venv: &Path) -> Result<(), String> {
    let probe = "import sys, unicodedata; print(sys.version.split()[0], unicodedata.unidata_version)";
    let python = Command::new(venv_python(venv))
        .args(["-c", probe])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .replacen(' ', " (unicodedata ", 1)
                + ")"
        })
        .unwrap_or_else(|_| "unknown".to_string());
    let installed = fs::read_to_string(venv.join(".nova-reference-complete")).unwrap_or_default();
    let text = format!(
        "# Nova {version} reference (generated)\n\n\
         Produced on {date} by `cargo xtask nova-reference --version {version}` \
         (`xtask/src/reference.rs` driving `xtask/nova_reference.py`).\n\n\
         Same layout and formats as the hand-made `../shared/reference/nova/` (see its README files).\n\n\
         - `doc/api_samples/`, `api-ref/source/`, `nova-src/{HISTORY_RST}`: verbatim copies from the \
         `nova-{version}.tar.gz` sdist on PyPI (all of `doc/api_samples`, not a selection).\n\
         - `nova-src/**/*.json`, `derived/action-map.json`, `derived/servers-map.json`, \
         `derived/operations.json`: written by `nova_reference.py` after importing the `nova=={version}` \
         wheel from PyPI ({installed}) under Python {python} with `PYTHONHASHSEED=0`. Schema modules are \
         dumped as Nova builds them; the microversion ranges, success codes and expected errors are read \
         from the decorators on Nova's controller methods (nothing written by hand).\n\n\
         Apache-2.0, like the upstream files it comes from.\n\n{FORMAT}\n",
        date = today_utc(),
        installed = installed.trim(),
    );
    fs::write(out.join("README.md"), text).map_err(|e| e.to_string())
}

/// Today's date (UTC) as YYYY-MM-DD (civil-from-days, so no date crate is needed).
fn today_utc() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

// --- compare -------------------------------------------------------------------------------

/// Compares a rendered tree with another reference tree where both have a thing; one line per
/// difference, empty when equal:
///
/// - every public (not `_`-prefixed) variable of every schema module `shared` has
///   (`nova-src/.../schemas/*.json`): parsed JSON equal, enums built from Python sets
///   (`SET_ENUMS`) compared as sets;
/// - `min_api_version`, `max_api_version` and every other string constant of
///   `api_version_request.json` that both have;
/// - for every action of `shared`'s `derived/action-map.json` and operation of its
///   `derived/servers-map.json`: `request_schemas`, `query_schemas`, `response_schemas`
///   (schema, min, max), `success_code` and `api_version` (absent = null), checked against both
///   the rendered map of the same name and the rendered `derived/operations.json`;
/// - every schema the rendered maps name exists in the rendered schema modules.
pub fn compare(rendered: &Path, shared: &Path) -> Vec<String> {
    let mut out = Vec::new();
    compare_schemas(rendered, shared, &mut out);
    compare_versions(rendered, shared, &mut out);
    compare_maps(rendered, shared, &mut out);
    check_schema_names(rendered, &mut out);
    out
}

fn load(path: &Path, out: &mut Vec<String>) -> Option<Value> {
    let parsed = fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()));
    parsed
        .map_err(|e| out.push(format!("{}: cannot read: {e}", path.display())))
        .ok()
}

fn compare_schemas(rendered: &Path, shared: &Path, out: &mut Vec<String>) {
    let mut files: Vec<PathBuf> = match fs::read_dir(shared.join(SCHEMAS)) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => return out.push(format!("{}: cannot read: {e}", shared.join(SCHEMAS).display())),
    };
    files.retain(|p| p.extension().is_some_and(|ext| ext == "json"));
    files.sort();
    for file in files {
        let module = file.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let name = file.file_name().unwrap_or_default();
        let (Some(theirs), Some(ours)) = (load(&file, out), load(&rendered.join(SCHEMAS).join(name), out)) else {
            continue;
        };
        let Some(theirs) = theirs.as_object() else { continue };
        for (var, their_value) in theirs.iter().filter(|(var, _)| !var.starts_with('_')) {
            let at = format!("schemas/{module}.json: {var}");
            let Some(our_value) = ours.get(var) else {
                out.push(format!("{at}: missing from the rendering"));
                continue;
            };
            let (mut a, mut b) = (our_value.clone(), their_value.clone());
            for (_, _, pointer) in SET_ENUMS.iter().filter(|(m, v, _)| *m == module && v == var) {
                for value in [&mut a, &mut b] {
                    if let Some(inner) = value.pointer_mut(pointer) {
                        sort_enums(inner);
                    }
                }
            }
            diff_json(&at, "", &a, &b, out);
        }
    }
}

/// Sorts every `enum` list inside `value`.
fn sort_enums(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                match inner {
                    Value::Array(items) if key == "enum" => items.sort_by_key(|v| v.to_string()),
                    _ => sort_enums(inner),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sort_enums),
        _ => {}
    }
}

/// Pushes the differences between `ours` (rendered) and `theirs` (shared) at `pointer`.
fn diff_json(at: &str, pointer: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                match a.get(key) {
                    Some(mine) => diff_json(at, &format!("{pointer}/{key}"), mine, value, out),
                    None => out.push(format!("{at}: {pointer}/{key} missing from the rendering")),
                }
            }
            for key in a.keys().filter(|k| !b.contains_key(*k)) {
                out.push(format!("{at}: {pointer}/{key} only in the rendering"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (mine, value)) in a.iter().zip(b).enumerate() {
                diff_json(at, &format!("{pointer}/{i}"), mine, value, out);
            }
        }
        _ if ours != theirs => {
            let hint = if pointer.ends_with("/pattern") && theirs.to_string().len() > 200 {
                " (the printable-character class: differs when Python's unicodedata differs)"
            } else {
                ""
            };
            out.push(format!(
                "{at}: {pointer}: rendered {}, shared {}{hint}",
                short(ours),
                short(theirs)
            ));
        }
        _ => {}
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

fn compare_versions(rendered: &Path, shared: &Path, out: &mut Vec<String>) {
    let (Some(ours), Some(theirs)) = (load(&rendered.join(VERSIONS), out), load(&shared.join(VERSIONS), out)) else {
        return;
    };
    for key in ["min_api_version", "max_api_version"] {
        if ours.get(key).is_none() {
            out.push(format!("api_version_request.json: {key} missing from the rendering"));
        }
    }
    let Some(theirs) = theirs.as_object() else { return };
    for (key, value) in theirs.iter().filter(|(k, v)| v.is_string() && *k != "source") {
        if let Some(mine) = ours.get(key).filter(|mine| *mine != value) {
            out.push(format!(
                "api_version_request.json: {key}: rendered {mine}, shared {value}"
            ));
        }
    }
}

/// The fields of a map entry that must agree.
const MAP_FIELDS: [&str; 5] = [
    "request_schemas",
    "query_schemas",
    "response_schemas",
    "success_code",
    "api_version",
];

fn compare_maps(rendered: &Path, shared: &Path, out: &mut Vec<String>) {
    let operations = load(&rendered.join("derived/operations.json"), out);
    let ops: Vec<&Value> = operations
        .as_ref()
        .and_then(|o| o["operations"].as_array())
        .map(|list| list.iter().collect())
        .unwrap_or_default();
    // (file, list key, id key, how to find the same thing in operations.json)
    type Finder = fn(&Value, &str) -> bool;
    let maps: [(&str, &str, &str, Finder); 2] = [
        ("action-map.json", "actions", "action", |op, id| op["action"] == id),
        ("servers-map.json", "operations", "operation", |op, id| {
            op["controller"] == "ServersController" && op["method"] == id && op["action"].is_null()
        }),
    ];
    for (file, list, id_key, finder) in maps {
        let rel = Path::new("derived").join(file);
        let (Some(ours), Some(theirs)) = (load(&rendered.join(&rel), out), load(&shared.join(&rel), out)) else {
            continue;
        };
        let ours = ours[list].as_array().cloned().unwrap_or_default();
        for entry in theirs[list].as_array().into_iter().flatten() {
            let id = entry[id_key].as_str().unwrap_or_default();
            match ours.iter().find(|e| e[id_key] == id) {
                Some(mine) => compare_entry(&format!("{file}: {id}"), mine, entry, out),
                None => out.push(format!("{file}: {id} missing from the rendering")),
            }
            match ops.iter().find(|op| finder(op, id)) {
                Some(mine) => compare_entry(&format!("operations.json: {id}"), mine, entry, out),
                None => out.push(format!("operations.json: {id} missing")),
            }
        }
    }
}

fn compare_entry(at: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    for field in MAP_FIELDS {
        let (a, b) = (normalize(field, &ours[field]), normalize(field, &theirs[field]));
        if a != b {
            out.push(format!("{at}: {field}: rendered {a}, shared {b}"));
        }
    }
}

/// Schema ranges as `schema[min,max]` (notes dropped, absent list = empty); other fields as JSON
/// (absent = null).
fn normalize(field: &str, value: &Value) -> String {
    if !field.ends_with("_schemas") {
        return value.to_string();
    }
    let ranges: Vec<String> = value
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| format!("{}[{},{}]", r["schema"].as_str().unwrap_or("?"), r["min"], r["max"]))
        .collect();
    format!("[{}]", ranges.join(" "))
}

fn check_schema_names(rendered: &Path, out: &mut Vec<String>) {
    let Some(ops) = load(&rendered.join("derived/operations.json"), out) else {
        return;
    };
    let mut modules = std::collections::BTreeMap::new();
    for op in ops["operations"].as_array().into_iter().flatten() {
        for field in ["request_schemas", "query_schemas", "response_schemas"] {
            for range in op[field].as_array().into_iter().flatten() {
                let name = range["schema"].as_str().unwrap_or_default();
                let (module, var) = name.split_once('.').unwrap_or((name, ""));
                let doc = modules
                    .entry(module.to_string())
                    .or_insert_with(|| load(&rendered.join(SCHEMAS).join(format!("{module}.json")), out));
                if doc.as_ref().is_some_and(|d| d.get(var).is_none()) {
                    out.push(format!(
                        "operations.json: {} names {name}, which is not rendered",
                        op["method"]
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A minimal tree: one schema module, the version file, and maps naming one schema.
    fn tree(dir: &Path, max_length: u32, set_order: [&str; 2], lock_min: &str) {
        let write = |rel: &str, value: Value| {
            let path = dir.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, value.to_string()).unwrap();
        };
        write(
            &format!("{SCHEMAS}/servers.json"),
            json!({
                "lock": {"type": "object", "properties": {"name": {"maxLength": max_length}}},
                "VALID_SORT_KEYS_V273": {"type": "string", "enum": set_order},
            }),
        );
        write(VERSIONS, json!({"min_api_version": "2.1", "max_api_version": "2.104"}));
        let ranges = json!([{"schema": "servers.lock", "min": lock_min, "max": null}]);
        let action = json!({"action": "lock", "request_schemas": ranges, "success_code": 202});
        write("derived/action-map.json", json!({"actions": [action]}));
        write("derived/servers-map.json", json!({"operations": []}));
        write("derived/operations.json", json!({"operations": [action]}));
    }

    #[test]
    fn compare_reports_differences_and_ignores_set_order() {
        let base = std::env::temp_dir().join(format!("nova-reference-test-{}", std::process::id()));
        let (rendered, shared) = (base.join("rendered"), base.join("shared"));
        tree(&rendered, 255, ["a", "b"], "2.1");
        tree(&shared, 255, ["b", "a"], "2.1");
        let equal = compare(&rendered, &shared);

        tree(&shared, 254, ["b", "a"], "2.2");
        let different = compare(&rendered, &shared);
        let _ = fs::remove_dir_all(&base);

        assert!(equal.is_empty(), "{equal:#?}");
        assert_eq!(different.len(), 3, "{different:#?}");
        assert!(different[0].contains("lock: /properties/name/maxLength: rendered 255, shared 254"));
        assert!(different[1].starts_with("action-map.json: lock: request_schemas"));
        assert!(different[2].starts_with("operations.json: lock: request_schemas"));
    }
}
