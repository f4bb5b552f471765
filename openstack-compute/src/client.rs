//! The client: [`Compute`] holds the configuration, the token cache and the discovered
//! versions; [`ServerHandle`] is one server, with a method per operation (generated from the
//! spec) returning a [`Call`], a fluent builder whose `send()` goes through the one request
//! path (`Compute::execute`, then the transport).

use std::sync::Arc;

use tracing::Instrument;

use crate::auth::{Authenticator, Token, token_header};
use crate::config::{Config, VersionStrategy};
use crate::error::{Error, RequestId, ResponseMeta};
use crate::microversion::{Microversion, VersionRange};
use crate::operation_core::{Operation, RequestParts, ResponseBody, VersionedRequest};
use crate::transport::{RawRequest, RawResponse, Transport, header};

/// A typed result with the metadata of the response it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Output<T> {
    inner: T,
    meta: ResponseMeta,
}

impl<T> Output<T> {
    pub(crate) fn new(inner: T, meta: ResponseMeta) -> Output<T> {
        Output { inner, meta }
    }

    /// The microversion the server used.
    pub fn microversion(&self) -> Option<Microversion> {
        self.meta.microversion
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.meta.status
    }

    /// The `Location` header, where Nova sends one.
    pub fn location(&self) -> Option<&str> {
        self.meta.location.as_deref()
    }

    /// All response metadata.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// The typed body.
    pub fn into_inner(self) -> T {
        self.inner
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
        self.meta.request_id.as_deref()
    }
}

