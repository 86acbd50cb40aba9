import type Database from 'better-sqlite3';
import type { AssignmentDto, BatchDto, BatchFields } from '../api/contract';
import { exists, fail, type Ctx, type HandlerMap } from './context';
import { stagesOf } from './site';

export function assignmentDto(r: Record<string, unknown>): AssignmentDto {
  return { id: r.id as string, batch_id: r.batch_id as string, container_id: r.container_id as string, stage: (r.stage as string | null) ?? null, voided: r.voided === 1 };
}

export function batchDto(db: Database.Database, id: string): BatchDto {
  const r = exists(db, 'batches', id)!;
  const assignments = (db.prepare('SELECT * FROM assignments WHERE batch_id = ? ORDER BY id').all(id) as Record<string, unknown>[]).map(assignmentDto);
  return {
    id, name: r.name as string, species: r.species as string, start_date: r.start_date as string, scenario_id: (r.scenario_id as string | null) ?? null,
    voided: r.voided === 1, assignments,
  };
}

export function requireBatch(ctx: Ctx, id: string, field = 'batch_id'): Record<string, unknown> {
  const b = exists(ctx.db, 'batches', id);
  if (!b || b.voided === 1) fail('not_found', field, `unknown batch ${JSON.stringify(id)}`);
  return b;
}

function requireScenario(ctx: Ctx, id: string, field: string): void {
  const s = exists(ctx.db, 'scenarios', id);
  if (!s || s.voided === 1) fail('not_found', field, `unknown scenario ${JSON.stringify(id)}`);
}

function requireContainer(ctx: Ctx, id: string, field: string): void {
  const c = exists(ctx.db, 'containers', id);
  if (!c || c.voided === 1) fail('not_found', field, `unknown container ${JSON.stringify(id)}`);
}

function requireStage(ctx: Ctx, name: string | null | undefined, field: string): void {
  if (name == null) return;
  const names = stagesOf(ctx.db, ctx.siteId()).map((s) => s.name);
  if (!names.includes(name)) fail('invalid', field, `unknown stage ${JSON.stringify(name)} (known: ${names.join(', ')})`);
}

export const batchHandlers: HandlerMap = {
  'batch.get': (a: { id: string }, ctx) => {
    if (!exists(ctx.db, 'batches', a.id)) fail('not_found', 'id', `unknown batch ${JSON.stringify(a.id)}`);
    return batchDto(ctx.db, a.id);
  },
  'batch.create': (a: BatchFields & { id?: string }, ctx) => {
    const id = a.id ?? ctx.uuid();
    if (exists(ctx.db, 'batches', id)) fail('conflict', 'id', `batch ${id} already exists`);
    if (a.scenario_id != null) requireScenario(ctx, a.scenario_id, 'scenario_id');
    const { id: _i, ...fields } = a;
    ctx.write([{ entityType: 'batch', entityId: id, kind: 'recorded', occurredAt: a.start_date, payload: { species: 'Atlantic salmon', ...fields, site_id: ctx.siteId() } }]);
    return batchDto(ctx.db, id);
  },
  'batch.update': (a: { id: string; patch: Partial<BatchFields>; reason: string }, ctx) => {
    requireBatch(ctx, a.id, 'id');
    if (a.patch.start_date !== undefined) {
      const first = ctx.db.prepare(`SELECT MIN(d) AS d FROM (SELECT MIN(date) AS d FROM placements WHERE batch_id = ? AND voided = 0
        UNION ALL SELECT MIN(date) FROM transfers WHERE batch_id = ? AND voided = 0)`).get(a.id, a.id) as { d: string | null };
      if (first.d && first.d < a.patch.start_date) fail('domain', 'patch.start_date', `the batch has records from ${first.d}, before ${a.patch.start_date}`);
    }
    ctx.write([{ entityType: 'batch', entityId: a.id, kind: 'corrected', payload: { patch: a.patch, reason: a.reason } }]);
    return batchDto(ctx.db, a.id);
  },
  'batch.pinScenario': (a: { id: string; scenario_id: string | null; reason?: string }, ctx) => {
    requireBatch(ctx, a.id, 'id');
    if (a.scenario_id !== null) requireScenario(ctx, a.scenario_id, 'scenario_id');
    ctx.write([{ entityType: 'batch', entityId: a.id, kind: 'corrected', payload: { patch: { scenario_id: a.scenario_id }, reason: a.reason ?? 'scenario pinned' } }]);
    return batchDto(ctx.db, a.id);
  },
  'assignment.create': (a: { id?: string; batch_id: string; container_id: string; stage?: string | null }, ctx) => {
    requireBatch(ctx, a.batch_id);
    requireContainer(ctx, a.container_id, 'container_id');
    requireStage(ctx, a.stage, 'stage');
    const id = a.id ?? ctx.uuid();
    if (exists(ctx.db, 'assignments', id)) fail('conflict', 'id', `assignment ${id} already exists`);
    const { id: _i, ...fields } = a;
    ctx.write([{ entityType: 'assignment', entityId: id, kind: 'recorded', payload: fields }]);
    return assignmentDto(exists(ctx.db, 'assignments', id)!);
  },
  'assignment.update': (a: { id: string; patch: { container_id?: string; stage?: string | null }; reason: string }, ctx) => {
    const r = exists(ctx.db, 'assignments', a.id);
    if (!r || r.voided === 1) fail('not_found', 'id', `unknown assignment ${JSON.stringify(a.id)}`);
    if (a.patch.container_id !== undefined) requireContainer(ctx, a.patch.container_id, 'patch.container_id');
    requireStage(ctx, a.patch.stage, 'patch.stage');
    ctx.write([{ entityType: 'assignment', entityId: a.id, kind: 'corrected', payload: { patch: a.patch, reason: a.reason } }]);
    return assignmentDto(exists(ctx.db, 'assignments', a.id)!);
  },
};
