//! Expands the definitions `cargo xtask codegen` writes from `spec/` into the types of
//! `openstack-compute`: one attribute per kind of definition.
//!
//! - `#[request(..)]` on an operation's `Request`: the agnostic request and its setters, one
//!   request type per stretch of microversions, the request's shape and value checks, and the
//!   setters of the operation's `Call`.
//! - `#[response(..)]` on an operation's `Response`: the response table, parser and writer,
//!   and one response type per stretch of microversions.
//! - `#[object(..)]` on a named object type: direct (de)serialization, field access, checks.
//! - `#[enumeration(..)]` on a named enum: Nova's spellings, unknown values, ranges.
//!
//! The vocabulary is fields, JSON names, microversion ranges and limits: what an operation
//! means (its route, its facts, its client method) is written as plain Rust by `cargo xtask
//! codegen`, which also gives each definition its stretches of microversions. The expansions
//! hold no run-time logic of their own: they describe each type with static tables and call
//! `openstack_compute::codec`, which does the work once for all.
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod attrs;
mod enumeration;
mod object;
mod request;
mod response;
mod shape;
mod tables;

fn emit(result: syn::Result<proc_macro2::TokenStream>) -> TokenStream {
    result.unwrap_or_else(syn::Error::into_compile_error).into()
}

/// An operation's request; see the crate docs.
#[proc_macro_attribute]
pub fn request(args: TokenStream, item: TokenStream) -> TokenStream {
    emit(syn::parse(item).and_then(|item| request::expand(args.into(), item)))
}

/// An operation's response view; see the crate docs.
#[proc_macro_attribute]
pub fn response(args: TokenStream, item: TokenStream) -> TokenStream {
    emit(syn::parse(item).and_then(|item| response::expand(args.into(), item)))
}

/// A named object type; see the crate docs.
#[proc_macro_attribute]
pub fn object(args: TokenStream, item: TokenStream) -> TokenStream {
    emit(object::ObjectArgs::parse(args.into()).and_then(|a| syn::parse(item).and_then(|item| object::expand(a, item))))
}

/// A named enum; see the crate docs.
#[proc_macro_attribute]
pub fn enumeration(args: TokenStream, item: TokenStream) -> TokenStream {
    emit(syn::parse(item).and_then(|item| enumeration::expand(args.into(), item)))
}
