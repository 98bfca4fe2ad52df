#!/usr/bin/env bash
# The `restyle` plugin (colour mode) at 1080p against ffmpeg's `lut3d`
# (tetrahedral) with the same look exported as a .cube, in one run; its
# `paint` and `toon` modes; and training on 50 twelve-megapixel images. Prints markdown. Not part of the
# test suite.
#
#   tests/bench/restyle.sh
#
# - The clip: pipelines/media/photos.mp4 (five shots, four cuts) scaled to
#   1920x1080, 250 frames of raw YUV4MPEG (I420), made first (chroma
#   sited as JPEG's: GStreamer 1.22's y4mdec refuses ffmpeg's `420mpeg2`).
# - Reel: `reel run` of the clip through `restyle` (style
#   assets/styles/film.style) into a null sink; its statistics give the
#   stage's mean and 99th-percentile milliseconds per frame (one call, on
#   one thread: the fits at each cut included). The same for the `lut`
#   plugin with the exported .cube (the host's YUV LUT kernel alone).
# - ffmpeg: `-threads 1 -filter_threads 1 -benchmark`, the clip through
#   `-vf lut3d=file=look.cube:interp=tetrahedral` into `-f null`, rtime
#   minus that of the same command without `-vf`, per frame. lut3d works
#   on planar RGB, so the conversions its graph inserts stay in its
#   number (Reel's restyle has none: it grades I420 itself).
#   Each the best of 3 rounds.
# - `paint` and `toon` modes: the same clip through `restyle` with
#   `mode = "paint"` and `mode = "toon"` (the stage's wall ms per frame,
#   the host's Kuwahara kernel on up to two threads), beside ffmpeg's
#   nearest filters (`bilateral`, edge-preserving smoothing;
#   `edgedetect=mode=colormix`, a cartoon-like look) on one thread: not
#   the same looks, for scale only.
# - Training: 50 JPEGs of 4000x3000 (crops of the five photographs,
#   scaled up, hue-shifted so they differ), `reel style train` wall clock.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
reel=$root/target/release/reel
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clip=$work/clip.y4m
ffmpeg -hide_banner -loglevel error -i pipelines/media/photos.mp4 -vf scale=1920:1080 -chroma_sample_location center \
  -pix_fmt yuv420p -f yuv4mpegpipe "$clip"
"$reel" style export-cube assets/styles/film.style --reference pipelines/media/photos.mp4 --out "$work/look.cube" >/dev/null
mkdir -p "$work/looks"
cp "$work/look.cube" assets/styles/film.style "$work/looks/"

pipeline() { # plugin params [name]
  local name=${3:-$1}
  cat > "$work/$name.toml" <<EOF
[[source]]
id = "clip"
file = "$clip"
[[stage]]
id = "look"
plugin = "$1"
input = "clip"
assets = "$work/looks"
params = $2
[[sink]]
input = "look"
null = true
EOF
  echo "$work/$name.toml"
}
restyle_toml=$(pipeline restyle '{ style = "film.style" }')
lut_toml=$(pipeline lut '{ file = "look.cube" }')
paint_toml=$(pipeline restyle '{ style = "film.style", mode = "paint" }' paint)
toon_toml=$(pipeline restyle '{ style = "film.style", mode = "toon" }' toon)
# The stage's mean and p99 ms from `reel run`'s statistics.
stage_ms() {
  "$reel" run "$1" 2>&1 | awk '$1 == "look" { print $4, $5 }'
}
ffmpeg_rtime() { # [vf]
  local vf=()
  [[ -n ${1:-} ]] && vf=(-vf "$1")
  taskset -c 0 ffmpeg -hide_banner -nostdin -benchmark -threads 1 -filter_threads 1 \
    -i "$clip" "${vf[@]}" -f null - 2>&1 | sed -n 's/.*rtime=\([0-9.]*\)s.*/\1/p'
}
min() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }
declare -a rs_mean rs_p99 lut_mean ff_lut ff_base paint_mean toon_mean ff_bilateral ff_edges
for round in 1 2 3; do
  read -r m p <<<"$(stage_ms "$restyle_toml")"; rs_mean+=("$m"); rs_p99+=("$p")
  read -r m _ <<<"$(stage_ms "$lut_toml")"; lut_mean+=("$m")
  read -r m _ <<<"$(stage_ms "$paint_toml")"; paint_mean+=("$m")
  read -r m _ <<<"$(stage_ms "$toon_toml")"; toon_mean+=("$m")
  ff_lut+=("$(ffmpeg_rtime "lut3d=file=$work/look.cube:interp=tetrahedral")")
  ff_bilateral+=("$(ffmpeg_rtime "bilateral=sigmaS=10:sigmaR=0.1")")
  ff_edges+=("$(ffmpeg_rtime "edgedetect=mode=colormix:high=0.2")")
  ff_base+=("$(ffmpeg_rtime)")
