//! The value limits Nova's request schemas enforce, checked before a request is sent.
//!
//! Each field of a request carries its limits (from `spec/`), and a value outside them is an
//! [`ActionError::ValueRejected`](crate::ActionError::ValueRejected) that names the operation,
//! the field, the [`Limit`] and the microversion; nothing is sent. The checks follow Nova's own
//! validators (`nova/api/validation`): lengths count characters as JSON Schema does, `name` is
//! Nova's printable-characters rule, and `uuid` is oslo's `is_uuid_like`.
//!
//! Where this is stricter than Nova, on purpose: Python's `$` also matches before a final
//! newline, so Nova's patterns accept `"host\n"`; these checks do not. `regex` (query filters)
//! is only checked to be non-empty: whether it compiles is Python's to say. `base64` is read as
//! Python's non-strict decoder reads it (characters outside the alphabet are skipped; the data
//! must end on a whole byte).

use std::fmt;

use unicode_general_category::{GeneralCategory, get_general_category};

/// One limit on a request value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// At least this many characters.
    MinLength(u32),
    /// At most this many characters.
    MaxLength(u32),
    /// The characters Nova's pattern allows.
    Pattern(Pattern),
    /// One of Nova's formats.
    Format(Format),
    /// At least this number (integers and digit strings).
    Minimum(i64),
    /// At most this number (integers and digit strings).
    Maximum(i64),
    /// At least this many items.
    MinItems(u32),
    /// At most this many items.
    MaxItems(u32),
    /// No item twice.
    UniqueItems,
    /// At most this many keys.
    MaxProperties(u32),
    /// Limits on each item of a list.
    Items(&'static [Limit]),
    /// Limits on each key of a map.
    Keys(&'static [Limit]),
    /// Limits on each value of a map.
    Values(&'static [Limit]),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u32| if n == 1 { "" } else { "s" };
        match self {
            Limit::MinLength(n) => write!(f, "at least {n} character{}", plural(*n)),
            Limit::MaxLength(n) => write!(f, "at most {n} character{}", plural(*n)),
            Limit::Pattern(p) => write!(f, "{p}"),
            Limit::Format(x) => write!(f, "{x}"),
            Limit::Minimum(n) => write!(f, "at least {n}"),
            Limit::Maximum(n) => write!(f, "at most {n}"),
            Limit::MinItems(n) => write!(f, "at least {n} item{}", plural(*n)),
            Limit::MaxItems(n) => write!(f, "at most {n} item{}", plural(*n)),
            Limit::UniqueItems => f.write_str("no item twice"),
            Limit::MaxProperties(n) => write!(f, "at most {n} key{}", plural(*n)),
            Limit::Items(_) => f.write_str("limits on each item"),
            Limit::Keys(_) => f.write_str("limits on each key"),
            Limit::Values(_) => f.write_str("limits on each value"),
        }
    }
}

/// The character patterns of Nova's request schemas that the SDK checks (the regular
/// expression each stands for is in its doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pattern {
    /// `^[0-9]*$`
    Digits,
    /// `^[0-9]+$`
    DigitsNonEmpty,
    /// `^-?[0-9]+$`
    SignedDigits,
    /// `^[a-zA-Z0-9-._]*$`: a host or domain name.
    HostChars,
    /// `^[a-zA-Z0-9._/-]*$`: a device name.
    DeviceName,
    /// `(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$`: a device path for a volume
    /// (`/dev/vdb`, `/dev/xvda1`): `/dev/`, lowercase letters, then digits.
    DevicePath,
    /// `^/[0-9a-f.:]+$`: the prefix of a CIDR (scheduler hint `cidr`).
    CidrSuffix,
    /// `^[^,/]*$`: a tag.
    Tag,
    /// `^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$`: one DNS label.
    HostnameLabel,
    /// `^[a-zA-Z0-9-_:. ]{1,255}$`: a metadata key.
    MetadataKey,
    /// `^(?! )[a-zA-Z0-9. _-]+(?<! )$`: a flavor ID.
    FlavorId,
    /// `^[0-9]+(\.[0-9]+)?$`: a decimal number (a flavor's `rxtx_factor`).
    Decimal,
    /// `^[_\- a-zA-Z0-9]+$`: a key pair name before 2.92.
    KeypairName,
    /// `^[_\-\@\. a-zA-Z0-9]+$`: a key pair name from 2.92.
    KeypairNameAt,
    /// Printable characters (Nova's generated class: below U+FFFF, no control, format,
    /// private-use, unassigned, line- or paragraph-separator character).
    Printable,
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pattern::Digits => "digits only",
            Pattern::DigitsNonEmpty => "one or more digits",
            Pattern::SignedDigits => "an integer (digits, optionally after `-`)",
            Pattern::HostChars => "letters, digits, `-`, `.` and `_` only",
            Pattern::DeviceName => "letters, digits, `.`, `_`, `/` and `-` only",
            Pattern::DevicePath => "`/dev/`, then lowercase letters, then digits",
            Pattern::CidrSuffix => "`/` followed by hex digits, `.` or `:`",
            Pattern::Tag => "no `,` or `/`",
            Pattern::HostnameLabel => {
                "one DNS label: letters, digits and `-`, starting and ending with a letter or digit"
            }
            Pattern::MetadataKey => "1-255 letters, digits, `-`, `_`, `:`, `.` or spaces",
            Pattern::FlavorId => "letters, digits, `.`, ` `, `_` and `-`, not starting or ending with a space",
            Pattern::Decimal => "a decimal number (digits, optionally `.` and more digits)",
            Pattern::KeypairName => "letters, digits, `_`, `-` and spaces only",
            Pattern::KeypairNameAt => "letters, digits, `_`, `-`, `@`, `.` and spaces only",
            Pattern::Printable => "printable characters only",
        })
    }
}

