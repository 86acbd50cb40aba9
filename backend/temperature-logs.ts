/**
 * Temperature logs as stored (migration 0007): one `temperature_logs` row per log, its own day sums
 * in `temperature_log_days`, counted in `temperature_reading_days` while the log is not voided.
 * The readings are the payload of the event that recorded the log; only the ones the engine drops
 * (outside −3…40 °C) are rows of `temperature_readings`, where its warnings are read. A log any of
 * whose readings has an event of its own (a correction or void of one reading) is `as_rows`: all its
 * readings are rows, counted by the triggers, as every log was before migration 0007.
 *
 * Why not one row per reading: a log brings ~48 readings a day per container, a site's backlog
 * millions, and a recompute never reads them (it reads day sums). A row per reading cost ~3.6 µs
 * and ~250 bytes of table, indexes and WAL each, on every laptop and on the server's replica.
 */
import type Database from 'better-sqlite3';
import { ReadingAggregator } from '../engine/index';
import { stmt } from './db/statements';

/** A log's readings as its `recorded` event carries them. */
export interface LogReading { timestamp: string; value: number }

/** A day of one log: its kept readings' fixed-point sum, their count, the value when there is one. */
export interface LogDay { date: string; sum: number; n: number; lone: number | null }

/** The id of a log's reading `i` in `temperature_readings` (and in a batch document's order). */
export const readingId = (logId: string, i: number) => `${logId}:${String(i).padStart(6, '0')}`;

/** The id range [lo, hi) of a log's reading rows. */
export const readingRange = (logId: string): [string, string] => [`${logId}:`, `${logId};`];

/** Kept by the engine (it drops the rest with a warning); a non-number is not kept. */
export const keptValue = (v: unknown): v is number => typeof v === 'number' && v >= -3 && v <= 40;

/**
 * The value of a container-day left with one kept reading: a single reading's, or the one of a
 * non-voided log whose day holds one. The triggers of migration 0007 run the same lookup.
 */
const LONE_SQL = `UPDATE temperature_reading_days SET lone = COALESCE(
    (SELECT r.value FROM temperature_readings r WHERE r.container_id = @c AND r.date = @d AND r.voided = 0 AND r.value BETWEEN -3 AND 40 LIMIT 1),
    (SELECT d.lone FROM temperature_log_days d JOIN temperature_logs l ON l.id = d.log_id
      WHERE d.container_id = @c AND d.date = @d AND d.n = 1 AND l.voided = 0 AND l.id <> @leaving LIMIT 1))
  WHERE container_id = @c AND date = @d AND n = 1`;

/**
 * Checks a log's readings and folds them into per-day sums. `dateOf` gives a timestamp's site-local
 * date (the engine's). Throws, naming the reading and the field, on a reading that is not one.
 */
export function logDays(logId: string, readings: unknown, dateOf: (ts: string) => string): { days: Map<string, LogDay>; dropped: { i: number; r: LogReading; date: string }[]; min: string | null } {
  if (!Array.isArray(readings)) throw new Error(`temperature log ${logId}: readings must be a list of { timestamp, value }`);
  const days = new Map<string, LogDay>();
  const dropped: { i: number; r: LogReading; date: string }[] = [];
  let min: string | null = null;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as LogReading;
    if (typeof r !== 'object' || r === null) throw new Error(`temperature log ${logId}: readings[${i}] must be an object { timestamp, value }`);
    if (typeof r.timestamp !== 'string') throw new Error(`temperature log ${logId}: readings[${i}].timestamp must be an ISO 8601 timestamp, got ${JSON.stringify(r.timestamp)}`);
    if (typeof r.value !== 'number' || !Number.isFinite(r.value)) throw new Error(`temperature log ${logId}: readings[${i}].value must be a temperature in °C, got ${JSON.stringify(r.value)}`);
    const d = dateOf(r.timestamp);
    if (min === null || d < min) min = d;
    if (!keptValue(r.value)) { dropped.push({ i, r, date: d }); continue; }
    const x = days.get(d);
    if (x) { x.sum += ReadingAggregator.fixed(r.value); x.n++; x.lone = null; }
    else days.set(d, { date: d, sum: ReadingAggregator.fixed(r.value), n: 1, lone: r.value });
  }
  return { days, dropped, min };
}

/** A log as stored, with the readings of the event that recorded it. */
interface StoredLog { id: string; container_id: string; voided: number; updated_by_event: string | null; as_rows: number; readings: LogReading[] }

const LOG_WITH_PAYLOAD = `SELECT l.id, l.container_id, l.voided, l.updated_by_event, l.as_rows, e.payload FROM temperature_logs l
  JOIN events e ON e.event_id = l.recorded_by_event`;
const withReadings = ({ payload, ...l }: Omit<StoredLog, 'readings'> & { payload: string }): StoredLog =>
  ({ ...l, readings: (JSON.parse(payload) as { readings: LogReading[] }).readings });

/** Writes and reads logs and their day sums on one connection. */
export class TemperatureLogs {
  constructor(private readonly db: Database.Database) {}

