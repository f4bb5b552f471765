//! The client against wiremock: the Keystone flow, negotiation, headers, typed errors,
//! retries and the single-flight token cache.

use std::time::Duration;

use openstack_compute::config::Interface;
use openstack_compute::{Compute, Error, ErrorKind, Method, Microversion, VersionStrategy};
use serde_json::json;
use tests::mock::{MockCloud, TOKEN_PREFIX, mount_version_document};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const SERVER: &str = "0199340e-0f3e-4612-96be-6f1861b192b5";

fn accepted(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(202).insert_header("x-openstack-request-id", id)
}

#[tokio::test]
async fn stop_sends_the_exact_body_token_and_the_microversion_header() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .and(body_json(json!({"os-stop": null})))
        .and(header("x-auth-token", format!("{TOKEN_PREFIX}1").as_str()))
        .and(header("openstack-api-version", "compute 2.100"))
        .respond_with(accepted("req-stop-1").insert_header("openstack-api-version", "compute 2.100"))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let out = compute.server(SERVER).stop().send().await.unwrap();
    assert_eq!(out.request_id(), Some("req-stop-1"));
    assert_eq!(out.microversion(), Some(Microversion::new(2, 100)));
    assert_eq!(out.status(), 202);
    assert_eq!(cloud.tokens(), 1);
    assert_eq!(
        legacy_version_headers(&cloud).await,
        [None],
        "2.100 needs no legacy header"
    );
}

/// Below 2.27 the server may predate `OpenStack-API-Version` and read only the legacy header,
/// so both go; from 2.27 on only the modern one.
#[tokio::test]
async fn the_legacy_microversion_header_goes_only_below_2_27() {
    for (version, legacy) in [("2.1", Some("2.1")), ("2.26", Some("2.26")), ("2.27", None)] {
        let cloud = MockCloud::start(version).await;
        Mock::given(method("POST"))
            .and(path(MockCloud::action_path(SERVER)))
            .and(header("openstack-api-version", format!("compute {version}").as_str()))
            .respond_with(accepted("req-stop"))
            .expect(1)
            .mount(&cloud.server)
            .await;
        let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
        compute.server(SERVER).stop().send().await.unwrap();
        assert_eq!(
            legacy_version_headers(&cloud).await,
            [legacy.map(String::from)],
            "at {version}"
        );
    }
}

/// The `X-OpenStack-Nova-API-Version` of each compute action request the cloud received.
async fn legacy_version_headers(cloud: &MockCloud) -> Vec<Option<String>> {
    let received = cloud.server.received_requests().await.unwrap_or_default();
    received
        .iter()
        .filter(|r| r.url.path().ends_with("/action"))
        .map(|r| {
            r.headers
                .get("x-openstack-nova-api-version")
                .map(|v| v.to_str().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn compute_request_id_header_is_the_fallback() {
    let cloud = MockCloud::start("2.1").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(202).insert_header("x-compute-request-id", "req-legacy"))
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let out = compute.server(SERVER).stop().send().await.unwrap();
    assert_eq!(out.request_id(), Some("req-legacy"));
}

#[tokio::test]
async fn stop_on_stopped_server_is_conflict_with_message_and_request_id() {
    let cloud = MockCloud::start("2.100").await;
    let fault = json!({"conflictingRequest": {
        "message": "Cannot 'stop' instance 0199340e while it is in vm_state stopped", "code": 409}});
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(
            ResponseTemplate::new(409)
                .insert_header("x-openstack-request-id", "req-409")
                .set_body_json(fault),
        )
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.kind, ErrorKind::Conflict);
    assert_eq!(api.fault(), Some("conflictingRequest"));
    assert_eq!(
        api.message(),
        "Cannot 'stop' instance 0199340e while it is in vm_state stopped"
    );
    assert_eq!(api.code(), Some(409));
    assert_eq!(err.request_id(), Some("req-409"));
    assert!(err.to_string().contains("req-409"));
}

#[tokio::test]
async fn project_id_mismatch_is_bad_request_with_novas_message() {
    // The seed's legacy `/v2/{project_id}` endpoint, configured statically.
    let server = wiremock::MockServer::start().await;
    let project = "295f0b8574504834bd6249d91dbd5a9c";
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"version": {"id": "v2.0", "version": "", "min_version": ""}})),
        )
        .mount(&server)
        .await;
    let message = "Malformed request URL: URL's project_id '295f0b8574504834bd6249d91dbd5a9c' doesn't match Context's project_id '895f0b8574504834bd6249d91dbd5a9c'";
    Mock::given(method("POST"))
        .and(path(format!("/v2/{project}/servers/{SERVER}/action")))
        .and(header("openstack-api-version", "compute 2.1"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-compute-request-id", "req-a551a412-b723-46f7-9b37-861c601495a1")
                .set_body_json(json!({"badRequest": {"message": message, "code": 400}})),
        )
        .mount(&server)
        .await;
    let config = openstack_compute::Config::builder()
        .static_endpoint(
            &format!("{}/v2/{project}", server.uri()),
            "cd08bf66ed2044c0ae07458cfeb42e82",
        )
        .build()
        .unwrap();
    let compute = Compute::new(config).unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.kind, ErrorKind::BadRequest);
    assert_eq!(api.message(), message);
    assert_eq!(err.request_id(), Some("req-a551a412-b723-46f7-9b37-861c601495a1"));
}

