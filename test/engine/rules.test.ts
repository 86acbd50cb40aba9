/**
 * The rules of ../shared/spec/assimilation.md, one describe per section. Every expected number is
 * worked out here from the spec's formulas (closed forms or small re-simulations written from the
 * text), never taken from the engine's output.
 */
import { describe, expect, it } from 'vitest';
import type { BatchDocument, TransferDoc } from '../../engine/document';
import {
  addDays, assigns, batchOn, closed, D, dailyTemps, errorsOf, expectRel, grow, hasSeries, makeDoc,
  on, pens, run, series, START, step, tgcAll, warningsFor,
} from './fixtures';

/** Default: 100 g at TGC 3.0 and 10 °C, weight after k days of growth. */
const W = (k: number) => grow(100, 3, 10, k);
const SQRT2PI = Math.sqrt(2 * Math.PI);
const phi = (z: number) => Math.exp(-(z * z) / 2) / SQRT2PI;
const STAGE_MAX: Record<string, number> = { 'Egg&Alevin': 0.2, Fry: 6, Parr: 60, Smolt: 180, 'Post-Smolt': 500, Adult: 7000 };
const ORDER = ['Egg&Alevin', 'Fry', 'Parr', 'Smolt', 'Post-Smolt', 'Adult'];
/** Step 5 for feeding stages of the default table: advance while w reaches the max weight. */
function advance(stage: string, w: number): string {
  let s = stage;
  while (s !== 'Adult' && w >= STAGE_MAX[s]) s = ORDER[ORDER.indexOf(s) + 1];
  return s;
}
function tr(t: Partial<TransferDoc> & Pick<TransferDoc, 'id' | 'date' | 'source_assignment_id' | 'dest_assignment_id' | 'count'>): TransferDoc {
  return { selection_method: 'AVERAGE', ...t };
}

// =============================================================================================
describe('3.1 order within a day', () => {
  it('growth, then deaths, then outflows at W2, then inflows mixing by biomass', () => {
    const doc = makeDoc({
      containers: pens(2),
      assignments: assigns(2),
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 500, avg_weight_g: 200 },
      ],
      mortality: [{ id: 'M1', assignment_id: 'A1', date: D(11), count: 10, cause: 'X' }],
      removals: [{ id: 'R1', assignment_id: 'A1', date: D(11), count: 90, kind: 'cull' }],
      transfers: [tr({ id: 'T1', date: D(11), source_assignment_id: 'A2', dest_assignment_id: 'A1', count: 100 })],
    });
    const st = run(doc);
    const w1a = W(10), w1b = grow(200, 3, 10, 10);
    const wEnd = (900 * w1a + 100 * w1b) / 1000;
    const s = on(st, 'A1', D(11));
    expect(s.population).toBe(1000);
    expect(s.deaths).toBe(10);
    expectRel(s.avg_weight_g, wEnd);
    expectRel(s.biomass_kg, (1000 * wEnd) / 1000);
    expectRel(s.growth_kg, (990 * (w1a - W(9))) / 1000);
    expect(s.sources.weight).toBe('inflow');
    expect(s.sources.mortality).toBe('recorded');
    // the next day grows from the mixed weight
    expectRel(on(st, 'A1', D(12)).avg_weight_g, step(wEnd, 3, 10));
    // the source: unmeasured AVERAGE transfer leaves at W2 = W1, weight unchanged
    const b = on(st, 'A2', D(11));
    expect(b.population).toBe(400);
    expectRel(b.avg_weight_g, w1b);
  });

  it('first day: inflow first, then recorded deaths and outflows with W1 = inflow weight, no growth', () => {
    const doc = makeDoc({
      mortality: [{ id: 'M1', assignment_id: 'A1', date: D(1), count: 5, cause: 'X' }],
      removals: [{ id: 'R1', assignment_id: 'A1', date: D(1), count: 100, kind: 'cull', avg_weight_g: 150 }],
    });
    const st = run(doc);
    const w2 = (995 * 100 - 100 * 150) / 895;
    const s = on(st, 'A1', D(1));
    expect(s.day_number).toBe(1);
    expect(s.population).toBe(895);
    expect(s.deaths).toBe(5);
    expect(s.growth_kg).toBe(0);
    expectRel(s.avg_weight_g, w2);
    expect(s.sources.weight).toBe('inflow');
    expect(s.anchor_type).toBeNull();
    expectRel(on(st, 'A1', D(2)).avg_weight_g, step(w2, 3, 10));
  });

  it('first day without outflows: the inflow weight, no growth, no model deaths', () => {
    const st = run(makeDoc({ scenario: { mortality_rate_by_stage: { Adult: 0.05 } } }));
    const s = on(st, 'A1', D(1));
    expect(s.avg_weight_g).toBe(100);
    expect(s.population).toBe(1000);
    expect(s.deaths).toBe(0);
    expect(s.growth_kg).toBe(0);
    expect(s.biomass_kg).toBeCloseTo(100, 9);
    expect(s.sources.weight).toBe('inflow');
    // day 2: acc = 1000·0.05 = 50 deaths
    expect(on(st, 'A1', D(2)).deaths).toBe(50);
  });

  it('same-day chain A→B and B→C moves B\'s old fish to C (outflows before inflows)', () => {
    const doc = makeDoc({
      containers: pens(3),
      assignments: [...assigns(2), { id: 'A3', container_id: 'C3', stage: null }],
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 500, avg_weight_g: 200 },
      ],
      transfers: [
        tr({ id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 300 }),
        tr({ id: 'T2', date: D(11), source_assignment_id: 'A2', dest_assignment_id: 'A3', count: 500 }),
      ],
    });
    const st = run(doc);
    const w1a = W(10), w1b = grow(200, 3, 10, 10);
    expect(on(st, 'A1', D(11)).population).toBe(700);
    expectRel(on(st, 'A1', D(11)).avg_weight_g, w1a);
    expect(on(st, 'A2', D(11)).population).toBe(300);
    expectRel(on(st, 'A2', D(11)).avg_weight_g, w1a);
    expect(on(st, 'A3', D(11)).population).toBe(500);
    expectRel(on(st, 'A3', D(11)).avg_weight_g, w1b);
    expect(series(st, 'A3')[0].date).toBe(D(11));
  });

  it('the day the population reaches 0 is included with avg_weight_g = W1 and biomass 0; the series ends', () => {
    const doc = makeDoc({ removals: [{ id: 'R1', assignment_id: 'A1', date: D(11), count: 1000, kind: 'harvest' }] });
    const st = run(doc);
    const ss = series(st, 'A1');
    expect(ss[ss.length - 1].date).toBe(D(11));
    const s = on(st, 'A1', D(11));
    expect(s.population).toBe(0);
    expect(s.biomass_kg).toBe(0);
    expectRel(s.avg_weight_g, W(10));
    expectRel(s.growth_kg, (1000 * (W(10) - W(9))) / 1000);
  });

  it('step 5: the stage advances when W_end reaches the max weight; the new TGC applies from the next day', () => {
    const tgc: Record<string, number> = { ...tgcAll(3), 'Post-Smolt': 2 };
    const doc = makeDoc({
      scenario: { tgc_by_stage: tgc },
      assignments: [{ id: 'A1', container_id: 'C1', stage: 'Smolt' }],
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 150 }],
    });
    const st = run(doc);
    let w = 150, stage = 'Smolt';
    expect(on(st, 'A1', D(1)).stage).toBe('Smolt');
    let crossed = 0;
    for (let k = 2; k <= 31; k++) {
      w = step(w, tgc[stage], 10);
      const ns = advance(stage, w);
      if (ns !== stage && !crossed) crossed = k;
      stage = ns;
      const s = on(st, 'A1', D(k));
      expectRel(s.avg_weight_g, w);
      expect(s.stage, D(k)).toBe(stage);
    }
    expect(crossed).toBeGreaterThan(2); // the test does cross the Smolt/Post-Smolt edge
  });

  it('step 5 on the first day: a 200 g placement into a Smolt assignment is Post-Smolt at the end of day 1', () => {
    const doc = makeDoc({
      assignments: [{ id: 'A1', container_id: 'C1', stage: 'Smolt' }],
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 200 }],
    });
    expect(on(run(doc), 'A1', D(1)).stage).toBe('Post-Smolt');
  });

  const eggDoc = (extra: Partial<BatchDocument> = {}) =>
    makeDoc({
      scenario: {
        start_stage: 'Egg&Alevin', start_weight_g: 0.1, start_count: 10000, fcr_by_stage: {},
        temperature_profile: { points: [{ day_of_year: 1, temp_c: 8 }], freshwater_c: 8 },
      },
      containers: [
        { id: 'T1', name: 'Tray 1', kind: 'tray', environment: 'freshwater' },
        { id: 'T2', name: 'Tray 2', kind: 'tray', environment: 'freshwater' },
      ],
      assignments: [
        { id: 'A1', container_id: 'T1', stage: 'Egg&Alevin' },
        { id: 'A2', container_id: 'T2', stage: 'Egg&Alevin' },
      ],
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 10000, avg_weight_g: 0.1 },
        { id: 'P2', assignment_id: 'A2', date: D(50), count: 5000, avg_weight_g: 0.1 },
      ],
      as_of: D(90),
      ...extra,
    });

  it('non-feeding stage: eggs placed on day 1 and on day 50 both start feeding on day 81 (duration 80)', () => {
    const st = run(eggDoc());
    for (const a of ['A1', 'A2']) {
      expect(on(st, a, D(80)).stage, a).toBe('Egg&Alevin');
      expect(on(st, a, D(81)).stage, a).toBe('Fry');
      // TGC 0 while S is non-feeding: no growth through day 81 (S during day 81 is still Egg&Alevin)
      expectRel(on(st, a, D(80)).avg_weight_g, 0.1);
      expectRel(on(st, a, D(81)).avg_weight_g, 0.1);
      expectRel(on(st, a, D(82)).avg_weight_g, step(0.1, 3, 8));
      expectRel(on(st, a, D(83)).avg_weight_g, grow(0.1, 3, 8, 2));
    }
    expect(on(st, 'A2', D(50)).stage).toBe('Egg&Alevin');
  });

  it('an explicit stage change wins over the duration and is applied at the end of its day', () => {
    const st = run(eggDoc({ stage_changes: [{ id: 'SC-1', assignment_id: 'A1', date: D(60), stage: 'Fry' }] }));
    expect(on(st, 'A1', D(59)).stage).toBe('Egg&Alevin');
    expect(on(st, 'A1', D(60)).stage).toBe('Fry');
    expectRel(on(st, 'A1', D(60)).avg_weight_g, 0.1);
    expectRel(on(st, 'A1', D(61)).avg_weight_g, step(0.1, 3, 8));
    expect(on(st, 'A2', D(60)).stage).toBe('Egg&Alevin');
  });

  it('first-day stage from several transfers in: the most advanced dest_stage, else the most advanced source stage', () => {
    const doc = makeDoc({
      containers: pens(4),
      assignments: [
        { id: 'A1', container_id: 'C1', stage: 'Smolt' },
        { id: 'A2', container_id: 'C2', stage: 'Post-Smolt' },
        { id: 'A3', container_id: 'C3', stage: null },
        { id: 'A4', container_id: 'C4', stage: null },
      ],
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 1000, avg_weight_g: 100 },
      ],
      transfers: [
        tr({ id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A3', count: 100 }),
        tr({ id: 'T2', date: D(11), source_assignment_id: 'A2', dest_assignment_id: 'A3', count: 100 }),
        tr({ id: 'T3', date: D(12), source_assignment_id: 'A1', dest_assignment_id: 'A4', count: 100, dest_stage: 'Post-Smolt' }),
        tr({ id: 'T4', date: D(12), source_assignment_id: 'A2', dest_assignment_id: 'A4', count: 100, dest_stage: 'Smolt' }),
      ],
    });
    const st = run(doc);
    expect(on(st, 'A3', D(11)).stage).toBe('Post-Smolt');
    expect(on(st, 'A4', D(12)).stage).toBe('Post-Smolt');
  });

  it('first-day stage: dest_stage, else own stage, else sources\' stage, else scenario start stage; later dest_stage ignored', () => {
    const doc = makeDoc({
      containers: pens(5),
      assignments: [
        { id: 'A1', container_id: 'C1', stage: 'Smolt' },
        { id: 'A2', container_id: 'C2', stage: null },
        { id: 'A3', container_id: 'C3', stage: 'Smolt' },
        { id: 'A4', container_id: 'C4', stage: null },
        { id: 'A5', container_id: 'C5', stage: null },
      ],
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P3', assignment_id: 'A3', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P5', assignment_id: 'A5', date: D(1), count: 1000, avg_weight_g: 100 },
      ],
      transfers: [
        tr({ id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 100, dest_stage: 'Post-Smolt' }),
        tr({ id: 'T2', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A3', count: 100, dest_stage: 'Adult' }),
        tr({ id: 'T3', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A4', count: 100 }),
      ],
    });
    const st = run(doc);
    expect(on(st, 'A2', D(11)).stage).toBe('Post-Smolt');
    expect(on(st, 'A3', D(11)).stage).toBe('Smolt'); // dest_stage on a later day is ignored
    expect(on(st, 'A4', D(11)).stage).toBe('Smolt'); // the source's stage
    expect(on(st, 'A5', D(1)).stage).toBe('Adult'); // the scenario's start stage
    expect(on(st, 'A1', D(11)).stage).toBe('Smolt');
  });
});

