//! The embedded fake cloud behaves as Nova does where the SDK's users will lean on it.

use std::time::Duration;

use openstack_compute::testing::{self, FakeCloud};
use openstack_compute::types::{
    Networks, RebootType, ResetStateTarget, ServerStatus, SpiceConsoleType, VncConsoleType,
};
use openstack_compute::wait::{FailureReason, WaitError};
use openstack_compute::{Compute, ErrorKind, Method, Microversion, WaitOptions};
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
    assert_eq!((api.meta.status(), api.fault()), (409, Some("conflictingRequest")));
    assert_eq!(
        api.message(),
        format!("Cannot 'stop' instance {id} while it is in vm_state stopped")
    );
    assert!(err.request_id().is_some());

    // Outside the action's range: 404; a field outside the microversion: 400.
    let raw = compute
        .raw(Method::Post, format!("/servers/{id}/action"))
        .json(&json!({"trigger_crash_dump": null}))
        .microversion(Microversion::new(2, 16))
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw.status(), Some(404));
    let raw = compute
        .raw(Method::Post, format!("/servers/{id}/action"))
        .json(&json!({"unshelve": {"host": "h"}}))
        .microversion(Microversion::new(2, 90))
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw.status(), Some(400));
    let raw = compute
        .raw(Method::Post, format!("/servers/{id}/action"))
        .json(&json!({"noSuchAction": null}))
        .microversion(Microversion::new(2, 90))
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw.api().unwrap().message(), "There is no such action: noSuchAction");

    // Locked: a conflict, or a 500 where Nova's controller leaves the lock error unmapped.
    server.lock().send().await.unwrap();
    let err = server.start().send().await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    let err = server
        .add_fixed_ip("net-1")
        .at_microversion(Microversion::new(2, 43))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
    assert!(err.api().unwrap().message().contains("InstanceIsLocked"), "{err}");
    server.unlock().send().await.unwrap();

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
    server
        .wait_for_status(&[openstack_compute::types::ServerStatus::Active], fast())
        .await
        .unwrap();

    // Every action is recorded under the request ID it returned.
    let recorded = cloud.recorded_actions(&id);
    assert_eq!(
        recorded.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        vec!["stop", "lock", "unlock", "start"]
    );
    assert_eq!(recorded[3].1, started.request_id().unwrap());
}

#[tokio::test]
async fn locking_a_locked_server_records_nothing_and_its_wait_ends_at_once() {
    let cloud = FakeCloud::start().await;
    let id = cloud.add_server("f-lock");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let server = compute.server(&id);
    let first = server.lock().locked_reason("first").wait(fast()).await.unwrap();
    assert_eq!(first.action.unwrap().events[0].event, "api_lock");
    // As in Nova, the owner's second lock changes nothing and records no action: the wait
    // still ends, with no action to show.
    let again = server.lock().locked_reason("second").wait(fast()).await.unwrap();
    assert!(again.action.is_none());
    assert_eq!(again.polls, 2, "one action poll (404), one show");
    let shown = server.show().send().await.unwrap();
    assert_eq!(shown.locked_reason.value().map(String::as_str), Some("first"));
    let recorded = cloud.recorded_actions(&id);
    assert_eq!(
        recorded.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        vec!["lock"]
    );
}

/// A fake cloud whose transitions last far longer than a test: every task stays in flight.
async fn cloud_where_tasks_stay_in_flight() -> (FakeCloud, Compute) {
    let cloud = FakeCloud::builder()
        .transition_time(Duration::from_secs(3600))
        .start()
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    (cloud, compute)
}

