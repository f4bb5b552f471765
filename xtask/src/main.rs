//! `cargo xtask`: the project's code generator and sample replayer.
//!
//! - `cargo xtask codegen` validates `spec/` and writes `openstack-compute/src/generated/`.
//! - `cargo xtask codegen --check` fails, naming the file, when the committed output is stale.
//! - `cargo xtask validate` only validates `spec/`.
//! - `cargo xtask replay DIR` round-trips every sample under a Nova `doc/api_samples` tree.
//! - `cargo xtask nova-reference [--version X] [--compare DIR]` builds (or finds cached) Nova's
//!   reference for one PyPI release in `target/nova-reference/X/`, optionally checked against DIR.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::{codegen, replay};

fn workspace_root() -> PathBuf {
    // `cargo run` sets CARGO_MANIFEST_DIR at run time too; prefer it over the compile-time
    // value so a copied workspace sharing a target directory still works on itself.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let manifest = manifest.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().expect("xtask lives in the workspace").to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["codegen"] => codegen::run(&root, codegen::Mode::Write),
        ["codegen", "--check"] => codegen::run(&root, codegen::Mode::Check),
        ["validate"] => codegen::load(&root).map(|spec| {
            println!("spec OK: {} operations, {} types", spec.ops.len(), spec.types.len());
        }),
        ["replay", dir] => replay::run(&root, Path::new(dir)),
        ["nova-reference", rest @ ..] => xtask::reference::run(&root, rest),
        _ => Err(
            "usage: cargo xtask (codegen [--check] | validate | replay DIR | nova-reference [--version X] [--compare DIR])"
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
