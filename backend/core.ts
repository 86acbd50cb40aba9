/**
 * The backend core: one typed API over the site database. Every call: size guard → the method's
 * schema → handler (reference and domain checks, then one write transaction: events + projection
 * + dirty markers) → after commit, a recompute. Errors travel as data, never as exceptions.
 */
import { randomUUID } from 'node:crypto';
import type { Api, ApiError, ApiEventName, ApiEvents, Method, Result } from './api/contract';
import { LIMITS, makeSchemas, zodError } from './api/schemas';
import { openDatabase } from './db/connection';
import { EventAppender, ensureDevice, type NewEvent, type StoredEvent } from './events/append';
import { createUuidV7 } from './events/uuidv7';
import { ApiFailure, headsOf, type Ctx, type HandlerMap, type WriteEvent } from './handlers/context';
import { batchHandlers } from './handlers/batches';
import { measurementHandlers } from './handlers/measurements';
import { queryHandlers } from './handlers/queries';
import { temperatureLogHandlers } from './handlers/temperature-logs';
import { siteHandlers } from './handlers/site';
import { csvHandlers } from './handlers/csv';
import { syncHandlers } from './handlers/sync';
import { createSyncHost, type SyncHostOptions } from './sync-host';
import { Projector } from './projection';
import { syncScheduler, workerScheduler, type Scheduler } from './recompute/scheduler';
import { markStale } from './recompute/recompute';
import { localDate } from './time';
import { createSite, type SiteInit } from './site-init';

export interface BackendOptions {
  dbPath: string;
  clock?: () => Date;
  actor: string;
  deviceId?: string;
  /** 'manual': nothing recomputes until idle() or recompute.run (bulk imports, benchmarks). */
  recompute?: 'sync' | 'worker' | 'manual';
  /** How often the site's date is checked for midnight (ms; tests shorten it). */
  dayCheckMs?: number;
  /** What a database without a site gets: the demo site (default), an empty site, or nothing. */
  init?: SiteInit | 'none';
  /** Progress of the first-run demo import. */
  onInitProgress?: (p: { phase: string; done: number; total: number }) => void;
  /** The sync client's transport and timing (tests); it runs when a server URL and token are stored (sync.configure). */
  sync?: SyncHostOptions;
}

export interface Backend {
  call<K extends Method>(method: K, args: Api[K]['args']): Promise<Result<Api[K]['result']>>;
  on<E extends ApiEventName>(event: E, fn: (payload: ApiEvents[E]) => void): () => void;
  /** Resolves when every dirty batch has been recomputed. */
  idle(): Promise<void>;
  /** Resolves once the recompute worker has the clean batches in memory (benchmarks, tools). */
  warmed(): Promise<{ batches: number; ms: number }>;
  /** Tests: the recompute worker exits as a crash would (a new one takes the work up). */
  crashRecomputeWorkerForTests(): void;
  close(): Promise<void>;
  /** For tests and tools inside the process (CLI, import): the raw context. */
  readonly ctx: Ctx;
}

