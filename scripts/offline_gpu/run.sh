#!/bin/bash
# On the GPU machine, from the repository root, after scripts/offline_gpu/pack.sh:
#   bash scripts/offline_gpu/run.sh [bench args...]   e.g. --size large --runs 5
# Runs the shared suite on webgpu through Dawn (SUITE=0 skips it) and, given
# args, the benchmark (`--models` converts the packed published models there); results
# go to $OUT (default bench-results/). VK_ICD_FILENAMES picks the Vulkan
# driver (default: NVIDIA's, where the driver's container mount puts it).
# Run again with other bench args, it unpacks nothing twice.
set -uo pipefail
pack=offline-gpu
OUT=${OUT:-bench-results}; mkdir -p "$OUT"
if [ ! -x /tmp/offline-node/node ]; then
  for f in $pack/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
  mkdir -p /tmp/offline-node && xz -dc $pack/node.xz > /tmp/offline-node/node && chmod +x /tmp/offline-node/node
  tar xJf $pack/deps.tar.xz
  tar xf $pack/models.tar
fi
export PATH=/tmp/offline-node:$PATH
icd=${VK_ICD_FILENAMES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd
if [ "${SUITE:-1}" != 0 ]; then
  timeout 300 node packages/backend-webgpu/test/dawn_suite_runner.mjs $pack/suite_options.json "$OUT/suite.json"
  node -e "
  const r = require(require('path').resolve('$OUT/suite.json'));
  if (r.fatal) { console.log('suite failed:', r.fatal); process.exit(1); }
  for (const op of ['matMul', 'conv2d']) {
    const cases = r.results[op], ok = cases.filter(c => !c.error);
    const worst = k => Math.max(...ok.map(c => c[k])).toExponential(1);
    console.log(op + ':', cases.length, 'cases,', cases.length - ok.length, 'threw; worst relative error forward',
                worst('forward'), 'dx', worst('dx'), 'dW', worst('dw'));
  }"
fi
if [ $# -gt 0 ]; then
  node scripts/bench.mjs --backend webgpu "$@" && cp bench-results/*webgpu*.{json,md} "$OUT/" 2>/dev/null
fi
