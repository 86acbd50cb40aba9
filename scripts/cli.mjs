#!/usr/bin/env node
// Runs the command line from a bundle that is rebuilt only when a source file is newer: plain node
// instead of a TypeScript loader keeps start-up fast and peak memory low (the batch CLI's budget is
// 200 MB for a 900-day batch).
import { buildSync } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'cli.mjs');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (/\.(ts|tsx|sql|json)$/.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const sources = ['cli', 'engine', 'backend', 'migrations', 'sync'].map((d) => join(root, d)).filter(existsSync);
const built = existsSync(out) ? statSync(out).mtimeMs : 0;
if (sources.some((d) => newest(d) > built)) {
  buildSync({
    entryPoints: [join(root, 'cli', 'main.ts')], outfile: out, bundle: true, platform: 'node', format: 'esm',
    target: 'node20', packages: 'external', sourcemap: 'inline', logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}
await import(pathToFileURL(out).href);
