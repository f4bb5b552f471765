//! Waiting on an item of a server's sub-resource (a volume attachment, a port): the call's
//! instance action followed to its end exactly as the server's own operations follow theirs,
//! then the item read through its resource's own show operation until it is where the call's
//! facts (`OperationInfo::item_ends`) leave it: there (returned as shown then) or gone (404).
//! Nothing here knows a resource by name: the show operation, the item's path parameter and
//! its ID come from the generated `wait`, which reads them from the spec.
//!
//! Nova records the action of some calls only after it has answered (an attach from 2.101: the
//! conductor records it once the compute host has named the device), and a failure before
//! that leaves neither an action nor an item. While the action is not recorded, each round
//! also shows the item, so that a wait that runs out can tell "nothing happened"
//! ([`WaitError::NothingRecorded`]) from "not done yet". No shorter bound than `max_wait` is
//! safe: the conductor waits for the compute host for up to Nova's `long_rpc_timeout` (30
//! minutes by default) before it records the action.

use std::time::Duration;

use super::server::ActionState;
use super::{Absent, Budget, Present, WaitError, WaitOptions};
use crate::ServerHandle;
use crate::call::CallCore;
use crate::error::Error;
use crate::microversion::Microversion;
use crate::operation::{ActionEvents, Operation};
use crate::types::InstanceAction;

/// Where an item wait ended: the item as shown (when it is there), the action, and the
/// counts.
struct ItemEnd<I> {
    item: Option<I>,
    action: Option<InstanceAction>,
    waited: Duration,
    polls: u32,
}

impl<O: Operation> CallCore<O> {
    /// Sends the call, then waits until its instance action has ended and the item `id` (the
    /// path parameter `param` of the show operation `S`) is there; returns it as `S` shows it
    /// then.
    pub async fn wait_present<S: Operation>(
        self,
        param: &'static str,
        id: Option<String>,
        options: WaitOptions,
    ) -> Result<Present<O::Response, S::Response>, Error> {
        let base = self.base().clone();
        let output = self.send().await?;
        let end = wait_for_item::<S>(
            &base,
            O::INFO.instance_action,
            output.request_id(),
            param,
            id,
            true,
            options,
        )
        .await?;
        let item = end.item.ok_or_else(|| {
            Error::decode(
                crate::error::DecodeError::new(S::INFO.name, "the item was there but could not be kept"),
                output.meta().clone(),
            )
        })?;
        Ok(Present {
            output,
            item,
            action: end.action,
            waited: end.waited,
            polls: end.polls,
        })
    }

    /// Sends the call, then waits until its instance action has ended and the item `id` is
    /// gone (the show operation `S` answers 404).
    pub async fn wait_absent<S: Operation>(
        self,
        param: &'static str,
        id: Option<String>,
        options: WaitOptions,
    ) -> Result<Absent<O::Response>, Error> {
        let base = self.base().clone();
        let output = self.send().await?;
        let end = wait_for_item::<S>(
            &base,
            O::INFO.instance_action,
            output.request_id(),
            param,
            id,
            false,
            options,
        )
        .await?;
        Ok(Absent {
            output,
            action: end.action,
            waited: end.waited,
            polls: end.polls,
        })
    }
}

