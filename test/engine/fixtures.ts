/**
 * Test fixtures for the assimilation engine: a builder for small valid batch documents and a few
 * helpers. Everything here is written from ../shared/spec (not from the engine's code).
 *
 * Default document: batch B1 starting 2025-01-01 (day 1), as-of day 31, one sea pen C1 holding
 * assignment A1 (stage Adult) with 1000 fish placed at 100 g on day 1; default stage table
 * (`stages` omitted); scenario SC1 with TGC 3.0 for every feeding stage, no mortality, a constant
 * 10 °C seasonal profile (one point) and no freshwater constant.
 */
import { expect } from 'vitest';
import { assimilate } from '../../engine';
import type {
  AssignmentState, BatchDocument, BatchInfoDoc, BatchState, InputError, ScenarioDoc, SiteDoc,
  StatesDocument, TemperatureDailyDoc, Warning,
} from '../../engine/document';

export const START = '2025-01-01';
export const FEEDING = ['Fry', 'Parr', 'Smolt', 'Post-Smolt', 'Adult'] as const;

// ---------------------------------------------------------------------------------------------
// Dates (own implementation, UTC arithmetic on calendar dates)

export function addDays(date: string, n: number): string {
  const t = Date.parse(date + 'T00:00:00Z') + n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(b + 'T00:00:00Z') - Date.parse(a + 'T00:00:00Z')) / 86_400_000);
}
/** Date of day_number n of a batch starting on `start` (day 1 = start). */
export function D(n: number, start = START): string {
  return addDays(start, n - 1);
}

// ---------------------------------------------------------------------------------------------
// Growth model (spec 3.4), written from the formula

export function step(w: number, tgc: number, t: number): number {
  return (Math.cbrt(w) + (tgc * Math.max(t, 0)) / 1000) ** 3;
}
/** W_n = (W_0^(1/3) + TGC·ΣT/1000)^3 */
export function closed(w0: number, tgc: number, sumT: number): number {
  return (Math.cbrt(w0) + (tgc * sumT) / 1000) ** 3;
}
/** Weight after `days` days at constant temperature. */
export function grow(w0: number, tgc: number, t: number, days: number): number {
  return closed(w0, tgc, t * days);
}

export function tgcAll(v: number): Record<string, number> {
  return Object.fromEntries(FEEDING.map((s) => [s, v]));
}

// ---------------------------------------------------------------------------------------------
// Builder

export type Overrides = Omit<Partial<BatchDocument>, 'scenario' | 'site' | 'batch'> & {
  scenario?: Partial<ScenarioDoc>;
  site?: Partial<SiteDoc>;
  batch?: Partial<BatchInfoDoc>;
};

export function makeDoc(o: Overrides = {}): BatchDocument {
  const { scenario, site, batch, ...rest } = o;
  const start = batch?.start_date ?? START;
  return {
    format: 'aquamind-site/batch@1',
    as_of: addDays(start, 30),
    site: { id: 'S1', name: 'Test site', timezone: 'UTC', ...site },
    batch: { id: 'B1', name: 'B1', species: 'Atlantic salmon', start_date: start, ...batch },
    scenario: {
      id: 'SC1',
      name: 'Plan',
      start_date: start,
      start_count: 1000,
      start_weight_g: 100,
      start_stage: 'Adult',
      duration_days: 365,
      harvest_weight_g: 5000,
      tgc_by_stage: tgcAll(3),
      mortality_rate_by_stage: {},
      fcr_by_stage: { Adult: 1.1 },
      temperature_profile: { points: [{ day_of_year: 1, temp_c: 10 }] },
      ...scenario,
    },
    containers: [{ id: 'C1', name: 'Pen 1', kind: 'pen', environment: 'sea' }],
    assignments: [{ id: 'A1', container_id: 'C1', stage: 'Adult' }],
    placements: [{ id: 'P1', assignment_id: 'A1', date: start, count: 1000, avg_weight_g: 100 }],
    ...rest,
  };
}

