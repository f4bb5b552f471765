//! A proxy named in the environment is used. The client leaves reqwest's per-request proxy
//! matcher out when no proxy variable is set (transport.rs); this proves the other half, with
//! one variable set. Its own test binary: it sets a process-wide variable.

use openstack_compute::{Compute, Config};
use tests::mock::mount_version_document;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_proxy_named_in_http_proxy_carries_the_calls() {
    let proxy = MockServer::start().await;
    // SAFETY: the only test in this binary, and no other thread reads the environment yet.
    unsafe { std::env::set_var("HTTP_PROXY", proxy.uri()) };
    // A host no resolver knows: reaching it at all means going through the proxy.
    let endpoint = "http://compute.example.invalid/v2.1";
    mount_version_document(&proxy, "/v2.1/", "2.96").await;
    Mock::given(method("POST"))
        .and(path("/v2.1/servers/s-1/action"))
        .respond_with(ResponseTemplate::new(202).insert_header("x-openstack-request-id", "req-via-proxy"))
        .expect(1)
        .mount(&proxy)
        .await;
    let config = Config::builder().static_endpoint(endpoint, "tok").build().unwrap();
    let out = Compute::new(config).unwrap().server("s-1").stop().send().await.unwrap();
    assert_eq!(out.request_id(), Some("req-via-proxy"));
    let received = proxy.received_requests().await.unwrap();
    assert_eq!(received.len(), 2, "version discovery and the action");
    assert!(
        received
            .iter()
            .all(|r| r.url.host_str() == Some("compute.example.invalid")),
        "the proxy saw the target's absolute URL: {:?}",
        received.iter().map(|r| r.url.as_str()).collect::<Vec<_>>()
    );
}
