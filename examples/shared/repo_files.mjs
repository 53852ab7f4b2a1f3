// Data files come from npm packages under node_modules/: read from disk in
// Node, fetched from the demo server (which serves the repository root) in a
// page. Paths are relative to the repository root.
const inBrowser = typeof window !== 'undefined';

export async function readRepoText(path) {
  return inBrowser ? (await fetchRepoFile(path)).text() : new TextDecoder().decode(await readRepoFile(path));
}

export async function readRepoBytes(path) {
  return inBrowser ? new Uint8Array(await (await fetchRepoFile(path)).arrayBuffer()) : readRepoFile(path);
}

export async function readRepoJSON(path) {
  return JSON.parse(await readRepoText(path));
}

async function fetchRepoFile(path) {
  const response = await fetch(`/${path}`);
  if (!response.ok) {
    throw new Error(`could not fetch /${path} (${response.status}): run \`npm ci\` so that the data package is installed`);
  }
  return response;
}

async function readRepoFile(path) {
  const {readFile} = await import('node:fs/promises');
  try {
    return await readFile(new URL(`../../${path}`, import.meta.url));
  } catch (e) {
    throw new Error(`could not read ${path}: run \`npm ci\` so that the data package is installed (${e.message})`, {cause: e});
  }
}
