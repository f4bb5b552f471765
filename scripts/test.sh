#!/usr/bin/env bash
# The project's test command (README names it; CI runs it): Nova's reference, formatting, lints,
# docs, every test, the quickstart, the generated-code freshness check, drift against Nova, and
# the replay of Nova's own samples. Needs cargo, python3 (3.10+) and PyPI the first time (the
# reference is rendered from Nova's sdist and cached under target/nova-reference).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

shared=../shared/reference/nova
release=$(sed -n 's/^checked_against: *"\{0,1\}\([0-9.]*\)"\{0,1\}.*/\1/p' spec/api.yaml)

step "cargo xtask nova-reference --version $release (and 32.0.0, which the drift test compares against)"
if [ -d "$shared" ]; then
  echo "$shared is here; the rendering is still built: it has the complete operation map, and is compared with it"
else
  echo "no $shared: Nova's reference comes from its PyPI sdist alone"
fi
cargo xtask nova-reference --version "$release"
cargo xtask nova-reference --version 32.0.0

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "cargo test --workspace"
cargo test --workspace

step "cargo run --example quickstart (README's first command, on the embedded fake cloud)"
env -u OS_CLOUD -u OS_AUTH_URL cargo run --quiet -p tests --example quickstart

step "cargo xtask codegen --check"
cargo xtask codegen --check

step "cargo xtask drift (the spec against Nova $release, less spec/drift-allow.yaml)"
cargo xtask drift

samples=("target/nova-reference/$release/doc/api_samples")
[ -d "$shared" ] && samples+=("$shared/doc/api_samples" "$shared/servers-crud/doc/api_samples")
for dir in "${samples[@]}"; do
  step "cargo xtask replay $dir"
  cargo xtask replay "$dir"
done
