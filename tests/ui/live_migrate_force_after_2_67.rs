use openstack_compute::operation::live_migrate;

fn main() {
    let mut request = live_migrate::V2_68::new(None, true);
    request.force = Some(true.into());
}
