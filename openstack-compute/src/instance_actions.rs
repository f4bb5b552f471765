//! `compute.server(id).instance_actions()`: the list as a stream that follows the 2.58+
//! `links` to every page, and `get(request_id)` with events.

use futures_util::Stream;

use crate::client::{Call, Output, ServerHandle};
use crate::error::Error;
use crate::operation::{list_instance_actions, show_instance_action};
use crate::types::InstanceAction;

/// The instance actions of one server.
#[derive(Debug, Clone)]
pub struct InstanceActions {
    server: ServerHandle,
}

impl ServerHandle {
    /// The server's instance actions (`os-instance-actions`).
    pub fn instance_actions(&self) -> InstanceActions {
        InstanceActions { server: self.clone() }
    }
}

impl InstanceActions {
    /// One page of the list (all of it before 2.58); set `limit`, `marker`, `changes_since`,
    /// `changes_before` on the call, then `send()` for one page or [`Call::into_stream`] for all.
    pub fn list(&self) -> Call<list_instance_actions::Request> {
        self.server.list_instance_actions()
    }

    /// One action with its events.
    pub fn get(&self, request_id: impl Into<String>) -> Call<show_instance_action::Request> {
        self.server.show_instance_action(request_id)
    }
}

/// The marker of the `next` link of a page, if there is one.
fn next_marker(page: &list_instance_actions::Response) -> Option<String> {
    let next = page.links.as_ref()?.iter().find(|l| l.rel == "next")?;
    let query = next.href.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("marker="))
        .map(|m| m.to_string())
}

impl Call<list_instance_actions::Request> {
    /// Every action, page after page, following the `next` links (2.58+); the page size is
    /// the call's `limit` (or the server's default).
    pub fn into_stream(self) -> impl Stream<Item = Result<InstanceAction, Error>> {
        futures_util::stream::try_unfold(Some(self), |state| async move {
            let Some(call) = state else { return Ok::<_, Error>(None) };
            let page: Output<list_instance_actions::Response> = call.clone().send().await?;
            let next = next_marker(&page).map(|marker| call.marker(marker));
            let items = page.into_inner().instance_actions;
            Ok(Some((
                futures_util::stream::iter(items.into_iter().map(Ok::<_, Error>)),
                next,
            )))
        })
        .try_flatten()
    }
}

use futures_util::TryStreamExt as _;
