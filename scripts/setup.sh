#!/usr/bin/env bash
# Everything a fresh machine needs: Debian's chromium (its SwiftShader Vulkan
# driver runs WebGPU in Node through Dawn, and it is the browser for the
# browser tests), the Vulkan loader, and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if ! command -v chromium >/dev/null || ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  apt-get update -qq
  apt-get install -y -qq chromium libvulkan1 >/dev/null
fi
npm ci --no-audit --no-fund
