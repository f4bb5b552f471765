//! The settings table and what it turns into: the typed slots every setting is kept in, the
//! kinds of value, and the lookup of a setting by name.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::{ConfigError, Interface, Origin, VersionStrategy};
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

/// One row of the settings table.
pub(super) struct Spec {
    /// The name for [`ConfigBuilder::set`], and the `clouds.yaml` key.
    pub(super) key: &'static str,
    /// Whether `clouds.yaml` has it under `auth:`.
    pub(super) in_auth: bool,
    /// The `OS_*` variables that set it; the first one set wins.
    pub(super) env: &'static [&'static str],
    /// The typed builder method that sets it; `""` for none.
    pub(super) method: &'static str,
    /// The kind of value ([`SettingValue::KIND`]); only the docs show it (a test checks them).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) kind: &'static str,
}

impl Spec {
    /// The key as written in a cloud entry: `auth.password`, `region_name`.
    pub(super) fn yaml_key(&self) -> String {
        if self.in_auth {
            format!("auth.{}", self.key)
        } else {
            self.key.to_string()
        }
    }
}

/// The row of the setting named `key`.
pub(super) fn spec(key: &str) -> Option<&'static Spec> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// A setting's value (or why its text was refused) and where it came from.
#[derive(Clone)]
pub(super) struct Entry<T> {
    pub(super) value: Result<T, &'static str>,
    pub(super) origin: Origin,
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
pub(super) trait SettingValue: Sized + Clone + fmt::Debug {
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
pub(super) fn slot<T: SettingValue>(text: Result<&str, &'static str>, origin: Origin) -> Option<Entry<T>> {
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
pub(super) fn typed<T>(value: T, method: &'static str) -> Option<Entry<T>> {
    Some(Entry {
        value: Ok(value),
        origin: Origin::Method(method),
    })
}

/// The value of a slot; `None` when unset (refused values are reported before it is read).
pub(super) fn get<T: Clone>(slot: &Option<Entry<T>>) -> Option<T> {
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
        pub(super) struct Values {
            $( pub(super) $key: Option<Entry<$ty>>, )*
        }

        /// The settings table as data, in its order.
        pub(super) const SETTINGS: &[Spec] = &[
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
            pub(super) fn put(&mut self, key: &str, text: Result<&str, &'static str>, origin: Origin) -> bool {
                match key {
                    $( stringify!($key) => self.$key = slot(text, origin), )*
                    _ => return false,
                }
                true
            }

            /// Where the setting `key` came from, when it is set.
            pub(super) fn origin(&self, key: &str) -> Option<&Origin> {
                match key {
                    $( stringify!($key) => self.$key.as_ref().map(|e| &e.origin), )*
                    _ => None,
                }
            }

            /// The first refused value, in table order.
            pub(super) fn first_invalid(&self) -> Option<ConfigError> {
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
            pub(super) fn debug_fields(&self, d: &mut fmt::DebugStruct<'_, '_>) {
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
pub(super) enum Vocabulary {
    #[default]
    Builder,
    Env,
    Cloud {
        file: PathBuf,
        cloud: String,
    },
}

/// `a`, `a or b`, `a, b or c`.
pub(super) fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The setting meant by an unknown name: the same name written as a variable (`OS_PASSWORD`),
/// in upper case or with `auth.`; else the nearest name by edit distance, if near enough.
pub(super) fn suggest(key: &str) -> Option<String> {
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
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
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
