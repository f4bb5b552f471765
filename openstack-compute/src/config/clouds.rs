//! Reading `clouds.yaml` and `secure.yaml`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::ConfigError;

/// The first document among `paths` whose `clouds` map has `name`: its path and that entry.
pub(super) fn find_cloud(paths: &[PathBuf], name: &str) -> Result<Option<(PathBuf, Value)>, ConfigError> {
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
pub(super) fn yaml_to_json(yaml: yaml_rust2::Yaml) -> Value {
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
