import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { ServerDb } from '../../sync/server/db';
import { backends } from './backends';
import { assertConverged, createSiteAndToken, injectFetch, makeLaptop, seedSite, setupServer, type Laptop } from './helpers';

for (const be of backends()) {
  describe.skipIf(be.skip !== null)(`sync protocol on ${be.name}${be.skip ? ` (skipped: ${be.skip})` : ''}`, () => {
    let sdb: ServerDb;
    let S: Awaited<ReturnType<typeof setupServer>>;
    let token: string;
    let tokenR: string;
    beforeAll(async () => {
      sdb = await be.open();
      S = await setupServer(sdb);
      token = await createSiteAndToken(S.call, S.admin, 'SITE-A');
      tokenR = await createSiteAndToken(S.call, S.admin, 'SITE-R');
    });
    afterAll(async () => { await S?.srv.close(); await sdb?.close(); await be.stop(); });

    it('pushes, pulls, recomputes; a second laptop converges', async () => {
      const f = injectFetch(S.srv);
      const a = makeLaptop('a', 'SITE-A', token, f);
      const b = makeLaptop('b', 'SITE-A', token, f);
      seedSite(a, 'SITE-A');
      a.write('growth_sample', 'GS1', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', sample_size: 30, avg_weight_g: 800 });
      const r = await a.client.syncNow();
      expect(r.push.accepted).toBe(8);
      await b.client.syncNow();
      b.write('mortality', 'M1', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-04-01', count: 50 });
      await b.client.syncNow();
      await a.client.syncNow();
      await S.srv.idle();
      const n = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM batch_states WHERE site_id = 'SITE-A'`.execute(sdb.db)).rows[0]!.n;
      expect(n).toBeGreaterThan(100);
      await assertConverged(sdb, S.srv, 'SITE-A', [a, b]);
      const laps: Laptop[] = [a, b];
      for (const l of laps) l.conn.close();
    });

    /**
     * A state row's last_server_seq is the server seq at which the row last changed: a recompute writes
     * only the rows that differ from what the server wrote before, so HQ can read "changed since".
     */
    type Row = Record<string, unknown> & { last_server_seq: number };
    const rows = async () => ({
      a: (await sql<Row>`SELECT * FROM assignment_states WHERE site_id = 'SITE-R' ORDER BY assignment_id, date`.execute(sdb.db)).rows,
      b: (await sql<Row>`SELECT * FROM batch_states WHERE site_id = 'SITE-R' ORDER BY batch_id, date`.execute(sdb.db)).rows,
    });
    const values = (rs: Row[]) => rs.map(({ last_server_seq: _s, ...r }) => JSON.stringify(r));
    const lastSeq = async () => Number((await sql<{ m: number }>`SELECT max(server_seq) AS m FROM events WHERE site_id = 'SITE-R'`.execute(sdb.db)).rows[0]!.m);

    it('stamps a row with the seq at which it last changed; unchanged rows keep their stamp; the rows equal a full rewrite', async () => {
      const a = makeLaptop('a', 'SITE-R', tokenR, injectFetch(S.srv));
      seedSite(a, 'SITE-R');
      a.write('growth_sample', 'GS1', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', sample_size: 30, avg_weight_g: 800 });
      await a.client.syncNow();
      await S.srv.idle();
      const first = await rows();
      const seq1 = await lastSeq();
      expect(first.b.length).toBeGreaterThan(100);
      expect(new Set([...first.a, ...first.b].map((r) => Number(r.last_server_seq)))).toEqual(new Set([seq1]));

      // a mortality late in the batch: the days before it do not change
      a.write('mortality', 'M1', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-05-01', count: 500 });
      await a.client.syncNow();
      await S.srv.idle();
      const second = await rows();
      const seq2 = await lastSeq();
      expect(seq2).toBeGreaterThan(seq1);
      for (const [was, is] of [[first.a, second.a], [first.b, second.b]] as const) {
        const before = new Map(was.map((r) => [`${String(r.assignment_id ?? r.batch_id)}|${String(r.date)}`, r]));
        let kept = 0, changed = 0;
        for (const r of is) {
          const old = before.get(`${String(r.assignment_id ?? r.batch_id)}|${String(r.date)}`);
          const same = old !== undefined && values([old])[0] === values([r])[0];
          expect(Number(r.last_server_seq)).toBe(same ? Number(old!.last_server_seq) : seq2);
          if (same) kept++; else changed++;
          if (String(r.date) < '2025-05-01') expect(same).toBe(true);
        }
        expect(kept).toBeGreaterThan(0);
        expect(changed).toBeGreaterThan(0);
      }
      const out = (await sql<{ last_server_seq: number }>`SELECT last_server_seq FROM batch_outputs WHERE site_id = 'SITE-R'`.execute(sdb.db)).rows;
      expect(out.map((o) => Number(o.last_server_seq))).toEqual([seq2]); // the batch's stamp: the last seq its states include

      // a void takes the record back out: the rows it changed go back to their first values, stamped again
      a.write('mortality', 'M1', 'voided', { reason: 'wrong pen' });
      await a.client.syncNow();
      await S.srv.idle();
      const third = await rows();
      const seq3 = await lastSeq();
      expect(values(third.a)).toEqual(values(first.a));
      expect(values(third.b)).toEqual(values(first.b));
      expect(third.b.filter((r) => Number(r.last_server_seq) === seq3).length).toBeGreaterThan(0);

      // a server started afresh (no memory of what it wrote) rewrites the batch: the same values
      const S2 = await setupServer(sdb);
      await S2.srv.replica('SITE-R'); // loads the replica from PostgreSQL
      a.write('mortality', 'M2', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-06-01', count: 5 });
      await a.client.syncNow();
      await S.srv.idle();
      const incremental = await rows();
      const b = makeLaptop('b', 'SITE-R', tokenR, injectFetch(S2.srv));
      await b.client.syncNow(); // pulls through S2
      const seq4 = await lastSeq();
      // S2 recomputes from scratch when it sees a push: send one through it
      b.write('mortality', 'M3', 'recorded', { batch_id: 'B1', assignment_id: 'A1', date: '2025-06-02', count: 1 });
      b.write('mortality', 'M3', 'voided', { reason: 'test' });
      await b.client.syncNow();
      await S2.srv.idle();
      const full = await rows();
      expect((await sql<{ ok: boolean }>`SELECT ok FROM batch_outputs WHERE site_id = 'SITE-R'`.execute(sdb.db)).rows).toEqual([{ ok: true }]);
      expect(full.a.length).toBeGreaterThan(100);
      expect(new Set(full.a.map((r) => Number(r.last_server_seq)))).toEqual(new Set([await lastSeq()])); // all rewritten, stamped now
      expect(values(full.a)).toEqual(values(incremental.a));
      expect(values(full.b)).toEqual(values(incremental.b));
      expect(seq4).toBeGreaterThan(seq3);
      await S2.srv.close();
      a.conn.close(); b.conn.close();
    });
  });
}
