//! Compute API microversions (`2.N`) and ranges of them.
//!
//! Nova's compute API is versioned per request: the client sends
//! `OpenStack-API-Version: compute 2.N` and Nova answers in the shape of that version. Every
//! operation, field and enum value of this crate carries the [`VersionRange`] in which it exists.
//!
//! ```
//! use openstack_compute::{Microversion, VersionRange};
//!
//! let v: Microversion = "2.73".parse()?;
//! assert_eq!(v, Microversion::new(2, 73));
//! assert!(VersionRange::since(Microversion::new(2, 73)).contains(v));
//! assert_eq!(v.to_string(), "2.73");
//! # Ok::<(), openstack_compute::microversion::ParseMicroversionError>(())
//! ```

use std::fmt;
use std::str::FromStr;

/// A compute microversion, `major.minor` (always `2.N` today).
///
/// Ordered numerically: `2.9 < 2.10`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Microversion {
    major: u16,
    minor: u16,
}

impl Microversion {
    /// The first microversion of the v2.1 API (`spec/api.yaml`).
    pub const MIN: Microversion = crate::generated::api::API_MIN;
    /// The highest microversion this crate knows: every operation is typed up to here
    /// (`spec/api.yaml`).
    pub const MAX: Microversion = crate::generated::api::API_MAX;

    /// `Microversion::new(2, 19)` is `2.19`.
    pub const fn new(major: u16, minor: u16) -> Microversion {
        Microversion { major, minor }
    }

    /// The major part (`2`).
    pub const fn major(self) -> u16 {
        self.major
    }

    /// The minor part (`19` of `2.19`).
    pub const fn minor(self) -> u16 {
        self.minor
    }

    /// The value of the `OpenStack-API-Version` header for this version (`compute 2.19`),
    /// when the version is one this SDK knows.
    pub fn header_value(self) -> Option<&'static str> {
        self.table_index().map(|i| crate::generated::api::COMPUTE_HEADERS[i])
    }

    /// The value of the legacy `X-OpenStack-Nova-API-Version` header (`2.19`), for the
    /// versions below 2.27 (the first whose requests Nova reads from `OpenStack-API-Version`,
    /// `spec/api.yaml`): a server may be older than that, and reads only this one. `None` at
    /// 2.27 and above, where any server that supports the version reads the modern header.
    pub fn legacy_header_value(self) -> Option<&'static str> {
        self.table_index()
            .and_then(|i| crate::generated::api::LEGACY_HEADERS.get(i).copied())
    }

    fn table_index(self) -> Option<usize> {
        (self.major == Self::MIN.major && self >= Self::MIN && self <= Self::MAX)
            .then(|| usize::from(self.minor - Self::MIN.minor))
    }
}

impl fmt::Display for Microversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl fmt::Debug for Microversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A string that is not a microversion like `2.19`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a microversion (expected `2.N`)")]
pub struct ParseMicroversionError {
    text: String,
}

impl FromStr for Microversion {
    type Err = ParseMicroversionError;

    /// Parses `2.19`; also accepts the forms Nova's headers use, `compute 2.19`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseMicroversionError {
            text: s.chars().take(40).collect(),
        };
        let t = s.trim();
        let t = t.strip_prefix("compute ").unwrap_or(t).trim();
        let (major, minor) = t.split_once('.').ok_or_else(err)?;
        let digits = |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return Err(err());
        }
        Ok(Microversion::new(
            major.parse().map_err(|_| err())?,
            minor.parse().map_err(|_| err())?,
        ))
    }
}

/// An inclusive range of microversions.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRange {
    /// The first version in the range.
    pub min: Microversion,
    /// The last version in the range.
    pub max: Microversion,
}

impl VersionRange {
    /// Every version this crate knows, `2.1` to [`Microversion::MAX`].
    pub const ALL: VersionRange = VersionRange::new(Microversion::MIN, Microversion::MAX);

    /// `min..=max`.
    pub const fn new(min: Microversion, max: Microversion) -> VersionRange {
        VersionRange { min, max }
    }

    /// `min` to [`Microversion::MAX`].
    pub const fn since(min: Microversion) -> VersionRange {
        VersionRange::new(min, Microversion::MAX)
    }

    /// Whether `v` lies in the range.
    pub fn contains(self, v: Microversion) -> bool {
        self.min <= v && v <= self.max
    }

    /// The versions in both ranges, or `None` when they do not meet.
    pub fn intersect(self, other: VersionRange) -> Option<VersionRange> {
        let r = VersionRange::new(self.min.max(other.min), self.max.min(other.max));
        (r.min <= r.max).then_some(r)
    }
}

impl fmt::Display for VersionRange {
    /// `2.1..2.43`, or `2.17 only`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{} only", self.min)
        } else {
            write!(f, "{}..{}", self.min, self.max)
        }
    }
}

