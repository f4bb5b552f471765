//! Waiters: poll a server until it reaches a status (or its task finishes), and poll the
//! instance action of a request ID until it and its events are done.

use std::time::Duration;

use crate::error::ResponseMeta;

/// How a wait polls. `max_wait` is required: there is no sensible universal default (a
/// resize of a large disk takes far longer than a stop).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Give up after this long.
    pub max_wait: Duration,
    /// The first poll comes this long after the start.
    pub initial_interval: Duration,
    /// Each interval is the previous one times this factor...
    pub backoff: f64,
    /// ...up to this cap.
    pub max_interval: Duration,
    /// Randomize each interval by up to ±this fraction, so that many waiters do not poll in step.
    pub jitter: f64,
}

impl WaitOptions {
    /// Polls after 1 s, then every 1.5x longer up to every 10 s, with ±10% jitter, for at
    /// most `max_wait`.
    pub fn new(max_wait: Duration) -> WaitOptions {
        WaitOptions {
            max_wait,
            initial_interval: Duration::from_secs(1),
            backoff: 1.5,
            max_interval: Duration::from_secs(10),
            jitter: 0.1,
        }
    }

    pub fn initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self
    }

    pub fn backoff(mut self, factor: f64) -> Self {
        self.backoff = factor.max(1.0);
        self
    }

    pub fn max_interval(mut self, cap: Duration) -> Self {
        self.max_interval = cap;
        self
    }

    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction.clamp(0.0, 1.0);
        self
    }

    /// The delay before poll number `n` (0-based), without jitter.
    pub fn interval(&self, n: u32) -> Duration {
        let factor = self.backoff.powi(n.min(64) as i32);
        self.initial_interval.mul_f64(factor).min(self.max_interval)
    }

    fn jittered(&self, n: u32) -> Duration {
        let base = self.interval(n);
        if self.jitter == 0.0 {
            return base;
        }
        base.mul_f64(1.0 + self.jitter * (2.0 * fastrand::f64() - 1.0))
    }
}

/// Why a wait ended without reaching its target.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The server went to ERROR.
    #[error("server {server_id} went to ERROR{}", fault_text(fault_message, fault_code))]
    ServerError { server_id: String, fault_message: Option<String>, fault_code: Option<u64>, meta: ResponseMeta },
    /// The server disappeared (404) while waiting for something other than deletion.
    #[error("server {server_id} disappeared while waiting")]
    ServerGone { server_id: String, meta: ResponseMeta },
    /// `max_wait` passed.
    #[error("gave up after {waited:?}: server {server_id} is {last_status} (task_state {})", task_state.as_deref().unwrap_or("null"))]
    Timeout { server_id: String, waited: Duration, last_status: String, task_state: Option<String> },
    /// The instance action finished with failed events.
    #[error("action {request_id} failed: {}", failed_events.iter().map(|e| format!("{} ({})", e.event, e.result.as_deref().unwrap_or("?"))).collect::<Vec<_>>().join(", "))]
    ActionFailed { request_id: String, failed_events: Vec<FailedEvent>, meta: ResponseMeta },
    /// The instance action was never recorded within `max_wait`.
    #[error("no instance action was recorded for request {request_id} within {waited:?}")]
    ActionNotFound { request_id: String, waited: Duration },
}

fn fault_text(message: &Option<String>, code: &Option<u64>) -> String {
    match (message, code) {
        (Some(m), Some(c)) => format!(": {m} (code {c})"),
        (Some(m), None) => format!(": {m}"),
        _ => String::new(),
    }
}

/// One failed event of an instance action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEvent {
    pub event: String,
    pub result: Option<String>,
    /// Present when the caller may see it (admin).
    pub traceback: Option<String>,
}

impl WaitError {
    pub fn meta(&self) -> Option<&ResponseMeta> {
        match self {
            WaitError::ServerError { meta, .. } | WaitError::ServerGone { meta, .. } | WaitError::ActionFailed { meta, .. } => {
                Some(meta)
            }
            _ => None,
        }
    }
}

pub(crate) fn sleep_for(options: &WaitOptions, n: u32) -> Duration {
    options.jittered(n)
}
