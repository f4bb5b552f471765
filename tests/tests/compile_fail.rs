//! What must not compile: a field outside a per-version type's microversions, an `Option`
//! where a microversion requires the field, and misuse of the derive (with its messages).

#[test]
fn compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
