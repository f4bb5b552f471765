//! Per-microversion types carry only the fields valid there: using another version's field
//! does not compile.

#[test]
fn fields_outside_a_microversion_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
