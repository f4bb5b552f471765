//! The one request path: everything between "this operation, at this microversion" and "a
//! response with its meta". The token (from [`crate::auth`]), the microversion header, the
//! global request ID, the tracing span, the single re-authentication after a 401, and, through
//! [`http`], the attempts, the retry rules, the body-size cap and the classification of an
//! answer; Keystone's requests and version discovery go through the same attempt and retry
//! code. The only module that names reqwest.
//!
//! - [`http`]: attempts, retries on reads only, the body cap, errors;
//! - [`url`]: the endpoint and the paths of resources, their URLs kept;
//! - this module: a call sent with its token and span.

pub(crate) mod http;
pub(crate) mod url;

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue};
use tracing::Instrument;

use self::http::{Address, Outgoing};
pub(crate) use self::http::{Http, RawResponse};
pub(crate) use self::url::ResourcePath;
use crate::auth::{Authenticator, ServiceSelector};
use crate::config::Config;
use crate::error::Error;
use crate::microversion::{Microversion, VersionRange};
use crate::operation::{Method, OperationInfo, Query};

/// Where one call goes: the resource its handle names, the operation's path template at the
/// call's microversion, the call's own path parameters beyond the resource's, and the query.
pub(crate) struct Destination<'a> {
    pub resource: &'a ResourcePath,
    pub template: &'static str,
    pub params: &'a [(&'static str, Box<str>)],
    pub query: Query<'a>,
}

/// A raw request: a path under the endpoint of `service`, unchecked.
pub(crate) struct RawCall<'a> {
    pub method: Method,
    pub service: ServiceSelector<'a>,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    /// The compute microversion (Nova's headers); another service's goes in `headers`.
    pub version: Option<Microversion>,
    pub headers: &'a [(HeaderName, HeaderValue)],
    pub body: Option<Bytes>,
}

/// One request as the transport sends it, to an operation's path or a raw one.
struct Exchange<'a> {
    method: Method,
    target: Target<'a>,
    version: Option<Microversion>,
    headers: &'a [(HeaderName, HeaderValue)],
    body: Option<Bytes>,
}

enum Target<'a> {
    Operation(&'a Destination<'a>),
    Raw {
        service: &'a ServiceSelector<'a>,
        path: &'a str,
        query: &'a [(String, String)],
    },
}

/// The answer's status and request ID, on the call's span.
fn record(span: &tracing::Span, result: &Result<RawResponse, Error>) {
    if span.is_disabled() {
        return;
    }
    let meta = match result {
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

    /// Sends one operation at `version` to `to`: the token, the headers, one span, the
    /// retries, and on a 401 one re-authentication and one more try.
    pub(crate) async fn send(
        &self,
        info: &'static OperationInfo,
        to: &Destination<'_>,
        version: Microversion,
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, Error> {
        let span = tracing::info_span!(
            "compute.call",
            operation = info.name,
            method = info.method.as_str(),
            path = to.template,
            id = to.resource.id(),
            microversion = tracing::field::display(version),
            request_id = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let parameters = to
            .resource
            .params()
            .chain(to.params.iter().map(|(name, value)| (*name, &**value)));
        for (parameter, value) in parameters {
            if matches!(value, "" | "." | "..") {
                return Err(crate::error::ActionError::PathParameter {
                    operation: info.name,
                    parameter,
                }
                .into());
            }
        }
        let call = Exchange {
            method: info.method,
            target: Target::Operation(to),
            version: Some(version),
            headers: &[],
            body: body.map(Bytes::from),
        };
        let result = self.exchange(&call).instrument(span.clone()).await;
        record(&span, &result);
        result
    }

    /// Sends a raw request (see [`crate::raw`]): what [`Transport::send`] does for an
    /// operation, without its checks, to a path of the compute endpoint or of another
    /// service's.
    pub(crate) async fn send_raw(&self, raw: RawCall<'_>) -> Result<RawResponse, Error> {
        let span = tracing::info_span!(
            "compute.raw",
            method = raw.method.as_str(),
            service = raw.service.service_type,
            path = raw.path,
            microversion = raw.version.map(tracing::field::display),
            request_id = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let call = Exchange {
            method: raw.method,
            target: Target::Raw {
                service: &raw.service,
                path: raw.path,
                query: raw.query,
            },
            version: raw.version,
            headers: raw.headers,
            body: raw.body,
        };
        let result = self.exchange(&call).instrument(span.clone()).await;
        record(&span, &result);
        result
    }

    /// One exchange with its token: the retries (in [`Http::send`]), and on a 401 one
    /// re-authentication and one more try.
    async fn exchange(&self, call: &Exchange<'_>) -> Result<RawResponse, Error> {
        let mut token = self.auth.token(&self.http).await?;
        let mut reauthenticated = false;
        loop {
            // The request and the response are scoped so that neither is kept in this
            // future's state across the token refresh below.
            {
                let service_endpoint;
                let address = match &call.target {
                    Target::Operation(to) => Address::Operation {
                        endpoint: &token.endpoint,
                        resource: to.resource,
                        template: to.template,
                        params: to.params,
                        query: &to.query,
                    },
                    Target::Raw { service, path, query } => {
                        service_endpoint = token.endpoint_of(service, self.auth.config())?;
                        Address::Path {
                            endpoint: service_endpoint.as_ref().unwrap_or(&token.endpoint),
                            path,
                            query,
                        }
                    }
                };
                let req = Outgoing {
                    method: call.method,
                    repeatable: call.method.is_safe_to_repeat(),
                    address,
                    token: Some(&token.header),
                    version: call.version,
                    headers: call.headers,
                    body: call.body.as_ref(),
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
            headers: &[],
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
