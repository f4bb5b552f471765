#[openstack_compute_derive::request(
    operation = "x", key = "x", body = object, range = "2.1..2.104",
    stretch("2.1..2.104", response = openstack_compute::operation::NoContent),
)]
pub struct Request {
    #[field(json = "name", nulable)]
    pub name: String,
}

fn main() {}
