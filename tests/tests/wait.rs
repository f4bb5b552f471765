//! Waiters against scripted Nova behaviour: each test mounts the sequence of server and
//! instance-action bodies Nova produces for a case (one body per poll; the last repeats), and
//! waits on a [`ManualClock`], so the waits take no real time and every count is exact,
//! whatever the machine is doing.

use std::sync::Arc;
use std::time::Duration;

use openstack_compute::testing::ManualClock;
use openstack_compute::types::{RebootType, ResetStateTarget, ServerStatus};
use openstack_compute::wait::{Deletion, FailureReason, Outcome, WaitError};
use openstack_compute::{Compute, Error, Microversion, VersionStrategy, WaitOptions};
use serde_json::{Value, json};
use tests::mock::{MockCloud, Script};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const SERVER: &str = "8f2c3a4e-6b1d-4f0e-9a7c-2d5e8b1f4c60";
const RID: &str = "req-00000000-0000-4000-8000-00000000c0de";

fn server(status: &str, task_state: Option<&str>) -> Value {
    let mut body = tests::mock::server_json(SERVER, status);
    body["server"]["OS-EXT-STS:task_state"] = json!(task_state);
    body
}

fn broken(status: &str, message: &str) -> Value {
    let mut body = server(status, None);
    body["server"]["fault"] = json!({"code": 500, "created": "2026-01-01T00:00:09Z", "message": message});
    body
}

/// An instance action as Nova shows it at 2.84+: `events` as `(name, finished, result)`.
fn action(name: &str, events: &[(&str, bool, Option<&str>)]) -> Value {
    let events: Vec<Value> = events
        .iter()
        .map(|(event, finished, result)| {
            json!({"event": event, "start_time": "2026-01-01T00:00:01.000000",
                "finish_time": if *finished { json!("2026-01-01T00:00:05.000000") } else { Value::Null },
                "result": result, "hostId": "h", "details": null})
        })
        .collect();
    json!({"instanceAction": {"action": name, "instance_uuid": SERVER, "message": null, "project_id": "p-123",
        "request_id": RID, "start_time": "2026-01-01T00:00:00.000000", "user_id": "u-1",
        "updated_at": "2026-01-01T00:00:05.000000", "events": events}})
}

fn options(clock: &Arc<ManualClock>) -> WaitOptions {
    WaitOptions::new(Duration::from_secs(60))
        .jitter(0.0)
        .clock(clock.clone())
}

struct Case {
    cloud: MockCloud,
    compute: Compute,
    shows: Script,
    actions: Script,
    clock: Arc<ManualClock>,
}

