//! `#[enumeration(open)]`: a string enum of Nova's (`ServerStatus`, `RebootType`). Open enums
//! keep a value they do not know in `Unknown(String)` (responses); a request refuses it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Ident, LitStr, Result};

use crate::attrs::{self, Range, Version, foreign};

struct Value {
    ident: Ident,
    json: LitStr,
    aliases: Vec<LitStr>,
    range: Option<Range>,
    attrs: Vec<syn::Attribute>,
}

pub fn expand(args: TokenStream, item: DeriveInput) -> Result<TokenStream> {
    let mut open = false;
    let parser = syn::meta::parser(|m| {
        if m.path.is_ident("open") {
            open = true;
            Ok(())
        } else {
            Err(attrs::unknown(&m, &["open"]))
        }
    });
    syn::parse::Parser::parse2(parser, args)?;
    let syn::Data::Enum(data) = &item.data else {
        return Err(syn::Error::new_spanned(&item.ident, "expected an enum"));
    };
    let mut values = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, syn::Fields::Unit) {
            return Err(syn::Error::new_spanned(v, "enumeration values carry no data"));
        }
        let attr = v
            .attrs
            .iter()
            .find(|a| a.path().is_ident("value"))
            .ok_or_else(|| syn::Error::new_spanned(v, "every value needs #[value(json = \"..\")]"))?;
        let mut json = None;
        let mut aliases = Vec::new();
        let (mut since, mut until) = (None, None);
        attr.parse_nested_meta(|m| {
            let key = m.path.get_ident().map(ToString::to_string).unwrap_or_default();
            match key.as_str() {
                "json" => json = Some(attrs::string(&m)?),
                "aliases" => aliases = attrs::strings(&m)?,
                "since" => since = Some(attrs::version(&m)?),
                "until" => until = Some(attrs::version(&m)?),
                _ => return Err(attrs::unknown(&m, &["json", "aliases", "since", "until"])),
            }
            Ok(())
        })?;
        let range = match (since, until) {
            (None, None) => None,
            (s, u) => Some(Range {
                since: s.unwrap_or(Version(2, 1)),
                until: u.unwrap_or(Version(2, u16::MAX)),
            }),
        };
        values.push(Value {
            ident: v.ident.clone(),
            json: json.ok_or_else(|| syn::Error::new_spanned(attr, "missing `json`"))?,
            aliases,
            range,
            attrs: foreign(&v.attrs, &["value"]),
        });
    }
    let ident = &item.ident;
    let vis = &item.vis;
    let kept = foreign(&item.attrs, &["enumeration"]);
    let variants = values.iter().map(|v| {
        let (id, a) = (&v.ident, &v.attrs);
        quote!(#(#a)* #id,)
    });
    let unknown_variant = if open {
        quote!(
            /// A value this SDK does not know, as Nova sent it.
            Unknown(::std::string::String),
        )
    } else {
        quote!()
    };
    let as_str = values.iter().map(|v| {
        let (id, json) = (&v.ident, &v.json);
        quote!(#ident::#id => #json,)
    });
    let unknown_str = if open {
        quote!(#ident::Unknown(s) => s.as_str(),)
    } else {
        quote!()
    };
    let parse_arms = values.iter().map(|v| {
        let id = &v.ident;
        let spellings = std::iter::once(&v.json).chain(&v.aliases);
        quote!(#(#spellings)|* => ::core::result::Result::Ok(#ident::#id),)
    });
    let listed: Vec<String> = values.iter().map(|v| format!("`{}`", v.json.value())).collect();
    let expected = listed.join(", ");
    let parse_other = if open {
        quote!(other => ::core::result::Result::Ok(#ident::Unknown(other.into())),)
    } else {
        quote!(_ => ::core::result::Result::Err(#expected),)
    };
    let all = values.iter().map(|v| {
        let id = &v.ident;
        quote!(#ident::#id)
    });
    let ranges = values.iter().map(|v| {
        let id = &v.ident;
        match v.range {
            Some(r) => {
                let (since, until) = (r.since, r.until);
                let until = if until.1 == u16::MAX {
                    quote!(::openstack_compute::Microversion::MAX)
                } else {
                    quote!(#until)
                };
                quote!(#ident::#id => ::openstack_compute::VersionRange::new(#since, #until),)
            }
            None => quote!(#ident::#id => ::openstack_compute::VersionRange::ALL,),
        }
    });
    let unknown_range = if open {
        quote!(#ident::Unknown(_) => ::openstack_compute::VersionRange::ALL,)
    } else {
        quote!()
    };
    let unknown_check = if open {
        quote!(
            if let #ident::Unknown(_) = self {
                return ::core::result::Result::Err(::openstack_compute::codec::Violation::Unknown {
                    at: at.to_string(),
                    expected: #expected.into(),
                });
            }
        )
    } else {
        quote!()
    };
    let expecting = format!("one of {expected}");
    let doc_all = format!("Every value this SDK knows of `{ident}`.");
    Ok(quote!(
        #(#kept)*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #vis enum #ident {
            #(#variants)*
            #unknown_variant
        }

        impl #ident {
            #[doc = #doc_all]
            pub const ALL: &'static [#ident] = &[#(#all),*];

            /// The value as Nova spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#as_str)*
                    #unknown_str
                }
            }

            /// The microversions in which Nova accepts this value in a request.
            pub fn range(&self) -> ::openstack_compute::VersionRange {
                match self {
                    #(#ranges)*
                    #unknown_range
                }
            }

            fn parse_str(s: &str) -> ::core::result::Result<Self, &'static str> {
                match s {
                    #(#parse_arms)*
                    #parse_other
                }
            }
        }

        impl ::core::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for #ident {
            type Err = ::openstack_compute::codec::UnknownValue;

            /// Reads Nova's spelling (or an alias Nova accepts).
            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                #ident::parse_str(s).map_err(|expected| ::openstack_compute::codec::UnknownValue { expected })
            }
        }

        impl ::serde::Serialize for #ident {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = #ident;
                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> ::core::result::Result<#ident, E> {
                        #ident::parse_str(v).map_err(|_| E::invalid_value(::serde::de::Unexpected::Other("another string"), &self))
                    }
                }
                d.deserialize_str(V)
            }
        }

        impl ::openstack_compute::codec::CheckValue for #ident {
            fn check_value(
                &self,
                _: &[::openstack_compute::limits::Limit],
                v: ::openstack_compute::Microversion,
                at: &::openstack_compute::codec::Path<'_>,
            ) -> ::core::result::Result<(), ::openstack_compute::codec::Violation> {
                #unknown_check
                ::openstack_compute::codec::version_rule(self.range(), || ::std::format!("{:?}", self.as_str()), v, at)
            }
        }

        impl ::openstack_compute::codec::QueryText for #ident {
            fn from_query_text(text: &str) -> ::core::result::Result<Self, ::std::string::String> {
                #ident::parse_str(text).map_err(|expected| ::std::format!("expected one of {expected}"))
            }
        }

        impl ::openstack_compute::codec::FromQuery for #ident {
            fn add_query(slot: &mut ::core::option::Option<Self>, value: &str) -> ::core::result::Result<(), ::std::string::String> {
                *slot = ::core::option::Option::Some(<#ident as ::openstack_compute::codec::QueryText>::from_query_text(value)?);
                ::core::result::Result::Ok(())
            }
        }

        impl ::openstack_compute::codec::QueryValue for #ident {
            fn push_query<'a>(&'a self, name: &'static str, query: &mut ::std::vec::Vec<(&'static str, ::std::borrow::Cow<'a, str>)>) {
                query.push((name, ::std::borrow::Cow::Borrowed(self.as_str())));
            }
        }
    ))
}