/// Before 2.45 createImage answers with no body and the image in `Location`; from 2.45 the
/// body is required, and an empty one is an error.
#[tokio::test]
async fn an_empty_body_is_a_response_only_where_no_body_field_is_required() {
    const IMAGE: &str = "0e7b5a3c-8f2d-4b6a-9c1e-2d3f4a5b6c7d";
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("x-openstack-request-id", "req-image")
                .insert_header("location", format!("http://glance.test/v2/images/{IMAGE}").as_str()),
        )
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let server = compute.server(SERVER);
    let out = server
        .create_image("snap")
        .send_pinned::<openstack_compute::ops::create_image::V2_1>()
        .await
        .unwrap();
    assert_eq!(out.image_id.as_deref(), Some(IMAGE));
    let err = server
        .create_image("snap")
        .send_pinned::<openstack_compute::ops::create_image::V2_45>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("empty body"), "{err}");
    assert_eq!(err.request_id(), Some("req-image"));
}

/// The version-agnostic response keeps `Option` for fields some version lacks, and still
/// refuses a body without one that the version in use requires (`locked`, 2.9 to 2.68).
#[tokio::test]
async fn a_field_required_at_the_version_in_use_is_required_by_the_agnostic_response() {
    let cloud = MockCloud::start("2.100").await;
    let mut body = tests::mock::server_json(SERVER, "ACTIVE");
    body["server"].as_object_mut().unwrap().remove("locked");
    Mock::given(method("GET"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("openstack-api-version", "compute 2.68")
                .set_body_json(body),
        )
        .mount(&cloud.server)
        .await;
    let pinned = VersionStrategy::Pinned(Microversion::new(2, 68));
    let compute = Compute::new(cloud.config().version(pinned).build().unwrap()).unwrap();
    let err = compute.server(SERVER).show().send().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("missing field `locked`"), "{err}");
}

/// Query parameters reach Nova as Nova spells them: text, numbers, timestamps, and a list as
/// one pair per value.
#[tokio::test]
async fn list_filters_are_sent_as_query_parameters() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers"))
        .and(query_param("name", "web-1"))
        .and(query_param("limit", "2"))
        .and(query_param("changes-since", "2026-01-01T00:00:00Z"))
        .and(query_param("status", "ACTIVE"))
        .and(query_param("status", "SHUTOFF"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": []})))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let listed = compute
        .servers()
        .list()
        .name("web-1")
        .limit(2)
        .changes_since(openstack_compute::types::Timestamp::parse("2026-01-01T00:00:00Z").unwrap())
        .status(vec![
            openstack_compute::types::ServerStatus::Active,
            openstack_compute::types::ServerStatus::Shutoff,
        ])
        .collect()
        .await
        .unwrap();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn html_500_from_a_proxy_is_a_typed_error_with_a_short_excerpt() {
    let cloud = MockCloud::start("2.100").await;
    let page = format!(
        "<html><body><h1>500 Internal Server Error</h1>{}</body></html>",
        "x".repeat(5000)
    );
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(500).set_body_raw(page, "text/html"))
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.kind, ErrorKind::ServerFault);
    assert!(api.fault().is_none());
    assert!(api.message().starts_with("<html><body><h1>500 Internal Server Error"));
    assert!(api.message().chars().count() <= 201);
}

