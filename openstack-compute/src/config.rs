//! One validated [`Config`], from `clouds.yaml` (`OS_CLOUD`), from `OS_*` variables, or from
//! [`Config::builder`].
//!
//! # Where settings come from
//!
//! - [`Config::from_env`]: when `OS_CLOUD` is set, that cloud's entry of `clouds.yaml` (merged
//!   with `secure.yaml`), with every `OS_*` variable of the table below applied on top of it;
//!   otherwise the `OS_*` variables alone. An empty variable counts as unset.
//! - [`Config::from_cloud`]: one cloud's entry alone, ignoring the `OS_*` variables of the table.
//! - [`Config::builder`]: the typed methods of [`ConfigBuilder`], or [`ConfigBuilder::set`] with
//!   the names of the table (without `auth.`).
//!
//! `clouds.yaml` is the first of `$OS_CLIENT_CONFIG_FILE`, `./clouds.yaml`,
//! `$HOME/.config/openstack/clouds.yaml` and `/etc/openstack/clouds.yaml` that has the cloud.
//! `secure.yaml` is searched the same way (`$OS_CLIENT_SECURE_FILE` first); its entry for the
//! cloud is merged over the `clouds.yaml` one, key by key. So the variables read to find the
//! files are `OS_CLOUD`, `OS_CLIENT_CONFIG_FILE`, `OS_CLIENT_SECURE_FILE` and `HOME`.
//!
//! # Settings table
//!
//! Every setting, with its `clouds.yaml` key (give it to [`ConfigBuilder::set`] without the
//! `auth.`), the `OS_*` variables that set it (the first one set wins: `OS_PROJECT_NAME` over the
//! older `OS_TENANT_NAME`), the typed builder method that sets it, and its kind of value:
//!
//! | clouds.yaml key | `OS_*` variables | builder method | value |
//! |---|---|---|---|
//! | `auth.auth_url` | `OS_AUTH_URL` | [`password_auth`](ConfigBuilder::password_auth) | text |
//! | `auth_type` | `OS_AUTH_TYPE` | — | text |
//! | `auth.username` | `OS_USERNAME` | [`password_auth`](ConfigBuilder::password_auth) | text |
//! | `auth.user_id` | `OS_USER_ID` | — | text |
//! | `auth.password` | `OS_PASSWORD` | [`password_auth`](ConfigBuilder::password_auth) | secret |
//! | `auth.project_name` | `OS_PROJECT_NAME`, `OS_TENANT_NAME` | [`password_auth`](ConfigBuilder::password_auth) | text |
//! | `auth.project_id` | `OS_PROJECT_ID`, `OS_TENANT_ID` | — | text |
//! | `auth.user_domain_name` | `OS_USER_DOMAIN_NAME` | — | text |
//! | `auth.user_domain_id` | `OS_USER_DOMAIN_ID` | — | text |
//! | `auth.project_domain_name` | `OS_PROJECT_DOMAIN_NAME` | — | text |
//! | `auth.project_domain_id` | `OS_PROJECT_DOMAIN_ID` | — | text |
//! | `auth.domain_name` | — | — | text |
//! | `auth.domain_id` | — | — | text |
//! | `auth.application_credential_id` | `OS_APPLICATION_CREDENTIAL_ID` | — | text |
//! | `auth.application_credential_name` | `OS_APPLICATION_CREDENTIAL_NAME` | — | text |
//! | `auth.application_credential_secret` | `OS_APPLICATION_CREDENTIAL_SECRET` | — | secret |
//! | `auth.token` | `OS_TOKEN` | [`static_endpoint`](ConfigBuilder::static_endpoint) | secret |
//! | `region_name` | `OS_REGION_NAME` | [`region`](ConfigBuilder::region) | text |
//! | `interface` | `OS_INTERFACE` | [`interface`](ConfigBuilder::interface) | interface |
//! | `cacert` | `OS_CACERT` | — | path |
//! | `insecure` | `OS_INSECURE` | — | boolean |
//! | `verify` | — | — | boolean |
//! | `compute_api_version` | `OS_COMPUTE_API_VERSION` | [`version`](ConfigBuilder::version) | version |
//! | `compute_endpoint_override` | `OS_COMPUTE_ENDPOINT_OVERRIDE` | [`static_endpoint`](ConfigBuilder::static_endpoint) | text |
//! | `api_timeout` | — | [`request_timeout`](ConfigBuilder::request_timeout) | seconds |
//! | `connect_timeout` | — | [`connect_timeout`](ConfigBuilder::connect_timeout) | seconds |
//! | `max_retries` | — | [`max_retries`](ConfigBuilder::max_retries) | count |
//! | `initial_backoff` | — | [`initial_backoff`](ConfigBuilder::initial_backoff) | seconds |
//! | `max_backoff` | — | — | seconds |
//! | `max_body_bytes` | — | [`max_body_bytes`](ConfigBuilder::max_body_bytes) | bytes |
//! | `global_request_id` | — | [`global_request_id`](ConfigBuilder::global_request_id) | boolean |
//!
//! Kinds of value: *text*; *secret*, text kept as a [`Password`] from the moment it is read and
//! never shown by `Debug` or in an error; *boolean*, `true`/`false` (also `yes`/`no`, `on`/`off`,
//! `1`/`0`); *seconds*, a decimal number; *count* and *bytes*, a whole number; *path*, a file;
//! *interface*, `public`, `internal` or `admin` (`publicURL` and the like too); *version*, `2.N`
//! to pin one microversion, `latest` (or `2`) for [`VersionStrategy::HighestCommon`], `lowest`
//! for [`VersionStrategy::LowestRequired`] (quote it in YAML, `"2.10"`: unquoted, YAML reads
//! the number 2.1). An empty value counts as unset.
//!
//! `verify: false` means `insecure: true`; an `insecure` setting (or `OS_INSECURE`) wins over
//! `verify`. Keys of a cloud entry that are not in the table (`identity_api_version`,
//! `volume_api_version`, `image_endpoint_override`, ... which are for other services) are
//! ignored, logged at debug level by name. A key not in the table given to
//! [`ConfigBuilder::set`] is an error, [`ConfigError::UnknownSetting`].
//!
//! # Which authentication
//!
//! `auth_type` `none` or `admin_token`, or a `compute_endpoint_override` without an
//! `auth_url`: no Keystone, a fixed endpoint and token ([`AuthMethod::Static`]). Otherwise an
//! application credential when `auth_type` says so or one is set, token auth when `auth_type`
//! says so or a token without a password is set, and password auth in all other cases.
//!
//! # Defaults
//!
//! Interface `public`; no region; TLS verified; the user's and project's domain `Default` when
//! no domain name or ID is set (`domain_name`/`domain_id` stand for both); connect timeout 10 s,
//! no request timeout; 3 retries, backoff from 0.2 s up to 10 s; bodies up to 8 MiB; no
//! global request ID.
//!
//! No request timeout by default, as in keystoneauth and openstacksdk (`api_timeout` unset) and
//! in reqwest: a request to a dead host still ends, through the connect timeout and TCP
//! keepalive (reqwest probes an idle connection after 15 s, three times 15 s apart), and
//! [waits](crate::WaitOptions) bound each poll by what is left of their `max_wait`. What a
//! timeout would still catch is a live server that never answers, and how long is too long
//! depends on the call (a list of ten thousand servers, a stop); set `api_timeout` (or
//! [`request_timeout`](ConfigBuilder::request_timeout)) to bound every attempt of every request,
//! or wrap one call in `tokio::time::timeout`. A timeout is a timer per request, which a client
//! without one does not pay (BENCHMARKS.md, "Side by side").
//!
//! The microversion strategy defaults to [`VersionStrategy::HighestCommon`]: this SDK types
//! every microversion up to [`Microversion::MAX`] and negotiates with each server, so the highest
//! version both know gives the newest behaviour and the fullest responses on every cloud, old or
//! new, without the caller tracking versions; a field set on a request that the chosen version
//! cannot carry is refused before anything is sent. Pin a version (`compute_api_version: 2.N`)
//! when the behaviour must not change as the cloud is upgraded.
//!
//! # Errors
//!
//! [`Config::from_env`], [`Config::from_cloud`] and [`ConfigBuilder::build`] fail with a
//! [`ConfigError`], which never holds a secret's value (nor any other value given):
//!
//! - [`ConfigError::Missing`]: a required setting is not set; the hint says how to set it in the
//!   terms used: an `OS_*` variable, a key of the `clouds.yaml` cloud, or a builder call.
//! - [`ConfigError::InvalidValue`]: a value does not parse; names the setting, its [`Origin`],
//!   and what was expected.
//! - [`ConfigError::UnknownSetting`]: [`ConfigBuilder::set`] with a name not in the table, with
//!   the nearest known name.
//! - [`ConfigError::Contradictory`]: two ways to authenticate at once, naming where each came
//!   from.
//! - [`ConfigError::CloudNotFound`]: `OS_CLOUD` (or the name given) is in no `clouds.yaml`.
//! - [`ConfigError::File`]: a `clouds.yaml`/`secure.yaml` (or the CA file, when the client is
//!   made) cannot be read or parsed.
//! - [`ConfigError::Invalid`]: a setting found unusable when the client is made (the `cacert`
//!   file's contents).
#![warn(missing_docs)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::microversion::Microversion;
use crate::primitive::Password;

