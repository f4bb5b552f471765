//! The escape hatch: an authenticated request to any path of the compute endpoint, or of
//! another service in the token's catalog, **with none of the SDK's checks**.
//!
//! Use it for what the typed operations do not cover yet, to see what Nova answers to a
//! request the typed path refuses, or to reach another service (Glance, Cinder, Neutron) with
//! the same login. A raw request gets what every call gets: the token (cached, refreshed, and
//! one re-authentication after a 401), the global request ID, the `compute.raw` tracing span,
//! retries for `GET` only, the body-size cap, Nova's fault parsed into [`Error::Api`] and the
//! request ID in [`Output`]. It gets none of the rest: no field or microversion check, no
//! typed body. Nothing is refused before it is sent except a path with an empty, `.` or `..`
//! segment (a URL drops it, and the request would go to another route).
//!
//! ```no_run
//! # async fn demo() -> Result<(), openstack_compute::Error> {
//! use openstack_compute::{Compute, Method, Microversion};
//!
//! let compute = Compute::from_env()?;
//! // An operation of the Compute API, at the microversion you name.
//! let hypervisors = compute
//!     .raw(Method::Get, "/os-hypervisors/detail")
//!     .microversion(Microversion::new(2, 88))
//!     .send()
//!     .await?;
//! println!("{} (request {:?})", hypervisors["hypervisors"], hypervisors.request_id());
//!
//! // Another service from the catalog: Glance's images named "cirros".
//! let images = compute
//!     .raw(Method::Get, "/v2/images")
//!     .service("image")
//!     .query("name", "cirros")
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```

use std::fmt;

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue};

use crate::auth::ServiceSelector;
use crate::call::Output;
use crate::client::Compute;
use crate::config::Interface;
use crate::error::{ActionError, DecodeError, Error};
use crate::microversion::Microversion;
use crate::operation::Method;
use crate::transport::RawCall;

/// An unchecked request, built by [`Compute::raw`]. Its `Debug` shows the method, the service
/// and the path: never the body or a header's value.
#[must_use = "a request does nothing until it is sent"]
pub struct RawRequest {
    compute: Compute,
    method: Method,
    path: String,
    service: String,
    interface: Option<Interface>,
    region: Option<String>,
    query: Vec<(String, String)>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// A header that could not be sent, reported at `send`.
    bad_header: Option<String>,
    version: Option<Microversion>,
    body: Option<Bytes>,
}

impl Compute {
    /// An authenticated request to `path` under the compute endpoint (`"/os-hypervisors"`),
    /// or under another service's with [`RawRequest::service`]: the escape hatch, unchecked
    /// (see [`crate::raw`]).
    pub fn raw(&self, method: Method, path: impl Into<String>) -> RawRequest {
        RawRequest {
            compute: self.clone(),
            method,
            path: path.into(),
            service: "compute".into(),
            interface: None,
            region: None,
            query: Vec::new(),
            headers: Vec::new(),
            bad_header: None,
            version: None,
            body: None,
        }
    }
}

impl RawRequest {
    /// Sends to the service of this catalog type instead (`"image"`, `"volumev3"`,
    /// `"network"`), with the configured interface and region unless set below.
    pub fn service(mut self, service_type: impl Into<String>) -> Self {
        self.service = service_type.into();
        self
    }

    /// The catalog interface of the endpoint (default: the configured one).
    pub fn interface(mut self, interface: Interface) -> Self {
        self.interface = Some(interface);
        self
    }

    /// The catalog region of the endpoint (default: the configured one).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Appends `name=value` to the query string (encoded).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// The JSON body.
    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(Bytes::from(serde_json::to_vec(body).unwrap_or_default()));
        self
    }

    /// The microversion: for the compute API, Nova's headers (the default is the one the
    /// client's [`VersionStrategy`](crate::VersionStrategy) picks for the whole API); for
    /// another service, `OpenStack-API-Version: <service type> <version>`.
    pub fn microversion(mut self, version: Microversion) -> Self {
        self.version = Some(version);
        self
    }

    /// A header of your own, sent as given (and never shown in `Debug` or logs). A name or
    /// value that HTTP cannot carry is an error at `send`.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(true);
                self.headers.push((name, value));
            }
            _ => self.bad_header = Some(name.to_string()),
        }
        self
    }

    /// Sends, and reads the answer as JSON (`null` when the body is empty).
    pub async fn send(self) -> Result<Output<serde_json::Value>, Error> {
        let answer = self.send_bytes().await?;
        let (body, meta) = answer.into_parts();
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Output::new(serde_json::Value::Null, meta));
        }
        match serde_json::from_slice(&body) {
            Ok(value) => Ok(Output::new(value, meta)),
            Err(e) => Err(Error::decode(DecodeError::json("raw response", &e), meta)),
        }
    }

    /// Sends, and returns the body's bytes as they came.
    pub async fn send_bytes(mut self) -> Result<Output<Bytes>, Error> {
        if let Some(name) = &self.bad_header {
            return Err(ActionError::RawRequest {
                reason: format!("the header `{name}` has a name or value HTTP cannot carry"),
            }
            .into());
        }
        let inner = self.path.trim_matches('/');
        if !inner.is_empty() && inner.split('/').any(|s| matches!(s, "" | "." | "..")) {
            // A URL drops such a segment, and the request would go to another route.
            return Err(ActionError::RawRequest {
                reason: format!("the path `{}` has an empty, `.` or `..` segment", self.path),
            }
            .into());
        }
        let compute_version = if self.service == "compute" {
            let server = self.compute.server_versions().await?;
            let version = match self.version {
                Some(v) => v,
                None => {
                    self.compute
                        .version_within(crate::microversion::VersionRange::ALL)
                        .await?
                }
            };
            if !server.contains(version) {
                return Err(Error::MicroversionUnsupported {
                    wanted: version,
                    supported: server,
                });
            }
            Some(version)
        } else {
            if let Some(v) = self.version {
                let value =
                    HeaderValue::try_from(format!("{} {v}", self.service)).map_err(|_| ActionError::RawRequest {
                        reason: format!("`{}` cannot be named in a header", self.service),
                    })?;
                self.headers
                    .push((HeaderName::from_static("openstack-api-version"), value));
            }
            None
        };
        let call = RawCall {
            method: self.method,
            service: ServiceSelector {
                service_type: &self.service,
                interface: self.interface,
                region: self.region.as_deref(),
            },
            path: &self.path,
            query: &self.query,
            version: compute_version,
            headers: &self.headers,
            body: self.body.clone(),
        };
        let raw = self.compute.transport().send_raw(call).await?;
        Ok(Output::new(raw.body, raw.meta))
    }
}

impl fmt::Debug for RawRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("service", &self.service)
            .field("path", &self.path)
            .field("microversion", &self.version)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.as_ref().map(Bytes::len))
            .finish_non_exhaustive()
    }
}
