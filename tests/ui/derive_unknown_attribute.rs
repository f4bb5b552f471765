#[openstack_compute_derive::enumeration(opne)]
pub enum Colour {
    #[value(json = "red")]
    Red,
}

fn main() {}
