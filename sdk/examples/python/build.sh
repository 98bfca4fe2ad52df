#!/usr/bin/env bash
# Builds the Python example into a Reel plugin component:
#   bash sdk/examples/python/build.sh   ->   target/examples/py_invert.wasm
# componentize-py (a binary wheel from PyPI) is installed once into a
# virtual environment under target/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../../.."
venv="$root/target/python-venv"
if [ ! -x "$venv/bin/componentize-py" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet componentize-py==0.25.1
fi
mkdir -p "$root/target/examples"
cd "$here"
"$venv/bin/componentize-py" -d "$root/sdk/wit" -w plugin componentize stage \
  -o "$root/target/examples/py_invert.wasm" >/dev/null
echo "built $root/target/examples/py_invert.wasm"
