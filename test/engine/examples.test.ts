/**
 * Runs every ../shared/examples/NAME.batch.json through assimilate() and compares with
 * NAME.expected.json the way ../shared/bin/check-examples does (floats relative 1e-6, counts,
 * stages and sources exactly).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assimilate } from '../../engine';

const dir = fileURLToPath(new URL('../../../shared/examples/', import.meta.url));
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.batch.json'))
  .map((f) => f.slice(0, -'.batch.json'.length))
  .sort();

function close(a: unknown, b: number | null): boolean {
  if (a === null || a === undefined || b === null) return (a ?? null) === null && b === null;
  if (typeof a !== 'number') return false;
  return Math.abs(a - b) <= Math.max(1e-6, 1e-6 * Math.max(Math.abs(a), Math.abs(b)));
}

type Any = Record<string, any>;

function compare(got: Any, want: Any): string[] {
  const diffs: string[] = [];
  const states = new Map<string, Map<string, Any>>();
  for (const a of got.assignments ?? []) states.set(a.assignment_id, new Map(a.states.map((s: Any) => [s.date, s])));
  for (const a of want.assignments) {
    const mine = states.get(a.assignment_id) ?? new Map();
    for (const s of a.states) {
      const t = mine.get(s.date);
      if (!t) { diffs.push(`${a.assignment_id} ${s.date}: no state`); continue; }
      for (const f of ['avg_weight_g', 'biomass_kg', 'growth_kg'])
        if (!close(t[f], s[f])) diffs.push(`${a.assignment_id} ${s.date} ${f}: ${t[f]} (expected ${s[f]})`);
      for (const f of ['population', 'deaths', 'stage'])
        if (t[f] !== s[f]) diffs.push(`${a.assignment_id} ${s.date} ${f}: ${t[f]} (expected ${s[f]})`);
      for (const [k, v] of Object.entries(s.sources))
        if ((t.sources ?? {})[k] !== v) diffs.push(`${a.assignment_id} ${s.date} sources.${k}: ${(t.sources ?? {})[k]} (expected ${v})`);
    }
  }
  const batch = new Map((got.batch ?? []).map((b: Any) => [b.date, b]));
  for (const b of want.batch) {
    const t = batch.get(b.date) as Any | undefined;
    if (!t || t.population !== b.population || !close(t.biomass_kg, b.biomass_kg) || t.container_count !== b.container_count)
      diffs.push(`batch ${b.date}: ${JSON.stringify(t)} (expected ${JSON.stringify(b)})`);
  }
  const weeks = new Map((got.weekly?.batch ?? []).map((w: Any) => [w.week_start, w]));
  for (const w of want.weekly_batch) {
    const t = weeks.get(w.week_start) as Any | undefined;
    if (!t || t.population !== w.population || t.deaths !== w.deaths || !close(t.biomass_kg, w.biomass_kg))
      diffs.push(`week ${w.week_start}: ${JSON.stringify(t)} (expected ${JSON.stringify(w)})`);
  }
  const anchors = new Map((got.anchors ?? []).map((x: Any) => [`${x.assignment_id} ${x.date}`, x]));
  for (const x of want.anchors) {
    const t = anchors.get(`${x.assignment_id} ${x.date}`) as Any | undefined;
    if (!t || ['measured_g', 'modeled_g', 'residual_g', 'realized_tgc'].some((k) => !close(t[k], x[k])))
      diffs.push(`anchor ${x.assignment_id} ${x.date}: ${JSON.stringify(t)} (expected ${JSON.stringify(x)})`);
  }
  const scen = new Map((got.scenario ?? []).map((x: Any) => [x.date, x]));
  for (const x of want.scenario ?? []) {
    const t = scen.get(x.date) as Any | undefined;
    if (!t || t.stage !== x.stage || t.day_number !== x.day_number || !close(t.avg_weight_g, x.avg_weight_g) || !close(t.population, x.population))
      diffs.push(`scenario ${x.date}: ${JSON.stringify(t)} (expected ${JSON.stringify(x)})`);
  }
  return diffs;
}

describe('worked examples (../shared/examples)', () => {
  it('finds the examples', () => {
    expect(names.length).toBeGreaterThanOrEqual(3);
  });
  for (const name of names) {
    it(`${name} agrees with ${name}.expected.json`, () => {
      const doc = JSON.parse(readFileSync(join(dir, `${name}.batch.json`), 'utf8'));
      const want = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8'));
      const r = assimilate(doc);
      if (!r.ok) throw new Error(`${name}: errors ${JSON.stringify(r.errors)}`);
      const diffs = compare(r.states as unknown as Any, want);
      expect(diffs.slice(0, 12), `${diffs.length} differences`).toEqual([]);
    });
  }
});
