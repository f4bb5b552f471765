//! Waiting for where an operation ends.
//!
//! `call.wait(options)` sends the call, then polls until the server is where the operation's
//! facts (from `spec/`) say it ends, *and* the instance action Nova recorded under this call's
//! request ID has finished. What ends a wait is data, not code per operation:
//!
//! - an operation that ends in statuses (`os-stop`: SHUTOFF) is done when the server shows one
//!   of them with no task in flight and its instance action has finished;
//! - one that leaves the status alone (`createImage`) is done when the task state is null again
//!   and its action has finished; one that sets no task state at all (`trigger_crash_dump`) is
//!   done when its action has events and all have finished;
//! - a resize or migration ends in VERIFY_RESIZE, or, on a cloud that confirms resizes by
//!   itself, in ACTIVE/SHUTOFF with every event of the action successful
//!   ([`Outcome::AutoConfirmed`]);
//! - ERROR ends a wait only once the call's own action has ended or one of its events failed:
//!   an operation may start from ERROR (a hard reboot of a broken server), and while it runs
//!   the status stays ERROR;
//! - work the API does before it answers (lock, unlock, reset state) is checked at once, and
//!   is over whether or not Nova recorded an action for it (a second lock by the owner records
//!   none);
//! - a status the operation cannot start from, shown with no task in flight, ends it even
//!   before its action has an event (Nova restores a soft-deleted server with no host in the
//!   API, and that action never gets one);
//! - a delete ends at the 404 ([`Deletion::Deleted`]), or, on a cloud that defers deletes
//!   (`reclaim_instance_interval`), at SOFT_DELETED with no task in flight
//!   ([`Deletion::SoftDeleted`]: restorable until reclaimed, not an error); a delete the host
//!   fails leaves ERROR with no task in flight, which ends the wait at once;
//! - the servers of a multiple create are waited for together, one list of their reservation
//!   per round (`create_server::Call::wait`);
//! - an operation on an item of a server's sub-resource (a volume attach, a port detach) ends
//!   when its instance action has ended and the item it names is there ([`Present`], with
//!   the item as its resource's show operation gives it) or gone ([`Absent`]); a call whose
//!   action Nova never recorded and whose item never got there ends at `max_wait` with
//!   [`WaitError::NothingRecorded`] (an attach from 2.101 that failed before the conductor
//!   recorded anything).
//!
//! A wait that ends in failure ([`WaitError::ServerError`], [`WaitError::ActionFailed`])
//! carries Nova's reason, typed ([`FailureReason`]): the failed event's `details` (2.84+,
//! where Nova fills them), else the server's fault (shown only in ERROR or DELETED), fetched
//! at most once, with the request ID of the response that showed it; else what could not be
//! seen and why.
//!
//! Polls are operations of their own: they go at the highest microversion the server and this
//! SDK share, whatever microversion the call used, so events (2.51+) and their details (2.84+)
//! are seen by every caller. While the action is running, polling it stands in for polling the
//! server; the server is fetched when the action has finished (or has no events to watch).
//! A poll still in flight when `max_wait` runs out is dropped and the wait gives up: with no
//! request timeout (the default), nothing else would bound a server that never answers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

pub(crate) mod item;
pub(crate) mod server;

pub use self::server::Created;

use crate::call::Output;
use crate::error::{Error, ResponseMeta};
use crate::types::{Fault, InstanceAction, Server, ServerStatus, TaskState};

/// Time as a wait sees it: the default follows tokio's clock; tests (and users' tests) can
/// drive a wait with a clock of their own, such as [`crate::testing::ManualClock`].
pub trait Clock: Send + Sync + fmt::Debug {
    /// Time elapsed since an arbitrary, fixed origin.
    fn now(&self) -> Duration;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;

    /// Completes when a poll sent now has run for `left`, what is left of the wait: the wait
    /// then gives up rather than outlast its `max_wait` on a server that never answers. The
    /// default never completes: on a clock that moves only when slept on, such as
    /// [`ManualClock`](crate::testing::ManualClock), a request takes no time.
    fn poll_deadline(&self, left: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let _ = left;
        Box::pin(std::future::pending())
    }
}