/// The settings table: the one place that says which settings exist, their `clouds.yaml` key
/// (under `auth:` or at the top of the cloud entry), the `OS_*` variables that set them (the
/// first one set wins), the typed [`ConfigBuilder`] method that sets them (`-`: only
/// [`ConfigBuilder::set`]), and the type their value is kept as. `define_settings!` below turns
/// it into the builder's typed fields and into [`SETTINGS`]; the module docs repeat it (a test
/// checks they agree).
macro_rules! settings_table {
    ($then:ident) => { $then! {
        // key / field                 value type       yaml  OS_* variables                         builder method
        auth_url:                      String,          auth, ["OS_AUTH_URL"],                       password_auth;
        auth_type:                     String,          top,  ["OS_AUTH_TYPE"],                      -;
        username:                      String,          auth, ["OS_USERNAME"],                       password_auth;
        user_id:                       String,          auth, ["OS_USER_ID"],                        -;
        password:                      Password,        auth, ["OS_PASSWORD"],                       password_auth;
        project_name:                  String,          auth, ["OS_PROJECT_NAME", "OS_TENANT_NAME"], password_auth;
        project_id:                    String,          auth, ["OS_PROJECT_ID", "OS_TENANT_ID"],     -;
        user_domain_name:              String,          auth, ["OS_USER_DOMAIN_NAME"],               -;
        user_domain_id:                String,          auth, ["OS_USER_DOMAIN_ID"],                 -;
        project_domain_name:           String,          auth, ["OS_PROJECT_DOMAIN_NAME"],            -;
        project_domain_id:             String,          auth, ["OS_PROJECT_DOMAIN_ID"],              -;
        domain_name:                   String,          auth, [],                                    -;
        domain_id:                     String,          auth, [],                                    -;
        application_credential_id:     String,          auth, ["OS_APPLICATION_CREDENTIAL_ID"],      -;
        application_credential_name:   String,          auth, ["OS_APPLICATION_CREDENTIAL_NAME"],    -;
        application_credential_secret: Password,        auth, ["OS_APPLICATION_CREDENTIAL_SECRET"],  -;
        token:                         Password,        auth, ["OS_TOKEN"],                          static_endpoint;
        region_name:                   String,          top,  ["OS_REGION_NAME"],                    region;
        interface:                     Interface,       top,  ["OS_INTERFACE"],                      interface;
        cacert:                        PathBuf,         top,  ["OS_CACERT"],                         -;
        insecure:                      bool,            top,  ["OS_INSECURE"],                       -;
        verify:                        bool,            top,  [],                                    -;
        compute_api_version:           VersionStrategy, top,  ["OS_COMPUTE_API_VERSION"],            version;
        compute_endpoint_override:     String,          top,  ["OS_COMPUTE_ENDPOINT_OVERRIDE"],      static_endpoint;
        api_timeout:                   Duration,        top,  [],                                    request_timeout;
        connect_timeout:               Duration,        top,  [],                                    connect_timeout;
        max_retries:                   u32,             top,  [],                                    max_retries;
        initial_backoff:               Duration,        top,  [],                                    initial_backoff;
        max_backoff:                   Duration,        top,  [],                                    -;
        max_body_bytes:                usize,           top,  [],                                    max_body_bytes;
        global_request_id:             bool,            top,  [],                                    global_request_id;
    } };
}

