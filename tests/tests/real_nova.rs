//! The SDK against the real Nova 34.0.0 and Keystone 30.0.0: servers created, listed, updated
//! and deleted with the SDK at the microversions where their requests change, every action the
//! fake virt driver supports with the SDK's waiters, and the auth chain. Not part of
//! `cargo test`: `scripts/real-nova.sh` starts the sandboxes and runs it, or against any cloud
//! with the sandbox's test data:
//!
//! ```sh
//! NOVA_URL=... KEYSTONE_URL=... OS_CLIENT_CONFIG_FILE=clouds.yaml OS_CLOUD=member-cloud \
//!   OS_CLOUD_ADMIN=admin-cloud cargo test -p tests --test real_nova -- --test-threads 1
//! ```
//!
//! Without `NOVA_URL` every test fails (it never passes silently). One thread: the auth test
//! revokes the member's tokens in Keystone, which would fail the other tests' calls made in
//! the same second (Keystone compares revocation times at one-second precision).

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use openstack_compute::ops::{create_server, rebuild, show_server};
use openstack_compute::spec::OPERATIONS;
use openstack_compute::types::{
    BdmDestinationType, BdmSourceType, BlockDeviceMappingV2, BlockMigration, InstanceAction, Integerish, Network,
    Networks, Nullable, Personality, RebootType, RemoteConsoleProtocol, RemoteConsoleType, ResetStateTarget,
    ServerFlavor, ServerSortKey, ServerStatus, SortDir,
};
use openstack_compute::{
    Compute, Config, Error, ErrorKind, Method, Microversion, ResponseMeta, ServerHandle, VersionRange, WaitOptions,
};
use serde_json::{Value, json};

/// The sandbox's images, network and flavor (its README's fixed test data).
const IMAGE: &str = "155d900f-4e14-4e4c-a73d-069cbf4541e6";
const NETWORK: &str = "3cb9bc59-5699-4588-a4b1-b87f96708bc6";
const FLAVOR: &str = "1";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/real-nova.sh (see the module docs)"))
}

fn cloud(name_var: &str, default: &str) -> Config {
    let _ = env("NOVA_URL");
    let name = std::env::var(name_var).unwrap_or_else(|_| default.to_string());
    Config::from_cloud(&name).unwrap_or_else(|e| panic!("cloud {name}: {e}"))
}

fn member() -> Compute {
    Compute::new(cloud("OS_CLOUD", "sandbox-demo")).unwrap()
}

fn admin() -> Compute {
    Compute::new(cloud("OS_CLOUD_ADMIN", "sandbox-admin")).unwrap()
}

fn v(text: &str) -> Microversion {
    text.parse().unwrap()
}

fn opts() -> WaitOptions {
    WaitOptions::new(Duration::from_secs(180))
        .initial_interval(Duration::from_millis(200))
        .max_interval(Duration::from_secs(2))
}

/// Deletes the servers an earlier, failed run of a test left behind (names starting `prefix`).
async fn remove_leftovers(compute: &Compute, prefix: &str) {
    let leftovers = compute
        .servers()
        .list()
        .name(format!("^{prefix}"))
        .collect()
        .await
        .unwrap();
    for s in leftovers {
        compute.server(s.id).delete().wait(opts()).await.unwrap();
    }
}

/// A new ACTIVE server named `name`, created with the SDK.
async fn new_server(compute: &Compute, name: &str) -> ServerHandle {
    remove_leftovers(compute, name).await;
    let created = compute
        .servers()
        .create(name, IMAGE, FLAVOR)
        .networks(Networks::Auto)
        .wait(opts())
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e}"));
    assert_eq!(created.server().status, ServerStatus::Active);
    compute.server(created.server().id.clone())
}

async fn delete(server: &ServerHandle) {
    let gone = server.delete().wait(opts()).await.unwrap();
    assert_eq!(gone.output.status(), 204);
    assert_eq!(server.show().send().await.unwrap_err().kind(), ErrorKind::NotFound);
    // Its whole history, the delete's included (a deleted server's actions show from 2.21).
    assert_history_as_spec(server).await;
}

/// Sends, waits, and checks the request ID and the status the wait ended in.
macro_rules! act {
    ($call:expr, $status:expr) => {{
        let done = $call
            .wait(opts())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", stringify!($call)));
        assert!(
            done.output.request_id().is_some_and(|id| id.starts_with("req-")),
            "{}",
            stringify!($call)
        );
        assert_eq!(done.server.status, $status, "{}", stringify!($call));
        if let Some(recorded) = &done.action {
            assert_events_as_spec(recorded, done.output.microversion());
        }
        done
    }};
}

/// Nova recorded the call under the request ID the SDK saw, with the events the spec names
/// for a call at the microversion it used.
async fn assert_recorded(server: &ServerHandle, meta: &ResponseMeta, action: &str) {
    let request_id = meta.request_id().expect("a request ID");
    let recorded = server.wait_for_action(request_id, opts()).await.unwrap();
    assert_eq!(
        (recorded.action.as_str(), recorded.request_id.as_str()),
        (action, request_id)
    );
    assert_events_as_spec(&recorded, meta.microversion());
}

/// A finished instance action has exactly the events its operation's facts name
/// (`instance_action.events`): at `version` when it is known (every event of that version,
/// those that depend on the server's status allowed), else at any version (the ones that
/// hold at every version and in every status, and no other than the spec names).
fn assert_events_as_spec(recorded: &InstanceAction, version: Option<Microversion>) {
    let action = recorded.action.as_str();
    let facts = OPERATIONS
        .iter()
        .filter_map(|op| op.instance_action)
        .find(|a| a.name == action)
        .unwrap_or_else(|| panic!("no operation of the spec records `{action}`"));
    let names: BTreeSet<&str> = recorded.events.iter().map(|e| e.event.as_str()).collect();
    let allowed: BTreeSet<&str> = facts
        .recorded
        .iter()
        .filter(|e| version.is_none_or(|v| e.range.contains(v)))
        .map(|e| e.name)
        .collect();
    let required: BTreeSet<&str> = facts
        .recorded
        .iter()
        .filter(|e| e.from.is_empty())
        .filter(|e| match version {
            Some(v) => e.range.contains(v),
            None => e.range == VersionRange::ALL || facts.recorded.iter().all(|o| o.range == e.range),
        })
        .map(|e| e.name)
        .collect();
    assert!(
        names.is_subset(&allowed) && required.is_subset(&names),
        "`{action}` at {version:?}: the spec names {allowed:?} (always {required:?}), Nova recorded {names:?}"
    );
}

