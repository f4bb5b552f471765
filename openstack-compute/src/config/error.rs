//! What can be wrong with a configuration, and where each value came from.

use std::fmt;
use std::path::PathBuf;

/// Where a setting's value came from; errors name it so the user knows where to look.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A typed [`ConfigBuilder`](super::ConfigBuilder) method, by name (`"password_auth"`, `"region"`, ...).
    Method(&'static str),
    /// [`ConfigBuilder::set`](super::ConfigBuilder::set) with this key.
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
    /// [`ConfigBuilder::set`](super::ConfigBuilder::set) with a name that is no setting.
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