// =============================================================================================
describe('3.2 deaths and counts', () => {
  it('model mortality: carried accumulator, deaths exactly on the days floor(acc) reaches 1', () => {
    const rate = 0.0003;
    const st = run(makeDoc({ scenario: { mortality_rate_by_stage: { Adult: rate } }, as_of: D(61) }));
    let n = 1000, acc = 0;
    const deathDays: number[] = [];
    expect(on(st, 'A1', D(1)).deaths).toBe(0);
    for (let k = 2; k <= 61; k++) {
      acc += n * rate;
      const d = Math.min(n, Math.floor(acc));
      acc -= d;
      n -= d;
      if (d) deathDays.push(k);
      const s = on(st, 'A1', D(k));
      expect(s.deaths, D(k)).toBe(d);
      expect(s.population, D(k)).toBe(n);
      expect(s.sources.mortality).toBe('model');
      expect(Math.abs(s.mortality_carry - acc)).toBeLessThan(1e-9);
    }
    expect(deathDays.slice(0, 3)).toEqual([5, 8, 12]); // 0.3·k: 1.2 on day 5, then 2.1, 3.0(−ε)…
  });

  it('recorded days take the recorded count and leave the accumulator unchanged', () => {
    const rate = 0.0003;
    const mortality = [
      { id: 'M1', assignment_id: 'A1', date: D(4), count: 0, cause: 'X' },
      { id: 'M2', assignment_id: 'A1', date: D(20), count: 3, cause: 'X' },
      { id: 'M3', assignment_id: 'A1', date: D(20), count: 2, cause: 'X' },
    ];
    const st = run(makeDoc({ scenario: { mortality_rate_by_stage: { Adult: rate } }, mortality, as_of: D(40) }));
    let n = 1000, acc = 0;
    for (let k = 2; k <= 40; k++) {
      let d: number;
      if (k === 4) d = 0;
      else if (k === 20) d = 5;
      else {
        acc += n * rate;
        d = Math.min(n, Math.floor(acc));
        acc -= d;
      }
      n -= d;
      const s = on(st, 'A1', D(k));
      expect(s.deaths, D(k)).toBe(d);
      expect(s.population, D(k)).toBe(n);
      expect(s.sources.mortality, D(k)).toBe(k === 4 || k === 20 ? 'recorded' : 'model');
    }
  });

  it('model deaths use the rate of the stage in force during the day', () => {
    const st = run(makeDoc({
      scenario: { mortality_rate_by_stage: { Smolt: 0.01, 'Post-Smolt': 0.02 } },
      assignments: [{ id: 'A1', container_id: 'C1', stage: 'Smolt' }],
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 170 }],
      as_of: D(12),
    }));
    let n = 1000, acc = 0, w = 170, stage = 'Smolt';
    const rate: Record<string, number> = { Smolt: 0.01, 'Post-Smolt': 0.02 };
    for (let k = 2; k <= 12; k++) {
      acc += n * rate[stage];
      const d = Math.min(n, Math.floor(acc));
      acc -= d;
      n -= d;
      w = step(w, 3, 10);
      stage = advance(stage, w);
      expect(on(st, 'A1', D(k)).deaths, D(k)).toBe(d);
      expect(on(st, 'A1', D(k)).stage).toBe(stage);
    }
    expect(stage).toBe('Post-Smolt');
  });

  const three = (ids: string[], counts: number[], mortality: BatchDocument['mortality']) =>
    makeDoc({
      containers: pens(3),
      assignments: ids.map((id, i) => ({ id, container_id: `C${i + 1}`, stage: 'Adult' })),
      placements: ids.map((id, i) => ({ id: `P${i}`, assignment_id: id, date: D(1), count: counts[i], avg_weight_g: 100 })),
      mortality,
    });

  it('batch-level mortality: split by population, largest remainders, ties by ascending id (code points)', () => {
    const st = run(three(['A9', 'A10', 'A2'], [100, 100, 100], [{ id: 'BM1', date: D(5), count: 2, cause: 'X' }]));
    // q = 2/3 each, floors 0, two remaining fish: ties → 'A10' < 'A2' < 'A9'
    expect(on(st, 'A10', D(5)).deaths).toBe(1);
    expect(on(st, 'A2', D(5)).deaths).toBe(1);
    expect(on(st, 'A9', D(5)).deaths).toBe(0);
    for (const a of ['A9', 'A10', 'A2']) expect(on(st, a, D(5)).sources.mortality).toBe('recorded');
  });

  it('batch-level mortality: several records summed once, then split (500/300/200, C = 4 + 3)', () => {
    const st = run(three(['A1', 'A2', 'A3'], [500, 300, 200], [
      { id: 'BM1', date: D(5), count: 4, cause: 'X' },
      { id: 'BM2', date: D(5), count: 3, cause: 'X' },
    ]));
    // q = 3.5, 2.1, 1.4 → 3, 2, 1 and the remaining fish to A1 (0.5)
    expect(on(st, 'A1', D(5)).deaths).toBe(4);
    expect(on(st, 'A2', D(5)).deaths).toBe(2);
    expect(on(st, 'A3', D(5)).deaths).toBe(1);
    expect(batchOn(st, D(5)).deaths).toBe(7);
    expect(batchOn(st, D(5)).population).toBe(993);
  });

  it('batch-level split uses the populations at the end of d−1; a count-0 record makes the day recorded for all, new assignments included', () => {
    const doc = makeDoc({
      scenario: { mortality_rate_by_stage: { Adult: 0.01 } },
      containers: pens(2),
      assignments: [{ id: 'A1', container_id: 'C1', stage: 'Adult' }, { id: 'A2', container_id: 'C2', stage: null }],
      transfers: [tr({ id: 'T1', date: D(5), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 400 })],
      mortality: [{ id: 'BM1', date: D(5), count: 0, cause: 'X' }],
      as_of: D(6),
    });
    const st = run(doc);
    expect(on(st, 'A1', D(5)).deaths).toBe(0);
    expect(on(st, 'A1', D(5)).sources.mortality).toBe('recorded');
    expect(on(st, 'A2', D(5)).deaths).toBe(0);
    expect(on(st, 'A2', D(5)).sources.mortality).toBe('recorded');
  });

  it('mortality_in_transfer counts in the source\'s deaths and leaves the source', () => {
    const doc = makeDoc({
      containers: pens(2),
      assignments: assigns(2),
      transfers: [tr({ id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 100, mortality_in_transfer: 5 })],
    });
    const st = run(doc);
    expect(on(st, 'A1', D(11)).deaths).toBe(5);
    expect(on(st, 'A1', D(11)).population).toBe(895);
    expect(on(st, 'A2', D(11)).population).toBe(100);
    expect(on(st, 'A2', D(11)).deaths).toBe(0);
    expect(batchOn(st, D(11)).deaths).toBe(5);
    expect(batchOn(st, D(11)).population).toBe(995);
  });

  it('recorded deaths above N within tolerance: count_deviation = deaths − N and the assignment empties', () => {
    const doc = makeDoc({
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 100, avg_weight_g: 100 }],
      mortality: [{ id: 'M1', assignment_id: 'A1', date: D(11), count: 105, cause: 'X' }],
    });
    const st = run(doc);
    const s = on(st, 'A1', D(11));
    expect(s.deaths).toBe(105);
    expect(s.count_deviation).toBe(5);
    expect(s.population).toBe(0);
    expect(s.biomass_kg).toBe(0);
    expectRel(s.avg_weight_g, W(10));
    expect(series(st, 'A1').at(-1)!.date).toBe(D(11));
  });

  it('recorded deaths above N beyond max(10, 5 % of N): an error naming the first record by id', () => {
    const doc = makeDoc({
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 100, avg_weight_g: 100 }],
      mortality: [
        { id: 'M2', assignment_id: 'A1', date: D(11), count: 60, cause: 'X' },
        { id: 'M1', assignment_id: 'A1', date: D(11), count: 51, cause: 'X' },
      ],
    });
    const errs = errorsOf(doc);
    expect(errs.some((e) => e.record === 'M1')).toBe(true);
  });

  it('outflows over N1 within tolerance: booked as a positive count_deviation, N2 = 0', () => {
    const doc = makeDoc({
      containers: pens(2),
      assignments: assigns(2),
      mortality: [{ id: 'M1', assignment_id: 'A1', date: D(11), count: 20, cause: 'X' }],
      transfers: [tr({ id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 1000 })],
    });
    const st = run(doc);
    const s = on(st, 'A1', D(11));
    // N1 = 980; outflows 1000 ≤ 980 + max(10, 49)
    expect(s.count_deviation).toBe(20);
    expect(s.population).toBe(0);
    expectRel(s.growth_kg, (1000 * (W(10) - W(9))) / 1000); // Nc = N1 + count_deviation = 1000
    expect(s.deaths).toBe(20);
    expect(s.biomass_kg).toBe(0);
    expectRel(s.avg_weight_g, W(10));
    expect(on(st, 'A2', D(11)).population).toBe(1000);
    expectRel(on(st, 'A2', D(11)).avg_weight_g, W(10));
  });

  it('outflows over N1 beyond tolerance: an error naming the record', () => {
    const doc = makeDoc({
      containers: pens(2),
      assignments: assigns(2),
      mortality: [{ id: 'M1', assignment_id: 'A1', date: D(11), count: 20, cause: 'X' }],
      transfers: [tr({ id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 1040 })],
    });
    expect(errorsOf(doc).some((e) => e.record === 'T1')).toBe(true);
  });

  it('closes_source: the rest is a negative count_deviation, population 0, avg = W1, biomass 0, warning beyond tolerance', () => {
    const mk = (count: number) =>
      makeDoc({ removals: [{ id: 'R1', assignment_id: 'A1', date: D(11), count, kind: 'cull', closes_source: true }] });
    const a = run(mk(900));
    const s = on(a, 'A1', D(11));
    expect(s.count_deviation).toBe(-100);
    expect(s.population).toBe(0);
    expect(s.biomass_kg).toBe(0);
    expectRel(s.avg_weight_g, W(10));
    expect(warningsFor(a, 'R1').length).toBeGreaterThan(0); // 100 > max(10, 50)
    const b = run(mk(980));
    expect(on(b, 'A1', D(11)).count_deviation).toBe(-20);
    expect(on(b, 'A1', D(11)).population).toBe(0);
    expect(warningsFor(b, 'R1').length).toBe(0);
    expect(series(b, 'A1').at(-1)!.date).toBe(D(11));
  });

  it('a closing transfer moves count fish and leaves the rest as not found', () => {
    const doc = makeDoc({
      containers: pens(2),
      assignments: assigns(2),
      transfers: [tr({ id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 990, closes_source: true })],
    });
    const st = run(doc);
    expect(on(st, 'A1', D(11)).count_deviation).toBe(-10);
    expect(on(st, 'A1', D(11)).population).toBe(0);
    expect(on(st, 'A2', D(11)).population).toBe(990);
  });
});

