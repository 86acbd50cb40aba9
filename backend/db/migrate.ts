/**
 * Forward-only migrations: numbered files `NNNN_name.sql` in migrations/sqlite, applied in order,
 * each in its own transaction, recorded in `schema_migrations`. A database whose highest applied
 * migration is newer than this app knows is refused (an older app must not touch it).
 */
import type Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, sep } from 'node:path';
import { registerSqlFunctions } from './functions';

/** migrations/sqlite of the project: found upwards from this module, which may run bundled (dist/). */
export const MIGRATIONS_DIR = findUp(dirname(fileURLToPath(import.meta.url)), join('migrations', 'sqlite'));

function findUp(from: string, rel: string): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, rel))) return join(d, rel) + sep;
    if (dirname(d) === d) return join(from, '..', '..', rel) + sep;
  }
}

export interface Migration { version: number; name: string; sql: string }

export class NewerDatabaseError extends Error {
  readonly code = 'newer_database';
  constructor(readonly dbVersion: number, readonly appVersion: number) {
    super(`this database was written by a newer app (schema ${dbVersion}; this app knows up to ${appVersion}): update the app to open it`);
  }
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const f of readdirSync(dir)) {
    const m = /^(\d{4})_([\w-]+)\.sql$/.exec(f);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2]!, sql: readFileSync(join(dir, f), 'utf8') });
  }
  out.sort((a, b) => a.version - b.version);
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 0001, 0002, … without gaps; found ${String(m.version).padStart(4, '0')}_${m.name} at position ${i + 1}`);
  });
  return out;
}

export function currentVersion(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies the missing migrations; returns the versions applied. Throws NewerDatabaseError. */
export function migrate(db: Database.Database, migrations = loadMigrations(), now: () => Date = () => new Date()): number[] {
  registerSqlFunctions(db);
  const have = currentVersion(db);
  const known = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  if (have > known) throw new NewerDatabaseError(have, known);
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= have) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now().toISOString());
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
