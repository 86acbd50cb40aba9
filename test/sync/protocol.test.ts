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
    beforeAll(async () => {
      sdb = await be.open();
      S = await setupServer(sdb);
      token = await createSiteAndToken(S.call, S.admin, 'SITE-A');
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
  });
}
