//! Waiting on a server: Nova's server state machine, followed through the server's status
//! and task state and the instance action recorded under the call's request ID, to the end
//! that the operation's facts (`OperationInfo::server`) name. Nova behaviour of its own, so
//! this is the one place that polls servers.
//!
//! A wait that ends in failure says why as Nova does ([`FailureReason`]): the failed event's
//! `details` (2.84+, where Nova fills them), else the server's `fault` (shown only in ERROR
//! or DELETED), fetched at most once, else what could not be seen and why.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::{Budget, Deletion, FailedEvent, FailureReason, Gone, Outcome, WaitError, WaitOptions, Waited};
use crate::call::{CallCore, Output};
use crate::error::{Error, ResponseMeta};
use crate::microversion::Microversion;
use crate::operation::{ActionEvents, EndsIn, InstanceActionFacts, Operation, StatusFacts, WhileBusy};
use crate::ops::create_server;
use crate::types::Boolish;
use crate::types::{InstanceAction, Server, ServerStatus, TaskState};
use crate::{Compute, ServerHandle};

/// From 2.51 Nova shows a non-admin the events of an instance action; before, only admins.
const EVENTS_SHOWN: Microversion = Microversion::new(2, 51);
/// From 2.84 an event carries `details` (`spec/types/InstanceActionEvent.yaml`), where Nova
/// fills them and policy shows them.
const DETAILS_SHOWN: Microversion = Microversion::new(2, 84);

impl<O: Operation> CallCore<O> {
    /// Sends the call, then waits until the server is where the operation ends (see the
    /// module docs).
    pub async fn wait(self, options: WaitOptions) -> Result<Waited<O::Response>, Error> {
        let info = O::INFO;
        let server = ServerHandle::from_base(self.base().clone());
        let facts = *info
            .server_status()
            .expect("the generated `wait` exists only for operations with server-status facts");
        let output = self.send().await?;
        let request_id = output.request_id().map(str::to_string);
        let end = server
            .wait_for_end(facts, info.instance_action, request_id.as_deref(), options)
            .await?;
        Ok(Waited {
            output,
            server: end.server,
            action: end.action,
            outcome: end.outcome,
            waited: end.waited,
            polls: end.polls,
        })
    }

    /// Sends the call, then polls until the server is gone, or soft-deleted where the cloud
    /// defers deletes (see [`ServerHandle::wait_for_deleted`]).
    pub async fn wait_gone(self, options: WaitOptions) -> Result<Gone<O::Response>, Error> {
        let server = ServerHandle::from_base(self.base().clone());
        let output = self.send().await?;
        // The call's action is read only for the reason of a failure.
        let request_id = O::INFO.instance_action.and(output.request_id());
        let (outcome, waited, polls) = server.poll_until_gone(request_id, options).await?;
        Ok(Gone {
            output,
            outcome,
            waited,
            polls,
        })
    }
}

/// Where a wait ended.
pub(crate) struct End {
    pub server: Server,
    pub action: Option<InstanceAction>,
    pub outcome: Outcome,
    pub waited: Duration,
    pub polls: u32,
}

/// What the call's instance action says.
pub(super) enum ActionState {
    /// Not recorded (yet).
    NotRecorded,
    /// Recorded; the events cannot be seen at this microversion.
    Opaque(InstanceAction),
    /// Recorded with no events (yet): the compute host has not started, or the action has
    /// none (reset state).
    NotStarted(InstanceAction),
    /// Some events have not finished.
    Running(InstanceAction),
    /// Every event finished successfully.
    Finished(InstanceAction),
    /// Some events failed: they, and the response that showed them.
    Failed(Vec<FailedEvent>, ResponseMeta),
}

/// What the call's instance action told of a failure's reason, for the words of
/// [`FailureReason::Unavailable`].
#[derive(Clone, Copy)]
enum EventsTold<'a> {
    /// Nothing: below 2.51 a non-admin sees no events.
    Hidden,
    /// Nothing: below 2.84 no event has details, so the action was not read for them.
    DetailsHidden,
    /// This event failed without details.
    NoDetails(&'a str),
    /// The call's action has no failed event.
    NoneFailed,
    /// No action of the call was seen (none recorded, or no call: a wait for a status).
    NotSeen,
}

