//! Nova's own JSON schemas, with Nova's format checkers emulated: what Nova's validator would
//! accept. The emulation follows Nova's Python (`nova/api/validation/validators.py` and
//! `parameter_types.py`, oslo's `is_uuid_like`), written here apart from the library's own
//! checks so the two can disagree.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

/// Nova's printable-character class, read from Nova's own `description` pattern (the exact
/// class Python's `unicodedata` generated), as code point ranges.
#[derive(Debug, Clone)]
pub struct Printable(Vec<(u32, u32)>);

impl Printable {
    /// Reads the class out of `servers.rebuild_v219`'s `description` pattern.
    pub fn from_reference(schemas: &Path) -> Printable {
        let servers: Value =
            serde_json::from_str(&std::fs::read_to_string(schemas.join("servers.json")).expect("servers.json"))
                .expect("servers.json is JSON");
        let pattern = servers["rebuild_v219"]["properties"]["rebuild"]["properties"]["description"]["pattern"]
            .as_str()
            .expect("the description pattern");
        let class = pattern
            .strip_prefix("^[")
            .and_then(|p| p.strip_suffix("]*$"))
            .expect("a single character class");
        let chars: Vec<char> = class.chars().collect();
        let mut ranges = Vec::new();
        let mut i = 0;
        let next = |i: &mut usize| -> char {
            if chars[*i] == '\\' {
                *i += 2;
                chars[*i - 1]
            } else {
                *i += 1;
                chars[*i - 1]
            }
        };
        while i < chars.len() {
            let lo = next(&mut i);
            if i + 1 < chars.len() && chars[i] == '-' {
                i += 1;
                let hi = next(&mut i);
                ranges.push((lo as u32, hi as u32));
            } else {
                ranges.push((lo as u32, lo as u32));
            }
        }
        Printable(ranges)
    }

    pub fn contains(&self, c: char) -> bool {
        let c = c as u32;
        self.0.iter().any(|(lo, hi)| *lo <= c && c <= *hi)
    }
}

/// Unicode's space separators (Zs): what Nova's names may not start or end with.
fn zs(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// oslo `uuidutils.is_uuid_like`: `str(uuid.UUID(v)).replace('-', '') ==
/// v.replace('urn:', '').replace('uuid:', '').strip('{}').replace('-', '').lower()`.
fn is_uuid_like(v: &str) -> bool {
    let cleaned = v.replace("urn:", "").replace("uuid:", "");
    let cleaned = cleaned
        .trim_start_matches('{')
        .trim_end_matches('}')
        .replace('-', "")
        .to_lowercase();
    cleaned.len() == 32 && cleaned.chars().all(|c| c.is_ascii_hexdigit())
}

/// Python's `base64.b64decode` (not `validate`): non-alphabet characters are discarded;
/// "Incorrect padding" unless the data ends on a whole byte.
fn python_b64decodes(v: &str) -> bool {
    let mut data = 0usize;
    let mut pads = 0usize;
    for c in v.chars() {
        if c.is_ascii_alphanumeric() || c == '+' || c == '/' {
            if pads > 0 {
                break;
            }
            data += 1;
        } else if c == '=' {
            pads += 1;
        }
    }
    match data % 4 {
        0 => true,
        1 => false,
        r => pads >= 4 - r,
    }
}

fn netaddr_cidr(v: &str) -> bool {
    if v.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((addr, len)) = v.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u32>() else { return false };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

/// A validator for one of Nova's schemas, with Nova's formats.
pub fn validator(schema: &Value, printable: &Printable) -> jsonschema::Validator {
    let p = Arc::new(printable.clone());
    let (p1, p2, p3, p4) = (p.clone(), p.clone(), p.clone(), p);
    jsonschema::options()
        .should_validate_formats(true)
        .with_format("uuid", is_uuid_like)
        .with_format("name", move |s: &str| {
            s.chars().all(|c| p1.contains(c)) && !s.starts_with(zs) && !s.ends_with(zs)
        })
        .with_format("name_with_leading_trailing_spaces", move |s: &str| {
            s.chars().all(|c| p2.contains(c)) && s.chars().any(|c| !zs(c))
        })
        .with_format("az_name", move |s: &str| {
            s.chars().all(|c| p3.contains(c) && c != ':') && !s.starts_with(zs) && !s.ends_with(zs)
        })
        .with_format("az_name_with_leading_trailing_spaces", move |s: &str| {
            s.chars().all(|c| p4.contains(c) && c != ':') && s.chars().any(|c| !zs(c))
        })
        .with_format("base64", python_b64decodes)
        .with_format("regex", |s: &str| !s.is_empty())
        .with_format("cidr", netaddr_cidr)
        // oslo's parse_isotime: an ISO 8601 date and time, the zone optional.
        .with_format("date-time", |s: &str| {
            let b = s.as_bytes();
            b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && (b[10] == b'T' || b[10] == b' ') && b[13] == b':'
        })
        .build(schema)
        .expect("Nova's schema compiles")
}
