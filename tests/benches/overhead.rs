//! Per-call overhead of the SDK against plain reqwest + serde_json, in the same run, against
//! the same local in-process HTTP server (wiremock): the same `os-stop` POST with the same
//! headers, sequentially and with 64 in flight. Also: parsing the 2.100 rebuild response into
//! our typed struct vs into `serde_json::Value`. Prints ratios; asserts nothing.
//!
//! Run: `cargo bench -p tests --bench overhead`

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use openstack_compute::operation::rebuild;
use openstack_compute::{Compute, Config, Microversion, ResponseBody, VersionStrategy};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SERVER: &str = "0199340e-0f3e-4612-96be-6f1861b192b5";
const TOKEN: &str = "bench-token";

async fn plain_stop(http: &reqwest::Client, url: &str) {
    let body = serde_json::to_vec(&json!({"os-stop": null})).unwrap();
    let response = http
        .post(url)
        .header("x-auth-token", TOKEN)
        .header("openstack-api-version", "compute 2.100")
        .header("x-openstack-nova-api-version", "2.100")
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let _id = response
        .headers()
        .get("x-openstack-request-id")
        .map(|v| v.to_str().unwrap().to_string());
    let _ = response.bytes().await.unwrap();
}

async fn measure<F, Fut>(label: &str, calls: usize, in_flight: usize, f: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    futures_util::stream::iter(0..calls)
        .for_each_concurrent(in_flight, |_| f())
        .await;
    let elapsed = start.elapsed();
    println!(
        "{label:<40} {calls} calls, {in_flight:>2} in flight: {:>8.1} µs/call, {:>8.0} calls/s",
        elapsed.as_secs_f64() * 1e6 / calls as f64,
        calls as f64 / elapsed.as_secs_f64()
    );
    elapsed
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": {"version": "2.100", "min_version": "2.1"}})))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(202).insert_header("x-openstack-request-id", "req-bench"))
            .mount(&server)
            .await;
        let endpoint = format!("{}/v2.1", server.uri());
        let url = format!("{endpoint}/servers/{SERVER}/action");
        let config = Config::builder()
            .static_endpoint(&endpoint, TOKEN)
            .version(VersionStrategy::Pinned(Microversion::new(2, 100)))
            .build()
            .unwrap();
        let compute = Compute::new(config).unwrap();
        let http = reqwest::Client::new();
        // Warm both (connections, discovery, token).
        compute.server(SERVER).stop().send().await.unwrap();
        plain_stop(&http, &url).await;

        let n = 3000;
        println!("per-call overhead (lower ratio is better for latency):");
        for in_flight in [1, 64] {
            let mut ratios = Vec::new();
            for _round in 0..5 {
                let plain = measure("plain reqwest + serde_json", n, in_flight, || plain_stop(&http, &url)).await;
                let sdk = measure("openstack-compute stop().send()", n, in_flight, || async {
                    compute.server(SERVER).stop().send().await.unwrap();
                })
                .await;
                ratios.push(sdk.as_secs_f64() / plain.as_secs_f64());
            }
            ratios.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let median = ratios[2];
            println!(
                "==> {in_flight:>2} in flight: latency ratio {median:.3}x, throughput ratio {:.3}x (median of 5 rounds)",
                1.0 / median
            );
        }
    });

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/reference/nova/doc/api_samples/servers/v2.100/server-action-rebuild-resp.json");
    if let Ok(body) = std::fs::read(&path) {
        let n = 20_000;
        let v = Microversion::new(2, 100);
        let start = Instant::now();
        for _ in 0..n {
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            std::hint::black_box(value);
        }
        let value_time = start.elapsed();
        let start = Instant::now();
        for _ in 0..n {
            let typed = rebuild::Response::parse(&body, None, v).unwrap();
            std::hint::black_box(typed);
        }
        let typed_time = start.elapsed();
        println!(
            "parse 2.100 rebuild response: Value {:.2} µs, typed {:.2} µs ==> typed/Value {:.3}x",
            value_time.as_secs_f64() * 1e6 / n as f64,
            typed_time.as_secs_f64() * 1e6 / n as f64,
            typed_time.as_secs_f64() / value_time.as_secs_f64()
        );
    }
}
