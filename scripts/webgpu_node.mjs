// WebGPU in Node through Dawn (npm `webgpu`). Without a GPU, Dawn runs on
// Chromium's SwiftShader Vulkan driver (Debian package chromium); set
// VK_ICD_FILENAMES yourself to pick another driver (e.g. NVIDIA's).
// Must run before @tensorflow/tfjs-backend-webgpu is imported: it registers
// the 'webgpu' backend only if navigator.gpu exists at import time.
// Dawn keeps Node alive: scripts that use it must call process.exit.
import {existsSync} from 'node:fs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * timestamps: turn on Dawn's allow_unsafe_apis toggle, the flag tfjs's own
 * warning names for 'timestamp-query' (tfjs then times kernels on the GPU).
 */
export async function setUpDawn({timestamps = false} = {}) {
  if (!process.env.VK_ICD_FILENAMES) {
    if (!existsSync(SWIFTSHADER_ICD)) {
      throw new Error(`No Vulkan driver chosen and ${SWIFTSHADER_ICD} is missing: apt-get install chromium, or set VK_ICD_FILENAMES`);
    }
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const {create, globals} = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', {
    value: {gpu: create(timestamps ? ['enable-dawn-features=allow_unsafe_apis', 'disable-dawn-features=timestamp_quantization'] : [])},
    configurable: true,
    writable: true
  });
  const adapter = await globalThis.navigator.gpu.requestAdapter();
  if (adapter == null) {
    throw new Error(`Dawn found no WebGPU adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES})`);
  }
  return adapter.info ?? {};
}
