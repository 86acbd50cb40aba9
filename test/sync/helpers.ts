/** Simulated laptops (each a SQLite site database) against a server under test. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, type Connection } from '../../backend/db/connection';
import { EventAppender, ensureDevice, type EventKind, type StoredEvent } from '../../backend/events/append';
import { createUuidV7 } from '../../backend/events/uuidv7';
import { Projector } from '../../backend/projection';
import { headsOf } from '../../backend/handlers/context';
import { Recomputer } from '../../backend/recompute/recompute';
import { localDate } from '../../backend/time';
import { emptySite } from '../../backend/site-init';
import { createSyncClient, type FetchFn, type SyncClientOptions } from '../../sync/client/client';
import { buildServer, ensureAdminToken, type SyncServer } from '../../sync/server/app';
import type { ServerDb } from '../../sync/server/db';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../support/rng';

export const NOW = new Date('2025-06-30T12:00:00Z');

/** A seeded PRNG (mulberry32). */
export const rng = mulberry32;

/** fastify.inject as the client's fetch, with optional faults. */
export function injectFetch(srv: SyncServer, faults: { dropResponse?: () => boolean; failRequest?: () => boolean } = {}): FetchFn {
  return async (url, init) => {
    if (faults.failRequest?.()) throw new Error('network down');
    const u = new URL(url);
    const res = await srv.app.inject({ method: init.method as 'GET' | 'POST', url: u.pathname + u.search, headers: init.headers, ...(init.body !== undefined ? { payload: init.body } : {}) });
    if (faults.dropResponse?.()) throw new Error('response lost');
    return { status: res.statusCode, text: async () => res.body };
  };
}

export interface Laptop {
  name: string;
  conn: Connection;
  path: string;
  write(entityType: string, entityId: string, kind: EventKind, payload: Record<string, unknown>, base?: string[]): StoredEvent;
  client: ReturnType<typeof createSyncClient>;
  recompute(): void;
  reopen(): Laptop;
}

export function makeLaptop(name: string, siteId: string, token: string, fetchFn: FetchFn, over: Partial<SyncClientOptions> = {}, path?: string, clockMs = 0): Laptop {
  const p = path ?? join(mkdtempSync(join(tmpdir(), `aquamind-sync-${name}-`)), 'site.db');
  const conn = openDatabase(p);
  const db = conn.sqlite;
  const clock = () => new Date(NOW.getTime() + clockMs);
  ensureDevice(db, randomUUID(), clock());
  const uuid = createUuidV7(() => clock().getTime());
  const appender = new EventAppender(db, uuid, () => clock().getTime());
  const projector = new Projector(db);
  const client = createSyncClient({ db, baseUrl: 'http://server', token, fetch: fetchFn, clock, random: rng(7), actor: name, ...over });
  const lap: Laptop = {
    name, conn, path: p, client,
    write(entityType, entityId, kind, payload, base) {
      let out!: StoredEvent;
      db.transaction(() => {
        out = appender.append({ entityType, entityId, kind, occurredAt: clock().toISOString(), siteId, actor: name, payload,
          baseEventIds: base ?? (kind === 'recorded' ? [] : headsOf(db, entityType, entityId)) });
        projector.apply(out);
      }).immediate();
      return out;
    },
    recompute() { new Recomputer(db, () => localDate('UTC', NOW), () => NOW).runAll(); },
    reopen() { conn.close(); return makeLaptop(name, siteId, token, fetchFn, over, p, clockMs); },
  };
  return lap;
}

export async function setupServer(sdb: ServerDb, over: Partial<Parameters<typeof buildServer>[0]> = {}) {
  const srv = await buildServer({ db: sdb, clock: () => NOW, ...over });
  const admin = (await ensureAdminToken(sdb.db)) ?? (await ensureAdminToken(sdb.db, true))!;
  const call = async (method: 'GET' | 'POST', url: string, token: string, payload?: unknown) => {
    const r = await srv.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null };
  };
  return { srv, admin, call, app: () => srv.app };
}

