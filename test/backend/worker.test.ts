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
});
