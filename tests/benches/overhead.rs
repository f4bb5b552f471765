//! The fast in-repo check of the SDK's own cost (the side-by-side run with the other Rust SDKs
//! is `../shared/bench/peers`; BENCHMARKS.md has both):
//!
//! - per call: the same `os-stop` POST (same headers, same body) by `server.stop().send()` and
//!   by plain reqwest + serde_json, against one in-process wiremock server, sequentially and
//!   with 64 in flight; wall time and this process's CPU time per call, median of 5
//!   alternating rounds;
//! - parsing: Nova's 2.100 rebuild response and 2.100 server show body into the typed
//!   responses, against `serde_json::Value`.
//!
//! Prints ratios; asserts nothing. Run: `cargo bench -p tests --bench overhead`

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use openstack_compute::operation::Operation;
use openstack_compute::ops::{rebuild, show_server};
use openstack_compute::{Compute, Config, Microversion, VersionStrategy};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Counts allocations, to report them per call.
struct Counting;

static ALLOCATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: forwarded as is to the system allocator.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded as is to the system allocator.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: forwarded as is to the system allocator.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

const SERVER: &str = "0199340e-0f3e-4612-96be-6f1861b192b5";
const TOKEN: &str = "bench-token";

async fn plain_stop(http: &reqwest::Client, url: &str) {
    let body = serde_json::to_vec(&json!({"os-stop": null})).unwrap();
    let response = http
        .post(url)
        .header("x-auth-token", TOKEN)
        .header("openstack-api-version", "compute 2.100")
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

/// CPU time of this process (all threads, the mock server's included), from /proc.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

/// (wall, CPU) for `calls` calls with `in_flight` at a time.
async fn measure<F, Fut>(calls: usize, in_flight: usize, f: F) -> (Duration, Duration)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (start, cpu_start) = (Instant::now(), cpu());
    futures_util::stream::iter(0..calls)
        .for_each_concurrent(in_flight, |_| f())
        .await;
    (start.elapsed(), cpu() - cpu_start)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn parse_ratio(label: &str, body: &[u8], parse: impl Fn(&[u8])) {
    let n = 20_000;
    let mut ratios = Vec::new();
    let (mut typed_us, mut value_us) = (0.0, 0.0);
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..n {
            std::hint::black_box(serde_json::from_slice::<serde_json::Value>(std::hint::black_box(body)).unwrap());
        }
        let value = start.elapsed();
        let start = Instant::now();
        for _ in 0..n {
            parse(std::hint::black_box(body));
        }
        let typed = start.elapsed();
        ratios.push(typed.as_secs_f64() / value.as_secs_f64());
        typed_us = typed.as_secs_f64() * 1e6 / n as f64;
        value_us = value.as_secs_f64() * 1e6 / n as f64;
    }
    println!(
        "==> parse {label}: typed {typed_us:.2} us, Value {value_us:.2} us: typed/Value {:.3}x (median of 5)",
        median(ratios)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"version": {"version": "2.100", "min_version": "2.1"}})),
            )
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

        // Allocations per call (both sides of the connection: the mock's count the same for
        // both clients), sequentially.
        let count = 1000;
        let before = allocations();
        for _ in 0..count {
            plain_stop(&http, &url).await;
        }
        let plain_allocs = (allocations() - before) as f64 / count as f64;
        let before = allocations();
        for _ in 0..count {
            compute.server(SERVER).stop().send().await.unwrap();
        }
        let sdk_allocs = (allocations() - before) as f64 / count as f64;
        println!(
            "==> allocations per call, mock server's included: plain {plain_allocs:.1}, SDK {sdk_allocs:.1} ({:+.1})",
            sdk_allocs - plain_allocs
        );

        let n = 3000;
        for in_flight in [1, 64] {
            let (mut wall, mut cpu) = (Vec::new(), Vec::new());
            for _round in 0..5 {
                let plain = measure(n, in_flight, || plain_stop(&http, &url)).await;
                let sdk = measure(n, in_flight, || async {
                    compute.server(SERVER).stop().send().await.unwrap();
                })
                .await;
                wall.push(sdk.0.as_secs_f64() / plain.0.as_secs_f64());
                cpu.push(sdk.1.as_secs_f64() / plain.1.as_secs_f64().max(1e-9));
                println!(
                    "   {in_flight:>2} in flight: plain {:>6.1} us/call ({:>5.1} us CPU), SDK {:>6.1} us/call ({:>5.1} us CPU)",
                    plain.0.as_secs_f64() * 1e6 / n as f64,
                    plain.1.as_secs_f64() * 1e6 / n as f64,
                    sdk.0.as_secs_f64() * 1e6 / n as f64,
                    sdk.1.as_secs_f64() * 1e6 / n as f64,
                );
            }
            let latency = median(wall);
            println!(
                "==> {in_flight:>2} in flight: SDK/plain latency {latency:.3}x, throughput {:.3}x, process CPU per call {:.3}x (median of 5)",
                1.0 / latency,
                median(cpu)
            );
        }
    });

    for (label, sample, parse) in [
        (
            "rebuild 2.100 response",
            "servers/v2.100/server-action-rebuild-resp.json",
            (|b: &[u8]| {
                std::hint::black_box(rebuild::Request::parse_response(b, None, Microversion::new(2, 100)).unwrap());
            }) as fn(&[u8]),
        ),
        (
            "server show 2.100 response",
            "servers/v2.100/server-get-resp.json",
            |b: &[u8]| {
                std::hint::black_box(show_server::Request::parse_response(b, None, Microversion::new(2, 100)).unwrap());
            },
        ),
    ] {
        let path = tests::upstream_sample(sample).unwrap_or_else(|| panic!("{sample} is not in Nova's reference"));
        let body = std::fs::read(path).unwrap();
        parse_ratio(label, &body, parse);
    }
}