/// Tokio's clock.
#[derive(Debug)]
struct TokioClock(tokio::time::Instant);

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn poll_deadline(&self, left: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(left))
    }
}

/// A wait's clock, when it started, and how long it may take.
pub(crate) struct Budget {
    pub(crate) clock: Arc<dyn Clock>,
    start: Duration,
    max_wait: Duration,
}

impl Budget {
    pub(crate) fn new(options: &WaitOptions) -> Budget {
        let clock = options.the_clock();
        Budget {
            start: clock.now(),
            clock,
            max_wait: options.max_wait,
        }
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.clock.now() - self.start
    }

    /// `poll`'s result, or `None` once what is left of `max_wait` has passed first.
    pub(crate) async fn within<T>(&self, poll: impl Future<Output = T>) -> Option<T> {
        let mut deadline = self.clock.poll_deadline(self.max_wait.saturating_sub(self.elapsed()));
        let mut poll = std::pin::pin!(poll);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = poll.as_mut().poll(cx) {
                return Poll::Ready(Some(out));
            }
            deadline.as_mut().poll(cx).map(|()| None)
        })
        .await
    }
}

/// How a wait polls. `max_wait` is required: there is no sensible universal default (a
/// resize of a large disk takes far longer than a stop).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Give up after this long, cutting short a poll still in flight then.
    pub max_wait: Duration,
    /// The first poll comes this long after the call.
    pub initial_interval: Duration,
    /// Each interval is the previous one times this factor...
    pub backoff: f64,
    /// ...up to this cap.
    pub max_interval: Duration,
    /// Randomize each interval by up to ±this fraction, so that many waiters do not poll in step.
    pub jitter: f64,
    clock: Option<Arc<dyn Clock>>,
}

impl WaitOptions {
    /// Polls after 2 s, then 1.5 times longer each time up to every 3 s, with ±10% jitter,
    /// for at most `max_wait`.
    ///
    /// Why: work on a compute host takes seconds, so the first poll comes after 2 s and the
    /// next soon after; long operations settle to one poll per 3 s, about a third of the
    /// requests of a fixed 1 s poll, noticed 1.5 s late on average (BENCHMARKS.md, "Waiting",
    /// has the figures; no fixed schedule does better on both at once). There is no default
    /// `max_wait`: it depends on the operation and the cloud.
    pub fn new(max_wait: Duration) -> WaitOptions {
        WaitOptions {
            max_wait,
            initial_interval: Duration::from_secs(2),
            backoff: 1.5,
            max_interval: Duration::from_secs(3),
            jitter: 0.1,
            clock: None,
        }
    }

    /// The first interval.
    pub fn initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self
    }

    /// The growth factor of the intervals (at least 1).
    pub fn backoff(mut self, factor: f64) -> Self {
        self.backoff = factor.max(1.0);
        self
    }

    /// The longest interval.
    pub fn max_interval(mut self, cap: Duration) -> Self {
        self.max_interval = cap;
        self
    }

    /// The jitter fraction (0 to 1).
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction.clamp(0.0, 1.0);
        self
    }

    /// Waits on `clock` instead of tokio's.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The delay before poll number `n` (0-based), without jitter.
    pub fn interval(&self, n: u32) -> Duration {
        let factor = self.backoff.powi(n.min(64) as i32);
        self.initial_interval.mul_f64(factor).min(self.max_interval)
    }

    pub(crate) fn jittered(&self, n: u32) -> Duration {
        let base = self.interval(n);
        if self.jitter == 0.0 {
            return base;
        }
        base.mul_f64(1.0 + self.jitter * (2.0 * fastrand::f64() - 1.0))
    }

    pub(crate) fn the_clock(&self) -> Arc<dyn Clock> {
        self.clock
            .clone()
            .unwrap_or_else(|| Arc::new(TokioClock(tokio::time::Instant::now())))
    }
}

