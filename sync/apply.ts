/**
 * Applying events from other devices to a site database (the laptop's, or the server's in-memory
 * replica), so that every replica converges (sync.md §3, §4):
 *
 * - an event that builds on every current head of its entity is applied on top (the common case);
 * - otherwise (concurrent edits) the entity is rebuilt from its whole history in one canonical
 *   order: causal order (base_event_ids), ties by (effective_ts, event_id). Corrections of
 *   different fields therefore merge field by field, and for the same field every replica shows
 *   the same provisional winner (greatest effective_ts, then event_id).
 *
 * Uses the backend's Projector for the per-event projection, so laptop and server share it.
 * The sync tables (`sync_rejected`) live beside the backend's schema and are created here.
 */
import type Database from 'better-sqlite3';
import type { StoredEvent } from '../backend/events/append';
import { ENTITY_BY_NAME, MEASUREMENT_BY_ENTITY, STAGE_TABLE, TEMPERATURE_LOG } from '../backend/kinds';
import { FULL, Projector } from '../backend/projection';

export interface EventRow extends StoredEvent { deferred?: number }

/** Known (type, v): this build understands version 1 of every entity kind of the backend's registry. */
export function isKnownVersion(type: string, v: number): boolean {
  const entity = type.slice(0, type.lastIndexOf('.'));
  return v === 1 && (ENTITY_BY_NAME.has(entity) || entity === STAGE_TABLE || entity === TEMPERATURE_LOG);
}

