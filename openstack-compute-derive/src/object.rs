//! `#[object(..)]`: a named object type (`Server`, `Network`), or the inline body of a
//! response. Emits the struct, its direct (de)serialization (no intermediate map), the
//! per-field access the run-time tables use, and, for request types, the value checks.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Ident, LitStr, Result, Type};

use crate::attrs::{self, FieldAttrs, Range, Shape, Version, foreign};
use crate::tables;

/// `#[object(request, response, view)]`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ObjectArgs {
    /// Used in request bodies: value checks, and unknown fields refused when read.
    pub request: bool,
    /// Used in response bodies: unknown fields skipped when read.
    pub response: bool,
    /// The unified type of a response view: `None` reads as "absent or null".
    pub view: bool,
}

impl ObjectArgs {
    pub fn parse(args: TokenStream) -> Result<ObjectArgs> {
        let mut out = ObjectArgs::default();
        let parser = syn::meta::parser(|m| {
            if m.path.is_ident("request") {
                out.request = true;
            } else if m.path.is_ident("response") {
                out.response = true;
            } else if m.path.is_ident("view") {
                out.view = true;
            } else {
                return Err(attrs::unknown(&m, &["request", "response", "view"]));
            }
            Ok(())
        });
        syn::parse::Parser::parse2(parser, args)?;
        if !out.request && !out.response {
            return Err(syn::Error::new(
                proc_macro2::Span::call_site(),
                "an object is `request`, `response`, or both",
            ));
        }
        Ok(out)
    }
}

/// One field of an object, parsed.
pub struct ObjField {
    pub ident: Ident,
    pub ty: Type,
    pub shape: Shape,
    pub attrs: FieldAttrs,
    pub slot: u16,
    pub docs: Vec<syn::Attribute>,
}

impl ObjField {
    pub fn json(&self) -> &LitStr {
        self.attrs.json()
    }

    /// Whether the field is `null` (rather than absent) when empty, written alone.
    fn null_when_empty(&self) -> bool {
        self.attrs
            .entries
            .iter()
            .any(|e| e.required.is_some() && e.nullable.is_some())
    }
}

pub fn fields(item: &DeriveInput, within: Range) -> Result<Vec<ObjField>> {
    let syn::Data::Struct(syn::DataStruct {
        fields: syn::Fields::Named(named),
        ..
    }) = &item.data
    else {
        return Err(syn::Error::new_spanned(
            &item.ident,
            "expected a struct with named fields",
        ));
    };
    let mut out = Vec::new();
    for (i, f) in named.named.iter().enumerate() {
        let attrs = FieldAttrs::parse(f, within)?;
        let shape = attrs
            .shape
            .ok_or_else(|| syn::Error::new_spanned(f, "an object field needs its `shape`"))?;
        out.push(ObjField {
            ident: f.ident.clone().expect("named"),
            ty: f.ty.clone(),
            shape,
            attrs,
            slot: u16::try_from(i).expect("fewer than 65536 fields"),
            docs: attrs::docs(&f.attrs).into_iter().cloned().collect(),
        });
    }
    Ok(out)
}

