//! Values that take one of several forms, some of them named types of the spec: a server's
//! flavor (a reference before 2.47, embedded from it), and a server create's networks (a list,
//! or a keyword from 2.37). They sit above the named types they are made of.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use serde_json::Value;

use crate::codec::{CheckValue, Path, Violation, version_rule};
use crate::limits::Limit;
use crate::microversion::{Microversion, VersionRange};

/// The `networks` of a server create: a list of networks, or (2.37+) `"auto"` to let Nova
/// allocate one, or `"none"` for no network.
#[derive(Clone, Debug, PartialEq)]
pub enum Networks {
    /// `"auto"` (2.37+).
    Auto,
    /// `"none"` (2.37+).
    None,
    /// These networks, ports or fixed IPs.
    List(Vec<crate::generated::types::Network>),
}

impl Networks {
    /// The microversions in which this value may be sent.
    pub fn supported_range(&self) -> VersionRange {
        match self {
            Networks::Auto | Networks::None => VersionRange::since(Microversion::new(2, 37)),
            Networks::List(_) => VersionRange::ALL,
        }
    }

    /// `"auto"` or `"none"`, for the keywords.
    pub fn keyword(&self) -> &'static str {
        match self {
            Networks::Auto => "auto",
            Networks::None => "none",
            Networks::List(_) => "",
        }
    }
}

impl From<Vec<crate::generated::types::Network>> for Networks {
    fn from(v: Vec<crate::generated::types::Network>) -> Self {
        Networks::List(v)
    }
}

impl Serialize for Networks {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Networks::List(list) => list.serialize(s),
            keyword => s.serialize_str(keyword.keyword()),
        }
    }
}

impl<'de> Deserialize<'de> for Networks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Networks;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of networks, \"auto\" or \"none\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Networks, E> {
                match v {
                    "auto" => Ok(Networks::Auto),
                    "none" => Ok(Networks::None),
                    _ => Err(E::invalid_value(de::Unexpected::Other("another string"), &self)),
                }
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Networks, A::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Networks::List)
            }
        }
        d.deserialize_any(V)
    }
}

/// A server's flavor: referenced by ID before 2.47, embedded (its sizes and extra specs)
/// from 2.47.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerFlavor {
    /// `{"id", "links"}` (before 2.47).
    Ref(crate::generated::types::FlavorRef),
    /// The flavor itself (2.47+).
    Embedded(crate::generated::types::EmbeddedFlavor),
}

impl Serialize for ServerFlavor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ServerFlavor::Ref(r) => r.serialize(s),
            ServerFlavor::Embedded(e) => e.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ServerFlavor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The two shapes share no required key: an embedded flavor has its sizes.
        let map = serde_json::Map::deserialize(d)?;
        let embedded = map.contains_key("vcpus") || map.contains_key("original_name");
        let value = Value::Object(map);
        if embedded {
            crate::generated::types::EmbeddedFlavor::deserialize(value).map(ServerFlavor::Embedded)
        } else {
            crate::generated::types::FlavorRef::deserialize(value).map(ServerFlavor::Ref)
        }
        .map_err(de::Error::custom)
    }
}

impl CheckValue for Networks {
    fn check_value(&self, limits: &[Limit], v: Microversion, at: &Path<'_>) -> Result<(), Violation> {
        match self {
            Networks::List(list) => list.check_value(limits, v, at),
            keyword => version_rule(keyword.supported_range(), || format!("{:?}", keyword.keyword()), v, at),
        }
    }
}
