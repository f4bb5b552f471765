//! A call: where it goes ([`Base`], what every handle holds), the call being built
//! ([`CallCore`], behind each operation's `Call`), `execute`, the one orchestration of every
//! call, and what a call returns ([`Output`]).
//!
//! A call's path: `compute.server(id).stop()` builds the operation's `Call` around a
//! `CallCore` on the server's [`Base`]; `send()` negotiates the microversion ([`Compute`]),
//! checks the request against it and writes the body (the generated `Operation` impl), hands
//! it to the transport (the one request path), and reads the response with the type for the
//! microversion the server used.

use std::sync::Arc;

use crate::client::Compute;
use crate::error::{ActionError, Error, RequestId, ResponseMeta};
use crate::microversion::{Microversion, VersionRange};
use crate::operation::{Answer, BodyKind, Operation, PinnedResponse, VersionedRequest};
use crate::transport::{Destination, ResourcePath};

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

/// What a handle holds: the client and the path of the resource it names
/// (`/servers/9d1b..`), whose URL is built once and shared by the handle's clones and calls.
/// Cheap to clone.
#[derive(Clone)]
pub struct Base {
    compute: Compute,
    path: Arc<ResourcePath>,
}

impl Base {
    /// The endpoint itself, where the top-level collections are.
    pub(crate) fn root(compute: &Compute) -> Base {
        Base {
            compute: compute.clone(),
            path: compute.root_path(),
        }
    }

    /// An item under this resource: `literals`, then the parameter `name` set to `id`.
    pub(crate) fn item(&self, literals: &[&'static str], name: &'static str, id: String) -> Base {
        Base {
            compute: self.compute.clone(),
            path: Arc::new(self.path.item(literals, name, id)),
        }
    }

    /// The resource at a path template, its parameters given in order
    /// (`Base::at(&compute, "/servers/{server_id}/os-instance-actions/{request_id}", &[id,
    /// "req-1"])`): for what the handles do not reach. A call on it sends to the operation's
    /// own template, which must start with this one up to its last parameter.
    pub fn at(compute: &Compute, template: &'static str, values: &[&str]) -> Base {
        let mut path = ResourcePath::root();
        let mut literals: Vec<&'static str> = Vec::new();
        let mut values = values.iter();
        for part in template.split('/').filter(|p| !p.is_empty()) {
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => {
                    let value = values.next().copied().unwrap_or_default();
                    path = path.item(&literals, name, value.to_string());
                    literals.clear();
                }
                None => literals.push(part),
            }
        }
        Base {
            compute: compute.clone(),
            path: Arc::new(path),
        }
    }

    /// The ID of the resource (its path's last parameter), or `""` at the root.
    pub fn id(&self) -> &str {
        self.path.id()
    }

    /// The client.
    pub fn compute(&self) -> &Compute {
        &self.compute
    }

    /// The value of the path parameter `name` (`server_id`), when the path has it.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.path.params().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl std::fmt::Debug for Base {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.path, f)
    }
}

