use openstack_compute::ops::rebuild;

fn locked(response: &rebuild::response::V2_9) -> bool {
    // From 2.9 `locked` is always sent: a plain bool, not an Option.
    response.locked.unwrap_or(false)
}

fn main() {}
