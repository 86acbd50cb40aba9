/**
 * Appending an event inside the caller's transaction (sync.md §1): the next device_seq and HLC
 * come from the `device` row in the same transaction, so they are contiguous and never reused.
 */
import type Database from 'better-sqlite3';
import { canonicalJson, sha256Hex } from './canonical';
import { hlcString, hlcTick } from './hlc';
import type { UuidV7 } from './uuidv7';

export type EventKind = 'recorded' | 'corrected' | 'voided' | 'restored';

export interface NewEvent {
  entityType: string;
  entityId: string;
  kind: EventKind;
  v?: number;
  occurredAt: string;
  siteId: string;
  baseEventIds?: string[];
  actor: string;
  payload: Record<string, unknown>;
}

export interface StoredEvent {
  event_id: string; device_id: string; device_seq: number; hlc: string; occurred_at: string; type: string; v: number;
  entity_type: string; entity_id: string; site_id: string; base_event_ids: string; actor: string; payload: string;
  payload_sha256: string; server_seq: number | null; received_at: string | null; effective_ts: string | null;
}

export interface DeviceRow { device_id: string; next_seq: number; hlc_physical: number; hlc_counter: number }

export class EventAppender {
  private readonly getDevice: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly bump: Database.Statement;

  constructor(private readonly db: Database.Database, private readonly uuid: UuidV7, private readonly nowMs: () => number) {
    this.getDevice = db.prepare('SELECT device_id, next_seq, hlc_physical, hlc_counter FROM device WHERE id = 1');
    this.insert = db.prepare(`INSERT INTO events (event_id, device_id, device_seq, hlc, occurred_at, type, v, entity_type, entity_id,
      site_id, base_event_ids, actor, payload, payload_sha256) VALUES (@event_id, @device_id, @device_seq, @hlc, @occurred_at, @type, @v,
      @entity_type, @entity_id, @site_id, @base_event_ids, @actor, @payload, @payload_sha256)`);
    this.bump = db.prepare('UPDATE device SET next_seq = ?, hlc_physical = ?, hlc_counter = ? WHERE id = 1');
  }

  /** Must run inside a transaction. */
  append(e: NewEvent): StoredEvent {
    if (!this.db.inTransaction) throw new Error('append() must run inside the write transaction');
    const dev = this.getDevice.get() as DeviceRow | undefined;
    if (!dev) throw new Error('device row missing: the database was not initialised');
    const clock = hlcTick({ physical: dev.hlc_physical, counter: dev.hlc_counter }, this.nowMs());
    const payload = canonicalJson(e.payload);
    const row: StoredEvent = {
      event_id: this.uuid(), device_id: dev.device_id, device_seq: dev.next_seq, hlc: hlcString(clock, dev.device_id),
      occurred_at: e.occurredAt, type: `${e.entityType}.${e.kind}`, v: e.v ?? 1, entity_type: e.entityType, entity_id: e.entityId,
      site_id: e.siteId, base_event_ids: JSON.stringify(e.baseEventIds ?? []), actor: e.actor, payload,
      payload_sha256: sha256Hex(payload), server_seq: null, received_at: null, effective_ts: null,
    };
    this.insert.run(row);
    this.bump.run(dev.next_seq + 1, clock.physical, clock.counter);
    return row;
  }
}

/** Creates the device row on a fresh database (idempotent). */
export function ensureDevice(db: Database.Database, deviceId: string, now: Date): string {
  db.prepare('INSERT OR IGNORE INTO device (id, device_id, next_seq, hlc_physical, hlc_counter, created_at) VALUES (1, ?, 1, 0, 0, ?)').run(deviceId, now.toISOString());
  return (db.prepare('SELECT device_id FROM device WHERE id = 1').get() as { device_id: string }).device_id;
}
