/**
 * The engine's batch document for one batch, built from the projection tables (non-voided rows).
 * Temperatures are the raw readings and daily means of the batch's containers, so the states equal
 * an assimilate of the dumped document exactly.
 */
import type Database from 'better-sqlite3';
import type { BatchDocument, ScenarioDoc, StageDoc } from '../../engine/index';
import { DEFAULT_STAGES } from '../../engine/index';
import { MEASUREMENTS, fromColumn } from '../kinds';

type Row = Record<string, unknown>;

export interface BuildOptions { asOf: string }

function json<T>(v: unknown, fallback: T): T {
  return typeof v === 'string' ? (JSON.parse(v) as T) : fallback;
}

export function loadStages(db: Database.Database, siteId: string): StageDoc[] | null {
  const rows = db.prepare('SELECT * FROM stages WHERE site_id = ? ORDER BY ord, name').all(siteId) as Row[];
  if (rows.length === 0) return null;
  return rows.map((r) => {
    const s: StageDoc = {
      name: r.name as string, order: r.ord as number, min_weight_g: r.min_weight_g as number, max_weight_g: r.max_weight_g as number,
      feeds: r.feeds === 1, environment: r.environment as StageDoc['environment'],
    };
    if (r.duration_days != null) s.duration_days = r.duration_days as number;
    if (r.baseline_tgc != null) s.baseline_tgc = r.baseline_tgc as number;
    return s;
  });
}

export function buildBatchDocument(db: Database.Database, batchId: string, opts: BuildOptions): BatchDocument | null {
  const batch = db.prepare('SELECT * FROM batches WHERE id = ? AND voided = 0').get(batchId) as Row | undefined;
  if (!batch) return null;
  const site = db.prepare('SELECT * FROM site WHERE id = ?').get(batch.site_id) as Row;
  const stages = loadStages(db, site.id as string);
  const stageList = stages ?? (DEFAULT_STAGES as StageDoc[]);

  const assignments = db.prepare('SELECT id, container_id, stage FROM assignments WHERE batch_id = ? AND voided = 0 ORDER BY id').all(batchId) as Row[];
  const lists: Record<string, Row[]> = {};
  const containerIds = new Set(assignments.map((a) => a.container_id as string));
  for (const k of MEASUREMENTS) {
    if (k.containerLevel) continue;
    const rows = db.prepare(`SELECT * FROM ${k.table} WHERE batch_id = ? AND voided = 0 ORDER BY date, id`).all(batchId) as Row[];
    lists[k.docList] = rows.map((r) => {
      const o: Row = {};
      if (k.docHasId) o.id = r.id;
      for (const f of k.docFields) {
        const v = fromColumn(k.cols[f]!, r[f]);
        if (v !== null) o[f] = v;
      }
      return o;
    });
    if (k.docList === 'feed') for (const r of rows) if (typeof r.container_id === 'string') containerIds.add(r.container_id);
  }
  const cids = [...containerIds].sort();
  const containers = cids.length === 0 ? [] : (db.prepare(`SELECT id, name, kind, environment FROM containers WHERE id IN (${cids.map(() => '?').join(',')}) ORDER BY id`).all(...cids) as Row[])
    .map((c) => ({ id: c.id as string, name: c.name as string, ...(c.kind != null ? { kind: c.kind as string } : {}), environment: c.environment as 'freshwater' | 'sea' }));
  if (cids.length > 0) {
    const inList = cids.map(() => '?').join(',');
    lists.temperature_readings = (db.prepare(`SELECT container_id, timestamp, value FROM temperature_readings WHERE container_id IN (${inList}) AND voided = 0 ORDER BY container_id, timestamp, id`).raw().all(...cids) as [string, string, number][])
      .map(([container_id, timestamp, value]) => ({ container_id, timestamp, value }));
    lists.temperature_daily = (db.prepare(`SELECT container_id, date, mean_c FROM temperature_daily WHERE container_id IN (${inList}) AND voided = 0 ORDER BY container_id, date, id`).all(...cids) as Row[]);
  } else {
    lists.temperature_readings = [];
    lists.temperature_daily = [];
  }

  const scenario = scenarioFor(db, batch, site, stageList, lists.placements ?? [], assignments);
  const doc: BatchDocument = {
    format: 'aquamind-site/batch@1',
    as_of: opts.asOf,
    site: { id: site.id as string, name: site.name as string, timezone: site.timezone as string, ...(site.weight_cv != null ? { weight_cv: site.weight_cv as number } : {}) },
    batch: { id: batch.id as string, name: batch.name as string, species: batch.species as string, start_date: batch.start_date as string },
    ...(stages ? { stages } : {}),
    scenario,
    containers,
    assignments: assignments.map((a) => ({ id: a.id as string, container_id: a.container_id as string, ...(a.stage != null ? { stage: a.stage as string } : {}) })),
    ...(lists as unknown as Partial<BatchDocument>),
  };
  return doc;
}

