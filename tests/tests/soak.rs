//! Concurrency soak: 10,000 actions, 256 in flight, through one client against the embedded
//! fake cloud, with 429s, 503s and timeouts injected and a token that lives 2 seconds. Every
//! action succeeds once or fails with a typed error; the cloud's records agree with the
//! client's results; no POST is sent twice; one token request per expiry.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use openstack_compute::testing::FakeCloud;
use openstack_compute::{Compute, Error};

const ACTIONS: usize = 10_000;
const IN_FLIGHT: usize = 256;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_actions_with_faults_and_expiring_tokens() {
    let cloud = Arc::new(
        FakeCloud::builder()
            .token_lifetime(Duration::from_secs(2))
            .transition_time(Duration::ZERO)
            .start()
            .await,
    );
    let servers: Vec<String> = (0..64).map(|i| cloud.add_server(&format!("soak-{i}"))).collect();
    let compute = Compute::new(
        cloud
            .config()
            .request_timeout(Duration::from_millis(250))
            .build()
            .unwrap(),
    )
    .unwrap();
    compute.server_versions().await.unwrap();

    // Faults: a burst of 503s or 429s, or a latency spike over the client's timeout, every 50 ms.
    let stop = Arc::new(AtomicBool::new(false));
    let injected = Arc::new(AtomicUsize::new(0));
    let injector = {
        let (cloud, stop, injected) = (cloud.clone(), stop.clone(), injected.clone());
        tokio::spawn(async move {
            let mut round = 0u32;
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(50)).await;
                round += 1;
                match round % 4 {
                    0 => cloud.fail_next(503, 5),
                    1 => cloud.fail_next(429, 5),
                    2 => cloud.set_latency(Duration::from_millis(400)),
                    _ => cloud.set_latency(Duration::ZERO),
                }
                injected.fetch_add(1, Ordering::SeqCst);
            }
            cloud.set_latency(Duration::ZERO);
        })
    };

    let rss_before = peak_rss_kib();
    let start = Instant::now();
    let ok = AtomicUsize::new(0);
    let timeouts = AtomicUsize::new(0);
    let api_errors = AtomicUsize::new(0);
    let other = AtomicUsize::new(0);
    futures_util::stream::iter(0..ACTIONS)
        .for_each_concurrent(IN_FLIGHT, |i| {
            let server = compute.server(&servers[i % servers.len()]);
            let (ok, timeouts, api_errors, other) = (&ok, &timeouts, &api_errors, &other);
            async move {
                // Unlock: accepted in any state and recorded every time (a second lock by the
                // owner is not recorded).
                match server.unlock().send().await {
                    Ok(_) => ok.fetch_add(1, Ordering::Relaxed),
                    Err(Error::Timeout(_)) => timeouts.fetch_add(1, Ordering::Relaxed),
                    Err(Error::Api(e)) if matches!(e.meta.status(), 429 | 503) => {
                        api_errors.fetch_add(1, Ordering::Relaxed)
                    }
                    Err(e) => {
                        eprintln!("unexpected: {e}");
                        other.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        })
        .await;
    stop.store(true, Ordering::SeqCst);
    injector.await.unwrap();
    let elapsed = start.elapsed();
    // Let responses still delayed on the server side land.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (ok, timeouts, api_errors, other) = (
        ok.into_inner(),
        timeouts.into_inner(),
        api_errors.into_inner(),
        other.into_inner(),
    );
    let accepted = cloud.accepted_actions();
    let received = cloud.received_actions();
    let recorded: usize = servers.iter().map(|s| cloud.recorded_actions(s).len()).sum();
    // Refreshed with a quarter of its 2 s left: one token per 1.5 s of the run.
    let expiries = (elapsed.as_secs_f64() / 1.5).floor() as usize;
    println!(
        "soak: {ACTIONS} actions, {IN_FLIGHT} in flight, {:.1}s; ok {ok}, timeouts {timeouts}, 429/503 {api_errors}, other {other}; \
         fault injections {}; POSTs received {received}, accepted {accepted}, recorded {recorded}; tokens {}; peak RSS {} KiB (before {} KiB)",
        elapsed.as_secs_f64(),
        injected.load(Ordering::SeqCst),
        cloud.tokens_issued(),
        peak_rss_kib(),
        rss_before
    );
    assert_eq!(other, 0, "every failure is a typed 429/503 or a timeout");
    assert_eq!(ok + timeouts + api_errors, ACTIONS);
    // Nothing is sent twice; every answered action reached the fake. A request that timed out
    // may never have left the client (on a loaded machine it can wait for a connection past
    // its timeout), so timeouts bound nothing below.
    assert!(
        received <= ACTIONS,
        "a POST was sent twice: {received} for {ACTIONS} actions"
    );
    assert!(
        received >= ok + api_errors,
        "an answered action never reached the fake: {received} received, {} answered",
        ok + api_errors
    );
    assert_eq!(accepted, recorded, "every accepted action is recorded once");
    assert!(
        accepted >= ok && accepted <= ok + timeouts,
        "the cloud accepted every success, and at most the timed-out ones besides"
    );
    assert!(api_errors > 0 && timeouts > 0, "faults were injected and seen");
    let tokens = cloud.tokens_issued();
    assert!(expiries >= 1, "the run outlived a token");
    // At least one token per expiry; and single-flight refreshes: far fewer tokens than
    // requests in flight (a refresh per request would ask for hundreds). Exactly how many
    // depends on the machine: a request sent just before its token expires meets a 401 and
    // one re-authentication, more often on a busy machine.
    assert!(
        tokens >= expiries && tokens < IN_FLIGHT / 4,
        "{tokens} token requests for {expiries} expiries"
    );
}
