//! The SDK against a real Nova (and Keystone): every action the fake virt driver supports,
//! at the microversions where the action changes, with the SDK's waiters and instance-action
//! checks. Not part of `cargo test`: run it with `scripts/real-nova.sh` (which starts the
//! sandboxes), or against any cloud with
//!
//! ```sh
//! NOVA_URL=... OS_CLIENT_CONFIG_FILE=clouds.yaml OS_CLOUD=member-cloud OS_CLOUD_ADMIN=admin-cloud \
//!   cargo test -p tests --test real_nova -- --test-threads 1
//! ```
//!
//! Without `NOVA_URL` every test fails (it never passes silently). One thread: the auth test
//! revokes the member's tokens in Keystone, which would fail the other tests' calls made in
//! the same second (Keystone compares revocation times at one-second precision).

use std::time::Duration;

use openstack_compute::operation::{create_image, rebuild, show_server};
use openstack_compute::types::{
    BlockMigration, RebootType, RemoteConsoleProtocol, RemoteConsoleType, ResetStateTarget,
};
use openstack_compute::{Compute, Config, Error, Microversion, RequestId, ServerHandle, VersionStrategy, WaitOptions};
use serde_json::{Value, json};

const IMAGE: &str = "155d900f-4e14-4e4c-a73d-069cbf4541e6";

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

fn opts() -> WaitOptions {
    WaitOptions::new(Duration::from_secs(120))
        .initial_interval(Duration::from_millis(200))
        .max_interval(Duration::from_secs(2))
}

/// Plain-HTTP helpers (server create/delete is not part of the SDK).
struct Plain {
    http: reqwest::Client,
    compute_url: String,
    token: String,
}