/// Why a wait ended without reaching its target.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The server went to ERROR once the call's own work was over: [`WaitError::reason`]
    /// says why, as Nova does.
    #[error("server {server_id} went to ERROR: {reason}")]
    ServerError {
        /// The server.
        server_id: String,
        /// Nova's reason, or why it could not be seen.
        reason: FailureReason,
        /// The response that showed the server in ERROR.
        meta: ResponseMeta,
    },
    /// The server disappeared (404) while waiting for something other than deletion.
    #[error("server {server_id} disappeared while waiting")]
    ServerGone {
        /// The server.
        server_id: String,
        /// The 404.
        meta: ResponseMeta,
    },
    /// `max_wait` passed.
    #[error(
        "gave up after {waited:?}: server {server_id} is {} (task state {})",
        status_text(last_status),
        task_text(task_state)
    )]
    Timeout {
        /// The server; in a multiple create, the first not done (or the reservation ID, if
        /// no list of it answered in time).
        server_id: String,
        /// How long the wait took.
        waited: Duration,
        /// The last status seen.
        last_status: Option<ServerStatus>,
        /// The last task state seen.
        task_state: Option<TaskState>,
    },
    /// The instance action has failed events: [`WaitError::reason`] says why, as Nova does.
    #[error(
        "action {request_id} on server {server_id} failed at {}: {reason}",
        failed_text(failed_events)
    )]
    ActionFailed {
        /// The call's request ID.
        request_id: String,
        /// The server whose action failed (one request ID names the action of every server
        /// of a multiple create).
        server_id: String,
        /// The failed events.
        failed_events: Vec<FailedEvent>,
        /// Nova's reason, or why it could not be seen.
        reason: FailureReason,
        /// The response that showed the failed events.
        meta: ResponseMeta,
    },
    /// The instance action was never recorded within `max_wait`.
    #[error("no instance action was recorded for request {request_id} within {waited:?}")]
    ActionNotFound {
        /// The call's request ID.
        request_id: String,
        /// How long the wait took.
        waited: Duration,
    },
    /// Nothing the call should have done was seen within `max_wait`: Nova recorded no instance
    /// action under its request ID, and the item it names is not where the call leaves it
    /// (not there after an attach, still there after a detach). From 2.101 Nova accepts an
    /// attach before doing anything, and a failure that early (the compute host refusing the
    /// device, the block storage service refusing the attachment) leaves neither an action nor
    /// an attachment: this is how it shows.
    #[error(
        "nothing was recorded for request {request_id} within {waited:?}: no instance action, and item {item_id} {}",
        if *present { "did not appear" } else { "is still there" }
    )]
    NothingRecorded {
        /// The call's request ID.
        request_id: String,
        /// The item the call names.
        item_id: String,
        /// Whether the call leaves it there (else gone).
        present: bool,
        /// How long the wait took.
        waited: Duration,
    },
    /// The call's instance action has ended (or Nova records none), but the item it names was
    /// not where the call leaves it within `max_wait`.
    #[error(
        "item {item_id} {} within {waited:?}",
        if *present { "was not there" } else { "was still there" }
    )]
    ItemNotReached {
        /// The item the call names.
        item_id: String,
        /// Whether the call leaves it there (else gone).
        present: bool,
        /// How long the wait took.
        waited: Duration,
    },
    /// The instance action was recorded but had not finished within `max_wait`
    /// ([`ServerHandle::wait_for_action`](crate::ServerHandle::wait_for_action)).
    #[error(
        "instance action {request_id} had not finished within {waited:?} ({})",
        unfinished_text(unfinished_events)
    )]
    ActionUnfinished {
        /// The call's request ID.
        request_id: String,
        /// How long the wait took.
        waited: Duration,
        /// The events not finished at the last poll; empty when none was recorded yet.
        unfinished_events: Vec<String>,
    },
}

fn unfinished_text(events: &[String]) -> String {
    if events.is_empty() {
        "no event recorded yet".into()
    } else {
        format!("unfinished: {}", events.join(", "))
    }
}

