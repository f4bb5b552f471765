//! Generic test glue, instantiated per operation and per microversion stretch by the table in
//! `generated.rs` (written by `cargo xtask codegen`): round-trips of sample bodies through the
//! agnostic and per-version types, and a sample sent through the client.

use std::future::Future;
use std::pin::Pin;

use openstack_compute::call::CallCore;
use openstack_compute::operation::{Operation, OperationInfo, PinnedResponse, VersionedRequest};
use openstack_compute::{Base, Compute, Microversion, VersionRange};
use serde_json::Value;

/// A round trip: sample bytes in, the JSON the SDK writes back out.
pub type Roundtrip = fn(Microversion, &[u8]) -> Result<Value, String>;

/// A sample request sent through the client: what the client parsed from the response, written
/// back as Nova sends it, and the response's request ID.
pub type Send = fn(
    Compute,
    Microversion,
    Vec<u8>,
) -> Pin<Box<dyn Future<Output = Result<(Value, Option<String>), String>> + std::marker::Send>>;

/// One operation's glue.
pub struct OperationGlue {
    /// The operation's facts.
    pub info: &'static OperationInfo,
    /// Request body: read (unknown fields refused), checked at the version, written back.
    pub request: Roundtrip,
    /// Response body: parsed at the version (what it requires checked), written back.
    pub response: Roundtrip,
    /// A request sample through the client.
    pub send: Send,
    /// The per-version types.
    pub stretches: &'static [Stretch],
}

/// One stretch of microversions: its per-version request and response types.
pub struct Stretch {
    /// The microversions the types are for.
    pub range: VersionRange,
    /// Request: read, into the per-version type, back, checked and written.
    pub request: Roundtrip,
    /// Response: parsed, into the per-version type, back, written.
    pub response: Option<Roundtrip>,
    /// `Debug` of a request body read into the agnostic and the per-version request types.
    pub debug_request: fn(&[u8]) -> Result<String, String>,
    /// `Debug` of a response body parsed into the unified and the per-version response types.
    pub debug_response: Option<Roundtrip>,
}

impl OperationGlue {
    /// The stretch holding `v`.
    pub fn stretch(&self, v: Microversion) -> Option<&'static Stretch> {
        self.stretches.iter().find(|s| s.range.contains(v))
    }
}

fn to_value(bytes: &[u8]) -> Result<Value, String> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| format!("the SDK wrote invalid JSON: {e}"))
}

/// Reads a request body, checks it at `v`, writes it back.
pub fn request_roundtrip<O: Operation>(v: Microversion, body: &[u8]) -> Result<Value, String> {
    let request = O::read_body(body).map_err(|e| e.to_string())?;
    request.check(v).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    request.write_body(v, &mut out);
    to_value(&out)
}

/// As [`request_roundtrip`], through the per-version type `V`.
pub fn via_versioned<O, V>(v: Microversion, body: &[u8]) -> Result<Value, String>
where
    O: Operation + From<V>,
    V: VersionedRequest<Operation = O> + TryFrom<O, Error = openstack_compute::ActionError>,
{
    let request = O::read_body(body).map_err(|e| e.to_string())?;
    let typed = V::try_from(request).map_err(|e| format!("into {}: {e}", std::any::type_name::<V>()))?;
    let back = O::from(typed);
    back.check(v).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    back.write_body(v, &mut out);
    to_value(&out)
}

/// Parses a response body at `v`, writes it back as Nova sends it there.
pub fn response_roundtrip<O: Operation>(v: Microversion, body: &[u8]) -> Result<Value, String> {
    let response = O::parse_response(body, None, v).map_err(|e| e.to_string())?;
    to_value(&O::write_response(&response, v))
}

/// As [`response_roundtrip`], through the per-version response type `P`.
pub fn pinned_response<O, P>(v: Microversion, body: &[u8]) -> Result<Value, String>
where
    O: Operation,
    P: PinnedResponse<Unified = O::Response>,
{
    let unified = O::parse_response(body, None, v).map_err(|e| e.to_string())?;
    let typed = P::from_unified(unified).map_err(|e| format!("into {}: {e}", std::any::type_name::<P>()))?;
    to_value(&O::write_response(&typed.into_unified(), v))
}

/// The value every path parameter of a sample's call gets: the server's ID for `server_id`,
/// `req-1` for any other.
pub const SERVER_ID: &str = "9d1b8f0e-2a57-4c10-a6f7-6b0a9e2f1c33";

/// Sends a request sample through the client at `v`, on the path its operation has there
/// with every parameter filled (`server_id` with [`SERVER_ID`], any other with `req-1`).
pub async fn send_sample<O: Operation>(
    compute: Compute,
    v: Microversion,
    body: Vec<u8>,
) -> Result<(Value, Option<String>), String> {
    let request = O::read_body(&body).map_err(|e| e.to_string())?;
    let template = O::INFO.path_at(v);
    let values: Vec<&str> = template
        .split('/')
        .filter(|p| p.starts_with('{'))
        .map(|p| if p == "{server_id}" { SERVER_ID } else { "req-1" })
        .collect();
    let mut call = CallCore::new(&Base::at(&compute, template, &values), request);
    call.microversion = Some(v);
    let out = call.send().await.map_err(|e| e.to_string())?;
    let request_id = out.request_id().map(str::to_string);
    let (response, _) = out.into_parts();
    Ok((to_value(&O::write_response(&response, v))?, request_id))
}

/// `Debug` of a request read into `O` and into `V`.
pub fn debug_request<O, V>(body: &[u8]) -> Result<String, String>
where
    V: TryFrom<O, Error = openstack_compute::ActionError> + std::fmt::Debug,
    O: Operation,
{
    let agnostic = O::read_body(body).map_err(|e| e.to_string())?;
    let shown = format!("{agnostic:?}");
    let typed = V::try_from(agnostic).map_err(|e| e.to_string())?;
    Ok(format!("{shown} {typed:?}"))
}

/// `Debug` of a response parsed at `v` into `O::Response` and into `P` (as JSON text).
pub fn debug_response<O, P>(v: Microversion, body: &[u8]) -> Result<Value, String>
where
    O: Operation,
    P: PinnedResponse<Unified = O::Response>,
{
    let unified = O::parse_response(body, None, v).map_err(|e| e.to_string())?;
    let shown = format!("{unified:?}");
    let typed = P::from_unified(unified).map_err(|e| e.to_string())?;
    Ok(Value::String(format!("{shown} {typed:?}")))
}