impl Pattern {
    /// Whether `s` matches the pattern.
    pub fn matches(self, s: &str) -> bool {
        let all = |ok: fn(char) -> bool| s.chars().all(ok);
        let digit = |c: char| c.is_ascii_digit();
        match self {
            Pattern::Digits => all(digit),
            Pattern::DigitsNonEmpty => !s.is_empty() && all(digit),
            Pattern::SignedDigits => {
                let rest = s.strip_prefix('-').unwrap_or(s);
                !rest.is_empty() && rest.chars().all(digit)
            }
            Pattern::HostChars => all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')),
            Pattern::DeviceName => all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-')),
            // `x? [a-z]? d? [a-z]+` is one or more letters in all: the optional parts are
            // letters the last group could take.
            Pattern::DevicePath => s.strip_prefix("/dev/").is_some_and(|rest| {
                let digits = rest.trim_end_matches(|c: char| c.is_ascii_digit());
                !digits.is_empty() && digits.chars().all(|c| c.is_ascii_lowercase())
            }),
            Pattern::CidrSuffix => s.strip_prefix('/').is_some_and(|rest| {
                !rest.is_empty() && rest.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f' | '.' | ':'))
            }),
            Pattern::Tag => all(|c| c != ',' && c != '/'),
            Pattern::HostnameLabel => {
                let b = s.as_bytes();
                b.len() >= 2
                    && b[0].is_ascii_alphanumeric()
                    && b[b.len() - 1].is_ascii_alphanumeric()
                    && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            }
            Pattern::MetadataKey => {
                let n = s.chars().count();
                (1..=255).contains(&n) && all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.' | ' '))
            }
            Pattern::FlavorId => {
                !s.is_empty()
                    && !s.starts_with(' ')
                    && !s.ends_with(' ')
                    && all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ' ' | '_' | '-'))
            }
            Pattern::Decimal => {
                let (whole, fraction) = s.split_once('.').map_or((s, None), |(w, f)| (w, Some(f)));
                let digits = |t: &str| !t.is_empty() && t.chars().all(digit);
                digits(whole) && fraction.is_none_or(digits)
            }
            Pattern::KeypairName => !s.is_empty() && all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ')),
            Pattern::KeypairNameAt => {
                !s.is_empty() && all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@' | '.' | ' '))
            }
            Pattern::Printable => all(printable),
        }
    }
}

