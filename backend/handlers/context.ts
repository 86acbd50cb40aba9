/** What every handler gets: the database, the clock, the event writer and the recompute scheduler. */
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { ApiError, ApiEventName, ApiEvents, Method } from '../api/contract';
import type { SchemaSet } from '../api/schemas';
import type { DB } from '../db/schema';
import type { EventAppender, EventKind, NewEvent, StoredEvent } from '../events/append';
import type { UuidV7 } from '../events/uuidv7';
import type { Projector } from '../projection';
import type { SyncHost } from '../sync-host';

export class ApiFailure extends Error {
  constructor(readonly error: ApiError) { super(error.message); }
}

export function fail(code: ApiError['code'], field: string | undefined, message: string, record?: string): never {
  throw new ApiFailure({ code, message, ...(field !== undefined ? { field } : {}), ...(record !== undefined ? { record } : {}) });
}

export interface WriteEvent {
  entityType: string; entityId: string; kind: EventKind; occurredAt?: string; payload: Record<string, unknown>;
}

export interface Ctx {
  db: Database.Database;
  kysely: Kysely<DB>;
  schemas: SchemaSet;
  uuid: UuidV7;
  clock: () => Date;
  actor: string;
  siteId(): string;
  today(): string;
  /** One transaction: append the events, apply them to the projections, mark batches dirty. */
  write(events: WriteEvent[]): { events: StoredEvent[]; batchIds: string[] };
  /** Resolves when the batch's stored states reflect every committed edit (or the engine rejected them). */
  ensureFresh(batchId?: string): Promise<void>;
  emit<E extends ApiEventName>(e: E, payload: ApiEvents[E]): void;
  /** The sync client's host (set once the backend has started). */
  sync?: SyncHost;
  /** Test hook: called inside the write transaction after the events are appended. */
  faultInjection?: (stage: 'after-append' | 'after-project', events: NewEvent[]) => void;
}

export type Handler = (args: any, ctx: Ctx) => Promise<unknown> | unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
export type HandlerMap = Partial<Record<Method, Handler>>;

/** The heads of an entity the editor saw: with a linear local history, its latest event. */
export function headsOf(db: Database.Database, entityType: string, entityId: string): string[] {
  const r = db.prepare('SELECT event_id FROM events WHERE entity_type = ? AND entity_id = ? ORDER BY hlc DESC, device_seq DESC LIMIT 1').get(entityType, entityId) as { event_id: string } | undefined;
  return r ? [r.event_id] : [];
}

export function exists(db: Database.Database, table: string, id: string): Record<string, unknown> | undefined {
  return db.prepare(`SELECT * FROM ${table} WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
}
