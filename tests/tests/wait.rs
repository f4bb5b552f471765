//! Waiters against wiremock response sequences. Real time with millisecond intervals: the
//! client's own timeouts are tokio timers, which a paused clock would fire while a request
//! is on the wire, so the sequences are driven by poll counts instead.

use std::time::Duration;

use openstack_compute::{Compute, Error, RequestId, WaitError, WaitOptions};
use serde_json::{Value, json};
use tests::mock::MockCloud;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const SERVER: &str = "8f2c3a4e-6b1d-4f0e-9a7c-2d5e8b1f4c60";

fn server(status: &str, task_state: Option<&str>) -> Value {
    let mut body = tests::mock::server_json(SERVER, status);
    body["server"]["OS-EXT-STS:task_state"] = json!(task_state);
    body
}

fn show(status: &str, task_state: Option<&str>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(server(status, task_state))
}

fn fast(max: Duration) -> WaitOptions {
    WaitOptions::new(max)
        .initial_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(20))
        .jitter(0.0)
}

async fn mount_sequence(cloud: &MockCloud, steps: Vec<(ResponseTemplate, u64)>) {
    let server_path = format!("/compute/v2.1/servers/{SERVER}");
    for (response, times) in steps {
        Mock::given(method("GET"))
            .and(path(server_path.as_str()))
            .respond_with(response)
            .up_to_n_times(times)
            .mount(&cloud.server)
            .await;
    }
}

async fn gets(cloud: &MockCloud) -> usize {
    let server_path = format!("/compute/v2.1/servers/{SERVER}");
    cloud
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path() == server_path)
        .count()
}