/// Every instance action Nova recorded for `server` has the events the spec names.
async fn assert_history_as_spec(server: &ServerHandle) {
    let actions = match server.instance_actions().list().collect().await {
        Ok(actions) => actions,
        // Deleted before it reached a cell (a build deleted at once): Nova keeps no record.
        Err(e) if e.kind() == ErrorKind::NotFound => return,
        Err(e) => panic!("{e}"),
    };
    assert!(actions.iter().any(|a| a.action == "delete"), "{actions:?}");
    for a in actions {
        let full = server
            .instance_actions()
            .get(a.request_id.clone())
            .send()
            .await
            .unwrap();
        assert_events_as_spec(&full, None);
    }
}

/// The create call at each microversion where the request changes, with what is new there.
fn create_at(call: create_server::Call, version: Microversion, host: &str) -> create_server::Call {
    let tagged = |tag: &str| {
        Networks::List(vec![Network {
            uuid: Some(NETWORK.into()),
            tag: Some(tag.into()),
            ..Network::default()
        }])
    };
    let base = call
        .at_microversion(version)
        .metadata([("run".to_string(), "it".to_string())]);
    match version.to_string().as_str() {
        "2.1" => base
            .networks(Networks::List(vec![Network {
                uuid: Some(NETWORK.into()),
                ..Network::default()
            }]))
            .personality(vec![Personality {
                path: "/etc/motd".into(),
                contents: "aGVsbG8=".into(),
            }]),
        "2.19" => base.description("created at 2.19"),
        "2.32" => base.description("tagged").networks(tagged("nic-2-32")),
        "2.37" => base.networks(Networks::Auto),
        "2.42" => base.networks(tagged("nic-2-42")),
        "2.52" => base
            .networks(Networks::Auto)
            .tags(vec!["it".to_string(), "v2-52".to_string()]),
        "2.57" => base.networks(Networks::None).user_data("IyEvYmluL3NoCmVjaG8gaGk="),
        "2.63" => base
            .networks(Networks::Auto)
            .trusted_image_certificates(vec!["cert-1".to_string()]),
        "2.67" => base
            .networks(Networks::Auto)
            .block_device_mapping_v2(vec![BlockDeviceMappingV2 {
                source_type: Some(BdmSourceType::Image),
                destination_type: Some(BdmDestinationType::Local),
                uuid: Some(IMAGE.into()),
                boot_index: Nullable::Value(Integerish::from(0)),
                ..BlockDeviceMappingV2::default()
            }]),
        "2.74" => base.networks(Networks::Auto).host(host),
        "2.90" => base.networks(Networks::Auto).hostname("it-host-290"),
        "2.94" => base.networks(Networks::Auto).hostname("it-host-294.example.org"),
        _ => base
            .networks(Networks::Auto)
            .description("at the maximum")
            .tags(vec!["max".to_string()])
            .hostname("it-max.example.org"),
    }
}

#[tokio::test]
async fn a_server_is_deleted_as_soon_as_it_is_created() {
    // Nova accepts a delete whatever the task in flight (`while_busy: accepted`); sent right
    // after the create, it usually meets the build.
    let compute = member();
    remove_leftovers(&compute, "it-gone").await;
    let created = compute
        .servers()
        .create("it-gone", IMAGE, FLAVOR)
        .networks(Networks::None)
        .at_microversion(v("2.37"))
        .send()
        .await
        .unwrap();
    let id = created.server.as_ref().expect("one server").id.clone();
    delete(&compute.server(id)).await;
}

#[tokio::test]
async fn create_at_every_microversion_where_the_request_changes() {
    let compute = admin();
    remove_leftovers(&compute, "it-create-").await;
    let max = compute.server_versions().await.unwrap().max.min(Microversion::MAX);
    // A compute host to name at 2.74 (admins see where servers run).
    let probe = new_server(&compute, "it-create-probe").await;
    let host = probe
        .show()
        .send()
        .await
        .unwrap()
        .host
        .value()
        .cloned()
        .expect("admins see the host");
    let versions = [
        "2.1", "2.19", "2.32", "2.37", "2.42", "2.52", "2.57", "2.63", "2.67", "2.74", "2.90", "2.94",
    ];
    for version in versions.iter().map(|t| v(t)).chain([max]) {
        let name = format!("it-create-{version}");
        let created = create_at(compute.servers().create(&name, IMAGE, FLAVOR), version, &host)
            .wait(opts())
            .await
            .unwrap_or_else(|e| panic!("create at {version}: {e}"));
        assert_eq!(created.output.microversion(), Some(version));
        let answered = created.output.server.as_ref().expect("the new server");
        assert!(answered.admin_pass.is_some(), "adminPass at {version}");
        let server = compute.server(answered.id.clone());
        assert_recorded(&server, created.output.meta(), "create").await;

        // What was asked for is what Nova shows, at the same microversion.
        let shown = server.show().at_microversion(version).send().await.unwrap();
        assert_eq!(shown.status, ServerStatus::Active, "at {version}");
        assert_eq!(shown.name.value(), Some(&name));
        let description = shown.description.value().map(String::as_str);
        match version.to_string().as_str() {
            "2.19" => assert_eq!(description, Some("created at 2.19")),
            "2.32" => assert_eq!(description, Some("tagged")),
            // Not shown before 2.19; Nova stored the name as the description then.
            "2.1" => {
                assert!(shown.description.is_unset());
                let later = server.show().at_microversion(v("2.19")).send().await.unwrap();
                assert_eq!(later.description.value(), Some(&name));
            }
            _ if version == max => assert_eq!(description, Some("at the maximum")),
            _ => assert!(shown.description.is_null(), "no description given at {version}"),
        }
        if version >= v("2.52") && version < v("2.57") {
            let mut tags = shown.tags.clone().unwrap_or_default();
            tags.sort();
            assert_eq!(tags, ["it", "v2-52"]);
        }
        if version == v("2.57") {
            assert!(shown.addresses.as_ref().is_some_and(|a| a.is_empty()), "networks none");
        }
        if version == v("2.74") {
            assert_eq!(shown.host.value(), Some(&host));
        }
        match version.to_string().as_str() {
            "2.90" => assert_eq!(shown.hostname.as_deref(), Some("it-host-290")),
            "2.94" => assert_eq!(shown.hostname.as_deref(), Some("it-host-294.example.org")),
            _ => {}
        }
        if version >= v("2.47") {
            assert!(
                matches!(shown.flavor, Some(ServerFlavor::Embedded(_))),
                "embedded flavor at {version}"
            );
        } else {
            assert!(
                matches!(shown.flavor, Some(ServerFlavor::Ref(_))),
                "flavor reference at {version}"
            );
        }
        delete(&server).await;
    }
    delete(&probe).await;
}