  private st(sql: string): Database.Statement { return stmt(this.db, sql); }

  private log(logId: string): StoredLog | undefined {
    const r = this.st(`${LOG_WITH_PAYLOAD} WHERE l.id = ?`).get(logId) as (Omit<StoredLog, 'readings'> & { payload: string }) | undefined;
    return r && withReadings(r);
  }

  /** A reading of a log as a row of temperature_readings (`bulk`: the insert trigger leaves its sums to the caller). */
  private insertRow(id: string, containerId: string, r: LogReading, date: string, voided: number, eventId: string | null): void {
    this.st(`INSERT INTO temperature_readings (id, batch_id, container_id, timestamp, date, value, voided, updated_by_event, bulk) VALUES (?, NULL, ?, ?, ?, ?, ?, ?, 1)`)
      .run(id, containerId, r.timestamp, date, r.value, voided, eventId);
  }

  /** Stores a recorded log; returns its earliest reading date (null: no readings). Throws on a bad reading or an unknown container. */
  record(logId: string, containerId: string, readings: unknown, eventId: string, dateOf: (ts: string) => string): string | null {
    const { days, dropped, min } = logDays(logId, readings, dateOf);
    this.st('INSERT INTO temperature_logs (id, container_id, recorded_by_event, updated_by_event) VALUES (?, ?, ?, ?)').run(logId, containerId, eventId, eventId);
    const dayIns = this.st('INSERT INTO temperature_log_days (log_id, date, container_id, sum, n, lone) VALUES (?, ?, ?, ?, ?, ?)');
    for (const x of days.values()) dayIns.run(logId, x.date, containerId, x.sum, x.n, x.lone);
    this.addDays(containerId, days.values());
    // the dropped ones, as rows: the engine's warnings name them (out of range, they count nowhere)
    for (const { i, r, date } of dropped) this.insertRow(readingId(logId, i), containerId, r, date, 0, eventId);
    // (recorded again by a sync rebuild after readings of it had events of their own, it becomes rows
    // when those readings are rebuilt after it: EventApplier.replay, baseReading)
    return min;
  }

  /**
   * Before an event of one reading of a log (a correction or void of a reading: dropped ones are
   * records, and schema-6 apps offered every reading): the log's kept readings become rows, counted
   * by the triggers from then on, as the log's days were (the sums do not change), and the log is
   * `as_rows`. Every device does this at the same point of the log's history, so replicas agree.
   */
  toRows(logId: string, dateOf: (ts: string) => string): void {
    const log = this.log(logId);
    if (!log || log.as_rows) return;
    log.readings.forEach((r, i) => { if (keptValue(r.value)) this.insertRow(readingId(logId, i), log.container_id, r, dateOf(r.timestamp), log.voided, log.updated_by_event); });
    this.st('DELETE FROM temperature_log_days WHERE log_id = ?').run(logId);
    this.st('UPDATE temperature_logs SET as_rows = 1 WHERE id = ?').run(logId);
  }

  /** The log of a reading id (`<log id>:<6 digits>`), if it is one. */
  logOf(id: string): string | null {
    const m = /^(.+):\d{6}$/.exec(id);
    return m && this.st('SELECT 1 FROM temperature_logs WHERE id = ?').get(m[1]) ? m[1]! : null;
  }

  /**
   * A sync rebuild of one reading of a log starts from the reading as its log recorded it (the log's
   * void state and last event), counted if kept; its own events are then replayed on top. False:
   * no such reading.
   */
  baseReading(id: string, dateOf: (ts: string) => string): boolean {
    const logId = this.logOf(id);
    if (!logId) return false;
    this.toRows(logId, dateOf);
    // the log just became rows: this one is there, as its log has it
    if (this.st('SELECT 1 FROM temperature_readings WHERE id = ?').get(id)) return true;
    const log = this.log(logId)!;
    const r = log.readings[Number(id.slice(id.length - 6))];
    if (!r) return false;
    const date = dateOf(r.timestamp);
    this.insertRow(id, log.container_id, r, date, log.voided, log.updated_by_event);
    // bulk rows skip the insert trigger: counted here
    if (keptValue(r.value) && !log.voided) this.addDays(log.container_id, [{ date, sum: ReadingAggregator.fixed(r.value), n: 1, lone: r.value }]);
    return true;
  }

  /**
   * Voids or restores a log whole; returns its container and earliest date (null: no such log).
   * A log `as_rows` counts through the triggers of its rows (and has no days).
   */
  setVoided(logId: string, voided: boolean, eventId: string): { containerId: string; from: string | null } | null {
    const log = this.st('SELECT container_id, voided FROM temperature_logs WHERE id = ?').get(logId) as { container_id: string; voided: number } | undefined;
    if (!log) return null;
    const [lo, hi] = readingRange(logId);
    this.st('UPDATE temperature_readings SET voided = ?, updated_by_event = ? WHERE id >= ? AND id < ?').run(voided ? 1 : 0, eventId, lo, hi);
    this.st('UPDATE temperature_logs SET voided = ?, updated_by_event = ? WHERE id = ?').run(voided ? 1 : 0, eventId, logId);
    if (Boolean(log.voided) !== voided) {
      if (voided) this.subtractDays(log.container_id, this.days(logId));
      else this.addDays(log.container_id, this.days(logId));
    }
    return { containerId: log.container_id, from: this.firstDate(logId) };
  }

