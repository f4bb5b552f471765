use openstack_compute::operation::live_migrate;

fn main() {
    // `force` exists only in 2.30..2.67.
    let mut request = live_migrate::V2_25::new(None, true);
    request.force = Some(true.into());
}
