//! Every item of a list, page after page: [`ItemStream`], one pager for every list, driven by
//! the list's facts ([`Paging`]): a `marker` taken from the page's `next` link, or an `offset`
//! moved past the items seen. A list's `into_stream()` and `collect()` (generated) start one.

use std::future::Future;
use std::pin::Pin;

use crate::call::{CallCore, Output};
use crate::error::{Error, ErrorKind, ResponseMeta};
use crate::operation::{Operation, Page, Paging};
use crate::types::Link;

/// Every item of a list, page after page: [`ItemStream::next`] for one item at a time,
/// [`ItemStream::collect`] for all, or [`ItemStream::into_stream`] for a `futures` stream.
#[derive(Debug)]
#[must_use = "a stream does nothing until polled"]
pub struct ItemStream<T> {
    state: State<T>,
}

#[derive(Debug)]
enum State<T> {
    /// The next page to fetch.
    Fetch(Box<dyn Fetch<T>>),
    /// Items of the page fetched, then (maybe) the next page; the page's response.
    Items(std::vec::IntoIter<T>, Option<Box<dyn Fetch<T>>>, ResponseMeta),
    Done,
}

/// One page request, type-erased so `ItemStream` names only its item type.
trait Fetch<T>: Send + std::fmt::Debug {
    fn fetch(self: Box<Self>) -> PageFuture<T>;
}

/// A page's items, the request for the next page when there is one, and the page's response.
type PageFuture<T> =
    Pin<Box<dyn Future<Output = Result<(Vec<T>, Option<Box<dyn Fetch<T>>>, ResponseMeta), Error>> + Send>>;

/// A page request: the call, and where the page starts (the items already seen, for a list
/// paged by offset).
#[derive(Debug)]
struct PageCall<O> {
    call: CallCore<O>,
    seen: usize,
}

impl<O, T> Fetch<T> for PageCall<O>
where
    O: Operation<Response = Page<T>> + Clone,
    T: Send + std::fmt::Debug + 'static,
{
    fn fetch(self: Box<Self>) -> PageFuture<T> {
        Box::pin(async move {
            let PageCall { call, seen } = *self;
            let out = call.clone().send().await?;
            let version = out.microversion();
            let (page, meta) = out.into_parts();
            let next = match O::INFO.paging {
                Some(Paging::Marker { .. }) => next_marker(page.links.as_deref()).map(|marker| {
                    let mut next = call;
                    next.set_cursor("marker", marker);
                    PageCall { call: next, seen: 0 }
                }),
                Some(Paging::Offset) => {
                    let limit = version.and_then(|v| {
                        call.request
                            .query(v)
                            .iter()
                            .find(|(k, _)| *k == "limit")
                            .and_then(|(_, l)| l.parse::<usize>().ok())
                    });
                    // An empty page is the last; so is one shorter than the limit asked for.
                    let more = !page.items.is_empty() && limit.is_none_or(|l| page.items.len() >= l);
                    more.then(|| {
                        let seen = seen + page.items.len();
                        let mut next = call;
                        next.set_cursor("offset", seen.to_string());
                        PageCall { call: next, seen }
                    })
                }
                None => None,
            };
            Ok((page.items, next.map(|n| Box::new(n) as Box<dyn Fetch<T>>), meta))
        })
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

impl<T: Send + std::fmt::Debug + 'static> ItemStream<T> {
    /// Every item of the list `call` asks for, from its first page on.
    pub fn new<O>(call: CallCore<O>) -> ItemStream<T>
    where
        O: Operation<Response = Page<T>> + Clone,
    {
        ItemStream {
            state: State::Fetch(Box::new(PageCall { call, seen: 0 })),
        }
    }

    /// The next item, fetching the next page when this one is used up.
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return None,
                State::Fetch(f) => match f.fetch().await {
                    Ok((items, next, meta)) => self.state = State::Items(items.into_iter(), next, meta),
                    Err(e) => return Some(Err(e)),
                },
                State::Items(mut items, next, meta) => match items.next() {
                    Some(item) => {
                        self.state = State::Items(items, next, meta);
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

    /// The rest of the page being read, or the next page, with the response that brought it:
    /// for the waiters, which quote the request ID of the list that showed a server's fault,
    /// and count the requests they send.
    pub(crate) async fn next_page(&mut self) -> Option<Result<Output<Vec<T>>, Error>> {
        let (items, next, meta) = match std::mem::replace(&mut self.state, State::Done) {
            State::Done => return None,
            State::Fetch(f) => match f.fetch().await {
                Ok(page) => page,
                Err(e) => return Some(Err(e)),
            },
            State::Items(items, next, meta) => (items.collect(), next, meta),
        };
        if let Some(next) = next {
            self.state = State::Fetch(next);
        }
        Some(Ok(Output::new(items, meta)))
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

/// The one item of `items` named exactly `name`, or why there is not one: a lookup by name
/// (`compute.servers().find_by_name(..)`), after a list that may have asked Nova to filter.
pub(crate) fn the_one<T>(
    what: &'static str,
    name: &str,
    items: Vec<T>,
    name_of: impl Fn(&T) -> Option<&str>,
) -> Result<T, Error> {
    let mut found: Vec<T> = items.into_iter().filter(|i| name_of(i) == Some(name)).collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(Error::NameLookup {
            what,
            name: name.to_string(),
            found: n,
            kind: if n == 0 {
                ErrorKind::NotFound
            } else {
                ErrorKind::Ambiguous
            },
        }),
    }
}

/// Escapes what a Python regular expression reads as syntax (Nova's `name` filter of servers
/// is one), and anchors it: a filter that matches `name` exactly.
pub(crate) fn exact_regex(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('^');
    for c in text.chars() {
        if !c.is_alphanumeric() && c != '_' && c != ' ' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('$');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_escaped_and_anchored_for_novas_regex_filter() {
        assert_eq!(super::exact_regex("web-1.example (a)"), "^web\\-1\\.example \\(a\\)$");
    }
}