#[tokio::test]
async fn truncated_and_empty_bodies_are_decode_errors_with_the_request_id() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .and(body_json(json!({"os-getConsoleOutput": {}})))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-openstack-request-id", "req-trunc")
                .set_body_raw(r#"{"output": "boot"#, "application/json"),
        )
        .up_to_n_times(1)
        .mount(&cloud.server)
        .await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(200).insert_header("x-openstack-request-id", "req-empty"))
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute.server(SERVER).get_console_output().send().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.request_id(), Some("req-trunc"));
    let err = compute.server(SERVER).get_console_output().send().await.unwrap_err();
    assert!(err.to_string().contains("empty body"), "{err}");
    assert_eq!(err.request_id(), Some("req-empty"));
}

#[tokio::test]
async fn console_output_is_typed() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .and(body_json(json!({"os-getConsoleOutput": {"length": 50}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"output": "login: "})))
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let out = compute
        .server(SERVER)
        .get_console_output()
        .length(50)
        .send()
        .await
        .unwrap();
    assert_eq!(out.output, "login: ");
}

#[tokio::test]
async fn a_field_outside_its_microversion_is_refused_before_sending() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(accepted("x"))
        .expect(0)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute
        .server(SERVER)
        .live_migrate(None, true)
        .disk_over_commit(false)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`live_migrate`: field `disk_over_commit` is accepted in microversions 2.1..2.24, not at 2.100"
    );
    let err = compute
        .server(SERVER)
        .live_migrate(None, openstack_compute::types::BlockMigration::Auto)
        .at_microversion(Microversion::new(2, 24))
        .disk_over_commit(false)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`live_migrate`: field `block_migration` value \"auto\" is accepted in microversions 2.25..2.104, not at 2.24"
    );
}

#[tokio::test]
async fn lowest_required_strategy_sends_the_lowest_version_the_fields_need() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .and(header("openstack-api-version", "compute 2.30"))
        .and(body_json(
            json!({"os-migrateLive": {"host": "c2", "block_migration": "auto", "force": true}}),
        ))
        .respond_with(accepted("req-lm"))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().version(VersionStrategy::LowestRequired).build().unwrap()).unwrap();
    let call = compute
        .server(SERVER)
        .live_migrate(Some("c2".into()), openstack_compute::types::BlockMigration::Auto)
        .force(true);
    call.send().await.unwrap();
}

#[tokio::test]
async fn a_pinned_version_above_the_servers_maximum_is_refused() {
    let cloud = MockCloud::start("2.60").await;
    let compute = Compute::new(
        cloud
            .config()
            .version(VersionStrategy::Pinned(Microversion::new(2, 73)))
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    assert!(matches!(err, Error::MicroversionUnsupported { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "microversion 2.73 is not supported by the server (it supports 2.1..2.60)"
    );
}

#[tokio::test]
async fn highest_common_uses_the_servers_maximum_when_below_ours() {
    let cloud = MockCloud::start("2.60").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .and(header("openstack-api-version", "compute 2.60"))
        .respond_with(accepted("r"))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    compute.server(SERVER).stop().send().await.unwrap();
}

#[tokio::test]
async fn internal_interface_selects_the_internal_endpoint() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1-internal/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"version": {"version": "2.90", "min_version": "2.1"}})),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/compute/v2.1-internal/servers/{SERVER}/action")))
        .and(header("openstack-api-version", "compute 2.90"))
        .respond_with(accepted("r-int"))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().interface(Interface::Internal).build().unwrap()).unwrap();
    compute.server(SERVER).stop().send().await.unwrap();
}

