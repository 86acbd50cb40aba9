/**
 * A laptop's site database holding a backlog of real app events for the sync benchmarks: demo
 * batches from the engine's seeded generator, written the way the app writes them (EventAppender +
 * Projector, one event per record), day by day across the batches as a site records them:
 * placements, transfers, mortality, feed, growth samples, weighings, stage changes, one
 * temperature_log per container and day (the logger's half-hourly readings), and now and then a
 * correction or a void of an earlier record. Nothing is pushed yet.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase, type Connection } from '../backend/db/connection';
import { EventAppender, ensureDevice, type StoredEvent } from '../backend/events/append';
import { createUuidV7 } from '../backend/events/uuidv7';
import { MEASUREMENTS, STAGE_TABLE, TEMPERATURE_LOG } from '../backend/kinds';
import { Projector } from '../backend/projection';
import { recordPayload } from '../backend/import-doc';
import { emptySite } from '../backend/site-init';
import { addDaysIso } from '../backend/time';
import { DEMO_STAGES, generateDemoBatch } from '../engine/demo/index';
import { FCR_BANDS, FCR_BY_STAGE, MORTALITY_BY_STAGE, TGC_BY_STAGE } from '../engine/demo/simulate';
import { seaProfilePoints } from '../engine/demo/temperature';
import { mulberry32 } from '../test/support/rng';

export interface SiteEvent { entityType: string; entityId: string; kind: 'recorded' | 'corrected' | 'voided'; occurredAt: string; payload: Record<string, unknown>; base?: string[] }

/** Lengths of the generated year-classes (days since start, ending today), cycled. */
const BATCH_DAYS = [560, 230, 700, 95, 400, 860, 300, 640];

/**
 * The events of a site with enough demo batches for `total` events (setup first, then the
 * measurements in date order across batches, cut at `total`). `today` is the last day of every batch.
 */
