/**
 * A resumed walk told which pens an edit changed (`recomputeFrom(…, { pens })`) leaves the others
 * standing. These are the two ways a standing pen is still tied to a changed one, built so that
 * the tie really changes it: a batch-level mortality split whose largest remainder moves to it,
 * and container feed it shares with the changed pen. Each must equal a full recompute.
 */
import { describe, expect, it } from 'vitest';
import { assimilate, recomputeFrom, type StatesDocument } from '../../engine';
import type { BatchDocument } from '../../engine/document';
import { D, assigns, makeDoc, on, pens, run } from './fixtures';

function full(doc: BatchDocument): StatesDocument {
  const r = assimilate(structuredClone(doc));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.states;
}

function resumed(doc: BatchDocument, prev: StatesDocument, date: string, changed: string[]): StatesDocument {
  const r = recomputeFrom(structuredClone(doc), structuredClone(prev), date, { pens: new Set(changed) });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.states;
}

describe('resuming only the edited pens', () => {
  it('wakes a pen whose share of a batch-level mortality split changes', () => {
    // three pens; 1 dead fish for the batch on day 20 goes to the largest remainder: A3 (1001 fish)
    const doc = makeDoc({
      containers: pens(3), assignments: assigns(3),
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P3', assignment_id: 'A3', date: D(1), count: 1001, avg_weight_g: 100 },
      ],
      mortality: [{ id: 'MB', assignment_id: null, date: D(20), count: 1, cause: 'X' }],
    });
    const prev = run(doc);
    expect(on(prev, 'A3', D(20)).deaths).toBe(1);
    expect(on(prev, 'A2', D(20)).deaths).toBe(0);
    // two dead in A3 on day 5: A3 has 999, and the batch's fish on day 20 goes to A1 (ties by id)
    const edited = structuredClone(doc);
    edited.mortality!.push({ id: 'M3', assignment_id: 'A3', date: D(5), count: 2, cause: 'X' });
    const want = full(edited);
    expect(on(want, 'A1', D(20)).deaths).toBe(1);
    expect(resumed(edited, prev, D(5), ['A3'])).toEqual(want);
  });

  it('leaves a pen standing when the split does not change', () => {
    const doc = makeDoc({
      containers: pens(2), assignments: assigns(2),
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 3000, avg_weight_g: 100 },
      ],
      mortality: [{ id: 'MB', assignment_id: null, date: D(20), count: 40, cause: 'X' }],
    });
    const prev = run(doc);
    const edited = structuredClone(doc);
    edited.growth_samples = [{ id: 'G1', assignment_id: 'A1', date: D(10), sample_size: 20, avg_weight_g: 150 }];
    const got = resumed(edited, prev, D(10), ['A1']);
    expect(got).toEqual(full(edited));
    // A2 stood: the very same series object as before
    const prevA2 = prev.assignments.find((a) => a.assignment_id === 'A2')!;
    const r = recomputeFrom(structuredClone(edited), prev, D(10), { pens: new Set(['A1']) });
    expect(r.ok && r.states.assignments.find((a) => a.assignment_id === 'A2')).toBe(prevA2);
  });

  it('gives a standing pen its new share of feed in a container it shares with an edited one', () => {
    // A1 and A2 share container C1 and its feed; A3 in C2 has container feed of its own
    const doc = makeDoc({
      containers: pens(2),
      assignments: [{ id: 'A1', container_id: 'C1', stage: 'Adult' }, { id: 'A2', container_id: 'C1', stage: 'Adult' }, { id: 'A3', container_id: 'C2', stage: 'Adult' }],
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 1000, avg_weight_g: 200 },
        { id: 'P3', assignment_id: 'A3', date: D(1), count: 1000, avg_weight_g: 100 },
      ],
      feed: [
        ...Array.from({ length: 10 }, (_, i) => ({ id: `FC${i}`, container_id: 'C1', date: D(15 + i), kg: 30 })),
        ...Array.from({ length: 10 }, (_, i) => ({ id: `FD${i}`, container_id: 'C2', date: D(15 + i), kg: 10 })),
      ],
    });
    const prev = run(doc);
    const edited = structuredClone(doc);
    edited.mortality = [{ id: 'M1', assignment_id: 'A1', date: D(8), count: 500, cause: 'X' }];
    const want = full(edited);
    expect(on(want, 'A2', D(16)).feed_kg).not.toBe(on(prev, 'A2', D(16)).feed_kg);
    expect(resumed(edited, prev, D(8), ['A1'])).toEqual(want);
  });

  it('walks the pens fish were transferred to after the edit', () => {
    const doc = makeDoc({
      containers: pens(3), assignments: assigns(3),
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 2000, avg_weight_g: 100 },
        { id: 'P3', assignment_id: 'A3', date: D(1), count: 1000, avg_weight_g: 100 },
      ],
      transfers: [{ id: 'T1', source_assignment_id: 'A1', dest_assignment_id: 'A2', date: D(15), count: 1000 }],
    });
    const prev = run(doc);
    const edited = structuredClone(doc);
    edited.growth_samples = [{ id: 'G1', assignment_id: 'A1', date: D(10), sample_size: 20, avg_weight_g: 160 }];
    const want = full(edited);
    expect(on(want, 'A2', D(20)).avg_weight_g).not.toBe(on(prev, 'A2', D(20)).avg_weight_g);
    expect(resumed(edited, prev, D(10), ['A1'])).toEqual(want);
  });

  it('a scenario changed since the previous states: the forecast is made again, not kept', () => {
    // (found by review: the kept batch forecast outlived a new harvest weight)
    const doc = makeDoc({
      containers: pens(2), assignments: assigns(2),
      placements: [
        { id: 'P1', assignment_id: 'A1', date: D(1), count: 1000, avg_weight_g: 100 },
        { id: 'P2', assignment_id: 'A2', date: D(1), count: 1000, avg_weight_g: 150 },
      ],
    });
    const prev = run(doc);
    const edited = { ...doc, scenario: { ...doc.scenario, harvest_weight_g: 3000 } };
    const r = recomputeFrom(structuredClone(edited), prev, D(25));
    expect(r.ok && r.states).toEqual(full(edited));
  });

  it('a pen whose first fish arrive on another day: computed from the start, as a full recompute', () => {
    // the batch's first placement moved two days later (found by review: the resumed walk looked
    // for the pen's first row among its previous ones and threw)
    const doc = makeDoc({});
    const prev = run(doc);
    const edited = structuredClone(doc);
    edited.placements![0]!.date = D(3);
    for (const pensArg of [undefined, new Set(['A1'])]) {
      const r = recomputeFrom(structuredClone(edited), structuredClone(prev), D(1), pensArg ? { pens: pensArg } : {});
      expect(r.ok && r.states).toEqual(full(edited));
    }
  });
});
