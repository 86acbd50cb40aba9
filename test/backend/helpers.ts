import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { createBackend, type Backend } from '../../backend/core';

export const FIXED_NOW = new Date('2025-06-30T12:00:00Z');

export function tempDb(name = 'site.db'): string {
  return join(mkdtempSync(join(tmpdir(), 'aquamind-backend-')), name);
}

export async function openBackend(dbPath = tempDb(), over: Partial<Parameters<typeof createBackend>[0]> = {}): Promise<Backend> {
  return createBackend({ dbPath, clock: () => FIXED_NOW, actor: 'tester', init: 'empty', recompute: 'sync', ...over });
}

export function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`call failed: ${JSON.stringify(r.error)}`);
  return r.value;
}

/** A small site: two sea pens, one batch placed in P1 on 2025-01-01 with 10,000 fish at 500 g, A2 empty. */
export async function seedSmallSite(be: Backend): Promise<void> {
  must(await be.call('container.create', { id: 'P1', name: 'Pen 1', environment: 'sea' }));
  must(await be.call('container.create', { id: 'P2', name: 'Pen 2', environment: 'sea' }));
  must(await be.call('batch.create', { id: 'B1', name: 'Batch 1', start_date: '2025-01-01' }));
  must(await be.call('assignment.create', { id: 'A1', batch_id: 'B1', container_id: 'P1', stage: 'Adult' }));
  must(await be.call('assignment.create', { id: 'A2', batch_id: 'B1', container_id: 'P2', stage: 'Adult' }));
  must(await be.call('placement.record', { id: 'PL1', batch_id: 'B1', assignment_id: 'A1', date: '2025-01-01', count: 10000, avg_weight_g: 500 }));
}

/** Every table's rows, sorted: equal dumps mean nothing was written. */
export function dumpTables(db: Database.Database): string {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  const out: Record<string, string[]> = {};
  for (const t of tables) out[t] = (db.prepare(`SELECT * FROM "${t}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
  return JSON.stringify(out);
}