#[tokio::test]
async fn a_task_in_flight_refuses_what_nova_refuses_and_no_more() {
    let (cloud, compute) = cloud_where_tasks_stay_in_flight().await;
    let at_2_5 = Microversion::new(2, 5);
    let id = cloud.add_server("busy");
    let server = compute.server(&id);
    server.stop().send().await.unwrap(); // powering-off from here on

    // Nova's default: refused while a task is in flight.
    let err = server.pause().send().await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert!(
        err.api().unwrap().message().contains("task_state powering-off"),
        "{err}"
    );
    // Consoles are refused only while deleting or migrating; lock, console output and the
    // consoles are accepted during any other task.
    server.lock().send().await.unwrap();
    server.unlock().send().await.unwrap();
    server.get_console_output().send().await.unwrap();
    server
        .get_vnc_console(VncConsoleType::Novnc)
        .at_microversion(at_2_5)
        .send()
        .await
        .unwrap();
    // Reset state clears the task, at once: a stuck server is what it is for.
    server.reset_state(ResetStateTarget::Active).send().await.unwrap();
    let shown = server.show().send().await.unwrap();
    assert_eq!(
        (shown.status.clone(), shown.task_state.value()),
        (ServerStatus::Active, None)
    );
    server.pause().send().await.unwrap(); // idle again: accepted

    // Delete is accepted during any task; while deleting, a second delete is answered and
    // ignored, and the consoles are refused: 409 by the VNC action, 500 by the SPICE one,
    // whose controller leaves the error unmapped.
    server.delete().send().await.unwrap();
    server.delete().send().await.unwrap();
    let recorded = cloud.recorded_actions(&id);
    let names: Vec<&str> = recorded.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["stop", "lock", "unlock", "resetState", "pause", "delete"]);
    let err = server
        .get_vnc_console(VncConsoleType::Novnc)
        .at_microversion(at_2_5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    let err = server
        .get_spice_console(SpiceConsoleType::SpiceHtml5)
        .at_microversion(at_2_5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
    assert!(err.api().unwrap().message().contains("InstanceInvalidState"), "{err}");

    // Nova checks the lock before the status: locked and in the wrong status is "locked".
    let other = compute.server(cloud.add_server("locked"));
    other.lock().send().await.unwrap();
    let err = other.unpause().send().await.unwrap_err();
    assert!(err.api().unwrap().message().contains("is locked"), "{err}");
}

#[tokio::test]
async fn reboot_follows_its_type_as_nova_does() {
    let (cloud, compute) = cloud_where_tasks_stay_in_flight().await;
    let task = |server: &openstack_compute::types::Server| {
        (
            server.status.clone(),
            server.task_state.value().map(|t| t.as_str().to_owned()),
        )
    };

    // SHUTOFF: a SOFT reboot is refused by its status, a HARD one starts and, from a status
    // other than ACTIVE, the server shows its status with the task (Nova's `_STATE_MAP`).
    // Here each task ends at the second read of the server.
    let by_reads = FakeCloud::builder().transition_polls(2).start().await;
    let id = by_reads.add_server("stopped");
    let stopped = Compute::new(by_reads.config().build().unwrap()).unwrap().server(&id);
    stopped.stop().send().await.unwrap();
    stopped.show().send().await.unwrap();
    assert_eq!(stopped.show().send().await.unwrap().status, ServerStatus::Shutoff);
    let err = stopped.reboot(RebootType::Soft).send().await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert_eq!(
        err.api().unwrap().message(),
        format!("Cannot 'reboot' instance {id} while it is in vm_state stopped")
    );
    stopped.reboot(RebootType::Hard).send().await.unwrap();
    let shown = stopped.show().send().await.unwrap();
    assert_eq!(task(&shown), (ServerStatus::Shutoff, Some("rebooting_hard".into())));

    // ACTIVE: each type shows its own status and task.
    let soft = compute.server(cloud.add_server("soft"));
    soft.reboot(RebootType::Soft).send().await.unwrap();
    let shown = soft.show().send().await.unwrap();
    assert_eq!(task(&shown), (ServerStatus::Reboot, Some("rebooting".into())));

    // While a pause (or a soft reboot) is in flight, a HARD reboot is accepted and a SOFT one
    // refused; while powering off, both are refused.
    let pausing = compute.server(cloud.add_server("pausing"));
    pausing.pause().send().await.unwrap();
    let err = pausing.reboot(RebootType::Soft).send().await.unwrap_err();
    assert!(err.api().unwrap().message().contains("task_state pausing"), "{err}");
    pausing.reboot(RebootType::Hard).send().await.unwrap();
    let shown = pausing.show().send().await.unwrap();
    assert_eq!(task(&shown), (ServerStatus::HardReboot, Some("rebooting_hard".into())));
    soft.reboot(RebootType::Hard).send().await.unwrap();
    let stopping = compute.server(cloud.add_server("stopping"));
    stopping.stop().send().await.unwrap();
    let err = stopping.reboot(RebootType::Hard).send().await.unwrap_err();
    assert!(
        err.api().unwrap().message().contains("task_state powering-off"),
        "{err}"
    );
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
    match err.as_wait().cloned().unwrap_or_else(|| panic!("{err:?}")) {
        WaitError::ServerError {
            reason: FailureReason::ServerFault { fault, request_id },
            ..
        } => {
            assert_eq!(fault.message, "disk on fire");
            assert_eq!(fault.code, 500);
            assert!(request_id.is_some(), "the show that revealed it");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(cloud.accepted_actions(), 0);
    assert_eq!(cloud.received_actions(), 1);
}

fn names(servers: &[openstack_compute::types::ServerSummary]) -> Vec<String> {
    servers.iter().map(|s| s.name.clone().unwrap_or_default()).collect()
}

#[tokio::test]
async fn create_waits_for_active_and_a_multiple_create_for_every_server() {
    let cloud = FakeCloud::builder().transition_polls(2).start().await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let servers = compute.servers();
    let created = servers
        .create("c-1", testing::IMAGE_ID, testing::FLAVOR_ID)
        .networks(Networks::Auto)
        .wait(fast())
        .await
        .unwrap();
    let answered = created
        .output
        .server
        .as_ref()
        .expect("a single create names its server");
    assert_eq!(created.server().id, answered.id);
    assert_eq!(created.server().status, ServerStatus::Active);
    assert_eq!(created.servers.len(), 1);
    assert!(answered.admin_pass.is_some());
    let recorded = cloud.recorded_actions(&answered.id);
    assert_eq!(
        recorded,
        vec![("create".to_string(), created.output.request_id().unwrap().to_string())]
    );

    // Three at once: sent with return_reservation_id, every server waited for.
    let created = servers
        .create("many", testing::IMAGE_ID, testing::FLAVOR_ID)
        .networks(Networks::None)
        .max_count(3)
        .wait(fast())
        .await
        .unwrap();
    assert!(created.output.server.is_none());
    assert!(created.output.reservation_id.is_some());
    let mut built: Vec<String> = created
        .servers
        .iter()
        .map(|s| s.name.value().cloned().unwrap_or_default())
        .collect();
    built.sort();
    assert_eq!(built, ["many-1", "many-2", "many-3"]);
    assert!(created.servers.iter().all(|s| s.status == ServerStatus::Active));
    assert_eq!(cloud.server_count(), 4);

    // Before 2.37 `networks` may be left out; from 2.37 it is required, checked before sending.
    let err = servers
        .create("no-net", testing::IMAGE_ID, testing::FLAVOR_ID)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action, "{err}");
    assert!(err.to_string().contains("networks"), "{err}");
    servers
        .create("no-net", testing::IMAGE_ID, testing::FLAVOR_ID)
        .at_microversion(Microversion::new(2, 36))
        .send()
        .await
        .unwrap();
    assert_eq!(cloud.server_count(), 5);
}

#[tokio::test]
async fn a_failed_build_ends_the_create_wait_with_the_failure() {
    let cloud = FakeCloud::builder().transition_polls(1).start().await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    cloud.fail_builds("No valid host was found.");
    let err = compute
        .servers()
        .create("doomed", testing::IMAGE_ID, testing::FLAVOR_ID)
        .networks(Networks::None)
        .wait(fast())
        .await
        .unwrap_err();
    match err.as_wait().cloned().unwrap_or_else(|| panic!("{err:?}")) {
        WaitError::ActionFailed {
            failed_events, reason, ..
        } => {
            assert_eq!(failed_events.len(), 1);
            assert_eq!(failed_events[0].result.as_deref(), Some("Error"));
            // No details on the event: the fault of the server, shown once for it.
            assert!(matches!(reason, FailureReason::ServerFault { .. }), "{reason:?}");
            assert_eq!(reason.message(), Some("No valid host was found."));
        }
        other => panic!("{other:?}"),
    }
    let doomed = compute.servers().find_by_name("doomed").await.unwrap();
    assert_eq!(doomed.status, ServerStatus::Error);
    assert_eq!(doomed.fault.as_ref().unwrap().message, "No valid host was found.");

    // It never ran: Nova refuses what checks the status (a hard reboot accepts ERROR), and
    // deletes it.
    let server = compute.server(doomed.id.clone());
    let err = server.reboot(RebootType::Hard).send().await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert_eq!(
        err.api().unwrap().message(),
        format!("Instance {} is in an invalid state for 'reboot'", doomed.id)
    );
    server.delete().wait(fast()).await.unwrap();
}

#[tokio::test]
async fn list_reads_every_page_filters_and_finds_by_exact_name() {
    let cloud = FakeCloud::start().await;
    for i in 0..7 {
        cloud.add_server(&format!("web-{i}"));
    }
    cloud.add_server("db.(primary)");
    cloud.add_server("dup");
    cloud.add_server("dup");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let servers = compute.servers();

    // Pages of 3: every server once, newest first.
    let all = servers.list().limit(3).collect().await.unwrap();
    let expected: Vec<String> = ["dup", "dup", "db.(primary)"]
        .into_iter()
        .map(String::from)
        .chain((0..7).rev().map(|i| format!("web-{i}")))
        .collect();
    assert_eq!(names(&all), expected);
    let mut ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 10);

    // A page at a time, following `next`.
    let mut stream = servers.list().limit(4).into_stream();
    let mut seen = 0;
    while let Some(item) = stream.next().await {
        item.unwrap();
        seen += 1;
    }
    assert_eq!(seen, 10);

    // Filters reach the cloud.
    let web = servers.list_detail().name("web-").collect().await.unwrap();
    assert_eq!(web.len(), 7);
    cloud.break_server(&all[9].id, "gone wrong");
    let broken = servers
        .list_detail()
        .status(vec![ServerStatus::Error])
        .collect()
        .await
        .unwrap();
    assert_eq!(
        broken.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        [all[9].id.as_str()]
    );

    // By name: exact (regex characters escaped), none, or ambiguous.
    assert_eq!(servers.find_by_name("db.(primary)").await.unwrap().id, all[2].id);
    assert_eq!(
        servers.find_by_name("web").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let err = servers.find_by_name("dup").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Ambiguous);
    assert!(err.to_string().contains("2 servers"), "{err}");
}

#[tokio::test]
async fn update_changes_what_it_names_and_delete_waits_until_the_server_is_gone() {
    let cloud = FakeCloud::builder().transition_polls(2).start().await;
    let id = cloud.add_server("before");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let server = compute.server(&id);

    let updated = server
        .update()
        .name("after")
        .description("the new one")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.name.value().map(String::as_str), Some("after"));
    assert_eq!(updated.description.value().map(String::as_str), Some("the new one"));
    let shown = server.show().send().await.unwrap();
    assert_eq!(shown.description.value().map(String::as_str), Some("the new one"));
    // `description` is 2.19+: at 2.18 it is refused before anything is sent.
    let posts = cloud.received_requests();
    let err = server
        .update()
        .clear_description()
        .at_microversion(Microversion::new(2, 18))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action);
    assert!(
        err.to_string().contains("description") && err.to_string().contains("2.19"),
        "{err}"
    );
    assert_eq!(cloud.received_requests(), posts);

    let gone = server.delete().wait(fast()).await.unwrap();
    assert_eq!(gone.output.status(), 204);
    assert!(gone.polls >= 2, "the fake keeps it for two polls: {}", gone.polls);
    assert_eq!(cloud.server_count(), 0);
    let err = server.show().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn a_wait_on_tokios_clock_gives_up_after_max_wait() {
    // The default clock (not a manual one): a server that never reaches the target ends the
    // wait with a timeout once max_wait has passed. The outer bound only turns a wait that
    // never ends into a failure; it is far above max_wait.
    let cloud = FakeCloud::start().await;
    let id = cloud.add_server("stays-active");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let options = WaitOptions::new(Duration::from_millis(300))
        .initial_interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(50));
    let server = compute.server(&id);
    let wait = server.wait_for_status(&[ServerStatus::Shutoff], options);
    let err = tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .expect("the wait ends by itself")
        .unwrap_err();
    match err.as_wait().cloned().unwrap_or_else(|| panic!("{err:?}")) {
        WaitError::Timeout {
            waited, last_status, ..
        } => {
            // It gave up once the next poll could not come before max_wait: less than one
            // jittered interval (at most 50 ms, twice that with any jitter) before it. How
            // long the machine took to get there only the outer bound above limits.
            assert!(waited > Duration::from_millis(300 - 2 * 50), "{waited:?}");
            assert_eq!(last_status, Some(ServerStatus::Active));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn flavors_with_their_extra_specs_and_access_live_in_the_fake_as_in_nova() {
    let cloud = FakeCloud::builder().start().await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();

    // Nova's six default flavors are there; the short list shows a summary.
    let all = compute.flavors().list().collect().await.unwrap();
    let names: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "m1.tiny",
            "m1.small",
            "m1.medium",
            "m1.large",
            "m1.xlarge",
            "m1.tiny.specs"
        ]
    );

    // Create, with Nova's defaults filled in; a taken ID is Nova's 409.
    let created = compute
        .flavors()
        .create("g1.large", 65536, 16, 100)
        .id("gpu")
        .is_public(false)
        .send()
        .await
        .unwrap();
    assert_eq!((created.id.as_str(), created.ram, created.ephemeral), ("gpu", 65536, 0));
    assert!(!created.is_public);
    let again = compute
        .flavors()
        .create("other", 1, 1, 1)
        .id("gpu")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (again.status(), again.api().unwrap().message()),
        (Some(409), "Flavor with ID gpu already exists.")
    );

    // Extra specs, kept in the flavor: set one, several, read them back in the flavor (2.61).
    let gpu = compute.flavor("gpu");
    gpu.extra_specs()
        .set("hw:cpu_policy", "dedicated")
        .send()
        .await
        .unwrap();
    gpu.extra_specs()
        .set_many([("resources:VGPU".to_string(), "1".to_string())])
        .send()
        .await
        .unwrap();
    let one = gpu.extra_specs().get("hw:cpu_policy").send().await.unwrap();
    assert_eq!(
        one.extra_spec.get("hw:cpu_policy").map(String::as_str),
        Some("dedicated")
    );
    let shown = gpu
        .show()
        .at_microversion(Microversion::new(2, 61))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.extra_specs.as_ref().map(|s| s.len()), Some(2));
    gpu.extra_specs().delete("hw:cpu_policy").send().await.unwrap();
    let gone = gpu.extra_specs().get("hw:cpu_policy").send().await.unwrap_err();
    assert_eq!(
        gone.api().unwrap().message(),
        "Flavor gpu has no extra specs with key hw:cpu_policy."
    );

    // Access: add, list, a second add is a conflict, remove.
    let listed = gpu.add_tenant_access("p-other").send().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].flavor_id.as_str(), listed[0].tenant_id.as_str()),
        ("gpu", "p-other")
    );
    let twice = gpu.add_tenant_access("p-other").send().await.unwrap_err();
    assert_eq!(twice.status(), Some(409), "{twice}");
    assert_eq!(gpu.access().list().send().await.unwrap().len(), 1);
    assert!(gpu.remove_tenant_access("p-other").send().await.unwrap().is_empty());

    // The name filter (2.102) is a regular expression, and find_by_name is exact.
    let found = compute.flavors().find_by_name("m1.tiny").await.unwrap();
    assert_eq!(found.id, "1");
    let filtered = compute
        .flavors()
        .list_detail()
        .name("^m1\\.(tiny|small)$")
        .collect()
        .await
        .unwrap();
    assert_eq!(filtered.len(), 2);

    // A server's flavor must exist, and the server embeds it (2.47) with its extra specs.
    let err = compute
        .servers()
        .create("s", testing::IMAGE_ID, "nope")
        .networks(Networks::None)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.api().unwrap().message()),
        (Some(400), "Flavor nope could not be found.")
    );

    // Delete; then every read of it is Nova's 404.
    gpu.delete().send().await.unwrap();
    let err = gpu.show().send().await.unwrap_err();
    assert_eq!(err.api().unwrap().message(), "Flavor gpu could not be found.");
    let err = gpu.extra_specs().list().send().await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn keypairs_are_imported_at_every_version_and_generated_only_below_2_92() {
    let cloud = FakeCloud::builder().start().await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let imported = compute
        .keypairs()
        .import("ci", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG ci@example")
        .send()
        .await
        .unwrap();
    assert_eq!((imported.name.as_str(), imported.status()), ("ci", 201));
    assert_eq!(imported.public_key, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG ci@example");

    // Generating is offered up to 2.91: the client picks a microversion there.
    let generated = compute.keypairs().create("gen").send().await.unwrap();
    assert_eq!(generated.microversion(), Some(Microversion::new(2, 91)));
    // ...and refuses a pin beyond it without sending.
    let err = compute
        .keypairs()
        .create("gen-2")
        .at_microversion(Microversion::new(2, 92))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action, "{err}");

    let err = compute
        .keypairs()
        .import("ci", "ssh-rsa AAAA x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().message(), "Key pair 'ci' already exists.");
    // A name Nova's pattern refuses is refused before sending.
    let err = compute
        .keypairs()
        .import("a/b", "ssh-rsa AAAA x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action, "{err}");

    let names: Vec<String> = compute
        .keypairs()
        .list()
        .limit(1)
        .collect()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, ["ci", "gen"], "every page, one key pair each");

    // A server's key pair must exist.
    let err = compute
        .servers()
        .create("s", testing::IMAGE_ID, testing::FLAVOR_ID)
        .networks(Networks::None)
        .key_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.api().map(|a| a.message()),
        Some("Invalid key_name provided."),
        "{err}"
    );

    let shown = compute.keypair("ci").show().send().await.unwrap();
    assert_eq!(shown.user_id.as_deref(), Some("fake-user"));
    compute.keypair("ci").delete().send().await.unwrap();
    let err = compute.keypair("ci").show().send().await.unwrap_err();
    assert_eq!(err.api().unwrap().message(), "Keypair ci not found for user fake-user");
}

/// A server's metadata through the client: Nova keeps it with the server, checks the lock and
/// the status before a change, and answers an unknown key or server with its own 404s.
#[tokio::test]
async fn a_servers_metadata_is_set_merged_replaced_shown_and_deleted_with_the_server() {
    use std::collections::BTreeMap;
    let cloud = FakeCloud::builder().transition_polls(1).start().await;
    let id = cloud.add_server("meta-1");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let server = compute.server(&id);
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };

    assert_eq!(server.metadata().list().send().await.unwrap().metadata, map(&[]));
    let set = server.metadata().set("role", "web").send().await.unwrap();
    assert_eq!((set.status(), set.meta.clone()), (200, map(&[("role", "web")])));
    let merged = server
        .metadata()
        .merge(map(&[("role", "db"), ("tier", "back")]))
        .send()
        .await
        .unwrap();
    assert_eq!(merged.metadata, map(&[("role", "db"), ("tier", "back")]));
    let one = server.metadata().get("tier").send().await.unwrap();
    assert_eq!(one.meta, map(&[("tier", "back")]));
    // The server shows what its metadata API changed.
    let shown = server.show().send().await.unwrap();
    assert_eq!(shown.metadata, Some(map(&[("role", "db"), ("tier", "back")])));

    let replaced = server
        .metadata()
        .replace(map(&[("only", "this")]))
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.metadata, map(&[("only", "this")]));
    assert_eq!(
        server.metadata().list().send().await.unwrap().metadata,
        map(&[("only", "this")])
    );
    let deleted = server.metadata().delete("only").send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(server.metadata().list().send().await.unwrap().metadata, map(&[]));
    for err in [
        server.metadata().get("only").send().await.unwrap_err(),
        server.metadata().delete("only").send().await.unwrap_err(),
    ] {
        assert_eq!(err.status(), Some(404), "{err}");
        assert_eq!(err.api().unwrap().message(), "Metadata item was not found");
    }

    // A key outside Nova's pattern is refused before anything is sent.
    let before = cloud.received_requests();
    let err = server.metadata().set("bad*key", "v").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action, "{err}");
    assert_eq!(cloud.received_requests(), before);

    // Locked: 409 with Nova's message; in a status Nova refuses: 409 naming it.
    server.lock().send().await.unwrap();
    let err = server.metadata().set("k", "v").send().await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert_eq!(err.api().unwrap().message(), format!("Instance {id} is locked"));
    // Reading is not checked.
    assert_eq!(server.metadata().list().send().await.unwrap().metadata, map(&[]));
    server.unlock().send().await.unwrap();
    server.reset_state(ResetStateTarget::Error).send().await.unwrap();
    let err = server.metadata().delete("k").send().await.unwrap_err();
    assert_eq!(
        err.api().unwrap().message(),
        format!("Cannot 'delete metadata' instance {id} while it is in vm_state error")
    );
    let err = server.metadata().merge(map(&[("k", "v")])).send().await.unwrap_err();
    assert_eq!(
        err.api().unwrap().message(),
        format!("Cannot 'update metadata' instance {id} while it is in vm_state error")
    );

    // An unknown server.
    let err = compute.server("no-such").metadata().list().send().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert_eq!(err.api().unwrap().message(), "Instance no-such could not be found.");
}

