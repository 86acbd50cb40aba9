import type {
  Analysis, AnalysisArgs, AssignmentSeriesDto, BatchStateDto, StateColumns, BatchSummary, ContainerWithState, HistoryEntry, MeasurementMethod, RecomputeStatus,
  RecordDto, SampleDto,
} from '../api/contract';
import { MEASUREMENT_BY_METHOD } from '../kinds';
import { FULL } from '../projection';
import { markDirty } from '../recompute/dirty';
import { assignmentParts, batchPart, fcrInEngineOrder, readParts, type PartName } from '../recompute/outputs';
import type { FcrRow } from '../../engine/index';
import { daysBetween } from '../time';
import { exists, fail, type Ctx, type HandlerMap } from './context';
import { containerDto } from './site';
import { toInput } from './measurements';

type Row = Record<string, unknown>;

const COLUMN_OF: [keyof StateColumns, string][] = [
  ['date', 'date'], ['day_number', 'day_number'], ['stage', 'stage'], ['avg_weight_g', 'avg_weight_g'], ['population', 'population'],
  ['biomass_kg', 'biomass_kg'], ['temp_c', 'temp_c'], ['deaths', 'deaths'], ['feed_kg', 'feed_kg'], ['growth_kg', 'growth_kg'],
  ['anchor_type', 'anchor_type'], ['count_deviation', 'count_deviation'], ['src_weight', 'src_weight'], ['src_temp', 'src_temp'],
  ['src_mortality', 'src_mortality'], ['src_feed', 'src_feed'], ['conf_weight', 'conf_weight'], ['conf_temp', 'conf_temp'],
  ['conf_mortality', 'conf_mortality'], ['conf_feed', 'conf_feed'], ['conf_overall', 'conf_overall'],
];

/** Every assignment's states in the range, column by column (rows read raw, in column order). */
function assignmentColumns(ctx: Ctx, batchId: string, from: string, to: string): AssignmentSeriesDto[] {
  const rows = ctx.db.prepare(`SELECT assignment_id, container_id, ${COLUMN_OF.map(([, c]) => c).join(', ')} FROM assignment_states
    WHERE batch_id = ? AND date >= ? AND date <= ? ORDER BY assignment_id, date`).raw().all(batchId, from, to) as unknown[][];
  const out: AssignmentSeriesDto[] = [];
  let cur: unknown[][] | null = null;
  let curId: unknown = null;
  for (const r of rows) {
    if (cur === null || r[0] !== curId) {
      curId = r[0];
      cur = COLUMN_OF.map(() => []);
      out.push({ assignment_id: r[0] as string, container_id: r[1] as string, columns: Object.fromEntries(COLUMN_OF.map(([k], i) => [k, cur![i]])) as unknown as StateColumns });
    }
    for (let i = 0; i < COLUMN_OF.length; i++) cur[i]!.push(r[i + 2]);
  }
  return out;
}

/** FCR rows of the asked windows in the engine's order: span rows as stored, 7- and 30-day rows from the daily states. */
function fcrOf(ctx: Ctx, batchId: string, parts: Map<PartName, { key: string; value: unknown }[]>, windows: readonly ('span' | '7d' | '30d')[]): FcrRow[] {
  const wanted = new Set(windows);
  const span = new Map((parts.get('fcr:span') ?? []).map((p) => [p.key, p.value as FcrRow[]]));
  if (!wanted.has('7d') && !wanted.has('30d')) return fcrInEngineOrder(span, [...span.keys()].map((k) => [k, []]), wanted);
  const byAssignment = new Map<string, { date: string; feed_kg: number; growth_kg: number }[]>();
  for (const d of ctx.db.prepare('SELECT assignment_id, date, feed_kg, growth_kg FROM assignment_states WHERE batch_id = ? ORDER BY assignment_id, date').all(batchId) as { assignment_id: string; date: string; feed_kg: number; growth_kg: number }[]) {
    const l = byAssignment.get(d.assignment_id);
    if (l) l.push(d); else byAssignment.set(d.assignment_id, [d]);
  }
  return fcrInEngineOrder(span, byAssignment, wanted);
}

function batchErrors(ctx: Ctx, batchId: string) {
  return (ctx.db.prepare('SELECT record, field, message FROM batch_errors WHERE batch_id = ? ORDER BY seq').all(batchId) as { record: string; field: string; message: string }[]);
}

function isStale(ctx: Ctx, batchId: string): boolean {
  return ctx.db.prepare('SELECT 1 FROM dirty_batches WHERE batch_id = ?').get(batchId) !== undefined;
}

