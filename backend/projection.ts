/**
 * Events → projection tables, and the dirty markers they imply. The same function serves local
 * writes (inside the write transaction) and, later, events pulled by sync.
 */
import type Database from 'better-sqlite3';
import type { StoredEvent } from './events/append';
import { CORE, ENTITY_BY_NAME, MEASUREMENT_BY_ENTITY, STAGE_TABLE, TEMPERATURE_LOG, toColumn, type EntityKind } from './kinds';
import { formatIsoDate, LocalDayResolver, timestampLocalDay } from '../engine/index';
import { TemperatureLogs } from './temperature-logs';
import { stmt } from './db/statements';
import { ALL_INPUTS, TEMPERATURE_INPUTS, markDirty } from './recompute/dirty';

/** The from-date meaning "recompute from scratch". */
export const FULL = '0000-01-01';

export class Projector {
  constructor(private readonly db: Database.Database) {}

  private st(sql: string): Database.Statement { return stmt(this.db, sql); }

  private logsStore: TemperatureLogs | null = null;
  private get logs(): TemperatureLogs { return (this.logsStore ??= new TemperatureLogs(this.db)); }

  markDirty(batchId: string, fromDate: string, inputs: string = ALL_INPUTS): void {
    if (!this.pending) { markDirty(this.db, batchId, fromDate, inputs); return; }
    const p = this.pending.get(batchId);
    if (!p) this.pending.set(batchId, { from: fromDate, inputs: [inputs] });
    else {
      if (fromDate < p.from) p.from = fromDate;
      if (!p.inputs.includes(inputs)) p.inputs.push(inputs);
    }
  }

  /** Dirty marks held back (holdDirty): per batch, the earliest day and the input lists in first-marked order. */
  private pending: Map<string, { from: string; inputs: string[] }> | null = null;

  /**
   * Holds the dirty marks back until `flushDirty` writes them merged per batch, inside the caller's
   * transaction: the markers end as marking one by one leaves them (earliest day, the same input
   * lists in the same order) with fewer writes; only `generation` counts fewer increments, still at
   * least one per batch marked. For many events in one transaction (a pulled page, a push on the
   * server); a rolled-back transaction calls `dropDirty`. The app's own writes do not hold.
   */
  holdDirty(): void { this.pending ??= new Map(); }

  /** Writes the held marks and stops holding. */
  flushDirty(): void {
    const marks = this.pending;
    this.pending = null;
    if (marks) for (const [batchId, p] of marks) for (const inputs of p.inputs) markDirty(this.db, batchId, p.from, inputs);
  }

  /** Forgets the held marks and stops holding (the caller's transaction rolls back). */
  dropDirty(): void { this.pending = null; }

  private dirtyAll(): string[] {
    const ids = (this.st('SELECT id FROM batches').all() as { id: string }[]).map((r) => r.id);
    for (const id of ids) this.markDirty(id, FULL);
    return ids;
  }

  private dirtyContainer(containerId: string, fromDate: string, inputs: string = ALL_INPUTS): string[] {
    const ids = (this.st('SELECT DISTINCT batch_id FROM assignments WHERE container_id = ?').all(containerId) as { batch_id: string }[]).map((r) => r.batch_id);
    for (const id of ids) this.markDirty(id, fromDate, inputs);
    return ids;
  }

