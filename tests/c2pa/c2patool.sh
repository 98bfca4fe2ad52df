#!/usr/bin/env bash
# Checks out/watermark.mp4 (from `reel run pipelines/watermark.toml`) with
# c2patool, the C2PA command-line validator: valid as written, trusted with
# the demo registry's issuer as trust anchor, invalid after one byte of
# video changes. Not part of the test suite (c2patool takes ~9 minutes to
# build here; the tests validate with c2pa-python instead). c2patool
# 0.27.22 is the last release that builds with Rust 1.95.
set -euo pipefail
cd "$(dirname "$0")/../.."
tool=target/tools/bin/c2patool
[ -x "$tool" ] || cargo install --locked --quiet c2patool@0.27.22 --root target/tools
[ -f out/watermark.mp4 ] || target/release/reel run pipelines/watermark.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
state() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("validation_state"), " ".join(s["code"] for s in d.get("validation_status", [])))'; }
target/release/reel asset issuer --signing-key pipelines/keys/demo-registry.key 2>/dev/null > "$work/issuer.pem"
python3 - "$work/changed.mp4" <<'PY'
import sys
b = bytearray(open("out/watermark.mp4", "rb").read())
b[b.find(b"mdat") + 5000] ^= 1
open(sys.argv[1], "wb").write(b)
PY
echo "as written:        $("$tool" out/watermark.mp4 | state)"
echo "issuer trusted:    $("$tool" out/watermark.mp4 trust --trust_anchors "$work/issuer.pem" | state)"
echo "one byte changed:  $("$tool" "$work/changed.mp4" | state)"