// =============================================================================================
describe('3.3 temperature', () => {
  it('measured: plain mean of readings and daily means; used for growth that day', () => {
    const doc = makeDoc({
      temperature_daily: [{ container_id: 'C1', date: D(5), mean_c: 12 }],
      temperature_readings: [
        { container_id: 'C1', timestamp: `${D(5)}T06:00:00Z`, value: 14 },
        { container_id: 'C1', timestamp: `${D(5)}T18:00:00Z`, value: 16 },
      ],
    });
    const st = run(doc);
    const s = on(st, 'A1', D(5));
    expectRel(s.temp_c, 14);
    expect(s.sources.temp).toBe('measured');
    expect(s.confidence.temp).toBe(1);
    // days 2..4 are 'nearest' (14), day 5 measured 14
    expectRel(s.avg_weight_g, closed(100, 3, 14 * 4));
  });

  it('interpolated between measured days within 7 days, confidence max(0.6, 0.9 − (da − db)/30); nearest 0.6; profile 0.5', () => {
    const doc = makeDoc({ temperature_daily: [
      { container_id: 'C1', date: D(10), mean_c: 8 },
      { container_id: 'C1', date: D(14), mean_c: 12 },
    ] });
    const st = run(doc);
    for (const [k, v] of [[11, 9], [12, 10], [13, 11]] as const) {
      const s = on(st, 'A1', D(k));
      expectRel(s.temp_c, v);
      expect(s.sources.temp).toBe('interpolated');
      expectRel(s.confidence.temp, Math.max(0.6, 0.9 - 4 / 30));
    }
    for (const k of [3, 9]) {
      expect(on(st, 'A1', D(k)).sources.temp).toBe('nearest');
      expectRel(on(st, 'A1', D(k)).temp_c, 8);
      expectRel(on(st, 'A1', D(k)).confidence.temp, 0.6);
    }
    for (const k of [15, 21]) {
      expect(on(st, 'A1', D(k)).sources.temp).toBe('nearest');
      expectRel(on(st, 'A1', D(k)).temp_c, 12);
    }
    for (const k of [2, 22]) {
      expect(on(st, 'A1', D(k)).sources.temp).toBe('profile');
      expectRel(on(st, 'A1', D(k)).temp_c, 10);
      expectRel(on(st, 'A1', D(k)).confidence.temp, 0.5);
    }
    // growth with these temperatures
    const temps: number[] = [];
    for (let k = 2; k <= 31; k++) temps.push(on(st, 'A1', D(k)).temp_c);
    const sumT = 10 + 8 * 7 + 8 + 9 + 10 + 11 + 12 + 12 * 7 + 10 * 10; // days 2..31
    expectRel(temps.reduce((a, b) => a + b, 0), sumT);
    expectRel(on(st, 'A1', D(31)).avg_weight_g, closed(100, 3, sumT));
  });

  it('interpolation needs both sides within 7 days; otherwise nearest takes the near side', () => {
    const doc = makeDoc({ temperature_daily: [
      { container_id: 'C1', date: D(10), mean_c: 8 },
      { container_id: 'C1', date: D(24), mean_c: 15 },
    ] });
    const st = run(doc);
    const s17 = on(st, 'A1', D(17));
    expect(s17.sources.temp).toBe('interpolated');
    expectRel(s17.temp_c, 8 + (7 / 14) * 7);
    expectRel(s17.confidence.temp, 0.6); // 0.9 − 14/30 < 0.6
    expect(on(st, 'A1', D(16)).sources.temp).toBe('nearest');
    expectRel(on(st, 'A1', D(16)).temp_c, 8);
    expect(on(st, 'A1', D(18)).sources.temp).toBe('nearest');
    expectRel(on(st, 'A1', D(18)).temp_c, 15);
    // a single missing day
    const st2 = run(makeDoc({ temperature_daily: dailyTemps('C1', D(10), [8]).concat(dailyTemps('C1', D(12), [10])) }));
    expectRel(on(st2, 'A1', D(11)).temp_c, 9);
    expectRel(on(st2, 'A1', D(11)).confidence.temp, 0.9 - 2 / 30);
  });

  it('profile: freshwater_c for a freshwater container, the seasonal curve for sea (or freshwater without freshwater_c)', () => {
    const doc = makeDoc({
      scenario: { temperature_profile: { points: [{ day_of_year: 1, temp_c: 9 }], freshwater_c: 12 } },
      containers: [
        { id: 'C1', environment: 'sea' },
        { id: 'T1', environment: 'freshwater' },
      ],
      assignments: [{ id: 'A1', container_id: 'C1', stage: 'Adult' }, { id: 'A2', container_id: 'T1', stage: 'Smolt' }],
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 1000, avg_weight_g: 100 },
      ],
    });
    const st = run(doc);
    expectRel(on(st, 'A1', D(5)).temp_c, 9);
    expectRel(on(st, 'A2', D(5)).temp_c, 12);
    expect(on(st, 'A2', D(5)).sources.temp).toBe('profile');
    expectRel(on(st, 'A2', D(11)).avg_weight_g, grow(100, 3, 12, 10));
    const st2 = run({ ...doc, scenario: { ...doc.scenario, temperature_profile: { points: [{ day_of_year: 1, temp_c: 9 }] } } });
    expectRel(on(st2, 'A2', D(5)).temp_c, 9);
  });

  it('seasonal curve: linear between points (sorted by day of year) and wrapping from the last point to first + 365', () => {
    const start = '2025-02-15';
    const doc = makeDoc({
      batch: { start_date: start },
      scenario: { temperature_profile: { points: [{ day_of_year: 200, temp_c: 15 }, { day_of_year: 100, temp_c: 5 }] } },
      as_of: '2025-10-31',
    });
    const st = run(doc);
    const t = (date: string) => on(st, 'A1', date).temp_c;
    expectRel(t('2025-05-30'), 10); // doy 150
    expectRel(t('2025-04-10'), 5); // doy 100
    expectRel(t('2025-10-27'), 15 + ((300 - 200) / 265) * (5 - 15)); // doy 300, wraps towards (465, 5)
    expectRel(t('2025-02-19'), 15 + ((50 + 365 - 200) / 265) * (5 - 15)); // doy 50 ≡ 415
  });

  it('seasonal curve in a leap year: 29 Feb = 60, 31 Dec = 366 → 365', () => {
    const doc = makeDoc({
      batch: { start_date: '2024-02-25' },
      scenario: { start_date: '2024-02-25', temperature_profile: { points: [{ day_of_year: 1, temp_c: 4 }, { day_of_year: 200, temp_c: 14 }] } },
      as_of: '2025-01-02',
    });
    const st = run(doc);
    const t = (date: string) => on(st, 'A1', date).temp_c;
    expectRel(t('2024-02-29'), 4 + (59 / 199) * 10);
    expectRel(t('2024-03-01'), 4 + (60 / 199) * 10);
    const at365 = 14 + ((365 - 200) / 166) * (4 - 14);
    expectRel(t('2024-12-30'), at365);
    expectRel(t('2024-12-31'), at365);
    expectRel(t('2025-01-01'), 4);
  });

  it('readings and daily means outside −3…40 °C are dropped with a warning naming the container and time; −3 and 40 are kept', () => {
    const doc = makeDoc({
      temperature_daily: [{ container_id: 'C1', date: D(5), mean_c: 45 }, { container_id: 'C1', date: D(20), mean_c: 40 }],
      temperature_readings: [
        { container_id: 'C1', timestamp: `${D(12)}T07:00:00Z`, value: -5 },
        { container_id: 'C1', timestamp: `${D(27)}T07:00:00Z`, value: -3 },
      ],
    });
    const st = run(doc);
    expect(on(st, 'A1', D(5)).sources.temp).toBe('profile');
    expectRel(on(st, 'A1', D(5)).temp_c, 10);
    expect(on(st, 'A1', D(12)).sources.temp).toBe('profile');
    expect(on(st, 'A1', D(20)).sources.temp).toBe('measured');
    expectRel(on(st, 'A1', D(20)).temp_c, 40);
    expect(on(st, 'A1', D(27)).sources.temp).toBe('measured');
    expectRel(on(st, 'A1', D(27)).temp_c, -3);
    // max(T, 0): no growth on a −3 °C day
    expectRel(on(st, 'A1', D(27)).avg_weight_g, on(st, 'A1', D(26)).avg_weight_g);
    const w5 = st.warnings.filter((w) => w.record.includes('C1') && (w.record + ' ' + w.message).includes(D(5)));
    const w12 = st.warnings.filter((w) => w.record.includes('C1') && (w.record + ' ' + w.message).includes(D(12)));
    expect(w5.length).toBeGreaterThan(0);
    expect(w12.length).toBeGreaterThan(0);
  });

  it('temperatures outside 4–16 °C are a warning, not an error', () => {
    const r = run(makeDoc({ temperature_daily: [{ container_id: 'C1', date: D(5), mean_c: 18 }] }));
    expect(r.warnings.length).toBeGreaterThan(0);
  });

  it('readings belong to the site-local date of their timestamp (non-UTC timezone); no offset = site-local', () => {
    const tokyo = run(makeDoc({
      site: { timezone: 'Asia/Tokyo' },
      temperature_readings: [
        { container_id: 'C1', timestamp: '2025-01-10T20:00:00Z', value: 14 }, // 2025-01-11 05:00 JST
        { container_id: 'C1', timestamp: '2025-01-20T23:30:00', value: 6 }, // site-local
        { container_id: 'C1', timestamp: '2025-01-25T23:30:00+09:00', value: 7 },
      ],
    }));
    expect(on(tokyo, 'A1', '2025-01-11').sources.temp).toBe('measured');
    expectRel(on(tokyo, 'A1', '2025-01-11').temp_c, 14);
    expect(on(tokyo, 'A1', '2025-01-10').sources.temp).not.toBe('measured');
    expect(on(tokyo, 'A1', '2025-01-20').sources.temp).toBe('measured');
    expectRel(on(tokyo, 'A1', '2025-01-20').temp_c, 6);
    expect(on(tokyo, 'A1', '2025-01-21').sources.temp).not.toBe('measured');
    expect(on(tokyo, 'A1', '2025-01-25').sources.temp).toBe('measured');
    const ny = run(makeDoc({
      site: { timezone: 'America/New_York' },
      temperature_readings: [{ container_id: 'C1', timestamp: '2025-01-21T03:00:00Z', value: 13 }], // 01-20 22:00 EST
    }));
    expect(on(ny, 'A1', '2025-01-20').sources.temp).toBe('measured');
    expectRel(on(ny, 'A1', '2025-01-20').temp_c, 13);
    expect(on(ny, 'A1', '2025-01-21').sources.temp).toBe('nearest');
  });
});