function summary(ctx: Ctx, b: Row): BatchSummary {
  const id = b.id as string;
  const out = ctx.db.prepare('SELECT as_of, variance_last, eta FROM batch_outputs WHERE batch_id = ?').get(id) as { as_of: string; variance_last: string | null; eta: string } | undefined;
  const base: BatchSummary = {
    id, name: b.name as string, species: b.species as string, start_date: b.start_date as string, scenario_id: (b.scenario_id as string | null) ?? null,
    as_of: out?.as_of ?? null, stale: isStale(ctx, id), errors: batchErrors(ctx, id), kpi: null,
  };
  if (!out) return base;
  const last = ctx.db.prepare('SELECT * FROM batch_states WHERE batch_id = ? ORDER BY date DESC LIMIT 1').get(id) as Row | undefined;
  if (!last) return base;
  const asm = ctx.db.prepare('SELECT stage, population, conf_overall, biomass_kg FROM assignment_states WHERE batch_id = ? AND date = ? AND population > 0 ORDER BY population DESC').all(id, last.date) as Row[];
  const bio = asm.reduce((s, r) => s + (r.biomass_kg as number), 0);
  const conf = asm.length ? (bio > 0 ? asm.reduce((s, r) => s + (r.conf_overall as number) * (r.biomass_kg as number), 0) / bio : Math.min(...asm.map((r) => r.conf_overall as number))) : null;
  const v = out.variance_last ? JSON.parse(out.variance_last) as { date: string; diff_pct: number; days_ahead: number | null } : null;
  const eta = JSON.parse(out.eta) as Record<string, string>;
  const lastSample = ctx.db.prepare('SELECT MAX(date) AS d FROM growth_samples WHERE batch_id = ? AND voided = 0').get(id) as { d: string | null };
  base.kpi = {
    stage: (asm[0]?.stage as string | undefined) ?? null, age_days: daysBetween(b.start_date as string, last.date as string) + 1,
    avg_weight_g: (last.avg_weight_g as number | null) ?? null, population: last.population as number, biomass_kg: last.biomass_kg as number,
    container_count: last.container_count as number, variance_pct: v?.diff_pct ?? null, days_ahead: v?.days_ahead ?? null,
    eta_harvest: eta.harvest ?? null, eta, last_sample_date: lastSample.d, confidence: conf,
  };
  return base;
}

function sampleDto(r: Row, containerOf: Map<string, string>): SampleDto {
  const ws = r.individual_weights_g ? (JSON.parse(r.individual_weights_g as string) as number[]) : null;
  const ls = r.individual_lengths_cm ? (JSON.parse(r.individual_lengths_cm as string) as (number | null)[]) : null;
  let avg = (r.avg_weight_g as number | null) ?? null, sd = (r.std_dev_g as number | null) ?? null, len = (r.avg_length_cm as number | null) ?? null;
  let k = (r.condition_factor as number | null) ?? null;
  if (ws && ws.length) {
    const mean = ws.reduce((s, w) => s + w, 0) / ws.length;
    avg ??= mean;
    if (sd === null && ws.length > 1) sd = Math.sqrt(ws.reduce((s, w) => s + (w - mean) ** 2, 0) / (ws.length - 1));
    if (ls) {
      const pairs = ws.map((w, i) => [w, ls[i]] as const).filter((p): p is readonly [number, number] => typeof p[1] === 'number' && p[1] > 0);
      if (pairs.length) {
        len ??= pairs.reduce((s, p) => s + p[1], 0) / pairs.length;
        k ??= pairs.reduce((s, p) => s + (100 * p[0]) / p[1] ** 3, 0) / pairs.length;
      }
    }
  }
  if (k === null && avg !== null && len !== null && len > 0) k = (100 * avg) / len ** 3;
  return {
    id: r.id as string, assignment_id: r.assignment_id as string, container_id: containerOf.get(r.assignment_id as string) ?? '', date: r.date as string,
    sample_size: (r.sample_size as number | null) ?? ws?.length ?? null, avg_weight_g: avg, std_dev_g: sd,
    cv_pct: sd !== null && avg ? (sd / avg) * 100 : null, avg_length_cm: len, condition_factor: k,
    informational: r.corrective === 0, individual_count: ws?.length ?? 0,
  };
}

function inRange<T extends { date: string }>(rows: T[], from: string, to: string): T[] {
  return rows.filter((r) => r.date >= from && r.date <= to);
}