export async function createBackend(opts: BackendOptions): Promise<Backend> {
  const clock = opts.clock ?? (() => new Date());
  const conn = openDatabase(opts.dbPath);
  const db = conn.sqlite;
  const uuid = createUuidV7(() => clock().getTime());
  ensureDevice(db, opts.deviceId ?? randomUUID(), clock());
  const appender = new EventAppender(db, uuid, () => clock().getTime());
  const projector = new Projector(db);
  const listeners = new Map<ApiEventName, Set<(p: unknown) => void>>();
  const emit = <E extends ApiEventName>(e: E, p: ApiEvents[E]) => {
    for (const fn of listeners.get(e) ?? []) { try { fn(p); } catch { /* a listener never breaks the backend */ } }
  };
  const siteRow = () => db.prepare('SELECT id, timezone FROM site LIMIT 1').get() as { id: string; timezone: string } | undefined;
  let cachedSite: { id: string; timezone: string } | undefined;
  const site = () => (cachedSite ??= siteRow());
  const today = () => localDate(site()?.timezone ?? 'UTC', clock());

  let scheduler: Scheduler | null = null;
  const ctx: Ctx = {
    db, kysely: conn.kysely, schemas: makeSchemas(today), uuid, clock, actor: opts.actor,
    siteId: () => {
      const s = site();
      if (!s) throw new ApiFailure({ code: 'not_found', message: 'this database has no site yet' });
      return s.id;
    },
    today,
    write(events: WriteEvent[]) {
      const stored: StoredEvent[] = [];
      const batchIds = new Set<string>();
      const siteId = site()?.id ?? (events[0]?.entityType === 'site' ? events[0].entityId : '');
      db.transaction(() => {
        for (const e of events) {
          const ne: NewEvent = {
            entityType: e.entityType, entityId: e.entityId, kind: e.kind, occurredAt: e.occurredAt ?? clock().toISOString(),
            siteId, actor: opts.actor, payload: e.payload,
            baseEventIds: e.kind === 'recorded' ? [] : headsOf(db, e.entityType, e.entityId),
          };
          const ev = appender.append(ne);
          ctx.faultInjection?.('after-append', [ne]);
          for (const b of projector.apply(ev)) batchIds.add(b);
          ctx.faultInjection?.('after-project', [ne]);
          stored.push(ev);
        }
      }).immediate();
      if (events.some((e) => e.entityType === 'site')) cachedSite = undefined;
      for (const ev of stored) emit('data.changed', { entity_type: ev.entity_type, entity_id: ev.entity_id, event_type: ev.type, batch_ids: [...batchIds] });
      scheduler?.kick();
      ctx.sync?.changed();
      return { events: stored, batchIds: [...batchIds] };
    },
    async ensureFresh(batchId?: string) {
      const pending = batchId
        ? db.prepare('SELECT 1 FROM dirty_batches WHERE batch_id = ? AND (failed_generation IS NULL OR failed_generation <> generation)').get(batchId)
        : db.prepare('SELECT 1 FROM dirty_batches WHERE failed_generation IS NULL OR failed_generation <> generation LIMIT 1').get();
      if (pending) await scheduler?.drain();
    },
    emit,
  };

  if (!site() && opts.init !== 'none') {
    await createSite(ctx, opts.init ?? 'demo', opts.onInitProgress);
    cachedSite = undefined;
  }

  const mode = opts.recompute ?? 'sync';
  // no automatic checkpoint inside an edit's commit: the recompute scheduler checkpoints after each round
  db.pragma('wal_autocheckpoint = 0');
  scheduler = mode === 'worker'
    ? workerScheduler(opts.dbPath, today, clock, emit)
    : syncScheduler(db, today, clock, emit, mode === 'manual');
  // resume: batches left dirty by a crash, and batches computed for another day
  if (site()) markStale(db, today());
  scheduler.kick();
  // past the site's midnight the Actual reaches a new day: every batch is computed again for it
  let day = today();
  const midnight = setInterval(() => {
    if (closed || !site() || today() === day) return;
    day = today();
    if (markStale(db, day) > 0) scheduler?.kick();
  }, opts.dayCheckMs ?? 60_000);
  midnight.unref();

  const handlers: HandlerMap = { ...siteHandlers, ...batchHandlers, ...measurementHandlers(), ...queryHandlers, ...temperatureLogHandlers, ...csvHandlers, ...syncHandlers };
  let closed = false;
  const on = <E extends ApiEventName>(event: E, fn: (payload: ApiEvents[E]) => void): (() => void) => {
    let set = listeners.get(event);
    if (!set) { set = new Set(); listeners.set(event, set); }
    set.add(fn as (p: unknown) => void);
    return () => set!.delete(fn as (p: unknown) => void);
  };
  // the sync client: runs on its timer when a server URL and token are stored
  ctx.sync = await createSyncHost({ ctx, kick: () => scheduler?.kick(), on, ...(opts.sync ? { options: opts.sync } : {}) });

  async function call<K extends Method>(method: K, args: Api[K]['args']): Promise<Result<Api[K]['result']>> {
    if (closed) return { ok: false, error: { code: 'internal', message: 'the backend is closed' } };
    const handler = Object.prototype.hasOwnProperty.call(handlers, method) ? handlers[method] : undefined;
    const schema = Object.prototype.hasOwnProperty.call(ctx.schemas.schemas, method) ? ctx.schemas.schemas[method] : undefined;
    if (!handler || !schema) return { ok: false, error: { code: 'unknown_method', field: '(method)', message: `unknown method ${JSON.stringify(method).slice(0, 100)}` } };
    let size: number;
    try { size = JSON.stringify(args ?? null)?.length ?? 0; } catch { return { ok: false, error: { code: 'invalid', field: '(request)', message: 'the request is not JSON' } }; }
    // a CSV import carries the file: its own limit (the schema checks the text itself)
    const limit = method === 'import.preview' || method === 'import.commit' ? LIMITS.csvBytes + LIMITS.requestBytes : LIMITS.requestBytes;
    if (size > limit) return { ok: false, error: { code: 'too_large', field: '(request)', message: `the request is ${size.toLocaleString('en-US')} bytes; at most ${limit.toLocaleString('en-US')}` } };
    const parsed = schema.safeParse(args);
    if (!parsed.success) return { ok: false, error: zodError(parsed.error) };
    try {
      const value = await handler(parsed.data, ctx);
      return { ok: true, value: value as Api[K]['result'] };
    } catch (e) {
      if (e instanceof ApiFailure) return { ok: false, error: e.error };
      const err: ApiError = { code: 'internal', message: `internal error: ${(e as Error).message}` };
      return { ok: false, error: err };
    }
  }

  return {
    call,
    on,
    idle: () => ctx.ensureFresh(),
    warmed: () => scheduler?.warmed() ?? Promise.resolve({ batches: 0, ms: 0 }),
    crashRecomputeWorkerForTests: () => scheduler?.crashForTests?.(),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(midnight);
      await ctx.sync?.close();
      await scheduler?.close();
      conn.close();
    },
    ctx,
  };
}
