#!/usr/bin/env bash
# Builds the C example and checks it inverts exactly as plugins/invert does
# (tests/all/contract.rs, a test CI leaves out because the C tools take
# 20 minutes to build). Run after tests/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/../../.."
bash sdk/examples/c/build.sh
cargo test --release --test all -- --ignored the_c_example_inverts_like_the_rust_plugin
