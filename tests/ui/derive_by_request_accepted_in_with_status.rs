#[openstack_compute_derive::operation(
    name = "x", summary = "x", kind = action, key = "x", since = "2.1", until = "2.104",
    status = 202, body = null, breakpoints("2.1"), client(on = server, method = x, args()),
    policy = member, errors(), response = none,
    server_status(from(), during(), ends_in = unchanged, auto_confirmed(), task_states(),
        by_request(field = "type", case(value = "HARD", while_busy(accepted_in(Pausing), status = 500)))),
    instance_action(name = "x", events = none),
)]
pub struct Request {}

fn main() {}
