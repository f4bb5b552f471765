#!/usr/bin/env bash
# Sets up and starts the real Keystone + Nova sandboxes from ../shared/tools on free ports.
#   scripts/sandbox.sh start  -> writes target/os-sandbox/env (KEYSTONE_URL, NOVA_URL, COMPUTE_URL,
#                                OS_CLIENT_CONFIG_FILE, ...) and target/os-sandbox/pid
#   scripts/sandbox.sh stop   -> stops the servers it started, by PID
set -euo pipefail
cd "$(dirname "$0")/.."
root=target/os-sandbox
case "${1:-}" in
  start)
    if [ ! -d "$root/nova-sandbox" ]; then
      mkdir -p "$root"
      cp -r ../shared/tools/nova-sandbox ../shared/tools/keystone-sandbox "$root/"
    fi
    [ -x "$root/nova-sandbox/.venv/bin/python" ] || "$root/nova-sandbox/setup.sh" > "$root/nova-setup.log" 2>&1
    [ -x "$root/keystone-sandbox/.venv/bin/python" ] || "$root/keystone-sandbox/setup.sh" > "$root/keystone-setup.log" 2>&1
    rm -f "$root/env"
    # Two computes, so migrations and evacuate have somewhere to go.
    setsid "$root/keystone-sandbox/start-both.sh" "$PWD/$root/env" -- --computes 2 > "$root/servers.log" 2>&1 &
    echo $! > "$root/pid"
    for _ in $(seq 600); do [ -s "$root/env" ] && break; sleep 0.2; done
    [ -s "$root/env" ] || { echo "sandbox did not start; see $root/servers.log" >&2; exit 1; }
    cat "$root/env"
    ;;
  stop)
    if [ -s "$root/pid" ]; then
      pid=$(cat "$root/pid")
      # start-both.sh runs in its own session; stop the whole group it leads.
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      rm -f "$root/pid"
    fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
