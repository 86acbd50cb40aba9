/**
 * Spec §8: faults a release must survive, with several simulated laptops (each a SQLite site
 * database with the app schema) and a seeded random schedule. Each scenario ends with the check:
 * the server and every laptop hold exactly the union of accepted events, once each, and identical
 * projections and states.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDb } from '../../sync/server/db';
import { sha256Hex } from '../../backend/events/canonical';
import { buildServer, type SyncServer } from '../../sync/server/app';
import type { FetchFn } from '../../sync/client/client';
import { backends } from './backends';
import { assertConverged, createSiteAndToken, injectFetch, makeLaptop, rng, seedSite, setupServer, NOW, type Laptop } from './helpers';

/** A fetch whose server can be swapped (restart) and whose faults follow a seeded schedule. */
function faultyNet(getSrv: () => SyncServer, r: () => number, p: { fail: number; drop: number }) {
  let on = false;
  const f: FetchFn = async (url, init) => {
    const inner = injectFetch(getSrv(), { failRequest: () => on && r() < p.fail, dropResponse: () => on && r() < p.drop });
    return inner(url, init);
  };
  return { fetch: f, heal() { on = false; }, break() { on = true; } };
}

async function syncAll(laps: Laptop[], rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) for (const l of laps) await l.client.syncNow();
}