/** The pinned scenario, or a baseline from the site defaults; blanks filled from the batch. */
function scenarioFor(db: Database.Database, batch: Row, site: Row, stages: StageDoc[], placements: Row[], assignments: Row[]): ScenarioDoc {
  const pinned = batch.scenario_id ? db.prepare('SELECT * FROM scenarios WHERE id = ?').get(batch.scenario_id) as Row | undefined : undefined;
  const startDate = batch.start_date as string;
  // start stock: the placements of the earliest placement day
  let startCount = 0, weighted = 0, weightN = 0;
  const firstDay = placements.map((p) => p.date as string).sort()[0];
  let firstAssignment: string | undefined;
  for (const p of placements) {
    if (p.date !== firstDay) continue;
    firstAssignment ??= p.assignment_id as string;
    startCount += p.count as number;
    if (typeof p.avg_weight_g === 'number') { weighted += (p.count as number) * p.avg_weight_g; weightN += p.count as number; }
  }
  const firstStage = (assignments.find((a) => a.id === firstAssignment)?.stage as string | null | undefined) ?? stages[0]!.name;
  const stageMin = stages.find((s) => s.name === firstStage)?.min_weight_g ?? 0.1;
  const defaults = {
    start_count: startCount > 0 ? startCount : 1,
    start_weight_g: weightN > 0 ? weighted / weightN : Math.max(stageMin, 0.01),
    start_stage: firstStage,
  };
  const fillTgc = (m: Record<string, number>) => {
    const out = { ...m };
    for (const s of stages) if (s.feeds && out[s.name] === undefined) out[s.name] = s.baseline_tgc ?? 2.5;
    return out;
  };
  if (pinned) {
    const sc: ScenarioDoc = {
      id: pinned.id as string, name: pinned.name as string,
      start_date: (pinned.start_date as string | null) ?? startDate,
      start_count: (pinned.start_count as number | null) ?? defaults.start_count,
      start_weight_g: (pinned.start_weight_g as number | null) ?? defaults.start_weight_g,
      start_stage: (pinned.start_stage as string | null) ?? defaults.start_stage,
      duration_days: pinned.duration_days as number, harvest_weight_g: pinned.harvest_weight_g as number,
      tgc_by_stage: json(pinned.tgc_by_stage, {}),
      temperature_profile: json(pinned.temperature_profile, {}),
    };
    if (pinned.mortality_rate_by_stage != null) sc.mortality_rate_by_stage = json(pinned.mortality_rate_by_stage, {});
    if (pinned.fcr_by_stage != null) sc.fcr_by_stage = json(pinned.fcr_by_stage, {});
    if (pinned.fcr_bands != null) sc.fcr_bands = json(pinned.fcr_bands, []);
    return sc;
  }
  return {
    id: `baseline:${batch.id as string}`, name: 'Baseline (site defaults)', start_date: startDate,
    ...defaults,
    duration_days: site.default_duration_days as number, harvest_weight_g: site.default_harvest_weight_g as number,
    tgc_by_stage: fillTgc(json(site.default_tgc_by_stage, {})),
    mortality_rate_by_stage: json(site.default_mortality_rate_by_stage, {}),
    fcr_by_stage: json(site.default_fcr_by_stage, {}),
    fcr_bands: json(site.default_fcr_bands, []),
    temperature_profile: json(site.default_temperature_profile, {}),
  };
}
