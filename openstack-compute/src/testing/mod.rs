//! An embedded fake compute cloud for your own tests (feature `testing`): a stateful fake of
//! Keystone v3 and Nova on 127.0.0.1 (real HTTP, on wiremock) that the client talks to through
//! its normal path.
//!
//! What it does comes from the spec, not from code per operation:
//!
//! - Its routes are the operations' paths (`OperationInfo::paths`, and the action key for a
//!   resource's `/action`); a request is read and checked by the operation's own generated
//!   code (unknown fields, fields outside the microversion, value limits: a 400 as Nova
//!   answers), and the operation's range decides a 404.
//! - Every resource has a store of its own, which the operations on it read and change as
//!   Nova's REST conventions say (create, show, list with paging, update, delete; a map's keys,
//!   a set's members); an item Nova would fill in gets the defaults its resource file gives.
//!   A request field that names another resource's item (a server's `flavorRef`) is checked
//!   against that store.
//! - Servers follow Nova's state machine, as the operations' facts describe it: the statuses
//!   an operation starts from, the lock, a task in flight (404 or 409 with Nova's messages),
//!   what the server shows while it runs and where it ends, what it writes into the server,
//!   and the instance action it records.
//! - Every body is written by the operation's generated writer at the microversion asked
//!   for, so it has exactly the fields the spec says Nova sends there.
//!
//! Its time is its own: a server's transitions end at the first read of it after the call
//! (or after [`FakeCloudBuilder::transition_polls`] reads), and its timestamps start at
//! [`EPOCH`] and move with its clock, [`FakeCloud::clock`]. A wait given
//! [`FakeCloud::wait_options`] sleeps on that clock, which only advances it: a test of any
//! length runs at once, the same on any machine. ([`FakeCloudBuilder::transition_time`] makes
//! transitions take real time instead, for a test of the client's own timing.)
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use std::time::Duration;
//! use openstack_compute::testing::{self, FakeCloud};
//! use openstack_compute::types::{Networks, ServerStatus};
//! use openstack_compute::Compute;
//!
//! let cloud = FakeCloud::start().await;
//! let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
//! let wait = cloud.wait_options(Duration::from_secs(300));
//!
//! let created = compute
//!     .servers()
//!     .create("web-1", testing::IMAGE_ID, testing::FLAVOR_ID)
//!     .networks(Networks::Auto)
//!     .wait(wait.clone())
//!     .await
//!     .unwrap();
//! let server = compute.server(&created.server().id);
//! let stopped = server.stop().wait(wait.clone()).await.unwrap();
//! assert_eq!(stopped.server.status, ServerStatus::Shutoff);
//! server.delete().wait(wait).await.unwrap();
//! # }
//! ```
//!
//! Faults can be injected ([`FakeCloud::fail_next`], [`FakeCloud::fail_builds`],
//! [`FakeCloud::break_server`]), and items added ([`FakeCloud::add_server`],
//! [`FakeCloud::add_item`]).
//!
//! # What it is not
//!
//! It serves every operation of the spec the way the facts say, and no more. Where Nova's
//! behaviour lives in code the facts do not describe, the fake is simpler:
//!
//! - One project, one user (`demo`), one host; no policies (every call is allowed), no quotas (a
//!   create is never refused for lack of room), no scheduler (server-group policies are
//!   recorded, not enforced), no cells.
//! - Images, networks, ports and volumes are not checked (any ID is one, as in Nova's own
//!   fixtures); the flavors are Nova's six defaults plus what a test adds.
//! - List filters: a query parameter named as a field of the items is an unanchored
//!   regular-expression search on it, as Nova's database does for `name` (and `ip` is
//!   searched, not anchored as Nova's `re.match` does); range filters (`minRam`,
//!   `changes-since`) and sorting are ignored.
//! - A generated key pair gets a placeholder public key and no private key; a flavor's
//!   `swap` is stored as Nova shows it from 2.75 (`0`, not `""`), whatever the microversion;
//!   a public flavor has an access list.
//! - Events of an instance action finish together, when the server's transition does.

