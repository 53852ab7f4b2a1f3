#!/bin/bash
# Packs what the WebGPU (Dawn) benchmark and the shared suite need to run on a
# GPU machine that has no npm registry and no Node.js: offline-gpu/ gets this
# machine's node binary, the few node_modules files the built bundles load, the
# bundles themselves, the suite's options and the Vulkan loader's Debian
# packages (with the glvnd libraries that NVIDIA's Vulkan driver loads). Run
# after `npm run build`; copy offline-gpu/ and the repository
# there and run scripts/offline_gpu/run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=offline-gpu
rm -rf $out && mkdir -p $out/debs
tfjs="tfjs tfjs-core tfjs-backend-cpu tfjs-backend-webgl tfjs-backend-webgpu tfjs-backend-wasm tfjs-converter tfjs-data tfjs-layers"
files="node_modules/long node_modules/seedrandom node_modules/@tfjs-blocksparse"
files="$files node_modules/webgpu/index.js node_modules/webgpu/package.json node_modules/webgpu/dist/linux-x64/dawn.node"
for p in $tfjs; do
  files="$files node_modules/@tensorflow/$p/package.json $(node -p "require.resolve('@tensorflow/$p')" | sed "s|^$PWD/||")"
done
files="$files $(ls node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm)"
tar cJf $out/deps.tar.xz $files packages/*/dist/*.node.js
xz -T0 -6 -c "$(command -v node)" > $out/node.xz
node -e "const {FULL_SUITE} = require('@tfjs-blocksparse/test-util');
  console.log(JSON.stringify({...FULL_SUITE, unsupportedBlockSize: 6}))" > $out/suite_options.json
(cd $out/debs && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh $out
