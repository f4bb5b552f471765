//! Named types: one annotated enum or struct per file of `spec/types/`, which the derive
//! expands.

use proc_macro2::TokenStream;
use quote::quote;

use super::{docs, field_attr, group_fields, ident, lit, rust_type, shape_ident, storage, version_lit};
use crate::model::{Model, Type};
use crate::spec::TypeKind;

pub(super) fn named_type(model: &Model, t: &Type) -> Result<TokenStream, String> {
    let name = ident(&t.name);
    let doc = docs(Some(&t.doc));
    match t.kind {
        TypeKind::Enum => {
            let open = t.open.then(|| quote!(open));
            let values = t.values.iter().map(|v| {
                let json = lit(&v.json);
                let rust = ident(&v.rust);
                let aliases = (!v.aliases.is_empty()).then(|| {
                    let a = v.aliases.iter().map(|a| lit(a));
                    quote!(, aliases(#(#a),*))
                });
                let range = (v.range != model.api).then(|| {
                    let (s, u) = (version_lit(v.range.since), version_lit(v.range.until));
                    quote!(, since = #s, until = #u)
                });
                let d = docs(Some(v.doc.as_deref().unwrap_or(&format!("`{}`", v.json))));
                quote!(#d #[value(json = #json #aliases #range)] #rust,)
            });
            Ok(quote!(
                #[allow(unused_imports)]
                use crate::types::*;
                #doc
                #[openstack_compute_derive::enumeration(#open)]
                pub enum #name { #(#values)* }
            ))
        }
        TypeKind::Object => {
            let mut dirs = Vec::new();
            if t.in_request {
                dirs.push(quote!(request));
            }
            if t.in_response || !t.in_request {
                dirs.push(quote!(response));
            }
            if model
                .ops
                .iter()
                .any(|o| o.response.as_ref().is_some_and(|r| r.of.as_deref() == Some(&t.name)))
            {
                dirs.push(quote!(view));
            }
            let fields = group_fields(&t.fields).into_iter().map(|(rust, entries)| {
                let shape = t.unified[&rust];
                let value = rust_type(&entries[0].ty.rust());
                let ty = storage(shape, &value);
                let n = ident(&rust);
                let s = shape_ident(shape);
                let d = docs(entries.iter().find_map(|e| e.doc.as_deref()));
                let attrs = entries.iter().map(|e| field_attr(model, e, quote!(, shape = #s)));
                quote!(#d #(#attrs)* pub #n: #ty,)
            });
            Ok(quote!(
                #[allow(unused_imports)]
                use crate::types::*;
                #doc
                #[openstack_compute_derive::object(#(#dirs),*)]
                pub struct #name { #(#fields)* }
            ))
        }
    }
}
