//! The one request path: everything between "this operation, at this microversion" and "a
//! response with its meta". The token (from [`crate::auth`]), the microversion header, the
//! global request ID, the tracing span, timeouts, the retry rules and their safety, the single
//! re-authentication after a 401, the body-size cap, and the classification of a response
//! into a body or a typed [`Error`] all live here; Keystone's requests and version discovery
//! go through the same attempt and retry code. This is the only module that names reqwest.

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderName, HeaderValue};
use tracing::Instrument;

use crate::auth::Authenticator;
use crate::config::{Config, ConfigError, RetryPolicy};
use crate::error::{ApiError, Error, ResponseMeta};
use crate::microversion::{Microversion, VersionRange};
use crate::operation::{Method, OperationInfo, Target};

/// A header value kept as the response sent it (no copy): the request ID, the `Location`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct HeaderText(HeaderValue);

impl HeaderText {
    /// Only visible ASCII is kept (what `to_str` accepts), so `as_str` never fails.
    fn new(value: &HeaderValue) -> Option<HeaderText> {
        value.to_str().ok().map(|_| HeaderText(value.clone()))
    }

    pub(crate) fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

/// A token's `X-Auth-Token` value, marked sensitive so no debug output shows it.
#[derive(Clone)]
pub(crate) struct TokenHeader(HeaderValue);

impl TokenHeader {
    pub(crate) fn new(token: &str) -> Result<TokenHeader, Error> {
        let mut v = HeaderValue::from_str(token).map_err(|_| Error::Auth {
            message: "the token holds characters a header cannot carry".into(),
            meta: None,
        })?;
        v.set_sensitive(true);
        Ok(TokenHeader(v))
    }
}

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
    fn version_root(&self) -> reqwest::Url {
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

    /// The URL of an operation: the path template filled in, the query appended. One clone of
    /// the parsed endpoint, or of the server's URL under it; nothing is parsed again.
    fn url(&self, path: &str, server: Option<&ServerId>, target: &Target<'_>) -> reqwest::Url {
        let (mut url, rest) = match (server, path.strip_prefix("/servers/{server_id}")) {
            (Some(server), Some("/action")) if target.query.is_empty() => {
                return server.urls_under(self).action.clone();
            }
            (Some(server), Some(rest)) => (server.urls_under(self).server.clone(), rest),
            _ => (self.0.clone(), path),
        };
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            for part in rest.split('/').filter(|p| !p.is_empty()) {
                match part {
                    "{server_id}" => segments.push(server.map(ServerId::as_str).unwrap_or_default()),
                    p if p.starts_with('{') => segments.push(target.path_param.map(|(_, v)| v).unwrap_or_default()),
                    literal => segments.push(literal),
                };
            }
        }
        if !target.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &target.query {
                pairs.append_pair(k, v);
            }
        }
        url
    }
}

/// A server's ID, and its URLs under the compute endpoint once a call has built them
/// (`{endpoint}/servers/{id}`, and `.../action`, the route of every server action): shared by
/// a handle's clones and calls, so that a call appends only its operation's other segments, if
/// any. Percent-encoding the ID and the segments was most of the cost of a call's URL
/// (BENCHMARKS.md).
pub(crate) struct ServerId {
    id: Box<str>,
    /// The first endpoint's; a call under another (a catalog that changed) builds in full.
    urls: OnceLock<ServerUrls>,
}

#[derive(Clone)]
struct ServerUrls {
    endpoint: Box<str>,
    server: reqwest::Url,
    action: reqwest::Url,
}

impl ServerId {
    pub(crate) fn new(id: String) -> ServerId {
        ServerId {
            id: id.into_boxed_str(),
            urls: OnceLock::new(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.id
    }

    /// `{endpoint}/servers/{id}` and `{endpoint}/servers/{id}/action`, kept for the first
    /// endpoint, or built for another.
    fn urls_under(&self, endpoint: &Endpoint) -> Cow<'_, ServerUrls> {
        let kept = self.urls.get_or_init(|| self.build_urls(endpoint));
        if *kept.endpoint == *endpoint.0.as_str() {
            Cow::Borrowed(kept)
        } else {
            Cow::Owned(self.build_urls(endpoint))
        }
    }

    fn build_urls(&self, endpoint: &Endpoint) -> ServerUrls {
        let mut server = endpoint.0.clone();
        if let Ok(mut segments) = server.path_segments_mut() {
            segments.pop_if_empty().push("servers").push(&self.id);
        }
        let mut action = server.clone();
        if let Ok(mut segments) = action.path_segments_mut() {
            segments.push("action");
        }
        ServerUrls {
            endpoint: endpoint.0.as_str().into(),
            server,
            action,
        }
    }
}

impl std::fmt::Debug for ServerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.id, f)
    }
}

