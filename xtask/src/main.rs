//! `cargo xtask`: see `usage()`.

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::model::Model;

fn workspace_root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let manifest = manifest.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().expect("xtask lives in the workspace").to_path_buf()
}

fn validate(root: &std::path::Path) -> Result<Model, String> {
    let model = Model::load(root).map_err(|errors| errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))?;
    let errors = xtask::validate::validate(&model);
    if errors.is_empty() {
        Ok(model)
    } else {
        Err(errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["validate"] => validate(&root).map(|m| println!("spec OK: {} operations, {} types", m.ops.len(), m.types.len())),
        ["drift", "--dir", dir] => validate(&root).and_then(|m| xtask::drift::run(&m, std::path::Path::new(dir), "34.0.0", true)),
        ["drift", "--dir", dir, "--all"] => validate(&root).and_then(|m| xtask::drift::run(&m, std::path::Path::new(dir), "34.0.0", false)),
        _ => Err("usage: cargo xtask validate".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