impl EventsTold<'_> {
    /// What was not seen and why, at `v`, the microversion the polls used.
    fn why(self, v: Microversion) -> String {
        match self {
            EventsTold::Hidden => {
                format!("Nova shows a non-admin an instance action's events only from 2.51 (this cloud goes up to {v})")
            }
            EventsTold::DetailsHidden => {
                format!("Nova shows an event's details only from 2.84 (this cloud goes up to {v})")
            }
            EventsTold::NoDetails(_) if v < DETAILS_SHOWN => EventsTold::DetailsHidden.why(v),
            EventsTold::NoDetails(event) => format!(
                "the failed event {event} has no details (Nova fills them only for some failures, and policy may hide them)"
            ),
            EventsTold::NoneFailed => "no event of the call's instance action failed".into(),
            EventsTold::NotSeen => "no instance action of the call was seen".into(),
        }
    }

    /// What the events tell at `v` when they were not read: nothing, and why.
    fn unread(v: Microversion) -> EventsTold<'static> {
        if v < EVENTS_SHOWN {
            EventsTold::Hidden
        } else {
            EventsTold::DetailsHidden
        }
    }
}

/// The first failed event's details that say something, as the reason.
fn event_details(failed: &[FailedEvent], meta: &ResponseMeta) -> Option<FailureReason> {
    failed.iter().find_map(|e| {
        let details = e.details.as_deref().filter(|d| !d.trim().is_empty())?;
        Some(FailureReason::EventDetails {
            event: e.event.clone(),
            details: details.to_string(),
            request_id: meta.request_id().map(str::to_string),
        })
    })
}

/// The reason a shown server holds, its fault, or (with what the events told) why there is
/// none: Nova shows a fault only in ERROR or DELETED.
fn fault_reason(server: &Server, meta: &ResponseMeta, told: EventsTold<'_>, v: Microversion) -> FailureReason {
    if let Some(fault) = &server.fault {
        return FailureReason::ServerFault {
            fault: fault.clone(),
            request_id: meta.request_id().map(str::to_string),
        };
    }
    let status = &server.status;
    let fault = if matches!(status, ServerStatus::Error | ServerStatus::Deleted) {
        format!("the server is {status} but shows no fault")
    } else {
        format!("Nova shows a server's fault only in ERROR or DELETED (the server is {status})")
    };
    FailureReason::Unavailable {
        why: format!("{}; {fault}", told.why(v)),
    }
}

impl ServerHandle {
    /// The highest microversion both the server and this SDK support: what polls use.
    pub(super) async fn poll_version(&self) -> Result<Microversion, Error> {
        poll_version(self.compute()).await
    }

