//! One validated configuration from `clouds.yaml` (`OS_CLOUD`), from `OS_*` variables, or
//! from [`Config::builder`]. A [`ConfigError`] names the missing or contradictory setting and
//! never holds a secret.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::microversion::Microversion;
use crate::primitive::Password;

/// Which catalog endpoint to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interface {
    #[default]
    Public,
    Internal,
    Admin,
}

impl Interface {
    fn parse(text: &str) -> Result<Interface, ConfigError> {
        match text.trim_end_matches("URL").to_ascii_lowercase().as_str() {
            "public" => Ok(Interface::Public),
            "internal" => Ok(Interface::Internal),
            "admin" => Ok(Interface::Admin),
            _ => Err(ConfigError::invalid("interface", "expected public, internal or admin")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Public => "public",
            Interface::Internal => "internal",
            Interface::Admin => "admin",
        }
    }
}

/// A name or an ID, with the domain a name lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameOrId {
    Id(String),
    Name { name: String, domain: Domain },
}

/// A domain, by name or ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    Id(String),
    Name(String),
}

/// How to get a token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthMethod {
    /// Keystone v3 password auth, project-scoped.
    Password {
        auth_url: String,
        user: NameOrId,
        password: Password,
        project: Option<NameOrId>,
    },
    /// Keystone v3 application credential (by ID, or by name plus its user).
    ApplicationCredential {
        auth_url: String,
        credential: NameOrIdWithUser,
        secret: Password,
    },
    /// Keystone v3 token auth: exchange an existing token for a (scoped) one.
    Token {
        auth_url: String,
        token: Password,
        project: Option<NameOrId>,
    },
    /// No Keystone: a fixed compute endpoint and a fixed token.
    Static { endpoint: String, token: Password },
}

/// An application credential: by ID, or by name with its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameOrIdWithUser {
    Id(String),
    Name { name: String, user: NameOrId },
}

/// How the microversion of each call is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionStrategy {
    /// Exactly this version; an error if the server cannot do it.
    Pinned(Microversion),
    /// The highest version both this SDK and the server support.
    #[default]
    HighestCommon,
    /// The lowest version that every field set on the request needs (at least the
    /// operation's first version).
    LowestRequired,
}

/// Retry rules for requests that are safe to repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff; doubled each retry, with full jitter, capped at `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// The validated configuration of a [`crate::Compute`] client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    pub auth: AuthMethod,
    pub region: Option<String>,
    pub interface: Interface,
    /// Use this compute endpoint instead of the catalog's.
    pub endpoint_override: Option<String>,
    /// A PEM CA bundle to trust in addition to the platform roots.
    pub cacert: Option<PathBuf>,
    /// Skip TLS verification (only when explicitly set; logged as a warning).
    pub insecure: bool,
    pub version: VersionStrategy,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Bodies larger than this are refused.
    pub max_body_bytes: usize,
    /// Send `X-OpenStack-Request-ID: req-<uuid>` (one per client) on every call.
    pub global_request_id: Option<String>,
}

/// A configuration problem. Names the setting; never contains a secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("missing setting: {0}")]
    Missing(String),
    #[error("invalid setting `{setting}`: {reason}")]
    Invalid { setting: String, reason: String },
    #[error("contradictory settings: {0}")]
    Contradictory(String),
    #[error("cloud `{0}` not found in clouds.yaml (searched: {1})")]
    CloudNotFound(String, String),
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
}

impl ConfigError {
    fn invalid(setting: &str, reason: &str) -> ConfigError {
        ConfigError::Invalid {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}

impl Config {
    /// A builder starting from nothing.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// From the process environment: `OS_CLOUD` selects a `clouds.yaml` entry (with `OS_*`
    /// variables applied on top of it); otherwise the `OS_*` variables alone.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(&|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// As [`Config::from_env`], reading variables through `get` (for tests and embedding).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut settings = match get("OS_CLOUD") {
            Some(cloud) => cloud_settings(&cloud, get)?,
            None => BTreeMap::new(),
        };
        for (env, key) in ENV_KEYS {
            if let Some(v) = get(env) {
                settings.insert((*key).to_string(), v);
            }
        }
        ConfigBuilder { settings }.build()
    }

    /// From one cloud of `clouds.yaml` (searched as the OpenStack tools do, merged with
    /// `secure.yaml`), ignoring `OS_*` variables.
    pub fn from_cloud(name: &str) -> Result<Config, ConfigError> {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        ConfigBuilder {
            settings: cloud_settings(name, &get)?,
        }
        .build()
    }
}

