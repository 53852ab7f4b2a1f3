/**
 * The tfjs version the packages here are built and tested against. The
 * backends read tfjs internals (texture data, the wasm module's memory, the
 * kernel registry) and the layers extend tfjs-layers' classes, which other
 * versions may change; their peer dependencies pin it.
 */
export const TESTED_TFJS_VERSION = '4.22.0';

/**
 * Warns where the loaded tfjs package (`tfjsPackage` at `loaded`) is not the
 * tested version, naming it: called by each package as it registers its
 * kernels or classes. Returns the warning, or null.
 */
export function checkTfjsVersion(ourPackage: string, tfjsPackage: string, loaded: string): string|null {
  if (loaded === TESTED_TFJS_VERSION) {
    return null;
  }
  const warning = `${ourPackage} is tested with ${tfjsPackage} ${TESTED_TFJS_VERSION} and this page loaded ${loaded}: ` +
      'it reads tfjs internals that other versions may have changed (its results are checked only on the tested version)';
  console.warn(warning);
  return warning;
}
