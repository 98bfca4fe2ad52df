#!/usr/bin/env bash
# A keyed presenter over the programme, the same in three tools, one core
# each (`taskset -c 0`), in one run; prints markdown (machine, date,
# table). Not part of the test suite.
#
#   tests/bench/dhuman.sh            # 250 frames a run
#   FRAMES=100 tests/bench/dhuman.sh # quicker, noisier
#
# The scene: a 1920x1080 I420 programme (ffmpeg's SMPTE HD bars) and the
# repository's 1280x720 green-screen presenter (pipelines/media/
# presenter_green.mp4), keyed and composited at its own size at the bottom
# right. Both are raw YUV4MPEG files the script makes first, read from the
# page cache.
# - Reel: `reel run` into a null sink, the `dhuman` plugin keying with its
#   defaults (screen colour found, plate, spill removal).
# - GStreamer: `alpha method=custom` (the screen's colour, angle 60,
#   noise-level 16: its best on the keying test) into `compositor`.
# - ffmpeg: `chromakey` (similarity 0.05, blend 0.1: its best on the
#   keying test) + `despill` + `overlay`, `-threads 1 -filter_threads 1`.
# Each tool's number is the CPU time (user + system) of the scene minus
# that of the same inputs through the same tool without the presenter, per
# frame: Reel's stage with the presenter never on air (the programme
# copied into the output), GStreamer's `compositor` with the programme
# alone (the presenter into a fakesink), ffmpeg decoding both into its
# null muxer. The median of ROUNDS (5) rounds of scene and baseline back
# to back.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
frames=${FRAMES:-250}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reel=target/release/reel
seconds=$(python3 -c "print($frames / 25)")

ffmpeg -hide_banner -loglevel error -f lavfi \
  -i "smptehdbars=size=1920x1080:rate=25:duration=$seconds,format=yuv420p" -f yuv4mpegpipe "$work/programme.y4m"
ffmpeg -hide_banner -loglevel error -stream_loop -1 -i pipelines/media/presenter_green.mp4 \
  -frames:v "$frames" -pix_fmt yuv420p -f yuv4mpegpipe "$work/presenter.y4m"
screen=2DAF46

# Reel: the presenter on from the start, and never (the baseline).
for case in "scene 0" "base 1000000"; do
  set -- $case
  cat > "$work/$1.toml" <<EOT
[[source]]
id = "programme"
file = "$work/programme.y4m"

[[source]]
id = "studio"
file = "$work/presenter.y4m"

[[stage]]
id = "presenter"
plugin = "dhuman"
inputs = ["programme", "studio"]
params = { anchor = "bottom-right", margin_x = 0.0, height = 0.6666667, start = $2 }

[[sink]]
input = "presenter"
null = true
EOT
done

caps="video/x-raw,format=I420,width=1920,height=1080,framerate=25/1"
pcaps="video/x-raw,format=I420,width=1280,height=720,framerate=25/1"
gst_scene=(compositor name=m background=black sink_1::xpos=640 sink_1::ypos=360 ! fakesink sync=false
  filesrc location="$work/programme.y4m" ! y4mdec ! "$caps" ! queue ! m.sink_0
  filesrc location="$work/presenter.y4m" ! y4mdec ! "$pcaps" ! alpha method=custom
    target-r=$((16#${screen:0:2})) target-g=$((16#${screen:2:2})) target-b=$((16#${screen:4:2}))
    angle=60 noise-level=16 ! queue ! m.sink_1)
gst_base=(compositor name=m background=black ! fakesink sync=false
  filesrc location="$work/programme.y4m" ! y4mdec ! "$caps" ! queue ! m.sink_0
  filesrc location="$work/presenter.y4m" ! y4mdec ! "$pcaps" ! fakesink sync=false)
ff_inputs=(-i "$work/programme.y4m" -i "$work/presenter.y4m")
ff_scene="[1]chromakey=0x$screen:0.05:0.1,despill=type=green[p];[0][p]overlay=640:360[out]"

cpu() {
  /usr/bin/time -f "%U %S" -o "$work/time" taskset -c 0 "$@" >/dev/null 2>"$work/err" || fail "$1"
  python3 -c "u, s = open('$work/time').read().split()[-2:]; print(float(u) + float(s))"
}
fail() { echo "$1 failed:" >&2; cat "$work/err" >&2; exit 1; }
declare -a reel_s reel_b gst_s gst_b ff_s ff_b
for ((round = 0; round < ${ROUNDS:-5}; round++)); do
  reel_s+=("$(cpu "$reel" run "$work/scene.toml")")
  reel_b+=("$(cpu "$reel" run "$work/base.toml")")
  gst_s+=("$(cpu gst-launch-1.0 -q "${gst_scene[@]}")")
  gst_b+=("$(cpu gst-launch-1.0 -q "${gst_base[@]}")")
  ff_s+=("$(cpu ffmpeg -hide_banner -loglevel error -threads 1 -filter_threads 1 \
    "${ff_inputs[@]}" -filter_complex "$ff_scene" -map "[out]" -frames:v "$frames" -f null -)")
  ff_b+=("$(cpu ffmpeg -hide_banner -loglevel error -threads 1 -filter_threads 1 \
    "${ff_inputs[@]}" -map 0 -map 1 -frames:v "$frames" -f null -)")
done

per_frame() {
  python3 - "$frames" "$@" <<'PY'
import statistics, sys
frames, *times = sys.argv[1:]
half = len(times) // 2
diffs = [(float(s) - float(b)) / int(frames) * 1000 for s, b in zip(times[:half], times[half:])]
print(f"{statistics.median(diffs):.2f} {min(diffs):.2f} {max(diffs):.2f}")
PY
}
read -r reel_ms reel_lo reel_hi <<<"$(per_frame "${reel_s[@]}" "${reel_b[@]}")"
read -r gst_ms gst_lo gst_hi <<<"$(per_frame "${gst_s[@]}" "${gst_b[@]}")"
read -r ff_ms ff_lo ff_hi <<<"$(per_frame "${ff_s[@]}" "${ff_b[@]}")"
# The whole stage, programme copy included, from Reel's own statistics.
stage_ms=$("$reel" run "$work/scene.toml" 2>&1 | awk '$1 == "presenter" {print $4}')
fps() { python3 -c "print(f'{1000 / $1:.0f}' if $1 > 0 else 'n/a')"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}x' if $2 > 0 else 'n/a')"; }

echo "## $(date -u +%Y-%m-%d) — $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(uname -r)"
echo
echo "A 1280x720 green-screen presenter keyed over a 1920x1080 I420 programme, one core each, $frames frames: CPU ms per frame for keying and compositing (the scene's run minus the same inputs without the presenter; the median of ${ROUNDS:-5} rounds, and the range). Reel's \`dhuman\` stage took $stage_ms ms a frame in all (mean, wall clock, programme copy included)."
echo
echo "| tool | ms per frame | range | frames per second | Reel's throughput against it |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| Reel \`dhuman\` (key found, plate, spill) | $reel_ms | $reel_lo–$reel_hi | $(fps "$reel_ms") | |"
echo "| GStreamer \`alpha\` + \`compositor\` | $gst_ms | $gst_lo–$gst_hi | $(fps "$gst_ms") | $(ratio "$gst_ms" "$reel_ms") |"
echo "| ffmpeg \`chromakey\` + \`despill\` + \`overlay\` | $ff_ms | $ff_lo–$ff_hi | $(fps "$ff_ms") | $(ratio "$ff_ms" "$reel_ms") |"
