//! [`ConfigBuilder`]: settings set one by one, from `clouds.yaml` or from typed methods, checked
//! and turned into a [`Config`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::clouds::find_cloud;
use super::settings::{Entry, Spec, Values, Vocabulary, get, or_list, spec, suggest, typed};
use super::{
    AuthMethod, Config, ConfigError, Domain, Interface, NameOrId, NameOrIdWithUser, Origin, RetryPolicy,
    VersionStrategy,
};

/// Builds a [`Config`] from settings named as in `clouds.yaml` (`auth_url`, `username`,
/// `password`, `project_name`, `region_name`, ...: the [settings table](super#settings-table)), set
/// one by one or through the typed methods. Secrets are kept as [`Password`](crate::types::Password) from the moment
/// they enter; `Debug` shows each setting that is set, with where it came from, and no secret.
#[derive(Clone, Default)]
pub struct ConfigBuilder {
    values: Values,
    /// Names given to [`ConfigBuilder::set`] that are no setting (their values are dropped).
    unknown: Vec<String>,
    vocabulary: Vocabulary,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ConfigBuilder");
        self.values.debug_fields(&mut d);
        if !self.unknown.is_empty() {
            d.field("unknown_settings", &self.unknown);
        }
        d.finish()
    }
}

impl ConfigBuilder {
    /// An empty builder whose hints for what is missing name `OS_*` variables.
    pub(super) fn in_env_terms() -> ConfigBuilder {
        ConfigBuilder {
            vocabulary: Vocabulary::Env,
            ..ConfigBuilder::default()
        }
    }

    /// Stores the setting `key` from its text (see [`Values::put`]).
    pub(super) fn put(&mut self, key: &str, text: Result<&str, &'static str>, origin: Origin) -> bool {
        self.values.put(key, text, origin)
    }

    /// Sets any setting by its `clouds.yaml` name (without `auth.`). A name that is no setting
    /// makes [`build`](Self::build) fail with [`ConfigError::UnknownSetting`]; a value that does
    /// not parse, with [`ConfigError::InvalidValue`]. An empty value unsets the setting.
    pub fn set(mut self, key: &str, value: impl Into<String>) -> Self {
        match spec(key) {
            Some(spec) => {
                self.values.put(spec.key, Ok(&value.into()), Origin::Set(spec.key));
            }
            None => self.unknown.push(key.to_string()),
        }
        self
    }

    /// Sets the setting `key` from a typed method.
    fn text(mut self, key: &'static str, text: &str, method: &'static str) -> Self {
        let known = self.values.put(key, Ok(text), Origin::Method(method));
        debug_assert!(known, "`{key}` is not in the settings table");
        self
    }

    /// Keystone password auth with names and the `Default` domain unless set otherwise.
    pub fn password_auth(self, auth_url: &str, username: &str, password: &str, project_name: &str) -> Self {
        const M: &str = "password_auth";
        self.text("auth_url", auth_url, M)
            .text("username", username, M)
            .text("password", password, M)
            .text("project_name", project_name, M)
    }

    /// A fixed compute endpoint and token: no Keystone.
    pub fn static_endpoint(self, endpoint: &str, token: &str) -> Self {
        const M: &str = "static_endpoint";
        self.text("compute_endpoint_override", endpoint, M)
            .text("token", token, M)
            .text("auth_type", "none", M)
    }

    /// The catalog region to use.
    pub fn region(self, region: &str) -> Self {
        self.text("region_name", region, "region")
    }

    /// Which catalog endpoint to use (default [`Interface::Public`]).
    pub fn interface(mut self, interface: Interface) -> Self {
        self.values.interface = typed(interface, "interface");
        self
    }

    /// How each call's microversion is chosen (default [`VersionStrategy::HighestCommon`]).
    pub fn version(mut self, strategy: VersionStrategy) -> Self {
        self.values.compute_api_version = typed(strategy, "version");
        self
    }

