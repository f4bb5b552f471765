//! An embedded fake compute cloud for your own tests (feature `testing`): a stateful fake of
//! Keystone v3 and Nova on 127.0.0.1 (real HTTP, built on wiremock) that the real client
//! talks to through its normal code path.
//!
//! It issues tokens with a catalog, answers version discovery, shows servers, and runs every
//! server action of the spec with Nova's preconditions (statuses, task in flight, lock,
//! microversion range, field validation), its status codes and conflict bodies, transitions
//! that take a configurable time, and instance-action records with events under the request
//! ID each call returned. Faults can be injected.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use openstack_compute::testing::FakeCloud;
//! use openstack_compute::{Compute, WaitOptions};
//! use std::time::Duration;
//!
//! let cloud = FakeCloud::start().await;
//! let id = cloud.add_server("web-1");
//! let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
//! let done = compute.server(&id).stop().wait(WaitOptions::new(Duration::from_secs(30)).initial_interval(Duration::from_millis(20))).await.unwrap();
//! assert_eq!(done.server.unwrap().status.as_str(), "SHUTOFF");
//! # }
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::config::ConfigBuilder;
use crate::microversion::Microversion;
use crate::operation_core::{EndsIn, OperationInfo, OperationKind};
use crate::primitive::Timestamp;

/// The images the fake knows (any of them can be used to rebuild).
pub const IMAGE_ID: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
const USER_PASSWORD: &str = "demo-pw";

/// Settings of a [`FakeCloud`].
#[derive(Debug, Clone)]
pub struct FakeCloudBuilder {
    min: Microversion,
    max: Microversion,
    token_lifetime: Duration,
    transition: Duration,
}

impl Default for FakeCloudBuilder {
    fn default() -> Self {
        FakeCloudBuilder {
            min: Microversion::MIN,
            max: Microversion::MAX,
            token_lifetime: Duration::from_secs(3600),
            transition: Duration::from_millis(200),
        }
    }
}

impl FakeCloudBuilder {
    /// The microversions the fake compute API supports.
    pub fn microversions(mut self, min: Microversion, max: Microversion) -> Self {
        self.min = min;
        self.max = max;
        self
    }

    /// How long issued tokens live (to exercise refresh).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// How long each action takes before the server reaches its final status.
    pub fn transition_time(mut self, time: Duration) -> Self {
        self.transition = time;
        self
    }

    pub async fn start(self) -> FakeCloud {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            settings: self,
            servers: BTreeMap::new(),
            actions: BTreeMap::new(),
            tokens: BTreeMap::new(),
            inject_status: None,
            latency: Duration::ZERO,
            action_posts: 0,
            action_posts_received: 0,
            tokens_issued: 0,
            counter: 0,
            base: server.uri(),
        }));
        let handler = Handler(state.clone());
        Mock::given(method("POST"))
            .and(path("/identity/v3/auth/tokens"))
            .respond_with(handler.clone())
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/compute/v2.1/"))
            .respond_with(handler.clone())
            .mount(&server)
            .await;
        Mock::given(path_regex("^/compute/v2.1/servers/"))
            .respond_with(handler)
            .mount(&server)
            .await;
        FakeCloud { server, state }
    }
}

/// A running fake cloud; stops when dropped.
pub struct FakeCloud {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

struct State {
    settings: FakeCloudBuilder,
    servers: BTreeMap<String, FakeServer>,
    actions: BTreeMap<String, Vec<ActionRecord>>,
    tokens: BTreeMap<String, Instant>,
    inject_status: Option<(u16, usize)>,
    latency: Duration,
    action_posts: usize,
    action_posts_received: usize,
    tokens_issued: usize,
    counter: u64,
    base: String,
}

#[derive(Debug, Clone)]
struct FakeServer {
    id: String,
    name: String,
    status: String,
    task_state: Option<String>,
    locked: bool,
    locked_reason: Option<String>,
    image: String,
    fault: Option<(String, u16)>,
    created: String,
    pending: Option<Pending>,
}

#[derive(Debug, Clone)]
struct Pending {
    at: Instant,
    status: Option<String>,
    delete: bool,
}

#[derive(Debug, Clone)]
struct ActionRecord {
    action: String,
    request_id: String,
    server_id: String,
    start: String,
    event: String,
    finish_at: Instant,
    finish: Option<String>,
}

fn now_text() -> String {
    Timestamp::from(SystemTime::now()).as_str().to_string()
}

impl FakeCloud {
    /// A fake cloud with the default settings (every microversion, hour-long tokens,
    /// 200 ms transitions).
    pub async fn start() -> FakeCloud {
        FakeCloudBuilder::default().start().await
    }