export function siteEvents(siteId: string, total: number, today: string, seed = 1): SiteEvent[] {
  const { id: _id, ...site } = emptySite({
    id: siteId, name: 'Bench site', timezone: 'UTC', default_tgc_by_stage: TGC_BY_STAGE, default_mortality_rate_by_stage: MORTALITY_BY_STAGE,
    default_fcr_by_stage: FCR_BY_STAGE, default_fcr_bands: FCR_BANDS, default_temperature_profile: { points: seaProfilePoints(), freshwater_c: 12 },
  });
  const setup: SiteEvent[] = [
    { entityType: 'site', entityId: siteId, kind: 'recorded', occurredAt: today, payload: site },
    { entityType: STAGE_TABLE, entityId: siteId, kind: 'recorded', occurredAt: today, payload: { stages: DEMO_STAGES } },
  ];
  const daily: (SiteEvent & { order: number })[] = [];
  let order = 0;
  for (let b = 0; setup.length + daily.length < total * 1.02; b++) {
    const days = BATCH_DAYS[b % BATCH_DAYS.length]!;
    const doc = generateDemoBatch({ seed: seed * 100 + b, days, startDate: addDaysIso(today, -(days - 1)) });
    const px = `B${String(b + 1).padStart(2, '0')}-`;
    const P = (id: string | null | undefined) => (id == null ? id : `${px}${id}`);
    const batchId = P(doc.batch.id)!;
    for (const c of doc.containers) setup.push({ entityType: 'container', entityId: P(c.id)!, kind: 'recorded', occurredAt: doc.batch.start_date, payload: { site_id: siteId, name: `${px}${c.name ?? c.id}`, kind: c.kind ?? null, environment: c.environment } });
    const sc = doc.scenario;
    setup.push({ entityType: 'scenario', entityId: P(sc.id)!, kind: 'recorded', occurredAt: doc.batch.start_date, payload: {
      site_id: siteId, name: `${px}${sc.name ?? sc.id}`, start_date: sc.start_date, start_count: sc.start_count, start_weight_g: sc.start_weight_g,
      start_stage: sc.start_stage, duration_days: sc.duration_days, harvest_weight_g: sc.harvest_weight_g, tgc_by_stage: sc.tgc_by_stage,
      mortality_rate_by_stage: sc.mortality_rate_by_stage ?? null, fcr_by_stage: sc.fcr_by_stage ?? null, fcr_bands: sc.fcr_bands ?? null,
      temperature_profile: sc.temperature_profile,
    } });
    setup.push({ entityType: 'batch', entityId: batchId, kind: 'recorded', occurredAt: doc.batch.start_date, payload: {
      site_id: siteId, name: `Year-class ${b + 1}`, species: doc.batch.species ?? 'Atlantic salmon', start_date: doc.batch.start_date, scenario_id: P(sc.id),
    } });
    for (const a of doc.assignments) setup.push({ entityType: 'assignment', entityId: P(a.id)!, kind: 'recorded', occurredAt: doc.batch.start_date, payload: { batch_id: batchId, container_id: P(a.container_id), stage: a.stage ?? null } });
    for (const k of MEASUREMENTS) {
      const list = (doc[k.docList] ?? []) as unknown as Record<string, unknown>[];
      if (k.entity === 'temperature_reading') {
        // the logger's readings of one container and day travel as one temperature_log event
        const byKey = new Map<string, { timestamp: string; value: number }[]>();
        for (const r of list) {
          const key = `${P(r.container_id as string)}|${(r.timestamp as string).slice(0, 10)}`;
          let l = byKey.get(key);
          if (!l) { l = []; byKey.set(key, l); }
          l.push({ timestamp: r.timestamp as string, value: r.value as number });
        }
        for (const [key, readings] of byKey) {
          const [cid, date] = key.split('|') as [string, string];
          daily.push({ entityType: TEMPERATURE_LOG, entityId: '', kind: 'recorded', occurredAt: date, payload: { container_id: cid, readings, source: 'logger' }, order: order++ });
        }
        continue;
      }
      list.forEach((r, i) => {
        const id = k.docHasId ? P(r.id as string)! : `${px}${k.entity}-${i}`;
        daily.push({ entityType: k.entity, entityId: id, kind: 'recorded', occurredAt: (r.date as string | undefined) ?? today, payload: recordPayload(k, r, batchId, P), order: order++ });
      });
    }
  }
  daily.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : a.order - b.order));
  // now and then a correction or a void of a recent mortality or feed record (the editor saw its head)
  const r = mulberry32(seed);
  // temperature logs get a UUIDv7 as the app mints them (csv-import, import-doc), in writing order
  const uuid = createUuidV7(() => Date.parse(`${today}T00:00:00Z`));
  for (const e of daily) if (e.entityType === TEMPERATURE_LOG) e.entityId = uuid();
  const out: SiteEvent[] = [...setup];
  const recent: SiteEvent[] = [];
  for (const e of daily) {
    if (out.length >= total) break;
    const { order: _o, ...ev } = e;
    out.push(ev);
    if (ev.entityType === 'mortality' || ev.entityType === 'feed') { recent.push(ev); if (recent.length > 200) recent.shift(); }
    const x = r();
    if (recent.length > 50 && x < 0.02 && out.length < total) {
      const t = recent[Math.floor(r() * recent.length)]!;
      const patch = t.entityType === 'mortality' ? { count: (t.payload.count as number) + 1 } : { kg: Math.round((t.payload.kg as number) * 1.05 * 100) / 100 };
      out.push({ entityType: t.entityType, entityId: t.entityId, kind: 'corrected', occurredAt: ev.occurredAt, payload: { patch, reason: 'recount' } });
    } else if (recent.length > 50 && x < 0.023 && out.length < total) {
      const t = recent.splice(Math.floor(r() * recent.length), 1)[0]!;
      out.push({ entityType: t.entityType, entityId: t.entityId, kind: 'voided', occurredAt: ev.occurredAt, payload: { reason: 'entered twice' } });
    }
  }
  return out;
}

/** A fresh laptop database (app schema, its own device id). */
export function openLaptop(path: string, now = () => new Date()): Connection {
  const conn = openDatabase(path);
  ensureDevice(conn.sqlite, randomUUID(), now());
  return conn;
}

/** Writes the events on the laptop, each appended and projected as the app does, in transactions of 5,000. */
export function writeEvents(conn: Connection, siteId: string, events: SiteEvent[], actor = 'bench'): void {
  const db = conn.sqlite;
  const appender = new EventAppender(db, createUuidV7(), () => Date.now());
  const projector = new Projector(db);
  const heads = new Map<string, string>();
  for (let i = 0; i < events.length; i += 5000) {
    db.transaction(() => {
      for (const e of events.slice(i, i + 5000)) {
        const key = `${e.entityType}\u0000${e.entityId}`;
        const base = e.base ?? (e.kind === 'recorded' ? [] : [heads.get(key)!]);
        const s: StoredEvent = appender.append({ entityType: e.entityType, entityId: e.entityId, kind: e.kind, occurredAt: e.occurredAt, siteId, actor, payload: e.payload, baseEventIds: base });
        projector.apply(s);
        heads.set(key, s.event_id);
      }
    }).immediate();
  }
}