pub fn expand(args: ObjectArgs, item: DeriveInput) -> Result<TokenStream> {
    let whole = Range {
        since: Version(2, 1),
        until: Version(2, u16::MAX),
    };
    let fields = fields(&item, whole)?;
    let ident = &item.ident;
    let vis = &item.vis;
    let kept = foreign(&item.attrs, &["object"]);
    let defs = fields.iter().map(|f| {
        let (name, ty, docs) = (&f.ident, &f.ty, &f.docs);
        quote!(#(#docs)* pub #name: #ty,)
    });
    let any_plain = fields.iter().any(|f| f.shape == Shape::Plain);
    let default = if !any_plain || args.request {
        quote!(Default,)
    } else {
        quote!()
    };
    let non_exhaustive = if args.request {
        quote!()
    } else {
        quote!(#[non_exhaustive])
    };
    let access = field_access(ident, &fields, args.view);
    let de = deserialize(ident, &fields, !args.response);
    let ser = serialize(ident, &fields);
    let checks = if args.request {
        check_value(ident, &fields)?
    } else {
        quote!()
    };
    Ok(quote!(
        #(#kept)*
        #[derive(Clone, Debug, PartialEq, #default)]
        #non_exhaustive
        #vis struct #ident { #(#defs)* }

        #access
        #de
        #ser
        #checks
    ))
}

/// `Fields` for an object: each field's state and how it is written.
pub fn field_access(ident: &Ident, fields: &[ObjField], view: bool) -> TokenStream {
    let states = fields.iter().map(|f| {
        let (slot, name) = (f.slot, &f.ident);
        let state = state_of(quote!(self.#name), f.shape, view);
        quote!(#slot => #state,)
    });
    let writes = fields.iter().map(|f| {
        let (slot, name) = (f.slot, &f.ident);
        let w = write_of(quote!(self.#name), f.shape);
        quote!(#slot => #w,)
    });
    quote!(
        impl ::openstack_compute::codec::Fields for #ident {
            fn field_state(&self, slot: u16) -> ::openstack_compute::codec::FieldState {
                match slot {
                    #(#states)*
                    _ => ::openstack_compute::codec::FieldState::Absent,
                }
            }

            #[allow(unused_variables)]
            fn write_field(&self, slot: u16, json: &'static str, w: &mut ::openstack_compute::codec::ObjectWriter<'_>) {
                match slot {
                    #(#writes)*
                    _ => {}
                }
            }
        }
    )
}

/// The `FieldState` of a stored value.
pub fn state_of(value: TokenStream, shape: Shape, empty_means_unknown: bool) -> TokenStream {
    let fs = quote!(::openstack_compute::codec::FieldState);
    let none = if empty_means_unknown {
        quote!(#fs::Empty)
    } else {
        quote!(#fs::Absent)
    };
    match shape {
        Shape::Plain => quote!(#fs::Value),
        Shape::Option => quote!(if #value.is_some() { #fs::Value } else { #none }),
        Shape::Nullable => quote!(match &#value {
            ::openstack_compute::types::Nullable::Unset => #fs::Absent,
            ::openstack_compute::types::Nullable::Null => #fs::Null,
            ::openstack_compute::types::Nullable::Value(_) => #fs::Value,
        }),
        Shape::List => quote!(if #value.is_empty() { #fs::EmptyList } else { #fs::Value }),
    }
}

/// Writes a stored value under `json` with an `ObjectWriter` named `w`.
pub fn write_of(value: TokenStream, shape: Shape) -> TokenStream {
    match shape {
        Shape::Plain | Shape::List => quote!(w.value(json, &#value)),
        Shape::Option => quote!(w.option(json, &#value)),
        Shape::Nullable => quote!(w.nullable(json, &#value)),
    }
}

/// Reading a value of `shape` from a `MapAccess` named `map`.
pub fn read_of(shape: Shape, ty: &Type) -> TokenStream {
    match shape {
        Shape::Plain => quote!(::core::option::Option::Some(map.next_value::<#ty>()?)),
        Shape::Option => quote!(map.next_value::<#ty>()?),
        Shape::Nullable => {
            let inner = crate::shape::peel(ty, "Nullable");
            quote!(match map.next_value::<::core::option::Option<#inner>>()? {
                ::core::option::Option::Some(x) => ::openstack_compute::types::Nullable::Value(x),
                ::core::option::Option::None => ::openstack_compute::types::Nullable::Null,
            })
        }
        Shape::List => quote!(map.next_value::<::core::option::Option<#ty>>()?.unwrap_or_default()),
    }
}

fn deserialize(ident: &Ident, fields: &[ObjField], deny_unknown: bool) -> TokenStream {
    let locals = fields.iter().map(|f| {
        let (name, ty) = (&f.ident, &f.ty);
        match f.shape {
            Shape::Plain => quote!(let mut #name: ::core::option::Option<#ty> = ::core::option::Option::None;),
            _ => quote!(let mut #name: #ty = ::core::default::Default::default();),
        }
    });
    let arms = fields.iter().map(|f| {
        let (name, json) = (&f.ident, f.json());
        let read = read_of(f.shape, &f.ty);
        quote!(#json => #name = #read,)
    });
    let known: Vec<&LitStr> = fields.iter().map(ObjField::json).collect();
    let other = if deny_unknown {
        quote!(other => return ::core::result::Result::Err(::serde::de::Error::unknown_field(other, FIELDS)),)
    } else {
        quote!(_ => { map.next_value::<::serde::de::IgnoredAny>()?; })
    };
    let builds = fields.iter().map(|f| {
        let (name, json) = (&f.ident, f.json());
        match f.shape {
            Shape::Plain => quote!(#name: match #name {
                ::core::option::Option::Some(x) => x,
                ::core::option::Option::None => return ::core::result::Result::Err(::serde::de::Error::missing_field(#json)),
            },),
            _ => quote!(#name,),
        }
    });
    let expecting = format!("a {ident} object");
    quote!(
        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = #ident;
                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(#expecting)
                    }
                    #[allow(unused_mut)]
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::core::result::Result<#ident, A::Error> {
                        #[allow(dead_code)]
                        const FIELDS: &[&str] = &[#(#known),*];
                        #(#locals)*
                        while let ::core::option::Option::Some(key) = map.next_key::<::openstack_compute::codec::KeyName<'de>>()? {
                            match key.0.as_ref() {
                                #(#arms)*
                                #other
                            }
                        }
                        ::core::result::Result::Ok(#ident { #(#builds)* })
                    }
                }
                d.deserialize_map(V)
            }
        }
    )
}

fn serialize(ident: &Ident, fields: &[ObjField]) -> TokenStream {
    let entries = fields.iter().map(|f| {
        let (name, json) = (&f.ident, f.json());
        // Inside a response written at a microversion, only the fields it has.
        let ranges = f.attrs.entries.iter().map(|e| e.range);
        let entry = match f.shape {
            Shape::Plain => quote!(::serde::ser::SerializeMap::serialize_entry(&mut m, #json, &self.#name)?;),
            Shape::Option if f.null_when_empty() => {
                quote!(::serde::ser::SerializeMap::serialize_entry(&mut m, #json, &self.#name)?;)
            }
            Shape::Option => quote!(
                if let ::core::option::Option::Some(x) = &self.#name {
                    ::serde::ser::SerializeMap::serialize_entry(&mut m, #json, x)?;
                }
            ),
            Shape::Nullable => quote!(
                match &self.#name {
                    ::openstack_compute::types::Nullable::Value(x) => ::serde::ser::SerializeMap::serialize_entry(&mut m, #json, x)?,
                    ::openstack_compute::types::Nullable::Null => ::serde::ser::SerializeMap::serialize_entry(&mut m, #json, &())?,
                    ::openstack_compute::types::Nullable::Unset => {}
                }
            ),
            Shape::List => quote!(
                if !self.#name.is_empty() {
                    ::serde::ser::SerializeMap::serialize_entry(&mut m, #json, &self.#name)?;
                }
            ),
        };
        quote!(
            if #(::openstack_compute::codec::written(#ranges))||* {
                #entry
            }
        )
    });
    quote!(
        impl ::serde::Serialize for #ident {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                #[allow(unused_mut)]
                let mut m = ::serde::Serializer::serialize_map(s, ::core::option::Option::None)?;
                #(#entries)*
                ::serde::ser::SerializeMap::end(m)
            }
        }
    )
}

/// `CheckValue` for a request object: its fields' presence rules, then each value's limits.
fn check_value(ident: &Ident, fields: &[ObjField]) -> Result<TokenStream> {
    let table = tables::field_table(fields.iter().map(|f| (f.slot, &f.attrs)))?;
    let values = fields.iter().map(|f| {
        let (name, slot) = (&f.ident, f.slot);
        let each = quote!(::openstack_compute::codec::check_member(Self::FIELDS, #slot, x, v, at)?;);
        match f.shape {
            Shape::Plain | Shape::List => quote!({ let x = &self.#name; #each }),
            Shape::Option => quote!(if let ::core::option::Option::Some(x) = &self.#name { #each }),
            Shape::Nullable => quote!(if let ::openstack_compute::types::Nullable::Value(x) = &self.#name { #each }),
        }
    });
    Ok(quote!(
        impl #ident {
            /// The fields' facts by microversion (the run-time checks read this table).
            #[doc(hidden)]
            pub const FIELDS: &'static [::openstack_compute::operation::FieldInfo] = &[#(#table),*];
        }

        impl ::openstack_compute::codec::CheckValue for #ident {
            fn check_value(
                &self,
                _: &[::openstack_compute::limits::Limit],
                v: ::openstack_compute::Microversion,
                at: &::openstack_compute::codec::Path<'_>,
            ) -> ::core::result::Result<(), ::openstack_compute::codec::Violation> {
                ::openstack_compute::codec::check_members(Self::FIELDS, self, v, at)?;
                #(#values)*
                ::core::result::Result::Ok(())
            }
        }
    ))
}
