//! Waiters: poll a server until it reaches a status (or its task finishes), and poll the
//! instance action of a request ID until it and its events are done.

use std::time::Duration;

use tokio::time::Instant;

use crate::client::{Call, Output, ServerHandle};
use crate::error::{Error, RequestId, ResponseMeta};
use crate::operation::{show_instance_action, show_server};
use crate::operation_core::{EndsIn, Operation};

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
    /// Polls after 1 s, then every 1.5x longer up to every 5 s, with ±10% jitter, for at
    /// most `max_wait`.
    ///
    /// Why: most actions finish in seconds on a healthy cloud, so the first polls come fast;
    /// the long ones (resize, migration, shelve) take minutes, where a poll every 5 s costs a
    /// tenth of gophercloud's fixed 1 s and notices the end at most ~5 s late. There is no
    /// default `max_wait`: it depends on the action and the cloud (openstacksdk's 120 s is
    /// too short for a resize of a big disk, novaclient's none never gives up).
    pub fn new(max_wait: Duration) -> WaitOptions {
        WaitOptions {
            max_wait,
            initial_interval: Duration::from_secs(1),
            backoff: 1.5,
            max_interval: Duration::from_secs(5),
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
    ServerError {
        server_id: String,
        fault_message: Option<String>,
        fault_code: Option<i64>,
        meta: ResponseMeta,
    },
    /// The server disappeared (404) while waiting for something other than deletion.
    #[error("server {server_id} disappeared while waiting")]
    ServerGone { server_id: String, meta: ResponseMeta },
    /// `max_wait` passed.
    #[error("gave up after {waited:?}: server {server_id} is {last_status} (task_state {})", task_state.as_deref().unwrap_or("null"))]
    Timeout {
        server_id: String,
        waited: Duration,
        last_status: String,
        task_state: Option<String>,
    },
    /// The instance action finished with failed events.
    #[error("action {request_id} failed: {}", failed_events.iter().map(|e| format!("{} ({})", e.event, e.result.as_deref().unwrap_or("?"))).collect::<Vec<_>>().join(", "))]
    ActionFailed {
        request_id: String,
        failed_events: Vec<FailedEvent>,
        meta: ResponseMeta,
    },
    /// The instance action was never recorded within `max_wait`.
    #[error("no instance action was recorded for request {request_id} within {waited:?}")]
    ActionNotFound { request_id: String, waited: Duration },
}

fn fault_text(message: &Option<String>, code: &Option<i64>) -> String {
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
            WaitError::ServerError { meta, .. }
            | WaitError::ServerGone { meta, .. }
            | WaitError::ActionFailed { meta, .. } => Some(meta),
            _ => None,
        }
    }
}

/// What a wait for a server looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target<'a> {
    /// One of these statuses, with no task in flight.
    Status(&'a [&'a str]),
    /// No task in flight, whatever the status.
    TaskDone,
    /// The server is gone (404).
    Deleted,
}

/// The result of [`Call::wait`]: the action's own output, and the server as it was when the
/// wait ended (`None` when the server was deleted).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Waited<T> {
    pub output: Output<T>,
    pub server: Option<Output<show_server::Response>>,
    /// How long the wait took (not counting the action's own call).
    pub waited: Duration,
}

impl ServerHandle {
    /// Polls the server until its status is one of `targets` with no task in flight.
    /// Fails fast on ERROR (unless ERROR is a target) and on 404, and after `max_wait`.
    pub async fn wait_for_status(
        &self,
        targets: &[&str],
        options: WaitOptions,
    ) -> Result<Output<show_server::Response>, Error> {
        self.wait_until(Target::Status(targets), None, options, Instant::now())
            .await
            .map(|s| s.expect("a server"))
    }

    /// Polls until `OS-EXT-STS:task_state` is null: for actions that never change the status
    /// (createImage, createBackup, lock, trigger_crash_dump, ...).
    pub async fn wait_for_task_done(&self, options: WaitOptions) -> Result<Output<show_server::Response>, Error> {
        self.wait_until(Target::TaskDone, None, options, Instant::now())
            .await
            .map(|s| s.expect("a server"))
    }

    /// Polls until the server is gone (show answers 404).
    pub async fn wait_for_deleted(&self, options: WaitOptions) -> Result<(), Error> {
        self.wait_until(Target::Deleted, None, options, Instant::now())
            .await
            .map(|_| ())
    }

    /// Polls `os-instance-actions/{request_id}` until the action is recorded and every event
    /// has finished; fails with each failed event when one did. Before 2.51 only admins see
    /// events: then a recorded action counts as finished once it is visible.
    pub async fn wait_for_action(
        &self,
        request_id: &str,
        options: WaitOptions,
    ) -> Result<Output<show_instance_action::Response>, Error> {
        let start = Instant::now();
        let mut poll = 0;
        loop {
            match self.action_state(request_id).await? {
                ActionState::Finished(action) => return Ok(*action),
                ActionState::Running | ActionState::NotRecorded => {}
            }
            let delay = options.jittered(poll);
            if start.elapsed() + delay > options.max_wait {
                return Err(Error::Wait(Box::new(WaitError::ActionNotFound {
                    request_id: request_id.to_string(),
                    waited: start.elapsed(),
                })));
            }
            tokio::time::sleep(delay).await;
            poll += 1;
        }
    }

