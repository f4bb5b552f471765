//! How many GETs a wait sends, and how late it notices the end, against a fixed 1 s poll of
//! the server (what most clients do), for operations that end 5 to 120 s after the call.
//!
//! The SDK's side is `server.stop().wait(WaitOptions::new(..))` with the default schedule: it
//! polls the call's instance action while it runs, then shows the server once. The baseline is
//! `wait_for_status(SHUTOFF)` with a fixed 1 s interval, no jitter (server GETs only). The
//! mock ends the operation at time T of a [`ManualClock`] that both the waits and the mock
//! read, so the figures are exact and take no real time; the default's ±10 % jitter is
//! averaged over 8 seeds per T.
//!
//! Run: `cargo bench -p tests --bench wait_efficiency`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use openstack_compute::testing::ManualClock;
use openstack_compute::types::ServerStatus;
use openstack_compute::{Compute, WaitOptions};
use serde_json::{Value, json};
use tests::mock::MockCloud;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

const SERVER: &str = "5b0c8e1a-3f2d-4c6b-9a7e-1d2f3a4b5c6d";
const RID: &str = "req-5b0c8e1a-0000-4000-8000-000000000001";

/// Answers by the clock: before `end` the stop is in flight, from `end` on it is done.
struct ByClock {
    clock: Arc<ManualClock>,
    end: Duration,
    gets: Arc<AtomicUsize>,
    body: fn(bool) -> Value,
}

impl Respond for ByClock {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.gets.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json((self.body)(self.clock.now() >= self.end))
    }
}

fn server(done: bool) -> Value {
    let mut body = tests::mock::server_json(SERVER, if done { "SHUTOFF" } else { "ACTIVE" });
    body["server"]["OS-EXT-STS:task_state"] = if done { Value::Null } else { json!("powering-off") };
    body
}

fn action(done: bool) -> Value {
    json!({"instanceAction": {"action": "stop", "instance_uuid": SERVER, "message": null, "project_id": "p-123",
        "request_id": RID, "start_time": "2026-01-01T00:00:00.000000", "user_id": "u-1",
        "updated_at": "2026-01-01T00:00:05.000000", "events": [{"event": "compute_stop_instance",
        "start_time": "2026-01-01T00:00:01.000000", "finish_time": if done { json!("2026-01-01T00:00:05.000000") } else { Value::Null },
        "result": if done { json!("Success") } else { Value::Null }, "hostId": "h", "details": null}]}})
}

/// One wait for an operation ending at `end`: (GETs, how late it was noticed).
async fn one(end: Duration, ours: bool, seed: u64) -> (usize, Duration) {
    let cloud = MockCloud::start("2.100").await;
    let clock = ManualClock::new();
    let gets = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(202).insert_header("x-openstack-request-id", RID))
        .mount(&cloud.server)
        .await;
    for (route, body) in [
        (format!("/compute/v2.1/servers/{SERVER}"), server as fn(bool) -> Value),
        (
            format!("/compute/v2.1/servers/{SERVER}/os-instance-actions/{RID}"),
            action,
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(ByClock {
                clock: clock.clone(),
                end,
                gets: gets.clone(),
                body,
            })
            .mount(&cloud.server)
            .await;
    }
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    compute.server_versions().await.unwrap();
    let handle = compute.server(SERVER);
    let max = Duration::from_secs(600);
    if ours {
        fastrand::seed(seed);
        handle
            .stop()
            .wait(WaitOptions::new(max).clock(clock.clone()))
            .await
            .unwrap();
    } else {
        let fixed = WaitOptions::new(max)
            .initial_interval(Duration::from_secs(1))
            .backoff(1.0)
            .jitter(0.0)
            .clock(clock.clone());
        handle.wait_for_status(&[ServerStatus::Shutoff], fixed).await.unwrap();
    }
    (gets.load(Ordering::SeqCst), clock.now().saturating_sub(end))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let defaults = WaitOptions::new(Duration::ZERO);
        println!(
            "default schedule: first poll after {:?}, x{} up to {:?}, jitter ±{}%",
            defaults.initial_interval,
            defaults.backoff,
            defaults.max_interval,
            defaults.jitter * 100.0
        );
        println!(
            "{:>8} | {:>9} {:>9} | {:>9} {:>9}",
            "ends at", "ours GETs", "late", "1 s GETs", "late"
        );
        // Off the 1 s grid, as real ends are: 5.3 s to 120.3 s in steps of 2.3 s.
        let ends: Vec<Duration> = (0..51).map(|i| Duration::from_millis(5_300 + i * 2_300)).collect();
        let (mut ours_gets, mut ours_late, mut fixed_gets, mut fixed_late) = (0.0, 0.0, 0.0, 0.0);
        for (i, end) in ends.iter().enumerate() {
            let seeds = 8;
            let (mut g, mut l) = (0.0, 0.0);
            for seed in 0..seeds {
                let (gets, late) = one(*end, true, seed).await;
                g += gets as f64 / seeds as f64;
                l += late.as_secs_f64() / seeds as f64;
            }
            let (fg, fl) = one(*end, false, 0).await;
            let fl = fl.as_secs_f64();
            if i % 5 == 0 {
                println!("{:>7.1}s | {g:>9.1} {l:>8.2}s | {fg:>9} {fl:>8.2}s", end.as_secs_f64());
            }
            ours_gets += g;
            ours_late += l;
            fixed_gets += fg as f64;
            fixed_late += fl;
        }
        let n = ends.len() as f64;
        println!(
            "==> over {} ends from 5.3 s to 120.3 s: GETs {:.1} vs {:.1} per wait = {:.3}x a fixed 1 s poll; \
             noticed {:.2} s late on average (fixed 1 s: {:.2} s)",
            ends.len(),
            ours_gets / n,
            fixed_gets / n,
            ours_gets / fixed_gets,
            ours_late / n,
            fixed_late / n
        );
    });
}
