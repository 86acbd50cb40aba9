/**
 * The long-lived recomputer keeps each batch's inputs and output parts between recomputes and
 * reloads only the input lists the dirty marker names (migration 0004). A seeded sequence of edits
 * of every kind — records, corrections, voids, restores, container temperatures, a transfer into a
 * second pen — must leave the stored states and every stored output equal to a from-scratch engine
 * run after each step, in-process and in the worker.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../backend/core';
import { Recomputer } from '../../backend/recompute/recompute';
import { verifyBatch } from '../../backend/recompute/verify';
import { mulberry32 } from '../support/rng';
import { must, openBackend, seedSmallSite } from './helpers';

const DAYS = ['2025-01-20', '2025-02-10', '2025-03-05', '2025-03-28', '2025-04-15', '2025-05-02', '2025-05-30', '2025-06-20'];

async function editSequence(be: Backend, seed: number, steps: number): Promise<string[]> {
  const r = mulberry32(seed);
  const pick = <T>(l: readonly T[]): T => l[Math.floor(r() * l.length)]!;
  const made: { method: string; id: string }[] = [];
  const done: string[] = [];
  const edits: (() => Promise<string>)[] = [
    async () => { const x = must(await be.call('sample.record', { batch_id: 'B1', assignment_id: 'A1', date: pick(DAYS), sample_size: 30, avg_weight_g: 600 + r() * 900 })); made.push({ method: 'sample', id: x.id }); return 'sample'; },
    async () => { const x = must(await be.call('mortality.record', { batch_id: 'B1', assignment_id: 'A1', date: pick(DAYS), count: 1 + Math.floor(r() * 40) })); made.push({ method: 'mortality', id: x.id }); return 'mortality'; },
    async () => { const x = must(await be.call('feed.record', { batch_id: 'B1', assignment_id: 'A1', date: pick(DAYS), kg: 50 + r() * 200 })); made.push({ method: 'feed', id: x.id }); return 'feed'; },
    async () => { must(await be.call('temperature.record', { container_id: 'P1', timestamp: `${pick(DAYS)}T0${Math.floor(r() * 9)}:00:00Z`, value: 5 + r() * 8 })); return 'temperature'; },
    async () => { must(await be.call('temperatureDaily.record', { container_id: 'P1', date: pick(DAYS), mean_c: 6 + r() * 6 })); return 'temperatureDaily'; },
    async () => { const x = must(await be.call('treatment.record', { batch_id: 'B1', assignment_id: 'A1', date: pick(DAYS), avg_weight_g: 700 + r() * 700, sample_size: 20 })); made.push({ method: 'treatment', id: x.id }); return 'treatment'; },
    async () => {
      const m = made.length ? pick(made) : null;
      if (!m) return 'none';
      const patch = m.method === 'feed' ? { kg: 10 + r() * 100 } : m.method === 'mortality' ? { count: 1 + Math.floor(r() * 10) } : { date: pick(DAYS) };
      must(await be.call(`${m.method}.correct` as 'sample.correct', { id: m.id, patch, reason: 'entered wrong' }));
      return `${m.method}.correct`;
    },
    async () => {
      const m = made.length ? pick(made) : null;
      if (!m) return 'none';
      const v = await be.call(`${m.method}.void` as 'sample.void', { id: m.id, reason: 'duplicate' });
      if (!v.ok) must(await be.call(`${m.method}.restore` as 'sample.restore', { id: m.id, reason: 'not a duplicate after all' }));
      return `${m.method}.void/restore`;
    },
  ];
  // one transfer into the second pen half-way: the batch's assignments, containers and cut days change
  for (let i = 0; i < steps; i++) {
    if (i === Math.floor(steps / 2)) {
      must(await be.call('transfer.record', { batch_id: 'B1', date: '2025-04-01', source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 3000, measured_avg_weight_g: 1100, selection_method: 'LARGEST' }));
      done.push('transfer');
    } else if (i === Math.floor((steps * 3) / 4)) {
      // a pen whose id sorts between the others: every later part moves one place
      must(await be.call('container.create', { id: 'P3', name: 'Pen 3', environment: 'sea' }));
      must(await be.call('assignment.create', { id: 'A15', batch_id: 'B1', container_id: 'P3', stage: 'Adult' }));
      must(await be.call('transfer.record', { batch_id: 'B1', date: '2025-05-10', source_assignment_id: 'A1', dest_assignment_id: 'A15', count: 1000, measured_avg_weight_g: 1500 }));
      done.push('new pen');
    } else done.push(await pick(edits)());
    await be.idle();
    const problems = verifyBatch(be.ctx.db, 'B1');
    expect(problems, `after step ${i} (${done.join(', ')})`).toEqual([]);
  }
  return done;
}

describe('recompute with kept inputs and output parts', () => {
  it('in-process: 40 seeded edits of every kind, each leaving states and outputs equal to a full recompute', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    const done = await editSequence(be, 11, 40);
    expect(new Set(done.map((d) => d.split('.')[0])).size).toBeGreaterThanOrEqual(6);
    await be.close();
  });

  it('in the worker: 20 seeded edits', async () => {
    const be = await openBackend(undefined, { recompute: 'worker' });
    await seedSmallSite(be);
    await be.idle();
    await editSequence(be, 12, 20);
    await be.close();
  });
});

describe('recompute of only the pens an edit reaches', () => {
  it('a batch of 8 pens: seeded edits on single pens leave the others standing, and every output equals a full recompute', async () => {
    // manual: this test's own Recomputer runs the recomputes, so it sees how many pens walked
    const be = await openBackend(undefined, { recompute: 'manual' });
    const db = be.ctx.db;
    must(await be.call('batch.create', { id: 'B1', name: 'Batch 1', start_date: '2025-01-01' }));
    for (let i = 1; i <= 7; i++) must(await be.call('container.create', { id: `P${i}`, name: `Pen ${i}`, environment: 'sea' }));
    // A6 and A7 share P6 and its container feed; A1 moves fish into A8 (P7) on 2025-03-01
    const pens = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8'];
    for (const [i, a] of pens.entries()) must(await be.call('assignment.create', { id: a, batch_id: 'B1', container_id: a === 'A7' ? 'P6' : a === 'A8' ? 'P7' : `P${i + 1}`, stage: 'Adult' }));
    for (const [i, a] of pens.slice(0, 7).entries()) must(await be.call('placement.record', { batch_id: 'B1', assignment_id: a, date: '2025-01-01', count: 5000 + 997 * i, avg_weight_g: 400 + 31 * i }));
    must(await be.call('transfer.record', { batch_id: 'B1', date: '2025-03-01', source_assignment_id: 'A1', dest_assignment_id: 'A8', count: 2000 }));
    for (const d of ['2025-02-14', '2025-04-02', '2025-05-20', '2025-06-25']) must(await be.call('mortality.record', { batch_id: 'B1', date: d, count: 7 }));
    for (const d of ['2025-02-01', '2025-03-15', '2025-05-01', '2025-06-01']) must(await be.call('feed.record', { batch_id: 'B1', container_id: 'P6', date: d, kg: 120 }));
    const rc = new Recomputer(db, be.ctx.today);
    rc.recompute('B1');
    expect(verifyBatch(db, 'B1')).toEqual([]);

    const r = mulberry32(21);
    const pick = <T>(l: readonly T[]): T => l[Math.floor(r() * l.length)]!;
    const made: { method: string; id: string }[] = [];
    const walked: number[] = [];
    const done: string[] = [];
    for (let i = 0; i < 40; i++) {
      const a = pick(pens.slice(0, 7)), date = pick(DAYS);
      const k = Math.floor(r() * 5);
      if (k === 0) { made.push({ method: 'sample', id: must(await be.call('sample.record', { batch_id: 'B1', assignment_id: a, date, sample_size: 30, avg_weight_g: 500 + r() * 1500 })).id }); done.push(`sample ${a}`); }
      else if (k === 1) { made.push({ method: 'mortality', id: must(await be.call('mortality.record', { batch_id: 'B1', assignment_id: a, date, count: 1 + Math.floor(r() * 300) })).id }); done.push(`mortality ${a}`); }
      else if (k === 2) { made.push({ method: 'feed', id: must(await be.call('feed.record', { batch_id: 'B1', assignment_id: a, date, kg: 20 + r() * 100 })).id }); done.push(`feed ${a}`); }
      else if (k === 3 && made.length) {
        const m = pick(made);
        const patch = m.method === 'feed' ? { kg: 5 + r() * 50 } : m.method === 'mortality' ? { count: 1 + Math.floor(r() * 500) } : { avg_weight_g: 500 + r() * 1500 };
        must(await be.call(`${m.method}.correct` as 'sample.correct', { id: m.id, patch, reason: 'entered wrong' }));
        done.push(`${m.method}.correct`);
      } else if (made.length) {
        const m = pick(made);
        const v = await be.call(`${m.method}.void` as 'sample.void', { id: m.id, reason: 'duplicate' });
        if (!v.ok) must(await be.call(`${m.method}.restore` as 'sample.restore', { id: m.id, reason: 'not a duplicate' }));
        done.push(`${m.method}.void/restore`);
      } else continue;
      const o = rc.recompute('B1')!;
      expect(o.ok, JSON.stringify(o.errors)).toBe(true);
      if (o.walked !== undefined) walked.push(o.walked);
      expect(verifyBatch(db, 'B1'), `after step ${i} (${done.join(', ')})`).toEqual([]);
    }
    // most edits reach one pen (with A8 when the edit is in A1, with A7 or A6 through P6's feed)
    expect(walked.length).toBeGreaterThan(30);
    expect(walked.filter((n) => n <= 2).length).toBeGreaterThan(walked.length / 2);
    await be.close();
  });
});
