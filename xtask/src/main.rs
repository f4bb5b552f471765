//! `cargo xtask`: the project's tools. Run it without arguments for the list.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::model::Model;

const USAGE: &str = "usage: cargo xtask COMMAND
  codegen [--check]                         validate spec/, then write (or check) the generated code
  validate                                  check spec/ (meaning checks beyond the file shapes)
  drift [--version X] [--dir DIR] [--all]   compare spec/ with Nova release X's own schemas
                                            (default: the release spec/api.yaml names; --all
                                            also prints what spec/drift-allow.yaml accepts)
  coverage [--write]                        the table of what the SDK covers, by Nova's group (README.md's;
                                            --write puts it there)
  replay DIR                                round-trip every Nova sample under DIR through the SDK's types
  import TARGET [--force] [--dir DIR]       draft spec/operations/ files (and map their samples) from
                                            Nova's reference: TARGET is a group (a controller module:
                                            keypairs) or one route (\"POST /flavors/{id}/action addTenantAccess\");
                                            --force overwrites existing files
  nova-reference [--version X] [--compare DIR]
                                            build (or find cached) Nova X's reference in
                                            target/nova-reference/X/";

fn workspace_root() -> PathBuf {
    // `cargo run` sets CARGO_MANIFEST_DIR at run time too; prefer it over the compile-time
    // value so a copied workspace sharing a target directory still works on itself.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let manifest = manifest.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().expect("xtask lives in the workspace").to_path_buf()
}

fn lines(errors: &[impl ToString]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// Loads and validates spec/.
fn load(root: &Path) -> Result<Model, String> {
    let model = Model::load(root).map_err(|e| lines(&e))?;
    let errors = xtask::validate::validate(&model);
    if errors.is_empty() {
        Ok(model)
    } else {
        Err(lines(&errors))
    }
}

fn drift(root: &Path, args: &[&str]) -> Result<(), String> {
    let model = load(root)?;
    let mut release = model.checked_against.clone();
    let mut dir = None;
    let mut all = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--version" => release = rest.next().ok_or("--version needs a release")?.to_string(),
            "--dir" => dir = Some(PathBuf::from(rest.next().ok_or("--dir needs a directory")?)),
            "--all" => all = true,
            other => return Err(format!("drift: unknown argument `{other}`\n{USAGE}")),
        }
    }
    let dir = match dir {
        Some(d) => d,
        None => xtask::reference::ensure(root, &release)?,
    };
    xtask::drift::run(&model, &dir, &release, !all)
}

fn coverage(root: &Path, write: bool) -> Result<(), String> {
    let model = load(root)?;
    let release = model.checked_against.clone();
    let dir = xtask::reference::ensure(root, &release)?;
    let reference = xtask::drift::Reference::load(&dir, &release)?;
    let report = xtask::drift::report(&model, &reference);
    if !write {
        print!("{}", report.coverage_table(&model));
        return Ok(());
    }
    let path = root.join("README.md");
    let readme = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let updated = report.readme_with_coverage(&model, &readme)?;
    std::fs::write(&path, updated).map_err(|e| format!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["validate"] => load(&root).map(|m| println!("spec OK: {} operations, {} types", m.ops.len(), m.types.len())),
        ["codegen"] => load(&root).and_then(|m| xtask::codegen::run(&m, xtask::codegen::Mode::Write)),
        ["codegen", "--check"] => load(&root).and_then(|m| xtask::codegen::run(&m, xtask::codegen::Mode::Check)),
        ["drift", rest @ ..] => drift(&root, rest),
        ["coverage"] => coverage(&root, false),
        ["coverage", "--write"] => coverage(&root, true),
        ["replay", dir] => load(&root).and_then(|m| xtask::replay::run(&m, Path::new(dir))),
        ["nova-reference", rest @ ..] => xtask::reference::run(&root, rest),
        // Not validated first: a spec with drafts in it is what import leaves behind.
        ["import", rest @ ..] => xtask::import::run(&root, rest),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