mod router;
mod server;
mod store;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use wiremock::matchers::{path, path_regex};
use wiremock::{Mock, MockServer, Request as HttpRequest, Respond, ResponseTemplate};

use self::router::{Route, Router};
use self::server::{Read, Servers};
use self::store::Stores;
use crate::config::ConfigBuilder;
use crate::microversion::Microversion;
use crate::operation::OperationInfo;
use crate::types::{ServerStatus, Timestamp};
use crate::wait::{Clock, WaitOptions};

/// The image every fake server is built from (any ID is accepted for rebuild and create).
pub const IMAGE_ID: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// The flavor the fake cloud starts with (`m1.tiny`), whose ID is what a server create names.
pub const FLAVOR_ID: &str = "1";
const USER_PASSWORD: &str = "demo-pw";
const PROJECT_ID: &str = "fake-project";
const USER_ID: &str = "fake-user";

/// What the fake cloud holds when it starts, by resource: items as Nova shows them.
const SEED: &str = include_str!("seed.json");

/// A clock a test drives: sleeping advances it at once, and every sleep is recorded. With
/// [`crate::WaitOptions::clock`], a wait runs without real time passing.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Mutex<Duration>,
    sleeps: Mutex<Vec<Duration>>,
}

impl ManualClock {
    /// How far the clock has moved since it started.
    pub fn now(&self) -> Duration {
        Clock::now(self)
    }

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
    epoch: SystemTime,
    hosts: u32,
}

