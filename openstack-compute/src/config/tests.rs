//! The configuration, from each source and for each way to authenticate.

use std::collections::{BTreeMap, BTreeSet};

use super::clouds::yaml_to_json;
use super::settings::{SETTINGS, suggest};
use super::*;
use crate::microversion::Microversion;

fn from(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: BTreeMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(&|k| map.get(k).cloned())
}

/// A fresh directory with `clouds.yaml` (and `secure.yaml` when given); returns the paths.
fn cloud_files(test: &str, clouds: &str, secure: Option<&str>) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("osc-config-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("clouds.yaml"), clouds).unwrap();
    let _ = std::fs::remove_file(dir.join("secure.yaml"));
    if let Some(secure) = secure {
        std::fs::write(dir.join("secure.yaml"), secure).unwrap();
    }
    (
        dir.join("clouds.yaml").display().to_string(),
        dir.join("secure.yaml").display().to_string(),
    )
}

#[test]
fn password_from_env_with_domains() {
    let c = from(&[
        ("OS_AUTH_URL", "http://ks/v3"),
        ("OS_USERNAME", "demo"),
        ("OS_PASSWORD", "s3cret-pw"),
        ("OS_PROJECT_NAME", "demo"),
        ("OS_USER_DOMAIN_NAME", "Users"),
        ("OS_COMPUTE_API_VERSION", "2.73"),
        ("OS_INTERFACE", "internal"),
    ])
    .unwrap();
    match &c.auth {
        AuthMethod::Password { user, project, .. } => {
            assert_eq!(
                user,
                &NameOrId::Name {
                    name: "demo".into(),
                    domain: Domain::Name("Users".into())
                }
            );
            assert_eq!(
                project,
                &Some(NameOrId::Name {
                    name: "demo".into(),
                    domain: Domain::Name("Default".into())
                })
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.version, VersionStrategy::Pinned(Microversion::new(2, 73)));
    assert_eq!(c.interface, Interface::Internal);
    assert!(
        !format!("{c:?}").contains("s3cret-pw"),
        "Debug must not show the password"
    );
}

#[test]
fn defaults() {
    let c = Config::builder()
        .password_auth("http://ks/v3", "u", "p", "")
        .build()
        .unwrap();
    assert_eq!(c.version, VersionStrategy::HighestCommon);
    assert_eq!(c.interface, Interface::Public);
    assert_eq!(c.retry, RetryPolicy::default());
    assert_eq!(
        (c.connect_timeout, c.request_timeout, c.max_body_bytes),
        (Duration::from_secs(10), None, 8 * 1024 * 1024)
    );
    assert!(!c.insecure && c.region.is_none() && c.global_request_id.is_none());
    assert!(matches!(c.auth, AuthMethod::Password { project: None, .. }));
}

#[test]
fn missing_password_names_the_setting() {
    let e = from(&[("OS_AUTH_URL", "http://ks/v3"), ("OS_USERNAME", "demo")]).unwrap_err();
    assert_eq!(
        e,
        ConfigError::Missing {
            setting: "password".into(),
            hint: "set OS_PASSWORD".into()
        }
    );
    assert_eq!(e.to_string(), "missing password: set OS_PASSWORD");
}

#[test]
fn missing_password_in_clouds_yaml_terms() {
    let (clouds, _) = cloud_files(
        "missing-pw",
        "\
clouds:
  mine:
    auth:
      auth_url: http://ks/v3
      username: demo
",
        None,
    );
    let e = from(&[
        ("OS_CLOUD", "mine"),
        ("OS_CLIENT_CONFIG_FILE", &clouds),
        ("OS_CLIENT_SECURE_FILE", "/nonexistent/secure.yaml"),
    ])
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("missing password: add `auth.password` to cloud `mine` in {clouds} (or secure.yaml)")
    );
}

#[test]
fn missing_password_in_builder_terms() {
    let e = Config::builder()
        .set("auth_url", "http://ks/v3")
        .set("username", "demo")
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "missing password: call `.password_auth(..)` or `.set(\"password\", ..)`"
    );
    let e = Config::builder()
        .set("auth_url", "http://ks/v3")
        .set("password", "pw")
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "missing username or user_id: call `.password_auth(..)`, `.set(\"username\", ..)` or `.set(\"user_id\", ..)`"
    );
}

