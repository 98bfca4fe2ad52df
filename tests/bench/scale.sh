#!/usr/bin/env bash
# Reel's scale kernels against ffmpeg's swscale and GStreamer's videoscale,
# in one run, one thread each, milliseconds per frame; prints markdown (the
# machine and date, then one table). Not part of the test suite.
#
#   tests/bench/scale.sh            # 60 frames a file
#   FRAMES=30 tests/bench/scale.sh  # quicker, noisier
#
# How each column is measured:
# - swscale: `ffmpeg -threads 1 -filter_threads 1 -benchmark` reads a raw
#   file of FRAMES frames through `-vf scale=W:H:flags=F` into `-f null`.
#   Its `rtime` (wall clock of the transcode loop, after start-up) minus the
#   rtime of the same command without `-vf` (reading and parsing the raw
#   file, handing frames to the null muxer), divided by FRAMES.
# - videoscale: `gst-launch-1.0 filesrc ! rawvideoparse ! videoscale
#   method=M n-threads=1 ! caps ! fakesink sync=false`, wall clock of the
#   whole process minus that of the same pipeline without videoscale (start
#   up, registry, reading the file), divided by FRAMES.
# - Reel: `host/kernels/examples/scale_bench.rs` (depends on reel-kernels
#   only), the best of 5 batches of FRAMES frames, in process, from and to
#   memory: no file, no subtraction needed.
# Per case, 3 rounds of all five measurements back to back (the two
# baselines, the two tools, Reel), keeping the fastest of each: on a
# shared machine (this one's two cores may share a physical core with
# other work) the speed changes over minutes, and rounds see it alike.
#
# Limits of the subtraction: the baseline does not do everything the
# scaled run does besides scaling: the scaled run also allocates and
# writes output frames of another size (ffmpeg's frame pool, GStreamer's
# buffer pool), which stays in the scaler's number, so the two tools are
# if anything charged a little more than Reel, which reuses one output
# buffer. Caches differ too (the scaled run's input is evicted by its
# output). The difference of two noisy wall clocks is noisier than either:
# a few hundredths of a millisecond per frame at 60 frames; runs shorter
# than the tools' noise (the cheapest downscales) can come out near zero.
# swscale scales RGBA by converting it to its internal planar form and
# back; that is part of what it costs and stays in its number. The filters
# are the nearest each tool has: swscale `bicubic` is B=0, C=0.6 where
# Reel and videoscale `catrom` are Catmull-Rom (C=0.5), same taps; all
# three Lanczos are 3 lobes. swscale's `bilinear` and all of Reel's
# `scale_filtered` widen the kernel when shrinking (area-aware);
# videoscale's `bilinear` and Reel's `scale` keep two taps.
set -euo pipefail
cd "$(dirname "$0")/../.."
FRAMES=${FRAMES:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target} cargo build --quiet --release \
    -p reel-kernels --example scale_bench
bench=${CARGO_TARGET_DIR:-target}/release/examples/scale_bench

# Raw input files: FRAMES frames of a moving test pattern.
raw() { # pix_fmt WxH -> path
    local f="$work/$1-$2.raw"
    if [[ ! -f $f ]]; then
        ffmpeg -loglevel error -f lavfi -i "testsrc2=size=$2:rate=25" \
            -frames:v "$FRAMES" -pix_fmt "$1" -f rawvideo "$f"
    fi
    echo "$f"
}

# The smaller of two numbers (the best run so far).
min() {
    if [[ -z $1 ]] || awk "BEGIN{exit !($2 < $1)}"; then echo "$2"; else echo "$1"; fi
}

ffmpeg_rtime() { # pix_fmt WxH file [vf]
    local vf=()
    [[ -n ${4:-} ]] && vf=(-vf "$4")
    ffmpeg -hide_banner -nostdin -benchmark -threads 1 -filter_threads 1 \
        -f rawvideo -pix_fmt "$1" -s "$2" -i "$3" "${vf[@]}" -f null - 2>&1 |
        sed -n 's/.*rtime=\([0-9.]*\)s.*/\1/p'
}

gst_wall() { # gst_format W H file [videoscale caps]
    local t0 t1
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086 # $5 is pipeline elements
    gst-launch-1.0 -q filesrc location="$4" ! rawvideoparse format="$1" width="$2" \
        height="$3" framerate=25/1 ! ${5:-} fakesink sync=false >/dev/null
    t1=$(date +%s.%N)
    awk "BEGIN{print $t1 - $t0}"
}

per_frame() { # seconds baseline -> ms per frame
    awk "BEGIN{printf \"%.2f\", ($1 - $2) * 1000 / $FRAMES}"
}

echo "## $(date -u +%Y-%m-%d) — $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(uname -r)"
echo
echo "Scale, one thread each, ms per frame ($FRAMES frames; Reel at CPU level $(
    REEL_CPU_LEVEL=${REEL_CPU_LEVEL:-} "$bench" i420 16x16 8x8 scale 1 >/dev/null && echo "${REEL_CPU_LEVEL:-best supported}"
)). Ratio: Reel / swscale (below 1: Reel is faster)."
echo
echo "| format | case | filter | swscale | videoscale | Reel | Reel / swscale |"
echo "|---|---|---|---:|---:|---:|---:|"

# filter name, swscale flags, videoscale method, Reel filter
FILTERS=(
    "bilinear (Reel \`scale\`, 2 taps)|bilinear|bilinear|scale"
    "bilinear (Reel \`scale_filtered\`)|bilinear|bilinear|bilinear"
    "bicubic|bicubic|catrom|bicubic"
    "lanczos3|lanczos|lanczos|lanczos3"
)
for fmt in i420 rgba; do
    pix=$([[ $fmt == i420 ]] && echo yuv420p || echo rgba)
    for case in "1280x720 1920x1080" "1920x1080 480x270" "1920x1080 1280x720"; do
        read -r from to <<<"$case"
        file=$(raw "$pix" "$from")
        sw=${from%x*} sh=${from#*x} dw=${to%x*} dh=${to#*x}
        for f in "${FILTERS[@]}"; do
            IFS='|' read -r name flags method reel <<<"$f"
            # Rounds of every measurement back to back, so that all see
            # the machine alike; the best of each is kept.
            ffb="" ffs="" gsb="" gss="" rl=""
            for _ in 1 2 3; do
                ffb=$(min "$ffb" "$(ffmpeg_rtime "$pix" "$from" "$file")")
                ffs=$(min "$ffs" "$(ffmpeg_rtime "$pix" "$from" "$file" "scale=$dw:$dh:flags=$flags")")
                gsb=$(min "$gsb" "$(gst_wall "$fmt" "$sw" "$sh" "$file")")
                gss=$(min "$gss" "$(gst_wall "$fmt" "$sw" "$sh" "$file" \
                    "videoscale method=$method n-threads=1 ! video/x-raw,width=$dw,height=$dh !")")
                rl=$(min "$rl" "$("$bench" "$fmt" "$from" "$to" "$reel" "$FRAMES")")
            done
            ff_ms=$(per_frame "$ffs" "$ffb")
            gs_ms=$(per_frame "$gss" "$gsb")
            ratio=$(awk "BEGIN{ if ($ff_ms > 0) printf \"%.2f\", $rl / $ff_ms; else print \"n/a\" }")
            printf '| %s | %s → %s | %s | %s | %s | %.2f | %s |\n' \
                "${fmt^^}" "$from" "$to" "$name" "$ff_ms" "$gs_ms" "$rl" "$ratio"
        done
    done
done
