//! The typed attribute model: every `#[operation(..)]`, `#[response(..)]`, `#[object(..)]`,
//! `#[enumeration(..)]`, `#[field(..)]` and `#[value(..)]` is parsed once into these structs,
//! and the emitters work on typed values only. Misuse is a compile error pointing at the
//! attribute, naming what was expected (and the nearest known name for a typo).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::{Ident, LitInt, LitStr, Result};

/// A microversion `2.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u16, pub u16);

impl Version {
    pub fn parse(lit: &LitStr) -> Result<Version> {
        let text = lit.value();
        let bad = || syn::Error::new(lit.span(), format!("`{text}` is not a microversion like \"2.19\""));
        let (a, b) = text.split_once('.').ok_or_else(bad)?;
        Ok(Version(a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?))
    }

    /// `V2_19`.
    pub fn ident(self) -> Ident {
        Ident::new(&format!("V{}_{}", self.0, self.1), Span::call_site())
    }

    pub fn text(self) -> String {
        format!("{}.{}", self.0, self.1)
    }
}

impl ToTokens for Version {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let (a, b) = (self.0, self.1);
        tokens.extend(quote!(::openstack_compute::Microversion::new(#a, #b)));
    }
}

/// An inclusive range of microversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub since: Version,
    pub until: Version,
}

impl Range {
    pub fn contains(self, v: Version) -> bool {
        self.since <= v && v <= self.until
    }

    pub fn overlaps(self, other: Range) -> bool {
        self.since <= other.until && other.since <= self.until
    }

    /// `"2.19..2.53"`.
    pub fn parse(lit: &LitStr) -> Result<Range> {
        let text = lit.value();
        let (a, b) = text
            .split_once("..")
            .ok_or_else(|| syn::Error::new(lit.span(), format!("`{text}` is not a range like \"2.19..2.53\"")))?;
        let part = |s: &str| Version::parse(&LitStr::new(s, lit.span()));
        let r = Range {
            since: part(a)?,
            until: part(b)?,
        };
        if r.since > r.until {
            return Err(syn::Error::new(
                lit.span(),
                format!("range `{text}` ends before it starts"),
            ));
        }
        Ok(r)
    }