#[tokio::test]
async fn a_field_outside_its_microversion_never_reaches_nova() {
    let compute = member();
    let servers = compute.servers();
    for (call, field) in [
        (
            servers
                .create("it-never", IMAGE, FLAVOR)
                .description("x")
                .at_microversion(v("2.18")),
            "description",
        ),
        (
            servers
                .create("it-never", IMAGE, FLAVOR)
                .networks(Networks::Auto)
                .at_microversion(v("2.36")),
            "networks",
        ),
        (
            servers.create("it-never", IMAGE, FLAVOR).at_microversion(v("2.37")),
            "networks",
        ),
        (
            servers
                .create("it-never", IMAGE, FLAVOR)
                .networks(Networks::Auto)
                .hostname("a.b")
                .at_microversion(v("2.93")),
            "hostname",
        ),
    ] {
        let err = call.send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Action, "{err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    assert!(servers.list().name("^it-never$").collect().await.unwrap().is_empty());
}

#[tokio::test]
async fn list_filters_sorts_and_pages_through_25_servers() {
    let compute = member();
    let servers = compute.servers();
    remove_leftovers(&compute, "it-list").await;
    let before = SystemTime::now() - Duration::from_secs(2);
    // The project's default quota is 10 instances; 27 are needed here.
    raise_instance_quota(&compute).await;

    let created = servers
        .create("it-list", IMAGE, FLAVOR)
        .networks(Networks::None)
        .min_count(25)
        .max_count(25)
        .wait(opts())
        .await
        .unwrap();
    assert_eq!(created.servers.len(), 25);
    assert!(
        created.output.reservation_id.is_some(),
        "the wait asks for the reservation ID"
    );
    for name in ["it-list-dup", "it-list-dup"] {
        servers
            .create(name, IMAGE, FLAVOR)
            .networks(Networks::None)
            .wait(opts())
            .await
            .unwrap();
    }

    // Pages of 4 following `servers_links`: every server once.
    let listed = servers.list().name("^it-list").limit(4).collect().await.unwrap();
    let mut ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((listed.len(), ids.len()), (27, 27));

    // The reservation's servers, by display name ascending, in detail.
    let reservation = created.output.reservation_id.clone().unwrap();
    let sorted = servers
        .list_detail()
        .reservation_id(reservation)
        .sort_key(vec![ServerSortKey::DisplayName])
        .sort_dir(vec![SortDir::Asc])
        .limit(10)
        .collect()
        .await
        .unwrap();
    let names: Vec<String> = sorted
        .iter()
        .map(|s| s.name.value().cloned().unwrap_or_default())
        .collect();
    let mut expected: Vec<String> = (1..=25).map(|i| format!("it-list-{i}")).collect();
    expected.sort();
    assert_eq!(names, expected);
    assert!(sorted.iter().all(|s| s.status == ServerStatus::Active));

    // Status and changes-since filters; a status none has.
    let active = servers
        .list_detail()
        .name("^it-list")
        .status(vec![ServerStatus::Active])
        .changes_since(before)
        .collect()
        .await
        .unwrap();
    assert_eq!(active.len(), 27);
    let paused = servers
        .list()
        .name("^it-list")
        .status(vec![ServerStatus::Paused])
        .collect()
        .await
        .unwrap();
    assert!(paused.is_empty());

    // By exact name: one, ambiguous, none.
    let seventh = servers.find_by_name("it-list-7").await.unwrap();
    assert_eq!(seventh.name.value().map(String::as_str), Some("it-list-7"));
    assert_eq!(
        servers.find_by_name("it-list-dup").await.unwrap_err().kind(),
        ErrorKind::Ambiguous
    );
    assert_eq!(
        servers.find_by_name("it-list").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // An unknown marker is Nova's 400, typed.
    let err = servers
        .list()
        .marker("00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest, "{err}");

    let deletes = listed
        .iter()
        .map(|s| async { compute.server(s.id.clone()).delete().wait(opts()).await });
    for gone in futures_util::future::join_all(deletes).await {
        assert_eq!(gone.unwrap().output.status(), 204);
    }
    assert!(servers.list().name("^it-list").collect().await.unwrap().is_empty());
}

#[tokio::test]
async fn update_at_2_19_2_90_and_2_104() {
    let compute = member();
    let server = new_server(&compute, "it-update").await;

    let updated = server
        .update()
        .name("it-update-2")
        .description("now described")
        .at_microversion(v("2.19"))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.microversion(), Some(v("2.19")));
    assert_eq!(updated.name.value().map(String::as_str), Some("it-update-2"));
    assert_eq!(updated.description.value().map(String::as_str), Some("now described"));
    // Before 2.75 the update answer is shorter than show: no task state.
    assert!(updated.task_state.is_unset());

    let updated = server
        .update()
        .hostname("it-renamed")
        .at_microversion(v("2.90"))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.hostname.as_deref(), Some("it-renamed"));
    let err = server
        .update()
        .hostname("it.renamed.example")
        .at_microversion(v("2.90"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action, "one DNS label at 2.90: {err}");

    let zone = server
        .show()
        .send()
        .await
        .unwrap()
        .availability_zone
        .clone()
        .expect("the zone");
    let pinned = server
        .update()
        .pinned_availability_zone(zone.clone())
        .at_microversion(v("2.104"))
        .send()
        .await
        .unwrap();
    assert_eq!(pinned.pinned_availability_zone.value(), Some(&zone));
    let unpinned = server
        .update()
        .clear_pinned_availability_zone()
        .at_microversion(v("2.104"))
        .send()
        .await
        .unwrap();
    assert!(
        unpinned.pinned_availability_zone.is_null(),
        "{:?}",
        unpinned.pinned_availability_zone
    );
    // 2.104 is this SDK's maximum: refused below it, before sending.
    let err = server
        .update()
        .clear_pinned_availability_zone()
        .at_microversion(v("2.103"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action);
    delete(&server).await;
}

#[tokio::test]
async fn member_lifecycle_of_every_state_action() {
    let compute = member();
    let server = new_server(&compute, "it-lifecycle").await;

    let stop = act!(server.stop(), ServerStatus::Shutoff);
    assert_recorded(&server, stop.output.meta(), "stop").await;
    // Stopping a stopped server: Nova's conflict, with its message and request ID.
    let err = server.stop().send().await.unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.meta.status(), 409);
    // The fake cloud writes the same text (`conflict_name`, the vm_state behind SHUTOFF).
    assert_eq!(
        api.message(),
        format!("Cannot 'stop' instance {} while it is in vm_state stopped", server.id())
    );
    assert!(err.request_id().is_some_and(|id| id.starts_with("req-")));
    // A SOFT reboot needs ACTIVE (the spec's `by_request` case; the fake answers the same).
    let err = server.reboot(RebootType::Soft).send().await.unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert_eq!(
        err.api().unwrap().message(),
        format!(
            "Cannot 'reboot' instance {} while it is in vm_state stopped",
            server.id()
        )
    );
    // A HARD one starts from SHUTOFF, and its wait ends in ACTIVE.
    let hard = act!(server.reboot(RebootType::Hard), ServerStatus::Active);
    assert_recorded(&server, hard.output.meta(), "reboot").await;
    act!(server.stop(), ServerStatus::Shutoff);

    let start = act!(server.start(), ServerStatus::Active);
    assert_recorded(&server, start.output.meta(), "start").await;
    let soft = act!(server.reboot(RebootType::Soft), ServerStatus::Active);
    assert_recorded(&server, soft.output.meta(), "reboot").await;
    act!(server.reboot(RebootType::Hard), ServerStatus::Active);
    act!(server.pause(), ServerStatus::Paused);
    act!(server.unpause(), ServerStatus::Active);
    act!(server.suspend(), ServerStatus::Suspended);
    act!(server.resume(), ServerStatus::Active);

    let locked = act!(server.lock().locked_reason("it"), ServerStatus::Active);
    let shown = server.show().at_microversion(v("2.73")).send().await.unwrap();
    assert_eq!(shown.locked, Some(true));
    assert_eq!(shown.locked_reason.value().map(String::as_str), Some("it"));
    assert_recorded(&server, locked.output.meta(), "lock").await;
    // Its owner locking it again changes nothing, and Nova records no action for it.
    let again = server.lock().locked_reason("again").wait(opts()).await.unwrap();
    assert!(again.action.is_none(), "{:?}", again.action);
    let shown = server.show().at_microversion(v("2.73")).send().await.unwrap();
    assert_eq!(shown.locked_reason.value().map(String::as_str), Some("it"));
    let unlocked = act!(server.unlock(), ServerStatus::Active);
    assert_recorded(&server, unlocked.output.meta(), "unlock").await;

    let image = act!(
        server.create_image("it-snap").at_microversion(v("2.45")),
        ServerStatus::Active
    );
    assert!(image.output.image_id.is_some(), "2.45 returns image_id");
    let old = server
        .create_image("it-snap-old")
        .at_microversion(v("2.44"))
        .wait(opts())
        .await
        .unwrap();
    assert!(
        old.output.location().is_some_and(|l| l.contains("/images/")),
        "before 2.45 the image is in Location"
    );
    act!(server.create_backup("it-backup", "daily", 1), ServerStatus::Active);
    act!(server.change_password("N3w-pass-it"), ServerStatus::Active);
    act!(server.trigger_crash_dump(), ServerStatus::Active);

    let console = server.get_console_output().length(10).send().await.unwrap();
    assert_eq!(console.status(), 200);
    let remote = server
        .create_remote_console(RemoteConsoleProtocol::Vnc, RemoteConsoleType::Novnc)
        .send()
        .await
        .unwrap();
    assert!(remote.url.starts_with("http"), "{}", remote.url);

    server.remove_security_group("default").send().await.unwrap();
    server.add_security_group("default").send().await.unwrap();

    let rescue = act!(server.rescue().admin_pass("Resc-pw-1"), ServerStatus::Rescue);
    let given = rescue.output.admin_pass.as_ref().map(|p| p.expose_secret().to_string());
    assert_eq!(given.as_deref(), Some("Resc-pw-1"));
    act!(server.unrescue(), ServerStatus::Active);

    act!(server.resize("2"), ServerStatus::VerifyResize);
    act!(server.revert_resize(), ServerStatus::Active);
    act!(server.resize("2"), ServerStatus::VerifyResize);
    let confirm = act!(server.confirm_resize(), ServerStatus::Active);
    assert_eq!(confirm.output.status(), 204);

    act!(server.shelve(), ServerStatus::ShelvedOffloaded);
    act!(server.unshelve().at_microversion(v("2.77")), ServerStatus::Active);
    delete(&server).await;
}

#[tokio::test]
async fn rebuild_at_every_microversion_where_its_shape_changes() {
    let compute = member();
    let server = new_server(&compute, "it-rebuild").await;
    let max = compute.server_versions().await.unwrap().max.min(Microversion::MAX);
    let versions = [
        "2.1", "2.19", "2.26", "2.47", "2.54", "2.57", "2.63", "2.71", "2.73", "2.75", "2.90", "2.96", "2.98", "2.100",
    ];
    for (i, version) in versions.iter().map(|t| v(t)).chain([max]).enumerate() {
        // The member sees one image in the sandbox's Glance (any other: "Cannot find image").
        let image = IMAGE;
        let name = format!("it-rebuild-{i}");
        let done = server
            .rebuild(image)
            .name(name.as_str())
            .at_microversion(version)
            .wait(opts())
            .await
            .unwrap_or_else(|e| panic!("rebuild at {version}: {e}"));
        let out = &done.output;
        assert_eq!(out.microversion(), Some(version));
        assert_eq!(out.id, server.id());
        assert_eq!(out.name.value(), Some(&name));
        assert_eq!(out.locked.is_some(), version >= v("2.9"), "locked at {version}");
        assert_eq!(
            matches!(out.flavor, Some(ServerFlavor::Embedded(_))),
            version >= v("2.47"),
            "embedded flavor at {version}"
        );
        assert_eq!(
            out.server_groups.is_some(),
            version >= v("2.71"),
            "server_groups at {version}"
        );
        assert_eq!(out.hostname.is_some(), version >= v("2.90"), "hostname at {version}");
        assert_eq!(
            out.scheduler_hints.is_some(),
            version >= v("2.100"),
            "scheduler_hints at {version}"
        );
        assert_recorded(&server, out.meta(), "rebuild").await;
        assert_eq!(done.server.status, ServerStatus::Active);
        let on = done
            .server
            .image
            .as_ref()
            .and_then(|i| i.value())
            .map(|i| i.id.as_str());
        assert_eq!(on, Some(image), "rebuilt on the image asked for");
    }
    // The per-version type, sent at a version of its range.
    let typed = server.send(rebuild::V2_63::new(IMAGE)).await.unwrap();
    let at = typed.microversion().unwrap();
    assert!(at >= v("2.63") && at < v("2.71"), "{at}");
    server.wait_for_status(&[ServerStatus::Active], opts()).await.unwrap();
    let _: &show_server::Response = &server.show().send().await.unwrap();
    delete(&server).await;
}

#[tokio::test]
async fn admin_actions_and_migrations() {
    let compute = admin();
    let server = new_server(&compute, "it-admin").await;
    let reset = server.reset_state(ResetStateTarget::Error).send().await.unwrap();
    assert_recorded(&server, reset.meta(), "resetState").await;
    server.wait_for_status(&[ServerStatus::Error], opts()).await.unwrap();
    server.reset_state(ResetStateTarget::Active).send().await.unwrap();
    server.wait_for_status(&[ServerStatus::Active], opts()).await.unwrap();
    server.inject_network_info().send().await.unwrap();

    act!(server.migrate().at_microversion(v("2.56")), ServerStatus::VerifyResize);
    act!(server.confirm_resize(), ServerStatus::Active);
    act!(
        server
            .live_migrate(None, BlockMigration::Auto)
            .at_microversion(v("2.30")),
        ServerStatus::Active
    );
    act!(server.live_migrate(None, BlockMigration::Auto), ServerStatus::Active);
    act!(server.shelve(), ServerStatus::ShelvedOffloaded);
    act!(server.unshelve(), ServerStatus::Active);
    delete(&server).await;
}

#[tokio::test]
async fn negative_paths_against_the_real_thing() {
    let member = member();
    let admin = admin();
    let server = new_server(&member, "it-negative").await;

    // Admin-only action as a member.
    let err = server.reset_state(ResetStateTarget::Error).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden, "{err}");

    // Locked by an admin: a member's stop is a conflict.
    let as_admin = admin.server(server.id());
    as_admin.lock().send().await.unwrap();
    let err = server.stop().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.api().unwrap().message().contains("is locked"), "{err}");
    // Where the controller leaves Nova's lock error unmapped, a 500 (`lock_checked: 500`).
    let err = server
        .add_fixed_ip(NETWORK)
        .at_microversion(v("2.43"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
    assert!(err.api().unwrap().message().contains("InstanceIsLocked"), "{err}");
    as_admin.unlock().send().await.unwrap();

    // Outside its microversion: refused before sending...
    for err in [
        server
            .lock()
            .locked_reason("x")
            .at_microversion(v("2.72"))
            .send()
            .await
            .unwrap_err(),
        server
            .add_floating_ip("172.24.4.1")
            .at_microversion(v("2.44"))
            .send()
            .await
            .unwrap_err(),
        server
            .trigger_crash_dump()
            .at_microversion(v("2.16"))
            .send()
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::Action(_)), "{err}");
    }
    // ...and what Nova answers when forced through the raw path.
    // Before 2.73 Nova does not validate the lock body: it locks and drops the reason.
    let raw = member
        .raw(Method::Post, format!("/servers/{}/action", server.id()))
        .json(&json!({"lock": {"locked_reason": "x"}}))
        .microversion(v("2.72"))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 202);
    let shown = server.show().at_microversion(v("2.73")).send().await.unwrap();
    assert_eq!((shown.locked, shown.locked_reason.value()), (Some(true), None));
    server.unlock().send().await.unwrap();
    let raw = member
        .raw(Method::Post, format!("/servers/{}/action", server.id()))
        .json(&json!({"trigger_crash_dump": null}))
        .microversion(v("2.16"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw.status(), Some(404));

    // Create errors Nova owns: an unknown flavor, and an unknown image.
    let err = member
        .servers()
        .create("it-negative-bad", IMAGE, "no-such-flavor")
        .networks(Networks::None)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest, "{err}");
    assert!(err.request_id().is_some());
    let err = member
        .servers()
        .create("it-negative-bad", "00000000-0000-4000-8000-000000000000", FLAVOR)
        .networks(Networks::None)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest, "{err}");
    delete(&server).await;
    // Deleting it again: 404.
    assert_eq!(server.delete().send().await.unwrap_err().kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn the_auth_chain_for_real() {
    // Application credential.
    let app = Compute::new(cloud("OS_CLOUD_APPCRED", "sandbox-demo-appcred")).unwrap();
    assert!(app.server_versions().await.unwrap().max >= v("2.90"));

    // A wrong password: the typed auth error, never the password.
    let mut config = cloud("OS_CLOUD", "sandbox-demo");
    if let openstack_compute::config::AuthMethod::Password { password, .. } = &mut config.auth {
        *password = "definitely-wrong-pw".into();
    }
    let err = Compute::new(config)
        .unwrap()
        .server("x")
        .stop()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    assert!(!format!("{err} {err:?}").contains("definitely-wrong-pw"));

    // Tokens revoked in Keystone mid-run (the user disabled and enabled again): the next
    // call re-authenticates once and succeeds.
    let compute = member();
    let server = new_server(&compute, "it-auth").await;
    let keystone = Keystone::login("OS_CLOUD_ADMIN", "sandbox-admin").await;
    let users: Value = keystone.get("/v3/users?name=demo").await;
    let user_id = users["users"][0]["id"].as_str().unwrap().to_string();
    for enabled in [false, true] {
        keystone
            .patch(&format!("/v3/users/{user_id}"), json!({"user": {"enabled": enabled}}))
            .await;
    }
    // Keystone compares revocation times at one-second precision: a token issued in the same
    // second as the revocation would count as revoked too.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let shown = server.show().send().await.unwrap();
    assert_eq!(shown.id, server.id());
    delete(&server).await;
}

/// Keystone's and Nova's admin APIs the SDK does not cover (users, quotas), in plain HTTP.
struct Keystone {
    http: reqwest::Client,
    token: String,
}

impl Keystone {
    async fn login(cloud_var: &str, default: &str) -> Keystone {
        let name = std::env::var(cloud_var).unwrap_or_else(|_| default.to_string());
        let file = env("OS_CLIENT_CONFIG_FILE");
        let doc: Value = serde_saphyr::from_str(&std::fs::read_to_string(&file).unwrap()).expect("clouds.yaml");
        let auth = &doc["clouds"][name.as_str()]["auth"];
        let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": auth["username"], "password": auth["password"], "domain": {"name": "Default"}}}},
            "scope": {"project": {"name": auth["project_name"], "domain": {"name": "Default"}}}}});
        let http = reqwest::Client::new();
        let r = http
            .post(format!("{}/v3/auth/tokens", env("KEYSTONE_URL")))
            .json(&body)
            .send()
            .await
            .unwrap();
        let token = r.headers()["x-subject-token"].to_str().unwrap().to_string();
        Keystone { http, token }
    }

    async fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}", env("KEYSTONE_URL"));
        self.http
            .get(url)
            .header("x-auth-token", &self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn patch(&self, path: &str, body: Value) {
        let url = format!("{}{path}", env("KEYSTONE_URL"));
        let r = self
            .http
            .patch(url)
            .header("x-auth-token", &self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }
}

/// Raises the member project's instance and core quota (an admin call outside the SDK).
async fn raise_instance_quota(member: &Compute) {
    let any = new_server(member, "it-list-probe").await;
    let project = any.show().send().await.unwrap().tenant_id.clone();
    delete(&any).await;
    let admin = Keystone::login("OS_CLOUD_ADMIN", "sandbox-admin").await;
    let url = format!("{}/v2.1/os-quota-sets/{project}", env("NOVA_URL"));
    let body = json!({"quota_set": {"instances": 40, "cores": 40, "ram": 40 * 1024}});
    let r = admin
        .http
        .put(url)
        .header("x-auth-token", &admin.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "quota: {}", r.status());
}

/// Flavors as Nova shows them where they change, and the admin's flavor work end to end:
/// create, update, extra specs (values validated from 2.86), access, delete.
#[tokio::test]
async fn flavors_where_they_change_and_an_admins_flavor_end_to_end() {
    use openstack_compute::types::EmptyOr;
    let admin = admin();
    let member = member();
    // The default flavor: `swap` is "" before 2.75 and 0 from there; `rxtx_factor` and
    // `disabled` go at 2.102; `description` comes at 2.55 and `extra_specs` at 2.61.
    for (at, swap_empty, rxtx, description, specs) in [
        ("2.1", true, true, false, false),
        ("2.55", true, true, true, false),
        ("2.61", true, true, true, true),
        ("2.75", false, true, true, true),
        ("2.102", false, false, true, true),
    ] {
        let f = member
            .flavor(FLAVOR)
            .show()
            .at_microversion(v(at))
            .send()
            .await
            .unwrap();
        assert_eq!(f.name, "m1.tiny", "{at}");
        assert_eq!(matches!(f.swap, EmptyOr::Empty), swap_empty, "{at}: {:?}", f.swap);
        assert_eq!((f.rxtx_factor.is_some(), f.disabled.is_some()), (rxtx, rxtx), "{at}");
        assert_eq!(f.extra_specs.is_some(), specs, "{at}");
        let _ = description;
    }
    let summaries = member
        .flavors()
        .list()
        .at_microversion(v("2.55"))
        .collect()
        .await
        .unwrap();
    assert!(summaries.iter().any(|f| f.id == FLAVOR));
    // From 2.102 Nova filters by name; find_by_name is exact either way.
    assert_eq!(member.flavors().find_by_name("m1.tiny").await.unwrap().id, FLAVOR);

    // A member may not create one.
    let err = member
        .flavors()
        .create("sdk-it-no", 256, 1, 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");

    let id = "sdk-it-flavor";
    let _ = admin.flavor(id).delete().send().await;
    let created = admin
        .flavors()
        .create("sdk.it", 256, 1, 1)
        .id(id)
        .is_public(false)
        .description("made by the SDK's tests")
        .send()
        .await
        .unwrap();
    assert_eq!((created.id.as_str(), created.is_public), (id, false));
    let flavor = admin.flavor(id);
    let updated = flavor.update(Some("described again".to_string())).send().await.unwrap();
    assert_eq!(updated.description.as_deref(), Some("described again"));

    // Extra specs: an unknown value of a known namespace is stored before 2.86, refused from 2.86.
    flavor
        .extra_specs()
        .set("hw:cpu_policy", "dedicated")
        .send()
        .await
        .unwrap();
    let old = flavor
        .extra_specs()
        .set("hw:mem_page_size", "bogus")
        .at_microversion(v("2.85"))
        .send()
        .await;
    assert!(old.is_ok(), "{old:?}");
    let new = flavor
        .extra_specs()
        .set("hw:mem_page_size", "bogus")
        .at_microversion(v("2.86"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(new.status(), Some(400), "{new}");
    let listed = flavor.extra_specs().list().send().await.unwrap();
    assert_eq!(
        listed.extra_specs.get("hw:cpu_policy").map(String::as_str),
        Some("dedicated")
    );
    flavor.extra_specs().delete("hw:cpu_policy").send().await.unwrap();
    let gone = flavor.extra_specs().get("hw:cpu_policy").send().await.unwrap_err();
    assert_eq!(gone.status(), Some(404));

    // Access for a private flavor; a public one has no access list.
    // Nova asks Keystone whether the project exists: the demo project, from the sandbox's
    // credentials.
    let credentials: serde_json::Value = serde_json::from_slice(&std::fs::read(env("CREDENTIALS")).unwrap()).unwrap();
    let project = credentials["demo"]["project_id"].as_str().unwrap();
    let shared = flavor.add_tenant_access(project).send().await.unwrap();
    assert_eq!(shared.len(), 1);
    assert_eq!(flavor.access().list().send().await.unwrap()[0].tenant_id, project);
    assert!(flavor.remove_tenant_access(project).send().await.unwrap().is_empty());
    let public = admin.flavor(FLAVOR).access().list().send().await.unwrap_err();
    assert_eq!(public.status(), Some(404));

    flavor.delete().send().await.unwrap();
    assert_eq!(flavor.show().send().await.unwrap_err().kind(), ErrorKind::NotFound);
}

/// Key pairs at the microversions where they change: 2.2 (201, 204, `type`), 2.10 (`user_id`),
/// 2.35 (paging), 2.92 (no more generated keys).
#[tokio::test]
async fn keypairs_at_the_microversions_where_they_change() {
    let member = member();
    for name in ["sdk-it-kp-old", "sdk-it-kp-new", "sdk-it-kp-gen"] {
        let _ = member.keypair(name).delete().send().await;
    }
    let public = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFyZUpNO9rEeOe0b3DJDh1pS4I1g9W1ynf3z4O3k5c8q sdk@it";
    let old = member
        .keypairs()
        .import("sdk-it-kp-old", public)
        .at_microversion(v("2.1"))
        .send()
        .await
        .unwrap();
    assert_eq!((old.status(), old.key_type.is_none()), (200, true));
    let new = member.keypairs().import("sdk-it-kp-new", public).send().await.unwrap();
    assert_eq!(new.status(), 201);
    assert_eq!(new.key_type, Some(openstack_compute::types::KeypairType::Ssh));
    assert!(!new.fingerprint.is_empty());

    // Nova generates a pair up to 2.91 and returns its private key, once, as a secret.
    let generated = member.keypairs().create("sdk-it-kp-gen").send().await.unwrap();
    assert_eq!(generated.microversion(), Some(v("2.91")));
    let private = generated.private_key.as_ref().expect("a generated pair's private key");
    assert!(private.expose_secret().contains("PRIVATE KEY"));
    assert!(
        !format!("{generated:?}").contains("PRIVATE KEY"),
        "the private key never shows"
    );

    // Paging from 2.35: one key pair per page, every page read.
    let names: Vec<String> = member
        .keypairs()
        .list()
        .limit(1)
        .collect()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .filter(|n| n.starts_with("sdk-it-kp"))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");

    let shown = member.keypair("sdk-it-kp-new").show().send().await.unwrap();
    assert_eq!(shown.public_key, public);
    assert!(shown.user_id.is_some());
    let at_2_1 = member
        .keypair("sdk-it-kp-old")
        .delete()
        .at_microversion(v("2.1"))
        .send()
        .await
        .unwrap();
    assert_eq!(at_2_1.status(), 202);
    for name in ["sdk-it-kp-new", "sdk-it-kp-gen"] {
        assert_eq!(member.keypair(name).delete().send().await.unwrap().status(), 204);
    }
    let err = member.keypair("sdk-it-kp-new").show().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

/// A server's metadata, tags (from 2.26), addresses, security groups and password, each
/// through the client against the real Nova.
#[tokio::test]
async fn a_servers_metadata_tags_addresses_security_groups_and_password() {
    use std::collections::BTreeMap;
    let member = member();
    let server = new_server(&member, "it-subresources").await;

    let meta = server.metadata();
    meta.set("role", "web").send().await.unwrap();
    let merged = meta
        .merge(BTreeMap::from([("tier".to_string(), "1".to_string())]))
        .send()
        .await
        .unwrap();
    assert_eq!(merged.metadata.len(), 2, "{:?}", merged.metadata);
    assert_eq!(
        meta.get("role")
            .send()
            .await
            .unwrap()
            .meta
            .get("role")
            .map(String::as_str),
        Some("web")
    );
    let replaced = meta
        .replace(BTreeMap::from([("only".to_string(), "this".to_string())]))
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.metadata.keys().collect::<Vec<_>>(), ["only"]);
    meta.delete("only").send().await.unwrap();
    assert!(meta.list().send().await.unwrap().metadata.is_empty());
    assert_eq!(meta.get("only").send().await.unwrap_err().status(), Some(404));

    let tags = server.tags();
    assert_eq!(tags.add("blue").send().await.unwrap().status(), 201);
    assert_eq!(tags.add("blue").send().await.unwrap().status(), 204, "already there");
    assert!(*tags.contains("blue").send().await.unwrap());
    assert!(!*tags.contains("green").send().await.unwrap());
    let replaced = tags
        .replace(vec!["a".to_string(), "b".to_string()])
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.tags, ["a", "b"]);
    tags.delete("a").send().await.unwrap();
    assert_eq!(tags.list().send().await.unwrap().tags, ["b"]);
    tags.clear().send().await.unwrap();
    assert!(tags.list().send().await.unwrap().tags.is_empty());
    let old = tags.list().at_microversion(v("2.25")).send().await.unwrap_err();
    assert_eq!(old.kind(), ErrorKind::Action, "tags begin at 2.26: {old}");

    let addresses = server.addresses().list().send().await.unwrap();
    let (label, ips) = addresses
        .addresses
        .iter()
        .next()
        .expect("an address on the auto network");
    assert!(!ips.is_empty());
    let one = server.addresses().get(label.clone()).send().await.unwrap();
    assert_eq!(one.addresses.values().next().map(Vec::len), Some(ips.len()));
    let groups = server.security_groups().list().send().await.unwrap();
    assert!(groups.iter().any(|g| g.name == "default"), "{groups:?}");
    // The fake virt driver gives no NUMA topology (from 2.78); below, the call is refused.
    let topology = server.topology().show().send().await.unwrap();
    assert!(
        topology.nodes.is_empty() && topology.pagesize_kb.is_none(),
        "{topology:?}"
    );
    let early = server
        .topology()
        .show()
        .at_microversion(v("2.77"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(early.kind(), ErrorKind::Action, "{early}");
    // The fake virt driver sets no password: Nova answers "", still a secret.
    let password = server.password().get().send().await.unwrap();
    assert_eq!(password.password.expose_secret(), "");
    server.password().clear().send().await.unwrap();
    delete(&server).await;
}

/// Server groups at 2.1, 2.15 and 2.64: two servers of an anti-affinity group land on the
/// sandbox's two hosts, and a third fails with Nova's reason; limits and zones as member and
/// admin.
#[tokio::test]
async fn server_groups_place_servers_and_limits_and_zones_read() {
    use openstack_compute::types::{SchedulerHints, ServerGroupPolicy};
    let member = member();
    let admin = admin();
    for g in member.server_groups().list().collect().await.unwrap() {
        if g.name.starts_with("it-group") {
            member.server_group(g.id).delete().send().await.unwrap();
        }
    }
    let old = member
        .server_groups()
        .create_with_policies("it-group-old", vec![ServerGroupPolicy::Affinity])
        .at_microversion(v("2.1"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.policies.as_deref(), Some(&[ServerGroupPolicy::Affinity][..]));
    let soft = member
        .server_groups()
        .create_with_policies("it-group-soft", vec![ServerGroupPolicy::SoftAntiAffinity])
        .at_microversion(v("2.15"))
        .send()
        .await
        .unwrap();
    let err = member
        .server_groups()
        .create_with_policies("it-group-soft-old", vec![ServerGroupPolicy::SoftAntiAffinity])
        .at_microversion(v("2.14"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Action, "soft policies begin at 2.15: {err}");
    let group = member
        .server_groups()
        .create("it-group-anti", ServerGroupPolicy::AntiAffinity)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (group.policy.clone(), group.policies.clone()),
        (Some(ServerGroupPolicy::AntiAffinity), None)
    );

    // Two servers of the group on two hosts; a third has nowhere to go.
    let hints = SchedulerHints {
        group: Some(group.id.clone()),
        ..SchedulerHints::default()
    };
    let mut members = Vec::new();
    for name in ["it-group-a", "it-group-b"] {
        remove_leftovers(&member, name).await;
        let created = member
            .servers()
            .create(name, IMAGE, FLAVOR)
            .networks(Networks::None)
            .scheduler_hints(hints.clone())
            .wait(opts())
            .await
            .unwrap();
        members.push(created.server().id.clone());
    }
    let hosts: BTreeSet<String> = {
        let mut hosts = BTreeSet::new();
        for id in &members {
            let shown = admin.server(id.clone()).show().send().await.unwrap();
            hosts.insert(shown.host.value().cloned().expect("an admin sees the host"));
        }
        hosts
    };
    assert_eq!(hosts.len(), 2, "anti-affinity: one host each");
    remove_leftovers(&member, "it-group-c").await;
    let third = member
        .servers()
        .create("it-group-c", IMAGE, FLAVOR)
        .networks(Networks::None)
        .scheduler_hints(hints)
        .wait(opts())
        .await
        .unwrap_err();
    let reason = third
        .as_wait()
        .and_then(|w| w.reason())
        .and_then(|r| r.message())
        .map(str::to_string);
    assert!(
        reason.as_deref().is_some_and(|m| m.contains("No valid host")),
        "{third}"
    );
    let shown = member.server_group(group.id.clone()).show().send().await.unwrap();
    assert!(members.iter().all(|m| shown.members.contains(m)), "{:?}", shown.members);
    for id in members {
        delete(&member.server(id)).await;
    }
    remove_leftovers(&member, "it-group-c").await;
    for g in [old.id.clone(), soft.id.clone(), group.id.clone()] {
        member.server_group(g).delete().send().await.unwrap();
    }

    // Limits where they change, as member and admin.
    for at in ["2.1", "2.36", "2.57"] {
        let limits = member.limits().show().at_microversion(v(at)).send().await.unwrap();
        assert!(limits.absolute.max_total_instances > 0, "{at}");
        assert_eq!(
            limits.absolute.max_security_groups.is_some(),
            at == "2.1",
            "{at}: network quotas go at 2.36"
        );
        assert_eq!(
            limits.absolute.max_personality.is_some(),
            at != "2.57",
            "{at}: personality goes at 2.57"
        );
    }
    admin.limits().show().send().await.unwrap();

    // Zones: anyone lists them; the detail is an admin's.
    let zones = member.availability_zones().list().send().await.unwrap();
    assert!(
        zones.iter().any(|z| z.zone_name == "nova" && z.zone_state.available),
        "{zones:?}"
    );
    let detail = admin.availability_zones().list_detail().send().await.unwrap();
    assert!(detail.iter().any(|z| z.hosts.is_some()));
    let refused = member.availability_zones().list_detail().send().await.unwrap_err();
    assert_eq!(refused.status(), Some(403), "{refused}");
}

/// The fake cloud's name filter answers as the real Nova's does (its database's regular
/// expression search: the sandbox's sqlite hands it to Python's `re.search`), pattern by
/// pattern, for the same servers.
#[tokio::test]
async fn the_fake_filters_names_as_the_real_nova_does() {
    use openstack_compute::testing::FakeCloud;
    let member = member();
    let names = ["it-rx-web-1", "it-rx-web-2", "it-rx-db-1"];
    remove_leftovers(&member, "it-rx-").await;
    let mut created = Vec::new();
    for name in names {
        let out = member
            .servers()
            .create(name, IMAGE, FLAVOR)
            .networks(Networks::None)
            .send()
            .await
            .unwrap();
        created.push(out.server.as_ref().expect("one server").id.clone());
    }
    let cloud = FakeCloud::start().await;
    for name in names {
        cloud.add_server(name);
    }
    let fake = Compute::new(cloud.config().build().unwrap()).unwrap();
    for pattern in ["web", "^it-rx-web", "it-rx-(db|web)-1$", "b-", "W", "^web"] {
        let mut seen = Vec::new();
        for compute in [&member, &fake] {
            let mut found: Vec<String> = compute
                .servers()
                .list()
                .name(pattern)
                .collect()
                .await
                .unwrap()
                .into_iter()
                .filter_map(|s| s.name)
                .filter(|n| n.starts_with("it-rx-"))
                .collect();
            found.sort();
            seen.push(found);
        }
        assert_eq!(seen[0], seen[1], "`{pattern}`: the real Nova, then the fake");
    }
    for id in created {
        delete(&member.server(id)).await;
    }
}

/// Volumes attached and detached at the microversions where the calls change, each waited to
/// its end (the attachment there, or gone); on a shelved-offloaded server from 2.20, where the
/// API itself does the work; `delete_on_termination` changed as admin at 2.85; a swap refused
/// as Nova refuses it; a port attached and detached with a tag at 2.49.
#[tokio::test]
async fn volumes_and_ports_attach_and_detach_waited_to_their_end() {
    let member = member();
    let admin = admin();
    let server = new_server(&member, "it-attach").await;
    let attachments = server.volume_attachments();
    for (i, at) in ["2.1", "2.79", "2.89", "2.100", "2.101"].into_iter().enumerate() {
        // Any UUID is a volume of the sandbox's Cinder fixture.
        let volume = format!("11111111-0000-4000-8000-00000000000{i}");
        let attached = attachments
            .attach(volume.clone())
            .at_microversion(v(at))
            .wait(opts())
            .await
            .unwrap_or_else(|e| panic!("attach at {at}: {e}"));
        assert_eq!(attached.item.volume_id, volume, "{at}");
        assert_eq!(attached.output.status(), if at == "2.101" { 202 } else { 200 }, "{at}");
        // The attachment as the wait reads it, at the best microversion: with its Cinder
        // attachment's ID (2.89+).
        assert!(attached.item.attachment_id.is_some(), "{at}");
        if let Some(action) = &attached.action {
            assert_events_as_spec(action, Some(v(at)));
        }
        let shown = attachments
            .get(volume.clone())
            .at_microversion(v(at))
            .send()
            .await
            .unwrap();
        assert_eq!(shown.delete_on_termination.is_some(), at != "2.1", "{at}: from 2.79");
        let gone = attachments
            .detach(volume.clone())
            .at_microversion(v(at))
            .wait(opts())
            .await
            .unwrap_or_else(|e| panic!("detach at {at}: {e}"));
        assert_eq!(gone.output.status(), 202);
        assert_eq!(attachments.get(volume).send().await.unwrap_err().status(), Some(404));
    }

    // delete_on_termination, changed by an admin at 2.85.
    let volume = "11111111-0000-4000-8000-000000000010".to_string();
    attachments.attach(volume.clone()).wait(opts()).await.unwrap();
    admin
        .server(server.id())
        .volume_attachments()
        .update(volume.clone(), volume.clone())
        .delete_on_termination(true)
        .at_microversion(v("2.85"))
        .send()
        .await
        .unwrap();
    let shown = attachments.get(volume.clone()).send().await.unwrap();
    assert_eq!(shown.delete_on_termination.as_ref().map(|b| b.get()), Some(true));
    // A swap is Cinder's: Nova refuses it for a volume Cinder is not migrating.
    let swap = admin
        .server(server.id())
        .volume_attachments()
        .update(volume.clone(), "11111111-0000-4000-8000-000000000011")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(swap.status(), Some(403 | 409)), "{swap}");
    attachments.detach(volume).wait(opts()).await.unwrap();

    // A port, with a tag (2.49).
    let port = server
        .interfaces()
        .attach()
        .net_id(NETWORK)
        .tag("it-port")
        .at_microversion(v("2.49"))
        .send()
        .await
        .unwrap();
    // Sent from 2.49, shown from 2.70.
    assert_eq!(port.tag, None);
    let shown = server.interfaces().get(port.port_id.clone()).send().await.unwrap();
    assert_eq!(shown.tag.as_deref(), Some("it-port"));
    let listed = server.interfaces().list().send().await.unwrap();
    assert!(listed.iter().any(|p| p.port_id == port.port_id), "{listed:?}");
    let gone = server
        .interfaces()
        .detach(port.port_id.clone())
        .wait(opts())
        .await
        .unwrap();
    assert_eq!(gone.output.status(), 202);

    // On a shelved-offloaded server (2.20+) the API attaches itself.
    act!(server.shelve(), ServerStatus::ShelvedOffloaded);
    let volume = "11111111-0000-4000-8000-000000000020".to_string();
    let early = attachments
        .attach(volume.clone())
        .at_microversion(v("2.19"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(early.status(), Some(409), "{early}");
    let attached = attachments
        .attach(volume.clone())
        .at_microversion(v("2.20"))
        .wait(opts())
        .await
        .unwrap();
    if let Some(action) = &attached.action {
        assert_events_as_spec(action, Some(v("2.20")));
    }
    attachments
        .detach(volume)
        .at_microversion(v("2.20"))
        .wait(opts())
        .await
        .unwrap();
    delete(&server).await;
}