/// The item through its show operation `S` at `v`: `None` on Nova's 404.
async fn show<S: Operation>(
    base: &crate::call::Base,
    param: &'static str,
    id: &str,
    v: Microversion,
) -> Result<Option<S::Response>, Error> {
    let mut call = CallCore::new(base, S::default()).with_param(param, id.to_string());
    call.microversion = Some(v);
    match call.send().await {
        Ok(item) => Ok(Some(item.into_inner())),
        Err(Error::Api(api)) if api.meta.status() == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// Follows the action recorded under `request_id` (when the operation records one) to its
/// end, then shows the item until it is there (`present`) or gone.
async fn wait_for_item<S: Operation>(
    base: &crate::call::Base,
    facts: Option<crate::operation::InstanceActionFacts>,
    request_id: Option<&str>,
    param: &'static str,
    id: Option<String>,
    present: bool,
    options: WaitOptions,
) -> Result<ItemEnd<S::Response>, Error> {
    let budget = Budget::new(&options);
    let id = id.unwrap_or_default();
    let server_param = crate::generated::resources::SERVER.id.unwrap_or("server_id");
    let server: ServerHandle = base
        .compute()
        .server(base.param(server_param).unwrap_or_default().to_string());
    let tracked = facts.zip(request_id);
    let mut action: Option<InstanceAction> = None;
    // Whether the item was at its end at the last look, while the action was not recorded.
    let mut item_at_end = false;
    let mut recorded = false;
    let gave_up = |action: &Option<InstanceAction>, recorded: bool, item_at_end: bool| {
        let waited = budget.elapsed();
        Error::from(match (tracked, action) {
            (Some((_, rid)), None) if !recorded && !item_at_end => WaitError::NothingRecorded {
                request_id: rid.to_string(),
                item_id: id.clone(),
                present,
                waited,
            },
            (Some((_, rid)), None) if !recorded => WaitError::ActionNotFound {
                request_id: rid.to_string(),
                waited,
            },
            (Some((_, rid)), Some(a)) if a.events.iter().any(|e| e.finish_time.is_none()) || a.events.is_empty() => {
                WaitError::ActionUnfinished {
                    request_id: rid.to_string(),
                    waited,
                    unfinished_events: a
                        .events
                        .iter()
                        .filter(|e| e.finish_time.is_none())
                        .map(|e| e.event.clone())
                        .collect(),
                }
            }
            _ => WaitError::ItemNotReached {
                item_id: id.clone(),
                present,
                waited,
            },
        })
    };
    let Some(v) = budget.within(server.poll_version()).await else {
        return Err(gave_up(&action, recorded, item_at_end));
    };
    let v = v?;
    let mut polls = 0u32;
    let mut round = 0u32;
    let mut action_done = tracked.is_none();
    // Work on a compute host takes seconds at least: the first poll waits one interval.
    if tracked.is_some_and(|(a, _)| a.events == ActionEvents::Compute) {
        let delay = options.jittered(round);
        if delay <= options.max_wait {
            budget.clock.sleep(delay).await;
            round += 1;
        }
    }
    loop {
        let elapsed = budget.elapsed();
        // 1. The call's instance action, until it has ended.
        let mut look = action_done;
        if let (Some((facts_a, rid)), false) = (tracked, action_done) {
            polls += 1;
            let Some(state) = budget.within(server.action_at(rid, v)).await else {
                return Err(gave_up(&action, recorded, item_at_end));
            };
            match state? {
                ActionState::Failed(failed, meta) => {
                    return Err(server.action_failed(rid, failed, meta, v, &budget).await);
                }
                // Work the API finishes before it answers is recorded by then, or never.
                ActionState::NotRecorded if facts_a.events != ActionEvents::Compute => action_done = true,
                // Not recorded (yet): the item tells whether anything happened at all.
                ActionState::NotRecorded => look = true,
                ActionState::NotStarted(a) if facts_a.events == ActionEvents::None => {
                    recorded = true;
                    action = Some(a);
                    action_done = true;
                }
                ActionState::NotStarted(a) | ActionState::Running(a) => {
                    recorded = true;
                    action = Some(a);
                }
                // Events unseen (below 2.51): the item decides.
                ActionState::Opaque(a) | ActionState::Finished(a) => {
                    recorded = true;
                    action = Some(a);
                    action_done = true;
                }
            }
            look |= action_done;
        }
        // 2. The item, once the action has ended (or to see whether anything happened).
        if look {
            polls += 1;
            let Some(shown) = budget.within(show::<S>(base, param, &id, v)).await else {
                return Err(gave_up(&action, recorded, item_at_end));
            };
            let shown = shown?;
            item_at_end = shown.is_some() == present;
            if action_done && item_at_end {
                return Ok(ItemEnd {
                    item: shown,
                    action,
                    waited: budget.elapsed(),
                    polls,
                });
            }
        }
        let delay = options.jittered(round);
        if elapsed + delay > options.max_wait {
            return Err(gave_up(&action, recorded, item_at_end));
        }
        tracing::debug!(delay_ms = delay.as_millis() as u64, "waiting for the item");
        budget.clock.sleep(delay).await;
        round += 1;
    }
}