/// Which catalog endpoint to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interface {
    /// The `public` endpoint (the default).
    #[default]
    Public,
    /// The `internal` endpoint.
    Internal,
    /// The `admin` endpoint.
    Admin,
}

impl Interface {
    /// The catalog's name for it: `public`, `internal` or `admin`.
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
    /// By ID (IDs are unique across domains).
    Id(String),
    /// By name, which is unique only within its domain.
    Name {
        /// The name.
        name: String,
        /// The domain the name lives in.
        domain: Domain,
    },
}

/// A domain, by name or ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    /// By ID.
    Id(String),
    /// By name (`Default` unless set otherwise).
    Name(String),
}

/// How to get a token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthMethod {
    /// Keystone v3 password auth, project-scoped.
    Password {
        /// The Keystone URL (`.../v3`).
        auth_url: String,
        /// The user logging in.
        user: NameOrId,
        /// The user's password.
        password: Password,
        /// The project to scope the token to; unscoped without one.
        project: Option<NameOrId>,
    },
    /// Keystone v3 application credential (by ID, or by name plus its user).
    ApplicationCredential {
        /// The Keystone URL (`.../v3`).
        auth_url: String,
        /// Which application credential.
        credential: NameOrIdWithUser,
        /// Its secret.
        secret: Password,
    },
    /// Keystone v3 token auth: exchange an existing token for a (scoped) one.
    Token {
        /// The Keystone URL (`.../v3`).
        auth_url: String,
        /// The existing token.
        token: Password,
        /// The project to scope the new token to.
        project: Option<NameOrId>,
    },
    /// No Keystone: a fixed compute endpoint and a fixed token.
    Static {
        /// The compute endpoint (`.../v2.1`).
        endpoint: String,
        /// The token sent as `X-Auth-Token`.
        token: Password,
    },
}

