//! `compute.server(id).instance_actions()`: the list as a stream that follows the paging
//! links (2.58+) to every page, and `get(request_id)` with events. The stream is the same for
//! servers (`compute.servers().list()`).

use crate::error::Error;
use crate::operation::{Operation, Page};
use crate::ops::{list_instance_actions, show_instance_action};
use crate::server::{CallCore, ServerHandle};
use crate::types::{InstanceAction, Link};

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
    /// The list: set `limit`, `marker`, `changes_since`, `changes_before` on the call, then
    /// `send()` for one page, or `into_stream()` / `collect()` for every page.
    pub fn list(&self) -> list_instance_actions::Call {
        self.server.list_instance_actions()
    }

    /// One action with its events.
    pub fn get(&self, request_id: impl Into<String>) -> show_instance_action::Call {
        self.server.show_instance_action(request_id)
    }
}

/// A list operation whose pages are followed by `marker`.
pub(crate) trait Paged: Operation<Response = Page<Self::Item>> + Clone {
    /// What the list holds.
    type Item: Send + 'static;
    /// The request for the page after the one whose next link carries `marker`.
    fn with_marker(self, marker: String) -> Self;
}

impl Paged for list_instance_actions::Request {
    type Item = InstanceAction;

    fn with_marker(self, marker: String) -> Self {
        self.marker(marker)
    }
}

/// The `marker` in the `next` link of a page, if there is one.
fn next_marker(links: Option<&[Link]>) -> Option<String> {
    let next = links?.iter().find(|l| l.rel == "next")?;
    let query = next.href.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("marker="))
        .map(|m| m.replace("%3A", ":").replace("%2F", "/"))
}

/// Every item of a list, page after page, following Nova's `next` links: [`ItemStream::next`]
/// for one item at a time, [`ItemStream::collect`] for all, or
/// [`ItemStream::into_stream`] for a `futures` stream.
#[derive(Debug)]
#[must_use = "a stream does nothing until polled"]
pub struct ItemStream<T> {
    state: State<T>,
}

#[derive(Debug)]
enum State<T> {
    /// The next page to fetch.
    Fetch(Box<dyn Fetch<T>>),
    /// Items of the page fetched, then (maybe) the next page.
    Items(std::vec::IntoIter<T>, Option<Box<dyn Fetch<T>>>),
    Done,
}

/// One page request, type-erased so `ItemStream` names only its item type.
trait Fetch<T>: Send + std::fmt::Debug {
    fn fetch(self: Box<Self>) -> PageFuture<T>;
}

/// A page's items, and the request for the next page when there is one.
type PageFuture<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(Vec<T>, Option<Box<dyn Fetch<T>>>), Error>> + Send>>;

impl<O> Fetch<O::Item> for CallCore<O>
where
    O: Paged + Operation<Response = Page<<O as Paged>::Item>>,
    O::Item: std::fmt::Debug,
{
    fn fetch(self: Box<Self>) -> PageFuture<O::Item> {
        Box::pin(async move {
            let call = *self;
            let page = call.clone().send().await?.into_inner();
            let next = next_marker(page.links.as_deref()).map(|marker| {
                let mut next = call;
                next.request = next.request.with_marker(marker);
                Box::new(next) as Box<dyn Fetch<O::Item>>
            });
            Ok((page.items, next))
        })
    }
}

impl<T: Send + 'static> ItemStream<T> {
    pub(crate) fn new<O>(call: CallCore<O>) -> ItemStream<T>
    where
        O: Paged<Item = T>,
        T: std::fmt::Debug,
    {
        ItemStream {
            state: State::Fetch(Box::new(call)),
        }
    }

    /// The next item, fetching the next page when this one is used up.
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return None,
                State::Fetch(f) => match f.fetch().await {
                    Ok((items, next)) => self.state = State::Items(items.into_iter(), next),
                    Err(e) => return Some(Err(e)),
                },
                State::Items(mut items, next) => match items.next() {
                    Some(item) => {
                        self.state = State::Items(items, next);
                        return Some(Ok(item));
                    }
                    None => match next {
                        Some(f) => self.state = State::Fetch(f),
                        None => return None,
                    },
                },
            }
        }
    }

    /// Every remaining item.
    pub async fn collect(mut self) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        while let Some(item) = self.next().await {
            out.push(item?);
        }
        Ok(out)
    }

    /// As a `futures` stream, for combinators.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<T, Error>> + Send {
        futures_util::stream::unfold(self, |mut s| async move { s.next().await.map(|item| (item, s)) })
    }
}

impl list_instance_actions::Call {
    /// Every action, page after page (pages of `limit` from 2.58).
    pub fn into_stream(self) -> ItemStream<InstanceAction> {
        ItemStream::new(self.into_core())
    }

    /// Every action.
    pub async fn collect(self) -> Result<Vec<InstanceAction>, Error> {
        self.into_stream().collect().await
    }
}
