import { describe, expect, it } from 'vitest';
import type { Method } from '../../backend/api/contract';
import { dumpTables, must, openBackend, seedSmallSite } from './helpers';

/** Valid arguments per method (on the small site); each bad request breaks one thing. */
const VALID: Partial<Record<Method, Record<string, unknown>>> = {
  'placement.record': { batch_id: 'B1', assignment_id: 'A2', date: '2025-02-01', count: 100, avg_weight_g: 600 },
  'transfer.record': { batch_id: 'B1', date: '2025-02-01', source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 100, selection_method: 'AVERAGE', measured_avg_weight_g: 700 },
  'removal.record': { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', count: 100, kind: 'cull' },
  'sample.record': { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', sample_size: 2, avg_weight_g: 700, individual_weights_g: [700, 710] , individual_lengths_cm: [35, 36] },
  'treatment.record': { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', avg_weight_g: 700, sample_size: 50, kind: 'lice' },
  'anchor.record': { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', avg_weight_g: 700 },
  'mortality.record': { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', count: 10 },
  'feed.record': { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', kg: 50 },
  'temperature.record': { container_id: 'P1', timestamp: '2025-02-01T08:00:00Z', value: 8.5 },
  'temperatureDaily.record': { container_id: 'P1', date: '2025-02-01', mean_c: 8.5 },
  'stageChange.record': { batch_id: 'B1', assignment_id: 'A1', date: '2025-02-01', stage: 'Adult' },
  'sample.correct': { id: 'G1', patch: { avg_weight_g: 800 }, reason: 'fix' },
  'sample.void': { id: 'G1', reason: 'fix' },
  'container.create': { name: 'Pen 9', environment: 'sea' },
  'batch.create': { name: 'B9', start_date: '2025-01-01' },
  'assignment.create': { batch_id: 'B1', container_id: 'P2', stage: 'Adult' },
  'analysis.get': { batch_id: 'B1' },
  'scenario.create': { name: 'Plan', duration_days: 500, harvest_weight_g: 5000, tgc_by_stage: { Fry: 2, Parr: 2, Smolt: 2, 'Post-Smolt': 2, Adult: 2 }, temperature_profile: { points: [{ day_of_year: 1, temp_c: 9 }] } },
  'container.update': { id: 'P1', patch: { name: 'Pen one' }, reason: 'rename' },
  'batch.update': { id: 'B1', patch: { name: 'Batch one' }, reason: 'rename' },
  'site.update': { patch: { name: 'Site one' }, reason: 'rename' },
  'records.list': { batch_id: 'B1', kind: 'sample', from: '2025-01-01' },
  'record.history': { entity_type: 'growth_sample', entity_id: 'G1' },
};

const SQL = "x'); DROP TABLE events; --";
const LONG = 'x'.repeat(5000);
const OPTIONAL = new Set(['avg_weight_g', 'selection_method', 'measured_avg_weight_g', 'sample_size', 'kind', 'individual_weights_g',
  'individual_lengths_cm', 'stage', 'id', 'note', 'cause', 'from']);

/** Values that are wrong for a field, judged by its name. */
function badValuesFor(m: string, f: string): unknown[] {
  const common: unknown[] = [{ a: 1 }, [1, 2, 3], true];
  if (f === 'id' && m.endsWith('.record')) return [LONG, '', 5, { a: 1 }];
  if (f === 'id' || f.endsWith('_id')) return [...common, SQL, 'no-such-id', '', LONG, 42, ...(m.startsWith('feed') || m.startsWith('mortality') ? [] : [null])];
  if (f === 'date') return [...common, '2031-01-01', '2025-02-30', '2025/02/01', 20250201, '', null, ...(m.startsWith('temperature') ? [] : ['2024-12-31'])];
  if (f === 'timestamp') return [...common, '2031-01-01T00:00:00Z', 'yesterday', '2025-02-01 08:00', null, 5];
  if (f === 'count') return [...common, -5, 2.5, '12', 1e12, null, Number.NaN, Number.POSITIVE_INFINITY, ...(m.startsWith('placement') ? [0] : [20000])];
  if (f === 'sample_size') return [...common, -5, 2.5, '12', 1e12, 20000];
  if (f.endsWith('weight_g')) return [...common, 0, -1, 30001, '700', Number.NaN, ...(OPTIONAL.has(f) ? [] : [null])];
  if (f === 'kg') return [...common, -1, '50', null, 1e9];
  if (f === 'value' || f === 'mean_c') return [...common, 41, -4, '8', null];
  if (f === 'selection_method') return [...common, 'average', 'X', 5];
  if (f === 'stage') return [...common, 'Smolty', SQL, 5, ...(m.startsWith('stageChange') ? [null] : [])];
  if (f === 'environment') return [...common, 'lake', null, 5];
  if (f === 'individual_weights_g') return [...common, 'x', [0], [-1], new Array(2001).fill(500), [], ['1']];
  if (f === 'individual_lengths_cm') return [...common, 'x', [0, 1], [201, 30]];
  if (f === 'patch') return [...common, {}, { avg_weight_g: -1 }, { batch_id: 'B1' }, { date: '2031-01-01' }, null];
  if (f === 'reason') return [...common, '', '   ', LONG, null, 5];
  if (f === 'name') return [...common, '', LONG, null, 5];
  if (f === 'duration_days') return [...common, 0, -1, 2.5, 5000, null];
  if (f === 'tgc_by_stage') return [...common, { Adult: 11 }, { Smolty: 2 }, { Adult: -1 }, null, {}];
  if (f === 'temperature_profile') return [...common, { points: [{ day_of_year: 0, temp_c: 9 }] }, { points: 5 }, null, { x: 1 }];
  if (f === 'kind' && m === 'records.list') return [...common, 'samples', SQL, null];
  if (f === 'entity_type') return [...common, 'nope', LONG, null];
  if (f === 'from') return [...common, '2025-02-30', 5];
  if (f === 'start_date') return [...common, '2031-01-01', '2025-13-01', null];
  return [...common, LONG, 5];
}

function* badRequests(): Generator<[Method, unknown, string]> {
  const pairs: [Method, unknown, string][] = [];
  for (const [m, valid] of Object.entries(VALID) as [Method, Record<string, unknown>][]) {
    for (const f of Object.keys(valid)) {
      if (!OPTIONAL.has(f) && !(f === 'assignment_id' && /^(feed|mortality)/.test(m)) && !(f === 'reason' && m === 'site.update')) {
        const { [f]: _x, ...rest } = valid;
        yield [m, rest, `${m} without ${f}`];
      }
      for (const [i, v] of badValuesFor(m, f).entries()) yield [m, { ...valid, [f]: v }, `${m} ${f}=#${i} ${JSON.stringify(v)?.slice(0, 40)}`];
    }
    // two fields wrong at once
    const keys = Object.keys(valid);
    keys.forEach((f, i) => keys.slice(i + 1).forEach((g, j) => {
      const bf = badValuesFor(m, f), bg = badValuesFor(m, g);
      return void pairs.push([m, { ...valid, [f]: bf[(i + j) % bf.length], [g]: bg[(i * 3 + j) % bg.length] }, `${m} ${f}+${g}`]);
    }));
    yield* pairs.splice(0);
    yield [m, { ...valid, extra: 1 }, `${m} unknown key`];
    yield [m, { ...valid, "batch_id'; --": 'x' }, `${m} unknown key with SQL`];
    yield [m, null, `${m} null args`];
    yield [m, 'str', `${m} string args`];
    yield [m, [valid], `${m} array args`];
    yield [m, 17, `${m} number args`];
  }
  // domain and reference failures
  yield ['transfer.record', { ...VALID['transfer.record'], count: 10001 }, 'transfer larger than the source'];
  yield ['transfer.record', { ...VALID['transfer.record'], count: 9990, mortality_in_transfer: 11 }, 'transfer plus its mortality larger than the source'];
  yield ['transfer.record', { ...VALID['transfer.record'], dest_assignment_id: 'A1' }, 'transfer into itself'];
  yield ['removal.record', { ...VALID['removal.record'], count: 20000 }, 'removal larger than the population'];
  yield ['mortality.record', { ...VALID['mortality.record'], assignment_id: 'A2' }, 'mortality in an empty pen'];
  yield ['sample.record', { ...VALID['sample.record'], individual_lengths_cm: [1] }, 'lengths not matching weights'];
  yield ['feed.record', { ...VALID['feed.record'], container_id: 'P1' }, 'feed with both targets'];
  yield ['feed.record', { batch_id: 'B1', date: '2025-02-01', kg: 5 }, 'feed without a target'];
  yield ['sample.record', { ...VALID['sample.record'], note: 'n'.repeat(2 * 1024 * 1024) }, 'huge payload'];
  yield ['sample.record', { ...VALID['sample.record'], id: 'G1' }, 'duplicate id'];
  yield ['no.such.method' as Method, {}, 'unknown method'];
  yield ['__proto__' as Method, {}, 'prototype method'];
}

describe('bad input through the API', () => {
  it('≥ 1,000 generated bad requests: each a clear error naming the field, nothing written', async () => {
    const be = await openBackend();
    await seedSmallSite(be);
    must(await be.call('sample.record', { id: 'G1', batch_id: 'B1', assignment_id: 'A1', date: '2025-03-01', sample_size: 20, avg_weight_g: 900 }));
    const before = dumpTables(be.ctx.db);
    let n = 0;
    const accepted: string[] = [];
    const fields = new Map<string, number>();
    for (const [m, args, label] of badRequests()) {
      const r = await be.call(m, args as never);
      n++;
      if (r.ok) { accepted.push(label); continue; }
      expect(r.error.field, label).toBeTruthy();
      expect(r.error.message.length, label).toBeGreaterThan(5);
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      fields.set(r.error.field!, (fields.get(r.error.field!) ?? 0) + 1);
    }
    expect(accepted).toEqual([]);
    expect(n).toBeGreaterThanOrEqual(1000);
    expect(dumpTables(be.ctx.db)).toBe(before);
    // the valid requests the generator starts from do succeed (so each bad one fails for its own reason)
    for (const [m, valid] of Object.entries(VALID) as [Method, Record<string, unknown>][]) {
      const r = await be.call(m, valid as never);
      expect(r.ok, `${m}: ${JSON.stringify(r)}`).toBe(true);
    }
    await be.close();
  });
});
