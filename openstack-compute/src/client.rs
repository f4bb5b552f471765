//! The client: [`Compute`] holds the configuration, the transport (with its token cache) and
//! the microversions the server supports, discovered once.

use std::sync::Arc;

use crate::config::{Config, VersionStrategy};
use crate::error::{ActionError, Error};
use crate::microversion::{self, Microversion, VersionRange};
use crate::operation::Operation;
use crate::transport::{Destination, ResourcePath, Transport};

/// A Compute API client. Cheap to clone; clones share the token cache and the discovered
/// microversions.
///
/// ```no_run
/// # async fn demo() -> Result<(), openstack_compute::Error> {
/// use openstack_compute::Compute;
///
/// let compute = Compute::from_env()?;
/// let stopped = compute.server("9d1b8f0e-2a57-4c10-a6f7-6b0a9e2f1c33").stop().send().await?;
/// println!("stop accepted, request {:?}", stopped.request_id());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Compute {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    transport: Transport,
    versions: tokio::sync::OnceCell<VersionRange>,
    /// The endpoint's own path, which every top-level collection's handle shares.
    root: Arc<ResourcePath>,
}

impl std::fmt::Debug for Compute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compute")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Compute {
    /// A client for `config`. Nothing is sent until the first call.
    pub fn new(config: Config) -> Result<Compute, Error> {
        let transport = Transport::new(&config)?;
        Ok(Compute {
            inner: Arc::new(Inner {
                config,
                transport,
                versions: tokio::sync::OnceCell::new(),
                root: Arc::new(ResourcePath::root()),
            }),
        })
    }

    /// A client configured from `OS_CLOUD` and `clouds.yaml`, or from the `OS_*` variables
    /// (see [`crate::config`]).
    pub fn from_env() -> Result<Compute, Error> {
        Compute::new(Config::from_env()?)
    }

    /// The configuration in effect.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The endpoint's own path, where the top-level collections are.
    pub(crate) fn root_path(&self) -> Arc<ResourcePath> {
        self.inner.root.clone()
    }

    /// The microversions the server supports (discovered once per client, then cached).
    pub async fn server_versions(&self) -> Result<VersionRange, Error> {
        if let Some(known) = self.inner.versions.get() {
            return Ok(*known);
        }
        // Boxed, like the token refresh: discovery happens once per client, and its state
        // inline would enlarge every call's future.
        Box::pin(self.inner.versions.get_or_try_init(|| self.inner.transport.discover()))
            .await
            .copied()
    }

    /// The microversion `request` goes at: the strategy (or `pinned`) inside what the server,
    /// the operation and `allowed` support. With [`VersionStrategy::LowestRequired`], the
    /// first stretch of microversions whose rules the request's fields meet.
    pub(crate) async fn version_for<O: Operation>(
        &self,
        request: &O,
        pinned: Option<Microversion>,
        allowed: VersionRange,
    ) -> Result<Microversion, Error> {
        let server = self.server_versions().await?;
        let strategy = pinned.map(VersionStrategy::Pinned).unwrap_or(self.inner.config.version);
        let allowed = allowed.intersect(O::INFO.range).unwrap_or(O::INFO.range);
        // A pin outside the operation's own range is the caller's mistake, whatever the server
        // supports: say so (Nova would answer 404), rather than blame the server.
        if let Some(v) = pinned.filter(|v| !allowed.contains(*v)) {
            return Err(ActionError::OperationOutOfRange {
                operation: O::INFO.name,
                range: allowed,
                version: v,
            }
            .into());
        }
        let chosen =
            microversion::negotiate(strategy, server, allowed).map_err(|u| Error::MicroversionUnsupported {
                wanted: u.wanted,
                supported: u.supported,
            })?;
        if strategy != VersionStrategy::LowestRequired {
            return Ok(chosen);
        }
        let usable = allowed.intersect(server).unwrap_or(allowed);
        let first_fit = std::iter::once(chosen)
            .chain(O::INFO.breakpoints.iter().copied().filter(|b| *b > chosen))
            .filter(|v| usable.contains(*v))
            .find(|v| request.check(*v).is_ok());
        Ok(first_fit.unwrap_or(chosen))
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// Sends `body` as it is to `/servers/{server_id}/action` at `version`, with no check:
    /// the escape hatch for what the typed path refuses (to see what Nova answers). The
    /// response body is returned as JSON (`null` when empty).
    pub async fn send_raw_action(
        &self,
        server_id: &str,
        body: &serde_json::Value,
        version: Microversion,
    ) -> Result<crate::Output<serde_json::Value>, Error> {
        let server = self.server_versions().await?;
        if !server.contains(version) {
            return Err(Error::MicroversionUnsupported {
                wanted: version,
                supported: server,
            });
        }
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let server = ResourcePath::root().item(&["servers"], "server_id", server_id.to_owned());
        let to = Destination {
            resource: &server,
            template: "/servers/{server_id}/action",
            params: &[],
            query: Vec::new(),
        };
        let raw = self
            .inner
            .transport
            .send(&RAW_ACTION, &to, version, Some(bytes))
            .await?;
        let value = if raw.body.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Null
        } else {
            match serde_json::from_slice(&raw.body) {
                Ok(v) => v,
                Err(e) => {
                    return Err(Error::decode(
                        crate::DecodeError::json("raw action response", &e),
                        raw.meta,
                    ));
                }
            }
        };
        Ok(crate::Output::new(value, raw.meta))
    }
}

/// The facts the transport needs for a raw action: where it goes, and that it is a POST.
static RAW_ACTION: crate::operation::OperationInfo = crate::operation::OperationInfo {
    name: "raw_action",
    resource: &crate::operation::ResourceInfo {
        name: "server",
        collection: "/servers",
        id: Some("server_id"),
        id_field: "id",
        kind: crate::operation::ResourceKind::Collection,
        parent: None,
        defaults: &[],
    },
    method: crate::operation::Method::Post,
    paths: &[crate::operation::PathAt::new(
        VersionRange::ALL,
        "/servers/{server_id}/action",
    )],
    action: None,
    range: VersionRange::ALL,
    status: &[],
    errors: &[],
    policy: crate::operation::Policy::None,
    never_succeeds: false,
    request: &crate::codec::RequestShape::new("raw_action", None, crate::codec::BodyKind::Fields, &[]),
    answer: crate::operation::Answer::Nothing,
    paging: None,
    breakpoints: &[],
    server: None,
    instance_action: None,
    references: &[],
    store: None,
};
