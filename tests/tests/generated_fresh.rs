//! `cargo test` alone catches a stale generated tree, as `cargo xtask codegen --check` does.

#[test]
fn generated_code_matches_the_spec() {
    let root = tests::workspace_root();
    let model = xtask::model::Model::load(&root)
        .unwrap_or_else(|e| panic!("{}", e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")));
    let errors = xtask::validate::validate(&model);
    assert!(
        errors.is_empty(),
        "{}",
        errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
    if let Err(stale) = xtask::codegen::run(&model, xtask::codegen::Mode::Check) {
        panic!("{stale}");
    }
}
