#!/usr/bin/env bash
# Makes photos.mp4: the five photographs here, two seconds each with a
# slow push-in (so there is motion), cut together: a 10-second 640x360
# clip with four scene cuts (at 2, 4, 6 and 8 s), for pipelines/restyle.toml
# and the restyle tests. Needs ffmpeg; the clip is committed, so this
# only documents how it was made.
set -euo pipefail
cd "$(dirname "$0")"
inputs=() filters="" n=0
for photo in coffee.png chelsea.png astronaut.png rocket.jpg hubble_deep_field.jpg; do
  inputs+=(-loop 1 -framerate 25 -t 2 -i "$photo")
  filters+="[$n]scale=1280:720:force_original_aspect_ratio=increase,crop=1280:720,"
  filters+="zoompan=z='1+0.0015*on':d=1:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s=640x360:fps=25,"
  filters+="trim=duration=2,setpts=PTS-STARTPTS,setsar=1[v$n];"
  n=$((n + 1))
done
filters+="[v0][v1][v2][v3][v4]concat=n=5:v=1:a=0,format=yuv420p[out]"
ffmpeg -hide_banner -loglevel error -y "${inputs[@]}" -filter_complex "$filters" -map "[out]" \
  -c:v libx264 -preset slow -crf 24 -g 50 -movflags +faststart photos.mp4
