//! The library's layers, as ARCHITECTURE.md draws them, hold in the code: a module names
//! (`crate::...`, `super::...`) only modules of its own layer or below.
//!
//! The table under "## Layers" in ARCHITECTURE.md is the one place the order is written; this
//! test reads it, maps every source file of the library (generated code included) to the
//! module it belongs to, and checks each path the file names outside comments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// `module path -> layer`, from ARCHITECTURE.md's table (`| 3 | `codec` | ... |`).
fn layers() -> BTreeMap<String, u32> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md")).unwrap();
    let section = text
        .split("\n## Layers")
        .nth(1)
        .expect("ARCHITECTURE.md has a `## Layers` section");
    let section = section.split("\n## ").next().unwrap();
    let mut out = BTreeMap::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(layer) = cells.get(1).and_then(|c| c.parse::<u32>().ok()) else {
            continue;
        };
        for module in cells[2].split(',') {
            let module = module.trim().trim_matches('`');
            assert!(
                out.insert(module.to_string(), layer).is_none(),
                "{module} is in two layers"
            );
        }
    }
    assert!(out.len() > 10, "the layer table was not found in ARCHITECTURE.md");
    out
}

/// The listed module a module path belongs to: the longest listed prefix.
fn owner<'a>(layers: &'a BTreeMap<String, u32>, path: &str) -> Option<(&'a str, u32)> {
    let segments: Vec<&str> = path.split("::").collect();
    (1..=segments.len()).rev().find_map(|n| {
        let prefix = segments[..n].join("::");
        layers.get_key_value(&prefix).map(|(k, v)| (k.as_str(), *v))
    })
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/transport/http.rs` -> `transport::http`; `src/codec/mod.rs` -> `codec`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The module paths a line of code names: `crate::a::b`, `super::x` (resolved against the
/// file's module), and what `lib.rs` re-exports (`crate::Error`, `crate::ops::stop`,
/// `crate::types::Link`), resolved to where it comes from.
fn named_paths(line: &str, module: &str, root: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (start, _) in line.match_indices("crate::").chain(line.match_indices("super::")) {
        if start > 0 && line[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let path: String = line[start..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '*'))
            .collect();
        let after = &line[start + path.len()..];
        // `crate::a::{B, c::D}` names `crate::a::B` and `crate::a::c::D`.
        let items: Vec<String> = match after.strip_prefix('{') {
            Some(list) => list[..list.find('}').unwrap_or(list.len())]
                .split(',')
                .map(|i| i.trim().split([' ', '{']).next().unwrap_or("").to_string())
                .filter(|i| !i.is_empty())
                .collect(),
            None => vec![String::new()],
        };
        for item in items {
            out.push(resolve(&format!("{path}{item}"), module, root));
        }
    }
    out
}

/// One path (`crate::a::b`, `super::c`) resolved to the module it names.
fn resolve(path: &str, module: &str, root: &BTreeMap<String, String>) -> String {
    let mut segments: Vec<String> = path.split("::").filter(|s| !s.is_empty()).map(str::to_string).collect();
    if segments.remove(0) == "super" {
        // `super` of `a::b` (`a/b.rs` or `a/b/mod.rs`) is `a`.
        let mut parent: Vec<String> = module.split("::").map(str::to_string).collect();
        parent.pop();
        parent.extend(segments);
        return parent.join("::");
    }
    let first = segments.first().cloned().unwrap_or_else(|| "*".into());
    match segments.get(1) {
        // `crate::types::Link`: where the facade takes the item from.
        Some(item) if root.contains_key(&format!("{first}::*")) => root
            .get(&format!("{first}::{item}"))
            .or_else(|| root.get(&format!("{first}::*")))
            .unwrap()
            .clone(),
        _ => match root.get(&first) {
            // `crate::Error`, `crate::ops::stop`: a root re-export.
            Some(source) => std::iter::once(source.clone())
                .chain(segments.into_iter().skip(1))
                .collect::<Vec<_>>()
                .join("::"),
            None if first.starts_with(|c: char| c.is_uppercase()) => root["*"].clone(),
            None => segments.join("::"),
        },
    }
}

/// What `lib.rs` re-exports, by name: `Error -> error`, `ops -> generated::operations`,
/// `* -> generated::resources` (its glob); inside `pub mod types { ... }`, `types::Password ->
/// primitive` and `types::* -> generated::types`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut facade: Option<String> = None;
    // Statements, not lines: a `pub use` may span several.
    let code: String = lib
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    for statement in code.split(';') {
        let mut line = statement.trim();
        loop {
            if let Some(rest) = line.strip_prefix('}') {
                facade = None;
                line = rest.trim_start();
            } else if let Some((name, rest)) = line.strip_prefix("pub mod ").and_then(|l| l.split_once('{')) {
                facade = Some(name.trim().to_string());
                line = rest.trim_start();
            } else {
                break;
            }
        }
        let line = format!("{};", line.trim());
        let Some(used) = line.strip_prefix("pub use ").and_then(|l| l.strip_suffix(';')) else {
            continue;
        };
        let used = used.trim_start_matches("crate::");
        let (path, names) = match used.split_once("::{") {
            Some((path, names)) => (
                path,
                names
                    .trim_end_matches('}')
                    .split(',')
                    .map(str::trim)
                    .collect::<Vec<_>>(),
            ),
            None => match used.split_once(" as ") {
                Some((path, alias)) => (path, vec![alias]),
                None => {
                    let (path, name) = used.rsplit_once("::").unwrap();
                    (path, vec![name])
                }
            },
        };
        for name in names.into_iter().filter(|n| !n.is_empty()) {
            let key = match &facade {
                Some(f) => format!("{f}::{name}"),
                None => name.to_string(),
            };
            out.insert(key, path.to_string());
        }
    }
    out
}

