//! `#[derive(Operation)]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{DeriveInput, LitStr, Path};

use crate::model::{self, Field, Location, Range, Shape, Version};

struct OpAttrs {
    name: String,
    kind: String,
    key: Option<String>,
    path: String,
    whole: Range,
    status: u16,
    body: String,
    versions: Vec<Version>,
    response: Path,
    ends_in: String,
    during: Vec<String>,
    from: Vec<String>,
    lock_checked: bool,
    instance_action: Option<String>,
    never_succeeds: bool,
}

fn parse_attrs(input: &DeriveInput) -> syn::Result<OpAttrs> {
    let attr = input
        .attrs
        .iter()
        .find(|a| a.path().is_ident("operation"))
        .ok_or_else(|| syn::Error::new_spanned(&input.ident, "missing #[operation(...)]"))?;
    let mut name = None;
    let mut kind = None;
    let mut key = None;
    let mut path = None;
    let mut since = None;
    let mut until = None;
    let mut status = None;
    let mut body = None;
    let mut versions = Vec::new();
    let mut response = None;
    let mut ends_in = String::from("n/a");
    let mut during = Vec::new();
    let mut from = Vec::new();
    let mut lock_checked = false;
    let mut instance_action = None;
    let mut never_succeeds = false;
    attr.parse_nested_meta(|meta| {
        let id = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
        match id.as_str() {
            "name" => name = Some(model::parse_str(&meta)?.value()),
            "kind" => kind = Some(model::parse_str(&meta)?.value()),
            "key" => key = Some(model::parse_str(&meta)?.value()),
            "path" => path = Some(model::parse_str(&meta)?.value()),
            "since" => since = Some(Version::parse(&model::parse_str(&meta)?)?),
            "until" => until = Some(Version::parse(&model::parse_str(&meta)?)?),
            "status" => status = Some(meta.value()?.parse::<syn::LitInt>()?.base10_parse()?),
            "body" => body = Some(model::parse_str(&meta)?.value()),
            "versions" => versions = model::parse_versions(&meta)?,
            "response" => response = Some(meta.value()?.parse::<Path>()?),
            "ends_in" => ends_in = model::parse_str(&meta)?.value(),
            "during" => {
                during = model::parse_str(&meta)?
                    .value()
                    .split('|')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            "from" => {
                from = model::parse_str(&meta)?
                    .value()
                    .split('|')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            "lock_checked" => lock_checked = true,
            "instance_action" => instance_action = Some(model::parse_str(&meta)?.value()),
            "never_succeeds" => never_succeeds = true,
            _ => return Err(meta.error("unknown operation attribute")),
        }
        Ok(())
    })?;
    let missing = |what: &str| syn::Error::new_spanned(attr, format!("missing `{what}`"));
    let since = since.ok_or_else(|| missing("since"))?;
    let until = until.ok_or_else(|| missing("until"))?;
    if versions.first() != Some(&since) {
        return Err(syn::Error::new_spanned(attr, "`versions` must start at `since`"));
    }
    Ok(OpAttrs {
        name: name.ok_or_else(|| missing("name"))?,
        kind: kind.ok_or_else(|| missing("kind"))?,
        key,
        path: path.ok_or_else(|| missing("path"))?,
        whole: Range { since, until },
        status: status.ok_or_else(|| missing("status"))?,
        body: body.ok_or_else(|| missing("body"))?,
        versions,
        response: response.ok_or_else(|| missing("response"))?,
        ends_in,
        during,
        from,
        lock_checked,
        instance_action,
        never_succeeds,
    })
}

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let op = parse_attrs(input)?;
    let (fields, _) = model::parse_fields(&input.data, op.whole)?;
    let ident = &input.ident;
    let ranges = model::version_ranges(&op.versions, op.whole.until);
    let name = &op.name;
    let key_tokens = match &op.key {
        Some(k) => quote!(::core::option::Option::Some(#k)),
        None => quote!(::core::option::Option::None),
    };
    let key = op.key.clone().unwrap_or_default();
    let body_kind = match op.body.as_str() {
        "none" => quote!(crate::operation_core::BodyKind::None),
        "null" => quote!(crate::operation_core::BodyKind::Null),
        "exactly_null" => quote!(crate::operation_core::BodyKind::ExactlyNull),
        "object" => quote!(crate::operation_core::BodyKind::Object),
        "object_or_null" => quote!(crate::operation_core::BodyKind::ObjectOrNull),
        other => {
            return Err(syn::Error::new_spanned(ident, format!("unknown body kind `{other}`")));
        }
    };
    let agnostic_layers = |f: &Field| if f.nullable_anywhere() { 2 } else { 1 };

    // Per-version request types.
    let mut versioned = Vec::new();
    let mut dispatch = Vec::new();
    let mut roundtrip = Vec::new();
    let mut sample_parts = Vec::new();
    for range in &ranges {
        let v = range.since;
        let vident = v.ident();
        let range_tokens = range.tokens();
        let present: Vec<(&Field, &model::FieldAttr)> = fields.iter().filter_map(|f| f.at(v).map(|a| (f, a))).collect();
        let mut defs = Vec::new();
        let mut new_args = Vec::new();
        let mut new_inits = Vec::new();
        let mut body_fields_set = Vec::new();
        let mut query_pushes = Vec::new();
        let mut path_pushes = Vec::new();
        let mut from_agnostic = Vec::new();
        let mut takes = Vec::new();
        let mut puts = Vec::new();
        let mut known: Vec<String> = Vec::new();
        for (f, a) in &present {
            let fid = &f.ident;
            let inner = model::peel(&f.ty, agnostic_layers(f))?;
            let shape = Shape::of(a, v);
            let ty = shape.ty(&inner);
            let docs = &f.docs;
            defs.push(quote!(#(#docs)* pub #fid: #ty,));
            let json = &a.json;
            if a.location == Location::Body {
                let (take, put) = match shape {
                    Shape::Plain => (quote!(take_required), quote!(put_required)),
                    Shape::NullableRequired => (quote!(take_nullable), quote!(put_required)),
                    Shape::Optional => (quote!(take_optional), quote!(put_optional)),
                    Shape::OptionalNullable | Shape::OutOfBody => {
                        (quote!(take_optional_nullable), quote!(put_optional))
                    }
                };
                takes.push(quote!(#fid: crate::codec::#take(&mut map, #json)?,));
                puts.push(quote!(crate::codec::#put(&mut out, #json, &self.#fid)?;));
                known.push(json.clone());
            } else {
                takes.push(quote!(#fid: ::core::default::Default::default(),));
            }
            match shape {
                Shape::Plain => {
                    new_args.push(quote!(#fid: impl ::core::convert::Into<#inner>));
                    new_inits.push(quote!(#fid: #fid.into(),));
                }
                Shape::NullableRequired => {
                    new_args.push(quote!(#fid: ::core::option::Option<#inner>));
                    new_inits.push(quote!(#fid,));
                }
                _ => new_inits.push(quote!(#fid: ::core::option::Option::None,)),
            }
            let json = &a.json;
            match a.location {
                Location::Body => {
                    if shape != Shape::Plain && shape != Shape::NullableRequired {
                        body_fields_set.push(quote!(self.#fid.is_some()));
                    } else {
                        body_fields_set.push(quote!(true));
                    }
                }
                Location::Query => query_pushes.push(quote!(
                    if let ::core::option::Option::Some(value) = &self.#fid {
                        parts.query.push((#json, crate::codec::query_value(value)));
                    }
                )),
                Location::Path => path_pushes.push(if shape == Shape::Plain {
                    quote!(parts.path_params.push((#json, crate::codec::query_value(&self.#fid)));)
                } else {
                    quote!(if let ::core::option::Option::Some(value) = &self.#fid {
                        parts.path_params.push((#json, crate::codec::query_value(value)));
                    })
                }),
                Location::LocationHeader => {
                    return Err(syn::Error::new_spanned(fid, "location_header is for responses"));
                }
            }
            let from = agnostic_layers(f);
            let conv = if shape == Shape::Plain {
                let src = model::convert_layers(quote!(self.#fid.clone()), from, 1);
                quote!(match #src {
                    ::core::option::Option::Some(value) => value,
                    ::core::option::Option::None => {
                        return ::core::result::Result::Err(crate::error::ActionError::MissingField {
                            operation: #name, field: #json, version,
                        })
                    }
                })
            } else {
                model::convert_layers(quote!(self.#fid.clone()), from, shape.layers())
            };
            from_agnostic.push(quote!(#fid: #conv,));
        }
        let body = match op.body.as_str() {
            "none" => quote!(::core::option::Option::None),
            "null" | "exactly_null" => {
                quote!(::core::option::Option::Some(crate::codec::wrap(#key, ::serde_json::Value::Null)))
            }
            "object" => {
                quote!(::core::option::Option::Some(crate::codec::wrap(#key, crate::codec::to_value(self))))
            }
            _ if body_fields_set.iter().any(|t| t.to_string() == "true") => {
                quote!(::core::option::Option::Some(crate::codec::wrap(#key, crate::codec::to_value(self))))
            }
            _ if body_fields_set.is_empty() => {
                quote!(::core::option::Option::Some(crate::codec::wrap(#key, ::serde_json::Value::Null)))
            }
            _ => quote!(
                if #(#body_fields_set)||* {
                    ::core::option::Option::Some(crate::codec::wrap(#key, crate::codec::to_value(self)))
                } else {
                    ::core::option::Option::Some(crate::codec::wrap(#key, ::serde_json::Value::Null))
                }
            ),
        };
        let doc = format!(
            "`{name}` as accepted in microversions {}..={}: only the fields valid there.",
            fmt_v(range.since),
            fmt_v(range.until)
        );
        let new_doc = "A request with the required fields set and every optional one unset.";
        versioned.push(quote!(
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq)]
            pub struct #vident { #(#defs)* }

            // Through a JSON map and shared helpers (see the response types); a field of another
            // microversion is an unknown field here, as it is to Nova.
            impl<'de> ::serde::Deserialize<'de> for #vident {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                    const FIELDS: &[&str] = &[#(#known),*];
                    #[allow(unused_mut)]
                    let mut map = <::serde_json::Map<::std::string::String, ::serde_json::Value> as ::serde::Deserialize>::deserialize(d)?;
                    let typed = #vident { #(#takes)* };
                    if let ::core::option::Option::Some(unknown) = map.keys().next() {
                        return ::core::result::Result::Err(<D::Error as ::serde::de::Error>::unknown_field(unknown, FIELDS));
                    }
                    ::core::result::Result::Ok(typed)
                }
            }

            impl ::serde::Serialize for #vident {
                fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                    #[allow(unused_mut)]
                    let mut out = ::serde::Serializer::serialize_map(s, ::core::option::Option::None)?;
                    #(#puts)*
                    ::serde::ser::SerializeMap::end(out)
                }
            }

            impl #vident {
                #[doc = #new_doc]
                #[allow(clippy::new_without_default)]
                pub fn new(#(#new_args),*) -> Self {
                    #vident { #(#new_inits)* }
                }
            }

            impl crate::operation_core::VersionedRequest for #vident {
                type Operation = #ident;
                const RANGE: crate::microversion::VersionRange = #range_tokens;
                fn to_parts(&self) -> crate::operation_core::RequestParts {
                    let mut parts = crate::operation_core::RequestParts::default();
                    parts.body = #body;
                    #(#query_pushes)*
                    #(#path_pushes)*
                    parts
                }
            }
        ));
        dispatch.push(quote!(
            if #range_tokens.contains(version) {
                let typed = #vident { #(#from_agnostic)* };
                return ::core::result::Result::Ok(crate::operation_core::VersionedRequest::to_parts(&typed));
            }
        ));
        roundtrip.push(quote!(
            if #range_tokens.contains(version) {
                let typed: #vident = ::serde_json::from_value(inner).map_err(|e| crate::error::DecodeError::json(context(), &e))?;
                return ::core::result::Result::Ok(crate::codec::wrap(#key, crate::codec::to_value(&typed)));
            }
        ));
        sample_parts.push(quote!(
            if #range_tokens.contains(version) {
                let typed: #vident = ::serde_json::from_value(inner).map_err(|e| crate::error::DecodeError::json(context(), &e))?;
                return ::core::result::Result::Ok(crate::operation_core::VersionedRequest::to_parts(&typed));
            }
        ));
    }

    // Field checks, builder.
    let mut checks = Vec::new();
    let mut lowest = Vec::new();
    let mut new_args = Vec::new();
    let mut new_arg_names = Vec::new();
    let mut new_inits = Vec::new();
    let mut setters = Vec::new();
    let mut call_setters = Vec::new();
    for f in &fields {
        let fid = &f.ident;
        let layers = agnostic_layers(f);
        let inner = model::peel(&f.ty, layers)?;
        let json = &f.attrs[0].json;
        let rules = f.attrs.iter().map(|a| {
            let r = a.range.tokens();
            let req = opt_range(a.required);
            let null = opt_range(a.nullable);
            quote!(crate::codec::FieldRule { range: #r, required: #req, nullable: #null })
        });
        let state = if layers == 2 {
            quote!(match &self.#fid {
                ::core::option::Option::None => crate::codec::FieldState::Unset,
                ::core::option::Option::Some(::core::option::Option::None) => crate::codec::FieldState::Null,
                ::core::option::Option::Some(::core::option::Option::Some(_)) => crate::codec::FieldState::Value,
            })
        } else {
            quote!(match &self.#fid {
                ::core::option::Option::None => crate::codec::FieldState::Unset,
                ::core::option::Option::Some(_) => crate::codec::FieldState::Value,
            })
        };
        checks.push(quote!(crate::codec::check_field(#name, #json, #state, &[#(#rules),*], version)?;));
        let value_ref = if layers == 2 {
            quote!(self.#fid.as_ref().and_then(|v| v.as_ref()))
        } else {
            quote!(self.#fid.as_ref())
        };
        if f.attrs.iter().any(|a| a.check_values) {
            checks.push(quote!(
                if let ::core::option::Option::Some(value) = #value_ref {
                    crate::codec::check_value(#name, #json, value, version)?;
                }
            ));
            lowest.push(quote!(
                if let ::core::option::Option::Some(value) = #value_ref {
                    lowest = lowest.max(crate::primitive::VersionedValue::supported_range(value).min);
                }
            ));
        }
        let first_since = f
            .attrs
            .iter()
            .map(|a| a.range.since)
            .min()
            .unwrap_or(op.whole.since)
            .tokens();
        lowest.push(quote!(if self.#fid.is_some() { lowest = lowest.max(#first_since); }));
        let everywhere = f.attrs.len() == 1
            && f.attrs[0]
                .required
                .is_some_and(|r| r.since <= op.whole.since && r.until >= op.whole.until)
            && f.attrs[0].range.since <= op.whole.since;
        let docs = &f.docs;
        if everywhere {
            new_arg_names.push(fid.clone());
            if layers == 2 {
                new_args.push(quote!(#fid: ::core::option::Option<#inner>));
                new_inits.push(quote!(#fid: ::core::option::Option::Some(#fid),));
            } else {
                new_args.push(quote!(#fid: impl ::core::convert::Into<#inner>));
                new_inits.push(quote!(#fid: ::core::option::Option::Some(#fid.into()),));
            }
        } else {
            new_inits.push(quote!(#fid: ::core::option::Option::None,));
        }
        let set_value = model::convert_layers(quote!(value.into()), 0, layers);
        let range_doc = format!("Accepted in microversions {}.", describe_ranges(f));
        setters.push(quote!(
            #(#docs)*
            #[doc = ""]
            #[doc = #range_doc]
            pub fn #fid(mut self, value: impl ::core::convert::Into<#inner>) -> Self {
                self.#fid = #set_value;
                self
            }
        ));
        call_setters.push(quote!(
            #(#docs)*
            #[doc = ""]
            #[doc = #range_doc]
            pub fn #fid(self, value: impl ::core::convert::Into<#inner>) -> Self {
                self.map_request(|r| r.#fid(value))
            }
        ));
        if layers == 2 {
            let clear = format_ident!("clear_{}", fid);
            let doc = format!("Sends `\"{json}\": null`.");
            call_setters.push(quote!(
                #[doc = #doc]
                pub fn #clear(self) -> Self {
                    self.map_request(|r| r.#clear())
                }
            ));
            setters.push(quote!(
                #[doc = #doc]
                pub fn #clear(mut self) -> Self {
                    self.#fid = ::core::option::Option::Some(::core::option::Option::None);
                    self
                }
            ));
        }
    }

    let kind = match op.kind.as_str() {
        "action" => quote!(crate::operation_core::OperationKind::Action),
        "get" => quote!(crate::operation_core::OperationKind::Get),
        _ => quote!(crate::operation_core::OperationKind::Post),
    };
    let method = if op.kind == "get" { "GET" } else { "POST" };
    let path = &op.path;
    let whole = op.whole.tokens();
    let status = op.status;
    let ends_in = match op.ends_in.as_str() {
        "unchanged" => quote!(crate::operation_core::EndsIn::Unchanged),
        "deleted" => quote!(crate::operation_core::EndsIn::Deleted),
        "n/a" => quote!(crate::operation_core::EndsIn::NotApplicable),
        list => {
            let statuses = list.split('|');
            quote!(crate::operation_core::EndsIn::Statuses(&[#(#statuses),*]))
        }
    };
    let during = &op.during;
    let from = &op.from;
    let lock_checked = op.lock_checked;
    let instance_action = match &op.instance_action {
        Some(a) => quote!(::core::option::Option::Some(#a)),
        None => quote!(::core::option::Option::None),
    };
    let never = op.never_succeeds;
    let response = &op.response;
    let no_request_body = op.body == "none";
    let value_less = matches!(op.body.as_str(), "null" | "exactly_null" | "object_or_null");
    let value_only_null = matches!(op.body.as_str(), "null" | "exactly_null");
    // `object_or_null`: a request with no body field set is `{key: null}`, which Nova accepts
    // in every version; `required` applies to the object only when one is sent.
    let body_field_ids: Vec<&syn::Ident> = fields
        .iter()
        .filter(|f| f.attrs.iter().all(|a| a.location == Location::Body))
        .map(|f| &f.ident)
        .collect();
    let null_when_empty = if op.body == "object_or_null" {
        quote!(
            if true #(&& self.#body_field_ids.is_none())* {
                let mut parts = crate::operation_core::RequestParts::default();
                parts.body = ::core::option::Option::Some(crate::codec::wrap(#key, ::serde_json::Value::Null));
                return ::core::result::Result::Ok(parts);
            }
        )
    } else {
        quote!()
    };
    let _ = LitStr::new("", proc_macro2::Span::call_site());

    let client_method = format_ident!("{}", op.name);
    let method_doc = format!(
        "`{}`: see [`{}`](crate::operation::{}). Set optional fields on the returned call, then `send()`.",
        op.key
            .clone()
            .unwrap_or_else(|| format!("{} {}", if op.kind == "get" { "GET" } else { "POST" }, op.path)),
        op.name,
        op.name
    );
    Ok(quote!(
        impl crate::client::ServerHandle {
            #[doc = #method_doc]
            pub fn #client_method(&self, #(#new_args),*) -> crate::client::Call<#ident> {
                self.call(#ident::new(#(#new_arg_names),*))
            }
        }

        impl crate::client::Call<#ident> {
            #(#call_setters)*
        }

        #(#versioned)*

        impl #ident {
            /// A request with the fields every microversion requires; set the others with the
            /// methods below. Each is checked against the microversion in effect when sent.
            #[allow(clippy::new_without_default)]
            pub fn new(#(#new_args),*) -> Self {
                #ident { #(#new_inits)* }
            }

            #(#setters)*
        }

        impl crate::operation_core::Operation for #ident {
            const INFO: &'static crate::operation_core::OperationInfo = &crate::operation_core::OperationInfo {
                name: #name,
                kind: #kind,
                key: #key_tokens,
                method: #method,
                path: #path,
                range: #whole,
                status: #status,
                body: #body_kind,
                ends_in: #ends_in,
                during: &[#(#during),*],
                from: &[#(#from),*],
                lock_checked: #lock_checked,
                instance_action: #instance_action,
                never_succeeds: #never,
            };
            type Response = #response;

            fn to_parts(&self, version: crate::microversion::Microversion)
                -> ::core::result::Result<crate::operation_core::RequestParts, crate::error::ActionError>
            {
                let info = <Self as crate::operation_core::Operation>::INFO;
                if !info.range.contains(version) {
                    return ::core::result::Result::Err(crate::error::ActionError::OperationOutOfRange {
                        operation: #name, range: info.range, version,
                    });
                }
                #null_when_empty
                #(#checks)*
                #(#dispatch)*
                ::core::result::Result::Err(crate::error::ActionError::OperationOutOfRange {
                    operation: #name, range: info.range, version,
                })
            }

            fn lowest_version(&self) -> crate::microversion::Microversion {
                let mut lowest = <Self as crate::operation_core::Operation>::INFO.range.min;
                #(#lowest)*
                lowest
            }
        }

        impl crate::operation_core::Roundtrip for #ident {
            fn roundtrip_request(version: crate::microversion::Microversion, body: &::serde_json::Value)
                -> ::core::result::Result<::serde_json::Value, crate::error::DecodeError>
            {
                let context = || crate::codec::context(#name, "request", version);
                if #no_request_body {
                    return ::core::result::Result::Err(crate::error::DecodeError::new(context(), "this operation sends no body"));
                }
                if !#whole.contains(version) {
                    return ::core::result::Result::Err(crate::error::DecodeError::new(context(), "outside the operation's microversions"));
                }
                let inner = crate::codec::unwrap_request(#name, #key, body)?;
                if #value_less && inner.is_null() {
                    return ::core::result::Result::Ok(crate::codec::wrap(#key, ::serde_json::Value::Null));
                }
                if #value_only_null {
                    return ::core::result::Result::Err(crate::error::DecodeError::new(context(), "expected null under the body key"));
                }
                #(#roundtrip)*
                ::core::result::Result::Err(crate::error::DecodeError::new(context(), "no type for this microversion"))
            }

            fn sample_parts(version: crate::microversion::Microversion, body: &::serde_json::Value)
                -> ::core::result::Result<crate::operation_core::RequestParts, crate::error::DecodeError>
            {
                let context = || crate::codec::context(#name, "request", version);
                let inner = crate::codec::unwrap_request(#name, #key, body)?;
                if #value_less && inner.is_null() {
                    let mut parts = crate::operation_core::RequestParts::default();
                    parts.body = ::core::option::Option::Some(crate::codec::wrap(#key, ::serde_json::Value::Null));
                    return ::core::result::Result::Ok(parts);
                }
                #(#sample_parts)*
                ::core::result::Result::Err(crate::error::DecodeError::new(context(), "no type for this microversion"))
            }

            fn roundtrip_response(version: crate::microversion::Microversion, body: &::serde_json::Value)
                -> ::core::result::Result<::serde_json::Value, crate::error::DecodeError>
            {
                <#response as crate::operation_core::ResponseBody>::roundtrip(version, body)
            }
        }
    ))
}

fn opt_range(r: Option<Range>) -> TokenStream {
    match r {
        Some(r) => {
            let t = r.tokens();
            quote!(::core::option::Option::Some(#t))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn fmt_v(v: Version) -> String {
    format!("{}.{}", v.0, v.1)
}

fn describe_ranges(f: &Field) -> String {
    let since = f
        .attrs
        .iter()
        .map(|a| a.range.since)
        .min()
        .map(fmt_v)
        .unwrap_or_default();
    let until = f
        .attrs
        .iter()
        .map(|a| a.range.until)
        .max()
        .map(fmt_v)
        .unwrap_or_default();
    format!("{since}..={until}")
}