// =============================================================================================
describe('3.4 forward model, anchors, bridges', () => {
  it('§9: 100 g, 10 °C, TGC 2.75 → 101.788 g after one day, 403.84 g after 100 days', () => {
    const st = run(makeDoc({ scenario: { tgc_by_stage: tgcAll(2.75) }, as_of: D(101) }));
    expect(on(st, 'A1', D(2)).avg_weight_g).toBeCloseTo(101.788, 3);
    expect(on(st, 'A1', D(101)).avg_weight_g).toBeCloseTo(403.84, 2);
    expectRel(on(st, 'A1', D(101)).avg_weight_g, grow(100, 2.75, 10, 100));
  });

  it('§9: TGC 3.0 at 10 °C → 170.2 g after 30 days (day_number 31), 395.7 after 90, 3790.3 after 365', () => {
    const st = run(makeDoc({ as_of: D(366) }));
    const s31 = on(st, 'A1', D(31));
    expect(s31.day_number).toBe(31);
    expect(s31.avg_weight_g).toBeCloseTo(170.2, 1);
    expect(on(st, 'A1', D(91)).avg_weight_g).toBeCloseTo(395.7, 1);
    expect(on(st, 'A1', D(366)).avg_weight_g).toBeCloseTo(3790.3, 1);
    for (let k = 1; k <= 366; k++) expectRel(on(st, 'A1', D(k)).avg_weight_g, W(k - 1));
    expect(on(st, 'A1', D(40)).sources.weight).toBe('model');
  });

  it('§9: realized TGC of a 10 g → 350 g bridge over 200 days at 11 °C is 2.224; bridged W^(1/3) linear in degree-days', () => {
    const doc = makeDoc({
      scenario: { temperature_profile: { points: [{ day_of_year: 1, temp_c: 11 }] } },
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 10 }],
      growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(201), sample_size: 30, avg_weight_g: 350 }],
      as_of: D(201),
    });
    const st = run(doc);
    const row = st.anchors.find((a) => a.assignment_id === 'A1' && a.date === D(201))!;
    expect(row).toBeDefined();
    expect(row.type).toBe('growth_sample');
    expect(row.realized_tgc!).toBeCloseTo(2.224, 3);
    expectRel(row.realized_tgc, (1000 * (Math.cbrt(350) - Math.cbrt(10))) / (200 * 11));
    const modeled = grow(10, 3, 11, 200);
    expectRel(row.measured_g, 350);
    expectRel(row.modeled_g, modeled);
    expectRel(row.residual_g, 350 - modeled);
    expectRel(row.residual_pct, (100 * (350 - modeled)) / modeled);
    expect(row.record_ids).toEqual(['G1']);
    const mid = (Math.cbrt(10) + (Math.cbrt(350) - Math.cbrt(10)) * (100 / 200)) ** 3;
    expectRel(on(st, 'A1', D(101)).avg_weight_g, mid);
    expect(on(st, 'A1', D(101)).sources.weight).toBe('bridged');
    expect(on(st, 'A1', D(201)).avg_weight_g).toBe(350);
  });

  it('§9: bridge 200 → 400 g over 50 days, 8 °C × 20 then 10 °C → 228.367 / 259.296 / 324.583', () => {
    const doc = makeDoc({
      scenario: { tgc_by_stage: tgcAll(3.3) },
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 200 }],
      growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(51), sample_size: 30, avg_weight_g: 400 }],
      temperature_daily: [
        ...dailyTemps('C1', D(1), [10]),
        ...dailyTemps('C1', D(2), Array(20).fill(8)),
        ...dailyTemps('C1', D(22), Array(30).fill(10)),
      ],
      as_of: D(51),
    });
    const st = run(doc);
    const G = (n: number) => (n <= 20 ? 8 * n : 160 + 10 * (n - 20));
    const bridge = (n: number) => (Math.cbrt(200) + ((Math.cbrt(400) - Math.cbrt(200)) * G(n)) / G(50)) ** 3;
    expect(on(st, 'A1', D(11)).avg_weight_g).toBeCloseTo(228.367, 3);
    expect(on(st, 'A1', D(21)).avg_weight_g).toBeCloseTo(259.296, 3);
    expect(on(st, 'A1', D(36)).avg_weight_g).toBeCloseTo(324.583, 3);
    for (let n = 1; n <= 49; n++) expectRel(on(st, 'A1', D(n + 1)).avg_weight_g, bridge(n));
    const row = st.anchors.find((a) => a.date === D(51))!;
    expectRel(row.realized_tgc, (1000 * (Math.cbrt(400) - Math.cbrt(200))) / 460);
    expect(row.realized_tgc!).toBeCloseTo(3.3044, 4);
    expectRel(row.modeled_g, closed(200, 3.3, 460));
  });

  it('a bridge with G_e = 0 moves the cube root linearly in days; realized TGC null', () => {
    const doc = makeDoc({
      scenario: { temperature_profile: { points: [{ day_of_year: 1, temp_c: 0 }] } },
      growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(11), sample_size: 30, avg_weight_g: 200 }],
      as_of: D(11),
    });
    const st = run(doc);
    expectRel(on(st, 'A1', D(6)).avg_weight_g, (Math.cbrt(100) + (Math.cbrt(200) - Math.cbrt(100)) * 0.5) ** 3);
    const row = st.anchors.find((a) => a.date === D(11))!;
    expect(row.realized_tgc).toBeNull();
    expectRel(row.modeled_g, 100);
  });

  it('a bridge across the end of a non-feeding stage: no growth while S does not feed; realized TGC over feeding days only', () => {
    const st = run(makeDoc({
      scenario: {
        start_stage: 'Egg&Alevin', start_weight_g: 0.1, fcr_by_stage: {},
        temperature_profile: { points: [{ day_of_year: 1, temp_c: 8 }], freshwater_c: 8 },
      },
      containers: [{ id: 'T1', environment: 'freshwater' }],
      assignments: [{ id: 'A1', container_id: 'T1', stage: 'Egg&Alevin' }],
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 10000, avg_weight_g: 0.1 }],
      growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(91), sample_size: 30, avg_weight_g: 0.3 }],
      as_of: D(91),
    }));
    // S_k feeds from day 82 on (day 81 is the first day *in* Fry at its end)
    const G = (d: number) => 3 * 8 * Math.max(0, d - 81);
    for (let d = 2; d <= 90; d++) {
      const want = (Math.cbrt(0.1) + ((Math.cbrt(0.3) - Math.cbrt(0.1)) * G(d)) / G(91)) ** 3;
      expectRel(on(st, 'A1', D(d)).avg_weight_g, want);
    }
    expect(on(st, 'A1', D(80)).stage).toBe('Egg&Alevin');
    expect(on(st, 'A1', D(81)).stage).toBe('Fry');
    const row = st.anchors.find((a) => a.date === D(91))!;
    expectRel(row.realized_tgc, (1000 * (Math.cbrt(0.3) - Math.cbrt(0.1))) / (10 * 8));
    expectRel(row.modeled_g, grow(0.1, 3, 8, 10));
  });

  it('inside a bridge the stage (and TGC) follow the forward path; on the anchor day step 5 starts from S in force', () => {
    const tgc: Record<string, number> = { ...tgcAll(3), Adult: 2 };
    const mk = (e: number) =>
      makeDoc({
        scenario: { tgc_by_stage: tgc },
        assignments: [{ id: 'A1', container_id: 'C1', stage: 'Post-Smolt' }],
        placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 400 }],
        growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(e), sample_size: 30, avg_weight_g: 480 }],
        as_of: D(e + 3),
      });
    for (const e of [20, 26]) {
      const st = run(mk(e));
      const K = e - 1; // span days
      const p: number[] = [400], stg: string[] = ['Post-Smolt'], G: number[] = [0];
      for (let k = 1; k <= K; k++) {
        const S = stg[k - 1];
        p.push(step(p[k - 1], tgc[S], 10));
        stg.push(advance(S, p[k]));
        G.push(G[k - 1] + tgc[S] * 10);
      }
      for (let k = 1; k < K; k++) {
        const s = on(st, 'A1', D(1 + k));
        expectRel(s.avg_weight_g, (Math.cbrt(400) + ((Math.cbrt(480) - Math.cbrt(400)) * G[k]) / G[K]) ** 3);
        expect(s.stage, `e=${e} day ${1 + k}`).toBe(stg[k]);
        expect(s.sources.weight).toBe('bridged');
      }
      const last = on(st, 'A1', D(e));
      expect(last.avg_weight_g).toBe(480);
      const inForce = stg[K - 1];
      expect(last.stage, `e=${e}`).toBe(advance(inForce, 480));
      const row = st.anchors.find((a) => a.date === D(e))!;
      expectRel(row.modeled_g, p[K]);
      expectRel(row.realized_tgc, (1000 * (Math.cbrt(480) - Math.cbrt(400))) / (K * 10));
      // the day after e grows with the TGC of the stage shown on e
      expectRel(on(st, 'A1', D(e + 1)).avg_weight_g, step(480, tgc[last.stage], 10));
    }
    // e = 20: the path crossed 500 g at the end of day 20 but the measured 480 g keeps Post-Smolt
    expect(on(run(mk(20)), 'A1', D(20)).stage).toBe('Post-Smolt');
    // e = 26: the path was Adult at the end of day 25, so Adult is in force and stays
    expect(on(run(mk(26)), 'A1', D(26)).stage).toBe('Adult');
  });

  // --- transfers and selection factors -------------------------------------------------------
  const transferDoc = (t: Partial<TransferDoc>[], place = 80, extra: Partial<BatchDocument> = {}) =>
    makeDoc({
      containers: pens(4),
      assignments: [...assigns(1), ...[2, 3, 4].map((i) => ({ id: `A${i}`, container_id: `C${i}`, stage: null }))],
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: place }],
      transfers: t.map((x, i) => ({
        id: `T${i + 1}`, date: D(11), source_assignment_id: 'A1', dest_assignment_id: `A${i + 2}`, count: 500,
        selection_method: 'AVERAGE' as const, ...x,
      })),
      ...extra,
    });

  it('§9 selection factors, cv 0.2, half the fish: LARGEST 100 g → 86.2, SMALLEST → 119.0, AVERAGE → 100', () => {
    const k = (0.2 * phi(0)) / 0.5;
    const cases = [
      ['LARGEST', 100 / (1 + k), 86.2, 0.85],
      ['SMALLEST', 100 / (1 - k), 119.0, 0.85],
      ['AVERAGE', 100, 100, 0.95],
    ] as const;
    for (const [method, exact, rounded, conf] of cases) {
      const st = run(transferDoc([{ selection_method: method, measured_avg_weight_g: 100, source_population_before: 1000 }]));
      const row = st.anchors.find((a) => a.assignment_id === 'A1' && a.date === D(11))!;
      expect(row, method).toBeDefined();
      expect(row.type).toBe('transfer');
      expect(row.measured_g).toBeCloseTo(rounded, 1);
      expectRel(row.measured_g, exact);
      expectRel(row.modeled_g, grow(80, 3, 10, 10));
      const s = on(st, 'A1', D(11));
      expect(s.anchor_type).toBe('transfer');
      expect(s.sources.weight).toBe('transfer');
      expectRel(s.confidence.weight, conf);
      expect(s.population).toBe(500);
      // W1 = anchor; selective: W2 = (Nc·W1 − 500·M)/(Nc − 500); AVERAGE: W2 = W1
      const w2 = method === 'AVERAGE' ? exact : (1000 * exact - 500 * 100) / 500;
      expectRel(s.avg_weight_g, w2);
      const w10 = (Math.cbrt(80) + (Math.cbrt(exact) - Math.cbrt(80)) * 0.9) ** 3;
      expectRel(on(st, 'A1', D(10)).avg_weight_g, w10);
      expectRel(s.growth_kg, (1000 * (exact - w10)) / 1000);
      expectRel(on(st, 'A2', D(11)).avg_weight_g, 100);
      // the span before is a bridge to the anchor
      expectRel(on(st, 'A1', D(6)).avg_weight_g, (Math.cbrt(80) + (Math.cbrt(exact) - Math.cbrt(80)) * 0.5) ** 3);
      expectRel(row.realized_tgc, (1000 * (Math.cbrt(exact) - Math.cbrt(80))) / 100);
    }
  });

  it('the factor uses source_population_before as entered (p = (count + mortality_in_transfer)/spb), not the engine\'s estimate', () => {
    // p = (490 + 10)/2000 = 0.25; z = Φ⁻¹(0.75) = 0.6744897501960817 (Python statistics.NormalDist)
    const z = 0.6744897501960817;
    const st = run(transferDoc([{ selection_method: 'LARGEST', count: 490, mortality_in_transfer: 10, measured_avg_weight_g: 100, source_population_before: 2000 }]));
    const row = st.anchors.find((a) => a.assignment_id === 'A1' && a.date === D(11))!;
    expectRel(row.measured_g, 100 / (1 + (0.2 * phi(z)) / 0.25), 1e-8);
    // site.weight_cv changes the factor
    const st2 = run(transferDoc([{ selection_method: 'SMALLEST', measured_avg_weight_g: 100, source_population_before: 1000 }], 80, { site: { id: 'S1', timezone: 'UTC', weight_cv: 0.3 } }));
    const row2 = st2.anchors.find((a) => a.assignment_id === 'A1' && a.date === D(11))!;
    expectRel(row2.measured_g, 100 / (1 - (0.3 * phi(0)) / 0.5));
  });

  it('LARGEST/SMALLEST without source_population_before, or with cv·φ(z)/p > 0.5, does not anchor but is still selective', () => {
    const a = run(transferDoc([{ selection_method: 'LARGEST', measured_avg_weight_g: 150 }]));
    expect(a.anchors.filter((x) => x.assignment_id === 'A1')).toEqual([]);
    const s = on(a, 'A1', D(11));
    expect(s.anchor_type).toBeNull();
    expectRel(s.avg_weight_g, (1000 * grow(80, 3, 10, 10) - 500 * 150) / 500);
    // p = 10/1000: 0.2·φ(2.3263478740408408)/0.01 = 0.533 > 0.5
    const b = run(transferDoc([{ selection_method: 'LARGEST', count: 10, measured_avg_weight_g: 150, source_population_before: 1000 }]));
    expect(b.anchors.filter((x) => x.assignment_id === 'A1')).toEqual([]);
    expect(warningsFor(b, 'T1').length).toBeGreaterThan(0);
    expectRel(on(b, 'A1', D(11)).avg_weight_g, (1000 * grow(80, 3, 10, 10) - 10 * 150) / 990);
    expect(on(b, 'A1', D(11)).population).toBe(990);
  });

  it('measured transfers that move every fish anchor at their fish-weighted mean M, whatever the selection', () => {
    const st = run(transferDoc([
      { selection_method: 'LARGEST', measured_avg_weight_g: 120, source_population_before: 1000 },
      { selection_method: 'SMALLEST', measured_avg_weight_g: 80, source_population_before: 1000 },
    ]));
    const row = st.anchors.find((a) => a.assignment_id === 'A1' && a.date === D(11))!;
    expectRel(row.measured_g, 100);
    expect(row.record_ids.slice().sort()).toEqual(['T1', 'T2']);
    const s = on(st, 'A1', D(11));
    expect(s.population).toBe(0);
    expectRel(s.avg_weight_g, 100);
    expectRel(on(st, 'A2', D(11)).avg_weight_g, 120);
    expectRel(on(st, 'A3', D(11)).avg_weight_g, 80);
    // a closing AVERAGE transfer: also the plain M
    const st2 = run(transferDoc([{ selection_method: 'AVERAGE', count: 995, closes_source: true, measured_avg_weight_g: 90 }]));
    expectRel(st2.anchors.find((a) => a.assignment_id === 'A1')!.measured_g, 90);
  });

  it('several measured transfers of the winning kind combine weighted by their fish (count + mortality_in_transfer)', () => {
    const st = run(transferDoc([
      { count: 300, measured_avg_weight_g: 150 },
      { count: 95, mortality_in_transfer: 5, measured_avg_weight_g: 190 },
    ]));
    const row = st.anchors.find((a) => a.assignment_id === 'A1' && a.date === D(11))!;
    expectRel(row.measured_g, (300 * 150 + 100 * 190) / 400);
    expectRel(on(st, 'A1', D(11)).avg_weight_g, 160);
    expect(on(st, 'A1', D(11)).population).toBe(600);
  });

  it('a measured transfer out on the assignment\'s first day is not an anchor (weight source inflow)', () => {
    const doc = transferDoc([{ count: 500 }], 80, {});
    doc.transfers!.push({ id: 'T9', date: D(11), source_assignment_id: 'A2', dest_assignment_id: 'A3', count: 100, selection_method: 'AVERAGE', measured_avg_weight_g: 300 });
    const st = run(doc);
    expect(st.anchors.filter((a) => a.assignment_id === 'A2')).toEqual([]);
    const s = on(st, 'A2', D(11));
    expect(s.anchor_type).toBeNull();
    expect(s.sources.weight).toBe('inflow');
    expect(s.population).toBe(400);
    expectRel(s.avg_weight_g, grow(80, 3, 10, 10));
    expectRel(on(st, 'A3', D(11)).avg_weight_g, 300);
  });

  // --- other anchors ------------------------------------------------------------------------
  it('a closing harvest with avg_weight_g is a harvest anchor (W1), the span before it a bridge', () => {
    const doc = makeDoc({ removals: [{ id: 'R1', assignment_id: 'A1', date: D(31), count: 1000, kind: 'harvest', avg_weight_g: 200, closes_source: true }] });
    const st = run(doc);
    const s = on(st, 'A1', D(31));
    expect(s.anchor_type).toBe('harvest');
    expect(s.sources.weight).toBe('harvest');
    expectRel(s.avg_weight_g, 200);
    expect(s.population).toBe(0);
    expect(s.biomass_kg).toBe(0);
    expectRel(s.confidence.weight, 1);
    const row = st.anchors.find((a) => a.date === D(31))!;
    expect(row.type).toBe('harvest');
    expectRel(row.modeled_g, W(30));
    expectRel(row.realized_tgc, (1000 * (Math.cbrt(200) - Math.cbrt(100))) / 300);
    expectRel(on(st, 'A1', D(16)).avg_weight_g, (Math.cbrt(100) + (Math.cbrt(200) - Math.cbrt(100)) * 0.5) ** 3);
    // a non-closing harvest with a weight is a selective outflow, not an anchor
    const st2 = run(makeDoc({ removals: [{ id: 'R1', assignment_id: 'A1', date: D(11), count: 100, kind: 'harvest', avg_weight_g: 250 }] }));
    expect(st2.anchors).toEqual([]);
    expectRel(on(st2, 'A1', D(11)).avg_weight_g, (1000 * W(10) - 100 * 250) / 900);
    expectRel(on(st2, 'A1', D(12)).avg_weight_g, step((1000 * W(10) - 100 * 250) / 900, 3, 10));
  });

  it('precedence on one day: harvest > sample > transfer > weighing > manual', () => {
    const doc = makeDoc({
      containers: pens(2),
      assignments: [...assigns(1), { id: 'A2', container_id: 'C2', stage: null }],
      growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(11), sample_size: 30, avg_weight_g: 130 }],
      weighings: [
        { id: 'W1', assignment_id: 'A1', date: D(11), avg_weight_g: 120, sample_size: 50 },
        { id: 'W2', assignment_id: 'A1', date: D(21), avg_weight_g: 150, sample_size: 50 },
        { id: 'W3', assignment_id: 'A1', date: D(25), avg_weight_g: 165, sample_size: 50 },
      ],
      manual_anchors: [
        { id: 'MA1', assignment_id: 'A1', date: D(11), avg_weight_g: 110, note: 'x' },
        { id: 'MA2', assignment_id: 'A1', date: D(21), avg_weight_g: 160, note: 'x' },
      ],
      transfers: [tr({ id: 'T1', date: D(25), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 100, measured_avg_weight_g: 170 })],
    });
    const st = run(doc);
    const expectAnchor = (day: number, type: string, value: number, conf: number) => {
      const s = on(st, 'A1', D(day));
      expect(s.anchor_type, D(day)).toBe(type);
      expectRel(s.avg_weight_g, value);
      expectRel(s.confidence.weight, conf);
      const rows = st.anchors.filter((a) => a.assignment_id === 'A1' && a.date === D(day));
      expect(rows.length).toBe(1);
      expect(rows[0].type).toBe(type);
      expectRel(rows[0].measured_g, value);
    };
    expectAnchor(11, 'growth_sample', 130, 1);
    expectAnchor(21, 'weighing', 150, 0.9);
    expectAnchor(25, 'transfer', 170, 0.95);
    const st2 = run(makeDoc({
      removals: [{ id: 'R1', assignment_id: 'A1', date: D(31), count: 1000, kind: 'harvest', avg_weight_g: 200, closes_source: true }],
      growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(31), sample_size: 30, avg_weight_g: 190 }],
    }));
    expect(on(st2, 'A1', D(31)).anchor_type).toBe('harvest');
    expectRel(on(st2, 'A1', D(31)).avg_weight_g, 200);
    const st3 = run(makeDoc({ manual_anchors: [{ id: 'MA1', assignment_id: 'A1', date: D(11), avg_weight_g: 120, note: 'x' }] }));
    expect(on(st3, 'A1', D(11)).anchor_type).toBe('manual');
    expectRel(on(st3, 'A1', D(11)).confidence.weight, 0.8);
  });

  it('several anchors of the winning kind combine as weighted means', () => {
    const mk = (o: Partial<BatchDocument>) => run(makeDoc({ as_of: D(11), ...o }));
    const at11 = (st: ReturnType<typeof run>) => on(st, 'A1', D(11)).avg_weight_g;
    expectRel(at11(mk({ growth_samples: [
      { id: 'G1', assignment_id: 'A1', date: D(11), sample_size: 30, avg_weight_g: 180 },
      { id: 'G2', assignment_id: 'A1', date: D(11), sample_size: 10, avg_weight_g: 200 },
    ] })), 185);
    // individual weights: mean of [170, 190, 210] = 190, weight 3 fish (sample_size/avg ignored)
    expectRel(at11(mk({ growth_samples: [
      { id: 'G1', assignment_id: 'A1', date: D(11), sample_size: 99, avg_weight_g: 500, individual_weights_g: [170, 190, 210] },
      { id: 'G2', assignment_id: 'A1', date: D(11), sample_size: 3, avg_weight_g: 200 },
    ] })), 195);
    // weighings: sample_size missing or 0 counts as 1
    expectRel(at11(mk({ weighings: [
      { id: 'W1', assignment_id: 'A1', date: D(11), avg_weight_g: 150 },
      { id: 'W2', assignment_id: 'A1', date: D(11), avg_weight_g: 160, sample_size: 0 },
      { id: 'W3', assignment_id: 'A1', date: D(11), avg_weight_g: 170, sample_size: 2 },
    ] })), (150 + 160 + 2 * 170) / 4);
    expectRel(at11(mk({ manual_anchors: [
      { id: 'MA1', assignment_id: 'A1', date: D(11), avg_weight_g: 150, note: '' },
      { id: 'MA2', assignment_id: 'A1', date: D(11), avg_weight_g: 170, note: '' },
    ] })), 160);
    // closing harvests by count
    const h = mk({ removals: [
      { id: 'R1', assignment_id: 'A1', date: D(11), count: 600, kind: 'harvest', avg_weight_g: 200, closes_source: true },
      { id: 'R2', assignment_id: 'A1', date: D(11), count: 400, kind: 'harvest', avg_weight_g: 250, closes_source: true },
    ] });
    expectRel(at11(h), 220);
    expect(h.anchors[0].type).toBe('harvest');
  });

  it('an informational sample (corrective: false) is never an anchor', () => {
    const st = run(makeDoc({ growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(11), sample_size: 30, avg_weight_g: 300, corrective: false }] }));
    expect(st.anchors).toEqual([]);
    expect(on(st, 'A1', D(11)).anchor_type).toBeNull();
    for (const k of [6, 11, 20]) expectRel(on(st, 'A1', D(k)).avg_weight_g, W(k - 1));
  });

  it('end-of-day anchor on the first day sets W_end (no anchor row); growth continues from it', () => {
    const st = run(makeDoc({ growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(1), sample_size: 30, avg_weight_g: 110 }] }));
    const s = on(st, 'A1', D(1));
    expect(s.avg_weight_g).toBe(110);
    expect(s.anchor_type).toBe('growth_sample');
    expect(st.anchors).toEqual([]);
    expectRel(on(st, 'A1', D(2)).avg_weight_g, step(110, 3, 10));
    expectRel(on(st, 'A1', D(11)).avg_weight_g, grow(110, 3, 10, 10));
  });

  it('end-of-day anchor on an inflow day sets W_end; the span before is not a bridge', () => {
    const doc = makeDoc({
      containers: pens(2),
      assignments: assigns(2),
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 500, avg_weight_g: 200 },
      ],
      transfers: [tr({ id: 'T1', date: D(11), source_assignment_id: 'A2', dest_assignment_id: 'A1', count: 200 })],
      growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(11), sample_size: 30, avg_weight_g: 130 }],
    });
    const st = run(doc);
    const s = on(st, 'A1', D(11));
    expect(s.avg_weight_g).toBe(130);
    expect(s.population).toBe(1200);
    expect(s.anchor_type).toBe('growth_sample');
    for (const k of [2, 6, 10]) {
      expectRel(on(st, 'A1', D(k)).avg_weight_g, W(k - 1));
      expect(on(st, 'A1', D(k)).sources.weight).toBe('model');
    }
    expectRel(s.growth_kg, (1000 * (W(10) - W(9))) / 1000);
    expectRel(on(st, 'A1', D(12)).avg_weight_g, step(130, 3, 10));
    const row = st.anchors.find((a) => a.assignment_id === 'A1' && a.date === D(11))!;
    expect(row.realized_tgc).toBeNull();
    expectRel(row.measured_g, 130);
    // the anchored quantity is W_end; the forward model gives the mix of the modeled W1 and the inflow
    expectRel(row.modeled_g, (1000 * W(10) + 200 * grow(200, 3, 10, 10)) / 1200);
  });

  it('an unmeasured LARGEST transfer is not selective: the destination receives W2 = W1', () => {
    const st = run(makeDoc({
      containers: pens(2),
      assignments: [...assigns(1), { id: 'A2', container_id: 'C2', stage: null }],
      transfers: [tr({ id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 300, selection_method: 'LARGEST', source_population_before: 1000 })],
    }));
    expectRel(on(st, 'A1', D(11)).avg_weight_g, W(10));
    expectRel(on(st, 'A2', D(11)).avg_weight_g, W(10));
    expect(st.anchors).toEqual([]);
  });

  it('a closing transfer leaves at W2 of the day\'s selective outflows, even when it empties the source', () => {
    const st = run(makeDoc({
      containers: pens(2),
      assignments: [...assigns(1), { id: 'A2', container_id: 'C2', stage: null }],
      removals: [{ id: 'R1', assignment_id: 'A1', date: D(11), count: 100, kind: 'cull', avg_weight_g: 60 }],
      transfers: [tr({ id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 880, closes_source: true })],
    }));
    const w2 = (1000 * W(10) - 100 * 60) / 900;
    expectRel(on(st, 'A2', D(11)).avg_weight_g, w2);
    expect(on(st, 'A2', D(11)).population).toBe(880);
    const s = on(st, 'A1', D(11));
    expect(s.population).toBe(0);
    expect(s.count_deviation).toBe(-20);
    expectRel(s.avg_weight_g, W(10)); // W1 on the day the population reaches 0
  });

  it('a selective outflow whose formula gives W2 ≤ 0 leaves W2 = W1 with a warning naming the record', () => {
    const st = run(makeDoc({ removals: [{ id: 'R1', assignment_id: 'A1', date: D(11), count: 500, kind: 'cull', avg_weight_g: 300 }] }));
    // (1000·W1 − 500·300)/500 < 0 since W1 ≈ 133 g
    expect(1000 * W(10) - 500 * 300).toBeLessThan(0);
    expectRel(on(st, 'A1', D(11)).avg_weight_g, W(10));
    expect(on(st, 'A1', D(11)).population).toBe(500);
    expect(warningsFor(st, 'R1').length).toBeGreaterThan(0);
  });

  it('a placement without avg_weight_g on the batch start date takes the scenario start weight; elsewhere an end-of-day anchor may set it', () => {
    const st = run(makeDoc({
      scenario: { start_weight_g: 90 },
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000 }],
    }));
    expect(on(st, 'A1', D(1)).avg_weight_g).toBe(90);
    const st2 = run(makeDoc({
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(5), count: 1000 }],
      growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(5), sample_size: 30, avg_weight_g: 140 }],
    }));
    expect(on(st2, 'A1', D(5)).avg_weight_g).toBe(140);
    expect(on(st2, 'A1', D(5)).day_number).toBe(5);
    expect(series(st2, 'A1')[0].date).toBe(D(5));
  });
});

