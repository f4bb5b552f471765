use openstack_compute::ops::rebuild;

fn locked(response: &rebuild::response::V2_1) -> bool {
    // `locked` is shown from 2.9.
    response.locked
}

fn main() {}
