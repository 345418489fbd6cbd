#!/usr/bin/env bash
# The GPU benchmark in one command on the device machine (no network there), from the repo
# root with .carry/ carried (prepared here with `deno task bench-gpu --prepare-carry`):
#   bash lib/bench/gpu_device.sh [bench_gpu.ts options]
# Unpacks Debian's Vulkan loader into / (the NVIDIA Vulkan driver is already there), the
# deno binary and the trimmed node_modules, then runs scripts/bench_gpu.ts with npm pointed
# at a closed port: nothing is fetched, everything runs from what was carried.
set -euo pipefail
cd "$(dirname "$0")/../.."
for f in .carry/debs/*.deb; do dpkg -x "$f" /; done
ldconfig
if [ ! -e /usr/share/vulkan/icd.d/nvidia_icd.json ] && [ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
mkdir -p /tmp/bench-bin
[ -x /tmp/bench-bin/deno ] || xz -dc .carry/deno.xz > /tmp/bench-bin/deno
chmod +x /tmp/bench-bin/deno
export PATH=/tmp/bench-bin:$PATH
[ -d node_modules/.deno ] || tar -xJf .carry/node_modules.tar.xz
export NPM_CONFIG_REGISTRY=http://127.0.0.1:9 DENO_DIR=/tmp/bench-deno-dir
export BENCH_DENO_FLAGS="--node-modules-dir=manual" KIT_OFFLINE=1 PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv,noheader
exec deno run -A --node-modules-dir=manual scripts/bench_gpu.ts --models-dir /tmp/gpu-bench "$@"
