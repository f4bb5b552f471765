//! Every request sample (ours and Nova's) sent through the client: the mock asserts the
//! method, path, token, both microversion headers and the exact JSON body, and answers with
//! the response sample of the same version (or an empty body where the operation has none)
//! and a request ID; the test compares the whole typed output with the response sample read
//! by the same type, and checks the request ID.

use std::collections::BTreeMap;

use openstack_compute::__private::{Direction, SPEC_SAMPLES, replay_through_client};
use openstack_compute::operation_core::OperationKind;
use openstack_compute::operations_index::OPERATIONS;
use openstack_compute::{Compute, Config, Microversion, VersionStrategy};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SERVER: &str = "4bf3473b-d550-4b65-9409-292d44ab14a2";
const TOKEN: &str = "replay-token";

#[derive(Default)]
struct Pair {
    requests: Vec<(String, Value)>,
    response: Option<(String, Vec<u8>)>,
}

fn collect() -> BTreeMap<(String, Microversion), Pair> {
    let root = tests::workspace_root();
    let mut pairs: BTreeMap<(String, Microversion), Pair> = BTreeMap::new();
    let mut add = |op: &str, v: Microversion, dir: Direction, file: String| {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let pair = pairs.entry((op.to_string(), v)).or_default();
        match dir {
            Direction::Request => pair.requests.push((file, serde_json::from_slice(&bytes).unwrap())),
            Direction::Response => pair.response = Some((file, bytes)),
        }
    };
    for s in SPEC_SAMPLES {
        add(
            s.operation,
            s.version,
            s.direction,
            root.join("spec/samples").join(s.file).display().to_string(),
        );
    }
    // Nova's own samples, where ../shared is present (as in CI).
    let upstream = root.join("../shared/reference/nova/doc/api_samples");
    if upstream.is_dir() {
        let map: Value =
            serde_saphyr::from_str(&std::fs::read_to_string(root.join("spec/upstream-samples.yaml")).unwrap()).unwrap();
        for s in map["samples"].as_array().unwrap() {
            let dir = if s["direction"] == "request" {
                Direction::Request
            } else {
                Direction::Response
            };
            let v: Microversion = s["version"].as_str().unwrap().parse().unwrap();
            add(
                s["op"].as_str().unwrap(),
                v,
                dir,
                upstream.join(s["path"].as_str().unwrap()).display().to_string(),
            );
        }
    }
    pairs
}

#[tokio::test]
async fn every_request_sample_goes_through_the_client_exactly() {
    let mut replayed = 0;
    let mut failures = Vec::new();
    for ((op, v), pair) in collect() {
        for (request_file, request) in pair.requests.clone() {
            let info = OPERATIONS.iter().find(|i| i.name == op).unwrap();
            if info.kind == OperationKind::Get || info.never_succeeds {
                continue;
            }
            let has_response_type = openstack_compute::__private::roundtrip(&op, Direction::Response, v, &json!({}))
                .is_some_and(|r| !r.as_ref().is_err_and(|e| e.message.contains("returns no body")));
            let response = match (&pair.response, has_response_type) {
                (Some((_, bytes)), _) => bytes.clone(),
                (None, false) => Vec::new(),
                // A body-returning operation without a response sample at this version.
                (None, true) if v < Microversion::new(2, 45) && (op == "create_image" || op == "create_backup") => {
                    Vec::new()
                }
                (None, true) if op == "evacuate" && v >= Microversion::new(2, 14) => Vec::new(),
                (None, true) => continue,
            };
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path("/v2.1/"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(json!({"version": {"version": "2.104", "min_version": "2.1"}})),
                )
                .mount(&server)
                .await;
            let request_path = info.path.replace("{server_id}", SERVER);
            let request_id = format!("req-replay-{replayed}");
            let mut answer = ResponseTemplate::new(info.status)
                .insert_header("x-openstack-request-id", request_id.as_str())
                .insert_header("openstack-api-version", format!("compute {v}").as_str());
            if !response.is_empty() {
                answer = answer.set_body_raw(response.clone(), "application/json");
            }
            if op == "create_image" || op == "create_backup" {
                answer = answer.insert_header(
                    "location",
                    "http://glance.example.com/images/0e7761dd-ee98-41f0-ba35-05994e446431",
                );
            }
            Mock::given(method(info.method))
                .and(path(format!("/v2.1{request_path}")))
                .and(header("x-auth-token", TOKEN))
                .and(header("openstack-api-version", format!("compute {v}").as_str()))
                .and(header("x-openstack-nova-api-version", v.to_string().as_str()))
                .and(body_json(&request))
                .respond_with(answer)
                .expect(1)
                .mount(&server)
                .await;
            let config = Config::builder()
                .static_endpoint(&format!("{}/v2.1", server.uri()), TOKEN)
                .version(VersionStrategy::Pinned(v))
                .build()
                .unwrap();
            let compute = Compute::new(config).unwrap();
            match replay_through_client(&compute.server(SERVER), &op, v, &request, &response).await {
                Some(Ok(id)) if id.as_deref() == Some(request_id.as_str()) => replayed += 1,
                Some(Ok(id)) => failures.push(format!("{request_file}: request ID {id:?}")),
                Some(Err(e)) => failures.push(format!("{request_file} ({op} at {v}): {e}")),
                None => failures.push(format!("{request_file}: no client replay for {op}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(replayed >= 60, "replayed {replayed} request samples");
    println!("replayed {replayed} request samples through the client");
}

#[tokio::test]
async fn every_read_response_sample_comes_back_typed() {
    use openstack_compute::ResponseBody;
    use openstack_compute::operation::{list_instance_actions, show_instance_action, show_server};
    let mut replayed = 0;
    for ((op, v), pair) in collect() {
        let Some((file, body)) = pair.response else { continue };
        let request_path = match op.as_str() {
            "show_server" => format!("/v2.1/servers/{SERVER}"),
            "list_instance_actions" => format!("/v2.1/servers/{SERVER}/os-instance-actions"),
            "show_instance_action" => format!("/v2.1/servers/{SERVER}/os-instance-actions/req-sample"),
            _ => continue,
        };
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v2.1/"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"version": {"version": "2.104", "min_version": "2.1"}})),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(request_path))
            .and(header("x-auth-token", TOKEN))
            .and(header("openstack-api-version", format!("compute {v}").as_str()))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-openstack-request-id", "req-read")
                    .set_body_raw(body.clone(), "application/json"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let config = Config::builder()
            .static_endpoint(&format!("{}/v2.1", server.uri()), TOKEN)
            .build()
            .unwrap();
        let handle = Compute::new(config).unwrap().server(SERVER);
        use openstack_compute::RequestId;
        let request_id = match op.as_str() {
            "show_server" => {
                let out = handle
                    .show_server()
                    .at_microversion(v)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(*out, show_server::Response::parse(&body, None, v).unwrap(), "{file}");
                out.request_id().map(str::to_string)
            }
            "list_instance_actions" => {
                let out = handle
                    .list_instance_actions()
                    .at_microversion(v)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(
                    *out,
                    list_instance_actions::Response::parse(&body, None, v).unwrap(),
                    "{file}"
                );
                out.request_id().map(str::to_string)
            }
            _ => {
                let out = handle
                    .show_instance_action("req-sample")
                    .at_microversion(v)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(
                    *out,
                    show_instance_action::Response::parse(&body, None, v).unwrap(),
                    "{file}"
                );
                out.request_id().map(str::to_string)
            }
        };
        assert_eq!(request_id.as_deref(), Some("req-read"), "{file}");
        replayed += 1;
    }
    assert!(replayed >= 10, "replayed {replayed}");
}
