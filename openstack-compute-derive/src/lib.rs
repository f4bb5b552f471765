//! Derives for `openstack-compute`'s generated operation definitions.
//!
//! Thin on purpose: this crate parses the `#[operation]`, `#[response]` and `#[field]`
//! attributes that `cargo xtask codegen` writes, works out which fields exist (and how) at each
//! microversion breakpoint, and emits types and trait impls that call into the library
//! (`openstack_compute::operation_core`, `codec`, `error`). No run-time logic lives here.

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod model;
mod request;
mod response;

/// Expands a version-agnostic request definition into its per-microversion request types,
/// the builder, and the `Operation` and `Roundtrip` impls.
#[proc_macro_derive(Operation, attributes(operation, field))]
pub fn derive_operation(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    request::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Expands a unified response definition into its per-microversion response types (in a
/// `response` module) and the `ResponseBody` impl.
#[proc_macro_derive(Response, attributes(response, field, extra))]
pub fn derive_response(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    response::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
