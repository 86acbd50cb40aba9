/**
 * End-to-end harness: builds the renderer, starts web/server.ts on a copy of a cached demo database
 * (the demo import takes ~30 s, so it is made once per clock date), and launches Chromium.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../../web/server';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHOTS = join(ROOT, 'test-results', 'screenshots');
/** A fixed site clock: the demo data and every expected date follow from it. */
export const CLOCK = new Date('2026-03-14T10:00:00Z');

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean) as string[];

export function findBrowser(): { path: string | null; reason: string } {
  for (const c of CANDIDATES) if (existsSync(c)) return { path: c, reason: '' };
  try {
    const p = chromium.executablePath();
    if (p && existsSync(p)) return { path: p, reason: '' };
  } catch { /* no Playwright-managed browser either */ }
  return { path: null, reason: `no Chromium found (looked in ${CANDIDATES.join(', ')} and Playwright's cache); apt-get install -y chromium` };
}

export async function launch(path: string): Promise<Browser> {
  return chromium.launch({
    executablePath: path,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

let built = false;
export async function buildRenderer(): Promise<void> {
  if (built) return;
  const { build } = await import('vite');
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production'; // vitest sets 'test', which would build React's development bundle
  try { await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', mode: 'production' }); } finally { process.env.NODE_ENV = env; }
  built = true;
}

async function templateDb(): Promise<string> {
  const dir = join(ROOT, 'test-results', 'e2e-cache');
  mkdirSync(dir, { recursive: true });
  // the cached demo is remade whenever the backend, the engine or the migrations change
  const newest = Math.max(...['backend', 'engine', 'migrations'].map((d) => newestMtime(join(ROOT, d))));
  const file = join(dir, `demo-${CLOCK.toISOString().slice(0, 10)}-${Math.round(newest).toString(36)}.db`);
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  const { createBackend } = await import('../../backend/core');
  const b = await createBackend({ dbPath: tmp, actor: 'e2e-setup', clock: () => CLOCK, recompute: 'sync' });
  await b.idle();
  await b.close();
  for (const ext of ['-wal', '-shm']) rmSync(tmp + ext, { force: true });
  copyFileSync(tmp, file);
  rmSync(tmp, { force: true });
  // older caches (a previous backend or engine) are of no more use: ~140 MB each
  for (const f of readdirSync(dir)) if (f.startsWith('demo-') && f.endsWith('.db') && join(dir, f) !== file) rmSync(join(dir, f), { force: true });
  return file;
}

export async function startDemoServer(): Promise<RunningServer & { dir: string }> {
  await buildRenderer();
  const dir = mkdtempSync(join(tmpdir(), 'aquamind-e2e-'));
  const db = join(dir, 'site.db');
  copyFileSync(await templateDb(), db);
  const s = await startServer({ port: 0, dbPath: db, clock: () => CLOCK, actor: 'technician', log: () => {} });
  await s.backend;
  return { ...s, dir, close: async () => { await s.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export function shotPath(name: string): string {
  mkdirSync(SHOTS, { recursive: true });
  return join(SHOTS, `${name}.png`);
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}