/// A Compute API client. Cheap to clone; clones share the token cache and discovered versions.
///
/// ```no_run
/// # async fn demo() -> Result<(), openstack_compute::Error> {
/// use openstack_compute::{Compute, RequestId};
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
    auth: Authenticator,
    versions: tokio::sync::OnceCell<VersionRange>,
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
        let auth = Authenticator::new(config.clone(), transport.clone());
        Ok(Compute {
            inner: Arc::new(Inner {
                config,
                transport,
                auth,
                versions: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// A client configured from `OS_CLOUD`/`clouds.yaml` or the `OS_*` variables.
    pub fn from_env() -> Result<Compute, Error> {
        Compute::new(Config::from_env()?)
    }

    /// The configuration in effect.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// One server, by ID.
    pub fn server(&self, id: impl Into<String>) -> ServerHandle {
        ServerHandle {
            compute: self.clone(),
            id: id.into(),
        }
    }

    /// The microversions the server supports (discovered once per client, then cached).
    pub async fn server_versions(&self) -> Result<VersionRange, Error> {
        self.inner.versions.get_or_try_init(|| self.discover()).await.copied()
    }

    async fn discover(&self) -> Result<VersionRange, Error> {
        let token = self.inner.auth.token().await?;
        let url = version_root(&token.endpoint);
        let span = tracing::info_span!("compute.discover", url = %url, request_id = tracing::field::Empty);
        let response = self
            .send_authenticated(reqwest::Method::GET, url, None, None, true, token)
            .instrument(span.clone())
            .await?;
        if let Some(id) = &response.meta.request_id {
            span.record("request_id", id.as_str());
        }
        parse_version_document(&response.body).map_err(|error| Error::Decode {
            error,
            meta: response.meta.clone(),
        })
    }

    /// The microversion a request will be sent at, by the configured strategy.
    pub async fn version_for<O: Operation>(&self, request: &O) -> Result<Microversion, Error> {
        let server = self.server_versions().await?;
        let ours = VersionRange::ALL
            .intersect(server)
            .ok_or(Error::MicroversionUnsupported {
                wanted: Microversion::MIN,
                supported: server,
            })?;
        match self.inner.config.version {
            VersionStrategy::Pinned(v) if server.contains(v) => Ok(v),
            VersionStrategy::Pinned(v) => Err(Error::MicroversionUnsupported {
                wanted: v,
                supported: server,
            }),
            VersionStrategy::HighestCommon => Ok(ours.max),
            VersionStrategy::LowestRequired => {
                let wanted = request.lowest_version().max(ours.min);
                if ours.contains(wanted) {
                    Ok(wanted)
                } else {
                    Err(Error::MicroversionUnsupported {
                        wanted,
                        supported: server,
                    })
                }
            }
        }
    }

    /// The microversion a per-version request type is sent at: the version the strategy
    /// picks if it lies in the type's range, else the nearest end of that range the server
    /// supports.
    async fn version_for_range(&self, range: VersionRange) -> Result<Microversion, Error> {
        let server = self.server_versions().await?;
        let usable = range.intersect(server).ok_or(Error::MicroversionUnsupported {
            wanted: range.min,
            supported: server,
        })?;
        match self.inner.config.version {
            VersionStrategy::Pinned(v) if usable.contains(v) => Ok(v),
            VersionStrategy::Pinned(v) => Err(Error::MicroversionUnsupported {
                wanted: v,
                supported: usable,
            }),
            VersionStrategy::HighestCommon => Ok(usable.max),
            VersionStrategy::LowestRequired => Ok(usable.min),
        }
    }

    /// Sends `request` for the server `server_id` at `version` (or the negotiated one).
    pub(crate) async fn execute<O: Operation>(
        &self,
        server_id: &str,
        request: &O,
        version: Option<Microversion>,
    ) -> Result<Output<O::Response>, Error> {
        let version = match version {
            Some(v) => {
                let server = self.server_versions().await?;
                if !server.contains(v) {
                    return Err(Error::MicroversionUnsupported {
                        wanted: v,
                        supported: server,
                    });
                }
                v
            }
            None => self.version_for(request).await?,
        };
        let parts = request.to_parts(version)?;
        self.send_parts::<O>(server_id, parts, version).await
    }

    /// Sends a per-version request type.
    pub(crate) async fn execute_versioned<V: VersionedRequest>(
        &self,
        server_id: &str,
        request: &V,
    ) -> Result<Output<<V::Operation as Operation>::Response>, Error> {
        let info = <V::Operation as Operation>::INFO;
        let range = V::RANGE.intersect(info.range).unwrap_or(V::RANGE);
        let version = self.version_for_range(range).await?;
        self.send_parts::<V::Operation>(server_id, request.to_parts(), version)
            .await
    }

    pub(crate) async fn send_parts<O: Operation>(
        &self,
        server_id: &str,
        parts: RequestParts,
        version: Microversion,
    ) -> Result<Output<O::Response>, Error> {
        let response = self.send_operation(O::INFO, server_id, parts, version).await?;
        // Parse with the version the server says it used (it echoes the one we sent).
        let used = response.meta.microversion.unwrap_or(version);
        match O::Response::parse(&response.body, response.meta.location.as_deref(), used) {
            Ok(inner) => Ok(Output::new(inner, response.meta)),
            Err(error) => Err(Error::Decode {
                error,
                meta: response.meta,
            }),
        }
    }

    /// The HTTP part of [`Compute::send_parts`], shared by every operation (not generic, so
    /// it is compiled once rather than once per operation).
    async fn send_operation(
        &self,
        info: &'static crate::operation_core::OperationInfo,
        server_id: &str,
        parts: RequestParts,
        version: Microversion,
    ) -> Result<RawResponse, Error> {
        let token = self.inner.auth.token().await?;
        let url = build_url(&token.endpoint, info.path, server_id, &parts);
        let span = tracing::info_span!(
            "compute.call",
            method = info.method,
            path = info.path,
            operation = info.name,
            action = info.key.unwrap_or(""),
            server_id = server_id,
            microversion = %version,
            request_id = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let body = parts.body.as_ref().map(|b| serde_json::to_vec(b).unwrap_or_default());
        let method = if info.method == "GET" {
            reqwest::Method::GET
        } else {
            reqwest::Method::POST
        };
        let idempotent = method == reqwest::Method::GET;
        let result = self
            .send_authenticated(method, url, body, Some(version), idempotent, token)
            .instrument(span.clone())
            .await;
        let meta = match &result {
            Ok(r) => Some(&r.meta),
            Err(e) => e.meta(),
        };
        if let Some(meta) = meta {
            span.record("status", meta.status);
            if let Some(id) = &meta.request_id {
                span.record("request_id", id.as_str());
            }
        }
        result
    }

    /// Sends with the token; on a 401 re-authenticates once and sends once more.
    async fn send_authenticated(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<Vec<u8>>,
        version: Option<Microversion>,
        idempotent: bool,
        token: Arc<Token>,
    ) -> Result<RawResponse, Error> {
        let mut token = token;
        let mut reauthenticated = false;
        loop {
            let mut headers = reqwest::header::HeaderMap::new();
            if let Some((k, v)) = token_header(&token) {
                headers.insert(k, v);
            }
            if let Some(v) = version {
                for (name, value) in [
                    ("openstack-api-version", v.header_value()),
                    ("x-openstack-nova-api-version", v.to_string()),
                ] {
                    if let Some((k, v)) = header(name, &value, false) {
                        headers.insert(k, v);
                    }
                }
            }
            let req = RawRequest {
                method: method.clone(),
                url: url.clone(),
                headers,
                body: body.clone(),
                idempotent,
            };
            match self.inner.transport.send(&req).await {
                Err(Error::Api(api))
                    if api.meta.status == 401 && !reauthenticated && self.inner.auth.can_reauthenticate() =>
                {
                    tracing::info!("token rejected (401); authenticating again");
                    self.inner.auth.invalidate(&token);
                    token = self.inner.auth.token().await?;
                    reauthenticated = true;
                }
                other => return other,
            }
        }
    }

    /// Sends `body` as is to `/servers/{server_id}/action` at `version`, with no client-side
    /// check: the escape hatch for what the typed path refuses (e.g. to see what Nova answers).
    pub async fn send_raw_action(
        &self,
        server_id: &str,
        body: &serde_json::Value,
        version: Microversion,
    ) -> Result<Output<serde_json::Value>, Error> {
        let token = self.inner.auth.token().await?;
        let url = build_url(
            &token.endpoint,
            "/servers/{server_id}/action",
            server_id,
            &RequestParts::default(),
        );
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let response = self
            .send_authenticated(reqwest::Method::POST, url, Some(bytes), Some(version), false, token)
            .instrument(tracing::info_span!("compute.raw_action", server_id = server_id, microversion = %version))
            .await?;
        let value = if response.body.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&response.body).map_err(|e| Error::Decode {
                error: crate::error::DecodeError::json("raw action response", &e),
                meta: response.meta.clone(),
            })?
        };
        Ok(Output::new(value, response.meta))
    }
}

/// The supported range from a compute version document (`{"version": {"version", "min_version"}}`).
/// The legacy v2 API reports empty versions: it has no microversions, which is 2.1.
#[doc(hidden)]
pub fn parse_version_document(body: &[u8]) -> Result<VersionRange, crate::error::DecodeError> {
    let context = "version discovery document";
    let doc: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| crate::error::DecodeError::json(context, &e))?;
    let version = doc
        .get("version")
        .ok_or_else(|| crate::error::DecodeError::new(context, "missing `version`"))?;
    let text = |k: &str| version.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let max = text("version").parse().unwrap_or(Microversion::MIN);
    let min = text("min_version").parse().unwrap_or(Microversion::MIN);
    if min > max {
        return Err(crate::error::DecodeError::new(
            context,
            "`min_version` is above `version`",
        ));
    }
    Ok(VersionRange::new(min, max))
}

/// The URL of the version document for an endpoint: the endpoint without a trailing project
/// ID (`/v2.1/<project>` -> `/v2.1/`, `/v2/<project>` -> `/v2/`).
fn version_root(endpoint: &str) -> String {
    let trimmed = endpoint.trim_end_matches('/');
    let mut segments: Vec<&str> = trimmed.split('/').collect();
    let is_version = |s: &str| s == "v2" || s == "v2.1";
    if segments.len() > 3
        && !segments.last().is_some_and(|s| is_version(s))
        && segments.iter().rev().nth(1).is_some_and(|s| is_version(s))
    {
        segments.pop();
    }
    format!("{}/", segments.join("/"))
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn build_url(endpoint: &str, template: &str, server_id: &str, parts: &RequestParts) -> String {
    let mut path = template.replace("{server_id}", &encode(server_id));
    for (name, value) in &parts.path_params {
        path = path.replace(&format!("{{{name}}}"), &encode(value));
    }
    let mut url = format!("{}{path}", endpoint.trim_end_matches('/'));
    for (i, (k, v)) in parts.query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&encode(k));
        url.push('=');
        url.push_str(&encode(v));
    }
    url
}

