#!/usr/bin/env bash
# The `avatar` plugin's speed (issue 9's goals): prints markdown (machine,
# date, two tables). Not part of the test suite; needs `bash
# tests/setup.sh` to have run; builds nothing.
#
#   bash tests/bench/avatar.sh           # about 3 minutes on 2 cores
#
# 1. One core: a 1920x1080 30 fps programme (videotestsrc smpte, with a
#    tone: the avatar follows its sound) with the avatar 720 rows high over
#    it, 300 frames, null sink; the stage's mean and p99 ms a frame from
#    `reel run`'s statistics (the plugin's whole call: lip sync, the face
#    warp, the host's resample to 720 rows and blend onto the frame). The
#    median of 3 runs, for `look = "portrait"` (astronaut.png, 512x512)
#    and `look = "procedural"`.
# 2. The machine: N copies of a 1280x720 30 fps pipeline with the portrait
#    avatar (480 rows high), 300 frames each, run at once as separate
#    `reel run` processes sharing the compiled plugin (Reel's compile
#    cache): each one's frames a second, the slowest of them. A copy keeps
#    real time while the slowest is at least 30 fps.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
reel=${REEL:-$root/target/release/reel}
[[ -x $reel ]] || { echo "$reel is missing: run bash tests/setup.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
load_before=$(cut -d' ' -f1 /proc/loadavg)

pipeline() { # file size height look
  cat > "$1" <<TOML
[[source]]
id = "programme"
testsrc = { pattern = "smpte", size = "$2", rate = 30, seconds = 10 }

[[stage]]
id = "presenter"
plugin = "avatar"
input = "programme"
assets = "$root/pipelines/media"
params = { look = "$4", portrait = "astronaut.png", height = $3 }

[[sink]]
input = "presenter"
null = true
TOML
}

echo "## $(date -u +%Y-%m-%d) — $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(uname -r)"
echo
echo "| look | stage ms a frame (median of 3) | p99 | frames a second |"
echo "|---|---:|---:|---:|"
for look in portrait procedural; do
  pipeline "$work/one.toml" 1920x1080 0.6667 "$look"
  runs=()
  for _ in 1 2 3; do
    line=$("$reel" run "$work/one.toml" 2>&1 | awk '$1 == "presenter" { print $4, $5 }')
    runs+=("$line")
  done
  read -r ms p99 < <(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
  awk -v l="$look" -v m="$ms" -v p="$p99" 'BEGIN { printf "| %s | %s | %s | %.0f |\n", l, m, p, 1000 / m }'
done
echo
echo "| 720p30 pipelines at once | slowest pipeline's frames a second | real time |"
echo "|---:|---:|---|"
pipeline "$work/many.toml" 1280x720 0.6667 portrait
"$reel" run "$work/many.toml" > /dev/null 2>&1   # fills the compile cache
for n in 1 2 4 8 12 14 16 18 20 24; do
  for ((i = 0; i < n; i++)); do
    "$reel" run "$work/many.toml" > "$work/run$i.log" 2>&1 &
  done
  wait
  slowest=$(for ((i = 0; i < n; i++)); do
    sed -n 's/.* frames in .* (\([0-9.]*\) fps).*/\1/p' "$work/run$i.log"
  done | sort -n | head -1)
  real=$(awk "BEGIN { print ($slowest >= 30) ? \"yes\" : \"no\" }")
  echo "| $n | $slowest | $real |"
  [[ $real == yes ]] || break
done
echo
echo "$(($(date +%s) - started)) s in all; load average $load_before at the start, $(cut -d' ' -f1 /proc/loadavg) at the end."
