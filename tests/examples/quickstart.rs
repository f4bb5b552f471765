//! The quickstart walk: create a server and wait until it is ACTIVE, stop, start, soft reboot,
//! lock with a reason, unlock, snapshot, rebuild, list every instance action with its events,
//! delete the server and wait until it is gone. One line per step: operation, microversion,
//! request ID, status, time; after the create, the new server's ID (what to quote to find it
//! again, or to clean up after a walk that failed half-way).
//!
//! - With neither `OS_CLOUD` nor `OS_AUTH_URL` set, it runs on the embedded fake cloud
//!   (`openstack_compute::testing`).
//! - On a real cloud, `--image ID --flavor ID|NAME [--network ID|none|auto] [--volume ID]
//!   --allow-disruptive` creates its own server (with the key pair `quickstart`, found or
//!   created, metadata and a tag, and the volume attached while it walks), walks it through the
//!   actions and deletes it and what it created; `--server ID` shows
//!   an existing server and lists its instance actions (and, with `--allow-disruptive`, walks
//!   it, without deleting it).
//!
//! `cargo run --example quickstart [-- --image ID --flavor ID [--network ID] --allow-disruptive]`

use std::process::ExitCode;
use std::time::{Duration, Instant};

use openstack_compute::testing::FakeCloud;
use openstack_compute::types::{Network, Networks, RebootType};
use openstack_compute::wait::Deletion;
use openstack_compute::{Compute, Error, ErrorKind, Microversion, ServerHandle, WaitOptions};

/// Where the lines go: standard output when run; a list in the test that reads them
/// (`tests/tests/quickstart.rs`).
pub type Say<'a> = &'a dyn Fn(String);

fn line(step: &str, version: Option<Microversion>, request_id: Option<&str>, status: &str, took: Duration) -> String {
    let version = version.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    format!(
        "{step:<14} microversion {version:<6} request {:<44} status {status:<14} {:>6.2}s",
        request_id.unwrap_or("-"),
        took.as_secs_f64()
    )
}

async fn walk(server: &ServerHandle, options: &WaitOptions, say: Say<'_>) -> Result<(), Error> {
    macro_rules! step {
        ($name:expr, $call:expr) => {{
            let start = Instant::now();
            let done = $call.wait(options.clone()).await?;
            say(line(
                $name,
                done.output.microversion(),
                done.output.request_id(),
                done.server.status.as_str(),
                start.elapsed(),
            ));
            done
        }};
    }
    step!("stop", server.stop());
    step!("start", server.start());
    step!("reboot SOFT", server.reboot(RebootType::Soft));
    step!("lock", server.lock().locked_reason("quickstart"));
    step!("unlock", server.unlock());
    let image = step!("createImage", server.create_image("quickstart-snapshot"));
    say(format!(
        "               image_id {}",
        image.output.image_id.as_deref().unwrap_or("(in the Location header)")
    ));
    let image_ref = image
        .server
        .image
        .as_ref()
        .and_then(|i| i.value())
        .map(|i| i.id.clone())
        .unwrap_or_default();
    let rebuilt = step!("rebuild", server.rebuild(image_ref).name("quickstart-rebuilt"));
    say(format!(
        "               rebuilt: name {}, status {}",
        rebuilt.output.name.value().map(String::as_str).unwrap_or("-"),
        rebuilt.output.status
    ));
    list_actions(server, say).await
}

async fn list_actions(server: &ServerHandle, say: Say<'_>) -> Result<(), Error> {
    let actions = server.instance_actions().list().limit(2).collect().await?;
    say(format!("instance actions ({}), read two to a page:", actions.len()));
    for action in actions {
        let detail = server.instance_actions().get(action.request_id.clone()).send().await?;
        let events: Vec<String> = detail
            .events
            .iter()
            .map(|e| format!("{} {}", e.event, e.result.clone().unwrap_or_else(|| "(running)".into())))
            .collect();
        say(format!(
            "  {:<16} {} [{}]",
            action.action,
            action.request_id,
            events.join(", ")
        ));
    }
    Ok(())
}

