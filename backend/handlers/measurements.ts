/**
 * record / correct / void / restore for every measurement kind. Validation order: the method's
 * schema (in core), cross-field rules, references (unknown ids name their field), domain checks
 * against the stored states (e.g. a transfer larger than its source); only then one transaction.
 */
import type { MeasurementMethod, RecordRef } from '../api/contract';
import { zodError } from '../api/schemas';
import { MEASUREMENT_BY_METHOD, MEASUREMENTS, fromColumn, type MeasurementKind } from '../kinds';
import { addDaysIso } from '../time';
import { exists, fail, type Ctx, type HandlerMap } from './context';
import { requireBatch } from './batches';
import { stagesOf } from './site';

type Row = Record<string, unknown>;

/** API input → stored row fields (the informational flag is the document's `corrective: false`). */
function toRow(m: MeasurementKind, input: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(input)) {
    if (k === 'id') continue;
    if (k === 'informational') { out.corrective = v ? false : null; continue; }
    if (k in m.cols) out[k] = v;
  }
  return out;
}

/** Stored row → API input shape (for merging a patch and re-validating). */
export function toInput(m: MeasurementKind, r: Row): Row {
  const out: Row = {};
  for (const [c, t] of Object.entries(m.cols)) {
    if (m.entity === 'temperature_reading' && c === 'date') continue;
    if (m.containerLevel && c === 'batch_id') continue;
    const v = fromColumn(t, r[c]);
    if (c === 'corrective') { if (v === false) out.informational = true; continue; }
    if (v !== null) out[c] = v;
  }
  return out;
}

/** Start-of-day (previous day's end) or end-of-day population, whichever is larger; null: no fish. */
function population(ctx: Ctx, assignmentId: string, date: string): number | null {
  const rows = ctx.db.prepare('SELECT population FROM assignment_states WHERE assignment_id = ? AND date IN (?, ?)').all(assignmentId, addDaysIso(date, -1), date) as { population: number }[];
  if (rows.length === 0) return null;
  return Math.max(...rows.map((r) => r.population));
}

async function checkRecord(ctx: Ctx, m: MeasurementKind, r: Row, prefix: string): Promise<void> {
  const method = m.method as MeasurementMethod;
  const rule = ctx.schemas.recordRules[method];
  const e = rule?.(r);
  if (e) fail(e.code, `${prefix}${e.field}`, e.message);

  if (m.containerLevel) {
    const c = exists(ctx.db, 'containers', r.container_id as string);
    if (!c || c.voided === 1) fail('not_found', `${prefix}container_id`, `unknown container ${JSON.stringify(r.container_id)}`);
    return;
  }
  const batch = requireBatch(ctx, r.batch_id as string);
  const batchId = batch.id as string;
  const date = r.date as string;
  if (date < (batch.start_date as string)) fail('domain', `${prefix}date`, `${date} is before the batch start ${batch.start_date as string}`);
  for (const col of m.assignmentCols) {
    const aid = r[col];
    if (aid == null) continue;
    const a = exists(ctx.db, 'assignments', aid as string);
    if (!a || a.voided === 1) fail('not_found', `${prefix}${col}`, `unknown assignment ${JSON.stringify(aid)}`);
    if (a.batch_id !== batchId) fail('not_found', `${prefix}${col}`, `assignment ${aid as string} belongs to another batch`);
  }
  if (m.method === 'feed' && r.container_id != null) {
    const c = exists(ctx.db, 'containers', r.container_id as string);
    if (!c || c.voided === 1) fail('not_found', `${prefix}container_id`, `unknown container ${JSON.stringify(r.container_id)}`);
  }
  const stageField = m.method === 'stageChange' ? 'stage' : m.method === 'transfer' ? 'dest_stage' : null;
  if (stageField && r[stageField] != null) {
    const names = stagesOf(ctx.db, ctx.siteId()).map((s) => s.name);
    if (!names.includes(r[stageField] as string)) fail('invalid', `${prefix}${stageField}`, `unknown stage ${JSON.stringify(r[stageField])} (known: ${names.join(', ')})`);
  }

  // domain checks against the current states
  const popCheck = (assignmentField: string, needed: number, field: string, what: string) => {
    const aid = r[assignmentField] as string;
    const n = population(ctx, aid, date);
    if (n === null) fail('domain', `${prefix}${assignmentField}`, `assignment ${aid} has no fish on ${date}`);
    if (needed > n) fail('domain', `${prefix}${field}`, `${what} ${needed.toLocaleString('en-US')} but assignment ${aid} has ${n.toLocaleString('en-US')} fish on ${date}`);
  };
  switch (m.method) {
    case 'transfer': {
      await ctx.ensureFresh(batchId);
      popCheck('source_assignment_id', (r.count as number) + ((r.mortality_in_transfer as number | null) ?? 0), 'count', `transfer moves`);
      break;
    }
    case 'removal': await ctx.ensureFresh(batchId); popCheck('assignment_id', r.count as number, 'count', 'removal takes'); break;
    case 'mortality':
      if (r.assignment_id != null) { await ctx.ensureFresh(batchId); popCheck('assignment_id', r.count as number, 'count', 'mortality of'); }
      break;
    case 'sample': {
      const ws = r.individual_weights_g as unknown[] | null | undefined;
      const size = (r.sample_size as number | null | undefined) ?? ws?.length ?? 0;
      await ctx.ensureFresh(batchId);
      popCheck('assignment_id', size, 'sample_size', 'sample of');
      break;
    }
    case 'treatment': case 'anchor': case 'stageChange': case 'feed':
      if (r.assignment_id != null) { await ctx.ensureFresh(batchId); popCheck('assignment_id', (r.sample_size as number | null) ?? 0, 'sample_size', 'sample of'); }
      break;
    default: break;
  }
}

