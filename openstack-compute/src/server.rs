//! One server ([`ServerHandle`]), a call being built ([`CallCore`], behind each operation's
//! `Call`), and what a call returns ([`Output`]).
//!
//! A call's path: `server.stop()` builds the operation's `Call` around a `CallCore`; `send()`
//! negotiates the microversion ([`Compute`]), checks the request against it and writes the
//! body (the generated `Operation` impl), hands it to the transport (the one request path),
//! and reads the response with the type for the microversion the server used.

use std::sync::Arc;

use crate::client::Compute;
use crate::error::{ActionError, Error, RequestId, ResponseMeta};
use crate::microversion::{Microversion, VersionRange};
use crate::operation::{BodyKind, Operation, PinnedResponse, VersionedRequest};
use crate::transport::ServerId;

/// A typed result with the metadata of the response it came from. Dereferences to the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Output<T> {
    inner: T,
    meta: ResponseMeta,
}

impl<T> Output<T> {
    pub(crate) fn new(inner: T, meta: ResponseMeta) -> Output<T> {
        Output { inner, meta }
    }

    /// The request ID Nova assigned (`x-openstack-request-id`): what to quote to an operator,
    /// and what the waiters follow.
    pub fn request_id(&self) -> Option<&str> {
        self.meta.request_id()
    }

    /// The microversion the server used.
    pub fn microversion(&self) -> Option<Microversion> {
        self.meta.microversion()
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.meta.status()
    }

    /// The `Location` header, where Nova sends one.
    pub fn location(&self) -> Option<&str> {
        self.meta.location()
    }

    /// All response metadata.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// The typed body.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// The body and the metadata.
    pub fn into_parts(self) -> (T, ResponseMeta) {
        (self.inner, self.meta)
    }
}

impl<T> std::ops::Deref for Output<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> RequestId for Output<T> {
    fn request_id(&self) -> Option<&str> {
        self.meta.request_id()
    }
}

/// One server: each operation on a server is a method here (`stop()`, `rebuild(image)`,
/// `update()`, `delete()`, ...), generated from the spec, returning that operation's `Call`.
#[derive(Clone, Debug)]
pub struct ServerHandle {
    compute: Compute,
    id: Arc<ServerId>,
}

impl ServerHandle {
    pub(crate) fn new(compute: Compute, id: String) -> ServerHandle {
        ServerHandle {
            compute,
            id: Arc::new(ServerId::new(id)),
        }
    }

    /// The server's ID.
    pub fn id(&self) -> &str {
        self.id.as_str()
    }

    /// The client this handle belongs to.
    pub fn compute(&self) -> &Compute {
        &self.compute
    }

    /// Sends a per-microversion request (`rebuild::V2_63::new(image)`) at a microversion of
    /// its range that the server supports, and returns the response type of that range.
    pub async fn send_action<V: VersionedRequest>(&self, request: V) -> Result<Output<V::Response>, Error> {
        let request: V::Operation = request.into();
        let out = execute(&self.compute, Some(&*self.id), &request, None, V::RANGE).await?;
        pinned::<V>(out)
    }
}

/// The state of a call being built: the client, the server it is for (if any), the request,
/// and a microversion pinned for this call. Each operation's `Call` wraps one.
#[derive(Clone, Debug)]
pub struct CallCore<O> {
    compute: Compute,
    server_id: Option<Arc<ServerId>>,
    /// The request as built so far.
    pub request: O,
    /// A microversion pinned for this call, instead of the client's strategy.
    pub microversion: Option<Microversion>,
}

impl<O: Operation> CallCore<O> {
    /// A call on one server.
    pub fn on_server(server: &ServerHandle, request: O) -> CallCore<O> {
        CallCore {
            compute: server.compute.clone(),
            server_id: Some(server.id.clone()),
            request,
            microversion: None,
        }
    }

    /// A call on the servers collection.
    pub fn on_collection(compute: &Compute, request: O) -> CallCore<O> {
        CallCore {
            compute: compute.clone(),
            server_id: None,
            request,
            microversion: None,
        }
    }

    /// The server the call is for.
    pub fn server(&self) -> Option<ServerHandle> {
        self.server_id.as_ref().map(|id| ServerHandle {
            compute: self.compute.clone(),
            id: id.clone(),
        })
    }

    /// The client.
    pub fn compute(&self) -> &Compute {
        &self.compute
    }

    /// Sends the request and reads the response.
    pub async fn send(self) -> Result<Output<O::Response>, Error> {
        execute(
            &self.compute,
            self.server_id.as_deref(),
            &self.request,
            self.microversion,
            O::INFO.range,
        )
        .await
    }

    /// Sends the request as the per-version type `V`, returning `V`'s response type.
    pub async fn send_pinned<V>(self) -> Result<Output<V::Response>, Error>
    where
        V: VersionedRequest<Operation = O> + TryFrom<O, Error = ActionError>,
        O: From<V>,
    {
        let typed = V::try_from(self.request)?;
        let request = O::from(typed);
        let out = execute(
            &self.compute,
            self.server_id.as_deref(),
            &request,
            self.microversion,
            V::RANGE,
        )
        .await?;
        pinned::<V>(out)
    }
}

fn pinned<V: VersionedRequest>(
    out: Output<<V::Operation as Operation>::Response>,
) -> Result<Output<V::Response>, Error> {
    let (inner, meta) = out.into_parts();
    match V::Response::from_unified(inner) {
        Ok(r) => Ok(Output::new(r, meta)),
        Err(e) => Err(Error::decode(e, meta)),
    }
}

/// The one way a request is sent: the microversion, the checks and the body, the transport,
/// and the response read as the server's microversion shapes it.
pub(crate) async fn execute<O: Operation>(
    compute: &Compute,
    server_id: Option<&ServerId>,
    request: &O,
    pinned: Option<Microversion>,
    allowed: VersionRange,
) -> Result<Output<O::Response>, Error> {
    let version = compute.version_for(request, pinned, allowed).await?;
    request.check(version)?;
    let body = (O::INFO.body != BodyKind::None).then(|| {
        let mut out = Vec::with_capacity(128);
        request.write_body(version, &mut out);
        out
    });
    let target = request.target(version);
    let raw = compute
        .transport()
        .send(O::INFO, server_id, &target, version, body)
        .await?;
    // Read with the microversion the server says it used (it echoes the one sent).
    let used = raw.meta.microversion().unwrap_or(version);
    match O::parse_response(&raw.body, raw.meta.location(), used) {
        Ok(r) => Ok(Output::new(r, raw.meta)),
        Err(e) => Err(Error::decode(e, raw.meta)),
    }
}