    pub fn builder() -> FakeCloudBuilder {
        FakeCloudBuilder::default()
    }

    /// The base URL of the fake (Keystone under `/identity/v3`, Nova under `/compute/v2.1`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// A configuration that logs in to this cloud as `demo`.
    pub fn config(&self) -> ConfigBuilder {
        crate::Config::builder()
            .password_auth(&format!("{}/identity/v3", self.uri()), "demo", USER_PASSWORD, "demo")
            .initial_backoff(Duration::from_millis(5))
    }

    /// Adds an ACTIVE server and returns its ID.
    pub fn add_server(&self, name: &str) -> String {
        let mut s = self.lock();
        s.counter += 1;
        let id = format!("00000000-0000-4000-8000-{:012x}", s.counter);
        s.servers.insert(
            id.clone(),
            FakeServer {
                id: id.clone(),
                name: name.to_string(),
                status: "ACTIVE".into(),
                task_state: None,
                locked: false,
                locked_reason: None,
                image: IMAGE_ID.into(),
                fault: None,
                created: now_text(),
                pending: None,
            },
        );
        id
    }

    /// The server's current status (after any due transition).
    pub fn status(&self, id: &str) -> Option<String> {
        let mut s = self.lock();
        s.settle();
        s.servers.get(id).map(|srv| srv.status.clone())
    }

    /// The next `count` compute requests answer `status` with a fault body.
    pub fn fail_next(&self, status: u16, count: usize) {
        self.lock().inject_status = Some((status, count));
    }

    /// Every response is delayed by this much.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// The server goes to ERROR with this fault.
    pub fn break_server(&self, id: &str, message: &str) {
        if let Some(srv) = self.lock().servers.get_mut(id) {
            srv.status = "ERROR".into();
            srv.task_state = None;
            srv.pending = None;
            srv.fault = Some((message.to_string(), 500));
        }
    }

    /// How many action POSTs the fake has accepted (answered 2xx).
    pub fn accepted_actions(&self) -> usize {
        self.lock().action_posts
    }

    /// How many action POSTs reached the fake, whatever it answered.
    pub fn received_actions(&self) -> usize {
        self.lock().action_posts_received
    }

    /// How many tokens Keystone issued.
    pub fn tokens_issued(&self) -> usize {
        self.lock().tokens_issued
    }

    /// The instance actions recorded for a server: `(action, request_id)`, oldest first.
    pub fn recorded_actions(&self, id: &str) -> Vec<(String, String)> {
        self.lock()
            .actions
            .get(id)
            .into_iter()
            .flatten()
            .map(|a| (a.action.clone(), a.request_id.clone()))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Clone)]
struct Handler(Arc<Mutex<State>>);

impl Respond for Handler {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let latency = state.latency;
        state.counter += 1;
        let request_id = format!("req-{:08x}-0000-4000-8000-{:012x}", state.counter, state.counter);
        let response = state.handle(req, &request_id);
        response
            .insert_header("x-openstack-request-id", request_id.as_str())
            .insert_header("x-compute-request-id", request_id.as_str())
            .set_delay(latency)
    }
}

fn fault(status: u16, name: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({name: {"message": message, "code": status}}))
}

