import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../backend/db/connection';
import { verifyBatch } from '../../backend/recompute/verify';
import { openBackend, tempDb } from './helpers';

const CHILD_TS = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const KILLS = 50;
let childArgs: string[] = ['--import', 'tsx', CHILD_TS];

/** Bundling the child once (esbuild, which tsx brings) cuts each start from ~2.5 s to a fraction. */
async function prepareChild(): Promise<void> {
  try {
    const esbuild = await import('esbuild');
    const out = fileURLToPath(new URL('../../node_modules/.cache/aquamind-crash-child.mjs', import.meta.url));
    await esbuild.build({ entryPoints: [CHILD_TS], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out,
      external: ['better-sqlite3', 'better-sqlite3-electron'], logLevel: 'silent' });
    childArgs = [out];
  } catch { /* keep tsx */ }
}

function runAndKill(dbPath: string, seed: number, afterReadyMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childArgs, dbPath, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let err = '';
    const committed: string[] = [];
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('COMMITTED ')) committed.push(line.slice(10));
        if (line === 'READY' && !killed) { killed = true; setTimeout(() => child.kill('SIGKILL'), afterReadyMs); }
      }
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended without being killed: ${err}`));
      else resolve(committed);
    });
  });
}

describe('crash safety', () => {
  it(`SIGKILL at random points ${KILLS} times: no committed event lost, dirty work resumed, states equal a full recompute`, async () => {
    await prepareChild();
    const dbPath = tempDb();
    const all: string[] = [];
    let x = 12345;
    for (let i = 0; i < KILLS; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      all.push(...await runAndKill(dbPath, i + 1, x % 150));
      const c = openDatabase(dbPath);
      const ids = new Set((c.sqlite.prepare('SELECT event_id FROM events').all() as { event_id: string }[]).map((r) => r.event_id));
      const missing = all.filter((id) => !ids.has(id));
      const seqs = (c.sqlite.prepare('SELECT device_seq FROM events ORDER BY device_seq').all() as { device_seq: number }[]).map((r) => r.device_seq);
      c.close();
      expect(missing).toEqual([]);
      expect(seqs).toEqual(seqs.map((_, k) => k + 1));
    }
    // Not vacuous: the kills landed while writes were committing (a loaded CI machine commits fewer).
    expect(all.length).toBeGreaterThan(KILLS / 4);
    const be = await openBackend(dbPath);
    await be.idle();
    expect(be.ctx.db.prepare('SELECT COUNT(*) AS n FROM dirty_batches').get()).toEqual({ n: 0 });
    expect(verifyBatch(be.ctx.db, 'B1')).toEqual([]);
    await be.close();
  }, 120_000);
});
