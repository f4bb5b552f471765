//! Every request sample (ours and Nova's) sent through the client at its microversion: the
//! mock asserts the method, the path, the token, both microversion headers and the exact body,
//! and answers with the response sample of the same version (or no body where the operation
//! sends none) and a request ID. The test compares what the client parsed, written back as
//! Nova sends it at that version, with the response sample's JSON, and checks the request ID.
//! Every response sample of a GET goes through the client the same way.

use std::collections::BTreeMap;

use openstack_compute::operation::Method;
use openstack_compute::{Compute, Config, Microversion, VersionStrategy};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use xtask::model::{Model, spec_samples};
use xtask::spec::Direction;

const TOKEN: &str = "replay-token";

#[derive(Default)]
struct Pair {
    requests: Vec<(String, Vec<u8>)>,
    /// The response samples of this version (two where Nova shows an admin's and a user's).
    responses: Vec<(String, Vec<u8>)>,
}

fn mv(v: xtask::spec::Version) -> Microversion {
    Microversion::new(v.major, v.minor)
}

/// Samples by (operation, version): ours, and Nova's from the reference.
fn collect(model: &Model) -> BTreeMap<(String, Microversion), Pair> {
    let mut pairs: BTreeMap<(String, Microversion), Pair> = BTreeMap::new();
    let mut add = |op: &str, v: Microversion, dir: Direction, file: String, bytes: Vec<u8>| {
        let pair = pairs.entry((op.to_string(), v)).or_default();
        match dir {
            Direction::Request => pair.requests.push((file, bytes)),
            Direction::Response => pair.responses.push((file, bytes)),
        }
    };
    for (file, op, dir, v) in spec_samples(model) {
        let bytes = std::fs::read(&file).expect("a spec sample");
        add(&op.name, mv(v), dir, file.display().to_string(), bytes);
    }
    for s in &model.upstream.samples {
        let file = tests::upstream_sample(&s.path).unwrap_or_else(|| panic!("{} is not in the reference", s.path));
        let bytes = std::fs::read(&file).expect("an upstream sample");
        add(&s.op, mv(s.version), s.direction, s.path.clone(), bytes);
    }
    pairs
}

async fn cloud(
    info: &openstack_compute::operation::OperationInfo,
    v: Microversion,
    request: Option<&Value>,
    response: &[u8],
    request_id: &str,
) -> (MockServer, Compute) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2.1/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"version": {"version": "2.104", "min_version": "2.1"}})),
        )
        .mount(&server)
        .await;
    // The sample's call fills every parameter as the glue does.
    let request_path: String = info
        .path_at(v)
        .split('/')
        .filter(|p| !p.is_empty())
        .map(|p| match p {
            "{server_id}" => format!("/{}", tests::glue::SERVER_ID),
            p if p.starts_with('{') => "/req-1".to_string(),
            p => format!("/{p}"),
        })
        .collect();
    let mut answer = ResponseTemplate::new(info.status_at(v))
        .insert_header("x-openstack-request-id", request_id)
        .insert_header("openstack-api-version", format!("compute {v}").as_str());
    if !response.is_empty() {
        answer = answer.set_body_raw(response.to_vec(), "application/json");
    }
    let mut mock = Mock::given(method(info.method.as_str()))
        .and(path(format!("/v2.1{request_path}")))
        .and(header("x-auth-token", TOKEN))
        .and(header("openstack-api-version", format!("compute {v}").as_str()));
    if let Some(body) = request {
        mock = mock.and(body_json(body));
    }
    mock.respond_with(answer).expect(1).mount(&server).await;
    let config = Config::builder()
        .static_endpoint(&format!("{}/v2.1", server.uri()), TOKEN)
        .version(VersionStrategy::Pinned(v))
        .build()
        .unwrap();
    (server, Compute::new(config).unwrap())
}

/// What the operation answers at `v` when no sample shows it: no body, where its response
/// has no body field there.
fn empty_response_allowed(info: &openstack_compute::operation::OperationInfo, v: Microversion) -> bool {
    match info.response() {
        None => true,
        Some(r) => r.wrap.is_none() && openstack_compute::codec::body_optional(r.fields, v),
    }
}

fn compare(file: &str, expected: &[u8], got: &Value) -> Result<(), String> {
    let expected: Value = if expected.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(expected).map_err(|e| e.to_string())?
    };
    let diff = tests::json_diff(&expected, got);
    if diff.is_empty() {
        Ok(())
    } else {
        Err(format!("{file}: {}", diff.join("; ")))
    }
}

#[tokio::test]
async fn every_request_sample_goes_through_the_client_exactly() {
    let model = Model::load(&tests::workspace_root()).unwrap();
    let mut replayed = 0;
    let mut expected_count = 0;
    let mut failures = Vec::new();
    for ((op, v), pair) in collect(&model) {
        let glue = tests::glue(&op);
        let info = glue.info;
        for (request_file, request) in &pair.requests {
            if info.never_succeeds {
                continue;
            }
            let response = match pair.responses.first() {
                Some((_, bytes)) => bytes.clone(),
                None if empty_response_allowed(info, v) => Vec::new(),
                None => continue,
            };
            expected_count += 1;
            let request_id = format!("req-replay-{replayed}");
            let body: Value = serde_json::from_slice(request).unwrap();
            let (_server, compute) = cloud(info, v, Some(&body), &response, &request_id).await;
            match (glue.send)(compute.clone(), v, request.clone()).await {
                Ok((got, id)) => {
                    if id.as_deref() != Some(request_id.as_str()) {
                        failures.push(format!("{request_file}: request ID {id:?}"));
                    } else if let Err(e) =
                        compare(pair.responses.first().map_or(request_file, |r| &r.0), &response, &got)
                    {
                        failures.push(e);
                    } else {
                        replayed += 1;
                    }
                }
                Err(e) => failures.push(format!("{request_file} ({op} at {v}): {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(replayed, expected_count);
    println!("replayed {replayed} request samples through the client");
}

#[tokio::test]
async fn every_response_sample_of_a_get_comes_back_through_the_client() {
    let model = Model::load(&tests::workspace_root()).unwrap();
    let mut replayed = 0;
    let mut expected_count = 0;
    let mut failures = Vec::new();
    for ((op, v), pair) in collect(&model) {
        let glue = tests::glue(&op);
        if glue.info.method != Method::Get {
            continue;
        }
        for (file, response) in &pair.responses {
            expected_count += 1;
            let (_server, compute) = cloud(glue.info, v, None, response, "req-read").await;
            match (glue.send)(compute.clone(), v, Vec::new()).await {
                Ok((got, id)) if id.as_deref() == Some("req-read") => match compare(file, response, &got) {
                    Ok(()) => replayed += 1,
                    Err(e) => failures.push(e),
                },
                Ok((_, id)) => failures.push(format!("{file}: request ID {id:?}")),
                Err(e) => failures.push(format!("{file} ({op} at {v}): {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(replayed, expected_count);
    assert!(replayed > 0);
    println!("{replayed} GET response samples through the client");
}
