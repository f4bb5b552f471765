//! # openstack-compute
//!
//! A typed async SDK for the OpenStack Compute (Nova) API, exact to every microversion up to
//! [`Microversion::MAX`]: the servers (create, list, show, update, delete), every server action
//! Nova has, remote consoles, and instance actions.
//!
//! ```no_run
//! # async fn demo() -> Result<(), openstack_compute::Error> {
//! use std::time::Duration;
//! use openstack_compute::{Compute, WaitOptions};
//!
//! let compute = Compute::from_env()?; // OS_CLOUD + clouds.yaml, or OS_* variables
//! let server = compute.server("9d1b8f0e-2a57-4c10-a6f7-6b0a9e2f1c33");
//! let stopped = server.stop().wait(WaitOptions::new(Duration::from_secs(300))).await?;
//! println!("{} is {} (request {:?})", stopped.server.id, stopped.server.status, stopped.output.request_id());
//! # Ok(()) }
//! ```
//!
//! - [`ops`]: one module per operation (`ops::rebuild`, `ops::create_server`, ...), each with
//!   its fluent `Call`, the version-agnostic `Request`, one request type per stretch of
//!   microversions (`rebuild::V2_63`), and the typed `Response` with its per-version shapes
//!   (`rebuild::response::V2_63`). Generated from `spec/`.
//! - [`Compute`] (the client), [`ServerHandle`] (one server), [`Servers`] (the collection).
//! - [`wait`]: waiting for where an operation ends; [`types`]: the value types.
//! - `ARCHITECTURE.md`, in the repository, describes how a request travels and where each
//!   part lives.
#![warn(missing_docs)]

// The generated code names the crate by its path, inside it as outside.
extern crate self as openstack_compute;

mod auth;
pub mod call;
mod client;
#[doc(hidden)]
pub mod codec;
pub mod config;
mod error;
#[rustfmt::skip] // formatted by prettyplease in `cargo xtask codegen`
mod generated;
pub mod limits;
pub mod microversion;
pub mod operation;
pub mod paging;
mod primitive;
pub mod raw;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;
mod variants;
pub mod wait;

pub use call::{Base, Output};
pub use client::Compute;
pub use config::{Config, VersionStrategy};
pub use error::{ActionError, ApiError, DecodeError, Error, ErrorKind, RequestId, ResponseMeta};
pub use generated::operations as ops;
pub use generated::resources::*;
pub use microversion::{Microversion, VersionRange};
pub use operation::Method;
pub use paging::ItemStream;
pub use raw::RawRequest;
pub use wait::{Created, WaitOptions, Waited};

/// Value types: Nova's loose scalars, secrets, and every named type of the spec.
pub mod types {
    pub use crate::generated::types::*;
    pub use crate::primitive::{
        BlockMigration, Boolish, EmptyOr, FlexibleId, Integerish, Nullable, ParseTimestampError, Password, Timestamp,
    };
    pub use crate::variants::{Networks, ServerFlavor};
}

/// Facts generated from `spec/`: the microversions the SDK types, and every operation's
/// static facts.
pub mod spec {
    pub use crate::generated::OPERATIONS;
    pub use crate::generated::api::{API_MAX, API_MIN, CHECKED_AGAINST};
}
