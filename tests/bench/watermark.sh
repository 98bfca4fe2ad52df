#!/usr/bin/env bash
# Reel's invisible watermark against the PyPI package `invisible-watermark`
# (0.2.0, methods `dwtDct` and `dwtDctSvd`), in one run, on the same frames
# and the same attacks; prints markdown (machine, date, two tables). Not
# part of the test suite. Needs `bash tests/setup.sh` to have run (it
# builds target/release/reel and target/wasm32-wasip2/release/watermark.wasm
# and installs GStreamer with x264); this script builds nothing. It makes a
# bench-only virtualenv at target/bench-venv (BENCH_VENV=DIR for another)
# the first time: `invisible-watermark==0.2.0` without its dependencies,
# then numpy, opencv-python-headless, PyWavelets and Pillow (the package
# imports torch only for its rivaGan method: tests/bench/watermark_iw.py
# puts a stub module in its place, so torch and onnxruntime are not
# installed).
#
#   bash tests/bench/watermark.sh          # about 8 minutes on 2 cores
#   KEYS=1 bash tests/bench/watermark.sh   # Reel with one key: quicker
#
# - The clip: pipelines/media/photos.mp4 scaled to 1920x1080 at 30 fps
#   (GStreamer videoscale and videorate, as tests/all/watermark.rs's
#   source_clip), its first 90 frames (3 s: a shot and, at 2 s, a cut into
#   the next), raw I420. Reel marks all 90 frames. invisible-watermark
#   takes 0.2-0.7 s a frame in Python, so it marks 30 of them (1 s), the
#   frames from 1.5 s to 2.5 s (15 of each shot); Reel marks those 30
#   frames on their own too, which is the same material for both.
#   Payload 0x0123456789abcdef (64 bits) everywhere.
# - Reel: a pipeline (the watermark.wasm stage, a key from `reel watermark
#   keygen`, the payload; sink x264 veryfast CRF 18) run by `reel run`,
#   whose statistics give the stage's mean and p99 ms a frame (the mark
#   alone, on one thread, while x264 encodes) and whose summary line the
#   whole run's frames a second (decode, mark, encode). Each file is read
#   by `reel watermark detect FILE --key-file K --json`: the exact payload
#   or not, and the probability that an unmarked clip reads as well.
#   Reel's mark depends on its key, so Reel runs with KEYS fresh keys (3
#   by default): each cell counts the keys read back exactly. Its speed is
#   the best of those runs (the machine is shared), the PSNR the first's.
# - invisible-watermark: each frame to BGR (OpenCV, BT.601), its
#   WatermarkEncoder().encode(bgr, METHOD) with the 64 bits, back to I420
#   (OpenCV), then x264 as Reel's sink does it (GStreamer x264enc veryfast,
#   constant quality 18, a keyframe every 60 frames, High profile, MP4).
#   Each attacked file is decoded by GStreamer to 1920x1080 I420 (a 720p or
#   480p copy scaled back to 1080p, since the method reads blocks at fixed
#   positions) and every frame read by WatermarkDecoder('bits', 64).decode:
#   the mean share of correct bits, the share of frames read exactly, and a
#   majority vote per bit over the clip's frames (Reel too sums frames).
#   Chance is 50% of bits; the unmarked row shows what each reads there.
#   Both calls single-threaded (OpenCV and BLAS at one thread), timed alone.
# - Attacks, the same for all, from each marked CRF 18 file, GStreamer as
#   tests/all/watermark.rs does them: decodebin, the transform, x264enc
#   veryfast at constant quality (CRF) 23 unless the row says otherwise,
#   MP4. "lossless" is the mark read straight from the marking step
#   (Reel: a CRF 0 4:4:4 encode, whose luma is lossless;
#   invisible-watermark: its output pictures as I420, before x264).
# - PSNR of the marked frames against the unmarked ones, on the same 30
#   frames, luma and RGB (mean over frames, and the worst frame), as I420
#   as the encoder gets it: for Reel the luma of its lossless CRF 0 4:4:4
#   output (it marks luma only; the RGB picture is that luma with the
#   source's chroma); for invisible-watermark the I420 of its marked
#   picture against the I420 of the unmarked picture through the same
#   OpenCV conversions (so the round trip itself is not counted against
#   it; it marks the U channel: luma moves only by rounding).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
reel=${REEL:-$root/target/release/reel}
plugin=${WATERMARK_WASM:-$root/target/wasm32-wasip2/release/watermark.wasm}
venv=${BENCH_VENV:-$root/target/bench-venv}
helper=$root/tests/bench/watermark_iw.py
keys=${KEYS:-3}
for f in "$reel" "$plugin"; do
  [[ -e $f ]] || { echo "$f is missing: run bash tests/setup.sh first" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
load_before=$(cut -d' ' -f1 /proc/loadavg)

if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --no-deps invisible-watermark==0.2.0
  "$venv/bin/pip" install -q numpy opencv-python-headless PyWavelets Pillow
fi
versions=$("$venv/bin/pip" list 2>/dev/null |
  awk 'tolower($1) ~ /^(invisible-watermark|numpy|opencv-python-headless|pywavelets)$/ { printf "%s%s %s", sep, $1, $2; sep = ", " }')
# The helper, single-threaded (OpenCV sets its own; BLAS from these).
iw() { OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "$venv/bin/python" "$helper" "$@"; }

W=1920 H=1080 frame_bytes=$((1920 * 1080 * 3 / 2))
payload=0x0123456789abcdef

# The clip: 90 frames of 1080p30 I420; the 30 frames from 1.5 s.
gst-launch-1.0 -q filesrc location="$root/pipelines/media/photos.mp4" ! decodebin ! videoconvert \
  ! videoscale ! videorate ! "video/x-raw,format=I420,width=$W,height=$H,framerate=30/1" \
  ! identity eos-after=100 ! filesink location="$work/all.yuv"
head -c $((90 * frame_bytes)) "$work/all.yuv" > "$work/clip90.yuv"
dd if="$work/clip90.yuv" of="$work/clip30.yuv" bs=$frame_bytes skip=45 count=30 status=none
rm "$work/all.yuv"
for n in 90 30; do iw y4m "$work/clip$n.yuv" $n "$work/clip$n.y4m"; done

# x264 as Reel's file sink does it, from raw I420.
encode() { # raw.yuv out.mp4
  gst-launch-1.0 -q filesrc location="$1" ! rawvideoparse format=i420 width=$W height=$H framerate=30/1 \
    ! x264enc speed-preset=veryfast pass=qual quantizer=18 key-int-max=60 \
    ! video/x-h264,profile=high ! h264parse ! mp4mux ! filesink location="$2"
}
# A marked file through a transform (may be empty) and x264 at CRF.
attack() { # in.mp4 out.mp4 transform crf
  local transform=()
  # shellcheck disable=SC2206 # the transform is words of a pipeline
  [[ -n $3 ]] && transform=($3 !)
  gst-launch-1.0 -q filesrc location="$1" ! decodebin ! videoconvert ! "${transform[@]}" videoconvert \
    ! x264enc speed-preset=veryfast pass=qual quantizer="$4" ! mp4mux ! filesink location="$2"
}
# Any video file to raw 1920x1080 I420.
raw1080() { # in out.yuv
  gst-launch-1.0 -q filesrc location="$1" ! decodebin ! videoconvert ! videoscale \
    ! "video/x-raw,format=I420,width=$W,height=$H" ! filesink location="$2"
}
# Reel's detector on a file with $key: its JSON report (exit 1 = not found).
detect() { # file out.json
  local code=0
  "$reel" watermark detect "$1" --key-file "$key" --json > "$2" 2>"$work/detect.err" || code=$?
  if ((code > 1)); then
    echo "reel watermark detect $1 failed:" >&2
    cat "$work/detect.err" >&2
    echo '{"error": true}' > "$2"
  fi
}
# Reel marking a clip with $key; sets ms and p99 (the stage, a frame) and
# fps (the whole run).
mark() { # clip.y4m out.mp4 video-settings
  cat > "$work/mark.toml" <<EOF
[[source]]
id = "clip"
file = "$1"
[[stage]]
id = "mark"
plugin = "$plugin"
input = "clip"
key_file = "$key"
params = { payload = "$payload" }
[[sink]]
input = "mark"
file = "$2"
video = $3
EOF
  "$reel" run "$work/mark.toml" > "$work/run.log" 2>&1 || { cat "$work/run.log" >&2; exit 1; }
  read -r ms p99 fps < <(awk '$1 == "mark" { ms = $4 " " $5 }
    / frames in .* fps\)/ { gsub(/[()]/, ""); fps = $(NF - 1) } END { print ms, fps }' "$work/run.log")
}

# The rows: 0 lossless, 1 the CRF 18 file, then the attacks
# (name|transform|crf), and last the unmarked clip.
scale() { echo "videoscale ! video/x-raw,width=$1,height=$2"; }
attacks=(
  "x264 CRF 23||23"
  "x264 CRF 28||28"
  "720p, CRF 23|$(scale 1280 720)|23"
  "480p, CRF 23|$(scale 854 480)|23"
  "480p, CRF 28|$(scale 854 480)|28"
  "brightness +10%|videobalance brightness=0.1|23"
  "contrast x1.2|videobalance contrast=1.2|23"
  "5% crop each side, scaled back|videocrop left=96 right=96 top=54 bottom=54 ! $(scale 1920 1080)|23"
  "30 to 25 fps|videorate ! video/x-raw,framerate=25/1|23"
)
{
  echo "lossless (the marking step's own output)"
  echo "none (the CRF 18 encode)"
  for a in "${attacks[@]}"; do echo "${a%%|*}"; done
  echo "unmarked clip, CRF 18 (control)"
} > "$work/rows"
last=$((${#attacks[@]} + 2))
r=$work/results
mkdir -p "$r"

# Reel, for each key: lossless first (which also fills the compile cache,
# so the timed run does not compile), then CRF 18, each of 90 frames and
# of 30; every file read back, and the attacks.
for n in 90 30; do encode "$work/clip$n.yuv" "$work/unmarked$n.mp4"; done
embed_ms="" embed_p99="" run_fps="" detect_s=""
for ((k = 1; k <= keys; k++)); do
  key=$work/key$k
  "$reel" watermark keygen --out "$key" >/dev/null 2>&1
  for n in 90 30; do
    out=reel${n}_k$k
    mark "$work/clip$n.y4m" "$work/${out}_lossless.mp4" '{ preset = "veryfast", crf = 0, pixel_format = "yuv444p" }'
    mark "$work/clip$n.y4m" "$work/$out.mp4" '{ preset = "veryfast", crf = 18 }'
    detect "$work/${out}_lossless.mp4" "$r/${out}_0.json"
    start=$(date +%s.%N)
    detect "$work/$out.mp4" "$r/${out}_1.json"
    if [[ $n == 90 ]]; then
      took=$(python3 -c "print($(date +%s.%N) - $start)")
      if [[ -z $embed_ms ]] || awk "BEGIN { exit !($ms < $embed_ms) }"; then
        embed_ms=$ms embed_p99=$p99 run_fps=$fps
      fi
      if [[ -z $detect_s ]] || awk "BEGIN { exit !($took < $detect_s) }"; then detect_s=$took; fi
    fi
    detect "$work/unmarked$n.mp4" "$r/${out}_$last.json"
    i=2
    for a in "${attacks[@]}"; do
      IFS='|' read -r _ transform crf <<<"$a"
      attack "$work/$out.mp4" "$work/attacked.mp4" "$transform" "$crf"
      detect "$work/attacked.mp4" "$r/${out}_$i.json"
      i=$((i + 1))
    done
  done
  if ((k == 1)); then
    raw1080 "$work/reel30_k1_lossless.mp4" "$work/reel30_lossless.yuv"
    iw psnr "$work/clip30.yuv" "$work/reel30_lossless.yuv" 30 "$r/reel_psnr.json"
  fi
done
cat > "$r/reel_speed.json" <<EOF
{"embed_ms": $embed_ms, "embed_p99": $embed_p99, "run_fps": $run_fps, "detect_s": $detect_s, "detect_frames": 90}
EOF

# invisible-watermark: mark the 30 frames, encode; read its own output,
# the CRF 18 file, the unmarked clip, and the attacks.
methods=(dwtDct dwtDctSvd)
raw1080 "$work/unmarked30.mp4" "$work/unmarked30_dec.yuv"
for m in "${methods[@]}"; do
  iw embed "$m" "$work/clip30.yuv" 30 "$work/$m.yuv" "$r/${m}_embed.json"
  iw decode "$m" "$work/$m.yuv" "$r/${m}_0.json"
  encode "$work/$m.yuv" "$work/$m.mp4"
  raw1080 "$work/$m.mp4" "$work/dec.yuv"
  iw decode "$m" "$work/dec.yuv" "$r/${m}_1.json"
  iw decode "$m" "$work/unmarked30_dec.yuv" "$r/${m}_$last.json"
  i=2
  for a in "${attacks[@]}"; do
    IFS='|' read -r _ transform crf <<<"$a"
    attack "$work/$m.mp4" "$work/attacked.mp4" "$transform" "$crf"
    raw1080 "$work/attacked.mp4" "$work/dec.yuv"
    iw decode "$m" "$work/dec.yuv" "$r/${m}_$i.json"
    i=$((i + 1))
  done
done

elapsed=$(($(date +%s) - started))
echo "## $(date -u +%Y-%m-%d) — $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(uname -r)"
echo
echo "Invisible watermark: Reel against invisible-watermark ($versions), 64-bit payload $payload,"
echo "1920x1080 at 30 fps from photos.mp4 (a cut at 2 s); Reel with $keys fresh keys; attacks with GStreamer"
echo "and x264 veryfast; the whole run took ${elapsed} s (load average $load_before at the start, $(cut -d' ' -f1 /proc/loadavg) at the end)."
echo
METHODS="${methods[*]}" KEYS=$keys iw report "$r" "$work/rows"
