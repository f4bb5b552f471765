//! `#[request(..)]` on an operation's `Request`: the version-agnostic request and its
//! setters, one request type per stretch of microversions with its conversions, the request's
//! shape (its body and field table), its value checks and query string, how Nova reads it
//! (`testing`), and the setters of the operation's `Call`.
//!
//! Its vocabulary is fields, JSON names, microversion ranges and limits: what the operation
//! means (its route, policy, facts) is written by `cargo xtask codegen` as plain Rust.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{DeriveInput, Ident, LitStr, Result, Type};

use crate::attrs::{self, FieldAttrs, Location, Range, Shape, Version, foreign};
use crate::{object, tables};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    Null,
    ExactlyNull,
    Object,
    ObjectOrNull,
    Fields,
    Entries,
}

impl Body {
    fn variant(self) -> Ident {
        Ident::new(
            match self {
                Body::None => "None",
                Body::Null => "Null",
                Body::ExactlyNull => "ExactlyNull",
                Body::Object => "Object",
                Body::ObjectOrNull => "ObjectOrNull",
                Body::Fields => "Fields",
                Body::Entries => "Entries",
            },
            Span::call_site(),
        )
    }
}

/// One stretch of microversions with its per-version request type, and the response type
/// that stretch answers with.
struct Stretch {
    range: Range,
    response: syn::Type,
}

struct Args {
    operation: LitStr,
    key: Option<LitStr>,
    body: Body,
    range: Range,
    stretches: Vec<Stretch>,
    /// The operation's call type, which gets one setter per field.
    call: Option<Ident>,
}

const KNOWN: &[&str] = &["operation", "key", "body", "range", "stretch", "call"];