impl Plain {
    async fn login(cloud_var: &str, default: &str) -> Plain {
        let name = std::env::var(cloud_var).unwrap_or_else(|_| default.to_string());
        let file = env("OS_CLIENT_CONFIG_FILE");
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).expect("clouds.yaml as JSON");
        let auth = &doc["clouds"][name.as_str()]["auth"];
        let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": auth["username"], "password": auth["password"], "domain": {"name": "Default"}}}},
            "scope": {"project": {"name": auth["project_name"], "domain": {"name": "Default"}}}}});
        let http = reqwest::Client::new();
        let url = format!(
            "{}/v3/auth/tokens",
            auth["auth_url"]
                .as_str()
                .unwrap()
                .trim_end_matches('/')
                .trim_end_matches("/v3")
        );
        let r = http.post(url).json(&body).send().await.unwrap();
        let token = r.headers()["x-subject-token"].to_str().unwrap().to_string();
        Plain {
            http,
            compute_url: format!("{}/v2.1", env("NOVA_URL")),
            token,
        }
    }

    async fn create_server(&self, name: &str) -> String {
        let r = self
            .http
            .post(format!("{}/servers", self.compute_url))
            .header("x-auth-token", &self.token)
            .header("openstack-api-version", "compute 2.90")
            .json(&json!({"server": {"name": name, "imageRef": IMAGE, "flavorRef": "1", "networks": "auto"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            202,
            "create: {}",
            r.text().await.unwrap_or_default()
        );
        let v: Value = r.json().await.unwrap();
        v["server"]["id"].as_str().unwrap().to_string()
    }

    /// Deletes what an earlier, failed run of the same test left behind.
    async fn delete_named(&self, name: &str) {
        let r = self
            .http
            .get(format!("{}/servers?name=^{name}$", self.compute_url))
            .header("x-auth-token", &self.token)
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        for s in v["servers"].as_array().into_iter().flatten() {
            self.delete_server(s["id"].as_str().unwrap()).await;
        }
    }

    async fn delete_server(&self, id: &str) {
        let _ = self
            .http
            .delete(format!("{}/servers/{id}", self.compute_url))
            .header("x-auth-token", &self.token)
            .send()
            .await;
    }
}

async fn new_server(compute: &Compute, plain: &Plain, name: &str) -> ServerHandle {
    plain.delete_named(name).await;
    let id = plain.create_server(name).await;
    let server = compute.server(id);
    server.wait_for_status(&["ACTIVE"], opts()).await.unwrap();
    server
}

/// Sends, waits, and checks that Nova recorded the action under the request ID the SDK saw.
macro_rules! act {
    ($server:expr, $call:expr, $status:expr) => {{
        let done = $call
            .wait(opts())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", stringify!($call)));
        assert!(
            done.output.request_id().is_some_and(|id| id.starts_with("req-")),
            "{}",
            stringify!($call)
        );
        if let Some(expected) = $status {
            let status = done
                .server
                .as_ref()
                .map(|s| s.status.as_str().to_string())
                .unwrap_or_default();
            assert_eq!(status, expected, "{}", stringify!($call));
        }
        done
    }};
}

async fn assert_recorded(server: &ServerHandle, request_id: &str, action: &str) {
    let recorded = server.wait_for_action(request_id, opts()).await.unwrap();
    assert_eq!(recorded.action, action);
    assert_eq!(recorded.request_id, request_id);
}

#[tokio::test]
async fn member_lifecycle_of_every_state_action() {
    let compute = member();
    let plain = Plain::login("OS_CLOUD", "sandbox-demo").await;
    let server = new_server(&compute, &plain, "it-lifecycle").await;

    let stop = act!(server, server.stop(), Some("SHUTOFF"));
    assert_recorded(&server, stop.output.request_id().unwrap(), "stop").await;
    // Stopping a stopped server: Nova's conflict, with its message and request ID.
    let err = server.stop().send().await.unwrap_err();
    let api = err.as_api().expect("an API error");
    assert_eq!(api.meta.status, 409);
    assert!(
        api.message.contains("while it is in vm_state stopped"),
        "{}",
        api.message
    );
    assert!(err.request_id().is_some_and(|id| id.starts_with("req-")));

    let start = act!(server, server.start(), Some("ACTIVE"));
    assert_recorded(&server, start.output.request_id().unwrap(), "start").await;
    let soft = act!(server, server.reboot(RebootType::Soft), Some("ACTIVE"));
    assert_recorded(&server, soft.output.request_id().unwrap(), "reboot").await;
    act!(server, server.reboot(RebootType::Hard), Some("ACTIVE"));
    act!(server, server.pause(), Some("PAUSED"));
    act!(server, server.unpause(), Some("ACTIVE"));
    act!(server, server.suspend(), Some("SUSPENDED"));
    act!(server, server.resume(), Some("ACTIVE"));

    let locked = act!(server, server.lock().locked_reason("it"), Some("ACTIVE"));
    let shown = server
        .show_server()
        .at_microversion(Microversion::new(2, 73))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.locked, Some(true));
    assert_eq!(shown.locked_reason.as_deref(), Some("it"));
    assert_recorded(&server, locked.output.request_id().unwrap(), "lock").await;
    act!(server, server.unlock(), Some("ACTIVE"));

    let image = act!(
        server,
        server.create_image("it-snap").at_microversion(Microversion::new(2, 45)),
        Some("ACTIVE")
    );
    assert!(image.output.image_id.is_some(), "2.45 returns image_id");
    let old = server
        .create_image("it-snap-old")
        .at_microversion(Microversion::new(2, 44))
        .wait(opts())
        .await
        .unwrap();
    assert!(
        old.output.image_id.is_some(),
        "before 2.45 the id comes from the Location header"
    );
    act!(server, server.create_backup("it-backup", "daily", 1), Some("ACTIVE"));
    act!(server, server.change_password("N3w-pass-it"), Some("ACTIVE"));
    act!(server, server.trigger_crash_dump(), Some("ACTIVE"));

    let console = server.get_console_output().length(10).send().await.unwrap();
    assert!(console.status() == 200);
    let remote = server
        .create_remote_console(RemoteConsoleProtocol::Vnc, RemoteConsoleType::Novnc)
        .send()
        .await
        .unwrap();
    assert!(remote.url.starts_with("http"), "{}", remote.url);
    let vnc = server
        .get_vnc_console(openstack_compute::types::VncConsoleType::Novnc)
        .at_microversion(Microversion::new(2, 5))
        .send()
        .await
        .unwrap();
    assert!(vnc.url.starts_with("http"));

    server.remove_security_group("default").send().await.unwrap();
    server.add_security_group("default").send().await.unwrap();

    let rescue = act!(server, server.rescue().admin_pass("Resc-pw-1"), Some("RESCUE"));
    assert_eq!(
        rescue
            .output
            .admin_pass
            .as_ref()
            .map(|p| p.expose_secret().to_string())
            .as_deref(),
        Some("Resc-pw-1")
    );
    act!(server, server.unrescue(), Some("ACTIVE"));

    act!(server, server.resize("2"), Some("VERIFY_RESIZE"));
    act!(server, server.revert_resize(), Some("ACTIVE"));
    act!(server, server.resize("2"), Some("VERIFY_RESIZE"));
    let confirm = act!(server, server.confirm_resize(), Some("ACTIVE"));
    assert_eq!(confirm.output.status(), 204);

    act!(server, server.shelve(), Some("SHELVED_OFFLOADED"));
    act!(
        server,
        server.unshelve().at_microversion(Microversion::new(2, 77)),
        Some("ACTIVE")
    );
    plain.delete_server(server.id()).await;
}

#[tokio::test]
async fn rebuild_at_every_microversion_where_its_shape_changes() {
    let compute = member();
    let plain = Plain::login("OS_CLOUD", "sandbox-demo").await;
    let server = new_server(&compute, &plain, "it-rebuild").await;
    let max = compute.server_versions().await.unwrap().max;
    let versions = [
        "2.1", "2.19", "2.26", "2.47", "2.54", "2.57", "2.63", "2.71", "2.73", "2.75", "2.90", "2.96", "2.98", "2.100",
    ];
    for (i, v) in versions
        .iter()
        .map(|v| v.parse::<Microversion>().unwrap())
        .chain([max])
        .enumerate()
    {
        // The sandbox's Glance shows the member one image; rebuilding onto it is a full rebuild.
        let image = IMAGE;
        let done = server
            .rebuild(image)
            .name(format!("it-rebuild-{i}"))
            .at_microversion(v)
            .wait(opts())
            .await
            .unwrap_or_else(|e| panic!("rebuild at {v}: {e}"));
        assert_eq!(done.output.microversion(), Some(v));
        assert_eq!(done.output.id, server.id());
        assert_eq!(done.output.name.as_deref(), Some(format!("it-rebuild-{i}").as_str()));
        assert_eq!(
            done.output.locked.is_some(),
            v >= Microversion::new(2, 9),
            "locked at {v}"
        );
        assert_eq!(
            done.output.flavor.is_some(),
            v >= Microversion::new(2, 47),
            "embedded flavor at {v}"
        );
        assert_eq!(
            done.output.flavor_ref.is_some(),
            v < Microversion::new(2, 47),
            "flavor ref at {v}"
        );
        assert_eq!(
            done.output.server_groups.is_some(),
            v >= Microversion::new(2, 71),
            "server_groups at {v}"
        );
        assert_eq!(
            done.output.hostname.is_some(),
            v >= Microversion::new(2, 90),
            "hostname at {v}"
        );
        assert_eq!(
            done.output.scheduler_hints.is_some(),
            v >= Microversion::new(2, 100),
            "scheduler_hints at {v}"
        );
        assert_recorded(&server, done.output.request_id().unwrap(), "rebuild").await;
        assert_eq!(done.server.as_ref().unwrap().status.as_str(), "ACTIVE");
    }
    // The per-version type, sent at a version of its range.
    let typed = server.send_action(rebuild::V2_63::new(IMAGE)).await.unwrap();
    let v = typed.microversion().unwrap();
    assert!(v >= Microversion::new(2, 63) && v <= Microversion::new(2, 89), "{v}");
    server.wait_for_status(&["ACTIVE"], opts()).await.unwrap();
    let _: &show_server::Response = &server.show_server().send().await.unwrap();
    plain.delete_server(server.id()).await;
}

#[tokio::test]
async fn admin_actions_and_migrations() {
    let compute = admin();
    let plain = Plain::login("OS_CLOUD_ADMIN", "sandbox-admin").await;
    let server = new_server(&compute, &plain, "it-admin").await;
    let reset = server.reset_state(ResetStateTarget::Error).send().await.unwrap();
    assert!(reset.request_id().is_some());
    server.wait_for_status(&["ERROR"], opts()).await.unwrap();
    server.reset_state(ResetStateTarget::Active).send().await.unwrap();
    server.wait_for_status(&["ACTIVE"], opts()).await.unwrap();
    server.inject_network_info().send().await.unwrap();

    act!(
        server,
        server.migrate().at_microversion(Microversion::new(2, 56)),
        Some("VERIFY_RESIZE")
    );
    act!(server, server.confirm_resize(), Some("ACTIVE"));
    act!(
        server,
        server
            .live_migrate(None, BlockMigration::Auto)
            .at_microversion(Microversion::new(2, 30)),
        Some("ACTIVE")
    );
    act!(server, server.live_migrate(None, BlockMigration::Auto), Some("ACTIVE"));
    act!(server, server.shelve(), Some("SHELVED_OFFLOADED"));
    act!(server, server.unshelve(), Some("ACTIVE"));
    plain.delete_server(server.id()).await;
}

#[tokio::test]
async fn negative_paths_against_the_real_thing() {
    let member = member();
    let admin = admin();
    let plain = Plain::login("OS_CLOUD", "sandbox-demo").await;
    let server = new_server(&member, &plain, "it-negative").await;

    // Admin-only action as a member.
    let err = server.reset_state(ResetStateTarget::Error).send().await.unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");

    // Locked by an admin: a member's stop is a conflict.
    let as_admin = admin.server(server.id());
    as_admin.lock().send().await.unwrap();
    let err = server.stop().send().await.unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert!(err.as_api().unwrap().message.contains("is locked"), "{err}");
    as_admin.unlock().send().await.unwrap();

    // Outside its microversion: refused before sending...
    let err = server
        .lock()
        .locked_reason("x")
        .at_microversion(Microversion::new(2, 72))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Action(_)), "{err}");
    let err = server
        .add_floating_ip("172.24.4.1")
        .at_microversion(Microversion::new(2, 44))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Action(_)), "{err}");
    let err = server
        .trigger_crash_dump()
        .at_microversion(Microversion::new(2, 16))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Action(_)), "{err}");
    // ...and what Nova answers when forced through the raw path.
    // Before 2.73 Nova does not validate the lock body: it locks and drops the reason.
    let raw = member
        .send_raw_action(
            server.id(),
            &json!({"lock": {"locked_reason": "x"}}),
            Microversion::new(2, 72),
        )
        .await
        .unwrap();
    assert_eq!(raw.status(), 202);
    let shown = server
        .show_server()
        .at_microversion(Microversion::new(2, 73))
        .send()
        .await
        .unwrap();
    assert_eq!((shown.locked, shown.locked_reason.clone()), (Some(true), None));
    server.unlock().send().await.unwrap();
    let raw = member
        .send_raw_action(
            server.id(),
            &json!({"trigger_crash_dump": null}),
            Microversion::new(2, 16),
        )
        .await
        .unwrap_err();
    assert_eq!(raw.status(), Some(404));
    let raw = member
        .send_raw_action(
            server.id(),
            &json!({"addFloatingIp": {"address": "172.24.4.1"}}),
            Microversion::new(2, 44),
        )
        .await
        .unwrap_err();
    assert_eq!(raw.status(), Some(404));
    plain.delete_server(server.id()).await;
}

