import type Database from 'better-sqlite3';
import type { ContainerDto, ContainerFields, ScenarioDto, SiteDto, SiteFields, StageDto } from '../api/contract';
import { loadStages } from '../recompute/batch-document';
import { CORE, STAGE_TABLE, fromColumn } from '../kinds';
import { DEFAULT_STAGES } from '../../engine/index';
import { exists, fail, type Ctx, type HandlerMap } from './context';

export function siteDto(db: Database.Database, today: string): SiteDto {
  const r = db.prepare('SELECT * FROM site LIMIT 1').get() as Record<string, unknown> | undefined;
  if (!r) fail('not_found', undefined, 'this database has no site yet');
  const o: Record<string, unknown> = { id: r.id, today };
  for (const [c, t] of Object.entries(CORE.site.cols)) o[c] = fromColumn(t, r[c]);
  return o as unknown as SiteDto;
}

export function stagesOf(db: Database.Database, siteId: string): StageDto[] {
  return (loadStages(db, siteId) ?? (DEFAULT_STAGES as StageDto[])).map((s) => ({ ...s }));
}

export function containerDto(r: Record<string, unknown>): ContainerDto {
  return { id: r.id as string, name: r.name as string, kind: (r.kind as string | null) ?? null, environment: r.environment as ContainerDto['environment'], voided: r.voided === 1 };
}

export function scenarioDto(r: Record<string, unknown>): ScenarioDto {
  const o: Record<string, unknown> = { id: r.id, voided: r.voided === 1 };
  for (const [c, t] of Object.entries(CORE.scenario.cols)) if (c !== 'site_id') o[c] = fromColumn(t, r[c]);
  return o as unknown as ScenarioDto;
}

function knownStages(ctx: Ctx): Set<string> {
  return new Set(stagesOf(ctx.db, ctx.siteId()).map((s) => s.name));
}

export function checkStageMap(ctx: Ctx, field: string, m: Record<string, unknown> | null | undefined, stages = knownStages(ctx)): void {
  if (!m) return;
  for (const k of Object.keys(m)) if (!stages.has(k)) fail('invalid', `${field}.${k}`, `unknown stage ${JSON.stringify(k)} (known: ${[...stages].join(', ')})`);
}

function checkBands(ctx: Ctx, field: string, bands: { stage: string; min_weight_g: number; max_weight_g: number }[] | null | undefined): void {
  if (!bands) return;
  const stages = knownStages(ctx);
  bands.forEach((b, i) => {
    if (!stages.has(b.stage)) fail('invalid', `${field}[${i}].stage`, `unknown stage ${JSON.stringify(b.stage)}`);
    if (b.min_weight_g >= b.max_weight_g) fail('invalid', `${field}[${i}].max_weight_g`, 'max_weight_g must be greater than min_weight_g');
  });
}

