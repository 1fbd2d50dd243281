#!/usr/bin/env node
/**
 * Generates the SDK's client code (libs/sdk/src/generated/) from the committed OpenAPI
 * document with @hey-api/openapi-ts, pinned to an exact version in package.json so the
 * output only changes when the spec or the pinned generator does.
 *
 *   node scripts/generate-sdk.mjs           write libs/sdk/src/generated/
 *   node scripts/generate-sdk.mjs --check   generate into a temporary folder and fail when
 *                                           it differs from the committed one (CI)
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@hey-api/openapi-ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const spec = join(root, 'openapi/openapi.json');
const committed = join(root, 'libs/sdk/src/generated');
const check = process.argv.includes('--check');

/** The generator's configuration: the one place to change what the SDK looks like. */
function config(outputPath) {
  return {
    input: spec,
    output: {
      path: outputPath,
      // Node's ESM resolution (and this repo's tsconfig) need explicit extensions.
      module: { extension: '.js' },
      // No timestamp or generator version in the files: only the spec and the config change them.
      header: ['// This file is generated from openapi/openapi.json by `npm run sdk`. Do not edit.'],
      tsConfigPath: join(root, 'tsconfig.json'),
    },
    plugins: [
      // Errors throw (the hand-written layer turns problem+json into ChorusApiError).
      { name: '@hey-api/client-fetch', throwOnError: true },
      '@hey-api/typescript',
      {
        name: '@hey-api/sdk',
        // One class whose instances are bound to a client: `new ChorusApi({ client })`.
        operations: { strategy: 'single', containerName: 'ChorusApi', methods: 'instance' },
        // Calls resolve to the response body; pass `responseStyle: 'fields'` for the Response too.
        responseStyle: 'data',
      },
    ],
    // Failures are thrown (and printed by Node), not written to log files in the working tree.
    logs: { level: 'silent', file: false },
  };
}

/**
 * Adjusts the generated files to this repo's compiler and linter settings:
 * - the bundled fetch client names the DOM type `BodyInit`, which a Node-only `lib` (no "DOM")
 *   does not declare; `RequestInit['body']` is the same type and exists in both;
 * - the bundled client uses `any` in a few places, which our lint rules forbid in our code.
 */
async function adjust(dir) {
  for (const file of await listFiles(dir)) {
    const path = join(dir, file);
    let text = (await readFile(path, 'utf8')).replaceAll('as BodyInit | null | undefined', "as RequestInit['body']");
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/'[^'\n]*'|`[^`]*`/g, "''");
    if (/[:<,(|]\s*any\b|\bas any\b|\bany\[\]/.test(code)) {
      text = text.replace(/^(\/\/.*\n)/, '$1/* eslint-disable @typescript-eslint/no-explicit-any -- generated code */\n');
    }
    await writeFile(path, text);
  }
}

/** Generates the client code into `outputPath`. */
async function generate(outputPath) {
  await createClient(config(outputPath));
  await adjust(outputPath);
}

async function listFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

async function differences(expectedDir, actualDir) {
  const expected = await listFiles(expectedDir);
  const actual = await listFiles(actualDir);
  const problems = [];
  for (const file of expected) {
    if (!actual.includes(file)) problems.push(`missing: ${file}`);
    else if ((await readFile(join(expectedDir, file), 'utf8')) !== (await readFile(join(actualDir, file), 'utf8'))) problems.push(`differs: ${file}`);
  }
  for (const file of actual) if (!expected.includes(file)) problems.push(`not generated (stale): ${file}`);
  return problems;
}

if (check) {
  const fresh = await mkdtemp(join(tmpdir(), 'chorus-sdk-'));
  try {
    await generate(fresh);
    const problems = await differences(fresh, committed);
    if (problems.length > 0) {
      console.error(`libs/sdk/src/generated is not what openapi/openapi.json generates:\n  ${problems.join('\n  ')}\nRun \`npm run sdk\` and commit the result.`);
      process.exit(1);
    }
    console.log('libs/sdk/src/generated is up to date with openapi/openapi.json');
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
} else {
  await generate(committed);
  console.log(`generated ${relative(root, committed)} from ${relative(root, spec)}`);
}
