//! How many GETs a wait sends and how late it notices a status change, for the default
//! `WaitOptions` against a fixed 1 s poll (gophercloud's choice), against a mock whose server
//! turns SHUTOFF a set delay after the wait starts. Real time; the delays run concurrently.
//!
//! Run: `cargo bench -p tests --bench wait_efficiency`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use openstack_compute::{Compute, Config, WaitOptions};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct Flip {
    start: Instant,
    after: Duration,
    gets: Arc<AtomicUsize>,
}

impl Respond for Flip {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.gets.fetch_add(1, Ordering::SeqCst);
        let status = if self.start.elapsed() >= self.after {
            "SHUTOFF"
        } else {
            "ACTIVE"
        };
        ResponseTemplate::new(200).set_body_json(tests::mock::server_json("s-1", status))
    }
}

async fn run(label: &str, after: Duration, options: WaitOptions) -> (usize, Duration) {
    let server = MockServer::start().await;
    let gets = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v2.1/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"version": {"version": "2.100", "min_version": "2.1"}})),
        )
        .mount(&server)
        .await;
    let config = Config::builder()
        .static_endpoint(&format!("{}/v2.1", server.uri()), "t")
        .build()
        .unwrap();
    let compute = Compute::new(config).unwrap();
    compute.server_versions().await.unwrap();
    let start = Instant::now();
    Mock::given(method("GET"))
        .respond_with(Flip {
            start,
            after,
            gets: gets.clone(),
        })
        .mount(&server)
        .await;
    compute
        .server("s-1")
        .wait_for_status(&["SHUTOFF"], options)
        .await
        .unwrap();
    let late = start.elapsed().saturating_sub(after);
    let n = gets.load(Ordering::SeqCst);
    println!(
        "{label:<28} change after {:>5.1}s: {n:>3} GETs, noticed {:>5.2}s late",
        after.as_secs_f64(),
        late.as_secs_f64()
    );
    (n, late)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let max = Duration::from_secs(600);
        let fixed = WaitOptions::new(max)
            .backoff(1.0)
            .jitter(0.0)
            .initial_interval(Duration::from_secs(1));
        let ours = WaitOptions::new(max);
        let mut tasks = Vec::new();
        // Off the 1 s grid, as real changes are.
        for millis in [3_500u64, 10_500, 30_500, 60_500] {
            let after = Duration::from_millis(millis);
            let secs = millis;
            tasks.push(tokio::spawn(async move {
                let a = run("default (1s x1.5, cap 5s)", after, ours).await;
                (secs, a)
            }));
            tasks.push(tokio::spawn(async move {
                let b = run("fixed 1s poll", after, fixed).await;
                (secs, b)
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}
