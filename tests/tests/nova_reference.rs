//! Nova's reference, as the project renders it (`cargo xtask nova-reference`), and what
//! `cargo xtask drift` finds against it.

use xtask::drift::{Reference, drift, filter_allowed, report};
use xtask::model::Model;

fn model() -> Model {
    Model::load(&tests::workspace_root()).expect("the spec loads")
}

/// Where both exist, the project's rendering of the release equals `../shared/reference`:
/// every schema key by key, and the action and servers maps' ranges and codes.
#[test]
fn the_rendering_of_the_release_equals_the_shared_reference() {
    let shared = tests::workspace_root().join("../shared/reference/nova");
    if !shared.is_dir() {
        // Nothing to compare with: on a clone with nothing beside it the rendering is the
        // reference (said, not skipped silently).
        println!("no ../shared/reference here: the rendering is the only reference");
        return;
    }
    let differences = xtask::reference::compare(&tests::rendered_reference(), &shared);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// The spec matches the release it names, but for the differences `spec/drift-allow.yaml`
/// accepts, each of which still occurs.
#[test]
fn drift_is_clean_for_the_release_the_spec_names() {
    let model = model();
    let reference = Reference::load(&tests::rendered_reference(), tests::RELEASE).unwrap();
    let (left, stale) = filter_allowed(&model, drift(&model, &reference));
    assert!(
        left.is_empty() && stale.is_empty(),
        "{}",
        left.iter().chain(&stale).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// What Nova answers that the spec does not yet have: a number that may only go down. Nova
/// 34.0.0 answers 193 operations in scope (266 routed, less the 53 that always answer 410,
/// the 5 that always answer 400 and the 15 of `/os-volumes_boot`: `spec/drift-allow.yaml`);
/// the spec has 100 of them (servers, their actions, remote consoles, instance actions, their
/// metadata, tags, IP addresses, security groups, password and NUMA topology, their volume
/// attachments and interfaces, flavors with their extra specs and access lists, key pairs,
/// server groups, limits and availability zones).
#[test]
fn the_operations_the_spec_lacks_are_counted_and_may_only_go_down() {
    let model = model();
    let reference = Reference::load(&tests::rendered_reference(), tests::RELEASE).unwrap();
    let report = report(&model, &reference);
    assert_eq!(report.in_scope, 193);
    assert_eq!(report.out_of_scope, 73);
    assert_eq!(
        report.missing_count(),
        93,
        "when an operation lands, lower this count; missing: {:#?}",
        report.missing
    );
}

/// Against Nova 32.0.0 (maximum 2.100), drift lists exactly what 2.101 to 2.104 changed in
/// the operations the spec covers, checked by hand against Nova's microversion history: 2.101
/// makes the volume attach answer 202 with no body; 2.103 (`/os-volumes_boot`) touches none of
/// them; 2.102 makes unknown query parameters a 400 for server show, instance-action show, the
/// flavor reads, server-group show, the availability zone lists, the reads of a server's
/// metadata, IP addresses, security groups, password and topology, and its interfaces' list and show (not
/// its tags nor its volume attachment's show: their controllers never apply the strict schemas
/// Nova defines for them), adds the flavor list's `name` filter and drops `rxtx_factor` and
/// `OS-FLV-DISABLED:disabled`; 2.104 lets an update set `pinned_availability_zone`. Below 2.100
/// only the key-pair list differs: Nova 32.0.0's schema for it puts an item's fields under
/// `items` of an object (fixed by 34.0.0), so drift finds none of them there.
#[test]
fn drift_against_an_older_release_lists_the_microversions_added_since() {
    let root = tests::workspace_root();
    let dir = xtask::reference::cache_dir(&root, "32.0.0");
    assert!(
        dir.join("derived/operations.json").is_file(),
        "Nova 32.0.0's reference is missing: `cargo xtask nova-reference --version 32.0.0` (scripts/test.sh builds it)"
    );
    let model = model();
    let reference = Reference::load(&dir, "32.0.0").unwrap();
    let (lines, _) = filter_allowed(&model, drift(&model, &reference));
    let heads: Vec<String> = lines
        .iter()
        .map(|l| l.split(':').take(2).collect::<Vec<_>>().join(":"))
        .collect();
    assert_eq!(
        heads,
        [
            "api: maximum microversion",
            "attach_volume: 2.101",
            "create_flavor: 2.102",
            "list_availability_zones: 2.102",
            "list_availability_zones_detail: 2.102",
            "list_extra_specs: 2.102",
            "list_flavor_access: 2.102",
            "list_flavors: 2.102",
            "list_flavors_detail: 2.102",
            "list_interfaces: 2.102",
            "list_keypairs: response field fingerprint",
            "list_keypairs: response field name",
            "list_keypairs: response field public_key",
            "list_keypairs: response field type",
            "list_server_ips: 2.102",
            "list_server_metadata: 2.102",
            "list_server_security_groups: 2.102",
            "show_extra_spec: 2.102",
            "show_flavor: 2.102",
            "show_instance_action: 2.102",
            "show_interface: 2.102",
            "show_server: 2.102",
            "show_server_group: 2.102",
            "show_server_ips: 2.102",
            "show_server_metadata_item: 2.102",
            "show_server_password: 2.102",
            "show_server_topology: 2.102",
            "update_flavor: 2.102",
            "update_server: 2.104",
        ],
        "{}",
        lines.join("\n")
    );
    assert!(
        lines[0].ends_with("the spec covers 2.101..2.104 beyond it"),
        "{}",
        lines[0]
    );
}

/// README.md's coverage table is the one the spec and Nova's reference give
/// (`cargo xtask coverage --write` writes it).
#[test]
fn the_readme_says_what_the_sdk_covers() {
    let model = model();
    let reference = Reference::load(&tests::rendered_reference(), tests::RELEASE).unwrap();
    let report = report(&model, &reference);
    let path = tests::workspace_root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let expected = report.readme_with_coverage(&model, &readme).unwrap();
    assert!(
        readme == expected,
        "README.md's coverage table is stale: run `cargo xtask coverage --write`"
    );
    let table = report.coverage_table(&model);
    assert!(
        table.contains("| flavors | 6 of 6 | `compute.flavors()`, `compute.flavor(id)` |"),
        "{table}"
    );
    assert!(table.contains("| aggregates | 0 of 9 | not yet |"), "{table}");
}
