/**
 * Temperature logs as stored by migration 0007 (backend/temperature-logs.ts): a seeded randomized
 * mix of single readings and logs, voids and restores, sync-style removals and rebuilds, and site
 * time-zone changes, checking after every operation that the per container-day sums equal those
 * computed from scratch; and the migration of logs stored as rows (schema 6) to schema 7.
 * Logs one of whose readings was edited on its own at schema 6 stay as rows (the tests at the end).
 */
import { describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import type Database from 'better-sqlite3';
import { ReadingAggregator } from '../../engine/index';
import { loadMigrations, migrate } from '../../backend/db/migrate';
import { verifyBatch } from '../../backend/recompute/verify';
import { TEMPERATURE_LOG } from '../../backend/kinds';
import { Projector } from '../../backend/projection';
import { readingId } from '../../backend/temperature-logs';
import { EventAppender, type StoredEvent } from '../../backend/events/append';
import { createUuidV7 } from '../../backend/events/uuidv7';
import { EventApplier } from '../../sync/apply';
import type { Backend } from '../../backend/core';
import { FIXED_NOW, must, openBackend, seedSmallSite, tempDb } from './helpers';
import { mulberry32 } from '../support/rng';

// ---------------------------------------------------------------------------------------------
// helpers


const kept = (v: number) => v >= -3 && v <= 40;
type Sums = Record<string, { sum: number; n: number; lone: number | null }>;
interface Reading { timestamp: string; value: number }
interface SingleM { container: string; ts: string; value: number; voided: boolean }
interface LogM { container: string; readings: Reading[]; voided: boolean; present: boolean; replayable: boolean }

/** What the test believes is recorded (independent of the database). */
class Model {
  tz = 'UTC';
  singles = new Map<string, SingleM>();
  logs = new Map<string, LogM>();
}

/** One projector only for its `readingDate` (the engine's site-local date of a timestamp). */
function dater(db: Database.Database): (tz: string, ts: string) => string {
  const p = new Projector(db);
  return (tz, ts) => p.readingDate(tz, ts);
}

function addTo(out: Sums, key: string, value: number): void {
  const x = (out[key] ??= { sum: 0, n: 0, lone: null });
  x.sum += ReadingAggregator.fixed(value);
  x.n++;
  x.lone = x.n === 1 ? value : null;
}

/** The day sums from the model: every non-voided kept reading, single or of a non-voided log. */
function modelSums(m: Model, date: (tz: string, ts: string) => string): Sums {
  const out: Sums = {};
  for (const s of m.singles.values()) if (!s.voided && kept(s.value)) addTo(out, `${s.container} ${date(m.tz, s.ts)}`, s.value);
  for (const l of m.logs.values()) {
    if (!l.present || l.voided) continue;
    for (const r of l.readings) if (kept(r.value)) addTo(out, `${l.container} ${date(m.tz, r.timestamp)}`, r.value);
  }
  return out;
}

/**
 * The day sums from scratch out of the database: rows of temperature_readings plus the kept
 * readings of non-voided logs read from their recorded event's payload, dated in the site's zone.
 */
function dbScratchSums(db: Database.Database, date: (tz: string, ts: string) => string): Sums {
  const out: Sums = {};
  const tz = (db.prepare('SELECT timezone FROM site').get() as { timezone: string }).timezone;
  for (const r of db.prepare('SELECT container_id, date, value FROM temperature_readings WHERE voided = 0').all() as { container_id: string; date: string; value: number }[])
    if (kept(r.value)) addTo(out, `${r.container_id} ${r.date}`, r.value);
  const logs = db.prepare(`SELECT l.container_id, e.payload FROM temperature_logs l JOIN events e ON e.event_id = l.recorded_by_event WHERE l.voided = 0 AND l.as_rows = 0`).all() as { container_id: string; payload: string }[];
  for (const l of logs) for (const r of (JSON.parse(l.payload) as { readings: Reading[] }).readings) if (kept(r.value)) addTo(out, `${l.container_id} ${date(tz, r.timestamp)}`, r.value);
  return out;
}

/** temperature_reading_days as stored, `lone` as is (it must be null when n > 1). */
function storedSums(db: Database.Database): Sums {
  return Object.fromEntries((db.prepare('SELECT container_id, date, sum, n, lone FROM temperature_reading_days').all() as { container_id: string; date: string; sum: number; n: number; lone: number | null }[])
    .map((r) => [`${r.container_id} ${r.date}`, { sum: r.sum, n: r.n, lone: r.lone }]));
}

/** A log's own day sums (all its kept readings, voided or not). */
function logDaysOf(l: LogM, tz: string, date: (tz: string, ts: string) => string): Record<string, { sum: number; n: number; lone: number | null }> {
  const out: Sums = {};
  for (const r of l.readings) if (kept(r.value)) addTo(out, date(tz, r.timestamp), r.value);
  return out;
}

/** The small site with recomputes on request, its date function and an empty model. */
async function modelSite(): Promise<{ be: Backend; db: Database.Database; date: (tz: string, ts: string) => string; m: Model }> {
  const be = await openBackend(undefined, { recompute: 'manual' });
  await seedSmallSite(be);
  const db = be.ctx.db;
  return { be, db, date: dater(db), m: new Model() };
}

/** Every projection the model implies, compared with the database. */
function checkAll(db: Database.Database, m: Model, date: (tz: string, ts: string) => string, label: () => string): void {
  const want = modelSums(m, date);
  expect(storedSums(db), label()).toEqual(want);
  expect(dbScratchSums(db, date), label()).toEqual(want);
  // single readings: their rows, dated in the current zone
  const singles = Object.fromEntries((db.prepare('SELECT id, container_id, timestamp, date, value, voided FROM temperature_readings WHERE bulk = 0').all() as Record<string, unknown>[]).map((r) => [r.id, r]));
  expect(singles, label()).toEqual(Object.fromEntries([...m.singles].map(([id, s]) => [id, { id, container_id: s.container, timestamp: s.ts, date: date(m.tz, s.ts), value: s.value, voided: s.voided ? 1 : 0 }])));
  // logs: one row each; only the readings the engine drops stay rows
  const logs = Object.fromEntries((db.prepare('SELECT id, container_id, voided FROM temperature_logs').all() as Record<string, unknown>[]).map((r) => [r.id, r]));
  const present = [...m.logs].filter(([, l]) => l.present);
  expect(logs, label()).toEqual(Object.fromEntries(present.map(([id, l]) => [id, { id, container_id: l.container, voided: l.voided ? 1 : 0 }])));
  const dropped = Object.fromEntries((db.prepare('SELECT id, container_id, timestamp, date, value, voided FROM temperature_readings WHERE bulk = 1').all() as Record<string, unknown>[]).map((r) => [r.id, r]));
  const wantDropped: Record<string, unknown> = {};
  for (const [id, l] of present) l.readings.forEach((r, i) => {
    if (!kept(r.value)) wantDropped[readingId(id, i)] = { id: readingId(id, i), container_id: l.container, timestamp: r.timestamp, date: date(m.tz, r.timestamp), value: r.value, voided: l.voided ? 1 : 0 };
  });
  expect(dropped, label()).toEqual(wantDropped);
  const days: Record<string, unknown> = {};
  for (const r of db.prepare('SELECT log_id, date, container_id, sum, n, lone FROM temperature_log_days').all() as { log_id: string; date: string; container_id: string; sum: number; n: number; lone: number | null }[])
    days[`${r.log_id} ${r.date}`] = { container: r.container_id, sum: r.sum, n: r.n, lone: r.lone };
  const wantDays: Record<string, unknown> = {};
  for (const [id, l] of present) for (const [d, x] of Object.entries(logDaysOf(l, m.tz, date))) wantDays[`${id} ${d}`] = { container: l.container, ...x };
  expect(days, label()).toEqual(wantDays);
}

// ---------------------------------------------------------------------------------------------
// the randomized test

const ZONES = ['UTC', 'Pacific/Auckland', 'America/St_Johns'];
const CONTAINERS = ['P1', 'P2'];
const AWKWARD = [7.123456789012, -0.5000000001, 12.3, 8.000000000499999, 6.25, -2.75, -3, 40, 0, 0.1, 39.999999999, 14.000000000500001];
const OUT = [45, -5, 40.0000001, -3.0000001, 41, -10];

interface Run { ops: number; loneDays: number; sharedDays: number; logOps: number; removals: number; rebuilds: number; tzChanges: number }

async function randomRun(seed: number, nOps: number, dates: string[]): Promise<Run> {
  const rng = mulberry32(seed);
  const int = (n: number) => Math.floor(rng() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)]!;
  const { be, db, date, m } = await modelSite();
  const log: string[] = [];
  const label = () => `seed ${seed}, after:\n${log.slice(-12).join('\n')}`;
  const stats: Run = { ops: 0, loneDays: 0, sharedDays: 0, logOps: 0, removals: 0, rebuilds: 0, tzChanges: 0 };
  let nextR = 0, nextL = 0;

  const ts = (): string => {
    const d = pick(dates);
    // hours near the ends of the day: a zone change moves them to another local date
    const h = pick([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
    const mi = pick(['00', '15', '30', '59']);
    const hh = String(h).padStart(2, '0');
    const f = rng();
    if (f < 0.82) return `${d}T${hh}:${mi}:00Z`;
    if (f < 0.88) return `${d}T${hh}:${mi}:00.5Z`;
    if (f < 0.94) return `${d}T${hh}:${mi}:00${pick(['+13:00', '-03:30', '+01:00'])}`;
    return `${d}T${hh}:${mi}:00`; // no zone: its own local date
  };
  const inValue = (): number => (rng() < 0.35 ? pick(AWKWARD) : Math.round((-3 + rng() * 43) * 1e6) / 1e6 + int(1000) * 1e-12);
  const value = (pOut: number): number => (rng() < pOut ? pick(OUT) : inValue());
  const write = (entityType: string, entityId: string, kind: 'recorded' | 'corrected' | 'voided' | 'restored', payload: Record<string, unknown>) =>
    be.ctx.write([{ entityType, entityId, kind, payload }]);

  for (let step = 0; step < nOps; step++) {
    const singles = [...m.singles.keys()];
    const logIds = [...m.logs.keys()];
    const r = rng();
    if (r < 0.16 || singles.length === 0) {
      const id = `R${nextR++}`, c = pick(CONTAINERS), t = ts(), v = value(0.12);
      if (kept(v)) must(await be.call('temperature.record', { id, container_id: c, timestamp: t, value: v }));
      else write('temperature_reading', id, 'recorded', { container_id: c, timestamp: t, value: v }); // out of range: only an event can bring it
      m.singles.set(id, { container: c, ts: t, value: v, voided: false });
      log.push(`record single ${id} ${c} ${t} ${v}`);
    } else if (r < 0.30) {
      const id = pick(singles), s = m.singles.get(id)!;
      const patch: { value?: number; timestamp?: string; container_id?: string } = {};
      const w = int(3);
      if (w !== 1) patch.value = value(0.2);
      if (w !== 0) patch.timestamp = ts();
      if (rng() < 0.15) patch.container_id = s.container === 'P1' ? 'P2' : 'P1'; // to the other pen
      const merged = { ...s, ...(patch.value !== undefined ? { value: patch.value } : {}), ...(patch.timestamp ? { ts: patch.timestamp } : {}), ...(patch.container_id ? { container: patch.container_id } : {}) };
      if (!s.voided && kept(merged.value)) must(await be.call('temperature.correct', { id, patch, reason: 'fix' }));
      else write('temperature_reading', id, 'corrected', { patch, reason: 'fix' });
      m.singles.set(id, merged);
      log.push(`correct single ${id} ${JSON.stringify(patch)}${s.voided ? ' (voided)' : ''}`);
    } else if (r < 0.40) {
      const id = pick(singles), s = m.singles.get(id)!;
      if (!s.voided) must(await be.call('temperature.void', { id, reason: 'r' }));
      else write('temperature_reading', id, 'voided', { reason: 'again' });
      s.voided = true;
      log.push(`void single ${id}`);
    } else if (r < 0.47) {
      const id = pick(singles), s = m.singles.get(id)!;
      if (s.voided) must(await be.call('temperature.restore', { id, reason: 'r' }));
      else write('temperature_reading', id, 'restored', { reason: 'again' });
      s.voided = false;
      log.push(`restore single ${id}`);
    } else if (r < 0.50) {
      const id = pick(singles);
      db.transaction(() => new EventApplier(db).rebuild('temperature_reading', id))();
      stats.rebuilds++;
      log.push(`rebuild single ${id}`);
    } else if (r < 0.64 || logIds.length === 0) {
      const id = `L${nextL++}`, c = pick(CONTAINERS);
      const readings = Array.from({ length: 1 + int(6) }, () => ({ timestamp: ts(), value: value(0.2) }));
      write(TEMPERATURE_LOG, id, 'recorded', { container_id: c, readings });
      m.logs.set(id, { container: c, readings, voided: false, present: true, replayable: true });
      stats.logOps++;
      log.push(`record log ${id} ${c} ${JSON.stringify(readings)}`);
    } else if (r < 0.75) {
      const id = pick(logIds), l = m.logs.get(id)!;
      const times = rng() < 0.3 ? 2 : 1; // also twice in a row
      for (let k = 0; k < times; k++) write(TEMPERATURE_LOG, id, 'voided', { reason: 'wrong logger' });
      if (l.present) l.voided = true;
      stats.logOps++;
      log.push(`void log ${id}${times === 2 ? ' twice' : ''}${l.present ? '' : ' (removed)'}`);
    } else if (r < 0.84) {
      const id = pick(logIds), l = m.logs.get(id)!;
      write(TEMPERATURE_LOG, id, 'restored', { reason: 'right logger' });
      if (l.present) l.voided = false;
      stats.logOps++;
      log.push(`restore log ${id}${l.present ? '' : ' (removed)'}`);
    } else if (r < 0.89) {
      // a sync-style removal (what EventApplier.clear does before replaying a log's history)
      const id = pick(logIds), l = m.logs.get(id)!;
      db.transaction(() => new Projector(db).removeLog(id))();
      l.present = false;
      l.replayable = false; // its history no longer tells what the test did to it
      stats.removals++;
      log.push(`remove log ${id}`);
    } else if (r < 0.93) {
      const removed = logIds.filter((id) => !m.logs.get(id)!.present);
      if (removed.length === 0) continue;
      const id = pick(removed), l = m.logs.get(id)!;
      const readings = rng() < 0.6 ? l.readings : Array.from({ length: 1 + int(6) }, () => ({ timestamp: ts(), value: value(0.2) }));
      write(TEMPERATURE_LOG, id, 'recorded', { container_id: l.container, readings });
      Object.assign(l, { readings, voided: false, present: true });
      stats.logOps++;
      log.push(`re-record log ${id} ${JSON.stringify(readings)}`);
    } else if (r < 0.97) {
      const ok = logIds.filter((id) => m.logs.get(id)!.replayable);
      if (ok.length === 0) continue;
      const id = pick(ok);
      db.transaction(() => new EventApplier(db).rebuild(TEMPERATURE_LOG, id))(); // remove, then replay its events
      stats.rebuilds++;
      log.push(`rebuild log ${id}`);
    } else {
      const tz = pick(ZONES.filter((z) => z !== m.tz));
      must(await be.call('site.update', { patch: { timezone: tz } }));
      m.tz = tz;
      stats.tzChanges++;
      log.push(`time zone ${tz}`);
    }
    stats.ops++;
    checkAll(db, m, date, label);
    for (const x of Object.values(storedSums(db))) { if (x.n === 1) stats.loneDays++; else stats.sharedDays++; }
    if (step % 40 === 39) {
      // now and then: an incremental recompute (from the dirty marks, on the day sums) equals a full assimilate
      must(await be.call('recompute.run', {}));
      expect(verifyBatch(db, 'B1'), label()).toEqual([]);
    }
  }
  must(await be.call('recompute.run', {}));
  expect(verifyBatch(db, 'B1'), `incremental, ${label()}`).toEqual([]);
  must(await be.call('recompute.run', { full: true }));
  expect(verifyBatch(db, 'B1'), `full, ${label()}`).toEqual([]);
  await be.close();
  return stats;
}

describe('temperature logs (migration 0007): day sums under a random mix of edits', () => {
  const runs: [number, number, string[]][] = [
    [1, 260, ['2025-03-08', '2025-03-09', '2025-03-10']], // few dates: days collide
    [2, 260, ['2025-04-04', '2025-04-05', '2025-04-06', '2025-04-07', '2025-04-08', '2025-04-09']],
    [3, 220, ['2025-02-01', '2025-02-03', '2025-02-05', '2025-02-07', '2025-02-09', '2025-02-11', '2025-02-13', '2025-02-15', '2025-02-17', '2025-02-19']], // many: lone days
    [4, 220, ['2025-03-29', '2025-03-30', '2025-03-31', '2025-04-01']],
  ];
  it('a day keeps the right lone value when a log leaves it (removal, void, time zone change)', async () => {
    const { be, db, date, m } = await modelSite();
    const steps: string[] = [];
    const label = () => steps.join(' → ');
    const rec = (id: string, readings: Reading[]) => {
      be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: id, kind: 'recorded', payload: { container_id: 'P1', readings } }]);
      m.logs.set(id, { container: 'P1', readings, voided: false, present: true, replayable: true });
      steps.push(`record ${id}`); checkAll(db, m, date, label);
    };
    // A and B hold one reading each of P1's 2025-05-10 (n = 2); C two of 05-11 and D one; D's 05-12 alone
    rec('A', [{ timestamp: '2025-05-10T12:00:00Z', value: 5.111111111 }, { timestamp: '2025-05-11T12:00:00Z', value: 45 }]);
    rec('B', [{ timestamp: '2025-05-10T13:00:00Z', value: 6.222222222 }]);
    rec('C', [{ timestamp: '2025-05-11T10:00:00Z', value: 7.333333333 }, { timestamp: '2025-05-11T23:30:00Z', value: 8.444444444 }]);
    rec('D', [{ timestamp: '2025-05-11T11:00:00Z', value: 9.555555555 }, { timestamp: '2025-05-12T11:00:00Z', value: 10.666666666 }]);
    db.transaction(() => new Projector(db).removeLog('A'))(); // 05-10 is left with B's reading
    m.logs.get('A')!.present = false; steps.push('remove A'); checkAll(db, m, date, label);
    expect(storedSums(db)['P1 2025-05-10']!.lone).toBe(6.222222222);
    be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'C', kind: 'voided', payload: { reason: 'r' } }]); // 05-11 is left with D's
    m.logs.get('C')!.voided = true; steps.push('void C'); checkAll(db, m, date, label);
    must(await be.call('temperature.record', { id: 'S1', container_id: 'P1', timestamp: '2025-05-12T12:00:00Z', value: 11.777777777 }));
    m.singles.set('S1', { container: 'P1', ts: '2025-05-12T12:00:00Z', value: 11.777777777, voided: false }); steps.push('record S1'); checkAll(db, m, date, label);
    must(await be.call('temperature.void', { id: 'S1', reason: 'r' })); // 05-12 is left with D's
    m.singles.get('S1')!.voided = true; steps.push('void S1'); checkAll(db, m, date, label);
    expect(storedSums(db)['P1 2025-05-12']!.lone).toBe(10.666666666);
    for (const tz of ['Pacific/Auckland', 'America/St_Johns', 'UTC']) {
      must(await be.call('site.update', { patch: { timezone: tz } }));
      m.tz = tz; steps.push(tz); checkAll(db, m, date, label);
    }
    db.transaction(() => new EventApplier(db).rebuild(TEMPERATURE_LOG, 'D'))();
    steps.push('rebuild D'); checkAll(db, m, date, label);
    must(await be.call('recompute.run', { full: true }));
    expect(verifyBatch(db, 'B1')).toEqual([]);
    await be.close();
  });

  for (const [seed, n, dates] of runs) {
    it(`seed ${seed}: ${n} operations over ${dates.length} dates`, async () => {
      const s = await randomRun(seed, n, dates);
      // the mix did reach what it is meant to exercise
      expect(s.loneDays).toBeGreaterThan(50);
      expect(s.sharedDays).toBeGreaterThan(50);
      expect(s.logOps).toBeGreaterThan(30);
      expect(s.removals).toBeGreaterThan(3);
      expect(s.tzChanges).toBeGreaterThan(1);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// the migration of schema-6 logs

describe('migration 0007 of logs stored as rows (schema 6)', () => {
  it('moves logs to temperature_logs / temperature_log_days, keeps only dropped readings as rows, and the day sums', async () => {
    // a seeded site at the current schema, copied into a database migrated only up to 0006
    const seeded = tempDb();
    const be0 = await openBackend(seeded);
    await seedSmallSite(be0);
    must(await be0.call('site.update', { patch: { timezone: 'Pacific/Auckland' } }));
    await be0.close();
    const path = tempDb('v6.db');
    const raw = new BetterSqlite3(path);
    migrate(raw, loadMigrations().slice(0, 6));
    expect(raw.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: 6 });
    raw.pragma('foreign_keys = OFF');
    raw.prepare('ATTACH ? AS a').run(seeded);
    for (const { name } of raw.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'").all() as { name: string }[])
      raw.exec(`INSERT INTO main."${name}" SELECT * FROM a."${name}"`);
    raw.exec('DETACH a');
    raw.pragma('foreign_keys = ON');

    const tz = 'Pacific/Auckland';
    const date = dater(raw);
    const m = new Model();
    m.tz = tz;
    const siteId = (raw.prepare('SELECT id FROM site').get() as { id: string }).id;
    // events of an older session: ids before the backend's (same fixed clock, a day earlier)
    const appender = new EventAppender(raw, createUuidV7(() => FIXED_NOW.getTime() - 86_400_000), () => FIXED_NOW.getTime());
    const heads = new Map<string, string>();
    const append = (entityType: string, entityId: string, kind: 'recorded' | 'voided' | 'restored', payload: Record<string, unknown>) => {
      const ev = appender.append({ entityType, entityId, kind, occurredAt: FIXED_NOW.toISOString(), siteId, actor: 'old', payload, baseEventIds: heads.has(entityId) ? [heads.get(entityId)!] : [] });
      heads.set(entityId, ev.event_id);
      return ev.event_id;
    };
    const lastEvent = new Map<string, { recorded: string; last: string }>();

    // as schema 6 stored them: a single reading is a row (its trigger adds it); a log is rows `bulk`
    // whose day sums the projector added once per day; voiding updates the rows (the triggers follow)
    const single = (id: string, c: string, t: string, v: number, voided = false) => raw.transaction(() => {
      const e = append('temperature_reading', id, 'recorded', { container_id: c, timestamp: t, value: v });
      raw.prepare('INSERT INTO temperature_readings (id, container_id, timestamp, date, value, updated_by_event) VALUES (?, ?, ?, ?, ?, ?)').run(id, c, t, date(tz, t), v, e);
      if (voided) raw.prepare('UPDATE temperature_readings SET voided = 1, updated_by_event = ? WHERE id = ?').run(append('temperature_reading', id, 'voided', { reason: 'r' }), id);
      m.singles.set(id, { container: c, ts: t, value: v, voided });
    })();
    const log6 = (id: string, c: string, readings: Reading[], history: ('voided' | 'restored')[] = []) => raw.transaction(() => {
      const e = append(TEMPERATURE_LOG, id, 'recorded', { container_id: c, readings });
      const ins = raw.prepare('INSERT INTO temperature_readings (id, batch_id, container_id, timestamp, date, value, updated_by_event, bulk) VALUES (?, NULL, ?, ?, ?, ?, ?, 1)');
      readings.forEach((r, i) => ins.run(readingId(id, i), c, r.timestamp, date(tz, r.timestamp), r.value, e));
      const up = raw.prepare(`INSERT INTO temperature_reading_days (container_id, date, sum, n, lone) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (container_id, date) DO UPDATE SET sum = sum + excluded.sum, n = n + excluded.n, lone = NULL`);
      for (const [d, x] of Object.entries(logDaysOf({ container: c, readings, voided: false, present: true, replayable: true }, tz, date))) up.run(c, d, x.sum, x.n, x.n === 1 ? x.lone : null);
      let last = e;
      for (const k of history) {
        last = append(TEMPERATURE_LOG, id, k, { reason: k });
        raw.prepare('UPDATE temperature_readings SET voided = ?, updated_by_event = ? WHERE id >= ? AND id < ?').run(k === 'voided' ? 1 : 0, last, `${id}:`, `${id};`);
      }
      m.logs.set(id, { container: c, readings, voided: history.at(-1) === 'voided', present: true, replayable: true });
      lastEvent.set(id, { recorded: e, last });
    })();

    // Auckland is UTC+13 until 6 April 2025: 11:30Z on the 8th is the 9th there
    single('R1', 'P1', '2025-03-09T02:00:00Z', 7.25);                              // P1 03-09: R1 + LONE's one reading
    single('R2', 'P1', '2025-03-10T01:00:00Z', 9.123456789);
    single('R3', 'P2', '2025-03-09T03:00:00Z', 8.5);                               // P2 03-09: R3 + a voided log's one reading
    single('R4', 'P2', '2025-03-11T03:00:00Z', 11.11, true);
    single('R5', 'P1', '2025-03-12T03:00:00Z', 45);                                // dropped single reading
    log6('LONE', 'P1', [{ timestamp: '2025-03-08T12:00:00Z', value: 6.123456789012 }, { timestamp: '2025-03-10T02:00:00Z', value: 8.25 }, { timestamp: '2025-03-10T03:00:00Z', value: 8.5 }]);
    log6('VOIDED', 'P2', [{ timestamp: '2025-03-08T13:00:00Z', value: 10.987654321 }, { timestamp: '2025-03-10T04:00:00Z', value: 45 }], ['voided']);
    log6('BACK', 'P2', [{ timestamp: '2025-03-10T05:00:00Z', value: 12.000000000499999 }, { timestamp: '2025-03-10T06:00:00Z', value: -5 }, { timestamp: '2025-03-13T06:00:00Z', value: 3.3 }], ['voided', 'restored']);
    log6('DROPS', 'P1', [{ timestamp: '2025-03-10T07:00:00Z', value: 41 }, { timestamp: '2025-03-10T08:00:00Z', value: -3.0000001 }]); // nothing kept
    log6('MIXED', 'P1', [{ timestamp: '2025-03-09T11:30:00Z', value: 40 }, { timestamp: '2025-03-09T11:45:00Z', value: 40.5 }, { timestamp: '2025-03-11T11:30:00Z', value: -3 },
      { timestamp: '2025-03-11T12:30:00Z', value: 0 }, { timestamp: '2025-03-14T00:00:00Z', value: 17.5 }]);
    log6('TWICE', 'P2', [{ timestamp: '2025-03-14T01:00:00Z', value: 5.5 }], ['voided', 'restored', 'voided']);
    log6('ALONE', 'P2', [{ timestamp: '2025-03-15T01:00:00Z', value: 4.000000001 }]); // a day of its own, n = 1
    const v6 = storedSums(raw);
    expect(v6).toEqual(modelSums(m, date)); // the schema-6 emulation is consistent
    expect((raw.prepare('SELECT COUNT(*) AS n FROM temperature_readings WHERE bulk = 1').get() as { n: number }).n).toBe(17);
    raw.close();

    // the app opens it: migration 0007 runs
    const be = await openBackend(path, { recompute: 'manual' });
    const db = be.ctx.db;
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: loadMigrations().length });
    const steps: string[] = ['migrated'];
    const label = () => steps.join(' → ');
    checkAll(db, m, date, label);
    expect(storedSums(db)).toEqual(v6);
    expect(db.prepare('SELECT id, recorded_by_event, updated_by_event FROM temperature_logs ORDER BY id').all())
      .toEqual([...lastEvent].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, e]) => ({ id, recorded_by_event: e.recorded, updated_by_event: e.last })));
    expect((db.prepare('SELECT id FROM temperature_readings WHERE bulk = 1 ORDER BY id').all() as { id: string }[]).map((r) => r.id))
      .toEqual(['BACK:000001', 'DROPS:000000', 'DROPS:000001', 'MIXED:000001', 'VOIDED:000001']);

    // the migrated logs behave as logs recorded at schema 7
    const step = async (what: string, f: () => unknown) => { await f(); steps.push(what); checkAll(db, m, date, label); };
    await step('void R1 (P1 03-09 keeps LONE\'s one reading: lone from a log day)', async () => { must(await be.call('temperature.void', { id: 'R1', reason: 'r' })); m.singles.get('R1')!.voided = true; });
    await step('void R3 (P2 03-09 keeps nothing of the voided log)', async () => { must(await be.call('temperature.void', { id: 'R3', reason: 'r' })); m.singles.get('R3')!.voided = true; });
    await step('correct R2 onto LONE\'s day of one', async () => { must(await be.call('temperature.correct', { id: 'R2', patch: { timestamp: '2025-03-08T13:00:00Z' }, reason: 'r' })); m.singles.get('R2')!.ts = '2025-03-08T13:00:00Z'; });
    await step('void LONE', () => { be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'LONE', kind: 'voided', payload: { reason: 'r' } }]); m.logs.get('LONE')!.voided = true; });
    await step('restore VOIDED', () => { be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'VOIDED', kind: 'restored', payload: { reason: 'r' } }]); m.logs.get('VOIDED')!.voided = false; });
    await step('void TWICE again', () => { be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'TWICE', kind: 'voided', payload: { reason: 'r' } }]); });
    await step('rebuild BACK and TWICE from their events', () => db.transaction(() => { const a = new EventApplier(db); a.rebuild(TEMPERATURE_LOG, 'BACK'); a.rebuild(TEMPERATURE_LOG, 'TWICE'); })());
    await step('time zone UTC', async () => { must(await be.call('site.update', { patch: { timezone: 'UTC' } })); m.tz = 'UTC'; });
    await step('time zone America/St_Johns', async () => { must(await be.call('site.update', { patch: { timezone: 'America/St_Johns' } })); m.tz = 'America/St_Johns'; });
    await step('remove MIXED', () => { db.transaction(() => new Projector(db).removeLog('MIXED'))(); m.logs.get('MIXED')!.present = false; });
    await step('re-record MIXED', () => {
      const l = m.logs.get('MIXED')!;
      be.ctx.write([{ entityType: TEMPERATURE_LOG, entityId: 'MIXED', kind: 'recorded', payload: { container_id: 'P1', readings: l.readings } }]);
      Object.assign(l, { present: true, voided: false });
    });
    must(await be.call('recompute.run', { full: true }));
    expect(verifyBatch(db, 'B1')).toEqual([]);
    await be.close();
  });

  it('a raw schema-6 database (no backend): logs move over, the day sums stay', () => {
    const raw = new BetterSqlite3(':memory:');
    migrate(raw, loadMigrations().slice(0, 6));
    raw.exec(`INSERT INTO site (id, name, timezone) VALUES ('S', 'S', 'America/St_Johns');
      INSERT INTO containers (id, site_id, name, environment) VALUES ('C1', 'S', 'C1', 'sea'), ('C2', 'S', 'C2', 'sea');
      INSERT INTO device (id, device_id, next_seq, hlc_physical, hlc_counter, created_at) VALUES (1, 'D', 1, 0, 0, '2025-01-01T00:00:00Z')`);
    const date = dater(raw);
    const m = new Model();
    m.tz = 'America/St_Johns';
    const rng = mulberry32(99);
    const appender = new EventAppender(raw, createUuidV7(() => FIXED_NOW.getTime()), () => FIXED_NOW.getTime());
    const ins = raw.prepare('INSERT INTO temperature_readings (id, batch_id, container_id, timestamp, date, value, updated_by_event, bulk) VALUES (?, NULL, ?, ?, ?, ?, ?, ?)');
    const up = raw.prepare(`INSERT INTO temperature_reading_days (container_id, date, sum, n, lone) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (container_id, date) DO UPDATE SET sum = sum + excluded.sum, n = n + excluded.n, lone = NULL`);
    const ts = () => `2025-03-${String(8 + Math.floor(rng() * 4)).padStart(2, '0')}T${String(Math.floor(rng() * 24)).padStart(2, '0')}:30:00Z`;
    const val = () => (rng() < 0.2 ? [45, -4, 40.01][Math.floor(rng() * 3)]! : Math.round(rng() * 30e9) / 1e9);
    raw.transaction(() => {
      for (let k = 0; k < 40; k++) {
        const c = rng() < 0.5 ? 'C1' : 'C2';
        if (rng() < 0.4) {
          const id = `R${k}`, t = ts(), v = val(), voided = rng() < 0.2;
          const e = appender.append({ entityType: 'temperature_reading', entityId: id, kind: 'recorded', occurredAt: t, siteId: 'S', actor: 'a', payload: { container_id: c, timestamp: t, value: v } });
          ins.run(id, c, t, date(m.tz, t), v, e.event_id, 0);
          if (voided) raw.prepare('UPDATE temperature_readings SET voided = 1 WHERE id = ?').run(id);
          m.singles.set(id, { container: c, ts: t, value: v, voided });
          continue;
        }
        const id = `L${k}`;
        const readings = Array.from({ length: 1 + Math.floor(rng() * 6) }, () => ({ timestamp: ts(), value: val() }));
        const e = appender.append({ entityType: TEMPERATURE_LOG, entityId: id, kind: 'recorded', occurredAt: readings[0]!.timestamp, siteId: 'S', actor: 'a', payload: { container_id: c, readings } });
        readings.forEach((r, i) => ins.run(readingId(id, i), c, r.timestamp, date(m.tz, r.timestamp), r.value, e.event_id, 1));
        const l: LogM = { container: c, readings, voided: false, present: true, replayable: true };
        for (const [d, x] of Object.entries(logDaysOf(l, m.tz, date))) up.run(c, d, x.sum, x.n, x.n === 1 ? x.lone : null);
        if (rng() < 0.3) {
          const v = appender.append({ entityType: TEMPERATURE_LOG, entityId: id, kind: 'voided', occurredAt: readings[0]!.timestamp, siteId: 'S', actor: 'a', payload: { reason: 'r' }, baseEventIds: [e.event_id] });
          raw.prepare('UPDATE temperature_readings SET voided = 1, updated_by_event = ? WHERE id >= ? AND id < ?').run(v.event_id, `${id}:`, `${id};`);
          l.voided = true;
        }
        m.logs.set(id, l);
      }
    })();
    expect(storedSums(raw)).toEqual(modelSums(m, date));
    migrate(raw);
    checkAll(raw, m, date, () => 'after migrating to the end');
    raw.close();
  });

  /**
   * At schema 6 a log's readings were rows that the record list (records.list kind 'temperature',
   * DataEntry's "Recent temperature records") showed with Void and Correct, so `temperature.void` /
   * `temperature.correct` on `<log>:<index>` reached single readings of a log (a `temperature_reading`
   * event). Such a log no longer matches its payload: migration 0007 leaves it as rows, counted
   * through the triggers, and the projector voids, restores and removes it as rows.
   */
  function schema6WithLog(edit: (raw: Database.Database, appender: EventAppender) => void): { raw: Database.Database; v6: Sums } {
    const raw = new BetterSqlite3(':memory:');
    migrate(raw, loadMigrations().slice(0, 6));
    raw.exec(`INSERT INTO site (id, name) VALUES ('S', 'S');
      INSERT INTO containers (id, site_id, name, environment) VALUES ('C1', 'S', 'C1', 'sea');
      INSERT INTO device (id, device_id, next_seq, hlc_physical, hlc_counter, created_at) VALUES (1, 'D', 1, 0, 0, '2025-01-01T00:00:00Z')`);
    const date = dater(raw);
    const appender = new EventAppender(raw, createUuidV7(() => FIXED_NOW.getTime()), () => FIXED_NOW.getTime());
    const readings = [{ timestamp: '2025-03-01T08:00:00Z', value: 8 }, { timestamp: '2025-03-01T09:00:00Z', value: 39.5 }, { timestamp: '2025-03-02T08:00:00Z', value: 9 }, { timestamp: '2025-03-02T09:00:00Z', value: 45 }];
    raw.transaction(() => {
      const e = appender.append({ entityType: TEMPERATURE_LOG, entityId: 'LOG', kind: 'recorded', occurredAt: readings[0]!.timestamp, siteId: 'S', actor: 'a', payload: { container_id: 'C1', readings } });
      const ins = raw.prepare('INSERT INTO temperature_readings (id, batch_id, container_id, timestamp, date, value, updated_by_event, bulk) VALUES (?, NULL, ?, ?, ?, ?, ?, 1)');
      readings.forEach((r, i) => ins.run(readingId('LOG', i), 'C1', r.timestamp, date('UTC', r.timestamp), r.value, e.event_id));
      const up = raw.prepare('INSERT INTO temperature_reading_days (container_id, date, sum, n, lone) VALUES (?, ?, ?, ?, ?) ON CONFLICT (container_id, date) DO UPDATE SET sum = sum + excluded.sum, n = n + excluded.n, lone = NULL');
      for (const [d, x] of Object.entries(logDaysOf({ container: 'C1', readings, voided: false, present: true, replayable: true }, 'UTC', date))) up.run('C1', d, x.sum, x.n, x.n === 1 ? x.lone : null);
      edit(raw, appender); // what schema 6's generic projection did for a `temperature_reading` event on one reading of the log
    })();
    return { raw, v6: storedSums(raw) };
  }
  const readingEvent = (raw: Database.Database, appender: EventAppender, id: string, kind: 'voided' | 'corrected', payload: Record<string, unknown>, set: string, args: unknown[]) => {
    const e = appender.append({ entityType: 'temperature_reading', entityId: id, kind, occurredAt: FIXED_NOW.toISOString(), siteId: 'S', actor: 'a', payload });
    raw.prepare(`UPDATE temperature_readings SET ${set}, updated_by_event = ? WHERE id = ?`).run(...args, e.event_id, id);
  };

  it('a schema-6 log with one reading voided on its own (the 45 °C one the engine warned about) stays as rows', () => {
    const { raw, v6 } = schema6WithLog((db, ap) => readingEvent(db, ap, 'LOG:000003', 'voided', { reason: 'logger glitch' }, 'voided = 1', []));
    migrate(raw);
    // the sums schema 6 had (8 and 39.5 on 03-01, 9 on 03-02) stay, but the log is now voided: from scratch they are empty
    expect(storedSums(raw)).toEqual(v6);
    expect(raw.prepare("SELECT as_rows, voided FROM temperature_logs WHERE id = 'LOG'").get()).toEqual({ as_rows: 1, voided: 0 });
    expect((raw.prepare("SELECT count(*) AS n FROM temperature_readings WHERE id >= 'LOG:' AND id < 'LOG;'").get() as { n: number }).n).toBe(4);
    expect(dbScratchSums(raw, dater(raw))).toEqual(storedSums(raw));
  });

  it('a schema-6 log with one kept reading voided on its own stays as rows; voided and restored whole, it counts through them', () => {
    const { raw, v6 } = schema6WithLog((db, ap) => readingEvent(db, ap, 'LOG:000001', 'voided', { reason: 'too warm' }, 'voided = 1', []));
    migrate(raw);
    expect(storedSums(raw)).toEqual(v6); // 8 on 03-01, 9 on 03-02
    expect(dbScratchSums(raw, dater(raw))).toEqual(storedSums(raw));
    const p = new Projector(raw);
    const [rec] = raw.prepare("SELECT * FROM events WHERE entity_id = 'LOG'").all() as StoredEvent[];
    raw.transaction(() => p.apply({ ...rec!, event_id: 'void-LOG', type: 'temperature_log.voided', payload: '{"reason":"r"}' }))();
    expect(storedSums(raw)).toEqual({});
    raw.transaction(() => p.apply({ ...rec!, event_id: 'restore-LOG', type: 'temperature_log.restored', payload: '{"reason":"r"}' }))();
    // a whole-log restore restores every row, the one voided on its own too (as at schema 6)
    expect(storedSums(raw)).toEqual(dbScratchSums(raw, dater(raw)));
    expect(storedSums(raw)['C1 2025-03-01']!.n).toBe(2);
    raw.transaction(() => p.removeLog('LOG'))();
    expect(storedSums(raw)).toEqual({});
    expect(dbScratchSums(raw, dater(raw))).toEqual({});
  });

  it('a schema-6 log with one reading corrected on its own stays as rows: its days keep the corrected value', () => {
    const { raw, v6 } = schema6WithLog((db, ap) => readingEvent(db, ap, 'LOG:000002', 'corrected', { patch: { value: 9.5 }, reason: 'typo' }, 'value = ?', [9.5]));
    migrate(raw);
    expect(storedSums(raw)).toEqual(v6); // 9.5 on 03-02
    expect(dbScratchSums(raw, dater(raw))).toEqual(storedSums(raw));
  });
});
