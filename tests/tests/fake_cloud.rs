//! The embedded fake cloud behaves as Nova does where the SDK's users will lean on it.

use std::time::Duration;

use openstack_compute::testing::FakeCloud;
use openstack_compute::wait::WaitError;
use openstack_compute::{Compute, Error, Microversion, WaitOptions};
use serde_json::json;

fn fast() -> WaitOptions {
    WaitOptions::new(Duration::from_secs(10))
        .initial_interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(100))
}

#[tokio::test]
async fn preconditions_codes_and_records_follow_nova() {
    let cloud = FakeCloud::builder()
        .transition_time(Duration::from_millis(100))
        .start()
        .await;
    let id = cloud.add_server("f-1");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let server = compute.server(&id);

    let stopped = server.stop().wait(fast()).await.unwrap();
    assert_eq!(stopped.server.status.as_str(), "SHUTOFF");
    let err = server.stop().send().await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(
        (api.meta.status(), api.fault()),
        (409, Some("conflictingRequest"))
    );
    assert_eq!(
        api.message(),
        format!("Cannot 'os-stop' instance {id} while it is in vm_state shutoff")
    );
    assert!(err.request_id().is_some());

    // Outside the action's range: 404; a field outside the microversion: 400.
    let raw = compute
        .send_raw_action(&id, &json!({"trigger_crash_dump": null}), Microversion::new(2, 16))
        .await
        .unwrap_err();
    assert_eq!(raw.status(), Some(404));
    let raw = compute
        .send_raw_action(&id, &json!({"unshelve": {"host": "h"}}), Microversion::new(2, 90))
        .await
        .unwrap_err();
    assert_eq!(raw.status(), Some(400));
    let raw = compute
        .send_raw_action(&id, &json!({"noSuchAction": null}), Microversion::new(2, 90))
        .await
        .unwrap_err();
    assert_eq!(raw.api().unwrap().message(), "There is no such action: noSuchAction");

    // A task in flight is a conflict too.
    let started = server.start().send().await.unwrap();
    let err = server
        .reboot(openstack_compute::types::RebootType::Hard)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.api()
            .unwrap()
            .message()
            .contains("while it is in task_state powering-on"),
        "{err}"
    );
    server
        .wait_for_action(started.request_id().unwrap(), fast())
        .await
        .unwrap();
    server.wait_for_status(&[openstack_compute::types::ServerStatus::Active], fast()).await.unwrap();

    // Every action is recorded under the request ID it returned.
    let recorded = cloud.recorded_actions(&id);
    assert_eq!(
        recorded.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        vec!["stop", "start"]
    );
    assert_eq!(recorded[1].1, started.request_id().unwrap());
}

#[tokio::test]
async fn injected_faults_reach_the_client_typed() {
    let cloud = FakeCloud::start().await;
    let id = cloud.add_server("f-2");
    let compute = Compute::new(cloud.config().max_retries(0).build().unwrap()).unwrap();
    compute.server_versions().await.unwrap();
    cloud.fail_next(503, 1);
    let err = compute.server(&id).stop().send().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    cloud.break_server(&id, "disk on fire");
    let err = compute
        .server(&id)
        .wait_for_status(&[openstack_compute::types::ServerStatus::Active], fast())
        .await
        .unwrap_err();
    match err {
        Error::Wait(w) => match *w {
            WaitError::ServerError {
                fault_message,
                fault_code,
                ..
            } => {
                assert_eq!(fault_message.as_deref(), Some("disk on fire"));
                assert_eq!(fault_code, Some(500));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(cloud.accepted_actions(), 0);
    assert_eq!(cloud.received_actions(), 1);
}