function ref(id: string, w: ReturnType<Ctx['write']>): RecordRef {
  return { id, event_id: w.events[0]!.event_id, batch_ids: w.batchIds };
}

function occurred(r: Row): string {
  return (r.date as string | undefined) ?? (r.timestamp as string | undefined) ?? '';
}

export function measurementHandlers(): HandlerMap {
  const h: HandlerMap = {};
  for (const m of MEASUREMENTS) {
    const method = m.method as MeasurementMethod;
    h[`${method}.record`] = async (a: Row, ctx: Ctx) => {
      const id = (a.id as string | undefined) ?? ctx.uuid();
      if (exists(ctx.db, m.table, id)) fail('conflict', 'id', `${m.entity} ${id} already exists`);
      const input = { ...a };
      delete input.id;
      await checkRecord(ctx, m, input, '');
      const w = ctx.write([{ entityType: m.entity, entityId: id, kind: 'recorded', occurredAt: occurred(input), payload: toRow(m, input) }]);
      return ref(id, w);
    };
    h[`${method}.correct`] = async (a: { id: string; patch: Row; reason: string }, ctx: Ctx) => {
      const old = exists(ctx.db, m.table, a.id);
      if (!old) fail('not_found', 'id', `unknown ${m.entity} ${JSON.stringify(a.id)}`);
      if (old.voided === 1) fail('domain', 'id', `${m.entity} ${a.id} is voided: restore it before correcting it`);
      const merged = { ...toInput(m, old), ...a.patch };
      for (const [k, v] of Object.entries(a.patch)) if (v === null) delete merged[k];
      const parsed = ctx.schemas.inputs[method].safeParse(merged);
      if (!parsed.success) {
        const e = zodError(parsed.error);
        fail(e.code, `patch.${e.field}`, e.message);
      }
      await checkRecord(ctx, m, merged, 'patch.');
      const w = ctx.write([{ entityType: m.entity, entityId: a.id, kind: 'corrected', occurredAt: occurred(merged), payload: { patch: toRow(m, a.patch), reason: a.reason } }]);
      return ref(a.id, w);
    };
    h[`${method}.void`] = (a: { id: string; reason: string }, ctx: Ctx) => {
      const old = exists(ctx.db, m.table, a.id);
      if (!old) fail('not_found', 'id', `unknown ${m.entity} ${JSON.stringify(a.id)}`);
      if (old.voided === 1) fail('conflict', 'id', `${m.entity} ${a.id} is already voided`);
      const w = ctx.write([{ entityType: m.entity, entityId: a.id, kind: 'voided', occurredAt: occurred(old), payload: { reason: a.reason } }]);
      return ref(a.id, w);
    };
    h[`${method}.restore`] = async (a: { id: string; reason: string }, ctx: Ctx) => {
      const old = exists(ctx.db, m.table, a.id);
      if (!old) fail('not_found', 'id', `unknown ${m.entity} ${JSON.stringify(a.id)}`);
      if (old.voided !== 1) fail('conflict', 'id', `${m.entity} ${a.id} is not voided`);
      await checkRecord(ctx, m, toInput(m, old), '');
      const w = ctx.write([{ entityType: m.entity, entityId: a.id, kind: 'restored', occurredAt: occurred(old), payload: { reason: a.reason } }]);
      return ref(a.id, w);
    };
  }
  return h;
}

export { MEASUREMENT_BY_METHOD };