/** Sea pens C1..Cn. */
export function pens(n: number, environment: 'sea' | 'freshwater' = 'sea') {
  return Array.from({ length: n }, (_, i) => ({
    id: `C${i + 1}`, name: `Pen ${i + 1}`, kind: 'pen', environment,
  }));
}
/** Assignments A1..An in C1..Cn. */
export function assigns(n: number, stage: string | null = 'Adult') {
  return Array.from({ length: n }, (_, i) => ({ id: `A${i + 1}`, container_id: `C${i + 1}`, stage }));
}

export function dailyTemps(container: string, fromDate: string, values: number[]): TemperatureDailyDoc[] {
  return values.map((v, i) => ({ container_id: container, date: addDays(fromDate, i), mean_c: v }));
}

// ---------------------------------------------------------------------------------------------
// Running

export type AssimilateOpts = { asOf?: string; today?: string };

export function run(doc: unknown, opts?: AssimilateOpts): StatesDocument {
  const r = assimilate(structuredClone(doc), opts);
  if (!r.ok) throw new Error('expected ok, got errors: ' + JSON.stringify(r.errors, null, 1));
  return r.states;
}

export function errorsOf(doc: unknown, opts?: AssimilateOpts): InputError[] {
  const r = assimilate(structuredClone(doc), opts);
  if (r.ok) throw new Error('expected input errors, got ok (warnings: ' + JSON.stringify(r.states.warnings) + ')');
  expect(r.errors.length).toBeGreaterThan(0);
  return r.errors;
}

/** Asserts that an error names `record` and `field` (string: exact; RegExp: match) with a reason. */
export function expectError(
  doc: unknown,
  record: string | RegExp,
  field: string | RegExp,
  opts?: AssimilateOpts,
): InputError {
  const errs = errorsOf(doc, opts);
  const m = (v: string, p: string | RegExp) => (typeof p === 'string' ? v === p : p.test(v));
  const hit = errs.find((e) => m(e.record, record) && m(e.field, field));
  if (!hit) {
    throw new Error(
      `no error with record ${String(record)} and field ${String(field)}; got ${JSON.stringify(errs, null, 1)}`,
    );
  }
  expect(typeof hit.message).toBe('string');
  expect(hit.message.trim().length).toBeGreaterThan(5);
  return hit;
}

export function series(st: StatesDocument, id: string): AssignmentState[] {
  const s = st.assignments.find((a) => a.assignment_id === id);
  if (!s) throw new Error(`no series for ${id}; have ${st.assignments.map((a) => a.assignment_id).join(',')}`);
  return s.states;
}
export function hasSeries(st: StatesDocument, id: string): boolean {
  return st.assignments.some((a) => a.assignment_id === id);
}
export function on(st: StatesDocument, id: string, date: string): AssignmentState {
  const s = series(st, id).find((x) => x.date === date);
  if (!s) throw new Error(`no state for ${id} on ${date}`);
  return s;
}
export function batchOn(st: StatesDocument, date: string): BatchState {
  const s = st.batch.find((x) => x.date === date);
  if (!s) throw new Error(`no batch state on ${date}`);
  return s;
}

export function warningsFor(st: StatesDocument, record: string | RegExp): Warning[] {
  return st.warnings.filter((w) => (typeof record === 'string' ? w.record === record : record.test(w.record)));
}

/** |a − e| ≤ rel·max(|e|, tiny) */
export function expectRel(actual: number | null | undefined, expected: number, rel = 1e-9): void {
  expect(actual, `expected ${expected}`).not.toBeNull();
  expect(actual).not.toBeUndefined();
  const tol = rel * Math.max(Math.abs(expected), 1e-12);
  if (!(Math.abs((actual as number) - expected) <= tol)) {
    throw new Error(`expected ${actual} to be within rel ${rel} of ${expected}`);
  }
}
