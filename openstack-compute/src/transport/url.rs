//! URLs: the compute endpoint, parsed once per token, and the path of the resource a handle
//! names, whose URL under the endpoint is built once and kept. A call appends only what its
//! operation's path has beyond the resource's (`/action`, `/os-extra_specs/{id}`), if anything.

use std::sync::OnceLock;

use super::http::Query;
use crate::error::Error;

/// A compute endpoint, parsed once per token.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint(reqwest::Url);

impl Endpoint {
    pub(crate) fn parse(url: &str) -> Result<Endpoint, Error> {
        let mut parsed = reqwest::Url::parse(url.trim_end_matches('/'))
            .map_err(|e| Error::Endpoint(format!("`{url}` is not a URL: {e}")))?;
        if parsed.cannot_be_a_base() {
            return Err(Error::Endpoint(format!("`{url}` cannot be a base URL")));
        }
        parsed.set_query(None);
        Ok(Endpoint(parsed))
    }

    /// The URL of the version document: the endpoint without a trailing project ID
    /// (`/v2.1/<project>` -> `/v2.1/`, `/v2/<project>` -> `/v2/`).
    pub(crate) fn version_root(&self) -> reqwest::Url {
        let mut url = self.0.clone();
        let segments: Vec<String> = url
            .path_segments()
            .map(|s| s.map(String::from).collect())
            .unwrap_or_default();
        let is_version = |s: &str| s == "v2" || s == "v2.1";
        let keep = match segments.as_slice() {
            [.., v, last] if is_version(v) && !is_version(last) => segments.len() - 1,
            _ => segments.len(),
        };
        if let Ok(mut s) = url.path_segments_mut() {
            s.clear();
            s.extend(segments[..keep].iter().filter(|x| !x.is_empty()));
            s.push("");
        }
        url
    }

    /// The URL of `path` under the endpoint, each of its segments percent-encoded as given,
    /// with `query` (a raw request's).
    pub(crate) fn join(&self, path: &str, query: &[(String, String)]) -> reqwest::Url {
        let mut url = self.0.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            segments.extend(path.split('/').filter(|s| !s.is_empty()));
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// The URL of a call: the resource's URL (kept), the segments of `template` beyond the
    /// resource's own, with `params` filling its parameters in order, and the query. Nothing
    /// is parsed again.
    pub(crate) fn url(
        &self,
        resource: &ResourcePath,
        template: &str,
        params: &[(&'static str, Box<str>)],
        query: &Query<'_>,
    ) -> reqwest::Url {
        let mut rest = template
            .split('/')
            .filter(|p| !p.is_empty())
            .skip(resource.segments.len())
            .peekable();
        let kept = resource.urls_under(self);
        let mut url = match (rest.peek(), query.is_empty()) {
            (None, true) => return kept.base.clone(),
            (Some(&"action"), true) if params.is_empty() && template.ends_with("/action") => {
                return kept.action.clone();
            }
            _ => kept.base.clone(),
        };
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            let mut params = params.iter();
            for part in rest {
                if part.starts_with('{') {
                    segments.push(params.next().map(|(_, v)| &**v).unwrap_or_default());
                } else {
                    segments.push(part);
                }
            }
        }
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }
}

/// One segment of a resource's path.
#[derive(Debug)]
enum Segment {
    /// A literal (`servers`).
    Literal(&'static str),
    /// A parameter, by name, with its value (`server_id`, the server's ID).
    Param(&'static str, Box<str>),
}

/// The path of a resource with its parameters filled in (`servers/9d1b..`), and its URL under
/// the endpoint once a call has built it (with `.../action`, where every action of the
/// resource goes): shared by a handle's clones and calls. Percent-encoding the ID and the
/// segments was most of the cost of a call's URL (BENCHMARKS.md).
pub(crate) struct ResourcePath {
    segments: Box<[Segment]>,
    /// The first endpoint's; a call under another (a catalog that changed) builds in full.
    urls: OnceLock<KeptUrls>,
}

#[derive(Clone)]
struct KeptUrls {
    endpoint: Box<str>,
    base: reqwest::Url,
    action: reqwest::Url,
}

impl ResourcePath {
    /// The endpoint itself: where the top-level collections are.
    pub(crate) fn root() -> ResourcePath {
        ResourcePath {
            segments: Box::new([]),
            urls: OnceLock::new(),
        }
    }

    /// The path of an item under this one: `literals`, then the parameter `name` set to
    /// `value` (`/servers` and `server_id` for a server).
    pub(crate) fn item(&self, literals: &[&'static str], name: &'static str, value: String) -> ResourcePath {
        let mut segments: Vec<Segment> = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => Segment::Literal(l),
                Segment::Param(n, v) => Segment::Param(n, v.clone()),
            })
            .collect();
        segments.extend(literals.iter().map(|l| Segment::Literal(l)));
        segments.push(Segment::Param(name, value.into_boxed_str()));
        ResourcePath {
            segments: segments.into_boxed_slice(),
            urls: OnceLock::new(),
        }
    }

    /// The value of the last parameter (the ID of the resource), or `""` at the root.
    pub(crate) fn id(&self) -> &str {
        self.params().last().map_or("", |(_, v)| v)
    }

    /// The parameters, by name, in order.
    pub(crate) fn params(&self) -> impl DoubleEndedIterator<Item = (&'static str, &str)> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(name, value) => Some((*name, &**value)),
            Segment::Literal(_) => None,
        })
    }

    /// The URLs under `endpoint`: kept for the first endpoint, built for another.
    fn urls_under(&self, endpoint: &Endpoint) -> std::borrow::Cow<'_, KeptUrls> {
        let kept = self.urls.get_or_init(|| self.build_urls(endpoint));
        if *kept.endpoint == *endpoint.0.as_str() {
            std::borrow::Cow::Borrowed(kept)
        } else {
            std::borrow::Cow::Owned(self.build_urls(endpoint))
        }
    }

