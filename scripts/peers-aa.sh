#!/usr/bin/env bash
# A/A control for the peers harness: runs it with raw's own code in this crate's slot, to show
# how far a single run moves a client that *is* the floor. Run `../shared/bench/peers/run.sh .`
# once first (it creates target/peers-bench). Usage, from the project root:
#   scripts/peers-aa.sh [RUNS [HARNESS OPTIONS...]]   # default 10 runs of the default harness
#   scripts/peers-runs.py target/peers-bench/target/peers-aa{1..10}.json
# Run N writes target/peers-bench/target/peers-${AA_NAME:-aa}N.json; e.g.
#   AA_NAME=aa30- scripts/peers-aa.sh 2 --reps 30
# The harness's copy of our client is swapped for a wrapper around `raw::Raw` and put back on
# exit, whatever happens.
set -euo pipefail
runs=${1:-10}
shift || true
name=${AA_NAME:-aa}
adapter=target/peers-bench/src/clients/openstack_compute.rs
[ -f "$adapter" ] || { echo "no $adapter: run ../shared/bench/peers/run.sh . first" >&2; exit 1; }
saved=$(mktemp)
cp "$adapter" "$saved"
trap 'cp "$saved" "$adapter"; rm -f "$saved"' EXIT
cat >"$adapter" <<'EOF'
//! A/A control (scripts/peers-aa.sh): raw's own code in the openstack-compute slot.
use super::{BenchClient, BoxError, CloudSpec, raw::Raw};

#[derive(Clone)]
pub struct OpenstackCompute {
    inner: Raw,
}

impl BenchClient for OpenstackCompute {
    async fn connect(cloud: CloudSpec, server_id: String) -> Result<Self, BoxError> {
        Ok(OpenstackCompute { inner: Raw::connect(cloud, server_id).await? })
    }

    async fn os_stop(&mut self) -> Result<(), BoxError> {
        self.inner.os_stop().await
    }
}
EOF
for i in $(seq 1 "$runs"); do
  ../shared/bench/peers/run.sh . "$@" --json "target/peers-$name$i.json" >/dev/null
  echo "run $name$i: target/peers-bench/target/peers-$name$i.json"
done
