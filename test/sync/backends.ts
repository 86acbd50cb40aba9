/** The two databases every server test runs against: real PostgreSQL 15 (plain) and embedded PGlite with TimescaleDB. */
import { migrateServer, openPg, openPglite, type ServerDb } from '../../sync/server/db';
import { pgUnavailable, startPostgres, type PgCluster } from './pg';

export interface Backend { name: string; open(): Promise<ServerDb>; stop(): Promise<void>; skip: string | null }

export function backends(): Backend[] {
  const missing = pgUnavailable();
  if (missing && process.env.CI) throw new Error(`CI: ${missing}`);
  let cluster: PgCluster | null = null;
  let dbs = 0;
  const pgBackend: Backend = {
    name: 'postgresql-15', skip: missing,
    async open() {
      cluster ??= await startPostgres();
      // a fresh database per open
      const admin = await openPg(cluster.url);
      const name = `t${++dbs}_${process.pid}`;
      await admin.exec(`CREATE DATABASE ${name}`);
      await admin.close();
      const s = await openPg(cluster.url.replace(/\/postgres$/, `/${name}`), { max: 20 });
      await migrateServer(s);
      return s;
    },
    async stop() { cluster?.stop(); cluster = null; },
  };
  const liteBackend: Backend = {
    name: 'pglite-timescaledb', skip: null,
    async open() { const s = await openPglite(); await migrateServer(s); return s; },
    async stop() { /* in memory */ },
  };
  return [pgBackend, liteBackend];
}