fn failed_text(events: &[FailedEvent]) -> String {
    events
        .iter()
        .map(|e| format!("{} ({})", e.event, e.result.as_deref().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn status_text(s: &Option<ServerStatus>) -> String {
    s.as_ref().map_or("unknown".into(), ToString::to_string)
}

fn task_text(t: &Option<TaskState>) -> String {
    t.as_ref().map_or("null".into(), ToString::to_string)
}

/// One failed event of an instance action.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailedEvent {
    /// The step (`compute_resize_instance`).
    pub event: String,
    /// `Error`.
    pub result: Option<String>,
    /// The traceback (admins only).
    pub traceback: Option<String>,
    /// Details of the failure (2.84+, policy-dependent).
    pub details: Option<String>,
}

/// Why Nova says a server's work failed, read from the first place that holds it. Nova keeps
/// a failure's reason in two places, each visible only sometimes: the failed event's
/// `details` (from microversion 2.84, and only where Nova fills them) and the server's
/// `fault` (shown only while the server is in ERROR or DELETED). A wait reads the details
/// when the event has them, else the fault, fetching the server at most once for it; where
/// neither can be seen, [`FailureReason::Unavailable`] says what was missing and why, so that
/// a caller is not left guessing whether to look elsewhere.
///
/// ```
/// # fn demo(e: &openstack_compute::Error) {
/// use openstack_compute::wait::FailureReason;
///
/// match e.as_wait().and_then(|w| w.reason()) {
///     Some(FailureReason::ServerFault { fault, .. }) => println!("fault {}: {}", fault.code, fault.message),
///     Some(reason) => println!("{reason}"),
///     None => {}
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FailureReason {
    /// The failed event's `details`: Nova's message for the step that failed.
    EventDetails {
        /// The failed step (`compute__do_build_and_run_instance`).
        event: String,
        /// What Nova says went wrong.
        details: String,
        /// The request ID of the instance-action response that showed it.
        request_id: Option<String>,
    },
    /// The server's fault.
    ServerFault {
        /// The fault: code, message, when, and (for admins) the traceback in `details`.
        fault: Fault,
        /// The request ID of the response that showed it.
        request_id: Option<String>,
    },
    /// Neither source holds a reason that this caller can see.
    Unavailable {
        /// What could not be seen, and why (Nova's rules, and what the wait saw).
        why: String,
    },
}

impl FailureReason {
    /// Nova's message: the event's details or the fault's message; `None` when unavailable.
    pub fn message(&self) -> Option<&str> {
        match self {
            FailureReason::EventDetails { details, .. } => Some(details),
            FailureReason::ServerFault { fault, .. } => Some(&fault.message),
            FailureReason::Unavailable { .. } => None,
        }
    }

    /// The request ID of the response that showed the reason, to look up in Nova's logs.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            FailureReason::EventDetails { request_id, .. } | FailureReason::ServerFault { request_id, .. } => {
                request_id.as_deref()
            }
            FailureReason::Unavailable { .. } => None,
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = |f: &mut fmt::Formatter<'_>, id: &Option<String>| match id {
            Some(id) => write!(f, ", request {id}"),
            None => Ok(()),
        };
        match self {
            FailureReason::EventDetails {
                event,
                details,
                request_id,
            } => {
                write!(f, "{details} (details of event {event}")?;
                request(f, request_id)?;
                f.write_str(")")
            }
            FailureReason::ServerFault { fault, request_id } => {
                write!(f, "{} (server fault, code {}", fault.message, fault.code)?;
                request(f, request_id)?;
                f.write_str(")")
            }
            FailureReason::Unavailable { why } => write!(f, "no reason available: {why}"),
        }
    }
}