/// One server: every operation of the spec is a method here (generated), returning a [`Call`].
#[derive(Clone, Debug)]
pub struct ServerHandle {
    compute: Compute,
    id: String,
}

impl ServerHandle {
    /// The server's ID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The client this handle belongs to.
    pub fn compute(&self) -> &Compute {
        &self.compute
    }

    /// A call of any version-agnostic request (the generated methods use this).
    pub fn call<O: Operation>(&self, request: O) -> Call<O> {
        Call {
            server: self.clone(),
            request,
            microversion: None,
        }
    }

    /// Sends a per-microversion request type (`rebuild::V2_63 { .. }`) at a version of its
    /// range that the server supports.
    pub async fn send_action<V: VersionedRequest>(
        &self,
        request: V,
    ) -> Result<Output<<V::Operation as Operation>::Response>, Error> {
        self.compute.execute_versioned(&self.id, &request).await
    }
}

/// A request about to be sent: set fields with the generated methods, then [`Call::send`].
#[derive(Clone, Debug)]
#[must_use = "a call does nothing until it is sent"]
pub struct Call<O> {
    server: ServerHandle,
    request: O,
    microversion: Option<Microversion>,
}

impl<O: Operation> Call<O> {
    /// Sends at exactly this microversion instead of the client's strategy.
    pub fn at_microversion(mut self, version: Microversion) -> Self {
        self.microversion = Some(version);
        self
    }

