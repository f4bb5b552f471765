use openstack_compute::operation::unshelve;

fn main() {
    let mut request = unshelve::V2_77::new("az-1");
    request.host = Some("compute-2".into());
}