impl State {
    fn settle(&mut self) {
        let now = Instant::now();
        let mut deleted = Vec::new();
        for srv in self.servers.values_mut() {
            if let Some(p) = srv.pending.clone().filter(|p| p.at <= now) {
                srv.pending = None;
                srv.task_state = None;
                if p.delete {
                    deleted.push(srv.id.clone());
                } else if let Some(status) = p.status {
                    srv.status = status;
                }
            }
        }
        for id in deleted {
            self.servers.remove(&id);
        }
        for records in self.actions.values_mut() {
            for a in records.iter_mut().filter(|a| a.finish.is_none() && a.finish_at <= now) {
                a.finish = Some(now_text());
            }
        }
    }

    fn handle(&mut self, req: &Request, request_id: &str) -> ResponseTemplate {
        let path = req.url.path().to_string();
        if path == "/identity/v3/auth/tokens" {
            return self.issue_token(req);
        }
        if req.method.as_str() == "POST" && path.ends_with("/action") {
            self.action_posts_received += 1;
        }
        if path == "/compute/v2.1/" {
            return ResponseTemplate::new(200).set_body_json(json!({"version": {
                "id": "v2.1", "status": "CURRENT", "version": self.settings.max.to_string(),
                "min_version": self.settings.min.to_string(), "updated": "2013-07-23T11:33:21Z", "links": []}}));
        }
        let token_ok = req
            .headers
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .and_then(|t| self.tokens.get(t))
            .is_some_and(|exp| *exp > Instant::now());
        if !token_ok {
            return ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}));
        }
        if let Some((status, left)) = self.inject_status {
            self.inject_status = if left > 1 { Some((status, left - 1)) } else { None };
            let mut r = fault(status, "computeFault", "injected fault");
            if status == 429 || status == 503 {
                r = r.insert_header("retry-after", "0");
            }
            return r;
        }
        let version = match version_of(req) {
            Ok(v) => v,
            Err(r) => return r,
        };
        if version < self.settings.min || version > self.settings.max {
            return fault(
                406,
                "computeFault",
                &format!(
                    "Version {version} is not supported by the API. Minimum is {} and maximum is {}.",
                    self.settings.min, self.settings.max
                ),
            );
        }
        self.settle();
        let rest = path.trim_start_matches("/compute/v2.1/servers/");
        let segments: Vec<&str> = rest.split('/').collect();
        let with_version = |r: ResponseTemplate| {
            r.insert_header("openstack-api-version", format!("compute {version}").as_str())
                .insert_header("x-openstack-nova-api-version", version.to_string().as_str())
        };
        let response = match (req.method.as_str(), segments.as_slice()) {
            ("GET", [id]) => self.show(id, version),
            ("POST", [id, "action"]) => self.action(id, req, version, request_id),
            ("GET", [id, "os-instance-actions"]) => self.list_actions(id, req, version),
            ("GET", [id, "os-instance-actions", rid]) => self.show_action(id, rid, version),
            _ => fault(404, "itemNotFound", "The resource could not be found."),
        };
        with_version(response)
    }

    fn issue_token(&mut self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let password = body
            .pointer("/auth/identity/password/user/password")
            .and_then(Value::as_str);
        let known = password == Some(USER_PASSWORD) || body.pointer("/auth/identity/application_credential").is_some();
        if !known {
            return ResponseTemplate::new(401).set_body_json(json!({"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}));
        }
        self.tokens_issued += 1;
        let token = format!("fake-token-{}", self.tokens_issued);
        let lifetime = self.settings.token_lifetime;
        self.tokens.insert(token.clone(), Instant::now() + lifetime);
        let expires = Timestamp::from(SystemTime::now() + lifetime);
        ResponseTemplate::new(201).insert_header("x-subject-token", token.as_str()).set_body_json(json!({"token": {
            "expires_at": expires.as_str(),
            "issued_at": now_text(),
            "project": {"id": "fake-project", "name": "demo"},
            "user": {"id": "fake-user", "name": "demo"},
            "catalog": [{"type": "compute", "name": "nova", "endpoints": [
                {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": format!("{}/compute/v2.1", self.base)}
            ]}]
        }}))
    }

    fn server_body(&self, srv: &FakeServer, version: Microversion) -> Value {
        let v = |minor: u16| version >= Microversion::new(2, minor);
        let link =
            |id: &str, kind: &str| json!([{"rel": "bookmark", "href": format!("{}/compute/{kind}/{id}", self.base)}]);
        let flavor = if v(47) {
            json!({"vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 0, "swap": 0, "original_name": "m1.tiny", "extra_specs": {}})
        } else {
            json!({"id": "1", "links": link("1", "flavors")})
        };
        let mut body = json!({
            "id": srv.id, "name": srv.name, "status": srv.status, "tenant_id": "fake-project", "user_id": "fake-user",
            "created": srv.created, "updated": now_text(), "hostId": "fake-host-id", "accessIPv4": "", "accessIPv6": "",
            "addresses": {"private": [{"addr": "192.168.1.30", "version": 4, "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01", "OS-EXT-IPS:type": "fixed"}]},
            "flavor": flavor, "image": {"id": srv.image, "links": link(&srv.image, "images")},
            "links": [{"rel": "self", "href": format!("{}/compute/v2.1/servers/{}", self.base, srv.id)}],
            "metadata": {}, "OS-DCF:diskConfig": "MANUAL", "progress": 0,
            "OS-EXT-AZ:availability_zone": "nova", "config_drive": "", "key_name": null,
            "OS-SRV-USG:launched_at": "2026-01-01T00:00:00.000000", "OS-SRV-USG:terminated_at": null,
            "OS-EXT-STS:task_state": srv.task_state, "OS-EXT-STS:vm_state": srv.status.to_ascii_lowercase(),
            "OS-EXT-STS:power_state": if srv.status == "ACTIVE" { 1 } else { 4 },
            "os-extended-volumes:volumes_attached": [], "security_groups": [{"name": "default"}],
        });
        let obj = body.as_object_mut().expect("an object");
        if v(9) {
            obj.insert("locked".into(), json!(srv.locked));
        }
        if v(19) {
            obj.insert("description".into(), Value::Null);
        }
        if v(26) {
            obj.insert("tags".into(), json!([]));
        }
        if v(63) {
            obj.insert("trusted_image_certificates".into(), Value::Null);
        }
        if v(71) {
            obj.insert("server_groups".into(), json!([]));
        }
        if v(73) {
            obj.insert("locked_reason".into(), json!(srv.locked_reason));
        }
        if v(90) {
            obj.insert("OS-EXT-SRV-ATTR:hostname".into(), json!(srv.name));
        }
        if v(96) {
            obj.insert("pinned_availability_zone".into(), Value::Null);
        }
        if v(100) {
            obj.insert("scheduler_hints".into(), json!({}));
        }
        if let Some((message, code)) = &srv.fault {
            obj.insert(
                "fault".into(),
                json!({"message": message, "code": code, "created": srv.created}),
            );
        }
        body
    }

    fn show(&self, id: &str, version: Microversion) -> ResponseTemplate {
        match self.servers.get(id) {
            Some(srv) => ResponseTemplate::new(200).set_body_json(json!({"server": self.server_body(srv, version)})),
            None => fault(404, "itemNotFound", &format!("Instance {id} could not be found.")),
        }
    }

    fn action(&mut self, id: &str, req: &Request, version: Microversion, request_id: &str) -> ResponseTemplate {
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return fault(400, "badRequest", "Malformed request body");
        };
        let Some((key, _)) = body.as_object().filter(|o| o.len() == 1).and_then(|o| o.iter().next()) else {
            return fault(400, "badRequest", "Malformed request body");
        };
        let Some(info) = crate::generated::OPERATIONS
            .iter()
            .find(|i| i.kind == OperationKind::Action && i.key == Some(key.as_str()))
        else {
            return fault(400, "badRequest", &format!("There is no such action: {key}"));
        };
        if !info.range.contains(version) {
            return fault(404, "itemNotFound", "The resource could not be found.");
        }
        if let Some(Err(e)) =
            crate::generated::roundtrip(info.name, crate::generated::Direction::Request, version, &body)
        {
            return fault(400, "badRequest", &format!("Invalid input for {key}: {}", e.message));
        }
        if info.never_succeeds {
            return fault(info.status, "computeFault", "This action is not available.");
        }
        let Some(srv) = self.servers.get(id).cloned() else {
            return fault(404, "itemNotFound", &format!("Instance {id} could not be found."));
        };
        if let Some(ts) = &srv.task_state {
            return fault(
                409,
                "conflictingRequest",
                &format!("Cannot '{key}' instance {id} while it is in task_state {ts}"),
            );
        }
        if srv.locked && info.lock_checked {
            return fault(409, "conflictingRequest", &format!("Instance {id} is locked"));
        }
        if !info.from.is_empty() && !info.from.contains(&srv.status.as_str()) {
            return fault(
                409,
                "conflictingRequest",
                &format!(
                    "Cannot '{key}' instance {id} while it is in vm_state {}",
                    srv.status.to_ascii_lowercase()
                ),
            );
        }
        self.apply(info, &srv, &body[key.as_str()], version, request_id)
    }

    fn apply(
        &mut self,
        info: &OperationInfo,
        srv: &FakeServer,
        args: &Value,
        version: Microversion,
        request_id: &str,
    ) -> ResponseTemplate {
        self.action_posts += 1;
        let at = Instant::now() + self.settings.transition;
        let id = srv.id.clone();
        let previous = srv.status.clone();
        if let Some(action) = info.instance_action {
            let event = format!("compute_{}", info.name);
            self.actions.entry(id.clone()).or_default().push(ActionRecord {
                action: action.to_string(),
                request_id: request_id.to_string(),
                server_id: id.clone(),
                start: now_text(),
                event,
                finish_at: at,
                finish: None,
            });
        }
        let entry = self.servers.get_mut(&id).expect("checked above");
        match info.name {
            "lock" => {
                entry.locked = true;
                entry.locked_reason = args.get("locked_reason").and_then(Value::as_str).map(str::to_string);
            }
            "unlock" => {
                entry.locked = false;
                entry.locked_reason = None;
            }
            "reset_state" => {
                entry.status = args
                    .get("state")
                    .and_then(Value::as_str)
                    .unwrap_or("error")
                    .to_ascii_uppercase();
                entry.task_state = None;
                return ResponseTemplate::new(info.status);
            }
            "rebuild" => {
                if let Some(image) = args.get("imageRef").and_then(Value::as_str) {
                    entry.image = image.to_string();
                }
                if let Some(name) = args.get("name").and_then(Value::as_str) {
                    entry.name = name.to_string();
                }
            }
            _ => {}
        }
        match info.ends_in {
            EndsIn::Statuses(statuses) => {
                let target = statuses
                    .iter()
                    .find(|s| **s == previous)
                    .or(statuses.first())
                    .map(|s| s.to_string());
                if let Some(during) = info.during.first() {
                    entry.status = during.to_string();
                }
                entry.task_state = Some(info.name.replace('_', "-"));
                entry.pending = Some(Pending {
                    at,
                    status: target,
                    delete: false,
                });
            }
            EndsIn::Unchanged => {
                if !matches!(info.name, "lock" | "unlock") {
                    entry.task_state = Some(info.name.replace('_', "-"));
                    entry.pending = Some(Pending {
                        at,
                        status: None,
                        delete: false,
                    });
                }
            }
            EndsIn::Deleted => {
                entry.task_state = Some("deleting".into());
                entry.pending = Some(Pending {
                    at,
                    status: None,
                    delete: true,
                });
            }
            EndsIn::NotApplicable => {}
        }
        let snapshot = entry.clone();
        let ok = ResponseTemplate::new(info.status);
        match info.name {
            "rescue" => ok.set_body_json(json!({"adminPass": "fake-rescue-pass"})),
            "evacuate" if version < Microversion::new(2, 14) => ok.set_body_json(json!({"adminPass": "fake-evacuate-pass"})),
            "create_image" | "create_backup" => {
                let image = format!("11111111-2222-4333-8444-{:012x}", self.counter);
                if version >= Microversion::new(2, 45) {
                    ok.set_body_json(json!({"image_id": image}))
                } else {
                    ok.insert_header("location", format!("{}/images/{image}", self.base).as_str())
                }
            }
            "get_console_output" => ok.set_body_json(json!({"output": "fake console\nlogin: "})),
            "get_vnc_console" | "get_spice_console" | "get_serial_console" => ok.set_body_json(json!({"console": {
                "type": args.get("type").cloned().unwrap_or(Value::Null), "url": format!("{}/console?token=fake", self.base)}})),
            "rebuild" => ok
                .insert_header("location", format!("{}/compute/v2.1/servers/{id}", self.base).as_str())
                .set_body_json(json!({"server": self.server_body(&snapshot, version)})),
            _ => ok,
        }
    }

    fn action_json(&self, a: &ActionRecord, version: Microversion, events: bool) -> Value {
        let mut v = json!({"action": a.action, "instance_uuid": a.server_id, "message": null, "project_id": "fake-project",
            "request_id": a.request_id, "start_time": a.start, "user_id": "fake-user"});
        if version >= Microversion::new(2, 58) {
            v["updated_at"] = json!(a.finish.clone().unwrap_or_else(|| a.start.clone()));
        }
        if events {
            let mut event = json!({"event": a.event, "start_time": a.start, "finish_time": a.finish,
                "result": a.finish.as_ref().map(|_| "Success")});
            if version >= Microversion::new(2, 62) {
                event["hostId"] = json!("fake-host-id");
            }
            v["events"] = json!([event]);
        }
        v
    }

    fn list_actions(&self, id: &str, req: &Request, version: Microversion) -> ResponseTemplate {
        if !self.servers.contains_key(id) && !self.actions.contains_key(id) {
            return fault(404, "itemNotFound", &format!("Instance {id} could not be found."));
        }
        let mut records: Vec<&ActionRecord> = self.actions.get(id).into_iter().flatten().collect();
        records.reverse(); // newest first, as Nova lists them
        let query: BTreeMap<String, String> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut links = None;
        if version >= Microversion::new(2, 58) {
            if let Some(marker) = query.get("marker") {
                match records.iter().position(|a| &a.request_id == marker) {
                    Some(i) => records = records.split_off(i + 1),
                    None => return fault(400, "badRequest", &format!("Marker {marker} could not be found.")),
                }
            }
            if let Some(limit) = query.get("limit").and_then(|l| l.parse::<usize>().ok())
                && records.len() > limit
            {
                {
                    records.truncate(limit);
                    let last = &records[limit - 1].request_id;
                    links = Some(json!([{"rel": "next", "href": format!(
                        "{}/compute/v2.1/servers/{id}/os-instance-actions?limit={limit}&marker={last}", self.base)}]));
                }
            }
        }
        let items: Vec<Value> = records.iter().map(|a| self.action_json(a, version, false)).collect();
        let mut body = json!({"instanceActions": items});
        if let Some(l) = links {
            body["links"] = l;
        }
        ResponseTemplate::new(200).set_body_json(body)
    }

    fn show_action(&self, id: &str, request_id: &str, version: Microversion) -> ResponseTemplate {
        match self
            .actions
            .get(id)
            .into_iter()
            .flatten()
            .find(|a| a.request_id == request_id)
        {
            Some(a) => ResponseTemplate::new(200).set_body_json(
                json!({"instanceAction": self.action_json(a, version, version >= Microversion::new(2, 51))}),
            ),
            None => fault(
                404,
                "itemNotFound",
                &format!("Action for request_id {request_id} on instance {id} not found"),
            ),
        }
    }
}

#[allow(clippy::result_large_err)] // the error is the response to send; it is built once
fn version_of(req: &Request) -> Result<Microversion, ResponseTemplate> {
    let header = req
        .headers
        .get("openstack-api-version")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            req.headers
                .get("x-openstack-nova-api-version")
                .and_then(|v| v.to_str().ok())
        });
    match header {
        None => Ok(Microversion::MIN),
        Some(text) => text
            .parse()
            .map_err(|_| fault(400, "badRequest", &format!("Invalid API version request: {text}"))),
    }
}
