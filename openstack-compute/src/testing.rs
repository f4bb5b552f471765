//! An embedded fake compute cloud for your own tests (feature `testing`): a stateful fake of
//! Keystone v3 and Nova on 127.0.0.1 (real HTTP, on wiremock) that the client talks to through
//! its normal path.
//!
//! What it does comes from the spec, not from code per operation: every request is read and
//! checked by the operation's own generated code (unknown fields, fields outside the
//! microversion, value limits: a 400 as Nova answers), the operation's facts decide the
//! preconditions (its range, the statuses it starts from, the lock, a task in flight: 404 or
//! 409 with Nova's messages), what the server shows while it runs and where it ends, and the
//! instance action it records (with events, or without). Every body is written by the
//! operation's generated writer at the microversion asked for, so it has exactly the fields
//! the spec says Nova sends there. Only what an operation changes in a server (its name, its
//! lock) is said here, per operation.
//!
//! Transitions take a set time ([`FakeCloudBuilder::transition_time`]) or a set number of
//! reads of the server ([`FakeCloudBuilder::transition_polls`], for tests that must not depend
//! on the machine's speed). Faults can be injected.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use openstack_compute::testing::FakeCloud;
//! use openstack_compute::types::ServerStatus;
//! use openstack_compute::{Compute, WaitOptions};
//! use std::time::Duration;
//!
//! let cloud = FakeCloud::builder().transition_polls(2).start().await;
//! let id = cloud.add_server("web-1");
//! let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
//! let options = WaitOptions::new(Duration::from_secs(30)).clock(cloud.clock());
//! let done = compute.server(&id).stop().wait(options).await.unwrap();
//! assert_eq!(done.server.status, ServerStatus::Shutoff);
//! # }
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use wiremock::matchers::{path, path_regex};
use wiremock::{Mock, MockServer, Request as HttpRequest, Respond, ResponseTemplate};

use crate::config::ConfigBuilder;
use crate::microversion::Microversion;
use crate::operation::{ActionEvents, EndsIn, Method, Operation, OperationInfo, Page, WhileBusy};
use crate::ops;
use crate::types::{
    CreatedServer, DiskConfig, EmbeddedFlavor, EmptyOr, Fault, Flavor, FlavorRef, ImageRef, InstanceAction,
    InstanceActionEvent, Link, Nullable, Password, RemoteConsoleProtocol, RemoteConsoleType, SecurityGroupName, Server,
    ServerStatus, ServerSummary, TaskState, Timestamp, VmState,
};
use crate::wait::Clock;

/// The image every fake server is built from (any ID is accepted for rebuild and create).
pub const IMAGE_ID: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// The fake's flavor.
pub const FLAVOR_ID: &str = "1";
const USER_PASSWORD: &str = "demo-pw";

/// Reads and checks a request with an operation's generated code (the fake's validator).
pub(crate) fn check_request<O: Operation>(
    body: &[u8],
    path_param: Option<&str>,
    query: &[(String, String)],
    version: Microversion,
) -> Result<(), String> {
    let mut request = O::read_body(body).map_err(|e| e.message)?;
    request.read_target(path_param, query)?;
    request.check(version).map_err(|e| e.to_string())
}

/// A clock a test drives: sleeping advances it at once, and every sleep is recorded. With
/// [`crate::WaitOptions::clock`], a wait runs without real time passing.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Mutex<Duration>,
    sleeps: Mutex<Vec<Duration>>,
}

impl ManualClock {
    /// A clock at zero.
    pub fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock::default())
    }

    /// The sleeps taken so far.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sleep(&self, duration: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.sleeps.lock().unwrap_or_else(|p| p.into_inner()).push(duration);
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }
}

/// When a transition completes.
#[derive(Debug, Clone, Copy)]
enum Transition {
    After(Duration),
    Polls(u32),
}

/// Settings of a [`FakeCloud`].
#[derive(Debug, Clone)]
pub struct FakeCloudBuilder {
    min: Microversion,
    max: Microversion,
    token_lifetime: Duration,
    transition: Transition,
    auto_confirm: bool,
}

impl Default for FakeCloudBuilder {
    fn default() -> Self {
        FakeCloudBuilder {
            min: Microversion::MIN,
            max: Microversion::MAX,
            token_lifetime: Duration::from_secs(3600),
            transition: Transition::After(Duration::from_millis(200)),
            auto_confirm: false,
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

    /// Each operation takes this long before the server reaches its end.
    pub fn transition_time(mut self, time: Duration) -> Self {
        self.transition = Transition::After(time);
        self
    }

    /// Each operation ends after the server (or its actions) has been read this many times.
    pub fn transition_polls(mut self, polls: u32) -> Self {
        self.transition = Transition::Polls(polls);
        self
    }

    /// Resizes and migrations are confirmed by the cloud itself (`resize_confirm_window`):
    /// the server goes back to ACTIVE (or SHUTOFF) instead of waiting in VERIFY_RESIZE.
    pub fn auto_confirm_resizes(mut self, on: bool) -> Self {
        self.auto_confirm = on;
        self
    }

    /// Starts the fake on a free port of 127.0.0.1.
    pub async fn start(self) -> FakeCloud {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            settings: self,
            servers: BTreeMap::new(),
            actions: BTreeMap::new(),
            tokens: BTreeMap::new(),
            inject: None,
            fail_builds: None,
            fail_next_operation: None,
            latency: Duration::ZERO,
            action_posts: 0,
            action_posts_received: 0,
            compute_requests: 0,
            tokens_issued: 0,
            counter: 0,
            base: server.uri(),
        }));
        let handler = Handler(state.clone());
        Mock::given(path("/identity/v3/auth/tokens"))
            .respond_with(handler.clone())
            .mount(&server)
            .await;
        Mock::given(path_regex("^/compute/v2.1/"))
            .respond_with(handler)
            .mount(&server)
            .await;
        FakeCloud {
            server,
            state,
            clock: ManualClock::new(),
        }
    }
}

