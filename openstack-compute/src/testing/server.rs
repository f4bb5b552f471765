//! Servers, which follow Nova's state machine: Nova behaviour of its own, read from each
//! operation's server facts (`OperationInfo::server`) and instance-action facts, never from
//! its name. An operation is checked as Nova checks it (the lock, then the status it may
//! start from, then a task in flight), shows what Nova shows while it runs, writes what its
//! facts say into the server, records its instance action, and ends where its facts say.
//! Answers are made of the server's own view, or of the request's fields, and written by the
//! operation's writer.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Map, Value, json};
use wiremock::ResponseTemplate;

use super::store::{
    ItemChange, Payload, Stores, expand, kept, kept_refusal, kept_until, message, resource, shaped, uuid,
};
use super::{
    Call, FakeCloudBuilder, IMAGE_ID, PROJECT_ID, Transition, USER_ID, fault, links, not_found, unexpected_api_error,
};
use crate::codec::Location;
use crate::microversion::Microversion;
use crate::operation::{
    ActionEvents, Answer, EndsIn, InstanceActionFacts, Method, OperationInfo, Paging, ResourceKind, Source, WhileBusy,
};
use crate::types::{
    Address, DiskConfig, EmbeddedFlavor, EmptyOr, Fault, FlavorRef, ImageRef, InstanceAction, InstanceActionEvent,
    Link, Nullable, SecurityGroupName, Server, ServerFlavor, ServerStatus, TaskState, Timestamp, VmState,
};

/// The servers, their instance actions, and the faults to inject into them.
pub(super) struct Servers {
    /// The fake's time, for what it stamps.
    time: super::FakeTime,
    servers: BTreeMap<String, FakeServer>,
    actions: BTreeMap<String, Vec<ActionRecord>>,
    pub(super) fail_builds: Option<String>,
    pub(super) fail_next_operation: Option<String>,
    pub(super) action_posts: usize,
    pub(super) action_posts_received: usize,
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
    /// The flavor it was built with (its ID).
    flavor: String,
    key_name: Option<String>,
    description: Option<String>,
    /// The fields its sub-resources keep in it (their `parent_field`: metadata, tags,
    /// addresses, security groups, password), as Nova shows them; the server resource's
    /// `defaults` to start with.
    kept: Map<String, Value>,
    fault: Option<(String, i64)>,
    created: Timestamp,
    updated: Timestamp,
    reservation_id: String,
    pending: Option<Pending>,
    /// The compute host it runs on (`compute1`, ...).
    host: String,
}

impl FakeServer {
    /// A field its sub-resources keep, as `T` (what the server's view shows of it).
    fn field<T: serde::de::DeserializeOwned + Default>(&self, name: &str) -> T {
        self.kept
            .get(name)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }
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
    /// What its sub-resources get when it ends (an attachment appears, a port goes), unless
    /// it fails.
    items: Vec<ItemChange>,
}

#[derive(Debug, Clone)]
struct ActionRecord {
    action: String,
    request_id: String,
    server_id: String,
    start: Timestamp,
    updated: Timestamp,
    /// Its events as the operation's facts name them: when each finished, and whether it
    /// failed.
    events: Vec<EventRecord>,
}

#[derive(Debug, Clone)]
struct EventRecord {
    name: &'static str,
    finish: Option<Timestamp>,
    failed: bool,
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

/// A filter Nova hands to its database's regular-expression operator (MySQL `REGEXP`,
/// PostgreSQL `~`, Python's `re.search` under sqlite): an unanchored search.
pub(super) fn searches(pattern: &str, text: &str) -> bool {
    regex_lite::Regex::new(pattern).is_ok_and(|re| re.is_match(text))
}

/// What a request reads, for transitions that end after so many polls.
pub(super) enum Read {
    Nothing,
    One(String),
    /// A list: every server.
    Every,
}

impl Servers {
    pub(super) fn new(time: super::FakeTime) -> Servers {
        Servers {
            time,
            servers: Default::default(),
            actions: Default::default(),
            fail_builds: None,
            fail_next_operation: None,
            action_posts: 0,
            action_posts_received: 0,
        }
    }

    /// Whether the server state machine answers the operation: the operations on servers and
    /// on what lives under them (instance actions, metadata, tags, ...). Every other resource
    /// is a plain store.
    pub(super) fn owns(info: &OperationInfo) -> bool {
        info.resource.name == "server" || info.resource.parent == Some("server")
    }