    async fn action_state(&self, request_id: &str) -> Result<ActionState, Error> {
        let action = match self.show_instance_action(request_id).send().await {
            Ok(a) => a,
            Err(Error::Api(api)) if api.meta.status == 404 => return Ok(ActionState::NotRecorded),
            Err(e) => return Err(e),
        };
        let Some(events) = &action.events else {
            return Ok(ActionState::Finished(Box::new(action)));
        };
        let failed: Vec<FailedEvent> = events
            .iter()
            .filter(|e| e.result.as_deref().is_some_and(|r| r.eq_ignore_ascii_case("error")))
            .map(|e| FailedEvent {
                event: e.event.clone(),
                result: e.result.clone(),
                traceback: e.traceback.clone().flatten(),
            })
            .collect();
        if !failed.is_empty() {
            return Err(Error::Wait(Box::new(WaitError::ActionFailed {
                request_id: request_id.to_string(),
                failed_events: failed,
                meta: action.meta().clone(),
            })));
        }
        if events.iter().all(|e| e.finish_time.is_some()) {
            Ok(ActionState::Finished(Box::new(action)))
        } else {
            Ok(ActionState::Running)
        }
    }

    async fn wait_until(
        &self,
        target: Target<'_>,
        action: Option<&str>,
        options: WaitOptions,
        start: Instant,
    ) -> Result<Option<Output<show_server::Response>>, Error> {
        let mut poll = 0;
        let mut action_done = action.is_none();
        loop {
            if !action_done && let Some(request_id) = action {
                action_done = matches!(self.action_state(request_id).await?, ActionState::Finished(_));
            }
            let (last_status, task_state) = match self.show_server().send().await {
                Err(Error::Api(api)) if api.meta.status == 404 => {
                    if target == Target::Deleted {
                        return Ok(None);
                    }
                    return Err(Error::Wait(Box::new(WaitError::ServerGone {
                        server_id: self.id().to_string(),
                        meta: api.meta,
                    })));
                }
                Err(e) => return Err(e),
                Ok(server) => {
                    let status = server.status.as_str().to_string();
                    let task_state = server.task_state.clone();
                    let status_ok = match target {
                        Target::Status(targets) => targets.iter().any(|t| t.eq_ignore_ascii_case(&status)),
                        Target::TaskDone => true,
                        Target::Deleted => false,
                    };
                    if status_ok && task_state.is_none() && action_done {
                        return Ok(Some(server));
                    }
                    let error_is_target =
                        matches!(target, Target::Status(t) if t.iter().any(|s| s.eq_ignore_ascii_case("ERROR")));
                    if status == "ERROR" && !error_is_target {
                        let fault = server.fault.as_ref();
                        return Err(Error::Wait(Box::new(WaitError::ServerError {
                            server_id: self.id().to_string(),
                            fault_message: fault.map(|f| f.message.clone()),
                            fault_code: fault.map(|f| f.code),
                            meta: server.meta().clone(),
                        })));
                    }
                    (status, task_state)
                }
            };
            let delay = options.jittered(poll);
            if start.elapsed() + delay > options.max_wait {
                return Err(Error::Wait(Box::new(WaitError::Timeout {
                    server_id: self.id().to_string(),
                    waited: start.elapsed(),
                    last_status,
                    task_state,
                })));
            }
            tracing::debug!(status = %last_status, delay_ms = delay.as_millis() as u64, "waiting");
            tokio::time::sleep(delay).await;
            poll += 1;
        }
    }
}

enum ActionState {
    NotRecorded,
    Running,
    Finished(Box<Output<show_instance_action::Response>>),
}

impl<O: Operation> Call<O> {
    /// Sends the action, then waits until the server is where the spec says this action
    /// ends (`os-stop`: SHUTOFF; `createImage`: task_state null; `forceDelete`: gone), and
    /// until the instance action recorded under this call's request ID has finished, so a
    /// status that was already the target before the action (a reboot of an ACTIVE server) is
    /// not mistaken for the end.
    pub async fn wait(self, options: WaitOptions) -> Result<Waited<O::Response>, Error> {
        let info = O::INFO;
        let server = self.server().clone();
        let output = self.send().await?;
        let start = Instant::now();
        let request_id = output.request_id().map(str::to_string);
        let action = info.instance_action.and(request_id.as_deref());
        let target = match info.ends_in {
            EndsIn::Statuses(statuses) => Target::Status(statuses),
            EndsIn::Unchanged => Target::TaskDone,
            EndsIn::Deleted => Target::Deleted,
            EndsIn::NotApplicable => {
                return Ok(Waited {
                    output,
                    server: None,
                    waited: Duration::ZERO,
                });
            }
        };
        let action = if target == Target::Deleted { None } else { action };
        let server = server.wait_until(target, action, options, start).await?;
        Ok(Waited {
            output,
            server,
            waited: start.elapsed(),
        })
    }
}