/// A cloud at `max` where the call answers 202 with the request ID `RID`, show answers the
/// `shows` in turn and the instance action the `actions` (an empty list: not recorded, 404).
async fn case(max: &str, shows: Vec<Value>, actions: Vec<Value>) -> Case {
    let cloud = MockCloud::start(max).await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(202).insert_header("x-openstack-request-id", RID))
        .mount(&cloud.server)
        .await;
    let shows = Script::new(shows);
    Mock::given(method("GET"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(shows.clone())
        .mount(&cloud.server)
        .await;
    let actions = Script::new(actions);
    Mock::given(method("GET"))
        .and(path(format!(
            "/compute/v2.1/servers/{SERVER}/os-instance-actions/{RID}"
        )))
        .respond_with(actions.clone())
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    Case {
        cloud,
        compute,
        shows,
        actions,
        clock: ManualClock::new(),
    }
}

fn wait_error(e: Error) -> WaitError {
    e.as_wait()
        .cloned()
        .unwrap_or_else(|| panic!("expected a wait error, got {e:?}"))
}

#[tokio::test]
async fn stop_of_a_server_in_error_waits_for_its_own_action_to_end() {
    // Nova accepts os-stop from ERROR and keeps showing ERROR (vm_state error) while the
    // task state is powering-off: ERROR is where it started, not where it ended. While the
    // action runs, polling it stands in for polling the server.
    let c = case(
        "2.100",
        vec![server("SHUTOFF", None)],
        vec![
            action("stop", &[("compute_stop_instance", false, None)]),
            action("stop", &[("compute_stop_instance", false, None)]),
            action("stop", &[("compute_stop_instance", true, Some("Success"))]),
        ],
    )
    .await;
    // Far from zero when the wait starts: `waited` is the time since, the sleeps' sum.
    c.clock.advance(Duration::from_secs(1000));
    let done = c.compute.server(SERVER).stop().wait(options(&c.clock)).await.unwrap();
    assert_eq!(done.server.status, ServerStatus::Shutoff);
    assert_eq!(done.outcome, Outcome::Ended);
    assert_eq!((c.actions.served(), c.shows.served(), done.polls), (3, 1, 4));
    assert_eq!(done.waited, c.clock.sleeps().iter().sum::<Duration>());

    // The event finished but the server still shows ERROR with the task in flight: not the end.
    let c = case(
        "2.100",
        vec![
            server("ERROR", Some("powering-off")),
            server("ERROR", Some("powering-off")),
            server("SHUTOFF", None),
        ],
        vec![action("stop", &[("compute_stop_instance", true, Some("Success"))])],
    )
    .await;
    let done = c.compute.server(SERVER).stop().wait(options(&c.clock)).await.unwrap();
    assert_eq!(done.server.status, ServerStatus::Shutoff);
    assert_eq!(c.shows.served(), 3);
}

#[tokio::test]
async fn hard_reboot_and_rescue_from_error_end_where_they_end() {
    for (status_during, task, end, key) in [
        ("ERROR", "reboot_started_hard", "ACTIVE", "reboot"),
        ("ERROR", "rescuing", "RESCUE", "rescue"),
    ] {
        let c = case(
            "2.100",
            vec![
                server(status_during, Some(task)),
                server(status_during, Some(task)),
                server(end, None),
            ],
            vec![action(key, &[("compute_event", true, Some("Success"))])],
        )
        .await;
        let handle = c.compute.server(SERVER);
        let end_status = if key == "reboot" {
            handle
                .reboot(RebootType::Hard)
                .wait(options(&c.clock))
                .await
                .unwrap()
                .server
                .status
        } else {
            handle.rescue().wait(options(&c.clock)).await.unwrap().server.status
        };
        assert_eq!(end_status.as_str(), end, "{key}");
        assert_eq!(c.shows.served(), 3, "{key}: ERROR with a task in flight is not the end");
    }
}

#[tokio::test]
async fn error_once_the_action_has_ended_fails_with_the_fault() {
    let c = case(
        "2.100",
        vec![broken("ERROR", "No valid host was found.")],
        vec![action("stop", &[("compute_stop_instance", true, Some("Success"))])],
    )
    .await;
    let err = c
        .compute
        .server(SERVER)
        .stop()
        .wait(options(&c.clock))
        .await
        .unwrap_err();
    match wait_error(err) {
        e @ WaitError::ServerError { .. } => {
            assert_eq!(
                e.to_string(),
                format!(
                    "server {SERVER} went to ERROR: No valid host was found. (server fault, code 500, request req-poll-0)"
                )
            );
            assert_eq!(e.meta().map(|m| m.status()), Some(200), "the show that saw it");
            let Some(FailureReason::ServerFault { fault, request_id }) = e.reason() else {
                panic!("{e:?}")
            };
            assert_eq!(fault.message, "No valid host was found.");
            assert_eq!(fault.code, 500);
            assert_eq!(request_id.as_deref(), Some("req-poll-0"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failed_event_fails_the_wait_and_names_it() {
    let c = case(
        "2.100",
        vec![server("ACTIVE", Some("resize_migrating"))],
        vec![
            action("resize", &[("compute_prep_resize", true, Some("Success"))]),
            action(
                "resize",
                &[
                    ("compute_prep_resize", true, Some("Success")),
                    ("compute_resize_instance", true, Some("Error")),
                ],
            ),
        ],
    )
    .await;
    let err = c
        .compute
        .server(SERVER)
        .resize("2")
        .wait(options(&c.clock))
        .await
        .unwrap_err();
    match wait_error(err) {
        WaitError::ActionFailed {
            request_id,
            failed_events,
            ..
        } => {
            assert_eq!(request_id, RID);
            assert_eq!(failed_events.len(), 1);
            assert_eq!(failed_events[0].event, "compute_resize_instance");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn trigger_crash_dump_is_done_only_when_its_recorded_event_has_finished() {
    // No task state: the action is recorded before its event exists; an action with zero
    // events has not started.
    let c = case(
        "2.100",
        vec![server("ACTIVE", None)],
        vec![
            action("trigger_crash_dump", &[]),
            action("trigger_crash_dump", &[]),
            action("trigger_crash_dump", &[("compute_trigger_crash_dump", false, None)]),
            action(
                "trigger_crash_dump",
                &[("compute_trigger_crash_dump", true, Some("Success"))],
            ),
        ],
    )
    .await;
    let done = c
        .compute
        .server(SERVER)
        .trigger_crash_dump()
        .wait(options(&c.clock))
        .await
        .unwrap();
    assert_eq!(c.actions.served(), 4);
    assert_eq!(c.shows.served(), 1);
    assert_eq!(done.action.unwrap().events.len(), 1);
}

#[tokio::test]
async fn an_action_nova_records_without_events_is_done_once_recorded() {
    // Reset state records `resetState` with no events, ever: recorded and the server idle is
    // the end, checked at once.
    let c = case("2.100", vec![server("ERROR", None)], vec![action("resetState", &[])]).await;
    let done = c
        .compute
        .server(SERVER)
        .reset_state(ResetStateTarget::Error)
        .wait(options(&c.clock))
        .await
        .unwrap();
    assert_eq!((c.actions.served(), c.shows.served(), done.polls), (1, 1, 2));
    assert_eq!(done.action.unwrap().action, "resetState");
    assert!(c.clock.sleeps().is_empty());
}

#[tokio::test]
async fn an_action_whose_events_the_api_finishes_is_checked_at_once() {
    // Lock's one event (`api_lock`) has finished before the call returns: no first sleep.
    let c = case(
        "2.100",
        vec![server("ACTIVE", None)],
        vec![action("lock", &[("api_lock", true, Some("Success"))])],
    )
    .await;
    let done = c.compute.server(SERVER).lock().wait(options(&c.clock)).await.unwrap();
    assert_eq!((c.actions.served(), c.shows.served(), done.polls), (1, 1, 2));
    assert_eq!(done.action.unwrap().events[0].event, "api_lock");
    assert!(c.clock.sleeps().is_empty());
}

#[tokio::test]
async fn an_api_action_never_recorded_is_not_waited_for() {
    // Nova records lock before it answers, or not at all (a server its owner locked before):
    // a 404 for the action then is final, and the server shown is the end.
    let c = case("2.100", vec![server("ACTIVE", None)], vec![]).await;
    let done = c.compute.server(SERVER).lock().wait(options(&c.clock)).await.unwrap();
    assert!(done.action.is_none());
    assert_eq!((c.actions.served(), c.shows.served(), done.polls), (1, 1, 2));
    assert!(c.clock.sleeps().is_empty());
}

#[tokio::test]
async fn a_status_the_operation_cannot_start_from_ends_it_before_any_event() {
    // Nova restores a soft-deleted server that has no host in the API: ACTIVE, no task, and
    // the action never gets an event.
    let c = case("2.100", vec![server("ACTIVE", None)], vec![action("restore", &[])]).await;
    let done = c
        .compute
        .server(SERVER)
        .restore()
        .wait(options(&c.clock))
        .await
        .unwrap();
    assert_eq!((c.actions.served(), c.shows.served(), done.polls), (1, 1, 2));
    assert_eq!(done.server.status, ServerStatus::Active);

    // A reboot may start from ACTIVE: ACTIVE and idle before its first event proves
    // nothing, and the wait goes on until max_wait.
    let c = case("2.100", vec![server("ACTIVE", None)], vec![action("reboot", &[])]).await;
    let err = c
        .compute
        .server(SERVER)
        .reboot(RebootType::Soft)
        .wait(options(&c.clock))
        .await
        .unwrap_err();
    match wait_error(err) {
        WaitError::Timeout { last_status, .. } => assert_eq!(last_status, None, "the server was never shown"),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.shows.served(), 0);
    assert!(c.actions.served() > 2);
}

#[tokio::test]
async fn a_resize_ends_in_verify_resize_or_confirmed_by_the_cloud() {
    let events = [
        ("compute_prep_resize", true, Some("Success")),
        ("compute_resize_instance", true, Some("Success")),
        ("compute_finish_resize", true, Some("Success")),
    ];
    // Waiting for confirmation.
    let c = case(
        "2.100",
        vec![server("VERIFY_RESIZE", None)],
        vec![action("resize", &events)],
    )
    .await;
    let done = c
        .compute
        .server(SERVER)
        .resize("2")
        .wait(options(&c.clock))
        .await
        .unwrap();
    assert_eq!(
        (done.server.status, done.outcome),
        (ServerStatus::VerifyResize, Outcome::Ended)
    );
    // Confirmed by the cloud before any poll saw VERIFY_RESIZE.
    let c = case("2.100", vec![server("ACTIVE", None)], vec![action("resize", &events)]).await;
    let done = c
        .compute
        .server(SERVER)
        .migrate()
        .wait(options(&c.clock))
        .await
        .unwrap();
    assert_eq!(
        (done.server.status, done.outcome),
        (ServerStatus::Active, Outcome::AutoConfirmed)
    );
    assert_eq!(c.shows.served(), 1);
}

#[tokio::test]
async fn polls_use_the_highest_microversion_so_a_call_pinned_below_2_51_sees_events() {
    let c = case(
        "2.96",
        vec![server("ACTIVE", Some("resize_migrating"))],
        vec![action("resize", &[("compute_resize_instance", true, Some("Error"))])],
    )
    .await;
    let err = c
        .compute
        .server(SERVER)
        .resize("2")
        .at_microversion(Microversion::new(2, 40))
        .wait(options(&c.clock))
        .await
        .unwrap_err();
    assert!(matches!(wait_error(err), WaitError::ActionFailed { .. }));
    let posted = c.cloud.server.received_requests().await.unwrap();
    let version_of = |r: &&wiremock::Request| {
        r.headers
            .get("openstack-api-version")
            .map(|v| v.to_str().unwrap().to_string())
    };
    let post = posted
        .iter()
        .find(|r| r.url.path() == MockCloud::action_path(SERVER))
        .unwrap();
    assert_eq!(version_of(&post).as_deref(), Some("compute 2.40"));
    let polls: Vec<_> = posted
        .iter()
        .filter(|r| r.url.path().contains("os-instance-actions"))
        .collect();
    assert!(!polls.is_empty());
    assert!(
        polls.iter().all(|r| version_of(r).as_deref() == Some("compute 2.96")),
        "the action is polled at the server's highest"
    );
}

#[tokio::test]
async fn a_reboot_of_an_active_server_waits_for_its_own_action() {
    let c = case(
        "2.100",
        vec![server("ACTIVE", None)],
        vec![
            json!(null),
            action("reboot", &[("compute_reboot_instance", false, None)]),
            action("reboot", &[("compute_reboot_instance", true, Some("Success"))]),
        ],
    )
    .await;
    let done = c
        .compute
        .server(SERVER)
        .reboot(RebootType::Soft)
        .wait(options(&c.clock))
        .await
        .unwrap();
    assert_eq!(done.server.status, ServerStatus::Active);
    assert_eq!(c.actions.served(), 3, "not recorded, running, finished");
    assert_eq!(c.shows.served(), 1);
}

#[tokio::test]
async fn timeout_reports_the_last_status_and_task_state_after_max_wait_of_clock_time() {
    let c = case("2.100", vec![server("ACTIVE", Some("powering-off"))], vec![]).await;
    // The clock is far from zero when the wait starts: only the time since counts.
    c.clock.advance(Duration::from_secs(1000));
    let options = WaitOptions::new(Duration::from_secs(20))
        .jitter(0.0)
        .clock(c.clock.clone());
    let err = c.compute.server(SERVER).stop().wait(options).await.unwrap_err();
    match wait_error(err) {
        WaitError::ActionNotFound { request_id, .. } => assert_eq!(request_id, RID),
        other => panic!("{other:?}"),
    }
    // 2 s before the first poll (an action with events), then 3 s each: the next sleep would
    // pass 20 s.
    let slept: Duration = c.clock.sleeps().iter().sum();
    assert!(slept <= Duration::from_secs(20), "{slept:?}");
    assert_eq!(
        c.clock.sleeps(),
        [2000, 3000, 3000, 3000, 3000, 3000, 3000].map(Duration::from_millis)
    );
    assert_eq!(
        c.actions.served(),
        7,
        "a poll after each sleep, and none before the first"
    );

    let c = case(
        "2.100",
        vec![server("ACTIVE", Some("powering-off"))],
        vec![action("stop", &[("compute_stop_instance", true, Some("Success"))])],
    )
    .await;
    let options = WaitOptions::new(Duration::from_secs(10))
        .jitter(0.0)
        .clock(c.clock.clone());
    match wait_error(c.compute.server(SERVER).stop().wait(options).await.unwrap_err()) {
        e @ WaitError::Timeout { .. } => {
            assert_eq!(
                e.to_string(),
                format!("gave up after 8s: server {SERVER} is ACTIVE (task state powering-off)")
            );
            assert!(e.meta().is_none());
            let WaitError::Timeout {
                last_status,
                task_state,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!(last_status, Some(ServerStatus::Active));
            assert_eq!(task_state.map(|t| t.to_string()).as_deref(), Some("powering-off"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_error_other_than_404_while_polling_is_the_error_not_a_disappearance() {
    // A 403 on the server show (a policy that hides it) is not "gone"; one on the instance
    // action is not "not recorded yet".
    for (shows, actions) in [
        (
            vec![json!({"forbidden": {"code": 403, "message": "Policy doesn't allow it."}})],
            vec![],
        ),
        (
            vec![server("SHUTOFF", None)],
            vec![json!({"forbidden": {"code": 403, "message": "Policy doesn't allow it."}})],
        ),
    ] {
        let first_is_show = actions.is_empty();
        let c = case("2.100", shows, actions).await;
        let err = if first_is_show {
            c.compute
                .server(SERVER)
                .wait_for_status(&[ServerStatus::Shutoff], options(&c.clock))
                .await
                .unwrap_err()
        } else {
            c.compute
                .server(SERVER)
                .stop()
                .wait(options(&c.clock))
                .await
                .unwrap_err()
        };
        assert_eq!(err.kind(), openstack_compute::ErrorKind::Forbidden, "{err}");
    }
}

#[tokio::test]
async fn a_backup_waits_for_the_task_state_even_once_its_action_has_finished() {
    // createBackup leaves the status alone and sets a task state: a finished action with the
    // server still uploading is not the end.
    let c = case(
        "2.100",
        vec![
            server("ACTIVE", Some("image_uploading")),
            server("ACTIVE", Some("image_uploading")),
            server("ACTIVE", None),
        ],
        vec![action(
            "createBackup",
            &[("compute_backup_instance", true, Some("Success"))],
        )],
    )
    .await;
    // At 2.44 a backup with rotation 0 answers 202 with no body (and no Location).
    let done = c
        .compute
        .server(SERVER)
        .create_backup("snap", "daily", 0)
        .at_microversion(Microversion::new(2, 44))
        .wait(options(&c.clock))
        .await
        .unwrap();
    assert_eq!(done.server.status, ServerStatus::Active);
    assert_eq!(c.shows.served(), 3);
}

#[test]
fn intervals_grow_by_the_backoff_up_to_the_cap() {
    let o = WaitOptions::new(Duration::from_secs(600))
        .initial_interval(Duration::from_millis(100))
        .backoff(2.0)
        .max_interval(Duration::from_millis(500));
    let got: Vec<u128> = (0..5).map(|n| o.interval(n).as_millis()).collect();
    assert_eq!(got, [100, 200, 400, 500, 500]);
}

#[tokio::test]
async fn a_429_during_polling_is_retried_and_the_wait_goes_on() {
    let c = case(
        "2.100",
        vec![server("SHUTOFF", None)],
        vec![action("stop", &[("compute_stop_instance", true, Some("Success"))])],
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"overLimit": {"message": "slow down", "code": 429}})),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&c.cloud.server)
        .await;
    let done = c.compute.server(SERVER).stop().wait(options(&c.clock)).await.unwrap();
    assert_eq!(done.server.status, ServerStatus::Shutoff);
    let shows = c
        .cloud
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with(SERVER) && r.method.as_str() == "GET")
        .count();
    assert_eq!(shows, 3, "two 429s retried, then the body");
}

#[tokio::test]
async fn dropping_a_wait_stops_polling_after_the_polls_it_made() {
    let c = case(
        "2.100",
        vec![server("ACTIVE", Some("powering-off"))],
        vec![action("stop", &[("compute_stop_instance", false, None)])],
    )
    .await;
    let clock = c.clock.clone();
    let wait = c.compute.server(SERVER).stop().wait(options(&clock));
    // Poll the wait until it has sent three action polls, then drop it.
    let actions = c.actions.clone();
    tokio::select! {
        _ = wait => panic!("the wait cannot end: the action never finishes"),
        _ = async { while actions.served() < 3 { tokio::task::yield_now().await } } => {}
    }
    let seen = c.actions.served();
    assert!(seen >= 3);
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert_eq!(c.actions.served(), seen, "no poll after the drop");
}

#[tokio::test]
async fn every_polling_loop_grows_its_interval_and_stops_at_max_wait_counted_from_its_start() {
    // 1 s, then x2 up to 4 s, for 15 s: 1 + 2 + 4 + 4 + 4 = 15 exactly fits (only a sleep
    // that would pass max_wait is not taken); the clock is far from zero at the start.
    let schedule = |clock: &Arc<ManualClock>| {
        WaitOptions::new(Duration::from_secs(15))
            .initial_interval(Duration::from_secs(1))
            .backoff(2.0)
            .max_interval(Duration::from_secs(4))
            .jitter(0.0)
            .clock(clock.clone())
    };
    let expected = [1, 2, 4, 4, 4].map(Duration::from_secs);
    for which in ["status", "deleted", "action"] {
        let c = case("2.100", vec![server("ACTIVE", Some("deleting"))], vec![]).await;
        c.clock.advance(Duration::from_secs(500));
        let handle = c.compute.server(SERVER);
        let err = match which {
            "status" => handle
                .wait_for_status(&[ServerStatus::Shutoff], schedule(&c.clock))
                .await
                .map(|_| ()),
            "deleted" => handle.wait_for_deleted(schedule(&c.clock)).await.map(|_| ()),
            _ => handle.wait_for_action(RID, schedule(&c.clock)).await.map(|_| ()),
        }
        .unwrap_err();
        assert_eq!(err.kind(), openstack_compute::ErrorKind::Wait, "{which}: {err}");
        assert_eq!(c.clock.sleeps(), expected, "{which}");
        let polled = if which == "action" {
            c.actions.served()
        } else {
            c.shows.served()
        };
        assert_eq!(polled, 6, "{which}: one poll at once, one after each sleep");
    }
}

#[tokio::test]
async fn wait_for_deleted_is_done_at_the_404() {
    let c = case("2.100", vec![server("ACTIVE", Some("deleting"))], vec![]).await;
    Mock::given(method("GET"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"itemNotFound": {"message": "gone", "code": 404}})),
        )
        .with_priority(1)
        .up_to_n_times(10)
        .mount(&c.cloud.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(ResponseTemplate::new(204).insert_header("x-openstack-request-id", RID))
        .mount(&c.cloud.server)
        .await;
    // Gone at the first poll: a server that never launched is deleted by the API at once,
    // even on a cloud that defers deletes.
    let gone = c.compute.server(SERVER).delete().wait(options(&c.clock)).await.unwrap();
    assert_eq!(gone.output.request_id(), Some(RID));
    assert_eq!((gone.outcome, gone.polls), (Deletion::Deleted, 1));

    // Polled until the 404: two shows of the server still deleting, then gone.
    let c = case(
        "2.100",
        vec![
            server("ACTIVE", Some("deleting")),
            server("ACTIVE", Some("deleting")),
            Value::Null,
        ],
        vec![],
    )
    .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&c.cloud.server)
        .await;
    c.clock.advance(Duration::from_secs(1000));
    let gone = c.compute.server(SERVER).delete().wait(options(&c.clock)).await.unwrap();
    assert_eq!((c.shows.served(), gone.polls), (3, 3));
    assert_eq!(gone.waited, c.clock.sleeps().iter().sum::<Duration>());
    assert_eq!(c.clock.sleeps().len(), 2);
}

#[tokio::test]
async fn a_token_expiring_mid_wait_is_refreshed_and_the_wait_completes() {
    // Tokens that live 2 s are refreshed with half a second left: the client asks Keystone
    // again between polls (counted at Keystone, not computed from time).
    let cloud = MockCloud::start_with("2.100", 1).await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(202).insert_header("x-openstack-request-id", RID))
        .mount(&cloud.server)
        .await;
    let shows = Script::new(vec![server("ACTIVE", Some("powering-off")), server("SHUTOFF", None)]);
    Mock::given(method("GET"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(shows.clone())
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/compute/v2.1/servers/{SERVER}/os-instance-actions/{RID}"
        )))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(action("stop", &[("compute_stop_instance", true, Some("Success"))])),
        )
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().version(VersionStrategy::HighestCommon).build().unwrap()).unwrap();
    let clock = ManualClock::new();
    compute.server(SERVER).stop().wait(options(&clock)).await.unwrap();
    assert!(cloud.tokens() >= 2, "a token whose life is nearly over is refreshed");
}

#[tokio::test]
async fn a_poll_that_never_answers_ends_the_wait_at_max_wait() {
    // No request timeout is set (the default): what bounds a poll is the wait's own budget,
    // on tokio's clock. Without it, each of these waits would hang; the guard turns a hang
    // into a failure.
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(202).insert_header("x-openstack-request-id", RID))
        .mount(&cloud.server)
        .await;
    let never = Duration::from_secs(3600);
    Mock::given(method("GET"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(server("SHUTOFF", None))
                .set_delay(never),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/compute/v2.1/servers/{SERVER}/os-instance-actions/{RID}"
        )))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(action("stop", &[("compute_stop_instance", true, Some("Success"))]))
                .set_delay(never),
        )
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    assert_eq!(compute.config().request_timeout, None);
    let server = compute.server(SERVER);
    let max_wait = Duration::from_millis(300);
    let guard = Duration::from_secs(120);

    // The action poll hangs: the call's action was never seen.
    let err = tokio::time::timeout(guard, server.stop().wait(WaitOptions::new(max_wait)))
        .await
        .expect("the wait outlasted its max_wait")
        .unwrap_err();
    match wait_error(err) {
        WaitError::ActionNotFound { request_id, waited } => {
            assert_eq!(request_id, RID);
            assert!(waited >= max_wait, "{waited:?}");
        }
        other => panic!("{other:?}"),
    }
    // The server show hangs.
    let err = tokio::time::timeout(guard, server.wait_for_deleted(WaitOptions::new(max_wait)))
        .await
        .expect("the wait outlasted its max_wait")
        .unwrap_err();
    match wait_error(err) {
        WaitError::Timeout {
            waited, last_status, ..
        } => {
            assert!(waited >= max_wait, "{waited:?}");
            assert_eq!(last_status, None);
        }
        other => panic!("{other:?}"),
    }
    let err = tokio::time::timeout(guard, server.wait_for_action(RID, WaitOptions::new(max_wait)))
        .await
        .expect("the wait outlasted its max_wait")
        .unwrap_err();
    assert!(matches!(wait_error(err), WaitError::ActionNotFound { .. }));
}

/// How `wait_for_action(RID)` gives up after 10 s on the case's clock.
async fn action_wait_error(c: &Case) -> WaitError {
    let options = WaitOptions::new(Duration::from_secs(10))
        .jitter(0.0)
        .clock(c.clock.clone());
    wait_error(
        c.compute
            .server(SERVER)
            .wait_for_action(RID, options)
            .await
            .unwrap_err(),
    )
}

#[tokio::test]
async fn wait_for_action_ends_at_the_record_of_an_action_nova_records_without_events() {
    // Reset state: the API does the work and records no events. Recorded is done, at once.
    let c = case("2.100", vec![], vec![action("resetState", &[])]).await;
    let options = WaitOptions::new(Duration::from_secs(10))
        .jitter(0.0)
        .clock(c.clock.clone());
    let recorded = c.compute.server(SERVER).wait_for_action(RID, options).await.unwrap();
    assert_eq!(recorded.action, "resetState");
    assert_eq!((c.actions.served(), c.clock.sleeps().len()), (1, 0));

    // Lock records an event (`api_lock`), and so does stop: recorded with none, they have
    // not started.
    for name in ["lock", "stop"] {
        let c = case("2.100", vec![], vec![action(name, &[])]).await;
        match action_wait_error(&c).await {
            WaitError::ActionUnfinished { unfinished_events, .. } => assert!(unfinished_events.is_empty()),
            other => panic!("{name}: {other:?}"),
        }
        assert!(c.actions.served() > 1, "{name}: polled until max_wait");
    }
}

#[tokio::test]
async fn wait_for_action_tells_a_running_action_from_one_never_recorded() {
    let c = case(
        "2.100",
        vec![],
        vec![action(
            "stop",
            &[
                ("compute_stop_instance", false, None),
                ("compute_prepare", true, Some("Success")),
            ],
        )],
    )
    .await;
    let e = action_wait_error(&c).await;
    assert_eq!(
        e.to_string(),
        format!("instance action {RID} had not finished within 8s (unfinished: compute_stop_instance)")
    );
    match e {
        WaitError::ActionUnfinished {
            request_id,
            unfinished_events,
            ..
        } => assert_eq!(
            (request_id.as_str(), unfinished_events.as_slice()),
            (RID, ["compute_stop_instance".to_string()].as_slice())
        ),
        other => panic!("{other:?}"),
    }

    // Never recorded (404 on every poll).
    let c = case("2.100", vec![], vec![]).await;
    assert!(matches!(action_wait_error(&c).await, WaitError::ActionNotFound { .. }));
}

/// `body` (an instance action as [`action`] writes it, at 2.84+) as Nova shows it to a
/// non-admin at 2.`minor`: `details` from 2.84, `hostId` from 2.62, `updated_at` from 2.58,
/// and no `events` at all before 2.51.
fn action_at(minor: u32, mut body: Value) -> Value {
    let action = &mut body["instanceAction"];
    if minor < 51 {
        action.as_object_mut().unwrap().remove("events");
    }
    if minor < 58 {
        action.as_object_mut().unwrap().remove("updated_at");
    }
    for event in action["events"].as_array_mut().into_iter().flatten() {
        let event = event.as_object_mut().unwrap();
        if minor < 84 {
            event.remove("details");
        }
        if minor < 62 {
            event.remove("hostId");
        }
    }
    body
}

/// `body` (an instance action) with `details` on its event named `event`.
fn with_details(mut body: Value, event: &str, details: &str) -> Value {
    for e in body["instanceAction"]["events"].as_array_mut().unwrap() {
        if e["event"] == event {
            e["details"] = json!(details);
        }
    }
    body
}

const NO_HOST: &str = "No valid host was found. There are not enough hosts available.";
const EXHAUSTED: &str =
    "Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures.";

/// The create of `SERVER`, answered 202 under the request ID `RID`.
async fn mount_create(c: &Case) {
    Mock::given(method("POST"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("x-openstack-request-id", RID)
                .set_body_json(
                    json!({"server": {"id": SERVER, "links": [], "OS-DCF:diskConfig": "MANUAL",
                    "security_groups": [{"name": "default"}]}}),
                ),
        )
        .mount(&c.cloud.server)
        .await;
}

async fn create_error(c: &Case) -> WaitError {
    mount_create(c).await;
    let err = c
        .compute
        .servers()
        .create("doomed", "70a599e0-31e7-49b7-b260-868f441e862b", "1")
        .networks(openstack_compute::types::Networks::None)
        .wait(options(&c.clock))
        .await
        .unwrap_err();
    wait_error(err)
}

fn failed_build(minor: u32) -> Value {
    action_at(
        minor,
        action(
            "create",
            &[("conductor_schedule_and_build_instances", true, Some("Error"))],
        ),
    )
}

#[tokio::test]
async fn below_2_51_a_failed_build_carries_the_fault_of_the_server_it_shows() {
    // A non-admin sees no events below 2.51: the action tells nothing, the server in ERROR
    // shows its fault, and the show that revealed it names the request to look up.
    let c = case("2.50", vec![broken("ERROR", NO_HOST)], vec![failed_build(50)]).await;
    let e = create_error(&c).await;
    assert!(matches!(e, WaitError::ServerError { .. }), "{e:?}");
    let Some(FailureReason::ServerFault { fault, request_id }) = e.reason() else {
        panic!("{e:?}")
    };
    assert_eq!((fault.message.as_str(), fault.code), (NO_HOST, 500));
    assert_eq!(request_id.as_deref(), Some("req-poll-0"));
    assert_eq!(
        e.to_string(),
        format!("server {SERVER} went to ERROR: {NO_HOST} (server fault, code 500, request req-poll-0)")
    );
    assert_eq!(c.shows.served(), 1);

    // ERROR with no fault (Nova records none for some failures): nothing to read, and the
    // error says what it could not see and why.
    let c = case("2.50", vec![server("ERROR", None)], vec![failed_build(50)]).await;
    let e = create_error(&c).await;
    let Some(FailureReason::Unavailable { why }) = e.reason() else {
        panic!("{e:?}")
    };
    assert_eq!(
        why,
        "Nova shows a non-admin an instance action's events only from 2.51 (this cloud goes up to 2.50); \
         the server is ERROR but shows no fault"
    );
    assert!(
        e.to_string().contains("went to ERROR: no reason available: Nova shows"),
        "{e}"
    );
    assert_eq!(e.reason().unwrap().message(), None);
}

#[tokio::test]
async fn between_2_51_and_2_83_a_failed_event_is_explained_by_the_fault_fetched_once() {
    // The failed event shows, without details (2.84+): the server is fetched once, and its
    // fault is the reason.
    let c = case("2.60", vec![broken("ERROR", NO_HOST)], vec![failed_build(60)]).await;
    let e = create_error(&c).await;
    let WaitError::ActionFailed {
        request_id,
        server_id,
        failed_events,
        reason,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((request_id.as_str(), server_id.as_str()), (RID, SERVER));
    assert_eq!(failed_events[0].event, "conductor_schedule_and_build_instances");
    let FailureReason::ServerFault { fault, request_id } = reason else {
        panic!("{reason:?}")
    };
    assert_eq!(fault.message, NO_HOST);
    assert_eq!(request_id.as_deref(), Some("req-poll-0"), "the one show");
    assert_eq!(c.shows.served(), 1, "the server is fetched once, for its fault");
    assert_eq!(
        e.to_string(),
        format!(
            "action {RID} on server {SERVER} failed at conductor_schedule_and_build_instances (Error): \
             {NO_HOST} (server fault, code 500, request req-poll-0)"
        )
    );

    // A resize that fails goes back to ACTIVE: no fault is shown, and no details before 2.84.
    let c = case(
        "2.60",
        vec![server("ACTIVE", None)],
        vec![action_at(
            60,
            action("resize", &[("compute_prep_resize", true, Some("Error"))]),
        )],
    )
    .await;
    let err = c
        .compute
        .server(SERVER)
        .resize("2")
        .wait(options(&c.clock))
        .await
        .unwrap_err();
    let e = wait_error(err);
    assert!(matches!(e, WaitError::ActionFailed { .. }), "{e:?}");
    assert_eq!(
        e.reason(),
        Some(&FailureReason::Unavailable {
            why: "Nova shows an event's details only from 2.84 (this cloud goes up to 2.60); \
                  Nova shows a server's fault only in ERROR or DELETED (the server is ACTIVE)"
                .into()
        })
    );
    assert_eq!(c.shows.served(), 1);
}

#[tokio::test]
async fn from_2_84_the_failed_event_s_details_are_the_reason_and_else_the_fault() {
    // Details filled: the reason, from the action response; the server is not fetched.
    let c = case(
        "2.100",
        vec![broken("ERROR", NO_HOST)],
        vec![
            action("create", &[("conductor_schedule_and_build_instances", false, None)]),
            with_details(failed_build(100), "conductor_schedule_and_build_instances", EXHAUSTED),
        ],
    )
    .await;
    let e = create_error(&c).await;
    assert_eq!(
        e.reason(),
        Some(&FailureReason::EventDetails {
            event: "conductor_schedule_and_build_instances".into(),
            details: EXHAUSTED.into(),
            request_id: Some("req-poll-1".into()),
        })
    );
    assert_eq!(e.reason().unwrap().message(), Some(EXHAUSTED));
    assert_eq!((c.actions.served(), c.shows.served()), (2, 0));
    assert!(
        e.to_string().ends_with(&format!(
            "{EXHAUSTED} (details of event conductor_schedule_and_build_instances, request req-poll-1)"
        )),
        "{e}"
    );

    // No details filled: the fault, fetched once.
    let c = case("2.100", vec![broken("ERROR", NO_HOST)], vec![failed_build(100)]).await;
    let e = create_error(&c).await;
    assert!(
        matches!(e.reason(), Some(FailureReason::ServerFault { fault, .. }) if fault.message == NO_HOST),
        "{e:?}"
    );
    assert_eq!(c.shows.served(), 1);

    // Neither: a failed resize, back in ACTIVE, with no details.
    let c = case(
        "2.100",
        vec![server("ACTIVE", None)],
        vec![action("resize", &[("compute_prep_resize", true, Some("Error"))])],
    )
    .await;
    let err = c
        .compute
        .server(SERVER)
        .resize("2")
        .wait(options(&c.clock))
        .await
        .unwrap_err();
    let Some(FailureReason::Unavailable { why }) = wait_error(err).reason().cloned() else {
        panic!()
    };
    assert!(
        why.starts_with("the failed event compute_prep_resize has no details")
            && why.ends_with("(the server is ACTIVE)"),
        "{why}"
    );
}

/// A cloud at 2.`max` where `DELETE /servers/SERVER` answers 204 under `RID`, and show answers
/// `shows` in turn (`null`: 404).
async fn delete_case(max: &str, shows: Vec<Value>, actions: Vec<Value>) -> Case {
    let c = case(max, shows, actions).await;
    Mock::given(method("DELETE"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(ResponseTemplate::new(204).insert_header("x-openstack-request-id", RID))
        .mount(&c.cloud.server)
        .await;
    c
}

#[tokio::test]
async fn a_delete_on_a_cloud_that_defers_deletes_ends_soft_deleted_and_restorable() {
    // `reclaim_instance_interval` set: the server goes soft-deleting, then SOFT_DELETED, where
    // it stays until reclaimed. That is where the delete ends, not max_wait.
    let c = delete_case(
        "2.100",
        vec![server("ACTIVE", Some("soft-deleting")), server("SOFT_DELETED", None)],
        vec![],
    )
    .await;
    let gone = c.compute.server(SERVER).delete().wait(options(&c.clock)).await.unwrap();
    match &gone.outcome {
        Deletion::SoftDeleted { server } => assert_eq!(server.status, ServerStatus::SoftDeleted),
        other => panic!("{other:?}"),
    }
    assert_eq!((c.shows.served(), gone.polls), (2, 2));
    assert_eq!(c.clock.sleeps().len(), 1, "one sleep between the two polls");
    assert_eq!(c.actions.served(), 0, "the action is read only for a failure's reason");

    // The same for a wait on the server alone.
    let c = case("2.100", vec![server("SOFT_DELETED", None)], vec![]).await;
    let outcome = c
        .compute
        .server(SERVER)
        .wait_for_deleted(options(&c.clock))
        .await
        .unwrap();
    assert!(matches!(outcome, Deletion::SoftDeleted { .. }), "{outcome:?}");

    // SOFT_DELETED with a task in flight (a restore, or a force delete, under way) is not
    // where it rests: the wait goes on, to the 404.
    let c = delete_case(
        "2.100",
        vec![server("SOFT_DELETED", Some("deleting")), Value::Null],
        vec![],
    )
    .await;
    let gone = c.compute.server(SERVER).delete().wait(options(&c.clock)).await.unwrap();
    assert_eq!(gone.outcome, Deletion::Deleted);
    assert_eq!(c.shows.served(), 2);
}

#[tokio::test]
async fn a_delete_that_fails_ends_at_once_with_nova_s_reason() {
    // The host fails the delete: ERROR, no task in flight. The wait ends there with the
    // fault (below 2.84 the action is not read: no event has details).
    let c = delete_case(
        "2.60",
        vec![
            server("ERROR", Some("deleting")),
            broken("ERROR", "Failed to terminate the instance"),
        ],
        vec![],
    )
    .await;
    let err = c
        .compute
        .server(SERVER)
        .delete()
        .wait(options(&c.clock))
        .await
        .unwrap_err();
    let e = wait_error(err);
    assert!(matches!(e, WaitError::ServerError { .. }), "{e:?}");
    assert_eq!(
        e.reason().and_then(FailureReason::message),
        Some("Failed to terminate the instance")
    );
    assert_eq!(e.reason().and_then(FailureReason::request_id), Some("req-poll-1"));
    assert_eq!((c.shows.served(), c.actions.served()), (2, 0));
    assert_eq!(c.clock.sleeps().len(), 1, "ended at the ERROR, not at max_wait");

    // From 2.84 the delete's failed event is read once, for its details.
    let c = delete_case(
        "2.100",
        vec![broken("ERROR", "Failed to terminate the instance")],
        vec![with_details(
            action("delete", &[("compute_terminate_instance", true, Some("Error"))]),
            "compute_terminate_instance",
            "Volume detach failed",
        )],
    )
    .await;
    let err = c
        .compute
        .server(SERVER)
        .delete()
        .wait(options(&c.clock))
        .await
        .unwrap_err();
    let e = wait_error(err);
    assert!(matches!(e, WaitError::ActionFailed { .. }), "{e:?}");
    assert_eq!(
        e.reason().and_then(FailureReason::message),
        Some("Volume detach failed")
    );
    assert_eq!((c.shows.served(), c.actions.served()), (1, 1));
    assert!(c.clock.sleeps().is_empty());
}

const RESERVATION: &str = "r-3fhpjulh";

fn server_with_id(id: &str, status: &str, task_state: Option<&str>) -> Value {
    let mut body = tests::mock::server_json(id, status)["server"].take();
    body["OS-EXT-STS:task_state"] = json!(task_state);
    body
}

/// A cloud where a create of `ids.len()` servers answers with `RESERVATION`, the list of the
/// reservation answers `lists` in turn (each the servers' `(status, task_state)`, by index
/// into `ids`), and each server's show and create action answer ACTIVE and finished (what a
/// waiter that polls each server would see).
struct Reservation {
    case: Case,
    ids: Vec<String>,
    lists: Script,
}

async fn reservation(ids: usize, lists: Vec<Vec<(&str, Option<&str>)>>, actions: Vec<Value>) -> Reservation {
    let case = case("2.100", vec![], actions).await;
    let ids: Vec<String> = (0..ids)
        .map(|n| format!("8f2c3a4e-6b1d-4f0e-9a7c-2d5e8b1f4c{n:02}"))
        .collect();
    Mock::given(method("POST"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("x-openstack-request-id", RID)
                .set_body_json(json!({"reservation_id": RESERVATION})),
        )
        .mount(&case.cloud.server)
        .await;
    let lists = Script::new(
        lists
            .iter()
            .map(|round| {
                let servers: Vec<Value> = round
                    .iter()
                    .zip(&ids)
                    .map(|((status, task), id)| server_with_id(id, status, *task))
                    .collect();
                json!({"servers": servers})
            })
            .collect(),
    );
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers/detail"))
        .respond_with(lists.clone())
        .mount(&case.cloud.server)
        .await;
    // What a server-by-server waiter would poll: the summaries, each server, each action.
    let summaries: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "name": "many", "links": []}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": summaries})))
        .mount(&case.cloud.server)
        .await;
    for id in &ids {
        Mock::given(method("GET"))
            .and(path(format!("/compute/v2.1/servers/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(tests::mock::server_json(id, "ACTIVE")))
            .mount(&case.cloud.server)
            .await;
        let mut done = action(
            "create",
            &[("compute__do_build_and_run_instance", true, Some("Success"))],
        );
        done["instanceAction"]["instance_uuid"] = json!(id);
        Mock::given(method("GET"))
            .and(path(format!("/compute/v2.1/servers/{id}/os-instance-actions/{RID}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(done))
            .mount(&case.cloud.server)
            .await;
    }
    Reservation { case, ids, lists }
}

impl Reservation {
    async fn wait(&self) -> Result<openstack_compute::Created, Error> {
        self.case
            .compute
            .servers()
            .create("many", "70a599e0-31e7-49b7-b260-868f441e862b", "1")
            .networks(openstack_compute::types::Networks::None)
            // A count as Rust holds one: `Integerish` converts from `usize`.
            .min_count(self.ids.len())
            .max_count(self.ids.len())
            .wait(options(&self.case.clock))
            .await
    }

    /// The requests the wait sent, by kind: lists of the reservation, and anything else
    /// (server shows, instance actions, other lists).
    async fn polls(&self) -> (usize, usize) {
        let requests = self.case.cloud.server.received_requests().await.unwrap();
        let gets: Vec<_> = requests
            .iter()
            .filter(|r| r.method.as_str() == "GET" && r.url.path().starts_with("/compute/v2.1/servers"))
            .collect();
        let lists = gets
            .iter()
            .filter(|r| r.url.path() == "/compute/v2.1/servers/detail")
            .count();
        (lists, gets.len() - lists)
    }
}

#[tokio::test]
async fn a_multiple_create_waits_for_its_servers_in_one_loop() {
    // Five servers, all ACTIVE by the first poll, 2 s after the create: one sleep, one list
    // of the reservation, nothing else.
    let r = reservation(5, vec![vec![("ACTIVE", None); 5]], vec![]).await;
    let created = r.wait().await.unwrap();
    assert_eq!(created.servers.len(), 5);
    assert_eq!(r.polls().await, (1, 0));
    assert_eq!(created.polls, 1);
    assert_eq!(r.case.clock.sleeps(), [Duration::from_secs(2)]);
    assert_eq!(created.waited, Duration::from_secs(2));
    // The one list asks for this reservation, exactly.
    let requests = r.case.cloud.server.received_requests().await.unwrap();
    let list = requests
        .iter()
        .find(|req| req.url.path() == "/compute/v2.1/servers/detail")
        .unwrap();
    let asked: Vec<(String, String)> = list.url.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
    assert_eq!(asked, [("reservation_id".to_string(), r"^r\-3fhpjulh$".to_string())]);

    // Servers ending at different rounds: one list per round, on one schedule (2 s, then
    // 3 s), the servers in the order listed, each as shown when it ended.
    let building = ("BUILD", Some("spawning"));
    let active = ("ACTIVE", None);
    let r = reservation(
        3,
        vec![
            vec![building; 3],
            vec![active, building, building],
            vec![active, building, active],
            vec![active, active, active],
        ],
        vec![],
    )
    .await;
    let created = r.wait().await.unwrap();
    let ids: Vec<&str> = created.servers.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, r.ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(created.servers.iter().all(|s| s.status == ServerStatus::Active));
    assert_eq!(r.lists.served(), 4);
    assert_eq!(r.polls().await, (4, 0));
    assert_eq!(created.polls, 4);
    assert_eq!(
        r.case.clock.sleeps(),
        [2000, 3000, 3000, 3000].map(Duration::from_millis)
    );
}

#[tokio::test]
async fn a_multiple_create_ends_at_the_first_server_that_fails_with_its_reason() {
    // The second server fails to build: its create action is read once, for the details.
    let failed = with_details(
        action("create", &[("compute__do_build_and_run_instance", true, Some("Error"))]),
        "compute__do_build_and_run_instance",
        EXHAUSTED,
    );
    let r = reservation(
        3,
        vec![
            vec![("BUILD", Some("spawning")); 3],
            vec![("ACTIVE", None), ("ERROR", None), ("BUILD", Some("spawning"))],
        ],
        vec![],
    )
    .await;
    let failed_id = r.ids[1].clone();
    Mock::given(method("GET"))
        .and(path(format!(
            "/compute/v2.1/servers/{failed_id}/os-instance-actions/{RID}"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(failed))
        .with_priority(1)
        .mount(&r.case.cloud.server)
        .await;
    let e = wait_error(r.wait().await.unwrap_err());
    let WaitError::ActionFailed { server_id, reason, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(server_id, &failed_id);
    assert_eq!(reason.message(), Some(EXHAUSTED));
    assert_eq!(r.polls().await, (2, 1), "two lists, then its action once");

    // Timed out: the error names the first server not done.
    let r = reservation(2, vec![vec![("ACTIVE", None), ("BUILD", Some("spawning"))]], vec![]).await;
    let e = wait_error(r.wait().await.unwrap_err());
    let WaitError::Timeout {
        server_id, last_status, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((server_id, last_status), (&r.ids[1], &Some(ServerStatus::Build)));
    assert_eq!(r.polls().await.1, 0);
}

// ---------------------------------------------------------------------------------------
// Waits on an item of a server's sub-resource (`item_ends`): the call's action to its end,
// then the item through its resource's show.

const VOLUME: &str = "a07f71dc-8151-4e7d-a0cc-cd24a3f11113";

/// A volume attachment as Nova shows it at 2.89+ (the polls' microversion here).
fn attachment() -> Value {
    json!({"volumeAttachment": {"attachment_id": "721a5c82-5ebc-4c6a-8339-3d33d8d027ed", "delete_on_termination": true,
        "device": "/dev/sdb", "serverId": SERVER, "tag": "foo", "volumeId": VOLUME,
        "bdm_uuid": "c088db45-92b8-49e8-81e2-a1b77a144b3b"}})
}

struct ItemCase {
    compute: Compute,
    shows: Script,
    actions: Script,
    clock: Arc<ManualClock>,
    _cloud: MockCloud,
}

/// A cloud up to 2.101 where an attach answers `attached` and a detach 202, both under the
/// request ID `RID`; the volume's attachment answers the `shows` in turn (null: 404) and the
/// call's instance action the `actions` (an empty list or null: not recorded, 404).
async fn item_case(attached: ResponseTemplate, shows: Vec<Value>, actions: Vec<Value>) -> ItemCase {
    let cloud = MockCloud::start("2.101").await;
    let collection = format!("/compute/v2.1/servers/{SERVER}/os-volume_attachments");
    Mock::given(method("POST"))
        .and(path(collection.clone()))
        .respond_with(attached.insert_header("x-openstack-request-id", RID))
        .mount(&cloud.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{collection}/{VOLUME}")))
        .respond_with(ResponseTemplate::new(202).insert_header("x-openstack-request-id", RID))
        .mount(&cloud.server)
        .await;
    let shows = Script::new(shows);
    Mock::given(method("GET"))
        .and(path(format!("{collection}/{VOLUME}")))
        .respond_with(shows.clone())
        .mount(&cloud.server)
        .await;
    let actions = Script::new(actions);
    Mock::given(method("GET"))
        .and(path(format!(
            "/compute/v2.1/servers/{SERVER}/os-instance-actions/{RID}"
        )))
        .respond_with(actions.clone())
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    ItemCase {
        compute,
        shows,
        actions,
        clock: ManualClock::new(),
        _cloud: cloud,
    }
}

#[tokio::test]
async fn an_attach_at_2_79_answers_the_attachment_and_waits_for_its_action_then_shows_it() {
    // Below 2.101 Nova answers 200 with the attachment as it will be, once the conductor has
    // recorded the action; the compute host attaches after. The attachment is not waited
    // for until the action has ended: Nova shows it from the start.
    let answered = json!({"volumeAttachment": {"delete_on_termination": true, "device": "/dev/sdb", "id": VOLUME,
        "serverId": SERVER, "tag": "foo", "volumeId": VOLUME}});
    let c = item_case(
        ResponseTemplate::new(200).set_body_json(answered),
        vec![attachment()],
        vec![
            action("attach_volume", &[("compute_attach_volume", false, None)]),
            action("attach_volume", &[("compute_attach_volume", true, Some("Success"))]),
        ],
    )
    .await;
    let done = c
        .compute
        .server(SERVER)
        .volume_attachments()
        .attach(VOLUME)
        .tag("foo")
        .delete_on_termination(true)
        .at_microversion(Microversion::new(2, 79))
        .wait(options(&c.clock))
        .await
        .unwrap();
    // The call's own answer, typed at 2.79: the volume's ID as `id`.
    assert_eq!(done.output.status(), 200);
    assert_eq!(done.output.id.as_deref(), Some(VOLUME));
    assert_eq!(done.output.device.value().map(String::as_str), Some("/dev/sdb"));
    // The attachment as shown at the end, at the polls' 2.101: its attachment's IDs.
    assert_eq!(done.item.volume_id, VOLUME);
    assert_eq!(
        done.item.attachment_id.as_deref(),
        Some("721a5c82-5ebc-4c6a-8339-3d33d8d027ed")
    );
    assert_eq!(done.item.id, None);
    assert_eq!(done.action.unwrap().events[0].event, "compute_attach_volume");
    assert_eq!((c.actions.served(), c.shows.served(), done.polls), (2, 1, 3));
    // One interval before the first poll (work on a host), one between the action's polls.
    assert_eq!(c.clock.sleeps(), [Duration::from_secs(2), Duration::from_secs(3)]);
}

#[tokio::test]
async fn an_attach_at_2_101_waits_for_the_action_the_conductor_records_after_the_answer() {
    // From 2.101 Nova answers 202 with no body before anything is done: the action appears
    // later. While it is not recorded, each round also looks at the attachment, which the
    // conductor makes (with its block storage attachment) just before it records the action:
    // shown then, it is not attached yet, and the wait goes on.
    let c = item_case(
        ResponseTemplate::new(202),
        vec![Value::Null, attachment(), attachment()],
        vec![
            Value::Null,
            Value::Null,
            action("attach_volume", &[("compute_attach_volume", false, None)]),
            action("attach_volume", &[("compute_attach_volume", true, Some("Success"))]),
        ],
    )
    .await;
    let done = c
        .compute
        .server(SERVER)
        .volume_attachments()
        .attach(VOLUME)
        .wait(options(&c.clock))
        .await
        .unwrap();
    assert_eq!(done.output.status(), 202);
    assert_eq!(done.output.id, None, "no body at 2.101");
    assert_eq!(done.item.device.value().map(String::as_str), Some("/dev/sdb"));
    assert_eq!((c.actions.served(), c.shows.served(), done.polls), (4, 3, 7));
}

#[tokio::test]
async fn an_attach_at_2_101_that_left_nothing_ends_at_max_wait_with_nothing_recorded() {
    // A failure before the conductor records the action (the compute host refuses the device,
    // the block storage service the attachment) leaves neither an action nor an attachment.
    let c = item_case(ResponseTemplate::new(202), vec![], vec![]).await;
    let options = WaitOptions::new(Duration::from_secs(20))
        .jitter(0.0)
        .clock(c.clock.clone());
    let err = c
        .compute
        .server(SERVER)
        .volume_attachments()
        .attach(VOLUME)
        .wait(options)
        .await
        .unwrap_err();
    let shown = err.to_string();
    match wait_error(err) {
        WaitError::NothingRecorded {
            request_id,
            item_id,
            present,
            waited,
        } => {
            assert_eq!((request_id.as_str(), item_id.as_str(), present), (RID, VOLUME, true));
            assert!(waited <= Duration::from_secs(20), "{waited:?}");
            assert!(shown.contains("did not appear"), "{shown}");
        }
        other => panic!("{other:?}"),
    }
    // Every round looked at both: the action and the attachment.
    assert!(c.actions.served() > 2);
    assert_eq!(c.actions.served(), c.shows.served());
    // An attachment there without an action is not "nothing": the action is what is missing.
    let c = item_case(ResponseTemplate::new(202), vec![attachment()], vec![]).await;
    let options = WaitOptions::new(Duration::from_secs(20))
        .jitter(0.0)
        .clock(c.clock.clone());
    let err = c
        .compute
        .server(SERVER)
        .volume_attachments()
        .attach(VOLUME)
        .wait(options)
        .await
        .unwrap_err();
    assert!(
        matches!(wait_error(err), WaitError::ActionNotFound { .. }),
        "the action never came"
    );
}

#[tokio::test]
async fn a_detach_waits_for_its_action_then_until_the_attachment_answers_404() {
    let c = item_case(
        ResponseTemplate::new(200),
        vec![attachment(), Value::Null],
        vec![
            action("detach_volume", &[("compute_detach_volume", false, None)]),
            action("detach_volume", &[("compute_detach_volume", true, Some("Success"))]),
        ],
    )
    .await;
    let done = c
        .compute
        .server(SERVER)
        .volume_attachments()
        .detach(VOLUME)
        .wait(options(&c.clock))
        .await
        .unwrap();
    assert_eq!(done.output.status(), 202);
    assert_eq!(done.action.unwrap().action, "detach_volume");
    // The attachment still shown once the action had ended, then gone.
    assert_eq!((c.actions.served(), c.shows.served(), done.polls), (2, 2, 4));
}

#[tokio::test]
async fn a_failed_attach_event_fails_the_wait_with_nova_s_reason() {
    let failed = with_details(
        action("attach_volume", &[("compute_attach_volume", true, Some("Error"))]),
        "compute_attach_volume",
        "Volume a07f71dc could not be attached: the device /dev/sdb is in use",
    );
    let c = item_case(
        ResponseTemplate::new(202),
        vec![attachment()],
        vec![
            action("attach_volume", &[("compute_attach_volume", false, None)]),
            failed,
        ],
    )
    .await;
    let err = c
        .compute
        .server(SERVER)
        .volume_attachments()
        .attach(VOLUME)
        .wait(options(&c.clock))
        .await
        .unwrap_err();
    match wait_error(err) {
        WaitError::ActionFailed {
            request_id,
            server_id,
            failed_events,
            reason,
            ..
        } => {
            assert_eq!((request_id.as_str(), server_id.as_str()), (RID, SERVER));
            assert_eq!(failed_events[0].event, "compute_attach_volume");
            assert_eq!(
                reason.message(),
                Some("Volume a07f71dc could not be attached: the device /dev/sdb is in use")
            );
            assert!(matches!(reason, FailureReason::EventDetails { .. }));
        }
        other => panic!("{other:?}"),
    }
    // The attachment is not read once the action has failed.
    assert_eq!(c.shows.served(), 0);
}

#[tokio::test]
async fn a_detach_whose_action_ended_with_the_attachment_still_there_ends_at_max_wait() {
    let c = item_case(
        ResponseTemplate::new(200),
        vec![attachment()],
        vec![action(
            "detach_volume",
            &[("compute_detach_volume", true, Some("Success"))],
        )],
    )
    .await;
    let options = WaitOptions::new(Duration::from_secs(20))
        .jitter(0.0)
        .clock(c.clock.clone());
    let err = c
        .compute
        .server(SERVER)
        .volume_attachments()
        .detach(VOLUME)
        .wait(options)
        .await
        .unwrap_err();
    let shown = err.to_string();
    match wait_error(err) {
        WaitError::ItemNotReached {
            item_id,
            present,
            waited,
        } => {
            assert_eq!((item_id.as_str(), present), (VOLUME, false));
            assert!(waited <= Duration::from_secs(20), "{waited:?}");
            assert!(shown.contains("was still there"), "{shown}");
        }
        other => panic!("{other:?}"),
    }
    // The action is read until it has ended, then only the attachment.
    assert_eq!(c.actions.served(), 1);
    assert!(c.shows.served() > 1);
}
