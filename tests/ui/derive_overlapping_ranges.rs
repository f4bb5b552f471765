#[openstack_compute_derive::operation(
    name = "x", summary = "x", kind = action, key = "x", path = "/servers/{server_id}/action", since = "2.1", until = "2.104",
    status = 202, body = object, breakpoints("2.1"), client(on = server, method = x, args()),
    policy = member, errors(), response = none,
)]
pub struct Request {
    #[field(json = "hostname", since = "2.1", until = "2.93")]
    #[field(json = "hostname", since = "2.90")]
    pub hostname: String,
}

fn main() {}