/// Nova's format checkers that the SDK applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// What oslo's `is_uuid_like` accepts: 32 hex digits, with or without hyphens, braces or a
    /// `urn:uuid:` prefix.
    Uuid,
    /// Printable characters, not starting or ending with a space.
    Name,
    /// Printable characters, at least one of them not a space.
    NameWithSpaces,
    /// As [`Format::Name`], without `:`.
    AzName,
    /// As [`Format::NameWithSpaces`], without `:`.
    AzNameWithSpaces,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// An IPv4 or IPv6 address.
    Ip,
    /// Base64.
    Base64,
    /// An ISO 8601 date and time.
    DateTime,
    /// A regular expression (checked only to be non-empty).
    Regex,
    /// An address with a prefix length (`10.0.0.0/24`).
    Cidr,
    /// An absolute URI with a host.
    Uri,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Uuid => "a UUID",
            Format::Name => "printable characters, not starting or ending with a space",
            Format::NameWithSpaces => "printable characters, not only spaces",
            Format::AzName => "printable characters except `:`, not starting or ending with a space",
            Format::AzNameWithSpaces => "printable characters except `:`, not only spaces",
            Format::Ipv4 => "an IPv4 address",
            Format::Ipv6 => "an IPv6 address",
            Format::Ip => "an IPv4 or IPv6 address",
            Format::Base64 => "base64",
            Format::DateTime => "an ISO 8601 date and time",
            Format::Regex => "a non-empty regular expression",
            Format::Cidr => "an address with a prefix length",
            Format::Uri => "an absolute URI",
        })
    }
}

impl Format {
    /// Whether `s` has the format.
    pub fn matches(self, s: &str) -> bool {
        let space = |c: char| get_general_category(c) == GeneralCategory::SpaceSeparator;
        let edges_not_space = || !s.starts_with(space) && !s.ends_with(space);
        match self {
            Format::Uuid => uuid_like(s),
            Format::Name => s.chars().all(printable) && edges_not_space(),
            Format::NameWithSpaces => s.chars().all(printable) && s.chars().any(|c| !space(c)),
            Format::AzName => s.chars().all(|c| printable(c) && c != ':') && edges_not_space(),
            Format::AzNameWithSpaces => s.chars().all(|c| printable(c) && c != ':') && s.chars().any(|c| !space(c)),
            Format::Ipv4 => s.parse::<std::net::Ipv4Addr>().is_ok(),
            Format::Ipv6 => s.parse::<std::net::Ipv6Addr>().is_ok(),
            Format::Ip => s.parse::<std::net::IpAddr>().is_ok(),
            Format::Base64 => base64_like(s),
            Format::DateTime => crate::primitive::Timestamp::parse(s).is_ok(),
            Format::Regex => !s.is_empty(),
            Format::Cidr => cidr(s),
            Format::Uri => uri(s),
        }
    }
}