/// An application credential: by ID, or by name with its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameOrIdWithUser {
    /// By ID.
    Id(String),
    /// By name, which is unique only for its user.
    Name {
        /// The credential's name.
        name: String,
        /// The user who owns it.
        user: NameOrId,
    },
}

/// How the microversion of each call is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionStrategy {
    /// Exactly this version; an error if the server cannot do it.
    Pinned(Microversion),
    /// The highest version both this SDK and the server support (the default: see the
    /// [module docs](self#defaults) for why).
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
    /// The longest wait between two attempts.
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

/// The validated configuration of a [`crate::Compute`] client. Its `Debug` shows no secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// How to get a token.
    pub auth: AuthMethod,
    /// The catalog region; the first compute endpoint of any region without one.
    pub region: Option<String>,
    /// Which catalog endpoint to use.
    pub interface: Interface,
    /// Use this compute endpoint instead of the catalog's.
    pub endpoint_override: Option<String>,
    /// A PEM CA bundle to trust in addition to the platform roots.
    pub cacert: Option<PathBuf>,
    /// Skip TLS verification (only when explicitly set; logged as a warning).
    pub insecure: bool,
    /// How each call's microversion is chosen.
    pub version: VersionStrategy,
    /// The longest wait for a connection.
    pub connect_timeout: Duration,
    /// The longest wait for each attempt of a request, response body included (none by
    /// default).
    pub request_timeout: Option<Duration>,
    /// When and how often to retry.
    pub retry: RetryPolicy,
    /// Bodies larger than this are refused.
    pub max_body_bytes: usize,
    /// Send `X-OpenStack-Request-ID: req-<uuid>` (one per client) on every call.
    pub global_request_id: Option<String>,
}