export function ensureSyncTables(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS sync_rejected (
    event_id TEXT PRIMARY KEY, reason TEXT NOT NULL, rejected_at TEXT NOT NULL
  ) WITHOUT ROWID`);
}

const kindOf = (type: string) => type.slice(type.lastIndexOf('.') + 1);

export class EventApplier {
  private readonly projector: Projector;
  private readonly st = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    ensureSyncTables(db);
    this.projector = new Projector(db);
  }

  private q(sql: string): Database.Statement {
    let s = this.st.get(sql);
    if (!s) { s = this.db.prepare(sql); this.st.set(sql, s); }
    return s;
  }

  /** Dirty marks merged per batch until flushDirty (the Projector's holdDirty): for many events in one transaction. */
  holdDirty(): void { this.projector.holdDirty(); }
  flushDirty(): void { this.projector.flushDirty(); }
  dropDirty(): void { this.projector.dropDirty(); }

  /** The live (applied, not rejected) events of an entity. */
  private history(entityType: string, entityId: string): EventRow[] {
    return this.q(`SELECT * FROM events WHERE entity_type = ? AND entity_id = ? AND deferred = 0
      AND event_id NOT IN (SELECT event_id FROM sync_rejected)`).all(entityType, entityId) as EventRow[];
  }

  /** Ids and bases of the entity's live events: what heads() needs (history() loads whole rows, payloads included). */
  private links(entityType: string, entityId: string): { event_id: string; base_event_ids: string }[] {
    return this.q(`SELECT event_id, base_event_ids FROM events WHERE entity_type = ? AND entity_id = ? AND deferred = 0
      AND event_id NOT IN (SELECT event_id FROM sync_rejected)`).all(entityType, entityId) as { event_id: string; base_event_ids: string }[];
  }

  /** Event ids of the entity that no other live event of it builds on. */
  heads(entityType: string, entityId: string, exclude?: string): string[] {
    const hist = this.links(entityType, entityId).filter((e) => e.event_id !== exclude);
    const covered = new Set<string>();
    for (const e of hist) if (e.base_event_ids !== '[]') for (const b of JSON.parse(e.base_event_ids) as string[]) covered.add(b);
    return hist.filter((e) => !covered.has(e.event_id)).map((e) => e.event_id).sort();
  }

  /**
   * Projects an event already stored in `events` (must run inside the caller's transaction).
   * Returns true when the entity had to be rebuilt.
   */
  project(ev: EventRow): boolean {
    return this.projectEvent(ev).rebuilt;
  }

  /**
   * project(), also telling how many heads the entity had before the event. Applied on top of at
   * most one head, the event is the entity's only head afterwards (no conflict can remain or arise).
   */
  projectEvent(ev: EventRow): { rebuilt: boolean; headsBefore: number } {
    const heads = this.heads(ev.entity_type, ev.entity_id, ev.event_id);
    const base = ev.base_event_ids === '[]' ? new Set<string>() : new Set(JSON.parse(ev.base_event_ids) as string[]);
    const onTop = heads.every((h) => base.has(h)) && (heads.length > 0 || kindOf(ev.type) === 'recorded');
    if (onTop) {
      this.projector.apply(ev);
      return { rebuilt: false, headsBefore: heads.length };
    }
    this.rebuild(ev.entity_type, ev.entity_id);
    return { rebuilt: true, headsBefore: heads.length };
  }

  /** Rebuilds an entity's projection from its live history in canonical order. */
  rebuild(entityType: string, entityId: string): void {
    if (!this.db.inTransaction) throw new Error('rebuild() must run inside a transaction');
    // deferred for the rebuild only: left on, it would let a later event of the same transaction
    // (a push on the server) past its foreign keys until COMMIT, which then fails the whole push
    const deferred = this.db.pragma('defer_foreign_keys', { simple: true }) as number;
    this.db.pragma('defer_foreign_keys = ON');
    try { this.replay(entityType, entityId); } finally { if (!deferred) this.db.pragma('defer_foreign_keys = OFF'); }
  }

  private replay(entityType: string, entityId: string): void {
    this.clear(entityType, entityId);
    // a reading of a temperature log has no `recorded` of its own: it starts as its log has it
    let hasRow = entityType === 'temperature_reading' && this.projector.baseReading(entityId);
    for (const ev of canonicalOrder(this.history(entityType, entityId))) {
      const k = kindOf(ev.type);
      if (k === 'recorded') {
        if (hasRow) continue; // a second `recorded` of one entity is a bug upstream; the first wins
        hasRow = true;
      } else if (!hasRow && entityType !== STAGE_TABLE) continue;
      this.projector.apply(ev);
    }
    if (entityType === TEMPERATURE_LOG) {
      // its readings with events of their own were rows as the log re-recorded them: their events again
      const readings = this.q(`SELECT DISTINCT entity_id FROM events WHERE entity_type = 'temperature_reading' AND entity_id >= ? AND entity_id < ? AND deferred = 0`)
        .all(`${entityId}:`, `${entityId};`) as { entity_id: string }[];
      for (const r of readings) this.rebuild('temperature_reading', r.entity_id);
    }
  }

  /** Removes an entity's projection rows, marking what they fed as dirty. */
  private clear(entityType: string, entityId: string): void {
    if (entityType === STAGE_TABLE) { this.q('DELETE FROM stages WHERE site_id = ?').run(entityId); this.dirtyAll(); return; }
    if (entityType === TEMPERATURE_LOG) { this.projector.removeLog(entityId); return; }
    const kind = ENTITY_BY_NAME.get(entityType);
    if (!kind) throw new Error(`unknown entity type ${entityType}`);
    const old = this.q(`SELECT * FROM ${kind.table} WHERE id = ?`).get(entityId) as Record<string, unknown> | undefined;
    if (!old) return;
    const m = MEASUREMENT_BY_ENTITY.get(entityType);
    if (m?.containerLevel) { if (typeof old.container_id === 'string') this.dirtyContainer(old.container_id, (old.date as string) ?? FULL); }
    else if (m) { if (typeof old.batch_id === 'string') this.projector.markDirty(old.batch_id, (old.date as string) ?? FULL); }
    else if (entityType === 'site' || entityType === 'scenario' || entityType === 'container') this.dirtyAll();
    else if (entityType === 'batch') this.projector.markDirty(entityId, FULL);
    else if (entityType === 'assignment' && typeof old.batch_id === 'string') this.projector.markDirty(old.batch_id, FULL);
    this.q(`DELETE FROM ${kind.table} WHERE id = ?`).run(entityId);
  }

  private dirtyAll(): void {
    for (const r of this.q('SELECT id FROM batches').all() as { id: string }[]) this.projector.markDirty(r.id, FULL);
  }

  private dirtyContainer(containerId: string, from: string): void {
    for (const r of this.q('SELECT DISTINCT batch_id FROM assignments WHERE container_id = ?').all(containerId) as { batch_id: string }[]) this.projector.markDirty(r.batch_id, from);
  }
}

/** Causal order (Kahn), ready events taken by (effective_ts, event_id); unstamped (local, unpushed) last. */
export function canonicalOrder(events: EventRow[]): EventRow[] {
  const byId = new Map(events.map((e) => [e.event_id, e]));
  const indeg = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const e of events) {
    let n = 0;
    for (const b of JSON.parse(e.base_event_ids) as string[]) {
      if (!byId.has(b) || b === e.event_id) continue;
      n++;
      const c = children.get(b) ?? [];
      c.push(e.event_id);
      children.set(b, c);
    }
    indeg.set(e.event_id, n);
  }
  const key = (e: EventRow) => `${e.effective_ts ?? '~'}|${e.event_id}`;
  const ready = events.filter((e) => indeg.get(e.event_id) === 0);
  const out: EventRow[] = [];
  while (ready.length) {
    ready.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0)); // smallest last → pop
    const e = ready.pop()!;
    out.push(e);
    for (const c of children.get(e.event_id) ?? []) {
      const n = indeg.get(c)! - 1;
      indeg.set(c, n);
      if (n === 0) ready.push(byId.get(c)!);
    }
  }
  // cycles cannot happen with ids minted before their successors; keep any leftovers deterministic
  if (out.length < events.length) {
    const seen = new Set(out.map((e) => e.event_id));
    out.push(...events.filter((e) => !seen.has(e.event_id)).sort((a, b) => (key(a) < key(b) ? -1 : 1)));
  }
  return out;
}

/** Fields an event touches, for conflict detection: a patch's keys, or the record's void state. */
export function touchedFields(ev: Pick<EventRow, 'type' | 'payload'>): string[] {
  const k = kindOf(ev.type);
  if (k === 'corrected') {
    const p = JSON.parse(ev.payload) as { patch?: Record<string, unknown> };
    return Object.keys(p.patch ?? {});
  }
  if (k === 'voided' || k === 'restored') return ['(voided)'];
  return ['(record)'];
}
