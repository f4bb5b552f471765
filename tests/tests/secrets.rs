//! No password, token, application-credential secret or adminPass reaches a trace, a
//! `Debug`, or an error message, even at TRACE level with every crate's events captured.

use std::io::Write;
use std::sync::{Arc, Mutex};

use openstack_compute::{Compute, Config};
use serde_json::json;
use tests::mock::{MockCloud, PASSWORD, TOKEN_PREFIX};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SERVER: &str = "5e2d5f1c-4c1c-4c1f-9d57-2f3e4b1c6a10";
const ADMIN_PASS: &str = "n3w-Admin-Pass!";
const APP_SECRET: &str = "app-cred-secret-value";

#[tokio::test]
async fn secrets_never_reach_traces_debug_or_errors() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(json!({"conflictingRequest": {"message": "locked", "code": 409}})),
        )
        .mount(&cloud.server)
        .await;
    let compute = Compute::new(cloud.config().build().unwrap()).unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    let mut shown = format!("{err} {err:?} {compute:?}");

    // An application credential refused by Keystone.
    let config = Config::builder()
        .set("auth_url", format!("{}/nothing/v3", cloud.server.uri()))
        .set("application_credential_id", "ac-1")
        .set("application_credential_secret", APP_SECRET)
        .build()
        .unwrap();
    shown.push_str(&format!("{config:?}"));
    let err = Compute::new(config)
        .unwrap()
        .server(SERVER)
        .stop()
        .send()
        .await
        .unwrap_err();
    shown.push_str(&format!("{err} {err:?}"));

    // adminPass going out (changePassword, rebuild, evacuate) and coming back (rescue).
    let cloud2 = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"adminPass": ADMIN_PASS})))
        .mount(&cloud2.server)
        .await;
    let compute = Compute::new(cloud2.config().build().unwrap()).unwrap();
    let server = compute.server(SERVER);
    let call = server.change_password(ADMIN_PASS);
    shown.push_str(&format!("{call:?}"));
    let _ = call.send().await;
    let call = server
        .rebuild("155d900f-4e14-4e4c-a73d-069cbf4541e6")
        .admin_pass(ADMIN_PASS);
    shown.push_str(&format!("{call:?}"));
    let _ = call.send().await;
    let evacuate = server
        .evacuate()
        .admin_pass(ADMIN_PASS)
        .at_microversion(openstack_compute::Microversion::new(2, 14));
    shown.push_str(&format!("{evacuate:?}"));
    let _ = evacuate.send().await;
    let rescued = server.rescue().admin_pass(ADMIN_PASS).send().await.unwrap();
    shown.push_str(&format!("{rescued:?}"));
    assert_eq!(rescued.admin_pass.as_ref().map(|p| p.expose_secret()), Some(ADMIN_PASS));
    let typed = openstack_compute::ops::rebuild::V2_1 {
        admin_pass: Some(ADMIN_PASS.into()),
        ..openstack_compute::ops::rebuild::V2_1::new("i")
    };
    shown.push_str(&format!("{typed:?}"));

    let traces = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(traces.contains("compute.call"), "the call was traced:\n{traces}");
    for secret in [PASSWORD, &format!("{TOKEN_PREFIX}1"), ADMIN_PASS, APP_SECRET] {
        assert!(!traces.contains(secret), "trace output leaks {secret}:\n{traces}");
        assert!(!shown.contains(secret), "Debug/Display leaks {secret}:\n{shown}");
    }
}
