//! # openstack-compute
//!
//! A typed async SDK for the OpenStack Compute (Nova) server actions, exact to every
//! microversion from 2.1 to 2.104.
//!
//! - [`operation`]: one module per operation (`operation::rebuild`, `operation::stop`, ...),
//!   each with a version-agnostic `Request` builder, per-microversion request types
//!   (`rebuild::V2_63`), and the typed `Response` with its per-version shapes
//!   (`rebuild::response::V2_100`). Generated from `spec/`.
//! - [`types`]: the value types those use (`Server`-body parts, enums, [`types::Password`]).
//! - [`microversion`]: [`Microversion`] and [`VersionRange`].

mod auth;
pub mod client;
pub mod codec;
pub mod config;
pub mod error;
pub mod instance_actions;
#[rustfmt::skip] // formatted by prettyplease in `cargo xtask codegen`
mod generated;
pub mod microversion;
pub mod operation_core;
pub mod primitive;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;
pub mod wait;

pub use client::{Call, Compute, Output, ServerHandle};
pub use config::{Config, VersionStrategy};
pub use error::{ActionError, ApiError, ApiErrorKind, DecodeError, Error, RequestId, ResponseMeta};
pub use generated::operations as operation;
pub use microversion::{Microversion, VersionRange};
pub use operation_core::{Operation, OperationInfo, RequestParts, ResponseBody, VersionedRequest};
pub use wait::{WaitError, WaitOptions};

/// Value types used by operations: Nova's loose scalars and every named type of the spec.
pub mod types {
    pub use crate::generated::types::*;
    pub use crate::primitive::{
        BlockMigration, Boolish, EmptyOr, FlexibleId, Integerish, ParseTimestampError, Password, Timestamp,
    };
}

/// Test and tooling support; not part of the stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::auth::compute_endpoint;
    pub use crate::client::parse_version_document;
    pub use crate::generated::{Direction, SPEC_SAMPLES, SpecSample, replay_through_client, roundtrip, sample_parts};
}

/// The static facts of every operation the SDK knows, generated from `spec/`.
pub mod operations_index {
    pub use crate::generated::OPERATIONS;
}
