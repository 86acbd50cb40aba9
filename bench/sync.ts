/**
 * Sync benchmarks (issue 5), against a real PostgreSQL 15 on loopback (started as the sync tests
 * start it, test/sync/pg.ts) and the sync server listening on 127.0.0.1 (real HTTP, fastify), a
 * fresh database per measure:
 *  (a) server ingest: 1,000-event pushes of a site's daily records, events/s, against a bare
 *      multi-row INSERT of the same rows into the same table in one transaction;
 *  (b) pull: every event of the site in 2,000-event pages over HTTP, against bare SELECTs of the
 *      same pages;
 *  (c) client apply (median of 3 fresh laptops): the sync client applying those pages (parse, insert, project, cursor) into a
 *      fresh laptop database, fed the server's recorded responses, against a bare prepared INSERT
 *      loop of the same rows into the same SQLite table in one transaction;
 *  (d) a 100,000-event backlog from laptop A (temperature logs included): pushed by its sync
 *      client, recomputed on the server, pulled by laptop B; then B's states equal the server's;
 *  (e) 50 devices (each its own laptop database and sync client) writing and pushing concurrently
 *      for 60 s; then every event each device wrote is on the server, once, and nothing failed.
 * BENCH_SYNC_EVENTS (100000), BENCH_SYNC_INGEST (20000), BENCH_SYNC_DEVICES (50), BENCH_SYNC_SECONDS (60);
 * BENCH_SYNC_ONLY=ingest|devices|backlog runs one part (profiling); BENCH_SYNC_CACHE=1 keeps laptop A's
 * generated database in .prof/sync/ and reuses it (iteration; the default run generates it).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { openDatabase, type Connection } from '../backend/db/connection';
import { EventAppender } from '../backend/events/append';
import { createUuidV7 } from '../backend/events/uuidv7';
import { Projector } from '../backend/projection';
import { Recomputer } from '../backend/recompute/recompute';
import type { StoredEvent } from '../backend/events/append';
import { createSyncClient, type FetchFn } from '../sync/client/client';
import type { WireEvent } from '../sync/protocol';
import { buildServer, ensureAdminToken, type SyncServer } from '../sync/server/app';
import { migrateServer, openPg, type ServerDb } from '../sync/server/db';
import { pgUnavailable, startPostgres, type PgCluster } from '../test/sync/pg';
import { mulberry32 } from '../test/support/rng';
import type { BenchLine } from './engine';
import { median, ms, percentile } from './stats';
import { openLaptop, siteEvents, writeEvents } from './sync-site';

const SITE = 'BENCH';
const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const rate = (events: number, msTotal: number) => events / (msTotal / 1000);

interface Srv { sdb: ServerDb; srv: SyncServer; url: string; token: string; close(): Promise<void> }

let dbs = 0;
async function server(cluster: PgCluster, opts: { recompute?: boolean } = {}): Promise<Srv> {
  const name = `bench${++dbs}_${process.pid}`;
  const admin = await openPg(cluster.url);
  await admin.exec(`CREATE DATABASE ${name}`);
  await admin.close();
  const sdb = await openPg(cluster.url.replace(/\/postgres$/, `/${name}`), { max: 20 });
  await migrateServer(sdb);
  const srv = await buildServer({ db: sdb, ...(opts.recompute === false ? { recompute: false } : {}) });
  const adminToken = (await ensureAdminToken(sdb.db))!;
  const url = await srv.app.listen({ port: 0, host: '127.0.0.1' });
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (r.status >= 300) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
    return r.json() as Promise<Record<string, unknown>>;
  };
  await post('/v1/admin/sites', { id: SITE, name: 'Bench site' });
  const token = (await post('/v1/admin/devices', { site_id: SITE, label: 'laptops' })).token as string;
  return { sdb, srv, url, token, async close() { await srv.close(); await sdb.close(); } };
}

function toWire(e: StoredEvent): WireEvent {
  return {
    event_id: e.event_id, device_id: e.device_id, device_seq: e.device_seq, hlc: e.hlc, occurred_at: e.occurred_at, type: e.type, v: e.v,
    entity_type: e.entity_type, entity_id: e.entity_id, site_id: e.site_id, base_event_ids: JSON.parse(e.base_event_ids) as string[],
    actor: e.actor, payload: JSON.parse(e.payload) as Record<string, unknown>, payload_sha256: e.payload_sha256,
  };
}

async function httpText(url: string, token: string, method: 'GET' | 'POST' = 'GET', body?: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body } : {}) });
  return { status: r.status, text: await r.text() };
}

const globalFetch: FetchFn = (url, init) => fetch(url, init) as unknown as ReturnType<FetchFn>;

/** (a) ingest and (b) pull and (c) client apply, on the site's daily records without the temperature logs (≤ 1 MiB per 1,000). */
async function ingestPullApply(cluster: PgCluster, laptopA: Connection, n: number, dir: string, log: (l: BenchLine) => void): Promise<void> {
  const S = await server(cluster);
  try {
    // the daily records of laptop A in order, renumbered as one device's contiguous queue
    const device = randomUUID();
    const rows = laptopA.sqlite.prepare(`SELECT * FROM events WHERE entity_type <> 'temperature_log' ORDER BY device_seq LIMIT ?`).all(n) as StoredEvent[];
    const wire = rows.map((r, i) => ({ ...toWire(r), device_id: device, device_seq: i + 1 }));
    const bodies: string[] = [];
    for (let i = 0; i < wire.length; i += 1000) {
      bodies.push(JSON.stringify({ device_id: device, protocol: 1, app_version: 'bench', client_now: new Date().toISOString(), events: wire.slice(i, i + 1000) }));
    }
    const maxBody = Math.max(...bodies.map((b) => Buffer.byteLength(b)));
    const times: number[] = [];
    const t0 = performance.now();
    for (const b of bodies) {
      const t = performance.now();
      const r = await httpText(`${S.url}/v1/sync/push`, S.token, 'POST', b);
      times.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`push: HTTP ${r.status} ${r.text.slice(0, 300)}`);
      const res = JSON.parse(r.text) as { results: { status: string; reason?: string }[] };
      const bad = res.results.find((x) => x.status !== 'accepted');
      if (bad) throw new Error(`push: an event was ${bad.status}: ${bad.reason}`);
    }
    const ingestMs = performance.now() - t0;
    await S.srv.idle();
    const settledMs = performance.now() - t0;

    // baseline: the same rows, one multi-row INSERT per 1,000, one transaction, same table (a fresh database)
    const B = await server(cluster, { recompute: false });
    await sql`INSERT INTO devices (device_id, site_id) VALUES (${device}, ${SITE})`.execute(B.sdb.db);
    const now = new Date().toISOString();
    const tb = performance.now();
    await B.sdb.db.transaction().execute(async (tx) => {
      for (let i = 0; i < wire.length; i += 1000) {
        await tx.insertInto('events').values(wire.slice(i, i + 1000).map((ev, k) => ({
          event_id: ev.event_id, site_id: SITE, device_id: ev.device_id, device_seq: ev.device_seq, server_seq: i + k + 1, received_at: now,
          effective_ts: now, hlc: ev.hlc, occurred_at: ev.occurred_at, type: ev.type, v: ev.v, entity_type: ev.entity_type, entity_id: ev.entity_id,
          base_event_ids: JSON.stringify(ev.base_event_ids), actor: ev.actor, payload: JSON.stringify(ev.payload), payload_sha256: ev.payload_sha256,
        }))).execute();
      }
    });
    const bareMs = performance.now() - tb;
    await B.close();
    const ing = rate(wire.length, ingestMs);
    log({ name: `server ingest: ${n0(wire.length)} events (mortality, feed, samples, transfers, corrections, …) in ${bodies.length} pushes of 1,000 (≤ ${(maxBody / 1024).toFixed(0)} KiB), HTTP on loopback`,
      value: `${n0(ing)} events/s (push p50 ${ms(median(times))}, p95 ${ms(percentile(times, 95))}; recompute settled after ${ms(settledMs)})`,
      ratio: `${((ing / rate(wire.length, bareMs)) * 100).toFixed(0)} % of a bare multi-row INSERT of the same rows in one transaction (${n0(rate(wire.length, bareMs))} rows/s)`,
      target: '≥ 5,000 events/s', ok: ing >= 5000 });

    // (b) pull over HTTP: every page, read as text
    const pages = new Map<number, string>();
    let after = 0, pulled = 0;
    const tp = performance.now();
    for (;;) {
      const r = await httpText(`${S.url}/v1/sync/pull?after=${after}&limit=2000`, S.token);
      if (r.status !== 200) throw new Error(`pull: HTTP ${r.status}`);
      pages.set(after, r.text);
      const page = JSON.parse(r.text) as { events: unknown[]; next_cursor: number; has_more: boolean };
      pulled += page.events.length;
      after = page.next_cursor;
      if (!page.has_more) break;
    }
    const pullMs = performance.now() - tp;
    if (pulled !== wire.length) throw new Error(`pull: ${pulled} events, expected ${wire.length}`);
    // baseline: the same pages by bare SELECTs
    const tq = performance.now();
    let got = 0;
    for (let a = 0; ;) {
      const rs = (await sql<{ server_seq: number }>`SELECT * FROM events WHERE site_id = ${SITE} AND server_seq > ${a} ORDER BY server_seq LIMIT 2001`.execute(S.sdb.db)).rows;
      const page = rs.slice(0, 2000);
      got += page.length;
      if (rs.length <= 2000) break;
      a = page[page.length - 1]!.server_seq;
    }
    const selMs = performance.now() - tq;
    if (got !== wire.length) throw new Error('bare select: wrong count');
    const pr = rate(pulled, pullMs);
    log({ name: `pull: ${n0(pulled)} events in ${pages.size} pages of 2,000, HTTP on loopback`, value: `${n0(pr)} events/s`,
      ratio: `${((pr / rate(got, selMs)) * 100).toFixed(0)} % of bare SELECTs of the same pages (${n0(rate(got, selMs))} rows/s)`, target: '≥ 10,000 events/s', ok: pr >= 10_000 });

    // (c) client apply: laptop B's sync client on the server's recorded pages
    const replay: FetchFn = async (url) => {
      const a = Number(new URL(url).searchParams.get('after'));
      const text = pages.get(a);
      if (text === undefined) throw new Error(`no recorded page after ${a}`);
      return { status: 200, text: async () => text };
    };
    // three rounds, each a fresh laptop B and a fresh bare database, apply then bare: ~1 s each, so
    // one run is at the mercy of the machine's other load; the medians are reported
    const applyTimes: number[] = [], bareTimes: number[] = [];
    let evCount = 0;
    for (let round = 0; round < 3; round++) {
      const lb = openLaptop(join(dir, `apply-b-${round}.db`));
      const client = createSyncClient({ db: lb.sqlite, baseUrl: S.url, token: S.token, fetch: replay });
      const ta = performance.now();
      const res = await client.pull();
      applyTimes.push(performance.now() - ta);
      if (res.pulled !== wire.length) throw new Error('apply: wrong count');
      await client.close();
      // baseline: the same rows by a bare prepared INSERT loop into the same table of a fresh laptop database, one transaction
      const lc = openLaptop(join(dir, `apply-bare-${round}.db`));
      const evRows = lb.sqlite.prepare('SELECT * FROM events ORDER BY server_seq').raw().all() as unknown[][];
      const cols = (lb.sqlite.prepare('SELECT * FROM events LIMIT 1').columns()).map((c) => c.name);
      const ins = lc.sqlite.prepare(`INSERT INTO events (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
      const tc = performance.now();
      lc.sqlite.transaction(() => { for (const r of evRows) ins.run(...r); }).immediate();
      bareTimes.push(performance.now() - tc);
      evCount = evRows.length;
      lc.close();
      lb.close();
    }
    const ar = rate(wire.length, median(applyTimes));
    const br = rate(evCount, median(bareTimes));
    log({ name: `client apply: the same ${n0(wire.length)} events (parse, insert, project, cursor; one SQLite transaction per page), median of 3 fresh laptops`,
      value: `${n0(ar)} events/s (rounds: ${applyTimes.map((t) => n0(rate(wire.length, t))).join(', ')})`,
      ratio: `${((ar / br) * 100).toFixed(0)} % of a bare prepared INSERT loop of the same rows in one transaction (${n0(br)} rows/s; rounds: ${bareTimes.map((t) => n0(rate(evCount, t))).join(', ')})`,
      target: '≥ 20,000 events/s', ok: ar >= 20_000 });
  } finally {
    await S.close();
  }
}

/** (d) the backlog: laptop A pushes everything, the server recomputes, laptop B pulls; states compared. */
async function backlog(cluster: PgCluster, laptopA: Connection, dir: string, log: (l: BenchLine) => void): Promise<void> {
  const S = await server(cluster);
  try {
    const total = (laptopA.sqlite.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    const logs = (laptopA.sqlite.prepare("SELECT count(*) AS n FROM events WHERE entity_type = 'temperature_log'").get() as { n: number }).n;
    const a = createSyncClient({ db: laptopA.sqlite, baseUrl: S.url, token: S.token, fetch: globalFetch });
    const lb = openLaptop(join(dir, 'backlog-b.db'));
    const b = createSyncClient({ db: lb.sqlite, baseUrl: S.url, token: S.token, fetch: globalFetch });
    // this process's CPU time per phase beside the wall time (the machine is shared: under load the wall time grows, this much less)
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const c0 = cpu();
    const t0 = performance.now();
    const pushed = await a.push();
    const t1 = performance.now();
    const c1 = cpu();
    await S.srv.idle();
    const t2 = performance.now();
    const c2 = cpu();
    const pulled = await b.pull();
    const t3 = performance.now();
    const c3 = cpu();
    if (pushed.accepted !== total || pulled.pulled !== total) throw new Error(`backlog: pushed ${pushed.accepted}, pulled ${pulled.pulled}, expected ${total}`);
    // laptop B computes its own states (as the app does after a pull) and they equal the server's
    const tr = performance.now();
    const today = new Date().toISOString().slice(0, 10);
    new Recomputer(lb.sqlite, () => today).runAll();
    const recMs = performance.now() - tr;
    const mine = (lb.sqlite.prepare('SELECT batch_id, date, day_number, avg_weight_g, population, biomass_kg, container_count, feed_kg, growth_kg, deaths FROM batch_states ORDER BY batch_id, date').all()).map((r) => JSON.stringify(r));
    const theirs = (await sql<Record<string, unknown>>`SELECT batch_id, date, day_number, avg_weight_g, population, biomass_kg, container_count, feed_kg, growth_kg, deaths
      FROM batch_states WHERE site_id = ${SITE} ORDER BY batch_id, date`.execute(S.sdb.db)).rows.map((r) => JSON.stringify(r));
    const equal = mine.length > 0 && mine.length === theirs.length && mine.every((x, i) => x === theirs[i]);
    const totalMs = t3 - t0;
    log({ name: `backlog: ${n0(total)} events from laptop A (${n0(logs)} of them temperature logs, ${n0(total - logs)} daily records) pushed, recomputed on the server, pulled by laptop B`,
      value: `${(totalMs / 1000).toFixed(1)} s: push ${ms(t1 - t0)} (${n0(rate(total, t1 - t0))} events/s) / server recompute after the last push ${ms(t2 - t1)} / pull + apply ${ms(t3 - t2)} (${n0(rate(total, t3 - t2))} events/s)`,
      ratio: `bench process CPU: push ${ms(c1 - c0)} / recompute ${ms(c2 - c1)} / pull + apply ${ms(c3 - c2)}; laptop B's own recompute afterwards ${ms(recMs)}; B's ${n0(mine.length)} batch states ${equal ? 'equal' : 'DIFFER FROM'} the server's`,
      target: '≤ 60 s, states equal', ok: totalMs <= 60_000 && equal });
    await a.close(); await b.close();
    lb.close();
  } finally {
    await S.close();
  }
}