/// A running fake cloud; stops when dropped.
pub struct FakeCloud {
    server: MockServer,
    state: Arc<Mutex<State>>,
    clock: Arc<ManualClock>,
}

struct State {
    settings: FakeCloudBuilder,
    servers: BTreeMap<String, FakeServer>,
    actions: BTreeMap<String, Vec<ActionRecord>>,
    tokens: BTreeMap<String, Instant>,
    inject: Option<(u16, usize)>,
    fail_builds: Option<String>,
    fail_next_operation: Option<String>,
    latency: Duration,
    action_posts: usize,
    action_posts_received: usize,
    compute_requests: usize,
    tokens_issued: usize,
    counter: u64,
    base: String,
}

#[derive(Debug, Clone)]
struct FakeServer {
    id: String,
    name: String,
    status: ServerStatus,
    task_state: Option<TaskState>,
    locked: bool,
    locked_reason: Option<String>,
    /// Whether it has ever run (Nova's `launched_at`): a build that failed has not.
    launched: bool,
    image: String,
    description: Option<String>,
    metadata: BTreeMap<String, String>,
    tags: Vec<String>,
    fault: Option<(String, i64)>,
    created: Timestamp,
    updated: Timestamp,
    reservation_id: String,
    pending: Option<Pending>,
}

#[derive(Debug, Clone, Copy)]
enum Due {
    At(Instant),
    Polls(u32),
}

impl Due {
    fn new(t: Transition) -> Due {
        match t {
            Transition::After(d) => Due::At(Instant::now() + d),
            Transition::Polls(n) => Due::Polls(n),
        }
    }

    fn passed(&self) -> bool {
        match self {
            Due::At(t) => *t <= Instant::now(),
            Due::Polls(n) => *n == 0,
        }
    }
}

#[derive(Debug, Clone)]
struct Pending {
    due: Due,
    status: Option<ServerStatus>,
    delete: bool,
    /// The build or action fails: the server goes to ERROR with this fault.
    error: Option<String>,
}

#[derive(Debug, Clone)]
struct ActionRecord {
    action: String,
    request_id: String,
    server_id: String,
    start: Timestamp,
    updated: Timestamp,
    /// The event (for actions with events), and whether it has finished.
    event: Option<(String, Option<Timestamp>, bool)>,
}

fn now() -> Timestamp {
    Timestamp::from(SystemTime::now())
}

impl FakeCloud {
    /// A fake cloud with the default settings (every microversion, hour-long tokens, 200 ms
    /// transitions).
    pub async fn start() -> FakeCloud {
        FakeCloudBuilder::default().start().await
    }

    /// Settings for a fake cloud.
    pub fn builder() -> FakeCloudBuilder {
        FakeCloudBuilder::default()
    }

    /// The base URL of the fake (Keystone under `/identity/v3`, Nova under `/compute/v2.1`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// A clock for waits on this cloud: with polls-based transitions, a wait on it runs at
    /// once (its sleeps only advance the clock).
    pub fn clock(&self) -> Arc<ManualClock> {
        self.clock.clone()
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
        let server = s.new_server(name, ServerStatus::Active);
        let id = server.id.clone();
        s.servers.insert(id.clone(), server);
        id
    }

    /// The server's status (after any due transition), or `None` once it is gone.
    pub fn status(&self, id: &str) -> Option<ServerStatus> {
        let mut s = self.lock();
        s.settle(None);
        s.servers.get(id).map(|srv| srv.status.clone())
    }

    /// How many servers exist.
    pub fn server_count(&self) -> usize {
        let mut s = self.lock();
        s.settle(None);
        s.servers.len()
    }

    /// The next `count` compute requests answer `status` with a fault body.
    pub fn fail_next(&self, status: u16, count: usize) {
        self.lock().inject = Some((status, count));
    }

    /// Servers created from now on end in ERROR with this fault instead of ACTIVE (their
    /// `create` event fails).
    pub fn fail_builds(&self, message: &str) {
        self.lock().fail_builds = Some(message.to_string());
    }

    /// The next operation on a server fails on the compute host: its event ends in error and
    /// the server goes to ERROR with this fault.
    pub fn fail_next_operation(&self, message: &str) {
        self.lock().fail_next_operation = Some(message.to_string());
    }