/// A server's tags through the client, from 2.26: added (201 new, 204 already there), checked
/// (a yes or a no), replaced, removed one by one and all at once; below 2.26 the client
/// refuses the call before anything is sent.
#[tokio::test]
async fn a_servers_tags_are_added_checked_replaced_and_removed_from_2_26() {
    let cloud = FakeCloud::builder().transition_polls(1).start().await;
    let id = cloud.add_server("tags-1");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let server = compute.server(&id);
    let tags = server.tags();

    assert_eq!(tags.add("web").send().await.unwrap().status(), 201);
    assert_eq!(tags.add("web").send().await.unwrap().status(), 204);
    assert!(*tags.contains("web").send().await.unwrap());
    assert!(!*tags.contains("db").send().await.unwrap());
    assert_eq!(tags.list().send().await.unwrap().tags, vec!["web".to_string()]);

    let replaced = tags
        .replace(vec!["a".to_string(), "b".to_string()])
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.tags, vec!["a".to_string(), "b".to_string()]);
    assert!(!*tags.contains("web").send().await.unwrap());
    // The server shows them.
    let shown = server.show().send().await.unwrap();
    assert_eq!(shown.tags, Some(vec!["a".to_string(), "b".to_string()]));

    assert_eq!(tags.delete("a").send().await.unwrap().status(), 204);
    let err = tags.delete("a").send().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert_eq!(err.api().unwrap().message(), format!("Instance {id} has no tag 'a'"));
    assert_eq!(tags.list().send().await.unwrap().tags, vec!["b".to_string()]);
    assert_eq!(tags.clear().send().await.unwrap().status(), 204);
    assert!(tags.list().send().await.unwrap().tags.is_empty());

    // Nova checks the status (not the lock) before a change.
    server.lock().send().await.unwrap();
    assert_eq!(tags.add("locked-ok").send().await.unwrap().status(), 201);
    server.unlock().send().await.unwrap();
    server.reset_state(ResetStateTarget::Error).send().await.unwrap();
    let err = tags.add("x").send().await.unwrap_err();
    assert_eq!(
        err.api().unwrap().message(),
        format!("Cannot 'update tag' instance {id} while it is in vm_state error")
    );
    assert!(*tags.contains("locked-ok").send().await.unwrap());

    // Below 2.26 there are no tags: pinned, or on a cloud that stops at 2.25, the client
    // refuses the call and nothing reaches Nova.
    let before = cloud.received_requests();
    let err = tags
        .list()
        .at_microversion(Microversion::new(2, 25))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action, "{err}");
    assert_eq!(cloud.received_requests(), before);
    let old = FakeCloud::builder()
        .microversions(Microversion::new(2, 1), Microversion::new(2, 25))
        .start()
        .await;
    let old_id = old.add_server("tags-old");
    let old_compute = Compute::new(old.config().build().unwrap()).unwrap();
    old_compute.server(&old_id).show().send().await.unwrap();
    let before = old.received_requests();
    let err = old_compute.server(&old_id).tags().add("x").send().await.unwrap_err();
    assert!(err.api().is_none(), "refused by the client, not by Nova: {err}");
    assert_eq!(old.received_requests(), before);
}

