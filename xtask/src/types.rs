//! The `type:` grammar of spec fields and its Rust spelling.
//!
//! ```text
//! type := scalar | Name | list<type> | map<type> | empty_or<type>
//! scalar := string | integer | number | boolean | boolish | integerish | id | secret | timestamp
//!         | json | block_migration | networks | server_flavor
//! ```

use crate::spec::FieldSpec;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    Scalar(&'static str),
    Named(String),
    List(Box<TypeExpr>),
    Map(Box<TypeExpr>),
    EmptyOr(Box<TypeExpr>),
}

/// Scalar spelling in spec -> Rust type path (relative to the generated module's imports).
const SCALARS: &[(&str, &str)] = &[
    ("string", "String"),
    ("integer", "i64"),
    ("number", "f64"),
    ("boolean", "bool"),
    ("boolish", "Boolish"),
    ("integerish", "Integerish"),
    ("id", "FlexibleId"),
    ("secret", "Password"),
    ("timestamp", "Timestamp"),
    ("json", "serde_json::Value"),
    ("block_migration", "BlockMigration"),
    ("networks", "Networks"),
    ("server_flavor", "ServerFlavor"),
];

impl TypeExpr {
    pub fn parse(text: &str) -> Result<TypeExpr, String> {
        let text = text.trim();
        for (wrapper, make) in [
            ("list<", TypeExpr::List as fn(Box<TypeExpr>) -> TypeExpr),
            ("map<", TypeExpr::Map),
            ("empty_or<", TypeExpr::EmptyOr),
        ] {
            if let Some(inner) = text.strip_prefix(wrapper) {
                let inner = inner
                    .strip_suffix('>')
                    .ok_or_else(|| format!("type `{text}` lacks its closing `>`"))?;
                return Ok(make(Box::new(TypeExpr::parse(inner)?)));
            }
        }
        if let Some((s, _)) = SCALARS.iter().find(|(s, _)| *s == text) {
            return Ok(TypeExpr::Scalar(s));
        }
        if text.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && text.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Ok(TypeExpr::Named(text.to_string()));
        }
        Err(format!(
            "unknown type `{text}` (scalars: {}; or list<T>, map<T>, empty_or<T>, or a type from spec/types)",
            SCALARS.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(", ")
        ))
    }

    /// Named types used anywhere inside.
    pub fn named(&self) -> Vec<&str> {
        match self {
            // `networks` is a list of `Network`, or a keyword.
            TypeExpr::Scalar("networks") => vec!["Network"],
            // `flavor` is a `FlavorRef` (before 2.47) or an `EmbeddedFlavor`.
            TypeExpr::Scalar("flavor") => vec!["FlavorRef", "EmbeddedFlavor"],
            TypeExpr::Scalar(_) => vec![],
            TypeExpr::Named(n) => vec![n],
            TypeExpr::List(t) | TypeExpr::Map(t) | TypeExpr::EmptyOr(t) => t.named(),
        }
    }

    pub fn rust(&self) -> String {
        match self {
            TypeExpr::Scalar(s) => SCALARS
                .iter()
                .find(|(n, _)| n == s)
                .map(|(_, r)| r.to_string())
                .unwrap_or_default(),
            TypeExpr::Named(n) => n.clone(),
            TypeExpr::List(t) => format!("Vec<{}>", t.rust()),
            TypeExpr::Map(t) => format!("std::collections::BTreeMap<String, {}>", t.rust()),
            TypeExpr::EmptyOr(t) => format!("EmptyOr<{}>", t.rust()),
        }
    }

    /// Whether the value may carry a secret (so generated docs can say so).
    pub fn is_secret(&self) -> bool {
        matches!(self, TypeExpr::Scalar("secret"))
    }
}

/// The Rust field name: `rust:` if given, else the snake_case of the JSON name with any
/// `OS-EXT-...:` style prefix dropped.
pub fn rust_field_name(f: &FieldSpec) -> String {
    if let Some(r) = &f.rust {
        return r.clone();
    }
    snake_case(f.json.rsplit(':').next().unwrap_or(&f.json))
}

pub fn snake_case(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' || c == '.' || c == ' ' {
            out.push('_');
        } else if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && !out.ends_with('_') && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    match out.as_str() {
        "type" | "ref" | "self" | "match" | "move" | "static" => format!("{out}_"),
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases_nova_names() {
        assert_eq!(snake_case("imageRef"), "image_ref");
        // Acronym runs split oddly (`accessIPv4` -> `access_i_pv4`); the spec names those with `rust:`.
        assert_eq!(snake_case("accessIPv4"), "access_i_pv4");
        assert_eq!(snake_case("adminPass"), "admin_pass");
        assert_eq!(snake_case("changes-since"), "changes_since");
        assert_eq!(snake_case("hostId"), "host_id");
        assert_eq!(snake_case("type"), "type_");
        assert_eq!(snake_case("OS"), "os");
    }

    #[test]
    fn parses_nested_types() {
        let t = TypeExpr::parse("map<list<Address>>").unwrap();
        assert_eq!(t.rust(), "std::collections::BTreeMap<String, Vec<Address>>");
        assert_eq!(t.named(), vec!["Address"]);
        assert!(TypeExpr::parse("list<string").is_err());
        assert!(TypeExpr::parse("strin").is_err());
    }
}