/// Where a setting's value came from; errors name it so the user knows where to look.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A typed [`ConfigBuilder`] method, by name (`"password_auth"`, `"region"`, ...).
    Method(&'static str),
    /// [`ConfigBuilder::set`] with this key.
    Set(&'static str),
    /// This `OS_*` environment variable.
    Env(&'static str),
    /// A key of a cloud's entry in `clouds.yaml` or `secure.yaml`.
    CloudsYaml {
        /// The file.
        file: PathBuf,
        /// The cloud's name.
        cloud: String,
        /// The key within the entry, `auth.password` for one under `auth:`.
        key: String,
        /// Whether the file is the `secure.yaml` (rather than the `clouds.yaml`).
        secure: bool,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Method(method) => write!(f, "`.{method}(..)`"),
            Origin::Set(key) => write!(f, "`.set(\"{key}\", ..)`"),
            Origin::Env(var) => f.write_str(var),
            Origin::CloudsYaml {
                file,
                cloud,
                key,
                secure,
            } => {
                let kind = if *secure { "secure.yaml" } else { "clouds.yaml" };
                write!(f, "{kind} ({}) cloud `{cloud}`: {key}", file.display())
            }
        }
    }
}

/// A configuration problem. Names the setting and where to look; never contains a secret's
/// value (nor any other value given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting is not set.
    #[error("missing {setting}: {hint}")]
    Missing {
        /// The setting, or the alternatives (`username or user_id`).
        setting: String,
        /// How to set it, in the terms the configuration used: `set OS_PASSWORD`, ``add
        /// `auth.password` to cloud `mine` in ...``, or ``call `.password_auth(..)` ...``.
        hint: String,
    },
    /// A value that does not parse as its setting's kind.
    #[error("invalid {setting} from {origin}: {reason}")]
    InvalidValue {
        /// The setting.
        setting: String,
        /// Where the value came from.
        origin: Box<Origin>,
        /// What was expected.
        reason: String,
    },
    /// [`ConfigBuilder::set`] with a name that is no setting.
    #[error("unknown setting `{key}`{}", did_you_mean(.suggestion))]
    UnknownSetting {
        /// The name given.
        key: String,
        /// The nearest known setting, if one is near.
        suggestion: Option<String>,
    },
    /// A setting found unusable when the client is made (the `cacert` file's contents).
    #[error("invalid setting `{setting}`: {reason}")]
    Invalid {
        /// The setting.
        setting: String,
        /// What is wrong.
        reason: String,
    },
    /// Two settings that exclude each other, each named with where it came from.
    #[error("contradictory settings: {0}")]
    Contradictory(String),
    /// The cloud (name, then the files searched) is in no `clouds.yaml`.
    #[error("cloud `{0}` not found in clouds.yaml (searched: {1})")]
    CloudNotFound(String, String),
    /// A file cannot be read or parsed.
    #[error("cannot read {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
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
        Config::from_lookup(&|k| std::env::var(k).ok())
    }

    /// As [`Config::from_env`], reading variables through `get` (for tests and embedding).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.is_empty());
        let mut builder = match get("OS_CLOUD") {
            Some(cloud) => ConfigBuilder::from_clouds_yaml(&cloud, &get)?,
            None => ConfigBuilder {
                vocabulary: Vocabulary::Env,
                ..ConfigBuilder::default()
            },
        };
        for spec in SETTINGS {
            if let Some((var, value)) = spec.env.iter().find_map(|var| get(var).map(|v| (*var, v))) {
                builder.values.put(spec.key, Ok(&value), Origin::Env(var));
            }
        }
        builder.build()
    }

    /// From one cloud of `clouds.yaml` (searched as the OpenStack tools do, merged with
    /// `secure.yaml`), ignoring `OS_*` variables.
    pub fn from_cloud(name: &str) -> Result<Config, ConfigError> {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        ConfigBuilder::from_clouds_yaml(name, &get)?.build()
    }
}

