#!/usr/bin/env bash
# Runs every benchmark and prints markdown ready for BENCHMARKS.md: the
# machine and date first, then the tables. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/setup.sh >/dev/null
echo "## $(date -u +%Y-%m-%d) — $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(uname -r)"
echo
echo "CPU levels available to the kernels: $(grep -o -w -E 'sse4_1|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo
echo "### Plugin boundary (tests/bench/stage.rs)"
echo
cargo bench --quiet -p reel-tests --bench stage 2>/dev/null
echo
echo "### Stage core: error policy and mixer (tests/bench/core.rs)"
echo
cargo bench --quiet -p reel-tests --bench core 2>/dev/null
echo
echo "### Native kernels (tests/bench/kernels.rs)"
echo
cargo bench --quiet -p reel-tests --bench kernels 2>/dev/null