  private row(kind: EntityKind, id: string): Record<string, unknown> | undefined {
    return this.st(`SELECT * FROM ${kind.table} WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
  }

  /** INSERT statements per table and set of present columns (a bit mask over the kind's columns). */
  private readonly inserts = new Map<EntityKind, Map<number, Database.Statement>>();

  /** Inserts the row; returns the values written by column (the caller's `after` for a measurement: no read back). */
  private insert(kind: EntityKind, id: string, payload: Record<string, unknown>, eventId: string): Record<string, unknown> {
    const names = Object.keys(kind.cols);
    if (names.length > 30) throw new Error(`${kind.table}: too many columns for the insert's column mask`);
    const args: unknown[] = [id];
    const row: Record<string, unknown> = { id };
    let mask = 0;
    for (let i = 0; i < names.length; i++) {
      const c = names[i]!;
      if (payload[c] === undefined) continue;
      mask |= 1 << i;
      const v = toColumn(kind.cols[c]!, payload[c]);
      args.push(v);
      row[c] = v;
    }
    args.push(eventId);
    let byMask = this.inserts.get(kind);
    if (!byMask) this.inserts.set(kind, (byMask = new Map()));
    let st = byMask.get(mask);
    if (!st) {
      const cols = names.filter((_, i) => mask & (1 << i));
      st = this.db.prepare(`INSERT INTO ${kind.table} (id, ${cols.join(', ')}, updated_by_event) VALUES (?, ${cols.map(() => '?').join(', ')}, ?)`);
      byMask.set(mask, st);
    }
    st.run(...args);
    return row;
  }

  private update(kind: EntityKind, id: string, patch: Record<string, unknown>, eventId: string): void {
    const cols = Object.keys(patch).filter((c) => c in kind.cols);
    const sets = [...cols.map((c) => `${c} = ?`), 'updated_by_event = ?'];
    this.st(`UPDATE ${kind.table} SET ${sets.join(', ')} WHERE id = ?`).run(...cols.map((c) => toColumn(kind.cols[c]!, patch[c])), eventId, id);
  }

  private setVoided(kind: EntityKind, id: string, voided: boolean, eventId: string): void {
    this.st(`UPDATE ${kind.table} SET voided = ?, updated_by_event = ? WHERE id = ?`).run(voided ? 1 : 0, eventId, id);
  }

  private siteTz(): string {
    return (this.st('SELECT timezone FROM site LIMIT 1').get() as { timezone: string } | undefined)?.timezone ?? 'UTC';
  }

  private resolver: { tz: string; r: LocalDayResolver } | null = null;

  /**
   * The site-local date of a reading's timestamp, computed exactly as the engine does (its day
   * sums are keyed by this date); a malformed timestamp keeps its own date part.
   */
  readingDate(tz: string, ts: string): string {
    if (this.resolver?.tz !== tz) this.resolver = { tz, r: new LocalDayResolver(tz) };
    const d = timestampLocalDay(ts, this.resolver.r);
    return d === null ? ts.slice(0, 10) : formatIsoDate(d);
  }

  /** A timestamp → site-local date function for the site's time zone (or `tz`), as the engine dates readings. */
  private datesIn(tz = this.siteTz()): (ts: string) => string { return (ts) => this.readingDate(tz, ts); }

  /** After a time zone change: every reading's site-local date again (rows: the day sums follow by trigger; logs: their days move). */
  private redateReadings(tz: string): void {
    const upd = this.st('UPDATE temperature_readings SET date = ? WHERE id = ?');
    for (const [id, ts, date] of this.st('SELECT id, timestamp, date FROM temperature_readings').raw().all() as [string, string, string][]) {
      const d = this.readingDate(tz, ts);
      if (d !== date) upd.run(d, id);
    }
    this.logs.redate(this.datesIn(tz));
  }

  /**
   * A sync rebuild of a reading of a log starts from the reading as the log has it (then replays the
   * reading's own events); false when `id` is not a reading of a log.
   */
  baseReading(id: string): boolean {
    const ok = this.logs.baseReading(id, this.datesIn());
    if (ok) {
      const r = this.st('SELECT container_id, date FROM temperature_readings WHERE id = ?').get(id) as { container_id: string; date: string };
      this.dirtyContainer(r.container_id, r.date, TEMPERATURE_INPUTS);
    }
    return ok;
  }

  /** A log and what it counted, gone (a sync rebuild replays its events); marks what it fed. */
  removeLog(logId: string): void {
    const r = this.logs.remove(logId);
    if (r?.from) this.dirtyContainer(r.containerId, r.from);
  }

  /** Applies one event; returns the batches it made dirty. */
  apply(ev: StoredEvent): string[] {
    const payload = JSON.parse(ev.payload) as Record<string, unknown>;
    const kindName = ev.type.slice(ev.type.lastIndexOf('.') + 1);
    const id = ev.entity_id;

    if (ev.entity_type === STAGE_TABLE) {
      this.st('DELETE FROM stages WHERE site_id = ?').run(id);
      const stages = (kindName === 'voided' ? [] : (payload.stages ?? (payload.patch as Record<string, unknown> | undefined)?.stages ?? [])) as Record<string, unknown>[];
      const ins = this.st(`INSERT INTO stages (site_id, name, ord, min_weight_g, max_weight_g, feeds, duration_days, environment, baseline_tgc, updated_by_event)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const s of stages) ins.run(id, s.name, s.order, s.min_weight_g, s.max_weight_g, s.feeds ? 1 : 0, s.duration_days ?? null, s.environment, s.baseline_tgc ?? null, ev.event_id);
      return this.dirtyAll();
    }

    if (ev.entity_type === TEMPERATURE_LOG) {
      if (kindName === 'recorded') {
        const cid = payload.container_id;
        if (typeof cid !== 'string') throw new Error(`temperature log ${id}: container_id must be a container id, got ${JSON.stringify(cid)}`);
        const min = this.logs.record(id, cid, payload.readings, ev.event_id, this.datesIn());
        return min === null ? [] : this.dirtyContainer(cid, min, TEMPERATURE_INPUTS);
      }
      const r = this.logs.setVoided(id, kindName === 'voided', ev.event_id);
      return r?.from ? this.dirtyContainer(r.containerId, r.from, TEMPERATURE_INPUTS) : [];
    }

    const kind = ENTITY_BY_NAME.get(ev.entity_type);
    if (!kind) throw new Error(`unknown entity type ${ev.entity_type}`);
    // an event of one reading of a log: the log's readings become rows first (temperature-logs.ts toRows)
    if (kind.entity === 'temperature_reading' && kindName !== 'recorded') {
      const logId = this.logs.logOf(id);
      if (logId) this.logs.toRows(logId, this.datesIn());
    }
    // a `recorded` event inserts its row, which fails if the id exists (every entity table's primary
    // key): when it succeeds there was no row before, so none is read
    const before = kindName === 'recorded' ? undefined : this.row(kind, id);
    // a recorded measurement's row is what was inserted (dirtyFor reads its date, batch and container);
    // other kinds are read back (column defaults, e.g. a site's time zone)
    let inserted: Record<string, unknown> | undefined;
    switch (kindName) {
      case 'recorded': {
        const p = { ...payload };
        if (kind.entity === 'temperature_reading' && typeof p.timestamp === 'string') p.date = this.readingDate(this.siteTz(), p.timestamp);
        const row = this.insert(kind, id, p, ev.event_id);
        if (MEASUREMENT_BY_ENTITY.has(kind.entity)) inserted = row;
        break;
      }
      case 'corrected': {
        const patch = { ...(payload.patch as Record<string, unknown>) };
        if (kind.entity === 'temperature_reading' && typeof patch.timestamp === 'string') patch.date = this.readingDate(this.siteTz(), patch.timestamp);
        this.update(kind, id, patch, ev.event_id);
        break;
      }
      case 'voided': this.setVoided(kind, id, true, ev.event_id); break;
      case 'restored': this.setVoided(kind, id, false, ev.event_id); break;
      default: throw new Error(`unknown event kind ${ev.type}`);
    }
    const after = inserted ?? this.row(kind, id);
    if (!after) throw new Error(`${kind.entity} ${id} does not exist`);
    if (kind === CORE.site && after.timezone !== before?.timezone && typeof after.timezone === 'string') this.redateReadings(after.timezone);
    return this.dirtyFor(kind, before, after);
  }

  private dirtyFor(kind: EntityKind, before: Record<string, unknown> | undefined, after: Record<string, unknown>): string[] {
    const m = MEASUREMENT_BY_ENTITY.get(kind.entity);
    if (m) {
      const dates = [before?.date, after.date].filter((d): d is string => typeof d === 'string');
      const from = dates.sort()[0] ?? FULL;
      if (m.containerLevel) {
        const cs = new Set([before?.container_id, after.container_id].filter((c): c is string => typeof c === 'string'));
        return [...cs].flatMap((c) => this.dirtyContainer(c, from, TEMPERATURE_INPUTS));
      }
      const bs = new Set([before?.batch_id, after.batch_id].filter((b): b is string => typeof b === 'string'));
      for (const b of bs) this.markDirty(b, from, m.docList);
      return [...bs];
    }
    switch (kind) {
      case CORE.site: return this.dirtyAll();
      case CORE.container: return this.dirtyContainer(after.id as string, FULL);
      case CORE.scenario: {
        const ids = (this.st('SELECT id FROM batches WHERE scenario_id = ?').all(after.id) as { id: string }[]).map((r) => r.id);
        for (const b of ids) this.markDirty(b, FULL);
        return ids;
      }
      case CORE.batch: this.markDirty(after.id as string, FULL); return [after.id as string];
      case CORE.assignment: {
        const bs = new Set([before?.batch_id, after.batch_id].filter((b): b is string => typeof b === 'string'));
        for (const b of bs) this.markDirty(b, FULL);
        return [...bs];
      }
      default: return [];
    }
  }
}
