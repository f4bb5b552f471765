use openstack_compute::ops::create_server;

fn main() {
    let mut request = create_server::V2_74::new("web-1", "1", openstack_compute::types::Networks::Auto);
    request.hostname = Some("web-1".into());
}
