use openstack_compute::ops::unshelve;

fn main() {
    let mut request = unshelve::V2_77::new();
    request.host = Some("compute-2".into());
}
