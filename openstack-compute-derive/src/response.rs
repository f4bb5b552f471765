//! `#[response(..)]` on an operation's `Response`: the view an operation has of its response
//! body. Inline (`Response` is the unified type), or a view of a named type (`of = Server`:
//! `Response` becomes that type, or a `Page` of it). Emits the response table, the parser
//! (checked against what each microversion requires), the writer (`testing`), and one
//! per-version type per stretch of microversions with its conversions.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{DeriveInput, LitStr, Result, Type};

use crate::attrs::{self, FieldAttrs, Location, Range, Shape, Version, foreign};
use crate::object::{self, ObjField, ObjectArgs};
use crate::shape::peel;
use crate::tables;

struct ViewArgs {
    operation: LitStr,
    of: Option<syn::Path>,
    wrap: Option<LitStr>,
    list: bool,
    item_wrap: Option<LitStr>,
    links: Option<LitStr>,
    range: Range,
    stretches: Vec<Stretch>,
}

/// One stretch of microversions, and whether its view is shared with other operations.
struct Stretch {
    range: Range,
    share: Share,
}

/// A named type's view at a stretch is generated once, by the first operation that has it;
/// the others name it.
enum Share {
    /// This operation's own.
    Own,
    /// Generated here, and named by these other operations too.
    With(LitStr),
    /// Another operation's (`crate::ops::show_server::response::V2_1`).
    Same(syn::Path),
}

