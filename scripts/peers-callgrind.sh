#!/usr/bin/env bash
# Instructions and cache misses per action, per client of the peers harness, counted by
# callgrind (deterministic where CPU time is noisy). Run `../shared/bench/peers/run.sh .` once
# first (it builds target/peers-bench). Usage, from the project root:
#   scripts/peers-callgrind.sh [latency|throughput] [client ...]
# Each client runs twice under callgrind, for N1 and N2 timed actions (defaults 500 and 2500);
# the difference divided by N2 - N1 is the cost of one action, start-up and warm-up cancelled.
# "est. cycles" weighs each L1 miss as 10 instructions: a rough model, for ratios only.
set -euo pipefail
mode=${1:-latency}
shift || true
clients=("${@:-raw openstack openstack-compute}")
read -r -a clients <<<"${clients[*]}"
n1=${N1:-500}
n2=${N2:-2500}
exe=target/peers-bench/target/release/peers-bench
[ -x "$exe" ] || { echo "no $exe: run ../shared/bench/peers/run.sh . first" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
out=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$exe" serve --port "$port" >"$out/mock.log" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 50); do grep -q "mock cloud on" "$out/mock.log" && break; sleep 0.2; done
base="http://127.0.0.1:$port"
for c in "${clients[@]}"; do
  for n in "$n1" "$n2"; do
    valgrind --tool=callgrind --cache-sim=yes --callgrind-out-file="$out/$c.$n" \
      "$exe" __client --name "$c" --mode "$mode" --base "$base" --n "$n" --warmup 200 \
      --concurrency 64 --threads 1 >/dev/null 2>&1
  done
  python3 - "$out/$c.$n1" "$out/$c.$n2" "$c" "$n1" "$n2" <<'PY'
import sys
a_file, b_file, client, n1, n2 = sys.argv[1:]
def totals(path):
    events = None
    for line in open(path):
        if line.startswith("events:"):
            events = line.split()[1:]
        if line.startswith(("summary:", "totals:")):
            return dict(zip(events, map(int, line.split()[1:])))
a, b = totals(a_file), totals(b_file)
per = {k: (b[k] - a[k]) / (int(n2) - int(n1)) for k in a}
i1, d1 = per["I1mr"], per["D1mr"] + per["D1mw"]
print(f"{client:20s} instructions {per['Ir']:8.0f}  I1 misses {i1:6.0f}  D1 misses {d1:6.0f}  est. cycles {per['Ir'] + 10 * (i1 + d1):8.0f}")
PY
done