    /// Every response is delayed by this much.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// The server goes to ERROR with this fault.
    pub fn break_server(&self, id: &str, message: &str) {
        if let Some(srv) = self.lock().servers.get_mut(id) {
            srv.status = ServerStatus::Error;
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

    /// How many requests reached the fake's Nova (any path, any answer).
    pub fn received_requests(&self) -> usize {
        self.lock().compute_requests
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
    fn respond(&self, req: &HttpRequest) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let latency = state.latency;
        state.counter += 1;
        let request_id = format!("req-{:08x}-0000-4000-8000-{:012x}", state.counter, state.counter);
        state
            .handle(req, &request_id)
            .insert_header("x-openstack-request-id", request_id.as_str())
            .insert_header("x-compute-request-id", request_id.as_str())
            .set_delay(latency)
    }
}

fn fault(status: u16, name: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({name: {"message": message, "code": status}}))
}

/// The `vm_state` behind a status (Nova's `_STATE_MAP`, read backwards).
fn vm_state(status: &ServerStatus) -> VmState {
    match status {
        ServerStatus::Active => VmState::Active,
        ServerStatus::Build => VmState::Building,
        ServerStatus::Shutoff => VmState::Stopped,
        ServerStatus::Paused => VmState::Paused,
        ServerStatus::Suspended => VmState::Suspended,
        ServerStatus::Rescue => VmState::Rescued,
        ServerStatus::VerifyResize => VmState::Resized,
        ServerStatus::Shelved => VmState::Shelved,
        ServerStatus::ShelvedOffloaded => VmState::ShelvedOffloaded,
        ServerStatus::SoftDeleted => VmState::SoftDeleted,
        ServerStatus::Error => VmState::Error,
        _ => VmState::Active,
    }
}

/// The status Nova shows for a server of `status` while `task` is in flight, where it is not
/// the vm_state's own (`_STATE_MAP` in `nova/api/openstack/common.py`): a reboot shows REBOOT
/// only from ACTIVE, a rebuild REBUILD from ACTIVE, SHUTOFF or ERROR, and so on.
fn shown_status(status: &ServerStatus, task: &TaskState) -> Option<ServerStatus> {
    use TaskState as T;
    let vm = vm_state(status);
    Some(match task {
        T::Rebooting | T::RebootPending | T::RebootStarted if vm == VmState::Active => ServerStatus::Reboot,
        T::RebootingHard | T::RebootPendingHard | T::RebootStartedHard if vm == VmState::Active => {
            ServerStatus::HardReboot
        }
        T::UpdatingPassword if vm == VmState::Active => ServerStatus::Password,
        T::Rebuilding | T::RebuildBlockDeviceMapping | T::RebuildSpawning
            if matches!(vm, VmState::Active | VmState::Stopped | VmState::Error) =>
        {
            ServerStatus::Rebuild
        }
        T::Migrating if matches!(vm, VmState::Active | VmState::Paused) => ServerStatus::Migrating,
        T::ResizePrep | T::ResizeMigrating | T::ResizeMigrated | T::ResizeFinish
            if matches!(vm, VmState::Active | VmState::Stopped) =>
        {
            ServerStatus::Resize
        }
        T::ResizeReverting if vm == VmState::Resized => ServerStatus::RevertResize,
        _ => return None,
    })
}

/// Nova's 500 for an exception the controller neither maps nor declares (`expected_errors`).
fn unexpected_api_error(exception: &str) -> ResponseTemplate {
    fault(
        500,
        "computeFault",
        &format!("Unexpected API Error. Please contact the administrator\n<class 'nova.exception.{exception}'>"),
    )
}

fn not_found() -> ResponseTemplate {
    fault(404, "itemNotFound", "The resource could not be found.")
}

fn body(status: u16, bytes: Vec<u8>) -> ResponseTemplate {
    if bytes.is_empty() {
        ResponseTemplate::new(status)
    } else {
        ResponseTemplate::new(status).set_body_raw(bytes, "application/json")
    }
}

fn find(method: Method, path: &str) -> Option<&'static OperationInfo> {
    crate::generated::OPERATIONS
        .iter()
        .copied()
        .find(|i| !i.is_action && i.method == method && i.path == path)
}

fn action_info(key: &str) -> Option<&'static OperationInfo> {
    crate::generated::OPERATIONS
        .iter()
        .copied()
        .find(|i| i.is_action && i.key == Some(key))
}

fn validator(info: &'static OperationInfo) -> crate::generated::RequestCheck {
    let i = crate::generated::OPERATIONS
        .iter()
        .position(|o| std::ptr::eq(*o, info))
        .expect("every operation has a validator");
    crate::generated::REQUEST_CHECKS[i]
}

impl State {
    fn new_server(&mut self, name: &str, status: ServerStatus) -> FakeServer {
        self.counter += 1;
        let t = now();
        FakeServer {
            id: format!("00000000-0000-4000-8000-{:012x}", self.counter),
            name: name.to_string(),
            launched: status != ServerStatus::Build,
            status,
            task_state: None,
            locked: false,
            locked_reason: None,
            image: IMAGE_ID.into(),
            description: None,
            metadata: BTreeMap::new(),
            tags: Vec::new(),
            fault: None,
            created: t.clone(),
            updated: t,
            reservation_id: format!("r-{:08x}", self.counter),
            pending: None,
        }
    }

    /// Completes what is due; a read of `read` (a server ID) counts as a poll of it.
    fn settle(&mut self, read: Option<&str>) {
        let mut deleted = Vec::new();
        for srv in self.servers.values_mut() {
            let Some(p) = &mut srv.pending else { continue };
            if let (Due::Polls(n), Some(id)) = (&mut p.due, read)
                && id == srv.id
            {
                *n = n.saturating_sub(1);
            }
            if !p.due.passed() {
                continue;
            }
            let p = srv.pending.take().expect("pending");
            srv.task_state = None;
            srv.updated = now();
            if p.delete {
                deleted.push(srv.id.clone());
            } else if let Some(message) = p.error {
                srv.status = ServerStatus::Error;
                srv.fault = Some((message, 500));
            } else if let Some(status) = p.status {
                srv.status = status;
                srv.launched = true;
            }
        }
        for id in &deleted {
            self.servers.remove(id);
        }
        for (id, records) in &mut self.actions {
            let server = self.servers.get(id);
            if server.is_some_and(|s| s.pending.is_some()) {
                continue;
            }
            let errored = server.is_some_and(|s| s.status == ServerStatus::Error && s.fault.is_some());
            for a in records.iter_mut() {
                if let Some((_, finish, failed)) = &mut a.event
                    && finish.is_none()
                {
                    *finish = Some(now());
                    *failed = errored;
                    a.updated = now();
                }
            }
        }
    }