#[tokio::test]
async fn a_region_without_compute_is_a_clear_endpoint_error() {
    let cloud = MockCloud::start("2.100").await;
    let compute = Compute::new(cloud.config().region("Elsewhere").build().unwrap()).unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "no compute endpoint: the compute service has no public endpoint in region Elsewhere"
    );
}

#[tokio::test]
async fn one_thousand_concurrent_calls_share_one_token_request() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(accepted("r"))
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let calls = (0..1000).map(|_| {
        let compute = compute.clone();
        tokio::spawn(async move { compute.server(SERVER).stop().send().await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(cloud.tokens(), 1, "exactly one auth request for 1000 calls");
}

#[tokio::test]
async fn a_token_near_expiry_is_refreshed_before_use() {
    // Tokens live 100 s, under the 120 s refresh margin: each call needs a new one.
    let cloud = MockCloud::start_with("2.100", 100).await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(accepted("r"))
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    compute.server(SERVER).stop().send().await.unwrap();
    compute.server(SERVER).stop().send().await.unwrap();
    // One for version discovery and one for each call.
    assert_eq!(cloud.tokens(), 3);
    // Hour-long tokens are reused.
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(accepted("r"))
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    compute.server(SERVER).stop().send().await.unwrap();
    compute.server(SERVER).stop().send().await.unwrap();
    assert_eq!(cloud.tokens(), 1);
}

#[tokio::test]
async fn a_401_re_authenticates_once_and_retries_once() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .and(header("x-auth-token", format!("{TOKEN_PREFIX}1").as_str()))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"message": "The request you have made requires authentication.", "code": 401}}),
        ))
        .expect(1)
        .mount(&cloud.server)
        .await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .and(header("x-auth-token", format!("{TOKEN_PREFIX}2").as_str()))
        .respond_with(accepted("req-after-reauth"))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let out = compute.server(SERVER).stop().send().await.unwrap();
    assert_eq!(out.request_id(), Some("req-after-reauth"));
    assert_eq!(cloud.tokens(), 2);
}

#[tokio::test]
async fn a_persistent_401_is_returned_after_one_retry() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    assert_eq!(err.api().unwrap().kind, ErrorKind::Unauthorized);
    assert_eq!(cloud.tokens(), 2);
}

#[tokio::test]
async fn a_401_with_a_static_token_is_returned_without_a_retry() {
    // A configured token cannot be renewed: authenticating again would send the same one.
    let server = wiremock::MockServer::start().await;
    mount_version_document(&server, "/v2.1/", "2.100").await;
    Mock::given(method("POST"))
        .and(path(format!("/v2.1/servers/{SERVER}/action")))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let config = openstack_compute::Config::builder()
        .static_endpoint(&format!("{}/v2.1", server.uri()), "tok")
        .version(VersionStrategy::Pinned(Microversion::new(2, 100)))
        .build()
        .unwrap();
    let err = stop_error(config).await;
    assert_eq!(err.api().unwrap().kind, ErrorKind::Unauthorized);
}