/// A successful (2xx) response.
pub(crate) struct RawResponse {
    pub meta: ResponseMeta,
    /// Keystone's `X-Subject-Token`.
    pub subject_token: Option<HeaderText>,
    pub body: Bytes,
}

/// The HTTP client with the attempt and retry rules; what [`Transport`] and the
/// [`Authenticator`] send through.
pub(crate) struct Http {
    client: reqwest::Client,
    retry: RetryPolicy,
    max_body: usize,
    global_request_id: Option<HeaderValue>,
    request_timeout: Option<Duration>,
}

/// One request, ready to go.
struct Outgoing<'a> {
    method: Method,
    /// Safe to send again after it may have reached the server.
    repeatable: bool,
    address: Address<'a>,
    token: Option<&'a TokenHeader>,
    version: Option<Microversion>,
    body: Option<&'a Bytes>,
}

/// Where a request goes.
enum Address<'a> {
    /// A URL made beforehand (Keystone, version discovery: once per token at most).
    Url(&'a reqwest::Url),
    /// An operation's URL, built for each attempt from the endpoint: the usual single attempt
    /// builds it once and hands it to reqwest without a copy.
    Operation {
        endpoint: &'a Endpoint,
        path: &'static str,
        server: Option<&'a ServerId>,
        target: &'a Target<'a>,
    },
}

impl Address<'_> {
    fn url(&self) -> reqwest::Url {
        match self {
            Address::Url(url) => (*url).clone(),
            Address::Operation {
                endpoint,
                path,
                server,
                target,
            } => endpoint.url(path, *server, target),
        }
    }
}

// Header names as constants: a lookup by `&str` parses and validates the name first.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-openstack-request-id");
const COMPUTE_REQUEST_ID: HeaderName = HeaderName::from_static("x-compute-request-id");
const SUBJECT_TOKEN: HeaderName = HeaderName::from_static("x-subject-token");
const API_VERSION: HeaderName = HeaderName::from_static("openstack-api-version");
const LEGACY_API_VERSION: HeaderName = HeaderName::from_static("x-openstack-nova-api-version");
const AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