/// A server's addresses, security groups and encrypted password through the client: what the
/// server keeps, as Nova's sub-resource APIs show it.
#[tokio::test]
async fn a_servers_addresses_security_groups_and_password_are_what_it_keeps() {
    let cloud = FakeCloud::builder().transition_polls(1).start().await;
    let id = cloud.add_server("net-1");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let server = compute.server(&id);

    // The fake's default address, then the ones Neutron gave it.
    let listed = server.addresses().list().send().await.unwrap();
    let private = &listed.addresses["private"];
    assert_eq!((private[0].addr.as_str(), private[0].version), ("192.168.1.30", 4));
    cloud
        .update_server(
            &id,
            json!({"addresses": {"tenant": [
                {"addr": "10.0.0.7", "version": 4, "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:07", "OS-EXT-IPS:type": "fixed"},
                {"addr": "2001:db8::7", "version": 6, "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:07", "OS-EXT-IPS:type": "fixed"}
            ]}}),
        )
        .unwrap();
    let one = server.addresses().get("tenant").send().await.unwrap();
    let tenant: Vec<(&str, i64)> = one.addresses["tenant"]
        .iter()
        .map(|a| (a.addr.as_str(), a.version))
        .collect();
    assert_eq!(tenant, vec![("10.0.0.7", 4), ("2001:db8::7", 6)]);
    assert_eq!(one.addresses.len(), 1);
    // The server shows them too, with the MAC its detailed view adds.
    let shown = server.show().send().await.unwrap();
    let on_server = &shown.addresses.as_ref().unwrap()["tenant"];
    assert_eq!(on_server[1].mac_addr.as_deref(), Some("fa:16:3e:00:00:07"));
    let err = server.addresses().get("private").send().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert_eq!(
        err.api().unwrap().message(),
        "Instance is not a member of specified network"
    );

    let groups = server.security_groups().list().collect().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].name.as_str(), groups[0].rules.len()), ("default", 0));
    assert_eq!(shown.security_groups.as_ref().unwrap()[0].name, groups[0].name);

    // No password until the guest posts one; then it is shown, never in Debug; a clear
    // empties it.
    assert_eq!(
        server.password().get().send().await.unwrap().password.expose_secret(),
        ""
    );
    let posted = "c2VjcmV0IGVuY3J5cHRlZCBwYXNzd29yZA==";
    cloud.update_server(&id, json!({"password": posted})).unwrap();
    let shown = server.password().get().send().await.unwrap();
    assert_eq!(shown.password.expose_secret(), posted);
    assert!(!format!("{:?}", *shown).contains(posted));
    assert_eq!(server.password().clear().send().await.unwrap().status(), 204);
    assert_eq!(
        server.password().get().send().await.unwrap().password.expose_secret(),
        ""
    );

    // What the fake keeps is checked: a field no sub-resource keeps, a value of the wrong kind.
    assert!(cloud.update_server(&id, json!({"flavor": {}})).is_err());
    assert!(cloud.update_server(&id, json!({"tags": {"a": 1}})).is_err());
    assert!(cloud.update_server("no-such", json!({"tags": []})).is_err());
}

