//! Waiting on a server: Nova's server state machine, followed through the server's status
//! and task state and the instance action recorded under the call's request ID, to the end
//! that the operation's facts (`OperationInfo::server`) name. Nova behaviour of its own, so
//! this is the one place that polls servers.

use std::time::Duration;

use super::{Budget, FailedEvent, Gone, Outcome, WaitError, WaitOptions, Waited};
use crate::ServerHandle;
use crate::call::{CallCore, Output};
use crate::error::{Error, ResponseMeta};
use crate::microversion::Microversion;
use crate::operation::{ActionEvents, EndsIn, InstanceActionFacts, Operation, StatusFacts, WhileBusy};
use crate::ops::create_server;
use crate::types::Boolish;
use crate::types::{InstanceAction, Server, ServerStatus, TaskState};

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

    /// Sends the call, then polls until the server is gone.
    pub async fn wait_gone(self, options: WaitOptions) -> Result<Gone<O::Response>, Error> {
        let server = ServerHandle::from_base(self.base().clone());
        let output = self.send().await?;
        let (waited, polls) = server.poll_until_gone(options).await?;
        Ok(Gone { output, waited, polls })
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
enum ActionState {
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
}

impl ServerHandle {
    /// The highest microversion both the server and this SDK support: what polls use.
    async fn poll_version(&self) -> Result<Microversion, Error> {
        Ok(self.compute().server_versions().await?.max.min(Microversion::MAX))
    }

    async fn show_at(&self, v: Microversion) -> Result<Option<Output<Server>>, Error> {
        match self.show().at_microversion(v).send().await {
            Ok(s) => Ok(Some(s)),
            Err(Error::Api(api)) if api.meta.status() == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn action_at(&self, request_id: &str, v: Microversion) -> Result<ActionState, Error> {
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
            return Err(Error::from(WaitError::ActionFailed {
                request_id: request_id.to_string(),
                failed_events: failed,
                meta,
            }));
        }
        // Before 2.51 only admins see events: an empty list then says nothing.
        let visible = v >= Microversion::new(2, 51);
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
                    let fault = shown.fault.as_ref();
                    return Err(Error::from(WaitError::ServerError {
                        server_id: self.id().to_string(),
                        fault_message: fault.map(|f| f.message.clone()),
                        fault_code: fault.map(|f| f.code),
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

    /// Polls until the server is gone (show answers 404).
    pub(crate) async fn poll_until_gone(&self, options: WaitOptions) -> Result<(Duration, u32), Error> {
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
        let mut polls = 0;
        let mut round = 0;
        let mut last = (None, None);
        loop {
            polls += 1;
            let Some(shown) = budget.within(self.show_at(v)).await else {
                return Err(gave_up(last.0, last.1));
            };
            last = match shown? {
                None => return Ok((budget.elapsed(), polls)),
                Some(s) => (Some(s.status.clone()), s.task_state.value().cloned()),
            };
            let elapsed = budget.elapsed();
            let delay = options.jittered(round);
            if elapsed + delay > options.max_wait {
                return Err(gave_up(last.0, last.1));
            }
            budget.clock.sleep(delay).await;
            round += 1;
        }
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
            task_states: &[TaskState::Scheduling],
            while_busy: WhileBusy::Refused,
            by_request: None,
        };
        self.wait_for_end(facts, None, None, options).await.map(|end| {
            let meta = ResponseMeta::default();
            Output::new(end.server, meta)
        })
    }

    /// Polls until the server is gone (show answers 404).
    pub async fn wait_for_deleted(&self, options: WaitOptions) -> Result<(), Error> {
        self.poll_until_gone(options).await.map(|_| ())
    }

    /// Polls `os-instance-actions/{request_id}` until the action is recorded and every event
    /// has finished (an action Nova records without events, reset state, is done once
    /// recorded); fails with each failed event when one did, and after `max_wait` with
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
    /// action has finished. A build that fails ends the wait with an error:
    /// [`WaitError::ActionFailed`](crate::wait::WaitError::ActionFailed) with the failed step of the action (its details hold
    /// Nova's message from 2.84), or [`WaitError::ServerError`](crate::wait::WaitError::ServerError) with the server's fault.
    ///
    /// A multiple create (`max_count` or `min_count` above 1) is sent with
    /// `return_reservation_id`, since Nova's answer otherwise names only the first server; the
    /// wait then lists the servers of the reservation and waits for each, within one
    /// `max_wait`.
    pub async fn wait(self, options: WaitOptions) -> Result<Created, Error> {
        let mut core = self.into_core();
        let count = |c: &Option<crate::types::Integerish>| c.as_ref().map_or(1, |c| c.get());
        let several = count(&core.request.max_count).max(count(&core.request.min_count)) > 1;
        if several {
            core.request.return_reservation_id = Some(Boolish::from(true));
        }
        let compute = core.compute().clone();
        let output = core.send().await?;
        let clock = options.the_clock();
        let start = clock.now();
        let mut polls = 0;
        let ids: Vec<String> = match (&output.server, &output.reservation_id) {
            (Some(created), _) => vec![created.id.clone()],
            (None, Some(reservation)) => {
                let listed = compute
                    .servers()
                    .list()
                    .reservation_id(crate::paging::exact_regex(reservation))
                    .collect()
                    .await?;
                polls += 1;
                listed.into_iter().map(|s| s.id).collect()
            }
            (None, None) => Vec::new(),
        };
        if ids.is_empty() {
            return Err(Error::decode(
                crate::error::DecodeError::new(
                    "create_server",
                    "the answer names no server, and no server has its reservation ID",
                ),
                output.meta().clone(),
            ));
        }
        let facts = create_server::Request::INFO;
        let status_facts = *facts.server_status().expect("create_server has server-status facts");
        let mut servers = Vec::with_capacity(ids.len());
        for id in ids {
            let mut remaining = options.clone();
            remaining.max_wait = options.max_wait.saturating_sub(clock.now() - start);
            let handle = compute.server(id);
            let end = handle
                .wait_for_end(status_facts, facts.instance_action, output.request_id(), remaining)
                .await?;
            polls += end.polls;
            servers.push(end.server);
        }
        Ok(Created {
            output,
            servers,
            waited: clock.now() - start,
            polls,
        })
    }
}