/// Each way of authenticating sends Keystone v3 exactly the identity and scope it names.
#[tokio::test]
async fn keystone_receives_the_identity_and_scope_of_each_auth_method() {
    let server = wiremock::MockServer::start().await;
    let auth_url = format!("{}/v3", server.uri());
    let named_user = json!({"name": "demo", "domain": {"name": "Default"}});
    let named_project = json!({"project": {"name": "demo", "domain": {"id": "default"}}});
    let cases: Vec<(Vec<(&str, &str)>, serde_json::Value)> = vec![
        (
            vec![
                ("username", "demo"),
                ("password", "pw"),
                ("user_domain_name", "Default"),
                ("project_name", "demo"),
                ("project_domain_id", "default"),
            ],
            json!({"identity": {"methods": ["password"], "password": {"user": {
                "name": "demo", "domain": {"name": "Default"}, "password": "pw"}}},
                "scope": named_project}),
        ),
        (
            vec![("user_id", "u-1"), ("password", "pw"), ("project_id", "p-1")],
            json!({"identity": {"methods": ["password"], "password": {"user": {"id": "u-1", "password": "pw"}}},
                "scope": {"project": {"id": "p-1"}}}),
        ),
        (
            vec![
                ("application_credential_id", "ac-1"),
                ("application_credential_secret", "s"),
            ],
            json!({"identity": {"methods": ["application_credential"],
                "application_credential": {"id": "ac-1", "secret": "s"}}}),
        ),
        (
            vec![
                ("application_credential_name", "ac"),
                ("application_credential_secret", "s"),
                ("username", "demo"),
                ("user_domain_name", "Default"),
            ],
            json!({"identity": {"methods": ["application_credential"],
                "application_credential": {"name": "ac", "user": named_user, "secret": "s"}}}),
        ),
        (
            vec![
                ("auth_type", "token"),
                ("token", "tk"),
                ("project_name", "demo"),
                ("project_domain_id", "default"),
            ],
            json!({"identity": {"methods": ["token"], "token": {"id": "tk"}}, "scope": named_project}),
        ),
    ];
    for (settings, auth) in cases {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path("/v3/auth/tokens"))
            .and(body_json(json!({"auth": auth})))
            .respond_with(
                ResponseTemplate::new(201)
                    .insert_header("X-Subject-Token", "t-1")
                    .set_body_json(json!({"token": {"expires_at": "2099-01-01T00:00:00Z", "catalog": [
                        {"type": "compute", "endpoints": [
                            {"interface": "public", "url": format!("{}/v2.1", server.uri())}]}]}})),
            )
            .expect(1)
            .mount(&server)
            .await;
        mount_version_document(&server, "/v2.1/", "2.100").await;
        Mock::given(method("POST"))
            .and(path(format!("/v2.1/servers/{SERVER}/action")))
            .and(header("x-auth-token", "t-1"))
            .respond_with(ResponseTemplate::new(202))
            .expect(1)
            .mount(&server)
            .await;
        let config = settings
            .iter()
            .fold(
                openstack_compute::Config::builder().set("auth_url", &auth_url),
                |b, (k, v)| b.set(k, *v),
            )
            .version(VersionStrategy::Pinned(Microversion::new(2, 1)))
            .build()
            .unwrap();
        let sent = Compute::new(config).unwrap().server(SERVER).stop().send().await;
        assert!(sent.is_ok(), "{settings:?}: {sent:?}");
        server.verify().await;
    }
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_without_the_password() {
    let server = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}})))
        .mount(&server)
        .await;
    let config = openstack_compute::Config::builder()
        .password_auth(&format!("{}/v3", server.uri()), "demo", "wrong-pass-123", "demo")
        .build()
        .unwrap();
    let err = stop_error(config).await;
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("requires authentication"));
    assert!(!shown.contains("wrong-pass-123"));
}

#[tokio::test]
async fn an_action_post_is_not_retried_on_503_but_a_get_is() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().max_retries(3).build().unwrap()).unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    assert_eq!(err.api().unwrap().kind, ErrorKind::Unavailable);
    assert_eq!(err.api().unwrap().retry_after(), Some(Duration::ZERO));
}