    /// The request as built so far.
    pub fn request(&self) -> &O {
        &self.request
    }

    /// The server this call is for.
    pub fn server(&self) -> &ServerHandle {
        &self.server
    }

    #[doc(hidden)]
    pub fn map_request(mut self, f: impl FnOnce(O) -> O) -> Self {
        self.request = f(self.request);
        self
    }

    /// Checks the request against the microversion in effect, sends it, and parses the
    /// response with the type for the version the server used.
    pub async fn send(self) -> Result<Output<O::Response>, Error> {
        self.server
            .compute
            .execute(&self.server.id, &self.request, self.microversion)
            .await
    }
}

/// Sends a request sample through the one request path and checks the typed output against
/// the response sample read by the same type (the generated `replay_through_client` uses it).
pub(crate) async fn replay_sample<O: Operation + crate::operation_core::Roundtrip>(
    server: &ServerHandle,
    version: Microversion,
    request: &serde_json::Value,
    response: &[u8],
) -> Result<Option<String>, String> {
    let parts = O::sample_parts(version, request).map_err(|e| e.to_string())?;
    let output = server
        .compute
        .send_parts::<O>(&server.id, parts, version)
        .await
        .map_err(|e| e.to_string())?;
    let expected = O::Response::parse(response, output.location(), version).map_err(|e| e.to_string())?;
    let request_id = output.request_id().map(str::to_string);
    let got = output.into_inner();
    if got == expected {
        Ok(request_id)
    } else {
        Err(format!("typed output differs:\n got {got:?}\n expected {expected:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_root_strips_a_project_id() {
        assert_eq!(version_root("http://h:8774/v2.1/3f2a9c"), "http://h:8774/v2.1/");
        assert_eq!(version_root("http://h:8774/v2/3f2a9c/"), "http://h:8774/v2/");
        assert_eq!(version_root("https://h/compute/v2.1"), "https://h/compute/v2.1/");
    }

    #[test]
    fn urls_are_encoded() {
        let mut parts = RequestParts::default();
        parts.query.push(("changes-since", "2024-01-01T00:00:00+00:00".into()));
        parts.path_params.push(("request_id", "req-1".into()));
        assert_eq!(
            build_url(
                "http://h/v2.1/",
                "/servers/{server_id}/os-instance-actions/{request_id}",
                "a b",
                &parts
            ),
            "http://h/v2.1/servers/a%20b/os-instance-actions/req-1?changes-since=2024-01-01T00%3A00%3A00%2B00%3A00"
        );
    }
}