fn parse_args(args: TokenStream) -> Result<Args> {
    let mut operation = None;
    let mut key = None;
    let mut body = None;
    let mut range = None;
    let mut stretches = Vec::new();
    let mut call = None;
    let parser = syn::meta::parser(|m| {
        let id = m.path.get_ident().map(ToString::to_string).unwrap_or_default();
        match id.as_str() {
            "operation" => operation = Some(attrs::string(&m)?),
            "key" => key = Some(attrs::string(&m)?),
            "range" => range = Some(Range::parse(&attrs::string(&m)?)?),
            "call" => call = Some(m.value()?.parse::<Ident>()?),
            "body" => {
                body = Some(
                    match attrs::choice(
                        &m,
                        &[
                            "none",
                            "null",
                            "exactly_null",
                            "object",
                            "object_or_null",
                            "fields",
                            "entries",
                        ],
                    )? {
                        "none" => Body::None,
                        "null" => Body::Null,
                        "exactly_null" => Body::ExactlyNull,
                        "object" => Body::Object,
                        "object_or_null" => Body::ObjectOrNull,
                        "fields" => Body::Fields,
                        _ => Body::Entries,
                    },
                )
            }
            "stretch" => {
                let content;
                syn::parenthesized!(content in m.input);
                let lit: LitStr = content.parse()?;
                content.parse::<syn::Token![,]>()?;
                let word: Ident = content.parse()?;
                if word != "response" {
                    return Err(syn::Error::new(word.span(), "expected `response = <type>`"));
                }
                content.parse::<syn::Token![=]>()?;
                let response: syn::Type = content.parse()?;
                stretches.push(Stretch {
                    range: Range::parse(&lit)?,
                    response,
                });
            }
            _ => return Err(attrs::unknown(&m, KNOWN)),
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, args)?;
    let missing = |what: &str| syn::Error::new(Span::call_site(), format!("#[request] needs `{what}`"));
    let body = body.ok_or_else(|| missing("body"))?;
    let keyed = matches!(body, Body::Null | Body::ExactlyNull | Body::Object | Body::ObjectOrNull);
    if keyed != key.is_some() {
        return Err(syn::Error::new(
            Span::call_site(),
            "the `null`, `exactly_null`, `object` and `object_or_null` bodies need a `key`, and the others take none",
        ));
    }
    let range = range.ok_or_else(|| missing("range"))?;
    if stretches.is_empty() {
        return Err(missing("stretch"));
    }
    Ok(Args {
        operation: operation.ok_or_else(|| missing("operation"))?,
        key,
        body,
        range,
        stretches,
        call,
    })
}

/// One request field.
struct Field {
    ident: Ident,
    /// The value type as written.
    ty: Type,
    attrs: FieldAttrs,
    slot: u16,
    /// Stored as `Nullable<T>` (else `Option<T>`).
    nullable: bool,
    docs: Vec<syn::Attribute>,
}

impl Field {
    fn storage(&self) -> TokenStream {
        let ty = &self.ty;
        if self.nullable {
            quote!(::openstack_compute::types::Nullable<#ty>)
        } else {
            quote!(::core::option::Option<#ty>)
        }
    }

    fn shape(&self) -> Shape {
        if self.nullable { Shape::Nullable } else { Shape::Option }
    }

    /// The value, when one is set.
    fn value_ref(&self) -> TokenStream {
        let name = &self.ident;
        if self.nullable {
            quote!(self.#name.value())
        } else {
            quote!(self.#name.as_ref())
        }
    }

    /// Required, and never null, in every version of `range`.
    fn always_required(&self, range: Range) -> bool {
        self.attrs.entries.len() == 1
            && self.attrs.entries[0].range == range
            && self.attrs.entries[0].required == Some(range)
            && self.attrs.entries[0].nullable.is_none()
    }

    fn location(&self) -> Location {
        self.attrs.entries.first().map(|e| e.location).unwrap_or(Location::Body)
    }
}

/// A field's shape in one stretch of microversions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    /// `T`: required, never null.
    Plain,
    /// `Option<T>`: optional and never null.
    Optional,
    /// `Option<T>`: required, `None` is sent as null.
    RequiredNullable,
    /// `Nullable<T>`: optional, and null means something.
    Nullable,
}

/// A field's shape at `v`. In an `object_or_null` body the object itself is optional, so
/// what the object requires is optional in the per-version type (and checked when sent).
fn shape_at(f: &Field, v: Version, body: Body) -> Option<At> {
    let e = f.attrs.at(v)?;
    let required = e.required_at(v) && !(body == Body::ObjectOrNull && e.location == Location::Body);
    Some(match (required, e.nullable_at(v)) {
        (true, false) => At::Plain,
        (true, true) => At::RequiredNullable,
        (false, false) => At::Optional,
        (false, true) => At::Nullable,
    })
}

pub fn expand(args: TokenStream, item: DeriveInput) -> Result<TokenStream> {
    let op = parse_args(args)?;
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
    let mut fields = Vec::new();
    for (i, f) in named.named.iter().enumerate() {
        let attrs = FieldAttrs::parse(f, op.range)?;
        if attrs.entries.iter().any(|e| e.location == Location::Header) {
            return Err(syn::Error::new_spanned(f, "`location_header` is for responses"));
        }
        let nullable = attrs.entries.iter().any(|e| e.nullable.is_some());
        fields.push(Field {
            ident: f.ident.clone().expect("named"),
            ty: f.ty.clone(),
            nullable,
            slot: u16::try_from(i).expect("few fields"),
            docs: attrs::docs(&f.attrs).into_iter().cloned().collect(),
            attrs,
        });
    }
    let ident = &item.ident;
    let kept = foreign(&item.attrs, &["request"]);
    let request = request_struct(&op, ident, &kept, &fields);
    let fields_impl = fields_impl(ident, &fields);
    let versions = op
        .stretches
        .iter()
        .map(|s| versioned(&op, ident, &fields, s))
        .collect::<Vec<_>>();
    let shape = request_fields_impl(&op, ident, &fields)?;
    let call = op.call.as_ref().map(|call| call_setters(call, &fields));
    Ok(quote!(
        #request
        #fields_impl
        #shape
        #(#versions)*
        #call
    ))
}

fn request_struct(op: &Args, ident: &Ident, kept: &[syn::Attribute], fields: &[Field]) -> TokenStream {
    let defs = fields.iter().map(|f| {
        let (name, docs, storage) = (&f.ident, &f.docs, f.storage());
        quote!(#(#docs)* pub #name: #storage,)
    });
    let required: Vec<&Field> = fields
        .iter()
        .filter(|f| f.always_required(op.range) && f.location() != Location::Query)
        .collect();
    let args = required.iter().map(|f| {
        let (name, ty) = (&f.ident, &f.ty);
        quote!(#name: impl ::core::convert::Into<#ty>)
    });
    let inits = required.iter().map(|f| {
        let name = &f.ident;
        quote!(request.#name = ::core::option::Option::Some(#name.into());)
    });
    let setters = fields.iter().map(|f| {
        let (name, ty, docs) = (&f.ident, &f.ty, &f.docs);
        let set = if f.nullable {
            quote!(::openstack_compute::types::Nullable::Value(value.into()))
        } else {
            quote!(::core::option::Option::Some(value.into()))
        };
        let clear = if f.nullable {
            let clear = format_ident!("clear_{}", name);
            let doc = format!("Sends `\"{}\": null`.", f.attrs.json().value());
            quote!(
                #[doc = #doc]
                pub fn #clear(mut self) -> Self {
                    self.#name = ::openstack_compute::types::Nullable::Null;
                    self
                }
            )
        } else {
            quote!()
        };
        quote!(
            #(#docs)*
            pub fn #name(mut self, value: impl ::core::convert::Into<#ty>) -> Self {
                self.#name = #set;
                self
            }
            #clear
        )
    });
    quote!(
        #(#kept)*
        #[derive(Clone, Debug, PartialEq, Default)]
        #[non_exhaustive]
        pub struct #ident { #(#defs)* }

        impl #ident {
            /// A request with the fields every microversion requires; set the others with the
            /// methods below.
            #[allow(clippy::new_without_default)]
            pub fn new(#(#args),*) -> Self {
                #[allow(unused_mut)]
                let mut request = Self::default();
                #(#inits)*
                request
            }

            #(#setters)*
        }
    )
}

fn fields_impl(ident: &Ident, fields: &[Field]) -> TokenStream {
    let states = fields.iter().map(|f| {
        let (slot, name) = (f.slot, &f.ident);
        let state = object::state_of(quote!(self.#name), f.shape(), false);
        quote!(#slot => #state,)
    });
    let writes = fields.iter().map(|f| {
        let (slot, name) = (f.slot, &f.ident);
        // Only set fields are written: the value itself, or null.
        let w = if f.nullable {
            quote!(w.nullable(json, &self.#name))
        } else {
            quote!(if let ::core::option::Option::Some(x) = &self.#name { w.value(json, x) })
        };
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

/// `RequestFields`: the request's shape (its body and field table), the value checks, the
/// query string, and how Nova reads it (`testing`).
fn request_fields_impl(op: &Args, ident: &Ident, fields: &[Field]) -> Result<TokenStream> {
    let name = &op.operation;
    let table = tables::field_table(fields.iter().map(|f| (f.slot, &f.attrs)))?;
    let key = match &op.key {
        Some(k) => quote!(::core::option::Option::Some(#k)),
        None => quote!(::core::option::Option::None),
    };
    let body = op.body.variant();
    let value_checks = fields.iter().map(|f| {
        let (slot, value) = (f.slot, f.value_ref());
        quote!(
            if let ::core::option::Option::Some(x) = #value {
                ::openstack_compute::codec::check_field_value(Self::SHAPE, #slot, x, version)?;
            }
        )
    });
    let queries = fields.iter().filter(|f| f.location() == Location::Query).map(|f| {
        let (value, json) = (f.value_ref(), f.attrs.json());
        quote!(
            if let ::core::option::Option::Some(x) = #value {
                ::openstack_compute::codec::QueryValue::push_query(x, #json, &mut query);
            }
        )
    });
    let read_body = read_body(op, ident, fields);
    let read_query = read_query(fields);
    Ok(quote!(
        impl ::openstack_compute::operation::RequestFields for #ident {
            const SHAPE: &'static ::openstack_compute::codec::RequestShape = &::openstack_compute::codec::RequestShape::new(
                #name, #key, ::openstack_compute::codec::BodyKind::#body, &[#(#table),*],
            );

            fn check_values(&self, version: ::openstack_compute::Microversion) -> ::core::result::Result<(), ::openstack_compute::ActionError> {
                #(#value_checks)*
                ::core::result::Result::Ok(())
            }

            #[allow(unused_mut, unused_variables)]
            fn query(&self, version: ::openstack_compute::Microversion) -> ::openstack_compute::operation::Query<'_> {
                let mut query = ::std::vec::Vec::new();
                #(#queries)*
                query
            }

            #[cfg(feature = "testing")]
            fn read_body(body: &[u8]) -> ::core::result::Result<Self, ::openstack_compute::DecodeError> {
                #read_body
            }

            #[cfg(feature = "testing")]
            fn read_query(&mut self, query: &[(::std::string::String, ::std::string::String)])
                -> ::core::result::Result<(), ::std::string::String>
            {
                #read_query
            }
        }
    ))
}

/// Reads a whole request body (`testing`): the body key, its fields, the fields beside it;
/// anything else is refused, as Nova refuses it.
fn read_body(op: &Args, ident: &Ident, fields: &[Field]) -> TokenStream {
    let name = &op.operation;
    let context = quote!(::openstack_compute::codec::Context {
        operation: #name,
        what: "request",
        version: ::openstack_compute::Microversion::MIN,
    });
    let json_error = quote!(.map_err(|e| ::openstack_compute::DecodeError::json(#context.to_string(), &e))?);
    let read = |f: &Field| {
        let name = &f.ident;
        let ty = &f.ty;
        if f.nullable {
            let r = object::read_of(
                Shape::Nullable,
                &syn::parse_quote!(::openstack_compute::types::Nullable<#ty>),
            );
            quote!(self.0.#name = #r)
        } else {
            quote!(self.0.#name = ::core::option::Option::Some(map.next_value::<#ty>()?))
        }
    };
    let arms = |location: Location| {
        fields
            .iter()
            .filter(move |f| f.location() == location)
            .map(|f| {
                let (json, r) = (f.attrs.json(), read(f));
                quote!(#json => #r,)
            })
            .collect::<Vec<_>>()
    };
    // The fields of an object (the body itself, or the value under its key).
    let object_visitor = |arms: Vec<TokenStream>, expecting: String| {
        quote!(
            struct Inner<'a>(&'a mut #ident, bool);
            impl<'de> ::serde::de::DeserializeSeed<'de> for Inner<'_> {
                type Value = ();
                fn deserialize<D: ::serde::Deserializer<'de>>(self, d: D) -> ::core::result::Result<(), D::Error> {
                    d.deserialize_any(self)
                }
            }
            impl<'de> ::serde::de::Visitor<'de> for Inner<'_> {
                type Value = ();
                fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#expecting)
                }
                fn visit_unit<E: ::serde::de::Error>(self) -> ::core::result::Result<(), E> {
                    if self.1 { ::core::result::Result::Ok(()) } else { ::core::result::Result::Err(E::invalid_type(::serde::de::Unexpected::Unit, &self)) }
                }
                #[allow(unused_mut)]
                fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::core::result::Result<(), A::Error> {
                    while let ::core::option::Option::Some(key) = map.next_key::<::openstack_compute::codec::KeyName<'de>>()? {
                        match key.0.as_ref() {
                            #(#arms)*
                            other => return ::core::result::Result::Err(::serde::de::Error::unknown_field(other, &[])),
                        }
                    }
                    ::core::result::Result::Ok(())
                }
            }
        )
    };
    match (op.body, &op.key) {
        (Body::None, _) => quote!(
            if body.iter().all(u8::is_ascii_whitespace) {
                ::core::result::Result::Ok(#ident::default())
            } else {
                ::core::result::Result::Err(#context.error("this operation sends no body"))
            }
        ),
        (Body::Entries, _) => {
            let Some(f) = fields.iter().find(|f| f.location() == Location::Entries) else {
                return quote!(::core::result::Result::Err(#context.error("no field holds the body")));
            };
            let (n, ty) = (&f.ident, &f.ty);
            quote!(
                let mut request = #ident::default();
                request.#n = ::core::option::Option::Some(::serde_json::from_slice::<#ty>(body) #json_error);
                ::core::result::Result::Ok(request)
            )
        }
        (Body::Fields, _) | (_, None) => {
            let visitor = object_visitor(arms(Location::Body), "an object".into());
            quote!(
                #visitor
                let mut request = #ident::default();
                let mut de = ::serde_json::Deserializer::from_slice(body);
                ::serde::de::DeserializeSeed::deserialize(Inner(&mut request, false), &mut de)
                    .and_then(|()| de.end())
                    #json_error;
                ::core::result::Result::Ok(request)
            )
        }
        (_, Some(key)) => {
            let visitor = object_visitor(arms(Location::Body), "an object".into());
            let top_arms = arms(Location::Top);
            let key_value = match op.body {
                Body::Null => quote!({
                    map.next_value::<::serde::de::IgnoredAny>()?;
                }),
                Body::ExactlyNull => quote!({
                    map.next_value::<()>()?;
                }),
                _ => {
                    let null_ok = op.body == Body::ObjectOrNull;
                    quote!(map.next_value_seed(Inner(&mut *self.0, #null_ok))?)
                }
            };
            quote!(
                struct Outer<'a>(&'a mut #ident);
                #visitor
                impl<'de> ::serde::de::Visitor<'de> for Outer<'_> {
                    type Value = ();
                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(concat!("an object with `", #key, "`"))
                    }
                    #[allow(unused_mut)]
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::core::result::Result<(), A::Error> {
                        let mut seen = false;
                        while let ::core::option::Option::Some(key) = map.next_key::<::openstack_compute::codec::KeyName<'de>>()? {
                            match key.0.as_ref() {
                                #key => { seen = true; #key_value }
                                #(#top_arms)*
                                other => return ::core::result::Result::Err(::serde::de::Error::unknown_field(other, &[#key])),
                            }
                        }
                        if seen { ::core::result::Result::Ok(()) } else { ::core::result::Result::Err(::serde::de::Error::missing_field(#key)) }
                    }
                }
                let mut request = #ident::default();
                let mut de = ::serde_json::Deserializer::from_slice(body);
                ::serde::Deserializer::deserialize_map(&mut de, Outer(&mut request))
                    .and_then(|()| de.end())
                    #json_error;
                ::core::result::Result::Ok(request)
            )
        }
    }
}

/// Reads the query string (`testing`).
fn read_query(fields: &[Field]) -> TokenStream {
    let arms = fields.iter().filter(|f| f.location() == Location::Query).map(|f| {
        let (name, json) = (&f.ident, f.attrs.json());
        let ty = &f.ty;
        quote!(#json => <#ty as ::openstack_compute::codec::FromQuery>::add_query(&mut self.#name, value)
            .map_err(|e| ::std::format!("query parameter `{}`: {e}", #json))?,)
    });
    quote!(
        for (name, value) in query {
            match name.as_str() {
                #(#arms)*
                other => return ::core::result::Result::Err(::std::format!("unknown query parameter `{other}`")),
            }
        }
        ::core::result::Result::Ok(())
    )
}

fn versioned(op: &Args, ident: &Ident, fields: &[Field], stretch: &Stretch) -> TokenStream {
    let s = stretch.range;
    let vident = s.since.ident();
    let name = &op.operation;
    let present: Vec<(&Field, At)> = fields
        .iter()
        .filter_map(|f| shape_at(f, s.since, op.body).map(|a| (f, a)))
        .collect();
    let defs = present.iter().map(|(f, at)| {
        let (n, ty, docs) = (&f.ident, &f.ty, &f.docs);
        let t = match at {
            At::Plain => quote!(#ty),
            At::Optional | At::RequiredNullable => quote!(::core::option::Option<#ty>),
            At::Nullable => quote!(::openstack_compute::types::Nullable<#ty>),
        };
        quote!(#(#docs)* pub #n: #t,)
    });
    let new_args = present.iter().filter(|(_, at)| *at == At::Plain).map(|(f, _)| {
        let (n, ty) = (&f.ident, &f.ty);
        quote!(#n: impl ::core::convert::Into<#ty>)
    });
    let new_inits = present.iter().map(|(f, at)| {
        let n = &f.ident;
        match at {
            At::Plain => quote!(#n: #n.into(),),
            _ => quote!(#n: ::core::default::Default::default(),),
        }
    });
    // Into the agnostic request.
    let into = fields.iter().map(|f| {
        let n = &f.ident;
        let Some(at) = present.iter().find(|(p, _)| p.ident == f.ident).map(|(_, a)| *a) else {
            return quote!(#n: ::core::default::Default::default(),);
        };
        let nul = quote!(::openstack_compute::types::Nullable);
        match (at, f.nullable) {
            (At::Plain, false) => quote!(#n: ::core::option::Option::Some(v.#n),),
            (At::Plain, true) => quote!(#n: #nul::Value(v.#n),),
            (At::Optional, false) => quote!(#n: v.#n,),
            (At::Optional, true) => quote!(#n: match v.#n { ::core::option::Option::Some(x) => #nul::Value(x), ::core::option::Option::None => #nul::Unset },),
            (At::RequiredNullable, _) => quote!(#n: #nul::from(v.#n),),
            (At::Nullable, _) => quote!(#n: v.#n,),
        }
    });
    // From the agnostic request, refusing what this stretch does not have.
    let from = fields.iter().map(|f| {
        let n = &f.ident;
        let json = f.attrs.json();
        let nul = quote!(::openstack_compute::types::Nullable);
        let since = s.since;
        let missing = {
            let since_tok = quote!(#since);
            let v = Ident::new("MissingField", Span::call_site());
            quote!(return ::core::result::Result::Err(::openstack_compute::ActionError::#v {
                operation: #name, field: #json.into(), version: #since_tok,
            }))
        };
        let null = {
            let since_tok = quote!(#since);
            quote!(return ::core::result::Result::Err(::openstack_compute::ActionError::NullNotAllowed {
                operation: #name, field: #json.into(), version: #since_tok,
            }))
        };
        let Some(at) = present.iter().find(|(p, _)| p.ident == f.ident).map(|(_, a)| *a) else {
            let range = s;
            let state = object::state_of(quote!(r.#n), f.shape(), false);
            return quote!(
                if #state != ::openstack_compute::codec::FieldState::Absent {
                    return ::core::result::Result::Err(::openstack_compute::ActionError::FieldOutOfRange {
                        operation: #name, field: #json.into(), range: #range, version: #since,
                    });
                }
            );
        };
        let value = match (at, f.nullable) {
            (At::Plain, false) => quote!(match r.#n { ::core::option::Option::Some(x) => x, ::core::option::Option::None => #missing }),
            (At::Plain, true) => quote!(match r.#n { #nul::Value(x) => x, #nul::Unset => #missing, #nul::Null => #null }),
            (At::Optional, false) => quote!(r.#n),
            (At::Optional, true) => quote!(match r.#n { #nul::Value(x) => ::core::option::Option::Some(x), #nul::Unset => ::core::option::Option::None, #nul::Null => #null }),
            (At::RequiredNullable, _) => quote!(match r.#n { #nul::Value(x) => ::core::option::Option::Some(x), #nul::Null => ::core::option::Option::None, #nul::Unset => #missing }),
            (At::Nullable, _) => quote!(r.#n),
        };
        quote!(let #n = #value;)
    });
    let moved = present.iter().map(|(f, _)| &f.ident);
    let response = &stretch.response;
    let doc = format!(
        "`{}` as microversions {} accept it: only the fields valid there, required ones not optional.",
        name.value(),
        s.text()
    );
    quote!(
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        pub struct #vident { #(#defs)* }

        impl #vident {
            /// The request with its required fields; the others start unset.
            #[allow(clippy::new_without_default)]
            pub fn new(#(#new_args),*) -> Self {
                #vident { #(#new_inits)* }
            }
        }

        impl ::core::convert::From<#vident> for #ident {
            #[allow(unused_variables)]
            fn from(v: #vident) -> #ident {
                #ident { #(#into)* }
            }
        }

        impl ::core::convert::TryFrom<#ident> for #vident {
            type Error = ::openstack_compute::ActionError;

            /// Fails naming a field this stretch of microversions does not have, or a required
            /// one that is not set.
            #[allow(unused_variables)]
            fn try_from(r: #ident) -> ::core::result::Result<#vident, ::openstack_compute::ActionError> {
                #(#from)*
                ::core::result::Result::Ok(#vident { #(#moved),* })
            }
        }

        impl ::openstack_compute::operation::VersionedRequest for #vident {
            type Operation = #ident;
            type Response = #response;
            const RANGE: ::openstack_compute::VersionRange = #s;
        }
    )
}

/// One setter per field on the operation's `Call` (a tuple struct around a `CallCore`).
fn call_setters(call: &Ident, fields: &[Field]) -> TokenStream {
    let setters = fields.iter().map(|f| {
        let (n, ty, docs) = (&f.ident, &f.ty, &f.docs);
        let clear = if f.nullable {
            let c = format_ident!("clear_{}", n);
            let doc = format!("Sends `\"{}\": null`.", f.attrs.json().value());
            quote!(
                #[doc = #doc]
                pub fn #c(mut self) -> Self {
                    self.0.request = self.0.request.#c();
                    self
                }
            )
        } else {
            quote!()
        };
        quote!(
            #(#docs)*
            pub fn #n(mut self, value: impl ::core::convert::Into<#ty>) -> Self {
                self.0.request = self.0.request.#n(value);
                self
            }
            #clear
        )
    });
    quote!(
        impl #call {
            #(#setters)*
        }
    )
}
