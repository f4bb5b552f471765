//! `cargo test` alone catches a stale generated tree (like `cargo xtask codegen --check`).

#[test]
fn generated_code_matches_the_spec() {
    let root = tests::workspace_root();
    let spec = xtask::codegen::load(&root).unwrap_or_else(|e| panic!("{e}"));
    let files = xtask::codegen::generate(&spec).unwrap_or_else(|e| panic!("{e}"));
    let stale = xtask::codegen::stale_files(&root, &files);
    assert!(
        stale.is_empty(),
        "generated code is stale; run `cargo xtask codegen`:\n{}",
        stale.join("\n")
    );
}