/// A server group keeps one policy, which each microversion shows in its own form: a list of
/// one with an empty `metadata` before 2.64, `policy` with its `rules` from 2.64; the owner
/// from 2.13. What a microversion does not have is refused before anything is sent.
#[tokio::test]
async fn server_groups_show_their_policy_in_each_microversions_form() {
    use openstack_compute::ops::show_server_group;
    use openstack_compute::types::{ServerGroupPolicy, ServerGroupRules};
    use openstack_compute::{ActionError, Error};

    let cloud = FakeCloud::start().await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let groups = compute.server_groups();
    let v2_1 = Microversion::new(2, 1);

    // 2.64+: one policy, and the rules of an anti-affinity group.
    let rules = ServerGroupRules {
        max_server_per_host: Some(2),
    };
    let web = groups
        .create("web", ServerGroupPolicy::AntiAffinity)
        .rules(rules.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(web.status(), 200);
    assert_eq!(web.microversion(), Some(Microversion::MAX));
    assert_eq!(web.name, "web");
    assert_eq!(web.policy, Some(ServerGroupPolicy::AntiAffinity));
    assert_eq!(web.rules, Some(rules.clone()));
    assert_eq!((web.policies.as_ref(), web.metadata.as_ref()), (None, None));
    assert!(web.members.is_empty());
    // The fake's Keystone project and user.
    assert_eq!(web.project_id.as_deref(), Some("fake-project"));
    assert_eq!(web.user_id.as_deref(), Some("fake-user"));

    // 2.1: the list of one and the empty metadata, no owner.
    let db = groups
        .create_with_policies("db", vec![ServerGroupPolicy::Affinity])
        .at_microversion(v2_1)
        .send()
        .await
        .unwrap();
    assert_eq!(db.microversion(), Some(v2_1));
    assert_eq!(db.policies, Some(vec![ServerGroupPolicy::Affinity]));
    assert_eq!(db.metadata, Some(Default::default()));
    assert_eq!((db.policy.as_ref(), db.rules.as_ref()), (None, None));
    assert_eq!(db.project_id, None);

    // Each shows in the form of the microversion asked for, whichever made it.
    let shown = compute
        .server_group(&db.id)
        .show()
        .send_pinned::<show_server_group::V2_64>()
        .await
        .unwrap();
    assert_eq!(shown.policy, ServerGroupPolicy::Affinity);
    assert_eq!(shown.rules, ServerGroupRules::default());
    assert_eq!(shown.project_id, "fake-project");
    let old = compute
        .server_group(&web.id)
        .show()
        .send_pinned::<show_server_group::V2_13>()
        .await
        .unwrap();
    assert_eq!(old.policies, [ServerGroupPolicy::AntiAffinity]);
    assert!(old.metadata.is_empty());
    assert_eq!(old.user_id, "fake-user");

    // The list pages by offset, oldest first, in the microversion's form: pages of one,
    // and the empty third page ends it.
    let before = cloud.received_requests();
    let all = groups.list().limit(1).collect().await.unwrap();
    assert_eq!(cloud.received_requests() - before, 3);
    let names: Vec<&str> = all.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["web", "db"]);
    assert_eq!(all[1].policy, Some(ServerGroupPolicy::Affinity));
    let page = groups.list().offset(1).at_microversion(v2_1).send().await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].policies, Some(vec![ServerGroupPolicy::Affinity]));
    assert_eq!(groups.find_by_name("db").await.unwrap().id, db.id);

    // Outside their microversions, nothing is sent: `rules` before 2.64, a soft policy
    // before 2.15, and a create method outside its range.
    let sent = cloud.received_requests();
    let err = groups
        .create_with_policies("x", vec![ServerGroupPolicy::AntiAffinity])
        .rules(rules)
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Action(ActionError::FieldOutOfRange { field, version, .. }) => {
            assert_eq!(field, "rules");
            assert_eq!(*version, Microversion::new(2, 63));
        }
        other => panic!("{other:?}"),
    }
    let err = groups
        .create_with_policies("x", vec![ServerGroupPolicy::SoftAffinity])
        .at_microversion(Microversion::new(2, 14))
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Action(ActionError::ValueOutOfRange {
            field, value, range, ..
        }) => {
            assert_eq!((field.as_str(), value.as_str()), ("policies[0]", "\"soft-affinity\""));
            assert_eq!(range.min, Microversion::new(2, 15));
        }
        other => panic!("{other:?}"),
    }
    let err = groups
        .create("x", ServerGroupPolicy::Affinity)
        .at_microversion(Microversion::new(2, 63))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action, "{err:?}");
    assert_eq!(cloud.received_requests(), sent);

    // Delete, then Nova's 404.
    let gone = compute.server_group(&db.id).delete().send().await.unwrap();
    assert_eq!(gone.status(), 204);
    let err = compute.server_group(&db.id).show().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        err.api().unwrap().message(),
        format!("Instance group {} could not be found.", db.id)
    );
    let left = groups.list().collect().await.unwrap();
    assert_eq!(
        left.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(),
        [web.id.as_str()]
    );
}

