#!/bin/bash
# Packs what the WebGPU (Dawn) benchmark and the shared suite need to run on a
# GPU machine that has no npm registry and no Node.js: offline-gpu/ gets this
# machine's node binary, the few node_modules files the built bundles load, the
# bundles themselves, the suite's options and the Vulkan loader's Debian
# packages (with the glvnd libraries that NVIDIA's Vulkan driver loads). Run
# after `npm run build`; copy offline-gpu/ and the repository
# there and run scripts/offline_gpu/run.sh. GPU_MODELS picks the published
# models packed for `--models` (default: nsfwjs's MobileNetV2s and Human's
# MoveNet; with faceres too the whole is over the device's 64 MiB).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=offline-gpu
rm -rf $out && mkdir -p $out/debs
tfjs="tfjs tfjs-core tfjs-backend-cpu tfjs-backend-webgl tfjs-backend-webgpu tfjs-backend-wasm tfjs-converter tfjs-data tfjs-layers"
files="node_modules/long node_modules/seedrandom node_modules/jpeg-js node_modules/pngjs node_modules/@tfjs-blocksparse"
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
# The published models the whole-model benchmark converts there (GPU_MODELS, names of
# scripts/published_models.cjs), as the bench finds them here: installed packages, nsfwjs's written out.
models=$(node -e "
  const {dirname, resolve} = require('path');
  const {PUBLISHED, packageRoot, writePublishedModel, repositoryPath} = require('./scripts/published_models.cjs');
  const files = [];
  for (const name of (process.env.GPU_MODELS ?? 'nsfwjs-mobilenet_v2,nsfwjs-mobilenet_v2_mid,human-movenet-lightning').split(',')) {
    const modelJson = writePublishedModel(name, 'bench-results/published');
    files.push(repositoryPath(modelJson), repositoryPath(packageRoot(PUBLISHED[name].package) + '/package.json'),
               ...require(resolve(modelJson)).weightsManifest.flatMap(g => g.paths).map(p => repositoryPath(dirname(modelJson) + '/' + p)));
  }
  console.log([...new Set(files)].join(' '));")
tar cf $out/models.tar $models
# The device takes at most 64 MiB of tracked files and carried paths together: say when this is over.
total=$(( $(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1) + $(du -sb $out | cut -f1) ))
echo "tracked files + $out: $(( total / 1048576 )) MiB of the device's 64"
[ $total -le $(( 64 * 1048576 )) ] || echo "over the limit: pack fewer models (GPU_MODELS)"
du -sh $out
