//! The client: [`Compute`] holds the configuration, the transport (with its token cache) and
//! the microversions the server supports, discovered once.

use std::sync::Arc;

use crate::config::{Config, VersionStrategy};
use crate::error::{ActionError, Error};
use crate::microversion::{self, Microversion, VersionRange};
use crate::operation::Operation;
use crate::transport::{ResourcePath, Transport};

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

    /// The microversion the client's strategy picks inside `range` and what the server
    /// supports (a raw request's, when it names none).
    pub(crate) async fn version_within(&self, range: VersionRange) -> Result<Microversion, Error> {
        let server = self.server_versions().await?;
        microversion::negotiate(self.inner.config.version, server, range).map_err(|u| Error::MicroversionUnsupported {
            wanted: u.wanted,
            supported: u.supported,
        })
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }
}