/// The project's limits, as each microversion shows them: the network proxies' quotas until
/// 2.35, `maxImageMeta` until 2.38, the injected file quotas until 2.56.
#[tokio::test]
async fn limits_show_the_quotas_of_the_microversion() {
    let cloud = FakeCloud::start().await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let limits = compute.limits();

    let now = limits.show().send().await.unwrap();
    let a = &now.absolute;
    // Nova's default quotas, and the seed's usage (none).
    assert_eq!(
        (a.max_total_instances, a.max_total_cores, a.max_total_ram_size),
        (10, 20, 51200)
    );
    assert_eq!((a.max_server_groups, a.max_server_group_members), (10, 10));
    assert_eq!((a.total_instances_used, a.total_ram_used), (0, 0));
    assert_eq!((a.max_image_meta, a.max_personality), (None, None));
    assert_eq!(a.max_security_groups, None);
    assert!(now.rate.is_empty());

    let at = |minor| limits.show().at_microversion(Microversion::new(2, minor));
    let v2_1 = at(1).send().await.unwrap();
    assert_eq!(v2_1.absolute.max_security_groups, Some(-1));
    assert_eq!(v2_1.absolute.max_image_meta, Some(128));
    let v2_36 = at(36).send().await.unwrap();
    assert_eq!(v2_36.absolute.max_total_floating_ips, None);
    assert_eq!(v2_36.absolute.max_image_meta, Some(128));
    let v2_39 = at(39).send().await.unwrap();
    assert_eq!(v2_39.absolute.max_image_meta, None);
    assert_eq!(v2_39.absolute.max_personality_size, Some(10240));
}

