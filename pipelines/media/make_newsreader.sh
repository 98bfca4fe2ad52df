#!/usr/bin/env bash
# Makes newsreader.mp4: photos.mp4's pictures with a news bulletin read by
# espeak-ng (voice en, 175 words a minute) as its sound, 10 s, AAC in MP4:
# the programme pipelines/avatar.toml's presenter talks along with. Needs
# espeak-ng and ffmpeg; the clip is committed, so this only documents how
# it was made.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
espeak-ng -w "$work/speech.wav" "Good evening. Here is the news at six. The river rose again tonight, \
and the bridge is closed until morning. Oh, and the weather: sunny, with a cool breeze."
ffmpeg -hide_banner -loglevel error -y -i photos.mp4 -i "$work/speech.wav" -map 0:v -map 1:a \
  -c:v copy -af "apad,aresample=48000" -ac 2 -c:a aac -b:a 96k -t 10 -movflags +faststart newsreader.mp4