#[tokio::test]
async fn the_auth_chain_for_real() {
    // Application credential.
    let app = Compute::new(cloud("OS_CLOUD_APPCRED", "sandbox-demo-appcred")).unwrap();
    assert!(app.server_versions().await.unwrap().max >= Microversion::new(2, 90));

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
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("definitely-wrong-pw"));

    // Tokens revoked in Keystone mid-run (the user disabled and enabled again): the next
    // call re-authenticates once and succeeds.
    let compute = member();
    let plain = Plain::login("OS_CLOUD", "sandbox-demo").await;
    let server = new_server(&compute, &plain, "it-auth").await;
    let admin_plain = Plain::login("OS_CLOUD_ADMIN", "sandbox-admin").await;
    let keystone = env("KEYSTONE_URL");
    let users: Value = admin_plain
        .http
        .get(format!("{keystone}/v3/users?name=demo"))
        .header("x-auth-token", &admin_plain.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_id = users["users"][0]["id"].as_str().unwrap().to_string();
    for enabled in [false, true] {
        let r = admin_plain
            .http
            .patch(format!("{keystone}/v3/users/{user_id}"))
            .header("x-auth-token", &admin_plain.token)
            .json(&json!({"user": {"enabled": enabled}}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let shown = server.show_server().send().await.unwrap();
    assert_eq!(shown.id, server.id());
    plain.delete_server(server.id()).await;
    let _ = VersionStrategy::HighestCommon;
    let _: Option<create_image::Response> = None;
}