/// The availability zones: the seeded `nova`, and any added, in the short and the detailed
/// list alike (the fake keeps no services, so no zone lists hosts).
#[tokio::test]
async fn availability_zones_list_their_names_and_states() {
    let cloud = FakeCloud::start().await;
    cloud
        .add_item(
            "availability_zone",
            json!({"zoneName": "az-down", "zoneState": {"available": false}, "hosts": null}),
        )
        .unwrap();
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let zones = compute.availability_zones();
    let short = zones.list().collect().await.unwrap();
    let detailed = zones.list_detail().collect().await.unwrap();
    for list in [short, detailed] {
        let seen: Vec<(String, bool)> = list
            .into_iter()
            .map(|z| {
                assert_eq!(z.hosts, None);
                (z.zone_name, z.zone_state.available)
            })
            .collect();
        assert_eq!(seen, [("nova".to_string(), true), ("az-down".to_string(), false)]);
    }
}

/// The fake places servers as Nova's scheduler does for their server group: an
/// anti-affinity group's servers on different hosts (two by default, as the real sandbox),
/// and a third fails to build with Nova's reason; the group lists its members, and a deleted
/// server leaves it. An unknown group is Nova's 400.
#[tokio::test]
async fn server_groups_place_their_servers_in_the_fake() {
    use openstack_compute::types::{SchedulerHints, ServerGroupPolicy};
    let cloud = FakeCloud::start().await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let wait = cloud.wait_options(Duration::from_secs(60));
    let group = compute
        .server_groups()
        .create("spread", ServerGroupPolicy::AntiAffinity)
        .send()
        .await
        .unwrap();
    let hints = SchedulerHints {
        group: Some(group.id.clone()),
        ..SchedulerHints::default()
    };
    let create = |name: &str| {
        compute
            .servers()
            .create(name, testing::IMAGE_ID, testing::FLAVOR_ID)
            .networks(Networks::None)
            .scheduler_hints(hints.clone())
    };
    let a = create("a").wait(wait.clone()).await.unwrap();
    let b = create("b").wait(wait.clone()).await.unwrap();
    let hosts: Vec<String> = [&a, &b]
        .iter()
        .map(|c| c.server().host.value().cloned().unwrap())
        .collect();
    assert_eq!(hosts, ["compute1", "compute2"]);
    let err = create("c").wait(wait.clone()).await.unwrap_err();
    let reason = err
        .as_wait()
        .and_then(|w| w.reason())
        .and_then(|r| r.message())
        .map(str::to_string);
    assert_eq!(
        reason.as_deref(),
        Some("No valid host was found. There are not enough hosts available."),
        "{err}"
    );
    let shown = compute.server_group(group.id.clone()).show().send().await.unwrap();
    assert_eq!(shown.members, [a.server().id.clone(), b.server().id.clone()]);
    compute
        .server(&a.server().id)
        .delete()
        .wait(wait.clone())
        .await
        .unwrap();
    let shown = compute.server_group(group.id.clone()).show().send().await.unwrap();
    assert_eq!(shown.members, [b.server().id.clone()]);

    let unknown = SchedulerHints {
        group: Some("00000000-0000-4000-8000-0000000000ff".into()),
        ..SchedulerHints::default()
    };
    let err = compute
        .servers()
        .create("lost", testing::IMAGE_ID, testing::FLAVOR_ID)
        .networks(Networks::None)
        .scheduler_hints(unknown)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.api().map(|a| a.message())),
        (
            Some(400),
            Some("Instance group 00000000-0000-4000-8000-0000000000ff could not be found.")
        )
    );
}

