/**
 * Importing a batch document into the site: every record becomes a `*.recorded` event, all in one
 * transaction (temperature readings travel as `temperature_log` events of up to 5,000 readings).
 * Ids may be prefixed so several documents with the same ids can live in one site.
 */
import { validate, type BatchDocument } from '../engine/index';
import { MEASUREMENTS, type MeasurementKind } from './kinds';
import { TEMPERATURE_LOG, STAGE_TABLE } from './kinds';
import { exists, fail, type Ctx, type WriteEvent } from './handlers/context';

export interface ImportOptions {
  idPrefix?: string;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

export interface ImportResult { batch_id: string; events: number; batch_ids: string[] }

const READINGS_PER_EVENT = 5000;

export function importBatchDocument(ctx: Ctx, raw: unknown, opts: ImportOptions = {}): ImportResult {
  const errors = validate(raw, { today: ctx.today() });
  if (errors.length) { const e = errors[0]!; fail('invalid', e.field, `${e.record}: ${e.message}${errors.length > 1 ? ` (and ${errors.length - 1} more problems)` : ''}`, e.record); }
  const doc = raw as BatchDocument;
  const px = opts.idPrefix ?? '';
  const P = (id: string | null | undefined) => (id == null ? id : `${px}${id}`);
  const progress = opts.onProgress ?? (() => undefined);
  const batchId = P(doc.batch.id)!;
  if (exists(ctx.db, 'batches', batchId)) fail('conflict', 'batch.id', `batch ${batchId} already exists`);
  const events: WriteEvent[] = [];

  const siteId = ctx.siteId();
  if (doc.stages && doc.stages.length && !ctx.db.prepare('SELECT 1 FROM stages WHERE site_id = ?').get(siteId))
    events.push({ entityType: STAGE_TABLE, entityId: siteId, kind: 'recorded', payload: { stages: doc.stages } });
  for (const c of doc.containers) {
    const id = P(c.id)!;
    const have = exists(ctx.db, 'containers', id);
    if (have) { if (have.environment !== c.environment) fail('conflict', 'containers', `container ${id} exists with environment ${String(have.environment)}`); continue; }
    events.push({ entityType: 'container', entityId: id, kind: 'recorded', payload: { site_id: siteId, name: c.name ?? c.id, kind: c.kind ?? null, environment: c.environment } });
  }
  const sc = doc.scenario;
  const scenarioId = P(sc.id)!;
  if (!exists(ctx.db, 'scenarios', scenarioId)) {
    events.push({ entityType: 'scenario', entityId: scenarioId, kind: 'recorded', payload: {
      site_id: siteId, name: sc.name ?? sc.id, start_date: sc.start_date, start_count: sc.start_count, start_weight_g: sc.start_weight_g,
      start_stage: sc.start_stage, duration_days: sc.duration_days, harvest_weight_g: sc.harvest_weight_g, tgc_by_stage: sc.tgc_by_stage,
      mortality_rate_by_stage: sc.mortality_rate_by_stage ?? null, fcr_by_stage: sc.fcr_by_stage ?? null, fcr_bands: sc.fcr_bands ?? null,
      temperature_profile: sc.temperature_profile,
    } });
  }
  events.push({ entityType: 'batch', entityId: batchId, kind: 'recorded', occurredAt: doc.batch.start_date, payload: {
    site_id: siteId, name: doc.batch.name ?? doc.batch.id, species: doc.batch.species ?? 'Atlantic salmon', start_date: doc.batch.start_date, scenario_id: scenarioId,
  } });
  for (const a of doc.assignments) {
    if (exists(ctx.db, 'assignments', P(a.id)!)) fail('conflict', 'assignments', `assignment ${P(a.id)!} already exists`);
    events.push({ entityType: 'assignment', entityId: P(a.id)!, kind: 'recorded', payload: { batch_id: batchId, container_id: P(a.container_id), stage: a.stage ?? null } });
  }

  for (const k of MEASUREMENTS) {
    const list = (doc[k.docList] ?? []) as unknown as Record<string, unknown>[];
    if (k.entity === 'temperature_reading') {
      const byContainer = new Map<string, { timestamp: string; value: number }[]>();
      for (const r of list) {
        const cid = P(r.container_id as string)!;
        let l = byContainer.get(cid);
        if (!l) { l = []; byContainer.set(cid, l); }
        l.push({ timestamp: r.timestamp as string, value: r.value as number });
      }
      for (const [cid, rs] of byContainer) {
        for (let i = 0; i < rs.length; i += READINGS_PER_EVENT) {
          const chunk = rs.slice(i, i + READINGS_PER_EVENT);
          events.push({ entityType: TEMPERATURE_LOG, entityId: ctx.uuid(), kind: 'recorded', occurredAt: chunk[0]!.timestamp, payload: { container_id: cid, readings: chunk, source: 'import' } });
        }
      }
      continue;
    }
    list.forEach((r, i) => {
      const id = k.docHasId ? P(r.id as string)! : ctx.uuid();
      if (k.docHasId && exists(ctx.db, k.table, id)) fail('conflict', `${k.docList}[${i}].id`, `${k.entity} ${id} already exists`);
      events.push({ entityType: k.entity, entityId: id, kind: 'recorded', occurredAt: (r.date as string | undefined) ?? '', payload: recordPayload(k, r, batchId, P) });
    });
  }
  progress({ phase: 'write', done: 0, total: events.length });
  const w = ctx.write(events);
  progress({ phase: 'write', done: events.length, total: events.length });
  return { batch_id: batchId, events: w.events.length, batch_ids: w.batchIds };
}

/** The `recorded` payload of a batch-document record: its fields, ids given the import's prefix. */
export function recordPayload(k: MeasurementKind, r: Record<string, unknown>, batchId: string, prefix: (id: string) => string | null | undefined): Record<string, unknown> {
  const payload: Record<string, unknown> = k.containerLevel ? {} : { batch_id: batchId };
  for (const f of k.docFields) {
    let v = r[f];
    if (v === undefined) continue;
    if ((f.endsWith('assignment_id') || f === 'container_id') && typeof v === 'string') v = prefix(v);
    payload[f] = v;
  }
  return payload;
}
