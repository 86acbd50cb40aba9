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
import { mulberry32 } from '../support/rng';

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

  it('seeded edits of single records in the mortality and feed lists: the same ledgers and states as a fresh preparation', () => {
    // as the backend patches a kept list: the other records stay the very same objects, in order
    const r = mulberry32(7);
    let doc: BatchDocument = base;
    let prev = statesOf(doc, readings).prep;
    let shared = 0;
    for (let step = 0; step < 30; step++) {
      const key = r() < 0.5 ? 'mortality' : 'feed';
      const list = [...(doc[key] as { id: string; date: string; assignment_id?: string | null; container_id?: string | null }[])];
      const at = Math.floor(r() * list.length);
      const old = list[at]!;
      const kind = Math.floor(r() * 4);
      // a second record on a day and pen (or container) that has one
      if (kind === 0) list.splice(at, 0, { ...old, id: `new-${step}`, ...(key === 'mortality' ? { count: 3 } : { kg: 5 }) } as typeof old);
      else if (kind === 1) list.splice(at, 1);
      else if (kind === 2) list[at] = { ...old, ...(key === 'mortality' ? { count: ((old as { count?: number }).count ?? 0) + 2 } : { kg: 1.5 }) } as typeof old;
      else { list.splice(at, 1); list.splice(Math.floor(r() * list.length), 0, { ...old }); } // moved (its date order is not the engine's concern)
      doc = { ...doc, [key]: list };
      const reused = statesOf(doc, readings, prev);
      const fresh = statesOf(doc, readings);
      expect(reused.states, `step ${step}`).toEqual(fresh.states);
      expect(reused.prep.assignments.map((a) => a.ledger), `step ${step}`).toEqual(fresh.prep.assignments.map((a) => a.ledger));
      shared += reused.prep.assignments.filter((a, i) => a.ledger[key === 'mortality' ? 'mortCount' : 'feedKg'] === prev.assignments[i]!.ledger[key === 'mortality' ? 'mortCount' : 'feedKg']).length;
      prev = reused.prep;
    }
    // pen-level edits rebuild the ledgers of the pens they name only
    expect(shared).toBeGreaterThan(base.assignments.length * 10);
  });

  it('an added record that repeats an id or names an unknown pen is an error, as without a previous preparation', () => {
    const first = statesOf(base, readings);
    const m = base.mortality!.find((x) => x.assignment_id)!;
    for (const extra of [{ ...m, count: 1 }, { ...m, id: 'M-unknown', assignment_id: 'no-such-pen' }]) {
      const doc: BatchDocument = { ...base, mortality: [...base.mortality!, extra] };
      const reused = prepare(doc, { readings, previous: first.prep });
      const fresh = prepare(doc, { readings });
      expect(reused.ok).toBe(false);
      expect(!reused.ok && reused.errors).toEqual(!fresh.ok && fresh.errors);
    }
  });

  it('seeded edits of single records in the lists of day inputs (samples, transfers, placements, …): the same day inputs and states', () => {
    const r = mulberry32(8);
    let doc: BatchDocument = base;
    let prev = statesOf(doc, readings).prep;
    const keys = ['growth_samples', 'transfers', 'placements', 'removals', 'weighings', 'stage_changes'] as const;
    let kept = 0, steps = 0;
    for (let step = 0; step < 40; step++) {
      const key = keys[Math.floor(r() * keys.length)]!;
      const list = [...((doc[key] ?? []) as unknown as Record<string, unknown>[])];
      if (list.length === 0) continue;
      const at = Math.floor(r() * list.length);
      const old = list[at]!;
      const kind = Math.floor(r() * 3);
      // a copy on the same day and pen (samples and weighings only: a second inflow would move fish), a changed number, or removed
      if (kind === 0 && (key === 'growth_samples' || key === 'weighings')) list.splice(at, 0, { ...old, id: `new-${step}` });
      else if (kind === 1 && typeof old.avg_weight_g === 'number') list[at] = { ...old, avg_weight_g: (old.avg_weight_g as number) * 1.05 };
      else if (kind === 1 && typeof old.count === 'number') list[at] = { ...old, count: Math.max(1, Math.round((old.count as number) * 0.98)) };
      else if (key === 'growth_samples' || key === 'weighings') list.splice(at, 1);
      else continue;
      const next: BatchDocument = { ...doc, [key]: list };
      const fresh = prepare(next, { readings });
      if (!fresh.ok) continue; // an edit that makes the batch invalid is not this test's subject
      const reusedP = prepare(next, { readings, previous: prev });
      if (!reusedP.ok) throw new Error(`step ${step}: ${JSON.stringify(reusedP.errors.slice(0, 2))}`);
      const a = computeStates(reusedP.prep), b = computeStates(fresh.prep);
      if (!b.ok) continue;
      expect(a.ok && a.states, `step ${step} (${key})`).toEqual(b.states);
      const shape = (p: Prepared) => p.assignments.map((x) => ({ days: x.days, firstDay: x.firstDay, cutDays: x.cutDays }));
      expect(shape(reusedP.prep), `step ${step} (${key})`).toEqual(shape(fresh.prep));
      expect(reusedP.prep.warnings).toEqual(fresh.prep.warnings);
      kept += reusedP.prep.assignments.filter((x, i) => x.days === prev.assignments[i]!.days).length;
      steps++;
      doc = next; prev = reusedP.prep;
    }
    expect(steps).toBeGreaterThan(15);
    // the pens an edit does not name keep their day inputs
    expect(kept).toBeGreaterThan(steps * (base.assignments.length - 4));
  });

  it('optional lists absent from both documents, and an added id that repeats another as a number (found by review)', () => {
    const doc: BatchDocument = { ...base, weighings: undefined, manual_anchors: undefined, stage_changes: undefined };
    const p1 = prepare(doc, { readings });
    if (!p1.ok) throw new Error('base invalid');
    const s = doc.growth_samples![3]!;
    const doc2: BatchDocument = { ...doc, growth_samples: [...doc.growth_samples!, { ...s, id: 'G-added', avg_weight_g: (s.avg_weight_g ?? 100) * 1.02 }] };
    const reused = prepare(doc2, { readings, previous: p1.prep });
    const fresh = prepare(doc2, { readings });
    expect(reused.ok && computeStates(reused.prep)).toEqual(fresh.ok && computeStates(fresh.prep));
    const m = base.mortality!.find((x) => x.assignment_id)!;
    const withNumeric: BatchDocument = { ...base, mortality: [...base.mortality!.slice(0, -1), { ...m, id: '7' }] };
    const q1 = prepare(withNumeric, { readings });
    if (!q1.ok) throw new Error('base invalid');
    const dup = { ...withNumeric, mortality: [...withNumeric.mortality!, { ...m, id: 7 as unknown as string }] };
    const again = prepare(dup, { readings, previous: q1.prep });
    expect(again.ok).toBe(false);
    expect(!again.ok && again.errors).toEqual((() => { const f = prepare(dup, { readings }); return !f.ok && f.errors; })());
  });
});