impl Http {
    fn new(config: &Config) -> Result<Http, Error> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("openstack-compute/", env!("CARGO_PKG_VERSION")))
            // Redirects would carry X-Auth-Token to wherever they point; Nova does not
            // redirect API calls, so none are followed.
            .redirect(reqwest::redirect::Policy::none())
            // Nova does not compress its answers; whatever another crate enables in reqwest,
            // this client neither asks for compressed bodies nor decodes them (and the body
            // cap counts the bytes received).
            .no_gzip()
            .no_brotli()
            .no_deflate()
            .no_zstd();
        if let Some(timeout) = config.request_timeout {
            builder = builder.timeout(timeout);
        }
        if !proxy_in_environment(|name| std::env::var_os(name).is_some()) {
            // reqwest consults its environment proxy matcher on every request even when no
            // proxy is set (the host is first checked against NO_PROXY); with none set there
            // is nothing to match.
            builder = builder.no_proxy();
        }
        if let Some(path) = &config.cacert {
            let pem = std::fs::read(path).map_err(|e| ConfigError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ConfigError::Invalid {
                setting: "cacert".into(),
                reason: e.to_string(),
            })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if config.insecure {
            tracing::warn!("TLS certificate verification is disabled (insecure)");
            builder = builder.danger_accept_invalid_certs(true);
        }
        let client = builder.build().map_err(transport_error)?;
        Ok(Http {
            client,
            retry: config.retry,
            max_body: config.max_body_bytes,
            global_request_id: config
                .global_request_id
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok()),
            request_timeout: config.request_timeout,
        })
    }

    /// Sends, retrying as the request allows: a repeatable one (`GET`, Keystone) on connect
    /// errors, timeouts, 429 and 502/503/504 (honouring `Retry-After`); anything else only
    /// when the connection could not be made at all, so nothing reached the server.
    async fn send(&self, req: &Outgoing<'_>) -> Result<RawResponse, Error> {
        let mut attempt = 0u32;
        loop {
            // Scoped, so that the failed outcome is not kept in the future's state while it
            // sleeps.
            let delay = {
                let outcome = self.attempt(req).await;
                let safe = req.repeatable;
                let retry_after = match &outcome {
                    Ok(_) => return outcome,
                    Err(Error::Transport { connect: true, .. }) => None,
                    Err(Error::Transport { .. } | Error::Timeout(_)) if safe => None,
                    Err(Error::Api(api)) if safe && matches!(api.meta.status, 429 | 502..=504) => api.retry_after(),
                    Err(_) => return outcome,
                };
                if attempt >= self.retry.max_retries {
                    return outcome;
                }
                retry_after.unwrap_or_else(|| backoff(&self.retry, attempt))
            };
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, req: &Outgoing<'_>) -> Result<RawResponse, Error> {
        // Built apart: a `reqwest::Request` kept in this future's state would add its size to
        // every call's future, though it is moved out before the first await.
        let mut response = self
            .client
            .execute(self.request(req))
            .await
            .map_err(|e| self.error(e))?;
        // The body first, the headers after: only the response and the body reader are kept
        // across the await, which keeps every call's future small.
        let body = self.read_capped(&mut response).await;
        let status = response.status().as_u16();
        let headers = response.headers();
        let text = |name: &HeaderName| headers.get(name).and_then(HeaderText::new);
        let microversion = headers
            .get(&API_VERSION)
            .or_else(|| headers.get(&LEGACY_API_VERSION))
            .and_then(|v| echoed(v, req.version).or_else(|| v.to_str().ok()?.parse().ok()));
        let meta = ResponseMeta {
            request_id: text(&REQUEST_ID).or_else(|| text(&COMPUTE_REQUEST_ID)),
            microversion,
            status,
            location: text(&header::LOCATION),
        };
        // Only Keystone's token requests go without a token, and only they answer with one.
        let subject_token = req.token.is_none().then(|| text(&SUBJECT_TOKEN)).flatten();
        let body = match body {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return Err(Error::BodyTooLarge {
                    limit: self.max_body,
                    meta,
                });
            }
            Err(BodyError::Read(e)) => return Err(self.error(e)),
        };
        if (200..300).contains(&status) {
            Ok(RawResponse {
                meta,
                subject_token,
                body,
            })
        } else {
            let retry_after = headers
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            Err(Error::Api(ApiError::from_response(meta, &body, retry_after)))
        }
    }

    /// The reqwest request for `req`: its headers and body.
    fn request(&self, req: &Outgoing<'_>) -> reqwest::Request {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut request = reqwest::Request::new(method, req.address.url());
        let headers = request.headers_mut();
        // Room for what is added below and downstream (reqwest's User-Agent, hyper's Host and
        // Content-Length): a map that grows on the way rehashes what it holds.
        headers.reserve(9);
        headers.insert(header::ACCEPT, JSON);
        if let Some(token) = req.token {
            headers.insert(AUTH_TOKEN, token.0.clone());
        }
        if let Some(modern) = req.version.and_then(Microversion::header_value) {
            headers.insert(API_VERSION, HeaderValue::from_static(modern));
        }
        if let Some(legacy) = req.version.and_then(Microversion::legacy_header_value) {
            headers.insert(LEGACY_API_VERSION, HeaderValue::from_static(legacy));
        }
        if let Some(id) = &self.global_request_id {
            headers.insert(REQUEST_ID, id.clone());
        }
        if let Some(body) = &req.body {
            headers.insert(header::CONTENT_TYPE, JSON);
            *request.body_mut() = Some(Bytes::clone(body).into());
        }
        request
    }

    /// The body, refused once it passes `max_body` bytes (announced or received).
    async fn read_capped(&self, response: &mut reqwest::Response) -> Result<Bytes, BodyError> {
        let limit = self.max_body;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(BodyError::TooLarge);
        }
        let mut first: Option<Bytes> = None;
        let mut rest = bytes::BytesMut::new();
        let mut received = 0usize;
        while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
            received += chunk.len();
            if received > limit {
                return Err(BodyError::TooLarge);
            }
            // The usual body is one chunk: keep it as it came, without a copy.
            match &first {
                None => first = Some(chunk),
                Some(f) => {
                    if rest.is_empty() {
                        rest.extend_from_slice(f);
                    }
                    rest.extend_from_slice(&chunk);
                }
            }
        }
        Ok(if rest.is_empty() {
            first.unwrap_or_default()
        } else {
            rest.freeze()
        })
    }

    fn error(&self, e: reqwest::Error) -> Error {
        match self.request_timeout {
            // A connect timeout stays a connect error: nothing was sent, any request may go
            // again.
            Some(limit) if e.is_timeout() && !e.is_connect() => Error::Timeout(limit),
            _ => transport_error(e),
        }
    }

    /// A Keystone request: no token, no microversion, retried like a `GET` (asking for a
    /// token twice is harmless).
    pub(crate) async fn keystone(&self, url: &str, body: Vec<u8>) -> Result<RawResponse, Error> {
        let url = reqwest::Url::parse(url).map_err(|e| Error::Auth {
            message: format!("`{url}` is not a URL: {e}"),
            meta: None,
        })?;
        let body = Bytes::from(body);
        let req = Outgoing {
            method: Method::Post,
            repeatable: true,
            address: Address::Url(&url),
            token: None,
            version: None,
            body: Some(&body),
        };
        self.send(&req).await
    }
}

