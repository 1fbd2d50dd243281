// Module hooks that let Node run the TypeScript sources directly, compiled by SWC as Jest
// compiles them: for tests that need the server as a real process (signals, kill -9).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import swc from '@swc/core';
import { SWC_OPTIONS } from './swc-options.js';

const ROOT = new URL('../../', import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  // package.json maps `#chorus/<lib>` to the built output; here it is the lib's source entry.
  const lib = /^#chorus\/([\w-]+)$/.exec(specifier)?.[1];
  if (lib) return { url: new URL(`libs/${lib}/src/index.ts`, ROOT).href, shortCircuit: true };
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    // Sources import each other as `./x.js`, which exists only once built.
    if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/'))) {
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
    throw error;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
  const filename = fileURLToPath(url);
  const { code } = await swc.transform(await readFile(filename, 'utf8'), { ...SWC_OPTIONS, filename });
  return { format: 'module', source: code, shortCircuit: true };
}