/// One row of the settings table.
struct Spec {
    /// The name for [`ConfigBuilder::set`], and the `clouds.yaml` key.
    key: &'static str,
    /// Whether `clouds.yaml` has it under `auth:`.
    in_auth: bool,
    /// The `OS_*` variables that set it; the first one set wins.
    env: &'static [&'static str],
    /// The typed builder method that sets it; `""` for none.
    method: &'static str,
    /// The kind of value ([`SettingValue::KIND`]); only the docs show it (a test checks them).
    #[cfg_attr(not(test), allow(dead_code))]
    kind: &'static str,
}

impl Spec {
    /// The key as written in a cloud entry: `auth.password`, `region_name`.
    fn yaml_key(&self) -> String {
        if self.in_auth {
            format!("auth.{}", self.key)
        } else {
            self.key.to_string()
        }
    }
}

/// The row of the setting named `key`.
fn spec(key: &str) -> Option<&'static Spec> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// A setting's value (or why its text was refused) and where it came from.
#[derive(Clone)]
struct Entry<T> {
    value: Result<T, &'static str>,
    origin: Origin,
}

/// Shows the value through its own `Debug`, which for a [`Password`] is redacted.
impl<T: fmt::Debug> fmt::Debug for Entry<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Ok(value) => write!(f, "{value:?} from {}", self.origin),
            Err(reason) => write!(f, "<invalid: {reason}> from {}", self.origin),
        }
    }
}

/// A kind of setting value, parsed from its text as soon as it enters the builder.
trait SettingValue: Sized + Clone + fmt::Debug {
    /// The name of the kind in the settings table of the docs.
    const KIND: &'static str;
    /// The value, or what was expected.
    fn parse(text: &str) -> Result<Self, &'static str>;
}

impl SettingValue for String {
    const KIND: &'static str = "text";
    fn parse(text: &str) -> Result<Self, &'static str> {
        Ok(text.to_string())
    }
}

impl SettingValue for Password {
    const KIND: &'static str = "secret";
    fn parse(text: &str) -> Result<Self, &'static str> {
        Ok(Password::from(text))
    }
}

impl SettingValue for bool {
    const KIND: &'static str = "boolean";
    fn parse(text: &str) -> Result<Self, &'static str> {
        match text.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err("expected true or false"),
        }
    }
}

impl SettingValue for Duration {
    const KIND: &'static str = "seconds";
    fn parse(text: &str) -> Result<Self, &'static str> {
        text.parse::<f64>()
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .ok_or("expected a number of seconds")
    }
}

impl SettingValue for u32 {
    const KIND: &'static str = "count";
    fn parse(text: &str) -> Result<Self, &'static str> {
        text.parse().map_err(|_| "expected a whole number")
    }
}

impl SettingValue for usize {
    const KIND: &'static str = "bytes";
    fn parse(text: &str) -> Result<Self, &'static str> {
        text.parse().map_err(|_| "expected a whole number of bytes")
    }
}

impl SettingValue for PathBuf {
    const KIND: &'static str = "path";
    fn parse(text: &str) -> Result<Self, &'static str> {
        Ok(PathBuf::from(text))
    }
}