/// `OS_*` variable -> flat setting key (the clouds.yaml `auth` keys and top-level keys).
const ENV_KEYS: &[(&str, &str)] = &[
    ("OS_AUTH_URL", "auth_url"),
    ("OS_AUTH_TYPE", "auth_type"),
    ("OS_USERNAME", "username"),
    ("OS_USER_ID", "user_id"),
    ("OS_PASSWORD", "password"),
    ("OS_PROJECT_NAME", "project_name"),
    ("OS_TENANT_NAME", "project_name"),
    ("OS_PROJECT_ID", "project_id"),
    ("OS_TENANT_ID", "project_id"),
    ("OS_USER_DOMAIN_NAME", "user_domain_name"),
    ("OS_USER_DOMAIN_ID", "user_domain_id"),
    ("OS_PROJECT_DOMAIN_NAME", "project_domain_name"),
    ("OS_PROJECT_DOMAIN_ID", "project_domain_id"),
    ("OS_APPLICATION_CREDENTIAL_ID", "application_credential_id"),
    ("OS_APPLICATION_CREDENTIAL_NAME", "application_credential_name"),
    ("OS_APPLICATION_CREDENTIAL_SECRET", "application_credential_secret"),
    ("OS_TOKEN", "token"),
    ("OS_REGION_NAME", "region_name"),
    ("OS_INTERFACE", "interface"),
    ("OS_CACERT", "cacert"),
    ("OS_INSECURE", "insecure"),
    ("OS_COMPUTE_API_VERSION", "compute_api_version"),
    ("OS_COMPUTE_ENDPOINT_OVERRIDE", "compute_endpoint_override"),
];

fn search_dirs(get: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from(".")];
    if let Some(home) = get("HOME") {
        dirs.push(PathBuf::from(home).join(".config/openstack"));
    }
    dirs.push(PathBuf::from("/etc/openstack"));
    dirs
}

fn read_yaml(path: &std::path::Path) -> Result<Option<Value>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_saphyr::from_str::<Value>(&text)
            .map(Some)
            .map_err(|e| ConfigError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o,
    }
}

/// The flat settings of cloud `name`: `clouds.yaml` (first found: `OS_CLIENT_CONFIG_FILE`,
/// `./`, `~/.config/openstack/`, `/etc/openstack/`) merged with `secure.yaml` from the same
/// search path.
fn cloud_settings(name: &str, get: &dyn Fn(&str) -> Option<String>) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut candidates: Vec<PathBuf> = get("OS_CLIENT_CONFIG_FILE").map(PathBuf::from).into_iter().collect();
    candidates.extend(search_dirs(get).into_iter().map(|d| d.join("clouds.yaml")));
    let mut cloud = None;
    for path in &candidates {
        if let Some(doc) = read_yaml(path)?
            && let Some(c) = doc.get("clouds").and_then(|c| c.get(name))
        {
            cloud = Some(c.clone());
            break;
        }
    }
    let searched = candidates
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut cloud = cloud.ok_or_else(|| ConfigError::CloudNotFound(name.to_string(), searched))?;
    let mut secure_paths: Vec<PathBuf> = get("OS_CLIENT_SECURE_FILE").map(PathBuf::from).into_iter().collect();
    secure_paths.extend(search_dirs(get).into_iter().map(|d| d.join("secure.yaml")));
    for path in &secure_paths {
        if let Some(doc) = read_yaml(path)?
            && let Some(c) = doc.get("clouds").and_then(|c| c.get(name))
        {
            merge(&mut cloud, c.clone());
            break;
        }
    }
    let mut settings = BTreeMap::new();
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(obj) = cloud.as_object() {
        for (k, v) in obj {
            if k == "auth" {
                for (ak, av) in v.as_object().into_iter().flatten() {
                    if let Some(t) = text(av) {
                        settings.insert(ak.clone(), t);
                    }
                }
            } else if k == "verify" {
                if v == &Value::Bool(false) {
                    settings.insert("insecure".into(), "true".into());
                }
            } else if let Some(t) = text(v) {
                settings.insert(k.clone(), t);
            }
        }
    }
    Ok(settings)
}

/// Builds a [`Config`] from settings named as in `clouds.yaml` (`auth_url`, `username`,
/// `password`, `project_name`, `region_name`, ...), set one by one or through the typed
/// methods.
#[derive(Debug, Clone, Default)]
pub struct ConfigBuilder {
    settings: BTreeMap<String, String>,
}

