//! HTTP: one request's attempts, and the rules that say when to try again (reads only, or a
//! connection never made), the body-size cap, and the classification of an answer into a body
//! with its [`ResponseMeta`] or a typed [`Error`]. Keystone's requests and the compute calls
//! both go through here.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderName, HeaderValue};

use super::url::{Endpoint, ResourcePath};
use crate::config::{Config, ConfigError, RetryPolicy};
use crate::error::{ApiError, Error, HeaderText, ResponseMeta};
use crate::microversion::Microversion;

/// The HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `PATCH` (no Compute API operation uses it; a raw request to another service may)
    Patch,
}

impl Method {
    /// `"GET"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }

    /// Whether sending the request twice does no more than sending it once (only `GET` here:
    /// a `PUT` of a server may race another update, a `DELETE` may hit a new server's ID).
    pub fn is_safe_to_repeat(self) -> bool {
        self == Method::Get
    }
}

/// The query string of a request: `(name, value)` pairs, in order.
pub type Query<'a> = Vec<(&'static str, Cow<'a, str>)>;

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
pub(super) struct Outgoing<'a> {
    pub(super) method: Method,
    /// Safe to send again after it may have reached the server.
    pub(super) repeatable: bool,
    pub(super) address: Address<'a>,
    pub(super) token: Option<&'a TokenHeader>,
    pub(super) version: Option<Microversion>,
    /// Headers beyond the usual (a raw request's own).
    pub(super) headers: &'a [(HeaderName, HeaderValue)],
    pub(super) body: Option<&'a Bytes>,
}

/// Where a request goes.
pub(super) enum Address<'a> {
    /// A URL made beforehand (Keystone, version discovery: once per token at most).
    Url(&'a reqwest::Url),
    /// An operation's URL, built for each attempt from the endpoint: the usual single attempt
    /// builds it once and hands it to reqwest without a copy.
    Operation {
        endpoint: &'a Endpoint,
        resource: &'a ResourcePath,
        template: &'static str,
        params: &'a [(&'static str, Box<str>)],
        query: &'a Query<'a>,
    },
    /// A raw request's path under an endpoint, as given.
    Path {
        endpoint: &'a Endpoint,
        path: &'a str,
        query: &'a [(String, String)],
    },
}

impl Address<'_> {
    fn url(&self) -> reqwest::Url {
        match self {
            Address::Url(url) => (*url).clone(),
            Address::Operation {
                endpoint,
                resource,
                template,
                params,
                query,
            } => endpoint.url(resource, template, params, query),
            Address::Path { endpoint, path, query } => endpoint.join(path, query),
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
    pub(super) fn new(config: &Config) -> Result<Http, Error> {
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
    pub(super) async fn send(&self, req: &Outgoing<'_>) -> Result<RawResponse, Error> {
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
            Method::Patch => reqwest::Method::PATCH,
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
        for (name, value) in req.headers {
            headers.insert(name, value.clone());
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
            headers: &[],
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
