/**
 * A database without a site: an empty site, or (first run) the embedded demo site — a Faroese
 * site with a hatchery holding two young batches and a sea batch, from the engine's demo
 * generator, each imported as recorded events.
 */
import type { StageDoc } from '../engine/index';
import { DEFAULT_STAGES } from '../engine/index';
import type { Ctx } from './handlers/context';
import { importBatchDocument } from './import-doc';
import { STAGE_TABLE } from './kinds';
import { addDaysIso, localDate } from './time';

export type SiteInit = 'demo' | 'empty';

export interface SiteDefaults {
  id: string; name: string; timezone: string; weight_cv: number | null;
  default_duration_days: number; default_harvest_weight_g: number;
  default_tgc_by_stage: Record<string, number>; default_mortality_rate_by_stage: Record<string, number>;
  default_fcr_by_stage: Record<string, number>; default_fcr_bands: unknown[]; default_temperature_profile: unknown;
}

export function emptySite(over: Partial<SiteDefaults> = {}): SiteDefaults {
  return {
    id: 'SITE', name: 'New site', timezone: 'UTC', weight_cv: 0.2, default_duration_days: 900, default_harvest_weight_g: 5000,
    default_tgc_by_stage: Object.fromEntries(DEFAULT_STAGES.filter((s) => s.feeds).map((s) => [s.name, s.baseline_tgc ?? 2.5])),
    default_mortality_rate_by_stage: {}, default_fcr_by_stage: {}, default_fcr_bands: [],
    default_temperature_profile: { points: [{ day_of_year: 1, temp_c: 10 }], freshwater_c: 12 },
    ...over,
  };
}

export function recordSite(ctx: Ctx, s: SiteDefaults, stages?: StageDoc[]): void {
  const { id, ...fields } = s;
  const events: Parameters<Ctx['write']>[0] = [{ entityType: 'site', entityId: id, kind: 'recorded', payload: fields }];
  if (stages) events.push({ entityType: STAGE_TABLE, entityId: id, kind: 'recorded', payload: { stages } });
  ctx.write(events);
}

export const DEMO_BATCHES = [
  { prefix: 'H1-', seed: 11, days: 230, label: 'Hatchery' },
  { prefix: 'H2-', seed: 12, days: 95, label: 'Hatchery' },
  { prefix: 'S1-', seed: 13, days: 560, label: 'Sea' },
] as const;

/** A year-class name from its start date: "Hatchery 2026 spring" (meteorological seasons, northern hemisphere). */
export function demoBatchName(label: string, startDate: string): string {
  const month = Number(startDate.slice(5, 7));
  const season = month >= 3 && month <= 5 ? 'spring' : month >= 6 && month <= 8 ? 'summer' : month >= 9 && month <= 11 ? 'autumn' : 'winter';
  return `${label} ${startDate.slice(0, 4)} ${season}`;
}

export async function createSite(ctx: Ctx, init: SiteInit, onProgress?: (p: { phase: string; done: number; total: number }) => void): Promise<void> {
  if (init === 'empty') { recordSite(ctx, emptySite()); return; }
  const demo = await import('../engine/demo/index');
  const { FCR_BANDS, FCR_BY_STAGE, MORTALITY_BY_STAGE, TGC_BY_STAGE } = await import('../engine/demo/simulate');
  const tz = 'Atlantic/Faroe';
  const today = localDate(tz, ctx.clock());
  recordSite(ctx, emptySite({
    id: 'FO-DEMO', name: 'Demo site, Faroe Islands', timezone: tz, weight_cv: 0.2, default_duration_days: 900,
    default_tgc_by_stage: TGC_BY_STAGE, default_mortality_rate_by_stage: MORTALITY_BY_STAGE, default_fcr_by_stage: FCR_BY_STAGE,
    default_fcr_bands: FCR_BANDS, default_temperature_profile: { points: (await import('../engine/demo/temperature')).seaProfilePoints(), freshwater_c: 12 },
  }), demo.DEMO_STAGES);
  DEMO_BATCHES.forEach((b, i) => {
    const startDate = addDaysIso(today, -(b.days - 1));
    const name = demoBatchName(b.label, startDate);
    onProgress?.({ phase: `demo batch ${name}`, done: i, total: DEMO_BATCHES.length });
    const doc = demo.generateDemoBatch({ seed: b.seed, days: b.days, startDate });
    doc.batch.name = name;
    importBatchDocument(ctx, doc, { idPrefix: b.prefix });
  });
  onProgress?.({ phase: 'demo', done: DEMO_BATCHES.length, total: DEMO_BATCHES.length });
}
