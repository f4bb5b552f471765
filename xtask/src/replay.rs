//! `cargo xtask replay DIR`: maps every file under a Nova `doc/api_samples` tree (the shared
//! reference's, its `servers-crud` one, or a whole sdist's) to an operation, direction and
//! microversion (from `spec/upstream-samples.yaml`) and has the `replay` binary of the `tests`
//! crate round-trip each through the generated types. In every folder that holds a mapped
//! sample, every file must be mapped or skipped; folders of other APIs are left alone.
//!
//! The round trip runs in a separate binary because xtask must build even when the generated
//! code does not (it is what regenerates it).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::model::Model;
use crate::spec::Direction;

/// Replays every sample of `dir`.
pub fn run(model: &Model, dir: &Path) -> Result<(), String> {
    let root = &model.root;
    let map = &model.upstream;
    let mapped: BTreeMap<&str, _> = map.samples.iter().map(|s| (s.path.as_str(), s)).collect();
    let skipped: BTreeMap<&str, &str> = map.skip.iter().map(|s| (s.path.as_str(), s.reason.as_str())).collect();
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();

    let rel_of = |file: &PathBuf| {
        file.strip_prefix(dir)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let folder = |rel: &str| rel.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
    let claimed: std::collections::BTreeSet<String> = files
        .iter()
        .map(rel_of)
        .filter(|rel| mapped.contains_key(rel.as_str()) || skipped.contains_key(rel.as_str()))
        .map(|rel| folder(&rel))
        .collect();
    let mut manifest = String::new();
    let mut unmapped = Vec::new();
    let mut skips = 0;
    let mut others = 0;
    for file in &files {
        let rel = rel_of(file);
        if let Some(s) = mapped.get(rel.as_str()) {
            let direction = match s.direction {
                Direction::Request => "request",
                Direction::Response => "response",
            };
            manifest.push_str(&format!("{}\t{}\t{direction}\t{}\n", file.display(), s.op, s.version));
        } else if skipped.contains_key(rel.as_str()) {
            skips += 1;
        } else if claimed.contains(&folder(&rel)) {
            unmapped.push(rel);
        } else {
            others += 1;
        }
    }

    let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--quiet", "--package", "tests", "--bin", "replay"])
        .current_dir(root.as_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the replay binary: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(manifest.as_bytes())
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("the replay binary failed: {}", output.status));
    }
    let mut passed = 0;
    let mut failed = 0;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let mut parts = line.splitn(3, '\t');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("ok"), Some(_), _) => passed += 1,
            (Some("fail"), Some(path), reason) => {
                failed += 1;
                println!("FAIL {path}: {}", reason.unwrap_or(""));
            }
            _ => return Err(format!("unexpected replay output: {line}")),
        }
    }
    for rel in &unmapped {
        failed += 1;
        println!("FAIL {rel}: maps to no operation (add it to spec/upstream-samples.yaml)");
    }
    let total = passed + failed + skips;
    println!(
        "replayed {total} samples: {passed} passed, {failed} failed, {skips} skipped{}",
        if others > 0 {
            format!(" ({others} files of other APIs left alone)")
        } else {
            String::new()
        }
    );
    if failed > 0 {
        Err(format!("{failed} sample(s) failed"))
    } else {
        Ok(())
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}