  /** Removes a log and what it counted (a sync rebuild replays its events); returns what `setVoided` does. */
  remove(logId: string): { containerId: string; from: string | null } | null {
    const log = this.st('SELECT container_id, voided FROM temperature_logs WHERE id = ?').get(logId) as { container_id: string; voided: number } | undefined;
    if (!log) return null;
    const found = { containerId: log.container_id, from: this.firstDate(logId) };
    if (!log.voided) this.subtractDays(log.container_id, this.days(logId), logId);
    this.st('DELETE FROM temperature_log_days WHERE log_id = ?').run(logId);
    this.st('DELETE FROM temperature_logs WHERE id = ?').run(logId);
    // its rows (dropped readings; all of an `as_rows` log: the triggers take out what they counted)
    this.st('DELETE FROM temperature_readings WHERE id >= ? AND id < ?').run(...readingRange(logId));
    return found;
  }

  /**
   * Every log's days again with a new `dateOf` (the site's time zone changed): each log's sums
   * leave their old days and join the new ones. Its dropped readings (and every reading of a log
   * `as_rows`) are rows: the caller re-dates them.
   */
  redate(dateOf: (ts: string) => string): void {
    const logs = (this.st(`${LOG_WITH_PAYLOAD} WHERE l.as_rows = 0`).all() as (Omit<StoredLog, 'readings'> & { payload: string })[]).map(withReadings);
    const dayIns = this.st('INSERT INTO temperature_log_days (log_id, date, container_id, sum, n, lone) VALUES (?, ?, ?, ?, ?, ?)');
    for (const l of logs) {
      if (!l.voided) this.subtractDays(l.container_id, this.days(l.id), l.id);
      this.st('DELETE FROM temperature_log_days WHERE log_id = ?').run(l.id);
      const { days } = logDays(l.id, l.readings, dateOf);
      for (const x of days.values()) dayIns.run(l.id, x.date, l.container_id, x.sum, x.n, x.lone);
      if (!l.voided) this.addDays(l.container_id, days.values());
    }
  }

  /** The kept readings of the non-voided logs of these containers that are not rows: [container, timestamp, value, reading id]. */
  keptReadings(containerIds: string[]): [string, string, number, string][] {
    if (containerIds.length === 0) return [];
    const out: [string, string, number, string][] = [];
    const logs = (this.db.prepare(`${LOG_WITH_PAYLOAD} WHERE l.voided = 0 AND l.as_rows = 0 AND l.container_id IN (${containerIds.map(() => '?').join(',')})`)
      .all(...containerIds) as (Omit<StoredLog, 'readings'> & { payload: string })[]).map(withReadings);
    for (const l of logs) l.readings.forEach((r, i) => { if (keptValue(r.value)) out.push([l.container_id, r.timestamp, r.value, readingId(l.id, i)]); });
    return out;
  }

  private days(logId: string): LogDay[] {
    return this.st('SELECT date, sum, n, lone FROM temperature_log_days WHERE log_id = ?').all(logId) as LogDay[];
  }

  private firstDate(logId: string): string | null {
    const [lo, hi] = readingRange(logId);
    const r = this.st(`SELECT MIN(d) AS d FROM (SELECT MIN(date) AS d FROM temperature_log_days WHERE log_id = ?
      UNION ALL SELECT MIN(date) FROM temperature_readings WHERE id >= ? AND id < ?)`).get(logId, lo, hi) as { d: string | null };
    return r.d;
  }

  private addDays(containerId: string, days: Iterable<LogDay>): void {
    const up = this.st(`INSERT INTO temperature_reading_days (container_id, date, sum, n, lone) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (container_id, date) DO UPDATE SET sum = sum + excluded.sum, n = n + excluded.n, lone = NULL`);
    for (const x of days) up.run(containerId, x.date, x.sum, x.n, x.n === 1 ? x.lone : null);
  }

  /**
   * Takes days out of the container's sums. The log they belong to must no longer count in the
   * lone lookup: voided first, or named in `leaving` (its days are deleted next).
   */
  private subtractDays(containerId: string, days: Iterable<LogDay>, leaving?: string): void {
    const sub = this.st('UPDATE temperature_reading_days SET sum = sum - ?, n = n - ? WHERE container_id = ? AND date = ? RETURNING n');
    const del = this.st('DELETE FROM temperature_reading_days WHERE container_id = ? AND date = ?');
    const lone = this.st(LONE_SQL);
    for (const x of days) {
      const left = sub.get(x.sum, x.n, containerId, x.date) as { n: number } | undefined;
      if (!left) continue;
      if (left.n <= 0) del.run(containerId, x.date);
      else if (left.n === 1) lone.run({ c: containerId, d: x.date, leaving: leaving ?? '' });
    }
  }
}