/** (e) 50 devices write and push concurrently for 60 s; then nothing is lost. */
async function devices(cluster: PgCluster, laptopA: Connection, dir: string, nDev: number, seconds: number, log: (l: BenchLine) => void): Promise<void> {
  const S = await server(cluster);
  try {
    // the site's setup and its first daily records, pushed from laptop A (a copy) and pulled once into a template laptop
    const seedPath = join(dir, 'devices-seed.db');
    laptopA.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(join(dir, 'laptop-a.db'), seedPath);
    const seed = openDatabase(seedPath);
    seed.sqlite.exec(`DELETE FROM sync_state`);
    const last = (seed.sqlite.prepare("SELECT max(device_seq) AS m FROM events WHERE type = 'assignment.recorded'").get() as { m: number }).m + 2000;
    const seedClient = createSyncClient({ db: seed.sqlite, baseUrl: S.url, token: S.token, fetch: globalFetch });
    // push only the first `last` events: the others are dropped from this copy
    seed.sqlite.exec(`DELETE FROM events WHERE device_seq > ${last}`);
    seed.sqlite.prepare('UPDATE events SET server_seq = NULL, received_at = NULL, effective_ts = NULL').run();
    await seedClient.push();
    await seedClient.close();
    seed.close();
    const template = join(dir, 'devices-template.db');
    const tl = openLaptop(template);
    const tc = createSyncClient({ db: tl.sqlite, baseUrl: S.url, token: S.token, fetch: globalFetch });
    await tc.pull();
    await tc.close();
    tl.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    tl.close();
    await S.srv.idle();
    const targets = (openDatabase(template, { migrate: false }));
    const assigns = targets.sqlite.prepare(`SELECT a.id, a.batch_id, b.start_date FROM assignments a JOIN batches b ON b.id = a.batch_id`).all() as { id: string; batch_id: string; start_date: string }[];
    const containers = [...new Set((targets.sqlite.prepare('SELECT container_id FROM assignments').all() as { container_id: string }[]).map((r) => r.container_id))];
    const serverBefore = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM events`.execute(S.sdb.db)).rows[0]!.n;
    targets.close();

    const today = new Date().toISOString().slice(0, 10);
    const laps = Array.from({ length: nDev }, (_, i) => {
      const p = join(dir, `device-${i}.db`);
      copyFileSync(template, p);
      const conn = openDatabase(p);
      conn.sqlite.prepare('UPDATE device SET device_id = ? WHERE id = 1').run(randomUUID());
      const client = createSyncClient({ db: conn.sqlite, baseUrl: S.url, token: S.token, fetch: globalFetch });
      return { conn, client, appender: new EventAppender(conn.sqlite, createUuidV7(), () => Date.now()), projector: new Projector(conn.sqlite), written: 0, pushes: [] as number[], errors: [] as string[] };
    });
    const deadline = performance.now() + seconds * 1000;
    const run = async (i: number) => {
      const l = laps[i]!;
      const r = mulberry32(1000 + i);
      const mine: { type: string; id: string; head: string; count: number }[] = [];
      while (performance.now() < deadline) {
        const k = 1 + Math.floor(r() * 30);
        l.conn.sqlite.transaction(() => {
          for (let j = 0; j < k; j++) {
            const a = assigns[Math.floor(r() * assigns.length)]!;
            const x = r();
            const date = today;
            let e: StoredEvent;
            if (x < 0.05 && mine.length) {
              const t = mine[Math.floor(r() * mine.length)]!;
              e = l.appender.append({ entityType: 'mortality', entityId: t.id, kind: 'corrected', occurredAt: date, siteId: SITE, actor: `dev${i}`, payload: { patch: { count: t.count + 1 }, reason: 'recount' }, baseEventIds: [t.head] });
              t.head = e.event_id; t.count++;
            } else if (x < 0.45) {
              const id = randomUUID(), count = 1 + Math.floor(r() * 40);
              e = l.appender.append({ entityType: 'mortality', entityId: id, kind: 'recorded', occurredAt: date, siteId: SITE, actor: `dev${i}`, payload: { batch_id: a.batch_id, assignment_id: a.id, date, count, cause: 'unknown' } });
              mine.push({ type: 'mortality', id, head: e.event_id, count });
            } else if (x < 0.8) {
              e = l.appender.append({ entityType: 'feed', entityId: randomUUID(), kind: 'recorded', occurredAt: date, siteId: SITE, actor: `dev${i}`, payload: { batch_id: a.batch_id, assignment_id: a.id, date, kg: Math.round(r() * 50000) / 100 } });
            } else if (x < 0.85) {
              e = l.appender.append({ entityType: 'growth_sample', entityId: randomUUID(), kind: 'recorded', occurredAt: date, siteId: SITE, actor: `dev${i}`, payload: { batch_id: a.batch_id, assignment_id: a.id, date, sample_size: 30, avg_weight_g: 100 + Math.round(r() * 400000) / 100 } });
            } else {
              const cid = containers[Math.floor(r() * containers.length)]!;
              const readings = Array.from({ length: 24 }, (_, h) => ({ timestamp: `${date}T${String(h).padStart(2, '0')}:00:00Z`, value: Math.round((8 + r() * 4) * 100) / 100 }));
              e = l.appender.append({ entityType: 'temperature_log', entityId: createUuidV7()(), kind: 'recorded', occurredAt: date, siteId: SITE, actor: `dev${i}`, payload: { container_id: cid, readings, source: 'logger' } });
            }
            l.projector.apply(e);
            l.written++;
          }
        }).immediate();
        const t = performance.now();
        try { await l.client.push(); } catch (e) { l.errors.push((e as Error).message); }
        l.pushes.push(performance.now() - t);
      }
      // drain what is left
      try { await l.client.push(); } catch (e) { l.errors.push((e as Error).message); }
    };
    const t0 = performance.now();
    await Promise.all(laps.map((_, i) => run(i)));
    const pushMs = performance.now() - t0;
    await S.srv.idle();
    const settleMs = performance.now() - t0 - pushMs;
    // nothing lost: per device, the server holds exactly the events the device wrote, once, acked on the device
    let lost = 0, unacked = 0, rejected = 0;
    const written = laps.reduce((s, l) => s + l.written, 0);
    for (const l of laps) {
      const dev = (l.conn.sqlite.prepare('SELECT device_id FROM device').get() as { device_id: string }).device_id;
      const local = l.conn.sqlite.prepare('SELECT event_id, server_seq FROM events WHERE device_id = ? ORDER BY device_seq').all(dev) as { event_id: string; server_seq: number | null }[];
      unacked += local.filter((e) => e.server_seq === null).length;
      rejected += (l.conn.sqlite.prepare('SELECT count(*) AS n FROM sync_rejected').get() as { n: number }).n;
      const srvRows = (await sql<{ event_id: string; server_seq: number }>`SELECT event_id, server_seq FROM events WHERE device_id = ${dev} ORDER BY device_seq`.execute(S.sdb.db)).rows;
      const have = new Map(srvRows.map((x) => [x.event_id, Number(x.server_seq)]));
      for (const e of local) if (have.get(e.event_id) !== e.server_seq) lost++;
      if (srvRows.length !== local.length || local.length !== l.written) lost += Math.abs(srvRows.length - l.written);
    }
    const serverAfter = (await sql<{ n: number; d: number }>`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM events`.execute(S.sdb.db)).rows[0]!;
    const errors = laps.flatMap((l) => l.errors);
    const pushes = laps.flatMap((l) => l.pushes);
    const ok = errors.length === 0 && lost === 0 && unacked === 0 && rejected === 0 && serverAfter.n - serverBefore === written && serverAfter.d === serverAfter.n;
    log({ name: `${nDev} devices writing and pushing concurrently for ${seconds} s (mortality, feed, samples, temperature logs, corrections; 1–30 events per push)`,
      value: `${n0(written)} events in ${n0(pushes.length)} pushes, ${n0(rate(written, pushMs))} events/s; push p50 ${ms(median(pushes))}, p95 ${ms(percentile(pushes, 95))}; recompute settled ${ms(settleMs)} after`,
      ratio: `server +${n0(serverAfter.n - serverBefore)} events (devices wrote ${n0(written)}); lost ${lost}, unacked ${unacked}, rejected ${rejected}, errors ${errors.length}${errors.length ? ` (${errors[0]!.slice(0, 120)})` : ''}`,
      target: 'no error, nothing lost', ok });
    for (const l of laps) { await l.client.close(); l.conn.close(); }
  } finally {
    await S.close();
  }
}

export async function benchSync(log: (l: BenchLine) => void): Promise<void> {
  const missing = pgUnavailable();
  if (missing) { log({ name: 'sync benchmarks', value: `not run: ${missing}` }); return; }
  const dir = mkdtempSync(join(tmpdir(), 'aquamind-bench-sync-'));
  const cluster = await startPostgres();
  try {
    const total = Number(process.env.BENCH_SYNC_EVENTS ?? 100_000);
    const today = new Date().toISOString().slice(0, 10);
    // BENCH_SYNC_CACHE=1 (iteration only): laptop A's database is kept in .prof/sync/ (git-excluded)
    // per size and day, and copied from there on the next run instead of generated again
    const cache = process.env.BENCH_SYNC_CACHE === '1' ? join(process.cwd(), '.prof', 'sync', `laptop-a-${total}-${today}.db`) : null;
    let laptopA: Connection;
    if (cache && existsSync(cache)) {
      copyFileSync(cache, join(dir, 'laptop-a.db'));
      laptopA = openDatabase(join(dir, 'laptop-a.db'));
      log({ name: 'laptop A: generated site (demo batches, day by day), written as the app writes events', value: `copied from ${cache} (BENCH_SYNC_CACHE)` });
    } else {
      let t = performance.now();
      const events = siteEvents(SITE, total, today);
      const genMs = performance.now() - t;
      t = performance.now();
      laptopA = openLaptop(join(dir, 'laptop-a.db'));
      writeEvents(laptopA, SITE, events);
      log({ name: 'laptop A: generated site (demo batches, day by day), written as the app writes events', value: `${n0(events.length)} events: generated in ${ms(genMs)}, written and projected in ${ms(performance.now() - t)}` });
      if (cache) {
        mkdirSync(dirname(cache), { recursive: true });
        laptopA.sqlite.pragma('wal_checkpoint(TRUNCATE)');
        copyFileSync(join(dir, 'laptop-a.db'), cache);
      }
    }
    const only = process.env.BENCH_SYNC_ONLY; // ingest | devices | backlog (profiling one part)
    if (!only || only === 'ingest') await ingestPullApply(cluster, laptopA, Number(process.env.BENCH_SYNC_INGEST ?? 20_000), dir, log);
    const nDev = Number(process.env.BENCH_SYNC_DEVICES ?? 50);
    if ((!only || only === 'devices') && nDev > 0) await devices(cluster, laptopA, dir, nDev, Number(process.env.BENCH_SYNC_SECONDS ?? 60), log);
    if (!only || only === 'backlog') await backlog(cluster, laptopA, dir, log);
    laptopA.close();
  } finally {
    cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// `npx tsx bench/sync.ts` runs it alone
if (import.meta.url === `file://${process.argv[1]}`) {
  await benchSync((l) => console.error(`${l.ok === false ? '✗' : l.ok ? '✓' : '·'} ${l.name}: ${l.value}${l.ratio ? ` (${l.ratio})` : ''}${l.target ? ` [target ${l.target}]` : ''}`));
}