// =============================================================================================
describe('3.5 feed and FCR', () => {
  it('assignment feed records: feed_kg and source', () => {
    const st = run(makeDoc({ feed: [
      { id: 'F1', assignment_id: 'A1', date: D(5), kg: 2.5 },
      { id: 'F2', assignment_id: 'A1', date: D(5), kg: 1.5 },
    ] }));
    expectRel(on(st, 'A1', D(5)).feed_kg, 4);
    expect(on(st, 'A1', D(5)).sources.feed).toBe('recorded');
    expect(on(st, 'A1', D(6)).feed_kg).toBe(0);
    expect(on(st, 'A1', D(6)).sources.feed).toBe('none');
  });

  it('container feed on an emptying day goes to the fish that stayed, else by biomass at the end of d−1', () => {
    const base = {
      containers: pens(2),
      assignments: [...assigns(1), { id: 'A2', container_id: 'C2', stage: null }],
      transfers: [tr({ id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 1000, closes_source: true })],
      feed: [{ id: 'F1', container_id: 'C1', date: D(11), kg: 10 }],
    };
    const a = run(makeDoc(base));
    expectRel(on(a, 'A1', D(11)).feed_kg, 10);
    expect(on(a, 'A2', D(11)).feed_kg).toBe(0);
    const b = run(makeDoc({
      ...base,
      assignments: [...base.assignments, { id: 'A3', container_id: 'C1', stage: 'Adult' }],
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P3', assignment_id: 'A3', date: D(11), count: 200, avg_weight_g: 50 },
      ],
    }));
    expect(on(b, 'A1', D(11)).feed_kg).toBe(0);
    expectRel(on(b, 'A3', D(11)).feed_kg, 10);
    expect(on(b, 'A3', D(11)).sources.feed).toBe('recorded');
  });

  it('container feed split over the container\'s assignments by end-of-day biomass', () => {
    const st = run(makeDoc({
      containers: pens(1),
      assignments: [{ id: 'A1', container_id: 'C1', stage: 'Adult' }, { id: 'A2', container_id: 'C1', stage: 'Adult' }],
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 500, avg_weight_g: 300 },
      ],
      feed: [{ id: 'F1', container_id: 'C1', date: D(8), kg: 10 }],
    }));
    const b1 = 1000 * W(7), b2 = 500 * grow(300, 3, 10, 7);
    expectRel(on(st, 'A1', D(8)).feed_kg, (10 * b1) / (b1 + b2));
    expectRel(on(st, 'A2', D(8)).feed_kg, (10 * b2) / (b1 + b2));
    expect(batchOn(st, D(8)).container_count).toBe(1);
  });

  it('growth_kg = Nc·(W1 − W)/1000; FCR over 7d and 30d windows = Σ feed / Σ growth', () => {
    const feed = Array.from({ length: 30 }, (_, i) => ({ id: `F${i + 2}`, assignment_id: 'A1', date: D(i + 2), kg: 2 }));
    const st = run(makeDoc({ feed }));
    for (let k = 2; k <= 31; k++) expectRel(on(st, 'A1', D(k)).growth_kg, (1000 * (W(k - 1) - W(k - 2))) / 1000);
    const r7 = st.fcr.find((r) => r.assignment_id === 'A1' && r.window === '7d' && r.to === D(20))!;
    expect(r7).toBeDefined();
    expect(r7.from).toBe(D(14));
    expectRel(r7.feed_kg, 14);
    expectRel(r7.growth_kg, W(19) - W(12));
    expectRel(r7.fcr, 14 / (W(19) - W(12)));
    const r30 = st.fcr.find((r) => r.assignment_id === 'A1' && r.window === '30d' && r.to === D(31))!;
    expect(r30.from).toBe(D(2));
    expectRel(r30.feed_kg, 60);
    expectRel(r30.growth_kg, W(30) - W(0));
    expectRel(r30.fcr, 60 / (W(30) - 100));
  });

  it('FCR is null when Σ growth ≤ 1 kg', () => {
    const feed = Array.from({ length: 30 }, (_, i) => ({ id: `F${i + 2}`, assignment_id: 'A1', date: D(i + 2), kg: 0.1 }));
    const st = run(makeDoc({ placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 10, avg_weight_g: 100 }], feed }));
    const rows = st.fcr.filter((r) => r.assignment_id === 'A1');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.growth_kg).toBeLessThanOrEqual(1);
      expect(r.fcr).toBeNull();
    }
  });

  it('span FCR between consecutive cut days', () => {
    const feed = Array.from({ length: 30 }, (_, i) => ({ id: `F${i + 2}`, assignment_id: 'A1', date: D(i + 2), kg: 2 }));
    const st = run(makeDoc({ feed, growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(21), sample_size: 30, avg_weight_g: 150 }] }));
    const r = st.fcr.find((x) => x.assignment_id === 'A1' && x.window === 'span' && x.to === D(21))!;
    expect(r).toBeDefined();
    expect(r.from).toBe(D(1));
    expectRel(r.feed_kg, 40);
    expectRel(r.growth_kg, 50); // 1000 fish from 100 g to 150 g
    expectRel(r.fcr, 0.8);
  });
});

