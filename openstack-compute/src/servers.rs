//! `compute.servers()`: create (with waiting for ACTIVE), list (every page), find by name.

use std::time::Duration;

use crate::client::Compute;
use crate::error::{Error, ErrorKind};
use crate::instance_actions::{ItemStream, Paged};
use crate::operation::Operation;
use crate::ops::{create_server, list_servers, list_servers_detail};
use crate::server::{Output, ServerHandle};
use crate::types::{Boolish, Server, ServerSummary};
use crate::wait::WaitOptions;

/// The servers of the cloud (those the credentials can see): `create`, `list`,
/// `list_detail` (generated from the spec), and [`Servers::find_by_name`].
#[derive(Debug, Clone)]
pub struct Servers {
    compute: Compute,
}

impl Servers {
    pub(crate) fn new(compute: Compute) -> Servers {
        Servers { compute }
    }

    /// The client.
    pub fn compute(&self) -> &Compute {
        &self.compute
    }

    /// The one server named exactly `name`. Nova's `name` filter is a regular expression, so
    /// this anchors and escapes it; more than one match is an error (names are not unique).
    pub async fn find_by_name(&self, name: &str) -> Result<Server, Error> {
        let pattern = format!("^{}$", regex_escape(name));
        let mut found: Vec<Server> = self
            .list_detail()
            .name(pattern)
            .collect()
            .await?
            .into_iter()
            .filter(|s| s.name.value().map(String::as_str) == Some(name))
            .collect();
        match found.len() {
            1 => Ok(found.remove(0)),
            n => Err(Error::NameLookup {
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
                    .reservation_id(format!("^{}$", regex_escape(reservation)))
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
        let status_facts = facts.server_status.expect("create_server has server-status facts");
        let mut servers = Vec::with_capacity(ids.len());
        for id in ids {
            let mut remaining = options.clone();
            remaining.max_wait = options.max_wait.saturating_sub(clock.now() - start);
            let handle = ServerHandle::new(compute.clone(), id);
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

/// Escapes what a Python regular expression reads as syntax.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_alphanumeric() && c != '_' && c != ' ' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Paged for list_servers::Request {
    type Item = ServerSummary;

    fn with_marker(self, marker: String) -> Self {
        self.marker(marker)
    }
}

impl Paged for list_servers_detail::Request {
    type Item = Server;

    fn with_marker(self, marker: String) -> Self {
        self.marker(marker)
    }
}

impl list_servers::Call {
    /// Every matching server, page after page (pages of `limit`, or the cloud's maximum).
    pub fn into_stream(self) -> ItemStream<ServerSummary> {
        ItemStream::new(self.into_core())
    }

    /// Every matching server.
    pub async fn collect(self) -> Result<Vec<ServerSummary>, Error> {
        self.into_stream().collect().await
    }
}

impl list_servers_detail::Call {
    /// Every matching server, in detail, page after page.
    pub fn into_stream(self) -> ItemStream<Server> {
        ItemStream::new(self.into_core())
    }

    /// Every matching server, in detail.
    pub async fn collect(self) -> Result<Vec<Server>, Error> {
        self.into_stream().collect().await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_escaped_for_novas_regex_filter() {
        assert_eq!(super::regex_escape("web-1.example (a)"), "web\\-1\\.example \\(a\\)");
    }
}
