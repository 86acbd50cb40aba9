/**
 * The sync client inside the app's backend (spec/sync.md §2–§5). Everything it knows lives in the
 * site database, so it resumes after any crash: events are acked only from a parsed response, in
 * one SQLite transaction; a pulled page is applied, and the cursor advanced, in one transaction.
 *
 * - push: pending events in device_seq order, ≤ 1,000 per request (halved on 413), one push in
 *   flight; 409 expected_seq rewinds; 409 device_seq_conflict (a cloned or restored laptop)
 *   registers a new device_id, renumbers the pending events and pulls its own old events back;
 * - pull: pages in server_seq order; events of other devices are projected with the backend's
 *   Projector through sync/apply.ts (concurrent edits rebuild the entity in canonical order);
 *   events of an unknown newer (type, v) are stored deferred and applied after an update;
 * - a timer (and `online()`) drives sync, with exponential backoff and full jitter on failures;
 * - `status()` for the UI: pending count, last sync, rejected events with reasons, conflicts;
 *   `resolveConflict()` writes a correction whose base_event_ids are all the heads.
 *
 * Its tables (sync_rejected, sync_conflicts, and the keys of sync_state) come from the app's
 * migrations (migrations/sqlite/0003_sync.sql): open the database with openDatabase (or migrate()).
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { EventAppender, type StoredEvent } from '../../backend/events/append';
import { createUuidV7 } from '../../backend/events/uuidv7';
import { canonicalPayload } from '../canonical';
import { ENGINE_VERSION } from '../../engine/index';
import { EventApplier, isKnownVersion, touchedFields, canonicalOrder, type EventRow } from '../apply';
import {
  MAX_BODY_BYTES, MAX_PUSH_EVENTS, PROTOCOL_VERSION, PullResponseSchema, PushConflictSchema, PushResponseSchema, StatesSnapshotResponseSchema,
  wireEventJson, type PulledEvent, type PushRequest,
} from '../protocol';
import { sqliteBatchStates, statesDigest } from '../states';

export type FetchFn = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

export interface SyncClientOptions {
  db: Database.Database;
  baseUrl: string;
  token: string;
  fetch?: FetchFn;
  clock?: () => Date;
  random?: () => number;
  actor?: string;
  appVersion?: string;
  /** Which (type, v) this build can apply; others are stored deferred. */
  knownVersion?: (type: string, v: number) => boolean;
  /** Upcaster to the shape the projection reads (identity for current versions); null: keep deferred. */
  upcast?: (ev: EventRow) => EventRow | null;
  pullLimit?: number;
  intervalMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** Something `status()` shows may have changed (a push, a pull, a failure, a resolution, the timer). */
  onStatus?: () => void;
  /** Committed changes to the projections (a pulled page, a rebuild after an ack, a resolution): the entities touched. */
  onApplied?: (entities: { entity_type: string; entity_id: string }[]) => void;
  /** A sync cycle finished without error (the timer's or syncNow's). */
  onSynced?: () => void;
  /** Test hooks: throw to simulate a crash at that point. */
  faults?: { beforeSend?: (kind: 'push' | 'pull') => void; afterResponse?: (kind: 'push' | 'pull') => void; beforeCursor?: () => void };
}

export interface ConflictInfo {
  entity_type: string;
  entity_id: string;
  fields: string[];
  winner: string;
  heads: { event_id: string; type: string; actor: string; device_id: string; effective_ts: string | null; patch: Record<string, unknown> | null; reason: string | null }[];
}

export interface SyncStatus {
  device_id: string;
  pending: number;
  last_sync_at: string | null;
  last_push_at: string | null;
  last_pull_at: string | null;
  /** The last request reached the server (true), failed on the network (false), or none yet (null). */
  online: boolean | null;
  last_error: string | null;
  pull_cursor: number;
  rejected: { event_id: string; type: string; entity_id: string; reason: string; rejected_at: string }[];
  conflicts: ConflictInfo[];
  deferred: number;
  clock_warning: boolean;
  in_flight: boolean;
  next_attempt_at: string | null;
}