    async fn show_at(&self, v: Microversion) -> Result<Option<Output<Server>>, Error> {
        match self.show().at_microversion(v).send().await {
            Ok(s) => Ok(Some(s)),
            Err(Error::Api(api)) if api.meta.status() == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn action_at(&self, request_id: &str, v: Microversion) -> Result<ActionState, Error> {
        let action = match self.instance_actions().get(request_id).at_microversion(v).send().await {
            Ok(a) => a,
            Err(Error::Api(api)) if api.meta.status() == 404 => return Ok(ActionState::NotRecorded),
            Err(e) => return Err(e),
        };
        let (action, meta) = action.into_parts();
        let failed: Vec<FailedEvent> = action
            .events
            .iter()
            .filter(|e| e.result.as_deref().is_some_and(|r| r.eq_ignore_ascii_case("error")))
            .map(|e| FailedEvent {
                event: e.event.clone(),
                result: e.result.clone(),
                traceback: e.traceback.clone().into_value(),
                details: e.details.clone().into_value(),
            })
            .collect();
        if !failed.is_empty() {
            return Ok(ActionState::Failed(failed, meta));
        }
        // Before 2.51 only admins see events: an empty list then says nothing.
        let visible = v >= EVENTS_SHOWN;
        Ok(if action.events.is_empty() {
            if visible {
                ActionState::NotStarted(action)
            } else {
                ActionState::Opaque(action)
            }
        } else if action.events.iter().all(|e| e.finish_time.is_some()) {
            ActionState::Finished(action)
        } else {
            ActionState::Running(action)
        })
    }

    /// The error for a call whose action has failed events, with Nova's reason: the events'
    /// details, else the server's fault, shown once for it.
    pub(super) async fn action_failed(
        &self,
        request_id: &str,
        failed: Vec<FailedEvent>,
        meta: ResponseMeta,
        v: Microversion,
        budget: &Budget,
    ) -> Error {
        let reason = match event_details(&failed, &meta) {
            Some(reason) => reason,
            None => {
                let told = EventsTold::NoDetails(failed.first().map_or("?", |e| e.event.as_str()));
                let unavailable = |server: String| FailureReason::Unavailable {
                    why: format!("{}; {server}", told.why(v)),
                };
                match budget.within(self.show_at(v)).await {
                    Some(Ok(Some(shown))) => fault_reason(&shown, shown.meta(), told, v),
                    Some(Ok(None)) => unavailable("the server is gone (404), so it shows no fault".into()),
                    Some(Err(e)) => unavailable(format!("the server could not be shown for its fault: {e}")),
                    None => unavailable("max_wait ran out before the server could be shown for its fault".into()),
                }
            }
        };
        Error::from(WaitError::ActionFailed {
            request_id: request_id.to_string(),
            server_id: self.id().to_string(),
            failed_events: failed,
            reason,
            meta,
        })
    }

    /// Polls until the operation's end (see the module docs).
    pub(crate) async fn wait_for_end(
        &self,
        facts: StatusFacts,
        action_facts: Option<InstanceActionFacts>,
        request_id: Option<&str>,
        options: WaitOptions,
    ) -> Result<End, Error> {
        let budget = Budget::new(&options);
        // The action is followed when Nova records one for this call.
        let tracked = action_facts.zip(request_id);
        // Why the wait gave up: no action recorded for the call, or the server not (yet)
        // where the operation ends.
        let gave_up = |action: &Option<InstanceAction>, last: &(Option<ServerStatus>, Option<TaskState>)| {
            let waited = budget.elapsed();
            Error::from(match (tracked, action) {
                (Some((_, id)), None) => WaitError::ActionNotFound {
                    request_id: id.to_string(),
                    waited,
                },
                _ => WaitError::Timeout {
                    server_id: self.id().to_string(),
                    waited,
                    last_status: last.0.clone(),
                    task_state: last.1.clone(),
                },
            })
        };
        let Some(v) = budget.within(self.poll_version()).await else {
            return Err(gave_up(&None, &(None, None)));
        };
        let v = v?;
        let sets_task_state = !facts.task_states.is_empty();
        // A status the operation cannot start from, reached with no task in flight, proves
        // its work is over even before the action shows an event: the API restores a
        // soft-deleted server that has no host by itself, and no event ever comes.
        let proves_end = |status: &ServerStatus| {
            matches!(facts.ends_in, EndsIn::Statuses(targets) if targets.contains(status))
                && !facts.from.is_empty()
                && !facts.from.contains(status)
        };
        let provable = matches!(facts.ends_in, EndsIn::Statuses(targets) if targets.iter().any(proves_end));
        let mut polls = 0u32;
        let mut round = 0u32;
        let mut last: (Option<ServerStatus>, Option<TaskState>) = (None, None);
        let mut action: Option<InstanceAction> = None;
        // Work on a compute host takes seconds at least: the first poll waits one interval.
        // The rest (work the API did before it answered, a status already reached) is
        // checked at once.
        if tracked.is_some_and(|(a, _)| a.events == ActionEvents::Compute) {
            let delay = options.jittered(round);
            if delay <= options.max_wait {
                budget.clock.sleep(delay).await;
                round += 1;
            }
        }
        loop {
            let elapsed = budget.elapsed();
            // 1. The call's instance action, while it is running.
            let mut action_done = tracked.is_none();
            // Recorded, no event yet: the server is shown only for a proof of the end.
            let mut not_started = false;
            if let Some((facts_a, id)) = tracked {
                polls += 1;
                let Some(state) = budget.within(self.action_at(id, v)).await else {
                    return Err(gave_up(&action, &last));
                };
                match state? {
                    ActionState::Failed(failed, meta) => {
                        return Err(self.action_failed(id, failed, meta, v, &budget).await);
                    }
                    // Work the API finishes before it answers is recorded by then, or never
                    // (Nova skips locking a server its owner has already locked).
                    ActionState::NotRecorded if facts_a.events != ActionEvents::Compute => action_done = true,
                    ActionState::NotRecorded => {}
                    // An action without events is done once recorded (reset state).
                    ActionState::NotStarted(a) if facts_a.events == ActionEvents::None => {
                        action = Some(a);
                        action_done = true;
                    }
                    ActionState::NotStarted(a) => {
                        action = Some(a);
                        not_started = provable;
                    }
                    ActionState::Running(a) => action = Some(a),
                    ActionState::Opaque(a) => {
                        // Events unseen: the task state and the status decide.
                        action = Some(a);
                        action_done = true;
                    }
                    ActionState::Finished(a) => {
                        action = Some(a);
                        action_done = true;
                    }
                }
            }
            // 2. The server, unless a running action already says it is not done.
            if action_done || not_started {
                polls += 1;
                let Some(shown) = budget.within(self.show_at(v)).await else {
                    return Err(gave_up(&action, &last));
                };
                let Some(shown) = shown? else {
                    return Err(Error::from(WaitError::ServerGone {
                        server_id: self.id().to_string(),
                        meta: ResponseMeta::default(),
                    }));
                };
                let task = shown.task_state.value().cloned();
                let status = shown.status.clone();
                last = (Some(status.clone()), task.clone());
                let idle = task.is_none();
                let outcome = match facts.ends_in {
                    _ if !action_done => (idle && proves_end(&status)).then_some(Outcome::Ended),
                    EndsIn::Statuses(targets) if idle && targets.contains(&status) => Some(Outcome::Ended),
                    EndsIn::Statuses(_)
                        if idle
                            && facts.auto_confirmed.contains(&status)
                            && action.as_ref().is_some_and(|a| !a.events.is_empty()) =>
                    {
                        Some(Outcome::AutoConfirmed)
                    }
                    EndsIn::Unchanged if idle || !sets_task_state => Some(Outcome::Ended),
                    EndsIn::Deleted | EndsIn::Statuses(_) | EndsIn::Unchanged => None,
                };
                if let Some(outcome) = outcome {
                    let (server, _) = shown.into_parts();
                    return Ok(End {
                        server,
                        action,
                        outcome,
                        waited: budget.elapsed(),
                        polls,
                    });
                }
                // ERROR once the call's own work is over: it did not start from there, or
                // it failed there.
                if action_done && status == ServerStatus::Error && idle {
                    // The action had no failed event (or none visible): the fault, in hand.
                    let told = match (tracked, &action) {
                        (Some(_), Some(a)) if v < EVENTS_SHOWN && a.events.is_empty() => EventsTold::Hidden,
                        (Some(_), Some(_)) => EventsTold::NoneFailed,
                        _ => EventsTold::NotSeen,
                    };
                    return Err(Error::from(WaitError::ServerError {
                        server_id: self.id().to_string(),
                        reason: fault_reason(&shown, shown.meta(), told, v),
                        meta: shown.meta().clone(),
                    }));
                }
            }
            let delay = options.jittered(round);
            if elapsed + delay > options.max_wait {
                return Err(gave_up(&action, &last));
            }
            tracing::debug!(delay_ms = delay.as_millis() as u64, "waiting");
            budget.clock.sleep(delay).await;
            round += 1;
        }
    }

    /// Polls until the server is gone (show answers 404) or soft-deleted, or its delete
    /// failed (see [`ServerHandle::wait_for_deleted`]). `request_id` names the delete's
    /// instance action, read once for the reason of a failure.
    pub(crate) async fn poll_until_gone(
        &self,
        request_id: Option<&str>,
        options: WaitOptions,
    ) -> Result<(Deletion, Duration, u32), Error> {
        let budget = Budget::new(&options);
        let gave_up = |last_status, task_state| {
            Error::from(WaitError::Timeout {
                server_id: self.id().to_string(),
                waited: budget.elapsed(),
                last_status,
                task_state,
            })
        };
        let Some(v) = budget.within(self.poll_version()).await else {
            return Err(gave_up(None, None));
        };
        let v = v?;
        // Where a deleted server rests on a cloud that defers deletes: the delete's facts
        // say (`deferred`). (A force delete, which waits here too, never rests there: its
        // task stays `deleting` until the 404.)
        let restorable = crate::ops::delete_server::INFO
            .server_status()
            .map_or(&[][..], |f| f.deferred);
        let mut polls = 0;
        let mut round = 0;
        let mut last = (None, None);
        loop {
            polls += 1;
            let Some(shown) = budget.within(self.show_at(v)).await else {
                return Err(gave_up(last.0, last.1));
            };
            let Some(shown) = shown? else {
                return Ok((Deletion::Deleted, budget.elapsed(), polls));
            };
            // The API sets task state `deleting` (or `soft-deleting`) before it answers, and
            // the host clears it when it is done: with no task in flight, the status is
            // where the delete ended.
            let idle = shown.task_state.value().is_none();
            if idle && restorable.contains(&shown.status) {
                let server = Box::new(shown.into_inner());
                return Ok((Deletion::SoftDeleted { server }, budget.elapsed(), polls));
            }
            if idle && shown.status == ServerStatus::Error {
                return Err(self.delete_failed(&shown, request_id, v, &budget).await);
            }
            last = (Some(shown.status.clone()), shown.task_state.value().cloned());
            let elapsed = budget.elapsed();
            let delay = options.jittered(round);
            if elapsed + delay > options.max_wait {
                return Err(gave_up(last.0, last.1));
            }
            budget.clock.sleep(delay).await;
            round += 1;
        }
    }

    /// The error for a delete that left the server in ERROR: the delete's failed event's
    /// details (read once, and only from 2.84, where events have them), else the fault the
    /// server shows.
    async fn delete_failed(
        &self,
        shown: &Output<Server>,
        request_id: Option<&str>,
        v: Microversion,
        budget: &Budget,
    ) -> Error {
        let server_error = |reason| {
            Error::from(WaitError::ServerError {
                server_id: self.id().to_string(),
                reason,
                meta: shown.meta().clone(),
            })
        };
        let Some(id) = request_id.filter(|_| v >= DETAILS_SHOWN) else {
            let told = if request_id.is_some() {
                EventsTold::unread(v)
            } else {
                EventsTold::NotSeen
            };
            return server_error(fault_reason(shown, shown.meta(), told, v));
        };
        let failed = match budget.within(self.action_at(id, v)).await {
            Some(Ok(ActionState::Failed(failed, meta))) => Some((failed, meta)),
            _ => None,
        };
        let Some((failed, meta)) = failed else {
            return server_error(fault_reason(shown, shown.meta(), EventsTold::NoneFailed, v));
        };
        let reason = event_details(&failed, &meta).unwrap_or_else(|| {
            let told = EventsTold::NoDetails(failed.first().map_or("?", |e| e.event.as_str()));
            fault_reason(shown, shown.meta(), told, v)
        });
        Error::from(WaitError::ActionFailed {
            request_id: id.to_string(),
            server_id: self.id().to_string(),
            failed_events: failed,
            reason,
            meta,
        })
    }

    /// Polls the server until its status is one of `targets` with no task in flight. Fails on
    /// ERROR with no task in flight (unless ERROR is a target), on 404, and after `max_wait`.
    pub async fn wait_for_status(
        &self,
        targets: &'static [ServerStatus],
        options: WaitOptions,
    ) -> Result<Output<Server>, Error> {
        let facts = StatusFacts {
            from: &[],
            during: &[],
            ends_in: EndsIn::Statuses(targets),
            auto_confirmed: &[],
            deferred: &[],
            task_states: &[TaskState::Scheduling],
            while_busy: WhileBusy::Refused,
            by_request: None,
        };
        self.wait_for_end(facts, None, None, options).await.map(|end| {
            let meta = ResponseMeta::default();
            Output::new(end.server, meta)
        })
    }

    /// Polls until the server is gone (show answers 404), or, on a cloud that defers deletes
    /// (`reclaim_instance_interval`), SOFT_DELETED with no task in flight, where it stays
    /// until reclaimed ([`Deletion::SoftDeleted`]: not an error, and restorable). A delete
    /// that fails leaves the server in ERROR with no task in flight: that ends the wait at
    /// once with [`WaitError::ServerError`] and Nova's reason.
    pub async fn wait_for_deleted(&self, options: WaitOptions) -> Result<Deletion, Error> {
        self.poll_until_gone(None, options).await.map(|(outcome, ..)| outcome)
    }

    /// Polls `os-instance-actions/{request_id}` until the action is recorded and every event
    /// has finished (an action Nova records without events, reset state, is done once
    /// recorded); fails with each failed event when one did (with Nova's reason, as
    /// [`WaitError::ActionFailed`] says), and after `max_wait` with
    /// [`WaitError::ActionNotFound`] or, once recorded, [`WaitError::ActionUnfinished`].
    pub async fn wait_for_action(&self, request_id: &str, options: WaitOptions) -> Result<InstanceAction, Error> {
        let budget = Budget::new(&options);
        // Not recorded, or recorded with events still running.
        let gave_up = |seen: &Option<InstanceAction>| {
            let request_id = request_id.to_string();
            let waited = budget.elapsed();
            Error::from(match seen {
                None => WaitError::ActionNotFound { request_id, waited },
                Some(action) => WaitError::ActionUnfinished {
                    request_id,
                    waited,
                    unfinished_events: action
                        .events
                        .iter()
                        .filter(|e| e.finish_time.is_none())
                        .map(|e| e.event.clone())
                        .collect(),
                },
            })
        };
        let mut seen = None;
        let Some(v) = budget.within(self.poll_version()).await else {
            return Err(gave_up(&seen));
        };
        let v = v?;
        let mut round = 0;
        loop {
            let Some(state) = budget.within(self.action_at(request_id, v)).await else {
                return Err(gave_up(&seen));
            };
            match state? {
                ActionState::Failed(failed, meta) => {
                    return Err(self.action_failed(request_id, failed, meta, v, &budget).await);
                }
                ActionState::Finished(a) | ActionState::Opaque(a) => return Ok(a),
                ActionState::NotStarted(a) if recorded_without_events(&a.action) => return Ok(a),
                ActionState::NotStarted(a) | ActionState::Running(a) => seen = Some(a),
                ActionState::NotRecorded => {}
            }
            let elapsed = budget.elapsed();
            let delay = options.jittered(round);
            if elapsed + delay > options.max_wait {
                return Err(gave_up(&seen));
            }
            budget.clock.sleep(delay).await;
            round += 1;
        }
    }
}

/// Whether Nova records the instance action named `action` without events (reset state: the
/// API does the work), so that it is over once recorded. Known from the spec's operations;
/// any other name (one newer than the spec) is taken to have events, so a wait for it ends
/// at its last event or at `max_wait`.
fn recorded_without_events(action: &str) -> bool {
    crate::generated::OPERATIONS
        .iter()
        .filter_map(|op| op.instance_action)
        .any(|recorded| recorded.name == action && recorded.events == ActionEvents::None)
}

/// What waiting for a create returns: the call's own response and every server the request
/// built, each ACTIVE.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Created {
    /// The call's own response (with the admin password, when Nova sends one).
    pub output: Output<create_server::Response>,
    /// Every server the request built, as shown when it became ACTIVE; never empty, the
    /// first (or only) one first.
    pub servers: Vec<Server>,
    /// How long the wait took (not counting the call itself).
    pub waited: Duration,
    /// How many requests the wait sent.
    pub polls: u32,
}

impl Created {
    /// The server built (the first one of a multiple create).
    pub fn server(&self) -> &Server {
        &self.servers[0]
    }
}

impl create_server::Call {
    /// Sends the create, then waits until the server is ACTIVE and its `create` instance
    /// action has finished. A build that fails ends the wait with an error carrying Nova's
    /// reason ([`WaitError::reason`](crate::wait::WaitError::reason)):
    /// [`WaitError::ActionFailed`](crate::wait::WaitError::ActionFailed) with the failed step
    /// of the action, or [`WaitError::ServerError`](crate::wait::WaitError::ServerError).
    ///
    /// A multiple create (`max_count` or `min_count` above 1) is sent with
    /// `return_reservation_id`, since Nova's answer otherwise names only the first server; its
    /// servers are then waited for together, in one loop within one `max_wait`: each round is
    /// one list of the reservation (`GET /servers/detail?reservation_id=`), whatever the
    /// number of servers, and the first server in ERROR ends the wait with its reason.
    pub async fn wait(self, options: WaitOptions) -> Result<Created, Error> {
        let mut core = self.into_core();
        let count = |c: &Option<crate::types::Integerish>| c.as_ref().map_or(1, |c| c.get());
        let several = count(&core.request.max_count).max(count(&core.request.min_count)) > 1;
        if several {
            core.request.return_reservation_id = Some(Boolish::from(true));
        }
        let compute = core.compute().clone();
        let output = core.send().await?;
        let info = create_server::Request::INFO;
        let facts = *info.server_status().expect("create_server has server-status facts");
        let budget = Budget::new(&options);
        let (servers, polls) = match (&output.server, &output.reservation_id) {
            (Some(created), _) => {
                let end = compute
                    .server(created.id.clone())
                    .wait_for_end(facts, info.instance_action, output.request_id(), options)
                    .await?;
                (vec![end.server], end.polls)
            }
            (None, Some(reservation)) => {
                let request_id = info.instance_action.and(output.request_id());
                wait_for_reservation(&compute, reservation, request_id, facts, &options, &budget)
                    .await?
                    .ok_or_else(|| {
                        Error::decode(
                            crate::error::DecodeError::new(
                                "create_server",
                                "the answer names no server, and no server has its reservation ID",
                            ),
                            output.meta().clone(),
                        )
                    })?
            }
            (None, None) => {
                return Err(Error::decode(
                    crate::error::DecodeError::new("create_server", "the answer names no server and no reservation"),
                    output.meta().clone(),
                ));
            }
        };
        Ok(Created {
            output,
            servers,
            waited: budget.elapsed(),
            polls,
        })
    }
}

/// The highest microversion both the server and this SDK support: what polls use.
async fn poll_version(compute: &Compute) -> Result<Microversion, Error> {
    Ok(compute.server_versions().await?.max.min(Microversion::MAX))
}

/// Waits for every server of a multiple create (one reservation) in one loop, and returns
/// them as shown when each ended, in the order first listed, with the number of requests
/// sent; `None` when the reservation lists no server at all.
///
/// Each round is one list of the reservation (`GET /servers/detail?reservation_id=`, every
/// page), which shows every server's status, task state and fault at once: the rounds share
/// one schedule of delays and one `max_wait`, so N servers cost what one does, not N times
/// as much. The first round comes one interval after the call, as for one server.
///
/// A server shows a create's end on its own: it did not exist before the call, so no other
/// work can have put it in ACTIVE with no task in flight, and the create's action is not
/// polled (it would cost one request per server per round). A server in ERROR with no task
/// in flight failed to build: the wait ends with Nova's reason, its create action read once
/// for an event's details (from 2.84), else the fault the list showed.
async fn wait_for_reservation(
    compute: &Compute,
    reservation: &str,
    request_id: Option<&str>,
    facts: StatusFacts,
    options: &WaitOptions,
    budget: &Budget,
) -> Result<Option<(Vec<Server>, u32)>, Error> {
    // Every server seen, in the order first listed; those done, as shown then; those not
    // done at the last round, with their status and task state.
    let mut order: Vec<String> = Vec::new();
    let mut known: HashSet<String> = HashSet::new();
    let mut done: HashMap<String, Server> = HashMap::new();
    let mut pending: Vec<(String, ServerStatus, Option<TaskState>)> = Vec::new();
    let gave_up = |pending: &[(String, ServerStatus, Option<TaskState>)]| {
        let first = pending.first();
        Error::from(WaitError::Timeout {
            server_id: first.map_or_else(|| reservation.to_string(), |p| p.0.clone()),
            waited: budget.elapsed(),
            last_status: first.map(|p| p.1.clone()),
            task_state: first.and_then(|p| p.2.clone()),
        })
    };
    let Some(v) = budget.within(poll_version(compute)).await else {
        return Err(gave_up(&pending));
    };
    let v = v?;
    let ended = |s: &Server| {
        s.task_state.value().is_none()
            && matches!(facts.ends_in, EndsIn::Statuses(targets) if targets.contains(&s.status))
    };
    let mut polls = 0u32;
    let mut round = 0u32;
    // Building takes seconds at least: the first round waits one interval.
    let delay = options.jittered(round);
    if delay <= options.max_wait {
        budget.clock.sleep(delay).await;
        round += 1;
    }
    loop {
        let elapsed = budget.elapsed();
        let mut pages = compute
            .servers()
            .list_detail()
            .reservation_id(crate::paging::exact_regex(reservation))
            .at_microversion(v)
            .into_stream();
        let listed = budget
            .within(async {
                let mut listed = Vec::new();
                while let Some(page) = pages.next_page().await {
                    polls += 1;
                    let (items, meta) = page?.into_parts();
                    listed.extend(items.into_iter().map(|s| (s, meta.clone())));
                }
                Ok::<_, Error>(listed)
            })
            .await;
        let Some(listed) = listed else {
            return Err(gave_up(&pending));
        };
        let listed = listed?;
        let mut seen = HashSet::new();
        pending.clear();
        let mut list_meta = None;
        for (server, meta) in listed {
            seen.insert(server.id.clone());
            list_meta.get_or_insert_with(|| meta.clone());
            if known.insert(server.id.clone()) {
                order.push(server.id.clone());
            }
            if done.contains_key(&server.id) {
                continue;
            }
            if ended(&server) {
                done.insert(server.id.clone(), server);
            } else if server.status == ServerStatus::Error && server.task_state.value().is_none() {
                return Err(build_failed(compute, &server, &meta, request_id, v, budget).await);
            } else {
                pending.push((
                    server.id.clone(),
                    server.status.clone(),
                    server.task_state.value().cloned(),
                ));
            }
        }
        if order.is_empty() {
            return Ok(None);
        }
        // A server listed before and not now is gone.
        if let Some(id) = order.iter().find(|id| !seen.contains(*id) && !done.contains_key(*id)) {
            return Err(Error::from(WaitError::ServerGone {
                server_id: id.clone(),
                meta: list_meta.unwrap_or_default(),
            }));
        }
        if pending.is_empty() {
            let servers = order.iter().filter_map(|id| done.remove(id)).collect();
            return Ok(Some((servers, polls)));
        }
        // The first not done, by the order first listed, is the one a timeout names.
        pending.sort_by_key(|p| order.iter().position(|id| *id == p.0));
        let delay = options.jittered(round);
        if elapsed + delay > options.max_wait {
            return Err(gave_up(&pending));
        }
        tracing::debug!(delay_ms = delay.as_millis() as u64, pending = pending.len(), "waiting");
        budget.clock.sleep(delay).await;
        round += 1;
    }
}

/// The error for a server of a reservation that failed to build: its create action's failed
/// event (read once, from 2.84, where events have details), else the fault `meta`'s list
/// showed.
async fn build_failed(
    compute: &Compute,
    server: &Server,
    meta: &ResponseMeta,
    request_id: Option<&str>,
    v: Microversion,
    budget: &Budget,
) -> Error {
    let handle = compute.server(server.id.clone());
    let server_error = |told| {
        Error::from(WaitError::ServerError {
            server_id: server.id.clone(),
            reason: fault_reason(server, meta, told, v),
            meta: meta.clone(),
        })
    };
    let Some(id) = request_id.filter(|_| v >= DETAILS_SHOWN) else {
        return server_error(if request_id.is_some() {
            EventsTold::unread(v)
        } else {
            EventsTold::NotSeen
        });
    };
    match budget.within(handle.action_at(id, v)).await {
        Some(Ok(ActionState::Failed(failed, action_meta))) => {
            let reason = event_details(&failed, &action_meta).unwrap_or_else(|| {
                let told = EventsTold::NoDetails(failed.first().map_or("?", |e| e.event.as_str()));
                fault_reason(server, meta, told, v)
            });
            Error::from(WaitError::ActionFailed {
                request_id: id.to_string(),
                server_id: server.id.clone(),
                failed_events: failed,
                reason,
                meta: action_meta,
            })
        }
        _ => server_error(EventsTold::NoneFailed),
    }
}
