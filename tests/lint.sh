#!/usr/bin/env bash
# Formatting and lints, as CI holds them: rustfmt's layout, and no clippy
# warning anywhere in the workspace (host, SDK, plugins, tests).
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all --check
cargo clippy --release --quiet --workspace --all-targets -- -D warnings
echo "lint: ok"
