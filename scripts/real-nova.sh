#!/usr/bin/env bash
# The integration suite against the real Nova 34.0.0 and Keystone 30.0.0 from ../shared/tools:
# sets them up (Python venvs), starts them on free ports, runs tests/tests/real_nova.rs through
# OS_CLOUD with the generated clouds.yaml, and stops them by PID, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'scripts/sandbox.sh stop' EXIT
scripts/sandbox.sh start > /dev/null
set -a
. target/os-sandbox/env
set +a
export OS_CLOUD=sandbox-demo OS_CLOUD_ADMIN=sandbox-admin OS_CLOUD_APPCRED=sandbox-demo-appcred
cargo test -p tests --test real_nova -- --test-threads 1
