//! No password, token, application-credential secret or adminPass reaches a trace, a `Debug`,
//! or an error message: not the configuration (builder included), not the client, not any
//! request, call, per-version type or response that can hold one, even at TRACE level with
//! every crate's events captured.

use openstack_compute::{Compute, Config, Microversion};
use serde_json::{Value, json};
use tests::capture::Capture;
use tests::mock::{MockCloud, PASSWORD, TOKEN_PREFIX};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};
use xtask::model::{Model, spec_samples};
use xtask::spec::Direction;

const SERVER: &str = "5e2d5f1c-4c1c-4c1f-9d57-2f3e4b1c6a10";
const ADMIN_PASS: &str = "n3w-Admin-Pass!";
const APP_SECRET: &str = "app-cred-secret-value";
const STATIC_TOKEN: &str = "static-token-value";

fn assert_hidden(shown: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!shown.contains(secret), "leaks {secret}:\n{shown}");
    }
}

#[tokio::test]
async fn secrets_never_reach_traces_debug_or_errors() {
    let (capture, _guard) = Capture::install(tracing::Level::TRACE);

    let cloud = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(json!({"conflictingRequest": {"message": "locked", "code": 409}})),
        )
        .mount(&cloud.server)
        .await;
    // The configuration, as built and while building, from each source of credentials.
    let builder = cloud.config();
    let mut shown = format!("{builder:?}");
    let compute = Compute::new(builder.build().unwrap()).unwrap();
    let err = compute.server(SERVER).stop().send().await.unwrap_err();
    shown.push_str(&format!("{err} {err:?} {compute:?} {:?}", compute.config()));
    let static_builder = Config::builder().static_endpoint("http://nova.example/v2.1", STATIC_TOKEN);
    shown.push_str(&format!(
        "{static_builder:?} {:?}",
        static_builder.clone().build().unwrap()
    ));
    let token_builder = Config::builder()
        .set("auth_url", "http://ks/v3")
        .set("token", STATIC_TOKEN)
        .set("project_name", "p");
    shown.push_str(&format!(
        "{token_builder:?} {:?}",
        token_builder.clone().build().unwrap()
    ));

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

    // adminPass going out in calls and coming back in outputs.
    let cloud2 = MockCloud::start("2.100").await;
    Mock::given(method("POST"))
        .and(path(MockCloud::action_path(SERVER)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"adminPass": ADMIN_PASS})))
        .mount(&cloud2.server)
        .await;
    let compute = Compute::new(cloud2.config().build().unwrap()).unwrap();
    let server = compute.server(SERVER);
    let call = server.change_password(ADMIN_PASS);
    shown.push_str(&format!("{call:?} {:?}", call.request()));
    let _ = call.send().await;
    let call = server
        .rebuild("155d900f-4e14-4e4c-a73d-069cbf4541e6")
        .admin_pass(ADMIN_PASS);
    shown.push_str(&format!("{call:?}"));
    let _ = call.send().await;
    let call = compute
        .servers()
        .create("web", "155d900f-4e14-4e4c-a73d-069cbf4541e6", "1")
        .admin_pass(ADMIN_PASS);
    shown.push_str(&format!("{call:?}"));
    let rescued = server.rescue().admin_pass(ADMIN_PASS).send().await.unwrap();
    shown.push_str(&format!("{rescued:?}"));
    assert_eq!(rescued.admin_pass.as_ref().map(|p| p.expose_secret()), Some(ADMIN_PASS));

    let traces = capture.text();
    assert!(traces.contains("compute.call"), "the call was traced:\n{traces}");
    let token = format!("{TOKEN_PREFIX}1");
    let secrets = [PASSWORD, token.as_str(), ADMIN_PASS, APP_SECRET, STATIC_TOKEN];
    assert_hidden(&traces, &secrets);
    assert_hidden(&shown, &secrets);
}

/// Replaces the value of every `adminPass` key with `secret`; says whether there was one.
fn plant(value: &mut Value, secret: &str) -> bool {
    match value {
        Value::Object(map) => {
            let mut found = false;
            for (k, v) in map.iter_mut() {
                if k == "adminPass" && (v.is_string() || v.is_null()) {
                    *v = json!(secret);
                    found = true;
                } else {
                    found |= plant(v, secret);
                }
            }
            found
        }
        Value::Array(items) => items.iter_mut().fold(false, |f, v| plant(v, secret) | f),
        _ => false,
    }
}

/// Every sample that carries an adminPass, request or response, read into the agnostic and
/// the per-version types of every operation concerned: `Debug` never shows it.
#[test]
fn no_request_or_response_type_shows_an_admin_pass() {
    let model = Model::load(&tests::workspace_root()).unwrap();
    let mut samples: Vec<(String, String, Direction, Microversion, Vec<u8>)> = Vec::new();
    for (file, op, dir, v) in spec_samples(&model) {
        samples.push((
            file.display().to_string(),
            op.name.clone(),
            dir,
            Microversion::new(v.major, v.minor),
            std::fs::read(&file).unwrap(),
        ));
    }
    for s in &model.upstream.samples {
        let file = tests::upstream_sample(&s.path).unwrap();
        samples.push((
            s.path.clone(),
            s.op.clone(),
            s.direction,
            Microversion::new(s.version.major, s.version.minor),
            std::fs::read(file).unwrap(),
        ));
    }
    let mut checked = 0;
    for (file, op, dir, v, bytes) in samples {
        let mut value: Value = serde_json::from_slice(&bytes).unwrap();
        if !plant(&mut value, ADMIN_PASS) {
            continue;
        }
        let planted = serde_json::to_vec(&value).unwrap();
        let stretch = tests::glue(&op).stretch(v).unwrap();
        let shown = match dir {
            Direction::Request => (stretch.debug_request)(&planted).unwrap_or_else(|e| panic!("{file}: {e}")),
            Direction::Response => (stretch.debug_response.expect("a response type"))(v, &planted)
                .unwrap_or_else(|e| panic!("{file}: {e}"))
                .to_string(),
        };
        assert!(
            shown.contains("redacted"),
            "{file}: the secret field is shown at all: {shown}"
        );
        assert_hidden(&shown, &[ADMIN_PASS]);
        checked += 1;
    }
    // Requests (change password, rebuild, evacuate, rescue, create) and responses (rebuild,
    // rescue, evacuate, create).
    assert!(checked >= 20, "checked {checked}");
    println!("{checked} samples with an adminPass: never shown");
}
