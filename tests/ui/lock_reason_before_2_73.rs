use openstack_compute::ops::lock;

fn main() {
    let mut request = lock::V2_1::new();
    request.locked_reason = Some("maintenance".into());
}
