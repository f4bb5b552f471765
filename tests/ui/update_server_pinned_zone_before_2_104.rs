use openstack_compute::ops::update_server;

fn main() {
    let mut request = update_server::V2_94::new();
    request.pinned_availability_zone = openstack_compute::types::Nullable::Null;
}
