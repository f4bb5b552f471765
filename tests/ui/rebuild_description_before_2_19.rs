use openstack_compute::ops::rebuild;

fn main() {
    // `description` arrived in 2.19.
    let mut request = rebuild::V2_1::new("155d900f-4e14-4e4c-a73d-069cbf4541e6");
    request.description = openstack_compute::types::Nullable::Value("web".into());
}