#[tokio::test]
async fn a_create_or_delete_that_reached_nova_is_never_resent() {
    // Nova may have acted on a POST /servers or DELETE that then failed (a 503 from a proxy
    // after Nova accepted it): resending would build a second server, or act twice. A GET
    // of the same server is retried.
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .expect(1)
        .mount(&cloud.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/compute/v2.1/servers/{SERVER}")))
        .respond_with(ResponseTemplate::new(504).insert_header("retry-after", "0"))
        .expect(3)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().max_retries(2).build().unwrap()).unwrap();
    let err = compute
        .servers()
        .create("once", "155d900f-4e14-4e4c-a73d-069cbf4541e6", "1")
        .networks(openstack_compute::types::Networks::Auto)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    let err = compute.server(SERVER).delete().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    let err = compute.server(SERVER).show().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn discovery_is_retried_on_503_and_cached() {
    let server = wiremock::MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2.1/"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2.1/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"version": {"version": "2.95", "min_version": "2.1"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(accepted("r"))
        .expect(2)
        .mount(&server)
        .await;
    let config = openstack_compute::Config::builder()
        .static_endpoint(&format!("{}/v2.1", server.uri()), "tok")
        .initial_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    let compute = Compute::new(config).unwrap();
    compute.server(SERVER).stop().send().await.unwrap();
    compute.server(SERVER).stop().send().await.unwrap();
    assert_eq!(compute.server_versions().await.unwrap().max, Microversion::new(2, 95));
}

#[tokio::test]
async fn a_slow_response_times_out() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(accepted("slow").set_delay(Duration::from_secs(5)))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(
        cloud
            .config()
            .request_timeout(Duration::from_millis(200))
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
}

/// What `os-stop` on a client built from `config` fails with.
async fn stop_error(config: openstack_compute::Config) -> Error {
    Compute::new(config)
        .unwrap()
        .server(SERVER)
        .stop()
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_transport_error() {
    let config = openstack_compute::Config::builder()
        .static_endpoint("http://127.0.0.1:9/v2.1", "tok")
        .max_retries(1)
        .initial_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    let err = stop_error(config).await;
    assert!(matches!(err, Error::Transport { connect: true, .. }), "{err:?}");
}

#[tokio::test]
async fn a_connect_that_times_out_is_a_connect_error_not_the_request_timeout() {
    // A listener whose accept queue is full: the kernel drops further SYNs, so a connect
    // neither succeeds nor fails until the connect timeout ends it.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let address = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    // The queue holds backlog + 1; more than that, in case a kernel holds more.
    for _ in 0..4 {
        if let Ok(Ok(stream)) =
            tokio::time::timeout(Duration::from_millis(500), tokio::net::TcpStream::connect(address)).await
        {
            queued.push(stream);
        }
    }
    let config = openstack_compute::Config::builder()
        .static_endpoint(&format!("http://{address}/v2.1"), "tok")
        .connect_timeout(Duration::from_millis(200))
        .request_timeout(Duration::from_secs(30))
        .max_retries(0)
        .build()
        .unwrap();
    let err = stop_error(config).await;
    assert!(matches!(err, Error::Transport { connect: true, .. }), "{err:?}");
    assert!(!err.is_timeout());
    drop((listener, queued));
}

#[tokio::test]
async fn a_global_request_id_is_sent_on_every_call() {
    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(accepted("r"))
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().global_request_id(true).build().unwrap()).unwrap();
    let global = compute.config().global_request_id.clone().expect("one per client");
    assert!(global.starts_with("req-") && global.len() == 40, "{global}");
    compute.server(SERVER).stop().send().await.unwrap();
    compute.server(SERVER).stop().send().await.unwrap();
    let requests = cloud.server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4, "token, discovery, two stops");
    for r in &requests {
        assert_eq!(
            r.headers.get("x-openstack-request-id").and_then(|v| v.to_str().ok()),
            Some(global.as_str()),
            "{}",
            r.url
        );
    }
}

/// An ID no URL can carry as one segment is refused before anything is sent: `.` and `..`
/// would otherwise vanish from the path (`/servers/action`, another route).
#[tokio::test]
async fn an_id_that_cannot_be_one_path_segment_is_refused_before_sending() {
    let cloud = MockCloud::start("2.100").await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    for id in ["", ".", ".."] {
        let err = compute.server(id).stop().send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Action, "{id:?}");
        assert_eq!(
            err.to_string(),
            "`stop`: path parameter `server_id` must not be empty, `.` or `..`"
        );
        let raw = compute
            .raw(Method::Post, format!("/servers/{id}/action"))
            .json(&json!({"os-stop": null}))
            .send()
            .await
            .unwrap_err();
        assert_eq!(raw.kind(), ErrorKind::Action, "raw {id:?}");
    }
    let err = compute
        .server(SERVER)
        .instance_actions()
        .get("..")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`show_instance_action`: path parameter `request_id` must not be empty, `.` or `..`"
    );
    let received = cloud.server.received_requests().await.unwrap_or_default();
    assert!(
        received.iter().all(|r| !r.url.path().contains("/servers")),
        "nothing reached a server route: {:?}",
        received.iter().map(|r| r.url.path().to_owned()).collect::<Vec<_>>()
    );
}

