//! The one place an HTTP request is sent: timeouts, the retry rules, the body-size cap, the
//! request-ID and microversion headers of the response, and classification into a body or a
//! typed [`Error`]. Nothing else in the crate touches reqwest.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::config::{Config, RetryPolicy};
use crate::error::{ApiError, Error, ResponseMeta};
use crate::microversion::Microversion;

/// A request ready to go: absolute URL, headers beyond the defaults, optional JSON body.
pub(crate) struct RawRequest {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
    /// Safe to repeat (GET, discovery, auth): retried on connect errors, 429 and 502/503/504.
    /// Anything else is repeated only when the connection could not be made at all.
    pub idempotent: bool,
}

/// A successful (2xx) response.
pub(crate) struct RawResponse {
    pub meta: ResponseMeta,
    /// Keystone's `X-Subject-Token`, the one other header anything reads.
    pub subject_token: Option<String>,
    pub body: bytes::Bytes,
}

#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    retry: RetryPolicy,
    request_timeout: Duration,
    max_body: usize,
    global_request_id: Option<HeaderValue>,
}

const REQUEST_ID: &str = "x-openstack-request-id";
const COMPUTE_REQUEST_ID: &str = "x-compute-request-id";

impl Transport {
    pub fn new(config: &Config) -> Result<Transport, Error> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("openstack-compute/", env!("CARGO_PKG_VERSION")))
            // Redirects would carry X-Auth-Token to wherever they point; Nova does not
            // redirect API calls, so none are followed.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &config.cacert {
            let pem = std::fs::read(path).map_err(|e| crate::config::ConfigError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| crate::config::ConfigError::Invalid {
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
        let http = builder.build().map_err(|e| Error::Transport {
            message: e.to_string(),
            connect: false,
        })?;
        Ok(Transport {
            http,
            retry: config.retry,
            request_timeout: config.request_timeout,
            max_body: config.max_body_bytes,
            global_request_id: config
                .global_request_id
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok()),
        })
    }

    /// Sends `req`, retrying as its `idempotent` flag allows. Error statuses become
    /// [`Error::Api`] with the fault parsed.
    pub async fn send(&self, req: &RawRequest) -> Result<RawResponse, Error> {
        let mut attempt = 0u32;
        loop {
            let outcome = self.attempt(req).await;
            let retry_after = match &outcome {
                Ok(_) => return outcome,
                Err(Error::Transport { connect: true, .. }) => None,
                Err(Error::Transport { .. } | Error::Timeout(_)) if req.idempotent => None,
                Err(Error::Api(api)) if req.idempotent && matches!(api.meta.status, 429 | 502..=504) => api.retry_after,
                Err(_) => return outcome,
            };
            if attempt >= self.retry.max_retries {
                return outcome;
            }
            let delay = retry_after.unwrap_or_else(|| backoff(&self.retry, attempt));
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, req: &RawRequest) -> Result<RawResponse, Error> {
        let mut builder = self
            .http
            .request(req.method.clone(), &req.url)
            .headers(req.headers.clone());
        if let Some(id) = &self.global_request_id {
            builder = builder.header("x-openstack-request-id", id.clone());
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        builder = builder.header(reqwest::header::ACCEPT, "application/json");
        let timeout = self.request_timeout;
        let work = async {
            let response = builder.send().await.map_err(transport_error)?;
            let status = response.status().as_u16();
            let headers = response.headers();
            let meta = meta_of(status, headers);
            let subject_token = headers
                .get("x-subject-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let retry_after = headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = read_capped(response, self.max_body, &meta).await?;
            Ok::<_, Error>((meta, subject_token, retry_after, body))
        };
        let (meta, subject_token, retry_after, body) = match tokio::time::timeout(timeout, work).await {
            Ok(result) => result?,
            Err(_) => return Err(Error::Timeout(timeout)),
        };
        if (200..300).contains(&meta.status) {
            Ok(RawResponse {
                meta,
                subject_token,
                body,
            })
        } else {
            Err(Error::Api(Box::new(ApiError::from_response(meta, &body, retry_after))))
        }
    }
}

/// Exponential backoff with full jitter: a random delay in `[0, min(cap, base * 2^attempt)]`.
pub(crate) fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let ceiling = policy
        .initial_backoff
        .saturating_mul(1u32 << attempt.min(20))
        .min(policy.max_backoff);
    ceiling.mul_f64(fastrand::f64())
}

fn transport_error(e: reqwest::Error) -> Error {
    // reqwest's messages hold the URL but never headers, so no token can leak through them.
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Transport {
        message,
        connect: e.is_connect(),
    }
}

async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
    meta: &ResponseMeta,
) -> Result<bytes::Bytes, Error> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Error::BodyTooLarge {
            limit,
            meta: meta.clone(),
        });
    }
    if response.content_length().is_some() {
        // The length is known and within the limit: one read, no copy.
        return response.bytes().await.map_err(transport_error);
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if buf.len() + chunk.len() > limit {
            return Err(Error::BodyTooLarge {
                limit,
                meta: meta.clone(),
            });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Request ID, microversion, status and `Location` from a response's headers.
pub(crate) fn meta_of(status: u16, headers: &HeaderMap) -> ResponseMeta {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let microversion = text("openstack-api-version")
        .and_then(|v| v.parse::<Microversion>().ok())
        .or_else(|| text("x-openstack-nova-api-version").and_then(|v| v.parse().ok()));
    ResponseMeta {
        request_id: text(REQUEST_ID).or_else(|| text(COMPUTE_REQUEST_ID)),
        microversion,
        status,
        location: text("location"),
    }
}

/// A header value from text we produced (never from user secrets unless marked sensitive).
pub(crate) fn header(name: &'static str, value: &str, sensitive: bool) -> Option<(HeaderName, HeaderValue)> {
    let mut v = HeaderValue::from_str(value).ok()?;
    v.set_sensitive(sensitive);
    Some((HeaderName::from_static(name), v))
}
