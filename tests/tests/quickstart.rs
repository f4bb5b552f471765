//! The quickstart example (`tests/examples/quickstart.rs`), walked on the fake cloud with its
//! lines collected instead of printed: what it promises to print, it prints.

use std::sync::Mutex;
use std::time::Duration;

use openstack_compute::Compute;
use openstack_compute::testing::{self, FakeCloud};

#[path = "../examples/quickstart.rs"]
#[allow(dead_code)] // its `main` and `run`, which this test does not call
mod quickstart;

const VOLUME: &str = "5b5e3c4a-9c1e-4f0e-8a41-2f7c9d1e6a10";

/// Written as the `testing` module's first example shows: the defaults and the fake's own
/// wait options, nothing else. Every wait of the walk sleeps on the fake's clock, never for
/// real: the walk's length in the fake's time is what its waits slept, and no real time is
/// asserted (it is printed).
#[tokio::test]
async fn the_quickstart_prints_the_id_of_the_server_it_creates() {
    let started = std::time::Instant::now();
    let cloud = FakeCloud::start().await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let options = cloud.wait_options(Duration::from_secs(600));
    let lines = Mutex::new(Vec::new());
    let say = |line: String| lines.lock().unwrap().push(line);
    quickstart::create_walk_delete(
        &compute,
        testing::IMAGE_ID,
        testing::FLAVOR_ID,
        None,
        Some(VOLUME),
        &options,
        &say,
    )
    .await
    .unwrap();
    let lines = lines.into_inner().unwrap();
    let ids: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.trim_start().strip_prefix("server_id "))
        .collect();
    let [id] = ids[..] else {
        panic!("one server_id line expected: {lines:#?}")
    };
    // Right after the create's line, and the ID of the server the walk created and deleted.
    let at = lines
        .iter()
        .position(|l| l.trim_start() == format!("server_id {id}"))
        .unwrap();
    assert!(lines[at - 1].starts_with("create "), "{lines:#?}");
    let recorded: Vec<String> = cloud
        .recorded_actions(id)
        .into_iter()
        .map(|(action, _)| action)
        .collect();
    assert_eq!(recorded.first().map(String::as_str), Some("create"), "{recorded:?}");
    assert_eq!(recorded.last().map(String::as_str), Some("delete"), "{recorded:?}");
    assert_eq!(cloud.server_count(), 0);
    // The volume was attached for the walk and detached before the delete.
    let attach = lines
        .iter()
        .position(|l| l.starts_with("attach volume"))
        .expect("attached");
    let detach = lines
        .iter()
        .position(|l| l.starts_with("detach volume"))
        .expect("detached");
    assert!(at < attach && attach < detach, "{lines:#?}");
    assert!(lines[attach + 1].contains(VOLUME), "{lines:#?}");
    // Every wait slept on the fake's clock: its time moved by exactly what they slept, and
    // the timestamps of what the walk recorded are the fake's.
    let slept: Duration = cloud.clock().sleeps().iter().sum();
    assert!(!cloud.clock().sleeps().is_empty(), "the walk waited");
    assert_eq!(cloud.clock().now(), slept);
    println!(
        "quickstart walk: {} fake seconds over {} waits, {:?} of real time",
        slept.as_secs_f64(),
        cloud.clock().sleeps().len(),
        started.elapsed()
    );
}