// The raw escape hatch: any path of the compute endpoint, or of another service.

#[tokio::test]
async fn a_raw_request_goes_with_the_token_the_microversion_and_the_query_and_keeps_the_request_id() {
    let cloud = MockCloud::start("2.96").await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/os-hypervisors/detail"))
        .and(query_param("hypervisor_hostname_pattern", "node 1&2"))
        .and(header("openstack-api-version", "compute 2.96"))
        .and(header("x-auth-token", format!("{TOKEN_PREFIX}1").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-openstack-request-id", "req-raw")
                .set_body_json(json!({"hypervisors": []})),
        )
        .expect(1)
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let out = compute
        .raw(Method::Get, "/os-hypervisors/detail")
        .query("hypervisor_hostname_pattern", "node 1&2")
        .send()
        .await
        .unwrap();
    assert_eq!(*out, json!({"hypervisors": []}));
    assert_eq!((out.request_id(), out.status()), (Some("req-raw"), 200));

    // A microversion the cloud lacks is refused before sending.
    let err = compute
        .raw(Method::Get, "/os-hypervisors/detail")
        .microversion(Microversion::new(2, 97))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Microversion, "{err}");
}

#[tokio::test]
async fn a_raw_request_reaches_another_service_by_type_interface_and_region() {
    let cloud = MockCloud::start("2.96").await;
    for (at, answer) in [
        ("/image/v2/images", "public"),
        ("/image-internal/v2/images", "internal"),
        ("/image-two/v2/images", "region two"),
        ("/volume/v3/p-123/volumes", "project filled in"),
    ] {
        Mock::given(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!(answer)))
            .mount(&cloud.server)
            .await;
    }
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let images = compute.raw(Method::Get, "/v2/images").service("image");
    assert_eq!(*images.send().await.unwrap(), json!("public"));
    let internal = compute
        .raw(Method::Get, "v2/images")
        .service("image")
        .interface(Interface::Internal);
    assert_eq!(*internal.send().await.unwrap(), json!("internal"));
    let two = compute
        .raw(Method::Get, "/v2/images")
        .service("image")
        .region("RegionTwo");
    assert_eq!(*two.send().await.unwrap(), json!("region two"));
    let volumes = compute
        .raw(Method::Get, "/volumes")
        .service("volumev3")
        .microversion(Microversion::new(3, 59));
    assert_eq!(*volumes.send().await.unwrap(), json!("project filled in"));

    let received = cloud.server.received_requests().await.unwrap();
    let to_volume = received.iter().find(|r| r.url.path().starts_with("/volume")).unwrap();
    assert_eq!(
        to_volume.headers.get("openstack-api-version").unwrap(),
        "volumev3 3.59",
        "another service's microversion is named by its type"
    );
    let to_images: Vec<_> = received.iter().filter(|r| r.url.path().starts_with("/image")).collect();
    assert!(
        to_images
            .iter()
            .all(|r| r.headers.get("openstack-api-version").is_none() && r.headers.contains_key("x-auth-token")),
        "no compute microversion goes to another service, the token does"
    );
    assert_eq!(cloud.tokens(), 1, "one login serves every service");

    let err = compute
        .raw(Method::Get, "/zones")
        .service("dns")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Endpoint);
    assert!(
        err.to_string().contains("the catalog has no service of type `dns`"),
        "{err}"
    );
}

