#!/usr/bin/env bash
# How Reel's invisible watermark fares across keys at the hardest attacks:
# re-encoding combined with downscaling. The mark's patterns come from its
# key, so one key reading back proves little; this marks the same clip
# with KEYS fresh keys (100 by default) and counts, for each attack, the
# keys whose exact 64-bit payload `reel watermark detect` reads back, with
# the lowest sync score among them (the detector needs 5.5). Prints
# markdown (machine, date, one table). Not part of the test suite; needs
# `bash tests/setup.sh` to have run (it builds target/release/reel and the
# watermark plugin); builds nothing.
#
#   bash tests/bench/watermark_keys.sh          # about 20 minutes on 2 cores
#   KEYS=10 bash tests/bench/watermark_keys.sh
#
# The clip and attacks are those of tests/all/watermark.rs and
# tests/bench/watermark.sh: photos.mp4 as 90 frames (3 s, a cut at 2 s) of
# 1920x1080 at 30 fps, marked by `reel run` (x264 veryfast CRF 18), then
# decoded, scaled by GStreamer `videoscale` and re-encoded by x264
# veryfast at the CRF the row names.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
reel=${REEL:-$root/target/release/reel}
plugin=${WATERMARK_WASM:-$root/target/wasm32-wasip2/release/watermark.wasm}
keys=${KEYS:-100}
for f in "$reel" "$plugin"; do
  [[ -e $f ]] || { echo "$f is missing: run bash tests/setup.sh first" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
load_before=$(cut -d' ' -f1 /proc/loadavg)
payload=0x0123456789abcdef

gst-launch-1.0 -q filesrc location="$root/pipelines/media/photos.mp4" ! decodebin ! videoconvert \
  ! videoscale ! videorate ! "video/x-raw,format=I420,width=1920,height=1080,framerate=30/1" \
  ! identity eos-after=90 ! x264enc speed-preset=veryfast pass=qual quantizer=12 key-int-max=90 \
  ! mp4mux ! filesink location="$work/clip.mp4"

# name|width|height|crf
attacks=(
  "1080p, CRF 28|1920|1080|28"
  "720p, CRF 23|1280|720|23"
  "720p, CRF 28|1280|720|28"
  "480p, CRF 23|854|480|23"
  "480p, CRF 28|854|480|28"
)
declare -A read lowest
for ((k = 1; k <= keys; k++)); do
  key=$work/key
  rm -f "$key"
  "$reel" watermark keygen --out "$key" >/dev/null 2>&1
  cat > "$work/mark.toml" <<EOF
[[source]]
id = "clip"
file = "$work/clip.mp4"
[[stage]]
id = "mark"
plugin = "$plugin"
input = "clip"
key_file = "$key"
params = { payload = "$payload" }
[[sink]]
input = "mark"
file = "$work/marked.mp4"
video = { preset = "veryfast", crf = 18 }
EOF
  rm -f "$work/marked.mp4"
  "$reel" run "$work/mark.toml" > "$work/run.log" 2>&1 || { cat "$work/run.log" >&2; exit 1; }
  for a in "${attacks[@]}"; do
    IFS='|' read -r name w h crf <<<"$a"
    gst-launch-1.0 -q filesrc location="$work/marked.mp4" ! decodebin ! videoconvert ! videoscale \
      ! "video/x-raw,width=$w,height=$h" ! videoconvert \
      ! x264enc speed-preset=veryfast pass=qual quantizer="$crf" ! mp4mux \
      ! filesink location="$work/attacked.mp4"
    "$reel" watermark detect "$work/attacked.mp4" --key-file "$key" --json > "$work/report.json" 2>/dev/null || true
    read -r got score < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r.get("payload") == sys.argv[2], r.get("score", 0))' "$work/report.json" "$payload")
    if [[ $got == True ]]; then
      read[$name]=$((${read[$name]:-0} + 1))
      if [[ -z ${lowest[$name]:-} ]] || awk "BEGIN { exit !($score < ${lowest[$name]}) }"; then lowest[$name]=$score; fi
    fi
  done
done

echo "## $(date -u +%Y-%m-%d) — $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(uname -r)"
echo
echo "The invisible watermark across $keys fresh keys (\`bash tests/bench/watermark_keys.sh\`), payload $payload,"
echo "1920x1080 at 30 fps from photos.mp4, marked at CRF 18; $(($(date +%s) - started)) s in all (load average"
echo "$load_before at the start, $(cut -d' ' -f1 /proc/loadavg) at the end)."
echo
echo "| attack | keys read back exactly | lowest score of those read (threshold 5.5) |"
echo "|---|---|---|"
for a in "${attacks[@]}"; do
  name=${a%%|*}
  printf '| %s | %d / %d | %s |\n' "$name" "${read[$name]:-0}" "$keys" "$(printf '%.1f' "${lowest[$name]:-0}")"
done
