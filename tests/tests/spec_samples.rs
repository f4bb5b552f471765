//! Every sample the spec lists round-trips through the type for its microversion, compared
//! as whole JSON values.

use openstack_compute::__private::SPEC_SAMPLES;

#[test]
fn every_spec_sample_round_trips() {
    let root = tests::workspace_root().join("spec/samples");
    let mut failures = Vec::new();
    for s in SPEC_SAMPLES {
        let text = std::fs::read_to_string(root.join(s.file)).unwrap_or_else(|e| panic!("{}: {e}", s.file));
        if let Err(reason) = tests::roundtrip_text(s.operation, s.direction, s.version, &text) {
            failures.push(format!(
                "{} ({} {:?} at {}): {reason}",
                s.file, s.operation, s.direction, s.version
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} samples failed:\n{}",
        failures.len(),
        SPEC_SAMPLES.len(),
        failures.join("\n")
    );
    assert!(SPEC_SAMPLES.len() >= 3, "the spec lists samples");
}