/// How the microversion of each call is chosen (the `compute_api_version` setting of
/// [`crate::config`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionStrategy {
    /// Exactly this version; an error if the server cannot do it.
    Pinned(Microversion),
    /// The highest version both this SDK and the server support (the default: see the
    /// [configuration's defaults](crate::config#defaults) for why).
    #[default]
    HighestCommon,
    /// The lowest version that every field set on the request needs (at least the
    /// operation's first version).
    LowestRequired,
}

/// Picks the microversion of one call: `strategy` inside what the server supports
/// (`server`) and what the call may use (`allowed`: the operation's range, narrowed to a
/// per-version type's when one is sent). `LowestRequired` gives the lowest usable version;
/// the caller moves up from there to the first one the request's fields accept.
pub fn negotiate(
    strategy: VersionStrategy,
    server: VersionRange,
    allowed: VersionRange,
) -> Result<Microversion, Unsupported> {
    let usable = allowed.intersect(server);
    match (strategy, usable) {
        (VersionStrategy::Pinned(v), Some(u)) if u.contains(v) => Ok(v),
        (VersionStrategy::Pinned(v), _) => Err(Unsupported {
            wanted: v,
            supported: server,
            allowed,
        }),
        (_, None) => Err(Unsupported {
            wanted: allowed.min,
            supported: server,
            allowed,
        }),
        (VersionStrategy::HighestCommon, Some(u)) => Ok(u.max),
        (VersionStrategy::LowestRequired, Some(u)) => Ok(u.min),
    }
}

/// No microversion works for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported {
    /// The microversion wanted.
    pub wanted: Microversion,
    /// What the server supports.
    pub supported: VersionRange,
    /// What the call may use.
    pub allowed: VersionRange,
}

impl fmt::Debug for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: u16, b: u16) -> VersionRange {
        VersionRange::new(Microversion::new(2, a), Microversion::new(2, b))
    }

    #[test]
    fn negotiation_picks_inside_server_and_operation() {
        use VersionStrategy::*;
        let server = r(1, 96);
        assert_eq!(
            negotiate(HighestCommon, server, r(1, 104)),
            Ok(Microversion::new(2, 96))
        );
        assert_eq!(
            negotiate(HighestCommon, server, r(17, 50)),
            Ok(Microversion::new(2, 50))
        );
        assert_eq!(
            negotiate(LowestRequired, server, r(17, 104)),
            Ok(Microversion::new(2, 17))
        );
        assert_eq!(
            negotiate(Pinned(Microversion::new(2, 60)), server, r(1, 104)),
            Ok(Microversion::new(2, 60))
        );
        let too_new = negotiate(Pinned(Microversion::new(2, 97)), server, r(1, 104)).unwrap_err();
        assert_eq!((too_new.wanted, too_new.supported), (Microversion::new(2, 97), server));
        // An operation gone before the server's range starts.
        let gone = negotiate(HighestCommon, r(2, 96), r(1, 1)).unwrap_err();
        assert_eq!(gone.wanted, Microversion::new(2, 1));
        // Pinned outside the operation although the server has it.
        assert!(negotiate(Pinned(Microversion::new(2, 10)), server, r(17, 104)).is_err());
    }

    #[test]
    fn header_values_come_from_the_static_table() {
        assert_eq!(Microversion::new(2, 19).header_value(), Some("compute 2.19"));
        assert_eq!(Microversion::new(2, 19).legacy_header_value(), Some("2.19"));
        assert_eq!(Microversion::new(2, 26).legacy_header_value(), Some("2.26"));
        assert_eq!(Microversion::new(2, 27).legacy_header_value(), None);
        assert_eq!(Microversion::MAX.legacy_header_value(), None);
        assert_eq!(Microversion::MAX.next_for_test().header_value(), None);
    }

    impl Microversion {
        fn next_for_test(self) -> Microversion {
            Microversion::new(self.major, self.minor + 1)
        }
    }

    #[test]
    fn orders_numerically_not_lexically() {
        assert!(Microversion::new(2, 9) < Microversion::new(2, 10));
        assert!("2.100".parse::<Microversion>().unwrap() > "2.99".parse().unwrap());
    }

    #[test]
    fn parses_header_forms_and_rejects_garbage() {
        assert_eq!("compute 2.73".parse(), Ok(Microversion::new(2, 73)));
        assert_eq!(" 2.1 ".parse(), Ok(Microversion::new(2, 1)));
        for bad in ["", "2", "2.", ".1", "2.x", "latest", "2.1.1", "99999.1", "-2.1"] {
            assert!(bad.parse::<Microversion>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn range_display_and_intersection() {
        let a = VersionRange::new(Microversion::new(2, 1), Microversion::new(2, 43));
        assert_eq!(a.to_string(), "2.1..2.43");
        assert_eq!(
            VersionRange::since(Microversion::new(2, 17)).to_string(),
            format!("2.17..{}", Microversion::MAX)
        );
        let b = VersionRange::since(Microversion::new(2, 44));
        assert_eq!(a.intersect(b), None);
        assert_eq!(
            VersionRange::ALL.intersect(b),
            Some(VersionRange::since(Microversion::new(2, 44)))
        );
    }
}