impl ConfigBuilder {
    /// Sets any setting by its `clouds.yaml` name.
    pub fn set(mut self, key: &str, value: impl Into<String>) -> Self {
        self.settings.insert(key.to_string(), value.into());
        self
    }

    /// Keystone password auth with names and the `Default` domain unless set otherwise.
    pub fn password_auth(self, auth_url: &str, username: &str, password: &str, project_name: &str) -> Self {
        self.set("auth_url", auth_url)
            .set("username", username)
            .set("password", password)
            .set("project_name", project_name)
    }

    /// A fixed compute endpoint and token: no Keystone.
    pub fn static_endpoint(self, endpoint: &str, token: &str) -> Self {
        self.set("compute_endpoint_override", endpoint)
            .set("token", token)
            .set("auth_type", "none")
    }

    pub fn region(self, region: &str) -> Self {
        self.set("region_name", region)
    }

    pub fn interface(self, interface: Interface) -> Self {
        self.set("interface", interface.as_str())
    }

    pub fn version(self, strategy: VersionStrategy) -> Self {
        let text = match strategy {
            VersionStrategy::Pinned(v) => v.to_string(),
            VersionStrategy::HighestCommon => "latest".into(),
            VersionStrategy::LowestRequired => "lowest".into(),
        };
        self.set("compute_api_version", text)
    }

    pub fn request_timeout(self, timeout: Duration) -> Self {
        self.set("api_timeout", format!("{}", timeout.as_secs_f64()))
    }

    pub fn connect_timeout(self, timeout: Duration) -> Self {
        self.set("connect_timeout", format!("{}", timeout.as_secs_f64()))
    }

    pub fn max_retries(self, retries: u32) -> Self {
        self.set("max_retries", retries.to_string())
    }

    pub fn initial_backoff(self, backoff: Duration) -> Self {
        self.set("initial_backoff", format!("{}", backoff.as_secs_f64()))
    }

    pub fn max_body_bytes(self, limit: usize) -> Self {
        self.set("max_body_bytes", limit.to_string())
    }

    /// Sends `X-OpenStack-Request-ID: req-<uuid>` on every call of this client.
    pub fn global_request_id(self, enabled: bool) -> Self {
        self.set("global_request_id", enabled.to_string())
    }

