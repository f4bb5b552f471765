use openstack_compute::ops::live_migrate;

fn main() {
    let mut request = live_migrate::V2_68::new(true);
    request.force = Some(true.into());
}