    fn handle(&mut self, req: &HttpRequest, request_id: &str) -> ResponseTemplate {
        let path = req.url.path().to_string();
        if path == "/identity/v3/auth/tokens" {
            return self.issue_token(req);
        }
        self.compute_requests += 1;
        let rest = path.trim_start_matches("/compute/v2.1");
        let segments: Vec<&str> = rest.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
        if req.method.as_str() == "POST" && segments.last() == Some(&"action") {
            self.action_posts_received += 1;
        }
        if segments.is_empty() && req.method.as_str() == "GET" {
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
            return ResponseTemplate::new(401).set_body_json(json!({"error": {"code": 401, "title": "Unauthorized",
                "message": "The request you have made requires authentication."}}));
        }
        if let Some((status, left)) = self.inject {
            self.inject = if left > 1 { Some((status, left - 1)) } else { None };
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
        let read = match segments.as_slice() {
            ["servers", id, ..] if req.method.as_str() == "GET" => Some(id.to_string()),
            _ => None,
        };
        self.settle(read.as_deref());
        let query: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let method = match req.method.as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            _ => return not_found(),
        };
        let (template, id, param) = match segments.as_slice() {
            ["servers"] => ("/servers", None, None),
            ["servers", "detail"] => ("/servers/detail", None, None),
            ["servers", id] => ("/servers/{server_id}", Some(*id), None),
            ["servers", id, "action"] => ("/servers/{server_id}/action", Some(*id), None),
            ["servers", id, "os-instance-actions"] => ("/servers/{server_id}/os-instance-actions", Some(*id), None),
            ["servers", id, "os-instance-actions", rid] => (
                "/servers/{server_id}/os-instance-actions/{request_id}",
                Some(*id),
                Some(*rid),
            ),
            ["servers", id, "remote-consoles"] => ("/servers/{server_id}/remote-consoles", Some(*id), None),
            _ => return not_found(),
        };
        let info = if template.ends_with("/action") {
            let parsed: Option<Value> = serde_json::from_slice(&req.body).ok();
            let key = parsed
                .as_ref()
                .and_then(Value::as_object)
                .filter(|o| o.len() == 1)
                .and_then(|o| o.keys().next().cloned());
            let Some(key) = key else {
                return fault(400, "badRequest", "Malformed request body");
            };
            match action_info(&key) {
                Some(i) => i,
                None => return fault(400, "badRequest", &format!("There is no such action: {key}")),
            }
        } else {
            match find(method, template) {
                Some(i) => i,
                None => return not_found(),
            }
        };
        if !info.range.contains(version) {
            return not_found();
        }
        if let Err(message) = validator(info)(&req.body, param, &query, version) {
            return fault(
                400,
                "badRequest",
                &format!("Invalid input for {}: {message}", info.name),
            );
        }
        let with_version = |r: ResponseTemplate| {
            r.insert_header("openstack-api-version", format!("compute {version}").as_str())
                .insert_header("x-openstack-nova-api-version", version.to_string().as_str())
        };
        let response = match (info.name, id) {
            ("list_servers", _) => self.list(&query, version, false),
            ("list_servers_detail", _) => self.list(&query, version, true),
            ("create_server", _) => self.create(req, version, request_id),
            (_, Some(id)) if !self.servers.contains_key(id) && !self.actions.contains_key(id) => {
                fault(404, "itemNotFound", &format!("Instance {id} could not be found."))
            }
            ("show_server", Some(id)) => self.show(id, version),
            ("list_instance_actions", Some(id)) => self.list_actions(id, &query, version),
            ("show_instance_action", Some(id)) => self.show_action(id, param.unwrap_or_default(), version),
            (_, Some(id)) => self.operate(info, id, req, version, request_id),
            _ => not_found(),
        };
        with_version(response)
    }

    fn issue_token(&mut self, req: &HttpRequest) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let password = body
            .pointer("/auth/identity/password/user/password")
            .and_then(Value::as_str);
        let known = password == Some(USER_PASSWORD) || body.pointer("/auth/identity/application_credential").is_some();
        if !known {
            return ResponseTemplate::new(401).set_body_json(json!({"error": {"code": 401, "title": "Unauthorized",
                "message": "The request you have made requires authentication."}}));
        }
        self.tokens_issued += 1;
        let token = format!("fake-token-{}", self.tokens_issued);
        let lifetime = self.settings.token_lifetime;
        self.tokens.insert(token.clone(), Instant::now() + lifetime);
        let expires = Timestamp::from(SystemTime::now() + lifetime);
        ResponseTemplate::new(201).insert_header("x-subject-token", token.as_str()).set_body_json(json!({"token": {
            "expires_at": expires.as_str(),
            "issued_at": now().as_str(),
            "project": {"id": "fake-project", "name": "demo"},
            "user": {"id": "fake-user", "name": "demo"},
            "catalog": [{"type": "compute", "name": "nova", "endpoints": [
                {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": format!("{}/compute/v2.1", self.base)}
            ]}]
        }}))
    }

    fn link(&self, kind: &str, id: &str) -> Vec<Link> {
        vec![
            Link {
                href: format!("{}/compute/v2.1/{kind}/{id}", self.base),
                rel: "self".into(),
                media_type: None,
            },
            Link {
                href: format!("{}/compute/{kind}/{id}", self.base),
                rel: "bookmark".into(),
                media_type: None,
            },
        ]
    }

