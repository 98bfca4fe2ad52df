#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine for Reel and builds everything:
# GStreamer (development files, plugins, tools), the wasm32-wasip2 Rust
# target, the host (release profile, the only one used) and the plugins.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-x
  python3 python3-venv
  ffmpeg espeak-ng
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

rustup target add wasm32-wasip2 >/dev/null

echo "setup: building the host (release)"
cargo build --release --quiet
echo "setup: building the plugins (wasm32-wasip2)"
cargo build --release --quiet --target wasm32-wasip2 \
  -p reel-plugin-passthrough -p reel-plugin-invert -p reel-plugin-imagedec -p reel-plugin-lut \
  -p reel-plugin-composite -p reel-plugin-restyle -p reel-plugin-watermark \
  -p reel-plugin-dhuman -p reel-plugin-avatar
# Misbehaving plugins for the sandbox tests, kept off the plugin path.
cargo build --release --quiet --target wasm32-wasip2 --target-dir target/test-plugins \
  -p reel-test-plugin-hostile -p reel-test-plugin-wrong-version -p reel-test-plugin-testmix \
  -p reel-test-plugin-slow-describe -p reel-test-plugin-huge-describe \
  -p reel-test-plugin-band -p reel-test-plugin-soundmeter
echo "setup: building the SDK's Python example (componentize-py)"
bash sdk/examples/python/build.sh >/dev/null
# The independent C2PA reader the Content Credentials tests validate with.
if ! target/test-venv/bin/python -c "import c2pa" 2>/dev/null; then
  echo "setup: installing c2pa-python in target/test-venv"
  python3 -m venv target/test-venv
  target/test-venv/bin/pip install --quiet "c2pa-python==0.38.1"
fi
echo "setup: done (plugins in target/wasm32-wasip2/release, GStreamer plugin in target/release)"
