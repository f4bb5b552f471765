//! openstack-compute
pub mod microversion;
pub mod primitive;
