/**
 * prepare({ previous }) takes the mortality, feed and temperature indexes of a previous preparation
 * when the document shares those very lists (a backend keeps the lists it did not reload). The
 * states must be the same as without it, whatever changed around the shared lists.
 */
import { describe, expect, it } from 'vitest';
import { computeStates, prepare, type BatchDocument, type Prepared, type StatesDocument } from '../../engine/index';
import { generateDemoBatch } from '../../engine/demo';
import { ReadingAggregator } from '../../engine/readings';
import { LocalDayResolver } from '../../engine/timezone';

function statesOf(doc: BatchDocument, readings: ReadingAggregator | null, previous?: Prepared): { states: StatesDocument; prep: Prepared } {
  const p = prepare(doc, { readings, ...(previous ? { previous } : {}) });
  if (!p.ok) throw new Error(JSON.stringify(p.errors.slice(0, 3)));
  const r = computeStates(p.prep);
  if (!r.ok) throw new Error(JSON.stringify(r.errors.slice(0, 3)));
  return { states: r.states, prep: p.prep };
}

describe('prepare with a previous preparation', () => {
  const base = generateDemoBatch({ seed: 5, days: 260 });
  // the readings folded once and shared by every document below, as the backend shares its day sums
  const tz = base.site.timezone ?? null;
  const readings = new ReadingAggregator(new LocalDayResolver(tz), tz);
  (base.temperature_readings ?? []).forEach((r, i) => readings.add(r, i));

  it('a new sample, the other lists shared: same states as a fresh preparation', () => {
    const first = statesOf(base, readings);
    const sample = base.growth_samples![Math.floor(base.growth_samples!.length / 2)]!;
    const doc: BatchDocument = { ...base, growth_samples: [...base.growth_samples!, { ...sample, id: 'extra-sample', avg_weight_g: (sample.avg_weight_g ?? 100) * 1.1 }] };
    const reused = statesOf(doc, readings, first.prep);
    const fresh = statesOf(doc, readings);
    expect(reused.states).toEqual(fresh.states);
    expect(reused.prep.assignments.map((a) => a.ledger.mortCount)).toEqual(first.prep.assignments.map((a) => a.ledger.mortCount));
    expect(reused.prep.assignments[0]!.ledger.mortCount).toBe(first.prep.assignments[0]!.ledger.mortCount); // shared, not rebuilt
    expect(reused.prep.temps).toBe(first.prep.temps);
  });

  it('a changed mortality list with the feed list shared, then a changed feed list', () => {
    const first = statesOf(base, readings);
    const m = base.mortality!;
    const doc1: BatchDocument = { ...base, mortality: [...m.slice(0, -1), { ...m[m.length - 1]!, count: m[m.length - 1]!.count + 500 }] };
    const r1 = statesOf(doc1, readings, first.prep);
    expect(r1.states).toEqual(statesOf(doc1, readings).states);
    expect(r1.prep.assignments[0]!.ledger.feedKg).toBe(first.prep.assignments[0]!.ledger.feedKg);
    const f = doc1.feed!;
    const doc2: BatchDocument = { ...doc1, feed: f.filter((_, i) => i % 7 !== 3) };
    const r2 = statesOf(doc2, readings, r1.prep);
    expect(r2.states).toEqual(statesOf(doc2, readings).states);
  });

  it('another as-of date or another set of pens: nothing is taken over', () => {
    const first = statesOf(base, readings);
    const asOf = base.as_of ?? first.states.as_of;
    const d = new Date(`${asOf}T00:00:00Z`); d.setUTCDate(d.getUTCDate() - 30);
    const doc: BatchDocument = { ...base, as_of: d.toISOString().slice(0, 10) };
    const r = statesOf(doc, readings, first.prep);
    expect(r.states).toEqual(statesOf(doc, readings).states);
    expect(r.prep.assignments[0]!.ledger.mortCount).not.toBe(first.prep.assignments[0]!.ledger.mortCount);
  });
});