    fn build_urls(&self, endpoint: &Endpoint) -> KeptUrls {
        let mut base = endpoint.0.clone();
        if let Ok(mut segments) = base.path_segments_mut() {
            segments.pop_if_empty();
            for s in &*self.segments {
                segments.push(match s {
                    Segment::Literal(l) => l,
                    Segment::Param(_, v) => v,
                });
            }
        }
        let mut action = base.clone();
        if let Ok(mut segments) = action.path_segments_mut() {
            segments.pop_if_empty().push("action");
        }
        KeptUrls {
            endpoint: endpoint.0.as_str().into(),
            base,
            action,
        }
    }
}

impl std::fmt::Debug for ResourcePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut path = String::new();
        for s in &*self.segments {
            path.push('/');
            match s {
                Segment::Literal(l) => path.push_str(l),
                Segment::Param(_, v) => path.push_str(v),
            }
        }
        std::fmt::Debug::fmt(&path, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: &[(&str, Box<str>)] = &[];

    /// Built in full: the endpoint's segments, then each of the call's, percent-encoded.
    fn in_full(endpoint: &Endpoint, segments: &[&str]) -> String {
        let mut url = endpoint.0.clone();
        url.path_segments_mut().unwrap().pop_if_empty().extend(segments);
        url.to_string()
    }

    #[test]
    fn a_resources_url_is_kept_per_endpoint_and_equals_the_one_built_in_full() {
        // An ID that needs encoding (Nova's are UUIDs; the URL must hold whatever is given).
        let server = ResourcePath::root().item(&["servers"], "server_id", "a b/c?%".into());
        let id = server.id().to_string();
        let none = Query::new();
        let action = "/servers/{server_id}/action";
        let a = Endpoint::parse("http://nova:8774/v2.1/").unwrap();
        let b = Endpoint::parse("https://other/compute/v2.1/p-1").unwrap();
        assert!(server.urls.get().is_none());
        for endpoint in [&a, &a, &b, &a] {
            let url = endpoint.url(&server, action, NONE, &none);
            assert_eq!(url.as_str(), in_full(endpoint, &["servers", &id, "action"]));
        }
        assert_eq!(server.urls.get().map(|u| &*u.endpoint), Some(a.0.as_str()), "kept");
        for endpoint in [&a, &b] {
            let url = endpoint.url(&server, "/servers/{server_id}", NONE, &none);
            assert_eq!(url.as_str(), in_full(endpoint, &["servers", &id]));
        }
        let query: Query<'_> = vec![("limit", "2".into())];
        let url = a.url(
            &server,
            "/servers/{server_id}/os-instance-actions/{request_id}",
            &[("request_id", "req-1".into())],
            &query,
        );
        assert_eq!(
            url.as_str(),
            in_full(&a, &["servers", &id, "os-instance-actions", "req-1"]) + "?limit=2"
        );
        // An action with a query, or with parameters of its own, is built in full.
        let url = a.url(&server, action, NONE, &query);
        assert_eq!(url.as_str(), in_full(&a, &["servers", &id, "action"]) + "?limit=2");
        // Collections hang from the root.
        let root = ResourcePath::root();
        assert_eq!(
            b.url(&root, "/servers/detail", NONE, &none).as_str(),
            in_full(&b, &["servers", "detail"])
        );
        // Any depth: a parameter of the call beyond the resource's.
        let flavor = ResourcePath::root().item(&["flavors"], "flavor_id", "m1.tiny".into());
        let url = a.url(
            &flavor,
            "/flavors/{flavor_id}/os-extra_specs/{id}",
            &[("id", "hw:cpu_policy".into())],
            &none,
        );
        assert_eq!(
            url.as_str(),
            in_full(&a, &["flavors", "m1.tiny", "os-extra_specs", "hw:cpu_policy"])
        );
        assert_eq!(flavor.params().collect::<Vec<_>>(), [("flavor_id", "m1.tiny")]);
    }

    #[test]
    fn version_root_strips_a_project_id() {
        let root = |u: &str| Endpoint::parse(u).unwrap().version_root().to_string();
        assert_eq!(root("http://h:8774/v2.1/3f2a9c"), "http://h:8774/v2.1/");
        assert_eq!(root("http://h:8774/v2/3f2a9c/"), "http://h:8774/v2/");
        assert_eq!(root("https://h/compute/v2.1"), "https://h/compute/v2.1/");
    }

    #[test]
    fn urls_are_built_and_encoded_without_reparsing() {
        let e = Endpoint::parse("http://h/compute/v2.1/").unwrap();
        let server = ResourcePath::root().item(&["servers"], "server_id", "a b/c".into());
        let query: Query<'_> = vec![("changes-since", "2024-01-01T00:00:00+00:00".into())];
        assert_eq!(
            e.url(
                &server,
                "/servers/{server_id}/os-instance-actions/{request_id}",
                &[("request_id", "req-1".into())],
                &query
            )
            .as_str(),
            "http://h/compute/v2.1/servers/a%20b%2Fc/os-instance-actions/req-1?changes-since=2024-01-01T00%3A00%3A00%2B00%3A00"
        );
        assert_eq!(
            e.url(&ResourcePath::root(), "/servers", NONE, &Query::new()).as_str(),
            "http://h/compute/v2.1/servers"
        );
        let root = Endpoint::parse("http://h:8774").unwrap();
        let x = ResourcePath::root().item(&["servers"], "server_id", "x".into());
        assert_eq!(
            root.url(&x, "/servers/{server_id}", NONE, &Query::new()).as_str(),
            "http://h:8774/servers/x"
        );
    }
}
