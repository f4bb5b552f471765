//! The static tables the run-time checks walk: one `FieldInfo` per field entry.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Result;

use crate::attrs::{FieldAttrs, Range};

fn opt_range(r: Option<Range>) -> TokenStream {
    match r {
        Some(r) => quote!(::core::option::Option::Some(#r)),
        None => quote!(::core::option::Option::None),
    }
}

/// `FieldInfo::new(..)` for every entry of every field, in slot order.
pub fn field_table<'a>(fields: impl Iterator<Item = (u16, &'a FieldAttrs)>) -> Result<Vec<TokenStream>> {
    let mut out = Vec::new();
    for (slot, attrs) in fields {
        for e in &attrs.entries {
            let json = &e.json;
            let range = e.range;
            let required = opt_range(e.required);
            let nullable = opt_range(e.nullable);
            let location = e.location;
            let limits = &e.limits.items;
            out.push(quote!(::openstack_compute::codec::FieldInfo::new(
                #json, #slot, #range, #required, #nullable, #location, &[#(#limits),*]
            )));
        }
    }
    Ok(out)
}
