#!/usr/bin/env bash
# Prepares what the GPU benchmark carries to the device machine (run here, in the repo root):
#   .carry/deno.xz             this machine's deno binary, xz-compressed
#   .carry/node_modules.tar.xz the kit's node_modules, trimmed: onnxruntime-node for linux-x64
#                              only, transformers.js's node build only, no onnxruntime-web, no
#                              sharp binaries (sharp becomes a stub: text generation never
#                              calls it, transformers.js only imports it)
#   .carry/debs/*.deb          Debian's Vulkan loader (libvulkan1) and GL/EGL dispatch libraries
# Everything stays under 64 MiB together with the working tree. No weights travel: the device
# builds the models with the forge.
set -euo pipefail
cd "$(dirname "$0")/../.."
# (git rev-parse: .git is a file in a worktree)
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx '/.carry/' "$exclude" 2>/dev/null || echo '/.carry/' >> "$exclude"
mkdir -p .carry/debs
deno task setup --quiet >/dev/null 2>&1 || true

if [ ! -s .carry/deno.xz ] || [ "$(command -v deno)" -nt .carry/deno.xz ]; then
  xz -6 -T0 -c "$(command -v deno)" > .carry/deno.xz
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -a node_modules "$stage/"
nm="$stage/node_modules"
# node-llama-cpp (the Ollama stand-in's engine, imported on first use only) is not used by the
# GPU benchmark: its prebuilt binaries alone would exceed the 64 MiB carry.
rm -rf "$nm"/.deno/onnxruntime-web@* "$nm"/.deno/@img+* "$nm"/.deno/@types+node@* \
  "$nm"/.deno/groq-sdk@* "$nm"/.deno/node-llama-cpp@* "$nm"/.deno/@node-llama-cpp+* \
  "$nm"/.bin
ort="$nm/.deno/onnxruntime-node@1.30.0/node_modules/onnxruntime-node"
find "$ort/bin/napi-v6" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
find "$ort/bin/napi-v6/linux" -mindepth 1 -maxdepth 1 ! -name x64 -exec rm -rf {} +
tf="$nm/.deno/@huggingface+transformers@4.3.1/node_modules/@huggingface/transformers"
find "$tf/dist" -type f ! -name transformers.node.mjs -delete
rm -rf "$tf/src" "$tf/types"
sharp="$nm/.deno/sharp@0.35.5/node_modules/sharp"
rm -rf "$sharp/dist" "$sharp/src" "$sharp/lib" "$sharp/install"
mkdir -p "$sharp/dist"
stub='function sharp() { throw new Error("sharp is a stub in the GPU benchmark carry"); }'
echo "$stub export default sharp;" > "$sharp/dist/index.mjs"
echo "$stub module.exports = sharp;" > "$sharp/dist/index.cjs"
rm -rf "$nm"/node-llama-cpp
# Dangling links (packages removed above) would make tar complain on the device.
find "$nm" -xtype l -delete
tar -C "$stage" -cJf .carry/node_modules.tar.xz node_modules

if ! ls .carry/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial
  # shellcheck disable=SC2086
  apt-get $o update >/dev/null
  # shellcheck disable=SC2086
  (cd .carry/debs && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 \
    libglx0 libgles2 >/dev/null)
fi
du -sh .carry/* | sed 's/^/carry: /'