/// Nova's printable character: below U+FFFF (Nova builds its class from the BMP only) and in
/// no `C*`, `Zl` or `Zp` general category.
pub fn printable(c: char) -> bool {
    (c as u32) < 0xFFFF
        && !matches!(
            get_general_category(c),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::Surrogate
                | GeneralCategory::PrivateUse
                | GeneralCategory::Unassigned
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
}

/// oslo `is_uuid_like`: drop `urn:` and `uuid:`, strip braces and hyphens, then 32 hex digits.
fn uuid_like(s: &str) -> bool {
    let s = s.replace("urn:", "").replace("uuid:", "");
    let s = s.trim_matches(|c| c == '{' || c == '}');
    let hex: Vec<u8> = s.bytes().filter(|b| *b != b'-').collect();
    hex.len() == 32 && hex.iter().all(u8::is_ascii_hexdigit)
}

/// Python's `base64.b64decode` without `validate`: characters outside the alphabet are
/// skipped; data up to the first `=` must end on a whole byte, with the padding that needs.
fn base64_like(s: &str) -> bool {
    let alphabet = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    let kept: Vec<u8> = s.bytes().filter(|c| alphabet(c) || *c == b'=').collect();
    let data = kept.iter().take_while(|c| **c != b'=').count();
    let pads = kept[data..].iter().filter(|c| **c == b'=').count();
    match data % 4 {
        0 => true,
        1 => false,
        r => pads >= 4 - r,
    }
}

fn cidr(s: &str) -> bool {
    let Some((addr, prefix)) = s.split_once('/') else {
        return false;
    };
    let Ok(len) = prefix.parse::<u8>() else {
        return false;
    };
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

fn uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    scheme_ok && !host.is_empty() && !s.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_novas_regular_expressions() {
        assert!(Pattern::HostnameLabel.matches("web-1"));
        assert!(!Pattern::HostnameLabel.matches("a"));
        assert!(!Pattern::HostnameLabel.matches("-web"));
        assert!(!Pattern::HostnameLabel.matches("web.example"));
        assert!(Pattern::HostChars.matches("web-1.example_x"));
        for good in ["/dev/vdb", "/dev/xvda1", "/dev/sdb12", "/dev/b"] {
            assert!(Pattern::DevicePath.matches(good), "{good:?}");
        }
        for bad in [
            "/dev/",
            "/dev/1",
            "/dev/vdB",
            "dev/vdb",
            "/dev/vd1b",
            "/dev/vdb\n",
            "/mnt/vdb",
        ] {
            assert!(!Pattern::DevicePath.matches(bad), "{bad:?}");
        }
        assert!(!Pattern::HostChars.matches("web 1"));
        assert!(!Pattern::HostChars.matches("host\n"));
        assert!(Pattern::MetadataKey.matches("a-b_c:d.e f"));
        assert!(Pattern::FlavorId.matches("m1.tiny 2_x-y") && Pattern::FlavorId.matches("1"));
        for bad in ["", " lead", "trail ", "a/b", "a\nb"] {
            assert!(!Pattern::FlavorId.matches(bad), "{bad:?}");
        }
        assert!(Pattern::Decimal.matches("1") && Pattern::Decimal.matches("1.25"));
        for bad in ["", ".5", "1.", "1.2.3", "-1", "1e3"] {
            assert!(!Pattern::Decimal.matches(bad), "{bad:?}");
        }
        assert!(Pattern::KeypairName.matches("my key_1-a") && !Pattern::KeypairName.matches("me@host"));
        assert!(Pattern::KeypairNameAt.matches("me@host.example") && !Pattern::KeypairNameAt.matches("a/b"));
        assert!(!Pattern::KeypairName.matches("") && !Pattern::KeypairNameAt.matches(""));
        assert!(!Pattern::MetadataKey.matches(""));
        assert!(!Pattern::MetadataKey.matches("a/b"));
        assert!(Pattern::Tag.matches("a b"));
        assert!(!Pattern::Tag.matches("a,b"));
        assert!(Pattern::SignedDigits.matches("-1"));
        assert!(!Pattern::SignedDigits.matches("-"));
        assert!(Pattern::Digits.matches(""));
        assert!(!Pattern::DigitsNonEmpty.matches(""));
    }

    #[test]
    fn names_are_printable_without_surrounding_spaces() {
        assert!(Format::Name.matches("web 1"));
        assert!(Format::Name.matches("ünïcødé"));
        assert!(!Format::Name.matches(" web"));
        assert!(!Format::Name.matches("web\u{00a0}"));
        assert!(!Format::Name.matches("web\u{0001}"));
        assert!(!Format::Name.matches("zero\u{200b}width"));
        assert!(!Format::Name.matches("line\u{2028}sep"));
        // Nova's class stops below U+FFFF: astral characters are refused.
        assert!(!Format::Name.matches("smile \u{1F600}"));
        assert!(Format::NameWithSpaces.matches(" a "));
        assert!(!Format::NameWithSpaces.matches("   "));
        assert!(!Format::AzName.matches("zone:1"));
    }

    #[test]
    fn uuids_as_oslo_reads_them() {
        for ok in [
            "155d900f-4e14-4e4c-a73d-069cbf4541e6",
            "155D900F4E144E4CA73D069CBF4541E6",
            "{155d900f-4e14-4e4c-a73d-069cbf4541e6}",
            "urn:uuid:155d900f-4e14-4e4c-a73d-069cbf4541e6",
        ] {
            assert!(Format::Uuid.matches(ok), "{ok}");
        }
        for bad in ["", "155d900f", "155d900f-4e14-4e4c-a73d-069cbf4541eg", "not-a-uuid"] {
            assert!(!Format::Uuid.matches(bad), "{bad}");
        }
    }

    #[test]
    fn addresses_and_cidrs() {
        assert!(Format::Ip.matches("10.0.0.1") && Format::Ip.matches("2001:db8::1"));
        assert!(!Format::Ipv4.matches("2001:db8::1"));
        assert!(Format::Cidr.matches("10.0.0.0/24"));
        assert!(!Format::Cidr.matches("10.0.0.0"));
        assert!(!Format::Cidr.matches("10.0.0.0/33"));
        assert!(Format::Base64.matches("aGVsbG8="));
        assert!(Format::Base64.matches("aGVs bG8=")); // Python skips what is not base64
        assert!(!Format::Base64.matches("aGVsbG8"));
        assert!(!Format::Base64.matches("aGVsb"));
    }

    #[test]
    fn limits_read_as_sentences() {
        assert_eq!(Limit::MaxLength(255).to_string(), "at most 255 characters");
        assert_eq!(Limit::MinItems(1).to_string(), "at least 1 item");
        assert_eq!(Limit::Format(Format::Uuid).to_string(), "a UUID");
    }
}
