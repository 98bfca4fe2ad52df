#!/usr/bin/env bash
# The newsroom graphics scene, the same in three tools, one core each
# (`taskset -c 0`), in one run; prints markdown (machine, date, table).
# Not part of the test suite.
#
#   tests/bench/composite.sh            # 300 frames a run
#   FRAMES=100 tests/bench/composite.sh # quicker, noisier
#
# The scene: a 1920x1080 I420 programme; a picture-in-picture scaled to
# 480x270 from a second 1920x1080 input, with a border; a 200x72 PNG logo
# with alpha; a bilingual lower-third (Noto Sans CJK SC from assets/fonts,
# Chinese and English, on a translucent box).
# The two videos are raw YUV4MPEG files the script makes first (ffmpeg's
# SMPTE bars and its moving test pattern), read by each tool from the page
# cache: generating 1080p test patterns in the run cost GStreamer's
# `videotestsrc` about 17 ms a frame, which buried the few milliseconds of
# graphics in the noise of the subtraction below.
# - Reel: `reel run` of the pipeline below into a null sink, the
#   `composite` plugin doing the scene (its lower-third animated in).
# - GStreamer: `compositor` (the PiP scaled by its pad, the logo through
#   `imagefreeze`) then `textoverlay` (Pango, the same font through a
#   fontconfig file) into `fakesink`.
# - ffmpeg: `scale` + `overlay` + `overlay` + `drawbox` + two `drawtext`
#   (the same font file) into `-f null`, `-threads 1 -filter_threads 1`.
# Each tool's number is the CPU time (user + system, all on the one core)
# of the scene minus that of the same inputs through the same tool without
# the graphics, per frame:
# Reel's `composite` stage with no layers (the programme copied into the
# output), GStreamer's `compositor` with the programme alone (the other
# inputs into fakesinks), ffmpeg decoding the inputs into its null muxer.
# So it is the cost of the graphics; each tool's cost of getting frames
# in and out is in both runs. (Reel's stage with its null sinks per input
# cost more than the scene itself: three sinks are not one mixer.)
# ROUNDS rounds (5 by default), each running every command once, back to
# back; a tool's number is the median over rounds of its scene minus its
# baseline in the same round: the machine's speed drifts over minutes,
# and a round's pair sees it alike. Wall clock swung between two modes for
# Reel, by 1.5 ms a frame; CPU time does not count waiting.
# The lower-third of the other two tools is static: they have no animation
# short of scripting, so they are charged a little less than Reel.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
frames=${FRAMES:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reel=target/release/reel
font_bold="$root/assets/fonts/NotoSansSC-Bold.otf"
font_regular="$root/assets/fonts/NotoSansSC-Regular.otf"
logo="$root/pipelines/media/logo.png"
seconds=$(python3 -c "print($frames / 25)")

# The two videos, the same for every tool.
for clip in "programme smptehdbars" "guest testsrc2"; do
  set -- $clip
  ffmpeg -hide_banner -loglevel error -f lavfi \
    -i "$2=size=1920x1080:rate=25:duration=$seconds,format=yuv420p" -f yuv4mpegpipe "$work/$1.y4m"
done

# Reel: the scene, and the same sources into null sinks.
cat > "$work/scene.toml" <<EOF
[[source]]
id = "programme"
file = "$work/programme.y4m"
[[source]]
id = "guest"
file = "$work/guest.y4m"
[[source]]
id = "logo"
images = { file = "$logo", rate = 25, seconds = $seconds }
[[stage]]
id = "gfx"
plugin = "composite"
inputs = ["programme", "guest", "logo"]
assets = "fonts"
[[stage.params.layers]]
input = "guest"
x = 1380
y = 60
width = 480
height = 270
border = { width = 4, color = "#ffffff" }
[[stage.params.layers]]
input = "logo"
x = 60
y = 40
[[stage.params.lower_thirds]]
title = "李明 Li Ming"
subtitle = "新闻主播 · News anchor"
x = 96
y = 820
width = 760
title_size = 56
subtitle_size = 38
duration = 0.5
[[sink]]
input = "gfx"
null = true
EOF
# The baseline: the same inputs through the same stage with no graphics
# (the programme copied into the output).
sed '/^\[\[stage.params/,/^\[\[sink\]\]/{/^\[\[sink\]\]/!d}' "$work/scene.toml" > "$work/sources.toml"

# GStreamer: compositor + textoverlay, and the same sources alone.
cat > "$work/fonts.conf" <<EOF
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>$root/assets/fonts</dir>
  <cachedir>$work/fc-cache</cachedir>
</fontconfig>
EOF
export FONTCONFIG_FILE="$work/fonts.conf"
caps="video/x-raw,format=I420,width=1920,height=1080,framerate=25/1"
logo_caps="video/x-raw,format=AYUV,framerate=25/1"
gst_sources=(filesrc location="$work/programme.y4m" ! y4mdec ! "$caps" ! queue ! m.sink_0
  filesrc location="$work/guest.y4m" ! y4mdec ! "$caps" ! queue ! m.sink_1
  filesrc location="$logo" ! pngdec ! imagefreeze num-buffers="$frames" ! videoconvert ! "$logo_caps" ! queue ! m.sink_2)
gst_scene=(compositor name=m background=black
    sink_1::xpos=1380 sink_1::ypos=60 sink_1::width=480 sink_1::height=270
    sink_2::xpos=60 sink_2::ypos=40
  ! textoverlay "text=李明 Li Ming" "font-desc=Noto Sans CJK SC Bold 42"
    valignment=top halignment=left deltax=114 deltay=838 shaded-background=true
  ! textoverlay "text=新闻主播 · News anchor" "font-desc=Noto Sans CJK SC 28"
    valignment=top halignment=left deltax=114 deltay=916
  ! fakesink sync=false "${gst_sources[@]}")
gst_base=(compositor name=m background=black ! fakesink sync=false
  filesrc location="$work/programme.y4m" ! y4mdec ! "$caps" ! queue ! m.sink_0
  filesrc location="$work/guest.y4m" ! y4mdec ! "$caps" ! fakesink sync=false
  filesrc location="$logo" ! pngdec ! imagefreeze num-buffers="$frames" ! videoconvert ! "$logo_caps" ! fakesink sync=false)

# ffmpeg: overlay + drawtext, and the same inputs alone.
ff_inputs=(-i "$work/programme.y4m" -i "$work/guest.y4m"
  -loop 1 -framerate 25 -t "$seconds" -i "$logo")
ff_scene="[1]scale=480:270:flags=bicubic,pad=488:278:4:4:white[p];[0][p]overlay=1376:56[a];[a][2]overlay=60:40[b];\
[b]drawbox=x=96:y=820:w=760:h=170:color=0x0c2454@0.85:t=fill,\
drawtext=fontfile=$font_bold:text='李明 Li Ming':fontsize=56:fontcolor=white:x=114:y=838,\
drawtext=fontfile=$font_regular:text='新闻主播 · News anchor':fontsize=38:fontcolor=white:x=114:y=916[out]"

# SNAPSHOT=DIR: also write one frame of each tool's scene there, to look at.
if [ -n "${SNAPSHOT:-}" ]; then
  mkdir -p "$SNAPSHOT"
  sed 's|^null = true|file = "'"$SNAPSHOT"'/reel.mkv"|' "$work/scene.toml" > "$work/snap.toml"
  "$reel" run "$work/snap.toml" >/dev/null 2>&1
  gst-launch-1.0 -q filesrc location="$SNAPSHOT/reel.mkv" ! matroskademux ! avdec_h264 ! videoconvert \
    ! videorate ! video/x-raw,framerate=1/1 ! pngenc snapshot=false ! multifilesink location="$SNAPSHOT/reel_%d.png"
  snap_gst=("${gst_scene[@]}")
  snap_gst[${#snap_gst[@]}]=""
  gst-launch-1.0 -q "${gst_scene[@]/fakesink sync=false/videoconvert ! pngenc snapshot=true ! filesink location=$SNAPSHOT/gst.png}" >/dev/null 2>&1 || true
  ffmpeg -hide_banner -loglevel error -y "${ff_inputs[@]}" -filter_complex "$ff_scene" -map "[out]" -frames:v 1 "$SNAPSHOT/ffmpeg.png"
fi
# CPU seconds (user + system) a command takes: on one core, the work done,
# without the waits and hand-offs that make wall clock swing.
cpu() {
  /usr/bin/time -f "%U %S" -o "$work/time" taskset -c 0 "$@" >/dev/null 2>"$work/err" || fail "$1"
  python3 -c "u, s = open('$work/time').read().split()[-2:]; print(float(u) + float(s))"
}
fail() { echo "$1 failed:" >&2; cat "$work/err" >&2; exit 1; }
declare -a reel_s reel_b gst_s gst_b ff_s ff_b
for ((round = 0; round < ${ROUNDS:-5}; round++)); do
  reel_s+=("$(cpu "$reel" run "$work/scene.toml")")
  reel_b+=("$(cpu "$reel" run "$work/sources.toml")")
  gst_s+=("$(cpu gst-launch-1.0 -q "${gst_scene[@]}")")
  gst_b+=("$(cpu gst-launch-1.0 -q "${gst_base[@]}")")
  ff_s+=("$(cpu ffmpeg -hide_banner -loglevel error -threads 1 -filter_threads 1 \
    "${ff_inputs[@]}" -filter_complex "$ff_scene" -map "[out]" -frames:v "$frames" -f null -)")
  ff_b+=("$(cpu ffmpeg -hide_banner -loglevel error -threads 1 -filter_threads 1 \
    "${ff_inputs[@]}" -map 0 -map 1 -map 2 -frames:v "$frames" -f null -)")
done

# The median over rounds of (scene - baseline), in ms per frame, then the
# least and the most.
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
fps() { python3 -c "print(f'{1000 / $1:.0f}' if $1 > 0 else 'n/a')"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}x' if $2 > 0 else 'n/a')"; }

echo "## $(date -u +%Y-%m-%d) — $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(uname -r)"
echo
echo "Newsroom scene at 1920x1080 I420, one core each, $frames frames: CPU ms per frame for the graphics (the scene's run minus the same inputs through the tool without graphics; the median of ${ROUNDS:-5} rounds, and the range)."
echo
echo "| tool | ms per frame | range | frames per second | Reel's throughput against it |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| Reel \`composite\` (PiP, logo, animated bilingual lower-third) | $reel_ms | $reel_lo–$reel_hi | $(fps "$reel_ms") | |"
echo "| GStreamer \`compositor\` + \`textoverlay\` | $gst_ms | $gst_lo–$gst_hi | $(fps "$gst_ms") | $(ratio "$gst_ms" "$reel_ms") |"
echo "| ffmpeg \`overlay\` + \`drawbox\` + \`drawtext\` | $ff_ms | $ff_lo–$ff_hi | $(fps "$ff_ms") | $(ratio "$ff_ms" "$reel_ms") |"
