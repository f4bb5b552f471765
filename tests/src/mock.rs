//! A wiremock Keystone + Nova pair for client tests: a token endpoint with a catalog that
//! points at the compute endpoint, and the compute version document.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use openstack_compute::Config;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const PASSWORD: &str = "correct-horse-battery";
pub const TOKEN_PREFIX: &str = "gAAAAA-token-";

/// A running mock cloud.
pub struct MockCloud {
    pub server: MockServer,
    /// How many tokens Keystone has issued.
    pub tokens_issued: Arc<AtomicUsize>,
}

struct IssueToken {
    counter: Arc<AtomicUsize>,
    compute_url: String,
    /// The mock server's own URL, under which the other services are.
    root: String,
    lifetime_secs: i64,
}

impl Respond for IssueToken {
    fn respond(&self, _req: &Request) -> ResponseTemplate {
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        // Issued an hour before it expires: `lifetime_secs` is what is left of an hour-long token.
        let expires = time::OffsetDateTime::now_utc() + time::Duration::seconds(self.lifetime_secs);
        let issued = expires - time::Duration::hours(1);
        let rfc3339 = &time::format_description::well_known::Rfc3339;
        let (expires, issued) = (
            expires.format(rfc3339).unwrap_or_default(),
            issued.format(rfc3339).unwrap_or_default(),
        );
        ResponseTemplate::new(201)
            .insert_header("X-Subject-Token", format!("{TOKEN_PREFIX}{n}").as_str())
            .insert_header("x-openstack-request-id", format!("req-keystone-{n}").as_str())
            .set_body_json(json!({"token": {
                "expires_at": expires,
                "issued_at": issued,
                "project": {"id": "p-123", "name": "demo"},
                "catalog": [
                    {"type": "compute", "name": "nova", "endpoints": [
                        {"interface": "public", "region_id": "RegionOne", "region": "RegionOne", "url": self.compute_url},
                        {"interface": "internal", "region_id": "RegionOne", "region": "RegionOne", "url": format!("{}-internal", self.compute_url)}
                    ]},
                    // Other services, for raw requests: by interface and region, and with
                    // the project in the URL.
                    {"type": "image", "name": "glance", "endpoints": [
                        {"interface": "public", "region_id": "RegionOne", "url": format!("{}/image/", self.root)},
                        {"interface": "internal", "region_id": "RegionOne", "url": format!("{}/image-internal", self.root)},
                        {"interface": "public", "region_id": "RegionTwo", "url": format!("{}/image-two", self.root)}
                    ]},
                    {"type": "volumev3", "name": "cinder", "endpoints": [
                        {"interface": "public", "region_id": "RegionOne", "url": format!("{}/volume/v3/$(project_id)s", self.root)}
                    ]}
                ]
            }}))
    }
}

/// Nova's version document at `at` (the endpoint's root), supporting 2.1..=`max`.
pub async fn mount_version_document(server: &MockServer, at: &str, max: &str) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": {
            "id": "v2.1", "status": "CURRENT", "version": max, "min_version": "2.1",
            "links": [], "updated": "2013-07-23T11:33:21Z"
        }})))
        .mount(server)
        .await;
}

impl MockCloud {
    /// Keystone issuing tokens valid for an hour, Nova supporting 2.1..=`max`.
    pub async fn start(max: &str) -> MockCloud {
        MockCloud::start_with(max, 3600).await
    }

    pub async fn start_with(max: &str, token_lifetime_secs: i64) -> MockCloud {
        let server = MockServer::start().await;
        let tokens_issued = Arc::new(AtomicUsize::new(0));
        Mock::given(method("POST"))
            .and(path("/identity/v3/auth/tokens"))
            .respond_with(IssueToken {
                counter: tokens_issued.clone(),
                compute_url: format!("{}/compute/v2.1", server.uri()),
                root: server.uri(),
                lifetime_secs: token_lifetime_secs,
            })
            .mount(&server)
            .await;
        mount_version_document(&server, "/compute/v2.1/", max).await;
        MockCloud { server, tokens_issued }
    }

    /// A password-auth configuration for this cloud.
    pub fn config(&self) -> openstack_compute::config::ConfigBuilder {
        Config::builder()
            .password_auth(&format!("{}/identity/v3", self.server.uri()), "demo", PASSWORD, "demo")
            .initial_backoff(std::time::Duration::from_millis(1))
    }

    /// The path of a server action.
    pub fn action_path(server_id: &str) -> String {
        format!("/compute/v2.1/servers/{server_id}/action")
    }

    pub fn tokens(&self) -> usize {
        self.tokens_issued.load(Ordering::SeqCst)
    }
}

/// A `GET /servers/{id}` body at 2.100 with the given status (task_state null).
pub fn server_json(id: &str, status: &str) -> serde_json::Value {
    json!({"server": {
        "id": id, "name": "web-1", "status": status, "tenant_id": "p-123", "user_id": "u-1",
        "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:05Z", "hostId": "h",
        "accessIPv4": "", "accessIPv6": "", "addresses": {}, "links": [], "metadata": {},
        "flavor": {"vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 0, "swap": 0, "original_name": "m1.tiny", "extra_specs": {}},
        "image": {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "links": []},
        "OS-DCF:diskConfig": "MANUAL", "progress": 0, "OS-EXT-AZ:availability_zone": "nova", "config_drive": "",
        "key_name": null, "OS-SRV-USG:launched_at": "2026-01-01T00:00:01.000000", "OS-SRV-USG:terminated_at": null,
        "OS-EXT-STS:task_state": null, "OS-EXT-STS:vm_state": status.to_ascii_lowercase(), "OS-EXT-STS:power_state": 1,
        "os-extended-volumes:volumes_attached": [], "security_groups": [{"name": "default"}], "locked": false,
        "locked_reason": null, "description": null, "tags": [], "trusted_image_certificates": null, "server_groups": [],
        "OS-EXT-SRV-ATTR:hostname": "web-1", "pinned_availability_zone": null, "scheduler_hints": {}
    }})
}

/// A scripted sequence of JSON bodies: each request gets the next one (the last repeats); a
/// `null` entry, or an empty script, answers 404 as Nova does for what is not there (yet); a
/// Nova fault body (`{"forbidden": {"code": 403, ...}}`) is answered with its code.
#[derive(Clone)]
pub struct Script {
    bodies: Arc<Vec<serde_json::Value>>,
    served: Arc<AtomicUsize>,
}

impl Script {
    pub fn new(bodies: Vec<serde_json::Value>) -> Script {
        Script {
            bodies: Arc::new(bodies),
            served: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How many requests the script has answered.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

/// The code of a Nova fault body: one key whose object has a `code` of 400 or more.
fn fault_code(body: &serde_json::Value) -> Option<u16> {
    let object = body.as_object().filter(|o| o.len() == 1)?;
    let code = object.values().next()?.get("code")?.as_u64()?;
    u16::try_from(code).ok().filter(|c| *c >= 400)
}

impl Respond for Script {
    fn respond(&self, _req: &Request) -> ResponseTemplate {
        let n = self.served.fetch_add(1, Ordering::SeqCst);
        match self.bodies.get(n).or(self.bodies.last()) {
            Some(body) if !body.is_null() => ResponseTemplate::new(fault_code(body).unwrap_or(200))
                .insert_header("x-openstack-request-id", format!("req-poll-{n}").as_str())
                .set_body_json(body),
            _ => {
                ResponseTemplate::new(404).set_body_json(json!({"itemNotFound": {"message": "not found", "code": 404}}))
            }
        }
    }
}
