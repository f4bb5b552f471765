#[openstack_compute_derive::request(operation = "x", key = "x", body = null, range = "2.1..2.104")]
pub struct Request {}

fn main() {}