// =============================================================================================
describe('3.6 provenance', () => {
  it('sources, anchor_type and confidences: anchor values, decay with distance, overall = min(weight, temp, mortality)', () => {
    const st = run(makeDoc({
      growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(11), sample_size: 30, avg_weight_g: 160 }],
      feed: [{ id: 'F1', assignment_id: 'A1', date: D(3), kg: 1 }],
      as_of: D(41),
    }));
    const ss = series(st, 'A1');
    for (const s of ss) {
      const c = s.confidence;
      expectRel(c.overall, Math.min(c.weight, c.temp, c.mortality));
      expect(c.weight).toBeGreaterThanOrEqual(0);
      expect(c.weight).toBeLessThanOrEqual(1);
      expect(s.count_deviation).toBe(0);
      expect(s.sources.temp).toBe('profile');
      expectRel(c.temp, 0.5);
    }
    expect(on(st, 'A1', D(11)).anchor_type).toBe('growth_sample');
    expect(on(st, 'A1', D(11)).sources.weight).toBe('growth_sample');
    expectRel(on(st, 'A1', D(11)).confidence.weight, 1);
    for (let k = 2; k <= 10; k++) {
      expect(on(st, 'A1', D(k)).sources.weight).toBe('bridged');
      expect(on(st, 'A1', D(k)).anchor_type).toBeNull();
    }
    let prev = Infinity;
    for (let k = 12; k <= 41; k++) {
      const s = on(st, 'A1', D(k));
      expect(s.sources.weight).toBe('model');
      expect(s.confidence.weight).toBeLessThanOrEqual(s.confidence.temp);
      expect(s.confidence.weight).toBeLessThanOrEqual(prev);
      prev = s.confidence.weight;
    }
    expect(on(st, 'A1', D(3)).sources.feed).toBe('recorded');
  });
});

