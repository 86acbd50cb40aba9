/**
 * Temperature logs across laptops and the server (migration 0007: a log is one row; a log any of
 * whose readings has an event of its own keeps its readings as rows, on every device alike), and
 * the server edges a review of that change found: payloads PostgreSQL cannot store, foreign keys
 * deferred past a rebuild, the pulled page's synchronous mode. Embedded PostgreSQL (PGlite).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openPglite, migrateServer, type ServerDb } from '../../sync/server/db';
import { buildServer, type SyncServer } from '../../sync/server/app';
import { assertConverged, createSiteAndToken, injectFetch, makeLaptop, projectionDump, rng, seedSite, setupServer, type Laptop } from './helpers';

let sdb: ServerDb;
let S: Awaited<ReturnType<typeof setupServer>>;
let srv: SyncServer;
beforeAll(async () => { sdb = await openPglite(); await migrateServer(sdb); S = await setupServer(sdb, { recomputeDelay: { quietMs: 5, maxWaitMs: 50 } }); srv = S.srv; });
afterAll(async () => { await srv?.close(); await sdb?.close(); });

const uid = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const pending = (l: Laptop) => l.client.status().pending;
async function syncAll(laps: Laptop[], rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) for (const l of laps) await l.client.syncNow();
}
async function trySync(l: Laptop): Promise<string> {
  try { await l.client.syncNow(); return 'ok'; } catch (e) { return `threw: ${(e as Error).message.slice(0, 200)}`; }
}
/** A new site on the server with laptop a seeded (its setup events written, not yet pushed) and laptop b (its clock 5 s ahead). */
async function site2(site: string): Promise<{ a: Laptop; b: Laptop }> {
  const token = await createSiteAndToken(S.call, S.admin, site);
  const a = makeLaptop('a', site, token, injectFetch(srv));
  const b = makeLaptop('b', site, token, injectFetch(srv), {}, undefined, 5000);
  seedSite(a, site);
  return { a, b };
}
const readingRows = (db: Laptop['conn']['sqlite']) => db.prepare('SELECT id, value, voided FROM temperature_readings ORDER BY id').all();