impl WaitError {
    /// Why Nova says the work failed, for a failure (ERROR, or a failed event).
    pub fn reason(&self) -> Option<&FailureReason> {
        match self {
            WaitError::ServerError { reason, .. } | WaitError::ActionFailed { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The response metadata, when a response is part of the error.
    pub fn meta(&self) -> Option<&ResponseMeta> {
        match self {
            WaitError::ServerError { meta, .. }
            | WaitError::ServerGone { meta, .. }
            | WaitError::ActionFailed { meta, .. } => Some(meta),
            _ => None,
        }
    }
}

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Where the operation ends: its status, or its task done.
    Ended,
    /// A resize or migration the cloud confirmed by itself: the server is ACTIVE or SHUTOFF
    /// again, every event of the action successful.
    AutoConfirmed,
}

/// The result of `call.wait(options)`: the call's own output, the server as it was when the
/// wait ended, and the call's instance action when Nova recorded one.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Waited<T> {
    /// The call's own response.
    pub output: Output<T>,
    /// The server at the end (shown at the highest microversion both sides support).
    pub server: Server,
    /// The call's instance action, with its events, when Nova records one.
    pub action: Option<InstanceAction>,
    /// How the wait ended.
    pub outcome: Outcome,
    /// How long the wait took (not counting the call itself).
    pub waited: Duration,
    /// How many requests the wait sent.
    pub polls: u32,
}

/// The result of waiting for a call that leaves an item there (a volume attach): the call's
/// own output, the item as its resource's show operation gives it at the end (at the highest
/// microversion both sides support), and the call's instance action.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Present<T, I> {
    /// The call's own response.
    pub output: Output<T>,
    /// The item, as shown once the call's work had ended.
    pub item: I,
    /// The call's instance action, with its events, when Nova recorded one.
    pub action: Option<InstanceAction>,
    /// How long the wait took (not counting the call itself).
    pub waited: Duration,
    /// How many requests the wait sent.
    pub polls: u32,
}

/// The result of waiting for a call that leaves an item gone (a volume or port detach).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Absent<T> {
    /// The call's own response.
    pub output: Output<T>,
    /// The call's instance action, with its events, when Nova recorded one.
    pub action: Option<InstanceAction>,
    /// How long the wait took (not counting the call itself).
    pub waited: Duration,
    /// How many requests the wait sent.
    pub polls: u32,
}

/// How a deletion ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Deletion {
    /// The server is gone: show answers 404.
    Deleted,
    /// The cloud defers deletes (`reclaim_instance_interval`): the server is SOFT_DELETED, not
    /// gone, and stays so until Nova reclaims it. Until then it can be brought back with
    /// [`restore`](crate::ops::restore) (`server.restore()`), or deleted at once with
    /// [`force_delete`](crate::ops::force_delete). Not an error: the delete did what the
    /// cloud is configured to do, and waiting longer would not change it.
    SoftDeleted {
        /// The server as shown, SOFT_DELETED.
        server: Box<Server>,
    },
}

/// The result of waiting for a deletion.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Gone<T> {
    /// The call's own response.
    pub output: Output<T>,
    /// Whether the server is gone, or soft-deleted and restorable.
    pub outcome: Deletion,
    /// How long the wait took.
    pub waited: Duration,
    /// How many requests the wait sent.
    pub polls: u32,
}

impl From<WaitError> for Error {
    fn from(e: WaitError) -> Error {
        Error::Wait {
            meta: e.meta().cloned(),
            error: Box::new(e),
        }
    }
}

impl Error {
    /// Why a wait ended without reaching its target, when this is a wait's error.
    pub fn as_wait(&self) -> Option<&WaitError> {
        match self {
            Error::Wait { error, .. } => error.downcast_ref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::WaitOptions;

    #[test]
    fn jitter_spreads_each_interval_within_its_fraction_and_zero_jitter_is_exact() {
        fastrand::seed(7);
        let options = WaitOptions::new(Duration::from_secs(60)).jitter(0.1);
        let base = options.interval(3).as_secs_f64();
        let samples: Vec<f64> = (0..2000).map(|_| options.jittered(3).as_secs_f64() / base).collect();
        let (low, high) = samples
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), x| (l.min(*x), h.max(*x)));
        assert!(low >= 0.9 - 1e-9 && high <= 1.1 + 1e-9, "{low}..{high}");
        assert!(low < 0.92 && high > 1.08, "spread over the whole ±10 %: {low}..{high}");
        let exact = WaitOptions::new(Duration::from_secs(60)).jitter(0.0);
        assert!((0..100).all(|_| exact.jittered(3) == exact.interval(3)));
    }
}
