#[openstack_compute_derive::request(
    operation = "x", key = "x", body = object, range = "2.1..2.104",
    stretch("2.1..2.104", response = openstack_compute::operation::NoContent),
)]
pub struct Request {
    #[field(json = "hostname", since = "2.1", until = "2.93")]
    #[field(json = "hostname", since = "2.90")]
    pub hostname: String,
}

fn main() {}