#[tokio::test]
async fn a_raw_write_is_never_resent_a_raw_read_is_and_a_401_logs_in_again() {
    let cloud = MockCloud::start("2.96").await;
    Mock::given(path("/compute/v2.1/os-aggregates"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&cloud.server)
        .await;
    Mock::given(path("/compute/v2.1/os-aggregates"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"aggregates": []})))
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let created = compute
        .raw(Method::Post, "/os-aggregates")
        .json(&json!({"aggregate": {"name": "a"}}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(created.status(), Some(503), "a write may have reached Nova: not resent");
    let listed = compute.raw(Method::Get, "/os-aggregates").send().await.unwrap();
    assert_eq!(
        *listed,
        json!({"aggregates": []}),
        "a read is retried past the second 503"
    );
    let sent = cloud.server.received_requests().await.unwrap();
    let to_aggregates = sent.iter().filter(|r| r.url.path().ends_with("os-aggregates")).count();
    assert_eq!(to_aggregates, 3);

    Mock::given(path("/compute/v2.1/os-keypairs"))
        .and(header("x-auth-token", format!("{TOKEN_PREFIX}1").as_str()))
        .respond_with(ResponseTemplate::new(401))
        .mount(&cloud.server)
        .await;
    Mock::given(path("/compute/v2.1/os-keypairs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keypairs": []})))
        .mount(&cloud.server)
        .await;
    compute.raw(Method::Get, "/os-keypairs").send().await.unwrap();
    assert_eq!(cloud.tokens(), 2);
}

#[tokio::test]
async fn a_raw_answer_is_json_or_bytes_and_a_bad_request_is_refused_unsent() {
    let cloud = MockCloud::start("2.96").await;
    Mock::given(path("/compute/v2.1/servers/s-1/console"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-openstack-request-id", "req-text")
                .set_body_string("<html>not json</html>"),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(path("/compute/v2.1/servers/s-1/action"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute
        .raw(Method::Get, "/servers/s-1/console")
        .send()
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.request_id()), (ErrorKind::Decode, Some("req-text")));
    let bytes = compute
        .raw(Method::Get, "/servers/s-1/console")
        .send_bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"<html>not json</html>");
    let accepted = compute
        .raw(Method::Post, "/servers/s-1/action")
        .json(&json!({"os-stop": null}))
        .send()
        .await
        .unwrap();
    assert_eq!((accepted.status(), &*accepted), (202, &serde_json::Value::Null));

    let before = cloud.server.received_requests().await.unwrap().len();
    for path in ["/servers/../os-services", "/servers//action", "/servers/./action"] {
        let err = compute.raw(Method::Get, path).send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Action, "{path}");
    }
    let err = compute
        .raw(Method::Get, "/servers")
        .header("x-bad", "line\nbreak")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "raw request: the header `x-bad` has a name or value HTTP cannot carry"
    );
    assert_eq!(
        cloud.server.received_requests().await.unwrap().len(),
        before,
        "nothing was sent"
    );
}

#[test]
fn a_raw_request_shows_neither_its_body_nor_its_headers_values() {
    let config = openstack_compute::Config::builder()
        .static_endpoint("http://nova.test/v2.1", "token-secret")
        .build()
        .unwrap();
    let compute = Compute::new(config).unwrap();
    let request = compute
        .raw(Method::Post, "/servers/s-1/action")
        .header("x-custom-secret", "header-secret")
        .json(&json!({"changePassword": {"adminPass": "body-secret"}}));
    let shown = format!("{request:?}");
    for secret in ["token-secret", "header-secret", "body-secret"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(
        shown.contains("/servers/s-1/action") && shown.contains("x-custom-secret"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_call_says_before_sending_which_microversion_it_would_use_and_what_it_may_carry() {
    for (max, reason_ok) in [("2.72", false), ("2.73", true)] {
        let cloud = MockCloud::start(max).await;
        let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
        let lock = compute.server(SERVER).lock();
        assert_eq!(lock.microversion().await.unwrap(), max.parse::<Microversion>().unwrap());
        assert_eq!(lock.accepts("locked_reason").await.unwrap(), reason_ok, "{max}");
        assert!(!lock.accepts("no_such_field").await.unwrap());
        // A pin decides, inside what the cloud supports.
        let pinned = compute.server(SERVER).lock().at_microversion(Microversion::new(2, 1));
        assert!(!pinned.accepts("locked_reason").await.unwrap());
        let received = cloud.server.received_requests().await.unwrap_or_default();
        assert!(
            received.iter().all(|r| !r.url.path().contains("/action")),
            "asking sends nothing but discovery"
        );
    }
}
