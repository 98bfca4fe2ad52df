#!/usr/bin/env bash
# Builds the C example into a Reel plugin component:
#   bash sdk/examples/c/build.sh   ->   target/examples/c_invert.wasm
# Needs Debian's clang, lld and wasi-libc (apt), and wit-bindgen-cli 0.46
# and wasm-tools (cargo install; about 20 minutes to build here). The WASI
# preview1 reactor adapter comes from the crate that ships it, in the
# version of the host's wasmtime.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/target/examples/c"
mkdir -p "$out"

adapter_crate=wasi-preview1-component-adapter-provider
adapter=$(ls ~/.cargo/registry/src/*/$adapter_crate-48.*/artefacts/wasi_snapshot_preview1.reactor.wasm 2>/dev/null | head -1 || true)
if [ -z "$adapter" ]; then
  # Fetch the crate once through a throwaway manifest.
  mkdir -p "$out/fetch/src" && touch "$out/fetch/src/lib.rs"
  printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s = "=48.0.8"\n' \
    "$adapter_crate" > "$out/fetch/Cargo.toml"
  cargo fetch --quiet --manifest-path "$out/fetch/Cargo.toml"
  adapter=$(ls ~/.cargo/registry/src/*/$adapter_crate-48.*/artefacts/wasi_snapshot_preview1.reactor.wasm | head -1)
fi

wit-bindgen c --out-dir "$out/gen" --world plugin "$root/sdk/wit" >/dev/null
clang --target=wasm32-wasi -O2 -mexec-model=reactor -I "$out/gen" \
  "$here/invert.c" "$out/gen/plugin.c" "$out/gen/plugin_component_type.o" \
  -o "$out/core.wasm"
wasm-tools component new "$out/core.wasm" --adapt "wasi_snapshot_preview1=$adapter" \
  -o "$root/target/examples/c_invert.wasm"
echo "built $root/target/examples/c_invert.wasm"
