#!/usr/bin/env bash
# Reel's 3D LUT on I420 against ffmpeg's `lut3d` filter (tetrahedral), in
# one run, one thread each, on CPU 0, milliseconds per 1080p frame; prints
# markdown (the machine and date, then one table). Not part of the test
# suite.
#
#   tests/bench/lut.sh              # 60 frames, the shipped looks
#   FRAMES=30 tests/bench/lut.sh    # quicker, noisier
#
# How each column is measured:
# - ffmpeg: `ffmpeg -threads 1 -filter_threads 1 -benchmark` reads a raw
#   I420 file of FRAMES frames of `testsrc2` through
#   `-vf lut3d=file=LOOK.cube:interp=tetrahedral` into `-f null`. Its
#   `rtime` minus the rtime of the same command without `-vf` (reading
#   and parsing the file), divided by FRAMES. ffmpeg's lut3d works on
#   planar RGB: the conversion its filter graph inserts (yuv420p to gbrp
#   and back, swscale) is part of what it costs and stays in its number,
#   as Reel's conversions stay in its RGBA path's.
# - Reel RGBA path: what a plugin did before: `convert` I420 to RGBA, the
#   LUT, `convert` back (`host/kernels/examples/lut_bench.rs`).
# - Reel YUV: `apply_lut3d` on the I420 frame itself (the table is built
#   at the first frame and cached; the build is not timed).
#   Both Reel columns: the best of 5 batches of FRAMES frames, in process,
#   the frames of the same raw file cycled (8 at most held in memory).
# Per look, 3 rounds of the three measurements back to back, keeping the
# fastest of each: the machine is shared and its speed changes over
# minutes; rounds see it alike.
set -euo pipefail
cd "$(dirname "$0")/../.."
FRAMES=${FRAMES:-60}
SIZE=1920x1080
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target} cargo build --quiet --release \
    -p reel-kernels --example lut_bench
bench=${CARGO_TARGET_DIR:-target}/release/examples/lut_bench

raw=$work/i420.raw
ffmpeg -loglevel error -f lavfi -i "testsrc2=size=$SIZE:rate=25" \
    -frames:v "$FRAMES" -pix_fmt yuv420p -f rawvideo "$raw"

# The smaller of two numbers (the best run so far).
min() {
    if [[ -z $1 ]] || awk "BEGIN{exit !($2 < $1)}"; then echo "$2"; else echo "$1"; fi
}

ffmpeg_rtime() { # [vf]
    local vf=()
    [[ -n ${1:-} ]] && vf=(-vf "$1")
    taskset -c 0 ffmpeg -hide_banner -nostdin -benchmark -threads 1 -filter_threads 1 \
        -f rawvideo -pix_fmt yuv420p -s "$SIZE" -i "$raw" "${vf[@]}" -f null - 2>&1 |
        sed -n 's/.*rtime=\([0-9.]*\)s.*/\1/p'
}

level=$(REEL_CPU_LEVEL=${REEL_CPU_LEVEL:-} "$bench" assets/looks/warm.cube 16x16 1 >/dev/null &&
    echo "${REEL_CPU_LEVEL:-best supported}")
echo "## $(date -u +%Y-%m-%d) — $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(uname -r)"
echo
echo "3D LUT on 1080p I420 ($SIZE testsrc2, $FRAMES frames), one thread on CPU 0, ms per frame;"
echo "Reel at CPU level $level. Speed-up: ffmpeg / Reel YUV."
echo
echo "| look | ffmpeg lut3d tetrahedral | Reel RGBA path | Reel YUV | speed-up | Reel YUV table build (once) |"
echo "|---|---:|---:|---:|---:|---:|"
for cube in assets/looks/*.cube; do
    ffb="" ffl="" rgba="" yuv="" build=""
    for _ in 1 2 3; do
        ffb=$(min "$ffb" "$(ffmpeg_rtime)")
        ffl=$(min "$ffl" "$(ffmpeg_rtime "lut3d=file=$cube:interp=tetrahedral")")
        out=$(taskset -c 0 "$bench" "$cube" "$SIZE" "$FRAMES" "$raw")
        rgba=$(min "$rgba" "$(sed -n 's/^rgba //p' <<<"$out")")
        yuv=$(min "$yuv" "$(sed -n 's/^yuv //p' <<<"$out")")
        build=$(min "$build" "$(sed -n 's/^build //p' <<<"$out")")
    done
    ff_ms=$(awk "BEGIN{printf \"%.2f\", ($ffl - $ffb) * 1000 / $FRAMES}")
    ratio=$(awk "BEGIN{printf \"%.1f\", $ff_ms / $yuv}")
    printf '| %s | %s | %.2f | %.2f | %sx | %.1f |\n' "$(basename "$cube" .cube)" "$ff_ms" "$rgba" "$yuv" "$ratio" "$build"
done
