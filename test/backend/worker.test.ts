import { describe, expect, it } from 'vitest';
import { verifyBatch } from '../../backend/recompute/verify';
import { must, openBackend, seedSmallSite } from './helpers';

describe('recompute in a worker thread', () => {
  it('states become fresh after edits and equal a full recompute; events arrive', async () => {
    const be = await openBackend(undefined, { recompute: 'worker' });
    const fresh: string[] = [];
    be.on('states.fresh', (e) => fresh.push(e.batch_id));
    await seedSmallSite(be);
    must(await be.call('sample.record', { id: 'G1', batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', sample_size: 30, avg_weight_g: 900 }));
    must(await be.call('mortality.record', { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', count: 50 }));
    await be.idle();
    expect(fresh).toContain('B1');
    expect(be.ctx.db.prepare('SELECT COUNT(*) AS n FROM dirty_batches').get()).toEqual({ n: 0 });
    expect(verifyBatch(be.ctx.db, 'B1')).toEqual([]);
    await be.close();
  });

  it('a crashed worker is replaced: the edit made meanwhile is computed, and idle() waits for it', async () => {
    const be = await openBackend(undefined, { recompute: 'worker' });
    await seedSmallSite(be);
    await be.idle();
    const errors: string[] = [];
    const log = console.error;
    console.error = (...a: unknown[]) => { errors.push(a.map(String).join(' ')); };
    try {
      be.crashRecomputeWorkerForTests();
      must(await be.call('sample.record', { id: 'G1', batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', sample_size: 30, avg_weight_g: 900 }));
      await be.idle();
      expect(be.ctx.db.prepare('SELECT COUNT(*) AS n FROM dirty_batches').get()).toEqual({ n: 0 });
      expect(verifyBatch(be.ctx.db, 'B1')).toEqual([]);
      const w = be.ctx.db.prepare("SELECT avg_weight_g FROM assignment_states WHERE assignment_id = 'A1' AND date = '2025-03-01'").get() as { avg_weight_g: number };
      expect(w.avg_weight_g).toBeCloseTo(900, 6); // the sample's day: the new worker computed it
      expect(errors.some((e) => /recompute worker exited \(code 70\): restarted/.test(e))).toBe(true);
      // a worker that keeps crashing is given up after 3 restarts a minute; edits still save, idle() returns
      const exits = () => errors.filter((e) => /recompute worker exited/.test(e)).length;
      for (let i = 0; i < 3; i++) {
        const before = exits();
        be.crashRecomputeWorkerForTests();
        for (let k = 0; k < 100 && exits() === before; k++) await new Promise((r) => setTimeout(r, 50));
      }
      must(await be.call('mortality.record', { batch_id: 'B1', assignment_id: 'A1', date: '2025-04-01', count: 5 }));
      await be.idle();
      expect(errors.some((e) => /not restarted; states stay stale until the app starts again/.test(e))).toBe(true);
      expect(be.ctx.db.prepare('SELECT COUNT(*) AS n FROM dirty_batches').get()).toEqual({ n: 1 });
    } finally {
      console.error = log;
      await be.close();
    }
  });
});