/// A server's volumes through the client: attached (200 with the attachment below 2.101, 202
/// with nothing from 2.101), each attach and detach an instance action whose end is where the
/// attachment appears or goes, listed and shown in each microversion's form, its
/// `delete_on_termination` changed (2.85+), a swap refused as Nova refuses it to all but the
/// block storage service, and a field outside its microversion refused before anything is sent.
#[tokio::test]
async fn a_servers_volumes_are_attached_listed_shown_and_detached_through_their_actions() {
    const VOLUME: &str = "a07f71dc-8151-4e7d-a0cc-cd24a3f11113";
    const SECOND: &str = "227cc671-f30b-4488-96fd-7d0bf13648d8";
    let cloud = FakeCloud::builder().transition_polls(2).start().await;
    let id = cloud.add_server("vol-1");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let server = compute.server(&id);
    let volumes = server.volume_attachments();
    let options = WaitOptions::new(Duration::from_secs(60)).clock(cloud.clock());
    assert!(volumes.list().collect().await.unwrap().is_empty());

    // 2.79: the answer is the attachment as it will be; the wait follows the action, then
    // shows it (at the newest microversion: with its attachment's IDs, without `id`).
    let attached = volumes
        .attach(VOLUME)
        .tag("data")
        .delete_on_termination(true)
        .at_microversion(Microversion::new(2, 79))
        .wait(options.clone())
        .await
        .unwrap();
    assert_eq!(attached.output.status(), 200);
    assert_eq!(attached.output.id.as_deref(), Some(VOLUME));
    assert_eq!(attached.output.server_id.as_deref(), Some(id.as_str()));
    assert_eq!(attached.output.tag.as_deref(), Some("data"));
    assert_eq!(attached.item.volume_id, VOLUME);
    assert_eq!(attached.item.id, None);
    assert!(attached.item.attachment_id.is_some() && attached.item.bdm_uuid.is_some());
    let action = attached.action.unwrap();
    assert_eq!(action.action, "attach_volume");
    assert_eq!(action.events.len(), 1);
    assert_eq!(action.events[0].event, "compute_attach_volume");
    assert_eq!(action.events[0].result.as_deref(), Some("Success"));

    // Each microversion's form: `id` until 2.88, `attachment_id` from 2.89.
    let old = volumes
        .list()
        .at_microversion(Microversion::new(2, 79))
        .send()
        .await
        .unwrap();
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].id.as_deref(), Some(VOLUME));
    assert_eq!(old[0].attachment_id, None);
    assert_eq!(old[0].delete_on_termination.as_ref().map(|b| b.get()), Some(true));
    let shown = volumes
        .get(VOLUME)
        .at_microversion(Microversion::new(2, 89))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.id, None);
    assert_eq!(shown.attachment_id, attached.item.attachment_id);
    assert_eq!(shown.server_id, id);
    assert_eq!(shown.tag.as_deref(), Some("data"));

    // 2.101: 202 and nothing else; the attachment is not there until its action has ended.
    let second = volumes.attach(SECOND).send().await.unwrap();
    assert_eq!(second.status(), 202);
    assert_eq!(second.id, None);
    let err = volumes.get(SECOND).send().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert_eq!(
        err.api().unwrap().message(),
        format!("Instance {id} is not attached to volume {SECOND}")
    );
    let rid = second.request_id().unwrap().to_string();
    let done = server.wait_for_action(&rid, options.clone()).await.unwrap();
    assert_eq!(done.action, "attach_volume");
    assert_eq!(volumes.list().collect().await.unwrap().len(), 2);

    // 2.85+: the attachment's own ID changes `delete_on_termination` only, and records nothing;
    // another swaps, which Nova refuses to anyone but the block storage service.
    let updated = volumes
        .update(SECOND, SECOND)
        .delete_on_termination(true)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 202);
    let shown = volumes.get(SECOND).send().await.unwrap();
    assert_eq!(shown.delete_on_termination.as_ref().map(|b| b.get()), Some(true));
    let err = volumes.update(SECOND, VOLUME).send().await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert_eq!(
        err.api().unwrap().message(),
        format!("volume {SECOND} is not migrating; this API should only be called by Cinder")
    );
    let err = volumes
        .update(SECOND, SECOND)
        .at_microversion(Microversion::new(2, 84))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409), "below 2.85 every update is a swap: {err}");

    // The detach ends when the attachment is gone.
    let gone = volumes.detach(VOLUME).wait(options.clone()).await.unwrap();
    assert_eq!(gone.output.status(), 202);
    assert_eq!(gone.action.unwrap().action, "detach_volume");
    let left = volumes.list().collect().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].volume_id, SECOND);
    let err = volumes.detach(VOLUME).send().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");

    // What was recorded: two attaches and a detach, no swap.
    let actions: Vec<String> = cloud.recorded_actions(&id).into_iter().map(|(a, _)| a).collect();
    assert_eq!(actions, ["attach_volume", "attach_volume", "detach_volume"]);

    // A locked server refuses an attach; a field outside its microversion is refused before
    // anything is sent.
    server.lock().send().await.unwrap();
    let err = volumes.attach(VOLUME).send().await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert_eq!(err.api().unwrap().message(), format!("Instance {id} is locked"));
    server.unlock().send().await.unwrap();
    let before = cloud.received_requests();
    for call in [
        volumes
            .attach(VOLUME)
            .tag("x")
            .at_microversion(Microversion::new(2, 48)),
        volumes
            .attach(VOLUME)
            .delete_on_termination(true)
            .at_microversion(Microversion::new(2, 78)),
        volumes.attach(VOLUME).device("vdb"),
    ] {
        let err = call.send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Action, "{err}");
    }
    assert_eq!(cloud.received_requests(), before);
}

/// A server's ports through the client: its own port listed, a port attached with a tag at
/// 2.49 (Nova answers once the host has plugged it in: the action has finished by then), shown
/// with its tag from 2.70, a new port on a network at a requested address, and a detach waited
/// for until the port is no longer the server's.
#[tokio::test]
async fn a_servers_ports_are_attached_with_a_tag_and_detached() {
    const PORT: &str = "ce531f90-199f-48c0-816c-13e38010b442";
    const NET: &str = "3cb9bc59-5699-4588-a4b1-b87f96708bc6";
    let cloud = FakeCloud::builder().transition_polls(2).start().await;
    let id = cloud.add_server("nic-1");
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let server = compute.server(&id);
    let ports = server.interfaces();
    let options = WaitOptions::new(Duration::from_secs(60)).clock(cloud.clock());
    let own = ports.list().collect().await.unwrap();
    assert_eq!(own.len(), 1, "the port the server was built with");

    let attached = ports
        .attach()
        .port_id(PORT)
        .tag("nic1")
        .at_microversion(Microversion::new(2, 49))
        .send()
        .await
        .unwrap();
    assert_eq!(attached.status(), 200);
    assert_eq!(attached.port_id, PORT);
    assert_eq!(attached.tag, None, "the answer shows the tag from 2.70 only");
    // Finished when Nova answered: no wait needed.
    let rid = attached.request_id().unwrap().to_string();
    let action = server.instance_actions().get(&rid).send().await.unwrap();
    assert_eq!(action.action, "attach_interface");
    assert_eq!(action.events[0].event, "compute_attach_interface");
    assert!(action.events.iter().all(|e| e.finish_time.is_some()));
    let shown = ports
        .get(PORT)
        .at_microversion(Microversion::new(2, 70))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.tag.as_deref(), Some("nic1"));
    assert_eq!(shown.port_state, "ACTIVE");

    // A new port on a network, at the address asked for (the subnet is the network's).
    let made = ports
        .attach()
        .net_id(NET)
        .fixed_ips(vec![openstack_compute::types::RequestedIp {
            ip_address: "192.168.1.40".into(),
        }])
        .send()
        .await
        .unwrap();
    let ips = made.fixed_ips.clone().unwrap_or_default();
    assert_eq!(ips.len(), 1);
    assert_eq!(ips[0].ip_address, "192.168.1.40");
    assert!(!ips[0].subnet_id.is_empty());
    assert_ne!(made.port_id, PORT);
    assert_eq!(ports.list().collect().await.unwrap().len(), 3);

    // The detach goes on after the answer; its wait ends when the port is not the server's.
    let gone = ports.detach(PORT).wait(options).await.unwrap();
    assert_eq!(gone.output.status(), 202);
    assert_eq!(gone.action.unwrap().action, "detach_interface");
    let err = ports.get(PORT).send().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert_eq!(
        err.api().unwrap().message(),
        format!("Instance {id} does not have a port with id {PORT}")
    );

    // A tag below 2.49 is refused before anything is sent.
    let before = cloud.received_requests();
    let err = ports
        .attach()
        .port_id(PORT)
        .tag("x")
        .at_microversion(Microversion::new(2, 48))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action, "{err}");
    assert_eq!(cloud.received_requests(), before);
}
