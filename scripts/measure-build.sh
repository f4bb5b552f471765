#!/usr/bin/env bash
# Clean release build of openstack-compute vs a binary using only reqwest + serde_json + tokio,
# each from its own empty target dir, timed with /usr/bin/time -v. Prints both and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
base=$out/baseline
mkdir -p "$base/src"
cat > "$base/Cargo.toml" <<'TOML'
[package]
name = "baseline"
version = "0.1.0"
edition = "2024"

[dependencies]
reqwest = { version = "0.13", default-features = false, features = ["rustls"] }
serde_json = "1"
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }

[workspace]
TOML
cat > "$base/src/main.rs" <<'RS'
#[tokio::main]
async fn main() {
    let body = serde_json::json!({"os-stop": null});
    let r = reqwest::Client::new().post("http://127.0.0.1:9/").body(body.to_string()).send().await;
    println!("{}", r.is_ok());
}
RS
measure() {
  local label=$1; shift
  /usr/bin/time -v "$@" > "$out/$label.log" 2>&1
  local wall rss
  wall=$(grep "Elapsed (wall clock)" "$out/$label.log" | awk '{print $NF}')
  rss=$(grep "Maximum resident" "$out/$label.log" | awk '{print $NF}')
  echo "$label: wall $wall, max RSS ${rss} KiB"
}
(cd "$base" && cargo generate-lockfile -q && cargo fetch -q)
cargo fetch -q
measure baseline env CARGO_TARGET_DIR="$out/t-base" cargo build --release --quiet --manifest-path "$base/Cargo.toml"
measure openstack-compute env CARGO_TARGET_DIR="$out/t-sdk" cargo build --release --quiet -p openstack-compute
grep -h "Elapsed" "$out"/baseline.log "$out"/openstack-compute.log
rm -rf "$out"
