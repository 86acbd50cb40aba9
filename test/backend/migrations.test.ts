import { describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { loadMigrations, migrate, NewerDatabaseError } from '../../backend/db/migrate';
import { openDatabase } from '../../backend/db/connection';
import { tempDb } from './helpers';

describe('migrations', () => {
  it('apply in order once, recorded in schema_migrations', () => {
    const path = tempDb();
    const c = openDatabase(path);
    const versions = (c.sqlite.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
    expect(versions).toEqual(loadMigrations().map((m) => m.version));
    expect(c.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(c.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    for (const t of ['site', 'containers', 'batches', 'scenarios', 'stages', 'assignments', 'placements', 'transfers', 'removals', 'growth_samples',
      'weighings', 'manual_anchors', 'mortality', 'feed', 'temperature_readings', 'temperature_logs', 'temperature_log_days', 'temperature_daily', 'stage_changes', 'events', 'device',
      'dirty_batches', 'assignment_states', 'batch_states', 'batch_outputs', 'batch_errors', 'sync_state', 'sync_rejected', 'sync_conflicts'])
      expect(c.sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t), t).toBeTruthy();
    expect(migrate(c.sqlite)).toEqual([]); // idempotent
    c.close();
  });

  it('refuse a database from a newer app with a clear error', () => {
    const path = tempDb();
    openDatabase(path).close();
    const raw = new BetterSqlite3(path);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01')").run();
    raw.close();
    expect(() => openDatabase(path)).toThrow(NewerDatabaseError);
    expect(() => openDatabase(path)).toThrow(`newer app (schema 999; this app knows up to ${loadMigrations().length})`);
  });

  it('roll back a failing migration entirely', () => {
    const raw = new BetterSqlite3(':memory:');
    const known = loadMigrations();
    const bad = [...known, { version: known.length + 1, name: 'broken', sql: 'CREATE TABLE x (a); INSERT INTO nope VALUES (1);' }];
    expect(() => migrate(raw, bad)).toThrow();
    expect(raw.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: known.length });
    expect(raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'x'").get()).toBeUndefined();
  });
});
