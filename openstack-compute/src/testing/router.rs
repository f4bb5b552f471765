//! The fake's routes: every operation's path templates (and its key, for a resource's
//! `/action`), matched segment by segment; a literal segment beats a parameter
//! (`/servers/detail` is not a server).

use serde_json::Value;
use wiremock::ResponseTemplate;

use super::{fault, not_found};
use crate::microversion::Microversion;
use crate::operation::Method;
use crate::operation::OperationGlue;

/// Where a request goes: its operation, and the values of its path's parameters.
pub(crate) struct Route {
    pub glue: &'static OperationGlue,
    pub params: Vec<(String, String)>,
}

/// Every operation's routes.
pub(super) struct Router {
    glue: &'static [OperationGlue],
}

impl Router {
    pub(super) fn new() -> Router {
        Router {
            glue: crate::generated::FAKE_GLUE,
        }
    }

    /// The operation `method` on `segments` is, with `body` for a `/action`, at `version`.
    #[allow(clippy::result_large_err)] // the error is the response to send; it is built once
    pub(super) fn route(
        &self,
        method: &str,
        segments: &[&str],
        body: Option<&Value>,
        version: Microversion,
    ) -> Result<Route, ResponseTemplate> {
        let method = match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            _ => return Err(not_found("The resource could not be found.")),
        };
        // The best match so far, and how many literal segments it matched.
        let mut best: Option<(usize, Route)> = None;
        let mut action_route = false;
        for glue in self.glue.iter().filter(|g| g.info.method == method) {
            let template = glue.info.path_at(version);
            let Some((literals, params)) = matches(template, segments) else {
                continue;
            };
            if let Some(action) = glue.info.action {
                action_route = true;
                if key_of(body) != Some(action) {
                    continue;
                }
            }
            if best.as_ref().is_none_or(|(n, _)| literals > *n) {
                best = Some((literals, Route { glue, params }));
            }
        }
        match best {
            Some((_, route)) => Ok(route),
            // A resource's `/action` with a key none of its actions has.
            None if action_route => Err(match key_of(body) {
                Some(key) => fault(400, "badRequest", &format!("There is no such action: {key}")),
                None => fault(400, "badRequest", "Malformed request body"),
            }),
            None => Err(not_found("The resource could not be found.")),
        }
    }
}

/// The one key of an action's body.
fn key_of(body: Option<&Value>) -> Option<&str> {
    let object = body?.as_object().filter(|o| o.len() == 1)?;
    object.keys().next().map(String::as_str)
}

/// Whether `template` matches `segments`: how many literal segments it matched, and the
/// parameters' values.
fn matches(template: &str, segments: &[&str]) -> Option<(usize, Vec<(String, String)>)> {
    let parts: Vec<&str> = template.split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut literals = 0;
    let mut params = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            params.push((name.to_string(), decode(segment)));
        } else if part == segment {
            literals += 1;
        } else {
            return None;
        }
    }
    Some((literals, params))
}

/// A path segment, percent-decoded.
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = segment.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_segment_beats_a_parameter_and_parameters_are_decoded() {
        assert_eq!(
            matches("/servers/{server_id}", &["servers", "detail"]).map(|m| m.0),
            Some(1)
        );
        assert_eq!(matches("/servers/detail", &["servers", "detail"]).map(|m| m.0), Some(2));
        assert_eq!(
            matches(
                "/flavors/{flavor_id}/os-extra_specs/{key}",
                &["flavors", "1", "os-extra_specs", "hw%3Acpu_policy"]
            )
            .map(|m| m.1),
            Some(vec![
                ("flavor_id".to_string(), "1".to_string()),
                ("key".to_string(), "hw:cpu_policy".to_string())
            ])
        );
        assert!(matches("/servers", &["flavors"]).is_none());
    }
}
