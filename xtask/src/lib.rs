//! The project's code generator, spec validator, drift checker, spec importer, Nova reference
//! builder and sample replayer; the binary is `cargo xtask`. A library too, so that tests can
//! load the spec, find Nova's reference and check the generated tree is fresh.

pub mod codegen;
pub mod drift;
pub mod import;
pub mod limits;
pub mod model;
pub mod reference;
pub mod replay;
pub mod spec;
pub mod types;
pub mod validate;