for (const be of backends()) {
  describe.skipIf(be.skip !== null)(`faults on ${be.name}${be.skip ? ` (skipped: ${be.skip})` : ''}`, () => {
    let sdb: ServerDb;
    let S: Awaited<ReturnType<typeof setupServer>>;
    let srv: SyncServer;
    beforeAll(async () => { sdb = await be.open(); S = await setupServer(sdb); srv = S.srv; });
    afterAll(async () => { await srv?.close(); await sdb?.close(); await be.stop(); });

    it('seeded random schedule: lost responses, failed requests, client crashes before the ack and before the cursor, server restarts', async () => {
      const site = 'RND';
      const token = await createSiteAndToken(S.call, S.admin, site);
      const r = rng(20250630);
      const net = faultyNet(() => srv, r, { fail: 0.15, drop: 0.2 });
      let crashAck = false, crashCursor = false, crashSend = false;
      const fired = { send: 0, ack: 0, cursor: 0, restarts: 0 };
      const faults = {
        beforeSend: () => { if (crashSend) { crashSend = false; fired.send++; throw new Error('killed before send'); } },
        afterResponse: (k: 'push' | 'pull') => { if (crashAck && k === 'push') { crashAck = false; fired.ack++; throw new Error('killed before the ack committed'); } },
        beforeCursor: () => { if (crashCursor) { crashCursor = false; fired.cursor++; throw new Error('killed between page and cursor'); } },
      };
      const laps = ['a', 'b', 'c'].map((n, i) => makeLaptop(n, site, token, net.fetch, { faults, pullLimit: 3 }, undefined, [0, 6 * 3600_000, -6 * 3600_000][i]));
      // a fourth laptop whose clock says year 2000
      laps.push(makeLaptop('y2k', site, token, net.fetch, { faults, pullLimit: 3 }, undefined, Date.parse('2000-01-01T00:00:00Z') - NOW.getTime()));
      seedSite(laps[0]!, site);
      await syncAll(laps, 1);
      net.break();
      const restart = (i: number) => { const l = laps[i]!; laps[i] = l.reopen(); };
      let n = 0, syncs = 0;
      for (let step = 0; step < 80; step++) {
        const i = Math.floor(r() * laps.length);
        const l = laps[i]!;
        const x = r();
        if (x < 0.35) l.write('mortality', `M${n++}`, 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: `2025-0${2 + Math.floor(r() * 4)}-1${Math.floor(r() * 9)}`, count: 1 + Math.floor(r() * 20) });
        else if (x < 0.5 && n > 0) {
          const id = `M${Math.floor(r() * Math.min(n, 3))}`; // a few hot records: concurrent corrections
          if (l.conn.sqlite.prepare('SELECT 1 FROM mortality WHERE id = ?').get(id)) l.write('mortality', id, 'corrected', { patch: r() < 0.5 ? { count: 1 + Math.floor(r() * 20) } : { cause: `c${Math.floor(r() * 3)}` }, reason: 'fix' });
        } else if (x < 0.55 && n > 0) {
          const id = `M${Math.floor(r() * n)}`;
          if (l.conn.sqlite.prepare('SELECT 1 FROM mortality WHERE id = ? AND voided = 0').get(id)) l.write('mortality', id, 'voided', { reason: 'dup' });
        } else {
          const y = r();
          // an armed crash stays armed until it fires at its point
          if (y < 0.3) { const k = syncs % 3; if (k === 0) crashAck = true; else if (k === 1) crashCursor = true; else crashSend = true; }
          syncs++;
          try { await l.client.syncNow(); } catch { restart(i); /* a fault: the laptop process "restarts" */ }
        }
        if (r() < 0.05) { fired.restarts++; await srv.idle(); srv = await buildServer({ db: sdb, clock: () => NOW }); } // server restart: replicas rebuilt from PostgreSQL
      }
      net.heal();
      crashAck = crashCursor = crashSend = false;
      await syncAll(laps);
      // plus one certain offline conflict: two laptops (clocks +6 h and year 2000) correct the same field of the same record
      laps[1]!.write('placement', 'PL1', 'corrected', { patch: { count: 10001 }, reason: 'b' });
      laps[3]!.write('placement', 'PL1', 'corrected', { patch: { count: 10002 }, reason: 'y2k' });
      await syncAll(laps);
      // every conflict resolved by a person on one laptop
      const conflicts = laps[0]!.client.status().conflicts;
      for (const c of conflicts) {
        for (const l of laps) expect(l.client.status().conflicts.find((k) => k.entity_id === c.entity_id)?.winner).toBe(c.winner);
        const patch: Record<string, unknown> = {};
        for (const f of c.fields) if (!f.startsWith('(')) patch[f] = c.heads[0]!.patch?.[f];
        if (Object.keys(patch).length) laps[0]!.client.resolveConflict(c.entity_type, c.entity_id, { patch, reason: 'resolved' });
        else laps[0]!.client.resolveConflict(c.entity_type, c.entity_id, { void: 'resolved' });
      }
      await syncAll(laps);
      for (const l of laps) expect(l.client.status().conflicts).toEqual([]);
      await assertConverged(sdb, srv, site, laps);
      // the schedule really exercised the faults and the conflicts
      expect(Object.values(fired).every((n) => n > 0), JSON.stringify(fired)).toBe(true);
      expect(conflicts.length).toBeGreaterThan(0);
      expect(laps[0]!.conn.sqlite.prepare('SELECT count(*) AS n FROM events WHERE server_seq IS NOT NULL').get()).toMatchObject({ n: expect.any(Number) });
      expect((laps[0]!.conn.sqlite.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBeGreaterThan(30);
      for (const l of laps) l.conn.close();
    });

    it('two laptops correct the same field offline (conflict, same winner, resolved) and different fields (merged)', async () => {
      const site = 'CONF';
      const token = await createSiteAndToken(S.call, S.admin, site);
      const f = injectFetch(srv);
      const a = makeLaptop('a', site, token, f), b = makeLaptop('b', site, token, f);
      seedSite(a, site);
      a.write('growth_sample', 'G1', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', sample_size: 30, avg_weight_g: 800 });
      await syncAll([a, b], 1);
      a.write('growth_sample', 'G1', 'corrected', { patch: { avg_weight_g: 810, std_dev_g: 50 }, reason: 'a' });
      b.write('growth_sample', 'G1', 'corrected', { patch: { avg_weight_g: 820 }, reason: 'b' });
      a.write('placement', 'PL1', 'corrected', { patch: { count: 10100 }, reason: 'a' });
      b.write('placement', 'PL1', 'corrected', { patch: { avg_weight_g: 510 }, reason: 'b' });
      await syncAll([a, b]);
      for (const l of [a, b]) {
        const st = l.client.status();
        expect(st.conflicts.map((c) => [c.entity_id, c.fields])).toEqual([['G1', ['avg_weight_g']]]);
        expect(st.conflicts[0]!.heads.map((h) => h.actor).sort()).toEqual(['a', 'b']);
        expect(l.conn.sqlite.prepare('SELECT count, avg_weight_g FROM placements WHERE id = ?').get('PL1')).toEqual({ count: 10100, avg_weight_g: 510 });
        expect((l.conn.sqlite.prepare('SELECT std_dev_g FROM growth_samples WHERE id = ?').get('G1') as { std_dev_g: number }).std_dev_g).toBe(50);
      }
      expect(a.client.status().conflicts[0]!.winner).toBe(b.client.status().conflicts[0]!.winner);
      b.client.resolveConflict('growth_sample', 'G1', { patch: { avg_weight_g: 815 }, reason: 'agreed' });
      await syncAll([a, b]);
      for (const l of [a, b]) {
        expect(l.client.status().conflicts).toEqual([]);
        expect((l.conn.sqlite.prepare('SELECT avg_weight_g FROM growth_samples WHERE id = ?').get('G1') as { avg_weight_g: number }).avg_weight_g).toBe(815);
      }
      await assertConverged(sdb, srv, site, [a, b]);
      a.conn.close(); b.conn.close();
    });

    it('a laptop restored from an old backup registers a new device_id and loses nothing', async () => {
      const site = 'BAK';
      const token = await createSiteAndToken(S.call, S.admin, site);
      const f = injectFetch(srv);
      const a = makeLaptop('a', site, token, f), b = makeLaptop('b', site, token, f);
      seedSite(a, site);
      await syncAll([a, b], 1);
      a.write('mortality', 'X1', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', count: 3 });
      const backup = join(mkdtempSync(join(tmpdir(), 'aquamind-bak-')), 'site.db');
      a.conn.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      copyFileSync(a.path, backup);
      a.write('mortality', 'X2', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-02', count: 4 });
      await a.client.syncNow();
      a.conn.close();
      const restored = makeLaptop('a', site, token, f, {}, backup);
      restored.write('mortality', 'X3', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-03', count: 5 });
      const oldId = restored.client.status().device_id;
      await syncAll([restored, b]);
      expect(restored.client.status().device_id).not.toBe(oldId);
      const ids = (restored.conn.sqlite.prepare("SELECT id FROM mortality ORDER BY id").all() as { id: string }[]).map((x) => x.id);
      expect(ids).toEqual(['X1', 'X2', 'X3']);
      await assertConverged(sdb, srv, site, [restored, b]);
      restored.conn.close(); b.conn.close();
    });

    it('a queue larger than one request goes in requests of at most 1 MiB each', async () => {
      const site = 'BIG';
      const token = await createSiteAndToken(S.call, S.admin, site);
      const sizes: number[] = [];
      const inner = injectFetch(srv);
      const measured: FetchFn = async (url, init) => { if (init.body !== undefined && url.endsWith('/push')) sizes.push(Buffer.byteLength(init.body)); return inner(url, init); };
      const a = makeLaptop('a', site, token, measured);
      const b = makeLaptop('b', site, token, injectFetch(srv));
      seedSite(a, site);
      const log = (n: number, day: number) => ({ container_id: 'P1', source: 'logger',
        readings: Array.from({ length: n }, (_, i) => ({ timestamp: new Date(Date.parse('2025-03-01T00:00:00Z') + day * 86_400_000 + i * 1000).toISOString(), value: 9 + (i % 50) / 10 })) });
      const ids: string[] = [];
      for (let d = 0; d < 30; d++) { const id = `00000000-0000-7000-8000-${String(d).padStart(12, '0')}`; a.write('temperature_log', id, 'recorded', log(900, d)); ids.push(id); }
      a.write('mortality', 'M-after', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-04-01', count: 3, cause: 'unknown' });
      const sum = await a.client.push();
      expect(sizes.length).toBeGreaterThanOrEqual(2);
      for (const n of sizes) expect(n).toBeLessThanOrEqual(1024 * 1024);
      expect(sum.accepted).toBe(7 + 30 + 1);
      const st = a.client.status();
      expect(st.pending).toBe(0);
      expect(st.rejected).toEqual([]);
      await b.client.pull();
      // pulled pages commit with synchronous = NORMAL; the app's own writes are FULL again afterwards
      expect(b.conn.sqlite.pragma('synchronous', { simple: true })).toBe(2);
      const have = b.conn.sqlite.prepare("SELECT entity_id FROM events WHERE entity_type = 'temperature_log' ORDER BY entity_id").all() as { entity_id: string }[];
      expect(have.map((r) => r.entity_id)).toEqual(ids);
      const readings = (db: typeof a.conn.sqlite) => db.prepare('SELECT sum(n) AS n, sum(sum) AS s FROM temperature_reading_days').get();
      expect(readings(b.conn.sqlite)).toEqual({ n: 30 * 900, s: expect.any(Number) });
      expect(readings(a.conn.sqlite)).toEqual(readings(b.conn.sqlite));
    });

    it('a poison event inside a batch, one failed push and no later edits: the queue drains; the same batch sent twice concurrently', async () => {
      const site = 'POI';
      const token = await createSiteAndToken(S.call, S.admin, site);
      let fail = true;
      const f: FetchFn = async (u, i) => { if (fail) { fail = false; throw new Error('network down'); } return injectFetch(srv)(u, i); };
      const a = makeLaptop('a', site, token, f), b = makeLaptop('b', site, token, injectFetch(srv));
      seedSite(a, site);
      // poison: a removal of an assignment that does not exist (the FK fails on the server's projection)
      a.conn.sqlite.pragma('foreign_keys = OFF');
      a.write('removal', 'R1', 'recorded', { batch_id: 'B1', assignment_id: 'NOPE', date: '2025-02-01', count: 1, kind: 'harvest' });
      a.conn.sqlite.pragma('foreign_keys = ON');
      a.write('removal', 'R1', 'corrected', { patch: { count: 2 }, reason: 'x' });
      a.write('mortality', 'Y1', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', count: 1 });
      await expect(a.client.syncNow()).rejects.toThrow(/network down/);
      await Promise.all([a.client.push(), a.client.push()]); // one push in flight: the second joins it
      await syncAll([a, b]);
      const st = a.client.status();
      expect(st.pending).toBe(0);
      expect(st.rejected.map((x) => x.entity_id)).toEqual(['R1', 'R1']);
      expect(st.rejected[1]!.reason).toMatch(/built on rejected/);
      expect(a.conn.sqlite.prepare('SELECT count(*) AS n FROM removals').get()).toEqual({ n: 0 });
      await assertConverged(sdb, srv, site, [a, b]);
      a.conn.close(); b.conn.close();
    });

    it('an old app pulls newer event versions: stored deferred, applied after the update', async () => {
      const site = 'VER';
      const token = await createSiteAndToken(S.call, S.admin, site);
      const f = injectFetch(srv);
      const knowsV2 = (t: string, v: number) => v <= 2;
      const upcast = (e: import('../../sync/apply').EventRow) => e.v === 1 ? e : ({ ...e, v: 1, payload: JSON.stringify({ ...JSON.parse(e.payload), count: JSON.parse(e.payload).n, n: undefined }) });
      const a = makeLaptop('a', site, token, f), old = makeLaptop('old', site, token, f);
      seedSite(a, site);
      await syncAll([a, old], 1);
      // the new app writes mortality.recorded v2 (count renamed n); the server stores it deferred
      a.conn.sqlite.transaction(() => {
        const dev = a.conn.sqlite.prepare('SELECT device_id, next_seq FROM device').get() as { device_id: string; next_seq: number };
        const payload = JSON.stringify({ assignment_id: 'A1', batch_id: 'B1', date: '2025-02-01', n: 7 });
        a.conn.sqlite.prepare(`INSERT INTO events (event_id, device_id, device_seq, hlc, occurred_at, type, v, entity_type, entity_id, site_id, base_event_ids, actor, payload, payload_sha256, deferred)
          VALUES ('0197c0de-0000-7000-8000-000000000001', ?, ?, ?, '2025-06-30', 'mortality.recorded', 2, 'mortality', 'V2', ?, '[]', 'a', ?, ?, 1)`)
          .run(dev.device_id, dev.next_seq, `000001751277600000-00000-${dev.device_id}`.slice(3), site, payload, sha256Hex(payload));
        a.conn.sqlite.prepare('UPDATE device SET next_seq = next_seq + 1').run();
      })();
      await syncAll([a, old]);
      expect(old.client.status().deferred).toBe(1);
      expect(old.conn.sqlite.prepare("SELECT count(*) AS n FROM mortality WHERE id = 'V2'").get()).toEqual({ n: 0 });
      old.conn.close();
      const updated = makeLaptop('old', site, token, f, { knownVersion: knowsV2, upcast }, old.path);
      expect(updated.client.applyDeferred()).toBe(1);
      expect(updated.conn.sqlite.prepare("SELECT count FROM mortality WHERE id = 'V2'").get()).toEqual({ count: 7 });
      a.conn.close(); updated.conn.close();
    });
  });
}