done
frames=250
per_frame() { python3 -c "print(f'{($(min "${@:2}") - $1) / $frames * 1000:.2f}')"; }
base=$(min "${ff_base[@]}")
ff_ms=$(per_frame "$base" "${ff_lut[@]}")
ff_bilateral_ms=$(per_frame "$base" "${ff_bilateral[@]}")
ff_edges_ms=$(per_frame "$base" "${ff_edges[@]}")
paint=$(min "${paint_mean[@]}")
toon=$(min "${toon_mean[@]}")
rs=$(min "${rs_mean[@]}")
lut=$(min "${lut_mean[@]}")

# Training: 50 images of 12 megapixels.
mkdir -p "$work/big"
n=0
for photo in coffee.png chelsea.png astronaut.png rocket.jpg hubble_deep_field.jpg; do
  for k in 0 1 2 3 4 5 6 7 8 9; do
    n=$((n + 1))
    ffmpeg -hide_banner -loglevel error -i "pipelines/media/$photo" \
      -vf "crop=iw*0.8:ih*0.8:iw*0.02*$k:ih*0.02*$k,scale=4000:3000,hue=h=$((k * 12))" \
      -q:v 3 "$work/big/$n.jpg"
  done
done
start=$(date +%s.%N)
"$reel" style train --images "$work/big" --out "$work/big.style" >/dev/null
train_s=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")

echo "## $(date -u +%Y-%m-%d) — $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(uname -r)"
echo
echo "Restyle, colour mode, 1920x1080 I420 (photos.mp4 scaled, 250 frames, four cuts), one thread, ms per frame (best of 3 runs):"
echo
echo "| what | ms per frame | frames per second | against ffmpeg |"
echo "| --- | ---: | ---: | ---: |"
echo "| Reel \`restyle\` (fits at each cut included; 99th percentile $(min "${rs_p99[@]}") ms) | $rs | $(python3 -c "print(f'{1000 / $rs:.0f}')") | $(python3 -c "print(f'{$ff_ms / $rs:.1f}x')") |"
echo "| Reel \`lut\` with the exported .cube | $lut | $(python3 -c "print(f'{1000 / $lut:.0f}')") | $(python3 -c "print(f'{$ff_ms / $lut:.1f}x')") |"
echo "| ffmpeg \`lut3d\` tetrahedral, the exported .cube | $ff_ms | $(python3 -c "print(f'{1000 / $ff_ms:.0f}')") | 1x |"
echo
echo "Training on 50 JPEGs of 4000x3000: $train_s s wall clock (\`reel style train\`, $(nproc) cores)."
echo
echo "Restyle, \`paint\` and \`toon\` modes, the same clip (the stage's wall ms per frame, best of 3; \`paint\`'s Kuwahara kernel uses up to two threads), beside the nearest ffmpeg filters on one thread (not the same looks: ffmpeg has no Kuwahara or XDoG):"
echo
echo "| what | ms per frame | frames per second |"
echo "| --- | ---: | ---: |"
echo "| Reel \`restyle\` \`paint\`, film.style | $paint | $(python3 -c "print(f'{1000 / $paint:.0f}')") |"
echo "| Reel \`restyle\` \`toon\` | $toon | $(python3 -c "print(f'{1000 / $toon:.0f}')") |"
echo "| ffmpeg \`bilateral=sigmaS=10:sigmaR=0.1\` (edge-preserving smoothing) | $ff_bilateral_ms | $(python3 -c "print(f'{1000 / $ff_bilateral_ms:.0f}')") |"
echo "| ffmpeg \`edgedetect=mode=colormix\` (a cartoon-like look) | $ff_edges_ms | $(python3 -c "print(f'{1000 / $ff_edges_ms:.0f}')") |"