fn parse_args(args: TokenStream) -> Result<ViewArgs> {
    const KNOWN: &[&str] = &[
        "operation",
        "of",
        "wrap",
        "list",
        "item_wrap",
        "links",
        "range",
        "stretch",
    ];
    let mut operation = None;
    let mut of = None;
    let mut wrap = None;
    let mut list = false;
    let mut item_wrap = None;
    let mut links = None;
    let mut range = None;
    let mut stretches = Vec::new();
    let parser = syn::meta::parser(|m| {
        let id = m.path.get_ident().map(ToString::to_string).unwrap_or_default();
        match id.as_str() {
            "operation" => operation = Some(attrs::string(&m)?),
            "of" => of = Some(m.value()?.parse::<syn::Path>()?),
            "wrap" => wrap = Some(attrs::string(&m)?),
            "list" => list = true,
            "item_wrap" => item_wrap = Some(attrs::string(&m)?),
            "links" => links = Some(attrs::string(&m)?),
            "range" => range = Some(Range::parse(&attrs::string(&m)?)?),
            "stretch" => {
                let content;
                syn::parenthesized!(content in m.input);
                let range = Range::parse(&content.parse::<LitStr>()?)?;
                let mut share = Share::Own;
                if content.parse::<Option<syn::Token![,]>>()?.is_some() {
                    let key: syn::Ident = content.parse()?;
                    content.parse::<syn::Token![=]>()?;
                    share = match key.to_string().as_str() {
                        "same_as" => Share::Same(content.parse()?),
                        "shared_with" => Share::With(content.parse()?),
                        _ => return Err(syn::Error::new(key.span(), "expected `same_as` or `shared_with`")),
                    };
                }
                stretches.push(Stretch { range, share });
            }
            _ => return Err(attrs::unknown(&m, KNOWN)),
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, args)?;
    let missing = |what: &str| syn::Error::new(Span::call_site(), format!("#[response] needs `{what}`"));
    if list && (wrap.is_none() || of.is_none()) {
        return Err(syn::Error::new(
            Span::call_site(),
            "a `list` response names its `wrap` key and item type (`of`)",
        ));
    }
    if stretches.is_empty() {
        return Err(missing("stretch"));
    }
    Ok(ViewArgs {
        operation: operation.ok_or_else(|| missing("operation"))?,
        of,
        wrap,
        list,
        item_wrap,
        links,
        range: range.ok_or_else(|| missing("range"))?,
        stretches,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    Plain,
    Optional,
    Nullable,
}

fn at(f: &ObjField, v: Version) -> Option<At> {
    let e = f.attrs.at(v)?;
    Some(match (e.required_at(v), e.nullable_at(v)) {
        (true, false) => At::Plain,
        (false, true) => At::Nullable,
        _ => At::Optional,
    })
}

/// The value type inside a stored field.
fn inner(f: &ObjField) -> Type {
    match f.shape {
        Shape::Option => peel(&f.ty, "Option"),
        Shape::Nullable => peel(&f.ty, "Nullable"),
        Shape::Plain | Shape::List => f.ty.clone(),
    }
}

pub fn expand(args: TokenStream, item: DeriveInput) -> Result<TokenStream> {
    let view = parse_args(args)?;
    let fields = view_fields(&item, view.range)?;
    for f in &fields {
        if f.attrs.omitted && f.shape == Shape::Plain {
            return Err(syn::Error::new_spanned(
                &f.ident,
                "a field every view has cannot be omitted",
            ));
        }
    }
    let unified: TokenStream = match &view.of {
        Some(p) => quote!(#p),
        None => quote!(Response),
    };
    let declaration = match (&view.of, view.list) {
        (Some(p), false) => quote!(
            /// The response, every microversion's shape in one type.
            pub type Response = #p;
        ),
        (Some(p), true) => quote!(
            /// The response: a page of items, every microversion's shape in one type.
            pub type Response = ::openstack_compute::operation::Page<#p>;
        ),
        (None, _) => {
            let mut stripped = item.clone();
            stripped.attrs = foreign(&item.attrs, &["response"]);
            object::expand(
                ObjectArgs {
                    request: false,
                    response: true,
                    view: true,
                },
                stripped,
            )?
        }
    };
    let table = tables::field_table(fields.iter().filter(|f| !f.attrs.omitted).map(|f| (f.slot, &f.attrs)))?;
    let opt = |l: &Option<LitStr>| match l {
        Some(x) => quote!(::core::option::Option::Some(#x)),
        None => quote!(::core::option::Option::None),
    };
    let (wrap, item_wrap, links, list) = (opt(&view.wrap), opt(&view.item_wrap), opt(&view.links), view.list);
    let of = match view.of.as_ref().and_then(|p| p.segments.last()) {
        Some(last) => {
            let name = LitStr::new(&last.ident.to_string(), Span::call_site());
            quote!(::core::option::Option::Some(#name))
        }
        None => quote!(::core::option::Option::None),
    };
    let parse = parse_fn(&view, &fields, &unified);
    let write = write_fn(&view, &fields)?;
    let versions = view
        .stretches
        .iter()
        .map(|s| match &s.share {
            Share::Same(path) => {
                let vident = s.range.since.ident();
                let doc = format!(
                    "The `{}` response in microversions {}: the same view as [`{}`].",
                    view.operation.value(),
                    s.range.text(),
                    quote!(#path).to_string().replace(' ', "")
                );
                Ok(quote!(#[doc = #doc] pub type #vident = #path;))
            }
            Share::With(others) => versioned(&view, &fields, &unified, s.range, Some(others)),
            Share::Own => versioned(&view, &fields, &unified, s.range, None),
        })
        .collect::<Result<Vec<_>>>()?;
    let module_doc = format!(
        "The `{}` response in each stretch of microversions where its shape differs: what a stretch requires is not optional there.",
        view.operation.value()
    );
    Ok(quote!(
        #declaration

        /// The response's shape, by microversion.
        const RESPONSE: ::openstack_compute::codec::ResponseShape = ::openstack_compute::codec::ResponseShape::new(
            #of, #wrap, #list, #item_wrap, #links, &[#(#table),*],
        );

        #parse
        #write

        #[doc = #module_doc]
        pub mod response {
            #[allow(unused_imports)]
            use super::*;
            #(#versions)*
        }
    ))
}

fn view_fields(item: &DeriveInput, within: Range) -> Result<Vec<ObjField>> {
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
            .ok_or_else(|| syn::Error::new_spanned(f, "a response field needs its `shape`"))?;
        let slot = attrs.slot.unwrap_or(u16::try_from(i).expect("few fields"));
        out.push(ObjField {
            ident: f.ident.clone().expect("named"),
            ty: f.ty.clone(),
            shape,
            attrs,
            slot,
            docs: attrs::docs(&f.attrs).into_iter().cloned().collect(),
        });
    }
    Ok(out)
}

fn parse_fn(view: &ViewArgs, fields: &[ObjField], unified: &TokenStream) -> TokenStream {
    let operation = &view.operation;
    let headers = fields.iter().filter(|f| !f.attrs.omitted).flat_map(|f| {
        f.attrs
            .entries
            .iter()
            .filter(|e| e.location == Location::Header)
            .map(move |e| {
                let (name, range) = (&f.ident, e.range);
                quote!(
                    if #range.contains(version) {
                        body.#name = ::openstack_compute::codec::location_id(location);
                    }
                )
            })
    });
    let headers: Vec<TokenStream> = headers.collect();
    let any_header = !headers.is_empty();
    let empty_ok = view.of.is_none() && fields.iter().all(|f| f.shape != Shape::Plain);
    let blank = if empty_ok {
        quote!(
            if body.iter().all(u8::is_ascii_whitespace) && ::openstack_compute::codec::body_optional(RESPONSE.fields, version) {
                #[allow(unused_mut)]
                let mut body = <#unified as ::core::default::Default>::default();
                #(#headers)*
                ::openstack_compute::codec::check_response(RESPONSE.fields, &body, version, &context)?;
                return ::core::result::Result::Ok(body);
            }
        )
    } else {
        quote!()
    };
    let _ = any_header;
    let entries = fields
        .iter()
        .find(|f| f.attrs.entries.iter().any(|e| e.location == Location::Entries));
    let read = if view.list {
        let wrap = view.wrap.as_ref().expect("a list has a wrap key");
        quote!(
            let (items, links) = ::openstack_compute::codec::parse_page::<#unified, ::openstack_compute::types::Link>(
                body, #wrap, RESPONSE.item_wrap, RESPONSE.links, &context,
            )?;
            for item in &items {
                ::openstack_compute::codec::check_response(RESPONSE.fields, item, version, &context)?;
            }
            ::core::result::Result::Ok(::openstack_compute::operation::Page::new(items, links))
        )
    } else if let Some(f) = entries {
        // The body is the map: it is read whole into its one field.
        let n = &f.ident;
        let ty = &f.ty;
        // Other fields (none, usually) take their defaults.
        let rest = (fields.len() > 1).then(|| quote!(..::core::default::Default::default()));
        quote!(
            #[allow(clippy::needless_update)]
            let body = #unified {
                #n: ::openstack_compute::codec::parse::<#ty>(body, &context)?,
                #rest
            };
            ::core::result::Result::Ok(body)
        )
    } else {
        let parse = match &view.wrap {
            Some(w) => quote!(::openstack_compute::codec::parse_wrapped::<#unified>(raw, #w, &context)?),
            None => quote!(::openstack_compute::codec::parse::<#unified>(raw, &context)?),
        };
        quote!(
            let raw = body;
            #[allow(unused_mut)]
            let mut body = #parse;
            #(#headers)*
            ::openstack_compute::codec::check_response(RESPONSE.fields, &body, version, &context)?;
            ::core::result::Result::Ok(body)
        )
    };
    quote!(
        /// Reads the response Nova sent at `version` (the `Location` header supplies the
        /// fields that live there).
        #[allow(unused_variables)]
        fn parse_response(
            body: &[u8],
            location: ::core::option::Option<&str>,
            version: ::openstack_compute::Microversion,
        ) -> ::core::result::Result<Response, ::openstack_compute::DecodeError> {
            let context = ::openstack_compute::codec::Context { operation: #operation, what: "response", version };
            #blank
            #read
        }
    )
}

fn write_fn(view: &ViewArgs, fields: &[ObjField]) -> Result<TokenStream> {
    let entries = fields
        .iter()
        .find(|f| f.attrs.entries.iter().any(|e| e.location == Location::Entries));
    let body = if view.list {
        let wrap = view.wrap.as_ref().expect("a list has a wrap key");
        let links = view
            .links
            .as_ref()
            .map(|l| quote!(if let ::core::option::Option::Some(links) = &response.links { w.value(#l, links); }));
        let item = match &view.item_wrap {
            None => quote!(
                let mut o = items.object();
                ::openstack_compute::codec::write_response_fields(RESPONSE.fields, item, version, &mut o);
                o.end();
            ),
            Some(key) => quote!(
                let mut outer = items.object();
                let mut o = outer.object(#key);
                ::openstack_compute::codec::write_response_fields(RESPONSE.fields, item, version, &mut o);
                o.end();
                outer.end();
            ),
        };
        quote!(
            {
                let mut items = w.array(#wrap);
                for item in &response.items {
                    #item
                }
                items.end();
            }
            #links
        )
    } else if let Some(f) = entries {
        let n = &f.ident;
        return Ok(quote!(
            /// Writes the response as Nova sends it at `version` (`testing`).
            #[cfg(feature = "testing")]
            fn write_response(response: &Response, version: ::openstack_compute::Microversion) -> ::std::vec::Vec<u8> {
                let _at = ::openstack_compute::codec::WritingAt::new(version);
                ::serde_json::to_vec(&response.#n).unwrap_or_default()
            }
        ));
    } else {
        match &view.wrap {
            // No field at this microversion (an attach from 2.101): no body at all.
            Some(wrap) => quote!({
                if !RESPONSE
                    .fields
                    .iter()
                    .any(|f| f.location == ::openstack_compute::codec::Location::Body && f.range.contains(version))
                {
                    return ::std::vec::Vec::new();
                }
                let mut o = w.object(#wrap);
                ::openstack_compute::codec::write_response_fields(RESPONSE.fields, response, version, &mut o);
                o.end();
            }),
            // No field at this microversion: no body at all, as Nova sends none.
            None => {
                quote!(
                    if !::openstack_compute::codec::write_response_fields(RESPONSE.fields, response, version, &mut w) {
                        return ::std::vec::Vec::new();
                    }
                )
            }
        }
    };
    Ok(quote!(
        /// Writes the response as Nova sends it at `version` (`testing`).
        #[cfg(feature = "testing")]
        fn write_response(response: &Response, version: ::openstack_compute::Microversion) -> ::std::vec::Vec<u8> {
            let _at = ::openstack_compute::codec::WritingAt::new(version);
            let mut out = ::std::vec::Vec::new();
            let mut w = ::openstack_compute::codec::ObjectWriter::new(&mut out);
            #body
            w.end();
            out
        }
    ))
}

fn versioned(
    view: &ViewArgs,
    fields: &[ObjField],
    unified: &TokenStream,
    s: Range,
    shared_with: Option<&LitStr>,
) -> Result<TokenStream> {
    let vident = s.since.ident();
    let present: Vec<(&ObjField, At)> = fields
        .iter()
        .filter(|f| !f.attrs.omitted)
        .filter_map(|f| at(f, s.since).map(|a| (f, a)))
        .collect();
    // A shared view names the type, not one of the operations that send it.
    let context = match shared_with {
        Some(_) => format!("`{unified}` at microversions {}", s.text()),
        None => format!("`{}` response at microversions {}", view.operation.value(), s.text()),
    };
    let defs = present.iter().map(|(f, a)| {
        let (n, t) = (&f.ident, inner(f));
        let docs = &f.docs;
        let ty = match (a, f.shape) {
            (_, Shape::List) => quote!(#t),
            (At::Plain, _) => quote!(#t),
            (At::Optional, _) => quote!(::core::option::Option<#t>),
            (At::Nullable, _) => quote!(::openstack_compute::types::Nullable<#t>),
        };
        quote!(#(#docs)* pub #n: #ty,)
    });
    let nul = quote!(::openstack_compute::types::Nullable);
    let mut from = Vec::new();
    let mut into = Vec::new();
    for f in fields {
        let (n, json) = (&f.ident, f.json());
        let missing = quote!(return ::core::result::Result::Err(::openstack_compute::DecodeError::new(#context, ::std::format!("missing field `{}`", #json))));
        match present.iter().find(|(p, _)| p.ident == f.ident).map(|(_, a)| *a) {
            Some(a) => {
                let take = match (a, f.shape) {
                    (_, Shape::List) | (At::Plain, Shape::Plain) => quote!(u.#n),
                    (At::Plain, Shape::Option) => {
                        quote!(match u.#n { ::core::option::Option::Some(x) => x, ::core::option::Option::None => #missing })
                    }
                    (At::Plain, Shape::Nullable) => quote!(match u.#n { #nul::Value(x) => x, _ => #missing }),
                    (At::Optional, Shape::Option) => quote!(u.#n),
                    (At::Optional, Shape::Nullable) => quote!(u.#n.into_value()),
                    (At::Nullable, Shape::Nullable) => quote!(u.#n),
                    (At::Optional | At::Nullable, Shape::Plain) | (At::Nullable, Shape::Option) => {
                        return Err(syn::Error::new_spanned(
                            n,
                            format!(
                                "`{n}` is stored as {:?} but is {} at {}",
                                f.shape,
                                if a == At::Nullable {
                                    "absent or null"
                                } else {
                                    "optional"
                                },
                                s.since.text()
                            ),
                        ));
                    }
                };
                from.push(quote!(let #n = #take;));
                let required_null = f
                    .attrs
                    .at(s.since)
                    .is_some_and(|e| e.required_at(s.since) && e.nullable_at(s.since));
                let back = match (a, f.shape) {
                    (_, Shape::List)
                    | (At::Plain, Shape::Plain)
                    | (At::Optional, Shape::Option)
                    | (At::Nullable, Shape::Nullable) => quote!(v.#n),
                    (At::Plain, Shape::Option) => quote!(::core::option::Option::Some(v.#n)),
                    (At::Plain, Shape::Nullable) => quote!(#nul::Value(v.#n)),
                    (At::Optional, Shape::Nullable) if required_null => quote!(#nul::from(v.#n)),
                    (At::Optional, Shape::Nullable) => {
                        quote!(match v.#n { ::core::option::Option::Some(x) => #nul::Value(x), ::core::option::Option::None => #nul::Unset })
                    }
                    _ => quote!(::core::default::Default::default()),
                };
                into.push(quote!(#n: #back,));
            }
            None => {
                let state = object::state_of(quote!(u.#n), f.shape, false);
                from.push(quote!(
                    if !::core::matches!(#state, ::openstack_compute::codec::FieldState::Absent | ::openstack_compute::codec::FieldState::Empty | ::openstack_compute::codec::FieldState::EmptyList) {
                        return ::core::result::Result::Err(::openstack_compute::DecodeError::new(#context, ::std::format!("field `{}` is not part of this response", #json)));
                    }
                ));
                into.push(quote!(#n: ::core::default::Default::default(),));
            }
        }
    }
    let moved = present.iter().map(|(f, _)| &f.ident);
    let doc = match shared_with {
        Some(others) => format!(
            "The `{}` response as Nova sends it in microversions {} (also the view of {}).",
            view.operation.value(),
            s.text(),
            others.value()
        ),
        None => format!(
            "The `{}` response as Nova sends it in microversions {}.",
            view.operation.value(),
            s.text()
        ),
    };
    Ok(quote!(
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub struct #vident { #(#defs)* }

        impl ::openstack_compute::operation::PinnedResponse for #vident {
            type Unified = #unified;

            #[allow(unused_variables)]
            fn from_unified(u: #unified) -> ::core::result::Result<Self, ::openstack_compute::DecodeError> {
                #(#from)*
                ::core::result::Result::Ok(#vident { #(#moved),* })
            }

            fn into_unified(self) -> #unified {
                let v = self;
                #unified { #(#into)* }
            }
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::Share;

    #[test]
    fn a_stretch_names_the_view_it_shares() {
        let args = quote::quote!(
            operation = "x",
            range = "2.1..2.104",
            stretch("2.1..2.9", shared_with = "`y`"),
            stretch("2.10..2.104", same_as = crate::ops::y::response::V2_10)
        );
        let view = super::parse_args(args).map_err(|e| e.to_string()).unwrap();
        assert!(matches!(&view.stretches[0].share, Share::With(s) if s.value() == "`y`"));
        assert!(matches!(&view.stretches[1].share, Share::Same(_)));
        let bad = quote::quote!(operation = "x", range = "2.1..2.104", stretch("2.1..2.104", like = "y"));
        assert!(super::parse_args(bad).is_err());
    }
}
