/**
 * Opening the site database: better-sqlite3 (WAL, foreign keys, busy timeout) plus a Kysely
 * instance over the same connection for typed reads. Writes go through better-sqlite3's
 * synchronous transactions (one writer connection per process).
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DB } from './schema';
import { migrate } from './migrate';
import { registerSqlFunctions } from './functions';

const require = createRequire(import.meta.url);

type DatabaseCtor = typeof BetterSqlite3;

function loadDriver(): DatabaseCtor {
  // Under Electron the Node-API build (13.x) is loaded; under plain Node 20 the 12.x build.
  return (process.versions.electron ? require('better-sqlite3-electron') : require('better-sqlite3')) as DatabaseCtor;
}

export interface Connection {
  sqlite: BetterSqlite3.Database;
  kysely: Kysely<DB>;
  close(): void;
}

export interface OpenOptions {
  readonly?: boolean;
  /** Apply migrations (the writer does; a worker's connection does not). */
  migrate?: boolean;
  busyTimeoutMs?: number;
}

export function openDatabase(path: string, opts: OpenOptions = {}): Connection {
  const Database = loadDriver();
  const sqlite = new Database(path, { readonly: opts.readonly ?? false });
  try {
    sqlite.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 10_000}`);
    if (!opts.readonly) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL'); // a committed event survives power loss too
    sqlite.pragma('foreign_keys = ON');
    registerSqlFunctions(sqlite);
    if (opts.migrate ?? true) migrate(sqlite);
  } catch (e) {
    sqlite.close();
    throw e;
  }
  const kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  let closed = false;
  return {
    sqlite,
    kysely,
    close() {
      if (closed) return;
      closed = true;
      if (sqlite.open) sqlite.close();
      void kysely.destroy().catch(() => undefined);
    },
  };
}