/// The flavor's ID: `flavor` itself when a flavor has it, else the flavor named so.
async fn flavor_id(compute: &Compute, flavor: &str) -> Result<String, Error> {
    match compute.flavor(flavor).show().send().await {
        Ok(found) => Ok(found.id.clone()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(compute.flavors().find_by_name(flavor).await?.id),
        Err(e) => Err(e),
    }
}

/// The key pair `quickstart`: found, or created (Nova generates it; its private key is
/// printed nowhere). `true` when this run created it, and so deletes it.
async fn keypair(compute: &Compute, say: Say<'_>) -> Result<bool, Error> {
    match compute.keypair(KEYPAIR).show().send().await {
        Ok(_) => {
            say(format!("keypair        {KEYPAIR} (found)"));
            Ok(false)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let created = compute.keypairs().create(KEYPAIR).send().await?;
            say(format!(
                "keypair        {KEYPAIR} (created, fingerprint {})",
                created.fingerprint
            ));
            Ok(true)
        }
        Err(e) => Err(e),
    }
}

const KEYPAIR: &str = "quickstart";

/// Creates a server (with the `quickstart` key pair, found or created), gives it metadata and
/// a tag, walks it, deletes it and what it created.
pub async fn create_walk_delete(
    compute: &Compute,
    image: &str,
    flavor: &str,
    network: Option<&str>,
    volume: Option<&str>,
    options: &WaitOptions,
    say: Say<'_>,
) -> Result<(), Error> {
    let networks = match network {
        None | Some("auto") => Networks::Auto,
        Some("none") => Networks::None,
        Some(id) => Networks::List(vec![Network {
            uuid: Some(id.to_string()),
            ..Network::default()
        }]),
    };
    let flavor = flavor_id(compute, flavor).await?;
    let own_keypair = keypair(compute, say).await?;
    let start = Instant::now();
    let created = compute
        .servers()
        .create("quickstart", image, flavor)
        .networks(networks)
        .key_name(KEYPAIR)
        .wait(options.clone())
        .await?;
    say(line(
        "create",
        created.output.microversion(),
        created.output.request_id(),
        created.server().status.as_str(),
        start.elapsed(),
    ));
    say(format!("               server_id {}", created.server().id));
    let server = compute.server(created.server().id.clone());
    let set = server.metadata().set("made-by", "quickstart").send().await?;
    let tagged = server.tags().add("quickstart").send().await?;
    say(format!(
        "               metadata {:?}, tag added ({})",
        set.meta,
        tagged.status()
    ));
    if let Some(volume) = volume {
        let start = Instant::now();
        let attached = server.volume_attachments().attach(volume).wait(options.clone()).await?;
        say(line(
            "attach volume",
            attached.output.microversion(),
            attached.output.request_id(),
            "attached",
            start.elapsed(),
        ));
        say(format!(
            "               volume {} as {}",
            attached.item.volume_id,
            attached.item.device.value().map(String::as_str).unwrap_or("-")
        ));
    }
    let walked = walk(&server, options, say).await;
    if let Some(volume) = volume {
        let start = Instant::now();
        let detached = server.volume_attachments().detach(volume).wait(options.clone()).await?;
        say(line(
            "detach volume",
            detached.output.microversion(),
            detached.output.request_id(),
            "detached",
            start.elapsed(),
        ));
    }
    let start = Instant::now();
    let gone = server.delete().wait(options.clone()).await?;
    // A cloud that defers deletes keeps the server, restorable, until it is reclaimed.
    let status = match gone.outcome {
        Deletion::SoftDeleted { .. } => "SOFT_DELETED (restorable until reclaimed)",
        _ => "(gone)",
    };
    say(line(
        "delete",
        gone.output.microversion(),
        gone.output.request_id(),
        status,
        start.elapsed(),
    ));
    if own_keypair {
        compute.keypair(KEYPAIR).delete().send().await?;
        say(format!("keypair        {KEYPAIR} (deleted)"));
    }
    walked
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

async fn run(say: Say<'_>) -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let disruptive = args.iter().any(|a| a == "--allow-disruptive");
    let real = std::env::var_os("OS_CLOUD").is_some() || std::env::var_os("OS_AUTH_URL").is_some();
    if !real {
        say("no OS_CLOUD or OS_AUTH_URL: using the embedded fake cloud".into());
        // The fake's own time: its waits sleep on its clock, so the walk runs at once.
        let cloud = FakeCloud::start().await;
        let compute = Compute::new(cloud.config().build()?)?;
        let options = cloud.wait_options(Duration::from_secs(600));
        return create_walk_delete(
            &compute,
            openstack_compute::testing::IMAGE_ID,
            openstack_compute::testing::FLAVOR_ID,
            None,
            // Any UUID is a volume on the fake, as in Nova's own Cinder fixture.
            Some("5b5e3c4a-9c1e-4f0e-8a41-2f7c9d1e6a10"),
            &options,
            say,
        )
        .await;
    }
    let compute = Compute::from_env()?;
    let options = WaitOptions::new(Duration::from_secs(600));
    match (arg(&args, "--server"), arg(&args, "--image"), arg(&args, "--flavor")) {
        (Some(id), _, _) => {
            let server = compute.server(id);
            let shown = server.show().send().await?;
            say(format!(
                "server {} ({}) is {} [request {}]",
                shown.id,
                shown.name.value().map(String::as_str).unwrap_or("-"),
                shown.status,
                shown.request_id().unwrap_or("-")
            ));
            if disruptive {
                walk(&server, &options, say).await
            } else {
                list_actions(&server, say).await
            }
        }
        (None, Some(image), Some(flavor)) if disruptive => {
            let network = arg(&args, "--network");
            let volume = arg(&args, "--volume");
            create_walk_delete(
                &compute,
                &image,
                &flavor,
                network.as_deref(),
                volume.as_deref(),
                &options,
                say,
            )
            .await
        }
        _ => {
            eprintln!(
                "on a real cloud: --image ID --flavor ID [--network ID|none|auto] --allow-disruptive, or --server ID"
            );
            std::process::exit(2);
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(&|line| println!("{line}")).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e} (request {})", e.request_id().unwrap_or("-"));
            ExitCode::FAILURE
        }
    }
}