// =============================================================================================
describe('4 batch level and ISO weeks', () => {
  it('daily batch state sums assignments; avg = biomass·1000/population; container_count', () => {
    const st = run(makeDoc({
      containers: pens(2),
      assignments: assigns(2),
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 3000, avg_weight_g: 200 },
      ],
      feed: [{ id: 'F1', assignment_id: 'A1', date: D(5), kg: 1 }, { id: 'F2', assignment_id: 'A2', date: D(5), kg: 2 }],
      mortality: [{ id: 'M1', assignment_id: 'A2', date: D(5), count: 7, cause: 'X' }],
    }));
    const b = batchOn(st, D(5));
    const w1 = W(4), w2 = grow(200, 3, 10, 4);
    expect(b.population).toBe(1000 + 2993);
    expectRel(b.biomass_kg, (1000 * w1 + 2993 * w2) / 1000);
    expectRel(b.avg_weight_g, (1000 * w1 + 2993 * w2) / 3993);
    expect(b.container_count).toBe(2);
    expectRel(b.feed_kg, 3);
    expect(b.deaths).toBe(7);
    expect(b.day_number).toBe(5);
    expectRel(b.growth_kg, (1000 * (w1 - W(3)) + 2993 * (w2 - grow(200, 3, 10, 3))) / 1000);
  });

  it('a day with population 0 has avg_weight_g null and no containers', () => {
    const st = run(makeDoc({ removals: [{ id: 'R1', assignment_id: 'A1', date: D(11), count: 1000, kind: 'harvest', avg_weight_g: 180, closes_source: true }] }));
    const b = batchOn(st, D(11));
    expect(b.population).toBe(0);
    expect(b.avg_weight_g).toBeNull();
    expect(b.container_count).toBe(0);
    expect(b.biomass_kg).toBe(0);
    // no fish at the as-of date: no forecast for the assignment
    expect(st.forecast.assignments.filter((a) => a.assignment_id === 'A1')).toEqual([]);
  });

  it('weekly rollups: ISO weeks Monday–Sunday across a year end; stock from the last day, flows summed', () => {
    const start = '2025-12-24'; // a Wednesday
    const rate = 0.001;
    const feedDays: Record<string, number> = { '2025-12-26': 3, '2025-12-29': 2, '2026-01-04': 4, '2026-01-06': 5 };
    const st = run(makeDoc({
      batch: { start_date: start },
      scenario: { mortality_rate_by_stage: { Adult: rate } },
      placements: [{ id: 'P1', assignment_id: 'A1', date: start, count: 1000, avg_weight_g: 100 }],
      feed: Object.entries(feedDays).map(([date, kg], i) => ({ id: `F${i}`, assignment_id: 'A1', date, kg })),
      as_of: '2026-01-07',
    }));
    // re-simulate day by day
    type Day = { date: string; pop: number; w: number; deaths: number; growth: number; feed: number };
    const days: Day[] = [{ date: start, pop: 1000, w: 100, deaths: 0, growth: 0, feed: 0 }];
    let n = 1000, acc = 0, w = 100;
    for (let k = 1; k <= 14; k++) {
      acc += n * rate;
      const d = Math.min(n, Math.floor(acc));
      acc -= d;
      const w1 = step(w, 3, 10);
      const growth = ((n - d) * (w1 - w)) / 1000;
      n -= d;
      w = w1;
      const date = addDays(start, k);
      days.push({ date, pop: n, w, deaths: d, growth, feed: feedDays[date] ?? 0 });
    }
    const weeks = [['2025-12-22', '2025-12-28'], ['2025-12-29', '2026-01-04'], ['2026-01-05', '2026-01-11']];
    for (const rows of [st.weekly.batch, st.weekly.assignments.find((a) => a.assignment_id === 'A1')!.weeks]) {
      expect(rows.map((r) => [r.week_start, r.week_end])).toEqual(weeks);
      for (const r of rows) {
        const inWeek = days.filter((d) => d.date >= r.week_start && d.date <= r.week_end);
        const last = inWeek[inWeek.length - 1];
        expect(r.population).toBe(last.pop);
        expectRel(r.biomass_kg, (last.pop * last.w) / 1000);
        expectRel(r.avg_weight_g, last.w);
        expect(r.deaths).toBe(inWeek.reduce((a, d) => a + d.deaths, 0));
        expectRel(r.growth_kg, inWeek.reduce((a, d) => a + d.growth, 0));
        expect(r.feed_kg).toBeCloseTo(inWeek.reduce((a, d) => a + d.feed, 0), 9);
      }
    }
  });

  it('an assignment emptied mid-week: its week\'s stock comes from the emptying day', () => {
    const st = run(makeDoc({
      containers: pens(2),
      assignments: assigns(2),
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 500, avg_weight_g: 100 },
      ],
      removals: [{ id: 'R1', assignment_id: 'A1', date: '2025-01-08', count: 1000, kind: 'harvest' }],
    }));
    const wk = st.weekly.assignments.find((a) => a.assignment_id === 'A1')!.weeks;
    const last = wk.find((r) => r.week_start === '2025-01-06')!;
    expect(last.population).toBe(0);
    expect(last.biomass_kg).toBe(0);
    expect(wk.some((r) => r.week_start > '2025-01-06')).toBe(false);
    const b = st.weekly.batch.find((r) => r.week_start === '2025-01-06')!;
    expect(b.population).toBe(500);
    expectRel(b.biomass_kg, (500 * W(11)) / 1000); // Sunday 2025-01-12 = day 12
  });
});