export const queryHandlers: HandlerMap = {
  'batch.list': (_a, ctx) => (ctx.db.prepare('SELECT * FROM batches WHERE voided = 0 ORDER BY start_date, id').all() as Row[]).map((b) => summary(ctx, b)),

  'container.list': (a: { include_voided?: boolean }, ctx) => {
    const rows = ctx.db.prepare(`SELECT * FROM containers ${a.include_voided ? '' : 'WHERE voided = 0'} ORDER BY id`).all() as Row[];
    const cur = ctx.db.prepare(`SELECT s.* FROM assignment_states s JOIN batch_outputs o ON o.batch_id = s.batch_id AND s.date = o.as_of
      WHERE s.container_id = ? AND s.population > 0 ORDER BY s.population DESC LIMIT 1`);
    return rows.map((r): ContainerWithState => {
      const s = cur.get(r.id) as Row | undefined;
      return {
        ...containerDto(r),
        current: s ? {
          batch_id: s.batch_id as string, assignment_id: s.assignment_id as string, date: s.date as string, stage: s.stage as string,
          avg_weight_g: s.avg_weight_g as number, population: s.population as number, biomass_kg: s.biomass_kg as number,
          temp_c: s.temp_c as number, confidence: s.conf_overall as number,
        } : null,
      };
    });
  },

  'records.list': (a: { batch_id: string; kind: MeasurementMethod; from?: string; to?: string; include_voided?: boolean; limit?: number; order?: 'asc' | 'desc' }, ctx) => {
    const m = MEASUREMENT_BY_METHOD.get(a.kind)!;
    if (!exists(ctx.db, 'batches', a.batch_id)) fail('not_found', 'batch_id', `unknown batch ${JSON.stringify(a.batch_id)}`);
    const where: string[] = [];
    const params: unknown[] = [];
    if (m.containerLevel) { where.push('container_id IN (SELECT container_id FROM assignments WHERE batch_id = ?)'); params.push(a.batch_id); }
    else { where.push('batch_id = ?'); params.push(a.batch_id); }
    if (a.from) { where.push('date >= ?'); params.push(a.from); }
    if (a.to) { where.push('date <= ?'); params.push(a.to); }
    if (!a.include_voided) where.push('voided = 0');
    const rows = ctx.db.prepare(`SELECT * FROM ${m.table} WHERE ${where.join(' AND ')} ORDER BY ${a.order === 'desc' ? 'date DESC, id DESC' : 'date, id'} LIMIT ?`).all(...params, a.limit ?? 10000) as Row[];
    return rows.map((r) => ({ ...toInput(m, r), id: r.id, voided: r.voided === 1, updated_by_event: r.updated_by_event ?? null }) as unknown as RecordDto);
  },

  'analysis.get': (a: AnalysisArgs, ctx): Analysis => {
    const b = exists(ctx.db, 'batches', a.batch_id);
    if (!b) fail('not_found', 'batch_id', `unknown batch ${JSON.stringify(a.batch_id)}`);
    const out = ctx.db.prepare('SELECT * FROM batch_outputs WHERE batch_id = ?').get(a.batch_id) as Row | undefined;
    const from = a.from ?? (b.start_date as string);
    const to = a.to ?? ((out?.as_of as string | undefined) ?? ctx.today());
    if (from > to) fail('invalid', 'from', `from ${from} is after to ${to}`);
    const windows = (a.fcr_windows ?? ['span', '7d', '30d']) as ('span' | '7d' | '30d')[];
    const head = {
      batch: { id: b.id as string, name: b.name as string, start_date: b.start_date as string, scenario_id: (b.scenario_id as string | null) ?? null },
      as_of: (out?.as_of as string | undefined) ?? null, engine_version: (out?.engine_version as string | undefined) ?? null,
      computed_at: (out?.computed_at as string | undefined) ?? null, stale: isStale(ctx, a.batch_id), errors: batchErrors(ctx, a.batch_id),
      range: { from, to },
    };
    if (a.only_assignments) {
      // the per-assignment parts only (states, forecasts, 7- and 30-day FCR): the caller has the batch's own from a first call
      const parts = out ? readParts(ctx.db, a.batch_id, a.forecast_assignments === false ? [] : ['forecast']) : new Map<PartName, { key: string; value: unknown }[]>();
      return {
        ...head, samples: [], scenario: [], actual: { granularity: 'daily', rows: [] }, assignments: assignmentColumns(ctx, a.batch_id, from, to),
        forecast: out ? { batch: { eta: {}, states: [] }, assignments: assignmentParts(parts, 'forecast') } : null, variance: [], eta: {}, anchors: [],
        fcr: fcrOf(ctx, a.batch_id, parts, windows.filter((w) => w !== 'span')), warnings: [],
      };
    }
    const assignments = ctx.db.prepare('SELECT id, container_id FROM assignments WHERE batch_id = ?').all(a.batch_id) as Row[];
    const containerOf = new Map(assignments.map((r) => [r.id as string, r.container_id as string]));
    const samples = (ctx.db.prepare('SELECT * FROM growth_samples WHERE batch_id = ? AND voided = 0 AND date >= ? AND date <= ? ORDER BY date, id').all(a.batch_id, from, to) as Row[])
      .map((r) => sampleDto(r, containerOf));
    // the stored output parts this call needs: per-assignment parts only with the drilldown
    const withForecasts = a.forecast_assignments !== false;
    const names: PartName[] = ['scenario', 'variance', 'anchors', 'forecast', ...(windows.includes('span') ? ['fcr:span' as const] : []), ...(a.granularity === 'weekly' ? ['weekly' as const] : [])];
    const parts = out ? readParts(ctx.db, a.batch_id, names) : new Map<PartName, { key: string; value: unknown }[]>();
    if (!withForecasts) parts.set('forecast', (parts.get('forecast') ?? []).filter((p) => p.key === ''));
    const weeklyBatch = batchPart<{ week_start: string; week_end: string }[]>(parts, 'weekly') ?? [];
    const actual: Analysis['actual'] = a.granularity === 'weekly'
      ? { granularity: 'weekly', rows: weeklyBatch.filter((w) => w.week_end >= from && w.week_start <= to) as never }
      : { granularity: 'daily', rows: (ctx.db.prepare('SELECT * FROM batch_states WHERE batch_id = ? AND date >= ? AND date <= ? ORDER BY date').all(a.batch_id, from, to) as Row[])
        .map(({ batch_id: _b, ...r }) => r as unknown as BatchStateDto) };
    const perAssignment: Analysis['assignments'] = a.assignments !== false ? assignmentColumns(ctx, a.batch_id, from, to) : [];
    const forecastBatch = batchPart<{ eta: Record<string, string> }>(parts, 'forecast');
    const forecast = out && forecastBatch ? { batch: forecastBatch, assignments: assignmentParts(parts, 'forecast') } : null;
    return {
      ...head, samples,
      scenario: inRange(batchPart<{ date: string }[]>(parts, 'scenario') ?? [], from, to),
      actual, assignments: perAssignment, forecast,
      variance: inRange(batchPart<{ date: string }[]>(parts, 'variance') ?? [], from, to),
      eta: forecast?.batch.eta ?? {},
      anchors: inRange(assignmentParts<{ date: string }>(parts, 'anchors'), from, to),
      fcr: fcrOf(ctx, a.batch_id, parts, windows), warnings: out ? JSON.parse(out.warnings as string) as unknown[] : [],
    };
  },

  'record.history': (a: { entity_type: string; entity_id: string }, ctx) => {
    const rows = ctx.db.prepare('SELECT * FROM events WHERE entity_type = ? AND entity_id = ? ORDER BY hlc, device_seq').all(a.entity_type, a.entity_id) as Row[];
    if (rows.length === 0) fail('not_found', 'entity_id', `no history for ${a.entity_type} ${JSON.stringify(a.entity_id)}`);
    return rows.map((r): HistoryEntry => {
      const payload = JSON.parse(r.payload as string) as Row;
      return {
        event_id: r.event_id as string, type: r.type as string, v: r.v as number, hlc: r.hlc as string, occurred_at: r.occurred_at as string,
        actor: r.actor as string, device_id: r.device_id as string, device_seq: r.device_seq as number,
        reason: typeof payload.reason === 'string' ? payload.reason : null, payload, base_event_ids: JSON.parse(r.base_event_ids as string) as string[],
      };
    });
  },

  'recompute.status': (_a, ctx) => status(ctx),
  'recompute.run': async (a: { batch_id?: string; full?: boolean }, ctx) => {
    if (a.batch_id !== undefined && !exists(ctx.db, 'batches', a.batch_id)) fail('not_found', 'batch_id', `unknown batch ${JSON.stringify(a.batch_id)}`);
    const ids = a.batch_id ? [a.batch_id] : (ctx.db.prepare('SELECT id FROM batches').all() as { id: string }[]).map((r) => r.id);
    if (a.full) {
      ctx.db.transaction(() => {
        // the stored outputs go: the recompute starts from nothing (parts follow by trigger)
        for (const id of ids) {
          markDirty(ctx.db, id, FULL);
          ctx.db.prepare('DELETE FROM batch_outputs WHERE batch_id = ?').run(id);
        }
      }).immediate();
    }
    await ctx.ensureFresh();
    return status(ctx);
  },
};

function status(ctx: Ctx): RecomputeStatus {
  return {
    dirty: (ctx.db.prepare('SELECT * FROM dirty_batches ORDER BY batch_id').all() as Row[]).map((r) => ({
      batch_id: r.batch_id as string, from_date: r.from_date as string, generation: r.generation as number, failed: r.failed_generation === r.generation,
    })),
    errors: ctx.db.prepare('SELECT batch_id, record, field, message FROM batch_errors ORDER BY batch_id, seq').all() as RecomputeStatus['errors'],
  };
}
