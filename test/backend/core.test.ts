import { statesOfColumns } from '../../renderer/api/columns';
import { describe, expect, it } from 'vitest';
import { assimilate } from '../../engine/index';
import { buildBatchDocument } from '../../backend/recompute/batch-document';
import { verifyBatch } from '../../backend/recompute/verify';
import { dumpTables, must, openBackend, seedSmallSite, tempDb } from './helpers';

const stateOn = (be: Awaited<ReturnType<typeof openBackend>>, a: string, d: string) =>
  be.ctx.db.prepare('SELECT avg_weight_g, population, src_weight FROM assignment_states WHERE assignment_id = ? AND date = ?').get(a, d) as { avg_weight_g: number; population: number; src_weight: string };

describe('writes, events and recompute', () => {
  it('record, correct, void and restore a sample: states follow and equal a fresh assimilate of the dumped document', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    const before = stateOn(be, 'A1', '2025-03-01');
    must(await be.call('sample.record', { id: 'G1', batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', sample_size: 30, avg_weight_g: 900 }));
    const sampled = stateOn(be, 'A1', '2025-03-01');
    expect(sampled.avg_weight_g).not.toBe(before.avg_weight_g);
    expect(sampled.src_weight).toBe('growth_sample');
    must(await be.call('sample.correct', { id: 'G1', patch: { avg_weight_g: 950 }, reason: 'typo on the scale' }));
    const corrected = stateOn(be, 'A1', '2025-03-01');
    expect(corrected.avg_weight_g).toBeGreaterThan(sampled.avg_weight_g);
    expect(verifyBatch(be.ctx.db, 'B1')).toEqual([]);
    must(await be.call('sample.void', { id: 'G1', reason: 'wrong pen' }));
    expect(stateOn(be, 'A1', '2025-03-01').avg_weight_g).toBe(before.avg_weight_g);
    must(await be.call('sample.restore', { id: 'G1', reason: 'it was the right pen' }));
    expect(stateOn(be, 'A1', '2025-03-01').avg_weight_g).toBe(corrected.avg_weight_g);

    // an informational sample does not anchor
    must(await be.call('sample.record', { id: 'G2', batch_id: 'B1', assignment_id: 'A1', date: '2025-04-01', individual_weights_g: [1000, 1100, 1200], individual_lengths_cm: [40, 41, null], informational: true }));
    expect(stateOn(be, 'A1', '2025-04-01').src_weight).not.toBe('growth_sample');

    // a backdated transfer and mortality change everything after them
    const late = stateOn(be, 'A1', '2025-06-01');
    must(await be.call('transfer.record', { id: 'T1', batch_id: 'B1', date: '2025-02-01', source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 4000, selection_method: 'LARGEST', measured_avg_weight_g: 700 }));
    must(await be.call('mortality.record', { id: 'D1', batch_id: 'B1', assignment_id: 'A2', date: '2025-02-10', count: 25, cause: 'handling' }));
    expect(stateOn(be, 'A1', '2025-06-01').population).toBe(late.population - 4000);
    expect(stateOn(be, 'A2', '2025-06-01').population).toBe(4000 - 25);

    const doc = buildBatchDocument(be.ctx.db, 'B1', { asOf: be.ctx.today() })!;
    const fresh = assimilate(JSON.parse(JSON.stringify(doc)));
    expect(fresh.ok).toBe(true);
    expect(verifyBatch(be.ctx.db, 'B1')).toEqual([]);

    const hist = must(await be.call('record.history', { entity_type: 'growth_sample', entity_id: 'G1' }));
    expect(hist.map((h) => h.type)).toEqual(['growth_sample.recorded', 'growth_sample.corrected', 'growth_sample.voided', 'growth_sample.restored']);
    expect(hist[1]!.reason).toBe('typo on the scale');
    expect(hist[1]!.actor).toBe('tester');
    expect(hist[1]!.base_event_ids).toEqual([hist[0]!.event_id]);
    await be.close();
  });

  it('event envelope: contiguous device_seq, UUIDv7 ids, payload hashes, HLC order', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    const evs = be.ctx.db.prepare('SELECT * FROM events ORDER BY device_seq').all() as Record<string, unknown>[];
    expect(evs.map((e) => e.device_seq)).toEqual(evs.map((_, i) => i + 1));
    for (const e of evs) expect(e.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ids = evs.map((e) => e.event_id as string);
    expect([...ids].sort()).toEqual(ids);
    const hlcs = evs.map((e) => e.hlc as string);
    expect([...hlcs].sort()).toEqual(hlcs);
    await be.close();
  });

  it('each write is atomic: a failure inside the transaction writes nothing', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    for (const stage of ['after-append', 'after-project'] as const) {
      const before = dumpTables(be.ctx.db);
      be.ctx.faultInjection = (s) => { if (s === stage) throw new Error('injected fault'); };
      const r = await be.call('sample.record', { batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', sample_size: 30, avg_weight_g: 900 });
      be.ctx.faultInjection = undefined;
      expect(r.ok).toBe(false);
      expect(dumpTables(be.ctx.db)).toBe(before);
    }
    await be.close();
  });

  it('queries: batch KPIs, analysis in one call, containers with state; every response survives JSON', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    must(await be.call('sample.record', { id: 'G1', batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', individual_weights_g: [800, 900, 1000], individual_lengths_cm: [38, 40, 42] }));
    const list = must(await be.call('batch.list', {}));
    expect(list[0]!.kpi!.population).toBe(10000);
    expect(list[0]!.kpi!.last_sample_date).toBe('2025-03-01');
    const an = must(await be.call('analysis.get', { batch_id: 'B1', from: '2025-02-01', to: '2025-03-31' }));
    expect(an.samples[0]!.std_dev_g).toBeCloseTo(100, 9);
    expect(an.samples[0]!.condition_factor).toBeGreaterThan(1);
    expect(an.actual.rows.length).toBe(59);
    const a1 = an.assignments.find((a) => a.assignment_id === 'A1')!;
    expect(a1.columns.date.length).toBe(59);
    // column by column on the wire, the same states as the table holds
    const rows = be.ctx.db.prepare("SELECT * FROM assignment_states WHERE assignment_id = 'A1' AND date >= '2025-02-01' AND date <= '2025-03-31' ORDER BY date").all() as Record<string, unknown>[];
    expect(statesOfColumns(a1.columns).map((st) => [st.date, st.avg_weight_g, st.population, st.sources.weight, st.confidence.overall, st.anchor_type]))
      .toEqual(rows.map((r) => [r.date, r.avg_weight_g, r.population, r.src_weight, r.conf_overall, r.anchor_type]));
    const partsOnly = must(await be.call('analysis.get', { batch_id: 'B1', only_assignments: true, fcr_windows: [] }));
    expect(partsOnly.assignments.map((x) => x.columns.date.length)).toEqual(must(await be.call('analysis.get', { batch_id: 'B1' })).assignments.map((x) => x.columns.date.length));
    expect([partsOnly.scenario.length, partsOnly.samples.length, partsOnly.fcr.length]).toEqual([0, 0, 0]);
    const weekly = must(await be.call('analysis.get', { batch_id: 'B1', granularity: 'weekly' }));
    expect(weekly.actual.granularity).toBe('weekly');
    const cs = must(await be.call('container.list', {}));
    expect(cs.find((c) => c.id === 'P1')!.current!.population).toBe(10000);
    expect(cs.find((c) => c.id === 'P2')!.current).toBeNull();
    for (const v of [list, an, weekly, cs]) expect(JSON.parse(JSON.stringify(v))).toEqual(v);
    await be.close();
  });

  it('a batch without a pinned scenario gets the baseline; pinning one recomputes', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    const base = must(await be.call('analysis.get', { batch_id: 'B1' })).scenario as { avg_weight_g: number }[];
    const tgc = { Fry: 2, Parr: 2, Smolt: 2, 'Post-Smolt': 2, Adult: 2 };
    must(await be.call('scenario.create', { id: 'SC1', name: 'Slow', duration_days: 500, harvest_weight_g: 5000, tgc_by_stage: tgc, temperature_profile: { points: [{ day_of_year: 1, temp_c: 10 }] } }));
    must(await be.call('batch.pinScenario', { id: 'B1', scenario_id: 'SC1' }));
    const pinned = must(await be.call('analysis.get', { batch_id: 'B1' })).scenario as { avg_weight_g: number }[];
    expect(pinned[100]!.avg_weight_g).toBeLessThan(base[100]!.avg_weight_g);
    await be.close();
  });

  it('reopening resumes dirty work left behind', async () => {
    const path = tempDb();
    const be = await openBackend(path);
    await seedSmallSite(be);
    be.ctx.db.prepare("INSERT OR REPLACE INTO dirty_batches (batch_id, from_date, generation) VALUES ('B1', '2025-02-01', 99)").run();
    be.ctx.db.prepare("UPDATE assignment_states SET avg_weight_g = 1 WHERE date > '2025-03-01'").run();
    await be.close();
    const again = await openBackend(path);
    await again.idle();
    expect(again.ctx.db.prepare('SELECT COUNT(*) AS n FROM dirty_batches').get()).toEqual({ n: 0 });
    expect(verifyBatch(again.ctx.db, 'B1')).toEqual([]);
    await again.close();
  });

  it('past the site\'s midnight every batch is computed again for the new day', async () => {
    let now = new Date('2025-06-30T12:00:00Z');
    const be = await openBackend(undefined, { clock: () => now, dayCheckMs: 20 });
    await seedSmallSite(be);
    await be.idle();
    const asOf = () => (be.ctx.db.prepare("SELECT as_of FROM batch_outputs WHERE batch_id = 'B1'").get() as { as_of: string }).as_of;
    expect(asOf()).toBe('2025-06-30');
    now = new Date('2025-07-01T06:00:00Z');
    await expect.poll(async () => { await be.idle(); return asOf(); }, { timeout: 5000 }).toBe('2025-07-01');
    await be.close();
  });
});