impl SettingValue for Interface {
    const KIND: &'static str = "interface";
    fn parse(text: &str) -> Result<Self, &'static str> {
        match text.trim_end_matches("URL").to_ascii_lowercase().as_str() {
            "public" => Ok(Interface::Public),
            "internal" => Ok(Interface::Internal),
            "admin" => Ok(Interface::Admin),
            _ => Err("expected public, internal or admin"),
        }
    }
}

impl SettingValue for VersionStrategy {
    const KIND: &'static str = "version";
    fn parse(text: &str) -> Result<Self, &'static str> {
        match text {
            "latest" | "2" => Ok(VersionStrategy::HighestCommon),
            "lowest" => Ok(VersionStrategy::LowestRequired),
            v => v
                .parse()
                .map(VersionStrategy::Pinned)
                .map_err(|_| "expected 2.N, latest or lowest"),
        }
    }
}

/// A slot's new content: `None` for an empty text (unset), else the parsed value or the
/// reason it was refused (`Err` in: refused before parsing).
fn slot<T: SettingValue>(text: Result<&str, &'static str>, origin: Origin) -> Option<Entry<T>> {
    match text {
        Ok("") => None,
        Ok(text) => Some(Entry {
            value: T::parse(text),
            origin,
        }),
        Err(reason) => Some(Entry {
            value: Err(reason),
            origin,
        }),
    }
}

/// A slot set by a typed builder method.
fn typed<T>(value: T, method: &'static str) -> Option<Entry<T>> {
    Some(Entry {
        value: Ok(value),
        origin: Origin::Method(method),
    })
}

/// The value of a slot; `None` when unset (refused values are reported before it is read).
fn get<T: Clone>(slot: &Option<Entry<T>>) -> Option<T> {
    slot.as_ref().and_then(|e| e.value.as_ref().ok().cloned())
}

/// Turns the settings table into [`Values`] (one typed field per setting) and [`SETTINGS`].
macro_rules! define_settings {
    (@in_auth auth) => { true };
    (@in_auth top) => { false };
    (@method -) => { "" };
    (@method $method:ident) => { stringify!($method) };
    ($( $key:ident : $ty:ty, $yaml:ident, [$($env:literal),*], $method:tt; )*) => {
        /// Every setting's value, typed, with its origin; `None` when unset.
        #[derive(Clone, Default)]
        struct Values {
            $( $key: Option<Entry<$ty>>, )*
        }

        /// The settings table as data, in its order.
        const SETTINGS: &[Spec] = &[
            $( Spec {
                key: stringify!($key),
                in_auth: define_settings!(@in_auth $yaml),
                env: &[$($env),*],
                method: define_settings!(@method $method),
                kind: <$ty as SettingValue>::KIND,
            }, )*
        ];

        impl Values {
            /// Stores the setting `key` from its text (see [`slot`]). False when no setting
            /// has that name.
            fn put(&mut self, key: &str, text: Result<&str, &'static str>, origin: Origin) -> bool {
                match key {
                    $( stringify!($key) => self.$key = slot(text, origin), )*
                    _ => return false,
                }
                true
            }

            /// Where the setting `key` came from, when it is set.
            fn origin(&self, key: &str) -> Option<&Origin> {
                match key {
                    $( stringify!($key) => self.$key.as_ref().map(|e| &e.origin), )*
                    _ => None,
                }
            }

            /// The first refused value, in table order.
            fn first_invalid(&self) -> Option<ConfigError> {
                $( if let Some(Entry { value: Err(reason), origin }) = &self.$key {
                    return Some(ConfigError::InvalidValue {
                        setting: stringify!($key).into(),
                        origin: Box::new(origin.clone()),
                        reason: (*reason).into(),
                    });
                } )*
                None
            }

            /// Adds the settings that are set to `d`.
            fn debug_fields(&self, d: &mut fmt::DebugStruct<'_, '_>) {
                $( if let Some(entry) = &self.$key {
                    d.field(stringify!($key), entry);
                } )*
            }
        }
    };
}

settings_table!(define_settings);

