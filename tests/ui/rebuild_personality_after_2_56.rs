use openstack_compute::ops::rebuild;

fn main() {
    // `personality` was removed in 2.57.
    let mut request = rebuild::V2_57::new("155d900f-4e14-4e4c-a73d-069cbf4541e6");
    request.personality = Some(Vec::new());
}
