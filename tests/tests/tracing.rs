//! What a call leaves in traces. Alone in its binary: tracing caches each callsite's interest
//! process-wide, and a test running beside it on another thread without a subscriber can have
//! the `compute.call` callsite registered before this one's subscriber sees it.

use openstack_compute::Compute;
use serde_json::json;
use tests::capture::Capture;
use tests::mock::MockCloud;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

const SERVER: &str = "0199340e-0f3e-4612-96be-6f1861b192b5";

/// Each call's `compute.call` span ends with Nova's request ID and status, on success and on
/// error alike.
#[tokio::test]
async fn every_call_span_records_the_request_id_and_status() {
    let (captured, _guard) = Capture::install(tracing::Level::INFO);
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .and(body_json(json!({"os-stop": null})))
        .respond_with(ResponseTemplate::new(202).insert_header("x-openstack-request-id", "req-span-ok"))
        .mount(&cloud.server)
        .await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .and(body_json(json!({"os-start": null})))
        .respond_with(
            ResponseTemplate::new(409)
                .insert_header("x-openstack-request-id", "req-span-err")
                .set_body_json(json!({"conflictingRequest": {"message": "in state active", "code": 409}})),
        )
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    compute.server(SERVER).stop().send().await.unwrap();
    compute.server(SERVER).start().send().await.unwrap_err();
    let traces = captured.text();
    let closed: Vec<&str> = traces
        .lines()
        .filter(|l| l.contains("compute.call") && l.contains("close"))
        .collect();
    assert_eq!(closed.len(), 2, "{traces}");
    for (line, (operation, id, status)) in closed
        .iter()
        .zip([("stop", "req-span-ok", 202), ("start", "req-span-err", 409)])
    {
        for field in [
            format!("operation=\"{operation}\""),
            format!("request_id=\"{id}\""),
            format!("status={status}"),
        ] {
            assert!(line.contains(&field), "{field} missing from {line}");
        }
    }
}
