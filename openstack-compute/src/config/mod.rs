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
//! every microversion up to [`Microversion::MAX`](crate::Microversion::MAX) and negotiates with each server, so the highest
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

mod builder;
mod clouds;
mod error;
mod settings;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

pub use self::builder::ConfigBuilder;
pub use self::error::{ConfigError, Origin};
pub use crate::microversion::VersionStrategy;
use crate::primitive::Password;

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
            None => ConfigBuilder::in_env_terms(),
        };
        for spec in settings::SETTINGS {
            if let Some((var, value)) = spec.env.iter().find_map(|var| get(var).map(|v| (*var, v))) {
                builder.put(spec.key, Ok(&value), Origin::Env(var));
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
