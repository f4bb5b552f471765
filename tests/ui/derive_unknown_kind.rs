#[openstack_compute_derive::operation(
    name = "x", summary = "x", kind = patch, path = "/servers/{server_id}", since = "2.1", until = "2.104",
    status = 200, body = none, breakpoints("2.1"), client(on = server, method = x, args()),
    policy = member, errors(), response = none,
)]
pub struct Request {}

fn main() {}