    /// The longest wait for each attempt of a request, response body included (default: none;
    /// see [Defaults](crate::config#defaults)).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.values.api_timeout = typed(timeout, "request_timeout");
        self
    }

    /// The longest wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.values.connect_timeout = typed(timeout, "connect_timeout");
        self
    }

    /// Retries after the first attempt of a request that is safe to repeat (default 3).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.values.max_retries = typed(retries, "max_retries");
        self
    }

    /// The first wait before a retry (default 0.2 s), doubled each retry.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.values.initial_backoff = typed(backoff, "initial_backoff");
        self
    }

    /// Response bodies larger than this are refused (default 8 MiB).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.values.max_body_bytes = typed(limit, "max_body_bytes");
        self
    }

    /// Sends `X-OpenStack-Request-ID: req-<uuid>` on every call of this client.
    pub fn global_request_id(mut self, enabled: bool) -> Self {
        self.values.global_request_id = typed(enabled, "global_request_id");
        self
    }

    /// The settings of cloud `name`: its `clouds.yaml` entry (first found:
    /// `OS_CLIENT_CONFIG_FILE`, `./`, `~/.config/openstack/`, `/etc/openstack/`), then its
    /// `secure.yaml` entry from the same search path on top.
    pub(super) fn from_clouds_yaml(
        name: &str,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ConfigBuilder, ConfigError> {
        let search = |var: &str, file: &str| -> Vec<PathBuf> {
            let mut paths: Vec<PathBuf> = get(var).map(PathBuf::from).into_iter().collect();
            let mut dirs = vec![PathBuf::from(".")];
            if let Some(home) = get("HOME") {
                dirs.push(PathBuf::from(home).join(".config/openstack"));
            }
            dirs.push(PathBuf::from("/etc/openstack"));
            paths.extend(dirs.into_iter().map(|d| d.join(file)));
            paths
        };
        let candidates = search("OS_CLIENT_CONFIG_FILE", "clouds.yaml");
        let Some((file, entry)) = find_cloud(&candidates, name)? else {
            let searched = candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ConfigError::CloudNotFound(name.to_string(), searched));
        };
        let mut builder = ConfigBuilder {
            vocabulary: Vocabulary::Cloud {
                file: file.clone(),
                cloud: name.to_string(),
            },
            ..ConfigBuilder::default()
        };
        builder.read_cloud_entry(&entry, &file, name, false);
        if let Some((file, entry)) = find_cloud(&search("OS_CLIENT_SECURE_FILE", "secure.yaml"), name)? {
            builder.read_cloud_entry(&entry, &file, name, true);
        }
        Ok(builder)
    }

    /// Takes the known keys of a cloud entry (top level and under `auth:`); ignores the others.
    fn read_cloud_entry(&mut self, entry: &Value, file: &Path, cloud: &str, secure: bool) {
        let mut read = |yaml_key: String, key: &str, value: &Value| {
            let Some(spec) = spec(key) else {
                tracing::debug!(key = %yaml_key, "clouds.yaml key not used by openstack-compute; ignored");
                return;
            };
            let origin = Origin::CloudsYaml {
                file: file.to_path_buf(),
                cloud: cloud.to_string(),
                key: yaml_key,
                secure,
            };
            let text = match value {
                Value::Null => return,
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Array(_) | Value::Object(_) => {
                    self.values
                        .put(spec.key, Err("expected a single value, not a list or map"), origin);
                    return;
                }
            };
            self.values.put(spec.key, Ok(&text), origin);
        };
        for (key, value) in entry.as_object().into_iter().flatten() {
            match value {
                Value::Object(auth) if key == "auth" => {
                    for (k, v) in auth {
                        read(format!("auth.{k}"), k, v);
                    }
                }
                _ => read(key.clone(), key, value),
            }
        }
    }

    /// A [`ConfigError::Missing`] for one of `keys`, with a hint in the terms the configuration
    /// was given in, and `note` (why it is needed) when not empty.
    fn missing(&self, keys: &[&'static str], note: &str) -> ConfigError {
        let specs: Vec<&Spec> = keys.iter().filter_map(|k| spec(k)).collect();
        let mut hint = match &self.vocabulary {
            Vocabulary::Env => {
                let vars: Vec<String> = specs
                    .iter()
                    .filter_map(|s| s.env.first())
                    .map(|v| v.to_string())
                    .collect();
                format!("set {}", or_list(&vars))
            }
            Vocabulary::Cloud { file, cloud } => {
                let keys: Vec<String> = specs.iter().map(|s| format!("`{}`", s.yaml_key())).collect();
                format!(
                    "add {} to cloud `{cloud}` in {} (or secure.yaml)",
                    or_list(&keys),
                    file.display()
                )
            }
            Vocabulary::Builder => {
                let mut calls: Vec<String> = Vec::new();
                for s in specs.iter().filter(|s| !s.method.is_empty()) {
                    let call = format!("`.{}(..)`", s.method);
                    if !calls.contains(&call) {
                        calls.push(call);
                    }
                }
                calls.extend(specs.iter().map(|s| format!("`.set(\"{}\", ..)`", s.key)));
                format!("call {}", or_list(&calls))
            }
        };
        if !note.is_empty() {
            hint = format!("{hint}; {note}");
        }
        ConfigError::Missing {
            setting: or_list(&keys.iter().map(|k| k.to_string()).collect::<Vec<_>>()),
            hint,
        }
    }

    /// Where the setting `key` came from, for messages (`?` when unset).
    fn origin_text(&self, key: &str) -> String {
        self.values
            .origin(key)
            .map_or_else(|| "?".to_string(), |o| o.to_string())
    }

    /// Checks the settings and makes the [`Config`]. Reports, in this order: a name given to
    /// [`set`](Self::set) that is no setting, a value that does not parse, then what is missing
    /// or contradictory for the authentication chosen (see the [module docs](super)).
    pub fn build(self) -> Result<Config, ConfigError> {
        if let Some(key) = self.unknown.first() {
            return Err(ConfigError::UnknownSetting {
                key: key.clone(),
                suggestion: suggest(key),
            });
        }
        if let Some(e) = self.values.first_invalid() {
            return Err(e);
        }
        let v = &self.values;
        let domain = |id: &Option<Entry<String>>, name: &Option<Entry<String>>| -> Domain {
            match (get(id), get(name).or_else(|| get(&v.domain_name))) {
                (Some(id), _) => Domain::Id(id),
                (None, Some(name)) => Domain::Name(name),
                (None, None) => get(&v.domain_id)
                    .map(Domain::Id)
                    .unwrap_or_else(|| Domain::Name("Default".into())),
            }
        };
        let project = match (get(&v.project_id), get(&v.project_name)) {
            (Some(id), _) => Some(NameOrId::Id(id)),
            (None, Some(name)) => Some(NameOrId::Name {
                name,
                domain: domain(&v.project_domain_id, &v.project_domain_name),
            }),
            (None, None) => None,
        };
        let user = match (get(&v.user_id), get(&v.username)) {
            (Some(id), _) => Some(NameOrId::Id(id)),
            (None, Some(name)) => Some(NameOrId::Name {
                name,
                domain: domain(&v.user_domain_id, &v.user_domain_name),
            }),
            (None, None) => None,
        };
        let endpoint_override = get(&v.compute_endpoint_override);
        let auth_type = get(&v.auth_type).unwrap_or_default().to_ascii_lowercase();
        let auth_url = || get(&v.auth_url).ok_or_else(|| self.missing(&["auth_url"], ""));
        let auth = if auth_type == "none"
            || auth_type == "admin_token"
            || (endpoint_override.is_some() && v.auth_url.is_none())
        {
            let endpoint = endpoint_override.clone().ok_or_else(|| {
                self.missing(
                    &["compute_endpoint_override"],
                    "without Keystone the compute endpoint must be given",
                )
            })?;
            let token = get(&v.token)
                .ok_or_else(|| self.missing(&["token"], "a fixed compute endpoint without Keystone needs a token"))?;
            AuthMethod::Static { endpoint, token }
        } else if auth_type.contains("applicationcredential")
            || v.application_credential_secret.is_some()
            || v.application_credential_id.is_some()
        {
            let secret = get(&v.application_credential_secret)
                .ok_or_else(|| self.missing(&["application_credential_secret"], ""))?;
            if v.password.is_some() {
                return Err(ConfigError::Contradictory(format!(
                    "both a password (from {}) and an application credential secret (from {}) are set; keep one",
                    self.origin_text("password"),
                    self.origin_text("application_credential_secret"),
                )));
            }
            let credential = match (get(&v.application_credential_id), get(&v.application_credential_name)) {
                (Some(id), _) => NameOrIdWithUser::Id(id),
                (None, Some(name)) => NameOrIdWithUser::Name {
                    name,
                    user: user.ok_or_else(|| {
                        self.missing(
                            &["username", "user_id"],
                            "an application credential given by name needs its user",
                        )
                    })?,
                },
                (None, None) => {
                    return Err(self.missing(&["application_credential_id", "application_credential_name"], ""));
                }
            };
            AuthMethod::ApplicationCredential {
                auth_url: auth_url()?,
                credential,
                secret,
            }
        } else if auth_type.contains("token") || (v.token.is_some() && v.password.is_none()) {
            let token = get(&v.token).ok_or_else(|| self.missing(&["token"], ""))?;
            AuthMethod::Token {
                auth_url: auth_url()?,
                token,
                project,
            }
        } else {
            let password = get(&v.password).ok_or_else(|| self.missing(&["password"], ""))?;
            let user = user.ok_or_else(|| self.missing(&["username", "user_id"], ""))?;
            if v.token.is_some() {
                return Err(ConfigError::Contradictory(format!(
                    "both a password (from {}) and a token (from {}) are set; keep one",
                    self.origin_text("password"),
                    self.origin_text("token"),
                )));
            }
            AuthMethod::Password {
                auth_url: auth_url()?,
                user,
                password,
                project,
            }
        };
        let defaults = RetryPolicy::default();
        Ok(Config {
            auth,
            region: get(&v.region_name),
            interface: get(&v.interface).unwrap_or_default(),
            endpoint_override,
            cacert: get(&v.cacert),
            insecure: match (get(&v.insecure), get(&v.verify)) {
                (Some(insecure), _) => insecure,
                (None, Some(verify)) => !verify,
                (None, None) => false,
            },
            version: get(&v.compute_api_version).unwrap_or_default(),
            connect_timeout: get(&v.connect_timeout).unwrap_or(Duration::from_secs(10)),
            request_timeout: get(&v.api_timeout),
            retry: RetryPolicy {
                max_retries: get(&v.max_retries).unwrap_or(defaults.max_retries),
                initial_backoff: get(&v.initial_backoff).unwrap_or(defaults.initial_backoff),
                max_backoff: get(&v.max_backoff).unwrap_or(defaults.max_backoff),
            },
            max_body_bytes: get(&v.max_body_bytes).unwrap_or(8 * 1024 * 1024),
            global_request_id: get(&v.global_request_id)
                .unwrap_or(false)
                .then(|| format!("req-{}", uuid::Uuid::new_v4())),
        })
    }
}
