//! Every sample, ours (`spec/samples`) and Nova's (`spec/upstream-samples.yaml`), parsed at its
//! microversion by the agnostic type and by that microversion's per-version type, written back
//! as Nova would write it there, and compared whole with the sample. Nothing is left
//! unexplained: a key the spec does not know is dropped by the parse and shows as a
//! difference; a field the spec places in the wrong microversions is refused by the
//! per-version type or shows as a difference.

use xtask::model::{Model, spec_samples};
use xtask::spec::Direction;

fn microversion(v: xtask::spec::Version) -> openstack_compute::Microversion {
    openstack_compute::Microversion::new(v.major, v.minor)
}

#[test]
fn every_spec_sample_round_trips_whole() {
    let model = Model::load(&tests::workspace_root()).expect("the spec loads");
    let samples = spec_samples(&model);
    let mut failures = Vec::new();
    for (path, op, direction, version) in &samples {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = tests::roundtrip_sample(
            &op.name,
            *direction == Direction::Request,
            microversion(*version),
            &bytes,
        ) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        samples.len(),
        failures.join("\n")
    );
    let expected: usize = model.ops.iter().map(|o| o.samples.len()).sum();
    assert_eq!(samples.len(), expected);
    println!("{} spec samples round-trip", samples.len());
}

#[test]
fn every_upstream_sample_round_trips_whole() {
    let model = Model::load(&tests::workspace_root()).expect("the spec loads");
    let mut failures = Vec::new();
    let mut passed = 0;
    for s in &model.upstream.samples {
        let Some(path) = tests::upstream_sample(&s.path) else {
            failures.push(format!(
                "{}: not in the reference ({})",
                s.path,
                tests::reference_dir().display()
            ));
            continue;
        };
        let bytes = std::fs::read(&path).expect("readable");
        match tests::roundtrip_sample(
            &s.op,
            s.direction == Direction::Request,
            microversion(s.version),
            &bytes,
        ) {
            Ok(()) => passed += 1,
            Err(e) => failures.push(format!("{}: {e}", s.path)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every upstream sample the spec maps: the count comes from the map, not a floor.
    assert_eq!(passed, model.upstream.samples.len());
    println!(
        "{passed} upstream samples round-trip ({} skipped by name)",
        model.upstream.skip.len()
    );
}
