/**
 * `npm run server`: the central sync server. Embedded PGlite with TimescaleDB in a data folder
 * (default ./.data/server, `--data DIR`), or a real PostgreSQL/TimescaleDB with DATABASE_URL.
 * Prints its URL, and the admin token when it is created (first run) or reset
 * (`--print-admin-token` revokes the old one and prints a new one).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildServer, ensureAdminToken } from './app';
import { migrateServer, openPg, openPglite } from './db';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: './.data/server' },
    port: { type: 'string', default: process.env.PORT ?? '8787' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    'print-admin-token': { type: 'boolean', default: false },
  },
});

const url = process.env.DATABASE_URL;
let sdb;
if (url) sdb = await openPg(url);
else {
  const dir = resolve(values.data!);
  mkdirSync(dir, { recursive: true });
  sdb = await openPglite(dir);
}
const mig = await migrateServer(sdb);
const token = await ensureAdminToken(sdb.db, values['print-admin-token']);
const srv = await buildServer({ db: sdb, logger: process.env.LOG === '1' });
const addr = await srv.app.listen({ port: Number(values.port), host: values.host });
console.log(`AquaMind sync server on ${addr} (${url ? 'PostgreSQL' : `embedded PGlite in ${resolve(values.data!)}`}, ${mig.timescale ? 'TimescaleDB' : 'plain PostgreSQL'})`);
if (token) console.log(`admin token (shown once; stored hashed): ${token}`);

const stop = async () => { await srv.close(); await sdb.close(); process.exit(0); };
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