/// The terms the configuration was given in, for the hints of [`ConfigError::Missing`].
#[derive(Debug, Clone, Default)]
enum Vocabulary {
    #[default]
    Builder,
    Env,
    Cloud {
        file: PathBuf,
        cloud: String,
    },
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Builds a [`Config`] from settings named as in `clouds.yaml` (`auth_url`, `username`,
/// `password`, `project_name`, `region_name`, ...: the [settings table](self#settings-table)), set
/// one by one or through the typed methods. Secrets are kept as [`Password`] from the moment
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
    fn from_clouds_yaml(name: &str, get: &dyn Fn(&str) -> Option<String>) -> Result<ConfigBuilder, ConfigError> {
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
    /// or contradictory for the authentication chosen (see the [module docs](self)).
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

/// The first document among `paths` whose `clouds` map has `name`: its path and that entry.
fn find_cloud(paths: &[PathBuf], name: &str) -> Result<Option<(PathBuf, Value)>, ConfigError> {
    for path in paths {
        if let Some(doc) = read_yaml(path)?
            && let Some(entry) = doc.get("clouds").and_then(|c| c.get(name))
        {
            return Ok(Some((path.clone(), entry.clone())));
        }
    }
    Ok(None)
}

fn read_yaml(path: &Path) -> Result<Option<Value>, ConfigError> {
    match std::fs::read_to_string(path) {
        // The parser's message names a line and column, never the text (which holds secrets).
        Ok(text) => yaml_rust2::YamlLoader::load_from_str(&text)
            .map(|docs| Some(docs.into_iter().next().map_or(Value::Null, yaml_to_json)))
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

/// A YAML document as JSON: what the settings table reads. Keys of other kinds (numbers,
/// booleans) become their text; aliases, which `clouds.yaml` has no use for, become null.
fn yaml_to_json(yaml: yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::String(s) => Value::String(s),
        Yaml::Integer(i) => Value::from(i),
        Yaml::Real(text) => text.parse::<f64>().map_or(Value::String(text), Value::from),
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Array(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Yaml::Hash(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match yaml_to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Yaml::Null | Yaml::Alias(_) | Yaml::BadValue => Value::Null,
    }
}

/// The setting meant by an unknown name: the same name written as a variable (`OS_PASSWORD`),
/// in upper case or with `auth.`; else the nearest name by edit distance, if near enough.
fn suggest(key: &str) -> Option<String> {
    let lower = key.to_ascii_lowercase();
    let bare = lower.strip_prefix("auth.").unwrap_or(&lower);
    if let Some(s) = SETTINGS
        .iter()
        .find(|s| s.key == bare || s.env.iter().any(|e| e.eq_ignore_ascii_case(key)))
    {
        return Some(s.key.to_string());
    }
    let limit = (bare.chars().count() / 3).max(2);
    SETTINGS
        .iter()
        .map(|s| (edit_distance(bare, s.key), s.key))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.to_string())
}

/// Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: the distance between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let replace = d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = replace.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

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
        let docs =
            yaml_rust2::YamlLoader::load_from_str("a: 1\nb: 2.5\nc: true\nd: ~\ne: [x, 'y']\n3: three\n").unwrap();
        let json = yaml_to_json(docs.into_iter().next().unwrap());
        assert_eq!(
            json,
            serde_json::json!({"a": 1, "b": 2.5, "c": true, "d": null, "e": ["x", "y"], "3": "three"})
        );
    }

    /// The rows of the settings table in the module docs: key, variables, method, kind.
    fn doc_table() -> Vec<(String, Vec<String>, String, String)> {
        let source = include_str!("config.rs");
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
        let source = include_str!("config.rs");
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
        let code = &source[..source.find("#[cfg(test)]").unwrap()];
        let read = names(code, true);
        assert!(read.contains("OS_CLOUD") && read.contains("OS_PASSWORD"), "{read:?}");
        assert_eq!(names(&docs, false), read);
    }
}