#[test]
fn contradictory_credentials_are_refused_without_echoing_them() {
    let e = from(&[
        ("OS_AUTH_URL", "http://ks/v3"),
        ("OS_USERNAME", "demo"),
        ("OS_PASSWORD", "pw-value"),
        ("OS_APPLICATION_CREDENTIAL_ID", "ac"),
        ("OS_APPLICATION_CREDENTIAL_SECRET", "ac-secret-value"),
    ])
    .unwrap_err();
    assert!(matches!(e, ConfigError::Contradictory(_)));
    let text = e.to_string();
    assert!(!text.contains("pw-value") && !text.contains("ac-secret-value"));
    assert!(
        text.contains("OS_PASSWORD") && text.contains("OS_APPLICATION_CREDENTIAL_SECRET"),
        "{text}"
    );
}

#[test]
fn static_endpoint_without_keystone() {
    let c = from(&[
        ("OS_COMPUTE_ENDPOINT_OVERRIDE", "http://nova/v2.1"),
        ("OS_TOKEN", "tok"),
    ])
    .unwrap();
    assert!(matches!(c.auth, AuthMethod::Static { ref endpoint, .. } if endpoint == "http://nova/v2.1"));
}

#[test]
fn clouds_yaml_merged_with_secure_yaml_and_env_on_top() {
    let (clouds, secure) = cloud_files(
        "merge",
        "\
clouds:
  mine:
    auth:
      auth_url: http://ks/v3
      username: demo
      project_id: p1
    region_name: R1
    verify: false
",
        Some("clouds:\n  mine:\n    auth:\n      password: from-secure\n"),
    );
    let c = from(&[
        ("OS_CLOUD", "mine"),
        ("OS_CLIENT_CONFIG_FILE", &clouds),
        ("OS_CLIENT_SECURE_FILE", &secure),
        ("OS_REGION_NAME", "R2"),
    ])
    .unwrap();
    match &c.auth {
        AuthMethod::Password { password, project, .. } => {
            assert_eq!(password.expose_secret(), "from-secure");
            assert_eq!(project, &Some(NameOrId::Id("p1".into())));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.region.as_deref(), Some("R2"));
    assert!(c.insecure);
    let e = from(&[("OS_CLOUD", "other"), ("OS_CLIENT_CONFIG_FILE", &clouds)]).unwrap_err();
    assert!(matches!(e, ConfigError::CloudNotFound(ref n, _) if n == "other"));
    // An explicit insecure setting wins over `verify`.
    let c = from(&[
        ("OS_CLOUD", "mine"),
        ("OS_CLIENT_CONFIG_FILE", &clouds),
        ("OS_CLIENT_SECURE_FILE", &secure),
        ("OS_INSECURE", "false"),
    ])
    .unwrap();
    assert!(!c.insecure);
}

#[test]
fn debug_shows_no_secret() {
    const PW: &str = "pw-7d1c0f3e";
    const STATIC_TOKEN: &str = "tok-static-52aa9b";
    const AC_SECRET: &str = "acs-e8c4411d";
    const KS_TOKEN: &str = "tok-keystone-0b96";
    let builders = [
        Config::builder().password_auth("http://ks/v3", "demo", PW, "demo"),
        Config::builder().static_endpoint("http://nova/v2.1", STATIC_TOKEN),
        Config::builder()
            .set("auth_url", "http://ks/v3")
            .set("application_credential_id", "ac-1")
            .set("application_credential_secret", AC_SECRET),
        Config::builder()
            .set("auth_url", "http://ks/v3")
            .set("token", KS_TOKEN)
            .set("project_id", "p1"),
    ];
    let secrets = [PW, STATIC_TOKEN, AC_SECRET, KS_TOKEN];
    for builder in builders {
        let shown = format!("{builder:?} {builder:#?}");
        assert!(shown.contains("<redacted>"), "the secret setting is listed: {shown}");
        let config = builder.build().unwrap();
        let shown = format!("{shown} {config:?} {config:#?}");
        for secret in secrets {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
    // The Debug of a builder shows where settings came from.
    let shown = format!(
        "{:?}",
        Config::builder().password_auth("http://ks/v3", "demo", PW, "demo")
    );
    assert!(
        shown.contains("password: Password(<redacted>) from `.password_auth(..)`"),
        "{shown}"
    );
    // A value given under a mistyped name is dropped, not shown.
    let typo = Config::builder().set("pasword", PW);
    assert!(!format!("{typo:?}").contains(PW));
    assert!(!typo.build().unwrap_err().to_string().contains(PW));
}

#[test]
fn unknown_setting_suggests_the_nearest() {
    let e = Config::builder()
        .password_auth("http://ks/v3", "demo", "pw", "demo")
        .set("user_domian_name", "Users")
        .build()
        .unwrap_err();
    assert_eq!(
        e,
        ConfigError::UnknownSetting {
            key: "user_domian_name".into(),
            suggestion: Some("user_domain_name".into())
        }
    );
    assert_eq!(
        e.to_string(),
        "unknown setting `user_domian_name`; did you mean `user_domain_name`?"
    );
    assert_eq!(suggest("OS_PASSWORD").as_deref(), Some("password"));
    assert_eq!(suggest("auth.auth_url").as_deref(), Some("auth_url"));
    assert_eq!(suggest("regoin_name").as_deref(), Some("region_name"));
    assert_eq!(suggest("colour"), None);
    let e = Config::builder().set("colour", "blue").build().unwrap_err();
    assert_eq!(e.to_string(), "unknown setting `colour`");
}

#[test]
fn invalid_value_names_its_source() {
    let base = [
        ("OS_AUTH_URL", "http://ks/v3"),
        ("OS_USERNAME", "demo"),
        ("OS_PASSWORD", "pw"),
    ];
    let e = from(&[base[0], base[1], base[2], ("OS_COMPUTE_API_VERSION", "two")]).unwrap_err();
    assert_eq!(
        e,
        ConfigError::InvalidValue {
            setting: "compute_api_version".into(),
            origin: Box::new(Origin::Env("OS_COMPUTE_API_VERSION")),
            reason: "expected 2.N, latest or lowest".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "invalid compute_api_version from OS_COMPUTE_API_VERSION: expected 2.N, latest or lowest"
    );

    let e = Config::builder()
        .password_auth("http://ks/v3", "demo", "pw", "demo")
        .set("max_retries", "many")
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid max_retries from `.set(\"max_retries\", ..)`: expected a whole number"
    );

    let (clouds, _) = cloud_files(
        "invalid",
        "\
clouds:
  mine:
    auth:
      auth_url: http://ks/v3
      username: demo
      password: pw
    api_timeout: soon
    interface: sideways
",
        None,
    );
    let e = from(&[
        ("OS_CLOUD", "mine"),
        ("OS_CLIENT_CONFIG_FILE", &clouds),
        ("OS_CLIENT_SECURE_FILE", "/nonexistent/secure.yaml"),
    ])
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "invalid interface from clouds.yaml ({clouds}) cloud `mine`: interface: expected public, internal or admin"
        )
    );
    // A valid value on top replaces the refused one.
    let c = from(&[
        ("OS_CLOUD", "mine"),
        ("OS_CLIENT_CONFIG_FILE", &clouds),
        ("OS_CLIENT_SECURE_FILE", "/nonexistent/secure.yaml"),
        ("OS_INTERFACE", "adminURL"),
    ]);
    assert!(
        matches!(&c, Err(ConfigError::InvalidValue { setting, .. }) if setting == "api_timeout"),
        "{c:?}"
    );
}

#[test]
fn clouds_yaml_keys_for_other_services_are_ignored() {
    let (clouds, _) = cloud_files(
        "unknown-keys",
        "\
clouds:
  mine:
    auth:
      auth_url: http://ks/v3
      username: demo
      password: pw
      system_scope: all
    identity_api_version: 3
    volume_api_version: 3
    image_endpoint_override: http://glance
    regions: [R1, R2]
    interface: internal
",
        None,
    );
    let c = from(&[
        ("OS_CLOUD", "mine"),
        ("OS_CLIENT_CONFIG_FILE", &clouds),
        ("OS_CLIENT_SECURE_FILE", "/nonexistent/secure.yaml"),
    ])
    .unwrap();
    assert_eq!(c.interface, Interface::Internal);
}

#[test]
fn malformed_clouds_yaml_names_the_file_and_place_but_not_the_text() {
    let (clouds, _) = cloud_files(
        "malformed",
        "clouds:\n  mine:\n    auth:\n      password: \"hunter2-secret\n      username: [demo\n",
        None,
    );
    let err = from(&[
        ("OS_CLOUD", "mine"),
        ("OS_CLIENT_CONFIG_FILE", &clouds),
        ("OS_CLIENT_SECURE_FILE", "/nonexistent/secure.yaml"),
    ])
    .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(matches!(err, ConfigError::File { .. }), "{shown}");
    assert!(shown.contains("clouds.yaml") && shown.contains("line"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn yaml_scalars_become_the_json_the_settings_table_reads() {
    let docs = yaml_rust2::YamlLoader::load_from_str("a: 1\nb: 2.5\nc: true\nd: ~\ne: [x, 'y']\n3: three\n").unwrap();
    let json = yaml_to_json(docs.into_iter().next().unwrap());
    assert_eq!(
        json,
        serde_json::json!({"a": 1, "b": 2.5, "c": true, "d": null, "e": ["x", "y"], "3": "three"})
    );
}

/// The rows of the settings table in the module docs: key, variables, method, kind.
fn doc_table() -> Vec<(String, Vec<String>, String, String)> {
    let source = include_str!("mod.rs");
    let rows: Vec<Vec<String>> = source
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .filter_map(|l| l.strip_prefix("//! | "))
        .map(|l| l.trim_end_matches(" |").split(" | ").map(str::to_string).collect())
        .collect();
    let untick = |s: &str| s.trim_matches('`').to_string();
    rows.iter()
        .skip(1) // the header
        .map(|cells| {
            assert_eq!(cells.len(), 4, "{cells:?}");
            let vars = match cells[1].as_str() {
                "—" => vec![],
                list => list.split(", ").map(untick).collect(),
            };
            let method = match cells[2].as_str() {
                "—" => String::new(),
                link => link
                    .split("ConfigBuilder::")
                    .nth(1)
                    .unwrap()
                    .trim_end_matches(')')
                    .to_string(),
            };
            (untick(&cells[0]), vars, method, cells[3].clone())
        })
        .collect()
}

#[test]
fn doc_table_lists_the_settings_table() {
    let docs = doc_table();
    let table: Vec<(String, Vec<String>, String, String)> = SETTINGS
        .iter()
        .map(|s| {
            (
                s.yaml_key(),
                s.env.iter().map(|v| v.to_string()).collect(),
                s.method.to_string(),
                s.kind.to_string(),
            )
        })
        .collect();
    assert_eq!(docs, table);
}

#[test]
fn every_variable_read_is_documented() {
    let source = include_str!("mod.rs");
    // Every file of the module but this one.
    let code = [
        source,
        include_str!("settings.rs"),
        include_str!("builder.rs"),
        include_str!("clouds.rs"),
    ]
    .join("\n");
    let names = |text: &str, quoted: bool| -> BTreeSet<String> {
        let start = if quoted { "\"OS_" } else { "OS_" };
        text.match_indices(start)
            .map(|(i, _)| {
                let rest = &text[i + start.len() - 3..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                    .unwrap_or(rest.len());
                rest[..end].to_string()
            })
            .filter(|name| name != "OS_")
            .collect()
    };
    let docs: String = source
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    let read = names(&code, true);
    assert!(read.contains("OS_CLOUD") && read.contains("OS_PASSWORD"), "{read:?}");
    assert_eq!(names(&docs, false), read);
}