/// The version sent, when the response's version header repeats its header value (what Nova
/// does): a comparison instead of a parse on every response.
fn echoed(value: &HeaderValue, sent: Option<Microversion>) -> Option<Microversion> {
    let sent = sent?;
    let matches = |text: Option<&str>| text.is_some_and(|t| t.as_bytes() == value.as_bytes());
    (matches(sent.header_value()) || matches(sent.legacy_header_value())).then_some(sent)
}

/// Whether reqwest could find a proxy for some request: one of the variables it reads is set
/// (`NO_PROXY` alone routes nothing through a proxy), or the platform has system proxy
/// settings that reqwest may read (macOS, Windows).
fn proxy_in_environment(is_set: impl Fn(&str) -> bool) -> bool {
    const VARIABLES: [&str; 6] = [
        "ALL_PROXY",
        "all_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
    ];
    cfg!(any(target_os = "macos", target_os = "windows")) || VARIABLES.iter().any(|v| is_set(v))
}

/// Why a response body could not be read.
enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

/// Exponential backoff with full jitter: a random delay in `[0, backoff_ceiling(..)]`.
pub(crate) fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    backoff_ceiling(policy, attempt).mul_f64(fastrand::f64())
}

/// `min(cap, base * 2^attempt)`, without overflow however many attempts.
fn backoff_ceiling(policy: &RetryPolicy, attempt: u32) -> Duration {
    policy
        .initial_backoff
        .saturating_mul(1u32 << attempt.min(20))
        .min(policy.max_backoff)
}

fn transport_error(e: reqwest::Error) -> Error {
    // reqwest's messages hold the URL but never headers, so no token can leak through them.
    Error::Transport {
        connect: e.is_connect(),
        source: Box::new(e),
    }
}

/// The client's transport: the HTTP client and the token source.
pub(crate) struct Transport {
    http: Http,
    auth: Authenticator,
}

impl Transport {
    pub(crate) fn new(config: &Config) -> Result<Transport, Error> {
        Ok(Transport {
            http: Http::new(config)?,
            auth: Authenticator::new(config.clone()),
        })
    }