    /// The scheduler, as far as server groups go: the host a new server lands on, or `None`
    /// where its group's policy leaves none (Nova's NoValidHost). A hard policy holds
    /// (`affinity`: the members' host; `anti-affinity`: a host with fewer members than its
    /// `max_server_per_host`, 1 by default); a soft one prefers; and the server joins the
    /// group. Without a group, servers spread over the hosts.
    fn place(&self, call: &Call<'_>, stores: &mut Stores, hosts: u32, n: u64) -> Option<String> {
        let host = |i: u32| format!("compute{}", i + 1);
        let group_id = ["/os:scheduler_hints/group", "/OS-SCH-HNT:scheduler_hints/group"]
            .iter()
            .find_map(|p| call.body.pointer(p))
            .and_then(Value::as_str);
        let Some(group) = group_id.and_then(|g| stores.items_mut("server_group").find(|v| v["id"] == g)) else {
            return Some(host((n % u64::from(hosts)) as u32));
        };
        let policy = group
            .get("policy")
            .or_else(|| group.pointer("/policies/0"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let per_host = group
            .pointer("/rules/max_server_per_host")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        let on = |h: &str| {
            group["members"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|m| self.servers.get(*m).is_some_and(|s| s.host == h))
                .count() as u64
        };
        let all: Vec<String> = (0..hosts).map(host).collect();
        let emptiest = all.iter().min_by_key(|h| on(h)).cloned();
        let fullest = all.iter().max_by_key(|h| on(h)).cloned();
        let chosen = match policy.as_str() {
            "affinity" => fullest,
            "soft-affinity" => fullest,
            "anti-affinity" => emptiest.filter(|h| on(h) < per_host),
            _ => emptiest,
        };
        if chosen.is_some()
            && let Some(members) = group["members"].as_array_mut()
        {
            members.push(Value::String(uuid(n)));
        }
        chosen
    }

    fn new_server(&mut self, name: &str, status: ServerStatus, counter: u64) -> FakeServer {
        let t = self.time.now();
        let id = uuid(counter);
        let server = resource("server");
        let kept = server
            .map(|r| r.defaults)
            .unwrap_or_default()
            .iter()
            .map(|(field, template)| {
                let path = format!("servers/{id}");
                (
                    (*field).to_string(),
                    expand(template, counter, "", &path, &serde_json::Map::new(), &[], &t),
                )
            })
            .collect();
        FakeServer {
            id,
            name: name.to_string(),
            launched: status != ServerStatus::Build,
            status,
            task_state: None,
            locked: false,
            locked_reason: None,
            image: IMAGE_ID.into(),
            flavor: super::FLAVOR_ID.into(),
            host: "compute1".into(),
            key_name: None,
            description: None,
            kept,
            fault: None,
            created: t.clone(),
            updated: t,
            reservation_id: format!("r-{counter:08x}"),
            pending: None,
        }
    }

    pub(super) fn add(&mut self, name: &str, status: ServerStatus, counter: u64) -> String {
        let server = self.new_server(name, status, counter);
        let id = server.id.clone();
        self.servers.insert(id.clone(), server);
        id
    }

    /// Sets fields the server keeps for its sub-resources (`FakeCloud::update_server`): each
    /// one some sub-resource's `parent_field`, of its kind (a map, a list, a value).
    pub(super) fn update(&mut self, id: &str, fields: Value) -> Result<(), String> {
        let srv = self
            .servers
            .get_mut(id)
            .ok_or_else(|| format!("there is no server `{id}`"))?;
        let Value::Object(fields) = fields else {
            return Err("the fields must be a JSON object".into());
        };
        let kept_here: Vec<&str> = srv.kept.keys().map(String::as_str).collect();
        for (field, value) in &fields {
            let fits = match kept_by_server(field).map(|r| r.kind) {
                Some(ResourceKind::Map) => value.is_object(),
                Some(ResourceKind::Set) => value.is_array(),
                Some(ResourceKind::Value) => !value.is_null(),
                Some(ResourceKind::Collection) => {
                    value.as_array().is_some_and(|items| items.iter().all(Value::is_object))
                }
                None => {
                    return Err(format!(
                        "`{field}` is none of the fields a server keeps for its sub-resources ({})",
                        kept_here.join(", ")
                    ));
                }
            };
            if !fits {
                return Err(format!("`{field}`: {value} is not what the server keeps there"));
            }
        }
        srv.kept.extend(fields);
        srv.updated = self.time.now();
        Ok(())
    }

    pub(super) fn status(&self, id: &str) -> Option<ServerStatus> {
        self.servers.get(id).map(|s| s.status.clone())
    }

    pub(super) fn count(&self) -> usize {
        self.servers.len()
    }

    pub(super) fn break_server(&mut self, id: &str, message: &str) {
        if let Some(srv) = self.servers.get_mut(id) {
            srv.status = ServerStatus::Error;
            srv.task_state = None;
            srv.pending = None;
            srv.fault = Some((message.to_string(), 500));
        }
    }

    pub(super) fn recorded_actions(&self, id: &str) -> Vec<(String, String)> {
        self.actions
            .get(id)
            .into_iter()
            .flatten()
            .map(|a| (a.action.clone(), a.request_id.clone()))
            .collect()
    }

    /// Completes what is due; a read of `read` (a server ID) counts as a poll of it.
    pub(super) fn settle(&mut self, read: &Read) {
        let now = self.time.now();
        let mut deleted = Vec::new();
        for srv in self.servers.values_mut() {
            let Some(p) = &mut srv.pending else { continue };
            let polled = match read {
                Read::Every => true,
                Read::One(id) => *id == srv.id,
                Read::Nothing => false,
            };
            if let (Due::Polls(n), true) = (&mut p.due, polled) {
                *n = n.saturating_sub(1);
            }
            if !p.due.passed() {
                continue;
            }
            let p = srv.pending.take().expect("pending");
            srv.task_state = None;
            srv.updated = self.time.now();
            if p.error.is_none() {
                for change in p.items {
                    change.apply(&mut srv.kept);
                }
            }
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
                for e in a.events.iter_mut().filter(|e| e.finish.is_none()) {
                    e.finish = Some(now.clone());
                    e.failed = errored;
                    a.updated = now.clone();
                }
            }
        }
    }

    /// One request on servers or their instance actions.
    pub(super) fn handle(
        &mut self,
        call: &Call<'_>,
        stores: &mut Stores,
        settings: &FakeCloudBuilder,
        base: &str,
        counter: u64,
    ) -> ResponseTemplate {
        let info = call.info();
        let id = call.param("server_id").map(str::to_string);
        if info.resource.name == "instance_action" {
            let Some(id) = id else {
                return not_found("The resource could not be found.");
            };
            if !self.servers.contains_key(&id) && !self.actions.contains_key(&id) {
                return not_found(&format!("Instance {id} could not be found."));
            }
            return match call.param("request_id") {
                Some(request_id) => self.show_action(call, &id, request_id),
                None => self.list_actions(call, &id, base),
            };
        }
        match (info.method, id) {
            (Method::Post, None) => self.create(call, stores, settings, base, counter),
            (Method::Get, None) => self.list(call, stores, base),
            (_, Some(id)) if !self.servers.contains_key(&id) => {
                not_found(&format!("Instance {id} could not be found."))
            }
            (Method::Get, Some(id)) => {
                let srv = self.servers[&id].clone();
                self.answer(call, &srv, stores, base, counter)
            }
            (_, Some(id)) => self.operate(call, &id, stores, settings, base, counter),
            (_, None) => not_found("The resource could not be found."),
        }
    }

    fn create(
        &mut self,
        call: &Call<'_>,
        stores: &mut Stores,
        settings: &FakeCloudBuilder,
        base: &str,
        counter: u64,
    ) -> ResponseTemplate {
        let info = call.info();
        let args = &call.args;
        let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
        let count = |k: &str| {
            args.get(k)
                .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                .unwrap_or(1)
        };
        // Nova builds `max_count` servers when the quota allows (the fake's always does).
        let count = count("max_count").max(count("min_count")).max(1);
        let reservation = format!("r-{counter:08x}");
        let mut first = None;
        for i in 0..count {
            let name = text("name").unwrap_or_default();
            let name = if count > 1 { format!("{name}-{}", i + 1) } else { name };
            let mut srv = self.new_server(&name, ServerStatus::Build, counter * 1000 + i);
            srv.reservation_id = reservation.clone();
            srv.task_state = Some(TaskState::Scheduling);
            srv.description = text("description");
            srv.key_name = text("key_name");
            for (field, given) in [
                ("tags", args.get("tags").filter(|t| t.is_array())),
                ("metadata", args.get("metadata").filter(|m| m.is_object())),
            ] {
                if let Some(value) = given {
                    srv.kept.insert(field.into(), value.clone());
                }
            }
            if let Some(image) = text("imageRef").filter(|i| !i.is_empty()) {
                srv.image = image;
            }
            if let Some(flavor) = args.get("flavorRef") {
                srv.flavor = flavor.as_str().map_or_else(|| flavor.to_string(), str::to_string);
            }
            let placed = self.place(call, stores, settings.hosts, counter * 1000 + i);
            srv.host = placed.clone().unwrap_or_default();
            srv.pending = Some(Pending {
                due: Due::new(settings.transition),
                status: Some(ServerStatus::Active),
                delete: false,
                error: self.fail_builds.clone().or_else(|| {
                    placed
                        .is_none()
                        .then(|| "No valid host was found. There are not enough hosts available.".to_string())
                }),
                items: Vec::new(),
            });
            if let Some(created) = info.instance_action {
                self.record(&srv.id, &created, call.request_id, call.version, &ServerStatus::Build);
            }
            first.get_or_insert_with(|| srv.id.clone());
            self.servers.insert(srv.id.clone(), srv);
        }
        let id = first.expect("at least one server");
        let reservation_only = args
            .get("return_reservation_id")
            .is_some_and(|b| b.as_bool() == Some(true) || b.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true")));
        let answer = if reservation_only {
            json!({ "reservation_id": reservation })
        } else {
            json!({ "server": {
                "id": id,
                "links": links(base, &format!("servers/{id}")),
                "OS-DCF:diskConfig": "MANUAL",
                "security_groups": [{"name": "default"}],
                "adminPass": format!("fake-pass-{counter}"),
            }})
        };
        let location = format!("{base}/compute/v2.1/servers/{id}");
        call.respond(&answer, None).insert_header("location", location.as_str())
    }

    /// Records the instance action of a call at `version` on a server in `status`, with the
    /// events Nova records there: the API's finished at once, the others when the work ends.
    fn record(
        &mut self,
        server_id: &str,
        facts: &InstanceActionFacts,
        request_id: &str,
        version: Microversion,
        status: &ServerStatus,
    ) {
        let t = self.time.now();
        self.actions
            .entry(server_id.to_string())
            .or_default()
            .push(ActionRecord {
                action: facts.name.to_string(),
                request_id: request_id.to_string(),
                server_id: server_id.to_string(),
                start: t.clone(),
                updated: t.clone(),
                events: facts
                    .recorded
                    .iter()
                    .filter(|e| e.recorded_at(version, status))
                    .map(|e| EventRecord {
                        name: e.name,
                        // The API's own, and all of them where the API waits for the host.
                        finish: (e.name.starts_with("api_") || facts.events != ActionEvents::Compute)
                            .then(|| t.clone()),
                        failed: false,
                    })
                    .collect(),
            });
    }

    /// Any operation on one server that changes it, by its facts.
    fn operate(
        &mut self,
        call: &Call<'_>,
        id: &str,
        stores: &mut Stores,
        settings: &FakeCloudBuilder,
        base: &str,
        counter: u64,
    ) -> ResponseTemplate {
        let info = call.info();
        // Where the facts hold only for some requests (a volume swap, not a change of the
        // attachment's own fields), a request they do not hold for checks and records nothing.
        let holds = info.server_facts_when.is_none_or(|w| {
            let field = call.args.get(w.field).and_then(Value::as_str);
            w.holds(call.version, field, call.param(w.param))
        });
        if let (true, Some((status, template))) = (holds, info.server_facts_when.and_then(|w| w.refused)) {
            let name = if status == 409 {
                "conflictingRequest"
            } else {
                "badRequest"
            };
            return fault(status, name, &message(template, call));
        }
        let server = info.server.filter(|_| holds);
        let instance_action = info.instance_action.filter(|_| holds);
        let name = server.map_or(info.name, |s| s.conflict_name);
        if info.never_succeeds {
            return fault(
                info.status_at(call.version),
                "computeFault",
                "This action is not available.",
            );
        }
        let srv = self.servers[id].clone();
        let args = &call.args;
        // An item the call names that the server does not have: Nova's 404 before anything.
        if let Some(refused) = kept_refusal(call, info.resource, &srv.kept, true) {
            return refused;
        }
        // The facts of this request (a SOFT reboot's, not a HARD one's).
        let facts = server.and_then(|s| s.status.as_ref()).map(|f| {
            let value = f.by_request.and_then(|by| args.get(by.field)).and_then(Value::as_str);
            f.for_value(value)
        });
        // Work the compute host does after the answer, for this call (the host's events it
        // records from this status at this microversion): the server's transition, whose end
        // is when its sub-resource's item appears or goes.
        let on_host = instance_action.is_some_and(|a| {
            a.events == ActionEvents::Compute
                && a.recorded
                    .iter()
                    .any(|e| e.recorded_at(call.version, &srv.status) && !e.name.starts_with("api_"))
        });
        // Nova's order: the lock, then the status (vm_state), then the task in flight.
        if srv.locked
            && let Some(status) = server.and_then(|s| s.lock_checked)
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
        if info.action.is_some() {
            self.action_posts += 1;
        }
        // Nova answers, but leaves the server as it is and records nothing, where the facts
        // say (the owner locks a locked server again; a delete while deleting).
        let noop = server.is_some_and(|s| {
            s.noop_when
                .iter()
                .any(|(field, value)| field_value(&srv, field) == serde_json::from_str::<Value>(value).ok())
        });
        if noop {
            return self.answer(call, &srv, stores, base, counter);
        }
        // An item a create names that is there already: refused before anything is recorded.
        if let Some(refused) = kept_refusal(call, info.resource, &srv.kept, false) {
            return refused;
        }
        if let Some(a) = instance_action {
            self.record(id, &a, call.request_id, call.version, &srv.status);
        }
        let failure = if facts.is_some() {
            self.fail_next_operation.take()
        } else {
            None
        };
        let entry = self.servers.get_mut(id).expect("checked above");
        // What the operation writes into the server, beyond its status.
        for (field, source) in server.map_or(&[][..], |s| s.sets) {
            let value = match source {
                Source::Request(f) => match args.get(*f) {
                    Some(v) => v.clone(),
                    None => continue,
                },
                Source::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
                Source::Param(p) => call.param(p).map_or(Value::Null, |v| Value::String(v.into())),
            };
            set_field(entry, field, value);
        }
        entry.updated = self.time.now();
        // What a transition in flight would give the server's sub-resources: given by the one
        // that replaces it.
        let carried = entry
            .pending
            .as_mut()
            .map(|p| std::mem::take(&mut p.items))
            .unwrap_or_default();
        if let Some(f) = facts {
            let previous = entry.status.clone();
            let start_task = f.task_states.first().cloned();
            match f.ends_in {
                // Work the API does before it answers (reset state): the status is where it
                // ends, and no task is left in flight, the one it replaced included.
                EndsIn::Statuses(targets)
                    if f.task_states.is_empty()
                        && instance_action.is_some_and(|a| a.events != ActionEvents::Compute) =>
                {
                    if let Some(end) = targets.first() {
                        entry.status = end.clone();
                    }
                    entry.task_state = None;
                    entry.pending = None;
                }
                EndsIn::Statuses(targets) => {
                    let mut end = targets.iter().find(|s| **s == previous).or(targets.first()).cloned();
                    if settings.auto_confirm && !f.auto_confirmed.is_empty() {
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
                        due: Due::new(settings.transition),
                        status: end,
                        delete: false,
                        error: failure,
                        items: Vec::new(),
                    });
                }
                EndsIn::Unchanged if start_task.is_some() || on_host => {
                    entry.task_state = start_task;
                    entry.pending = Some(Pending {
                        due: Due::new(settings.transition),
                        status: None,
                        delete: false,
                        error: failure,
                        items: Vec::new(),
                    });
                }
                EndsIn::Unchanged => {}
                EndsIn::Deleted => {
                    // A deleted server leaves its server groups.
                    for group in stores.items_mut("server_group") {
                        if let Some(members) = group["members"].as_array_mut() {
                            members.retain(|m| m != id);
                        }
                    }
                    entry.task_state = Some(TaskState::Deleting);
                    entry.pending = Some(Pending {
                        due: Due::new(settings.transition),
                        status: None,
                        delete: true,
                        error: None,
                        items: Vec::new(),
                    });
                }
            }
        }
        match entry.pending.as_mut() {
            Some(p) => p.items.splice(0..0, carried).for_each(drop),
            None => carried.into_iter().for_each(|c| c.apply(&mut entry.kept)),
        }
        // What the server keeps for a sub-resource (its metadata, tags, volume attachments,
        // ...): changed by the stores' logic for maps, sets, values and items; an item the
        // call names appears (or goes) when its work on the host ends.
        if info.resource.parent_field.is_some() {
            let defer = on_host && info.item_ends.is_some() && entry.pending.is_some();
            let (answer, change) = kept_until(call, info.resource, &mut entry.kept, base, counter, defer);
            if let (Some(change), Some(p)) = (change, entry.pending.as_mut()) {
                p.items.push(change);
            }
            return answer;
        }
        let snapshot = entry.clone();
        self.answer(call, &snapshot, stores, base, counter)
    }

    /// The answer of an operation on one server: the server's own view, or what the
    /// response's fields are made of.
    fn answer(&self, call: &Call<'_>, srv: &FakeServer, stores: &Stores, base: &str, counter: u64) -> ResponseTemplate {
        let info = call.info();
        // What the server keeps for a sub-resource (its metadata, tags, addresses, ...): read
        // by the stores' logic for maps, sets and values.
        if info.resource.parent_field.is_some() {
            return kept(call, info.resource, &mut srv.kept.clone(), base, counter);
        }
        let Answer::Body(shape) = info.answer else {
            return call.respond(&Value::Null, None);
        };
        if matches!(shape.of, Some("Server" | "ServerSummary")) {
            let view = self.view(srv, stores, call, base);
            return call.respond(&shaped(info, Payload::Item(view)), None);
        }
        // Made up from the request's fields of the same name, else a value of Nova's kind:
        // an ID for an `..id`, a URL for a `url`, text for the rest (an admin password, a
        // console's output).
        let mut fields = Map::new();
        let mut location = None;
        for f in shape.fields.iter().filter(|f| f.range.contains(call.version)) {
            let made_up = || {
                if f.json == "url" {
                    Value::String(format!("{base}/console?token=fake-{counter}"))
                } else if f.json.ends_with("_id") || f.json.ends_with("Id") || f.json == "id" {
                    Value::String(uuid(counter))
                } else {
                    Value::String(format!("fake-{}-{counter}", f.json))
                }
            };
            let value = call.args.get(f.json).cloned().unwrap_or_else(made_up);
            match f.location {
                Location::Header => location = Some(format!("{base}/images/{}", uuid(counter))),
                _ => {
                    fields.insert(f.json.into(), value);
                }
            }
        }
        let value = match shape.wrap {
            Some(key) => json!({ key: fields }),
            None => Value::Object(fields),
        };
        call.respond(&value, location.as_deref())
    }

    /// The server as Nova shows it at the call's microversion; the operation's writer keeps
    /// what its view has there.
    fn view(&self, srv: &FakeServer, stores: &Stores, call: &Call<'_>, base: &str) -> Value {
        let version = call.version;
        let path = |kind: &str, id: &str| links(base, &format!("{kind}/{id}"));
        let bookmark = |kind: &str, id: &str| -> Vec<Link> {
            serde_json::from_value::<Vec<Link>>(path(kind, id))
                .unwrap_or_default()
                .into_iter()
                .skip(1)
                .collect()
        };
        // Before 2.47 the server names its flavor; from 2.47 it embeds what it was built with.
        let flavor = if version >= Microversion::new(2, 47) {
            let item = stores.get("flavor", &srv.flavor).cloned().unwrap_or(Value::Null);
            let number = |k: &str| item.get(k).and_then(Value::as_i64).unwrap_or(0);
            ServerFlavor::Embedded(EmbeddedFlavor {
                vcpus: number("vcpus"),
                ram: number("ram"),
                disk: number("disk"),
                ephemeral: number("OS-FLV-EXT-DATA:ephemeral"),
                swap: number("swap"),
                original_name: item.get("name").and_then(Value::as_str).unwrap_or_default().into(),
                extra_specs: Some(
                    item.get("extra_specs")
                        .and_then(|specs| serde_json::from_value(specs.clone()).ok())
                        .unwrap_or_default(),
                ),
            })
        } else {
            ServerFlavor::Ref(FlavorRef {
                id: srv.flavor.clone(),
                links: bookmark("flavors", &srv.flavor),
            })
        };
        let power = match srv.status {
            ServerStatus::Active | ServerStatus::Rescue | ServerStatus::VerifyResize => 1,
            ServerStatus::Paused => 3,
            ServerStatus::Suspended => 7,
            ServerStatus::Build => 0,
            _ => 4,
        };
        // Nova's basic view (rebuild and update before 2.75, which show no `vm_state`) gives
        // addresses without their MAC and type (`_get_addresses(extend_address=False)`).
        let basic = info_lacks(call.info(), "OS-EXT-STS:vm_state", version);
        let nullable = |v: Option<String>| v.map_or(Nullable::Null, Nullable::Value);
        let server = Server {
            id: srv.id.clone(),
            name: Nullable::Value(srv.name.clone()),
            status: srv.status.clone(),
            tenant_id: PROJECT_ID.into(),
            user_id: Some(USER_ID.into()),
            created: srv.created.clone(),
            updated: Some(srv.updated.clone()),
            host_id: Some("fake-host-id".into()),
            access_ipv4: Some(String::new()),
            access_ipv6: Some(String::new()),
            addresses: Some(
                srv.field::<BTreeMap<String, Vec<Address>>>("addresses")
                    .into_iter()
                    .map(|(network, list)| {
                        let list = list
                            .into_iter()
                            .map(|a| Address {
                                mac_addr: a.mac_addr.filter(|_| !basic),
                                ip_type: a.ip_type.filter(|_| !basic),
                                ..a
                            })
                            .collect();
                        (network, list)
                    })
                    .collect(),
            ),
            flavor: Some(flavor),
            image: Some(EmptyOr::Value(ImageRef {
                id: srv.image.clone(),
                links: Some(bookmark("images", &srv.image)),
                properties: (version >= Microversion::new(2, 98)).then(BTreeMap::new),
            })),
            links: serde_json::from_value(path("servers", &srv.id)).unwrap_or_default(),
            metadata: Some(srv.field("metadata")),
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
            key_name: nullable(srv.key_name.clone()),
            availability_zone: Some("nova".into()),
            power_state: Nullable::Value(power),
            task_state: srv.task_state.clone().map_or(Nullable::Null, Nullable::Value),
            vm_state: Nullable::Value(vm_state(&srv.status)),
            volumes_attached: Some(Vec::new()),
            launched_at: Nullable::Value(srv.created.clone()),
            terminated_at: Nullable::Null,
            // Absent when the server is in none.
            security_groups: Some(srv.field::<Vec<SecurityGroupName>>("security_groups")).filter(|g| !g.is_empty()),
            // The fake has no policies: it shows what an admin sees.
            host: Nullable::Value(srv.host.clone()),
            hypervisor_hostname: Nullable::Value(srv.host.clone()),
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
            tags: Some(srv.field("tags")),
            user_data: None,
            trusted_image_certificates: Nullable::Null,
            server_groups: Some(Vec::new()),
            locked_reason: nullable(srv.locked_reason.clone()),
            pinned_availability_zone: Nullable::Null,
            scheduler_hints: Some(BTreeMap::new()),
        };
        serde_json::to_value(&server).unwrap_or(Value::Null)
    }

    fn list(&self, call: &Call<'_>, stores: &Stores, base: &str) -> ResponseTemplate {
        let info = call.info();
        let get = |k: &str| {
            call.query
                .iter()
                .filter(|(q, _)| q == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        let name = get("name").first().map(|n| n.to_string());
        let statuses = get("status");
        let reservation = get("reservation_id").first().map(|r| r.to_string());
        let mut servers: Vec<&FakeServer> = self
            .servers
            .values()
            .filter(|s| name.as_ref().is_none_or(|n| searches(n, &s.name)))
            .filter(|s| reservation.as_ref().is_none_or(|r| searches(r, &s.reservation_id)))
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
        let path = info.path_at(call.version);
        let next = (servers.len() > limit).then(|| {
            servers.truncate(limit);
            let last = &servers[limit - 1].id;
            json!([{
                "href": format!("{base}/compute/v2.1{path}?limit={limit}&marker={last}"),
                "rel": "next",
            }])
        });
        // A summary of a server in a healthy cell is its ID, name and links (its status is
        // shown only for a cell that is down, from 2.69).
        let summary = info.response().is_some_and(|r| r.of == Some("ServerSummary"));
        let items = servers
            .iter()
            .map(|s| {
                if summary {
                    json!({"id": s.id, "name": s.name, "links": links(base, &format!("servers/{}", s.id))})
                } else {
                    self.view(s, stores, call, base)
                }
            })
            .collect();
        call.respond(&shaped(info, Payload::Items(items, next)), None)
    }

    fn action_value(&self, a: &ActionRecord, version: Microversion, events: bool) -> Value {
        let action = InstanceAction {
            action: a.action.clone(),
            instance_uuid: a.server_id.clone(),
            message: None,
            project_id: Some(PROJECT_ID.into()),
            request_id: a.request_id.clone(),
            start_time: a.start.clone(),
            user_id: Some(USER_ID.into()),
            updated_at: (version >= Microversion::new(2, 58)).then(|| a.updated.clone()),
            events: if events {
                a.events
                    .iter()
                    .map(|e| InstanceActionEvent {
                        event: e.name.to_string(),
                        start_time: a.start.clone(),
                        finish_time: e.finish.clone(),
                        result: e
                            .finish
                            .as_ref()
                            .map(|_| if e.failed { "Error" } else { "Success" }.to_string()),
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
        };
        serde_json::to_value(&action).unwrap_or(Value::Null)
    }

    fn list_actions(&self, call: &Call<'_>, id: &str, base: &str) -> ResponseTemplate {
        let info = call.info();
        let version = call.version;
        let mut records: Vec<&ActionRecord> = self.actions.get(id).into_iter().flatten().collect();
        records.reverse(); // newest first, as Nova lists them
        let get = |k: &str| call.query.iter().find(|(q, _)| q == k).map(|(_, v)| v.clone());
        let mut links = None;
        if matches!(info.paging, Some(Paging::Marker { since }) if version >= since) {
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
                links = Some(json!([{
                    "href": format!("{base}/compute/v2.1/servers/{id}/os-instance-actions?limit={limit}&marker={last}"),
                    "rel": "next",
                }]));
            }
        }
        let items = records.iter().map(|a| self.action_value(a, version, false)).collect();
        call.respond(&shaped(info, Payload::Items(items, links)), None)
    }

    fn show_action(&self, call: &Call<'_>, id: &str, request_id: &str) -> ResponseTemplate {
        let version = call.version;
        match self
            .actions
            .get(id)
            .into_iter()
            .flatten()
            .find(|a| a.request_id == request_id)
        {
            Some(a) => {
                let value = self.action_value(a, version, version >= Microversion::new(2, 51));
                call.respond(&shaped(call.info(), Payload::Item(value)), None)
            }
            None => not_found(&format!(
                "Action for request_id {request_id} on instance {id} not found"
            )),
        }
    }
}

/// The sub-resource of servers kept in the server's `field` (`tags`: the server's tags).
fn kept_by_server(field: &str) -> Option<&'static crate::operation::ResourceInfo> {
    crate::generated::OPERATIONS
        .iter()
        .map(|op| op.resource)
        .find(|r| r.parent == Some("server") && r.parent_field == Some(field))
}

/// Whether the operation's view lacks `field` at `version` (Nova's basic server view).
fn info_lacks(info: &OperationInfo, field: &str, version: Microversion) -> bool {
    info.response().is_some_and(|shape| {
        !shape
            .fields
            .iter()
            .any(|f| f.json == field && f.range.contains(version))
    })
}

/// A field of the server, as JSON (what `noop_when` compares).
fn field_value(srv: &FakeServer, field: &str) -> Option<Value> {
    Some(match field {
        "locked" => Value::Bool(srv.locked),
        "task_state" => srv
            .task_state
            .as_ref()
            .map_or(Value::Null, |t| Value::String(t.as_str().into())),
        "status" => Value::String(srv.status.as_str().into()),
        _ => return None,
    })
}

/// Writes `value` into the server's `field` (what `sets` names).
fn set_field(srv: &mut FakeServer, field: &str, value: Value) {
    let text = |v: &Value| v.as_str().map(str::to_string);
    match field {
        "locked" => srv.locked = value.as_bool().unwrap_or(false),
        "locked_reason" => srv.locked_reason = text(&value),
        "name" => srv.name = text(&value).unwrap_or_default(),
        "description" => srv.description = text(&value),
        "image" => srv.image = text(&value).unwrap_or_default(),
        "status" => {
            if let Some(s) = text(&value).and_then(|s| s.parse::<ServerStatus>().ok()) {
                srv.status = s;
            }
        }
        // A field its sub-resources keep (rebuild's `metadata`), as sent.
        _ if srv.kept.contains_key(field) => {
            srv.kept.insert(field.into(), value);
        }
        _ => {}
    }
}