#[test]
fn every_module_names_only_its_own_layer_or_lower() {
    let layers = layers();
    let src = Path::new(ROOT).join("openstack-compute/src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let root = root_reexports(&lib);
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();

    let mut violations = Vec::new();
    let mut seen = 0;
    for file in files.iter().filter(|f| !f.ends_with("lib.rs")) {
        let module = module_of(&src, file);
        let (home, layer) = owner(&layers, &module)
            .unwrap_or_else(|| panic!("{module} ({}) is in no layer of ARCHITECTURE.md", file.display()));
        let text = std::fs::read_to_string(file).unwrap();
        // A file's unit tests, at its end, may use what they like.
        let code = text.split("\n#[cfg(test)]\nmod tests").next().unwrap();
        // Comments blanked, lines kept (for the line numbers), statements joined: a `use`
        // may span lines.
        let mut flat = String::new();
        let mut starts = Vec::new();
        for line in code.lines() {
            starts.push(flat.len());
            if !line.trim_start().starts_with("//") {
                flat.push_str(line.trim());
            }
            flat.push(' ');
        }
        for (n, statement) in flat.split(';').scan(0, |at, s| {
            let begin = *at;
            *at += s.len() + 1;
            Some((
                starts.partition_point(|&l| l <= begin + s.len() - s.trim_start().len()),
                s,
            ))
        }) {
            let line = statement;
            for named in named_paths(line, &module, &root) {
                seen += 1;
                let Some((target, target_layer)) = owner(&layers, &named) else {
                    violations.push(format!("{}:{}: `{named}` is in no layer", file.display(), n));
                    continue;
                };
                if target_layer > layer {
                    violations.push(format!(
                        "{}:{}: `{home}` (layer {layer}) names `{target}` (layer {target_layer})",
                        file.display(),
                        n
                    ));
                }
            }
        }
    }
    assert!(seen > 500, "only {seen} paths were read: the scanner is broken");
    assert!(
        violations.is_empty(),
        "a lower layer names a higher one:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_scanner_sees_a_higher_layer_named_from_a_lower_one() {
    // The check above passes trivially if paths are never resolved; prove it resolves them.
    let layers = layers();
    let lib = std::fs::read_to_string(Path::new(ROOT).join("openstack-compute/src/lib.rs")).unwrap();
    let root = root_reexports(&lib);
    let named = named_paths(
        "    use crate::call::CallCore; let e: crate::Error;",
        "codec::parse",
        &root,
    );
    assert_eq!(named, ["call::CallCore", "error"]);
    assert!(owner(&layers, "call").unwrap().1 > owner(&layers, "codec::parse").unwrap().1);
    assert_eq!(
        named_paths("use super::url::Endpoint;", "transport::http", &root),
        ["transport::url::Endpoint"]
    );
    assert_eq!(
        named_paths("crate::ops::stop::Call", "wait::server", &root),
        ["generated::operations::stop::Call"]
    );
    assert_eq!(named_paths("crate::types::Password", "codec", &root), ["primitive"]);
    assert_eq!(
        named_paths("use crate::types::*;", "generated::types::server", &root),
        ["generated::types"]
    );
    assert_eq!(
        named_paths("x: crate::ServerHandle", "wait::server", &root),
        ["generated::resources"]
    );
}
