//! The project's code generator, spec validator and sample replayer; the binary is
//! `cargo xtask`. A library too, so that `cargo test` can check the generated tree is fresh.

pub mod codegen;
pub mod reference;
pub mod replay;
pub mod spec;
pub mod types;
pub mod validate;
