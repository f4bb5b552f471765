//! `#[derive(Response)]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::DeriveInput;

use crate::model::{self, Location, Range, Shape, Version};

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let attr = input
        .attrs
        .iter()
        .find(|a| a.path().is_ident("response"))
        .ok_or_else(|| syn::Error::new_spanned(&input.ident, "missing #[response(...)]"))?;
    let mut operation = String::new();
    let mut wrap = None;
    let mut since = None;
    let mut until = None;
    let mut versions = Vec::new();
    attr.parse_nested_meta(|meta| {
        let id = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
        match id.as_str() {
            "operation" => operation = model::parse_str(&meta)?.value(),
            "wrap" => wrap = Some(model::parse_str(&meta)?.value()),
            "since" => since = Some(Version::parse(&model::parse_str(&meta)?)?),
            "until" => until = Some(Version::parse(&model::parse_str(&meta)?)?),
            "versions" => versions = model::parse_versions(&meta)?,
            _ => return Err(meta.error("unknown response attribute")),
        }
        Ok(())
    })?;
    let (Some(since), Some(until)) = (since, until) else {
        return Err(syn::Error::new_spanned(attr, "`since` and `until` are required"));
    };
    let whole = Range { since, until };
    let (fields, extra) = model::parse_fields(&input.data, whole)?;
    let extra = extra
        .ok_or_else(|| syn::Error::new_spanned(&input.ident, "a response keeps unknown fields in an #[extra] field"))?;
    let ident = &input.ident;
    let ranges = model::version_ranges(&versions, until);
    let unified_layers = |f: &model::Field| if f.required_everywhere(whole) { 0 } else { 1 };

    let mut types = Vec::new();
    let mut conversions = Vec::new();
    let mut parse_arms = Vec::new();
    let mut roundtrip_arms = Vec::new();
    for range in &ranges {
        let v = range.since;
        let vident = v.ident();
        let wrapped = format_ident!("Wrapped{}", vident);
        let range_tokens = range.tokens();
        let mut defs = Vec::new();
        let mut convs = Vec::new();
        let mut location_fills = Vec::new();
        let mut body_expected = false;
        let mut takes = Vec::new();
        let mut puts = Vec::new();
        for f in &fields {
            let fid = &f.ident;
            let u = unified_layers(f);
            let inner = model::peel(&f.ty, u)?;
            match f.at(v) {
                Some(a) => {
                    let shape = Shape::of(a, v);
                    let ty = shape.ty(&inner);
                    let docs = &f.docs;
                    defs.push(quote!(#(#docs)* pub #fid: #ty,));
                    let json = &a.json;
                    let (take, put) = match shape {
                        Shape::Plain => (quote!(take_required), quote!(put_required)),
                        Shape::NullableRequired => (quote!(take_nullable), quote!(put_required)),
                        Shape::Optional => (quote!(take_optional), quote!(put_optional)),
                        Shape::OptionalNullable => (quote!(take_optional_nullable), quote!(put_optional)),
                        Shape::OutOfBody => (quote!(take_none), quote!(put_none)),
                    };
                    takes.push(quote!(#fid: crate::codec::#take(&mut map, #json)?,));
                    puts.push(quote!(crate::codec::#put(&mut out, #json, &self.#fid)?;));
                    let conv = if shape == Shape::Plain && u == 0 {
                        quote!(typed.#fid)
                    } else {
                        model::convert_layers(quote!(typed.#fid), shape.layers(), u)
                    };
                    convs.push(quote!(#fid: #conv,));
                    if a.location == Location::LocationHeader {
                        location_fills.push(quote!(typed.#fid = crate::codec::location_id(location);));
                    } else {
                        body_expected = true;
                    }
                }
                None => convs.push(quote!(#fid: ::core::option::Option::None,)),
            }
        }
        let doc = format!(
            "The `{operation}` response as Nova sends it in microversions {}.{}..={}.{}.",
            range.since.0, range.since.1, range.until.0, range.until.1
        );
        let wrapper = match &wrap {
            Some(w) => quote!(
                #[derive(::serde::Deserialize)]
                pub(super) struct #wrapped {
                    #[serde(rename = #w)]
                    pub(super) inner: #vident,
                }
            ),
            None => quote!(),
        };
        // (De)serialization goes through a JSON map and small generic helpers shared by every
        // type, instead of serde's derive with `flatten`: the same work at run time (flatten
        // buffers every field too), a fraction of the code to compile.
        types.push(quote!(
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq)]
            pub struct #vident {
                #(#defs)*
                /// Fields this SDK does not model, kept as sent.
                pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
            }

            impl<'de> ::serde::Deserialize<'de> for #vident {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                    let mut map = <::serde_json::Map<::std::string::String, ::serde_json::Value> as ::serde::Deserialize>::deserialize(d)?;
                    ::core::result::Result::Ok(#vident { #(#takes)* extra: map })
                }
            }

            impl ::serde::Serialize for #vident {
                fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                    let mut out = ::serde::Serializer::serialize_map(s, ::core::option::Option::None)?;
                    #(#puts)*
                    for (k, v) in &self.extra {
                        ::serde::ser::SerializeMap::serialize_entry(&mut out, k, v)?;
                    }
                    ::serde::ser::SerializeMap::end(out)
                }
            }
            #wrapper
        ));
        conversions.push(quote!(
            impl ::core::convert::From<response::#vident> for #ident {
                fn from(typed: response::#vident) -> Self {
                    #ident { #(#convs)* #extra: typed.extra }
                }
            }
        ));
        let parse_typed = match &wrap {
            Some(_) if body_expected => quote!(
                let wrapped: response::#wrapped = crate::codec::parse_body(&context, body, true)?;
                let mut typed = wrapped.inner;
            ),
            _ => {
                quote!(let mut typed: response::#vident = crate::codec::parse_body(&context, body, #body_expected)?;)
            }
        };
        parse_arms.push(quote!(
            if #range_tokens.contains(version) {
                #parse_typed
                #(#location_fills)*
                let _ = location;
                return ::core::result::Result::Ok(typed.into());
            }
        ));
        let rt = match &wrap {
            Some(w) => quote!(
                let (inner, mut rest) = crate::codec::unwrap_response(&context, #w, body.clone())?;
                let typed: response::#vident = ::serde_json::from_value(inner).map_err(|e| crate::error::DecodeError::json(context(), &e))?;
                rest.insert(#w.to_string(), crate::codec::to_value(&typed));
                return ::core::result::Result::Ok(::serde_json::Value::Object(rest));
            ),
            None => quote!(
                let typed: response::#vident = ::serde_json::from_value(body.clone()).map_err(|e| crate::error::DecodeError::json(context(), &e))?;
                return ::core::result::Result::Ok(crate::codec::to_value(&typed));
            ),
        };
        roundtrip_arms.push(quote!(if #range_tokens.contains(version) { #rt }));
    }
    let module_doc = format!("The `{operation}` response in each microversion range where its shape differs.");

    Ok(quote!(
        #[doc = #module_doc]
        pub mod response {
            #[allow(unused_imports)]
            use super::*;
            #(#types)*
        }

        #(#conversions)*

        impl crate::operation_core::ResponseBody for #ident {
            fn parse(body: &[u8], location: ::core::option::Option<&str>, version: crate::microversion::Microversion)
                -> ::core::result::Result<Self, crate::error::DecodeError>
            {
                let context = || crate::codec::context(#operation, "response", version);
                #(#parse_arms)*
                ::core::result::Result::Err(crate::error::DecodeError::new(context(), "outside the operation's microversions"))
            }

            fn roundtrip(version: crate::microversion::Microversion, body: &::serde_json::Value)
                -> ::core::result::Result<::serde_json::Value, crate::error::DecodeError>
            {
                let context = || crate::codec::context(#operation, "response", version);
                #(#roundtrip_arms)*
                ::core::result::Result::Err(crate::error::DecodeError::new(context(), "outside the operation's microversions"))
            }
        }
    ))
}