impl Default for FakeCloudBuilder {
    /// Every microversion, hour-long tokens, and transitions that end at the first read of
    /// the server: with [`FakeCloud::wait_options`], a test of any length runs at once, the
    /// same on any machine.
    fn default() -> Self {
        FakeCloudBuilder {
            min: Microversion::MIN,
            max: Microversion::MAX,
            token_lifetime: Duration::from_secs(3600),
            transition: Transition::Polls(1),
            auto_confirm: false,
            epoch: default_epoch(),
            hosts: 2,
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

    /// How many compute hosts the fake places servers on (default 2, `compute1` and
    /// `compute2`, as the real sandbox): where server groups' policies take effect.
    pub fn hosts(mut self, hosts: u32) -> Self {
        self.hosts = hosts.max(1);
        self
    }

    /// Where the fake's time starts (default [`EPOCH`]): its timestamps are this plus its
    /// clock's reading.
    pub fn epoch(mut self, epoch: SystemTime) -> Self {
        self.epoch = epoch;
        self
    }

    /// Each operation takes this long of real time before the server reaches its end (a
    /// test of the client's own timing; the default ends at the first read instead).
    pub fn transition_time(mut self, time: Duration) -> Self {
        self.transition = Transition::After(time);
        self
    }

    /// Each operation ends after the server (or its actions) has been read this many times
    /// (default 1).
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
        let base = server.uri();
        let clock = ManualClock::new();
        let time = FakeTime {
            epoch: self.epoch,
            clock: clock.clone(),
        };
        let mut stores = Stores::new(time.clone());
        let seed: BTreeMap<String, Vec<Value>> = serde_json::from_str(SEED).expect("seed.json is JSON");
        for (resource, items) in seed {
            for (n, item) in items.into_iter().enumerate() {
                if let Err(e) = stores.insert(&resource, item, &base, n as u64) {
                    panic!("seed.json: {e}");
                }
            }
        }
        let state = Arc::new(Mutex::new(State {
            settings: self,
            router: Router::new(),
            servers: Servers::new(time),
            stores,
            tokens: BTreeMap::new(),
            inject: None,
            latency: Duration::ZERO,
            compute_requests: 0,
            tokens_issued: 0,
            counter: 0,
            base,
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
        FakeCloud { server, state, clock }
    }
}

/// A running fake cloud; stops when dropped.
pub struct FakeCloud {
    server: MockServer,
    state: Arc<Mutex<State>>,
    clock: Arc<ManualClock>,
}

/// Everything the fake holds.
struct State {
    settings: FakeCloudBuilder,
    router: Router,
    servers: Servers,
    stores: Stores,
    tokens: BTreeMap<String, Instant>,
    inject: Option<(u16, usize)>,
    latency: Duration,
    compute_requests: usize,
    tokens_issued: usize,
    /// Numbers request IDs and everything the fake makes up.
    counter: u64,
    base: String,
}

impl FakeCloud {
    /// A fake cloud with the default settings (every microversion, hour-long tokens,
    /// transitions that end at the first read).
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

    /// The fake's clock: a wait on it runs at once (its sleeps only advance it), and the
    /// fake's timestamps follow it.
    pub fn clock(&self) -> Arc<ManualClock> {
        self.clock.clone()
    }

    /// Options for a wait on this cloud: `max_wait` of the fake's time, on its clock, so no
    /// real time passes.
    pub fn wait_options(&self, max_wait: Duration) -> WaitOptions {
        WaitOptions::new(max_wait).clock(self.clock())
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
        let counter = s.counter;
        s.servers.add(name, ServerStatus::Active, counter)
    }

    /// Sets what a server keeps for its sub-resources, as Nova shows them: what the guest,
    /// Neutron or another client did. Each field is one a sub-resource of servers keeps in the
    /// server (`metadata`, `tags`, `addresses`, `security_groups`, `password`: the encrypted
    /// password the guest posted to the metadata service, and the lists of items
    /// `volume_attachments` and `interfaces`, each as Nova shows it at the newest
    /// microversion).
    ///
    /// ```no_run
    /// # async fn demo() {
    /// use openstack_compute::testing::FakeCloud;
    /// use serde_json::json;
    ///
    /// let cloud = FakeCloud::builder().start().await;
    /// let id = cloud.add_server("web-1");
    /// cloud
    ///     .update_server(&id, json!({"tags": ["web"], "password": "c2VjcmV0IGVuY3J5cHRlZA=="}))
    ///     .unwrap();
    /// # }
    /// ```
    ///
    /// An error names what is wrong: an unknown server, a field no sub-resource keeps, a value
    /// of the wrong kind (an object for a map, a list for a set or items). Nothing is set then.
    pub fn update_server(&self, id: &str, fields: Value) -> Result<(), String> {
        let mut s = self.lock();
        s.servers.settle(&Read::Nothing);
        s.servers.update(id, fields)
    }

    /// Adds an item of any resource but servers, as Nova shows it (the resource's defaults
    /// fill in what it leaves out): a flavor, a key pair, a project's access to a flavor, a
    /// server group, an availability zone. For a resource that answers one object (the
    /// project's limits, `{"absolute": .., "rate": []}`), the item added last is the answer.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// use openstack_compute::testing::FakeCloud;
    /// use serde_json::json;
    ///
    /// let cloud = FakeCloud::builder().start().await;
    /// cloud
    ///     .add_item("flavor", json!({"id": "gpu", "name": "g1.large", "ram": 65536, "vcpus": 16, "disk": 100,
    ///                                "extra_specs": {"resources:VGPU": "1"}}))
    ///     .unwrap();
    /// cloud.add_item("keypair", json!({"name": "ci"})).unwrap();
    /// # }
    /// ```
    ///
    /// An error names what is wrong: an unknown resource, an item that is no object or lacks
    /// its ID (or its parent's, for a sub-resource), an ID already taken.
    pub fn add_item(&self, resource: &str, item: Value) -> Result<(), String> {
        let mut s = self.lock();
        s.counter += 1;
        let (counter, base) = (s.counter, s.base.clone());
        s.stores.insert(resource, item, &base, counter)
    }

    /// The server's status (after any due transition), or `None` once it is gone.
    pub fn status(&self, id: &str) -> Option<ServerStatus> {
        let mut s = self.lock();
        s.servers.settle(&Read::Nothing);
        s.servers.status(id)
    }

    /// How many servers exist.
    pub fn server_count(&self) -> usize {
        let mut s = self.lock();
        s.servers.settle(&Read::Nothing);
        s.servers.count()
    }

    /// The next `count` compute requests answer `status` with a fault body.
    pub fn fail_next(&self, status: u16, count: usize) {
        self.lock().inject = Some((status, count));
    }

    /// Servers created from now on end in ERROR with this fault instead of ACTIVE (their
    /// `create` event fails).
    pub fn fail_builds(&self, message: &str) {
        self.lock().servers.fail_builds = Some(message.to_string());
    }

    /// The next operation on a server fails on the compute host: its event ends in error and
    /// the server goes to ERROR with this fault.
    pub fn fail_next_operation(&self, message: &str) {
        self.lock().servers.fail_next_operation = Some(message.to_string());
    }

    /// Every response is delayed by this much.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// The server goes to ERROR with this fault.
    pub fn break_server(&self, id: &str, message: &str) {
        self.lock().servers.break_server(id, message);
    }

    /// How many action POSTs the fake has accepted (answered 2xx).
    pub fn accepted_actions(&self) -> usize {
        self.lock().servers.action_posts
    }

    /// How many action POSTs reached the fake, whatever it answered.
    pub fn received_actions(&self) -> usize {
        self.lock().servers.action_posts_received
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
        self.lock().servers.recorded_actions(id)
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

/// A Nova fault body: `{name: {"message", "code"}}`.
fn fault(status: u16, name: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({name: {"message": message, "code": status}}))
}

/// Nova's 500 for an exception the controller neither maps nor declares (`expected_errors`).
fn unexpected_api_error(exception: &str) -> ResponseTemplate {
    fault(
        500,
        "computeFault",
        &format!("Unexpected API Error. Please contact the administrator\n<class 'nova.exception.{exception}'>"),
    )
}

fn not_found(message: &str) -> ResponseTemplate {
    fault(404, "itemNotFound", message)
}

fn body(status: u16, bytes: Vec<u8>) -> ResponseTemplate {
    if bytes.is_empty() {
        ResponseTemplate::new(status)
    } else {
        ResponseTemplate::new(status).set_body_raw(bytes, "application/json")
    }
}

fn now() -> Timestamp {
    Timestamp::from(SystemTime::now())
}

/// When the fake's own time starts: its timestamps are this plus its clock's reading
/// ([`FakeCloud::clock`]), so they move only as waits on that clock sleep, the same in
/// every run. [`FakeCloudBuilder::epoch`] sets another.
pub const EPOCH: &str = "2026-01-01T00:00:00Z";

/// The fake's time: its epoch plus its clock.
#[derive(Clone)]
pub(super) struct FakeTime {
    epoch: SystemTime,
    clock: Arc<ManualClock>,
}

impl FakeTime {
    pub(super) fn now(&self) -> Timestamp {
        Timestamp::from(self.epoch + self.clock.now())
    }
}

impl Default for FakeTime {
    fn default() -> Self {
        FakeTime {
            epoch: default_epoch(),
            clock: ManualClock::new(),
        }
    }
}

fn default_epoch() -> SystemTime {
    Timestamp::parse(EPOCH)
        .expect("the epoch is a timestamp")
        .to_system_time()
}

/// What one request is: its route, its body (under the key, for keyed bodies) and query.
pub(crate) struct Call<'a> {
    pub route: Route,
    pub version: Microversion,
    pub request_id: &'a str,
    /// The request's fields: the object under the body key, or the body itself.
    pub args: Value,
    /// The whole body (what lies beside the key too: a server's scheduler hints).
    pub body: Value,
    /// The fake's time when the request came.
    pub now: Timestamp,
    pub query: Vec<(String, String)>,
}

impl Call<'_> {
    pub(crate) fn info(&self) -> &'static OperationInfo {
        self.route.glue.info
    }

    /// The value of path parameter `name`.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.route
            .params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The response, written by the operation's own writer from `value` (and the `Location`
    /// header, for fields that live there): exactly what Nova sends at the version.
    pub(crate) fn respond(&self, value: &Value, location: Option<&str>) -> ResponseTemplate {
        let info = self.info();
        let status = info.status_at(self.version);
        let bytes = if value.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(value).unwrap_or_default()
        };
        match (self.route.glue.respond)(&bytes, location, self.version) {
            Ok(out) => {
                let mut response = body(status, out);
                if let Some(l) = location {
                    response = response.insert_header("location", l);
                }
                response
            }
            // The fake made a body its own spec does not accept: its bug, shown as Nova's 500.
            Err(e) => fault(500, "computeFault", &format!("fake cloud: {e}")),
        }
    }
}

impl State {
    fn handle(&mut self, req: &HttpRequest, request_id: &str) -> ResponseTemplate {
        let path = req.url.path().to_string();
        if path == "/identity/v3/auth/tokens" {
            return self.issue_token(req);
        }
        self.compute_requests += 1;
        let rest = path.trim_start_matches("/compute/v2.1");
        let segments: Vec<&str> = rest.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
        if req.method.as_str() == "POST" && segments.last() == Some(&"action") {
            self.servers.action_posts_received += 1;
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
        // A read of a server counts as a poll of its transition; a list reads every server.
        let read = match (req.method.as_str(), segments.as_slice()) {
            ("GET", ["servers"] | ["servers", "detail"]) => Read::Every,
            ("GET", ["servers", id, ..]) => Read::One(id.to_string()),
            _ => Read::Nothing,
        };
        self.servers.settle(&read);
        let parsed: Option<Value> = serde_json::from_slice(&req.body).ok();
        let route = match self
            .router
            .route(req.method.as_str(), &segments, parsed.as_ref(), version)
        {
            Ok(route) => route,
            Err(r) => return r,
        };
        let info = route.glue.info;
        if !info.range.contains(version) {
            return not_found("The resource could not be found.");
        }
        let query: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if let Err(message) = (route.glue.check)(&req.body, &query, version) {
            return fault(
                400,
                "badRequest",
                &format!("Invalid input for {}: {message}", info.name),
            );
        }
        let body = parsed.unwrap_or(Value::Null);
        let args = match info.request.key {
            Some(key) => body.get(key).cloned().unwrap_or(Value::Null),
            None => body.clone(),
        };
        let call = Call {
            route,
            version,
            request_id,
            args,
            body,
            now: self.stores.now(),
            query,
        };
        // Every request field that names another resource's item names one that exists.
        for r in info.references {
            let named = match r.field.strip_prefix('/') {
                Some(_) => call.body.pointer(r.field),
                None => call.args.get(r.field),
            };
            let Some(value) = named.and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }) else {
                continue;
            };
            if !self.stores.exists(r.resource, &value) {
                return fault(r.status, "badRequest", &r.message.replace("{}", &value));
            }
        }
        self.counter += 1;
        let response = if Servers::owns(info) {
            let counter = self.counter;
            self.servers
                .handle(&call, &mut self.stores, &self.settings, &self.base, counter)
        } else {
            self.stores.handle(&call, &self.base, self.counter)
        };
        response
            .insert_header("openstack-api-version", format!("compute {version}").as_str())
            .insert_header("x-openstack-nova-api-version", version.to_string().as_str())
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
            "project": {"id": PROJECT_ID, "name": "demo"},
            "user": {"id": USER_ID, "name": "demo"},
            "catalog": [{"type": "compute", "name": "nova", "endpoints": [
                {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": format!("{}/compute/v2.1", self.base)}
            ]}]
        }}))
    }
}

/// The `self` and `bookmark` links Nova gives an item at `path` (`servers/<id>`).
pub(crate) fn links(base: &str, path: &str) -> Value {
    json!([
        {"href": format!("{base}/compute/v2.1/{path}"), "rel": "self"},
        {"href": format!("{base}/compute/{path}"), "rel": "bookmark"},
    ])
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
