use openstack_compute::operation::live_migrate;
use openstack_compute::types::BlockMigration;

fn main() {
    // `disk_over_commit` was removed in 2.25.
    let _ = live_migrate::V2_25 { host: None, block_migration: BlockMigration::Auto, disk_over_commit: false.into() };
}
