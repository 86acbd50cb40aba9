/**
 * Spec §8, two faults tested head on:
 *  - the server restarts mid-push (its transaction dies before commit) and mid-pull (a laptop is
 *    several pages into a backlog): nothing is lost or applied twice, the pull resumes at its cursor;
 *  - an old batch of events replayed days later, out of order (a proxy, a stuck retry, a restored
 *    client): every event comes back `duplicate` with its original server_seq (the poison event
 *    `rejected` with its original reason), and nothing changes: no event, no projection, no state,
 *    not the device's sequence nor its measured clock offset.
 * Both end with the convergence check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { FetchFn } from '../../sync/client/client';
import { PushResponseSchema, type PushResponse } from '../../sync/protocol';
import { buildServer, type SyncServer } from '../../sync/server/app';
import type { ServerDb } from '../../sync/server/db';
import { backends } from './backends';
import { NOW, assertConverged, createSiteAndToken, injectFetch, makeLaptop, projectionDump, seedSite, setupServer, type Laptop } from './helpers';

const DAY = 86_400_000;

async function serverEvents(sdb: ServerDb, site: string): Promise<string[]> {
  return (await sql<Record<string, unknown>>`SELECT event_id, device_id, device_seq, server_seq, received_at, effective_ts, payload_sha256 FROM events
    WHERE site_id = ${site} ORDER BY server_seq`.execute(sdb.db)).rows.map((r) => JSON.stringify(r));
}

async function serverStates(sdb: ServerDb, site: string): Promise<string[]> {
  return (await sql<Record<string, unknown>>`SELECT * FROM batch_states WHERE site_id = ${site} ORDER BY batch_id, date`.execute(sdb.db)).rows.map((r) => JSON.stringify(r));
}

for (const be of backends()) {
  describe.skipIf(be.skip !== null)(`restarts and replays on ${be.name}${be.skip ? ` (skipped: ${be.skip})` : ''}`, () => {
    let sdb: ServerDb;
    let S: Awaited<ReturnType<typeof setupServer>>;
    const servers: SyncServer[] = [];
    beforeAll(async () => { sdb = await be.open(); S = await setupServer(sdb); servers.push(S.srv); });
    afterAll(async () => {
      for (const s of servers) await s.close().catch(() => undefined);
      await sdb?.close(); await be.stop();
    });

    it('the server restarts mid-push and mid-pull: nothing lost, nothing applied twice, the pull resumes at its cursor', async () => {
      const site = 'RESTART';
      const token = await createSiteAndToken(S.call, S.admin, site);
      let current: SyncServer = S.srv;
      let restarting: Promise<void> = Promise.resolve();
      const restart = async (): Promise<void> => {
        // the old process is gone: its in-memory replicas with it; the new one rebuilds from PostgreSQL
        const old = current;
        current = await buildServer({ db: sdb, clock: () => NOW, beforeCommit: (i) => killMidPush?.(i) });
        servers.push(current);
        await old.close();
      };
      let killMidPush: ((info: { accepted: number }) => void) | null = null;
      current = await buildServer({ db: sdb, clock: () => NOW, beforeCommit: (i) => killMidPush?.(i) });
      servers.push(current);
      const route: FetchFn = (u, i) => injectFetch(current)(u, i);

      // laptop A: a site and 1,200 records; the first push dies inside the server's transaction
      const a = makeLaptop('a', site, token, route);
      seedSite(a, site);
      for (let i = 0; i < 1200; i++) a.write(i % 3 ? 'feed' : 'mortality', `R${i}`, 'recorded', i % 3
        ? { batch_id: 'B1', assignment_id: 'A1', date: `2025-0${2 + (i % 4)}-1${i % 10}`, kg: 100 + i }
        : { batch_id: 'B1', assignment_id: 'A2', date: `2025-0${2 + (i % 4)}-1${i % 10}`, count: 1 + (i % 7) });
      let killed = 0;
      killMidPush = (info) => {
        if (killed === 0 && info.accepted > 0) { killed++; restarting = restart(); throw new Error('server process killed before commit'); }
      };
      await expect(a.client.push()).rejects.toThrow(/HTTP 500/);
      expect(killed).toBe(1);
      expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM events WHERE site_id = ${site}`.execute(sdb.db)).rows[0]!.n).toBe(0);
      killMidPush = null;
      await restarting;
      await a.client.push(); // to the restarted server
      expect(a.client.status().pending).toBe(0);
      const afterPush = (await sql<{ n: number; d: number }>`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM events WHERE site_id = ${site}`.execute(sdb.db)).rows[0]!;
      expect(afterPush).toEqual({ n: 1207, d: 1207 });

      // laptop B pulls the backlog in pages of 100; the server restarts while it serves the 5th page
      let pulls = 0;
      const bRoute: FetchFn = async (u, i) => {
        if (u.includes('/v1/sync/pull') && ++pulls === 5) {
          await injectFetch(current)(u, i); // the page was read on the server…
          await restart(); // …and the process restarted before the response went out
          throw new TypeError('fetch failed: socket hang up');
        }
        return route(u, i);
      };
      const b = makeLaptop('b', site, token, bRoute, { pullLimit: 100 });
      await expect(b.client.pull()).rejects.toThrow(/socket hang up/);
      const cursor = b.client.status().pull_cursor;
      const seqs = (await sql<{ server_seq: number }>`SELECT server_seq FROM events WHERE site_id = ${site} ORDER BY server_seq`.execute(sdb.db)).rows.map((r) => Number(r.server_seq));
      expect(cursor).toBe(seqs[399]); // four pages applied, with their cursor
      expect(b.conn.sqlite.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 400 });

      // while it was down, laptop A recorded more, pushed to the new server; B resumes at its cursor
      for (let i = 0; i < 30; i++) a.write('mortality', `N${i}`, 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-06-01', count: 2 });
      a.write('mortality', 'R0', 'corrected', { patch: { count: 99 }, reason: 'recount' });
      await a.client.syncNow();
      const r = await b.client.pull();
      expect(r.pulled).toBe(1207 + 31 - 400);
      expect(b.conn.sqlite.prepare('SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events').get()).toEqual({ n: 1238, d: 1238 });
      expect((b.conn.sqlite.prepare("SELECT count FROM mortality WHERE id = 'R0'").get() as { count: number }).count).toBe(99);
      await a.client.syncNow(); await b.client.syncNow();
      await assertConverged(sdb, current, site, [a, b]);
      a.conn.close(); b.conn.close();
    });

    it('an old batch replayed days later, out of order: duplicates with their original server_seq; nothing changes', async () => {
      const site = 'REPLAY';
      const token = await createSiteAndToken(S.call, S.admin, site);
      let serverNow = NOW;
      const srv = await buildServer({ db: sdb, clock: () => serverNow });
      servers.push(srv);
      // laptop A's link records every push it sent and the response it got
      const sent: { body: string; res: PushResponse }[] = [];
      const base = injectFetch(srv);
      const recording: FetchFn = async (u, i) => {
        const res = await base(u, i);
        const text = await res.text();
        if (i.method === 'POST' && u.endsWith('/v1/sync/push') && res.status === 200) sent.push({ body: i.body!, res: PushResponseSchema.parse(JSON.parse(text)) });
        return { status: res.status, text: async () => text };
      };
      const a = makeLaptop('a', site, token, recording), b = makeLaptop('b', site, token, injectFetch(srv));
      seedSite(a, site);
      for (let i = 1; i <= 20; i++) a.write('mortality', `M${i}`, 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: `2025-03-${String(i).padStart(2, '0')}`, count: i });
      // a poison event in the first batch: rejected for good
      a.conn.sqlite.pragma('foreign_keys = OFF');
      a.write('removal', 'R1', 'recorded', { batch_id: 'B1', assignment_id: 'NOPE', date: '2025-02-01', count: 1, kind: 'harvest' });
      a.conn.sqlite.pragma('foreign_keys = ON');
      await a.client.syncNow();
      for (let i = 21; i <= 40; i++) a.write('feed', `F${i}`, 'recorded', { batch_id: 'B1', assignment_id: 'A2', date: `2025-04-${String(i - 20).padStart(2, '0')}`, kg: 10 * i });
      await a.client.syncNow();
      expect(sent).toHaveLength(2);
      expect(sent[0]!.res.results.filter((r) => r.status === 'rejected')).toHaveLength(1);

      // the days after: the other laptop corrects and voids records of that first batch, A moves on
      await b.client.syncNow();
      b.write('mortality', 'M1', 'corrected', { patch: { count: 100 }, reason: 'recount' });
      b.write('mortality', 'M2', 'voided', { reason: 'entered twice' });
      a.write('mortality', 'M3', 'corrected', { patch: { cause: 'lice' }, reason: 'cause found' });
      a.write('mortality', 'M41', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-05-01', count: 4 });
      for (const l of [b, a, b]) await l.client.syncNow();
      await srv.idle();

      const before = {
        events: await serverEvents(sdb, site),
        states: await serverStates(sdb, site),
        outputs: (await sql`SELECT batch_id, last_server_seq, computed_at, states_sha256 FROM batch_outputs WHERE site_id = ${site} ORDER BY batch_id`.execute(sdb.db)).rows,
        device: (await sql`SELECT device_id, last_seq, clock_offset_ms, app_version, last_push_at FROM devices WHERE site_id = ${site} ORDER BY device_id`.execute(sdb.db)).rows,
        projection: projectionDump((await srv.replica(site)).db),
      };
      expect(before.projection.mortality!.filter((r) => r.includes('"id":"M1"') && r.includes('"count":100'))).toHaveLength(1);
      expect(before.projection.mortality!.filter((r) => r.includes('"id":"M2"') && r.includes('"voided":1'))).toHaveLength(1);

      // three days later the two old requests arrive again, the second one first
      serverNow = new Date(NOW.getTime() + 3 * DAY);
      for (const old of [sent[1]!, sent[0]!]) {
        const r = await srv.app.inject({ method: 'POST', url: '/v1/sync/push', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: old.body });
        expect(r.statusCode).toBe(200);
        const res = PushResponseSchema.parse(JSON.parse(r.body));
        expect(res.results.map((x) => [x.event_id, x.status === 'accepted' ? 'duplicate' : x.status, x.server_seq, x.effective_ts ?? null, x.status === 'rejected' ? x.reason : null]))
          .toEqual(old.res.results.map((x) => [x.event_id, x.status === 'accepted' ? 'duplicate' : x.status, x.server_seq, x.effective_ts ?? null, x.status === 'rejected' ? x.reason : null]));
        expect(res.results.some((x) => x.status === 'accepted')).toBe(false);
      }
      await srv.idle();
      expect(await serverEvents(sdb, site)).toEqual(before.events);
      expect(await serverStates(sdb, site)).toEqual(before.states);
      expect((await sql`SELECT batch_id, last_server_seq, computed_at, states_sha256 FROM batch_outputs WHERE site_id = ${site} ORDER BY batch_id`.execute(sdb.db)).rows).toEqual(before.outputs);
      expect((await sql`SELECT device_id, last_seq, clock_offset_ms, app_version, last_push_at FROM devices WHERE site_id = ${site} ORDER BY device_id`.execute(sdb.db)).rows).toEqual(before.device);
      expect(projectionDump((await srv.replica(site)).db)).toEqual(before.projection);

      // the laptops see nothing new and still agree with the server
      serverNow = NOW;
      const laps: Laptop[] = [a, b];
      for (const l of laps) {
        const r = await l.client.syncNow();
        expect(r.push.sent).toBe(0);
        expect(r.pull.pulled).toBe(0);
      }
      expect(a.client.status().rejected.map((x) => x.entity_id)).toEqual(['R1']);
      await assertConverged(sdb, srv, site, laps);
      a.conn.close(); b.conn.close();
    });
  });
}
