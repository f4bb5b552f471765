//! The quickstart walk: stop, start, soft reboot, lock with a reason, unlock, createImage,
//! rebuild, then every instance action with its events, waiting properly after each step.
//!
//! - With nothing set it starts the embedded fake cloud (`openstack_compute::testing`) and a
//!   server in it.
//! - With `OS_CLOUD` or `OS_AUTH_URL` set it uses that cloud: `--server ID` shows the server and
//!   lists its instance actions; only with `--allow-disruptive` does it run the walk on it.
//!
//! `cargo run --example quickstart [-- --server ID [--allow-disruptive]]`

use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use openstack_compute::testing::FakeCloud;
use openstack_compute::{Compute, Error, Microversion, RequestId, ServerHandle, WaitOptions};

fn line(step: &str, version: Option<Microversion>, request_id: Option<&str>, status: &str, took: Duration) {
    let version = version.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    println!(
        "{step:<14} microversion {version:<6} request {:<44} status {status:<10} {:>6.2}s",
        request_id.unwrap_or("-"),
        took.as_secs_f64()
    );
}

async fn walk(server: &ServerHandle, options: WaitOptions) -> Result<(), Error> {
    macro_rules! step {
        ($name:expr, $call:expr) => {{
            let start = Instant::now();
            let done = $call.wait(options).await?;
            let status = done
                .server
                .as_ref()
                .map(|s| s.status.as_str().to_string())
                .unwrap_or_default();
            line(
                $name,
                done.output.microversion(),
                done.output.request_id(),
                &status,
                start.elapsed(),
            );
            done
        }};
    }
    step!("stop", server.stop());
    step!("start", server.start());
    step!("reboot SOFT", server.reboot(openstack_compute::types::RebootType::Soft));
    step!("lock", server.lock().locked_reason("quickstart"));
    step!("unlock", server.unlock());
    let image = step!("createImage", server.create_image("quickstart-snapshot"));
    println!(
        "               image_id {}",
        image.output.image_id.as_deref().unwrap_or("(none)")
    );
    let current = server.show_server().send().await?;
    let image_ref = current.image.value().map(|i| i.id.clone()).unwrap_or_default();
    let rebuilt = step!("rebuild", server.rebuild(image_ref).name("quickstart-rebuilt"));
    println!(
        "               rebuilt: name {}, status {}, image {:?}",
        rebuilt.output.name.as_deref().unwrap_or("-"),
        rebuilt.output.status.as_str(),
        rebuilt.output.image.value().map(|i| i.id.as_str())
    );
    list_actions(server).await
}

async fn list_actions(server: &ServerHandle) -> Result<(), Error> {
    let actions: Vec<_> = server
        .instance_actions()
        .list()
        .limit(2)
        .into_stream()
        .try_collect()
        .await?;
    println!("instance actions ({}):", actions.len());
    for action in actions {
        let detail = server.instance_actions().get(action.request_id.clone()).send().await?;
        let events: Vec<String> = detail
            .events
            .iter()
            .flatten()
            .map(|e| format!("{} {}", e.event, e.result.clone().unwrap_or_else(|| "(running)".into())))
            .collect();
        println!("  {:<14} {} [{}]", action.action, action.request_id, events.join(", "));
    }
    Ok(())
}

async fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let server_arg = args
        .iter()
        .position(|a| a == "--server")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let disruptive = args.iter().any(|a| a == "--allow-disruptive");
    let real = std::env::var_os("OS_CLOUD").is_some() || std::env::var_os("OS_AUTH_URL").is_some();
    if real {
        let compute = Compute::from_env()?;
        let Some(id) = server_arg else {
            eprintln!("using the cloud from the environment: pass --server ID");
            std::process::exit(2);
        };
        let server = compute.server(id);
        let shown = server.show_server().send().await?;
        println!(
            "server {} ({}) is {} [request {}]",
            shown.id,
            shown.name.as_deref().unwrap_or("-"),
            shown.status.as_str(),
            shown.request_id().unwrap_or("-")
        );
        if disruptive {
            walk(&server, WaitOptions::new(Duration::from_secs(600))).await
        } else {
            list_actions(&server).await
        }
    } else {
        println!("no OS_CLOUD or OS_AUTH_URL: using the embedded fake cloud");
        let cloud = FakeCloud::start().await;
        let id = cloud.add_server("quickstart");
        let compute = Compute::new(cloud.config().build()?)?;
        let options = WaitOptions::new(Duration::from_secs(60))
            .initial_interval(Duration::from_millis(50))
            .max_interval(Duration::from_millis(500));
        walk(&compute.server(id), options).await
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e} (request {})", e.request_id().unwrap_or("-"));
            ExitCode::FAILURE
        }
    }
}