    pub fn text(self) -> String {
        format!("{}..={}", self.since.text(), self.until.text())
    }
}

impl ToTokens for Range {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let (a, b) = (self.since, self.until);
        tokens.extend(quote!(::openstack_compute::VersionRange::new(#a, #b)));
    }
}

/// Reports an unknown attribute key, suggesting the nearest known one.
pub fn unknown(meta: &ParseNestedMeta<'_>, known: &[&str]) -> syn::Error {
    let got = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
    let nearest = known
        .iter()
        .map(|k| (distance(&got, k), *k))
        .min()
        .filter(|(d, _)| *d <= 2)
        .map(|(_, k)| format!("; did you mean `{k}`?"))
        .unwrap_or_default();
    meta.error(format!(
        "unknown attribute `{got}` (expected one of: {}){nearest}",
        known.join(", ")
    ))
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

pub fn string(meta: &ParseNestedMeta<'_>) -> Result<LitStr> {
    meta.value()?.parse()
}

pub fn version(meta: &ParseNestedMeta<'_>) -> Result<Version> {
    Version::parse(&string(meta)?)
}

/// An identifier value (`kind = action`), checked against the allowed ones.
pub fn choice<'a>(meta: &ParseNestedMeta<'_>, allowed: &[&'a str]) -> Result<&'a str> {
    let ident: Ident = meta.value()?.parse()?;
    let got = ident.to_string();
    allowed.iter().copied().find(|a| *a == got).ok_or_else(|| {
        syn::Error::new(
            ident.span(),
            format!(
                "unknown {} `{got}` (expected one of: {})",
                meta.path.get_ident().map(ToString::to_string).unwrap_or_default(),
                allowed.join(", ")
            ),
        )
    })
}

/// A parenthesized list of string literals: `breakpoints("2.1", "2.19")`.
pub fn strings(meta: &ParseNestedMeta<'_>) -> Result<Vec<LitStr>> {
    let content;
    syn::parenthesized!(content in meta.input);
    let list = content.parse_terminated(<LitStr as syn::parse::Parse>::parse, syn::Token![,])?;
    Ok(list.into_iter().collect())
}

/// Where a field lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Body,
    Top,
    Entries,
    Query,
    Header,
}

impl ToTokens for Location {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(match self {
            Location::Body => quote!(::openstack_compute::codec::Location::Body),
            Location::Top => quote!(::openstack_compute::codec::Location::Top),
            Location::Entries => quote!(::openstack_compute::codec::Location::Entries),
            Location::Query => quote!(::openstack_compute::codec::Location::Query),
            Location::Header => quote!(::openstack_compute::codec::Location::Header),
        });
    }
}

/// `limits(max_length = 255, format = Name, items(..))`.
#[derive(Clone, Default)]
pub struct Limits {
    pub items: Vec<TokenStream>,
}

impl Limits {
    pub fn parse(meta: &ParseNestedMeta<'_>) -> Result<Limits> {
        const KNOWN: &[&str] = &[
            "min_length",
            "max_length",
            "pattern",
            "format",
            "minimum",
            "maximum",
            "min_items",
            "max_items",
            "unique_items",
            "max_properties",
            "items",
            "keys",
            "values",
        ];
        let mut items = Vec::new();
        meta.parse_nested_meta(|m| {
            let key = m.path.get_ident().map(ToString::to_string).unwrap_or_default();
            let int = |m: &ParseNestedMeta<'_>| -> Result<LitInt> { m.value()?.parse() };
            let item = match key.as_str() {
                "min_length" => {
                    let n = int(&m)?;
                    quote!(::openstack_compute::limits::Limit::MinLength(#n))
                }
                "max_length" => {
                    let n = int(&m)?;
                    quote!(::openstack_compute::limits::Limit::MaxLength(#n))
                }
                "min_items" => {
                    let n = int(&m)?;
                    quote!(::openstack_compute::limits::Limit::MinItems(#n))
                }
                "max_items" => {
                    let n = int(&m)?;
                    quote!(::openstack_compute::limits::Limit::MaxItems(#n))
                }
                "max_properties" => {
                    let n = int(&m)?;
                    quote!(::openstack_compute::limits::Limit::MaxProperties(#n))
                }
                "minimum" | "maximum" => {
                    let n: syn::Expr = m.value()?.parse()?;
                    let variant = Ident::new(if key == "minimum" { "Minimum" } else { "Maximum" }, Span::call_site());
                    quote!(::openstack_compute::limits::Limit::#variant(#n))
                }
                "unique_items" => quote!(::openstack_compute::limits::Limit::UniqueItems),
                "pattern" => {
                    let p: Ident = m.value()?.parse()?;
                    quote!(::openstack_compute::limits::Limit::Pattern(::openstack_compute::limits::Pattern::#p))
                }
                "format" => {
                    let f: Ident = m.value()?.parse()?;
                    quote!(::openstack_compute::limits::Limit::Format(::openstack_compute::limits::Format::#f))
                }
                "items" | "keys" | "values" => {
                    let inner = Limits::parse(&m)?.items;
                    let variant = Ident::new(
                        match key.as_str() {
                            "items" => "Items",
                            "keys" => "Keys",
                            _ => "Values",
                        },
                        Span::call_site(),
                    );
                    quote!(::openstack_compute::limits::Limit::#variant(&[#(#inner),*]))
                }
                _ => return Err(unknown(&m, KNOWN)),
            };
            items.push(item);
            Ok(())
        })?;
        Ok(Limits { items })
    }
}

/// One `#[field(..)]`: a stretch of microversions of one field.
#[derive(Clone)]
pub struct FieldEntry {
    pub json: LitStr,
    pub range: Range,
    pub required: Option<Range>,
    pub nullable: Option<Range>,
    pub location: Location,
    pub limits: Limits,
}

impl FieldEntry {
    pub fn required_at(&self, v: Version) -> bool {
        self.required.is_some_and(|r| r.contains(v))
    }

    pub fn nullable_at(&self, v: Version) -> bool {
        self.nullable.is_some_and(|r| r.contains(v))
    }
}

/// How a field is stored in a unified type: as written, `T`, `Option<T>`, `Nullable<T>` or a
/// `Vec` that reads as empty when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Plain,
    Option,
    Nullable,
    List,
}

/// A field's attributes: its entries, its storage shape, and (in a response view) the slot of
/// the unified type it maps to.
#[derive(Clone)]
pub struct FieldAttrs {
    pub entries: Vec<FieldEntry>,
    pub shape: Option<Shape>,
    pub slot: Option<u16>,
    /// A field of the unified type this view never sends.
    pub omitted: bool,
    pub json: Option<LitStr>,
}

impl FieldAttrs {
    /// Reads every `#[field(..)]` of a struct field; `within` is the enclosing range.
    pub fn parse(field: &syn::Field, within: Range) -> Result<FieldAttrs> {
        const KNOWN: &[&str] = &[
            "json", "since", "until", "required", "nullable", "location", "limits", "shape", "slot", "omitted",
        ];
        let mut out = FieldAttrs {
            entries: Vec::new(),
            shape: None,
            slot: None,
            omitted: false,
            json: None,
        };
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("field")) {
            let mut json = None;
            let mut since = within.since;
            let mut until = within.until;
            let mut required = None;
            let mut nullable = None;
            let mut location = Location::Body;
            let mut limits = Limits::default();
            let mut required_whole = false;
            let mut nullable_whole = false;
            attr.parse_nested_meta(|m| {
                let key = m.path.get_ident().map(ToString::to_string).unwrap_or_default();
                match key.as_str() {
                    "json" => json = Some(string(&m)?),
                    "since" => since = version(&m)?,
                    "until" => until = version(&m)?,
                    "required" if m.input.peek(syn::Token![=]) => required = Some(Range::parse(&string(&m)?)?),
                    "required" => required_whole = true,
                    "nullable" if m.input.peek(syn::Token![=]) => nullable = Some(Range::parse(&string(&m)?)?),
                    "nullable" => nullable_whole = true,
                    "location" => {
                        location = match choice(&m, &["body", "top", "entries", "query", "location_header"])? {
                            "body" => Location::Body,
                            "top" => Location::Top,
                            "entries" => Location::Entries,
                            "query" => Location::Query,
                            _ => Location::Header,
                        }
                    }
                    "limits" => limits = Limits::parse(&m)?,
                    "shape" => {
                        out.shape = Some(match choice(&m, &["plain", "option", "nullable", "list"])? {
                            "plain" => Shape::Plain,
                            "option" => Shape::Option,
                            "nullable" => Shape::Nullable,
                            _ => Shape::List,
                        })
                    }
                    "slot" => out.slot = Some(m.value()?.parse::<LitInt>()?.base10_parse()?),
                    "omitted" => out.omitted = true,
                    _ => return Err(unknown(&m, KNOWN)),
                }
                Ok(())
            })?;
            let json = json.ok_or_else(|| syn::Error::new_spanned(attr, "a field needs its `json` name"))?;
            let range = Range { since, until };
            if range.since > range.until || !(within.contains(range.since) && within.contains(range.until)) {
                return Err(syn::Error::new_spanned(
                    attr,
                    format!("field range {} reaches outside {}", range.text(), within.text()),
                ));
            }
            out.json = Some(json.clone());
            if out.omitted {
                continue;
            }
            for e in &out.entries {
                if e.range.overlaps(range) {
                    return Err(syn::Error::new_spanned(
                        attr,
                        format!(
                            "`{}` has overlapping ranges {} and {}",
                            json.value(),
                            e.range.text(),
                            range.text()
                        ),
                    ));
                }
            }
            out.entries.push(FieldEntry {
                json,
                range,
                required: if required_whole { Some(range) } else { required },
                nullable: if nullable_whole { Some(range) } else { nullable },
                location,
                limits,
            });
        }
        if out.json.is_none() {
            return Err(syn::Error::new_spanned(
                field,
                "every field needs a #[field(json = \"..\")]",
            ));
        }
        Ok(out)
    }

    /// The entry in effect at `v`.
    pub fn at(&self, v: Version) -> Option<&FieldEntry> {
        self.entries.iter().find(|e| e.range.contains(v))
    }

    pub fn json(&self) -> &LitStr {
        self.json.as_ref().expect("checked in parse")
    }
}

/// The doc comments of an item or field.
pub fn docs(attrs: &[syn::Attribute]) -> Vec<&syn::Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("doc")).collect()
}

/// The attributes other than ours (to keep on the emitted item).
pub fn foreign(attrs: &[syn::Attribute], ours: &[&str]) -> Vec<syn::Attribute> {
    attrs
        .iter()
        .filter(|a| !ours.iter().any(|o| a.path().is_ident(o)))
        .cloned()
        .collect()
}