#[tokio::test]
async fn wait_for_status_succeeds_after_n_polls() {
    let cloud = MockCloud::start("2.100").await;
    mount_sequence(
        &cloud,
        vec![(show("ACTIVE", Some("powering-off")), 3), (show("SHUTOFF", None), 100)],
    )
    .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let done = compute
        .server(SERVER)
        .wait_for_status(&["SHUTOFF"], fast(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(done.status.as_str(), "SHUTOFF");
    assert_eq!(gets(&cloud).await, 4);
}

#[tokio::test]
async fn error_status_fails_fast_with_the_fault() {
    let cloud = MockCloud::start("2.100").await;
    let mut broken = server("ERROR", None);
    broken["server"]["fault"] =
        json!({"code": 500, "created": "2026-01-01T00:00:00Z", "message": "No valid host was found."});
    mount_sequence(
        &cloud,
        vec![
            (show("BUILD", Some("spawning")), 1),
            (ResponseTemplate::new(200).set_body_json(broken), 100),
        ],
    )
    .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute
        .server(SERVER)
        .wait_for_status(&["ACTIVE"], fast(Duration::from_secs(5)))
        .await
        .unwrap_err();
    match &err {
        Error::Wait(w) => match w.as_ref() {
            WaitError::ServerError {
                fault_message,
                fault_code,
                ..
            } => {
                assert_eq!(fault_message.as_deref(), Some("No valid host was found."));
                assert_eq!(*fault_code, Some(500));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(gets(&cloud).await, 2, "stops at the first ERROR");
}

#[tokio::test]
async fn a_404_mid_wait_is_server_gone_unless_deletion_is_the_target() {
    let cloud = MockCloud::start("2.100").await;
    let gone = ResponseTemplate::new(404)
        .insert_header("x-openstack-request-id", "req-gone")
        .set_body_json(json!({"itemNotFound": {"code": 404, "message": "Instance could not be found."}}));
    mount_sequence(&cloud, vec![(show("ACTIVE", Some("deleting")), 2), (gone, 100)]).await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute
        .server(SERVER)
        .wait_for_status(&["ACTIVE"], fast(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Wait(w) if matches!(w.as_ref(), WaitError::ServerGone { .. })),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some("req-gone"));
    compute
        .server(SERVER)
        .wait_for_deleted(fast(Duration::from_secs(5)))
        .await
        .unwrap();
}

#[tokio::test]
async fn timeout_reports_the_last_status_and_task_state() {
    let cloud = MockCloud::start("2.100").await;
    mount_sequence(&cloud, vec![(show("RESIZE", Some("resize_migrating")), 1000)]).await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute
        .server(SERVER)
        .wait_for_status(&["VERIFY_RESIZE"], fast(Duration::from_millis(150)))
        .await
        .unwrap_err();
    match &err {
        Error::Wait(w) => match w.as_ref() {
            WaitError::Timeout {
                last_status,
                task_state,
                waited,
                ..
            } => {
                assert_eq!(last_status, "RESIZE");
                assert_eq!(task_state.as_deref(), Some("resize_migrating"));
                assert!(*waited <= Duration::from_millis(150));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn backoff_intervals_follow_the_options() {
    let o = WaitOptions::new(Duration::from_secs(60))
        .initial_interval(Duration::from_millis(100))
        .backoff(2.0)
        .max_interval(Duration::from_millis(700));
    let got: Vec<u128> = (0..5).map(|n| o.interval(n).as_millis()).collect();
    assert_eq!(got, vec![100, 200, 400, 700, 700]);
    let d = WaitOptions::new(Duration::from_secs(60));
    let got: Vec<u128> = (0..7).map(|n| d.interval(n).as_millis()).collect();
    assert_eq!(got, vec![1000, 1500, 2250, 3375, 5000, 5000, 5000]);
}

#[tokio::test]
async fn retry_after_on_429_is_honoured_by_polls() {
    let cloud = MockCloud::start("2.100").await;
    let limited = ResponseTemplate::new(429)
        .insert_header("retry-after", "1")
        .set_body_json(json!({"overLimit": {"code": 429, "message": "Rate limit"}}));
    mount_sequence(&cloud, vec![(limited, 1), (show("ACTIVE", None), 100)]).await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let start = std::time::Instant::now();
    compute
        .server(SERVER)
        .wait_for_status(&["ACTIVE"], fast(Duration::from_secs(5)))
        .await
        .unwrap();
    assert!(start.elapsed() >= Duration::from_secs(1), "waited for Retry-After");
}

#[tokio::test]
async fn dropping_a_wait_stops_polling() {
    let cloud = MockCloud::start("2.100").await;
    mount_sequence(&cloud, vec![(show("BUILD", Some("spawning")), 10_000)]).await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let handle = compute.server(SERVER);
    let wait = handle.wait_for_status(&["ACTIVE"], fast(Duration::from_secs(60)));
    let _ = tokio::time::timeout(Duration::from_millis(100), wait).await;
    let after_drop = gets(&cloud).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(gets(&cloud).await, after_drop, "no poll after the future was dropped");
}

fn action(events: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"instanceAction": {
        "action": "reboot", "instance_uuid": SERVER, "message": null, "project_id": "p", "request_id": "req-reboot",
        "start_time": "2026-01-01T00:00:00.000000", "updated_at": "2026-01-01T00:00:01.000000", "user_id": "u", "events": events}}))
}

#[tokio::test]
async fn wait_for_action_follows_events_to_the_end() {
    let cloud = MockCloud::start("2.100").await;
    let action_path = format!("/compute/v2.1/servers/{SERVER}/os-instance-actions/req-reboot");
    let not_yet =
        ResponseTemplate::new(404).set_body_json(json!({"itemNotFound": {"code": 404, "message": "not found"}}));
    let running = action(
        json!([{"event": "compute_reboot_instance", "start_time": "2026-01-01T00:00:00.000000", "finish_time": null, "result": null}]),
    );
    let finished = action(
        json!([{"event": "compute_reboot_instance", "start_time": "2026-01-01T00:00:00.000000", "finish_time": "2026-01-01T00:00:02.000000", "result": "Success"}]),
    );
    for (r, n) in [(not_yet, 1), (running, 2), (finished, 100)] {
        Mock::given(method("GET"))
            .and(path(action_path.as_str()))
            .respond_with(r)
            .up_to_n_times(n)
            .mount(&cloud.server)
            .await;
    }
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let done = compute
        .server(SERVER)
        .wait_for_action("req-reboot", fast(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(done.action, "reboot");
}

#[tokio::test]
async fn wait_for_action_reports_each_failed_event() {
    let cloud = MockCloud::start("2.100").await;
    let action_path = format!("/compute/v2.1/servers/{SERVER}/os-instance-actions/req-reboot");
    let failed = action(json!([
        {"event": "compute_prep_resize", "start_time": "2026-01-01T00:00:00.000000", "finish_time": "2026-01-01T00:00:01.000000", "result": "Success"},
        {"event": "compute_resize_instance", "start_time": "2026-01-01T00:00:01.000000", "finish_time": "2026-01-01T00:00:02.000000", "result": "Error", "traceback": "Traceback: disk full"}
    ]));
    Mock::given(method("GET"))
        .and(path(action_path.as_str()))
        .respond_with(failed)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute
        .server(SERVER)
        .wait_for_action("req-reboot", fast(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "action req-reboot failed: compute_resize_instance (Error)"
    );
    match &err {
        Error::Wait(w) => match w.as_ref() {
            WaitError::ActionFailed { failed_events, .. } => {
                assert_eq!(failed_events.len(), 1);
                assert_eq!(failed_events[0].traceback.as_deref(), Some("Traceback: disk full"));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn reboot_of_an_active_server_waits_for_its_own_action() {
    // The server is ACTIVE before, during (by status) and after the reboot: only the
    // instance action under the call's request ID says when it is over.
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(202).insert_header("x-openstack-request-id", "req-reboot"))
        .mount(&cloud.server)
        .await;
    mount_sequence(&cloud, vec![(show("ACTIVE", None), 1000)]).await;
    let action_path = format!("/compute/v2.1/servers/{SERVER}/os-instance-actions/req-reboot");
    let running = action(
        json!([{"event": "compute_reboot_instance", "start_time": "2026-01-01T00:00:00.000000", "finish_time": null, "result": null}]),
    );
    let finished = action(
        json!([{"event": "compute_reboot_instance", "start_time": "2026-01-01T00:00:00.000000", "finish_time": "2026-01-01T00:00:02.000000", "result": "Success"}]),
    );
    Mock::given(method("GET"))
        .and(path(action_path.as_str()))
        .respond_with(running)
        .up_to_n_times(3)
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(action_path.as_str()))
        .respond_with(finished)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let done = compute
        .server(SERVER)
        .reboot(openstack_compute::types::RebootType::Soft)
        .wait(fast(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(done.output.request_id(), Some("req-reboot"));
    assert!(gets(&cloud).await >= 4, "kept polling until the action finished");
}

#[tokio::test]
async fn a_token_expiring_mid_wait_is_refreshed_and_the_wait_completes() {
    use openstack_compute::testing::FakeCloud;
    let cloud = FakeCloud::builder()
        .token_lifetime(Duration::from_millis(800))
        .transition_time(Duration::from_millis(1500))
        .start()
        .await;
    let id = cloud.add_server("w");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let done = compute
        .server(&id)
        .stop()
        .wait(fast(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(done.server.unwrap().status.as_str(), "SHUTOFF");
    assert!(
        cloud.tokens_issued() >= 2,
        "the token was renewed during the wait ({})",
        cloud.tokens_issued()
    );
}