/// The state of a call being built: where it goes, the request, and a microversion pinned
/// for this call. Each operation's `Call` wraps one.
#[derive(Clone, Debug)]
pub struct CallCore<O> {
    base: Base,
    /// The call's own path parameters beyond its resource's (an extra spec's key).
    params: Vec<(&'static str, Box<str>)>,
    /// The request as built so far.
    pub request: O,
    /// A microversion pinned for this call, instead of the client's strategy.
    pub microversion: Option<Microversion>,
    /// The microversions the call may use, inside the operation's range (a client method
    /// may offer an operation over part of it).
    allowed: VersionRange,
    /// A query parameter that replaces the request's own: the pager's `marker` or `offset`.
    cursor: Option<(&'static str, String)>,
}

impl<O: Operation> CallCore<O> {
    /// A call on the resource `base` names.
    pub fn new(base: &Base, request: O) -> CallCore<O> {
        CallCore {
            base: base.clone(),
            params: Vec::new(),
            request,
            microversion: None,
            allowed: O::INFO.range,
            cursor: None,
        }
    }

    /// A call that also fills the path parameter `name` beyond its resource's (`{id}` of
    /// `/flavors/{flavor_id}/os-extra_specs/{id}`). Parameters fill the template in order.
    pub fn with_param(mut self, name: &'static str, value: String) -> CallCore<O> {
        self.params.push((name, value.into_boxed_str()));
        self
    }

    /// A call offered over part of the operation's microversions only (`keypairs().create`
    /// below 2.92, where Nova still generates the key).
    pub fn within(mut self, range: VersionRange) -> CallCore<O> {
        self.allowed = self.allowed.intersect(range).unwrap_or(self.allowed);
        self
    }

    /// The value of the path parameter `name`: the call's own (an item's ID), else its
    /// resource's.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| &**v)
            .or_else(|| self.base.param(name))
    }

    /// Where the call goes.
    pub fn base(&self) -> &Base {
        &self.base
    }

    /// The client.
    pub fn compute(&self) -> &Compute {
        &self.base.compute
    }

    /// The microversion this call would be sent at now: the client's strategy (or the pinned
    /// microversion) inside what the cloud and the operation support.
    pub async fn version(&self) -> Result<Microversion, Error> {
        self.compute()
            .version_for(&self.request, self.microversion, self.allowed)
            .await
    }

    /// Whether the request may carry the field named `field` (its JSON name) at
    /// [`CallCore::version`]: a field of another microversion, or of no microversion of the
    /// operation, may not.
    pub async fn accepts(&self, field: &str) -> Result<bool, Error> {
        let version = self.version().await?;
        Ok(O::SHAPE
            .fields
            .iter()
            .any(|f| f.json == field && f.range.contains(version)))
    }

    /// The value of the query parameter `name` replaced (the pager moves through pages so).
    pub(crate) fn set_cursor(&mut self, name: &'static str, value: String) {
        self.cursor = Some((name, value));
    }

    /// Sends the request and reads the response.
    pub async fn send(self) -> Result<Output<O::Response>, Error> {
        execute(&self, self.allowed).await
    }

    /// Sends the request as the per-version type `V`, returning `V`'s response type.
    pub async fn send_pinned<V>(mut self) -> Result<Output<V::Response>, Error>
    where
        V: VersionedRequest<Operation = O> + TryFrom<O, Error = ActionError>,
        O: From<V>,
    {
        let request = std::mem::take(&mut self.request);
        self.request = O::from(V::try_from(request)?);
        let allowed = self.allowed.intersect(V::RANGE).unwrap_or(V::RANGE);
        let out = execute(&self, allowed).await?;
        pinned::<V>(out)
    }
}

/// Sends a per-version request (`rebuild::V2_63::new(image)`) on the resource `base` names,
/// at a microversion of its range, and returns the response type of that range: what each
/// handle's `send` does.
pub async fn send_versioned<V: VersionedRequest>(base: &Base, request: V) -> Result<Output<V::Response>, Error> {
    let call = CallCore::new(base, V::Operation::from(request));
    let allowed = call.allowed.intersect(V::RANGE).unwrap_or(V::RANGE);
    let out = execute(&call, allowed).await?;
    pinned::<V>(out)
}

/// Reads a unified response as the per-version response type of `V`.
pub(crate) fn pinned<V: VersionedRequest>(
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
    call: &CallCore<O>,
    allowed: VersionRange,
) -> Result<Output<O::Response>, Error> {
    let compute = call.compute();
    let request = &call.request;
    let version = compute.version_for(request, call.microversion, allowed).await?;
    request.check(version)?;
    let body = (O::SHAPE.body != BodyKind::None).then(|| {
        let mut out = Vec::with_capacity(128);
        request.write_body(version, &mut out);
        out
    });
    let mut query = request.query(version);
    if let Some((name, value)) = &call.cursor {
        query.retain(|(k, _)| k != name);
        query.push((name, value.as_str().into()));
    }
    let to = Destination {
        resource: &call.base.path,
        template: O::INFO.path_at(version),
        params: &call.params,
        query,
    };
    let raw = match compute.transport().send(O::INFO, &to, version, body).await {
        // A yes-or-no answer: Nova's 404 is the no.
        Err(Error::Api(api)) if matches!(O::INFO.answer, Answer::Exists) && api.meta.status == 404 => {
            match O::absent() {
                Some(no) => return Ok(Output::new(no, api.meta)),
                None => return Err(Error::Api(api)),
            }
        }
        other => other?,
    };
    // Read with the microversion the server says it used (it echoes the one sent).
    let used = raw.meta.microversion().unwrap_or(version);
    match O::parse_response(&raw.body, raw.meta.location(), used) {
        Ok(r) => Ok(Output::new(r, raw.meta)),
        Err(e) => Err(Error::decode(e, raw.meta)),
    }
}
