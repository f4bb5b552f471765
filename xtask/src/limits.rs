//! Value limits: which of Nova's patterns and formats the library can check, and which limits
//! fit which field types. The library implements each check once
//! (`openstack_compute::limits`); this table is the one place that says which Nova regular
//! expression each check stands for.

use crate::model::Model;
use crate::spec::{Limits, TypeKind};
use crate::types::TypeExpr;

/// Nova's request-schema patterns, verbatim, and the library check that implements each.
/// `printable` stands for the character class Nova generates from Python's `unicodedata`
/// (every code point below U+FFFF that is not in a `C*`, `Zl` or `Zp` category); the spec
/// writes that one by name.
pub const PATTERNS: &[(&str, &str)] = &[
    ("^[0-9]*$", "Digits"),
    ("^[0-9]+$", "DigitsNonEmpty"),
    ("^-?[0-9]+$", "SignedDigits"),
    ("^[a-zA-Z0-9-._]*$", "HostChars"),
    ("^[a-zA-Z0-9._-]*$", "HostChars"),
    ("^[a-zA-Z0-9._/-]*$", "DeviceName"),
    ("(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$", "DevicePath"),
    ("^/[0-9a-f.:]+$", "CidrSuffix"),
    ("^[^,/]*$", "Tag"),
    ("^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$", "HostnameLabel"),
    ("^[a-zA-Z0-9-_:. ]{1,255}$", "MetadataKey"),
    ("^(?! )[a-zA-Z0-9. _-]+(?<! )$", "FlavorId"),
    ("^[0-9]+(\\.[0-9]+)?$", "Decimal"),
    ("^[_\\- a-zA-Z0-9]+$", "KeypairName"),
    ("^[_\\-\\@\\. a-zA-Z0-9]+$", "KeypairNameAt"),
    ("printable", "Printable"),
];

/// Nova's format checkers the library implements (`ip` is ours: Nova's `oneOf` of `ipv4`
/// and `ipv6`), and the library's name for each.
pub const FORMATS: &[(&str, &str)] = &[
    ("uuid", "Uuid"),
    ("name", "Name"),
    ("name_with_leading_trailing_spaces", "NameWithSpaces"),
    ("az_name", "AzName"),
    ("az_name_with_leading_trailing_spaces", "AzNameWithSpaces"),
    ("ipv4", "Ipv4"),
    ("ipv6", "Ipv6"),
    ("ip", "Ip"),
    ("base64", "Base64"),
    ("date-time", "DateTime"),
    ("regex", "Regex"),
    ("cidr", "Cidr"),
    ("uri", "Uri"),
];

/// The library check for a Nova pattern.
pub fn pattern_check(pattern: &str) -> Option<&'static str> {
    PATTERNS.iter().find(|(p, _)| *p == pattern).map(|(_, c)| *c)
}

/// The library check for a format.
pub fn format_check(format: &str) -> Option<&'static str> {
    FORMATS.iter().find(|(f, _)| *f == format).map(|(_, c)| *c)
}

/// What a value of this type is, for limits: text, a number, a list or a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    List,
    Map,
    Other,
}

fn kind(ty: &TypeExpr, model: &Model) -> Kind {
    match ty {
        TypeExpr::Scalar("string" | "secret" | "timestamp") => Kind::Text,
        // Nova's integer-or-digit-string types: lengths and patterns apply to the string form,
        // bounds to the number.
        TypeExpr::Scalar("integer" | "integerish") => Kind::Number,
        // A string-or-number ID: its lengths apply to the string form.
        TypeExpr::Scalar("id") => Kind::Text,
        TypeExpr::Scalar(_) => Kind::Other,
        TypeExpr::Named(n) if model.ty(n).is_some_and(|t| t.kind == TypeKind::Enum) => Kind::Text,
        TypeExpr::Named(_) => Kind::Other,
        TypeExpr::List(_) => Kind::List,
        TypeExpr::Map(_) => Kind::Map,
        TypeExpr::EmptyOr(t) => kind(t, model),
    }
}

fn inner(ty: &TypeExpr) -> &TypeExpr {
    match ty {
        TypeExpr::List(t) | TypeExpr::Map(t) | TypeExpr::EmptyOr(t) => t,
        other => other,
    }
}

/// Whether `limits` fit a field of type `ty`.
pub fn check(limits: &Limits, ty: &TypeExpr, model: &Model) -> Result<(), String> {
    let k = kind(ty, model);
    let text_only = [
        ("min_length", limits.min_length.is_some()),
        ("max_length", limits.max_length.is_some()),
        ("pattern", limits.pattern.is_some()),
        ("format", limits.format.is_some()),
    ];
    for (name, set) in text_only {
        if set && !matches!(k, Kind::Text | Kind::Number) {
            return Err(format!("`{name}` is for text (and digit strings)"));
        }
    }
    if (limits.minimum.is_some() || limits.maximum.is_some()) && k != Kind::Number {
        return Err("`minimum`/`maximum` are for integers".into());
    }
    if (limits.min_items.is_some() || limits.max_items.is_some() || limits.unique_items || limits.items.is_some())
        && k != Kind::List
    {
        return Err("`min_items`, `max_items`, `unique_items` and `items` are for lists".into());
    }
    if (limits.keys.is_some() || limits.values.is_some() || limits.max_properties.is_some()) && k != Kind::Map {
        return Err("`keys`, `values` and `max_properties` are for maps".into());
    }
    if let (Some(lo), Some(hi)) = (limits.min_length, limits.max_length)
        && lo > hi
    {
        return Err(format!("min_length {lo} is above max_length {hi}"));
    }
    if let (Some(lo), Some(hi)) = (limits.minimum, limits.maximum)
        && lo > hi
    {
        return Err(format!("minimum {lo} is above maximum {hi}"));
    }
    if let Some(p) = &limits.pattern
        && pattern_check(p).is_none()
    {
        return Err(format!(
            "no library check implements the pattern `{p}` (add one to openstack_compute::limits and to xtask's PATTERNS)"
        ));
    }
    if let Some(f) = &limits.format
        && format_check(f).is_none()
    {
        return Err(format!(
            "unknown format `{f}` (known: {})",
            FORMATS.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(items) = &limits.items {
        check(items, inner(ty), model).map_err(|m| format!("items: {m}"))?;
    }
    if let Some(values) = &limits.values {
        check(values, inner(ty), model).map_err(|m| format!("values: {m}"))?;
    }
    if let Some(keys) = &limits.keys {
        check(keys, &TypeExpr::Scalar("string"), model).map_err(|m| format!("keys: {m}"))?;
    }
    Ok(())
}
