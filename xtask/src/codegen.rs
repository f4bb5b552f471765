//! Spec -> Rust. Filled in below.
use std::path::Path;

use crate::spec::Spec;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// Loads and validates `spec/`, formatting every error as `file: message`.
pub fn load(root: &Path) -> Result<Spec, String> {
    let spec = Spec::load(&root.join("spec")).map_err(report)?;
    let errors = crate::validate::validate(&spec);
    if !errors.is_empty() {
        return Err(report(errors));
    }
    Ok(spec)
}

fn report(errors: Vec<crate::spec::SpecError>) -> String {
    let mut out = String::new();
    for e in &errors {
        out.push_str(&format!("error: {e}\n"));
    }
    out.push_str(&format!("spec invalid: {} error(s)", errors.len()));
    out
}

pub fn run(root: &Path, _mode: Mode) -> Result<(), String> {
    let _spec = load(root)?;
    Err("codegen: not yet".into())
}