describe('temperature logs across devices', () => {
  it('random concurrent log records / voids / restores / tz changes on three laptops converge', async () => {
    for (const seed of [11, 12]) {
      const site = `RL${seed}`;
      const token = await createSiteAndToken(S.call, S.admin, site);
      const r = rng(seed * 7919);
      const laps = ['a', 'b', 'c'].map((n, i) => makeLaptop(`${n}${seed}`, site, token, injectFetch(srv), { pullLimit: 4 }, undefined, [0, 3600_000, -3600_000][i]));
      seedSite(laps[0]!, site);
      await syncAll(laps, 2);
      let n = seed * 1000;
      const ops: string[] = [];
      for (let step = 0; step < 120; step++) {
        const l = laps[Math.floor(r() * laps.length)]!;
        const x = r();
        const db = l.conn.sqlite;
        if (x < 0.25) {
          const id = uid(n++);
          const c = r() < 0.5 ? 'P1' : 'P2';
          const readings = Array.from({ length: 1 + Math.floor(r() * 4) }, () => ({
            timestamp: `2025-03-0${1 + Math.floor(r() * 3)}T${['00', '11', '12', '23'][Math.floor(r() * 4)]}:30:00Z`,
            value: r() < 0.2 ? 45 : Math.round(r() * 20e6) / 1e6,
          }));
          l.write('temperature_log', id, 'recorded', { container_id: c, readings });
          ops.push(`${l.name} rec ${id}`);
        } else if (x < 0.55) {
          const logs = db.prepare('SELECT id, voided FROM temperature_logs').all() as { id: string; voided: number }[];
          if (!logs.length) continue;
          const g = logs[Math.floor(r() * logs.length)]!;
          l.write('temperature_log', g.id, g.voided ? 'restored' : 'voided', { reason: 'x' });
          ops.push(`${l.name} ${g.voided ? 'restore' : 'void'} ${g.id}`);
        } else if (x < 0.62) {
          const id = uid(n++);
          l.write('temperature_reading', id, 'recorded', { container_id: r() < 0.5 ? 'P1' : 'P2', timestamp: `2025-03-0${1 + Math.floor(r() * 3)}T12:00:00Z`, value: 7 + Math.floor(r() * 5) });
        } else if (x < 0.70) {
          const c = r() < 0.5 ? 'P1' : 'P2';
          l.write('container', c, 'corrected', { patch: { name: `${c}-${step}` }, reason: 'n' });
          ops.push(`${l.name} rename ${c}`);
        } else if (x < 0.74) {
          const tz = ['UTC', 'Pacific/Auckland', 'America/St_Johns'][Math.floor(r() * 3)]!;
          l.write('site', site, 'corrected', { patch: { timezone: tz }, reason: 'tz' });
          ops.push(`${l.name} tz ${tz}`);
        } else {
          await l.client.syncNow();
          ops.push(`${l.name} sync`);
        }
      }
      await syncAll(laps, 3);
      // the harness's laptop recompute uses UTC's today: end in UTC
      if ((laps[0]!.conn.sqlite.prepare('SELECT timezone FROM site').get() as { timezone: string }).timezone !== 'UTC') {
        laps[0]!.write('site', site, 'corrected', { patch: { timezone: 'UTC' }, reason: 'tz' });
        await syncAll(laps, 2);
      }
      await srv.idle();
      try {
        await assertConverged(sdb, srv, site, laps);
      } catch (e) {
        console.log(`seed ${seed} ops:\n${ops.slice(-40).join('\n')}`);
        throw e;
      }
      for (const l of laps) l.conn.close();
    }
  }, 120_000);

  it('a dropped reading of a log corrected on one laptop (it is a record): the other laptop and the server agree', async () => {
    const site = 'DROPC';
    const token = await createSiteAndToken(S.call, S.admin, site);
    const a = makeLaptop('a', site, token, injectFetch(srv));
    const b = makeLaptop('b', site, token, injectFetch(srv));
    seedSite(a, site);
    const L = uid(1);
    a.write('temperature_log', L, 'recorded', { container_id: 'P1', readings: [{ timestamp: '2025-03-01T08:00:00Z', value: 8 }, { timestamp: '2025-03-01T09:00:00Z', value: 45 }] });
    await syncAll([a, b], 2);
    a.write('temperature_reading', `${L}:000001`, 'corrected', { patch: { value: 4.5 }, reason: 'decimal point' });
    await syncAll([a, b], 2);
    await srv.idle();
    expect(b.conn.sqlite.prepare("SELECT n, sum FROM temperature_reading_days WHERE container_id = 'P1'").get()).toEqual({ n: 2, sum: 12.5e9 });
    expect(b.conn.sqlite.prepare('SELECT as_rows FROM temperature_logs').get()).toEqual({ as_rows: 1 });
    await assertConverged(sdb, srv, site, [a, b]);
  });

  it('a kept reading of a log voided on its own by an older app (schema 6), and concurrently corrected on another laptop: everyone agrees', async () => {
    const site = 'KEPT6';
    const { a, b } = await site2(site);
    const L = uid(4);
    a.write('temperature_log', L, 'recorded', { container_id: 'P1', readings: [
      { timestamp: '2025-03-01T08:00:00Z', value: 8 }, { timestamp: '2025-03-01T09:00:00Z', value: 30 }, { timestamp: '2025-03-02T09:00:00Z', value: 9 },
    ] });
    await syncAll([a, b], 2);
    // what an app of schema 6 sends for Void on one reading of the log; b corrects the same reading offline
    a.write('temperature_reading', `${L}:000001`, 'voided', { reason: 'logger out of the water' });
    b.write('temperature_reading', `${L}:000001`, 'corrected', { patch: { value: 10 }, reason: 'typo' });
    await syncAll([a, b], 3);
    await srv.idle();
    for (const l of [a, b]) expect(readingRows(l.conn.sqlite)).toEqual(readingRows((await srv.replica(site)).db));
    expect((await srv.replica(site)).db.prepare('SELECT as_rows FROM temperature_logs').get()).toEqual({ as_rows: 1 });
    // the log voided and restored whole afterwards, then rebuilt on a laptop by a concurrent void: still one answer
    a.write('temperature_log', L, 'voided', { reason: 'a' });
    b.write('temperature_log', L, 'voided', { reason: 'b' });
    await syncAll([a, b], 2);
    a.write('temperature_log', L, 'restored', { reason: 'a' });
    await syncAll([a, b], 2);
    await srv.idle();
    await assertConverged(sdb, srv, site, [a, b]);
  });

  it('one log id recorded on two laptops offline (different containers and readings), voided on one', async () => {
    const site = 'TWICE';
    const { a, b } = await site2(site);
    await syncAll([a, b], 2);
    const L = uid(2);
    a.write('temperature_log', L, 'recorded', { container_id: 'P1', readings: [{ timestamp: '2025-03-01T08:00:00Z', value: 8 }, { timestamp: '2025-03-02T09:00:00Z', value: 45 }] });
    b.write('temperature_log', L, 'recorded', { container_id: 'P2', readings: [{ timestamp: '2025-03-03T08:00:00Z', value: 11 }] });
    b.write('temperature_log', L, 'voided', { reason: 'b' });
    await b.client.syncNow();
    await a.client.syncNow();
    await syncAll([a, b], 2);
    await assertConverged(sdb, srv, site, [a, b]);
  });

  it('server restart: the replica rebuilt from PostgreSQL equals the live one', async () => {
    const site = 'RESTART';
    const { a, b } = await site2(site);
    await syncAll([a, b], 1);
    const L = uid(3);
    a.write('temperature_log', L, 'recorded', { container_id: 'P1', readings: [{ timestamp: '2025-03-01T08:00:00Z', value: 8 }, { timestamp: '2025-03-02T09:00:00Z', value: 45 }] });
    await syncAll([a, b], 1);
    a.write('temperature_log', L, 'voided', { reason: 'a' });
    b.write('temperature_log', L, 'voided', { reason: 'b' });
    b.write('temperature_log', L, 'restored', { reason: 'b' });
    await syncAll([a, b], 2);
    await srv.idle();
    const live = projectionDump((await srv.replica(site)).db);
    const srv2 = await buildServer({ db: sdb, clock: () => new Date('2025-06-30T12:00:00Z') });
    const again = projectionDump((await srv2.replica(site)).db);
    await srv2.close();
    expect(again).toEqual(live);
    await assertConverged(sdb, srv, site, [a, b]);
  });
  it('a payload with a NUL character or an unpaired surrogate is rejected for good with a reason; the queue drains', async () => {
    for (const [name, note] of [['NUL', 'a\u0000b'], ['lone surrogate', 'x\ud800y']] as const) {
      const site = `U${name.length}`;
      const token = await createSiteAndToken(S.call, S.admin, site);
      const a = makeLaptop('a', site, token, injectFetch(srv));
      seedSite(a, site);
      await a.client.syncNow();
      a.write('mortality', uid(1), 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', count: 3, note });
      a.write('mortality', uid(2), 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-02', count: 4 });
      expect(await trySync(a)).toBe('ok');
      expect(pending(a), name).toBe(0);
      const rejected = a.client.status().rejected;
      expect(rejected.map((r) => r.reason), name).toEqual(['invalid payload: it holds a NUL character or an unpaired UTF-16 surrogate, which the server cannot store']);
      const stored = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM rejected_events WHERE site_id = ${site}`.execute(sdb.db)).rows[0]!.n;
      expect(stored, name).toBe(1);
    }
  });

  it('a rebuild early in a push does not defer the foreign keys of the events after it: a log of an unknown container is rejected, the push commits', async () => {
    const site = 'FK';
    const { a, b } = await site2(site);
    await a.client.syncNow(); await b.client.syncNow();
    a.write('container', 'P1', 'corrected', { patch: { name: 'Pen one' }, reason: 'a' });
    await a.client.syncNow();
    // b, offline: a concurrent correction (the server rebuilds P1), then a log of a container the server never had
    b.write('container', 'P1', 'corrected', { patch: { name: 'Pen uno' }, reason: 'b' });
    b.conn.sqlite.pragma('foreign_keys = OFF'); // a buggy device: its own database let it in
    b.write('temperature_log', uid(9), 'recorded', { container_id: 'GHOST', readings: [{ timestamp: '2025-03-01T08:00:00Z', value: 8 }] });
    b.conn.sqlite.pragma('foreign_keys = ON');
    expect(await trySync(b)).toBe('ok');
    expect(b.client.status().rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/FOREIGN KEY/)]);
    a.write('mortality', uid(10), 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', count: 1 });
    expect(await trySync(a)).toBe('ok');
    expect(pending(a)).toBe(0);
  });

  it('a pulled page commits with synchronous = NORMAL and leaves the connection as it was, also when the page fails', async () => {
    const site = 'SYNCM';
    const token = await createSiteAndToken(S.call, S.admin, site);
    const a = makeLaptop('a', site, token, injectFetch(srv));
    seedSite(a, site);
    await a.client.syncNow();
    let boom = true;
    const b = makeLaptop('b', site, token, injectFetch(srv), { faults: { beforeCursor: () => { if (boom) { boom = false; throw new Error('boom'); } } } });
    const before = b.conn.sqlite.pragma('synchronous', { simple: true });
    expect(before).toBe(2);
    expect(await trySync(b)).toMatch(/boom/);
    expect(b.conn.sqlite.pragma('synchronous', { simple: true })).toBe(before);
    expect(await trySync(b)).toBe('ok');
    expect(b.conn.sqlite.pragma('synchronous', { simple: true })).toBe(before);
  });
});