    /// The server as the unified type; the operation's writer keeps what its view has at the
    /// microversion asked for.
    fn server_value(&self, srv: &FakeServer, version: Microversion) -> Server {
        let flavor = if version >= Microversion::new(2, 47) {
            Flavor::Embedded(EmbeddedFlavor {
                vcpus: 1,
                ram: 512,
                disk: 1,
                ephemeral: 0,
                swap: 0,
                original_name: "m1.tiny".into(),
                extra_specs: Some(BTreeMap::new()),
            })
        } else {
            Flavor::Ref(FlavorRef {
                id: FLAVOR_ID.into(),
                links: self.link("flavors", FLAVOR_ID).into_iter().skip(1).collect(),
            })
        };
        let power = match srv.status {
            ServerStatus::Active | ServerStatus::Rescue | ServerStatus::VerifyResize => 1,
            ServerStatus::Paused => 3,
            ServerStatus::Suspended => 7,
            ServerStatus::Build => 0,
            _ => 4,
        };
        let vm_state = vm_state(&srv.status);
        let nullable = |v: Option<String>| v.map_or(Nullable::Null, Nullable::Value);
        Server {
            id: srv.id.clone(),
            name: Nullable::Value(srv.name.clone()),
            status: srv.status.clone(),
            tenant_id: "fake-project".into(),
            user_id: Some("fake-user".into()),
            created: srv.created.clone(),
            updated: Some(srv.updated.clone()),
            host_id: Some("fake-host-id".into()),
            access_ipv4: Some(String::new()),
            access_ipv6: Some(String::new()),
            addresses: Some(BTreeMap::from([(
                "private".to_string(),
                vec![crate::types::Address {
                    addr: "192.168.1.30".into(),
                    version: 4,
                    mac_addr: Some("fa:16:3e:00:00:01".into()),
                    ip_type: Some("fixed".into()),
                }],
            )])),
            flavor: Some(flavor),
            image: Some(EmptyOr::Value(ImageRef {
                id: srv.image.clone(),
                links: Some(self.link("images", &srv.image).into_iter().skip(1).collect()),
                properties: (version >= Microversion::new(2, 98)).then(BTreeMap::new),
            })),
            links: self.link("servers", &srv.id),
            metadata: Some(srv.metadata.clone()),
            progress: Nullable::Value(0),
            disk_config: Some(DiskConfig::Manual),
            admin_pass: Nullable::Unset,
            fault: srv.fault.as_ref().map(|(message, code)| Fault {
                code: *code,
                created: srv.updated.clone(),
                message: message.clone(),
                details: None,
            }),
            config_drive: Nullable::Value(Value::String(String::new())),
            key_name: Nullable::Null,
            availability_zone: Some("nova".into()),
            power_state: Nullable::Value(power),
            task_state: srv.task_state.clone().map_or(Nullable::Null, Nullable::Value),
            vm_state: Nullable::Value(vm_state),
            volumes_attached: Some(Vec::new()),
            launched_at: Nullable::Value(srv.created.clone()),
            terminated_at: Nullable::Null,
            security_groups: Some(vec![SecurityGroupName { name: "default".into() }]),
            host: Nullable::Unset,
            hypervisor_hostname: Nullable::Unset,
            instance_name: None,
            hostname: Some(srv.name.clone()),
            kernel_id: Nullable::Unset,
            launch_index: Nullable::Unset,
            ramdisk_id: Nullable::Unset,
            reservation_id: Nullable::Unset,
            root_device_name: Nullable::Unset,
            attr_user_data: Nullable::Unset,
            locked: Some(srv.locked),
            host_status: None,
            description: nullable(srv.description.clone()),
            tags: Some(srv.tags.clone()),
            user_data: None,
            trusted_image_certificates: Nullable::Null,
            server_groups: Some(Vec::new()),
            locked_reason: nullable(srv.locked_reason.clone()),
            pinned_availability_zone: Nullable::Null,
            scheduler_hints: Some(BTreeMap::new()),
        }
    }

    /// The server as rebuild and update show it: before 2.75, addresses in Nova's basic form.
    fn basic_before_2_75(&self, srv: &FakeServer, version: Microversion) -> Server {
        let mut server = self.server_value(srv, version);
        if version < Microversion::new(2, 75) {
            for list in server.addresses.iter_mut().flat_map(|a| a.values_mut()) {
                for address in list {
                    address.mac_addr = None;
                    address.ip_type = None;
                }
            }
        }
        server
    }

    fn show(&self, id: &str, version: Microversion) -> ResponseTemplate {
        match self.servers.get(id) {
            Some(srv) => body(
                200,
                ops::show_server::Request::write_response(&self.server_value(srv, version), version),
            ),
            None => fault(404, "itemNotFound", &format!("Instance {id} could not be found.")),
        }
    }

