#!/usr/bin/env bash
# The project's test command (README names it; CI runs it): formatting, lints, docs, every
# test, the generated-code freshness check, and the replay of Nova's own samples.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "cargo test --workspace"
cargo test --workspace

step "cargo run --example quickstart (README's first command, on the embedded fake cloud)"
env -u OS_CLOUD -u OS_AUTH_URL cargo run --quiet --example quickstart

step "cargo xtask codegen --check"
cargo xtask codegen --check

samples=../shared/reference/nova/doc/api_samples
if [ -d "$samples" ]; then
  step "cargo xtask replay $samples"
  cargo xtask replay "$samples"
else
  step "skipping the upstream replay: $samples is not here"
fi
