/**
 * The engine's compute timings (run by bench/engine.ts in a fresh process): full compute, the daily
 * walk alone and a bare cube-root loop over the same assignment-days, and an incremental recompute
 * after one new growth sample in the middle of the batch. Prints one JSON BenchLine per line.
 */
import { readFileSync } from 'node:fs';
import { computeStates, parseBatchDocument, prepare, type BatchDocument, type StatesDocument } from '../engine';
import { recomputePrepared } from '../engine/incremental';
import { containerTemps, simulate } from '../engine/simulate';
import type { BenchLine } from './engine';
import { median, ms, timeRuns } from './stats';

// Each timed phase starts from a collected heap, so one phase's garbage is not timed in the next.
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const log = (l: BenchLine) => { process.stdout.write(JSON.stringify(l) + '\n'); };
const lean = parseBatchDocument(readFileSync(process.argv[2]!));
const doc = lean.doc as BatchDocument;
const leanPrep = timeRuns(() => prepare(doc, { readings: lean.readings }), 10, 2);
log({ name: 'prepare from day sums (what a recompute in the backend does)', value: ms(median(leanPrep)) });
const p = prepare(doc, { readings: lean.readings });
if (!p.ok) throw new Error(`demo batch invalid: ${JSON.stringify(p.errors.slice(0, 3))}`);
const prep = p.prep;
let states: StatesDocument | null = null;
gc();
const compute = timeRuns(() => { const r = computeStates(prep); if (!r.ok) throw new Error("compute failed"); states = r.states; }, 40, 20);
const computeMs = median(compute);
const days = states!.assignments.reduce((s, a) => s + a.states.length, 0);

// Baseline: a bare loop doing only the cube-root growth step over the same assignment-days.
const temps = states!.assignments.map((a) => Float64Array.from(a.states.map((s) => s.temp_c)));
let sink = 0;
gc();
const bare = timeRuns(() => {
  for (const ts of temps) {
    let w = 0.2;
    for (let i = 0; i < ts.length; i++) { const c = Math.cbrt(w) + (2.75 * (ts[i]! > 0 ? ts[i]! : 0)) / 1000; w = c * c * c; }
    sink += w;
  }
}, 200, 20);
const bareMs = median(bare);
if (sink === 42) console.log('');
log({ name: 'compute all states, aggregates, rollups, scenario, forecast', value: ms(computeMs), target: '≤ 20 ms', ok: computeMs <= 20,
  ratio: `${(3200 / computeMs).toFixed(0)}× faster than the Python engine's ~3.2 s (reported, not measured here)` });
log({ name: 'engine cost per assignment-day ÷ bare cube-root loop', value: `${((computeMs / days) * 1e6).toFixed(0)} ns vs ${((bareMs / days) * 1e6).toFixed(1)} ns per day over ${days.toLocaleString('en-US')} days`,
  ratio: `${(computeMs / bareMs).toFixed(1)}×`, target: 'aim ≤ 10×', ok: computeMs / bareMs <= 10 });
// The daily walk alone (growth, deaths, counts, transfers, anchors, bridges, stages), without
// building the output objects: what the ratio is made of.
gc();
const walk = median(timeRuns(() => simulate(prep, undefined, containerTemps(prep)), 30, 5));
log({ name: 'the daily walk alone ÷ bare cube-root loop', value: `${ms(walk)} (${((walk / days) * 1e6).toFixed(0)} ns per assignment-day)`,
  ratio: `${(walk / bareMs).toFixed(1)}×; the rest of a full compute is building ~50,000 output rows` });

// Incremental: one new growth sample in the middle of the batch.
// The middle of the batch: an assignment with fish on the batch's middle day, a week into its span.
const midDate = states!.batch[Math.floor(states!.batch.length / 2)]!.date;
const holder = states!.assignments.find((a) => a.states.some((s) => s.date === midDate && s.population > 0))!;
const mid = { a: holder, s: holder.states.find((s) => s.date === midDate)! };
const doc2: BatchDocument = { ...doc, growth_samples: [...(doc.growth_samples ?? []), {
  id: 'G-BENCH', assignment_id: mid.a.assignment_id, date: mid.s.date, sample_size: 30, avg_weight_g: mid.s.avg_weight_g * 1.04,
}] };
const p2 = prepare(doc2, { readings: lean.readings });
if (!p2.ok) throw new Error('bench sample invalid');
const full2 = computeStates(p2.prep);
let changed = 0;
const inc = timeRuns(() => {
  const r = recomputePrepared(p2.prep, states!, mid.s.date);
  if (!r.ok) throw new Error('incremental failed');
  changed = r.changed.assignments.reduce((s, a) => s + a.states.length, 0);
  if (full2.ok && JSON.stringify(r.states.assignments) !== JSON.stringify(full2.states.assignments)) throw new Error('incremental differs from full');
}, 1, 0);
void inc;
gc();
const incRuns = timeRuns(() => recomputePrepared(p2.prep, states!, mid.s.date), 40, 40);
const incMs = median(incRuns);
log({ name: `incremental recompute after a sample on ${mid.s.date} in ${mid.a.assignment_id}`, value: `${ms(incMs)} (${changed} states changed)`,
  target: '≤ 5 ms', ok: incMs <= 5, ratio: `${(incMs / computeMs * 100).toFixed(0)} % of a full compute` });
// The same, told which pen the edit is in (what the backend does): the other pens stand.
const pens = new Set([mid.a.assignment_id]);
const one = recomputePrepared(p2.prep, states!, mid.s.date, { pens });
if (!one.ok || (full2.ok && JSON.stringify(one.states) !== JSON.stringify(full2.states))) throw new Error('incremental with the pen named differs from full');
gc();
const penMs = median(timeRuns(() => recomputePrepared(p2.prep, states!, mid.s.date, { pens }), 40, 40));
log({ name: `  the same with the edited pen named (as the backend runs it: ${one.walked} of ${p2.prep.assignments.length} pens walk)`, value: ms(penMs),
  ratio: `${(penMs / computeMs * 100).toFixed(0)} % of a full compute` });