    fn list(&self, query: &[(String, String)], version: Microversion, detail: bool) -> ResponseTemplate {
        let get = |k: &str| {
            query
                .iter()
                .filter(|(q, _)| q == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        let name = get("name").first().map(|n| unescape_exact(n));
        let statuses = get("status");
        let reservation = get("reservation_id").first().map(|r| unescape_exact(r));
        let mut servers: Vec<&FakeServer> = self
            .servers
            .values()
            .filter(|s| name.as_ref().is_none_or(|n| n.matches(&s.name)))
            .filter(|s| reservation.as_ref().is_none_or(|r| r.matches(&s.reservation_id)))
            .filter(|s| statuses.is_empty() || statuses.iter().any(|st| st.eq_ignore_ascii_case(s.status.as_str())))
            .collect();
        // Newest first, as Nova sorts by default (created_at desc, then ID).
        servers.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        if let Some(marker) = get("marker").first() {
            match servers.iter().position(|s| s.id == *marker) {
                Some(i) => servers = servers.split_off(i + 1),
                None => return fault(400, "badRequest", &format!("marker [{marker}] not found")),
            }
        }
        let limit = get("limit")
            .first()
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(1000);
        let links = (servers.len() > limit).then(|| {
            servers.truncate(limit);
            let last = &servers[limit - 1].id;
            vec![Link {
                href: format!(
                    "{}/compute/v2.1/servers{}?limit={limit}&marker={last}",
                    self.base,
                    if detail { "/detail" } else { "" }
                ),
                rel: "next".into(),
                media_type: None,
            }]
        });
        let bytes = if detail {
            let page = Page::new(servers.iter().map(|s| self.server_value(s, version)).collect(), links);
            ops::list_servers_detail::Request::write_response(&page, version)
        } else {
            let items = servers
                .iter()
                .map(|s| ServerSummary {
                    id: s.id.clone(),
                    name: Some(s.name.clone()),
                    links: self.link("servers", &s.id),
                    status: None,
                })
                .collect();
            ops::list_servers::Request::write_response(&Page::new(items, links), version)
        };
        body(200, bytes)
    }

    fn create(&mut self, req: &HttpRequest, version: Microversion, request_id: &str) -> ResponseTemplate {
        let Ok(request) = ops::create_server::Request::read_body(&req.body) else {
            return fault(400, "badRequest", "Malformed request body");
        };
        // Nova builds `max_count` servers when the quota allows (the fake's always does).
        let count = |c: &Option<crate::types::Integerish>| c.as_ref().map_or(1, |c| c.get());
        let count = count(&request.max_count).max(count(&request.min_count)).max(1) as u64;
        let mut first = None;
        let reservation = format!("r-{:08x}", self.counter + 1);
        for i in 0..count {
            let name = if count > 1 {
                format!("{}-{}", request.name.clone().unwrap_or_default(), i + 1)
            } else {
                request.name.clone().unwrap_or_default()
            };
            let mut srv = self.new_server(&name, ServerStatus::Build);
            srv.reservation_id = reservation.clone();
            srv.task_state = Some(TaskState::Scheduling);
            srv.description = request.description.value().cloned();
            srv.tags = request.tags.clone().unwrap_or_default();
            srv.metadata = request.metadata.clone().unwrap_or_default();
            if let Some(EmptyOr::Value(image)) = &request.image_ref {
                srv.image = image.clone();
            }
            srv.pending = Some(Pending {
                due: Due::new(self.settings.transition),
                status: Some(ServerStatus::Active),
                delete: false,
                error: self.fail_builds.clone(),
            });
            let created = <ops::create_server::Request as Operation>::INFO.instance_action;
            let created = created.expect("the spec records create as an instance action");
            self.record(&srv.id, created.name, request_id, created.events);
            first.get_or_insert_with(|| srv.id.clone());
            self.servers.insert(srv.id.clone(), srv);
        }
        let id = first.expect("at least one server");
        let reservation_only = request.return_reservation_id.as_ref().is_some_and(|b| b.get());
        let response = if reservation_only {
            ops::create_server::Response {
                server: None,
                reservation_id: Some(reservation),
            }
        } else {
            ops::create_server::Response {
                server: Some(CreatedServer {
                    id: id.clone(),
                    links: self.link("servers", &id),
                    disk_config: DiskConfig::Manual,
                    security_groups: vec![SecurityGroupName { name: "default".into() }],
                    admin_pass: Some(Password::from(format!("fake-pass-{}", self.counter))),
                }),
                reservation_id: None,
            }
        };
        body(202, ops::create_server::Request::write_response(&response, version))
            .insert_header("location", format!("{}/compute/v2.1/servers/{id}", self.base).as_str())
    }

    fn record(&mut self, server_id: &str, action: &str, request_id: &str, events: ActionEvents) {
        let t = now();
        self.actions
            .entry(server_id.to_string())
            .or_default()
            .push(ActionRecord {
                action: action.to_string(),
                request_id: request_id.to_string(),
                server_id: server_id.to_string(),
                start: t.clone(),
                updated: t.clone(),
                // Nova names an event after the function it wraps; the API's finish at once.
                event: match events {
                    ActionEvents::None => None,
                    ActionEvents::Api => Some((format!("api_{}", action.to_lowercase()), Some(t.clone()), false)),
                    ActionEvents::Compute => Some((
                        format!("compute_{}", action.replace('-', "_").to_lowercase()),
                        None,
                        false,
                    )),
                },
            });
    }

    /// Any operation on one server, by its facts.
    fn operate(
        &mut self,
        info: &'static OperationInfo,
        id: &str,
        req: &HttpRequest,
        version: Microversion,
        request_id: &str,
    ) -> ResponseTemplate {
        let name = info.conflict_name;
        if info.never_succeeds {
            return fault(info.status, "computeFault", "This action is not available.");
        }
        let Some(srv) = self.servers.get(id).cloned() else {
            return fault(404, "itemNotFound", &format!("Instance {id} could not be found."));
        };
        let args: Value = serde_json::from_slice::<Value>(&req.body)
            .ok()
            .and_then(|b| info.key.and_then(|k| b.get(k).cloned()))
            .unwrap_or(Value::Null);
        // The facts of this request (a SOFT reboot's, not a HARD one's).
        let facts = info.server_status.map(|f| {
            let value = f.by_request.and_then(|by| args.get(by.field)).and_then(Value::as_str);
            f.for_value(value)
        });
        // Nova's order: the lock, then the status (vm_state), then the task in flight.
        if srv.locked
            && let Some(status) = info.lock_checked
        {
            return match status {
                409 => fault(409, "conflictingRequest", &format!("Instance {id} is locked")),
                _ => unexpected_api_error("InstanceIsLocked"),
            };
        }
        // Nova checks the vm_state: a server showing REBOOT is ACTIVE to it.
        if let Some(f) = facts
            && !f.from.is_empty()
            && !f.from.iter().any(|s| vm_state(s) == vm_state(&srv.status))
        {
            return fault(
                409,
                "conflictingRequest",
                &format!(
                    "Cannot '{name}' instance {id} while it is in vm_state {}",
                    vm_state(&srv.status).as_str()
                ),
            );
        }
        if let (Some(ts), Some(f)) = (&srv.task_state, facts) {
            let refused = match f.while_busy {
                WhileBusy::Refused => Some(409),
                WhileBusy::Accepted => None,
                WhileBusy::RefusedIn { task_states, status } => task_states.contains(ts).then_some(status),
                WhileBusy::AcceptedIn { task_states } => (!task_states.contains(ts)).then_some(409),
            };
            match refused {
                None => {}
                Some(409) => {
                    return fault(
                        409,
                        "conflictingRequest",
                        &format!("Cannot '{name}' instance {id} while it is in task_state {ts}"),
                    );
                }
                Some(_) => return unexpected_api_error("InstanceInvalidState"),
            }
        }
        // `check_instance_state`, which every operation with a `from` list goes through,
        // also refuses a server that never ran (delete and force delete have no list).
        if facts.is_some_and(|f| !f.from.is_empty()) && !srv.launched {
            return fault(
                409,
                "conflictingRequest",
                &format!("Instance {id} is in an invalid state for '{name}'"),
            );
        }
        if info.is_action {
            self.action_posts += 1;
        }
        // Nova answers, but leaves the server as it is and records nothing, when its owner
        // locks it again or it is deleted again while deleting.
        let ignored = (info.name == "lock" && srv.locked)
            || (facts.is_some_and(|f| f.ends_in == EndsIn::Deleted) && srv.task_state == Some(TaskState::Deleting));
        if ignored {
            return self.respond(info, &srv, &args, version);
        }
        if let Some(a) = info.instance_action {
            self.record(id, a.name, request_id, a.events);
        }
        let transition = self.settings.transition;
        let auto_confirm = self.settings.auto_confirm;
        let failure = if facts.is_some() {
            self.fail_next_operation.take()
        } else {
            None
        };
        let entry = self.servers.get_mut(id).expect("checked above");
        // What the operation changes in the server, beyond its status.
        let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
        match info.name {
            "lock" => {
                entry.locked = true;
                entry.locked_reason = text("locked_reason");
            }
            "unlock" => {
                entry.locked = false;
                entry.locked_reason = None;
            }
            "reset_state" => {
                entry.status = if text("state").as_deref() == Some("active") {
                    ServerStatus::Active
                } else {
                    ServerStatus::Error
                };
            }
            "rebuild" | "update_server" => {
                if let Some(image) = text("imageRef") {
                    entry.image = image;
                }
                if let Some(name) = text("name") {
                    entry.name = name;
                }
                if args.get("description").is_some() {
                    entry.description = text("description");
                }
            }
            _ => {}
        }
        entry.updated = now();
        if let Some(f) = facts {
            let previous = entry.status.clone();
            let start_task = f.task_states.first().cloned();
            match f.ends_in {
                // Work the API does before it answers (reset state): the status is set above,
                // and no task is left in flight, the one it replaced included.
                EndsIn::Statuses(_)
                    if f.task_states.is_empty()
                        && info.instance_action.is_some_and(|a| a.events != ActionEvents::Compute) =>
                {
                    entry.task_state = None;
                    entry.pending = None;
                }
                EndsIn::Statuses(targets) => {
                    let mut end = targets.iter().find(|s| **s == previous).or(targets.first()).cloned();
                    if auto_confirm && !f.auto_confirmed.is_empty() {
                        end = f
                            .auto_confirmed
                            .iter()
                            .find(|s| **s == previous)
                            .or(f.auto_confirmed.first())
                            .cloned();
                    }
                    if let Some(during) = f.during.first() {
                        entry.status = match &start_task {
                            Some(task) => shown_status(&previous, task).unwrap_or(previous.clone()),
                            None => during.clone(),
                        };
                    }
                    entry.task_state = start_task;
                    entry.pending = Some(Pending {
                        due: Due::new(transition),
                        status: end,
                        delete: false,
                        error: failure,
                    });
                }
                EndsIn::Unchanged
                    if start_task.is_some()
                        || info.instance_action.is_some_and(|a| a.events == ActionEvents::Compute) =>
                {
                    entry.task_state = start_task;
                    entry.pending = Some(Pending {
                        due: Due::new(transition),
                        status: None,
                        delete: false,
                        error: failure,
                    });
                }
                EndsIn::Unchanged => {}
                EndsIn::Deleted => {
                    entry.task_state = Some(TaskState::Deleting);
                    entry.pending = Some(Pending {
                        due: Due::new(transition),
                        status: None,
                        delete: true,
                        error: None,
                    });
                }
            }
        }
        let snapshot = entry.clone();
        self.respond(info, &snapshot, &args, version)
    }

    /// The operation's response: values here, shape by the operation's writer.
    fn respond(
        &mut self,
        info: &'static OperationInfo,
        srv: &FakeServer,
        args: &Value,
        version: Microversion,
    ) -> ResponseTemplate {
        use ops::*;
        let image = format!("11111111-2222-4333-8444-{:012x}", self.counter);
        let console_url = format!("{}/console?token=fake", self.base);
        let console_type = |k: &str| {
            args.get(k)
                .and_then(Value::as_str)
                .and_then(|t| t.parse::<RemoteConsoleType>().ok())
        };
        let bytes = match info.name {
            "show_server" => show_server::Request::write_response(&self.server_value(srv, version), version),
            // Before 2.75 rebuild and update show addresses in Nova's basic form (no MAC, no type).
            "update_server" => update_server::Request::write_response(&self.basic_before_2_75(srv, version), version),
            "rebuild" => rebuild::Request::write_response(&self.basic_before_2_75(srv, version), version),
            "rescue" => rescue::Request::write_response(
                &rescue::Response {
                    admin_pass: Some(Password::from("fake-rescue-pass")),
                },
                version,
            ),
            "evacuate" => evacuate::Request::write_response(
                &evacuate::Response {
                    admin_pass: Nullable::Value(Password::from("fake-evacuate-pass")),
                },
                version,
            ),
            "create_image" => create_image::Request::write_response(
                &create_image::Response {
                    image_id: Some(image.clone()),
                },
                version,
            ),
            "create_backup" => create_backup::Request::write_response(
                &create_backup::Response {
                    image_id: Some(image.clone()),
                },
                version,
            ),
            "get_console_output" => get_console_output::Request::write_response(
                &get_console_output::Response {
                    output: "fake console\nlogin: ".into(),
                },
                version,
            ),
            "get_vnc_console" | "get_spice_console" | "get_serial_console" | "get_rdp_console" => {
                let console = get_vnc_console::Response {
                    console_type: console_type("type").unwrap_or(RemoteConsoleType::Novnc),
                    url: console_url,
                };
                get_vnc_console::Request::write_response(&console, version)
            }
            "create_remote_console" => {
                let rc = args.as_object().map(|_| args.clone()).unwrap_or_default();
                let console = create_remote_console::Response {
                    protocol: rc
                        .get("protocol")
                        .and_then(Value::as_str)
                        .and_then(|p| p.parse::<RemoteConsoleProtocol>().ok())
                        .unwrap_or(RemoteConsoleProtocol::Vnc),
                    console_type: console_type("type").unwrap_or(RemoteConsoleType::Novnc),
                    url: console_url,
                };
                create_remote_console::Request::write_response(&console, version)
            }
            _ => Vec::new(),
        };
        let mut response = body(info.status, bytes);
        // Fields Nova sends in the `Location` header at this microversion.
        let header_fields = info
            .response
            .iter()
            .flat_map(|r| r.fields)
            .any(|f| f.location == crate::operation::Location::Header && f.range.contains(version));
        if header_fields {
            response = response.insert_header("location", format!("{}/images/{image}", self.base).as_str());
        } else if info.name == "rebuild" {
            response = response.insert_header(
                "location",
                format!("{}/compute/v2.1/servers/{}", self.base, srv.id).as_str(),
            );
        }
        response
    }

    fn action_value(&self, a: &ActionRecord, version: Microversion, events: bool) -> InstanceAction {
        InstanceAction {
            action: a.action.clone(),
            instance_uuid: a.server_id.clone(),
            message: None,
            project_id: Some("fake-project".into()),
            request_id: a.request_id.clone(),
            start_time: a.start.clone(),
            user_id: Some("fake-user".into()),
            updated_at: (version >= Microversion::new(2, 58)).then(|| a.updated.clone()),
            events: if events {
                a.event
                    .iter()
                    .map(|(name, finish, failed)| InstanceActionEvent {
                        event: name.clone(),
                        start_time: a.start.clone(),
                        finish_time: finish.clone(),
                        result: finish
                            .as_ref()
                            .map(|_| if *failed { "Error" } else { "Success" }.to_string()),
                        traceback: Nullable::Unset,
                        host: None,
                        host_id: (version >= Microversion::new(2, 62)).then(|| "fake-host-id".to_string()),
                        details: if version >= Microversion::new(2, 84) {
                            Nullable::Null
                        } else {
                            Nullable::Unset
                        },
                    })
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    fn list_actions(&self, id: &str, query: &[(String, String)], version: Microversion) -> ResponseTemplate {
        let mut records: Vec<&ActionRecord> = self.actions.get(id).into_iter().flatten().collect();
        records.reverse(); // newest first, as Nova lists them
        let get = |k: &str| query.iter().find(|(q, _)| q == k).map(|(_, v)| v.clone());
        let mut links = None;
        if version >= Microversion::new(2, 58) {
            if let Some(marker) = get("marker") {
                match records.iter().position(|a| a.request_id == marker) {
                    Some(i) => records = records.split_off(i + 1),
                    None => return fault(400, "badRequest", &format!("Marker {marker} could not be found.")),
                }
            }
            if let Some(limit) = get("limit").and_then(|l| l.parse::<usize>().ok())
                && records.len() > limit
                && limit > 0
            {
                records.truncate(limit);
                let last = &records[limit - 1].request_id;
                links = Some(vec![Link {
                    href: format!(
                        "{}/compute/v2.1/servers/{id}/os-instance-actions?limit={limit}&marker={last}",
                        self.base
                    ),
                    rel: "next".into(),
                    media_type: None,
                }]);
            }
        }
        let items = records.iter().map(|a| self.action_value(a, version, false)).collect();
        body(
            200,
            ops::list_instance_actions::Request::write_response(&Page::new(items, links), version),
        )
    }

    fn show_action(&self, id: &str, request_id: &str, version: Microversion) -> ResponseTemplate {
        match self
            .actions
            .get(id)
            .into_iter()
            .flatten()
            .find(|a| a.request_id == request_id)
        {
            Some(a) => body(
                200,
                ops::show_instance_action::Request::write_response(
                    &self.action_value(a, version, version >= Microversion::new(2, 51)),
                    version,
                ),
            ),
            None => fault(
                404,
                "itemNotFound",
                &format!("Action for request_id {request_id} on instance {id} not found"),
            ),
        }
    }
}

/// The fake's reading of Nova's regular-expression filters (`name`, `reservation_id`):
/// `^text$` with escapes (what the SDK sends) matches exactly, anything else as a substring.
enum NameFilter {
    Exact(String),
    Contains(String),
}

impl NameFilter {
    fn matches(&self, name: &str) -> bool {
        match self {
            NameFilter::Exact(n) => n == name,
            NameFilter::Contains(n) => name.contains(n.as_str()),
        }
    }
}

fn unescape_exact(pattern: &str) -> NameFilter {
    match pattern.strip_prefix('^').and_then(|p| p.strip_suffix('$')) {
        Some(inner) => {
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    out.extend(chars.next());
                } else {
                    out.push(c);
                }
            }
            NameFilter::Exact(out)
        }
        None => NameFilter::Contains(pattern.to_string()),
    }
}

#[allow(clippy::result_large_err)] // the error is the response to send; it is built once
fn version_of(req: &HttpRequest) -> Result<Microversion, ResponseTemplate> {
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