    pub fn build(self) -> Result<Config, ConfigError> {
        let s = &self.settings;
        let get = |k: &str| s.get(k).filter(|v| !v.is_empty()).cloned();
        let secret = |k: &str| get(k).map(Password::from);
        let domain = |prefix: &str| -> Domain {
            match (
                get(&format!("{prefix}_domain_id")),
                get(&format!("{prefix}_domain_name")).or_else(|| get("domain_name")),
            ) {
                (Some(id), _) => Domain::Id(id),
                (None, Some(name)) => Domain::Name(name),
                (None, None) => get("domain_id")
                    .map(Domain::Id)
                    .unwrap_or_else(|| Domain::Name("Default".into())),
            }
        };
        let project = match (get("project_id"), get("project_name")) {
            (Some(id), _) => Some(NameOrId::Id(id)),
            (None, Some(name)) => Some(NameOrId::Name {
                name,
                domain: domain("project"),
            }),
            (None, None) => None,
        };
        let user = match (get("user_id"), get("username")) {
            (Some(id), _) => Some(NameOrId::Id(id)),
            (None, Some(name)) => Some(NameOrId::Name {
                name,
                domain: domain("user"),
            }),
            (None, None) => None,
        };
        let endpoint_override = get("compute_endpoint_override");
        let auth_type = get("auth_type").unwrap_or_default().to_ascii_lowercase();
        let auth_url = || get("auth_url").ok_or_else(|| ConfigError::Missing("auth_url (OS_AUTH_URL)".into()));
        let auth = if auth_type == "none"
            || auth_type == "admin_token"
            || (endpoint_override.is_some() && get("auth_url").is_none())
        {
            let endpoint = endpoint_override
                .clone()
                .ok_or_else(|| ConfigError::Missing("compute_endpoint_override (needed without Keystone)".into()))?;
            let token = secret("token")
                .ok_or_else(|| ConfigError::Missing("token (OS_TOKEN) for the static endpoint".into()))?;
            AuthMethod::Static { endpoint, token }
        } else if auth_type.contains("applicationcredential")
            || get("application_credential_secret").is_some()
            || get("application_credential_id").is_some()
        {
            let secret = secret("application_credential_secret").ok_or_else(|| {
                ConfigError::Missing("application_credential_secret (OS_APPLICATION_CREDENTIAL_SECRET)".into())
            })?;
            if get("password").is_some() {
                return Err(ConfigError::Contradictory(
                    "both a password and an application credential are set".into(),
                ));
            }
            let credential = match (get("application_credential_id"), get("application_credential_name")) {
                (Some(id), _) => NameOrIdWithUser::Id(id),
                (None, Some(name)) => NameOrIdWithUser::Name {
                    name,
                    user: user.ok_or_else(|| {
                        ConfigError::Missing(
                            "username or user_id (an application credential by name needs its user)".into(),
                        )
                    })?,
                },
                (None, None) => {
                    return Err(ConfigError::Missing(
                        "application_credential_id or application_credential_name".into(),
                    ));
                }
            };
            AuthMethod::ApplicationCredential {
                auth_url: auth_url()?,
                credential,
                secret,
            }
        } else if auth_type.contains("token") || (get("token").is_some() && get("password").is_none()) {
            let token = secret("token").ok_or_else(|| ConfigError::Missing("token (OS_TOKEN)".into()))?;
            AuthMethod::Token {
                auth_url: auth_url()?,
                token,
                project,
            }
        } else {
            let password = secret("password").ok_or_else(|| ConfigError::Missing("password (OS_PASSWORD)".into()))?;
            let user = user.ok_or_else(|| ConfigError::Missing("username or user_id (OS_USERNAME)".into()))?;
            if get("token").is_some() {
                return Err(ConfigError::Contradictory("both a password and a token are set".into()));
            }
            AuthMethod::Password {
                auth_url: auth_url()?,
                user,
                password,
                project,
            }
        };
        let version = match get("compute_api_version").as_deref() {
            None | Some("latest") | Some("2") => VersionStrategy::HighestCommon,
            Some("lowest") => VersionStrategy::LowestRequired,
            Some(v) => VersionStrategy::Pinned(
                v.parse()
                    .map_err(|_| ConfigError::invalid("compute_api_version", "expected 2.N, latest or lowest"))?,
            ),
        };
        let seconds = |k: &str, default: f64| -> Result<Duration, ConfigError> {
            match get(k) {
                None => Ok(Duration::from_secs_f64(default)),
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s >= 0.0 && s.is_finite())
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| ConfigError::invalid(k, "expected seconds")),
            }
        };
        let truthy =
            |k: &str| get(k).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"));
        let retry = RetryPolicy {
            max_retries: match get("max_retries") {
                Some(v) => v
                    .parse()
                    .map_err(|_| ConfigError::invalid("max_retries", "expected a count"))?,
                None => RetryPolicy::default().max_retries,
            },
            initial_backoff: seconds("initial_backoff", 0.2)?,
            max_backoff: seconds("max_backoff", 10.0)?,
        };
        Ok(Config {
            auth,
            region: get("region_name"),
            interface: get("interface")
                .map(|i| Interface::parse(&i))
                .transpose()?
                .unwrap_or_default(),
            endpoint_override,
            cacert: get("cacert").map(PathBuf::from),
            insecure: truthy("insecure"),
            version,
            connect_timeout: seconds("connect_timeout", 10.0)?,
            request_timeout: seconds("api_timeout", 60.0)?,
            retry,
            max_body_bytes: match get("max_body_bytes") {
                Some(v) => v
                    .parse()
                    .map_err(|_| ConfigError::invalid("max_body_bytes", "expected a byte count"))?,
                None => 8 * 1024 * 1024,
            },
            global_request_id: truthy("global_request_id").then(|| format!("req-{}", uuid::Uuid::new_v4())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: BTreeMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(&|k| map.get(k).cloned())
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
    fn missing_password_names_the_setting() {
        let e = from(&[("OS_AUTH_URL", "http://ks/v3"), ("OS_USERNAME", "demo")]).unwrap_err();
        assert_eq!(e, ConfigError::Missing("password (OS_PASSWORD)".into()));
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
        let dir = std::env::temp_dir().join(format!("osc-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("clouds.yaml"),
            "clouds:\n  mine:\n    auth:\n      auth_url: http://ks/v3\n      username: demo\n      project_id: p1\n    region_name: R1\n    verify: false\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("secure.yaml"),
            "clouds:\n  mine:\n    auth:\n      password: from-secure\n",
        )
        .unwrap();
        let clouds = dir.join("clouds.yaml").display().to_string();
        let secure = dir.join("secure.yaml").display().to_string();
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
    }
}
