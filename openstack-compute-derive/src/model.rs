//! The attribute model shared by both derives: versions, ranges, fields.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Ident, LitStr, Type};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Version(pub u16, pub u16);

impl Version {
    pub fn parse(lit: &LitStr) -> syn::Result<Version> {
        let text = lit.value();
        let parsed = text
            .split_once('.')
            .and_then(|(a, b)| Some(Version(a.parse().ok()?, b.parse().ok()?)));
        parsed.ok_or_else(|| syn::Error::new(lit.span(), format!("`{text}` is not a microversion")))
    }

    pub fn tokens(self) -> TokenStream {
        let (a, b) = (self.0, self.1);
        quote!(crate::microversion::Microversion::new(#a, #b))
    }

    pub fn ident(self) -> Ident {
        format_ident!("V{}_{}", self.0, self.1)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Range {
    pub since: Version,
    pub until: Version,
}

impl Range {
    pub fn contains(self, v: Version) -> bool {
        self.since <= v && v <= self.until
    }

    /// `"2.19..2.56"`.
    pub fn parse(lit: &LitStr) -> syn::Result<Range> {
        let text = lit.value();
        let (a, b) = text
            .split_once("..")
            .ok_or_else(|| syn::Error::new(lit.span(), "expected a range like \"2.1..2.56\""))?;
        Ok(Range {
            since: Version::parse(&LitStr::new(a, lit.span()))?,
            until: Version::parse(&LitStr::new(b, lit.span()))?,
        })
    }

    pub fn tokens(self) -> TokenStream {
        let (a, b) = (self.since.tokens(), self.until.tokens());
        quote!(crate::microversion::VersionRange::new(#a, #b))
    }
}

/// Where a field travels. (`LocationHeader` is the `Location` HTTP header, hence the name.)
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(clippy::enum_variant_names)]
pub enum Location {
    Body,
    Query,
    Path,
    LocationHeader,
}

/// One `#[field(...)]` attribute: the field as it is in one microversion range.
#[derive(Clone, Debug)]
pub struct FieldAttr {
    pub json: String,
    pub range: Range,
    pub required: Option<Range>,
    pub nullable: Option<Range>,
    pub location: Location,
    pub check_values: bool,
}

impl FieldAttr {
    pub fn required_at(&self, v: Version) -> bool {
        self.required.is_some_and(|r| r.contains(v))
    }

    pub fn nullable_at(&self, v: Version) -> bool {
        self.nullable.is_some_and(|r| r.contains(v))
    }
}

/// A struct field with all its `#[field]` attributes (one per range in which its wire form
/// differs; usually one).
pub struct Field {
    pub ident: Ident,
    pub ty: Type,
    pub attrs: Vec<FieldAttr>,
    pub docs: Vec<Attribute>,
}

impl Field {
    pub fn at(&self, v: Version) -> Option<&FieldAttr> {
        self.attrs.iter().find(|a| a.range.contains(v))
    }

    pub fn nullable_anywhere(&self) -> bool {
        self.attrs.iter().any(|a| a.nullable.is_some())
    }

    pub fn required_everywhere(&self, whole: Range) -> bool {
        self.attrs.len() == 1
            && self.attrs[0].location != Location::LocationHeader
            && self.attrs[0]
                .required
                .is_some_and(|r| r.since <= whole.since && r.until >= whole.until)
            && self.attrs[0].range.since <= whole.since
            && self.attrs[0].range.until >= whole.until
            && !self.nullable_anywhere()
    }
}

pub fn parse_str(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    meta.value()?.parse::<LitStr>()
}

pub fn parse_fields(data: &syn::Data, whole: Range) -> syn::Result<(Vec<Field>, Option<Ident>)> {
    let syn::Data::Struct(s) = data else {
        return Err(syn::Error::new(Span::call_site(), "expected a struct"));
    };
    let mut fields = Vec::new();
    let mut extra = None;
    for f in &s.fields {
        let ident = f
            .ident
            .clone()
            .ok_or_else(|| syn::Error::new(Span::call_site(), "expected named fields"))?;
        if f.attrs.iter().any(|a| a.path().is_ident("extra")) {
            extra = Some(ident);
            continue;
        }
        let mut attrs = Vec::new();
        for attr in f.attrs.iter().filter(|a| a.path().is_ident("field")) {
            let mut json = None;
            let mut since = whole.since;
            let mut until = whole.until;
            let mut required = None;
            let mut nullable = None;
            let mut location = Location::Body;
            let mut check_values = false;
            attr.parse_nested_meta(|meta| {
                let name = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
                match name.as_str() {
                    "json" => json = Some(parse_str(&meta)?.value()),
                    "since" => since = Version::parse(&parse_str(&meta)?)?,
                    "until" => until = Version::parse(&parse_str(&meta)?)?,
                    "required" => required = Some(Range::parse(&parse_str(&meta)?)?),
                    "nullable" => nullable = Some(Range::parse(&parse_str(&meta)?)?),
                    "check_values" => check_values = true,
                    "location" => {
                        location = match parse_str(&meta)?.value().as_str() {
                            "body" => Location::Body,
                            "query" => Location::Query,
                            "path" => Location::Path,
                            "location_header" => Location::LocationHeader,
                            other => return Err(meta.error(format!("unknown location `{other}`"))),
                        }
                    }
                    _ => return Err(meta.error("unknown field attribute")),
                }
                Ok(())
            })?;
            let json = json.ok_or_else(|| syn::Error::new_spanned(attr, "`json` is required"))?;
            attrs.push(FieldAttr {
                json,
                range: Range { since, until },
                required,
                nullable,
                location,
                check_values,
            });
        }
        if attrs.is_empty() {
            return Err(syn::Error::new_spanned(
                f,
                "every field needs a #[field(json = ...)] attribute",
            ));
        }
        let docs = f.attrs.iter().filter(|a| a.path().is_ident("doc")).cloned().collect();
        fields.push(Field {
            ident,
            ty: f.ty.clone(),
            attrs,
            docs,
        });
    }
    Ok((fields, extra))
}

/// Removes `n` layers of `Option<...>` from `ty`.
pub fn peel(ty: &Type, n: usize) -> syn::Result<Type> {
    let mut ty = ty.clone();
    for _ in 0..n {
        ty = option_inner(&ty).ok_or_else(|| syn::Error::new_spanned(&ty, "expected Option<...>"))?;
    }
    Ok(ty)
}

fn option_inner(ty: &Type) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

/// How a field is typed in one per-version struct.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    /// `T`: present, never null.
    Plain,
    /// `Option<T>`, always sent (`None` is `null`).
    NullableRequired,
    /// `Option<T>`, absent when `None`.
    Optional,
    /// `Option<Option<T>>`: absent, `null`, or a value.
    OptionalNullable,
    /// `Option<T>` filled from the `Location` header, or a query/path parameter.
    OutOfBody,
}

impl Shape {
    pub fn of(a: &FieldAttr, v: Version) -> Shape {
        if a.location != Location::Body {
            return if a.required_at(v) && a.location == Location::Path {
                Shape::Plain
            } else {
                Shape::OutOfBody
            };
        }
        match (a.required_at(v), a.nullable_at(v)) {
            (true, false) => Shape::Plain,
            (true, true) => Shape::NullableRequired,
            (false, false) => Shape::Optional,
            (false, true) => Shape::OptionalNullable,
        }
    }

    pub fn layers(self) -> usize {
        match self {
            Shape::Plain => 0,
            Shape::NullableRequired | Shape::Optional | Shape::OutOfBody => 1,
            Shape::OptionalNullable => 2,
        }
    }

    pub fn ty(self, inner: &Type) -> TokenStream {
        match self.layers() {
            0 => quote!(#inner),
            1 => quote!(::core::option::Option<#inner>),
            _ => quote!(::core::option::Option<::core::option::Option<#inner>>),
        }
    }
}

/// Converts an expression of shape `from` layers into `to` layers, where a missing value
/// cannot occur (callers check first) or maps to `None`.
pub fn convert_layers(expr: TokenStream, from: usize, to: usize) -> TokenStream {
    match (from, to) {
        (a, b) if a == b => expr,
        (0, 1) => quote!(::core::option::Option::Some(#expr)),
        (0, 2) => quote!(::core::option::Option::Some(::core::option::Option::Some(#expr))),
        (1, 2) => quote!((#expr).map(::core::option::Option::Some)),
        (2, 1) => quote!((#expr).flatten()),
        _ => quote!(compile_error!("unsupported layer conversion")),
    }
}

/// The breakpoints from a `versions("2.1", ...)` list.
pub fn parse_versions(meta: &ParseNestedMeta) -> syn::Result<Vec<Version>> {
    let mut out = Vec::new();
    let content;
    syn::parenthesized!(content in meta.input);
    let list = content.parse_terminated(|p: syn::parse::ParseStream| p.parse::<LitStr>(), syn::Token![,])?;
    for lit in list {
        out.push(Version::parse(&lit)?);
    }
    Ok(out)
}

/// The ranges `[v_i, v_{i+1} - 1]` of consecutive breakpoints, the last ending at `until`.
pub fn version_ranges(points: &[Version], until: Version) -> Vec<Range> {
    points
        .iter()
        .enumerate()
        .map(|(i, &since)| Range {
            since,
            until: points.get(i + 1).map(|n| Version(n.0, n.1 - 1)).unwrap_or(until),
        })
        .collect()
}