// =============================================================================================
describe('5 scenario projection', () => {
  it('duration_days rows keyed by date from the scenario start, day_number from the batch start; fractional deaths; feed by FCR band', () => {
    const sStart = D(11);
    const rate = 0.001;
    const st = run(makeDoc({
      scenario: {
        start_date: sStart, duration_days: 100, mortality_rate_by_stage: { Adult: rate },
        fcr_by_stage: { Adult: 1.2 }, fcr_bands: [{ stage: 'Adult', min_weight_g: 100, max_weight_g: 150, fcr: 1.0 }],
      },
    }));
    expect(st.scenario.length).toBe(100);
    let n = 1000;
    for (let k = 1; k <= 100; k++) {
      const r = st.scenario[k - 1];
      expect(r.date).toBe(addDays(sStart, k - 1));
      expect(r.day_number).toBe(10 + k);
      const w = W(k - 1);
      expectRel(r.avg_weight_g, w);
      if (k > 1) n = n - n * rate;
      expectRel(r.population, n);
      expectRel(r.biomass_kg, (n * w) / 1000);
      if (k === 1) {
        expect(r.growth_kg).toBe(0);
        continue;
      }
      const growth = (n * (w - W(k - 2))) / 1000;
      expectRel(r.growth_kg, growth);
      expectRel(r.feed_kg, growth * (w < 150 ? 1.0 : 1.2));
      expectRel(r.temp_c, 10);
    }
    expect(st.scenario[0].population).toBe(1000);
    expect(st.scenario[0].avg_weight_g).toBe(100);
  });

  it('feed_kg is null when the stage has no FCR', () => {
    const st = run(makeDoc({ scenario: { fcr_by_stage: {}, duration_days: 10 } }));
    expect(st.scenario[5].feed_kg).toBeNull();
  });

  it('temperature from the profile for the environment of the previous day\'s stage; day-1 stage advanced by step 5', () => {
    const tgc: Record<string, number> = { ...tgcAll(3), 'Post-Smolt': 2.5 };
    const st = run(makeDoc({
      scenario: {
        start_stage: 'Smolt', start_weight_g: 100, duration_days: 60, tgc_by_stage: tgc,
        temperature_profile: { points: [{ day_of_year: 1, temp_c: 8 }], freshwater_c: 14 },
      },
    }));
    let w = 100, stage = 'Smolt';
    expect(st.scenario[0].stage).toBe('Smolt');
    let switched = false;
    for (let k = 2; k <= 60; k++) {
      const t = stage === 'Smolt' ? 14 : 8;
      w = step(w, tgc[stage], t);
      stage = advance(stage, w);
      if (stage !== 'Smolt') switched = true;
      const r = st.scenario[k - 1];
      expectRel(r.temp_c, t);
      expectRel(r.avg_weight_g, w);
      expect(r.stage).toBe(stage);
    }
    expect(switched).toBe(true);
    const st2 = run(makeDoc({ scenario: { start_stage: 'Smolt', start_weight_g: 200, duration_days: 5 } }));
    expect(st2.scenario[0].stage).toBe('Post-Smolt');
  });

  it('non-feeding durations count from the scenario start in the projection', () => {
    const st = run(makeDoc({
      scenario: { start_date: D(11), start_stage: 'Egg&Alevin', start_weight_g: 0.1, duration_days: 100 },
    }));
    expect(st.scenario[79].stage).toBe('Egg&Alevin');
    expect(st.scenario[80].stage).toBe('Fry');
    expect(st.scenario[80].day_number).toBe(91);
    expectRel(st.scenario[80].avg_weight_g, 0.1);
    expectRel(st.scenario[81].avg_weight_g, step(0.1, 3, 10));
  });
});

// =============================================================================================
describe('6 variance, forecast, ETA', () => {
  it('variance: actual − scenario, % of scenario, days_ahead = t(W_actual) − date', () => {
    const st = run(makeDoc({ placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 120 }] }));
    expect(st.variance.length).toBe(31);
    for (let k = 1; k <= 31; k++) {
      const v = st.variance.find((r) => r.date === D(k))!;
      const a = grow(120, 3, 10, k - 1), s = W(k - 1);
      expectRel(v.actual_g, a);
      expectRel(v.scenario_g, s);
      expectRel(v.diff_g, a - s, 1e-8);
      expectRel(v.diff_pct, (100 * (a - s)) / s, 1e-8);
      let j = 1;
      while (W(j - 1) < a) j++;
      expect(v.days_ahead).toBe(j - k);
    }
    expect(st.variance[0].days_ahead).toBe(10);
    // behind plan: 80 g
    const behind = run(makeDoc({ placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 80 }] }));
    for (let k = 1; k <= 31; k++) {
      const a = grow(80, 3, 10, k - 1);
      let j = 1;
      while (W(j - 1) < a) j++;
      expect(behind.variance.find((r) => r.date === D(k))!.days_ahead, D(k)).toBe(j - k);
    }
    expect(behind.variance.find((r) => r.date === D(31))!.days_ahead).toBe(-11);
  });

  it('variance: days_ahead null when the scenario never reaches the actual weight', () => {
    const st = run(makeDoc({
      scenario: { duration_days: 5 },
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 300 }],
    }));
    expect(st.variance.length).toBe(5);
    for (const v of st.variance) expect(v.days_ahead).toBeNull();
  });

  it('forecast: daily forward model from the as-of state until the harvest weight; ETA per stage and harvest', () => {
    const rate = 0.0005;
    const st = run(makeDoc({
      scenario: { mortality_rate_by_stage: { 'Post-Smolt': rate, Adult: rate } },
      assignments: [{ id: 'A1', container_id: 'C1', stage: 'Post-Smolt' }],
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 300 }],
    }));
    const asOf = D(31);
    const wa = grow(300, 3, 10, 30);
    expectRel(on(st, 'A1', asOf).avg_weight_g, wa);
    const fa = st.forecast.assignments.find((a) => a.assignment_id === 'A1')!;
    expect(fa.temp_bias_c).toBe(0);
    const na = on(st, 'A1', asOf).population;
    let j = 0, n = na, etaAdult = '', etaHarvest = '';
    for (;;) {
      j++;
      const w = closed(wa, 3, 10 * j);
      n = n - n * rate;
      const date = addDays(asOf, j);
      const f = fa.states.find((s) => s.date === date)!;
      expect(f, date).toBeDefined();
      expectRel(f.avg_weight_g, w);
      expectRel(f.population, n, 1e-8);
      expect(f.day_number).toBe(31 + j);
      if (!etaAdult && w >= 500) etaAdult = date;
      if (w >= 5000) { etaHarvest = date; break; }
    }
    expect(fa.eta.Adult).toBe(etaAdult);
    expect(fa.eta.harvest).toBe(etaHarvest);
    expect(fa.states.at(-1)!.date).toBe(etaHarvest);
    expect(fa.states.filter((s) => s.date > asOf).length).toBeLessThanOrEqual(1000);
    expect(st.forecast.batch.eta.harvest).toBe(etaHarvest);
  });

  it('forecast temperature = profile + bias from measured days in the 14 days to as-of, clamped to ±2 °C', () => {
    for (const [measured, bias] of [[11, 1], [15, 2], [7, -2]] as const) {
      const st = run(makeDoc({ temperature_daily: dailyTemps('C1', D(18), Array(14).fill(measured)) }));
      const fa = st.forecast.assignments.find((a) => a.assignment_id === 'A1')!;
      expectRel(fa.temp_bias_c, bias);
      // days 2..10 profile, 11..17 nearest (the day-18 value), 18..31 measured
      const wa = closed(100, 3, 9 * 10 + 21 * measured);
      expectRel(on(st, 'A1', D(31)).avg_weight_g, wa);
      expectRel(fa.states.find((s) => s.date === D(41))!.avg_weight_g, closed(wa, 3, 10 * (10 + bias)));
    }
  });

  it('forecast bias counts interpolated days but not nearest or profile days', () => {
    const st = run(makeDoc({ temperature_daily: [
      { container_id: 'C1', date: D(20), mean_c: 11 },
      { container_id: 'C1', date: D(24), mean_c: 11.8 },
    ] }));
    const fa = st.forecast.assignments.find((a) => a.assignment_id === 'A1')!;
    // days 20..24: 11, 11.2, 11.4, 11.6, 11.8 (measured/interpolated); 25..31 nearest, 18..19 nearest
    expectRel(fa.temp_bias_c, 1.4, 1e-9);
  });

  it('forecast follows the stage path with each stage\'s TGC', () => {
    const tgc: Record<string, number> = { ...tgcAll(3), Adult: 2.2 };
    const st = run(makeDoc({
      scenario: { tgc_by_stage: tgc },
      assignments: [{ id: 'A1', container_id: 'C1', stage: 'Post-Smolt' }],
      placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 300 }],
    }));
    let w = 300, stage = 'Post-Smolt';
    for (let k = 2; k <= 31; k++) { w = step(w, tgc[stage], 10); stage = advance(stage, w); }
    expectRel(on(st, 'A1', D(31)).avg_weight_g, w);
    const fa = st.forecast.assignments.find((a) => a.assignment_id === 'A1')!;
    let j = 0, eta = '';
    while (!eta) {
      j++;
      w = step(w, tgc[stage], 10);
      stage = advance(stage, w);
      const f = fa.states.find((s) => s.date === addDays(D(31), j))!;
      expectRel(f.avg_weight_g, w, 1e-9);
      expect(f.stage).toBe(stage);
      if (w >= 5000) eta = addDays(D(31), j);
    }
    expect(fa.eta.harvest).toBe(eta);
  });

  it('batch ETA: the population-weighted mean weight of the assignments\' forecasts', () => {
    const st = run(makeDoc({
      containers: pens(2),
      assignments: [{ id: 'A1', container_id: 'C1', stage: 'Post-Smolt' }, { id: 'A2', container_id: 'C2', stage: 'Post-Smolt' }],
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 250 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 3000, avg_weight_g: 350 },
      ],
    }));
    const a1 = grow(250, 3, 10, 30), a2 = grow(350, 3, 10, 30);
    let j = 0;
    for (;;) {
      j++;
      const m = (1000 * closed(a1, 3, 10 * j) + 3000 * closed(a2, 3, 10 * j)) / 4000;
      if (m >= 500) break;
    }
    expect(st.forecast.batch.eta.Adult).toBe(addDays(D(31), j));
  });
});

// =============================================================================================
describe('records after the as-of date are ignored', () => {
  it('a sample after as-of does not anchor; mortality, feed and transfers after as-of do nothing', () => {
    const st = run(makeDoc({
      containers: pens(2),
      assignments: [...assigns(1), { id: 'A2', container_id: 'C2', stage: null }],
      growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(35), sample_size: 30, avg_weight_g: 500 }],
      mortality: [{ id: 'M1', assignment_id: 'A1', date: D(32), count: 10, cause: 'X' }],
      feed: [{ id: 'F1', assignment_id: 'A1', date: D(32), kg: 10 }],
      transfers: [tr({ id: 'T1', date: D(33), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 100 })],
      temperature_daily: dailyTemps('C1', D(32), [20, 20, 20]),
    }));
    expect(st.as_of).toBe(D(31));
    expect(st.anchors).toEqual([]);
    expect(hasSeries(st, 'A2')).toBe(false);
    const ss = series(st, 'A1');
    expect(ss.at(-1)!.date).toBe(D(31));
    for (const s of ss) expectRel(s.avg_weight_g, W(s.day_number - 1));
    expect(on(st, 'A1', D(31)).sources.temp).toBe('profile');
  });

  it('as-of = opts.asOf ?? doc.as_of ?? opts.today', () => {
    const doc = makeDoc({ growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(21), sample_size: 30, avg_weight_g: 200 }] });
    const a = run(doc, { asOf: D(11) });
    expect(a.as_of).toBe(D(11));
    expect(series(a, 'A1').at(-1)!.date).toBe(D(11));
    expect(a.anchors).toEqual([]);
    expectRel(on(a, 'A1', D(11)).avg_weight_g, W(10));
    const b = run({ ...doc, as_of: undefined }, { today: D(6) });
    expect(b.as_of).toBe(D(6));
    expect(series(b, 'A1').at(-1)!.date).toBe(D(6));
    const c = run(doc, { today: D(6) });
    expect(c.as_of).toBe(D(31));
  });
});

void START;