    /// Sends one operation at `version`: the token, the headers, one span, the retries, and
    /// on a 401 one re-authentication and one more try.
    pub(crate) async fn send(
        &self,
        info: &'static OperationInfo,
        server: Option<&ServerId>,
        target: &Target<'_>,
        version: Microversion,
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, Error> {
        let server_id = server.map(ServerId::as_str);
        let span = tracing::info_span!(
            "compute.call",
            operation = info.name,
            method = info.method.as_str(),
            path = info.path,
            server_id = server_id.unwrap_or(""),
            microversion = tracing::field::display(version),
            request_id = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let parameters = server_id
            .map(|id| ("server_id", id))
            .into_iter()
            .chain(target.path_param);
        for (parameter, value) in parameters {
            if matches!(value, "" | "." | "..") {
                return Err(crate::error::ActionError::PathParameter {
                    operation: info.name,
                    parameter,
                }
                .into());
            }
        }
        let body = body.map(Bytes::from);
        let result = async {
            let mut token = self.auth.token(&self.http).await?;
            let mut reauthenticated = false;
            loop {
                // The request and the response are scoped so that neither is kept in this
                // future's state across the token refresh below.
                {
                    let req = Outgoing {
                        method: info.method,
                        repeatable: info.method.is_safe_to_repeat(),
                        address: Address::Operation {
                            endpoint: &token.endpoint,
                            path: info.path,
                            server,
                            target,
                        },
                        token: Some(&token.header),
                        version: Some(version),
                        body: body.as_ref(),
                    };
                    let response = self.http.send(&req).await;
                    let unauthorized = matches!(&response, Err(Error::Api(api)) if api.meta.status == 401);
                    if !unauthorized || reauthenticated || !self.auth.can_reauthenticate() {
                        return response;
                    }
                }
                tracing::info!("token rejected (401); authenticating again");
                self.auth.invalidate(&token);
                token = self.auth.token(&self.http).await?;
                reauthenticated = true;
            }
        }
        .instrument(span.clone())
        .await;
        if !span.is_disabled() {
            let meta = match &result {
                Ok(r) => Some(&r.meta),
                Err(e) => e.meta(),
            };
            if let Some(meta) = meta {
                span.record("status", meta.status);
                if let Some(id) = meta.request_id() {
                    span.record("request_id", id);
                }
            }
        }
        result
    }

    /// The microversions the server supports, from its version document.
    pub(crate) async fn discover(&self) -> Result<VersionRange, Error> {
        let token = self.auth.token(&self.http).await?;
        let url = token.endpoint.version_root();
        let span = tracing::info_span!("compute.discover", url = %url, request_id = tracing::field::Empty);
        let req = Outgoing {
            method: Method::Get,
            repeatable: true,
            address: Address::Url(&url),
            token: Some(&token.header),
            version: None,
            body: None,
        };
        let response = self.http.send(&req).instrument(span.clone()).await?;
        if let Some(id) = response.meta.request_id() {
            span.record("request_id", id);
        }
        parse_version_document(&response.body).map_err(|e| Error::decode(e, response.meta))
    }
}

/// The supported range from a compute version document (`{"version": {"version",
/// "min_version"}}`). The legacy v2 API reports empty versions: it has no microversions,
/// which is 2.1.
pub(crate) fn parse_version_document(body: &[u8]) -> Result<VersionRange, crate::error::DecodeError> {
    #[derive(serde::Deserialize)]
    struct Doc {
        version: Version,
    }
    #[derive(serde::Deserialize)]
    struct Version {
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        min_version: Option<String>,
    }
    let context = "version discovery document";
    let doc: Doc = serde_json::from_slice(body).map_err(|e| crate::error::DecodeError::json(context, &e))?;
    let read = |v: &Option<String>| v.as_deref().and_then(|t| t.parse().ok()).unwrap_or(Microversion::MIN);
    let (min, max) = (read(&doc.version.min_version), read(&doc.version.version));
    if min > max {
        return Err(crate::error::DecodeError::new(
            context,
            "`min_version` is above `version`",
        ));
    }
    Ok(VersionRange::new(min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_url_is_kept_per_endpoint_and_equals_the_one_built_in_full() {
        // Built in full: the endpoint's segments, then each of the call's, percent-encoded.
        fn in_full(endpoint: &Endpoint, segments: &[&str]) -> String {
            let mut url = endpoint.0.clone();
            url.path_segments_mut().unwrap().pop_if_empty().extend(segments);
            url.to_string()
        }
        // An ID that needs encoding (Nova's are UUIDs; the URL must hold whatever is given).
        let server = ServerId::new("a b/c?%".into());
        let id = server.as_str();
        let none = Target::default();
        let action = "/servers/{server_id}/action";
        let a = Endpoint::parse("http://nova:8774/v2.1/").unwrap();
        let b = Endpoint::parse("https://other/compute/v2.1/p-1").unwrap();
        assert!(server.urls.get().is_none());
        for endpoint in [&a, &a, &b, &a] {
            let url = endpoint.url(action, Some(&server), &none);
            assert_eq!(url.as_str(), in_full(endpoint, &["servers", id, "action"]));
        }
        assert_eq!(server.urls.get().map(|u| &*u.endpoint), Some(a.0.as_str()), "kept");
        for endpoint in [&a, &b] {
            let url = endpoint.url("/servers/{server_id}", Some(&server), &none);
            assert_eq!(url.as_str(), in_full(endpoint, &["servers", id]));
        }

        let target = Target {
            path_param: Some(("request_id", "req-1")),
            query: vec![("limit", "2".into())],
        };
        let url = a.url(
            "/servers/{server_id}/os-instance-actions/{request_id}",
            Some(&server),
            &target,
        );
        assert_eq!(
            url.as_str(),
            in_full(&a, &["servers", id, "os-instance-actions", "req-1"]) + "?limit=2"
        );
        // Calls on the collection do not use it.
        assert_eq!(
            b.url("/servers/detail", None, &none).as_str(),
            in_full(&b, &["servers", "detail"])
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_with_full_jitter() {
        let policy = RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        let ceilings: Vec<_> = [0, 1, 2, 3, 4, 40, u32::MAX]
            .iter()
            .map(|a| backoff_ceiling(&policy, *a).as_millis())
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000, 1000]);
        fastrand::seed(7);
        for attempt in 0..5 {
            let delays: Vec<_> = (0..200).map(|_| backoff(&policy, attempt)).collect();
            let ceiling = backoff_ceiling(&policy, attempt);
            assert!(delays.iter().all(|d| *d <= ceiling), "attempt {attempt}");
            // Full jitter: spread over the whole range, not pinned to either end.
            assert!(delays.iter().any(|d| *d < ceiling / 4) && delays.iter().any(|d| *d > ceiling * 3 / 4));
        }
    }

    #[test]
    fn an_echoed_version_header_is_recognised_without_parsing() {
        let v = |m| Some(Microversion::new(2, m));
        let header = HeaderValue::from_static;
        assert_eq!(echoed(&header("compute 2.96"), v(96)), v(96));
        assert_eq!(echoed(&header("2.19"), v(19)), v(19), "the legacy form, below 2.27");
        assert_eq!(
            echoed(&header("compute 2.95"), v(96)),
            None,
            "another version is parsed"
        );
        assert_eq!(echoed(&header("compute 2.96"), None), None);
        assert_eq!(echoed(&header("Compute 2.96"), v(96)), None);
    }

    #[test]
    fn the_proxy_matcher_is_kept_when_a_proxy_variable_is_set() {
        let with = |set: &[&str]| proxy_in_environment(|name| set.contains(&name));
        let platform = cfg!(any(target_os = "macos", target_os = "windows"));
        assert_eq!(with(&[]), platform);
        assert_eq!(with(&["NO_PROXY", "no_proxy", "REQUEST_METHOD"]), platform);
        for variable in [
            "ALL_PROXY",
            "all_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
        ] {
            assert!(with(&[variable]), "{variable}");
        }
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
        let target = Target {
            path_param: Some(("request_id", "req-1")),
            query: vec![("changes-since", "2024-01-01T00:00:00+00:00".into())],
        };
        assert_eq!(
            e.url(
                "/servers/{server_id}/os-instance-actions/{request_id}",
                Some(&ServerId::new("a b/c".into())),
                &target
            )
            .as_str(),
            "http://h/compute/v2.1/servers/a%20b%2Fc/os-instance-actions/req-1?changes-since=2024-01-01T00%3A00%3A00%2B00%3A00"
        );
        assert_eq!(
            e.url("/servers", None, &Target::default()).as_str(),
            "http://h/compute/v2.1/servers"
        );
        let root = Endpoint::parse("http://h:8774").unwrap();
        assert_eq!(
            root.url(
                "/servers/{server_id}",
                Some(&ServerId::new("x".into())),
                &Target::default()
            )
            .as_str(),
            "http://h:8774/servers/x"
        );
    }

    #[test]
    fn version_documents_never_panic() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 512,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x0000_c0de_5eed),
            failure_persistence: None,
            ..Default::default()
        });
        let doc = (".{0,8}", ".{0,8}")
            .prop_map(|(a, b)| format!(r#"{{"version": {{"version": {a:?}, "min_version": {b:?}}}}}"#).into_bytes());
        runner
            .run(&prop_oneof![doc, prop::collection::vec(any::<u8>(), 0..200)], |bytes| {
                let _ = parse_version_document(&bytes);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn version_documents() {
        let r = parse_version_document(br#"{"version": {"version": "2.96", "min_version": "2.1"}}"#).unwrap();
        assert_eq!(r, VersionRange::new(Microversion::MIN, Microversion::new(2, 96)));
        let legacy = parse_version_document(br#"{"version": {"version": "", "min_version": ""}}"#).unwrap();
        assert_eq!(legacy, VersionRange::new(Microversion::MIN, Microversion::MIN));
        assert!(parse_version_document(b"<html>").is_err());
        assert!(parse_version_document(br#"{"version": {"version": "2.1", "min_version": "2.5"}}"#).is_err());
    }
}