export const siteHandlers: HandlerMap = {
  'site.get': (_a, ctx) => siteDto(ctx.db, ctx.today()),
  'site.update': (a: { patch: Partial<SiteFields> }, ctx) => {
    const p = a.patch;
    for (const f of ['default_tgc_by_stage', 'default_mortality_rate_by_stage', 'default_fcr_by_stage'] as const) checkStageMap(ctx, `patch.${f}`, p[f]);
    checkBands(ctx, 'patch.default_fcr_bands', p.default_fcr_bands);
    ctx.write([{ entityType: 'site', entityId: ctx.siteId(), kind: 'corrected', payload: { patch: p, reason: (a as { reason?: string }).reason ?? null } }]);
    return siteDto(ctx.db, ctx.today());
  },
  'stages.get': (_a, ctx) => stagesOf(ctx.db, ctx.siteId()),
  'stages.set': (a: { stages: StageDto[]; reason?: string }, ctx) => {
    const seen = new Set<string>();
    let head = true;
    [...a.stages].sort((x, y) => x.order - y.order).forEach((s) => {
      const i = a.stages.indexOf(s);
      if (seen.has(s.name)) fail('invalid', `stages[${i}].name`, `stage name ${s.name} appears twice`);
      seen.add(s.name);
      if (s.min_weight_g >= s.max_weight_g) fail('invalid', `stages[${i}].max_weight_g`, 'max_weight_g must be greater than min_weight_g');
      if (!s.feeds) {
        if (!head) fail('invalid', `stages[${i}].feeds`, 'only stages at the head of the table may be non-feeding');
        if (s.duration_days == null) fail('invalid', `stages[${i}].duration_days`, 'a non-feeding stage needs duration_days');
      } else head = false;
    });
    // stages in use must stay
    const used = ctx.db.prepare(`SELECT stage FROM assignments WHERE stage IS NOT NULL AND voided = 0 UNION SELECT stage FROM stage_changes WHERE voided = 0
      UNION SELECT dest_stage FROM transfers WHERE dest_stage IS NOT NULL AND voided = 0`).all() as { stage: string }[];
    for (const u of used) if (!seen.has(u.stage)) fail('domain', 'stages', `stage ${u.stage} is in use and cannot be removed`);
    const had = ctx.db.prepare('SELECT 1 FROM stages WHERE site_id = ? LIMIT 1').get(ctx.siteId());
    ctx.write([{ entityType: STAGE_TABLE, entityId: ctx.siteId(), kind: had ? 'corrected' : 'recorded', payload: had ? { patch: { stages: a.stages }, reason: a.reason ?? null } : { stages: a.stages } }]);
    return stagesOf(ctx.db, ctx.siteId());
  },

  'container.create': (a: ContainerFields & { id?: string }, ctx) => {
    const id = a.id ?? ctx.uuid();
    if (exists(ctx.db, 'containers', id)) fail('conflict', 'id', `container ${id} already exists`);
    const { id: _i, ...fields } = a;
    ctx.write([{ entityType: 'container', entityId: id, kind: 'recorded', payload: { ...fields, site_id: ctx.siteId() } }]);
    return containerDto(exists(ctx.db, 'containers', id)!);
  },
  'container.update': (a: { id: string; patch: Partial<ContainerFields>; reason: string }, ctx) => {
    const r = exists(ctx.db, 'containers', a.id);
    if (!r) fail('not_found', 'id', `unknown container ${JSON.stringify(a.id)}`);
    ctx.write([{ entityType: 'container', entityId: a.id, kind: 'corrected', payload: { patch: a.patch, reason: a.reason } }]);
    return containerDto(exists(ctx.db, 'containers', a.id)!);
  },

  'scenario.list': (_a, ctx) => (ctx.db.prepare('SELECT * FROM scenarios ORDER BY name, id').all() as Record<string, unknown>[]).map(scenarioDto),
  'scenario.create': (a: Record<string, unknown> & { id?: string }, ctx) => {
    const id = a.id ?? ctx.uuid();
    if (exists(ctx.db, 'scenarios', id)) fail('conflict', 'id', `scenario ${id} already exists`);
    checkScenario(ctx, a, '');
    const { id: _i, ...fields } = a;
    ctx.write([{ entityType: 'scenario', entityId: id, kind: 'recorded', payload: { ...fields, site_id: ctx.siteId() } }]);
    return scenarioDto(exists(ctx.db, 'scenarios', id)!);
  },
  'scenario.update': (a: { id: string; patch: Record<string, unknown>; reason: string }, ctx) => {
    const r = exists(ctx.db, 'scenarios', a.id);
    if (!r) fail('not_found', 'id', `unknown scenario ${JSON.stringify(a.id)}`);
    checkScenario(ctx, { ...scenarioDto(r), ...a.patch }, 'patch.');
    ctx.write([{ entityType: 'scenario', entityId: a.id, kind: 'corrected', payload: { patch: a.patch, reason: a.reason } }]);
    return scenarioDto(exists(ctx.db, 'scenarios', a.id)!);
  },
};

function checkScenario(ctx: Ctx, s: Record<string, unknown>, prefix: string): void {
  const stages = stagesOf(ctx.db, ctx.siteId());
  const names = new Set(stages.map((x) => x.name));
  checkStageMap(ctx, `${prefix}tgc_by_stage`, s.tgc_by_stage as Record<string, unknown>, names);
  checkStageMap(ctx, `${prefix}mortality_rate_by_stage`, s.mortality_rate_by_stage as Record<string, unknown> | null, names);
  checkStageMap(ctx, `${prefix}fcr_by_stage`, s.fcr_by_stage as Record<string, unknown> | null, names);
  checkBands(ctx, `${prefix}fcr_bands`, s.fcr_bands as never);
  if (s.start_stage != null && !names.has(s.start_stage as string)) fail('invalid', `${prefix}start_stage`, `unknown stage ${JSON.stringify(s.start_stage)}`);
  const tgc = (s.tgc_by_stage ?? {}) as Record<string, number>;
  for (const st of stages) if (st.feeds && tgc[st.name] === undefined) fail('invalid', `${prefix}tgc_by_stage`, `a TGC is needed for every feeding stage; ${st.name} has none`);
}
