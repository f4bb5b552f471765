//! `compute.servers()`: create (with waiting for ACTIVE), list (every page), find by name.

use crate::client::Compute;
use crate::error::{Error, ErrorKind};
use crate::instance_actions::{ItemStream, Paged};
use crate::ops::{list_servers, list_servers_detail};
use crate::types::{Server, ServerSummary};

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
                kind: if n == 0 { ErrorKind::NotFound } else { ErrorKind::Ambiguous },
            }),
        }
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