export class SyncHttpError extends Error {
  constructor(readonly status: number, readonly body: string) { super(`sync: HTTP ${status}: ${body.slice(0, 200)}`); }
}

export type SyncClient = ReturnType<typeof createSyncClient>;

export function createSyncClient(opts: SyncClientOptions) {
  const db = opts.db;
  const clock = opts.clock ?? (() => new Date());
  const random = opts.random ?? Math.random;
  const doFetch: FetchFn = opts.fetch ?? ((url, init) => fetch(url, init) as unknown as ReturnType<FetchFn>);
  const known = opts.knownVersion ?? isKnownVersion;
  const base = opts.baseUrl.replace(/\/$/, '');
  for (const t of ['sync_state', 'sync_rejected', 'sync_conflicts']) {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t)) {
      throw new Error(`sync: the database has no ${t} table; open it with the app's migrations (migrations/sqlite/0003_sync.sql)`);
    }
  }
  const applier = new EventApplier(db);
  const notify = () => { try { opts.onStatus?.(); } catch { /* a listener never breaks sync */ } };
  const applied = (entities: Iterable<[string, string]>) => {
    const list = [...entities].map(([entity_type, entity_id]) => ({ entity_type, entity_id }));
    if (list.length) { try { opts.onApplied?.(list); } catch { /* a listener never breaks sync */ } }
  };

  // statements prepared once per client (the hot ones run per event of a pulled page)
  const stmts = new Map<string, Database.Statement>();
  const q = (sqlText: string): Database.Statement => {
    let st = stmts.get(sqlText);
    if (!st) { st = db.prepare(sqlText); stmts.set(sqlText, st); }
    return st;
  };
  const getState = (k: string) => (q('SELECT value FROM sync_state WHERE key = ?').get(k) as { value: string } | undefined)?.value ?? null;
  const setState = (k: string, v: string) => q('INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(k, v);
  const deviceId = () => (q('SELECT device_id FROM device WHERE id = 1').get() as { device_id: string }).device_id;

  let batchSize = MAX_PUSH_EVENTS;
  let pushing: Promise<PushSummary> | null = null;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  let nextAttemptAt: Date | null = null;
  let clockWarning = false;
  let online: boolean | null = null;
  let deferredCount: number | null = null;

  async function request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const init = { method, headers: { authorization: `Bearer ${opts.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) };
    let res: Awaited<ReturnType<FetchFn>>, text: string;
    try {
      res = await doFetch(`${base}${path}`, init);
      text = await res.text();
    } catch (e) {
      if (online !== false) { online = false; notify(); }
      throw e;
    }
    if (online !== true) { online = true; notify(); }
    return { status: res.status, text };
  }

  const pendingStmt = db.prepare(`SELECT * FROM events WHERE device_id = ? AND server_seq IS NULL
    AND event_id NOT IN (SELECT event_id FROM sync_rejected) ORDER BY device_seq LIMIT ?`);

  /**
   * An event's JSON on the wire (a WireEvent), written from its stored row: the payload and the
   * base ids are spliced in as the JSON text they are stored as, so the payload travels as the
   * very canonical text its payload_sha256 was computed from (no parse and stringify per push).
   */
  const wireJson = (e: StoredEvent): string => wireEventJson(e, e.base_event_ids, e.payload);

  /** After a device_seq conflict: a new device_id, pending events renumbered 1…n under it. */
  function reRegister(): string {
    forgetPending();
    const old = deviceId();
    const fresh = randomUUID();
    const pending = db.prepare('SELECT event_id FROM events WHERE device_id = ? AND server_seq IS NULL ORDER BY device_seq').all(old) as { event_id: string }[];
    const upd = db.prepare('UPDATE events SET device_id = ?, device_seq = ? WHERE event_id = ?');
    pending.forEach((p, i) => upd.run(fresh, i + 1, p.event_id));
    db.prepare('UPDATE device SET device_id = ?, next_seq = ? WHERE id = 1').run(fresh, pending.length + 1);
    setState('previous_device_ids', JSON.stringify([...(JSON.parse(getState('previous_device_ids') ?? '[]') as string[]), old]));
    setState('pull_cursor', '0'); // pull our own old events back
    return fresh;
  }

  interface PushSummary { sent: number; accepted: number; duplicate: number; rejected: number }

  function touchAfter(entities: Map<string, [string, string]>): void {
    for (const [type, id] of entities.values()) {
      const heads = applier.heads(type, id);
      if (heads.length > 1) applier.rebuild(type, id);
      refreshConflict(type, id, heads);
    }
  }

  async function pushOnce(): Promise<PushSummary> {
    const sum: PushSummary = { sent: 0, accepted: 0, duplicate: 0, rejected: 0 };
    for (let rounds = 0; rounds < 10_000; rounds++) {
      const dev = deviceId();
      // as many events as fit in one request (each event's size counted once), read one by one until
      // the request is full (a queue of temperature logs fills 1 MiB with a few hundred)
      const head: Omit<PushRequest, 'events'> = { device_id: dev, protocol: PROTOCOL_VERSION, app_version: opts.appVersion ?? '0.1.0', client_now: clock().toISOString() };
      const open = `${JSON.stringify(head).slice(0, -1)},"events":[`;
      const rows: StoredEvent[] = [];
      const parts: string[] = [];
      let bytes = Buffer.byteLength(open) + 2;
      let tooLarge: StoredEvent | null = null;
      for (const r of pendingStmt.iterate(dev, batchSize) as IterableIterator<StoredEvent>) {
        const w = wireJson(r);
        const n = Buffer.byteLength(w) + (parts.length ? 1 : 0);
        if (bytes + n > MAX_BODY_BYTES) { if (parts.length === 0) tooLarge = r; break; }
        rows.push(r);
        parts.push(w);
        bytes += n;
      }
      if (tooLarge) {
        // one event larger than a request: it can never be sent; reject it locally so the queue drains
        db.transaction(() => markRejected(tooLarge.event_id, 'the event is larger than the 1 MiB request limit'))();
        continue;
      }
      if (rows.length === 0) return sum;
      const events = rows.map((r) => ({ event_id: r.event_id }));
      const text = `${open}${parts.join(',')}]}`;
      opts.faults?.beforeSend?.('push');
      const res = await request('POST', '/v1/sync/push', text);
      opts.faults?.afterResponse?.('push');
      if (res.status === 413) {
        if (batchSize === 1 || events.length === 1) { db.transaction(() => markRejected(events[0]!.event_id, 'the server refused the event as too large'))(); continue; }
        batchSize = Math.max(1, Math.floor(events.length / 2));
        continue;
      }
      if (res.status === 409) {
        const c = PushConflictSchema.parse(JSON.parse(res.text));
        if (c.error === 'expected_seq' && c.expected_seq !== undefined) {
          // the server lost events we thought acked (e.g. restored from a backup): send them again
          const n = db.prepare('UPDATE events SET server_seq = NULL WHERE device_id = ? AND device_seq >= ? AND server_seq IS NOT NULL').run(dev, c.expected_seq).changes;
          db.prepare('DELETE FROM sync_rejected WHERE event_id IN (SELECT event_id FROM events WHERE device_id = ? AND device_seq >= ?)').run(dev, c.expected_seq);
          if (n === 0) throw new SyncHttpError(409, res.text);
          continue;
        }
        db.transaction(() => { reRegister(); })();
        continue;
      }
      if (res.status !== 200) throw new SyncHttpError(res.status, res.text);
      const parsed = PushResponseSchema.parse(JSON.parse(res.text));
      if (parsed.results.length !== events.length || parsed.results.some((r, i) => r.event_id !== events[i]!.event_id)) throw new Error('sync: the push response does not match the request');
      noteServerNow(parsed.server_now);
      const touched = new Map<string, [string, string]>();
      db.transaction(() => {
        const ack = q('UPDATE events SET server_seq = ?, effective_ts = ?, received_at = COALESCE(received_at, ?) WHERE event_id = ?');
        const move = q('UPDATE events SET device_id = ?, device_seq = ? WHERE event_id = ?');
        parsed.results.forEach((r, i) => {
          const ev = rows[i]!;
          if (r.status === 'rejected') { markRejected(r.event_id, r.reason ?? 'rejected'); sum.rejected++; }
          else {
            ack.run(r.server_seq, r.effective_ts ?? null, parsed.server_now, r.event_id);
            if (r.device_id && r.device_seq !== undefined) move.run(r.device_id, r.device_seq, r.event_id);
            if (r.status === 'accepted') sum.accepted++; else sum.duplicate++;
          }
          touched.set(`${ev.entity_type}\u0000${ev.entity_id}`, [ev.entity_type, ev.entity_id]);
        });
        touchAfter(touched);
      }).immediate();
      applied(touched.values());
      notify();
      sum.sent += events.length;
      if (batchSize < MAX_PUSH_EVENTS) batchSize = Math.min(MAX_PUSH_EVENTS, batchSize * 2);
    }
    return sum;
  }

  function markRejected(eventId: string, reason: string): void {
    forgetPending();
    db.prepare('INSERT OR REPLACE INTO sync_rejected (event_id, reason, rejected_at) VALUES (?, ?, ?)').run(eventId, reason, clock().toISOString());
    const ev = db.prepare('SELECT entity_type, entity_id FROM events WHERE event_id = ?').get(eventId) as { entity_type: string; entity_id: string } | undefined;
    if (ev) { applier.rebuild(ev.entity_type, ev.entity_id); refreshConflict(ev.entity_type, ev.entity_id); }
  }

  function noteServerNow(serverNow: string): void {
    const skew = Math.abs(Date.parse(serverNow) - clock().getTime());
    clockWarning = Number.isFinite(skew) && skew > 5 * 60_000;
  }

  /** One push at a time: a second call joins the one in flight. */
  function push(): Promise<PushSummary> {
    if (!pushing) {
      pushing = pushOnce().then((r) => { setState('last_push_at', clock().toISOString()); return r; }).finally(() => { pushing = null; forgetPending(); notify(); });
      notify();
    }
    return pushing;
  }

  async function pull(): Promise<{ pulled: number; pages: number }> {
    let pulled = 0, pages = 0;
    for (;;) {
      const after = Number(getState('pull_cursor') ?? '0');
      opts.faults?.beforeSend?.('pull');
      const res = await request('GET', `/v1/sync/pull?after=${after}&limit=${opts.pullLimit ?? 2000}&device_id=${deviceId()}`);
      opts.faults?.afterResponse?.('pull');
      if (res.status !== 200) throw new SyncHttpError(res.status, res.text);
      const page = PullResponseSchema.parse(JSON.parse(res.text));
      noteServerNow(page.server_now);
      applyPage(page.events, page.next_cursor);
      pulled += page.events.length;
      pages++;
      if (!page.has_more || page.events.length === 0) {
        setState('last_pull_at', clock().toISOString());
        notify();
        return { pulled, pages };
      }
    }
  }

  /**
   * Runs a pulled page's transaction with `synchronous = NORMAL`, then the connection's own level
   * again. The page need not be on disk when its commit returns: the page and the cursor commit
   * together, so a power cut loses both and the page is pulled again. The app's own writes keep
   * FULL (and their fsync of the WAL makes earlier pages durable too).
   */
  function relaxedCommit(fn: () => void): void {
    const level = db.pragma('synchronous', { simple: true }) as number;
    if (level <= 1) { fn(); return; }
    db.pragma('synchronous = NORMAL');
    try { fn(); } finally { db.pragma(`synchronous = ${level}`); }
  }

  function applyPage(events: PulledEvent[], nextCursor: number): void {
    forgetPending();
    const find = q('SELECT event_id, device_id, device_seq, server_seq FROM events WHERE event_id = ?');
    const bySeq = q('SELECT event_id, server_seq FROM events WHERE device_id = ? AND device_seq = ?');
    const stamp = q('UPDATE events SET server_seq = ?, received_at = ?, effective_ts = ? WHERE event_id = ?');
    const move = q('UPDATE events SET device_id = ?, device_seq = ? WHERE event_id = ?');
    const unreject = q('DELETE FROM sync_rejected WHERE event_id = ?');
    let touchedOut = new Map<string, [string, string]>();
    const ins = q(`INSERT INTO events (event_id, device_id, device_seq, hlc, occurred_at, type, v, entity_type, entity_id, site_id,
      base_event_ids, actor, payload, payload_sha256, server_seq, received_at, effective_ts, deferred)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    relaxedCommit(() => db.transaction(() => {
      const touched = new Map<string, [string, string]>();
      // entities whose heads must be looked at after the page (rebuild, conflicts): not those where
      // every event of the page went on top of at most one head (its only head afterwards)
      const check = new Map<string, [string, string]>();
      let me = deviceId();
      // the page's dirty marks, merged per batch, are written once before the cursor moves
      applier.holdDirty();
      try {
        for (const e of events) {
          const key = `${e.entity_type}\u0000${e.entity_id}`;
          const row: EventRow = {
            event_id: e.event_id, device_id: e.device_id, device_seq: e.device_seq, hlc: e.hlc, occurred_at: e.occurred_at, type: e.type, v: e.v,
            entity_type: e.entity_type, entity_id: e.entity_id, site_id: e.site_id, base_event_ids: JSON.stringify(e.base_event_ids), actor: e.actor,
            payload: canonicalPayload(e.payload), payload_sha256: e.payload_sha256, server_seq: e.server_seq, received_at: e.received_at, effective_ts: e.effective_ts,
            deferred: known(e.type, e.v) ? 0 : 1,
          };
          const have = find.get(e.event_id) as { device_id: string; device_seq: number; server_seq: number | null } | undefined;
          if (have) {
            // our own event (or one seen before): take the server's stamps; a renumbered event takes its original numbering back
            if (have.server_seq === null || have.server_seq !== e.server_seq) stamp.run(e.server_seq, e.received_at, e.effective_ts, e.event_id);
            if (have.device_id !== e.device_id || have.device_seq !== e.device_seq) {
              const clash = bySeq.get(e.device_id, e.device_seq) as { event_id: string } | undefined;
              if (!clash) move.run(e.device_id, e.device_seq, e.event_id);
            }
            unreject.run(e.event_id);
            touched.set(key, [e.entity_type, e.entity_id]);
            check.set(key, [e.entity_type, e.entity_id]);
            continue;
          }
          const clash = bySeq.get(e.device_id, e.device_seq) as { event_id: string; server_seq: number | null } | undefined;
          if (e.device_id === me || clash) {
            // another laptop holds our device_id (a clone or a restored backup): move our pending events to a new id
            reRegister();
            me = deviceId();
            const still = bySeq.get(e.device_id, e.device_seq) as { event_id: string } | undefined;
            if (still) throw new Error(`sync: event ${e.event_id} clashes with acked local event ${still.event_id}`);
          }
          ins.run(row.event_id, row.device_id, row.device_seq, row.hlc, row.occurred_at, row.type, row.v, row.entity_type, row.entity_id, row.site_id,
            row.base_event_ids, row.actor, row.payload, row.payload_sha256, row.server_seq, row.received_at, row.effective_ts, row.deferred);
          let alone = false;
          if (row.deferred === 0) {
            const up = opts.upcast ? opts.upcast(row) : row;
            if (up) { const r = applier.projectEvent(up); alone = !r.rebuilt && r.headsBefore <= 1; }
            else q('UPDATE events SET deferred = 1 WHERE event_id = ?').run(row.event_id);
          }
          touched.set(key, [e.entity_type, e.entity_id]);
          if (!alone) check.set(key, [e.entity_type, e.entity_id]);
        }
        touchAfter(check);
        applier.flushDirty();
      } finally { applier.dropDirty(); }
      opts.faults?.beforeCursor?.();
      setState('pull_cursor', String(nextCursor));
      touchedOut = touched;
    }).immediate());
    if (events.some((e) => !known(e.type, e.v))) deferredCount = null;
    applied(touchedOut.values());
  }

  /** Deferred events this build now knows (after an app update): upcast and apply, in server_seq order. */
  function applyDeferred(): number {
    const rows = db.prepare('SELECT * FROM events WHERE deferred = 1 ORDER BY server_seq').all() as EventRow[];
    let n = 0;
    let touchedOut = new Map<string, [string, string]>();
    db.transaction(() => {
      const touched = new Map<string, [string, string]>();
      for (const r of rows) {
        if (!known(r.type, r.v)) continue;
        const up = opts.upcast ? opts.upcast(r) : r;
        if (!up) continue;
        db.prepare('UPDATE events SET deferred = 0 WHERE event_id = ?').run(r.event_id);
        applier.project({ ...up, deferred: 0 });
        touched.set(`${r.entity_type}\u0000${r.entity_id}`, [r.entity_type, r.entity_id]);
        n++;
      }
      touchAfter(touched);
      touchedOut = touched;
    }).immediate();
    deferredCount = null;
    applied(touchedOut.values());
    if (n) notify();
    return n;
  }

  // ---------- conflicts ----------
  function refreshConflict(entityType: string, entityId: string, heads = applier.heads(entityType, entityId)): void {
    const del = () => q('DELETE FROM sync_conflicts WHERE entity_type = ? AND entity_id = ?').run(entityType, entityId);
    if (heads.length < 2) { del(); return; }
    const get = q('SELECT * FROM events WHERE event_id = ?');
    const headRows = heads.map((h) => get.get(h) as EventRow);
    const fieldSets = headRows.map((h) => new Set(touchedFields(h)));
    const clash = new Set<string>();
    for (let i = 0; i < fieldSets.length; i++) for (let j = i + 1; j < fieldSets.length; j++) for (const f of fieldSets[i]!) if (fieldSets[j]!.has(f)) clash.add(f);
    if (clash.size === 0) { del(); return; }
    const order = canonicalOrder(headRows);
    const detail: ConflictInfo = {
      entity_type: entityType, entity_id: entityId, fields: [...clash].sort(), winner: order[order.length - 1]!.event_id,
      heads: headRows.map((h) => {
        const p = JSON.parse(h.payload) as { patch?: Record<string, unknown>; reason?: string };
        return { event_id: h.event_id, type: h.type, actor: h.actor, device_id: h.device_id, effective_ts: h.effective_ts, patch: p.patch ?? null, reason: p.reason ?? null };
      }),
    };
    db.prepare('INSERT OR REPLACE INTO sync_conflicts (entity_type, entity_id, detail) VALUES (?, ?, ?)').run(entityType, entityId, JSON.stringify(detail));
  }

  /** Resolves a conflict with one event whose base_event_ids are all the heads: a correction, a void or a restore. */
  function resolveConflict(entityType: string, entityId: string, resolution: { patch: Record<string, unknown>; reason: string } | { void: string } | { restore: string }): StoredEvent {
    const uuid = createUuidV7(() => clock().getTime());
    const appender = new EventAppender(db, uuid, () => clock().getTime());
    let out!: StoredEvent;
    db.transaction(() => {
      const heads = applier.heads(entityType, entityId);
      const site = (db.prepare('SELECT site_id FROM events WHERE entity_type = ? AND entity_id = ? LIMIT 1').get(entityType, entityId) as { site_id: string } | undefined)?.site_id;
      if (!site) throw new Error(`no events for ${entityType} ${entityId}`);
      const [kind, payload] = 'patch' in resolution ? ['corrected', { patch: resolution.patch, reason: resolution.reason }] as const
        : 'void' in resolution ? ['voided', { reason: resolution.void }] as const : ['restored', { reason: resolution.restore }] as const;
      out = appender.append({ entityType, entityId, kind, occurredAt: clock().toISOString(), siteId: site, baseEventIds: heads, actor: opts.actor ?? 'sync', payload });
      applier.project(out);
      refreshConflict(entityType, entityId);
    }).immediate();
    applied([[entityType, entityId]]);
    notify();
    scheduleSoon();
    return out;
  }

  // ---------- device state snapshots ----------
  async function pushStates(): Promise<{ sent: number; results: { batch_id: string; status: string }[] }> {
    const dev = deviceId();
    const pending = pendingCount();
    const dirty = (db.prepare('SELECT count(*) AS n FROM dirty_batches').get() as { n: number }).n;
    if (pending > 0 || dirty > 0) return { sent: 0, results: [] }; // the states include inputs the server has not seen
    const lastSeq = (db.prepare('SELECT max(server_seq) AS m FROM events WHERE deferred = 0').get() as { m: number | null }).m ?? 0;
    const outs = db.prepare('SELECT batch_id, engine_version, as_of FROM batch_outputs ORDER BY batch_id').all() as { batch_id: string; engine_version: string; as_of: string }[];
    const results: { batch_id: string; status: string }[] = [];
    for (let i = 0; i < outs.length; i += 20) {
      const snapshots = outs.slice(i, i + 20).map((o) => {
        const rows = sqliteBatchStates(db, o.batch_id);
        return { batch_id: o.batch_id, engine_version: o.engine_version, as_of: o.as_of, last_server_seq: lastSeq, states_sha256: statesDigest(rows), batch_states: rows };
      });
      const res = await request('POST', '/v1/sync/states', { device_id: dev, protocol: PROTOCOL_VERSION, snapshots });
      if (res.status !== 200) throw new SyncHttpError(res.status, res.text);
      results.push(...StatesSnapshotResponseSchema.parse(JSON.parse(res.text)).results);
    }
    return { sent: outs.length, results };
  }

  // ---------- the loop ----------
  let cycle: Promise<{ push: PushSummary; pull: { pulled: number; pages: number } }> | null = null;
  /** A push, a pull, and a second push when the pull left events to send. One cycle at a time: a second call joins it. */
  function syncNow(): Promise<{ push: PushSummary; pull: { pulled: number; pages: number } }> {
    if (!cycle) { cycle = syncCycle().finally(() => { cycle = null; notify(); }); notify(); }
    return cycle;
  }

  async function syncCycle(): Promise<{ push: PushSummary; pull: { pulled: number; pages: number } }> {
    try {
      const p = await push();
      const q = await pull();
      const p2 = pendingCount() > 0 ? await push() : { sent: 0, accepted: 0, duplicate: 0, rejected: 0 };
      failures = 0;
      setState('last_sync_at', clock().toISOString());
      db.prepare('DELETE FROM sync_state WHERE key = ?').run('last_error');
      notify();
      try { opts.onSynced?.(); } catch { /* a listener never breaks sync */ }
      return { push: { sent: p.sent + p2.sent, accepted: p.accepted + p2.accepted, duplicate: p.duplicate + p2.duplicate, rejected: p.rejected + p2.rejected }, pull: q };
    } catch (e) {
      failures++;
      try { setState('last_error', (e as Error).message.slice(0, 500)); notify(); } catch { /* a closed database */ }
      throw e;
    }
  }

  /** Full jitter: uniform in [0, min(max, base·2^failures)). */
  function backoffMs(): number {
    const b = opts.backoff ?? { baseMs: 1000, maxMs: 5 * 60_000 };
    return Math.floor(random() * Math.min(b.maxMs, b.baseMs * 2 ** Math.min(failures, 30)));
  }

  function schedule(ms: number): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    nextAttemptAt = new Date(clock().getTime() + ms);
    timer = setTimeout(() => { timer = null; if (running) void tick(); }, ms);
    (timer as { unref?: () => void }).unref?.();
  }

  async function tick(): Promise<void> {
    try { await syncNow(); schedule(opts.intervalMs ?? 30_000); } catch { schedule(Math.max(backoffMs(), 50)); }
  }

  function scheduleSoon(): void { if (running) schedule(0); }

  // The pending count is kept between calls: counting a large queue (half a million events after
  // a site's import) takes a few hundred ms, and the app asks for the status after every edit.
  // Events appended since are counted by rowid; whatever this client writes (acks, rejections,
  // pulled pages, a new device id, resolutions) drops the kept count.
  let pendingKept: { n: number; rowid: number; dev: string } | null = null;
  function forgetPending(): void { pendingKept = null; }
  function pendingCount(): number {
    const dev = deviceId();
    const top = (q('SELECT max(rowid) AS m FROM events').get() as { m: number | null }).m ?? 0;
    if (pendingKept && pendingKept.dev === dev) {
      const more = (q('SELECT count(*) AS n FROM events WHERE rowid > ? AND +device_id = ? AND server_seq IS NULL').get(pendingKept.rowid, dev) as { n: number }).n;
      pendingKept = { n: pendingKept.n + more, rowid: top, dev };
      return pendingKept.n;
    }
    // own events not acknowledged (an index-only count), less those the server rejected
    const all = (q('SELECT count(*) AS n FROM events WHERE device_id = ? AND server_seq IS NULL').get(dev) as { n: number }).n;
    const rejected = (q('SELECT count(*) AS n FROM sync_rejected r CROSS JOIN events e ON e.event_id = r.event_id WHERE e.device_id = ? AND e.server_seq IS NULL').get(dev) as { n: number }).n;
    pendingKept = { n: all - rejected, rowid: top, dev };
    return pendingKept.n;
  }

  function status(): SyncStatus {
    // CROSS JOIN keeps the rejected events (a few) as the outer loop: without statistics SQLite scanned every event
    const rejected = db.prepare(`SELECT r.event_id, e.type, e.entity_id, r.reason, r.rejected_at FROM sync_rejected r CROSS JOIN events e ON e.event_id = r.event_id ORDER BY r.rejected_at, r.event_id`).all() as SyncStatus['rejected'];
    const conflicts = (db.prepare('SELECT detail FROM sync_conflicts ORDER BY entity_type, entity_id').all() as { detail: string }[]).map((r) => JSON.parse(r.detail) as ConflictInfo);
    return {
      device_id: deviceId(), pending: pendingCount(), last_sync_at: getState('last_sync_at'), last_push_at: getState('last_push_at'),
      last_pull_at: getState('last_pull_at'), online, last_error: getState('last_error'),
      pull_cursor: Number(getState('pull_cursor') ?? '0'), rejected, conflicts,
      deferred: (deferredCount ??= (db.prepare('SELECT count(*) AS n FROM events WHERE deferred = 1').get() as { n: number }).n),
      clock_warning: clockWarning, in_flight: pushing !== null || cycle !== null, next_attempt_at: nextAttemptAt?.toISOString() ?? null,
    };
  }

  return {
    push, pull, syncNow, pushStates, applyDeferred, resolveConflict, status,
    /** Starts the timer (first sync at once). */
    start() { if (running) return; running = true; schedule(0); },
    stop() { running = false; if (timer) clearTimeout(timer); timer = null; nextAttemptAt = null; },
    /** Stops the timer and waits for a cycle (or push) in flight to settle: then the database may close. */
    async close() {
      running = false; if (timer) clearTimeout(timer); timer = null; nextAttemptAt = null;
      await Promise.all([cycle, pushing].map((p) => p?.catch(() => undefined)));
    },
    get running() { return running; },
    /** The network came back: sync now, forgetting the backoff. */
    online() { failures = 0; scheduleSoon(); },
    /** A local edit: push soon. */
    changed() { scheduleSoon(); },
    backoffMs,
    get engineVersion() { return ENGINE_VERSION; },
  };
}