export async function createSiteAndToken(call: Awaited<ReturnType<typeof setupServer>>['call'], admin: string, siteId: string): Promise<string> {
  const s = await call('POST', '/v1/admin/sites', admin, { id: siteId, name: `Site ${siteId}` });
  expect([201, 409]).toContain(s.status);
  const d = await call('POST', '/v1/admin/devices', admin, { site_id: siteId, label: 'laptops' });
  expect(d.status).toBe(201);
  return d.body.token as string;
}

/** A small site through events: site, two pens, a batch with two assignments, a placement. */
export function seedSite(l: Laptop, siteId: string): void {
  const { id: _id, ...site } = emptySite({ id: siteId });
  l.write('site', siteId, 'recorded', site);
  l.write('container', 'P1', 'recorded', { site_id: siteId, name: 'Pen 1', environment: 'sea' });
  l.write('container', 'P2', 'recorded', { site_id: siteId, name: 'Pen 2', environment: 'sea' });
  l.write('batch', 'B1', 'recorded', { site_id: siteId, name: 'Batch 1', species: 'Atlantic salmon', start_date: '2025-01-01' });
  l.write('assignment', 'A1', 'recorded', { batch_id: 'B1', container_id: 'P1', stage: 'Adult' });
  l.write('assignment', 'A2', 'recorded', { batch_id: 'B1', container_id: 'P2', stage: 'Adult' });
  l.write('placement', 'PL1', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-01-01', count: 10000, avg_weight_g: 500 });
}

const PROJECTION_TABLES = ['site', 'stages', 'containers', 'scenarios', 'batches', 'assignments', 'placements', 'transfers', 'removals',
  'growth_samples', 'weighings', 'manual_anchors', 'mortality', 'feed', 'temperature_readings', 'temperature_daily', 'stage_changes',
  'temperature_logs', 'temperature_log_days', 'temperature_reading_days'];

export function projectionDump(db: Connection['sqlite']): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of PROJECTION_TABLES) out[t] = (db.prepare(`SELECT * FROM ${t}`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
  return out;
}

export function acceptedEvents(db: Connection['sqlite']): string[] {
  return (db.prepare(`SELECT event_id, device_id, device_seq, payload_sha256, server_seq, effective_ts FROM events
    WHERE server_seq IS NOT NULL ORDER BY server_seq`).all() as Record<string, unknown>[]).map((r) => JSON.stringify(r));
}

export function batchStatesDump(db: Connection['sqlite']): string[] {
  return (db.prepare('SELECT * FROM batch_states ORDER BY batch_id, date').all() as unknown[]).map((r) => JSON.stringify(r));
}

/** The end-of-test check of spec §8: union of accepted events, once each, identical projections and states. */
export async function assertConverged(sdb: ServerDb, srv: SyncServer, siteId: string, laptops: Laptop[]): Promise<void> {
  const rows = (await sql<Record<string, unknown>>`SELECT event_id, device_id, device_seq, payload_sha256, server_seq, effective_ts FROM events
    WHERE site_id = ${siteId} ORDER BY server_seq`.execute(sdb.db)).rows;
  const serverEvents = rows.map((r) => JSON.stringify({ ...r, effective_ts: new Date(r.effective_ts as string).toISOString() }));
  // server_seq gapless within the site is not required, but each event exactly once
  expect(new Set(rows.map((r) => r.event_id)).size).toBe(rows.length);
  await srv.idle();
  const rep = await srv.replica(siteId);
  const repProj = projectionDump(rep.db);
  const serverStates = (await sql<Record<string, unknown>>`SELECT batch_id, date, day_number, avg_weight_g, population, biomass_kg, container_count,
    feed_kg, growth_kg, deaths FROM batch_states WHERE site_id = ${siteId} ORDER BY batch_id, date`.execute(sdb.db)).rows.map((r) => JSON.stringify(r));
  for (const l of laptops) {
    const db = l.conn.sqlite;
    expect(acceptedEvents(db), `${l.name}: accepted events`).toEqual(serverEvents);
    expect(projectionDump(db), `${l.name}: projections`).toEqual(repProj);
    l.recompute();
    expect(batchStatesDump(db), `${l.name}: states`).toEqual(serverStates);
    expect(l.client.status().pending, `${l.name}: pending`).toBe(0);
  }
}
