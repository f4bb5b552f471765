use openstack_compute::operation::rebuild;

fn locked(server: &rebuild::response::V2_1) -> bool {
    server.locked
}

fn main() {}
